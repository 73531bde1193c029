// <regex> trips GCC 12's -Wmaybe-uninitialized under -fsanitize (std::function inside
// regex_automaton.h, GCC bug 105562); the diagnostic is emitted at this file's
// instantiation, so it is silenced for the file.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

#include "models/mig.hpp"
#include "models/quantity.hpp"
#include "models/resources.hpp"
#include "models/taints.hpp"
#include "scenarios/cluster_spec.hpp"
#include "scenarios/diagnostics.hpp"
#include "scenarios/distribution_reader.hpp"
#include "scenarios/scheduler_config.hpp"
#include "scenarios/trace_workload.hpp"

namespace kubesim::scenarios {
namespace {

// A quantity field in the resource's unit (milli-CPU for cpu, bytes for memory...).
std::optional<std::int64_t> quantity(FieldReader& r, std::string_view key,
                                     std::string_view resource, bool required = false) {
  auto text = r.string(key, required);
  if (!text) return std::nullopt;
  auto value = models::parse_resource_value(resource, *text);
  if (!value.ok()) {
    r.error(key, value.status().message(), "quantities look like 500m, 2, 1.5, 16Gi, 1e3");
    return std::nullopt;
  }
  return value.value();
}

models::Labels read_labels(FieldReader& r, std::string_view key) {
  models::Labels labels;
  auto node = r.raw(key);
  if (!node) return labels;
  if (!node->IsMap()) {
    r.error(key, "expected a mapping of label keys to values");
    return labels;
  }
  for (const auto& kv : *node) {
    if (!kv.first.IsScalar() || !(kv.second.IsScalar() || kv.second.IsNull())) {
      r.error(key, "labels map strings to strings");
      continue;
    }
    const std::string k = kv.first.Scalar();
    const std::string v = kv.second.IsScalar() ? kv.second.Scalar() : std::string();
    if (auto s = models::validate_label_key(k); !s.ok()) {
      r.error(key, "label key \"" + k + "\": " + s.message());
      continue;
    }
    if (auto s = models::validate_label_value(v); !s.ok()) {
      r.error(key, "label \"" + k + "\" value \"" + v + "\": " + s.message());
      continue;
    }
    labels.set(k, v);
  }
  return labels;
}

std::vector<models::Taint> read_taints(FieldReader& r) {
  std::vector<models::Taint> taints;
  auto list = r.list_of_maps("taints");
  if (!list) return taints;
  for (auto& t : *list) {
    models::Taint taint;
    taint.key = t.string("key", true).value_or("");
    taint.value = t.string("value").value_or("");
    if (auto effect = t.one_of("effect", {"NoSchedule", "PreferNoSchedule", "NoExecute"}, true)) {
      taint.effect = models::parse_taint_effect(*effect).value();
    }
    if (auto s = models::validate_taint(taint); !s.ok() && !taint.key.empty()) {
      t.error_here(s.message());
    }
    t.finish();
    taints.push_back(std::move(taint));
  }
  if (auto s = models::validate_taints(taints); !s.ok()) r.error("taints", s.message());
  return taints;
}

void read_images(FieldReader& r, std::string_view key, std::vector<models::ContainerImage>* images,
                 std::map<std::string, std::int64_t>* sizes) {
  auto list = r.list_of_maps(key);
  if (!list) return;
  for (auto& i : *list) {
    auto name = i.string("name", true);
    auto size = quantity(i, "size", "memory", true);
    i.finish();
    if (!name || !size) continue;
    if (images != nullptr) images->push_back(models::ContainerImage{{*name}, *size});
    if (sizes != nullptr) (*sizes)[*name] = *size;
  }
}

models::KubeletConfig read_kubelet(FieldReader& k) {
  models::KubeletConfig c;
  if (auto bw = quantity(k, "imagePullBandwidth", "memory")) {
    if (*bw <= 0) {
      k.error("imagePullBandwidth", "must be positive (bytes per second)");
    } else {
      c.image_pull_bytes_per_second = static_cast<double>(*bw);
    }
  }
  if (auto d = read_duration_distribution(k, "imagePullLatency")) c.image_pull_latency = *d;
  if (auto d = read_duration_distribution(k, "containerStartLatency")) c.container_start_latency = *d;
  if (auto d = read_duration_distribution(k, "podStopLatency")) c.pod_stop_latency = *d;
  if (auto d = k.duration("readinessDelay", 0)) c.readiness_delay = *d;
  if (auto d = k.duration("leaseDuration", sim::kSecond)) c.lease_duration = *d;
  if (auto d = k.duration("statusReportFrequency", sim::kSecond)) c.node_status_report_frequency = *d;
  if (auto d = k.duration("nodeReadyDelay", 0)) c.node_ready_delay = *d;
  if (auto qps = k.number("kubeAPIQPS", 0.001, 1e6)) c.rate_limit.qps = *qps;
  if (auto burst = k.integer("kubeAPIBurst", 1, 1'000'000)) c.rate_limit.burst = static_cast<int>(*burst);
  k.finish();
  return c;
}

std::optional<models::NodePool> read_pool(FieldReader& p, std::int64_t default_image_bytes) {
  models::NodePool pool;
  pool.name = p.string("name", true).value_or("");
  if (!pool.name.empty()) {
    if (auto s = models::validate_dns1123_subdomain(pool.name + "-0"); !s.ok()) {
      p.error("name", "node names \"" + pool.name + "-<i>\" would be invalid: " + s.message());
    }
  }
  pool.count = static_cast<std::int32_t>(p.integer("count", 0, 1'000'000, true).value_or(0));
  pool.instance_type = p.string("instanceType").value_or("");
  if (auto cpu = quantity(p, "cpu", "cpu", true)) pool.capacity.cpu_milli = *cpu;
  if (auto mem = quantity(p, "memory", "memory", true)) pool.capacity.memory = *mem;
  pool.capacity.ephemeral_storage =
      quantity(p, "ephemeralStorage", "ephemeral-storage").value_or(100LL * 1024 * 1024 * 1024);
  pool.capacity.pods = p.integer("maxPods", 1, 10'000).value_or(110);
  if (auto reserved = p.map("reserved")) {
    pool.reserved.cpu_milli = quantity(*reserved, "cpu", "cpu").value_or(0);
    pool.reserved.memory = quantity(*reserved, "memory", "memory").value_or(0);
    pool.reserved.ephemeral_storage =
        quantity(*reserved, "ephemeralStorage", "ephemeral-storage").value_or(0);
    reserved->finish();
  }
  if (auto gpu = p.map("gpu")) {
    models::GpuSpec g;
    g.model = gpu->string("model", true).value_or("");
    g.count = static_cast<std::int32_t>(gpu->integer("count", 0, 64, true).value_or(0));
    g.memory_mib = gpu->integer("memoryMiB", 0, 1'000'000).value_or(0);
    if (auto ic = gpu->one_of("interconnect", {"none", "pcie", "nvlink", "nvswitch"})) {
      g.interconnect = *ic == "nvswitch"  ? models::GpuInterconnect::kNvSwitch
                       : *ic == "nvlink" ? models::GpuInterconnect::kNvLinkHybridCubeMesh
                       : *ic == "none"   ? models::GpuInterconnect::kNone
                                         : models::GpuInterconnect::kPcie;
      if (g.interconnect == models::GpuInterconnect::kNvLinkHybridCubeMesh && g.count != 8) {
        gpu->error("interconnect", "the nvlink (DGX-1 hybrid cube-mesh) topology has 8 GPUs",
                   "use nvswitch or pcie for other counts");
      }
    }
    g.nvlinks_per_gpu =
        static_cast<std::int32_t>(gpu->integer("nvlinksPerGpu", 1, 64).value_or(12));
    if (!g.model.empty()) {
      if (auto s = models::validate_label_value(g.model); !s.ok()) {
        gpu->error("model", "becomes the nvidia.com/gpu.product label: " + s.message());
      }
    }
    g.mig_layout = gpu->string_list("mig");
    if (!g.mig_layout.empty()) {
      const auto profiles = models::mig_profiles_for(g.memory_mib);
      if (!profiles) {
        gpu->error("mig", "MIG profiles are known for 40 GB and 80 GB GPUs (A100, H100)",
                   "set memoryMiB: 40960 or 81920, or drop mig");
      } else {
        std::vector<std::string> names;
        for (const auto& pr : *profiles) names.emplace_back(pr.name);
        std::int32_t compute = 0, memory = 0;
        bool known = true;
        for (const auto& want : g.mig_layout) {
          const models::MigProfile* found = nullptr;
          for (const auto& pr : *profiles) {
            if (pr.name == want) found = &pr;
          }
          if (found == nullptr) {
            known = false;
            gpu->error("mig", "unknown MIG profile \"" + want + "\" for a " +
                                  std::to_string(g.memory_mib) + " MiB GPU",
                       did_you_mean(want, names).empty()
                           ? "profiles: " + [&] {
                               std::string all;
                               for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
                               return all;
                             }()
                           : "did you mean '" + did_you_mean(want, names) + "'?");
            continue;
          }
          compute += found->compute_slices;
          memory += found->memory_slices;
        }
        if (known && (compute > 7 || memory > 8)) {
          gpu->error("mig", "the layout takes " + std::to_string(compute) + " compute and " +
                                std::to_string(memory) + " memory slices of 7 and 8",
                     "a GPU has 7 compute slices and 8 memory slices");
        }
      }
    }
    gpu->finish();
    pool.capacity.gpu = g.count;
    if (!g.mig_layout.empty()) {
      pool.capacity.gpu = 0;  // mixed strategy: MIG devices only
      for (const auto& profile : g.mig_layout) {
        const std::string resource = models::mig_resource(profile);
        pool.capacity.set(resource, pool.capacity.get(resource) + g.count);
      }
    }
    pool.gpu = g;
  }
  pool.labels = read_labels(p, "labels");
  pool.taints = read_taints(p);
  if (auto zones = p.raw("zones")) {
    pool.zones.clear();
    if (!zones->IsSequence() || zones->size() == 0) {
      p.error("zones", "expected a non-empty list of zone names");
    } else {
      for (const auto& z : *zones) {
        if (!z.IsScalar() || z.Scalar().empty()) {
          p.error("zones", "each zone is a non-empty name");
          continue;
        }
        pool.zones.push_back(z.Scalar());
      }
    }
  }
  pool.region = p.string("region").value_or("region-1");
  pool.racks_per_zone = static_cast<std::int32_t>(p.integer("racksPerZone", 1, 100'000).value_or(1));
  pool.cost_per_hour = p.number("costPerHour", 0, 1e9).value_or(0);
  read_images(p, "images", &pool.images, nullptr);
  if (auto k = p.map("kubelet")) {
    pool.kubelet = read_kubelet(*k);
  }
  pool.kubelet.default_image_bytes = default_image_bytes;
  if (auto d = read_duration_distribution(p, "provisioningDelay")) pool.provisioning_delay = *d;
  if (auto spot = p.map("spot")) {
    pool.spot_mean_time_to_reclaim = spot->duration("meanTimeToReclaim", sim::kSecond, true);
    spot->finish();
  }
  p.finish();
  return pool;
}

// A pool named by `key` of `r`, among `pools`; nullptr (and a diagnostic) when unknown.
const models::NodePool* pool_named(FieldReader& r, std::string_view key,
                                   const std::vector<models::NodePool>& pools) {
  auto name = r.string(key, true);
  if (!name) return nullptr;
  std::vector<std::string> names;
  for (const auto& p : pools) {
    if (p.name == *name) return &p;
    names.push_back(p.name);
  }
  const std::string guess = did_you_mean(*name, names);
  r.error(key, "no node pool \"" + *name + "\"",
          guess.empty() ? std::string("node groups name a pool of spec.cluster.nodePools")
                        : "did you mean '" + guess + "'?");
  return nullptr;
}

std::vector<std::string> expander_names() {
  std::vector<std::string> out;
  for (auto e : {policies::ExpanderName::kLeastWaste, policies::ExpanderName::kMostPods,
                 policies::ExpanderName::kLeastNodes, policies::ExpanderName::kPrice,
                 policies::ExpanderName::kPriority, policies::ExpanderName::kRandom}) {
    out.emplace_back(policies::to_string(e));
  }
  return out;
}

// spec.cluster.clusterAutoscaler: upstream's flags in camelCase (config/autoscaling_options.go).
ClusterAutoscalerSpec read_cluster_autoscaler(FieldReader& r,
                                              const std::vector<models::NodePool>& pools) {
  ClusterAutoscalerSpec spec;
  policies::ClusterAutoscalerOptions& o = spec.options;
  if (auto groups = r.list_of_maps("nodeGroups", true)) {
    std::set<std::string> seen;
    for (auto& g : *groups) {
      const models::NodePool* pool = pool_named(g, "pool", pools);
      const auto min = g.integer("min", 0, 100'000);
      const auto max = g.integer("max", 0, 100'000, true);
      g.finish();
      if (pool == nullptr) continue;
      if (!seen.insert(pool->name).second) {
        g.error("pool", "pool \"" + pool->name + "\" already has a node group");
        continue;
      }
      policies::NodeGroupSpec group;
      group.pool = *pool;
      group.min_size = static_cast<std::int32_t>(min.value_or(0));
      group.max_size = static_cast<std::int32_t>(max.value_or(0));
      if (group.min_size > group.max_size) {
        g.error("min", "min (" + std::to_string(group.min_size) + ") is above max (" +
                           std::to_string(group.max_size) + ")");
      }
      if (pool->count > group.max_size && max) {
        g.error("max", "the pool starts with " + std::to_string(pool->count) +
                           " nodes, more than max " + std::to_string(group.max_size),
                "raise max or lower the pool's count");
      }
      spec.node_groups.push_back(std::move(group));
    }
    if (groups->empty()) r.error("nodeGroups", "expected at least one node group");
  }
  if (auto raw = r.raw("expander")) {
    const std::vector<std::string> allowed = expander_names();
    std::vector<std::string> names;
    if (raw->IsScalar()) {
      // upstream --expander takes a comma-separated chain: "priority,least-waste".
      std::string text = raw->Scalar();
      std::size_t start = 0;
      while (start <= text.size()) {
        const std::size_t comma = text.find(',', start);
        names.push_back(text.substr(start, comma == std::string::npos ? std::string::npos
                                                                      : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (raw->IsSequence()) {
      for (const auto& e : *raw) names.push_back(e.IsScalar() ? e.Scalar() : std::string());
    } else {
      r.error("expander", "expected an expander name or a list of them");
    }
    o.expanders.clear();
    for (const auto& n : names) {
      if (auto e = policies::parse_expander_name(n)) {
        o.expanders.push_back(*e);
        continue;
      }
      const std::string guess = did_you_mean(n, allowed);
      r.error("expander", "unknown expander \"" + n + "\"",
              guess.empty() ? "expanders: least-waste, most-pods, least-nodes, price, priority, random"
                            : "did you mean '" + guess + "'?");
    }
    if (o.expanders.empty()) o.expanders = {policies::ExpanderName::kLeastWaste};
  }
  if (auto prio = r.raw("priorities")) {
    // upstream expander/priority ConfigMap: priority -> list of group-name regexes.
    if (!prio->IsMap()) {
      r.error("priorities", "expected a mapping of priorities to lists of regular expressions");
    } else {
      for (const auto& kv : *prio) {
        std::int32_t level = 0;
        try {
          level = kv.first.as<std::int32_t>();
        } catch (const YAML::Exception&) {
          r.error("priorities", "priority \"" + kv.first.Scalar() + "\" is not an integer");
          continue;
        }
        if (!kv.second.IsSequence()) {
          r.error("priorities", "priority " + std::to_string(level) + ": expected a list");
          continue;
        }
        for (const auto& re : kv.second) {
          if (!re.IsScalar()) continue;
          try {
            std::regex check(re.Scalar());
          } catch (const std::regex_error&) {
            r.error("priorities", "invalid regular expression \"" + re.Scalar() + "\"");
            continue;
          }
          o.expander_config.priorities[level].push_back(re.Scalar());
        }
      }
    }
  }
  bool uses_priority = false;
  for (auto e : o.expanders) uses_priority |= e == policies::ExpanderName::kPriority;
  if (uses_priority && o.expander_config.priorities.empty()) {
    r.error("expander", "the priority expander needs priorities",
            "add priorities: {10: [\"pool-a.*\"], 20: [\"pool-b.*\"]}");
  }
  if (auto price = r.map("priceModel")) {
    o.expander_config.price_per_cpu_hour =
        price->number("cpuPerHour", 0, 1e6).value_or(o.expander_config.price_per_cpu_hour);
    o.expander_config.price_per_gb_hour =
        price->number("memoryGiBPerHour", 0, 1e6).value_or(o.expander_config.price_per_gb_hour);
    o.expander_config.price_per_gpu_hour =
        price->number("gpuPerHour", 0, 1e6).value_or(o.expander_config.price_per_gpu_hour);
    price->finish();
  }
  auto dur = [&r](std::string_view key, sim::Duration& field, sim::Duration min = 0) {
    if (auto d = r.duration(key, min)) field = *d;
  };
  auto count = [&r](std::string_view key, std::int32_t& field, std::int64_t min) {
    if (auto v = r.integer(key, min, 1'000'000)) field = static_cast<std::int32_t>(*v);
  };
  auto flag = [&r](std::string_view key, bool& field) {
    if (auto v = r.boolean(key)) field = *v;
  };
  dur("scanInterval", o.scan_interval, sim::kMillisecond);
  count("maxNodesTotal", o.max_nodes_total, 0);
  // --cores-total / --memory-total "<min>:<max>", --gpu-total "<type>:<min>:<max>" (upstream
  // main.go parseMinMaxFlag / parseSingleGpuLimit: integers, 0 <= min <= max).
  auto min_max =
      [&r](std::string_view key, std::string_view text,
           std::int64_t max_value) -> std::optional<std::pair<std::int64_t, std::int64_t>> {
    const auto colon = text.find(':');
    std::int64_t min = -1, max = -1;
    auto number = [](std::string_view t, std::int64_t& v) {
      const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      return ec == std::errc() && end == t.data() + t.size();
    };
    if (colon == std::string_view::npos || !number(text.substr(0, colon), min) ||
        !number(text.substr(colon + 1), max) || min < 0 || max < min || max > max_value) {
      r.error(key,
              "\"" + std::string(text) +
                  "\" is not <min>:<max> with 0 <= min <= max <= " + std::to_string(max_value),
              "the flag's format, e.g. \"0:320000\"");
      return std::nullopt;
    }
    return std::pair{min, max};
  };
  constexpr std::int64_t kMaxGiB = std::int64_t{1} << 32;  // bytes stay within int64
  if (auto text = r.string("coresTotal")) {
    if (auto mm = min_max("coresTotal", *text, std::int64_t{1} << 40)) {
      std::tie(o.min_cores_total, o.max_cores_total) = *mm;
    }
  }
  if (auto text = r.string("memoryTotal")) {
    if (auto mm = min_max("memoryTotal", *text, kMaxGiB)) {
      o.min_memory_total = mm->first << 30;
      o.max_memory_total = mm->second << 30;
    }
  }
  for (const std::string& item : r.string_list("gpuTotal")) {
    const auto colon = item.find(':');
    if (colon == 0 || std::count(item.begin(), item.end(), ':') != 2) {
      r.error("gpuTotal", "\"" + item + "\" is not <gpu_type>:<min>:<max>",
              "the GPU type is the nodes' nvidia.com/gpu.product label, e.g. "
              "\"NVIDIA-H100-80GB-HBM3:0:64\"");
      continue;
    }
    policies::GpuTotalLimit g;
    g.type = item.substr(0, colon);
    if (auto mm = min_max("gpuTotal", std::string_view(item).substr(colon + 1), 1 << 30)) {
      std::tie(g.min, g.max) = *mm;
      if (std::any_of(o.gpu_total.begin(), o.gpu_total.end(),
                      [&](const auto& x) { return x.type == g.type; })) {
        r.error("gpuTotal", "GPU type \"" + g.type + "\" is limited twice");
        continue;
      }
      o.gpu_total.push_back(std::move(g));
    }
  }
  count("maxNodesPerScaleup", o.max_nodes_per_scaleup, 1);
  dur("newPodScaleUpDelay", o.new_pod_scale_up_delay);
  dur("maxNodeProvisionTime", o.max_node_provision_time, sim::kSecond);
  dur("initialNodeGroupBackoffDuration", o.initial_node_group_backoff_duration);
  dur("maxNodeGroupBackoffDuration", o.max_node_group_backoff_duration);
  dur("nodeGroupBackoffResetTimeout", o.node_group_backoff_reset_timeout);
  flag("scaleDownEnabled", o.scale_down_enabled);
  if (auto v = r.number("scaleDownUtilizationThreshold", 0, 1)) {
    o.scale_down_utilization_threshold = *v;
  }
  if (auto v = r.number("scaleDownGpuUtilizationThreshold", 0, 1)) {
    o.scale_down_gpu_utilization_threshold = *v;
  }
  dur("scaleDownUnneededTime", o.scale_down_unneeded_time);
  dur("scaleDownUnreadyTime", o.scale_down_unready_time);
  dur("scaleDownDelayAfterAdd", o.scale_down_delay_after_add);
  if (auto d = r.duration("scaleDownDelayAfterDelete", 0)) o.scale_down_delay_after_delete = *d;
  dur("scaleDownDelayAfterFailure", o.scale_down_delay_after_failure);
  dur("unremovableNodeRecheckTimeout", o.unremovable_node_recheck_timeout);
  count("maxScaleDownParallelism", o.max_scale_down_parallelism, 1);
  count("maxEmptyBulkDelete", o.max_empty_bulk_delete, 1);
  count("maxDrainParallelism", o.max_drain_parallelism, 1);
  count("maxBulkSoftTaintCount", o.max_bulk_soft_taint_count, 0);
  flag("scaleDownUnreadyEnabled", o.scale_down_unready_enabled);
  flag("skipNodesWithSystemPods", o.skip_nodes_with_system_pods);
  flag("skipNodesWithLocalStorage", o.skip_nodes_with_local_storage);
  if (o.max_node_group_backoff_duration < o.initial_node_group_backoff_duration) {
    r.error("maxNodeGroupBackoffDuration", "is below initialNodeGroupBackoffDuration");
  }
  r.finish();
  return spec;
}

// The fields of one Karpenter NodePool (spec.cluster.karpenter itself in the short form, or
// an entry of its nodePools).
constexpr std::string_view kNodePoolFields[] = {
    "offerings", "consolidationPolicy",    "consolidateAfter", "budgets", "expireAfter", "maxNodes",
    "limits",    "terminationGracePeriod", "templateUpdates"};

void read_karpenter_node_pool(FieldReader& r, const std::vector<models::NodePool>& pools,
                              policies::KarpenterNodePool& np) {
  policies::KarpenterNodePoolOptions& options = np.options;
  if (auto offerings = r.list_of_maps("offerings", true)) {
    std::set<std::string> seen;
    for (auto& o : *offerings) {
      const models::NodePool* pool = pool_named(o, "pool", pools);
      o.finish();
      if (pool == nullptr) continue;
      if (!seen.insert(pool->name).second) {
        o.error("pool", "pool \"" + pool->name + "\" is already an offering");
        continue;
      }
      policies::KarpenterOffering offering;
      offering.pool = *pool;
      offering.spot = pool->spot_mean_time_to_reclaim.has_value();
      np.offerings.push_back(std::move(offering));
    }
    if (offerings->empty()) r.error("offerings", "expected at least one offering");
  }
  if (auto policy = r.one_of("consolidationPolicy", {"WhenEmpty", "WhenEmptyOrUnderutilized"})) {
    options.consolidation_policy = *policy == "WhenEmpty"
                                       ? policies::ConsolidationPolicy::kWhenEmpty
                                       : policies::ConsolidationPolicy::kWhenEmptyOrUnderutilized;
  }
  // A duration, or "Never" (NodePool spec.disruption.consolidateAfter,
  // spec.template.spec.expireAfter).
  auto duration_or_never = [&r](std::string_view key, std::optional<sim::Duration>& field) {
    if (!r.has(key)) return;
    if (r.node()[std::string(key)].IsScalar() && r.node()[std::string(key)].Scalar() == "Never") {
      (void)r.raw(key);
      field.reset();
    } else if (auto d = r.duration(key, 0)) {
      field = *d;
    }
  };
  duration_or_never("consolidateAfter", options.consolidate_after);
  duration_or_never("expireAfter", options.expire_after);
  if (auto budgets = r.list_of_maps("budgets")) {
    options.budgets.clear();
    if (budgets->size() > 50) r.error("budgets", "at most 50 budgets (NodePool validation)");
    for (auto& b : *budgets) {
      policies::DisruptionBudget budget;
      if (auto nodes = b.string("nodes", true)) {
        // ^((100|[0-9]{1,2})%|[0-9]+)$
        static const std::regex kNodes("^((100|[0-9]{1,2})%|[0-9]+)$");
        if (!std::regex_match(*nodes, kNodes) || nodes->size() > 9) {
          b.error(
              "nodes",
              "\"" + *nodes + "\" is not a node count (at most 999999999) or a percentage 0%..100%",
              "e.g. \"10%\" or \"5\"");
        } else {
          budget.percent = nodes->back() == '%';
          budget.nodes = std::stoi(budget.percent ? nodes->substr(0, nodes->size() - 1) : *nodes);
        }
      }
      if (b.has("reasons")) {
        for (const std::string& reason : b.string_list("reasons")) {
          if (reason == "Empty") {
            budget.reasons.push_back(policies::DisruptionReason::kEmpty);
          } else if (reason == "Underutilized") {
            budget.reasons.push_back(policies::DisruptionReason::kUnderutilized);
          } else if (reason == "Drifted") {
            budget.reasons.push_back(policies::DisruptionReason::kDrifted);
          } else {
            b.error("reasons", "unknown disruption reason \"" + reason + "\"",
                    "one of Empty, Underutilized, Drifted");
          }
        }
      }
      // schedule (cron, UTC) and duration (hours and minutes), both or neither; the run's
      // calendar starts at spec.startTime.
      if (b.has("schedule") != b.has("duration")) {
        b.error(b.has("schedule") ? "schedule" : "duration",
                "schedule and duration go together (NodePool validation)",
                "e.g. schedule: \"0 9 * * mon-fri\", duration: 8h");
        (void)b.raw("schedule");
        (void)b.raw("duration");
      } else if (b.has("schedule")) {
        if (auto text = b.string("schedule")) {
          auto parsed = sim::CronSchedule::parse(*text);
          if (parsed) {
            budget.schedule = *parsed;
          } else {
            b.error("schedule", "\"" + *text + "\": " + parsed.error(),
                    "five fields (minute hour day-of-month month day-of-week, UTC) or a "
                    "descriptor such as @daily");
          }
        }
        if (auto d = b.duration("duration", sim::kMinute)) {
          if (*d % sim::kMinute != 0) {
            b.error("duration", "must be whole minutes (NodePool validation: hours and minutes)");
          } else {
            budget.duration = *d;
          }
        }
      }
      b.finish();
      options.budgets.push_back(std::move(budget));
    }
  }
  if (auto v = r.integer("maxNodes", 0, 1'000'000))
    options.max_nodes = static_cast<std::int32_t>(*v);
  // NodePool spec.limits: {cpu: "64", memory: 256Gi, nvidia.com/gpu: "16"}.
  if (auto limits = r.resource_list("limits")) {
    if (r.node()["limits"].size() == 0) {
      r.error("limits", "lists no resource", "e.g. {cpu: \"64\", memory: 256Gi}");
    } else {
      options.limits = std::move(*limits);
    }
  }
  if (auto d = r.duration("terminationGracePeriod", 0)) options.termination_grace_period = *d;
  // When the NodePool's template changes (static drift): [{at: 2h}, ...].
  if (auto updates = r.list_of_maps("templateUpdates")) {
    for (auto& u : *updates) {
      if (auto at = u.duration("at", 0, true)) options.template_updates.push_back(*at);
      u.finish();
    }
    std::sort(options.template_updates.begin(), options.template_updates.end());
  }
}

// spec.cluster.karpenter: the NodePools (one, "default", in the short form) and the
// controller's settings.
KarpenterSpec read_karpenter(FieldReader& r, const std::vector<models::NodePool>& pools) {
  KarpenterSpec spec;
  if (r.has("nodePools")) {
    for (std::string_view key : kNodePoolFields) {
      if (r.has(key)) {
        r.error(key, "give NodePool fields in nodePools[] entries when nodePools is given",
                "move " + std::string(key) + " into the NodePool it is for");
        (void)r.raw(key);
      }
    }
    if (auto entries = r.list_of_maps("nodePools", true)) {
      if (entries->empty()) r.error("nodePools", "expected at least one NodePool");
      std::map<std::string, std::string, std::less<>> owner;  // pool → NodePool
      std::set<std::string, std::less<>> names;
      for (auto& e : *entries) {
        policies::KarpenterNodePool np;
        if (auto name = e.string("name", true)) {
          static const std::regex kName("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
          if (!std::regex_match(*name, kName) || name->size() > 63) {
            e.error("name", "\"" + *name + "\" is not a valid NodePool name",
                    "lower-case letters, digits and '-', at most 63, e.g. gpu-spot");
          } else if (!names.insert(*name).second) {
            e.error("name", "duplicate NodePool name \"" + *name + "\"");
          }
          np.name = *name;
        }
        // NodePool spec.weight: optional, 1..100 (absent: 0, tried last).
        if (auto w = e.integer("weight", 1, 100)) np.weight = static_cast<std::int32_t>(*w);
        read_karpenter_node_pool(e, pools, np);
        for (const policies::KarpenterOffering& o : np.offerings) {
          auto [it, inserted] = owner.emplace(o.name(), np.name);
          if (!inserted) {
            e.error("offerings",
                    "pool \"" + o.name() + "\" is already an offering of NodePool \"" + it->second +
                        "\"",
                    "each pool belongs to one NodePool; define another pool of the same shape");
          }
        }
        e.finish();
        spec.node_pools.push_back(std::move(np));
      }
    }
  } else {
    policies::KarpenterNodePool np;
    read_karpenter_node_pool(r, pools, np);
    spec.node_pools.push_back(std::move(np));
  }
  if (auto v = r.boolean("spotToSpotConsolidation")) spec.options.spot_to_spot_consolidation = *v;
  if (auto d = r.duration("registrationTTL", sim::kSecond)) spec.options.registration_ttl = *d;
  if (auto packing = r.one_of("packing", {"nodeClaims", "cheapestPerPod"})) {
    spec.options.packing = *packing == "nodeClaims" ? policies::KarpenterPacking::kNodeClaims
                                                    : policies::KarpenterPacking::kCheapestPerPod;
  }
  if (auto d = r.duration("batchMaxDuration", sim::kMillisecond))
    spec.options.batch_max_duration = *d;
  r.finish();
  return spec;
}

}  // namespace

ClusterSpec read_cluster_spec(FieldReader& cluster, const std::string& base_dir) {
  ClusterSpec spec;
  const std::int64_t default_image =
      quantity(cluster, "defaultImageSize", "memory").value_or(500LL * 1024 * 1024);
  read_images(cluster, "images", nullptr, &spec.image_bytes);
  if (auto from = cluster.list_of_maps("nodesFrom")) {
    for (auto& f : *from) {
      if (auto nodes = read_trace_nodes(f, base_dir)) spec.trace_nodes.push_back(std::move(*nodes));
    }
  }
  const bool has_trace_nodes = cluster.has("nodesFrom");
  if (auto pools = cluster.list_of_maps("nodePools", !has_trace_nodes)) {
    std::set<std::string> names;
    for (auto& p : *pools) {
      auto pool = read_pool(p, default_image);
      if (!pool) continue;
      if (!names.insert(pool->name).second) {
        p.error("name", "duplicate node pool name \"" + pool->name + "\"");
      }
      if (!(pool->reserved.fits_in(pool->capacity))) {
        p.error("reserved", "reserves more than the node has");
      }
      spec.node_pools.push_back(std::move(*pool));
    }
  }
  if (auto d = cluster.duration("maxGracefulTerminationSec", 0)) spec.max_graceful_termination = *d;
  if (auto ca = cluster.map("clusterAutoscaler")) {
    spec.cluster_autoscaler = read_cluster_autoscaler(*ca, spec.node_pools);
  }
  if (auto k = cluster.map("karpenter")) {
    spec.karpenter = read_karpenter(*k, spec.node_pools);
    if (spec.cluster_autoscaler) {
      k->error_here("give clusterAutoscaler or karpenter, not both",
                    "two node autoscalers would fight over the same pools");
    }
  }
  cluster.finish();
  return spec;
}

ControlPlaneSpec read_control_plane_spec(FieldReader& cp, const std::string& base_dir) {
  ControlPlaneSpec spec;
  spec.scheduler = default_scheduler_config();
  if (auto api = cp.map("apiServer")) {
    auto& l = spec.api_server.limits;
    l.replicas = static_cast<int>(api->integer("replicas", 1, 64).value_or(1));
    l.max_requests_inflight =
        static_cast<int>(api->integer("maxRequestsInflight", 0, 1'000'000).value_or(400));
    l.max_mutating_requests_inflight =
        static_cast<int>(api->integer("maxMutatingRequestsInflight", 0, 1'000'000).value_or(200));
    if (auto d = read_duration_distribution(*api, "watchDelay")) spec.api_server.watch_delay = *d;
    if (auto lat = api->map("latency")) {
      static const std::vector<std::pair<const char*, models::ApiVerb>> kVerbs = {
          {"get", models::ApiVerb::kGet},       {"list", models::ApiVerb::kList},
          {"create", models::ApiVerb::kCreate}, {"update", models::ApiVerb::kUpdate},
          {"patch", models::ApiVerb::kPatch},   {"delete", models::ApiVerb::kDelete}};
      for (const auto& [name, verb] : kVerbs) {
        if (auto d = read_duration_distribution(*lat, name)) {
          l.latency[static_cast<std::size_t>(verb)] = *d;
        }
      }
      lat->finish();
    }
    api->finish();
  }
  if (auto etcd = cp.map("etcd")) {
    auto& e = spec.api_server.etcd;
    e.members = static_cast<int>(etcd->integer("members", 1, 7).value_or(3));
    if (auto d = read_duration_distribution(*etcd, "commitLatency")) e.commit_latency = *d;
    e.max_batch_proposals =
        static_cast<int>(etcd->integer("maxBatchProposals", 1, 1'000'000).value_or(70));
    if (auto q = quantity(*etcd, "quotaBackendBytes", "memory")) e.quota_backend_bytes = *q;
    if (auto h = etcd->duration("heartbeatInterval", sim::kMillisecond)) e.heartbeat_interval = *h;
    e.election_ticks = static_cast<int>(etcd->integer("electionTicks", 1, 1000).value_or(10));
    etcd->finish();
  }
  if (auto s = cp.map("scheduler")) {
    if (auto inline_config = s->raw("config")) {
      Diagnostics* diags = s->diagnostics();
      if (auto config = read_scheduler_config(*inline_config, s->file(), *diags)) {
        spec.scheduler = *config;
      }
    }
    if (auto file = s->string("configFile")) {
      if (s->has("config")) {
        s->error("configFile", "give either config or configFile, not both");
      } else {
        std::filesystem::path path(*file);
        if (path.is_relative()) path = std::filesystem::path(base_dir) / path;
        std::ifstream in(path, std::ios::binary);
        if (!in) {
          s->error("configFile", "cannot open " + path.string(),
                   "relative paths are from the scenario file's directory");
        } else {
          std::ostringstream text;
          text << in.rdbuf();
          auto docs = load_yaml_documents(text.str(), path.string(), *s->diagnostics());
          if (docs && docs->size() != 1) {
            s->error("configFile", path.string() + " must hold exactly one YAML document");
          } else if (docs) {
            if (auto config = read_scheduler_config(docs->front(), path.string(), *s->diagnostics())) {
              spec.scheduler = *config;
            }
          }
        }
      }
    }
    if (auto d = read_duration_distribution(*s, "decisionLatency")) {
      spec.scheduler_decision_latency = *d;
    }
    if (auto policy = s->one_of("gpuPolicy", gpu_policy_names())) {
      if (s->has("config") || s->has("configFile")) {
        s->error("gpuPolicy", "give gpuPolicy or a scheduler configuration, not both",
                 "a configuration can enable the GPU plugins itself (docs/gpu-sharing.md)");
      } else {
        spec.scheduler = gpu_policy_scheduler_config(*policy);
      }
    }
    if (auto tie = s->one_of("tieBreak", {"random", "nodeRank"})) {
      spec.scheduler.tie_break_by_node_rank = *tie == "nodeRank";
    }
    if (auto file = s->string("nodeRanksFile")) {
      if (!spec.scheduler.tie_break_by_node_rank) {
        s->error("nodeRanksFile", "node ranks are only used with tieBreak: nodeRank");
      } else {
        std::filesystem::path path(*file);
        if (path.is_relative()) path = std::filesystem::path(base_dir) / path;
        read_node_rank_csv(path.lexically_normal().string(), spec.node_ranks, *s->diagnostics());
      }
    }
    if (auto qps = s->number("kubeAPIQPS", 0.001, 1e6)) spec.scheduler_rate_limit.qps = *qps;
    if (auto burst = s->integer("kubeAPIBurst", 1, 1'000'000)) {
      spec.scheduler_rate_limit.burst = static_cast<int>(*burst);
    }
    s->finish();
  }
  if (auto cm = cp.map("controllerManager")) {
    auto& c = spec.controller_manager;
    if (auto d = cm->duration("nodeMonitorPeriod", sim::kMillisecond)) c.node_monitor_period = *d;
    if (auto d = cm->duration("syncWindow", 0)) c.sync_window = *d;
    if (auto d = cm->duration("nodeMonitorGracePeriod", sim::kSecond)) c.node_monitor_grace_period = *d;
    if (auto d = cm->duration("nodeStartupGracePeriod", sim::kSecond)) c.node_startup_grace_period = *d;
    c.node_eviction_rate = cm->number("nodeEvictionRate", 0, 1e6).value_or(0.1);
    c.secondary_node_eviction_rate = cm->number("secondaryNodeEvictionRate", 0, 1e6).value_or(0.01);
    c.unhealthy_zone_threshold = cm->number("unhealthyZoneThreshold", 0, 1).value_or(0.55);
    c.large_cluster_size_threshold =
        static_cast<std::int32_t>(cm->integer("largeClusterSizeThreshold", 0, 1'000'000).value_or(50));
    c.terminated_pod_gc_threshold = static_cast<std::int32_t>(
        cm->integer("terminatedPodGCThreshold", 0, 100'000'000).value_or(12500));
    c.default_not_ready_toleration_seconds =
        cm->integer("defaultNotReadyTolerationSeconds", 0, 1'000'000'000).value_or(300);
    c.default_unreachable_toleration_seconds =
        cm->integer("defaultUnreachableTolerationSeconds", 0, 1'000'000'000).value_or(300);
    if (auto qps = cm->number("kubeAPIQPS", 0.001, 1e6)) c.rate_limit.qps = *qps;
    if (auto burst = cm->integer("kubeAPIBurst", 1, 1'000'000)) c.rate_limit.burst = static_cast<int>(*burst);
    cm->finish();
  }
  cp.finish();
  if (auto s = models::ApiServer::validate(spec.api_server); !s.ok()) {
    cp.error_here(s.message());
  }
  return spec;
}

std::vector<FaultSpec> read_faults(std::vector<FieldReader>& faults, const ClusterSpec* cluster,
                                   const ControlPlaneSpec& control_plane) {
  std::vector<FaultSpec> out;
  for (auto& f : faults) {
    FaultSpec spec;
    spec.path = f.path();
    spec.at = f.duration("at", 0, true).value_or(0);
    auto type = f.one_of("type", {"nodeFailure", "etcdLeaderLoss", "etcdMemberLoss",
                                  "apiServerReplicaLoss"},
                         true);
    spec.recover_after = f.duration("recoverAfter", 0);
    if (type == "nodeFailure") {
      spec.type = FaultType::kNodeFailure;
      if (auto nodes = f.raw("nodes")) {
        if (!nodes->IsSequence()) {
          f.error("nodes", "expected a list of node names");
        } else {
          for (const auto& n : *nodes) {
            if (!n.IsScalar() || n.Scalar().empty()) {
              f.error("nodes", "each entry is a node name");
              continue;
            }
            spec.nodes.push_back(n.Scalar());
          }
        }
      }
      spec.count = static_cast<std::int32_t>(f.integer("count", 1, 1'000'000).value_or(0));
      spec.pool = f.string("pool").value_or("");
      spec.zone = f.string("zone").value_or("");
      spec.mean_time_between_failures = f.duration("meanTimeBetweenFailures", sim::kSecond);
      const int ways = (spec.nodes.empty() ? 0 : 1) + (spec.count > 0 ? 1 : 0) +
                       (spec.zone.empty() ? 0 : 1) + (spec.mean_time_between_failures ? 1 : 0);
      if (ways != 1) {
        f.error_here("a nodeFailure names its nodes one way: nodes, count (with optional pool), "
                     "zone, or meanTimeBetweenFailures (with optional pool)");
      } else if (!spec.pool.empty() && spec.count == 0 && !spec.mean_time_between_failures) {
        f.error("pool", "pool only narrows count or meanTimeBetweenFailures",
                "use count with pool, or list the nodes");
      }
      if (cluster != nullptr) {
        std::vector<std::string> pools, zones;
        for (const auto& p : cluster->node_pools) {
          pools.push_back(p.name);
          for (const auto& z : p.zones) {
            if (std::find(zones.begin(), zones.end(), z) == zones.end()) zones.push_back(z);
          }
        }
        if (!spec.pool.empty() && std::find(pools.begin(), pools.end(), spec.pool) == pools.end()) {
          const std::string guess = did_you_mean(spec.pool, pools);
          f.error("pool", "no node pool \"" + spec.pool + "\"",
                  guess.empty() ? std::string() : "did you mean '" + guess + "'?");
        }
        if (!spec.zone.empty() && std::find(zones.begin(), zones.end(), spec.zone) == zones.end()) {
          const std::string guess = did_you_mean(spec.zone, zones);
          f.error("zone", "no node pool is in zone \"" + spec.zone + "\"",
                  guess.empty() ? std::string() : "did you mean '" + guess + "'?");
        }
      }
    } else if (type == "etcdLeaderLoss") {
      spec.type = FaultType::kEtcdLeaderLoss;
    } else if (type == "etcdMemberLoss") {
      spec.type = FaultType::kEtcdMemberLoss;
      spec.member = static_cast<std::int32_t>(f.integer("member", 0, 6, true).value_or(0));
      if (spec.member >= control_plane.api_server.etcd.members) {
        f.error("member", "etcd has " + std::to_string(control_plane.api_server.etcd.members) +
                              " members (0.." +
                              std::to_string(control_plane.api_server.etcd.members - 1) + ")");
      }
    } else if (type == "apiServerReplicaLoss") {
      spec.type = FaultType::kApiServerReplicaLoss;
      spec.replica = static_cast<std::int32_t>(f.integer("replica", 0, 63, true).value_or(0));
      if (spec.replica >= control_plane.api_server.limits.replicas) {
        f.error("replica", "the API server has " +
                               std::to_string(control_plane.api_server.limits.replicas) +
                               " replicas (0.." +
                               std::to_string(control_plane.api_server.limits.replicas - 1) + ")");
      }
    }
    f.finish();
    out.push_back(std::move(spec));
  }
  return out;
}

}  // namespace kubesim::scenarios
