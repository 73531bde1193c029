#include "models/node_lifecycle_logic.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace kubesim::models {

// ---- DefaultTolerationSeconds ---------------------------------------------------------------

int add_default_tolerations(PodSpec& spec, std::int64_t not_ready_seconds,
                            std::int64_t unreachable_seconds) {
  bool not_ready = false;
  bool unreachable = false;
  for (const Toleration& t : spec.tolerations) {
    const bool no_execute = !t.effect.has_value() || *t.effect == TaintEffect::kNoExecute;
    if (!no_execute) continue;
    if (t.key.empty() || t.key == kTaintNodeNotReady) not_ready = true;
    if (t.key.empty() || t.key == kTaintNodeUnreachable) unreachable = true;
  }
  int added = 0;
  if (!not_ready) {
    spec.tolerations.push_back(Toleration{std::string(kTaintNodeNotReady),
                                          TolerationOperator::kExists, "", TaintEffect::kNoExecute,
                                          not_ready_seconds});
    ++added;
  }
  if (!unreachable) {
    spec.tolerations.push_back(Toleration{std::string(kTaintNodeUnreachable),
                                          TolerationOperator::kExists, "", TaintEffect::kNoExecute,
                                          unreachable_seconds});
    ++added;
  }
  return added;
}

// ---- Node health ----------------------------------------------------------------------------

namespace {

bool same_condition(const Condition& a, const Condition& b) {
  return a.type == b.type && a.status == b.status && a.reason == b.reason &&
         a.message == b.message && a.last_transition_time == b.last_transition_time &&
         a.last_heartbeat_time == b.last_heartbeat_time;
}

void reset_health(NodeHealth& h, const Condition* current, sim::Time now) {
  h.initialized = true;
  h.probe_timestamp = now;
  h.ready_transition_timestamp = now;
  h.saved_ready = current ? std::optional<Condition>(*current) : std::nullopt;
  h.saved_lease_renew.reset();
}

constexpr std::array<std::string_view, 4> kMonitoredConditions{kNodeReady, kNodeMemoryPressure,
                                                               kNodeDiskPressure, kNodePIDPressure};

bool has_taint(const std::vector<Taint>& taints, std::string_view key, TaintEffect effect) {
  return std::any_of(taints.begin(), taints.end(),
                     [&](const Taint& t) { return t.key == key && t.effect == effect; });
}

Taint make_taint(std::string_view key, TaintEffect effect) {
  Taint t;
  t.key = std::string(key);
  t.effect = effect;
  return t;
}

// The Ready condition upstream makes up when the kubelet never posted one (Unknown, dated
// at the node's creation) equals `c`.
bool same_as_never_posted(const Condition& c, const Node& node) {
  return c.type == kNodeReady && c.status == ConditionStatus::kUnknown && c.reason.empty() &&
         c.message.empty() && c.last_transition_time == node.metadata.creation_timestamp &&
         c.last_heartbeat_time == node.metadata.creation_timestamp;
}

}  // namespace

