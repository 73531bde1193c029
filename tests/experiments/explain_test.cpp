// Tests of experiments/explain.hpp against hand-computed kube-scheduler v1.34 scores.
//
// Cluster: four nodes, one bound pod, two pending pods (each 2 cpu, 2Gi):
//   node-a  4 cpu,  8Gi, empty
//   node-b 10 cpu, 16Gi, runs a bound pod of 2 cpu, 4Gi
//   node-c 16 cpu, 64Gi, tainted gpu=true:NoSchedule
//   node-d  1 cpu,  8Gi  (too small)
//
// Upstream formulas (pkg/scheduler/framework/plugins/noderesources):
//   LeastAllocated (least_allocated.go): per resource (alloc - req) * 100 / alloc (int64
//     division), then the weighted mean with cpu and memory weight 1 (integer division).
//   BalancedAllocation (balanced_allocation.go): fractions f = req / alloc; for two
//     resources std = |f_cpu - f_mem| / 2; score = int64((1 - std) * 100).
//   Both count the incoming pod in `req`. Neither normalizes (normalized == raw).
//   TaintToleration (taint_toleration.go): raw = intolerable PreferNoSchedule taints, here 0
//     everywhere; NormalizeScore reverses DefaultNormalizeScore, which with max 0 gives every
//     node 100. Default weights (default_plugins.go): Fit 1, Balanced 1, TaintToleration 3.
//
// First pod (priority 100, queued first although listed second):
//   node-a: cpu 2000/4000 -> 50, mem 2/8 -> 75; Least (50+75)/2 = 62
//           Balanced |0.5 - 0.25|/2 = 0.125 -> 87;            total 62 + 87 + 300 = 449
//   node-b: cpu 4000/10000 -> 60, mem 6/16 -> 62 (62.5 truncated); Least (60+62)/2 = 61
//           Balanced |0.4 - 0.375|/2 = 0.0125 -> 98 (98.75);  total 61 + 98 + 300 = 459
//   -> node-b.
// Second pod (priority 0), with the first assumed on node-b:
//   node-a: unchanged, 449
//   node-b: cpu 6000/10000 -> 40, mem 8/16 -> 50; Least 45; Balanced |0.6-0.5|/2 -> 95;
//           total 45 + 95 + 300 = 440
//   -> node-a.
#include "experiments/explain.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "scenarios/scheduler_config.hpp"

