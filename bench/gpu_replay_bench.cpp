// The FGD paper's replay method (experiments/gpu_replay.hpp) on the paper's reference run:
// the 1,213-node openb GPU cluster and the 10,866 arrivals of the default trace inflated to
// 130% at seed 42, one full replay per iteration, per policy. No control plane: this is the
// pure placement cost (the issue-5 budget for the whole run through the control-plane model
// is 5 s on 2 cores). Reports arrivals/s as items_per_second.
//
// Inputs come from the project's shared folder (../shared next to the source tree); the
// benchmark is skipped with an error when they are missing.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "experiments/gpu_replay.hpp"

namespace {

namespace ke = kubesim::experiments;
namespace gpu = kubesim::policies::gpu;

struct Inputs {
  bool ok = false;
  std::string error;
  ke::GpuReplayInput input;
};

const Inputs& inputs() {
  static const Inputs in = [] {
    Inputs r;
    const std::filesystem::path shared =
        std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "shared";
    const auto nodes = ke::read_openb_nodes(
        (shared / "traces/alibaba-gpu-v2023/openb_node_list_gpu_node.csv").string());
    if (!nodes.ok()) {
      r.error = nodes.error();
      return r;
    }
    const auto arrivals = ke::read_reference_arrivals(
        (shared / "reference/fgd-openb-seed42/arrival_order.csv").string());
    if (!arrivals.ok()) {
      r.error = arrivals.error();
      return r;
    }
    const auto ranks =
        ke::read_node_ranks((shared / "reference/fgd-openb-seed42/node_rank.csv").string(), *nodes);
    if (!ranks.ok()) {
      r.error = ranks.error();
      return r;
    }
    r.input.nodes = *nodes;
    r.input.rank = *ranks;
    for (const auto& a : *arrivals) {
      r.input.arrivals.push_back(a.pod);
      if (!a.pod.is_clone()) r.input.typical_source.push_back(a.pod);
    }
    r.ok = true;
    return r;
  }();
  return in;
}

void GpuReplay(benchmark::State& state) {
  const auto policy = static_cast<gpu::GpuPolicy>(state.range(0));
  state.SetLabel(std::string(gpu::to_string(policy)));
  const Inputs& in = inputs();
  if (!in.ok) {
    state.SkipWithError(in.error.c_str());
    return;
  }
  std::int64_t failed = 0;
  for (auto _ : state) {
    const ke::GpuReplayResult r = ke::replay_gpu(in.input, policy);
    failed = r.timeline.back().failed_pods;
    benchmark::DoNotOptimize(failed);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(in.input.arrivals.size()));
  state.counters["failed_pods"] = static_cast<double>(failed);
}
BENCHMARK(GpuReplay)
    ->Name("GpuReplay/openb-1.3-seed42")
    ->DenseRange(0, 5)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);

}  // namespace
