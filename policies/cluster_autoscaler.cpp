#include "policies/cluster_autoscaler.hpp"

// GCC 12 at -O2 with -fsanitize=address,undefined reports -Wmaybe-uninitialized inside
// <regex>'s std::function members (libstdc++'s regex compiler; a known false positive,
// GCC bug 105562); the diagnostic is emitted at this file's instantiation, so it is silenced
// for the file.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <algorithm>
#include <cmath>
#include <limits>
#include <regex>
#include <utility>

namespace kubesim::policies {

namespace sched = models::sched;
using PodInfoPtr = std::shared_ptr<const sched::PodInfo>;

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
// upstream core/static_autoscaler.go: unschedulablePodTimeBuffer.
constexpr sim::Duration kUnschedulablePodTimeBuffer = 2 * sim::kSecond;

std::vector<std::vector<PodInfoPtr>> equivalence_groups(std::span<const PodInfoPtr> pods) {
  std::vector<std::vector<PodInfoPtr>> groups;
  std::map<std::string, std::size_t> index;
  for (const PodInfoPtr& p : pods) {
    auto [it, inserted] = index.emplace(pod_equivalence_key(*p), groups.size());
    if (inserted) groups.emplace_back();
    groups[it->second].push_back(p);
  }
  return groups;
}

// Σ container requests (upstream expander/waste resourcesForPods reads spec.containers only).
std::pair<std::int64_t, std::int64_t> container_requests(const models::Pod& pod) {
  std::int64_t cpu = 0, mem = 0;
  for (const models::Container& c : pod.spec.containers) {
    cpu += c.requests.cpu_milli;
    mem += c.requests.memory;
  }
  return {cpu, mem};
}

double gce_node_price(const models::ResourceList& capacity, const ExpanderConfig& config) {
  return static_cast<double>(capacity.cpu_milli) / 1000.0 * config.price_per_cpu_hour +
         static_cast<double>(capacity.memory) / kGiB * config.price_per_gb_hour +
         static_cast<double>(capacity.gpu) * config.price_per_gpu_hour;
}

double group_price(const NodeGroupSpec& g, const models::Node& tmpl, const ExpanderConfig& config) {
  return g.pool.cost_per_hour > 0 ? g.pool.cost_per_hour
                                  : gce_node_price(tmpl.status.capacity, config);
}

// What one node adds to the cluster totals the resource limits count (upstream
// GetNodeCoresAndMemory: its capacity, cpu rounded up to whole cores; GPU targets: the
// nvidia.com/gpu capacity under the node's GPU type).
struct ResourceDelta {
  std::int64_t cores = 0;
  std::int64_t memory = 0;
  std::string gpu_type;  // empty: no GPU limit applies
  std::int64_t gpus = 0;
};

ResourceDelta resource_delta(const models::Node& node) {
  ResourceDelta d;
  d.cores = (node.status.capacity.cpu_milli + 999) / 1000;
  d.memory = node.status.capacity.memory;
  d.gpus = node.status.capacity.gpu;
  if (d.gpus > 0) d.gpu_type = std::string(node.metadata.labels.get(models::kLabelGpuProduct));
  return d;
}

// Per limited resource ("cpu" in cores, "memory" in bytes, a GPU type in devices), how much
// the cluster may still gain (scale-up: max − total) or lose (scale-down: total − min);
// a resource without an entry is not limited (upstream resource.Limits).
class ResourcesLeft {
 public:
  void add_limit(std::string name, std::int64_t left) {
    left_.emplace_back(std::move(name), std::max<std::int64_t>(0, left));
  }
  // The resources `count` nodes like `d` would exceed (CheckDeltaWithinLimits), joined by
  // ", "; empty when none.
  std::string exceeded(const ResourceDelta& d, std::int64_t count = 1) const {
    std::string out;
    for (const auto& [name, left] : left_) {
      const std::int64_t per_node = amount(d, name);
      if (per_node > 0 && per_node * count > left) out += (out.empty() ? "" : ", ") + name;
    }
    return out;
  }
  // ApplyLimits: the largest count <= `count` of nodes like `d` within every limit.
  std::int64_t cap(const ResourceDelta& d, std::int64_t count) const {
    for (const auto& [name, left] : left_) {
      const std::int64_t per_node = amount(d, name);
      if (per_node > 0 && per_node * count > left) count = left / per_node;
    }
    return count;
  }
  // TryDecrementBy: takes one node like `d` when it is within every limit.
  bool try_take(const ResourceDelta& d) {
    if (!exceeded(d).empty()) return false;
    for (auto& [name, left] : left_) left -= amount(d, name);
    return true;
  }

 private:
  static std::int64_t amount(const ResourceDelta& d, std::string_view name) {
    if (name == models::kResourceCpu) return d.cores;
    if (name == models::kResourceMemory) return d.memory;
    return name == d.gpu_type ? d.gpus : 0;
  }
  std::vector<std::pair<std::string, std::int64_t>> left_;
};

// The cluster totals of `nodes` per limited resource, and the limits of `options` as
// ResourcesLeft: headroom below each max (scale_up: true) or above each min.
ResourcesLeft resources_left(const ClusterAutoscalerOptions& options,
                             std::span<const std::pair<ResourceDelta, std::int64_t>> nodes,
                             bool scale_up) {
  std::int64_t cores = 0, memory = 0;
  std::map<std::string, std::int64_t, std::less<>> gpus;
  for (const auto& [d, count] : nodes) {
    cores += d.cores * count;
    memory += d.memory * count;
    if (!d.gpu_type.empty()) gpus[d.gpu_type] += d.gpus * count;
  }
  ResourcesLeft left;
  auto limit = [&](std::string name, std::int64_t total, std::int64_t min, std::int64_t max) {
    if (scale_up && max > 0) left.add_limit(std::move(name), max - total);
    if (!scale_up && min > 0) left.add_limit(std::move(name), total - min);
  };
  limit(std::string(models::kResourceCpu), cores, options.min_cores_total, options.max_cores_total);
  limit(std::string(models::kResourceMemory), memory, options.min_memory_total,
        options.max_memory_total);
  for (const GpuTotalLimit& g : options.gpu_total) {
    auto it = gpus.find(g.type);
    limit(g.type, it == gpus.end() ? 0 : it->second, g.min, g.max);
  }
  return left;
}

bool is_gpu_node(const models::Node& node) {
  return node.status.allocatable.gpu > 0 || node.status.capacity.gpu > 0 ||
         node.metadata.labels.contains(models::kLabelGpuProduct);
}

}  // namespace

void copy_snapshot(const sched::Snapshot& from, sched::Snapshot& to) {
  for (const sched::NodeInfo* n : from.nodes()) {
    sched::NodeInfo& ni = to.upsert_node(n->node_ptr());
    for (const PodInfoPtr& p : n->pods()) ni.add_pod(p);
  }
}

