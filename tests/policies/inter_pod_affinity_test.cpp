// InterPodAffinity against upstream's test tables (kubernetes v1.34,
// pkg/scheduler/framework/plugins/interpodaffinity/filtering_test.go
// TestRequiredAffinitySingleNode and scoring_test.go TestPreferredAffinity), plus hand
// calculations for the first-pod-of-a-group rule, hardPodAffinityWeight, namespaceSelector
// and the PreFilter extensions.
#include "policies/inter_pod_affinity.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/scheduler_framework.hpp"

namespace {

using kubesim::models::Labels;
using kubesim::models::LabelSelector;
using kubesim::models::LabelSelectorOperator;
using kubesim::models::Node;
using kubesim::models::Pod;
using kubesim::models::PodAffinityTerm;
using kubesim::models::WeightedPodAffinityTerm;
using kubesim::models::sched::Code;
using kubesim::models::sched::CycleState;
using kubesim::models::sched::NodeInfo;
using kubesim::models::sched::PodInfo;
using kubesim::models::sched::PreFilterResult;
using kubesim::models::sched::Snapshot;
using kubesim::policies::InterPodAffinity;
using kubesim::policies::InterPodAffinityArgs;
using kubesim::policies::PluginContext;

LabelSelector expr(std::vector<kubesim::models::LabelSelectorRequirement> reqs) {
  LabelSelector s;
  s.match_expressions = std::move(reqs);
  return s;
}
kubesim::models::LabelSelectorRequirement in(std::string key, std::vector<std::string> values) {
  return {std::move(key), LabelSelectorOperator::kIn, std::move(values)};
}
kubesim::models::LabelSelectorRequirement not_in(std::string key, std::vector<std::string> values) {
  return {std::move(key), LabelSelectorOperator::kNotIn, std::move(values)};
}
kubesim::models::LabelSelectorRequirement exists(std::string key) {
  return {std::move(key), LabelSelectorOperator::kExists, {}};
}
kubesim::models::LabelSelectorRequirement not_exists(std::string key) {
  return {std::move(key), LabelSelectorOperator::kDoesNotExist, {}};
}

PodAffinityTerm term(LabelSelector selector, std::string topology_key,
                     std::vector<std::string> namespaces = {}) {
  PodAffinityTerm t;
  t.label_selector = std::move(selector);
  t.topology_key = std::move(topology_key);
  t.namespaces = std::move(namespaces);
  return t;
}

struct PodDef {
  std::string name;
  std::string node;
  Labels labels;
  std::vector<PodAffinityTerm> affinity = {};
  std::vector<PodAffinityTerm> anti_affinity = {};
  std::string ns = "default";
  std::vector<WeightedPodAffinityTerm> preferred_affinity = {};
  std::vector<WeightedPodAffinityTerm> preferred_anti_affinity = {};
};

std::shared_ptr<Pod> make_pod(const PodDef& d) {
  auto p = std::make_shared<Pod>();
  p->metadata.name = d.name;
  p->metadata.namespace_ = d.ns;
  p->metadata.labels = d.labels;
  p->spec.node_name = d.node;
  p->spec.pod_affinity.required = d.affinity;
  p->spec.pod_anti_affinity.required = d.anti_affinity;
  p->spec.pod_affinity.preferred = d.preferred_affinity;
  p->spec.pod_anti_affinity.preferred = d.preferred_anti_affinity;
  return p;
}

struct Cluster {
  Snapshot snapshot;
  Cluster(const std::vector<std::pair<std::string, Labels>>& nodes,
          const std::vector<PodDef>& pods) {
    for (const auto& [name, labels] : nodes) {
      auto n = std::make_shared<Node>();
      n->metadata.name = name;
      n->metadata.labels = labels;
      snapshot.upsert_node(n);
    }
    for (const auto& p : pods) {
      snapshot.find(p.node)->add_pod(std::make_shared<const PodInfo>(PodInfo::from(make_pod(p))));
    }
  }
};

Code filter_one(InterPodAffinity& plugin, const Cluster& c, const PodDef& incoming,
                const std::string& node) {
  const PodInfo pod = PodInfo::from(make_pod(incoming));
  CycleState state(1);
  PreFilterResult r;
  auto s = plugin.pre_filter(state, pod, c.snapshot, r);
  if (s.is_skip()) return Code::kSuccess;
  REQUIRE(s.ok());
  return plugin.filter(state, pod, *c.snapshot.find(node)).code;
}

const Labels kService{{"service", "securityscan"}};
const Labels kSecurity{{"security", "S1"}};

}  // namespace

