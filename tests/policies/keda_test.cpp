// Tests of policies/keda.hpp: the HPA a KEDA ScaledObject generates and the operator's
// activation state machine (KEDA v2.x: pkg/controller/hpa.go,
// pkg/scaling/executor/scale_scaledobjects.go, pkg/fallback/fallback.go). Expected values
// by hand from those rules; the HPA arithmetic is upstream's (policies/hpa.hpp).
#include "policies/keda.hpp"

#include <catch2/catch.hpp>

#include "policies/hpa.hpp"

namespace kubesim::policies {
namespace {

using sim::seconds;

models::ScaledObjectTrigger prometheus_trigger(double threshold, double activation) {
  models::ScaledObjectTrigger t;
  t.type = "prometheus";
  t.metric_name = "requests_per_second";
  t.metadata = {{"metricName", "requests_per_second"}, {"threshold", "x"}};
  t.threshold_milli = static_cast<std::int64_t>(threshold * 1000);
  t.activation_threshold_milli = static_cast<std::int64_t>(activation * 1000);
  return t;
}

models::ScaledObject scaled_object(std::int32_t min, std::int32_t max) {
  models::ScaledObject so;
  so.metadata.name = "llm";
  so.metadata.namespace_ = "ai";
  so.spec.scale_target_ref = {"apps/v1", "Deployment", "llm-server"};
  so.spec.min_replica_count = min;
  so.spec.max_replica_count = max;
  so.spec.triggers.push_back(prometheus_trigger(100, 5));
  return so;
}

TEST_CASE("KEDA generates an HPA with External AverageValue metrics", "[keda]") {
  models::ScaledObject so = scaled_object(0, 20);
  models::ScaledObjectTrigger api;
  api.type = "metrics-api";
  api.metric_name = "queue_length";
  api.metadata = {{"metricName", "queue_length"}, {"valueLocation", "data.queue"}};
  api.threshold_milli = 10'000;
  api.metric_type = models::KedaMetricType::kValue;
  so.spec.triggers.push_back(api);
  so.spec.has_behavior = true;
  models::HpaScalingRules down;
  down.stabilization_window_seconds = 60;
  so.spec.scale_down = down;

  const models::HorizontalPodAutoscaler hpa = keda_hpa_for(so);
  CHECK(hpa.metadata.name == "keda-hpa-llm");
  CHECK(hpa.metadata.namespace_ == "ai");
  CHECK(hpa.metadata.labels.get("scaledobject.keda.sh/name") == "llm");
  REQUIRE(hpa.metadata.owner_references.size() == 1);
  CHECK(hpa.metadata.owner_references[0].kind == "ScaledObject");
  CHECK(hpa.metadata.owner_references[0].controller);
  CHECK(hpa.spec.scale_target_ref.name == "llm-server");
  CHECK(hpa.spec.min_replicas == 1);  // max(minReplicaCount 0, 1)
  CHECK(hpa.spec.max_replicas == 20);
  REQUIRE(hpa.spec.metrics.size() == 2);
  CHECK(hpa.spec.metrics[0].type == models::MetricSourceType::kExternal);
  CHECK(hpa.spec.metrics[0].metric_name == "s0-prometheus");
  CHECK(hpa.spec.metrics[0].target.type == models::MetricTargetType::kAverageValue);
  CHECK(hpa.spec.metrics[0].target.average_value_milli == 100'000);
  REQUIRE(hpa.spec.metrics[0].metric_selector.has_value());
  CHECK(hpa.spec.metrics[0].metric_selector->match_labels.get("scaledobject.keda.sh/name") ==
        "llm");
  CHECK(hpa.spec.metrics[1].metric_name == "s1-metric-api-data-queue");
  CHECK(hpa.spec.metrics[1].target.type == models::MetricTargetType::kValue);
  CHECK(hpa.spec.metrics[1].target.value_milli == 10'000);
  CHECK(hpa.spec.has_behavior);
  REQUIRE(hpa.spec.scale_down.has_value());
  CHECK(hpa.spec.scale_down->stabilization_window_seconds == 60);
  CHECK_FALSE(hpa.spec.scale_up.has_value());

  so.spec.min_replica_count = 3;
  so.spec.hpa_name = "custom";
  const auto hpa3 = keda_hpa_for(so);
  CHECK(hpa3.spec.min_replicas == 3);
  CHECK(hpa3.metadata.name == "custom");
}

// docs/autoscaling.md / kubernetes-semantics §7.1 example: threshold 100 RPS per replica,
// 950 RPS observed, 4 replicas: ratio 950 / (100 × 4) = 2.375 > 1.1 -> ceil(9.5) = 10, then
// the legacy scale-up limit max(2 × 4, 4) = 8.
TEST_CASE("KEDA's HPA scales 1..N through policies::decide", "[keda]") {
  const models::ScaledObject so = scaled_object(0, 20);
  KedaState state(so, 0);
  const std::vector<KedaTriggerValue> values = {950.0};
  const KedaPollResult poll = state.poll(seconds(30), 4, values);
  CHECK(poll.active);
  CHECK_FALSE(poll.replicas.has_value());  // 1..N belongs to the HPA
  HpaInputs in;
  in.status_replicas = 4;
  in.external_metrics = state.external_metrics(values);
  REQUIRE(in.external_metrics.size() == 1);
  CHECK(in.external_metrics[0].metric == "s0-prometheus");
  CHECK(in.external_metrics[0].values_milli == std::vector<std::int64_t>{950'000});
  HpaState hs;
  const HpaDecision d = decide(keda_hpa_for(so), 4, in, seconds(30), hs);
  REQUIRE(d.proposals.size() == 1);
  CHECK(d.proposals[0].replicas == 10);
  CHECK(d.desired_replicas == 8);
}

TEST_CASE("KEDA activation: 0 -> 1 above activationThreshold, cooldown back to 0", "[keda]") {
  KedaState s(scaled_object(0, 20), 0);
  // At 0 replicas, value 5 is not > activationThreshold 5: stay at 0.
  KedaPollResult r = s.poll(seconds(30), 0, {5.0});
  CHECK_FALSE(r.active);
  CHECK_FALSE(r.replicas.has_value());
  // Value 10 > 5: scale 0 -> max(minReplicaCount 0, 1) = 1; lastActiveTime = 60 s.
  r = s.poll(seconds(60), 0, {10.0});
  CHECK(r.active);
  REQUIRE(r.replicas.has_value());
  CHECK(*r.replicas == 1);
  CHECK(r.last_active_time == seconds(60));
  // Active at 1+ replicas: the HPA scales; lastActiveTime = 90 s.
  r = s.poll(seconds(90), 3, {250.0});
  CHECK_FALSE(r.replicas.has_value());
  CHECK(s.last_active_time() == seconds(90));
  // Inactive from 120 s: scale to 0 only when lastActiveTime + 300 s < now (strict):
  // 390 is not after 390; 420 is.
  for (int t = 120; t <= 390; t += 30) {
    r = s.poll(seconds(t), 3, {2.0});
    INFO("t = " << t);
    CHECK_FALSE(r.replicas.has_value());
  }
  r = s.poll(seconds(420), 3, {2.0});
  REQUIRE(r.replicas.has_value());
  CHECK(*r.replicas == 0);
}

TEST_CASE("KEDA minReplicaCount, idleReplicaCount and initialCooldownPeriod", "[keda]") {
  SECTION("activation from 0 goes to minReplicaCount when it is above 1") {
    KedaState s(scaled_object(2, 20), 0);
    CHECK(*s.poll(seconds(30), 0, {10.0}).replicas == 2);
  }
  SECTION("below minReplicaCount without idle: raised to the minimum even when inactive") {
    KedaState s(scaled_object(2, 20), 0);
    CHECK(*s.poll(seconds(30), 1, {0.0}).replicas == 2);
  }
  SECTION("idleReplicaCount 0 with minReplicaCount 2") {
    models::ScaledObject so = scaled_object(2, 20);
    so.spec.idle_replica_count = 0;
    so.spec.cooldown_period_seconds = 60;
    KedaState s(so, 0);
    // From idle (0 < min 2) an active trigger goes straight to the minimum.
    CHECK(*s.poll(seconds(30), 0, {10.0}).replicas == 2);
    // Inactive for the cooldown (30 + 60 < now): to idle 0, not to the minimum.
    CHECK_FALSE(s.poll(seconds(90), 2, {0.0}).replicas.has_value());
    CHECK(*s.poll(seconds(120), 2, {0.0}).replicas == 0);
  }
  SECTION("never active: initialCooldownPeriod counts from creation") {
    models::ScaledObject so = scaled_object(0, 20);
    KedaState now_zero(so, 0);
    CHECK(*now_zero.poll(seconds(30), 3, {0.0}).replicas == 0);  // 0 + 0 < 30
    so.spec.initial_cooldown_period_seconds = 120;
    KedaState later(so, 0);
    CHECK_FALSE(later.poll(seconds(120), 3, {0.0}).replicas.has_value());  // 120 < 120 no
    CHECK(*later.poll(seconds(150), 3, {0.0}).replicas == 0);
  }
}

TEST_CASE("KEDA: a failing scaler without fallback blocks scale to zero", "[keda]") {
  KedaState s(scaled_object(0, 20), 0);
  CHECK_FALSE(s.poll(0, 2, {150.0}).replicas.has_value());
  // Long past the cooldown, but the scaler errors: no change (scale_scaledobjects.go).
  const KedaPollResult r = s.poll(seconds(600), 2, {std::nullopt});
  CHECK(r.error);
  CHECK_FALSE(r.replicas.has_value());
  CHECK(*s.poll(seconds(630), 2, {0.0}).replicas == 0);
}

TEST_CASE("KEDA fallback after more than failureThreshold errors", "[keda]") {
  models::ScaledObject so = scaled_object(0, 20);
  so.spec.fallback = models::ScaledObjectFallback{3, 6};
  KedaState s(so, 0);
  CHECK_FALSE(s.poll(0, 2, {150.0}).replicas.has_value());  // active: HPA scales
  for (int i = 1; i <= 3; ++i) {
    const KedaPollResult r = s.poll(seconds(30 * i), 2, {std::nullopt});
    CHECK(r.error);
    CHECK_FALSE(r.fallback);  // 1..3 failures: not more than 3
    CHECK_FALSE(r.replicas.has_value());
    // A failed trigger without fallback is missing from the adapter's answer.
    CHECK(s.external_metrics({std::nullopt}).empty());
  }
  const KedaPollResult r = s.poll(seconds(120), 2, {std::nullopt});
  CHECK(r.fallback);
  // The operator does not scale (and, with an error, never to zero); the adapter serves
  // 6 × 100 so the HPA computes ceil(600 / 100) = 6 (ratio 600 / (100 × 2) = 3 > 1.1).
  CHECK_FALSE(r.replicas.has_value());
  const auto m = s.external_metrics({std::nullopt});
  REQUIRE(m.size() == 1);
  CHECK(m[0].values_milli == std::vector<std::int64_t>{600'000});
  HpaInputs in;
  in.status_replicas = 2;
  in.external_metrics = m;
  HpaState hs;
  const HpaDecision d = decide(keda_hpa_for(so), 2, in, seconds(120), hs);
  REQUIRE(d.proposals.size() == 1);
  CHECK(d.proposals[0].replicas == 6);
  // One success resets the failure count.
  CHECK_FALSE(s.poll(seconds(150), 6, {150.0}).fallback);
}

}  // namespace
}  // namespace kubesim::policies
