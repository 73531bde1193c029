// Tests for policies/node_plugins: the node-level plugins of kube-scheduler v1.34 as black
// boxes, with cases taken from upstream's test tables (kubernetes/kubernetes
// pkg/scheduler/framework/plugins/<plugin>/*_test.go; the test function and case name are
// cited per block) or hand-calculated (marked). Upstream's st.MakeNode().Capacity({"cpu":
// "4000"}) is 4000 cores; here the same ratios are kept in milli-CPU, which every score
// formula is invariant to as long as pod and node use one unit.
#include "policies/node_plugins.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "models/gpu_topology.hpp"
#include "sim/random.hpp"
#include "tests/support/scheduler_fixtures.hpp"

namespace {

namespace kp = kubesim::policies;
using namespace kubesim::models::sched;
using kubesim::models::NodeAffinity;
using kubesim::models::NodeSelector;
using kubesim::models::NodeSelectorOperator;
using kubesim::models::NodeSelectorRequirement;
using kubesim::models::NodeSelectorTerm;
using kubesim::models::PreferredSchedulingTerm;
using kubesim::models::TaintEffect;
using kubesim::models::Toleration;
using kubesim::models::TolerationOperator;
using kubesim::testing::kGi;
using kubesim::testing::kMi;
using kubesim::testing::NodeBuilder;
using kubesim::testing::PodBuilder;
using Vec = std::vector<std::int64_t>;

Snapshot snapshot_of(std::vector<std::shared_ptr<const kubesim::models::Node>> nodes) {
  Snapshot snap;
  for (auto& n : nodes) snap.upsert_node(std::move(n));
  return snap;
}

// PreFilter (if any), Filter on one node.
PluginStatus run_filter(Plugin& plugin, const PodInfo& pod, const Snapshot& snap,
                        std::string_view node) {
  CycleState state(1);
  plugin.set_slot(0);
  PreFilterResult r;
  PluginStatus pre = plugin.pre_filter(state, pod, snap, r);
  if (pre.is_skip()) return PluginStatus::success();
  if (!pre.ok()) return pre;
  return plugin.filter(state, pod, *snap.find(node));
}

// PreScore, Score over every node (snapshot order), NormalizeScore. Skip gives all zeros.
Vec run_score(Plugin& plugin, const PodInfo& pod, const Snapshot& snap) {
  CycleState state(1);
  plugin.set_slot(0);
  std::vector<const NodeInfo*> nodes(snap.nodes().begin(), snap.nodes().end());
  PluginStatus pre = plugin.pre_score(state, pod, snap, nodes);
  Vec scores(nodes.size(), 0);
  if (pre.is_skip()) return scores;
  REQUIRE(pre.ok());
  plugin.prepare_score(state, pod, snap);
  for (std::size_t i = 0; i < nodes.size(); ++i) scores[i] = plugin.score(state, pod, *nodes[i]);
  if (plugin.has_normalize()) plugin.normalize_scores(state, pod, scores);
  return scores;
}

std::vector<std::string> reasons(const PluginStatus& s) {
  std::vector<std::string> out;
  if (!s.reason.empty()) out.push_back(s.reason);
  for (const auto& r : s.more_reasons) out.push_back(r);
  return out;
}

Toleration toleration(std::string key, TolerationOperator op, std::string value,
                      std::optional<TaintEffect> effect) {
  return Toleration{std::move(key), op, std::move(value), effect, std::nullopt};
}

NodeSelectorRequirement req(std::string key, NodeSelectorOperator op,
                            std::vector<std::string> values) {
  return NodeSelectorRequirement{std::move(key), op, std::move(values)};
}

}  // namespace

// ---- NodeResourcesFit: Filter ------------------------------------------------------------

TEST_CASE("NodeResourcesFit filter reproduces upstream's TestEnoughRequests", "[node_plugins]") {
  // upstream fit_test.go: node allocatable makeAllocatableResources(10, 20, 32, ...) — 10
  // milli-CPU, 20 bytes memory, 32 pods.
  auto node = [] { return NodeBuilder("n").cpu(10).memory(20).pods(32); };
  kp::NodeResourcesFit fit(kp::NodeResourcesFitArgs{});
  auto check = [&](PodBuilder pod, PodBuilder existing, std::vector<std::string> want,
                   Code code = Code::kUnschedulable) {
    Snapshot snap = snapshot_of({node().build()});
    snap.find("n")->add_pod(existing.info());
    PluginStatus s = run_filter(fit, *pod.info(), snap, "n");
    CHECK(reasons(s) == want);
    if (!want.empty()) CHECK(s.code == code);
  };
  SECTION("no resources requested always fits") {
    check(PodBuilder("p"), PodBuilder("e").container(10, 20), {});
  }
  SECTION("too many resources fails") {
    check(PodBuilder("p").container(1, 1), PodBuilder("e").container(10, 20),
          {"Insufficient cpu", "Insufficient memory"});
  }
  SECTION("too many resources fails due to init container cpu") {
    check(PodBuilder("p").container(1, 1).init_container(3, 1), PodBuilder("e").container(8, 19),
          {"Insufficient cpu"});
  }
  SECTION("too many resources fails due to highest init container memory") {
    check(PodBuilder("p").container(1, 1).init_container(1, 3).init_container(1, 2),
          PodBuilder("e").container(9, 19), {"Insufficient memory"});
  }
  SECTION("init container fits because it's the max, not sum, of containers") {
    check(PodBuilder("p").container(1, 1).init_container(1, 1).init_container(1, 1),
          PodBuilder("e").container(9, 19), {});
  }
  SECTION("both resources fit") {
    check(PodBuilder("p").container(1, 1), PodBuilder("e").container(5, 5), {});
  }
  SECTION("one resource memory fits") {
    check(PodBuilder("p").container(2, 1), PodBuilder("e").container(9, 5), {"Insufficient cpu"});
  }
  SECTION("one resource cpu fits") {
    check(PodBuilder("p").container(1, 2), PodBuilder("e").container(5, 19),
          {"Insufficient memory"});
  }
  SECTION("equal edge case") {
    check(PodBuilder("p").container(5, 1), PodBuilder("e").container(5, 19), {});
  }
  SECTION("a request beyond allocatable is unresolvable") {
    check(PodBuilder("p").container(11, 1), PodBuilder("e"), {"Insufficient cpu"},
          Code::kUnschedulableAndUnresolvable);
  }
}

