// Karpenter-style provisioner (policies/karpenter.hpp): the cheapest set of new nodes for
// pending pods under the documented packing heuristic, with expected launches by hand, and
// consolidation (empty nodes, single-node delete, replace by a cheaper type, spot rules,
// do-not-disrupt, consolidateAfter) per karpenter.sh/docs/concepts/disruption.
#include "policies/karpenter.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <limits>
#include <optional>
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

// Karpenter's own packing (kNodeClaims, scheduler.go Solve): a pod joins the first new claim,
// fewest pods first, that some offering can still hold with all its pods; the claim launches
// the cheapest offering holding them.

TEST_CASE("karpenter: a claim grows while any type fits, then launches the cheapest",
          "[karpenter]") {
  auto filter = kubesim::testing::default_filter();
  kubesim::models::sched::Snapshot work;
  std::vector<kp::KarpenterOffering> offs = {offering("large", 16000, 1.00),
                                             offering("small", 4000, 0.10)};
  SECTION("five 1-CPU pods: small holds 4, so the claim keeps growing on large alone") {
    auto launches = kp::provision(*filter, work, offs, pods("p", 5, 1000), -1);
    REQUIRE(launches.size() == 1);
    CHECK(launches[0].offering == "large");
    CHECK(launches[0].pods.size() == 5);
    CHECK(total_price(launches) == Approx(1.00));
  }
  SECTION("twenty: large takes 16; the next claim's 4 fit small, the cheapest") {
    auto launches = kp::provision(*filter, work, offs, pods("p", 20, 1000), -1);
    REQUIRE(launches.size() == 2);
    CHECK(launches[0].offering == "large");
    CHECK(launches[0].pods.size() == 16);
    CHECK(launches[1].offering == "small");
    CHECK(launches[1].pods.size() == 4);
  }
  SECTION("cheapest-per-pod: the five on two small nodes, not one big node") {
    // Batch 1: small takes 4 (0.025 $/pod), large 5 (0.20 $/pod) -> small. Batch 2: the
    // last pod: small 0.10 vs large 1.00 -> small. Total 0.20 $/h.
    auto launches = kp::provision(*filter, work, offs, pods("p", 5, 1000), -1, nullptr,
                                  kp::KarpenterPacking::kCheapestPerPod);
    REQUIRE(launches.size() == 2);
    CHECK(launches[0].offering == "small");
    CHECK(launches[0].pods.size() == 4);
    CHECK(launches[1].offering == "small");
    CHECK(launches[1].pods.size() == 1);
    CHECK(total_price(launches) == Approx(0.20));
  }
  SECTION("three: small holds them all") {
    auto launches = kp::provision(*filter, work, offs, pods("p", 3, 1000), -1);
    REQUIRE(launches.size() == 1);
    CHECK(launches[0].offering == "small");
  }
}

TEST_CASE("karpenter: a pod goes to the claim with the fewest pods", "[karpenter]") {
  // One 10-CPU type. Sorted 6, 6, 1, 1: the second 6 opens claim 2; the first 1 goes to
  // claim 1 (both hold one pod: creation order), the second 1 to claim 2 (now the fewer).
  auto filter = kubesim::testing::default_filter();
  kubesim::models::sched::Snapshot work;
  std::vector<kp::KarpenterOffering> offs = {offering("ten", 10000, 0.50)};
  std::vector<PodInfoPtr> pending = pods("small", 2, 1000);
  pending.push_back(owned_pod("big-a", 6000, kGi).info());
  pending.push_back(owned_pod("big-b", 6000, kGi).info());
  auto launches = kp::provision(*filter, work, offs, pending, -1);
  REQUIRE(launches.size() == 2);
  CHECK(launches[0].pods == std::vector<std::string>{"default/big-a", "default/small0"});
  CHECK(launches[1].pods == std::vector<std::string>{"default/big-b", "default/small1"});
}

// kubesim's alternative packing (kCheapestPerPod): the offering with the lowest price per pod
// for each remaining batch (also above).

TEST_CASE("karpenter cheapest-per-pod: a large pod with small ones packs on the cheaper type",
          "[karpenter]") {
  auto filter = kubesim::testing::default_filter();
  kubesim::models::sched::Snapshot work;
  std::vector<kp::KarpenterOffering> offs = {offering("a-8", 8000, 0.40),
                                             offering("b-16", 16000, 0.70)};
  std::vector<PodInfoPtr> pending = pods("s", 8, 1000);
  pending.push_back(owned_pod("big", 6000, kGi).info());
  // Sorted: big (6), then eight 1s. a-8: 6 + 1 + 1 = 3 pods, 0.133 $/pod; b-16: 6 + 8 = 14
  // CPU, 9 pods, 0.078 $/pod -> one b-16 (0.70) instead of a-8 x 2 (0.80).
  auto launches = kp::provision(*filter, work, offs, pending, -1, nullptr,
                                kp::KarpenterPacking::kCheapestPerPod);
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
    // Twenty 2-CPU pods: the claim grows past the 8-CPU types to gpu-od's 32 CPU (16 pods);
    // with one new node allowed the other 4 stay pending.
    std::vector<std::string> unschedulable;
    auto l = kp::provision(*filter, work, offs, pods("p", 20, 2000), 1, &unschedulable);
    REQUIRE(l.size() == 1);
    CHECK(l[0].offering == "gpu-od");
    CHECK(l[0].pods.size() == 16);
    CHECK(unschedulable.size() == 4);
    SECTION("cheapest-per-pod: two 8-CPU spot nodes of 4 pods") {
      kubesim::models::sched::Snapshot fresh;
      auto c = kp::provision(*filter, fresh, offs, pods("p", 12, 2000), 2, nullptr,
                             kp::KarpenterPacking::kCheapestPerPod);
      REQUIRE(c.size() == 2);
      CHECK(c[0].offering == "cpu-spot");
      CHECK(c[0].pods.size() == 4);
    }
  }
}

