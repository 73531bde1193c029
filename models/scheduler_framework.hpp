// The kube-scheduler v1.34 scheduling framework: the per-cycle view of the cluster
// (Snapshot of NodeInfos), the plugin interface, and the Framework that runs one profile's
// plugins through a scheduling cycle
//   PreFilter → Filter → PostFilter → PreScore → Score → NormalizeScore → (select host)
//   → Reserve → Permit
// Binding and the queue are the scheduler runtime's business (models/scheduler.hpp).
//
// Layering: the interface lives here in models/ so that the runtime does not depend on
// policies/; the plugins themselves live in policies/ and are built by name through the
// registry (policies/registry.hpp) from a SchedulerProfile (policies/scheduler_profile.hpp).
//
// Upstream names (k8s.io/kube-scheduler/framework, pkg/scheduler/framework/):
//   Status codes          framework.Code (Success, Error, Unschedulable,
//                         UnschedulableAndUnresolvable, Wait, Skip, Pending)
//   NodeInfo              framework.NodeInfo (Requested, NonZeroRequested, UsedPorts,
//                         ImageStates, PodsWithAffinity, PodsWithRequiredAntiAffinity)
//   Snapshot              internal/cache.Snapshot (node order: the nodeTree's zone
//                         round-robin, see Snapshot::rebuild_order)
//   CycleState            framework.CycleState (per-plugin data, cloned for preemption)
//   Framework             runtime.frameworkImpl + schedule_one.go's schedulePod
//
// Determinism: plugins run sequentially (upstream runs Filter and Score on 16 goroutines;
// the result is the same set of feasible nodes because we examine nodes in the same order
// and stop at the same count). Ties are broken by policies::select_host with the
// scheduler's own random stream.
//
// Failure text: ScheduleResult::fit_error is upstream's FitError.Error() ("0/N nodes are
// available: <count reason, ...>. <PostFilter message>."); docs/policies.md has the rules.
//
// Hot path: besides the upstream extension points, Plugin has three kubesim hooks that only
// make the per-node loops cheaper and must agree with filter()/score(): filter_passes()
// (answer Filter without building a status), filter_passes_all() (drop a plugin from this
// cycle's node loop) and score_nodes() (score every feasible node in one call). Nodes are
// visited in the Snapshot's order from a rotating start index, so each NodeInfo is cold;
// its hot fields come first and the Filter loop prefetches ahead.
//
// Not thread-safe; one Framework per profile, used by one scheduler.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "models/objects.hpp"
#include "models/resources.hpp"
#include "sim/random.hpp"
#include "sim/time.hpp"

namespace kubesim::models::sched {

// ---- Status ------------------------------------------------------------------------------

enum class Code : std::uint8_t {
  kSuccess,
  kError,
  kUnschedulable,
  kUnschedulableAndUnresolvable,  // preemption cannot help on this node
  kWait,                          // Permit: hold the pod
  kSkip,                          // PreFilter / PreScore: this plugin does nothing this cycle
  kPending,
};
std::string_view to_string(Code code);

// A plugin's answer. Reasons are upstream's messages ("Insufficient cpu",
// "node(s) didn't match Pod's node affinity/selector", ...). Success carries no allocation.
struct PluginStatus {
  Code code = Code::kSuccess;
  std::string plugin;  // who said it (filled by the framework when empty)
  std::string reason;
  // Further reasons of the same answer (NodeResourcesFit: "Insufficient cpu" and
  // "Insufficient memory"); FitError counts each reason separately. Usually empty.
  std::vector<std::string> more_reasons;

  // upstream Status.Message(): the reasons joined by ", ".
  std::string message() const;

