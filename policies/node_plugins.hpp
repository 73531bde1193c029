// The node-level scheduling plugins of kube-scheduler v1.34 — each looks at one node and the
// incoming pod, never at other pods' placement — plus kubesim's GpuTopology and the no-op
// registrations of the default-profile plugins kubesim has nothing to simulate for.
//
//   Plugin                            points                        upstream (pkg/scheduler/
//                                                                   framework/plugins/...)
//   NodeResourcesFit                  PreFilter Filter PreScore     noderesources/fit.go,
//                                     Score                         least_allocated.go, ...
//   NodeResourcesBalancedAllocation   PreScore Score                noderesources/
//                                                                   balanced_allocation.go
//   TaintToleration                   Filter PreScore Score(+norm)  tainttoleration/
//   NodeAffinity                      PreFilter Filter PreScore     nodeaffinity/
//                                     Score(+norm)
//   NodeName                          Filter                        nodename/
//   NodeUnschedulable                 Filter                        nodeunschedulable/
//   NodePorts                         PreFilter Filter              nodeports/
//   ImageLocality                     Score                         imagelocality/
//   GpuTopology (kubesim)             Filter Score(+norm) Reserve   —
//   no-ops: PrioritySort, DefaultBinder, SchedulingGates, VolumeBinding, VolumeRestrictions,
//   VolumeZone, NodeVolumeLimits, EBSLimits, GCEPDLimits, AzureDiskLimits, DynamicResources
//
// The arithmetic is policies/score_math.hpp; the matching rules are models/selectors.hpp
// and models/taints.hpp. Plugins keep per-cycle data in their CycleState slot, or in
// member scratch buffers for data only Score reads (a Framework runs one cycle at a time).
// docs/policies.md describes every plugin, its parameters and its reasons.
//
// Not thread-safe: one plugin object per Framework.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "models/scheduler_framework.hpp"
#include "policies/registry.hpp"
#include "policies/scheduler_profile.hpp"
#include "policies/score_math.hpp"

namespace kubesim::policies {

namespace sched = models::sched;

// Upstream reason strings.
inline constexpr std::string_view kReasonTooManyPods = "Too many pods";
inline constexpr std::string_view kReasonNodeAffinity =
    "node(s) didn't match Pod's node affinity/selector";
inline constexpr std::string_view kReasonNodeAffinityConflict = "pod affinity terms conflict";
inline constexpr std::string_view kReasonNodeName = "node(s) didn't match the requested node name";
inline constexpr std::string_view kReasonUnschedulable = "node(s) were unschedulable";
inline constexpr std::string_view kReasonNodePorts =
    "node(s) didn't have free ports for the requested pod ports";
// kubesim's GpuTopology filter.
inline constexpr std::string_view kReasonGpuDevices = "node(s) didn't have enough free GPU devices";

// How a scoring strategy reads one configured resource from a node (upstream
// resource_allocation.go, calculateResourceAllocatableRequest).
struct ScoredResource {
  enum class Kind : std::uint8_t { kCpu, kMemory, kEphemeralStorage, kScalar, kNone };
  Kind kind = Kind::kNone;
  std::string name;
  std::int64_t weight = 1;
};
std::vector<ScoredResource> scored_resources(const std::vector<ResourceWeight>& resources);

// ---- NodeResourcesFit --------------------------------------------------------------------

class NodeResourcesFit : public sched::Plugin {
 public:
  explicit NodeResourcesFit(const NodeResourcesFitArgs& args);
  std::string_view name() const override { return "NodeResourcesFit"; }

