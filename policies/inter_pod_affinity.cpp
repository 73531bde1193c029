#include "policies/inter_pod_affinity.hpp"

#include <algorithm>
#include <limits>

#include "policies/score_math.hpp"

namespace kubesim::policies {

using models::LabelMatcher;
using models::Labels;
using models::Pod;
using models::sched::CycleState;
using models::sched::NodeInfo;
using models::sched::PluginStatus;
using models::sched::PodInfo;
using models::sched::Snapshot;
using models::sched::StateData;

// ---- Terms ---------------------------------------------------------------------------------

namespace {

sim::Result<AffinityTerm> compile_term(const Pod& pod, const models::PodAffinityTerm& term,
                                       std::int32_t weight) {
  AffinityTerm at;
  auto selector = models::label_selector_as_matcher(term.label_selector);
  if (!selector.ok()) return selector.status();
  at.selector = std::move(selector).value();
  // matchLabelKeys / mismatchLabelKeys, as the API server merges them (only into a non-nil
  // selector, only for keys the pod has).
  if (term.label_selector.has_value()) {
    for (const auto& key : term.match_label_keys) {
      const std::string* v = pod.metadata.labels.find(key);
      if (v == nullptr) continue;
      auto r = models::LabelRequirement::create(key, models::SelectorOperator::kIn, {*v});
      if (!r.ok()) return r.status();
      at.selector.add(std::move(r).value());
    }
    for (const auto& key : term.mismatch_label_keys) {
      const std::string* v = pod.metadata.labels.find(key);
      if (v == nullptr) continue;
      auto r = models::LabelRequirement::create(key, models::SelectorOperator::kNotIn, {*v});
      if (!r.ok()) return r.status();
      at.selector.add(std::move(r).value());
    }
  }
  // upstream getNamespacesFromPodAffinityTerm: the pod's own namespace when neither
  // namespaces nor namespaceSelector is set.
  if (term.namespaces.empty() && !term.namespace_selector.has_value()) {
    at.namespaces.push_back(pod.metadata.namespace_);
  } else {
    at.namespaces = term.namespaces;
  }
  auto ns = models::label_selector_as_matcher(term.namespace_selector);
  if (!ns.ok()) return ns.status();
  at.namespace_selector = std::move(ns).value();
  at.topology_key = term.topology_key;
  at.weight = weight;
  return at;
}

bool has_namespace(const AffinityTerm& t, std::string_view ns) {
  return std::find(t.namespaces.begin(), t.namespaces.end(), ns) != t.namespaces.end();
}

}  // namespace

sim::Result<PodAffinityTerms> compile_affinity_terms(const Pod& pod) {
  PodAffinityTerms out;
  for (const auto& t : pod.spec.pod_affinity.required) {
    auto at = compile_term(pod, t, 0);
    if (!at.ok()) return at.status();
    out.required_affinity.push_back(std::move(at).value());
  }
  for (const auto& t : pod.spec.pod_anti_affinity.required) {
    auto at = compile_term(pod, t, 0);
    if (!at.ok()) return at.status();
    out.required_anti_affinity.push_back(std::move(at).value());
  }
  // upstream getWeightedAffinityTerms keeps every preferred term (weight 0 is invalid API).
  for (const auto& t : pod.spec.pod_affinity.preferred) {
    auto at = compile_term(pod, t.term, t.weight);
    if (!at.ok()) return at.status();
    out.preferred_affinity.push_back(std::move(at).value());
  }
  for (const auto& t : pod.spec.pod_anti_affinity.preferred) {
    auto at = compile_term(pod, t.term, t.weight);
    if (!at.ok()) return at.status();
    out.preferred_anti_affinity.push_back(std::move(at).value());
  }
  return out;
}

namespace {

// Counts per (topology key, value); entries that reach 0 are erased, as upstream's
// topologyToMatchedTermCount.update does.
class TopologyCounts {
 public:
  void update(const models::Node& node, const std::string& key, std::int64_t delta) {
    const std::string* v = node.metadata.labels.find(key);
    if (v == nullptr) return;
    auto& values = m_[key];
    auto it = values.find(*v);
    if (it == values.end()) it = values.emplace(*v, 0).first;
    it->second += delta;
    if (it->second == 0) {
      values.erase(it);
      if (values.empty()) m_.erase(key);
    }
  }
  std::int64_t get(std::string_view key, std::string_view value) const {
    auto k = m_.find(key);
    if (k == m_.end()) return 0;
    auto v = k->second.find(value);
    return v == k->second.end() ? 0 : v->second;
  }
  bool empty() const { return m_.empty(); }
  const auto& keys() const { return m_; }

