// The predictive autoscaler in the running cluster (experiments/predictive_controller.hpp)
// fed by the metrics pipeline (experiments/metrics_pipeline.hpp), end to end: traffic →
// the Service's offered load → custom-metrics scrape → forecast → Deployment spec.replicas.
//
// The load is a deterministic linear ramp written as 15 s steps: rate 1.5 + 3k requests/s
// on [15k s, 15(k+1) s), i.e. slope 0.2 requests/s per second. The pipeline scrapes every
// 15 s with a 15 s window, so the scrape at 15j reports the arrivals of (15(j-1), 15j] / 15
// = 1.5 + 3(j-1) = 3j - 1.5 requests/s (±1 arrival = ±0.07 at a step edge), from j = 2 on
// (a rate needs two scrapes). The autoscaler is applied at 1 s (kubesim.io/apply-at), so
// its syncs are at T_j = 1 s + 15j s, just after the scrape at 15j, and record
// m_j = 3j - 1.5 at T_j: points on the line 0.2 (t - 1 s) - 1.5, so the least-squares slope
// is 0.2/s and the forecast at T_j + leadTime (60 s) is m_j + 12 = 3j + 10.5. With
// targetPerReplica 10:
//   desired_j = ceil(max(m_j, forecast_j) / 10), clamped to [minReplicas 2, maxReplicas 8]
// with a forecast from the 4th sample on (minSamples 4: j = 5), the current load before.
// Every value is an odd multiple of 0.5, so 0.5 away from a replica boundary: the ±0.07
// noise cannot move a ceiling.
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "experiments/aiservice_operator.hpp"
#include "experiments/scenario_run.hpp"
#include "models/api_server.hpp"
#include "models/cluster.hpp"
#include "scenarios/scenario.hpp"
#include "tests/support/cluster_invariants.hpp"
#include "tests/support/scenario_loading.hpp"
#include "tests/support/web_manifests.hpp"

namespace kubesim::experiments {
namespace {

scenarios::Scenario load(const std::string& text) { return testing::load_scenario_ok(text); }

std::string load_error(const std::string& text) {
  scenarios::Diagnostics diagnostics;
  auto s = scenarios::load_scenario_text(text, "inline.yaml", {}, diagnostics);
  CHECK_FALSE(s.has_value());
  return diagnostics.format();
}

// The ramp as steps: 1.5 + 3k requests/s from 15k s, for `steps` steps.
std::string ramp(int steps) {
  std::ostringstream out;
  out << "[";
  for (int k = 0; k < steps; ++k) {
    if (k > 0) out << ", ";
    out << "{at: " << 15 * k << "s, rate: " << 1.5 + 3.0 * k << "}";
  }
  out << "]";
  return out.str();
}

const std::string kPredictive = R"(apiVersion: autoscaling.kubesim.io/v1alpha1
kind: PredictiveAutoscaler
metadata:
  name: web
  annotations: {kubesim.io/apply-at: 1s}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  metric: {service: web, name: requests_per_second}
  targetPerReplica: 10
  minReplicas: 2
  maxReplicas: 8
  leadTime: 1m
  minSamples: 4
)";

// The HPA on the same signal: External requests_per_second, AverageValue 10 per replica.
const std::string kHpa = R"(apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
  annotations: {kubesim.io/apply-at: 1s}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 8
  metrics:
  - type: External
    external:
      metric:
        name: requests_per_second
        selector: {matchLabels: {service: web}}
      target: {type: AverageValue, averageValue: "10"}
)";

std::string scenario(const std::string& duration, const std::string& autoscaler,
                     int ramp_steps = 40) {
  return R"(apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata:
  name: predictive-test
spec:
  seed: 5
  duration: )" +
         duration + R"(
  sampleInterval: 15s
  autoscaling:
    customMetrics: {interval: 15s, window: 15s, delay: 0s}
  cluster:
    nodePools:
    - name: n
      count: 4
      cpu: "16"
      memory: 64Gi
  workloads:
  - name: web
    type: traffic
    service: default/web
    traffic: {kind: steps, deterministic: true, steps: )" +
         ramp(ramp_steps) + R"(}
    server:
      model: cpu
      concurrency: 4
      queueLimit: 1000
      serviceTime: 100ms
    loadBalancing: leastConnections
    podUsage: {idleCpu: "0", busyCpu: "1"}
---
)" + testing::web_service_yaml() +
         testing::web_deployment_yaml(2, "5s", "{cpu: \"1\", memory: 256Mi}") + autoscaler;
}

