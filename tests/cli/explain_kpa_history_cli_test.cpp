// `kubesim explain` on a Knative PodAutoscaler given its per-second history
// (kubesim.io/load-history): the table and the JSON show the windows computed from it.
// Hand calculation (knative.dev/serving v1.15 aggregation/bucketing.go, scaling/autoscaler.go):
// 60 samples 08:09:01..08:10:00, 10 for 54 s then 40 for 6 s: stable (60 s) = 780 / 60 = 13,
// panic (6 s) = 40; target 10 x 0.7 = 7 per pod: dspc = ceil(13 / 7) = 2, dppc =
// ceil(40 / 7) = 6; 6 / 2 ready = 3 >= 2: panic, 2 -> 6 (cap ceil(1000 x 2)).
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/kubesim_cli.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/explain_state.hpp"
#include "tests/support/temp_dir.hpp"

namespace kubesim::cli {
namespace {

std::string history() {
  std::string out = "[";
  for (int s = 1; s <= 60; ++s) {
    const int t = 9 * 60 + s;
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s{\"time\": \"2025-09-01T08:%02d:%02dZ\", \"value\": %d}",
                  s == 1 ? "" : ", ", t / 60, t % 60, s <= 54 ? 10 : 40);
    out += buf;
  }
  return out + "]";
}

std::string state() {
  return testing::shop_hello_state_yaml() + R"(apiVersion: autoscaling.internal.knative.dev/v1alpha1
kind: PodAutoscaler
metadata:
  name: hello
  namespace: shop
  annotations:
    autoscaling.knative.dev/target: "10"
    kubesim.io/load-history: ')" +
         history() + R"('
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: hello}
---
apiVersion: v1
kind: Node
metadata: {name: n1}
status: {allocatable: {cpu: "4", memory: 8Gi, pods: "110"}}
)";
}

}  // namespace

TEST_CASE("kubesim explain: a PodAutoscaler's windows from its per-second history",
          "[cli][explain][kpa]") {
  testing::TempDir dir;
  const std::string path = dir.str("state.yaml");
  std::ofstream(path) << state();
  testing::CliOutcome t = testing::run_kubesim({"explain", path, "--now", "2025-09-01T08:10:00Z"});
  INFO(t.err);
  REQUIRE(t.code == 0);
  CHECK(t.out.find("podautoscaler shop/hello: panic: concurrency stable 13 (1m0s window), panic "
                   "40 (6s window) / target 7 per pod -> 2 / 6 pods; 6 pods for 2 ready = 3x >= "
                   "panic threshold 2x (panic entered) -> 6; scale 2 -> 6") != std::string::npos);
  CHECK(t.out.find("windows computed from 60 per-second samples (kubesim.io/load-history)") !=
        std::string::npos);

  testing::CliOutcome j =
      testing::run_kubesim({"explain", path, "--now", "2025-09-01T08:10:00Z", "--output", "json"});
  REQUIRE(j.code == 0);
  auto doc = nlohmann::json::parse(j.out);
  REQUIRE(doc["autoscalers"].size() == 1);
  const auto& a = doc["autoscalers"][0];
  CHECK(a["desiredReplicas"] == 6);
  CHECK(a["kpa"]["windows"] == "history");
  CHECK(a["kpa"]["observedStable"] == 13.0);
  CHECK(a["kpa"]["observedPanic"] == 40.0);
  CHECK(a["kpa"]["panicking"] == true);
}

}  // namespace kubesim::cli
