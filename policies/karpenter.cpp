#include "policies/karpenter.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>
#include <utility>

#include "models/replicaset_logic.hpp"
#include "sim/time.hpp"

namespace kubesim::policies {

namespace sched = models::sched;
using PodInfoPtr = std::shared_ptr<const sched::PodInfo>;

namespace {

std::shared_ptr<const models::Node> offering_template(const KarpenterOffering& o,
                                                      std::string_view node_pool,
                                                      std::string name) {
  models::NodePool pool = o.pool;
  pool.labels.set(std::string(kLabelCapacityType), o.spot ? "spot" : "on-demand");
  pool.labels.set(std::string(kLabelKarpenterNodePool), std::string(node_pool));
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

KarpenterLimitsLeft::KarpenterLimitsLeft(const models::ResourceList& limits,
                                         const models::ResourceList& used) {
  limits.for_each([&](std::string_view name, std::int64_t limit) {
    left_.emplace_back(std::string(name), limit - used.get(name));
  });
}

bool KarpenterLimitsLeft::fits(const models::ResourceList& capacity) const {
  return std::all_of(left_.begin(), left_.end(),
                     [&](const auto& l) { return capacity.get(l.first) <= l.second; });
}

void KarpenterLimitsLeft::take(const models::ResourceList& capacity) {
  for (auto& [name, left] : left_) left -= capacity.get(name);
}

namespace {

// Offerings cheapest first (ties by name): a claim launches the first that holds its pods.
std::vector<const KarpenterOffering*> by_price(std::span<const KarpenterOffering> offerings) {
  std::vector<const KarpenterOffering*> order;
  for (const KarpenterOffering& o : offerings) order.push_back(&o);
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    if (a->price() != b->price()) return a->price() < b->price();
    return a->name() < b->name();
  });
  return order;
}

// What provisioning tracks per NodePool: its offerings cheapest first, what its limits
// still allow, and the new nodes it has opened so far.
struct PoolProgress {
  std::vector<const KarpenterOffering*> order;
  std::optional<KarpenterLimitsLeft> limits;
  std::int32_t opened = 0;
  bool capped(const ProvisioningPool& pool) const {
    return pool.max_new_nodes >= 0 && opened >= pool.max_new_nodes;
  }
};

std::vector<PoolProgress> progress_of(std::span<const ProvisioningPool> pools) {
  std::vector<PoolProgress> out(pools.size());
  for (std::size_t i = 0; i < pools.size(); ++i) {
    out[i].order = by_price(pools[i].offerings);
    if (pools[i].limits) out[i].limits = *pools[i].limits;
  }
  return out;
}

// Karpenter's scheduler (Solve / add / newNode / NodeClaim.Add) over new NodeClaims.
std::vector<KarpenterLaunch> provision_node_claims(FilterSimulator& filter, sched::Snapshot& work,
                                                   std::span<const ProvisioningPool> pools,
                                                   std::span<const PodInfoPtr> pods,
                                                   std::vector<std::string>* unschedulable) {
  struct Claim {
    std::size_t pool = 0;
    std::vector<PodInfoPtr> pods;
    // The offerings that still hold every pod of the claim, cheapest first, each with its
    // template node in `work` (holding the claim's pods).
    std::vector<std::pair<const KarpenterOffering*, std::string>> options;
  };
  std::vector<Claim> claims;
  std::vector<PodInfoPtr> queue(pods.begin(), pods.end());
  sort_decreasing(queue);
  std::vector<PoolProgress> progress = progress_of(pools);
  std::set<std::string, std::less<>> unfit;  // equivalent pods found no new claim either
  // NodeClaim.Add: the options that can also take `p`; false (and no change) when none.
  auto add = [&](Claim& c, const PodInfoPtr& p) {
    std::vector<std::pair<const KarpenterOffering*, std::string>> keep;
    for (const auto& option : c.options) {
      if (filter.fits(*p, *work.find(option.second))) keep.push_back(option);
    }
    if (keep.empty()) return false;
    for (const auto& option : c.options) {
      if (std::find(keep.begin(), keep.end(), option) == keep.end()) {
        work.remove_node(option.second);
      }
    }
    for (const auto& option : keep) work.find(option.second)->add_pod(p);
    c.options = std::move(keep);
    c.pods.push_back(p);
    return true;
  };
  for (const PodInfoPtr& p : queue) {
    const std::string key = pod_equivalence_key(*p);
    if (unfit.contains(key)) {
      if (unschedulable) unschedulable->push_back(p->key());
      continue;
    }
    // In-flight claims, fewest pods first (sort.Slice; ties in creation order here).
    std::vector<std::size_t> by_pods(claims.size());
    for (std::size_t i = 0; i < claims.size(); ++i) by_pods[i] = i;
    std::stable_sort(by_pods.begin(), by_pods.end(), [&](std::size_t a, std::size_t b) {
      return claims[a].pods.size() < claims[b].pods.size();
    });
    if (!claims.empty() && filter.prepare(*p, work) &&
        std::any_of(by_pods.begin(), by_pods.end(),
                    [&](std::size_t i) { return add(claims[i], p); })) {
      continue;
    }
    // A new claim from the first NodePool (weight order) that can take the pod.
    bool placed = false;
    bool capped = false;
    for (std::size_t i = 0; i < pools.size() && !placed; ++i) {
      PoolProgress& pp = progress[i];
      if (pp.capped(pools[i])) {
        capped = true;
        continue;
      }
      Claim c;
      c.pool = i;
      const std::string prefix = "karpenter-claim-" + std::to_string(claims.size()) + "-";
      for (const KarpenterOffering* o : pp.order) {
        // filterByRemainingResources: no offering the NodePool's limits cannot take.
        if (pp.limits && !pp.limits->fits(o->pool.capacity)) continue;
        c.options.emplace_back(o, prefix + o->name());
        work.upsert_node(offering_template(*o, pools[i].name, prefix + o->name()));
      }
      if (!c.options.empty() && filter.prepare(*p, work) && add(c, p)) {
        if (pp.limits) {  // subtractMax: the largest the claim may still become
          models::ResourceList largest;
          for (const auto& option : c.options) {
            largest = models::ResourceList::max(largest, option.first->pool.capacity);
          }
          pp.limits->take(largest);
        }
        ++pp.opened;
        claims.push_back(std::move(c));
        placed = true;
      } else {
        for (const auto& option : c.options) work.remove_node(option.second);
      }
    }
    if (placed) continue;
    // No fresh claim of any NodePool holds the pod alone, so no claim ever will (unless a
    // capped NodePool kept it from trying).
    if (!capped) unfit.insert(key);
    if (unschedulable) unschedulable->push_back(p->key());
  }
  std::vector<KarpenterLaunch> launches;
  for (Claim& c : claims) {
    const KarpenterOffering* chosen = c.options.front().first;  // the cheapest still fitting
    for (std::size_t i = 1; i < c.options.size(); ++i) work.remove_node(c.options[i].second);
    KarpenterLaunch l;
    l.offering = chosen->name();
    l.node_pool = std::string(pools[c.pool].name);
    l.price_per_hour = chosen->price();
    for (const PodInfoPtr& p : c.pods) l.pods.push_back(p->key());
    launches.push_back(std::move(l));
  }
  return launches;
}

std::vector<KarpenterLaunch> provision_cheapest_per_pod(FilterSimulator& filter,
                                                        sched::Snapshot& work,
                                                        std::span<const ProvisioningPool> pools,
                                                        std::span<const PodInfoPtr> pods,
                                                        std::vector<std::string>* unschedulable) {
  std::vector<KarpenterLaunch> launches;
  std::vector<PodInfoPtr> remaining(pods.begin(), pods.end());
  sort_decreasing(remaining);
  // Offerings in price order, so ties on price per pod go to the cheaper node.
  std::vector<PoolProgress> progress = progress_of(pools);
  while (!remaining.empty()) {
    const std::string name = "karpenter-new-" + std::to_string(launches.size());
    const KarpenterOffering* best = nullptr;
    std::size_t best_pool = 0;
    std::vector<std::size_t> best_pods;
    // The first NodePool (weight order) with an offering that takes the largest pod.
    for (std::size_t k = 0; k < pools.size() && !best; ++k) {
      const PoolProgress& pp = progress[k];
      if (pp.capped(pools[k])) continue;
      double best_per_pod = std::numeric_limits<double>::infinity();
      for (const KarpenterOffering* o : pp.order) {
        if (pp.limits && !pp.limits->fits(o->pool.capacity)) continue;
        work.upsert_node(offering_template(*o, pools[k].name, name));
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
          best_pool = k;
          best_pods = std::move(placed);
        }
      }
    }
    if (!best) {
      if (unschedulable) unschedulable->push_back(remaining.front()->key());
      remaining.erase(remaining.begin());
      continue;
    }
    PoolProgress& chosen = progress[best_pool];
    if (chosen.limits) chosen.limits->take(best->pool.capacity);
    ++chosen.opened;
    work.upsert_node(offering_template(*best, pools[best_pool].name, name));
    sched::NodeInfo* node = work.find(name);
    KarpenterLaunch l;
    l.offering = best->name();
    l.node_pool = std::string(pools[best_pool].name);
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
  }
  return launches;
}

}  // namespace

