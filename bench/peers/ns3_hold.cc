// ns3_hold: the engine "hold model" benchmark written against ns-3, the peer that
// bench/peers/run.sh compares kubesim's event queue with (`make bench-peers`).
//
// The hold model (the classic event-list benchmark, Vaucher & Duval, CACM 1975; ns-3's own
// utils/bench-scheduler.cc measures its schedulers in the same spirit): N events are
// pending, initially at 0 + Exp(mean 1 us) each. Every event, when it fires, schedules
// exactly one new event at now + Exp(mean 1 us), truncated to integer nanoseconds, so
// exactly N events stay pending for the whole run. We report events fired per second of
// wall time. (With integer nanoseconds and N = 1M, about N/1000 events share each
// timestamp, so tie-breaking is exercised too.)
//
// Why the comparison is fair:
//   - Same model, sizes, delay distribution, time unit and protocol as kubesim's
//     EngineHold/<N> (bench/engine_bench.cpp): N initial events (setup, untimed), 2 x N
//     warm-up events (untimed, so the queue holds a steady-state mix of times), then the
//     timed run. Same tie order too: ns-3 orders events by (timestamp, insertion uid),
//     kubesim by (time, insertion sequence).
//   - Written the way an ns-3 user writes it: a model object whose member function is
//     scheduled with Simulator::Schedule (ns-3 allocates one EventImpl per event; that
//     cost is part of ns-3's design and is measured on purpose), delays drawn from ns-3's
//     own ExponentialRandomVariable (MRG32k3a + inverse CDF, the natural ns-3 way; kubesim
//     draws from xoshiro256** + inverse CDF, also inside its timed loop). An ns-3 draw
//     costs a few tens of ns more than a xoshiro one; --rng=mt19937 (std::mt19937_64 +
//     inverse CDF, about as cheap as kubesim's) shows how much of the gap that explains.
//   - Debian's libns3 3.37 is a CMake "release" build (no NS_LOG, no NS_ASSERT); this file
//     is compiled with -O2 -DNDEBUG by run.sh, as a release build would be.
//   - Two ns-3 schedulers are measured: MapScheduler (the default, a std::map) and
//     HeapScheduler (a binary heap); which is faster depends on N, so the table compares
//     kubesim with each and with the faster of the two.
//   - The timed run lasts at least --min-events (default N) and at least --min-seconds of
//     wall time, as Google Benchmark's --benchmark_min_time does for kubesim.
//
// Usage: ns3_hold --scheduler=map|heap --pending=N [--warmup-events=W] [--min-events=M]
//                 [--min-seconds=S] [--rng=ns3|mt19937] [--seed=S]
// Output: one JSON line on stdout, e.g.
//   {"engine":"ns3-map","pending":65536,"events":2621440,"seconds":3.1,"events_per_second":...}
// One configuration per process, so runs do not share a fragmented allocator.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>

#include "ns3/command-line.h"
#include "ns3/double.h"
#include "ns3/nstime.h"
#include "ns3/object-factory.h"
#include "ns3/random-variable-stream.h"
#include "ns3/rng-seed-manager.h"
#include "ns3/simulator.h"

namespace {

using ns3::Simulator;
using Clock = std::chrono::steady_clock;

// The model: every event it fires reschedules one successor (so N events stay pending,
// also when a phase stops). run_phase() runs the simulator until at least `min_events`
// have fired and `min_seconds` of wall time have passed; the clock is read once per
// kCheckEvery events, which costs nothing measurable.
class HoldModel {
 public:
  static constexpr std::uint64_t kCheckEvery = 4096;

  HoldModel(double mean_ns, bool use_ns3_rng, std::uint32_t seed)
      : mean_ns_(mean_ns), use_ns3_rng_(use_ns3_rng), mt_(seed) {
    delay_ = ns3::CreateObject<ns3::ExponentialRandomVariable>();
    delay_->SetAttribute("Mean", ns3::DoubleValue(mean_ns));
    delay_->SetAttribute("Bound", ns3::DoubleValue(0.0));  // 0 = unbounded
  }

  // One delay in integer nanoseconds (truncated, as a cast to kubesim's Duration is).
  ns3::Time draw() {
    double d;
    if (use_ns3_rng_) {
      d = delay_->GetValue();
    } else {
      // Inverse CDF on u in (0, 1] with 53 random bits, as kubesim's Rng::exponential.
      const double u = static_cast<double>((mt_() >> 11) + 1) * 0x1.0p-53;
      d = -mean_ns_ * std::log(u);
    }
    return ns3::NanoSeconds(static_cast<std::int64_t>(d));
  }

  // The N initial events at 0 + Exp(mean).
  void schedule_initial(std::uint64_t pending) {
    for (std::uint64_t i = 0; i < pending; ++i) {
      Simulator::Schedule(draw(), &HoldModel::fire, this);
    }
  }

