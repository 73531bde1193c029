// Tests for models/replicaset_logic: slow-start batches, the deletion ranking, the
// create/delete diff with burstReplicas, and the status calculation.
//
// Expected values come from upstream v1.34 code and tests, cited per TEST_CASE:
//   pkg/controller/replicaset/replica_set.go        slowStartBatch, manageReplicas
//   pkg/controller/controller_utils_test.go         TestSortingActivePods,
//                                                    TestSortingActivePodsWithRanks
//   pkg/controller/replicaset/replica_set_utils.go  calculateStatus
// or are derived by hand from the rule named beside them.
#include "models/replicaset_logic.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace {

using namespace kubesim::models;
using kubesim::sim::seconds;
using kubesim::sim::Time;

Pod make_pod(std::string name, std::string node, PodPhase phase, std::optional<Time> ready_at,
             Time created = 0) {
  Pod p;
  p.metadata.name = name;
  p.metadata.uid = "uid-" + name;
  p.metadata.creation_timestamp = created;
  p.spec.node_name = std::move(node);
  p.status.phase = phase;
  if (ready_at) {
    Condition c;
    c.type = std::string(kPodReady);
    c.status = ConditionStatus::kTrue;
    c.last_transition_time = *ready_at;
    p.status.conditions.push_back(c);
  }
  return p;
}

std::vector<std::string> names(const std::vector<const Pod*>& pods) {
  std::vector<std::string> out;
  for (const Pod* p : pods) out.push_back(p->metadata.name);
  return out;
}

std::vector<const Pod*> ptrs(const std::vector<Pod>& pods) {
  std::vector<const Pod*> out;
  for (const Pod& p : pods) out.push_back(&p);
  return out;
}

}  // namespace

TEST_CASE("slow start batches double from 1 and are capped by what remains", "[replicaset]") {
  // upstream slowStartBatch: batchSize = min(remaining, 1), then min(2*batch, remaining).
  CHECK(slow_start_batches(20) == std::vector<std::int32_t>{1, 2, 4, 8, 5});
  CHECK(slow_start_batches(10) == std::vector<std::int32_t>{1, 2, 4, 3});
  CHECK(slow_start_batches(1) == std::vector<std::int32_t>{1});
  CHECK(slow_start_batches(0).empty());
  CHECK(slow_start_batches(-3).empty());
  CHECK(slow_start_batches(500) == std::vector<std::int32_t>{1, 2, 4, 8, 16, 32, 64, 128, 245});
  // replica_set_test.go TestSlowStartBatch: fn failing after 7 calls with count 10 — the
  // batches 1, 2, 4 succeed (7 creations) and the 4th batch (3) is the failing one.
  const auto b = slow_start_batches(10);
  CHECK(b[0] + b[1] + b[2] == 7);
  CHECK(b[3] == 3);
}

TEST_CASE("ActivePods ordering follows the upstream TestSortingActivePods order", "[replicaset]") {
  // TestSortingActivePods "Sorts by active pod" (zero-time cases dropped: sim time 0 is a
  // real instant): unscheduled < scheduledButPending < unknownPhase < runningButNotReady <
  // ready most recently < ready longer.
  const Time now = seconds(100000);
  std::vector<Pod> pods{
      make_pod("runningLongerTime", "foo", PodPhase::kRunning, now - seconds(86400)),
      make_pod("runningWithLastTransitionTime", "foo", PodPhase::kRunning, now),
      make_pod("runningButNotReady", "foo", PodPhase::kRunning, std::nullopt),
      make_pod("unknownPhase", "foo", PodPhase::kUnknown, std::nullopt),
      make_pod("scheduledButPending", "bar", PodPhase::kPending, std::nullopt),
      make_pod("unscheduled", "", PodPhase::kPending, std::nullopt),
  };
  const auto order = names(order_active_pods(ptrs(pods)));
  CHECK(order == std::vector<std::string>{"unscheduled", "scheduledButPending", "unknownPhase",
                                          "runningButNotReady", "runningWithLastTransitionTime",
                                          "runningLongerTime"});
  // Every rotation of the input gives the same order.
  for (std::size_t r = 1; r < pods.size(); ++r) {
    std::vector<const Pod*> in = ptrs(pods);
    std::rotate(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(r), in.end());
    CHECK(names(order_active_pods(in)) == order);
  }
}

