// Tests for models/deployment_logic: fenceposts, the new ReplicaSet and its hash,
// rolling-update and Recreate steps, proportional scaling, status and the progress
// deadline, revisions, rollback and history cleanup.
//
// Upstream v1.34 tests ported as black-box tables, cited per TEST_CASE:
//   pkg/controller/deployment/util/deployment_util_test.go  TestResolveFenceposts,
//                                                            TestMaxUnavailable,
//                                                            TestNewRSNewReplicas
//   pkg/controller/deployment/rolling_test.go               TestDeploymentController_
//                                                            reconcileNewReplicaSet,
//                                                            reconcileOldReplicaSets
// Other expectations are hand calculations from the upstream code named beside them.
#include "models/deployment_logic.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace {

using namespace kubesim::models;
using kubesim::sim::seconds;
using kubesim::sim::Time;

IntOrPercent num(std::int32_t v) { return IntOrPercent{v, false}; }
IntOrPercent pct(std::int32_t v) { return IntOrPercent{v, true}; }

Deployment make_deployment(std::int32_t replicas, IntOrPercent surge, IntOrPercent unavailable) {
  Deployment d;
  d.metadata.name = "web";
  d.metadata.namespace_ = "default";
  d.metadata.uid = "uid-web";
  d.metadata.generation = 1;
  d.spec.replicas = replicas;
  d.spec.max_surge = surge;
  d.spec.max_unavailable = unavailable;
  d.spec.selector.match_labels = Labels{{"app", "web"}};
  d.spec.template_.metadata.labels = Labels{{"app", "web"}};
  Container c;
  c.name = "nginx";
  c.image = "nginx:1.25";
  d.spec.template_.spec.containers.push_back(c);
  return d;
}

ReplicaSet make_rs(std::string name, std::int32_t replicas, std::int32_t available, Time created,
                   std::int64_t revision = 0) {
  ReplicaSet rs;
  rs.metadata.name = std::move(name);
  rs.metadata.creation_timestamp = created;
  rs.spec.replicas = replicas;
  rs.status.replicas = replicas;
  rs.status.ready_replicas = available;
  rs.status.available_replicas = available;
  if (revision > 0) {
    rs.metadata.annotations.set(std::string(kRevisionAnnotation), std::to_string(revision));
  }
  return rs;
}

}  // namespace

TEST_CASE("resolve_fenceposts matches upstream TestResolveFenceposts", "[deployment]") {
  // deployment_util_test.go TestResolveFenceposts (nil = 0).
  CHECK(resolve_fenceposts(num(0), num(0), 0) == Fenceposts{0, 1});
  CHECK(resolve_fenceposts(pct(39), pct(39), 10) == Fenceposts{4, 3});
  CHECK(resolve_fenceposts(num(0), pct(39), 10) == Fenceposts{0, 3});
  CHECK(resolve_fenceposts(pct(39), num(0), 10) == Fenceposts{4, 0});
  CHECK(resolve_fenceposts(num(0), num(0), 10) == Fenceposts{0, 1});
  // The defaults 25%/25%: surge rounds up, unavailable down.
  CHECK(resolve_fenceposts(pct(25), pct(25), 10) == Fenceposts{3, 2});
  CHECK(resolve_fenceposts(pct(25), pct(25), 4) == Fenceposts{1, 1});
  CHECK(resolve_fenceposts(pct(25), pct(25), 3) == Fenceposts{1, 0});
  CHECK(resolve_fenceposts(pct(25), pct(25), 1) == Fenceposts{1, 0});
  CHECK(resolve_fenceposts(pct(0), pct(1), 2) == Fenceposts{0, 1});
  CHECK(resolve_fenceposts(pct(100), pct(0), 7) == Fenceposts{7, 0});
}

