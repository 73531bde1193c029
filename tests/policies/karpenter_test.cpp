// Karpenter-style provisioner (policies/karpenter.hpp): the cheapest set of new nodes for
// pending pods under the documented packing heuristic, with expected launches by hand, and
// consolidation (empty nodes, single-node delete, replace by a cheaper type, spot rules,
// do-not-disrupt, consolidateAfter) per karpenter.sh/docs/concepts/disruption.
#include "policies/karpenter.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "tests/policies/autoscaler_fixtures.hpp"

namespace {

namespace kp = kubesim::policies;
namespace sim = kubesim::sim;
using kubesim::models::sched::PodInfo;
using kubesim::testing::kGi;
using kubesim::testing::make_pool;
using kubesim::testing::owned_pod;
using kubesim::testing::TestCluster;
using PodInfoPtr = std::shared_ptr<const PodInfo>;
using Kind = kp::KarpenterActions::Kind;

constexpr sim::Duration kS = sim::kSecond;

kp::KarpenterOffering offering(std::string name, std::int64_t cpu, double price, bool spot = false,
                               std::int64_t gpus = 0) {
  kp::KarpenterOffering o;
  o.pool = make_pool(std::move(name), cpu, 4 * cpu / 1000 * kGi, price, gpus);
  o.spot = spot;
  return o;
}

std::vector<PodInfoPtr> pods(const std::string& prefix, int n, std::int64_t cpu) {
  std::vector<PodInfoPtr> out;
  for (int i = 0; i < n; ++i) out.push_back(owned_pod(prefix + std::to_string(i), cpu, kGi).info());
  return out;
}

kp::KarpenterView view_of(const TestCluster& c, const std::vector<PodInfoPtr>& pending) {
  kp::KarpenterView v;
  v.nodes = &c.snapshot;
  v.pending_pods = pending;
  return v;
}

double total_price(const std::vector<kp::KarpenterLaunch>& launches) {
  double sum = 0;
  for (const auto& l : launches) sum += l.price_per_hour;
  return sum;
}

}  // namespace

// ---- Provisioning ------------------------------------------------------------------------------

TEST_CASE("karpenter: small pods go on the cheapest nodes, not one big node", "[karpenter]") {
  auto filter = kubesim::testing::default_filter();
  kubesim::models::sched::Snapshot work;
  std::vector<kp::KarpenterOffering> offs = {offering("large", 16000, 1.00),
                                             offering("small", 4000, 0.10)};
  // 5 x 1 CPU. Batch 1: small takes 4 (0.025 $/pod), large 5 (0.20 $/pod) -> small.
  // Batch 2: the last pod: small 0.10 vs large 1.00 -> small. Total 0.20 $/h.
  auto launches = kp::provision(*filter, work, offs, pods("p", 5, 1000), -1);
  REQUIRE(launches.size() == 2);
  CHECK(launches[0].offering == "small");
  CHECK(launches[0].pods.size() == 4);
  CHECK(launches[1].offering == "small");
  CHECK(launches[1].pods.size() == 1);
  CHECK(total_price(launches) == Approx(0.20));
}

TEST_CASE("karpenter: a large pod with small ones packs on the cheaper-per-pod type",
          "[karpenter]") {
  auto filter = kubesim::testing::default_filter();
  kubesim::models::sched::Snapshot work;
  std::vector<kp::KarpenterOffering> offs = {offering("a-8", 8000, 0.40),
                                             offering("b-16", 16000, 0.70)};
  std::vector<PodInfoPtr> pending = pods("s", 8, 1000);
  pending.push_back(owned_pod("big", 6000, kGi).info());
  // Sorted: big (6), then eight 1s. a-8: 6 + 1 + 1 = 3 pods, 0.133 $/pod; b-16: 6 + 8 = 14
  // CPU, 9 pods, 0.078 $/pod -> one b-16 (0.70) instead of a-8 x 2 (0.80).
  auto launches = kp::provision(*filter, work, offs, pending, -1);
  REQUIRE(launches.size() == 1);
  CHECK(launches[0].offering == "b-16");
  CHECK(launches[0].pods.size() == 9);
  CHECK(launches[0].pods.front() == "default/big");
}

