// Tests of models/traffic.hpp: arrival counts against the analytic rate of each kind, and
// exact times for the deterministic kinds and trace replay.
//
// Statistical bounds. A Poisson count N over a window with mean m has standard deviation
// √m; the tests accept |N − m| < 4√m (a correct generator fails with probability
// 6e-5 per check). For modulated processes the variance is larger and is derived in
// each test (doubly stochastic counts: Var N = E N + Var Λ).
#include "models/traffic.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>
#include <vector>

#include "sim/simulation.hpp"
#include "sim/time.hpp"

namespace kubesim::models {
namespace {

using sim::seconds;

TrafficSpec make_spec(TrafficKind kind) {
  TrafficSpec s;
  s.name = std::string("t");
  s.kind = kind;
  return s;
}

std::vector<Request> drain(TrafficGenerator& g, sim::Time until) {
  std::vector<Request> out;
  while (auto r = g.next()) {
    if (r->at > until) break;
    out.push_back(*r);
  }
  return out;
}

std::int64_t count_in(const std::vector<Request>& rs, sim::Time lo, sim::Time hi) {
  std::int64_t n = 0;
  for (const Request& r : rs) n += (r.at > lo && r.at <= hi) ? 1 : 0;
  return n;
}

TEST_CASE("poisson traffic: count within 4 sigma and dispersion index near 1", "[traffic]") {
  TrafficSpec spec = make_spec(TrafficKind::kPoisson);
  spec.rate = 50;
  REQUIRE(validate(spec).ok());
  sim::Simulation sim(7);
  TrafficGenerator g(spec, sim);
  constexpr int kBins = 20'000;  // 1-second bins
  std::vector<double> bins(kBins, 0.0);
  std::int64_t total = 0;
  sim::Time last = 0;
  while (auto r = g.next()) {
    REQUIRE(r->at >= last);  // times never decrease
    last = r->at;
    if (r->at >= seconds(kBins)) break;
    bins[static_cast<std::size_t>(r->at / sim::kSecond)] += 1;
    ++total;
  }
  const double expected = 50.0 * kBins;
  CHECK(std::abs(static_cast<double>(total) - expected) < 4 * std::sqrt(expected));
  // Index of dispersion var/mean of 1-s counts: 1 for Poisson (0 for evenly spaced). The
  // sample variance of n Poisson(μ) counts has sd ≈ sqrt((μ + 2μ²)/n) = 0.50 here, i.e.
  // 0.010 on the index; 4 sd = 0.04.
  const double mean = static_cast<double>(total) / kBins;
  double ss = 0;
  for (double b : bins) ss += (b - mean) * (b - mean);
  const double dispersion = ss / (kBins - 1) / mean;
  CHECK(std::abs(dispersion - 1) < 0.04);
}

TEST_CASE("constant traffic is evenly spaced, the first one gap after start", "[traffic]") {
  TrafficSpec spec = make_spec(TrafficKind::kConstant);
  spec.rate = 4;
  spec.start = seconds(10);
  TrafficGenerator g(spec, sim::Rng(1), sim::Rng(2), sim::Rng(3));
  for (int k = 1; k <= 1000; ++k) {
    const auto r = g.next();
    REQUIRE(r);
    REQUIRE(r->at == seconds(10) + k * sim::milliseconds(250));
  }
}

// ∫ λ over [a, b] for the diurnal rate (analytic).
double diurnal_integral(const TrafficSpec& s, double a, double b) {
  const double p = sim::to_seconds(s.period);
  const double phi = sim::to_seconds(s.phase);
  const double w = 2 * std::numbers::pi / p;
  return (s.peak + s.trough) / 2 * (b - a) +
         (s.peak - s.trough) / 2 / w * (std::sin(w * (b - phi)) - std::sin(w * (a - phi)));
}

TEST_CASE("diurnal traffic: mean rate (peak+trough)/2 and the shape of the day", "[traffic]") {
  TrafficSpec spec = make_spec(TrafficKind::kDiurnal);
  spec.period = sim::hours(1);
  spec.peak = 30;
  spec.trough = 10;
  spec.phase = sim::minutes(15);
  REQUIRE(validate(spec).ok());
  CHECK(mean_rate(spec) == 20);
  CHECK(nominal_rate(spec, sim::minutes(15)) == Approx(30));
  CHECK(nominal_rate(spec, sim::minutes(45)) == Approx(10));
  constexpr int kPeriods = 50;
  sim::Simulation sim(11);
  TrafficGenerator g(spec, sim);
  const auto rs = drain(g, sim::hours(kPeriods));
  const double expected = 20.0 * 3600 * kPeriods;
  INFO("count " << rs.size() << " expected " << expected);
  CHECK(std::abs(static_cast<double>(rs.size()) - expected) < 4 * std::sqrt(expected));
  // Each quarter of the period, summed over all periods, against ∫λ (Poisson counts).
  for (int q = 0; q < 4; ++q) {
    std::int64_t n = 0;
    for (const Request& r : rs) {
      const sim::Time in_period = r.at % spec.period;
      n += (in_period / (spec.period / 4) == q) ? 1 : 0;
    }
    const double m = kPeriods * diurnal_integral(spec, 900.0 * q, 900.0 * (q + 1));
    INFO("quarter " << q << ": " << n << " expected " << m);
    CHECK(std::abs(static_cast<double>(n) - m) < 4 * std::sqrt(m));
  }
}

TEST_CASE("diurnal traffic with noise keeps its mean rate", "[traffic]") {
  TrafficSpec spec = make_spec(TrafficKind::kDiurnal);
  spec.period = sim::hours(1);
  spec.peak = 30;
  spec.trough = 10;
  spec.noise = 0.2;
  spec.noise_interval = sim::minutes(1);
  sim::Simulation sim(12);
  TrafficGenerator g(spec, sim);
  const auto rs = drain(g, sim::hours(50));
  // Var N = E N + Σ_k Var(Λ_k): a 1-minute piece has Λ_k = factor × ∫λ, factor sd 0.2;
  // bounded by the peak minute: (0.2 · 30 · 60)² per minute.
  const double expected = 20.0 * 3600 * 50;
  const double var = expected + 3000 * std::pow(0.2 * 30 * 60, 2);
  INFO("count " << rs.size() << " expected " << expected);
  CHECK(std::abs(static_cast<double>(rs.size()) - expected) < 4 * std::sqrt(var));
}

TEST_CASE("on/off traffic: long-run mean rate of the two-state MMPP", "[traffic]") {
  TrafficSpec spec = make_spec(TrafficKind::kOnOff);
  spec.on_rate = 100;
  spec.off_rate = 0;
  spec.on_duration = seconds(10);
  spec.off_duration = seconds(30);
  REQUIRE(validate(spec).ok());
  CHECK(mean_rate(spec) == 25);
  sim::Simulation sim(13);
  TrafficGenerator g(spec, sim);
  constexpr double kT = 200'000;
  const auto rs = drain(g, seconds(static_cast<std::int64_t>(kT)));
  // Asymptotic variance of an MMPP-2 count: T·(λ̄ + 2(λ1−λ2)² r1 r2 / (r1+r2)³), with
  // r1 = 1/10, r2 = 1/30 the switching rates (Fischer & Meier-Hellstern 1993).
  const double r1 = 0.1, r2 = 1.0 / 30;
  const double var = kT * (25 + 2 * 100.0 * 100.0 * r1 * r2 / std::pow(r1 + r2, 3));
  INFO("count " << rs.size());
  CHECK(std::abs(static_cast<double>(rs.size()) - 25 * kT) < 4 * std::sqrt(var));
  // The off periods are silent: some gap of at least 30 s exists.
  bool long_gap = false;
  for (std::size_t i = 1; i < rs.size() && !long_gap; ++i) {
    long_gap = rs[i].at - rs[i - 1].at > seconds(30);
  }
  CHECK(long_gap);
}

TEST_CASE("steps in constant mode give exact counts per window", "[traffic]") {
  TrafficSpec spec = make_spec(TrafficKind::kSteps);
  spec.deterministic = true;
  spec.steps = {{0, 10}, {seconds(10), 5}, {seconds(20), 0}, {seconds(30), 4}};
  REQUIRE(validate(spec).ok());
  TrafficGenerator g(spec, sim::Rng(1), sim::Rng(2), sim::Rng(3));
  const auto rs = drain(g, seconds(40));
  CHECK(count_in(rs, 0, seconds(10)) == 100);
  CHECK(count_in(rs, seconds(10), seconds(20)) == 50);
  CHECK(count_in(rs, seconds(20), seconds(30)) == 0);
  CHECK(count_in(rs, seconds(30), seconds(40)) == 40);
  CHECK(rs.front().at == sim::milliseconds(100));
  CHECK(rs[100].at == seconds(10) + sim::milliseconds(200));
  CHECK(rs[150].at == seconds(30) + sim::milliseconds(250));
  CHECK(nominal_rate(spec, seconds(25)) == 0);
  CHECK(nominal_rate(spec, seconds(35)) == 4);
}

TEST_CASE("spikes add their magnitude over their window", "[traffic]") {
  TrafficSpec spec = make_spec(TrafficKind::kSpikes);
  spec.deterministic = true;
  spec.rate = 2;
  spec.spikes = {{seconds(10), 8, seconds(5)}, {seconds(12), 10, seconds(1)}};
  REQUIRE(validate(spec).ok());
  TrafficGenerator g(spec, sim::Rng(1), sim::Rng(2), sim::Rng(3));
  const auto rs = drain(g, seconds(30));
  CHECK(count_in(rs, 0, seconds(10)) == 20);            // 2/s
  CHECK(count_in(rs, seconds(10), seconds(12)) == 20);  // 10/s
  CHECK(count_in(rs, seconds(12), seconds(13)) == 20);  // 20/s
  CHECK(count_in(rs, seconds(13), seconds(15)) == 20);  // 10/s
  CHECK(count_in(rs, seconds(15), seconds(30)) == 30);  // 2/s
  CHECK(nominal_rate(spec, seconds(12)) == 20);

  SECTION("poisson spikes: count within 4 sigma") {
    TrafficSpec p = spec;
    p.deterministic = false;
    p.spikes = {{seconds(1000), 90, seconds(1000)}};
    sim::Simulation sim(5);
    TrafficGenerator gp(p, sim);
    const auto ps = drain(gp, seconds(3000));
    const double m = 2.0 * 3000 + 90.0 * 1000;
    CHECK(std::abs(static_cast<double>(ps.size()) - m) < 4 * std::sqrt(m));
    const double spike = static_cast<double>(count_in(ps, seconds(1000), seconds(2000)));
    CHECK(std::abs(spike - 92'000) < 4 * std::sqrt(92'000.0));
  }
}

TEST_CASE("request trace replays exact times with scaling, offset and looping", "[traffic]") {
  TrafficSpec spec = make_spec(TrafficKind::kTraceRequests);
  spec.records = {{0, 100, 10}, {seconds(1), 200, 20}, {sim::milliseconds(2500), 300, 30}};
  spec.time_scale = 2;
  spec.offset = seconds(10);
  spec.loop = true;
  spec.duration = seconds(4);
  REQUIRE(validate(spec).ok());
  TrafficGenerator g(spec, sim::Rng(1), sim::Rng(2), sim::Rng(3));
  const std::vector<sim::Time> want = {seconds(10), seconds(12), seconds(15), seconds(18),
                                       seconds(20), seconds(23), seconds(26)};
  for (std::size_t i = 0; i < want.size(); ++i) {
    const auto r = g.next();
    REQUIRE(r);
    CHECK(r->at == want[i]);
    CHECK(r->input_tokens == 100 * static_cast<std::int32_t>(i % 3 + 1));
    CHECK(r->output_tokens == 10 * static_cast<std::int32_t>(i % 3 + 1));
  }
  // 3 requests per 8 s of simulated time.
  CHECK(mean_rate(spec) == Approx(3.0 / 8));

  SECTION("no loop: the trace ends; default duration is last + mean gap") {
    TrafficSpec once = spec;
    once.loop = false;
    once.duration = 0;
    once.time_scale = 0.5;
    once.offset = 0;
    TrafficGenerator g1(once, sim::Rng(1), sim::Rng(2), sim::Rng(3));
    CHECK(g1.next()->at == 0);
    CHECK(g1.next()->at == sim::milliseconds(500));
    CHECK(g1.next()->at == sim::milliseconds(1250));
    CHECK_FALSE(g1.next());
    // Default pass = 2.5 s + 1.25 s, at half time scale: 3 requests per 1.875 s.
    CHECK(mean_rate(once) == Approx(3 / 1.875));
  }
  SECTION("records before start are skipped, none at or after end") {
    TrafficSpec w = spec;
    w.start = seconds(13);
    w.end = seconds(23);
    TrafficGenerator g2(w, sim::Rng(1), sim::Rng(2), sim::Rng(3));
    CHECK(g2.next()->at == seconds(15));
    CHECK(g2.next()->at == seconds(18));
    CHECK(g2.next()->at == seconds(20));
    CHECK_FALSE(g2.next());
  }
}

TEST_CASE("rate series replays as a piecewise-constant process", "[traffic]") {
  TrafficSpec spec = make_spec(TrafficKind::kTraceRates);
  spec.rate_step = seconds(10);
  spec.per_second = {1, 0, 3};
  spec.offset = seconds(5);
  spec.loop = true;
  spec.deterministic = true;
  REQUIRE(validate(spec).ok());
  TrafficGenerator g(spec, sim::Rng(1), sim::Rng(2), sim::Rng(3));
  const auto rs = drain(g, seconds(65));
  for (int pass = 0; pass < 2; ++pass) {
    const sim::Time base = seconds(5) + pass * seconds(30);
    CHECK(count_in(rs, base, base + seconds(10)) == 10);
    CHECK(count_in(rs, base + seconds(10), base + seconds(20)) == 0);
    CHECK(count_in(rs, base + seconds(20), base + seconds(30)) == 30);
  }
  CHECK(count_in(rs, 0, seconds(5)) == 0);
  CHECK(mean_rate(spec) == Approx(40.0 / 30));

  SECTION("time scale 0.5 doubles the rates and halves the bins") {
    TrafficSpec fast = spec;
    fast.time_scale = 0.5;
    fast.offset = 0;
    TrafficGenerator gf(fast, sim::Rng(1), sim::Rng(2), sim::Rng(3));
    const auto fs = drain(gf, seconds(15));
    CHECK(count_in(fs, 0, seconds(5)) == 10);
    CHECK(count_in(fs, seconds(5), seconds(10)) == 0);
    CHECK(count_in(fs, seconds(10), seconds(15)) == 30);
  }
  SECTION("poisson replay: count within 4 sigma") {
    TrafficSpec p = spec;
    p.deterministic = false;
    p.per_second = {40, 0, 120};
    sim::Simulation sim(3);
    TrafficGenerator gp(p, sim);
    const auto ps = drain(gp, seconds(5) + 100 * seconds(30));
    const double m = 100 * (400.0 + 1200.0);
    CHECK(std::abs(static_cast<double>(ps.size()) - m) < 4 * std::sqrt(m));
  }
}

TEST_CASE("synthetic traffic draws token lengths from its distributions", "[traffic]") {
  TrafficSpec spec = make_spec(TrafficKind::kPoisson);
  spec.rate = 10;
  spec.input_tokens = sim::Distribution::constant(512.4);
  spec.output_tokens = sim::Distribution::uniform(100, 200).value();
  sim::Simulation sim(1);
  TrafficGenerator g(spec, sim);
  double sum_out = 0;
  for (int i = 0; i < 10'000; ++i) {
    const auto r = g.next();
    REQUIRE(r->input_tokens == 512);
    REQUIRE(r->output_tokens >= 100);
    REQUIRE(r->output_tokens <= 200);
    sum_out += r->output_tokens;
  }
  // Uniform(100, 200) rounded: mean 150, sd 28.9 → SE of the mean 0.29.
  CHECK(std::abs(sum_out / 10'000 - 150) < 4 * 0.29);
}

TEST_CASE("streams are named: the same seed replays, another seed differs", "[traffic]") {
  TrafficSpec spec = make_spec(TrafficKind::kPoisson);
  spec.rate = 5;
  sim::Simulation a(9), b(9), c(10);
  TrafficGenerator ga(spec, a), gb(spec, b), gc(spec, c);
  bool differ = false;
  for (int i = 0; i < 100; ++i) {
    const auto x = ga.next(), y = gb.next(), z = gc.next();
    REQUIRE(x->at == y->at);
    differ = differ || x->at != z->at;
  }
  CHECK(differ);
}

TEST_CASE("traffic source keeps one pending event and delivers at arrival times", "[traffic]") {
  sim::Simulation sim(1);
  TrafficSpec spec = make_spec(TrafficKind::kConstant);
  spec.rate = 2;
  spec.end = seconds(10);
  std::vector<sim::Time> seen;
  std::size_t max_pending = 0;
  TrafficSource src(sim, spec, [&](const Request& r) {
    CHECK(r.at == sim.now());
    seen.push_back(r.at);
    max_pending = std::max(max_pending, sim.pending());
  });
  src.start();
  CHECK(sim.pending() == 1);
  sim.run();
  REQUIRE(seen.size() == 19);  // 0.5 s … 9.5 s; 10 s is the end (exclusive)
  CHECK(seen.back() == sim::milliseconds(9500));
  CHECK(max_pending == 1);
  CHECK(src.delivered() == 19);
}

TEST_CASE("bad traffic specs are refused with the field named", "[traffic]") {
  TrafficSpec s = make_spec(TrafficKind::kPoisson);
  s.rate = 0;
  CHECK_FALSE(validate(s).ok());
  CHECK(validate(s).message().find("rate") != std::string::npos);
  s = make_spec(TrafficKind::kDiurnal);
  s.peak = 5;
  s.trough = 10;
  CHECK_FALSE(validate(s).ok());
  s = make_spec(TrafficKind::kSteps);
  s.steps = {{seconds(2), 1}, {seconds(1), 2}};
  CHECK(validate(s).message().find("increasing") != std::string::npos);
  s = make_spec(TrafficKind::kTraceRequests);
  s.records = {{seconds(2), 1, 1}, {seconds(1), 1, 1}};
  CHECK(validate(s).message().find("sorted") != std::string::npos);
  s.records = {{0, 1, 1}, {seconds(5), 1, 1}};
  s.duration = seconds(5);
  CHECK_FALSE(validate(s).ok());
  s = make_spec(TrafficKind::kTraceRates);
  CHECK_FALSE(validate(s).ok());  // empty series
  s.per_second = {1, -1};
  CHECK_FALSE(validate(s).ok());
  s.per_second = {1};
  s.time_scale = 0;
  CHECK(validate(s).message().find("time_scale") != std::string::npos);
}

}  // namespace
}  // namespace kubesim::models
