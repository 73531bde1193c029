// Tests of policies/kpa.hpp: the Knative Pod Autoscaler (Knative Serving v1.x).
//
// Expected values: upstream's unit tests where cited (pkg/autoscaler/scaling/
// autoscaler_test.go, whose helper newTestAutoscaler sets TotalValue = target / 0.75,
// PanicThreshold 2, MaxScaleUpRate 10, MaxScaleDownRate 10, stable window 60 s; the
// excess burst capacity there is expectedEBC = floor(ready × total − TBC − panic)),
// otherwise worked by hand in the comments.
#include "policies/kpa.hpp"

#include <catch2/catch.hpp>
#include <cmath>

namespace kubesim::policies {
namespace {

using sim::seconds;

// upstream newTestAutoscaler(target, tbc, ...).
KpaConfig test_config(double target, double tbc) {
  KpaConfig c;
  c.target_value = target;
  c.total_value = target / 0.75;
  c.target_burst_capacity = tbc;
  c.panic_threshold = 2;
  c.max_scale_up_rate = 10;
  c.max_scale_down_rate = 10;
  c.stable_window = seconds(60);
  c.panic_window = seconds(6);
  return c;
}

std::int32_t expected_ebc(double target, double tbc, double panic, double ready) {
  return static_cast<std::int32_t>(std::floor(target / 0.75 * ready - tbc - panic));
}

models::PodAutoscaler pa_with(std::initializer_list<std::pair<std::string, std::string>> anns) {
  models::PodAutoscaler pa;
  pa.metadata.name = "rev-1";
  for (const auto& [k, v] : anns) pa.metadata.annotations.set(k, v);
  return pa;
}

TEST_CASE("KPA stable mode reproduces upstream autoscaler_test.go cases", "[kpa]") {
  SECTION("TestAutoscalerStableModeIncreaseWithConcurrencyDefault") {
    KpaAutoscaler a(test_config(10, 101), 0, 1);
    auto r = a.scale_observed(0, 1, 50, 10);  // ceil(50/10) = 5
    CHECK(r.desired_pod_count == 5);
    CHECK(r.excess_burst_capacity == expected_ebc(10, 101, 10, 1));
    r = a.scale_observed(0, 1, 100, 10);  // ceil(100/10) = 10 <= ceil(10 × 1)
    CHECK(r.desired_pod_count == 10);
    CHECK_FALSE(r.panicking);
  }
  SECTION("TestAutoscalerStableModeDecrease") {
    KpaAutoscaler a(test_config(10, 98), 0, 1);
    CHECK(a.scale_observed(0, 8, 100, 100).desired_pod_count == 10);
    auto r = a.scale_observed(0, 8, 50, 50);  // 5 >= floor(8/10) = 0
    CHECK(r.desired_pod_count == 5);
    CHECK(r.excess_burst_capacity == expected_ebc(10, 98, 50, 8));
  }
  SECTION("TestAutoscalerStableModeIncreaseWithSmallScaleUpRate") {
    KpaConfig c = test_config(1, 1982);
    c.max_scale_up_rate = 1.1;
    KpaAutoscaler a(c, 0, 2);
    // ceil(1.1 × 2) = 3 lets it grow by one pod although 2.2 truncates to 2.
    auto r = a.scale_observed(0, 2, 3, 3.1);
    CHECK(r.desired_pod_count == 3);
    CHECK(r.excess_burst_capacity == expected_ebc(1, 1982, 3.1, 2));
  }
  SECTION("TestAutoscalerStableModeDecreaseWithSmallScaleDownRate") {
    KpaConfig c = test_config(10, 1982);
    c.max_scale_down_rate = 1.1;
    KpaAutoscaler a(c, 0, 1);
    CHECK(a.scale_observed(0, 100, 1, 1).desired_pod_count == 90);  // floor(100 / 1.1)
    c.reachable = false;  // AutoscalerStableModeDecreaseNonReachable: no floor
    KpaAutoscaler u(c, 0, 1);
    CHECK(u.scale_observed(0, 100, 1, 1).desired_pod_count == 1);
  }
  SECTION("TestAutoscalerRateLimitScaleUp / ScaleDown") {
    KpaAutoscaler a(test_config(10, 61), 0, 1);
    CHECK(a.scale_observed(0, 1, 1000, 1001).desired_pod_count == 10);    // x10 cap
    CHECK(a.scale_observed(0, 10, 1000, 1001).desired_pod_count == 100);  // x10 again
    KpaAutoscaler d(test_config(10, 61), 0, 1);
    CHECK(d.scale_observed(0, 100, 1, 1).desired_pod_count == 10);  // ÷10
    CHECK(d.scale_observed(0, 10, 1, 1).desired_pod_count == 1);
  }
  SECTION("unlimited and zero target burst capacity (AutoscalerStableModeUnlimitedTBC, 0TBC)") {
    KpaAutoscaler a(test_config(181, -1), 0, 1);
    auto r = a.scale_observed(0, 1, 21, 26);
    CHECK(r.desired_pod_count == 1);
    CHECK(r.excess_burst_capacity == -1);
    KpaAutoscaler z(test_config(10, 0), 0, 1);
    r = z.scale_observed(0, 1, 50, 49);
    CHECK(r.desired_pod_count == 5);
    CHECK(r.excess_burst_capacity == 0);
  }
  SECTION("TestAutoscalerActivationScale") {
    KpaConfig c = test_config(10, 75);
    c.activation_scale = 2;
    KpaAutoscaler a(c, 0, 1);
    CHECK(a.scale_observed(0, 1, 0, 0).desired_pod_count == 0);
    CHECK(a.scale_observed(0, 1, 1, 0).desired_pod_count == 2);  // ceil(0.1) = 1 -> 2
  }
  SECTION("TestAutoscalerUseOnePodAsMinimumIfEndpointsNotFound") {
    KpaAutoscaler a(test_config(10, 81), 0, 1);
    // ready 0 counts as 1: cap ceil(10 × 1) = 10; EBC uses the real 0.
    auto r = a.scale_observed(0, 0, 1000, 888);
    CHECK(r.desired_pod_count == 10);
    CHECK(r.excess_burst_capacity == expected_ebc(10, 81, 888, 0));
  }
}

TEST_CASE("KPA panic mode reproduces upstream autoscaler_test.go cases", "[kpa]") {
  SECTION("TestAutoscalerPanicModeDoublePodCount") {
    KpaAutoscaler a(test_config(10, 84), 0, 1);
    auto r = a.scale_observed(0, 1, 50, 100);  // dppc 10, 10/1 >= 2: panic, max(5, 10)
    CHECK(r.desired_pod_count == 10);
    CHECK(r.panicking);
  }
  SECTION("TestAutoscalerPanicThenUnPanicScaleDown") {
    KpaAutoscaler a(test_config(10, 93), 0, 1);
    CHECK(a.scale_observed(0, 1, 100, 100).desired_pod_count == 10);
    const sim::Time t0 = seconds(10);
    auto r = a.scale_observed(t0, 10, 100, 1000);  // dppc 100, 100/10 >= 2
    CHECK(r.desired_pod_count == 100);
    CHECK(a.panic_time() == t0);
    // Traffic gone; still panicking 30 s later: no scale-down.
    CHECK(a.scale_observed(t0 + seconds(30), 10, 1, 1).desired_pod_count == 100);
    // 61 s later (panic time + 60 s < now): back to stable, ceil(1/10) = 1.
    r = a.scale_observed(t0 + seconds(61), 10, 1, 1);
    CHECK(r.desired_pod_count == 1);
    CHECK_FALSE(r.panicking);
  }
  SECTION("TestAutoscalerUnpanicAfterSlowIncrease") {
    KpaAutoscaler a(test_config(1, 98), 0, 1);
    const sim::Time t0 = seconds(100);
    CHECK(a.scale_observed(t0, 10, 11, 25).desired_pod_count == 25);
    // 30 s on, 40 ready: 41 / 40 < 2, panic time stays at t0.
    CHECK(a.scale_observed(t0 + seconds(30), 40, 30, 41).desired_pod_count == 41);
    CHECK(a.panic_time() == t0);
    // 62 s on: t0 + 60 s < now, panic over; stable 50.
    auto r = a.scale_observed(t0 + seconds(62), 55, 50, 56);
    CHECK(r.desired_pod_count == 50);
    CHECK_FALSE(a.panicking());
  }
  SECTION("TestAutoscalerPanicStableLargerThanPanic") {
    KpaAutoscaler a(test_config(1, 100), 0, 5);  // starts in panic with maxPanicPods 5
    REQUIRE(a.panicking());
    CHECK(a.max_panic_pods() == 5);
    CHECK(a.scale_observed(seconds(5), 5, 50, 30).desired_pod_count == 50);
  }
  SECTION("TestStartInPanicMode: only with more than one ready pod") {
    CHECK_FALSE(KpaAutoscaler(test_config(1, 100), 0, 1).panicking());
    CHECK(KpaAutoscaler(test_config(1, 100), 0, 2).panicking());
  }
}

TEST_CASE("KPA scale-down delay keeps the maximum of the window (TestAutoscalerScaleDownDelay)",
          "[kpa]") {
  KpaConfig c = test_config(10, 0);
  c.panic_threshold = 100;
  c.scale_down_delay = sim::minutes(5);
  KpaAutoscaler a(c, 0, 0);
  CHECK(a.scale_observed(seconds(2), 0, 40, 40).desired_pod_count == 4);
  CHECK(a.scale_observed(sim::minutes(5), 0, 0, 0).desired_pod_count == 4);
  CHECK(a.scale_observed(sim::minutes(5) + seconds(2), 0, 0, 0).desired_pod_count == 0);
  // "gradual"
  CHECK(a.scale_observed(sim::minutes(9), 0, 40, 40).desired_pod_count == 4);
  CHECK(a.scale_observed(sim::minutes(10), 0, 30, 30).desired_pod_count == 4);
  CHECK(a.scale_observed(sim::minutes(11), 0, 0, 0).desired_pod_count == 4);
  CHECK(a.scale_observed(sim::minutes(14), 0, 0, 0).desired_pod_count == 3);
  CHECK(a.scale_observed(sim::minutes(15), 0, 0, 0).desired_pod_count == 0);
}

TEST_CASE("KPA window averages like upstream TimedFloat64Buckets", "[kpa]") {
  KpaWindow w(seconds(5));
  CHECK(w.is_empty(0));
  w.record(seconds(1), 10);
  w.record(seconds(1) + 500 * sim::kMillisecond, 2);  // same bucket: 12
  w.record(seconds(2), 6);
  // Partial window: (12 + 6) / 2 buckets.
  CHECK(w.window_average(seconds(2)) == Approx(9.0));
  // 1 s later without a write: the missing bucket is outside the average: 18 / 2... over
  // min(span 2, 5 - 1) = 2 buckets.
  CHECK(w.window_average(seconds(3)) == Approx(9.0));
  // A gap is zeros once the window is full: writes at 4..8 (5 buckets).
  w.record(seconds(4), 5);
  // buckets 1..4 = 12, 6, 0, 5 -> 23 / 4
  CHECK(w.window_average(seconds(4)) == Approx(5.75));
  w.record(seconds(6), 5);  // window 2..6: 6, 0, 5, 0, 5 -> 16 / 5
  CHECK(w.window_average(seconds(6)) == Approx(3.2));
  // More than a window without data: empty, average 0.
  CHECK(w.window_average(seconds(12)) == 0);
  CHECK(w.is_empty(seconds(12)));
  // The next write starts a partial window again.
  w.record(seconds(20), 7);
  CHECK(w.window_average(seconds(20)) == Approx(7.0));
}

TEST_CASE("KPA config from annotations: upstream defaults and ResolveMetricTarget", "[kpa]") {
  SECTION("defaults: 100 x 70 % = 70, panic window 6 s") {
    const KpaConfig c = kpa_config_for(pa_with({}));
    CHECK(c.target_value == Approx(70));
    CHECK(c.total_value == 100);
    CHECK(c.panic_window == seconds(6));
    CHECK(c.panic_threshold == 2.0);
    CHECK(c.target_burst_capacity == 211);
    CHECK(c.max_scale_up_rate == 1000);
    CHECK(c.max_scale_down_rate == 2);
    CHECK(c.initial_scale == 1);
    CHECK(c.scale_to_zero_grace_period == seconds(30));
  }
  SECTION("containerConcurrency caps an annotation target") {
    auto pa = pa_with({{"autoscaling.knative.dev/target", "50"}});
    pa.spec.container_concurrency = 10;
    const KpaConfig c = kpa_config_for(pa);
    CHECK(c.total_value == 10);          // min(50, 10)
    CHECK(c.target_value == Approx(7));  // 10 × 0.7
  }
  SECTION("rps metric, utilization, window 20s, panic 15 %") {
    const KpaConfig c = kpa_config_for(pa_with({{"autoscaling.knative.dev/metric", "rps"},
                                                {"autoscaling.knative.dev/target-utilization-"
                                                 "percentage",
                                                 "50"},
                                                {"autoscaling.knative.dev/window", "20s"},
                                                {"autoscaling.knative.dev/panic-window-"
                                                 "percentage",
                                                 "15"}}));
    CHECK(c.metric == KpaMetric::kRps);
    CHECK(c.target_value == Approx(100));  // 200 × 0.5
    CHECK(c.panic_window == seconds(3));   // 20 s × 15 % = 3 s
  }
  SECTION("a 1 % panic window of 60 s rounds to 1 s; of 6 s is raised to 1 s") {
    CHECK(kpa_config_for(pa_with({{"autoscaling.knative.dev/panic-window-percentage", "1"}}))
              .panic_window == seconds(1));
    CHECK(kpa_config_for(pa_with({{"autoscaling.knative.dev/window", "6s"},
                                  {"autoscaling.knative.dev/panic-window-percentage", "1"}}))
              .panic_window == seconds(1));
  }
  SECTION("bad annotations are errors naming the key") {
    auto errs = validate_kpa_annotations(
        pa_with({{"autoscaling.knative.dev/panic-threshold-percentage", "100"},
                 {"autoscaling.knative.dev/window", "5s"},
                 {"autoscaling.knative.dev/min-scale", "5"},
                 {"autoscaling.knative.dev/max-scale", "2"},
                 {"autoscaling.knative.dev/targt", "10"},
                 {"autoscaling.knative.dev/initial-scale", "0"}})
            .metadata.annotations);
    REQUIRE(errs.size() == 5);
    // Sorted by key: initial-scale, panic-threshold-percentage, targt, window; then min/max.
    CHECK(errs[0].key == "autoscaling.knative.dev/initial-scale");
    CHECK(errs[1].message == "expected 110 <= value <= 1000");
    CHECK(errs[2].unknown_key);
    CHECK(errs[3].key == "autoscaling.knative.dev/window");
    CHECK(errs[4].message == "max-scale=2 is less than min-scale=5");
  }
  SECTION("the cluster config is validated like config.go") {
    KpaClusterConfig cc;
    CHECK(validate_kpa_cluster_config(cc).empty());
    cc.max_scale_up_rate = 1.0;
    CHECK(validate_kpa_cluster_config(cc) == "max-scale-up-rate must be greater than 1.0");
  }
}

// The panic-mode timeline of kubesim issue 4 (item 11), through the windows.
// 10 ready pods, target 10 concurrent requests per pod (annotations target=10,
// target-utilization-percentage=100), max-scale-up-rate 1.5 (config-autoscaler), total
// concurrency 100 for t = 0..59 s, 300 for t = 60..64 s, 100 again from t = 65 s.
TEST_CASE("KPA panic timeline: enter, capped scale-up, no scale-down, exit after 60 s", "[kpa]") {
  KpaClusterConfig cc;
  cc.max_scale_up_rate = 1.5;
  const KpaConfig c =
      kpa_config_for(pa_with({{"autoscaling.knative.dev/target", "10"},
                              {"autoscaling.knative.dev/target-utilization-percentage", "100"}}),
                     cc);
  REQUIRE(c.target_value == Approx(10));
  REQUIRE(c.panic_window == seconds(6));
  KpaAutoscaler a(c, 0, 0);
  auto feed = [&](int from, int to) {
    for (int t = from; t <= to; ++t) a.record(seconds(t), t >= 60 && t <= 64 ? 300 : 100);
  };
  feed(0, 62);
  // t = 62: panic window 57..62 = 3×100 + 3×300 = 1200 / 6 = 200 -> dppc = 20;
  // 20 / 10 ready = 2.0 >= 2.0: panic. Stable window 3..62 = 57×100 + 3×300 = 6600 / 60 =
  // 110 -> dspc = 11. Cap ceil(1.5 × 10) = 15, floor floor(10 / 2) = 5.
  // desired = max(11, min(20, 15)) = 15. EBC = floor(10 × 10 − 211 − 200) = −311.
  KpaDecision d = a.scale(seconds(62), 10);
  CHECK(d.decider.observed_panic == Approx(200));
  CHECK(d.decider.observed_stable == Approx(110));
  CHECK(d.decider.desired_panic_pods == 20);
  CHECK(d.decider.max_scale_up == 15);
  CHECK(d.panicking);
  REQUIRE(d.replicas.has_value());
  CHECK(*d.replicas == 15);
  CHECK(d.excess_burst_capacity == -311);
  CHECK(d.activator_in_path);
  CHECK(a.panic_time() == seconds(62));
  CHECK(d.reason ==
        "panic: stable 110, panic 200 / target 10 per pod -> 11 / 20 pods, ready 10, range "
        "[5, 15] -> 15; Active");

  feed(63, 122);
  // t = 122, 15 ready: panic window 117..122 all 100 -> dppc = 10, 10/15 < 2: not over, but
  // panic time 62 + 60 s is not before 122: still panicking. Stable 63..122 = 2×300 +
  // 58×100 = 6400 / 60 = 106.666666 -> dspc = 11 < maxPanicPods 15: scale-down blocked.
  d = a.scale(seconds(122), 15);
  CHECK(d.panicking);
  CHECK(d.decider.desired_stable_pods == 11);
  CHECK(*d.replicas == 15);
  CHECK(d.excess_burst_capacity == -161);  // floor(15 × 10 − 211 − 100)

  feed(123, 124);
  // t = 124: 62 + 60 s < 124: panic over. Stable 65..124 all 100 -> 10 pods (floor
  // floor(15/2) = 7 does not bind).
  d = a.scale(seconds(124), 15);
  CHECK_FALSE(d.panicking);
  CHECK(*d.replicas == 10);
  CHECK(a.max_panic_pods() == 0);
}

// Scale to zero: 1 pod, 5 concurrent requests until t = 99 s, then none. Ticks every 2 s.
// The stable average first reaches 0 at the tick t = 160 (window 101..160 all zero; at 158
// the window 99..158 still holds the 5). Then the PA has been Active for >= 60 s, so it
// turns Inactive at 160 (activator in the path) without scaling; the grace period of 30 s
// runs from there: replicas 0 at t = 190.
TEST_CASE("KPA scales to zero after the stable window and the grace period", "[kpa]") {
  const KpaConfig c = kpa_config_for(pa_with({{"autoscaling.knative.dev/target", "10"}}));
  auto run = [&](const KpaConfig& cfg) {
    KpaAutoscaler a(cfg, 0, 0);
    std::int32_t replicas = 1;  // the Revision's Deployment is created at initial scale 1
    std::optional<sim::Time> inactive_at;
    for (int t = 0; t <= 400; ++t) {
      a.record(seconds(t), t < 100 ? 5 : 0);
      if (t % 2 != 0 || t == 0) continue;
      const KpaDecision d = a.scale(seconds(t), replicas);
      if (!inactive_at && d.activity == KpaActivity::kInactive) inactive_at = seconds(t);
      if (d.replicas) replicas = *d.replicas;
      if (replicas == 0) return std::make_pair(inactive_at, seconds(t));
    }
    return std::make_pair(inactive_at, sim::Time{-1});
  };
  SECTION("defaults: grace 30 s") {
    auto [inactive, zero] = run(c);
    CHECK(inactive == seconds(160));
    CHECK(zero == seconds(190));
  }
  SECTION("scale-to-zero-pod-retention-period 90s keeps the last pod 90 s after Inactive") {
    const KpaConfig r = kpa_config_for(
        pa_with({{"autoscaling.knative.dev/target", "10"},
                 {"autoscaling.knative.dev/scale-to-zero-pod-retention-period", "90s"}}));
    auto [inactive, zero] = run(r);
    CHECK(inactive == seconds(160));
    CHECK(zero == seconds(250));
  }
  SECTION("min-scale 1 never scales to zero") {
    const KpaConfig m = kpa_config_for(pa_with(
        {{"autoscaling.knative.dev/target", "10"}, {"autoscaling.knative.dev/min-scale", "1"}}));
    auto [inactive, zero] = run(m);
    CHECK(zero == -1);
  }
}

TEST_CASE("KPA activation from zero, initial scale and max-scale", "[kpa]") {
  SECTION("traffic at zero activates: ready 0 counts as 1") {
    KpaConfig c = kpa_config_for(pa_with({{"autoscaling.knative.dev/target", "10"}}));
    KpaAutoscaler a(c, 0, 0);
    // target 10 × utilization 70 % = 7 per pod. 35 requests buffered at the activator:
    // ceil(35 / 7) = 5 (cap ceil(1000 × max(1, 0 ready)) = 1000).
    CHECK(c.target_value == Approx(7));
    a.record(seconds(1), 35);
    KpaDecision d = a.scale(seconds(2), 0);
    REQUIRE(d.replicas.has_value());
    CHECK(*d.replicas == 5);
    CHECK(d.activity == KpaActivity::kActivating);
    a.record(seconds(3), 35);
    d = a.scale(seconds(4), 4);
    CHECK(d.activity == KpaActivity::kActive);
    CHECK(d.activity_since == seconds(4));
  }
  SECTION("initial-scale 3 is a floor until the target first reached it") {
    KpaConfig c = kpa_config_for(pa_with({{"autoscaling.knative.dev/target", "10"},
                                          {"autoscaling.knative.dev/initial-scale", "3"}}));
    KpaAutoscaler a(c, 0, 0);
    a.record(seconds(1), 5);
    KpaDecision d = a.scale(seconds(2), 1);
    CHECK(*d.replicas == 3);     // ceil(5/7) = 1 raised to 3
    d = a.scale(seconds(4), 3);  // 3 ready: initialized
    CHECK(d.activity == KpaActivity::kActive);
    a.record(seconds(5), 5);
    d = a.scale(seconds(6), 3);
    CHECK(*d.replicas == 1);  // avg 2 -> ceil(2/7) = 1; floor(3/2) = 1
  }
  SECTION("max-scale caps the desired count") {
    KpaConfig c = kpa_config_for(pa_with(
        {{"autoscaling.knative.dev/target", "10"}, {"autoscaling.knative.dev/max-scale", "3"}}));
    KpaAutoscaler a(c, 0, 0);
    a.record(seconds(1), 500);
    KpaDecision d = a.scale(seconds(2), 2);
    CHECK(d.decider.desired_pod_count == 72);  // ceil(500 / 7)
    CHECK(*d.replicas == 3);
  }
  SECTION("no data yet and not activating: leave the target alone") {
    KpaConfig c = kpa_config_for(pa_with({}));
    KpaAutoscaler a(c, 0, 0);
    KpaDecision d = a.scale(seconds(2), 1);  // Activating, desired -1 -> bounds -> ...
    // upstream: applyBounds(0, 0, -1) = 0 -> handleScaleToZero while Activating: wait.
    CHECK_FALSE(d.replicas.has_value());
    CHECK(d.activity == KpaActivity::kActive);  // 1 ready >= 1: Active
    d = a.scale(seconds(4), 1);
    CHECK_FALSE(d.replicas.has_value());
    CHECK(d.reason.find("no metrics yet") != std::string::npos);
  }
}

// kpa.go: SKS proxy mode when want == 0, EBC < 0, or no decision while Inactive;
// multiscaler.go createScaler: before the first valid tick EBC = initial scale × total − TBC.
TEST_CASE("KPA activator in path follows the excess burst capacity", "[kpa]") {
  SECTION("defaults: EBC = 1 × 100 − 211 = −111 before any data") {
    KpaAutoscaler a(kpa_config_for(pa_with({})), 0, 0);
    const KpaDecision d = a.scale(sim::seconds(2), 1);
    CHECK(d.excess_burst_capacity == -111);
    CHECK(d.activator_in_path);
  }
  SECTION("target-burst-capacity 0: out of the path while serving, in it at desired 0") {
    KpaAutoscaler a(
        kpa_config_for(pa_with({{"autoscaling.knative.dev/target-burst-capacity", "0"}})), 0, 0);
    a.record(sim::seconds(1), 30);
    KpaDecision d = a.scale(sim::seconds(2), 1);
    CHECK(d.excess_burst_capacity == 0);
    CHECK_FALSE(d.activator_in_path);
    CHECK_FALSE(a.wants_poke(5));  // last decision 1, not 0
    // 60 s of zeros: desired 0 -> proxy mode.
    for (int t = 2; t <= 70; ++t) a.record(sim::seconds(t), 0);
    d = a.scale(sim::seconds(70), 1);
    CHECK(d.desired == 0);
    CHECK(d.activator_in_path);
    CHECK(a.wants_poke(5));
    CHECK_FALSE(a.wants_poke(0));
  }
}

// scaler.go handleScaleToZero: a PA stuck Activating (no ready pod) may scale to zero only
// after the activation timeout, progress-deadline 600 s + 10 s, strictly exceeded
// (PodAutoscalerStatus.CanFailActivation).
TEST_CASE("KPA gives up activation after the progress deadline", "[kpa]") {
  KpaAutoscaler a(kpa_config_for(pa_with({})), 0, 0);
  for (int t = 0; t <= 612; t += 2) {
    a.record(sim::seconds(t), 0);
    const KpaDecision d = a.scale(sim::seconds(t), 0);
    INFO("t = " << t);
    if (t <= 610) {
      CHECK_FALSE(d.replicas.has_value());
      CHECK(d.activity == KpaActivity::kActivating);
    } else {
      REQUIRE(d.replicas.has_value());
      CHECK(*d.replicas == 0);
      CHECK(d.activity == KpaActivity::kInactive);
    }
  }
}

}  // namespace
}  // namespace kubesim::policies
