// Knative's KPA and KEDA running in the simulated cluster (experiments/kpa_controller.hpp,
// experiments/keda_controller.hpp), end to end: traffic -> pods -> the autoscaler's
// metrics -> decisions -> the Deployment's spec.replicas -> ReplicaSet -> pods -> endpoints.
//
// The load is deterministic (evenly spaced arrivals, constant service time, enough workers
// per pod that nothing queues), so by Little's law the revision's total concurrency is
// rate x service time whatever the pod count, and every expected value below is worked by
// hand from upstream's rules (Knative Serving v1.x pkg/autoscaler/scaling/autoscaler.go,
// KEDA v2.x pkg/scaling/executor/scale_scaledobjects.go, Kubernetes v1.34
// pkg/controller/podautoscaler/horizontal.go).
#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "experiments/keda_controller.hpp"
#include "experiments/kpa_controller.hpp"
#include "experiments/scenario_run.hpp"
#include "models/cluster.hpp"
#include "scenarios/scenario.hpp"
#include "tests/support/cluster_invariants.hpp"
#include "tests/support/scenario_loading.hpp"
#include "tests/support/web_manifests.hpp"

namespace kubesim::experiments {
namespace {

scenarios::Scenario load(const std::string& text) { return testing::load_scenario_ok(text); }

// A traffic workload `web` (1 s constant service time, 100 workers per pod: no queueing),
// Service web, Deployment web at `replicas`, and `autoscaler` (the PodAutoscaler or
// ScaledObject document).
std::string scenario(const std::string& duration, const std::string& steps, int replicas,
                     const std::string& autoscaler, const std::string& extra_spec = "") {
  return testing::web_traffic_scenario_yaml("kpa-keda-test", duration, 4,
                                            extra_spec.empty() ? "" : extra_spec + "\n",
                                            testing::steps_cpu_workload(steps), replicas,
                                            autoscaler);
}

std::string pod_autoscaler(const std::string& annotations) {
  return R"(apiVersion: autoscaling.internal.knative.dev/v1alpha1
kind: PodAutoscaler
metadata:
  name: web
  annotations:
    autoscaling.knative.dev/class: kpa.autoscaling.knative.dev
)" + annotations +
         R"(spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
)";
}

struct Probe {
  std::int32_t replicas = -1;  // the Deployment's spec.replicas
  std::int32_t ready = 0;      // its ready pods
  double panicking = -1;       // the KPA's gauge
};

std::int32_t ready_pods(ScenarioRun& run) {
  std::int32_t n = 0;
  for (const auto& p : run.cluster()->api().pods().list()) {
    if (p->ready() && !p->metadata.being_deleted()) ++n;
  }
  return n;
}

// Probes at each time (in seconds, + 0.5 s so the tick of that second has run).
std::map<int, Probe> probe(ScenarioRun& run, const std::vector<int>& seconds) {
  auto out = std::make_shared<std::map<int, Probe>>();
  for (int s : seconds) {
    run.simulation().schedule_at(sim::seconds(s) + sim::milliseconds(500), [&run, out, s] {
      Probe p;
      auto d = run.cluster()->api().deployments().get("default", "web");
      p.replicas = d == nullptr ? -1 : d->spec.replicas;
      p.ready = ready_pods(run);
      if (const auto* g = run.metrics().find_gauge("kpa.default.web.panicking")) {
        p.panicking = g->value();
      }
      (*out)[s] = p;
    });
  }
  run.run();
  return *out;
}

const std::string kTarget10 = "    autoscaling.knative.dev/target: \"10\"\n";