NodeHealthPass update_node_health(NodeHealth& health, const Node& node,
                                  std::optional<sim::Time> lease_renew_time, sim::Time now,
                                  const NodeLifecycleConfig& config) {
  NodeHealthPass r;
  const Condition* current = find_condition(node.status.conditions, kNodeReady);
  r.observed = current;
  if (current == nullptr) {
    r.observed_status = ConditionStatus::kUnknown;
    r.grace_period = config.node_startup_grace_period;
    if (health.initialized) {
      health.saved_ready.reset();
    } else {
      health.initialized = true;
      health.probe_timestamp = node.metadata.creation_timestamp;
      health.ready_transition_timestamp = node.metadata.creation_timestamp;
      health.saved_ready.reset();
      health.saved_lease_renew.reset();
    }
  } else {
    r.observed_status = current->status;
    r.grace_period = config.node_monitor_grace_period;
    const std::optional<Condition>& saved = health.saved_ready;
    if (!health.initialized) {
      reset_health(health, current, now);
    } else if (!saved) {
      // Newly observed Ready condition (controller restart with the node already known).
      reset_health(health, current, now);
    } else if (saved->last_heartbeat_time != current->last_heartbeat_time) {
      // A new heartbeat: probe now; a changed transition time is a Ready transition.
      const sim::Time transition = saved->last_transition_time != current->last_transition_time
                                       ? now
                                       : health.ready_transition_timestamp;
      const std::optional<sim::Time> lease_seen = health.saved_lease_renew;
      reset_health(health, current, now);
      health.ready_transition_timestamp = transition;
      health.saved_lease_renew = lease_seen;
      // upstream builds a fresh nodeHealthData without the lease; the lease check below
      // then probes "now" as well — the same probe time, so keeping it changes nothing.
    }
  }
  // Always probe when the lease was renewed since last seen.
  if (lease_renew_time &&
      (!health.saved_lease_renew || *health.saved_lease_renew < *lease_renew_time)) {
    health.saved_lease_renew = lease_renew_time;
    health.probe_timestamp = now;
  }

  if (current != nullptr) r.current_status = current->status;
  if (now > health.probe_timestamp + r.grace_period) {
    std::vector<Condition> conditions = node.status.conditions;
    for (std::string_view type : kMonitoredConditions) {
      auto it = std::find_if(conditions.begin(), conditions.end(),
                             [type](const Condition& c) { return c.type == type; });
      if (it == conditions.end()) {
        Condition c;
        c.type = std::string(type);
        c.status = ConditionStatus::kUnknown;
        c.reason = std::string(kReasonNodeStatusNeverUpdated);
        c.message = "Kubelet never posted node status.";
        c.last_heartbeat_time = node.metadata.creation_timestamp;
        c.last_transition_time = now;
        conditions.push_back(std::move(c));
      } else if (it->status != ConditionStatus::kUnknown) {
        it->status = ConditionStatus::kUnknown;
        it->reason = std::string(kReasonNodeStatusUnknown);
        it->message = "Kubelet stopped posting node status.";
        it->last_transition_time = now;
      }
    }
    const Condition* ready = find_condition(conditions, kNodeReady);
    if (ready != nullptr &&
        !(current != nullptr ? same_condition(*ready, *current) : same_as_never_posted(*ready, node))) {
      r.status_changed = true;
      r.current_status = ready->status;
      health.ready_transition_timestamp = now;
      health.saved_ready = *ready;
      r.conditions = std::move(conditions);
    }
  }
  return r;
}

NodeHealthResult try_update_node_health(NodeHealth& health, const Node& node, const Lease* lease,
                                        sim::Time now, const NodeLifecycleConfig& config) {
  NodeHealthPass p = update_node_health(
      health, node, lease != nullptr ? lease->spec.renew_time : std::nullopt, now, config);
  NodeHealthResult r;
  r.grace_period = p.grace_period;
  if (p.observed != nullptr) {
    r.observed_ready = *p.observed;
  } else {
    r.observed_ready.type = std::string(kNodeReady);
    r.observed_ready.status = ConditionStatus::kUnknown;
    r.observed_ready.last_heartbeat_time = node.metadata.creation_timestamp;
    r.observed_ready.last_transition_time = node.metadata.creation_timestamp;
  }
  r.status_changed = p.status_changed;
  if (p.status_changed) {
    r.current_ready = *find_condition(p.conditions, kNodeReady);
    r.conditions = std::move(p.conditions);
  } else if (p.observed != nullptr) {
    r.current_ready = *p.observed;
  }
  return r;
}

// ---- Taints ---------------------------------------------------------------------------------

namespace {

// upstream nodeConditionToTaintKeyStatusMap.
std::optional<std::string_view> condition_taint_key(const Condition& c) {
  if (c.type == kNodeReady) {
    if (c.status == ConditionStatus::kFalse) return kTaintNodeNotReady;
    if (c.status == ConditionStatus::kUnknown) return kTaintNodeUnreachable;
    return std::nullopt;
  }
  if (c.status != ConditionStatus::kTrue) return std::nullopt;
  if (c.type == kNodeMemoryPressure) return kTaintNodeMemoryPressure;
  if (c.type == kNodeDiskPressure) return kTaintNodeDiskPressure;
  if (c.type == kNodePIDPressure) return kTaintNodePIDPressure;
  if (c.type == kNodeNetworkUnavailable) return kTaintNodeNetworkUnavailable;
  return std::nullopt;
}

bool is_condition_taint_key(std::string_view key) {
  return key == kTaintNodeNotReady || key == kTaintNodeUnreachable ||
         key == kTaintNodeMemoryPressure || key == kTaintNodeDiskPressure ||
         key == kTaintNodePIDPressure || key == kTaintNodeNetworkUnavailable;
}

}  // namespace

