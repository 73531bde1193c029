// Coscheduling: gang scheduling of pod groups, as kubernetes-sigs/scheduler-plugins'
// pkg/coscheduling (coscheduling.go and core/core.go, PodGroupManager) does it.
//
// A pod belongs to a group when it carries the label scheduling.x-k8s.io/pod-group; the
// value names a PodGroup in the pod's namespace, whose minMember and scheduleTimeoutSeconds
// come from PluginContext::pod_group.
//
//   PreFilter  rejects (UnschedulableAndUnresolvable, so preemption is not tried) a pod whose
//              group has fewer than minMember pods: "pre-filter pod <name> cannot find enough
//              sibling pods, current pods number: <n>, minMember of group: <m>". n is
//              PodGroupInfo::members when the runtime knows it; otherwise the group's pods in
//              the snapshot (bound, assumed or waiting) plus the incoming pod. A label without
//              a PodGroup passes (upstream).
//   PostFilter a pod of a group that failed Filter rejects the group's waiting pods, unless
//              the group already has minMember pods assigned or at most 10% are missing
//              (upstream's optimistic rejection). Always Unschedulable: it never nominates.
//   Permit     assigned = the group's other pods in the snapshot (assumed, waiting or
//              bound). assigned + 1 >= minMember: Success, and the group's waiting pods are
//              to be allowed; otherwise Wait with the group's scheduleTimeout. A label
//              without a PodGroup: Unschedulable "PodGroup not found".
//   Unreserve  (a member timed out at Permit, was rejected, or failed to bind) rejects the
//              group's waiting pods: all or nothing.
//
// Runtime contract. The plugin cannot reach the runtime's waiting pods (upstream
// IterateOverWaitingPods), so it records what must happen to them: after run_permit,
// PostFilter or run_unreserve the runtime calls take_decisions() and, for each decision in
// order, allows (kAllow) or rejects (kReject, with the reason) every waiting pod p with
// Coscheduling::in_group(p, decision.namespace_, decision.group). The pod whose Permit
// returned Success is not waiting and needs no release. Rejecting a waiting pod must run
// Unreserve for it as usual; the resulting kReject decisions for a group with no waiting
// pods left are harmless.
//
// Not modelled: PodGroup minResources, the group backoff (podGroupBackoffSeconds), the
// QueueSort by group, and activating siblings (the runtime's queue retries them anyway).
//
// Not thread-safe (one plugin per Framework).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "models/scheduler_framework.hpp"
#include "policies/registry.hpp"

namespace kubesim::policies {

class Coscheduling : public models::sched::Plugin {
 public:
  static constexpr std::string_view kName = "Coscheduling";
  static constexpr std::string_view kPodGroupLabel = "scheduling.x-k8s.io/pod-group";

  struct Decision {
    enum class Kind { kAllow, kReject };
    Kind kind = Kind::kAllow;
    std::string namespace_;
    std::string group;
    std::string reason;  // kReject only
  };

  explicit Coscheduling(PluginContext context) : context_(std::move(context)) {}
  std::string_view name() const override { return kName; }

  models::sched::PluginStatus pre_filter(models::sched::CycleState& state,
                                         const models::sched::PodInfo& pod,
                                         const models::sched::Snapshot& snapshot,
                                         models::sched::PreFilterResult& result) override;
  models::sched::PluginStatus post_filter(
      models::sched::CycleState& state, const models::sched::PodInfo& pod,
      const models::sched::Snapshot& snapshot, models::sched::Framework& framework,
      const std::vector<std::pair<const models::sched::NodeInfo*, models::sched::PluginStatus>>&
          filter_failures,
      PostFilterResult& result) override;
  models::sched::PluginStatus permit(models::sched::CycleState& state,
                                     const models::sched::PodInfo& pod,
                                     const models::sched::NodeInfo& node,
                                     sim::Duration& timeout) override;
  void unreserve(models::sched::CycleState& state, const models::sched::PodInfo& pod,
                 const models::sched::NodeInfo& node) override;

  // The decisions recorded since the last call, oldest first (see the runtime contract).
  std::vector<Decision> take_decisions();
  // The same decisions in the framework's generic form.
  std::vector<WaitingPodDecision> take_waiting_pod_decisions() override;

  // The group name of a pod ("" when it has none).
  static std::string_view group_of(const models::Pod& pod);
  static bool in_group(const models::Pod& pod, std::string_view namespace_,
                       std::string_view group) {
    return pod.metadata.namespace_ == namespace_ && !group.empty() && group_of(pod) == group;
  }
  // upstream CalculateAssignedPods: the group's pods on nodes of the snapshot, not counting
  // the pod with key `except` (the incoming pod, which kubesim's live snapshot may hold).
  static std::int32_t assigned_pods(const models::sched::Snapshot& snapshot,
                                    std::string_view namespace_, std::string_view group,
                                    std::string_view except);

 private:
  PluginContext context_;
  // The snapshot the last PreFilter saw; Permit (which is given none) counts in it. The
  // runtime's snapshot lives across cycles and already holds the assumed pod.
  const models::sched::Snapshot* snapshot_ = nullptr;
  std::vector<Decision> decisions_;
};

PluginFactory coscheduling_factory();

}  // namespace kubesim::policies