TEST_CASE("KPA panic mode in the running cluster: entered on a step, capped scale-up, held, left",
          "[kpa][autoscaling]") {
  // target 10 -> per-pod target 10 x 0.7 = 7 concurrent requests; stable window 60 s,
  // panic window 6 s, panic threshold 2.0; config-autoscaler max-scale-up-rate 2 (so the
  // cap ceil(2 x max(1, ready)) binds). Load: 5 req/s x 1 s = concurrency 5 until 60 s,
  // then 70 until 100 s, then 5. Scrapes every 1 s from 1 s, ticks at even seconds.
  // A new pod: created ~50 ms after the tick's write, Running 1 s later (image cached,
  // containerStartLatency 1 s), Ready 2 s after that: ready ~3.1 s after the tick, i.e.
  // counted from the second tick after it was asked for.
  //   tick 60: panic buckets 55..60 all 5: dppc = ceil(5/7) = 1; no panic; 1 replica.
  //   tick 62: buckets 57..62 = 5,5,5,5,b61,70 with b61 in [5,70] (the step's first second):
  //            average >= 15 -> dppc >= 3; dppc / ready = 3 / 1 >= 2: PANIC. Capped at
  //            ceil(2 x 1) = 2 (uncapped it would be dppc >= 3): 1 -> 2.
  //   tick 64: ready 1 -> cap 2: 2.      tick 66: ready 2 -> cap 4 (dppc = 10): 4.
  //   tick 68: ready 2 -> 4.             tick 70: ready 4 -> cap 8: 8.
  //   tick 72: ready 4 -> 8 (10/4 >= 2: the last over-threshold tick, panic time 72).
  //   tick 74: ready 8 -> cap 16: desired = dppc = ceil(70/7) = 10; 10/8 < 2.
  //   100 s: the load drops to 5; still panicking: the desired count never decreases
  //          (maxPanicPods = 10) although dppc falls to 1.
  //   tick 132: 72 + 60 is not Before 132: still panicking, 10.
  //   tick 134: panic ends; desired = stable: buckets 75..134 = 26 x 70 + b101 + 33 x 5,
  //          average in [33.2, 34.3] -> dspc = 5 = floor(10 / max-scale-down-rate 2): 5.
  // The load starts at 5 s, once the first pod serves: requests sent during its cold start
  // would wait in Knative's activator (experiments/knative_sks.hpp) and their held
  // concurrency would panic the first ticks — a different timeline from the one checked here.
  auto s = load(scenario("140s",
                         "[{at: 0s, rate: 0}, {at: 5s, rate: 5}, {at: 60s, rate: 70}, "
                         "{at: 100s, rate: 5}]",
                         1, pod_autoscaler(kTarget10)));
  ScenarioRun run(s);
  REQUIRE(run.kpa_controller() != nullptr);
  policies::KpaClusterConfig c;
  c.max_scale_up_rate = 2;
  run.kpa_controller()->set_cluster_config(c);
  auto p = probe(run, {59, 61, 62, 64, 65, 66, 68, 69, 70, 72, 73, 74, 100, 120, 132, 133, 134});
  CHECK(p[59].replicas == 1);
  CHECK(p[59].panicking == 0);
  CHECK(p[61].replicas == 1);
  CHECK(p[62].replicas == 2);  // capped: ceil(2 x 1)
  CHECK(p[62].panicking == 1);
  CHECK(p[64].replicas == 2);
  CHECK(p[65].ready == 2);
  CHECK(p[66].replicas == 4);  // ceil(2 x 2)
  CHECK(p[68].replicas == 4);
  CHECK(p[69].ready == 4);
  CHECK(p[70].replicas == 8);  // ceil(2 x 4)
  CHECK(p[72].replicas == 8);
  CHECK(p[73].ready == 8);
  CHECK(p[74].replicas == 10);  // dppc = 10 under the cap 16
  for (int t : {100, 120, 132, 133}) {
    INFO("t = " << t);
    CHECK(p[t].replicas == 10);  // no scale-down while panicking
    CHECK(p[t].panicking == 1);
  }
  CHECK(p[134].replicas == 5);
  CHECK(p[134].panicking == 0);
  const auto* d = run.kpa_controller()->last_decision("default/web");
  REQUIRE(d != nullptr);
  CHECK_FALSE(d->panicking);
  check_invariants(run);
}

