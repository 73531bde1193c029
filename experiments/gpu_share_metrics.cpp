#include "experiments/gpu_share_metrics.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace kubesim::experiments {

namespace gpu = policies::gpu;

struct GpuShareMetrics::NodeState {
  gpu::GpuNodeState state;
  double fragmentation = 0;  // F_n
};

namespace {

constexpr std::int64_t kMiB = 1024 * 1024;

gpu::GpuDemand demand_of(const models::Pod& pod) {
  const models::GpuDemandOfPod d = pod.gpu_demand();
  const models::ResourceList req = pod.requests();
  gpu::GpuDemand out;
  out.cpu_milli = req.cpu_milli;
  out.memory_mib = req.memory / kMiB;
  out.num_gpu = d.devices;
  out.gpu_milli = d.milli;
  return out;
}

std::uint64_t devices_of(const models::Pod& pod, const gpu::GpuNodeState& node) {
  std::uint64_t mask = 0;
  for (const std::int32_t id : pod.spec.gpu_device_ids) {
    if (id >= 0 && id < node.gpu_count) mask |= std::uint64_t{1} << id;
  }
  return mask;
}

}  // namespace

GpuShareMetrics::GpuShareMetrics(std::shared_ptr<const policies::GpuWorkload> workload)
    : workload_(std::move(workload)) {}

GpuShareMetrics::~GpuShareMetrics() = default;

double GpuShareMetrics::node_fragmentation(const NodeState& n) const {
  return workload_ ? gpu::node_fragmentation(workload_->typical, n.state) : 0.0;
}

void GpuShareMetrics::node_added(const models::Node& node) {
  if (nodes_.count(node.metadata.name) != 0) return;
  gpu::ModelId model = gpu::kNoModel;
  if (workload_) {
    if (const std::string* m = node.metadata.labels.find(models::kLabelGpuProduct)) {
      model = workload_->models.find(*m);
    }
  }
  const auto& a = node.status.allocatable;
  const auto gpus = static_cast<std::int32_t>(std::clamp<std::int64_t>(a.gpu, 0, gpu::kMaxGpusPerNode));
  auto n = std::make_unique<NodeState>();
  n->state = gpu::GpuNodeState::make(a.cpu_milli, a.memory / kMiB, gpus, model);
  n->fragmentation = node_fragmentation(*n);
  fragmentation_ += n->fragmentation;
  capacity_ += std::int64_t{gpus} * gpu::kMilliPerGpu;
  nodes_.emplace(node.metadata.name, std::move(n));
}

void GpuShareMetrics::pod_created(const models::Pod& pod) {
  const models::GpuDemandOfPod d = pod.gpu_demand();
  arrived_ += std::int64_t{d.devices} * d.milli;
}

void GpuShareMetrics::pod_bound(const models::Pod& pod, const std::string& node) {
  auto it = nodes_.find(node);
  if (it != nodes_.end()) {
    NodeState& n = *it->second;
    const gpu::GpuDemand d = demand_of(pod);
    const std::uint64_t devices = devices_of(pod, n.state);
    // A bound pod whose devices are missing or do not fit is not counted on the devices
    // (the scheduler always writes them; this only guards hand-written bound pods).
    bool fits = d.needs_gpu() ? std::popcount(devices) == d.num_gpu : devices == 0;
    for (std::uint64_t rest = devices; fits && rest != 0; rest &= rest - 1) {
      fits = n.state.free_milli[static_cast<std::size_t>(std::countr_zero(rest))] >= d.gpu_milli;
    }
    if (fits) {
      gpu::allocate(n.state, d, devices);
      used_ += d.total_gpu_milli() * (devices != 0 ? 1 : 0);
      fragmentation_ -= n.fragmentation;
      n.fragmentation = node_fragmentation(n);
      fragmentation_ += n.fragmentation;
    }
  }
  record_outcome();
}

void GpuShareMetrics::pod_released(const models::Pod& pod, const std::string& node) {
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return;
  NodeState& n = *it->second;
  const gpu::GpuDemand d = demand_of(pod);
  const std::uint64_t devices = devices_of(pod, n.state);
  bool fits = d.needs_gpu() ? std::popcount(devices) == d.num_gpu : devices == 0;
  for (std::uint64_t rest = devices; fits && rest != 0; rest &= rest - 1) {
    fits = n.state.free_milli[static_cast<std::size_t>(std::countr_zero(rest))] + d.gpu_milli <=
           gpu::kMilliPerGpu;
  }
  if (!fits) return;
  gpu::release(n.state, d, devices);
  used_ -= d.total_gpu_milli() * (devices != 0 ? 1 : 0);
  fragmentation_ -= n.fragmentation;
  n.fragmentation = node_fragmentation(n);
  fragmentation_ += n.fragmentation;
}

void GpuShareMetrics::pod_failed_unbound() {
  ++failed_;
  record_outcome();
}

double GpuShareMetrics::arrived_percent() const {
  return capacity_ > 0 ? static_cast<double>(arrived_) * 100.0 / static_cast<double>(capacity_) : 0;
}
double GpuShareMetrics::allocation_percent() const {
  return capacity_ > 0 ? static_cast<double>(used_) * 100.0 / static_cast<double>(capacity_) : 0;
}
double GpuShareMetrics::unallocated_gpus() const {
  return static_cast<double>(capacity_ - used_) / gpu::kMilliPerGpu;
}
double GpuShareMetrics::fragmentation_percent() const {
  return capacity_ > 0 ? fragmentation_ * 100.0 / static_cast<double>(capacity_) : 0;
}

void GpuShareMetrics::record_outcome() {
  if (capacity_ == 0) return;
  // Rounded half to even, as Python's round() in the paper's analysis scripts.
  const int pct = static_cast<int>(std::nearbyint(arrived_percent()));
  Acc& a = by_arrived_[pct];
  ++a.events;
  a.allocation += allocation_percent();
  a.unallocated += unallocated_gpus();
  a.fragmentation += fragmentation_percent();
}

GpuShareMetrics::AtArrived GpuShareMetrics::at_arrived(int percent) const {
  AtArrived out;
  out.arrived_percent = percent;
  auto it = by_arrived_.find(percent);
  if (it == by_arrived_.end() || it->second.events == 0) return out;
  const double n = static_cast<double>(it->second.events);
  out.events = it->second.events;
  out.allocation_percent = it->second.allocation / n;
  out.unallocated_gpus = it->second.unallocated / n;
  out.fragmentation_percent = it->second.fragmentation / n;
  return out;
}

}  // namespace kubesim::experiments
