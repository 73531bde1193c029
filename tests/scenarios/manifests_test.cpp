// Tests of scenarios/manifests.hpp: real Kubernetes manifests (the examples of the
// Kubernetes documentation, `kubectl get -o yaml` output) read into the object model; one
// located diagnostic per class of bad input; ignored-field reporting; List handling.
//
// Expected values come from the manifests themselves and from upstream API defaulting and
// validation (pkg/apis/core/v1/defaults.go, pkg/apis/core/validation/validation.go,
// pkg/apis/apps/validation/validation.go, pkg/apis/batch/validation/validation.go).
#include "scenarios/manifests.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <string>

#include "tests/support/scenario_loading.hpp"
#include "tests/support/temp_dir.hpp"

namespace kubesim::scenarios {
namespace {

using Read = testing::ManifestsRead;

Read read(const std::string& yaml, const std::string& file = "m.yaml") {
  return testing::read_manifests(yaml, file);
}

Read read_ok(const std::string& yaml) {
  Read r = read(yaml);
  INFO(r.diagnostics.format());
  REQUIRE(r.ok);
  REQUIRE(r.diagnostics.empty());
  return r;
}

// The single diagnostic of an invalid input.
Diagnostic only_error(const std::string& yaml) {
  Read r = read(yaml);
  INFO(r.diagnostics.format());
  REQUIRE_FALSE(r.ok);
  REQUIRE(r.diagnostics.size() == 1);
  return r.diagnostics.items()[0];
}

bool has_ignored(const Manifests& m, const std::string& path) {
  for (const auto& f : m.ignored) {
    if (f.path == path) return true;
  }
  return false;
}

// The nginx Deployment of the Kubernetes docs (concepts/workloads/controllers/deployment).
constexpr const char* kNginxDeployment = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  labels:
    app: nginx
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.14.2
        ports:
        - containerPort: 80
)";

// The "pi" Job of the docs (concepts/workloads/controllers/job), with requests added.
constexpr const char* kPiJob = R"yaml(apiVersion: batch/v1
kind: Job
metadata:
  name: pi
spec:
  template:
    spec:
      containers:
      - name: pi
        image: perl:5.34.0
        command: ["perl",  "-Mbignum=bpi", "-wle", "print bpi(2000)"]
        resources:
          requests:
            cpu: 500m
            memory: 128Mi
      restartPolicy: Never
  backoffLimit: 4
)yaml";

constexpr const char* kGpuPod = R"(apiVersion: v1
kind: Pod
metadata:
  name: cuda-train
  namespace: ml
  labels:
    app: trainer
  annotations:
    kubesim.io/run-duration: 2h
spec:
  priorityClassName: high
  schedulerName: default-scheduler
  nodeSelector:
    nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3
  tolerations:
  - key: nvidia.com/gpu
    operator: Exists
    effect: NoSchedule
  - key: node.kubernetes.io/not-ready
    operator: Exists
    effect: NoExecute
    tolerationSeconds: 300
  containers:
  - name: train
    image: nvcr.io/nvidia/pytorch:24.01-py3
    env:
    - name: NCCL_DEBUG
      value: INFO
    resources:
      limits:
        nvidia.com/gpu: 8
        memory: 512Gi
      requests:
        cpu: "32"
    volumeMounts:
    - name: data
      mountPath: /data
  volumes:
  - name: data
    emptyDir: {}
)";

// `kubectl get nodes -o yaml` style (trimmed of most status noise, but with the fields a
// real kubelet reports).
constexpr const char* kNodeList = R"(apiVersion: v1
items:
- apiVersion: v1
  kind: Node
  metadata:
    creationTimestamp: "2024-05-01T10:00:00Z"
    labels:
      kubernetes.io/hostname: gpu-node-1
      topology.kubernetes.io/zone: us-east-1a
      nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3
    name: gpu-node-1
    resourceVersion: "123456"
    uid: 5b9f7c2e-1111-2222-3333-444455556666
  spec:
    providerID: aws:///us-east-1a/i-0abc
    taints:
    - effect: NoSchedule
      key: nvidia.com/gpu
      value: "true"
  status:
    addresses:
    - address: 10.0.0.11
      type: InternalIP
    allocatable:
      cpu: 191500m
      ephemeral-storage: "1717986918400"
      memory: 2013265920Ki
      nvidia.com/gpu: "8"
      pods: "110"
    capacity:
      cpu: "192"
      ephemeral-storage: 1843Gi
      memory: 2097152000Ki
      nvidia.com/gpu: "8"
      pods: "110"
    conditions:
    - lastHeartbeatTime: "2024-05-01T12:00:00Z"
      lastTransitionTime: "2024-05-01T10:01:00Z"
      message: kubelet is posting ready status
      reason: KubeletReady
      status: "True"
      type: Ready
    images:
    - names:
      - nvcr.io/nvidia/pytorch@sha256:abc
      - nvcr.io/nvidia/pytorch:24.01-py3
      sizeBytes: 9876543210
    nodeInfo:
      architecture: amd64
      kubeletVersion: v1.34.1
- apiVersion: v1
  kind: Node
  metadata:
    creationTimestamp: "2024-05-01T10:00:30Z"
    labels:
      kubernetes.io/hostname: cpu-node-1
    name: cpu-node-1
  spec:
    unschedulable: true
  status:
    capacity:
      cpu: "16"
      memory: 64Gi
      pods: "110"
kind: List
metadata:
  resourceVersion: ""
)";

