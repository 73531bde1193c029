// Tests for policies/registry: the name -> factory registry, build_framework from a
// SchedulerProfile, and the default profile scheduling a small cluster end to end (expected
// node and scores by hand from upstream's formulas), plus the contract every Score plugin
// keeps: normalized scores in [0, 100], the same answer for the same input.
#include "policies/registry.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "models/gpu_topology.hpp"
#include "policies/node_plugins.hpp"
#include "policies/score_math.hpp"
#include "sim/random.hpp"
#include "tests/support/scheduler_fixtures.hpp"

namespace {

namespace kp = kubesim::policies;
using namespace kubesim::models::sched;
using kubesim::models::TaintEffect;
using kubesim::sim::Rng;
using kubesim::testing::kGi;
using kubesim::testing::kMi;
using kubesim::testing::NodeBuilder;
using kubesim::testing::PodBuilder;
using EP = kp::ExtensionPoint;

// The default profile as scenarios::default_scheduler_config() expands it (the MultiPoint
// defaults from the plugin table, default weights, defaulted args) — built here from the
// same table, since tests-policies does not link the YAML reader.
kp::SchedulerProfile default_profile() {
  kp::SchedulerProfile p;
  for (const auto& info : kp::plugin_table()) {
    if (!info.in_default_profile) continue;
    for (std::size_t i = 0; i < kp::kExtensionPointCount; ++i) {
      if (info.implements(static_cast<EP>(i))) p.plugins[i].emplace_back(info.name);
    }
    if (info.implements(EP::kScore)) {
      p.score_weights[std::string(info.name)] = info.default_weight ? info.default_weight : 1;
    }
  }
  return p;
}

// The built-ins, plus no-op stand-ins for the pod-relation plugins when their engineer's
// registrations are not there yet. For the pods used here (no owner, no pod affinity, no
// spread constraints) upstream's PodTopologySpread and InterPodAffinity skip too.
kp::Registry registry_with_builtins() {
  kp::Registry r;
  kp::register_builtins(r);
  for (const char* name :
       {"PodTopologySpread", "InterPodAffinity", "DefaultPreemption", "Coscheduling"}) {
    if (r.find(name) != nullptr) continue;
    (void)r.add(name, [name](const kp::SchedulerProfile&, const kp::PluginContext&) {
      return kubesim::sim::Result<std::unique_ptr<Plugin>>(
          std::unique_ptr<Plugin>(new kp::NoOpPlugin(name)));
    });
  }
  return r;
}

void remove_from(kp::SchedulerProfile& p, EP point, std::string_view name) {
  auto& v = p.plugins[static_cast<std::size_t>(point)];
  v.erase(std::remove(v.begin(), v.end(), name), v.end());
}

std::unique_ptr<Framework> build(const kp::SchedulerProfile& profile,
                                 const kp::PluginContext& ctx = {}, std::int64_t percentage = 0) {
  kp::Registry r = registry_with_builtins();
  kp::SchedulerConfig config;
  config.percentage_of_nodes_to_score = percentage;
  auto fw = kp::build_framework(r, config, profile, ctx);
  REQUIRE(fw.ok());
  return std::move(fw).value();
}

}  // namespace

TEST_CASE("Registry refuses duplicate names and lists names sorted", "[registry]") {
  kp::Registry r;
  kp::register_node_plugins(r);
  auto status = r.add("NodeName", [](const kp::SchedulerProfile&, const kp::PluginContext&) {
    return kubesim::sim::Result<std::unique_ptr<Plugin>>(
        std::unique_ptr<Plugin>(new kp::NodeName()));
  });
  CHECK(status.code() == kubesim::sim::Status::Code::kAlreadyExists);
  auto names = r.names();
  CHECK(std::is_sorted(names.begin(), names.end()));
  for (const char* n :
       {"NodeResourcesFit", "NodeResourcesBalancedAllocation", "TaintToleration", "NodeAffinity",
        "NodeName", "NodeUnschedulable", "NodePorts", "ImageLocality", "GpuTopology",
        "PrioritySort", "DefaultBinder", "SchedulingGates", "VolumeBinding", "VolumeRestrictions",
        "VolumeZone", "NodeVolumeLimits", "DynamicResources"}) {
    CHECK(r.find(n) != nullptr);
  }
}

