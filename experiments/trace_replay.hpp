// Trace replay planning: which trace pods arrive, in what order, when, and when they leave
// (scenario workloads of type podTrace, scenarios/trace_workload.hpp).
//
// Order: `trace` sorts the rows by creation time (file order on ties); `shuffled` is the FGD
// paper's method — sort by name, then a Fisher-Yates shuffle on the run's random stream
// "workloads/<name>/order".
// Inflation (the paper's workload "tuning", tune_workload below): clones of uniformly drawn
// originals (named "<base>-tuned-<k>", k from 0, drawn from the same stream) are appended
// until the arrived GPU demand would pass inflateGpuPercent of the cluster's GPU capacity,
// or random originals are dropped when it is already above.
// Times: `sequential` arrivals are planned at start + i × interval (the replay makes them a
// closed loop: each create waits for the previous one to complete, then `interval`), and a
// pod with a deletion time
// leaves (deletion − creation) / timeCompression after it arrived; `trace` arrivals are
// start + creation / timeCompression and departures start + deletion / timeCompression
// (clones keep their original's times). departures: false, or runTime, leaves no departure.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "scenarios/trace_workload.hpp"
#include "sim/random.hpp"
#include "sim/time.hpp"

namespace kubesim::experiments {

struct PlannedPod {
  std::uint32_t row = 0;  // index into the trace's pods
  std::string name;
  sim::Time arrival = 0;
  std::optional<sim::Time> departure;
  bool clone = false;
};

// Rows in name order, then shuffled with `rng` (Fisher-Yates).
std::vector<std::uint32_t> shuffled_by_name(std::span<const std::string* const> names,
                                            sim::Rng& rng);
// The FGD simulator's workload tuning (simulator.go TunePodsByNodeTotalResource) over trace
// rows: `order` is the arrival order of the originals, `by_name` the same rows sorted by
// name; demand[row] the row's GPU demand (num_gpu × gpu_milli) and share[row] its per-GPU
// milli. When the originals' demand exceeds `limit`, tuneDownPods drops uniformly drawn
// pods until it does not; otherwise tuneUpPods appends clones of uniformly drawn originals
// (from by_name) while arrived + share of the drawn pod stays within `limit` — upstream's
// stop test adds the per-GPU milli, not the total — and the first draw that fails it ends
// the list. Returns (row, clone number or -1) in arrival order.
std::vector<std::pair<std::uint32_t, std::int32_t>> tune_workload(
    const std::vector<std::uint32_t>& order, const std::vector<std::uint32_t>& by_name,
    std::span<const std::int64_t> demand, std::span<const std::int32_t> share, double limit,
    sim::Rng& rng);

// The whole plan of one podTrace workload. cluster_gpu_milli: Σ GPUs × 1000 of the cluster.
std::vector<PlannedPod> plan_pod_trace(const scenarios::PodTraceSpec& spec,
                                       std::int64_t cluster_gpu_milli, sim::Rng& rng);

}  // namespace kubesim::experiments
