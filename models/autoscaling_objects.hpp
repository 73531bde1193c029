// Event-driven and serverless autoscaler objects, as plain structs: KEDA's ScaledObject
// (keda.sh/v1alpha1, KEDA v2.x) and Knative Serving's PodAutoscaler
// (autoscaling.internal.knative.dev/v1alpha1, Knative Serving v1.x).
//
// Objects only: the decision logic lives in policies/keda.hpp and policies/kpa.hpp, the
// YAML readers in scenarios/manifests.cpp. Defaults are the upstream API defaults
// (KEDA: apis/keda/v1alpha1/scaledobject_types.go; Knative: pkg/apis/autoscaling and
// config-autoscaler) and are filled in when a field is absent.
//
// Triggers. KEDA has ~70 scalers; kubesim reads two generic ones, `prometheus` and
// `metrics-api`, as "a named metric with a threshold". A prometheus trigger's query
// (policies::parse_keda_prometheus_query, e.g. sum(rate(http_requests_total{service="web"}
// [1m]))) names the metric and the Service; otherwise metadata.metricName names the
// simulator metric, measured on the scale target's Service. The runtime feeds these names:
//   requests_per_second   arrivals per second (a rate over the last polling interval)
//   concurrency           requests in flight (queued + being served), summed over pods
//   queue_length          requests waiting (admitted, not yet being served)
// Other metadata keys (serverAddress, url, valueLocation, ...) are kept as written and not
// interpreted. Status structs are what the controllers write (and kubesim explain reads).
//
// Plain values; no invariants beyond what the readers check.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/objects.hpp"
#include "models/workloads.hpp"