TEST_CASE("NodeResourcesFit filter: extended resources, ignored ones and Too many pods",
          "[node_plugins]") {
  // upstream fit_test.go, TestEnoughRequests "extended resource ..." cases: node allocatable
  // example.com/aaa 5.
  auto snap = [] {
    Snapshot s = snapshot_of(
        {NodeBuilder("n").cpu(10).memory(20).pods(32).set("example.com/aaa", 5).build()});
    s.find("n")->add_pod(PodBuilder("e").container(0, 0).request("example.com/aaa", 2).info());
    return s;
  };
  kp::NodeResourcesFit fit(kp::NodeResourcesFitArgs{});
  {
    Snapshot s = snap();
    CHECK(fit.filter(CycleState(1),
                     *PodBuilder("p").container(1, 1).request("example.com/aaa", 3).info(),
                     *s.find("n"))
              .ok());
  }
  {
    // "extended resource allocatable enforced": 2 used + 4 > 5.
    Snapshot s = snap();
    PluginStatus st = fit.filter(
        CycleState(1), *PodBuilder("p").container(1, 1).request("example.com/aaa", 4).info(),
        *s.find("n"));
    CHECK(reasons(st) == std::vector<std::string>{"Insufficient example.com/aaa"});
    CHECK(st.code == Code::kUnschedulable);
  }
  {
    // "skip checking ignored extended resource" and by group.
    kp::NodeResourcesFitArgs args;
    args.ignored_resources = {"example.com/aaa"};
    kp::NodeResourcesFit ignoring(args);
    kp::NodeResourcesFitArgs group_args;
    group_args.ignored_resource_groups = {"example.com"};
    kp::NodeResourcesFit ignoring_group(group_args);
    Snapshot s = snap();
    auto pod = PodBuilder("p").container(1, 1).request("example.com/aaa", 10).info();
    CHECK(ignoring.filter(CycleState(1), *pod, *s.find("n")).ok());
    CHECK(ignoring_group.filter(CycleState(1), *pod, *s.find("n")).ok());
    PluginStatus st = fit.filter(CycleState(1), *pod, *s.find("n"));
    CHECK(st.code == Code::kUnschedulableAndUnresolvable);  // 10 > allocatable 5
  }
  {
    // upstream TestNotEnoughRequests: allocatable pods 1, one pod already there.
    Snapshot s = snapshot_of({NodeBuilder("n").cpu(10).memory(20).pods(1).build()});
    s.find("n")->add_pod(PodBuilder("e").container(10, 20).info());
    PluginStatus st = fit.filter(CycleState(1), *PodBuilder("p").info(), *s.find("n"));
    CHECK(reasons(st) == std::vector<std::string>{"Too many pods"});
    st = fit.filter(CycleState(1), *PodBuilder("p").container(1, 1).info(), *s.find("n"));
    CHECK(reasons(st) ==
          std::vector<std::string>{"Too many pods", "Insufficient cpu", "Insufficient memory"});
  }
}

TEST_CASE("NodeResourcesFit's quick filter is exact", "[node_plugins]") {
  // The framework skips building a rejection's status when an exact quick filter says no,
  // so filter_passes must equal filter().ok(): every combination of cpu (1 or 9 of 10 free
  // after the resident pod), GPUs (0, 1, 3 of 2 free), an extended resource (0, 2 or 4 of 3
  // free) and pods (room or not), with and without nvidia.com/gpu or the example.com group
  // ignored.
  kp::NodeResourcesFitArgs ignore_gpu;
  ignore_gpu.ignored_resources = {"nvidia.com/gpu"};
  kp::NodeResourcesFitArgs ignore_group;
  ignore_group.ignored_resource_groups = {"example.com"};
  kp::NodeResourcesFit plain(kp::NodeResourcesFitArgs{}), no_gpu(ignore_gpu),
      no_group(ignore_group);
  int checked = 0, rejected = 0;
  for (const int max_pods : {2, 1}) {
    Snapshot s = snapshot_of({NodeBuilder("n")
                                  .cpu(10)
                                  .memory(20)
                                  .pods(max_pods)
                                  .set("nvidia.com/gpu", 4)
                                  .set("example.com/aaa", 5)
                                  .build()});
    s.find("n")->add_pod(PodBuilder("e")
                             .container(0, 0)
                             .request("nvidia.com/gpu", 2)
                             .request("example.com/aaa", 2)
                             .info());
    for (const int cpu : {1, 11}) {
      for (const int gpus : {0, 1, 3}) {
        for (const int aaa : {0, 2, 4}) {
          PodBuilder pb("p");
          pb.container(cpu, 1);
          if (gpus > 0) pb.request("nvidia.com/gpu", gpus);
          if (aaa > 0) pb.request("example.com/aaa", aaa);
          auto pod = pb.info();
          for (kp::NodeResourcesFit* fit : {&plain, &no_gpu, &no_group}) {
            REQUIRE(fit->quick_filter_exact());
            CycleState state(1);
            const bool full = fit->filter(state, *pod, *s.find("n")).ok();
            REQUIRE(fit->filter_passes(state, *pod, *s.find("n")) == full);
            ++checked;
            rejected += full ? 0 : 1;
          }
        }
      }
    }
  }
  CHECK(checked == 2 * 2 * 3 * 3 * 3);
  CHECK(rejected > 0);
  CHECK(rejected < checked);
}

