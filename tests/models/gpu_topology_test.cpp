// Tests for models/gpu_topology: link parsing and scores, the topology factories, NVLink
// connectivity and the best-connected GPU set.
//
// Link points are go-gpuallocator's (gpuallocator/besteffort_policy.go,
// calculateGPUPairScore); the DGX-1 V100 adjacency is its fixture NewDGX1VoltaNode
// (gpuallocator/common_test.go). Expected sets and scores are worked out by hand beside
// each case, and best_set is checked against a brute-force reference over every free mask.
#include "models/gpu_topology.hpp"

#include <algorithm>
#include <bit>
#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace {

using kubesim::models::gpu_link_score;
using kubesim::models::GpuLink;
using kubesim::models::GpuLinkSpec;
using kubesim::models::GpuPairLinks;
using kubesim::models::GpuTopology;
using kubesim::models::parse_gpu_link;
using kubesim::models::to_string;

using Set = std::vector<int>;

std::optional<Set> best(const GpuTopology& t, const Set& free_gpus, int k) {
  return t.best_set(free_gpus, k);
}

// Reference: every k-subset of the free GPUs, the best score, ties to the lexicographically
// smallest ascending list.
std::optional<Set> brute_force_best(const GpuTopology& t, const Set& free_gpus, int k) {
  Set sorted = free_gpus;
  std::sort(sorted.begin(), sorted.end());
  if (static_cast<std::size_t>(k) > sorted.size()) return std::nullopt;
  std::optional<Set> winner;
  int winner_score = -1;
  const std::uint32_t masks = 1U << sorted.size();
  for (std::uint32_t mask = 0; mask < masks; ++mask) {
    if (std::popcount(mask) != k) continue;
    Set s;
    for (std::size_t i = 0; i < sorted.size(); ++i) {
      if (mask & (1U << i)) s.push_back(sorted[i]);
    }
    const int score = t.set_score(s);
    if (!winner || score > winner_score || (score == winner_score && s < *winner)) {
      winner = s;
      winner_score = score;
    }
  }
  return winner;
}

Set all_gpus(int n) {
  Set s(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) s[static_cast<std::size_t>(i)] = i;
  return s;
}

}  // namespace

TEST_CASE("GPU link names round-trip and accept nvidia-smi codes", "[gpu_topology]") {
  for (GpuLink link : {GpuLink::kNone, GpuLink::kPcieCrossSocket, GpuLink::kPcieSameSocket,
                       GpuLink::kPcieHostBridge, GpuLink::kPcieMultiSwitch, GpuLink::kPcieSwitch,
                       GpuLink::kSameBoard, GpuLink::kNvLink, GpuLink::kNvSwitch}) {
    const auto parsed = parse_gpu_link(to_string(link));
    REQUIRE(parsed.ok());
    CHECK(*parsed == link);
  }
  CHECK(to_string(GpuLink::kNvSwitch) == "nvswitch");
  CHECK(*parse_gpu_link("SYS") == GpuLink::kPcieCrossSocket);
  CHECK(*parse_gpu_link("node") == GpuLink::kPcieSameSocket);
  CHECK(*parse_gpu_link("PHB") == GpuLink::kPcieHostBridge);
  CHECK(*parse_gpu_link("pcie") == GpuLink::kPcieHostBridge);
  CHECK(*parse_gpu_link("PXB") == GpuLink::kPcieMultiSwitch);
  CHECK(*parse_gpu_link("pix") == GpuLink::kPcieSwitch);

  const auto bad = parse_gpu_link("nvlnk");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().find("\"nvlnk\"") != std::string::npos);
  CHECK(bad.error().find("nvlink") != std::string::npos);
  CHECK_FALSE(parse_gpu_link("NVSwitch").ok());  // canonical names are lower case
}

TEST_CASE("link points follow go-gpuallocator's pair score table", "[gpu_topology]") {
  CHECK(gpu_link_score(GpuLink::kNone) == 0);
  CHECK(gpu_link_score(GpuLink::kPcieCrossSocket) == 10);
  CHECK(gpu_link_score(GpuLink::kPcieSameSocket) == 20);
  CHECK(gpu_link_score(GpuLink::kPcieHostBridge) == 30);
  CHECK(gpu_link_score(GpuLink::kPcieMultiSwitch) == 40);
  CHECK(gpu_link_score(GpuLink::kPcieSwitch) == 50);
  CHECK(gpu_link_score(GpuLink::kSameBoard) == 60);
  CHECK(gpu_link_score(GpuLink::kNvLink, 1) == 100);
  CHECK(gpu_link_score(GpuLink::kNvLink, 2) == 200);
  CHECK(gpu_link_score(GpuLink::kNvSwitch, 18) == 1800);
}