namespace kubesim::models {

// ---- KEDA ScaledObject (keda.sh/v1alpha1) -------------------------------------------------

inline constexpr std::int32_t kKedaDefaultPollingIntervalSeconds = 30;
inline constexpr std::int32_t kKedaDefaultCooldownPeriodSeconds = 300;
inline constexpr std::int32_t kKedaDefaultMinReplicaCount = 0;
inline constexpr std::int32_t kKedaDefaultMaxReplicaCount = 100;

// The simulator metrics a trigger may name in metadata.metricName.
inline constexpr std::string_view kKedaMetricRequestsPerSecond = "requests_per_second";
inline constexpr std::string_view kKedaMetricConcurrency = "concurrency";
inline constexpr std::string_view kKedaMetricQueueLength = "queue_length";

// trigger.metricType (KEDA v2.x): how the generated HPA compares the metric.
enum class KedaMetricType : std::uint8_t { kAverageValue, kValue };

struct ScaledObjectTrigger {
  std::string type;  // "prometheus" or "metrics-api"
  std::string name;  // triggers[].name (optional)
  KedaMetricType metric_type = KedaMetricType::kAverageValue;
  // metadata as written (sorted by key), including the keys read below.
  std::vector<std::pair<std::string, std::string>> metadata;
  std::string metric_name;                      // metadata.metricName: simulator metric
  std::int64_t threshold_milli = 0;             // metadata.threshold (> 0)
  std::int64_t activation_threshold_milli = 0;  // metadata.activationThreshold (default 0)
  // From a prometheus trigger's metadata.query (policies::parse_keda_prometheus_query):
  // the Service its labels name (service="NAME") and namespace="NS" (empty: the
  // ScaledObject's). Empty service: the first traffic Service selecting the target's pods.
  std::string service;
  std::string service_namespace;
};

struct ScaledObjectFallback {
  std::int32_t failure_threshold = 0;
  std::int32_t replicas = 0;
};

struct ScaledObjectSpec {
  CrossVersionObjectReference scale_target_ref;  // apiVersion apps/v1, kind Deployment
  std::int32_t polling_interval_seconds = kKedaDefaultPollingIntervalSeconds;
  std::int32_t cooldown_period_seconds = kKedaDefaultCooldownPeriodSeconds;
  std::int32_t initial_cooldown_period_seconds = 0;
  std::optional<std::int32_t> idle_replica_count;
  std::int32_t min_replica_count = kKedaDefaultMinReplicaCount;
  std::int32_t max_replica_count = kKedaDefaultMaxReplicaCount;
  std::optional<ScaledObjectFallback> fallback;
  // advanced.horizontalPodAutoscalerConfig
  std::string hpa_name;  // .name; empty = keda-hpa-<ScaledObject name>
  bool has_behavior = false;
  std::optional<HpaScalingRules> scale_up;    // .behavior.scaleUp
  std::optional<HpaScalingRules> scale_down;  // .behavior.scaleDown
  std::vector<ScaledObjectTrigger> triggers;
};

// status (KEDA v2.x apis/keda/v1alpha1/scaledobject_types.go ScaledObjectStatus), as far
// as modelled. Times are simulation time (a manifest's RFC 3339 times are mapped onto the
// manifests' time base when read).
struct ScaledObjectHealth {
  std::string metric;                   // the key: the external metric name, s<i>-...
  std::int32_t number_of_failures = 0;  // .numberOfFailures
  std::string status;                   // .status: Happy or Failing
};

struct ScaledObjectStatus {
  std::string scale_target_kind;                       // scaleTargetKind (GVK string)
  std::optional<std::int32_t> original_replica_count;  // originalReplicaCount
  std::optional<sim::Time> last_active_time;           // lastActiveTime
  std::vector<std::string> external_metric_names;      // externalMetricNames
  std::string hpa_name;                                // hpaName
  std::vector<ScaledObjectHealth> health;              // health, sorted by metric
  std::vector<Condition> conditions;                   // Ready, Active, Fallback (Paused)
};

struct ScaledObject {
  ObjectMeta metadata;
  ScaledObjectSpec spec;
  ScaledObjectStatus status;
};

// ---- Knative PodAutoscaler (autoscaling.internal.knative.dev/v1alpha1) --------------------

// The autoscaling.knative.dev/* annotations a PodAutoscaler (or a Revision template)
// carries; policies/kpa.hpp reads them into a KpaConfig.
inline constexpr std::string_view kKnativeAnnotationPrefix = "autoscaling.knative.dev/";

struct PodAutoscalerSpec {
  CrossVersionObjectReference scale_target_ref;  // the Revision's Deployment
  // spec.containerConcurrency: hard per-pod limit, 0 = unlimited (Knative caps it at 1000).
  std::int64_t container_concurrency = 0;
  // spec.reachability: "", "Reachable" or "Unreachable" (no route sends traffic to it;
  // upstream then allows scale-down to any count at once).
  std::string reachability;
  std::string protocol_type = "http1";  // spec.protocolType: http1 or h2c
};

// status (Knative Serving pkg/apis/autoscaling/v1alpha1/pa_types.go PodAutoscalerStatus),
// as far as modelled: desiredScale / actualScale and the conditions Active (True, False
// = Inactive, Unknown = Activating), Ready, SKSReady and ScaleTargetInitialized.
struct PodAutoscalerStatus {
  std::optional<std::int32_t> desired_scale;  // desiredScale
  std::optional<std::int32_t> actual_scale;   // actualScale (ready pods)
  std::vector<Condition> conditions;
};

struct PodAutoscaler {
  ObjectMeta metadata;  // annotations: autoscaling.knative.dev/* (class, metric, target, ...)
  PodAutoscalerSpec spec;
  PodAutoscalerStatus status;
};

// ---- kubesim PredictiveAutoscaler (autoscaling.kubesim.io/v1alpha1) ------------------------

// A predictive pod autoscaler (policies/predictive.hpp; run by
// experiments/predictive_controller.hpp): every syncPeriod it reads one Service metric from
// the metrics pipeline, forecasts it leadTime ahead and sets the target's replicas to
// ceil(max(load, forecast) / targetPerReplica), clamped to [minReplicas, maxReplicas].
// Durations are simulation time; unset optional fields take policies::PredictiveConfig's
// defaults (alpha/beta/gamma unset = fitted). docs/autoscaling.md, "Predictive autoscaler".
inline constexpr std::string_view kPredictiveAutoscalerKind = "PredictiveAutoscaler";
inline constexpr std::string_view kPredictiveAutoscalerApiVersion =
    "autoscaling.kubesim.io/v1alpha1";
inline constexpr sim::Duration kPredictiveDefaultSyncPeriod = sim::seconds(15);

struct PredictiveAutoscalerMetric {
  std::string service;  // a Service of the autoscaler's namespace
  std::string name;     // a MetricsPipeline Service metric (requests_per_second, ...)
};

struct PredictiveAutoscalerSpec {
  CrossVersionObjectReference scale_target_ref;  // Deployment, ReplicaSet or AIService
  PredictiveAutoscalerMetric metric;
  double target_per_replica = 0;  // in the metric's unit (> 0)
  std::int32_t min_replicas = 1;
  std::int32_t max_replicas = 10;
  sim::Duration lead_time = sim::minutes(2);
  sim::Duration history = sim::minutes(30);
  std::int32_t min_samples = 4;
  std::string model = "least-squares";  // or "holt-winters"
  sim::Duration seasonal_period = 0;
  sim::Duration bucket_interval = sim::seconds(15);
  std::int32_t season_length = 0;
  std::optional<double> alpha;
  std::optional<double> beta;
  std::optional<double> gamma;
  sim::Duration scale_down_stabilization = sim::minutes(5);
  sim::Duration sync_period = kPredictiveDefaultSyncPeriod;
};

// kubesim's status for a PredictiveAutoscaler (written by PredictiveController when it
// changes; docs/autoscaling.md): the HPA's fields plus the load it sized for.
struct PredictiveAutoscalerStatus {
  std::int32_t current_replicas = 0;         // the target's spec.replicas at the last sync
  std::int32_t desired_replicas = 0;         // the last decision
  std::optional<sim::Time> last_scale_time;  // the last write of the target's replicas
  double current_load = 0;                   // the last recorded sample, metric's unit
  std::optional<double> forecast_load;       // forecast at now + leadTime (none: no fit)
  std::vector<Condition> conditions;         // AbleToScale, ScalingActive (HPA-like)
};

struct PredictiveAutoscaler {
  ObjectMeta metadata;
  PredictiveAutoscalerSpec spec;
  PredictiveAutoscalerStatus status;
};

}  // namespace kubesim::models
