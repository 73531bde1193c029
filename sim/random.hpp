// Random streams and distributions.
//
// There is no global generator. Every consumer owns an Rng derived from
// (seed, replication, stream name), e.g. rng("arrivals/llm-chat"), so adding a consumer or
// drawing more numbers in one component never shifts the numbers another component sees,
// and replication r of a scenario is independent of replication r+1 while variants of an
// A/B comparison share their streams (common random numbers).
//
// Generator: xoshiro256** (Blackman & Vigna, 2018): 32 bytes of state, passes BigCrush, and
// far cheaper to derive per stream than std::mt19937_64 (2.5 KB of state). Stream states are
// derived with SplitMix64 over a 64-bit mix of the seed, the replication and the FNV-1a hash
// of the name. Distributions are computed here from uniform doubles, not by <random>'s
// distribution classes, whose algorithms differ between standard libraries: results are
// the same on every platform with an IEEE-754 libm.
//
// An Rng is a small value type; copying one duplicates its stream.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/status.hpp"

namespace kubesim::sim {

class Rng {
 public:
  // A stream keyed by (seed, replication, name).
  Rng(std::uint64_t seed, std::uint64_t replication, std::string_view name);
  // A stream from a raw 64-bit seed (tests, and sub-streams split from a parent).
  explicit Rng(std::uint64_t raw_seed);

  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform01() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1]: safe to take the logarithm of.
  double uniform01_open_low() { return static_cast<double>((next_u64() >> 11) + 1) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform01(); }
  // Uniform integer in [0, n), unbiased (Lemire's multiply-and-reject). REQUIRES: n > 0.
  std::uint64_t below(std::uint64_t n);
  // Exponential with the given mean: Marsaglia & Tsang's ziggurat (2000) with 256 layers;
  // ~99% of draws cost one table lookup and a multiply, the rest fall back to exp/log.
  double exponential(double mean) { return mean * standard_exponential(); }
  double standard_exponential();
  // Standard normal (Marsaglia polar method, no cached spare so the state stays 32 bytes).
  double standard_normal();
  double normal(double mean, double stddev) { return mean + stddev * standard_normal(); }
  bool bernoulli(double p) { return uniform01() < p; }

  // A child stream: independent of this one and of other children with different names.
  Rng split(std::string_view name) const;

  const std::uint64_t* state() const { return s_; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  void seed_from(std::uint64_t x);
  std::uint64_t s_[4];
};

// 64-bit finalizer of SplitMix64 (a bijective mixer).
std::uint64_t mix64(std::uint64_t x);
// FNV-1a 64-bit hash of a string.
std::uint64_t fnv1a64(std::string_view s);

// A probability distribution over doubles, with the parameterisations scenarios use.
// Sample values are in the distribution's own unit (seconds, tokens, ...); the caller knows
// which. Constructors validate their parameters.
class Distribution {
 public:
  enum class Kind { kConstant, kExponential, kLogNormal, kNormal, kUniform, kEmpirical };

  static Distribution constant(double value);
  static Result<Distribution> exponential(double mean);
  // Log-normal with median p50 and 99th percentile p99. REQUIRES 0 < p50 <= p99.
  static Result<Distribution> lognormal_from_p50_p99(double p50, double p99);
  static Result<Distribution> lognormal(double mu, double sigma);
  // Normal. Callers that need non-negative values (durations) clamp at 0 themselves.
  static Result<Distribution> normal(double mean, double stddev);
  static Result<Distribution> uniform(double lo, double hi);
  // Discrete empirical: values with non-negative weights (sums to anything positive).
  static Result<Distribution> empirical(std::vector<double> values, std::vector<double> weights);
  // Continuous empirical from samples: inverse of the piecewise-linear empirical CDF.
  static Result<Distribution> empirical_continuous(std::vector<double> samples);

  double sample(Rng& rng) const;
  double mean() const;  // analytic mean (for the empirical ones, the weighted sample mean)
  Kind kind() const { return kind_; }
  std::string describe() const;

 private:
  Distribution() = default;
  Kind kind_ = Kind::kConstant;
  double a_ = 0;  // constant value / mean / mu / lo
  double b_ = 0;  // sigma / stddev / hi
  bool continuous_ = false;
  std::vector<double> values_;  // empirical: sorted values
  std::vector<double> cdf_;     // empirical: cumulative probability per value
};

}  // namespace kubesim::sim