  static PluginStatus success() { return {}; }
  static PluginStatus skip() { return {Code::kSkip, {}, {}, {}}; }
  static PluginStatus unschedulable(std::string reason, bool unresolvable = false) {
    return {unresolvable ? Code::kUnschedulableAndUnresolvable : Code::kUnschedulable,
            {},
            std::move(reason),
            {}};
  }
  static PluginStatus error(std::string reason) {
    return {Code::kError, {}, std::move(reason), {}};
  }
  static PluginStatus wait() { return {Code::kWait, {}, {}, {}}; }
  bool ok() const { return code == Code::kSuccess; }
  bool is_skip() const { return code == Code::kSkip; }
  bool is_rejected() const {
    return code == Code::kUnschedulable || code == Code::kUnschedulableAndUnresolvable;
  }
};

// ---- Pods and nodes as the scheduler sees them -------------------------------------------

// One host port a pod asks for (upstream framework.HostPortInfo entry).
struct HostPortInfo {
  std::string ip;  // "0.0.0.0" when unset
  std::string protocol;
  std::int32_t port = 0;
  // upstream HostPortInfo.CheckConflict: same protocol and port, and the same IP or either
  // one "0.0.0.0".
  bool conflicts_with(const HostPortInfo& other) const;
  friend bool operator==(const HostPortInfo&, const HostPortInfo&) = default;
};

// A pod with what every cycle needs precomputed once (upstream framework.PodInfo).
struct PodInfo {
  std::shared_ptr<const Pod> pod;
  ResourceList requests;  // pod->requests(): real requests (Fit filter, Balanced)
  // Non-zero requests (upstream NonMissingContainerRequests: a container without a cpu or
  // memory request counts 100m / 200 MiB), as the Fit scoring strategies and
  // NodeInfo.NonZeroRequested count them.
  std::int64_t non_zero_milli_cpu = 0;
  std::int64_t non_zero_memory = 0;
  bool has_affinity = false;  // pod (anti-)affinity of any kind
  bool has_required_anti_affinity = false;
  // Host ports of the containers and init containers with hostPort > 0 (upstream
  // schedutil.GetHostPorts / NodePorts getContainerPorts); "" host IP becomes "0.0.0.0".
  std::vector<HostPortInfo> host_ports;
  // The GPU devices the pod uses and the milli-GPU on each (Pod::gpu_demand).
  GpuDemandOfPod gpu;

  static PodInfo from(std::shared_ptr<const Pod> pod);
  static std::shared_ptr<const PodInfo> make(std::shared_ptr<const Pod> pod) {
    return std::make_shared<const PodInfo>(from(std::move(pod)));
  }
  const std::string& key() const { return key_; }  // namespace/name, computed once
  std::string key_;
};

// The scheduler cache's aggregate of one node: the Node object plus the pods assigned or
// assumed on it.
class alignas(64) NodeInfo {
 public:
  const Node& node() const { return *node_; }
  const std::shared_ptr<const Node>& node_ptr() const { return node_; }
  const std::string& name() const { return node_->metadata.name; }
  inline std::int32_t index() const;  // position in Snapshot::nodes(); -1 outside a Snapshot