TaintUpdate no_schedule_taint_update(const Node& node) {
  std::vector<Taint> want;
  for (const Condition& c : node.status.conditions) {
    if (auto key = condition_taint_key(c))
      want.push_back(make_taint(*key, TaintEffect::kNoSchedule));
  }
  if (node.spec.unschedulable) {
    want.push_back(make_taint(kTaintNodeUnschedulable, TaintEffect::kNoSchedule));
  }
  TaintUpdate u;
  for (const Taint& t : want) {
    if (!has_taint(node.spec.taints, t.key, t.effect) && !has_taint(u.add, t.key, t.effect)) {
      u.add.push_back(t);
    }
  }
  for (const Taint& t : node.spec.taints) {
    if (t.effect != TaintEffect::kNoSchedule) continue;
    if (t.key != kTaintNodeUnschedulable && !is_condition_taint_key(t.key)) continue;
    if (!has_taint(want, t.key, t.effect)) u.remove.push_back(t);
  }
  return u;
}

void apply_taint_update(std::vector<Taint>& taints, const TaintUpdate& update) {
  for (const Taint& r : update.remove) {
    std::erase_if(taints, [&](const Taint& t) { return t.same_key_and_effect(r); });
  }
  for (const Taint& a : update.add) {
    if (!has_taint(taints, a.key, a.effect)) taints.push_back(a);
  }
}

TaintEvictionAction taint_eviction_action(const Node& node, ConditionStatus observed_ready) {
  switch (observed_ready) {
    case ConditionStatus::kFalse:
      if (has_taint(node.spec.taints, kTaintNodeUnreachable, TaintEffect::kNoExecute)) {
        return TaintEvictionAction::kSwapToNotReady;
      }
      return TaintEvictionAction::kQueueForTainting;
    case ConditionStatus::kUnknown:
      if (has_taint(node.spec.taints, kTaintNodeNotReady, TaintEffect::kNoExecute)) {
        return TaintEvictionAction::kSwapToUnreachable;
      }
      return TaintEvictionAction::kQueueForTainting;
    case ConditionStatus::kTrue:
      return TaintEvictionAction::kMarkReachable;
  }
  return TaintEvictionAction::kNone;
}

std::optional<TaintUpdate> no_execute_taint_update(const Node& node, sim::Time now) {
  const Condition* ready = find_condition(node.status.conditions, kNodeReady);
  if (ready == nullptr) return std::nullopt;
  std::string_view add;
  std::string_view opposite;
  if (ready->status == ConditionStatus::kFalse) {
    add = kTaintNodeNotReady;
    opposite = kTaintNodeUnreachable;
  } else if (ready->status == ConditionStatus::kUnknown) {
    add = kTaintNodeUnreachable;
    opposite = kTaintNodeNotReady;
  } else {
    return std::nullopt;
  }
  TaintUpdate u;
  if (!has_taint(node.spec.taints, add, TaintEffect::kNoExecute)) {
    Taint t = make_taint(add, TaintEffect::kNoExecute);
    t.time_added = now;
    u.add.push_back(t);
  }
  if (has_taint(node.spec.taints, opposite, TaintEffect::kNoExecute)) {
    u.remove.push_back(make_taint(opposite, TaintEffect::kNoExecute));
  }
  return u;
}

bool should_mark_pods_not_ready(ConditionStatus observed_ready,
                                const std::optional<Condition>& current_ready) {
  return should_mark_pods_not_ready(
      observed_ready, current_ready ? std::optional(current_ready->status) : std::nullopt);
}

bool should_mark_pods_not_ready(ConditionStatus observed_ready,
                                std::optional<ConditionStatus> current_ready) {
  return current_ready.has_value() && *current_ready != ConditionStatus::kTrue &&
         observed_ready == ConditionStatus::kTrue;
}

