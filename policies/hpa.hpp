// HorizontalPodAutoscaler decision logic, as kube-controller-manager v1.34 computes it:
// pkg/controller/podautoscaler/horizontal.go (reconcileAutoscaler, computeReplicasForMetrics,
// normalizeDesiredReplicas[WithBehaviors], convertDesiredReplicasWithBehaviorRate,
// storeScaleEvent), replica_calculator.go (GetResourceReplicas, calcPlainMetricReplicas,
// GetObject[PerPod]MetricReplicas, GetExternal[PerPod]MetricReplicas, groupPods,
// calculateRequests) and metrics/utilization.go (GetResourceUtilizationRatio,
// GetMetricUsageRatio). Written from those files; the arithmetic is the same, including
// integer divisions, float ceil/trunc and strict/non-strict time comparisons.
//
// Pure: no YAML, no clock, no store. One call to decide() is one reconcile of one HPA:
// the caller gives the HPA object, the target's scale (spec.replicas, status.replicas),
// the pods its selector selects, their metrics and `now`; decide() returns what the
// controller would set (desired replicas, conditions, per-metric proposals) and updates
// the HpaState that upstream keeps in the controller's memory (recommendations and scale
// events per HPA key). The same code serves the running controller (a 15 s sync) and
// `kubesim explain`.
//
// Inputs are taken as given (the caller decides freshness and which PodMetrics exist):
//   * resource metrics (Resource, ContainerResource): models::PodMetrics, matched to pods
//     by name; PodMetrics for pods that do not exist count as upstream's "superfluous"
//     metrics do;
//   * Pods metrics (custom.metrics.k8s.io per pod), Object and External metric values are
//     keyed by metric name (and described object); metric selectors are the metrics
//     provider's business and are not re-applied here.
//
// Not modelled: pod-level resources (PodLevelResources gate), the HPAScaleToZero gate's
// validation (minReplicas 0 is accepted as upstream's controller accepts it), selector
// ambiguity between HPAs (AmbiguousSelector), the controller's metrics monitor.
//
// Not thread-safe: an HpaState belongs to one HPA; decide() is re-entrant otherwise.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/objects.hpp"
#include "models/workloads.hpp"
#include "sim/time.hpp"

