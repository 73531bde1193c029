// kubesim explain for KEDA ScaledObjects, Knative PodAutoscalers and PredictiveAutoscalers
// (experiments/explain_serverless.cpp). Every expected value is worked by hand next to its
// check, from upstream's rules:
//   KEDA v2.x pkg/scaling/executor/scale_scaledobjects.go (RequestScale: 0 -> max(min, 1)
//     when active; to 0 once lastActiveTime + cooldownPeriod is before now),
//     pkg/scaling/scale_handler.go (active = value > activationThreshold),
//     pkg/fallback/fallback.go (more than failureThreshold failures: replicas × target),
//     then the generated HPA with kube-controller-manager v1.34's External AverageValue rule
//     (replica_calculator.go GetExternalPerPodMetricReplicas: ceil(total / target)) and
//     horizontal.go's legacy scale-up limit max(2 × current, 4);
//   Knative Serving pkg/autoscaler/scaling/autoscaler_test.go (TestAutoscalerStableMode...,
//     panic mode and its cap by max-scale-up-rate, "never scale down in panic"),
//     pkg/reconciler/autoscaling/kpa/scaler.go (handleScaleToZero: Inactive after the
//     stable window, then 0 after scale-to-zero-grace-period);
//   kubesim's predictive autoscaler (docs/autoscaling.md): ceil(forecast / target).
#include <catch2/catch.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "experiments/explain_autoscalers.hpp"
#include "scenarios/manifests.hpp"
#include "tests/support/explain_state.hpp"
#include "tests/support/scenario_loading.hpp"

namespace kubesim::experiments {
namespace {

// Every object is created at 08:00:00 (time 0); the decision is at 08:10:00 (600 s).
const std::int64_t kNow = *scenarios::parse_rfc3339("2025-09-01T08:10:00Z");

// A ScaledObject on Deployment `name`: one prometheus trigger, threshold 10, activation 2.
std::string scaled_object(const std::string& name, const std::string& annotations,
                          const std::string& status = "", const std::string& extra_spec = "") {
  return R"(---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: )" +
         name +
         R"(
  namespace: shop
  creationTimestamp: "2025-09-01T08:00:00Z"
  annotations:
)" + annotations +
         R"(spec:
  scaleTargetRef: {name: )" +
         name + R"(}
  cooldownPeriod: 30
  maxReplicaCount: 10
)" + extra_spec +
         R"(  triggers:
  - type: prometheus
    metadata:
      serverAddress: http://prometheus.monitoring:9090
      query: sum(rate(http_requests_total{service=")" +
         name + R"("}[1m]))
      threshold: "10"
      activationThreshold: "2"
)" + status;
}

const ExplainAutoscaler& find(const AutoscalerExplanation& e, const std::string& name) {
  for (const auto& a : e.autoscalers) {
    if (a.name == name) return a;
  }
  FAIL("no autoscaler " << name);
  return e.autoscalers.front();
}

}  // namespace