TEST_CASE("max_unavailable is 0 for Recreate or zero replicas and capped at replicas",
          "[deployment]") {
  // deployment_util_test.go TestMaxUnavailable.
  Deployment d = make_deployment(10, num(0), pct(20));
  CHECK(max_unavailable(d) == 2);
  d = make_deployment(10, num(0), num(20));
  CHECK(max_unavailable(d) == 10);  // capped at replicas
  d = make_deployment(0, num(0), num(1));
  CHECK(max_unavailable(d) == 0);
  d = make_deployment(10, num(0), num(2));
  d.spec.strategy = DeploymentStrategyType::kRecreate;
  CHECK(max_unavailable(d) == 0);
  CHECK(max_surge(d) == 0);
  CHECK(min_available(d) == 0);
  d = make_deployment(10, pct(25), pct(25));
  CHECK(max_surge(d) == 3);
  CHECK(min_available(d) == 8);
}

TEST_CASE("reconcileNewReplicaSet table from rolling_test.go", "[deployment]") {
  struct Case {
    std::int32_t replicas, surge, old_replicas, new_replicas;
    bool scale;
    std::int32_t expected;
  };
  const Case cases[] = {
      {10, 0, 10, 0, false, 0},  // should not scale up
      {10, 2, 10, 0, true, 2},  {10, 2, 5, 0, true, 7},
      {10, 2, 10, 2, false, 0}, {2, 2, 2, 4, true, 2},  // should scale down
  };
  for (const Case& c : cases) {
    CAPTURE(c.replicas, c.surge, c.old_replicas, c.new_replicas);
    const Deployment d = make_deployment(c.replicas, num(c.surge), num(0));
    const ReplicaSet old_rs = make_rs("old", c.old_replicas, c.old_replicas, 0);
    const ReplicaSet new_rs = make_rs("new", c.new_replicas, 0, seconds(1));
    const std::vector<const ReplicaSet*> all{&old_rs, &new_rs};
    const auto decision = reconcile_new_replica_set(d, all, new_rs);
    REQUIRE(decision.has_value() == c.scale);
    if (c.scale) {
      CHECK(decision->rs == &new_rs);
      CHECK(decision->replicas == c.expected);
      CHECK(decision->desired_annotation == c.replicas);
      CHECK(decision->max_annotation == c.replicas + c.surge);
    }
  }
}

TEST_CASE("reconcileOldReplicaSets table from rolling_test.go", "[deployment]") {
  struct Case {
    std::int32_t replicas, max_unavailable, old_replicas, new_replicas, ready_old, ready_new;
    bool scale;
    std::int32_t expected_old;
  };
  const Case cases[] = {
      {10, 0, 10, 0, 10, 0, true, 9},  // 0/0 resolves to maxUnavailable 1
      {10, 2, 10, 0, 10, 0, true, 8},
      {10, 2, 10, 0, 8, 0, true, 8},  // unhealthy replicas cleaned up
      {10, 2, 10, 0, 9, 0, true, 8},  // 1 unhealthy cleaned, 1 ready scaled down
      {10, 2, 8, 2, 8, 0, false, 8},  // new RS's unavailable pods block further scale-down
  };
  for (const Case& c : cases) {
    CAPTURE(c.replicas, c.max_unavailable, c.old_replicas, c.new_replicas, c.ready_old);
    const Deployment d = make_deployment(c.replicas, num(0), num(c.max_unavailable));
    const ReplicaSet old_rs = make_rs("old", c.old_replicas, c.ready_old, 0);
    const ReplicaSet new_rs = make_rs("new", c.new_replicas, c.ready_new, seconds(1));
    const std::vector<const ReplicaSet*> olds{&old_rs};
    const OldReplicaSetsScaleDown r = reconcile_old_replica_sets(d, olds, new_rs);
    REQUIRE((r.total() > 0) == c.scale);
    if (c.scale) {
      REQUIRE(r.decisions.size() == 1);
      CHECK(r.decisions[0].replicas == c.expected_old);
    }
  }
}

