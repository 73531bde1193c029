// Tests for policies/score_math: kube-scheduler v1.34 scoring and sampling arithmetic.
//
// Expected values come from upstream's own test tables in kubernetes/kubernetes
// pkg/scheduler (the test function and case name are cited above each block), translated from
// pods and nodes to the integers the plugins hand to these functions, or from hand
// calculation where marked. Upstream's st.MakeNode().Capacity({"cpu": "4000"}) is 4000 cores,
// i.e. 4,000,000 milli-CPU; makeNode(name, milliCPU, memory) in balanced_allocation_test.go
// takes milli-CPU directly.
#include "policies/score_math.hpp"

#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <vector>

#include "sim/random.hpp"

namespace {

namespace kp = kubesim::policies;
using kp::kMaxNodeScore;
using kp::kMiB;
using kp::ShapePoint;
using kp::TopologySpreadTerm;

using Vec = std::vector<std::int64_t>;

constexpr std::int64_t kCores = 1000;  // milli-CPU per core

// Scores of several nodes with the same strategy arguments, in node order.
template <typename Scorer>
Vec score_nodes(Scorer scorer, const std::vector<Vec>& requested,
                const std::vector<Vec>& allocatable) {
  Vec out;
  for (std::size_t n = 0; n < requested.size(); ++n) {
    out.push_back(scorer(requested[n], allocatable[n]));
  }
  return out;
}

Vec least(const Vec& weights, const std::vector<Vec>& requested,
          const std::vector<Vec>& allocatable) {
  return score_nodes(
      [&](const Vec& r, const Vec& a) { return kp::least_allocated_score(r, a, weights); },
      requested, allocatable);
}

Vec most(const Vec& weights, const std::vector<Vec>& requested,
         const std::vector<Vec>& allocatable) {
  return score_nodes(
      [&](const Vec& r, const Vec& a) { return kp::most_allocated_score(r, a, weights); },
      requested, allocatable);
}

std::vector<ShapePoint> scaled(std::vector<ShapePoint> user_shape) {
  for (ShapePoint& p : user_shape) p = kp::scale_shape_point(p);
  return user_shape;
}

Vec rtcr(const Vec& weights, const std::vector<ShapePoint>& user_shape,
         const std::vector<Vec>& requested, const std::vector<Vec>& allocatable) {
  const std::vector<ShapePoint> shape = scaled(user_shape);
  return score_nodes(
      [&](const Vec& r, const Vec& a) {
        return kp::requested_to_capacity_ratio_score(r, a, weights, shape);
      },
      requested, allocatable);
}

Vec balanced(const std::vector<Vec>& requested, const std::vector<Vec>& allocatable) {
  return score_nodes([](const Vec& r, const Vec& a) { return kp::balanced_allocation_score(r, a); },
                     requested, allocatable);
}

Vec normalized(Vec scores, bool reverse) {
  kp::default_normalize_score(scores, kMaxNodeScore, reverse);
  return scores;
}

Vec spread_normalized(Vec scores) {
  kp::pod_topology_spread_normalize(scores);
  return scores;
}

const Vec kDefaultWeights = {1, 1};      // defaultResources: cpu, memory
const Vec kExtendedWeights = {1, 1, 1};  // extendedResourceSet: cpu, memory, abc.com/xyz

}  // namespace

// ---------------------------------------------------------------------------------------
// upstream: noderesources/least_allocated_test.go, TestLeastAllocatedScoringStrategy.

