// PodTopologySpread: kube-scheduler v1.34's spreading plugin (upstream
// pkg/scheduler/framework/plugins/podtopologyspread/{common,filtering,scoring,plugin}.go).
//
//   PreFilter/Filter  DoNotSchedule constraints: for every constraint, the matching pods in
//                     the node's domain + 1 (when the incoming pod matches its own selector)
//                     - the global minimum over eligible domains must be <= maxSkew; the
//                     minimum is 0 while fewer eligible domains exist than minDomains. A
//                     node without the topology key is UnschedulableAndUnresolvable.
//   AddPod/RemovePod  the PreFilter counts follow preemption's hypothetical changes.
//   PreScore/Score    ScheduleAnyway constraints (or, for a pod without constraints, the
//                     default constraints with the selectors of the Services/ReplicaSets/...
//                     that select it, PluginContext::owner_selectors): raw score
//                     Σ count × ln(#domains + 2) + maxSkew - 1, normalized so fewer matching
//                     pods score higher (score_math.hpp).
//
// Performance. Upstream counts the matching pods of every node in every PreFilter and
// PreScore. Here the per-node counts of one (namespace, selector) are cached across cycles
// (MatchingPodCounts: validated per node by the NodeInfo's address and generation, so only
// nodes that changed since the last cycle are recounted), and the node → domain mapping of
// a topology key is cached per Node object. Which nodes changed since an entry was last
// brought up to date comes from the Snapshot's change journal (Snapshot::changed_since),
// so a cycle touches only those nodes, not all of them; when the journal cannot tell (nodes
// added or removed, the Snapshot moved, or the entry further behind than the journal
// keeps) every node is compared again. The results are the same as upstream's.
//
// Determinism: domains are numbered in the order nodes are first seen; upstream walks Go
// maps, which only matters for which of several equal minima the critical paths remember
// (the minimum itself is the same).
//
// Not thread-safe (one plugin per Framework, used by one scheduler).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "models/scheduler_framework.hpp"
#include "models/selectors.hpp"
#include "policies/registry.hpp"
#include "policies/scheduler_profile.hpp"

namespace kubesim::policies {

struct TopologyKeyIndex;

// Per node of a Snapshot, how many pods of one namespace one selector matches (terminating
// pods excluded, upstream countPodsMatchSelector), and per topology domain the sums of those
// counts. Entries are kept for the most recently used selectors; refresh() walks the
// snapshot once per cycle and recounts only the nodes whose generation changed, updating
// the domain sums by difference.
class MatchingPodCounts {
 public:
  // Valid while the NodeInfo, its generation and its Node object are the same; holding the
  // Node keeps its address from being reused by another node while the slot refers to it.
  struct Slot {
    const models::sched::NodeInfo* node = nullptr;
    std::uint64_t generation = 0;
    std::shared_ptr<const models::Node> node_object;
    std::int32_t count = 0;
  };
  // Σ counts per value of one topology key over the nodes that have every `required` key
  // (upstream's TpValueToMatchNum / TopologyValueToPodCounts before inclusion policies).
  struct DomainSums {
    TopologyKeyIndex* index = nullptr;
    std::vector<TopologyKeyIndex*> required;  // sorted by address
    std::vector<std::int64_t> sums;           // by value id, nodes that have the key
    std::vector<std::int32_t> nodes;          // by value id, how many such nodes
    std::int64_t missing_sum = 0;             // included nodes without the key
    struct Contribution {
      bool included = false;
      bool has_key = false;
      std::int32_t value_id = -1;
      std::int32_t count = 0;
    };
    std::vector<Contribution> per_node;  // by node index
  };
  struct Entry {
    std::string key;
    std::string namespace_;
    models::LabelMatcher selector;
    std::uint64_t last_used = 0;
    std::vector<Slot> slots;  // by NodeInfo::index()
    std::vector<std::unique_ptr<DomainSums>> domains;
    std::vector<std::uint32_t> changed;  // refresh() scratch
    // The Snapshot (id) and its journal position the slots were last brought up to date at.
    std::uint64_t snapshot_id = 0;
    std::uint64_t journal_pos = 0;
    // Whether the selector matches a journal label set (JournalRecord::label_set): -1 not
    // known yet, 0 no, 1 yes; valid for memo_snapshot and memo_epoch.
    std::vector<std::int8_t> label_match;
    std::uint64_t memo_snapshot = 0;
    std::uint64_t memo_epoch = 0;
  };

  // The entry for (namespace, selector); `key` must identify the pair (namespace_ + '\n' +
  // selector.to_string(), plus a marker for nothing()).
  Entry& entry(const std::string& key, std::string_view namespace_,
               const models::LabelMatcher& selector);
  // The count on `node`, recounting when it changed (and updating the domain sums).
  static std::int32_t count(Entry& entry, const models::sched::NodeInfo& node);
  // Brings every node of the snapshot up to date: the nodes changed since the entry's last
  // refresh (Snapshot::changed_since), or, when the journal cannot tell, every node.
  static void refresh(Entry& entry, const models::sched::Snapshot& snapshot);
  // The domain sums of `index` over nodes having every key in `required`, created (from the
  // current slots) on first use. REQUIRES: refresh() was called this cycle.
  static const DomainSums& domain_sums(Entry& entry, const models::sched::Snapshot& snapshot,
                                       TopologyKeyIndex& index,
                                       std::vector<TopologyKeyIndex*> required);