TEST_CASE("the docs' nginx Deployment is read with upstream defaults", "[manifests]") {
  Read r = read_ok(kNginxDeployment);
  REQUIRE(r.m.deployments.size() == 1);
  REQUIRE(r.m.object_count() == 1);
  const models::Deployment& d = r.m.deployments[0];
  CHECK(d.metadata.name == "nginx-deployment");
  CHECK(d.metadata.namespace_ == "default");
  CHECK(d.metadata.labels.get("app") == "nginx");
  CHECK(d.spec.replicas == 3);
  CHECK(d.spec.selector.match_labels.get("app") == "nginx");
  CHECK(d.spec.template_.metadata.labels.get("app") == "nginx");
  // apps/v1 defaults (pkg/apis/apps/v1/defaults.go).
  CHECK(d.spec.strategy == models::DeploymentStrategyType::kRollingUpdate);
  CHECK(d.spec.max_surge == models::IntOrPercent{25, true});
  CHECK(d.spec.max_unavailable == models::IntOrPercent{25, true});
  CHECK(d.spec.revision_history_limit == 10);
  CHECK(d.spec.progress_deadline_seconds == 600);
  REQUIRE(d.spec.template_.spec.containers.size() == 1);
  const models::Container& c = d.spec.template_.spec.containers[0];
  CHECK(c.name == "nginx");
  CHECK(c.image == "nginx:1.14.2");
  REQUIRE(c.ports.size() == 1);
  CHECK(c.ports[0].container_port == 80);
  CHECK(c.ports[0].host_port == 0);
  CHECK(c.ports[0].protocol == "TCP");
  CHECK(r.m.ignored.empty());
}

TEST_CASE("Deployment strategy: ints, percentages and Recreate", "[manifests]") {
  const std::string base = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: x}]}
  minReadySeconds: 5
  paused: true
  revisionHistoryLimit: 2
  progressDeadlineSeconds: 120
)";
  SECTION("rolling update with an int and a percentage") {
    Read r = read_ok(base +
                     "  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 2, "
                     "maxUnavailable: \"10%\"}}\n");
    const auto& s = r.m.deployments.at(0).spec;
    CHECK(s.max_surge == models::IntOrPercent{2, false});
    CHECK(s.max_unavailable == models::IntOrPercent{10, true});
    CHECK(s.replicas == 1);
    CHECK(s.min_ready_seconds == 5);
    CHECK(s.paused);
    CHECK(s.revision_history_limit == 2);
    CHECK(s.progress_deadline_seconds == 120);
  }
  SECTION("Recreate") {
    Read r = read_ok(base + "  strategy: {type: Recreate}\n");
    CHECK(r.m.deployments.at(0).spec.strategy == models::DeploymentStrategyType::kRecreate);
  }
  SECTION("maxSurge and maxUnavailable both 0 is invalid (ValidateRollingUpdateDeployment)") {
    Diagnostic d = only_error(base +
                              "  strategy:\n    rollingUpdate:\n      maxSurge: 0\n"
                              "      maxUnavailable: 0\n");
    CHECK(d.path == "spec.strategy.rollingUpdate.maxUnavailable");
    CHECK(d.message == "may not be 0 when `maxSurge` is 0");
    CHECK(d.line == 16);
    CHECK(d.column == 23);
  }
  SECTION("a bad percentage") {
    Diagnostic d = only_error(base + "  strategy:\n    rollingUpdate:\n      maxSurge: 25pc\n");
    CHECK(d.path == "spec.strategy.rollingUpdate.maxSurge");
    CHECK(d.line == 15);
    CHECK(d.column == 17);
  }
  SECTION("maxUnavailable above 100%") {
    Diagnostic d =
        only_error(base + "  strategy:\n    rollingUpdate:\n      maxUnavailable: 150%\n");
    CHECK(d.message == "must not be greater than 100%");
  }
}

TEST_CASE("the docs' pi Job is read; its command is reported as ignored", "[manifests]") {
  Read r = read_ok(kPiJob);
  REQUIRE(r.m.jobs.size() == 1);
  const models::Job& j = r.m.jobs[0];
  CHECK(j.metadata.name == "pi");
  CHECK(j.spec.backoff_limit == 4);
  CHECK_FALSE(j.spec.parallelism.has_value());
  CHECK_FALSE(j.spec.completions.has_value());
  CHECK(j.spec.completion_mode == models::CompletionMode::kNonIndexed);
  CHECK(j.spec.template_.spec.restart_policy == models::RestartPolicy::kNever);
  const auto& c = j.spec.template_.spec.containers.at(0);
  CHECK(c.requests.cpu_milli == 500);
  CHECK(c.requests.memory == 128LL * 1024 * 1024);
  REQUIRE(r.m.ignored.size() == 1);
  const IgnoredField& f = r.m.ignored[0];
  CHECK(f.path == "spec.template.spec.containers[0].command");
  CHECK(f.reason == "container commands are not run");
  CHECK(f.file == "m.yaml");
  CHECK(f.line == 11);
  CHECK(f.column == 18);
}

TEST_CASE("Job fields and Job validation", "[manifests]") {
  const std::string job = R"(apiVersion: batch/v1
kind: Job
metadata: {name: train, namespace: batch}
spec:
  parallelism: 4
  completions: 8
  completionMode: Indexed
  activeDeadlineSeconds: 3600
  ttlSecondsAfterFinished: 100
  suspend: true
  template:
    metadata:
      labels: {job: train}
    spec:
      restartPolicy: OnFailure
      containers: [{name: c, image: x}]
)";
  SECTION("every field") {
    Read r = read_ok(job);
    const auto& s = r.m.jobs.at(0).spec;
    CHECK(r.m.jobs[0].metadata.namespace_ == "batch");
    CHECK(s.parallelism == 4);
    CHECK(s.completions == 8);
    CHECK(s.completion_mode == models::CompletionMode::kIndexed);
    CHECK(s.active_deadline_seconds == 3600);
    CHECK(s.ttl_seconds_after_finished == 100);
    CHECK(s.suspend);
    CHECK(s.backoff_limit == 6);  // batch/v1 default
    CHECK(s.template_.spec.restart_policy == models::RestartPolicy::kOnFailure);
  }
  SECTION("restartPolicy Always is not allowed for a Job's pods") {
    std::string bad = job;
    bad.replace(bad.find("OnFailure"), 9, "Always");
    Diagnostic d = only_error(bad);
    CHECK(d.path == "spec.template.spec.restartPolicy");
    CHECK(d.line == 15);
    CHECK(d.column == 22);
    CHECK(d.message == "\"Always\" is not one of OnFailure, Never");
  }
  SECTION("negative parallelism") {
    std::string bad = job;
    bad.replace(bad.find("parallelism: 4"), 14, "parallelism: -1");
    Diagnostic d = only_error(bad);
    CHECK(d.path == "spec.parallelism");
    CHECK(d.line == 5);
    CHECK(d.column == 16);
  }
  SECTION("a selector that does not match the template labels") {
    std::string bad = job;
    bad.replace(bad.find("  template:"), 0, "  selector: {matchLabels: {job: other}}\n");
    Diagnostic d = only_error(bad);
    CHECK(d.path == "spec.template.metadata.labels");
    CHECK(d.message == "`selector` does not match template `labels`");
  }
}

