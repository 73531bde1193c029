// `kubesim explain` on a state with a KEDA ScaledObject and a Knative PodAutoscaler (and the
// config-autoscaler ConfigMap), through run_cli(): the table and the JSON carry both, with
// the replicas worked by hand (docs/autoscaling.md, "kubesim explain for KEDA, KPA and
// predictive autoscalers"):
//   KEDA: web at 0, s0-prometheus = 35 > activationThreshold 2 -> 0 -> 1 (KEDA
//     scale_scaledobjects.go); keda-hpa-web: ceil(35 / 10) = 4 (replica_calculator.go
//     GetExternalPerPodMetricReplicas), under the limit max(2 x 1, 4) = 4.
//   KPA: per-pod target 10 x 0.7 = 7; 2 ready pods; panic 100 / 7 -> 15 pods, 15 / 2 = 7.5
//     >= 2: panic (autoscaler.go); capped by max-scale-up-rate 2 (ConfigMap) x 2 = 4: 2 -> 4.
// A bad annotation exits 1 with the object and the annotation named.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/kubesim_cli.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/explain_state.hpp"
#include "tests/support/temp_dir.hpp"

namespace kubesim::cli {
namespace {

using Outcome = testing::CliOutcome;

// Runs `kubesim <args...>`.
Outcome kubesim(std::vector<std::string> args) { return testing::run_kubesim(std::move(args)); }

std::string state(const std::string& trigger_values) {
  return R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, creationTimestamp: "2025-09-01T08:00:00Z"}
spec:
  replicas: 0
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: web}]}
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: web
  namespace: shop
  annotations:
    kubesim.io/trigger-values: ')" +
         trigger_values + R"('
spec:
  scaleTargetRef: {name: web}
  maxReplicaCount: 10
  triggers:
  - type: prometheus
    metadata:
      serverAddress: http://prometheus.monitoring:9090
      query: sum(rate(http_requests_total{service="web"}[1m]))
      threshold: "10"
      activationThreshold: "2"
---
)" + testing::shop_hello_state_yaml() +
         R"(apiVersion: autoscaling.internal.knative.dev/v1alpha1
kind: PodAutoscaler
metadata:
  name: hello
  namespace: shop
  annotations:
    autoscaling.knative.dev/target: "10"
    kubesim.io/observed-metrics: '{"stable": 20, "panic": 100}'
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: hello}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: config-autoscaler, namespace: knative-serving}
data:
  max-scale-up-rate: "2"
---
apiVersion: v1
kind: Node
metadata: {name: n1}
status: {allocatable: {cpu: "4", memory: 8Gi, pods: "110"}}
)";
}

}  // namespace

TEST_CASE("kubesim explain: KEDA and KPA autoscalers in the table and the JSON",
          "[cli][explain][keda][kpa]") {
  testing::TempDir dir;
  const std::string path = dir.str("state.yaml");
  std::ofstream(path) << state("[\"35\"]");
  Outcome t = kubesim({"explain", path, "--now", "2025-09-01T08:10:00Z"});
  INFO(t.err);
  REQUIRE(t.code == 0);
  CHECK(t.out.find("KEDA v2.x operator; Knative Serving KPA") != std::string::npos);
  CHECK(t.out.find("scaledobject shop/web: activation: s0-prometheus = 35 > activationThreshold "
                   "2 (active) -> scale 0 -> 1") != std::string::npos);
  CHECK(t.out.find("then HPA keda-hpa-web: scale up from 1 to 4 replicas") != std::string::npos);
  CHECK(t.out.find("podautoscaler shop/hello: panic:") != std::string::npos);
  CHECK(t.out.find("capped by max-scale-up-rate 2 x 2 ready = 4 -> 4; scale 2 -> 4") !=
        std::string::npos);

  Outcome j = kubesim({"explain", path, "--now", "2025-09-01T08:10:00Z", "--output", "json"});
  REQUIRE(j.code == 0);
  auto doc = nlohmann::json::parse(j.out);
  REQUIRE(doc.contains("pods"));
  REQUIRE(doc["autoscalers"].size() == 2);
  CHECK(doc["autoscalers"][0]["kind"] == "ScaledObject");
  CHECK(doc["autoscalers"][0]["currentReplicas"] == 0);
  CHECK(doc["autoscalers"][0]["desiredReplicas"] == 4);
  CHECK(doc["autoscalers"][1]["kind"] == "PodAutoscaler");
  CHECK(doc["autoscalers"][1]["desiredReplicas"] == 4);
  CHECK(doc["autoscalers"][1]["kpa"]["targetPerPod"] == 7.0);
}

TEST_CASE("kubesim explain: a bad trigger-values annotation exits 1 naming it",
          "[cli][explain][keda]") {
  testing::TempDir dir;
  const std::string path = dir.str("state.yaml");
  std::ofstream(path) << state("[\"35\", \"1\"]");
  Outcome o = kubesim({"explain", path});
  CHECK(o.code == 1);
  CHECK(o.err.find("kubesim: ScaledObject shop/web: annotation kubesim.io/trigger-values: "
                   "expected 1 value") != std::string::npos);
}

}  // namespace kubesim::cli