  // A copy of node().status.allocatable kept beside the requests, so the Fit filter and the
  // scoring strategies read one object per node (the hot path touches the Node only for
  // taints and labels).
  const ResourceList& allocatable() const { return allocatable_; }
  bool unschedulable() const { return unschedulable_; }  // node().spec.unschedulable
  bool has_taints() const { return has_taints_; }        // !node().spec.taints.empty()
  // Some taint with effect NoSchedule or NoExecute / PreferNoSchedule.
  bool has_hard_taints() const { return has_hard_taints_; }
  bool has_prefer_no_schedule_taints() const { return has_prefer_taints_; }
  // The node's NoSchedule/NoExecute taints (key, value, effect, in order) as a number its
  // Snapshot interns: nodes with equal numbers tolerate the same pods. 0 when there are no
  // such taints or the NodeInfo belongs to no Snapshot (then read the taints).
  std::uint32_t hard_taint_set() const { return hard_taint_set_; }
  const ResourceList& requested() const { return requested_; }  // Σ real requests
  std::int64_t non_zero_milli_cpu() const { return non_zero_milli_cpu_; }
  std::int64_t non_zero_memory() const { return non_zero_memory_; }
  const std::vector<std::shared_ptr<const PodInfo>>& pods() const { return pods_; }
  std::int32_t pods_with_affinity() const { return pods_with_affinity_; }
  std::int32_t pods_with_required_anti_affinity() const {
    return pods_with_required_anti_affinity_;
  }
  const std::vector<HostPortInfo>& used_ports() const { return used_ports_; }
  // GPU devices (indexes 0..allocatable.gpu-1) in use on the node, wholly or in part;
  // bit i = device i. Nodes with more than 64 GPUs are not modelled (the loader rejects
  // them).
  std::uint64_t gpus_in_use() const { return gpus_in_use_; }
  // Per-device accounting in milli-GPU (GPU sharing, Pod::gpu_demand): the node's devices
  // (allocatable nvidia.com/gpu, at most 64) and the milli allocated on each (0..1000).
  std::int32_t gpu_devices() const { return static_cast<std::int32_t>(gpu_used_milli_.size()); }
  std::span<const std::int16_t> gpu_used_milli() const { return gpu_used_milli_; }
  std::int32_t gpu_free_milli(std::int32_t device) const {
    return 1000 - gpu_used_milli_[static_cast<std::size_t>(device)];
  }
  // Σ free milli over the devices (the FGD paper's idle GPU G_n).
  std::int64_t gpu_free_milli_total() const {
    return std::int64_t{1000} * gpu_devices() - gpu_used_milli_total_;
  }
  // Devices with nothing allocated.
  std::int32_t gpu_free_devices() const;
  // Where a pod of that demand would go when it names no devices: whole-device pods the
  // lowest free devices, a share pod the device with the least free milli that fits
  // (lowest index on ties) — the FGD simulator's "best" rule. Empty when it does not fit.
  std::vector<std::int32_t> default_gpu_devices(const GpuDemandOfPod& demand) const;
  // Bumped on every change, so plugins may cache per-node derived data.
  std::uint64_t generation() const { return generation_; }
  // Size of the image with that name on the node (names as the node reports them in
  // status.images), nullopt when the node does not have it.
  std::optional<std::int64_t> image_size(std::string_view name) const;
  // The same by the Snapshot's image id (Snapshot::image_id); only for nodes in a Snapshot.
  std::optional<std::int64_t> image_size(std::uint32_t image_id) const;
  bool has_images() const { return has_images_; }
  // 1.0 / allocatable cpu (milli) and memory, 0 when that is 0: lets the scoring
  // strategies replace a division by a multiplication (they correct the quotient exactly).
  double inverse_allocatable_cpu() const { return inv_alloc_cpu_; }
  double inverse_allocatable_memory() const { return inv_alloc_mem_; }
  // The node's nodeTree zone (upstream utilnode.GetZoneKey from the region and zone labels;
  // "" without either).
  const std::string& zone_key() const { return zone_key_; }
  // Rank for a rank-based tie-break (Framework::Options::tie_break_by_node_rank; lower
  // wins), from Snapshot::set_tie_break_ranks; kNoRank for nodes without one.
  static constexpr std::int64_t kNoRank = INT64_MAX;
  std::int64_t tie_break_rank() const { return rank_; }

  // REQUIRES: node non-null. Keeps the pods.
  void set_node(std::shared_ptr<const Node> node);
  // Adds a pod (assigned or assumed). GPU devices: the pod's spec.gpu_device_ids are marked
  // in use; a pod that requests nvidia.com/gpu but names no devices (bound without the
  // GpuTopology plugin) is given the lowest free devices, as the kubelet's device manager
  // would, so that the devices in use always add up to the GPUs requested.
  void add_pod(std::shared_ptr<const PodInfo> pod);
  // Removes the pod with that key; false when it is not on the node.
  bool remove_pod(std::string_view key);