TEST_CASE("explicit edge lists add links per pair and reject bad input", "[gpu_topology]") {
  SECTION("a PCIe level and NVLink lanes on one pair add up") {
    const std::vector<GpuLinkSpec> links = {{0, 1, GpuLink::kPcieSwitch, 0},
                                            {1, 0, GpuLink::kNvLink, 2},
                                            {1, 2, GpuLink::kPcieCrossSocket, 0}};
    const auto t = GpuTopology::from_links(3, links);
    REQUIRE(t.ok());
    CHECK(t->size() == 3);
    CHECK(t->links(0, 1) == GpuPairLinks{GpuLink::kPcieSwitch, 2, false});
    CHECK(t->links(1, 0) == GpuPairLinks{GpuLink::kPcieSwitch, 2, false});
    CHECK(t->links(0, 1).fastest() == GpuLink::kNvLink);
    CHECK(t->links(1, 2).fastest() == GpuLink::kPcieCrossSocket);
    CHECK(t->links(0, 2) == GpuPairLinks{});
    CHECK(t->pair_score(0, 1) == 250);  // PIX 50 + 2 lanes x 100
    CHECK(t->pair_score(1, 2) == 10);
    CHECK(t->pair_score(0, 2) == 0);
    CHECK(t->pair_score(1, 1) == 0);
    const Set all = {0, 1, 2};
    CHECK(t->set_score(all) == 260);
  }
  SECTION("errors name the link") {
    const auto check_error = [](int n, std::vector<GpuLinkSpec> links, const char* needle) {
      const auto t = GpuTopology::from_links(n, links);
      REQUIRE_FALSE(t.ok());
      CHECK(t.error().find(needle) != std::string::npos);
    };
    check_error(-1, {}, "GPU count");
    check_error(2, {{0, 2, GpuLink::kNvLink, 1}}, "outside [0, 2)");
    check_error(2, {{1, 1, GpuLink::kNvLink, 1}}, "itself");
    check_error(2, {{0, 1, GpuLink::kNone, 0}}, "none");
    check_error(2, {{0, 1, GpuLink::kNvLink, 0}}, "nvlinks must be >= 1");
    check_error(2, {{0, 1, GpuLink::kPcieSwitch, 1}}, "nvlinks must be 0");
    check_error(2, {{0, 1, GpuLink::kPcieSwitch, 0}, {1, 0, GpuLink::kPcieHostBridge, 0}},
                "two PCIe levels");
    check_error(2, {{0, 1, GpuLink::kNvLink, 1}, {0, 1, GpuLink::kNvSwitch, 12}},
                "both nvlink and nvswitch");
  }
}

TEST_CASE("on an NVSwitch node every set ties and the lowest indices win", "[gpu_topology]") {
  const GpuTopology t = GpuTopology::nvswitch(8);
  CHECK(t.links(2, 7) == GpuPairLinks{GpuLink::kNone, 12, true});
  CHECK(t.pair_score(2, 7) == 1200);
  CHECK(t.set_score(Set{0, 1, 2, 3}) == 6 * 1200);
  CHECK(best(t, all_gpus(8), 2) == Set{0, 1});
  CHECK(best(t, Set{7, 5, 2, 3}, 3) == Set{2, 3, 5});
  CHECK(GpuTopology::nvswitch(8, 18).pair_score(0, 1) == 1800);
}

TEST_CASE("on a two-socket PCIe node the best set stays on one socket", "[gpu_topology]") {
  const GpuTopology t = GpuTopology::pcie(8, 4);  // sockets {0..3} and {4..7}, PHB inside
  CHECK(t.links(0, 3).pcie == GpuLink::kPcieHostBridge);
  CHECK(t.links(3, 4).pcie == GpuLink::kPcieCrossSocket);
  // One socket: 6 PHB pairs = 180. Three plus one: 3 PHB + 3 SYS = 120.
  CHECK(t.set_score(Set{4, 5, 6, 7}) == 180);
  CHECK(t.set_score(Set{1, 2, 3, 4}) == 120);

  SECTION("all free: socket 0, lowest indices of the tie") {
    CHECK(best(t, all_gpus(8), 4) == Set{0, 1, 2, 3});
  }
  SECTION("GPUs 0 and 1 busy: a 2-set is {2,3}") {
    CHECK(best(t, Set{2, 3, 4, 5, 6, 7}, 2) == Set{2, 3});
  }
  SECTION("three free on socket 0, four on socket 1: a 4-set is socket 1") {
    CHECK(best(t, Set{1, 2, 3, 4, 5, 6, 7}, 4) == Set{4, 5, 6, 7});
  }
  SECTION("with a shared switch on each socket the same-socket pairs score PIX") {
    const GpuTopology pix = GpuTopology::pcie(8, 4, GpuLink::kPcieSwitch);
    CHECK(pix.pair_score(1, 2) == 50);
    CHECK(pix.pair_score(1, 6) == 10);
  }
}