// ---- NodeResourcesFit: scoring strategies ------------------------------------------------

TEST_CASE("LeastAllocated scores as upstream's TestLeastAllocatedScoringStrategy",
          "[node_plugins]") {
  kp::NodeResourcesFit fit(kp::NodeResourcesFitArgs{});
  SECTION("nothing scheduled, nothing requested") {
    Snapshot s = snapshot_of({NodeBuilder("node1").cpu(4000).memory(10000).build(),
                              NodeBuilder("node2").cpu(4000).memory(10000).build()});
    CHECK(run_score(fit, *PodBuilder("p").info(), s) == Vec{100, 100});
  }
  SECTION("nothing scheduled, resources requested, differently sized nodes") {
    Snapshot s = snapshot_of({NodeBuilder("node1").cpu(4000).memory(10000).build(),
                              NodeBuilder("node2").cpu(6000).memory(10000).build()});
    auto pod = PodBuilder("p").container(1000, 2000).container(2000, 3000).info();
    CHECK(run_score(fit, *pod, s) == Vec{37, 50});
  }
  SECTION("resources requested, pods scheduled with resources") {
    // upstream's arithmetic for this case: node1 (10000m, 20000) already holds 3000m / 5000
    // and the pod adds 3000m / 5000: cpu 40, memory 50 -> 45; node2 (10000m, 50000) holds a
    // cpu-only pod (3000m, memory explicitly 0): cpu 40, memory 90 -> 65.
    Snapshot s = snapshot_of({NodeBuilder("node1").cpu(10000).memory(20000).build(),
                              NodeBuilder("node2").cpu(10000).memory(50000).build()});
    s.find("node1")->add_pod(PodBuilder("a").container(1000, 2000).container(2000, 3000).info());
    s.find("node2")->add_pod(PodBuilder("b").container(1000, 0).container(2000, 0).info());
    auto pod = PodBuilder("p").container(1000, 2000).container(2000, 3000).info();
    CHECK(run_score(fit, *pod, s) == Vec{45, 65});
  }
  SECTION("a container without requests counts 100m and 200 MiB") {
    // Hand calculation: node 1000m / 1000 MiB; pod: one container with no requests ->
    // cpu (1000-100)*100/1000 = 90, memory (1000-200)*100/1000 = 80 -> 85.
    Snapshot s = snapshot_of({NodeBuilder("n").cpu(1000).memory(1000 * kMi).build()});
    CHECK(run_score(fit, *PodBuilder("p").container(std::nullopt, std::nullopt).info(), s) ==
          Vec{85});
  }
}

TEST_CASE("MostAllocated and RequestedToCapacityRatio score as upstream's tables",
          "[node_plugins]") {
  Snapshot s = snapshot_of({NodeBuilder("node1").cpu(4000).memory(10000).build(),
                            NodeBuilder("node2").cpu(6000).memory(10000).build()});
  auto pod = PodBuilder("p").container(1000, 2000).container(2000, 3000).info();
  SECTION("MostAllocated: nothing scheduled, resources requested, differently sized nodes") {
    kp::NodeResourcesFitArgs args;
    args.type = kp::ScoringStrategyType::kMostAllocated;
    kp::NodeResourcesFit fit(args);
    CHECK(run_score(fit, *pod, s) == Vec{62, 50});
  }
  SECTION("RequestedToCapacityRatio {0:10, 100:0}: differently sized nodes") {
    // upstream TestRequestedToCapacityRatioScoringStrategy: node1 util cpu 75 -> 25, mem 50 ->
    // 50, round(37.5) = 38; node2 50, 50 -> 50.
    kp::NodeResourcesFitArgs args;
    args.type = kp::ScoringStrategyType::kRequestedToCapacityRatio;
    args.shape = {{0, 10}, {100, 0}};
    kp::NodeResourcesFit fit(args);
    CHECK(run_score(fit, *pod, s) == Vec{38, 50});
  }
  SECTION("RequestedToCapacityRatio bin packing on an extended resource") {
    // upstream TestResourceBinPackingSingleExtended, "nothing scheduled, resources
    // requested, differently sized nodes": shape {0:0, 100:10}, resources intel.com/foo:1;
    // nodes with 4 and 8 foo, pod requests 2 -> util 50 / 25 -> scores 50 / 25.
    kp::NodeResourcesFitArgs args;
    args.type = kp::ScoringStrategyType::kRequestedToCapacityRatio;
    args.shape = {{0, 0}, {100, 10}};
    args.resources = {{"intel.com/foo", 1}};
    kp::NodeResourcesFit fit(args);
    Snapshot x =
        snapshot_of({NodeBuilder("a").cpu(4000).memory(10000).set("intel.com/foo", 4).build(),
                     NodeBuilder("b").cpu(4000).memory(10000).set("intel.com/foo", 8).build()});
    CHECK(run_score(fit, *PodBuilder("p").container(0, 0).request("intel.com/foo", 2).info(), x) ==
          Vec{50, 25});
    // A pod that does not request it scores 0 everywhere (the resource is skipped).
    CHECK(run_score(fit, *PodBuilder("q").container(1, 1).info(), x) == Vec{0, 0});
  }
}

