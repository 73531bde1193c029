// KedaController: the KEDA v2.x operator and metrics adapter, running in the simulated
// cluster, over the decision logic of policies/keda.hpp.
//
// Upstream (kedacore/keda v2.x): pkg/controller/scaledobject_controller.go (reconcile:
// create the HPA, start the scale loop), pkg/controller/hpa.go (newHPAForScaledObject),
// pkg/scaling/scale_handler.go (startScaleLoop: checkScalers at once, then every
// pollingInterval), pkg/scaling/executor/scale_scaledobjects.go (the 0 <-> N writes),
// pkg/provider/provider.go (GetExternalMetric: the adapter asks the scalers when the HPA
// reads an External metric).
//
// Per ScaledObject, from the time it is applied (its kubesim.io/apply-at, else 0):
//   * creates the generated HPA (policies::keda_hpa_for) through the API server with the
//     operator's client (QPS 20 / burst 30); the HpaController then runs it as any HPA;
//   * serves that HPA's External metrics `s<i>-...` (selector scaledobject.keda.sh/name):
//     the HpaController asks add_external_metric_source()'s hook, which reads the triggers'
//     values at that moment and returns KedaState::external_metrics() (fallback included);
//   * runs KedaState::poll every pollingInterval (first at once) with the target's
//     spec.replicas and the trigger values, and writes PollResult::replicas (0 -> 1, -> 0
//     or idle after the cooldown) to the target's spec.replicas.
//
// Trigger values. A trigger's metric (requests_per_second, concurrency, queue_length: from
// its prometheus query, else metadata.metricName) is read from the MetricsPipeline's Service
// metrics (custom-metrics scrape: interval, window, delay) of the Service its query names
// (service="NAME", namespace="NS" or the ScaledObject's), else of the scale target's
// Service: the first traffic Service (by name) of the ScaledObject's namespace whose
// selector selects the target's pod template labels. No such Service, or no value yet: the
// scaler fails (nullopt) for that poll.
//
// Status. The ScaledObject is stored in the API server when it is applied; after every
// poll the operator patches its status (hpaName, originalReplicaCount, lastActiveTime,
// externalMetricNames, health, conditions Ready / Active / Fallback) when it changed.
// Values are the Service totals (requests sent per second; pods' concurrency and queue
// summed), what a Prometheus query `sum(rate(...))` returns; the HPA's AverageValue target
// divides by the replica count.
//
// Scale targets: through the /scale subresource (ScaleTargets: Deployment and ReplicaSet
// built in, AIService registered by the scenario run). For a kind without a pod template the
// Service is the one selecting the scale's selector matchLabels. Metrics: counters
// keda.scale_writes (replica writes by the operator), keda.activations (0 -> N writes),
// keda.deactivations (N -> 0 or idle). docs/autoscaling.md "KEDA / In the running cluster".
//
// Deterministic: ScaledObjects in manifest order, timers tie-broken by creation order. Not
// thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "experiments/scale_targets.hpp"
#include "models/autoscaling_objects.hpp"
#include "policies/keda.hpp"
#include "sim/metrics.hpp"
#include "sim/simulation.hpp"

namespace kubesim::models {
class ApiServer;
class ApiClient;
}  // namespace kubesim::models

namespace kubesim::experiments {

class HpaController;
class MetricsPipeline;
class ServiceTraffic;

class KedaController {
 public:
  struct Applied {
    models::ScaledObject object;
    sim::Time at = 0;  // when it is applied
  };

  KedaController(sim::Simulation& sim, sim::MetricRegistry& metrics, models::ApiServer& api,
                 const MetricsPipeline& pipeline, std::vector<const ServiceTraffic*> traffic,
                 std::vector<Applied> scaled_objects);
  ~KedaController();
  KedaController(const KedaController&) = delete;
  KedaController& operator=(const KedaController&) = delete;

  // Serves scaleTargetRef.kind == `kind` (e.g. "AIService"); Deployment and ReplicaSet are
  // built in (experiments/scale_targets.hpp).
  void register_scale_kind(std::string kind, ScaleTargets::Getter get, ScaleTargets::Setter set);
  // Registers the metrics adapter with the HPA controller. Call before start().
  void serve_external_metrics(HpaController& hpa);
  // Schedules every ScaledObject's reconcile at its apply time. Call once.
  void start();

  // The last poll of the ScaledObject (namespace/name), nullptr before the first.
  const policies::KedaPollResult* last_poll(const std::string& key) const;
  // The Service whose metrics feed the ScaledObject's triggers, "" when none (yet): the
  // Service named by the trigger's query (service="NAME"), else the first traffic Service
  // selecting the target's pods. (With several triggers naming different Services, each
  // trigger reads its own; this returns the first trigger's.)
  std::string trigger_service(const std::string& key) const;
  // Status patches sent for the ScaledObject (only when the status changed).
  std::uint64_t status_writes(const std::string& key) const;

 private:
  struct Tracked {
    std::unique_ptr<policies::KedaState> state;
    sim::TimerHandle timer{};
    std::optional<policies::KedaPollResult> last;
    std::uint64_t status_writes = 0;
  };
  void write_status(Tracked& t, const policies::KedaPollResult& r, std::int32_t current);

  void reconcile(const std::string& key, const models::ScaledObject& so);
  void poll(const std::string& key);
  std::vector<policies::KedaTriggerValue> trigger_values(const models::ScaledObject& so) const;
  std::string selecting_service(const models::ScaledObject& so) const;
  std::optional<std::vector<std::int64_t>> external_metric(const std::string& namespace_,
                                                           const models::MetricSpec& m) const;

  sim::Simulation& sim_;
  models::ApiServer& api_;
  const MetricsPipeline& pipeline_;
  std::vector<const ServiceTraffic*> traffic_;
  std::vector<Applied> objects_;
  models::ApiClient& client_;
  ScaleTargets targets_;
  std::map<std::string, Tracked> tracked_;  // by ScaledObject namespace/name
  bool started_ = false;
  sim::Counter& writes_;
  sim::Counter& activations_;
  sim::Counter& deactivations_;
};

}  // namespace kubesim::experiments