TEST_CASE("a GPU pod with nodeSelector, tolerations and limits-only resources", "[manifests]") {
  Read r = read_ok(kGpuPod);
  REQUIRE(r.m.pods.size() == 1);
  const models::Pod& p = r.m.pods[0];
  CHECK(p.metadata.namespace_ == "ml");
  CHECK(p.metadata.annotations.get("kubesim.io/run-duration") == "2h");
  CHECK(p.spec.priority_class_name == "high");
  CHECK(p.spec.node_selector.get("nvidia.com/gpu.product") == "NVIDIA-H100-80GB-HBM3");
  REQUIRE(p.spec.tolerations.size() == 2);
  CHECK(p.spec.tolerations[0].key == "nvidia.com/gpu");
  CHECK(p.spec.tolerations[0].op == models::TolerationOperator::kExists);
  CHECK(p.spec.tolerations[0].effect == models::TaintEffect::kNoSchedule);
  CHECK_FALSE(p.spec.tolerations[0].toleration_seconds.has_value());
  CHECK(p.spec.tolerations[1].effect == models::TaintEffect::kNoExecute);
  CHECK(p.spec.tolerations[1].toleration_seconds == 300);
  const models::Container& c = p.spec.containers.at(0);
  // A limit without a request defaults the request (SetDefaults_Pod).
  CHECK(c.requests.gpu == 8);
  CHECK(c.requests.memory == 512LL << 30);
  CHECK(c.requests.cpu_milli == 32000);
  CHECK(c.limits.gpu == 8);
  CHECK_FALSE(c.limits.has("cpu"));
  CHECK(p.requests().gpu == 8);
  CHECK(p.status.phase == models::PodPhase::kPending);
  CHECK(p.spec.scheduler_name == "default-scheduler");
  // env, volumeMounts and volumes are accepted and reported.
  REQUIRE(r.m.ignored.size() == 3);
  CHECK(has_ignored(r.m, "spec.containers[0].env"));
  CHECK(has_ignored(r.m, "spec.containers[0].volumeMounts"));
  CHECK(has_ignored(r.m, "spec.volumes"));
  CHECK(r.m.ignored[0].line == 27);  // env: its first item
}

TEST_CASE("a kubectl get nodes -o yaml List", "[manifests]") {
  Read r = read_ok(kNodeList);
  REQUIRE(r.m.nodes.size() == 2);
  const models::Node& g = r.m.nodes[0];
  CHECK(g.metadata.name == "gpu-node-1");
  CHECK(g.metadata.namespace_.empty());
  CHECK(g.metadata.labels.get("topology.kubernetes.io/zone") == "us-east-1a");
  CHECK(g.spec.provider_id == "aws:///us-east-1a/i-0abc");
  REQUIRE(g.spec.taints.size() == 1);
  CHECK(g.spec.taints[0].to_string() == "nvidia.com/gpu=true:NoSchedule");
  CHECK(g.status.allocatable.cpu_milli == 191500);
  CHECK(g.status.allocatable.memory == 2013265920LL * 1024);
  CHECK(g.status.allocatable.ephemeral_storage == 1717986918400LL);
  CHECK(g.status.allocatable.gpu == 8);
  CHECK(g.status.allocatable.pods == 110);
  CHECK(g.status.capacity.cpu_milli == 192000);
  CHECK(g.ready());
  REQUIRE(g.status.images.size() == 1);
  CHECK(g.status.images[0].names.size() == 2);
  CHECK(g.status.images[0].size_bytes == 9876543210LL);
  // creationTimestamp is mapped relative to the earliest object read: 30 s apart.
  CHECK(g.metadata.creation_timestamp == 0);
  const models::Node& c = r.m.nodes[1];
  CHECK(c.metadata.creation_timestamp == 30 * sim::kSecond);
  CHECK(c.spec.unschedulable);
  // No allocatable: it defaults to the capacity.
  CHECK(c.status.allocatable.cpu_milli == 16000);
  CHECK(c.status.allocatable.memory == 64LL << 30);
  CHECK_FALSE(c.ready());
  // The noise of a real node is reported, with List paths.
  CHECK(has_ignored(r.m, "items[0].metadata.resourceVersion"));
  CHECK(has_ignored(r.m, "items[0].metadata.uid"));
  CHECK(has_ignored(r.m, "items[0].status.addresses"));
  CHECK(has_ignored(r.m, "items[0].status.nodeInfo"));
  CHECK(has_ignored(r.m, "items[0].status.conditions[0].lastHeartbeatTime"));
  CHECK(has_ignored(r.m, "metadata"));
  CHECK(r.m.ignored.size() == 7);
  const auto summary = summarize_ignored(r.m.ignored);
  REQUIRE(summary.size() == 7);
  // Document order.
  CHECK(summary[0] ==
        "metadata.resourceVersion: the object store assigns resource versions "
        "(at m.yaml:12:22)");
  CHECK(summary[1] == "metadata.uid: the object store assigns uids (at m.yaml:13:10)");
}

