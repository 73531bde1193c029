// The Knative activator's buffer in front of a Service (experiments/service_traffic.hpp,
// spec.activator): requests wait while the Service has no endpoint, within the breaker's
// queue depth (knative.dev/serving pkg/activator/net/throttler.go breakerQueueDepth) and a
// timeout (config-defaults revision-timeout-seconds), and are released to the first pods as
// they become endpoints. Expected values are hand timelines under deterministic arrivals.
//
// Then the activator Knative puts in the path by itself (experiments/knative_sks.hpp): with a
// PodAutoscaler on the Service's workload and no `activator:`, the KPA's SKS mode decides
// (knative.dev/serving v1.15 pkg/reconciler/autoscaling/kpa/kpa.go: Proxy when want == 0 or
// the excess burst capacity is negative; pkg/autoscaler/scaling/autoscaler.go:
// EBC = floor(ready × TotalValue − target-burst-capacity − panic concurrency)).
#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "experiments/kpa_controller.hpp"
#include "experiments/scenario_run.hpp"
#include "experiments/service_traffic.hpp"
#include "models/cluster.hpp"
#include "scenarios/scenario.hpp"
#include "tests/support/scenario_loading.hpp"
#include "tests/support/web_manifests.hpp"

namespace kubesim::experiments {
namespace {

std::string scenario(const std::string& duration, const std::string& workload, int replicas,
                     const std::string& extra) {
  return testing::web_traffic_scenario_yaml("activator-test", duration, 2, "", workload, replicas,
                                            extra);
}

std::int64_t counter(const ScenarioRun& run, const std::string& name) {
  const sim::Counter* c = run.metrics().find_counter(name);
  REQUIRE(c != nullptr);
  return c->value();
}

TEST_CASE("the activator buffer holds queueDepth requests, each for at most its timeout",
          "[traffic][activator]") {
  // No pod ever. Constant arrivals at 11 s, 12 s, ..., 29 s (19). Depth 3, timeout 10.5 s:
  // 11, 12, 13 are held; 14..21 find the buffer full → rejected (8); 11 expires at 21.5 s,
  // so 22 is held; 12 expires at 22.5 s, 23 is held; 13 at 23.5 s, 24 is held. 22, 23, 24
  // stay until 32.5 s..34.5 s, so 25..29 are rejected (5). Held 6, all timed out; rejected
  // 8 + 5 = 13; nothing fails.
  const std::string w = R"(    traffic: {kind: constant, rate: 1, start: 10s, end: 30s}
    server: {model: cpu, concurrency: 1, serviceTime: 1s}
    activator: {queueDepth: 3, timeout: 10500ms}
)";
  ScenarioRun run(testing::load_scenario_ok(scenario("60s", w, 0, "")));
  run.run();
  CHECK(counter(run, "web.requests_sent") == 19);
  CHECK(counter(run, "web.requests_rejected") == 13);
  CHECK(counter(run, "web.requests_timed_out") == 6);
  CHECK(counter(run, "web.requests_failed") == 0);
  CHECK(counter(run, "web.requests_succeeded") == 0);
  CHECK(counter(run, "web.activator_requests_buffered") == 6);
  CHECK(run.metrics().find_gauge("web.in_flight")->value() == 0);
  CHECK(run.metrics().find_gauge("web.activator_buffered")->value() == 0);
}

TEST_CASE("buffered requests are released as pods become endpoints, within containerConcurrency",
          "[traffic][activator]") {
  // Deployment at 0; at 20 s it is scaled to 1. Arrivals every 100 ms from 10 s to 15 s:
  // 49 requests, all buffered (no endpoint). The pod's Ready status commits at T (its
  // kubelet's condition time plus the status write's API latency), and the pod is an
  // endpoint at E = T + the EndpointSlice/kube-proxy propagation (kube-proxy has not synced
  // for over minSyncPeriod: at once). With containerConcurrency 1 it takes one request at a time:
  // request k (0-based, in arrival order) starts at E + k·0.5 s and ends 0.5 s later.
  const std::string w = R"(    traffic: {kind: constant, rate: 10, start: 10s, end: 15s}
    server: {model: cpu, concurrency: 4, serviceTime: 500ms}
    activator: {containerConcurrency: 1}
)";
  ScenarioRun run(testing::load_scenario_ok(scenario("90s", w, 0, "")));
  run.simulation().schedule_at(20 * sim::kSecond, [&run] {
    // kubectl scale: a new version of the Deployment with replicas 1.
    models::Deployment d = *run.cluster()->api().deployments().get("default", "web");
    d.spec.replicas = 1;
    run.cluster()->update_deployment_at(run.simulation().now(), d);
  });
  run.run();
  CHECK(counter(run, "web.requests_sent") == 49);
  CHECK(counter(run, "web.requests_succeeded") == 49);
  CHECK(counter(run, "web.activator_requests_buffered") == 49);
  sim::Time ready = -1;
  std::string key;
  for (const auto& p : run.cluster()->api().pods().list()) {
    if (p->ready()) {
      ready = models::find_condition(p->status.conditions, models::kPodReady)->last_transition_time;
      key = models::object_key(p->metadata.namespace_, p->metadata.name);
    }
  }
  REQUIRE(ready > 20 * sim::kSecond);
  const ServiceTraffic* t = run.traffic().front();
  const sim::Time routed = t->first_routed(key);
  // E − Ready condition time = the endpoint propagation (status write, EndpointSlice
  // controller, kube-proxy watch and sync; endpointDelay 0): under a second.
  CHECK(routed > ready);
  CHECK(routed - ready < sim::kSecond);
  // The last request (k = 48, created at 14.9 s) ends at E + 49·0.5 s.
  const sim::Histogram* e2e = run.metrics().find_histogram("web.e2e_s");
  REQUIRE(e2e != nullptr);
  const double e = sim::to_seconds(routed);
  CHECK(e2e->max() == Approx(e + 49 * 0.5 - 14.9).epsilon(1e-9));
  // The first (created at 10.1 s) ends at E + 0.5 s.
  CHECK(e2e->min() == Approx(e + 0.5 - 10.1).epsilon(1e-9));
}