TEST_CASE("explain KEDA: activation from zero, then the generated HPA", "[explain][keda]") {
  // web at 0 replicas, trigger value 35 > activationThreshold 2: the operator scales
  // 0 -> max(minReplicaCount 0, 1) = 1 and sets lastActiveTime = now. Then keda-hpa-web
  // (External s0-prometheus, AverageValue 10) at 1 replica: total 35, status.replicas 0 ->
  // ratio outside tolerance -> ceil(35 / 10) = 4; legacy limit max(2 x 1, 4) = 4: 4.
  const std::string state = testing::shop_deployment_yaml("web", 0) +
                            scaled_object("web", "    kubesim.io/trigger-values: '[\"35\"]'\n");
  scenarios::Manifests m = testing::read_manifests_ok(state);
  REQUIRE(m.scaled_objects.size() == 1);
  CHECK(m.scaled_objects[0].spec.triggers[0].service == "web");
  CHECK(m.scaled_objects[0].spec.triggers[0].metric_name == "requests_per_second");
  auto e = explain_autoscalers(m, kNow);
  REQUIRE(e);
  REQUIRE(e->autoscalers.size() == 1);
  const ExplainAutoscaler& a = e->autoscalers[0];
  CHECK(a.kind == "ScaledObject");
  CHECK(a.current_replicas == 0);
  CHECK(a.desired_replicas == 4);
  REQUIRE(a.keda.has_value());
  CHECK(a.keda->poll.replicas == 1);
  CHECK(a.keda->replicas_after_operator == 1);
  CHECK(a.keda->hpa_reconciled);
  CHECK(a.keda->last_active_time == "2025-09-01T08:10:00Z");
  CHECK(a.reason.rfind("activation: s0-prometheus = 35 > activationThreshold 2 (active) -> "
                       "scale 0 -> 1",
                       0) == 0);
  CHECK(a.reason.find("then HPA keda-hpa-web: scale up from 1 to 4 replicas") != std::string::npos);
  REQUIRE(a.decision.proposals.size() == 1);
  CHECK(a.decision.proposals[0].metric.find("s0-prometheus") != std::string::npos);
  CHECK(a.decision.proposals[0].replicas == 4);
  REQUIRE(a.keda->conditions.size() == 3);
  CHECK(a.keda->conditions[1].type == "Active");
  CHECK(a.keda->conditions[1].status);
  CHECK(a.keda->conditions[1].reason == "ScalerActive");

  SECTION("JSON carries the KEDA step and the HPA's") {
    auto j = nlohmann::json::parse(render_autoscalers_json(*e));
    const auto& o = j["autoscalers"][0];
    CHECK(o["kind"] == "ScaledObject");
    CHECK(o["currentReplicas"] == 0);
    CHECK(o["desiredReplicas"] == 4);
    CHECK(o["keda"]["operatorReplicas"] == 1);
    CHECK(o["keda"]["triggers"][0]["value"] == 35.0);
    CHECK(o["keda"]["triggers"][0]["active"] == true);
    CHECK(o["keda"]["hpa"] == "keda-hpa-web");
    CHECK(o["metrics"][0]["replicas"] == 4);
  }
  SECTION("table names the kind and the trigger") {
    const std::string t = render_autoscalers_table(*e);
    CHECK(t.find("KEDA v2.x operator") != std::string::npos);
    CHECK(t.find("scaledobject shop/web: activation:") != std::string::npos);
    CHECK(t.find("trigger s0-prometheus = 35 > activationThreshold 2 (active)") !=
          std::string::npos);
  }
}

TEST_CASE("explain KEDA: at or below activationThreshold stays at zero", "[explain][keda]") {
  // 2 is not > 2 (strict): inactive, the target stays at 0 and the HPA is not consulted.
  scenarios::Manifests m =
      testing::read_manifests_ok(testing::shop_deployment_yaml("web", 0) +
                                 scaled_object("web", "    kubesim.io/trigger-values: '[2]'\n"));
  auto e = explain_autoscalers(m, kNow);
  REQUIRE(e);
  const ExplainAutoscaler& a = e->autoscalers[0];
  CHECK(a.desired_replicas == 0);
  CHECK_FALSE(a.keda->poll.active);
  CHECK_FALSE(a.keda->hpa_reconciled);
  CHECK(a.reason.find("s0-prometheus = 2 <= activationThreshold 2 (inactive)") !=
        std::string::npos);
  CHECK(a.reason.find("not consulted") != std::string::npos);
}

