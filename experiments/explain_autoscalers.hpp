// Explain for autoscalers: "how many replicas does my HorizontalPodAutoscaler want, and
// why?" — one reconcile of kube-controller-manager v1.34's HPA controller per
// HorizontalPodAutoscaler of a cluster state (policies/hpa.hpp does the arithmetic).
//
// Input (scenarios/manifests.hpp reads it): HorizontalPodAutoscalers (autoscaling/v2),
// their scale targets (Deployment or ReplicaSet; other kinds through
// AutoscalerExplainOptions::resolve_target, e.g. AIService later), Pods (phase, Ready
// condition with lastTransitionTime, startTime, container requests) and metrics.k8s.io
// PodMetrics as metrics-server serves them, and the time `now` the reconcile happens at.
//
// For each HPA, in input order:
//   * current replicas = the target's spec.replicas; status.replicas for per-pod Object and
//     External targets; the pods = those in the HPA's namespace matching the target's
//     selector; the resource metrics = PodMetrics in that namespace named like one of those
//     pods or labelled to match the selector (metrics-server copies pod labels).
//   * Pods, Object and External metric values are not Kubernetes objects: they come from
//     the HPA annotation kubesim.io/metric-values (JSON, see kMetricValuesAnnotation).
//   * The controller's memory — recommendations and scale events — comes from the
//     annotations kubesim.io/recommendations and kubesim.io/scale-events. Without
//     kubesim.io/recommendations the reconcile is the first one of a freshly started
//     controller (upstream records the current replica count as the first recommendation,
//     so it does not scale down within the stabilization window); '[]' means "a running
//     controller with no recent recommendations".
//
// Bad annotations are errors (invalid_argument naming the HPA and the annotation). An HPA
// whose target is missing is reported with an error text, not skipped.
//
// After the HPAs, the same for the event-driven and serverless autoscalers of the state
// (experiments/explain_serverless.cpp; docs/autoscaling.md, "kubesim explain for KEDA,
// KPA and predictive autoscalers"):
//   * KEDA ScaledObjects: one poll of the operator (policies::KedaState::poll) on the
//     trigger values of kTriggerValuesAnnotation, with status.lastActiveTime and
//     status.health's failure counts restored; then, when the target has (or is given)
//     replicas, one reconcile of the generated HPA (policies::keda_hpa_for) on the same
//     values, with the HPA memory annotations of the ScaledObject.
//   * Knative PodAutoscalers: one tick of policies::KpaAutoscaler (config-autoscaler from
//     the state, the PA's Active condition and its lastTransitionTime restored) on windows
//     computed from the per-second samples of kLoadHistoryAnnotation by KpaAutoscaler::record
//     and scale() — the running controller's code path — or, without that annotation, on
//     the window averages of kObservedMetricsAnnotation (the reason says which).
//   * PredictiveAutoscalers: the samples of kLoadHistoryAnnotation recorded, then one
//     decide() at now.
// Deterministic; not thread-safe (plain values).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policies/hpa.hpp"
#include "policies/keda.hpp"
#include "policies/kpa.hpp"
#include "policies/predictive.hpp"
#include "scenarios/manifests.hpp"
#include "sim/status.hpp"

