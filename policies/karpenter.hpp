// A Karpenter-style node provisioner as decision logic: for pending pods, launch the
// cheapest new nodes that fit them; consolidate (delete empty nodes, delete a node whose
// pods fit elsewhere, or replace it by a cheaper type) after a consolidation delay.
//
// Karpenter (kubernetes-sigs/karpenter v1, docs at karpenter.sh/docs/concepts/):
//   scheduling / provisioning  pending pods are batched, sorted by decreasing CPU then memory,
//                              put on existing and in-flight capacity first, then on new
//                              NodeClaims; each NodeClaim launches the cheapest instance type
//                              (offering) that fits its pods (price-capacity-optimized).
//   disruption                 (pkg/controllers/disruption) one method acts per loop, tried in
//                              order: Emptiness (every empty candidate), multi-node
//                              consolidation (the longest prefix, found by binary search, of up
//                              to 100 candidates sorted by disruption cost whose pods fit on the
//                              other nodes plus at most one new node cheaper than the prefix),
//                              single-node consolidation (the first candidate, by disruption
//                              cost, that can be deleted or replaced by one cheaper node). A
//                              command is acted on only after consolidationTTL (15 s) and a
//                              re-validation (candidates still candidates, within the budgets,
//                              the simulation still yields the same kind of command); a failed
//                              validation abandons it. NodePool disruption budgets (default
//                              nodes: 10%) cap the nodes disrupted at once per reason. Spot
//                              nodes are not replaced by spot unless SpotToSpotConsolidation.
//                              consolidateAfter (NodePool spec.disruption, default 0s) is how
//                              long after the last pod was added to or removed from a node it
//                              becomes a candidate. karpenter.sh/do-not-disrupt and PDBs block.
//   expiration                 a node older than expireAfter (default 720h) is deleted at once,
//                              outside the budgets and without a replacement
//                              (pkg/controllers/nodeclaim/expiration).
// Packing (KarpenterPacking), for the pods no existing or in-flight node can take, sorted by
// decreasing CPU, then memory (the scheduler's queue order):
//   kNodeClaims (default; pkg/controllers/provisioning/scheduling/scheduler.go Solve): each
//     pod goes to the first new NodeClaim, fewest pods first, that some offering can still
//     hold with all its pods (NodeClaim.Add narrows the claim's offerings to those); else a
//     new claim with every offering. A claim thus grows while any offering fits, and
//     launches the cheapest offering that holds all its pods (the cloud provider's
//     lowest-price choice among the claim's instance types). A batch ends up on few, large
//     nodes; consolidation later replaces them where smaller ones are cheaper.
//   kCheapestPerPod (kubesim's alternative): while pods remain, every offering is tried as
//     one new node filled first-fit, starting with the largest remaining pod; the offering
//     with the lowest price per pod placed wins (ties: lower price, then name). It avoids
//     one large node where several small ones are cheaper.
// A pod no offering fits is left pending.
//
// NodePools: each has its offerings, spec.weight and its own disruption settings, limits and
// maxNodes. A new claim opens in the first NodePool, highest weight first, that can take the
// pod (scheduler.go tries the NodeClaim templates in weight order); budgets and
// consolidationPolicy apply per NodePool; a consolidation's replacement comes from the
// first NodePool, by weight, that takes the largest pod left, and only its offerings are
// priced against the candidates. Template and launched nodes carry karpenter.sh/nodepool.
// Fit is decided by the scheduler's Filter plugins through FilterSimulator (taints,
// affinity, the karpenter.sh/capacity-type label the template nodes carry, resources).
// Nodes are Karpenter's when their kubesim.io/node-pool label names an offering; their
// NodePool is that offering's.
// Not thread-safe.
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

#include "models/node_pool.hpp"
#include "models/scheduler_framework.hpp"
#include "policies/cluster_autoscaler.hpp"
#include "sim/cron.hpp"
#include "sim/time.hpp"

