// PodTopologySpread against upstream's own test tables (kubernetes v1.34,
// pkg/scheduler/framework/plugins/podtopologyspread/filtering_test.go TestSingleConstraint /
// TestMultipleConstraints and scoring_test.go TestPodTopologySpreadScore), run as black-box
// cases through PreFilter/Filter and PreScore/Score/NormalizeScore.
#include "policies/pod_topology_spread.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/scheduler_framework.hpp"
#include "policies/score_math.hpp"

namespace {

using kubesim::models::Labels;
using kubesim::models::LabelSelector;
using kubesim::models::LabelSelectorOperator;
using kubesim::models::Node;
using kubesim::models::Pod;
using kubesim::models::TopologySpreadConstraint;
using kubesim::models::UnsatisfiableConstraintAction;
using kubesim::models::sched::Code;
using kubesim::models::sched::CycleState;
using kubesim::models::sched::NodeInfo;
using kubesim::models::sched::PodInfo;
using kubesim::models::sched::PreFilterResult;
using kubesim::models::sched::Snapshot;
using kubesim::policies::PluginContext;
using kubesim::policies::PodTopologySpread;
using kubesim::policies::PodTopologySpreadArgs;
using kubesim::policies::TopologySpreadDefaulting;

constexpr auto kHard = UnsatisfiableConstraintAction::kDoNotSchedule;
constexpr auto kSoft = UnsatisfiableConstraintAction::kScheduleAnyway;
const std::string kHost = "kubernetes.io/hostname";

LabelSelector exists(const std::string& key) {
  LabelSelector s;
  s.match_expressions.push_back({key, LabelSelectorOperator::kExists, {}});
  return s;
}

struct NodeSpec {
  std::string name;
  Labels labels;
  bool tainted = false;
};

struct PodSpec {
  std::string name;
  std::string node;
  Labels labels;
  std::string ns = "default";
  bool terminating = false;
};

std::shared_ptr<const Node> make_node(const NodeSpec& spec) {
  auto n = std::make_shared<Node>();
  n->metadata.name = spec.name;
  n->metadata.labels = spec.labels;
  if (spec.tainted) {
    n->spec.taints.push_back(
        {"node.kubernetes.io/unreachable", "", kubesim::models::TaintEffect::kNoSchedule, {}});
  }
  return n;
}

std::shared_ptr<const PodInfo> make_pod_info(const PodSpec& spec) {
  auto p = std::make_shared<Pod>();
  p->metadata.name = spec.name;
  p->metadata.namespace_ = spec.ns;
  p->metadata.labels = spec.labels;
  p->spec.node_name = spec.node;
  if (spec.terminating) p->metadata.deletion_timestamp = 1;
  return std::make_shared<const PodInfo>(PodInfo::from(p));
}

struct Cluster {
  Snapshot snapshot;
  Cluster(const std::vector<NodeSpec>& nodes, const std::vector<PodSpec>& pods) {
    for (const auto& n : nodes) snapshot.upsert_node(make_node(n));
    for (const auto& p : pods) snapshot.find(p.node)->add_pod(make_pod_info(p));
  }
};

PodInfo incoming(Labels labels, std::vector<TopologySpreadConstraint> constraints,
                 Labels node_selector = {}) {
  auto p = std::make_shared<Pod>();
  p->metadata.name = "p";
  p->metadata.namespace_ = "default";
  p->metadata.labels = std::move(labels);
  p->spec.topology_spread_constraints = std::move(constraints);
  p->spec.node_selector = std::move(node_selector);
  return PodInfo::from(p);
}

TopologySpreadConstraint constraint(std::int32_t max_skew, std::string key,
                                    UnsatisfiableConstraintAction action,
                                    std::optional<LabelSelector> selector) {
  TopologySpreadConstraint c;
  c.max_skew = max_skew;
  c.topology_key = std::move(key);
  c.when_unsatisfiable = action;
  c.label_selector = std::move(selector);
  return c;
}

std::map<std::string, Code> run_filter(PodTopologySpread& plugin, const Cluster& cluster,
                                       const PodInfo& pod) {
  CycleState state(1);
  PreFilterResult result;
  auto status = plugin.pre_filter(state, pod, cluster.snapshot, result);
  REQUIRE(status.ok());
  std::map<std::string, Code> codes;
  for (const NodeInfo* n : cluster.snapshot.nodes()) {
    codes[n->name()] = plugin.filter(state, pod, *n).code;
  }
  return codes;
}

// Scores of the `feasible` nodes after NormalizeScore, by node name.
std::map<std::string, std::int64_t> run_score(PodTopologySpread& plugin, const Cluster& cluster,
                                              const PodInfo& pod,
                                              const std::vector<std::string>& feasible_names) {
  CycleState state(1);
  std::vector<const NodeInfo*> feasible;
  for (const auto& name : feasible_names) feasible.push_back(cluster.snapshot.find(name));
  auto status = plugin.pre_score(state, pod, cluster.snapshot, feasible);
  REQUIRE(status.ok());
  std::vector<std::int64_t> scores;
  for (const NodeInfo* n : feasible) scores.push_back(plugin.score(state, pod, *n));
  std::vector<std::int64_t> batch(feasible.size());
  plugin.score_nodes(state, pod, feasible, batch);
  CHECK(batch == scores);
  plugin.normalize_scores(state, pod, scores);
  std::map<std::string, std::int64_t> out;
  for (std::size_t i = 0; i < feasible.size(); ++i) out[feasible[i]->name()] = scores[i];
  return out;
}

PodTopologySpreadArgs list_args() {
  PodTopologySpreadArgs args;
  args.defaulting_type = TopologySpreadDefaulting::kList;
  return args;
}

const std::vector<NodeSpec> kZoneNodes = {
    {"node-a", {{"zone", "zone1"}, {"node", "node-a"}}},
    {"node-b", {{"zone", "zone1"}, {"node", "node-b"}}},
    {"node-x", {{"zone", "zone2"}, {"node", "node-x"}}},
    {"node-y", {{"zone", "zone2"}, {"node", "node-y"}}},
};

// 2/1/0/3 on node-a/b/x/y.
const std::vector<PodSpec> k2103 = {
    {"p-a1", "node-a", {{"foo", ""}}}, {"p-a2", "node-a", {{"foo", ""}}},
    {"p-b1", "node-b", {{"foo", ""}}}, {"p-y1", "node-y", {{"foo", ""}}},
    {"p-y2", "node-y", {{"foo", ""}}}, {"p-y3", "node-y", {{"foo", ""}}},
};

}  // namespace