TEST_CASE("karpenter limits: NodePool spec.limits on the nodes' capacity", "[karpenter]") {
  std::vector<kp::KarpenterOffering> offs = {offering("large", 16000, 1.00),
                                             offering("small", 4000, 0.10)};
  SECTION("cpu 18: the first claim books 16 CPU (its largest option), no type fits 2") {
    auto filter = kubesim::testing::default_filter();
    kubesim::models::sched::Snapshot work;
    kubesim::models::ResourceList limits;
    limits.set("cpu", 18000);
    const kp::KarpenterLimitsLeft left(limits, {});
    std::vector<std::string> unschedulable;
    auto l = kp::provision(*filter, work, offs, pods("p", 20, 1000), -1, &unschedulable,
                           kp::KarpenterPacking::kNodeClaims, &left);
    REQUIRE(l.size() == 1);
    CHECK(l[0].offering == "large");
    CHECK(l[0].pods.size() == 16);
    CHECK(unschedulable.size() == 4);
  }
  SECTION("a registered node counts: 18 − 4 = 14 leaves only small, three of them") {
    TestCluster c;
    c.add_nodes(offs[1].pool, 1);  // small-0 takes 4 of the 20 pods
    kp::KarpenterOptions opts;
    opts.limits = kubesim::models::ResourceList();
    opts.limits->set("cpu", 18000);
    kp::KarpenterProvisioner k(offs, opts, kubesim::testing::default_filter());
    auto a = k.step(0, view_of(c, pods("p", 20, 1000)));
    REQUIRE(a.launches.size() == 3);  // 14 → 10 → 6 → 2 CPU left
    for (const auto& launch : a.launches) CHECK(launch.offering == "small");
    CHECK(a.unschedulable.size() == 4);
    SECTION("in-flight launches count too") {
      CHECK(k.step(10 * kS, view_of(c, pods("q", 4, 1000))).launches.empty());
    }
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

// ---- Disruption ------------------------------------------------------------------------------
// A command is computed at one pass and acted on at the first pass 15 s later
// (consolidationTTL) if it is still valid. `consolidate` runs both passes.

namespace {

kp::KarpenterActions consolidate(kp::KarpenterProvisioner& k, const TestCluster& c, sim::Time t) {
  auto computed = k.step(t, view_of(c, {}));
  CHECK_FALSE(computed.consolidation);
  if (!computed.consolidation_computed) return computed;
  CHECK(computed.revisit_at == std::optional<sim::Time>(t + kp::kConsolidationTtl));
  // Nothing is acted on before the TTL.
  CHECK_FALSE(k.step(t + kp::kConsolidationTtl - 1, view_of(c, {})).consolidation);
  return k.step(t + kp::kConsolidationTtl, view_of(c, {}));
}

kp::DisruptionBudget budget(std::int32_t nodes, bool percent,
                            std::vector<kp::DisruptionReason> reasons = {}) {
  kp::DisruptionBudget b;
  b.nodes = nodes;
  b.percent = percent;
  b.reasons = std::move(reasons);
  return b;
}

}  // namespace

TEST_CASE("karpenter budgets: percentages round up, the smallest matching budget wins",
          "[karpenter][budgets]") {
  using R = kp::DisruptionReason;
  const std::vector<kp::DisruptionBudget> def = {budget(10, true)};
  // intstr.GetScaledValueFromIntOrPercent(roundUp=true): ceil(10% × n).
  CHECK(kp::allowed_disruptions(def, R::kEmpty, 10, 0) == 1);
  CHECK(kp::allowed_disruptions(def, R::kEmpty, 11, 0) == 2);
  CHECK(kp::allowed_disruptions(def, R::kEmpty, 1, 0) == 1);
  CHECK(kp::allowed_disruptions(def, R::kEmpty, 0, 0) == 0);
  // Nodes already disrupting (not Ready or being deleted) come off, never below 0.
  CHECK(kp::allowed_disruptions(def, R::kUnderutilized, 30, 2) == 1);
  CHECK(kp::allowed_disruptions(def, R::kUnderutilized, 30, 5) == 0);
  const std::vector<kp::DisruptionBudget> mixed = {
      budget(50, true), budget(2, false, {R::kUnderutilized}), budget(0, false, {R::kDrifted})};
  CHECK(kp::allowed_disruptions(mixed, R::kEmpty, 10, 0) == 5);
  CHECK(kp::allowed_disruptions(mixed, R::kUnderutilized, 10, 0) == 2);
  CHECK(kp::allowed_disruptions(mixed, R::kDrifted, 10, 0) == 0);
  // No budget at all: unlimited.
  CHECK(kp::allowed_disruptions({}, R::kEmpty, 10, 0) == std::numeric_limits<std::int32_t>::max());
}

TEST_CASE("karpenter budgets: a scheduled budget applies only in its window",
          "[karpenter][budgets]") {
  using R = kp::DisruptionReason;
  // No disruption 09:00–17:00 UTC on weekdays; 10% otherwise (upstream's documented example).
  auto business_hours = budget(0, false);
  auto parsed = sim::CronSchedule::parse("0 9 * * mon-fri");
  REQUIRE(parsed.ok());
  business_hours.schedule = *parsed;
  business_hours.duration = 8 * sim::kHour;
  const std::vector<kp::DisruptionBudget> budgets = {business_hours, budget(10, true)};
  constexpr std::int64_t kMon0900 = 1795424400;  // 2026-11-23T09:00:00Z, a Monday
  auto at = [](std::int64_t unix_s) { return unix_s * sim::kSecond; };
  CHECK(kp::allowed_disruptions(budgets, R::kEmpty, 20, 0, at(kMon0900 - 1)) == 2);
  CHECK(kp::allowed_disruptions(budgets, R::kEmpty, 20, 0, at(kMon0900)) == 0);
  CHECK(kp::allowed_disruptions(budgets, R::kEmpty, 20, 0, at(kMon0900 + 8 * 3600 - 1)) == 0);
  CHECK(kp::allowed_disruptions(budgets, R::kEmpty, 20, 0, at(kMon0900 + 8 * 3600)) == 2);
  CHECK(kp::allowed_disruptions(budgets, R::kEmpty, 20, 0, at(kMon0900 + 5 * 86400 + 3600)) ==
        2);  // Saturday 10:00
  // Alone, an inactive budget leaves no limit.
  CHECK(kp::allowed_disruptions(std::span(&business_hours, 1), R::kEmpty, 20, 0,
                                at(kMon0900 - 1)) == std::numeric_limits<std::int32_t>::max());
}

TEST_CASE("karpenter disruption cost: eviction costs by hand, scaled by lifetime left",
          "[karpenter]") {
  auto pod = owned_pod("p", 1000, kGi);
  CHECK(kp::eviction_cost(pod.pod()) == Approx(1.0));
  pod.pod().metadata.annotations.set("controller.kubernetes.io/pod-deletion-cost", "134217728");
  CHECK(kp::eviction_cost(pod.pod()) == Approx(2.0));  // + 2^27 / 2^27
  pod.pod().spec.priority = 1 << 25;
  CHECK(kp::eviction_cost(pod.pod()) == Approx(3.0));  // + 2^25 / 2^25
  pod.pod().metadata.annotations.set("controller.kubernetes.io/pod-deletion-cost", "-2147483648");
  CHECK(kp::eviction_cost(pod.pod()) == Approx(-10.0));  // 1 − 16 + 1, clamped at −10
  pod.pod().metadata.annotations.set("controller.kubernetes.io/pod-deletion-cost", "x");
  CHECK(kp::eviction_cost(pod.pod()) == Approx(2.0));  // not a number: ignored

  TestCluster c;
  c.add_nodes(make_pool("n", 4000, 16 * kGi, 0.1), 1);
  c.bind("n-0", owned_pod("a", 1000, kGi));
  c.bind("n-0", owned_pod("b", 1000, kGi));
  const auto* node = c.snapshot.find("n-0");
  REQUIRE(node != nullptr);
  CHECK(kp::disruption_cost(*node, 0, std::nullopt) == Approx(2.0));
  // 360h into a 720h lifetime: half left.
  CHECK(kp::disruption_cost(*node, 360 * sim::kHour, 720 * sim::kHour) == Approx(1.0));
  CHECK(kp::disruption_cost(*node, 900 * sim::kHour, 720 * sim::kHour) == Approx(0.0));
}

TEST_CASE("karpenter consolidation: empty nodes after consolidateAfter, within the budget",
          "[karpenter]") {
  TestCluster c;
  std::vector<kp::KarpenterOffering> offs = {offering("small", 4000, 0.10)};
  c.add_nodes(offs[0].pool, 2);
  c.bind("small-0", owned_pod("w", 1000, kGi));
  kp::KarpenterOptions opts;
  opts.consolidate_after = 30 * kS;
  opts.consolidation_policy = kp::ConsolidationPolicy::kWhenEmpty;
  SECTION("one empty node") {
    kp::KarpenterProvisioner k(offs, opts, kubesim::testing::default_filter());
    auto early = k.step(10 * kS, view_of(c, {}));
    CHECK_FALSE(early.consolidation_computed);
    auto a = consolidate(k, c, 30 * kS);
    REQUIRE(a.consolidation);
    CHECK(a.consolidation->kind == Kind::kEmpty);
    CHECK(a.consolidation->method == kp::KarpenterActions::Method::kEmptiness);
    CHECK(a.consolidation->nodes == std::vector<std::string>{"small-1"});
    CHECK(a.consolidation->savings_per_hour == Approx(0.10));
    // WhenEmpty: small-0 (a movable pod, but no room elsewhere anyway) is never touched.
    c.remove_node("small-1");
    CHECK_FALSE(k.step(60 * kS, view_of(c, {})).consolidation_computed);
  }
  SECTION("six empty nodes of eight: the default 10% lets one go per command") {
    c.add_nodes(offs[0].pool, 6, 0, 2);
    kp::KarpenterProvisioner k(offs, opts, kubesim::testing::default_filter());
    auto a = consolidate(k, c, 30 * kS);  // ceil(10% × 8) = 1
    REQUIRE(a.consolidation);
    CHECK(a.consolidation->nodes.size() == 1);
    // While it is being deleted it counts as disrupting: 1 − 1 = 0 left.
    CHECK_FALSE(k.step(60 * kS, view_of(c, {})).consolidation_computed);
  }
  SECTION("budget 100%: all six in one command") {
    c.add_nodes(offs[0].pool, 6, 0, 2);
    opts.budgets = {budget(100, true)};
    kp::KarpenterProvisioner k(offs, opts, kubesim::testing::default_filter());
    auto a = consolidate(k, c, 30 * kS);
    REQUIRE(a.consolidation);
    CHECK(a.consolidation->nodes.size() == 7);  // small-1 and the six added
  }
  SECTION("consolidateAfter Never: nothing") {
    opts.consolidate_after = std::nullopt;
    kp::KarpenterProvisioner k(offs, opts, kubesim::testing::default_filter());
    CHECK_FALSE(k.step(3600 * kS, view_of(c, {})).consolidation_computed);
  }
}

TEST_CASE("karpenter consolidation: delete a node whose pods fit elsewhere", "[karpenter]") {
  TestCluster c;
  std::vector<kp::KarpenterOffering> offs = {offering("large", 16000, 1.00),
                                             offering("small", 4000, 0.10)};
  c.add_nodes(offs[0].pool, 2);
  c.bind("large-0", owned_pod("a", 5000, kGi));
  c.bind("large-0", owned_pod("b", 5000, kGi));
  c.bind("large-1", owned_pod("c", 2000, kGi));  // cost 1 < 2: first candidate; fits large-0
  SECTION("WhenEmptyOrUnderutilized") {
    // Budget ceil(10% × 2) = 1: multi-node gets one candidate (needs two); single-node acts.
    kp::KarpenterProvisioner k(offs, {}, kubesim::testing::default_filter());
    auto a = consolidate(k, c, 10 * kS);
    REQUIRE(a.consolidation);
    CHECK(a.consolidation->kind == Kind::kDelete);
    CHECK(a.consolidation->method == kp::KarpenterActions::Method::kSingleNode);
    CHECK(a.consolidation->nodes == std::vector<std::string>{"large-1"});
    CHECK(a.consolidation->savings_per_hour == Approx(1.00));
    // large-1 is being deleted: the next pass does not pick it (or anything) again.
    CHECK_FALSE(k.step(40 * kS, view_of(c, {})).consolidation_computed);
  }
  SECTION("a higher-priority pod makes its node dearer to disrupt") {
    auto vip = owned_pod("vip", 100, kGi);
    vip.pod().spec.priority = 1 << 26;  // eviction cost 1 + 2 = 3: large-1 costs 4 > 2
    c.bind("large-1", vip);
    kp::KarpenterOptions opts;
    opts.budgets = {budget(1, false)};
    kp::KarpenterProvisioner k(offs, opts, kubesim::testing::default_filter());
    auto a = consolidate(k, c, 10 * kS);
    REQUIRE(a.consolidation);
    // large-0's 10 CPU fit on large-1 (16 − 2.1 free = 13.9).
    CHECK(a.consolidation->nodes == std::vector<std::string>{"large-0"});
  }
  SECTION("a do-not-disrupt pod blocks its node") {
    auto pinned = owned_pod("pinned", 100, kGi);
    pinned.pod().metadata.annotations.set(std::string(kp::kDoNotDisruptAnnotation), "true");
    c.bind("large-1", pinned);
    kp::KarpenterProvisioner k(offs, {}, kubesim::testing::default_filter());
    auto a = consolidate(k, c, 10 * kS);
    REQUIRE(a.consolidation);
    CHECK(a.consolidation->nodes == std::vector<std::string>{"large-0"});
  }
  SECTION("no consolidation while pods are pending for new capacity") {
    kp::KarpenterProvisioner k(offs, {}, kubesim::testing::default_filter());
    auto a = k.step(10 * kS, view_of(c, pods("new", 1, 15000)));
    CHECK(a.launches.size() == 1);
    CHECK_FALSE(a.consolidation_computed);
  }
  SECTION("pod churn during the 15 s abandons the command") {
    kp::KarpenterProvisioner k(offs, {}, kubesim::testing::default_filter());
    REQUIRE(k.step(10 * kS, view_of(c, {})).consolidation_computed);
    c.bind("large-0", owned_pod("d", 5000, kGi));  // large-0 has 1 CPU left: c no longer fits
    auto a = k.step(25 * kS, view_of(c, {}));
    CHECK_FALSE(a.consolidation);
    CHECK(a.consolidation_abandoned);
    CHECK(std::any_of(a.reasons.begin(), a.reasons.end(), [](const std::string& r) {
      return r == "abandoning SingleNodeConsolidation of large-1 due to pod churn";
    }));
  }
  SECTION("a candidate gone during the 15 s abandons the command") {
    kp::KarpenterProvisioner k(offs, {}, kubesim::testing::default_filter());
    REQUIRE(k.step(10 * kS, view_of(c, {})).consolidation_computed);
    c.remove_node("large-1");
    auto a = k.step(25 * kS, view_of(c, {}));
    CHECK_FALSE(a.consolidation);
    CHECK(a.consolidation_abandoned);
  }
}

TEST_CASE("karpenter consolidation: replace by a cheaper type, spot to spot needs 15 types",
          "[karpenter]") {
  TestCluster c;
  SECTION("on-demand large -> small") {
    std::vector<kp::KarpenterOffering> offs = {offering("large", 16000, 1.00),
                                               offering("small", 4000, 0.10)};
    c.add_nodes(offs[0].pool, 1);
    c.bind("large-0", owned_pod("a", 2000, kGi));
    kp::KarpenterProvisioner k(offs, {}, kubesim::testing::default_filter());
    auto a = consolidate(k, c, 10 * kS);
    REQUIRE(a.consolidation);
    CHECK(a.consolidation->kind == Kind::kReplace);
    CHECK(a.consolidation->replacements == std::vector<std::string>{"small"});
    CHECK(a.consolidation->savings_per_hour == Approx(0.90));
    CHECK(k.in_flight("small") == 1);
  }
  SECTION("a spot node is only deleted unless SpotToSpotConsolidation with 15 cheaper types") {
    std::vector<kp::KarpenterOffering> offs = {offering("large-spot", 16000, 0.40, true),
                                               offering("small-spot", 4000, 0.05, true)};
    c.add_nodes(offs[0].pool, 1);
    c.bind("large-spot-0", owned_pod("a", 2000, kGi));
    kp::KarpenterProvisioner k(offs, {}, kubesim::testing::default_filter());
    CHECK_FALSE(k.step(10 * kS, view_of(c, {})).consolidation_computed);
    kp::KarpenterOptions opts;
    opts.spot_to_spot_consolidation = true;
    // One cheaper spot type: fewer than MinInstanceTypesForSpotToSpotConsolidation (15).
    kp::KarpenterProvisioner k2(offs, opts, kubesim::testing::default_filter());
    CHECK_FALSE(k2.step(10 * kS, view_of(c, {})).consolidation_computed);
    // Fifteen cheaper spot types: replaced by the cheapest.
    for (int i = 0; i < 14; ++i) {
      offs.push_back(offering("spot-" + std::to_string(10 + i), 4000, 0.06 + 0.01 * i, true));
    }
    kp::KarpenterProvisioner k3(offs, opts, kubesim::testing::default_filter());
    auto a = consolidate(k3, c, 10 * kS);
    REQUIRE(a.consolidation);
    CHECK(a.consolidation->kind == Kind::kReplace);
    CHECK(a.consolidation->replacements == std::vector<std::string>{"small-spot"});
  }
  SECTION("no cheaper type fits: kept") {
    std::vector<kp::KarpenterOffering> offs = {offering("large", 16000, 1.00),
                                               offering("small", 4000, 0.10)};
    c.add_nodes(offs[0].pool, 1);
    c.bind("large-0", owned_pod("a", 6000, kGi));
    kp::KarpenterProvisioner k(offs, {}, kubesim::testing::default_filter());
    CHECK_FALSE(k.step(10 * kS, view_of(c, {})).consolidation_computed);
  }
}

TEST_CASE("karpenter multi-node consolidation: the longest prefix that consolidates",
          "[karpenter][multinode]") {
  // Three 4-CPU nodes at $0.40 with one 1-CPU pod each (cost 1 each: order m-0, m-1, m-2).
  // Budget 100%. firstNConsolidationOption over 3 candidates: min 1, max 3 − 1 = 2.
  //   mid 1: {m-0, m-1}: their 2 CPU fit on m-2 → Delete, saved; min = 2.
  //   mid 2: {m-0, m-1, m-2}: 3 CPU on one new node cheaper than $1.20, and (filterOutSameType)
  //          than m's $0.40.
  TestCluster c;
  std::vector<kp::KarpenterOffering> offs = {offering("m", 4000, 0.40),
                                             offering("small", 2000, 0.15)};
  c.add_nodes(offs[0].pool, 3);
  for (int i = 0; i < 3; ++i) {
    c.bind("m-" + std::to_string(i), owned_pod("p" + std::to_string(i), 1000, kGi));
  }
  kp::KarpenterOptions opts;
  opts.budgets = {budget(100, true)};
  SECTION("no cheaper type holds 3 CPU (m itself is filtered out): Delete m-0 and m-1") {
    kp::KarpenterProvisioner k(offs, opts, kubesim::testing::default_filter());
    auto a = consolidate(k, c, 10 * kS);
    REQUIRE(a.consolidation);
    CHECK(a.consolidation->method == kp::KarpenterActions::Method::kMultiNode);
    CHECK(a.consolidation->kind == Kind::kDelete);
    CHECK(a.consolidation->nodes == std::vector<std::string>{"m-0", "m-1"});
    CHECK(a.consolidation->savings_per_hour == Approx(0.80));
  }
  SECTION("a 4-CPU type at $0.30: Replace all three") {
    offs.push_back(offering("medium", 4000, 0.30));
    kp::KarpenterProvisioner k(offs, opts, kubesim::testing::default_filter());
    auto a = consolidate(k, c, 10 * kS);
    REQUIRE(a.consolidation);
    CHECK(a.consolidation->method == kp::KarpenterActions::Method::kMultiNode);
    CHECK(a.consolidation->kind == Kind::kReplace);
    CHECK(a.consolidation->replacements == std::vector<std::string>{"medium"});
    CHECK(a.consolidation->nodes == std::vector<std::string>{"m-0", "m-1", "m-2"});
    CHECK(a.consolidation->savings_per_hour == Approx(0.90));
  }
  SECTION("the default budget (ceil(10% × 3) = 1) leaves it to single-node") {
    kp::KarpenterProvisioner k(offs, {}, kubesim::testing::default_filter());
    auto a = consolidate(k, c, 10 * kS);
    REQUIRE(a.consolidation);
    CHECK(a.consolidation->method == kp::KarpenterActions::Method::kSingleNode);
    CHECK(a.consolidation->nodes == std::vector<std::string>{"m-0"});
  }
}

TEST_CASE("karpenter expiration: a node older than expireAfter goes, outside the budgets",
          "[karpenter]") {
  TestCluster c;
  std::vector<kp::KarpenterOffering> offs = {offering("small", 4000, 0.10)};
  c.add_nodes(offs[0].pool, 2, 0);
  c.bind("small-0", owned_pod("w", 1000, kGi));
  c.bind("small-1", owned_pod("v", 1000, kGi));
  kp::KarpenterOptions opts;
  opts.expire_after = sim::kHour;
  opts.budgets = {budget(0, false)};  // no voluntary disruption at all
  kp::KarpenterProvisioner k(offs, opts, kubesim::testing::default_filter());
  CHECK(k.step(3590 * kS, view_of(c, {})).expired.empty());
  auto a = k.step(3600 * kS, view_of(c, {}));
  CHECK(a.expired == std::vector<std::string>{"small-0", "small-1"});
  CHECK(k.step(3610 * kS, view_of(c, {})).expired.empty());  // already going
  SECTION("Never: no expiry") {
    opts.expire_after = std::nullopt;
    kp::KarpenterProvisioner never(offs, opts, kubesim::testing::default_filter());
    CHECK(never.step(1000 * sim::kHour, view_of(c, {})).expired.empty());
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

// ---- Several NodePools --------------------------------------------------------------------------
// upstream scheduler.go tries the NodeClaim templates highest weight first; budgets,
// consolidationPolicy, limits and maxNodes are each NodePool's own.

namespace {

kp::KarpenterNodePool node_pool(std::string name, std::int32_t weight,
                                std::vector<kp::KarpenterOffering> offerings) {
  kp::KarpenterNodePool np;
  np.name = std::move(name);
  np.weight = weight;
  np.offerings = std::move(offerings);
  return np;
}

}  // namespace

TEST_CASE("karpenter NodePools: the highest weight that can take a pod gets its claim",
          "[karpenter][nodepools]") {
  TestCluster c;
  auto reserved = node_pool("reserved", 50, {offering("big", 16000, 1.00)});
  auto fallback =
      node_pool("fallback", 0, {offering("small", 4000, 0.10), offering("huge", 32000, 2.00)});
  SECTION("three 1-CPU pods: reserved's big node, though small is cheaper") {
    kp::KarpenterProvisioner k({fallback, reserved}, {}, kubesim::testing::default_filter());
    CHECK(k.node_pools().front().name == "reserved");  // sorted by weight
    auto a = k.step(0, view_of(c, pods("p", 3, 1000)));
    REQUIRE(a.launches.size() == 1);
    CHECK(a.launches[0].offering == "big");
    CHECK(a.launches[0].node_pool == "reserved");
    CHECK(k.node_pool_of("huge") == "fallback");
  }
  SECTION("a 20-CPU pod opens a fallback claim, and the small pods join it") {
    // Sorted by CPU: x (20) fits no reserved type, so fallback's claim [huge]; then each
    // 1-CPU pod joins that open claim before any new one is opened.
    kp::KarpenterProvisioner k({reserved, fallback}, {}, kubesim::testing::default_filter());
    auto pending = pods("p", 3, 1000);
    pending.push_back(owned_pod("x", 20000, kGi).info());
    auto a = k.step(0, view_of(c, pending));
    REQUIRE(a.launches.size() == 1);
    CHECK(a.launches[0].offering == "huge");
    CHECK(a.launches[0].node_pool == "fallback");
    CHECK(a.launches[0].pods.size() == 4);
  }
  SECTION("a taint the pods do not tolerate sends them to the next NodePool") {
    kubesim::models::Taint t;
    t.key = "dedicated";
    t.value = "gpu";
    t.effect = kubesim::models::TaintEffect::kNoSchedule;
    reserved.offerings[0].pool.taints.push_back(t);
    kp::KarpenterProvisioner k({reserved, fallback}, {}, kubesim::testing::default_filter());
    auto a = k.step(0, view_of(c, pods("p", 3, 1000)));
    REQUIRE(a.launches.size() == 1);
    CHECK(a.launches[0].offering == "small");
    CHECK(a.launches[0].node_pool == "fallback");
  }
  SECTION("maxNodes is per NodePool: the second claim falls back") {
    reserved.options.max_nodes = 1;
    kp::KarpenterProvisioner k({reserved, fallback}, {}, kubesim::testing::default_filter());
    // p0 opens reserved's big claim (6 CPU left); p1 fits no open claim, reserved is at its
    // cap, small is too small: fallback's huge.
    auto a = k.step(0, view_of(c, pods("p", 2, 10000)));
    REQUIRE(a.launches.size() == 2);
    CHECK(a.launches[0].offering == "big");
    CHECK(a.launches[1].offering == "huge");
    CHECK(a.launches[1].node_pool == "fallback");
  }
  SECTION("limits are per NodePool") {
    reserved.options.limits = kubesim::models::ResourceList();
    reserved.options.limits->set("cpu", 8000);  // big (16 CPU) is over the limit
    kp::KarpenterProvisioner k({reserved, fallback}, {}, kubesim::testing::default_filter());
    auto a = k.step(0, view_of(c, pods("p", 3, 1000)));
    REQUIRE(a.launches.size() == 1);
    CHECK(a.launches[0].offering == "small");
  }
  SECTION("cheapestPerPod packing also goes by weight") {
    kp::KarpenterControllerOptions opts;
    opts.packing = kp::KarpenterPacking::kCheapestPerPod;
    kp::KarpenterProvisioner k({reserved, fallback}, opts, kubesim::testing::default_filter());
    auto a = k.step(0, view_of(c, pods("p", 3, 1000)));
    REQUIRE(a.launches.size() == 1);
    CHECK(a.launches[0].offering == "big");
    CHECK(a.launches[0].node_pool == "reserved");
  }
}

TEST_CASE("karpenter NodePools: budgets and consolidationPolicy are each NodePool's",
          "[karpenter][nodepools]") {
  TestCluster c;
  auto a_pool = node_pool("a", 10, {offering("sa", 4000, 0.10)});
  auto b_pool = node_pool("b", 0, {offering("sb", 4000, 0.10)});
  b_pool.options.budgets = {budget(100, true)};
  c.add_nodes(a_pool.offerings[0].pool, 2);
  c.add_nodes(b_pool.offerings[0].pool, 2);
  SECTION("Emptiness: a's budget of 0 keeps its empty nodes, b's go") {
    a_pool.options.budgets = {budget(0, false)};
    kp::KarpenterProvisioner k({a_pool, b_pool}, {}, kubesim::testing::default_filter());
    auto first = k.step(10 * kS, view_of(c, {}));
    CHECK(std::find(first.reasons.begin(), first.reasons.end(),
                    "emptiness: disruption budget for Empty reached (NodePool a)") !=
          first.reasons.end());
    auto act = k.step(10 * kS + kp::kConsolidationTtl, view_of(c, {}));
    REQUIRE(act.consolidation);
    CHECK(act.consolidation->kind == Kind::kEmpty);
    CHECK(act.consolidation->nodes == std::vector<std::string>{"sb-0", "sb-1"});
  }
  SECTION("WhenEmpty NodePool a: only b's nodes are consolidated") {
    a_pool.options.consolidation_policy = kp::ConsolidationPolicy::kWhenEmpty;
    a_pool.options.budgets = {budget(100, true)};
    for (const char* n : {"sa-0", "sa-1", "sb-0", "sb-1"}) {
      c.bind(n, owned_pod(std::string("w-") + n, 1000, kGi));
    }
    kp::KarpenterProvisioner k({a_pool, b_pool}, {}, kubesim::testing::default_filter());
    // Candidates sb-0, sb-1 (cost 1 each, by name); their two 1-CPU pods fit on sa-0 and sa-1
    // (3 CPU free each): the two-node prefix is a Delete.
    auto act = consolidate(k, c, 10 * kS);
    REQUIRE(act.consolidation);
    CHECK(act.consolidation->kind == Kind::kDelete);
    CHECK(act.consolidation->method == kp::KarpenterActions::Method::kMultiNode);
    CHECK(act.consolidation->nodes == std::vector<std::string>{"sb-0", "sb-1"});
  }
}

TEST_CASE("karpenter NodePools: a replacement comes from the highest weight that takes the pods",
          "[karpenter][nodepools]") {
  // c16-0 ($1.00) holds two 3-CPU pods that fit nowhere else. The replacement claim opens in
  // the highest-weight NodePool that takes the largest pod (pricey), and only that claim's
  // types are compared with $1.00 (computeConsolidation filterByPrice), even though cheap's
  // c8 at $0.30 would hold both pods.
  TestCluster c;
  auto cheap = node_pool("cheap", 0, {offering("c16", 16000, 1.00), offering("c8", 8000, 0.30)});
  c.add_nodes(cheap.offerings[0].pool, 1);
  c.bind("c16-0", owned_pod("a", 3000, kGi));
  c.bind("c16-0", owned_pod("b", 3000, kGi));
  SECTION("pricey's p8 at $0.90 is cheaper than $1.00: Replace with p8") {
    auto pricey = node_pool("pricey", 10, {offering("p8", 8000, 0.90)});
    kp::KarpenterProvisioner k({cheap, pricey}, {}, kubesim::testing::default_filter());
    auto act = consolidate(k, c, 10 * kS);
    REQUIRE(act.consolidation);
    CHECK(act.consolidation->kind == Kind::kReplace);
    CHECK(act.consolidation->replacements == std::vector<std::string>{"p8"});
    CHECK(act.consolidation->savings_per_hour == Approx(0.10));
  }
  SECTION("pricey's p8 at $1.20 is not: no consolidation at all") {
    auto pricey = node_pool("pricey", 10, {offering("p8", 8000, 1.20)});
    kp::KarpenterProvisioner k({cheap, pricey}, {}, kubesim::testing::default_filter());
    CHECK_FALSE(k.step(10 * kS, view_of(c, {})).consolidation_computed);
  }
  SECTION("one NodePool: c8 replaces it") {
    kp::KarpenterProvisioner k({cheap}, {}, kubesim::testing::default_filter());
    auto act = consolidate(k, c, 10 * kS);
    REQUIRE(act.consolidation);
    CHECK(act.consolidation->replacements == std::vector<std::string>{"c8"});
    CHECK(act.consolidation->savings_per_hour == Approx(0.70));
  }
}

// ---- Drift
// --------------------------------------------------------------------------------------- drift.go:
// a node created before its NodePool's template changed is Drifted; one drifted node with pods per
// pass (longest drifted, then cheapest to disrupt), within the Drifted budget, its pods rescheduled
// on the others and on new nodes; acted on at once (eventual disruption: no validation wait).

TEST_CASE("karpenter drift: nodes older than a template update are replaced one at a time",
          "[karpenter][drift]") {
  TestCluster c;
  std::vector<kp::KarpenterOffering> offs = {offering("small", 4000, 0.10),
                                             offering("large", 16000, 1.00)};
  c.add_nodes(offs[1].pool, 1);  // large-0: a, b
  c.add_nodes(offs[0].pool, 1);  // small-0: c
  c.bind("large-0", owned_pod("a", 2000, kGi));
  c.bind("large-0", owned_pod("b", 2000, kGi));
  c.bind("small-0", owned_pod("c", 1000, kGi));
  kp::KarpenterOptions opts;
  opts.consolidate_after = std::nullopt;  // no consolidation: drift alone
  opts.template_updates = {100 * kS};
  SECTION("before the update: nothing") {
    kp::KarpenterProvisioner k(offs, opts, kubesim::testing::default_filter());
    auto a = k.step(90 * kS, view_of(c, {}));
    CHECK_FALSE(a.consolidation);
  }
  SECTION("after it: small-0 (cost 1 < 2) first; c fits on large-0, so a Delete") {
    kp::KarpenterProvisioner k(offs, opts, kubesim::testing::default_filter());
    auto a = k.step(100 * kS, view_of(c, {}));
    REQUIRE(a.consolidation);
    CHECK(a.consolidation->method == kp::KarpenterActions::Method::kDrift);
    CHECK(a.consolidation->kind == Kind::kDelete);
    CHECK(a.consolidation->nodes == std::vector<std::string>{"small-0"});
    CHECK(a.consolidation->replacements.empty());
    CHECK(a.consolidation->savings_per_hour == Approx(0.10));
    CHECK_FALSE(a.revisit_at);  // no validation wait
    // Budget ceil(10% × 2) = 1, and small-0 is now disrupting: large-0 waits.
    CHECK_FALSE(k.step(110 * kS, view_of(c, {})).consolidation);
    SECTION("then large-0: its 5 CPU fit no other node, so a new node, as provisioning picks") {
      c.remove_node("small-0");
      c.bind("large-0", owned_pod("c", 1000, kGi));
      // a (2), b (2) fit small (4); c does not, so the claim keeps large only.
      auto b = k.step(120 * kS, view_of(c, {}));
      REQUIRE(b.consolidation);
      CHECK(b.consolidation->kind == Kind::kReplace);
      CHECK(b.consolidation->nodes == std::vector<std::string>{"large-0"});
      CHECK(b.consolidation->replacements == std::vector<std::string>{"large"});
      CHECK(b.consolidation->savings_per_hour == Approx(0.0));
      CHECK(k.in_flight("large") == 1);
      // The replacement registers after the update: it is not drifted.
      c.add_nodes(offs[1].pool, 1, 150 * kS, 1);
      c.remove_node("large-0");
      for (const char* p : {"a", "b", "c"}) c.bind("large-1", owned_pod(p, 1000, kGi));
      CHECK_FALSE(k.step(200 * kS, view_of(c, {})).consolidation);
    }
  }
  SECTION("a Drifted budget of 0 holds it, with the reason") {
    opts.budgets = {budget(0, false, {kp::DisruptionReason::kDrifted}), budget(100, true)};
    kp::KarpenterProvisioner k(offs, opts, kubesim::testing::default_filter());
    auto a = k.step(100 * kS, view_of(c, {}));
    CHECK_FALSE(a.consolidation);
    CHECK(std::find(a.reasons.begin(), a.reasons.end(),
                    "drift: disruption budget for Drifted reached") != a.reasons.end());
  }
  SECTION("a pod that would not schedule blocks its node; the next one goes") {
    // small-0 gets a 20-CPU pod no node or offering takes (cost 2); large-0 a third pod
    // (cost 3), so small-0 is tried first and skipped.
    c.bind("small-0", owned_pod("huge", 20000, kGi));
    c.bind("large-0", owned_pod("d", 1000, kGi));
    opts.budgets = {budget(100, true)};
    kp::KarpenterProvisioner k(offs, opts, kubesim::testing::default_filter());
    auto a = k.step(100 * kS, view_of(c, {}));
    CHECK(std::find(a.reasons.begin(), a.reasons.end(),
                    "drift: small-0 is blocked: 1 of its pods would not schedule") !=
          a.reasons.end());
    REQUIRE(a.consolidation);
    CHECK(a.consolidation->nodes == std::vector<std::string>{"large-0"});
    // a, b, d (5 CPU) fit no other node (small-0 is full): one new large.
    CHECK(a.consolidation->replacements == std::vector<std::string>{"large"});
  }
}

TEST_CASE("karpenter: a node a pending pod is nominated to is no candidate for 20 s",
          "[karpenter]") {
  // small-0 is empty, small-1 runs w. A pending pod p fits small-0 (first in order): the
  // provisioning pass nominates small-0 until 10 + 2 × 10 = 30 s (nominationWindow), so
  // Emptiness leaves it alone meanwhile; at 30 s the nomination has lapsed.
  TestCluster c;
  std::vector<kp::KarpenterOffering> offs = {offering("small", 4000, 0.10)};
  c.add_nodes(offs[0].pool, 2);
  c.bind("small-1", owned_pod("w", 1000, kGi));
  kp::KarpenterOptions opts;
  opts.budgets = {budget(100, true)};
  opts.consolidation_policy = kp::ConsolidationPolicy::kWhenEmpty;  // Emptiness alone
  kp::KarpenterProvisioner k(offs, opts, kubesim::testing::default_filter());
  auto first = k.step(10 * kS, view_of(c, pods("p", 1, 1000)));
  CHECK(first.launches.empty());
  CHECK_FALSE(first.consolidation_computed);
  CHECK_FALSE(k.step(20 * kS, view_of(c, {})).consolidation_computed);
  auto a = consolidate(k, c, 30 * kS);
  REQUIRE(a.consolidation);
  CHECK(a.consolidation->nodes == std::vector<std::string>{"small-0"});
  SECTION("a nomination during validation abandons the command") {
    kp::KarpenterProvisioner k2(offs, opts, kubesim::testing::default_filter());
    REQUIRE(k2.step(30 * kS, view_of(c, {})).consolidation_computed);
    auto v = k2.step(45 * kS, view_of(c, pods("q", 1, 1000)));
    CHECK_FALSE(v.consolidation);
    CHECK(v.consolidation_abandoned);
  }
}

TEST_CASE("karpenter consolidateAfter counts from the last pod event", "[karpenter]") {
  // upstream podevents: LastPodEventTime is a pod's PodScheduled transition or the time it
  // began terminating. consolidateAfter 30s, Emptiness alone.
  std::vector<kp::KarpenterOffering> offs = {offering("small", 4000, 0.10)};
  kp::KarpenterOptions opts;
  opts.budgets = {budget(100, true)};
  opts.consolidate_after = 30 * kS;
  opts.consolidation_policy = kp::ConsolidationPolicy::kWhenEmpty;
  SECTION("a pod terminating since 45 s (deletionTimestamp 75 s, grace 30 s): from 75 s") {
    TestCluster c;
    c.add_nodes(offs[0].pool, 1);
    auto w = owned_pod("w", 1000, kGi);
    w.pod().metadata.deletion_timestamp = 75 * kS;
    w.pod().metadata.deletion_grace_period_seconds = 30;
    c.bind("small-0", w);  // terminating: it does not keep the node from being empty
    kp::KarpenterProvisioner k(offs, opts, kubesim::testing::default_filter());
    CHECK_FALSE(k.step(50 * kS, view_of(c, {})).consolidation_computed);
    CHECK_FALSE(k.step(74 * kS, view_of(c, {})).consolidation_computed);
    CHECK(k.step(75 * kS, view_of(c, {})).consolidation_computed);
  }
  SECTION("a pod that left unseen between passes: from the pass that saw it gone") {
    TestCluster c;
    c.add_nodes(offs[0].pool, 1);
    c.bind("small-0", owned_pod("x", 1000, kGi));
    kp::KarpenterProvisioner k(offs, opts, kubesim::testing::default_filter());
    CHECK_FALSE(k.step(10 * kS, view_of(c, {})).consolidation_computed);  // not empty
    TestCluster empty;
    empty.add_nodes(offs[0].pool, 1);
    CHECK_FALSE(k.step(20 * kS, view_of(empty, {})).consolidation_computed);
    CHECK_FALSE(k.step(49 * kS, view_of(empty, {})).consolidation_computed);
    CHECK(k.step(50 * kS, view_of(empty, {})).consolidation_computed);
  }
  SECTION("a pod seen terminating and then gone: from when it began terminating") {
    TestCluster c;
    c.add_nodes(offs[0].pool, 1);
    auto w = owned_pod("w", 1000, kGi);
    w.pod().metadata.deletion_timestamp = 42 * kS;
    w.pod().metadata.deletion_grace_period_seconds = 30;  // terminating since 12 s
    c.bind("small-0", w);
    kp::KarpenterProvisioner k(offs, opts, kubesim::testing::default_filter());
    CHECK_FALSE(k.step(20 * kS, view_of(c, {})).consolidation_computed);
    TestCluster empty;
    empty.add_nodes(offs[0].pool, 1);
    CHECK_FALSE(k.step(41 * kS, view_of(empty, {})).consolidation_computed);
    CHECK(k.step(42 * kS, view_of(empty, {})).consolidation_computed);
  }
}