// A running CoreDNS pod as `kubectl get pods -n kube-system -o yaml` prints it on a kind
// cluster (v1.34), managedFields and all.
constexpr const char* kCoreDnsPod = R"yaml(apiVersion: v1
kind: Pod
metadata:
  creationTimestamp: "2025-09-01T08:00:12Z"
  generateName: coredns-668d6bf9bc-
  labels:
    k8s-app: kube-dns
    pod-template-hash: 668d6bf9bc
  managedFields:
  - apiVersion: v1
    fieldsType: FieldsV1
    fieldsV1:
      f:metadata: {}
    manager: kube-controller-manager
    operation: Update
    time: "2025-09-01T08:00:12Z"
  name: coredns-668d6bf9bc-7xk2p
  namespace: kube-system
  ownerReferences:
  - apiVersion: apps/v1
    blockOwnerDeletion: true
    controller: true
    kind: ReplicaSet
    name: coredns-668d6bf9bc
    uid: 0f3e8c1a-2b4d-4e5f-8a9b-0c1d2e3f4a5b
  resourceVersion: "512"
  uid: 9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d
spec:
  affinity:
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
      - podAffinityTerm:
          labelSelector:
            matchExpressions:
            - key: k8s-app
              operator: In
              values:
              - kube-dns
          topologyKey: kubernetes.io/hostname
        weight: 100
  containers:
  - args:
    - -conf
    - /etc/coredns/Corefile
    image: registry.k8s.io/coredns/coredns:v1.11.3
    imagePullPolicy: IfNotPresent
    livenessProbe:
      failureThreshold: 5
      httpGet:
        path: /health
        port: 8080
        scheme: HTTP
    name: coredns
    ports:
    - containerPort: 53
      name: dns
      protocol: UDP
    - containerPort: 53
      name: dns-tcp
      protocol: TCP
    resources:
      limits:
        memory: 170Mi
      requests:
        cpu: 100m
        memory: 70Mi
    securityContext:
      allowPrivilegeEscalation: false
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
    volumeMounts:
    - mountPath: /etc/coredns
      name: config-volume
      readOnly: true
  dnsPolicy: Default
  enableServiceLinks: true
  nodeName: kind-control-plane
  nodeSelector:
    kubernetes.io/os: linux
  preemptionPolicy: PreemptLowerPriority
  priority: 2000000000
  priorityClassName: system-cluster-critical
  restartPolicy: Always
  schedulerName: default-scheduler
  securityContext: {}
  serviceAccount: coredns
  serviceAccountName: coredns
  terminationGracePeriodSeconds: 30
  tolerations:
  - key: CriticalAddonsOnly
    operator: Exists
  - effect: NoSchedule
    key: node-role.kubernetes.io/control-plane
  - effect: NoExecute
    key: node.kubernetes.io/not-ready
    operator: Exists
    tolerationSeconds: 300
  volumes:
  - configMap:
      name: coredns
    name: config-volume
status:
  conditions:
  - lastProbeTime: null
    lastTransitionTime: "2025-09-01T08:00:30Z"
    status: "True"
    type: Ready
  - lastProbeTime: null
    lastTransitionTime: "2025-09-01T08:00:20Z"
    status: "True"
    type: PodScheduled
  containerStatuses:
  - containerID: containerd://abc
    image: registry.k8s.io/coredns/coredns:v1.11.3
    name: coredns
    ready: true
    restartCount: 0
  hostIP: 172.18.0.2
  hostIPs:
  - ip: 172.18.0.2
  phase: Running
  podIP: 10.244.0.3
  podIPs:
  - ip: 10.244.0.3
  qosClass: Burstable
  startTime: "2025-09-01T08:00:20Z"
)yaml";

TEST_CASE("a kubectl get pods -o yaml CoreDNS pod reads with its noise ignored", "[manifests]") {
  Read r = read_ok(kCoreDnsPod);
  REQUIRE(r.m.pods.size() == 1);
  const models::Pod& p = r.m.pods[0];
  CHECK(p.metadata.name == "coredns-668d6bf9bc-7xk2p");
  CHECK(p.metadata.namespace_ == "kube-system");
  CHECK(p.metadata.controller_ref()->kind == "ReplicaSet");
  CHECK(p.metadata.controller_ref()->block_owner_deletion);
  CHECK(p.spec.priority == 2000000000);
  CHECK(p.spec.node_name == "kind-control-plane");
  CHECK(p.spec.node_selector.get("kubernetes.io/os") == "linux");
  REQUIRE(p.spec.tolerations.size() == 3);
  CHECK_FALSE(p.spec.tolerations[0].effect.has_value());
  CHECK(p.spec.tolerations[1].op == models::TolerationOperator::kEqual);
  CHECK(p.spec.pod_anti_affinity.preferred.at(0).weight == 100);
  const models::Container& c = p.spec.containers.at(0);
  CHECK(c.requests.cpu_milli == 100);
  CHECK(c.requests.memory == 70LL << 20);
  CHECK(c.limits.memory == 170LL << 20);
  REQUIRE(c.ports.size() == 2);
  CHECK(c.ports[0].protocol == "UDP");
  CHECK(p.status.phase == models::PodPhase::kRunning);
  CHECK(p.ready());
  CHECK(p.status.pod_ip == "10.244.0.3");
  // Everything else is reported, in document order, grouped for a warning.
  const auto summary = summarize_ignored(r.m.ignored);
  const std::vector<std::string> expected_prefixes = {
      "metadata.managedFields:",
      "metadata.resourceVersion:",
      "metadata.uid:",
      "spec.containers[*].args:",
      "spec.containers[*].imagePullPolicy:",
      "spec.containers[*].livenessProbe:",
      "spec.containers[*].securityContext:",
      "spec.containers[*].terminationMessagePath:",
      "spec.containers[*].terminationMessagePolicy:",
      "spec.containers[*].volumeMounts:",
      "spec.dnsPolicy:",
      "spec.enableServiceLinks:",
      "spec.securityContext:",
      "spec.serviceAccount:",
      "spec.serviceAccountName:",
      "spec.volumes:",
      "status.containerStatuses:",
      "status.hostIP:",
      "status.hostIPs:",
      "status.podIPs:",
      "status.qosClass:"};
  REQUIRE(summary.size() == expected_prefixes.size());
  for (std::size_t i = 0; i < summary.size(); ++i) {
    INFO(summary[i]);
    CHECK(summary[i].rfind(expected_prefixes[i], 0) == 0);
  }
}