TEST_CASE("old replica sets are cleaned up and scaled down oldest first", "[deployment]") {
  // 10 replicas, surge 3, unavailable 2; three old ReplicaSets; the new one has 3, all
  // available. maxScaledDown = 13 - 8 - 0 = 5. Cleanup: oldest (3 spec, 1 available)
  // loses 2 unhealthy; middle (2 spec, 2 available) none; newest old (5, 4) loses 1.
  // Available = 1 + 2 + 4 + 3 = 10 > 8: budget 2, taken oldest first: oldest 1 -> 0,
  // middle 2 -> 1.
  const Deployment d = make_deployment(10, num(3), num(2));
  const ReplicaSet a = make_rs("a", 3, 1, seconds(1));
  const ReplicaSet b = make_rs("b", 2, 2, seconds(2));
  const ReplicaSet c = make_rs("c", 5, 4, seconds(3));
  const ReplicaSet n = make_rs("n", 3, 3, seconds(4));
  const std::vector<const ReplicaSet*> olds{&c, &a, &b};  // order of input does not matter
  const OldReplicaSetsScaleDown r = reconcile_old_replica_sets(d, olds, n);
  CHECK(r.cleanup_count == 3);
  CHECK(r.scaled_down_count == 2);
  REQUIRE(r.decisions.size() == 3);
  CHECK(r.decisions[0].rs == &a);
  CHECK(r.decisions[0].replicas == 0);
  CHECK(r.decisions[1].rs == &b);
  CHECK(r.decisions[1].replicas == 1);
  CHECK(r.decisions[2].rs == &c);
  CHECK(r.decisions[2].replicas == 4);
}

TEST_CASE(
    "rolling update of 10 replicas with 25%/25% never exceeds 13 pods or drops below 8 "
    "available",
    "[deployment]") {
  Deployment d = make_deployment(10, pct(25), pct(25));
  ReplicaSet old_rs = make_rs("web-old", 10, 10, 0, 1);
  // The first step: the new ReplicaSet is created with NewRSNewReplicas = 3.
  const std::vector<const ReplicaSet*> olds{&old_rs};
  d.spec.template_.spec.containers[0].image = "nginx:1.26";
  ReplicaSet new_rs = make_new_replica_set(d, olds, seconds(10));
  CHECK(new_rs.spec.replicas == 3);
  CHECK(new_rs.metadata.annotations.get(kRevisionAnnotation) == "2");
  CHECK(new_rs.metadata.annotations.get(kDesiredReplicasAnnotation) == "10");
  CHECK(new_rs.metadata.annotations.get(kMaxReplicasAnnotation) == "13");

  // Each pass: apply the step, then let every pod the ReplicaSets ask for exist, and new
  // pods become available only on the pass after they were created (one step of lag).
  int steps = 0;
  std::vector<std::int32_t> new_sizes{new_rs.spec.replicas};
  std::vector<std::int32_t> old_sizes{old_rs.spec.replicas};
  while (steps < 50) {
    ++steps;
    // Pods converge: old ones go at once; new ones exist and are available next pass.
    old_rs.status.replicas = old_rs.spec.replicas;
    old_rs.status.available_replicas =
        std::min(old_rs.status.available_replicas, old_rs.spec.replicas);
    new_rs.status.available_replicas = new_rs.status.replicas;
    new_rs.status.replicas = new_rs.spec.replicas;
    const std::int32_t total = old_rs.spec.replicas + new_rs.spec.replicas;
    const std::int32_t available =
        old_rs.status.available_replicas + new_rs.status.available_replicas;
    CHECK(total <= 13);
    CHECK(available >= 8);
    const RolloutStep step = rolling_update_step(d, new_rs, olds);
    if (step.scales.empty()) break;
    for (const ScaleDecision& s : step.scales) {
      ReplicaSet& target = s.rs == &new_rs ? new_rs : old_rs;
      apply_scale(target, s);
    }
    new_sizes.push_back(new_rs.spec.replicas);
    old_sizes.push_back(old_rs.spec.replicas);
  }
  CHECK(new_rs.spec.replicas == 10);
  CHECK(old_rs.spec.replicas == 0);
  CHECK(new_rs.status.available_replicas == 10);
  // Hand calculation of the sequence (one decision per pass):
  //   old 10 -> 8   maxScaledDown = 13 - 8 - 3 (new unavailable) = 2; available 10 - 8 = 2
  //   new 3 -> 5    total 11 < 13: min(13 - 11, 10 - 3) = 2
  //   old 8 -> 5    maxScaledDown = 13 - 8 - 2 = 3; available 3 + 8 - 8 = 3
  //   new 5 -> 8    total 10: min(3, 5) = 3
  //   old 5 -> 3    maxScaledDown = 13 - 8 - 3 = 2; available 5 + 5 - 8 = 2
  //   new 8 -> 10   total 11: min(2, 2) = 2
  //   old 3 -> 0    maxScaledDown = 13 - 8 - 2 = 3; available 8 + 3 - 8 = 3
  CHECK(new_sizes == std::vector<std::int32_t>{3, 3, 5, 5, 8, 8, 10, 10});
  CHECK(old_sizes == std::vector<std::int32_t>{10, 8, 8, 5, 5, 3, 3, 0});
  CHECK(steps == 8);
}