namespace kubesim::policies {

inline constexpr std::string_view kLabelCapacityType = "karpenter.sh/capacity-type";
inline constexpr std::string_view kLabelKarpenterNodePool = "karpenter.sh/nodepool";

// One instance type in one capacity type (Karpenter's offering).
struct KarpenterOffering {
  models::NodePool
      pool;  // the node template; pool.name is the offering id, cost_per_hour its price
  bool spot = false;
  const std::string& name() const { return pool.name; }
  double price() const { return pool.cost_per_hour; }
};

enum class ConsolidationPolicy : std::uint8_t { kWhenEmpty, kWhenEmptyOrUnderutilized };
enum class KarpenterPacking : std::uint8_t { kNodeClaims, kCheapestPerPod };

// The reasons a disruption budget can name (NodePool spec.disruption.budgets[].reasons).
enum class DisruptionReason : std::uint8_t { kEmpty, kDrifted, kUnderutilized };
std::string_view to_string(DisruptionReason reason);  // "Empty", "Drifted", "Underutilized"

// One NodePool disruption budget: at most `nodes` (a count, or a percentage of the NodePool's
// nodes rounded up) disrupted at once for the listed reasons (all reasons when empty).
struct DisruptionBudget {
  std::int32_t nodes = 10;
  bool percent = true;
  std::vector<DisruptionReason> reasons;
  // schedule and duration: the budget is active only for `duration` from each time the
  // schedule fires (UTC); without a schedule it is always active.
  std::optional<sim::CronSchedule> schedule;
  sim::Duration duration = 0;
  // upstream Budget.IsActive: the schedule's next firing after (now − duration) is not
  // after now. `unix_now` is calendar time, nanoseconds since the Unix epoch.
  bool active(std::int64_t unix_now) const;
};

// The disruption budgets of one NodePool (upstream BuildDisruptionBudgetMapping): the allowed
// count for a reason is the smallest over the active budgets naming it (at calendar time
// `unix_now`, ns since the Unix epoch), and the nodes already disrupting (not Ready, or being
// deleted) come off it. No active budget: no limit.
// REQUIRES: percentages within 0..100.
std::int32_t allowed_disruptions(std::span<const DisruptionBudget> budgets, DisruptionReason reason,
                                 std::int32_t nodes, std::int32_t disrupting,
                                 std::int64_t unix_now = 0);

// A candidate's disruption cost (pkg/utils/disruption): Σ over its pods of
// clamp(1 + pod-deletion-cost / 2^27 + priority / 2^25, −10, 10), times the fraction of its
// lifetime left, clamp((expireAfter − age) / expireAfter, 0, 1) (1 without expireAfter).
double eviction_cost(const models::Pod& pod);
double disruption_cost(const models::sched::NodeInfo& node, sim::Time now,
                       std::optional<sim::Duration> expire_after);

// upstream consolidationTTL: a command is re-validated this long after it was computed.
inline constexpr sim::Duration kConsolidationTtl = 15 * sim::kSecond;
// upstream multinodeconsolidation.go: at most this many candidates in one command.
inline constexpr std::int32_t kMaxMultiNodeCandidates = 100;

// One NodePool's own settings: spec.disruption, spec.limits, spec.template.spec.expireAfter.
struct KarpenterNodePoolOptions {
  ConsolidationPolicy consolidation_policy = ConsolidationPolicy::kWhenEmptyOrUnderutilized;
  // spec.disruption.consolidateAfter; nullopt ("Never"): no consolidation at all.
  std::optional<sim::Duration> consolidate_after = 0;
  // spec.disruption.budgets (default: one budget of 10 % for every reason).
  std::vector<DisruptionBudget> budgets = {DisruptionBudget{}};
  // spec.template.spec.expireAfter (default 720h); nullopt ("Never"): nodes do not expire.
  std::optional<sim::Duration> expire_after = 720 * sim::kHour;
  std::int32_t max_nodes = 0;  // a cap on the NodePool's nodes; 0: none
  // NodePool spec.limits: the most of each named resource (cpu in millicores, memory in
  // bytes, nvidia.com/gpu...) the NodePool's nodes may have in total, counted on their
  // capacity, launches in flight included. Unset: none.
  std::optional<models::ResourceList> limits;
  // spec.template.spec.terminationGracePeriod: how long a drain of its nodes may take (read
  // by the driver, experiments/node_autoscaling); none: evictions are retried without end.
  std::optional<sim::Duration> termination_grace_period;
  // When the NodePool's template changes (a new image, labels, taints...), ascending: from
  // each such time on, its nodes created before it are Drifted (static drift).
  std::vector<sim::Time> template_updates;
};

// The settings of the whole controller.
struct KarpenterControllerOptions {
  bool spot_to_spot_consolidation = false;  // feature gate SpotToSpotConsolidation
  // A launched node that has not registered after this long is given up (Karpenter's
  // NodeClaim registration TTL, 15m).
  sim::Duration registration_ttl = 15 * sim::kMinute;
  KarpenterPacking packing = KarpenterPacking::kNodeClaims;
  // The calendar time of simulation time 0, ns since the Unix epoch (budget schedules).
  std::int64_t start_time_unix_ns = 0;
  // The provisioning loop period (the caller's); a node a pending pod was nominated to stays
  // nominated for twice this, at least 10 s (upstream nominationWindow).
  sim::Duration batch_max_duration = 10 * sim::kSecond;
};

// Both, for the single-NodePool constructor.
struct KarpenterOptions : KarpenterNodePoolOptions, KarpenterControllerOptions {};

// One NodePool: its instance types (offerings), weight and settings. Nodes launched for it
// carry the label karpenter.sh/nodepool: <name>.
struct KarpenterNodePool {
  std::string name = "default";
  std::int32_t weight = 0;  // spec.weight: higher is tried first by the scheduler
  std::vector<KarpenterOffering> offerings;
  KarpenterNodePoolOptions options;
};

struct KarpenterView {
  const models::sched::Snapshot* nodes = nullptr;  // registered nodes with their pods
  std::span<const std::shared_ptr<const models::sched::PodInfo>> pending_pods;
  std::function<std::optional<bool>(const models::Pod&)> pdb_allows_eviction;
};

struct KarpenterLaunch {
  std::string offering;
  std::string node_pool;  // the NodePool it is launched for
  double price_per_hour = 0;
  std::vector<std::string> pods;  // namespace/name of the pods it is for
};

struct KarpenterActions {
  enum class Kind : std::uint8_t { kEmpty, kDelete, kReplace };
  enum class Method : std::uint8_t { kEmptiness, kDrift, kMultiNode, kSingleNode };
  // A disruption command (consolidation or drift).
  struct Consolidation {
    Kind kind = Kind::kEmpty;
    std::vector<std::string> nodes;  // to drain and delete
    // kReplace: the offerings to launch first, one node each (one for a consolidation, as
    // many as the pods need for drift).
    std::vector<std::string> replacements;
    double savings_per_hour = 0;
    Method method = Method::kEmptiness;
  };
  std::vector<KarpenterLaunch> launches;
  // A command to act on now: a consolidation that passed its validation, or a drift
  // replacement (not validated, as upstream's eventual disruption).
  std::optional<Consolidation> consolidation;
  // Nodes past expireAfter: delete them now (no budget, no replacement).
  std::vector<std::string> expired;
  // A command was computed or abandoned this pass (for counting).
  bool consolidation_computed = false;
  bool consolidation_abandoned = false;
  // When the provisioner wants its next pass (a command's validation time), if sooner than
  // the caller's loop.
  std::optional<sim::Time> revisit_at;
  std::vector<std::string> unschedulable;  // pods no offering can take
  std::vector<std::string> reasons;
};
std::string_view to_string(KarpenterActions::Kind kind);  // "Empty", "Delete", "Replace"
// "Emptiness", "Drift", "MultiNodeConsolidation", "SingleNodeConsolidation"
std::string_view to_string(KarpenterActions::Method method);

// What a NodePool's spec.limits still allow (scheduler.go remainingResources): an offering
// fits when its capacity is within what is left of every limited resource; a new node takes
// its capacity (a NodeClaim the largest capacity among its offerings, subtractMax).
class KarpenterLimitsLeft {
 public:
  KarpenterLimitsLeft(const models::ResourceList& limits, const models::ResourceList& used);
  bool fits(const models::ResourceList& capacity) const;
  void take(const models::ResourceList& capacity);