TEST_CASE("explain KEDA: cooldown from status.lastActiveTime", "[explain][keda]") {
  // Both at 4 replicas with value 1 (inactive), cooldownPeriod 30 s.
  //   cold: lastActiveTime 08:09:20, 40 s ago: 08:09:20 + 30 s is before now -> 4 -> 0.
  //   warm: lastActiveTime 08:09:45, 15 s ago: still cooling down; the operator does
  //     nothing and the HPA decides: total 1 over status.replicas 4 at target 10 -> ratio
  //     0.025 -> ceil(1 / 10) = 1; kubesim.io/recommendations '[]' (a running controller with
  //     no recent recommendation, 5-minute window) -> 1 = minReplicas.
  const std::string state = testing::shop_deployment_yaml("cold", 4) +
                            testing::shop_deployment_yaml("warm", 4) +
                            scaled_object("cold", "    kubesim.io/trigger-values: '[\"1\"]'\n",
                                          "status:\n  lastActiveTime: \"2025-09-01T08:09:20Z\"\n") +
                            scaled_object("warm",
                                          "    kubesim.io/trigger-values: '[\"1\"]'\n"
                                          "    kubesim.io/recommendations: '[]'\n",
                                          "status:\n  lastActiveTime: \"2025-09-01T08:09:45Z\"\n");
  scenarios::Manifests m = testing::read_manifests_ok(state);
  REQUIRE(m.scaled_objects[0].status.last_active_time == sim::seconds(9 * 60 + 20));
  auto e = explain_autoscalers(m, kNow);
  REQUIRE(e);
  const ExplainAutoscaler& cold = find(*e, "shop/cold");
  CHECK(cold.desired_replicas == 0);
  CHECK(cold.keda->poll.replicas == 0);
  CHECK(cold.reason.rfind("deactivation: s0-prometheus = 1 <= activationThreshold 2", 0) == 0);
  CHECK(cold.reason.find("lastActiveTime 2025-09-01T08:09:20Z + 30s < now") != std::string::npos);
  CHECK_FALSE(cold.keda->hpa_reconciled);
  const ExplainAutoscaler& warm = find(*e, "shop/warm");
  CHECK_FALSE(warm.keda->poll.replicas.has_value());
  CHECK(warm.keda->hpa_reconciled);
  CHECK(warm.desired_replicas == 1);
  CHECK(warm.reason.find("cooling down") != std::string::npos);
  CHECK(warm.keda->last_active_time == "2025-09-01T08:09:45Z");  // unchanged: inactive
}

TEST_CASE("explain KEDA: a failing scaler past failureThreshold falls back", "[explain][keda]") {
  // status.health says s0-prometheus failed 3 times; this poll fails again (null): 4 > 3
  // = failureThreshold, so the adapter serves fallback.replicas x threshold = 6 x 10 = 60.
  // Not active, a scaler failed, fallback set: the operator leaves it to the HPA.
  // HPA at 3 replicas (status.replicas 3): 60 / (10 x 3) = 2 -> ceil(60 / 10) = 6; limit
  // max(2 x 3, 4) = 6: 6 = fallback.replicas.
  const std::string state =
      testing::shop_deployment_yaml("web", 3) +
      scaled_object("web", "    kubesim.io/trigger-values: '[null]'\n",
                    "status:\n  health:\n    s0-prometheus: {numberOfFailures: 3, status: "
                    "Failing}\n",
                    "  fallback: {failureThreshold: 3, replicas: 6}\n");
  auto e = explain_autoscalers(testing::read_manifests_ok(state), kNow);
  REQUIRE(e);
  const ExplainAutoscaler& a = e->autoscalers[0];
  CHECK(a.keda->poll.error);
  CHECK(a.keda->poll.fallback);
  CHECK(a.keda->failures_before == std::vector<std::int32_t>{3});
  CHECK(a.desired_replicas == 6);
  CHECK(a.reason.rfind("s0-prometheus: scaler failed (4 consecutive failures)", 0) == 0);
  CHECK(a.keda->conditions[0].reason == "TriggerError");
  CHECK(a.keda->conditions[2].type == "Fallback");
  CHECK(a.keda->conditions[2].reason == "FallbackExists");
}