TEST_CASE("KPA scale from zero: a buffered request succeeds right after the first pod is Ready",
          "[traffic][activator][kpa]") {
  // One pod at first and no traffic: the KPA scales the revision to zero (stable window
  // and grace period, well before 150 s). A single request at 150 s: no endpoint, so the
  // activator holds it; its stat pokes the decider (0 → 1). The pod's Ready status commits
  // at T, the pod is an endpoint at E (T + the endpoint propagation), and the request is released
  // to it at once and served in 1 s: e2e = (E − 150 s) + 1 s — the cold start (through
  // the endpoint) plus the service time.
  const std::string w = R"(    traffic:
      kind: traceRequests
      records: [{at: 150s}]
    server: {model: cpu, concurrency: 10, serviceTime: 1s}
    activator: {}
)";
  const std::string pa = R"(---
apiVersion: autoscaling.internal.knative.dev/v1alpha1
kind: PodAutoscaler
metadata:
  name: web
  annotations:
    autoscaling.knative.dev/class: kpa.autoscaling.knative.dev
    autoscaling.knative.dev/target: "10"
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
)";
  ScenarioRun run(testing::load_scenario_ok(scenario("175s", w, 1, pa)));
  auto ready_before = std::make_shared<int>(-1);
  run.simulation().schedule_at(149 * sim::kSecond, [&run, ready_before] {
    int n = 0;
    for (const auto& p : run.cluster()->api().pods().list()) n += p->ready() ? 1 : 0;
    *ready_before = n;
  });
  run.run();
  CHECK(*ready_before == 0);
  CHECK(counter(run, "web.requests_sent") == 1);
  CHECK(counter(run, "web.requests_succeeded") == 1);
  CHECK(counter(run, "web.activator_requests_buffered") == 1);
  sim::Time ready = -1;
  std::string key;
  for (const auto& p : run.cluster()->api().pods().list()) {
    if (p->ready()) {
      ready = models::find_condition(p->status.conditions, models::kPodReady)->last_transition_time;
      key = models::object_key(p->metadata.namespace_, p->metadata.name);
    }
  }
  REQUIRE(ready > 150 * sim::kSecond);
  const sim::Time routed = run.traffic().front()->first_routed(key);
  CHECK(routed > ready);
  CHECK(routed - ready < sim::kSecond);
  const sim::Histogram* e2e = run.metrics().find_histogram("web.e2e_s");
  REQUIRE(e2e != nullptr);
  REQUIRE(e2e->count() == 1);
  CHECK(e2e->max() == Approx(sim::to_seconds(routed) - 150 + 1).epsilon(1e-9));
  // The cold start: the KPA's poke at the 151 s scrape, then create, schedule, image, start
  // and readiness (2 s): a few seconds.
  CHECK(sim::to_seconds(ready) - 150 < 10);
}

