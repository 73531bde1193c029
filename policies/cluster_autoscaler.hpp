// Cluster Autoscaler as decision logic: node groups, the scale-up decision (binpacking
// estimator on template nodes, expanders), the scale-down decision (utilization, unneeded
// time, drain simulation, delays) and max-node-provision-time failures with group backoff,
// after kubernetes/autoscaler cluster-autoscaler (the release paired with Kubernetes v1.34):
//
//   core/static_autoscaler.go        RunOnce: the loop, isScaleDownInCooldown, allPodsAreNew
//   core/scaleup/orchestrator        one option per node group, expander, IncreaseSize
//   estimator/binpacking_estimator.go + decreasing_pod_orderer.go
//   expander/{waste,mostpods,leastnodes,price,priority,random}, expander/factory/chain.go
//   core/scaledown/{planner,eligibility,unneeded}, simulator/cluster.go (removal simulation),
//   simulator/drain + utils/drain (which pods block a node's removal),
//   simulator/utilization/info.go, clusterstate/clusterstate.go (scale-up requests,
//   upcoming nodes), utils/backoff/exponential_backoff.go, config/autoscaling_options.go.
//
// Upstream runs the scheduler's PreFilter and Filter plugins in-process on a snapshot with
// template nodes added ("simulating pending pods on templates"). FilterSimulator does the
// same with our Framework: it must be a Framework of its own (not the scheduler's, whose
// rotating start index would otherwise move); make_filter_framework() builds one from the
// scheduler's profile with only the PreFilter and Filter points kept.
//
// Ownership and use: ClusterAutoscalerState owns its node groups, options, Framework and
// random stream. The caller (the cluster model) calls step(now, view) every scan interval
// with the registered nodes and their pods (a Snapshot it keeps) and the pods the scheduler
// marked unschedulable; step() returns what to do (a scale-up of one group, nodes to delete,
// scale-ups that timed out) and the caller applies it as events. The view is read, never
// changed: step() works on its own copy, made only in loops whose simulations read it (pending
// pods, or a scale-down candidate to simulate removing). Not thread-safe.
//
// Membership: a node belongs to the node group whose NodePool name equals the node's
// kubesim.io/node-pool label (make_nodes sets it); other nodes are not autoscaled (they are
// pod destinations, never scale-down candidates). docs/node-autoscaling.md lists every
// parameter with its upstream flag and default, the procedure, and what is simplified.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "models/disruption.hpp"
#include "models/node_pool.hpp"
#include "models/objects.hpp"
#include "models/scheduler_framework.hpp"
#include "policies/registry.hpp"
#include "sim/random.hpp"
#include "sim/time.hpp"

namespace kubesim::policies {

// ---- Filter simulation -------------------------------------------------------------------

// "Would the scheduler's Filter plugins accept this pod on that node" for hypothetical
// snapshots (template nodes, pods moved off a node that is being removed). Upstream:
// simulator/predicatechecker (CheckPredicates runs PreFilter, then Filter on one node).
class FilterSimulator {
 public:
  // REQUIRES: framework non-null; a Framework used by nobody else.
  explicit FilterSimulator(std::unique_ptr<models::sched::Framework> framework,
                           std::uint64_t seed = 1);

  // Runs PreFilter for `pod` against `snapshot` (and one Filter pass, which fixes the
  // per-cycle state). False when PreFilter rejects the pod (no node can take it) or the
  // snapshot is empty. REQUIRES before fits(); again whenever the snapshot changed.
  bool prepare(const models::sched::PodInfo& pod, const models::sched::Snapshot& snapshot);
  // Every Filter plugin on `node`, with the state of the last prepare() for this pod.
  bool fits(const models::sched::PodInfo& pod, const models::sched::NodeInfo& node);
  // prepare(), then the first node of `snapshot` in its order that `eligible` accepts (every
  // node when empty) and `pod` fits; null when none. The simulations' first-fit placement.
  models::sched::NodeInfo* first_fit(
      const models::sched::PodInfo& pod, models::sched::Snapshot& snapshot,
      const std::function<bool(const models::sched::NodeInfo&)>& eligible = {});

