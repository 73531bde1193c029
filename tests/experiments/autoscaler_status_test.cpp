// The autoscaler custom resources' status in the API server of a running cluster
// (experiments/keda_controller, kpa_controller, predictive_controller write it), on the
// timelines of tests/experiments/kpa_keda_runtime_test.cpp and
// predictive_controller_test.cpp, whose replica counts are worked by hand there; here the
// status fields and condition transitions at known times:
//   KEDA v2.x: pkg/scaling/executor/scale_scaledobjects.go (Active ScalerActive /
//     ScalerNotActive, lastActiveTime), pkg/controller/scaledobject_controller.go (hpaName,
//     originalReplicaCount, externalMetricNames), pkg/fallback/fallback.go (health);
//   Knative Serving: pkg/reconciler/autoscaling/kpa/kpa.go (computeActiveCondition: Active /
//     NoTraffic / Queued, desiredScale, actualScale).
// Also: a prometheus query naming the Service (no metricName), and config-autoscaler given
// as a ConfigMap in the scenario.
#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "experiments/keda_controller.hpp"
#include "experiments/kpa_controller.hpp"
#include "experiments/predictive_controller.hpp"
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

// kpa_keda_runtime_test.cpp's scenario: traffic workload web (1 s service time, 100
// workers per pod), Service web, Deployment web at `replicas`, then `autoscaler`.
std::string scenario(const std::string& duration, const std::string& steps, int replicas,
                     const std::string& autoscaler) {
  return testing::web_traffic_scenario_yaml("status-test", duration, 4, "",
                                            testing::steps_cpu_workload(steps), replicas,
                                            autoscaler);
}

std::string scaled_object(bool with_metric_name) {
  return std::string(R"(apiVersion: keda.sh/v1alpha1
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
      query: sum(rate(http_requests_total{namespace="default",service="web"}[1m]))
)") + (with_metric_name ? "      metricName: requests_per_second\n" : "") +
         R"(      threshold: "10"
      activationThreshold: "2"
)";
}

// Runs `fn` at each time (seconds + 0.5 s, after that second's poll or tick and its write).
void at_times(ScenarioRun& run, const std::vector<int>& seconds,
              const std::function<void(int)>& fn) {
  for (int s : seconds) {
    run.simulation().schedule_at(sim::seconds(s) + sim::milliseconds(500), [fn, s] { fn(s); });
  }
  run.run();
}

const models::Condition* condition(const std::vector<models::Condition>& cs,
                                   const std::string& type) {
  return models::find_condition(cs, type);
}

}  // namespace

TEST_CASE("ScaledObject status through the API server: Active, lastActiveTime, hpaName",
          "[keda][autoscaling][status]") {
  // Timeline (kpa_keda_runtime_test.cpp): polls at 2 + 10k s; the 52 s poll is the first
  // active one (0 -> 1); the 262 s poll the last active one; the 272 s poll reads 0 (scrape
  // 270) -> Active False; the 302 s poll scales 4 -> 0.
  auto s = load(scenario("320s", "[{at: 0s, rate: 0}, {at: 30s, rate: 35}, {at: 200s, rate: 0}]", 0,
                         scaled_object(false)));
  ScenarioRun run(s);
  REQUIRE(run.keda_controller() != nullptr);
  std::map<int, models::ScaledObjectStatus> seen;
  std::map<int, std::int32_t> replicas;
  at_times(run, {51, 52, 60, 271, 272, 302, 319}, [&](int t) {
    auto so = run.cluster()->api().scaled_objects().get("default", "web");
    REQUIRE(so != nullptr);
    seen[t] = so->status;
    replicas[t] = run.cluster()->api().deployments().get("default", "web")->spec.replicas;
  });
  // The query names the Service; no metricName needed. Same timeline as with it.
  CHECK(run.keda_controller()->trigger_service("default/web") == "web");
  CHECK(replicas[51] == 0);
  CHECK(replicas[52] == 1);
  CHECK(replicas[302] == 0);

  const models::ScaledObjectStatus& before = seen[51];
  REQUIRE(condition(before.conditions, "Active") != nullptr);
  CHECK(condition(before.conditions, "Active")->status == models::ConditionStatus::kFalse);
  CHECK(condition(before.conditions, "Active")->reason == "ScalerNotActive");
  CHECK_FALSE(before.last_active_time.has_value());
  CHECK(before.hpa_name == "keda-hpa-web");
  CHECK(before.original_replica_count == 0);
  CHECK(before.external_metric_names == std::vector<std::string>{"s0-prometheus"});
  REQUIRE(before.health.size() == 1);
  CHECK(before.health[0].metric == "s0-prometheus");
  CHECK(before.health[0].status == "Happy");
  CHECK(condition(before.conditions, "Ready")->reason == "ScaledObjectReady");
  CHECK(condition(before.conditions, "Fallback")->reason == "NoFallbackFound");

  const models::ScaledObjectStatus& active = seen[52];
  CHECK(condition(active.conditions, "Active")->status == models::ConditionStatus::kTrue);
  CHECK(condition(active.conditions, "Active")->reason == "ScalerActive");
  CHECK(condition(active.conditions, "Active")->last_transition_time == sim::seconds(52));
  CHECK(active.last_active_time == sim::seconds(52));
  CHECK(seen[60].last_active_time == sim::seconds(52));

  CHECK(seen[271].last_active_time == sim::seconds(262));
  CHECK(condition(seen[271].conditions, "Active")->status == models::ConditionStatus::kTrue);
  const models::ScaledObjectStatus& idle = seen[272];
  CHECK(condition(idle.conditions, "Active")->status == models::ConditionStatus::kFalse);
  CHECK(condition(idle.conditions, "Active")->last_transition_time == sim::seconds(272));
  CHECK(idle.last_active_time == sim::seconds(262));
  CHECK(seen[319].last_active_time == sim::seconds(262));
  CHECK(seen[319].original_replica_count == 0);  // set once, when first seen
  // A patch only when something changed: far fewer than the 32 polls.
  const std::uint64_t writes = run.keda_controller()->status_writes("default/web");
  CHECK(writes >= 4);  // first status, Ready, Active, lastActiveTime changes, inactive
  CHECK(writes < 32);
  check_invariants(run);
}

