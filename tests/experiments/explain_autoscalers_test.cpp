// explain for autoscalers: a cluster state with two HorizontalPodAutoscalers, their
// Deployments, Pods and metrics-server PodMetrics, reconciled once at a given time. The
// expected replicas are computed by hand from upstream's formulas (kube-controller-manager
// v1.34, replica_calculator.go and horizontal.go); each step is written next to its check.
#include "experiments/explain_autoscalers.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "experiments/explain.hpp"
#include "scenarios/manifests.hpp"
#include "tests/support/scenario_loading.hpp"

namespace kubesim::experiments {
namespace {

// now = 2025-09-01T08:10:00Z.
//
// web: 3 pods, each requesting app 400m + sidecar 100m = 500m (upstream sums every
// container's request); usage 450m, 400m, 350m (app + sidecar) -> 1200m of 1500m:
// utilization floor(1200 x 100 / 1500) = 80%, target 50%: ratio 1.6, outside the 0.1
// tolerance -> ceil(1.6 x 3 ready pods) = ceil(4.8) = 5. No behavior: scale-up limit
// max(2 x 3, 4) = 6 does not bind; no recommendation history -> the initial recommendation
// {3, now} only matters for scale-down. Desired 5.
//
// api: 4 pods requesting 1000m; api-0..2 use 200m and are Ready since 07:10; api-3 started
// at 08:09:00 and is not Ready: inside the 5 min cpu initialization period and Ready=False
// -> unready, its 900m sample is dropped. Utilization 600 x 100 / 3000 = 20%, target 50%:
// ratio 0.4 -> ceil(0.4 x 3) = 2 (unready pods only matter on a scale-up).
// behavior.scaleDown: window 60 s, 1 pod per 60 s. Recommendations (annotation): 4 at
// 08:08:00 (outside the 60 s window), 3 at 08:09:30 (inside) -> max(2, 3) = 3: stabilized
// from 4 to 3. Scale events: -1 at 08:09:40, inside the 60 s period: the period started at
// 4 + 1 = 5, so the limit is 5 - 1 = 4 >= current: no scale-down yet (ScaleDownLimit).
// Desired 4.
constexpr const char* kState = R"(apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: shop}
  spec:
    replicas: 3
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web}}
      spec: {containers: [{name: app, image: web}]}
  status: {replicas: 3}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: api, namespace: shop}
  spec:
    replicas: 4
    selector: {matchLabels: {app: api}}
    template:
      metadata: {labels: {app: api}}
      spec: {containers: [{name: app, image: api}]}
  status: {replicas: 4}
- apiVersion: autoscaling/v2
  kind: HorizontalPodAutoscaler
  metadata: {name: web, namespace: shop}
  spec:
    scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
    minReplicas: 1
    maxReplicas: 10
    metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
- apiVersion: autoscaling/v2
  kind: HorizontalPodAutoscaler
  metadata:
    name: api
    namespace: shop
    annotations:
      kubesim.io/recommendations: '[{"time": "2025-09-01T08:08:00Z", "replicas": 4}, {"time": "2025-09-01T08:09:30Z", "replicas": 3}]'
      kubesim.io/scale-events: '[{"time": "2025-09-01T08:09:40Z", "change": -1}]'
  spec:
    scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
    minReplicas: 1
    maxReplicas: 10
    metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
    behavior:
      scaleDown:
        stabilizationWindowSeconds: 60
        policies: [{type: Pods, value: 1, periodSeconds: 60}]
)";

std::string web_pod(int i) {
  const std::string n = std::to_string(i);
  return R"(- apiVersion: v1
  kind: Pod
  metadata: {name: web-)" +
         n + R"(, namespace: shop, labels: {app: web}}
  spec:
    containers:
    - {name: app, image: web, resources: {requests: {cpu: 400m}}}
    - {name: sidecar, image: proxy, resources: {requests: {cpu: 100m}}}
  status:
    phase: Running
    startTime: "2025-09-01T08:00:00Z"
    conditions: [{type: Ready, status: "True", lastTransitionTime: "2025-09-01T08:00:30Z"}]
)";
}

std::string web_metrics(int i, const char* app_usage) {
  const std::string n = std::to_string(i);
  return R"(- apiVersion: metrics.k8s.io/v1beta1
  kind: PodMetrics
  metadata: {name: web-)" +
         n + R"(, namespace: shop, labels: {app: web}}
  timestamp: "2025-09-01T08:09:50Z"
  window: 30s
  containers:
  - {name: app, usage: {cpu: )" +
         app_usage + R"(, memory: 100Mi}}
  - {name: sidecar, usage: {cpu: "50000000n", memory: 20Mi}}
)";
}