std::shared_ptr<const models::Node> renamed_node(const models::Node& base, std::string name) {
  auto n = std::make_shared<models::Node>(base);
  n->metadata.name = name;
  n->metadata.uid = "node-" + name;
  n->metadata.labels.set(std::string(models::kLabelHostname), std::move(name));
  return n;
}

std::string pod_equivalence_key(const sched::PodInfo& p) {
  const models::OwnerReference* owner = p.pod->metadata.controller_ref();
  std::string key = owner ? "c:" + owner->uid + "/" + owner->name : "p:" + p.key();
  key += "|" + p.requests.to_string();
  return key;
}

PodInfoPtr unbound(const PodInfoPtr& pod) {
  if (!pod->pod->bound()) return pod;
  auto copy = std::make_shared<models::Pod>(*pod->pod);
  copy->spec.node_name.clear();
  copy->spec.gpu_device_ids.clear();  // devices are chosen again on the new node
  return sched::PodInfo::make(std::move(copy));
}

// ---- FilterSimulator ----------------------------------------------------------------------

FilterSimulator::FilterSimulator(std::unique_ptr<sched::Framework> framework, std::uint64_t seed)
    : framework_(std::move(framework)), rng_(seed) {}

bool FilterSimulator::prepare(const sched::PodInfo& pod, const sched::Snapshot& snapshot) {
  prepared_ = false;
  if (snapshot.size() == 0) return false;
  // schedule() runs PreFilter and Filter; the PreFilter state it leaves in state_ is what
  // run_filter() needs (upstream CheckPredicates runs PreFilter before each Filter).
  state_ = framework_->new_cycle_state();
  sched::ScheduleResult r = framework_->schedule(state_, pod, snapshot, rng_);
  if (r.node != nullptr) {
    prepared_ = true;
    return true;
  }
  if (r.status.code == sched::Code::kError) return false;
  // No node fits: tell a PreFilter rejection (no state to filter with) from Filter ones.
  state_ = framework_->new_cycle_state();
  sched::CycleDiagnosis diagnosis;
  r = framework_->schedule(state_, pod, snapshot, rng_, &diagnosis);
  if (r.status.code == sched::Code::kError || !diagnosis.pre_filter_status.ok()) return false;
  prepared_ = true;
  return true;
}

bool FilterSimulator::fits(const sched::PodInfo& pod, const sched::NodeInfo& node) {
  return prepared_ && framework_->run_filter(state_, pod, node).ok();
}

sched::NodeInfo* FilterSimulator::first_fit(
    const sched::PodInfo& pod, sched::Snapshot& snapshot,
    const std::function<bool(const sched::NodeInfo&)>& eligible) {
  if (!prepare(pod, snapshot)) return nullptr;
  for (sched::NodeInfo* ni : snapshot.nodes()) {
    if ((!eligible || eligible(*ni)) && fits(pod, *ni)) return ni;
  }
  return nullptr;
}

sim::Result<std::unique_ptr<sched::Framework>> make_filter_framework(const Registry& registry,
                                                                     const SchedulerConfig& config,
                                                                     SchedulerProfile profile,
                                                                     const PluginContext& context) {
  for (ExtensionPoint p :
       {ExtensionPoint::kPostFilter, ExtensionPoint::kPreScore, ExtensionPoint::kScore,
        ExtensionPoint::kReserve, ExtensionPoint::kPermit}) {
    profile.plugins[static_cast<std::size_t>(p)].clear();
  }
  profile.score_weights.clear();
  return build_framework(registry, config, profile, context);
}

// ---- Drain rules and utilization ----------------------------------------------------------

PodDrainVerdict drain_verdict(const models::Pod& pod, const DrainContext& context,
                              std::string* reason) {
  auto block = [&](const char* why) {
    if (reason) *reason = why;
    return PodDrainVerdict::kBlock;
  };
  const models::Labels& ann = pod.metadata.annotations;
  // Mirror (static) pods and pods that already finished or are being deleted stay.
  if (ann.contains(kMirrorPodAnnotation) || pod.terminal() || pod.metadata.being_deleted()) {
    return PodDrainVerdict::kSkip;
  }
  const models::OwnerReference* owner = pod.metadata.controller_ref();
  const bool daemonset = owner && owner->kind == "DaemonSet";
  if (daemonset) return PodDrainVerdict::kSkip;
  std::optional<bool> pdb;
  if (context.pdb_allows_eviction) pdb = context.pdb_allows_eviction(pod);

  if (context.karpenter_rules) {
    // Karpenter (docs: concepts/disruption, "Pod-Level Controls"): do-not-disrupt and a PDB
    // that allows no disruption keep the node; any other pod is evicted.
    if (ann.get(kDoNotDisruptAnnotation) == "true") return block("DoNotDisruptAnnotation");
    if (pdb && !*pdb) return block("NotEnoughPdb");
    return PodDrainVerdict::kMove;
  }
  // upstream simulator/drainability/rules: safe-to-evict=true wins over the blockers below.
  if (ann.get(kSafeToEvictAnnotation) == "true") return PodDrainVerdict::kMove;
  if (ann.get(kSafeToEvictAnnotation) == "false") return block("NotSafeToEvictAnnotation");
  if (context.skip_nodes_with_local_storage && context.uses_local_storage &&
      context.uses_local_storage(pod)) {
    return block("LocalStorageRequested");
  }
  if (pdb && !*pdb) return block("NotEnoughPdb");
  if (context.skip_nodes_with_system_pods && pod.metadata.namespace_ == "kube-system" && !pdb) {
    return block("UnmovableKubeSystemPod");
  }
  if (owner == nullptr) return block("NotReplicated");
  return PodDrainVerdict::kMove;
}

RemainingPdbs::RemainingPdbs(
    std::span<const std::shared_ptr<const models::PodDisruptionBudget>> pdbs)
    : pdbs_(pdbs.begin(), pdbs.end()) {
  remaining_.reserve(pdbs_.size());
  for (const auto& pdb : pdbs_) remaining_.push_back(pdb->status.disruptions_allowed);
}

std::optional<bool> RemainingPdbs::allows(const models::Pod& pod) const {
  std::optional<bool> allows;
  for (std::size_t i = 0; i < pdbs_.size(); ++i) {
    if (!models::pdb_guards_eviction(*pdbs_[i], pod)) continue;
    allows = allows.value_or(true) && remaining_[i] >= 1;
  }
  return allows;
}

void RemainingPdbs::remove_pod(const models::Pod& pod) {
  for (std::size_t i = 0; i < pdbs_.size(); ++i) {
    if (models::pdb_guards_eviction(*pdbs_[i], pod)) --remaining_[i];
  }
}

