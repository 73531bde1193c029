// Tests of scenarios/distribution_reader.hpp: every way of writing a duration distribution
// in YAML parses to the right parameters (checked through mean(), describe() and sampling
// statistics), and every malformed one gives a located diagnostic.
//
// Sampling checks draw N = 200,000 independent samples; a sample mean is compared with the
// analytic mean within 5 standard errors (σ/√N), an empirical CDF value F(x) with the
// exact one within 5·sqrt(F(1−F)/N). Independent draws make these SEs exact.
#include "scenarios/distribution_reader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/random.hpp"

namespace kubesim::scenarios {
namespace {

constexpr int kSamples = 200'000;

struct Read {
  std::optional<sim::Distribution> dist;
  Diagnostics diagnostics;
};

// Reads `serviceTime` from a one-line YAML mapping such as "serviceTime: 20ms".
Read read(const std::string& yaml, bool required = true) {
  Read r;
  const YAML::Node node = YAML::Load(yaml);
  FieldReader reader(node, "w", "d.yaml", &r.diagnostics);
  r.dist = read_duration_distribution(reader, "serviceTime", required);
  reader.finish();
  return r;
}

sim::Distribution read_ok(const std::string& yaml) {
  const Read r = read(yaml);
  INFO(yaml << "\n" << r.diagnostics.format());
  REQUIRE(r.diagnostics.empty());
  REQUIRE(r.dist.has_value());
  return *r.dist;
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// A read that fails with exactly one diagnostic at `path` whose message contains `message`.
// A distribution is still returned when the only problem is an extra field (as every
// FieldReader getter does: unknown fields are reported by finish(), apart from values).
const Diagnostic& read_error(const std::string& yaml, std::string_view path,
                             std::string_view message) {
  static Read r;
  r = read(yaml);
  INFO(yaml << "\n" << r.diagnostics.format());
  if (!contains(r.diagnostics.format(), "unknown field") &&
      !contains(r.diagnostics.format(), "not both")) {
    CHECK_FALSE(r.dist.has_value());
  }
  REQUIRE(r.diagnostics.size() == 1);
  const Diagnostic& d = r.diagnostics.items()[0];
  CHECK(d.path == path);
  CHECK(contains(d.message, message));
  return d;
}

std::vector<double> draw(const sim::Distribution& d, std::uint64_t seed = 17) {
  sim::Rng rng(seed);
  std::vector<double> xs(kSamples);
  for (double& x : xs) x = d.sample(rng);
  return xs;
}

double mean_of(const std::vector<double>& xs) {
  double s = 0;
  for (double x : xs) s += x;
  return s / static_cast<double>(xs.size());
}

double fraction_at_most(const std::vector<double>& xs, double bound) {
  double n = 0;
  for (double x : xs) n += x <= bound ? 1 : 0;
  return n / static_cast<double>(xs.size());
}

// Sample mean within 5 SE of `mean`, for a distribution of standard deviation `sd`.
void check_sample_mean(const std::vector<double>& xs, double mean, double sd) {
  const double se = sd / std::sqrt(static_cast<double>(xs.size()));
  INFO("sample mean " << mean_of(xs) << ", expected " << mean << " ± " << se);
  CHECK(std::abs(mean_of(xs) - mean) <= 5 * se);
}

// Empirical CDF at `x` within 5 SE of `p`.
void check_cdf(const std::vector<double>& xs, double x, double p) {
  const double se = std::sqrt(p * (1 - p) / static_cast<double>(xs.size()));
  INFO("F(" << x << ") = " << fraction_at_most(xs, x) << ", expected " << p << " ± " << se);
  CHECK(std::abs(fraction_at_most(xs, x) - p) <= 5 * se);
}

}  // namespace

TEST_CASE("a plain duration is a constant distribution", "[distribution_reader]") {
  const sim::Distribution d = read_ok("serviceTime: 20ms");
  CHECK(d.kind() == sim::Distribution::Kind::kConstant);
  CHECK(d.mean() == 0.02);
  CHECK(d.describe() == "constant(0.02)");
  sim::Rng rng(1);
  CHECK(d.sample(rng) == 0.02);
  // Go duration syntax, as anywhere else.
  CHECK(read_ok("serviceTime: 1m30s").mean() == 90.0);
  CHECK(read_ok("serviceTime: 250us").mean() == Approx(0.00025).epsilon(1e-12));
}

TEST_CASE("distribution: constant", "[distribution_reader]") {
  const sim::Distribution d = read_ok("serviceTime: {distribution: constant, value: 1.5s}");
  CHECK(d.kind() == sim::Distribution::Kind::kConstant);
  CHECK(d.describe() == "constant(1.5)");
}

TEST_CASE("distribution: exponential", "[distribution_reader]") {
  const sim::Distribution d = read_ok("serviceTime: {distribution: exponential, mean: 20ms}");
  CHECK(d.kind() == sim::Distribution::Kind::kExponential);
  CHECK(d.mean() == 0.02);
  CHECK(d.describe() == "exponential(mean=0.02)");
  const auto xs = draw(d);
  check_sample_mean(xs, 0.02, 0.02);        // σ = mean for the exponential
  check_cdf(xs, 0.02, 1 - std::exp(-1.0));  // F(mean) = 1 − 1/e
}

TEST_CASE("distribution: lognormal from p50 and p99", "[distribution_reader]") {
  const sim::Distribution d =
      read_ok("serviceTime: {distribution: lognormal, p50: 40ms, p99: 250ms}");
  CHECK(d.kind() == sim::Distribution::Kind::kLogNormal);
  // μ = ln p50, σ = (ln p99 − ln p50)/Φ⁻¹(0.99), Φ⁻¹(0.99) = 2.3263478740 (tables).
  const double mu = std::log(0.04);
  const double sigma = std::log(0.25 / 0.04) / 2.3263478740;
  CHECK(d.mean() == Approx(std::exp(mu + sigma * sigma / 2)).epsilon(1e-9));
  const auto xs = draw(d);
  check_cdf(xs, 0.04, 0.5);   // the median is p50
  check_cdf(xs, 0.25, 0.99);  // and the 99th percentile p99
  const double sd = std::sqrt((std::exp(sigma * sigma) - 1) * std::exp(2 * mu + sigma * sigma));
  check_sample_mean(xs, d.mean(), sd);
}

TEST_CASE("distribution: lognormal with p50 = p99 has no spread", "[distribution_reader]") {
  const sim::Distribution d = read_ok("serviceTime: {distribution: lognormal, p50: 1s, p99: 1s}");
  CHECK(d.mean() == Approx(1.0));
  sim::Rng rng(3);
  CHECK(d.sample(rng) == Approx(1.0));
}

TEST_CASE("distribution: normal", "[distribution_reader]") {
  const sim::Distribution d =
      read_ok("serviceTime: {distribution: normal, mean: 20ms, stddev: 5ms}");
  CHECK(d.kind() == sim::Distribution::Kind::kNormal);
  CHECK(d.mean() == 0.02);
  CHECK(d.describe() == "normal(mean=0.02, stddev=0.005)");
  const auto xs = draw(d);
  check_sample_mean(xs, 0.02, 0.005);
  check_cdf(xs, 0.02 + 0.005, 0.8413447461);  // Φ(1)
}

TEST_CASE("distribution: uniform", "[distribution_reader]") {
  const sim::Distribution d = read_ok("serviceTime: {distribution: uniform, min: 10ms, max: 30ms}");
  CHECK(d.kind() == sim::Distribution::Kind::kUniform);
  CHECK(d.mean() == Approx(0.02).epsilon(1e-12));
  CHECK(d.describe() == "uniform(0.01, 0.03)");
  const auto xs = draw(d);
  CHECK(*std::min_element(xs.begin(), xs.end()) >= 0.01);
  CHECK(*std::max_element(xs.begin(), xs.end()) <= 0.03);
  check_sample_mean(xs, 0.02, 0.02 / std::sqrt(12.0));  // σ = (max − min)/√12
  check_cdf(xs, 0.015, 0.25);
}

TEST_CASE("distribution: empirical values with weights", "[distribution_reader]") {
  const sim::Distribution d = read_ok(
      "serviceTime: {distribution: empirical, values: [10ms, 20ms, 80ms], weights: [5, 4, 1]}");
  CHECK(d.kind() == sim::Distribution::Kind::kEmpirical);
  CHECK(d.describe() == "empirical(3 values)");
  // Probabilities 0.5, 0.4, 0.1: mean 0.005 + 0.008 + 0.008 = 0.021 s.
  CHECK(d.mean() == Approx(0.021).epsilon(1e-12));
  const auto xs = draw(d);
  for (double x : xs) {
    REQUIRE((x == Approx(0.01).epsilon(1e-12) || x == Approx(0.02).epsilon(1e-12) ||
             x == Approx(0.08).epsilon(1e-12)));
  }
  check_cdf(xs, 0.015, 0.5);
  check_cdf(xs, 0.05, 0.9);
}

TEST_CASE("distribution: empirical values without weights are equally likely",
          "[distribution_reader]") {
  const sim::Distribution d =
      read_ok("serviceTime: {distribution: empirical, values: [30ms, 10ms, 20ms, 40ms]}");
  CHECK(d.mean() == Approx(0.025).epsilon(1e-12));
  const auto xs = draw(d);
  check_cdf(xs, 0.015, 0.25);
  check_cdf(xs, 0.035, 0.75);
}

TEST_CASE("distribution: empirical samples interpolate between sorted samples",
          "[distribution_reader]") {
  // Samples 12, 15, 31 ms (given unsorted): the CDF rises linearly from 12 to 15 over the
  // first half and from 15 to 31 over the second, so the mean is the average of the two
  // segment midpoints, (13.5 + 23)/2 = 18.25 ms, and F(15 ms) = 0.5.
  const sim::Distribution d =
      read_ok("serviceTime: {distribution: empirical, samples: [31ms, 12ms, 15ms]}");
  CHECK(d.describe() == "empirical-continuous(3 values)");
  CHECK(d.mean() == Approx(0.01825).epsilon(1e-12));
  const auto xs = draw(d);
  CHECK(*std::min_element(xs.begin(), xs.end()) >= 0.012);
  CHECK(*std::max_element(xs.begin(), xs.end()) <= 0.031);
  check_cdf(xs, 0.015, 0.5);
  check_cdf(xs, 0.023, 0.75);  // halfway up the second segment
}

TEST_CASE("an absent optional distribution is not an error", "[distribution_reader]") {
  const Read r = read("other: 1", false);
  CHECK_FALSE(r.dist.has_value());
  // `other` is reported by finish(): this reader only asked for serviceTime.
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics.items()[0].path == "w.other");
}

TEST_CASE("malformed distributions are reported", "[distribution_reader][diagnostics]") {
  SECTION("required but absent") {
    read_error("serviceTime: ~", "w.serviceTime", "required field is missing");
  }
  SECTION("a number without a unit") {
    const Diagnostic& d = read_error("serviceTime: 20", "w.serviceTime", "invalid duration \"20\"");
    CHECK(contains(d.hint, "write 20s for seconds"));
    CHECK(d.line == 1);
    CHECK(d.column == 14);
  }
  SECTION("a negative duration") {
    read_error("serviceTime: -5ms", "w.serviceTime", "must be at least 0s, got -5ms");
  }
  SECTION("a list") { read_error("serviceTime: [1s, 2s]", "w.serviceTime", "expected a mapping"); }
  SECTION("a misspelt distribution name") {
    const Diagnostic& d = read_error("serviceTime: {distribution: exponentail, mean: 20ms}",
                                     "w.serviceTime.distribution",
                                     "\"exponentail\" is not one of constant, exponential");
    CHECK(d.hint == "did you mean 'exponential'?");
    CHECK(d.column == 29);
  }
  SECTION("no distribution name") {
    read_error("serviceTime: {mean: 20ms}", "w.serviceTime.distribution", "required field");
  }
  SECTION("a missing parameter") {
    read_error("serviceTime: {distribution: exponential}", "w.serviceTime.mean",
               "required field is missing");
  }
  SECTION("a parameter of another distribution") {
    const Diagnostic& d = read_error("serviceTime: {distribution: exponential, mean: 2s, p99: 3s}",
                                     "w.serviceTime.p99", "unknown field");
    CHECK(contains(d.hint, "known fields here: distribution mean"));
  }
  SECTION("a zero exponential mean") {
    read_error("serviceTime: {distribution: exponential, mean: 0s}", "w.serviceTime",
               "mean must be a positive number");
  }
  SECTION("lognormal with p99 below p50") {
    const Diagnostic& d =
        read_error("serviceTime:\n  distribution: lognormal\n  p50: 40ms\n  p99: 10ms",
                   "w.serviceTime", "p99 must be at least p50");
    CHECK(d.line == 2);  // the mapping, at its first key
    CHECK(d.column == 3);
  }
  SECTION("uniform with min above max") {
    read_error("serviceTime: {distribution: uniform, min: 30ms, max: 10ms}", "w.serviceTime",
               "min <= max");
  }
  SECTION("empirical with both samples and values") {
    read_error("serviceTime: {distribution: empirical, samples: [1s], values: [2s]}",
               "w.serviceTime.values", "either samples or values, not both");
  }
  SECTION("empirical with an empty list") {
    read_error("serviceTime: {distribution: empirical, values: []}", "w.serviceTime.values",
               "non-empty list of durations");
  }
  SECTION("empirical with a value that is not a duration") {
    const Diagnostic& d = read_error("serviceTime: {distribution: empirical, values: [1s, 2, 3s]}",
                                     "w.serviceTime.values[1]", "invalid duration \"2\"");
    CHECK(d.line == 1);
    CHECK(d.column == 53);
  }
  SECTION("empirical with fewer weights than values") {
    read_error("serviceTime: {distribution: empirical, values: [1s, 2s, 3s], weights: [1, 2]}",
               "w.serviceTime", "3 values but 2 weights");
  }
  SECTION("empirical with a weight that is not a number") {
    read_error("serviceTime: {distribution: empirical, values: [1s, 2s], weights: [1, x]}",
               "w.serviceTime.weights", "item 1 is not a number");
  }
  SECTION("empirical with weights that are not a list") {
    read_error("serviceTime: {distribution: empirical, values: [1s], weights: 1}",
               "w.serviceTime.weights", "expected a list of numbers");
  }
  SECTION("empirical with a negative weight") {
    read_error("serviceTime: {distribution: empirical, values: [1s, 2s], weights: [1, -1]}",
               "w.serviceTime", "weight #2 must be >= 0");
  }
  SECTION("empirical with weights summing to zero") {
    read_error("serviceTime: {distribution: empirical, values: [1s, 2s], weights: [0, 0]}",
               "w.serviceTime", "sum to zero");
  }
  SECTION("empirical with neither samples nor values") {
    read_error("serviceTime: {distribution: empirical}", "w.serviceTime.values",
               "required field is missing");
  }
}

}  // namespace kubesim::scenarios

