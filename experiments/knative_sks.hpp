// KnativeSks: the ServerlessService (SKS) of one Knative revision — whether Knative's
// activator is in the request path of the traffic workload behind a PodAutoscaler.
//
// Upstream (knative.dev/serving v1.15):
//   * pkg/reconciler/autoscaling/kpa/kpa.go: after every decision the PA reconciler sets the
//     SKS mode: Proxy when the revision is scaled to zero (want == 0), when the decider's
//     excess burst capacity is negative, or when the autoscaler has no decision yet and the
//     PA is Inactive; Serve otherwise. policies::KpaDecision::activator_in_path is that rule
//     (policies/kpa.cpp); the EBC is autoscaler.go's
//       EBC = floor(ready pods × TotalValue − TargetBurstCapacity − observed panic value),
//     0 when target-burst-capacity is 0 and −1 when it is −1 (so TBC −1: always Proxy;
//     TBC 0: Proxy only at zero).
//   * pkg/reconciler/serverlessservice/serverlessservice.go: the public Service's endpoints
//     are the activator's in Proxy mode, and also in Serve mode while the private Service
//     has no ready endpoint; otherwise the pods'. ServiceTraffic reproduces that second rule
//     itself (the activator is in the path while the load balancer has no endpoint).
//   * pkg/activator/net/throttler.go: the activator's per-revision breaker queues at most
//     breakerQueueDepth (10000) requests; with containerConcurrency c > 0 each pod gets at
//     most c requests from it at once; with c = 0 the breaker is infinite (newInfiniteBreaker:
//     requests pass as soon as any pod exists).
//   * config-defaults revision-timeout-seconds (300 s): a request the activator holds
//     longer times out.
//
// Ownership: KpaController creates one KnativeSks per PodAutoscaler once the workload
// behind it is known, and calls set_mode() after every tick. The KnativeSks enables the
// activator on the ServiceTraffic (experiments/service_traffic.hpp, its "Knative SKS hook")
// with knative_activator_spec(pa) — unless the workload gives `activator:` itself, which
// wins (its queueDepth, timeout and containerConcurrency are used as given). Either way the
// path then follows the KPA's mode.
//
// Simplified: the SKS reconcile, the public Endpoints write and the ingress/kube-proxy
// propagation of a mode change take no time (the traffic switches at the tick that decided
// it); the activator's own capacity (activator-capacity, the number of activator replicas
// and subsetting) is not modelled; the activator balances with the workload's
// loadBalancing mode where upstream uses random-choice-2 (c = 0), first-available (c ≤ 3)
// or round-robin (c > 3) — with c > 0 ServiceTraffic gives each request to the least loaded
// pod with room. Fluid traffic has no activator (KnativeSks leaves it alone).
//
// Not thread-safe; deterministic.
#pragma once

#include <cstdint>

#include "models/autoscaling_objects.hpp"
#include "scenarios/traffic_reader.hpp"
#include "sim/metrics.hpp"
#include "sim/time.hpp"

namespace kubesim::experiments {

class ServiceTraffic;

// The activator Knative puts in front of the revision of `pa`: breakerQueueDepth 10000,
// revision-timeout-seconds 300 s, the PA's spec.containerConcurrency (0: unlimited).
scenarios::ActivatorSpec knative_activator_spec(const models::PodAutoscaler& pa);

enum class SksMode : std::uint8_t { kServe, kProxy };

class KnativeSks {
 public:
  // Enables the activator on `traffic` (see above) and starts in `initial` mode at `now`.
  // Fluid traffic is left without an activator (mode() is still tracked).
  KnativeSks(ServiceTraffic& traffic, sim::MetricRegistry& metrics, const models::PodAutoscaler& pa,
             SksMode initial, sim::Time now);
  KnativeSks(const KnativeSks&) = delete;
  KnativeSks& operator=(const KnativeSks&) = delete;

  // The PA reconciler's mode for this tick (kpa.go); applied to the traffic at once.
  void set_mode(SksMode mode, sim::Time now);

  SksMode mode() const { return mode_; }
  sim::Time mode_since() const { return since_; }
  std::uint64_t mode_changes() const { return changes_; }
  // The workload gave `activator:` itself (its parameters are used).
  bool explicit_activator() const { return explicit_; }
  // The activator is modelled on the traffic (false only for fluid traffic).
  bool activator_modelled() const { return modelled_; }
  const ServiceTraffic& traffic() const { return traffic_; }

 private:
  ServiceTraffic& traffic_;
  SksMode mode_;
  sim::Time since_;
  std::uint64_t changes_ = 0;
  bool explicit_ = false;
  bool modelled_ = false;
};

}  // namespace kubesim::experiments