NodeUtilization node_utilization(const sched::NodeInfo& node) {
  NodeUtilization u;
  const models::ResourceList& alloc = node.allocatable();
  const models::ResourceList& req = node.requested();
  auto ratio = [](std::int64_t r, std::int64_t a) {
    return a > 0 ? static_cast<double>(r) / static_cast<double>(a) : 0.0;
  };
  u.cpu = ratio(req.cpu_milli, alloc.cpu_milli);
  u.memory = ratio(req.memory, alloc.memory);
  u.gpu = ratio(req.gpu, alloc.gpu);
  u.gpu_node = is_gpu_node(node.node());
  if (u.gpu_node) {
    u.utilization = u.gpu;
    u.resource = models::kResourceGpu;
  } else if (u.memory > u.cpu) {
    u.utilization = u.memory;
    u.resource = models::kResourceMemory;
  } else {
    u.utilization = u.cpu;
    u.resource = models::kResourceCpu;
  }
  return u;
}

// ---- Expanders ----------------------------------------------------------------------------

std::shared_ptr<const models::Node> template_node(const models::NodePool& pool, std::string name,
                                                  sim::Time now) {
  models::NodePool one = pool;
  one.count = 1;
  std::vector<models::Node> nodes = models::make_nodes(one, now);
  return renamed_node(nodes.front(), std::move(name));
}

std::string_view to_string(ExpanderName name) {
  switch (name) {
    case ExpanderName::kRandom:
      return "random";
    case ExpanderName::kMostPods:
      return "most-pods";
    case ExpanderName::kLeastWaste:
      return "least-waste";
    case ExpanderName::kLeastNodes:
      return "least-nodes";
    case ExpanderName::kPrice:
      return "price";
    case ExpanderName::kPriority:
      return "priority";
  }
  return "random";
}

std::optional<ExpanderName> parse_expander_name(std::string_view text) {
  for (ExpanderName n :
       {ExpanderName::kRandom, ExpanderName::kMostPods, ExpanderName::kLeastWaste,
        ExpanderName::kLeastNodes, ExpanderName::kPrice, ExpanderName::kPriority}) {
    if (to_string(n) == text) return n;
  }
  return std::nullopt;
}

double pod_price_per_hour(const models::Pod& pod, const ExpanderConfig& config) {
  const models::ResourceList r = pod.requests();
  return static_cast<double>(r.cpu_milli) / 1000.0 * config.price_per_cpu_hour +
         static_cast<double>(r.memory) / kGiB * config.price_per_gb_hour +
         static_cast<double>(r.gpu) * config.price_per_gpu_hour;
}

std::int64_t preferred_node_milli_cpu(std::int32_t cluster_nodes) {
  // upstream expander/price/preferred.go: the node doubles whenever the cluster triples.
  if (cluster_nodes <= 2) return 1000;
  if (cluster_nodes <= 6) return 2000;
  if (cluster_nodes <= 20) return 4000;
  if (cluster_nodes <= 60) return 8000;
  if (cluster_nodes <= 200) return 16000;
  return 32000;
}

double price_score(const ExpansionOption& option, const ExpanderConfig& config) {
  // upstream expander/price/price.go BestOption.
  const double node_price = option.node_price_per_hour * option.node_count;
  double pods_price = 0;
  for (const PodInfoPtr& p : option.pods) pods_price += pod_price_per_hour(*p->pod, config);
  // The stabilization pod: 0.5 cpu, 500 MiB.
  const double stab =
      0.5 * config.price_per_cpu_hour + 500.0 * 1024 * 1024 / kGiB * config.price_per_gb_hour;
  const double price_sub_score = (node_price + stab) / (pods_price + stab);
  const double preferred = static_cast<double>(preferred_node_milli_cpu(config.cluster_nodes));
  const double cpu = static_cast<double>(option.node_capacity.cpu_milli);
  const double unfitness = cpu > 0 ? std::max(preferred / cpu, cpu / preferred) : 1.0;
  double suppressed =
      (unfitness - 1.0) * (1.0 - std::tanh(static_cast<double>(option.node_count - 1) / 15.0)) +
      1.0;
  if (option.gpu_node) suppressed = 1000.0;  // gpuUnfitnessOverride
  double score = suppressed * price_sub_score;
  if (!option.group_exists) score *= 2.0;  // notExistCoeficient
  return score;
}

std::vector<std::size_t> expander_filter(ExpanderName name,
                                         std::span<const ExpansionOption> options,
                                         std::span<const std::size_t> candidates,
                                         const ExpanderConfig& config, sim::Rng& rng) {
  std::vector<std::size_t> best;
  if (candidates.empty()) return best;
  // Keep the candidates with the least `key` (ties kept, in order).
  auto keep_min = [&](auto key) {
    double least = std::numeric_limits<double>::infinity();
    for (std::size_t i : candidates) {
      const double k = key(options[i]);
      if (std::isnan(k)) continue;
      if (k < least) {
        least = k;
        best.assign(1, i);
      } else if (k == least) {
        best.push_back(i);
      }
    }
  };
  switch (name) {
    case ExpanderName::kRandom:
      best.push_back(candidates[rng.below(candidates.size())]);
      break;
    case ExpanderName::kMostPods:
      // upstream expander/mostpods: the most pods scheduled.
      keep_min([](const ExpansionOption& o) { return -static_cast<double>(o.pods.size()); });
      break;
    case ExpanderName::kLeastNodes:
      // upstream expander/leastnodes: the fewest nodes (options with 0 nodes ignored).
      keep_min([](const ExpansionOption& o) {
        return o.node_count > 0 ? static_cast<double>(o.node_count)
                                : std::numeric_limits<double>::quiet_NaN();
      });
      break;
    case ExpanderName::kLeastWaste:
      // upstream expander/waste: (avail - requested) / avail for cpu and memory of the new
      // nodes' capacity, summed; the least wins.
      keep_min([](const ExpansionOption& o) {
        std::int64_t cpu = 0, mem = 0;
        for (const PodInfoPtr& p : o.pods) {
          auto [c, m] = container_requests(*p->pod);
          cpu += c;
          mem += m;
        }
        const double avail_cpu = static_cast<double>(o.node_capacity.cpu_milli) * o.node_count;
        const double avail_mem = static_cast<double>(o.node_capacity.memory) * o.node_count;
        const double wasted_cpu = avail_cpu > 0 ? (avail_cpu - cpu) / avail_cpu : 0;
        const double wasted_mem = avail_mem > 0 ? (avail_mem - mem) / avail_mem : 0;
        return wasted_cpu + wasted_mem;
      });
      break;
    case ExpanderName::kPrice:
      keep_min([&](const ExpansionOption& o) { return price_score(o, config); });
      break;
    case ExpanderName::kPriority: {
      // upstream expander/priority: the highest priority whose regexps match the group name;
      // groups matching nothing are dropped; when nothing matches at all, every option stays.
      std::int64_t max_prio = std::numeric_limits<std::int64_t>::min();
      for (std::size_t i : candidates) {
        std::optional<std::int32_t> prio;
        for (auto it = config.priorities.rbegin(); it != config.priorities.rend() && !prio; ++it) {
          for (const std::string& re : it->second) {
            if (std::regex_search(options[i].group, std::regex(re))) {
              prio = it->first;
              break;
            }
          }
        }
        if (!prio) continue;
        if (*prio > max_prio) {
          max_prio = *prio;
          best.assign(1, i);
        } else if (*prio == max_prio) {
          best.push_back(i);
        }
      }
      if (best.empty()) best.assign(candidates.begin(), candidates.end());
      break;
    }
  }
  return best;
}

