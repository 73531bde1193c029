// kubesim explain for a Knative PodAutoscaler from the per-second history the autoscaler
// records (kubesim.io/load-history): the stable (60 s) and panic (6 s) windows are computed
// by the running controller's code (policies::KpaAutoscaler::record + scale, upstream
// knative.dev/serving v1.15 pkg/autoscaler/aggregation/bucketing.go WindowAverage: the sum
// of the buckets written since the window's first write divided by their count, zeros for
// gaps, a reset after a whole window without data), then one decision
// (pkg/autoscaler/scaling/autoscaler.go Scale, pkg/reconciler/autoscaling/kpa/scaler.go).
// Every expected value is worked by hand next to its check. Per-pod target: annotation
// target 10 × target-utilization-percentage 100 = 10 (TotalValue 10).
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

// The decision is at 08:10:00; objects were created at 08:00:00.
const std::int64_t kNow = *scenarios::parse_rfc3339("2025-09-01T08:10:00Z");

std::string deployment_and_pods(const std::string& name, int replicas) {
  std::string out = testing::shop_deployment_yaml(name, replicas);
  for (int i = 0; i < replicas; ++i) out += testing::shop_ready_pod_yaml(name, i);
  return out;
}

// One sample per second at 08:MM:SS for every second `from`..`to` (seconds after 08:09:00,
// 60 = 08:10:00), of value f(s).
template <typename F>
std::string samples(int from, int to, F f, bool open = true, bool close = true) {
  std::string out = open ? "[" : "";
  for (int s = from; s <= to; ++s) {
    const int t = 9 * 60 + s;  // seconds after 08:00:00
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s{\"time\": \"2025-09-01T08:%02d:%02dZ\", \"value\": %g}",
                  (s == from && open) ? "" : ", ", t / 60, t % 60, f(s));
    out += buf;
  }
  if (close) out += "]";
  return out;
}

std::string pod_autoscaler(const std::string& name, const std::string& annotations,
                           const std::string& status = "") {
  return R"(---
apiVersion: autoscaling.internal.knative.dev/v1alpha1
kind: PodAutoscaler
metadata:
  name: )" +
         name + R"(
  namespace: shop
  creationTimestamp: "2025-09-01T08:00:00Z"
  annotations:
    autoscaling.knative.dev/target: "10"
    autoscaling.knative.dev/target-utilization-percentage: "100"
)" + annotations +
         R"(spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: )" +
         name + "}\n" + status;
}

std::string history(const std::string& json) {
  return "    kubesim.io/load-history: '" + json + "'\n";
}

const ExplainAutoscaler& find(const AutoscalerExplanation& e, const std::string& name) {
  for (const auto& a : e.autoscalers) {
    if (a.name == name) return a;
  }
  FAIL("no autoscaler " << name);
  return e.autoscalers.front();
}