namespace kubesim::policies {

// kube-controller-manager flags of the HPA controller (config/v1alpha1/defaults.go).
struct HpaControllerOptions {
  double tolerance = 0.1;  // --horizontal-pod-autoscaler-tolerance
  sim::Duration cpu_initialization_period = sim::minutes(5);  // --...-cpu-initialization-period
  sim::Duration initial_readiness_delay = sim::seconds(30);   // --...-initial-readiness-delay
  sim::Duration downscale_stabilization_window = sim::minutes(5);  // --...-downscale-stabilization
  // HPAConfigurableTolerance (alpha in v1.34, beta and on in v1.35): honour
  // spec.behavior.scaleUp/scaleDown.tolerance. kubesim honours a tolerance that is written
  // down; set false to reproduce a v1.34 cluster with the gate off (the field is dropped).
  bool configurable_tolerance = true;
};

// Upstream's timestampedRecommendation / timestampedScaleEvent.
struct HpaRecommendation {
  std::int32_t replicas = 0;
  sim::Time time = 0;
  friend bool operator==(const HpaRecommendation&, const HpaRecommendation&) = default;
};
struct HpaScaleEvent {
  std::int32_t change = 0;  // always positive: replicas added (up list) or removed (down list)
  sim::Time time = 0;
  bool outdated = false;
  friend bool operator==(const HpaScaleEvent&, const HpaScaleEvent&) = default;
};

// What the controller remembers about one HPA between reconciles (upstream keeps it in
// maps keyed by namespace/name and loses it on restart).
struct HpaState {
  // upstream recommendations[key]; nullopt = never reconciled: the first reconcile records
  // {currentReplicas, now} (recordInitialRecommendation), so a fresh controller does not
  // scale down within its first stabilization window.
  std::optional<std::vector<HpaRecommendation>> recommendations;
  std::vector<HpaScaleEvent> scale_up_events;  // only kept when spec.behavior is set
  std::vector<HpaScaleEvent> scale_down_events;
  std::optional<sim::Time> last_scale_time;  // status.lastScaleTime
};

// One per-pod value of a Pods metric (custom.metrics.k8s.io), in milli-units.
struct HpaPodMetricValue {
  std::string pod;
  std::int64_t value_milli = 0;
};
struct HpaPodsMetric {
  std::string metric;  // metric.name
  std::vector<HpaPodMetricValue> values;
};
// An Object metric's value for the described object.
struct HpaObjectMetric {
  std::string metric;
  std::string kind;  // describedObject.kind
  std::string name;  // describedObject.name
  std::int64_t value_milli = 0;
};
// An External metric: every series the provider returns for the name (upstream sums them).
struct HpaExternalMetric {
  std::string metric;
  std::vector<std::int64_t> values_milli;
};

struct HpaInputs {
  std::int32_t status_replicas = 0;      // the target's scale status.replicas
  bool has_selector = true;              // the target's scale has a selector
  std::vector<const models::Pod*> pods;  // pods selected by the target (the HPA's namespace)
  std::vector<const models::PodMetrics*> resource_metrics;  // metrics.k8s.io PodMetrics
  std::vector<HpaPodsMetric> pods_metrics;
  std::vector<HpaObjectMetric> object_metrics;
  std::vector<HpaExternalMetric> external_metrics;
};

struct HpaCondition {
  std::string type;  // AbleToScale, ScalingActive, ScalingLimited
  bool status = false;
  std::string reason;
  std::string message;
};

// One metric's computation (upstream computeReplicasForMetric).
struct HpaMetricProposal {
  std::string
      metric;  // upstream's metric name, e.g. "cpu resource utilization (percentage of request)"
  bool valid = false;
  std::string error;  // when !valid
  std::int32_t replicas = 0;
  // The first usage ratio (current/target) and, when unready or missing pods were filled
  // in, the recomputed one.
  double usage_ratio = 0;
  std::optional<double> adjusted_ratio;
  // Current value as status.currentMetrics would report it: utilization percent for
  // Utilization targets (and the raw per-pod average in milli-units), or the milli value.
  std::optional<std::int32_t> current_utilization;
  std::int64_t current_value_milli = 0;
  std::int64_t target_milli = 0;  // target value, average value (milli) or utilization (%)
  std::string tolerance;          // how the tolerance test ended, in words
  int ready_pods = 0;
  int unready_pods = 0;
  int missing_pods = 0;
  int ignored_pods = 0;
};

struct HpaDecision {
  std::int32_t current_replicas = 0;  // scale spec.replicas
  std::int32_t desired_replicas = 0;  // status.desiredReplicas after this reconcile
  bool rescale = false;               // the controller updates the scale
  std::int32_t metric_replicas = -1;  // max over valid proposals; -1 when none was used
  std::string metric;                 // the metric that won
  std::vector<HpaMetricProposal> proposals;
  std::optional<std::int32_t> stabilized_replicas;  // after the stabilization window
  std::string stabilization;             // "", "ScaleUpStabilized", "ScaleDownStabilized"
  std::string limit;                     // ScalingLimited reason when it is True
  std::vector<HpaCondition> conditions;  // set by this reconcile, in upstream's order
  std::string rescale_reason;            // upstream event text ("All metrics below target")
  std::string error;                     // the reconcile's error, if any
  std::string reason;                    // one line, for people
};

// Effective scaling rules after upstream defaulting (GenerateHPAScaleUpRules /
// GenerateHPAScaleDownRules) and the controller's fill-in of the scale-down window.
models::HpaScalingRules effective_scale_up_rules(const models::HorizontalPodAutoscalerSpec& spec);
models::HpaScalingRules effective_scale_down_rules(const models::HorizontalPodAutoscalerSpec& spec,
                                                   const HpaControllerOptions& options);
bool uses_behavior(const models::HorizontalPodAutoscalerSpec& spec);

// One reconcile. `current_replicas` is the target's scale spec.replicas. Updates `state`
// exactly as upstream updates its maps (recommendations always; scale events only on a
// rescale with behavior; last_scale_time on a rescale).
HpaDecision decide(const models::HorizontalPodAutoscaler& hpa, std::int32_t current_replicas,
                   const HpaInputs& inputs, sim::Time now, HpaState& state,
                   const HpaControllerOptions& options = {});

// ---- pieces, exposed for tests and for explain ------------------------------------------

// upstream normalizeDesiredReplicas (behavior == nil): stabilization over the downscale
// window, then min/max and the scale-up limit max(2 x current, 4).
std::int32_t normalize_without_behavior(std::int32_t current, std::int32_t desired,
                                        std::int32_t min_replicas, std::int32_t max_replicas,
                                        sim::Time now, HpaState& state,
                                        const HpaControllerOptions& options,
                                        HpaDecision* out = nullptr);

// upstream normalizeDesiredReplicasWithBehaviors with already-defaulted rules.
std::int32_t normalize_with_behavior(std::int32_t current, std::int32_t desired,
                                     std::int32_t min_replicas, std::int32_t max_replicas,
                                     const models::HpaScalingRules& up,
                                     const models::HpaScalingRules& down, sim::Time now,
                                     HpaState& state, HpaDecision* out = nullptr);

// upstream convertDesiredReplicasWithBehaviorRate: {replicas, ScalingLimited reason}.
struct HpaLimited {
  std::int32_t replicas = 0;
  std::string reason;
};
HpaLimited limit_with_behavior_rate(std::int32_t current, std::int32_t desired,
                                    std::int32_t min_replicas, std::int32_t max_replicas,
                                    const models::HpaScalingRules& up,
                                    const models::HpaScalingRules& down, const HpaState& state,
                                    sim::Time now);

// upstream storeScaleEvent (with behavior): records a rescale from prev to next.
void store_scale_event(const models::HpaScalingRules& up, const models::HpaScalingRules& down,
                       std::int32_t prev, std::int32_t next, sim::Time now, HpaState& state);

// upstream getReplicasChangePerPeriod: the sum of changes strictly newer than now - period.
std::int32_t replicas_change_in_period(std::int32_t period_seconds,
                                       const std::vector<HpaScaleEvent>& events, sim::Time now);

}  // namespace kubesim::policies