TEST_CASE("LeastAllocated reproduces upstream's table", "[score_math]") {
  SECTION("nothing scheduled, nothing requested") {
    CHECK(least(kDefaultWeights, {{0, 0}, {0, 0}},
                {{4000 * kCores, 10000}, {4000 * kCores, 10000}}) == Vec{100, 100});
  }
  SECTION("nothing scheduled, resources requested, differently sized nodes") {
    // node1: cpu (4000-3000)*100/4000 = 25, memory 50 -> 37; node2: 50, 50 -> 50.
    CHECK(least(kDefaultWeights, {{3000 * kCores, 5000}, {3000 * kCores, 5000}},
                {{4000 * kCores, 10000}, {6000 * kCores, 10000}}) == Vec{37, 50});
  }
  SECTION("no resources requested, pods scheduled (pods without containers add nothing)") {
    CHECK(least(kDefaultWeights, {{0, 0}, {0, 0}},
                {{4000 * kCores, 10000}, {4000 * kCores, 10000}}) == Vec{100, 100});
  }
  SECTION("no resources requested, pods scheduled with resources") {
    CHECK(least(kDefaultWeights, {{6000 * kCores, 0}, {6000 * kCores, 5000}},
                {{10000 * kCores, 20000}, {10000 * kCores, 20000}}) == Vec{70, 57});
  }
  SECTION("resources requested, pods scheduled with resources") {
    CHECK(least(kDefaultWeights, {{6000 * kCores, 5000}, {6000 * kCores, 10000}},
                {{10000 * kCores, 20000}, {10000 * kCores, 20000}}) == Vec{57, 45});
  }
  SECTION("resources requested, pods scheduled with resources, differently sized nodes") {
    CHECK(least(kDefaultWeights, {{6000 * kCores, 5000}, {6000 * kCores, 10000}},
                {{10000 * kCores, 20000}, {10000 * kCores, 50000}}) == Vec{57, 60});
  }
  SECTION("requested resources exceed node capacity") {
    // cpu 6000 > 4000 scores 0 (not negative); memory 100 and 50.
    CHECK(least(kDefaultWeights, {{6000 * kCores, 0}, {6000 * kCores, 5000}},
                {{4000 * kCores, 10000}, {4000 * kCores, 10000}}) == Vec{50, 25});
  }
  SECTION("zero node resources, pods scheduled with resources") {
    CHECK(least(kDefaultWeights, {{3000 * kCores, 0}, {3000 * kCores, 5000}}, {{0, 0}, {0, 0}}) ==
          Vec{0, 0});
  }
  SECTION("resources requested with different weight on CPU and memory") {
    // Resources in config order: memory (weight 2), cpu (weight 1).
    // node1: (50*2 + 25*1) / 3 = 41; node2: (50*2 + 50*1) / 3 = 50.
    CHECK(least({2, 1}, {{5000, 3000 * kCores}, {5000, 3000 * kCores}},
                {{10000, 4000 * kCores}, {10000, 6000 * kCores}}) == Vec{41, 50});
  }
  SECTION("bypass extended resource if the pod does not request") {
    // The caller passes allocatable 0 for the unrequested extended resource on node2; counted,
    // it would have scored 100 and lifted node2 to 66.
    CHECK(least(kExtendedWeights, {{3000 * kCores, 5000, 0}, {3000 * kCores, 5000, 0}},
                {{6000 * kCores, 10000, 0}, {6000 * kCores, 10000, 0}}) == Vec{50, 50});
  }
  SECTION("honor extended resource if the pod requests") {
    CHECK(least(kExtendedWeights, {{3000 * kCores, 5000, 2}, {3000 * kCores, 5000, 2}},
                {{6000 * kCores, 10000, 4}, {6000 * kCores, 10000, 10}}) == Vec{50, 60});
  }
  SECTION("if the node doesn't have a resource") {
    // Resources: abc.com/xyz (weight 2), cpu, memory; the pod does not request xyz, so its
    // weight is not counted: (50 + 60) / 2.
    CHECK(least({2, 1, 1}, {{0, 3000 * kCores, 4000}, {0, 3000 * kCores, 4000}},
                {{0, 6000 * kCores, 10000}, {0, 6000 * kCores, 10000}}) == Vec{55, 55});
  }
}

TEST_CASE("LeastAllocated edge cases", "[score_math]") {
  // Upstream's "Resources not set" case returns MinNodeScore (with an Error status from the
  // plugin): no resources give 0.
  CHECK(kp::least_allocated_score({}, {}, {}) == 0);
  CHECK(kp::least_requested_score(0, 0) == 0);
  CHECK(kp::least_requested_score(1, 3) == 66);  // hand: 2*100/3 = 66.67, truncated
  // Hand: 2^61 of 2^62 bytes is half free; the int64 product (2^61 * 100) would overflow.
  CHECK(kp::least_requested_score(std::int64_t{1} << 61, std::int64_t{1} << 62) == 50);
}

// ---------------------------------------------------------------------------------------
// upstream: noderesources/most_allocated_test.go, TestMostAllocatedScoringStrategy.

TEST_CASE("MostAllocated reproduces upstream's table", "[score_math]") {
  SECTION("nothing scheduled, nothing requested") {
    CHECK(most(kDefaultWeights, {{0, 0}, {0, 0}},
               {{4000 * kCores, 10000}, {4000 * kCores, 10000}}) == Vec{0, 0});
  }
  SECTION("nothing scheduled, resources requested, differently sized nodes") {
    CHECK(most(kDefaultWeights, {{3000 * kCores, 5000}, {3000 * kCores, 5000}},
               {{4000 * kCores, 10000}, {6000 * kCores, 10000}}) == Vec{62, 50});
  }
  SECTION("no resources requested, pods scheduled with resources") {
    CHECK(most(kDefaultWeights, {{6000 * kCores, 0}, {6000 * kCores, 5000}},
               {{10000 * kCores, 20000}, {10000 * kCores, 20000}}) == Vec{30, 42});
  }
  SECTION("resources requested, pods scheduled with resources") {
    CHECK(most(kDefaultWeights, {{6000 * kCores, 5000}, {6000 * kCores, 10000}},
               {{10000 * kCores, 20000}, {10000 * kCores, 20000}}) == Vec{42, 55});
  }
  SECTION("resources requested equal node capacity") {
    CHECK(most(kDefaultWeights, {{5000 * kCores, 9000}, {5000 * kCores, 9000}},
               {{5000 * kCores, 10000}, {10000 * kCores, 9000}}) == Vec{95, 75});
  }
  SECTION("nothing scheduled, resources requested, different weights (memory 2, cpu 1)") {
    CHECK(most({2, 1}, {{5000, 3000 * kCores}, {5000, 3000 * kCores}},
               {{10000, 4000 * kCores}, {10000, 6000 * kCores}}) == Vec{58, 50});
  }
  SECTION("no resources requested, pods scheduled, nonzero request for resource") {
    // Nodes: 250m, 1000Mi. node1 holds two pods with one request-less container each; the
    // incoming pod has one too. Each counts 100m / 200Mi: node1 cpu 300m > 250m clamps to
    // 100, memory 600/1000 -> 60, score 80; node2 cpu 40, memory 20, score 30.
    const kp::NonZeroRequest c = kp::non_zero_request(std::nullopt, std::nullopt);
    const Vec node1 = {3 * c.milli_cpu, 3 * c.memory};
    const Vec node2 = {c.milli_cpu, c.memory};
    CHECK(most(kDefaultWeights, {node1, node2}, {{250, 1000 * kMiB}, {250, 1000 * kMiB}}) ==
          Vec{80, 30});
  }
  SECTION("bypass extended resource if the pod does not request") {
    CHECK(most(kExtendedWeights, {{3000 * kCores, 5000, 0}, {3000 * kCores, 5000, 0}},
               {{6000 * kCores, 10000, 0}, {6000 * kCores, 10000, 0}}) == Vec{50, 50});
  }
  SECTION("honor extended resource if the pod request") {
    CHECK(most(kExtendedWeights, {{3000 * kCores, 5000, 2}, {3000 * kCores, 5000, 2}},
               {{6000 * kCores, 10000, 4}, {6000 * kCores, 10000, 10}}) == Vec{50, 40});
  }
  SECTION("if the node doesn't have a resource") {
    CHECK(most({2, 1, 1}, {{0, 3000 * kCores, 4000}, {0, 3000 * kCores, 4000}},
               {{0, 6000 * kCores, 10000}, {0, 6000 * kCores, 10000}}) == Vec{45, 45});
  }
}

