// The FGD paper simulator's reference run, replayed through kubesim's full control plane
// (scenarios/examples/alibaba-openb-fgd-reference.yaml): every pod must land on the node
// and GPU the reference run chose, or fail where it failed, and the headline figures must
// be the paper simulator's own (reference/fgd-simulator.md: allocation 95.1 % at 100 %
// arrived; 292.6 GPUs unallocated at 130 %). Expected values come from the reference
// run's arrival_order.csv, produced by the paper's Go simulator — independent of kubesim.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>

#include "experiments/cluster_observer.hpp"
#include "experiments/scenario_run.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/trace_common.hpp"

namespace {

namespace fs = std::filesystem;
using kubesim::experiments::ScenarioRun;
namespace traces = kubesim::scenarios::traces;

struct Outcome {
  bool scheduled = false;
  std::string node;
  std::string gpus;
};

std::map<std::string, Outcome> reference_outcomes(const fs::path& path) {
  std::string text;
  kubesim::scenarios::Diagnostics d;
  REQUIRE(traces::detail::read_whole_file(path.string(), text, d));
  traces::detail::CsvReader csv(text);
  REQUIRE(csv.next());
  const traces::detail::Header header(csv);
  const int pod = header.index("pod"), outcome = header.index("outcome"),
            node = header.index("node"), gpu = header.index("gpu_index");
  REQUIRE((pod >= 0 && outcome >= 0 && node >= 0 && gpu >= 0));
  std::map<std::string, Outcome> out;
  while (csv.next()) {
    Outcome o;
    o.scheduled = csv[static_cast<std::size_t>(outcome)] == "scheduled";
    o.node = std::string(csv[static_cast<std::size_t>(node)]);
    o.gpus = std::string(csv[static_cast<std::size_t>(gpu)]);
    out.emplace(std::string(csv[static_cast<std::size_t>(pod)]), o);
  }
  return out;
}

TEST_CASE("FGD through the full control plane reproduces the paper simulator's reference run",
          "[fgd][trace]") {
  const fs::path examples = fs::path(KUBESIM_SOURCE_DIR) / "scenarios" / "examples";
  kubesim::scenarios::Diagnostics diagnostics;
  auto scenario = kubesim::scenarios::load_scenario_file(
      (examples / "alibaba-openb-fgd-reference.yaml").string(), {}, diagnostics);
  INFO(diagnostics.format());
  REQUIRE(scenario);
  ScenarioRun run(*scenario);
  run.run();
  const auto reference =
      reference_outcomes(examples / "traces" / "fgd-openb-seed42" / "arrival_order.csv");
  REQUIRE(reference.size() == 10866);

  const auto& pods = run.observer()->pods();
  REQUIRE(pods.size() == reference.size());
  int node_mismatches = 0, gpu_mismatches = 0, failed = 0;
  for (const auto& p : pods) {
    auto it = reference.find(p.name);
    REQUIRE(it != reference.end());
    const bool scheduled = p.phase != "Failed";
    if (!scheduled) ++failed;
    if (scheduled != it->second.scheduled || (scheduled && p.node != it->second.node)) {
      ++node_mismatches;
    } else if (scheduled && p.gpu_ids != it->second.gpus) {
      ++gpu_mismatches;
    }
  }
  CHECK(node_mismatches == 0);
  CHECK(gpu_mismatches == 0);
  CHECK(failed == 2532);

  const auto* gpu = run.observer()->gpu_share();
  REQUIRE(gpu != nullptr);
  CHECK(gpu->capacity_milli() == 6212 * 1000);
  const auto at100 = gpu->at_arrived(100);
  const auto at130 = gpu->at_arrived(130);
  REQUIRE(at100.events > 0);
  REQUIRE(at130.events > 0);
  CHECK(std::round(at100.allocation_percent * 10) / 10 == Approx(95.1));
  CHECK(std::round(at130.unallocated_gpus * 10) / 10 == Approx(292.6));
}

}  // namespace
