// GPU sharing, fragmentation and the FGD paper's policies (policies/gpu_share.hpp) on small
// nodes, every expected value worked out by hand from the upstream rules
// (hkust-adsl/kubernetes-scheduler-simulator: pkg/utils/frag.go, plugin/fgd_score.go,
// best_fit_score.go, dot_product_score.go, gpu_packing_score.go, gpu_clustering_score.go,
// open_gpu_share.go, pkg/type/resource.go).
#include "policies/gpu_share.hpp"

#include <bit>
#include <catch2/catch.hpp>
#include <stdexcept>
#include <vector>

#include "sim/random.hpp"

namespace {

namespace gpu = kubesim::policies::gpu;
using gpu::GpuDemand;
using gpu::GpuNodeState;

GpuDemand demand(std::int64_t cpu, std::int32_t num_gpu, std::int32_t milli,
                 std::int64_t memory = 1024) {
  GpuDemand d;
  d.cpu_milli = cpu;
  d.memory_mib = memory;
  d.num_gpu = num_gpu;
  d.gpu_milli = milli;
  return d;
}

// Four groups: 4 × A (4 cores, share 500), 3 × B (8 cores, 1 GPU), 2 × C (2 cores, no GPU),
// 1 × D (16 cores, 2 GPUs). 10 pods; 95% of 10 = 9.5 is reached only with all four groups,
// so no renormalization: p = 0.4, 0.3, 0.2, 0.1.
std::vector<GpuDemand> workload() {
  std::vector<GpuDemand> w;
  for (int i = 0; i < 4; ++i) w.push_back(demand(4000, 1, 500, 1000 + i));  // memory varies
  for (int i = 0; i < 3; ++i) w.push_back(demand(8000, 1, 1000));
  for (int i = 0; i < 2; ++i) w.push_back(demand(2000, 0, 0));
  w.push_back(demand(16000, 2, 1000));
  return w;
}

// A 4-GPU node, 10 cores free, devices free [1000, 500, 300, 0] (idle 1800 milli).
GpuNodeState used_node() {
  GpuNodeState n = GpuNodeState::make(32000, 65536, 4, 0);
  n.cpu_free = 10000;
  n.free_milli[1] = 500;
  n.free_milli[2] = 300;
  n.free_milli[3] = 0;
  n.gpu_free_total = 1800;
  return n;
}

}  // namespace

TEST_CASE("typical pods group by cpu, gpu milli, gpu count and model, not memory", "[gpu_share]") {
  const auto w = workload();
  const gpu::TypicalPods t = gpu::TypicalPods::build(w);
  REQUIRE(t.size() == 4);  // the four A pods differ only in memory: one group
  CHECK(t.total_pods() == 10);
  CHECK(t.pods()[0].cpu_milli == 4000);
  CHECK(t.pods()[0].count == 4);
  CHECK(t.pods()[0].weight == Approx(0.4));
  CHECK(t.pods()[1].cpu_milli == 8000);
  CHECK(t.pods()[1].weight == Approx(0.3));
  CHECK(t.pods()[2].num_gpu == 0);
  CHECK(t.pods()[2].weight == Approx(0.2));
  CHECK(t.pods()[3].num_gpu == 2);
  CHECK(t.pods()[3].weight == Approx(0.1));
}

TEST_CASE("typical pods stop at the popularity threshold and renormalize", "[gpu_share]") {
  const auto w = workload();
  // 80% of 10 = 8: cumulative 4, 7, 9 -> three groups kept, weights 4/9, 3/9, 2/9.
  const gpu::TypicalPods t = gpu::TypicalPods::build(w, 80);
  REQUIRE(t.size() == 3);
  CHECK(t.pods()[0].weight == Approx(4.0 / 9.0));
  CHECK(t.pods()[1].weight == Approx(3.0 / 9.0));
  CHECK(t.pods()[2].weight == Approx(2.0 / 9.0));
  double sum = 0;
  for (const auto& p : t.pods()) sum += p.weight;
  CHECK(sum == Approx(1.0));
  // Without CPU pods: 8 GPU pods, 95% = 7.6: A (4), B (3) = 7 < 7.6, D -> all three kept.
  const gpu::TypicalPods g = gpu::TypicalPods::build(w, 95, false);
  REQUIRE(g.size() == 3);
  CHECK(g.pods()[0].weight == Approx(0.5));
  CHECK(g.pods()[2].weight == Approx(0.125));
}