TEST_CASE("pod-template-hash is deterministic, encoded, and sensitive to the template",
          "[deployment]") {
  // SafeEncodeString maps '0'..'9' (48..57) to alphanums[b % 27]: 4 5 6 7 8 9 b c d f.
  CHECK(safe_encode_string("0123456789") == "456789bcdf");
  // FNV-1a 32-bit reference values: "" -> 0x811c9dc5, "a" -> 0xe40c292c.
  CHECK(fnv32a("") == 0x811c9dc5u);
  CHECK(fnv32a("a") == 0xe40c292cu);
  CHECK(fnv32a("foobar") == 0xbf9cf968u);

  Deployment d = make_deployment(3, pct(25), pct(25));
  const std::string h1 = pod_template_hash(d.spec.template_);
  CHECK(h1 == pod_template_hash(d.spec.template_));
  CHECK(h1.find_first_not_of("456789bcdf") == std::string::npos);
  CHECK(h1 != pod_template_hash(d.spec.template_, 1));  // collision count changes it
  PodTemplateSpec labelled = d.spec.template_;
  labelled.metadata.labels.set(std::string(kPodTemplateHashLabel), h1);
  CHECK(pod_template_hash(labelled) == h1);  // the hash label itself is ignored
  CHECK(equal_ignore_hash(labelled, d.spec.template_));
  PodTemplateSpec changed = d.spec.template_;
  changed.spec.containers[0].image = "nginx:1.26";
  CHECK(pod_template_hash(changed) != h1);
  CHECK_FALSE(equal_ignore_hash(changed, d.spec.template_));
  changed = d.spec.template_;
  changed.spec.tolerations.push_back(Toleration{"k", TolerationOperator::kExists, "", {}, {}});
  CHECK_FALSE(equal_ignore_hash(changed, d.spec.template_));

  const std::vector<const ReplicaSet*> none;
  const ReplicaSet rs = make_new_replica_set(d, none, seconds(5));
  CHECK(rs.metadata.name == "web-" + h1);
  CHECK(rs.spec.template_.metadata.labels.get(kPodTemplateHashLabel) == h1);
  CHECK(rs.spec.selector.match_labels.get(kPodTemplateHashLabel) == h1);
  CHECK(rs.metadata.labels.get("app") == "web");
  REQUIRE(rs.metadata.controller_ref() != nullptr);
  CHECK(rs.metadata.controller_ref()->name == "web");
  CHECK(rs.metadata.annotations.get(kRevisionAnnotation) == "1");
  CHECK(rs.spec.replicas == 3);  // no other ReplicaSet: min(3 + 1 - 0, 3 - 0)
  const std::vector<const ReplicaSet*> with_rs{&rs};
  CHECK(find_new_replica_set(d, with_rs) == &rs);
}