TEST_CASE("KPA scales to zero after the stable window and the grace period, and back",
          "[kpa][autoscaling]") {
  // Concurrency 5 until 30 s (one pod, desired ceil(5/7) = 1), nothing from 30 s to 150 s,
  // then 5 again. The last requests end by 31 s, so bucket 31 is the last non-zero one.
  //   tick 92: the first whose 60 s stable window (buckets 33..92) is all zero: desired 0;
  //            the PA has been Active for more than the stable window: it turns Inactive,
  //            no scaling yet (scaler.go: wait for the grace period).
  //   tick 122: Inactive for 30 s = scale-to-zero-grace-period: spec.replicas 0.
  //   150 s: requests again (150.2 s, 150.4 s, ...). The PA is at zero: Knative's activator
  //          is in the path (experiments/knative_sks.hpp) and holds them. Its stat at the
  //          151 s scrape, the mean held over [150, 151] s = 0.8 + 0.6 + 0.4 + 0.2 + 0 = 2,
  //          pokes the decider while its decision is 0: an immediate tick at 151 s (not the
  //          152 s one) -> desired ceil(2/7) = 1: 0 -> 1. The activator keeps holding:
  //          2 + 5 = 7 at 152 s, 12 at 153 s, 17 at 154 s. The pod is Ready ~3.1 s after the
  //          write; the held requests are released to it and all succeed (none fails).
  //   tick 156: the first with the pod counted Ready (ready 1); panic buckets 151..156 =
  //          2, 7, 12, 17 and then >= 22 at 155 s (the 17 released requests run for 1 s on
  //          the pod, plus new ones) -> average >= 60 / 6 = 10 -> dppc = ceil(>= 10/7) >= 2;
  //          2 / 1 ready >= 2: panic: 1 -> 2 (the cold start's queue, as in Knative).
  // The load starts at 5 s, once the first pod serves (see the panic test).
  auto s = load(scenario("200s",
                         "[{at: 0s, rate: 0}, {at: 5s, rate: 5}, {at: 30s, rate: 0}, "
                         "{at: 150s, rate: 5}]",
                         1, pod_autoscaler(kTarget10)));
  ScenarioRun run(s);
  auto p = probe(run, {29, 91, 92, 121, 122, 140, 150, 151, 154, 156, 160});
  CHECK(p[29].replicas == 1);
  CHECK(p[91].replicas == 1);
  CHECK(p[92].replicas == 1);  // Inactive, waiting for the grace period
  CHECK(p[121].replicas == 1);
  CHECK(p[122].replicas == 0);
  CHECK(p[140].ready == 0);
  CHECK(p[150].replicas == 0);
  CHECK(p[151].replicas == 1);  // poked: no wait for the 152 s tick
  CHECK(p[154].replicas == 1);
  CHECK(p[156].replicas == 2);  // panic on the cold start's held requests
  CHECK(p[156].panicking == 1);
  CHECK(p[160].ready == 2);
  const auto* failed = run.metrics().find_counter("web.requests_failed");
  REQUIRE(failed != nullptr);
  CHECK(failed->value() == 0);  // the activator held them through the cold start
  const auto* proxied = run.metrics().find_counter("web.requests_proxied");
  REQUIRE(proxied != nullptr);
  // target 10: TotalValue 10, EBC = floor(ready x 10 - 211 - panic) < 0 with these few pods:
  // the activator stays in the path (SKS proxy) for every request.
  CHECK(proxied->value() == run.metrics().find_counter("web.requests_sent")->value());
  const auto* succeeded = run.metrics().find_counter("web.requests_succeeded");
  REQUIRE(succeeded != nullptr);
  CHECK(succeeded->value() > 0);
  const auto* writes = run.metrics().find_counter("kpa.scale_writes");
  REQUIRE(writes != nullptr);
  CHECK(writes->value() == 3);  // 1 -> 0, 0 -> 1, 1 -> 2
  check_invariants(run);
}

std::string scaled_object() {
  return R"(apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: web
  annotations: {kubesim.io/apply-at: 2s}
spec:
  scaleTargetRef: {name: web}
  pollingInterval: 10
  cooldownPeriod: 30
  minReplicaCount: 0
  maxReplicaCount: 10
  triggers:
  - type: prometheus
    metadata:
      serverAddress: http://prometheus.monitoring:9090
      query: sum(rate(http_requests_total{service="web"}[1m]))
      metricName: requests_per_second
      threshold: "10"
      activationThreshold: "2"
)";
}

