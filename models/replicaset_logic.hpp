// ReplicaSet controller decisions (kube-controller-manager v1.34) as pure functions: which
// pods count, how many to create, which to delete and in what order, and the status the
// controller writes. The runtime's informer-driven reconciler calls these with what its
// caches hold and turns the answers into API calls; nothing here touches a store or a
// clock.
//
// Upstream sources reproduced (kubernetes/kubernetes v1.34):
//   pkg/controller/replicaset/replica_set.go        manageReplicas (burstReplicas 500,
//                                                    slowStartBatch), getPodsToDelete,
//                                                    getPodsRankedByRelatedPodsOnSameNode
//   pkg/controller/replicaset/replica_set_utils.go  calculateStatus
//   pkg/controller/controller_utils.go              FilterActivePods, IsPodActive,
//                                                    IsPodTerminating, ActivePods and
//                                                    ActivePodsWithRanks.Less,
//                                                    logarithmicRankDiff, afterOrZero
//   pkg/api/v1/pod/util.go                           IsPodReady, IsPodAvailable
//   pkg/apis/core/helper/helpers.go                  GetDeletionCostFromPodAnnotations
//
// Differences, deliberate and documented in docs/control-plane.md ("Controllers"):
//   * rule 7 of the deletion ranking (higher container restart count first) is skipped:
//     Pod carries no container statuses yet;
//   * times are simulation times, and time 0 is a real instant, not Go's "zero time", so
//     afterOrZero's special case for a zero timestamp never applies;
//   * pods that compare equal keep their input order (std::stable_sort); upstream's
//     sort.Sort leaves their order unspecified.
//
// Thread-safety: pure functions over values the caller owns.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "models/objects.hpp"
#include "models/workloads.hpp"
#include "sim/time.hpp"