 private:
  friend class Snapshot;
  void affinity_changed();
  // Hot fields first, in the first four cache lines (the class is 64-byte aligned): what
  // Filter and Score read for every node.
  bool unschedulable_ = false;
  bool has_taints_ = false;
  bool has_hard_taints_ = false;
  bool has_prefer_taints_ = false;
  bool has_images_ = false;
  std::uint8_t num_inline_images_ = 0;
  std::int32_t index_ = -1;
  std::uint32_t hard_taint_set_ = 0;
  ResourceList allocatable_;
  ResourceList requested_;
  double inv_alloc_cpu_ = 0;
  double inv_alloc_mem_ = 0;
  std::int64_t non_zero_milli_cpu_ = 0;
  std::int64_t non_zero_memory_ = 0;
  std::vector<std::shared_ptr<const PodInfo>> pods_;
  // The node's images by Snapshot id: the first few inline (no pointer to chase), the
  // rest in image_ids_.
  static constexpr std::size_t kInlineImages = 4;
  std::uint32_t inline_image_ids_[kInlineImages] = {};
  std::int64_t inline_image_sizes_[kInlineImages] = {};
  std::shared_ptr<const Node> node_;
  class Snapshot* owner_ = nullptr;
  std::int32_t pods_with_affinity_ = 0;
  std::int32_t pods_with_required_anti_affinity_ = 0;
  std::vector<HostPortInfo> used_ports_;
  std::uint64_t gpus_in_use_ = 0;
  std::vector<std::uint64_t> pod_gpu_masks_;  // parallel to pods_
  std::vector<std::int16_t> gpu_used_milli_;  // per device
  std::int64_t gpu_used_milli_total_ = 0;
  std::uint64_t generation_ = 0;
  std::vector<std::pair<std::string, std::int64_t>> images_;  // sorted by name
  std::vector<std::pair<std::uint32_t, std::int64_t>> image_ids_;
  std::string zone_key_;
  std::int64_t rank_ = kNoRank;
};

// One change to a Snapshot's NodeInfos, as its journal records it (Snapshot::changed_since).
struct JournalRecord {
  const NodeInfo* node = nullptr;       // nullptr: the set or the order of the nodes changed
  std::shared_ptr<const PodInfo> pod;   // the pod added (delta +1) or removed (-1)
  std::int32_t delta = 0;               // 0: the Node object was replaced (pod is null)
  std::uint64_t generation = 0;         // node->generation() right after the change
  // The pod's (namespace, labels) as a small integer, equal for equal sets within one
  // Snapshot and label epoch (Snapshot::label_epoch), and whether it is terminating: what a
  // selector count needs, without reading the pod.
  std::uint32_t label_set = 0;
  bool terminating = false;
};

// The cluster as one scheduling cycle sees it. The scheduler runtime keeps one Snapshot
// up to date incrementally (upstream keeps a cache and copies changed NodeInfos into the
// snapshot each cycle; with one thread there is nothing to copy).
class Snapshot {
 public:
  Snapshot();
  ~Snapshot() = default;
  // Moves keep the NodeInfos pointing at their (new) owner; the moved-to Snapshot gets a
  // new id(), so journal readers start over.
  Snapshot(Snapshot&& other) noexcept;
  Snapshot& operator=(Snapshot&& other) noexcept;
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  // Adds or replaces a node (keeps its pods on replace).
  NodeInfo& upsert_node(std::shared_ptr<const Node> node);
  bool remove_node(std::string_view name);  // its pods go with it
  NodeInfo* find(std::string_view name);
  const NodeInfo* find(std::string_view name) const;

  // Nodes in the order Filter visits them: upstream's nodeTree order — zones (the
  // topology.kubernetes.io/zone label, with region) in first-seen order, and nodes taken
  // round-robin one per zone. Recomputed after nodes are added or removed.
  std::span<NodeInfo* const> nodes() const {
    if (order_dirty_) rebuild_order();
    return order_;
  }
  std::size_t size() const { return storage_.size(); }

  // Nodes that have at least one pod with (required anti-)affinity (for InterPodAffinity),
  // in nodes() order. Cached; recomputed only after some node's count changed from or to 0.
  const std::vector<const NodeInfo*>& nodes_with_affinity_pods() const;
  const std::vector<const NodeInfo*>& nodes_with_required_anti_affinity_pods() const;

  // How many nodes report an image of that name (upstream ImageStateSummary.NumNodes).
  std::int64_t nodes_with_image(std::string_view image) const;
  // A small integer naming an image name any node has reported (for
  // NodeInfo::image_size(id)); nullopt when no node ever reported it.
  std::optional<std::uint32_t> image_id(std::string_view image) const;

  // Ranks for a rank-based tie-break by node name (the FGD paper's simulator gives every
  // node a seeded random rank and lets the lowest win ties). Applies to the nodes present
  // and to nodes added later.
  void set_tie_break_ranks(std::map<std::string, std::int64_t, std::less<>> ranks);

