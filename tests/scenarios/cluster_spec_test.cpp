// Tests for the cluster, control-plane and fault sections of a Scenario
// (scenarios/cluster_reader.cpp) and the cross-checks the loader makes after reading the
// Kubernetes manifests. Expected values are the documented defaults (docs/scenarios.md) and
// the upstream defaults they cite.
#include <catch2/catch.hpp>
#include <string>

#include "models/node_pool.hpp"
#include "scenarios/scenario.hpp"

namespace kubesim::scenarios {
namespace {

const std::string kHead = R"(apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: t}
spec:
  duration: 1m
  cluster:
    nodePools:
    - name: cpu
      count: 3
      cpu: "8"
      memory: 32Gi
      reserved: {cpu: 500m, memory: 1Gi}
      zones: [zone-a, zone-b]
)";

struct Loaded {
  std::optional<Scenario> scenario;
  Diagnostics diagnostics;
};

Loaded load(const std::string& text) {
  Loaded l;
  l.scenario = load_scenario_text(text, "t.yaml", {}, l.diagnostics);
  return l;
}

bool has_error(const Loaded& l, std::string_view path, std::string_view message) {
  for (const auto& d : l.diagnostics.items()) {
    if (d.path == path && d.message.find(message) != std::string::npos) return true;
  }
  return false;
}

TEST_CASE("a node pool becomes nodes with upstream's well-known labels", "[cluster]") {
  Loaded l = load(kHead);
  INFO(l.diagnostics.format());
  REQUIRE(l.scenario);
  REQUIRE(l.scenario->cluster);
  const models::NodePool& pool = l.scenario->cluster->node_pools.at(0);
  CHECK(pool.capacity.cpu_milli == 8000);
  CHECK(pool.capacity.memory == 32LL << 30);
  CHECK(pool.capacity.pods == 110);  // kubelet maxPods default
  const auto nodes = models::make_nodes(pool, 0);
  REQUIRE(nodes.size() == 3);
  CHECK(nodes[0].metadata.name == "cpu-0");
  // Zones round-robin: cpu-0 a, cpu-1 b, cpu-2 a.
  CHECK(nodes[1].metadata.labels.get(models::kLabelZone) == "zone-b");
  CHECK(nodes[2].metadata.labels.get(models::kLabelZone) == "zone-a");
  CHECK(nodes[0].metadata.labels.get(models::kLabelHostname) == "cpu-0");
  // allocatable = capacity - reserved.
  CHECK(nodes[0].status.allocatable.cpu_milli == 7500);
  CHECK(nodes[0].status.allocatable.memory == (32LL << 30) - (1LL << 30));
  CHECK(nodes[0].ready());
  // Defaults of the control plane: upstream's.
  CHECK(l.scenario->control_plane.api_server.limits.max_mutating_requests_inflight == 200);
  CHECK(l.scenario->control_plane.controller_manager.node_monitor_grace_period ==
        50 * sim::kSecond);
  CHECK(l.scenario->control_plane.scheduler.profiles.size() == 1);
}

TEST_CASE("karpenter terminationGracePeriod: optional duration, checked", "[cluster][karpenter]") {
  const std::string karpenter = "    karpenter:\n      offerings: [{pool: cpu}]\n";
  SECTION("absent: drains wait without end") {
    Loaded l = load(kHead + karpenter);
    INFO(l.diagnostics.format());
    REQUIRE(l.scenario);
    REQUIRE(l.scenario->cluster->karpenter);
    CHECK_FALSE(l.scenario->cluster->karpenter->node_pools[0].options.termination_grace_period);
  }
  SECTION("given") {
    Loaded l = load(kHead + karpenter + "      terminationGracePeriod: 48h\n");
    INFO(l.diagnostics.format());
    REQUIRE(l.scenario);
    CHECK(l.scenario->cluster->karpenter->node_pools[0].options.termination_grace_period ==
          48 * sim::kHour);
  }
  SECTION("negative or not a duration") {
    Loaded neg = load(kHead + karpenter + "      terminationGracePeriod: -5m\n");
    CHECK_FALSE(neg.scenario);
    CHECK(has_error(neg, "spec.cluster.karpenter.terminationGracePeriod", ""));
    Loaded word = load(kHead + karpenter + "      terminationGracePeriod: soon\n");
    CHECK_FALSE(word.scenario);
    CHECK(has_error(word, "spec.cluster.karpenter.terminationGracePeriod", ""));
  }
}

TEST_CASE("faults are checked against the cluster and the control plane", "[cluster]") {
  SECTION("an etcd member out of range") {
    Loaded l = load(kHead + "  faults:\n  - {type: etcdMemberLoss, at: 1s, member: 3}\n");
    CHECK(has_error(l, "spec.faults[0].member", "etcd has 3 members (0..2)"));
  }
  SECTION("an API server replica out of range") {
    Loaded l = load(kHead + "  faults:\n  - {type: apiServerReplicaLoss, at: 1s, replica: 1}\n");
    CHECK(has_error(l, "spec.faults[0].replica", "the API server has 1 replicas"));
  }
  SECTION("an unknown zone, with a did-you-mean") {
    Loaded l = load(kHead + "  faults:\n  - {type: nodeFailure, at: 1s, zone: zone-c}\n");
    CHECK(has_error(l, "spec.faults[0].zone", "no node pool is in zone \"zone-c\""));
  }
  SECTION("an unknown node") {
    Loaded l = load(kHead + "  faults:\n  - {type: nodeFailure, at: 1s, nodes: [cpu-3]}\n");
    CHECK(has_error(l, "spec.faults[0].nodes", "no node \"cpu-3\" in the cluster"));
  }
  SECTION("nodes named two ways") {
    Loaded l = load(kHead + "  faults:\n  - {type: nodeFailure, at: 1s, nodes: [cpu-0], count: 1}\n");
    CHECK(has_error(l, "spec.faults[0]", "names its nodes one way"));
  }
  SECTION("a valid node failure") {
    Loaded l = load(kHead +
                    "  faults:\n  - {type: nodeFailure, at: 1s, count: 2, pool: cpu, recoverAfter: 30s}\n");
    INFO(l.diagnostics.format());
    REQUIRE(l.scenario);
    REQUIRE(l.scenario->faults.size() == 1);
    CHECK(l.scenario->faults[0].count == 2);
    CHECK(l.scenario->faults[0].recover_after == 30 * sim::kSecond);
  }
}

TEST_CASE("non-string list items are errors, not crashes", "[cluster][robustness]") {
  Loaded l = load(R"(apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: t}
spec:
  duration: 1m
  manifests: [{a: 1}]
  cluster:
    nodePools:
    - {name: a, count: 1, cpu: "1", memory: 1Gi, zones: [{x: 1}], labels: {k: [1]}}
)");
  CHECK_FALSE(l.scenario);
  CHECK(has_error(l, "spec.manifests", "each entry is a file or directory path"));
  CHECK(has_error(l, "spec.cluster.nodePools[0].zones", "each zone is a non-empty name"));
  CHECK(has_error(l, "spec.cluster.nodePools[0].labels", "labels map strings to strings"));
}

TEST_CASE("kubesim annotations and re-applied objects are checked", "[cluster]") {
  const std::string job = R"(---
apiVersion: batch/v1
kind: Job
metadata:
  name: j
  annotations: {kubesim.io/apply-at: five}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox}]
)";
  SECTION("a bad apply-at") {
    Loaded l = load(kHead + job);
    CHECK(has_error(l, "Job j annotation kubesim.io/apply-at", "\"five\" is not a duration"));
  }
  SECTION("a second version of a Job") {
    std::string again = job;
    again.replace(again.find("five"), 4, "10s");
    Loaded l = load(kHead + again + again);
    CHECK(has_error(l, "Job default/j", "a second version of this object"));
  }
}

}  // namespace
}  // namespace kubesim::scenarios

