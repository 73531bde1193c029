// Deployment controller decisions (kube-controller-manager v1.34) as pure functions over
// Deployment and ReplicaSet values: surge and unavailability fenceposts, the new
// ReplicaSet and its pod-template-hash, rolling-update and Recreate steps, proportional
// scaling, status and conditions with the progress deadline, revisions, rollback and
// history cleanup. The runtime's reconciler finds the Deployment's ReplicaSets (by
// controller reference), calls these, and applies the returned decisions as API calls.
//
// Upstream sources reproduced (kubernetes/kubernetes v1.34, pkg/controller/deployment/):
//   util/deployment_util.go  ResolveFenceposts, MaxSurge, MaxUnavailable, NewRSNewReplicas,
//                            GetProportion/getReplicaSetFraction, FindNewReplicaSet,
//                            EqualIgnoreHash, MaxRevision, LastRevision,
//                            SetNewReplicaSetAnnotations, SetReplicasAnnotations,
//                            DeploymentComplete, DeploymentProgressing,
//                            DeploymentTimedOut, IsSaturated, FindActiveOrLatest
//   rolling.go               rolloutRolling, reconcileNewReplicaSet,
//                            reconcileOldReplicaSets, cleanupUnhealthyReplicas,
//                            scaleDownOldReplicaSetsForRollingUpdate
//   recreate.go              rolloutRecreate, oldPodsRunning
//   sync.go                  getNewReplicaSet, scale (proportional scaling),
//                            isScalingEvent, cleanupDeployment, calculateStatus
//   progress.go              syncRolloutStatus (Progressing condition reasons)
//   rollback.go              rollbackToTemplate (kubectl rollout undo does the same client
//                            side for apps/v1)
//   k8s.io/kubernetes/pkg/controller/controller_utils.go  ComputeHash;
//   k8s.io/apimachinery/pkg/util/rand  SafeEncodeString
//
// pod-template-hash: upstream hashes the template with FNV-32a over go-spew's printout of
// the Go struct, then the collision count, and encodes the decimal value with
// SafeEncodeString. We use FNV-32a over our own canonical serialisation of the fields
// kubesim models (then the collision count, little-endian, as upstream) and the same
// encoding: the names look like upstream's ("nginx-5d59d67564"), are deterministic and
// change whenever a modelled field changes, but are not byte-identical to a real
// cluster's.
//
// Deployment condition times: Condition has no lastUpdateTime, so last_heartbeat_time
// carries a Deployment condition's lastUpdateTime (the progress-deadline clock).
//
// Thread-safety: pure functions over values the caller owns.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "models/objects.hpp"
#include "models/workloads.hpp"
#include "sim/time.hpp"