TEST_CASE("build_framework names a plugin that is not registered", "[registry]") {
  kp::Registry r;
  kp::register_node_plugins(r);
  kp::SchedulerProfile p;
  p.scheduler_name = "gpu-scheduler";
  p.plugins[static_cast<std::size_t>(EP::kFilter)] = {"NodeName", "Frobnicate"};
  auto fw = kp::build_framework(r, kp::SchedulerConfig{}, p, {});
  REQUIRE_FALSE(fw.ok());
  CHECK(fw.error() ==
        "plugin \"Frobnicate\" enabled at filter in profile \"gpu-scheduler\" is not registered");
}

TEST_CASE("build_framework wires points, weights and percentageOfNodesToScore", "[registry]") {
  kp::SchedulerProfile p = default_profile();
  auto fw = build(p, {}, 30);
  CHECK(fw->percentage_of_nodes_to_score() == 30);
  std::vector<std::pair<std::string, std::int64_t>> score;
  for (const auto& ref : fw->score_plugins()) score.emplace_back(ref.plugin->name(), ref.weight);
  CHECK(score ==
        std::vector<std::pair<std::string, std::int64_t>>{{"TaintToleration", 3},
                                                          {"NodeAffinity", 2},
                                                          {"NodeResourcesFit", 1},
                                                          {"VolumeBinding", 1},
                                                          {"PodTopologySpread", 2},
                                                          {"InterPodAffinity", 2},
                                                          {"NodeResourcesBalancedAllocation", 1},
                                                          {"ImageLocality", 1}});
  p.percentage_of_nodes_to_score = 70;
  CHECK(build(p, {}, 30)->percentage_of_nodes_to_score() == 70);
  CHECK(fw->find_plugin("NodeResourcesFit") != nullptr);
  CHECK(fw->find_plugin("GpuTopology") == nullptr);
}

TEST_CASE("the default profile picks the node upstream would", "[registry]") {
  // Hand calculation with v1.34's default weights (TaintToleration 3, Fit 1, Balanced 1,
  // ImageLocality 1; NodeAffinity, VolumeBinding, PodTopologySpread and InterPodAffinity skip
  // for this pod). Pod: 1000m, 1 GiB.
  //   n1 4000m/8Gi, empty:           taint 100, fit (75+87)/2 = 81, balanced
  //                                  1-|0.25-0.125|/2 = 93.75 -> 93; total 3·100+81+93 = 474
  //   n2 4000m/8Gi, 2000m/2Gi used:  taint 100, fit (25+62)/2 = 43, balanced 81; total 424
  //   n3 8000m/16Gi, PreferNoSchedule taint spot=true:
  //                                  taint 0, fit (87+93)/2 = 90, balanced 96; total 186
  // Without the taint n3 would win with 486.
  Snapshot snap;
  snap.upsert_node(NodeBuilder("n1").cpu(4000).memory(8 * kGi).build());
  snap.upsert_node(NodeBuilder("n2").cpu(4000).memory(8 * kGi).build());
  snap.upsert_node(NodeBuilder("n3")
                       .cpu(8000)
                       .memory(16 * kGi)
                       .taint("spot", "true", TaintEffect::kPreferNoSchedule)
                       .build());
  snap.find("n2")->add_pod(PodBuilder("e").container(2000, 2 * kGi).info());
  auto fw = build(default_profile());
  Rng rng(7);
  CycleDiagnosis diag;
  CycleState state = fw->new_cycle_state();
  ScheduleResult r =
      fw->schedule(state, *PodBuilder("p").container(1000, 1 * kGi).info(), snap, rng, &diag);
  REQUIRE(r.node != nullptr);
  CHECK(r.node->name() == "n1");
  REQUIRE(diag.scores.size() == 3);
  std::map<std::string, std::int64_t> totals;
  for (const auto& d : diag.scores) totals[d.node->name()] = d.total;
  CHECK(totals == std::map<std::string, std::int64_t>{{"n1", 474}, {"n2", 424}, {"n3", 186}});
  CHECK(r.feasible_nodes == 3);
}

