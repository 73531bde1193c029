#include "policies/coscheduling.hpp"

namespace kubesim::policies {

using models::Pod;
using models::sched::CycleState;
using models::sched::NodeInfo;
using models::sched::PluginStatus;
using models::sched::PodInfo;
using models::sched::Snapshot;

std::string_view Coscheduling::group_of(const Pod& pod) {
  return pod.metadata.labels.get(kPodGroupLabel);
}

std::int32_t Coscheduling::assigned_pods(const Snapshot& snapshot, std::string_view namespace_,
                                         std::string_view group, std::string_view except) {
  std::int32_t count = 0;
  for (const NodeInfo* node : snapshot.nodes()) {
    for (const auto& pi : node->pods()) {
      if (!in_group(*pi->pod, namespace_, group)) continue;
      if (pi->key() == except) continue;
      ++count;
    }
  }
  return count;
}

PluginStatus Coscheduling::pre_filter(CycleState&, const PodInfo& pod_info,
                                      const Snapshot& snapshot, models::sched::PreFilterResult&) {
  snapshot_ = &snapshot;
  const Pod& pod = *pod_info.pod;
  const std::string_view group = group_of(pod);
  if (group.empty() || !context_.pod_group) return PluginStatus::success();
  const auto info = context_.pod_group(pod.metadata.namespace_, group);
  if (!info) return PluginStatus::success();
  // upstream core.go, PreFilter: the pods of the group that exist.
  std::int32_t members = info->members;
  if (members < 0) {
    members = assigned_pods(snapshot, pod.metadata.namespace_, group, pod_info.key()) + 1;
  }
  if (members < info->min_member) {
    return PluginStatus::unschedulable(
        "pre-filter pod " + pod.metadata.name +
            " cannot find enough sibling pods, current pods number: " + std::to_string(members) +
            ", minMember of group: " + std::to_string(info->min_member),
        /*unresolvable=*/true);
  }
  return PluginStatus::success();
}

PluginStatus Coscheduling::post_filter(CycleState&, const PodInfo& pod_info,
                                       const Snapshot& snapshot, models::sched::Framework&,
                                       const std::vector<std::pair<const NodeInfo*, PluginStatus>>&,
                                       PostFilterResult&) {
  // upstream coscheduling.go, PostFilter.
  const Pod& pod = *pod_info.pod;
  const std::string_view group = group_of(pod);
  const auto info = group.empty() || !context_.pod_group
                        ? std::nullopt
                        : context_.pod_group(pod.metadata.namespace_, group);
  if (!info) return PluginStatus::unschedulable("can not find pod group");
  const std::int32_t assigned =
      assigned_pods(snapshot, pod.metadata.namespace_, group, pod_info.key());
  if (assigned >= info->min_member) return PluginStatus::unschedulable("");
  const float not_assigned =
      static_cast<float>(info->min_member - assigned) / static_cast<float>(info->min_member);
  if (not_assigned <= 0.1F) return PluginStatus::unschedulable("");
  const std::string full_name = pod.metadata.namespace_ + "/" + std::string(group);
  decisions_.push_back({Decision::Kind::kReject, pod.metadata.namespace_, std::string(group),
                        "optimistic rejection in PostFilter"});
  return PluginStatus::unschedulable("PodGroup " + full_name + " gets rejected due to Pod " +
                                     pod.metadata.name + " is unschedulable even after PostFilter");
}

PluginStatus Coscheduling::permit(CycleState&, const PodInfo& pod_info, const NodeInfo&,
                                  sim::Duration& timeout) {
  // upstream coscheduling.go Permit with core.go PodGroupManager.Permit.
  const Pod& pod = *pod_info.pod;
  const std::string_view group = group_of(pod);
  if (group.empty()) return PluginStatus::success();
  const auto info =
      context_.pod_group ? context_.pod_group(pod.metadata.namespace_, group) : std::nullopt;
  if (!info) return PluginStatus::unschedulable("PodGroup not found");
  const std::int32_t assigned =
      snapshot_ == nullptr
          ? 0
          : assigned_pods(*snapshot_, pod.metadata.namespace_, group, pod_info.key());
  if (assigned + 1 >= info->min_member) {
    decisions_.push_back({Decision::Kind::kAllow, pod.metadata.namespace_, std::string(group), {}});
    return PluginStatus::success();
  }
  timeout = info->schedule_timeout;
  return PluginStatus::wait();
}

void Coscheduling::unreserve(CycleState&, const PodInfo& pod_info, const NodeInfo&) {
  // upstream coscheduling.go, Unreserve: reject every waiting pod of the group.
  const Pod& pod = *pod_info.pod;
  const std::string_view group = group_of(pod);
  if (group.empty() || !context_.pod_group) return;
  if (!context_.pod_group(pod.metadata.namespace_, group)) return;
  decisions_.push_back({Decision::Kind::kReject, pod.metadata.namespace_, std::string(group),
                        "rejection in Unreserve"});
}

std::vector<Coscheduling::Decision> Coscheduling::take_decisions() {
  std::vector<Decision> out;
  out.swap(decisions_);
  return out;
}

std::vector<models::sched::Plugin::WaitingPodDecision> Coscheduling::take_waiting_pod_decisions() {
  std::vector<WaitingPodDecision> out;
  for (auto& d : take_decisions()) {
    WaitingPodDecision w;
    w.allow = d.kind == Decision::Kind::kAllow;
    w.reason = d.reason;
    w.matches = [ns = d.namespace_, group = d.group](const models::Pod& pod) {
      return in_group(pod, ns, group);
    };
    out.push_back(std::move(w));
  }
  return out;
}

PluginFactory coscheduling_factory() {
  return [](const SchedulerProfile&,
            const PluginContext& context) -> sim::Result<std::unique_ptr<models::sched::Plugin>> {
    return std::unique_ptr<models::sched::Plugin>(std::make_unique<Coscheduling>(context));
  };
}

}  // namespace kubesim::policies