// ---- the activator in the path as Knative decides (no `activator:`) ------------------------

std::string knative_pa(const std::string& annotations, const std::string& spec_extra = "") {
  return R"(---
apiVersion: autoscaling.internal.knative.dev/v1alpha1
kind: PodAutoscaler
metadata:
  name: web
  annotations:
    autoscaling.knative.dev/class: kpa.autoscaling.knative.dev
)" + annotations +
         R"(spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
)" + spec_extra;
}

std::uint64_t proxied(const ScenarioRun& run) { return run.traffic().front()->requests_proxied(); }
std::uint64_t direct(const ScenarioRun& run) { return run.traffic().front()->requests_direct(); }

// sent == succeeded + timed_out + rejected + failed + in_flight, and every send went
// through the activator or straight to the pods.
void check_conservation(const ScenarioRun& run) {
  const ServiceTraffic::Counts c = run.traffic().front()->counts();
  CHECK(c.sent == c.succeeded + c.timed_out + c.rejected + c.failed +
                      static_cast<std::uint64_t>(c.in_flight));
  CHECK(proxied(run) + direct(run) == c.sent + c.retried);
}

TEST_CASE("KPA puts the activator in the path at zero; it leaves when excess burst capacity >= 0",
          "[traffic][activator][kpa]") {
  // target 10 (TotalValue 10, per-pod target 7), target-burst-capacity 5. One pod at first.
  //   start: initial EBC = initial scale 1 x 10 - 5 = 5 >= 0: Serve.
  //   No traffic: desired 0; Active for the 60 s stable window: Inactive, SKS Proxy (want 0);
  //   30 s later replicas 0.
  //   150 s: a request: Proxy (and no endpoint): the activator holds it; its stat pokes the
  //   decider: 0 -> 1, EBC = floor(0 x 10 - 5 - panic) < 0: still Proxy. The pod is Ready at
  //   T; the activator releases the request once the pod is an endpoint.
  //   The first tick with the pod Ready: EBC = floor(1 x 10 - 5 - panic) with the panic
  //   average <= 1 (one request in the 6 s window) -> >= 4: Serve.
  //   170 s: a request goes straight to the pod.
  const std::string w = R"(    traffic:
      kind: traceRequests
      records: [{at: 150s}, {at: 170s}]
    server: {model: cpu, concurrency: 10, serviceTime: 1s}
)";
  const std::string pa = knative_pa(
      "    autoscaling.knative.dev/target: \"10\"\n"
      "    autoscaling.knative.dev/target-burst-capacity: \"5\"\n");
  ScenarioRun run(testing::load_scenario_ok(scenario("190s", w, 1, pa)));
  struct Seen {
    bool in_path = false;
    int mode = -1;  // 1 Proxy, 0 Serve
    double gauge = -1;
  };
  auto seen = std::make_shared<std::map<int, Seen>>();
  for (int at : {30, 140, 149, 165, 185}) {
    run.simulation().schedule_at(sim::seconds(at), [&run, seen, at] {
      Seen x;
      x.in_path = run.traffic().front()->activator_in_path();
      const KnativeSks* sks = run.kpa_controller()->sks("default/web");
      if (sks != nullptr) x.mode = sks->mode() == SksMode::kProxy ? 1 : 0;
      x.gauge = run.metrics().find_gauge("kpa.default.web.activator_in_path")->value();
      (*seen)[at] = x;
    });
  }
  run.run();
  const KnativeSks* sks = run.kpa_controller()->sks("default/web");
  REQUIRE(sks != nullptr);
  CHECK_FALSE(sks->explicit_activator());
  CHECK(sks->activator_modelled());
  CHECK((*seen)[30].mode == 0);  // EBC 5 with the pod Ready: Serve
  CHECK_FALSE((*seen)[30].in_path);
  CHECK((*seen)[140].mode == 1);  // at zero
  CHECK((*seen)[140].in_path);
  CHECK((*seen)[149].gauge == 1);
  CHECK((*seen)[165].mode == 0);  // EBC >= 0 again with the pod Ready
  CHECK((*seen)[165].gauge == 0);
  CHECK_FALSE((*seen)[165].in_path);
  CHECK((*seen)[185].mode == 0);
  // Serve (initial EBC 5) -> Proxy (tick 2: no ready pod, EBC floor(0 - 5 - 0) = -5) ->
  // Serve (the pod Ready: EBC 5) -> Proxy (Inactive) -> Serve (Ready again).
  CHECK(sks->mode_changes() == 4);
  // The first request went through the activator, the second straight to the pod.
  CHECK(proxied(run) == 1);
  CHECK(direct(run) == 1);
  CHECK(counter(run, "web.requests_proxied") == 1);
  CHECK(counter(run, "web.requests_direct") == 1);
  CHECK(counter(run, "web.requests_sent") == 2);
  CHECK(counter(run, "web.requests_succeeded") == 2);  // scale from zero, automatically
  CHECK(counter(run, "web.requests_failed") == 0);
  const policies::KpaDecision* d = run.kpa_controller()->last_decision("default/web");
  REQUIRE(d != nullptr);
  CHECK(d->excess_burst_capacity >= 0);
  CHECK_FALSE(d->activator_in_path);
  check_conservation(run);
}

