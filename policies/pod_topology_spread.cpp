#include "policies/pod_topology_spread.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include "models/taints.hpp"
#include "policies/score_math.hpp"

namespace kubesim::policies {

using models::LabelMatcher;
using models::NodeInclusionPolicy;
using models::Pod;
using models::UnsatisfiableConstraintAction;
using models::sched::CycleState;
using models::sched::NodeInfo;
using models::sched::PluginStatus;
using models::sched::PodInfo;
using models::sched::Snapshot;
using models::sched::StateData;

// ---- MatchingPodCounts ---------------------------------------------------------------------

MatchingPodCounts::Entry& MatchingPodCounts::entry(const std::string& key,
                                                   std::string_view namespace_,
                                                   const LabelMatcher& selector) {
  ++clock_;
  for (auto& e : entries_) {
    if (e->key == key) {
      e->last_used = clock_;
      return *e;
    }
  }
  if (entries_.size() >= kMaxEntries) {
    auto oldest =
        std::min_element(entries_.begin(), entries_.end(),
                         [](const auto& a, const auto& b) { return a->last_used < b->last_used; });
    entries_.erase(oldest);
  }
  auto e = std::make_unique<Entry>();
  e->key = key;
  e->namespace_ = std::string(namespace_);
  e->selector = selector;
  e->last_used = clock_;
  entries_.push_back(std::move(e));
  return *entries_.back();
}

namespace {

using DomainSums = MatchingPodCounts::DomainSums;

// upstream common.go, countPodsMatchSelector's test for one pod: terminating pods and other
// namespaces are not counted.
bool counts_toward(const MatchingPodCounts::Entry& entry, const PodInfo& info) {
  const Pod& p = *info.pod;
  return !entry.selector.matches_nothing() && !p.metadata.deletion_timestamp.has_value() &&
         p.metadata.namespace_ == entry.namespace_ && entry.selector.matches(p.metadata.labels);
}

void set_contribution(DomainSums& d, std::size_t index, const NodeInfo* node, std::int32_t count) {
  if (index >= d.per_node.size()) d.per_node.resize(index + 1);
  DomainSums::Contribution& c = d.per_node[index];
  if (c.included) {
    if (c.has_key) {
      d.sums[static_cast<std::size_t>(c.value_id)] -= c.count;
      --d.nodes[static_cast<std::size_t>(c.value_id)];
    } else {
      d.missing_sum -= c.count;
    }
  }
  c = {};
  if (node == nullptr) return;
  bool included = true;
  for (TopologyKeyIndex* r : d.required) included = included && r->slot(*node).has_key;
  if (!included) return;
  const TopologyKeyIndex::NodeSlot& ns = d.index->slot(*node);
  c.included = true;
  c.has_key = ns.has_key;
  c.value_id = ns.value_id;
  c.count = count;
  if (ns.has_key) {
    const auto v = static_cast<std::size_t>(ns.value_id);
    if (v >= d.sums.size()) {
      d.sums.resize(v + 1, 0);
      d.nodes.resize(v + 1, 0);
    }
    d.sums[v] += count;
    ++d.nodes[v];
  } else {
    d.missing_sum += count;
  }
}

}  // namespace

std::int32_t MatchingPodCounts::count(Entry& entry, const NodeInfo& node) {
  if (node.index() < 0) {
    // A NodeInfo outside any Snapshot: counted, not cached.
    std::int32_t n = 0;
    for (const auto& info : node.pods()) n += counts_toward(entry, *info) ? 1 : 0;
    return n;
  }
  const auto index = static_cast<std::size_t>(node.index());
  if (index >= entry.slots.size()) entry.slots.resize(index + 1);
  Slot& slot = entry.slots[index];
  if (slot.node == &node && slot.generation == node.generation() &&
      slot.node_object == node.node_ptr()) {
    return slot.count;
  }
  std::int32_t n = 0;
  if (!entry.selector.matches_nothing()) {
    for (const auto& info : node.pods()) n += counts_toward(entry, *info) ? 1 : 0;
  }
  slot.node = &node;
  slot.generation = node.generation();
  slot.node_object = node.node_ptr();
  slot.count = n;
  for (auto& d : entry.domains) set_contribution(*d, index, &node, n);
  return n;
}

void MatchingPodCounts::refresh(Entry& entry, const Snapshot& snapshot) {
  const auto nodes = snapshot.nodes();
  // Only the changes the Snapshot's journal records since the last refresh of this entry.
  // Every slot was exact at that position, or later (count() brings a slot to the node's
  // current generation): a record the slot already covers is skipped, the next one for the
  // node is applied as a ±1 on the count when its pod matches, and anything else (a Node
  // object replaced, a slot never filled) recounts the node.
  std::span<const models::sched::JournalRecord> changed;
  if (entry.snapshot_id == snapshot.id() && entry.slots.size() == nodes.size() &&
      snapshot.changed_since(entry.journal_pos, changed)) {
    if (entry.memo_snapshot != snapshot.id() || entry.memo_epoch != snapshot.label_epoch()) {
      entry.label_match.clear();
      entry.memo_snapshot = snapshot.id();
      entry.memo_epoch = snapshot.label_epoch();
    }
    for (const models::sched::JournalRecord& r : changed) {
      if (r.node == nullptr) continue;
      const NodeInfo& n = *r.node;
      const auto index = static_cast<std::size_t>(n.index());
      Slot& slot = entry.slots[index];
      if (slot.node == &n && r.generation <= slot.generation) continue;
      if (slot.node != &n || r.pod == nullptr || r.generation != slot.generation + 1) {
        count(entry, n);
        continue;
      }
      slot.generation = r.generation;
      // counts_toward(entry, *r.pod), answered from the record and the label-set memo so
      // that most records are applied without reading the pod.
      if (r.terminating) continue;
      if (r.label_set >= entry.label_match.size()) entry.label_match.resize(r.label_set + 1, -1);
      std::int8_t& match = entry.label_match[r.label_set];
      if (match < 0) match = counts_toward(entry, *r.pod) ? 1 : 0;
      if (match == 0) continue;
      slot.count += r.delta;
      for (auto& d : entry.domains) set_contribution(*d, index, &n, slot.count);
    }
    entry.journal_pos = snapshot.journal_end();
    return;
  }
  entry.snapshot_id = snapshot.id();
  entry.journal_pos = snapshot.journal_end();
  if (entry.slots.size() < nodes.size()) entry.slots.resize(nodes.size());
  // A tight first pass that only compares, so the loads of many nodes overlap; then the
  // (few) changed nodes are recounted.
  entry.changed.clear();
  const Slot* slots = entry.slots.data();
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const NodeInfo* n = nodes[i];
    const Slot& slot = slots[i];
    if ((slot.node != n) | (slot.generation != n->generation()) |
        (slot.node_object.get() != n->node_ptr().get())) {
      entry.changed.push_back(static_cast<std::uint32_t>(i));
    }
  }
  for (const std::uint32_t i : entry.changed) count(entry, *nodes[i]);
  if (entry.slots.size() > nodes.size()) {
    for (auto& d : entry.domains) {
      for (std::size_t i = nodes.size(); i < d->per_node.size(); ++i) {
        set_contribution(*d, i, nullptr, 0);
      }
      d->per_node.resize(std::min(d->per_node.size(), nodes.size()));
    }
    entry.slots.resize(nodes.size());
  }
}

