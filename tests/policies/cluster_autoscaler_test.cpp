// Cluster Autoscaler decision logic (policies/cluster_autoscaler.hpp) against hand
// calculations from upstream's rules (kubernetes/autoscaler cluster-autoscaler):
// binpacking node counts (estimator/binpacking_estimator.go), each expander's choice
// (expander/*), the scale-down timeline (core/scaledown/unneeded/nodes.go: removable once
// unneeded for *more than* scale-down-unneeded-time; static_autoscaler.go
// isScaleDownInCooldown), drain rules, min size, budgets, and max-node-provision-time
// failures with exponential group backoff (utils/backoff/exponential_backoff.go).
#include "policies/cluster_autoscaler.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "tests/policies/autoscaler_fixtures.hpp"

namespace {

namespace kp = kubesim::policies;
namespace sim = kubesim::sim;
using kubesim::models::sched::PodInfo;
using kubesim::testing::kGi;
using kubesim::testing::kMi;
using kubesim::testing::make_pool;
using kubesim::testing::owned_pod;
using kubesim::testing::PodBuilder;
using kubesim::testing::TestCluster;
using PodInfoPtr = std::shared_ptr<const PodInfo>;

constexpr sim::Duration kS = sim::kSecond;

kp::NodeGroupSpec group(kubesim::models::NodePool pool, std::int32_t min, std::int32_t max) {
  kp::NodeGroupSpec g;
  g.pool = std::move(pool);
  g.min_size = min;
  g.max_size = max;
  return g;
}

std::vector<PodInfoPtr> pending(const std::string& prefix, int n, std::int64_t cpu,
                                std::int64_t mem, sim::Time created = 0) {
  std::vector<PodInfoPtr> out;
  for (int i = 0; i < n; ++i)
    out.push_back(owned_pod(prefix + std::to_string(i), cpu, mem, created).info());
  return out;
}

kp::ClusterAutoscalerView view_of(const TestCluster& c, const std::vector<PodInfoPtr>& pods) {
  kp::ClusterAutoscalerView v;
  v.nodes = &c.snapshot;
  v.unschedulable_pods = pods;
  return v;
}

// `n` ReplicaSet pods of 8 CPU, 64 GiB and `gpus` GPUs each.
std::vector<PodInfoPtr> gpu_pods(const std::string& prefix, int n, std::int64_t gpus) {
  std::vector<PodInfoPtr> out;
  for (int i = 0; i < n; ++i) {
    auto p = owned_pod(prefix + std::to_string(i), 8000, 64 * kGi);
    p.request("nvidia.com/gpu", gpus);
    out.push_back(p.info());
  }
  return out;
}

kp::ExpansionOption option(std::string group, std::int32_t nodes, std::int64_t node_cpu,
                           std::int64_t node_mem, std::vector<PodInfoPtr> pods, double price = 0) {
  kp::ExpansionOption o;
  o.group = std::move(group);
  o.node_count = nodes;
  o.node_capacity.set("cpu", node_cpu);
  o.node_capacity.set("memory", node_mem);
  o.pods = std::move(pods);
  o.node_price_per_hour = price;
  return o;
}

}  // namespace

// ---- Binpacking estimator --------------------------------------------------------------------

TEST_CASE("binpacking: 10 pending pods of 2 CPU on 8-CPU templates need 3 nodes", "[autoscaler]") {
  auto filter = kubesim::testing::default_filter();
  kubesim::models::sched::Snapshot snap;
  auto tmpl = kp::template_node(make_pool("small", 8000, 32 * kGi, 0.4), "template-small", 0);
  auto pods = pending("p", 10, 2000, kGi);
  // ceil(10 / floor(8 / 2)) = ceil(10 / 4) = 3.
  kp::EstimateResult r = kp::estimate_nodes(*filter, snap, *tmpl, pods, 1000);
  CHECK(r.node_count == 3);
  CHECK(r.pods.size() == 10);
  CHECK(snap.size() == 0);  // the template nodes are removed again

  SECTION("the node limit caps the estimate and the pods placed") {
    kp::EstimateResult capped = kp::estimate_nodes(*filter, snap, *tmpl, pods, 2);
    CHECK(capped.node_count == 2);
    CHECK(capped.pods.size() == 8);
  }
}

TEST_CASE("binpacking is first-fit decreasing over equivalence groups", "[autoscaler]") {
  auto filter = kubesim::testing::default_filter();
  kubesim::models::sched::Snapshot snap;
  auto tmpl = kp::template_node(make_pool("small", 8000, 32 * kGi, 0.4), "template-small", 0);
  // Given order 3,3,3,5 CPU; sorted 5 first: node0 = 5+3, node1 = 3+3 -> 2 nodes (first fit in
  // the given order would also need 2: 3+3, 3+5... but a 5 after three 3s opens node1 = 3+5).
  std::vector<PodInfoPtr> pods = pending("three-", 3, 3000, kGi);
  PodBuilder big("big");
  big.container(5000, kGi);
  pods.push_back(big.info());
  kp::EstimateResult r = kp::estimate_nodes(*filter, snap, *tmpl, pods, 1000);
  CHECK(r.node_count == 2);
  CHECK(r.pods.size() == 4);
  CHECK(r.pods.front()->key() == "default/big");
}

TEST_CASE("binpacking: a pod larger than the template stops its group", "[autoscaler]") {
  auto filter = kubesim::testing::default_filter();
  kubesim::models::sched::Snapshot snap;
  auto tmpl = kp::template_node(make_pool("small", 8000, 32 * kGi, 0.4), "template-small", 0);
  std::vector<PodInfoPtr> pods = pending("huge-", 2, 10000, kGi);
  kp::EstimateResult r = kp::estimate_nodes(*filter, snap, *tmpl, pods, 1000);
  CHECK(r.node_count == 0);
  CHECK(r.pods.empty());
}

// ---- Scale-up through the loop -----------------------------------------------------------------

TEST_CASE("scale-up: pending pods trigger one group's increase by the estimate", "[autoscaler]") {
  TestCluster c;
  auto pool = make_pool("small", 8000, 32 * kGi, 0.4);
  kp::ClusterAutoscalerState ca({group(pool, 0, 10)}, {}, kubesim::testing::default_filter());
  auto pods = pending("p", 10, 2000, kGi);
  auto a = ca.step(10 * kS, view_of(c, pods));
  REQUIRE(a.scale_up);
  CHECK(a.scale_up->group == "small");
  CHECK(a.scale_up->count == 3);
  CHECK(a.scale_up->new_target == 3);
  CHECK(a.scale_up->pods.size() == 10);
  CHECK(a.scale_up_status == "ScaleUpSuccessful");
  CHECK(ca.target_size("small") == 3);

  SECTION("the next loop counts the upcoming nodes and does not scale up again") {
    auto b = ca.step(20 * kS, view_of(c, pods));
    CHECK_FALSE(b.scale_up);
    CHECK(b.scale_up_status == "ScaleUpNotNeeded");
  }
  SECTION("pods younger than 2 s wait one loop (allPodsAreNew)") {
    kp::ClusterAutoscalerState fresh({group(pool, 0, 10)}, {}, kubesim::testing::default_filter());
    auto young = pending("y", 2, 2000, kGi, 9 * kS);
    auto r = fresh.step(10 * kS, view_of(c, young));
    CHECK_FALSE(r.scale_up);
    CHECK(r.scale_up_status == "ScaleUpInCooldown");
  }
  SECTION("max size caps the increase") {
    kp::ClusterAutoscalerState capped({group(pool, 0, 2)}, {}, kubesim::testing::default_filter());
    auto r = capped.step(10 * kS, view_of(c, pods));
    REQUIRE(r.scale_up);
    CHECK(r.scale_up->count == 2);
    CHECK(r.scale_up->pods.size() == 8);
  }
}