std::optional<std::size_t> choose_option(std::span<const ExpansionOption> options,
                                         std::span<const ExpanderName> chain,
                                         const ExpanderConfig& config, sim::Rng& rng) {
  std::vector<std::size_t> candidates(options.size());
  for (std::size_t i = 0; i < options.size(); ++i) candidates[i] = i;
  for (ExpanderName name : chain) {
    candidates = expander_filter(name, options, candidates, config, rng);
    if (candidates.size() == 1) return candidates.front();
    if (candidates.empty()) return std::nullopt;
  }
  if (candidates.empty()) return std::nullopt;
  return candidates[rng.below(candidates.size())];
}

// ---- The binpacking estimator -------------------------------------------------------------

EstimateResult estimate_nodes(FilterSimulator& filter, sched::Snapshot& snapshot,
                              const models::Node& tmpl, std::span<const PodInfoPtr> pods,
                              std::int32_t max_nodes) {
  EstimateResult out;
  if (max_nodes <= 0 || pods.empty()) return out;
  // upstream estimator/decreasing_pod_orderer.go: groups by decreasing cpu/alloc + mem/alloc.
  const double alloc_cpu = static_cast<double>(tmpl.status.allocatable.cpu_milli);
  const double alloc_mem = static_cast<double>(tmpl.status.allocatable.memory);
  auto score = [&](const sched::PodInfo& p) {
    double s = 0;
    if (alloc_cpu > 0) s += static_cast<double>(p.requests.cpu_milli) / alloc_cpu;
    if (alloc_mem > 0) s += static_cast<double>(p.requests.memory) / alloc_mem;
    return s;
  };
  std::vector<std::vector<PodInfoPtr>> groups = equivalence_groups(pods);
  std::stable_sort(groups.begin(), groups.end(), [&](const auto& a, const auto& b) {
    return score(*a.front()) > score(*b.front());
  });

  std::vector<std::string> new_nodes;
  std::set<std::string, std::less<>> with_pods;
  std::string last;
  auto place = [&](const PodInfoPtr& p, const std::string& node) {
    snapshot.find(node)->add_pod(p);
    with_pods.insert(node);
    out.pods.push_back(p);
  };
  auto fits_on = [&](const PodInfoPtr& p, const std::string& node) {
    return filter.prepare(*p, snapshot) && filter.fits(*p, *snapshot.find(node));
  };
  for (const std::vector<PodInfoPtr>& group : groups) {
    std::size_t i = 0;
    // tryToScheduleOnExistingNodes: first fit over the nodes added so far.
    for (; i < group.size() && !new_nodes.empty(); ++i) {
      const PodInfoPtr& p = group[i];
      if (!filter.prepare(*p, snapshot)) break;
      const std::string* found = nullptr;
      for (const std::string& n : new_nodes) {
        if (filter.fits(*p, *snapshot.find(n))) {
          found = &n;
          break;
        }
      }
      if (!found) break;
      place(p, *found);
    }
    // tryToScheduleOnNewNodes.
    for (; i < group.size(); ++i) {
      const PodInfoPtr& p = group[i];
      if (!last.empty() && fits_on(p, last)) {
        place(p, last);
        continue;
      }
      // An empty last node that could not take the pod: a new one could not either.
      if (!last.empty() && !with_pods.contains(last)) break;
      if (static_cast<std::int32_t>(new_nodes.size()) >= max_nodes) break;
      std::string name = tmpl.metadata.name + "-e-" + std::to_string(new_nodes.size());
      snapshot.upsert_node(renamed_node(tmpl, name));
      new_nodes.push_back(name);
      last = std::move(name);
      if (!fits_on(p, last)) break;
      place(p, last);
    }
  }
  out.node_count = static_cast<std::int32_t>(with_pods.size());
  for (const std::string& n : new_nodes) snapshot.remove_node(n);
  return out;
}

// ---- ClusterAutoscalerState -----------------------------------------------------------------

ClusterAutoscalerState::ClusterAutoscalerState(std::vector<NodeGroupSpec> groups,
                                               ClusterAutoscalerOptions options,
                                               std::unique_ptr<FilterSimulator> filter)
    : groups_(std::move(groups)),
      options_(std::move(options)),
      filter_(std::move(filter)),
      rng_(options_.seed) {
  for (const NodeGroupSpec& g : groups_) state_[g.name()];
}

const NodeGroupSpec* ClusterAutoscalerState::group_of(const models::Node& node) const {
  const std::string_view pool = node.metadata.labels.get(models::kLabelNodePool);
  if (pool.empty()) return nullptr;
  for (const NodeGroupSpec& g : groups_) {
    if (g.name() == pool) return &g;
  }
  return nullptr;
}

std::int32_t ClusterAutoscalerState::target_size(std::string_view group) const {
  auto it = state_.find(group);
  return it == state_.end() ? 0 : std::max(0, it->second.target);
}

void ClusterAutoscalerState::set_target_size(std::string_view group, std::int32_t size) {
  auto it = state_.find(group);
  if (it != state_.end()) it->second.target = size;
}

bool ClusterAutoscalerState::backed_off(std::string_view group, sim::Time now) const {
  auto it = state_.find(group);
  return it != state_.end() && it->second.has_backoff && it->second.backoff_until > now;
}

std::optional<sim::Time> ClusterAutoscalerState::unneeded_since(std::string_view node) const {
  auto it = unneeded_since_.find(node);
  if (it == unneeded_since_.end()) return std::nullopt;
  return it->second;
}

bool ClusterAutoscalerState::scale_down_candidate(const sched::NodeInfo& ni,
                                                  const NodeGroupSpec* g) const {
  if (!g) return false;  // not autoscaled
  if (ni.node().metadata.annotations.get(kScaleDownDisabledAnnotation) == "true") return false;
  // PreFilteringScaleDownNodeProcessor: groups at their minimum size offer no candidates.
  return state_.at(g->name()).target > g->min_size;
}

