// Tests for sim/random: the xoshiro256** generator, stream derivation from
// (seed, replication, name), independence of streams, and the distributions.
//
// Statistical checks use fixed seeds (so they are reproducible) but their tolerances are
// derived from the sample size, not fitted to the output: means within 5 standard errors,
// proportions within 5 binomial standard deviations, correlations within 4/sqrt(n) (the
// sample correlation of independent streams is ~N(0, 1/n)), and chi-square statistics
// below the critical value at significance 0.001 (from standard tables). A correct
// implementation fails any one of them with probability below ~1e-3.
#include "sim/random.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <set>
#include <string>
#include <vector>

namespace kubesim::sim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Standard normal CDF and its inverse (by bisection): independent of the code under test.
double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
double normal_quantile(double p) {
  double lo = -40;
  double hi = 40;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    (normal_cdf(mid) < p ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

double mean_of(const std::vector<double>& xs) {
  return std::accumulate(xs.begin(), xs.end(), 0.0) / static_cast<double>(xs.size());
}

double stddev_of(const std::vector<double>& xs) {
  const double m = mean_of(xs);
  double ss = 0;
  for (const double x : xs) ss += (x - m) * (x - m);
  return std::sqrt(ss / static_cast<double>(xs.size() - 1));
}

double fraction_below(const std::vector<double>& xs, double v) {
  const auto n = std::count_if(xs.begin(), xs.end(), [v](double x) { return x < v; });
  return static_cast<double>(n) / static_cast<double>(xs.size());
}

// 5 binomial standard deviations of a proportion p estimated from n draws.
double proportion_tolerance(double p, std::size_t n) {
  return 5 * std::sqrt(p * (1 - p) / static_cast<double>(n));
}

double correlation(const std::vector<double>& x, const std::vector<double>& y) {
  const double mx = mean_of(x);
  const double my = mean_of(y);
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

std::vector<double> uniforms(Rng rng, std::size_t n) {
  std::vector<double> out(n);
  for (double& x : out) x = rng.uniform01();
  return out;
}

std::vector<double> samples(const Distribution& d, Rng rng, std::size_t n) {
  std::vector<double> out(n);
  for (double& x : out) x = d.sample(rng);
  return out;
}

// Pearson's chi-square statistic of observed counts against expected probabilities.
double chi_square(const std::vector<std::uint64_t>& observed, const std::vector<double>& p,
                  std::uint64_t n) {
  double chi2 = 0;
  for (std::size_t i = 0; i < observed.size(); ++i) {
    const double expected = p[i] * static_cast<double>(n);
    const double diff = static_cast<double>(observed[i]) - expected;
    chi2 += diff * diff / expected;
  }
  return chi2;
}

// ---------------------------------------------------------------------------------------
// Generator and stream derivation

TEST_CASE("Rng(raw seed) is xoshiro256** seeded by SplitMix64", "[random]") {
  // Reference values computed with the published algorithms (splitmix64.c and
  // xoshiro256starstar.c by Vigna), not with this code: the SplitMix64 sequence from 0 and
  // the first outputs of xoshiro256** from that state.
  const Rng rng(0);
  CHECK(rng.state()[0] == 0xe220a8397b1dcdafULL);
  CHECK(rng.state()[1] == 0x6e789e6aa1b965f4ULL);
  CHECK(rng.state()[2] == 0x06c45d188009454fULL);
  CHECK(rng.state()[3] == 0xf88bb8a8724c81ecULL);
  Rng gen = rng;
  CHECK(gen.next_u64() == 0x99ec5f36cb75f2b4ULL);
  CHECK(gen.next_u64() == 0xbf6e1f784956452aULL);
  CHECK(gen.next_u64() == 0x1a5f849d4933e6e0ULL);
}

TEST_CASE("mix64 and fnv1a64 match their reference definitions", "[random]") {
  // SplitMix64's first outputs from state 0 (mix64 adds the golden gamma first).
  CHECK(mix64(0) == 0xe220a8397b1dcdafULL);
  CHECK(mix64(0x9e3779b97f4a7c15ULL) == 0x6e789e6aa1b965f4ULL);
  // FNV-1a 64 test vectors (offset basis; "a"; "foobar").
  CHECK(fnv1a64("") == 0xcbf29ce484222325ULL);
  CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(fnv1a64("foobar") == 0x85944171f73967e8ULL);
}

TEST_CASE("the same (seed, replication, name) gives the same sequence", "[random]") {
  Rng a(7, 3, "arrivals/llm-chat");
  Rng b(7, 3, "arrivals/llm-chat");
  for (int i = 0; i < 1000; ++i) REQUIRE(a.next_u64() == b.next_u64());
  // Copying an Rng duplicates its stream from the current position.
  Rng c = a;
  for (int i = 0; i < 100; ++i) REQUIRE(a.next_u64() == c.next_u64());
}

TEST_CASE("different seeds, replications or names give different sequences", "[random]") {
  const std::vector<std::uint64_t> seeds = {0, 1, 2, 3, 0xFFFFFFFFFFFFFFFFULL};
  const std::vector<std::uint64_t> reps = {0, 1, 2};
  const std::vector<std::string> names = {"",        "a", "b", "arrivals/llm", "arrivals/llm2",
                                          "timer/x", "A"};
  std::set<std::uint64_t> outputs;
  std::size_t streams = 0;
  for (const auto seed : seeds) {
    for (const auto rep : reps) {
      for (const auto& name : names) {
        Rng rng(seed, rep, name);
        for (int i = 0; i < 50; ++i) outputs.insert(rng.next_u64());
        ++streams;
      }
    }
  }
  // No value repeats anywhere among 105 streams x 50 draws (a collision of 64-bit values
  // is ~1e-12 likely; overlapping or equal streams would repeat many).
  CHECK(outputs.size() == streams * 50);
  // Swapping seed and replication is a different stream.
  CHECK(Rng(1, 2, "x").next_u64() != Rng(2, 1, "x").next_u64());
  // The raw-seed constructor is not the keyed one.
  CHECK(Rng(5).next_u64() != Rng(5, 0, "").next_u64());
}

TEST_CASE("named streams are uncorrelated", "[random]") {
  const std::size_t n = 100'000;
  const double bound = 4 / std::sqrt(static_cast<double>(n));  // 4 standard errors
  const auto base = uniforms(Rng(42, 0, "arrivals/llm"), n);
  SECTION("two names") {
    CHECK(std::abs(correlation(base, uniforms(Rng(42, 0, "arrivals/batch"), n))) < bound);
  }
  SECTION("names that differ in one character") {
    CHECK(std::abs(correlation(base, uniforms(Rng(42, 0, "arrivals/llm2"), n))) < bound);
  }
  SECTION("adjacent seeds") {
    CHECK(std::abs(correlation(base, uniforms(Rng(43, 0, "arrivals/llm"), n))) < bound);
  }
  SECTION("adjacent replications") {
    CHECK(std::abs(correlation(base, uniforms(Rng(42, 1, "arrivals/llm"), n))) < bound);
  }
  SECTION("a split child and its parent") {
    const Rng parent(42, 0, "arrivals/llm");
    CHECK(std::abs(correlation(base, uniforms(parent.split("child"), n))) < bound);
  }
  SECTION("consecutive draws of one stream (lag-1 autocorrelation)") {
    std::vector<double> x(base.begin(), base.end() - 1);
    std::vector<double> y(base.begin() + 1, base.end());
    CHECK(std::abs(correlation(x, y)) < bound);
  }
}

TEST_CASE("split gives deterministic child streams independent of the parent", "[random]") {
  const Rng parent(9, 0, "model");
  Rng child_a = parent.split("a");
  Rng child_a2 = parent.split("a");
  Rng child_b = parent.split("b");
  Rng parent_copy = parent;
  const std::uint64_t a0 = child_a.next_u64();
  CHECK(a0 == child_a2.next_u64());
  CHECK(a0 != child_b.next_u64());
  CHECK(a0 != parent_copy.next_u64());
  // split() is const: the parent's own sequence is untouched.
  Rng fresh(9, 0, "model");
  Rng after_split = parent;
  for (int i = 0; i < 10; ++i) CHECK(after_split.next_u64() == fresh.next_u64());
}

// ---------------------------------------------------------------------------------------
// Uniforms and integers

TEST_CASE("uniform01 is in [0, 1) with mean 1/2; uniform01_open_low is in (0, 1]", "[random]") {
  Rng rng(1, 0, "u");
  const std::size_t n = 200'000;
  double sum = 0;
  double lo = 1;
  double hi = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double u = rng.uniform01();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    sum += u;
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    const double v = rng.uniform01_open_low();
    REQUIRE(v > 0.0);
    REQUIRE(v <= 1.0);
  }
  // Var(U) = 1/12.
  CHECK(std::abs(sum / static_cast<double>(n) - 0.5) <
        5 * std::sqrt(1.0 / 12 / static_cast<double>(n)));
  CHECK(lo < 1e-4);  // P(min > 1e-4) = (1 - 1e-4)^n ~ 2e-9
  CHECK(hi > 1 - 1e-4);
}

TEST_CASE("below(n) is always < n", "[random]") {
  Rng rng(2, 0, "below");
  for (const std::uint64_t n :
       {std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{3}, std::uint64_t{7}, std::uint64_t{1000},
        (std::uint64_t{1} << 32) + 1, (std::uint64_t{1} << 63) + 1, std::uint64_t{3} << 62,
        std::numeric_limits<std::uint64_t>::max()}) {
    for (int i = 0; i < 5000; ++i) REQUIRE(rng.below(n) < n);
  }
  for (int i = 0; i < 100; ++i) CHECK(rng.below(1) == 0);
}

TEST_CASE("below(n) is uniform: chi-square test", "[random]") {
  Rng rng(3, 0, "below");
  struct Case {
    std::uint64_t n;
    std::uint64_t draws;
    double critical;  // chi-square with n-1 degrees of freedom, upper 0.001 point
  };
  for (const Case c :
       {Case{6, 60'000, 20.515}, Case{10, 100'000, 27.877}, Case{100, 200'000, 148.230}}) {
    INFO("n = " << c.n);
    std::vector<std::uint64_t> counts(c.n, 0);
    for (std::uint64_t i = 0; i < c.draws; ++i) ++counts[rng.below(c.n)];
    const std::vector<double> p(c.n, 1.0 / static_cast<double>(c.n));
    CHECK(chi_square(counts, p, c.draws) < c.critical);
  }
}

TEST_CASE("below(n) for n = 3 * 2^62 is unbiased", "[random]") {
  // The classic modulo-bias case: with n = 3/4 of 2^64, a naive "x % n" returns values
  // below 2^62 with probability 1/2; a fair draw does so with probability 1/3.
  Rng rng(4, 0, "below");
  const std::uint64_t n = std::uint64_t{3} << 62;
  const std::size_t draws = 100'000;
  std::size_t low = 0;
  for (std::size_t i = 0; i < draws; ++i) low += rng.below(n) < (std::uint64_t{1} << 62);
  const double p = 1.0 / 3;
  CHECK(std::abs(static_cast<double>(low) / draws - p) < proportion_tolerance(p, draws));
}

TEST_CASE("bernoulli(p) succeeds with probability p", "[random]") {
  Rng rng(5, 0, "coin");
  const std::size_t n = 100'000;
  std::size_t hits = 0;
  for (std::size_t i = 0; i < n; ++i) hits += rng.bernoulli(0.3);
  CHECK(std::abs(static_cast<double>(hits) / n - 0.3) < proportion_tolerance(0.3, n));
  for (int i = 0; i < 1000; ++i) {
    CHECK_FALSE(rng.bernoulli(0.0));
    CHECK(rng.bernoulli(1.0));
  }
}

// ---------------------------------------------------------------------------------------
// Distributions: sample statistics against analytic values

TEST_CASE("constant always returns its value", "[random][distribution]") {
  const Distribution d = Distribution::constant(2.5);
  Rng rng(1);
  for (int i = 0; i < 10; ++i) CHECK(d.sample(rng) == 2.5);
  CHECK(d.mean() == 2.5);
  CHECK(d.kind() == Distribution::Kind::kConstant);
}

TEST_CASE("exponential: mean and median match the analytic values", "[random][distribution]") {
  const double mean = 2.5;
  const auto d = Distribution::exponential(mean);
  REQUIRE(d.ok());
  CHECK(d->kind() == Distribution::Kind::kExponential);
  CHECK(d->mean() == mean);
  const std::size_t n = 200'000;
  const auto xs = samples(*d, Rng(10, 0, "exp"), n);
  CHECK(*std::min_element(xs.begin(), xs.end()) >= 0.0);
  // Standard deviation of an exponential equals its mean.
  CHECK(std::abs(mean_of(xs) - mean) < 5 * mean / std::sqrt(static_cast<double>(n)));
  CHECK(std::abs(stddev_of(xs) - mean) < 0.05 * mean);
  // CDF: P(X < mean * ln 2) = 1/2, P(X < mean) = 1 - 1/e.
  CHECK(std::abs(fraction_below(xs, mean * std::log(2.0)) - 0.5) < proportion_tolerance(0.5, n));
  const double p_mean = 1 - std::exp(-1.0);
  CHECK(std::abs(fraction_below(xs, mean) - p_mean) < proportion_tolerance(p_mean, n));
  // Rng::exponential directly.
  Rng rng(11, 0, "exp");
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += rng.exponential(0.1);
  CHECK(std::abs(sum / n - 0.1) < 5 * 0.1 / std::sqrt(static_cast<double>(n)));
}

// Chi-square goodness of fit over `bins` equiprobable bins, whose edges are the analytic
// quantiles i / bins, i = 1 .. bins - 1.
template <typename Quantile>
double equiprobable_chi_square(const std::vector<double>& xs, int bins, Quantile quantile) {
  std::vector<double> edges;
  for (int i = 1; i < bins; ++i) edges.push_back(quantile(static_cast<double>(i) / bins));
  std::vector<std::uint64_t> counts(static_cast<std::size_t>(bins), 0);
  for (const double x : xs) {
    ++counts[static_cast<std::size_t>(std::upper_bound(edges.begin(), edges.end(), x) -
                                      edges.begin())];
  }
  return chi_square(counts, std::vector<double>(static_cast<std::size_t>(bins), 1.0 / bins),
                    xs.size());
}

TEST_CASE("exponential: the whole shape fits, tail included", "[random][distribution]") {
  // Goodness of fit of Exp(1) over 50 equiprobable bins (edges -ln(1 - p)): 49 degrees of
  // freedom, upper 0.001 point 85.351. Catches shape errors that leave the mean intact.
  Rng rng(24, 0, "exp-shape");
  const std::size_t n = 200'000;
  std::vector<double> xs(n);
  for (double& x : xs) x = rng.exponential(1.0);
  CHECK(equiprobable_chi_square(xs, 50, [](double p) { return -std::log1p(-p); }) < 85.351);
  // The far tail, in steps: P(X > x) = e^-x.
  for (const double x : {3.0, 5.0, 7.0, 7.7, 9.0}) {
    INFO("x = " << x);
    const double p = std::exp(-x);
    const double above = 1 - fraction_below(xs, x);
    CHECK(std::abs(above - p) < proportion_tolerance(p, n) + 1.0 / static_cast<double>(n));
  }
  // Nothing is negative, and values are not repeated (a continuous distribution).
  std::sort(xs.begin(), xs.end());
  CHECK(xs.front() >= 0);
  CHECK(std::adjacent_find(xs.begin(), xs.end()) == xs.end());
}

TEST_CASE("normal: the whole shape fits", "[random][distribution]") {
  // 50 equiprobable bins of N(0, 1): 49 degrees of freedom, upper 0.001 point 85.351.
  Rng rng(25, 0, "normal-shape");
  const std::size_t n = 200'000;
  std::vector<double> zs(n);
  for (double& z : zs) z = rng.standard_normal();
  CHECK(equiprobable_chi_square(zs, 50, normal_quantile) < 85.351);
  for (const double x : {2.0, 3.0, 4.0}) {
    INFO("x = " << x);
    const double p = normal_cdf(-x);
    CHECK(std::abs(fraction_below(zs, -x) - p) <
          proportion_tolerance(p, n) + 1.0 / static_cast<double>(n));
    CHECK(std::abs((1 - fraction_below(zs, x)) - p) <
          proportion_tolerance(p, n) + 1.0 / static_cast<double>(n));
  }
}

TEST_CASE("normal: mean, standard deviation and the 68% rule", "[random][distribution]") {
  const double mu = 3;
  const double sigma = 2;
  const auto d = Distribution::normal(mu, sigma);
  REQUIRE(d.ok());
  CHECK(d->mean() == mu);
  const std::size_t n = 200'000;
  const auto xs = samples(*d, Rng(12, 0, "normal"), n);
  const double sn = std::sqrt(static_cast<double>(n));
  CHECK(std::abs(mean_of(xs) - mu) < 5 * sigma / sn);
  // The sample standard deviation has standard error ~ sigma / sqrt(2n).
  CHECK(std::abs(stddev_of(xs) - sigma) < 5 * sigma / std::sqrt(2.0 * static_cast<double>(n)));
  const double p1 = normal_cdf(1) - normal_cdf(-1);  // 0.6827
  const double within = fraction_below(xs, mu + sigma) - fraction_below(xs, mu - sigma);
  CHECK(std::abs(within - p1) < proportion_tolerance(p1, n));
  const double p975 = 0.975;
  CHECK(std::abs(fraction_below(xs, mu + sigma * normal_quantile(p975)) - p975) <
        proportion_tolerance(p975, n));
  // stddev 0 is a point mass.
  const auto point = Distribution::normal(-1, 0);
  REQUIRE(point.ok());
  Rng rng(1);
  CHECK(point->sample(rng) == -1);
}

TEST_CASE("standard_normal is symmetric with unit variance", "[random]") {
  Rng rng(13, 0, "z");
  const std::size_t n = 200'000;
  std::vector<double> zs(n);
  for (double& z : zs) z = rng.standard_normal();
  const double sn = std::sqrt(static_cast<double>(n));
  CHECK(std::abs(mean_of(zs)) < 5 / sn);
  CHECK(std::abs(stddev_of(zs) - 1) < 5 / std::sqrt(2.0 * static_cast<double>(n)));
  CHECK(std::abs(fraction_below(zs, 0) - 0.5) < proportion_tolerance(0.5, n));
  const double p = normal_cdf(-2);  // 0.0228
  CHECK(std::abs(fraction_below(zs, -2) - p) < proportion_tolerance(p, n));
}

TEST_CASE("lognormal_from_p50_p99(10, 100): median 10 and 99th percentile 100",
          "[random][distribution]") {
  const auto d = Distribution::lognormal_from_p50_p99(10, 100);
  REQUIRE(d.ok());
  CHECK(d->kind() == Distribution::Kind::kLogNormal);
  // Analytic parameters: mu = ln 10, sigma = (ln 100 - ln 10) / z_0.99.
  const double mu = std::log(10.0);
  const double sigma = std::log(10.0) / normal_quantile(0.99);
  CHECK(d->mean() == Approx(std::exp(mu + sigma * sigma / 2)).epsilon(1e-9));
  CHECK(d->mean() == Approx(16.32).epsilon(1e-3));  // by hand: 10 * e^(0.98978^2 / 2)

  const std::size_t n = 200'000;
  auto xs = samples(*d, Rng(14, 0, "lognormal"), n);
  // The CDF at the two given points, within binomial tolerance.
  CHECK(std::abs(fraction_below(xs, 10) - 0.5) < proportion_tolerance(0.5, n));
  CHECK(std::abs(fraction_below(xs, 100) - 0.99) < proportion_tolerance(0.99, n));
  // The empirical quantiles lie between the analytic quantiles at p -/+ the tolerance.
  std::sort(xs.begin(), xs.end());
  const auto quantile = [&](double p) { return std::exp(mu + sigma * normal_quantile(p)); };
  for (const double p : {0.5, 0.9, 0.99}) {
    INFO("p = " << p);
    const double empirical = xs[static_cast<std::size_t>(p * static_cast<double>(n))];
    const double tol = proportion_tolerance(p, n);
    CHECK(empirical > quantile(p - tol));
    CHECK(empirical < quantile(p + tol));
  }
  CHECK(xs.front() > 0);
  // Mean: Var = (e^{s^2} - 1) e^{2mu + s^2}.
  const double sd = std::sqrt((std::exp(sigma * sigma) - 1) * std::exp(2 * mu + sigma * sigma));
  CHECK(std::abs(mean_of(xs) - d->mean()) < 5 * sd / std::sqrt(static_cast<double>(n)));
}

TEST_CASE("lognormal with p50 == p99 is a point mass", "[random][distribution]") {
  const auto d = Distribution::lognormal_from_p50_p99(4, 4);
  REQUIRE(d.ok());
  Rng rng(15);
  for (int i = 0; i < 100; ++i) CHECK(d->sample(rng) == Approx(4).epsilon(1e-12));
}

TEST_CASE("lognormal(mu, sigma) has median e^mu", "[random][distribution]") {
  const auto d = Distribution::lognormal(1.0, 0.5);
  REQUIRE(d.ok());
  CHECK(d->mean() == Approx(std::exp(1.0 + 0.125)).epsilon(1e-12));
  const std::size_t n = 100'000;
  const auto xs = samples(*d, Rng(16, 0, "ln"), n);
  CHECK(std::abs(fraction_below(xs, std::exp(1.0)) - 0.5) < proportion_tolerance(0.5, n));
}

TEST_CASE("uniform(lo, hi) stays in [lo, hi) with mean (lo + hi) / 2", "[random][distribution]") {
  const auto d = Distribution::uniform(-2, 6);
  REQUIRE(d.ok());
  CHECK(d->mean() == 2);
  const std::size_t n = 100'000;
  const auto xs = samples(*d, Rng(17, 0, "uniform"), n);
  const auto [lo, hi] = std::minmax_element(xs.begin(), xs.end());
  CHECK(*lo >= -2);
  CHECK(*hi < 6);
  CHECK(*lo < -2 + 0.01);  // P(min > lo + 0.01) = (1 - 0.01/8)^n ~ 0
  CHECK(*hi > 6 - 0.01);
  // sd of U(a, b) = (b - a) / sqrt(12).
  CHECK(std::abs(mean_of(xs) - 2) < 5 * (8 / std::sqrt(12.0)) / std::sqrt(static_cast<double>(n)));
  CHECK(std::abs(fraction_below(xs, 0) - 0.25) < proportion_tolerance(0.25, n));
  // lo == hi is allowed: a point.
  const auto point = Distribution::uniform(3, 3);
  REQUIRE(point.ok());
  Rng rng(1);
  CHECK(point->sample(rng) == 3);
}

TEST_CASE("empirical: frequencies match the weights", "[random][distribution]") {
  const auto d = Distribution::empirical({1, 2, 3, 4}, {1, 2, 3, 4});
  REQUIRE(d.ok());
  CHECK(d->kind() == Distribution::Kind::kEmpirical);
  CHECK(d->mean() == Approx(3.0).epsilon(1e-12));  // (1 + 4 + 9 + 16) / 10
  const std::uint64_t n = 100'000;
  Rng rng(18, 0, "emp");
  std::vector<std::uint64_t> counts(4, 0);
  for (std::uint64_t i = 0; i < n; ++i) {
    const double x = d->sample(rng);
    REQUIRE((x == 1 || x == 2 || x == 3 || x == 4));
    ++counts[static_cast<std::size_t>(x) - 1];
  }
  // 3 degrees of freedom: upper 0.001 point 16.266.
  CHECK(chi_square(counts, {0.1, 0.2, 0.3, 0.4}, n) < 16.266);
}

TEST_CASE("empirical: input order does not matter; zero weights are never drawn",
          "[random][distribution]") {
  const auto sorted = Distribution::empirical({10, 20, 30, 40}, {0, 1, 0, 3});
  const auto shuffled = Distribution::empirical({40, 10, 30, 20}, {3, 0, 0, 1});
  REQUIRE(sorted.ok());
  REQUIRE(shuffled.ok());
  CHECK(sorted->mean() == Approx(0.25 * 20 + 0.75 * 40).epsilon(1e-12));
  Rng a(19, 0, "emp");
  Rng b(19, 0, "emp");
  std::size_t forties = 0;
  const std::size_t n = 40'000;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = sorted->sample(a);
    REQUIRE(x == shuffled->sample(b));  // same stream, same value
    REQUIRE((x == 20 || x == 40));
    forties += x == 40;
  }
  CHECK(std::abs(static_cast<double>(forties) / n - 0.75) < proportion_tolerance(0.75, n));
}

TEST_CASE("empirical without weights weighs values equally", "[random][distribution]") {
  const auto d = Distribution::empirical({5, 7}, {});
  REQUIRE(d.ok());
  CHECK(d->mean() == Approx(6).epsilon(1e-12));
  const std::size_t n = 40'000;
  const auto xs = samples(*d, Rng(20, 0, "emp"), n);
  CHECK(std::abs(fraction_below(xs, 6) - 0.5) < proportion_tolerance(0.5, n));
  // Duplicate values add up their weights.
  const auto dup = Distribution::empirical({1, 1, 2}, {});
  REQUIRE(dup.ok());
  const auto ys = samples(*dup, Rng(21, 0, "emp"), n);
  CHECK(std::abs(fraction_below(ys, 1.5) - 2.0 / 3) < proportion_tolerance(2.0 / 3, n));
}

TEST_CASE("empirical_continuous: samples within the data range, mean() as documented",
          "[random][distribution]") {
  // Piecewise-linear inverse CDF through sorted samples 1, 2, 4, 8 at probabilities
  // 0, 1/3, 2/3, 1: each segment is drawn with probability 1/3, uniformly within it.
  const auto d = Distribution::empirical_continuous({8, 1, 4, 2});
  REQUIRE(d.ok());
  // mean = average of segment midpoints = (1.5 + 3 + 6) / 3.
  CHECK(d->mean() == Approx(3.5).epsilon(1e-12));
  const std::size_t n = 100'000;
  const auto xs = samples(*d, Rng(22, 0, "empc"), n);
  const auto [lo, hi] = std::minmax_element(xs.begin(), xs.end());
  CHECK(*lo >= 1);
  CHECK(*hi <= 8);
  CHECK(*lo < 1.01);
  CHECK(*hi > 7.9);
  // E[X^2] = (1/3) sum (a^2 + ab + b^2) / 3 = 147/9, so Var = 147/9 - 3.5^2 = 4.0833.
  const double sd = std::sqrt(147.0 / 9 - 12.25);
  CHECK(std::abs(mean_of(xs) - 3.5) < 5 * sd / std::sqrt(static_cast<double>(n)));
  CHECK(std::abs(fraction_below(xs, 2) - 1.0 / 3) < proportion_tolerance(1.0 / 3, n));
  CHECK(std::abs(fraction_below(xs, 3) - 0.5) < proportion_tolerance(0.5, n));  // mid of [2,4]
  CHECK(std::abs(fraction_below(xs, 4) - 2.0 / 3) < proportion_tolerance(2.0 / 3, n));
}

TEST_CASE("empirical_continuous from a larger data set reproduces its range and mean",
          "[random][distribution]") {
  // Data: 0, 1, 4, 9, ..., 99^2. mean() is the trapezoid mean of consecutive samples.
  std::vector<double> data;
  for (int i = 0; i < 100; ++i) data.push_back(static_cast<double>(i * i));
  double trapezoid = 0;
  for (int i = 0; i + 1 < 100; ++i) trapezoid += (data[i] + data[i + 1]) / 2;
  trapezoid /= 99;
  const auto d = Distribution::empirical_continuous(data);
  REQUIRE(d.ok());
  CHECK(d->mean() == Approx(trapezoid).epsilon(1e-12));
  const std::size_t n = 100'000;
  const auto xs = samples(*d, Rng(23, 0, "empc"), n);
  for (const double x : xs) REQUIRE((x >= 0 && x <= 99 * 99));
  // sd <= half the range; 5 standard errors of the mean.
  CHECK(std::abs(mean_of(xs) - trapezoid) <
        5 * (99.0 * 99 / 2) / std::sqrt(static_cast<double>(n)));
  // A single sample is a point.
  const auto one = Distribution::empirical_continuous({3.5});
  REQUIRE(one.ok());
  Rng rng(1);
  CHECK(one->sample(rng) == 3.5);
  CHECK(one->mean() == 3.5);
}

TEST_CASE("sampling is deterministic given the stream", "[random][distribution]") {
  const auto d = Distribution::lognormal_from_p50_p99(0.2, 1.5);
  REQUIRE(d.ok());
  const auto a = samples(*d, Rng(30, 2, "svc/latency"), 1000);
  const auto b = samples(*d, Rng(30, 2, "svc/latency"), 1000);
  const auto c = samples(*d, Rng(30, 3, "svc/latency"), 1000);
  CHECK(a == b);
  CHECK(a != c);
}

// ---------------------------------------------------------------------------------------
// Invalid parameters: an error Result with a message, never an exception or a crash

void check_error(const Result<Distribution>& r, const std::string& fragment) {
  INFO("expected an error mentioning: " << fragment);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
  INFO("message: " << r.error());
  CHECK(r.error().find(fragment) != std::string::npos);
}

TEST_CASE("every invalid distribution parameter returns an error with a message",
          "[random][distribution]") {
  SECTION("exponential") {
    check_error(Distribution::exponential(0), "mean must be a positive number, got 0");
    check_error(Distribution::exponential(-1), "got -1");
    check_error(Distribution::exponential(kNaN), "exponential: mean");
    check_error(Distribution::exponential(kInf), "exponential: mean");
  }
  SECTION("lognormal from p50 and p99") {
    check_error(Distribution::lognormal_from_p50_p99(0, 10), "p50 must be positive, got 0");
    check_error(Distribution::lognormal_from_p50_p99(-1, 10), "p50 must be positive, got -1");
    check_error(Distribution::lognormal_from_p50_p99(kNaN, 10), "p50 must be positive");
    check_error(Distribution::lognormal_from_p50_p99(kInf, kInf), "p50 must be positive");
    check_error(Distribution::lognormal_from_p50_p99(10, 5),
                "p99 must be at least p50 (10), got 5");
    check_error(Distribution::lognormal_from_p50_p99(10, kNaN), "p99 must be at least p50");
    check_error(Distribution::lognormal_from_p50_p99(10, kInf), "p99 must be at least p50");
  }
  SECTION("lognormal from mu and sigma") {
    check_error(Distribution::lognormal(0, -1), "sigma=-1");
    check_error(Distribution::lognormal(kNaN, 1), "lognormal: need a finite mu");
    check_error(Distribution::lognormal(kInf, 1), "lognormal: need a finite mu");
    check_error(Distribution::lognormal(0, kInf), "lognormal: need a finite mu and sigma >= 0");
    check_error(Distribution::lognormal(0, kNaN), "lognormal:");
  }
  SECTION("normal") {
    check_error(Distribution::normal(0, -0.5), "stddev=-0.5");
    check_error(Distribution::normal(kNaN, 1), "normal: need a finite mean");
    check_error(Distribution::normal(-kInf, 1), "normal: need a finite mean");
    check_error(Distribution::normal(0, kInf), "stddev >= 0");
  }
  SECTION("uniform") {
    check_error(Distribution::uniform(2, 1), "min=2 max=1");
    check_error(Distribution::uniform(kNaN, 1), "uniform: need finite min <= max");
    check_error(Distribution::uniform(0, kInf), "uniform: need finite min <= max");
    check_error(Distribution::uniform(-kInf, 0), "uniform: need finite min <= max");
  }
  SECTION("empirical") {
    check_error(Distribution::empirical({}, {}), "needs at least one value");
    check_error(Distribution::empirical({1, 2}, {1}), "2 values but 1 weights");
    check_error(Distribution::empirical({1, 2}, {1, -1}), "weight #2 must be >= 0, got -1");
    check_error(Distribution::empirical({1}, {kNaN}), "weight #1 must be >= 0");
    check_error(Distribution::empirical({1}, {kInf}), "weight #1 must be >= 0");
    check_error(Distribution::empirical({1, 2}, {0, 0}), "the weights sum to zero");
    // Finite weights whose sum overflows would silently never draw the first value.
    check_error(Distribution::empirical({1, 2}, {1e308, 1e308}), "weights sum to infinity");
    check_error(Distribution::empirical({1, kNaN}, {1, 1}), "value #2 is not finite");
    check_error(Distribution::empirical({kInf}, {1}), "value #1 is not finite");
  }
  SECTION("empirical_continuous") {
    check_error(Distribution::empirical_continuous({}), "needs at least one sample");
    check_error(Distribution::empirical_continuous({1, 2, kNaN}), "sample #3 is not finite");
    check_error(Distribution::empirical_continuous({-kInf}), "sample #1 is not finite");
  }
}

TEST_CASE("describe() names the distribution and its parameters", "[random][distribution]") {
  CHECK(Distribution::constant(3).describe() == "constant(3)");
  CHECK(Distribution::exponential(0.5)->describe() == "exponential(mean=0.5)");
  CHECK(Distribution::normal(1, 2)->describe() == "normal(mean=1, stddev=2)");
  CHECK(Distribution::uniform(0, 4)->describe() == "uniform(0, 4)");
  CHECK(Distribution::lognormal(0, 1)->describe() == "lognormal(mu=0, sigma=1)");
  CHECK(Distribution::empirical({1, 2, 3}, {})->describe() == "empirical(3 values)");
  CHECK(Distribution::empirical_continuous({1, 2})->describe() == "empirical-continuous(2 values)");
}

}  // namespace
}  // namespace kubesim::sim