  sched::PluginStatus pre_filter(sched::CycleState&, const sched::PodInfo&, const sched::Snapshot&,
                                 sched::PreFilterResult&) override;
  sched::PluginStatus filter(const sched::CycleState&, const sched::PodInfo& pod,
                             const sched::NodeInfo& node) override;
  bool has_quick_filter() const override { return true; }
  bool quick_filter_exact() const override { return true; }
  bool filter_passes(const sched::CycleState&, const sched::PodInfo& pod,
                     const sched::NodeInfo& node) override;
  sched::PluginStatus pre_score(sched::CycleState&, const sched::PodInfo& pod,
                                const sched::Snapshot&,
                                std::span<const sched::NodeInfo* const>) override;
  std::int64_t score(const sched::CycleState&, const sched::PodInfo& pod,
                     const sched::NodeInfo& node) override;
  void score_nodes(const sched::CycleState& state, const sched::PodInfo& pod,
                   std::span<const sched::NodeInfo* const> nodes,
                   std::span<std::int64_t> out) override;

 private:
  std::int64_t score_one(const sched::PodInfo& pod, const sched::NodeInfo& node);
  void compute_pod_requests(const sched::PodInfo& pod);
  ScoringStrategyType type_;
  bool cpu_memory_ = false;  // resources are exactly [cpu, memory] (the default)
  std::vector<ScoredResource> resources_;
  std::vector<std::int64_t> weights_;
  std::vector<ShapePoint> scaled_shape_;
  std::vector<std::string> ignored_resources_;
  std::vector<std::string> ignored_groups_;
  // Per cycle (PreScore): the pod's requests for each scored resource; and scratch arrays.
  const sched::PodInfo* scored_pod_ = nullptr;
  std::vector<std::int64_t> pod_requests_, requested_, allocatable_;
};

// ---- NodeResourcesBalancedAllocation ----------------------------------------------------

class NodeResourcesBalancedAllocation : public sched::Plugin {
 public:
  explicit NodeResourcesBalancedAllocation(const NodeResourcesBalancedAllocationArgs& args);
  std::string_view name() const override { return "NodeResourcesBalancedAllocation"; }
  sched::PluginStatus pre_score(sched::CycleState&, const sched::PodInfo& pod,
                                const sched::Snapshot&,
                                std::span<const sched::NodeInfo* const>) override;
  std::int64_t score(const sched::CycleState&, const sched::PodInfo& pod,
                     const sched::NodeInfo& node) override;
  void score_nodes(const sched::CycleState& state, const sched::PodInfo& pod,
                   std::span<const sched::NodeInfo* const> nodes,
                   std::span<std::int64_t> out) override;

