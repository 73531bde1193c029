#include "policies/default_preemption.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <unordered_map>

namespace kubesim::policies {

using models::Pod;
using models::sched::Code;
using models::sched::CycleState;
using models::sched::Framework;
using models::sched::NodeInfo;
using models::sched::PluginStatus;
using models::sched::PodInfo;
using models::sched::Snapshot;

namespace {

constexpr std::string_view kNoVictims = "No preemption victims found for incoming pod";
constexpr std::string_view kNotHelpful = "Preemption is not helpful for scheduling";

sim::Time start_time_or_last(const Pod& p) {
  return p.status.start_time.value_or(std::numeric_limits<sim::Time>::max());
}

// upstream podTerminatingByPreemption.
bool terminating_by_preemption(const Pod& p) {
  if (!p.metadata.deletion_timestamp.has_value()) return false;
  for (const auto& c : p.status.conditions) {
    if (c.type == models::kPodDisruptionTarget) {
      return c.status == models::ConditionStatus::kTrue && c.reason == "PreemptionByScheduler";
    }
  }
  return false;
}

struct Candidate {
  const NodeInfo* node = nullptr;
  std::vector<std::shared_ptr<const PodInfo>> victims;  // most important first
};

// upstream: default_preemption.go, SelectVictimsOnNode, on copies of the node and state.
PluginStatus select_victims(const CycleState& state, const PodInfo& pod, const NodeInfo& node,
                            Framework& framework,
                            std::vector<std::shared_ptr<const PodInfo>>& victims) {
  NodeInfo copy = node;
  CycleState st = state.clone();
  const std::int32_t priority = pod.pod->spec.priority;
  std::vector<std::shared_ptr<const PodInfo>> potential;
  for (const auto& pi : node.pods()) {
    if (pi->pod->spec.priority >= priority) continue;
    potential.push_back(pi);
    copy.remove_pod(pi->key());
    PluginStatus s = framework.run_remove_pod(st, pod, *pi, copy);
    if (!s.ok()) return s;
  }
  if (potential.empty()) return PluginStatus::unschedulable(std::string(kNoVictims), true);
  // Even without every lower-priority pod the pod does not fit: no candidate.
  if (PluginStatus s = framework.run_filter(st, pod, copy); !s.ok()) return s;
  std::stable_sort(potential.begin(), potential.end(), [](const auto& a, const auto& b) {
    return more_important_pod(*a->pod, *b->pod);
  });
  // Reprieve as many as possible, most important first (no PDB-violating group).
  for (const auto& pi : potential) {
    copy.add_pod(pi);
    if (PluginStatus s = framework.run_add_pod(st, pod, *pi, copy); !s.ok()) return s;
    if (framework.run_filter(st, pod, copy).ok()) continue;
    copy.remove_pod(pi->key());
    if (PluginStatus s = framework.run_remove_pod(st, pod, *pi, copy); !s.ok()) return s;
    victims.push_back(pi);
  }
  return PluginStatus::success();
}

// upstream GetEarliestPodStartTime: the earliest start among the highest-priority victims.
sim::Time earliest_start_of_highest(const Candidate& c) {
  std::int32_t max_priority = c.victims.front()->pod->spec.priority;
  sim::Time earliest = start_time_or_last(*c.victims.front()->pod);
  for (const auto& v : c.victims) {
    const std::int32_t p = v->pod->spec.priority;
    if (p == max_priority) {
      earliest = std::min(earliest, start_time_or_last(*v->pod));
    } else if (p > max_priority) {
      max_priority = p;
      earliest = start_time_or_last(*v->pod);
    }
  }
  return earliest;
}

// upstream: preemption.go, pickOneNodeForPreemption (the PDB criterion is always a tie).
std::size_t pick_one(const std::vector<Candidate>& candidates) {
  std::vector<std::size_t> remaining(candidates.size());
  for (std::size_t i = 0; i < remaining.size(); ++i) remaining[i] = i;
  using ScoreFn = std::int64_t (*)(const Candidate&);
  const ScoreFn criteria[] = {
      // A node with the minimum highest-priority victim.
      [](const Candidate& c) -> std::int64_t {
        return -std::int64_t{c.victims.front()->pod->spec.priority};
      },
      // The smallest sum of priorities (each shifted by 2^31 to be >= 0).
      [](const Candidate& c) -> std::int64_t {
        std::int64_t sum = 0;
        for (const auto& v : c.victims) {
          sum += std::int64_t{v->pod->spec.priority} +
                 std::int64_t{std::numeric_limits<std::int32_t>::max()} + 1;
        }
        return -sum;
      },
      // The fewest victims.
      [](const Candidate& c) -> std::int64_t {
        return -static_cast<std::int64_t>(c.victims.size());
      },
      // The latest start time of the highest-priority victims.
      [](const Candidate& c) -> std::int64_t { return earliest_start_of_highest(c); },
  };
  for (ScoreFn f : criteria) {
    std::vector<std::size_t> selected;
    std::int64_t best = std::numeric_limits<std::int64_t>::min();
    for (std::size_t i : remaining) {
      const std::int64_t s = f(candidates[i]);
      if (s > best) {
        best = s;
        selected.clear();
      }
      if (s == best) selected.push_back(i);
    }
    if (selected.size() == 1) return selected.front();
    remaining = std::move(selected);
  }
  return remaining.front();
}

}  // namespace

bool more_important_pod(const Pod& a, const Pod& b) {
  if (a.spec.priority != b.spec.priority) return a.spec.priority > b.spec.priority;
  return start_time_or_last(a) < start_time_or_last(b);
}

std::int32_t DefaultPreemption::num_candidates(std::int32_t num_nodes) const {
  std::int64_t n = std::int64_t{num_nodes} * args_.min_candidate_nodes_percentage / 100;
  n = std::max(n, args_.min_candidate_nodes_absolute);
  n = std::min<std::int64_t>(n, num_nodes);
  return static_cast<std::int32_t>(n);
}

PluginStatus DefaultPreemption::post_filter(
    CycleState& state, const PodInfo& pod_info, const Snapshot& snapshot, Framework& framework,
    const std::vector<std::pair<const NodeInfo*, PluginStatus>>& filter_failures,
    PostFilterResult& result) {
  const Pod& pod = *pod_info.pod;
  std::unordered_map<const NodeInfo*, const PluginStatus*> failure_of;  // never iterated
  for (const auto& [node, status] : filter_failures) failure_of[node] = &status;

  // 1) upstream PodEligibleToPreemptOthers.
  if (pod.spec.preemption_policy == models::PreemptionPolicy::kNever) {
    return PluginStatus::unschedulable("preemption: not eligible due to preemptionPolicy=Never.");
  }
  if (!pod.status.nominated_node_name.empty()) {
    const NodeInfo* nominated = snapshot.find(pod.status.nominated_node_name);
    auto it = nominated != nullptr ? failure_of.find(nominated) : failure_of.end();
    // A node absent from the statuses counts as UnschedulableAndUnresolvable.
    const bool unresolvable =
        it == failure_of.end() || it->second->code == Code::kUnschedulableAndUnresolvable;
    if (!unresolvable && nominated != nullptr) {
      for (const auto& pi : nominated->pods()) {
        if (pi->pod->spec.priority < pod.spec.priority && terminating_by_preemption(*pi->pod)) {
          return PluginStatus::unschedulable(
              "preemption: not eligible due to a terminating pod on the nominated node.");
        }
      }
    }
  }

  // 2) upstream findCandidates / DryRunPreemption.
  std::vector<const NodeInfo*> potential;
  for (const NodeInfo* node : snapshot.nodes()) {
    auto it = failure_of.find(node);
    if (it != failure_of.end() && it->second->code == Code::kUnschedulable)
      potential.push_back(node);
  }
  std::vector<Candidate> candidates;
  std::unordered_map<const NodeInfo*, PluginStatus> dry_run_status;  // never iterated
  if (!potential.empty()) {
    const std::int32_t wanted = num_candidates(static_cast<std::int32_t>(potential.size()));
    const std::size_t offset = 0;
    for (std::size_t i = 0; i < potential.size(); ++i) {
      const NodeInfo* node = potential[(offset + i) % potential.size()];
      Candidate c{node, {}};
      PluginStatus s = select_victims(state, pod_info, *node, framework, c.victims);
      if (s.ok() && !c.victims.empty()) {
        candidates.push_back(std::move(c));
        if (static_cast<std::int32_t>(candidates.size()) >= wanted) break;
        continue;
      }
      if (s.code == Code::kError) return s;
      if (s.ok()) {
        s = PluginStatus::error("expected at least one victim pod on node " + node->name());
      }
      dry_run_status[node] = std::move(s);
    }
  }
  if (candidates.empty()) {
    // upstream FitError with the dry run's statuses; every other node "is not helpful".
    std::map<std::string, std::int64_t> reasons;
    for (const NodeInfo* node : snapshot.nodes()) {
      auto it = dry_run_status.find(node);
      if (it == dry_run_status.end()) {
        ++reasons[std::string(kNotHelpful)];
        continue;
      }
      if (!it->second.reason.empty()) ++reasons[it->second.reason];
      for (const auto& r : it->second.more_reasons) ++reasons[r];
    }
    std::vector<std::string> parts;
    for (const auto& [reason, count] : reasons)
      parts.push_back(std::to_string(count) + " " + reason);
    std::sort(parts.begin(), parts.end());
    std::string msg = "preemption: 0/" + std::to_string(snapshot.size()) + " nodes are available:";
    for (std::size_t i = 0; i < parts.size(); ++i) msg += (i == 0 ? " " : ", ") + parts[i];
    if (!parts.empty()) msg += ".";
    result.nominated_node.clear();
    return PluginStatus::unschedulable(std::move(msg));
  }

  // 4) upstream SelectCandidate.
  const std::size_t best = candidates.size() == 1 ? 0 : pick_one(candidates);
  result.nominated_node = candidates[best].node->name();
  result.victims = std::move(candidates[best].victims);
  return PluginStatus::success();
}

PluginFactory default_preemption_factory() {
  return [](const SchedulerProfile& profile,
            const PluginContext&) -> sim::Result<std::unique_ptr<models::sched::Plugin>> {
    return std::unique_ptr<models::sched::Plugin>(
        std::make_unique<DefaultPreemption>(profile.args.default_preemption));
  };
}

}  // namespace kubesim::policies
