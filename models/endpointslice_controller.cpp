#include "models/endpointslice_controller.hpp"

#include <algorithm>
#include <utility>

namespace kubesim::models {
namespace {

// Whether the change can alter the pod's endpoint (upstream podEndpointsChanged plus the
// label check of getPodServiceMemberships).
bool endpoint_relevant(const Pod* old_pod, const Pod& pod) {
  if (old_pod == nullptr) return true;
  return old_pod->metadata.labels != pod.metadata.labels || old_pod->ready() != pod.ready() ||
         old_pod->metadata.being_deleted() != pod.metadata.being_deleted() ||
         old_pod->status.phase != pod.status.phase ||
         old_pod->spec.node_name != pod.spec.node_name ||
         old_pod->status.pod_ip != pod.status.pod_ip;
}

bool selects(const Service& s, const Pod& pod) {
  return !s.spec.selector.empty() && pod.metadata.namespace_ == s.metadata.namespace_ &&
         pod.metadata.labels.contains_all(s.spec.selector);
}

}  // namespace

EndpointSliceController::EndpointSliceController(sim::Simulation& sim, sim::MetricRegistry& metrics,
                                                 ApiServer& api, const Informer<Pod>& pods,
                                                 const Informer<Node>& nodes,
                                                 EndpointSliceControllerConfig config)
    : sim_(sim),
      api_(api),
      client_(api.make_client("endpointslice-controller", config.rate_limit)),
      pods_(pods),
      nodes_(nodes),
      config_(config),
      names_rng_(sim.rng("endpointslice-controller/names")),
      created_(metrics.counter("controllers.endpointslices_created")),
      updated_(metrics.counter("controllers.endpointslices_updated")),
      deleted_(metrics.counter("controllers.endpointslices_deleted")),
      syncs_(metrics.counter("controllers.endpointslice_syncs")) {
  service_informer_ = std::make_unique<Informer<Service>>(
      api, Informer<Service>::Handlers{[this](const auto& s) { on_service(s); },
                                       [this](const auto&, const auto& s) { on_service(s); },
                                       [this](const auto& s) { on_service_delete(s); }});
}

EndpointSliceController::~EndpointSliceController() = default;

std::uint64_t EndpointSliceController::writes() const {
  return static_cast<std::uint64_t>(created_.value() + updated_.value() + deleted_.value());
}

std::vector<EndpointSlice> EndpointSliceController::slices(std::string_view service_key) const {
  std::vector<EndpointSlice> out;
  auto it = services_.find(service_key);
  if (it == services_.end()) return out;
  for (const auto& [name, s] : it->second.written) out.push_back(s);
  return out;
}

void EndpointSliceController::on_service(const std::shared_ptr<const Service>& service) {
  const std::string key = object_key(service->metadata.namespace_, service->metadata.name);
  ServiceState& st = services_[key];
  st.service = service;
  st.pods.clear();
  auto& in_ns = by_namespace_[service->metadata.namespace_];
  if (service->spec.selector.empty()) {
    in_ns.erase(key);  // the user manages its slices
    return;
  }
  in_ns.insert(key);
  // The selected pods of the namespace, from the pod informer's cache.
  pods_.for_each_in_namespace(service->metadata.namespace_,
                              [&](const std::string& pod_key, const Pod& pod) {
                                if (selects(*service, pod)) st.pods.insert(pod_key);
                              });
  enqueue(key);
}

void EndpointSliceController::on_service_delete(const std::shared_ptr<const Service>& service) {
  const std::string key = object_key(service->metadata.namespace_, service->metadata.name);
  if (auto ns = by_namespace_.find(service->metadata.namespace_); ns != by_namespace_.end()) {
    ns->second.erase(key);
  }
  auto it = services_.find(key);
  if (it == services_.end()) return;
  // The garbage collector's part: the slices owned by the Service go with it.
  for (const auto& [name, slice] : it->second.written) {
    api_.remove<EndpointSlice>(client_, service->metadata.namespace_, name,
                               [this](const sim::Status& s) {
                                 if (s.ok()) deleted_.add();
                               });
  }
  services_.erase(it);
}

void EndpointSliceController::on_pod(const Pod* old_pod, const Pod& pod) {
  auto ns = by_namespace_.find(pod.metadata.namespace_);
  if (ns == by_namespace_.end() || ns->second.empty()) return;
  if (!endpoint_relevant(old_pod, pod)) return;
  const std::string pod_key = object_key(pod.metadata.namespace_, pod.metadata.name);
  for (const std::string& key : ns->second) {
    ServiceState& st = services_[key];
    const bool now = selects(*st.service, pod);
    const bool before = st.pods.count(pod_key) != 0;
    if (now)
      st.pods.insert(pod_key);
    else if (before)
      st.pods.erase(pod_key);
    if (now || before) enqueue(key);
  }
}

void EndpointSliceController::on_pod_delete(const Pod& pod) {
  auto ns = by_namespace_.find(pod.metadata.namespace_);
  if (ns == by_namespace_.end() || ns->second.empty()) return;
  const std::string pod_key = object_key(pod.metadata.namespace_, pod.metadata.name);
  for (const std::string& key : ns->second) {
    ServiceState& st = services_[key];
    if (st.pods.erase(pod_key) != 0) enqueue(key);
  }
}

void EndpointSliceController::enqueue(const std::string& key) {
  auto it = services_.find(key);
  if (it == services_.end()) return;
  ServiceState& st = it->second;
  st.dirty = true;
  if (st.scheduled || st.in_flight > 0) return;  // write_done resyncs a dirty Service
  sim::Time at = sim_.now();
  if (config_.sync_window > 0 && st.last_sync >= 0) {
    at = std::max(at, st.last_sync + config_.sync_window);
  }
  schedule(key, at);
}

void EndpointSliceController::schedule(const std::string& key, sim::Time at) {
  services_[key].scheduled = true;
  sim_.schedule_at(at, [this, key] { sync(key); });
}

std::string EndpointSliceController::slice_name(const std::string& service_name) {
  // The API server's generateName: upstream k8s.io/apimachinery/pkg/util/rand alphabet.
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string name = service_name + "-";
  for (int i = 0; i < 5; ++i) name += kAlphabet[names_rng_.below(kAlphabet.size())];
  return name;
}

void EndpointSliceController::sync(const std::string& key) {
  auto it = services_.find(key);
  if (it == services_.end()) return;
  ServiceState& st = it->second;
  st.scheduled = false;
  if (st.in_flight > 0) return;  // resynced when the writes complete
  st.dirty = false;
  st.last_sync = sim_.now();
  const Service& service = *st.service;
  if (service.spec.selector.empty()) return;
  syncs_.add();
  // Desired endpoints, grouped by resolved ports, each group in pod key order.
  std::vector<DesiredEndpoints> desired;
  for (const std::string& pod_key : st.pods) {
    const auto slash = pod_key.find('/');
    auto ptr = pods_.get(std::string_view(pod_key).substr(0, slash),
                         std::string_view(pod_key).substr(slash + 1));
    if (ptr == nullptr) continue;
    const Pod& pod = *ptr;
    if (!should_pod_be_in_endpoints(pod)) continue;
    // upstream reconciler: a pod whose Node is not (yet) known is skipped.
    auto node = nodes_.get("", pod.spec.node_name);
    if (node == nullptr) continue;
    std::vector<EndpointPort> ports = endpoint_ports(service, pod);
    auto group = std::find_if(desired.begin(), desired.end(), [&](const DesiredEndpoints& d) {
      return same_ports(d.ports, ports);
    });
    if (group == desired.end()) {
      desired.push_back(DesiredEndpoints{std::move(ports), {}});
      group = desired.end() - 1;
    }
    group->endpoints.push_back(pod_to_endpoint(pod, node.get()));
  }
  std::vector<EndpointSlice> existing;
  existing.reserve(st.written.size());
  for (const auto& [name, s] : st.written) existing.push_back(s);
  SlicePlan plan = reconcile_slices(service, existing, desired, config_.max_endpoints_per_slice);
  if (plan.empty()) return;
  st.failed = false;
  const std::string ns = service.metadata.namespace_;
  for (EndpointSlice& s : plan.create) {
    s.metadata.name = slice_name(service.metadata.name);
    ++st.in_flight;
    auto stored = std::make_shared<EndpointSlice>(s);
    api_.create<EndpointSlice>(client_, std::move(s), [this, key, stored](const sim::Status& r) {
      if (r.ok()) {
        created_.add();
        if (auto sit = services_.find(key); sit != services_.end()) {
          sit->second.written[stored->metadata.name] = *stored;
        }
      }
      write_done(key, r.ok());
    });
  }
  for (EndpointSlice& s : plan.update) {
    ++st.in_flight;
    auto stored = std::make_shared<EndpointSlice>(s);
    api_.update<EndpointSlice>(client_, std::move(s), -1,
                               [this, key, stored](const sim::Status& r) {
                                 if (r.ok()) {
                                   updated_.add();
                                   if (auto sit = services_.find(key); sit != services_.end()) {
                                     sit->second.written[stored->metadata.name] = *stored;
                                   }
                                 }
                                 write_done(key, r.ok());
                               });
  }
  for (std::string& name : plan.remove) {
    ++st.in_flight;
    api_.remove<EndpointSlice>(client_, ns, name, [this, key, name](const sim::Status& r) {
      if (r.ok()) {
        deleted_.add();
        if (auto sit = services_.find(key); sit != services_.end()) sit->second.written.erase(name);
      }
      write_done(key, r.ok());
    });
  }
}

void EndpointSliceController::write_done(const std::string& key, bool ok) {
  auto it = services_.find(key);
  if (it == services_.end()) return;
  ServiceState& st = it->second;
  if (!ok) st.failed = true;
  if (--st.in_flight > 0) return;
  if (st.failed) {
    // upstream: the key is requeued with exponential backoff.
    sim::Duration backoff = config_.initial_backoff;
    for (int i = 0; i < st.failures && backoff < config_.max_backoff; ++i) backoff *= 2;
    backoff = std::min(backoff, config_.max_backoff);
    ++st.failures;
    st.dirty = true;
    if (!st.scheduled) schedule(key, sim_.now() + backoff);
    return;
  }
  st.failures = 0;
  if (st.dirty && !st.scheduled) {
    st.dirty = false;
    enqueue(key);
  }
}

}  // namespace kubesim::models
