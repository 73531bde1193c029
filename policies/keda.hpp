// KEDA (v2.x) as decision logic: the HorizontalPodAutoscaler a ScaledObject generates and
// the activation state machine the KEDA operator runs every pollingInterval.
//
// Upstream (kedacore/keda v2.x):
//   * pkg/controller/hpa.go (newHPAForScaledObject, getHPAMinReplicas / getHPAMaxReplicas,
//     getScaledObjectMetricSpecs): an autoscaling/v2 HPA named keda-hpa-<name> (or
//     advanced.horizontalPodAutoscalerConfig.name), one External metric per trigger named
//     "s<index>-<scaler metric name>" with target AverageValue (or Value) = the trigger's
//     threshold, minReplicas = max(minReplicaCount, 1), maxReplicas = maxReplicaCount,
//     behavior copied from advanced.horizontalPodAutoscalerConfig.behavior;
//   * pkg/scaling/executor/scale_scaledobjects.go (RequestScale, scaleFromZeroOrIdle,
//     scaleToZeroOrIdle, getIdleOrMinimumReplicaCount): 0 -> max(minReplicaCount, 1) when a
//     trigger is active; to 0 (or idleReplicaCount) once every trigger has been inactive for
//     cooldownPeriod after the last active time; up to minReplicaCount otherwise; no change
//     while no trigger is active and a scaler fails (the HPA falls back, if configured);
//   * pkg/scaling/scale_handler.go (the loop: every pollingInterval, IsActive = any trigger's
//     value > its activationThreshold; an erroring scaler is inactive);
//   * pkg/fallback/fallback.go (after more than failureThreshold consecutive errors the
//     metric served to the HPA is fallback.replicas × the trigger's target).
// Written from those files; not copied.
//
// Division of labour, as upstream: between 1 and N replicas the generated HPA decides
// (policies::decide, with the External metric values from external_metrics()); the 0 <-> 1
// edge and idle replicas belong to poll(). An HPA whose target sits at 0 replicas is
// disabled (ScalingDisabled), so the two never fight.
//
// Not thread-safe: a KedaState belongs to one ScaledObject.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/autoscaling_objects.hpp"
#include "models/workloads.hpp"
#include "policies/hpa.hpp"
#include "sim/status.hpp"
#include "sim/time.hpp"

namespace kubesim::policies {

// ---- prometheus trigger queries -----------------------------------------------------------

// What a prometheus trigger's metadata.query asks for, in kubesim's terms: one of the
// simulator's Service metrics (models::kKedaMetric*) of one Service. Supported forms
// (whitespace free; label order free; the range [W] is accepted and not used, the
// custom-metrics pipeline's window applies):
//   sum(rate(http_requests_total{service="NAME"}[1m]))     -> requests_per_second
//   sum(irate(http_requests_total{service="NAME"}[1m]))    -> requests_per_second
//   sum(requests_per_second{service="NAME"})               -> requests_per_second
//   sum(concurrency{service="NAME"})                       -> concurrency
//   sum(queue_length{service="NAME"})                      -> queue_length
// with an optional namespace="NS" label. Upstream's prometheus scaler
// (pkg/scalers/prometheus_scaler.go) needs a query that returns one element, hence sum().
struct KedaPrometheusQuery {
  std::string metric;      // requests_per_second, concurrency or queue_length
  std::string service;     // the service="..." label
  std::string namespace_;  // the namespace="..." label, "" when absent
};

// InvalidArgument naming what is wrong; kKedaSupportedQueries is the hint to show with it.
sim::Result<KedaPrometheusQuery> parse_keda_prometheus_query(std::string_view query);
inline constexpr std::string_view kKedaSupportedQueries =
    "supported queries: sum(rate(http_requests_total{service=\"NAME\"}[1m])), "
    "sum(requests_per_second{service=\"NAME\"}), sum(concurrency{service=\"NAME\"}), "
    "sum(queue_length{service=\"NAME\"}), each with an optional namespace=\"NS\" label";

// "s<index>-<scaler metric name>": prometheus -> "s0-prometheus"; metrics-api ->
// "s0-metric-api-<valueLocation, else metricName>" (upstream NormalizeString: characters
// other than letters, digits and '-' become '-').
std::string keda_external_metric_name(const models::ScaledObjectTrigger& trigger,
                                      std::size_t index);

// The HPA KEDA creates and owns for `so` (pkg/controller/hpa.go).
models::HorizontalPodAutoscaler keda_hpa_for(const models::ScaledObject& so);

// One trigger's reading at a poll: the metric value, or nullopt when the scaler failed.
using KedaTriggerValue = std::optional<double>;

struct KedaPollResult {
  // Replicas the operator writes to the scale target now; nullopt: leave scaling to the HPA.
  std::optional<std::int32_t> replicas;
  bool active = false;    // some trigger's value > its activationThreshold
  bool error = false;     // some trigger's scaler failed
  bool fallback = false;  // some trigger is past fallback.failureThreshold
  std::vector<bool> trigger_active;
  std::optional<sim::Time> last_active_time;  // status.lastActiveTime after this poll
  std::string reason;                         // one line, for people
  std::string why;                            // the operator's step alone (end of reason)
};

// The ScaledObject's status conditions after a poll (scale_scaledobjects.go
// setActiveCondition, scale_handler.go / fallback.go): Ready True ScaledObjectReady (False
// TriggerError while a scaler fails: kubesim's reading), Active True ScalerActive / False
// ScalerNotActive, Fallback True FallbackExists / False NoFallbackFound; messages upstream's.
std::vector<HpaCondition> keda_conditions(const KedaPollResult& poll);

class KedaState {
 public:
  // `created`: the ScaledObject's creation time (initialCooldownPeriod counts from it).
  KedaState(models::ScaledObject so, sim::Time created);

  // One run of the scale loop (every pollingInterval): `current_replicas` is the target's
  // spec.replicas, `values` one entry per trigger (the simulator metric named by its
  // metricName). REQUIRES: values.size() == triggers.size().
  KedaPollResult poll(sim::Time now, std::int32_t current_replicas,
                      const std::vector<KedaTriggerValue>& values);

  // The External metric values the KEDA metrics adapter serves the HPA for `values`
  // (milli-units; a failed trigger is left out, so the HPA sees a metric error, unless its
  // fallback is active, then replicas × threshold). Uses the failure counts of the last
  // poll.
  std::vector<HpaExternalMetric> external_metrics(
      const std::vector<KedaTriggerValue>& values) const;

  // Restores what the operator knows between polls, as a ScaledObject's status keeps it
  // (kubesim explain): status.lastActiveTime and, per trigger, status.health's
  // numberOfFailures (missing entries: 0).
  void restore(std::optional<sim::Time> last_active_time, std::vector<std::int32_t> failures);
  const std::vector<std::int32_t>& failures() const { return failures_; }

  const models::ScaledObject& scaled_object() const { return so_; }
  std::optional<sim::Time> last_active_time() const { return last_active_time_; }
  sim::Duration polling_interval() const;

 private:
  models::ScaledObject so_;
  sim::Time created_ = 0;
  std::optional<sim::Time> last_active_time_;
  std::vector<std::int32_t> failures_;  // consecutive failures per trigger
};

}  // namespace kubesim::policies
