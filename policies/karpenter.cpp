#include "policies/karpenter.hpp"

#include <algorithm>
#include <limits>
#include <set>
#include <utility>

namespace kubesim::policies {

namespace sched = models::sched;
using PodInfoPtr = std::shared_ptr<const sched::PodInfo>;

namespace {

std::shared_ptr<const models::Node> offering_template(const KarpenterOffering& o,
                                                      std::string name) {
  models::NodePool pool = o.pool;
  pool.labels.set(std::string(kLabelCapacityType), o.spot ? "spot" : "on-demand");
  return template_node(pool, std::move(name), 0);
}

// Karpenter's queue order: decreasing CPU, then memory (stable).
void sort_decreasing(std::vector<PodInfoPtr>& pods) {
  std::stable_sort(pods.begin(), pods.end(), [](const PodInfoPtr& a, const PodInfoPtr& b) {
    if (a->requests.cpu_milli != b->requests.cpu_milli) {
      return a->requests.cpu_milli > b->requests.cpu_milli;
    }
    return a->requests.memory > b->requests.memory;
  });
}

}  // namespace

std::string_view to_string(KarpenterActions::Kind kind) {
  switch (kind) {
    case KarpenterActions::Kind::kEmpty:
      return "Empty";
    case KarpenterActions::Kind::kDelete:
      return "Delete";
    case KarpenterActions::Kind::kReplace:
      return "Replace";
  }
  return "Empty";
}

std::vector<KarpenterLaunch> provision(FilterSimulator& filter, sched::Snapshot& work,
                                       std::span<const KarpenterOffering> offerings,
                                       std::span<const PodInfoPtr> pods, std::int32_t max_new_nodes,
                                       std::vector<std::string>* unschedulable) {
  std::vector<KarpenterLaunch> launches;
  std::vector<PodInfoPtr> remaining(pods.begin(), pods.end());
  sort_decreasing(remaining);
  // Offerings in price order, so ties on price per pod go to the cheaper node.
  std::vector<const KarpenterOffering*> order;
  for (const KarpenterOffering& o : offerings) order.push_back(&o);
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    if (a->price() != b->price()) return a->price() < b->price();
    return a->name() < b->name();
  });
  std::int32_t launched = 0;
  while (!remaining.empty()) {
    if (max_new_nodes >= 0 && launched >= max_new_nodes) break;
    const std::string name = "karpenter-new-" + std::to_string(launched);
    const KarpenterOffering* best = nullptr;
    std::vector<std::size_t> best_pods;
    double best_per_pod = std::numeric_limits<double>::infinity();
    for (const KarpenterOffering* o : order) {
      work.upsert_node(offering_template(*o, name));
      sched::NodeInfo* node = work.find(name);
      std::vector<std::size_t> placed;
      std::set<std::string, std::less<>> unfit;  // equivalent pods will not fit either
      for (std::size_t i = 0; i < remaining.size(); ++i) {
        const PodInfoPtr& p = remaining[i];
        const std::string key = pod_equivalence_key(*p);
        if (unfit.contains(key)) continue;
        if (filter.prepare(*p, work) && filter.fits(*p, *node)) {
          node->add_pod(p);
          placed.push_back(i);
        } else if (i == 0) {
          break;  // the batch starts with the largest remaining pod
        } else {
          unfit.insert(key);
        }
      }
      work.remove_node(name);
      if (placed.empty()) continue;
      const double per_pod = o->price() / static_cast<double>(placed.size());
      if (per_pod < best_per_pod) {
        best_per_pod = per_pod;
        best = o;
        best_pods = std::move(placed);
      }
    }
    if (!best) {
      if (unschedulable) unschedulable->push_back(remaining.front()->key());
      remaining.erase(remaining.begin());
      continue;
    }
    work.upsert_node(offering_template(*best, name));
    sched::NodeInfo* node = work.find(name);
    KarpenterLaunch l;
    l.offering = best->name();
    l.price_per_hour = best->price();
    std::vector<bool> taken(remaining.size(), false);
    for (std::size_t i : best_pods) {
      node->add_pod(remaining[i]);
      l.pods.push_back(remaining[i]->key());
      taken[i] = true;
    }
    std::vector<PodInfoPtr> rest;
    for (std::size_t i = 0; i < remaining.size(); ++i) {
      if (!taken[i]) rest.push_back(remaining[i]);
    }
    remaining = std::move(rest);
    launches.push_back(std::move(l));
    ++launched;
  }
  if (unschedulable) {
    for (const PodInfoPtr& p : remaining) unschedulable->push_back(p->key());
  }
  return launches;
}