TEST_CASE("PodAutoscaler status through the API server: Active, NoTraffic, desiredScale",
          "[kpa][autoscaling][status]") {
  // kpa_keda_runtime_test.cpp: one pod; traffic from 5 s (the first pod serving) stops at
  // 30 s; the 92 s tick marks the PA Inactive; 0 replicas at 122 s; traffic again at 150 s
  // (held by Knative's activator) pokes 0 -> 1 at 151 s, then the cold start's held requests
  // panic the 156 s tick: 2.
  const std::string pa = R"(apiVersion: autoscaling.internal.knative.dev/v1alpha1
kind: PodAutoscaler
metadata:
  name: web
  annotations:
    autoscaling.knative.dev/class: kpa.autoscaling.knative.dev
    autoscaling.knative.dev/target: "10"
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
)";
  auto s = load(scenario(
      "200s", "[{at: 0s, rate: 0}, {at: 5s, rate: 5}, {at: 30s, rate: 0}, {at: 150s, rate: 5}]",
      1, pa));
  ScenarioRun run(s);
  REQUIRE(run.kpa_controller() != nullptr);
  std::map<int, models::PodAutoscalerStatus> seen;
  at_times(run, {10, 91, 92, 122, 140, 151, 199}, [&](int t) {
    auto o = run.cluster()->api().pod_autoscalers().get("default", "web");
    REQUIRE(o != nullptr);
    seen[t] = o->status;
  });
  auto active = [&](int t) { return condition(seen[t].conditions, "Active"); };
  REQUIRE(active(10) != nullptr);
  CHECK(active(10)->status == models::ConditionStatus::kTrue);
  CHECK(seen[10].desired_scale == 1);  // ceil(5 / 7)
  CHECK(seen[10].actual_scale == 1);
  CHECK(condition(seen[10].conditions, "SKSReady")->status == models::ConditionStatus::kTrue);
  CHECK(condition(seen[10].conditions, "ScaleTargetInitialized")->status ==
        models::ConditionStatus::kTrue);
  CHECK(active(91)->status == models::ConditionStatus::kTrue);
  CHECK(active(92)->status == models::ConditionStatus::kFalse);
  CHECK(active(92)->reason == "NoTraffic");
  CHECK(active(92)->last_transition_time == sim::seconds(92));
  CHECK(seen[92].desired_scale == 0);
  CHECK(condition(seen[92].conditions, "Ready")->status == models::ConditionStatus::kFalse);
  CHECK(seen[140].actual_scale == 0);
  CHECK(active(140)->last_transition_time == sim::seconds(92));  // still Inactive
  // The 151 s tick: desired 1 with no ready pod yet: Activating (Unknown, Queued).
  CHECK(active(151)->status == models::ConditionStatus::kUnknown);
  CHECK(active(151)->reason == "Queued");
  CHECK(seen[151].desired_scale == 1);
  CHECK(active(199)->status == models::ConditionStatus::kTrue);
  CHECK(seen[199].actual_scale == 2);
  CHECK(run.kpa_controller()->status_writes("default/web") < 100);  // not every 2 s tick
  check_invariants(run);
}