TEST_CASE("typical pod groups with equal counts sort by the key, largest first", "[gpu_share]") {
  // upstream sort.Reverse(TargetPodList): equal counts -> larger MilliCpu first.
  std::vector<GpuDemand> w = {demand(1000, 1, 200), demand(3000, 1, 200), demand(2000, 0, 0)};
  const gpu::TypicalPods t = gpu::TypicalPods::build(w);
  REQUIRE(t.size() == 3);
  CHECK(t.pods()[0].cpu_milli == 3000);
  CHECK(t.pods()[1].cpu_milli == 2000);
  CHECK(t.pods()[2].cpu_milli == 1000);
}

TEST_CASE("node fragmentation counts idle GPU against each typical pod", "[gpu_share]") {
  const gpu::TypicalPods t = gpu::TypicalPods::build(workload());
  // Node: cpu 10000 free, devices [1000, 500, 300, 0], idle G = 1800.
  //  A (4000, 500):  fits; devices with free < 500: 300 + 0 = 300     -> 0.4 · 300  = 120
  //  B (8000, 1000): fits; devices with free < 1000: 500 + 300 + 0    -> 0.3 · 800  = 240
  //  C (no GPU):     all idle GPU is stranded                          -> 0.2 · 1800 = 360
  //  D (16000, 2×):  lacks cpu and GPUs                                -> 0.1 · 1800 = 180
  //  F = 900
  CHECK(gpu::node_fragmentation(t, used_node()) == Approx(900));
  // An empty 8-GPU node with 64 cores: A, B, D fit without stranding anything; only C
  // strands the 8000 idle milli: F = 0.2 · 8000 = 1600.
  CHECK(gpu::node_fragmentation(t, GpuNodeState::make(64000, 1 << 20, 8, 0)) == Approx(1600));
  // A full node has no idle GPU and no fragmentation.
  GpuNodeState full = GpuNodeState::make(64000, 1 << 20, 2, 0);
  gpu::allocate(full, demand(1000, 2, 1000), 0b11);
  CHECK(gpu::node_fragmentation(t, full) == 0.0);
}

TEST_CASE("cluster fragmentation sums the nodes", "[gpu_share]") {
  const gpu::TypicalPods t = gpu::TypicalPods::build(workload());
  // used_node: F 900 of G 1800; an empty 64-core 8-GPU node: F 1600 of G 8000.
  const std::vector<GpuNodeState> nodes = {used_node(), GpuNodeState::make(64000, 1 << 20, 8, 0)};
  const gpu::ClusterFragmentation c = gpu::cluster_fragmentation(t, nodes);
  CHECK(c.fragmentation_milli == Approx(2500));
  CHECK(c.idle_milli == 9800);
  CHECK(c.ratio() == Approx(2500.0 / 9800.0));
}

TEST_CASE("a typical pod that cannot use the node's model strands all its idle GPU",
          "[gpu_share]") {
  gpu::ModelTable models;
  const gpu::ModelId t4 = models.intern("T4");
  std::vector<GpuDemand> w = {demand(1000, 1, 500)};
  w[0].models = models.parse_spec("V100M16|V100M32");
  const gpu::TypicalPods t = gpu::TypicalPods::build(w);
  // One typical pod, p = 1, no access to T4: F = G = 2000.
  CHECK(gpu::node_fragmentation(t, GpuNodeState::make(8000, 8192, 2, t4)) == Approx(2000));
  const gpu::ModelId v100 = models.find("V100M16");
  // On a V100M16 node it fits and strands nothing.
  CHECK(gpu::node_fragmentation(t, GpuNodeState::make(8000, 8192, 2, v100)) == 0.0);
}

TEST_CASE("FGD scores a share pod on its best device", "[gpu_share]") {
  const gpu::TypicalPods t = gpu::TypicalPods::build(workload());
  const GpuNodeState node = used_node();
  const double before = gpu::node_fragmentation(t, node);  // 900
  // Pod cpu 1000, share 500. Fitting devices 0 (1000 free) and 1 (500 free).
  //  on device 0: [500, 500, 300, 0], cpu 9000, G 1300: A 0.4·300 = 120, B lacks GPU
  //    0.3·1300 = 390, C 0.2·1300 = 260, D 0.1·1300 = 130 -> F 900, Δ 0 -> int(100·0.5) = 50
  //  on device 1: [1000, 0, 300, 0], G 1300: A 120, B 0.3·300 = 90, C 260, D 130 -> F 600,
  //    Δ 300 -> int(100 · 1/(1 + e^-0.3)) = int(57.44) = 57
  const gpu::ScoredChoice c = gpu::fgd_score(node, demand(1000, 1, 500), t, before);
  CHECK(c.score == 57);
  CHECK(c.devices == 0b10);
  // Pod share 300: device 2 (300 -> 0) gives F 600 (Δ 300, 57); device 1 (500 -> 200) F 800
  // (Δ 100, int(52.50) = 52); device 0 F 1020 (Δ −120, 47). Device 2 wins.
  const gpu::ScoredChoice c300 = gpu::fgd_score(node, demand(1000, 1, 300), t, before);
  CHECK(c300.score == 57);
  CHECK(c300.devices == 0b100);
}

