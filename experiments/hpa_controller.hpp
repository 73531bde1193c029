// HpaController: kube-controller-manager's horizontal-pod-autoscaler controller, running
// in the simulated cluster (upstream v1.34 pkg/controller/podautoscaler/horizontal.go).
//
// It watches the API server's HorizontalPodAutoscalers. An HPA is reconciled when it
// appears and then every sync period (--horizontal-pod-autoscaler-sync-period, 15 s), as
// upstream's work queue re-adds each key after the resync period. One reconcile:
//   1. reads the target's scale (/scale subresource): Deployment and ReplicaSet built in,
//      other kinds (AIService) through register_scale_kind(); a missing target is upstream's
//      AbleToScale=False FailedGetScale, nothing changes;
//   2. lists the pods the scale's selector selects in the HPA's namespace (informer cache:
//      the API server's pod store);
//   3. reads their metrics from the MetricsPipeline as the HPA would get them from the
//      metrics APIs: Resource/ContainerResource from metrics.k8s.io PodMetrics, Pods
//      metrics per pod, Object metrics of a Service, External metrics (a metric selector
//      with matchLabels service=<name> picks that Service of the HPA's namespace; without
//      one every traffic Service of the namespace is a series, and the HPA sums them);
//   4. runs policies::decide() — upstream's arithmetic, stabilization and behavior — with
//      this HPA's HpaState (the controller's in-memory recommendations and scale events);
//   5. on a rescale, writes the target's spec.replicas through the API (its own client,
//      kube-controller-manager's QPS 20 / burst 30) — the Deployment controller then scales
//      its ReplicaSet; and updates the HPA's status (currentReplicas, desiredReplicas,
//      lastScaleTime, conditions) when it changed, as upstream's updateStatusIfNeeded.
//
// Metrics: counter hpa.rescales (every HPA), and per HPA known when the run starts the
// timeseries columns hpa.<namespace>.<name>.desired_replicas (status.desiredReplicas after
// the last reconcile) and hpa.<namespace>.<name>.current_replicas (the target's
// status.replicas as the last reconcile saw it). docs/metrics.md.
//
// Deterministic: HPAs are reconciled on their own timers, ties broken by creation order.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "experiments/scale_targets.hpp"
#include "models/selectors.hpp"
#include "policies/hpa.hpp"
#include "scenarios/autoscaling_spec.hpp"
#include "sim/metrics.hpp"
#include "sim/sampler.hpp"
#include "sim/simulation.hpp"

namespace kubesim::models {
class ApiServer;
class ApiClient;
}  // namespace kubesim::models

namespace kubesim::experiments {

class MetricsPipeline;

class HpaController {
 public:
  // What the /scale subresource of a target returns (experiments/scale_targets.hpp).
  using Scale = ScaleSubresource;
  using ScaleGetter = ScaleTargets::Getter;
  // Writes spec.replicas; `done` runs when the write completed.
  using ScaleSetter = ScaleTargets::Setter;

  // `hpa_keys`: the HPAs (namespace/name) the scenario defines, for timeseries columns.
  // `sampler` may be null.
  HpaController(sim::Simulation& sim, sim::MetricRegistry& metrics, models::ApiServer& api,
                const MetricsPipeline& pipeline, sim::Sampler* sampler,
                scenarios::HpaControllerSpec spec, const std::vector<std::string>& hpa_keys);
  ~HpaController();
  HpaController(const HpaController&) = delete;
  HpaController& operator=(const HpaController&) = delete;

  // Serves scaleTargetRef.kind == `kind` (e.g. "AIService") through these functions.
  void register_scale_kind(std::string kind, ScaleGetter get, ScaleSetter set);

  // An external.metrics.k8s.io adapter other than the MetricsPipeline (KEDA's metrics
  // adapter: experiments/keda_controller.hpp). Asked first for every External metric: it
  // returns the metric's values (milli; empty = the metric errors, as a failed query), or
  // nullopt when it does not serve that metric, which then goes to the pipeline as before.
  using ExternalMetricSource = std::function<std::optional<std::vector<std::int64_t>>(
      const std::string& namespace_, const models::MetricSpec& metric)>;
  void add_external_metric_source(ExternalMetricSource source);

  // Starts watching HPAs. Call once.
  void start();

  // The last reconcile of the HPA (namespace/name), nullptr before the first.
  const policies::HpaDecision* last_decision(const std::string& key) const;
  std::uint64_t reconciles() const { return reconciles_; }

 private:
  struct Tracked {
    std::string namespace_;
    std::string name;
    sim::TimerHandle timer{};
    policies::HpaState state;
    std::optional<policies::HpaDecision> last;
    double desired = 0;  // for the timeseries
    double current = 0;
  };

  void on_added(const std::string& namespace_, const std::string& name);
  void on_deleted(const std::string& key);
  void reconcile(const std::string& key);
  void write_status(Tracked& t, const policies::HpaDecision& d, std::int32_t status_replicas);

  sim::Simulation& sim_;
  models::ApiServer& api_;
  const MetricsPipeline& pipeline_;
  scenarios::HpaControllerSpec spec_;
  models::ApiClient& client_;
  ScaleTargets targets_;
  std::vector<ExternalMetricSource> external_sources_;
  std::map<std::string, std::unique_ptr<Tracked>> tracked_;
  std::uint64_t watch_ = 0;
  std::uint64_t reconciles_ = 0;
  sim::Counter& rescales_;
};

}  // namespace kubesim::experiments
