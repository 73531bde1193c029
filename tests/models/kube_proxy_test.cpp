// KubeProxyFleet (models/kube_proxy.hpp) against upstream v1.34 pkg/proxy: each node's
// kube-proxy hears a committed EndpointSlice change after the watch delay and programs it
// at its BoundedFrequencyRunner's next allowed run (runner/bounded_frequency_runner.go:
// minInterval = minSyncPeriod between runs, maxInterval = FullSyncPeriod), so two nodes can
// hold different views while a change propagates. Expected times are hand-computed with a
// constant 50 ms watch delay and minSyncPeriod 1 s.
#include "models/kube_proxy.hpp"

#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/api_server.hpp"
#include "models/endpointslice.hpp"
#include "sim/metrics.hpp"
#include "sim/random.hpp"
#include "sim/simulation.hpp"

namespace kubesim::models {
namespace {

constexpr sim::Duration kMs = sim::kMillisecond;

Node node(const std::string& name, bool ready) {
  Node n;
  n.metadata.name = name;
  Condition c;
  c.type = std::string(kNodeReady);
  c.status = ready ? ConditionStatus::kTrue : ConditionStatus::kFalse;
  n.status.conditions.push_back(c);
  return n;
}

Endpoint endpoint(const std::string& pod, bool ready, bool serving, bool terminating) {
  Endpoint e;
  e.addresses = {"10.0.0." + std::to_string(pod.size())};
  e.conditions.ready = ready;
  e.conditions.serving = serving;
  e.conditions.terminating = terminating;
  e.target_pod = "default/" + pod;
  return e;
}

EndpointSlice slice(std::vector<Endpoint> endpoints) {
  EndpointSlice s;
  s.metadata.namespace_ = "default";
  s.metadata.name = "web-abcde";
  s.metadata.labels.set(std::string(kLabelServiceName), "web");
  s.endpoints = std::move(endpoints);
  return s;
}

struct Fixture {
  sim::Simulation sim{5};
  sim::MetricRegistry metrics{sim};
  std::unique_ptr<ApiServer> api;
  std::unique_ptr<KubeProxyFleet> fleet;
  std::uint32_t svc = 0;
  int reference_syncs = 0;
  explicit Fixture(sim::Duration full_sync = sim::kHour,
                   std::optional<sim::Distribution> sync_duration = std::nullopt) {
    ApiServerConfig config;
    config.watch_delay = sim::Distribution::constant(0.050);
    api = std::make_unique<ApiServer>(sim, metrics, config);
    (void)api->nodes().create(node("a", true));
    (void)api->nodes().create(node("b", false));
    fleet = std::make_unique<KubeProxyFleet>(sim, metrics, *api);
    KubeProxySettings k;
    k.min_sync_period = sim::kSecond;
    k.full_sync_period = full_sync;
    k.sync_duration = std::move(sync_duration);
    svc = fleet->add_service("default", "web", k, [this] { ++reference_syncs; });
  }
  std::size_t usable(std::string_view n) {
    return fleet->view(*fleet->proxy_of(n), svc).usable.size();
  }
  std::size_t reference() { return fleet->view(KubeProxyFleet::kReference, svc).usable.size(); }
  void at(sim::Time t) { sim.run_until(t); }
  void write_at(sim::Time t, EndpointSlice s, bool create) {
    sim.schedule_at(t, [this, create, p = std::make_shared<EndpointSlice>(std::move(s))] {
      if (create) {
        (void)api->endpoint_slices().create(*p);
      } else {
        (void)api->endpoint_slices().update(*p, -1);
      }
    });
  }
  void node_ready_at(sim::Time t, const std::string& name, bool ready) {
    sim.schedule_at(t, [this, n = std::make_shared<Node>(node(name, ready))] {
      (void)api->nodes().update(*n, -1);
    });
  }
};

TEST_CASE("kube-proxies apply a slice change at their own next allowed sync", "[kube_proxy]") {
  Fixture f;
  // Node a was Ready when the fleet started (its proxy has run for long); node b becomes
  // Ready at 2.5 s: its proxy syncs then, so its next sync is not before 3.5 s.
  REQUIRE(f.fleet->ready_nodes().size() == 1);
  f.node_ready_at(2500 * kMs, "b", true);
  // A slice with one ready endpoint commits at 3.0 s; every proxy hears it at 3.05 s.
  f.write_at(3000 * kMs, slice({endpoint("p1", true, true, false)}), true);
  f.at(3049 * kMs);
  CHECK(f.usable("a") == 0);
  CHECK(f.reference() == 0);
  f.at(3050 * kMs);
  CHECK(f.usable("a") == 1);  // last sync long ago: at once
  CHECK(f.reference() == 1);
  CHECK(f.reference_syncs == 1);
  // During propagation the two nodes disagree: b waits for 2.5 s + 1 s.
  CHECK(f.usable("b") == 0);
  REQUIRE(f.fleet->ready_nodes().size() == 2);
  f.at(3499 * kMs);
  CHECK(f.usable("b") == 0);
  f.at(3500 * kMs);
  CHECK(f.usable("b") == 1);
  // The endpoint turns not ready at 3.6 s, heard at 3.65 s: a synced at 3.05 → 4.05 s;
  // b synced at 3.5 → 4.5 s.
  f.write_at(3600 * kMs, slice({endpoint("p1", false, false, false)}), false);
  f.at(4049 * kMs);
  CHECK(f.usable("a") == 1);
  CHECK(f.usable("b") == 1);
  f.at(4050 * kMs);
  CHECK(f.usable("a") == 0);
  CHECK(f.reference() == 0);
  CHECK(f.usable("b") == 1);
  f.at(4500 * kMs);
  CHECK(f.usable("b") == 0);
  // Two changes within one wait go into one sync: ready again at 5.0 s (heard 5.05, a's
  // last sync 4.05 → at once), a second endpoint at 5.2 s (heard 5.25 → waits to 6.05).
  f.write_at(5000 * kMs, slice({endpoint("p1", true, true, false)}), false);
  f.write_at(5200 * kMs,
             slice({endpoint("p1", true, true, false), endpoint("p22", true, true, false)}), false);
  f.at(5050 * kMs);
  CHECK(f.usable("a") == 1);
  f.at(6049 * kMs);
  CHECK(f.usable("a") == 1);
  f.at(6050 * kMs);
  CHECK(f.usable("a") == 2);
}

TEST_CASE("kube-proxy: a FullSyncPeriod sync restarts the minSyncPeriod wait", "[kube_proxy]") {
  // maxInterval 10 s: a's sync at 3.05 s is followed by periodic syncs at 13.05, 23.05...
  // A change heard at 13.55 s must wait until 14.05 s (one periodic run at 13.05 s).
  Fixture f(10 * sim::kSecond);
  f.write_at(3000 * kMs, slice({endpoint("p1", true, true, false)}), true);
  f.at(3050 * kMs);
  REQUIRE(f.usable("a") == 1);
  f.write_at(13500 * kMs, slice({endpoint("p1", false, false, false)}), false);
  f.at(14049 * kMs);
  CHECK(f.usable("a") == 1);
  f.at(14050 * kMs);
  CHECK(f.usable("a") == 0);
}

TEST_CASE("kube-proxy: a sync takes syncDuration; the next starts when it ends", "[kube_proxy]") {
  // syncDuration 1.5 s, minSyncPeriod 1 s. A slice commits at 3.0 s, heard at 3.05 s: a's
  // sync starts then and programs the endpoint at 4.55 s. A change heard at 3.65 s may run
  // from 3.05 + 1 = 4.05 s (bfr.lastRun is the start), but the running sync ends at 4.55 s:
  // the next starts then and programs it at 6.05 s.
  Fixture f(sim::kHour, sim::Distribution::constant(1.5));
  f.write_at(3000 * kMs, slice({endpoint("p1", true, true, false)}), true);
  f.write_at(3600 * kMs, slice({endpoint("p1", false, false, false)}), false);
  f.at(4549 * kMs);
  CHECK(f.usable("a") == 0);
  CHECK(f.reference_syncs == 0);
  f.at(4550 * kMs);
  CHECK(f.usable("a") == 1);
  CHECK(f.reference_syncs == 1);
  f.at(6049 * kMs);
  CHECK(f.usable("a") == 1);
  f.at(6050 * kMs);
  CHECK(f.usable("a") == 0);
  CHECK(f.reference_syncs == 2);
}

TEST_CASE("kube-proxy uses serving terminating endpoints only when none is ready", "[kube_proxy]") {
  // upstream pkg/proxy/topology.go CategorizeEndpoints (cluster traffic policy).
  Fixture f;
  f.write_at(1000 * kMs,
             slice({endpoint("p1", false, true, true), endpoint("p22", false, false, true)}), true);
  f.at(2 * sim::kSecond);
  const ProxyEndpoints& v = f.fleet->latest(f.svc);
  REQUIRE(v.endpoints.size() == 2);
  REQUIRE(v.usable.size() == 1);
  CHECK(v.endpoints[v.usable[0]].key == "default/p1");
  // With a ready endpoint beside it, only the ready one.
  f.write_at(3000 * kMs,
             slice({endpoint("p1", false, true, true), endpoint("p333", true, true, false)}),
             false);
  f.at(4 * sim::kSecond);
  const ProxyEndpoints& w = f.fleet->latest(f.svc);
  REQUIRE(w.usable.size() == 1);
  CHECK(w.endpoints[w.usable[0]].key == "default/p333");
}

TEST_CASE("kube-proxy: NotReady nodes take no traffic; back, they relist at once", "[kube_proxy]") {
  Fixture f;
  f.node_ready_at(1000 * kMs, "b", true);
  f.at(1000 * kMs);
  REQUIRE(f.fleet->ready_nodes().size() == 2);
  f.node_ready_at(2000 * kMs, "b", false);
  f.write_at(3000 * kMs, slice({endpoint("p1", true, true, false)}), true);
  f.at(5000 * kMs);
  CHECK(f.fleet->ready_nodes() == std::vector<std::uint32_t>{*f.fleet->proxy_of("a")});
  CHECK(f.usable("b") == 0);  // heard nothing while NotReady
  f.node_ready_at(6000 * kMs, "b", true);
  f.at(6000 * kMs);
  CHECK(f.usable("b") == 1);  // its relist
  CHECK(f.fleet->ready_nodes().size() == 2);
}

TEST_CASE("kube-proxy programs slices stored before it follows the Service (manifests)",
          "[kube_proxy]") {
  // A user's EndpointSlice (a manifest, applied before the traffic starts): the fleet lists
  // it when the Service is added and every proxy programs it after its watch delay.
  sim::Simulation sim{9};
  sim::MetricRegistry metrics{sim};
  ApiServerConfig config;
  config.watch_delay = sim::Distribution::constant(0.050);
  ApiServer api(sim, metrics, config);
  (void)api.nodes().create(node("a", true));
  EndpointSlice user =
      slice({endpoint("p1", true, true, false), endpoint("p22", true, true, false)});
  user.metadata.name = "web-external";
  (void)api.endpoint_slices().create(user);
  KubeProxyFleet fleet(sim, metrics, api);
  const std::uint32_t svc = fleet.add_service("default", "web", KubeProxySettings{}, {});
  CHECK(fleet.latest(svc).usable.size() == 2);
  CHECK(fleet.view(*fleet.proxy_of("a"), svc).usable.empty());
  sim.run_until(50 * kMs);
  CHECK(fleet.view(*fleet.proxy_of("a"), svc).usable.size() == 2);
  CHECK(fleet.view(KubeProxyFleet::kReference, svc).usable.size() == 2);
  // A slice of another Service is not merged.
  EndpointSlice other = slice({endpoint("p333", true, true, false)});
  other.metadata.name = "api-xyz";
  other.metadata.labels.set(std::string(kLabelServiceName), "api");
  (void)api.endpoint_slices().create(other);
  sim.run_until(200 * kMs);
  CHECK(fleet.view(*fleet.proxy_of("a"), svc).usable.size() == 2);
}

}  // namespace
}  // namespace kubesim::models