bool ClusterAutoscalerState::removal_worth_simulating(const sched::NodeInfo& ni, sim::Time now,
                                                      NodeUtilization& u) const {
  auto un = unremovable_until_.find(ni.name());
  if (un != unremovable_until_.end() && un->second > now) return false;  // RecentlyUnremovable
  if (!ni.node().ready() && !options_.scale_down_unready_enabled) return false;
  u = node_utilization(ni);
  const double threshold = u.gpu_node ? options_.scale_down_gpu_utilization_threshold
                                      : options_.scale_down_utilization_threshold;
  return u.utilization < threshold;  // else NotUnderutilized
}

bool ClusterAutoscalerState::any_removal_to_simulate(
    sim::Time now, std::span<const Registered> nodes,
    const std::set<std::string, std::less<>>& not_started) const {
  // scale_down()'s candidates are the registered nodes of the working snapshot that are not
  // starting or being deleted; until a removal is simulated, each one's pods (hence its
  // utilization) are those it has in `snap`. If none passes the checks that come before the
  // simulation, none is simulated and the order in which they are visited does not matter.
  NodeUtilization u;
  for (const Registered& r : nodes) {
    const sched::NodeInfo* ni = r.info;
    if (!scale_down_candidate(*ni, r.group)) continue;
    if (not_started.contains(ni->name()) || deleting_.contains(ni->name()) ||
        ni->node().metadata.being_deleted()) {
      continue;
    }
    if (removal_worth_simulating(*ni, now, u)) return true;
  }
  return false;
}

void ClusterAutoscalerState::record_scale_down_failure(sim::Time now, std::string_view node) {
  last_scale_down_fail_ = now;
  auto it = deleting_.find(node);
  if (it == deleting_.end()) return;
  state_.at(it->second).target += 1;
  draining_.erase(it->first);
  deleting_.erase(it);
}

std::map<std::string, ClusterAutoscalerState::GroupCounts, std::less<>>
ClusterAutoscalerState::count_nodes(std::span<const Registered> nodes) const {
  std::map<std::string, GroupCounts, std::less<>> counts;
  for (const NodeGroupSpec& g : groups_) counts[g.name()];
  for (const Registered& r : nodes) {
    const NodeGroupSpec* g = r.group;
    const sched::NodeInfo* ni = r.info;
    // Nodes being deleted already left the target size.
    if (!g || deleting_.contains(ni->name())) continue;
    GroupCounts& c = counts[g->name()];
    ++c.registered;
    const bool ready = r.ready;
    if (ready) ++c.ready;
    const GroupState& st = state_.at(g->name());
    if (!ready && st.request_time && ni->node().metadata.creation_timestamp >= *st.request_time) {
      ++c.not_started;
    }
  }
  return counts;
}

void ClusterAutoscalerState::back_off(GroupState& g, sim::Time now) {
  // upstream utils/backoff/exponential_backoff.go Backoff: double the last duration unless
  // still backed off, capped.
  sim::Duration d = options_.initial_node_group_backoff_duration;
  if (g.has_backoff && g.backoff_until < now) {
    d = std::min(2 * g.backoff_duration, options_.max_node_group_backoff_duration);
  } else if (g.has_backoff) {
    d = g.backoff_duration;
  }
  g.has_backoff = true;
  g.backoff_duration = d;
  g.backoff_until = now + d;
  g.last_failure = now;
}

void ClusterAutoscalerState::update_scale_up_requests(
    sim::Time now, const std::map<std::string, GroupCounts, std::less<>>& counts,
    ClusterAutoscalerActions& actions) {
  // upstream clusterstate.go updateScaleRequests.
  for (auto& [name, g] : state_) {
    // RemoveStaleBackoffData.
    if (g.has_backoff && g.last_failure + options_.node_group_backoff_reset_timeout < now) {
      g.has_backoff = false;
    }
    if (!g.request_time) continue;
    const GroupCounts& c = counts.at(name);
    const std::int32_t unregistered = std::max(0, g.target - c.registered);
    if (unregistered + c.not_started == 0) {
      g.request_time.reset();
      g.has_backoff = false;  // a successful scale-up removes the backoff
      actions.reasons.push_back("scale-up of " + name + " completed");
      continue;
    }
    if (g.expected_add_time < now) {
      g.request_time.reset();
      g.target -= unregistered;
      back_off(g, now);
      actions.failed_scale_ups.push_back({name, unregistered, g.backoff_until});
      actions.reasons.push_back(
          "scale-up of " + name + " timed out after max-node-provision-time (" +
          std::to_string(unregistered + c.not_started) + " nodes not ready); backed off until " +
          sim::format_duration(g.backoff_until));
    }
  }
}

