#include "models/replicaset_logic.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <limits>
#include <map>
#include <string>

namespace kubesim::models {

bool is_pod_active(const Pod& pod) { return !pod.terminal() && !pod.metadata.being_deleted(); }

bool is_pod_terminating(const Pod& pod) { return !pod.terminal() && pod.metadata.being_deleted(); }

std::optional<sim::Time> pod_ready_time(const Pod& pod) {
  const Condition* c = find_condition(pod.status.conditions, kPodReady);
  if (c == nullptr || c->status != ConditionStatus::kTrue) return std::nullopt;
  return c->last_transition_time;
}

namespace {

// A pod Ready since `ready` is available at `now` (upstream podutil.IsPodAvailable:
// minReadySeconds 0, or c.LastTransitionTime.Add(minReadySeconds).Before(now) — strictly).
bool available_since(sim::Time ready, std::int32_t min_ready_seconds, sim::Time now) {
  return min_ready_seconds == 0 || ready + sim::seconds(min_ready_seconds) < now;
}

}  // namespace

bool is_pod_available(const Pod& pod, std::int32_t min_ready_seconds, sim::Time now) {
  const std::optional<sim::Time> ready = pod_ready_time(pod);
  return ready && available_since(*ready, min_ready_seconds, now);
}

std::optional<sim::Time> pod_available_at(const Pod& pod, std::int32_t min_ready_seconds,
                                          sim::Time now) {
  const std::optional<sim::Time> ready = pod_ready_time(pod);
  if (!ready || is_pod_available(pod, min_ready_seconds, now)) return std::nullopt;
  return *ready + sim::seconds(min_ready_seconds) + 1;
}

std::int32_t pod_deletion_cost(const Pod& pod) {
  const std::string* text = pod.metadata.annotations.find(kPodDeletionCostAnnotation);
  if (text == nullptr) return 0;
  const std::optional<std::int64_t> v = parse_go_int64(*text);
  if (!v || *v < std::numeric_limits<std::int32_t>::min() ||
      *v > std::numeric_limits<std::int32_t>::max()) {
    return 0;
  }
  return static_cast<std::int32_t>(*v);
}

std::vector<std::int32_t> slow_start_batches(std::int32_t count, std::int32_t initial_batch_size) {
  // upstream slowStartBatch: for batch := min(remaining, initial); batch > 0;
  // batch = min(2*batch, remaining).
  std::vector<std::int32_t> batches;
  std::int64_t remaining = std::max(count, 0);
  std::int64_t batch = std::min<std::int64_t>(remaining, initial_batch_size);
  while (batch > 0) {
    batches.push_back(static_cast<std::int32_t>(batch));
    remaining -= batch;
    batch = std::min(2 * batch, remaining);
  }
  return batches;
}

namespace {

// upstream podPhaseToOrdinal: Pending 0, Unknown 1, Running 2; phases not in the map
// (Succeeded, Failed) read as 0.
int phase_ordinal(PodPhase phase) {
  switch (phase) {
    case PodPhase::kUnknown:
      return 1;
    case PodPhase::kRunning:
      return 2;
    default:
      return 0;
  }
}

// floor(log2(d)) for d > 0, -1 otherwise (upstream logarithmicRankDiff's per-time rank;
// Go's int64(math.Log2(float64(d))) equals this for durations below 2^53 ns, ~104 days).
std::int64_t log2_rank(sim::Duration d) {
  if (d <= 0) return -1;
  return static_cast<std::int64_t>(std::bit_width(static_cast<std::uint64_t>(d))) - 1;
}

struct RankedPod {
  const Pod* pod;
  int rank;
  bool ready;
  std::optional<sim::Time> ready_time;
  std::int32_t cost;
};

// Returns <0 when a sorts first, >0 when b does, 0 when neither (tie), for the rules shared
// by both orderings: unassigned, phase, readiness.
int compare_common(const Pod& a, bool a_ready, const Pod& b, bool b_ready) {
  const bool a_unassigned = a.spec.node_name.empty();
  const bool b_unassigned = b.spec.node_name.empty();
  if (a.spec.node_name != b.spec.node_name && (a_unassigned || b_unassigned)) {
    return a_unassigned ? -1 : 1;
  }
  const int pa = phase_ordinal(a.status.phase);
  const int pb = phase_ordinal(b.status.phase);
  if (pa != pb) return pa < pb ? -1 : 1;
  if (a_ready != b_ready) return a_ready ? 1 : -1;
  return 0;
}

// Compare two instants "newer first", bucketed by floor(log2(now - t)) with UID as the
// tie-break inside a bucket (upstream rules 6 and 8 with LogarithmicScaleDown).
bool newer_first_log(sim::Time a, sim::Time b, const Pod& pa, const Pod& pb, sim::Time now) {
  const std::int64_t diff = log2_rank(now - a) - log2_rank(now - b);
  if (diff == 0) return pa.metadata.uid < pb.metadata.uid;
  return diff < 0;
}

}  // namespace

std::vector<const Pod*> rank_pods_for_deletion(std::span<const Pod* const> pods,
                                               std::span<const Pod* const> related_pods,
                                               sim::Time now, PodRankingOptions options) {
  // upstream getPodsRankedByRelatedPodsOnSameNode: active related pods per node name.
  std::map<std::string_view, int> on_node;
  for (const Pod* p : related_pods) {
    if (is_pod_active(*p)) ++on_node[p->spec.node_name];
  }
  std::vector<RankedPod> ranked;
  ranked.reserve(pods.size());
  for (const Pod* p : pods) {
    const auto it = on_node.find(p->spec.node_name);
    ranked.push_back(RankedPod{p, it == on_node.end() ? 0 : it->second, p->ready(),
                               pod_ready_time(*p),
                               options.pod_deletion_cost ? pod_deletion_cost(*p) : 0});
  }
  auto less = [&](const RankedPod& a, const RankedPod& b) {
    if (int c = compare_common(*a.pod, a.ready, *b.pod, b.ready); c != 0) return c < 0;
    if (a.cost != b.cost) return a.cost < b.cost;              // 4. lower cost first
    if (a.rank != b.rank) return a.rank > b.rank;              // 5. doubled up first
    if (a.ready && b.ready && a.ready_time != b.ready_time) {  // 6. ready more recently first
      if (!options.logarithmic_scale_down) return *a.ready_time > *b.ready_time;
      return newer_first_log(*a.ready_time, *b.ready_time, *a.pod, *b.pod, now);
    }
    // 7. (restart counts) not modelled: Pod has no container statuses.
    const sim::Time ca = a.pod->metadata.creation_timestamp;
    const sim::Time cb = b.pod->metadata.creation_timestamp;
    if (ca != cb) {  // 8. newer first
      if (!options.logarithmic_scale_down) return ca > cb;
      return newer_first_log(ca, cb, *a.pod, *b.pod, now);
    }
    return false;
  };
  std::stable_sort(ranked.begin(), ranked.end(), less);
  std::vector<const Pod*> out;
  out.reserve(ranked.size());
  for (const RankedPod& r : ranked) out.push_back(r.pod);
  return out;
}

std::vector<const Pod*> order_active_pods(std::span<const Pod* const> pods) {
  std::vector<const Pod*> out(pods.begin(), pods.end());
  std::stable_sort(out.begin(), out.end(), [](const Pod* a, const Pod* b) {
    const bool ar = a->ready();
    const bool br = b->ready();
    if (int c = compare_common(*a, ar, *b, br); c != 0) return c < 0;
    if (ar && br) {
      const sim::Time ta = *pod_ready_time(*a);
      const sim::Time tb = *pod_ready_time(*b);
      if (ta != tb) return ta > tb;
    }
    if (a->metadata.creation_timestamp != b->metadata.creation_timestamp) {
      return a->metadata.creation_timestamp > b->metadata.creation_timestamp;
    }
    return false;
  });
  return out;
}

std::vector<const Pod*> pods_to_delete(std::span<const Pod* const> active_pods,
                                       std::span<const Pod* const> related_pods, std::int32_t diff,
                                       sim::Time now, PodRankingOptions options) {
  assert(diff >= 0 && static_cast<std::size_t>(diff) <= active_pods.size());
  if (static_cast<std::size_t>(diff) >= active_pods.size()) {
    return std::vector<const Pod*>(active_pods.begin(), active_pods.end());
  }
  std::vector<const Pod*> ranked = rank_pods_for_deletion(active_pods, related_pods, now, options);
  ranked.resize(static_cast<std::size_t>(diff));
  return ranked;
}

ReplicaSetDiff replica_set_diff(const ReplicaSet& rs, std::span<const Pod* const> active_pods,
                                std::span<const Pod* const> related_pods, sim::Time now,
                                std::int32_t burst, PodRankingOptions options) {
  ReplicaSetDiff out;
  const std::int64_t diff =
      static_cast<std::int64_t>(active_pods.size()) - static_cast<std::int64_t>(rs.spec.replicas);
  if (diff < 0) {
    out.creates = static_cast<std::int32_t>(std::min<std::int64_t>(-diff, burst));
  } else if (diff > 0) {
    const auto n = static_cast<std::int32_t>(std::min<std::int64_t>(diff, burst));
    out.deletes = pods_to_delete(active_pods, related_pods, n, now, options);
  }
  return out;
}

ReplicaSetStatus replica_set_status(const ReplicaSet& rs, std::span<const Pod* const> owned_pods,
                                    sim::Time now, bool count_terminating) {
  ReplicaSetStatus s = rs.status;
  s.replicas = s.fully_labeled_replicas = s.ready_replicas = s.available_replicas = 0;
  s.terminating_replicas = 0;
  for (const Pod* p : owned_pods) {
    if (count_terminating && is_pod_terminating(*p)) ++s.terminating_replicas;
    if (!is_pod_active(*p)) continue;
    ++s.replicas;
    if (p->metadata.labels.contains_all(rs.spec.template_.metadata.labels)) {
      ++s.fully_labeled_replicas;
    }
    // One Ready-condition look-up serves Pod::ready() and is_pod_available().
    if (const std::optional<sim::Time> ready = pod_ready_time(*p)) {
      ++s.ready_replicas;
      if (available_since(*ready, rs.spec.min_ready_seconds, now)) ++s.available_replicas;
    }
  }
  s.observed_generation = rs.metadata.generation;
  return s;
}

void ReplicaSetPodCounts::apply(const Pod& pod, const Labels& template_labels, int sign) {
  if (is_pod_terminating(pod)) terminating += sign;
  if (!is_pod_active(pod)) return;
  active += sign;
  if (pod.metadata.labels.contains_all(template_labels)) fully_labeled += sign;
  if (pod_ready_time(pod)) ready += sign;
}

ReplicaSetStatus replica_set_status(const ReplicaSet& rs, const ReplicaSetPodCounts& counts,
                                    bool count_terminating) {
  assert(rs.spec.min_ready_seconds == 0);
  ReplicaSetStatus s = rs.status;
  s.replicas = counts.active;
  s.fully_labeled_replicas = counts.fully_labeled;
  s.ready_replicas = counts.ready;
  s.available_replicas = counts.ready;  // minReadySeconds 0: every Ready pod is available
  s.terminating_replicas = count_terminating ? counts.terminating : 0;
  s.observed_generation = rs.metadata.generation;
  return s;
}

std::optional<sim::Time> next_availability_change(const ReplicaSet& rs,
                                                  std::span<const Pod* const> owned_pods,
                                                  sim::Time now) {
  std::optional<sim::Time> best;
  for (const Pod* p : owned_pods) {
    if (!is_pod_active(*p)) continue;
    // pod_available_at() with one Ready-condition look-up.
    const std::optional<sim::Time> ready = pod_ready_time(*p);
    if (!ready || available_since(*ready, rs.spec.min_ready_seconds, now)) continue;
    const sim::Time t = *ready + sim::seconds(rs.spec.min_ready_seconds) + 1;
    if (!best || t < *best) best = t;
  }
  return best;
}

}  // namespace kubesim::models
