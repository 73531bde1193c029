// Rate-based node failures (spec.faults[].meanTimeBetweenFailures): failures form a Poisson
// process, each takes one live node of the pool, and each recovers recoverAfter later.
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "experiments/scenario_run.hpp"
#include "models/cluster.hpp"
#include "scenarios/scenario.hpp"

namespace kubesim::experiments {
namespace {

TEST_CASE("node failures with a mean time between failures form a Poisson process", "[faults]") {
  const std::string text = R"(apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: mtbf}
spec:
  seed: 7
  duration: 20h
  sampleInterval: 1h
  cluster:
    nodePools:
    - {name: cpu, count: 10, cpu: "8", memory: 32Gi}
    - {name: other, count: 2, cpu: "8", memory: 32Gi}
  faults:
  - {type: nodeFailure, at: 1h, pool: cpu, meanTimeBetweenFailures: 30m, recoverAfter: 10m}
)";
  scenarios::Diagnostics d;
  auto scenario = scenarios::load_scenario_text(text, "t.yaml", {}, d);
  INFO(d.format());
  REQUIRE(scenario);
  ScenarioRun run(*scenario);
  std::vector<std::pair<sim::Time, std::string>> failed;
  std::vector<sim::Duration> downtimes;
  std::map<std::string, sim::Time> down_since;
  run.cluster()->faults.connect([&](const models::FaultEvent& e) {
    const sim::Time now = run.simulation().now();
    const std::string node(e.target);
    if (e.recovered) {
      downtimes.push_back(now - down_since.at(node));
    } else {
      failed.emplace_back(now, node);
      down_since[node] = now;
    }
  });
  run.run();
  // 19 h of exposure at one failure per 30 min: Poisson with mean 38 (sd 6.2); the band is
  // ±4 sd, so a wrong rate (half or double) fails it while chance alone does not.
  CHECK(failed.size() >= 13);
  CHECK(failed.size() <= 63);
  REQUIRE(!failed.empty());
  CHECK(failed.front().first >= 1 * sim::kHour);  // nothing before `at`
  for (const auto& [t, node] : failed) CHECK(node.rfind("cpu-", 0) == 0);  // the pool's only
  // Every recovery is recoverAfter after its failure.
  for (sim::Duration d : downtimes) CHECK(d == 10 * sim::kMinute);
  CHECK(downtimes.size() + 1 >= failed.size());  // the last may still be down at the end
  // The gaps between failures average about the mean (38 gaps: ±4 standard errors).
  const double span = sim::to_seconds(failed.back().first - failed.front().first);
  const double mean_gap = span / static_cast<double>(failed.size() - 1);
  CHECK(mean_gap > 1800 * (1 - 4 / std::sqrt(38.0)));
  CHECK(mean_gap < 1800 * (1 + 4 / std::sqrt(38.0)));
}

TEST_CASE("a rate-based failure cannot also name its nodes", "[faults]") {
  const std::string text = R"(apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: mtbf}
spec:
  duration: 1h
  cluster:
    nodePools:
    - {name: cpu, count: 2, cpu: "8", memory: 32Gi}
  faults:
  - {type: nodeFailure, at: 0s, nodes: [cpu-0], meanTimeBetweenFailures: 30m}
)";
  scenarios::Diagnostics d;
  CHECK_FALSE(scenarios::load_scenario_text(text, "t.yaml", {}, d));
  CHECK(d.format().find("names its nodes one way") != std::string::npos);
}

}  // namespace
}  // namespace kubesim::experiments