ClusterAutoscalerActions ClusterAutoscalerState::step(sim::Time now,
                                                      const ClusterAutoscalerView& view) {
  ClusterAutoscalerActions actions;
  const sched::Snapshot& snap = *view.nodes;

  // Forget deletions that happened and trackers of nodes that are gone.
  auto gone = [&](const std::string& n) { return snap.find(n) == nullptr; };
  std::erase_if(deleting_, [&](const auto& kv) { return gone(kv.first); });
  std::erase_if(draining_, gone);
  std::erase_if(unneeded_since_, [&](const auto& kv) { return gone(kv.first); });
  std::erase_if(unremovable_until_,
                [&](const auto& kv) { return gone(kv.first) || kv.second <= now; });

  std::vector<Registered> registered;
  registered.reserve(snap.size());
  for (const sched::NodeInfo* ni : snap.nodes()) {
    registered.push_back({ni, group_of(ni->node()), ni->node().ready()});
  }
  auto counts = count_nodes(registered);
  bool requests_outstanding = false;
  for (auto& [name, g] : state_) {
    if (g.target < 0) g.target = counts.at(name).registered;
    requests_outstanding = requests_outstanding || g.request_time.has_value();
  }
  update_scale_up_requests(now, counts, actions);
  // The counts read deleting_ and the groups' request times; updating the requests only
  // clears request times, so with none outstanding before, the counts are unchanged.
  if (requests_outstanding) counts = count_nodes(registered);

  std::set<std::string, std::less<>> fake_nodes;
  std::set<std::string, std::less<>> not_started;
  std::int32_t ready_nodes = 0;
  for (const Registered& r : registered) {
    const sched::NodeInfo* ni = r.info;
    if (r.ready) ++ready_nodes;
    const NodeGroupSpec* g = r.group;
    if (!g || r.ready) continue;
    const GroupState& st = state_.at(g->name());
    if (st.request_time && ni->node().metadata.creation_timestamp >= *st.request_time) {
      not_started.insert(ni->name());
    }
  }

  // Pods to help: old enough (filterOutYoungPods).
  std::vector<PodInfoPtr> pending;
  for (const PodInfoPtr& p : view.unschedulable_pods) {
    if (now - p->pod->metadata.creation_timestamp < options_.new_pod_scale_up_delay) continue;
    pending.push_back(p);
  }

  // The working snapshot: registered nodes, minus those still starting up and those being
  // deleted, plus one template node per upcoming node (upstream
  // addUpcomingNodesToClusterSnapshot). Only the simulations read it: FilterOutSchedulable
  // and scale-up for pending pods, and scale-down's removal simulation. With no pending
  // pod and no scale-down candidate that reaches the removal simulation (checked on `snap`,
  // whose real nodes carry the same pods as the copy would: nothing else was placed), the
  // loop decides exactly as with the copy, so it is not made (most loops of a steady day).
  sched::Snapshot work;
  const bool need_work =
      always_copy_snapshot_ || !pending.empty() ||
      (options_.scale_down_enabled && any_removal_to_simulate(now, registered, not_started));
  if (need_work) {
    ++snapshot_copies_;
    copy_snapshot(snap, work);
    for (const std::string& n : not_started) work.remove_node(n);
    // Nodes being deleted take no pods (upstream taints them ToBeDeletedByClusterAutoscaler).
    for (const sched::NodeInfo* ni : snap.nodes()) {
      if (deleting_.contains(ni->name()) || ni->node().metadata.being_deleted()) {
        work.remove_node(ni->name());
      }
    }
    for (const NodeGroupSpec& g : groups_) {
      const GroupCounts& c = counts.at(g.name());
      const std::int32_t upcoming =
          std::max(0, state_.at(g.name()).target - c.registered) + c.not_started;
      if (upcoming <= 0) continue;
      auto& tmpl = templates_[g.name()];
      if (!tmpl) tmpl = template_node(g.pool, "template-" + g.name(), 0);
      for (std::int32_t i = 0; i < upcoming; ++i) {
        std::string name = "upcoming-" + g.name() + "-" + std::to_string(i);
        work.upsert_node(renamed_node(*tmpl, name));
        fake_nodes.insert(std::move(name));
      }
    }
  }

  // Not schedulable on existing or upcoming nodes (FilterOutSchedulable, highest priority
  // first; placed pods stay in the snapshot).
  std::stable_sort(pending.begin(), pending.end(), [](const PodInfoPtr& a, const PodInfoPtr& b) {
    return a->pod->spec.priority > b->pod->spec.priority;
  });
  std::vector<PodInfoPtr> to_help;
  std::set<std::string, std::less<>> unfit_keys;  // an equivalent pod found no node
  for (const PodInfoPtr& p : pending) {
    const std::string key = pod_equivalence_key(*p);
    sched::NodeInfo* home = unfit_keys.contains(key) ? nullptr : filter_->first_fit(*p, work);
    if (home) {
      home->add_pod(p);
    } else {
      unfit_keys.insert(key);
      to_help.push_back(p);
    }
  }

  bool scale_down_disabled_for_loop = false;
  if (to_help.empty()) {
    actions.scale_up_status = "ScaleUpNotNeeded";
  } else if (options_.max_nodes_total > 0 && ready_nodes >= options_.max_nodes_total) {
    actions.scale_up_status = "ScaleUpLimitedByMaxNodesTotal";
    actions.reasons.push_back("max total nodes in cluster reached: " +
                              std::to_string(options_.max_nodes_total));
  } else if (std::all_of(to_help.begin(), to_help.end(), [&](const PodInfoPtr& p) {
               return p->pod->metadata.creation_timestamp + kUnschedulablePodTimeBuffer > now;
             })) {
    // upstream allPodsAreNew: wait one loop for more pods, and skip scale-down this loop.
    actions.scale_up_status = "ScaleUpInCooldown";
    scale_down_disabled_for_loop = true;
  } else {
    scale_up(now, work, std::move(to_help), static_cast<std::int32_t>(snap.size()), snap, actions);
  }

  if (options_.scale_down_enabled) {
    scale_down(now, work, view, fake_nodes, not_started, scale_down_disabled_for_loop, actions);
    // upstream scaleDown: every branch (cooldown, no candidates, after deletion) ends with
    // updateSoftDeletionTaints.
    update_soft_taints(snap, actions);
  } else {
    actions.scale_down_status = "ScaleDownDisabled";
  }
  return actions;
}

// upstream actuation.UpdateSoftDeletionTaints over the nodes of autoscaled groups: first the
// soft taint comes off needed nodes, then it goes on unneeded ones, one API call each within
// --max-bulk-soft-taint-count; nodes being deleted are left alone.
void ClusterAutoscalerState::update_soft_taints(const sched::Snapshot& nodes,
                                                ClusterAutoscalerActions& actions) {
  std::int32_t budget = options_.max_bulk_soft_taint_count;
  if (budget <= 0) return;
  auto has = [](const models::Node& n, std::string_view key) {
    return std::any_of(n.spec.taints.begin(), n.spec.taints.end(),
                       [key](const models::Taint& t) { return t.key == key; });
  };
  // One pass finds the nodes whose soft taint disagrees with their unneeded state (the
  // cheap tests first: in a steady loop that is none); the untaints then go first.
  std::vector<std::string_view> untaint, taint;
  for (const sched::NodeInfo* ni : nodes.nodes()) {
    const models::Node& n = ni->node();
    const bool unneeded = !unneeded_since_.empty() && unneeded_since_.contains(ni->name());
    if (has(n, models::kDeletionCandidateTaint) == unneeded) continue;
    if (group_of(n) == nullptr || deleting_.contains(ni->name()) ||
        has(n, models::kToBeDeletedTaint)) {
      continue;
    }
    (unneeded ? taint : untaint).push_back(ni->name());
  }
  for (const auto* list : {&untaint, &taint}) {
    for (std::string_view name : *list) {
      if (budget <= 0) {
        actions.reasons.push_back("soft taint budget used up: " + std::string(name) +
                                  " left for later");
        return;
      }
      --budget;
      (list == &taint ? actions.soft_taint : actions.soft_untaint).emplace_back(name);
    }
  }
}

