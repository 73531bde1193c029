// ServiceTraffic: request traffic to a Service of the simulated cluster, served by the
// Service's ready pods (the run-time side of a `type: traffic` workload).
//
// It watches the API server's pod store (like ClusterObserver) for pods the Service's
// selector picks in the Service's namespace, and keeps, per such pod:
//   - an InferenceServer while the pod is a serving endpoint. A pod is one when it is
//     Ready, not terminating and not deleted (upstream v1.34
//     pkg/controller/endpointslice/utils.go podToEndpoint: ready = IsPodReady && no
//     deletionTimestamp). The server starts warm (start_ready()): the pod's cold start is its
//     readiness delay (the kubesim.io/ready-after annotation / readiness probe), so Ready
//     means serving. modelSizeGB/loadGBps are not used in this slice.
//   - its place in each kube-proxy's rules, which follow the Service's EndpointSlices: the
//     EndpointSlice controller (models/endpointslice_controller.hpp) writes the slices through
//     the API server, and every node's kube-proxy (models/kube_proxy.hpp) hears them after its
//     watch delay (plus `endpointDelay`, an extra delay, 0 by default) and programs them at
//     its next allowed sync (minSyncPeriod). Until then a newly Ready pod receives no request
//     through that node, and a pod that stopped serving still receives requests through it,
//     which meet a gone endpoint.
// Which kube-proxy routes a request: a request from outside enters at a Ready node drawn
// uniformly (stream "lb/<name>/entry"), as an external L4 load balancer of a LoadBalancer
// Service with externalTrafficPolicy: Cluster spreads connections over the nodes; a request
// an Ingress controller pod forwards (submit_from) enters at that pod's node. That node's
// view picks the endpoint, with a load balancer state of its own (IPVS rr/lc state and the
// iptables random choice are per node; stream "lb/<name>/<node>"). No Ready node: the request
// fails (connection refused). The activator (which sends buffered requests to pod IPs
// itself), fluid mode and the <name>.endpoints figures use the reference kube-proxy's view
// (KubeProxyFleet::kReference), a coherent one.
// When a pod stops serving, its server is terminated at once: with onEndpointGone: fail its
// queued and in-flight requests fail (connection reset); with retry they are re-sent once
// through the load balancer (which may pick another stale endpoint: the retry then fails).
// A request the load balancer routes to a stale endpoint is handled the same way, and a
// request that finds no endpoint at all fails (connection refused).
//
// Every sent request ends exactly once, as succeeded, timed_out (queue or request timeout
// on the pod), rejected (the pod's queue was full) or failed (no endpoint, endpoint gone,
// retry exhausted); retried counts re-sends (not an outcome). So at any time
//   sent == succeeded + timed_out + rejected + failed + in_flight.
// Metrics (docs/metrics.md): counters <name>.requests_{sent,succeeded,timed_out,rejected,
// failed,retried}; histograms <name>.ttft_s, <name>.e2e_s, <name>.queueing_s (successes,
// from the request's first send); gauges <name>.endpoints, <name>.in_flight; timeseries
// columns <name>.rps, <name>.endpoints, <name>.in_flight.
//
// Fed externally (feed_externally(), for an Ingress: experiments/ingress_traffic.hpp) the
// object is one Service's endpoint pool: requests come from submit() instead of the spec's
// traffic stream, and a hook hears how each ended. Everything else (endpoints, load
// balancing, servers, metrics, conservation) is the same.
//
// Activator (spec.activator; Knative Serving v1.15 pkg/activator, simplified): while the
// Service has no endpoint, or requests are still buffered, a request waits in a FIFO buffer
// of queueDepth requests (beyond it: rejected, the activator's 503) for at most `timeout`
// (then timed_out). When endpoints appear the buffer is released in order through the load
// balancer; with containerConcurrency c > 0 a pod takes a buffered request only while it
// holds fewer than c (queued + running; the least loaded endpoint first), and the rest wait
// for a completion. Buffered requests are in flight; their latencies include the wait.
// hopLatency (default 0): each request the activator releases reaches the pod (or, with
// c = 0, the load balancer) that much later, so its TTFT and e2e grow by it; a request sent
// straight to the load balancer (SKS Serve mode with endpoints) takes no hop.
// A Knative PodAutoscaler on the Service's pods enables the activator without spec.activator
// and puts it in the path also in SKS Proxy mode (the "Knative SKS hook" below,
// experiments/knative_sks.hpp).
//
// Deterministic: pods are kept in a std::map by namespace/name; load balancing draws from
// stream "lb/<name>", CPU service times from "serving/<name>/<pod>#<k>/service". Not
// thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/inference_server.hpp"
#include "models/kube_proxy.hpp"
#include "models/load_balancer.hpp"
#include "models/object_store.hpp"
#include "models/traffic.hpp"
#include "models/workloads.hpp"
#include "scenarios/traffic_reader.hpp"
#include "sim/metrics.hpp"
#include "sim/sampler.hpp"
#include "sim/simulation.hpp"

