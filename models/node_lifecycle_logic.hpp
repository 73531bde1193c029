// Node lifecycle controller decisions (kube-controller-manager v1.34) and the
// DefaultTolerationSeconds admission rule: per-node health from heartbeats and leases,
// the taints the controller keeps in step with node conditions, zone disruption states,
// and the per-zone rate-limited queue that adds NoExecute taints. The evictions
// themselves are the taint eviction controller's (models/taints.hpp no_execute_decision):
// a pod with the default tolerations goes 300 s after the NoExecute taint appears.
//
// Upstream sources reproduced (kubernetes/kubernetes v1.34):
//   pkg/controller/nodelifecycle/node_lifecycle_controller.go
//       tryUpdateNodeHealth, monitorNodeHealth, processTaintBaseEviction,
//       doNoScheduleTaintingPass, doNoExecuteTaintingPass, markNodeForTainting,
//       markNodeAsReachable, ComputeZoneState, handleDisruption, setLimiterInZone,
//       ReducedQPSFunc, HealthyQPSFunc, isNodeExcludedFromDisruptionChecks
//   pkg/controller/nodelifecycle/scheduler/rate_limited_queue.go
//       RateLimitedTimedQueue (Add, Remove, Try, SwapLimiter), EvictionRateLimiterBurst 1,
//       NodeEvictionPeriod 100 ms
//   pkg/controller/nodelifecycle/config/v1alpha1/defaults.go and
//   cmd/kube-controller-manager options: node-monitor-period 5 s,
//       node-monitor-grace-period 50 s (since v1.32, PR #126287), node-startup-grace-period
//       60 s, node-eviction-rate 0.1, secondary-node-eviction-rate 0.01,
//       unhealthy-zone-threshold 0.55, large-cluster-size-threshold 50
//   k8s.io/component-helpers/node/topology  GetZoneKey
//   plugin/pkg/admission/defaulttolerationseconds/admission.go
//
// The resulting failure timeline (tested in node_lifecycle_logic_test.cpp): the kubelet's
// last lease renewal observed at r; the first monitor pass after r + 50 s marks Ready (and
// the pressure conditions) Unknown and the NoSchedule unreachable taint follows on the
// node update; processTaintBaseEviction reads the Ready condition as it was *before* that
// pass, so the NoExecute unreachable taint is queued one monitor period later and added
// within 100 ms if the zone's limiter has a token; the taint eviction controller deletes
// pods with the default toleration 300 s after that. With r = 100 s and passes every 5 s:
// Unknown at 155 s, NoExecute at 160 s, pods deleted at 460 s.
//
// Thread-safety: value types and pure functions; the stateful pieces (NodeHealth,
// ZoneTaintQueue, DisruptionTracker) are owned by one controller instance.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/objects.hpp"
#include "models/taints.hpp"
#include "models/token_bucket.hpp"
#include "models/workloads.hpp"
#include "sim/time.hpp"