std::vector<KarpenterLaunch> provision(FilterSimulator& filter, sched::Snapshot& work,
                                       std::span<const ProvisioningPool> pools,
                                       std::span<const PodInfoPtr> pods,
                                       std::vector<std::string>* unschedulable,
                                       KarpenterPacking packing) {
  return packing == KarpenterPacking::kNodeClaims
             ? provision_node_claims(filter, work, pools, pods, unschedulable)
             : provision_cheapest_per_pod(filter, work, pools, pods, unschedulable);
}

std::vector<KarpenterLaunch> provision(FilterSimulator& filter, sched::Snapshot& work,
                                       std::span<const KarpenterOffering> offerings,
                                       std::span<const PodInfoPtr> pods, std::int32_t max_new_nodes,
                                       std::vector<std::string>* unschedulable,
                                       KarpenterPacking packing,
                                       const KarpenterLimitsLeft* limits_left) {
  const ProvisioningPool pool{"default", offerings, max_new_nodes, limits_left};
  return provision(filter, work, std::span(&pool, 1), pods, unschedulable, packing);
}

namespace {

std::vector<KarpenterNodePool> one_node_pool(std::vector<KarpenterOffering> offerings,
                                             const KarpenterOptions& options) {
  KarpenterNodePool pool;
  pool.offerings = std::move(offerings);
  pool.options = options;
  return {std::move(pool)};
}

}  // namespace