const MatchingPodCounts::DomainSums& MatchingPodCounts::domain_sums(
    Entry& entry, const Snapshot& snapshot, TopologyKeyIndex& index,
    std::vector<TopologyKeyIndex*> required) {
  std::sort(required.begin(), required.end());
  required.erase(std::unique(required.begin(), required.end()), required.end());
  for (auto& d : entry.domains) {
    if (d->index == &index && d->required == required) return *d;
  }
  if (entry.domains.size() >= 8) entry.domains.erase(entry.domains.begin());
  auto d = std::make_unique<DomainSums>();
  d->index = &index;
  d->required = std::move(required);
  const auto nodes = snapshot.nodes();
  for (std::size_t i = 0; i < nodes.size() && i < entry.slots.size(); ++i) {
    set_contribution(*d, i, nodes[i], entry.slots[i].count);
  }
  entry.domains.push_back(std::move(d));
  return *entry.domains.back();
}

// ---- TopologyKeyIndex ----------------------------------------------------------------------

std::int32_t TopologyKeyIndex::intern(std::string_view value) {
  auto it = ids.find(value);
  if (it != ids.end()) return it->second;
  const auto id = static_cast<std::int32_t>(values.size());
  values.emplace_back(value);
  ids.emplace(std::string(value), id);
  return id;
}