TEST_CASE("the Fit and Balanced fast paths equal score_math on random nodes", "[node_plugins]") {
  // The plugins compute the default [cpu, memory] case inline (int64 with a double quotient,
  // and the two-fraction standard deviation); score_math is the reference.
  kubesim::sim::Rng rng(5);
  kp::NodeResourcesFit least(kp::NodeResourcesFitArgs{});
  kp::NodeResourcesFitArgs most_args;
  most_args.type = kp::ScoringStrategyType::kMostAllocated;
  kp::NodeResourcesFit most(most_args);
  kp::NodeResourcesBalancedAllocation ba(kp::NodeResourcesBalancedAllocationArgs{});
  for (int trial = 0; trial < 2000; ++trial) {
    const bool huge = trial % 10 == 0;  // memory beyond 2^53 bytes: the exact fallback
    const std::int64_t cpu = static_cast<std::int64_t>(rng.below(200000));
    const std::int64_t mem =
        huge ? (std::int64_t{1} << 54) + static_cast<std::int64_t>(rng.below(1u << 30))
             : static_cast<std::int64_t>(rng.below(std::uint64_t{1} << 40));
    Snapshot s = snapshot_of({NodeBuilder("n").cpu(cpu).memory(mem).build()});
    const std::int64_t used_cpu = static_cast<std::int64_t>(rng.below(250000));
    const std::int64_t used_mem = static_cast<std::int64_t>(rng.below(std::uint64_t{1} << 41));
    s.find("n")->add_pod(PodBuilder("e").container(used_cpu, used_mem).info());
    const std::int64_t pod_cpu = static_cast<std::int64_t>(rng.below(10000));
    const std::int64_t pod_mem = static_cast<std::int64_t>(rng.below(std::uint64_t{1} << 36));
    auto pod = PodBuilder("p").container(pod_cpu, pod_mem).info();
    const std::int64_t req[2] = {cpu == 0 ? 0 : used_cpu + pod_cpu,
                                 mem == 0 ? 0 : used_mem + pod_mem};
    const std::int64_t alloc[2] = {cpu, mem};
    const std::int64_t w[2] = {1, 1};
    CHECK(run_score(least, *pod, s) == Vec{kp::least_allocated_score(req, alloc, w)});
    CHECK(run_score(most, *pod, s) == Vec{kp::most_allocated_score(req, alloc, w)});
    CHECK(run_score(ba, *pod, s) == Vec{kp::balanced_allocation_score(req, alloc)});
  }
}

TEST_CASE("BalancedAllocation scores as upstream's TestNodeResourcesBalancedAllocation",
          "[node_plugins]") {
  kp::NodeResourcesBalancedAllocation ba(kp::NodeResourcesBalancedAllocationArgs{});
  SECTION("nothing scheduled, resources requested, differently sized nodes") {
    Snapshot s = snapshot_of({NodeBuilder("node1").cpu(4000).memory(10000).build(),
                              NodeBuilder("node2").cpu(6000).memory(10000).build()});
    auto pod = PodBuilder("p").container(1000, 2000).container(2000, 3000).info();
    CHECK(run_score(ba, *pod, s) == Vec{87, 100});
  }
  SECTION("a best-effort pod makes PreScore skip") {
    Snapshot s = snapshot_of({NodeBuilder("node1").cpu(4000).memory(10000).build()});
    CycleState state(1);
    std::vector<const NodeInfo*> nodes(s.nodes().begin(), s.nodes().end());
    CHECK(
        ba.pre_score(state, *PodBuilder("p").container(std::nullopt, std::nullopt).info(), s, nodes)
            .is_skip());
  }
  SECTION("real requests, not the non-zero defaults, and existing pods count") {
    // Hand calculation: node 4000m / 10000; existing pod 1000m / 1000 (real); pod 1000m, no
    // memory request -> fractions 0.5 and 0.1 -> std 0.2 -> 80.
    Snapshot s = snapshot_of({NodeBuilder("n").cpu(4000).memory(10000).build()});
    s.find("n")->add_pod(PodBuilder("e").container(1000, 1000).info());
    CHECK(run_score(ba, *PodBuilder("p").container(1000, std::nullopt).info(), s) == Vec{80});
  }
}

// ---- TaintToleration ---------------------------------------------------------------------

TEST_CASE("TaintToleration's quick filter is exact", "[node_plugins]") {
  // The framework skips building a rejection's status when an exact quick filter
  // (quick_filter_exact) says no, so filter_passes must equal filter().ok() on every node:
  // checked over every combination of up to two taints (three effects, two keys) and zero
  // to two tolerations drawn from a list that tolerates some of them.
  kp::TaintToleration tt;
  REQUIRE(tt.quick_filter_exact());
  const TaintEffect effects[] = {TaintEffect::kNoSchedule, TaintEffect::kPreferNoSchedule,
                                 TaintEffect::kNoExecute};
  const Toleration tolerations[] = {
      toleration("a", TolerationOperator::kEqual, "x", TaintEffect::kNoSchedule),
      toleration("b", TolerationOperator::kExists, "", TaintEffect::kNoExecute),
      toleration("a", TolerationOperator::kEqual, "y", TaintEffect::kNoExecute)};
  int checked = 0, rejected = 0;
  for (int t1 = -1; t1 < 6; ++t1) {
    for (int t2 = -1; t2 < 6; ++t2) {
      NodeBuilder nb("n");
      if (t1 >= 0) nb.taint(t1 < 3 ? "a" : "b", "x", effects[t1 % 3]);
      if (t2 >= 0) nb.taint(t2 < 3 ? "b" : "a", "y", effects[t2 % 3]);
      Snapshot s = snapshot_of({nb.build()});
      for (int mask = 0; mask < 8; ++mask) {
        PodBuilder pb("p");
        for (int i = 0; i < 3; ++i) {
          if (mask >> i & 1) pb.toleration(tolerations[i]);
        }
        auto pod = pb.info();
        CycleState state(1);
        const bool quick = tt.filter_passes(state, *pod, *s.find("n"));
        const bool full = tt.filter(state, *pod, *s.find("n")).ok();
        REQUIRE(quick == full);
        ++checked;
        rejected += full ? 0 : 1;
      }
    }
  }
  CHECK(checked == 7 * 7 * 8);
  CHECK(rejected > 0);  // the cases include rejections and passes
  CHECK(rejected < checked);
}

