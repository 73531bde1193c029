#include "experiments/ingress_traffic.hpp"

#include <cassert>

#include "models/api_server.hpp"
#include "scenarios/manifests.hpp"

namespace kubesim::experiments {
namespace {

// The Service's selector from the manifests; empty (selects no pod) when it is missing.
models::Labels selector_of(const scenarios::Manifests& m, const std::string& ns,
                           const std::string& name) {
  models::Labels selector;
  for (const auto& svc : m.services) {
    if (svc.metadata.namespace_ == ns && svc.metadata.name == name) selector = svc.spec.selector;
  }
  return selector;
}

// ingress-nginx: the backend's port names one of the Service's ports, by number
// (servicePort.Port) or by name. A Service not in the manifests has no ports to match: its
// pool has no endpoints anyway.
bool backend_port_matches(const scenarios::Manifests& m, const std::string& ns,
                          const models::IngressServiceBackend& b) {
  for (const auto& svc : m.services) {
    if (svc.metadata.namespace_ != ns || svc.metadata.name != b.name) continue;
    if (b.port_number == 0 && b.port_name.empty()) return true;
    for (const auto& p : svc.spec.ports) {
      if (b.port_number != 0 ? p.port == b.port_number : p.name == b.port_name) return true;
    }
    return false;
  }
  return true;
}

}  // namespace

IngressTraffic::IngressTraffic(sim::Simulation& sim, sim::MetricRegistry& metrics,
                               models::ApiServer& api, models::KubeProxyFleet& proxies,
                               sim::Sampler* sampler,
                               scenarios::TrafficWorkloadSpec spec,
                               const scenarios::Manifests& manifests,
                               std::vector<std::unique_ptr<ServiceTraffic>>& pools)
    : sim_(sim),
      spec_(std::move(spec)),
      route_rng_(sim.rng("ingress/" + spec_.name + "/routes")),
      sent_(metrics.counter(spec_.name + ".requests_sent")),
      succeeded_(metrics.counter(spec_.name + ".requests_succeeded")),
      timed_out_(metrics.counter(spec_.name + ".requests_timed_out")),
      rejected_(metrics.counter(spec_.name + ".requests_rejected")),
      failed_(metrics.counter(spec_.name + ".requests_failed")),
      not_found_(metrics.counter(spec_.name + ".requests_not_found")),
      default_backend_(metrics.counter(spec_.name + ".requests_default_backend")),
      no_service_port_(metrics.counter(spec_.name + ".requests_no_service_port")),
      e2e_(metrics.histogram(spec_.name + ".e2e_s")),
      ttft_(metrics.histogram(spec_.name + ".ttft_s")),
      in_flight_g_(metrics.gauge(spec_.name + ".in_flight")) {
  assert(spec_.via_ingress() && !spec_.routes.empty());
  for (const auto& i : manifests.ingresses) {
    if (i.metadata.namespace_ == spec_.ingress_namespace && i.metadata.name == spec_.ingress_name) {
      ingress_ = i;  // the last version applied
    }
  }
  // A pool: the workload's settings (load balancing, endpointDelay, kube-proxy, endpoint
  // gone) for another Service, fed by this object.
  auto pool_spec = [this](const std::string& name, const std::string& ns, const std::string& svc) {
    scenarios::TrafficWorkloadSpec p = spec_;
    p.name = name;
    p.service_namespace = ns;
    p.service_name = svc;
    p.ingress_namespace.clear();
    p.ingress_name.clear();
    p.routes.clear();
    return p;
  };
  const scenarios::IngressControllerSpec& c = spec_.ingress_controller;
  {
    scenarios::TrafficWorkloadSpec p =
        pool_spec(spec_.name + ".controller", c.service_namespace, c.service_name);
    p.server = c.server(p.name);
    p.usage = scenarios::PodUsageSpec{};
    p.slo = scenarios::SloSpec{};
    p.activator.reset();  // the activator fronts the (Knative) backends, not the controller
    pools.push_back(std::make_unique<ServiceTraffic>(
        sim, metrics, api, proxies, sampler, std::move(p),
        selector_of(manifests, c.service_namespace, c.service_name)));
    controller_ = pools.back().get();
    controller_->feed_externally(
        [this](std::uint64_t id, ServiceTraffic::Ended how, const models::RequestResult* r) {
          on_controller_end(id, how, r);
        });
  }
  // The backend Services (in the Ingress's namespace), each once, in order of mention.
  std::vector<std::string> names;
  auto pool_of = [&](const models::IngressServiceBackend& b) -> ServiceTraffic* {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == b.name) return backends_[i];
    }
    const std::string& ns = ingress_.metadata.namespace_;
    const std::string name = spec_.name + (b.name == "controller" ? ".backend." : ".") + b.name;
    pools.push_back(std::make_unique<ServiceTraffic>(sim, metrics, api, proxies, sampler,
                                                     pool_spec(name, ns, b.name),
                                                     selector_of(manifests, ns, b.name)));
    ServiceTraffic* pool = pools.back().get();
    pool->feed_externally([this](std::uint64_t, ServiceTraffic::Ended how,
                                 const models::RequestResult* r) { on_backend_end(how, r); });
    names.push_back(b.name);
    backends_.push_back(pool);
    return pool;
  };
  for (const auto& rule : ingress_.spec.rules) {
    for (const auto& p : rule.paths) pool_of(p.backend);
  }
  if (ingress_.spec.default_backend) pool_of(*ingress_.spec.default_backend);
  // Each route's host and path are fixed: route them once.
  double total = 0;
  for (const auto& r : spec_.routes) {
    const models::IngressRoute ir = models::route(ingress_, r.host, r.path);
    Route route;
    route.kind = ir.kind;
    if (ir.backend != nullptr) {
      route.backend = pool_of(*ir.backend);
      route.port_matched =
          backend_port_matches(manifests, ingress_.metadata.namespace_, *ir.backend);
    }
    routes_.push_back(route);
    total += r.weight;
    cumulative_weight_.push_back(total);
  }
  if (sampler != nullptr) {
    const double interval_s = sim::to_seconds(sampler->interval());
    sampler->add_column(spec_.name + ".rps", [this, interval_s] {
      const auto sent = static_cast<std::uint64_t>(sent_.value());
      const double rps = static_cast<double>(sent - last_sent_sample_) / interval_s;
      last_sent_sample_ = sent;
      return rps;
    });
    sampler->add_column(spec_.name + ".in_flight", [this] { return in_flight_g_.value(); });
  }
}