TEST_CASE("PodTopologySpread filter follows upstream TestSingleConstraint",
          "[policies][podtopologyspread]") {
  PodTopologySpread plugin(list_args(), PluginContext{});

  SECTION("existing pods in a different namespace do not count") {
    Cluster c(kZoneNodes, {{"p-a1", "node-a", {{"foo", ""}}, "ns1"},
                           {"p-b1", "node-a", {{"foo", ""}}, "ns2"},
                           {"p-x1", "node-x", {{"foo", ""}}},
                           {"p-y1", "node-y", {{"foo", ""}}}});
    auto codes = run_filter(plugin, c,
                            incoming({{"foo", ""}}, {constraint(1, "zone", kHard, exists("foo"))}));
    CHECK(codes["node-a"] == Code::kSuccess);
    CHECK(codes["node-b"] == Code::kSuccess);
    CHECK(codes["node-x"] == Code::kUnschedulable);
    CHECK(codes["node-y"] == Code::kUnschedulable);
  }
  SECTION("pods spread across zones as 3/3, all nodes fit") {
    Cluster c(kZoneNodes, k2103);
    auto codes = run_filter(plugin, c,
                            incoming({{"foo", ""}}, {constraint(1, "zone", kHard, exists("foo"))}));
    for (const auto& [name, code] : codes) CHECK(code == Code::kSuccess);
  }
  SECTION("pods spread across zones as 1/2 due to absence of label 'zone' on node-b") {
    auto nodes = kZoneNodes;
    nodes[1].labels = {{"zon", "zone1"}, {"node", "node-b"}};
    Cluster c(nodes, {{"p-a1", "node-a", {{"foo", ""}}},
                      {"p-b1", "node-b", {{"foo", ""}}},
                      {"p-x1", "node-x", {{"foo", ""}}},
                      {"p-y1", "node-y", {{"foo", ""}}}});
    auto codes = run_filter(plugin, c,
                            incoming({{"foo", ""}}, {constraint(1, "zone", kHard, exists("foo"))}));
    CHECK(codes["node-a"] == Code::kSuccess);
    CHECK(codes["node-b"] == Code::kUnschedulableAndUnresolvable);
    CHECK(codes["node-x"] == Code::kUnschedulable);
    CHECK(codes["node-y"] == Code::kUnschedulable);
  }
  SECTION("pods spread across nodes as 2/1/0/3, only node-x fits") {
    Cluster c(kZoneNodes, k2103);
    auto codes = run_filter(plugin, c,
                            incoming({{"foo", ""}}, {constraint(1, "node", kHard, exists("foo"))}));
    CHECK(codes["node-a"] == Code::kUnschedulable);
    CHECK(codes["node-b"] == Code::kUnschedulable);
    CHECK(codes["node-x"] == Code::kSuccess);
    CHECK(codes["node-y"] == Code::kUnschedulable);
  }
  SECTION("pods spread across nodes as 2/1/0/3, maxSkew is 2, node-b and node-x fit") {
    Cluster c(kZoneNodes, k2103);
    auto codes = run_filter(plugin, c,
                            incoming({{"foo", ""}}, {constraint(2, "node", kHard, exists("foo"))}));
    CHECK(codes["node-a"] == Code::kUnschedulable);
    CHECK(codes["node-b"] == Code::kSuccess);
    CHECK(codes["node-x"] == Code::kSuccess);
    CHECK(codes["node-y"] == Code::kUnschedulable);
  }
  SECTION("pods spread across nodes as 2/1/0/3, but pod doesn't match itself") {
    Cluster c(kZoneNodes, k2103);
    auto codes = run_filter(plugin, c,
                            incoming({{"bar", ""}}, {constraint(1, "node", kHard, exists("foo"))}));
    CHECK(codes["node-a"] == Code::kUnschedulable);
    CHECK(codes["node-b"] == Code::kSuccess);
    CHECK(codes["node-x"] == Code::kSuccess);
    CHECK(codes["node-y"] == Code::kUnschedulable);
  }
  SECTION("incoming pod has nodeSelector, pods spread as 2/~1~/~0~/3, hence node-a fits") {
    auto nodes = kZoneNodes;
    nodes[0].labels.set("pick", "yes");
    nodes[3].labels.set("pick", "yes");
    Cluster c(nodes, k2103);
    auto codes = run_filter(
        plugin, c,
        incoming({{"foo", ""}}, {constraint(1, "node", kHard, exists("foo"))}, {{"pick", "yes"}}));
    CHECK(codes["node-a"] == Code::kSuccess);
    CHECK(codes["node-b"] == Code::kSuccess);  // "in real case, it's false" (NodeAffinity)
    CHECK(codes["node-x"] == Code::kSuccess);
    CHECK(codes["node-y"] == Code::kUnschedulable);
  }
  SECTION("terminating Pods should be excluded") {
    Cluster c(
        {{"node-a", {{"node", "node-a"}}}, {"node-b", {{"node", "node-b"}}}},
        {{"p-a", "node-a", {{"foo", ""}}, "default", true}, {"p-b", "node-b", {{"foo", ""}}}});
    auto codes = run_filter(plugin, c,
                            incoming({{"foo", ""}}, {constraint(1, "node", kHard, exists("foo"))}));
    CHECK(codes["node-a"] == Code::kSuccess);
    CHECK(codes["node-b"] == Code::kUnschedulable);
  }
  SECTION("two Constraints on zone and node, spreads = [3/3, 2/1/0/3]: only node-x") {
    Cluster c(kZoneNodes, k2103);
    auto codes = run_filter(plugin, c,
                            incoming({{"foo", ""}}, {constraint(1, "zone", kHard, exists("foo")),
                                                     constraint(1, "node", kHard, exists("foo"))}));
    CHECK(codes["node-a"] == Code::kUnschedulable);
    CHECK(codes["node-b"] == Code::kUnschedulable);
    CHECK(codes["node-x"] == Code::kSuccess);
    CHECK(codes["node-y"] == Code::kUnschedulable);
  }
}

