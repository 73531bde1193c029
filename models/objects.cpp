#include "models/objects.hpp"

#include <algorithm>

namespace kubesim::models {

const OwnerReference* ObjectMeta::controller_ref() const {
  for (const auto& ref : owner_references) {
    if (ref.controller) return &ref;
  }
  return nullptr;
}

std::string_view to_string(PodPhase phase) {
  switch (phase) {
    case PodPhase::kPending:
      return "Pending";
    case PodPhase::kRunning:
      return "Running";
    case PodPhase::kSucceeded:
      return "Succeeded";
    case PodPhase::kFailed:
      return "Failed";
    case PodPhase::kUnknown:
      return "Unknown";
  }
  return "Unknown";
}

std::string_view to_string(RestartPolicy policy) {
  switch (policy) {
    case RestartPolicy::kAlways:
      return "Always";
    case RestartPolicy::kOnFailure:
      return "OnFailure";
    case RestartPolicy::kNever:
      return "Never";
  }
  return "Always";
}

std::string_view to_string(ConditionStatus status) {
  switch (status) {
    case ConditionStatus::kTrue:
      return "True";
    case ConditionStatus::kFalse:
      return "False";
    case ConditionStatus::kUnknown:
      return "Unknown";
  }
  return "Unknown";
}

const Condition* find_condition(const std::vector<Condition>& conditions, std::string_view type) {
  for (const auto& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

bool set_condition(std::vector<Condition>& conditions, Condition condition) {
  for (auto& c : conditions) {
    if (c.type != condition.type) continue;
    if (c.status == condition.status && c.reason == condition.reason &&
        c.message == condition.message && c.last_heartbeat_time == condition.last_heartbeat_time) {
      return false;
    }
    if (c.status == condition.status) condition.last_transition_time = c.last_transition_time;
    c = std::move(condition);
    return true;
  }
  conditions.push_back(std::move(condition));
  return true;
}

ResourceList Pod::requests() const {
  // upstream: k8s.io/component-helpers/resource/helpers.go PodRequests (sidecar-aware).
  ResourceList running;
  for (const auto& c : spec.containers) running += c.requests;
  ResourceList sidecars;  // restartable init containers started so far
  ResourceList init_peak;
  for (const auto& c : spec.init_containers) {
    ResourceList during;
    if (c.restartable) {
      running += c.requests;
      sidecars += c.requests;
      during = sidecars;
    } else {
      during = c.requests + sidecars;
    }
    init_peak = ResourceList::max(init_peak, during);
  }
  return ResourceList::max(running, init_peak) + spec.overhead;
}

bool Pod::ready() const {
  const Condition* c = find_condition(status.conditions, kPodReady);
  return c != nullptr && c->status == ConditionStatus::kTrue;
}

bool Node::ready() const {
  const Condition* c = find_condition(status.conditions, kNodeReady);
  return c != nullptr && c->status == ConditionStatus::kTrue;
}

}  // namespace kubesim::models
