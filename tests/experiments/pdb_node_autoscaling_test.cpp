// PodDisruptionBudgets in running scenarios: a policy/v1 manifest is applied, the disruption
// controller writes its status, Cluster Autoscaler keeps a node whose pod the budget protects
// (upstream cluster-autoscaler simulator/drainability/rules/pdb: NotEnoughPdb), and a drain
// whose eviction the budget refuses gives up after --max-pod-eviction-time (2 min, evictions
// retried every DefaultEvictionRetryTime 10 s: core/scaledown/actuation/drain.go), leaving
// the node untainted. Plus the manifest's bad-input diagnostics.
#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "experiments/node_autoscaling.hpp"
#include "experiments/scenario_run.hpp"
#include "models/cluster.hpp"
#include "scenarios/manifests.hpp"
#include "scenarios/scenario.hpp"
#include "tests/support/cluster_invariants.hpp"
#include "tests/support/scenario_loading.hpp"

namespace kubesim::experiments {
namespace {

std::string deployment(const std::string& name, int replicas, const std::string& cpu) {
  return "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name +
         "\nspec:\n  replicas: " + std::to_string(replicas) +
         "\n  selector:\n    matchLabels: {app: " + name +
         "}\n  template:\n    metadata:\n      labels: {app: " + name +
         "}\n    spec:\n      containers:\n      - name: c\n        image: app:1\n"
         "        resources:\n          requests: {cpu: \"" +
         cpu + "\", memory: 1Gi}\n";
}

std::string pdb(const std::string& app, const std::string& budget) {
  return "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: " + app +
         "-pdb\nspec:\n  " + budget + "\n  selector:\n    matchLabels: {app: " + app + "}\n";
}

// Two 4-CPU nodes of pool `small` (constant delays), plus a tainted base node nothing runs
// on; Cluster Autoscaler when `ca`.
std::string header(const std::string& duration, bool ca) {
  std::string s =
      "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata:\n  name: t\nspec:\n"
      "  seed: 7\n  duration: " +
      duration +
      "\n  sampleInterval: 10s\n  outputs: {eventsJsonl: true}\n  cluster:\n    nodePools:\n"
      "    - name: base\n      count: 1\n      cpu: \"1\"\n      memory: 4Gi\n"
      "      taints: [{key: dedicated, value: system, effect: NoSchedule}]\n"
      "    - name: small\n      count: 2\n      cpu: \"4\"\n      memory: 16Gi\n"
      "      costPerHour: 0.2\n      provisioningDelay: 60s\n      kubelet: {nodeReadyDelay: "
      "10s}\n";
  if (ca) s += "    clusterAutoscaler:\n      nodeGroups: [{pool: small, min: 1, max: 5}]\n";
  return s;
}

std::int64_t counter(const ScenarioRun& run, const std::string& name) {
  const sim::Counter* c = run.metrics().find_counter(name);
  return c == nullptr ? -1 : c->value();
}

// The node of the (single, live) pod of `app`.
std::string node_of(ScenarioRun& run, const std::string& app) {
  for (const auto& p : run.cluster()->api().pods().list()) {
    if (p->metadata.labels.get("app") == app && p->bound() && !p->metadata.being_deleted()) {
      return p->spec.node_name;
    }
  }
  return {};
}

// Runs `run` to its end, noting where the pods of a and b were 5 s in (placed by then, on
// two different nodes).
std::pair<std::string, std::string> run_noting_nodes(ScenarioRun& run) {
  std::string a_node;
  std::string b_node;
  run.simulation().schedule_at(5 * sim::kSecond, [&] {
    a_node = node_of(run, "a");
    b_node = node_of(run, "b");
  });
  run.run();
  REQUIRE(!a_node.empty());
  REQUIRE(!b_node.empty());
  REQUIRE(a_node != b_node);
  return {a_node, b_node};
}

bool has_taint_key(const models::Node& n, std::string_view key) {
  for (const auto& t : n.spec.taints) {
    if (t.key == key) return true;
  }
  return false;
}
bool has_to_be_deleted_taint(const models::Node& n) {
  return has_taint_key(n, models::kToBeDeletedTaint);
}

// At 60 s, starts deleting the node a's pod runs on (its name into `node`).
void delete_a_node_at_60s(ScenarioRun& run, std::string& node, std::function<void()> done,
                          std::function<void()> failed, const models::DrainOptions& drain = {}) {
  struct Start {
    std::function<void()> done, failed;
    models::DrainOptions drain;
  };
  auto start = std::make_shared<Start>(Start{std::move(done), std::move(failed), drain});
  run.simulation().schedule_at(60 * sim::kSecond, [&run, &node, start] {
    node = node_of(run, "a");
    REQUIRE(run.cluster()->delete_node(node, start->done, start->failed, start->drain));
  });
}

}  // namespace

TEST_CASE("cluster autoscaler keeps a node whose pod a PDB protects, removes its twin",
          "[node-autoscaling][pdb]") {
  // Two 4-CPU nodes, one 1-CPU pod each (the scheduler spreads them: LeastAllocated), both
  // 25 % used, under the 0.5 threshold. a's PDB (minAvailable 1 of 1 pod) allows no
  // disruption: the node hosting a is not removable (NotEnoughPdb). b's node is: its pod
  // fits on a's node. Both pods run from the first loop at 10 s, so b's node is unneeded
  // since 10 s and goes at the first loop strictly after 10 s + 10 min: 620 s.
  const std::string text = header("15m", true) + deployment("a", 1, "1") + deployment("b", 1, "1") +
                           pdb("a", "minAvailable: 1");
  ScenarioRun run(testing::load_scenario_ok(text));
  const auto [a_node, b_node] = run_noting_nodes(run);
  models::Cluster& c = *run.cluster();
  // The disruption controller's status: 1 healthy, 1 desired, 0 allowed.
  auto budget = c.api().pod_disruption_budgets().get("default", "a-pdb");
  REQUIRE(budget != nullptr);
  CHECK(budget->status.observed_generation == 1);
  CHECK(budget->status.expected_pods == 1);
  CHECK(budget->status.current_healthy == 1);
  CHECK(budget->status.desired_healthy == 1);
  CHECK(budget->status.disruptions_allowed == 0);

  std::ostringstream out;
  run.node_autoscaling()->write_events_jsonl(out);
  std::vector<double> downs;
  std::istringstream in(out.str());
  for (std::string line; std::getline(in, line);) {
    const auto e = nlohmann::json::parse(line);
    if (e["kind"] == "ClusterAutoscaler" && e["type"] == "ScaleDown") {
      CHECK(e["node"] == b_node);
      downs.push_back(e["t"].get<double>());
    }
  }
  REQUIRE(downs.size() == 1);
  CHECK(downs[0] == Approx(620.0));
  CHECK(counter(run, "ca.nodes_removed") == 1);
  CHECK(c.api().nodes().get("", b_node) == nullptr);
  // a's node stayed, untainted, with a's pod never evicted: 15 min after start it is still
  // there, 14 min past its own 10-minute mark.
  auto a = c.api().nodes().get("", a_node);
  REQUIRE(a != nullptr);
  CHECK_FALSE(has_to_be_deleted_taint(*a));
  CHECK(node_of(run, "a") == a_node);
  // b's pod moved to a's node.
  CHECK(node_of(run, "b") == a_node);
  check_invariants(run);
}

TEST_CASE("karpenter does not consolidate a node whose pod a PDB protects",
          "[node-autoscaling][pdb]") {
  // Karpenter over pool small (two 4-CPU nodes, one 1-CPU pod each). Single-node
  // consolidation (WhenEmptyOrUnderutilized) deletes a node whose pods fit on the other one.
  // a's PDB allows no disruption, so a's node is no candidate (karpenter disruption docs,
  // "Pod-Level Controls"): only b's node goes, and b moves next to a.
  std::string text = header("10m", false);
  text += "    karpenter:\n      offerings: [{pool: small}]\n      consolidateAfter: 30s\n";
  text += deployment("a", 1, "1") + deployment("b", 1, "1") + pdb("a", "maxUnavailable: 0");
  ScenarioRun run(testing::load_scenario_ok(text));
  const auto [a_node, b_node] = run_noting_nodes(run);
  // a sits on small-0, the node Karpenter would try first (fewest pods, then most expensive,
  // then name): without the PDB it would be the one consolidated.
  CHECK(a_node == "small-0");
  CHECK(run.cluster()->api().nodes().get("", a_node) != nullptr);
  CHECK(run.cluster()->api().nodes().get("", b_node) == nullptr);
  CHECK(counter(run, "karpenter.nodes_removed") == 1);
  CHECK(node_of(run, "a") == a_node);
  CHECK(node_of(run, "b") == a_node);
  check_invariants(run);
}

TEST_CASE("a drain whose eviction a PDB refuses gives up after 2 minutes", "[pdb]") {
  SECTION("refused: 13 attempts (0, 10, ..., 120 s), the taint removed, the node stays") {
    const std::string text =
        header("6m", false) + deployment("a", 1, "1") + pdb("a", "maxUnavailable: 0");
    ScenarioRun run(testing::load_scenario_ok(text));
    std::string node;
    std::optional<double> failed_at;
    bool done = false;
    bool tainted_during_drain = false;
    delete_a_node_at_60s(
        run, node, [&] { done = true; },
        [&] { failed_at = sim::to_seconds(run.simulation().now()); });
    run.simulation().schedule_at(120 * sim::kSecond, [&] {
      auto n = run.cluster()->api().nodes().get("", node);
      tainted_during_drain = n != nullptr && has_to_be_deleted_taint(*n);
    });
    run.run();
    CHECK(tainted_during_drain);
    CHECK_FALSE(done);
    REQUIRE(failed_at.has_value());
    // Evictions at 60 s + 10 k s (plus request latencies) while before 180 s: the 13th, just
    // after 180 s, is the last; the drain's 5-second poll, from the taint's write a few ms
    // after 60 s, notices at 185 s.
    CHECK(*failed_at == Approx(185.0).margin(0.05));
    CHECK(counter(run, "cluster.evictions_refused") == 13);
    auto n = run.cluster()->api().nodes().get("", node);
    REQUIRE(n != nullptr);
    CHECK_FALSE(has_to_be_deleted_taint(*n));
    CHECK_FALSE(run.cluster()->being_deleted(node));
    CHECK(node_of(run, "a") == node);
    check_invariants(run);
  }
  SECTION("allowed: maxUnavailable 1 lets the eviction through and the node goes") {
    const std::string text =
        header("6m", false) + deployment("a", 1, "1") + pdb("a", "maxUnavailable: 1");
    ScenarioRun run(testing::load_scenario_ok(text));
    std::string node;
    bool done = false;
    bool failed = false;
    delete_a_node_at_60s(
        run, node, [&] { done = true; }, [&] { failed = true; });
    run.run();
    CHECK(done);
    CHECK_FALSE(failed);
    CHECK(counter(run, "cluster.evictions_refused") == -1);  // never registered
    CHECK(run.cluster()->api().nodes().get("", node) == nullptr);
    // The replacement pod runs on the other node.
    const std::string now_on = node_of(run, "a");
    CHECK(!now_on.empty());
    CHECK(now_on != node);
  }
}

TEST_CASE("a Karpenter drain retries a refused eviction until the budget or the grace ends",
          "[pdb][karpenter]") {
  // karpenter node/termination: taint karpenter.sh/disrupted, evictions retried by the
  // eviction queue's backoff (100 ms doubling, capped at 10 s) without end; with a
  // terminationGracePeriod the pod is deleted at expiry − its grace (30 s) and the node goes
  // at expiry.
  const std::string text =
      header("12m", false) + deployment("a", 1, "1") + pdb("a", "maxUnavailable: 0");
  SECTION("no terminationGracePeriod: still draining 10 minutes on") {
    ScenarioRun run(testing::load_scenario_ok(text));
    std::string node;
    bool done = false;
    bool failed = false;
    std::int64_t refused_at_90 = 0;
    delete_a_node_at_60s(
        run, node, [&] { done = true; }, [&] { failed = true; },
        models::DrainOptions{models::DrainStyle::kKarpenter, std::nullopt});
    run.simulation().schedule_at(
        90 * sim::kSecond, [&] { refused_at_90 = counter(run, "cluster.evictions_refused"); });
    run.run();
    CHECK_FALSE(done);
    CHECK_FALSE(failed);
    auto n = run.cluster()->api().nodes().get("", node);
    REQUIRE(n != nullptr);
    CHECK(has_taint_key(*n, models::kKarpenterDisruptedTaint));
    CHECK_FALSE(has_to_be_deleted_taint(*n));
    CHECK(run.cluster()->being_deleted(node));
    CHECK(node_of(run, "a") == node);
    // Attempts at 60 s + 0, 0.1, 0.3, 0.7, 1.5, 3.1, 6.3, 12.7 s (delays 100 ms × 2^k), then
    // every 10 s (12.8 s capped) from 82.7 s, plus request latencies of milliseconds each:
    // 9 refusals by 90 s; 8 + 64 = 72 by the end (82.7 + 10 k ≤ 720 for k = 0..63).
    CHECK(refused_at_90 == 9);
    CHECK(counter(run, "cluster.evictions_refused") == 8 + 64);
    check_invariants(run);
  }
  SECTION("terminationGracePeriod 5m: the pod deleted at 4m30s, then the node") {
    ScenarioRun run(testing::load_scenario_ok(text));
    std::string node;
    std::optional<double> done_at;
    std::optional<double> pod_deleting_at;
    delete_a_node_at_60s(
        run, node, [&] { done_at = sim::to_seconds(run.simulation().now()); }, {},
        models::DrainOptions{models::DrainStyle::kKarpenter, 5 * sim::kMinute});
    for (int t = 320; t <= 340; ++t) {
      run.simulation().schedule_at(t * sim::kSecond + 500 * sim::kMillisecond, [&, t] {
        for (const auto& p : run.cluster()->api().pods().list()) {
          if (p->spec.node_name == node && p->metadata.being_deleted() && !pod_deleting_at) {
            pod_deleting_at = t + 0.5;
          }
        }
      });
    }
    run.run();
    // Deleted at 60 + 300 − 30 = 330 s (committed a few milliseconds later), with 30 s grace.
    REQUIRE(pod_deleting_at.has_value());
    CHECK(*pod_deleting_at == Approx(330.5));
    CHECK(counter(run, "karpenter.pods_deleted_at_expiry") == 1);
    // The pod stops within its grace (the pool's podStopLatency, 1 s) and the next per-second
    // check finds the node empty: it goes before the period's end (360 s).
    REQUIRE(done_at.has_value());
    CHECK(*done_at > 330.0);
    CHECK(*done_at < 335.0);
    CHECK(run.cluster()->api().nodes().get("", node) == nullptr);
    // a's replacement runs on the other node.
    const std::string now_on = node_of(run, "a");
    CHECK(!now_on.empty());
    CHECK(now_on != node);
  }
}

TEST_CASE("a Karpenter drain also evicts a pod bound after it started", "[karpenter]") {
  // Karpenter's terminator lists the node's pods at every reconcile: a pod that reached the
  // node after the drain began (bound before the scheduler saw the taint) is evicted too,
  // and the node goes once both pods are gone.
  const std::string text = header("6m", false) + deployment("a", 1, "1");
  ScenarioRun run(testing::load_scenario_ok(text));
  std::string node;
  std::optional<double> done_at;
  delete_a_node_at_60s(
      run, node, [&] { done_at = sim::to_seconds(run.simulation().now()); }, {},
      models::DrainOptions{models::DrainStyle::kKarpenter, std::nullopt});
  run.simulation().schedule_at(61 * sim::kSecond, [&] {
    models::Pod late;
    late.metadata.namespace_ = "default";
    late.metadata.name = "late";
    late.spec.node_name = node;
    models::Container c;
    c.name = "c";
    c.image = "app:1";
    late.spec.containers.push_back(c);
    REQUIRE(run.cluster()->api().pods().create(late).ok());
  });
  run.run();
  REQUIRE(done_at.has_value());
  CHECK(run.cluster()->api().nodes().get("", node) == nullptr);
  CHECK(run.cluster()->api().pods().get("default", "late") == nullptr);
}

TEST_CASE("a Karpenter node goes at its terminationGracePeriod with a pod still there",
          "[pdb][karpenter]") {
  // Both small nodes' kubelets fail at 30 s, so nothing on them stops. A PDB refuses a's
  // eviction; terminationGracePeriod 2m, a's terminationGracePeriodSeconds 600: the pod is
  // DELETEd at once (start + 120 − 600 is past) with the 119 whole seconds left as its grace,
  // never goes (its kubelet is down), and the node is terminated at start + 120 s regardless
  // (terminator.go: the instance goes at expiry whatever is left).
  std::string text = header("6m", false);
  text += "  faults:\n  - {type: nodeFailure, at: 30s, pool: small, count: 2}\n";
  std::string dep = deployment("a", 1, "1");
  const std::string spec = "    spec:\n      containers:";
  dep.replace(dep.find(spec), spec.size(),
              "    spec:\n      terminationGracePeriodSeconds: 600\n      containers:");
  text += dep + pdb("a", "maxUnavailable: 0");
  ScenarioRun run(testing::load_scenario_ok(text));
  std::string node;
  std::optional<double> done_at;
  std::optional<std::int64_t> grace_given;
  bool pod_still_there = false;
  delete_a_node_at_60s(
      run, node, [&] { done_at = sim::to_seconds(run.simulation().now()); }, {},
      models::DrainOptions{models::DrainStyle::kKarpenter, 2 * sim::kMinute});
  run.simulation().schedule_at(61 * sim::kSecond, [&] {
    for (const auto& p : run.cluster()->api().pods().list()) {
      if (p->spec.node_name == node && p->metadata.being_deleted()) {
        grace_given = p->metadata.deletion_grace_period_seconds;
      }
    }
  });
  run.simulation().schedule_at(179 * sim::kSecond, [&] {
    for (const auto& p : run.cluster()->api().pods().list()) {
      pod_still_there = pod_still_there || p->spec.node_name == node;
    }
  });
  run.run();
  REQUIRE(grace_given.has_value());
  // The whole seconds left when the DELETE is sent: the drain starts once the taint is
  // written, a few ms after 60 s, so int64(time.Until(expiry).Seconds()) = 119.
  CHECK(*grace_given == 119);
  CHECK(counter(run, "karpenter.pods_deleted_at_expiry") == 1);
  CHECK(pod_still_there);
  REQUIRE(done_at.has_value());
  CHECK(*done_at == Approx(180.0).margin(1.0));
  CHECK(run.cluster()->api().nodes().get("", node) == nullptr);
}

TEST_CASE("PodDisruptionBudget manifests: read, and bad input reported with its location",
          "[pdb][manifests]") {
  auto read = [](const std::string& text, scenarios::Manifests& m) {
    scenarios::Diagnostics d;
    const bool ok = scenarios::read_manifests_text(text, "pdb.yaml", m, d);
    return std::pair(ok, d.format());
  };
  SECTION("fields") {
    scenarios::Manifests m;
    const auto [ok, diags] = read(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p, namespace: ns}\n"
        "spec:\n  maxUnavailable: 25%\n  unhealthyPodEvictionPolicy: AlwaysAllow\n"
        "  selector:\n    matchExpressions: [{key: app, operator: In, values: [web]}]\n"
        "status: {disruptionsAllowed: 3}\n",
        m);
    INFO(diags);
    CHECK(ok);
    REQUIRE(m.pod_disruption_budgets.size() == 1);
    const auto& p = m.pod_disruption_budgets[0];
    CHECK(p.metadata.namespace_ == "ns");
    REQUIRE(p.spec.max_unavailable.has_value());
    CHECK(p.spec.max_unavailable->percent);
    CHECK(p.spec.max_unavailable->value == 25);
    CHECK_FALSE(p.spec.min_available.has_value());
    CHECK(p.spec.unhealthy_pod_eviction_policy == models::UnhealthyPodEvictionPolicy::kAlwaysAllow);
    REQUIRE(p.spec.selector.has_value());
    CHECK(p.spec.selector->match_expressions.size() == 1);
    REQUIRE(m.ignored.size() == 1);
    CHECK(m.ignored[0].path == "status");
    CHECK(m.object_count() == 1);
  }
  SECTION("both minAvailable and maxUnavailable") {
    scenarios::Manifests m;
    const auto [ok, diags] = read(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p}\n"
        "spec:\n  minAvailable: 1\n  maxUnavailable: 1\n  selector: {matchLabels: {app: a}}\n",
        m);
    CHECK_FALSE(ok);
    CHECK(diags.find("pdb.yaml:6:") != std::string::npos);
    CHECK(diags.find("spec.maxUnavailable: minAvailable and maxUnavailable cannot be both set") !=
          std::string::npos);
  }
  SECTION("bad percentages") {
    scenarios::Manifests m;
    auto [ok, diags] = read(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p}\n"
        "spec:\n  minAvailable: 120%\n  selector: {matchLabels: {app: a}}\n",
        m);
    CHECK_FALSE(ok);
    CHECK(diags.find("pdb.yaml:5:") != std::string::npos);
    CHECK(diags.find("must not be greater than 100%") != std::string::npos);
    std::tie(ok, diags) = read(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: q}\n"
        "spec:\n  maxUnavailable: ten%\n  selector: {matchLabels: {app: a}}\n",
        m);
    CHECK_FALSE(ok);
    CHECK(diags.find("expected a non-negative integer or a percentage") != std::string::npos);
  }
  SECTION("missing selector, unknown policy") {
    scenarios::Manifests m;
    const auto [ok, diags] = read(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p}\n"
        "spec:\n  minAvailable: 1\n  unhealthyPodEvictionPolicy: Sometimes\n",
        m);
    CHECK_FALSE(ok);
    CHECK(diags.find("a PodDisruptionBudget needs spec.selector") != std::string::npos);
    CHECK(diags.find("hint:") != std::string::npos);
    CHECK(diags.find("unhealthyPodEvictionPolicy") != std::string::npos);
  }
}

}  // namespace kubesim::experiments
