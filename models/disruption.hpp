// PodDisruptionBudget (policy/v1) and the rules upstream Kubernetes v1.34 applies to it:
// the disruption controller's status arithmetic (pkg/controller/disruption/disruption.go)
// and the Eviction API's admission decision (pkg/registry/core/pod/storage/eviction.go).
// These are pure functions over objects; the runtime is models/disruption_controller.hpp
// (status) and ApiServer::evict (models/api_server.hpp).
//
// Status (disruption.go getExpectedPodCount, countHealthyPods, updatePdbStatus):
//   - expectedPods / desiredHealthy:
//       maxUnavailable (int or %):  expectedPods = Σ scale of the pods' controllers,
//                                   desiredHealthy = max(0, expectedPods −
//                                   GetScaledValueFromIntOrPercent(maxUnavailable,
//                                   expectedPods, roundUp=true))
//       minAvailable integer:       expectedPods = number of selected pods,
//                                   desiredHealthy = minAvailable
//       minAvailable percent:       expectedPods = Σ controller scale, desiredHealthy =
//                                   GetScaledValueFromIntOrPercent(minAvailable, expectedPods,
//                                   roundUp=true)
//     The controllers' scale (getExpectedScale) comes from each pod's controller
//     ownerReference: a ReplicaSet owned by a Deployment counts the Deployment's
//     spec.replicas, another ReplicaSet its own. A pod without a controller, or whose
//     controller has no scale (a Job, a kind kubesim does not model), is an error: the
//     controller's fail-safe sets disruptionsAllowed 0 and the DisruptionAllowed condition
//     False with reason SyncFailed.
//   - currentHealthy: selected pods that are Ready, not being deleted and not in
//     disruptedPods (recorded by an eviction less than 2 minutes ago: DeletionTimeout).
//   - disruptionsAllowed = currentHealthy − desiredHealthy, 0 when negative or when
//     expectedPods is 0.
//   - disruptedPods keeps the entries whose pod still exists, is not being deleted and was
//     evicted less than DeletionTimeout ago (buildDisruptedPodMap).
// Selection: pods of the PDB's namespace matched by spec.selector; policy/v1 treats an empty
// selector as matching every pod of the namespace. The Eviction API, by contrast, ignores
// PDBs with a nil or empty selector (eviction.go getPodDisruptionBudgets).
//
// Not thread-safe (plain data and functions).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/objects.hpp"
#include "models/selectors.hpp"
#include "models/workloads.hpp"
#include "sim/status.hpp"
#include "sim/time.hpp"

