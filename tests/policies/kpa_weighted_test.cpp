// Tests of the KPA's weightedExponential window aggregation (policies/kpa.hpp KpaWindow with
// KpaAggregation::kWeightedExponential), upstream knative.dev/serving v1.15
// pkg/autoscaler/aggregation/bucketing.go (WeightedFloat64Buckets, computeSmoothingCoeff:
// weightPrecision 0.9999, minExponent 0.2) and pkg/autoscaler/metrics/collector.go (the
// stable and the panic window both use the annotation's algorithm).
//
// The weighted average at `now` is Σ over the window's buckets of v(t) × a × (1 − a)^(now − t),
// t in (now − n, now], not renormalized. Expected values were computed independently with a
// few lines of Python over exactly that sum:
//   w = lambda vals, now, n, a: sum(v*a*(1-a)**(now-t) for t, v in vals.items()
//                                   if now - n < t <= now)
// and are also given in closed form next to each check.
#include <catch2/catch.hpp>
#include <cmath>

#include "policies/kpa.hpp"

namespace kubesim::policies {
namespace {

using sim::seconds;

models::PodAutoscaler pa_with(std::initializer_list<std::pair<std::string, std::string>> anns) {
  models::PodAutoscaler pa;
  pa.metadata.name = "rev-1";
  for (const auto& [k, v] : anns) pa.metadata.annotations.set(k, v);
  return pa;
}

constexpr std::string_view kAlgorithm = "autoscaling.knative.dev/metric-aggregation-algorithm";

TEST_CASE("KPA weightedExponential smoothing coefficient (computeSmoothingCoeff)", "[kpa]") {
  // 1 − (1 − 0.9999)^(1/n) = 1 − 10^(−4/n), floored at 0.2.
  // n = 6 (the default panic window): 1 − 10^(−2/3) = 0.7845565309968117.
  CHECK(kpa_smoothing_coeff(6) == Approx(0.7845565309968117).epsilon(1e-12));
  // n = 41: 1 − 10^(−4/41) = 0.20119821919842973 (still above the floor).
  CHECK(kpa_smoothing_coeff(41) == Approx(0.20119821919842973).epsilon(1e-12));
  // n = 42: 0.1969... < 0.2 -> the floor; n = 60 (the default stable window): 0.1423 -> 0.2.
  CHECK(kpa_smoothing_coeff(42) == 0.2);
  CHECK(kpa_smoothing_coeff(60) == 0.2);
  // The window computes it from its bucket count: ceil(window / 1 s).
  CHECK(
      KpaWindow(seconds(60), seconds(1), KpaAggregation::kWeightedExponential).smoothing_coeff() ==
      0.2);
  CHECK(KpaWindow(seconds(6), seconds(1), KpaAggregation::kWeightedExponential).smoothing_coeff() ==
        Approx(0.7845565309968117).epsilon(1e-12));
}

TEST_CASE("KPA weightedExponential window: a step in load over a 60 s window", "[kpa]") {
  KpaWindow weighted(seconds(60), seconds(1), KpaAggregation::kWeightedExponential);
  KpaWindow linear(seconds(60), seconds(1));
  // 10 for t = 0..49 s, 50 for t = 50..59 s.
  for (int t = 0; t < 60; ++t) {
    weighted.record(seconds(t), t < 50 ? 10 : 50);
    linear.record(seconds(t), t < 50 ? 10 : 50);
  }
  // a = 0.2: 50 × (1 − 0.8^10) + 10 × (0.8^10 − 0.8^60) = 45.705017379044584 (Python)
  CHECK(weighted.window_average(seconds(59)) == Approx(45.705017379044584).epsilon(1e-12));
  // The linear average of the same buckets: (50 × 10 + 10 × 50) / 60 = 16.666666 (rounded
  // down to 6 decimals).
  CHECK(linear.window_average(seconds(59)) == Approx(16.666666).epsilon(1e-12));
}

TEST_CASE("KPA weightedExponential window: partial window, gaps, empty window", "[kpa]") {
  KpaWindow w(seconds(60), seconds(1), KpaAggregation::kWeightedExponential);
  CHECK(w.window_average(0) == 0);  // nothing written: empty
  for (int t = 0; t < 5; ++t) w.record(seconds(t), 10);
  // Partial window: the 55 buckets before the first write are zeros and the weights are not
  // renormalized: 10 × (1 − 0.8^5) = 6.7232 (the linear average would say 10).
  CHECK(w.window_average(seconds(4)) == Approx(6.7232).epsilon(1e-12));
  // `now` inside a bucket is truncated to it.
  CHECK(w.window_average(seconds(4) + 700 * sim::kMillisecond) == Approx(6.7232).epsilon(1e-12));
  // 3 s without writes: the newest weight is 0.2 × 0.8^3: 10 × (0.8^3 − 0.8^8) = 3.4422784.
  CHECK(w.window_average(seconds(7)) == Approx(3.4422784).epsilon(1e-12));
  // Exactly a window after the last write: not empty (IsEmpty is strict), but all 60
  // buckets are skipped: 0. One more second: empty, 0.
  CHECK_FALSE(w.is_empty(seconds(64)));
  CHECK(w.window_average(seconds(64)) == 0);
  CHECK(w.is_empty(seconds(65)));
  CHECK(w.window_average(seconds(65)) == 0);
  // A gap shorter than the window is zeros: write 10 at t = 5 s, nothing at 6..7, 20 at 8 s.
  KpaWindow g(seconds(60), seconds(1), KpaAggregation::kWeightedExponential);
  g.record(seconds(5), 10);
  g.record(seconds(8), 20);
  // 20 × 0.2 + 10 × 0.2 × 0.8^3 = 4 + 1.024 = 5.024
  CHECK(g.window_average(seconds(8)) == Approx(5.024).epsilon(1e-12));
}

TEST_CASE("KPA weightedExponential: stable and panic windows through the autoscaler", "[kpa]") {
  // Per-pod target 10, 60 s stable and 6 s panic windows, one ready pod; load 10 for
  // t = 0..56 s and 50 for t = 57..59 s, one tick at t = 59 s.
  KpaConfig c;
  c.target_value = 10;
  c.total_value = 10;
  c.stable_window = seconds(60);
  c.panic_window = seconds(6);
  c.target_burst_capacity = 0;
  c.aggregation = KpaAggregation::kWeightedExponential;
  KpaConfig lin = c;
  lin.aggregation = KpaAggregation::kLinear;
  KpaAutoscaler weighted(c, 0);
  KpaAutoscaler linear(lin, 0);
  for (int t = 0; t < 60; ++t) {
    weighted.record(seconds(t), t < 57 ? 10 : 50);
    linear.record(seconds(t), t < 57 ? 10 : 50);
  }
  const KpaDecision w = weighted.scale(seconds(59), 1);
  REQUIRE(w.decider.valid);
  // stable, a = 0.2: 50 × (1 − 0.8^3) + 10 × (0.8^3 − 0.8^60) = 29.519984675... (Python)
  CHECK(w.decider.observed_stable == Approx(29.519984675044594).epsilon(1e-12));
  // panic, a = 1 − 10^(−2/3), (1 − a)^3 = 0.01, (1 − a)^6 = 1e-4:
  // 50 × (1 − 0.01) + 10 × (0.01 − 0.0001) = 49.5 + 0.099 = 49.599
  CHECK(w.decider.observed_panic == Approx(49.599).epsilon(1e-12));
  // dspc = ceil(29.52 / 10) = 3, dppc = ceil(49.599 / 10) = 5; 5 / 1 ready >= 2: panic,
  // desired max(3, 5) = 5.
  CHECK(w.decider.desired_stable_pods == 3);
  CHECK(w.decider.desired_panic_pods == 5);
  CHECK(w.decider.panicking);
  CHECK(w.decider.desired_pod_count == 5);

  // The linear path is unchanged: stable (57 × 10 + 3 × 50) / 60 = 12, panic
  // (3 × 10 + 3 × 50) / 6 = 30 -> dspc 2, dppc 3; 3 / 1 >= 2: panic, desired 3.
  const KpaDecision l = linear.scale(seconds(59), 1);
  CHECK(l.decider.observed_stable == Approx(12.0));
  CHECK(l.decider.observed_panic == Approx(30.0));
  CHECK(l.decider.desired_pod_count == 3);
}

TEST_CASE("KPA metric-aggregation-algorithm annotation (annotation_validation.go)", "[kpa]") {
  SECTION("default and linear") {
    CHECK(kpa_config_for(pa_with({})).aggregation == KpaAggregation::kLinear);
    CHECK(kpa_config_for(pa_with({{std::string(kAlgorithm), "linear"}})).aggregation ==
          KpaAggregation::kLinear);
    CHECK(validate_kpa_annotations(
              pa_with({{std::string(kAlgorithm), "linear"}}).metadata.annotations)
              .empty());
  }
  SECTION("weighted-exponential and its alternate spelling weightedExponential") {
    for (const char* v : {"weighted-exponential", "weightedExponential"}) {
      const auto pa = pa_with({{std::string(kAlgorithm), v}});
      CHECK(validate_kpa_annotations(pa.metadata.annotations).empty());
      const KpaConfig c = kpa_config_for(pa);
      CHECK(c.aggregation == KpaAggregation::kWeightedExponential);
      // The autoscaler's both windows take it.
      const KpaAutoscaler a(c, 0);
      CHECK(a.stable_window().aggregation() == KpaAggregation::kWeightedExponential);
      CHECK(a.panic_window().aggregation() == KpaAggregation::kWeightedExponential);
    }
  }
  SECTION("anything else is an error naming the key and the accepted values") {
    const auto errs = validate_kpa_annotations(
        pa_with({{std::string(kAlgorithm), "exponential"}}).metadata.annotations);
    REQUIRE(errs.size() == 1);
    CHECK(errs[0].key == kAlgorithm);
    CHECK(errs[0].value == "exponential");
    CHECK(errs[0].message ==
          "invalid value: expected linear, weighted-exponential or weightedExponential");
    CHECK_FALSE(errs[0].unknown_key);
    // The bad value keeps the default.
    CHECK(kpa_config_for(pa_with({{std::string(kAlgorithm), "exponential"}})).aggregation ==
          KpaAggregation::kLinear);
  }
}

}  // namespace
}  // namespace kubesim::policies
