#include "policies/gpu_share_plugins.hpp"

#include <algorithm>
#include <cassert>
#include <string>
#include <unordered_map>
#include <utility>

#include "policies/score_math.hpp"
#include "sim/random.hpp"

namespace kubesim::policies {

namespace sched = models::sched;
using sched::CycleState;
using sched::NodeInfo;
using sched::PluginStatus;
using sched::PodInfo;

namespace {

// The Open-Gpu-Share filter's answer when the devices do not fit.
constexpr const char* kReasonGpu = "Insufficient GPU devices";

int affinity_class(const PodInfo& pod) {
  if (pod.gpu.devices <= 0) return -1;
  return pod.gpu.shared() ? 0 : pod.gpu.devices;
}

std::uint64_t mask_of(const std::vector<std::int32_t>& ids) {
  std::uint64_t m = 0;
  for (const std::int32_t id : ids) {
    if (id >= 0 && id < gpu::kMaxGpusPerNode) m |= std::uint64_t{1} << id;
  }
  return m;
}

std::vector<std::int32_t> ids_of(std::uint64_t mask) {
  std::vector<std::int32_t> ids;
  for (std::uint64_t rest = mask; rest != 0; rest &= rest - 1) {
    ids.push_back(__builtin_ctzll(rest));
  }
  return ids;
}

// Per-node GpuNodeState (and FGD's F_n) kept until the node changes.
class NodeStateCache {
 public:
  explicit NodeStateCache(const GpuWorkload* workload) : workload_(workload) {}
  struct Entry {
    const models::Node* node = nullptr;
    std::uint64_t generation = 0;
    bool frag_valid = false;
    double frag = 0;
    gpu::GpuNodeState state;
  };
  Entry& get(const NodeInfo& node) {
    Entry& e = entries_[&node];
    if (e.node != &node.node() || e.generation != node.generation() || e.generation == 0) {
      e.node = &node.node();
      e.generation = node.generation();
      e.state = gpu_node_state(node, workload_ ? &workload_->models : nullptr);
      e.frag_valid = false;
    }
    return e;
  }
  double fragmentation(Entry& e) {
    if (!e.frag_valid) {
      e.frag = workload_ ? gpu::node_fragmentation(workload_->typical, e.state) : 0.0;
      e.frag_valid = true;
    }
    return e.frag;
  }

 private:
  const GpuWorkload* workload_;
  std::unordered_map<const NodeInfo*, Entry> entries_;
};

// GpuShare and every policy: the GPU part of the paper's filter.
class GpuFilterBase : public sched::Plugin {
 public:
  explicit GpuFilterBase(const PluginContext& context)
      : workload_(context.gpu_workload), cache_(context.gpu_workload.get()) {}

  PluginStatus filter(const CycleState& state, const PodInfo& pod, const NodeInfo& node) override {
    if (filter_passes(state, pod, node)) return PluginStatus::success();
    return PluginStatus::unschedulable(kReasonGpu);
  }
  bool has_quick_filter() const override { return true; }
  bool quick_filter_exact() const override { return true; }  // filter() is built on it
  bool filter_passes_all(const CycleState&, const PodInfo& pod) override {
    return pod.gpu.devices <= 0;
  }
  bool filter_passes(const CycleState&, const PodInfo& pod, const NodeInfo& node) override {
    if (pod.gpu.devices <= 0) return true;
    if (pod.gpu.shared()) {
      for (std::int32_t i = 0; i < node.gpu_devices(); ++i) {
        if (node.gpu_free_milli(i) >= pod.gpu.milli) return true;
      }
      return false;
    }
    return node.gpu_free_devices() >= pod.gpu.devices;
  }