TEST_CASE("multi-document files, typed lists and every supported kind", "[manifests]") {
  Read r = read_ok(R"(---
apiVersion: v1
kind: Namespace
metadata: {name: ml, labels: {team: research}}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000000
globalDefault: false
preemptionPolicy: Never
description: "training jobs"
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: prod}
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080, nodePort: 30080}
  - {name: https, port: 443, targetPort: https, protocol: TCP}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: frontend}
spec:
  replicas: 2
  selector:
    matchExpressions: [{key: tier, operator: In, values: [frontend]}]
  template:
    metadata: {labels: {tier: frontend}}
    spec: {containers: [{name: php, image: php:8}]}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}
  - type: Pods
    pods:
      metric: {name: requests_per_second}
      target: {type: AverageValue, averageValue: 1k}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 300
      policies: [{type: Percent, value: 50, periodSeconds: 60}]
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: gpu-node-1, namespace: kube-node-lease}
spec: {holderIdentity: gpu-node-1, leaseDurationSeconds: 40}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-abc, namespace: prod, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
endpoints:
- addresses: [10.1.2.3]
  conditions: {ready: true}
  nodeName: n1
  zone: us-east-1a
  targetRef: {kind: Pod, name: web-1}
ports: [{name: http, port: 8080, protocol: TCP}]
---
apiVersion: scheduling.x-k8s.io/v1alpha1
kind: PodGroup
metadata: {name: gang, namespace: ml}
spec: {minMember: 4, scheduleTimeoutSeconds: 120}
---
apiVersion: v1
kind: PodList
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: a}
  spec: {containers: [{name: c, image: x}]}
)");
  CHECK(r.m.object_count() == 9);
  REQUIRE(r.m.namespaces.size() == 1);
  CHECK(r.m.namespaces[0].metadata.namespace_.empty());
  CHECK(r.m.namespaces[0].metadata.labels.get("team") == "research");
  REQUIRE(r.m.priority_classes.size() == 1);
  CHECK(r.m.priority_classes[0].value == 1000000);
  CHECK(r.m.priority_classes[0].preemption_policy == models::PreemptionPolicy::kNever);
  CHECK(r.m.priority_classes[0].description == "training jobs");
  REQUIRE(r.m.services.size() == 1);
  const auto& svc = r.m.services[0].spec;
  CHECK(svc.type == models::ServiceType::kNodePort);
  CHECK(svc.selector.get("app") == "web");
  REQUIRE(svc.ports.size() == 2);
  CHECK(svc.ports[0].target_port == "8080");
  CHECK(svc.ports[0].node_port == 30080);
  CHECK(svc.ports[1].target_port == "https");
  REQUIRE(r.m.replica_sets.size() == 1);
  CHECK(r.m.replica_sets[0].spec.replicas == 2);
  CHECK(r.m.replica_sets[0].spec.selector.match_expressions.size() == 1);
  REQUIRE(r.m.horizontal_pod_autoscalers.size() == 1);
  const auto& hpa = r.m.horizontal_pod_autoscalers[0].spec;
  CHECK(hpa.min_replicas == 2);
  CHECK(hpa.max_replicas == 10);
  REQUIRE(hpa.metrics.size() == 2);
  CHECK(hpa.metrics[0].resource_name == "cpu");
  CHECK(hpa.metrics[0].target.average_utilization == 60);
  CHECK(hpa.metrics[1].type == models::MetricSourceType::kPods);
  CHECK(hpa.metrics[1].metric_name == "requests_per_second");
  CHECK(hpa.metrics[1].target.average_value_milli == 1'000'000);
  REQUIRE(hpa.scale_down.has_value());
  CHECK(hpa.scale_down->stabilization_window_seconds == 300);
  CHECK(hpa.scale_down->policies.at(0).type == models::ScalingPolicyType::kPercent);
  CHECK_FALSE(hpa.scale_up.has_value());
  REQUIRE(r.m.leases.size() == 1);
  CHECK(r.m.leases[0].spec.lease_duration_seconds == 40);
  REQUIRE(r.m.endpoint_slices.size() == 1);
  CHECK(r.m.endpoint_slices[0].endpoints.at(0).target_pod == "prod/web-1");
  CHECK(r.m.endpoint_slices[0].endpoints.at(0).conditions.ready == true);
  REQUIRE(r.m.pod_groups.size() == 1);
  CHECK(r.m.pod_groups[0].spec.min_member == 4);
  CHECK(r.m.pod_groups[0].spec.schedule_timeout_seconds == 120);
  REQUIRE(r.m.pods.size() == 1);
  CHECK(r.m.pods[0].metadata.name == "a");
}