TEST_CASE("MostAllocated clamps over-requested resources instead of scoring them 0",
          "[score_math]") {
  // Hand: LeastAllocated drops an over-requested resource to 0, MostAllocated to full.
  CHECK(kp::most_requested_score(300, 250) == 100);
  CHECK(kp::least_requested_score(300, 250) == 0);
  CHECK(kp::most_requested_score(5, 0) == 0);
}

// ---------------------------------------------------------------------------------------
// upstream: pkg/scheduler/util (DefaultMilliCPURequest, DefaultMemoryRequest) through
// resource_allocation.go's NonMissingContainerRequests.

TEST_CASE("non-zero requests replace only missing requests", "[score_math]") {
  const kp::NonZeroRequest missing = kp::non_zero_request(std::nullopt, std::nullopt);
  CHECK(missing.milli_cpu == 100);
  CHECK(missing.memory == 200 * 1024 * 1024);

  const kp::NonZeroRequest explicit_zero = kp::non_zero_request(0, 0);
  CHECK(explicit_zero.milli_cpu == 0);
  CHECK(explicit_zero.memory == 0);

  const kp::NonZeroRequest mixed = kp::non_zero_request(250, std::nullopt);
  CHECK(mixed.milli_cpu == 250);
  CHECK(mixed.memory == 200 * kMiB);
}

// ---------------------------------------------------------------------------------------
// upstream: noderesources/requested_to_capacity_ratio_test.go.

TEST_CASE("broken-linear function reproduces TestBrokenLinearFunction", "[score_math]") {
  struct Assertion {
    std::int64_t p;
    std::int64_t expected;
  };
  SECTION("case_0: {10:1, 90:9}") {
    const std::vector<ShapePoint> shape = {{10, 1}, {90, 9}};
    const std::vector<Assertion> table = {{-10, 1}, {0, 1},  {9, 1},  {10, 1}, {15, 1},  {19, 1},
                                          {20, 2},  {89, 8}, {90, 9}, {99, 9}, {100, 9}, {110, 9}};
    for (const Assertion a : table) {
      INFO("p = " << a.p);
      CHECK(kp::broken_linear(shape, a.p) == a.expected);
    }
  }
  SECTION("case_1: {0:2, 40:10, 100:0} (a falling segment truncates toward zero)") {
    const std::vector<ShapePoint> shape = {{0, 2}, {40, 10}, {100, 0}};
    for (const Assertion a : std::vector<Assertion>{
             {-10, 2}, {0, 2}, {20, 6}, {30, 8}, {40, 10}, {70, 5}, {100, 0}, {110, 0}}) {
      INFO("p = " << a.p);
      CHECK(kp::broken_linear(shape, a.p) == a.expected);
    }
  }
  SECTION("case_2: {0:2, 40:2, 100:2}") {
    const std::vector<ShapePoint> shape = {{0, 2}, {40, 2}, {100, 2}};
    for (const std::int64_t p : {-10, 0, 20, 30, 40, 70, 100, 110}) {
      INFO("p = " << p);
      CHECK(kp::broken_linear(shape, p) == 2);
    }
  }
  SECTION("hand: 71 on the falling segment") {
    // 10 + (0 - 10) * (71 - 40) / 60 = 10 + (-310 / 60) = 10 - 5 = 5 (floor would give 4).
    const std::vector<ShapePoint> shape = {{0, 2}, {40, 10}, {100, 0}};
    CHECK(kp::broken_linear(shape, 71) == 5);
  }
}