// ---- Zones ----------------------------------------------------------------------------------

std::string zone_key(const Node& node) {
  const Labels& l = node.metadata.labels;
  const std::string* zone = l.find(kLabelFailureDomainBetaZone);
  if (zone == nullptr) zone = l.find(kLabelZone);
  const std::string* region = l.find(kLabelFailureDomainBetaRegion);
  if (region == nullptr) region = l.find(kLabelRegion);
  const std::string z = zone ? *zone : std::string();
  const std::string r = region ? *region : std::string();
  if (z.empty() && r.empty()) return std::string();
  std::string key = r;
  key += ':';
  key += '\0';
  key += ':';
  key += z;
  return key;
}

bool excluded_from_disruption_checks(const Node& node) {
  return node.metadata.labels.contains(kLabelExcludeDisruption);
}

std::string_view to_string(ZoneState state) {
  switch (state) {
    case ZoneState::kInitial:
      return "Initial";
    case ZoneState::kNormal:
      return "Normal";
    case ZoneState::kPartialDisruption:
      return "PartialDisruption";
    case ZoneState::kFullDisruption:
      return "FullDisruption";
  }
  return "Unknown";
}

ZoneState compute_zone_state(std::int32_t ready, std::int32_t not_ready,
                             double unhealthy_zone_threshold) {
  if (ready == 0 && not_ready > 0) return ZoneState::kFullDisruption;
  // upstream compares in float32: float32(notReady)/float32(notReady+ready) >= threshold.
  if (not_ready > 2 && static_cast<float>(not_ready) / static_cast<float>(not_ready + ready) >=
                           static_cast<float>(unhealthy_zone_threshold)) {
    return ZoneState::kPartialDisruption;
  }
  return ZoneState::kNormal;
}

double zone_eviction_qps(ZoneState state, std::int32_t zone_size,
                         const NodeLifecycleConfig& config) {
  switch (state) {
    case ZoneState::kPartialDisruption:
      return zone_size > config.large_cluster_size_threshold ? config.secondary_eviction_limiter_qps
                                                             : 0.0;
    case ZoneState::kInitial:
    case ZoneState::kNormal:
    case ZoneState::kFullDisruption:
      return config.eviction_limiter_qps;
  }
  return config.eviction_limiter_qps;
}

ZoneTaintQueue::ZoneTaintQueue(double qps, sim::Time now) : qps_(qps) {
  if (qps > 0) limiter_.emplace(qps, 1, now);
}

bool ZoneTaintQueue::try_accept(sim::Time now) {
  return limiter_.has_value() && limiter_->try_accept(now);
}

void ZoneTaintQueue::insert(Item item) {
  auto it = std::upper_bound(queue_.begin(), queue_.end(), item, [](const Item& a, const Item& b) {
    return a.process_at != b.process_at ? a.process_at < b.process_at : a.seq < b.seq;
  });
  queue_.insert(it, std::move(item));
}

bool ZoneTaintQueue::add(std::string node_name, sim::Time now) {
  auto it = std::lower_bound(seen_.begin(), seen_.end(), node_name);
  if (it != seen_.end() && *it == node_name) return false;
  seen_.insert(it, node_name);
  insert(Item{std::move(node_name), now, next_seq_++});
  return true;
}

bool ZoneTaintQueue::remove(std::string_view node_name) {
  auto it = std::lower_bound(seen_.begin(), seen_.end(), node_name);
  if (it == seen_.end() || *it != node_name) return false;
  seen_.erase(it);
  auto q = std::find_if(queue_.begin(), queue_.end(),
                        [&](const Item& i) { return i.name == node_name; });
  if (q != queue_.end()) queue_.erase(q);
  return true;
}

bool ZoneTaintQueue::queued(std::string_view node_name) const {
  return std::any_of(queue_.begin(), queue_.end(),
                     [&](const Item& i) { return i.name == node_name; });
}