namespace kubesim::models {

struct NodeLifecycleConfig {
  sim::Duration node_monitor_period = sim::seconds(5);
  sim::Duration node_monitor_grace_period = sim::seconds(50);
  sim::Duration node_startup_grace_period = sim::seconds(60);
  double eviction_limiter_qps = 0.1;
  double secondary_eviction_limiter_qps = 0.01;
  std::int32_t large_cluster_size_threshold = 50;
  double unhealthy_zone_threshold = 0.55;
  // How often the NoExecute tainting queue is worked (scheduler.NodeEvictionPeriod).
  sim::Duration no_execute_tainting_period = sim::milliseconds(100);
};

inline constexpr std::string_view kNodeNetworkUnavailable = "NetworkUnavailable";
inline constexpr std::string_view kLabelExcludeDisruption = "node.kubernetes.io/exclude-disruption";
inline constexpr std::string_view kLabelFailureDomainBetaZone =
    "failure-domain.beta.kubernetes.io/zone";
inline constexpr std::string_view kLabelFailureDomainBetaRegion =
    "failure-domain.beta.kubernetes.io/region";
inline constexpr std::string_view kReasonNodeStatusUnknown = "NodeStatusUnknown";
inline constexpr std::string_view kReasonNodeStatusNeverUpdated = "NodeStatusNeverUpdated";

// ---- DefaultTolerationSeconds admission -----------------------------------------------------

inline constexpr std::int64_t kDefaultNotReadyTolerationSeconds = 300;
inline constexpr std::int64_t kDefaultUnreachableTolerationSeconds = 300;

// Adds {not-ready, Exists, NoExecute, 300 s} and {unreachable, Exists, NoExecute, 300 s}
// unless a toleration already covers that taint key with effect NoExecute or any effect
// (an empty key counts as covering both). Returns how many were added.
int add_default_tolerations(
    PodSpec& spec, std::int64_t not_ready_seconds = kDefaultNotReadyTolerationSeconds,
    std::int64_t unreachable_seconds = kDefaultUnreachableTolerationSeconds);

// ---- Per-node health ------------------------------------------------------------------------

// What the controller remembers about a node between passes (upstream nodeHealthData):
// probe_timestamp moves to "now" whenever a new Ready heartbeat or a newer lease renewTime
// is observed. Times are the controller's clock, not the kubelet's.
struct NodeHealth {
  bool initialized = false;
  sim::Time probe_timestamp = 0;
  sim::Time ready_transition_timestamp = 0;
  std::optional<Condition> saved_ready;        // the Ready condition last seen
  std::optional<sim::Time> saved_lease_renew;  // the lease renewTime last seen
};

struct NodeHealthResult {
  sim::Duration grace_period = 0;
  // The Ready condition as read at the start of the pass (a fake Unknown one, dated at
  // the node's creation, when the kubelet never posted one).
  Condition observed_ready;
  // The node's conditions after the pass; meaningful when status_changed.
  std::vector<Condition> conditions;
  // The controller writes the node status (Ready and pressure conditions set Unknown).
  bool status_changed = false;
  // Ready condition after the pass (nullopt when the node has none and none was added).
  std::optional<Condition> current_ready;
};

// What one monitor pass over a node yields, without copying any condition (the
// controller's per-node hot path): NodeHealthResult's content by reference.
struct NodeHealthPass {
  sim::Duration grace_period = 0;
  // The node's Ready condition as read at the start of the pass (points into the Node
  // given; nullptr when the kubelet never posted one: observed status Unknown).
  const Condition* observed = nullptr;
  ConditionStatus observed_status = ConditionStatus::kUnknown;
  // Ready's status after the pass (nullopt when the node has none and none was added).
  std::optional<ConditionStatus> current_status;
  bool status_changed = false;
  std::vector<Condition> conditions;  // the node's conditions after the pass, when changed
};
// tryUpdateNodeHealth as NodeHealthPass: the same decisions and the same NodeHealth
// updates as try_update_node_health (which is written on top of it). `lease_renew_time`:
// the renewTime of the node's Lease as the controller sees it (nullopt: no Lease, or none
// set).
NodeHealthPass update_node_health(NodeHealth& health, const Node& node,
                                  std::optional<sim::Time> lease_renew_time, sim::Time now,
                                  const NodeLifecycleConfig& config = {});

// upstream tryUpdateNodeHealth. `lease`: the node's Lease in kube-node-lease, if any.
// When now is after probe_timestamp + grace period, Ready, MemoryPressure, DiskPressure
// and PIDPressure become Unknown (reason NodeStatusUnknown, "Kubelet stopped posting node
// status."; missing ones are added with reason NodeStatusNeverUpdated).
NodeHealthResult try_update_node_health(NodeHealth& health, const Node& node, const Lease* lease,
                                        sim::Time now, const NodeLifecycleConfig& config = {});

// The NoSchedule taints the controller keeps equal to the node's conditions (upstream
// doNoScheduleTaintingPass): Ready False/Unknown -> not-ready/unreachable, MemoryPressure,
// DiskPressure, PIDPressure, NetworkUnavailable True -> their taints, spec.unschedulable ->
// unschedulable. Only NoSchedule taints with those keys are managed; others are untouched.
struct TaintUpdate {
  std::vector<Taint> add;
  std::vector<Taint> remove;
  bool empty() const { return add.empty() && remove.empty(); }
};
TaintUpdate no_schedule_taint_update(const Node& node);
// Applies an update to a taint list: removes by (key, effect), then adds those not present.
void apply_taint_update(std::vector<Taint>& taints, const TaintUpdate& update);

// upstream processTaintBaseEviction, given the Ready status observed at the start of the
// pass.
enum class TaintEvictionAction : std::uint8_t {
  kNone,
  kSwapToNotReady,     // has unreachable:NoExecute, Ready False: swap at once (no limiter)
  kSwapToUnreachable,  // has not-ready:NoExecute, Ready Unknown: swap at once
  kQueueForTainting,   // add the node to its zone's ZoneTaintQueue
  kMarkReachable,      // Ready True: remove both NoExecute taints, drop from the queue
};
TaintEvictionAction taint_eviction_action(const Node& node, ConditionStatus observed_ready);

// The NoExecute taint for a Ready status: False -> not-ready, Unknown -> unreachable
// (TimeAdded = now), with the opposite one to remove; nullopt when Ready is True (or
// absent: upstream retries later).
std::optional<TaintUpdate> no_execute_taint_update(const Node& node, sim::Time now);

// Pods on the node are marked Ready=False (upstream MarkPodsNotReady) on the pass where
// Ready leaves True (upstream retries later passes only after a failed attempt).
bool should_mark_pods_not_ready(ConditionStatus observed_ready,
                                const std::optional<Condition>& current_ready);
bool should_mark_pods_not_ready(ConditionStatus observed_ready,
                                std::optional<ConditionStatus> current_ready);

// ---- Zones ------------------------------------------------------------------------------------

// upstream GetZoneKey: region + ":\0:" + zone (beta labels first), "" when both are empty.
std::string zone_key(const Node& node);
// The node carries node.kubernetes.io/exclude-disruption.
bool excluded_from_disruption_checks(const Node& node);

enum class ZoneState : std::uint8_t { kInitial, kNormal, kPartialDisruption, kFullDisruption };
std::string_view to_string(ZoneState state);

// upstream ComputeZoneState: no Ready node (and some not) -> FullDisruption; more than 2
// not Ready and a not-Ready fraction >= threshold -> PartialDisruption; else Normal.
ZoneState compute_zone_state(std::int32_t ready, std::int32_t not_ready,
                             double unhealthy_zone_threshold = 0.55);

// The NoExecute tainting rate of a zone in that state (upstream setLimiterInZone):
// Normal -> evictionLimiterQPS; PartialDisruption -> secondary QPS when the zone has more
// than largeClusterSizeThreshold nodes, else 0; FullDisruption -> evictionLimiterQPS (the
// whole-cluster case stops everything, see DisruptionTracker); Initial -> the primary QPS.
double zone_eviction_qps(ZoneState state, std::int32_t zone_size,
                         const NodeLifecycleConfig& config = {});

// upstream RateLimitedTimedQueue over a UniqueQueue, with a flowcontrol token bucket of
// burst 1: node names ordered by when they may be processed; each processed item takes one
// token (TryAccept; QPS 0 never accepts). A name that was processed stays "seen" and is
// not added again until remove() (markNodeAsReachable, or markNodeForTainting when the
// taint has gone) forgets it.
class ZoneTaintQueue {
 public:
  explicit ZoneTaintQueue(double qps = 0.1, sim::Time now = 0);