TEST_CASE("the DGX-1 hybrid cube mesh prefers a fully NVLinked 4-set", "[gpu_topology]") {
  const GpuTopology t = GpuTopology::nvlink_hybrid_cube_mesh_8();
  REQUIRE(t.size() == 8);
  // Six NVLink lanes per V100.
  for (int g = 0; g < 8; ++g) {
    int lanes = 0;
    for (int h = 0; h < 8; ++h) lanes += t.links(g, h).nvlinks;
    CHECK(lanes == 6);
  }
  CHECK(t.links(0, 3) == GpuPairLinks{GpuLink::kPcieHostBridge, 2, false});
  CHECK(t.links(0, 1) == GpuPairLinks{GpuLink::kPcieSwitch, 1, false});
  CHECK(t.links(0, 5) == GpuPairLinks{GpuLink::kPcieCrossSocket, 0, false});
  CHECK(t.pair_score(0, 4) == 210);  // SYS 10 + NV2
  CHECK(t.pair_score(2, 3) == 250);  // PIX 50 + NV2

  // {0,1,2,3}: 150 + 130 + 230 + 230 + 130 + 250 = 1120; {4,5,6,7} is its mirror image.
  CHECK(t.set_score(Set{0, 1, 2, 3}) == 1120);
  CHECK(t.set_score(Set{4, 5, 6, 7}) == 1120);
  // {0,1,2,4}: 0 and 4 are NVLinked but 1-4 and 2-4 are not: 150+130+210+230+10+10 = 740.
  CHECK(t.set_score(Set{0, 1, 2, 4}) == 740);

  SECTION("with GPU 3 busy the clique {4,5,6,7} beats the lower-index non-clique") {
    CHECK(best(t, Set{0, 1, 2, 4, 5, 6, 7}, 4) == Set{4, 5, 6, 7});
  }
  SECTION("all free: the two cliques tie and socket 0 wins") {
    CHECK(best(t, all_gpus(8), 4) == Set{0, 1, 2, 3});
  }
  SECTION("the best pair is a PIX pair with two lanes") {
    CHECK(best(t, all_gpus(8), 2) == Set{2, 3});
    CHECK(best(t, Set{0, 1, 4, 5, 6, 7}, 2) == Set{6, 7});
  }
}

TEST_CASE("NVLink connectivity of a GPU set uses only links inside the set", "[gpu_topology]") {
  const GpuTopology mesh = GpuTopology::nvlink_hybrid_cube_mesh_8();
  CHECK(mesh.nvlink_connected(Set{0, 1, 2, 3}));
  CHECK_FALSE(mesh.nvlink_connected(Set{0, 5}));  // linked only through 1 or 4
  CHECK(mesh.nvlink_connected(Set{0, 1, 5}));
  CHECK(mesh.nvlink_connected(Set{6, 2, 0}));
  CHECK_FALSE(mesh.nvlink_connected(Set{0, 1, 6, 7}));  // {0,1} and {6,7} are islands
  CHECK(mesh.nvlink_connected(Set{}));
  CHECK(mesh.nvlink_connected(Set{5}));

  CHECK_FALSE(GpuTopology::pcie(4, 4).nvlink_connected(Set{0, 1}));
  CHECK(GpuTopology::nvswitch(8).nvlink_connected(Set{3, 7, 1}));
}

