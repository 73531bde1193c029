// ClusterObserver: what a run records about its cluster — each pod's lifecycle (pods.csv),
// allocation and node gauges (timeseries.csv and the time averages in summary.json), node
// hours and cost, and optionally every object change and fault (events.jsonl).
//
// It watches the object stores directly (the ground truth at commit time, not an informer's
// delayed view), so its numbers do not depend on any component's lag. docs/metrics.md
// documents every column and key.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "experiments/gpu_share_metrics.hpp"
#include "models/cluster.hpp"
#include "sim/metrics.hpp"
#include "sim/sampler.hpp"
#include "sim/simulation.hpp"

namespace kubesim::experiments {

struct PodRecord {
  std::string namespace_;
  std::string name;
  std::string owner_kind;
  std::string owner_name;
  std::string node;
  std::string phase;  // the last phase seen (a deleted pod keeps it; see `deleted`)
  std::int32_t priority = 0;
  std::int64_t cpu_milli = 0;
  std::int64_t memory = 0;
  std::int64_t gpu = 0;        // whole nvidia.com/gpu devices requested
  std::int64_t gpu_milli = 0;  // milli-GPU used: devices × per-device share (Pod::gpu_demand)
  std::string gpu_ids;         // the devices of the binding, "0-1" (empty: none)
  std::optional<sim::Time> created, scheduled, running, ready, finished, deleted;
};

class ClusterObserver {
 public:
  // `gpu_workload` non-null turns on the GPU-sharing metrics (GpuShareMetrics: summary
  // "gpu" section and the gpu.* timeseries columns), with FGD's fragmentation measured
  // against its typical pods.
  ClusterObserver(sim::Simulation& sim, sim::MetricRegistry& metrics, models::Cluster& cluster,
                  sim::Sampler& sampler, bool record_events,
                  std::shared_ptr<const policies::GpuWorkload> gpu_workload = nullptr);
  ~ClusterObserver();
  ClusterObserver(const ClusterObserver&) = delete;
  ClusterObserver& operator=(const ClusterObserver&) = delete;

  const std::vector<PodRecord>& pods() const { return records_; }
  // Summary numbers (docs/metrics.md, "cluster").
  struct Summary {
    std::int64_t pods_created = 0, pods_scheduled = 0, pods_running = 0, pods_succeeded = 0,
                 pods_failed = 0, pods_pending = 0, pods_deleted = 0;
    double cpu_allocation = 0, memory_allocation = 0, gpu_allocation = 0;  // time averages
    double node_hours = 0, cost = 0;
    std::int64_t nodes = 0, ready_nodes_at_end = 0;
  };
  Summary summary() const;

  // The GPU-sharing metrics, or nullptr when not enabled.
  const GpuShareMetrics* gpu_share() const;

  void write_pods_csv(std::ostream& out) const;
  void write_events_jsonl(std::ostream& out) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<PodRecord> records_;
};

}  // namespace kubesim::experiments