  // Adds a node unless it was added and not removed since; returns whether it was added.
  bool add(std::string node_name, sim::Time now);
  // Forgets a node (queued or seen); returns whether it was known.
  bool remove(std::string_view node_name);
  bool queued(std::string_view node_name) const;
  std::size_t size() const { return queue_.size(); }

  // upstream SwapLimiter: a new bucket (drained when the old one had no token).
  void swap_limiter(double qps, sim::Time now);
  double qps() const { return qps_; }

  // upstream Try: while the head item is due and a token is available, call fn(name); fn
  // returns true when done (the item leaves the queue, still "seen") or false to retry 50 ms
  // (+1 ns) later. Returns the names fn completed, in order.
  template <typename Fn>
  std::vector<std::string> try_process(sim::Time now, Fn&& fn) {
    std::vector<std::string> done;
    while (!queue_.empty()) {
      if (!try_accept(now)) break;
      if (now < queue_.front().process_at) break;
      Item item = std::move(queue_.front());
      queue_.pop_front();
      if (fn(std::string_view(item.name))) {
        done.push_back(std::move(item.name));
      } else {
        item.process_at = now + kRetryWait + 1;
        insert(std::move(item));
      }
    }
    return done;
  }

  static constexpr sim::Duration kRetryWait = sim::milliseconds(50);

 private:
  struct Item {
    std::string name;
    sim::Time process_at;
    std::uint64_t seq;
  };
  bool try_accept(sim::Time now);
  void insert(Item item);
  std::deque<Item> queue_;         // ordered by (process_at, seq)
  std::vector<std::string> seen_;  // sorted
  std::uint64_t next_seq_ = 0;
  double qps_;
  std::optional<TokenBucket> limiter_;  // nullopt: never accepts (QPS 0)
};

// upstream markNodeForTainting: forgets the node first when it lacks the NoExecute taint
// for its Ready status (so it is queued again), then adds it. Returns whether it was added.
bool mark_node_for_tainting(ZoneTaintQueue& queue, const Node& node, ConditionStatus ready,
                            sim::Time now);

// Zone bookkeeping of handleDisruption: remembers each zone's state, keeps a
// ZoneTaintQueue per zone at the right rate, and reports the whole-cluster transitions the
// runtime must act on.
class DisruptionTracker {
 public:
  explicit DisruptionTracker(NodeLifecycleConfig config = {}) : config_(config) {}

  // upstream addPodEvictorForNewZone: a zone seen for the first time starts in Initial
  // with a queue at evictionLimiterQPS.
  void ensure_zone(const std::string& zone, sim::Time now);

  struct Result {
    // Every zone is fully disrupted now and was not before: the runtime removes the
    // NoExecute taints from every node (markNodeAsReachable) — evictions stop.
    bool entered_full_disruption = false;
    // Leaving that mode: the runtime sets every node's probe and ready-transition
    // timestamps to now.
    bool exited_full_disruption = false;
  };
  // upstream handleDisruption. `ready_by_zone`: per zone key, the current Ready status of
  // each node not excluded from disruption checks (nullopt: no Ready condition, counted as
  // not ready). Zones absent from the map are forgotten.
  Result handle_disruption(
      const std::map<std::string, std::vector<std::optional<ConditionStatus>>>& ready_by_zone,
      sim::Time now);

  ZoneState state(const std::string& zone) const;
  ZoneTaintQueue* queue(const std::string& zone);
  const std::map<std::string, ZoneState>& states() const { return states_; }

 private:
  NodeLifecycleConfig config_;
  std::map<std::string, ZoneState> states_;
  std::map<std::string, ZoneTaintQueue> queues_;
};

}  // namespace kubesim::models
