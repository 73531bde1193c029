// Tests for GPU sharing in the scheduler's view of a node (models/scheduler_framework.hpp
// NodeInfo::gpu_used_milli, default_gpu_devices; models/objects.hpp Pod::gpu_demand) and the
// rank-based tie-break (Framework::Options::tie_break_by_node_rank).
//
// Expected values are worked out by hand from the rules the FGD paper's simulator uses
// (reference/fgd-simulator.md, "GPU sharing"): a share pod takes gpu-milli on one device,
// the "best" device is the one with the least free milli that fits (lowest index on ties),
// whole-GPU pods take the lowest-index free devices; ties between nodes go to the lowest
// rank.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "models/scheduler_framework.hpp"
#include "tests/support/scheduler_fixtures.hpp"

namespace {

using namespace kubesim::models::sched;
using kubesim::models::GpuDemandOfPod;
using kubesim::models::parse_gpu_annotation;
using kubesim::testing::kGi;
using kubesim::testing::NodeBuilder;
using kubesim::testing::PodBuilder;

TEST_CASE("Pod::gpu_demand reads the sharing annotations, else whole nvidia.com/gpu devices",
          "[gpu-share]") {
  GpuDemandOfPod share = PodBuilder("s").gpu_milli(460).pod().gpu_demand();
  CHECK(share.devices == 1);
  CHECK(share.milli == 460);
  CHECK(share.shared());

  GpuDemandOfPod multi = PodBuilder("m").gpu_milli(1000, 4).pod().gpu_demand();
  CHECK(multi.devices == 4);
  CHECK(multi.milli == 1000);
  CHECK_FALSE(multi.shared());

  GpuDemandOfPod whole = PodBuilder("w").request("nvidia.com/gpu", 2).pod().gpu_demand();
  CHECK(whole.devices == 2);
  CHECK(whole.milli == 1000);

  GpuDemandOfPod none = PodBuilder("n").container(100, 100).pod().gpu_demand();
  CHECK(none.devices == 0);
  CHECK(none.milli == 0);
}

TEST_CASE("parse_gpu_annotation accepts plain decimal integers in range only", "[gpu-share]") {
  CHECK(parse_gpu_annotation("460", 1, 1000) == 460);
  CHECK(parse_gpu_annotation("1000", 1, 1000) == 1000);
  CHECK_FALSE(parse_gpu_annotation("1001", 1, 1000));
  CHECK_FALSE(parse_gpu_annotation("0", 1, 1000));
  CHECK_FALSE(parse_gpu_annotation("-5", 1, 1000));
  CHECK_FALSE(parse_gpu_annotation("0.5", 1, 1000));
  CHECK_FALSE(parse_gpu_annotation("", 1, 1000));
  CHECK_FALSE(parse_gpu_annotation("99999999999999", 1, 1000));
}

TEST_CASE("NodeInfo accounts shared GPUs per device in milli", "[gpu-share]") {
  NodeInfo node;
  node.set_node(NodeBuilder("n").cpu(64000).memory(256 * kGi).gpus(4).build());
  REQUIRE(node.gpu_devices() == 4);
  CHECK(node.gpu_free_milli_total() == 4000);

  // 460 on all-free devices: every device ties at 1000 free -> device 0.
  auto a = PodBuilder("a").gpu_milli(460).info();
  CHECK(node.default_gpu_devices(a->gpu) == std::vector<std::int32_t>{0});
  node.add_pod(a);
  // 600 does not fit device 0 (540 free) -> the first of devices 1..3 (1000 free each).
  auto b = PodBuilder("b").gpu_milli(600).info();
  CHECK(node.default_gpu_devices(b->gpu) == std::vector<std::int32_t>{1});
  node.add_pod(b);
  // 500: device 0 has 540 free, device 1 400, devices 2-3 1000: least free that fits = 0.
  auto c = PodBuilder("c").gpu_milli(500).info();
  CHECK(node.default_gpu_devices(c->gpu) == std::vector<std::int32_t>{0});
  node.add_pod(c);
  CHECK(node.gpu_free_milli(0) == 40);   // 1000 - 460 - 500
  CHECK(node.gpu_free_milli(1) == 400);  // 1000 - 600
  CHECK(node.gpu_free_milli_total() == 4000 - 460 - 600 - 500);
  CHECK(node.gpus_in_use() == 0b0011u);
  CHECK(node.gpu_free_devices() == 2);

  // A 2-GPU whole pod takes the lowest free devices, 2 and 3; a third does not fit.
  auto w = PodBuilder("w").request("nvidia.com/gpu", 2).info();
  CHECK(node.default_gpu_devices(w->gpu) == std::vector<std::int32_t>{2, 3});
  node.add_pod(w);
  CHECK(node.gpus_in_use() == 0b1111u);
  CHECK(node.gpu_free_devices() == 0);
  CHECK(node.default_gpu_devices(PodBuilder("x").request("nvidia.com/gpu", 1).info()->gpu)
            .empty());
  // Free milli now: device 0 40, device 1 400, devices 2-3 0: 450 fits nowhere, 400 on 1.
  CHECK(node.default_gpu_devices(PodBuilder("y").gpu_milli(450).info()->gpu).empty());
  CHECK(node.default_gpu_devices(PodBuilder("z").gpu_milli(400).info()->gpu) ==
        std::vector<std::int32_t>{1});

  // Removing b frees device 1 entirely; removing c returns its 500 to device 0.
  REQUIRE(node.remove_pod(b->key()));
  CHECK(node.gpu_free_milli(1) == 1000);
  CHECK(node.gpus_in_use() == 0b1101u);
  REQUIRE(node.remove_pod(c->key()));
  CHECK(node.gpu_free_milli(0) == 540);
  CHECK(node.gpu_free_milli_total() == 4000 - 460 - 2000);
}

TEST_CASE("NodeInfo honours the device ids a pod was bound with", "[gpu-share]") {
  NodeInfo node;
  node.set_node(NodeBuilder("n").cpu(8000).memory(32 * kGi).gpus(2).build());
  node.add_pod(PodBuilder("a").gpu_milli(300).gpu_ids({1}).info());
  node.add_pod(PodBuilder("b").gpu_milli(300).gpu_ids({1}).info());
  CHECK(node.gpu_free_milli(0) == 1000);
  CHECK(node.gpu_free_milli(1) == 400);
  // An id beyond the node's devices is ignored and the default device chosen instead.
  node.add_pod(PodBuilder("c").gpu_milli(500).gpu_ids({7}).info());
  CHECK(node.gpu_free_milli(1) == 400);  // 500 does not fit 400: device 0 (1000 free)
  CHECK(node.gpu_free_milli(0) == 500);
}

// Framework with one score plugin giving every node the same score.
class FlatScore : public Plugin {
 public:
  std::string_view name() const override { return "Flat"; }
  std::int64_t score(const CycleState&, const PodInfo&, const NodeInfo&) override { return 7; }
};

TEST_CASE("tie_break_by_node_rank gives ties to the lowest rank", "[gpu-share][framework]") {
  Snapshot snap;
  for (int i = 0; i < 5; ++i) {
    snap.upsert_node(NodeBuilder("n" + std::to_string(i)).cpu(4000).memory(8 * kGi).build());
  }
  // Ranks set before and after a node is added both apply.
  snap.set_tie_break_ranks({{"n0", 40}, {"n1", 10}, {"n2", 30}, {"n3", 3}, {"n5", 1}});
  auto make = [] {
    std::vector<std::unique_ptr<Plugin>> owned;
    owned.push_back(std::make_unique<FlatScore>());
    Plugin* p = owned.front().get();
    Framework::Options o;
    o.tie_break_by_node_rank = true;
    return std::make_unique<Framework>("default-scheduler", std::move(owned),
                                       std::vector<PluginRef>{}, std::vector<PluginRef>{},
                                       std::vector<PluginRef>{}, std::vector<PluginRef>{},
                                       std::vector<PluginRef>{PluginRef{p, 1}},
                                       std::vector<PluginRef>{}, std::vector<PluginRef>{}, o);
  };
  auto fw = make();
  const auto pod = PodBuilder("p").container(100, 100).info();
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {  // the random stream plays no part
    kubesim::sim::Rng rng(seed);
    CycleState state = fw->new_cycle_state();
    REQUIRE(fw->schedule(state, *pod, snap, rng).node != nullptr);
    CycleState again = fw->new_cycle_state();
    CHECK(fw->schedule(again, *pod, snap, rng).node->name() == "n3");
  }
  snap.upsert_node(NodeBuilder("n5").cpu(4000).memory(8 * kGi).build());
  kubesim::sim::Rng rng(1);
  CycleState state = fw->new_cycle_state();
  CHECK(fw->schedule(state, *pod, snap, rng).node->name() == "n5");  // rank 1
  CHECK(snap.find("n4")->tie_break_rank() == NodeInfo::kNoRank);
}

}  // namespace
