// Tests for models/pod_gc_logic: terminated-pod threshold, out-of-service terminating
// pods, orphans after the 40 s quarantine, unscheduled terminating pods.
//
// Cases follow upstream v1.34 pkg/controller/podgc/gc_controller_test.go (TestGCTerminated,
// TestGCOrphaned, TestGCUnscheduledTerminating, TestGCTerminating), with expectations
// re-derived by hand from gc_controller.go.
#include "models/pod_gc_logic.hpp"

#include <catch2/catch.hpp>
#include <deque>
#include <string>
#include <vector>

namespace {

using namespace kubesim::models;
using kubesim::sim::hours;
using kubesim::sim::seconds;
using kubesim::sim::Time;

struct World {
  std::deque<Pod> pods;
  std::deque<Node> nodes;
  Pod& pod(std::string name, PodPhase phase, std::string node = "", Time created = 0) {
    Pod p;
    p.metadata.name = std::move(name);
    p.metadata.creation_timestamp = created;
    p.spec.node_name = std::move(node);
    p.status.phase = phase;
    pods.push_back(p);
    return pods.back();
  }
  Node& node(std::string name, bool ready = true) {
    Node n;
    n.metadata.name = std::move(name);
    Condition c;
    c.type = std::string(kNodeReady);
    c.status = ready ? ConditionStatus::kTrue : ConditionStatus::kFalse;
    n.status.conditions.push_back(c);
    nodes.push_back(n);
    return nodes.back();
  }
  std::vector<const Pod*> pod_view() const {
    std::vector<const Pod*> v;
    for (const Pod& p : pods) v.push_back(&p);
    return v;
  }
  std::vector<const Node*> node_view() const {
    std::vector<const Node*> v;
    for (const Node& n : nodes) v.push_back(&n);
    return v;
  }
};

std::vector<std::string> names(const std::vector<PodGcAction>& actions) {
  std::vector<std::string> out;
  for (const PodGcAction& a : actions) out.push_back(a.pod->metadata.name);
  return out;
}

}  // namespace

TEST_CASE("terminated pods above the threshold go, evicted then oldest first", "[podgc]") {
  PodGcQuarantine q;
  PodGcConfig cfg;
  cfg.terminated_pod_threshold = 1;
  SECTION("TestGCTerminated: a Failed, b Succeeded, c Failed; threshold 1 -> a, b") {
    World w;
    w.pod("a", PodPhase::kFailed, "n", hours(0));
    w.pod("b", PodPhase::kSucceeded, "n", hours(1));
    w.pod("c", PodPhase::kFailed, "n", hours(2));
    w.pod("running", PodPhase::kRunning, "n", hours(0));
    w.node("n");
    const auto acts = pod_gc(w.pod_view(), w.node_view(), q, 0, cfg);
    CHECK(names(acts) == std::vector<std::string>{"a", "b"});
    CHECK(acts[0].reason == PodGcReason::kTerminatedOverThreshold);
    CHECK_FALSE(acts[0].mark_failed);  // already terminal
  }
  SECTION("threshold 0 disables it") {
    World w;
    w.pod("a", PodPhase::kFailed, "n");
    w.pod("b", PodPhase::kSucceeded, "n");
    w.node("n");
    PodGcConfig off;
    off.terminated_pod_threshold = 0;
    CHECK(pod_gc(w.pod_view(), w.node_view(), q, 0, off).empty());
  }
  SECTION("evicted pods first, equal creation times by name") {
    World w;
    w.pod("z-old", PodPhase::kFailed, "n", hours(0));
    w.pod("b", PodPhase::kSucceeded, "n", hours(5));
    w.pod("a", PodPhase::kSucceeded, "n", hours(5));
    Pod& ev = w.pod("evicted-new", PodPhase::kFailed, "n", hours(9));
    ev.status.reason = "Evicted";
    w.node("n");
    cfg.terminated_pod_threshold = 1;
    CHECK(names(pod_gc(w.pod_view(), w.node_view(), q, 0, cfg)) ==
          std::vector<std::string>{"evicted-new", "z-old", "a"});
  }
  SECTION("default threshold 12500") {
    World w;
    w.node("n");
    for (int i = 0; i < 12503; ++i)
      w.pod("p" + std::to_string(i), PodPhase::kSucceeded, "n", seconds(i));
    const auto acts = pod_gc(w.pod_view(), w.node_view(), q, 0);
    CHECK(names(acts) == std::vector<std::string>{"p0", "p1", "p2"});
  }
}

TEST_CASE("orphaned pods are deleted after the node stays missing for 40 s", "[podgc]") {
  // GC passes every 20 s; node "gone" is missing from t = 0.
  World w;
  w.node("alive");
  w.pod("on-alive", PodPhase::kRunning, "alive");
  Pod& orphan = w.pod("orphan", PodPhase::kRunning, "gone");
  Pod& orphan_done = w.pod("orphan-done", PodPhase::kSucceeded, "gone");
  w.pod("flaky-pod", PodPhase::kRunning, "flaky");
  PodGcQuarantine q;
  CHECK(pod_gc(w.pod_view(), w.node_view(), q, seconds(0)).empty());
  CHECK(q.size() == 2);  // "flaky" and "gone" wait until 40 s
  CHECK(pod_gc(w.pod_view(), w.node_view(), q, seconds(20)).empty());
  // "flaky" comes back at 30 s.
  w.node("flaky");
  const auto acts = pod_gc(w.pod_view(), w.node_view(), q, seconds(40));
  REQUIRE(acts.size() == 2);
  CHECK(acts[0].pod == &orphan);
  CHECK(acts[0].reason == PodGcReason::kOrphaned);
  CHECK(acts[0].mark_failed);
  CHECK(acts[0].disruption_condition);
  CHECK(acts[1].pod == &orphan_done);
  CHECK_FALSE(acts[1].mark_failed);  // Succeeded stays Succeeded
  CHECK(q.size() == 0);
}