KarpenterProvisioner::KarpenterProvisioner(std::vector<KarpenterOffering> offerings,
                                           KarpenterOptions options,
                                           std::unique_ptr<FilterSimulator> filter)
    : KarpenterProvisioner(one_node_pool(std::move(offerings), options), options,
                           std::move(filter)) {}

KarpenterProvisioner::KarpenterProvisioner(std::vector<KarpenterNodePool> node_pools,
                                           KarpenterControllerOptions options,
                                           std::unique_ptr<FilterSimulator> filter)
    : node_pools_(std::move(node_pools)), options_(std::move(options)), filter_(std::move(filter)) {
  std::stable_sort(node_pools_.begin(), node_pools_.end(),
                   [](const KarpenterNodePool& a, const KarpenterNodePool& b) {
                     if (a.weight != b.weight) return a.weight > b.weight;
                     return a.name < b.name;
                   });
  for (std::size_t i = 0; i < node_pools_.size(); ++i) {
    for (const KarpenterOffering& o : node_pools_[i].offerings) {
      offerings_.push_back(o);
      offering_pool_.push_back(i);
    }
  }
}

std::size_t KarpenterProvisioner::pool_index(const KarpenterOffering& offering) const {
  return offering_pool_[static_cast<std::size_t>(&offering - offerings_.data())];
}

std::string_view KarpenterProvisioner::node_pool_of(std::string_view offering) const {
  for (const KarpenterOffering& o : offerings_) {
    if (o.name() == offering) return node_pools_[pool_index(o)].name;
  }
  return {};
}

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

void KarpenterProvisioner::cancel_deletion(std::string_view node) {
  if (auto it = deleting_.find(node); it != deleting_.end()) deleting_.erase(it);
}

KarpenterActions KarpenterProvisioner::step(sim::Time now, const KarpenterView& view) {
  KarpenterActions actions;
  const sched::Snapshot& snap = *view.nodes;
  std::erase_if(deleting_, [&](const std::string& n) { return snap.find(n) == nullptr; });

  // Registrations: each offering's registered count against what was launched.
  std::map<std::string, std::int32_t, std::less<>> registered;
  for (const sched::NodeInfo* ni : snap.nodes()) {
    if (const KarpenterOffering* o = offering_of(ni->node())) ++registered[o->name()];
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
      work.upsert_node(offering_template(o, node_pools_[pool_index(o)].name, name));
      in_flight_nodes.insert(std::move(name));
    }
  }

  // Provisioning: pods existing or in-flight capacity takes need no new node.
  std::vector<PodInfoPtr> need;
  std::set<std::string, std::less<>> unfit_keys;
  for (const PodInfoPtr& p : view.pending_pods) {
    const std::string key = pod_equivalence_key(*p);
    sched::NodeInfo* home =
        unfit_keys.contains(key)
            ? nullptr
            : filter_->first_fit(*p, work, [&](const sched::NodeInfo& ni) {
                return !deleting_.contains(ni.name()) && !ni.node().metadata.being_deleted();
              });
    if (home) {
      home->add_pod(p);
      // A registered node (not an in-flight launch) is nominated for the pod.
      if (!in_flight_nodes.contains(home->name())) {
        nominated_until_[home->name()] =
            now + std::max(2 * options_.batch_max_duration, 10 * sim::kSecond);
      }
    } else {
      unfit_keys.insert(key);
      need.push_back(p);
    }
  }
  if (!need.empty()) {
    std::vector<std::optional<KarpenterLimitsLeft>> limits_left;
    std::vector<ProvisioningPool> pools;
    provisioning_pools(snap, limits_left, pools);
    actions.launches =
        provision(*filter_, work, pools, need, &actions.unschedulable, options_.packing);
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
  // Pod history for consolidateAfter; which nodes have been Ready (Initialized).
  for (const sched::NodeInfo* ni : snap.nodes()) {
    if (ni->node().ready()) initialized_.insert(ni->name());
    // upstream podevents: a pod's PodScheduled=True transition, or the time it began
    // terminating (deletionTimestamp less its grace period).
    std::vector<std::string> pods, terminating;
    sim::Time event = ni->node().metadata.creation_timestamp;
    for (const PodInfoPtr& p : ni->pods()) {
      const models::Pod& pod = *p->pod;
      pods.push_back(p->key());
      if (pod.metadata.being_deleted()) {
        terminating.push_back(p->key());
        event = std::max(event,
                         *pod.metadata.deletion_timestamp -
                             pod.metadata.deletion_grace_period_seconds.value_or(0) * sim::kSecond);
      } else if (const models::Condition* c =
                     models::find_condition(pod.status.conditions, models::kPodScheduled);
                 c != nullptr && c->status == models::ConditionStatus::kTrue) {
        event = std::max(event, c->last_transition_time);
      }
    }
    std::sort(pods.begin(), pods.end());
    std::sort(terminating.begin(), terminating.end());
    auto [it, inserted] = history_.try_emplace(ni->name());
    NodeHistory& h = it->second;
    if (!inserted && h.pods != pods) {
      // A pod that left without being seen terminating (between two passes, or gone
      // terminal): its event time is not known, so this pass's time stands for it.
      for (const std::string& gone : h.pods) {
        if (!std::binary_search(pods.begin(), pods.end(), gone) &&
            !std::binary_search(h.terminating.begin(), h.terminating.end(), gone)) {
          event = std::max(event, now);
          break;
        }
      }
    }
    h.changed = std::max(inserted ? event : h.changed, event);
    h.pods = std::move(pods);
    h.terminating = std::move(terminating);
  }
  std::erase_if(history_, [&](const auto& kv) { return snap.find(kv.first) == nullptr; });
  std::erase_if(nominated_until_,
                [&](const auto& kv) { return kv.second <= now || snap.find(kv.first) == nullptr; });
  std::erase_if(initialized_, [&](const std::string& n) { return snap.find(n) == nullptr; });

  // Expiration (nodeclaim/expiration): forceful, outside the budgets and the settle wait.
  for (const sched::NodeInfo* ni : snap.nodes()) {
    const models::Node& node = ni->node();
    const KarpenterOffering* o = offering_of(node);
    if (!o || deleting_.contains(ni->name()) || node.metadata.being_deleted()) continue;
    const std::optional<sim::Duration>& expire_after = pool_options(*o).expire_after;
    if (!expire_after || now < node.metadata.creation_timestamp + *expire_after) continue;
    deleting_.insert(ni->name());
    actions.expired.push_back(ni->name());
    actions.reasons.push_back("expiration: " + ni->name() + " is older than expireAfter");
  }

  // Consolidation simulates on the cluster as it is (no in-flight template nodes remain).
  for (const std::string& n : in_flight_nodes) work.remove_node(n);
  consolidate(now, work, view, !any_in_flight && actions.unschedulable.empty(), actions);
  return actions;
}