 protected:
  std::shared_ptr<const GpuWorkload> workload_;
  NodeStateCache cache_;
};

class GpuSharePlugin final : public GpuFilterBase {
 public:
  using GpuFilterBase::GpuFilterBase;
  std::string_view name() const override { return "GpuShare"; }
  PluginStatus reserve(CycleState& state, const PodInfo& pod, const NodeInfo& node) override {
    state.gpu_device_ids.clear();
    if (pod.gpu.devices <= 0) return PluginStatus::success();
    state.gpu_device_ids = node.default_gpu_devices(pod.gpu);
    if (state.gpu_device_ids.empty()) return PluginStatus::unschedulable(kReasonGpu);
    return PluginStatus::success();
  }
  void unreserve(CycleState& state, const PodInfo&, const NodeInfo&) override {
    state.gpu_device_ids.clear();
  }
};

const gpu::TypicalPods kNoTypical;

class GpuPolicyPlugin final : public GpuFilterBase {
 public:
  GpuPolicyPlugin(gpu::GpuPolicy policy, const PluginContext& context)
      : GpuFilterBase(context),
        policy_(policy),
        name_(gpu::to_string(policy)),
        rng_(context.seed, context.replication, "scheduler/plugins/" + name_) {}

  std::string_view name() const override { return name_; }

  std::int64_t score(const CycleState&, const PodInfo& pod, const NodeInfo& node) override {
    if (policy_ == gpu::GpuPolicy::kRandom || (policy_ == gpu::GpuPolicy::kFgd && !workload_)) {
      return 0;
    }
    auto& e = cache_.get(node);
    const double frag = policy_ == gpu::GpuPolicy::kFgd ? cache_.fragmentation(e) : 0.0;
    const gpu::TypicalPods& typical = workload_ ? workload_->typical : kNoTypical;
    return gpu::policy_score(policy_, e.state, gpu_demand(pod), typical, frag).score;
  }

  void score_nodes(const CycleState& state, const PodInfo& pod,
                   std::span<const NodeInfo* const> nodes, std::span<std::int64_t> out) override {
    if (policy_ == gpu::GpuPolicy::kRandom) {
      // random_score.go: one feasible node uniformly at random.
      std::fill(out.begin(), out.end(), 0);
      if (!out.empty()) out[static_cast<std::size_t>(rng_.below(out.size()))] = kMaxNodeScore;
      return;
    }
    // A node's score for a pod depends only on the node's state and the pod's shape (CPU,
    // GPU count and share): cache it per (shape, node) until the node changes — between
    // two pods only the node that took the first one changes.
    const std::int32_t shape = shape_id(pod);
    if (shape < 0) {
      for (std::size_t i = 0; i < nodes.size(); ++i) out[i] = score(state, pod, *nodes[i]);
      return;
    }
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const NodeInfo& node = *nodes[i];
      const auto slot = static_cast<std::size_t>(node.index());
      auto& row = cached_[static_cast<std::size_t>(shape)];
      if (row.size() <= slot) row.resize(slot + 1);
      CachedScore& c = row[slot];
      if (c.node != &node || c.generation != node.generation() || c.node_object != &node.node()) {
        c.node = &node;
        c.node_object = &node.node();
        c.generation = node.generation();
        c.score = score(state, pod, node);
      }
      out[i] = c.score;
    }
  }

  bool has_normalize() const override { return gpu::normalizes(policy_); }
  void normalize_scores(const CycleState&, const PodInfo&, std::span<std::int64_t> scores) override {
    gpu::normalize_min_max(scores);
  }

  PluginStatus reserve(CycleState& state, const PodInfo& pod, const NodeInfo& node) override {
    state.gpu_device_ids.clear();
    if (pod.gpu.devices <= 0) return PluginStatus::success();
    auto& e = cache_.get(node);
    const gpu::TypicalPods& typical = workload_ ? workload_->typical : kNoTypical;
    const std::uint64_t devices =
        gpu::choose_devices(policy_, e.state, gpu_demand(pod), typical, rng_);
    if (devices == 0) return PluginStatus::unschedulable(kReasonGpu);
    state.gpu_device_ids = ids_of(devices);
    return PluginStatus::success();
  }
  void unreserve(CycleState& state, const PodInfo&, const NodeInfo&) override {
    state.gpu_device_ids.clear();
  }

 private:
  // The pod's shape id for the score cache; -1 when the cache is full.
  std::int32_t shape_id(const PodInfo& pod) {
    const ShapeKey key{pod.requests.cpu_milli, pod.gpu.devices, pod.gpu.milli};
    auto it = shapes_.find(key);
    if (it != shapes_.end()) return it->second;
    if (shapes_.size() >= kMaxShapes) return -1;
    const auto id = static_cast<std::int32_t>(shapes_.size());
    shapes_.emplace(key, id);
    cached_.emplace_back();
    return id;
  }

