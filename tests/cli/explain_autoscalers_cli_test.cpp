// `kubesim explain` on a state with a HorizontalPodAutoscaler, through run_cli(): the table
// and the JSON gain the autoscaler, --now is honoured and checked.
//
// Hand calculation (upstream replica_calculator.go GetResourceReplicas, horizontal.go
// normalizeDesiredReplicas): 2 pods requesting 200m cpu each, using 300m and 340m (PodMetrics)
// -> utilization floor(640 x 100 / 400) = 160%, target 80% -> ratio 2.0 -> ceil(2.0 x 2) = 4;
// legacy scale-up limit max(2 x 2, 4) = 4 does not bind -> desired 4.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/kubesim_cli.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/temp_dir.hpp"

namespace kubesim::cli {
namespace {

using Outcome = testing::CliOutcome;

// Runs `kubesim <args...>`.
Outcome kubesim(std::vector<std::string> args) { return testing::run_kubesim(std::move(args)); }

constexpr const char* kState = R"(apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: n1}
  status: {allocatable: {cpu: "4", memory: 8Gi, pods: "110"}}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: shop}
  spec:
    replicas: 2
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web}}
      spec: {containers: [{name: app, image: web}]}
- apiVersion: autoscaling/v2
  kind: HorizontalPodAutoscaler
  metadata: {name: web, namespace: shop}
  spec:
    scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
    maxReplicas: 10
    metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
- apiVersion: v1
  kind: Pod
  metadata: {name: web-a, namespace: shop, labels: {app: web}}
  spec: {nodeName: n1, containers: [{name: app, image: web, resources: {requests: {cpu: 200m}}}]}
  status:
    phase: Running
    startTime: "2025-09-01T07:00:00Z"
    conditions: [{type: Ready, status: "True", lastTransitionTime: "2025-09-01T07:00:20Z"}]
- apiVersion: v1
  kind: Pod
  metadata: {name: web-b, namespace: shop, labels: {app: web}}
  spec: {nodeName: n1, containers: [{name: app, image: web, resources: {requests: {cpu: 200m}}}]}
  status:
    phase: Running
    startTime: "2025-09-01T07:00:00Z"
    conditions: [{type: Ready, status: "True", lastTransitionTime: "2025-09-01T07:00:20Z"}]
---
# kubectl get --raw /apis/metrics.k8s.io/v1beta1/namespaces/shop/pods (items without kind)
apiVersion: metrics.k8s.io/v1beta1
kind: PodMetricsList
metadata: {}
items:
- metadata: {name: web-a, namespace: shop}
  timestamp: "2025-09-01T08:00:00Z"
  window: 15s
  containers: [{name: app, usage: {cpu: 300m}}]
- metadata: {name: web-b, namespace: shop}
  timestamp: "2025-09-01T08:00:00Z"
  window: 15s
  containers: [{name: app, usage: {cpu: 340m}}]
)";

}  // namespace

TEST_CASE("kubesim explain reconciles the HPAs of the state", "[cli][explain][hpa]") {
  testing::TempDir dir;
  const std::string state = dir.str("state.yaml");
  std::ofstream(state) << kState;

  SECTION("table") {
    Outcome o = kubesim({"explain", state, "--now", "2025-09-01T08:00:10Z"});
    INFO(o.err);
    REQUIRE(o.code == 0);
    CHECK(o.out.find("1 autoscaler reconciled once at 2025-09-01T08:00:10Z") != std::string::npos);
    CHECK(o.out.find("horizontalpodautoscaler shop/web: scale up from 2 to 4 replicas") !=
          std::string::npos);
    CHECK(o.out.find("160% (320m)") != std::string::npos);
  }
  SECTION("json: pods kept, autoscalers added") {
    Outcome o = kubesim({"explain", state, "--now", "2025-09-01T08:00:10Z", "--output", "json"});
    INFO(o.err);
    REQUIRE(o.code == 0);
    auto j = nlohmann::json::parse(o.out);
    CHECK(j["pods"].is_array());
    REQUIRE(j["autoscalers"].size() == 1);
    const auto& a = j["autoscalers"][0];
    CHECK(a["name"] == "shop/web");
    CHECK(a["kind"] == "HorizontalPodAutoscaler");
    CHECK(a["currentReplicas"] == 2);
    CHECK(a["desiredReplicas"] == 4);
    CHECK(a["metrics"][0]["currentUtilization"] == 160);
  }
  SECTION("without --now: the latest timestamp of the state (the PodMetrics')") {
    Outcome o = kubesim({"explain", state});
    REQUIRE(o.code == 0);
    CHECK(o.out.find("reconciled once at 2025-09-01T08:00:00Z") != std::string::npos);
  }
  SECTION("a bad --now is one clear error") {
    Outcome o = kubesim({"explain", state, "--now", "yesterday"});
    CHECK(o.code == 1);
    CHECK(o.err.find("--now: invalid RFC 3339 timestamp \"yesterday\"") != std::string::npos);
    CHECK(o.out.empty());
  }
}

TEST_CASE("kubesim explain scales an AIService through its /scale", "[cli][explain][hpa]") {
  // The same pods and metrics, now owned by an AIService "web" whose HPA targets the
  // AIService (stable.example.com/v1). The state comes from a cluster where the CRD is
  // installed: it need not list it. The scale: spec.replicas 2, status.replicas 2, selector
  // app=web (status.selector): desired 4 as above.
  std::string ai_state = kState;
  const auto deployment = ai_state.find("- apiVersion: apps/v1");
  const auto hpa = ai_state.find("- apiVersion: autoscaling/v2");
  ai_state.replace(deployment, hpa - deployment, R"(- apiVersion: stable.example.com/v1
  kind: AIService
  metadata: {name: web, namespace: shop}
  spec: {modelUri: "s3://models/web", replicas: 2, scaling: {policy: hpa, maxReplicas: 10}}
  status: {replicas: 2, readyReplicas: 2, selector: app=web}
)");
  const std::string ref = "{apiVersion: apps/v1, kind: Deployment, name: web}";
  ai_state.replace(ai_state.find(ref), ref.size(),
                   "{apiVersion: stable.example.com/v1, kind: AIService, name: web}");
  testing::TempDir dir;
  const std::string state = dir.str("state.yaml");
  std::ofstream(state) << ai_state;
  Outcome o = kubesim({"explain", state, "--now", "2025-09-01T08:00:10Z", "--output", "json"});
  INFO(o.err);
  REQUIRE(o.code == 0);
  auto j = nlohmann::json::parse(o.out);
  REQUIRE(j["autoscalers"].size() == 1);
  CHECK(j["autoscalers"][0]["currentReplicas"] == 2);
  CHECK(j["autoscalers"][0]["desiredReplicas"] == 4);
}

}  // namespace kubesim::cli