TEST_CASE("pod spec: affinity, spread, sidecars, ports, priority and status", "[manifests]") {
  Read r = read_ok(R"(apiVersion: v1
kind: Pod
metadata:
  name: web-0
  generateName: web-
  ownerReferences:
  - {apiVersion: apps/v1, kind: ReplicaSet, name: web-abc, uid: u1, controller: true}
spec:
  nodeName: n1
  priority: 100
  preemptionPolicy: Never
  terminationGracePeriodSeconds: 5
  activeDeadlineSeconds: 60
  restartPolicy: OnFailure
  overhead: {cpu: 250m, memory: 120Mi}
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - {key: topology.kubernetes.io/zone, operator: In, values: [a, b]}
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 10
        preference:
          matchExpressions: [{key: disk, operator: Exists}]
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - labelSelector: {matchLabels: {app: web}}
        topologyKey: kubernetes.io/hostname
    podAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 50
        podAffinityTerm:
          labelSelector: {matchLabels: {app: cache}}
          topologyKey: topology.kubernetes.io/zone
          namespaces: [cache]
  topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: DoNotSchedule
    minDomains: 3
    labelSelector: {matchLabels: {app: web}}
    nodeTaintsPolicy: Honor
    matchLabelKeys: [pod-template-hash]
  initContainers:
  - name: log-agent
    image: fluent-bit
    restartPolicy: Always
    resources: {requests: {cpu: 100m}}
  - name: setup
    image: busybox
    resources: {requests: {cpu: "2"}}
  containers:
  - name: app
    image: web
    ports: [{containerPort: 8080, hostPort: 80, name: http}]
    resources: {requests: {cpu: "1", memory: 1Gi}, limits: {memory: 2Gi}}
status:
  phase: Running
  podIP: 10.0.0.5
  startTime: "2024-05-01T10:00:00Z"
  conditions:
  - {type: Ready, status: "True"}
)");
  const models::Pod& p = r.m.pods.at(0);
  CHECK(p.metadata.name == "web-0");
  CHECK(p.metadata.generate_name == "web-");
  REQUIRE(p.metadata.controller_ref() != nullptr);
  CHECK(p.metadata.controller_ref()->name == "web-abc");
  CHECK(p.spec.node_name == "n1");
  CHECK(p.spec.priority == 100);
  CHECK(p.spec.preemption_policy == models::PreemptionPolicy::kNever);
  CHECK(p.spec.termination_grace_period_seconds == 5);
  CHECK(p.spec.active_deadline_seconds == 60);
  CHECK(p.spec.restart_policy == models::RestartPolicy::kOnFailure);
  CHECK(p.spec.overhead.cpu_milli == 250);
  REQUIRE(p.spec.node_affinity.has_value());
  REQUIRE(p.spec.node_affinity->required.has_value());
  CHECK(p.spec.node_affinity->required->node_selector_terms.at(0).match_expressions.at(0).values ==
        std::vector<std::string>{"a", "b"});
  CHECK(p.spec.node_affinity->preferred.at(0).weight == 10);
  REQUIRE(p.spec.pod_anti_affinity.required.size() == 1);
  CHECK(p.spec.pod_anti_affinity.required[0].topology_key == "kubernetes.io/hostname");
  REQUIRE(p.spec.pod_affinity.preferred.size() == 1);
  CHECK(p.spec.pod_affinity.preferred[0].weight == 50);
  CHECK(p.spec.pod_affinity.preferred[0].term.namespaces == std::vector<std::string>{"cache"});
  REQUIRE(p.spec.topology_spread_constraints.size() == 1);
  const auto& tsc = p.spec.topology_spread_constraints[0];
  CHECK(tsc.min_domains == 3);
  CHECK(tsc.node_taints_policy == models::NodeInclusionPolicy::kHonor);
  CHECK_FALSE(tsc.node_affinity_policy.has_value());
  CHECK(tsc.match_label_keys == std::vector<std::string>{"pod-template-hash"});
  REQUIRE(p.spec.init_containers.size() == 2);
  CHECK(p.spec.init_containers[0].restartable);
  CHECK_FALSE(p.spec.init_containers[1].restartable);
  CHECK(p.spec.containers.at(0).ports.at(0).host_port == 80);
  CHECK(p.spec.containers[0].requests.memory == 1LL << 30);
  CHECK(p.spec.containers[0].limits.memory == 2LL << 30);
  // PodRequests: max(app 1000m + sidecar 100m, init 2000m + sidecar 100m) + overhead 250m.
  CHECK(p.requests().cpu_milli == 2350);
  CHECK(p.status.phase == models::PodPhase::kRunning);
  CHECK(p.status.pod_ip == "10.0.0.5");
  CHECK(p.ready());
  // status.startTime is read (the HPA's readiness rules need it); the only timestamp here,
  // it is simulation time 0.
  CHECK(p.status.start_time == 0);
  CHECK_FALSE(has_ignored(r.m, "status.startTime"));
  // Container port names are read: a Service's named targetPort resolves to them.
  CHECK_FALSE(has_ignored(r.m, "spec.containers[0].ports[0].name"));
  CHECK(p.spec.containers.at(0).ports.at(0).name == "http");
}

TEST_CASE("errors: unknown fields, with location, path and did-you-mean", "[manifests]") {
  SECTION("a typo in a container") {
    Diagnostic d = only_error(R"(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: c
    image: x
    resource:
      requests: {cpu: 1}
)");
    CHECK(d.file == "m.yaml");
    CHECK(d.line == 8);
    CHECK(d.column == 5);
    CHECK(d.path == "spec.containers[0].resource");
    CHECK(d.message == "unknown field");
    CHECK(d.hint == "did you mean 'resources'?");
  }
  SECTION("a typo deep in a List item") {
    Diagnostic d = only_error(R"(apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: n}
  spec:
    taints:
    - {key: a, valu: b, effect: NoSchedule}
)");
    CHECK(d.line == 9);
    CHECK(d.column == 16);
    CHECK(d.path == "items[0].spec.taints[0].valu");
    CHECK(d.hint == "did you mean 'value'?");
  }
  SECTION("nodeselector instead of nodeSelector") {
    Diagnostic d = only_error(R"(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  nodeselector: {a: b}
  containers: [{name: c}]
)");
    CHECK(d.path == "spec.nodeselector");
    CHECK(d.line == 5);
    CHECK(d.column == 3);
    CHECK(d.hint == "did you mean 'nodeSelector'?");
  }
}