TEST_CASE("PodTopologySpread minDomains treats the global minimum as 0",
          "[policies][podtopologyspread]") {
  // Hand calculation: two zones with 1 matching pod each; minDomains 3 > 2 eligible domains,
  // so the minimum is 0 and skew = 1 + 1 - 0 = 2 > maxSkew 1 everywhere.
  PodTopologySpread plugin(list_args(), PluginContext{});
  Cluster c(kZoneNodes, {{"p-a1", "node-a", {{"foo", ""}}}, {"p-x1", "node-x", {{"foo", ""}}}});
  auto tsc = constraint(1, "zone", kHard, exists("foo"));
  auto without = run_filter(plugin, c, incoming({{"foo", ""}}, {tsc}));
  for (const auto& [name, code] : without) CHECK(code == Code::kSuccess);
  tsc.min_domains = 3;
  auto with = run_filter(plugin, c, incoming({{"foo", ""}}, {tsc}));
  for (const auto& [name, code] : with) CHECK(code == Code::kUnschedulable);
  // maxSkew 2 admits skew 2.
  tsc.max_skew = 2;
  auto relaxed = run_filter(plugin, c, incoming({{"foo", ""}}, {tsc}));
  for (const auto& [name, code] : relaxed) CHECK(code == Code::kSuccess);
}

TEST_CASE("PodTopologySpread AddPod/RemovePod update the PreFilter counts",
          "[policies][podtopologyspread]") {
  // 2/1/0/3 on nodes, maxSkew 1: only node-x fits. Adding a matching pod to node-x raises its
  // count to 1 and the minimum to 1 (node-b and node-x), so node-b fits too (1+1-1 = 1).
  PodTopologySpread plugin(list_args(), PluginContext{});
  Cluster c(kZoneNodes, k2103);
  auto pod = incoming({{"foo", ""}}, {constraint(1, "node", kHard, exists("foo"))});
  CycleState state(1);
  PreFilterResult r;
  REQUIRE(plugin.pre_filter(state, pod, c.snapshot, r).ok());
  const NodeInfo& b = *c.snapshot.find("node-b");
  const NodeInfo& x = *c.snapshot.find("node-x");
  CHECK(plugin.filter(state, pod, b).code == Code::kUnschedulable);
  auto added = make_pod_info({"p-x1", "node-x", {{"foo", ""}}});
  CycleState copy = state.clone();
  REQUIRE(plugin.add_pod(copy, pod, *added, x).ok());
  CHECK(plugin.filter(copy, pod, b).code == Code::kSuccess);
  CHECK(plugin.filter(copy, pod, x).code == Code::kSuccess);
  // The original state is untouched by the clone's update.
  CHECK(plugin.filter(state, pod, b).code == Code::kUnschedulable);
  // Removing a pod of another namespace changes nothing; removing node-a's pods does.
  auto other_ns = make_pod_info({"q", "node-b", {{"foo", ""}}, "other"});
  REQUIRE(plugin.remove_pod(copy, pod, *other_ns, b).ok());
  CHECK(plugin.filter(copy, pod, b).code == Code::kSuccess);
  auto b1 = make_pod_info({"p-b1", "node-b", {{"foo", ""}}});
  REQUIRE(plugin.remove_pod(state, pod, *b1, b).ok());
  // Now 2/0/0/3: node-b (0+1-0) fits.
  CHECK(plugin.filter(state, pod, b).code == Code::kSuccess);
}

TEST_CASE("PodTopologySpread PreFilter skips pods without hard constraints",
          "[policies][podtopologyspread]") {
  PodTopologySpread plugin(list_args(), PluginContext{});
  Cluster c(kZoneNodes, k2103);
  CycleState state(1);
  PreFilterResult r;
  auto soft = incoming({{"foo", ""}}, {constraint(1, "zone", kSoft, exists("foo"))});
  CHECK(plugin.pre_filter(state, soft, c.snapshot, r).is_skip());
  CHECK(plugin.pre_score(state, incoming({{"foo", ""}}, {}), c.snapshot, {}).is_skip());
}

