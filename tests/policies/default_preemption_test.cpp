// DefaultPreemption against upstream's test tables (kubernetes v1.34,
// pkg/scheduler/framework/plugins/defaultpreemption/default_preemption_test.go:
// TestSelectBestCandidate, TestPodEligibleToPreemptOthers, TestPreempt "basic preemption
// logic") with upstream's resources (node capacity veryLargeRes = 500m cpu / 500 memory) and
// priorities (neg -100, low 0, mid 100, high 1000, veryHigh 10000), plus hand-calculated
// reprieve, candidate-count and failure-message cases.
#include "policies/default_preemption.hpp"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "models/scheduler_framework.hpp"
#include "policies/pod_topology_spread.hpp"

namespace {

using kubesim::models::Node;
using kubesim::models::Pod;
using kubesim::models::sched::Code;
using kubesim::models::sched::CycleState;
using kubesim::models::sched::Framework;
using kubesim::models::sched::NodeInfo;
using kubesim::models::sched::Plugin;
using kubesim::models::sched::PluginRef;
using kubesim::models::sched::PluginStatus;
using kubesim::models::sched::PodInfo;
using kubesim::models::sched::Snapshot;
using kubesim::policies::DefaultPreemption;
using kubesim::policies::DefaultPreemptionArgs;

constexpr std::int32_t kNeg = -100, kLow = 0, kMid = 100, kHigh = 1000, kVeryHigh = 10000;
constexpr std::int64_t kSmall = 100, kMedium = 200, kLarge = 300, kVeryLarge = 500;
constexpr kubesim::sim::Time kEpoch = 1'000 * kubesim::sim::kSecond;

// A stand-in for NodeResourcesFit's Filter: cpu and memory (both in the same units here).
class TestFit : public Plugin {
 public:
  std::string_view name() const override { return "NodeResourcesFit"; }
  PluginStatus filter(const CycleState&, const PodInfo& pod, const NodeInfo& node) override {
    if (pod.requests.cpu_milli > node.allocatable().cpu_milli) {
      return PluginStatus::unschedulable("Insufficient cpu", true);
    }
    if (node.requested().cpu_milli + pod.requests.cpu_milli > node.allocatable().cpu_milli) {
      return PluginStatus::unschedulable("Insufficient cpu");
    }
    return PluginStatus::success();
  }
};

struct PodDef {
  std::string name;
  std::string node;
  std::int32_t priority = 0;
  std::int64_t request = 0;
  std::optional<kubesim::sim::Time> start = kEpoch;
};

std::shared_ptr<Pod> make_pod(const PodDef& d) {
  auto p = std::make_shared<Pod>();
  p->metadata.name = d.name;
  p->metadata.namespace_ = "default";
  p->spec.node_name = d.node;
  p->spec.priority = d.priority;
  kubesim::models::Container c;
  c.name = "c";
  c.requests.cpu_milli = d.request;
  c.requests.memory = d.request;
  p->spec.containers.push_back(c);
  p->status.start_time = d.start;
  return p;
}

struct Setup {
  Snapshot snapshot;
  std::unique_ptr<Framework> framework;
  DefaultPreemption* preemption = nullptr;

  Setup(const std::vector<std::string>& nodes, const std::vector<PodDef>& pods,
        DefaultPreemptionArgs args = {}) {
    for (const auto& name : nodes) {
      auto n = std::make_shared<Node>();
      n->metadata.name = name;
      n->metadata.labels.set("kubernetes.io/hostname", name);
      n->status.allocatable.cpu_milli = kVeryLarge;
      n->status.allocatable.memory = kVeryLarge;
      n->status.allocatable.pods = 110;
      snapshot.upsert_node(n);
    }
    for (const auto& p : pods) {
      snapshot.find(p.node)->add_pod(std::make_shared<const PodInfo>(PodInfo::from(make_pod(p))));
    }
    std::vector<std::unique_ptr<Plugin>> plugins;
    plugins.push_back(std::make_unique<TestFit>());
    auto dp = std::make_unique<DefaultPreemption>(args);
    preemption = dp.get();
    plugins.push_back(std::move(dp));
    Plugin* fit = plugins[0].get();
    framework = std::make_unique<Framework>(
        "default-scheduler", std::move(plugins), std::vector<PluginRef>{},
        std::vector<PluginRef>{{fit, 1}}, std::vector<PluginRef>{{preemption, 1}},
        std::vector<PluginRef>{}, std::vector<PluginRef>{}, std::vector<PluginRef>{},
        std::vector<PluginRef>{}, Framework::Options{});
  }