 private:
  std::unique_ptr<models::sched::Framework> framework_;
  models::sched::CycleState state_;
  sim::Rng rng_;
  bool prepared_ = false;
};

// A copy of `from` into the empty `to`: the same Node objects and PodInfos (shared, immutable).
void copy_snapshot(const models::sched::Snapshot& from, models::sched::Snapshot& to);
// A copy of `base` named `name` (metadata.name, uid and the hostname label).
std::shared_ptr<const models::Node> renamed_node(const models::Node& base, std::string name);

// Upstream's pod equivalence (core/scaleup/equivalence): pods of one controller with the same
// requests schedule alike, so once one does not fit, the others need not be tried. Pods
// without a controller are their own group.
std::string pod_equivalence_key(const models::sched::PodInfo& pod);

// The pod as the scheduler would see it again after eviction: spec.nodeName and its GPU
// device ids cleared (the
// same PodInfo when it is not bound).
std::shared_ptr<const models::sched::PodInfo> unbound(
    const std::shared_ptr<const models::sched::PodInfo>& pod);

// A Framework for FilterSimulator: `profile` with only its PreFilter and Filter plugins (no
// Score, PostFilter, Reserve or Permit), built through the registry.
sim::Result<std::unique_ptr<models::sched::Framework>> make_filter_framework(
    const Registry& registry, const SchedulerConfig& config, SchedulerProfile profile,
    const PluginContext& context);

// ---- Drain rules and utilization ----------------------------------------------------------

// What the simulation asks about pods beyond the Pod object.
struct DrainContext {
  // Whether a PodDisruptionBudget covering the pod allows one more disruption; nullopt when
  // no PDB covers the pod.
  std::function<std::optional<bool>(const models::Pod&)> pdb_allows_eviction;
  // Whether the pod mounts local storage (emptyDir, hostPath); our Pod has no volumes, so the
  // caller says (unset: no pod does).
  std::function<bool(const models::Pod&)> uses_local_storage;
  bool skip_nodes_with_system_pods = true;    // --skip-nodes-with-system-pods
  bool skip_nodes_with_local_storage = true;  // --skip-nodes-with-local-storage
  // Karpenter: the karpenter.sh/do-not-disrupt annotation blocks; owner-less pods do not.
  bool karpenter_rules = false;
};

inline constexpr std::string_view kSafeToEvictAnnotation =
    "cluster-autoscaler.kubernetes.io/safe-to-evict";
inline constexpr std::string_view kScaleDownDisabledAnnotation =
    "cluster-autoscaler.kubernetes.io/scale-down-disabled";
inline constexpr std::string_view kMirrorPodAnnotation = "kubernetes.io/config.mirror";
inline constexpr std::string_view kDoNotDisruptAnnotation = "karpenter.sh/do-not-disrupt";

enum class PodDrainVerdict : std::uint8_t {
  kMove,   // evicted and rescheduled elsewhere
  kSkip,   // stays with the node (DaemonSet, mirror, terminal pods)
  kBlock,  // prevents the node's removal
};
// upstream simulator/drainability/rules (v1.34 order: mirror, long-terminating, safe-to-evict
// true, not-safe-to-evict, local storage, PDB, system (kube-system without PDB), replicated,
// DaemonSet). `reason` gets upstream's BlockingPodReason name when blocked.
PodDrainVerdict drain_verdict(const models::Pod& pod, const DrainContext& context,
                              std::string* reason = nullptr);

// upstream simulator/utilization/info.go Calculate: a node with GPUs is measured by GPU
// requests / allocatable; any other by max(cpu, memory) requests / allocatable. Every pod on
// the node counts (DaemonSet and mirror pods too: the ignore-* flags default to false).
struct NodeUtilization {
  double cpu = 0;
  double memory = 0;
  double gpu = 0;
  bool gpu_node = false;
  double utilization = 0;     // the value compared with the threshold
  std::string_view resource;  // "cpu", "memory" or "nvidia.com/gpu"
};
NodeUtilization node_utilization(const models::sched::NodeInfo& node);

// ---- Node groups and expanders ------------------------------------------------------------

struct NodeGroupSpec {
  models::NodePool pool;  // the template; pool.name is the group's id, pool.count ignored
  std::int32_t min_size = 0;
  std::int32_t max_size = 0;
  const std::string& name() const { return pool.name; }
};

// The template Node of a group (upstream TemplateNodeInfo): one make_nodes() node of the
// pool named `name`. No DaemonSet pods are added to it.
std::shared_ptr<const models::Node> template_node(const models::NodePool& pool, std::string name,
                                                  sim::Time now);

enum class ExpanderName : std::uint8_t {
  kRandom,
  kMostPods,
  kLeastWaste,
  kLeastNodes,
  kPrice,
  kPriority,
};
std::string_view to_string(ExpanderName name);  // the --expander spelling: "least-waste", ...
std::optional<ExpanderName> parse_expander_name(std::string_view text);

// One scale-up option (upstream expander.Option) with what the expanders read of its group.
struct ExpansionOption {
  std::string group;
  std::int32_t node_count = 0;
  std::vector<std::shared_ptr<const models::sched::PodInfo>> pods;  // pods the nodes would take
  models::ResourceList node_capacity;  // the template node's status.capacity
  double node_price_per_hour = 0;
  bool gpu_node = false;
  bool group_exists = true;  // price expander: 2x score for groups not created yet
};

// Inputs of the price and priority expanders.
struct ExpanderConfig {
  // upstream expander/priority: the cluster-autoscaler-priority-expander ConfigMap's
  // "priorities": priority -> regular expressions matched (unanchored) against group names.
  std::map<std::int32_t, std::vector<std::string>> priorities;
  // price expander: pod price per hour from requests (upstream's GCE pricing model:
  // cloudprovider/gce/gce_price_model.go; 1 GB = 2^30 bytes).
  double price_per_cpu_hour = 0.033174;
  double price_per_gb_hour = 0.004446;
  double price_per_gpu_hour = 0.700;
  // Number of nodes in the cluster (price expander's preferred node size).
  std::int32_t cluster_nodes = 0;
};

// One expander as a filter (upstream expander.Filter.BestOptions): the indices (into
// `options`) of the best of `candidates`, ties kept, in their given order. random keeps one.
std::vector<std::size_t> expander_filter(ExpanderName name,
                                         std::span<const ExpansionOption> options,
                                         std::span<const std::size_t> candidates,
                                         const ExpanderConfig& config, sim::Rng& rng);
// upstream expander/factory/chain.go: run the filters in order, stop as soon as one option is
// left; a random choice among what remains. nullopt when `options` is empty or every option
// was filtered out.
std::optional<std::size_t> choose_option(std::span<const ExpansionOption> options,
                                         std::span<const ExpanderName> chain,
                                         const ExpanderConfig& config, sim::Rng& rng);

// The price expander's pieces (expander/price/price.go, preferred.go), for tests.
double pod_price_per_hour(const models::Pod& pod, const ExpanderConfig& config);
std::int64_t preferred_node_milli_cpu(std::int32_t cluster_nodes);
double price_score(const ExpansionOption& option, const ExpanderConfig& config);

// ---- The binpacking estimator -------------------------------------------------------------

struct EstimateResult {
  std::int32_t node_count = 0;                                      // new nodes that received pods
  std::vector<std::shared_ptr<const models::sched::PodInfo>> pods;  // pods placed
};
// upstream estimator/binpacking_estimator.go Estimate with the DecreasingPodOrderer: pods
// sorted by cpu/alloc + memory/alloc of the template (stable); each equivalence group (same
// controller and requests) is first placed first-fit on the new nodes already added, then on
// the last added node, else on a fresh template node; a pod that does not fit a fresh node
// stops its group. At most `max_nodes` nodes. `snapshot` holds the rest of the cluster and
// is restored before returning.
EstimateResult estimate_nodes(FilterSimulator& filter, models::sched::Snapshot& snapshot,
                              const models::Node& template_node,
                              std::span<const std::shared_ptr<const models::sched::PodInfo>> pods,
                              std::int32_t max_nodes);

// ---- The autoscaler ------------------------------------------------------------------------

// Defaults are upstream's (config/autoscaling_options.go and main.go flags, FAQ.md table).
// One --gpu-total entry: "<gpu_type>:<min>:<max>". A node's GPU type is its
// nvidia.com/gpu.product label and its count the nvidia.com/gpu capacity.
struct GpuTotalLimit {
  std::string type;
  std::int64_t min = 0;
  std::int64_t max = 0;
};

struct ClusterAutoscalerOptions {
  sim::Duration scan_interval = 10 * sim::kSecond;                    // --scan-interval
  std::vector<ExpanderName> expanders = {ExpanderName::kLeastWaste};  // --expander
  ExpanderConfig expander_config;
  std::int32_t max_nodes_total = 0;                           // --max-nodes-total (0: no limit)
  std::int32_t max_nodes_per_scaleup = 1000;                  // --max-nodes-per-scaleup
  // Cluster totals (upstream core/scaleup/resource and core/scaledown/resource): scale-up
  // never takes the cluster above a max, scale-down never below a min; 0 is no limit.
  // --cores-total (whole cores, default 0:320000) and --memory-total (the flag is in GiB,
  // default 0:6400000; kept here in bytes).
  std::int64_t min_cores_total = 0;
  std::int64_t max_cores_total = 320'000;
  std::int64_t min_memory_total = 0;
  std::int64_t max_memory_total = 6'400'000LL << 30;
  std::vector<GpuTotalLimit> gpu_total;                       // --gpu-total (none by default)
  sim::Duration new_pod_scale_up_delay = 0;                   // --new-pod-scale-up-delay
  sim::Duration max_node_provision_time = 15 * sim::kMinute;  // --max-node-provision-time
  sim::Duration initial_node_group_backoff_duration = 5 * sim::kMinute;
  sim::Duration max_node_group_backoff_duration = 30 * sim::kMinute;
  sim::Duration node_group_backoff_reset_timeout = 3 * sim::kHour;