TEST_CASE("PodTopologySpread scores follow upstream TestPodTopologySpreadScore",
          "[policies][podtopologyspread]") {
  PodTopologySpread plugin(list_args(), PluginContext{});
  const std::vector<NodeSpec> host4 = {{"node-a", {{kHost, "node-a"}}},
                                       {"node-b", {{kHost, "node-b"}}},
                                       {"node-c", {{kHost, "node-c"}}},
                                       {"node-d", {{kHost, "node-d"}}}};
  const std::vector<PodSpec> pods4321 = {
      {"p-a1", "node-a", {{"foo", ""}}}, {"p-a2", "node-a", {{"foo", ""}}},
      {"p-a3", "node-a", {{"foo", ""}}}, {"p-a4", "node-a", {{"foo", ""}}},
      {"p-b1", "node-b", {{"foo", ""}}}, {"p-b2", "node-b", {{"foo", ""}}},
      {"p-b3", "node-b", {{"foo", ""}}}, {"p-c1", "node-c", {{"foo", ""}}},
      {"p-c2", "node-c", {{"foo", ""}}}, {"p-d1", "node-d", {{"foo", ""}}}};

  SECTION("one constraint on node, all 4 nodes are candidates (2/1/0/3)") {
    Cluster c(host4, {{"p-a1", "node-a", {{"foo", ""}}},
                      {"p-a2", "node-a", {{"foo", ""}}},
                      {"p-b1", "node-b", {{"foo", ""}}},
                      {"p-d1", "node-d", {{"foo", ""}}},
                      {"p-d2", "node-d", {{"foo", ""}}},
                      {"p-d3", "node-d", {{"foo", ""}}}});
    auto pod = incoming({{"foo", ""}}, {constraint(1, kHost, kSoft, exists("foo"))});
    auto s = run_score(plugin, c, pod, {"node-a", "node-b", "node-c", "node-d"});
    CHECK(s["node-a"] == 20);
    CHECK(s["node-b"] == 60);
    CHECK(s["node-c"] == 100);
    CHECK(s["node-d"] == 0);
    SECTION("maxSkew=2") {
      auto pod2 = incoming({{"foo", ""}}, {constraint(2, kHost, kSoft, exists("foo"))});
      auto s2 = run_score(plugin, c, pod2, {"node-a", "node-b", "node-c", "node-d"});
      CHECK(s2["node-a"] == 33);
      CHECK(s2["node-b"] == 66);
      CHECK(s2["node-c"] == 100);
      CHECK(s2["node-d"] == 16);
    }
    SECTION("null selector") {
      auto pod3 = incoming({{"foo", ""}}, {constraint(1, kHost, kSoft, std::nullopt)});
      auto s3 = run_score(plugin, c, pod3, {"node-a", "node-b", "node-c", "node-d"});
      for (const auto& [n, v] : s3) CHECK(v == 100);
    }
  }
  SECTION("one constraint on node, all 4 nodes are candidates, maxSkew=3 (4/3/2/1)") {
    Cluster c(host4, pods4321);
    auto pod = incoming({{"foo", ""}}, {constraint(3, kHost, kSoft, exists("foo"))});
    auto s = run_score(plugin, c, pod, {"node-a", "node-b", "node-c", "node-d"});
    CHECK(s["node-a"] == 44);
    CHECK(s["node-b"] == 66);
    CHECK(s["node-c"] == 77);
    CHECK(s["node-d"] == 100);
  }
  SECTION("system defaulting, nodes don't have zone, pods match service") {
    PluginContext ctx;
    ctx.owner_selectors = [](const Pod&) {
      LabelSelector s;
      s.match_labels.set("foo", "");
      return std::vector<LabelSelector>{s};
    };
    PodTopologySpread system(PodTopologySpreadArgs{}, ctx);
    Cluster c(host4, pods4321);
    auto s =
        run_score(system, c, incoming({{"foo", ""}}, {}), {"node-a", "node-b", "node-c", "node-d"});
    CHECK(s["node-a"] == 44);
    CHECK(s["node-b"] == 66);
    CHECK(s["node-c"] == 77);
    CHECK(s["node-d"] == 100);
    // Without an owner selector the defaults do not apply: PreScore skips.
    PodTopologySpread no_owner(PodTopologySpreadArgs{}, PluginContext{});
    CycleState state(1);
    CHECK(no_owner.pre_score(state, incoming({{"foo", ""}}, {}), c.snapshot, {}).is_skip());
  }
  SECTION("one constraint on node, 3 out of 4 nodes are candidates (4/2/1/~3~)") {
    Cluster c({{"node-a", {{kHost, "node-a"}}},
               {"node-b", {{kHost, "node-b"}}},
               {"node-x", {{kHost, "node-x"}}},
               {"node-y", {{kHost, "node-y"}}}},
              {{"p-a1", "node-a", {{"foo", ""}}},
               {"p-a2", "node-a", {{"foo", ""}}},
               {"p-a3", "node-a", {{"foo", ""}}},
               {"p-a4", "node-a", {{"foo", ""}}},
               {"p-b1", "node-b", {{"foo", ""}}},
               {"p-b2", "node-b", {{"foo", ""}}},
               {"p-x1", "node-x", {{"foo", ""}}},
               {"p-y1", "node-y", {{"foo", ""}}},
               {"p-y2", "node-y", {{"foo", ""}}},
               {"p-y3", "node-y", {{"foo", ""}}}});
    auto pod = incoming({{"foo", ""}}, {constraint(1, kHost, kSoft, exists("foo"))});
    auto s = run_score(plugin, c, pod, {"node-a", "node-b", "node-x"});
    CHECK(s["node-a"] == 33);
    CHECK(s["node-b"] == 83);
    CHECK(s["node-x"] == 100);
  }
  SECTION("one node doesn't match topology key: ignored, scores 0") {
    Cluster c({{"node-a", {{kHost, "node-a"}}},
               {"node-b", {{"n", "node-b"}}},
               {"node-x", {{kHost, "node-x"}}},
               {"node-y", {{kHost, "node-y"}}}},
              {{"p-a1", "node-a", {{"foo", ""}}},
               {"p-a2", "node-a", {{"foo", ""}}},
               {"p-a3", "node-a", {{"foo", ""}}},
               {"p-a4", "node-a", {{"foo", ""}}},
               {"p-b1", "node-b", {{"foo", ""}}},
               {"p-b2", "node-b", {{"foo", ""}}},
               {"p-x1", "node-x", {{"foo", ""}}},
               {"p-y1", "node-y", {{"foo", ""}}},
               {"p-y2", "node-y", {{"foo", ""}}},
               {"p-y3", "node-y", {{"foo", ""}}}});
    auto pod = incoming({{"foo", ""}}, {constraint(1, kHost, kSoft, exists("foo"))});
    auto s = run_score(plugin, c, pod, {"node-a", "node-b", "node-x"});
    CHECK(s["node-a"] == 16);
    CHECK(s["node-b"] == 0);
    CHECK(s["node-x"] == 100);
  }
  const std::vector<NodeSpec> zone_host = {{"node-a", {{"zone", "zone1"}, {kHost, "node-a"}}},
                                           {"node-b", {{"zone", "zone1"}, {kHost, "node-b"}}},
                                           {"node-x", {{"zone", "zone2"}, {kHost, "node-x"}}},
                                           {"node-y", {{"zone", "zone2"}, {kHost, "node-y"}}}};
  SECTION("one constraint on zone, 3 out of 4 nodes are candidates") {
    Cluster c(zone_host, {{"p-a1", "node-a", {{"foo", ""}}},
                          {"p-a2", "node-a", {{"foo", ""}}},
                          {"p-a3", "node-a", {{"foo", ""}}},
                          {"p-a4", "node-a", {{"foo", ""}}},
                          {"p-b1", "node-b", {{"foo", ""}}},
                          {"p-b2", "node-b", {{"foo", ""}}},
                          {"p-x1", "node-x", {{"foo", ""}}},
                          {"p-y1", "node-y", {{"foo", ""}}},
                          {"p-y2", "node-y", {{"foo", ""}}},
                          {"p-y3", "node-y", {{"foo", ""}}}});
    auto pod = incoming({{"foo", ""}}, {constraint(1, "zone", kSoft, exists("foo"))});
    auto s = run_score(plugin, c, pod, {"node-a", "node-b", "node-x"});
    CHECK(s["node-a"] == 75);
    CHECK(s["node-b"] == 75);
    CHECK(s["node-x"] == 100);
  }
  SECTION("two Constraints on zone and node, 2 out of 4 nodes are candidates") {
    Cluster c(zone_host, {{"p-a1", "node-a", {{"foo", ""}}},
                          {"p-a2", "node-a", {{"foo", ""}}},
                          {"p-b1", "node-b", {{"foo", ""}}},
                          {"p-x1", "node-x", {{"foo", ""}}},
                          {"p-x2", "node-x", {{"foo", ""}}},
                          {"p-y1", "node-y", {{"foo", ""}}},
                          {"p-y2", "node-y", {{"foo", ""}}},
                          {"p-y3", "node-y", {{"foo", ""}}},
                          {"p-y4", "node-y", {{"foo", ""}}}});
    auto pod = incoming({{"foo", ""}}, {constraint(1, "zone", kSoft, exists("foo")),
                                        constraint(1, kHost, kSoft, exists("foo"))});
    auto s = run_score(plugin, c, pod, {"node-a", "node-x"});
    CHECK(s["node-a"] == 100);
    CHECK(s["node-x"] == 63);
  }
  SECTION("two Constraints on zone and node, with different labelSelectors") {
    Cluster c(zone_host, {{"p-a1", "node-a", {{"foo", ""}}},
                          {"p-b1", "node-b", {{"foo", ""}, {"bar", ""}}},
                          {"p-y1", "node-y", {{"foo", ""}}},
                          {"p-y2", "node-y", {{"bar", ""}}}});
    auto pod = incoming({{"foo", ""}, {"bar", ""}}, {constraint(1, "zone", kSoft, exists("foo")),
                                                     constraint(1, kHost, kSoft, exists("bar"))});
    auto s = run_score(plugin, c, pod, {"node-a", "node-b", "node-x", "node-y"});
    CHECK(s["node-a"] == 60);
    CHECK(s["node-b"] == 20);
    CHECK(s["node-x"] == 100);
    CHECK(s["node-y"] == 60);
    SECTION("3 out of 4 nodes are candidates") {
      auto s3 = run_score(plugin, c, pod, {"node-a", "node-b", "node-x"});
      CHECK(s3["node-a"] == 50);
      CHECK(s3["node-b"] == 25);
      CHECK(s3["node-x"] == 100);
    }
  }
  SECTION("existing pods in a different namespace do not count") {
    Cluster c({{"node-a", {{kHost, "node-a"}}}, {"node-b", {{kHost, "node-b"}}}},
              {{"p-a1", "node-a", {{"foo", ""}}, "ns1"},
               {"p-a2", "node-a", {{"foo", ""}}},
               {"p-b1", "node-b", {{"foo", ""}}},
               {"p-b2", "node-b", {{"foo", ""}}}});
    auto pod = incoming({{"foo", ""}}, {constraint(1, kHost, kSoft, exists("foo"))});
    auto s = run_score(plugin, c, pod, {"node-a", "node-b"});
    CHECK(s["node-a"] == 100);
    CHECK(s["node-b"] == 33);
  }
  const std::vector<NodeSpec> nodes3 = {{"node-a", {{"node", "node-a"}, {"foo", ""}}},
                                        {"node-b", {{"node", "node-b"}, {"foo", ""}}},
                                        {"node-c", {{"node", "node-c"}}}};
  const std::vector<PodSpec> pods211 = {{"p-a1", "node-a", {{"foo", ""}}},
                                        {"p-a2", "node-a", {{"foo", ""}}},
                                        {"p-b1", "node-b", {{"foo", ""}}},
                                        {"p-c1", "node-c", {{"foo", ""}}}};
  SECTION("NodeAffinityPolicy honored / ignored with nodeSelector") {
    Cluster c(nodes3, pods211);
    auto tsc = constraint(1, "node", kSoft, exists("foo"));
    auto s = run_score(plugin, c, incoming({{"foo", ""}}, {tsc}, {{"foo", ""}}),
                       {"node-a", "node-b", "node-c"});
    CHECK(s["node-a"] == 0);
    CHECK(s["node-b"] == 33);
    CHECK(s["node-c"] == 100);
    tsc.node_affinity_policy = kubesim::models::NodeInclusionPolicy::kIgnore;
    auto s2 = run_score(plugin, c, incoming({{"foo", ""}}, {tsc}, {{"foo", ""}}),
                        {"node-a", "node-b", "node-c"});
    CHECK(s2["node-a"] == 66);
    CHECK(s2["node-b"] == 100);
    CHECK(s2["node-c"] == 100);
  }
  SECTION("NodeTaintsPolicy honored / ignored") {
    auto nodes = nodes3;
    nodes[2].tainted = true;
    Cluster c(nodes, pods211);
    auto tsc = constraint(1, "node", kSoft, exists("foo"));
    tsc.node_taints_policy = kubesim::models::NodeInclusionPolicy::kHonor;
    auto s = run_score(plugin, c, incoming({{"foo", ""}}, {tsc}), {"node-a", "node-b", "node-c"});
    CHECK(s["node-a"] == 0);
    CHECK(s["node-b"] == 33);
    CHECK(s["node-c"] == 100);
    tsc.node_taints_policy.reset();
    auto s2 = run_score(plugin, c, incoming({{"foo", ""}}, {tsc}), {"node-a", "node-b", "node-c"});
    CHECK(s2["node-a"] == 66);
    CHECK(s2["node-b"] == 100);
    CHECK(s2["node-c"] == 100);
  }
}

