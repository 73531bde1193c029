// Golden runs: every example scenario's trajectory fingerprint and event count, as in
// OMNeT++'s fingerprint tests. A mismatch means the simulated trajectory changed — event
// order, random draws or model behaviour. If the change is intended, regenerate with
//   KUBESIM_UPDATE_GOLDEN=1 build/bin/tests-experiments "[golden]"
// and say in the commit message what changed in behaviour and why (STYLE.md, Tests).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "experiments/scenario_run.hpp"
#include "scenarios/scenario.hpp"

namespace kubesim::experiments {
namespace {

namespace fs = std::filesystem;

std::string golden_line(const ScenarioRun& run, std::uint64_t fingerprint, std::uint64_t events) {
  std::ostringstream out;
  out << run.scenario().name << " seed=" << run.scenario().seed << " events=" << events
      << " fingerprint=" << std::hex << fingerprint << "\n";
  return out.str();
}

TEST_CASE("example scenarios follow their recorded trajectories", "[golden]") {
  const fs::path examples = fs::path(KUBESIM_SOURCE_DIR) / "scenarios" / "examples";
  const fs::path golden_dir = fs::path(KUBESIM_SOURCE_DIR) / "tests" / "golden";
  const bool update = std::getenv("KUBESIM_UPDATE_GOLDEN") != nullptr;
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(examples)) {
    if (entry.path().extension() != ".yaml") continue;
    // The scale example runs its first seconds only (its full run is a benchmark,
    // docs/performance.md); enough to cover registration, creates and the first binds.
    std::vector<std::string> overrides;
    if (entry.path().stem() == "scale-5000") overrides.push_back("spec.duration=3s");
    // The trace replays likewise run their first ~1,000 arrivals (their full runs are
    // checked by fgd_reference_test.cpp and `make reproduce-fgd`).
    if (entry.path().stem().string().rfind("alibaba-openb", 0) == 0) {
      overrides.push_back("spec.duration=45s");
    }
    scenarios::Diagnostics diagnostics;
    auto scenario = scenarios::load_scenario_file(entry.path().string(), overrides, diagnostics);
    INFO(entry.path().string() << "\n" << diagnostics.format());
    REQUIRE(scenario);
    ScenarioRun run(*scenario);
    run.run();
    ScenarioRun again(*scenario);
    again.run();
    // The run is deterministic before it is compared with anything recorded.
    REQUIRE(run.simulation().fingerprint() == again.simulation().fingerprint());
    const std::string actual = golden_line(run, run.simulation().fingerprint(),
                                           run.simulation().events_processed());
    const fs::path golden = golden_dir / (entry.path().stem().string() + ".golden");
    if (update) {
      std::ofstream(golden) << actual;
    }
    std::ifstream in(golden);
    INFO("golden file " << golden.string()
                        << " (regenerate with KUBESIM_UPDATE_GOLDEN=1 if the change is intended)");
    REQUIRE(in.good());
    std::stringstream expected;
    expected << in.rdbuf();
    CHECK(actual == expected.str());
    ++checked;
  }
  CHECK(checked >= 1);
}

}  // namespace
}  // namespace kubesim::experiments
