// Test support: the manifests of the "web" service that the autoscaling tests scale — a
// Service selecting app=web and a Deployment of nginx pods labelled app=web — as YAML
// documents, each ending with a document separator.
#pragma once

#include <string>

namespace kubesim::testing {

inline std::string web_service_yaml() {
  return R"(apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
)";
}

// `ready_after`: the pods' kubesim.io/ready-after; `requests`: the container's requests as a
// YAML flow map.
inline std::string web_deployment_yaml(int replicas, const std::string& ready_after,
                                       const std::string& requests) {
  return R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: )" + std::to_string(replicas) + R"(
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
      annotations: {kubesim.io/ready-after: )" + ready_after + R"(}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        resources:
          requests: )" + requests + R"(
---
)";
}

// The workload fields the autoscaling runtime tests share: deterministic `steps` traffic
// (a YAML flow sequence) to a CPU server with a 1 s service time and 100 workers per pod (no
// queueing), least-connections balancing.
inline std::string steps_cpu_workload(const std::string& steps) {
  return "    traffic: {kind: steps, deterministic: true, steps: " + steps + R"(}
    server:
      model: cpu
      concurrency: 100
      queueLimit: 1000
      serviceTime: 1s
    loadBalancing: leastConnections
)";
}

// A Scenario `name` (seed 7, 10 s samples) of `duration` on `nodes` 32-CPU nodes, with
// `extra_spec` (lines of spec, indented by two) and a traffic workload `web` to Service
// default/web whose remaining fields are `workload` (indented by four); then the Service,
// Deployment web at `replicas` (ready 2 s after start, 500m / 256Mi) and `extra` documents.
inline std::string web_traffic_scenario_yaml(const std::string& name,
                                             const std::string& duration, int nodes,
                                             const std::string& extra_spec,
                                             const std::string& workload, int replicas,
                                             const std::string& extra) {
  return R"(apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata:
  name: )" + name + R"(
spec:
  seed: 7
  duration: )" + duration + R"(
  sampleInterval: 10s
  cluster:
    nodePools:
    - name: n
      count: )" + std::to_string(nodes) + R"(
      cpu: "32"
      memory: 128Gi
      images: [{name: "nginx:1.27", size: 100Mi}]
      kubelet: {containerStartLatency: 1s}
)" + extra_spec + R"(  workloads:
  - name: web
    type: traffic
    service: default/web
)" + workload + "---\n" + web_service_yaml() +
         web_deployment_yaml(replicas, "2s", "{cpu: 500m, memory: 256Mi}") + extra;
}

}  // namespace kubesim::testing
