#include "models/endpointslice.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <utility>

#include "models/object_store.hpp"

namespace kubesim::models {
namespace {

// FNV-1a, for pods whose uid is not "uid-<n>".
std::uint32_t fnv1a(std::string_view a, std::string_view b) {
  std::uint32_t h = 2166136261u;
  for (std::string_view s : {a, std::string_view("/"), b}) {
    for (char c : s) {
      h ^= static_cast<unsigned char>(c);
      h *= 16777619u;
    }
  }
  return h;
}

std::string port_key(const std::vector<EndpointPort>& ports) {
  std::string key;
  for (const auto& p : ports) {
    key += p.name;
    key += '/';
    key += p.protocol;
    key += '/';
    key += std::to_string(p.port);
    key += ',';
  }
  return key;
}

bool is_placeholder(const EndpointSlice& s) { return s.ports.empty() && s.endpoints.empty(); }

EndpointSlice new_slice(const Service& service, const std::vector<EndpointPort>& ports) {
  // upstream utils.go newEndpointSlice: generateName "<service>-", the Service's labels plus
  // the service-name and managed-by labels, a controller ownerReference to the Service.
  EndpointSlice s;
  s.metadata.namespace_ = service.metadata.namespace_;
  s.metadata.generate_name = service.metadata.name + "-";
  s.metadata.labels = service.metadata.labels;
  s.metadata.labels.set(std::string(kLabelServiceName), service.metadata.name);
  s.metadata.labels.set(std::string(kLabelManagedBy), std::string(kEndpointSliceControllerName));
  s.metadata.owner_references.push_back(controller_reference("v1", "Service", service.metadata));
  s.address_type = "IPv4";
  s.ports = ports;
  return s;
}

// upstream getSliceToFill: the slice left with the least room after taking `n` endpoints
// (first in name order on ties); null when none can take them.
const EndpointSlice* slice_to_fill(const std::vector<const EndpointSlice*>& slices, std::size_t n,
                                   std::size_t max) {
  const EndpointSlice* best = nullptr;
  std::size_t best_diff = max;
  for (const EndpointSlice* s : slices) {
    if (s->endpoints.size() + n > max) continue;
    const std::size_t diff = max - (s->endpoints.size() + n);
    if (diff < best_diff) {
      best_diff = diff;
      best = s;
      if (diff == 0) break;
    }
  }
  return best;
}

// reconcileByPortMapping for one port mapping. `existing` in name order.
void reconcile_port_mapping(const Service& service,
                            const std::vector<const EndpointSlice*>& existing,
                            const DesiredEndpoints& desired, std::size_t max, SlicePlan& plan,
                            std::vector<std::string>& deletes) {
  std::map<std::string_view, const Endpoint*> want;  // by endpoint key: PopAny in key order
  for (const Endpoint& e : desired.endpoints) want.emplace(endpoint_key(e), &e);
  std::vector<EndpointSlice> updates;
  std::vector<const EndpointSlice*> unchanged;
  // 1. Keep what is still desired, in its slice.
  for (const EndpointSlice* s : existing) {
    std::vector<Endpoint> kept;
    bool changed = false;
    for (const Endpoint& e : s->endpoints) {
      auto it = want.find(endpoint_key(e));
      if (it == want.end()) continue;
      if (!same_endpoint(*it->second, e)) changed = true;
      kept.push_back(*it->second);
      want.erase(it);
    }
    if (changed || kept.size() != s->endpoints.size()) {
      if (kept.empty()) {
        deletes.push_back(s->metadata.name);
      } else {
        EndpointSlice u = *s;
        u.endpoints = std::move(kept);
        updates.push_back(std::move(u));
      }
    } else {
      unchanged.push_back(s);
    }
  }
  auto pop = [&want]() {
    auto it = want.begin();
    const Endpoint* e = it->second;
    want.erase(it);
    return *e;
  };
  // 2. Fill the slices being updated, the fullest first.
  if (!want.empty() && !updates.empty()) {
    std::stable_sort(updates.begin(), updates.end(), [](const auto& a, const auto& b) {
      return a.endpoints.size() > b.endpoints.size();
    });
    for (EndpointSlice& u : updates) {
      while (!want.empty() && u.endpoints.size() < max) u.endpoints.push_back(pop());
    }
  }
  // 3. New slices, or the unchanged slice that best fits a remainder.
  while (!want.empty()) {
    const EndpointSlice* fill = nullptr;
    if (want.size() < max && !unchanged.empty()) fill = slice_to_fill(unchanged, want.size(), max);
    EndpointSlice s = fill != nullptr ? *fill : new_slice(service, desired.ports);
    while (!want.empty() && s.endpoints.size() < max) s.endpoints.push_back(pop());
    if (fill != nullptr) {
      unchanged.erase(std::find(unchanged.begin(), unchanged.end(), fill));
      updates.push_back(std::move(s));
    } else {
      plan.create.push_back(std::move(s));
    }
  }
  for (auto& u : updates) plan.update.push_back(std::move(u));
}

}  // namespace

std::string pod_address(const Pod& pod) {
  if (!pod.status.pod_ip.empty()) return pod.status.pod_ip;
  if (!pod.bound() || pod.status.phase != PodPhase::kRunning) return {};
  std::uint32_t n = 0;
  const std::string& uid = pod.metadata.uid;
  const char* first = uid.data() + 4;
  const char* last = uid.data() + uid.size();
  if (uid.size() <= 4 || uid.compare(0, 4, "uid-") != 0 ||
      std::from_chars(first, last, n).ptr != last) {
    n = fnv1a(pod.metadata.namespace_, pod.metadata.name);
  }
  return "10." + std::to_string((n >> 16) & 255u) + "." + std::to_string((n >> 8) & 255u) + "." +
         std::to_string(n & 255u);
}

bool should_pod_be_in_endpoints(const Pod& pod) {
  if (pod.terminal()) return false;
  return !pod_address(pod).empty();
}

Endpoint pod_to_endpoint(const Pod& pod, const Node* node) {
  Endpoint e;
  e.addresses.push_back(pod_address(pod));
  const bool serving = pod.ready();
  const bool terminating = pod.metadata.being_deleted();
  e.conditions.ready = serving && !terminating;
  e.conditions.serving = serving;
  e.conditions.terminating = terminating;
  e.node_name = pod.spec.node_name;
  if (node != nullptr) {
    if (const std::string* zone = node->metadata.labels.find(kLabelZone)) e.zone = *zone;
  }
  e.target_pod = object_key(pod.metadata.namespace_, pod.metadata.name);
  return e;
}

std::vector<EndpointPort> endpoint_ports(const Service& service, const Pod& pod) {
  std::vector<EndpointPort> out;
  for (const ServicePort& sp : service.spec.ports) {
    EndpointPort ep;
    ep.name = sp.name;
    ep.protocol = sp.protocol;
    const std::string& target = sp.target_port;
    std::int32_t number = 0;
    if (target.empty()) {
      number = sp.port;
    } else if (std::from_chars(target.data(), target.data() + target.size(), number).ptr !=
               target.data() + target.size()) {
      // A named port: podutil.FindPort looks through the containers for a port with that
      // name and the Service port's protocol.
      number = 0;
      for (const Container& c : pod.spec.containers) {
        for (const ContainerPort& cp : c.ports) {
          if (cp.name == target && cp.protocol == sp.protocol) {
            number = cp.container_port;
            break;
          }
        }
        if (number != 0) break;
      }
      if (number == 0) continue;  // upstream logs and leaves the port out
    }
    ep.port = number;
    out.push_back(std::move(ep));
  }
  return out;
}

bool same_endpoint(const Endpoint& a, const Endpoint& b) {
  return a.addresses == b.addresses && a.conditions.ready == b.conditions.ready &&
         a.conditions.serving == b.conditions.serving &&
         a.conditions.terminating == b.conditions.terminating && a.node_name == b.node_name &&
         a.zone == b.zone && a.target_pod == b.target_pod;
}

bool same_ports(const std::vector<EndpointPort>& a, const std::vector<EndpointPort>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.name == y.name && x.protocol == y.protocol && x.port == y.port;
  });
}

