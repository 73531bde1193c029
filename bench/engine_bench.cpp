// Engine benchmarks. The hold model is the classic event-set benchmark (Vaucher & Duval,
// 1975; used by ns-3 and OMNeT++): with n events pending, pop the earliest and schedule one
// at now + Exp(mean 1 µs), so n stays constant. Reports events/s as items_per_second.
// The same model against ns-3 and SimPy lives in bench/peers/ (make bench-peers).
#include <benchmark/benchmark.h>

#include "sim/random.hpp"
#include <vector>

#include "sim/simulation.hpp"

namespace {
using kubesim::sim::Duration;
using kubesim::sim::Rng;
using kubesim::sim::Simulation;

constexpr double kMeanDelayNs = 1000.0;  // Exp(1 µs)
constexpr int kBatch = 1024;             // events per benchmark iteration

struct HoldEvent {
  Simulation* sim;
  Rng* rng;
  void operator()() const {
    sim->schedule_after(static_cast<Duration>(rng->exponential(kMeanDelayNs)), *this);
  }
};

void EngineHold(benchmark::State& state) {
  const auto pending = static_cast<int>(state.range(0));
  Simulation sim(42);
  Rng rng = sim.rng("hold");
  for (int i = 0; i < pending; ++i) {
    sim.schedule_after(static_cast<Duration>(rng.exponential(kMeanDelayNs)), HoldEvent{&sim, &rng});
  }
  // Warm up until the heap holds a steady-state mix of times.
  for (int i = 0; i < 2 * pending; ++i) sim.step();
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) sim.step();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["pending"] = static_cast<double>(sim.pending());
}
BENCHMARK(EngineHold)->Arg(1000)->Arg(65536)->Arg(1048576);

// The hold model where every event also schedules a timeout that the next event cancels,
// as request timeouts do: measures lazy cancellation and compaction.
struct TimeoutHold {
  Simulation* sim;
  Rng* rng;
  kubesim::sim::EventHandle* timeout;
  void operator()() const {
    sim->cancel(*timeout);
    *timeout = sim->schedule_after(1'000'000'000, [] {});
    sim->schedule_after(static_cast<Duration>(rng->exponential(kMeanDelayNs)), *this);
  }
};

void EngineHoldWithCancel(benchmark::State& state) {
  const auto pending = static_cast<int>(state.range(0));
  Simulation sim(42);
  Rng rng = sim.rng("hold");
  std::vector<kubesim::sim::EventHandle> timeouts(static_cast<std::size_t>(pending));
  for (int i = 0; i < pending; ++i) {
    sim.schedule_after(static_cast<Duration>(rng.exponential(kMeanDelayNs)),
                       TimeoutHold{&sim, &rng, &timeouts[static_cast<std::size_t>(i)]});
  }
  for (int i = 0; i < 2 * pending; ++i) sim.step();
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) sim.step();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(EngineHoldWithCancel)->Arg(65536);

}  // namespace
