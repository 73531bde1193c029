// The FGD paper's replay method ("ideal scheduler, no control plane"): GPU nodes, an
// ordered list of pod arrivals, tie-break ranks and a policy in; each pod's outcome
// (node and devices, or failed) and the metrics timeline out. Each arrival is scheduled at
// once against the feasible nodes; a pod with no feasible node fails and is never retried;
// nothing departs. Among the nodes with the highest score the lowest rank wins.
//
// Upstream: github.com/hkust-adsl/kubernetes-scheduler-simulator (pkg/simulator/
// simulator.go, core.go; experiments/analysis for the metrics). docs/gpu-sharing.md has
// the method, the metrics and the reference-replay result.
//
// Arrival order and ranks: upstream draws them with Go's math/rand, which we do not
// reproduce. For seed 42 the reference run's order and ranks are replayed from
// shared/reference/fgd-openb-seed42 (read_reference_arrivals, read_node_ranks); for
// other seeds paper_arrivals() and seeded_ranks() build the same construction with
// sim::Rng, so they are statistically, not bitwise, the paper's.
//
// Cost: the scores of a node for a demand are cached per (demand shape, node) until the
// node changes, and F_n is memoized per node, so a replay of the 10,866-pod openb run
// evaluates far fewer than pods × nodes scores.
//
// Thread-safety: replay_gpu() is a pure function of its inputs (it keeps no state).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "policies/gpu_share.hpp"
#include "sim/status.hpp"

namespace kubesim::experiments {

struct GpuReplayNode {
  std::string name;
  std::int64_t cpu_milli = 0;
  std::int64_t memory_mib = 0;
  std::int32_t gpus = 0;
  std::string model;
};

struct GpuReplayPod {
  std::string name;
  std::string base_pod;  // the original a clone was copied from (itself for originals)
  std::int64_t cpu_milli = 0;
  std::int64_t memory_mib = 0;
  std::int32_t num_gpu = 0;
  std::int32_t gpu_milli = 0;
  std::string gpu_spec;
  bool is_clone() const { return name != base_pod; }
};

// What the replay needs. rank[i] is node i's tie-break rank (lower wins; when rank does
// not have one entry per node, the node index is the rank); typical_source are the pods the
// typical-pod distribution is built from (the originals, not the clones).
struct GpuReplayInput {
  std::vector<GpuReplayNode> nodes;
  std::vector<GpuReplayPod> arrivals;
  std::vector<std::int32_t> rank;
  std::vector<GpuReplayPod> typical_source;
};

struct GpuPodOutcome {
  std::int32_t node = -1;     // index into nodes; -1 = failed
  std::uint64_t devices = 0;  // bit i = device i
  bool scheduled() const { return node >= 0; }
};

// State after one arrival.
struct GpuReplayPoint {
  std::int64_t arrived_milli = 0;  // Σ GPU requests of all arrived pods, failed included
  std::int64_t used_milli = 0;     // Σ GPU milli allocated
  double fragmentation_milli = 0;  // Σ_n F_n
  std::int64_t idle_milli = 0;     // Σ_n G_n (capacity − used)
  std::int32_t failed_pods = 0;
  std::int32_t failed_gpu_pods = 0;
};

struct GpuReplayResult {
  policies::gpu::GpuPolicy policy = policies::gpu::GpuPolicy::kFgd;
  std::int64_t capacity_milli = 0;  // Σ GPUs · 1000
  std::size_t typical_pods = 0;
  std::vector<GpuPodOutcome> outcomes;   // per arrival
  std::vector<GpuReplayPoint> timeline;  // per arrival
};

// Replays the arrivals under the policy. seed drives only the Random policy's choices.
GpuReplayResult replay_gpu(const GpuReplayInput& input, policies::gpu::GpuPolicy policy,
                           std::uint64_t seed = 42);

// The paper's "at X%" figures: means over the events whose arrived GPU demand, as a
// percentage of capacity rounded to an integer, equals X. events = 0 when none did.
struct GpuHeadline {
  int arrived_percent = 0;
  int events = 0;
  double allocation_percent = 0;     // used / capacity · 100
  double unallocated_gpus = 0;       // (capacity − used) / 1000
  double fragmentation_percent = 0;  // Σ F_n / capacity · 100
  double fragmentation_ratio = 0;    // Σ F_n / Σ G_n · 100
  double failed_pods = 0;
};
GpuHeadline headline_at(const GpuReplayResult& result, int arrived_percent);
// Arrived GPU demand of one point, as the rounded percentage of capacity.
int arrived_percent(const GpuReplayResult& result, const GpuReplayPoint& point);

// ---- Inputs -------------------------------------------------------------------------------

// openb_node_list_gpu_node.csv: sn,cpu_milli,memory_mib,gpu,model.
sim::Result<std::vector<GpuReplayNode>> read_openb_nodes(const std::string& path);
// openb_pod_list_*.csv: name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,... (extra
// columns ignored).
sim::Result<std::vector<GpuReplayPod>> read_openb_pods(const std::string& path);

// The reference run's arrival_order.csv: seq,pod,base_pod,cpu_milli,memory_mib,num_gpu,
// gpu_milli,gpu_spec,outcome,node,node_rank,gpu_index. The recorded outcome per arrival is
// kept beside the pod (node name "" when failed; gpu_index "0-1" as upstream writes it).
struct GpuReferenceArrival {
  GpuReplayPod pod;
  bool scheduled = false;
  std::string node;
  std::string gpu_index;
};
sim::Result<std::vector<GpuReferenceArrival>> read_reference_arrivals(const std::string& path);
// node_rank.csv: node,rank, aligned to nodes by name. Every node must have a rank.
sim::Result<std::vector<std::int32_t>> read_node_ranks(const std::string& path,
                                                       const std::vector<GpuReplayNode>& nodes);

// ---- The paper's arrival construction with our RNG -----------------------------------------

// Sort the pods by name, shuffle them with the seed (Fisher-Yates on sim::Rng), then append
// clones (named "<base>-tuned-<k>", k from 0) of originals drawn uniformly from the
// name-sorted list until the next clone would pass inflation · capacity. As upstream
// (simulator.go tuneUpPods) the stop test adds the clone's per-device milli, not its total,
// so a multi-GPU clone may overshoot the limit by up to (num_gpu − 1)·1000. If the
// originals already exceed the limit, uniformly drawn pods are removed instead
// (tuneDownPods). The paper uses inflation 1.3.
std::vector<GpuReplayPod> paper_arrivals(std::vector<GpuReplayPod> pods,
                                         std::int64_t capacity_milli, double inflation,
                                         std::uint64_t seed);
// A seeded permutation of 0..n-1 as ranks of the name-sorted nodes.
std::vector<std::int32_t> seeded_ranks(std::size_t node_count, std::uint64_t seed);

}  // namespace kubesim::experiments