  bool scale_down_enabled = true;  // --scale-down-enabled
  double scale_down_utilization_threshold = 0.5;
  double scale_down_gpu_utilization_threshold = 0.5;
  sim::Duration scale_down_unneeded_time = 10 * sim::kMinute;
  sim::Duration scale_down_unready_time = 20 * sim::kMinute;
  sim::Duration scale_down_delay_after_add = 10 * sim::kMinute;
  // nullopt: the scan interval (upstream main.go defaults it to --scan-interval).
  std::optional<sim::Duration> scale_down_delay_after_delete;
  sim::Duration scale_down_delay_after_failure = 3 * sim::kMinute;
  sim::Duration unremovable_node_recheck_timeout = 5 * sim::kMinute;
  std::int32_t max_scale_down_parallelism = 10;  // --max-scale-down-parallelism
  std::int32_t max_empty_bulk_delete = 10;       // --max-empty-bulk-delete (deprecated)
  std::int32_t max_drain_parallelism = 1;        // --max-drain-parallelism
  // --max-bulk-soft-taint-count: soft-taint API calls per loop (0: no soft taints).
  std::int32_t max_bulk_soft_taint_count = 10;
  bool scale_down_unready_enabled = true;        // --scale-down-unready-enabled
  bool skip_nodes_with_system_pods = true;
  bool skip_nodes_with_local_storage = true;
  std::uint64_t seed = 1;  // the random expander's stream