TEST_CASE("deletion ranking applies the ActivePodsWithRanks rules in order", "[replicaset]") {
  const Time now = seconds(1'000'000);
  const std::vector<const Pod*> no_related;

  SECTION("unassigned before assigned, even when assigned is not ready") {
    Pod a = make_pod("assigned", "n1", PodPhase::kPending, std::nullopt);
    Pod u = make_pod("unassigned", "", PodPhase::kRunning, now);
    std::vector<const Pod*> in{&a, &u};
    CHECK(names(rank_pods_for_deletion(in, no_related, now)) ==
          std::vector<std::string>{"unassigned", "assigned"});
  }
  SECTION("Pending < Unknown < Running") {
    Pod r = make_pod("running", "n1", PodPhase::kRunning, std::nullopt);
    Pod u = make_pod("unknown", "n1", PodPhase::kUnknown, std::nullopt);
    Pod p = make_pod("pending", "n1", PodPhase::kPending, std::nullopt);
    std::vector<const Pod*> in{&r, &u, &p};
    CHECK(names(rank_pods_for_deletion(in, no_related, now)) ==
          std::vector<std::string>{"pending", "unknown", "running"});
  }
  SECTION("lower pod-deletion-cost first, before rank and readiness time") {
    Pod hi = make_pod("cost10", "n1", PodPhase::kRunning, now - seconds(1));
    hi.metadata.annotations.set(std::string(kPodDeletionCostAnnotation), "10");
    Pod lo = make_pod("cost-5", "n2", PodPhase::kRunning, now - seconds(100000));
    lo.metadata.annotations.set(std::string(kPodDeletionCostAnnotation), "-5");
    Pod bad = make_pod("costInvalid", "n3", PodPhase::kRunning, now - seconds(100000));
    bad.metadata.annotations.set(std::string(kPodDeletionCostAnnotation), "abc");  // reads 0
    std::vector<const Pod*> in{&hi, &bad, &lo};
    CHECK(names(rank_pods_for_deletion(in, no_related, now)) ==
          std::vector<std::string>{"cost-5", "costInvalid", "cost10"});
    // With the PodDeletionCost gate off the annotation is ignored: ready-time buckets
    // decide, the most recently ready (cost10, 1 s ago) first.
    PodRankingOptions off;
    off.pod_deletion_cost = false;
    CHECK(names(rank_pods_for_deletion(in, no_related, now, off)).front() == "cost10");
  }
  SECTION("more co-located related pods first (doubled up)") {
    Pod a = make_pod("alone", "n1", PodPhase::kRunning, now - seconds(10));
    Pod b = make_pod("crowded", "n2", PodPhase::kRunning, now - seconds(100000));
    Pod c1 = make_pod("c1", "n2", PodPhase::kRunning, now);
    Pod c2 = make_pod("c2", "n2", PodPhase::kSucceeded, now);  // inactive: not counted
    std::vector<const Pod*> in{&a, &b};
    std::vector<const Pod*> related{&a, &b, &c1, &c2};
    // ranks: alone 1, crowded 2 -> crowded first although it has been ready longer.
    CHECK(names(rank_pods_for_deletion(in, related, now)) ==
          std::vector<std::string>{"crowded", "alone"});
  }
  SECTION("ready time in log2 buckets, UID breaking ties inside a bucket") {
    // now - t in ns: 2^35 ns ~ 34.4 s. Ready 40 s ago and 60 s ago are both in bucket 35
    // (2^35 = 34.36 s <= d < 68.7 s): same bucket, UID decides ("uid-a" < "uid-b").
    Pod b = make_pod("b", "n1", PodPhase::kRunning, now - seconds(40));
    Pod a = make_pod("a", "n1", PodPhase::kRunning, now - seconds(60));
    std::vector<const Pod*> in{&b, &a};
    CHECK(names(rank_pods_for_deletion(in, no_related, now)) == std::vector<std::string>{"a", "b"});
    // Without LogarithmicScaleDown the exact time decides: b (more recent) first.
    PodRankingOptions exact;
    exact.logarithmic_scale_down = false;
    CHECK(names(rank_pods_for_deletion(in, no_related, now, exact)) ==
          std::vector<std::string>{"b", "a"});
    // 20 s ago is bucket 34 (17.2 s <= d < 34.4 s): before both.
    Pod c = make_pod("c", "n1", PodPhase::kRunning, now - seconds(20));
    std::vector<const Pod*> in3{&a, &b, &c};
    CHECK(names(rank_pods_for_deletion(in3, no_related, now)).front() == "c");
  }
  SECTION("not ready pods: newer creation first") {
    Pod old_pod = make_pod("old", "n1", PodPhase::kRunning, std::nullopt, now - seconds(3600));
    Pod young = make_pod("young", "n1", PodPhase::kRunning, std::nullopt, now - seconds(10));
    std::vector<const Pod*> in{&old_pod, &young};
    CHECK(names(rank_pods_for_deletion(in, no_related, now)) ==
          std::vector<std::string>{"young", "old"});
  }
}