TEST_CASE("explain KPA from a per-second history: stable and panic windows, panic entered",
          "[explain][kpa]") {
  // 60 samples 08:09:01..08:10:00: 10 for the first 54 seconds, 40 for the last 6.
  //   stable (60 buckets): (54 x 10 + 6 x 40) / 60 = 780 / 60 = 13;
  //   panic (6 buckets, 08:09:55..08:10:00): 6 x 40 / 6 = 40.
  // dspc = ceil(13 / 10) = 2, dppc = ceil(40 / 10) = 4; 2 ready: 4 / 2 = 2 >= panic threshold
  // 2 (200 %): panic entered; desired max(2, 4) = 4 (maxPanicPods from the current 2 -> 4),
  // within [floor(2 / 2) = 1, ceil(1000 x 2) = 2000]: 2 -> 4.
  // EBC = floor(2 x 10 - 211 - 40) = -231 < 0: the activator is in the path.
  const std::string state =
      deployment_and_pods("surge", 2) +
      pod_autoscaler("surge", history(samples(1, 60, [](int s) { return s <= 54 ? 10.0 : 40.0; })));
  auto e = explain_autoscalers(testing::read_manifests_ok(state), kNow);
  REQUIRE(e);
  const ExplainAutoscaler& a = find(*e, "shop/surge");
  REQUIRE(a.kpa.has_value());
  CHECK(a.kpa->from_history);
  CHECK(a.kpa->history_samples == 60);
  CHECK(a.kpa->decision.decider.observed_stable == 13);
  CHECK(a.kpa->decision.decider.observed_panic == 40);
  CHECK(a.kpa->decision.decider.desired_stable_pods == 2);
  CHECK(a.kpa->decision.decider.desired_panic_pods == 4);
  CHECK(a.kpa->decision.panicking);
  CHECK(a.desired_replicas == 4);
  CHECK(a.kpa->decision.excess_burst_capacity == -231);
  CHECK(a.kpa->decision.activator_in_path);
  CHECK(a.reason.rfind("panic: concurrency stable 13 (1m0s window), panic 40 (6s window) / "
                       "target 10 per pod -> 2 / 4 pods; 4 pods for 2 ready = 2x >= panic "
                       "threshold 2x (panic entered) -> 4",
                       0) == 0);
  CHECK(a.reason.find("scale 2 -> 4") != std::string::npos);
  CHECK(a.reason.find("windows computed from 60 per-second samples (kubesim.io/load-history)") !=
        std::string::npos);
  auto j = nlohmann::json::parse(render_autoscalers_json(*e));
  const auto& k = j["autoscalers"][0]["kpa"];
  CHECK(k["windows"] == "history");
  CHECK(k["historySamples"] == 60);
  CHECK(k["stableWindow"] == "1m0s");
  CHECK(k["panicWindow"] == "6s");
  CHECK(k["observedStable"] == 13.0);
  CHECK(k["observedPanic"] == 40.0);
  CHECK(k["excessBurstCapacity"] == -231);
}

