// KpaController: Knative Serving's autoscaler (the KPA) running in the simulated cluster,
// over the decision logic of policies/kpa.hpp.
//
// Upstream (Knative Serving v1.x): pkg/autoscaler/metrics/collector.go and
// stats_scraper.go (a 1 s scrape of every pod's queue-proxy: average concurrency and
// requests over the last second), pkg/autoscaler/scaling/multiscaler.go (a decider ticks
// every 2 s; Poke: a stat arriving while the decision is 0 ticks at once),
// pkg/reconciler/autoscaling/kpa/scaler.go (the write of the Deployment's replicas).
//
// Per PodAutoscaler, from the time it is applied (its kubesim.io/apply-at, else 0):
//   * every 1 s (first 1 s after it is applied) records the revision's total of its pods:
//     metric concurrency: Σ over the target's pods of Δ(in_flight_seconds + queue_seconds)
//       over the last second = the mean requests in the pod (running + queued) in that
//       second, what the queue-proxy reports;
//     metric rps: Σ of Δarrived over the last second.
//     The pods are those the target Deployment's selector selects that the scale target's
//     Service has served (ServiceTraffic::pod_load); a pod seen for the first time counts
//     from zero (it started serving after the previous scrape). When the PA is applied a
//     baseline scrape is taken (not recorded). The Service: the first traffic Service (by name)
//     of the PA's namespace whose selector selects the Deployment's template labels.
//   * the activator: once the Service is known, a KnativeSks (experiments/knative_sks.hpp)
//     puts Knative's activator in front of it (the workload's own `activator:` wins) and
//     after every tick follows the PA reconciler's SKS mode (KpaDecision::activator_in_path:
//     Proxy at zero or with a negative excess burst capacity, else Serve). The activator's
//     stat: metric concurrency adds the mean number of requests it held over the last second
//     (Δ activator_buffered_seconds(); requests it forwarded are counted on the pods, as
//     upstream subtracts proxied requests from the queue-proxy's stat); metric rps is the
//     requests sent to the Service in the last second (activator arrivals + direct ones). A
//     non-zero stat while the last decision was 0 pokes the decider (an immediate tick).
//     Fluid traffic has no activator: there, while the Service has no endpoint, the requests
//     sent in the last second are the stat (arrivals × 1 s as concurrency), and they fail.
//   * every 2 s (the record of that second first) runs KpaAutoscaler::scale(now, ready pods)
//     and writes KpaDecision::replicas to the Deployment's spec.replicas when it differs
//     (its own client, the autoscaler's QPS 20 / burst 30 — Knative's controller defaults
//     are higher; not a bottleneck at one write per 2 s).
// Ready pods: the target's pods that are Ready and not terminating (EndpointSlice rules).
// Status: the PodAutoscaler is stored in the API server when it is applied; after every tick
// its status (desiredScale, actualScale, conditions Active, Ready, SKSReady,
// ScaleTargetInitialized) is patched when it changed (write_status in the .cpp).
// The Deployment is expected to be declared at the PA's initial scale (upstream's Revision
// reconciler creates it so).
//
// Metrics: counter kpa.scale_writes; gauges kpa.<namespace>.<name>.desired_replicas,
// .panicking (0/1), .observed_stable, .observed_panic (the window averages of the last
// tick), .activator_in_path (0/1); timeseries columns kpa.<namespace>.<name>.desired_replicas
// and .panicking (the gauges' values at the sample). docs/metrics.md.
//
// Deterministic: PAs in manifest order, pods in name order. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "experiments/knative_sks.hpp"
#include "experiments/scale_targets.hpp"
#include "models/autoscaling_objects.hpp"
#include "policies/kpa.hpp"
#include "sim/metrics.hpp"
#include "sim/sampler.hpp"
#include "sim/simulation.hpp"

namespace kubesim::models {
class ApiServer;
class ApiClient;
}  // namespace kubesim::models