TEST_CASE("FGD scores whole-GPU and CPU pods by their hypothetical placement", "[gpu_share]") {
  const gpu::TypicalPods t = gpu::TypicalPods::build(workload());
  const GpuNodeState node = used_node();
  const double before = gpu::node_fragmentation(t, node);
  // 1-GPU pod, 8 cores: takes device 0 -> [0, 500, 300, 0], cpu 2000, G 800:
  //  A lacks cpu but has a GPU (Q4) 0.4·800 = 320; B lacks both 0.3·800 = 240; C fits cpu
  //  (XL) 0.2·800 = 160; D 0.1·800 = 80 -> F 800, Δ 100 -> int(100·σ(0.1)) = 52.
  const gpu::ScoredChoice whole = gpu::fgd_score(node, demand(8000, 1, 1000), t, before);
  CHECK(whole.score == 52);
  CHECK(whole.devices == 0b1);
  // CPU pod of 2 cores: cpu 8000 left, every category as before -> Δ 0 -> 50, no device.
  const gpu::ScoredChoice cpu = gpu::fgd_score(node, demand(2000, 0, 0), t, before);
  CHECK(cpu.score == 50);
  CHECK(cpu.devices == 0);
  // A pod without any request: MaxNodeScore.
  CHECK(gpu::fgd_score(node, demand(0, 0, 0, 0), t, before).score == 100);
}

TEST_CASE("BestFit and DotProduct scores by hand", "[gpu_share]") {
  const GpuNodeState node = used_node();  // cpu 10000 free, 1800 milli free
  const GpuDemand pod = demand(1000, 1, 500);
  // s = 0.5·9000/128000 + 0.5·1300/8000 = 0.03515625 + 0.08125 = 0.11640625;
  // int(100·(1 − s)) = int(88.36) = 88.
  CHECK(gpu::best_fit_raw_score(node, pod) == 88);
  // An empty 64-core 8-GPU node: s = 0.5·63000/128000 + 0.5·7500/8000 = 0.24609375 + 0.46875
  // = 0.71484375 -> int(28.52) = 28.
  CHECK(gpu::best_fit_raw_score(GpuNodeState::make(64000, 1 << 20, 8, 0), pod) == 28);
  // n = [10000/128000, 1800/8000] = [0.078125, 0.225]; p = [1000/128000, 500/8000]
  // = [0.0078125, 0.0625]; n·p = 0.0006103515625 + 0.0140625 = 0.0146728515625;
  // int(100·(1 − 0.00733642578125)) = int(99.27) = 99.
  CHECK(gpu::dot_product_score(node, pod) == 99);
  // Empty 64-core 8-GPU node, 8-GPU 32-core pod: n = [0.5, 1], p = [0.25, 1]; n·p = 1.125;
  // int(100·(1 − 0.5625)) = int(43.75) = 43.
  CHECK(gpu::dot_product_score(GpuNodeState::make(64000, 1 << 20, 8, 0), demand(32000, 8, 1000)) ==
        43);
}

TEST_CASE("BestFit normalization is upstream's integer min-max", "[gpu_share]") {
  std::vector<std::int64_t> s = {10, 20, 40};
  gpu::normalize_min_max(s);
  // (20 − 10)·100/30 = 33 (integer division)
  CHECK(s == std::vector<std::int64_t>{0, 33, 100});
  std::vector<std::int64_t> same = {7, 7};
  gpu::normalize_min_max(same);
  CHECK(same == std::vector<std::int64_t>{0, 0});
}

