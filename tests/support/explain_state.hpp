// Test support: the Deployment and Pods of a `kubectl get -o yaml` state that the explain
// tests of KEDA ScaledObjects and Knative PodAutoscalers decide on — namespace "shop",
// created at 2025-09-01T08:00:00Z, Ready at 08:00:05 — as YAML documents.
#pragma once

#include <string>

namespace kubesim::testing {

// Deployment `name` (app=`name`) with `replicas` replicas in spec and status.
inline std::string shop_deployment_yaml(const std::string& name, int replicas) {
  return R"(---
apiVersion: apps/v1
kind: Deployment
metadata: {name: )" +
         name + R"(, namespace: shop, creationTimestamp: "2025-09-01T08:00:00Z"}
spec:
  replicas: )" +
         std::to_string(replicas) + R"(
  selector: {matchLabels: {app: )" +
         name + R"(}}
  template:
    metadata: {labels: {app: )" +
         name + R"(}}
    spec: {containers: [{name: app, image: web}]}
status: {replicas: )" +
         std::to_string(replicas) + "}\n";
}

// Pod `app`-`i`: Running, Ready.
inline std::string shop_ready_pod_yaml(const std::string& app, int i) {
  return R"(---
apiVersion: v1
kind: Pod
metadata: {name: )" +
         app + "-" + std::to_string(i) + R"(, namespace: shop, labels: {app: )" + app + R"(}}
spec: {containers: [{name: app, image: web}]}
status:
  phase: Running
  startTime: "2025-09-01T08:00:00Z"
  conditions: [{type: Ready, status: "True", lastTransitionTime: "2025-09-01T08:00:05Z"}]
)";
}

// Deployment shop/hello (2 replicas) and its two Running, Ready pods on node n1, without
// timestamps, each document ending with a separator (the explain CLI tests' state).
inline std::string shop_hello_state_yaml() {
  return R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: hello, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: hello}}
  template:
    metadata: {labels: {app: hello}}
    spec: {containers: [{name: app, image: web}]}
---
apiVersion: v1
kind: Pod
metadata: {name: hello-0, namespace: shop, labels: {app: hello}}
spec: {nodeName: n1, containers: [{name: app, image: web}]}
status: {phase: Running, conditions: [{type: Ready, status: "True"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: hello-1, namespace: shop, labels: {app: hello}}
spec: {nodeName: n1, containers: [{name: app, image: web}]}
status: {phase: Running, conditions: [{type: Ready, status: "True"}]}
---
)";
}

}  // namespace kubesim::testing