TEST_CASE("the default profile's FitError names every reason", "[registry]") {
  // upstream format (types.go FitError.Error()), with the PostFilter message of
  // DynamicResources for a pod without claims; DefaultPreemption left out here so the text
  // does not depend on the preemption plugin.
  Snapshot snap;
  snap.upsert_node(NodeBuilder("small").cpu(500).memory(8 * kGi).build());
  snap.upsert_node(NodeBuilder("tainted")
                       .cpu(4000)
                       .memory(8 * kGi)
                       .taint("gpu", "true", TaintEffect::kNoSchedule)
                       .build());
  snap.upsert_node(NodeBuilder("cordoned").cpu(4000).memory(8 * kGi).unschedulable().build());
  snap.upsert_node(NodeBuilder("full").cpu(4000).memory(8 * kGi).pods(1).build());
  snap.find("full")->add_pod(PodBuilder("e").container(100, 100).info());
  kp::SchedulerProfile p = default_profile();
  remove_from(p, EP::kPostFilter, "DefaultPreemption");
  auto fw = build(p);
  Rng rng(1);
  CycleState state = fw->new_cycle_state();
  ScheduleResult r =
      fw->schedule(state, *PodBuilder("p").container(1000, 1 * kGi).info(), snap, rng);
  CHECK(r.node == nullptr);
  CHECK(r.fit_error ==
        "0/4 nodes are available: 1 Insufficient cpu, 1 Too many pods, 1 node(s) had untolerated "
        "taint {gpu: true}, 1 node(s) were unschedulable. no new claims to deallocate.");
}

TEST_CASE("the framework's sampling agrees with score_math", "[registry]") {
  // The framework (models/) carries its own copy of numFeasibleNodesToFind and selectHost;
  // both must give the same answers as policies/score_math.
  for (std::int32_t n : {1, 99, 100, 101, 250, 1000, 5000, 6000, 20000}) {
    for (std::int32_t pct : {0, 5, 20, 100}) {
      Snapshot snap;
      for (std::int32_t i = 0; i < n; ++i) {
        snap.upsert_node(NodeBuilder("n" + std::to_string(i)).cpu(1000).memory(kGi).build());
      }
      kp::SchedulerProfile p;
      p.plugins[static_cast<std::size_t>(EP::kFilter)] = {"NodeName"};
      p.percentage_of_nodes_to_score = pct;
      auto fw = build(p);
      Rng rng(1);
      CycleState state = fw->new_cycle_state();
      ScheduleResult r = fw->schedule(state, *PodBuilder("p").info(), snap, rng);
      if (n == 1) {
        CHECK(r.feasible_nodes == 1);
      } else {
        CHECK(r.feasible_nodes == kp::num_feasible_nodes_to_find(n, pct));
      }
      if (n > 1000) break;  // one percentage is enough for the big clusters
    }
  }
  // Ties: the same node as score_math's select_host for the same seed.
  Snapshot snap;
  for (int i = 0; i < 6; ++i) snap.upsert_node(NodeBuilder("n" + std::to_string(i)).build());
  kp::SchedulerProfile p;
  p.plugins[static_cast<std::size_t>(EP::kScore)] = {"ImageLocality"};
  auto fw = build(p);
  for (std::uint64_t seed = 1; seed < 30; ++seed) {
    Rng a(seed), b(seed);
    CycleState state = fw->new_cycle_state();
    ScheduleResult r = fw->schedule(state, *PodBuilder("p").info(), snap, a);
    const std::vector<std::int64_t> zeros(6, 0);
    CHECK(static_cast<std::size_t>(r.node->index()) == *kp::select_host(zeros, b));
  }
}

TEST_CASE("GpuTopology, enabled in a profile, picks the NVSwitch node and reserves devices",
          "[registry]") {
  static const auto nvswitch = kubesim::models::GpuTopology::nvswitch(8);
  static const auto pcie = kubesim::models::GpuTopology::pcie(8, 4);
  kp::PluginContext ctx;
  ctx.gpu_topology = [](const kubesim::models::Node& n) -> const kubesim::models::GpuTopology* {
    return n.metadata.name == "dgx" ? &nvswitch : &pcie;
  };
  kp::SchedulerProfile p = default_profile();
  p.plugins[static_cast<std::size_t>(EP::kFilter)].push_back("GpuTopology");
  p.plugins[static_cast<std::size_t>(EP::kScore)].push_back("GpuTopology");
  p.plugins[static_cast<std::size_t>(EP::kReserve)].push_back("GpuTopology");
  p.score_weights["GpuTopology"] = 5;
  auto fw = build(p, ctx);
  Snapshot snap;
  // The PCIe node is emptier (scores higher on Fit/Balanced), the DGX has 4 GPUs in use.
  snap.upsert_node(NodeBuilder("pcie").cpu(64000).memory(512 * kGi).gpus(8).build());
  snap.upsert_node(NodeBuilder("dgx").cpu(64000).memory(512 * kGi).gpus(8).build());
  snap.find("dgx")->add_pod(PodBuilder("e")
                                .container(8000, 64 * kGi)
                                .request("nvidia.com/gpu", 4)
                                .gpu_ids({0, 1, 2, 3})
                                .info());
  auto pod = PodBuilder("p").container(8000, 64 * kGi).request("nvidia.com/gpu", 4).info();
  Rng rng(1);
  CycleState state = fw->new_cycle_state();
  ScheduleResult r = fw->schedule(state, *pod, snap, rng);
  REQUIRE(r.node != nullptr);
  CHECK(r.node->name() == "dgx");
  CHECK(fw->run_reserve(state, *pod, *r.node).ok());
  CHECK(state.gpu_device_ids == std::vector<std::int32_t>{4, 5, 6, 7});
}