  sim::Duration delay_after_delete() const {
    return scale_down_delay_after_delete.value_or(scan_interval);
  }
};

// The PodDisruptionBudgets as one scale-down loop counts them (upstream
// core/scaledown/pdb RemainingPdbTracker): each PDB's status.disruptionsAllowed as listed at
// the start of the loop, less one for each pod it guards on the nodes the loop has already
// planned to remove. So two nodes whose pods one PDB guards are not both found removable in
// a loop when the PDB allows one disruption.
class RemainingPdbs {
 public:
  explicit RemainingPdbs(std::span<const std::shared_ptr<const models::PodDisruptionBudget>> pdbs);
  bool empty() const { return pdbs_.empty(); }
  // nullopt when no PDB guards `pod` (models::pdb_guards_eviction); otherwise whether every
  // PDB guarding it still allows a disruption.
  std::optional<bool> allows(const models::Pod& pod) const;
  // Counts the planned eviction of `pod` against every PDB guarding it (RemovePods).
  void remove_pod(const models::Pod& pod);

 private:
  std::vector<std::shared_ptr<const models::PodDisruptionBudget>> pdbs_;
  std::vector<std::int32_t> remaining_;
};

// What the autoscaler sees at one loop.
struct ClusterAutoscalerView {
  // Registered nodes (Ready or not) with the pods bound to them.
  const models::sched::Snapshot* nodes = nullptr;
  // Pods the scheduler marked unschedulable (PodScheduled=False, reason Unschedulable).
  std::span<const std::shared_ptr<const models::sched::PodInfo>> unschedulable_pods;
  // The PodDisruptionBudgets at the start of the loop (scale-down counts their disruptions
  // with RemainingPdbs).
  std::span<const std::shared_ptr<const models::PodDisruptionBudget>> pdbs;
  std::function<bool(const models::Pod&)> uses_local_storage;
};

// What one loop decided. Times in `reasons` and statuses are for logs and tests.
struct ClusterAutoscalerActions {
  struct ScaleUp {
    std::string group;
    std::int32_t count = 0;         // nodes to add
    std::int32_t new_target = 0;    // the group's target size after the increase
    std::vector<std::string> pods;  // namespace/name of the pods the new nodes are for
  };
  struct Deletion {
    std::string node;
    std::string group;
    bool empty = true;  // false: drain first (evict `pods_to_evict`)
    std::vector<std::string> pods_to_evict;
    double utilization = 0;
  };
  // A scale-up whose nodes did not all become Ready within max-node-provision-time: the
  // caller cancels `cancelled` not-yet-registered nodes of the group (upstream deletes the
  // unregistered instances and lowers the target size); the group is backed off.
  struct FailedScaleUp {
    std::string group;
    std::int32_t cancelled = 0;
    sim::Time backoff_until = 0;
  };