 private:
  std::vector<std::pair<std::string, std::int64_t>> left_;
};

// New nodes for `pods` by `packing` (above), within `limits_left` when given, on `work` (existing
// and in-flight nodes). The launched nodes' template nodes are left in `work` with their pods. At
// most `max_new_nodes` (< 0: no limit); `unschedulable` gets the pods left pending.
std::vector<KarpenterLaunch> provision(
    FilterSimulator& filter, models::sched::Snapshot& work,
    std::span<const KarpenterOffering> offerings,
    std::span<const std::shared_ptr<const models::sched::PodInfo>> pods, std::int32_t max_new_nodes,
    std::vector<std::string>* unschedulable = nullptr,
    KarpenterPacking packing = KarpenterPacking::kNodeClaims,
    const KarpenterLimitsLeft* limits_left = nullptr);

// One NodePool as the provisioning scheduler sees it.
struct ProvisioningPool {
  std::string_view name;
  std::span<const KarpenterOffering> offerings;
  std::int32_t max_new_nodes = -1;              // < 0: no limit
  const KarpenterLimitsLeft* limits = nullptr;  // what its spec.limits leave; null: none
};

// The same over several NodePools in `pools`' order (highest weight first: upstream
// scheduler.go tries the NodeClaim templates in that order). With kNodeClaims a pod joins an
// open claim of any NodePool, else the first NodePool one of whose offerings can take it
// starts a claim; with kCheapestPerPod each new node comes from the first NodePool that can
// take the largest remaining pod.
std::vector<KarpenterLaunch> provision(
    FilterSimulator& filter, models::sched::Snapshot& work, std::span<const ProvisioningPool> pools,
    std::span<const std::shared_ptr<const models::sched::PodInfo>> pods,
    std::vector<std::string>* unschedulable, KarpenterPacking packing);

class KarpenterProvisioner {
 public:
  // One NodePool, "default", with `options`' NodePool settings.
  KarpenterProvisioner(std::vector<KarpenterOffering> offerings, KarpenterOptions options,
                       std::unique_ptr<FilterSimulator> filter);
  // Several NodePools. REQUIRES: unique NodePool names, and every offering (pool) in one
  // NodePool only.
  KarpenterProvisioner(std::vector<KarpenterNodePool> node_pools,
                       KarpenterControllerOptions options, std::unique_ptr<FilterSimulator> filter);

