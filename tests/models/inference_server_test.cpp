// Tests of models/inference_server.hpp: continuous-batching timelines worked out by hand,
// the M/M/c steady state against Erlang C, request conservation through pod removal, and
// the fluid mode against the request-level model.
#include "models/inference_server.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <memory>
#include <vector>

#include "models/traffic.hpp"
#include "sim/simulation.hpp"
#include "sim/time.hpp"

namespace kubesim::models {
namespace {

using sim::milliseconds;
using sim::seconds;

InferenceServerConfig llm_config(int concurrency) {
  InferenceServerConfig c;
  c.name = std::string("pod");
  c.concurrency = concurrency;
  c.gpu = GpuProfile{std::string("test"), 1000, 10, 0.1};
  return c;
}

struct Collected {
  std::map<std::uint64_t, RequestResult> by_id;
  std::vector<RequestResult> all;
  void add(const RequestResult& r) {
    by_id[r.id] = r;
    all.push_back(r);
  }
};

TEST_CASE("continuous batching: three requests timed by hand", "[serving]") {
  // prefill 1000 tokens/s, decode 10 ms at batch 1, step(2) = 10 × (1 + 0.1) = 11 ms.
  // A (t=0, 500 in, 3 out): idle engine, iteration 1 = 0.5 s prefill + 10 ms → first token
  //   0.510; iterations 2 ends 0.520.
  // B (t=0.515, 200 in, 2 out) joins at the next boundary, 0.520 (B waited 5 ms). Iteration
  //   3 = 0.2 s prefill + 11 ms → ends 0.731: A's third token (A done, E2E 0.731) and B's
  //   first (TTFT 0.216).
  // C (t=0.600, 100 in, 1 out) finds the batch full (concurrency 2) and waits until A
  //   leaves at 0.731. Iteration 4 = 0.1 s prefill + 11 ms → ends 0.842: B's second token
  //   (B done, E2E 0.327) and C's only token (TTFT = E2E = 0.242, queued 0.131).
  sim::Simulation sim(1);
  Collected got;
  InferenceServer pod(sim, llm_config(2), [&](const RequestResult& r) { got.add(r); });
  pod.start_ready();
  sim.schedule_at(0, [&] { pod.submit(Request{0, 500, 3}, 1); });
  sim.schedule_at(milliseconds(515), [&] { pod.submit(Request{milliseconds(515), 200, 2}, 2); });
  sim.schedule_at(milliseconds(600), [&] { pod.submit(Request{milliseconds(600), 100, 1}, 3); });
  sim.run();
  REQUIRE(got.all.size() == 3);
  const RequestResult& a = got.by_id.at(1);
  const RequestResult& b = got.by_id.at(2);
  const RequestResult& c = got.by_id.at(3);
  for (const auto* r : {&a, &b, &c}) CHECK(r->outcome == Outcome::kSuccess);
  CHECK(a.first_token == milliseconds(510));
  CHECK(a.finished == milliseconds(731));
  CHECK(a.queueing_s() == 0);
  CHECK(b.started == milliseconds(520));
  CHECK(b.first_token == milliseconds(731));
  CHECK(b.finished == milliseconds(842));
  CHECK(b.ttft_s() == Approx(0.216));
  CHECK(b.e2e_s() == Approx(0.327));
  CHECK(b.queueing_s() == Approx(0.005));
  CHECK(c.started == milliseconds(731));
  CHECK(c.first_token == milliseconds(842));
  CHECK(c.finished == milliseconds(842));
  CHECK(c.queueing_s() == Approx(0.131));
  CHECK(c.e2e_s() == Approx(0.242));
  const PodCounters k = pod.counters();
  CHECK(k.completed == 3);
  CHECK(k.output_tokens == 6);
  CHECK(k.busy_seconds == Approx(0.842));
  // Requests running: A 0–0.731, B 0.520–0.842, C 0.731–0.842.
  CHECK(k.in_flight_seconds == Approx(0.731 + 0.322 + 0.111));
  CHECK(k.queue_seconds == Approx(0.005 + 0.131));
}

TEST_CASE("timeouts, a full queue and the deadline of a running request", "[serving]") {
  sim::Simulation sim(1);
  Collected got;
  InferenceServerConfig cfg = llm_config(1);
  cfg.queue_limit = 1;
  cfg.queue_timeout = milliseconds(500);
  InferenceServer pod(sim, cfg, [&](const RequestResult& r) { got.add(r); });
  pod.start_ready();
  // A: 0 prompt tokens, 100 output → 100 steps of 10 ms, done at 1.000 s.
  sim.schedule_at(0, [&] { pod.submit(Request{0, 0, 100}, 1); });
  // B waits; its queue deadline 0.6 s passes first.
  sim.schedule_at(milliseconds(100), [&] { pod.submit(Request{milliseconds(100), 0, 1}, 2); });
  // C finds the queue (limit 1) full.
  sim.schedule_at(milliseconds(200), [&] { pod.submit(Request{milliseconds(200), 0, 1}, 3); });
  // D waits from 0.7 s and joins when A leaves at 1.0 s: done at 1.010 s.
  sim.schedule_at(milliseconds(700), [&] { pod.submit(Request{milliseconds(700), 0, 1}, 4); });
  sim.run();
  CHECK(got.by_id.at(1).finished == seconds(1));
  CHECK(got.by_id.at(2).outcome == Outcome::kTimeout);
  CHECK(got.by_id.at(2).finished == milliseconds(600));
  CHECK(got.by_id.at(3).outcome == Outcome::kRejected);
  CHECK(got.by_id.at(3).reason == RejectReason::kQueueFull);
  CHECK(got.by_id.at(3).finished == milliseconds(200));
  CHECK(got.by_id.at(4).outcome == Outcome::kSuccess);
  CHECK(got.by_id.at(4).started == seconds(1));
  CHECK(got.by_id.at(4).finished == milliseconds(1010));

  SECTION("a running request is dropped at the first boundary at or after its deadline") {
    sim::Simulation s2(1);
    Collected g2;
    InferenceServerConfig c2 = llm_config(4);
    c2.request_timeout = milliseconds(305);
    InferenceServer p2(s2, c2, [&](const RequestResult& r) { g2.add(r); });
    p2.start_ready();
    s2.schedule_at(0, [&] { p2.submit(Request{0, 0, 100}, 1); });
    s2.run();
    // Boundaries every 10 ms; the first at or after 0.305 s is 0.310 s.
    CHECK(g2.by_id.at(1).outcome == Outcome::kTimeout);
    CHECK(g2.by_id.at(1).finished == milliseconds(310));
    CHECK(p2.in_flight() == 0);
  }
}

TEST_CASE("cold start: not ready until the model is loaded", "[serving]") {
  sim::Simulation sim(1);
  Collected got;
  InferenceServerConfig cfg = llm_config(4);
  cfg.model_size_gb = 16;
  cfg.load_gb_per_s = 2;
  cfg.startup_delay = seconds(2);
  CHECK(cfg.load_time() == seconds(10));
  InferenceServer pod(sim, cfg, [&](const RequestResult& r) { got.add(r); });
  sim::Time ready_at = -1;
  pod.set_on_ready([&] { ready_at = sim.now(); });
  pod.start();
  sim.schedule_at(seconds(1), [&] { pod.submit(Request{seconds(1), 0, 1}, 1); });
  sim.schedule_at(seconds(11), [&] { pod.submit(Request{seconds(11), 0, 1}, 2); });
  sim.run();
  CHECK(ready_at == seconds(10));
  CHECK(got.by_id.at(1).outcome == Outcome::kRejected);
  CHECK(got.by_id.at(1).reason == RejectReason::kNotReady);
  CHECK(got.by_id.at(2).outcome == Outcome::kSuccess);
  CHECK(got.by_id.at(2).finished == seconds(11) + milliseconds(10));
}

TEST_CASE("drain finishes in-flight work; terminate fails or returns the rest", "[serving]") {
  sim::Simulation sim(1);
  Collected got;
  InferenceServer pod(sim, llm_config(1), [&](const RequestResult& r) { got.add(r); });
  pod.start_ready();
  bool drained = false;
  pod.set_on_drained([&] { drained = true; });
  sim.schedule_at(0, [&] { pod.submit(Request{0, 0, 10}, 1); });                 // done at 0.1 s
  sim.schedule_at(milliseconds(10), [&] { pod.submit(Request{0, 0, 10}, 2); });  // queued
  sim.schedule_at(milliseconds(20), [&] { pod.begin_drain(DrainMode::kReturn); });
  sim.schedule_at(milliseconds(30), [&] { pod.submit(Request{0, 0, 1}, 3); });
  sim.run();
  CHECK(got.by_id.at(1).finished == milliseconds(100));
  CHECK(got.by_id.at(2).finished == milliseconds(200));
  CHECK(got.by_id.at(3).outcome == Outcome::kReturned);
  CHECK(got.by_id.at(3).reason == RejectReason::kPodGone);
  CHECK(drained);

  SECTION("terminate mid-run") {
    for (DrainMode mode : {DrainMode::kFail, DrainMode::kReturn}) {
      sim::Simulation s2(1);
      Collected g2;
      InferenceServer p2(s2, llm_config(2), [&](const RequestResult& r) { g2.add(r); });
      p2.start_ready();
      for (std::uint64_t i = 0; i < 5; ++i) {
        s2.schedule_at(0, [&, i] { p2.submit(Request{0, 10, 50}, i); });
      }
      s2.schedule_at(milliseconds(100), [&] { p2.terminate(mode); });
      s2.schedule_at(milliseconds(200), [&] { p2.submit(Request{0, 10, 50}, 9); });
      s2.run();
      REQUIRE(g2.all.size() == 6);
      const Outcome want = mode == DrainMode::kFail ? Outcome::kRejected : Outcome::kReturned;
      for (const RequestResult& r : g2.all) {
        CHECK(r.reason == RejectReason::kPodGone);
        CHECK(r.outcome == (r.id == 9 ? Outcome::kRejected : want));
        CHECK(r.finished == (r.id == 9 ? milliseconds(200) : milliseconds(100)));
      }
      CHECK(s2.pending() == 0);
    }
  }
}

TEST_CASE("CPU workers: FIFO service and an exact deadline", "[serving]") {
  // Two workers, 1 s of service each; three requests at t = 0: the third waits for a worker
  // until 1 s and would finish at 2 s, past its 1.5 s deadline, so it times out at 1.5 s.
  sim::Simulation sim(1);
  Collected got;
  InferenceServerConfig cfg;
  cfg.name = std::string("cpu");
  cfg.model = ServiceModel::kCpu;
  cfg.concurrency = 2;
  cfg.service_time = sim::Distribution::constant(1.0);
  cfg.request_timeout = sim::milliseconds(1500);
  InferenceServer pod(sim, cfg, [&](const RequestResult& r) { got.add(r); });
  pod.start_ready();
  for (std::uint64_t i = 0; i < 3; ++i) {
    sim.schedule_at(0, [&, i] { pod.submit(Request{0, 0, 0}, i); });
  }
  sim.schedule_at(milliseconds(1200), [&] { pod.submit(Request{milliseconds(1200), 0, 0}, 3); });
  sim.run();
  CHECK(got.by_id.at(0).finished == seconds(1));
  CHECK(got.by_id.at(1).finished == seconds(1));
  CHECK(got.by_id.at(2).outcome == Outcome::kTimeout);
  CHECK(got.by_id.at(2).started == seconds(1));
  CHECK(got.by_id.at(2).finished == milliseconds(1500));
  // The fourth finds the second worker idle since 1 s and starts at once.
  CHECK(got.by_id.at(3).started == milliseconds(1200));
  CHECK(got.by_id.at(3).finished == milliseconds(2200));
  const PodCounters k = pod.counters();
  // Busy worker-seconds 1 + 1 + 0.5 + 1 = 3.5 over 2 workers.
  CHECK(k.busy_seconds == Approx(3.5 / 2));
  CHECK(k.queue_seconds == Approx(1.0));
}

TEST_CASE("the batching engine schedules events per batch change, not per token", "[serving]") {
  // 2,000 requests of 200 output tokens each (400,000 tokens) on one H100 pod: the event
  // count stays a small multiple of the request count, and a second run with the same
  // seed follows the same trajectory (same fingerprint).
  auto run = [](std::uint64_t seed) {
    sim::Simulation sim(seed);
    InferenceServerConfig cfg;
    cfg.name = std::string("ev");
    cfg.concurrency = 32;
    cfg.gpu = gpu_profile("H100").value();
    std::uint64_t done = 0;
    InferenceServer pod(
        sim, cfg, [&](const RequestResult& r) { done += r.outcome == Outcome::kSuccess ? 1 : 0; });
    pod.start_ready();
    TrafficSpec spec;
    spec.name = std::string("ev");
    spec.rate = 5;
    spec.end = seconds(400);
    spec.input_tokens = sim::Distribution::constant(300);
    spec.output_tokens = sim::Distribution::constant(200);
    std::uint64_t id = 0;
    TrafficSource src(sim, spec, [&](const Request& r) { pod.submit(r, id++); });
    src.start();
    sim.run();
    CHECK(done == id);
    CHECK(id > 1900);
    CHECK(sim.events_processed() < 4 * id);
    return sim.fingerprint();
  };
  CHECK(run(8) == run(8));
  CHECK(run(8) != run(9));
}

// Erlang C: probability that an arrival waits in M/M/c with offered load a = λ/μ.
double erlang_c(int c, double a) {
  double sum = 0, term = 1;
  for (int k = 0; k < c; ++k) {
    if (k > 0) term *= a / k;
    sum += term;
  }
  const double top = term * a / c * c / (c - a);  // a^c / c! × c / (c − a)
  return top / (sum + top);
}

TEST_CASE("M/M/c steady state: mean queue length and wait match Erlang C within 5%", "[serving]") {
  // c = 4 workers, mean service 1 s, λ = 3.2/s: ρ = 0.8. Erlang C = 0.5964,
  // Lq = C·ρ/(1 − ρ) = 2.386, Wq = Lq/λ = 0.746 s.
  constexpr int kServers = 4;
  constexpr double kLambda = 3.2;
  const double c_prob = erlang_c(kServers, kLambda);
  const double lq = c_prob * 0.8 / 0.2;
  const double wq = lq / kLambda;
  CHECK(c_prob == Approx(0.5964).epsilon(1e-3));

  sim::Simulation sim(2024);
  InferenceServerConfig cfg;
  cfg.name = std::string("mmc");
  cfg.model = ServiceModel::kCpu;
  cfg.concurrency = kServers;
  cfg.service_time = sim::Distribution::exponential(1.0).value();
  double wait_sum = 0;
  std::uint64_t wait_n = 0;
  sim::Time measure_from = 0;
  InferenceServer pod(sim, cfg, [&](const RequestResult& r) {
    if (r.started >= measure_from) {
      wait_sum += r.queueing_s();
      ++wait_n;
    }
  });
  pod.start_ready();
  TrafficSpec spec;
  spec.name = std::string("mmc");
  spec.rate = kLambda;
  std::uint64_t next_id = 0;
  TrafficSource src(sim, spec, [&](const Request& r) { pod.submit(r, next_id++); });
  src.start();
  // Warm-up 2,000 s, then 20 batches of 20,000 s: the batch means give the standard error.
  constexpr sim::Duration kWarmup = seconds(2'000);
  constexpr sim::Duration kBatch = seconds(20'000);
  constexpr int kBatches = 20;
  sim.run_until(kWarmup);
  measure_from = kWarmup;
  std::vector<double> batch_lq;
  PodCounters prev = pod.counters();
  const PodCounters first = prev;
  for (int b = 1; b <= kBatches; ++b) {
    sim.run_until(kWarmup + b * kBatch);
    const PodCounters now = pod.counters();
    batch_lq.push_back((now.queue_seconds - prev.queue_seconds) / sim::to_seconds(kBatch));
    prev = now;
  }
  const double total_s = sim::to_seconds(kBatch) * kBatches;
  const double lq_est = (prev.queue_seconds - first.queue_seconds) / total_s;
  double ss = 0;
  for (double x : batch_lq) ss += (x - lq_est) * (x - lq_est);
  const double se = std::sqrt(ss / (kBatches - 1) / kBatches);
  const double wq_est = wait_sum / static_cast<double>(wait_n);
  const double busy = (prev.busy_seconds - first.busy_seconds) / total_s;
  INFO("Lq " << lq_est << " ± " << se << " (theory " << lq << "), Wq " << wq_est << " (theory "
             << wq << "), busy " << busy);
  CHECK(se < 0.015 * lq);  // the 5 % check has power: ≥ 3.3 standard errors
  CHECK(std::abs(lq_est - lq) < 0.05 * lq);
  CHECK(std::abs(wq_est - wq) < 0.05 * wq);
  CHECK(std::abs(busy - 0.8) < 0.01);

  SECTION("the fluid mode of an M/M/c pod is Erlang C exactly") {
    FluidServer fluid(cfg);
    const FluidOutput o = fluid.advance(seconds(1), FluidInput{kLambda, 0, 1});
    CHECK(o.mean_queue == Approx(lq).epsilon(1e-9));
    CHECK(o.mean_wait_s == Approx(wq).epsilon(1e-9));
    CHECK(o.busy_fraction == Approx(0.8).epsilon(1e-9));
    CHECK(o.mean_in_flight == Approx(3.2).epsilon(1e-9));
    CHECK(o.rejected == 0);
  }
}

TEST_CASE("request conservation: each request ends exactly once, through pod removal",
          "[serving]") {
  // Four A100 pods behind uniform random routing (iptables), overloaded so that every
  // outcome happens: queue-full rejections, queue and request timeouts, successes. Pod 0
  // is terminated failing its requests, pod 1 terminated returning them (the caller
  // retries them on a random live pod), pod 2 drains (returning new arrivals) then goes; a
  // cold pod 4 joins and rejects what reaches it before it is ready.
  sim::Simulation sim(99);
  InferenceServerConfig cfg;
  cfg.name = std::string("pod");
  cfg.concurrency = 4;
  cfg.queue_limit = 8;
  cfg.queue_timeout = seconds(2);
  cfg.request_timeout = seconds(6);
  cfg.gpu = gpu_profile("A100").value();
  cfg.model_size_gb = 16;
  cfg.load_gb_per_s = 1;
  REQUIRE(validate(cfg).ok());

  std::map<std::uint64_t, int> finals;  // id → final outcomes seen
  std::map<Outcome, int> by_outcome;
  std::uint64_t generated = 0, retried = 0;
  std::vector<std::unique_ptr<InferenceServer>> pods;
  sim::Rng lb = sim.rng("lb");
  std::function<void(const Request&, std::uint64_t)> route;
  auto on_result = [&](const RequestResult& r) {
    ++by_outcome[r.outcome];
    if (r.outcome == Outcome::kReturned) {
      ++retried;
      route(r.request, r.id);
      return;
    }
    ++finals[r.id];
  };
  route = [&](const Request& req, std::uint64_t id) {
    std::vector<InferenceServer*> live;
    for (auto& p : pods) {
      if (!p->terminated()) live.push_back(p.get());
    }
    if (live.empty()) {
      ++finals[id];
      ++by_outcome[Outcome::kRejected];
      return;
    }
    live[lb.below(live.size())]->submit(req, id);
  };
  for (int i = 0; i < 4; ++i) {
    pods.push_back(std::make_unique<InferenceServer>(sim, cfg, on_result));
    pods.back()->start_ready();
  }
  TrafficSpec spec;
  spec.name = std::string("load");
  spec.rate = 12;
  spec.end = seconds(200);
  spec.input_tokens = sim::Distribution::uniform(50, 500).value();
  spec.output_tokens = sim::Distribution::uniform(10, 200).value();
  TrafficSource src(sim, spec, [&](const Request& r) { route(r, generated++); });
  src.start();
  sim.schedule_at(seconds(60), [&] { pods[0]->terminate(DrainMode::kFail); });
  sim.schedule_at(seconds(70), [&] {
    pods.push_back(std::make_unique<InferenceServer>(sim, cfg, on_result));
    pods.back()->start();
  });
  sim.schedule_at(seconds(90), [&] { pods[1]->terminate(DrainMode::kReturn); });
  sim.schedule_at(seconds(100), [&] { pods[2]->begin_drain(DrainMode::kReturn); });
  sim.schedule_at(seconds(130), [&] { pods[2]->terminate(DrainMode::kFail); });
  sim.run();

  REQUIRE(generated > 2000);
  CHECK(finals.size() == generated);
  int more_than_once = 0;
  for (const auto& [id, n] : finals) more_than_once += n != 1 ? 1 : 0;
  CHECK(more_than_once == 0);
  CHECK(by_outcome[Outcome::kSuccess] > 0);
  CHECK(by_outcome[Outcome::kTimeout] > 0);
  CHECK(by_outcome[Outcome::kRejected] > 0);
  CHECK(by_outcome[Outcome::kReturned] > 0);
  CHECK(static_cast<std::uint64_t>(by_outcome[Outcome::kSuccess] + by_outcome[Outcome::kTimeout] +
                                   by_outcome[Outcome::kRejected]) == generated);
  // The pods' own books balance: every submission has exactly one result.
  std::uint64_t arrived = 0, ended = 0;
  for (auto& p : pods) {
    const PodCounters k = p->counters();
    arrived += k.arrived;
    ended += k.completed + k.timed_out + k.rejected + k.returned;
    CHECK(p->in_flight() == 0);
    CHECK(p->queue_length() == 0);
  }
  CHECK(arrived == ended);
  CHECK(arrived + by_outcome[Outcome::kRejected] >= generated + retried);
  CHECK(sim.pending() == 0);
}

// Busy fraction of one pod in request mode over a long run (after warm-up).
double request_mode_busy(const InferenceServerConfig& cfg, const TrafficSpec& spec,
                         sim::Duration warmup, sim::Duration run) {
  sim::Simulation sim(5);
  InferenceServer pod(sim, cfg, nullptr);
  pod.start_ready();
  std::uint64_t id = 0;
  TrafficSource src(sim, spec, [&](const Request& r) { pod.submit(r, id++); });
  src.start();
  sim.run_until(warmup);
  const PodCounters a = pod.counters();
  sim.run_until(warmup + run);
  const PodCounters b = pod.counters();
  return (b.busy_seconds - a.busy_seconds) / sim::to_seconds(run);
}

TEST_CASE("fluid mode agrees with request mode on mean utilization within 5%", "[serving]") {
  // An H100 pod serving 500-token prompts and 100-token answers at 1, 2 and 4 requests/s.
  InferenceServerConfig cfg;
  cfg.name = std::string("fluid");
  cfg.concurrency = 16;
  cfg.gpu = gpu_profile("H100").value();
  for (double rate : {1.0, 2.0, 4.0}) {
    TrafficSpec spec;
    spec.name = std::string("fluid");
    spec.rate = rate;
    spec.input_tokens = sim::Distribution::constant(500);
    spec.output_tokens = sim::Distribution::constant(100);
    const double request = request_mode_busy(cfg, spec, seconds(500), seconds(20'000));
    FluidServer fluid(cfg);
    const FluidOutput o = fluid.advance(seconds(1), FluidInput{rate, 500, 100});
    INFO("rate " << rate << ": request mode busy " << request << ", fluid " << o.busy_fraction);
    CHECK(std::abs(o.busy_fraction - request) < 0.05 * request);
    CHECK(o.completed == Approx(rate));
  }
  SECTION("CPU pod: fluid M/M/c against request mode") {
    InferenceServerConfig cpu;
    cpu.name = std::string("cpu");
    cpu.model = ServiceModel::kCpu;
    cpu.concurrency = 8;
    cpu.service_time = sim::Distribution::lognormal_from_p50_p99(0.05, 0.3).value();
    TrafficSpec spec;
    spec.name = std::string("cpu");
    spec.rate = 100;
    const double request = request_mode_busy(cpu, spec, seconds(100), seconds(2'000));
    FluidServer fluid(cpu);
    const FluidOutput o = fluid.advance(seconds(1), FluidInput{100, 0, 1});
    INFO("request mode busy " << request << ", fluid " << o.busy_fraction);
    CHECK(std::abs(o.busy_fraction - request) < 0.05 * request);
  }
}

TEST_CASE("fluid mode: saturation builds a backlog that drains, bounded by the queue",
          "[serving]") {
  InferenceServerConfig cfg;
  cfg.model = ServiceModel::kCpu;
  cfg.concurrency = 2;
  cfg.service_time = sim::Distribution::constant(0.5);  // μ(c) = 4/s
  FluidServer f(cfg);
  // 6/s for 10 s: backlog grows 2/s.
  FluidOutput o = f.advance(seconds(10), FluidInput{6, 0, 1});
  CHECK(o.completed == Approx(40));
  CHECK(o.backlog == Approx(20));
  CHECK(o.busy_fraction == Approx(1));
  // 2/s: drains at 2/s → 10 s to empty.
  o = f.advance(seconds(5), FluidInput{2, 0, 1});
  CHECK(o.backlog == Approx(10));
  o = f.advance(seconds(5), FluidInput{2, 0, 1});
  CHECK(o.backlog == Approx(0));
  o = f.advance(seconds(1), FluidInput{2, 0, 1});
  CHECK(o.busy_fraction == Approx(0.5));  // back to steady state: λ/(c μ) = 2/4
  SECTION("queue limit and queue timeout cap the backlog") {
    InferenceServerConfig k = cfg;
    k.queue_limit = 5;
    FluidServer fk(k);
    const FluidOutput ok = fk.advance(seconds(10), FluidInput{6, 0, 1});
    // Stationary M/D/2/7 is not what fluid models: it uses the exponential chain; the
    // blocking probability must be large at ρ = 1.5.
    CHECK(ok.rejected > 0.2 * 60);
    InferenceServerConfig t = cfg;
    t.queue_timeout = seconds(1);
    FluidServer ft(t);
    const FluidOutput ot = ft.advance(seconds(10), FluidInput{6, 0, 1});
    CHECK(ot.backlog == Approx(4));  // μ(c) × 1 s
    CHECK(ot.timed_out == Approx(16));
  }
}

TEST_CASE("fluid service: pods share the load evenly and pool the backlog", "[serving]") {
  InferenceServerConfig cfg;
  cfg.model = ServiceModel::kCpu;
  cfg.concurrency = 2;
  cfg.service_time = sim::Distribution::constant(0.5);  // μ(c) = 4/s per pod
  FluidService svc(cfg);
  // 4 pods at 12/s: 3/s each, stationary, busy 3/4 — the same as one pod at 3/s.
  FluidServer one(cfg);
  const FluidOutput single = one.advance(seconds(1), FluidInput{3, 0, 1});
  FluidOutput o = svc.advance(seconds(1), FluidInput{12, 0, 1}, 4);
  CHECK(o.busy_fraction == Approx(single.busy_fraction));
  CHECK(o.busy_fraction == Approx(0.75));
  CHECK(o.completed == Approx(12));
  CHECK(o.mean_in_flight == Approx(4 * single.mean_in_flight));
  // Down to 2 pods at 12/s: 6/s each against 4/s → backlog 2 × 2/s × 10 s = 40.
  o = svc.advance(seconds(10), FluidInput{12, 0, 1}, 2);
  CHECK(o.backlog == Approx(40));
  CHECK(o.completed == Approx(80));
  // Back to 4 pods at 8/s: 2/s each against 4/s, the pooled backlog (10 per pod) drains in 5 s.
  o = svc.advance(seconds(5), FluidInput{8, 0, 1}, 4);
  CHECK(o.backlog == Approx(0));
  CHECK(o.completed == Approx(80));
  // No ready pod: all offered requests are rejected.
  o = svc.advance(seconds(1), FluidInput{8, 0, 1}, 0);
  CHECK(o.rejected == Approx(8));
  CHECK(o.completed == 0);
}

TEST_CASE("GPU profiles and bad configurations", "[serving]") {
  CHECK(gpu_profile("nvidia-h100-80gb").value().name == "H100");
  CHECK(gpu_profile("A100").value().decode_ms == 13.0);
  CHECK(gpu_profile("l4").value().name == "L4");
  CHECK(gpu_profile("T4").value().name == "T4");
  CHECK_FALSE(gpu_profile("V100").ok());
  // Step formula: decode_ms × (1 + alpha (b − 1)).
  const GpuProfile h = gpu_profile("H100").value();
  CHECK(h.step_seconds(1) == Approx(0.0065));
  CHECK(h.step_seconds(11) == Approx(0.0065 * 1.1));
  InferenceServerConfig c1;
  c1.concurrency = 0;
  CHECK_FALSE(validate(c1).ok());
  InferenceServerConfig c2;
  c2.queue_limit = -2;
  CHECK_FALSE(validate(c2).ok());
  InferenceServerConfig c3;
  c3.gpu.decode_ms = 0;
  CHECK(validate(c3).message().find("decode_ms") != std::string::npos);
}

}  // namespace
}  // namespace kubesim::models