TEST_CASE("RequestedToCapacityRatio reproduces upstream's tables", "[score_math]") {
  SECTION("TestRequestedToCapacityRatioScoringStrategy, shape {0:10, 100:0}") {
    const std::vector<ShapePoint> shape = {{0, 10}, {100, 0}};
    // nothing scheduled, nothing requested (default - least requested nodes have priority)
    CHECK(rtcr(kDefaultWeights, shape, {{0, 0}, {0, 0}},
               {{4000 * kCores, 10000}, {4000 * kCores, 10000}}) == Vec{100, 100});
    // nothing scheduled, resources requested, differently sized nodes: node1 cpu 75% -> 25,
    // memory 50% -> 50, round(37.5) = 38; node2 50, 50 -> 50.
    CHECK(rtcr(kDefaultWeights, shape, {{3000 * kCores, 5000}, {3000 * kCores, 5000}},
               {{4000 * kCores, 10000}, {6000 * kCores, 10000}}) == Vec{38, 50});
    // no resources requested, pods scheduled with resources: the same totals.
    CHECK(rtcr(kDefaultWeights, shape, {{3000 * kCores, 5000}, {3000 * kCores, 5000}},
               {{4000 * kCores, 10000}, {6000 * kCores, 10000}}) == Vec{38, 50});
  }
  const std::vector<ShapePoint> bin_packing = {{0, 0}, {100, 1}};
  SECTION("TestResourceBinPackingSingleExtended, intel.com/foo weight 1") {
    const Vec w = {1};
    // nothing scheduled, nothing requested: foo not requested -> skipped -> 0.
    CHECK(rtcr(w, bin_packing, {{0}, {0}}, {{0}, {0}}) == Vec{0, 0});
    // resources requested, pods scheduled with less resources: 2/8 -> 25 -> 2; 2/4 -> 5.
    CHECK(rtcr(w, bin_packing, {{2}, {2}}, {{8}, {4}}) == Vec{2, 5});
    // ... on node with existing pod running: node2 (2+2)/4 -> 100 -> 10.
    CHECK(rtcr(w, bin_packing, {{2}, {4}}, {{8}, {4}}) == Vec{2, 10});
    // resources requested, pods scheduled with more resources.
    CHECK(rtcr(w, bin_packing, {{4}, {4}}, {{8}, {4}}) == Vec{5, 10});
  }
  SECTION("TestResourceBinPackingMultipleExtended, foo weight 3, bar weight 5") {
    const Vec w = {3, 5};
    // node1 foo 8 bar 4; node2 foo 4 bar 8.
    const std::vector<Vec> alloc = {{8, 4}, {4, 8}};
    CHECK(rtcr(w, bin_packing, {{0, 0}, {0, 0}}, {{0, 0}, {0, 0}}) == Vec{0, 0});
    // (2*3 + 5*5)/8 = 3.875 -> 4; (5*3 + 2*5)/8 = 3.125 -> 3.
    CHECK(rtcr(w, bin_packing, {{2, 2}, {2, 2}}, alloc) == Vec{4, 3});
    // node2 already runs foo 4, bar 2: foo 6 > 4 -> 10, bar 4/8 -> 5: 55/8 = 6.875 -> 7.
    CHECK(rtcr(w, bin_packing, {{2, 2}, {6, 4}}, alloc) == Vec{4, 7});
    // (5*3 + 5*5)/8 = 5; (10*3 + 2*5)/8 = 5.
    CHECK(rtcr(w, bin_packing, {{4, 2}, {4, 2}}, alloc) == Vec{5, 5});
  }
}

TEST_CASE("RequestedToCapacityRatio scales the shape before interpolating", "[score_math]") {
  // Hand: user shape {10:1, 90:9} scales to {10:10, 90:90}, so 19% scores 19 (interpolating
  // the unscaled shape would give 1, i.e. 10 after scaling).
  const std::vector<ShapePoint> shape = scaled({{10, 1}, {90, 9}});
  CHECK(shape[0].score == 10);
  CHECK(shape[1].score == 90);
  CHECK(kp::requested_to_capacity_ratio_score(Vec{19}, Vec{100}, Vec{1}, shape) == 19);
  CHECK(kp::requested_to_capacity_ratio_score(Vec{89}, Vec{100}, Vec{1}, shape) == 89);
}

TEST_CASE("RequestedToCapacityRatio leaves resources scoring 0 out of both sums", "[score_math]") {
  // Hand, shape {0:0, 100:10}: cpu at 0% scores 0 and is dropped with its weight, so memory
  // at 50% alone gives 50 rather than (0 + 50) / 2 = 25.
  const std::vector<ShapePoint> shape = scaled({{0, 0}, {100, 10}});
  CHECK(kp::requested_to_capacity_ratio_score(Vec{0, 500}, Vec{1000, 1000}, Vec{1, 1}, shape) ==
        50);
  // Both at 0: no weight at all -> 0.
  CHECK(kp::requested_to_capacity_ratio_score(Vec{0, 0}, Vec{1000, 1000}, Vec{1, 1}, shape) == 0);
  // Hand: round half away from zero: (1*1 + 2*1) / 2 = 1.5 -> 2.
  const std::vector<ShapePoint> steps = {{0, 0}, {100, 100}};
  CHECK(kp::requested_to_capacity_ratio_score(Vec{1, 2}, Vec{100, 100}, Vec{1, 1}, steps) == 2);
}

// ---------------------------------------------------------------------------------------
// upstream: noderesources/balanced_allocation_test.go, TestNodeResourcesBalancedAllocation
// (the v1.34 plain standard-deviation version).