std::string api_pod(int i, bool ready) {
  const std::string n = std::to_string(i);
  const std::string start = ready ? "2025-09-01T07:10:00Z" : "2025-09-01T08:09:00Z";
  return R"(- apiVersion: v1
  kind: Pod
  metadata: {name: api-)" +
         n + R"(, namespace: shop, labels: {app: api}}
  spec: {containers: [{name: app, image: api, resources: {requests: {cpu: "1"}}}]}
  status:
    phase: Running
    startTime: ")" +
         start + R"("
    conditions: [{type: Ready, status: ")" +
         (ready ? "True" : "False") + R"(", lastTransitionTime: ")" + start + R"("}]
)";
}

std::string api_metrics(int i, const char* usage) {
  return R"(- apiVersion: metrics.k8s.io/v1beta1
  kind: PodMetrics
  metadata: {name: api-)" +
         std::to_string(i) + R"(, namespace: shop}
  timestamp: "2025-09-01T08:09:50Z"
  window: 30s
  containers: [{name: app, usage: {cpu: )" +
         usage + R"(}}]
)";
}

std::string full_state() {
  std::string s = kState;
  for (int i = 0; i < 3; ++i) s += web_pod(i);
  s += web_metrics(0, "400m") + web_metrics(1, "350m") + web_metrics(2, "300m");
  for (int i = 0; i < 4; ++i) s += api_pod(i, i < 3);
  s += api_metrics(0, "200m") + api_metrics(1, "200m") + api_metrics(2, "200m") +
       api_metrics(3, "900m");
  return s;
}


const std::int64_t kNow = *scenarios::parse_rfc3339("2025-09-01T08:10:00Z");

}  // namespace

TEST_CASE("explain autoscalers: PodMetrics and pod times are read on one time base",
          "[explain][hpa]") {
  scenarios::Manifests m = testing::read_manifests_ok(full_state());
  REQUIRE(m.pod_metrics.size() == 7);
  // No creationTimestamp: time 0 is the earliest timestamp, api-0's start at 07:10:00.
  REQUIRE(m.time_origin_unix_ns == *scenarios::parse_rfc3339("2025-09-01T07:10:00Z"));
  const models::PodMetrics& w0 = m.pod_metrics[0];
  CHECK(w0.metadata.name == "web-0");
  CHECK(w0.timestamp == sim::minutes(59) + sim::seconds(50));
  CHECK(w0.window == sim::seconds(30));
  REQUIRE(w0.containers.size() == 2);
  CHECK(w0.containers[0].usage.cpu_milli == 400);
  CHECK(w0.containers[1].usage.cpu_milli == 50);  // 50000000n
  const models::Pod& web0 = m.pods[0];
  CHECK(web0.status.start_time == sim::minutes(50));
  CHECK(web0.status.conditions.at(0).last_transition_time == sim::minutes(50) + sim::seconds(30));
  CHECK(m.horizontal_pod_autoscalers.at(1).spec.has_behavior);
  CHECK_FALSE(m.horizontal_pod_autoscalers.at(0).spec.has_behavior);
}