  std::optional<ScaleUp> scale_up;
  std::vector<Deletion> deletions;
  std::vector<FailedScaleUp> failed_scale_ups;
  // Soft taints (upstream actuation.UpdateSoftDeletionTaints): the caller adds
  // DeletionCandidateOfClusterAutoscaler=<Unix time>:PreferNoSchedule to `soft_taint` and
  // removes it from `soft_untaint`.
  std::vector<std::string> soft_taint;
  std::vector<std::string> soft_untaint;
  // upstream status.ScaleUpResult / ScaleDownResult names: "ScaleUpSuccessful",
  // "ScaleUpNotNeeded", "ScaleUpNoOptionsAvailable", "ScaleUpInCooldown",
  // "ScaleUpLimitedByMaxNodesTotal"; "ScaleDownNodeDeleteStarted", "ScaleDownNoUnneeded",
  // "ScaleDownNoNodeDeleted", "ScaleDownInCooldown", "ScaleDownDisabled".
  std::string scale_up_status = "ScaleUpNotTried";
  std::string scale_down_status = "ScaleDownNotTried";
  std::vector<std::string> reasons;  // one line per decision, in the order taken
};

class ClusterAutoscalerState {
 public:
  ClusterAutoscalerState(std::vector<NodeGroupSpec> groups, ClusterAutoscalerOptions options,
                         std::unique_ptr<FilterSimulator> filter);

  // One RunOnce at `now`. REQUIRES: view.nodes non-null; now >= the previous call's now.
  ClusterAutoscalerActions step(sim::Time now, const ClusterAutoscalerView& view);

  // The caller could not delete a node it was told to (upstream lastScaleDownFailTime): the
  // node is no longer counted as being deleted and its group's target size is restored.
  void record_scale_down_failure(sim::Time now, std::string_view node = {});
  // The target size (registered + requested) of a group; starts at the group's registered
  // node count the first time step() sees it, unless set here.
  std::int32_t target_size(std::string_view group) const;
  void set_target_size(std::string_view group, std::int32_t size);
  bool backed_off(std::string_view group, sim::Time now) const;
  // Since when a node has been unneeded; nullopt when it is not.
  std::optional<sim::Time> unneeded_since(std::string_view node) const;
  const ClusterAutoscalerOptions& options() const { return options_; }
  const std::vector<NodeGroupSpec>& groups() const { return groups_; }
  // step() copies the view's Snapshot into a working one only when a simulation will read
  // it (pending pods, or a scale-down candidate to simulate removing); true copies it at
  // every loop, as before that shortcut (for the differential test that the two agree).
  void set_always_copy_snapshot(bool always) { always_copy_snapshot_ = always; }
  // Loops that copied the Snapshot so far.
  std::int64_t snapshot_copies() const { return snapshot_copies_; }