  // Change journal (kubesim, for plugins that cache per-node data across cycles): every
  // change to one of the NodeInfos (pod added or removed, Node object replaced) appends a
  // record of it — the NodeInfo, the pod and the generation it left the node at — so a
  // reader can apply pod deltas instead of re-reading the node; positions only grow. A reader remembers id() and journal_end() after
  // bringing its cache up to date and, next cycle, asks for the nodes changed since.
  // Distinct for every Snapshot object (and after a move-assignment).
  std::uint64_t id() const { return id_; }
  std::uint64_t journal_end() const { return journal_base_ + journal_.size(); }
  // The changes at positions [pos, journal_end()) in order (a node may appear several
  // times), into `out`. False when that is not known — the set or the order of the nodes
  // changed since pos, or pos is older than the journal kept — and every node must be
  // re-examined.
  bool changed_since(std::uint64_t pos, std::span<const JournalRecord>& out) const;
  // JournalRecord::label_set numbers are valid while this is unchanged (the table is
  // cleared, and the epoch bumped, when it grows past kMaxLabelSets distinct sets).
  std::uint64_t label_epoch() const { return label_epoch_; }
  static constexpr std::size_t kMaxLabelSets = std::size_t{1} << 20;

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <typename V>
  using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

  friend class NodeInfo;
  void rebuild_order() const;
  void count_images(NodeInfo& node, std::int64_t delta);
  std::vector<std::unique_ptr<NodeInfo>> storage_;
  mutable std::vector<NodeInfo*> order_;
  mutable bool order_dirty_ = false;
  mutable bool affinity_dirty_ = true;
  mutable std::vector<const NodeInfo*> with_affinity_;
  mutable std::vector<const NodeInfo*> with_required_anti_affinity_;
  StringMap<std::uint32_t> image_ids_;
  // The nodeTree: zone keys in first-seen order, each with its nodes in insertion order.
  std::vector<std::pair<std::string, std::vector<NodeInfo*>>> zones_;
  StringMap<NodeInfo*> by_name_;
  StringMap<std::int64_t> image_counts_;
  std::map<std::string, std::int64_t, std::less<>> ranks_;
  // The journal: journal_[i] is position journal_base_ + i; nullptr marks a change of the
  // set or order of nodes, the last one at structure_end_ - 1.
  void journal(const NodeInfo* node, std::shared_ptr<const PodInfo> pod = nullptr,
               std::int32_t delta = 0);
  void journal_structure();
  std::uint32_t label_set_of(const Pod& pod);
  std::uint32_t intern_hard_taints(const Node& node);
  StringMap<std::uint32_t> hard_taint_sets_;  // "k\0v\0e\0..." -> id ≥ 1; never iterated
  std::uint64_t id_ = 0;
  std::vector<JournalRecord> journal_;
  StringMap<std::uint32_t> label_sets_;  // "ns\0k\0v\0..." -> id; never iterated
  std::string label_key_;                // scratch for label_set_of
  std::uint64_t label_epoch_ = 0;
  std::uint64_t journal_base_ = 0;
  std::uint64_t structure_end_ = 0;
};

inline std::int32_t NodeInfo::index() const {
  if (owner_ != nullptr && owner_->order_dirty_) owner_->rebuild_order();
  return index_;
}

// ---- Cycle state --------------------------------------------------------------------------

// Data a plugin computes in PreFilter/PreScore and reads later in the cycle. Cloned when
// preemption evaluates "what if these victims were gone" on a copy of the state.
class StateData {
 public:
  virtual ~StateData() = default;
  virtual std::unique_ptr<StateData> clone() const = 0;
};

class CycleState {
 public:
  explicit CycleState(std::size_t plugins = 0) : slots_(plugins) {}
  CycleState clone() const;
  StateData* get(std::size_t plugin_slot) const { return slots_[plugin_slot].get(); }
  void set(std::size_t plugin_slot, std::unique_ptr<StateData> data) {
    slots_[plugin_slot] = std::move(data);
  }
  // Plugins that returned Skip at PreFilter (their Filter is not run) / PreScore, by slot.
  std::vector<bool> skip_filter;
  std::vector<bool> skip_score;
  // The nvidia.com/gpu devices chosen for the pod, set by the GpuTopology plugin at Reserve
  // (cleared at Unreserve). The runtime copies them into pod.spec.gpu_device_ids when it
  // binds; empty when the plugin is not enabled or the pod requests no GPU.
  std::vector<std::int32_t> gpu_device_ids;

 private:
  std::vector<std::unique_ptr<StateData>> slots_;
};

// ---- Plugins ------------------------------------------------------------------------------

class Framework;

// What PreFilter may return besides a status: a restriction to some nodes (NodeAffinity
// with metadata.name, NodeName...). nullopt: all nodes.
struct PreFilterResult {
  std::optional<std::vector<std::string>> node_names;
};

// A scheduling plugin. Each extension point has a default that does nothing; the framework
// only calls the points the profile enables the plugin at. Plugins never mutate cluster
// state: they read the Snapshot and their CycleState slot.
class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual std::string_view name() const = 0;

