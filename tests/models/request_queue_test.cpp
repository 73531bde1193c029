// Tests of models/request_queue.hpp against queueing theory and hand-worked timelines.
//
// The queue is driven directly through a Simulation and a MetricRegistry (no scenario
// layer). Expected values come from closed forms computed here: Erlang C for M/M/c,
// Pollaczek–Khinchine for M/D/1, the stationary distribution of M/M/c/K for the loss
// probability; the deterministic cases are worked out on paper in the comments.
//
// Statistical method (all stochastic tests). Waiting times of successive requests are
// strongly autocorrelated (at ρ = 0.8 the M/M/1 queue relaxes over ~1/(μ(1−√ρ)²) ≈ 90 s),
// so the per-request standard error would be far too optimistic. Instead each estimate is
// the mean over R = 20 independent replications (Simulation(seed, replication) gives
// independent streams), each warmed up for 2,000 s (> 20 relaxation times, so the
// initial-transient bias is negligible) before the metrics window is reset. The replication
// means are independent and near-normal, so their sample standard deviation / √R is an
// honest standard error; a test passes when |estimate − theory| < 5 SE (Student t with 19
// degrees of freedom: a correct model fails with probability < 1e-4). So that the test
// has power, it also requires the SE itself to be small (a few percent of the expected
// value); for M/M/1 the asymptotic variance of the mean wait, σ² ≈ ρ(2+5ρ−4ρ²+ρ³)/
// (μ²(1−ρ)⁴) ≈ 1976 s² per request (Daley 1968), predicts SE ≈ sqrt(1976 / 800,000) ≈
// 0.05 s on Wq = 4 s, i.e. a tolerance of about ±6 %.
#include "models/request_queue.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "sim/metrics.hpp"
#include "sim/simulation.hpp"
#include "sim/time.hpp"