const TopologyKeyIndex::NodeSlot& TopologyKeyIndex::slot(const NodeInfo& node) {
  if (node.index() < 0) {
    // A NodeInfo outside any Snapshot: not cached.
    const std::string* v = node.node().metadata.labels.find(key);
    scratch_ = {};
    scratch_.has_key = v != nullptr;
    scratch_.value_id = intern(v != nullptr ? std::string_view(*v) : std::string_view());
    return scratch_;
  }
  const auto index = static_cast<std::size_t>(node.index());
  if (index >= nodes.size()) nodes.resize(index + 1);
  NodeSlot& s = nodes[index];
  // The value depends on the Node object alone (pods do not change it): the slot holds the
  // object, so an equal pointer is the same object, whatever the node's generation.
  if (s.info == &node && s.node == node.node_ptr()) return s;
  const std::string* v = node.node().metadata.labels.find(key);
  s.info = &node;
  s.node = node.node_ptr();
  s.has_key = v != nullptr;
  // A node without the key maps to the "" domain, as upstream's node.Labels[key] does.
  s.value_id = intern(v != nullptr ? std::string_view(*v) : std::string_view());
  return s;
}

// ---- Constraints ---------------------------------------------------------------------------

namespace {

constexpr std::int64_t kMaxInt32 = std::numeric_limits<std::int32_t>::max();

models::TopologySpreadConstraint from_default(const DefaultTopologySpreadConstraint& d) {
  models::TopologySpreadConstraint c;
  c.max_skew = static_cast<std::int32_t>(d.max_skew);
  c.topology_key = d.topology_key;
  c.when_unsatisfiable = d.when_unsatisfiable == "ScheduleAnyway"
                             ? UnsatisfiableConstraintAction::kScheduleAnyway
                             : UnsatisfiableConstraintAction::kDoNotSchedule;
  if (d.min_domains) c.min_domains = static_cast<std::int32_t>(*d.min_domains);
  if (d.node_affinity_policy == "Honor") c.node_affinity_policy = NodeInclusionPolicy::kHonor;
  if (d.node_affinity_policy == "Ignore") c.node_affinity_policy = NodeInclusionPolicy::kIgnore;
  if (d.node_taints_policy == "Honor") c.node_taints_policy = NodeInclusionPolicy::kHonor;
  if (d.node_taints_policy == "Ignore") c.node_taints_policy = NodeInclusionPolicy::kIgnore;
  c.match_label_keys = d.match_label_keys;
  return c;
}

std::string cache_key(const std::string& namespace_, const LabelMatcher& selector) {
  std::string key = namespace_;
  key += '\n';
  key += selector.matches_nothing() ? std::string("\x01nothing") : selector.to_string();
  return key;
}

// upstream: common.go, filterTopologySpreadConstraints (MinDomains, NodeInclusionPolicy and
// MatchLabelKeys are GA or beta-on in v1.34, so their feature gates are taken as enabled).
sim::Result<std::vector<SpreadConstraint>> filter_constraints(
    const std::vector<models::TopologySpreadConstraint>& constraints,
    const models::Labels& pod_labels, UnsatisfiableConstraintAction action) {
  std::vector<SpreadConstraint> out;
  for (const auto& c : constraints) {
    if (c.when_unsatisfiable != action) continue;
    auto matcher = models::label_selector_as_matcher(c.label_selector);
    if (!matcher.ok()) return matcher.status();
    LabelMatcher selector = std::move(matcher).value();
    if (!c.match_label_keys.empty()) {
      models::Labels match_labels;
      for (const auto& key : c.match_label_keys) {
        if (const std::string* v = pod_labels.find(key)) match_labels.set(key, *v);
      }
      if (!match_labels.empty()) {
        // upstream mergeLabelSetWithSelector: Nothing() has no requirements to carry over.
        LabelMatcher merged = LabelMatcher::from_set(match_labels);
        if (!selector.matches_nothing()) {
          for (const auto& r : selector.requirements()) merged.add(r);
        }
        selector = std::move(merged);
      }
    }
    SpreadConstraint s;
    s.max_skew = c.max_skew;
    s.topology_key = c.topology_key;
    s.selector = std::move(selector);
    if (c.min_domains) s.min_domains = *c.min_domains;
    if (c.node_affinity_policy) s.node_affinity_policy = *c.node_affinity_policy;
    if (c.node_taints_policy) s.node_taints_policy = *c.node_taints_policy;
    out.push_back(std::move(s));
  }
  return out;
}

// Per node and pod: whether the node counts for a constraint (upstream
// matchNodeInclusionPolicies), evaluated lazily once per node.
class Inclusion {
 public:
  explicit Inclusion(const Pod& pod)
      : pod_(pod),
        affinity_(pod.spec.node_selector,
                  pod.spec.node_affinity ? pod.spec.node_affinity->required : std::nullopt),
        trivial_affinity_(pod.spec.node_selector.empty() &&
                          (!pod.spec.node_affinity || !pod.spec.node_affinity->required)) {}