void KarpenterProvisioner::provisioning_pools(
    const sched::Snapshot& nodes, std::vector<std::optional<KarpenterLimitsLeft>>& limits,
    std::vector<ProvisioningPool>& pools) const {
  // Per NodePool: its maxNodes and spec.limits, both counting its launches in flight.
  std::vector<std::int32_t> count(node_pools_.size(), 0);
  std::vector<models::ResourceList> used(node_pools_.size());
  for (const sched::NodeInfo* ni : nodes.nodes()) {
    if (const KarpenterOffering* o = offering_of(ni->node())) {
      ++count[pool_index(*o)];
      used[pool_index(*o)] += ni->node().status.capacity;
    }
  }
  for (std::size_t k = 0; k < offerings_.size(); ++k) {
    const KarpenterOffering& o = offerings_[k];
    auto it = launches_.find(o.name());
    const std::size_t n = it == launches_.end() ? 0 : it->second.size();
    for (std::size_t i = 0; i < n; ++i) {
      ++count[offering_pool_[k]];
      used[offering_pool_[k]] += o.pool.capacity;
    }
  }
  limits.assign(node_pools_.size(), std::nullopt);
  pools.clear();
  for (std::size_t i = 0; i < node_pools_.size(); ++i) {
    const KarpenterNodePoolOptions& o = node_pools_[i].options;
    if (o.limits) limits[i].emplace(*o.limits, used[i]);
    pools.push_back({node_pools_[i].name, node_pools_[i].offerings,
                     o.max_nodes > 0 ? std::max(0, o.max_nodes - count[i]) : -1,
                     limits[i] ? &*limits[i] : nullptr});
  }
}

// ---- Disruption ------------------------------------------------------------------------------

struct KarpenterProvisioner::Candidate {
  sched::NodeInfo* node = nullptr;
  const KarpenterOffering* offering = nullptr;
  std::size_t pool = 0;             // its NodePool's index in node_pools_
  std::vector<PodInfoPtr> to_move;  // its reschedulable pods
  double cost = 0;                  // disruption_cost
  // Its pod set has not changed for its NodePool's consolidateAfter (the Consolidatable
  // condition): the consolidation methods (Emptiness included) consider only these.
  bool consolidatable = false;
  std::optional<sim::Time> drifted_at;  // the template update it drifted from
};

std::string_view to_string(DisruptionReason reason) {
  switch (reason) {
    case DisruptionReason::kEmpty:
      return "Empty";
    case DisruptionReason::kDrifted:
      return "Drifted";
    case DisruptionReason::kUnderutilized:
      return "Underutilized";
  }
  return "Empty";
}

std::string_view to_string(KarpenterActions::Method method) {
  switch (method) {
    case KarpenterActions::Method::kEmptiness:
      return "Emptiness";
    case KarpenterActions::Method::kDrift:
      return "Drift";
    case KarpenterActions::Method::kMultiNode:
      return "MultiNodeConsolidation";
    case KarpenterActions::Method::kSingleNode:
      return "SingleNodeConsolidation";
  }
  return "Emptiness";
}

bool DisruptionBudget::active(std::int64_t unix_now) const {
  if (!schedule) return true;
  auto floor_s = [](std::int64_t ns) { return ns / sim::kSecond - (ns % sim::kSecond < 0); };
  const std::int64_t now_s = floor_s(unix_now);
  const std::optional<std::int64_t> hit = schedule->next(floor_s(unix_now - duration));
  return hit && *hit <= now_s;
}