TEST_CASE("PodTopologySpread cached counts follow pod additions between cycles",
          "[policies][podtopologyspread]") {
  // The same selector across cycles reuses cached per-node counts; a pod added to a node
  // bumps its generation and must be counted in the next cycle.
  PodTopologySpread plugin(list_args(), PluginContext{});
  Cluster c(kZoneNodes, k2103);
  auto pod = incoming({{"foo", ""}}, {constraint(1, "node", kHard, exists("foo"))});
  auto first = run_filter(plugin, c, pod);
  CHECK(first["node-x"] == Code::kSuccess);
  CHECK(first["node-b"] == Code::kUnschedulable);
  c.snapshot.find("node-x")->add_pod(make_pod_info({"p-x1", "node-x", {{"foo", ""}}}));
  auto second = run_filter(plugin, c, pod);
  CHECK(second["node-x"] == Code::kSuccess);  // 1 + 1 - 1
  CHECK(second["node-b"] == Code::kSuccess);  // 1 + 1 - 1
  CHECK(second["node-a"] == Code::kUnschedulable);
  REQUIRE(c.snapshot.find("node-y")->remove_pod("default/p-y1"));
  REQUIRE(c.snapshot.find("node-y")->remove_pod("default/p-y2"));
  auto third = run_filter(plugin, c, pod);
  CHECK(third["node-y"] == Code::kSuccess);  // 1 + 1 - 1
  CHECK(plugin.counts_cache().size() == 1);
}

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