TEST_CASE("proportional scaling spreads a replicas change mid-rollout", "[deployment]") {
  // Mid-rollout at 10 replicas (surge 3): old 8, new 5, both annotated max-replicas 13.
  auto annotate = [](ReplicaSet& rs, int desired, int max) {
    rs.metadata.annotations.set(std::string(kDesiredReplicasAnnotation), std::to_string(desired));
    rs.metadata.annotations.set(std::string(kMaxReplicasAnnotation), std::to_string(max));
  };
  ReplicaSet old_rs = make_rs("old", 8, 8, seconds(1));
  ReplicaSet new_rs = make_rs("new", 5, 0, seconds(2));
  annotate(old_rs, 10, 13);
  annotate(new_rs, 10, 13);
  const std::vector<const ReplicaSet*> olds{&old_rs};

  SECTION("scale up to 20: maxSurge 5, 12 more replicas") {
    Deployment d = make_deployment(20, pct(25), pct(25));
    const std::vector<const ReplicaSet*> all{&old_rs, &new_rs};
    CHECK(is_scaling_event(d, all));
    // old: round(8 * 25 / 13) - 8 = 15 - 8 = 7; new: round(5 * 25 / 13) - 5 = 10 - 5 = 5.
    const auto decisions = proportional_scale(d, &new_rs, olds);
    REQUIRE(decisions.size() == 2);
    CHECK(decisions[0].rs == &old_rs);  // larger first
    CHECK(decisions[0].replicas == 15);
    CHECK(decisions[1].rs == &new_rs);
    CHECK(decisions[1].replicas == 10);
    CHECK(decisions[0].desired_annotation == 20);
    CHECK(decisions[0].max_annotation == 25);
  }
  SECTION("scale down to 5: maxSurge 2, 6 fewer replicas") {
    Deployment d = make_deployment(5, pct(25), pct(25));
    // old: round(8 * 7 / 13) - 8 = 4 - 8 = -4; new: round(5 * 7 / 13) - 5 = 3 - 5 = -2.
    const auto decisions = proportional_scale(d, &new_rs, olds);
    REQUIRE(decisions.size() == 2);
    CHECK(decisions[0].replicas == 4);
    CHECK(decisions[1].replicas == 3);
  }
  SECTION("leftover goes to the first (largest) ReplicaSet") {
    // Scale to 11: surge 3, allowed 14, to add 1. old: round(8*14/13)=9 -> +1 (min(1,1));
    // new: allowed 0 -> 0.
    Deployment d = make_deployment(11, pct(25), pct(25));
    const auto decisions = proportional_scale(d, &new_rs, olds);
    REQUIRE(decisions.size() == 2);  // the new one only needs its annotations updated
    CHECK(decisions[0].rs == &old_rs);
    CHECK(decisions[0].replicas == 9);
    CHECK(decisions[1].replicas == 5);
  }
  SECTION("a single active ReplicaSet takes all replicas") {
    Deployment d = make_deployment(12, pct(25), pct(25));
    ReplicaSet zero = make_rs("zero", 0, 0, seconds(1));
    const std::vector<const ReplicaSet*> zero_olds{&zero};
    ReplicaSet only = make_rs("only", 10, 10, seconds(2));
    const auto decisions = proportional_scale(d, &only, zero_olds);
    REQUIRE(decisions.size() == 1);
    CHECK(decisions[0].rs == &only);
    CHECK(decisions[0].replicas == 12);
  }
}

TEST_CASE("Recreate scales old to zero, waits for old pods, then scales the new one",
          "[deployment]") {
  Deployment d = make_deployment(4, pct(25), pct(25));
  d.spec.strategy = DeploymentStrategyType::kRecreate;
  ReplicaSet old_rs = make_rs("old", 4, 4, seconds(1));
  const std::vector<const ReplicaSet*> olds{&old_rs};
  RecreateStep s = recreate_step(d, nullptr, olds, true);
  REQUIRE(s.scales.size() == 1);
  CHECK(s.scales[0].replicas == 0);
  CHECK(s.scaled_down_old);
  old_rs.spec.replicas = 0;
  // Old pods still terminating (status.replicas 4): wait.
  CHECK(old_pods_running(olds, {}));
  s = recreate_step(d, nullptr, olds, old_pods_running(olds, {}));
  CHECK(s.waiting_for_old_pods);
  CHECK(s.scales.empty());
  old_rs.status.replicas = 0;
  Pod done;
  done.status.phase = PodPhase::kSucceeded;
  Pod unknown;
  unknown.status.phase = PodPhase::kUnknown;
  const std::vector<const Pod*> only_done{&done};
  const std::vector<const Pod*> with_unknown{&done, &unknown};
  CHECK_FALSE(old_pods_running(olds, only_done));
  CHECK(old_pods_running(olds, with_unknown));
  s = recreate_step(d, nullptr, olds, false);
  CHECK(s.create_new_rs);
  const ReplicaSet created = make_new_replica_set(d, olds, seconds(3));
  CHECK(created.spec.replicas == 4);  // Recreate: NewRSNewReplicas = replicas
  ReplicaSet partial = make_rs("new", 2, 0, seconds(3));
  s = recreate_step(d, &partial, olds, false);
  REQUIRE(s.scales.size() == 1);
  CHECK(s.scales[0].replicas == 4);
}