std::int32_t allowed_disruptions(std::span<const DisruptionBudget> budgets, DisruptionReason reason,
                                 std::int32_t nodes, std::int32_t disrupting,
                                 std::int64_t unix_now) {
  std::int64_t allowed = std::numeric_limits<std::int32_t>::max();
  for (const DisruptionBudget& b : budgets) {
    if (!b.active(unix_now)) continue;
    if (!b.reasons.empty() &&
        std::find(b.reasons.begin(), b.reasons.end(), reason) == b.reasons.end()) {
      continue;
    }
    // intstr.GetScaledValueFromIntOrPercent(..., roundUp=true).
    const std::int64_t value =
        b.percent ? (std::int64_t{b.nodes} * nodes + 99) / 100 : std::int64_t{b.nodes};
    allowed = std::min(allowed, value);
  }
  return static_cast<std::int32_t>(std::max<std::int64_t>(0, allowed - disrupting));
}

double eviction_cost(const models::Pod& pod) {
  double cost = 1.0;
  const std::string_view text = pod.metadata.annotations.get(models::kPodDeletionCostAnnotation);
  if (!text.empty()) {
    // strconv.ParseFloat: the whole text must be a number; otherwise it does not count.
    const std::string copy(text);
    char* end = nullptr;
    const double v = std::strtod(copy.c_str(), &end);
    if (end == copy.c_str() + copy.size() && std::isfinite(v)) cost += v / std::ldexp(1.0, 27);
  }
  cost += static_cast<double>(pod.spec.priority) / std::ldexp(1.0, 25);
  return std::clamp(cost, -10.0, 10.0);
}

double disruption_cost(const sched::NodeInfo& node, sim::Time now,
                       std::optional<sim::Duration> expire_after) {
  double cost = 0;
  for (const PodInfoPtr& p : node.pods()) cost += eviction_cost(*p->pod);
  if (expire_after && *expire_after > 0) {
    const double age = static_cast<double>(now - node.node().metadata.creation_timestamp);
    const double ttl = static_cast<double>(*expire_after);
    cost *= std::clamp((ttl - age) / ttl, 0.0, 1.0);
  }
  return cost;
}

std::vector<KarpenterProvisioner::Candidate> KarpenterProvisioner::candidates(
    sim::Time now, sched::Snapshot& work, const KarpenterView& view,
    std::set<std::string, std::less<>>& destinations) const {
  DrainContext drain;
  drain.karpenter_rules = true;
  drain.pdb_allows_eviction = view.pdb_allows_eviction;
  std::vector<Candidate> out;
  for (sched::NodeInfo* ni : work.nodes()) {
    const models::Node& node = ni->node();
    if (deleting_.contains(ni->name()) || node.metadata.being_deleted() || !node.ready()) continue;
    destinations.insert(ni->name());
    const KarpenterOffering* o = offering_of(node);
    if (!o) continue;
    if (node.metadata.annotations.get(kDoNotDisruptAnnotation) == "true") continue;
    // "state node is nominated for a pending pod".
    if (auto n = nominated_until_.find(ni->name());
        n != nominated_until_.end() && n->second > now) {
      continue;
    }
    const KarpenterNodePoolOptions& po = pool_options(*o);
    Candidate c;
    c.node = ni;
    c.offering = o;
    c.pool = pool_index(*o);
    c.cost = disruption_cost(*ni, now, po.expire_after);
    // consolidateAfter Never: never Consolidatable. A node the pod history has not seen yet
    // (none should reach here) is not either.
    auto h = history_.find(ni->name());
    c.consolidatable = po.consolidate_after && h != history_.end() &&
                       now - h->second.changed >= *po.consolidate_after;
    for (sim::Time u : po.template_updates) {
      if (u <= now && node.metadata.creation_timestamp < u) c.drifted_at = u;
    }
    if (!c.consolidatable && !c.drifted_at) continue;
    bool blocked = false;
    for (const PodInfoPtr& p : ni->pods()) {
      const PodDrainVerdict v = drain_verdict(*p->pod, drain);
      if (v == PodDrainVerdict::kBlock) {
        blocked = true;
        break;
      }
      if (v == PodDrainVerdict::kMove) c.to_move.push_back(p);
    }
    if (!blocked) out.push_back(std::move(c));
  }
  // Ascending disruption cost (upstream sorts unstably; ties go by name here).
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
    if (a.cost != b.cost) return a.cost < b.cost;
    return a.node->name() < b.node->name();
  });
  return out;
}

std::vector<std::int32_t> KarpenterProvisioner::budgets(const sched::Snapshot& work,
                                                        DisruptionReason reason,
                                                        sim::Time now) const {
  // upstream BuildDisruptionBudgetMapping, per NodePool: managed, initialized nodes;
  // disrupting = not Ready or marked for deletion.
  std::vector<std::int32_t> nodes(node_pools_.size(), 0), disrupting(node_pools_.size(), 0);
  for (const sched::NodeInfo* ni : work.nodes()) {
    const KarpenterOffering* o = offering_of(ni->node());
    if (!o || !initialized_.contains(ni->name())) continue;
    const std::size_t k = pool_index(*o);
    ++nodes[k];
    if (!ni->node().ready() || deleting_.contains(ni->name()) ||
        ni->node().metadata.being_deleted()) {
      ++disrupting[k];
    }
  }
  std::vector<std::int32_t> left(node_pools_.size());
  for (std::size_t k = 0; k < node_pools_.size(); ++k) {
    left[k] = allowed_disruptions(node_pools_[k].options.budgets, reason, nodes[k], disrupting[k],
                                  options_.start_time_unix_ns + now);
  }
  return left;
}

std::string KarpenterProvisioner::pool_suffix(std::size_t pool) const {
  return node_pools_.size() > 1 ? " (NodePool " + node_pools_[pool].name + ")" : "";
}