TEST_CASE("BalancedAllocation reproduces upstream's table", "[score_math]") {
  SECTION("nothing scheduled, nothing requested, skip in PreScore") {
    CHECK(kp::balanced_allocation_skips(Vec{0, 0}));
    CHECK_FALSE(kp::balanced_allocation_skips(Vec{0, 1}));
  }
  SECTION("nothing scheduled, resources requested, differently sized nodes") {
    // node1: |0.75 - 0.5| / 2 = 0.125 -> 87; node2: 0.5, 0.5 -> 100.
    CHECK(balanced({{3000, 5000}, {3000, 5000}}, {{4000, 10000}, {6000, 10000}}) == Vec{87, 100});
  }
  SECTION("resources requested, pods scheduled with resources") {
    CHECK(balanced({{6000, 5000}, {6000, 10000}}, {{10000, 20000}, {10000, 20000}}) == Vec{82, 95});
  }
  SECTION("resources requested, pods scheduled with resources, differently sized nodes") {
    CHECK(balanced({{6000, 5000}, {6000, 10000}}, {{10000, 20000}, {10000, 50000}}) == Vec{82, 80});
  }
  SECTION("requested resources at node capacity") {
    CHECK(balanced({{6000, 0}, {6000, 5000}}, {{6000, 10000}, {6000, 10000}}) == Vec{50, 75});
  }
  SECTION("include scalar resource on a node for balanced resource allocation") {
    // cpu, memory, nvidia.com/gpu: node1 3000/3500, 5000/40000, 4/8 -> 70;
    // node2 3000/3500, 5000/40000, 1/8 -> 65.
    CHECK(balanced({{3000, 5000, 4}, {3000, 5000, 1}}, {{3500, 40000, 8}, {3500, 40000, 8}}) ==
          Vec{70, 65});
  }
  SECTION("node without the scalar resource should skip the scalar resource") {
    // The pod requests no GPU, so the GPU is passed with allocatable 0 on both nodes.
    CHECK(balanced({{3000, 5000, 0}, {3000, 5000, 0}}, {{3500, 40000, 0}, {3500, 40000, 0}}) ==
          Vec{63, 63});
  }
  SECTION("include DRA resource on a node for balanced resource allocation") {
    // node1 has 8 devices of the DRA-backed extended resource, node2 none (skipped).
    CHECK(balanced({{3000, 0, 1}, {3000, 5000, 0}}, {{3500, 40000, 8}, {3500, 40000, 0}}) ==
          Vec{62, 63});
  }
}

TEST_CASE("BalancedAllocation edge cases", "[score_math]") {
  // Hand: one resource, or none, has no spread -> 100.
  CHECK(kp::balanced_allocation_score(Vec{7}, Vec{10}) == 100);
  CHECK(kp::balanced_allocation_score(Vec{}, Vec{}) == 100);
  // Hand: fractions are capped at 1: 3x over on cpu counts as 1, memory 0 -> std 0.5 -> 50.
  CHECK(kp::balanced_allocation_score(Vec{300, 0}, Vec{100, 100}) == 50);
  // Hand: three equal fractions -> 100; {1, 0, 0}: mean 1/3, std sqrt(2/9) = 0.4714 -> 52.
  CHECK(kp::balanced_allocation_score(Vec{5, 10, 20}, Vec{10, 20, 40}) == 100);
  CHECK(kp::balanced_allocation_score(Vec{10, 0, 0}, Vec{10, 10, 10}) == 52);
}

// ---------------------------------------------------------------------------------------
// upstream: helper/normalize_score_test.go, TestDefaultNormalizeScore.

TEST_CASE("DefaultNormalizeScore reproduces upstream's table", "[score_math]") {
  CHECK(normalized({1, 2, 3, 4}, false) == Vec{25, 50, 75, 100});
  CHECK(normalized({1, 2, 3, 4}, true) == Vec{75, 50, 25, 0});
  CHECK(normalized({1000, 10, 20, 30}, false) == Vec{100, 1, 2, 3});
  CHECK(normalized({1000, 10, 20, 30}, true) == Vec{0, 99, 98, 97});
  CHECK(normalized({1, 1, 1, 1}, false) == Vec{100, 100, 100, 100});
  CHECK(normalized({1000, 1, 1, 1}, false) == Vec{100, 0, 0, 0});
  CHECK(normalized({0, 1, 1, 1}, true) == Vec{100, 0, 0, 0});
}

TEST_CASE("DefaultNormalizeScore with an all-zero maximum", "[score_math]") {
  // Hand, per normalize_score.go: a zero maximum leaves scores alone, or sets all to the
  // maximum priority when reversed (TaintToleration: no node has an intolerable taint).
  Vec affinity = {0, 0, 0};
  kp::node_affinity_normalize(affinity);
  CHECK(affinity == Vec{0, 0, 0});
  Vec taints = {0, 0, 0};
  kp::taint_toleration_normalize(taints);
  CHECK(taints == Vec{100, 100, 100});
  // Hand: taints 0, 1, 2 intolerable PreferNoSchedule taints -> 100, 50, 0.
  Vec some_taints = {0, 1, 2};
  kp::taint_toleration_normalize(some_taints);
  CHECK(some_taints == Vec{100, 50, 0});
}

// ---------------------------------------------------------------------------------------
// upstream: podtopologyspread/scoring_test.go, TestPodTopologySpreadScore. Counts are the
// matching pods per node (or zone); #domains for hostname is the number of filtered nodes.

namespace {

// Raw scores of nodes under one constraint, then normalized.
Vec spread_one_constraint(const Vec& counts, std::int32_t max_skew, std::int64_t domains) {
  const double w = kp::topology_normalizing_weight(domains);
  Vec raw;
  for (const std::int64_t c : counts) {
    const std::array<TopologySpreadTerm, 1> terms = {TopologySpreadTerm{c, max_skew, w}};
    raw.push_back(kp::pod_topology_spread_raw_score(terms));
  }
  return spread_normalized(raw);
}

}  // namespace