TEST_CASE("GpuPacking tiers by hand", "[gpu_share]") {
  // All devices free: max(33 − free, free): 8 GPUs -> 25, 2 GPUs -> 31.
  CHECK(gpu::gpu_packing_score(GpuNodeState::make(64000, 1 << 20, 8, 0), demand(1000, 1, 500)) ==
        25);
  CHECK(gpu::gpu_packing_score(GpuNodeState::make(64000, 1 << 20, 2, 0), demand(1000, 1, 500)) ==
        31);
  const GpuNodeState node = used_node();  // [1000, 500, 300, 0]
  // Share 500: the least-free fitting device is device 1 (500): 500·100/1000 = 50;
  // 100 − 50/10 = 95.
  CHECK(gpu::gpu_packing_score(node, demand(1000, 1, 500)) == 95);
  // Share 800: only device 0, fully free -> max(50 − 1, 33) = 49.
  CHECK(gpu::gpu_packing_score(node, demand(1000, 1, 800)) == 49);
  // Share 200 on [1000, 250, 900]: device 1 (250): 250·100/1000 = 25; 100 − 25/10 = 98.
  GpuNodeState three = GpuNodeState::make(32000, 1 << 16, 3, 0);
  gpu::allocate(three, demand(0, 1, 750, 0), 0b10);
  gpu::allocate(three, demand(0, 1, 100, 0), 0b100);
  CHECK(gpu::gpu_packing_score(three, demand(1000, 1, 200)) == 98);
  // 2 whole GPUs on [1000, 1000, 1000, 0]: two fully free devices -> max(50 − 2, 33) = 48.
  GpuNodeState four = GpuNodeState::make(32000, 1 << 16, 4, 0);
  gpu::allocate(four, demand(0, 1, 1000, 0), 0b1000);
  CHECK(gpu::gpu_packing_score(four, demand(1000, 2, 1000)) == 48);
  // CPU pods score 0.
  CHECK(gpu::gpu_packing_score(node, demand(1000, 0, 0)) == 0);
}

TEST_CASE("GpuClustering tiers by hand", "[gpu_share]") {
  GpuNodeState node = GpuNodeState::make(64000, 1 << 20, 8, 0);
  const GpuDemand share = demand(1000, 1, 500);
  const GpuDemand one = demand(1000, 1, 1000);
  // Empty 8-GPU node: 25·(8000 − 8000)/8000 = 0, + 25 (no GPU pods) = 25.
  CHECK(gpu::gpu_clustering_score(node, share) == 25);
  // Empty 4-GPU node: 25·4000/8000 = 12 (12.5 truncated) + 25 = 37.
  CHECK(gpu::gpu_clustering_score(GpuNodeState::make(64000, 1 << 20, 4, 0), share) == 37);
  gpu::allocate(node, share, 0b1);  // free total 7500
  // Same class only: 25·500/8000 = 1 (1.5625) + 75 = 76; another class: 1 + 0 = 1.
  CHECK(gpu::gpu_clustering_score(node, share) == 76);
  CHECK(gpu::gpu_clustering_score(node, one) == 1);
  gpu::allocate(node, one, 0b10);  // free total 6500, two classes
  // 25·1500/8000 = 4 (4.6875) + 50 = 54 for either class.
  CHECK(gpu::gpu_clustering_score(node, share) == 54);
  CHECK(gpu::gpu_clustering_score(node, one) == 54);
  CHECK(gpu::gpu_clustering_score(node, demand(1000, 0, 0)) == 0);
  gpu::release(node, one, 0b10);
  CHECK(gpu::gpu_clustering_score(node, share) == 76);
}

TEST_CASE("feasibility checks cpu, memory, model and devices", "[gpu_share]") {
  gpu::ModelTable models;
  const gpu::ModelId t4 = models.intern("T4");
  GpuNodeState node = GpuNodeState::make(8000, 16384, 2, t4);
  gpu::allocate(node, demand(0, 1, 700, 0), 0b1);  // devices [300, 1000]
  CHECK(gpu::feasible(node, demand(8000, 1, 1000, 16384)));
  CHECK_FALSE(gpu::feasible(node, demand(8001, 0, 0)));         // cpu
  CHECK_FALSE(gpu::feasible(node, demand(1000, 0, 0, 16385)));  // memory
  CHECK_FALSE(gpu::feasible(node, demand(1000, 2, 1000)));      // one fully free device
  CHECK(gpu::feasible(node, demand(1000, 1, 300)));             // device 0 has 300
  GpuDemand v100 = demand(1000, 1, 100);
  v100.models = models.parse_spec("V100M16");
  CHECK_FALSE(gpu::feasible(node, v100));
  GpuDemand either = demand(1000, 1, 100);
  either.models = models.parse_spec("V100M16|T4");
  CHECK(gpu::feasible(node, either));
  // An empty or '|'-only gpu_spec accepts any model.
  CHECK(models.parse_spec("").any());
  CHECK(models.parse_spec("|").any());
  // A GPU pod never fits a node without GPUs; a CPU pod does.
  const GpuNodeState cpu_node = GpuNodeState::make(8000, 16384, 0, gpu::kNoModel);
  CHECK_FALSE(gpu::feasible(cpu_node, demand(1000, 1, 100)));
  CHECK(gpu::feasible(cpu_node, demand(1000, 0, 0)));
}