 private:
  struct GroupState {
    std::int32_t target = -1;  // -1: not seen yet
    // The outstanding scale-up request (upstream ScaleUpRequest): merged when a group is
    // scaled up again before it completes.
    std::optional<sim::Time> request_time;
    sim::Time expected_add_time = 0;
    // Exponential backoff (upstream utils/backoff): duration, until, last failure.
    sim::Duration backoff_duration = 0;
    sim::Time backoff_until = 0;
    sim::Time last_failure = 0;
    bool has_backoff = false;
  };
  struct GroupCounts {
    std::int32_t registered = 0;
    std::int32_t ready = 0;
    std::int32_t not_started = 0;  // registered, not Ready, created by an outstanding request
  };

  const NodeGroupSpec* group_of(const models::Node& node) const;
  // scale_down()'s per-node checks: a candidate at all (autoscaled group above its minimum,
  // scale-down not disabled by annotation), then the ones before the removal simulation
  // (not recently unremovable, ready or unready allowed, under the utilization threshold;
  // `u` gets the utilization).
  bool scale_down_candidate(const models::sched::NodeInfo& ni) const {
    return scale_down_candidate(ni, group_of(ni.node()));
  }
  bool scale_down_candidate(const models::sched::NodeInfo& ni, const NodeGroupSpec* g) const;
  bool removal_worth_simulating(const models::sched::NodeInfo& ni, sim::Time now,
                                NodeUtilization& u) const;
  // A registered node as one step() sees it: its group (group_of) and readiness, worked
  // out once per loop (the view does not change during it).
  struct Registered {
    const models::sched::NodeInfo* info = nullptr;
    const NodeGroupSpec* group = nullptr;
    bool ready = false;
  };
  // Whether some registered node (not starting, not being deleted) passes both.
  bool any_removal_to_simulate(sim::Time now, std::span<const Registered> nodes,
                               const std::set<std::string, std::less<>>& not_started) const;
  std::map<std::string, GroupCounts, std::less<>> count_nodes(
      std::span<const Registered> nodes) const;
  void update_scale_up_requests(sim::Time now,
                                const std::map<std::string, GroupCounts, std::less<>>& counts,
                                ClusterAutoscalerActions& actions);
  void back_off(GroupState& g, sim::Time now);
  void update_soft_taints(const models::sched::Snapshot& nodes, ClusterAutoscalerActions& actions);
  void scale_up(sim::Time now, models::sched::Snapshot& work,
                std::vector<std::shared_ptr<const models::sched::PodInfo>> pending,
                std::int32_t ready_nodes, const models::sched::Snapshot& registered,
                ClusterAutoscalerActions& actions);
  void scale_down(sim::Time now, models::sched::Snapshot& work, const ClusterAutoscalerView& view,
                  const std::set<std::string, std::less<>>& fake_nodes,
                  const std::set<std::string, std::less<>>& not_started, bool disabled_for_loop,
                  ClusterAutoscalerActions& actions);

  std::vector<NodeGroupSpec> groups_;
  ClusterAutoscalerOptions options_;
  std::unique_ptr<FilterSimulator> filter_;
  sim::Rng rng_;
  std::map<std::string, GroupState, std::less<>> state_;
  std::map<std::string, std::shared_ptr<const models::Node>, std::less<>> templates_;
  std::map<std::string, sim::Time, std::less<>> unneeded_since_;
  std::map<std::string, sim::Time, std::less<>> unremovable_until_;
  // Nodes told to delete that are still registered, with their group.
  std::map<std::string, std::string, std::less<>> deleting_;
  std::set<std::string, std::less<>> draining_;  // the non-empty ones among them
  sim::Time last_scale_up_ = INT64_MIN / 2;
  sim::Time last_scale_down_delete_ = INT64_MIN / 2;
  sim::Time last_scale_down_fail_ = INT64_MIN / 2;
  bool always_copy_snapshot_ = false;
  std::int64_t snapshot_copies_ = 0;
};

}  // namespace kubesim::policies