// Hidden (run with "[.podtopologyspread-bench]"): system-default spreading at 5,000 nodes
// and 150,000 pods of 100 ReplicaSets, 500 feasible nodes per cycle, one pod assumed per
// cycle. Prints the time per PreScore + 500 Scores + NormalizeScore.
TEST_CASE("PodTopologySpread system-default scoring cost at 5000 nodes",
          "[.podtopologyspread-bench]") {
  PluginContext ctx;
  ctx.owner_selectors = [](const Pod& pod) {
    LabelSelector s;
    s.match_labels.set("app", std::string(pod.metadata.labels.get("app")));
    return std::vector<LabelSelector>{s};
  };
  PodTopologySpread plugin(PodTopologySpreadArgs{}, ctx);
  Snapshot snapshot;
  const int kNodes = 5000;
  for (int i = 0; i < kNodes; ++i) {
    snapshot.upsert_node(
        make_node({"n" + std::to_string(i),
                   {{kHost, "n" + std::to_string(i)},
                    {"topology.kubernetes.io/zone", "z" + std::to_string(i % 3)}}}));
  }
  int pod_id = 0;
  for (int i = 0; i < 150000; ++i, ++pod_id) {
    snapshot.find("n" + std::to_string(i % kNodes))
        ->add_pod(make_pod_info(
            {"p" + std::to_string(pod_id), "", {{"app", "rs" + std::to_string(i % 100)}}}));
  }
  std::vector<const NodeInfo*> feasible;
  for (int i = 0; i < 500; ++i)
    feasible.push_back(snapshot.nodes()[static_cast<std::size_t>(i * 10)]);
  std::vector<std::int64_t> scores(feasible.size());
  const int kCycles = std::getenv("H2_CYCLES") ? std::atoi(std::getenv("H2_CYCLES")) : 2000;
  const int kSelectors = std::getenv("H2_SELECTORS") ? std::atoi(std::getenv("H2_SELECTORS")) : 3;
  auto start = std::chrono::steady_clock::now();
  std::clock_t cpu_start = std::clock();
  for (int c = -kSelectors; c < kCycles; ++c) {
    if (c == 0) {  // after one warm-up per selector
      start = std::chrono::steady_clock::now();
      cpu_start = std::clock();
    }
    auto pod = incoming({{"app", "rs" + std::to_string((c + kSelectors) % kSelectors)}}, {});
    CycleState state(1);
    REQUIRE(plugin.pre_score(state, pod, snapshot, feasible).ok());
    for (std::size_t i = 0; i < feasible.size(); ++i)
      scores[i] = plugin.score(state, pod, *feasible[i]);
    plugin.normalize_scores(state, pod, scores);
    const_cast<NodeInfo*>(feasible[static_cast<std::size_t>(c + kSelectors) % feasible.size()])
        ->add_pod(
            make_pod_info({"q" + std::to_string(c + kSelectors), "", pod.pod->metadata.labels}));
  }
  const double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() /
      kCycles;
  const double cpu_us =
      1e6 * static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC / kCycles;
  std::printf(
      "PodTopologySpread system-default PreScore+Score(500)+Normalize: %.1f us/cycle wall, "
      "%.1f us/cycle CPU\n",
      us, cpu_us);
  CHECK(us > 0);
}

#include "sim/random.hpp"