  // Called by the Framework once, with this plugin's CycleState slot.
  void set_slot(std::size_t slot) { slot_ = slot; }
  std::size_t slot() const { return slot_; }

  virtual PluginStatus pre_filter(CycleState&, const PodInfo&, const Snapshot&, PreFilterResult&) {
    return PluginStatus::success();
  }
  // PreFilterExtensions: keep the PreFilter state right when preemption hypothetically
  // adds or removes a pod on a node.
  virtual PluginStatus add_pod(CycleState&, const PodInfo& /*to_schedule*/,
                               const PodInfo& /*to_add*/, const NodeInfo&) {
    return PluginStatus::success();
  }
  virtual PluginStatus remove_pod(CycleState&, const PodInfo& /*to_schedule*/,
                                  const PodInfo& /*to_remove*/, const NodeInfo&) {
    return PluginStatus::success();
  }
  virtual PluginStatus filter(const CycleState&, const PodInfo&, const NodeInfo&) {
    return PluginStatus::success();
  }
  // kubesim, for the hot path: a plugin that overrides has_quick_filter() to return true
  // answers filter_passes() without building a PluginStatus. true: filter() would succeed
  // on this node; false: the framework calls filter() for the full answer. Must agree with
  // filter().
  virtual bool has_quick_filter() const { return false; }
  // kubesim: true when filter_passes() == false always means filter() rejects (not merely
  // "ask filter()"), so the framework may put off building the rejection's status until
  // someone reads it.
  virtual bool quick_filter_exact() const { return false; }
  // kubesim: true when Filter passes every node for this pod (NodeName for a pod without
  // spec.nodeName), so the framework leaves the plugin out of this cycle's node loop.
  virtual bool filter_passes_all(const CycleState&, const PodInfo&) { return false; }
  virtual bool filter_passes(const CycleState&, const PodInfo&, const NodeInfo&) { return false; }
  // kubesim, not an upstream extension point: called once per scheduling cycle before the
  // Filter node loop (after PreFilter), so a plugin can keep per-pod answers that many
  // nodes share in its CycleState slot. filter()/filter_passes() must also work without it
  // (preemption and explain call them on their own).
  virtual void prepare_filter(CycleState&, const PodInfo&) {}
  // PostFilter (DefaultPreemption): runs when no node passed Filter. On success
  // `nominated_node` names the node the pod should wait for and `victims` the pods to evict.
  struct PostFilterResult {
    std::string nominated_node;
    std::vector<std::shared_ptr<const PodInfo>> victims;
  };
  virtual PluginStatus post_filter(CycleState&, const PodInfo&, const Snapshot&, Framework&,
                                   const std::vector<std::pair<const NodeInfo*, PluginStatus>>&
                                   /*filter_failures*/,
                                   PostFilterResult&) {
    return PluginStatus::unschedulable("no PostFilter");
  }
  virtual PluginStatus pre_score(CycleState&, const PodInfo&, const Snapshot&,
                                 std::span<const NodeInfo* const> /*feasible*/) {
    return PluginStatus::success();
  }
  // kubesim, not an upstream extension point: called once per cycle before score() for
  // every Score plugin that is not skipped, so a plugin without PreScore (ImageLocality)
  // can precompute per-pod data instead of redoing it for each node.
  virtual void prepare_score(CycleState&, const PodInfo&, const Snapshot&) {}
  // Raw score of one feasible node.
  virtual std::int64_t score(const CycleState&, const PodInfo&, const NodeInfo&) { return 0; }
  // kubesim, for the hot path: the raw scores of all feasible nodes at once (out[i] for
  // nodes[i]); the framework calls this, and the default calls score() per node. Override
  // it with a loop that inlines the per-node work. Must equal score() node by node.
  virtual void score_nodes(const CycleState& state, const PodInfo& pod,
                           std::span<const NodeInfo* const> nodes, std::span<std::int64_t> out) {
    for (std::size_t i = 0; i < nodes.size(); ++i) out[i] = score(state, pod, *nodes[i]);
  }
  // Whether normalize_scores must run (NormalizeScore extension).
  virtual bool has_normalize() const { return false; }
  virtual void normalize_scores(const CycleState&, const PodInfo&,
                                std::span<std::int64_t> /*scores*/) {}
  virtual PluginStatus reserve(CycleState&, const PodInfo&, const NodeInfo&) {
    return PluginStatus::success();
  }
  virtual void unreserve(CycleState&, const PodInfo&, const NodeInfo&) {}
  // Permit: Success, Unschedulable, or Wait with `timeout` (gang scheduling).
  virtual PluginStatus permit(CycleState&, const PodInfo&, const NodeInfo&,
                              sim::Duration& /*timeout*/) {
    return PluginStatus::success();
  }
  // What must happen to pods waiting at Permit (upstream IterateOverWaitingPods + Allow /
  // Reject, which a plugin cannot reach here): decisions recorded since the last call,
  // oldest first. The runtime asks after Permit, PostFilter and Unreserve, and allows or
  // rejects every waiting pod a decision matches.
  struct WaitingPodDecision {
    bool allow = true;
    std::function<bool(const Pod&)> matches;
    std::string reason;  // rejections
  };
  virtual std::vector<WaitingPodDecision> take_waiting_pod_decisions() { return {}; }