TEST_CASE("explain autoscalers: desired replicas match the hand calculation", "[explain][hpa]") {
  scenarios::Manifests m = testing::read_manifests_ok(full_state());
  auto e = explain_autoscalers(m, kNow);
  REQUIRE(e);
  REQUIRE(e->autoscalers.size() == 2);
  CHECK(e->now == sim::hours(1));
  SECTION("web: 80% of a 50% target on 3 pods -> 5") {
    const ExplainAutoscaler& web = e->autoscalers[0];
    CHECK(web.name == "shop/web");
    CHECK(web.target == "Deployment/web");
    CHECK(web.current_replicas == 3);
    CHECK(web.desired_replicas == 5);
    REQUIRE(web.decision.proposals.size() == 1);
    const auto& p = web.decision.proposals[0];
    CHECK(p.current_utilization == 80);
    CHECK(p.current_value_milli == 400);  // raw average usage per pod
    CHECK(p.usage_ratio == Approx(1.6));
    CHECK(p.ready_pods == 3);
    CHECK(web.reason.rfind("scale up from 3 to 5 replicas", 0) == 0);
    CHECK(web.error.empty());
  }
  SECTION("api: proposal 2, stabilized to 3, held at 4 by the 1-pod-per-minute policy") {
    const ExplainAutoscaler& api = e->autoscalers[1];
    CHECK(api.current_replicas == 4);
    CHECK(api.desired_replicas == 4);
    CHECK(api.history_given);
    REQUIRE(api.decision.proposals.size() == 1);
    const auto& p = api.decision.proposals[0];
    CHECK(p.current_utilization == 20);
    CHECK(p.replicas == 2);
    CHECK(p.unready_pods == 1);
    CHECK(p.ready_pods == 3);
    CHECK(api.decision.stabilized_replicas == 3);
    CHECK(api.decision.stabilization == "ScaleDownStabilized");
    CHECK(api.decision.limit == "ScaleDownLimit");
    CHECK_FALSE(api.decision.rescale);
  }
  SECTION("api 61 s later: the scale event left the period -> 4 to 3") {
    auto later = explain_autoscalers(m, kNow + sim::seconds(41));  // event at 08:09:40 + 61 s
    REQUIRE(later);
    // At 08:10:41 the 3 recommended at 08:09:30 is 71 s old, outside the 60 s window, so
    // only the proposal 2 counts -> stabilized 2; the -1 event is 61 s old, outside the
    // period -> limit 4 - 1 = 3.
    CHECK(later->autoscalers[1].desired_replicas == 3);
    CHECK(later->autoscalers[1].decision.limit == "ScaleDownLimit");
  }
}

TEST_CASE("explain autoscalers: a fresh controller does not scale down", "[explain][hpa]") {
  // Without kubesim.io/recommendations, upstream's first reconcile records the current
  // replica count (4) as a recommendation: the behavior path's scale-down stabilization
  // keeps 4.
  std::string s = full_state();
  const std::string key = "      kubesim.io/recommendations: ";
  const auto at = s.find(key);
  REQUIRE(at != std::string::npos);
  s.erase(at, s.find('\n', at) - at + 1);
  scenarios::Manifests m = testing::read_manifests_ok(s);
  auto e = explain_autoscalers(m, kNow);
  REQUIRE(e);
  const ExplainAutoscaler& api = e->autoscalers[1];
  CHECK_FALSE(api.history_given);
  CHECK(api.decision.stabilized_replicas == 4);
  CHECK(api.desired_replicas == 4);
  CHECK(api.reason.find("fresh controller") != std::string::npos);
}

TEST_CASE("explain autoscalers: custom metric values from the annotation", "[explain][hpa]") {
  std::string s = kState;
  for (int i = 0; i < 3; ++i) s += web_pod(i);
  s += R"(- apiVersion: autoscaling/v2
  kind: HorizontalPodAutoscaler
  metadata:
    name: web-qps
    namespace: shop
    annotations:
      kubesim.io/recommendations: '[]'
      kubesim.io/metric-values: '[{"type": "Pods", "name": "qps", "pods": {"web-0": "20", "web-1": "10", "web-2": "30"}}, {"type": "External", "name": "queue", "values": ["30", "12"]}]'
  spec:
    scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
    maxReplicas: 20
    metrics:
    - type: Pods
      pods: {metric: {name: qps}, target: {type: AverageValue, averageValue: "15"}}
    - type: External
      external: {metric: {name: queue}, target: {type: AverageValue, averageValue: "7"}}
)";
  scenarios::Manifests m = testing::read_manifests_ok(s);
  auto e = explain_autoscalers(m, kNow);
  REQUIRE(e);
  const ExplainAutoscaler& a = e->autoscalers.back();
  REQUIRE(a.decision.proposals.size() == 2);
  // Pods: average 20 vs 15 -> ratio 1.333 -> ceil(1.333 x 3) = 4 (TestReplicaCalcScaleUpCM).
  CHECK(a.decision.proposals[0].replicas == 4);
  // External per pod: 42 / (7 x 3 status.replicas) = 2 -> ceil(42 / 7) = 6.
  CHECK(a.decision.proposals[1].replicas == 6);
  CHECK(a.desired_replicas == 6);
  CHECK(a.decision.metric == "external metric queue");
}

