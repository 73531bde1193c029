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
#include "sim/time.hpp"

namespace kubesim::policies {

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
};

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
