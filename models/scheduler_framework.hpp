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
// Not thread-safe; one Framework per profile, used by one scheduler.
#pragma once

#include <cstdint>
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
  std::string plugin;   // who said it (filled by the framework when empty)
  std::string reason;

  static PluginStatus success() { return {}; }
  static PluginStatus skip() { return {Code::kSkip, {}, {}}; }
  static PluginStatus unschedulable(std::string reason, bool unresolvable = false) {
    return {unresolvable ? Code::kUnschedulableAndUnresolvable : Code::kUnschedulable, {},
            std::move(reason)};
  }
  static PluginStatus error(std::string reason) { return {Code::kError, {}, std::move(reason)}; }
  bool ok() const { return code == Code::kSuccess; }
  bool is_skip() const { return code == Code::kSkip; }
  bool is_rejected() const {
    return code == Code::kUnschedulable || code == Code::kUnschedulableAndUnresolvable;
  }
};

// ---- Pods and nodes as the scheduler sees them -------------------------------------------

// A pod with what every cycle needs precomputed once (upstream framework.PodInfo).
struct PodInfo {
  std::shared_ptr<const Pod> pod;
  ResourceList requests;           // pod->requests(): real requests (Fit filter, Balanced)
  std::int64_t non_zero_milli_cpu = 0;  // non-zero requests (Fit scoring strategies)
  std::int64_t non_zero_memory = 0;
  bool has_affinity = false;               // pod (anti-)affinity of any kind
  bool has_required_anti_affinity = false;

  static PodInfo from(std::shared_ptr<const Pod> pod);
  const std::string& key() const;  // namespace/name, computed once
  std::string key_;
};

struct HostPortInfo {
  std::string ip;  // "0.0.0.0" when unset
  std::string protocol;
  std::int32_t port = 0;
};

// The scheduler cache's aggregate of one node: the Node object plus the pods assigned or
// assumed on it.
class NodeInfo {
 public:
  const Node& node() const { return *node_; }
  const std::shared_ptr<const Node>& node_ptr() const { return node_; }
  const std::string& name() const { return node_->metadata.name; }
  std::int32_t index() const { return index_; }  // position in Snapshot::nodes()

  const ResourceList& allocatable() const { return node_->status.allocatable; }
  const ResourceList& requested() const { return requested_; }  // Σ real requests
  std::int64_t non_zero_milli_cpu() const { return non_zero_milli_cpu_; }
  std::int64_t non_zero_memory() const { return non_zero_memory_; }
  const std::vector<std::shared_ptr<const PodInfo>>& pods() const { return pods_; }
  std::int32_t pods_with_affinity() const { return pods_with_affinity_; }
  std::int32_t pods_with_required_anti_affinity() const { return pods_with_required_anti_affinity_; }
  const std::vector<HostPortInfo>& used_ports() const { return used_ports_; }
  // GPU devices (indexes 0..allocatable.gpu-1) in use on the node; bit i = device i.
  // Nodes with more than 64 GPUs are not modelled (the loader rejects them).
  std::uint64_t gpus_in_use() const { return gpus_in_use_; }
  // Bumped on every change, so plugins may cache per-node derived data.
  std::uint64_t generation() const { return generation_; }

  void set_node(std::shared_ptr<const Node> node);
  void add_pod(std::shared_ptr<const PodInfo> pod);
  // Removes the pod with that key; false when it is not on the node.
  bool remove_pod(std::string_view key);

 private:
  friend class Snapshot;
  std::shared_ptr<const Node> node_;
  std::int32_t index_ = -1;
  ResourceList requested_;
  std::int64_t non_zero_milli_cpu_ = 0;
  std::int64_t non_zero_memory_ = 0;
  std::vector<std::shared_ptr<const PodInfo>> pods_;
  std::int32_t pods_with_affinity_ = 0;
  std::int32_t pods_with_required_anti_affinity_ = 0;
  std::vector<HostPortInfo> used_ports_;
  std::uint64_t gpus_in_use_ = 0;
  std::uint64_t generation_ = 0;
};

// The cluster as one scheduling cycle sees it. The scheduler runtime keeps one Snapshot
// up to date incrementally (upstream keeps a cache and copies changed NodeInfos into the
// snapshot each cycle; with one thread there is nothing to copy).
class Snapshot {
 public:
  // Adds or replaces a node (keeps its pods on replace).
  NodeInfo& upsert_node(std::shared_ptr<const Node> node);
  bool remove_node(std::string_view name);  // its pods go with it
  NodeInfo* find(std::string_view name);
  const NodeInfo* find(std::string_view name) const;

  // Nodes in the order Filter visits them: upstream's nodeTree order — zones (the
  // topology.kubernetes.io/zone label, with region) in first-seen order, and nodes taken
  // round-robin one per zone. Recomputed after nodes are added or removed.
  std::span<NodeInfo* const> nodes() const { return order_; }
  std::size_t size() const { return order_.size(); }

  // Nodes that have at least one pod with (required anti-)affinity (for InterPodAffinity).
  std::vector<const NodeInfo*> nodes_with_affinity_pods() const;
  std::vector<const NodeInfo*> nodes_with_required_anti_affinity_pods() const;

  // How many nodes have the image (normalized name, as ImageLocality counts).
  std::int64_t nodes_with_image(std::string_view image) const;

 private:
  void rebuild_order();
  std::vector<std::unique_ptr<NodeInfo>> storage_;
  std::vector<NodeInfo*> order_;
  std::unordered_map<std::string, NodeInfo*> by_name_;
  std::unordered_map<std::string, std::int64_t> image_counts_;
};

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
  // Plugins that returned Skip at PreFilter (their Filter is not run) / PreScore.
  std::vector<bool> skip_filter;
  std::vector<bool> skip_score;

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

  virtual PluginStatus pre_filter(CycleState&, const PodInfo&, const Snapshot&,
                                  PreFilterResult&) {
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
  // Raw score of one feasible node.
  virtual std::int64_t score(const CycleState&, const PodInfo&, const NodeInfo&) { return 0; }
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
  PluginStatus status;             // why not, when node is null
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
  const std::vector<PluginRef>& score_plugins() const { return score_; }
  // The next Filter start index (rotates across cycles, upstream nextStartNodeIndex).
  std::int64_t next_start_node_index() const { return next_start_; }

 private:
  std::string scheduler_name_;
  std::vector<std::unique_ptr<Plugin>> plugins_;
  std::vector<PluginRef> pre_filter_, filter_, post_filter_, pre_score_, score_, reserve_,
      permit_;
  Options options_;
  std::int64_t next_start_ = 0;
  // Scratch reused across cycles (no allocation per cycle once warm).
  std::vector<const NodeInfo*> feasible_;
  std::vector<std::int64_t> scores_;
  std::vector<std::int64_t> totals_;
};

}  // namespace kubesim::models::sched