TEST_CASE("explain KPA from a history: partial windows, gaps, scale-down rate, scale to zero",
          "[explain][kpa]") {
  const std::string state =
      // partial: 10 samples of 30 (08:09:51..08:10:00). A window first written 10 s ago
      // averages its 10 buckets: stable 300 / 10 = 30 (not 300 / 60 = 5), panic 6 x 30 / 6 =
      // 30. dspc = dppc = 3; 1 ready: 3 / 1 >= 2: panic; 1 -> 3 (cap ceil(1000 x 1)).
      deployment_and_pods("partial", 1) +
      pod_autoscaler("partial", history(samples(51, 60, [](int) { return 30.0; }))) +
      // gap: 20 for 08:09:01..08:09:30, then one 0 at 08:10:00. Stable: buckets 08:09:01 to
      // 08:10:00 (60), the 29 missing seconds count 0: 30 x 20 / 60 = 10. Panic: 30 s
      // without a write >= its 6 s window: it starts over at 08:10:00: 0 / 1 = 0.
      // dspc = 1, dppc = 0: stable mode, 1 ready: no change at 1.
      deployment_and_pods("gap", 1) +
      pod_autoscaler("gap", history(samples(
                                        1, 30, [](int) { return 20.0; }, true, false) +
                                    samples(
                                        60, 60, [](int) { return 0.0; }, false, true))) +
      // down: 10 ready, 60 samples of 5: stable = panic = 5 -> 1 pod; floored by
      // max-scale-down-rate: floor(10 / 2) = 5: 10 -> 5.
      deployment_and_pods("down", 10) +
      pod_autoscaler("down", history(samples(1, 60, [](int) { return 5.0; }))) +
      // zero: 60 zeros, Active=False since 08:09:20: inactive 40 s >= grace 30 s: 1 -> 0.
      deployment_and_pods("zero", 1) +
      pod_autoscaler("zero", history(samples(1, 60, [](int) { return 0.0; })),
                     "status:\n  conditions: [{type: Active, status: \"False\", "
                     "lastTransitionTime: \"2025-09-01T08:09:20Z\"}]\n") +
      // grace: the same, Inactive since 08:09:45: 15 s < 30 s: wait.
      deployment_and_pods("grace", 1) +
      pod_autoscaler("grace", history(samples(1, 60, [](int) { return 0.0; })),
                     "status:\n  conditions: [{type: Active, status: \"False\", "
                     "lastTransitionTime: \"2025-09-01T08:09:45Z\"}]\n") +
      // stale: samples 08:08:00..08:08:59 only: the last write is 61 s before now, more
      // than the stable window: no data (the collector's ErrNoData), no decision yet.
      deployment_and_pods("stale", 1) +
      pod_autoscaler("stale", history(samples(-60, -1, [](int) { return 50.0; })));
  auto e = explain_autoscalers(testing::read_manifests_ok(state), kNow);
  REQUIRE(e);

  const ExplainAutoscaler& partial = find(*e, "shop/partial");
  CHECK(partial.kpa->decision.decider.observed_stable == 30);
  CHECK(partial.kpa->decision.decider.observed_panic == 30);
  CHECK(partial.kpa->decision.panicking);
  CHECK(partial.desired_replicas == 3);

  const ExplainAutoscaler& gap = find(*e, "shop/gap");
  CHECK(gap.kpa->history_samples == 31);
  CHECK(gap.kpa->decision.decider.observed_stable == 10);
  CHECK(gap.kpa->decision.decider.observed_panic == 0);
  CHECK_FALSE(gap.kpa->decision.panicking);
  CHECK(gap.desired_replicas == 1);
  CHECK(gap.reason.find("no change at 1") != std::string::npos);

  const ExplainAutoscaler& down = find(*e, "shop/down");
  CHECK(down.kpa->decision.decider.observed_stable == 5);
  CHECK(down.desired_replicas == 5);
  CHECK(down.reason.find("floored by max-scale-down-rate: 10 ready / 2 = 5") != std::string::npos);

  const ExplainAutoscaler& zero = find(*e, "shop/zero");
  CHECK(zero.desired_replicas == 0);
  CHECK(zero.kpa->decision.activator_in_path);  // want 0: SKS proxy mode
  CHECK(zero.reason.find("inactive for 40s: scale to 0") != std::string::npos);

  const ExplainAutoscaler& grace = find(*e, "shop/grace");
  CHECK(grace.desired_replicas == 1);
  CHECK_FALSE(grace.kpa->decision.replicas.has_value());
  CHECK(grace.reason.find("inactive for 15s < scale-to-zero-grace-period") != std::string::npos);

  const ExplainAutoscaler& stale = find(*e, "shop/stale");
  CHECK_FALSE(stale.kpa->decision.decider.valid);
  CHECK(stale.desired_replicas == 1);
  CHECK(stale.reason.rfind("no data in the stable window (1m0s before now, of 60 samples)", 0) ==
        0);
}

TEST_CASE("explain KPA: the history and the running controller's windows agree", "[explain][kpa]") {
  // The same samples through a KpaAutoscaler directly (as KpaController feeds it every second)
  // and through explain give the same windows and decision.
  policies::KpaClusterConfig cluster;
  models::PodAutoscaler pa;
  pa.metadata.annotations.set("autoscaling.knative.dev/target", "10");
  pa.metadata.annotations.set("autoscaling.knative.dev/target-utilization-percentage", "100");
  const sim::Time now = sim::seconds(600);
  policies::KpaAutoscaler running(policies::kpa_config_for(pa, cluster), 0, 0);
  auto value = [](int s) { return static_cast<double>((s * 7) % 23); };
  for (int s = 1; s <= 60; ++s) running.record(sim::seconds(540 + s), value(s));
  running.restore({});
  const policies::KpaDecision d = running.scale(now, 2);

  const std::string state =
      deployment_and_pods("mix", 2) + pod_autoscaler("mix", history(samples(1, 60, value)));
  auto e = explain_autoscalers(testing::read_manifests_ok(state), kNow);
  REQUIRE(e);
  const ExplainAutoscaler& a = find(*e, "shop/mix");
  // Σ_{s=1..60} (7s mod 23) = 2 x 253 (s = 1..46: two runs over every residue) +
  // Σ_{s=47..60} = 160, so 666 / 60 = 11.1 (rounded down to 6 decimals, as upstream).
  CHECK(d.decider.observed_stable == Approx(11.1).margin(1e-6));
  CHECK(a.kpa->decision.decider.observed_stable == d.decider.observed_stable);
  CHECK(a.kpa->decision.decider.observed_panic == d.decider.observed_panic);
  CHECK(a.kpa->decision.decider.desired_pod_count == d.decider.desired_pod_count);
  CHECK(a.kpa->decision.panicking == d.panicking);
}