// The Deployment's spec.replicas every second of the run.
std::map<sim::Time, std::int32_t> replicas_every_second(ScenarioRun& run, sim::Duration until) {
  auto out = std::make_shared<std::map<sim::Time, std::int32_t>>();
  for (sim::Time t = 0; t < until; t += sim::seconds(1)) {
    run.simulation().schedule_at(t, [&run, out, t] {
      auto d = run.cluster()->api().deployments().get("default", "web");
      (*out)[t] = d == nullptr ? -1 : d->spec.replicas;
    });
  }
  run.run();
  return *out;
}

// The first probe time at which replicas >= n, or -1.
sim::Time first_reaching(const std::map<sim::Time, std::int32_t>& r, std::int32_t n) {
  for (const auto& [t, v] : r) {
    if (v >= n) return t;
  }
  return -1;
}

TEST_CASE("predictive autoscaler follows ceil((load + slope x lead) / target) on a ramp",
          "[predictive][autoscaling]") {
  auto s = load(scenario("8m", kPredictive));
  ScenarioRun run(s);
  auto r = replicas_every_second(run, sim::minutes(8));
  // Probed at T_j + 10 s (the write of the sync at T_j has landed, the next sync is 5 s
  // away). desired_j as in the header comment:
  //   j = 0, 1: no value yet: clamp(2) = 2;  j = 2..4: ceil((3j - 1.5)/10) = 1, 1, 2 → min 2;
  //   j >= 5: ceil((3j + 10.5)/10): 5 → 3 (25.5), 6 → 3 (28.5), 7 → 4 (31.5), 9 → 4 (37.5),
  //   10 → 5 (40.5), 13 → 5 (49.5), 14 → 6 (52.5), 17 → 7 (61.5), 20 → 8 (70.5),
  //   24 → ceil(8.25) = 9, clamped to maxReplicas 8.
  auto at = [&](int j) { return r.at(sim::seconds(11 + 15 * j)); };
  const std::map<int, std::int32_t> expected = {
      {0, 2},  {1, 2},  {2, 2},  {3, 2},  {4, 2},  {5, 3},  {6, 3},  {7, 4},  {9, 4},
      {10, 5}, {13, 5}, {14, 6}, {16, 6}, {17, 7}, {19, 7}, {20, 8}, {24, 8}, {30, 8}};
  for (const auto& [j, n] : expected) {
    INFO("sync j = " << j << " at " << 1 + 15 * j << " s");
    CHECK(at(j) == n);
  }
  // The hand formula at every sync from j = 5 on (not only the listed ones).
  for (int j = 5; j < 31; ++j) {
    const auto want =
        static_cast<std::int32_t>(std::min(8.0, std::max(2.0, std::ceil((3.0 * j + 10.5) / 10.0))));
    INFO("sync j = " << j);
    CHECK(at(j) == want);
  }
  // Rescales: 2 → 3 → 4 → 5 → 6 → 7 → 8, one per step.
  const auto* rescales = run.metrics().find_counter("predictive.rescales");
  REQUIRE(rescales != nullptr);
  CHECK(rescales->value() == 6);
  check_invariants(run);
}

TEST_CASE("predictive autoscaler is ahead of the HPA on the same ramp by about the lead time",
          "[predictive][autoscaling][hpa]") {
  auto sp = load(scenario("8m", kPredictive));
  ScenarioRun predictive(sp);
  auto rp = replicas_every_second(predictive, sim::minutes(8));
  auto sh = load(scenario("8m", kHpa));
  ScenarioRun hpa(sh);
  auto rh = replicas_every_second(hpa, sim::minutes(8));
  // To need n replicas the forecaster asks when 3j + 10.5 > 10(n - 1), the HPA (same
  // metric, same target) when m_j = 3j - 1.5 > 10(n - 1) × 1.1 (its 10 % tolerance on
  // the current n - 1): the predictive one is 12/3 = 4 syncs = 60 s (the lead time) ahead,
  // plus 1-2 syncs of the HPA's tolerance. For n = 5: predictive at j = 10 (151 s);
  // HPA first at m_j > 44, j = 16 (241 s + its create latency): 90 s later.
  // For n = 7: predictive j = 17 (256 s); HPA m_j > 66, j = 23 (346 s): 90 s later.
  for (std::int32_t n : {5, 7}) {
    const sim::Time tp = first_reaching(rp, n);
    const sim::Time th = first_reaching(rh, n);
    INFO("n = " << n << ": predictive at " << sim::to_seconds(tp) << " s, HPA at "
                << sim::to_seconds(th) << " s");
    REQUIRE(tp > 0);
    REQUIRE(th > 0);
    CHECK(th - tp >= sim::seconds(60));
    CHECK(th - tp <= sim::seconds(105));
  }
  CHECK(first_reaching(rp, 5) == sim::seconds(152));  // sync at 151 s, write lands < 1 s
  CHECK(first_reaching(rp, 7) == sim::seconds(257));
  CHECK(first_reaching(rh, 5) == sim::seconds(242));  // HPA sync at 241 s + create latency
  CHECK(first_reaching(rh, 7) == sim::seconds(347));
}