namespace kubesim::models {

// upstream replicaset.BurstReplicas: the most pods one sync creates or deletes.
inline constexpr std::int32_t kBurstReplicas = 500;
// upstream controller.SlowStartInitialBatchSize.
inline constexpr std::int32_t kSlowStartInitialBatchSize = 1;
// upstream core.PodDeletionCost (PodDeletionCost feature, beta and on since v1.22).
inline constexpr std::string_view kPodDeletionCostAnnotation =
    "controller.kubernetes.io/pod-deletion-cost";

// Not terminal (Succeeded/Failed) and not being deleted (upstream IsPodActive).
bool is_pod_active(const Pod& pod);
// Being deleted and not terminal (upstream controller.IsPodTerminating).
bool is_pod_terminating(const Pod& pod);
// The Ready condition's lastTransitionTime when the pod is Ready; nullopt otherwise.
std::optional<sim::Time> pod_ready_time(const Pod& pod);
// upstream IsPodAvailable: Ready, and either minReadySeconds is 0 or the Ready condition
// turned True more than minReadySeconds before `now` (strictly: readyTime + minReady < now).
bool is_pod_available(const Pod& pod, std::int32_t min_ready_seconds, sim::Time now);
// The earliest instant at which a Ready pod that is not yet available becomes available
// (readyTime + minReadySeconds + 1 ns); nullopt when the pod is not Ready or already
// available at `now`. The runtime requeues the ReplicaSet for then.
std::optional<sim::Time> pod_available_at(const Pod& pod, std::int32_t min_ready_seconds,
                                          sim::Time now);
// The pod-deletion-cost annotation as an int32; 0 when absent or not a valid int32
// (upstream GetDeletionCostFromPodAnnotations returns 0 with its error).
std::int32_t pod_deletion_cost(const Pod& pod);

// The batch sizes slowStartBatch uses for `count` creations: 1, 2, 4, ... each capped at
// what remains (20 -> 1 2 4 8 5). Upstream stops at the first batch with an error; the
// runtime issues batch i+1 only when batch i succeeded completely.
std::vector<std::int32_t> slow_start_batches(
    std::int32_t count, std::int32_t initial_batch_size = kSlowStartInitialBatchSize);

// Feature switches of the deletion ranking; the defaults are v1.34's (both gates on).
struct PodRankingOptions {
  bool pod_deletion_cost = true;       // PodDeletionCost gate (beta, on)
  bool logarithmic_scale_down = true;  // LogarithmicScaleDown gate (on by default since v1.22)
};

// Orders `pods` so that the first is the first to delete (upstream
// ActivePodsWithRanks.Less). A pod's rank is the number of active pods in `related_pods`
// (the pods of every ReplicaSet owned by the same Deployment, or of this ReplicaSet alone)
// on the same node name; unassigned pods share the rank of node name "". Rules in order:
//   1. unassigned before assigned;  2. Pending < Unknown < Running (others count as
//   Pending);  3. not Ready before Ready;  4. lower pod-deletion-cost first;  5. higher
//   rank first;  6. both Ready: more recently Ready first, compared by
//   floor(log2(now - readyTime in ns)) buckets with UID as the tie-break;  8. newer
//   creationTimestamp first, bucketed the same way.
std::vector<const Pod*> rank_pods_for_deletion(std::span<const Pod* const> pods,
                                               std::span<const Pod* const> related_pods,
                                               sim::Time now, PodRankingOptions options = {});

// The legacy ordering upstream's controller.ActivePods uses (the Job controller's
// activePodsForRemoval): rules 1, 2, 3, then more recently Ready first (exact times),
// then newer creationTimestamp first. No deletion cost, no rank, no log buckets.
std::vector<const Pod*> order_active_pods(std::span<const Pod* const> pods);

// upstream getPodsToDelete: the `diff` pods to delete from `active_pods`, ranked only when
// not all of them go. REQUIRES: 0 <= diff <= active_pods.size().
std::vector<const Pod*> pods_to_delete(std::span<const Pod* const> active_pods,
                                       std::span<const Pod* const> related_pods, std::int32_t diff,
                                       sim::Time now, PodRankingOptions options = {});

// What one ReplicaSet sync does (upstream manageReplicas): create `creates` pods (in
// slow-start batches) or delete `deletes` (already in deletion order); at most one of the
// two is non-empty, and each is capped at `burst`.
struct ReplicaSetDiff {
  std::int32_t creates = 0;
  std::vector<const Pod*> deletes;
};

// `active_pods`: the ReplicaSet's owned pods with is_pod_active (the caller filters and
// has claimed them by controller reference); `related_pods`: see rank_pods_for_deletion.
// Upstream skips the sync while expectations of earlier creates/deletes are unmet; that
// bookkeeping stays with the runtime.
ReplicaSetDiff replica_set_diff(const ReplicaSet& rs, std::span<const Pod* const> active_pods,
                                std::span<const Pod* const> related_pods, sim::Time now,
                                std::int32_t burst = kBurstReplicas,
                                PodRankingOptions options = {});

// upstream calculateStatus over every pod the ReplicaSet owns (any phase; filtered here):
// replicas = active pods; fullyLabeledReplicas = active pods whose labels contain the
// template's labels; readyReplicas = active and Ready; availableReplicas = active and
// available at `now`. terminatingReplicas (being deleted, not terminal) is filled only with
// `count_terminating`: its gate DeploymentReplicaSetTerminatingReplicas (KEP-3973) is alpha
// and off in v1.34 (beta, on, in v1.35). observedGeneration is the ReplicaSet's
// generation; conditions are kept as they are.
ReplicaSetStatus replica_set_status(const ReplicaSet& rs, std::span<const Pod* const> owned_pods,
                                    sim::Time now, bool count_terminating = false);

// What calculateStatus counts over a ReplicaSet's pods, kept as running totals pod event by
// pod event (kubesim: upstream recounts every owned pod in every sync, which at 5,000 pods
// per ReplicaSet dominated the controller's cost). `apply(pod, labels, +1)` adds one pod's
// contribution and `apply(pod, labels, -1)` takes it away again (pass the same Pod object
// and the same template labels); a pod update is the old object's -1 and the new one's +1.
struct ReplicaSetPodCounts {
  std::int32_t active = 0;         // is_pod_active
  std::int32_t fully_labeled = 0;  // active, labels contain the template's labels
  std::int32_t ready = 0;          // active and Ready
  std::int32_t terminating = 0;    // is_pod_terminating
  void apply(const Pod& pod, const Labels& template_labels, int sign);
  friend bool operator==(const ReplicaSetPodCounts&, const ReplicaSetPodCounts&) = default;
};

// replica_set_status from running counts, equal to the scan when the ReplicaSet's
// minReadySeconds is 0 (then available == Ready). REQUIRES: rs.spec.min_ready_seconds == 0.
ReplicaSetStatus replica_set_status(const ReplicaSet& rs, const ReplicaSetPodCounts& counts,
                                    bool count_terminating = false);

// When the ReplicaSet's status will next change by time alone: the earliest
// pod_available_at over its active pods; nullopt when none is pending.
std::optional<sim::Time> next_availability_change(const ReplicaSet& rs,
                                                  std::span<const Pod* const> owned_pods,
                                                  sim::Time now);

}  // namespace kubesim::models