TEST_CASE("scale-up: pods that fit existing nodes or no template do not scale up", "[autoscaler]") {
  TestCluster c;
  auto pool = make_pool("small", 8000, 32 * kGi, 0.4);
  c.add_nodes(pool, 1);
  kp::ClusterAutoscalerState ca({group(pool, 0, 10)}, {}, kubesim::testing::default_filter());
  SECTION("free space on an existing node") {
    auto pods = pending("p", 3, 2000, kGi);  // 6 of 8 CPU
    auto a = ca.step(10 * kS, view_of(c, pods));
    CHECK_FALSE(a.scale_up);
    CHECK(a.scale_up_status == "ScaleUpNotNeeded");
  }
  SECTION("a pod no template can take") {
    auto pods = pending("huge", 1, 16000, kGi);
    auto a = ca.step(10 * kS, view_of(c, pods));
    CHECK_FALSE(a.scale_up);
    CHECK(a.scale_up_status == "ScaleUpNoOptionsAvailable");
  }
}

TEST_CASE("scale-up: the default least-waste expander picks the tighter group", "[autoscaler]") {
  TestCluster c;
  // 3 pods x 2 CPU / 8 GiB. small (8 CPU / 32 GiB): 1 node, waste 2/8 + 8/32 = 0.5.
  // big (32 CPU / 128 GiB): 1 node, waste 26/32 + 104/128 = 1.625.
  kp::ClusterAutoscalerState ca({group(make_pool("big", 32000, 128 * kGi, 1.6), 0, 5),
                                 group(make_pool("small", 8000, 32 * kGi, 0.4), 0, 5)},
                                {}, kubesim::testing::default_filter());
  auto a = ca.step(10 * kS, view_of(c, pending("p", 3, 2000, 8 * kGi)));
  REQUIRE(a.scale_up);
  CHECK(a.scale_up->group == "small");
  CHECK(a.scale_up->count == 1);
}

// ---- Expanders on crafted options ------------------------------------------------------------

TEST_CASE("expanders choose the expected option", "[autoscaler][expander]") {
  sim::Rng rng(7);
  kp::ExpanderConfig cfg;
  auto pods6 = pending("a", 3, 2000, 8 * kGi);  // 6 CPU, 24 GiB
  std::vector<kp::ExpansionOption> opts = {
      option("a-8cpu", 1, 8000, 32 * kGi, pods6),    // waste 0.25 + 0.25 = 0.5
      option("b-16cpu", 1, 16000, 64 * kGi, pods6),  // waste 0.625 + 0.625 = 1.25
      option("c-4cpu", 2, 4000, 16 * kGi, pods6),    // waste 0.25 + 0.25 = 0.5 (tie with a)
  };
  auto only = [&](kp::ExpanderName n) {
    std::vector<std::size_t> all = {0, 1, 2};
    return kp::expander_filter(n, opts, all, cfg, rng);
  };
  SECTION("least-waste keeps both 0.5-waste options, in order") {
    CHECK(only(kp::ExpanderName::kLeastWaste) == std::vector<std::size_t>{0, 2});
  }
  SECTION("least-nodes keeps the one-node options") {
    CHECK(only(kp::ExpanderName::kLeastNodes) == std::vector<std::size_t>{0, 1});
  }
  SECTION("chain least-waste then least-nodes: a-8cpu") {
    std::vector<kp::ExpanderName> chain = {kp::ExpanderName::kLeastWaste,
                                           kp::ExpanderName::kLeastNodes};
    CHECK(kp::choose_option(opts, chain, cfg, rng) == std::optional<std::size_t>(0));
  }
  SECTION("most-pods") {
    std::vector<kp::ExpansionOption> o2 = {
        option("x", 1, 8000, 32 * kGi, pending("x", 3, 100, kMi)),
        option("y", 2, 8000, 32 * kGi, pending("y", 5, 100, kMi))};
    std::vector<kp::ExpanderName> chain = {kp::ExpanderName::kMostPods};
    CHECK(kp::choose_option(o2, chain, cfg, rng) == std::optional<std::size_t>(1));
  }
  SECTION("random is uniform over the options") {
    std::vector<kp::ExpanderName> chain = {kp::ExpanderName::kRandom};
    std::map<std::size_t, int> seen;
    for (int i = 0; i < 3000; ++i) ++seen[*kp::choose_option(opts, chain, cfg, rng)];
    REQUIRE(seen.size() == 3);
    for (auto& [k, n] : seen) CHECK(std::abs(n - 1000) < 120);  // ~3.9 sigma
  }
}

TEST_CASE("priority expander: highest matching priority wins, unmatched groups dropped",
          "[autoscaler][expander]") {
  sim::Rng rng(1);
  kp::ExpanderConfig cfg;
  cfg.priorities = {{10, {"^small-.*"}}, {50, {"gpu"}}, {20, {"other"}}};
  auto pods = pending("p", 1, 1000, kGi);
  std::vector<kp::ExpansionOption> opts = {option("small-a", 1, 8000, 32 * kGi, pods),
                                           option("big-gpu-x", 1, 8000, 32 * kGi, pods),
                                           option("unlisted", 1, 8000, 32 * kGi, pods)};
  std::vector<kp::ExpanderName> chain = {kp::ExpanderName::kPriority};
  CHECK(kp::choose_option(opts, chain, cfg, rng) == std::optional<std::size_t>(1));
  std::vector<std::size_t> without_gpu = {0, 2};
  CHECK(kp::expander_filter(kp::ExpanderName::kPriority, opts, without_gpu, cfg, rng) ==
        std::vector<std::size_t>{0});
  // No option matches any regex: upstream falls back to all of them.
  std::vector<std::size_t> unmatched = {2};
  CHECK(kp::expander_filter(kp::ExpanderName::kPriority, opts, unmatched, cfg, rng) ==
        std::vector<std::size_t>{2});
}

