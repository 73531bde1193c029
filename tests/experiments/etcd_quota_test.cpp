// A full etcd (NOSPACE) in the running cluster: writes fail, and the control plane keeps a
// bounded amount of work pending, as upstream's does.
//
// Upstream (kube-controller-manager v1.34, pkg/controller/nodelifecycle,
// node_lifecycle_controller.go monitorNodeHealth → controllerutil.MarkPodsNotReady) marks
// the pods of a node that stopped reporting NotReady inside the monitor pass; the client's
// rate limiter blocks that pass, and a failed write is retried by the next pass. So at most
// one write per pod is ever outstanding, whatever the failure rate.
#include <catch2/catch.hpp>
#include <string>

#include "experiments/scenario_run.hpp"
#include "sim/metrics.hpp"
#include "tests/support/scenario_loading.hpp"

namespace kubesim::experiments {
namespace {

std::string scenario() {
  // 40 nodes and 600 requested pods; a 6 MiB quota fills while the pods are being created
  // (about 500 run). Then lease renewals fail, the nodes go NotReady after the grace
  // period, and every 5 s pass wants to mark ~500 pods NotReady through a 20-QPS client:
  // 100 writes/s offered for 20/s served.
  return R"(apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: etcd-quota}
spec:
  seed: 1
  duration: 12m
  sampleInterval: 30s
  cluster:
    nodePools:
    - {name: cpu, count: 40, cpu: "32", memory: 128Gi}
  controlPlane:
    etcd: {quotaBackendBytes: 6Mi}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 600
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: nginx, resources: {requests: {cpu: 100m, memory: 100Mi}}}
)";
}

TEST_CASE("a full etcd leaves a bounded amount of control-plane work pending",
          "[etcd][quota][node-lifecycle]") {
  ScenarioRun run(testing::load_scenario_ok(scenario()));
  run.run();
  const sim::Counter* failed = run.metrics().find_counter("etcd.writes_failed");
  REQUIRE(failed != nullptr);
  CHECK(failed->value() > 1000);  // the quota was hit and writes kept failing
  // Pending events: a few timers per pod and per node (kubelet probes and status, leases,
  // informer deliveries, requests in flight). Before the fix, the NotReady writes re-issued
  // every pass queued behind the rate limiter: 54,000 pending events at 12 minutes,
  // growing by ~88 per second.
  const std::size_t bound = 2 * (600 + 10 * 40);
  CHECK(run.simulation().pending() < bound);
}

}  // namespace
}  // namespace kubesim::experiments
