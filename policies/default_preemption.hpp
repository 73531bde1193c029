// DefaultPreemption: kube-scheduler v1.34's PostFilter plugin (upstream
// pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go and the Evaluator
// in pkg/scheduler/framework/preemption/preemption.go).
//
// When no node passed Filter:
//   1. Eligibility (PodEligibleToPreemptOthers): preemptionPolicy Never is not eligible; a
//      pod whose nominated node still has a lower-priority pod terminating because of
//      preemption (deletionTimestamp set, DisruptionTarget=True reason
//      PreemptionByScheduler) waits — unless Filter found that node
//      UnschedulableAndUnresolvable.
//   2. Candidates (findCandidates / DryRunPreemption): only nodes Filter rejected as
//      Unschedulable (not UnschedulableAndUnresolvable), in snapshot order, starting at an
//      offset; the walk stops once max(N × minCandidateNodesPercentage / 100,
//      minCandidateNodesAbsolute) (at most N) candidates were found.
//   3. Victims per node (SelectVictimsOnNode) on a copy of the node and of the CycleState:
//      remove every pod of lower priority (PreFilterExtensions RemovePod); if the pod still
//      does not pass Filter the node is no candidate; otherwise reprieve the removed pods
//      from the most important (priority, then earliest start) down, keeping each one that
//      still lets the pod pass Filter. The rest are the victims, most important first.
//   4. Pick one node (pickOneNodeForPreemption), criteria in order: fewest PDB violations
//      (always 0 here), lowest highest-victim priority, smallest Σ(priority + 2^31), fewest
//      victims, latest earliest-start-time among the highest-priority victims, then the
//      first candidate.
//
// Deliberate differences, all deterministic:
//   - PodDisruptionBudgets are not modelled: no victim violates one.
//   - The offset is 0 (upstream draws rand.Int31n(#potential nodes)); post_filter has no
//     random stream, and ties in step 4 go to the first candidate in walk order (upstream:
//     Go map order).
//   - Nominated pods of other preemptors are not added to the node while filtering
//     (upstream RunFilterPluginsWithNominatedPods): the contract has no nominator.
//   - A pod without status.startTime counts as started last (upstream uses time.Now()).
//   - Extenders are not modelled.
//
// On success the result names the nominated node and the victims; the runtime deletes the
// victims and sets status.nominatedNodeName (upstream prepareCandidate). On failure the
// status is Unschedulable with upstream's message ("preemption: 0/N nodes are available:
// ...", or "preemption: not eligible due to preemptionPolicy=Never.").
#pragma once

#include <memory>
#include <string_view>

#include "models/scheduler_framework.hpp"
#include "policies/registry.hpp"
#include "policies/scheduler_profile.hpp"

namespace kubesim::policies {

class DefaultPreemption : public models::sched::Plugin {
 public:
  static constexpr std::string_view kName = "DefaultPreemption";

  explicit DefaultPreemption(const DefaultPreemptionArgs& args) : args_(args) {}
  std::string_view name() const override { return kName; }

  models::sched::PluginStatus post_filter(
      models::sched::CycleState& state, const models::sched::PodInfo& pod,
      const models::sched::Snapshot& snapshot, models::sched::Framework& framework,
      const std::vector<std::pair<const models::sched::NodeInfo*, models::sched::PluginStatus>>&
          filter_failures,
      PostFilterResult& result) override;

  // upstream calculateNumCandidates.
  std::int32_t num_candidates(std::int32_t num_nodes) const;

 private:
  DefaultPreemptionArgs args_;
};

// upstream util.MoreImportantPod: higher priority first, then the earlier start time (a pod
// not started yet counts as started last).
bool more_important_pod(const models::Pod& a, const models::Pod& b);

PluginFactory default_preemption_factory();

}  // namespace kubesim::policies