TEST_CASE("TaintToleration's per-cycle memo answers as filter() on every node", "[node_plugins]") {
  // One snapshot holding every combination of up to two taints twice (so taint sets are
  // shared by several nodes, and the memo is hit), then, per pod, prepare_filter and
  // filter_passes over all nodes against filter().ok().
  kp::TaintToleration tt;
  const TaintEffect effects[] = {TaintEffect::kNoSchedule, TaintEffect::kPreferNoSchedule,
                                 TaintEffect::kNoExecute};
  const Toleration tolerations[] = {
      toleration("a", TolerationOperator::kEqual, "x", TaintEffect::kNoSchedule),
      toleration("b", TolerationOperator::kExists, "", TaintEffect::kNoExecute),
      toleration("a", TolerationOperator::kEqual, "y", TaintEffect::kNoExecute)};
  std::vector<std::shared_ptr<const kubesim::models::Node>> nodes;
  for (int copy = 0; copy < 2; ++copy) {
    for (int t1 = -1; t1 < 6; ++t1) {
      for (int t2 = -1; t2 < 6; ++t2) {
        NodeBuilder nb("n" + std::to_string(copy) + "-" + std::to_string(t1 + 1) +
                       std::to_string(t2 + 1));
        if (t1 >= 0) nb.taint(t1 < 3 ? "a" : "b", "x", effects[t1 % 3]);
        if (t2 >= 0) nb.taint(t2 < 3 ? "b" : "a", "y", effects[t2 % 3]);
        nodes.push_back(nb.build());
      }
    }
  }
  Snapshot s = snapshot_of(nodes);
  // Equal hard taints share a number; a PreferNoSchedule taint does not count.
  CHECK(s.find("n0-11")->hard_taint_set() == s.find("n1-11")->hard_taint_set());
  CHECK(s.find("n0-11")->hard_taint_set() != 0);
  CHECK(s.find("n0-00")->hard_taint_set() == 0);
  CHECK(s.find("n0-20")->hard_taint_set() == 0);  // only a PreferNoSchedule taint
  CHECK(s.find("n0-12")->hard_taint_set() == s.find("n0-10")->hard_taint_set());
  CHECK(s.find("n0-11")->hard_taint_set() != s.find("n0-13")->hard_taint_set());
  int rejected = 0;
  for (int mask = 0; mask < 8; ++mask) {
    PodBuilder pb("p");
    for (int i = 0; i < 3; ++i) {
      if (mask >> i & 1) pb.toleration(tolerations[i]);
    }
    auto pod = pb.info();
    CycleState state(1);
    tt.prepare_filter(state, *pod);
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto* node : s.nodes()) {
        const bool full = tt.filter(state, *pod, *node).ok();
        REQUIRE(tt.filter_passes(state, *pod, *node) == full);
        rejected += full ? 0 : 1;
      }
    }
  }
  CHECK(rejected > 0);
}

TEST_CASE("TaintToleration filter and score follow upstream's tests", "[node_plugins]") {
  kp::TaintToleration tt;
  SECTION("a pod having no tolerations can't be scheduled onto a node with nonempty taints") {
    Snapshot s = snapshot_of(
        {NodeBuilder("n").taint("dedicated", "user1", TaintEffect::kNoSchedule).build()});
    PluginStatus st = run_filter(tt, *PodBuilder("p").info(), s, "n");
    CHECK(st.reason == "node(s) had untolerated taint {dedicated: user1}");
    CHECK(st.code == Code::kUnschedulableAndUnresolvable);
    auto tolerating = PodBuilder("q").toleration(
        toleration("dedicated", TolerationOperator::kEqual, "user1", TaintEffect::kNoSchedule));
    CHECK(run_filter(tt, *tolerating.info(), s, "n").ok());
    // PreferNoSchedule taints never filter.
    Snapshot soft = snapshot_of(
        {NodeBuilder("n").taint("dedicated", "user1", TaintEffect::kPreferNoSchedule).build()});
    CHECK(run_filter(tt, *PodBuilder("p").info(), soft, "n").ok());
  }
  SECTION("node with taints tolerated by the pod gets a higher score") {
    // upstream TestTaintTolerationScore: {nodeA: 100, nodeB: 0}.
    Snapshot s = snapshot_of(
        {NodeBuilder("nodeA").taint("foo", "bar", TaintEffect::kPreferNoSchedule).build(),
         NodeBuilder("nodeB").taint("foo", "blah", TaintEffect::kPreferNoSchedule).build()});
    auto pod = PodBuilder("p").toleration(
        toleration("foo", TolerationOperator::kEqual, "bar", TaintEffect::kPreferNoSchedule));
    CHECK(run_score(tt, *pod.info(), s) == Vec{100, 0});
  }
  SECTION("the more intolerable taints a node has, the lower score it gets") {
    // upstream: {nodeA: 100, nodeB: 50, nodeC: 0}.
    Snapshot s = snapshot_of(
        {NodeBuilder("nodeA").build(),
         NodeBuilder("nodeB").taint("cpu-type", "arm64", TaintEffect::kPreferNoSchedule).build(),
         NodeBuilder("nodeC")
             .taint("cpu-type", "arm64", TaintEffect::kPreferNoSchedule)
             .taint("disk-type", "ssd", TaintEffect::kPreferNoSchedule)
             .build()});
    auto pod = PodBuilder("p").toleration(
        toleration("foo", TolerationOperator::kEqual, "bar", TaintEffect::kPreferNoSchedule));
    CHECK(run_score(tt, *pod.info(), s) == Vec{100, 50, 0});
  }
  SECTION("only PreferNoSchedule taints count") {
    // upstream: "only taints and tolerations that have effect PreferNoSchedule are checked".
    Snapshot s = snapshot_of(
        {NodeBuilder("nodeA").taint("cpu-type", "arm64", TaintEffect::kNoSchedule).build(),
         NodeBuilder("nodeB").taint("cpu-type", "arm64", TaintEffect::kPreferNoSchedule).build()});
    CHECK(run_score(tt, *PodBuilder("p").info(), s) == Vec{100, 0});
  }
}