TEST_CASE("explain autoscalers: bad annotations and missing targets", "[explain][hpa]") {
  SECTION("a recommendation without a time is an error naming the HPA and the annotation") {
    std::string s = full_state();
    const std::string good = R"({"time": "2025-09-01T08:08:00Z", "replicas": 4})";
    s.replace(s.find(good), good.size(), R"({"replicas": 4})");
    auto e = explain_autoscalers(testing::read_manifests_ok(s), kNow);
    REQUIRE_FALSE(e);
    CHECK(e.error().find("shop/api") != std::string::npos);
    CHECK(e.error().find("kubesim.io/recommendations") != std::string::npos);
  }
  SECTION("a metric that cannot be computed changes nothing: desired = current") {
    std::string s = full_state();
    // The web pods lose their cpu requests: "missing request for cpu".
    for (const char* req : {"{requests: {cpu: 400m}}", "{requests: {cpu: 100m}}"}) {
      for (auto at = s.find(req); at != std::string::npos; at = s.find(req)) {
        s.replace(at, std::string(req).size(), "{requests: {memory: 1Gi}}");
      }
    }
    auto e = explain_autoscalers(testing::read_manifests_ok(s), kNow);
    REQUIRE(e);
    const ExplainAutoscaler& web = e->autoscalers[0];
    CHECK(web.current_replicas == 3);
    CHECK(web.desired_replicas == 3);
    CHECK(web.error.find("missing request for cpu") != std::string::npos);
    REQUIRE(web.decision.conditions.size() == 2);
    CHECK(web.decision.conditions[1].reason == "FailedGetResourceMetric");
  }
  SECTION("a missing target is reported, with upstream's FailedGetScale") {
    std::string s = full_state();
    s.replace(s.find("kind: Deployment, name: web}"), 28, "kind: Deployment, name: nope}");
    auto e = explain_autoscalers(testing::read_manifests_ok(s), kNow);
    REQUIRE(e);
    const ExplainAutoscaler& web = e->autoscalers[0];
    CHECK(web.error.find("not found") != std::string::npos);
    REQUIRE(web.decision.conditions.size() == 1);
    CHECK(web.decision.conditions[0].reason == "FailedGetScale");
  }
}

TEST_CASE("explain autoscalers: a PodMetrics without timestamp or with a bad one is an error",
          "[explain][hpa]") {
  for (const char* ts : {"", "timestamp: \"yesterday\"\n"}) {
    const std::string doc = std::string(R"(apiVersion: metrics.k8s.io/v1beta1
kind: PodMetrics
metadata: {name: web-0, namespace: shop}
)") + ts + R"(window: 30s
containers: [{name: app, usage: {cpu: 10m}}]
)";
    scenarios::Manifests m;
    scenarios::Diagnostics d;
    CHECK_FALSE(scenarios::read_manifests_text(doc, "pm.yaml", m, d));
    CHECK(d.format().find("timestamp") != std::string::npos);
  }
}

TEST_CASE("explain autoscalers: JSON shape, and the pods member is kept", "[explain][hpa]") {
  scenarios::Manifests m = testing::read_manifests_ok(full_state());
  auto e = explain_autoscalers(m, kNow);
  REQUIRE(e);
  const std::string pods = "{\n  \"pods\": []\n}\n";
  const std::string merged = append_autoscalers_json(pods, *e);
  CHECK(merged.rfind("{\n  \"pods\": [],\n  \"autoscalers\": [", 0) == 0);
  auto j = nlohmann::json::parse(merged);
  REQUIRE(j["autoscalers"].size() == 2);
  CHECK(j["autoscalers"][0]["name"] == "shop/web");
  CHECK(j["autoscalers"][0]["kind"] == "HorizontalPodAutoscaler");
  CHECK(j["autoscalers"][0]["currentReplicas"] == 3);
  CHECK(j["autoscalers"][0]["desiredReplicas"] == 5);
  CHECK(j["autoscalers"][0]["reason"].is_string());
  CHECK(j["autoscalers"][1]["limit"] == "ScaleDownLimit");
  CHECK(j["autoscalers"][1]["metrics"][0]["unreadyPods"] == 1);
  auto alone = nlohmann::json::parse(render_autoscalers_json(*e));
  CHECK(alone["autoscalers"] == j["autoscalers"]);
  CHECK(format_rfc3339(kNow) == "2025-09-01T08:10:00Z");
  CHECK(format_rfc3339(kNow + 500'000'000) == "2025-09-01T08:10:00.5Z");
  const std::string table = render_autoscalers_table(*e);
  CHECK(table.find("2025-09-01T08:10:00Z") != std::string::npos);
  CHECK(table.find("ScaleDownLimit") != std::string::npos);
}

}  // namespace kubesim::experiments
