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
// `metrics-api`, as "a named metric with a threshold". metadata.metricName names the
// simulator metric that feeds the trigger. The runtime feeds these names, measured on the
// scale target's Service:
//   requests_per_second   arrivals per second (a rate over the last polling interval)
//   concurrency           requests in flight (queued + being served), summed over pods
//   queue_length          requests waiting (admitted, not yet being served)
// Other metadata keys (serverAddress, query, url, valueLocation, ...) are kept as written
// and not interpreted.
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

struct ScaledObject {
  ObjectMeta metadata;
  ScaledObjectSpec spec;
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

struct PodAutoscaler {
  ObjectMeta metadata;  // annotations: autoscaling.knative.dev/* (class, metric, target, ...)
  PodAutoscalerSpec spec;
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

struct PredictiveAutoscaler {
  ObjectMeta metadata;
  PredictiveAutoscalerSpec spec;
};

}  // namespace kubesim::models