TEST_CASE("excess burst capacity with the defaults: ready x 100 - 211 - panic",
          "[traffic][activator][kpa]") {
  // No target annotation: TotalValue = container-concurrency-target-default 100,
  // target-burst-capacity 211. No traffic (panic 0), min-scale keeps the pods:
  //   3 pods: EBC = floor(300 - 211 - 0) = 89 >= 0: Serve (direct);
  //   2 pods: EBC = floor(200 - 211 - 0) = -11 < 0: Proxy (activator in the path).
  auto run_with = [](int pods) {
    const std::string w = R"(    traffic: {kind: constant, rate: 1, start: 40s, end: 45s}
    server: {model: cpu, concurrency: 10, serviceTime: 100ms}
)";
    const std::string pa =
        knative_pa("    autoscaling.knative.dev/min-scale: \"" + std::to_string(pods) +
                   "\"\n    autoscaling.knative.dev/"
                   "initial-scale: \"" +
                   std::to_string(pods) + "\"\n");
    auto run =
        std::make_unique<ScenarioRun>(testing::load_scenario_ok(scenario("60s", w, pods, pa)));
    run->run();
    return run;
  };
  auto three = run_with(3);
  const policies::KpaDecision* d3 = three->kpa_controller()->last_decision("default/web");
  REQUIRE(d3 != nullptr);
  CHECK(d3->decider.observed_panic == 0);
  CHECK(d3->excess_burst_capacity == 89);
  CHECK_FALSE(d3->activator_in_path);
  CHECK(direct(*three) == 4);  // arrivals at 41, 42, 43 and 44 s
  CHECK(proxied(*three) == 0);
  check_conservation(*three);

  auto two = run_with(2);
  const policies::KpaDecision* d2 = two->kpa_controller()->last_decision("default/web");
  REQUIRE(d2 != nullptr);
  CHECK(d2->decider.observed_panic == 0);
  CHECK(d2->excess_burst_capacity == -11);
  CHECK(d2->activator_in_path);
  CHECK(proxied(*two) == 4);
  CHECK(direct(*two) == 0);
  CHECK(counter(*two, "web.requests_succeeded") == 4);
  check_conservation(*two);
}

