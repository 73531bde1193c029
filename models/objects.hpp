// Kubernetes objects: ObjectMeta, Pod and Node as plain structs (core/v1 field names in
// snake_case), the way the object store holds them and controllers read them.
//
// These are data, not behaviour: what a controller or the scheduler does with them lives
// with that component. Only rules that upstream defines on the object itself are here:
// the pod's effective resource request (k8s.io/component-helpers/resource PodRequests),
// the controller owner reference (metav1.GetControllerOf) and node readiness.
//
// Times are simulation times (sim::Time, nanoseconds since the start of the run).
// Defaults match upstream API defaulting (pkg/apis/core/v1/defaults.go): schedulerName
// "default-scheduler", terminationGracePeriodSeconds 30, restartPolicy Always,
// preemptionPolicy PreemptLowerPriority.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/labels.hpp"
#include "models/resources.hpp"
#include "models/selectors.hpp"
#include "models/taints.hpp"
#include "sim/time.hpp"

namespace kubesim::models {

struct OwnerReference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  bool controller = false;
  bool block_owner_deletion = false;
  friend bool operator==(const OwnerReference&, const OwnerReference&) = default;
};

struct ObjectMeta;
// The reference a controller sets on the objects it creates (upstream metav1.NewControllerRef:
// controller and blockOwnerDeletion true).
OwnerReference controller_reference(std::string_view api_version, std::string_view kind,
                                    const ObjectMeta& owner);

struct ObjectMeta {
  std::string namespace_;  // empty for cluster-scoped kinds (Node)
  std::string name;
  std::string generate_name;
  std::string uid;
  Labels labels;
  Labels annotations;  // same sorted string map; annotation values are not label-validated
  std::vector<OwnerReference> owner_references;
  std::vector<std::string> finalizers;
  std::int64_t resource_version = 0;  // set by the object store
  std::int64_t generation = 0;
  sim::Time creation_timestamp = 0;
  std::optional<sim::Time> deletion_timestamp;
  std::optional<std::int64_t> deletion_grace_period_seconds;

  // The owner reference with controller: true, if any (upstream metav1.GetControllerOf).
  const OwnerReference* controller_ref() const;
  bool being_deleted() const { return deletion_timestamp.has_value(); }
};

// ---- Pod --------------------------------------------------------------------------------

inline constexpr std::string_view kDefaultSchedulerName = "default-scheduler";

struct ContainerPort {
  std::int32_t container_port = 0;
  std::int32_t host_port = 0;  // 0: none
  std::string protocol = "TCP";
  std::string host_ip;
  std::string name = {};  // an IANA_SVC_NAME a Service's targetPort may refer to
  friend bool operator==(const ContainerPort&, const ContainerPort&) = default;
};

struct Container {
  std::string name;
  std::string image;
  ResourceList requests;
  ResourceList limits;
  std::vector<ContainerPort> ports;
  // Init containers only: restartPolicy: Always makes it a sidecar that keeps running
  // alongside the app containers (KEP-753).
  bool restartable = false;
};

enum class PodPhase : std::uint8_t { kPending, kRunning, kSucceeded, kFailed, kUnknown };
std::string_view to_string(PodPhase phase);

enum class RestartPolicy : std::uint8_t { kAlways, kOnFailure, kNever };
std::string_view to_string(RestartPolicy policy);

enum class PreemptionPolicy : std::uint8_t { kPreemptLowerPriority, kNever };

enum class ConditionStatus : std::uint8_t { kTrue, kFalse, kUnknown };
std::string_view to_string(ConditionStatus status);

// Pod condition types used by the models.
inline constexpr std::string_view kPodScheduled = "PodScheduled";
inline constexpr std::string_view kPodInitialized = "Initialized";
inline constexpr std::string_view kPodContainersReady = "ContainersReady";
inline constexpr std::string_view kPodReady = "Ready";
inline constexpr std::string_view kPodDisruptionTarget = "DisruptionTarget";

struct Condition {
  std::string type;
  ConditionStatus status = ConditionStatus::kUnknown;
  sim::Time last_transition_time = 0;
  sim::Time last_heartbeat_time = 0;  // nodes only
  std::string reason;
  std::string message;
};