  std::size_t size() const { return entries_.size(); }
  static constexpr std::size_t kMaxEntries = 64;

 private:
  std::vector<std::unique_ptr<Entry>> entries_;
  std::uint64_t clock_ = 0;
};

// The values of one topology key on the nodes, interned as small integers.
struct TopologyKeyIndex {
  std::string key;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::int32_t, Hash, std::equal_to<>> ids;  // never iterated
  std::vector<std::string> values;
  // Valid while the NodeInfo and its Node object are the same (pod changes do not matter).
  struct NodeSlot {
    const models::sched::NodeInfo* info = nullptr;
    std::shared_ptr<const models::Node> node;
    std::int32_t value_id = -1;  // the id of the node's value ("" when it lacks the key)
    bool has_key = false;
  };
  std::vector<NodeSlot> nodes;  // by NodeInfo::index()

  std::int32_t intern(std::string_view value);
  const NodeSlot& slot(const models::sched::NodeInfo& node);
  NodeSlot scratch_;  // slot() of a NodeInfo outside a Snapshot
};

// A constraint with its selector compiled (upstream topologySpreadConstraint).
struct SpreadConstraint {
  std::int32_t max_skew = 1;
  std::string topology_key;
  models::LabelMatcher selector;
  std::int32_t min_domains = 1;
  models::NodeInclusionPolicy node_affinity_policy = models::NodeInclusionPolicy::kHonor;
  models::NodeInclusionPolicy node_taints_policy = models::NodeInclusionPolicy::kIgnore;
  std::string cache_key;  // MatchingPodCounts key
};

class PodTopologySpread final : public models::sched::Plugin {
 public:
  static constexpr std::string_view kName = "PodTopologySpread";
  static constexpr std::string_view kErrConstraintsNotMatch =
      "node(s) didn't match pod topology spread constraints";
  static constexpr std::string_view kErrNodeLabelNotMatch =
      "node(s) didn't match pod topology spread constraints (missing required label)";

  PodTopologySpread(const PodTopologySpreadArgs& args, PluginContext context);
  std::string_view name() const override { return kName; }

  models::sched::PluginStatus pre_filter(models::sched::CycleState& state,
                                         const models::sched::PodInfo& pod,
                                         const models::sched::Snapshot& snapshot,
                                         models::sched::PreFilterResult& result) override;
  models::sched::PluginStatus add_pod(models::sched::CycleState& state,
                                      const models::sched::PodInfo& to_schedule,
                                      const models::sched::PodInfo& to_add,
                                      const models::sched::NodeInfo& node) override;
  models::sched::PluginStatus remove_pod(models::sched::CycleState& state,
                                         const models::sched::PodInfo& to_schedule,
                                         const models::sched::PodInfo& to_remove,
                                         const models::sched::NodeInfo& node) override;
  models::sched::PluginStatus filter(const models::sched::CycleState& state,
                                     const models::sched::PodInfo& pod,
                                     const models::sched::NodeInfo& node) override;
  models::sched::PluginStatus pre_score(
      models::sched::CycleState& state, const models::sched::PodInfo& pod,
      const models::sched::Snapshot& snapshot,
      std::span<const models::sched::NodeInfo* const> feasible) override;
  // Nodes PreScore ignored score kTopologySpreadIgnoredNode, which normalize_scores maps to 0.
  std::int64_t score(const models::sched::CycleState& state, const models::sched::PodInfo& pod,
                     const models::sched::NodeInfo& node) override;
  // The raw scores PreScore computed for the feasible nodes, looked up.
  void score_nodes(const models::sched::CycleState& state, const models::sched::PodInfo& pod,
                   std::span<const models::sched::NodeInfo* const> nodes,
                   std::span<std::int64_t> out) override;
  bool has_normalize() const override { return true; }
  void normalize_scores(const models::sched::CycleState& state, const models::sched::PodInfo& pod,
                        std::span<std::int64_t> scores) override;

  // The constraints of `pod` for one action (upstream getConstraints / initPreScoreState):
  // its own, or the default ones with the owners' selector when it has none. Exposed for tests.
  std::vector<SpreadConstraint> constraints_for(const models::Pod& pod, bool do_not_schedule) const;

  const MatchingPodCounts& counts_cache() const { return counts_; }

 private:
  TopologyKeyIndex& key_index(const std::string& key);

  std::vector<models::TopologySpreadConstraint> default_constraints_;
  bool system_defaulted_ = false;
  PluginContext context_;
  MatchingPodCounts counts_;
  std::vector<std::unique_ptr<TopologyKeyIndex>> key_indexes_;
};

// Builds the plugin from the profile's PodTopologySpreadArgs.
PluginFactory pod_topology_spread_factory();

}  // namespace kubesim::policies