  // Filter on every node, then PostFilter.
  PluginStatus preempt(const PodInfo& pod, Plugin::PostFilterResult& result) {
    CycleState state = framework->new_cycle_state();
    state.skip_filter.assign(2, false);
    state.skip_score.assign(2, false);
    std::vector<std::pair<const NodeInfo*, PluginStatus>> failures;
    for (const NodeInfo* n : snapshot.nodes()) {
      PluginStatus s = framework->run_filter(state, pod, *n);
      if (!s.ok()) failures.emplace_back(n, s);
    }
    return preemption->post_filter(state, pod, snapshot, *framework, failures, result);
  }
};

PodInfo preemptor(std::int32_t priority, std::int64_t request) {
  return PodInfo::from(make_pod({"p", "", priority, request, std::nullopt}));
}

std::string pick(const std::vector<std::string>& nodes, const std::vector<PodDef>& pods,
                 std::int32_t priority = kHigh, std::int64_t request = kVeryLarge) {
  Setup s(nodes, pods);
  Plugin::PostFilterResult r;
  auto status = s.preempt(preemptor(priority, request), r);
  REQUIRE(status.ok());
  return r.nominated_node;
}

std::vector<std::string> names(const Plugin::PostFilterResult& r) {
  std::vector<std::string> out;
  for (const auto& v : r.victims) out.push_back(v->pod->metadata.name);
  return out;
}

const std::vector<std::string> kThree = {"node1", "node2", "node3"};

}  // namespace

TEST_CASE("DefaultPreemption picks the node as upstream TestSelectBestCandidate",
          "[policies][defaultpreemption]") {
  SECTION("a pod that fits on both nodes when lower priority pods are preempted") {
    // Either is valid upstream; the first candidate here.
    CHECK(pick({"node1", "node2"}, {{"p1", "node1", kMid, kLarge}, {"p2", "node2", kMid, kLarge}},
               kHigh, kLarge) == "node1");
  }
  SECTION("node with min highest priority pod is picked") {
    CHECK(pick(kThree, {{"p1.1", "node1", kMid, kMedium},
                        {"p1.2", "node1", kMid, kLarge},
                        {"p2.1", "node2", kMid, kMedium},
                        {"p2.2", "node2", kLow, kMedium},
                        {"p3.1", "node3", kLow, kMedium},
                        {"p3.2", "node3", kLow, kMedium}}) == "node3");
  }
  SECTION("when highest priority is the same, minimum sum of lower priority pods is picked") {
    CHECK(pick(kThree, {{"p1.1", "node1", kMid, kMedium},
                        {"p1.2", "node1", kMid, kLarge},
                        {"p2.1", "node2", kMid, kLarge},
                        {"p2.2", "node2", kLow, kMedium},
                        {"p3.1", "node3", kMid, kMedium},
                        {"p3.2", "node3", kMid, kMedium}}) == "node2");
  }
  SECTION("when highest priority and sum are the same, minimum number of pods is picked") {
    CHECK(pick(kThree, {{"p1.1", "node1", kMid, kSmall},
                        {"p1.2", "node1", kNeg, kSmall},
                        {"p1.3", "node1", kMid, kSmall},
                        {"p1.4", "node1", kNeg, kSmall},
                        {"p2.1", "node2", kMid, kLarge},
                        {"p2.2", "node2", kNeg, kMedium},
                        {"p3.1", "node3", kMid, kMedium},
                        {"p3.2", "node3", kNeg, kSmall},
                        {"p3.3", "node3", kLow, kSmall}}) == "node2");
  }
  SECTION("sum of adjusted priorities is considered") {
    CHECK(pick(kThree, {{"p1.1", "node1", kMid, kSmall},
                        {"p1.2", "node1", kNeg, kSmall},
                        {"p1.3", "node1", kNeg, kSmall},
                        {"p2.1", "node2", kMid, kLarge},
                        {"p2.2", "node2", kNeg, kMedium},
                        {"p3.1", "node3", kMid, kMedium},
                        {"p3.2", "node3", kNeg, kSmall},
                        {"p3.3", "node3", kLow, kSmall}}) == "node2");
  }
  SECTION("non-overlapping lowest high priority, sum priorities, and number of pods") {
    CHECK(pick({"node1", "node2", "node3", "node4"},
               {{"p1.1", "node1", kMid, kSmall},
                {"p1.2", "node1", kLow, kSmall},
                {"p1.3", "node1", kLow, kSmall},
                {"p2.1", "node2", kHigh, kLarge},
                {"p3.1", "node3", kMid, kMedium},
                {"p3.2", "node3", kLow, kSmall},
                {"p3.3", "node3", kLow, kSmall},
                {"p3.4", "node3", kLow, kMedium},
                {"p4.1", "node4", kMid, kMedium},
                {"p4.2", "node4", kMid, kSmall},
                {"p4.3", "node4", kMid, kSmall},
                {"p4.4", "node4", kNeg, kSmall}},
               kVeryHigh) == "node1");
  }
  const auto t = [](int s) { return kEpoch + s * kubesim::sim::kSecond; };
  SECTION("same priority, same number of victims, different start time for each node's pod") {
    CHECK(pick(kThree, {{"p1.1", "node1", kMid, kMedium, t(2)},
                        {"p1.2", "node1", kMid, kMedium, t(2)},
                        {"p2.1", "node2", kMid, kMedium, t(3)},
                        {"p2.2", "node2", kMid, kMedium, t(3)},
                        {"p3.1", "node3", kMid, kMedium, t(1)},
                        {"p3.2", "node3", kMid, kMedium, t(1)}}) == "node2");
  }
  SECTION("same priority, same number of victims, different start time for all pods") {
    CHECK(pick(kThree, {{"p1.1", "node1", kMid, kMedium, t(4)},
                        {"p1.2", "node1", kMid, kMedium, t(2)},
                        {"p2.1", "node2", kMid, kMedium, t(5)},
                        {"p2.2", "node2", kMid, kMedium, t(1)},
                        {"p3.1", "node3", kMid, kMedium, t(3)},
                        {"p3.2", "node3", kMid, kMedium, t(6)}}) == "node3");
  }
  SECTION("different priority, same number of victims, different start time for all pods") {
    CHECK(pick(kThree, {{"p1.1", "node1", kLow, kMedium, t(4)},
                        {"p1.2", "node1", kMid, kMedium, t(2)},
                        {"p2.1", "node2", kMid, kMedium, t(6)},
                        {"p2.2", "node2", kLow, kMedium, t(1)},
                        {"p3.1", "node3", kLow, kMedium, t(3)},
                        {"p3.2", "node3", kMid, kMedium, t(5)}}) == "node2");
  }
}

