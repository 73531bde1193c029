#include "experiments/service_traffic.hpp"

#include <cassert>

#include "models/api_server.hpp"

namespace kubesim::experiments {
namespace {
// A request id's top bit marks a re-sent request (onEndpointGone: retry sends once more).
constexpr std::uint64_t kRetried = std::uint64_t{1} << 63;
}  // namespace

ServiceTraffic::ServiceTraffic(sim::Simulation& sim, sim::MetricRegistry& metrics,
                               models::ApiServer& api, sim::Sampler* sampler,
                               scenarios::TrafficWorkloadSpec spec, models::Labels selector)
    : sim_(sim),
      api_(api),
      spec_(std::move(spec)),
      selector_(std::move(selector)),
      lb_(spec_.load_balancing, sim.rng("lb/" + spec_.name)),
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
      in_flight_g_(metrics.gauge(spec_.name + ".in_flight")) {
  const std::string ns = spec_.service_namespace;
  // upstream: a Service selects the pods of its own namespace whose labels hold every
  // selector pair; an empty selector selects nothing (the EndpointSlice controller skips
  // Services without a selector: pkg/controller/endpointslice/endpointslice_controller.go).
  auto filter = [this, ns](const models::Pod& p) {
    return p.metadata.namespace_ == ns && !selector_.empty() &&
           p.metadata.labels.contains_all(selector_);
  };
  auto watched = api_.pods().watch(0, filter, [this](const models::WatchEvent<models::Pod>& e) {
    const models::Pod& p = *e.object;
    // upstream endpointslice/utils.go podToEndpoint: Ready = IsPodReady(pod) && !terminating.
    const bool serving = e.type != models::WatchEventType::kDeleted && p.ready() &&
                         !p.metadata.being_deleted() && !p.terminal();
    on_pod(serving, models::object_key(p.metadata.namespace_, p.metadata.name));
  });
  watch_ = watched.ok() ? watched.value() : 0;
  if (sampler != nullptr) {
    const double interval_s = sim::to_seconds(sampler->interval());
    sampler->add_column(spec_.name + ".rps", [this, interval_s] {
      const auto sent = static_cast<std::uint64_t>(sent_.value());
      const double rps = static_cast<double>(sent - last_sent_sample_) / interval_s;
      last_sent_sample_ = sent;
      return rps;
    });
    sampler->add_column(spec_.name + ".endpoints",
                        [this] { return static_cast<double>(lb_.endpoints().size()); });
    sampler->add_column(spec_.name + ".in_flight", [this] { return in_flight_g_.value(); });
  }
}

ServiceTraffic::~ServiceTraffic() {
  if (watch_ != 0) api_.pods().cancel_watch(watch_);
}

void ServiceTraffic::start() {
  assert(source_ == nullptr && "ServiceTraffic::start: call once");
  source_ = std::make_unique<models::TrafficSource>(sim_, spec_.traffic,
                                                    [this](const models::Request& r) {
                                                      sent_.add();
                                                      in_flight_g_.add(1);
                                                      send(r, next_request_++);
                                                    });
  source_->start();
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

void ServiceTraffic::on_pod(bool serving, const std::string& key) {
  auto it = current_.find(key);
  if (serving && it == current_.end()) {
    const auto id = static_cast<std::uint32_t>(backends_.size());
    backends_.push_back(Backend{key, nullptr, false, false});
    current_.emplace(key, id);
    start_serving(id);
  } else if (!serving && it != current_.end()) {
    const std::uint32_t id = it->second;
    current_.erase(it);
    stop_serving(id);
  }
}

void ServiceTraffic::start_serving(std::uint32_t id) {
  Backend& b = backends_[id];
  models::InferenceServerConfig config = spec_.server;
  config.name = spec_.name + "/" + b.key + "#" + std::to_string(id);
  b.server = std::make_unique<models::InferenceServer>(
      sim_, std::move(config), [this](const models::RequestResult& r) { on_result(r); });
  // The pod's readiness delay was its cold start: it serves from the moment it is Ready.
  b.server->start_ready();
  b.serving = true;
  sim_.schedule_after(spec_.endpoint_delay, [this, id] { set_endpoint(id, true); });
}

void ServiceTraffic::stop_serving(std::uint32_t id) {
  Backend& b = backends_[id];
  b.serving = false;
  // The pod stops now (deleted, terminating or not Ready): what it holds fails or comes back
  // for one retry. Results arrive through on_result before terminate() returns.
  b.server->terminate(spec_.on_endpoint_gone == scenarios::EndpointGone::kRetry
                          ? models::DrainMode::kReturn
                          : models::DrainMode::kFail);
  sim_.schedule_after(spec_.endpoint_delay, [this, id] {
    set_endpoint(id, false);
    backends_[id].server.reset();  // not inside its own result sink: an event of ours
  });
}

void ServiceTraffic::set_endpoint(std::uint32_t id, bool endpoint) {
  backends_[id].endpoint = endpoint;
  std::vector<std::uint32_t> list;
  for (std::uint32_t i = 0; i < backends_.size(); ++i) {
    if (backends_[i].endpoint) list.push_back(i);
  }
  endpoints_g_.set(static_cast<double>(list.size()));
  lb_.set_endpoints(std::move(list));
}

void ServiceTraffic::send(const models::Request& request, std::uint64_t id) {
  std::optional<std::uint32_t> pick;
  if (spec_.load_balancing == models::LbMode::kLeastConnections) {
    // IPVS lc counts active connections: requests queued or running on the pod. A stale
    // endpoint (its pod gone) holds none.
    pick = lb_.pick([this](std::uint32_t e) -> std::int64_t {
      const models::InferenceServer* s = backends_[e].server.get();
      return s == nullptr ? 0 : s->in_flight() + s->queue_length();
    });
  } else {
    pick = lb_.pick();
  }
  if (!pick) {  // no endpoint: connection refused
    finish_failed();
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
  finish_failed();
}

void ServiceTraffic::finish_failed() {
  failed_.add();
  in_flight_g_.add(-1);
}

void ServiceTraffic::on_result(const models::RequestResult& r) {
  switch (r.outcome) {
    case models::Outcome::kSuccess:
      succeeded_.add();
      if (r.first_token >= 0) ttft_.record(r.ttft_s());
      e2e_.record(r.e2e_s());
      queueing_.record(r.queueing_s());
      break;
    case models::Outcome::kTimeout:
      timed_out_.add();
      break;
    case models::Outcome::kRejected:
      if (r.reason == models::RejectReason::kQueueFull) {
        rejected_.add();
      } else {
        failed_.add();  // pod gone (onEndpointGone: fail)
      }
      break;
    case models::Outcome::kReturned:
      endpoint_gone(r.request, r.id);
      return;  // endpoint_gone settles the request (or re-sends it)
  }
  in_flight_g_.add(-1);
}

}  // namespace kubesim::experiments