void IngressTraffic::start() {
  assert(source_ == nullptr && "IngressTraffic::start: call once");
  source_ = std::make_unique<models::TrafficSource>(
      sim_, spec_.traffic, [this](const models::Request& r) { on_arrival(r); });
  source_->start();
}

IngressTraffic::Counts IngressTraffic::counts() const {
  Counts c;
  c.sent = static_cast<std::uint64_t>(sent_.value());
  c.succeeded = static_cast<std::uint64_t>(succeeded_.value());
  c.timed_out = static_cast<std::uint64_t>(timed_out_.value());
  c.rejected = static_cast<std::uint64_t>(rejected_.value());
  c.failed = static_cast<std::uint64_t>(failed_.value());
  c.not_found = static_cast<std::uint64_t>(not_found_.value());
  c.default_backend = static_cast<std::uint64_t>(default_backend_.value());
  c.no_service_port = static_cast<std::uint64_t>(no_service_port_.value());
  c.in_flight = static_cast<std::int64_t>(in_flight_g_.value());
  return c;
}

const ServiceTraffic* IngressTraffic::backend(const std::string& service_key) const {
  for (const ServiceTraffic* b : backends_) {
    if (b->service_key() == service_key) return b;
  }
  return nullptr;
}

// A request id carries its route: id = sequence × routes + route index.
void IngressTraffic::on_arrival(const models::Request& request) {
  std::size_t route = 0;
  if (routes_.size() > 1) {
    const double u = route_rng_.uniform01() * cumulative_weight_.back();
    while (route + 1 < routes_.size() && u >= cumulative_weight_[route]) ++route;
  }
  sent_.add();
  in_flight_g_.add(1);
  const std::uint64_t id = next_request_++ * routes_.size() + route;
  controller_->submit(request, id);
}

void IngressTraffic::on_controller_end(std::uint64_t id, ServiceTraffic::Ended how,
                                       const models::RequestResult* result) {
  if (how != ServiceTraffic::Ended::kSucceeded) {  // 503, timeout, no controller endpoint
    end(how);
    return;
  }
  const Route& route = routes_[id % routes_.size()];
  if (route.backend == nullptr) {  // the controller's default backend: 404
    not_found_.add();
    end(ServiceTraffic::Ended::kFailed);
    return;
  }
  if (route.kind == models::IngressRoute::Kind::kDefaultBackend) default_backend_.add();
  if (!route.port_matched) {  // no upstream endpoints for that port: the controller's 503
    no_service_port_.add();
    end(ServiceTraffic::Ended::kFailed);
    return;
  }
  // The backend sees the request as created (request.at), so its latencies are end to end.
  // A backend pool has servers of its own (also when it selects the controller's pods), so
  // this never re-enters the server whose result is being delivered.
  // It enters the backend Service at the controller pod's node (that kube-proxy's view).
  route.backend->submit_from(result->request, id, controller_->ended_on_proxy());
}

void IngressTraffic::on_backend_end(ServiceTraffic::Ended how,
                                    const models::RequestResult* result) {
  if (how == ServiceTraffic::Ended::kSucceeded && result != nullptr) {
    e2e_.record(result->e2e_s());
    if (result->first_token >= 0) ttft_.record(result->ttft_s());
  }
  end(how);
}

void IngressTraffic::end(ServiceTraffic::Ended how) {
  switch (how) {
    case ServiceTraffic::Ended::kSucceeded:
      succeeded_.add();
      break;
    case ServiceTraffic::Ended::kTimedOut:
      timed_out_.add();
      break;
    case ServiceTraffic::Ended::kRejected:
      rejected_.add();
      break;
    case ServiceTraffic::Ended::kFailed:
      failed_.add();
      break;
  }
  in_flight_g_.add(-1);
}

}  // namespace kubesim::experiments
