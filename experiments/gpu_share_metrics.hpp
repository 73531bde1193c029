// GpuShareMetrics: GPU allocation and fragmentation of a run, as the FGD paper measures them
// (docs/metrics.md, "gpu"; docs/gpu-sharing.md).
//
// Fed by ClusterObserver from the object stores (ground truth at commit time): nodes with
// their GPU count and model, pods when they arrive (created), are bound (with the devices
// of their binding), fail without a node, or leave. It keeps each node's GPU state
// (policies/gpu_share.hpp GpuNodeState) and, when a target workload is known (the typical
// pods of the scenario's pod traces), each node's fragmentation F_n, updated incrementally.
//
// Definitions (reference/fgd-simulator.md, "Metrics"):
//   arrived %      Σ GPU milli requested by every pod created so far (failed ones included)
//                  over the cluster's GPU capacity (GPUs × 1000), × 100
//   allocation %   Σ GPU milli allocated to bound pods over capacity, × 100
//   unallocated    (capacity − allocated) / 1000, in GPUs
//   fragmentation  Σ_n F_n over capacity, × 100 (the paper's figure); 0 without a workload
// "At X % arrived": the mean over pod outcomes (each bind, each failure) whose arrived %,
// rounded half to even, equals X — the paper's "allocation at 100 %" and "at 130 %".
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/objects.hpp"
#include "policies/gpu_share_plugins.hpp"

namespace kubesim::experiments {

class GpuShareMetrics {
 public:
  explicit GpuShareMetrics(std::shared_ptr<const policies::GpuWorkload> workload);
  ~GpuShareMetrics();
  GpuShareMetrics(const GpuShareMetrics&) = delete;
  GpuShareMetrics& operator=(const GpuShareMetrics&) = delete;

  void node_added(const models::Node& node);
  void pod_created(const models::Pod& pod);
  // The pod is bound to `node` with these devices (its binding's gpu_device_ids).
  void pod_bound(const models::Pod& pod, const std::string& node);
  // A bound pod stops using its node (terminal or deleted).
  void pod_released(const models::Pod& pod, const std::string& node);
  // The pod ended without a node (unschedulable under onUnschedulable: fail).
  void pod_failed_unbound();

  std::int64_t capacity_milli() const { return capacity_; }
  double arrived_percent() const;
  double allocation_percent() const;
  double unallocated_gpus() const;
  double fragmentation_percent() const;
  std::int64_t failed_pods() const { return failed_; }

  struct AtArrived {
    int arrived_percent = 0;
    std::int64_t events = 0;
    double allocation_percent = 0, unallocated_gpus = 0, fragmentation_percent = 0;
  };
  // The means at rounded arrived % = percent; events == 0 when never reached.
  AtArrived at_arrived(int percent) const;

 private:
  struct NodeState;
  void record_outcome();
  double node_fragmentation(const NodeState& n) const;

  std::shared_ptr<const policies::GpuWorkload> workload_;
  std::map<std::string, std::unique_ptr<NodeState>, std::less<>> nodes_;
  std::int64_t capacity_ = 0, arrived_ = 0, used_ = 0, failed_ = 0;
  double fragmentation_ = 0;  // Σ_n F_n
  struct Acc {
    std::int64_t events = 0;
    double allocation = 0, unallocated = 0, fragmentation = 0;
  };
  std::map<int, Acc> by_arrived_;
};

}  // namespace kubesim::experiments
