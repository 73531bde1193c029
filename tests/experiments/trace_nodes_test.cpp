// spec.cluster.nodesFrom on every shipped node list: the cluster starts with one Node per
// trace machine and the trace's GPUs as allocatable. Expected counts, computed from the
// shipped files (../shared/traces):
//   awk -F, '{n++; g+=$5} END{print n, g}' alibaba-gpu-v2020/pai_machine_spec.csv  → 1897 6742
//   awk -F, 'NR>1{n++; g+=$2} END{print n, g}' alibaba-spot-gpu-v2026/node_info_df.csv
//                                                                                 → 4278 10412
//   philly/cluster_machine_list: 552 machines, 2,490 GPUs (231 × 8 + 321 × 2)
#include <catch2/catch.hpp>
#include <string>

#include "experiments/scenario_run.hpp"
#include "models/cluster.hpp"
#include "tests/support/scenario_loading.hpp"

namespace kubesim::experiments {
namespace {

struct Totals {
  std::size_t nodes = 0;
  std::int64_t gpus = 0;
};

Totals start_cluster(const std::string& format, const std::string& path) {
  const std::string text = R"(apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: nodes-from}
spec:
  duration: 1s
  cluster:
    nodesFrom:
    - {format: )" + format + ", path: " + std::string(KUBESIM_SHARED_DIR) + "/traces/" + path +
                           "}\n";
  auto s = testing::load_scenario_ok(text);
  ScenarioRun run(s);
  run.run();
  Totals t;
  for (const auto& n : run.cluster()->api().nodes().list()) {
    ++t.nodes;
    t.gpus += n->status.allocatable.gpu;
  }
  return t;
}

TEST_CASE("nodesFrom builds the cluster of every shipped node list", "[traces][nodes]") {
  SECTION("Alibaba PAI 2020 machine spec") {
    const Totals t = start_cluster("alibaba-pai-2020", "alibaba-gpu-v2020/pai_machine_spec.csv");
    CHECK(t.nodes == 1897);
    CHECK(t.gpus == 6742);
  }
  SECTION("Alibaba spot GPU 2026 node list") {
    const Totals t = start_cluster("alibaba-spot-2026", "alibaba-spot-gpu-v2026/node_info_df.csv");
    CHECK(t.nodes == 4278);
    CHECK(t.gpus == 10412);
  }
  SECTION("Philly machine list") {
    const Totals t = start_cluster("philly", "philly/cluster_machine_list");
    CHECK(t.nodes == 552);
    CHECK(t.gpus == 2490);
  }
}

}  // namespace
}  // namespace kubesim::experiments