 private:
  std::int64_t score_one(const sched::PodInfo& pod, const sched::NodeInfo& node);
  void compute_pod_requests(const sched::PodInfo& pod);
  std::vector<ScoredResource> resources_;
  bool cpu_memory_ = false;
  const sched::PodInfo* scored_pod_ = nullptr;
  std::vector<std::int64_t> pod_requests_, requested_, allocatable_;
};

// ---- TaintToleration, NodeAffinity, NodeName, NodeUnschedulable, NodePorts --------------

class TaintToleration : public sched::Plugin {
 public:
  std::string_view name() const override { return "TaintToleration"; }
  sched::PluginStatus filter(const sched::CycleState&, const sched::PodInfo& pod,
                             const sched::NodeInfo& node) override;
  bool has_quick_filter() const override { return true; }
  bool quick_filter_exact() const override { return true; }
  bool filter_passes(const sched::CycleState&, const sched::PodInfo& pod,
                     const sched::NodeInfo& node) override;
  // The cycle's answers per NodeInfo::hard_taint_set(): a cluster has few distinct taint
  // sets, so each is matched against the pod's tolerations once per cycle.
  void prepare_filter(sched::CycleState& state, const sched::PodInfo& pod) override;
  std::int64_t score(const sched::CycleState&, const sched::PodInfo& pod,
                     const sched::NodeInfo& node) override;
  void score_nodes(const sched::CycleState& state, const sched::PodInfo& pod,
                   std::span<const sched::NodeInfo* const> nodes,
                   std::span<std::int64_t> out) override;
  bool has_normalize() const override { return true; }
  void normalize_scores(const sched::CycleState&, const sched::PodInfo&,
                        std::span<std::int64_t> scores) override;
};

class NodeAffinity : public sched::Plugin {
 public:
  std::string_view name() const override { return "NodeAffinity"; }
  sched::PluginStatus pre_filter(sched::CycleState& state, const sched::PodInfo& pod,
                                 const sched::Snapshot&, sched::PreFilterResult& result) override;
  sched::PluginStatus filter(const sched::CycleState& state, const sched::PodInfo& pod,
                             const sched::NodeInfo& node) override;
  bool has_quick_filter() const override { return true; }
  bool filter_passes(const sched::CycleState& state, const sched::PodInfo& pod,
                     const sched::NodeInfo& node) override;
  sched::PluginStatus pre_score(sched::CycleState& state, const sched::PodInfo& pod,
                                const sched::Snapshot&,
                                std::span<const sched::NodeInfo* const> feasible) override;
  std::int64_t score(const sched::CycleState& state, const sched::PodInfo& pod,
                     const sched::NodeInfo& node) override;
  bool has_normalize() const override { return true; }
  void normalize_scores(const sched::CycleState&, const sched::PodInfo&,
                        std::span<std::int64_t> scores) override;
};

class NodeName : public sched::Plugin {
 public:
  std::string_view name() const override { return "NodeName"; }
  bool filter_passes_all(const sched::CycleState&, const sched::PodInfo& pod) override {
    return pod.pod->spec.node_name.empty();
  }
  sched::PluginStatus filter(const sched::CycleState&, const sched::PodInfo& pod,
                             const sched::NodeInfo& node) override;
  bool has_quick_filter() const override { return true; }
  bool filter_passes(const sched::CycleState&, const sched::PodInfo& pod,
                     const sched::NodeInfo& node) override;
};

class NodeUnschedulable : public sched::Plugin {
 public:
  std::string_view name() const override { return "NodeUnschedulable"; }
  sched::PluginStatus filter(const sched::CycleState&, const sched::PodInfo& pod,
                             const sched::NodeInfo& node) override;
  bool has_quick_filter() const override { return true; }
  bool filter_passes(const sched::CycleState&, const sched::PodInfo& pod,
                     const sched::NodeInfo& node) override;
};

class NodePorts : public sched::Plugin {
 public:
  std::string_view name() const override { return "NodePorts"; }
  sched::PluginStatus pre_filter(sched::CycleState&, const sched::PodInfo& pod,
                                 const sched::Snapshot&, sched::PreFilterResult&) override;
  sched::PluginStatus filter(const sched::CycleState&, const sched::PodInfo& pod,
                             const sched::NodeInfo& node) override;
};

// ---- ImageLocality -----------------------------------------------------------------------

class ImageLocality : public sched::Plugin {
 public:
  std::string_view name() const override { return "ImageLocality"; }
  void prepare_score(sched::CycleState&, const sched::PodInfo& pod,
                     const sched::Snapshot& snapshot) override;
  std::int64_t score(const sched::CycleState&, const sched::PodInfo& pod,
                     const sched::NodeInfo& node) override;
  void score_nodes(const sched::CycleState& state, const sched::PodInfo& pod,
                   std::span<const sched::NodeInfo* const> nodes,
                   std::span<std::int64_t> out) override;