 private:
  std::size_t slot_ = 0;
};

// ---- Framework ----------------------------------------------------------------------------

// One enabled plugin at one extension point (Score carries the profile's weight).
struct PluginRef {
  Plugin* plugin = nullptr;
  std::int64_t weight = 1;
};

// Per node, the scores of one cycle: for `kubesim explain` and tests.
struct NodeScoreDetail {
  const NodeInfo* node = nullptr;
  std::vector<std::int64_t> raw;         // per score plugin, in profile order
  std::vector<std::int64_t> normalized;  // after NormalizeScore (== raw without one)
  std::int64_t total = 0;                // Σ normalized × weight
};

// Everything one cycle found, when asked to record it.
struct CycleDiagnosis {
  std::vector<std::pair<const NodeInfo*, PluginStatus>> rejected;  // Filter failures
  std::vector<std::string> score_plugins;                          // profile order
  std::vector<std::int64_t> score_weights;
  std::vector<NodeScoreDetail> scores;  // per feasible node, in evaluation order
  PluginStatus pre_filter_status;       // when PreFilter rejected the pod
};

struct ScheduleResult {
  // The chosen node; null when the pod is unschedulable (or the cycle erred).
  const NodeInfo* node = nullptr;
  PluginStatus status;               // why not, when node is null
  std::int32_t evaluated_nodes = 0;  // feasible + rejected that were examined
  std::int32_t feasible_nodes = 0;
  // upstream FitError message, e.g. "0/5 nodes are available: 3 Insufficient cpu, 2
  // node(s) had untolerated taint {gpu: true}. preemption: ..." (when unschedulable).
  std::string fit_error;
  Plugin::PostFilterResult post_filter;  // set when PostFilter nominated a node
};

class Framework {
 public:
  struct Options {
    std::int32_t percentage_of_nodes_to_score = 0;  // 0: adaptive
    // Ties between the best nodes go to the lowest NodeInfo::tie_break_rank (then the
    // first in Filter order) instead of upstream's random choice (kubesim extension, for
    // the FGD paper's method).
    bool tie_break_by_node_rank = false;
  };

  // `plugins` own the plugin objects; `at` lists, per extension point, the enabled ones in
  // run order (indices into plugins) with Score weights. Built by policies::build_framework.
  Framework(std::string scheduler_name, std::vector<std::unique_ptr<Plugin>> plugins,
            std::vector<PluginRef> pre_filter, std::vector<PluginRef> filter,
            std::vector<PluginRef> post_filter, std::vector<PluginRef> pre_score,
            std::vector<PluginRef> score, std::vector<PluginRef> reserve,
            std::vector<PluginRef> permit, Options options);

  const std::string& scheduler_name() const { return scheduler_name_; }

  // One scheduling cycle for `pod` against `snapshot` up to and including host selection
  // (upstream schedulePod + PostFilter on failure). `state` is fresh per cycle. With
  // `diagnosis` non-null every filter failure and every score is recorded.
  ScheduleResult schedule(CycleState& state, const PodInfo& pod, const Snapshot& snapshot,
                          sim::Rng& rng, CycleDiagnosis* diagnosis = nullptr);