namespace kubesim::models {
class ApiServer;
}

namespace kubesim::experiments {

class ServiceTraffic {
 public:
  struct Counts {
    std::uint64_t sent = 0;
    std::uint64_t succeeded = 0;
    std::uint64_t timed_out = 0;
    std::uint64_t rejected = 0;
    std::uint64_t failed = 0;
    std::uint64_t retried = 0;
    std::int64_t in_flight = 0;
  };

  // `selector` is the Service's spec.selector (an empty selector selects no pod, as
  // upstream: a Service without a selector gets no EndpointSlices from the controller).
  // `sampler` may be null (no timeseries columns).
  // `proxies` must outlive this object.
  ServiceTraffic(sim::Simulation& sim, sim::MetricRegistry& metrics, models::ApiServer& api,
                 models::KubeProxyFleet& proxies, sim::Sampler* sampler,
                 scenarios::TrafficWorkloadSpec spec, models::Labels selector);
  ~ServiceTraffic();
  ServiceTraffic(const ServiceTraffic&) = delete;
  ServiceTraffic& operator=(const ServiceTraffic&) = delete;

  // Starts the request stream. Call once. Fed externally: starts nothing.
  void start();

  // How a request ended (the four outcomes of the conservation law).
  enum class Ended { kSucceeded, kTimedOut, kRejected, kFailed };
  // `result` is the pod's result when one exists (null for no endpoint / endpoint gone).
  using EndHook =
      std::function<void(std::uint64_t id, Ended how, const models::RequestResult* result)>;
  // Makes this a pool fed by submit(): the spec's traffic is not generated, and `hook` is
  // called once for every submitted request when it ends (possibly inside submit()).
  // REQUIRES: before start(); not in fluid mode.
  void feed_externally(EndHook hook);
  // Sends one request to the Service (counted as sent). REQUIRES: feed_externally() was
  // called; the top bit of `id` is clear (it marks re-sends).
  void submit(const models::Request& request, std::uint64_t id);
  // As submit(), entering at the node of kube-proxy `proxy` (a forwarding pod's node).
  void submit_from(const models::Request& request, std::uint64_t id, std::uint32_t proxy);
  // Inside an EndHook call: the kube-proxy of the node of the pod that served the request
  // (KubeProxyFleet::kReference when unknown or not served).
  std::uint32_t ended_on_proxy() const { return ended_proxy_; }