TEST_CASE("best_set edge cases: too few free GPUs, k = 0, k = all free", "[gpu_topology]") {
  const GpuTopology t = GpuTopology::nvlink_hybrid_cube_mesh_8();
  CHECK_FALSE(best(t, Set{1, 4, 6}, 4).has_value());
  CHECK_FALSE(best(t, Set{}, 1).has_value());
  const auto none = best(t, Set{1, 4, 6}, 0);
  REQUIRE(none.has_value());
  CHECK(none->empty());
  CHECK(best(t, Set{6, 1, 4}, 3) == Set{1, 4, 6});

  const GpuTopology empty;
  CHECK(empty.size() == 0);
  CHECK(empty.best_set(Set{}, 0) == Set{});
  CHECK_FALSE(empty.best_set(Set{}, 1).has_value());
}

TEST_CASE("best_set is deterministic and ignores the order of the free list", "[gpu_topology]") {
  const GpuTopology t = GpuTopology::nvlink_hybrid_cube_mesh_8();
  const GpuTopology copy = t;  // copies share the graph
  const auto first = best(t, Set{0, 1, 2, 4, 5, 6, 7}, 3);
  REQUIRE(first.has_value());
  for (int run = 0; run < 3; ++run) {
    CHECK(best(t, Set{7, 6, 5, 4, 2, 1, 0}, 3) == first);
    CHECK(best(copy, Set{4, 0, 7, 2, 6, 1, 5}, 3) == first);
  }
}

TEST_CASE("best_set matches a brute-force reference on every free mask", "[gpu_topology]") {
  // A 10-GPU node with an irregular mix: two NVLink islands, PIX/PHB inside sockets.
  std::vector<GpuLinkSpec> links = {{0, 1, GpuLink::kNvLink, 4}, {1, 2, GpuLink::kNvLink, 1},
                                    {0, 2, GpuLink::kNvLink, 2}, {5, 6, GpuLink::kNvLink, 2},
                                    {6, 8, GpuLink::kNvLink, 2}, {5, 8, GpuLink::kNvLink, 1},
                                    {3, 9, GpuLink::kNvLink, 1}};
  for (int a = 0; a < 10; ++a) {
    for (int b = a + 1; b < 10; ++b) {
      GpuLink level = GpuLink::kPcieCrossSocket;
      if (a / 5 == b / 5)
        level = (a % 2 == b % 2) ? GpuLink::kPcieSwitch : GpuLink::kPcieSameSocket;
      links.push_back({a, b, level, 0});
    }
  }
  const auto irregular = GpuTopology::from_links(10, links);
  REQUIRE(irregular.ok());

  const std::vector<GpuTopology> topologies = {GpuTopology::nvlink_hybrid_cube_mesh_8(),
                                               GpuTopology::pcie(8, 4), *irregular};
  int checked = 0;
  for (const GpuTopology& t : topologies) {
    const std::uint32_t masks = 1U << t.size();
    for (std::uint32_t mask = 0; mask < masks; ++mask) {
      Set free_gpus;
      for (int g = 0; g < t.size(); ++g) {
        if (mask & (1U << g)) free_gpus.push_back(g);
      }
      for (int k = 0; k <= static_cast<int>(free_gpus.size()) + 1; ++k) {
        const auto got = t.best_set(free_gpus, k);
        const auto want = brute_force_best(t, free_gpus, k);
        if (got != want) {
          FAIL_CHECK("mask " << mask << " k " << k << " of a " << t.size() << "-GPU node");
        }
        ++checked;
      }
    }
  }
  // Over all masks of n GPUs, k takes popcount + 2 values: n * 2^(n-1) + 2 * 2^n queries,
  // 1536 for n = 8 and 7168 for n = 10.
  CHECK(checked == 1536 + 1536 + 7168);
}

TEST_CASE("above the exact-search limit a greedy search still finds a whole socket",
          "[gpu_topology]") {
  const GpuTopology t = GpuTopology::pcie(24, 8);  // sockets {0..7} {8..15} {16..23}
  SECTION("all free: socket 0") { CHECK(best(t, all_gpus(24), 8) == all_gpus(8)); }
  SECTION("GPUs 0-4 busy, 19 free: the first whole socket, {8..15}") {
    Set free_gpus;
    for (int g = 5; g < 24; ++g) free_gpus.push_back(g);
    REQUIRE(free_gpus.size() > static_cast<std::size_t>(GpuTopology::kExactSearchLimit));
    const Set socket1 = {8, 9, 10, 11, 12, 13, 14, 15};
    CHECK(best(t, free_gpus, 8) == socket1);
    CHECK(t.set_score(socket1) == 28 * 30);
  }
  SECTION("NVSwitch ties still go to the lowest indices") {
    CHECK(best(GpuTopology::nvswitch(32), all_gpus(32), 3) == Set{0, 1, 2});
  }
}