TEST_CASE("device choice: best fit, exclusive, random", "[gpu_share]") {
  const GpuNodeState node = used_node();  // [1000, 500, 300, 0]
  CHECK(gpu::best_fit_devices(node, demand(1000, 1, 300)) == 0b100);
  CHECK(gpu::best_fit_devices(node, demand(1000, 1, 301)) == 0b10);
  CHECK(gpu::best_fit_devices(node, demand(1000, 1, 1000)) == 0b1);
  CHECK(gpu::best_fit_devices(node, demand(1000, 0, 0)) == 0);
  // Lowest index among equals.
  const GpuNodeState empty = GpuNodeState::make(8000, 8192, 4, 0);
  CHECK(gpu::best_fit_devices(empty, demand(1000, 1, 100)) == 0b1);
  CHECK(gpu::best_fit_devices(empty, demand(1000, 3, 1000)) == 0b111);
  CHECK(gpu::exclusive_devices(node, 2) == 0);  // only one fully free device
  kubesim::sim::Rng rng(7);
  int seen[4] = {0, 0, 0, 0};
  for (int i = 0; i < 400; ++i) {
    const std::uint64_t d = gpu::random_devices(node, demand(1000, 1, 400), rng);
    REQUIRE((d == 0b1 || d == 0b10));  // only devices 0 and 1 have >= 400 free
    ++seen[__builtin_ctzll(d)];
  }
  CHECK(seen[0] > 120);
  CHECK(seen[1] > 120);
  CHECK(gpu::devices_to_string(0b1011) == "0-1-3");
  CHECK(gpu::devices_to_string(0) == "");
}

TEST_CASE("sharing invariants hold under every policy's device choice", "[gpu_share]") {
  // A trivially correct reference: per-device used milli and the model of each placement,
  // checked after every allocation and after releasing everything.
  gpu::ModelTable models;
  const gpu::ModelId ids[3] = {models.intern("T4"), models.intern("V100M16"), models.intern("A10")};
  const char* specs[4] = {"", "T4", "V100M16|A10", "A10"};
  kubesim::sim::Rng rng(2024);
  std::vector<GpuDemand> source;
  for (int i = 0; i < 60; ++i) {
    const int kind = static_cast<int>(rng.below(4));
    GpuDemand d = kind == 0   ? demand(1000 + 500 * static_cast<std::int64_t>(rng.below(8)), 0, 0)
                  : kind == 1 ? demand(2000, 1, 100 * static_cast<std::int32_t>(1 + rng.below(9)))
                  : kind == 2 ? demand(4000, 1, 1000)
                              : demand(8000, static_cast<std::int32_t>(2 << rng.below(2)), 1000);
    d.models = models.parse_spec(specs[rng.below(4)]);
    source.push_back(d);
  }
  const gpu::TypicalPods typical = gpu::TypicalPods::build(source);
  for (gpu::GpuPolicy policy : gpu::kAllGpuPolicies) {
    std::vector<GpuNodeState> nodes;
    for (int i = 0; i < 6; ++i) {
      nodes.push_back(GpuNodeState::make(32000, 1 << 17, 1 + i % 8, ids[i % 3]));
    }
    std::vector<std::vector<int>> used(nodes.size(), std::vector<int>(8, 0));
    struct Placed {
      std::size_t node;
      GpuDemand d;
      std::uint64_t devices;
    };
    std::vector<Placed> placed;
    for (int round = 0; round < 3; ++round) {
      for (const GpuDemand& d : source) {
        // Highest score among feasible nodes, lowest index on ties.
        int best = -1;
        std::int64_t best_score = -1;
        for (std::size_t n = 0; n < nodes.size(); ++n) {
          if (!gpu::feasible(nodes[n], d)) continue;
          const std::int64_t s =
              policy == gpu::GpuPolicy::kRandom
                  ? static_cast<std::int64_t>(rng.below(100))
                  : gpu::policy_score(policy, nodes[n], d, typical,
                                      gpu::node_fragmentation(typical, nodes[n]))
                        .score;
          if (s > best_score) {
            best_score = s;
            best = static_cast<int>(n);
          }
        }
        if (best < 0) continue;
        GpuNodeState& node = nodes[static_cast<std::size_t>(best)];
        const std::uint64_t dev = gpu::choose_devices(policy, node, d, typical, rng);
        REQUIRE(std::popcount(dev) == (d.needs_gpu() ? d.num_gpu : 0));
        // No GPU pod on a disallowed model (a CPU pod's gpu_spec constrains nothing: the
        // upstream Open-Gpu-Share Filter passes pods with gpu-milli 0 at once).
        if (d.needs_gpu()) REQUIRE(d.models.allows(node.model));
        gpu::allocate(node, d, dev);
        for (int i = 0; i < node.gpu_count; ++i) {
          if ((dev >> i) & 1U)
            used[static_cast<std::size_t>(best)][static_cast<std::size_t>(i)] += d.gpu_milli;
          REQUIRE(used[static_cast<std::size_t>(best)][static_cast<std::size_t>(i)] <= 1000);
          REQUIRE(node.free_milli[static_cast<std::size_t>(i)] ==
                  1000 - used[static_cast<std::size_t>(best)][static_cast<std::size_t>(i)]);
        }
        REQUIRE(node.cpu_free >= 0);
        REQUIRE(node.memory_free_mib >= 0);
        placed.push_back({static_cast<std::size_t>(best), d, dev});
      }
    }
    CHECK(placed.size() > 20);
    for (const Placed& p : placed) gpu::release(nodes[p.node], p.d, p.devices);
    for (std::size_t n = 0; n < nodes.size(); ++n) {
      const GpuNodeState fresh =
          GpuNodeState::make(32000, 1 << 17, 1 + static_cast<int>(n) % 8, ids[n % 3]);
      CHECK(nodes[n].cpu_free == fresh.cpu_free);
      CHECK(nodes[n].gpu_free_total == fresh.gpu_free_total);
      CHECK(nodes[n].free_milli == fresh.free_milli);
      CHECK(nodes[n].distinct_classes == 0);
    }
  }
}

