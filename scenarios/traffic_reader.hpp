// Reading `type: traffic` workloads: request traffic sent to a Service of the scenario.
//
// A traffic workload names a Service of the scenario's manifests (namespace/name) — or an
// Ingress, with the requests' host and path and the ingress controller's Service — the
// request stream (a models::TrafficSpec, every field of docs/serving.md §1 in camelCase),
// the serving model of each ready pod behind the Service (a models::InferenceServerConfig),
// the kube-proxy load-balancing mode and settings (minSyncPeriod, syncPeriod; an extra
// endpointDelay), and what happens to requests of a pod that stops being an endpoint.
// docs/scenarios.md ("type: traffic") lists every field.
//
// The reader validates every field at the boundary (file:line:column, did-you-mean for
// enumerations and unknown keys, via FieldReader); the experiments layer
// (experiments/service_traffic.hpp) turns a spec into a running model.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/inference_server.hpp"
#include "models/load_balancer.hpp"
#include "models/traffic.hpp"
#include "sim/time.hpp"

namespace kubesim::scenarios {

class FieldReader;  // scenarios/yaml_reader.hpp (kept out: it pulls in yaml-cpp)

// What happens to a request that meets a pod which is no longer (or soon no longer) an
// endpoint: queued and in-flight requests when the pod stops being Ready or is deleted, and
// requests a kube-proxy that has not synced the change yet still routes to it.
enum class EndpointGone {
  kFail,   // the request fails (connection refused / reset)
  kRetry,  // the client re-sends it once, through the load balancer again
};

// The CPU and memory a pod behind the Service uses, as its kubelet reports them to
// metrics-server (what an HPA on cpu or memory sees). While the pod serves:
//   cpu cores = idleCpu + busy × (busyCpu − idleCpu)
// where busy is the serving model's busy fraction (docs/serving.md: the LLM engine's
// non-empty-batch fraction, or busy workers / concurrency in CPU mode); before it serves
// (not Ready yet) it uses idleCpu. Memory is constant.
struct PodUsageSpec {
  std::int64_t idle_cpu_milli = 0;
  std::optional<std::int64_t> busy_cpu_milli;  // nullopt: the pod's CPU request
  std::int64_t memory_bytes = 0;
};

// Latency objectives of the workload: a request meets the SLO when it succeeds within both
// targets that are set (ttft applies to LLM requests; for CPU services ttft = e2e).
struct SloSpec {
  std::optional<sim::Duration> e2e;
  std::optional<sim::Duration> ttft;
};

// One kind of request sent through an Ingress: its Host header and URL path, and its
// relative weight in the mix (routes are drawn per request).
struct IngressRouteSpec {
  std::string host;
  std::string path = "/";
  double weight = 1;
};

// The ingress controller (ingress-nginx, say): the pods of `service` proxy every request.
// A request holds one of a pod's `concurrency` slots for `proxyTime` (reading the request,
// routing, opening the upstream connection), then goes to the backend Service's pods; with
// every slot busy it waits in a queue of `queueLimit` requests, beyond which the controller
// answers 503 (rejected).
struct IngressControllerSpec {
  std::string service_namespace;
  std::string service_name;
  // ingress-nginx max-worker-connections default (16384; internal/ingress/controller/config).
  int concurrency = 16384;
  std::int64_t queue_limit = 0;
  sim::Distribution proxy_time = sim::Distribution::constant(0.001);
  // The controller pod's server (a CPU-mode InferenceServer: workers = slots).
  models::InferenceServerConfig server(const std::string& name) const;
};

// Knative's activator in front of a Service scaled by a PodAutoscaler (knative.dev/serving
// pkg/activator, v1.15): while the Service has no endpoint, requests wait in the
// activator's buffer instead of failing, and are released to pods as they become endpoints.
struct ActivatorSpec {
  // pkg/activator/net/throttler.go breakerQueueDepth: requests queued before 503s.
  std::int64_t queue_depth = 10000;
  // config-defaults revision-timeout-seconds (300): a buffered request times out after it.
  sim::Duration timeout = 300 * sim::kSecond;
  // The revision's containerConcurrency (0: unlimited): requests a pod takes at once from
  // the activator.
  std::int64_t container_concurrency = 0;
  // hopLatency: the time the extra network hop through the activator adds to every request
  // it proxies (sampled per request, seconds; added once, between the activator and the
  // pod, so TTFT and e2e both grow by it). nullopt: 0 (the default).
  std::optional<sim::Distribution> hop_latency;
};

struct TrafficWorkloadSpec {
  std::string name;               // the workload's name: prefixes its metrics
  std::string path;               // "spec.workloads[i]", for run-time messages
  std::string service_namespace;  // the Service, as namespace/name
  std::string service_name;
  models::TrafficSpec traffic;
  models::InferenceServerConfig server;
  models::LbMode load_balancing = models::LbMode::kRandom;
  // An extra delay between a kube-proxy hearing an EndpointSlice change and its runner
  // taking it (endpointDelay; 0 by default: the controller, API and watch path are modelled,
  // models/kube_proxy.hpp).
  sim::Duration endpoint_delay = 0;
  // kube-proxy's --iptables-min-sync-period / --ipvs-min-sync-period (v1.34 default 1s): a
  // change reaches the rules at the proxy's next sync, at most one sync per period
  // (pkg/proxy/runner BoundedFrequencyRunner); changes within the period are batched.
  sim::Duration kube_proxy_min_sync_period = sim::kSecond;
  // kubeProxy.syncDuration: how long one rules sync takes (unset: no time).
  std::optional<sim::Distribution> kube_proxy_sync_duration;
  // --iptables-sync-period / --ipvs-sync-period (30s): v1.34's runner retry interval after
  // a failed sync; syncs do not fail in kubesim, so it has no effect (docs/serving.md §4).
  sim::Duration kube_proxy_sync_period = 30 * sim::kSecond;
  EndpointGone on_endpoint_gone = EndpointGone::kFail;
  PodUsageSpec usage;  // podUsage
  SloSpec slo;         // slo
  // mode: fluid — per-interval rates through the same capacity model, no per-request
  // events (models::FluidService, docs/serving.md §3); request (default) — every request.
  bool fluid = false;
  sim::Duration fluid_interval = sim::kSecond;  // fluidInterval
  std::vector<std::string> trace_paths;  // traffic.from's files (they enter the scenario hash)
  // ingress: NS/NAME instead of service (experiments/ingress_traffic.hpp). `routes` holds
  // the request mix (host/path, or routes: [...]) and is non-empty when an ingress is set.
  std::string ingress_namespace;
  std::string ingress_name;
  std::vector<IngressRouteSpec> routes;
  IngressControllerSpec ingress_controller;
  bool via_ingress() const { return !ingress_name.empty(); }
  // activator: {} — buffer requests while the Service has no endpoint (request mode).
  std::optional<ActivatorSpec> activator;
};

// Reads the fields of one workload of type traffic (name and type already read by the
// caller). nullopt after a diagnostic. Does not call w.finish().
// `base_dir` resolves relative trace paths (traffic.from).
std::optional<TrafficWorkloadSpec> read_traffic_workload(FieldReader& w, const std::string& name,
                                                         const std::string& base_dir);

// Marks every field a traffic workload may have as known (for a workload whose name or type
// was invalid, so only real typos are reported).
void mark_traffic_fields(FieldReader& w);

// An ingress workload's references, checked against the scenario's manifests: the Ingress
// and the controller's Service must exist. Diagnostics at the workload's path in `file`.
// (A backend Service the Ingress names may be missing: its requests fail, as they do with a
// real controller, which answers 503 for a Service without endpoints.)
struct Manifests;
class Diagnostics;
void check_ingress_references(const TrafficWorkloadSpec& spec, const Manifests& manifests,
                              const std::string& file, Diagnostics& diagnostics);

// Adds a diagnostic at `field` in `file` unless `wanted` ("namespace/name") is one of
// `present`, the "namespace/name" keys of the scenario's objects of that kind: `no <kind>
// "<wanted>"<role> in the scenario's manifests`, the hint listing `present` (as
// "<kinds> in the scenario: ...") or saying there is none.
void check_reference(const std::vector<std::string>& present, const std::string& wanted,
                     std::string_view kind, std::string_view kinds, std::string_view role,
                     const std::string& field, const std::string& file, Diagnostics& diagnostics);

}  // namespace kubesim::scenarios