  // One provisioning and disruption pass at `now`. REQUIRES: view.nodes non-null.
  KarpenterActions step(sim::Time now, const KarpenterView& view);

  // Launched, not yet registered nodes of an offering.
  std::int32_t in_flight(std::string_view offering) const;
  // The caller gave up deleting `node` (a Replace whose replacement never became Ready): it
  // is a candidate again.
  void cancel_deletion(std::string_view node);
  // Every NodePool's offerings.
  const std::vector<KarpenterOffering>& offerings() const { return offerings_; }
  // The NodePool an offering belongs to ("" when none does).
  std::string_view node_pool_of(std::string_view offering) const;
  // The NodePools, highest weight first (ties by name).
  const std::vector<KarpenterNodePool>& node_pools() const { return node_pools_; }

 private:
  struct Candidate;
  using Consolidation = KarpenterActions::Consolidation;
  const KarpenterOffering* offering_of(const models::Node& node) const;
  // The index in node_pools_ of the NodePool of `offering` (one of offerings_).
  std::size_t pool_index(const KarpenterOffering& offering) const;
  const KarpenterNodePoolOptions& pool_options(const KarpenterOffering& offering) const {
    return node_pools_[pool_index(offering)].options;
  }
  // The consolidation candidates in disruption-cost order, and the nodes pods may move to.
  std::vector<Candidate> candidates(sim::Time now, models::sched::Snapshot& work,
                                    const KarpenterView& view,
                                    std::set<std::string, std::less<>>& destinations) const;
  // Budget left for `reason` per NodePool (node_pools_ order): its allowed disruptions less
  // its nodes disrupting.
  std::vector<std::int32_t> budgets(const models::sched::Snapshot& work, DisruptionReason reason,
                                    sim::Time now) const;
  // " (NodePool NAME)" when there are several, for the reasons.
  std::string pool_suffix(std::size_t pool) const;
  // Simulates removing `set` (computeConsolidation): Delete when every pod fits on the
  // destinations, Replace when the rest fit one new node cheaper than the set (the
  // acceptable offerings in `options`, cheapest first), nullopt otherwise.
  std::optional<Consolidation> simulate(models::sched::Snapshot& work,
                                        std::span<const Candidate* const> set,
                                        const std::set<std::string, std::less<>>& destinations,
                                        std::vector<const KarpenterOffering*>* options) const;
  // Drift (drift.go): `c`'s pods rescheduled on the other destinations and, for the rest,
  // new nodes from the NodePools; nullopt when some pod would stay pending.
  std::optional<Consolidation> simulate_drift(
      const models::sched::Snapshot& work, const Candidate& c,
      const std::set<std::string, std::less<>>& destinations, KarpenterActions& actions) const;
  // What the NodePools leave for new nodes given the registered `nodes` and the launches in
  // flight: per NodePool, its limits left (in `limits`, which `pools` point into) and
  // maxNodes left.
  void provisioning_pools(const models::sched::Snapshot& nodes,
                          std::vector<std::optional<KarpenterLimitsLeft>>& limits,
                          std::vector<ProvisioningPool>& pools) const;
  std::optional<Consolidation> compute(sim::Time now, models::sched::Snapshot& work,
                                       const KarpenterView& view, int first_method,
                                       KarpenterActions& actions) const;
  bool validate(sim::Time now, models::sched::Snapshot& work, const KarpenterView& view,
                KarpenterActions& actions) const;
  void consolidate(sim::Time now, models::sched::Snapshot& work, const KarpenterView& view,
                   bool settled, KarpenterActions& actions);
  void act(sim::Time now, Consolidation command, KarpenterActions& actions);