std::optional<KarpenterActions::Consolidation> KarpenterProvisioner::simulate(
    sched::Snapshot& work, std::span<const Candidate* const> set,
    const std::set<std::string, std::less<>>& destinations,
    std::vector<const KarpenterOffering*>* options) const {
  const bool multi = set.size() > 1;
  double set_price = 0;
  bool all_spot = true;
  std::set<std::string, std::less<>> removed;
  std::vector<PodInfoPtr> moving;
  for (const Candidate* c : set) {
    set_price += c->offering->price();
    all_spot = all_spot && c->offering->spot;
    removed.insert(c->node->name());
    for (const PodInfoPtr& p : c->to_move) {
      c->node->remove_pod(p->key());
      // upstream findPlaceFor: the pod is rescheduled with spec.nodeName cleared.
      moving.push_back(unbound(p));
    }
  }
  sort_decreasing(moving);
  std::vector<std::pair<sched::NodeInfo*, PodInfoPtr>> placed;
  std::vector<PodInfoPtr> left;
  for (const PodInfoPtr& p : moving) {
    sched::NodeInfo* dest = filter_->first_fit(*p, work, [&](const sched::NodeInfo& d) {
      return !removed.contains(d.name()) && destinations.contains(d.name());
    });
    if (dest) {
      dest->add_pod(p);
      placed.emplace_back(dest, p);
    } else {
      left.push_back(p);
    }
  }
  std::optional<Consolidation> result;
  if (options) options->clear();
  if (left.empty()) {
    result = Consolidation{KarpenterActions::Kind::kDelete, {}, {}, set_price, {}};
  } else if (!all_spot || options_.spot_to_spot_consolidation) {
    // One new node for the rest, cheaper than the whole set.
    double max_price = set_price;
    if (multi) {
      // filterOutSameType: not a node of a type being consolidated, or anything as dear.
      for (const Candidate* c : set) max_price = std::min(max_price, c->offering->price());
    }
    // A node of offering `o` takes all of `pods`.
    auto holds = [&](const KarpenterOffering& o, std::span<const PodInfoPtr> pods) {
      const std::string name = "karpenter-replacement";
      work.upsert_node(offering_template(o, node_pools_[pool_index(o)].name, name));
      sched::NodeInfo* r = work.find(name);
      bool all = true;
      for (const PodInfoPtr& p : pods) {
        if (filter_->prepare(*p, work) && filter_->fits(*p, *r)) {
          r->add_pod(p);
        } else {
          all = false;
          break;
        }
      }
      work.remove_node(name);
      return all;
    };
    // The scheduler opens the replacement claim in the first NodePool (weight order) that
    // can take the largest pod; pods that claim cannot hold would need a second new node.
    std::optional<std::size_t> claim_pool;
    for (std::size_t k = 0; k < offerings_.size() && !claim_pool; ++k) {
      if (holds(offerings_[k], std::span(&left.front(), 1))) claim_pool = offering_pool_[k];
    }
    std::vector<const KarpenterOffering*> cheaper;
    for (std::size_t k = 0; k < offerings_.size(); ++k) {
      const KarpenterOffering& o = offerings_[k];
      if (offering_pool_[k] != claim_pool) continue;
      if (o.price() < max_price && (!all_spot || o.spot)) cheaper.push_back(&o);
    }
    std::stable_sort(cheaper.begin(), cheaper.end(), [](const auto* a, const auto* b) {
      if (a->price() != b->price()) return a->price() < b->price();
      return a->name() < b->name();
    });
    std::vector<const KarpenterOffering*> fitting;
    for (const KarpenterOffering* o : cheaper) {
      if (holds(*o, left)) fitting.push_back(o);
    }
    // Spot to spot: a single node only with enough cheaper types to choose from
    // (MinInstanceTypesForSpotToSpotConsolidation), and at most the 15 cheapest launched.
    constexpr std::size_t kSpotToSpotTypes = 15;
    if (all_spot && !multi && fitting.size() < kSpotToSpotTypes) fitting.clear();
    if (all_spot && fitting.size() > kSpotToSpotTypes) fitting.resize(kSpotToSpotTypes);
    if (!fitting.empty()) {
      result = Consolidation{KarpenterActions::Kind::kReplace,
                             {},
                             {fitting.front()->name()},
                             set_price - fitting.front()->price(),
                             {}};
      if (options) *options = std::move(fitting);
    }
  }
  for (auto& [d, p] : placed) d->remove_pod(p->key());
  for (const Candidate* c : set) {
    for (const PodInfoPtr& p : c->to_move) c->node->add_pod(p);
  }
  if (result) {
    for (const Candidate* c : set) result->nodes.push_back(c->node->name());
  }
  return result;
}

namespace {

// "MultiNodeConsolidation: Replace a,b with m5-large"
std::string describe(const KarpenterActions::Consolidation& c) {
  auto join = [](const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ",") + n;
    return out;
  };
  return std::string(to_string(c.method)) + ": " + std::string(to_string(c.kind)) + " " +
         join(c.nodes) + (c.replacements.empty() ? "" : " with " + join(c.replacements));
}

}  // namespace

