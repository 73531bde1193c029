// PredictiveController: runs kubesim's predictive pod autoscaler (policies/predictive.hpp)
// in the simulated cluster, one policies::PredictiveAutoscaler per PredictiveAutoscaler
// object (autoscaling.kubesim.io/v1alpha1, models/autoscaling_objects.hpp).
//
// Built like the HPA controller (experiments/hpa_controller.hpp, itself upstream v1.34
// pkg/controller/podautoscaler/horizontal.go): an object is synced when it is applied and
// then every spec.syncPeriod (default 15 s, --horizontal-pod-autoscaler-sync-period's
// default). One sync:
//   1. reads the target's /scale (experiments/scale_targets.hpp: Deployment, ReplicaSet,
//      and AIService once registered); a missing target changes nothing (upstream's
//      FailedGetScale);
//   2. reads spec.metric — the Service metric spec.metric.name of spec.metric.service in
//      the object's namespace — from the MetricsPipeline (custom/external metrics: scraped
//      every customMetrics.interval, a rate or mean over customMetrics.window, visible
//      customMetrics.delay later), in the metric's unit (milli-units / 1000), and record()s
//      it at the sync time;
//   3. decide(now, the target's spec.replicas): ceil(max(load, forecast at now + leadTime)
//      / targetPerReplica), scale-down stabilized, clamped to [minReplicas, maxReplicas];
//   4. writes spec.replicas through the API (its own client, with kube-controller-manager's
//      rate limit, QPS 20 / burst 30) when it differs.
//   While the metric has no value (the pipeline needs two scrapes in its window) and no
//   sample was ever recorded, the sync still runs: decide() then only clamps the current
//   replicas into [min, max]. A missing value after the first sample skips the sync (no
//   decision on stale data), as the HPA does on FailedGetExternalMetric.
//
// Status: the object is stored in the API server when it is applied; after every sync the
// controller patches its status (models::PredictiveAutoscalerStatus: currentReplicas,
// desiredReplicas, lastScaleTime, currentLoad, forecastLoad, conditions AbleToScale and
// ScalingActive with the HPA's reasons) when it changed. last_decision() holds the whole
// decision.
//
// Metrics: counter predictive.rescales (every autoscaler); per autoscaler the timeseries
// columns predictive.<namespace>.<name>.desired_replicas (the last decision's desired
// replicas), .forecast (its forecast load at now + leadTime, = the load while there is no
// forecast) and .load (the last recorded sample). docs/metrics.md.
//
// Deterministic: autoscalers are synced on their own timers (ties: the order they were
// added); no randomness. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "experiments/scale_targets.hpp"
#include "models/autoscaling_objects.hpp"
#include "policies/predictive.hpp"
#include "sim/metrics.hpp"
#include "sim/sampler.hpp"
#include "sim/simulation.hpp"

namespace kubesim::models {
class ApiServer;
class ApiClient;
}  // namespace kubesim::models

namespace kubesim::experiments {

class MetricsPipeline;

class PredictiveController {
 public:
  // `sampler` may be null (no timeseries columns).
  PredictiveController(sim::Simulation& sim, sim::MetricRegistry& metrics, models::ApiServer& api,
                       const MetricsPipeline& pipeline, sim::Sampler* sampler);
  ~PredictiveController();
  PredictiveController(const PredictiveController&) = delete;
  PredictiveController& operator=(const PredictiveController&) = delete;

  // Serves scaleTargetRef.kind == `kind` (e.g. "AIService").
  void register_scale_kind(std::string kind, ScaleTargets::Getter get, ScaleTargets::Setter set);

  // Adds an autoscaler that is applied at `at` (>= the time start() is called). Call before
  // start() (the sampler's columns are fixed when it starts). InvalidArgument when the spec
  // does not make a valid PredictiveConfig or the object (namespace/name) was added before.
  sim::Status add(const models::PredictiveAutoscaler& object, sim::Time at = 0);

  // Starts the sync timers. Call once.
  void start();

  // The last decision of the autoscaler (namespace/name); nullptr before its first.
  const policies::PredictiveDecision* last_decision(const std::string& key) const;
  // Its policy object (samples, config); nullptr for an unknown key.
  const policies::PredictiveAutoscaler* autoscaler(const std::string& key) const;
  std::uint64_t syncs() const { return syncs_; }
  std::uint64_t rescales() const { return rescales_.value(); }
  std::uint64_t status_writes() const { return status_writes_; }

 private:
  struct Tracked {
    models::PredictiveAutoscaler object;
    std::string key;
    sim::Time apply_at = 0;
    policies::PredictiveAutoscaler autoscaler;
    sim::TimerHandle timer{};
    std::optional<policies::PredictiveDecision> last;
    double load = 0;  // for the timeseries
    std::optional<sim::Time> last_scale_time;
    bool metric_missing = false;  // the last sync had no metric value
  };

  void sync(std::size_t index);
  void write_status(Tracked& t, std::optional<std::int32_t> current, bool rescaled);
  const Tracked* find(const std::string& key) const;

  sim::Simulation& sim_;
  models::ApiServer& api_;
  const MetricsPipeline& pipeline_;
  sim::Sampler* sampler_;
  models::ApiClient& client_;
  ScaleTargets targets_;
  std::vector<std::unique_ptr<Tracked>> tracked_;  // in the order added
  bool started_ = false;
  std::uint64_t syncs_ = 0;
  std::uint64_t status_writes_ = 0;
  sim::Counter& rescales_;
};

}  // namespace kubesim::experiments