TEST_CASE("price expander: score by hand from price.go and preferred.go",
          "[autoscaler][expander]") {
  sim::Rng rng(1);
  kp::ExpanderConfig cfg;
  cfg.cluster_nodes = 10;  // <= 20 nodes: preferred node 4 CPU
  CHECK(kp::preferred_node_milli_cpu(2) == 1000);
  CHECK(kp::preferred_node_milli_cpu(10) == 4000);
  CHECK(kp::preferred_node_milli_cpu(201) == 32000);
  auto pods = pending("p", 1, 1000, kGi);  // pod price 0.033174 + 0.004446 = 0.03762
  CHECK(kp::pod_price_per_hour(*pods[0]->pod, cfg) == Approx(0.03762));
  const double stab = 0.5 * 0.033174 + (500.0 / 1024.0) * 0.004446;
  kp::ExpansionOption a = option("a-4cpu", 1, 4000, 16 * kGi, pods, 0.20);
  kp::ExpansionOption b = option("b-8cpu", 1, 8000, 32 * kGi, pods, 0.30);
  // a: unfitness max(4/4, 4/4) = 1 -> suppressed 1; score = (0.20 + stab) / (0.03762 + stab).
  CHECK(kp::price_score(a, cfg) == Approx((0.20 + stab) / (0.03762 + stab)));
  // b: unfitness 2, count 1: suppressed (2 - 1)(1 - tanh 0) + 1 = 2.
  CHECK(kp::price_score(b, cfg) == Approx(2 * (0.30 + stab) / (0.03762 + stab)));
  std::vector<kp::ExpansionOption> opts = {b, a};
  std::vector<kp::ExpanderName> chain = {kp::ExpanderName::kPrice};
  CHECK(kp::choose_option(opts, chain, cfg, rng) == std::optional<std::size_t>(1));
  SECTION("a GPU group gets unfitness 1000 and loses to a dearer CPU group") {
    kp::ExpansionOption g = option("gpu", 1, 4000, 16 * kGi, pods, 0.10);
    g.gpu_node = true;
    CHECK(kp::price_score(g, cfg) == Approx(1000 * (0.10 + stab) / (0.03762 + stab)));
    std::vector<kp::ExpansionOption> o2 = {g, b};
    CHECK(kp::choose_option(o2, chain, cfg, rng) == std::optional<std::size_t>(1));
  }
  SECTION("suppression fades with the node count: 16 nodes") {
    kp::ExpansionOption many = option("b-8cpu", 16, 8000, 32 * kGi, pods, 0.30);
    const double suppressed = 1.0 * (1.0 - std::tanh(15.0 / 15.0)) + 1.0;
    CHECK(kp::price_score(many, cfg) == Approx(suppressed * (16 * 0.30 + stab) / (0.03762 + stab)));
  }
}

TEST_CASE("expander names round-trip", "[autoscaler][expander]") {
  for (const char* n : {"random", "most-pods", "least-waste", "least-nodes", "price", "priority"}) {
    auto e = kp::parse_expander_name(n);
    REQUIRE(e);
    CHECK(kp::to_string(*e) == n);
  }
  CHECK_FALSE(kp::parse_expander_name("grpc"));
}

// ---- Utilization and drain rules -------------------------------------------------------------

TEST_CASE("utilization: max(cpu, memory), or GPU for GPU nodes", "[autoscaler]") {
  TestCluster c;
  c.add_nodes(make_pool("cpu", 8000, 32 * kGi, 0.4), 1);
  c.add_nodes(make_pool("gpu", 8000, 32 * kGi, 4.0, 8), 1);
  c.bind("cpu-0", owned_pod("a", 2000, 24 * kGi));
  auto u = kp::node_utilization(*c.snapshot.find("cpu-0"));
  CHECK(u.cpu == Approx(0.25));
  CHECK(u.utilization == Approx(0.75));
  CHECK(u.resource == "memory");
  auto g = owned_pod("g", 7000, kGi);
  g.request("nvidia.com/gpu", 1);
  c.bind("gpu-0", g);
  auto v = kp::node_utilization(*c.snapshot.find("gpu-0"));
  CHECK(v.gpu_node);
  CHECK(v.cpu == Approx(0.875));
  CHECK(v.utilization == Approx(0.125));  // 1 of 8 GPUs: below 0.5 despite 87.5% CPU
}

TEST_CASE("drain rules: which pods move, stay or block", "[autoscaler]") {
  kp::DrainContext ctx;
  using V = kp::PodDrainVerdict;
  std::string why;
  PodBuilder bare("bare");
  CHECK(kp::drain_verdict(bare.pod(), ctx, &why) == V::kBlock);
  CHECK(why == "NotReplicated");
  bare.pod().metadata.annotations.set(std::string(kp::kSafeToEvictAnnotation), "true");
  CHECK(kp::drain_verdict(bare.pod(), ctx) == V::kMove);

  auto owned = owned_pod("web", 100, kMi);
  CHECK(kp::drain_verdict(owned.pod(), ctx) == V::kMove);
  owned.pod().metadata.annotations.set(std::string(kp::kSafeToEvictAnnotation), "false");
  CHECK(kp::drain_verdict(owned.pod(), ctx, &why) == V::kBlock);
  CHECK(why == "NotSafeToEvictAnnotation");

  auto sys = owned_pod("dns", 100, kMi);
  sys.pod().metadata.namespace_ = "kube-system";
  CHECK(kp::drain_verdict(sys.pod(), ctx, &why) == V::kBlock);
  CHECK(why == "UnmovableKubeSystemPod");
  ctx.pdb_allows_eviction = [](const kubesim::models::Pod&) { return std::optional<bool>(true); };
  CHECK(kp::drain_verdict(sys.pod(), ctx) == V::kMove);
  ctx.pdb_allows_eviction = [](const kubesim::models::Pod&) { return std::optional<bool>(false); };
  CHECK(kp::drain_verdict(sys.pod(), ctx, &why) == V::kBlock);
  CHECK(why == "NotEnoughPdb");
  ctx.pdb_allows_eviction = nullptr;

  auto local = owned_pod("cache", 100, kMi);
  ctx.uses_local_storage = [](const kubesim::models::Pod& p) { return p.metadata.name == "cache"; };
  CHECK(kp::drain_verdict(local.pod(), ctx, &why) == V::kBlock);
  CHECK(why == "LocalStorageRequested");
  ctx.skip_nodes_with_local_storage = false;
  CHECK(kp::drain_verdict(local.pod(), ctx) == V::kMove);

  auto ds = owned_pod("agent", 100, kMi);
  ds.pod().metadata.owner_references.front().kind = "DaemonSet";
  CHECK(kp::drain_verdict(ds.pod(), ctx) == V::kSkip);
  PodBuilder mirror("static");
  mirror.pod().metadata.annotations.set(std::string(kp::kMirrorPodAnnotation), "x");
  CHECK(kp::drain_verdict(mirror.pod(), ctx) == V::kSkip);
}

// ---- Scale-down timelines ----------------------------------------------------------------------