TEST_CASE("replica set diff creates up to burstReplicas and deletes in rank order",
          "[replicaset]") {
  const Time now = seconds(5000);
  ReplicaSet rs;
  rs.spec.replicas = 3;
  std::vector<Pod> pods{
      make_pod("ready-old", "n1", PodPhase::kRunning, now - seconds(4000), seconds(1)),
      make_pod("pending", "n2", PodPhase::kPending, std::nullopt, seconds(2)),
      make_pod("ready-new", "n3", PodPhase::kRunning, now - seconds(5), seconds(3)),
      make_pod("unscheduled", "", PodPhase::kPending, std::nullopt, seconds(4)),
      make_pod("notready", "n4", PodPhase::kRunning, std::nullopt, seconds(5)),
  };
  const auto active = ptrs(pods);

  SECTION("two too many: the unscheduled and the pending pod go") {
    const ReplicaSetDiff d = replica_set_diff(rs, active, active, now);
    CHECK(d.creates == 0);
    CHECK(names(d.deletes) == std::vector<std::string>{"unscheduled", "pending"});
  }
  SECTION("four too many: then not ready, then the most recently ready") {
    rs.spec.replicas = 1;
    const ReplicaSetDiff d = replica_set_diff(rs, active, active, now);
    CHECK(names(d.deletes) ==
          std::vector<std::string>{"unscheduled", "pending", "notready", "ready-new"});
  }
  SECTION("all to go: no ranking, input order") {
    rs.spec.replicas = 0;
    const ReplicaSetDiff d = replica_set_diff(rs, active, active, now);
    CHECK(names(d.deletes) ==
          std::vector<std::string>{"ready-old", "pending", "ready-new", "unscheduled", "notready"});
  }
  SECTION("creates capped at burst 500") {
    rs.spec.replicas = 1000;
    CHECK(replica_set_diff(rs, active, active, now).creates == 500);
    rs.spec.replicas = 7;
    CHECK(replica_set_diff(rs, active, active, now).creates == 2);
    CHECK(replica_set_diff(rs, active, active, now, 1).creates == 1);
  }
  SECTION("deletes capped at burst") {
    rs.spec.replicas = 0;
    CHECK(replica_set_diff(rs, active, active, now, 2).deletes.size() == 2);
  }
}