  void reset() { affinity_state_ = taints_state_ = 0; }
  // Every node passes the constraint's inclusion policies (no per-node check needed).
  bool trivial(const SpreadConstraint& c) const {
    return (c.node_affinity_policy == NodeInclusionPolicy::kIgnore || trivial_affinity_) &&
           c.node_taints_policy == NodeInclusionPolicy::kIgnore;
  }
  bool matches(const SpreadConstraint& c, const models::Node& node) {
    if (c.node_affinity_policy == NodeInclusionPolicy::kHonor && !trivial_affinity_) {
      if (affinity_state_ == 0) {
        affinity_state_ = affinity_.matches(node.metadata.labels, node.metadata.name) ? 1 : 2;
      }
      if (affinity_state_ == 2) return false;
    }
    if (c.node_taints_policy == NodeInclusionPolicy::kHonor) {
      if (taints_state_ == 0) {
        taints_state_ = models::find_untolerated_taint(node.spec.taints, pod_.spec.tolerations,
                                                       models::kNoScheduleOrNoExecute) == nullptr
                            ? 1
                            : 2;
      }
      if (taints_state_ == 2) return false;
    }
    return true;
  }

 private:
  const Pod& pod_;
  models::RequiredNodeAffinity affinity_;
  bool trivial_affinity_;
  int affinity_state_ = 0;  // 0 unknown, 1 match, 2 no match
  int taints_state_ = 0;
};

// upstream: filtering.go, criticalPaths: the two domains with the fewest matching pods seen
// so far; [0] always holds the minimum.
struct CriticalPaths {
  struct Path {
    std::int32_t value_id = -1;
    std::int64_t num = kMaxInt32;
  };
  std::array<Path, 2> p{};
  void update(std::int32_t value_id, std::int64_t num) {
    int i = -1;
    if (value_id == p[0].value_id) {
      i = 0;
    } else if (value_id == p[1].value_id) {
      i = 1;
    }
    if (i >= 0) {
      p[static_cast<std::size_t>(i)].num = num;
      if (p[0].num > p[1].num) std::swap(p[0], p[1]);
    } else if (num < p[0].num) {
      p[1] = p[0];
      p[0] = {value_id, num};
    } else if (num < p[1].num) {
      p[1] = {value_id, num};
    }
  }
};

struct FilterConstraintState {
  TopologyKeyIndex* index = nullptr;    // owned by the plugin
  std::vector<std::int64_t> match_num;  // by value id (upstream TpValueToMatchNum)
  std::vector<std::uint8_t> present;    // the domain is in upstream's map
  std::int32_t domains = 0;
  CriticalPaths paths;

  void add(std::int32_t value_id, std::int64_t delta) {
    const auto v = static_cast<std::size_t>(value_id);
    if (v >= match_num.size()) {
      match_num.resize(v + 1, 0);
      present.resize(v + 1, 0);
    }
    match_num[v] += delta;
    if (!present[v]) {
      present[v] = 1;
      ++domains;
    }
  }
  std::int64_t num(std::int32_t value_id) const {
    const auto v = static_cast<std::size_t>(value_id);
    return v < match_num.size() ? match_num[v] : 0;
  }
};

class PreFilterState final : public StateData {
 public:
  std::shared_ptr<const std::vector<SpreadConstraint>> constraints;
  std::vector<FilterConstraintState> per;
  std::unique_ptr<StateData> clone() const override {
    return std::make_unique<PreFilterState>(*this);
  }
};

class PreScoreState final : public StateData {
 public:
  std::vector<SpreadConstraint> constraints;
  std::vector<TopologyKeyIndex*> indexes;
  std::vector<MatchingPodCounts::Entry*> entries;
  std::vector<double> weights;
  std::vector<std::vector<std::int64_t>> counts;       // by value id (non-hostname keys)
  std::vector<std::vector<std::uint8_t>> initialized;  // value id associated with a filtered node
  std::vector<std::uint8_t> ignored;                   // by node index
  std::vector<std::uint8_t> hostname;                  // by constraint: key is the hostname
  std::vector<std::int64_t> raw;                       // by node index: raw score (feasible)
  std::vector<std::uint8_t> raw_valid;
  std::unique_ptr<StateData> clone() const override {
    return std::make_unique<PreScoreState>(*this);
  }
};

bool is_hostname(const std::string& key) { return key == models::kLabelHostname; }

// `fresh`: the entries were refresh()ed this cycle and `node` is in the Snapshot, so its
// hostname counts are read from the slots without re-validation.
std::int64_t raw_score(const PreScoreState& s, const NodeInfo& node, bool fresh);

}  // namespace

