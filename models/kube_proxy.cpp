#include "models/kube_proxy.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "models/endpointslice.hpp"

namespace kubesim::models {

KubeProxyFleet::KubeProxyFleet(sim::Simulation& sim, sim::MetricRegistry& metrics, ApiServer& api)
    : sim_(sim),
      api_(api),
      watch_rng_(sim.rng("kube-proxy/watch")),
      sync_rng_(sim.rng("kube-proxy/sync")),
      syncs_(metrics.counter("kube_proxy.syncs")) {
  constructing_ = true;  // proxies of nodes Ready now have run for long: no wait pending
  add_proxy("");         // kReference
  auto slices = api.endpoint_slices().watch(
      0, {}, [this](const WatchEvent<EndpointSlice>& e) { on_slice(e); });
  slice_watch_ = slices.ok() ? slices.value() : 0;
  auto nodes = api.nodes().watch(0, {}, [this](const WatchEvent<Node>& e) { on_node(e); });
  node_watch_ = nodes.ok() ? nodes.value() : 0;
  constructing_ = false;
}

KubeProxyFleet::~KubeProxyFleet() {
  if (slice_watch_ != 0) api_.endpoint_slices().cancel_watch(slice_watch_);
  if (node_watch_ != 0) api_.nodes().cancel_watch(node_watch_);
}

std::optional<std::uint32_t> KubeProxyFleet::proxy_of(std::string_view node) const {
  auto it = proxy_index_.find(node);
  if (it == proxy_index_.end()) return std::nullopt;
  return it->second;
}

std::uint32_t KubeProxyFleet::add_proxy(std::string node) {
  const auto index = static_cast<std::uint32_t>(proxies_.size());
  Proxy p;
  p.node = node;
  p.started = constructing_ ? -1 : sim_.now();
  // A new kube-proxy lists the slices and syncs at once (its informer's initial list).
  for (const ServiceEntry& s : services_) {
    Runner r;
    r.heard = s.latest;
    r.applied = s.latest;
    r.last_run = p.started;
    p.runners.push_back(std::move(r));
  }
  proxies_.push_back(std::move(p));
  if (!node.empty()) proxy_index_.emplace(std::move(node), index);
  return index;
}

std::uint32_t KubeProxyFleet::add_service(std::string_view namespace_, std::string_view name,
                                          KubeProxySettings settings,
                                          std::function<void()> on_reference_sync) {
  const std::string key = object_key(namespace_, name);
  if (auto it = service_index_.find(key); it != service_index_.end()) {
    // Another workload on the same Service: the first one's settings stay.
    if (on_reference_sync) {
      services_[it->second].on_reference_sync.push_back(std::move(on_reference_sync));
    }
    return it->second;
  }
  const auto index = static_cast<std::uint32_t>(services_.size());
  ServiceEntry s;
  s.namespace_ = std::string(namespace_);
  s.name = std::string(name);
  s.settings = settings;
  if (on_reference_sync) s.on_reference_sync.push_back(std::move(on_reference_sync));
  s.latest = std::make_shared<const ProxyEndpoints>();
  // Slices already stored (a manifest's, or the controller's from earlier).
  for (const auto& slice : api_.endpoint_slices().list()) {
    if (slice->metadata.namespace_ != namespace_) continue;
    const std::string* svc = slice->metadata.labels.find(kLabelServiceName);
    if (svc != nullptr && *svc == name) s.slices.emplace(slice->metadata.name, slice);
  }
  services_.push_back(std::move(s));
  service_index_.emplace(key, index);
  for (Proxy& p : proxies_) {
    Runner r;
    r.heard = services_.back().latest;
    r.applied = r.heard;
    r.last_run = p.started;
    p.runners.push_back(std::move(r));
  }
  if (!services_.back().slices.empty()) publish(index);
  return index;
}

void KubeProxyFleet::on_node(const WatchEvent<Node>& e) {
  const Node& n = *e.object;
  const bool ready = e.type != WatchEventType::kDeleted && n.ready();
  auto it = proxy_index_.find(n.metadata.name);
  if (it == proxy_index_.end()) {
    if (!ready) return;
    const std::uint32_t p = add_proxy(n.metadata.name);
    proxies_[p].ready = true;
    ready_.push_back(p);
    return;
  }
  Proxy& p = proxies_[it->second];
  if (p.ready == ready) return;
  p.ready = ready;
  if (ready) {
    // Back (or restarted): it lists the slices again and syncs at once.
    for (std::size_t s = 0; s < services_.size(); ++s) {
      Runner& r = p.runners[s];
      r.heard = services_[s].latest;
      r.applied = r.heard;
      r.last_run = sim_.now();
    }
    // Entry points keep the order in which nodes first became Ready.
    ready_.insert(std::upper_bound(ready_.begin(), ready_.end(), it->second), it->second);
  } else {
    ready_.erase(std::find(ready_.begin(), ready_.end(), it->second));
  }
}

void KubeProxyFleet::on_slice(const WatchEvent<EndpointSlice>& e) {
  const EndpointSlice& slice = *e.object;
  const std::string* svc = slice.metadata.labels.find(kLabelServiceName);
  if (svc == nullptr) return;
  auto it = service_index_.find(object_key(slice.metadata.namespace_, *svc));
  if (it == service_index_.end()) return;
  ServiceEntry& s = services_[it->second];
  if (e.type == WatchEventType::kDeleted) {
    s.slices.erase(slice.metadata.name);
  } else {
    s.slices.insert_or_assign(slice.metadata.name, e.object);
  }
  publish(it->second);
}

// upstream endpointslicecache.go: the Service's slices merged (in name order here), each
// endpoint once; nil ready/serving conditions count as true, nil terminating as false.
void KubeProxyFleet::publish(std::uint32_t service) {
  ServiceEntry& s = services_[service];
  auto v = std::make_shared<ProxyEndpoints>();
  v->version = s.latest->version + 1;
  std::set<std::string_view> seen;
  for (const auto& [name, slice] : s.slices) {
    for (const Endpoint& e : slice->endpoints) {
      const std::string& key = endpoint_key(e);
      if (!seen.insert(key).second) continue;
      ProxyEndpoint pe;
      pe.key = key;
      pe.node_name = e.node_name;
      pe.ready = e.conditions.ready.value_or(true);
      pe.serving = e.conditions.serving.value_or(pe.ready);
      pe.terminating = e.conditions.terminating.value_or(false);
      v->endpoints.push_back(std::move(pe));
    }
  }
  // topology.go CategorizeEndpoints: ready endpoints; with none, serving terminating ones.
  for (std::uint32_t i = 0; i < v->endpoints.size(); ++i) {
    if (v->endpoints[i].ready) v->usable.push_back(i);
  }
  if (v->usable.empty()) {
    for (std::uint32_t i = 0; i < v->endpoints.size(); ++i) {
      const ProxyEndpoint& pe = v->endpoints[i];
      if (pe.serving && pe.terminating) v->usable.push_back(i);
    }
  }
  s.latest = v;
  const sim::Duration extra = s.settings.extra_delay;
  for (std::uint32_t p = 0; p < proxies_.size(); ++p) {
    if (p != kReference && !proxies_[p].ready) continue;  // it relists when Ready again
    Runner& r = proxies_[p].runners[service];
    const sim::Duration delay =
        sim::from_seconds(std::max(0.0, api_.config().watch_delay.sample(watch_rng_)));
    const sim::Time at = std::max(sim_.now() + delay + extra, r.last_delivery);
    r.last_delivery = at;
    sim_.schedule_at(at, [this, p, service, v] { deliver(p, service, v); });
  }
}

void KubeProxyFleet::deliver(std::uint32_t proxy, std::uint32_t service,
                             std::shared_ptr<const ProxyEndpoints> v) {
  Proxy& p = proxies_[proxy];
  if (proxy != kReference && !p.ready) return;
  Runner& r = p.runners[service];
  if (v->version <= r.heard->version) return;  // a relist already brought it
  r.heard = std::move(v);
  run(proxy, service);
}

// BoundedFrequencyRunner.Run().
void KubeProxyFleet::run(std::uint32_t proxy, std::uint32_t service) {
  Runner& r = proxies_[proxy].runners[service];
  if (r.pending) return;  // joins the sync already waiting
  const KubeProxySettings& k = services_[service].settings;
  sim::Time at = sim_.now();
  if (r.last_run >= 0) {
    sim::Time last = r.last_run;
    // The maxInterval (FullSyncPeriod) syncs since the last one: each restarts the wait.
    if (k.full_sync_period > 0 && sim_.now() - last >= k.full_sync_period) {
      last += (sim_.now() - last) / k.full_sync_period * k.full_sync_period;
    }
    at = std::max(at, last + k.min_sync_period);
  }
  at = std::max(at, r.busy_until);  // a sync still running finishes first
  if (at == sim_.now()) {
    sync(proxy, service);
    return;
  }
  r.pending = true;
  sim_.schedule_at(at, [this, proxy, service] {
    proxies_[proxy].runners[service].pending = false;
    sync(proxy, service);
  });
}

void KubeProxyFleet::sync(std::uint32_t proxy, std::uint32_t service) {
  Runner& r = proxies_[proxy].runners[service];
  r.last_run = sim_.now();
  syncs_.add();
  const std::optional<sim::Distribution>& d = services_[service].settings.sync_duration;
  const sim::Duration took =
      d ? sim::from_seconds(std::max(0.0, d->sample(sync_rng_))) : sim::Duration{0};
  if (took <= 0) {
    apply(proxy, service, r.heard);
    return;
  }
  r.busy_until = sim_.now() + took;
  sim_.schedule_at(r.busy_until, [this, proxy, service, view = r.heard]() mutable {
    apply(proxy, service, std::move(view));
  });
}

void KubeProxyFleet::apply(std::uint32_t proxy, std::uint32_t service,
                           std::shared_ptr<const ProxyEndpoints> view) {
  Runner& r = proxies_[proxy].runners[service];
  if (r.applied == view) return;
  r.applied = std::move(view);
  if (proxy == kReference) {
    for (const auto& f : services_[service].on_reference_sync) f();
  }
}

}  // namespace kubesim::models