TEST_CASE("target-burst-capacity -1 keeps the activator in the path; its throttler",
          "[traffic][activator][kpa]") {
  // One pod (min = max = initial scale 1), whose server could run 4 requests at once. Three
  // requests at 50 s, 1 s each.
  auto e2e_of = [](const std::string& tbc, int cc) {
    const std::string w = R"(    traffic:
      kind: traceRequests
      records: [{at: 50s}, {at: 50s}, {at: 50s}]
    server: {model: cpu, concurrency: 4, serviceTime: 1s}
)";
    const std::string pa =
        knative_pa("    autoscaling.knative.dev/target-burst-capacity: \"" + tbc +
                       "\"\n    autoscaling.knative.dev/min-scale: \"1\"\n"
                       "    autoscaling.knative.dev/max-scale: \"1\"\n",
                   "  containerConcurrency: " + std::to_string(cc) + "\n");
    auto run = std::make_unique<ScenarioRun>(testing::load_scenario_ok(scenario("70s", w, 1, pa)));
    run->run();
    return run;
  };
  SECTION("TBC -1, containerConcurrency 1: proxied, one request per pod at a time") {
    // throttler.go: a pod's breaker admits c = 1 request: they run 50-51, 51-52, 52-53 s:
    // e2e 1, 2 and 3 s.
    auto run = e2e_of("-1", 1);
    CHECK(proxied(*run) == 3);
    CHECK(direct(*run) == 0);
    const sim::Histogram* e2e = run->metrics().find_histogram("web.e2e_s");
    REQUIRE(e2e != nullptr);
    REQUIRE(e2e->count() == 3);
    CHECK(e2e->min() == Approx(1.0).epsilon(1e-9));
    CHECK(e2e->max() == Approx(3.0).epsilon(1e-9));
    CHECK(run->kpa_controller()->last_decision("default/web")->excess_burst_capacity == -1);
    check_conservation(*run);
  }
  SECTION("TBC -1, containerConcurrency 0: proxied, the infinite breaker passes all at once") {
    auto run = e2e_of("-1", 0);
    CHECK(proxied(*run) == 3);
    const sim::Histogram* e2e = run->metrics().find_histogram("web.e2e_s");
    REQUIRE(e2e->count() == 3);
    CHECK(e2e->max() == Approx(1.0).epsilon(1e-9));
    check_conservation(*run);
  }
  SECTION("TBC 0: the activator only at zero; with a pod the requests go direct") {
    // EBC = 0 (kpa.go: not negative) and want 1: Serve.
    auto run = e2e_of("0", 1);
    CHECK(proxied(*run) == 0);
    CHECK(direct(*run) == 3);
    const sim::Histogram* e2e = run->metrics().find_histogram("web.e2e_s");
    REQUIRE(e2e->count() == 3);
    CHECK(e2e->max() == Approx(1.0).epsilon(1e-9));  // the pod runs all three at once
    CHECK(run->kpa_controller()->sks("default/web")->mode() == SksMode::kServe);
    check_conservation(*run);
  }
}

TEST_CASE("an explicit activator: block wins for the parameters; the KPA still decides the path",
          "[traffic][activator][kpa]") {
  // activator: {containerConcurrency: 1} with TBC -1 on a PA whose spec has none: the
  // workload's 1 is used (e2e 1, 2, 3 s as above).
  const std::string w = R"(    traffic:
      kind: traceRequests
      records: [{at: 50s}, {at: 50s}, {at: 50s}]
    server: {model: cpu, concurrency: 4, serviceTime: 1s}
    activator: {containerConcurrency: 1}
)";
  const std::string pa = knative_pa(
      "    autoscaling.knative.dev/target-burst-capacity: \"-1\"\n"
      "    autoscaling.knative.dev/min-scale: \"1\"\n");
  ScenarioRun run(testing::load_scenario_ok(scenario("70s", w, 1, pa)));
  run.run();
  REQUIRE(run.kpa_controller()->sks("default/web") != nullptr);
  CHECK(run.kpa_controller()->sks("default/web")->explicit_activator());
  CHECK(proxied(run) == 3);
  const sim::Histogram* e2e = run.metrics().find_histogram("web.e2e_s");
  REQUIRE(e2e->count() == 3);
  CHECK(e2e->max() == Approx(3.0).epsilon(1e-9));
  check_conservation(run);
}

