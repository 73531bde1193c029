// SLO, replica-seconds, cold-start and per-interval latency figures of a `type: traffic`
// workload (experiments/service_traffic.hpp), on a load where every latency is known: evenly
// spaced arrivals well below capacity on pods with a constant 100 ms service time, so every
// request takes exactly 100 ms end to end (no queueing: at 4 req/s over 2 pods a pod is
// busy 20 % of the time and arrivals are 250 ms apart).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "experiments/scenario_run.hpp"
#include "scenarios/scenario.hpp"

namespace kubesim::experiments {
namespace {

std::string scenario(const std::string& slo) {
  return R"(apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata:
  name: slo-test
spec:
  seed: 3
  duration: 5m
  sampleInterval: 30s
  cluster:
    nodePools:
    - name: n
      count: 1
      cpu: "8"
      memory: 32Gi
      costPerHour: 1.2
  workloads:
  - name: web
    type: traffic
    service: default/web
    traffic: {kind: steps, deterministic: true, steps: [{at: 1m, rate: 4}]}
    server: {model: cpu, concurrency: 1, serviceTime: 100ms}
    loadBalancing: roundRobin
)" + slo + R"(
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {kubesim.io/ready-after: 5s}
    spec:
      containers:
      - {name: web, image: nginx:1.27, resources: {requests: {cpu: "1", memory: 1Gi}}}
)";
}

nlohmann::json traffic_summary(const std::string& slo) {
  scenarios::Diagnostics d;
  auto s = scenarios::load_scenario_text(scenario(slo), "inline.yaml", {}, d);
  INFO(d.format());
  REQUIRE(s.has_value());
  ScenarioRun run(*s);
  run.run();
  return nlohmann::json::parse(run.summary_json())["traffic"]["web"];
}

TEST_CASE("SLO attainment counts successes within the latency target", "[traffic][slo]") {
  // 4 req/s for 4 minutes (1m..5m): 960 requests, each exactly 100 ms end to end.
  const auto met = traffic_summary("    slo: {e2e: 100ms}\n");
  CHECK(met["sent"] == 960);
  CHECK(met["slo"]["met"] == met["succeeded"]);
  // The last arrival (at 5m exactly) is still in flight when the run ends: it has not
  // ended, so it is not in the attainment's denominator.
  CHECK(met["succeeded"] == 959);
  CHECK(met["in_flight_at_end"] == 1);
  CHECK(met["slo"]["attainment"].get<double>() == 1.0);
  CHECK(met["slo"]["e2e_s"].get<double>() == Approx(0.1));
  CHECK(met["slo"]["ttft_s"].is_null());
  const auto missed = traffic_summary("    slo: {e2e: 99ms}\n");
  CHECK(missed["slo"]["met"] == 0);
  CHECK(missed["slo"]["attainment"].get<double>() == 0.0);
}

TEST_CASE("replica-seconds, cold starts and cost per million requests", "[traffic][slo]") {
  const auto t = traffic_summary("");
  CHECK_FALSE(t.contains("slo"));
  // Two pods start serving once each, within seconds of the start (scheduling, image pull,
  // 5 s readiness): 2 × 300 s minus their start-up.
  CHECK(t["cold_starts"] == 2);
  CHECK(t["replica_seconds"].get<double>() <= 600.0);
  CHECK(t["replica_seconds"].get<double>() >= 2 * (300.0 - 30.0));
  // One node at $1.2/h for 5 minutes = $0.1, over the successes.
  const double succeeded = t["succeeded"].get<double>();
  CHECK(t["cost_per_million_requests"].get<double>() == Approx(0.1 / succeeded * 1e6));
}

TEST_CASE("slo needs a target", "[traffic][slo][bad-input]") {
  scenarios::Diagnostics d;
  auto s = scenarios::load_scenario_text(scenario("    slo: {}\n"), "inline.yaml", {}, d);
  CHECK_FALSE(s.has_value());
  CHECK_THAT(d.format(), Catch::Contains("an SLO needs a latency target"));
  scenarios::Diagnostics d2;
  auto s2 = scenarios::load_scenario_text(scenario("    slo: {e2e: 0s}\n"), "inline.yaml", {}, d2);
  CHECK_FALSE(s2.has_value());
  CHECK_THAT(d2.format(), Catch::Contains("slo.e2e"));
}

}  // namespace
}  // namespace kubesim::experiments