// ---- NodeAffinity ------------------------------------------------------------------------

TEST_CASE("NodeAffinity filter: nodeSelector and required terms", "[node_plugins]") {
  kp::NodeAffinity na;
  Snapshot s = snapshot_of({NodeBuilder("n1").label("foo", "bar").build(),
                            NodeBuilder("n2").label("foo", "baz").build()});
  SECTION("nodeSelector") {
    auto pod = PodBuilder("p").node_selector("foo", "bar").info();
    CHECK(run_filter(na, *pod, s, "n1").ok());
    PluginStatus st = run_filter(na, *pod, s, "n2");
    CHECK(st.reason == "node(s) didn't match Pod's node affinity/selector");
    CHECK(st.code == Code::kUnschedulableAndUnresolvable);
  }
  SECTION("no constraints: PreFilter skips") {
    CycleState state(1);
    PreFilterResult r;
    CHECK(na.pre_filter(state, *PodBuilder("p").info(), s, r).is_skip());
  }
  SECTION("required terms are ORed, nodeSelector ANDed") {
    NodeAffinity a;
    a.required =
        NodeSelector{{NodeSelectorTerm{{req("foo", NodeSelectorOperator::kIn, {"baz"})}, {}},
                      NodeSelectorTerm{{req("foo", NodeSelectorOperator::kIn, {"qux"})}, {}}}};
    auto pod = PodBuilder("p").node_affinity(a).info();
    CHECK_FALSE(run_filter(na, *pod, s, "n1").ok());
    CHECK(run_filter(na, *pod, s, "n2").ok());
    auto both = PodBuilder("q").node_affinity(a).node_selector("foo", "bar").info();
    CHECK_FALSE(run_filter(na, *both, s, "n2").ok());
  }
  SECTION("metadata.name matchFields restrict PreFilter to the named nodes") {
    // upstream node_affinity_test.go TestNodeAffinity "Pod with matchFields using In
    // operator that matches the existing node" (PreFilterResult {node1}) and "... with
    // conflicting terms" (errReasonConflict).
    NodeAffinity a;
    a.required = NodeSelector{
        {NodeSelectorTerm{{}, {req("metadata.name", NodeSelectorOperator::kIn, {"n1"})}}}};
    CycleState state(1);
    na.set_slot(0);
    PreFilterResult r;
    CHECK(na.pre_filter(state, *PodBuilder("p").node_affinity(a).info(), s, r).ok());
    REQUIRE(r.node_names.has_value());
    CHECK(*r.node_names == std::vector<std::string>{"n1"});
    NodeAffinity conflict;
    conflict.required =
        NodeSelector{{NodeSelectorTerm{{},
                                       {req("metadata.name", NodeSelectorOperator::kIn, {"n1"}),
                                        req("metadata.name", NodeSelectorOperator::kIn, {"n2"})}}}};
    CycleState state2(1);
    PreFilterResult r2;
    PluginStatus st = na.pre_filter(state2, *PodBuilder("q").node_affinity(conflict).info(), s, r2);
    CHECK(st.reason == "pod affinity terms conflict");
    CHECK(st.code == Code::kUnschedulableAndUnresolvable);
    // A term without a name restriction lifts it.
    NodeAffinity open = a;
    open.required->node_selector_terms.push_back(
        NodeSelectorTerm{{req("foo", NodeSelectorOperator::kExists, {})}, {}});
    CycleState state3(1);
    PreFilterResult r3;
    CHECK(na.pre_filter(state3, *PodBuilder("r").node_affinity(open).info(), s, r3).ok());
    CHECK_FALSE(r3.node_names.has_value());
  }
}

