#include "policies/registry.hpp"

#include "models/workloads.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

#include "policies/gpu_share_plugins.hpp"
#include "policies/node_plugins.hpp"

namespace kubesim::policies {

PluginContext::PodGroupInfo pod_group_info(const models::PodGroup& group) {
  PluginContext::PodGroupInfo info;
  info.min_member = group.spec.min_member;
  if (group.spec.schedule_timeout_seconds) {
    info.schedule_timeout = sim::seconds(*group.spec.schedule_timeout_seconds);
  }
  return info;
}

bool service_selects(const models::Service& service, const models::Pod& pod) {
  return service.metadata.namespace_ == pod.metadata.namespace_ &&
         !service.spec.selector.empty() && pod.metadata.labels.contains_all(service.spec.selector);
}


sim::Status Registry::add(std::string name, PluginFactory factory) {
  // upstream: frameworkruntime.Registry.Register refuses a duplicate name.
  if (factories_.count(name) != 0) {
    return sim::Status::already_exists("a plugin named \"" + name + "\" is already registered");
  }
  factories_.emplace(std::move(name), std::move(factory));
  return {};
}

const PluginFactory* Registry::find(std::string_view name) const {
  auto it = factories_.find(name);
  return it == factories_.end() ? nullptr : &it->second;
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> out;
  out.reserve(factories_.size());
  for (const auto& [name, f] : factories_) out.push_back(name);
  return out;
}

void register_builtins(Registry& registry) {
  register_node_plugins(registry);
  register_pod_relation_plugins(registry);
  register_gpu_share_plugins(registry);
}

namespace {

using PluginPtr = std::unique_ptr<models::sched::Plugin>;
using PluginResult = sim::Result<PluginPtr>;

template <typename F>
void must_add(Registry& registry, std::string name, F&& make) {
  const sim::Status s = registry.add(std::move(name), PluginFactory(std::forward<F>(make)));
  // Registering the built-ins twice is a programming error.
  assert(s.ok());
  (void)s;
}

}  // namespace

void register_node_plugins(Registry& registry) {
  must_add(registry, "NodeResourcesFit", [](const SchedulerProfile& p, const PluginContext&) {
    return PluginResult(PluginPtr(new NodeResourcesFit(p.args.node_resources_fit)));
  });
  must_add(registry, "NodeResourcesBalancedAllocation",
           [](const SchedulerProfile& p, const PluginContext&) {
             return PluginResult(PluginPtr(
                 new NodeResourcesBalancedAllocation(p.args.node_resources_balanced_allocation)));
           });
  must_add(registry, "TaintToleration", [](const SchedulerProfile&, const PluginContext&) {
    return PluginResult(PluginPtr(new TaintToleration()));
  });
  must_add(registry, "NodeAffinity", [](const SchedulerProfile&, const PluginContext&) {
    return PluginResult(PluginPtr(new NodeAffinity()));
  });
  must_add(registry, "NodeName", [](const SchedulerProfile&, const PluginContext&) {
    return PluginResult(PluginPtr(new NodeName()));
  });
  must_add(registry, "NodeUnschedulable", [](const SchedulerProfile&, const PluginContext&) {
    return PluginResult(PluginPtr(new NodeUnschedulable()));
  });
  must_add(registry, "NodePorts", [](const SchedulerProfile&, const PluginContext&) {
    return PluginResult(PluginPtr(new NodePorts()));
  });
  must_add(registry, "ImageLocality", [](const SchedulerProfile&, const PluginContext&) {
    return PluginResult(PluginPtr(new ImageLocality()));
  });
  must_add(registry, "GpuTopology", [](const SchedulerProfile&, const PluginContext& context) {
    return PluginResult(PluginPtr(new GpuTopologyPlugin(context)));
  });
  // kubesim models no volumes, no DRA and no scheduling gates; queue sort and binding are
  // the scheduler runtime's. These answer Skip / Success (see NoOpPlugin).
  for (const char* name :
       {"PrioritySort", "DefaultBinder", "SchedulingGates", "VolumeBinding", "VolumeRestrictions",
        "VolumeZone", "NodeVolumeLimits", "EBSLimits", "GCEPDLimits", "AzureDiskLimits"}) {
    must_add(registry, name, [name](const SchedulerProfile&, const PluginContext&) {
      return PluginResult(PluginPtr(new NoOpPlugin(name)));
    });
  }
  must_add(registry, "DynamicResources", [](const SchedulerProfile&, const PluginContext&) {
    return PluginResult(
        PluginPtr(new NoOpPlugin("DynamicResources", "no new claims to deallocate")));
  });
}

sim::Result<std::unique_ptr<models::sched::Framework>> build_framework(
    const Registry& registry, const SchedulerConfig& config, const SchedulerProfile& profile,
    const PluginContext& context) {
  using models::sched::PluginRef;
  // Every plugin enabled at any point, once, in order of first appearance.
  std::vector<std::string> names;
  std::vector<std::string> where;  // the first point naming it, for the error message
  for (std::size_t i = 0; i < kExtensionPointCount; ++i) {
    for (const auto& name : profile.plugins[i]) {
      if (std::find(names.begin(), names.end(), name) != names.end()) continue;
      names.push_back(name);
      where.emplace_back(extension_point_name(static_cast<ExtensionPoint>(i)));
    }
  }
  std::vector<PluginPtr> plugins;
  plugins.reserve(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    const PluginFactory* factory = registry.find(names[i]);
    if (factory == nullptr) {
      return sim::Status::not_found("plugin \"" + names[i] + "\" enabled at " + where[i] +
                                    " in profile \"" + profile.scheduler_name +
                                    "\" is not registered");
    }
    auto made = (*factory)(profile, context);
    if (!made) {
      return sim::Status::invalid_argument("plugin \"" + names[i] + "\" in profile \"" +
                                           profile.scheduler_name + "\": " + made.error());
    }
    plugins.push_back(std::move(made).value());
  }
  auto refs = [&](ExtensionPoint point) {
    std::vector<PluginRef> out;
    for (const auto& name : profile.at(point)) {
      const auto idx =
          static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin());
      PluginRef ref;
      ref.plugin = plugins[idx].get();
      if (point == ExtensionPoint::kScore) {
        auto w = profile.score_weights.find(name);
        ref.weight = w == profile.score_weights.end() ? 1 : w->second;
      }
      out.push_back(ref);
    }
    return out;
  };
  models::sched::Framework::Options options;
  options.tie_break_by_node_rank = config.tie_break_by_node_rank;
  options.percentage_of_nodes_to_score = static_cast<std::int32_t>(
      profile.percentage_of_nodes_to_score.value_or(config.percentage_of_nodes_to_score));
  auto pre_filter = refs(ExtensionPoint::kPreFilter);
  auto filter = refs(ExtensionPoint::kFilter);
  auto post_filter = refs(ExtensionPoint::kPostFilter);
  auto pre_score = refs(ExtensionPoint::kPreScore);
  auto score = refs(ExtensionPoint::kScore);
  auto reserve = refs(ExtensionPoint::kReserve);
  auto permit = refs(ExtensionPoint::kPermit);
  return std::make_unique<models::sched::Framework>(
      profile.scheduler_name, std::move(plugins), std::move(pre_filter), std::move(filter),
      std::move(post_filter), std::move(pre_score), std::move(score), std::move(reserve),
      std::move(permit), options);
}

}  // namespace kubesim::policies