 private:
  std::int64_t score_one(const sched::NodeInfo& node) const;
  struct Wanted {
    std::string image;  // normalized: ":latest" added when there is no tag
    std::int64_t nodes_with_image = 0;
    std::uint32_t id = 0;  // Snapshot::image_id, when nodes_with_image > 0
  };
  std::vector<Wanted> wanted_;  // per init and app container, this cycle
  std::int64_t total_nodes_ = 1;
  bool any_wanted_ = false;      // some container's image is on some node
  std::int64_t zero_score_ = 0;  // the score of a node with none of the images
  const sched::PodInfo* prepared_for_ = nullptr;
};

// upstream imagelocality normalizedImageName: "name" -> "name:latest" when the last ':' is
// not after the last '/'.
std::string normalized_image_name(std::string_view image);

// ---- GpuTopology (kubesim) ---------------------------------------------------------------

// For pods requesting more than one nvidia.com/gpu: Filter rejects nodes with fewer free
// devices than requested (device-level, NodeInfo::gpus_in_use); Score is the set score of
// the node's best free k-set (GpuTopology::best_set through PluginContext::gpu_topology;
// a node without a topology counts every pair as PCIe through a host bridge), normalized
// so the best node scores 100. Reserve (any GPU pod) records the chosen devices in
// CycleState::gpu_device_ids; Unreserve clears them. Pods with 0 or 1 GPU pass Filter and
// score 0.
class GpuTopologyPlugin : public sched::Plugin {
 public:
  explicit GpuTopologyPlugin(PluginContext context) : context_(std::move(context)) {}
  std::string_view name() const override { return "GpuTopology"; }
  sched::PluginStatus filter(const sched::CycleState&, const sched::PodInfo& pod,
                             const sched::NodeInfo& node) override;
  bool has_quick_filter() const override { return true; }
  bool filter_passes(const sched::CycleState&, const sched::PodInfo& pod,
                     const sched::NodeInfo& node) override;
  std::int64_t score(const sched::CycleState&, const sched::PodInfo& pod,
                     const sched::NodeInfo& node) override;
  bool has_normalize() const override { return true; }
  void normalize_scores(const sched::CycleState&, const sched::PodInfo&,
                        std::span<std::int64_t> scores) override;
  sched::PluginStatus reserve(sched::CycleState& state, const sched::PodInfo& pod,
                              const sched::NodeInfo& node) override;
  void unreserve(sched::CycleState& state, const sched::PodInfo&, const sched::NodeInfo&) override;

  // The best free set of `k` devices on the node and its set score; nullopt when fewer than
  // k are free.
  std::optional<std::pair<std::vector<int>, std::int64_t>> best_free_set(
      const sched::NodeInfo& node, int k) const;

 private:
  PluginContext context_;
};

// ---- No-ops ------------------------------------------------------------------------------

// A default-profile plugin kubesim has nothing to simulate for (kubesim models no volumes,
// no DRA, no scheduling gates; queue sort and binding are the runtime's). PreFilter and
// PreScore answer Skip — as upstream's volume and DRA plugins do for a pod without volumes
// or claims — so Filter and Score never run; every other point succeeds. PostFilter answers
// Unschedulable with `post_filter_reason` (DynamicResources: "no new claims to deallocate",
// upstream's answer for a pod without claims).
class NoOpPlugin : public sched::Plugin {
 public:
  NoOpPlugin(std::string name, std::string post_filter_reason = {})
      : name_(std::move(name)), post_filter_reason_(std::move(post_filter_reason)) {}
  std::string_view name() const override { return name_; }
  sched::PluginStatus pre_filter(sched::CycleState&, const sched::PodInfo&, const sched::Snapshot&,
                                 sched::PreFilterResult&) override {
    return sched::PluginStatus::skip();
  }
  sched::PluginStatus pre_score(sched::CycleState&, const sched::PodInfo&, const sched::Snapshot&,
                                std::span<const sched::NodeInfo* const>) override {
    return sched::PluginStatus::skip();
  }
  sched::PluginStatus post_filter(
      sched::CycleState&, const sched::PodInfo&, const sched::Snapshot&, sched::Framework&,
      const std::vector<std::pair<const sched::NodeInfo*, sched::PluginStatus>>&,
      PostFilterResult&) override {
    return sched::PluginStatus::unschedulable(post_filter_reason_);
  }

 private:
  std::string name_;
  std::string post_filter_reason_;
};

}  // namespace kubesim::policies