TEST_CASE("InterPodAffinity filter follows upstream TestRequiredAffinitySingleNode",
          "[policies][interpodaffinity]") {
  InterPodAffinity plugin(InterPodAffinityArgs{}, PluginContext{});
  const std::vector<std::pair<std::string, Labels>> nodes = {
      {"machine1", {{"region", "r1"}, {"zone", "z11"}}}};
  const PodDef existing{"e", "machine1", kService};
  Cluster c(nodes, {existing});

  SECTION("a pod without required rules schedules onto a node (PreFilter skips)") {
    CHECK(filter_one(plugin, c, {"p", "", kSecurity}, "machine1") == Code::kSuccess);
  }
  SECTION("In operator that matches the existing pod") {
    PodDef p{
        "p", "", kSecurity, {term(expr({in("service", {"securityscan", "value2"})}), "region")}};
    CHECK(filter_one(plugin, c, p, "machine1") == Code::kSuccess);
  }
  SECTION("NotIn operator that matches the existing pod") {
    PodDef p{"p",
             "",
             kSecurity,
             {term(expr({not_in("service", {"securityscan3", "value3"})}), "region")}};
    CHECK(filter_one(plugin, c, p, "machine1") == Code::kSuccess);
  }
  SECTION("does not satisfy the PodAffinity because of a different namespace") {
    Cluster c2(nodes, {{"e", "machine1", kService, {}, {}, "ns"}});
    PodDef p{
        "p",
        "",
        kSecurity,
        {term(expr({in("service", {"securityscan", "value2"})}), "region", {"DiffNameSpace"})}};
    CHECK(filter_one(plugin, c2, p, "machine1") == Code::kUnschedulableAndUnresolvable);
  }
  SECTION("unmatching labelSelector (and no topology key on the node)") {
    PodDef p{"p", "", kService, {term(expr({in("service", {"antivirusscan", "value2"})}), "")}};
    CHECK(filter_one(plugin, c, p, "machine1") == Code::kUnschedulableAndUnresolvable);
  }
  SECTION("several terms: all must match the same existing pods") {
    PodDef ok{"p",
              "",
              kSecurity,
              {term(expr({exists("service"), not_exists("wrongkey")}), "region"),
               term(expr({in("service", {"securityscan"}), not_in("service", {"WrongValue"})}),
                    "region")}};
    CHECK(filter_one(plugin, c, ok, "machine1") == Code::kSuccess);
    PodDef bad{"p",
               "",
               kSecurity,
               {term(expr({exists("service"), not_exists("wrongkey")}), "region"),
                term(expr({in("service", {"securityscan2"}), not_in("service", {"WrongValue"})}),
                     "region")}};
    CHECK(filter_one(plugin, c, bad, "machine1") == Code::kUnschedulableAndUnresolvable);
  }
  SECTION("satisfies the PodAffinity and PodAntiAffinity with the existing pod") {
    PodDef p{"p",
             "",
             kSecurity,
             {term(expr({in("service", {"securityscan", "value2"})}), "region")},
             {term(expr({in("service", {"antivirusscan", "value2"})}), "node")}};
    CHECK(filter_one(plugin, c, p, "machine1") == Code::kSuccess);
  }
  SECTION("satisfies the PodAffinity but not the PodAntiAffinity") {
    PodDef p{"p",
             "",
             kSecurity,
             {term(expr({in("service", {"securityscan", "value2"})}), "region")},
             {term(expr({in("service", {"securityscan", "value2"})}), "zone")}};
    CHECK(filter_one(plugin, c, p, "machine1") == Code::kUnschedulable);
  }
  SECTION("existing pod's anti-affinity (symmetry) rejects the pod") {
    Cluster c2(nodes, {{"e",
                        "machine1",
                        kService,
                        {},
                        {term(expr({in("service", {"securityscan", "value2"})}), "zone")}}});
    PodDef p{"p",
             "",
             kService,
             {term(expr({in("service", {"securityscan", "value2"})}), "region")},
             {term(expr({in("service", {"antivirusscan", "value2"})}), "node")}};
    CHECK(filter_one(plugin, c2, p, "machine1") == Code::kUnschedulable);
    // A pod without any affinity is rejected by the existing pod's anti-affinity too.
    CHECK(filter_one(plugin, c2, {"q", "", kService}, "machine1") == Code::kUnschedulable);
  }
  SECTION("existing pod's anti-affinity that does not match the pod") {
    Cluster c2(nodes, {{"e",
                        "machine1",
                        kService,
                        {},
                        {term(expr({not_in("service", {"securityscan", "value2"})}), "zone")}}});
    CHECK(filter_one(plugin, c2, {"q", "", kService}, "machine1") == Code::kSuccess);
  }
  SECTION("pod matches its own label in PodAffinity but the existing pod does not") {
    PodDef p{
        "p", "", kService, {term(expr({not_in("service", {"securityscan", "value2"})}), "region")}};
    CHECK(filter_one(plugin, c, p, "machine1") == Code::kUnschedulableAndUnresolvable);
  }
}