KarpenterProvisioner::KarpenterProvisioner(std::vector<KarpenterOffering> offerings,
                                           KarpenterOptions options,
                                           std::unique_ptr<FilterSimulator> filter)
    : offerings_(std::move(offerings)), options_(options), filter_(std::move(filter)) {}

const KarpenterOffering* KarpenterProvisioner::offering_of(const models::Node& node) const {
  const std::string_view pool = node.metadata.labels.get(models::kLabelNodePool);
  for (const KarpenterOffering& o : offerings_) {
    if (o.name() == pool) return &o;
  }
  return nullptr;
}

std::int32_t KarpenterProvisioner::in_flight(std::string_view offering) const {
  auto it = launches_.find(offering);
  return it == launches_.end() ? 0 : static_cast<std::int32_t>(it->second.size());
}

KarpenterActions KarpenterProvisioner::step(sim::Time now, const KarpenterView& view) {
  KarpenterActions actions;
  const sched::Snapshot& snap = *view.nodes;
  std::erase_if(deleting_, [&](const auto& kv) { return snap.find(kv.first) == nullptr; });

  // Registrations: each offering's registered count against what was launched.
  std::map<std::string, std::int32_t, std::less<>> registered;
  std::int32_t managed = 0;
  for (const sched::NodeInfo* ni : snap.nodes()) {
    if (const KarpenterOffering* o = offering_of(ni->node())) {
      ++registered[o->name()];
      ++managed;
    }
  }
  for (const KarpenterOffering& o : offerings_) {
    std::int32_t& expected = expected_[o.name()];
    std::vector<sim::Time>& times = launches_[o.name()];
    const std::int32_t reg = registered[o.name()];
    // Launches still waiting: the newest (expected - registered) ones.
    const std::int32_t waiting = std::max(
        0, std::min<std::int32_t>(static_cast<std::int32_t>(times.size()), expected - reg));
    times.erase(times.begin(), times.end() - waiting);
    while (!times.empty() && times.front() + options_.registration_ttl < now) {
      times.erase(times.begin());
      actions.reasons.push_back("launch of " + o.name() + " did not register in time");
    }
    expected = reg + static_cast<std::int32_t>(times.size());
  }

  // The working snapshot: registered nodes plus one template node per in-flight launch.
  sched::Snapshot work;
  copy_snapshot(snap, work);
  std::set<std::string, std::less<>> in_flight_nodes;
  for (const KarpenterOffering& o : offerings_) {
    const std::size_t n = launches_[o.name()].size();
    for (std::size_t i = 0; i < n; ++i) {
      std::string name = "in-flight-" + o.name() + "-" + std::to_string(i);
      work.upsert_node(offering_template(o, name));
      in_flight_nodes.insert(std::move(name));
    }
  }

  // Provisioning: pods existing or in-flight capacity takes need no new node.
  std::vector<PodInfoPtr> need;
  std::set<std::string, std::less<>> unfit_keys;
  for (const PodInfoPtr& p : view.pending_pods) {
    sched::NodeInfo* home = nullptr;
    const std::string key = pod_equivalence_key(*p);
    if (!unfit_keys.contains(key) && filter_->prepare(*p, work)) {
      for (sched::NodeInfo* ni : work.nodes()) {
        if (deleting_.contains(ni->name()) || ni->node().metadata.being_deleted()) continue;
        if (filter_->fits(*p, *ni)) {
          home = ni;
          break;
        }
      }
    }
    if (home) {
      home->add_pod(p);
    } else {
      unfit_keys.insert(key);
      need.push_back(p);
    }
  }
  if (!need.empty()) {
    std::int32_t in_flight_total = static_cast<std::int32_t>(in_flight_nodes.size());
    const std::int32_t limit =
        options_.max_nodes > 0 ? std::max(0, options_.max_nodes - managed - in_flight_total) : -1;
    actions.launches = provision(*filter_, work, offerings_, need, limit, &actions.unschedulable);
    for (const KarpenterLaunch& l : actions.launches) {
      ++expected_[l.offering];
      launches_[l.offering].push_back(now);
      actions.reasons.push_back("launch " + l.offering + " for " + std::to_string(l.pods.size()) +
                                " pods");
    }
  }

  // Disruption waits while capacity is being added (Karpenter's cluster-state sync).
  bool any_in_flight = !actions.launches.empty();
  for (const auto& [name, times] : launches_) any_in_flight = any_in_flight || !times.empty();
  // Pod history for consolidateAfter.
  for (const sched::NodeInfo* ni : snap.nodes()) {
    std::vector<std::string> pods;
    for (const PodInfoPtr& p : ni->pods()) pods.push_back(p->key());
    std::sort(pods.begin(), pods.end());
    auto [it, inserted] = history_.try_emplace(ni->name());
    if (inserted) {
      it->second.pods = std::move(pods);
      it->second.changed = ni->node().metadata.creation_timestamp;
    } else if (it->second.pods != pods) {
      it->second.pods = std::move(pods);
      it->second.changed = now;
    }
  }
  std::erase_if(history_, [&](const auto& kv) { return snap.find(kv.first) == nullptr; });
  if (any_in_flight || !actions.unschedulable.empty()) return actions;
  // Consolidation simulates on the cluster as it is (no in-flight template nodes remain).
  for (const std::string& n : in_flight_nodes) work.remove_node(n);
  consolidate(now, work, view, actions);
  return actions;
}