namespace kubesim::models {

// Annotation upstream keeps the previous revisions of a rolled-back-to ReplicaSet in.
inline constexpr std::string_view kRevisionHistoryAnnotation =
    "deployment.kubernetes.io/revision-history";

// Progressing / Available condition reasons (deployment/util).
inline constexpr std::string_view kReasonReplicaSetUpdated = "ReplicaSetUpdated";
inline constexpr std::string_view kReasonNewReplicaSetCreated = "NewReplicaSetCreated";
inline constexpr std::string_view kReasonFoundNewReplicaSet = "FoundNewReplicaSet";
inline constexpr std::string_view kReasonNewReplicaSetAvailable = "NewReplicaSetAvailable";
inline constexpr std::string_view kReasonProgressDeadlineExceeded = "ProgressDeadlineExceeded";
inline constexpr std::string_view kReasonMinimumReplicasAvailable = "MinimumReplicasAvailable";
inline constexpr std::string_view kReasonMinimumReplicasUnavailable = "MinimumReplicasUnavailable";

// ---- Fenceposts ---------------------------------------------------------------------------

// upstream intstr.GetScaledValueFromIntOrPercent: an integer as is; a percentage of
// `total`, rounded up or down (exact integer arithmetic).
std::int32_t scaled_value(IntOrPercent value, std::int32_t total, bool round_up);

struct Fenceposts {
  std::int32_t max_surge = 0;
  std::int32_t max_unavailable = 0;
  friend bool operator==(const Fenceposts&, const Fenceposts&) = default;
};

// upstream ResolveFenceposts: surge rounds up, unavailable rounds down; when both resolve
// to 0, unavailable becomes 1.
Fenceposts resolve_fenceposts(IntOrPercent max_surge, IntOrPercent max_unavailable,
                              std::int32_t desired);
// upstream MaxSurge: 0 unless RollingUpdate.
std::int32_t max_surge(const Deployment& d);
// upstream MaxUnavailable: 0 unless RollingUpdate or when replicas is 0; capped at
// replicas.
std::int32_t max_unavailable(const Deployment& d);
// replicas - max_unavailable for RollingUpdate; 0 for Recreate (upstream MinAvailable).
std::int32_t min_available(const Deployment& d);

// ---- Template hash and the new ReplicaSet -------------------------------------------------

// apimachinery rand.SafeEncodeString: each byte b becomes "bcdfghjklmnpqrstvwxz2456789"
// [b % 27], so no vowels (no words) and no confusable 0/1/3.
std::string safe_encode_string(std::string_view s);
// FNV-1a 32-bit of bytes, continuing from `hash` (offset basis by default).
std::uint32_t fnv32a(std::string_view bytes, std::uint32_t hash = 2166136261u);
// The canonical serialisation the hash and equal_ignore_hash use: every modelled field of
// the template, labels without pod-template-hash.
std::string canonical_template(const PodTemplateSpec& t);
// upstream ComputeHash (see the header comment for what differs).
std::string pod_template_hash(const PodTemplateSpec& t,
                              std::optional<std::int32_t> collision_count = std::nullopt);
// upstream EqualIgnoreHash: equal templates, ignoring the pod-template-hash label.
bool equal_ignore_hash(const PodTemplateSpec& a, const PodTemplateSpec& b);

// upstream FindNewReplicaSet: among `rses` (the Deployment's), the oldest (creation time,
// then name) whose template equals the Deployment's ignoring the hash; nullptr if none.
const ReplicaSet* find_new_replica_set(const Deployment& d,
                                       std::span<const ReplicaSet* const> rses);

// Revision of a ReplicaSet: 0 when the annotation is absent, nullopt when it does not
// parse (upstream Revision; MaxRevision skips such ReplicaSets).
std::optional<std::int64_t> revision_of(const ReplicaSet& rs);
std::int64_t max_revision(std::span<const ReplicaSet* const> rses);
// The second-highest revision (upstream LastRevision): the target of "rollout undo".
std::int64_t last_revision(std::span<const ReplicaSet* const> rses);

// upstream getNewReplicaSet when no new ReplicaSet exists: the object to create. Name
// "<deployment>-<hash>", template and selector with pod-template-hash added, controller
// owner reference to the Deployment, Deployment annotations copied (not the revision
// ones), revision = max over `old_rses` + 1, desired-replicas and max-replicas
// annotations, replicas = NewRSNewReplicas over the old ReplicaSets plus the new one at 0,
// minReadySeconds copied, creationTimestamp `now`.
ReplicaSet make_new_replica_set(const Deployment& d, std::span<const ReplicaSet* const> old_rses,
                                sim::Time now, std::int32_t collision_count = 0);

// upstream SetNewReplicaSetAnnotations for an existing new ReplicaSet: copies the
// Deployment's annotations (except the revision ones), raises the revision to
// `new_revision` when it is lower (recording the previous one in revision-history, as a
// rollback does). Returns whether anything changed.
bool update_new_replica_set_annotations(const Deployment& d, ReplicaSet& new_rs,
                                        std::int64_t new_revision);

// ---- Scaling decisions ---------------------------------------------------------------------

// Scale `rs` to `replicas`, and set its desired-replicas / max-replicas annotations to
// the Deployment's replicas and replicas + maxSurge (upstream scaleReplicaSet).
struct ScaleDecision {
  const ReplicaSet* rs = nullptr;
  std::int32_t replicas = 0;
  std::int32_t desired_annotation = 0;
  std::int32_t max_annotation = 0;
};
// Applies a decision to the caller's copy of the ReplicaSet.
void apply_scale(ReplicaSet& rs, const ScaleDecision& decision);

// Σ spec.replicas / status.replicas / status.availableReplicas / status.readyReplicas
// (nullptr entries skipped).
std::int32_t spec_replicas(std::span<const ReplicaSet* const> rses);
std::int32_t actual_replicas(std::span<const ReplicaSet* const> rses);
std::int32_t available_replicas(std::span<const ReplicaSet* const> rses);
std::int32_t ready_replicas(std::span<const ReplicaSet* const> rses);

// upstream NewRSNewReplicas: RollingUpdate: with maxTotal = replicas + maxSurge and
// current = Σ spec.replicas of `all_rses`, the new ReplicaSet grows by
// min(maxTotal - current, replicas - new.spec) when current < maxTotal; Recreate: replicas.
std::int32_t new_rs_new_replicas(const Deployment& d, std::span<const ReplicaSet* const> all_rses,
                                 const ReplicaSet& new_rs);

// upstream reconcileNewReplicaSet: the new ReplicaSet's scale, or nullopt for no change.
std::optional<ScaleDecision> reconcile_new_replica_set(const Deployment& d,
                                                       std::span<const ReplicaSet* const> all_rses,
                                                       const ReplicaSet& new_rs);

// upstream reconcileOldReplicaSets: cleanupUnhealthyReplicas then
// scaleDownOldReplicaSetsForRollingUpdate, oldest ReplicaSets first. `old_rses` are the
// active old ones (spec.replicas > 0 filtered inside). At most one decision per
// ReplicaSet (the final size).
struct OldReplicaSetsScaleDown {
  std::vector<ScaleDecision> decisions;
  std::int32_t cleanup_count = 0;      // unhealthy replicas removed
  std::int32_t scaled_down_count = 0;  // available replicas removed within maxUnavailable
  std::int32_t total() const { return cleanup_count + scaled_down_count; }
};
OldReplicaSetsScaleDown reconcile_old_replica_sets(const Deployment& d,
                                                   std::span<const ReplicaSet* const> old_rses,
                                                   const ReplicaSet& new_rs);

// One rolloutRolling pass with the new ReplicaSet present: scale up if possible (and stop
// there), else scale old ones down; when neither happened and d.status says the rollout
// is complete (DeploymentComplete), `cleanup` lists old ReplicaSets to delete by history
// (cleanup_history).
struct RolloutStep {
  std::vector<ScaleDecision> scales;
  bool scaled_up = false;
  bool scaled_down = false;
  std::vector<const ReplicaSet*> cleanup;
};
RolloutStep rolling_update_step(const Deployment& d, const ReplicaSet& new_rs,
                                std::span<const ReplicaSet* const> old_rses);

// upstream rolloutRecreate: scale active old ReplicaSets to 0; while any old pod may still
// run (old_pods_running), wait; then create the new ReplicaSet (`create_new_rs`, when
// new_rs is null) and scale it to replicas; once d.status is complete, `cleanup` lists
// old ReplicaSets to delete by history.
struct RecreateStep {
  std::vector<ScaleDecision> scales;
  bool scaled_down_old = false;
  bool waiting_for_old_pods = false;
  bool create_new_rs = false;
  std::vector<const ReplicaSet*> cleanup;
};
RecreateStep recreate_step(const Deployment& d, const ReplicaSet* new_rs,
                           std::span<const ReplicaSet* const> old_rses, bool old_pods_running);
// upstream oldPodsRunning: some old ReplicaSet has status.replicas > 0, or some pod not
// owned by the new ReplicaSet is not Succeeded/Failed. `pods_not_of_new_rs`: the
// Deployment's pods whose owner is not the new ReplicaSet.
bool old_pods_running(std::span<const ReplicaSet* const> old_rses,
                      std::span<const Pod* const> pods_not_of_new_rs);

// upstream isScalingEvent: some active ReplicaSet's desired-replicas annotation differs
// from the Deployment's replicas.
bool is_scaling_event(const Deployment& d, std::span<const ReplicaSet* const> rses);
// upstream IsSaturated: new ReplicaSet at replicas, annotated so, all available.
bool is_saturated(const Deployment& d, const ReplicaSet* new_rs);
// upstream GetReplicaSetProportion (getProportion + getReplicaSetFraction).
std::int32_t replica_set_proportion(const ReplicaSet& rs, const Deployment& d, std::int32_t to_add,
                                    std::int32_t added);
// upstream DeploymentController.scale: on a scaling event, the sizes of the active
// ReplicaSets. One active (or none: the newest) takes all replicas; a saturated new one
// makes old ones 0; otherwise (RollingUpdate) replicas + maxSurge - Σ spec is spread in
// proportion to size (largest first; newer first on ties when adding, older first when
// removing) and the leftover goes to the first. Decisions only where size or annotations
// change.
std::vector<ScaleDecision> proportional_scale(const Deployment& d, const ReplicaSet* new_rs,
                                              std::span<const ReplicaSet* const> old_rses);

// ---- History, rollback ---------------------------------------------------------------------

// upstream cleanupDeployment: of the old ReplicaSets not being deleted, the
// (count - revisionHistoryLimit) lowest revisions (creation time breaks ties) are deleted
// unless they still have replicas (spec or status) or an unobserved generation.
std::vector<const ReplicaSet*> cleanup_history(const Deployment& d,
                                               std::span<const ReplicaSet* const> old_rses);

enum class RollbackResult : std::uint8_t { kDone, kRevisionNotFound, kTemplateUnchanged };
// Rollback to `revision` (0: the previous one, LastRevision): copies that ReplicaSet's
// template (without pod-template-hash) and annotations into `d`. The next sync then finds
// that ReplicaSet as the new one and gives it revision max + 1.
RollbackResult rollback(Deployment& d, std::span<const ReplicaSet* const> rses,
                        std::int64_t revision = 0);

// ---- Status and conditions -----------------------------------------------------------------

// upstream DeploymentComplete / DeploymentProgressing / DeploymentTimedOut.
bool deployment_complete(const Deployment& d, const DeploymentStatus& s);
bool deployment_progressing(const Deployment& d, const DeploymentStatus& s);
bool deployment_timed_out(const Deployment& d, const DeploymentStatus& s, sim::Time now);

// upstream calculateStatus + syncRolloutStatus: counts over `all_rses` (updated =
// new_rs's status.replicas), the Available condition (MinimumReplicasAvailable when
// available >= replicas - maxUnavailable) and the Progressing condition
// (NewReplicaSetAvailable / ReplicaSetUpdated / ProgressDeadlineExceeded). Conditions
// start from d.status.conditions.
DeploymentStatus deployment_status(const Deployment& d, std::span<const ReplicaSet* const> all_rses,
                                   const ReplicaSet* new_rs, sim::Time now);
// When the rollout would time out if nothing progresses (Progressing's lastUpdateTime +
// progressDeadlineSeconds + 1 s, as upstream requeueStuckDeployment); nullopt when no
// deadline applies.
std::optional<sim::Time> progress_deadline_check_time(const Deployment& d,
                                                      const DeploymentStatus& s);
// Progressing=True with reason NewReplicaSetCreated / FoundNewReplicaSet, as
// getNewReplicaSet sets it when it creates or first finds the new ReplicaSet.
void set_progressing_condition(DeploymentStatus& s, ConditionStatus status, std::string_view reason,
                               std::string message, sim::Time now);

}  // namespace kubesim::models
