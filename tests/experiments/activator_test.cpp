// The Knative activator's buffer in front of a Service (experiments/service_traffic.hpp,
// spec.activator): requests wait while the Service has no endpoint, within the breaker's
// queue depth (knative.dev/serving pkg/activator/net/throttler.go breakerQueueDepth) and a
// timeout (config-defaults revision-timeout-seconds), and are released to the first pods as
// they become endpoints. Expected values are hand timelines under deterministic arrivals.
#include <catch2/catch.hpp>
#include <memory>
#include <string>

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
  return testing::web_traffic_scenario_yaml("activator-test", duration, 2, "", workload,
                                            replicas, extra);
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
  // endpoint at E = T + 1 s (endpointDelay; kube-proxy has not synced for over
  // minSyncPeriod: at once). With containerConcurrency 1 it takes one request at a time:
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
  // E − Ready condition time = endpointDelay + the status write's latency (< 100 ms).
  CHECK(routed - ready >= sim::kSecond);
  CHECK(routed - ready < sim::kSecond + 100 * sim::kMillisecond);
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
  // at T, the pod is an endpoint at E = T + endpointDelay (1 s), and the request is released
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
  CHECK(routed - ready >= sim::kSecond);
  CHECK(routed - ready < sim::kSecond + 100 * sim::kMillisecond);
  const sim::Histogram* e2e = run.metrics().find_histogram("web.e2e_s");
  REQUIRE(e2e != nullptr);
  REQUIRE(e2e->count() == 1);
  CHECK(e2e->max() == Approx(sim::to_seconds(routed) - 150 + 1).epsilon(1e-9));
  // The cold start: the KPA's poke at the 151 s scrape, then create, schedule, image, start
  // and readiness (2 s): a few seconds.
  CHECK(sim::to_seconds(ready) - 150 < 10);
}

TEST_CASE("activator input errors", "[traffic][activator][scenario]") {
  SECTION("a misspelt field") {
    const std::string err = testing::load_scenario_error(scenario(
        "1m", "    traffic: {kind: constant, rate: 1}\n    activator: {queueDepht: 5}\n", 1, ""));
    CHECK(err.find("spec.workloads[0].activator.queueDepht") != std::string::npos);
    CHECK(err.find("queueDepth") != std::string::npos);
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