TEST_CASE("NodeAffinity score reproduces upstream's TestNodeAffinityPriority", "[node_plugins]") {
  kp::NodeAffinity na;
  auto term = [](std::vector<NodeSelectorRequirement> r) {
    return NodeSelectorTerm{std::move(r), {}};
  };
  using Op = NodeSelectorOperator;
  Snapshot s = snapshot_of(
      {NodeBuilder("node1").label("foo", "bar").build(),
       NodeBuilder("node5").label("foo", "bar").label("key", "value").label("az", "az1").build(),
       NodeBuilder("node2").label("key", "value").build()});
  SECTION("all nodes are same priority as NodeAffinity is nil") {
    CHECK(run_score(na, *PodBuilder("p").info(), s) == Vec{0, 0, 0});
  }
  SECTION("only node1 matches the preferred scheduling requirements of pod") {
    NodeAffinity a;
    a.preferred = {PreferredSchedulingTerm{2, term({req("foo", Op::kIn, {"bar"})})}};
    Snapshot t = snapshot_of({NodeBuilder("node1").label("foo", "bar").build(),
                              NodeBuilder("node2").label("key", "value").build(),
                              NodeBuilder("node3").label("az", "az1").build()});
    CHECK(run_score(na, *PodBuilder("p").node_affinity(a).info(), t) == Vec{100, 0, 0});
  }
  SECTION("all nodes match some of the preferred terms") {
    // upstream: {node1: 18, node5: 100, node2: 36}.
    NodeAffinity a;
    a.preferred = {PreferredSchedulingTerm{2, term({req("foo", Op::kIn, {"bar"})})},
                   PreferredSchedulingTerm{4, term({req("key", Op::kIn, {"value"})})},
                   PreferredSchedulingTerm{
                       5, term({req("foo", Op::kIn, {"bar"}), req("key", Op::kIn, {"value"}),
                                req("az", Op::kIn, {"az1"})})}};
    CHECK(run_score(na, *PodBuilder("p").node_affinity(a).info(), s) == Vec{18, 100, 36});
  }
}

// ---- NodeName, NodeUnschedulable, NodePorts ---------------------------------------------

TEST_CASE("NodeName and NodeUnschedulable filters", "[node_plugins]") {
  Snapshot s =
      snapshot_of({NodeBuilder("foo").build(), NodeBuilder("bar").unschedulable().build()});
  kp::NodeName nn;
  // upstream node_name_test.go: "no host specified", "host matches", "host doesn't match".
  CHECK(run_filter(nn, *PodBuilder("p").info(), s, "foo").ok());
  CHECK(run_filter(nn, *PodBuilder("p").node_name("foo").info(), s, "foo").ok());
  PluginStatus st = run_filter(nn, *PodBuilder("p").node_name("bar").info(), s, "foo");
  CHECK(st.reason == "node(s) didn't match the requested node name");
  CHECK(st.code == Code::kUnschedulableAndUnresolvable);

  kp::NodeUnschedulable nu;
  // upstream node_unschedulable_test.go: an unschedulable node rejects a pod unless it
  // tolerates node.kubernetes.io/unschedulable:NoSchedule.
  CHECK(run_filter(nu, *PodBuilder("p").info(), s, "foo").ok());
  st = run_filter(nu, *PodBuilder("p").info(), s, "bar");
  CHECK(st.reason == "node(s) were unschedulable");
  CHECK(st.code == Code::kUnschedulableAndUnresolvable);
  auto tolerating = PodBuilder("t").toleration(toleration("node.kubernetes.io/unschedulable",
                                                          TolerationOperator::kExists, "",
                                                          TaintEffect::kNoSchedule));
  CHECK(run_filter(nu, *tolerating.info(), s, "bar").ok());
}

TEST_CASE("NodePorts filter follows upstream's TestNodePorts", "[node_plugins]") {
  kp::NodePorts np;
  auto node_with = [](PodBuilder existing) {
    Snapshot s = snapshot_of({NodeBuilder("n").build()});
    s.find("n")->add_pod(existing.info());
    return s;
  };
  SECTION("nothing running / no ports wanted: PreFilter skips") {
    Snapshot s = node_with(PodBuilder("e").host_port(8080));
    CycleState state(1);
    PreFilterResult r;
    CHECK(np.pre_filter(state, *PodBuilder("p").info(), s, r).is_skip());
  }
  SECTION("other port") {
    CHECK(run_filter(np, *PodBuilder("p").host_port(8080, "UDP", "127.0.0.1").info(),
                     node_with(PodBuilder("e").host_port(9090, "UDP", "127.0.0.1")), "n")
              .ok());
  }
  SECTION("same udp port") {
    PluginStatus st =
        run_filter(np, *PodBuilder("p").host_port(8080, "UDP", "127.0.0.1").info(),
                   node_with(PodBuilder("e").host_port(8080, "UDP", "127.0.0.1")), "n");
    CHECK(st.reason == "node(s) didn't have free ports for the requested pod ports");
    CHECK(st.code == Code::kUnschedulable);
  }
  SECTION("second ip, same port") {
    CHECK(run_filter(np, *PodBuilder("p").host_port(8080, "UDP", "127.0.0.2").info(),
                     node_with(PodBuilder("e").host_port(8080, "UDP", "127.0.0.1")), "n")
              .ok());
  }
  SECTION("UDP and TCP on the same port") {
    CHECK(run_filter(np, *PodBuilder("p").host_port(8001, "UDP", "127.0.0.1").info(),
                     node_with(PodBuilder("e").host_port(8001, "TCP", "127.0.0.1")), "n")
              .ok());
  }
  SECTION("0.0.0.0 conflicts with a specific IP on the same port") {
    CHECK_FALSE(run_filter(np, *PodBuilder("p").host_port(8001, "TCP", "0.0.0.0").info(),
                           node_with(PodBuilder("e").host_port(8001, "TCP", "127.0.0.1")), "n")
                    .ok());
  }
}