PodTopologySpread::PodTopologySpread(const PodTopologySpreadArgs& args, PluginContext context)
    : context_(std::move(context)) {
  if (args.defaulting_type == TopologySpreadDefaulting::kSystem) {
    // upstream: plugin.go, systemDefaultConstraints.
    models::TopologySpreadConstraint host;
    host.topology_key = std::string(models::kLabelHostname);
    host.when_unsatisfiable = UnsatisfiableConstraintAction::kScheduleAnyway;
    host.max_skew = 3;
    models::TopologySpreadConstraint zone;
    zone.topology_key = std::string(models::kLabelZone);
    zone.when_unsatisfiable = UnsatisfiableConstraintAction::kScheduleAnyway;
    zone.max_skew = 5;
    default_constraints_ = {host, zone};
    system_defaulted_ = true;
  } else {
    for (const auto& d : args.default_constraints) default_constraints_.push_back(from_default(d));
  }
}

TopologyKeyIndex& PodTopologySpread::key_index(const std::string& key) {
  for (auto& k : key_indexes_) {
    if (k->key == key) return *k;
  }
  key_indexes_.push_back(std::make_unique<TopologyKeyIndex>());
  key_indexes_.back()->key = key;
  return *key_indexes_.back();
}

std::vector<SpreadConstraint> PodTopologySpread::constraints_for(const Pod& pod,
                                                                 bool do_not_schedule) const {
  const auto action = do_not_schedule ? UnsatisfiableConstraintAction::kDoNotSchedule
                                      : UnsatisfiableConstraintAction::kScheduleAnyway;
  std::vector<SpreadConstraint> out;
  if (!pod.spec.topology_spread_constraints.empty()) {
    auto r = filter_constraints(pod.spec.topology_spread_constraints, pod.metadata.labels, action);
    if (r.ok()) out = std::move(r).value();
  } else {
    // upstream: common.go, buildDefaultConstraints with helper.DefaultSelector: the
    // requirements of every owner's selector ANDed.
    auto r = filter_constraints(default_constraints_, pod.metadata.labels, action);
    if (!r.ok() || r.value().empty() || !context_.owner_selectors) return {};
    LabelMatcher selector;
    for (const auto& s : context_.owner_selectors(pod)) {
      auto m = models::label_selector_as_matcher(&s);
      if (!m.ok()) continue;
      for (const auto& req : m.value().requirements()) selector.add(req);
    }
    if (selector.empty()) return {};
    out = std::move(r).value();
    for (auto& c : out) c.selector = selector;
  }
  for (auto& c : out) c.cache_key = cache_key(pod.metadata.namespace_, c.selector);
  return out;
}

// ---- PreFilter / Filter --------------------------------------------------------------------