namespace kubesim::scenarios {
namespace {

// read_number_distribution: the same shapes with plain numbers (token counts), values in
// [0, 1e6] here.
Read read_number(const std::string& yaml) {
  Read r;
  const YAML::Node node = YAML::Load(yaml);
  FieldReader reader(node, "w", "d.yaml", &r.diagnostics);
  r.dist = read_number_distribution(reader, "tokens", 0, 1e6);
  reader.finish();
  return r;
}

TEST_CASE("number distributions: scalars, parameters and empirical values", "[distribution]") {
  Read constant = read_number("tokens: 512");
  REQUIRE(constant.dist);
  CHECK(constant.dist->mean() == Approx(512));

  Read expo = read_number("tokens: {distribution: exponential, mean: 200}");
  REQUIRE(expo.dist);
  CHECK(expo.dist->mean() == Approx(200));

  // Empirical: values 100 and 1000 with weights 3 and 1 -> mean (300 + 1000) / 4 = 325.
  Read emp = read_number("tokens: {distribution: empirical, values: [100, 1000], weights: [3, 1]}");
  INFO(emp.diagnostics.format());
  REQUIRE(emp.dist);
  CHECK(emp.dist->mean() == Approx(325));

  Read bad = read_number("tokens: {distribution: uniform, min: -5, max: 10}");
  CHECK_FALSE(bad.dist);
  REQUIRE(bad.diagnostics.size() == 1);
  CHECK(bad.diagnostics.items()[0].path == "w.tokens.min");

  Read empty = read_number("tokens: {distribution: empirical, values: []}");
  CHECK_FALSE(empty.dist);
  CHECK_FALSE(empty.diagnostics.empty());
}

}  // namespace
}  // namespace kubesim::scenarios