// The condition of that type, or nullptr.
const Condition* find_condition(const std::vector<Condition>& conditions, std::string_view type);
// Sets a condition; last_transition_time changes only when the status changes (as upstream
// status helpers do). Returns whether anything changed.
bool set_condition(std::vector<Condition>& conditions, Condition condition);
// The same for a condition given by its fields, transitioning at `now`.
bool set_condition(std::vector<Condition>& conditions, std::string_view type,
                   ConditionStatus status, std::string_view reason, std::string_view message,
                   sim::Time now);

// ---- Inter-pod affinity and topology spread (core/v1) -----------------------------------

// One (anti-)affinity term: the pods matched by label_selector in the namespaces given (the
// incoming pod's own namespace when both lists are empty; namespace_selector {} = all
// namespaces), co-located (or not) in the same topology_key domain.
struct PodAffinityTerm {
  std::optional<LabelSelector> label_selector;  // nullopt matches no pod
  std::vector<std::string> namespaces;
  std::optional<LabelSelector> namespace_selector;
  std::string topology_key;
  std::vector<std::string> match_label_keys;     // v1.33+ beta, on by default
  std::vector<std::string> mismatch_label_keys;  // v1.33+ beta, on by default
  friend bool operator==(const PodAffinityTerm&, const PodAffinityTerm&) = default;
};

struct WeightedPodAffinityTerm {
  std::int32_t weight = 0;  // 1..100
  PodAffinityTerm term;
  friend bool operator==(const WeightedPodAffinityTerm&, const WeightedPodAffinityTerm&) = default;
};

// Used for both podAffinity and podAntiAffinity.
struct PodAffinityRules {
  std::vector<PodAffinityTerm> required;            // requiredDuringScheduling...
  std::vector<WeightedPodAffinityTerm> preferred;   // preferredDuringScheduling...
  bool empty() const { return required.empty() && preferred.empty(); }
  friend bool operator==(const PodAffinityRules&, const PodAffinityRules&) = default;
};

enum class UnsatisfiableConstraintAction : std::uint8_t { kDoNotSchedule, kScheduleAnyway };
enum class NodeInclusionPolicy : std::uint8_t { kHonor, kIgnore };

struct TopologySpreadConstraint {
  std::int32_t max_skew = 1;
  std::string topology_key;
  UnsatisfiableConstraintAction when_unsatisfiable = UnsatisfiableConstraintAction::kDoNotSchedule;
  std::optional<LabelSelector> label_selector;
  std::optional<std::int32_t> min_domains;
  // nullopt: upstream's defaults (nodeAffinityPolicy Honor, nodeTaintsPolicy Ignore).
  std::optional<NodeInclusionPolicy> node_affinity_policy;
  std::optional<NodeInclusionPolicy> node_taints_policy;
  std::vector<std::string> match_label_keys;
  friend bool operator==(const TopologySpreadConstraint&, const TopologySpreadConstraint&) = default;
};

struct PodSpec {
  std::vector<Container> init_containers;
  std::vector<Container> containers;
  std::string node_name;  // set by binding
  std::string scheduler_name = std::string(kDefaultSchedulerName);
  std::string priority_class_name;
  std::int32_t priority = 0;  // resolved from the priority class at admission
  PreemptionPolicy preemption_policy = PreemptionPolicy::kPreemptLowerPriority;
  Labels node_selector;
  std::optional<NodeAffinity> node_affinity;
  std::vector<Toleration> tolerations;
  PodAffinityRules pod_affinity;
  PodAffinityRules pod_anti_affinity;
  std::vector<TopologySpreadConstraint> topology_spread_constraints;
  std::int64_t termination_grace_period_seconds = 30;
  std::optional<std::int64_t> active_deadline_seconds;
  RestartPolicy restart_policy = RestartPolicy::kAlways;
  ResourceList overhead;  // RuntimeClass pod overhead
  // kubesim: the nvidia.com/gpu device indexes on the node (0-based, as the node's GPU
  // topology numbers them) chosen with the binding; the kubelet's device manager honours
  // them. Empty for pods without GPUs and before binding.
  std::vector<std::int32_t> gpu_device_ids;
};