TEST_CASE("errors: bad values are located", "[manifests]") {
  SECTION("a bad quantity") {
    Diagnostic d = only_error(R"(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: c
    resources:
      requests:
        memory: 2Gx
)");
    CHECK(d.path == "spec.containers[0].resources.requests.memory");
    CHECK(d.line == 9);
    CHECK(d.column == 17);
    CHECK(d.message.find("memory: invalid quantity \"2Gx\"") == 0);
  }
  SECTION("a fractional GPU") {
    Diagnostic d = only_error(R"(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: c, resources: {limits: {nvidia.com/gpu: "0.5"}}}]
)");
    CHECK(d.path == "spec.containers[0].resources.limits.nvidia.com/gpu");
    CHECK(d.message.find("must be an integer") != std::string::npos);
  }
  SECTION("requests above limits") {
    Diagnostic d = only_error(R"(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: c, resources: {requests: {cpu: "2"}, limits: {cpu: "1"}}}]
)");
    CHECK(d.path == "spec.containers[0].resources.requests");
    CHECK(d.message == "requests.cpu must be less than or equal to the cpu limit");
  }
  SECTION("a bad duration in kubesim's run-duration annotation") {
    Diagnostic d = only_error(R"(apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    kubesim.io/run-duration: 10 minutes
spec:
  containers: [{name: c}]
)");
    CHECK(d.path == "metadata.annotations.kubesim.io/run-duration");
    CHECK(d.line == 6);
    CHECK(d.column == 30);
    CHECK(d.message.find("invalid duration \"10 minutes\"") == 0);
  }
  SECTION("a GPU share above one device") {
    Diagnostic d = only_error(R"(apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    alibabacloud.com/gpu-milli: "1500"
spec:
  containers: [{name: c}]
)");
    CHECK(d.path == "metadata.annotations.alibabacloud.com/gpu-milli");
    CHECK(d.line == 6);
    CHECK(d.message == "expected milli-GPU per device 1..1000, got \"1500\"");
  }
  SECTION("a shared GPU spread over two devices") {
    Diagnostic d = only_error(R"(apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    alibabacloud.com/gpu-milli: "500"
    alibabacloud.com/gpu-count: "2"
spec:
  containers: [{name: c}]
)");
    CHECK(d.path == "metadata.annotations.alibabacloud.com/gpu-count");
    CHECK(d.line == 7);
    CHECK(d.message == "a shared GPU (gpu-milli below 1000) must have gpu-count 1");
  }
  SECTION("a GPU count without gpu-milli") {
    Diagnostic d = only_error(R"(apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations: {alibabacloud.com/gpu-count: "2"}
spec:
  containers: [{name: c}]
)");
    CHECK(d.path == "metadata.annotations.alibabacloud.com/gpu-count");
    CHECK(d.message.find("has no effect without alibabacloud.com/gpu-milli") == 0);
  }
  SECTION("a bad label value") {
    Diagnostic d = only_error(R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: "web server"
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c}]}
)");
    CHECK(d.path == "metadata.labels.app");
    CHECK(d.line == 6);
    CHECK(d.column == 10);
  }
  SECTION("a bad label key") {
    Diagnostic d = only_error(R"(apiVersion: v1
kind: Node
metadata:
  name: n
  labels:
    -bad: x
)");
    CHECK(d.path == "metadata.labels.-bad");
    CHECK(d.line == 6);
    CHECK(d.column == 5);
  }
  SECTION("a name that is not a DNS subdomain") {
    Diagnostic d = only_error(R"(apiVersion: v1
kind: Pod
metadata: {name: My_Pod}
spec: {containers: [{name: c}]}
)");
    CHECK(d.path == "metadata.name");
    CHECK(d.line == 3);
    CHECK(d.column == 18);
    CHECK(d.message.find("invalid name \"My_Pod\"") == 0);
  }
  SECTION("negative replicas") {
    Diagnostic d = only_error(R"(apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs}
spec:
  replicas: -2
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec: {containers: [{name: c}]}
)");
    CHECK(d.path == "spec.replicas");
    CHECK(d.line == 5);
    CHECK(d.column == 13);
    CHECK(d.message == "must be between 0 and 2147483647, got -2");
  }
  SECTION("selector does not match template labels") {
    Diagnostic d = only_error(R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: api}
    spec: {containers: [{name: c}]}
)");
    CHECK(d.path == "spec.template.metadata.labels");
    CHECK(d.message == "`selector` does not match template `labels`");
    CHECK(d.line == 9);
    CHECK(d.column == 15);
  }
  SECTION("a toleration with tolerationSeconds but not NoExecute") {
    Diagnostic d = only_error(R"(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: c}]
  tolerations:
  - {key: a, operator: Exists, effect: NoSchedule, tolerationSeconds: 5}
)");
    CHECK(d.path == "spec.tolerations[0]");
    CHECK(d.line == 7);
    CHECK(d.column == 5);
  }
  SECTION("a taint with a bad effect and a did-you-mean") {
    Diagnostic d = only_error(R"(apiVersion: v1
kind: Node
metadata: {name: n}
spec:
  taints: [{key: a, effect: NoSchedul}]
)");
    CHECK(d.path == "spec.taints[0].effect");
    CHECK(d.hint == "did you mean 'NoSchedule'?");
  }
  SECTION("a bad creationTimestamp") {
    Diagnostic d = only_error(R"(apiVersion: v1
kind: Node
metadata: {name: n, creationTimestamp: "2024-13-01T00:00:00Z"}
)");
    CHECK(d.path == "metadata.creationTimestamp");
    CHECK(d.line == 3);
  }
  SECTION("a duplicate object") {
    Diagnostic d = only_error(R"(apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Node, metadata: {name: n1}}
- {apiVersion: v1, kind: Node, metadata: {name: n1}}
)");
    CHECK(d.path == "items[1].metadata.name");
    CHECK(d.line == 5);
    CHECK(d.column == 49);
    CHECK(d.message == "duplicate Node \"n1\"");
    CHECK(d.hint == "first defined at m.yaml:4:49");
  }
  SECTION("a user priority class above 1e9") {
    Diagnostic d = only_error(
        "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\n"
        "metadata: {name: huge}\nvalue: 2000000000\n");
    CHECK(d.path == "value");
    CHECK(d.line == 4);
    CHECK(d.column == 8);
  }
  SECTION("a missing containers list") {
    Diagnostic d = only_error("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {}\n");
    CHECK(d.path == "spec.containers");
    CHECK(d.message.find("required field is missing") == 0);
  }
}