TEST_CASE("config-autoscaler in the scenario sets the KPA's cluster defaults",
          "[kpa][autoscaling][config]") {
  // The panic timeline of kpa_keda_runtime_test.cpp, with max-scale-up-rate 2 from the
  // ConfigMap instead of KpaController::set_cluster_config: the 62 s tick panics and is
  // capped at ceil(2 x 1) = 2, then 4 at 66 s (ceil(2 x 2)). With the default 1000 the 62 s
  // tick would jump to the panic count (>= 3). The load starts at 5 s, once the first pod
  // serves (kpa_keda_runtime_test.cpp).
  const std::string config = R"(apiVersion: v1
kind: ConfigMap
metadata: {name: config-autoscaler, namespace: knative-serving}
data:
  max-scale-up-rate: "2"
---
)";
  const std::string pa = R"(apiVersion: autoscaling.internal.knative.dev/v1alpha1
kind: PodAutoscaler
metadata:
  name: web
  annotations:
    autoscaling.knative.dev/target: "10"
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
)";
  auto s = load(scenario("80s", "[{at: 0s, rate: 0}, {at: 5s, rate: 5}, {at: 60s, rate: 70}]", 1,
                         config + pa));
  REQUIRE(s.manifests.knative_autoscaler_config.has_value());
  CHECK(s.manifests.knative_autoscaler_config->max_scale_up_rate == 2);
  ScenarioRun run(s);
  std::map<int, std::int32_t> replicas;
  at_times(run, {61, 62, 66}, [&](int t) {
    replicas[t] = run.cluster()->api().deployments().get("default", "web")->spec.replicas;
  });
  CHECK(replicas[61] == 1);
  CHECK(replicas[62] == 2);
  CHECK(replicas[66] == 4);
}

TEST_CASE("PredictiveAutoscaler status through the API server",
          "[predictive][autoscaling][status]") {
  // predictive_controller_test.cpp's ramp: syncs at 1 + 15 j s; the 7 -> 8 write at j = 20
  // (301 s) is the last rescale (8 = maxReplicas after that).
  std::ostringstream ramp;
  ramp << "[";
  for (int k = 0; k < 40; ++k)
    ramp << (k ? ", " : "") << "{at: " << 15 * k << "s, rate: " << 1.5 + 3.0 * k << "}";
  ramp << "]";
  const std::string text = R"(apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata:
  name: predictive-status
spec:
  seed: 5
  duration: 6m
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
                           ramp.str() + R"(}
    server:
      model: cpu
      concurrency: 4
      queueLimit: 1000
      serviceTime: 100ms
    loadBalancing: leastConnections
---
)" + testing::web_service_yaml() +
                           testing::web_deployment_yaml(2, "5s", "{cpu: \"1\", memory: 256Mi}") +
                           R"(apiVersion: autoscaling.kubesim.io/v1alpha1
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
  auto s = load(text);
  ScenarioRun run(s);
  std::map<int, models::PredictiveAutoscalerStatus> seen;
  at_times(run, {2, 359}, [&](int t) {
    auto o = run.cluster()->api().predictive_autoscalers().get("default", "web");
    REQUIRE(o != nullptr);
    seen[t] = o->status;
  });
  // First sync at 1 s: no metric value yet (the pipeline needs two scrapes): ScalingActive
  // False, desired = clamp(2) = 2.
  CHECK(seen[2].desired_replicas == 2);
  CHECK(condition(seen[2].conditions, "ScalingActive")->reason == "FailedGetExternalMetric");
  const auto& end = seen[359];
  CHECK(end.desired_replicas == 8);
  CHECK(end.current_replicas == 8);
  CHECK(end.last_scale_time == sim::seconds(301));
  REQUIRE(end.forecast_load.has_value());
  CHECK(*end.forecast_load > end.current_load);  // a rising ramp
  CHECK(condition(end.conditions, "AbleToScale")->reason == "ReadyForNewScale");
  CHECK(condition(end.conditions, "ScalingActive")->reason == "ValidMetricFound");
}

}  // namespace kubesim::experiments