// ---- GPU sharing --------------------------------------------------------------------------
//
// A pod shares a GPU by annotation, as Alibaba's GPU-sharing clusters (and the FGD paper's
// simulator, pkg/utils/const.go of hkust-adsl/kubernetes-scheduler-simulator) do:
//   alibabacloud.com/gpu-milli: "460"   per-device share, 1..1000 (1000 = a whole device)
//   alibabacloud.com/gpu-count: "1"     devices (must be 1 when gpu-milli < 1000)
// A pod that requests nvidia.com/gpu: N (and carries no gpu-milli) takes N whole devices.
// The devices chosen go into spec.gpu_device_ids at binding. The loader validates the
// annotations; gpu_demand() trusts them.
inline constexpr std::string_view kAnnotationGpuMilli = "alibabacloud.com/gpu-milli";
inline constexpr std::string_view kAnnotationGpuCount = "alibabacloud.com/gpu-count";

struct GpuDemandOfPod {
  std::int32_t devices = 0;  // how many devices the pod uses
  std::int32_t milli = 0;    // on each of them, 1..1000; 0 when devices == 0
  bool shared() const { return devices > 0 && milli < 1000; }
};

struct PodStatus {
  PodPhase phase = PodPhase::kPending;
  std::vector<Condition> conditions;
  std::optional<sim::Time> start_time;
  std::string nominated_node_name;
  std::string reason;
  std::string message;
  std::string pod_ip;
};

struct Pod {
  ObjectMeta metadata;
  PodSpec spec;
  PodStatus status;

  // What the pod asks of a node (upstream resource.PodRequests, used by NodeResourcesFit,
  // the kubelet's admission and quota): the larger, per resource, of (a) the app
  // containers plus every restartable init (sidecar) container and (b) the largest
  // requirement during initialisation — each regular init container plus the sidecars
  // started before it — then the pod overhead added.
  ResourceList requests() const;
  bool bound() const { return !spec.node_name.empty(); }
  bool terminal() const {
    return status.phase == PodPhase::kSucceeded || status.phase == PodPhase::kFailed;
  }
  // Ready condition is True.
  bool ready() const;
  // The GPU devices the pod uses and the milli-GPU on each (see kAnnotationGpuMilli):
  // from the annotations when present, else nvidia.com/gpu whole devices.
  GpuDemandOfPod gpu_demand() const;
};

// Parses a gpu-milli / gpu-count annotation value; nullopt unless it is a plain decimal
// integer in [min, max]. Shared by the loader (which reports bad values) and the model.
std::optional<std::int32_t> parse_gpu_annotation(std::string_view value, std::int32_t min,
                                                 std::int32_t max);

// ---- Node -------------------------------------------------------------------------------

inline constexpr std::string_view kNodeReady = "Ready";
inline constexpr std::string_view kNodeMemoryPressure = "MemoryPressure";
inline constexpr std::string_view kNodeDiskPressure = "DiskPressure";
inline constexpr std::string_view kNodePIDPressure = "PIDPressure";

// Well-known labels.
inline constexpr std::string_view kLabelHostname = "kubernetes.io/hostname";
inline constexpr std::string_view kLabelZone = "topology.kubernetes.io/zone";
inline constexpr std::string_view kLabelRegion = "topology.kubernetes.io/region";
inline constexpr std::string_view kLabelInstanceType = "node.kubernetes.io/instance-type";
inline constexpr std::string_view kLabelGpuProduct = "nvidia.com/gpu.product";

struct ContainerImage {
  std::vector<std::string> names;
  std::int64_t size_bytes = 0;
};

struct NodeSpec {
  bool unschedulable = false;
  std::vector<Taint> taints;
  std::string provider_id;
};

struct NodeStatus {
  ResourceList capacity;
  ResourceList allocatable;
  std::vector<Condition> conditions;
  std::vector<ContainerImage> images;
};

struct Node {
  ObjectMeta metadata;
  NodeSpec spec;
  NodeStatus status;

  // The Ready condition is True.
  bool ready() const;
};

}  // namespace kubesim::models
