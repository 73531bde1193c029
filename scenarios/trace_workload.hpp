// Trace workloads in a scenario: nodes from a cluster trace (spec.cluster.nodesFrom) and
// pods replayed from one (spec.workloads[] with type: podTrace), and how trace rows become
// Kubernetes objects.
//
//   spec:
//     cluster:
//       nodesFrom:
//       - {format: alibaba-openb, path: traces/openb_node_list_gpu_node.csv}
//     workloads:
//     - name: openb
//       type: podTrace
//       trace: {format: alibaba-openb, path: traces/openb_pod_list_default.csv}
//       arrivals: sequential        # trace (creation times) | sequential (one per interval)
//       interval: 1s
//       order: shuffled             # trace | shuffled (sorted by name, then a seeded shuffle)
//       inflateGpuPercent: 130      # clone pods until arrived GPU demand passes 130 %
//       departures: false           # delete pods at their trace deletion time
//       onUnschedulable: fail       # retry (scheduler semantics) | fail (the paper's method)
//
// A trace row becomes a Pod (trace_pod_to_pod): one container "main" requesting the row's
// CPU and memory; whole GPUs (gpu_milli 1000) as nvidia.com/gpu; a share of one GPU as the
// alibabacloud.com/gpu-milli annotation; the allowed GPU models as a required node affinity
// on nvidia.com/gpu.product. A trace node becomes a Node with that capacity and allocatable
// and the label nvidia.com/gpu.product = its model (trace_node_to_node).
//
// Trace files are loaded when the scenario is (their bad rows are scenario errors), and
// their bytes enter the scenario hash.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <optional>
#include <string>
#include <vector>

#include "models/objects.hpp"
#include "scenarios/traces.hpp"
#include "sim/time.hpp"

namespace kubesim::scenarios {

class FieldReader;

// A trace file reference: format, paths (resolved against the scenario file's directory)
// and the loader options.
struct TraceSource {
  std::string format;
  std::vector<std::string> paths;
  traces::TraceOptions options;
};

struct TraceNodesSpec {
  TraceSource source;
  std::int32_t max_pods = 110;  // status.allocatable.pods of every node (kubelet maxPods)
  traces::ClusterTrace trace;   // loaded
};

struct PodTraceSpec {
  enum class Arrivals : std::uint8_t { kTrace, kSequential };
  enum class Order : std::uint8_t { kTrace, kShuffled };
  std::string name;
  TraceSource source;
  traces::ClusterTrace trace;  // loaded (pods)
  std::string namespace_ = "default";
  std::string scheduler_name;  // empty: the pod's default (default-scheduler)
  Arrivals arrivals = Arrivals::kTrace;
  sim::Duration interval = sim::kSecond;  // kSequential: time between arrivals
  sim::Duration start = 0;                // first arrival (kSequential) / trace origin (kTrace)
  double time_compression = 1;            // kTrace: trace times are divided by this
  Order order = Order::kTrace;
  std::optional<double> inflate_gpu_percent;
  bool departures = true;                 // delete each pod at its trace deletion time
  std::optional<sim::Duration> run_time;  // instead: each pod completes after this long
  bool fail_unschedulable = false;
  // arrivalOrderFile: the exact arrival order, as (pod name, trace row of its base pod) —
  // e.g. the FGD reference run's arrival_order.csv (columns pod and base_pod). Replaces
  // order and inflateGpuPercent.
  std::vector<std::pair<std::string, std::uint32_t>> arrival_order;
};

// Reads a name,rank CSV (header with the columns `node` and `rank`; each node once) into
// `out`. Problems go to `out_diagnostics` with file and line.
bool read_node_rank_csv(const std::string& path,
                        std::map<std::string, std::int64_t, std::less<>>& out,
                        Diagnostics& out_diagnostics);

// Readers; problems go to the reader's diagnostics. The trace files are loaded here.
// Reads {format, path | paths, skipBadRows, maxRows, mapping}. `requests`: a request trace
// (traces::request_trace_formats()), else a cluster trace.
std::optional<TraceSource> read_trace_source(FieldReader& r, const std::string& base_dir,
                                             bool requests = false);
std::optional<TraceNodesSpec> read_trace_nodes(FieldReader& r, const std::string& base_dir);
std::optional<PodTraceSpec> read_pod_trace(FieldReader& w, const std::string& name,
                                           const std::string& base_dir);

models::Node trace_node_to_node(const traces::TraceNode& node, std::int32_t max_pods);
// `name` is the pod's name (clones get their own); the namespace, scheduler and the
// fail-on-unschedulable annotation come from the spec.
models::Pod trace_pod_to_pod(const traces::TracePod& row, const PodTraceSpec& spec,
                             std::string name);

}  // namespace kubesim::scenarios
