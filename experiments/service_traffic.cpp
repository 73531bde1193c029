#include "experiments/service_traffic.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "models/api_server.hpp"

namespace kubesim::experiments {
namespace {
// A request id's top bit marks a re-sent request (onEndpointGone: retry sends once more).
constexpr std::uint64_t kRetried = std::uint64_t{1} << 63;
}  // namespace

ServiceTraffic::ServiceTraffic(sim::Simulation& sim, sim::MetricRegistry& metrics,
                               models::ApiServer& api, models::KubeProxyFleet& proxies,
                               sim::Sampler* sampler, scenarios::TrafficWorkloadSpec spec,
                               models::Labels selector)
    : sim_(sim),
      api_(api),
      spec_(std::move(spec)),
      selector_(std::move(selector)),
      proxies_(proxies),
      lb_(spec_.load_balancing, sim.rng("lb/" + spec_.name)),
      entry_rng_(sim.rng("lb/" + spec_.name + "/entry")),
      sent_(metrics.counter(spec_.name + ".requests_sent")),
      succeeded_(metrics.counter(spec_.name + ".requests_succeeded")),
      timed_out_(metrics.counter(spec_.name + ".requests_timed_out")),
      rejected_(metrics.counter(spec_.name + ".requests_rejected")),
      failed_(metrics.counter(spec_.name + ".requests_failed")),
      retried_(metrics.counter(spec_.name + ".requests_retried")),
      ttft_(metrics.histogram(spec_.name + ".ttft_s")),
      e2e_(metrics.histogram(spec_.name + ".e2e_s")),
      queueing_(metrics.histogram(spec_.name + ".queueing_s")),
      endpoints_g_(metrics.gauge(spec_.name + ".endpoints")),
      in_flight_g_(metrics.gauge(spec_.name + ".in_flight")),
      slo_met_(metrics.counter(spec_.name + ".requests_slo_met")),
      cold_starts_(metrics.counter(spec_.name + ".cold_starts")),
      serving_g_(metrics.gauge(spec_.name + ".serving_pods")) {
  if (spec_.activator) make_activator_metrics(metrics);
  auto filter = [this](const models::Pod& p) { return selects(p); };
  auto watched = api_.pods().watch(0, filter, [this](const models::WatchEvent<models::Pod>& e) {
    const models::Pod& p = *e.object;
    // upstream endpointslice/utils.go podToEndpoint: Ready = IsPodReady(pod) && !terminating.
    const bool serving = e.type != models::WatchEventType::kDeleted && p.ready() &&
                         !p.metadata.being_deleted() && !p.terminal();
    on_pod(serving, models::object_key(p.metadata.namespace_, p.metadata.name));
  });
  watch_ = watched.ok() ? watched.value() : 0;
  models::KubeProxySettings kp;
  kp.min_sync_period = spec_.kube_proxy_min_sync_period;
  kp.sync_duration = spec_.kube_proxy_sync_duration;
  kp.sync_period = spec_.kube_proxy_sync_period;
  kp.extra_delay = spec_.endpoint_delay;
  proxy_service_ = proxies_.add_service(spec_.service_namespace, spec_.service_name, kp,
                                        [this] { reference_synced(); });
  if (sampler != nullptr) {
    const double interval_s = sim::to_seconds(sampler->interval());
    // The first column closes the interval: the latency columns after it read its figures.
    sampler->add_column(spec_.name + ".rps", [this, interval_s] {
      const auto sent = static_cast<std::uint64_t>(sent_.value());
      const double rps = static_cast<double>(sent - last_sent_sample_) / interval_s;
      last_sent_sample_ = sent;
      close_interval();
      return rps;
    });
    sampler->add_column(spec_.name + ".endpoints",
                        [this] { return static_cast<double>(lb_.endpoints().size()); });
    sampler->add_column(spec_.name + ".in_flight", [this] { return in_flight_g_.value(); });
    sampler->add_column(spec_.name + ".serving_pods", [this] { return serving_g_.value(); });
    sampler->add_column(spec_.name + ".e2e_p50_s", [this] { return interval_.e2e_p50; });
    sampler->add_column(spec_.name + ".e2e_p99_s", [this] { return interval_.e2e_p99; });
    sampler->add_column(spec_.name + ".ttft_p99_s", [this] { return interval_.ttft_p99; });
    sampler->add_column(spec_.name + ".slo_attainment",
                        [this] { return interval_.slo_attainment; });
  }
}

// upstream: a Service selects the pods of its own namespace whose labels hold every
// selector pair; an empty selector selects nothing (the EndpointSlice controller skips
// Services without a selector: pkg/controller/endpointslice/endpointslice_controller.go).
bool ServiceTraffic::selects(const models::Pod& p) const {
  return p.metadata.namespace_ == spec_.service_namespace && !selector_.empty() &&
         p.metadata.labels.contains_all(selector_);
}

std::string ServiceTraffic::service_key() const {
  return models::object_key(spec_.service_namespace, spec_.service_name);
}

ServiceTraffic::~ServiceTraffic() {
  if (watch_ != 0) api_.pods().cancel_watch(watch_);
}

void ServiceTraffic::start() {
  assert(source_ == nullptr && !fluid_ && "ServiceTraffic::start: call once");
  if (end_hook_) return;  // a pool: submit() feeds it
  if (spec_.fluid) {
    fluid_ = std::make_unique<models::FluidService>(spec_.server);
    sim_.every(spec_.fluid_interval, [this] { fluid_step(); });
    return;
  }
  source_ = std::make_unique<models::TrafficSource>(sim_, spec_.traffic,
                                                    [this](const models::Request& r) {
                                                      sent_.add();
                                                      in_flight_g_.add(1);
                                                      send(r, next_request_++);
                                                    });
  source_->start();
}

void ServiceTraffic::feed_externally(EndHook hook) {
  assert(!spec_.fluid && source_ == nullptr && "feed_externally: request mode, before start");
  end_hook_ = std::move(hook);
}

void ServiceTraffic::submit(const models::Request& request, std::uint64_t id) {
  assert(end_hook_ && (id & kRetried) == 0);
  sent_.add();
  in_flight_g_.add(1);
  send(request, id);
}

void ServiceTraffic::submit_from(const models::Request& request, std::uint64_t id,
                                 std::uint32_t proxy) {
  entry_ = proxy == models::KubeProxyFleet::kReference ? kAnyNode : proxy;
  submit(request, id);
  entry_ = kAnyNode;
}

void ServiceTraffic::ended(std::uint64_t id, Ended how, const models::RequestResult* result) {
  if (end_hook_) end_hook_(id & ~kRetried, how, result);
}

ServiceTraffic::Counts ServiceTraffic::counts() const {
  Counts c;
  c.sent = static_cast<std::uint64_t>(sent_.value());
  c.succeeded = static_cast<std::uint64_t>(succeeded_.value());
  c.timed_out = static_cast<std::uint64_t>(timed_out_.value());
  c.rejected = static_cast<std::uint64_t>(rejected_.value());
  c.failed = static_cast<std::uint64_t>(failed_.value());
  c.retried = static_cast<std::uint64_t>(retried_.value());
  c.in_flight = static_cast<std::int64_t>(in_flight_g_.value());
  return c;
}

sim::Time ServiceTraffic::first_routed(const std::string& pod_key) const {
  auto it = first_routed_.find(pod_key);
  return it == first_routed_.end() ? -1 : it->second;
}

namespace {
void accumulate(models::PodCounters& into, const models::PodCounters& c) {
  into.arrived += c.arrived;
  into.completed += c.completed;
  into.timed_out += c.timed_out;
  into.rejected += c.rejected;
  into.returned += c.returned;
  into.output_tokens += c.output_tokens;
  into.busy_seconds += c.busy_seconds;
  into.in_flight_seconds += c.in_flight_seconds;
  into.queue_seconds += c.queue_seconds;
}
}  // namespace

std::optional<ServiceTraffic::PodLoad> ServiceTraffic::pod_load(const std::string& pod_key) const {
  if (spec_.fluid) {
    auto it = fluid_pods_.find(std::string_view(pod_key));
    if (it == fluid_pods_.end()) return std::nullopt;
    const FluidPod& f = it->second;
    PodLoad load;
    load.counters.arrived = static_cast<std::uint64_t>(f.arrived);
    load.counters.completed = static_cast<std::uint64_t>(f.completed);
    load.counters.output_tokens = static_cast<std::uint64_t>(f.output_tokens);
    load.counters.busy_seconds = f.busy_seconds;
    load.counters.in_flight_seconds = f.in_flight_seconds;
    load.counters.queue_seconds = f.queue_seconds;
    load.serving = f.serving;
    return load;
  }
  auto retired = retired_.find(std::string_view(pod_key));
  auto current = current_.find(std::string_view(pod_key));
  if (retired == retired_.end() && current == current_.end()) return std::nullopt;
  PodLoad load;
  if (retired != retired_.end()) load.counters = retired->second;
  if (current != current_.end()) {
    const Backend& b = backends_[current->second];
    accumulate(load.counters, b.server->counters());
    load.serving = true;
  }
  return load;
}

double ServiceTraffic::busy_seconds_total() const {
  double total = 0;
  if (spec_.fluid) {
    for (const auto& [key, p] : fluid_pods_) total += p.busy_seconds;
    return total;
  }
  for (const auto& [key, c] : retired_) total += c.busy_seconds;
  for (const auto& [key, id] : current_) total += backends_[id].server->counters().busy_seconds;
  return total;
}

void ServiceTraffic::on_pod(bool serving, const std::string& key) {
  auto it = current_.find(std::string_view(key));
  if (serving && it == current_.end()) {
    const auto id = static_cast<std::uint32_t>(backends_.size());
    backends_.push_back(Backend{key, nullptr, false, models::KubeProxyFleet::kReference});
    current_[key] = id;
    if (auto f = fluid_pods_.find(std::string_view(key)); f != fluid_pods_.end()) {
      f->second.serving = true;
    }
    last_backend_.insert_or_assign(key, id);
    cold_starts_.add();
    serving_g_.set(static_cast<double>(current_.size()));
    start_serving(id);
  } else if (!serving && it != current_.end()) {
    const std::uint32_t id = it->second;
    current_.erase(it);
    if (auto f = fluid_pods_.find(std::string_view(key)); f != fluid_pods_.end()) {
      f->second.serving = false;
    }
    serving_g_.set(static_cast<double>(current_.size()));
    stop_serving(id);
  }
}

void ServiceTraffic::start_serving(std::uint32_t id) {
  Backend& b = backends_[id];
  const auto slash = b.key.find('/');
  auto pod = api_.pods().get(b.key.substr(0, slash), b.key.substr(slash + 1));
  if (pod != nullptr) {
    if (auto proxy = proxies_.proxy_of(pod->spec.node_name)) b.proxy = *proxy;
  }
  // Views that list the pod map it to this backend from now on.
  ++backend_changes_;
  if (spec_.fluid) {  // the pods share one fluid model; no per-pod server
    b.serving = true;
    reference_synced();
    return;
  }
  models::InferenceServerConfig config = spec_.server;
  config.name = spec_.name + "/" + b.key + "#" + std::to_string(id);
  // An LLM pod serves at the speed of the GPU its node has (the node's
  // nvidia.com/gpu.product label, as GPU feature discovery sets it), when kubesim knows that
  // GPU; otherwise at server.gpu's.
  if (config.model == models::ServiceModel::kLlm) {
    auto node = pod == nullptr ? nullptr : api_.nodes().get("", pod->spec.node_name);
    if (const std::string* product =
            node == nullptr ? nullptr : node->metadata.labels.find(models::kLabelGpuProduct)) {
      if (auto profile = models::gpu_profile(*product); profile.ok()) config.gpu = *profile;
    }
  }
  b.server = std::make_unique<models::InferenceServer>(
      sim_, std::move(config), [this, id](const models::RequestResult& r) { on_result(r, id); });
  // The pod's readiness delay was its cold start: it serves from the moment it is Ready.
  b.server->start_ready();
  b.serving = true;
  reference_synced();
}

void ServiceTraffic::stop_serving(std::uint32_t id) {
  Backend& b = backends_[id];
  b.serving = false;
  if (spec_.fluid) return;
  // The pod stops now (deleted, terminating or not Ready): what it holds fails or comes back
  // for one retry. Results arrive through on_result before terminate() returns.
  b.server->terminate(spec_.on_endpoint_gone == scenarios::EndpointGone::kRetry
                          ? models::DrainMode::kReturn
                          : models::DrainMode::kFail);
  accumulate(retired_[b.key], b.server->counters());
  // Requests routed to it from now on meet a gone endpoint (route() checks `serving`).
  sim_.schedule_after(0, [this, id] {
    backends_[id].server.reset();  // not inside its own result sink: an event of ours
  });
}

// The backends of a kube-proxy view's usable endpoints (pods this object never saw serving,
// e.g. a manifest slice's, are left out).
std::vector<std::uint32_t> ServiceTraffic::backends_of(const models::ProxyEndpoints& view) const {
  std::vector<std::uint32_t> list;
  list.reserve(view.usable.size());
  for (std::uint32_t i : view.usable) {
    auto it = last_backend_.find(view.endpoints[i].key);
    if (it != last_backend_.end()) list.push_back(it->second);
  }
  return list;
}

// The reference kube-proxy synced (or a backend started): its rules are the activator's,
// fluid mode's and the endpoints gauge's view.
void ServiceTraffic::reference_synced() {
  std::vector<std::uint32_t> list =
      backends_of(proxies_.view(models::KubeProxyFleet::kReference, proxy_service_));
  endpoints_g_.set(static_cast<double>(list.size()));
  lb_.set_endpoints(std::move(list));
  if (!buffer_.empty() && !release_pending_) {
    // Not inside a pod watch callback or a sync: an event of ours.
    release_pending_ = true;
    sim_.schedule_after(0, [this] {
      release_pending_ = false;
      if (!buffer_.empty()) release_buffered();
    });
  }
}

// The load balancer of one node's kube-proxy, brought up to date with its view.
models::LoadBalancer& ServiceTraffic::node_lb(std::uint32_t proxy) {
  if (proxy >= node_views_.size()) node_views_.resize(proxy + 1);
  std::unique_ptr<NodeView>& nv = node_views_[proxy];
  if (nv == nullptr) {
    nv = std::make_unique<NodeView>(NodeView{
        ~std::uint64_t{0}, 0,
        models::LoadBalancer(spec_.load_balancing,
                             sim_.rng("lb/" + spec_.name + "/" + proxies_.node_of(proxy)))});
  }
  const models::ProxyEndpoints& view = proxies_.view(proxy, proxy_service_);
  if (nv->version != view.version || nv->backends != backend_changes_) {
    nv->version = view.version;
    nv->backends = backend_changes_;
    nv->lb.set_endpoints(backends_of(view));
  }
  return nv->lb;
}

void ServiceTraffic::send(const models::Request& request, std::uint64_t id) {
  // The activator is in the path while there is no endpoint or it still holds requests
  // (FIFO: a new request does not overtake buffered ones), and always while the SKS is in
  // Proxy mode (activator_in_path()).
  if (activator_in_path()) {
    ++proxied_;
    proxied_c_->add();
    buffer(request, id);
    return;
  }
  ++direct_;
  if (direct_c_ != nullptr) direct_c_->add();
  route(request, id);
}

// ---- Knative SKS hook (experiments/knative_sks.hpp) ---------------------------------------

void ServiceTraffic::make_activator_metrics(sim::MetricRegistry& metrics) {
  buffered_g_ = &metrics.gauge(spec_.name + ".activator_buffered");
  buffered_c_ = &metrics.counter(spec_.name + ".activator_requests_buffered");
  proxied_c_ = &metrics.counter(spec_.name + ".requests_proxied");
  direct_c_ = &metrics.counter(spec_.name + ".requests_direct");
}

void ServiceTraffic::enable_activator(sim::MetricRegistry& metrics,
                                      const scenarios::ActivatorSpec& spec) {
  assert(!spec_.fluid && "enable_activator: request mode only");
  if (spec_.activator) return;  // the scenario's own activator: wins
  spec_.activator = spec;
  make_activator_metrics(metrics);
}

// ---- end of the Knative SKS hook ----------------------------------------------------------

sim::Duration ServiceTraffic::next_hop() {
  const std::optional<sim::Distribution>& d = spec_.activator->hop_latency;
  if (!d) return 0;  // the default: no stream is drawn, no event scheduled
  if (!hop_rng_) hop_rng_.emplace(sim_.rng("activator/" + spec_.name + "/hop"));
  // A normal distribution may sample below 0: clamp (docs/scenarios.md, distributions).
  return sim::from_seconds(std::max(0.0, d->sample(*hop_rng_)));
}

// The activator hands a released request on: to `pod`, or with kAnyNode to the pods it
// knows (Knative's activator watches the endpoints itself and dials pod IPs: the reference
// view, not a node's kube-proxy). With hopLatency it arrives that much later; bound for a
// pod, it holds one of the pod's containerConcurrency slots on the way.
void ServiceTraffic::send_from_activator(const Buffered& b, std::uint32_t pod) {
  const sim::Duration hop = next_hop();
  if (hop == 0) {
    deliver_from_activator(b, pod);
    return;
  }
  if (pod != kAnyNode) ++backends_[pod].activator_in_transit;
  // The event carries a key, not the request: event handlers are kept small (sim/callback.hpp).
  const std::uint64_t k = next_hop_key_++;
  on_hop_.emplace(k, OnHop{b, pod});
  sim_.schedule_after(hop, [this, k] {
    auto it = on_hop_.find(k);
    const OnHop h = it->second;
    on_hop_.erase(it);
    if (h.pod != kAnyNode) --backends_[h.pod].activator_in_transit;
    deliver_from_activator(h.b, h.pod);
  });
}

void ServiceTraffic::deliver_from_activator(const Buffered& b, std::uint32_t pod) {
  if (pod == kAnyNode) {
    const std::uint32_t entry = entry_;
    entry_ = models::KubeProxyFleet::kReference;
    route(b.request, b.id);
    entry_ = entry;
    return;
  }
  Backend& be = backends_[pod];
  if (be.server == nullptr || !be.serving) {
    endpoint_gone(b.request, b.id);  // the pod stopped serving during the hop
    return;
  }
  be.server->submit(b.request, b.id);
}

ServiceTraffic::Buffered ServiceTraffic::take_buffered() {
  const Buffered b = buffer_.front();
  buffer_changed();
  buffer_.pop_front();
  buffered_g_->set(static_cast<double>(buffer_.size()));
  return b;
}

double ServiceTraffic::activator_buffered_seconds() const {
  return buffered_seconds_ +
         static_cast<double>(buffer_.size()) * sim::to_seconds(sim_.now() - buffer_changed_at_);
}

void ServiceTraffic::buffer_changed() {
  buffered_seconds_ = activator_buffered_seconds();
  buffer_changed_at_ = sim_.now();
}

void ServiceTraffic::buffer(const models::Request& request, std::uint64_t id) {
  const scenarios::ActivatorSpec& a = *spec_.activator;
  if (static_cast<std::int64_t>(buffer_.size()) >= a.queue_depth) {
    // upstream throttler.go: the breaker's queue is full → 503.
    rejected_.add();
    in_flight_g_.add(-1);
    ++interval_ended_;
    ended(id, Ended::kRejected, nullptr);
    return;
  }
  buffer_changed();
  const sim::Time deadline = sim_.now() + a.timeout;
  buffer_.push_back(Buffered{request, id, deadline});
  buffered_c_->add();
  buffered_g_->set(static_cast<double>(buffer_.size()));
  // FIFO with one timeout: the buffer's front always expires first.
  sim_.schedule_at(deadline, [this] { expire_buffered(); });
  if (!lb_.endpoints().empty()) release_buffered();  // held behind others; try now
}

void ServiceTraffic::expire_buffered() {
  while (!buffer_.empty() && buffer_.front().deadline <= sim_.now()) {
    const std::uint64_t id = buffer_.front().id;
    buffer_changed();
    buffer_.pop_front();
    buffered_g_->set(static_cast<double>(buffer_.size()));
    timed_out_.add();
    in_flight_g_.add(-1);
    ++interval_ended_;
    ended(id, Ended::kTimedOut, nullptr);
  }
}

// Releases buffered requests to the endpoints, oldest first. Never called from inside a
// server's result sink (on_result schedules it), so submit() does not re-enter a server.
void ServiceTraffic::release_buffered() {
  const std::int64_t cc = spec_.activator->container_concurrency;
  while (!buffer_.empty() && !lb_.endpoints().empty()) {
    if (cc > 0) {
      // The least loaded serving endpoint with room (first listed on ties).
      std::optional<std::uint32_t> pick;
      std::int64_t best = cc;
      for (std::uint32_t e : lb_.endpoints()) {
        const models::InferenceServer* srv = backends_[e].server.get();
        if (srv == nullptr || !backends_[e].serving) continue;
        const std::int64_t load =
            srv->in_flight() + srv->queue_length() + backends_[e].activator_in_transit;
        if (load < best) {
          best = load;
          pick = e;
        }
      }
      if (!pick) return;  // every pod is at containerConcurrency: wait for a completion
      const Buffered b = take_buffered();
      first_routed_.try_emplace(backends_[*pick].key, sim_.now());
      send_from_activator(b, *pick);
      continue;
    }
    send_from_activator(take_buffered(), kAnyNode);
  }
}

void ServiceTraffic::route(const models::Request& request, std::uint64_t id) {
  // The node the request enters at; its kube-proxy's rules choose the endpoint.
  std::uint32_t entry = entry_;
  if (entry == kAnyNode) {
    const std::vector<std::uint32_t>& nodes = proxies_.ready_nodes();
    if (nodes.empty()) {  // no node takes traffic: connection refused
      finish_failed(id);
      return;
    }
    entry = nodes.size() == 1 ? nodes.front() : nodes[entry_rng_.below(nodes.size())];
  }
  models::LoadBalancer& lb = entry == models::KubeProxyFleet::kReference ? lb_ : node_lb(entry);
  std::optional<std::uint32_t> pick;
  if (spec_.load_balancing == models::LbMode::kLeastConnections) {
    // IPVS lc counts active connections: requests queued or running on the pod. A stale
    // endpoint (its pod gone) holds none.
    pick = lb.pick([this](std::uint32_t e) -> std::int64_t {
      const models::InferenceServer* s = backends_[e].server.get();
      return s == nullptr ? 0 : s->in_flight() + s->queue_length();
    });
  } else {
    pick = lb.pick();
  }
  if (!pick) {  // no endpoint: connection refused
    finish_failed(id);
    return;
  }
  Backend& b = backends_[*pick];
  first_routed_.try_emplace(b.key, sim_.now());
  if (!b.serving) {
    endpoint_gone(request, id);
    return;
  }
  b.server->submit(request, id);
}

void ServiceTraffic::endpoint_gone(const models::Request& request, std::uint64_t id) {
  if (spec_.on_endpoint_gone == scenarios::EndpointGone::kRetry && (id & kRetried) == 0) {
    retried_.add();
    send(request, id | kRetried);
    return;
  }
  finish_failed(id);
}

void ServiceTraffic::finish_failed(std::uint64_t id) {
  failed_.add();
  in_flight_g_.add(-1);
  ++interval_ended_;
  ended(id, Ended::kFailed, nullptr);
}

void ServiceTraffic::on_result(const models::RequestResult& r, std::uint32_t backend) {
  ended_proxy_ = backends_[backend].proxy;
  Ended how = Ended::kSucceeded;
  switch (r.outcome) {
    case models::Outcome::kSuccess: {
      succeeded_.add();
      const double e2e = r.e2e_s();
      const double ttft = r.first_token >= 0 ? r.ttft_s() : e2e;
      if (r.first_token >= 0) ttft_.record(ttft);
      e2e_.record(e2e);
      queueing_.record(r.queueing_s());
      interval_e2e_.push_back(e2e);
      interval_ttft_.push_back(ttft);
      const bool met = (!spec_.slo.e2e || e2e <= sim::to_seconds(*spec_.slo.e2e)) &&
                       (!spec_.slo.ttft || ttft <= sim::to_seconds(*spec_.slo.ttft));
      if (met) {
        slo_met_.add();
        ++interval_met_;
      }
      break;
    }
    case models::Outcome::kTimeout:
      timed_out_.add();
      how = Ended::kTimedOut;
      break;
    case models::Outcome::kRejected:
      if (r.reason == models::RejectReason::kQueueFull) {
        rejected_.add();
        how = Ended::kRejected;
      } else {
        failed_.add();  // pod gone (onEndpointGone: fail)
        how = Ended::kFailed;
      }
      break;
    case models::Outcome::kReturned:
      endpoint_gone(r.request, r.id);
      return;  // endpoint_gone settles the request (or re-sends it)
  }
  in_flight_g_.add(-1);
  ++interval_ended_;
  ended(r.id, how, &r);
  // A pod at containerConcurrency freed a slot: release buffered requests, as an event of
  // ours (not inside the server's result delivery).
  if (!buffer_.empty() && !release_pending_) {
    release_pending_ = true;
    sim_.schedule_after(0, [this] {
      release_pending_ = false;
      release_buffered();
    });
  }
}

// One fluid interval (docs/serving.md §3): the traffic's rate at the interval's midpoint
// through FluidService over the endpoints the load balancer has, which are serving. Counts
// are carried as fractions and added to the counters as whole requests; the latency
// histograms get one sample per interval (its mean), and a pod's share of the interval goes
// to its counters for the metrics pipeline.
void ServiceTraffic::fluid_step() {
  const sim::Duration dt = spec_.fluid_interval;
  const sim::Time mid = sim_.now() - dt / 2;
  const models::TrafficSpec& t = spec_.traffic;
  const bool active = mid >= t.start && (t.end <= 0 || mid < t.end);
  models::FluidInput in;
  in.arrival_rate = active ? models::nominal_rate(t, mid) : 0.0;
  in.mean_input_tokens = t.input_tokens.mean();
  in.mean_output_tokens = std::max(1.0, t.output_tokens.mean());
  std::vector<std::uint32_t>& ready = fluid_ready_;
  ready.clear();
  for (std::uint32_t e : lb_.endpoints()) {
    if (backends_[e].serving) ready.push_back(e);
  }
  const models::FluidOutput out = fluid_->advance(dt, in, static_cast<int>(ready.size()));
  FluidTotals& f = fluid_totals_;
  f.sent += out.offered;
  f.succeeded += out.completed;
  // With no ready endpoint everything offered fails (no endpoint); otherwise the pods reject.
  (ready.empty() ? f.failed : f.rejected) += out.rejected;
  f.timed_out += out.timed_out;
  auto flush = [](double total, std::uint64_t& added, sim::Counter& counter) {
    const auto whole = static_cast<std::uint64_t>(total);
    if (whole > added) counter.add(static_cast<std::int64_t>(whole - added));
    added = std::max(added, whole);
  };
  const std::uint64_t ended_before = f.ended_added();
  flush(f.sent, f.sent_added, sent_);
  flush(f.succeeded, f.succeeded_added, succeeded_);
  flush(f.rejected, f.rejected_added, rejected_);
  flush(f.failed, f.failed_added, failed_);
  flush(f.timed_out, f.timed_out_added, timed_out_);
  interval_ended_ += f.ended_added() - ended_before;
  // The model's requests in the pods (running, waiting, and the backlog it carries); the
  // counters balance only up to these fractions in fluid mode.
  in_flight_g_.set(out.mean_in_flight + out.mean_queue);
  if (out.completed > 0) {
    const double prefill = spec_.server.model == models::ServiceModel::kLlm
                               ? in.mean_input_tokens / spec_.server.gpu.prefill_tokens_per_s
                               : out.mean_latency_s - out.mean_wait_s;
    const double ttft = out.mean_wait_s + prefill;
    e2e_.record(out.mean_latency_s);
    ttft_.record(ttft);
    queueing_.record(out.mean_wait_s);
    interval_e2e_.push_back(out.mean_latency_s);
    interval_ttft_.push_back(ttft);
    const bool met = (!spec_.slo.e2e || out.mean_latency_s <= sim::to_seconds(*spec_.slo.e2e)) &&
                     (!spec_.slo.ttft || ttft <= sim::to_seconds(*spec_.slo.ttft));
    if (met) {
      const auto before = static_cast<std::uint64_t>(f.slo_met);
      f.slo_met += out.completed;
      const auto after = static_cast<std::uint64_t>(f.slo_met);
      slo_met_.add(static_cast<std::int64_t>(after - before));
      interval_met_ += after - before;
    }
  }
  if (ready.empty()) return;
  const double share = 1.0 / static_cast<double>(ready.size());
  const double seconds = sim::to_seconds(dt);
  if (fluid_pod_of_.size() < backends_.size()) fluid_pod_of_.resize(backends_.size(), nullptr);
  for (std::uint32_t e : ready) {
    FluidPod*& cached = fluid_pod_of_[e];
    if (cached == nullptr) {
      cached = &fluid_pods_[backends_[e].key];
      cached->serving = current_.contains(backends_[e].key);
    }
    FluidPod& p = *cached;
    p.arrived += out.offered * share;
    p.completed += out.completed * share;
    p.output_tokens += out.completed * share * in.mean_output_tokens;
    p.busy_seconds += out.busy_fraction * seconds;
    p.in_flight_seconds += out.mean_in_flight * share * seconds;
    p.queue_seconds += out.mean_queue * share * seconds;
  }
}

void ServiceTraffic::close_interval() {
  // The quantiles of the requests that ended in the interval (nearest rank), 0 when none.
  auto quantile = [](std::vector<double>& v, double q) {
    if (v.empty()) return 0.0;
    const auto k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
  };
  interval_.e2e_p50 = quantile(interval_e2e_, 0.5);
  interval_.e2e_p99 = quantile(interval_e2e_, 0.99);
  interval_.ttft_p99 = quantile(interval_ttft_, 0.99);
  interval_.slo_attainment =
      interval_ended_ == 0 ? 1.0 : static_cast<double>(interval_met_) / interval_ended_;
  interval_e2e_.clear();
  interval_ttft_.clear();
  interval_ended_ = 0;
  interval_met_ = 0;
}

}  // namespace kubesim::experiments