namespace kubesim::experiments {

class ServiceTraffic;

class KpaController {
 public:
  struct Applied {
    models::PodAutoscaler object;
    sim::Time at = 0;  // when it is applied
  };

  // `sampler` may be null (no timeseries columns).
  KpaController(sim::Simulation& sim, sim::MetricRegistry& metrics, models::ApiServer& api,
                sim::Sampler* sampler, std::vector<ServiceTraffic*> traffic,
                std::vector<Applied> autoscalers, policies::KpaClusterConfig cluster = {});
  ~KpaController();
  KpaController(const KpaController&) = delete;
  KpaController& operator=(const KpaController&) = delete;

  // config-autoscaler. REQUIRES: before start(), validate_kpa_cluster_config(c) == "".
  void set_cluster_config(const policies::KpaClusterConfig& c);
  // Schedules every PodAutoscaler's start at its apply time. Call once.
  void start();

  // Serves scaleTargetRef.kind == `kind` (e.g. "AIService") through these functions;
  // Deployment and ReplicaSet are built in.
  void register_scale_kind(std::string kind, ScaleTargets::Getter get, ScaleTargets::Setter set);

  // The last tick's decision of the PA (namespace/name), nullptr before the first.
  const policies::KpaDecision* last_decision(const std::string& key) const;
  // The value recorded at the last 1 s scrape, 0 before the first.
  double last_recorded(const std::string& key) const;
  // Status patches sent for the PA (only when its status changed).
  std::uint64_t status_writes(const std::string& key) const;
  // The PA's ServerlessService (activator in or out of the path), nullptr until the Service
  // behind it is known.
  const KnativeSks* sks(const std::string& key) const;

 private:
  struct Tracked {
    const models::PodAutoscaler* pa = nullptr;
    std::unique_ptr<policies::KpaAutoscaler> kpa;
    ServiceTraffic* traffic = nullptr;
    std::unique_ptr<KnativeSks> sks;
    sim::TimerHandle timer{};
    std::uint64_t scrapes = 0;               // the baseline at begin() included
    std::uint64_t seconds = 0;               // 1 s scrapes recorded
    std::map<std::string, double> previous;  // pod key -> cumulative at the last scrape
    std::uint64_t previous_sent = 0;
    double previous_buffered_seconds = 0;  // ServiceTraffic::activator_buffered_seconds()
    double last_recorded = 0;
    std::optional<policies::KpaDecision> last;
    sim::Gauge* desired = nullptr;
    sim::Gauge* panicking = nullptr;
    sim::Gauge* observed_stable = nullptr;
    sim::Gauge* observed_panic = nullptr;
    sim::Gauge* activator = nullptr;
    std::uint64_t status_writes = 0;
  };
  void write_status(Tracked& t, const policies::KpaDecision& d);

  void begin(const std::string& key, const models::PodAutoscaler& pa);
  void second(const std::string& key);
  double scrape(Tracked& t);
  void tick(Tracked& t);
  std::int32_t ready_pods(const Tracked& t) const;
  ServiceTraffic* service_of(const models::PodAutoscaler& pa) const;
  // The target's scale (its /scale subresource), nullopt when missing.
  std::optional<ScaleSubresource> scale_of(const models::PodAutoscaler& pa) const;
  // The target's pods (its scale's selector, the PA's namespace).
  std::vector<std::shared_ptr<const models::Pod>> pods_of(const models::PodAutoscaler& pa) const;

  sim::Simulation& sim_;
  sim::MetricRegistry& metrics_;
  models::ApiServer& api_;
  std::vector<ServiceTraffic*> traffic_;
  std::vector<Applied> objects_;
  policies::KpaClusterConfig cluster_;
  models::ApiClient& client_;
  ScaleTargets targets_;
  std::map<std::string, Tracked> tracked_;
  bool started_ = false;
  sim::Counter& writes_;
};

}  // namespace kubesim::experiments