TEST_CASE("replica set status counts active, labelled, ready and available pods", "[replicaset]") {
  ReplicaSet rs;
  rs.metadata.generation = 4;
  rs.spec.replicas = 5;
  rs.spec.min_ready_seconds = 10;
  rs.spec.template_.metadata.labels = Labels{{"app", "web"}, {"tier", "front"}};
  const Time now = seconds(100);
  std::vector<Pod> pods{
      make_pod("available", "n1", PodPhase::kRunning, seconds(80)),  // 80 + 10 < 100
      make_pod("edge", "n1", PodPhase::kRunning, seconds(90)),       // 90 + 10 == 100: not yet
      make_pod("notready", "n1", PodPhase::kRunning, std::nullopt),
      make_pod("done", "n1", PodPhase::kSucceeded, std::nullopt),   // terminal: not counted
      make_pod("deleting", "n1", PodPhase::kRunning, seconds(10)),  // terminating
      make_pod("failed-deleting", "n1", PodPhase::kFailed, std::nullopt),
  };
  pods[4].metadata.deletion_timestamp = seconds(95);
  pods[5].metadata.deletion_timestamp = seconds(95);  // terminal: not terminating
  for (Pod& p : pods) p.metadata.labels = Labels{{"app", "web"}, {"tier", "front"}};
  pods[2].metadata.labels = Labels{{"app", "web"}};  // not fully labelled

  const ReplicaSetStatus s = replica_set_status(rs, ptrs(pods), now);
  CHECK(s.replicas == 3);
  CHECK(s.fully_labeled_replicas == 2);
  CHECK(s.ready_replicas == 2);
  CHECK(s.available_replicas == 1);
  CHECK(s.terminating_replicas == 0);  // the gate is off in v1.34
  CHECK(replica_set_status(rs, ptrs(pods), now, /*count_terminating=*/true).terminating_replicas ==
        1);
  CHECK(s.observed_generation == 4);
  // "edge" becomes available 1 ns after 100 s.
  CHECK(next_availability_change(rs, ptrs(pods), now) == seconds(100) + 1);
  CHECK(replica_set_status(rs, ptrs(pods), seconds(100) + 1).available_replicas == 2);
  // minReadySeconds 0: ready means available.
  rs.spec.min_ready_seconds = 0;
  CHECK(replica_set_status(rs, ptrs(pods), now).available_replicas == 2);
  CHECK_FALSE(next_availability_change(rs, ptrs(pods), now).has_value());
}

// replica_set_status() and next_availability_change() read each pod's Ready condition
// once; their answers must equal the per-pod definitions (upstream calculateStatus counts
// podutil.IsPodReady / IsPodAvailable; the requeue is minReadySeconds after the Ready
// transition, plus 1 ns as the "strictly before" rule needs). A Ready condition with status
// False counts as neither ready nor available. Swept across the minReadySeconds boundary.
TEST_CASE("status counts equal the per-pod ready and available definitions", "[replicaset]") {
  ReplicaSet rs;
  rs.spec.min_ready_seconds = 10;
  std::vector<Pod> pods{
      make_pod("a", "n1", PodPhase::kRunning, seconds(20)),
      make_pod("b", "n1", PodPhase::kRunning, seconds(25)),
      make_pod("c", "n1", PodPhase::kRunning, seconds(25)),
      make_pod("false", "n1", PodPhase::kRunning, seconds(5)),
      make_pod("pending", "", PodPhase::kPending, std::nullopt),
  };
  pods[3].status.conditions[0].status = ConditionStatus::kFalse;
  for (const Time now : {seconds(29), seconds(30), seconds(30) + 1, seconds(35), seconds(35) + 1,
                         seconds(36)}) {
    std::int32_t ready = 0;
    std::int32_t available = 0;
    for (const Pod& p : pods) {
      ready += p.ready() ? 1 : 0;
      available += is_pod_available(p, rs.spec.min_ready_seconds, now) ? 1 : 0;
    }
    const ReplicaSetStatus s = replica_set_status(rs, ptrs(pods), now);
    CHECK(s.replicas == 5);
    CHECK(s.ready_replicas == ready);
    CHECK(s.available_replicas == available);
  }
  // By hand: a (ready 20 s) is available after 30 s, b and c after 35 s.
  CHECK(replica_set_status(rs, ptrs(pods), seconds(30)).available_replicas == 0);
  CHECK(replica_set_status(rs, ptrs(pods), seconds(30) + 1).available_replicas == 1);
  CHECK(replica_set_status(rs, ptrs(pods), seconds(35) + 1).available_replicas == 3);
  CHECK(replica_set_status(rs, ptrs(pods), seconds(30)).ready_replicas == 3);
  CHECK(next_availability_change(rs, ptrs(pods), seconds(29)) == seconds(30) + 1);
  CHECK(next_availability_change(rs, ptrs(pods), seconds(30) + 1) == seconds(35) + 1);
  CHECK_FALSE(next_availability_change(rs, ptrs(pods), seconds(35) + 1).has_value());
}