TEST_CASE("PodTopologySpread scoring reproduces upstream's table", "[score_math]") {
  SECTION("one constraint on node, no existing pods") {
    CHECK(spread_one_constraint({0, 0}, 1, 2) == Vec{100, 100});
  }
  SECTION("one constraint on node, only one node is candidate") {
    CHECK(spread_one_constraint({2}, 1, 1) == Vec{100});
  }
  SECTION("one constraint on node, all nodes have the same number of matching pods") {
    CHECK(spread_one_constraint({1, 1}, 1, 2) == Vec{100, 100});
  }
  SECTION("one constraint on node, all 4 nodes are candidates") {
    // Weight ln 6; raw 2*1.79 = 3.58 -> 4, 2, 0, 5.37 -> 5; 100 * (5 + 0 - raw) / 5.
    CHECK(spread_one_constraint({2, 1, 0, 3}, 1, 4) == Vec{20, 60, 100, 0});
  }
  SECTION("one constraint on node, all 4 nodes are candidates, maxSkew=2") {
    CHECK(spread_one_constraint({2, 1, 0, 3}, 2, 4) == Vec{33, 66, 100, 16});
  }
  SECTION("one constraint on node, all 4 nodes are candidates, maxSkew=3") {
    CHECK(spread_one_constraint({4, 3, 2, 1}, 3, 4) == Vec{44, 66, 77, 100});
  }
  SECTION("one constraint on node, 3 out of 4 nodes are candidates") {
    // node-y (3 pods) is not a candidate: 3 filtered nodes, weight ln 5.
    CHECK(spread_one_constraint({4, 2, 1}, 1, 3) == Vec{33, 83, 100});
  }
  SECTION("one constraint on node, 3 out of 4 nodes are candidates, one doesn't match key") {
    // node-b lacks the hostname label: ignored, so #domains = 3 - 1 and it scores 0.
    const double w = kp::topology_normalizing_weight(2);
    const std::array<TopologySpreadTerm, 1> a = {TopologySpreadTerm{4, 1, w}};
    const std::array<TopologySpreadTerm, 1> x = {TopologySpreadTerm{1, 1, w}};
    Vec raw = {kp::pod_topology_spread_raw_score(a), kp::kTopologySpreadIgnoredNode,
               kp::pod_topology_spread_raw_score(x)};
    CHECK(spread_normalized(raw) == Vec{16, 0, 100});
  }
  SECTION("one constraint on zone, 3 out of 4 nodes are candidates") {
    // zone1 = 4 + 2 = 6 matching pods, zone2 = 1 + 3 (node-y counts although not a
    // candidate); 2 zones among candidates.
    CHECK(spread_one_constraint({6, 6, 4}, 1, 2) == Vec{75, 75, 100});
  }
  SECTION("two Constraints on zone and node, 2 out of 4 nodes are candidates") {
    // zone1 = 2 + 1 = 3, zone2 = 2 + 4 = 6; per node a = 2, x = 2; both weights ln 4.
    const double zone_w = kp::topology_normalizing_weight(2);
    const double node_w = kp::topology_normalizing_weight(2);
    const std::array<TopologySpreadTerm, 2> a = {TopologySpreadTerm{3, 1, zone_w},
                                                 TopologySpreadTerm{2, 1, node_w}};
    const std::array<TopologySpreadTerm, 2> x = {TopologySpreadTerm{6, 1, zone_w},
                                                 TopologySpreadTerm{2, 1, node_w}};
    Vec raw = {kp::pod_topology_spread_raw_score(a), kp::pod_topology_spread_raw_score(x)};
    CHECK(raw == Vec{7, 11});
    CHECK(spread_normalized(raw) == Vec{100, 63});
  }
}

TEST_CASE("PodTopologySpread weights, raw scores and normalization edge cases", "[score_math]") {
  // Hand: ln(#domains + 2).
  CHECK(kp::topology_normalizing_weight(0) == Approx(std::log(2.0)));
  CHECK(kp::topology_normalizing_weight(4998) == Approx(std::log(5000.0)));
  // Hand: maxSkew - 1 is added even with no matching pods.
  CHECK(kp::topology_spread_score_for_count(0, 5, 1.5) == 4.0);
  // Hand: the sum is rounded half away from zero: 1 * 0.5 + 0 = 0.5 -> 1, 2.5 -> 3.
  const std::array<TopologySpreadTerm, 1> half = {TopologySpreadTerm{1, 1, 0.5}};
  CHECK(kp::pod_topology_spread_raw_score(half) == 1);
  const std::array<TopologySpreadTerm, 2> two_halves = {TopologySpreadTerm{1, 1, 0.5},
                                                        TopologySpreadTerm{4, 1, 0.5}};
  CHECK(kp::pod_topology_spread_raw_score(two_halves) == 3);
  // Per scoring.go: every raw score 0 -> 100; ignored nodes -> 0; all ignored -> all 0.
  CHECK(spread_normalized({0, 0, kp::kTopologySpreadIgnoredNode}) == Vec{100, 100, 0});
  CHECK(spread_normalized({kp::kTopologySpreadIgnoredNode, kp::kTopologySpreadIgnoredNode}) ==
        Vec{0, 0});
  // Hand: min and max ignore the ignored node: 100 * (8 + 2 - s) / 8.
  CHECK(spread_normalized({2, kp::kTopologySpreadIgnoredNode, 8, 5}) == Vec{100, 0, 25, 62});
}