TEST_CASE("karpenter: constraints pick the offering (GPU, capacity type, too large)",
          "[karpenter]") {
  auto filter = kubesim::testing::default_filter();
  kubesim::models::sched::Snapshot work;
  std::vector<kp::KarpenterOffering> offs = {offering("cpu-spot", 8000, 0.30, /*spot=*/true),
                                             offering("cpu-od", 8000, 1.00),
                                             offering("gpu-od", 32000, 12.0, false, 8)};
  SECTION("spot is cheaper and allowed") {
    auto l = kp::provision(*filter, work, offs, pods("p", 1, 2000), -1);
    REQUIRE(l.size() == 1);
    CHECK(l[0].offering == "cpu-spot");
  }
  SECTION("a pod that asks for on-demand") {
    auto b = owned_pod("od", 2000, kGi);
    b.node_selector(std::string(kp::kLabelCapacityType), "on-demand");
    std::vector<PodInfoPtr> p = {b.info()};
    auto l = kp::provision(*filter, work, offs, p, -1);
    REQUIRE(l.size() == 1);
    CHECK(l[0].offering == "cpu-od");
  }
  SECTION("a GPU pod") {
    auto b = owned_pod("train", 4000, kGi);
    b.request("nvidia.com/gpu", 2);
    std::vector<PodInfoPtr> p = {b.info()};
    auto l = kp::provision(*filter, work, offs, p, -1);
    REQUIRE(l.size() == 1);
    CHECK(l[0].offering == "gpu-od");
  }
  SECTION("a pod no offering fits stays pending") {
    std::vector<std::string> unschedulable;
    auto l = kp::provision(*filter, work, offs, pods("huge", 1, 64000), -1, &unschedulable);
    CHECK(l.empty());
    CHECK(unschedulable == std::vector<std::string>{"default/huge0"});
  }
  SECTION("the node limit") {
    auto l = kp::provision(*filter, work, offs, pods("p", 12, 2000), 2);
    CHECK(l.size() == 2);  // 4 + 4 pods; 4 stay pending
  }
}

TEST_CASE("karpenter: existing and in-flight capacity is used before launching", "[karpenter]") {
  TestCluster c;
  std::vector<kp::KarpenterOffering> offs = {offering("small", 4000, 0.10)};
  kp::KarpenterProvisioner k(offs, {}, kubesim::testing::default_filter());
  SECTION("room on a registered node") {
    c.add_nodes(offs[0].pool, 1);
    auto a = k.step(0, view_of(c, pods("p", 3, 1000)));
    CHECK(a.launches.empty());
  }
  SECTION("launched nodes are not launched again while they register") {
    auto pending = pods("p", 6, 1000);
    auto a = k.step(0, view_of(c, pending));
    CHECK(a.launches.size() == 2);
    CHECK(k.in_flight("small") == 2);
    CHECK(k.step(10 * kS, view_of(c, pending)).launches.empty());
    // One registers: still nothing new.
    c.add_nodes(offs[0].pool, 1, 60 * kS);
    CHECK(k.step(70 * kS, view_of(c, pending)).launches.empty());
    CHECK(k.in_flight("small") == 1);
    // The other never registers: after the 15 m registration TTL it is given up and the
    // pods it was for get a new launch.
    CHECK(k.step(900 * kS, view_of(c, pending)).launches.empty());
    auto late = k.step(910 * kS, view_of(c, pending));
    CHECK(late.launches.size() == 1);
  }
}

// ---- Consolidation -----------------------------------------------------------------------------

TEST_CASE("karpenter consolidation: empty nodes after consolidateAfter", "[karpenter]") {
  TestCluster c;
  std::vector<kp::KarpenterOffering> offs = {offering("small", 4000, 0.10)};
  c.add_nodes(offs[0].pool, 2);
  c.bind("small-0", owned_pod("w", 1000, kGi));
  kp::KarpenterOptions opts;
  opts.consolidate_after = 30 * kS;
  opts.consolidation_policy = kp::ConsolidationPolicy::kWhenEmpty;
  kp::KarpenterProvisioner k(offs, opts, kubesim::testing::default_filter());
  CHECK_FALSE(k.step(10 * kS, view_of(c, {})).consolidation);
  auto a = k.step(30 * kS, view_of(c, {}));
  REQUIRE(a.consolidation);
  CHECK(a.consolidation->kind == Kind::kEmpty);
  CHECK(a.consolidation->nodes == std::vector<std::string>{"small-1"});
  CHECK(a.consolidation->savings_per_hour == Approx(0.10));
  // WhenEmpty: small-0 (a movable pod, but no room elsewhere anyway) is never touched.
  c.remove_node("small-1");
  CHECK_FALSE(k.step(40 * kS, view_of(c, {})).consolidation);
}