  static constexpr std::int64_t kMaxNodeScore = 100;
  static constexpr std::size_t kMaxShapes = 4096;
  struct ShapeKey {
    std::int64_t cpu_milli;
    std::int32_t devices;
    std::int32_t milli;
    friend bool operator==(const ShapeKey&, const ShapeKey&) = default;
  };
  struct ShapeHash {
    std::size_t operator()(const ShapeKey& k) const {
      std::uint64_t h = static_cast<std::uint64_t>(k.cpu_milli) * 0x9E3779B97F4A7C15ULL;
      h ^= (static_cast<std::uint64_t>(k.devices) << 32 | static_cast<std::uint32_t>(k.milli)) +
           0x7F4A7C159E3779B9ULL + (h << 6) + (h >> 2);
      return static_cast<std::size_t>(h);
    }
  };
  struct CachedScore {
    const NodeInfo* node = nullptr;
    const models::Node* node_object = nullptr;
    std::uint64_t generation = 0;
    std::int64_t score = 0;
  };
  std::unordered_map<ShapeKey, std::int32_t, ShapeHash> shapes_;
  std::vector<std::vector<CachedScore>> cached_;  // [shape][node index]
  gpu::GpuPolicy policy_;
  std::string name_;
  sim::Rng rng_;
};

}  // namespace

gpu::GpuNodeState gpu_node_state(const NodeInfo& node, const gpu::ModelTable* models) {
  gpu::ModelId model = gpu::kNoModel;
  if (models != nullptr) {
    if (const std::string* m = node.node().metadata.labels.find(models::kLabelGpuProduct)) {
      model = models->find(*m);
    }
  }
  const auto& alloc = node.allocatable();
  gpu::GpuNodeState st = gpu::GpuNodeState::make(alloc.cpu_milli, alloc.memory / kMiB,
                                                 node.gpu_devices(), model);
  st.cpu_free = alloc.cpu_milli - node.requested().cpu_milli;
  st.memory_free_mib = (alloc.memory - node.requested().memory) / kMiB;
  st.gpu_free_total = 0;
  for (std::int32_t i = 0; i < node.gpu_devices(); ++i) {
    st.free_milli[static_cast<std::size_t>(i)] = static_cast<std::int16_t>(node.gpu_free_milli(i));
    st.gpu_free_total += node.gpu_free_milli(i);
  }
  for (const auto& pod : node.pods()) {
    const int cls = affinity_class(*pod);
    if (cls < 0 || cls > gpu::kMaxGpusPerNode) continue;
    auto& count = st.class_pods[static_cast<std::size_t>(cls)];
    if (count++ == 0) ++st.distinct_classes;
  }
  return st;
}

gpu::GpuDemand gpu_demand(const PodInfo& pod) {
  gpu::GpuDemand d;
  d.cpu_milli = pod.requests.cpu_milli;
  d.memory_mib = pod.requests.memory / kMiB;
  d.num_gpu = pod.gpu.devices;
  d.gpu_milli = pod.gpu.milli;
  return d;
}

void register_gpu_share_plugins(Registry& registry) {
  auto add = [&registry](std::string name, PluginFactory factory) {
    const sim::Status s = registry.add(std::move(name), std::move(factory));
    assert(s.ok());
    (void)s;
  };
  add("GpuShare", [](const SchedulerProfile&, const PluginContext& context) {
    return sim::Result<std::unique_ptr<sched::Plugin>>(
        std::unique_ptr<sched::Plugin>(new GpuSharePlugin(context)));
  });
  for (const gpu::GpuPolicy policy : gpu::kAllGpuPolicies) {
    add(std::string(gpu::to_string(policy)),
        [policy](const SchedulerProfile&, const PluginContext& context) {
          return sim::Result<std::unique_ptr<sched::Plugin>>(
              std::unique_ptr<sched::Plugin>(new GpuPolicyPlugin(policy, context)));
        });
  }
  (void)mask_of;
}

}  // namespace kubesim::policies