  const scenarios::TrafficWorkloadSpec& spec() const { return spec_; }
  Counts counts() const;
  std::size_t endpoints() const { return lb_.endpoints().size(); }
  // The pod's (namespace/name) serving counters, cumulative over every period it served
  // (time integrals included), and whether it serves now; nullopt for a pod that never
  // served. What a metrics scraper reads.
  struct PodLoad {
    models::PodCounters counters;
    bool serving = false;
  };
  std::optional<PodLoad> pod_load(const std::string& pod_key) const;
  // ∫ busy fraction dt summed over every pod that served (seconds of a fully busy pod):
  // divided by the replica-seconds, the mean utilization of the serving pods.
  double busy_seconds_total() const;
  // Whether the Service selects the pod (its namespace, every selector label).
  bool selects(const models::Pod& pod) const;
  // The activator (spec.activator): whether it is modelled, the requests it holds now, and
  // ∫ held dt (request-seconds; its difference over 1 s is the mean buffered concurrency
  // the activator reports to the KPA).
  bool activator_enabled() const { return spec_.activator.has_value(); }
  std::size_t activator_buffered() const { return buffer_.size(); }
  double activator_buffered_seconds() const;
  // ---- Knative SKS hook (driven by experiments/knative_sks.hpp for a PodAutoscaler) ------
  // Models the activator with `spec` when the workload has no spec.activator (an explicit
  // spec.activator is kept: it wins). REQUIRES: request mode (not fluid).
  void enable_activator(sim::MetricRegistry& metrics, const scenarios::ActivatorSpec& spec);
  // The ServerlessService's mode: true = Proxy (every request goes through the activator),
  // false = Serve (through it only while the Service has no endpoint or it holds requests).
  void set_activator_in_path(bool proxy) { activator_proxy_ = proxy; }
  // Whether a request sent now goes through the activator.
  bool activator_in_path() const {
    return spec_.activator.has_value() &&
           (activator_proxy_ || endpoints() == 0 || !buffer_.empty());
  }
  // Sends (re-sends included) that went through the activator, and straight to the load
  // balancer: proxied + direct = sent + retried.
  std::uint64_t requests_proxied() const { return proxied_; }
  std::uint64_t requests_direct() const { return direct_; }
  // ---- end of the Knative SKS hook ------------------------------------------------------
  // The Service as namespace/name.
  std::string service_key() const;
  // Requests sent to the Service so far (the offered load, whatever became of them).
  std::uint64_t sent_total() const { return static_cast<std::uint64_t>(sent_.value()); }
  // When the load balancer first routed a request to the pod (namespace/name), -1 if never:
  // for tests of endpoint propagation.
  sim::Time first_routed(const std::string& pod_key) const;

 private:
  struct Backend {
    std::string key;  // namespace/name
    std::unique_ptr<models::InferenceServer> server;
    bool serving = false;  // as the pod store says now
    std::uint32_t proxy = 0;  // the kube-proxy of the pod's node (kReference: unknown)
    // Requests the activator sent to the pod that are still on their hop (hopLatency):
    // they count against containerConcurrency like the pod's own.
    std::int64_t activator_in_transit = 0;
  };
  // One node's kube-proxy rules for the Service, as backend ids, rebuilt when its view or
  // the backends changed.
  struct NodeView {
    std::uint64_t version = 0;
    std::uint64_t backends = 0;
    models::LoadBalancer lb;
  };

  void on_pod(bool serving, const std::string& key);
  void start_serving(std::uint32_t id);
  void stop_serving(std::uint32_t id);
  void reference_synced();
  std::vector<std::uint32_t> backends_of(const models::ProxyEndpoints& view) const;
  models::LoadBalancer& node_lb(std::uint32_t proxy);
  void send(const models::Request& request, std::uint64_t id);
  void on_result(const models::RequestResult& r, std::uint32_t backend);
  void endpoint_gone(const models::Request& request, std::uint64_t id);
  void finish_failed(std::uint64_t id);
  void ended(std::uint64_t id, Ended how, const models::RequestResult* result);
  void close_interval();
  void route(const models::Request& request, std::uint64_t id);
  void buffer(const models::Request& request, std::uint64_t id);
  void release_buffered();
  void expire_buffered();
  void buffer_changed();
  void fluid_step();

