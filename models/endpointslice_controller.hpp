// EndpointSliceController: kube-controller-manager's EndpointSlice controller (upstream v1.34
// pkg/controller/endpointslice/endpointslice_controller.go with the reconciler of
// staging/src/k8s.io/endpointslice): for every Service with a selector it keeps
// discovery.k8s.io/v1 EndpointSlices listing the selected pods, at most
// maxEndpointsPerSlice (100) per slice. The rules (podToEndpoint, ports, how endpoints are
// packed) are models/endpointslice.hpp; this is the runtime.
//
// Inputs, as upstream's informers: its own Service informer, and the ControllerManager's pod
// and node informers (the controller manager shares informers between controllers, as
// upstream's SharedInformerFactory does): ControllerManager calls on_pod()/on_pod_delete()
// from its pod handlers. A pod event enqueues the Services of its namespace whose selector
// matches the pod before or after the change, and only when something an endpoint shows
// changed (labels, readiness, deletion, phase, node, IP) — so pods of clusters without
// Services cost one map look-up per event.
//
// Sync (per Service key, from a deduplicating queue; upstream's endpointUpdatesBatchPeriod is
// 0, and the controller manager's syncWindow coalesces a burst of pod events as for the other
// controllers): the desired endpoints of the selected pods, reconciled against the slices
// the controller last wrote (reconcile_slices), and one API write per changed slice —
// create, update or delete — through the controller's own client ("endpointslice-controller",
// kube-controller-manager's --kube-api-qps/--kube-api-burst, 20/30; upstream builds a client
// per controller with that configuration). Nothing is written when nothing changed.
//
// Upstream's EndpointSliceTracker makes the controller wait until its informer has seen its
// own writes before it syncs the Service again; kubesim keeps the slices as it wrote them
// (applied on each successful response) and does not sync a Service while its writes are in
// flight: an event meanwhile resyncs it when they complete. A failed write requeues the
// Service with upstream's backoff (1 s doubling, at most 1000 s: defaultSyncBackOff,
// maxSyncBackOff). Slice names are "<service>-" plus 5 characters of upstream's random-name
// alphabet drawn from stream "endpointslice-controller/names" (the API server's generateName).
// A deleted Service's slices are deleted by the controller (upstream: the garbage collector,
// through their ownerReference).
//
// Services without a selector are left alone: their slices are the user's (a manifest).
//
// Metrics: counters controllers.endpointslices_created / _updated / _deleted (successful
// writes), controllers.endpointslice_syncs.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "models/api_server.hpp"
#include "models/endpointslice.hpp"
#include "models/informer.hpp"
#include "sim/metrics.hpp"
#include "sim/random.hpp"
#include "sim/simulation.hpp"

namespace kubesim::models {

struct EndpointSliceControllerConfig {
  ClientRateLimit rate_limit = kKubeControllerManagerDefaultRateLimit;
  std::int32_t max_endpoints_per_slice = kDefaultMaxEndpointsPerSlice;
  sim::Duration sync_window = 100 * sim::kMillisecond;
  sim::Duration initial_backoff = sim::kSecond;
  sim::Duration max_backoff = 1000 * sim::kSecond;
};

class EndpointSliceController {
 public:
  EndpointSliceController(sim::Simulation& sim, sim::MetricRegistry& metrics, ApiServer& api,
                          const Informer<Pod>& pods, const Informer<Node>& nodes,
                          EndpointSliceControllerConfig config);
  ~EndpointSliceController();
  EndpointSliceController(const EndpointSliceController&) = delete;
  EndpointSliceController& operator=(const EndpointSliceController&) = delete;

  // From the pod informer's handlers (after its cache holds the change).
  void on_pod(const Pod* old_pod, const Pod& pod);
  void on_pod_delete(const Pod& pod);

  // The slices the controller has written for the Service (namespace/name), by name.
  std::vector<EndpointSlice> slices(std::string_view service_key) const;
  // Successful slice writes so far (creates + updates + deletes).
  std::uint64_t writes() const;

 private:
  struct ServiceState {
    std::shared_ptr<const Service> service;
    std::set<std::string, std::less<>> pods;  // selected pod keys
    std::map<std::string, EndpointSlice, std::less<>> written;
    int in_flight = 0;
    bool dirty = false;
    bool scheduled = false;
    bool failed = false;
    int failures = 0;
    sim::Time last_sync = -1;
  };

  void on_service(const std::shared_ptr<const Service>& service);
  void on_service_delete(const std::shared_ptr<const Service>& service);
  void enqueue(const std::string& key);
  void schedule(const std::string& key, sim::Time at);
  void sync(const std::string& key);
  void write_done(const std::string& key, bool ok);
  std::string slice_name(const std::string& service_name);

  sim::Simulation& sim_;
  ApiServer& api_;
  ApiClient& client_;
  const Informer<Pod>& pods_;
  const Informer<Node>& nodes_;
  EndpointSliceControllerConfig config_;
  sim::Rng names_rng_;
  std::map<std::string, ServiceState, std::less<>> services_;
  // namespace → the keys of its Services with a selector
  std::map<std::string, std::set<std::string>, std::less<>> by_namespace_;
  std::unique_ptr<Informer<Service>> service_informer_;
  sim::Counter& created_;
  sim::Counter& updated_;
  sim::Counter& deleted_;
  sim::Counter& syncs_;
};

}  // namespace kubesim::models