namespace kubesim::models {
namespace {

using sim::Distribution;
using sim::MetricRegistry;
using sim::Simulation;

constexpr int kReplications = 20;
constexpr sim::Duration kWarmup = sim::seconds(2'000);
constexpr sim::Duration kMeasure = sim::seconds(50'000);
constexpr std::uint64_t kSeed = 2024;

// What one replication measured over its window (after warm-up).
struct Measured {
  double mean_wait = 0;     // wait_s mean
  double mean_sojourn = 0;  // latency_s mean
  double p90_sojourn = 0;
  double busy_average = 0;  // busy_servers time average
  double rejected_fraction = 0;
};

Measured run_replication(const RequestQueueConfig& config, std::uint64_t replication,
                         sim::Duration measure) {
  Simulation sim(kSeed, replication);
  MetricRegistry metrics(sim);
  RequestQueue queue(sim, metrics, config);
  queue.start();
  sim.run_until(kWarmup);
  metrics.reset_window();
  sim.run_until(kWarmup + measure);
  const std::string& n = config.name;
  Measured m;
  m.mean_wait = metrics.find_histogram(n + ".wait_s")->mean();
  m.mean_sojourn = metrics.find_histogram(n + ".latency_s")->mean();
  m.p90_sojourn = metrics.find_histogram(n + ".latency_s")->p90();
  m.busy_average = metrics.find_gauge(n + ".busy_servers")->time_average();
  const auto arrived = metrics.find_counter(n + ".requests_arrived")->value();
  const auto rejected = metrics.find_counter(n + ".requests_rejected")->value();
  m.rejected_fraction = static_cast<double>(rejected) / static_cast<double>(arrived);
  return m;
}

// Mean and standard error of independent replication estimates.
struct Estimate {
  double mean = 0;
  double se = 0;
};

Estimate estimate(const std::vector<double>& xs) {
  const double n = static_cast<double>(xs.size());
  const double mean = std::accumulate(xs.begin(), xs.end(), 0.0) / n;
  double ss = 0;
  for (double x : xs) ss += (x - mean) * (x - mean);
  return Estimate{mean, std::sqrt(ss / (n - 1) / n)};
}

struct Estimates {
  Estimate wait, sojourn, p90_sojourn, busy, rejected;
};

Estimates run_replications(const RequestQueueConfig& config, sim::Duration measure = kMeasure) {
  std::vector<double> wait, sojourn, p90, busy, rejected;
  for (int r = 0; r < kReplications; ++r) {
    const Measured m = run_replication(config, static_cast<std::uint64_t>(r), measure);
    wait.push_back(m.mean_wait);
    sojourn.push_back(m.mean_sojourn);
    p90.push_back(m.p90_sojourn);
    busy.push_back(m.busy_average);
    rejected.push_back(m.rejected_fraction);
  }
  return Estimates{estimate(wait), estimate(sojourn), estimate(p90), estimate(busy),
                   estimate(rejected)};
}

// |estimate − expected| within 5 standard errors, and the SE at most `max_relative_se` of
// the expected value (so that the check can fail).
void check_close(const char* what, const Estimate& e, double expected, double max_relative_se) {
  INFO(what << ": estimate " << e.mean << " ± " << e.se << " (SE), theory " << expected);
  CHECK(e.se <= max_relative_se * expected);
  CHECK(std::abs(e.mean - expected) <= 5 * e.se);
}

// A config with the given name. (Assigning a short literal to c.name directly trips GCC
// 12's bogus -Wrestrict at -O2; moving a std::string in does not.)
RequestQueueConfig named_config(std::string name) {
  RequestQueueConfig c;
  c.name = std::move(name);
  return c;
}

RequestQueueConfig poisson_queue(double lambda, Distribution service, int servers,
                                 std::int64_t queue_limit = -1) {
  RequestQueueConfig c = named_config("q");
  c.arrivals.kind = ArrivalProcess::Kind::kPoisson;
  c.arrivals.rate_per_second = lambda;
  c.service_time = std::move(service);
  c.servers = servers;
  c.queue_limit = queue_limit;
  return c;
}

Distribution exponential(double mean) { return *Distribution::exponential(mean); }

double factorial(int n) { return n <= 1 ? 1.0 : n * factorial(n - 1); }

// Erlang C: probability that an arrival waits in M/M/c with offered load a = λ/μ < c.
double erlang_c(int c, double a) {
  double below = 0;
  for (int k = 0; k < c; ++k) below += std::pow(a, k) / factorial(k);
  const double top = std::pow(a, c) / factorial(c) * (c / (c - a));
  return top / (below + top);
}

// Blocking probability of M/M/c/K (K = c + waiting room): the stationary probability of K
// in system, which arrivals see by PASTA. p_n ∝ a^n/n! for n <= c, a^c/c!·(a/c)^(n−c) above.
double mmck_blocking(int c, int K, double a) {
  std::vector<double> p(static_cast<std::size_t>(K) + 1);
  for (int n = 0; n <= K; ++n) {
    p[static_cast<std::size_t>(n)] = n <= c
                                         ? std::pow(a, n) / factorial(n)
                                         : std::pow(a, c) / factorial(c) * std::pow(a / c, n - c);
  }
  return p.back() / std::accumulate(p.begin(), p.end(), 0.0);
}

// Conservation: every arrival is in exactly one state.
void check_conservation(const MetricRegistry& metrics, const RequestQueue& q) {
  const std::string& n = q.config().name;
  const auto arrived = metrics.find_counter(n + ".requests_arrived")->value();
  const auto completed = metrics.find_counter(n + ".requests_completed")->value();
  const auto rejected = metrics.find_counter(n + ".requests_rejected")->value();
  const auto timed_out = metrics.find_counter(n + ".requests_timed_out")->value();
  REQUIRE(arrived == completed + rejected + timed_out + q.in_queue() + q.busy());
}

}  // namespace

TEST_CASE("M/M/1 mean wait and sojourn match ρ/(μ−λ) and 1/(μ−λ)", "[request_queue][theory]") {
  // λ = 0.8/s, E[S] = 1 s: ρ = 0.8, Wq = ρ/(μ−λ) = 0.8/0.2 = 4 s, W = 1/(μ−λ) = 5 s.
  const double lambda = 0.8;
  const Estimates e = run_replications(poisson_queue(lambda, exponential(1.0), 1));
  check_close("Wq", e.wait, 4.0, 0.025);
  check_close("W", e.sojourn, 5.0, 0.025);
  // The sojourn time of FIFO M/M/1 is exponential with rate μ−λ, so its 90th percentile is
  // ln(10)/0.2 = 11.51 s. Histogram quantiles carry up to 1/128 relative error in bucket
  // mode; allow that on top of 5 SE.
  const double p90 = std::log(10.0) / 0.2;
  INFO("p90 sojourn " << e.p90_sojourn.mean << " ± " << e.p90_sojourn.se);
  CHECK(e.p90_sojourn.se <= 0.03 * p90);
  CHECK(std::abs(e.p90_sojourn.mean - p90) <= 5 * e.p90_sojourn.se + p90 / 128);
  // Utilization λE[S]/c = 0.8: the time average of busy_servers (c = 1).
  check_close("utilization", e.busy, lambda * 1.0 / 1, 0.01);
}

TEST_CASE("M/M/2 mean wait matches the Erlang C formula", "[request_queue][theory]") {
  // λ = 1.6/s, E[S] = 1 s, c = 2: a = 1.6, ρ = 0.8. Wq = C(c, a) / (cμ − λ).
  const int c = 2;
  const double lambda = 1.6;
  const double a = lambda * 1.0;
  const double wq = erlang_c(c, a) / (c * 1.0 - lambda);
  // By hand: C = 6.4 / (2.6 + 6.4) = 0.7111, Wq = 0.7111 / 0.4 = 1.7778 s.
  REQUIRE(wq == Approx(64.0 / 90.0 / 0.4).epsilon(1e-12));
  const Estimates e = run_replications(poisson_queue(lambda, exponential(1.0), c));
  check_close("Wq", e.wait, wq, 0.025);
  check_close("W", e.sojourn, wq + 1.0, 0.025);
  // Utilization λE[S]/c = 0.8: the busy_servers time average divided by c.
  check_close("utilization", Estimate{e.busy.mean / c, e.busy.se / c}, lambda * 1.0 / c, 0.01);
}

TEST_CASE("M/D/1 mean wait matches Pollaczek–Khinchine", "[request_queue][theory]") {
  // Constant service D = 1 s, λ = 0.8: Wq = ρ/(2μ(1−ρ)) = 0.8/(2·0.2) = 2 s; W = 3 s.
  const double lambda = 0.8;
  const Estimates e = run_replications(poisson_queue(lambda, Distribution::constant(1.0), 1));
  check_close("Wq", e.wait, 2.0, 0.025);
  check_close("W", e.sojourn, 3.0, 0.025);
  check_close("utilization", e.busy, 0.8, 0.01);
}

TEST_CASE("M/M/c/K rejects arrivals with the stationary probability of a full system",
          "[request_queue][theory]") {
  // The c = 1 closed form P_K = (1−ρ)ρ^K / (1−ρ^(K+1)), for ρ = 0.8 and K = 1 + 4:
  // 0.065536 / 0.737856 = 0.0888195.
  REQUIRE(mmck_blocking(1, 5, 0.8) == Approx(0.2 * std::pow(0.8, 5) / (1 - std::pow(0.8, 6))));
  REQUIRE(mmck_blocking(1, 5, 0.8) == Approx(0.0888195).epsilon(1e-6));

  struct Case {
    int servers;
    std::int64_t queue_limit;
    double lambda;
  };
  // K = servers + queueLimit. Overload (ρ = 1.25) and no waiting room (Erlang B) included.
  const Case cases[] = {{1, 4, 0.8}, {1, 2, 1.25}, {1, 0, 0.8}, {2, 0, 1.6}, {2, 3, 1.6}};
  for (const Case& k : cases) {
    const int K = k.servers + static_cast<int>(k.queue_limit);
    const double expected = mmck_blocking(k.servers, K, k.lambda);
    DYNAMIC_SECTION("c=" << k.servers << " queueLimit=" << k.queue_limit << " λ=" << k.lambda) {
      // Blocking is a short-memory quantity (K <= 5): 20 × 20,000 s gives an SE near 1 %.
      const Estimates e =
          run_replications(poisson_queue(k.lambda, exponential(1.0), k.servers, k.queue_limit),
                           sim::seconds(20'000));
      check_close("P(reject)", e.rejected, expected, 0.02);
    }
  }
  // Erlang B by hand for the c = 2, no-queue case: (a²/2) / (1 + a + a²/2) with a = 1.6.
  CHECK(mmck_blocking(2, 2, 1.6) == Approx(1.28 / 3.88));
}

TEST_CASE("constant arrivals faster than constant service time out on a hand-worked timeline",
          "[request_queue][timeout]") {
  // One server, arrivals at t = 1, 2, 3, ... s, service exactly 3 s, timeout 1.5 s.
  //   A1 arrives at 1, served [1, 4].        A2 (2) would wait past 3.5: times out at 3.5.
  //   A3 (3) starts at 4 (waited 1), [4, 7].  A4, A5 time out at 5.5, 6.5.
  //   At t = 7 the departure of A3 (scheduled at 4) runs before the arrival of A7
  //   (scheduled at 6), so A6 starts at 7 (waited 1) and A7 queues, timing out at 8.5.
  // From then on every A(3k) starts at 3k+1 after waiting 1 s and completes at 3k+4; every
  // other arrival times out 1.5 s after it arrived. At t = 30 (events at 30 included):
  //   arrived 30 (t = 1..30)
  //   completed 9: A1 (at 4) and A3, A6, ..., A24 (at 7, 10, ..., 28)
  //   busy 1: A27, started at 28
  //   timed out 18: A2 and A_n for n = 4..28, n not a multiple of 3 (17 of them)
  //   in queue 2: A29 (times out at 30.5) and A30
  Simulation sim(1);
  MetricRegistry metrics(sim);
  RequestQueueConfig c = named_config("api");
  c.arrivals.kind = ArrivalProcess::Kind::kConstant;
  c.arrivals.rate_per_second = 1.0;
  c.service_time = Distribution::constant(3.0);
  c.servers = 1;
  c.timeout = sim::milliseconds(1'500);
  RequestQueue q(sim, metrics, c);
  q.start();
  sim.run_until(sim::seconds(30));

  CHECK(metrics.find_counter("api.requests_arrived")->value() == 30);
  CHECK(metrics.find_counter("api.requests_completed")->value() == 9);
  CHECK(metrics.find_counter("api.requests_timed_out")->value() == 18);
  CHECK(metrics.find_counter("api.requests_rejected")->value() == 0);
  CHECK(q.busy() == 1);
  CHECK(q.in_queue() == 2);
  CHECK(metrics.find_gauge("api.queue_length")->value() == 2);
  check_conservation(metrics, q);

  // Waits of the 10 requests that started: A1 waited 0, A3, A6, ..., A27 waited 1 s each.
  const sim::Histogram& wait = *metrics.find_histogram("api.wait_s");
  CHECK(wait.count() == 10);
  CHECK(wait.min() == 0.0);
  CHECK(wait.max() == 1.0);
  CHECK(wait.sum() == Approx(9.0).margin(1e-12));
  // Latencies of the 9 completed: A1 3 s, the other 8 took 1 + 3 = 4 s.
  const sim::Histogram& latency = *metrics.find_histogram("api.latency_s");
  CHECK(latency.count() == 9);
  CHECK(latency.min() == 3.0);
  CHECK(latency.max() == 4.0);
  CHECK(latency.sum() == Approx(35.0).margin(1e-12));
  // Queue length: at most 2 waiting (A(n) and A(n+1) between timeouts), and from t = 1 on
  // the server is never idle, so busy_servers averages (30 − 1)/30 over [0, 30].
  CHECK(metrics.find_gauge("api.queue_length")->max() == 2);
  CHECK(metrics.find_gauge("api.busy_servers")->time_average() == Approx(29.0 / 30.0));
}

TEST_CASE("requests that timed out are skipped when a server frees", "[request_queue][timeout]") {
  // One server, service 10 s, arrivals every 1 s, timeout 2.5 s. A1 is served [1, 11].
  // A2..A8 arrive at 2..8 and time out at 4.5..10.5, staying in the FIFO as abandoned
  // entries. At t = 11 the departure of A1 (scheduled at 1) runs before the arrival of A11
  // (scheduled at 10): the abandoned A2..A8 are skipped and A9 (arrived 9, would time out
  // at 11.5) starts after waiting 2 s. Then A10 times out at 12.5 and A11 at 13.5.
  // At t = 13.9: arrived 13, completed 1 (A1), timed out 9 (A2..A8, A10, A11),
  // busy 1 (A9), in queue 2 (A12, A13).
  Simulation sim(1);
  MetricRegistry metrics(sim);
  RequestQueueConfig c = named_config("api");
  c.arrivals.kind = ArrivalProcess::Kind::kConstant;
  c.arrivals.rate_per_second = 1.0;
  c.service_time = Distribution::constant(10.0);
  c.timeout = sim::milliseconds(2'500);
  RequestQueue q(sim, metrics, c);
  q.start();
  sim.run_until(sim::milliseconds(13'900));
  CHECK(metrics.find_counter("api.requests_arrived")->value() == 13);
  CHECK(metrics.find_counter("api.requests_completed")->value() == 1);
  CHECK(metrics.find_counter("api.requests_timed_out")->value() == 9);
  CHECK(q.busy() == 1);
  CHECK(q.in_queue() == 2);
  // Only A1 (no wait) and A9 (2 s) started service.
  const sim::Histogram& wait = *metrics.find_histogram("api.wait_s");
  CHECK(wait.count() == 2);
  CHECK(wait.min() == 0.0);
  CHECK(wait.max() == 2.0);
  check_conservation(metrics, q);
}

TEST_CASE("constant arrivals with a shorter constant service never queue",
          "[request_queue][deterministic]") {
  SECTION("one server") {
    // Arrivals every 0.5 s, service 0.4 s: each request leaves before the next arrives.
    Simulation sim(3);
    MetricRegistry metrics(sim);
    RequestQueueConfig c = named_config("api");
    c.arrivals.kind = ArrivalProcess::Kind::kConstant;
    c.arrivals.rate_per_second = 2.0;
    c.service_time = Distribution::constant(0.4);
    c.queue_limit = 0;  // any request that had to wait would be rejected
    RequestQueue q(sim, metrics, c);
    q.start();
    sim.run_until(sim::seconds(100));
    // Arrivals at 0.5k for k = 1..200; the last one (at 100) is still in service.
    CHECK(metrics.find_counter("api.requests_arrived")->value() == 200);
    CHECK(metrics.find_counter("api.requests_completed")->value() == 199);
    CHECK(metrics.find_counter("api.requests_rejected")->value() == 0);
    CHECK(metrics.find_gauge("api.queue_length")->max() == 0);
    CHECK(metrics.find_gauge("api.busy_servers")->max() == 1);
    CHECK(metrics.find_histogram("api.wait_s")->max() == 0.0);
    CHECK(metrics.find_histogram("api.latency_s")->min() == 0.4);
    CHECK(metrics.find_histogram("api.latency_s")->max() == 0.4);
    // Busy for 199 × 0.4 s of the 100 s.
    CHECK(metrics.find_gauge("api.busy_servers")->time_average() == Approx(79.6 / 100));
    check_conservation(metrics, q);
  }
  SECTION("three servers, each request overlapping the next two") {
    // Arrivals every 0.5 s, service 1.4 s: when request k arrives, k−1 and k−2 are still in
    // service (they leave at +0.9 and +0.4) and k−3 has left, so one server is always free.
    Simulation sim(3);
    MetricRegistry metrics(sim);
    RequestQueueConfig c = named_config("api");
    c.arrivals.kind = ArrivalProcess::Kind::kConstant;
    c.arrivals.rate_per_second = 2.0;
    c.service_time = Distribution::constant(1.4);
    c.servers = 3;
    c.queue_limit = 0;
    RequestQueue q(sim, metrics, c);
    q.start();
    sim.run_until(sim::seconds(100));
    // Requests k = 1..197 finish by 99.9 s; 198, 199, 200 (from 99, 99.5, 100) are in service.
    CHECK(metrics.find_counter("api.requests_arrived")->value() == 200);
    CHECK(metrics.find_counter("api.requests_completed")->value() == 197);
    CHECK(metrics.find_counter("api.requests_rejected")->value() == 0);
    CHECK(q.busy() == 3);
    CHECK(metrics.find_gauge("api.queue_length")->max() == 0);
    CHECK(metrics.find_gauge("api.busy_servers")->max() == 3);
    CHECK(metrics.find_histogram("api.wait_s")->max() == 0.0);
    // Busy-server-seconds: 197 × 1.4 + 1.0 + 0.5 + 0 = 277.3 over 100 s.
    CHECK(metrics.find_gauge("api.busy_servers")->time_average() == Approx(2.773).epsilon(1e-12));
    CHECK(metrics.find_gauge("api.busy_servers")->integral() == Approx(277.3).epsilon(1e-12));
    check_conservation(metrics, q);
  }
}

TEST_CASE("every request is accounted for at every moment of an overloaded run",
          "[request_queue][invariants]") {
  // λ = 3/s into 2 servers of mean 1 s (ρ = 1.5), waiting room 3, timeout 2 s: all four
  // outcomes happen. Conservation is checked after every simulated second.
  Simulation sim(11);
  MetricRegistry metrics(sim);
  RequestQueueConfig c = poisson_queue(3.0, exponential(1.0), 2, 3);
  c.timeout = sim::seconds(2);
  RequestQueue q(sim, metrics, c);
  q.start();
  for (int t = 1; t <= 5'000; ++t) {
    sim.run_until(sim::seconds(t));
    check_conservation(metrics, q);
    REQUIRE(q.in_queue() <= 3);
    REQUIRE(q.busy() <= 2);
    REQUIRE(metrics.find_gauge("q.queue_length")->value() == static_cast<double>(q.in_queue()));
    REQUIRE(metrics.find_gauge("q.busy_servers")->value() == static_cast<double>(q.busy()));
  }
  const auto completed = metrics.find_counter("q.requests_completed")->value();
  CHECK(completed > 0);
  CHECK(metrics.find_counter("q.requests_rejected")->value() > 0);
  CHECK(metrics.find_counter("q.requests_timed_out")->value() > 0);
  // Every request that started was either completed or is in service; every completed one
  // has a latency; nobody who started had waited longer than the timeout.
  const sim::Histogram& wait = *metrics.find_histogram("q.wait_s");
  const sim::Histogram& latency = *metrics.find_histogram("q.latency_s");
  CHECK(static_cast<std::int64_t>(wait.count()) == completed + q.busy());
  CHECK(static_cast<std::int64_t>(latency.count()) == completed);
  CHECK(wait.max() <= 2.0);
  CHECK(metrics.find_gauge("q.queue_length")->max() <= 3);
  CHECK(metrics.find_gauge("q.busy_servers")->max() <= 2);
}

TEST_CASE("the same seed gives the same trajectory; another seed does not",
          "[request_queue][determinism]") {
  auto run = [](std::uint64_t seed) {
    Simulation sim(seed);
    MetricRegistry metrics(sim);
    RequestQueue q(sim, metrics, poisson_queue(0.9, exponential(1.0), 1));
    q.start();
    sim.run_until(sim::seconds(1'000));
    return std::pair{sim.fingerprint(), metrics.find_histogram("q.latency_s")->sum()};
  };
  CHECK(run(5) == run(5));
  CHECK(run(5).first != run(6).first);
}

}  // namespace kubesim::models