TEST_CASE("predictive autoscaler with Holt's linear trend on the same ramp",
          "[predictive][autoscaling]") {
  // model holt-winters, seasonLength 0 (Holt), bucketInterval 15 s: bucket [15j, 15j + 15)
  // holds the one sample m_j, so the series is the line 3j - 1.5 and Holt's recursion
  // reproduces it for any alpha, beta (L_1 = y_1, T_1 = y_1 - y_0 = 3; each step keeps
  // L = y, T = 3). The forecast at T_j + 60 s is (61 s / 15 s) = 4.07 buckets past the last
  // bucket's start: 3j - 1.5 + 3 × 4.07 = 3j + 10.7, in the same replica band as the
  // least-squares 3j + 10.5 (no multiple of 10 lies between them), from the 4th bucket on.
  std::string text = scenario("8m", kPredictive);
  text.replace(text.find("minSamples: 4"), 13,
               "minSamples: 4\n  model: holt-winters\n  bucketInterval: 15s");
  auto s = load(text);
  ScenarioRun run(s);
  auto r = replicas_every_second(run, sim::minutes(8));
  for (int j = 5; j < 31; ++j) {
    const auto want =
        static_cast<std::int32_t>(std::min(8.0, std::max(2.0, std::ceil((3.0 * j + 10.7) / 10.0))));
    INFO("sync j = " << j);
    CHECK(r.at(sim::seconds(11 + 15 * j)) == want);
  }
}

TEST_CASE("predictive autoscaler holds minReplicas at zero load", "[predictive][autoscaling]") {
  // No traffic at all: the metric is 0 from j = 2 on, forecast 0 → ceil(0) = 0, clamped to
  // minReplicas 3 (the Deployment starts at 2: the first sync, with no sample, already
  // clamps 2 → 3).
  std::string text = scenario("2m", kPredictive, 1);
  text.replace(text.find("rate: 1.5}"), 10, "rate: 0}");
  text.replace(text.find("minReplicas: 2"), 14, "minReplicas: 3");
  auto s = load(text);
  ScenarioRun run(s);
  auto r = replicas_every_second(run, sim::minutes(2));
  CHECK(r.at(sim::seconds(5)) == 3);
  CHECK(r.at(sim::seconds(119)) == 3);
  const auto* rescales = run.metrics().find_counter("predictive.rescales");
  REQUIRE(rescales != nullptr);
  CHECK(rescales->value() == 1);  // 2 → 3 once, then nothing
}

TEST_CASE("predictive autoscaler scales an AIService through its /scale subresource",
          "[predictive][autoscaling][aiservice]") {
  // An AIService (policy: hpa — the operator leaves spec.replicas to an external
  // autoscaler) with 4 replicas; no traffic reaches its Service, so the metric never has a
  // value and no sample is recorded: every sync clamps the current replicas into
  // [1, 3]: 4 → 3 at the first sync (0 s), then nothing. The operator follows with its
  // Deployment.
  const std::string text = R"(apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: predictive-aiservice}
spec:
  seed: 7
  duration: 2m
  cluster:
    nodePools:
    - name: n
      count: 2
      cpu: "16"
      memory: 64Gi
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: aiservices.stable.example.com}
spec:
  group: stable.example.com
  scope: Namespaced
  names: {plural: aiservices, singular: aiservice, kind: AIService}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas,
              labelSelectorPath: .status.selector}
---
apiVersion: stable.example.com/v1
kind: AIService
metadata: {name: llama}
spec:
  modelUri: s3://m
  replicas: 4
  resources:
    requests: {cpu: "2", memory: 4Gi}
  scaling: {policy: hpa, minReplicas: 1, maxReplicas: 6}