TEST_CASE("terminating pods: unscheduled ones, and those on out-of-service nodes", "[podgc]") {
  World w;
  Node& oos = w.node("oos", /*ready=*/false);
  oos.spec.taints.push_back(
      Taint{std::string(kTaintNodeOutOfService), "nodeshutdown", TaintEffect::kNoExecute, {}});
  Node& ready_oos = w.node("ready-oos", /*ready=*/true);
  ready_oos.spec.taints = oos.spec.taints;
  w.node("notready", /*ready=*/false);
  Pod& a = w.pod("a-on-oos", PodPhase::kRunning, "oos", hours(2));
  a.metadata.deletion_timestamp = hours(3);
  Pod& b = w.pod("b-on-oos", PodPhase::kRunning, "oos", hours(1));
  b.metadata.deletion_timestamp = hours(3);
  w.pod("c-on-oos-not-deleting", PodPhase::kRunning, "oos");
  Pod& d = w.pod("d-on-ready-oos", PodPhase::kRunning, "ready-oos");
  d.metadata.deletion_timestamp = hours(3);  // node Ready: kept
  Pod& e = w.pod("e-on-notready", PodPhase::kRunning, "notready");
  e.metadata.deletion_timestamp = hours(3);  // no out-of-service taint: kept
  Pod& u = w.pod("unscheduled", PodPhase::kPending, "");
  u.metadata.deletion_timestamp = hours(3);
  w.pod("unscheduled-alive", PodPhase::kPending, "");
  PodGcQuarantine q;
  const auto acts = pod_gc(w.pod_view(), w.node_view(), q, hours(4));
  CHECK(names(acts) == std::vector<std::string>{"b-on-oos", "a-on-oos", "unscheduled"});
  CHECK(acts[0].reason == PodGcReason::kTerminatingOutOfService);
  CHECK(acts[0].mark_failed);
  CHECK_FALSE(acts[0].disruption_condition);
  CHECK(acts[2].reason == PodGcReason::kUnscheduledTerminating);
}

// The controller lists only pod_gc_candidate pods. Over random populations (phases, nodes
// that exist or not, ready or out of service, terminating or not, thresholds on both sides
// of the terminated count) and several passes sharing a quarantine, the actions over the
// candidates equal the actions over every pod.
TEST_CASE("pod_gc over the candidates equals pod_gc over all pods", "[podgc]") {
  std::uint64_t state = 12345;
  auto next = [&](std::uint64_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % n;
  };
  const PodPhase phases[] = {PodPhase::kPending, PodPhase::kRunning, PodPhase::kSucceeded,
                             PodPhase::kFailed};
  std::size_t acted = 0;
  for (int round = 0; round < 60; ++round) {
    World w;
    for (int n = 0; n < 4; ++n) {
      Node& node = w.node("node-" + std::to_string(n), next(3) != 0);
      if (next(3) == 0) node.spec.taints.push_back(Taint{std::string(kTaintNodeOutOfService), "",
                                                          TaintEffect::kNoExecute, std::nullopt});
    }
    const int pods = 5 + static_cast<int>(next(40));
    for (int i = 0; i < pods; ++i) {
      std::string node;
      const auto where = next(7);  // 0: unbound, 1–4: existing node, 5–6: missing node
      if (where != 0) node = "node-" + std::to_string(where - 1);
      Pod& p = w.pod("p" + std::to_string(i), phases[next(4)], node,
                     seconds(static_cast<std::int64_t>(next(100))));
      if (next(4) == 0) p.metadata.deletion_timestamp = seconds(1);
    }
    const std::int32_t threshold = static_cast<std::int32_t>(next(12));
    PodGcConfig config;
    config.terminated_pod_threshold = threshold;
    std::size_t terminal = 0;
    for (const Pod& p : w.pods) terminal += p.terminal() ? 1 : 0;
    const bool over = threshold > 0 && terminal > static_cast<std::size_t>(threshold);
    PodGcQuarantine all_q, candidates_q;
    for (Time now : {seconds(0), seconds(20), seconds(40), seconds(60)}) {
      const auto all = pod_gc(w.pod_view(), w.node_view(), all_q, now, config);
      std::vector<const Pod*> subset;
      for (const Pod* p : w.pod_view()) {
        const bool exists = p->spec.node_name.empty() ||
                            p->spec.node_name < "node-4";  // node-0 … node-3 exist
        if (pod_gc_candidate(*p, exists, over)) subset.push_back(p);
      }
      const auto some = pod_gc(subset, w.node_view(), candidates_q, now, config);
      REQUIRE(names(some) == names(all));
      for (std::size_t i = 0; i < all.size(); ++i) {
        CHECK(some[i].reason == all[i].reason);
        CHECK(some[i].mark_failed == all[i].mark_failed);
        CHECK(some[i].disruption_condition == all[i].disruption_condition);
      }
      acted += all.size();
    }
  }
  CHECK(acted > 100);  // the populations exercise every check, not just empty passes
}