const std::string& endpoint_key(const Endpoint& e) {
  static const std::string kNone;
  if (!e.target_pod.empty()) return e.target_pod;
  return e.addresses.empty() ? kNone : e.addresses.front();
}

SlicePlan reconcile_slices(const Service& service, const std::vector<EndpointSlice>& existing,
                           const std::vector<DesiredEndpoints>& desired,
                           std::int32_t max_per_slice) {
  const auto max = static_cast<std::size_t>(std::max<std::int32_t>(1, max_per_slice));
  SlicePlan plan;
  std::vector<std::string> deletes;
  // Existing slices by port mapping, each list in name order.
  std::map<std::string, std::vector<const EndpointSlice*>> by_ports;
  for (const EndpointSlice& s : existing) by_ports[port_key(s.ports)].push_back(&s);
  for (auto& [key, list] : by_ports) {
    std::sort(list.begin(), list.end(),
              [](const auto* a, const auto* b) { return a->metadata.name < b->metadata.name; });
  }
  std::vector<std::string> desired_keys;
  for (const DesiredEndpoints& d : desired) {
    const std::string key = port_key(d.ports);
    desired_keys.push_back(key);
    auto it = by_ports.find(key);
    static const std::vector<const EndpointSlice*> kNone;
    reconcile_port_mapping(service, it == by_ports.end() ? kNone : it->second, d, max, plan,
                           deletes);
  }
  for (const auto& [key, list] : by_ports) {
    if (std::find(desired_keys.begin(), desired_keys.end(), key) != desired_keys.end()) continue;
    for (const EndpointSlice* s : list) deletes.push_back(s->metadata.name);
  }
  // No slice would remain: keep (or create) one placeholder.
  if (existing.size() == deletes.size() && plan.create.empty()) {
    const EndpointSlice* only = nullptr;
    if (deletes.size() == 1) {
      for (const EndpointSlice& s : existing) {
        if (s.metadata.name == deletes.front()) only = &s;
      }
    }
    if (only != nullptr && is_placeholder(*only)) {
      deletes.clear();
    } else {
      plan.create.push_back(new_slice(service, {}));
    }
  }
  // finalize: rewrite a slice that would be deleted rather than create another.
  std::sort(deletes.begin(), deletes.end());
  std::size_t reused = 0;
  while (reused < deletes.size() && !plan.create.empty()) {
    EndpointSlice s = std::move(plan.create.back());
    plan.create.pop_back();
    s.metadata.name = deletes[reused++];
    s.metadata.generate_name.clear();
    plan.update.push_back(std::move(s));
  }
  plan.remove.assign(deletes.begin() + static_cast<std::ptrdiff_t>(reused), deletes.end());
  std::sort(plan.update.begin(), plan.update.end(),
            [](const auto& a, const auto& b) { return a.metadata.name < b.metadata.name; });
  return plan;
}

}  // namespace kubesim::models