TEST_CASE("DefaultPreemption basic preemption logic (upstream TestPreempt)",
          "[policies][defaultpreemption]") {
  Setup s(kThree, {{"p1.1", "node1", kLow, kSmall, std::nullopt},
                   {"p1.2", "node1", kLow, kSmall, std::nullopt},
                   {"p2.1", "node2", kHigh, kLarge, std::nullopt},
                   {"p3.1", "node3", kMid, kMedium, std::nullopt}});
  Plugin::PostFilterResult r;
  REQUIRE(s.preempt(preemptor(kHigh, kVeryLarge), r).ok());
  CHECK(r.nominated_node == "node1");
  CHECK(names(r) == std::vector<std::string>{"p1.1", "p1.2"});
}

TEST_CASE("DefaultPreemption reprieves the most important pods first",
          "[policies][defaultpreemption]") {
  // Hand calculation: 500m node with a (low, started at 1s), b (low, started at 2s), both 200m,
  // and c (mid, 100m). The preemptor needs 300m: all three are removed (500m free); reprieve in
  // order c (mid), a (earlier start), b: c fits (400m used... 100 + 300 = 400), a does not
  // (600 > 500), b does not. Victims a, b — most important first.
  const auto t = [](int s) { return kEpoch + s * kubesim::sim::kSecond; };
  Setup s({"node1"}, {{"b", "node1", kLow, kMedium, t(2)},
                      {"c", "node1", kMid, kSmall, t(3)},
                      {"a", "node1", kLow, kMedium, t(1)}});
  Plugin::PostFilterResult r;
  REQUIRE(s.preempt(preemptor(kHigh, kLarge), r).ok());
  CHECK(r.nominated_node == "node1");
  CHECK(names(r) == std::vector<std::string>{"a", "b"});
  // With 200m wanted only one of a, b must go: c and a are reprieved, b is the victim.
  Plugin::PostFilterResult r2;
  Setup s2({"node1"}, {{"b", "node1", kLow, kMedium, t(2)},
                       {"c", "node1", kMid, kSmall, t(3)},
                       {"a", "node1", kLow, kMedium, t(1)}});
  REQUIRE(s2.preempt(preemptor(kHigh, kMedium), r2).ok());
  CHECK(names(r2) == std::vector<std::string>{"b"});
}

