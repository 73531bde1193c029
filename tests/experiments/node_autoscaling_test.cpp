// Node autoscaling in the running cluster (experiments/node_autoscaling.hpp with the node
// runtime of models/cluster.hpp): whole scenarios whose timelines are checked against hand
// calculations from upstream Cluster Autoscaler's rules (kubernetes/autoscaler
// cluster-autoscaler: core/static_autoscaler.go, clusterstate/clusterstate.go,
// core/scaledown/unneeded/nodes.go RemovableAt, expander/price) and Karpenter's documented
// behaviour, plus the cluster invariants and determinism.
//
// The timelines use constant delays so that every instant is known:
//   scan loops at 10 s, 20 s, ... (every --scan-interval from the start);
//   a node requested at r registers at r + provisioningDelay (NotReady, not-ready taint) and
//   posts Ready at registration + kubelet.nodeReadyDelay.
#include "experiments/node_autoscaling.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "experiments/scenario_run.hpp"
#include "models/cluster.hpp"
#include "scenarios/scenario.hpp"
#include "tests/support/cluster_invariants.hpp"

namespace kubesim::experiments {
namespace {

scenarios::Scenario load_text(const std::string& text, std::vector<std::string> overrides = {}) {
  scenarios::Diagnostics diagnostics;
  auto s = scenarios::load_scenario_text(text, "inline.yaml", overrides, diagnostics);
  INFO(diagnostics.format());
  REQUIRE(s.has_value());
  return *s;
}

std::vector<nlohmann::json> driver_events(const ScenarioRun& run) {
  std::ostringstream out;
  REQUIRE(run.node_autoscaling() != nullptr);
  run.node_autoscaling()->write_events_jsonl(out);
  std::vector<nlohmann::json> events;
  std::istringstream in(out.str());
  for (std::string line; std::getline(in, line);) events.push_back(nlohmann::json::parse(line));
  return events;
}

// Times (s) of the driver events of one kind and type (and node, when given).
std::vector<double> times_of(const std::vector<nlohmann::json>& events, const std::string& kind,
                             const std::string& type, const std::string& node = {}) {
  std::vector<double> out;
  for (const auto& e : events) {
    if (e["kind"] != kind || e["type"] != type) continue;
    if (!node.empty() && (!e.contains("node") || e["node"] != node)) continue;
    out.push_back(e["t"].get<double>());
  }
  return out;
}

std::int64_t counter(const ScenarioRun& run, const std::string& name) {
  const sim::Counter* c = run.metrics().find_counter(name);
  return c == nullptr ? -1 : c->value();
}

std::int64_t bound_pods(ScenarioRun& run, const std::string& prefix) {
  std::int64_t n = 0;
  for (const auto& p : run.cluster()->api().pods().list()) {
    if (p->metadata.name.rfind(prefix, 0) == 0 && p->bound() && !p->terminal() &&
        !p->metadata.being_deleted()) {
      ++n;
    }
  }
  return n;
}

// A Deployment `name` of `replicas` pods of `cpu`/`memory`, applied at `at` (empty: start).
std::string deployment(const std::string& name, int replicas, const std::string& cpu,
                       const std::string& memory, const std::string& at = {}) {
  std::string d = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\n";
  if (!at.empty()) d += "  annotations: {kubesim.io/apply-at: " + at + "}\n";
  d += "spec:\n  replicas: " + std::to_string(replicas) +
       "\n  selector:\n    matchLabels: {app: " + name +
       "}\n  template:\n    metadata:\n      labels: {app: " + name +
       "}\n    spec:\n      containers:\n      - name: c\n        image: app:1\n"
       "        resources:\n          requests: {cpu: \"" +
       cpu + "\", memory: " + memory + "}\n";
  return d;
}

// A tainted node outside every node group: the pods do not tolerate it, so the cluster is
// never empty and the autoscaled pools start where the test says.
const std::string kBasePool =
    "    - name: base\n      count: 1\n      cpu: \"1\"\n      memory: 4Gi\n"
    "      taints: [{key: dedicated, value: system, effect: NoSchedule}]\n";

std::string header(const std::string& duration, const std::string& pools,
                   const std::string& autoscaler) {
  return "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata:\n  name: t\nspec:\n"
         "  seed: 7\n  duration: " +
         duration +
         "\n  sampleInterval: 10s\n  outputs: {eventsJsonl: true}\n  cluster:\n    nodePools:\n" +
         kBasePool + pools + autoscaler;
}

// A 4-CPU pool with constant delays: provisioning 60 s, Ready 10 s after registration.
std::string pool(const std::string& name, int count, const std::string& cpu,
                 const std::string& memory, double cost, const std::string& extra = {}) {
  return "    - name: " + name + "\n      count: " + std::to_string(count) + "\n      cpu: \"" +
         cpu + "\"\n      memory: " + memory + "\n      costPerHour: " + std::to_string(cost) +
         "\n      provisioningDelay: 60s\n      kubelet: {nodeReadyDelay: 10s}\n" + extra;
}

}  // namespace

TEST_CASE("cluster autoscaler: pending pods get nodes after scan + provisioning + ready",
          "[node-autoscaling]") {
  // small-0 holds the first 2 pods of 2 CPU. At 60 s the Deployment scales to 6: 4 pods are
  // Unschedulable. Loop at 70 s: binpacking 4 × 2 CPU on 4-CPU templates = 2 nodes
  // (ceil(4 / 2)). They register at 70 + 60 = 130 s and post Ready at 140 s; the pods bind
  // right after (taint removal and the scheduler's retry take milliseconds).
  const std::string text =
      header("5m", pool("small", 1, "4", "16Gi", 0.2),
             "    clusterAutoscaler:\n      nodeGroups: [{pool: small, min: 1, max: 5}]\n") +
      deployment("web", 2, "2", "4Gi") + deployment("web", 6, "2", "4Gi", "60s");
  ScenarioRun run(load_text(text));
  run.run();
  const auto events = driver_events(run);
  const auto ups = times_of(events, "ClusterAutoscaler", "ScaleUp");
  REQUIRE(ups.size() == 1);
  CHECK(ups[0] == Approx(70.0));
  CHECK(counter(run, "ca.scale_ups") == 1);
  CHECK(counter(run, "ca.nodes_added") == 2);
  CHECK(times_of(events, "NodeLifecycle", "Registered", "small-1") == std::vector<double>{130.0});
  CHECK(times_of(events, "NodeLifecycle", "Registered", "small-2") == std::vector<double>{130.0});
  models::Cluster& c = *run.cluster();
  for (const char* name : {"small-1", "small-2"}) {
    auto node = c.api().nodes().get("", name);
    REQUIRE(node != nullptr);
    CHECK(node->ready());
    CHECK(sim::to_seconds(node->metadata.creation_timestamp) == Approx(130.0));
    for (const auto& t : node->spec.taints) CHECK(t.key != models::kTaintNodeNotReady);
  }
  // Every pod bound, the new ones between Ready (140 s) and 141 s.
  CHECK(bound_pods(run, "web-") == 6);
  for (const auto& r : run.observer()->pods()) {
    if (r.node == "small-1" || r.node == "small-2") {
      REQUIRE(r.scheduled);
      CHECK(sim::to_seconds(*r.scheduled) >= 140.0);
      CHECK(sim::to_seconds(*r.scheduled) < 141.0);
    }
  }
  CHECK(run.node_autoscaling()->pool_nodes("small") == 3);
  // Node-hours of the pool: 1 node for 300 s plus 2 nodes from 130 s to 300 s.
  CHECK(run.node_autoscaling()->node_hours("small") ==
        Approx((300.0 + 2 * 170.0) / 3600.0).epsilon(1e-9));
  CHECK(run.node_autoscaling()->cost("small") ==
        Approx(0.2 * (300.0 + 2 * 170.0) / 3600.0).epsilon(1e-9));
  check_invariants(run);
}

TEST_CASE("cluster autoscaler: new pods avoid a soft-tainted (unneeded) node",
          "[node-autoscaling]") {
  // small-0 holds a 2-CPU pod (needed: 0.5 is not below the 0.5 threshold); small-1 is empty,
  // hence unneeded at the first loop (10 s): DeletionCandidateOfClusterAutoscaler:
  // PreferNoSchedule. A 1-CPU pod at 60 s: NodeResourcesFit (LeastAllocated) prefers the
  // empty small-1, but TaintToleration (weight 3) scores it 0 against small-0's 100, so the
  // pod goes to small-0. With soft taints off it goes to small-1.
  auto run_with = [](const std::string& extra) {
    const std::string text =
        header(
            "2m", pool("small", 2, "4", "16Gi", 0.2),
            "    clusterAutoscaler:\n      nodeGroups: [{pool: small, min: 0, max: 5}]\n" + extra) +
        deployment("base", 1, "2", "4Gi") + deployment("late", 1, "1", "1Gi", "60s");
    auto run = std::make_unique<ScenarioRun>(load_text(text));
    run->run();
    std::string late_node;
    for (const auto& r : run->observer()->pods()) {
      if (r.name.rfind("late-", 0) == 0) late_node = r.node;
    }
    return std::pair{std::move(run), late_node};
  };
  auto [on, on_node] = run_with("");
  auto base_node = std::string();
  for (const auto& r : on->observer()->pods()) {
    if (r.name.rfind("base-", 0) == 0) base_node = r.node;
  }
  REQUIRE_FALSE(base_node.empty());
  CHECK(on_node == base_node);
  const std::string other = base_node == "small-0" ? "small-1" : "small-0";
  auto node = on->cluster()->api().nodes().get("", other);
  REQUIRE(node != nullptr);
  CHECK(std::any_of(node->spec.taints.begin(), node->spec.taints.end(), [](const auto& t) {
    return t.key == "DeletionCandidateOfClusterAutoscaler" &&
           t.effect == models::TaintEffect::kPreferNoSchedule;
  }));
  auto [off, off_node] = run_with("      maxBulkSoftTaintCount: 0\n");
  CHECK(off_node == other);
}

TEST_CASE("cluster autoscaler: coresTotal caps the scale-up end to end", "[node-autoscaling]") {
  // As above, with --cores-total 0:9: small-0 counts 4 cores (its group's target 1 × 4) and
  // the base node, in no node group, 1; so 4 are left and the 2-node estimate is capped at
  // floor(4 / 4) = 1; 2 of the 4 pending pods stay pending. (With 0:8, 3 left: no scale-up.)
  const std::string text =
      header("5m", pool("small", 1, "4", "16Gi", 0.2),
             "    clusterAutoscaler:\n      nodeGroups: [{pool: small, min: 1, max: 5}]\n"
             "      coresTotal: \"0:9\"\n") +
      deployment("web", 2, "2", "4Gi") + deployment("web", 6, "2", "4Gi", "60s");
  ScenarioRun run(load_text(text));
  run.run();
  CHECK(counter(run, "ca.scale_ups") == 1);
  CHECK(counter(run, "ca.nodes_added") == 1);
  CHECK(bound_pods(run, "web-") == 4);
  CHECK(run.node_autoscaling()->pool_nodes("small") == 2);
  check_invariants(run);
}

TEST_CASE("cluster autoscaler: empty nodes go after scale-down-unneeded-time",
          "[node-autoscaling]") {
  // As above, then at 180 s back to 2 replicas: the ReplicaSet deletes the 4 newest pods (on
  // small-1 and small-2; upstream ActivePodsWithRanks, newer first), which stop within ~1 s.
  // The loop at 190 s finds both nodes empty: unneeded since 190. RemovableAt: since + 10m
  // strictly before now → the loop at 800 s deletes them (not 790 s). Empty: no evictions;
  // the Node objects are deleted by 801 s. small-0 stays (100 % used, and min size 1).
  SECTION("default delays") {
    const std::string text =
        header("15m", pool("small", 1, "4", "16Gi", 0.2),
               "    clusterAutoscaler:\n      nodeGroups: [{pool: small, min: 1, max: 5}]\n") +
        deployment("web", 2, "2", "4Gi") + deployment("web", 6, "2", "4Gi", "60s") +
        deployment("web", 2, "2", "4Gi", "180s");
    ScenarioRun run(load_text(text));
    run.run();
    const auto events = driver_events(run);
    const auto downs = times_of(events, "ClusterAutoscaler", "ScaleDown");
    REQUIRE(downs.size() == 2);
    CHECK(downs[0] == Approx(800.0));
    CHECK(downs[1] == Approx(800.0));
    for (const char* node : {"small-1", "small-2"}) {
      const auto gone = times_of(events, "NodeLifecycle", "Deleted", node);
      REQUIRE(gone.size() == 1);
      CHECK(gone[0] >= 800.0);
      CHECK(gone[0] < 801.0);
      CHECK(run.cluster()->api().nodes().get("", node) == nullptr);
    }
    CHECK(run.cluster()->api().nodes().get("", "small-0") != nullptr);
    CHECK(counter(run, "ca.nodes_removed") == 2);
    CHECK(run.node_autoscaling()->pool_nodes("small") == 1);
    CHECK(bound_pods(run, "web-") == 2);
    check_invariants(run);
  }
  SECTION("scale-down-delay-after-add holds deletions back") {
    // With scaleDownDelayAfterAdd 20m the last scale-up (70 s) blocks scale-down until
    // 70 + 1200 = 1270 s (isScaleDownInCooldown: lastScaleUp + delay after now); the nodes,
    // unneeded since 190 s, go at the loop at 1270 s.
    const std::string text =
        header("25m", pool("small", 1, "4", "16Gi", 0.2),
               "    clusterAutoscaler:\n      nodeGroups: [{pool: small, min: 1, max: 5}]\n"
               "      scaleDownDelayAfterAdd: 20m\n") +
        deployment("web", 2, "2", "4Gi") + deployment("web", 6, "2", "4Gi", "60s") +
        deployment("web", 2, "2", "4Gi", "180s");
    ScenarioRun run(load_text(text));
    run.run();
    const auto downs = times_of(driver_events(run), "ClusterAutoscaler", "ScaleDown");
    REQUIRE(downs.size() == 2);
    CHECK(downs[0] == Approx(1270.0));
    check_invariants(run);
  }
}

TEST_CASE("cluster autoscaler: the expander's choice is visible end to end", "[node-autoscaling]") {
  // Two pods of 2 CPU / 8 GiB. "pricey": 4 CPU / 16 GiB at $1.00/h; "cheap": 8 CPU / 32 GiB at
  // $0.10/h. Each option is one node.
  //   least-waste (expander/waste): pricey wastes 0 (cpu 4/4, memory 16/16), cheap wastes
  //     (8-4)/8 + (32-16)/32 = 1.0 → pricey.
  //   price (expander/price/price.go): 1 node in the cluster → preferred node 1 CPU;
  //     unfitness pricey 4, cheap 8; stab = 0.5 × 0.033174 + 500/1024 × 0.004446 = 0.018758;
  //     pricey 4 × (1.00 + stab) = 4.08, cheap 8 × (0.10 + stab) = 0.95 (both over the same
  //     pod price) → cheap.
  auto run_with = [](const std::string& expander) {
    const std::string text =
        header("4m", pool("pricey", 0, "4", "16Gi", 1.0) + pool("cheap", 0, "8", "32Gi", 0.1),
               "    clusterAutoscaler:\n      expander: " + expander +
                   "\n      nodeGroups: [{pool: pricey, max: 3}, {pool: cheap, max: 3}]\n") +
        deployment("job", 2, "2", "8Gi");
    auto run = std::make_unique<ScenarioRun>(load_text(text));
    run->run();
    return run;
  };
  SECTION("least-waste picks the tight node") {
    auto run = run_with("least-waste");
    CHECK(run->node_autoscaling()->pool_nodes("pricey") == 1);
    CHECK(run->node_autoscaling()->pool_nodes("cheap") == 0);
    CHECK(run->cluster()->api().nodes().get("", "pricey-0") != nullptr);
    CHECK(bound_pods(*run, "job-") == 2);
    check_invariants(*run);
  }
  SECTION("price picks the cheaper pool") {
    auto run = run_with("price");
    CHECK(run->node_autoscaling()->pool_nodes("pricey") == 0);
    CHECK(run->node_autoscaling()->pool_nodes("cheap") == 1);
    CHECK(run->cluster()->api().nodes().get("", "cheap-0") != nullptr);
    CHECK(bound_pods(*run, "job-") == 2);
    check_invariants(*run);
  }
  SECTION("a chain: priority first, least-waste among equals") {
    auto run =
        run_with("[priority, least-waste]\n      priorities: {10: [\"^cheap$\"], 5: [\"pricey\"]}");
    CHECK(run->node_autoscaling()->pool_nodes("cheap") == 1);
    CHECK(run->node_autoscaling()->pool_nodes("pricey") == 0);
  }
}

TEST_CASE("cluster autoscaler: a scale-up that never registers fails and backs off",
          "[node-autoscaling]") {
  // "slow" nodes take 30 min to come up; the priority expander prefers them. Pods pending at
  // 60 s → loop at 70 s requests slow-0. Its expected add time is 70 + 15m = 970 s; the first
  // loop after it (980 s) declares the scale-up failed (clusterstate.go: expected add time
  // before now), cancels slow-0 and backs the group off for 5 min
  // (--initial-node-group-backoff-duration); the same loop scales "backup" up instead, whose
  // node registers at 980 + 60 = 1040 s. slow-0 never registers.
  const std::string slow =
      "    - name: slow\n      count: 0\n      cpu: \"4\"\n      memory: 16Gi\n"
      "      costPerHour: 0.1\n      provisioningDelay: 30m\n      kubelet: {nodeReadyDelay: "
      "10s}\n";
  const std::string text =
      header("40m", slow + pool("backup", 0, "4", "16Gi", 0.5),
             "    clusterAutoscaler:\n      expander: priority\n"
             "      priorities: {20: [slow], 10: [backup]}\n"
             "      nodeGroups: [{pool: slow, max: 3}, {pool: backup, max: 3}]\n") +
      deployment("web", 2, "2", "4Gi", "60s");
  ScenarioRun run(load_text(text));
  run.run();
  const auto events = driver_events(run);
  CHECK(times_of(events, "NodeLifecycle", "Requested", "slow-0") == std::vector<double>{70.0});
  CHECK(times_of(events, "ClusterAutoscaler", "FailedScaleUp") == std::vector<double>{980.0});
  CHECK(times_of(events, "NodeLifecycle", "Cancelled", "slow-0") == std::vector<double>{980.0});
  CHECK(times_of(events, "NodeLifecycle", "Registered", "slow-0").empty());
  CHECK(times_of(events, "NodeLifecycle", "Registered", "backup-0") == std::vector<double>{1040.0});
  for (const auto& e : events) {
    if (e["type"] == "FailedScaleUp") {
      CHECK(e["group"] == "slow");
      CHECK(e["cancelled"] == 1);
      CHECK(e["backoffUntil"].get<double>() == Approx(980.0 + 300.0));
    }
  }
  CHECK(counter(run, "ca.failed_scale_ups") == 1);
  CHECK(counter(run, "ca.nodes_cancelled") == 1);
  CHECK(run.cluster()->provisioning_nodes().empty());
  CHECK(run.cluster()->api().nodes().get("", "slow-0") == nullptr);
  CHECK(bound_pods(run, "web-") == 2);
  check_invariants(run);
}

TEST_CASE("karpenter: launches the cheapest fitting type and consolidates empty nodes",
          "[node-autoscaling]") {
  // Three pods of 1 CPU. Offerings: small 4 CPU at $0.20/h, large 16 CPU at $1.00/h. One small
  // node holds all three: $0.067 per pod against large's $0.33 → one small launch (at the
  // first 10 s batch after the pods are unschedulable: 70 s), registered at 130 s. At 5m the
  // Deployment goes to 0: the node is empty; consolidateAfter 30s → the Emptiness command is
  // computed at the first loop at least 30 s after its pod set last changed (by 300 + 30 +
  // 10 + 10 s) and acted on 15 s later (consolidationTTL).
  const std::string text =
      header("8m", pool("small", 0, "4", "16Gi", 0.2) + pool("large", 0, "16", "64Gi", 1.0),
             "    karpenter:\n      offerings: [{pool: small}, {pool: large}]\n"
             "      consolidateAfter: 30s\n") +
      deployment("web", 3, "1", "2Gi", "60s") + deployment("web", 0, "1", "2Gi", "300s");
  ScenarioRun run(load_text(text));
  run.run();
  const auto events = driver_events(run);
  const auto launches = times_of(events, "Karpenter", "Launch");
  for (const auto& e : events) UNSCOPED_INFO(e.dump());
  REQUIRE(launches.size() == 1);
  CHECK(launches[0] == Approx(70.0));
  for (const auto& e : events) {
    if (e["type"] == "Launch") {
      CHECK(e["offering"] == "small");
      CHECK(e["pods"] == 3);
    }
  }
  CHECK(times_of(events, "NodeLifecycle", "Registered", "small-0") == std::vector<double>{130.0});
  const auto consolidations = times_of(events, "Karpenter", "Consolidation");
  REQUIRE(consolidations.size() == 1);
  CHECK(consolidations[0] >= 345.0);
  CHECK(consolidations[0] <= 365.0);
  for (const auto& e : events) {
    if (e["type"] == "Consolidation") {
      CHECK(e["method"] == "Emptiness");
      CHECK(e["decision"] == "Empty");
    }
  }
  CHECK(run.cluster()->api().nodes().get("", "small-0") == nullptr);
  CHECK(counter(run, "karpenter.launches") == 1);
  CHECK(counter(run, "karpenter.nodes_removed") == 1);
  check_invariants(run);
}

TEST_CASE("karpenter: a node past expireAfter is deleted and its pod gets a new node",
          "[node-autoscaling][karpenter]") {
  // One pod of 1 CPU at 60 s: launch at 70 s, small-0 registers at 130 s. expireAfter 5m:
  // deleted at the first loop at or after 130 + 300 = 430 s. Its pod is evicted, pending
  // again, and a second launch follows (registration 60 s later).
  const std::string text =
      header("10m", pool("small", 0, "4", "16Gi", 0.2),
             "    karpenter:\n      offerings: [{pool: small}]\n      expireAfter: 5m\n"
             "      budgets: [{nodes: \"0\"}]\n") +
      deployment("web", 1, "1", "2Gi", "60s");
  ScenarioRun run(load_text(text));
  run.run();
  const auto events = driver_events(run);
  CHECK(times_of(events, "Karpenter", "Expiration") == std::vector<double>{430.0});
  const auto launches = times_of(events, "Karpenter", "Launch");
  REQUIRE(launches.size() == 2);
  CHECK(launches[0] == Approx(70.0));
  CHECK(launches[1] > 430.0);
  CHECK(counter(run, "karpenter.nodes_expired") == 1);
  CHECK(counter(run, "karpenter.consolidations") == 0);  // budget 0: no voluntary disruption
  CHECK(run.cluster()->api().nodes().get("", "small-0") == nullptr);
  CHECK(bound_pods(run, "web-") == 1);
  check_invariants(run);
}

TEST_CASE("the karpenter example consolidates as its header describes",
          "[node-autoscaling][karpenter][examples]") {
  scenarios::Diagnostics diagnostics;
  auto s = scenarios::load_scenario_file(
      std::string(KUBESIM_SOURCE_DIR) + "/scenarios/examples/karpenter.yaml", {}, diagnostics);
  INFO(diagnostics.format());
  REQUIRE(s.has_value());
  ScenarioRun run(std::move(*s));
  run.run();
  const auto events = driver_events(run);
  std::vector<std::string> steps;
  for (const auto& e : events) {
    if (e["type"] == "Consolidation") {
      steps.push_back(e["method"].get<std::string>() + "/" + e["decision"].get<std::string>() +
                      "/" + std::to_string(static_cast<int>(e["t"].get<double>())));
    }
  }
  CHECK(steps == std::vector<std::string>{"SingleNodeConsolidation/Delete/1525",
                                          "MultiNodeConsolidation/Delete/1605",
                                          "SingleNodeConsolidation/Replace/1685"});
  const auto launches = times_of(events, "Karpenter", "Launch");
  CHECK(launches == std::vector<double>{310.0, 310.0, 310.0, 310.0});  // a Replace is no Launch
  CHECK(counter(run, "karpenter.consolidations_abandoned") == 0);
  CHECK(run.node_autoscaling()->pool_nodes("m6i-4xlarge") == 0);
  CHECK(run.node_autoscaling()->pool_nodes("m6i-2xlarge") == 1);
  CHECK(run.node_autoscaling()->pool_nodes("m6i-xlarge") == 0);
  CHECK(bound_pods(run, "web-") == 12);
  check_invariants(run);
}

TEST_CASE("the karpenter-nodepools example drifts its GPU node as its header describes",
          "[node-autoscaling][karpenter][examples]") {
  scenarios::Diagnostics diagnostics;
  auto s = scenarios::load_scenario_file(
      std::string(KUBESIM_SOURCE_DIR) + "/scenarios/examples/karpenter-nodepools.yaml", {},
      diagnostics);
  INFO(diagnostics.format());
  REQUIRE(s.has_value());
  ScenarioRun run(std::move(*s));
  run.run();
  const auto events = driver_events(run);
  std::vector<std::string> launches;  // offering/nodePool/pods at t
  std::vector<std::string> drifts;
  for (const auto& e : events) {
    const std::string t = std::to_string(static_cast<int>(e["t"].get<double>()));
    if (e["type"] == "Launch") {
      launches.push_back(e["offering"].get<std::string>() + "/" + e["nodePool"].get<std::string>() +
                         "/" + std::to_string(e["pods"].get<int>()) + "@" + t);
    } else if (e["type"] == "Drift") {
      drifts.push_back(e["decision"].get<std::string>() + "/" + e["nodes"].get<std::string>() +
                       "/" + e["replacement"].get<std::string>() + "@" + t);
    }
  }
  // 4 GPU pods: one claim shrinks to the 4-GPU type; 3 of the 6 web pods fit the base node,
  // the other 3 (3 CPU) fit the 4-CPU type (3.8 CPU allocatable), the cheapest holding them.
  CHECK(launches == std::vector<std::string>{"g5-12xlarge/gpu/4@70", "m6i-xlarge/general/3@70"});
  CHECK(drifts == std::vector<std::string>{"Replace/g5-12xlarge-0/g5-12xlarge-1@1200"});
  const auto& nodes = run.cluster()->api().nodes();
  CHECK(nodes.get("", "g5-12xlarge-0") == nullptr);
  REQUIRE(nodes.get("", "g5-12xlarge-1") != nullptr);
  CHECK(nodes.get("", "g5-12xlarge-1")->metadata.labels.get("karpenter.sh/nodepool") == "gpu");
  REQUIRE(nodes.get("", "m6i-xlarge-0") != nullptr);  // general did not drift
  for (const auto& p : run.cluster()->api().pods().list()) {
    if (p->metadata.being_deleted()) continue;
    if (p->metadata.name.rfind("inference-", 0) == 0) CHECK(p->spec.node_name == "g5-12xlarge-1");
    if (p->metadata.name.rfind("web-", 0) == 0) CHECK(p->spec.node_name.rfind("g5", 0) != 0);
  }
  CHECK(bound_pods(run, "inference-") == 4);
  CHECK(bound_pods(run, "web-") == 6);
  CHECK(counter(run, "karpenter.drift_commands") == 1);
  // Cost per NodePool: each is its offerings' node-hours times their prices (gpu used only
  // g5.12xlarge, general only m6i.xlarge), and with the base node (40 min at $0.192) they
  // add up to the cluster's.
  const auto summary = nlohmann::json::parse(run.summary_json());
  const auto& pools = summary["cluster"]["karpenter_node_pools"];
  const double gpu_hours = pools["gpu"]["node_hours"].get<double>();
  const double general_hours = pools["general"]["node_hours"].get<double>();
  CHECK(pools["gpu"]["cost"].get<double>() == Approx(gpu_hours * 5.672));
  CHECK(pools["general"]["cost"].get<double>() == Approx(general_hours * 0.192));
  CHECK(pools["gpu"]["nodes_at_end"] == 1);
  CHECK(pools["general"]["nodes_at_end"] == 1);
  // The first GPU node lives from its registration (after 70 s) to past the drift at 1200 s,
  // the second from its own registration to the end: more than the 1200 s after the drift.
  CHECK(gpu_hours > (2400.0 - 1200.0) / 3600.0);
  const double base_hours = 40.0 / 60.0;
  CHECK(summary["cluster"]["node_hours"].get<double>() ==
        Approx(gpu_hours + general_hours + base_hours));
  CHECK(summary["cluster"]["cost"].get<double>() ==
        Approx(pools["gpu"]["cost"].get<double>() + pools["general"]["cost"].get<double>() +
               base_hours * 0.192));
  check_invariants(run);
}

TEST_CASE("karpenter: a Replace taints its node at once and gives up after 10 minutes",
          "[node-autoscaling][karpenter]") {
  // large-0 ($1.00) holds one 1-CPU pod; small ($0.20) holds it too: a single-node Replace is
  // computed at the 10 s loop and acted on at 25 s. The node is tainted karpenter.sh/disrupted
  // at once; the replacement takes 30 minutes to come, so at the first loop 10 minutes after
  // the command (630 s) the taint comes off and the node stays (orchestration queue
  // maxRetryDuration).
  const std::string text =
      header("12m",
             pool("large", 1, "16", "64Gi", 1.0) +
                 "    - name: small\n      count: 0\n      cpu: \"4\"\n      memory: 16Gi\n"
                 "      costPerHour: 0.2\n      provisioningDelay: 30m\n",
             "    karpenter:\n      offerings: [{pool: large}, {pool: small}]\n") +
      deployment("web", 1, "1", "2Gi");
  ScenarioRun run(load_text(text));
  bool tainted_at_300 = false;
  auto disrupted = [&run] {
    auto n = run.cluster()->api().nodes().get("", "large-0");
    return n != nullptr &&
           std::any_of(n->spec.taints.begin(), n->spec.taints.end(),
                       [](const auto& t) { return t.key == "karpenter.sh/disrupted"; });
  };
  run.simulation().schedule_at(300 * sim::kSecond, [&] { tainted_at_300 = disrupted(); });
  run.run();
  const auto events = driver_events(run);
  CHECK(times_of(events, "Karpenter", "Consolidation") == std::vector<double>{25.0});
  CHECK(times_of(events, "Karpenter", "ReplacementFailed") == std::vector<double>{630.0});
  CHECK(tainted_at_300);
  CHECK_FALSE(disrupted());
  CHECK(run.cluster()->api().nodes().get("", "large-0") != nullptr);
  CHECK(counter(run, "karpenter.replacements_failed") == 1);
  CHECK(bound_pods(run, "web-") == 1);
}

TEST_CASE("karpenter: a launch that never registers is given up after the registration TTL",
          "[node-autoscaling]") {
  // The only offering takes 30 min to come up; registrationTTL 15m. Launch at 70 s; at the
  // first batch with 70 + 900 < now (980 s) the provisioner drops it and, the pods still
  // pending, launches again; the driver cancels the stale request (slow-0). Again at
  // 980 + 910 = 1890 s (slow-1 cancelled, slow-2 launched).
  const std::string slow =
      "    - name: slow\n      count: 0\n      cpu: \"4\"\n      memory: 16Gi\n"
      "      costPerHour: 0.1\n      provisioningDelay: 30m\n";
  const std::string text =
      header("35m", slow,
             "    karpenter:\n      offerings: [{pool: slow}]\n      registrationTTL: 15m\n") +
      deployment("web", 2, "1", "2Gi", "60s");
  ScenarioRun run(load_text(text));
  run.run();
  const auto events = driver_events(run);
  CHECK(times_of(events, "Karpenter", "Launch") == std::vector<double>{70.0, 980.0, 1890.0});
  CHECK(times_of(events, "NodeLifecycle", "Cancelled", "slow-0") == std::vector<double>{980.0});
  CHECK(times_of(events, "NodeLifecycle", "Cancelled", "slow-1") == std::vector<double>{1890.0});
  CHECK(times_of(events, "NodeLifecycle", "Registered").empty());
  CHECK(counter(run, "karpenter.launches_expired") == 2);
  CHECK(run.cluster()->provisioning_nodes("slow") == std::vector<std::string>{"slow-2"});
  check_invariants(run);
}

TEST_CASE("spot reclaim: nodes go after a 2-minute notice and the autoscaler replaces them",
          "[node-autoscaling]") {
  // Two spot nodes of 4 CPU hold four 2-CPU pods; each node lives an exponential time with a
  // mean of 30 min. A notice drains the node (its pods are recreated by the ReplicaSet and
  // become Unschedulable), the machine goes 120 s after the notice, and the node group
  // replaces it (Cluster Autoscaler counts it as upcoming meanwhile, or scales up).
  const std::string spot =
      pool("spot", 2, "4", "16Gi", 0.05, "      spot: {meanTimeToReclaim: 30m}\n");
  const std::string text =
      header("2h", spot,
             "    clusterAutoscaler:\n      nodeGroups: [{pool: spot, min: 0, max: 6}]\n") +
      deployment("web", 4, "2", "4Gi");
  ScenarioRun run(load_text(text));
  run.run();
  const auto events = driver_events(run);
  const auto notices = times_of(events, "NodeLifecycle", "SpotNotice");
  const auto reclaims = times_of(events, "NodeLifecycle", "Reclaimed");
  // Two hours of two-plus nodes at one reclaim per 30 min each: several reclaims.
  REQUIRE(notices.size() >= 2);
  CHECK(counter(run, "spot.notices") == static_cast<std::int64_t>(notices.size()));
  double last = 0;
  for (const auto& e : events) {
    if (e["type"] != "SpotNotice") continue;
    const std::string node = e["node"];
    const double t = e["t"];
    last = std::max(last, t);
    // Reclaimed exactly 2 minutes after the notice (when the run lasts that long), and the
    // Node object gone by then.
    const auto r = times_of(events, "NodeLifecycle", "Reclaimed", node);
    if (t + 120.0 <= 7200.0) {
      REQUIRE(r.size() == 1);
      CHECK(r[0] == Approx(t + 120.0));
      const auto gone = times_of(events, "NodeLifecycle", "Deleted", node);
      REQUIRE(gone.size() == 1);
      CHECK(gone[0] <= t + 120.0);
    }
  }
  CHECK(counter(run, "spot.reclaims") == static_cast<std::int64_t>(reclaims.size()));
  // The node group keeps its target size (an ASG or MIG replaces a terminated instance): each
  // reclaimed node Cluster Autoscaler was not removing gets a replacement requested at the
  // reclaim.
  std::int64_t replaced = 0;
  for (const auto& e : events) {
    if (e["type"] != "Reclaimed") continue;
    const std::string node = e["node"];
    if (!times_of(events, "ClusterAutoscaler", "ScaleDown", node).empty()) continue;
    ++replaced;
    CHECK(!times_of(events, "NodeLifecycle", "Requested").empty());
    bool requested_then = false;
    for (double t : times_of(events, "NodeLifecycle", "Requested")) {
      requested_then = requested_then || t == e["t"].get<double>();
    }
    CHECK(requested_then);
  }
  CHECK(replaced >= 1);
  CHECK(counter(run, "ca.nodes_replaced") == replaced);
  // Capacity came back: unless a reclaim came in the last 5 minutes, all four pods run.
  if (last < 7200.0 - 300.0) CHECK(bound_pods(run, "web-") == 4);
  check_invariants(run);
}

TEST_CASE("node autoscaling runs are deterministic", "[node-autoscaling]") {
  const std::string spot =
      pool("spot", 2, "4", "16Gi", 0.05, "      spot: {meanTimeToReclaim: 20m}\n");
  const std::string text =
      header("1h", spot + pool("small", 0, "4", "16Gi", 0.2),
             "    clusterAutoscaler:\n      expander: random\n"
             "      nodeGroups: [{pool: spot, max: 6}, {pool: small, max: 6}]\n") +
      deployment("web", 4, "2", "4Gi") + deployment("web", 8, "2", "4Gi", "10m") +
      deployment("web", 3, "2", "4Gi", "30m");
  const scenarios::Scenario s = load_text(text);
  ScenarioRun a(s), b(s);
  a.run();
  b.run();
  CHECK(a.simulation().fingerprint() == b.simulation().fingerprint());
  std::ostringstream ea, eb;
  a.node_autoscaling()->write_events_jsonl(ea);
  b.node_autoscaling()->write_events_jsonl(eb);
  CHECK(ea.str() == eb.str());
  CHECK(!ea.str().empty());
  // Another replication draws other reclaim times.
  ScenarioRun c(s, 1);
  c.run();
  std::ostringstream ec;
  c.node_autoscaling()->write_events_jsonl(ec);
  CHECK(ec.str() != ea.str());
  check_invariants(a);
}

TEST_CASE("karpenter NodePools: weight decides, nodes carry karpenter.sh/nodepool",
          "[node-autoscaling][karpenter]") {
  // NodePool reserved (weight 50: large, 16 CPU, $1.00/h) and default (small, 4 CPU,
  // $0.20/h). At 60 s, web (3 × 3 CPU, no constraint) and api (2 × 1 CPU, nodeSelector
  // karpenter.sh/nodepool: default). The 10 s batch at 70 s, largest pods first: web-0 opens
  // a claim in reserved, the highest weight (though small is cheaper), and web-1, web-2 join
  // it; api's pods cannot join it (its template has the label reserved) and open one in
  // default. Both nodes register at 130 s.
  std::string api = deployment("api", 2, "1", "2Gi", "60s");
  const std::string spec = "    spec:\n      containers:";
  api.replace(api.find(spec), spec.size(),
              "    spec:\n      nodeSelector: {karpenter.sh/nodepool: default}\n      containers:");
  const std::string text =
      header("4m", pool("small", 0, "4", "16Gi", 0.2) + pool("large", 0, "16", "64Gi", 1.0),
             "    karpenter:\n      nodePools:\n"
             "      - {name: reserved, weight: 50, offerings: [{pool: large}]}\n"
             "      - {name: default, offerings: [{pool: small}], terminationGracePeriod: 1h}\n") +
      deployment("web", 3, "3", "2Gi", "60s") + api;
  ScenarioRun run(load_text(text));
  run.run();
  const auto events = driver_events(run);
  std::map<std::string, std::pair<std::string, std::int64_t>> launched;  // offering → pool, pods
  for (const auto& e : events) {
    UNSCOPED_INFO(e.dump());
    if (e["type"] == "Launch") {
      CHECK(e["t"].get<double>() == Approx(70.0));
      launched[e["offering"]] = {e["nodePool"], e["pods"]};
    }
  }
  REQUIRE(launched.size() == 2);
  CHECK(launched["large"] == std::pair<std::string, std::int64_t>{"reserved", 3});
  CHECK(launched["small"] == std::pair<std::string, std::int64_t>{"default", 2});
  auto large = run.cluster()->api().nodes().get("", "large-0");
  auto small = run.cluster()->api().nodes().get("", "small-0");
  REQUIRE(large != nullptr);
  REQUIRE(small != nullptr);
  CHECK(large->metadata.labels.get("karpenter.sh/nodepool") == "reserved");
  CHECK(small->metadata.labels.get("karpenter.sh/nodepool") == "default");
  CHECK(small->metadata.labels.get("karpenter.sh/capacity-type") == "on-demand");
  for (const auto& p : run.cluster()->api().pods().list()) {
    if (p->metadata.name.rfind("api-", 0) == 0) CHECK(p->spec.node_name == "small-0");
    if (p->metadata.name.rfind("web-", 0) == 0) CHECK(p->spec.node_name == "large-0");
  }
  CHECK(bound_pods(run, "") == 5);
  check_invariants(run);
}

TEST_CASE("karpenter drift: a template update replaces the old node, new pods keep running",
          "[node-autoscaling][karpenter]") {
  // web (3 × 1 CPU) at 60 s: small-0 launched at 70 s, registered at 130 s, Ready at 140 s.
  // The NodePool's template changes at 5m: at the 300 s pass small-0 is Drifted; its pods
  // fit no other node, so Drift replaces it with a new small (acted on at once), tainted
  // karpenter.sh/disrupted meanwhile. small-1 registers at 360 s and is Ready at 370 s;
  // then small-0 is drained and deleted and web runs on small-1, which is not drifted.
  const std::string text =
      header("10m", pool("small", 0, "4", "16Gi", 0.2),
             "    karpenter:\n      offerings: [{pool: small}]\n      consolidateAfter: Never\n"
             "      templateUpdates: [{at: 5m}]\n") +
      deployment("web", 3, "1", "2Gi", "60s");
  ScenarioRun run(load_text(text));
  run.run();
  const auto events = driver_events(run);
  for (const auto& e : events) UNSCOPED_INFO(e.dump());
  CHECK(times_of(events, "Karpenter", "Drift") == std::vector<double>{300.0});
  for (const auto& e : events) {
    if (e["type"] == "Drift") {
      CHECK(e["method"] == "Drift");
      CHECK(e["decision"] == "Replace");
      CHECK(e["nodes"] == "small-0");
      CHECK(e["replacement"] == "small-1");
    }
  }
  CHECK(times_of(events, "NodeLifecycle", "Registered", "small-1") == std::vector<double>{360.0});
  CHECK(run.cluster()->api().nodes().get("", "small-0") == nullptr);
  REQUIRE(run.cluster()->api().nodes().get("", "small-1") != nullptr);
  for (const auto& p : run.cluster()->api().pods().list()) {
    if (p->metadata.name.rfind("web-", 0) == 0 && !p->metadata.being_deleted()) {
      CHECK(p->spec.node_name == "small-1");
    }
  }
  CHECK(bound_pods(run, "web-") == 3);
  CHECK(counter(run, "karpenter.drift_commands") == 1);
  CHECK(counter(run, "karpenter.consolidations") == 0);
  CHECK(counter(run, "karpenter.nodes_removed") == 1);
  check_invariants(run);
}

TEST_CASE("karpenter budget schedules follow spec.startTime's calendar",
          "[node-autoscaling][karpenter]") {
  // As the first karpenter test: small-0 runs web (3 pods) from 130 s and is empty from
  // 300 s; Emptiness acts about 345–365 s. A budget of 0 nodes from 09:00 for 8h on
  // weekdays (UTC): with the run starting Monday 2026-11-23 08:58, 300 s is 09:03 and the
  // node stays for the whole run; starting Saturday 11-28 at 08:58, it goes as before.
  auto run_from = [](const std::string& start) {
    const std::string text =
        header("8m", pool("small", 0, "4", "16Gi", 0.2),
               "    karpenter:\n      offerings: [{pool: small}]\n      consolidateAfter: 30s\n"
               "      budgets: [{nodes: \"0\", schedule: \"0 9 * * mon-fri\", duration: 8h}]\n") +
        deployment("web", 3, "1", "2Gi", "60s") + deployment("web", 0, "1", "2Gi", "300s");
    std::string with_start = text;
    with_start.replace(with_start.find("  seed: 7\n"), 10,
                       "  seed: 7\n  startTime: " + start + "\n");
    auto run = std::make_unique<ScenarioRun>(load_text(with_start));
    run->run();
    return run;
  };
  auto weekday = run_from("2026-11-23T08:58:00Z");
  CHECK(times_of(driver_events(*weekday), "Karpenter", "Consolidation").empty());
  CHECK(weekday->cluster()->api().nodes().get("", "small-0") != nullptr);
  auto saturday = run_from("2026-11-28T08:58:00Z");
  const auto c = times_of(driver_events(*saturday), "Karpenter", "Consolidation");
  REQUIRE(c.size() == 1);
  CHECK(c[0] >= 345.0);
  CHECK(c[0] <= 365.0);
  CHECK(saturday->cluster()->api().nodes().get("", "small-0") == nullptr);
}

TEST_CASE("node autoscaling fields are validated with their location", "[node-autoscaling]") {
  auto errors = [](const std::string& text) {
    scenarios::Diagnostics diagnostics;
    auto s = scenarios::load_scenario_text(text, "inline.yaml", {}, diagnostics);
    CHECK_FALSE(s.has_value());
    return diagnostics.format();
  };
  const std::string pools = pool("small", 1, "4", "16Gi", 0.2);
  SECTION("unknown pool, with a suggestion") {
    const std::string msg = errors(
        header("1m", pools, "    clusterAutoscaler:\n      nodeGroups: [{pool: smal, max: 3}]\n"));
    CHECK_THAT(msg, Catch::Contains("inline.yaml:"));
    CHECK_THAT(msg, Catch::Contains("no node pool \"smal\""));
    CHECK_THAT(msg, Catch::Contains("did you mean 'small'"));
  }
  SECTION("unknown expander") {
    const std::string msg = errors(header("1m", pools,
                                          "    clusterAutoscaler:\n      expander: least-wast\n"
                                          "      nodeGroups: [{pool: small, max: 3}]\n"));
    CHECK_THAT(msg, Catch::Contains("unknown expander \"least-wast\""));
    CHECK_THAT(msg, Catch::Contains("inline.yaml:25:17"));
  }
  SECTION("min above max, and a pool larger than max") {
    const std::string msg = errors(
        header("1m", pools,
               "    clusterAutoscaler:\n      nodeGroups: [{pool: small, min: 3, max: 0}]\n"));
    CHECK_THAT(msg, Catch::Contains("min (3) is above max (0)"));
    CHECK_THAT(msg, Catch::Contains("more than max 0"));
  }
  SECTION("unknown option and bad threshold") {
    const std::string msg = errors(
        header("1m", pools,
               "    clusterAutoscaler:\n      nodeGroups: [{pool: small, max: 3}]\n"
               "      scaleDownUtilisationThreshold: 0.5\n      scaleDownUnneededTime: 10\n"));
    CHECK_THAT(msg, Catch::Contains("scaleDownUtilisationThreshold"));
    CHECK_THAT(msg, Catch::Contains("scaleDownUnneededTime"));
  }
  SECTION("priority without priorities; both autoscalers") {
    CHECK_THAT(errors(header("1m", pools,
                             "    clusterAutoscaler:\n      expander: priority\n"
                             "      nodeGroups: [{pool: small, max: 3}]\n")),
               Catch::Contains("the priority expander needs priorities"));
    CHECK_THAT(errors(header("1m", pools,
                             "    clusterAutoscaler:\n      nodeGroups: [{pool: small, max: 3}]\n"
                             "    karpenter:\n      offerings: [{pool: small}]\n")),
               Catch::Contains("not both"));
  }
  SECTION("resource limits: <min>:<max> and <type>:<min>:<max>") {
    const std::string ca = "    clusterAutoscaler:\n      nodeGroups: [{pool: small, max: 3}]\n";
    CHECK_THAT(errors(header("1m", pools, ca + "      coresTotal: \"10\"\n")),
               Catch::Contains("\"10\" is not <min>:<max>"));
    CHECK_THAT(errors(header("1m", pools, ca + "      memoryTotal: \"64:32\"\n")),
               Catch::Contains("0 <= min <= max"));
    CHECK_THAT(errors(header("1m", pools, ca + "      coresTotal: \"-1:8\"\n")),
               Catch::Contains("coresTotal"));
    CHECK_THAT(errors(header("1m", pools, ca + "      gpuTotal: [\"0:8\"]\n")),
               Catch::Contains("is not <gpu_type>:<min>:<max>"));
    CHECK_THAT(errors(header("1m", pools, ca + "      gpuTotal: [\"h100:0:x\"]\n")),
               Catch::Contains("\"0:x\" is not <min>:<max>"));
    CHECK_THAT(errors(header("1m", pools, ca + "      gpuTotal: [\"h100:0:8\", \"h100:0:9\"]\n")),
               Catch::Contains("limited twice"));
  }
  SECTION("karpenter nodePools") {
    const std::string two = pools + pool("large", 0, "16", "64Gi", 1.0);
    const std::string k = "    karpenter:\n      nodePools:\n";
    CHECK_THAT(errors(header("1m", two,
                             k + "      - {name: a, offerings: [{pool: small}]}\n"
                                 "      offerings: [{pool: large}]\n")),
               Catch::Contains("give NodePool fields in nodePools[] entries"));
    CHECK_THAT(errors(header("1m", two,
                             k + "      - {name: a, offerings: [{pool: small}]}\n"
                                 "      - {name: a, offerings: [{pool: large}]}\n")),
               Catch::Contains("duplicate NodePool name \"a\""));
    CHECK_THAT(errors(header("1m", two,
                             k + "      - {name: a, offerings: [{pool: small}]}\n"
                                 "      - {name: b, offerings: [{pool: small}]}\n")),
               Catch::Contains("pool \"small\" is already an offering of NodePool \"a\""));
    CHECK_THAT(errors(header("1m", two,
                             k + "      - {name: a, weight: 101, offerings: [{pool: small}]}\n")),
               Catch::Contains("weight"));
    CHECK_THAT(
        errors(header("1m", two, k + "      - {name: a, weight: 0, offerings: [{pool: small}]}\n")),
        Catch::Contains("weight"));
    CHECK_THAT(errors(header("1m", two, k + "      - {name: GPU_1, offerings: [{pool: small}]}\n")),
               Catch::Contains("\"GPU_1\" is not a valid NodePool name"));
    CHECK_THAT(errors(header("1m", two, k + "      - {offerings: [{pool: small}]}\n")),
               Catch::Contains("name"));
    CHECK_THAT(errors(header("1m", two, k + "      - {name: a}\n")), Catch::Contains("offerings"));
    CHECK_THAT(errors(header("1m", two, "    karpenter:\n      nodePools: []\n")),
               Catch::Contains("expected at least one NodePool"));
    CHECK_THAT(errors(header("1m", two,
                             k + "      - {name: a, offerings: [{pool: small}], "
                                 "packing: cheapestPerPod}\n")),
               Catch::Contains("packing"));
  }
  SECTION("karpenter templateUpdates") {
    const std::string k = "    karpenter:\n      offerings: [{pool: small}]\n";
    CHECK_THAT(errors(header("1m", pools, k + "      templateUpdates: [{at: soon}]\n")),
               Catch::Contains("templateUpdates[0].at"));
    CHECK_THAT(errors(header("1m", pools, k + "      templateUpdates: [{}]\n")),
               Catch::Contains("at"));
    CHECK_THAT(errors(header("1m", pools, k + "      templateUpdates: [{at: 1m, ami: x}]\n")),
               Catch::Contains("ami"));
  }
  SECTION("karpenter budgets, expireAfter, consolidateAfter") {
    const std::string k = "    karpenter:\n      offerings: [{pool: small}]\n";
    CHECK_THAT(errors(header("1m", pools, k + "      budgets: [{nodes: \"110%\"}]\n")),
               Catch::Contains("\"110%\" is not a node count (at most 999999999) or a percentage"));
    CHECK_THAT(
        errors(header("1m", pools, k + "      budgets: [{nodes: \"1\", reasons: [Idle]}]\n")),
        Catch::Contains("unknown disruption reason \"Idle\""));
    CHECK_THAT(
        errors(header("1m", pools, k + "      budgets: [{nodes: \"1\", schedule: \"@daily\"}]\n")),
        Catch::Contains("schedule and duration go together"));
    CHECK_THAT(errors(header("1m", pools, k + "      budgets: [{nodes: \"1\", duration: 1h}]\n")),
               Catch::Contains("schedule and duration go together"));
    CHECK_THAT(errors(header("1m", pools,
                             k + "      budgets: [{nodes: \"1\", schedule: \"0 25 * * *\", "
                                 "duration: 1h}]\n")),
               Catch::Contains("hour: 25 is outside 0..23"));
    CHECK_THAT(errors(header("1m", pools,
                             k + "      budgets: [{nodes: \"1\", schedule: \"@daily\", "
                                 "duration: 90s}]\n")),
               Catch::Contains("whole minutes"));
    CHECK_THAT(errors("apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata:\n  name: t\n"
                      "spec:\n  duration: 1m\n  startTime: monday\n"),
               Catch::Contains("\"monday\" is not an RFC 3339 time"));
    CHECK_THAT(errors(header("1m", pools, k + "      budgets: [{reasons: [Empty]}]\n")),
               Catch::Contains("nodes"));
    CHECK_THAT(errors(header("1m", pools, k + "      expireAfter: Nevr\n")),
               Catch::Contains("expireAfter"));
    CHECK_THAT(errors(header("1m", pools, k + "      limits: {cpu: lots}\n")),
               Catch::Contains("limits"));
    CHECK_THAT(errors(header("1m", pools, k + "      limits: 64\n")),
               Catch::Contains("expected a mapping of resource names to quantities"));
    auto ok = [&](const std::string& extra) {
      scenarios::Diagnostics diagnostics;
      auto sc = scenarios::load_scenario_text(header("1m", pools, k + extra), "inline.yaml", {},
                                              diagnostics);
      REQUIRE(sc.has_value());
      return sc->cluster->karpenter->node_pools.at(0).options;
    };
    const auto never = ok("      expireAfter: Never\n      consolidateAfter: Never\n");
    CHECK_FALSE(never.expire_after.has_value());
    CHECK_FALSE(never.consolidate_after.has_value());
    const auto b =
        ok("      budgets: [{nodes: \"20%\", reasons: [Empty, Drifted]}, {nodes: \"3\"}]\n");
    REQUIRE(b.budgets.size() == 2);
    CHECK(b.budgets[0].percent);
    CHECK(b.budgets[0].nodes == 20);
    CHECK(b.budgets[0].reasons.size() == 2);
    CHECK_FALSE(b.budgets[1].percent);
    CHECK(b.budgets[1].nodes == 3);
    CHECK(ok("").expire_after == std::optional<sim::Duration>(720 * sim::kHour));
    const auto lim = ok("      limits: {cpu: \"64\", memory: 256Gi}\n");
    REQUIRE(lim.limits.has_value());
    CHECK(lim.limits->cpu_milli == 64000);
    CHECK(lim.limits->memory == 256LL << 30);
    CHECK_FALSE(ok("").limits.has_value());
  }
  SECTION("spot needs its mean time; karpenter's policy") {
    CHECK_THAT(errors(header("1m", pool("s", 1, "4", "16Gi", 0.2, "      spot: {}\n"), "")),
               Catch::Contains("meanTimeToReclaim"));
    CHECK_THAT(errors(header("1m", pools,
                             "    karpenter:\n      offerings: [{pool: small}]\n"
                             "      consolidationPolicy: WhenEmptyOrUnderutilised\n")),
               Catch::Contains("did you mean 'WhenEmptyOrUnderutilized'"));
  }
}

}  // namespace kubesim::experiments