TEST_CASE("explain KPA: the weightedExponential algorithm weights the history's recent seconds",
          "[explain][kpa]") {
  // 60 samples 08:09:01..08:10:00: 10 for the first 54 seconds, 25 for the last 6; 2 ready.
  // linear (no annotation): stable (54 x 10 + 6 x 25) / 60 = 11.5, panic 25 -> dspc 2,
  //   dppc 3; 3 / 2 = 1.5 < 2: no panic; desired 2: no change.
  // weighted-exponential (bucketing.go WeightedFloat64Buckets; the weights a(1 - a)^k of the
  //   k-th second before now, not renormalized):
  //   stable, 60 buckets, a = max(1 - 10^(-4/60), 0.2) = 0.2:
  //     25 x (1 - 0.8^6) + 10 x (0.8^6 - 0.8^60) = 21.067824675044594 (Python);
  //   panic, 6 buckets, a = 1 - 10^(-4/6), (1 - a)^6 = 1e-4: 25 x (1 - 1e-4) = 24.9975;
  //   dspc = ceil(2.1068) = 3, dppc = ceil(2.49975) = 3; 3 / 2 < 2: no panic; 2 -> 3.
  auto load = [](int s) { return s <= 54 ? 10.0 : 25.0; };
  const std::string linear_state =
      deployment_and_pods("lin", 2) + pod_autoscaler("lin", history(samples(1, 60, load)));
  auto lin = explain_autoscalers(testing::read_manifests_ok(linear_state), kNow);
  REQUIRE(lin);
  const ExplainAutoscaler& l = find(*lin, "shop/lin");
  CHECK(l.kpa->config.aggregation == policies::KpaAggregation::kLinear);
  CHECK(l.kpa->decision.decider.observed_stable == Approx(11.5));
  CHECK(l.kpa->decision.decider.observed_panic == Approx(25.0));
  CHECK(l.desired_replicas == 2);
  CHECK(l.reason.find("stable 11.5 (1m0s window), panic 25 (6s window)") != std::string::npos);

  for (const char* algorithm : {"weightedExponential", "weighted-exponential"}) {
    const std::string state =
        deployment_and_pods("ewma", 2) +
        pod_autoscaler("ewma", std::string("    autoscaling.knative.dev/metric-aggregation-"
                                           "algorithm: ") +
                                   algorithm + "\n" + history(samples(1, 60, load)));
    auto e = explain_autoscalers(testing::read_manifests_ok(state), kNow);
    REQUIRE(e);
    const ExplainAutoscaler& a = find(*e, "shop/ewma");
    REQUIRE(a.kpa.has_value());
    CHECK(a.kpa->config.aggregation == policies::KpaAggregation::kWeightedExponential);
    CHECK(a.kpa->decision.decider.observed_stable == Approx(21.067824675044594).epsilon(1e-12));
    CHECK(a.kpa->decision.decider.observed_panic == Approx(24.9975).epsilon(1e-12));
    CHECK(a.kpa->decision.decider.desired_stable_pods == 3);
    CHECK(a.kpa->decision.decider.desired_panic_pods == 3);
    CHECK_FALSE(a.kpa->decision.panicking);
    CHECK(a.desired_replicas == 3);
    CHECK(a.reason.find("(1m0s weighted-exponential window)") != std::string::npos);
    CHECK(a.reason.find("(6s weighted-exponential window)") != std::string::npos);
    CHECK(a.reason.find("scale 2 -> 3") != std::string::npos);
    auto j = nlohmann::json::parse(render_autoscalers_json(*e));
    CHECK(j["autoscalers"][0]["kpa"]["aggregation"] == "weighted-exponential");
  }
}