  // Reserve (all plugins, unreserving in reverse on failure) and Permit. `wait` is set to
  // the longest timeout when some plugin answered Wait.
  PluginStatus run_reserve(CycleState& state, const PodInfo& pod, const NodeInfo& node);
  void run_unreserve(CycleState& state, const PodInfo& pod, const NodeInfo& node);
  // Every plugin's pending decisions about pods waiting at Permit, in plugin order.
  std::vector<Plugin::WaitingPodDecision> take_waiting_pod_decisions();
  PluginStatus run_permit(CycleState& state, const PodInfo& pod, const NodeInfo& node,
                          sim::Duration& wait);

  // For preemption: every Filter plugin on one (hypothetical) node, with the state's
  // PreFilter results; and the PreFilterExtensions.
  PluginStatus run_filter(const CycleState& state, const PodInfo& pod, const NodeInfo& node);
  PluginStatus run_add_pod(CycleState& state, const PodInfo& pod, const PodInfo& to_add,
                           const NodeInfo& node);
  PluginStatus run_remove_pod(CycleState& state, const PodInfo& pod, const PodInfo& to_remove,
                              const NodeInfo& node);

  CycleState new_cycle_state() const { return CycleState(plugins_.size()); }
  // The plugin object of that name, or nullptr when the profile does not enable it.
  Plugin* find_plugin(std::string_view name) const;
  bool has_filter_plugins() const { return !filter_.empty(); }
  bool has_score_plugins() const { return !score_.empty(); }
  bool has_post_filter_plugins() const { return !post_filter_.empty(); }
  std::int32_t percentage_of_nodes_to_score() const {
    return options_.percentage_of_nodes_to_score;
  }
  const std::vector<PluginRef>& score_plugins() const { return score_; }
  // The next Filter start index (rotates across cycles, upstream nextStartNodeIndex).
  std::int64_t next_start_node_index() const { return next_start_; }

 private:
  std::string scheduler_name_;
  std::vector<std::unique_ptr<Plugin>> plugins_;
  std::vector<PluginRef> pre_filter_, filter_, post_filter_, pre_score_, score_, reserve_, permit_;
  Options options_;
  std::int64_t next_start_ = 0;
  // Filter phase over `nodes` (upstream findNodesThatPassFilters): fills feasible_,
  // appends rejections to `rejected`, advances next_start_. Error status on a plugin error.
  // `lazy`: rejections go to lazy_rejected_ instead, and a quick filter's rejection is
  // recorded without calling filter() for its status (most cycles find a node and never
  // read the reasons); materialize_rejections() turns them into `rejected` entries later.
  PluginStatus find_nodes_that_pass_filters(
      const CycleState& state, const PodInfo& pod, std::span<const NodeInfo* const> nodes,
      std::vector<std::pair<const NodeInfo*, PluginStatus>>& rejected, bool lazy = false);
  void materialize_rejections(const CycleState& state, const PodInfo& pod,
                              std::vector<std::pair<const NodeInfo*, PluginStatus>>& rejected);
  PluginStatus run_post_filter(
      CycleState& state, const PodInfo& pod, const Snapshot& snapshot,
      const std::vector<std::pair<const NodeInfo*, PluginStatus>>& failures,
      Plugin::PostFilterResult& result);

  // Scratch reused across cycles (no allocation per cycle once warm).
  std::vector<const NodeInfo*> feasible_;
  std::vector<const NodeInfo*> candidates_;  // the PreFilterResult's nodes
  std::vector<Plugin*> active_filters_;
  // Parallel to active_filters_: 1 has_quick_filter(), 2 also quick_filter_exact().
  std::vector<char> quick_filters_;
  std::vector<std::int64_t> scores_;
  std::vector<std::int64_t> totals_;
  std::vector<std::pair<const NodeInfo*, PluginStatus>> rejected_;
  // Rejections of a lazy filter pass, in visiting order: the rejecting plugin and its
  // status, or an ok() status when the quick filter rejected and filter() was not called.
  struct LazyRejection {
    const NodeInfo* node;
    Plugin* plugin;
    PluginStatus status;
  };
  std::vector<LazyRejection> lazy_rejected_;
};

}  // namespace kubesim::models::sched