TEST_CASE("InterPodAffinity lets the first pod of a self-affine group schedule",
          "[policies][interpodaffinity]") {
  // upstream satisfyPodAffinity: no pod anywhere matches the terms, the pod matches its own
  // terms, and the node has the topology key -> allowed.
  InterPodAffinity plugin(InterPodAffinityArgs{}, PluginContext{});
  Cluster c({{"n1", {{"zone", "a"}}}, {"n2", {}}}, {{"other", "n1", {{"app", "db"}}}});
  PodDef web{"p", "", {{"app", "web"}}, {term(expr({in("app", {"web"})}), "zone")}};
  CHECK(filter_one(plugin, c, web, "n1") == Code::kSuccess);
  CHECK(filter_one(plugin, c, web, "n2") == Code::kUnschedulableAndUnresolvable);  // no key
  // A pod that does not match its own terms gets no such exception.
  PodDef cache{"p", "", {{"app", "cache"}}, {term(expr({in("app", {"web"})}), "zone")}};
  CHECK(filter_one(plugin, c, cache, "n1") == Code::kUnschedulableAndUnresolvable);
  // Once one web pod runs in zone a, only zone a qualifies.
  Cluster c2({{"n1", {{"zone", "a"}}}, {"n3", {{"zone", "b"}}}}, {{"w1", "n1", {{"app", "web"}}}});
  CHECK(filter_one(plugin, c2, web, "n1") == Code::kSuccess);
  CHECK(filter_one(plugin, c2, web, "n3") == Code::kUnschedulableAndUnresolvable);
}

TEST_CASE("InterPodAffinity AddPod/RemovePod update the PreFilter counts",
          "[policies][interpodaffinity]") {
  // One-per-host anti-affinity: removing the existing web pod from n1 (preemption's
  // hypothetical) makes n1 feasible; adding it back restores the rejection.
  InterPodAffinity plugin(InterPodAffinityArgs{}, PluginContext{});
  const PodDef w1{"w1",
                  "n1",
                  {{"app", "web"}},
                  {},
                  {term(expr({in("app", {"web"})}), "kubernetes.io/hostname")}};
  Cluster c(
      {{"n1", {{"kubernetes.io/hostname", "n1"}}}, {"n2", {{"kubernetes.io/hostname", "n2"}}}},
      {w1});
  const PodInfo pod =
      PodInfo::from(make_pod({"p",
                              "",
                              {{"app", "web"}},
                              {},
                              {term(expr({in("app", {"web"})}), "kubernetes.io/hostname")}}));
  CycleState state(1);
  PreFilterResult r;
  REQUIRE(plugin.pre_filter(state, pod, c.snapshot, r).ok());
  const NodeInfo& n1 = *c.snapshot.find("n1");
  const NodeInfo& n2 = *c.snapshot.find("n2");
  CHECK(plugin.filter(state, pod, n1).code == Code::kUnschedulable);
  CHECK(plugin.filter(state, pod, n2).code == Code::kSuccess);
  REQUIRE(n1.pods().size() == 1);
  const auto victim = n1.pods().front();
  CycleState copy = state.clone();
  REQUIRE(plugin.remove_pod(copy, pod, *victim, n1).ok());
  CHECK(plugin.filter(copy, pod, n1).code == Code::kSuccess);
  CHECK(plugin.filter(state, pod, n1).code == Code::kUnschedulable);  // original untouched
  REQUIRE(plugin.add_pod(copy, pod, *victim, n2).ok());
  CHECK(plugin.filter(copy, pod, n2).code == Code::kUnschedulable);
}

