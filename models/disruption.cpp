#include "models/disruption.hpp"

#include <algorithm>
#include <set>

#include "models/deployment_logic.hpp"

namespace kubesim::models {

std::string_view to_string(UnhealthyPodEvictionPolicy policy) {
  switch (policy) {
    case UnhealthyPodEvictionPolicy::kIfHealthyBudget:
      return "IfHealthyBudget";
    case UnhealthyPodEvictionPolicy::kAlwaysAllow:
      return "AlwaysAllow";
  }
  return "IfHealthyBudget";
}

bool pdb_selects(const PodDisruptionBudget& pdb, const Pod& pod) {
  if (pod.metadata.namespace_ != pdb.metadata.namespace_) return false;
  auto matcher = label_selector_as_matcher(pdb.spec.selector);
  return matcher.ok() && matcher.value().matches(pod.metadata.labels);
}

bool pdb_guards_eviction(const PodDisruptionBudget& pdb, const Pod& pod) {
  return pdb_selects(pdb, pod);
}

namespace {

// upstream disruption.go getExpectedScale: Σ over the distinct scaled controllers of the
// pods of their replicas; an error for a pod without controller or without a known scale.
sim::Result<std::int32_t> expected_scale(const std::vector<const Pod*>& pods,
                                         const PdbScaleLookup& scale_of) {
  std::map<std::string, std::int32_t, std::less<>> scale_by_uid;
  for (const Pod* pod : pods) {
    const OwnerReference* ref = pod->metadata.controller_ref();
    if (ref == nullptr) {
      return sim::Status::invalid_argument("found no controller ref for pod \"" +
                                           pod->metadata.name + "\"");
    }
    std::optional<PdbScaleOf> scale;
    if (scale_of) scale = scale_of(*pod, *ref);
    if (!scale) {
      return sim::Status::invalid_argument("found no controllers for pod \"" + pod->metadata.name +
                                           "\"");
    }
    scale_by_uid.emplace(scale->uid, scale->replicas);
  }
  std::int64_t total = 0;
  for (const auto& [uid, replicas] : scale_by_uid) total += replicas;
  return static_cast<std::int32_t>(std::min<std::int64_t>(total, INT32_MAX));
}

}  // namespace

PodDisruptionBudgetStatus compute_pdb_status(const PodDisruptionBudget& pdb,
                                             const std::vector<const Pod*>& pods,
                                             const PdbScaleLookup& scale_of, sim::Time now,
                                             std::optional<sim::Time>* recheck) {
  PodDisruptionBudgetStatus status = pdb.status;
  // getExpectedPodCount.
  std::int32_t expected = 0;
  std::int32_t desired = 0;
  sim::Status error;
  if (pdb.spec.max_unavailable) {
    auto scale = expected_scale(pods, scale_of);
    if (scale.ok()) {
      expected = scale.value();
      const std::int32_t max_unavailable = scaled_value(*pdb.spec.max_unavailable, expected, true);
      desired = std::max(0, expected - max_unavailable);
    } else {
      error = scale.status();
    }
  } else if (pdb.spec.min_available) {
    if (!pdb.spec.min_available->percent) {
      desired = pdb.spec.min_available->value;
      expected = static_cast<std::int32_t>(pods.size());
    } else {
      auto scale = expected_scale(pods, scale_of);
      if (scale.ok()) {
        expected = scale.value();
        desired = scaled_value(*pdb.spec.min_available, expected, true);
      } else {
        error = scale.status();
      }
    }
  }
  if (!error.ok()) {
    // failSafe: nothing but disruptionsAllowed and the condition change.
    status.disruptions_allowed = 0;
    set_condition(status.conditions, kPdbDisruptionAllowed, ConditionStatus::kFalse, kPdbSyncFailed,
                  error.message(), now);
    return status;
  }

  // buildDisruptedPodMap: entries of pods that still exist, are not being deleted and were
  // evicted less than DeletionTimeout ago.
  std::map<std::string, const Pod*, std::less<>> by_name;
  for (const Pod* pod : pods) by_name.emplace(pod->metadata.name, pod);
  std::map<std::string, sim::Time, std::less<>> disrupted;
  for (const auto& [name, at] : pdb.status.disrupted_pods) {
    auto it = by_name.find(name);
    if (it == by_name.end() || it->second->metadata.being_deleted()) continue;
    const sim::Time expires = at + kPdbDeletionTimeout;
    if (expires < now) continue;  // upstream: "Pod was expected to be deleted but it wasn't"
    disrupted.emplace(name, at);
    if (recheck != nullptr && (!*recheck || expires < **recheck)) *recheck = expires;
  }

  // countHealthyPods.
  std::int32_t healthy = 0;
  for (const Pod* pod : pods) {
    if (pod->metadata.being_deleted()) continue;
    if (auto it = disrupted.find(pod->metadata.name);
        it != disrupted.end() && it->second + kPdbDeletionTimeout > now) {
      continue;
    }
    if (pod->ready()) ++healthy;
  }

  // updatePdbStatus.
  std::int32_t allowed = healthy - desired;
  if (expected <= 0 || allowed <= 0) allowed = 0;
  status.current_healthy = healthy;
  status.desired_healthy = desired;
  status.expected_pods = expected;
  status.disruptions_allowed = allowed;
  status.disrupted_pods = std::move(disrupted);
  status.observed_generation = pdb.metadata.generation;
  if (allowed > 0) {
    set_condition(status.conditions, kPdbDisruptionAllowed, ConditionStatus::kTrue,
                  kPdbSufficientPods, "", now);
  } else {
    set_condition(status.conditions, kPdbDisruptionAllowed, ConditionStatus::kFalse,
                  kPdbInsufficientPods, "", now);
  }
  return status;
}

bool pdb_status_equal(const PodDisruptionBudgetStatus& a, const PodDisruptionBudgetStatus& b) {
  if (a.observed_generation != b.observed_generation || a.disrupted_pods != b.disrupted_pods ||
      a.disruptions_allowed != b.disruptions_allowed || a.current_healthy != b.current_healthy ||
      a.desired_healthy != b.desired_healthy || a.expected_pods != b.expected_pods ||
      a.conditions.size() != b.conditions.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.conditions.size(); ++i) {
    const Condition& x = a.conditions[i];
    const Condition& y = b.conditions[i];
    if (x.type != y.type || x.status != y.status || x.reason != y.reason ||
        x.message != y.message) {
      return false;
    }
  }
  return true;
}

EvictionDecision decide_eviction(const Pod& pod,
                                 const std::vector<const PodDisruptionBudget*>& guarding) {
  EvictionDecision d;
  // canIgnorePDB: a terminal or Pending pod, or one already being deleted, is deleted
  // without consulting any budget.
  if (pod.terminal() || pod.status.phase == PodPhase::kPending || pod.metadata.being_deleted()) {
    return d;
  }
  if (guarding.empty()) return d;
  if (guarding.size() > 1) {
    d.verdict = EvictionVerdict::kRefused;
    d.error = sim::Status::internal(
        "This pod has more than one PodDisruptionBudget, which the eviction subresource does "
        "not support.");
    return d;
  }
  const PodDisruptionBudget& pdb = *guarding.front();
  if (!pod.ready()) {
    // An unhealthy pod does not count towards currentHealthy: AlwaysAllow evicts it at
    // once; IfHealthyBudget when the budget is met (currentHealthy >= desiredHealthy > 0).
    if (pdb.spec.unhealthy_pod_eviction_policy == UnhealthyPodEvictionPolicy::kAlwaysAllow) {
      return d;
    }
    if (pdb.status.current_healthy >= pdb.status.desired_healthy &&
        pdb.status.desired_healthy > 0) {
      return d;
    }
  }
  // checkAndDecrement.
  d.verdict = EvictionVerdict::kRefused;
  if (pdb.status.observed_generation < pdb.metadata.generation) {
    d.error = sim::Status::too_many_requests(std::string(kPdbEvictionRefused) +
                                             " The disruption budget " + pdb.metadata.name +
                                             " is still being processed by the server.");
    return d;
  }
  if (pdb.status.disruptions_allowed < 0) {
    d.error = sim::Status::invalid_argument("pdb disruptions allowed is negative");  // 403
    return d;
  }
  if (pdb.status.disrupted_pods.size() > kMaxDisruptedPodSize) {
    d.error = sim::Status::invalid_argument(
        "DisruptedPods map too big - too many evictions not confirmed by PDB controller");
    return d;
  }
  if (pdb.status.disruptions_allowed == 0) {
    // The message plus upstream's DisruptionBudget cause.
    d.error = sim::Status::too_many_requests(
        std::string(kPdbEvictionRefused) + " The disruption budget " + pdb.metadata.name +
        " needs " + std::to_string(pdb.status.desired_healthy) + " healthy pods and has " +
        std::to_string(pdb.status.current_healthy) + " currently");
    return d;
  }
  d.verdict = EvictionVerdict::kDeleteAndDecrement;
  return d;
}

void record_eviction(PodDisruptionBudgetStatus& status, std::string_view pod_name, sim::Time now) {
  --status.disruptions_allowed;
  if (status.disruptions_allowed == 0) {
    set_condition(status.conditions, kPdbDisruptionAllowed, ConditionStatus::kFalse,
                  kPdbInsufficientPods, "", now);
  }
  status.disrupted_pods[std::string(pod_name)] = now;
}

}  // namespace kubesim::models