TEST_CASE("explain KPA: window averages are the fallback without a history, and say so",
          "[explain][kpa]") {
  const std::string state =
      deployment_and_pods("avg", 1) +
      pod_autoscaler("avg", "    kubesim.io/observed-metrics: '{\"stable\": 25}'\n");
  auto e = explain_autoscalers(testing::read_manifests_ok(state), kNow);
  REQUIRE(e);
  const ExplainAutoscaler& a = find(*e, "shop/avg");
  CHECK_FALSE(a.kpa->from_history);
  CHECK(a.desired_replicas == 3);  // ceil(25 / 10); panic = stable: 3 / 1 >= 2, cap 1000
  CHECK(a.reason.find("window averages as given (kubesim.io/observed-metrics; no "
                      "kubesim.io/load-history)") != std::string::npos);
  auto j = nlohmann::json::parse(render_autoscalers_json(*e));
  CHECK(j["autoscalers"][0]["kpa"]["windows"] == "averages");

  SECTION("neither annotation: an error for that PA, no change") {
    auto none = explain_autoscalers(
        testing::read_manifests_ok(deployment_and_pods("none", 1) + pod_autoscaler("none", "")), kNow);
    REQUIRE(none);
    const ExplainAutoscaler& n = find(*none, "shop/none");
    CHECK(n.desired_replicas == 1);
    CHECK(n.error.rfind("no kubesim.io/load-history or kubesim.io/observed-metrics annotation",
                        0) == 0);
  }
}

TEST_CASE("explain KPA: bad histories name the object and the annotation", "[explain][kpa]") {
  auto error_of = [](const std::string& annotations) {
    auto e = explain_autoscalers(
        testing::read_manifests_ok(deployment_and_pods("web", 1) + pod_autoscaler("web", annotations)), kNow);
    REQUIRE_FALSE(e);
    return e.error();
  };
  const std::string who = "PodAutoscaler shop/web: annotation kubesim.io/load-history: ";
  CHECK(error_of(history(R"([{"time": "2025-09-01T08:09:59Z"}])")) ==
        who + "every entry needs \"value\"");
  CHECK(error_of(history(R"([{"time": "2025-09-01T08:10:01Z", "value": 1}])")) ==
        who + "sample at 2025-09-01T08:10:01Z is after now");
  CHECK(error_of(history(R"([{"time": "2025-09-01T08:09:59Z", "value": 1}, )"
                         R"({"time": "2025-09-01T08:09:58Z", "value": 1}])")) ==
        who + "samples must be oldest first: 2025-09-01T08:09:58Z comes after a later one");
  CHECK(error_of(history(R"([{"time": "2025-09-01T08:09:59Z", "value": -2}])")) ==
        who + "\"value\" must be a number >= 0, got -2");
  CHECK(error_of(history(R"([{"time": "2025-09-01T08:09:59Z", "value": 1}])") +
                 "    kubesim.io/observed-metrics: '{\"stable\": 3}'\n") ==
        "PodAutoscaler shop/web: annotation kubesim.io/observed-metrics: \"stable\" and "
        "\"panic\" are computed from kubesim.io/load-history when it is given: keep only "
        "panicTime and maxPanicPods");
}

}  // namespace
}  // namespace kubesim::experiments