TEST_CASE("explain KEDA: bad inputs name the object and the annotation", "[explain][keda]") {
  auto error_of = [](const std::string& annotations) {
    auto e =
        explain_autoscalers(testing::read_manifests_ok(testing::shop_deployment_yaml("web", 1) +
                                                       scaled_object("web", annotations)),
                            kNow);
    REQUIRE_FALSE(e);
    return e.error();
  };
  CHECK(error_of("    kubesim.io/trigger-values: '[\"1\", \"2\"]'\n") ==
        "ScaledObject shop/web: annotation kubesim.io/trigger-values: expected 1 value (one per "
        "trigger, in trigger order), got 2");
  CHECK(error_of("    kubesim.io/trigger-values: '[1'\n") ==
        "ScaledObject shop/web: annotation kubesim.io/trigger-values: not valid JSON");
  CHECK(error_of("    kubesim.io/trigger-values: '[\"lots\"]'\n")
            .rfind("ScaledObject shop/web: annotation kubesim.io/trigger-values: \"lots\":", 0) ==
        0);
  // Active (5 > 2) at 1 replica: the generated HPA runs and reads the HPA memory
  // annotations of the ScaledObject.
  CHECK(error_of("    kubesim.io/recommendations: '[{\"replicas\": 1}]'\n"
                 "    kubesim.io/trigger-values: '[\"5\"]'\n") ==
        "ScaledObject shop/web: annotation kubesim.io/recommendations: every entry needs "
        "\"time\" (RFC 3339)");
  SECTION("no values, or no target: reported for that object, not an error") {
    auto e = explain_autoscalers(
        testing::read_manifests_ok(testing::shop_deployment_yaml("web", 1) +
                                   scaled_object("web", "    a: b\n") +
                                   scaled_object("gone", "    kubesim.io/trigger-values: '[1]'\n")),
        kNow);
    REQUIRE(e);
    const ExplainAutoscaler& web = find(*e, "shop/web");
    CHECK(web.desired_replicas == 1);
    CHECK(web.error.find("no kubesim.io/trigger-values annotation") == 0);
    const ExplainAutoscaler& gone = find(*e, "shop/gone");
    CHECK(gone.error ==
          "the KEDA operator was unable to get the target's current scale: Deployment "
          "shop/gone not found");
  }
}

namespace {

std::string pod_autoscaler(const std::string& name, const std::string& observed,
                           const std::string& status = "") {
  return R"(---
apiVersion: autoscaling.internal.knative.dev/v1alpha1
kind: PodAutoscaler
metadata:
  name: )" +
         name +
         R"(
  namespace: shop
  creationTimestamp: "2025-09-01T08:00:00Z"
  annotations:
    autoscaling.knative.dev/target: "10"
    autoscaling.knative.dev/target-utilization-percentage: "100"
    kubesim.io/observed-metrics: ')" +
         observed + R"('
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: )" +
         name + "}\n" + status;
}

std::string pods(const std::string& app, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += testing::shop_ready_pod_yaml(app, i);
  return out;
}

}  // namespace

