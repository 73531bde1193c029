// Reading `type: traffic` workloads: request traffic sent to a Service of the scenario.
//
// A traffic workload names a Service of the scenario's manifests (namespace/name), the
// request stream (a models::TrafficSpec, every field of docs/serving.md §1 in camelCase),
// the serving model of each ready pod behind the Service (a models::InferenceServerConfig),
// the kube-proxy load-balancing mode and two behaviours of endpoint changes: how long an
// endpoint change takes to reach the load balancer, and what happens to requests of a pod
// that stops being an endpoint. docs/scenarios.md ("type: traffic") lists every field.
//
// The reader validates every field at the boundary (file:line:column, did-you-mean for
// enumerations and unknown keys, via FieldReader); the experiments layer
// (experiments/service_traffic.hpp) turns a spec into a running model.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "models/inference_server.hpp"
#include "models/load_balancer.hpp"
#include "models/traffic.hpp"
#include "sim/time.hpp"

namespace kubesim::scenarios {

class FieldReader;  // scenarios/yaml_reader.hpp (kept out: it pulls in yaml-cpp)

// What happens to a request that meets a pod which is no longer (or soon no longer) an
// endpoint: queued and in-flight requests when the pod stops being Ready or is deleted, and
// requests the load balancer still routes to it during endpointDelay.
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

struct TrafficWorkloadSpec {
  std::string name;               // the workload's name: prefixes its metrics
  std::string path;               // "spec.workloads[i]", for run-time messages
  std::string service_namespace;  // the Service, as namespace/name
  std::string service_name;
  models::TrafficSpec traffic;
  models::InferenceServerConfig server;
  models::LbMode load_balancing = models::LbMode::kRandom;
  // kube-proxy propagation: a Ready change of a pod reaches the load balancer this long
  // after it commits.
  sim::Duration endpoint_delay = sim::kSecond;
  // kube-proxy's --iptables-min-sync-period / --ipvs-min-sync-period (v1.34 default 1s): a
  // change reaches the rules at the proxy's next sync, at most one sync per period
  // (pkg/util/async BoundedFrequencyRunner); changes within the period are batched.
  sim::Duration kube_proxy_min_sync_period = sim::kSecond;
  EndpointGone on_endpoint_gone = EndpointGone::kFail;
  PodUsageSpec usage;  // podUsage
  SloSpec slo;         // slo
  // mode: fluid — per-interval rates through the same capacity model, no per-request
  // events (models::FluidService, docs/serving.md §3); request (default) — every request.
  bool fluid = false;
  sim::Duration fluid_interval = sim::kSecond;  // fluidInterval
  std::vector<std::string> trace_paths;  // traffic.from's files (they enter the scenario hash)
};

// Reads the fields of one workload of type traffic (name and type already read by the
// caller). nullopt after a diagnostic. Does not call w.finish().
// `base_dir` resolves relative trace paths (traffic.from).
std::optional<TrafficWorkloadSpec> read_traffic_workload(FieldReader& w, const std::string& name,
                                                         const std::string& base_dir);

// Marks every field a traffic workload may have as known (for a workload whose name or type
// was invalid, so only real typos are reported).
void mark_traffic_fields(FieldReader& w);

}  // namespace kubesim::scenarios