// ---------------------------------------------------------------------------------------
// upstream: imagelocality/image_locality_test.go, TestImageLocalityPriority (the table with
// the per-container maximum threshold and init containers).

namespace {

struct Image {
  std::int64_t size_mib;
  std::int64_t nodes_with_image;
};

std::int64_t image_score(const std::vector<Image>& present_on_node, std::int64_t total_nodes,
                         std::int64_t containers) {
  std::int64_t sum = 0;
  for (const Image& i : present_on_node) {
    sum += kp::scaled_image_score(i.size_mib * kMiB, i.nodes_with_image, total_nodes);
  }
  return kp::image_locality_score(sum, containers);
}

}  // namespace

TEST_CASE("ImageLocality reproduces upstream's table", "[score_math]") {
  SECTION("two images spread on two nodes, prefer the larger image one") {
    // Pod gcr.io/40, gcr.io/250. node1 has 40 (1 of 2 nodes), node2 has 250 (1 of 2).
    CHECK(image_score({{40, 1}}, 2, 2) == 0);
    CHECK(image_score({{250, 1}}, 2, 2) == 5);
  }
  SECTION("two images on one node, prefer this node") {
    CHECK(image_score({{40, 1}, {300, 1}}, 2, 2) == 7);
    CHECK(image_score({}, 2, 2) == 0);
  }
  SECTION("if exceed limit, use limit") {
    // Pod gcr.io/10, gcr.io/4000: 4000 MiB on 1 of 2 nodes reaches the 2 x 1000 MiB cap.
    CHECK(image_score({{4000, 1}}, 2, 2) == 100);
    CHECK(image_score({{10, 1}}, 2, 2) == 0);
  }
  SECTION("if exceed limit, use limit (with node which has no images present)") {
    CHECK(image_score({{4000, 1}}, 3, 2) == 66);
    CHECK(image_score({{10, 1}}, 3, 2) == 0);
    CHECK(image_score({}, 3, 2) == 0);
  }
  SECTION("pod with multiple large images, node2 is preferred") {
    // 300 on 1 of 3 nodes, 600 and 900 on 2 of 3.
    CHECK(image_score({{600, 2}, {900, 2}}, 3, 3) == 32);
    CHECK(image_score({{300, 1}, {600, 2}, {900, 2}}, 3, 3) == 36);
    CHECK(image_score({}, 3, 3) == 0);
  }
  SECTION("pod with multiple small images") {
    // 30 on both nodes, 40 on node1 only.
    CHECK(image_score({{30, 2}, {40, 1}}, 2, 2) == 1);
    CHECK(image_score({{30, 2}}, 2, 2) == 0);
  }
  SECTION("include InitContainers: two images spread on two nodes, prefer the larger one") {
    // Init gcr.io/300 + app gcr.io/30: two containers count towards the threshold.
    CHECK(image_score({{300, 1}}, 2, 2) == 6);
    CHECK(image_score({{30, 1}}, 2, 2) == 0);
  }
}

TEST_CASE("ImageLocality scaling and thresholds", "[score_math]") {
  // Hand: int64(size * nodes/total) truncates: 10 bytes on 1 of 3 nodes -> 3.
  CHECK(kp::scaled_image_score(10, 1, 3) == 3);
  CHECK(kp::scaled_image_score(1000, 3, 3) == 1000);
  // Hand: a 10 GiB model image cached on every node saturates a one-container pod.
  CHECK(kp::image_locality_score(kp::scaled_image_score(10240 * kMiB, 50, 50), 1) == 100);
  // Hand: exactly the minimum threshold scores 0; one MiB above, 100 * 1 / 977 = 0; 500 MiB
  // for one container: 100 * 477 / 977 = 48.
  CHECK(kp::image_locality_score(23 * kMiB, 1) == 0);
  CHECK(kp::image_locality_score(500 * kMiB, 1) == 48);
  // Per image_locality.go: a pod without containers sums nothing and scores 0.
  CHECK(kp::image_locality_score(0, 0) == 0);
}

// ---------------------------------------------------------------------------------------
// upstream: schedule_one_test.go, TestNumFeasibleNodesToFind and TestFairEvaluationForNodes;
// the adaptive examples from the reference notes (§2.4).

TEST_CASE("numFeasibleNodesToFind reproduces upstream's table", "[score_math]") {
  // not set percentageOfNodesToScore and nodes number not more than 50
  CHECK(kp::num_feasible_nodes_to_find(10, 0) == 10);
  // set percentageOfNodesToScore and nodes number not more than 50
  CHECK(kp::num_feasible_nodes_to_find(10, 40) == 10);
  // not set percentageOfNodesToScore and nodes number more than 50
  CHECK(kp::num_feasible_nodes_to_find(1000, 0) == 420);
  // set percentageOfNodesToScore and nodes number more than 50
  CHECK(kp::num_feasible_nodes_to_find(1000, 40) == 400);
  // not set percentageOfNodesToScore and nodes number more than 50*125
  CHECK(kp::num_feasible_nodes_to_find(6000, 0) == 300);
  // set percentageOfNodesToScore and nodes number more than 50*125
  CHECK(kp::num_feasible_nodes_to_find(6000, 40) == 2400);
}

