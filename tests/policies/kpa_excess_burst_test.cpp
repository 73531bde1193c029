// The KPA's excess burst capacity and the SKS mode it implies (policies/kpa.hpp), against
// upstream knative.dev/serving v1.15:
//   pkg/autoscaler/scaling/autoscaler.go Scale:
//     EBC = floor(readyPods × TotalValue − TargetBurstCapacity − observedPanicValue),
//     0 when TBC is 0, −1 when TBC is −1;
//   pkg/autoscaler/scaling/multiscaler.go: before the first valid tick the decider's status
//     holds initialScale × TotalValue − TBC (0 / −1 for TBC 0 / −1);
//   pkg/reconciler/autoscaling/kpa/kpa.go: SKS Proxy when want == 0 or EBC < 0.
// Defaults: container-concurrency-target-default 100 = TotalValue, target 70, TBC 211.
#include <catch2/catch.hpp>

#include "policies/kpa.hpp"

namespace kubesim::policies {
namespace {

models::PodAutoscaler pa_with(std::initializer_list<std::pair<std::string, std::string>> anns) {
  models::PodAutoscaler pa;
  pa.metadata.name = "web";
  pa.metadata.namespace_ = "default";
  for (const auto& [k, v] : anns) pa.metadata.annotations.set(k, v);
  return pa;
}

// A decision at 60 s after a constant load `load` recorded every second from 1 s (stable =
// panic = load), with `ready` pods.
KpaDecision steady(const models::PodAutoscaler& pa, double load, std::int32_t ready) {
  KpaAutoscaler a(kpa_config_for(pa), 0, 0);
  for (int s = 1; s <= 60; ++s) a.record(sim::seconds(s), load);
  return a.scale(sim::seconds(60), ready);
}

TEST_CASE("KPA excess burst capacity: ready x total - TBC - panic, floored", "[kpa]") {
  const auto defaults = pa_with({});
  // 3 pods, no load: floor(300 - 211 - 0) = 89 >= 0: Serve.
  KpaDecision d = steady(defaults, 0, 3);
  CHECK(d.excess_burst_capacity == 89);
  CHECK_FALSE(d.activator_in_path);
  // 3 pods, panic 30.5: floor(300 - 211 - 30.5) = floor(58.5) = 58: Serve.
  d = steady(defaults, 30.5, 3);
  CHECK(d.decider.observed_panic == 30.5);
  CHECK(d.excess_burst_capacity == 58);
  CHECK_FALSE(d.activator_in_path);
  // 3 pods, panic 100: floor(300 - 211 - 100) = -11 < 0: the activator comes back.
  d = steady(defaults, 100, 3);
  CHECK(d.excess_burst_capacity == -11);
  CHECK(d.activator_in_path);
  // 2 pods, no load: floor(200 - 211) = -11: Proxy with the defaults below 3 pods.
  d = steady(defaults, 0, 2);
  CHECK(d.excess_burst_capacity == -11);
  CHECK(d.activator_in_path);
  // TBC 50, target 10 (TotalValue 10): 6 pods, panic 7: floor(60 - 50 - 7) = 3.
  d = steady(pa_with({{"autoscaling.knative.dev/target-burst-capacity", "50"},
                      {"autoscaling.knative.dev/target", "10"}}),
             7, 6);
  CHECK(d.excess_burst_capacity == 3);
  CHECK_FALSE(d.activator_in_path);
}

TEST_CASE("KPA excess burst capacity before the first tick, and TBC 0 / -1", "[kpa]") {
  KpaAutoscaler defaults(kpa_config_for(pa_with({})), 0, 0);
  CHECK(defaults.excess_burst_capacity() == 1 * 100 - 211);
  KpaAutoscaler three(kpa_config_for(pa_with({{"autoscaling.knative.dev/initial-scale", "3"}})), 0,
                      0);
  CHECK(three.excess_burst_capacity() == 3 * 100 - 211);
  KpaAutoscaler zero(
      kpa_config_for(pa_with({{"autoscaling.knative.dev/target-burst-capacity", "0"}})), 0, 0);
  CHECK(zero.excess_burst_capacity() == 0);
  KpaAutoscaler always(
      kpa_config_for(pa_with({{"autoscaling.knative.dev/target-burst-capacity", "-1"}})), 0, 0);
  CHECK(always.excess_burst_capacity() == -1);
  // TBC -1: in the path with any number of pods and any load.
  const KpaDecision d =
      steady(pa_with({{"autoscaling.knative.dev/target-burst-capacity", "-1"}}), 0, 50);
  CHECK(d.excess_burst_capacity == -1);
  CHECK(d.activator_in_path);
  // TBC 0: out of the path while serving (EBC 0 is not negative).
  const KpaDecision z =
      steady(pa_with({{"autoscaling.knative.dev/target-burst-capacity", "0"}}), 50, 1);
  CHECK(z.excess_burst_capacity == 0);
  CHECK_FALSE(z.activator_in_path);
}

}  // namespace
}  // namespace kubesim::policies