  std::vector<KarpenterNodePool> node_pools_;  // highest weight first
  std::vector<KarpenterOffering> offerings_;   // every NodePool's, in node_pools_ order
  std::vector<std::size_t> offering_pool_;     // offerings_[i]'s index in node_pools_
  KarpenterControllerOptions options_;
  std::unique_ptr<FilterSimulator> filter_;
  std::map<std::string, std::shared_ptr<const models::Node>, std::less<>> templates_;
  // Per offering: nodes expected (registered + launched), and launch times not yet matched
  // by a registration, oldest first.
  std::map<std::string, std::int32_t, std::less<>> expected_;
  std::map<std::string, std::vector<sim::Time>, std::less<>> launches_;
  // Per node: the pods last seen on it (sorted), those of them seen terminating, and its
  // last pod event (consolidateAfter; upstream LastPodEventTime).
  struct NodeHistory {
    std::vector<std::string> pods;
    std::vector<std::string> terminating;
    sim::Time changed = 0;
  };
  std::map<std::string, NodeHistory, std::less<>> history_;
  std::set<std::string, std::less<>> deleting_;  // nodes told to go
  // Nodes a pending pod is expected to land on (state.Cluster NominateNodeForPod), until
  // when: not disruption candidates meanwhile.
  std::map<std::string, sim::Time, std::less<>> nominated_until_;
  // Nodes that have been Ready (Karpenter's Initialized condition: it stays).
  std::set<std::string, std::less<>> initialized_;
  // The command waiting for its validation at validating_->at + kConsolidationTtl.
  struct Pending {
    Consolidation command;
    std::vector<std::string> options;  // kReplace: the acceptable offerings when computed
    sim::Time at = 0;
  };
  std::optional<Pending> validating_;
};

}  // namespace kubesim::policies