PluginStatus PodTopologySpread::pre_filter(CycleState& state, const PodInfo& pod_info,
                                           const Snapshot& snapshot,
                                           models::sched::PreFilterResult&) {
  const Pod& pod = *pod_info.pod;
  if (!pod.spec.topology_spread_constraints.empty()) {
    // A selector that does not compile is an error of the cycle, as upstream.
    auto r = filter_constraints(pod.spec.topology_spread_constraints, pod.metadata.labels,
                                UnsatisfiableConstraintAction::kDoNotSchedule);
    if (!r.ok()) return PluginStatus::error("get constraints from pod: " + r.error());
  }
  auto constraints = std::make_shared<const std::vector<SpreadConstraint>>(
      constraints_for(pod, /*do_not_schedule=*/true));
  if (constraints->empty()) return PluginStatus::skip();

  auto s = std::make_unique<PreFilterState>();
  s->constraints = constraints;
  const std::size_t n = constraints->size();
  s->per.resize(n);
  std::vector<MatchingPodCounts::Entry*> entries(n);
  for (std::size_t i = 0; i < n; ++i) {
    const SpreadConstraint& c = (*constraints)[i];
    s->per[i].index = &key_index(c.topology_key);
    entries[i] = &counts_.entry(c.cache_key, pod.metadata.namespace_, c.selector);
  }
  // upstream: filtering.go, calPreFilterState: nodes with every topology key, per
  // constraint those passing the inclusion policies, add their matching pods to their domain.
  // Constraints whose inclusion policies admit every node read the cached domain sums.
  Inclusion inclusion(pod);
  std::vector<TopologyKeyIndex*> all_keys_required;
  for (const auto& per : s->per) all_keys_required.push_back(per.index);
  bool any_slow = false;
  for (std::size_t i = 0; i < n; ++i) {
    MatchingPodCounts::refresh(*entries[i], snapshot);
    if (!inclusion.trivial((*constraints)[i])) {
      any_slow = true;
      continue;
    }
    const auto& d =
        MatchingPodCounts::domain_sums(*entries[i], snapshot, *s->per[i].index, all_keys_required);
    FilterConstraintState& per = s->per[i];
    per.match_num = d.sums;
    per.present.assign(d.nodes.size(), 0);
    for (std::size_t v = 0; v < d.nodes.size(); ++v) {
      if (d.nodes[v] > 0) {
        per.present[v] = 1;
        ++per.domains;
      }
    }
  }
  if (any_slow) {
    for (const NodeInfo* node : snapshot.nodes()) {
      bool all_keys = true;
      for (std::size_t i = 0; i < n && all_keys; ++i) {
        all_keys = s->per[i].index->slot(*node).has_key;
      }
      if (!all_keys) continue;
      inclusion.reset();
      for (std::size_t i = 0; i < n; ++i) {
        if (inclusion.trivial((*constraints)[i])) continue;
        if (!inclusion.matches((*constraints)[i], node->node())) continue;
        const std::int32_t value_id = s->per[i].index->slot(*node).value_id;
        s->per[i].add(value_id, MatchingPodCounts::count(*entries[i], *node));
      }
    }
  }
  for (auto& per : s->per) {
    for (std::size_t v = 0; v < per.present.size(); ++v) {
      if (per.present[v]) per.paths.update(static_cast<std::int32_t>(v), per.match_num[v]);
    }
  }
  state.set(slot(), std::move(s));
  return PluginStatus::success();
}

namespace {

// upstream: filtering.go, updateWithPod.
void update_with_pod(PreFilterState& s, const Pod& updated, const Pod& preemptor,
                     const NodeInfo& node, std::int64_t delta) {
  if (updated.metadata.namespace_ != preemptor.metadata.namespace_) return;
  const auto& constraints = *s.constraints;
  for (std::size_t i = 0; i < constraints.size(); ++i) {
    if (!s.per[i].index->slot(node).has_key) return;
  }
  Inclusion inclusion(preemptor);
  for (std::size_t i = 0; i < constraints.size(); ++i) {
    const SpreadConstraint& c = constraints[i];
    if (!c.selector.matches(updated.metadata.labels)) continue;
    if (!inclusion.matches(c, node.node())) continue;
    FilterConstraintState& per = s.per[i];
    const std::int32_t value_id = per.index->slot(node).value_id;
    per.add(value_id, delta);
    per.paths.update(value_id, per.num(value_id));
  }
}

}  // namespace

PluginStatus PodTopologySpread::add_pod(CycleState& state, const PodInfo& to_schedule,
                                        const PodInfo& to_add, const NodeInfo& node) {
  auto* s = static_cast<PreFilterState*>(state.get(slot()));
  if (s != nullptr) update_with_pod(*s, *to_add.pod, *to_schedule.pod, node, 1);
  return PluginStatus::success();
}

PluginStatus PodTopologySpread::remove_pod(CycleState& state, const PodInfo& to_schedule,
                                           const PodInfo& to_remove, const NodeInfo& node) {
  auto* s = static_cast<PreFilterState*>(state.get(slot()));
  if (s != nullptr) update_with_pod(*s, *to_remove.pod, *to_schedule.pod, node, -1);
  return PluginStatus::success();
}

PluginStatus PodTopologySpread::filter(const CycleState& state, const PodInfo& pod_info,
                                       const NodeInfo& node) {
  const auto* s = static_cast<const PreFilterState*>(state.get(slot()));
  if (s == nullptr || s->constraints->empty()) return PluginStatus::success();
  const Pod& pod = *pod_info.pod;
  const auto& constraints = *s->constraints;
  for (std::size_t i = 0; i < constraints.size(); ++i) {
    const SpreadConstraint& c = constraints[i];
    const FilterConstraintState& per = s->per[i];
    const TopologyKeyIndex::NodeSlot& ns = per.index->slot(node);
    if (!ns.has_key) {
      return PluginStatus::unschedulable(std::string(kErrNodeLabelNotMatch), true);
    }
    // 'existing matching num' + 'if self-match (1 or 0)' - 'global minimum' <= 'maxSkew'
    std::int64_t min_match = per.paths.p[0].num;
    if (per.domains < c.min_domains) min_match = 0;
    const std::int64_t self_match = c.selector.matches(pod.metadata.labels) ? 1 : 0;
    const std::int64_t skew = per.num(ns.value_id) + self_match - min_match;
    if (skew > c.max_skew) return PluginStatus::unschedulable(std::string(kErrConstraintsNotMatch));
  }
  return PluginStatus::success();
}