TEST_CASE("the KPA's rps stat with the activator: requests sent in the second, counted once",
          "[traffic][activator][kpa]") {
  // metric rps, target 10 (per-pod 7 rps). 5 req/s (arrivals at k/5 s) from 5 s to 30 s and
  // from 150 s. collector.go: RequestCount - ProxiedRequestCount of the pods plus the
  // activator's count = the requests sent to the Service in the second, whichever way they
  // went: 5 each second with a pod serving, 5 at zero (held by the activator), and 5 again
  // once the held requests are released to the new pod (not 5 + the released ones).
  const std::string w =
      R"(    traffic: {kind: steps, deterministic: true, steps: [{at: 0s, rate: 0}, {at: 5s, rate: 5}, {at: 30s, rate: 0}, {at: 150s, rate: 5}]}
    server: {model: cpu, concurrency: 100, serviceTime: 1s}
)";
  const std::string pa = knative_pa(
      "    autoscaling.knative.dev/metric: rps\n"
      "    autoscaling.knative.dev/target: \"10\"\n");
  ScenarioRun run(testing::load_scenario_ok(scenario("175s", w, 1, pa)));
  auto recorded = std::make_shared<std::map<int, double>>();
  std::vector<int> seconds{20};
  for (int t = 151; t <= 170; ++t) seconds.push_back(t);
  for (int at : seconds) {
    run.simulation().schedule_at(sim::seconds(at) + sim::milliseconds(500), [&run, recorded, at] {
      (*recorded)[at] = run.kpa_controller()->last_recorded("default/web");
    });
  }
  run.run();
  CHECK((*recorded)[20] == 5);
  // 150.2, 150.4, 150.6 and 150.8 s, all held by the activator (the arrival at exactly 151 s
  // runs after that second's scrape, which was scheduled first): 4; pokes 0 -> 1.
  CHECK((*recorded)[151] == 4);
  CHECK((*recorded)[152] == 5);
  CHECK((*recorded)[160] == 5);
  CHECK((*recorded)[170] == 5);
  // Every second from 152 s, through the release of the held requests to the new pod: 5.
  for (int t = 152; t <= 170; ++t) {
    INFO("t = " << t);
    CHECK((*recorded)[t] == 5);
  }
  CHECK(counter(run, "web.requests_failed") == 0);
  check_conservation(run);
}

// activator.hopLatency: the extra hop through the activator (ActivatorSpec::hop_latency),
// added between the activator and the pod to every request it proxies.
TEST_CASE("activator hopLatency: a proxied request's e2e grows by the hop, a direct one's not",
          "[traffic][activator][kpa]") {
  // One pod from the start (min-scale 1), requests at 50 s and 60 s, served in exactly 1 s on
  // an idle pod.
  auto run_with = [](const std::string& activator, const std::string& tbc) {
    const std::string w = R"(    traffic:
      kind: traceRequests
      records: [{at: 50s}, {at: 60s}]
    server: {model: cpu, concurrency: 4, serviceTime: 1s}
    activator: )" + activator +
                          "\n";
    const std::string pa = knative_pa("    autoscaling.knative.dev/target-burst-capacity: \"" +
                                      tbc + "\"\n    autoscaling.knative.dev/min-scale: \"1\"\n");
    auto run = std::make_unique<ScenarioRun>(testing::load_scenario_ok(scenario("70s", w, 1, pa)));
    run->run();
    return run;
  };
  SECTION("proxied (target-burst-capacity -1: always Proxy): e2e = 1 s + 20 ms") {
    // Without the hop the same requests take exactly 1 s (the reference run).
    auto ref = run_with("{}", "-1");
    auto hop = run_with("{hopLatency: 20ms}", "-1");
    CHECK(proxied(*ref) == 2);
    CHECK(proxied(*hop) == 2);
    const sim::Histogram* e_ref = ref->metrics().find_histogram("web.e2e_s");
    const sim::Histogram* e_hop = hop->metrics().find_histogram("web.e2e_s");
    REQUIRE(e_ref->count() == 2);
    REQUIRE(e_hop->count() == 2);
    CHECK(e_ref->min() == Approx(1.0).epsilon(1e-9));
    CHECK(e_ref->max() == Approx(1.0).epsilon(1e-9));
    CHECK(e_hop->min() == Approx(1.02).epsilon(1e-9));
    CHECK(e_hop->max() == Approx(1.02).epsilon(1e-9));
    check_conservation(*hop);
  }
  SECTION("direct (target-burst-capacity 0: Serve while a pod is ready): no hop") {
    auto run = run_with("{hopLatency: 20ms}", "0");
    CHECK(proxied(*run) == 0);
    CHECK(direct(*run) == 2);
    const sim::Histogram* e2e = run->metrics().find_histogram("web.e2e_s");
    REQUIRE(e2e->count() == 2);
    CHECK(e2e->min() == Approx(1.0).epsilon(1e-9));
    CHECK(e2e->max() == Approx(1.0).epsilon(1e-9));
  }
}