TEST_CASE("explain KPA: stable mode, panic entered and capped, panic held and left",
          "[explain][kpa]") {
  // Per-pod target 10 (target 10 x utilization 100 %); config-autoscaler sets
  // max-scale-up-rate 2 (and container-concurrency-target-percentage 80, overridden by the
  // annotation). Panic threshold 200 %, stable window 60 s.
  const std::string config = R"(---
apiVersion: v1
kind: ConfigMap
metadata: {name: config-autoscaler, namespace: knative-serving}
data:
  max-scale-up-rate: "2"
  container-concurrency-target-percentage: "80"
)";
  const std::string state =
      config +
      // stable: autoscaler_test.go TestAutoscalerStableModeIncreaseWithConcurrencyDefault:
      // stable 50 / 10 = 5 pods, panic 10 / 10 = 1 pod for 1 ready: 1 < 2, no panic; range
      // [floor(1 / 2) = 0, ceil(2 x 1) = 2]... capped by the rate at 2.
      testing::shop_deployment_yaml("stable", 1) + pods("stable", 1) +
      pod_autoscaler("stable", R"({"stable": 50, "panic": 10})") +
      // burst: stable 20 -> 2 pods, panic 100 -> 10 pods for 2 ready = 5x >= 2: panic
      // entered; max(2, 10) capped at ceil(2 x 2) = 4: 2 -> 4.
      testing::shop_deployment_yaml("burst", 2) + pods("burst", 2) +
      pod_autoscaler("burst", R"({"stable": 20, "panic": 100})") +
      // held: 10 ready, stable = panic = 20 -> 2 pods, 2 / 10 < 2: not over; last panic tick
      // 30 s ago (< 60 s): still panicking; floor(10 / 2) = 5 raises both to 5; the count
      // never decreases in panic: maxPanicPods 10 -> 10, no change.
      testing::shop_deployment_yaml("held", 10) + pods("held", 10) +
      pod_autoscaler(
          "held",
          R"({"stable": 20, "panic": 20, "panicTime": "2025-09-01T08:09:30Z", "maxPanicPods": 10})") +
      // left: the same 61 s after the last panic tick: 08:09:00 + 60 s is before now: panic
      // over, desired = stable = max(2, floor(10 / 2)) = 5: 10 -> 5.
      testing::shop_deployment_yaml("left", 10) + pods("left", 10) +
      pod_autoscaler(
          "left",
          R"({"stable": 20, "panic": 20, "panicTime": "2025-09-01T08:08:59Z", "maxPanicPods": 10})");
  scenarios::Manifests m = testing::read_manifests_ok(state);
  REQUIRE(m.knative_autoscaler_config.has_value());
  CHECK(m.knative_autoscaler_config->max_scale_up_rate == 2);
  CHECK(m.knative_autoscaler_config->container_concurrency_target_fraction == Approx(0.8));
  auto e = explain_autoscalers(m, kNow);
  REQUIRE(e);
  REQUIRE(e->autoscalers.size() == 4);

  const ExplainAutoscaler& stable = find(*e, "shop/stable");
  REQUIRE(stable.kpa.has_value());
  CHECK(stable.kpa->config.target_value == 10);
  CHECK(stable.kpa->ready_pods == 1);
  CHECK(stable.kpa->decision.decider.desired_stable_pods == 5);
  CHECK_FALSE(stable.kpa->decision.panicking);
  CHECK(stable.desired_replicas == 2);
  CHECK(stable.reason.rfind(
            "stable: concurrency stable 50, panic 10 / target 10 per pod -> 5 / 1 pods", 0) == 0);
  CHECK(stable.reason.find("capped by max-scale-up-rate 2 x 1 ready = 2 -> 2") !=
        std::string::npos);

  const ExplainAutoscaler& burst = find(*e, "shop/burst");
  CHECK(burst.kpa->decision.panicking);
  CHECK(burst.desired_replicas == 4);
  CHECK(burst.reason.find("10 pods for 2 ready = 5x >= panic threshold 2x (panic entered)") !=
        std::string::npos);
  CHECK(burst.reason.find("capped by max-scale-up-rate 2 x 2 ready = 4 -> 4") != std::string::npos);
  CHECK(burst.reason.find("scale 2 -> 4") != std::string::npos);

  const ExplainAutoscaler& held = find(*e, "shop/held");
  CHECK(held.kpa->decision.panicking);
  CHECK(held.kpa->decision.decider.desired_pod_count == 10);
  CHECK(held.desired_replicas == 10);
  CHECK(held.reason.find("never decreases in panic") != std::string::npos);

  const ExplainAutoscaler& left = find(*e, "shop/left");
  CHECK_FALSE(left.kpa->decision.panicking);
  CHECK(left.desired_replicas == 5);
  CHECK(left.reason.find("panic over") != std::string::npos);
  CHECK(left.reason.find("floored by max-scale-down-rate: 10 ready / 2 = 5") != std::string::npos);

  auto j = nlohmann::json::parse(render_autoscalers_json(*e));
  CHECK(j["autoscalers"][1]["kind"] == "PodAutoscaler");
  CHECK(j["autoscalers"][1]["kpa"]["panicking"] == true);
  CHECK(j["autoscalers"][1]["kpa"]["maxScaleUp"] == 4.0);
  CHECK(j["autoscalers"][1]["kpa"]["desiredPanicPods"] == 10.0);
}