namespace kubesim::scenarios {
namespace {

std::string mig_pool(const std::string& memory, const std::string& layout) {
  return R"(apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: t}
spec:
  duration: 1m
  cluster:
    nodePools:
    - name: a100
      count: 2
      cpu: "96"
      memory: 1Ti
      gpu: {model: NVIDIA-A100-SXM4-80GB, count: 8, memoryMiB: )" +
         memory + ", mig: " + layout + "}\n";
}

TEST_CASE("a MIG layout advertises one extended resource per profile", "[cluster][mig]") {
  // Per GPU 3g.40gb + 2g.20gb + 1g.10gb ×2: 3+2+1+1 = 7 compute, 4+2+1+1 = 8 memory slices
  // (NVIDIA MIG user guide, A100-80GB profiles). 8 GPUs per node.
  Loaded l = load(mig_pool("81920", "[3g.40gb, 2g.20gb, 1g.10gb, 1g.10gb]"));
  INFO(l.diagnostics.format());
  REQUIRE(l.scenario);
  const models::NodePool& pool = l.scenario->cluster->node_pools.at(0);
  CHECK(pool.capacity.gpu == 0);  // mixed strategy: no whole GPUs
  CHECK(pool.capacity.get("nvidia.com/mig-3g.40gb") == 8);
  CHECK(pool.capacity.get("nvidia.com/mig-2g.20gb") == 8);
  CHECK(pool.capacity.get("nvidia.com/mig-1g.10gb") == 16);
  const auto nodes = models::make_nodes(pool, 0);
  CHECK(nodes.at(0).status.allocatable.get("nvidia.com/mig-1g.10gb") == 16);
  CHECK(nodes.at(0).metadata.labels.get("nvidia.com/mig.strategy") == "mixed");
}

TEST_CASE("bad MIG layouts are reported", "[cluster][mig]") {
  // 4g.40gb + 4g.40gb: 8 compute slices of 7.
  Loaded over = load(mig_pool("81920", "[4g.40gb, 4g.40gb]"));
  CHECK_FALSE(over.scenario);
  CHECK(has_error(over, "spec.cluster.nodePools[0].gpu.mig", "8 compute and 8 memory slices"));
  // A 40 GB profile on an 80 GB GPU: a did-you-mean to the 80 GB one.
  Loaded wrong = load(mig_pool("81920", "[1g.5gb]"));
  CHECK_FALSE(wrong.scenario);
  bool hinted = false;
  for (const auto& d : wrong.diagnostics.items()) hinted |= d.hint.find("1g.") != std::string::npos;
  CHECK(hinted);
  // No profile table for a 24 GB GPU.
  Loaded small = load(mig_pool("24576", "[1g.10gb]"));
  CHECK(has_error(small, "spec.cluster.nodePools[0].gpu.mig", "40 GB and 80 GB"));
}

}  // namespace
}  // namespace kubesim::scenarios
