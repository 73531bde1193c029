// A Karpenter-style node provisioner as decision logic: for pending pods, launch the
// cheapest new nodes that fit them; consolidate (delete empty nodes, delete a node whose
// pods fit elsewhere, or replace it by a cheaper type) after a consolidation delay.
//
// Karpenter (kubernetes-sigs/karpenter v1, docs at karpenter.sh/docs/concepts/):
//   scheduling / provisioning  pending pods are batched, sorted by decreasing CPU then memory,
//                              put on existing and in-flight capacity first, then on new
//                              NodeClaims; each NodeClaim launches the cheapest instance type
//                              (offering) that fits its pods (price-capacity-optimized).
//   disruption                 consolidation runs one method at a time: empty nodes (all
//                              deleted at once), then multi-node, then single-node
//                              consolidation; a single node is deleted when its pods fit on
//                              other nodes, or replaced by one cheaper node when they fit on
//                              other nodes plus that node. Spot nodes are only deleted, not
//                              replaced, unless the SpotToSpotConsolidation feature gate is on.
//                              consolidateAfter (NodePool spec.disruption, default 0s) is how
//                              long after the last pod was added to or removed from a node it
//                              becomes a candidate. karpenter.sh/do-not-disrupt and PDBs block.
//
// Our packing heuristic ("cheapest type per remaining batch", first-fit decreasing): pods
// that no existing or in-flight node can take are sorted by decreasing CPU, then memory. While
// some remain, every offering is tried as one new node filled first-fit in that order,
// starting with the largest remaining pod; the offering with the lowest price per pod placed
// wins (ties: lower price, then name) and the node is launched with those pods. A pod no
// offering fits is left pending. Real Karpenter instead grows a NodeClaim while any allowed
// type still fits and then launches the cheapest type fitting the claim; the two agree when
// prices grow linearly with size, and ours avoids launching one large node where two small
// ones are cheaper. Multi-node consolidation is not modelled (see docs/node-autoscaling.md).
//
// Fit is decided by the scheduler's Filter plugins through FilterSimulator (taints,
// affinity, the karpenter.sh/capacity-type label the template nodes carry, resources).
// Nodes are Karpenter's when their kubesim.io/node-pool label names an offering.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "models/node_pool.hpp"
#include "models/scheduler_framework.hpp"
#include "policies/cluster_autoscaler.hpp"
#include "sim/time.hpp"

namespace kubesim::policies {

inline constexpr std::string_view kLabelCapacityType = "karpenter.sh/capacity-type";

// One instance type in one capacity type (Karpenter's offering).
struct KarpenterOffering {
  models::NodePool
      pool;  // the node template; pool.name is the offering id, cost_per_hour its price
  bool spot = false;
  const std::string& name() const { return pool.name; }
  double price() const { return pool.cost_per_hour; }
};

enum class ConsolidationPolicy : std::uint8_t { kWhenEmpty, kWhenEmptyOrUnderutilized };

struct KarpenterOptions {
  ConsolidationPolicy consolidation_policy = ConsolidationPolicy::kWhenEmptyOrUnderutilized;
  sim::Duration consolidate_after = 0;      // spec.disruption.consolidateAfter
  bool spot_to_spot_consolidation = false;  // feature gate SpotToSpotConsolidation
  // A launched node that has not registered after this long is given up (Karpenter's
  // NodeClaim registration TTL, 15m).
  sim::Duration registration_ttl = 15 * sim::kMinute;
  std::int32_t max_nodes = 0;  // spec.limits as a node count; 0: none
};

struct KarpenterView {
  const models::sched::Snapshot* nodes = nullptr;  // registered nodes with their pods
  std::span<const std::shared_ptr<const models::sched::PodInfo>> pending_pods;
  std::function<std::optional<bool>(const models::Pod&)> pdb_allows_eviction;
};

struct KarpenterLaunch {
  std::string offering;
  double price_per_hour = 0;
  std::vector<std::string> pods;  // namespace/name of the pods it is for
};

struct KarpenterActions {
  enum class Kind : std::uint8_t { kEmpty, kDelete, kReplace };
  struct Consolidation {
    Kind kind = Kind::kEmpty;
    std::vector<std::string> nodes;  // to drain and delete
    std::string replacement;         // kReplace: the offering to launch first
    double savings_per_hour = 0;
  };
  std::vector<KarpenterLaunch> launches;
  std::optional<Consolidation> consolidation;
  std::vector<std::string> unschedulable;  // pods no offering can take
  std::vector<std::string> reasons;
};
std::string_view to_string(KarpenterActions::Kind kind);  // "Empty", "Delete", "Replace"

// The packing heuristic above on `work` (existing and in-flight nodes). The launched nodes'
// template nodes are left in `work` with their pods. `unschedulable` gets the pods no
// offering fits.
std::vector<KarpenterLaunch> provision(
    FilterSimulator& filter, models::sched::Snapshot& work,
    std::span<const KarpenterOffering> offerings,
    std::span<const std::shared_ptr<const models::sched::PodInfo>> pods, std::int32_t max_new_nodes,
    std::vector<std::string>* unschedulable = nullptr);

class KarpenterProvisioner {
 public:
  KarpenterProvisioner(std::vector<KarpenterOffering> offerings, KarpenterOptions options,
                       std::unique_ptr<FilterSimulator> filter);

  // One provisioning and disruption pass at `now`. REQUIRES: view.nodes non-null.
  KarpenterActions step(sim::Time now, const KarpenterView& view);

  // Launched, not yet registered nodes of an offering.
  std::int32_t in_flight(std::string_view offering) const;
  const std::vector<KarpenterOffering>& offerings() const { return offerings_; }

 private:
  const KarpenterOffering* offering_of(const models::Node& node) const;
  void consolidate(sim::Time now, models::sched::Snapshot& work, const KarpenterView& view,
                   KarpenterActions& actions);

  std::vector<KarpenterOffering> offerings_;
  KarpenterOptions options_;
  std::unique_ptr<FilterSimulator> filter_;
  std::map<std::string, std::shared_ptr<const models::Node>, std::less<>> templates_;
  // Per offering: nodes expected (registered + launched), and launch times not yet matched
  // by a registration, oldest first.
  std::map<std::string, std::int32_t, std::less<>> expected_;
  std::map<std::string, std::vector<sim::Time>, std::less<>> launches_;
  // Per node: the pods last seen on it and when that set last changed (consolidateAfter).
  struct NodeHistory {
    std::vector<std::string> pods;
    sim::Time changed = 0;
  };
  std::map<std::string, NodeHistory, std::less<>> history_;
  std::map<std::string, std::string, std::less<>> deleting_;  // node -> offering
};

}  // namespace kubesim::policies