namespace kubesim::experiments {
namespace {

constexpr const char* kState = R"(apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: node-a}
  status: {allocatable: {cpu: "4", memory: 8Gi, pods: "110"}}
- apiVersion: v1
  kind: Node
  metadata: {name: node-b}
  status: {allocatable: {cpu: "10", memory: 16Gi, pods: "110"}}
- apiVersion: v1
  kind: Node
  metadata: {name: node-c}
  spec:
    taints: [{key: gpu, value: "true", effect: NoSchedule}]
  status: {allocatable: {cpu: "16", memory: 64Gi, pods: "110"}}
- apiVersion: v1
  kind: Node
  metadata: {name: node-d}
  status: {allocatable: {cpu: "1", memory: 8Gi, pods: "110"}}
- apiVersion: v1
  kind: Pod
  metadata: {name: running, namespace: default}
  spec:
    nodeName: node-b
    containers: [{name: c, resources: {requests: {cpu: "2", memory: 4Gi}}}]
  status: {phase: Running}
- apiVersion: v1
  kind: Pod
  metadata: {name: second, namespace: default}
  spec:
    containers: [{name: c, resources: {requests: {cpu: "2", memory: 2Gi}}}]
  status: {phase: Pending}
- apiVersion: v1
  kind: Pod
  metadata: {name: first, namespace: default}
  spec:
    priority: 100
    containers: [{name: c, resources: {requests: {cpu: "2", memory: 2Gi}}}]
  status: {phase: Pending}
- apiVersion: v1
  kind: Pod
  metadata: {name: done, namespace: default}
  spec:
    nodeName: node-a
    containers: [{name: c, resources: {requests: {cpu: "3"}}}]
  status: {phase: Succeeded}
)";

scenarios::Manifests state_of(const std::string& yaml) {
  scenarios::Manifests m;
  scenarios::Diagnostics d;
  const bool ok = scenarios::read_manifests_text(yaml, "state.yaml", m, d);
  INFO(d.format());
  REQUIRE(ok);
  return m;
}

const ExplainNode& node(const ExplainPod& p, const std::string& name) {
  for (const auto& n : p.nodes) {
    if (n.node == name) return n;
  }
  FAIL("no node " << name);
  return p.nodes.front();
}

const ExplainScore& score(const ExplainNode& n, const std::string& plugin) {
  for (const auto& s : n.scores) {
    if (s.plugin == plugin) return s;
  }
  FAIL("no score of " << plugin << " on " << n.node);
  return n.scores.front();
}

TEST_CASE("explain reproduces upstream filters and scores by hand", "[explain]") {
  const scenarios::Manifests state = state_of(kState);
  auto result = explain(state, scenarios::default_scheduler_config());
  INFO(result.error());
  REQUIRE(result.ok());
  const Explanation& e = *result;
  CHECK(e.node_count == 4);
  CHECK(e.bound_pods == 1);  // the Succeeded pod does not count
  REQUIRE(e.pods.size() == 2);

  const ExplainPod& first = e.pods[0];
  CHECK(first.pod == "default/first");  // priority 100 goes first
  CHECK(first.priority == 100);
  REQUIRE(first.chosen_node.has_value());
  CHECK(*first.chosen_node == "node-b");
  CHECK(first.scored);
  REQUIRE(first.nodes.size() == 4);
  CHECK(first.nodes[0].node == "node-a");  // input order

  const ExplainNode& c = node(first, "node-c");
  CHECK_FALSE(c.feasible);
  CHECK(c.rejected_plugin == "TaintToleration");
  CHECK(c.rejected_reason == "node(s) had untolerated taint {gpu: true}");
  const ExplainNode& d = node(first, "node-d");
  CHECK_FALSE(d.feasible);
  CHECK(d.rejected_plugin == "NodeResourcesFit");
  CHECK(d.rejected_reason == "Insufficient cpu");

  const ExplainNode& a = node(first, "node-a");
  const ExplainNode& b = node(first, "node-b");
  CHECK(a.feasible);
  CHECK(b.feasible);
  CHECK(score(a, "NodeResourcesFit").raw == 62);
  CHECK(score(a, "NodeResourcesFit").normalized == 62);
  CHECK(score(a, "NodeResourcesFit").weight == 1);
  CHECK(score(a, "NodeResourcesBalancedAllocation").raw == 87);
  CHECK(score(a, "NodeResourcesBalancedAllocation").normalized == 87);
  CHECK(score(a, "TaintToleration").raw == 0);
  CHECK(score(a, "TaintToleration").normalized == 100);
  CHECK(score(a, "TaintToleration").weight == 3);
  CHECK(score(b, "NodeResourcesFit").raw == 61);
  CHECK(score(b, "NodeResourcesBalancedAllocation").raw == 98);
  CHECK(a.total == 449);
  CHECK(b.total == 459);

  // The second pod sees the first assumed on node-b.
  const ExplainPod& second = e.pods[1];
  CHECK(second.pod == "default/second");
  REQUIRE(second.chosen_node.has_value());
  CHECK(*second.chosen_node == "node-a");
  CHECK(score(node(second, "node-b"), "NodeResourcesFit").raw == 45);
  CHECK(score(node(second, "node-b"), "NodeResourcesBalancedAllocation").raw == 95);
  CHECK(node(second, "node-b").total == 440);
  CHECK(node(second, "node-a").total == 449);
}

TEST_CASE("explain JSON has the documented shape", "[explain]") {
  const scenarios::Manifests state = state_of(kState);
  auto result = explain(state, scenarios::default_scheduler_config());
  REQUIRE(result.ok());
  const auto j = nlohmann::json::parse(render_json(*result));
  REQUIRE(j["pods"].size() == 2);
  const auto& p = j["pods"][0];
  CHECK(p["pod"] == "default/first");
  CHECK(p["chosenNode"] == "node-b");
  REQUIRE(p["nodes"].size() == 4);
  const auto& a = p["nodes"][0];
  CHECK(a["node"] == "node-a");
  CHECK(a["feasible"] == true);
  CHECK(a["rejectedBy"].is_null());
  CHECK(a["scores"]["NodeResourcesFit"]["raw"] == 62);
  CHECK(a["scores"]["NodeResourcesFit"]["normalized"] == 62);
  CHECK(a["scores"]["NodeResourcesFit"]["weight"] == 1);
  CHECK(a["total"] == 449);
  const auto& c = p["nodes"][2];
  CHECK(c["feasible"] == false);
  CHECK(c["rejectedBy"]["plugin"] == "TaintToleration");
  CHECK(c["rejectedBy"]["reason"] == "node(s) had untolerated taint {gpu: true}");
  CHECK(c["scores"].empty());
  CHECK(c["total"] == 0);
  // Keys in the documented order, laid out exactly as nlohmann's dump(2) would.
  const std::string text = render_json(*result);
  CHECK(text == nlohmann::ordered_json::parse(text).dump(2) + "\n");
  CHECK(text.find("\"pod\"") < text.find("\"chosenNode\""));
  CHECK(text.find("\"chosenNode\"") < text.find("\"nodes\""));
}

TEST_CASE("explain table names the reasons and the scores", "[explain]") {
  const scenarios::Manifests state = state_of(kState);
  auto result = explain(state, scenarios::default_scheduler_config());
  REQUIRE(result.ok());
  const std::string table = render_table(*result);
  CHECK(table.find("pod default/first (priority 100, default-scheduler): -> node-b") !=
        std::string::npos);
  CHECK(table.find("TaintToleration: node(s) had untolerated taint {gpu: true}") !=
        std::string::npos);
  CHECK(table.find("NodeResourcesFit: Insufficient cpu") != std::string::npos);
  CHECK(table.find("62 (62)") != std::string::npos);
}

TEST_CASE("explain: an unschedulable pod, a single feasible node, another scheduler", "[explain]") {
  const scenarios::Manifests state = state_of(R"(apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Node, metadata: {name: small},
   status: {allocatable: {cpu: "1", memory: 1Gi, pods: "110"}}}
- {apiVersion: v1, kind: Node, metadata: {name: big},
   status: {allocatable: {cpu: "8", memory: 8Gi, pods: "110"}}}
- apiVersion: v1
  kind: Pod
  metadata: {name: huge, creationTimestamp: "2024-01-01T00:00:00Z"}
  spec: {containers: [{name: c, resources: {requests: {cpu: "64"}}}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: medium, creationTimestamp: "2024-01-01T00:00:05Z"}
  spec: {containers: [{name: c, resources: {requests: {cpu: "4"}}}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: other}
  spec: {schedulerName: my-scheduler, containers: [{name: c}]}
)");
  auto result = explain(state, scenarios::default_scheduler_config());
  INFO(result.error());
  REQUIRE(result.ok());
  const Explanation& e = *result;
  // "other" has no creationTimestamp (time 0 < huge's 0? both 0: input order) but it is
  // skipped: no profile named my-scheduler.
  REQUIRE(e.pods.size() == 2);
  const ExplainPod& huge = e.pods[0];
  CHECK(huge.pod == "default/huge");
  CHECK_FALSE(huge.chosen_node.has_value());
  CHECK(node(huge, "small").rejected_reason == "Insufficient cpu");
  CHECK(node(huge, "big").rejected_reason == "Insufficient cpu");
  CHECK(huge.fit_error.find("0/2 nodes are available: 2 Insufficient cpu.") == 0);
  const ExplainPod& medium = e.pods[1];
  REQUIRE(medium.chosen_node.has_value());
  CHECK(*medium.chosen_node == "big");
  CHECK_FALSE(medium.scored);  // one feasible node: upstream does not score
  CHECK(node(medium, "big").scores.empty());
  bool noted = false;
  for (const auto& n : e.notes) {
    noted = noted || n.find("pod default/other is skipped: schedulerName \"my-scheduler\"") == 0;
  }
  CHECK(noted);
  const std::string text = render_json(e);
  CHECK(text == nlohmann::ordered_json::parse(text).dump(2) + "\n");
  const auto j = nlohmann::json::parse(text);
  CHECK(j["pods"][0]["chosenNode"].is_null());
  // No pending pods at all.
  CHECK(render_json(Explanation{}) == "{\n  \"pods\": []\n}\n");
}

}  // namespace
}  // namespace kubesim::experiments