TEST_CASE("PodTopologySpread with warm caches agrees with a fresh plugin",
          "[policies][podtopologyspread]") {
  // Reference check: a long-lived plugin (cached counts and domain sums) against a plugin
  // built afresh at every step (everything counted from scratch), over random pod additions,
  // removals, updates (the scheduler cache's remove + add: relabelled, or terminating),
  // node relabelling and node removal.
  PluginContext ctx;
  ctx.owner_selectors = [](const Pod& pod) {
    LabelSelector s;
    s.match_labels.set("app", std::string(pod.metadata.labels.get("app")));
    return std::vector<LabelSelector>{s};
  };
  PodTopologySpread cached(PodTopologySpreadArgs{}, ctx);
  kubesim::sim::Rng rng(7);
  Snapshot snapshot;
  auto node_spec = [&](int i) {
    NodeSpec n{"n" + std::to_string(i), {{kHost, "n" + std::to_string(i)}}};
    const auto zone = rng.below(4);
    if (zone < 3) n.labels.set("topology.kubernetes.io/zone", "z" + std::to_string(zone));
    return n;
  };
  for (int i = 0; i < 12; ++i) snapshot.upsert_node(make_node(node_spec(i)));
  std::vector<std::pair<std::string, std::string>> placed;  // (node, pod key)
  int next = 0;
  for (int step = 0; step < 300; ++step) {
    const auto action = rng.below(10);
    const auto nodes = snapshot.nodes();
    if (action < 6 || placed.empty()) {
      const NodeInfo* n = nodes[rng.below(nodes.size())];
      const std::string name = "p" + std::to_string(next++);
      auto info = make_pod_info({name,
                                 n->name(),
                                 {{"app", "a" + std::to_string(rng.below(3))}},
                                 rng.below(5) == 0 ? "other" : "default"});
      placed.emplace_back(n->name(), info->key());
      snapshot.find(n->name())->add_pod(info);
    } else if (action < 8) {
      const auto k = rng.below(placed.size());
      if (NodeInfo* n = snapshot.find(placed[k].first)) n->remove_pod(placed[k].second);
      placed.erase(placed.begin() + static_cast<std::ptrdiff_t>(k));
    } else if (action < 9) {
      // An update of a placed pod: same key, new labels or now terminating.
      const auto k = rng.below(placed.size());
      if (NodeInfo* n = snapshot.find(placed[k].first); n != nullptr && n->remove_pod(placed[k].second)) {
        const std::string key = placed[k].second;
        const auto slash = key.find('/');
        PodSpec updated{key.substr(slash + 1), n->name(),
                        {{"app", "a" + std::to_string(rng.below(3))}}, key.substr(0, slash)};
        updated.terminating = rng.below(2) == 0;
        n->add_pod(make_pod_info(updated));
      }
    } else {
      const int i = static_cast<int>(rng.below(14));
      if (rng.below(3) == 0 && snapshot.size() > 4) {
        snapshot.remove_node("n" + std::to_string(i));
      } else {
        snapshot.upsert_node(make_node(node_spec(i)));
      }
    }
    std::vector<const NodeInfo*> feasible;
    for (const NodeInfo* n : snapshot.nodes()) {
      if (rng.below(3) != 0) feasible.push_back(n);
    }
    const std::string app = "a" + std::to_string(rng.below(3));
    std::vector<TopologySpreadConstraint> hard;
    if (rng.below(2) == 0) {
      LabelSelector sel;
      sel.match_labels.set("app", app);
      hard.push_back(constraint(1, "topology.kubernetes.io/zone", kHard, sel));
      hard.push_back(constraint(2, kHost, kHard, sel));
    }
    auto pod = incoming({{"app", app}}, hard);
    PodTopologySpread fresh(PodTopologySpreadArgs{}, ctx);
    if (!hard.empty()) {
      CycleState a(1), b(1);
      PreFilterResult r;
      REQUIRE(cached.pre_filter(a, pod, snapshot, r).ok());
      REQUIRE(fresh.pre_filter(b, pod, snapshot, r).ok());
      for (const NodeInfo* n : snapshot.nodes()) {
        REQUIRE(cached.filter(a, pod, *n).code == fresh.filter(b, pod, *n).code);
      }
    } else {
      CycleState a(1), b(1);
      REQUIRE(cached.pre_score(a, pod, snapshot, feasible).ok());
      REQUIRE(fresh.pre_score(b, pod, snapshot, feasible).ok());
      for (const NodeInfo* n : feasible) {
        REQUIRE(cached.score(a, pod, *n) == fresh.score(b, pod, *n));
      }
    }
  }
}

TEST_CASE("Snapshot change journal records the changes since a position",
          "[policies][podtopologyspread][snapshot]") {
  // The journal PodTopologySpread's count cache reads (Snapshot::changed_since): pod
  // additions and removals (with the pod, +1/-1 and the node's generation after the change)
  // and Node replacements (no pod, 0) are listed in order; adding or removing a node, a
  // move, or falling behind the kept journal makes the answer unknown.
  Snapshot snap;
  for (int i = 0; i < 3; ++i) snap.upsert_node(make_node({"n" + std::to_string(i), {}}));
  (void)snap.nodes();
  std::span<const kubesim::models::sched::JournalRecord> changed;
  const std::uint64_t pos = snap.journal_end();
  REQUIRE(snap.changed_since(pos, changed));
  CHECK(changed.empty());
  CHECK_FALSE(snap.changed_since(0, changed));  // before the nodes were added
  snap.find("n1")->add_pod(make_pod_info({"a", "n1", {}}));
  snap.find("n2")->add_pod(make_pod_info({"b", "n2", {}}));
  snap.upsert_node(make_node({"n0", {{"x", "y"}}}));  // replaced, same zone: not structural
  CHECK(snap.find("n1")->remove_pod("default/a"));
  CHECK_FALSE(snap.find("n1")->remove_pod("default/a"));  // no change, no entry
  REQUIRE(snap.changed_since(pos, changed));
  REQUIRE(changed.size() == 4);
  CHECK(changed[0].node == snap.find("n1"));
  CHECK(changed[1].node == snap.find("n2"));
  CHECK(changed[2].node == snap.find("n0"));
  CHECK(changed[3].node == snap.find("n1"));
  REQUIRE(changed[0].pod != nullptr);
  CHECK(changed[0].pod->key() == "default/a");
  CHECK(changed[0].delta == 1);
  CHECK(changed[2].pod == nullptr);
  CHECK(changed[2].delta == 0);
  REQUIRE(changed[3].pod != nullptr);  // the removed pod, kept alive by the journal
  CHECK(changed[3].pod->key() == "default/a");
  CHECK(changed[3].delta == -1);
  // Each change bumps its node's generation by one; the record holds the value after it.
  CHECK(changed[3].generation == changed[0].generation + 1);
  CHECK(changed[3].generation == snap.find("n1")->generation());
  CHECK(changed[1].generation == snap.find("n2")->generation());
  // Equal (namespace, labels) sets get equal numbers, different ones different numbers.
  CHECK(changed[0].label_set == changed[1].label_set);  // both default/{}
  CHECK(changed[3].label_set == changed[0].label_set);
  CHECK_FALSE(changed[0].terminating);
  {
    const std::uint64_t at = snap.journal_end();
    snap.find("n0")->add_pod(make_pod_info({"e", "n0", {{"app", "x"}}}));
    snap.find("n0")->add_pod(make_pod_info({"f", "n0", {{"app", "x"}}, "other"}));
    snap.find("n0")->add_pod(make_pod_info({"g", "n0", {{"app", "x"}}, "default", true}));
    snap.find("n0")->add_pod(make_pod_info({"h", "n0", {{"app", "y"}}}));
    std::span<const kubesim::models::sched::JournalRecord> more;
    REQUIRE(snap.changed_since(at, more));
    REQUIRE(more.size() == 4);
    CHECK(more[0].label_set != changed[0].label_set);
    CHECK(more[1].label_set != more[0].label_set);  // another namespace
    CHECK(more[2].label_set == more[0].label_set);  // same set, terminating
    CHECK(more[2].terminating);
    CHECK(more[3].label_set != more[0].label_set);
    for (const char* key : {"default/e", "other/f", "default/g", "default/h"}) {
      CHECK(snap.find("n0")->remove_pod(key));
    }
  }
  const std::uint64_t before_add = snap.journal_end();
  snap.upsert_node(make_node({"n3", {}}));
  CHECK_FALSE(snap.changed_since(before_add, changed));
  const std::uint64_t after_add = snap.journal_end();
  REQUIRE(snap.changed_since(after_add, changed));
  CHECK(changed.empty());
  // Far behind: the journal keeps at least 4,096 entries, at most about twice that.
  for (int i = 0; i < 10000; ++i) {
    snap.find("n2")->add_pod(make_pod_info({"c" + std::to_string(i), "n2", {}}));
  }
  CHECK_FALSE(snap.changed_since(after_add, changed));
  REQUIRE(snap.changed_since(snap.journal_end() - 4096, changed));
  CHECK(changed.size() == 4096);
  // A move: the moved-to Snapshot has a new id, and its nodes journal into it.
  const std::uint64_t old_id = snap.id();
  Snapshot moved(std::move(snap));
  CHECK(moved.id() != old_id);
  CHECK(moved.size() == 4);
  const std::uint64_t mpos = moved.journal_end();
  moved.find("n3")->add_pod(make_pod_info({"d", "n3", {}}));
  REQUIRE(moved.changed_since(mpos, changed));
  REQUIRE(changed.size() == 1);
  CHECK(changed[0].node == moved.find("n3"));
  CHECK(moved.find("n3")->index() >= 0);
}