TEST_CASE("karpenter consolidation: delete a node whose pods fit elsewhere", "[karpenter]") {
  TestCluster c;
  std::vector<kp::KarpenterOffering> offs = {offering("large", 16000, 1.00),
                                             offering("small", 4000, 0.10)};
  c.add_nodes(offs[0].pool, 2);
  c.bind("large-0", owned_pod("a", 5000, kGi));
  c.bind("large-0", owned_pod("b", 5000, kGi));
  c.bind("large-1", owned_pod("c", 2000, kGi));  // fewest pods: first candidate; fits large-0
  SECTION("WhenEmptyOrUnderutilized") {
    kp::KarpenterProvisioner k(offs, {}, kubesim::testing::default_filter());
    auto a = k.step(10 * kS, view_of(c, {}));
    REQUIRE(a.consolidation);
    CHECK(a.consolidation->kind == Kind::kDelete);
    CHECK(a.consolidation->nodes == std::vector<std::string>{"large-1"});
    CHECK(a.consolidation->savings_per_hour == Approx(1.00));
    // large-1 is being deleted: the next pass does not pick it (or anything) again.
    CHECK_FALSE(k.step(20 * kS, view_of(c, {})).consolidation);
  }
  SECTION("a do-not-disrupt pod blocks its node") {
    auto pinned = owned_pod("pinned", 100, kGi);
    pinned.pod().metadata.annotations.set(std::string(kp::kDoNotDisruptAnnotation), "true");
    c.bind("large-1", pinned);
    kp::KarpenterProvisioner k(offs, {}, kubesim::testing::default_filter());
    auto a = k.step(10 * kS, view_of(c, {}));
    // large-0's 10 CPU of pods fit on large-1 (16 - 2.1 free): that node goes instead.
    REQUIRE(a.consolidation);
    CHECK(a.consolidation->nodes == std::vector<std::string>{"large-0"});
  }
  SECTION("no consolidation while pods are pending for new capacity") {
    kp::KarpenterProvisioner k(offs, {}, kubesim::testing::default_filter());
    auto a = k.step(10 * kS, view_of(c, pods("new", 1, 15000)));
    CHECK(a.launches.size() == 1);
    CHECK_FALSE(a.consolidation);
  }
}

TEST_CASE("karpenter consolidation: replace by a cheaper type, not spot to spot", "[karpenter]") {
  TestCluster c;
  SECTION("on-demand large -> small") {
    std::vector<kp::KarpenterOffering> offs = {offering("large", 16000, 1.00),
                                               offering("small", 4000, 0.10)};
    c.add_nodes(offs[0].pool, 1);
    c.bind("large-0", owned_pod("a", 2000, kGi));
    kp::KarpenterProvisioner k(offs, {}, kubesim::testing::default_filter());
    auto a = k.step(10 * kS, view_of(c, {}));
    REQUIRE(a.consolidation);
    CHECK(a.consolidation->kind == Kind::kReplace);
    CHECK(a.consolidation->replacement == "small");
    CHECK(a.consolidation->savings_per_hour == Approx(0.90));
    CHECK(k.in_flight("small") == 1);
  }
  SECTION("a spot node is only deleted unless SpotToSpotConsolidation") {
    std::vector<kp::KarpenterOffering> offs = {offering("large-spot", 16000, 0.40, true),
                                               offering("small-spot", 4000, 0.05, true)};
    c.add_nodes(offs[0].pool, 1);
    c.bind("large-spot-0", owned_pod("a", 2000, kGi));
    kp::KarpenterProvisioner k(offs, {}, kubesim::testing::default_filter());
    CHECK_FALSE(k.step(10 * kS, view_of(c, {})).consolidation);
    kp::KarpenterOptions opts;
    opts.spot_to_spot_consolidation = true;
    kp::KarpenterProvisioner k2(offs, opts, kubesim::testing::default_filter());
    auto a = k2.step(10 * kS, view_of(c, {}));
    REQUIRE(a.consolidation);
    CHECK(a.consolidation->kind == Kind::kReplace);
    CHECK(a.consolidation->replacement == "small-spot");
  }
  SECTION("no cheaper type fits: kept") {
    std::vector<kp::KarpenterOffering> offs = {offering("large", 16000, 1.00),
                                               offering("small", 4000, 0.10)};
    c.add_nodes(offs[0].pool, 1);
    c.bind("large-0", owned_pod("a", 6000, kGi));
    kp::KarpenterProvisioner k(offs, {}, kubesim::testing::default_filter());
    CHECK_FALSE(k.step(10 * kS, view_of(c, {})).consolidation);
  }
}

TEST_CASE("perf: karpenter provisions 1000 pending pods over 6 offerings", "[.perf]") {
  TestCluster c;
  std::vector<kp::KarpenterOffering> offs;
  for (int i = 1; i <= 6; ++i) {
    offs.push_back(offering("m" + std::to_string(i), 4000LL << i, 0.2 * (1 << i)));
  }
  kp::KarpenterProvisioner k(offs, {}, kubesim::testing::default_filter());
  auto pending = pods("p", 1000, 1000);
  const auto start = std::chrono::steady_clock::now();
  auto a = k.step(0, view_of(c, pending));
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::size_t placed = 0;
  for (const auto& l : a.launches) placed += l.pods.size();
  WARN(a.launches.size() << " launches for " << placed << " pods in " << secs << " s");
  CHECK(placed == 1000);
}