TEST_CASE("KEDA in the running cluster: activation, HPA scaling on s0-prometheus, cooldown",
          "[keda][autoscaling]") {
  // The Deployment starts at 0. Traffic 35 req/s from 30 s to 200 s. The Service's
  // requests_per_second comes from the custom-metrics scrape (every 15 s, 1 m window,
  // rate between the oldest and newest sample of the window). The ScaledObject is applied
  // at 2 s: KEDA polls at 2 + 10k s, its HPA keda-hpa-web (min 1, max 10, External
  // s0-prometheus AverageValue 10) reconciles at ~2 + 15k s.
  //   scrape 30: 0; scrape 45: (15 s x 35) / 30 s = 17.5 > activationThreshold 2.
  //   poll 42 (value 0): nothing; poll 52 (17.5, active): 0 -> 1 (scaleFromZero).
  //   HPA 47: target at 0: ScalingDisabled. HPA 62: 1050 / 45 = 23.3 -> ceil(2.33) = 3.
  //   HPA 77: 1575 / 60 = 26.25 -> ceil(2.625) = 3. HPA 92: 35 -> ceil(3.5) = 4.
  //   Traffic stops at 200 s. scrape 255: (5 s x 35) / 60 = 2.92, still active at poll 262
  //   (lastActiveTime 262); scrape 270: 0. HPA holds 4 (5-minute downscale stabilization).
  //   poll 292: 262 + 30 < 292 is false; poll 302: cooled down: 4 -> 0.
  auto s = load(scenario("320s", "[{at: 0s, rate: 0}, {at: 30s, rate: 35}, {at: 200s, rate: 0}]", 0,
                         scaled_object()));
  ScenarioRun run(s);
  REQUIRE(run.keda_controller() != nullptr);
  auto p = probe(run, {51, 52, 61, 62, 91, 92, 200, 301, 302});
  CHECK(p[51].replicas == 0);
  CHECK(p[52].replicas == 1);
  CHECK(p[61].replicas == 1);
  CHECK(p[62].replicas == 3);
  CHECK(p[91].replicas == 3);
  CHECK(p[92].replicas == 4);
  CHECK(p[200].replicas == 4);
  CHECK(p[301].replicas == 4);
  CHECK(p[302].replicas == 0);
  auto hpa = run.cluster()->api().horizontal_pod_autoscalers().get("default", "keda-hpa-web");
  REQUIRE(hpa != nullptr);
  CHECK(hpa->spec.min_replicas == 1);
  CHECK(hpa->spec.max_replicas == 10);
  REQUIRE(hpa->spec.metrics.size() == 1);
  CHECK(hpa->spec.metrics[0].metric_name == "s0-prometheus");
  CHECK(run.keda_controller()->trigger_service("default/web") == "web");
  const auto* poll = run.keda_controller()->last_poll("default/web");
  REQUIRE(poll != nullptr);
  CHECK_FALSE(poll->active);
  REQUIRE(poll->last_active_time.has_value());
  CHECK(*poll->last_active_time == sim::seconds(262));
  CHECK(run.metrics().find_counter("keda.activations")->value() == 1);
  CHECK(run.metrics().find_counter("keda.deactivations")->value() == 1);
  check_invariants(run);
}

TEST_CASE("KEDA does not activate at or below activationThreshold", "[keda][autoscaling]") {
  // 1.5 req/s: the Service's requests_per_second is at most ~1.5 (+1/60 for a boundary
  // arrival), never strictly above activationThreshold 2, so the target stays at 0 and its
  // HPA stays disabled (scale_handler.go: IsActive = value > activationThreshold).
  auto s = load(scenario("200s", "[{at: 0s, rate: 1.5}]", 0, scaled_object()));
  ScenarioRun run(s);
  auto p = probe(run, {60, 120, 199});
  CHECK(p[60].replicas == 0);
  CHECK(p[120].replicas == 0);
  CHECK(p[199].replicas == 0);
  const auto* poll = run.keda_controller()->last_poll("default/web");
  REQUIRE(poll != nullptr);
  CHECK_FALSE(poll->active);
  CHECK_FALSE(poll->error);  // the value was read; it is just too low
  CHECK_FALSE(poll->last_active_time.has_value());
  CHECK(run.metrics().find_counter("keda.activations")->value() == 0);
  const auto* failed = run.metrics().find_counter("web.requests_failed");
  REQUIRE(failed != nullptr);
  CHECK(failed->value() > 250);  // ~300 requests, none served: no pod ever ran
  check_invariants(run);
}

TEST_CASE("KPA and KEDA runs are deterministic", "[kpa][keda][autoscaling][determinism]") {
  auto without_host = [](const std::string& j) { return j.substr(0, j.find("\"host\"")); };
  for (const std::string& text :
       {scenario("150s", "[{at: 0s, rate: 5}, {at: 60s, rate: 70}, {at: 100s, rate: 5}]", 1,
                 pod_autoscaler(kTarget10)),
        scenario("150s", "[{at: 0s, rate: 0}, {at: 30s, rate: 35}]", 0, scaled_object())}) {
    auto s = load(text);
    ScenarioRun a(s);
    a.run();
    ScenarioRun b(s);
    b.run();
    CHECK(without_host(a.summary_json()) == without_host(b.summary_json()));
    std::ostringstream ca;
    std::ostringstream cb;
    a.sampler().write_csv(ca);
    b.sampler().write_csv(cb);
    CHECK(ca.str() == cb.str());
    if (a.kpa_controller() != nullptr) {
      CHECK(ca.str().find("kpa.default.web.panicking") != std::string::npos);
      CHECK(ca.str().find("kpa.default.web.desired_replicas") != std::string::npos);
    }
  }
}

}  // namespace
}  // namespace kubesim::experiments
