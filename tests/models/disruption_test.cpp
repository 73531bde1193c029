// PodDisruptionBudget status arithmetic (models/disruption.hpp), the Eviction API
// (ApiServer::evict) and the disruption controller (models/disruption_controller.hpp).
//
// Expected values are hand calculations from upstream v1.34
// pkg/controller/disruption/disruption.go (getExpectedPodCount: maxUnavailable and percent
// minAvailable use the controllers' scale and GetScaledValueFromIntOrPercent(..., roundUp
// true); countHealthyPods; updatePdbStatus: disruptionsAllowed = currentHealthy −
// desiredHealthy, clamped at 0) and pkg/registry/core/pod/storage/eviction.go (canIgnorePDB,
// more than one PDB → 500, checkAndDecrement → 429).
#include "models/disruption.hpp"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "models/api_server.hpp"
#include "models/controller_manager.hpp"
#include "models/disruption_controller.hpp"
#include "sim/metrics.hpp"
#include "sim/simulation.hpp"

namespace kubesim::models {
namespace {

constexpr const char* kRsUid = "uid-rs";

Pod make_pod(const std::string& name, bool ready, bool owned = true) {
  Pod p;
  p.metadata.namespace_ = "default";
  p.metadata.name = name;
  p.metadata.uid = "uid-" + name;
  p.metadata.labels.set("app", "web");
  if (owned) {
    OwnerReference ref;
    ref.api_version = "apps/v1";
    ref.kind = "ReplicaSet";
    ref.name = "web-rs";
    ref.uid = kRsUid;
    ref.controller = true;
    p.metadata.owner_references.push_back(ref);
  }
  p.spec.node_name = "n1";
  p.status.phase = PodPhase::kRunning;
  set_condition(p.status.conditions, kPodReady,
                ready ? ConditionStatus::kTrue : ConditionStatus::kFalse, "", "", 0);
  return p;
}

PodDisruptionBudget make_pdb(std::optional<IntOrPercent> min_available,
                             std::optional<IntOrPercent> max_unavailable) {
  PodDisruptionBudget pdb;
  pdb.metadata.namespace_ = "default";
  pdb.metadata.name = "web-pdb";
  pdb.metadata.generation = 1;
  LabelSelector sel;
  sel.match_labels.set("app", "web");
  pdb.spec.selector = sel;
  pdb.spec.min_available = min_available;
  pdb.spec.max_unavailable = max_unavailable;
  return pdb;
}

IntOrPercent count(std::int32_t n) { return IntOrPercent{n, false}; }
IntOrPercent percent(std::int32_t n) { return IntOrPercent{n, true}; }

// Every pod is owned by one scaled controller of `replicas` (a Deployment, say).
PdbScaleLookup scale(std::int32_t replicas) {
  return [replicas](const Pod&, const OwnerReference& owner) -> std::optional<PdbScaleOf> {
    if (owner.kind != "ReplicaSet") return std::nullopt;
    return PdbScaleOf{replicas, "uid-deployment"};
  };
}

std::vector<const Pod*> ptrs(const std::vector<Pod>& pods) {
  std::vector<const Pod*> out;
  for (const Pod& p : pods) out.push_back(&p);
  return out;
}

std::vector<Pod> ready_pods(int n) {
  std::vector<Pod> pods;
  for (int i = 0; i < n; ++i) pods.push_back(make_pod("web-" + std::to_string(i), true));
  return pods;
}

const Condition* allowed_condition(const PodDisruptionBudgetStatus& st) {
  return find_condition(st.conditions, kPdbDisruptionAllowed);
}

}  // namespace

TEST_CASE("PDB status: minAvailable 3 of 5 ready pods allows 2 disruptions", "[disruption]") {
  const auto pods = ready_pods(5);
  const auto st = compute_pdb_status(make_pdb(count(3), std::nullopt), ptrs(pods), {}, 0);
  // Integer minAvailable: expectedPods = number of pods (5), desiredHealthy = 3.
  CHECK(st.expected_pods == 5);
  CHECK(st.desired_healthy == 3);
  CHECK(st.current_healthy == 5);
  CHECK(st.disruptions_allowed == 2);
  CHECK(st.observed_generation == 1);
  REQUIRE(allowed_condition(st) != nullptr);
  CHECK(allowed_condition(st)->status == ConditionStatus::kTrue);
  CHECK(allowed_condition(st)->reason == kPdbSufficientPods);
}

TEST_CASE("PDB status: maxUnavailable percent of the Deployment's scale rounds up",
          "[disruption]") {
  const auto pods = ready_pods(5);
  SECTION("20% of 5: ceil(1.0) = 1 unavailable, desiredHealthy 4") {
    const auto st =
        compute_pdb_status(make_pdb(std::nullopt, percent(20)), ptrs(pods), scale(5), 0);
    CHECK(st.expected_pods == 5);
    CHECK(st.desired_healthy == 4);
    CHECK(st.disruptions_allowed == 1);
  }
  SECTION("30% of 5: ceil(1.5) = 2 unavailable, desiredHealthy 3") {
    const auto st =
        compute_pdb_status(make_pdb(std::nullopt, percent(30)), ptrs(pods), scale(5), 0);
    CHECK(st.desired_healthy == 3);
    CHECK(st.disruptions_allowed == 2);
  }
  SECTION("the scale, not the pod count: 5 pods of a 6-replica Deployment, maxUnavailable 1") {
    const auto st = compute_pdb_status(make_pdb(std::nullopt, count(1)), ptrs(pods), scale(6), 0);
    CHECK(st.expected_pods == 6);
    CHECK(st.desired_healthy == 5);      // 6 − 1
    CHECK(st.disruptions_allowed == 0);  // 5 healthy − 5
    CHECK(allowed_condition(st)->reason == kPdbInsufficientPods);
  }
  SECTION("minAvailable 50% of 5: ceil(2.5) = 3") {
    const auto st =
        compute_pdb_status(make_pdb(percent(50), std::nullopt), ptrs(pods), scale(5), 0);
    CHECK(st.desired_healthy == 3);
    CHECK(st.disruptions_allowed == 2);
  }
  SECTION("maxUnavailable 0: no disruption") {
    const auto st = compute_pdb_status(make_pdb(std::nullopt, count(0)), ptrs(pods), scale(5), 0);
    CHECK(st.desired_healthy == 5);
    CHECK(st.disruptions_allowed == 0);
  }
}

TEST_CASE("PDB status: unready, terminating and recently evicted pods are not healthy",
          "[disruption]") {
  auto pods = ready_pods(5);
  const auto pdb = make_pdb(count(3), std::nullopt);
  SECTION("one pod not Ready: currentHealthy 4, disruptionsAllowed 1") {
    pods[0].status.conditions[0].status = ConditionStatus::kFalse;
    const auto st = compute_pdb_status(pdb, ptrs(pods), {}, 0);
    CHECK(st.expected_pods == 5);
    CHECK(st.current_healthy == 4);
    CHECK(st.disruptions_allowed == 1);
  }
  SECTION("three pods not Ready: 2 − 3 clamps at 0") {
    for (int i = 0; i < 3; ++i) pods[i].status.conditions[0].status = ConditionStatus::kFalse;
    const auto st = compute_pdb_status(pdb, ptrs(pods), {}, 0);
    CHECK(st.current_healthy == 2);
    CHECK(st.disruptions_allowed == 0);
  }
  SECTION("a pod being deleted") {
    pods[1].metadata.deletion_timestamp = 30 * sim::kSecond;
    const auto st = compute_pdb_status(pdb, ptrs(pods), {}, 0);
    CHECK(st.current_healthy == 4);
  }
  SECTION("a disruptedPods entry counts for DeletionTimeout (2 min), then expires") {
    PodDisruptionBudget p = pdb;
    p.status.disrupted_pods["web-2"] = 10 * sim::kSecond;
    std::optional<sim::Time> recheck;
    auto st = compute_pdb_status(p, ptrs(pods), {}, 60 * sim::kSecond, &recheck);
    CHECK(st.current_healthy == 4);
    CHECK(st.disruptions_allowed == 1);
    CHECK(st.disrupted_pods.count("web-2") == 1);
    REQUIRE(recheck.has_value());
    CHECK(*recheck == 130 * sim::kSecond);  // 10 s + 120 s
    // After 10 s + 2 min the pod was not deleted: the entry is dropped, the pod is healthy.
    st = compute_pdb_status(p, ptrs(pods), {}, 131 * sim::kSecond);
    CHECK(st.current_healthy == 5);
    CHECK(st.disrupted_pods.empty());
  }
  SECTION("an entry for a pod that is gone is dropped") {
    PodDisruptionBudget p = pdb;
    p.status.disrupted_pods["web-9"] = 0;
    const auto st = compute_pdb_status(p, ptrs(pods), {}, sim::kSecond);
    CHECK(st.disrupted_pods.empty());
    CHECK(st.current_healthy == 5);
  }
}

TEST_CASE("PDB status: no scale for a pod is the controller's fail-safe", "[disruption]") {
  auto pods = ready_pods(3);
  pods.push_back(make_pod("bare", true, /*owned=*/false));
  PodDisruptionBudget pdb = make_pdb(std::nullopt, count(1));
  pdb.status.disruptions_allowed = 2;  // a previous value
  pdb.status.current_healthy = 4;
  const auto st = compute_pdb_status(pdb, ptrs(pods), scale(3), 0);
  CHECK(st.disruptions_allowed == 0);
  CHECK(st.current_healthy == 4);  // failSafe touches nothing else
  REQUIRE(allowed_condition(st) != nullptr);
  CHECK(allowed_condition(st)->status == ConditionStatus::kFalse);
  CHECK(allowed_condition(st)->reason == kPdbSyncFailed);
  CHECK(allowed_condition(st)->message == "found no controller ref for pod \"bare\"");
  // An integer minAvailable needs no scale: the same pods are fine.
  PodDisruptionBudget by_count = make_pdb(count(2), std::nullopt);
  const auto ok = compute_pdb_status(by_count, ptrs(pods), {}, 0);
  CHECK(ok.disruptions_allowed == 2);
  // No pods at all: expectedPods 0, so no disruption even with minAvailable 0.
  const auto none = compute_pdb_status(make_pdb(count(0), std::nullopt), {}, {}, 0);
  CHECK(none.expected_pods == 0);
  CHECK(none.disruptions_allowed == 0);
}

TEST_CASE("Eviction decision: canIgnorePDB, several PDBs, unhealthy pods", "[disruption]") {
  PodDisruptionBudget pdb = make_pdb(count(3), std::nullopt);
  pdb.status.observed_generation = 1;
  pdb.status.desired_healthy = 3;
  pdb.status.current_healthy = 3;
  pdb.status.disruptions_allowed = 0;
  const Pod ready = make_pod("web-0", true);
  CHECK(decide_eviction(ready, {}).verdict == EvictionVerdict::kDeleteWithoutPdb);
  auto refused = decide_eviction(ready, {&pdb});
  CHECK(refused.verdict == EvictionVerdict::kRefused);
  CHECK(refused.error.code() == sim::Status::Code::kTooManyRequests);
  CHECK(refused.error.message() ==
        "Cannot evict pod as it would violate the pod's disruption budget. The disruption "
        "budget web-pdb needs 3 healthy pods and has 3 currently");
  Pod pending = ready;
  pending.status.phase = PodPhase::kPending;
  CHECK(decide_eviction(pending, {&pdb}).verdict == EvictionVerdict::kDeleteWithoutPdb);
  Pod succeeded = ready;
  succeeded.status.phase = PodPhase::kSucceeded;
  CHECK(decide_eviction(succeeded, {&pdb}).verdict == EvictionVerdict::kDeleteWithoutPdb);
  // Unready pod, IfHealthyBudget: evictable when currentHealthy >= desiredHealthy > 0.
  const Pod unready = make_pod("web-1", false);
  CHECK(decide_eviction(unready, {&pdb}).verdict == EvictionVerdict::kDeleteWithoutPdb);
  PodDisruptionBudget short_pdb = pdb;
  short_pdb.status.current_healthy = 2;
  CHECK(decide_eviction(unready, {&short_pdb}).verdict == EvictionVerdict::kRefused);
  short_pdb.spec.unhealthy_pod_eviction_policy = UnhealthyPodEvictionPolicy::kAlwaysAllow;
  CHECK(decide_eviction(unready, {&short_pdb}).verdict == EvictionVerdict::kDeleteWithoutPdb);
  // Two PDBs: 500.
  auto two = decide_eviction(ready, {&pdb, &pdb});
  CHECK(two.verdict == EvictionVerdict::kRefused);
  CHECK(two.error.code() == sim::Status::Code::kInternal);
  // A PDB the controller has not processed yet (observedGeneration < generation): 429.
  PodDisruptionBudget fresh = make_pdb(count(1), std::nullopt);
  fresh.status.disruptions_allowed = 5;
  auto unprocessed = decide_eviction(ready, {&fresh});
  CHECK(unprocessed.error.code() == sim::Status::Code::kTooManyRequests);
  // Allowed: decrement.
  pdb.status.disruptions_allowed = 1;
  CHECK(decide_eviction(ready, {&pdb}).verdict == EvictionVerdict::kDeleteAndDecrement);
  record_eviction(pdb.status, "web-0", 7 * sim::kSecond);
  CHECK(pdb.status.disruptions_allowed == 0);
  CHECK(pdb.status.disrupted_pods.at("web-0") == 7 * sim::kSecond);
  // policy/v1: an empty selector guards every pod of the namespace, for the Eviction API as
  // for the controller; a null one none.
  PodDisruptionBudget all = make_pdb(count(1), std::nullopt);
  all.spec.selector = LabelSelector{};
  CHECK(pdb_guards_eviction(all, ready));
  CHECK(pdb_selects(all, ready));
  all.spec.selector.reset();
  CHECK_FALSE(pdb_selects(all, ready));
  CHECK_FALSE(pdb_guards_eviction(all, ready));
  Pod elsewhere = ready;
  elsewhere.metadata.namespace_ = "other";
  all.spec.selector = LabelSelector{};
  CHECK_FALSE(pdb_guards_eviction(all, elsewhere));
}

namespace {

// An API server and a controller manager; pods, the ReplicaSet and the PDB are seeded into
// the stores (as committed writes), evictions go through the request path.
struct ControlPlane {
  sim::Simulation sim{5};
  sim::MetricRegistry metrics{sim};
  std::unique_ptr<ApiServer> api;
  std::unique_ptr<ControllerManager> cm;
  ApiClient* client = nullptr;
  explicit ControlPlane(int replicas) {
    api = std::make_unique<ApiServer>(sim, metrics, ApiServerConfig{});
    client = &api->make_client("test", ClientRateLimit{1e6, 1000000});
    ReplicaSet rs;
    rs.metadata.namespace_ = "default";
    rs.metadata.name = "web-rs";
    rs.metadata.uid = kRsUid;
    rs.spec.replicas = replicas;
    rs.spec.selector.match_labels.set("app", "web");
    rs.spec.template_.metadata.labels.set("app", "web");
    (void)api->replicasets().create(rs);
    for (int i = 0; i < replicas; ++i) {
      (void)api->pods().create(make_pod("web-" + std::to_string(i), true));
    }
    cm = std::make_unique<ControllerManager>(sim, metrics, *api, ControllerManagerConfig{});
  }
  // The PDB status as the eviction's response arrived.
  PodDisruptionBudgetStatus at_response;
  sim::Status evict(const std::string& name) {
    std::optional<sim::Status> out;
    api->evict(*client, "default", name, std::nullopt, [this, &out](const sim::Status& s) {
      out = s;
      if (auto p = pdb()) at_response = p->status;
    });
    sim.run_until(sim.now() + sim::kSecond);
    REQUIRE(out.has_value());
    return *out;
  }
  std::shared_ptr<const PodDisruptionBudget> pdb() const {
    return api->pod_disruption_budgets().get("default", "web-pdb");
  }
};

}  // namespace

TEST_CASE("Eviction API with the disruption controller: allowed, then 429 once used",
          "[disruption][controller]") {
  ControlPlane cp(5);
  (void)cp.api->pod_disruption_budgets().create(make_pdb(count(4), std::nullopt));
  cp.sim.run_until(2 * sim::kSecond);
  // The controller wrote the status: 5 healthy, 4 desired, 1 allowed.
  REQUIRE(cp.pdb()->status.observed_generation == 1);
  CHECK(cp.pdb()->status.expected_pods == 5);
  CHECK(cp.pdb()->status.current_healthy == 5);
  CHECK(cp.pdb()->status.desired_healthy == 4);
  CHECK(cp.pdb()->status.disruptions_allowed == 1);
  const auto writes = cp.cm->disruption().status_updates();
  CHECK(writes >= 1);

  // First eviction: allowed; the PDB records it and the pod is being deleted (bound, 30 s).
  CHECK(cp.evict("web-0").ok());
  auto pod = cp.api->pods().get("default", "web-0");
  REQUIRE(pod != nullptr);
  CHECK(pod->metadata.being_deleted());
  // addConditionAndDeletePod: DisruptionTarget True, EvictionByEvictionAPI, then the DELETE.
  const Condition* target = find_condition(pod->status.conditions, kPodDisruptionTarget);
  REQUIRE(target != nullptr);
  CHECK(target->status == ConditionStatus::kTrue);
  CHECK(target->reason == "EvictionByEvictionAPI");
  CHECK(target->message == "Eviction API: evicting");
  CHECK(target->last_transition_time ==
        pod->metadata.deletion_timestamp.value() - 30 * sim::kSecond);
  // At commit the eviction wrote disruptionsAllowed 1 − 1 and disruptedPods[web-0].
  CHECK(cp.at_response.disruptions_allowed == 0);
  CHECK(cp.at_response.disrupted_pods.count("web-0") == 1);
  // The controller then recomputes: web-0 is being deleted → 4 healthy, 0 allowed, and the
  // entry is dropped (buildDisruptedPodMap: the pod has a deletionTimestamp).
  CHECK(cp.pdb()->status.disrupted_pods.empty());
  CHECK(cp.pdb()->status.disruptions_allowed == 0);
  CHECK(cp.pdb()->status.current_healthy == 4);

  // Second eviction: refused with upstream's 429, the pod untouched.
  const sim::Status second = cp.evict("web-1");
  CHECK(second.code() == sim::Status::Code::kTooManyRequests);
  CHECK(second.message().rfind(std::string(kPdbEvictionRefused), 0) == 0);
  CHECK_FALSE(cp.api->pods().get("default", "web-1")->metadata.being_deleted());
  CHECK(find_condition(cp.api->pods().get("default", "web-1")->status.conditions,
                       kPodDisruptionTarget) == nullptr);

  // The evicted pod goes and a replacement becomes Ready: one disruption allowed again.
  (void)cp.api->pods().remove("default", "web-0");
  (void)cp.api->pods().create(make_pod("web-5", true));
  cp.sim.run_until(cp.sim.now() + 2 * sim::kSecond);
  CHECK(cp.pdb()->status.current_healthy == 5);
  CHECK(cp.pdb()->status.disruptions_allowed == 1);
  CHECK(cp.pdb()->status.disrupted_pods.empty());
  CHECK(cp.evict("web-1").ok());

  // A pod no PDB guards is deleted as by DELETE; an unknown pod is NotFound.
  Pod other = make_pod("db-0", true, false);
  other.metadata.labels.set("app", "db");
  (void)cp.api->pods().create(other);
  CHECK(cp.evict("db-0").ok());
  CHECK(cp.evict("nope").code() == sim::Status::Code::kNotFound);
}

TEST_CASE("Disruption controller: maxUnavailable uses the ReplicaSet's scale",
          "[disruption][controller]") {
  ControlPlane cp(4);
  // 25% of 4 replicas: ceil(1.0) = 1 unavailable → desiredHealthy 3, 1 allowed.
  (void)cp.api->pod_disruption_budgets().create(make_pdb(std::nullopt, percent(25)));
  cp.sim.run_until(2 * sim::kSecond);
  CHECK(cp.pdb()->status.expected_pods == 4);
  CHECK(cp.pdb()->status.desired_healthy == 3);
  CHECK(cp.pdb()->status.disruptions_allowed == 1);
  // A pod turns unready (its kubelet's status write): 3 healthy, nothing allowed.
  (void)cp.api->pods().patch("default", "web-2", [](Pod& p) {
    p.status.conditions[0].status = ConditionStatus::kFalse;
    return true;
  });
  cp.sim.run_until(cp.sim.now() + 2 * sim::kSecond);
  CHECK(cp.pdb()->status.current_healthy == 3);
  CHECK(cp.pdb()->status.disruptions_allowed == 0);
  // Nothing changes: no further status writes.
  const auto writes = cp.cm->disruption().status_updates();
  cp.sim.run_until(cp.sim.now() + 60 * sim::kSecond);
  CHECK(cp.cm->disruption().status_updates() == writes);
}

}  // namespace kubesim::models