std::optional<KarpenterActions::Consolidation> KarpenterProvisioner::simulate_drift(
    const sched::Snapshot& work, const Candidate& c,
    const std::set<std::string, std::less<>>& destinations, KarpenterActions& actions) const {
  // SimulateScheduling on a scratch copy: the candidate and the nodes pods cannot go to are
  // left out; its pods go on the rest first (largest first, first fit), then on new
  // NodeClaims of the NodePools as the provisioner would launch them.
  sched::Snapshot scratch;
  copy_snapshot(work, scratch);
  for (const sched::NodeInfo* ni : work.nodes()) {
    if (ni->name() == c.node->name() || !destinations.contains(ni->name())) {
      scratch.remove_node(ni->name());
    }
  }
  std::vector<PodInfoPtr> moving;
  for (const PodInfoPtr& p : c.to_move) moving.push_back(unbound(p));
  sort_decreasing(moving);
  std::vector<PodInfoPtr> left;
  for (const PodInfoPtr& p : moving) {
    if (sched::NodeInfo* dest = filter_->first_fit(*p, scratch)) {
      dest->add_pod(p);
    } else {
      left.push_back(p);
    }
  }
  std::vector<KarpenterLaunch> launches;
  if (!left.empty()) {
    std::vector<std::optional<KarpenterLimitsLeft>> limits;
    std::vector<ProvisioningPool> pools;
    provisioning_pools(work, limits, pools);
    std::vector<std::string> pending;
    launches = provision(*filter_, scratch, pools, left, &pending, options_.packing);
    if (!pending.empty()) {
      actions.reasons.push_back("drift: " + c.node->name() + " is blocked: " +
                                std::to_string(pending.size()) + " of its pods would not schedule");
      return std::nullopt;
    }
  }
  Consolidation command{
      launches.empty() ? KarpenterActions::Kind::kDelete : KarpenterActions::Kind::kReplace,
      {c.node->name()},
      {},
      c.offering->price(),
      KarpenterActions::Method::kDrift};
  for (const KarpenterLaunch& l : launches) {
    command.replacements.push_back(l.offering);
    command.savings_per_hour -= l.price_per_hour;
  }
  return command;
}

std::optional<KarpenterActions::Consolidation> KarpenterProvisioner::compute(
    sim::Time now, sched::Snapshot& work, const KarpenterView& view, int first_method,
    KarpenterActions& actions) const {
  using Method = KarpenterActions::Method;
  std::set<std::string, std::less<>> destinations;
  std::vector<Candidate> cands = candidates(now, work, view, destinations);
  std::vector<const KarpenterOffering*> options;
  if (first_method <= static_cast<int>(Method::kEmptiness)) {
    std::vector<std::int32_t> left = budgets(work, DisruptionReason::kEmpty, now);
    std::vector<bool> reached(node_pools_.size(), false);
    Consolidation empty{KarpenterActions::Kind::kEmpty, {}, {}, 0, Method::kEmptiness};
    for (const Candidate& c : cands) {
      if (!c.consolidatable || !c.to_move.empty()) continue;
      if (left[c.pool] <= 0) {
        if (!reached[c.pool]) {
          actions.reasons.push_back("emptiness: disruption budget for Empty reached" +
                                    pool_suffix(c.pool));
        }
        reached[c.pool] = true;
        continue;
      }
      --left[c.pool];
      empty.nodes.push_back(c.node->name());
      empty.savings_per_hour += c.offering->price();
    }
    if (!empty.nodes.empty()) return empty;
  }
  // Drift (drift.go): one drifted candidate with pods at a time, the longest drifted first
  // (ties in disruption-cost order), within its NodePool's budget for Drifted; empty drifted
  // nodes are left to Emptiness.
  if (first_method <= static_cast<int>(Method::kDrift)) {
    std::vector<const Candidate*> drifted;
    for (const Candidate& c : cands) {
      if (c.drifted_at && !c.to_move.empty()) drifted.push_back(&c);
    }
    std::stable_sort(drifted.begin(), drifted.end(), [](const Candidate* a, const Candidate* b) {
      return *a->drifted_at < *b->drifted_at;
    });
    std::vector<std::int32_t> left;
    if (!drifted.empty()) left = budgets(work, DisruptionReason::kDrifted, now);
    std::vector<bool> reached(node_pools_.size(), false);
    for (const Candidate* c : drifted) {
      if (left[c->pool] <= 0) {
        if (!reached[c->pool]) {
          actions.reasons.push_back("drift: disruption budget for Drifted reached" +
                                    pool_suffix(c->pool));
        }
        reached[c->pool] = true;
        continue;
      }
      if (auto r = simulate_drift(work, *c, destinations, actions)) return r;
    }
  }
  // Only NodePools with consolidationPolicy WhenEmptyOrUnderutilized consolidate nodes that
  // have pods.
  std::erase_if(cands, [&](const Candidate& c) {
    return !c.consolidatable || c.to_move.empty() ||
           node_pools_[c.pool].options.consolidation_policy == ConsolidationPolicy::kWhenEmpty;
  });
  if (first_method <= static_cast<int>(Method::kMultiNode)) {
    std::vector<std::int32_t> left = budgets(work, DisruptionReason::kUnderutilized, now);
    std::vector<const Candidate*> pre;
    for (const Candidate& c : cands) {
      if (left[c.pool] <= 0) continue;
      --left[c.pool];
      pre.push_back(&c);
    }
    // firstNConsolidationOption: binary search for the longest prefix (at least 2 nodes).
    const auto n = static_cast<std::int32_t>(pre.size());
    std::optional<Consolidation> best;
    if (n >= 2) {
      std::int32_t lo = 1;
      std::int32_t hi = std::min(n, kMaxMultiNodeCandidates);
      if (n <= hi) hi = n - 1;
      while (lo <= hi) {
        const std::int32_t mid = (lo + hi) / 2;
        auto r = simulate(work, std::span(pre.data(), static_cast<std::size_t>(mid) + 1),
                          destinations, &options);
        if (r) {
          best = std::move(r);
          lo = mid + 1;
        } else {
          hi = mid - 1;
        }
      }
    }
    if (best) {
      best->method = Method::kMultiNode;
      return best;
    }
  }
  const std::vector<std::int32_t> left = budgets(work, DisruptionReason::kUnderutilized, now);
  if (std::all_of(left.begin(), left.end(), [](std::int32_t l) { return l <= 0; })) {
    actions.reasons.push_back("consolidation: disruption budget for Underutilized reached");
    return std::nullopt;
  }
  for (const Candidate& c : cands) {
    if (left[c.pool] <= 0) continue;
    const Candidate* one = &c;
    if (auto r = simulate(work, std::span(&one, 1), destinations, &options)) {
      r->method = Method::kSingleNode;
      return r;
    }
  }
  return std::nullopt;
}