TEST_CASE("over-committing a device is refused", "[gpu_share]") {
  GpuNodeState node = GpuNodeState::make(8000, 8192, 1, 0);
  gpu::allocate(node, demand(0, 1, 700, 0), 0b1);
  CHECK_THROWS_AS(gpu::allocate(node, demand(0, 1, 400, 0), 0b1), std::logic_error);
  CHECK_THROWS_AS(gpu::allocate(node, demand(0, 1, 100, 0), 0b10), std::logic_error);
  // The device set must match the pod's GPU count.
  CHECK_THROWS_AS(gpu::allocate(node, demand(0, 1, 100, 0), 0), std::logic_error);
  CHECK_THROWS_AS(gpu::allocate(node, demand(0, 0, 0, 0), 0b1), std::logic_error);
  CHECK(node.free_milli[0] == 300);
  // A refused multi-device allocation changes nothing.
  GpuNodeState two = GpuNodeState::make(8000, 8192, 2, 0);
  gpu::allocate(two, demand(0, 1, 500, 0), 0b1);
  CHECK_THROWS_AS(gpu::allocate(two, demand(1000, 2, 1000, 0), 0b11), std::logic_error);
  CHECK(two.free_milli[1] == 1000);
  CHECK(two.gpu_free_total == 1500);
  CHECK(two.cpu_free == 8000);
}

TEST_CASE("policy names parse case-insensitively", "[gpu_share]") {
  gpu::GpuPolicy p{};
  CHECK(gpu::parse_gpu_policy("FGD", &p));
  CHECK(p == gpu::GpuPolicy::kFgd);
  CHECK(gpu::parse_gpu_policy("dotprod", &p));
  CHECK(p == gpu::GpuPolicy::kDotProduct);
  CHECK(gpu::parse_gpu_policy("GpuClustering", &p));
  CHECK(p == gpu::GpuPolicy::kGpuClustering);
  CHECK_FALSE(gpu::parse_gpu_policy("tetris", &p));
  for (gpu::GpuPolicy q : gpu::kAllGpuPolicies) {
    gpu::GpuPolicy back{};
    CHECK(gpu::parse_gpu_policy(gpu::to_string(q), &back));
    CHECK(back == q);
  }
}