TEST_CASE("InterPodAffinity namespaceSelector selects namespaces by their labels",
          "[policies][interpodaffinity]") {
  PluginContext ctx;
  const Labels team1{{"team", "team1"}};
  ctx.namespace_labels = [team1](std::string_view ns) -> const Labels* {
    return ns == "ns1" ? &team1 : nullptr;
  };
  InterPodAffinity plugin(InterPodAffinityArgs{}, ctx);
  Cluster in_ns1({{"n1", {{"zone", "a"}}}}, {{"e", "n1", {{"app", "db"}}, {}, {}, "ns1"}});
  Cluster in_ns2({{"n1", {{"zone", "a"}}}}, {{"e", "n1", {{"app", "db"}}, {}, {}, "ns2"}});
  PodAffinityTerm t = term(expr({in("app", {"db"})}), "zone");
  t.namespace_selector = expr({in("team", {"team1"})});
  PodDef p{"p", "", {{"app", "web"}}, {t}};
  CHECK(filter_one(plugin, in_ns1, p, "n1") == Code::kSuccess);
  CHECK(filter_one(plugin, in_ns2, p, "n1") == Code::kUnschedulableAndUnresolvable);
  // An empty namespaceSelector selects every namespace.
  t.namespace_selector = LabelSelector{};
  PodDef all{"p", "", {{"app", "web"}}, {t}};
  CHECK(filter_one(plugin, in_ns2, all, "n1") == Code::kSuccess);
}

namespace {

std::map<std::string, std::int64_t> run_score(InterPodAffinity& plugin, const Cluster& c,
                                              const PodDef& incoming, bool* skipped = nullptr) {
  const PodInfo pod = PodInfo::from(make_pod(incoming));
  CycleState state(1);
  std::vector<const NodeInfo*> feasible(c.snapshot.nodes().begin(), c.snapshot.nodes().end());
  auto status = plugin.pre_score(state, pod, c.snapshot, feasible);
  std::map<std::string, std::int64_t> out;
  if (skipped != nullptr) *skipped = status.is_skip();
  if (status.is_skip()) return out;
  REQUIRE(status.ok());
  std::vector<std::int64_t> scores;
  for (const NodeInfo* n : feasible) scores.push_back(plugin.score(state, pod, *n));
  plugin.normalize_scores(state, pod, scores);
  for (std::size_t i = 0; i < feasible.size(); ++i) out[feasible[i]->name()] = scores[i];
  return out;
}

WeightedPodAffinityTerm weighted(std::int32_t w, PodAffinityTerm t) { return {w, std::move(t)}; }

}  // namespace

TEST_CASE("InterPodAffinity scores follow upstream TestPreferredAffinity",
          "[policies][interpodaffinity]") {
  InterPodAffinity plugin(InterPodAffinityArgs{}, PluginContext{});
  const Labels china{{"region", "China"}};
  const Labels india{{"region", "India"}};
  const Labels az1{{"az", "az1"}};
  const Labels s1{{"security", "S1"}};
  const Labels s2{{"security", "S2"}};
  const auto stay_with_s1 = weighted(5, term(expr({in("security", {"S1"})}), "region"));
  const auto stay_with_s2 = weighted(6, term(expr({in("security", {"S2"})}), "region"));

  SECTION("all nodes are same priority as Affinity is nil: Skip") {
    Cluster c({{"node1", china}, {"node2", india}, {"node3", az1}}, {});
    bool skipped = false;
    run_score(plugin, c, {"p", "", s1}, &skipped);
    CHECK(skipped);
  }
  SECTION("pod that matches topology key & pods in nodes gets the high score") {
    Cluster c({{"node1", china}, {"node2", india}, {"node3", az1}},
              {{"a", "node1", s1}, {"b", "node2", s2}, {"c", "node3", s1}});
    auto s = run_score(plugin, c, {"p", "", s1, {}, {}, "default", {stay_with_s1}});
    CHECK(s["node1"] == 100);
    CHECK(s["node2"] == 0);
    CHECK(s["node3"] == 0);
  }
  SECTION("nodes with the same topology value share the score") {
    Cluster c({{"node1", china}, {"node2", {{"region", "China"}, {"az", "az1"}}}, {"node3", india}},
              {{"a", "node1", s1}});
    auto s = run_score(plugin, c, {"p", "", {}, {}, {}, "default", {stay_with_s1}});
    CHECK(s["node1"] == 100);
    CHECK(s["node2"] == 100);
    CHECK(s["node3"] == 0);
  }
  SECTION("the region with more matching pods scores high") {
    Cluster c(
        {{"node1", china}, {"node2", india}, {"node3", china}, {"node4", china}, {"node5", india}},
        {{"a", "node1", s2},
         {"b", "node1", s2},
         {"c", "node2", s2},
         {"d", "node3", s2},
         {"e", "node4", s2},
         {"f", "node5", s2}});
    auto s = run_score(plugin, c, {"p", "", s1, {}, {}, "default", {stay_with_s2}});
    CHECK(s["node1"] == 100);
    CHECK(s["node2"] == 0);
    CHECK(s["node3"] == 100);
    CHECK(s["node4"] == 100);
    CHECK(s["node5"] == 0);
  }
  SECTION("different label operators, including some match failures") {
    // China: the S1 pod matches the weight-2 term (+2); India: the S2 pod matches both (+10).
    const std::vector<WeightedPodAffinityTerm> affinity3 = {
        weighted(8, term(expr({not_in("security", {"S1"}), in("security", {"S2"})}), "region")),
        weighted(2, term(expr({exists("security"), not_exists("wrongkey")}), "region"))};
    Cluster c({{"node1", china}, {"node2", india}, {"node3", az1}},
              {{"a", "node1", s1}, {"b", "node2", s2}, {"c", "node3", s1}});
    auto s = run_score(plugin, c, {"p", "", s1, {}, {}, "default", affinity3});
    CHECK(s["node1"] == 20);
    CHECK(s["node2"] == 100);
    CHECK(s["node3"] == 0);
  }
  SECTION("anti-affinity: stay away from S1 in az") {
    // az1 holds an S1 pod: -5 there; az2 0. min -5, max 0 -> az1 0, az2 100; no az key: 0
    // raw -> 100.
    const auto away = weighted(5, term(expr({in("security", {"S1"})}), "az"));
    Cluster c({{"node1", az1}, {"node2", {{"az", "az2"}}}, {"node3", china}},
              {{"a", "node1", s1}, {"b", "node2", s2}});
    auto s = run_score(plugin, c, {"p", "", s1, {}, {}, "default", {}, {away}});
    CHECK(s["node1"] == 0);
    CHECK(s["node2"] == 100);
    CHECK(s["node3"] == 100);
  }
}