TEST_CASE("explain KPA: scale to zero waits for the stable window, then the grace period",
          "[explain][kpa]") {
  // No traffic (stable 0): desired 0. scaler.go handleScaleToZero:
  //   active: Active=True since 08:08:30 (90 s >= stable window 60 s): mark Inactive, keep 1;
  //   young: Active=True since 08:09:30 (30 s < 60 s): keep 1;
  //   inactive: Active=False since 08:09:20 (40 s >= grace period 30 s): scale to 0.
  const std::string state =
      testing::shop_deployment_yaml("active", 1) + pods("active", 1) +
      pod_autoscaler("active", R"({"stable": 0})",
                     "status:\n  conditions: [{type: Active, status: \"True\", "
                     "lastTransitionTime: \"2025-09-01T08:08:30Z\"}]\n") +
      testing::shop_deployment_yaml("young", 1) + pods("young", 1) +
      pod_autoscaler("young", R"({"stable": 0})",
                     "status:\n  conditions: [{type: Active, status: \"True\", "
                     "lastTransitionTime: \"2025-09-01T08:09:30Z\"}]\n") +
      testing::shop_deployment_yaml("inactive", 1) + pods("inactive", 1) +
      pod_autoscaler("inactive", R"({"stable": 0})",
                     "status:\n  conditions: [{type: Active, status: \"False\", "
                     "lastTransitionTime: \"2025-09-01T08:09:20Z\"}]\n");
  auto e = explain_autoscalers(testing::read_manifests_ok(state), kNow);
  REQUIRE(e);
  const ExplainAutoscaler& active = find(*e, "shop/active");
  CHECK(active.desired_replicas == 1);
  CHECK_FALSE(active.kpa->decision.replicas.has_value());
  CHECK(active.kpa->decision.activity == policies::KpaActivity::kInactive);
  CHECK(active.reason.find("no traffic for the stable window") != std::string::npos);
  const ExplainAutoscaler& young = find(*e, "shop/young");
  CHECK(young.desired_replicas == 1);
  CHECK(young.reason.find("active for 30s < stable window") != std::string::npos);
  const ExplainAutoscaler& inactive = find(*e, "shop/inactive");
  CHECK(inactive.desired_replicas == 0);
  CHECK(inactive.reason.find("inactive for 40s: scale to 0") != std::string::npos);
}

TEST_CASE("explain KPA: bad annotations name the object and the annotation", "[explain][kpa]") {
  auto error_of = [](const std::string& observed) {
    auto e = explain_autoscalers(
        testing::read_manifests_ok(testing::shop_deployment_yaml("web", 1) + pods("web", 1) +
                                   pod_autoscaler("web", observed)),
        kNow);
    REQUIRE_FALSE(e);
    return e.error();
  };
  const std::string who = "PodAutoscaler shop/web: annotation kubesim.io/observed-metrics: ";
  CHECK(error_of("{nope") == who + "not valid JSON");
  CHECK(error_of("[1]") == who + "expected a JSON object");
  CHECK(error_of(R"({"panic": 3})") ==
        who + "\"stable\" is required: the stable window's average concurrency");
  CHECK(error_of(R"({"stable": -1})") == who + "\"stable\" must be a number >= 0, got -1");
  CHECK(error_of(R"({"stable": 1, "stabel": 2})") ==
        who + "unknown field \"stabel\" (expected stable, panic, panicTime, maxPanicPods)");
  CHECK(error_of(R"({"stable": 1, "panicTime": "yesterday"})") ==
        who + "invalid RFC 3339 time \"yesterday\"");
}