TEST_CASE("DefaultPreemption eligibility (upstream TestPodEligibleToPreemptOthers)",
          "[policies][defaultpreemption]") {
  SECTION("preemptionPolicy Never") {
    Setup s({"node1"}, {{"p1", "node1", kLow, kVeryLarge}});
    auto pod = make_pod({"p", "", kHigh, kVeryLarge, std::nullopt});
    pod->spec.preemption_policy = kubesim::models::PreemptionPolicy::kNever;
    Plugin::PostFilterResult r;
    auto status = s.preempt(PodInfo::from(pod), r);
    CHECK(status.code == Code::kUnschedulable);
    CHECK(status.reason == "preemption: not eligible due to preemptionPolicy=Never.");
    CHECK(r.nominated_node.empty());
  }
  auto victim_terminating = [](bool by_preemption) {
    auto v = make_pod({"p1", "node1", kLow, kVeryLarge});
    v->metadata.deletion_timestamp = kEpoch;
    if (by_preemption) {
      kubesim::models::Condition c;
      c.type = std::string(kubesim::models::kPodDisruptionTarget);
      c.status = kubesim::models::ConditionStatus::kTrue;
      c.reason = "PreemptionByScheduler";
      v->status.conditions.push_back(c);
    }
    return v;
  };
  auto nominated_preemptor = [] {
    auto pod = make_pod({"p", "", kHigh, kVeryLarge, std::nullopt});
    pod->status.nominated_node_name = "node1";
    return PodInfo::from(pod);
  };
  SECTION("a preemption victim still terminating on the nominated node: wait") {
    Setup s({"node1"}, {});
    s.snapshot.find("node1")->add_pod(
        std::make_shared<const PodInfo>(PodInfo::from(victim_terminating(true))));
    Plugin::PostFilterResult r;
    auto status = s.preempt(nominated_preemptor(), r);
    CHECK(status.code == Code::kUnschedulable);
    CHECK(status.reason ==
          "preemption: not eligible due to a terminating pod on the nominated node.");
  }
  SECTION("non-victim pods terminating: eligible") {
    Setup s({"node1"}, {});
    s.snapshot.find("node1")->add_pod(
        std::make_shared<const PodInfo>(PodInfo::from(victim_terminating(false))));
    Plugin::PostFilterResult r;
    CHECK(s.preempt(nominated_preemptor(), r).ok());
    CHECK(r.nominated_node == "node1");
  }
}

TEST_CASE("DefaultPreemption only considers Unschedulable nodes and explains failures",
          "[policies][defaultpreemption]") {
  // node1: full with a higher-priority pod (Unschedulable, but no victims); node2 passed
  // Filter, so it has no failure status and counts as "not helpful". Then a pod larger than
  // any node: UnschedulableAndUnresolvable everywhere, no node is even tried. Upstream's
  // FitError histogram, sorted.
  Setup s({"node1", "node2"}, {{"h", "node1", kVeryHigh, kVeryLarge}});
  auto big = make_pod({"p", "", kHigh, kVeryLarge, std::nullopt});
  Plugin::PostFilterResult r;
  auto status = s.preempt(PodInfo::from(big), r);
  CHECK(status.code == Code::kUnschedulable);
  CHECK(status.reason ==
        "preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, "
        "1 Preemption is not helpful for scheduling.");
  CHECK(r.nominated_node.empty());
  Plugin::PostFilterResult r2;
  auto status2 = s.preempt(PodInfo::from(make_pod({"q", "", kHigh, 600, std::nullopt})), r2);
  CHECK(status2.reason ==
        "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.");
}

TEST_CASE("DefaultPreemption candidate count follows calculateNumCandidates",
          "[policies][defaultpreemption]") {
  DefaultPreemption d(DefaultPreemptionArgs{});
  CHECK(d.num_candidates(50) == 50);     // max(5, 100) capped at 50
  CHECK(d.num_candidates(1000) == 100);  // max(100, 100)
  CHECK(d.num_candidates(5000) == 500);  // 10%
  DefaultPreemption small(DefaultPreemptionArgs{30, 5});
  CHECK(small.num_candidates(10) == 5);  // max(3, 5)
  CHECK(small.num_candidates(100) == 30);
  // The walk stops at the wanted count: with minCandidateNodesAbsolute 1 and 10% of 3 nodes,
  // only node1 (the first candidate) is evaluated even though node3 would be better.
  Setup s(kThree,
          {{"p1", "node1", kMid, kVeryLarge},
           {"p2", "node2", kMid, kVeryLarge},
           {"p3", "node3", kLow, kVeryLarge}},
          DefaultPreemptionArgs{10, 1});
  Plugin::PostFilterResult r;
  REQUIRE(s.preempt(preemptor(kHigh, kVeryLarge), r).ok());
  CHECK(r.nominated_node == "node1");
  Setup all(kThree, {{"p1", "node1", kMid, kVeryLarge},
                     {"p2", "node2", kMid, kVeryLarge},
                     {"p3", "node3", kLow, kVeryLarge}});
  Plugin::PostFilterResult r2;
  REQUIRE(all.preempt(preemptor(kHigh, kVeryLarge), r2).ok());
  CHECK(r2.nominated_node == "node3");
}