TEST_CASE("activator hopLatency holds a containerConcurrency slot while on the hop",
          "[traffic][activator][kpa]") {
  // Three requests at 50 s, containerConcurrency 1, hop 20 ms, service 1 s, always Proxy:
  // the first reaches the pod at 50.02 s and ends at 51.02 s; only then is the second
  // released (the one on its hop counted against the pod's single slot), reaching the pod
  // at 51.04 s and ending at 52.04 s; the third ends at 53.06 s: e2e 1.02, 2.04, 3.06 s.
  // (Were the hop not counted, all three would reach the 4-slot pod at 50.02 s: 1.02 s each.)
  const std::string w = R"(    traffic:
      kind: traceRequests
      records: [{at: 50s}, {at: 50s}, {at: 50s}]
    server: {model: cpu, concurrency: 4, serviceTime: 1s}
    activator: {containerConcurrency: 1, hopLatency: 20ms}
)";
  const std::string pa = knative_pa(
      "    autoscaling.knative.dev/target-burst-capacity: \"-1\"\n"
      "    autoscaling.knative.dev/min-scale: \"1\"\n");
  ScenarioRun run(testing::load_scenario_ok(scenario("70s", w, 1, pa)));
  run.run();
  const sim::Histogram* e2e = run.metrics().find_histogram("web.e2e_s");
  REQUIRE(e2e->count() == 3);
  CHECK(e2e->min() == Approx(1.02).epsilon(1e-9));
  CHECK(e2e->max() == Approx(3.06).epsilon(1e-9));
  CHECK(e2e->sum() == Approx(1.02 + 2.04 + 3.06).epsilon(1e-9));
  check_conservation(run);
}

TEST_CASE("activator input errors", "[traffic][activator][scenario]") {
  SECTION("a misspelt field") {
    const std::string err = testing::load_scenario_error(scenario(
        "1m", "    traffic: {kind: constant, rate: 1}\n    activator: {queueDepht: 5}\n", 1, ""));
    CHECK(err.find("spec.workloads[0].activator.queueDepht") != std::string::npos);
    CHECK(err.find("queueDepth") != std::string::npos);
  }
  SECTION("a hop latency not below the timeout") {
    const std::string err = testing::load_scenario_error(scenario(
        "1m",
        "    traffic: {kind: constant, rate: 1}\n    activator: {timeout: 1s, hopLatency: 2s}\n", 1,
        ""));
    CHECK(err.find("spec.workloads[0].activator.hopLatency") != std::string::npos);
    CHECK(err.find("mean 2s is not below the activator's timeout 1s") != std::string::npos);
  }
  SECTION("a negative hop latency") {
    const std::string err = testing::load_scenario_error(scenario(
        "1m", "    traffic: {kind: constant, rate: 1}\n    activator: {hopLatency: -1ms}\n", 1,
        ""));
    CHECK(err.find("spec.workloads[0].activator.hopLatency") != std::string::npos);
    CHECK(err.find("must be at least 0s, got -1ms") != std::string::npos);
  }
  SECTION("a hop latency that is not a duration") {
    const std::string err = testing::load_scenario_error(scenario(
        "1m", "    traffic: {kind: constant, rate: 1}\n    activator: {hopLatency: fast}\n", 1,
        ""));
    CHECK(err.find("spec.workloads[0].activator.hopLatency") != std::string::npos);
  }
  SECTION("fluid mode") {
    const std::string err = testing::load_scenario_error(scenario(
        "1m", "    traffic: {kind: constant, rate: 1}\n    mode: fluid\n    activator: {}\n", 1,
        ""));
    CHECK(err.find("spec.workloads[0].activator") != std::string::npos);
    CHECK(err.find("mode: request") != std::string::npos);
  }
}

}  // namespace
}  // namespace kubesim::experiments
