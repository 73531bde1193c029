#include "models/pod_gc_logic.hpp"

#include <algorithm>
#include <set>
#include <string_view>
#include <unordered_map>

namespace kubesim::models {

std::string_view to_string(PodGcReason reason) {
  switch (reason) {
    case PodGcReason::kTerminatedOverThreshold:
      return "PodGCReasonTerminated";
    case PodGcReason::kTerminatingOutOfService:
      return "PodGCReasonTerminatingOutOfService";
    case PodGcReason::kOrphaned:
      return "PodGCReasonOrphaned";
    case PodGcReason::kUnscheduledTerminating:
      return "PodGCReasonTerminatingUnscheduled";
  }
  return "Unknown";
}

void PodGcQuarantine::add(const std::string& node, sim::Time ready_at) {
  auto [it, inserted] = ready_at_.emplace(node, ready_at);
  if (!inserted && ready_at < it->second) it->second = ready_at;
}

std::vector<std::string> PodGcQuarantine::take_ready(sim::Time now) {
  std::vector<std::string> out;
  for (auto it = ready_at_.begin(); it != ready_at_.end();) {
    if (it->second <= now) {
      out.push_back(it->first);
      it = ready_at_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

bool pod_is_evicted(const Pod& pod) {
  return pod.status.phase == PodPhase::kFailed && pod.status.reason == "Evicted";
}

bool gc_order_less(const Pod& a, const Pod& b) {
  const bool ea = pod_is_evicted(a);
  const bool eb = pod_is_evicted(b);
  if (ea != eb) return ea;
  if (a.metadata.creation_timestamp == b.metadata.creation_timestamp) {
    return a.metadata.name < b.metadata.name;
  }
  return a.metadata.creation_timestamp < b.metadata.creation_timestamp;
}

bool pod_gc_candidate(const Pod& pod, bool node_exists, bool over_threshold) {
  if (pod.metadata.being_deleted()) return true;
  if (!pod.spec.node_name.empty() && !node_exists) return true;
  return over_threshold && pod.terminal();
}

std::vector<PodGcAction> pod_gc(std::span<const Pod* const> pods,
                                std::span<const Node* const> nodes, PodGcQuarantine& quarantine,
                                sim::Time now, const PodGcConfig& config) {
  std::vector<PodGcAction> out;
  std::set<const Pod*> picked;
  auto emit = [&](const Pod* p, PodGcReason reason, bool condition) {
    if (!picked.insert(p).second) return;
    out.push_back(PodGcAction{p, reason, !p->terminal(), condition && !p->terminal()});
  };
  auto by_gc_order = [](const Pod* a, const Pod* b) { return gc_order_less(*a, *b); };

  // Only looked up (once per pod in each pass below), never iterated: a hash map keeps the
  // per-pod cost flat on large clusters, and no iteration order can reach the result.
  std::unordered_map<std::string_view, const Node*> node_by_name;
  node_by_name.reserve(nodes.size());
  for (const Node* n : nodes) node_by_name.emplace(n->metadata.name, n);

  // gcTerminated: phase is neither Pending, Running nor Unknown.
  if (config.terminated_pod_threshold > 0) {
    std::vector<const Pod*> terminated;
    for (const Pod* p : pods) {
      if (p->terminal()) terminated.push_back(p);
    }
    const std::int64_t excess =
        static_cast<std::int64_t>(terminated.size()) - config.terminated_pod_threshold;
    if (excess > 0) {
      std::stable_sort(terminated.begin(), terminated.end(), by_gc_order);
      for (std::int64_t i = 0; i < excess; ++i) {
        emit(terminated[static_cast<std::size_t>(i)], PodGcReason::kTerminatedOverThreshold, false);
      }
    }
  }

  // gcTerminating: terminating pods on not-Ready, out-of-service nodes.
  std::vector<const Pod*> oos;
  for (const Pod* p : pods) {
    if (!p->metadata.being_deleted()) continue;
    auto it = node_by_name.find(p->spec.node_name);
    if (it == node_by_name.end()) continue;
    const Node& n = *it->second;
    const bool out_of_service =
        std::any_of(n.spec.taints.begin(), n.spec.taints.end(),
                    [](const Taint& t) { return t.key == kTaintNodeOutOfService; });
    if (!n.ready() && out_of_service) oos.push_back(p);
  }
  std::stable_sort(oos.begin(), oos.end(), by_gc_order);
  for (const Pod* p : oos) emit(p, PodGcReason::kTerminatingOutOfService, false);

  // gcOrphaned: quarantine node names that are missing, then check the ready ones.
  for (const Pod* p : pods) {
    if (!p->spec.node_name.empty() && node_by_name.count(p->spec.node_name) == 0) {
      quarantine.add(p->spec.node_name, now + config.quarantine);
    }
  }
  std::set<std::string> deleted_nodes;
  for (std::string& name : quarantine.take_ready(now)) {
    if (node_by_name.count(name) == 0) deleted_nodes.insert(std::move(name));
  }
  if (!deleted_nodes.empty()) {
    for (const Pod* p : pods) {
      if (deleted_nodes.count(p->spec.node_name) != 0) emit(p, PodGcReason::kOrphaned, true);
    }
  }

  // gcUnscheduledTerminating.
  for (const Pod* p : pods) {
    if (p->metadata.being_deleted() && p->spec.node_name.empty()) {
      emit(p, PodGcReason::kUnscheduledTerminating, false);
    }
  }
  return out;
}

}  // namespace kubesim::models