TEST_CASE("InterPodAffinity counts existing pods' required affinity with hardPodAffinityWeight",
          "[policies][interpodaffinity]") {
  // Hand calculation: the existing pod on node1 (China) requires two terms that the incoming
  // S1 pod matches: China += 2 × weight. node3 shares China.
  const std::vector<PodAffinityTerm> hard = {
      term(expr({in("security", {"S1", "value2"})}), "region"),
      term(expr({exists("security"), not_exists("wrongkey")}), "region")};
  const std::vector<std::pair<std::string, Labels>> nodes = {{"node1", {{"region", "China"}}},
                                                             {"node2", {{"region", "India"}}},
                                                             {"node3", {{"region", "China"}}}};
  Cluster c(nodes, {{"a", "node1", {{"security", "S1"}}, hard}});
  InterPodAffinity plugin(InterPodAffinityArgs{1}, PluginContext{});
  auto s = run_score(plugin, c, {"p", "", {{"security", "S1"}}});
  CHECK(s["node1"] == 100);
  CHECK(s["node2"] == 0);
  CHECK(s["node3"] == 100);
  InterPodAffinity zero(InterPodAffinityArgs{0}, PluginContext{});
  bool skipped = false;
  run_score(zero, c, {"p", "", {{"security", "S1"}}}, &skipped);
  CHECK(skipped);
}

#include <chrono>
#include <cstdio>

// Hidden (run with "[.interpodaffinity-bench]"): the fast path at 5,000 nodes and 150,000
// pods without any affinity: PreFilter and PreScore both Skip.
TEST_CASE("InterPodAffinity fast path cost at 5000 nodes", "[.interpodaffinity-bench]") {
  std::vector<std::pair<std::string, Labels>> nodes;
  for (int i = 0; i < 5000; ++i) nodes.push_back({"n" + std::to_string(i), {{"zone", "z"}}});
  Cluster c(nodes, {});
  for (int i = 0; i < 150000; ++i) {
    c.snapshot.find("n" + std::to_string(i % 5000))
        ->add_pod(std::make_shared<const PodInfo>(
            PodInfo::from(make_pod({"p" + std::to_string(i), "", {{"app", "a"}}}))));
  }
  InterPodAffinity plugin(InterPodAffinityArgs{}, PluginContext{});
  const PodInfo pod = PodInfo::from(make_pod({"p", "", {{"app", "a"}}}));
  std::vector<const NodeInfo*> feasible(c.snapshot.nodes().begin(),
                                        c.snapshot.nodes().begin() + 500);
  const int kCycles = 5000;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kCycles; ++i) {
    CycleState state(1);
    PreFilterResult r;
    REQUIRE(plugin.pre_filter(state, pod, c.snapshot, r).is_skip());
    REQUIRE(plugin.pre_score(state, pod, c.snapshot, feasible).is_skip());
  }
  const double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() /
      kCycles;
  std::printf("InterPodAffinity fast path PreFilter+PreScore: %.2f us/cycle\n", us);
  CHECK(us > 0);
}