  sim::Simulation& sim_;
  models::ApiServer& api_;
  scenarios::TrafficWorkloadSpec spec_;
  models::Labels selector_;
  models::KubeProxyFleet& proxies_;
  std::uint32_t proxy_service_ = 0;  // the Service's index in proxies_
  // The reference kube-proxy's rules (KubeProxyFleet::kReference).
  models::LoadBalancer lb_;
  std::vector<std::unique_ptr<NodeView>> node_views_;  // by kube-proxy index, lazily
  std::uint64_t backend_changes_ = 0;                  // bumped when a backend starts
  sim::Rng entry_rng_;
  std::uint32_t ended_proxy_ = 0;
  static constexpr std::uint32_t kAnyNode = ~std::uint32_t{0};
  // During submit_from: where the request enters; kReference while the activator releases
  // (it sends to the pods directly).
  std::uint32_t entry_ = kAnyNode;
  std::unique_ptr<models::TrafficSource> source_;
  std::uint64_t watch_ = 0;
  // Backends by id (LoadBalancer endpoint ids); a pod that becomes serving again after it
  // stopped gets a new id (a new server).
  std::vector<Backend> backends_;
  models::ObjectKeyMap<std::uint32_t> current_;  // pod key -> its current backend id
  std::map<std::string, std::uint32_t, std::less<>> last_backend_;  // pod key -> latest id
  std::map<std::string, sim::Time> first_routed_;
  // Counters of the pod's servers that stopped (a pod may serve, stop and serve again).
  models::ObjectKeyMap<models::PodCounters> retired_;
  std::uint64_t next_request_ = 0;
  EndHook end_hook_;  // set: fed externally
  // The activator's buffer (spec.activator), oldest first, with ∫ size dt.
  struct Buffered {
    models::Request request;
    std::uint64_t id = 0;
    sim::Time deadline = 0;
  };
  std::deque<Buffered> buffer_;
  // The activator's hop (ActivatorSpec::hop_latency): stream "activator/<name>/hop", made at
  // the first proxied request; the time to add to the next release.
  std::optional<sim::Rng> hop_rng_;
  sim::Duration next_hop();
  // The oldest buffered request, out of the buffer.
  Buffered take_buffered();
  // A released request to the backend `pod` (containerConcurrency > 0) or, with kAnyNode, to
  // the load balancer's reference view, after the hop.
  void send_from_activator(const Buffered& b, std::uint32_t pod);
  void deliver_from_activator(const Buffered& b, std::uint32_t pod);
  // Released requests on their hop, by key.
  struct OnHop {
    Buffered b;
    std::uint32_t pod = 0;
  };
  std::map<std::uint64_t, OnHop> on_hop_;
  std::uint64_t next_hop_key_ = 0;
  double buffered_seconds_ = 0;
  sim::Time buffer_changed_at_ = 0;
  bool release_pending_ = false;
  sim::Gauge* buffered_g_ = nullptr;
  sim::Counter* buffered_c_ = nullptr;
  // Knative SKS hook: the SKS is in Proxy mode; sends through the activator / direct.
  bool activator_proxy_ = false;
  std::uint64_t proxied_ = 0;
  std::uint64_t direct_ = 0;
  sim::Counter* proxied_c_ = nullptr;
  sim::Counter* direct_c_ = nullptr;
  void make_activator_metrics(sim::MetricRegistry& metrics);

  sim::Counter& sent_;
  sim::Counter& succeeded_;
  sim::Counter& timed_out_;
  sim::Counter& rejected_;
  sim::Counter& failed_;
  sim::Counter& retried_;
  sim::Histogram& ttft_;
  sim::Histogram& e2e_;
  sim::Histogram& queueing_;
  sim::Gauge& endpoints_g_;
  sim::Gauge& in_flight_g_;
  std::uint64_t last_sent_sample_ = 0;
  sim::Counter& slo_met_;
  sim::Counter& cold_starts_;
  sim::Gauge& serving_g_;
  // The requests that ended since the last sample, and the figures of the last interval.
  std::vector<double> interval_e2e_;
  std::vector<double> interval_ttft_;
  std::uint64_t interval_ended_ = 0;
  std::uint64_t interval_met_ = 0;
  struct IntervalFigures {
    double e2e_p50 = 0;
    double e2e_p99 = 0;
    double ttft_p99 = 0;
    double slo_attainment = 1;
  } interval_;
  // Fluid mode (spec.fluid): one model for the Service, fractional totals and what of them
  // reached the integer counters, and each pod's share for the metrics pipeline.
  std::unique_ptr<models::FluidService> fluid_;
  struct FluidTotals {
    double sent = 0, succeeded = 0, rejected = 0, failed = 0, timed_out = 0, slo_met = 0;
    std::uint64_t sent_added = 0, succeeded_added = 0, rejected_added = 0, failed_added = 0,
                  timed_out_added = 0;
    std::uint64_t ended_added() const {
      return succeeded_added + rejected_added + failed_added + timed_out_added;
    }
  } fluid_totals_;
  struct FluidPod {
    double arrived = 0, completed = 0, output_tokens = 0;
    double busy_seconds = 0, in_flight_seconds = 0, queue_seconds = 0;
    bool serving = false;  // the pod has a current backend (current_), kept by on_pod
  };
  models::ObjectKeyMap<FluidPod> fluid_pods_;
  // fluid_step scratch: each backend's entry of fluid_pods_ (by backend id; map nodes are
  // stable and never erased), so a step does no string lookup; the ready endpoints.
  std::vector<FluidPod*> fluid_pod_of_;
  std::vector<std::uint32_t> fluid_ready_;
};

}  // namespace kubesim::experiments
