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

bool set_condition(std::vector<Condition>& conditions, std::string_view type,
                   ConditionStatus status, std::string_view reason, std::string_view message,
                   sim::Time now) {
  Condition c;
  c.type = std::string(type);
  c.status = status;
  c.last_transition_time = now;
  c.reason = std::string(reason);
  c.message = std::string(message);
  return set_condition(conditions, std::move(c));
}

OwnerReference controller_reference(std::string_view api_version, std::string_view kind,
                                    const ObjectMeta& owner) {
  OwnerReference ref;
  ref.api_version = std::string(api_version);
  ref.kind = std::string(kind);
  ref.name = owner.name;
  ref.uid = owner.uid;
  ref.controller = true;
  ref.block_owner_deletion = true;
  return ref;
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

std::optional<std::int32_t> parse_gpu_annotation(std::string_view value, std::int32_t min,
                                                 std::int32_t max) {
  if (value.empty() || value.size() > 9) return std::nullopt;
  std::int32_t v = 0;
  for (const char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v < min || v > max) return std::nullopt;
  return v;
}

GpuDemandOfPod Pod::gpu_demand() const {
  GpuDemandOfPod d;
  if (const std::string* milli = metadata.annotations.find(kAnnotationGpuMilli)) {
    const auto m = parse_gpu_annotation(*milli, 0, 1000);
    std::int32_t count = 1;
    if (const std::string* c = metadata.annotations.find(kAnnotationGpuCount)) {
      count = parse_gpu_annotation(*c, 0, 64).value_or(0);
    }
    if (m && *m > 0 && count > 0) {
      d.devices = count;
      d.milli = *m;
    }
    return d;
  }
  const std::int64_t whole = requests().gpu;
  if (whole > 0) {
    d.devices = static_cast<std::int32_t>(std::min<std::int64_t>(whole, 64));
    d.milli = 1000;
  }
  return d;
}

bool Node::ready() const {
  const Condition* c = find_condition(status.conditions, kNodeReady);
  return c != nullptr && c->status == ConditionStatus::kTrue;
}

}  // namespace kubesim::models
