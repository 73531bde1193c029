// The scheduling plugin registry: plugin name → factory, and building a Framework for one
// SchedulerProfile (upstream frameworkruntime.Registry + NewFramework).
//
// register_builtins() registers every in-tree plugin kubesim implements plus kubesim's own
// (GpuTopology, Coscheduling); main and tests call it explicitly. Duplicate names are
// rejected. build_framework() instantiates each plugin the profile enables at any extension
// point once, gives it a CycleState slot, and lists it at the points it is enabled at, with
// the profile's Score weights; an enabled plugin that is not registered is an error naming it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "models/scheduler_framework.hpp"
#include "policies/scheduler_profile.hpp"
#include "sim/status.hpp"

namespace kubesim::models {
class GpuTopology;
struct LabelSelector;
struct PodGroup;
struct Service;
}  // namespace kubesim::models

namespace kubesim::policies {

struct GpuWorkload;  // policies/gpu_share_plugins.hpp

// What plugins may need from outside the Snapshot, provided by whoever builds the
// framework (the scheduler runtime, `kubesim explain`, tests). Every member may be empty;
// a plugin then behaves as if the cluster had none of those objects.
struct PluginContext {
  // The GPU interconnect of a node, or nullptr when unknown (the GpuTopology plugin then
  // treats the node's GPUs as fully connected by PCIe).
  std::function<const models::GpuTopology*(const models::Node&)> gpu_topology;
  // Selectors of the Services, ReplicaSets (and ReplicationControllers, StatefulSets) that
  // select the pod — upstream helper.DefaultSelector's inputs, for PodTopologySpread's
  // system-default constraints. Empty result: the pod has none.
  std::function<std::vector<models::LabelSelector>(const models::Pod&)> owner_selectors;
  // Labels of a namespace (InterPodAffinity namespaceSelector), nullptr when unknown.
  std::function<const models::Labels*(std::string_view namespace_)> namespace_labels;
  // Gang scheduling (Coscheduling): the minimum member count and schedule timeout of the
  // pod's group, by the group name from the pod's label. nullopt: no such group.
  struct PodGroupInfo {
    std::int32_t min_member = 1;
    sim::Duration schedule_timeout = 60 * sim::kSecond;
    // How many pods carrying the group's label exist (any phase, as upstream's pod lister
    // counts them); -1 when unknown: Coscheduling then counts the group's pods in the
    // snapshot plus the incoming pod.
    std::int32_t members = -1;
  };
  std::function<std::optional<PodGroupInfo>(std::string_view namespace_, std::string_view name)>
      pod_group;
  // The target workload of the FGD plugin (policies/gpu_share_plugins.hpp); nullptr: none.
  std::shared_ptr<const GpuWorkload> gpu_workload;
  // Seeds the random streams of plugins that draw (Random): sim::Rng(seed, replication,
  // "scheduler/plugins/<name>").
  std::uint64_t seed = 1;
  std::uint64_t replication = 0;
};

// The PodGroupInfo of a PodGroup object (scheduleTimeoutSeconds unset: the 60 s default).
PluginContext::PodGroupInfo pod_group_info(const models::PodGroup& group);
// upstream helper.DefaultSelector, Service part: a Service with a non-empty selector in the
// pod's namespace whose selector the pod's labels contain selects the pod.
bool service_selects(const models::Service& service, const models::Pod& pod);

using PluginFactory = std::function<sim::Result<std::unique_ptr<models::sched::Plugin>>(
    const SchedulerProfile& profile, const PluginContext& context)>;

class Registry {
 public:
  // Fails with AlreadyExists for a duplicate name.
  sim::Status add(std::string name, PluginFactory factory);
  const PluginFactory* find(std::string_view name) const;
  std::vector<std::string> names() const;  // sorted

 private:
  std::map<std::string, PluginFactory, std::less<>> factories_;
};

// Every built-in plugin. Calls the two groups below.
void register_builtins(Registry& registry);
// NodeResourcesFit, NodeResourcesBalancedAllocation, TaintToleration, NodeAffinity, NodeName,
// NodeUnschedulable, NodePorts, ImageLocality, PrioritySort, DefaultBinder, GpuTopology.
void register_node_plugins(Registry& registry);
// PodTopologySpread, InterPodAffinity, DefaultPreemption, Coscheduling.
void register_pod_relation_plugins(Registry& registry);

// A Framework for `profile` (its plugins, order, weights and args), with the global
// percentageOfNodesToScore unless the profile overrides it.
sim::Result<std::unique_ptr<models::sched::Framework>> build_framework(
    const Registry& registry, const SchedulerConfig& config, const SchedulerProfile& profile,
    const PluginContext& context);

}  // namespace kubesim::policies