// ---- ImageLocality -----------------------------------------------------------------------

TEST_CASE("ImageLocality scores as upstream's TestImageLocalityPriority", "[node_plugins]") {
  kp::ImageLocality il;
  CHECK(kp::normalized_image_name("gcr.io/40") == "gcr.io/40:latest");
  CHECK(kp::normalized_image_name("gcr.io:5000/x") == "gcr.io:5000/x:latest");
  CHECK(kp::normalized_image_name("gcr.io/x:v1") == "gcr.io/x:v1");
  auto nodes = [] {
    return snapshot_of({NodeBuilder("node403002000")
                            .image({"gcr.io/40:latest", "gcr.io/40:v1"}, 40 * kMi)
                            .image({"gcr.io/300:latest", "gcr.io/300:v1"}, 300 * kMi)
                            .image({"gcr.io/2000:latest"}, 2000 * kMi)
                            .build(),
                        NodeBuilder("node25010")
                            .image({"gcr.io/250:latest"}, 250 * kMi)
                            .image({"gcr.io/10:latest", "gcr.io/10:v1"}, 10 * kMi)
                            .build()});
  };
  SECTION("two images spread on two nodes, prefer the larger image one") {
    // upstream: node403002000 100 × (40/2 + 300/2 − 23) MiB / (2000 − 23) MiB = 7;
    // node25010 0.
    auto pod = PodBuilder("p").container(0, 0, "gcr.io/40").container(0, 0, "gcr.io/300").info();
    CHECK(run_score(il, *pod, nodes()) == Vec{7, 0});
  }
  SECTION("two images on one node, prefer this node") {
    // upstream: node403002000 100 × (2000/2 − 23) / (2000 − 23) = 49 (one container 2000 MiB
    // on 1 of 2 nodes: 1000 MiB, max threshold 2 containers × 1000 MiB);
    // node25010: 100 × (10/2 − 23) -> clamped to 0.
    auto pod = PodBuilder("p").container(0, 0, "gcr.io/2000").container(0, 0, "gcr.io/10").info();
    CHECK(run_score(il, *pod, nodes()) == Vec{49, 0});
  }
}

// ---- GpuTopology -------------------------------------------------------------------------

TEST_CASE("GpuTopology filters by free devices, prefers well-connected sets, reserves them",
          "[node_plugins]") {
  static const auto nvswitch = kubesim::models::GpuTopology::nvswitch(8);
  static const auto pcie = kubesim::models::GpuTopology::pcie(8, 4);
  kp::PluginContext ctx;
  ctx.gpu_topology = [](const kubesim::models::Node& n) -> const kubesim::models::GpuTopology* {
    if (n.metadata.name == "dgx") return &nvswitch;
    if (n.metadata.name == "pcie") return &pcie;
    return nullptr;
  };
  kp::GpuTopologyPlugin gt(ctx);
  Snapshot s = snapshot_of({NodeBuilder("dgx").gpus(8).build(), NodeBuilder("pcie").gpus(8).build(),
                            NodeBuilder("plain").gpus(8).build()});
  auto pod4 = PodBuilder("p").request("nvidia.com/gpu", 4).info();
  SECTION("score: set score of the best free 4-set, normalized to the best node") {
    // Hand calculation: NVSwitch NV12 pairs 1200 × 6 pairs = 7200; PCIe, one socket (PHB 30)
    // × 6 = 180 -> 180 × 100 / 7200 = 2; no topology: PHB everywhere, also 180 -> 2.
    CHECK(run_score(gt, *pod4, s) == Vec{100, 2, 2});
  }
  SECTION("filter: fewer free devices than requested") {
    s.find("dgx")->add_pod(
        PodBuilder("e").request("nvidia.com/gpu", 5).gpu_ids({0, 1, 2, 3, 4}).info());
    PluginStatus st = gt.filter(CycleState(1), *pod4, *s.find("dgx"));
    CHECK(st.reason == "node(s) didn't have enough free GPU devices");
    CHECK(gt.filter(CycleState(1), *pod4, *s.find("pcie")).ok());
    // One GPU: the plugin does not filter.
    CHECK(gt.filter(CycleState(1), *PodBuilder("q").request("nvidia.com/gpu", 1).info(),
                    *s.find("dgx"))
              .ok());
  }
  SECTION("reserve: the best set, avoiding devices in use") {
    // PCIe 4+4: with devices 0 and 1 taken, the best free 2-set stays on one socket: {2, 3}.
    s.find("pcie")->add_pod(PodBuilder("e").request("nvidia.com/gpu", 2).gpu_ids({0, 1}).info());
    CycleState state(1);
    auto pod2 = PodBuilder("q").request("nvidia.com/gpu", 2).info();
    CHECK(gt.reserve(state, *pod2, *s.find("pcie")).ok());
    CHECK(state.gpu_device_ids == std::vector<std::int32_t>{2, 3});
    gt.unreserve(state, *pod2, *s.find("pcie"));
    CHECK(state.gpu_device_ids.empty());
  }
}

TEST_CASE("No-op plugins skip PreFilter and PreScore", "[node_plugins]") {
  kp::NoOpPlugin vb("VolumeBinding");
  Snapshot s = snapshot_of({NodeBuilder("n").build()});
  CycleState state(1);
  PreFilterResult r;
  CHECK(vb.pre_filter(state, *PodBuilder("p").info(), s, r).is_skip());
  CHECK(vb.pre_score(state, *PodBuilder("p").info(), s, {}).is_skip());
  CHECK(vb.filter(state, *PodBuilder("p").info(), *s.find("n")).ok());
}
