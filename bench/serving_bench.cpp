// Serving benchmarks: the cost of the request-level serving model (traffic generation,
// routing, continuous batching, results) per request, and of the fluid mode per pod
// interval. The target scenario is 24 simulated hours at a mean of 200 requests/s
// over up to 64 pods (about 17 million requests) in at most 60 s of wall time, so the
// request-level path must stay well under ~3.5 µs per request including everything the
// cluster adds; items_per_second here is requests (or pod-intervals) per wall second.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "models/inference_server.hpp"
#include "models/load_balancer.hpp"
#include "models/traffic.hpp"
#include "sim/simulation.hpp"

namespace {

using kubesim::models::FluidInput;
using kubesim::models::FluidServer;
using kubesim::models::InferenceServer;
using kubesim::models::InferenceServerConfig;
using kubesim::models::LbMode;
using kubesim::models::LoadBalancer;
using kubesim::models::Request;
using kubesim::models::RequestResult;
using kubesim::models::ServiceModel;
using kubesim::models::TrafficSource;
using kubesim::models::TrafficSpec;
namespace sim = kubesim::sim;

// Azure-LLM-2023-conversation-like token lengths (log-normal: median ~1,000 prompt tokens,
// ~200 output tokens).
TrafficSpec llm_traffic(double rate) {
  TrafficSpec spec;
  spec.name = std::string("bench");
  spec.rate = rate;
  spec.input_tokens = sim::Distribution::lognormal_from_p50_p99(1000, 6000).value();
  spec.output_tokens = sim::Distribution::lognormal_from_p50_p99(200, 800).value();
  return spec;
}

struct Rig {
  sim::Simulation sim{42};
  std::vector<std::unique_ptr<InferenceServer>> pods;
  LoadBalancer lb{LbMode::kRandom, sim.rng("lb/bench")};
  std::unique_ptr<TrafficSource> source;
  std::uint64_t finished = 0;
  std::uint64_t next_id = 0;

  Rig(int n_pods, const InferenceServerConfig& cfg, const TrafficSpec& spec) {
    std::vector<std::uint32_t> ids;
    for (int i = 0; i < n_pods; ++i) {
      pods.push_back(std::make_unique<InferenceServer>(
          sim, cfg, [this](const RequestResult&) { ++finished; }));
      pods.back()->start_ready();
      ids.push_back(static_cast<std::uint32_t>(i));
    }
    lb.set_endpoints(std::move(ids));
    source = std::make_unique<TrafficSource>(
        sim, spec, [this](const Request& r) { pods[*lb.pick()]->submit(r, next_id++); });
    source->start();
  }
};

// 200 requests/s over `pods` H100 pods (random routing), simulated 60 s per iteration.
void ServingRequestLevelLlm(benchmark::State& state) {
  InferenceServerConfig cfg;
  cfg.name = std::string("llm");
  cfg.concurrency = 64;
  cfg.queue_limit = 256;
  cfg.gpu = kubesim::models::gpu_profile("H100").value();
  Rig rig(static_cast<int>(state.range(0)), cfg, llm_traffic(200));
  rig.sim.run_until(sim::seconds(60));  // warm up: batches filled
  const std::uint64_t start = rig.finished;
  const std::uint64_t events0 = rig.sim.events_processed();
  for (auto _ : state) rig.sim.run_until(rig.sim.now() + sim::seconds(60));
  const auto done = static_cast<std::int64_t>(rig.finished - start);
  state.SetItemsProcessed(done);
  state.counters["events_per_request"] =
      static_cast<double>(rig.sim.events_processed() - events0) / static_cast<double>(done);
}
BENCHMARK(ServingRequestLevelLlm)->Arg(16)->Arg(64)->Unit(benchmark::kMillisecond);

// The same with CPU pods (M/M/c-like: 8 workers, log-normal service of median 20 ms).
void ServingRequestLevelCpu(benchmark::State& state) {
  InferenceServerConfig cfg;
  cfg.name = std::string("cpu");
  cfg.model = ServiceModel::kCpu;
  cfg.concurrency = 8;
  cfg.service_time = sim::Distribution::lognormal_from_p50_p99(0.02, 0.2).value();
  TrafficSpec spec;
  spec.name = std::string("bench-cpu");
  spec.rate = 200;
  Rig rig(static_cast<int>(state.range(0)), cfg, spec);
  rig.sim.run_until(sim::seconds(10));
  const std::uint64_t start = rig.finished;
  for (auto _ : state) rig.sim.run_until(rig.sim.now() + sim::seconds(60));
  state.SetItemsProcessed(static_cast<std::int64_t>(rig.finished - start));
}
BENCHMARK(ServingRequestLevelCpu)->Arg(64)->Unit(benchmark::kMillisecond);

// Fluid mode: one 1-s interval of one LLM pod per item (a 24 h run of 64 pods is 5.5 M).
void ServingFluidInterval(benchmark::State& state) {
  InferenceServerConfig cfg;
  cfg.concurrency = static_cast<int>(state.range(0));
  cfg.gpu = kubesim::models::gpu_profile("H100").value();
  FluidServer fluid(cfg);
  double rate = 2.0;
  double sink = 0;
  for (auto _ : state) {
    rate = rate < 8 ? rate + 0.01 : 2.0;  // vary the input as a diurnal load would
    sink += fluid.advance(sim::seconds(1), FluidInput{rate, 1000, 200}).busy_fraction;
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(ServingFluidInterval)->Arg(64)->Arg(256);

}  // namespace