void ClusterAutoscalerState::scale_up(sim::Time now, sched::Snapshot& work,
                                      std::vector<PodInfoPtr> pending, std::int32_t cluster_nodes,
                                      const sched::Snapshot& registered,
                                      ClusterAutoscalerActions& actions) {
  std::int32_t total_target = 0;
  for (const auto& [name, g] : state_) total_target += std::max(0, g.target);
  const std::vector<std::vector<PodInfoPtr>> groups = equivalence_groups(pending);

  // upstream resource.Manager.ResourcesLeft: every group at its target size of template
  // nodes, plus the registered nodes of no autoscaled group.
  std::vector<std::pair<ResourceDelta, std::int64_t>> cluster;
  for (const NodeGroupSpec& spec : groups_) {
    const std::int32_t target = state_.at(spec.name()).target;
    if (target <= 0) continue;
    auto& tmpl = templates_[spec.name()];
    if (!tmpl) tmpl = template_node(spec.pool, "template-" + spec.name(), 0);
    cluster.emplace_back(resource_delta(*tmpl), target);
  }
  for (const sched::NodeInfo* ni : registered.nodes()) {
    if (group_of(ni->node()) == nullptr) cluster.emplace_back(resource_delta(ni->node()), 1);
  }
  const ResourcesLeft left = resources_left(options_, cluster, /*scale_up=*/true);

  std::vector<ExpansionOption> options;
  for (const NodeGroupSpec& spec : groups_) {
    GroupState& st = state_.at(spec.name());
    if (st.has_backoff && st.backoff_until > now) {
      actions.reasons.push_back("node group " + spec.name() + " is backed off until " +
                                sim::format_duration(st.backoff_until));
      continue;
    }
    if (st.target >= spec.max_size) continue;
    auto& tmpl = templates_[spec.name()];
    if (!tmpl) tmpl = template_node(spec.pool, "template-" + spec.name(), 0);
    // upstream IsNodeGroupResourceExceeded: not even one more node fits the limits.
    if (const std::string over = left.exceeded(resource_delta(*tmpl)); !over.empty()) {
      actions.reasons.push_back("node group " + spec.name() + " skipped: max cluster " + over +
                                " limit reached");
      continue;
    }
    // Pods that fit an empty template node (upstream SchedulablePodGroups).
    std::vector<PodInfoPtr> fitting;
    work.upsert_node(tmpl);
    const sched::NodeInfo* t = work.find(tmpl->metadata.name);
    for (const auto& group : groups) {
      if (filter_->prepare(*group.front(), work) && filter_->fits(*group.front(), *t)) {
        fitting.insert(fitting.end(), group.begin(), group.end());
      }
    }
    work.remove_node(tmpl->metadata.name);
    if (fitting.empty()) continue;
    std::int32_t max_new = std::min(spec.max_size - st.target, options_.max_nodes_per_scaleup);
    if (options_.max_nodes_total > 0) {
      max_new = std::min(max_new, options_.max_nodes_total - total_target);
    }
    if (max_new <= 0) continue;
    EstimateResult est = estimate_nodes(*filter_, work, *tmpl, fitting, max_new);
    if (est.node_count <= 0) continue;
    ExpansionOption o;
    o.group = spec.name();
    o.node_count = est.node_count;
    o.pods = std::move(est.pods);
    o.node_capacity = tmpl->status.capacity;
    o.node_price_per_hour = group_price(spec, *tmpl, options_.expander_config);
    o.gpu_node = is_gpu_node(*tmpl);
    options.push_back(std::move(o));
  }
  if (options.empty()) {
    actions.scale_up_status = "ScaleUpNoOptionsAvailable";
    actions.reasons.push_back("no node group can help the " + std::to_string(pending.size()) +
                              " pending pods");
    return;
  }
  ExpanderConfig config = options_.expander_config;
  config.cluster_nodes = cluster_nodes;
  const std::optional<std::size_t> best = choose_option(options, options_.expanders, config, rng_);
  if (!best) {
    actions.scale_up_status = "ScaleUpNoOptionsAvailable";
    return;
  }
  ExpansionOption& o = options[*best];
  // upstream ApplyLimits: cap the count to what the cluster limits leave (at least one node
  // fits: groups that could not take one were skipped above).
  const std::int64_t capped = left.cap(resource_delta(*templates_.at(o.group)), o.node_count);
  if (capped < o.node_count) {
    actions.reasons.push_back("scale-up of " + o.group + " capped from " +
                              std::to_string(o.node_count) + " to " + std::to_string(capped) +
                              " nodes by the cluster resource limits");
    o.node_count = static_cast<std::int32_t>(capped);
  }
  GroupState& st = state_.at(o.group);
  st.target += o.node_count;
  if (!st.request_time) st.request_time = now;
  st.expected_add_time = now + options_.max_node_provision_time;
  last_scale_up_ = now;
  ClusterAutoscalerActions::ScaleUp up;
  up.group = o.group;
  up.count = o.node_count;
  up.new_target = st.target;
  for (const PodInfoPtr& p : o.pods) up.pods.push_back(p->key());
  actions.scale_up = std::move(up);
  actions.scale_up_status = "ScaleUpSuccessful";
  actions.reasons.push_back("scale-up: " + o.group + " +" + std::to_string(o.node_count) +
                            " (target " + std::to_string(st.target) + ") for " +
                            std::to_string(o.pods.size()) + " pods, chosen among " +
                            std::to_string(options.size()) + " options");
}