TEST_CASE("numFeasibleNodesToFind adaptive percentage examples", "[score_math]") {
  CHECK(kp::num_feasible_nodes_to_find(100, 0) == 100);
  CHECK(kp::num_feasible_nodes_to_find(500, 0) == 230);   // 46%
  CHECK(kp::num_feasible_nodes_to_find(2000, 0) == 680);  // 34%
  CHECK(kp::num_feasible_nodes_to_find(5000, 0) == 500);  // 10%
  CHECK(kp::num_feasible_nodes_to_find(150, 0) == 100);   // 49% = 73, floor of 100
  // Hand: below 100 nodes all are searched; 100% searches all; 5% floor at 6250+ nodes.
  CHECK(kp::num_feasible_nodes_to_find(99, 0) == 99);
  CHECK(kp::num_feasible_nodes_to_find(0, 0) == 0);
  CHECK(kp::num_feasible_nodes_to_find(1000, 100) == 1000);
  CHECK(kp::num_feasible_nodes_to_find(15000, 0) == 750);
}

TEST_CASE("filtering start rotates round-robin (TestFairEvaluationForNodes)", "[score_math]") {
  // 500 nodes, percentageOfNodesToScore 30 -> 150 per cycle; after cycle i the start is
  // (i + 1) * 150 mod 500.
  const std::int32_t to_find = kp::num_feasible_nodes_to_find(500, 30);
  REQUIRE(to_find == 150);
  std::int64_t start = 0;
  for (std::int64_t i = 0; i < 2 * (500 / to_find + 1); ++i) {
    start = kp::next_start_node_index(start, to_find, 500);
    CHECK(start == (i + 1) * to_find % 500);
  }
}

// ---------------------------------------------------------------------------------------
// upstream: schedule_one_test.go, TestSelectHost, plus the documented draw sequence.

TEST_CASE("selectHost picks among the highest scores (TestSelectHost)", "[score_math]") {
  kubesim::sim::Rng rng(42);
  for (int trial = 0; trial < 20; ++trial) {
    // unique properly ordered scores
    CHECK(kp::select_host(Vec{1, 2}, rng) == std::optional<std::size_t>(1));
    // equal scores: machine1.2, machine1.3, machine2.1
    const auto equal = kp::select_host(Vec{1, 2, 2, 2}, rng);
    REQUIRE(equal.has_value());
    CHECK(*equal >= 1);
    // out of order scores: machine1.1, machine1.2, machine1.3
    const auto out_of_order = kp::select_host(Vec{3, 3, 2, 1, 3}, rng);
    REQUIRE(out_of_order.has_value());
    CHECK((*out_of_order == 0 || *out_of_order == 1 || *out_of_order == 4));
  }
  // empty priority list
  CHECK_FALSE(kp::select_host(Vec{}, rng).has_value());
}

TEST_CASE("selectHost draws below(2), ..., below(k) over the k tied nodes in index order",
          "[score_math]") {
  SECTION("a unique maximum draws nothing") {
    kubesim::sim::Rng rng(7);
    kubesim::sim::Rng untouched = rng;
    CHECK(kp::select_host(Vec{5, 9, 3, 8}, rng) == std::optional<std::size_t>(1));
    CHECK(rng.next_u64() == untouched.next_u64());
  }
  SECTION("k ties consume exactly the documented draws") {
    const Vec scores = {4, 9, 1, 9, 9, 2, 9};  // ties at indices 1, 3, 4, 6
    for (std::uint64_t seed = 1; seed <= 50; ++seed) {
      kubesim::sim::Rng rng(seed);
      kubesim::sim::Rng replay = rng;
      // Replay the contract by hand: tied node j (j = 2..4) replaces the candidate on a 0.
      const std::array<std::size_t, 4> tied = {1, 3, 4, 6};
      std::size_t expected = tied[0];
      for (std::uint64_t j = 2; j <= tied.size(); ++j) {
        if (replay.below(j) == 0) expected = tied[j - 1];
      }
      INFO("seed " << seed);
      CHECK(kp::select_host(scores, rng) == std::optional<std::size_t>(expected));
      CHECK(rng.next_u64() == replay.next_u64());  // same number of draws
    }
  }
  SECTION("the same seed gives the same choice") {
    kubesim::sim::Rng a(2024);
    kubesim::sim::Rng b(2024);
    const Vec scores = {7, 7, 7, 7, 7, 7, 7, 7};
    for (int i = 0; i < 100; ++i) CHECK(kp::select_host(scores, a) == kp::select_host(scores, b));
  }
}

TEST_CASE("selectHost is uniform over tied nodes", "[score_math]") {
  // Three of five nodes tie. With a fixed seed the counts are fixed; each must be within 3%
  // of 1/3 over 30,000 picks (the standard deviation of one count is ~82, i.e. 0.27%).
  kubesim::sim::Rng rng(12345);
  const Vec scores = {300, 100, 300, 250, 300};
  std::array<int, 5> picks{};
  constexpr int kTrials = 30000;
  for (int i = 0; i < kTrials; ++i) {
    const auto chosen = kp::select_host(scores, rng);
    REQUIRE(chosen.has_value());
    ++picks[*chosen];
  }
  CHECK(picks[1] == 0);
  CHECK(picks[3] == 0);
  for (const std::size_t tied : {0u, 2u, 4u}) {
    INFO("node " << tied);
    CHECK(std::abs(picks[tied] - kTrials / 3) < kTrials * 3 / 100);
  }
}
