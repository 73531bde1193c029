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

}  // namespace kubesim::testing