// upstream validation.go: the candidates are still candidates within the budget, and the
// simulation still gives the command's kind (a Replace: its offering still acceptable).
bool KarpenterProvisioner::validate(sim::Time now, sched::Snapshot& work, const KarpenterView& view,
                                    KarpenterActions& actions) const {
  const Consolidation& command = validating_->command;
  std::set<std::string, std::less<>> destinations;
  std::vector<Candidate> cands = candidates(now, work, view, destinations);
  std::vector<const Candidate*> set;
  for (const std::string& name : command.nodes) {
    auto it = std::find_if(cands.begin(), cands.end(),
                           [&](const Candidate& c) { return c.node->name() == name; });
    if (it == cands.end() || !it->consolidatable) {
      actions.reasons.push_back("validation: " + name + " is no longer a candidate");
      return false;
    }
    set.push_back(&*it);
  }
  std::vector<std::int32_t> left = budgets(work,
                                           command.method == KarpenterActions::Method::kEmptiness
                                               ? DisruptionReason::kEmpty
                                               : DisruptionReason::kUnderutilized,
                                           now);
  for (const Candidate* c : set) {
    if (--left[c->pool] < 0) {
      actions.reasons.push_back("validation: the disruption budget no longer allows it");
      return false;
    }
  }
  if (command.kind == KarpenterActions::Kind::kEmpty) {
    const bool empty =
        std::all_of(set.begin(), set.end(), [](const Candidate* c) { return c->to_move.empty(); });
    if (!empty) actions.reasons.push_back("validation: a candidate is no longer empty");
    return empty;
  }
  std::vector<const KarpenterOffering*> options;
  auto r = simulate(work, set, destinations, &options);
  if (!r || r->kind != command.kind) {
    actions.reasons.push_back("validation: the simulation no longer gives the same command");
    return false;
  }
  if (command.kind == KarpenterActions::Kind::kReplace &&
      std::none_of(options.begin(), options.end(), [&](const KarpenterOffering* o) {
        return o->name() == command.replacements[0];
      })) {
    actions.reasons.push_back("validation: " + command.replacements[0] +
                              " is no longer acceptable");
    return false;
  }
  return true;
}

void KarpenterProvisioner::consolidate(sim::Time now, sched::Snapshot& work,
                                       const KarpenterView& view, bool settled,
                                       KarpenterActions& actions) {
  int first_method = 0;
  if (validating_) {
    const sim::Time due = validating_->at + kConsolidationTtl;
    if (now < due) {
      actions.revisit_at = due;
      return;
    }
    const bool valid = settled && validate(now, work, view, actions);
    Pending p = std::move(*validating_);
    validating_.reset();
    if (valid) {
      act(now, std::move(p.command), actions);
      return;
    }
    actions.consolidation_abandoned = true;
    std::string nodes;
    for (const std::string& n : p.command.nodes) nodes += (nodes.empty() ? "" : ",") + n;
    actions.reasons.push_back("abandoning " + std::string(to_string(p.command.method)) + " of " +
                              nodes + (settled ? " due to pod churn" : ": cluster not settled"));
    first_method = static_cast<int>(p.command.method) + 1;
  }
  if (!settled) return;
  std::optional<Consolidation> command = compute(now, work, view, first_method, actions);
  if (!command) return;
  if (command->method == KarpenterActions::Method::kDrift) {  // eventual: no validation
    act(now, std::move(*command), actions);
    return;
  }
  actions.reasons.push_back(describe(*command) + ", validating at " +
                            sim::format_duration(now + kConsolidationTtl));
  validating_ = Pending{std::move(*command), {}, now};
  actions.consolidation_computed = true;
  actions.revisit_at = now + kConsolidationTtl;
}

void KarpenterProvisioner::act(sim::Time now, Consolidation command, KarpenterActions& actions) {
  for (const std::string& n : command.nodes) deleting_.insert(n);
  for (const std::string& offering : command.replacements) {
    ++expected_[offering];
    launches_[offering].push_back(now);
  }
  actions.reasons.push_back("disruption: " + describe(command));
  actions.consolidation = std::move(command);
}

}  // namespace kubesim::policies