namespace {

// A PredictiveAutoscaler on Deployment api with samples every 30 s from 08:05:00 to
// 08:10:00 on the line 100 + 10 RPS per minute (150 at 08:10:00).
std::string predictive(const std::string& extra_annotations = "") {
  std::string samples = "[";
  for (int k = 0; k <= 10; ++k) {
    const int sec = 5 * 60 + 30 * k;
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s{\"time\": \"2025-09-01T08:%02d:%02dZ\", \"value\": %g}",
                  k == 0 ? "" : ", ", sec / 60, sec % 60, 100.0 + 10.0 * sec / 60.0 - 50.0);
    samples += buf;
  }
  samples += "]";
  return R"(---
apiVersion: autoscaling.kubesim.io/v1alpha1
kind: PredictiveAutoscaler
metadata:
  name: api
  namespace: shop
  creationTimestamp: "2025-09-01T08:00:00Z"
  annotations:
    kubesim.io/load-history: ')" +
         samples + "'\n" + extra_annotations + R"(spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  metric: {service: api, name: requests_per_second}
  targetPerReplica: 10
  minReplicas: 1
  maxReplicas: 30
  leadTime: 2m
  history: 10m
)";
}

}  // namespace

TEST_CASE("explain predictive: the forecast at now + leadTime sizes the target",
          "[explain][predictive]") {
  // Samples on y = 100 + 10 x (minutes since 08:05) - 50... i.e. 100 at 08:05, 150 at 08:10:
  // least squares reproduces the line; forecast at 08:12 = 170 -> ceil(170 / 10) = 17
  // (current load 150 would give 15). Deployment at 15 -> 17.
  auto e = explain_autoscalers(
      testing::read_manifests_ok(testing::shop_deployment_yaml("api", 15) + predictive()), kNow);
  REQUIRE(e);
  const ExplainAutoscaler& a = e->autoscalers[0];
  CHECK(a.kind == "PredictiveAutoscaler");
  REQUIRE(a.predictive.has_value());
  CHECK(a.predictive->samples == 11);
  CHECK(a.predictive->decision.current_load == Approx(150));
  CHECK(a.predictive->decision.forecast_load == Approx(170).epsilon(1e-9));
  CHECK(a.current_replicas == 15);
  CHECK(a.desired_replicas == 17);
  CHECK(a.reason.rfind("scale up from 15 to 17 replicas", 0) == 0);
  auto j = nlohmann::json::parse(render_autoscalers_json(*e));
  CHECK(j["autoscalers"][0]["predictive"]["recommendedReplicas"] == 17);
  CHECK(j["autoscalers"][0]["predictive"]["leadTime"] == "2m0s");

  SECTION("a restored recommendation of 20 two minutes ago holds a scale-down") {
    // At 25 replicas the recommendation 17 would scale down; the stored 20 (08:08:00, inside
    // the 5-minute window) keeps max(17, 20) = 20.
    auto held = explain_autoscalers(
        testing::read_manifests_ok(
            testing::shop_deployment_yaml("api", 25) +
            predictive("    kubesim.io/recommendations: '[{\"time\": \"2025-09-01T08:08:00Z\", "
                       "\"replicas\": 20}]'\n")),
        kNow);
    REQUIRE(held);
    CHECK(held->autoscalers[0].desired_replicas == 20);
  }
}

TEST_CASE("explain predictive: bad history is an error naming the object",
          "[explain][predictive]") {
  auto error_of = [](const std::string& history) {
    std::string s = predictive();
    const std::string key = "kubesim.io/load-history: '";
    const auto at = s.find(key) + key.size();
    s.replace(at, s.find("'\n", at) - at, history);
    auto e = explain_autoscalers(
        testing::read_manifests_ok(testing::shop_deployment_yaml("api", 1) + s), kNow);
    REQUIRE_FALSE(e);
    return e.error();
  };
  const std::string who = "PredictiveAutoscaler shop/api: annotation kubesim.io/load-history: ";
  CHECK(error_of(R"([{"value": 1}])") == who + "every entry needs \"time\" (RFC 3339)");
  CHECK(error_of(R"([{"time": "2025-09-01T08:00:00Z"}])") == who + "every entry needs \"value\"");
  CHECK(error_of(R"([{"time": "2025-09-01T08:00:00Z", "value": -3}])") ==
        who + "\"value\" must be a number >= 0, got -3");
  CHECK(error_of(R"([{"time": "2025-09-01T08:11:00Z", "value": 3}])") ==
        who + "sample at 2025-09-01T08:11:00Z is after now");
}

}  // namespace kubesim::experiments