void ZoneTaintQueue::swap_limiter(double qps, sim::Time now) {
  if (qps == qps_) return;
  const bool old_had_token = try_accept(now);
  qps_ = qps;
  if (qps <= 0) {
    limiter_.reset();
    return;
  }
  limiter_.emplace(qps, 1, now);
  // upstream: "if we're currently waiting on limiter, we drain the new one".
  if (!old_had_token) limiter_->try_accept(now);
}

bool mark_node_for_tainting(ZoneTaintQueue& queue, const Node& node, ConditionStatus ready,
                            sim::Time now) {
  if (ready == ConditionStatus::kFalse &&
      !has_taint(node.spec.taints, kTaintNodeNotReady, TaintEffect::kNoExecute)) {
    queue.remove(node.metadata.name);
  }
  if (ready == ConditionStatus::kUnknown &&
      !has_taint(node.spec.taints, kTaintNodeUnreachable, TaintEffect::kNoExecute)) {
    queue.remove(node.metadata.name);
  }
  return queue.add(node.metadata.name, now);
}

void DisruptionTracker::ensure_zone(const std::string& zone, sim::Time now) {
  if (states_.count(zone) != 0) return;
  states_[zone] = ZoneState::kInitial;
  queues_.emplace(zone, ZoneTaintQueue(config_.eviction_limiter_qps, now));
}

ZoneState DisruptionTracker::state(const std::string& zone) const {
  auto it = states_.find(zone);
  return it == states_.end() ? ZoneState::kInitial : it->second;
}

ZoneTaintQueue* DisruptionTracker::queue(const std::string& zone) {
  auto it = queues_.find(zone);
  return it == queues_.end() ? nullptr : &it->second;
}

DisruptionTracker::Result DisruptionTracker::handle_disruption(
    const std::map<std::string, std::vector<std::optional<ConditionStatus>>>& ready_by_zone,
    sim::Time now) {
  Result result;
  std::map<std::string, ZoneState> new_states;
  bool all_fully_disrupted = true;
  for (const auto& [zone, statuses] : ready_by_zone) {
    std::int32_t ready = 0;
    std::int32_t not_ready = 0;
    for (const auto& s : statuses) {
      if (s == ConditionStatus::kTrue) {
        ++ready;
      } else {
        ++not_ready;
      }
    }
    const ZoneState st = compute_zone_state(ready, not_ready, config_.unhealthy_zone_threshold);
    if (st != ZoneState::kFullDisruption) all_fully_disrupted = false;
    new_states[zone] = st;
    ensure_zone(zone, now);
  }
  // Zones without nodes are forgotten (upstream deletes them while scanning; we do it
  // first, so the result does not depend on map iteration order).
  for (auto it = states_.begin(); it != states_.end();) {
    if (ready_by_zone.count(it->first) == 0) {
      queues_.erase(it->first);
      it = states_.erase(it);
    } else {
      ++it;
    }
  }
  bool all_were_fully_disrupted = true;
  for (const auto& [zone, st] : states_) {
    if (st != ZoneState::kFullDisruption) {
      all_were_fully_disrupted = false;
      break;
    }
  }
  if (all_fully_disrupted && all_were_fully_disrupted) return result;
  if (all_fully_disrupted) {
    // Every zone lost every node: assume the control plane or the network is at fault and
    // stop all evictions.
    result.entered_full_disruption = true;
    for (auto& [zone, q] : queues_) q.swap_limiter(0, now);
    for (auto& [zone, st] : states_) st = ZoneState::kFullDisruption;
    return result;
  }
  auto zone_size = [&](const std::string& zone) {
    return static_cast<std::int32_t>(ready_by_zone.at(zone).size());
  };
  if (all_were_fully_disrupted) {
    result.exited_full_disruption = true;
    for (auto& [zone, st] : states_) {
      queues_.at(zone).swap_limiter(zone_eviction_qps(new_states[zone], zone_size(zone), config_),
                                    now);
      st = new_states[zone];
    }
    return result;
  }
  for (auto& [zone, st] : states_) {
    const ZoneState ns = new_states[zone];
    if (st == ns) continue;
    queues_.at(zone).swap_limiter(zone_eviction_qps(ns, zone_size(zone), config_), now);
    st = ns;
  }
  return result;
}

}  // namespace kubesim::models
