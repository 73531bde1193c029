// Every shipped cluster trace that holds pods replays through the full control plane
// (spec.workloads[] type podTrace): the pods the plan says arrive within the run are
// created — no more, no fewer — and the run keeps the cluster invariants, GPU devices
// included. Expected counts come from the trace files themselves (rows with a creation
// time inside the replayed window), computed by the loader the importer tests check.
#include <catch2/catch.hpp>
#include <string>

#include "scenarios/scenario.hpp"
#include "tests/support/cluster_invariants.hpp"

namespace kubesim::experiments {
namespace {

struct Case {
  const char* format;
  const char* path;  // under the shared traces folder
  const char* extra;
  bool sequential;  // the trace's creation times span weeks: replay one pod per second
};

TEST_CASE("shipped cluster traces replay through the control plane", "[trace][replay]") {
  const Case cases[] = {
      {"alibaba-dlrm-2025", "alibaba-gpu-v2025/disaggregated_DLRM_trace.csv", "      maxRows: 400\n",
       false},
      {"simkube", "simkube/dsb-scaling.sktrace", "", false},
      {"simkube", "simkube/large_trace.json", "", false},
      {"alibaba-openb", "alibaba-gpu-v2023/openb_pod_list_gpushare40.csv", "      maxRows: 400\n",
       true},
  };
  for (const Case& c : cases) {
    const std::string path = std::string(KUBESIM_SHARED_DIR) + "/traces/" + c.path;
    const std::string text =
        std::string("apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {name: t}\n"
                    "spec:\n  seed: 3\n  duration: 30m\n  cluster:\n    nodePools:\n"
                    "    - {name: gpu, count: 60, cpu: \"96\", memory: 768Gi,"
                    " gpu: {model: A100, count: 8}}\n"
                    "  controlPlane:\n    scheduler: {gpuPolicy: default}\n"
                    "  workloads:\n  - name: w\n    type: podTrace\n    trace:\n"
                    "      format: ") +
        c.format + "\n      path: " + path + "\n" + c.extra + "    start: 10s\n" +
        (c.sequential ? "    arrivals: sequential\n    interval: 1s\n" : "    timeCompression: 20\n");
    scenarios::Diagnostics diagnostics;
    auto scenario = scenarios::load_scenario_text(text, "trace.yaml", {}, diagnostics);
    INFO(c.format << " " << c.path << "\n" << diagnostics.format());
    REQUIRE(scenario);
    REQUIRE(scenario->pod_traces.size() == 1);
    // Pods whose arrival falls inside the run: start + creation / 20 < 30 min, or (one
    // per second or slower, sequentially) all of the 400 rows.
    std::size_t expected = 0;
    for (const auto& p : scenario->pod_traces[0].trace.pods) {
      if (c.sequential || 10 * sim::kSecond + p.creation / 20 < 30 * sim::kMinute) ++expected;
    }
    REQUIRE(expected > 0);
    ScenarioRun run(*scenario);
    run.run();
    CHECK(run.observer()->pods().size() == expected);
    CHECK(run.cluster()->apply_errors().empty());
    check_invariants(run);
  }
}

}  // namespace
}  // namespace kubesim::experiments