// ---- PreScore / Score ----------------------------------------------------------------------

PluginStatus PodTopologySpread::pre_score(CycleState& state, const PodInfo& pod_info,
                                          const Snapshot& snapshot,
                                          std::span<const NodeInfo* const> feasible) {
  if (snapshot.size() == 0) return PluginStatus::skip();
  const Pod& pod = *pod_info.pod;
  auto s = std::make_unique<PreScoreState>();
  s->constraints = constraints_for(pod, /*do_not_schedule=*/false);
  if (s->constraints.empty()) return PluginStatus::skip();
  const std::size_t n = s->constraints.size();
  // upstream: scoring.go, PreScore: only require every topology label with the pod's own
  // constraints or non-system defaults, so nodes without a zone still get hostname spreading.
  const bool require_all = !pod.spec.topology_spread_constraints.empty() || !system_defaulted_;

  s->indexes.resize(n);
  s->entries.resize(n);
  s->counts.resize(n);
  s->initialized.resize(n);
  bool any_domain_key = false;
  for (std::size_t i = 0; i < n; ++i) {
    const SpreadConstraint& c = s->constraints[i];
    s->indexes[i] = &key_index(c.topology_key);
    s->entries[i] = &counts_.entry(c.cache_key, pod.metadata.namespace_, c.selector);
    if (!is_hostname(c.topology_key)) any_domain_key = true;
  }
  s->ignored.assign(snapshot.size(), 0);
  s->hostname.resize(n);
  for (std::size_t i = 0; i < n; ++i) s->hostname[i] = is_hostname(s->constraints[i].topology_key);

  // initPreScoreState over the filtered nodes.
  std::vector<std::int64_t> topo_size(n, 0);
  std::int64_t ignored_count = 0;
  for (const NodeInfo* node : feasible) {
    if (require_all) {
      bool all_keys = true;
      for (std::size_t i = 0; i < n && all_keys; ++i) all_keys = s->indexes[i]->slot(*node).has_key;
      if (!all_keys) {
        const auto idx = static_cast<std::size_t>(node->index());
        if (idx >= s->ignored.size()) s->ignored.resize(idx + 1, 0);
        if (!s->ignored[idx]) ++ignored_count;
        s->ignored[idx] = 1;
        continue;
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (is_hostname(s->constraints[i].topology_key)) continue;
      const auto v = static_cast<std::size_t>(s->indexes[i]->slot(*node).value_id);
      auto& init = s->initialized[i];
      if (v >= init.size()) init.resize(v + 1, 0);
      if (!init[v]) {
        init[v] = 1;
        ++topo_size[i];
      }
    }
  }
  s->weights.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::int64_t size = topo_size[i];
    if (is_hostname(s->constraints[i].topology_key)) {
      size = static_cast<std::int64_t>(feasible.size()) - ignored_count;
    }
    s->weights[i] = topology_normalizing_weight(size);
  }

  // Counts per domain over all nodes (hostname counts are taken per node in Score).
  // Constraints whose inclusion policies admit every node read the cached domain sums.
  if (any_domain_key) {
    Inclusion inclusion(pod);
    std::vector<TopologyKeyIndex*> required;
    if (require_all) required = s->indexes;
    bool any_slow = false;
    for (std::size_t i = 0; i < n; ++i) {
      const SpreadConstraint& c = s->constraints[i];
      if (is_hostname(c.topology_key)) continue;
      s->counts[i].assign(s->initialized[i].size(), 0);
      if (!inclusion.trivial(c)) {
        any_slow = true;
        continue;
      }
      MatchingPodCounts::refresh(*s->entries[i], snapshot);
      const auto& d =
          MatchingPodCounts::domain_sums(*s->entries[i], snapshot, *s->indexes[i], required);
      const std::int32_t empty_id = s->indexes[i]->intern("");
      for (std::size_t v = 0; v < s->initialized[i].size(); ++v) {
        if (!s->initialized[i][v]) continue;
        std::int64_t sum = v < d.sums.size() ? d.sums[v] : 0;
        // A node without the key is counted under "" (upstream node.Labels[key]).
        if (static_cast<std::int32_t>(v) == empty_id) sum += d.missing_sum;
        s->counts[i][v] = sum;
      }
    }
    if (any_slow) {
      for (const NodeInfo* node : snapshot.nodes()) {
        if (require_all) {
          bool all_keys = true;
          for (std::size_t i = 0; i < n && all_keys; ++i) {
            all_keys = s->indexes[i]->slot(*node).has_key;
          }
          if (!all_keys) continue;
        }
        inclusion.reset();
        for (std::size_t i = 0; i < n; ++i) {
          const SpreadConstraint& c = s->constraints[i];
          if (is_hostname(c.topology_key) || inclusion.trivial(c)) continue;
          const auto v = static_cast<std::size_t>(s->indexes[i]->slot(*node).value_id);
          if (v >= s->initialized[i].size() || !s->initialized[i][v]) continue;
          if (!inclusion.matches(c, node->node())) continue;
          s->counts[i][v] += MatchingPodCounts::count(*s->entries[i], *node);
        }
      }
    }
  }
  // The raw scores of the feasible nodes, computed here while their data is warm, with
  // every entry brought up to date first (cheap: only the nodes changed since its last
  // refresh are recounted).
  for (std::size_t i = 0; i < n; ++i) {
    if (s->hostname[i]) MatchingPodCounts::refresh(*s->entries[i], snapshot);
  }
  s->raw.assign(snapshot.size(), 0);
  s->raw_valid.assign(snapshot.size(), 0);
  for (const NodeInfo* node : feasible) {
    const auto idx = static_cast<std::size_t>(node->index());
    if (idx >= s->raw.size()) continue;
    s->raw[idx] = raw_score(*s, *node, /*fresh=*/true);
    s->raw_valid[idx] = 1;
  }
  state.set(slot(), std::move(s));
  return PluginStatus::success();
}