TEST_CASE("errors: kinds, apiVersions and YAML syntax", "[manifests]") {
  SECTION("an unknown kind lists the supported kinds") {
    Diagnostic d = only_error("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\n");
    CHECK(d.path == "kind");
    CHECK(d.line == 2);
    CHECK(d.column == 7);
    CHECK(d.message == "unsupported kind \"StatefulSet\"");
    CHECK(d.hint.find("supported kinds: v1 Pod, v1 Node, v1 Namespace, v1 Service, apps/v1 "
                      "Deployment") == 0);
    CHECK(d.hint.find("scheduling.x-k8s.io/v1alpha1 PodGroup") != std::string::npos);
  }
  SECTION("a misspelt kind gets a did-you-mean") {
    Diagnostic d = only_error("apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: s}\n");
    CHECK(d.hint.find("did you mean 'Deployment'?") == 0);
  }
  SECTION("the wrong apiVersion") {
    Diagnostic d = only_error(
        "apiVersion: extensions/v1beta1\nkind: Deployment\n"
        "metadata: {name: s}\n");
    CHECK(d.path == "apiVersion");
    CHECK(d.line == 1);
    CHECK(d.column == 13);
    CHECK(d.hint == "write apiVersion: apps/v1");
  }
  SECTION("a YAML syntax error") {
    Diagnostic d = only_error("apiVersion: v1\nkind: Pod\nmetadata: {name: p\n");
    CHECK(d.message.find("YAML syntax error") == 0);
    CHECK(d.line >= 3);
  }
  SECTION("several errors are all reported") {
    Read r = read(R"(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: a, resources: {requests: {cpu: x}}}
  - {name: a, imagee: y}
)");
    CHECK_FALSE(r.ok);
    CHECK(r.diagnostics.size() == 3);  // bad cpu, duplicate name, unknown field
  }
}

TEST_CASE("kinds that never affect scheduling are reported as ignored", "[manifests]") {
  Read r = read_ok("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n");
  CHECK(r.m.object_count() == 0);
  REQUIRE(r.m.ignored.size() == 1);
  CHECK(r.m.ignored[0].reason == "kind ConfigMap does not affect scheduling and is not modelled");
}

TEST_CASE("summarize_ignored groups paths across list items", "[manifests]") {
  std::vector<IgnoredField> f = {
      {"a.yaml", 3, 5, "items[0].spec.containers[0].env", "environment variables are not modelled"},
      {"a.yaml", 9, 5, "items[1].spec.containers[2].env", "environment variables are not modelled"},
      {"b.yaml", 1, 1, "status", "observed status is recomputed by the simulation"}};
  const auto s = summarize_ignored(f);
  REQUIRE(s.size() == 2);
  CHECK(s[0] ==
        "spec.containers[*].env: environment variables are not modelled (2 times, first at "
        "a.yaml:3:5)");
  CHECK(s[1] == "status: observed status is recomputed by the simulation (at b.yaml:1:1)");
}

TEST_CASE("random mutations of real manifests never crash the reader", "[manifests]") {
  // Deterministic: a fixed seed, local engine.
  std::mt19937 gen(20240501);
  const std::string bases[] = {kCoreDnsPod, kNodeList, kGpuPod, kNginxDeployment};
  const std::string alphabet = " :-{}[]\n\"'#&*!|>%@`,?abc0123";
  int rejected = 0;
  for (int i = 0; i < 1500; ++i) {
    std::string text = bases[i % 4];
    const int edits = 1 + static_cast<int>(gen() % 4);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const std::size_t pos = gen() % text.size();
      switch (gen() % 3) {
        case 0:
          text.erase(pos, 1 + gen() % 8);
          break;
        case 1:
          text.insert(pos, 1, alphabet[gen() % alphabet.size()]);
          break;
        default:
          text[pos] = alphabet[gen() % alphabet.size()];
          break;
      }
    }
    Manifests m;
    Diagnostics d;
    bool ok = false;
    REQUIRE_NOTHROW(ok = read_manifests_text(text, "fuzz.yaml", m, d));
    CHECK(ok == d.empty());
    if (!ok) ++rejected;
  }
  CHECK(rejected > 100);  // the mutations do break things, and are reported
}

TEST_CASE("parse_rfc3339", "[manifests]") {
  CHECK(parse_rfc3339("1970-01-01T00:00:00Z") == 0);
  // 2024-05-01T10:00:00Z = 1714557600 (date -u -d 2024-05-01T10:00:00Z +%s).
  CHECK(parse_rfc3339("2024-05-01T10:00:00Z") == 1714557600LL * sim::kSecond);
  CHECK(parse_rfc3339("2024-05-01T12:00:00.5+02:00") ==
        1714557600LL * sim::kSecond + 500 * sim::kMillisecond);
  CHECK(parse_rfc3339("2024-02-29T00:00:00Z").has_value());
  CHECK_FALSE(parse_rfc3339("2023-02-29T00:00:00Z").has_value());
  CHECK_FALSE(parse_rfc3339("2024-05-01 10:00:00Z").has_value());
  CHECK_FALSE(parse_rfc3339("2024-05-01T10:00:00").has_value());
}

TEST_CASE("read_manifests_path reads a directory in sorted order", "[manifests]") {
  testing::TempDir dir;
  std::ofstream(dir.str("b-nodes.yaml")) << kNodeList;
  std::ofstream(dir.str("a-deploy.yml")) << kNginxDeployment;
  std::ofstream(dir.str("c.json"))
      << R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j"},
             "spec": {"containers": [{"name": "c", "image": "x"}]}})";
  std::ofstream(dir.str("README.md")) << "not a manifest";
  Manifests m;
  Diagnostics d;
  REQUIRE(read_manifests_path(dir.str(), m, d));
  CHECK(m.deployments.size() == 1);
  CHECK(m.nodes.size() == 2);
  REQUIRE(m.pods.size() == 1);
  CHECK(m.pods[0].metadata.name == "j");
  CHECK(m.nodes[1].metadata.creation_timestamp == 30 * sim::kSecond);

  SECTION("an error names its file") {
    std::ofstream(dir.str("d.yaml")) << "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
                                        "spec: {containers: [{name: c, imag: x}]}\n";
    Manifests m2;
    Diagnostics d2;
    CHECK_FALSE(read_manifests_path(dir.str(), m2, d2));
    REQUIRE(d2.size() == 1);
    CHECK(d2.items()[0].file == dir.str("d.yaml"));
    CHECK(d2.items()[0].line == 4);
  }
  SECTION("a missing path") {
    Manifests m2;
    Diagnostics d2;
    CHECK_FALSE(read_manifests_path(dir.str("nope.yaml"), m2, d2));
    REQUIRE(d2.size() == 1);
    CHECK(d2.items()[0].message == "no such file or directory");
  }
}

}  // namespace
}  // namespace kubesim::scenarios
