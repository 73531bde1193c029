// Kubernetes workload and cluster objects other than Pod and Node, as plain structs
// (API field names in snake_case): ReplicaSet, Deployment, Job (apps/v1, batch/v1),
// Service, EndpointSlice (core/v1, discovery.k8s.io/v1), HorizontalPodAutoscaler
// (autoscaling/v2; its behaviour comes with the autoscalers), Lease
// (coordination.k8s.io/v1), Namespace and PriorityClass (scheduling.k8s.io/v1), and the
// PodGroup of the scheduler-plugins Coscheduling plugin (scheduling.x-k8s.io/v1alpha1).
//
// Data only. Defaults are upstream API defaulting (pkg/apis/apps/v1/defaults.go,
// pkg/apis/batch/v1/defaults.go, ...): Deployment replicas 1, strategy RollingUpdate with
// maxSurge 25% and maxUnavailable 25%, revisionHistoryLimit 10, progressDeadlineSeconds 600;
// Job parallelism 1, completions 1 (unset = "any one pod succeeding completes the Job"
// only when parallelism is set — kept as optional), backoffLimit 6, completionMode
// NonIndexed; Service type ClusterIP. Controllers own the behaviour.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "models/objects.hpp"
#include "models/selectors.hpp"
#include "sim/time.hpp"