namespace {

// Runs the loop every 10 s from `from` to `to` (inclusive); returns the first loop time with a
// deletion and its actions, or nullopt.
struct Deleted {
  sim::Time at;
  kp::ClusterAutoscalerActions actions;
};
std::optional<Deleted> run_until_deletion(kp::ClusterAutoscalerState& ca, const TestCluster& c,
                                          sim::Time from, sim::Time to,
                                          const std::vector<PodInfoPtr>& pods = {}) {
  for (sim::Time t = from; t <= to; t += 10 * kS) {
    auto a = ca.step(t, view_of(c, pods));
    if (!a.deletions.empty()) return Deleted{t, std::move(a)};
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("scale-down: an underutilized node goes only after 10 minutes unneeded",
          "[autoscaler][scaledown]") {
  TestCluster c;
  auto pool = make_pool("g", 8000, 32 * kGi, 0.4);
  c.add_nodes(pool, 2);
  c.bind("g-0", owned_pod("busy", 6000, kGi));  // 0.75: needed
  c.bind("g-1", owned_pod("idle", 1000, kGi));  // 0.125: unneeded, and fits on g-0
  kp::ClusterAutoscalerState ca({group(pool, 0, 5)}, {}, kubesim::testing::default_filter());
  auto first = ca.step(0, view_of(c, {}));
  CHECK(first.deletions.empty());
  CHECK(ca.unneeded_since("g-1") == std::optional<sim::Time>(0));
  CHECK_FALSE(ca.unneeded_since("g-0"));
  // Unneeded since 0: removable once since + 10m < now, i.e. not at 600 s, at the next loop.
  auto d = run_until_deletion(ca, c, 10 * kS, 900 * kS);
  REQUIRE(d);
  CHECK(d->at == 610 * kS);
  REQUIRE(d->actions.deletions.size() == 1);
  CHECK(d->actions.deletions[0].node == "g-1");
  CHECK_FALSE(d->actions.deletions[0].empty);
  CHECK(d->actions.deletions[0].pods_to_evict == std::vector<std::string>{"default/idle"});
  CHECK(d->actions.scale_down_status == "ScaleDownNodeDeleteStarted");
  CHECK(ca.target_size("g") == 1);
}

TEST_CASE("scale-down: nothing is removed within 10 minutes after a scale-up",
          "[autoscaler][scaledown]") {
  TestCluster c;
  auto cpu = make_pool("g", 8000, 32 * kGi, 0.4);
  auto gpu = make_pool("h", 8000, 32 * kGi, 4.0, 8);
  c.add_nodes(cpu, 2);
  c.bind("g-0", owned_pod("busy", 6000, kGi));
  c.bind("g-1", owned_pod("idle", 1000, kGi));
  kp::ClusterAutoscalerState ca({group(cpu, 0, 5), group(gpu, 0, 2)}, {},
                                kubesim::testing::default_filter());
  for (sim::Time t = 0; t < 300 * kS; t += 10 * kS)
    CHECK(ca.step(t, view_of(c, {})).deletions.empty());
  // At 300 s a GPU pod arrives: h scales up; g-1 (unneeded since 0) must now wait until
  // lastScaleUp + 10m = 900 s (cooldown while lastScaleUp + delay is after now).
  auto g = owned_pod("train", 1000, kGi, 290 * kS);
  g.request("nvidia.com/gpu", 1);
  std::vector<PodInfoPtr> pods = {g.info()};
  auto up = ca.step(300 * kS, view_of(c, pods));
  REQUIRE(up.scale_up);
  CHECK(up.scale_up->group == "h");
  CHECK(up.scale_down_status == "ScaleDownInCooldown");
  auto mid = ca.step(700 * kS, view_of(c, pods));
  CHECK(mid.deletions.empty());
  CHECK(mid.scale_down_status == "ScaleDownInCooldown");
  auto d = run_until_deletion(ca, c, 710 * kS, 1000 * kS, pods);
  REQUIRE(d);
  CHECK(d->at == 900 * kS);
  CHECK(d->actions.deletions[0].node == "g-1");
}

TEST_CASE("scale-down: a node whose pods cannot move is kept", "[autoscaler][scaledown]") {
  TestCluster c;
  auto pool = make_pool("g", 8000, 32 * kGi, 0.4);
  c.add_nodes(pool, 2);
  c.bind("g-0", owned_pod("busy", 6000, kGi));
  SECTION("no room elsewhere") {
    c.bind("g-1", owned_pod("mid", 3000, kGi));  // 0.375 < 0.5, but g-0 has 2 CPU free
  }
  SECTION("a pod without a controller") {
    PodBuilder bare("bare");
    bare.container(500, kMi);
    c.bind("g-1", bare);
  }
  kp::ClusterAutoscalerState ca({group(pool, 0, 5)}, {}, kubesim::testing::default_filter());
  auto d = run_until_deletion(ca, c, 0, 1800 * kS);
  CHECK_FALSE(d);
  CHECK_FALSE(ca.unneeded_since("g-1"));
}

TEST_CASE("scale-down: one loop counts its planned removals against each PDB",
          "[autoscaler][scaledown][pdb]") {
  // upstream core/scaledown/planner categorizeNodes: each removable node's pods are taken
  // from the RemainingPdbTracker (RemovePods) before the next node is simulated, and the
  // drainability rule blocks a pod whose PDB has no disruption left (NotEnoughPdb).
  TestCluster c;
  auto pool = make_pool("g", 8000, 32 * kGi, 0.4);
  c.add_nodes(pool, 3);
  c.bind("g-0", owned_pod("busy", 6000, kGi));  // 0.75: needed, room for 2 CPU
  for (const char* n : {"g-1", "g-2"}) {
    auto p = owned_pod(std::string("web-") + n, 500, kMi);
    p.pod().metadata.labels.set("app", "web");
    c.bind(n, p);
  }
  auto pdb = std::make_shared<kubesim::models::PodDisruptionBudget>();
  pdb->metadata.namespace_ = "default";
  pdb->metadata.name = "web";
  pdb->spec.selector = kubesim::models::LabelSelector{};
  pdb->spec.selector->match_labels.set("app", "web");
  std::vector<std::shared_ptr<const kubesim::models::PodDisruptionBudget>> pdbs;
  kp::ClusterAutoscalerState ca({group(pool, 0, 5)}, {}, kubesim::testing::default_filter());
  auto view = view_of(c, {});
  SECTION("one disruption allowed: only the first node is unneeded") {
    pdb->status.disruptions_allowed = 1;
    pdbs.push_back(pdb);
    view.pdbs = pdbs;
    auto a = ca.step(0, view);
    CHECK(ca.unneeded_since("g-1") == std::optional<sim::Time>(0));
    CHECK_FALSE(ca.unneeded_since("g-2"));
    bool blocked = false;
    for (const auto& r : a.reasons) {
      blocked =
          blocked || r.find("node g-2 cannot be removed: pod default/web-g-2: NotEnoughPdb") !=
                         std::string::npos;
    }
    CHECK(blocked);
  }
  SECTION("two disruptions allowed: both nodes are unneeded") {
    pdb->status.disruptions_allowed = 2;
    pdbs.push_back(pdb);
    view.pdbs = pdbs;
    ca.step(0, view);
    CHECK(ca.unneeded_since("g-1") == std::optional<sim::Time>(0));
    CHECK(ca.unneeded_since("g-2") == std::optional<sim::Time>(0));
  }
  SECTION("no disruption allowed: neither") {
    pdb->status.disruptions_allowed = 0;
    pdbs.push_back(pdb);
    view.pdbs = pdbs;
    ca.step(0, view);
    CHECK_FALSE(ca.unneeded_since("g-1"));
    CHECK_FALSE(ca.unneeded_since("g-2"));
  }
}

TEST_CASE("scale-down: min size is respected", "[autoscaler][scaledown]") {
  TestCluster c;
  auto pool = make_pool("g", 8000, 32 * kGi, 0.4);
  c.add_nodes(pool, 3);  // all empty
  SECTION("min 3: no candidate") {
    kp::ClusterAutoscalerState ca({group(pool, 3, 5)}, {}, kubesim::testing::default_filter());
    CHECK_FALSE(run_until_deletion(ca, c, 0, 1200 * kS));
  }
  SECTION("min 1: two of three empty nodes go in one bulk") {
    kp::ClusterAutoscalerState ca({group(pool, 1, 5)}, {}, kubesim::testing::default_filter());
    auto d = run_until_deletion(ca, c, 0, 1200 * kS);
    REQUIRE(d);
    CHECK(d->at == 610 * kS);
    REQUIRE(d->actions.deletions.size() == 2);
    CHECK(d->actions.deletions[0].empty);
    CHECK(ca.target_size("g") == 1);
    for (const auto& del : d->actions.deletions) c.remove_node(del.node);
    CHECK(ca.step(620 * kS, view_of(c, {})).deletions.empty());
  }
}

TEST_CASE("scale-down budgets: 10 empty nodes at once, one drained node at a time",
          "[autoscaler][scaledown]") {
  TestCluster c;
  auto pool = make_pool("g", 8000, 32 * kGi, 0.4);
  SECTION("12 empty nodes: 10, then 2 after the first ones are gone") {
    c.add_nodes(pool, 12);
    kp::ClusterAutoscalerState ca({group(pool, 0, 20)}, {}, kubesim::testing::default_filter());
    auto d = run_until_deletion(ca, c, 0, 1200 * kS);
    REQUIRE(d);
    CHECK(d->actions.deletions.size() == 10);
    // Still registered (being deleted): the parallelism budget is used up.
    CHECK(ca.step(d->at + 10 * kS, view_of(c, {})).deletions.empty());
    for (const auto& del : d->actions.deletions) c.remove_node(del.node);
    // delay-after-delete = scan interval: lastDelete + 10 s is not after now at the next loop.
    auto next = ca.step(d->at + 20 * kS, view_of(c, {}));
    CHECK(next.deletions.size() == 2);
  }
  SECTION("three half-empty nodes: one drain per loop while it is in progress") {
    c.add_nodes(make_pool("big", 64000, 256 * kGi, 3.2), 1);  // not autoscaled: a destination
    c.add_nodes(pool, 3);
    for (int i = 0; i < 3; ++i)
      c.bind("g-" + std::to_string(i), owned_pod("w" + std::to_string(i), 1000, kGi));
    kp::ClusterAutoscalerState ca({group(pool, 0, 20)}, {}, kubesim::testing::default_filter());
    auto d = run_until_deletion(ca, c, 0, 1200 * kS);
    REQUIRE(d);
    REQUIRE(d->actions.deletions.size() == 1);
    CHECK_FALSE(d->actions.deletions[0].empty);
    CHECK(ca.step(d->at + 10 * kS, view_of(c, {})).deletions.empty());
    c.remove_node(d->actions.deletions[0].node);
    CHECK(ca.step(d->at + 20 * kS, view_of(c, {})).deletions.size() == 1);
  }
}

TEST_CASE("scale-down: unready nodes wait scale-down-unready-time (20m)",
          "[autoscaler][scaledown]") {
  TestCluster c;
  auto pool = make_pool("g", 8000, 32 * kGi, 0.4);
  c.add_nodes(pool, 1, 0, 0, /*ready=*/false);
  kp::ClusterAutoscalerState ca({group(pool, 0, 5)}, {}, kubesim::testing::default_filter());
  auto d = run_until_deletion(ca, c, 0, 1800 * kS);
  REQUIRE(d);
  CHECK(d->at == 1210 * kS);
}

// ---- Provisioning failures ---------------------------------------------------------------------

TEST_CASE("max-node-provision-time: a scale-up that never registers backs the group off",
          "[autoscaler]") {
  TestCluster c;
  auto small = make_pool("small", 8000, 32 * kGi, 0.4);
  auto big = make_pool("big", 16000, 64 * kGi, 0.8);
  kp::ClusterAutoscalerOptions opts;
  opts.expanders = {kp::ExpanderName::kPriority};
  opts.expander_config.priorities = {{100, {"^small$"}}, {10, {"^big$"}}};
  kp::ClusterAutoscalerState ca({group(small, 0, 5), group(big, 0, 5)}, opts,
                                kubesim::testing::default_filter());
  auto pods = pending("p", 1, 2000, kGi);
  auto up = ca.step(10 * kS, view_of(c, pods));
  REQUIRE(up.scale_up);
  CHECK(up.scale_up->group == "small");
  // Until 10 s + 15 min the request is pending: no failure, no second scale-up.
  for (sim::Time t = 20 * kS; t <= 910 * kS; t += 10 * kS) {
    auto a = ca.step(t, view_of(c, pods));
    CHECK(a.failed_scale_ups.empty());
    CHECK_FALSE(a.scale_up);
  }
  auto fail = ca.step(920 * kS, view_of(c, pods));
  REQUIRE(fail.failed_scale_ups.size() == 1);
  CHECK(fail.failed_scale_ups[0].group == "small");
  CHECK(fail.failed_scale_ups[0].cancelled == 1);
  CHECK(fail.failed_scale_ups[0].backoff_until == 920 * kS + 5 * sim::kMinute);
  CHECK(ca.target_size("small") == 0);
  // In the same loop the pods are helped by the next group: small is backed off.
  REQUIRE(fail.scale_up);
  CHECK(fail.scale_up->group == "big");
  CHECK(ca.backed_off("small", 1219 * kS));
  CHECK_FALSE(ca.backed_off("small", 1220 * kS));
}

TEST_CASE("backoff doubles on a repeated failure, capped at 30 minutes", "[autoscaler]") {
  TestCluster c;
  auto small = make_pool("small", 8000, 32 * kGi, 0.4);
  kp::ClusterAutoscalerState ca({group(small, 0, 5)}, {}, kubesim::testing::default_filter());
  auto pods = pending("p", 1, 2000, kGi);
  std::vector<sim::Time> backoff_until;
  for (sim::Time t = 10 * kS; t <= 4 * sim::kHour && backoff_until.size() < 5; t += 10 * kS) {
    auto a = ca.step(t, view_of(c, pods));
    for (const auto& f : a.failed_scale_ups) backoff_until.push_back(f.backoff_until - t);
    if (!a.failed_scale_ups.empty()) CHECK_FALSE(a.scale_up);  // the only group is backed off
  }
  REQUIRE(backoff_until.size() == 5);
  CHECK(backoff_until[0] == 5 * sim::kMinute);
  CHECK(backoff_until[1] == 10 * sim::kMinute);
  CHECK(backoff_until[2] == 20 * sim::kMinute);
  CHECK(backoff_until[3] == 30 * sim::kMinute);
  CHECK(backoff_until[4] == 30 * sim::kMinute);
}

TEST_CASE("a scale-up completes when its nodes register Ready", "[autoscaler]") {
  TestCluster c;
  auto small = make_pool("small", 8000, 32 * kGi, 0.4);
  kp::ClusterAutoscalerState ca({group(small, 0, 5)}, {}, kubesim::testing::default_filter());
  auto pods = pending("p", 1, 2000, kGi);
  REQUIRE(ca.step(10 * kS, view_of(c, pods)).scale_up);
  c.add_nodes(small, 1, 200 * kS);  // registered and Ready at 200 s
  auto a = ca.step(210 * kS, view_of(c, pods));
  CHECK(a.failed_scale_ups.empty());
  CHECK(ca.target_size("small") == 1);
  // No timeout later either.
  for (sim::Time t = 220 * kS; t <= 1200 * kS; t += 60 * kS) {
    CHECK(ca.step(t, view_of(c, {})).failed_scale_ups.empty());
  }
}

// ---- Cost of a loop (hidden; run with "[.perf]") ------------------------------------------------

TEST_CASE("perf: 8640 loops (24 h at 10 s) over 64 GPU nodes", "[.perf]") {
  TestCluster c;
  auto h100 = make_pool("h100", 96000, 1024 * kGi, 98.32, 8);
  c.add_nodes(h100, 64);
  // 6 of 8 GPUs busy on 48 nodes (0.75: needed), 1 of 8 on 16 nodes (0.125: unneeded, and
  // their pods fit elsewhere), so every loop simulates 16 removals.
  for (int n = 0; n < 64; ++n) {
    const int busy = n < 48 ? 6 : 1;
    for (int g = 0; g < busy; ++g) {
      auto p = owned_pod("srv-" + std::to_string(n) + "-" + std::to_string(g), 8000, 64 * kGi);
      p.request("nvidia.com/gpu", 1);
      c.bind("h100-" + std::to_string(n), p);
    }
  }
  const std::vector<PodInfoPtr> pend = gpu_pods("new-", 20, 4);
  kp::ClusterAutoscalerOptions opts;
  opts.scale_down_enabled = true;
  kp::ClusterAutoscalerState ca({group(h100, 0, 128)}, opts, kubesim::testing::default_filter());
  const auto start = std::chrono::steady_clock::now();
  std::size_t deletions = 0;
  for (int i = 0; i < 8640; ++i) {
    // The pending pods appear for the first 100 loops only.
    auto a = ca.step(i * 10 * kS, view_of(c, i < 100 ? pend : std::vector<PodInfoPtr>{}));
    deletions += a.deletions.size();
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  WARN("8640 loops: " << secs << " s wall, " << secs / 8640 * 1e3 << " ms per loop, " << deletions
                      << " deletions decided");
  CHECK(secs < 60);
}

TEST_CASE("nodes being deleted neither take pending pods nor count as upcoming", "[autoscaler]") {
  TestCluster c;
  auto pool = make_pool("g", 8000, 32 * kGi, 0.4);
  c.add_nodes(pool, 2);
  c.bind("g-0", owned_pod("busy", 6000, kGi));
  kp::ClusterAutoscalerState ca({group(pool, 0, 5)}, {}, kubesim::testing::default_filter());
  auto d = run_until_deletion(ca, c, 0, 900 * kS);
  REQUIRE(d);
  CHECK(d->actions.deletions[0].node == "g-1");
  CHECK(ca.target_size("g") == 1);
  // g-1 is still registered while it is deleted; a 6-CPU pod needs a new node.
  auto pods = pending("p", 1, 6000, kGi, d->at);
  auto up = ca.step(d->at + 10 * kS, view_of(c, pods));
  REQUIRE(up.scale_up);
  CHECK(up.scale_up->new_target == 2);
  CHECK_FALSE(ca.step(d->at + 20 * kS, view_of(c, pods)).scale_up);
  SECTION("a failed deletion restores the target size") {
    ca.record_scale_down_failure(d->at + 30 * kS, "g-1");
    CHECK(ca.target_size("g") == 3);
  }
}

TEST_CASE("scale-down-delay-after-failure holds deletions for 3 minutes",
          "[autoscaler][scaledown]") {
  TestCluster c;
  auto pool = make_pool("g", 8000, 32 * kGi, 0.4);
  c.add_nodes(pool, 1);
  kp::ClusterAutoscalerState ca({group(pool, 0, 5)}, {}, kubesim::testing::default_filter());
  CHECK(ca.step(0, view_of(c, {})).deletions.empty());
  ca.record_scale_down_failure(500 * kS);
  // Unneeded long enough from 610 s; in cooldown while 500 s + 3 m is after now.
  auto d = run_until_deletion(ca, c, 10 * kS, 900 * kS);
  REQUIRE(d);
  CHECK(d->at == 680 * kS);
}

// ---- The snapshot-copy shortcut ------------------------------------------------------------

namespace {

void check_same(const kp::ClusterAutoscalerActions& a, const kp::ClusterAutoscalerActions& b) {
  CHECK(a.scale_up_status == b.scale_up_status);
  CHECK(a.scale_down_status == b.scale_down_status);
  CHECK(a.reasons == b.reasons);
  REQUIRE(a.scale_up.has_value() == b.scale_up.has_value());
  if (a.scale_up) {
    CHECK(a.scale_up->group == b.scale_up->group);
    CHECK(a.scale_up->count == b.scale_up->count);
    CHECK(a.scale_up->new_target == b.scale_up->new_target);
    CHECK(a.scale_up->pods == b.scale_up->pods);
  }
  REQUIRE(a.deletions.size() == b.deletions.size());
  for (std::size_t i = 0; i < a.deletions.size(); ++i) {
    CHECK(a.deletions[i].node == b.deletions[i].node);
    CHECK(a.deletions[i].group == b.deletions[i].group);
    CHECK(a.deletions[i].empty == b.deletions[i].empty);
    CHECK(a.deletions[i].pods_to_evict == b.deletions[i].pods_to_evict);
    CHECK(a.deletions[i].utilization == b.deletions[i].utilization);
  }
  REQUIRE(a.failed_scale_ups.size() == b.failed_scale_ups.size());
  for (std::size_t i = 0; i < a.failed_scale_ups.size(); ++i) {
    CHECK(a.failed_scale_ups[i].group == b.failed_scale_ups[i].group);
    CHECK(a.failed_scale_ups[i].cancelled == b.failed_scale_ups[i].cancelled);
    CHECK(a.failed_scale_ups[i].backoff_until == b.failed_scale_ups[i].backoff_until);
  }
}

}  // namespace

// step() copies the Snapshot only when a simulation reads it; a loop that skips the copy
// must decide exactly what the copying loop decides. A scripted random day of pending pods,
// scale-ups (nodes registering unready, then Ready; some never), pods leaving (nodes going
// underutilized), blocking pods, deletions and a scale-down-disabled node, run through two
// autoscalers that see the same views: one copying at every loop, one taking the shortcut.
TEST_CASE("the snapshot-copy shortcut decides exactly as copying at every loop",
          "[autoscaler][scaledown]") {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    CAPTURE(seed);
    sim::Rng rng(seed);
    TestCluster c;
    auto cpu = make_pool("g", 8000, 32 * kGi, 0.4);
    auto gpu = make_pool("h", 8000, 64 * kGi, 4.0, 1);
    c.add_nodes(cpu, 4);
    c.add_nodes(gpu, 2);
    kp::ClusterAutoscalerOptions opts;
    opts.scale_down_unneeded_time = 2 * sim::kMinute;
    opts.scale_down_delay_after_add = 3 * sim::kMinute;
    opts.max_node_provision_time = 5 * sim::kMinute;
    std::vector<kp::NodeGroupSpec> groups = {group(cpu, 2, 12), group(gpu, 1, 6)};
    kp::ClusterAutoscalerState copying(groups, opts, kubesim::testing::default_filter());
    kp::ClusterAutoscalerState shortcut(groups, opts, kubesim::testing::default_filter());
    copying.set_always_copy_snapshot(true);

    std::map<std::string, std::int64_t> free_cpu;  // node -> CPU not requested (milli)
    for (int i = 0; i < 4; ++i) free_cpu["g-" + std::to_string(i)] = 8000;
    for (int i = 0; i < 2; ++i) free_cpu["h-" + std::to_string(i)] = 8000;
    std::map<std::string, std::vector<std::string>> pods_on;  // node -> pod keys
    std::map<std::string, std::int64_t> pod_cpu;              // pod key -> CPU
    std::vector<PodBuilder> pending_pods;
    // Requested nodes: when they register (unready) and become Ready; -1 when cancelled.
    struct Launch {
      sim::Time register_at;
      sim::Time ready_at;
      bool gpu;
      std::string name;
    };
    std::vector<Launch> launches;
    std::vector<std::pair<sim::Time, std::string>> removals;  // node deletions to apply
    int next_node = 100, next_pod = 0;
    auto bind = [&](const std::string& node, PodBuilder p, std::int64_t milli) {
      const std::string key = "default/" + p.pod().metadata.name;
      c.bind(node, std::move(p));
      free_cpu[node] -= milli;
      pods_on[node].push_back(key);
      pod_cpu[key] = milli;
    };
    std::int64_t loops = 0;
    for (sim::Time now = 0; now <= 4 * sim::kHour; now += 10 * kS, ++loops) {
      // Nodes register (unready), become Ready, are deleted.
      for (const Launch& l : launches) {
        if (l.register_at == now) {
          c.add_nodes(l.gpu ? gpu : cpu, 1, now, std::stoi(l.name.substr(2)), false);
          free_cpu[l.name] = 8000;
        }
        if (l.ready_at == now && c.snapshot.find(l.name) != nullptr) {
          c.remove_node(l.name);
          c.add_nodes(l.gpu ? gpu : cpu, 1, l.register_at, std::stoi(l.name.substr(2)), true);
          free_cpu[l.name] = 8000;
        }
      }
      for (const auto& [at, node] : removals) {
        if (at != now || c.snapshot.find(node) == nullptr) continue;
        c.remove_node(node);
        free_cpu.erase(node);
        pods_on.erase(node);
      }
      // Load, hour by hour: pending pods arrive in the first 20 minutes (some for GPUs), pods
      // leave in the next 20, the last 20 are quiet; a bare pod lands at minute 30.
      const sim::Time minute = now % sim::kHour;
      if (minute < 20 * sim::kMinute && rng.below(6) == 0) {
        const auto n = 1 + rng.below(4);
        for (std::uint64_t i = 0; i < n; ++i) {
          auto p =
              owned_pod("p" + std::to_string(next_pod++), 2000 + 1000 * rng.below(5), kGi, now);
          if (rng.below(8) == 0) p.request("nvidia.com/gpu", 1);
          pending_pods.push_back(std::move(p));
        }
      }
      if (minute >= 20 * sim::kMinute && minute < 40 * sim::kMinute && rng.below(3) == 0 &&
          !pods_on.empty()) {
        auto it = std::next(pods_on.begin(), static_cast<long>(rng.below(pods_on.size())));
        if (!it->second.empty()) {
          const std::string key = it->second.back();
          it->second.pop_back();
          c.snapshot.find(it->first)->remove_pod(key);
          free_cpu[it->first] += pod_cpu[key];
        }
      }
      if (now % sim::kHour == 30 * sim::kMinute && !pods_on.empty()) {
        // A pod without a controller blocks its node's removal.
        const std::string node = std::prev(pods_on.end())->first;
        PodBuilder bare("bare-" + std::to_string(now / sim::kHour));
        bare.container(500, kMi).node_name(node);
        c.snapshot.find(node)->add_pod(bare.info());
      }
      // Pending pods go to Ready nodes with room (first fit, by name).
      std::vector<PodBuilder> still;
      for (PodBuilder& p : pending_pods) {
        const std::int64_t milli = p.pod().requests().cpu_milli;
        const bool wants_gpu = p.pod().requests().gpu > 0;
        std::string home;
        for (const auto& [node, free] : free_cpu) {
          const auto* ni = c.snapshot.find(node);
          if (ni == nullptr || !ni->node().ready() || free < milli) continue;
          if (wants_gpu && ni->allocatable().gpu - ni->requested().gpu < 1) continue;
          home = node;
          break;
        }
        if (home.empty()) {
          still.push_back(std::move(p));
        } else {
          bind(home, std::move(p), milli);
        }
      }
      pending_pods = std::move(still);
      std::vector<PodInfoPtr> unschedulable;
      for (const PodBuilder& p : pending_pods) unschedulable.push_back(p.info());

      auto a = copying.step(now, view_of(c, unschedulable));
      auto b = shortcut.step(now, view_of(c, unschedulable));
      check_same(a, b);
      for (const auto& [name, g] : std::map<std::string, bool>{{"g", false}, {"h", true}}) {
        CHECK(copying.target_size(name) == shortcut.target_size(name));
      }
      if (a.scale_up) {
        for (std::int32_t i = 0; i < a.scale_up->count; ++i) {
          const bool is_gpu = a.scale_up->group == "h";
          const std::string name = (is_gpu ? "h-" : "g-") + std::to_string(next_node++);
          // One launch in five never registers (max-node-provision-time failure).
          const bool fails = rng.below(5) == 0;
          const sim::Time reg = now + (fails ? 100 : 6 + rng.below(6)) * 10 * kS;
          launches.push_back({reg, reg + 60 * kS, is_gpu, name});
        }
      }
      for (const auto& f : a.failed_scale_ups) {
        // The group's newest launches that have not registered are cancelled.
        std::int32_t left = f.cancelled;
        for (auto it = launches.rbegin(); it != launches.rend() && left > 0; ++it) {
          if ((it->gpu ? "h" : "g") != f.group || it->register_at <= now) continue;
          it->register_at = it->ready_at = -1;
          --left;
        }
      }
      for (const auto& d : a.deletions) {
        // Evicted pods come back as pending; the node goes 20 s later.
        for (const std::string& key : d.pods_to_evict) {
          auto p = owned_pod(key.substr(8) + "-x", pod_cpu[key], kGi, now);
          pending_pods.push_back(std::move(p));
        }
        removals.emplace_back(now + 20 * kS, d.node);
      }
      if (now == sim::kHour && c.snapshot.find("g-1") != nullptr) {
        // This node is kept from scale-down by its annotation from now on.
        auto n = std::make_shared<kubesim::models::Node>(c.snapshot.find("g-1")->node());
        n->metadata.annotations.set(std::string(kp::kScaleDownDisabledAnnotation), "true");
        c.snapshot.upsert_node(std::move(n));
      }
    }
    // The script exercised both paths, and the shortcut was taken on most loops.
    CHECK(copying.snapshot_copies() == loops);
    CHECK(shortcut.snapshot_copies() > 0);
    CHECK(shortcut.snapshot_copies() < loops);
    WARN("seed " << seed << ": " << shortcut.snapshot_copies() << " copies in " << loops
                 << " loops");
  }
}

// ---- Cluster resource limits (--cores-total, --memory-total, --gpu-total) ------------------
// upstream core/scaleup/resource/manager.go: ResourcesLeft = max − (Σ groups' target size ×
// template capacity + nodes of no autoscaled group); a group that cannot take one more node
// is skipped; ApplyLimits caps the count at floor(left / per node).
// core/scaledown/resource/limits.go: LimitsLeft = total − min over the nodes not being
// deleted; a removal that would go below it is MinimalResourceLimitExceeded.

TEST_CASE("resource limits: --cores-total caps and skips scale-ups", "[autoscaler][limits]") {
  TestCluster c;
  auto pool = make_pool("small", 8000, 32 * kGi, 0.4);
  auto pods = pending("p", 10, 2000, kGi);  // 3 nodes of 8 CPU without a limit
  kp::ClusterAutoscalerOptions o;
  SECTION("max 20 cores: floor(20 / 8) = 2 nodes") {
    o.max_cores_total = 20;
    kp::ClusterAutoscalerState ca({group(pool, 0, 10)}, o, kubesim::testing::default_filter());
    auto a = ca.step(10 * kS, view_of(c, pods));
    REQUIRE(a.scale_up);
    CHECK(a.scale_up->count == 2);
    CHECK(ca.target_size("small") == 2);
    SECTION("the next loop sees 16 of 20 cores taken: no room for an 8-core node") {
      auto b = ca.step(20 * kS, view_of(c, pods));
      CHECK_FALSE(b.scale_up);
      CHECK(b.scale_up_status == "ScaleUpNoOptionsAvailable");
      CHECK(std::any_of(b.reasons.begin(), b.reasons.end(), [](const std::string& r) {
        return r == "node group small skipped: max cluster cpu limit reached";
      }));
    }
  }
  SECTION("a node of no autoscaled group counts: 8 of 20 cores taken, 1 node added") {
    auto fixed = make_pool("fixed", 8000, 32 * kGi, 0.4);
    c.add_nodes(fixed, 1);
    c.bind("fixed-0", owned_pod("full", 8000, kGi));
    o.max_cores_total = 20;
    kp::ClusterAutoscalerState ca({group(pool, 0, 10)}, o, kubesim::testing::default_filter());
    auto a = ca.step(10 * kS, view_of(c, pods));
    REQUIRE(a.scale_up);
    CHECK(a.scale_up->count == 1);
  }
  SECTION("cpu rounds up to whole cores: a 7.5-CPU template counts 8") {
    auto odd = make_pool("odd", 7500, 32 * kGi, 0.4);
    o.max_cores_total = 23;  // floor(23 / 8) = 2, where 23 / 7.5 would allow 3
    kp::ClusterAutoscalerState ca({group(odd, 0, 10)}, o, kubesim::testing::default_filter());
    auto a = ca.step(10 * kS, view_of(c, pods));
    REQUIRE(a.scale_up);
    CHECK(a.scale_up->count == 2);
  }
  SECTION("max memory 70 GiB: floor(70 / 32) = 2 nodes") {
    o.max_memory_total = 70 * kGi;
    kp::ClusterAutoscalerState ca({group(pool, 0, 10)}, o, kubesim::testing::default_filter());
    auto a = ca.step(10 * kS, view_of(c, pods));
    REQUIRE(a.scale_up);
    CHECK(a.scale_up->count == 2);
  }
}

TEST_CASE("resource limits: --gpu-total counts the nodes' GPU type", "[autoscaler][limits]") {
  TestCluster c;
  auto gpu_pool = make_pool("h100", 64000, 512 * kGi, 30.0, 8);
  const std::vector<PodInfoPtr> pods = gpu_pods("train-", 4, 8);
  kp::ClusterAutoscalerOptions o;
  SECTION("20 H100s: floor(20 / 8) = 2 of the 4 nodes") {
    o.gpu_total.push_back({"NVIDIA-H100-80GB-HBM3", 0, 20});
    kp::ClusterAutoscalerState ca({group(gpu_pool, 0, 10)}, o, kubesim::testing::default_filter());
    auto a = ca.step(10 * kS, view_of(c, pods));
    REQUIRE(a.scale_up);
    CHECK(a.scale_up->count == 2);
  }
  SECTION("a limit on another GPU type does not apply") {
    o.gpu_total.push_back({"NVIDIA-A100-SXM4-80GB", 0, 8});
    kp::ClusterAutoscalerState ca({group(gpu_pool, 0, 10)}, o, kubesim::testing::default_filter());
    auto a = ca.step(10 * kS, view_of(c, pods));
    REQUIRE(a.scale_up);
    CHECK(a.scale_up->count == 4);
  }
}

TEST_CASE("resource limits: scale-down keeps the cluster at the cores minimum",
          "[autoscaler][limits][scaledown]") {
  TestCluster c;
  auto pool = make_pool("g", 8000, 32 * kGi, 0.4);
  c.add_nodes(pool, 3);  // all empty: 24 cores
  kp::ClusterAutoscalerOptions o;
  SECTION("min 10 cores: 24 − 10 = 14 above it, one 8-core node may go") {
    o.min_cores_total = 10;
    kp::ClusterAutoscalerState ca({group(pool, 0, 5)}, o, kubesim::testing::default_filter());
    auto d = run_until_deletion(ca, c, 0, 1200 * kS);
    REQUIRE(d);
    CHECK(d->at == 610 * kS);
    CHECK(d->actions.deletions.size() == 1);
    CHECK(
        std::any_of(d->actions.reasons.begin(), d->actions.reasons.end(), [](const std::string& r) {
          return r.find("minimal cluster resource limit reached") != std::string::npos;
        }));
    SECTION("a node being deleted no longer counts: 16 − 10 = 6 < 8, nothing more goes") {
      CHECK_FALSE(run_until_deletion(ca, c, 620 * kS, 1800 * kS));
    }
  }
  SECTION("min 24 cores: none goes") {
    o.min_cores_total = 24;
    kp::ClusterAutoscalerState ca({group(pool, 0, 5)}, o, kubesim::testing::default_filter());
    CHECK_FALSE(run_until_deletion(ca, c, 0, 1200 * kS));
  }
}

// ---- Soft taints (actuation.UpdateSoftDeletionTaints, --max-bulk-soft-taint-count 10) -------

namespace {

// What the caller does with the actions: the DeletionCandidate taint on or off.
void apply_soft_taints(TestCluster& c, const kp::ClusterAutoscalerActions& a) {
  auto set = [&c](const std::string& name, bool present) {
    auto node = std::make_shared<kubesim::models::Node>(c.snapshot.find(name)->node());
    std::erase_if(node->spec.taints, [](const kubesim::models::Taint& t) {
      return t.key == kubesim::models::kDeletionCandidateTaint;
    });
    if (present) {
      kubesim::models::Taint t;
      t.key = std::string(kubesim::models::kDeletionCandidateTaint);
      t.effect = kubesim::models::TaintEffect::kPreferNoSchedule;
      node->spec.taints.push_back(t);
    }
    c.snapshot.upsert_node(std::move(node));
  };
  for (const auto& n : a.soft_untaint) set(n, false);
  for (const auto& n : a.soft_taint) set(n, true);
}

}  // namespace

TEST_CASE("soft taints: unneeded nodes get DeletionCandidate, ten API calls a loop",
          "[autoscaler][scaledown]") {
  TestCluster c;
  auto pool = make_pool("g", 8000, 32 * kGi, 0.4);
  c.add_nodes(pool, 13);
  c.bind("g-0", owned_pod("busy", 7000, kGi));  // 0.875: needed; the 12 others are empty
  kp::ClusterAutoscalerState ca({group(pool, 0, 20)}, {}, kubesim::testing::default_filter());
  auto first = ca.step(0, view_of(c, {}));
  CHECK(first.soft_taint.size() == 10);  // the budget: 10 of the 12 unneeded nodes
  CHECK(first.soft_untaint.empty());
  CHECK(std::find(first.soft_taint.begin(), first.soft_taint.end(), "g-0") ==
        first.soft_taint.end());
  apply_soft_taints(c, first);
  auto second = ca.step(10 * kS, view_of(c, {}));
  CHECK(second.soft_taint.size() == 2);  // the two left over
  apply_soft_taints(c, second);
  CHECK(ca.step(20 * kS, view_of(c, {})).soft_taint.empty());
  SECTION("a node needed again loses its soft taint") {
    c.bind("g-5", owned_pod("new", 7000, kGi));
    auto a = ca.step(30 * kS, view_of(c, {}));
    CHECK(a.soft_untaint == std::vector<std::string>{"g-5"});
    CHECK(a.soft_taint.empty());
  }
  SECTION("--max-bulk-soft-taint-count 0: none") {
    kp::ClusterAutoscalerOptions o;
    o.max_bulk_soft_taint_count = 0;
    kp::ClusterAutoscalerState off({group(pool, 0, 20)}, o, kubesim::testing::default_filter());
    CHECK(off.step(40 * kS, view_of(c, {})).soft_untaint.empty());
  }
}
