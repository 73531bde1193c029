// Pod and Node helpers that upstream defines on the objects themselves. The request cases
// are worked out by hand from the rule in k8s.io/component-helpers/resource PodRequests
// (KEP-753 sidecars): max(app containers + sidecars, peak during initialisation) + overhead.
#include <catch2/catch.hpp>

#include "models/objects.hpp"

namespace kubesim::models {
namespace {

Container container(std::string name, std::int64_t cpu_milli, std::int64_t memory = 0,
                    bool restartable = false) {
  Container c;
  c.name = std::move(name);
  c.requests.set("cpu", cpu_milli);
  if (memory > 0) c.requests.set("memory", memory);
  c.restartable = restartable;
  return c;
}

TEST_CASE("pod requests sum the app containers", "[objects]") {
  Pod pod;
  pod.spec.containers = {container("a", 100, 1000), container("b", 250, 500)};
  const ResourceList r = pod.requests();
  CHECK(r.cpu_milli == 350);
  CHECK(r.memory == 1500);
}

TEST_CASE("a larger regular init container sets the pod's request", "[objects]") {
  Pod pod;
  pod.spec.containers = {container("app", 1000, 100)};
  pod.spec.init_containers = {container("init", 2000, 50)};
  const ResourceList r = pod.requests();
  CHECK(r.cpu_milli == 2000);  // max(1000, 2000)
  CHECK(r.memory == 100);      // max(100, 50), per resource
}

TEST_CASE("sidecars count while running and during later init containers", "[objects]") {
  // sidecar (1000m), then a regular init container (2000m), app 1000m:
  // running = app + sidecar = 2000m; during init = 2000m + sidecar 1000m = 3000m.
  Pod pod;
  pod.spec.containers = {container("app", 1000)};
  pod.spec.init_containers = {container("sidecar", 1000, 0, true), container("init", 2000)};
  CHECK(pod.requests().cpu_milli == 3000);
  // The same init container before the sidecar: during init = 2000m alone, then the
  // sidecar = 1000m; running = 2000m; max = 2000m.
  pod.spec.init_containers = {container("init", 2000), container("sidecar", 1000, 0, true)};
  CHECK(pod.requests().cpu_milli == 2000);
}

TEST_CASE("pod overhead is added on top", "[objects]") {
  Pod pod;
  pod.spec.containers = {container("app", 500, 1000)};
  pod.spec.init_containers = {container("init", 700)};
  pod.spec.overhead.set("cpu", 250);
  pod.spec.overhead.set("memory", 64);
  const ResourceList r = pod.requests();
  CHECK(r.cpu_milli == 950);  // max(500, 700) + 250
  CHECK(r.memory == 1064);
}

TEST_CASE("extended resources take the same max rule", "[objects]") {
  Pod pod;
  Container app = container("app", 100);
  app.requests.set("nvidia.com/gpu", 1);
  Container init = container("init", 100);
  init.requests.set("nvidia.com/gpu", 2);
  pod.spec.containers = {app};
  pod.spec.init_containers = {init};
  CHECK(pod.requests().gpu == 2);
}

TEST_CASE("controller_ref finds the controlling owner", "[objects]") {
  ObjectMeta meta;
  CHECK(meta.controller_ref() == nullptr);
  meta.owner_references = {{"v1", "ConfigMap", "cm", "u1", false, false},
                           {"apps/v1", "ReplicaSet", "web-5d8", "u2", true, true}};
  REQUIRE(meta.controller_ref() != nullptr);
  CHECK(meta.controller_ref()->name == "web-5d8");
}

TEST_CASE("set_condition keeps the transition time while the status holds", "[objects]") {
  std::vector<Condition> conditions;
  CHECK(set_condition(conditions, {"Ready", ConditionStatus::kFalse, 10, 0, "Starting", ""}));
  CHECK(set_condition(conditions, {"Ready", ConditionStatus::kFalse, 20, 0, "Pulling", ""}));
  CHECK(find_condition(conditions, "Ready")->last_transition_time == 10);  // status unchanged
  CHECK(find_condition(conditions, "Ready")->reason == "Pulling");
  CHECK_FALSE(set_condition(conditions, {"Ready", ConditionStatus::kFalse, 30, 0, "Pulling", ""}));
  CHECK(set_condition(conditions, {"Ready", ConditionStatus::kTrue, 40, 0, "", ""}));
  CHECK(find_condition(conditions, "Ready")->last_transition_time == 40);
  CHECK(conditions.size() == 1);
  Pod pod;
  pod.status.conditions = conditions;
  CHECK(pod.ready());
}

TEST_CASE("API defaults match upstream defaulting", "[objects]") {
  const Pod pod;
  CHECK(pod.spec.scheduler_name == "default-scheduler");
  CHECK(pod.spec.termination_grace_period_seconds == 30);
  CHECK(pod.spec.restart_policy == RestartPolicy::kAlways);
  CHECK(pod.spec.preemption_policy == PreemptionPolicy::kPreemptLowerPriority);
  CHECK(pod.status.phase == PodPhase::kPending);
  CHECK(to_string(pod.status.phase) == "Pending");
  const Node node;
  CHECK_FALSE(node.ready());  // no Ready condition yet
}

}  // namespace
}  // namespace kubesim::models