TEST_CASE("deployment status and the Progressing condition over a rollout", "[deployment]") {
  Deployment d = make_deployment(3, pct(25), pct(25));
  d.spec.progress_deadline_seconds = 600;
  ReplicaSet old_rs = make_rs("old", 3, 3, 0, 1);
  ReplicaSet new_rs = make_rs("new", 1, 0, seconds(1), 2);
  set_progressing_condition(d.status, ConditionStatus::kTrue, kReasonNewReplicaSetCreated,
                            "Created new replica set", seconds(1));
  d.status.replicas = 3;
  d.status.updated_replicas = 0;
  d.status.available_replicas = 3;
  d.status.ready_replicas = 3;
  std::vector<const ReplicaSet*> all{&old_rs, &new_rs};

  // At 2 s: new pod exists, not available; updated 0 -> 1 is progress.
  DeploymentStatus s = deployment_status(d, all, &new_rs, seconds(2));
  CHECK(s.replicas == 4);
  CHECK(s.updated_replicas == 1);
  CHECK(s.available_replicas == 3);
  CHECK(s.unavailable_replicas == 1);
  const Condition* avail = find_condition(s.conditions, kDeploymentAvailable);
  REQUIRE(avail != nullptr);
  CHECK(avail->status == ConditionStatus::kTrue);  // 3 >= 3 - 0
  const Condition* prog = find_condition(s.conditions, kDeploymentProgressing);
  REQUIRE(prog != nullptr);
  CHECK(prog->reason == kReasonReplicaSetUpdated);
  CHECK(prog->last_heartbeat_time == seconds(2));
  CHECK(prog->last_transition_time == seconds(1));  // still True since 1 s
  CHECK(progress_deadline_check_time(d, s) == seconds(603));
  d.status = s;

  // No progress: not timed out at 602 s (2 + 600 is not before 602), timed out at 603 s.
  s = deployment_status(d, all, &new_rs, seconds(602));
  CHECK(find_condition(s.conditions, kDeploymentProgressing)->reason == kReasonReplicaSetUpdated);
  s = deployment_status(d, all, &new_rs, seconds(603));
  prog = find_condition(s.conditions, kDeploymentProgressing);
  CHECK(prog->status == ConditionStatus::kFalse);
  CHECK(prog->reason == kReasonProgressDeadlineExceeded);
  CHECK(prog->last_transition_time == seconds(603));
  CHECK_FALSE(progress_deadline_check_time(d, s).has_value());

  // Completion: new 3/3 available, old gone.
  old_rs = make_rs("old", 0, 0, 0, 1);
  new_rs = make_rs("new", 3, 3, seconds(1), 2);
  s = deployment_status(d, all, &new_rs, seconds(700));
  prog = find_condition(s.conditions, kDeploymentProgressing);
  CHECK(prog->status == ConditionStatus::kTrue);
  CHECK(prog->reason == kReasonNewReplicaSetAvailable);
  CHECK(deployment_complete(d, s));
  // Minimum availability lost: 1 of 3 available with maxUnavailable 0 -> False.
  new_rs.status.available_replicas = 1;
  s = deployment_status(d, all, &new_rs, seconds(800));
  CHECK(find_condition(s.conditions, kDeploymentAvailable)->status == ConditionStatus::kFalse);
  CHECK(find_condition(s.conditions, kDeploymentAvailable)->reason ==
        kReasonMinimumReplicasUnavailable);
}