  // Runs the simulator for one phase; returns the events fired in it.
  // REQUIRES: min_events > 0 (a phase always fires at least kCheckEvery events).
  std::uint64_t run_phase(std::uint64_t min_events, double min_seconds) {
    min_events_ = min_events;
    min_seconds_ = min_seconds;
    fired_ = 0;
    start_ = Clock::now();
    Simulator::Run();  // returns after fire() calls Simulator::Stop()
    return fired_;
  }

  void fire() {
    Simulator::Schedule(draw(), &HoldModel::fire, this);
    if (++fired_ % kCheckEvery == 0 && fired_ >= min_events_ &&
        std::chrono::duration<double>(Clock::now() - start_).count() >= min_seconds_) {
      Simulator::Stop();
    }
  }

 private:
  double mean_ns_;
  bool use_ns3_rng_;
  ns3::Ptr<ns3::ExponentialRandomVariable> delay_;
  std::mt19937_64 mt_;
  std::uint64_t min_events_ = 0;
  double min_seconds_ = 0;
  Clock::time_point start_;
  std::uint64_t fired_ = 0;
};

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

int main(int argc, char* argv[]) {
  std::string scheduler = "map";
  std::uint64_t pending = 65536;
  std::uint64_t warmup_events = 0;  // 0: 2 x pending
  std::uint64_t min_events = 0;     // 0: pending
  double min_seconds = 3.0;
  std::string rng = "ns3";
  std::uint32_t seed = 1;

  ns3::CommandLine cmd(__FILE__);
  cmd.Usage("Hold-model event-queue benchmark for ns-3 (kubesim peer comparison).");
  cmd.AddValue("scheduler", "map (ns3::MapScheduler, the default) or heap (ns3::HeapScheduler)",
               scheduler);
  cmd.AddValue("pending", "events kept pending (N)", pending);
  cmd.AddValue("warmup-events", "untimed events before the timed run; 0 = 2 x N",
               warmup_events);
  cmd.AddValue("min-events", "timed run: at least this many events; 0 = N", min_events);
  cmd.AddValue("min-seconds", "timed run: at least this many seconds of wall time", min_seconds);
  cmd.AddValue("rng", "ns3 (ns3::ExponentialRandomVariable) or mt19937 (std::mt19937_64)", rng);
  cmd.AddValue("seed", "RNG seed", seed);
  cmd.Parse(argc, argv);

  std::string type_id;
  if (scheduler == "map") {
    type_id = "ns3::MapScheduler";
  } else if (scheduler == "heap") {
    type_id = "ns3::HeapScheduler";
  } else {
    std::fprintf(stderr, "ns3_hold: unknown --scheduler '%s' (expected map or heap)\n",
                 scheduler.c_str());
    return 2;
  }
  if (rng != "ns3" && rng != "mt19937") {
    std::fprintf(stderr, "ns3_hold: unknown --rng '%s' (expected ns3 or mt19937)\n", rng.c_str());
    return 2;
  }
  if (pending == 0) {
    std::fprintf(stderr, "ns3_hold: --pending must be > 0\n");
    return 2;
  }
  if (warmup_events == 0) warmup_events = 2 * pending;
  if (min_events == 0) min_events = pending;

  ns3::RngSeedManager::SetSeed(seed);
  ns3::RngSeedManager::SetRun(1);
  ns3::ObjectFactory factory;
  factory.SetTypeId(type_id);
  Simulator::SetScheduler(factory);

  HoldModel model(1000.0, rng == "ns3", seed);
  const auto setup_start = Clock::now();
  model.schedule_initial(pending);
  const double setup_s = seconds_since(setup_start);
  model.run_phase(warmup_events, 0.0);

  // Wall time is the measure; CPU time of the process is reported too, as it is less
  // disturbed when other work shares the machine (it is what Google Benchmark reports).
  const std::clock_t cpu_start = std::clock();
  const auto run_start = Clock::now();
  const std::uint64_t events = model.run_phase(min_events, min_seconds);
  const double run_s = seconds_since(run_start);
  const double cpu_s = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  const std::int64_t end_time_ns = Simulator::Now().GetNanoSeconds();
  Simulator::Destroy();

  std::printf(
      "{\"engine\":\"ns3-%s\",\"pending\":%llu,\"events\":%llu,\"seconds\":%.6f,"
      "\"events_per_second\":%.1f,\"cpu_seconds\":%.6f,\"events_per_cpu_second\":%.1f,"
      "\"setup_seconds\":%.6f,\"warmup_events\":%llu,\"simulated_ns\":%lld,\"rng\":\"%s\"}\n",
      scheduler.c_str(), static_cast<unsigned long long>(pending),
      static_cast<unsigned long long>(events), run_s, static_cast<double>(events) / run_s,
      cpu_s, static_cast<double>(events) / cpu_s, setup_s,
      static_cast<unsigned long long>(warmup_events), static_cast<long long>(end_time_ns),
      rng.c_str());
  return 0;
}
