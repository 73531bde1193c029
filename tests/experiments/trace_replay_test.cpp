// Tests for the replay plan of podTrace workloads (experiments/trace_replay.hpp): order,
// the FGD simulator's workload tuning (tune_workload) and arrival/departure times, worked
// out by hand from the rules in the header.
#include "experiments/trace_replay.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace {

using namespace kubesim;
using experiments::plan_pod_trace;
using experiments::tune_workload;

scenarios::traces::TracePod pod(std::string name, int num_gpu, int milli, double created_s,
                                std::optional<double> deleted_s = std::nullopt) {
  scenarios::traces::TracePod p;
  p.name = std::move(name);
  p.num_gpu = num_gpu;
  p.gpu_milli = milli;
  p.creation = static_cast<sim::Time>(created_s * 1e9);
  if (deleted_s) p.deletion = static_cast<sim::Time>(*deleted_s * 1e9);
  return p;
}

TEST_CASE("tune_workload clones until the next draw would pass the limit", "[trace-replay]") {
  // Rows: 0 = 1 GPU (1000), 1 = share 500, 2 = CPU only. Originals' demand 1500.
  const std::vector<std::int64_t> demand = {1000, 500, 0};
  const std::vector<std::int32_t> share = {1000, 500, 0};
  sim::Rng rng(7);
  const auto out = tune_workload({2, 0, 1}, {0, 1, 2}, demand, share, 4000.0, rng);
  REQUIRE(out.size() >= 3);
  CHECK(out[0] == std::pair<std::uint32_t, std::int32_t>{2, -1});
  CHECK(out[2] == std::pair<std::uint32_t, std::int32_t>{1, -1});
  std::int64_t arrived = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    arrived += demand[out[i].first];
    if (i >= 3) CHECK(out[i].second == static_cast<std::int32_t>(i - 3));  // clone numbers
  }
  CHECK(arrived <= 4000);
  // The draw that ended the list would have passed it: replay the same stream.
  sim::Rng again(7);
  std::int64_t total = 1500;
  std::size_t clones = 0;
  for (;;) {
    const std::uint32_t row = static_cast<std::uint32_t>(again.below(3));
    if (total + share[row] > 4000) break;
    total += demand[row];
    ++clones;
  }
  CHECK(out.size() == 3 + clones);
}

TEST_CASE("tune_workload drops random pods when the originals pass the limit", "[trace-replay]") {
  const std::vector<std::int64_t> demand = {1000, 1000, 1000, 1000};
  const std::vector<std::int32_t> share = {1000, 1000, 1000, 1000};
  sim::Rng rng(3);
  const auto out = tune_workload({0, 1, 2, 3}, {0, 1, 2, 3}, demand, share, 2500.0, rng);
  CHECK(out.size() == 2);  // 4000 -> 3000 -> 2000 <= 2500
  for (const auto& [row, k] : out) CHECK(k == -1);
}

TEST_CASE("sequential and trace arrivals, departures and compression", "[trace-replay]") {
  scenarios::PodTraceSpec spec;
  spec.name = "w";
  spec.trace.pods = {pod("b", 0, 0, 10, 110), pod("a", 1, 1000, 5, 65), pod("c", 0, 0, 20)};
  sim::Rng rng(1);
  SECTION("trace order and times, compressed 10x") {
    spec.arrivals = scenarios::PodTraceSpec::Arrivals::kTrace;
    spec.time_compression = 10;
    spec.start = sim::kSecond;
    const auto plan = plan_pod_trace(spec, 8000, rng);
    REQUIRE(plan.size() == 3);
    CHECK(plan[0].name == "a");
    CHECK(plan[0].arrival == sim::kSecond + 500 * sim::kMillisecond);   // 1 s + 5 s / 10
    CHECK(*plan[0].departure == sim::kSecond + 6500 * sim::kMillisecond);  // 1 s + 65 s / 10
    CHECK(plan[1].name == "b");
    CHECK(plan[2].name == "c");
    CHECK_FALSE(plan[2].departure);  // no deletion time: stays
  }
  SECTION("sequential: one interval apart, leaving after their trace lifetimes") {
    spec.arrivals = scenarios::PodTraceSpec::Arrivals::kSequential;
    spec.interval = 2 * sim::kSecond;
    const auto plan = plan_pod_trace(spec, 8000, rng);
    REQUIRE(plan.size() == 3);
    CHECK(plan[0].name == "a");  // creation order
    CHECK(plan[1].arrival == 2 * sim::kSecond);
    CHECK(*plan[1].departure == 2 * sim::kSecond + 100 * sim::kSecond);  // b lived 100 s
  }
  SECTION("departures: false") {
    spec.departures = false;
    for (const auto& p : plan_pod_trace(spec, 8000, rng)) CHECK_FALSE(p.departure);
  }
  SECTION("an explicit arrival order names clones") {
    spec.arrivals = scenarios::PodTraceSpec::Arrivals::kSequential;
    spec.arrival_order = {{"c", 2}, {"a", 1}, {"a-tuned-0", 1}};
    const auto plan = plan_pod_trace(spec, 8000, rng);
    REQUIRE(plan.size() == 3);
    CHECK(plan[2].name == "a-tuned-0");
    CHECK(plan[2].clone);
    CHECK(plan[2].row == 1);
  }
}

}  // namespace