void KarpenterProvisioner::consolidate(sim::Time now, sched::Snapshot& work,
                                       const KarpenterView& view, KarpenterActions& actions) {
  DrainContext drain;
  drain.karpenter_rules = true;
  drain.pdb_allows_eviction = view.pdb_allows_eviction;

  struct Candidate {
    sched::NodeInfo* node;
    const KarpenterOffering* offering;
    std::vector<PodInfoPtr> to_move;
  };
  std::vector<Candidate> candidates;
  std::set<std::string, std::less<>> destinations;
  for (sched::NodeInfo* ni : work.nodes()) {
    const models::Node& node = ni->node();
    if (deleting_.contains(ni->name()) || node.metadata.being_deleted() || !node.ready()) continue;
    destinations.insert(ni->name());
    const KarpenterOffering* o = offering_of(node);
    if (!o) continue;
    if (node.metadata.annotations.get(kDoNotDisruptAnnotation) == "true") continue;
    const NodeHistory& h = history_.at(ni->name());
    if (now - h.changed < options_.consolidate_after) continue;
    Candidate c{ni, o, {}};
    bool blocked = false;
    for (const PodInfoPtr& p : ni->pods()) {
      const PodDrainVerdict v = drain_verdict(*p->pod, drain);
      if (v == PodDrainVerdict::kBlock) {
        blocked = true;
        break;
      }
      if (v == PodDrainVerdict::kMove) c.to_move.push_back(p);
    }
    if (!blocked) candidates.push_back(std::move(c));
  }

  // Empty nodes: all at once.
  KarpenterActions::Consolidation empty;
  empty.kind = KarpenterActions::Kind::kEmpty;
  for (const Candidate& c : candidates) {
    if (!c.to_move.empty()) continue;
    empty.nodes.push_back(c.node->name());
    empty.savings_per_hour += c.offering->price();
  }
  if (!empty.nodes.empty()) {
    for (const Candidate& c : candidates) {
      if (c.to_move.empty()) deleting_.emplace(c.node->name(), c.offering->name());
    }
    actions.reasons.push_back("consolidation: delete " + std::to_string(empty.nodes.size()) +
                              " empty nodes");
    actions.consolidation = std::move(empty);
    return;
  }
  if (options_.consolidation_policy == ConsolidationPolicy::kWhenEmpty) return;

  // Single-node consolidation, cheapest disruption first: fewest pods, then the most
  // expensive node, then name.
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) {
                     if (a.to_move.size() != b.to_move.size())
                       return a.to_move.size() < b.to_move.size();
                     if (a.offering->price() != b.offering->price())
                       return a.offering->price() > b.offering->price();
                     return a.node->name() < b.node->name();
                   });
  for (Candidate& c : candidates) {
    sched::NodeInfo* ni = c.node;
    for (const PodInfoPtr& p : c.to_move) ni->remove_pod(p->key());
    std::vector<std::pair<sched::NodeInfo*, PodInfoPtr>> placed;
    std::vector<PodInfoPtr> left;
    for (const PodInfoPtr& p : c.to_move) {
      sched::NodeInfo* dest = nullptr;
      // upstream findPlaceFor: the pod is rescheduled with spec.nodeName cleared.
      const PodInfoPtr moved = unbound(p);
      if (filter_->prepare(*moved, work)) {
        for (sched::NodeInfo* d : work.nodes()) {
          if (d == ni || !destinations.contains(d->name())) continue;
          if (filter_->fits(*moved, *d)) {
            dest = d;
            break;
          }
        }
      }
      if (dest) {
        dest->add_pod(moved);
        placed.emplace_back(dest, moved);
      } else {
        left.push_back(moved);
      }
    }
    std::optional<KarpenterActions::Consolidation> action;
    if (left.empty()) {
      action = KarpenterActions::Consolidation{
          KarpenterActions::Kind::kDelete, {ni->name()}, {}, c.offering->price()};
    } else if (!c.offering->spot || options_.spot_to_spot_consolidation) {
      // Replace: the pods that did not fit elsewhere on one cheaper new node.
      std::vector<const KarpenterOffering*> cheaper;
      for (const KarpenterOffering& o : offerings_) {
        if (o.price() < c.offering->price()) cheaper.push_back(&o);
      }
      std::stable_sort(cheaper.begin(), cheaper.end(), [](const auto* a, const auto* b) {
        if (a->price() != b->price()) return a->price() < b->price();
        return a->name() < b->name();
      });
      for (const KarpenterOffering* o : cheaper) {
        const std::string name = "karpenter-replacement";
        work.upsert_node(offering_template(*o, name));
        sched::NodeInfo* r = work.find(name);
        bool all = true;
        for (const PodInfoPtr& p : left) {
          if (filter_->prepare(*p, work) && filter_->fits(*p, *r)) {
            r->add_pod(p);
          } else {
            all = false;
            break;
          }
        }
        work.remove_node(name);
        if (all) {
          action = KarpenterActions::Consolidation{KarpenterActions::Kind::kReplace,
                                                   {ni->name()},
                                                   o->name(),
                                                   c.offering->price() - o->price()};
          break;
        }
      }
    }
    for (auto& [d, p] : placed) d->remove_pod(p->key());
    for (const PodInfoPtr& p : c.to_move) ni->add_pod(p);
    if (action) {
      deleting_.emplace(ni->name(), c.offering->name());
      if (action->kind == KarpenterActions::Kind::kReplace) {
        ++expected_[action->replacement];
        launches_[action->replacement].push_back(now);
      }
      actions.reasons.push_back(
          "consolidation: " + std::string(to_string(action->kind)) + " " + ni->name() +
          (action->replacement.empty() ? "" : " with " + action->replacement));
      actions.consolidation = std::move(action);
      return;
    }
  }
}

}  // namespace kubesim::policies