TEST_CASE("revisions, rollback and history cleanup", "[deployment]") {
  Deployment d = make_deployment(2, pct(25), pct(25));
  d.spec.revision_history_limit = 2;
  ReplicaSet r1 = make_rs("r1", 0, 0, seconds(1), 1);
  r1.spec.template_ = d.spec.template_;
  r1.spec.template_.spec.containers[0].image = "nginx:1.0";
  r1.spec.template_.metadata.labels.set(std::string(kPodTemplateHashLabel), "abc");
  r1.metadata.annotations.set("team", "blue");
  ReplicaSet r2 = make_rs("r2", 0, 0, seconds(2), 2);
  ReplicaSet r3 = make_rs("r3", 1, 1, seconds(3), 3);  // still has replicas
  ReplicaSet r4 = make_rs("r4", 0, 0, seconds(4), 4);
  ReplicaSet r5 = make_rs("r5", 2, 2, seconds(5), 5);  // the current one
  ReplicaSet bad = make_rs("bad", 0, 0, seconds(6));
  bad.metadata.annotations.set(std::string(kRevisionAnnotation), "x");
  const std::vector<const ReplicaSet*> all{&r3, &r1, &r5, &r2, &r4, &bad};
  CHECK(max_revision(all) == 5);
  CHECK(last_revision(all) == 4);
  CHECK_FALSE(revision_of(bad).has_value());

  // History: old = r1..r4 + bad (5), limit 2 -> 3 lowest: bad and r1 compare by creation
  // time (bad's revision does not parse), ... sorted r1(1), r2(2), r3(3), r4(4), bad(6 s);
  // the first three are r1, r2, r3; r3 still has replicas.
  const std::vector<const ReplicaSet*> olds{&r3, &r1, &r2, &r4, &bad};
  const auto gone = cleanup_history(d, olds);
  REQUIRE(gone.size() == 2);
  CHECK(gone[0] == &r1);
  CHECK(gone[1] == &r2);

  // Rollback to revision 1: template copied without the hash label, annotations taken.
  d.metadata.annotations.set(std::string(kRevisionAnnotation), "5");
  CHECK(rollback(d, all, 1) == RollbackResult::kDone);
  CHECK(d.spec.template_.spec.containers[0].image == "nginx:1.0");
  CHECK_FALSE(d.spec.template_.metadata.labels.contains(kPodTemplateHashLabel));
  CHECK(d.metadata.annotations.get("team") == "blue");
  CHECK(d.metadata.annotations.get(kRevisionAnnotation) == "5");  // kept
  CHECK(rollback(d, all, 1) == RollbackResult::kTemplateUnchanged);
  CHECK(rollback(d, all, 9) == RollbackResult::kRevisionNotFound);
  // r1 is now the new ReplicaSet; the next sync gives it revision max(old) + 1 = 6 and
  // keeps 1 in revision-history.
  const std::vector<const ReplicaSet*> rs_list{&r1, &r2, &r3, &r4, &r5};
  CHECK(find_new_replica_set(d, rs_list) == &r1);
  ReplicaSet r1_copy = r1;
  CHECK(update_new_replica_set_annotations(d, r1_copy, 6));
  CHECK(r1_copy.metadata.annotations.get(kRevisionAnnotation) == "6");
  CHECK(r1_copy.metadata.annotations.get(kRevisionHistoryAnnotation) == "1");
  CHECK_FALSE(update_new_replica_set_annotations(d, r1_copy, 6));
}