TEST_CASE("DefaultPreemption with PodTopologySpread's PreFilter extensions (upstream TestPreempt)",
          "[policies][defaultpreemption][podtopologyspread]") {
  // "preemption for topology spread constraints": zone1 = {node-a: 2 high, node-b: 1 low},
  // zone2 = {node-x: 2 high}; the pod (high, label foo) spreads by zone and hostname with
  // maxSkew 1. Every node fails Filter; only removing p-b1 from node-b makes the spread
  // hold (zones 2/2, node-b 0), so node-b is nominated with victim p-b1.
  Snapshot snapshot;
  for (const auto& [name, zone] : std::vector<std::pair<std::string, std::string>>{
           {"node-a", "zone1"}, {"node-b", "zone1"}, {"node-x", "zone2"}}) {
    auto n = std::make_shared<Node>();
    n->metadata.name = name;
    n->metadata.labels.set("zone", zone);
    n->metadata.labels.set("kubernetes.io/hostname", name);
    n->status.allocatable.cpu_milli = kVeryLarge;
    n->status.allocatable.pods = 110;
    snapshot.upsert_node(n);
  }
  auto add = [&](const std::string& name, const std::string& node, std::int32_t priority) {
    auto p = make_pod({name, node, priority, 0});
    p->metadata.labels.set("foo", "");
    snapshot.find(node)->add_pod(std::make_shared<const PodInfo>(PodInfo::from(p)));
  };
  add("p-a1", "node-a", kHigh);
  add("p-a2", "node-a", kHigh);
  add("p-b1", "node-b", kLow);
  add("p-x1", "node-x", kHigh);
  add("p-x2", "node-x", kHigh);

  kubesim::policies::PodTopologySpreadArgs args;
  args.defaulting_type = kubesim::policies::TopologySpreadDefaulting::kList;
  std::vector<std::unique_ptr<Plugin>> plugins;
  plugins.push_back(std::make_unique<kubesim::policies::PodTopologySpread>(
      args, kubesim::policies::PluginContext{}));
  auto dp = std::make_unique<DefaultPreemption>(DefaultPreemptionArgs{});
  DefaultPreemption* preemption = dp.get();
  plugins.push_back(std::move(dp));
  Plugin* pts = plugins[0].get();
  Framework framework("default-scheduler", std::move(plugins), {{pts, 1}}, {{pts, 1}},
                      {{preemption, 1}}, {}, {}, {}, {}, Framework::Options{});

  auto pod_obj = make_pod({"p", "", kHigh, 0, std::nullopt});
  pod_obj->metadata.labels.set("foo", "");
  kubesim::models::LabelSelector foo;
  foo.match_expressions.push_back({"foo", kubesim::models::LabelSelectorOperator::kExists, {}});
  for (const char* key : {"zone", "kubernetes.io/hostname"}) {
    kubesim::models::TopologySpreadConstraint c;
    c.max_skew = 1;
    c.topology_key = key;
    c.label_selector = foo;
    pod_obj->spec.topology_spread_constraints.push_back(c);
  }
  const PodInfo pod = PodInfo::from(pod_obj);
  CycleState state = framework.new_cycle_state();
  state.skip_filter.assign(2, false);
  state.skip_score.assign(2, false);
  kubesim::models::sched::PreFilterResult pre;
  REQUIRE(pts->pre_filter(state, pod, snapshot, pre).ok());
  std::vector<std::pair<const NodeInfo*, PluginStatus>> failures;
  for (const NodeInfo* n : snapshot.nodes()) {
    PluginStatus s = framework.run_filter(state, pod, *n);
    REQUIRE(s.code == Code::kUnschedulable);
    failures.emplace_back(n, s);
  }
  Plugin::PostFilterResult r;
  REQUIRE(preemption->post_filter(state, pod, snapshot, framework, failures, r).ok());
  CHECK(r.nominated_node == "node-b");
  CHECK(names(r) == std::vector<std::string>{"p-b1"});
  // The dry run worked on copies: the snapshot and the cycle state are unchanged.
  CHECK(snapshot.find("node-b")->pods().size() == 1);
  CHECK(framework.run_filter(state, pod, *snapshot.find("node-b")).code == Code::kUnschedulable);
}