TEST_CASE("every score plugin's normalized score is in [0, 100] and deterministic", "[registry]") {
  // Contract test over random clusters and pods: the framework rejects an out-of-range
  // normalized score with an error, so a successful cycle proves the range; running the same
  // cycle twice must give the same scores and node.
  static const auto topo = kubesim::models::GpuTopology::nvlink_hybrid_cube_mesh_8();
  kp::PluginContext ctx;
  ctx.gpu_topology = [](const kubesim::models::Node&) { return &topo; };
  kp::SchedulerProfile p = default_profile();
  p.plugins[static_cast<std::size_t>(EP::kFilter)].push_back("GpuTopology");
  p.plugins[static_cast<std::size_t>(EP::kScore)].push_back("GpuTopology");
  p.score_weights["GpuTopology"] = 1;
  Rng gen(2024);
  for (int trial = 0; trial < 30; ++trial) {
    Snapshot snap;
    const int n = 2 + static_cast<int>(gen.below(30));
    for (int i = 0; i < n; ++i) {
      NodeBuilder b("n" + std::to_string(i));
      b.cpu(1000 * (1 + static_cast<std::int64_t>(gen.below(64))))
          .memory(kGi * (1 + static_cast<std::int64_t>(gen.below(256))))
          .gpus(gen.below(2) ? 8 : 0)
          .label("tier", gen.below(2) ? "a" : "b");
      if (gen.below(3) == 0) b.taint("soft", "x", TaintEffect::kPreferNoSchedule);
      if (gen.below(3) == 0) b.image({"app:v1"}, 300 * kMi);
      NodeInfo& info = snap.upsert_node(b.build());
      const int pods = static_cast<int>(gen.below(4));
      for (int k = 0; k < pods; ++k) {
        info.add_pod(PodBuilder("e" + std::to_string(i) + "-" + std::to_string(k))
                         .container(static_cast<std::int64_t>(gen.below(2000)),
                                    static_cast<std::int64_t>(gen.below(4)) * kGi)
                         .info());
      }
    }
    PodBuilder pb("p");
    pb.container(
        gen.below(2) ? std::optional<std::int64_t>(100 * (1 + gen.below(20))) : std::nullopt,
        gen.below(2) ? std::optional<std::int64_t>(kMi * (1 + gen.below(2048))) : std::nullopt,
        "app:v1");
    if (gen.below(2)) pb.request("nvidia.com/gpu", 1 + static_cast<std::int64_t>(gen.below(4)));
    if (gen.below(2)) {
      kubesim::models::NodeAffinity a;
      a.preferred = {kubesim::models::PreferredSchedulingTerm{
          7, kubesim::models::NodeSelectorTerm{
                 {kubesim::models::NodeSelectorRequirement{
                     "tier", kubesim::models::NodeSelectorOperator::kIn, {"a"}}},
                 {}}}};
      pb.node_affinity(a);
    }
    auto pod = pb.info();
    auto run = [&](CycleDiagnosis& diag) {
      auto fw = build(p, ctx);
      Rng rng(99);
      CycleState state = fw->new_cycle_state();
      return fw->schedule(state, *pod, snap, rng, &diag);
    };
    CycleDiagnosis d1, d2;
    ScheduleResult r1 = run(d1);
    ScheduleResult r2 = run(d2);
    CHECK(r1.status.code != Code::kError);
    CHECK(r1.node == r2.node);
    REQUIRE(d1.scores.size() == d2.scores.size());
    for (std::size_t i = 0; i < d1.scores.size(); ++i) {
      CHECK(d1.scores[i].normalized == d2.scores[i].normalized);
      for (std::int64_t s : d1.scores[i].normalized) {
        CHECK(s >= 0);
        CHECK(s <= 100);
      }
    }
  }
}