void ClusterAutoscalerState::scale_down(sim::Time now, sched::Snapshot& work,
                                        const ClusterAutoscalerView& view,
                                        const std::set<std::string, std::less<>>& fake_nodes,
                                        const std::set<std::string, std::less<>>& not_started,
                                        bool disabled_for_loop, ClusterAutoscalerActions& actions) {
  RemainingPdbs pdbs(view.pdbs);
  DrainContext drain;
  if (!pdbs.empty()) {
    drain.pdb_allows_eviction = [&pdbs](const models::Pod& pod) { return pdbs.allows(pod); };
  }
  drain.uses_local_storage = view.uses_local_storage;
  drain.skip_nodes_with_system_pods = options_.skip_nodes_with_system_pods;
  drain.skip_nodes_with_local_storage = options_.skip_nodes_with_local_storage;

  // Destinations: registered nodes, not starting, not being deleted (upstream
  // GetPodDestinationCandidates minus ongoing deletions).
  std::set<std::string, std::less<>> destinations;
  std::vector<sched::NodeInfo*> candidates;
  for (sched::NodeInfo* ni : work.nodes()) {
    const std::string& name = ni->name();
    if (fake_nodes.contains(name) || not_started.contains(name) || deleting_.contains(name) ||
        ni->node().metadata.being_deleted()) {
      continue;
    }
    destinations.insert(name);
    if (scale_down_candidate(*ni)) candidates.push_back(ni);
  }
  // Nodes found unneeded before are evaluated first (upstream's previous-candidates sorting).
  std::stable_partition(candidates.begin(), candidates.end(), [&](const sched::NodeInfo* ni) {
    return unneeded_since_.contains(ni->name());
  });

  struct Removable {
    std::string name;
    const NodeGroupSpec* group;
    std::vector<std::string> pods;
    double utilization;
  };
  std::vector<Removable> removable;
  for (sched::NodeInfo* ni : candidates) {
    const std::string name = ni->name();
    NodeUtilization u;
    if (!removal_worth_simulating(*ni, now, u)) continue;
    // Removal simulation (upstream simulator/cluster.go SimulateNodeRemoval).
    std::vector<PodInfoPtr> to_move;
    std::string blocked;
    for (const PodInfoPtr& p : ni->pods()) {
      std::string why;
      const PodDrainVerdict v = drain_verdict(*p->pod, drain, &why);
      if (v == PodDrainVerdict::kBlock) {
        blocked = p->key() + ": " + why;
        break;
      }
      if (v == PodDrainVerdict::kMove) to_move.push_back(p);
    }
    if (!blocked.empty()) {
      unremovable_until_[name] = now + options_.unremovable_node_recheck_timeout;
      actions.reasons.push_back("node " + name + " cannot be removed: pod " + blocked);
      continue;
    }
    for (const PodInfoPtr& p : to_move) ni->remove_pod(p->key());
    std::vector<std::pair<sched::NodeInfo*, PodInfoPtr>> placed;
    bool ok = true;
    for (const PodInfoPtr& p : to_move) {
      sched::NodeInfo* dest = nullptr;
      // upstream findPlaceFor: the pod is rescheduled with spec.nodeName cleared.
      const PodInfoPtr moved = unbound(p);
      if (filter_->prepare(*moved, work)) {
        for (sched::NodeInfo* d : work.nodes()) {
          if (d == ni || !destinations.contains(d->name())) continue;
          if (filter_->fits(*moved, *d)) {
            dest = d;
            break;
          }
        }
      }
      if (!dest) {
        ok = false;
        break;
      }
      dest->add_pod(moved);
      placed.emplace_back(dest, moved);
    }
    if (!ok) {
      for (auto& [d, p] : placed) d->remove_pod(p->key());
      for (const PodInfoPtr& p : to_move) ni->add_pod(p);
      unremovable_until_[name] = now + options_.unremovable_node_recheck_timeout;
      actions.reasons.push_back("node " + name + " cannot be removed: no place to move its pods");
      continue;
    }
    destinations.erase(name);
    for (const PodInfoPtr& p : to_move) pdbs.remove_pod(*p->pod);
    Removable r{name, group_of(ni->node()), {}, u.utilization};
    for (const PodInfoPtr& p : to_move) r.pods.push_back(p->key());
    removable.push_back(std::move(r));
  }
  // upstream unneeded.Nodes.Update: keep the first time a node was found unneeded.
  std::map<std::string, sim::Time, std::less<>> since;
  for (const Removable& r : removable) {
    auto it = unneeded_since_.find(r.name);
    since[r.name] = it == unneeded_since_.end() ? now : it->second;
  }
  unneeded_since_ = std::move(since);

  // upstream isScaleDownInCooldown.
  const bool cooldown = disabled_for_loop ||
                        last_scale_up_ + options_.scale_down_delay_after_add > now ||
                        last_scale_down_fail_ + options_.scale_down_delay_after_failure > now ||
                        last_scale_down_delete_ + options_.delay_after_delete() > now;
  if (cooldown) {
    actions.scale_down_status = "ScaleDownInCooldown";
    return;
  }
  if (removable.empty()) {
    actions.scale_down_status = "ScaleDownNoUnneeded";
    return;
  }
  // upstream unneeded.Nodes.RemovableAt: empty nodes first, then the ones to drain; each must
  // have been unneeded (or unready) for longer than its time, its group above min size, and
  // its removal must keep the cluster at or above the resource minimums
  // (MinimalResourceLimitExceeded; totals over the registered nodes not being deleted).
  std::vector<std::pair<ResourceDelta, std::int64_t>> cluster;
  for (const sched::NodeInfo* ni : view.nodes->nodes()) {
    if (deleting_.contains(ni->name()) || ni->node().metadata.being_deleted()) continue;
    cluster.emplace_back(resource_delta(ni->node()), 1);
  }
  ResourcesLeft above_min = resources_left(options_, cluster, /*scale_up=*/false);
  std::map<std::string, std::int32_t, std::less<>> sizes;
  for (const auto& [name, g] : state_) sizes[name] = g.target;
  std::vector<const Removable*> empty, drain_list;
  for (int pass = 0; pass < 2; ++pass) {
    for (const Removable& r : removable) {
      if ((pass == 0) != r.pods.empty()) continue;
      const bool ready = work.find(r.name)->node().ready();
      const sim::Duration wait =
          ready ? options_.scale_down_unneeded_time : options_.scale_down_unready_time;
      if (!(unneeded_since_.at(r.name) + wait < now)) continue;  // NotUnneededLongEnough
      std::int32_t& size = sizes[r.group->name()];
      if (size <= r.group->min_size) continue;  // NodeGroupMinSizeReached
      if (!above_min.try_take(resource_delta(work.find(r.name)->node()))) {
        actions.reasons.push_back("node " + r.name +
                                  " cannot be removed: minimal cluster resource limit reached");
        continue;
      }
      --size;
      (pass == 0 ? empty : drain_list).push_back(&r);
    }
  }
  // Budgets (upstream actuation/budgets.go CropNodes).
  const std::int32_t in_progress = static_cast<std::int32_t>(deleting_.size());
  const std::int32_t draining = static_cast<std::int32_t>(draining_.size());
  std::int32_t parallel_left = std::max(0, options_.max_scale_down_parallelism - in_progress);
  const std::int32_t empty_budget =
      std::min(parallel_left, std::max(0, options_.max_empty_bulk_delete - in_progress));
  if (static_cast<std::int32_t>(empty.size()) > empty_budget) empty.resize(empty_budget);
  parallel_left -= static_cast<std::int32_t>(empty.size());
  const std::int32_t drain_budget =
      std::min(parallel_left, std::max(0, options_.max_drain_parallelism - draining));
  if (static_cast<std::int32_t>(drain_list.size()) > drain_budget) drain_list.resize(drain_budget);

  for (const auto* list : {&empty, &drain_list}) {
    for (const Removable* r : *list) {
      ClusterAutoscalerActions::Deletion d;
      d.node = r->name;
      d.group = r->group->name();
      d.empty = r->pods.empty();
      d.pods_to_evict = r->pods;
      d.utilization = r->utilization;
      state_.at(d.group).target -= 1;
      deleting_.emplace(d.node, d.group);
      if (!d.empty) draining_.insert(d.node);
      unneeded_since_.erase(d.node);
      actions.reasons.push_back("scale-down: delete " + std::string(d.empty ? "empty" : "drained") +
                                " node " + d.node + " of " + d.group);
      actions.deletions.push_back(std::move(d));
    }
  }
  if (actions.deletions.empty()) {
    actions.scale_down_status = "ScaleDownNoNodeDeleted";
  } else {
    actions.scale_down_status = "ScaleDownNodeDeleteStarted";
    last_scale_down_delete_ = now;
  }
}

}  // namespace kubesim::policies