#include "sim/random.hpp"

TEST_CASE("running ReplicaSet pod counts agree with calculateStatus's scan", "[replicaset]") {
  // The controller keeps calculateStatus's counts as running totals (ReplicaSetPodCounts:
  // +1 per pod added, -1 for the object it replaces or deletes). Reference: the scan over
  // every owned pod (replica_set_status over the pods), after each of 2,000 random pod
  // creations, updates (phase, readiness, labels, deletion) and deletions, with
  // minReadySeconds 0 and both settings of count_terminating.
  ReplicaSet rs;
  rs.metadata.generation = 3;
  rs.spec.template_.metadata.labels = Labels{{"app", "web"}, {"tier", "fe"}};
  kubesim::sim::Rng rng(11);
  std::vector<std::shared_ptr<const Pod>> pods;
  ReplicaSetPodCounts counts;
  const Labels& tpl = rs.spec.template_.metadata.labels;
  auto random_pod = [&](int i) {
    static constexpr PodPhase kPhases[] = {PodPhase::kPending, PodPhase::kRunning,
                                           PodPhase::kSucceeded, PodPhase::kFailed,
                                           PodPhase::kUnknown};
    const bool ready = rng.below(2) == 0;
    Pod p = make_pod("p" + std::to_string(i), "n1", kPhases[rng.below(5)],
                     ready ? std::optional<Time>(seconds(1)) : std::nullopt);
    p.metadata.labels = rng.below(4) == 0 ? Labels{{"app", "web"}} : tpl;
    if (rng.below(5) == 0) p.metadata.deletion_timestamp = seconds(2);
    return std::make_shared<const Pod>(std::move(p));
  };
  int next = 0;
  for (int step = 0; step < 2000; ++step) {
    const auto action = rng.below(3);
    if (action == 0 || pods.empty()) {
      pods.push_back(random_pod(next++));
      counts.apply(*pods.back(), tpl, +1);
    } else if (action == 1) {
      const auto k = rng.below(pods.size());
      counts.apply(*pods[k], tpl, -1);
      pods[k] = random_pod(static_cast<int>(k));
      counts.apply(*pods[k], tpl, +1);
    } else {
      const auto k = rng.below(pods.size());
      counts.apply(*pods[k], tpl, -1);
      pods.erase(pods.begin() + static_cast<std::ptrdiff_t>(k));
    }
    std::vector<const Pod*> view;
    for (const auto& p : pods) view.push_back(p.get());
    for (const bool terminating : {false, true}) {
      const ReplicaSetStatus scan = replica_set_status(rs, view, seconds(100), terminating);
      const ReplicaSetStatus run = replica_set_status(rs, counts, terminating);
      REQUIRE(run.replicas == scan.replicas);
      REQUIRE(run.fully_labeled_replicas == scan.fully_labeled_replicas);
      REQUIRE(run.ready_replicas == scan.ready_replicas);
      REQUIRE(run.available_replicas == scan.available_replicas);
      REQUIRE(run.terminating_replicas == scan.terminating_replicas);
      REQUIRE(run.observed_generation == 3);
    }
  }
  CHECK(counts.active > 0);  // the walk kept a mix of pods
}
