// IngressTraffic: request traffic sent through an Ingress (a `type: traffic` workload with
// `ingress:` instead of `service:`), proxied by ingress-controller pods to the backend
// Services the Ingress routes to.
//
// The path of a request (docs/serving.md, "Ingress"):
//   1. The traffic stream creates it; its host and path are one of the workload's routes,
//      drawn by weight from stream "ingress/<name>/routes" (no draw with a single route).
//   2. It goes to the controller's Service like any Service traffic: through that Service's
//      load balancer (kube-proxy mode, endpointDelay, minSyncPeriod) to a controller pod,
//      which holds one of its `concurrency` slots for `proxyTime`. All slots busy and the
//      queue (queueLimit, default 0) full: the controller answers 503 → rejected. No
//      controller endpoint → failed.
//   3. After the proxy time the Ingress's rules route it (models/ingress.hpp: host, then the
//      longest matching path, Exact before Prefix; else spec.defaultBackend). No rule and no
//      default backend: the controller's 404 → failed, counted in requests_not_found.
//   4. The backend's service port must be one of the Service's: port.number equal to one
//      of its ports[].port, or port.name to one of its ports[].name (ingress-nginx
//      internal/ingress/controller/controller.go, serviceEndpoints: a backend port matching
//      no Service port gets no endpoints and the controller logs it). The API accepts such
//      an Ingress, so the scenario loads; each request on that route is the controller's
//      503 → failed, counted in requests_no_service_port.
//   5. It goes to the backend Service's pods through that Service's own pool (the
//      machinery of ServiceTraffic: endpoints, load balancer, servers, onEndpointGone),
//      entering at the node of the controller pod that proxied it (that node's
//      kube-proxy view). A backend without endpoints → failed (the controller's 503 for an
//      upstream without endpoints).
// Latencies are measured from the request's creation (step 1), so a backend's e2e includes
// the controller's queueing and proxy time.
//
// Pools: the controller's Service and each backend Service are ServiceTraffic objects fed
// externally, named "<name>.controller" and "<name>.<service>" (their metrics are those of
// Service traffic under these prefixes; "<name>.backend.controller" for a backend Service
// named controller). They are appended to the run's traffic list, so the metrics pipeline,
// HPA, KEDA and KPA see their pods' load as for Service traffic.
//
// Every request sent ends exactly once, so at any time
//   sent == succeeded + timed_out + rejected + failed + in_flight
// for the workload (counters <name>.requests_*), and also for each pool.
// Deterministic; not thread-safe. The pools must outlive this object.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "experiments/service_traffic.hpp"
#include "models/ingress.hpp"
#include "scenarios/traffic_reader.hpp"
#include "sim/metrics.hpp"
#include "sim/random.hpp"
#include "sim/sampler.hpp"
#include "sim/simulation.hpp"

namespace kubesim::scenarios {
struct Manifests;
}

namespace kubesim::experiments {

class IngressTraffic {
 public:
  struct Counts {
    std::uint64_t sent = 0;
    std::uint64_t succeeded = 0;
    std::uint64_t timed_out = 0;
    std::uint64_t rejected = 0;
    std::uint64_t failed = 0;
    std::uint64_t not_found = 0;        // of failed: no rule and no default backend (404)
    std::uint64_t default_backend = 0;  // routed to spec.defaultBackend
    std::uint64_t no_service_port = 0;  // of failed: the backend port is not the Service's
    std::int64_t in_flight = 0;
  };

  // REQUIRES: spec.via_ingress(); the Ingress is in `manifests` (scenario loading checked
  // it). Creates the pools and appends them to `pools`.
  IngressTraffic(sim::Simulation& sim, sim::MetricRegistry& metrics, models::ApiServer& api,
                 models::KubeProxyFleet& proxies, sim::Sampler* sampler,
                 scenarios::TrafficWorkloadSpec spec,
                 const scenarios::Manifests& manifests,
                 std::vector<std::unique_ptr<ServiceTraffic>>& pools);
  IngressTraffic(const IngressTraffic&) = delete;
  IngressTraffic& operator=(const IngressTraffic&) = delete;

  // Starts the request stream. Call once.
  void start();

  const scenarios::TrafficWorkloadSpec& spec() const { return spec_; }
  Counts counts() const;
  const ServiceTraffic& controller() const { return *controller_; }
  // The pool of a backend Service (namespace/name); null if the Ingress does not name it.
  const ServiceTraffic* backend(const std::string& service_key) const;

 private:
  struct Route {
    models::IngressRoute::Kind kind = models::IngressRoute::Kind::kNotFound;
    ServiceTraffic* backend = nullptr;  // null: 404
    bool port_matched = true;           // false: 503, the backend port is not the Service's
  };

  void on_arrival(const models::Request& request);
  void on_controller_end(std::uint64_t id, ServiceTraffic::Ended how,
                         const models::RequestResult* result);
  void on_backend_end(ServiceTraffic::Ended how, const models::RequestResult* result);
  void end(ServiceTraffic::Ended how);

  sim::Simulation& sim_;
  scenarios::TrafficWorkloadSpec spec_;
  models::Ingress ingress_;
  ServiceTraffic* controller_ = nullptr;
  std::vector<ServiceTraffic*> backends_;  // in the Ingress's order of first mention
  std::vector<Route> routes_;              // per spec_.routes entry
  std::vector<double> cumulative_weight_;
  sim::Rng route_rng_;
  std::unique_ptr<models::TrafficSource> source_;
  std::uint64_t next_request_ = 0;

  sim::Counter& sent_;
  sim::Counter& succeeded_;
  sim::Counter& timed_out_;
  sim::Counter& rejected_;
  sim::Counter& failed_;
  sim::Counter& not_found_;
  sim::Counter& default_backend_;
  sim::Counter& no_service_port_;
  sim::Histogram& e2e_;
  sim::Histogram& ttft_;
  sim::Gauge& in_flight_g_;
  std::uint64_t last_sent_sample_ = 0;
};

}  // namespace kubesim::experiments