TEST_CASE("PodTopologySpread journal-driven counts equal a recount under random churn",
          "[policies][podtopologyspread]") {
  // Differential test of the cache fed by the Snapshot journal: one long-lived plugin whose
  // entries are used at irregular intervals (so each one catches up over many journal
  // entries, sometimes past the kept journal), against the counts recomputed from scratch
  // (upstream countPodsMatchSelector over each node: same namespace, not terminating,
  // selector matches) and against a fresh plugin's scores.
  PluginContext ctx;
  ctx.owner_selectors = [](const Pod& pod) {
    LabelSelector s;
    s.match_labels.set("app", std::string(pod.metadata.labels.get("app")));
    return std::vector<LabelSelector>{s};
  };
  PodTopologySpread cached(PodTopologySpreadArgs{}, ctx);
  kubesim::sim::Rng rng(11);
  Snapshot snapshot;
  auto node_spec = [&](int i) {
    NodeSpec n{"n" + std::to_string(i), {{kHost, "n" + std::to_string(i)}}};
    const auto zone = rng.below(4);
    if (zone < 3) n.labels.set("topology.kubernetes.io/zone", "z" + std::to_string(zone));
    return n;
  };
  for (int i = 0; i < 16; ++i) snapshot.upsert_node(make_node(node_spec(i)));
  std::vector<std::pair<std::string, std::string>> placed;  // (node, pod key)
  int next = 0;
  int compared = 0;
  for (int step = 0; step < 400; ++step) {
    // A burst of changes between two cycles: usually a few, sometimes more than the
    // journal keeps.
    const std::uint64_t burst = rng.below(20) == 0 ? 9000 : rng.below(6);
    for (std::uint64_t k = 0; k < burst; ++k) {
      const auto action = rng.below(100);
      const auto nodes = snapshot.nodes();
      if (action < 55 || placed.empty()) {
        const NodeInfo* n = nodes[rng.below(nodes.size())];
        auto info = make_pod_info({"p" + std::to_string(next++),
                                   n->name(),
                                   {{"app", "a" + std::to_string(rng.below(4))}},
                                   rng.below(6) == 0 ? "other" : "default",
                                   rng.below(10) == 0});
        placed.emplace_back(n->name(), info->key());
        snapshot.find(n->name())->add_pod(info);
      } else if (action < 98) {
        const auto j = rng.below(placed.size());
        if (NodeInfo* n = snapshot.find(placed[j].first)) n->remove_pod(placed[j].second);
        placed.erase(placed.begin() + static_cast<std::ptrdiff_t>(j));
      } else {
        const int i = static_cast<int>(rng.below(18));
        if (rng.below(3) == 0 && snapshot.size() > 6) {
          snapshot.remove_node("n" + std::to_string(i));
        } else {
          snapshot.upsert_node(make_node(node_spec(i)));  // new, relabelled or moved zone
        }
      }
    }
    if (rng.below(50) == 0) {
      Snapshot other(std::move(snapshot));
      snapshot = std::move(other);
    }
    std::vector<const NodeInfo*> feasible;
    for (const NodeInfo* n : snapshot.nodes()) {
      if (rng.below(4) != 0) feasible.push_back(n);
    }
    const std::string app = "a" + std::to_string(rng.below(4));
    auto pod = incoming({{"app", app}}, {});
    CycleState a(1), b(1);
    PodTopologySpread fresh(PodTopologySpreadArgs{}, ctx);
    REQUIRE(cached.pre_score(a, pod, snapshot, feasible).ok());
    REQUIRE(fresh.pre_score(b, pod, snapshot, feasible).ok());
    std::vector<std::int64_t> sa(feasible.size()), sb(feasible.size());
    cached.score_nodes(a, pod, feasible, sa);
    fresh.score_nodes(b, pod, feasible, sb);
    REQUIRE(sa == sb);
    // The cached per-node counts of this selector, recounted by hand.
    LabelSelector sel;
    sel.match_labels.set("app", app);
    auto matcher = kubesim::models::label_selector_as_matcher(&sel);
    REQUIRE(matcher.ok());
    const auto& constraints = cached.constraints_for(*pod.pod, /*do_not_schedule=*/false);
    REQUIRE(constraints.size() == 2);
    auto& counts = const_cast<kubesim::policies::MatchingPodCounts&>(cached.counts_cache());
    auto& entry = counts.entry(constraints[0].cache_key, "default", constraints[0].selector);
    REQUIRE(entry.slots.size() == snapshot.size());
    for (const NodeInfo* n : snapshot.nodes()) {
      std::int32_t expected = 0;
      for (const auto& p : n->pods()) {
        const Pod& q = *p->pod;
        if (!q.metadata.deletion_timestamp && q.metadata.namespace_ == "default" &&
            matcher.value().matches(q.metadata.labels)) {
          ++expected;
        }
      }
      REQUIRE(entry.slots[static_cast<std::size_t>(n->index())].count == expected);
      ++compared;
    }
  }
  CHECK(compared > 400 * 6);
}