 private:
  std::map<std::string, std::map<std::string, std::int64_t, std::less<>>, std::less<>> m_;
};

class PreFilterState final : public StateData {
 public:
  TopologyCounts existing_anti_affinity;  // existing pods' required anti-affinity vs the pod
  TopologyCounts affinity;                // existing pods matching all required affinity terms
  TopologyCounts anti_affinity;           // existing pods matching a required anti-affinity term
  std::shared_ptr<const PodAffinityTerms> terms;
  Labels namespace_labels;  // of the incoming pod's namespace
  std::unique_ptr<StateData> clone() const override {
    return std::make_unique<PreFilterState>(*this);
  }
};

class PreScoreState final : public StateData {
 public:
  TopologyCounts topology_score;
  std::unique_ptr<StateData> clone() const override {
    return std::make_unique<PreScoreState>(*this);
  }
};

}  // namespace

// ---- Matching ------------------------------------------------------------------------------

namespace {

// An incoming pod's term against another pod (upstream: the term's namespaceSelector merged
// into its namespaces, then AffinityTerm.Matches(pod, nil)).
bool incoming_term_matches(const AffinityTerm& t, const Pod& p, const PluginContext& context) {
  bool ns_ok = has_namespace(t, p.metadata.namespace_);
  if (!ns_ok && !t.namespace_selector.matches_nothing()) {
    if (t.namespace_selector.empty()) {
      ns_ok = true;
    } else if (context.namespace_labels) {
      const Labels* labels = context.namespace_labels(p.metadata.namespace_);
      ns_ok = labels != nullptr && t.namespace_selector.matches(*labels);
    }
  }
  return ns_ok && t.selector.matches(p.metadata.labels);
}

// An existing pod's term against the incoming pod (upstream AffinityTerm.Matches(pod,
// nsLabels) with the incoming pod's namespace labels).
bool existing_term_matches(const AffinityTerm& t, const Pod& incoming, const Labels& ns_labels) {
  const bool ns_ok =
      has_namespace(t, incoming.metadata.namespace_) || t.namespace_selector.matches(ns_labels);
  return ns_ok && t.selector.matches(incoming.metadata.labels);
}

// upstream podMatchesAllAffinityTerms: false for no terms.
bool matches_all(const std::vector<AffinityTerm>& terms, const Pod& p,
                 const PluginContext& context) {
  if (terms.empty()) return false;
  for (const auto& t : terms) {
    if (!incoming_term_matches(t, p, context)) return false;
  }
  return true;
}

Labels namespace_labels_of(const PluginContext& context, std::string_view ns) {
  if (!context.namespace_labels) return {};
  const Labels* l = context.namespace_labels(ns);
  return l != nullptr ? *l : Labels{};
}

}  // namespace

InterPodAffinity::InterPodAffinity(const InterPodAffinityArgs& args, PluginContext context)
    : args_(args), context_(std::move(context)) {}

const PodAffinityTerms& InterPodAffinity::terms_of(const std::shared_ptr<const Pod>& pod) {
  auto it = terms_cache_.find(pod.get());
  if (it != terms_cache_.end()) return it->second.terms;
  if (terms_cache_.size() > 50000) terms_cache_.clear();
  CachedTerms c;
  c.pod = pod;
  // An existing pod's terms that do not compile count as none (upstream could not have
  // built its PodInfo).
  auto r = compile_affinity_terms(*pod);
  if (r.ok()) c.terms = std::move(r).value();
  return terms_cache_.emplace(pod.get(), std::move(c)).first->second.terms;
}

// ---- PreFilter / Filter --------------------------------------------------------------------

PluginStatus InterPodAffinity::pre_filter(CycleState& state, const PodInfo& pod_info,
                                          const Snapshot& snapshot,
                                          models::sched::PreFilterResult&) {
  const Pod& pod = *pod_info.pod;
  const bool has_required =
      !pod.spec.pod_affinity.required.empty() || !pod.spec.pod_anti_affinity.required.empty();
  // Fast path: nothing in the cluster can constrain this pod.
  const auto& anti_nodes = snapshot.nodes_with_required_anti_affinity_pods();
  if (!has_required && anti_nodes.empty()) return PluginStatus::skip();

  auto compiled = compile_affinity_terms(pod);
  if (!compiled.ok()) return PluginStatus::error(compiled.error());
  auto s = std::make_unique<PreFilterState>();
  s->terms = std::make_shared<const PodAffinityTerms>(std::move(compiled).value());
  s->namespace_labels = namespace_labels_of(context_, pod.metadata.namespace_);

  // upstream getExistingAntiAffinityCounts.
  for (const NodeInfo* node : anti_nodes) {
    for (const auto& existing : node->pods()) {
      if (!existing->has_required_anti_affinity) continue;
      for (const auto& t : terms_of(existing->pod).required_anti_affinity) {
        if (existing_term_matches(t, pod, s->namespace_labels)) {
          s->existing_anti_affinity.update(node->node(), t.topology_key, 1);
        }
      }
    }
  }
  // upstream getIncomingAffinityAntiAffinityCounts.
  const PodAffinityTerms& terms = *s->terms;
  if (!terms.required_affinity.empty() || !terms.required_anti_affinity.empty()) {
    for (const NodeInfo* node : snapshot.nodes()) {
      for (const auto& existing : node->pods()) {
        const Pod& p = *existing->pod;
        if (matches_all(terms.required_affinity, p, context_)) {
          for (const auto& t : terms.required_affinity) {
            s->affinity.update(node->node(), t.topology_key, 1);
          }
        }
        for (const auto& t : terms.required_anti_affinity) {
          if (incoming_term_matches(t, p, context_)) {
            s->anti_affinity.update(node->node(), t.topology_key, 1);
          }
        }
      }
    }
  }
  if (s->existing_anti_affinity.empty() && terms.required_affinity.empty() &&
      terms.required_anti_affinity.empty()) {
    return PluginStatus::skip();
  }
  state.set(slot(), std::move(s));
  return PluginStatus::success();
}

namespace {

// upstream: filtering.go, preFilterState.updateWithPod.
void update_with_pod(PreFilterState& s, InterPodAffinity& plugin, const PodInfo& updated,
                     const Pod& incoming, const NodeInfo& node, std::int64_t multiplier,
                     const PluginContext& context) {
  const Pod& p = *updated.pod;
  if (updated.has_required_anti_affinity) {
    for (const auto& t : plugin.terms_of(updated.pod).required_anti_affinity) {
      if (existing_term_matches(t, incoming, s.namespace_labels)) {
        s.existing_anti_affinity.update(node.node(), t.topology_key, multiplier);
      }
    }
  }
  const PodAffinityTerms& terms = *s.terms;
  if (matches_all(terms.required_affinity, p, context)) {
    for (const auto& t : terms.required_affinity) {
      s.affinity.update(node.node(), t.topology_key, multiplier);
    }
  }
  for (const auto& t : terms.required_anti_affinity) {
    if (incoming_term_matches(t, p, context)) {
      s.anti_affinity.update(node.node(), t.topology_key, multiplier);
    }
  }
}

}  // namespace

PluginStatus InterPodAffinity::add_pod(CycleState& state, const PodInfo& to_schedule,
                                       const PodInfo& to_add, const NodeInfo& node) {
  auto* s = static_cast<PreFilterState*>(state.get(slot()));
  if (s != nullptr) update_with_pod(*s, *this, to_add, *to_schedule.pod, node, 1, context_);
  return PluginStatus::success();
}

PluginStatus InterPodAffinity::remove_pod(CycleState& state, const PodInfo& to_schedule,
                                          const PodInfo& to_remove, const NodeInfo& node) {
  auto* s = static_cast<PreFilterState*>(state.get(slot()));
  if (s != nullptr) update_with_pod(*s, *this, to_remove, *to_schedule.pod, node, -1, context_);
  return PluginStatus::success();
}

PluginStatus InterPodAffinity::filter(const CycleState& state, const PodInfo& pod_info,
                                      const NodeInfo& node) {
  const auto* s = static_cast<const PreFilterState*>(state.get(slot()));
  if (s == nullptr) return PluginStatus::success();
  const Labels& labels = node.node().metadata.labels;
  const PodAffinityTerms& terms = *s->terms;

  // upstream satisfyPodAffinity, with the "first pod of a group" rule: when no pod in the
  // cluster matches the terms and the pod matches its own terms, any node having every
  // topology key is fine.
  bool pods_exist = true;
  for (const auto& t : terms.required_affinity) {
    const std::string* v = labels.find(t.topology_key);
    if (v == nullptr) {
      return PluginStatus::unschedulable(std::string(kErrAffinityRulesNotMatch), true);
    }
    if (s->affinity.get(t.topology_key, *v) <= 0) pods_exist = false;
  }
  if (!pods_exist &&
      !(s->affinity.empty() && matches_all(terms.required_affinity, *pod_info.pod, context_))) {
    return PluginStatus::unschedulable(std::string(kErrAffinityRulesNotMatch), true);
  }
  // upstream satisfyPodAntiAffinity.
  if (!s->anti_affinity.empty()) {
    for (const auto& t : terms.required_anti_affinity) {
      const std::string* v = labels.find(t.topology_key);
      if (v != nullptr && s->anti_affinity.get(t.topology_key, *v) > 0) {
        return PluginStatus::unschedulable(std::string(kErrAntiAffinityRulesNotMatch));
      }
    }
  }
  // upstream satisfyExistingPodsAntiAffinity (every node label looked up; equivalently every
  // counted key looked up on the node).
  for (const auto& [key, values] : s->existing_anti_affinity.keys()) {
    const std::string* v = labels.find(key);
    if (v == nullptr) continue;
    auto it = values.find(*v);
    if (it != values.end() && it->second > 0) {
      return PluginStatus::unschedulable(std::string(kErrExistingAntiAffinityRulesNotMatch));
    }
  }
  return PluginStatus::success();
}

// ---- PreScore / Score ----------------------------------------------------------------------

PluginStatus InterPodAffinity::pre_score(CycleState& state, const PodInfo& pod_info,
                                         const Snapshot& snapshot,
                                         std::span<const NodeInfo* const> feasible) {
  if (feasible.empty()) return PluginStatus::skip();
  const Pod& pod = *pod_info.pod;
  const bool has_constraints =
      !pod.spec.pod_affinity.preferred.empty() || !pod.spec.pod_anti_affinity.preferred.empty();
  // Unless the incoming pod has preferred terms, only nodes hosting pods with affinity matter.
  std::span<const NodeInfo* const> nodes;
  if (has_constraints) {
    nodes = std::span<const NodeInfo* const>(snapshot.nodes().data(), snapshot.nodes().size());
  } else {
    const auto& with_affinity = snapshot.nodes_with_affinity_pods();
    nodes = std::span<const NodeInfo* const>(with_affinity.data(), with_affinity.size());
  }
  if (nodes.empty()) return PluginStatus::skip();

  auto compiled = compile_affinity_terms(pod);
  if (!compiled.ok()) return PluginStatus::error(compiled.error());
  const PodAffinityTerms terms = std::move(compiled).value();
  const Labels ns_labels = namespace_labels_of(context_, pod.metadata.namespace_);
  auto s = std::make_unique<PreScoreState>();
  auto& scores = s->topology_score;

  // upstream: scoring.go, processExistingPod.
  for (const NodeInfo* node : nodes) {
    const models::Node& n = node->node();
    if (n.metadata.labels.empty()) continue;
    for (const auto& existing : node->pods()) {
      if (!has_constraints && !existing->has_affinity) continue;
      const Pod& p = *existing->pod;
      for (const auto& t : terms.preferred_affinity) {
        if (incoming_term_matches(t, p, context_)) scores.update(n, t.topology_key, t.weight);
      }
      for (const auto& t : terms.preferred_anti_affinity) {
        if (incoming_term_matches(t, p, context_)) scores.update(n, t.topology_key, -t.weight);
      }
      if (!existing->has_affinity) continue;
      const PodAffinityTerms& et = terms_of(existing->pod);
      if (args_.hard_pod_affinity_weight > 0) {
        for (const auto& t : et.required_affinity) {
          if (existing_term_matches(t, pod, ns_labels)) {
            scores.update(n, t.topology_key, args_.hard_pod_affinity_weight);
          }
        }
      }
      for (const auto& t : et.preferred_affinity) {
        if (existing_term_matches(t, pod, ns_labels)) scores.update(n, t.topology_key, t.weight);
      }
      for (const auto& t : et.preferred_anti_affinity) {
        if (existing_term_matches(t, pod, ns_labels)) scores.update(n, t.topology_key, -t.weight);
      }
    }
  }
  if (scores.empty()) return PluginStatus::skip();
  state.set(slot(), std::move(s));
  return PluginStatus::success();
}

std::int64_t InterPodAffinity::score(const CycleState& state, const PodInfo&,
                                     const NodeInfo& node) {
  const auto* s = static_cast<const PreScoreState*>(state.get(slot()));
  if (s == nullptr) return 0;
  std::int64_t score = 0;
  const Labels& labels = node.node().metadata.labels;
  for (const auto& [key, values] : s->topology_score.keys()) {
    const std::string* v = labels.find(key);
    if (v == nullptr) continue;
    auto it = values.find(*v);
    if (it != values.end()) score += it->second;
  }
  return score;
}

void InterPodAffinity::normalize_scores(const CycleState& state, const PodInfo&,
                                        std::span<std::int64_t> scores) {
  const auto* s = static_cast<const PreScoreState*>(state.get(slot()));
  if (s == nullptr || s->topology_score.empty() || scores.empty()) return;
  // upstream: scoring.go, NormalizeScore: 100 × (s - min) / (max - min) in float64,
  // truncated; all 0 when max == min.
  std::int64_t min_count = std::numeric_limits<std::int64_t>::max();
  std::int64_t max_count = std::numeric_limits<std::int64_t>::min();
  for (const std::int64_t v : scores) {
    max_count = std::max(max_count, v);
    min_count = std::min(min_count, v);
  }
  const std::int64_t diff = max_count - min_count;
  for (std::int64_t& v : scores) {
    double f = 0;
    if (diff > 0) {
      f = static_cast<double>(kMaxNodeScore) *
          (static_cast<double>(v - min_count) / static_cast<double>(diff));
    }
    v = static_cast<std::int64_t>(f);
  }
}

PluginFactory inter_pod_affinity_factory() {
  return [](const SchedulerProfile& profile,
            const PluginContext& context) -> sim::Result<std::unique_ptr<models::sched::Plugin>> {
    return std::unique_ptr<models::sched::Plugin>(
        std::make_unique<InterPodAffinity>(profile.args.inter_pod_affinity, context));
  };
}

}  // namespace kubesim::policies