namespace kubesim::models {

// upstream pkg/controller/disruption DeletionTimeout: how long an eviction's disruptedPods
// entry keeps the pod out of currentHealthy while the pod's deletion is awaited.
inline constexpr sim::Duration kPdbDeletionTimeout = 2 * sim::kMinute;
// upstream eviction.go MaxDisruptedPodSize.
inline constexpr std::size_t kMaxDisruptedPodSize = 2000;
// The condition the controller and the eviction REST keep on the PDB (policy/v1).
inline constexpr std::string_view kPdbDisruptionAllowed = "DisruptionAllowed";
inline constexpr std::string_view kPdbSyncFailed = "SyncFailed";
inline constexpr std::string_view kPdbSufficientPods = "SufficientPods";
inline constexpr std::string_view kPdbInsufficientPods = "InsufficientPods";
// The 429 message of eviction.go (checkAndDecrement, createTooManyRequestsError).
inline constexpr std::string_view kPdbEvictionRefused =
    "Cannot evict pod as it would violate the pod's disruption budget.";

enum class UnhealthyPodEvictionPolicy : std::uint8_t { kIfHealthyBudget, kAlwaysAllow };
std::string_view to_string(UnhealthyPodEvictionPolicy policy);

struct PodDisruptionBudgetSpec {
  std::optional<LabelSelector> selector;  // nullopt: matches no pod
  std::optional<IntOrPercent> min_available;
  std::optional<IntOrPercent> max_unavailable;  // exactly one of the two is set
  UnhealthyPodEvictionPolicy unhealthy_pod_eviction_policy =
      UnhealthyPodEvictionPolicy::kIfHealthyBudget;
  friend bool operator==(const PodDisruptionBudgetSpec&, const PodDisruptionBudgetSpec&) = default;
};

struct PodDisruptionBudgetStatus {
  std::int64_t observed_generation = 0;
  std::map<std::string, sim::Time, std::less<>> disrupted_pods;  // pod name → eviction time
  std::int32_t disruptions_allowed = 0;
  std::int32_t current_healthy = 0;
  std::int32_t desired_healthy = 0;
  std::int32_t expected_pods = 0;
  std::vector<Condition> conditions;  // DisruptionAllowed
};

struct PodDisruptionBudget {
  ObjectMeta metadata;
  PodDisruptionBudgetSpec spec;
  PodDisruptionBudgetStatus status;
};

// Whether the disruption controller counts `pod` for `pdb`: same namespace and the selector
// matches (an empty selector matches all; a null one or an invalid one none).
bool pdb_selects(const PodDisruptionBudget& pdb, const Pod& pod);
// The DisruptionTarget reason of a pod the Eviction API deletes (eviction.go
// addConditionAndDeletePod; PodDisruptionConditions, GA in v1.31).
inline constexpr std::string_view kReasonEvictionByEvictionApi = "EvictionByEvictionAPI";

// Whether the Eviction API applies `pdb` to `pod`: exactly pdb_selects (policy/v1 and
// eviction.go getPodDisruptionBudgets since the policy/v1beta1 rule that an empty selector
// matches nothing was dropped: a null selector matches no pod, an empty one every pod of
// the namespace).
bool pdb_guards_eviction(const PodDisruptionBudget& pdb, const Pod& pod);

// The scale (spec.replicas) of the controller a pod's controllerRef names, or nullopt when
// that controller has no scale kubesim knows (upstream's finders: ReplicaSet — or its
// Deployment —, ReplicationController, StatefulSet, any /scale subresource).
struct PdbScaleOf {
  std::int32_t replicas = 0;
  std::string uid;  // the scaled controller (a Deployment for its ReplicaSets' pods)
};
using PdbScaleLookup =
    std::function<std::optional<PdbScaleOf>(const Pod& pod, const OwnerReference& owner)>;

// The status the disruption controller computes at `now` for `pdb` over `pods` (the pods
// pdb_selects, any order). Errors (no controller, no scale) yield the fail-safe status:
// the current status with disruptionsAllowed 0 and DisruptionAllowed False / SyncFailed.
// `recheck` (optional) receives the earliest time a disruptedPods entry expires.
PodDisruptionBudgetStatus compute_pdb_status(const PodDisruptionBudget& pdb,
                                             const std::vector<const Pod*>& pods,
                                             const PdbScaleLookup& scale_of, sim::Time now,
                                             std::optional<sim::Time>* recheck = nullptr);

// Whether two statuses differ in anything the controller writes.
bool pdb_status_equal(const PodDisruptionBudgetStatus& a, const PodDisruptionBudgetStatus& b);

// The Eviction API's decision for one pod (eviction.go Create), given the PDBs that guard
// it (pdb_guards_eviction).
enum class EvictionVerdict : std::uint8_t {
  kDeleteWithoutPdb,    // no PDB, or the pod's state lets the PDB be ignored
  kDeleteAndDecrement,  // allowed: disruptionsAllowed − 1 and a disruptedPods entry first
  kRefused,             // the returned status is the error (429, 500 or 403)
};
struct EvictionDecision {
  EvictionVerdict verdict = EvictionVerdict::kDeleteWithoutPdb;
  sim::Status error;  // kRefused: TooManyRequests (429), Internal (500) or InvalidArgument
};
EvictionDecision decide_eviction(const Pod& pod,
                                 const std::vector<const PodDisruptionBudget*>& guarding);
// What an allowed eviction writes to the PDB's status (checkAndDecrement).
void record_eviction(PodDisruptionBudgetStatus& status, std::string_view pod_name, sim::Time now);

}  // namespace kubesim::models