---
apiVersion: autoscaling.kubesim.io/v1alpha1
kind: PredictiveAutoscaler
metadata: {name: llama}
spec:
  scaleTargetRef: {apiVersion: stable.example.com/v1, kind: AIService, name: llama}
  metric: {service: llama, name: requests_per_second}
  targetPerReplica: 100
  minReplicas: 1
  maxReplicas: 3
)";
  ScenarioRun run(load(text));
  REQUIRE(run.aiservice_operator() != nullptr);
  run.run();
  models::ApiServer& api = run.cluster()->api();
  auto ai = api.aiservices().get("default", "llama");
  REQUIRE(ai != nullptr);
  CHECK(ai->spec.replicas == 3);
  auto dep = api.deployments().get("default", "llama");
  REQUIRE(dep != nullptr);
  CHECK(dep->spec.replicas == 3);
  const auto* rescales = run.metrics().find_counter("predictive.rescales");
  REQUIRE(rescales != nullptr);
  CHECK(rescales->value() == 1);
  check_invariants(run);
}

TEST_CASE("predictive autoscaler runs are deterministic",
          "[predictive][autoscaling][determinism]") {
  auto s = load(scenario("5m", kPredictive));
  ScenarioRun a(s);
  a.run();
  ScenarioRun b(s);
  b.run();
  auto without_host = [](const std::string& j) { return j.substr(0, j.find("\"host\"")); };
  CHECK(without_host(a.summary_json()) == without_host(b.summary_json()));
  std::ostringstream ca;
  std::ostringstream cb;
  a.sampler().write_csv(ca);
  b.sampler().write_csv(cb);
  CHECK(ca.str() == cb.str());
  CHECK(ca.str().find("predictive.default.web.desired_replicas") != std::string::npos);
  CHECK(ca.str().find("predictive.default.web.forecast") != std::string::npos);
  CHECK(ca.str().find("predictive.default.web.load") != std::string::npos);
}

TEST_CASE("PredictiveAutoscaler manifest bad input", "[predictive][autoscaling][bad-input]") {
  auto with = [](const std::string& from, const std::string& to) {
    std::string text = scenario("1m", kPredictive, 2);
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    return load_error(text);
  };
  // Typo in a field: unknown field with did-you-mean.
  CHECK_THAT(with("leadTime: 1m", "leadTme: 1m"), Catch::Contains("leadTime"));
  // Metric names: did-you-mean.
  CHECK_THAT(with("name: requests_per_second}", "name: request_per_second}"),
             Catch::Contains("requests_per_second"));
  CHECK_THAT(with("targetPerReplica: 10", "targetPerReplica: 0"),
             Catch::Contains("spec.targetPerReplica"));
  CHECK_THAT(with("maxReplicas: 8", "maxReplicas: 1"), Catch::Contains("minReplicas (2)"));
  CHECK_THAT(with("leadTime: 1m", "leadTime: 60"), Catch::Contains("write 60s"));
  CHECK_THAT(with("kind: Deployment, name: web}", "kind: StatefulSet, name: web}"),
             Catch::Contains("spec.scaleTargetRef.kind"));
  CHECK_THAT(with("minSamples: 4", "minSamples: 4\n  model: holt-wintres"),
             Catch::Contains("holt-winters"));
  CHECK_THAT(with("minSamples: 4", "minSamples: 4\n  seasonalPeriod: 1h"),
             Catch::Contains("must be at most history"));
  CHECK_THAT(with("minSamples: 4", "minSamples: 4\n  alpha: 0.5"),
             Catch::Contains("applies to model holt-winters only"));
  CHECK_THAT(with("minSamples: 4", "minSamples: 4\n  model: holt-winters\n  seasonLength: 1"),
             Catch::Contains("spec.seasonLength"));
  CHECK_THAT(with("minSamples: 4",
                  "minSamples: 4\n  model: holt-winters\n  seasonLength: 100\n  history: 30m"),
             Catch::Contains("2 x seasonLength x bucketInterval"));
  CHECK_THAT(with("minSamples: 4", "minSamples: 4\n  model: holt-winters\n  gamma: 1.5"),
             Catch::Contains("spec.gamma"));
  CHECK_THAT(with("minSamples: 4", "minSamples: 4\n  syncPeriod: 0s"),
             Catch::Contains("spec.syncPeriod"));
  CHECK_THAT(
      with("apiVersion: autoscaling.kubesim.io/v1alpha1", "apiVersion: autoscaling.kubesim.io/v1"),
      Catch::Contains("autoscaling.kubesim.io/v1alpha1"));
  // The location: file and line of the field.
  CHECK_THAT(with("targetPerReplica: 10", "targetPerReplica: -3"), Catch::Contains("inline.yaml:"));
}

}  // namespace
}  // namespace kubesim::experiments