namespace kubesim::experiments {

// '[{"time": "2025-09-01T08:00:00Z", "replicas": 5}, ...]'
inline constexpr std::string_view kRecommendationsAnnotation = "kubesim.io/recommendations";
// '[{"time": "2025-09-01T08:00:00Z", "change": 4}, {"time": ..., "change": -2}]' (positive:
// a scale-up by that many replicas; negative: a scale-down)
inline constexpr std::string_view kScaleEventsAnnotation = "kubesim.io/scale-events";
// '[{"type": "Pods", "name": "qps", "pods": {"web-0": "12", "web-1": "8"}},
//   {"type": "Object", "name": "rps", "kind": "Ingress", "object": "main", "value": "2k"},
//   {"type": "External", "name": "queue", "values": ["30", "12"]}]' (quantities)
inline constexpr std::string_view kMetricValuesAnnotation = "kubesim.io/metric-values";
// On a ScaledObject: one value per trigger, in trigger order, as the scaler returns it
// (quantities; null = the scaler failed): '["35", "4.5"]'.
inline constexpr std::string_view kTriggerValuesAnnotation = "kubesim.io/trigger-values";
// On a PodAutoscaler: the autoscaler's window averages of the revision's total concurrency
// (or requests per second for metric rps) and its panic state:
// '{"stable": 45, "panic": 80, "panicTime": "2025-09-01T08:09:58Z", "maxPanicPods": 10}'
// ("panic" defaults to "stable"; no panicTime: not panicking). The averages are the fallback
// when the PA has no kLoadHistoryAnnotation; with one only panicTime and maxPanicPods are read.
inline constexpr std::string_view kObservedMetricsAnnotation = "kubesim.io/observed-metrics";
// On a PredictiveAutoscaler: the recorded samples of its metric, oldest first:
// '[{"time": "2025-09-01T08:00:00Z", "value": 120}, ...]'. On a PodAutoscaler, the same form:
// the collector's per-second records of the revision's total concurrency (or requests per
// second with metric rps), oldest first, none after now; entries in the same second add up
// (as upstream's 1 s buckets do), a second without an entry counts as 0 (a gap).
// kObservedMetricsAnnotation may then carry only panicTime and maxPanicPods.
inline constexpr std::string_view kLoadHistoryAnnotation = "kubesim.io/load-history";

// What the HPA controller reads from its scale target's /scale subresource.
struct ScaleTarget {
  std::int32_t spec_replicas = 0;
  std::int32_t status_replicas = 0;
  std::optional<models::LabelSelector> selector;  // nullopt: the scale has no selector
};

struct AutoscalerExplainOptions {
  policies::HpaControllerOptions hpa;
  // Scale targets of kinds other than Deployment and ReplicaSet (namespace, kind, name).
  std::function<std::optional<ScaleTarget>(const scenarios::Manifests&, const std::string&,
                                           const std::string&, const std::string&)>
      resolve_target;
};

// What a ScaledObject's explanation adds (kind ScaledObject).
struct ExplainKeda {
  std::vector<std::string> metrics;                // s<i>-..., per trigger
  std::vector<policies::KedaTriggerValue> values;  // per trigger (nullopt: scaler failed)
  std::vector<double> activation_thresholds;       // per trigger
  std::vector<std::int32_t> failures_before;       // status.health, per trigger
  policies::KedaPollResult poll;                   // the operator's step
  std::vector<policies::HpaCondition> conditions;  // the ScaledObject's, after the poll
  std::string hpa_name;                            // the generated HPA
  bool hpa_reconciled = false;                     // the HPA step ran (target > 0)
  std::int32_t replicas_after_operator = 0;        // the target after the operator's write
  std::string last_active_time;                    // after the poll, RFC 3339 ("" = never)
};

// What a PodAutoscaler's explanation adds (kind PodAutoscaler).
struct ExplainKpa {
  policies::KpaConfig config;
  std::string metric;  // concurrency or rps
  std::int32_t ready_pods = 0;
  std::optional<double> observed_stable;
  std::optional<double> observed_panic;
  bool panicking_before = false;
  // The windows were computed from kubesim.io/load-history (history_samples entries) by the
  // running autoscaler's code; false: the averages of kubesim.io/observed-metrics were used.
  bool from_history = false;
  std::size_t history_samples = 0;
  policies::KpaDecision decision;
};

// What a PredictiveAutoscaler's explanation adds (kind PredictiveAutoscaler).
struct ExplainPredictive {
  std::size_t samples = 0;
  policies::PredictiveDecision decision;
};

struct ExplainAutoscaler {
  std::string name;  // namespace/name
  std::string kind = "HorizontalPodAutoscaler";
  std::string target;  // Kind/name
  std::int32_t min_replicas = 1;
  std::int32_t max_replicas = 0;
  std::int32_t current_replicas = 0;
  std::int32_t desired_replicas = 0;  // the target's replicas after this reconcile
  std::string reason;
  std::string error;               // the target could not be found, or the reconcile's error
  bool history_given = false;      // kubesim.io/recommendations was present
  policies::HpaDecision decision;  // the HPA's (for KEDA: the generated HPA's, if it ran)
  std::optional<ExplainKeda> keda;
  std::optional<ExplainKpa> kpa;
  std::optional<ExplainPredictive> predictive;
};

struct AutoscalerExplanation {
  sim::Time now = 0;                        // simulation time of the reconcile
  std::optional<std::int64_t> now_unix_ns;  // the same as a Unix time, when known
  std::vector<ExplainAutoscaler> autoscalers;
};

// Reconciles every HPA of `state` once at `now_unix_ns` (Unix nanoseconds; nullopt: the
// latest timestamp found in the state — PodMetrics, pod start and Ready transitions,
// creation timestamps).
sim::Result<AutoscalerExplanation> explain_autoscalers(
    const scenarios::Manifests& state, std::optional<std::int64_t> now_unix_ns,
    const AutoscalerExplainOptions& options = {});

// {"autoscalers": [{"name": "NS/NAME", "kind": "HorizontalPodAutoscaler", "target": "K/N",
//   "currentReplicas": i, "desiredReplicas": i, "reason": "...", "minReplicas": i,
//   "maxReplicas": i, "metricReplicas": i|null, "stabilizedReplicas": i|null,
//   "limit": "..."|null, "metrics": [...], "conditions": [...], "error": "..."|null}]}
std::string render_autoscalers_json(const AutoscalerExplanation& explanation);

// The scheduler explanation's JSON object (experiments::render_json) with an "autoscalers"
// member appended; the "pods" member is kept byte for byte.
std::string append_autoscalers_json(const std::string& pods_json,
                                    const AutoscalerExplanation& explanation);

// A table: one row per HPA, then per metric its proposal and the conditions.
std::string render_autoscalers_table(const AutoscalerExplanation& explanation);

// Unix nanoseconds as RFC 3339 UTC ("2025-09-01T08:00:00Z"; fractions when not whole).
std::string format_rfc3339(std::int64_t unix_ns);

}  // namespace kubesim::experiments