namespace kubesim::models {

// A pod template: the metadata (labels, annotations) and spec that new pods copy.
struct PodTemplateSpec {
  ObjectMeta metadata;
  PodSpec spec;
};

// intstr.IntOrString: "25%" or 2.
struct IntOrPercent {
  std::int32_t value = 0;
  bool percent = false;
  friend bool operator==(const IntOrPercent&, const IntOrPercent&) = default;
};

// ---- ReplicaSet --------------------------------------------------------------------------

struct ReplicaSetSpec {
  std::int32_t replicas = 1;
  std::int32_t min_ready_seconds = 0;
  LabelSelector selector;
  PodTemplateSpec template_;
};

struct ReplicaSetStatus {
  std::int32_t replicas = 0;  // pods that exist and are not terminating
  std::int32_t fully_labeled_replicas = 0;
  std::int32_t ready_replicas = 0;
  std::int32_t available_replicas = 0;
  std::int32_t terminating_replicas = 0;
  std::int64_t observed_generation = 0;
  std::vector<Condition> conditions;
};

struct ReplicaSet {
  ObjectMeta metadata;
  ReplicaSetSpec spec;
  ReplicaSetStatus status;
};

// ---- Deployment --------------------------------------------------------------------------

enum class DeploymentStrategyType : std::uint8_t { kRollingUpdate, kRecreate };

struct DeploymentSpec {
  std::int32_t replicas = 1;
  LabelSelector selector;
  PodTemplateSpec template_;
  DeploymentStrategyType strategy = DeploymentStrategyType::kRollingUpdate;
  IntOrPercent max_surge{25, true};
  IntOrPercent max_unavailable{25, true};
  std::int32_t min_ready_seconds = 0;
  std::int32_t revision_history_limit = 10;
  bool paused = false;
  std::int32_t progress_deadline_seconds = 600;
};

// Deployment condition types and reasons (pkg/controller/deployment/util).
inline constexpr std::string_view kDeploymentAvailable = "Available";
inline constexpr std::string_view kDeploymentProgressing = "Progressing";
inline constexpr std::string_view kDeploymentReplicaFailure = "ReplicaFailure";

struct DeploymentStatus {
  std::int64_t observed_generation = 0;
  std::int32_t replicas = 0;
  std::int32_t updated_replicas = 0;
  std::int32_t ready_replicas = 0;
  std::int32_t available_replicas = 0;
  std::int32_t unavailable_replicas = 0;
  std::int32_t terminating_replicas = 0;
  std::vector<Condition> conditions;
};

struct Deployment {
  ObjectMeta metadata;
  DeploymentSpec spec;
  DeploymentStatus status;
};

// Annotations the Deployment controller keeps on its ReplicaSets.
inline constexpr std::string_view kRevisionAnnotation = "deployment.kubernetes.io/revision";
inline constexpr std::string_view kDesiredReplicasAnnotation =
    "deployment.kubernetes.io/desired-replicas";
inline constexpr std::string_view kMaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas";
inline constexpr std::string_view kPodTemplateHashLabel = "pod-template-hash";

// ---- Job ---------------------------------------------------------------------------------

enum class CompletionMode : std::uint8_t { kNonIndexed, kIndexed };

inline constexpr std::string_view kJobComplete = "Complete";
inline constexpr std::string_view kJobFailed = "Failed";
inline constexpr std::string_view kJobSuspended = "Suspended";
inline constexpr std::string_view kJobFailureTarget = "FailureTarget";
inline constexpr std::string_view kJobSuccessCriteriaMet = "SuccessCriteriaMet";

struct JobSpec {
  std::optional<std::int32_t> parallelism;  // defaulted to 1
  std::optional<std::int32_t> completions;  // defaulted to 1 when parallelism is unset
  std::int32_t backoff_limit = 6;
  std::optional<std::int64_t> active_deadline_seconds;
  std::optional<std::int64_t> ttl_seconds_after_finished;
  CompletionMode completion_mode = CompletionMode::kNonIndexed;
  bool suspend = false;
  std::optional<LabelSelector> selector;  // generated from the Job's uid when unset
  PodTemplateSpec template_;              // restartPolicy must be Never or OnFailure
};

struct JobStatus {
  std::optional<sim::Time> start_time;
  std::optional<sim::Time> completion_time;
  std::int32_t active = 0;
  std::int32_t succeeded = 0;
  std::int32_t failed = 0;
  std::int32_t ready = 0;
  std::int32_t terminating = 0;
  std::string completed_indexes;
  std::vector<Condition> conditions;
};

struct Job {
  ObjectMeta metadata;
  JobSpec spec;
  JobStatus status;
};

// kubesim: how long a batch pod's main container runs before exiting with success (or
// failure), read from the pod's annotations. A pod without it runs until deleted.
inline constexpr std::string_view kRunDurationAnnotation = "kubesim.io/run-duration";
inline constexpr std::string_view kExitCodeAnnotation = "kubesim.io/exit-code";

// ---- Service and EndpointSlice -----------------------------------------------------------

enum class ServiceType : std::uint8_t { kClusterIP, kNodePort, kLoadBalancer, kExternalName };

struct ServicePort {
  std::string name;
  std::string protocol = "TCP";
  std::int32_t port = 0;
  std::string target_port;  // a number or a container port name; empty = same as port
  std::int32_t node_port = 0;
  friend bool operator==(const ServicePort&, const ServicePort&) = default;
};

struct ServiceSpec {
  ServiceType type = ServiceType::kClusterIP;
  Labels selector;  // a plain map: Services select by equality only
  std::vector<ServicePort> ports;
  std::string cluster_ip;
};

struct Service {
  ObjectMeta metadata;
  ServiceSpec spec;
};

struct EndpointConditions {
  std::optional<bool> ready;
  std::optional<bool> serving;
  std::optional<bool> terminating;
};

struct Endpoint {
  std::vector<std::string> addresses;
  EndpointConditions conditions;
  std::string node_name;
  std::string zone;
  std::string target_pod;  // targetRef namespace/name of the pod
};

struct EndpointPort {
  std::string name;
  std::string protocol = "TCP";
  std::int32_t port = 0;
};

struct EndpointSlice {
  ObjectMeta metadata;  // labels: kubernetes.io/service-name
  std::string address_type = "IPv4";
  std::vector<Endpoint> endpoints;
  std::vector<EndpointPort> ports;
};

// ---- HorizontalPodAutoscaler (autoscaling/v2), the object only ---------------------------

struct CrossVersionObjectReference {
  std::string api_version;
  std::string kind;
  std::string name;
};

enum class MetricSourceType : std::uint8_t { kResource, kPods, kObject, kExternal, kContainerResource };
enum class MetricTargetType : std::uint8_t { kUtilization, kValue, kAverageValue };

struct MetricTarget {
  MetricTargetType type = MetricTargetType::kUtilization;
  std::optional<std::int32_t> average_utilization;  // percent
  std::optional<std::int64_t> value_milli;           // Quantity in milli-units
  std::optional<std::int64_t> average_value_milli;
};

struct MetricSpec {
  MetricSourceType type = MetricSourceType::kResource;
  std::string resource_name;   // Resource / ContainerResource
  std::string container;       // ContainerResource
  std::string metric_name;     // Pods / Object / External
  std::optional<LabelSelector> metric_selector;
  CrossVersionObjectReference described_object;  // Object
  MetricTarget target;
};

enum class ScalingPolicyType : std::uint8_t { kPods, kPercent };
enum class ScalingPolicySelect : std::uint8_t { kMax, kMin, kDisabled };

struct HpaScalingPolicy {
  ScalingPolicyType type = ScalingPolicyType::kPods;
  std::int32_t value = 0;
  std::int32_t period_seconds = 0;
};

struct HpaScalingRules {
  std::optional<std::int32_t> stabilization_window_seconds;
  std::optional<ScalingPolicySelect> select_policy;
  std::vector<HpaScalingPolicy> policies;
  std::optional<std::int64_t> tolerance_milli;  // v1.33+ alpha (HPAConfigurableTolerance)
};

struct HorizontalPodAutoscalerSpec {
  CrossVersionObjectReference scale_target_ref;
  std::optional<std::int32_t> min_replicas;  // defaulted to 1
  std::int32_t max_replicas = 0;
  std::vector<MetricSpec> metrics;
  std::optional<HpaScalingRules> scale_up;
  std::optional<HpaScalingRules> scale_down;
  // spec.behavior was present (even empty: `behavior: {}` selects upstream's behavior path
  // with every rule defaulted, not the legacy path of a nil behavior).
  bool has_behavior = false;
};

struct HorizontalPodAutoscalerStatus {
  std::optional<sim::Time> last_scale_time;
  std::int32_t current_replicas = 0;
  std::int32_t desired_replicas = 0;
  std::vector<Condition> conditions;
};

struct HorizontalPodAutoscaler {
  ObjectMeta metadata;
  HorizontalPodAutoscalerSpec spec;
  HorizontalPodAutoscalerStatus status;
};

// ---- PodMetrics (metrics.k8s.io/v1beta1), as metrics-server serves them -----------------

// One container's usage: cpu in milli-cores, memory in bytes (ResourceList units).
struct ContainerMetrics {
  std::string name;
  ResourceList usage;
};

// A pod's resource usage over `window` ending at `timestamp` (metrics-server reports the
// pod's labels in metadata.labels). Read by the HPA's resource metrics and by explain.
struct PodMetrics {
  ObjectMeta metadata;  // name and namespace are the pod's
  sim::Time timestamp = 0;
  sim::Duration window = 0;
  std::vector<ContainerMetrics> containers;
};

// ---- Lease, Namespace, PriorityClass -----------------------------------------------------

inline constexpr std::string_view kNodeLeaseNamespace = "kube-node-lease";

struct LeaseSpec {
  std::string holder_identity;
  std::optional<std::int32_t> lease_duration_seconds;
  std::optional<sim::Time> acquire_time;
  std::optional<sim::Time> renew_time;
  std::int32_t lease_transitions = 0;
};

struct Lease {
  ObjectMeta metadata;
  LeaseSpec spec;
};

struct Namespace {
  ObjectMeta metadata;
  std::string phase = "Active";  // Active or Terminating
};

struct PriorityClass {
  ObjectMeta metadata;  // cluster-scoped
  std::int32_t value = 0;
  bool global_default = false;
  PreemptionPolicy preemption_policy = PreemptionPolicy::kPreemptLowerPriority;
  std::string description;
};

// Built-in priority classes (pkg/apis/scheduling): system-cluster-critical 2,000,000,000 and
// system-node-critical 2,000,001,000.
inline constexpr std::int32_t kSystemClusterCritical = 2000000000;
inline constexpr std::int32_t kSystemNodeCritical = 2000001000;

// ---- PodGroup (scheduling.x-k8s.io/v1alpha1, kubernetes-sigs/scheduler-plugins) ----------

// A gang: pods labelled scheduling.x-k8s.io/pod-group=<name> are admitted together once
// min_member of them can be placed (apis/scheduling/v1alpha1/types.go). Upstream's
// scheduleTimeoutSeconds is optional; the Coscheduling plugin then uses its
// permitWaitingTimeSeconds argument (default 60).
inline constexpr std::string_view kPodGroupLabel = "scheduling.x-k8s.io/pod-group";

struct PodGroupSpec {
  std::int32_t min_member = 1;
  std::optional<std::int32_t> schedule_timeout_seconds;
};

struct PodGroup {
  ObjectMeta metadata;
  PodGroupSpec spec;
};

}  // namespace kubesim::models