namespace {

// upstream: scoring.go, Score: Σ over the constraints whose key the node has of
// scoreForCount(matching pods in the node's domain), rounded.
std::int64_t raw_score(const PreScoreState& s, const NodeInfo& node, bool fresh) {
  const auto idx = static_cast<std::size_t>(node.index());
  if (idx < s.ignored.size() && s.ignored[idx]) return kTopologySpreadIgnoredNode;
  const std::size_t n = s.constraints.size();
  std::array<TopologySpreadTerm, 8> buffer{};
  std::vector<TopologySpreadTerm> heap;
  std::span<TopologySpreadTerm> terms(buffer);
  if (n > buffer.size()) {
    heap.resize(n);
    terms = heap;
  }
  std::size_t used = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const TopologyKeyIndex::NodeSlot& ns = s.indexes[i]->slot(node);
    if (!ns.has_key) continue;
    std::int64_t count = 0;
    if (s.hostname[i]) {
      const auto& slots = s.entries[i]->slots;
      count = fresh && idx < slots.size() ? slots[idx].count
                                          : MatchingPodCounts::count(*s.entries[i], node);
    } else {
      const auto v = static_cast<std::size_t>(ns.value_id);
      count = v < s.counts[i].size() ? s.counts[i][v] : 0;
    }
    terms[used++] = {count, s.constraints[i].max_skew, s.weights[i]};
  }
  return pod_topology_spread_raw_score(terms.first(used));
}

}  // namespace

std::int64_t PodTopologySpread::score(const CycleState& state, const PodInfo&,
                                      const NodeInfo& node) {
  const auto* s = static_cast<const PreScoreState*>(state.get(slot()));
  if (s == nullptr) return 0;
  const auto idx = static_cast<std::size_t>(node.index());
  if (idx < s->raw.size() && s->raw_valid[idx]) return s->raw[idx];
  return raw_score(*s, node, /*fresh=*/false);
}

void PodTopologySpread::score_nodes(const CycleState& state, const PodInfo& pod,
                                    std::span<const NodeInfo* const> nodes,
                                    std::span<std::int64_t> out) {
  for (std::size_t i = 0; i < nodes.size(); ++i) out[i] = score(state, pod, *nodes[i]);
}

void PodTopologySpread::normalize_scores(const CycleState& state, const PodInfo&,
                                         std::span<std::int64_t> scores) {
  if (state.get(slot()) == nullptr) return;
  pod_topology_spread_normalize(scores);
}

PluginFactory pod_topology_spread_factory() {
  return [](const SchedulerProfile& profile,
            const PluginContext& context) -> sim::Result<std::unique_ptr<models::sched::Plugin>> {
    return std::unique_ptr<models::sched::Plugin>(
        std::make_unique<PodTopologySpread>(profile.args.pod_topology_spread, context));
  };
}

}  // namespace kubesim::policies