TEST_CASE("NewRSNewReplicas table from deployment_util_test.go", "[deployment]") {
  // TestNewRSNewReplicas: the other ReplicaSet (rs5) has 5 replicas; maxUnavailable 1.
  struct Case {
    const char* name;
    DeploymentStrategyType type;
    std::int32_t dep_replicas, new_rs_replicas, surge, expected;
  };
  const Case cases[] = {
      {"can not scale up - to newRSReplicas", DeploymentStrategyType::kRollingUpdate, 1, 5, 1, 5},
      {"scale up - to depReplicas", DeploymentStrategyType::kRollingUpdate, 6, 2, 10, 6},
      {"recreate - to depReplicas", DeploymentStrategyType::kRecreate, 3, 1, 1, 3},
  };
  const ReplicaSet rs5 = make_rs("rs5", 5, 5, 0);
  for (const Case& c : cases) {
    CAPTURE(c.name);
    Deployment d = make_deployment(c.dep_replicas, num(c.surge), num(1));
    d.spec.strategy = c.type;
    const ReplicaSet new_rs = make_rs("new", c.new_rs_replicas, 0, seconds(1));
    const std::vector<const ReplicaSet*> all{&rs5};
    CHECK(new_rs_new_replicas(d, all, new_rs) == c.expected);
  }
}

TEST_CASE("replica set proportion: annotation fallbacks and the min/max clamp", "[deployment]") {
  Deployment d = make_deployment(20, num(5), num(0));  // replicas + surge = 25
  ReplicaSet rs = make_rs("rs", 8, 8, 0);
  rs.metadata.annotations.set(std::string(kMaxReplicasAnnotation), "13");
  // round(8 * 25 / 13) - 8 = 7, clamped by what is left to add.
  CHECK(replica_set_proportion(rs, d, 12, 0) == 7);
  CHECK(replica_set_proportion(rs, d, 12, 8) == 4);
  CHECK(replica_set_proportion(rs, d, 12, 12) == 0);
  // No annotation (or 0): the Deployment's status.replicas stands in; 0 there -> 0.
  rs.metadata.annotations.erase(kMaxReplicasAnnotation);
  d.status.replicas = 10;  // round(8 * 25 / 10) - 8 = 12
  CHECK(replica_set_proportion(rs, d, 20, 0) == 12);
  d.status.replicas = 0;
  CHECK(replica_set_proportion(rs, d, 20, 0) == 0);
  // Scaling to zero: the whole ReplicaSet goes.
  Deployment zero = make_deployment(0, num(5), num(0));
  CHECK(replica_set_proportion(rs, zero, -8, 0) == -8);
  // A ReplicaSet at 0 never grows proportionally.
  ReplicaSet empty = make_rs("empty", 0, 0, 0);
  CHECK(replica_set_proportion(empty, d, 5, 0) == 0);
}

TEST_CASE("saturation: new ReplicaSet at replicas, annotated so, all available", "[deployment]") {
  Deployment d = make_deployment(3, pct(25), pct(25));
  ReplicaSet rs = make_rs("new", 3, 3, 0);
  CHECK_FALSE(is_saturated(d, &rs));  // no desired-replicas annotation
  rs.metadata.annotations.set(std::string(kDesiredReplicasAnnotation), "3");
  CHECK(is_saturated(d, &rs));
  rs.status.available_replicas = 2;
  CHECK_FALSE(is_saturated(d, &rs));
  CHECK_FALSE(is_saturated(d, nullptr));
}

TEST_CASE("history is cleaned only after the rollout completed", "[deployment]") {
  Deployment d = make_deployment(2, pct(25), pct(25));
  d.spec.revision_history_limit = 0;
  const ReplicaSet old_rs = make_rs("old", 0, 0, seconds(1), 1);
  const ReplicaSet new_rs = make_rs("new", 2, 2, seconds(2), 2);
  const std::vector<const ReplicaSet*> olds{&old_rs};
  // d.status still shows the rollout in progress: nothing is deleted.
  d.status.replicas = 3;
  d.status.updated_replicas = 2;
  d.status.available_replicas = 2;
  RolloutStep step = rolling_update_step(d, new_rs, olds);
  CHECK(step.scales.empty());
  CHECK(step.cleanup.empty());
  d.status.replicas = 2;
  d.status.observed_generation = 1;
  step = rolling_update_step(d, new_rs, olds);
  REQUIRE(step.cleanup.size() == 1);
  CHECK(step.cleanup[0] == &old_rs);
  d.spec.strategy = DeploymentStrategyType::kRecreate;
  CHECK(recreate_step(d, &new_rs, olds, false).cleanup.size() == 1);
}
