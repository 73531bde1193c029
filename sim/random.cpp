#include "sim/random.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

namespace kubesim::sim {

std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t fnv1a64(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

Rng::Rng(std::uint64_t seed, std::uint64_t replication, std::string_view name) {
  // Each input passes through the bijective mixer before the next is folded in, so
  // (seed, replication, name) triples that differ anywhere give unrelated states.
  std::uint64_t x = mix64(seed);
  x = mix64(x ^ mix64(replication ^ 0x5851f42d4c957f2dULL));
  x = mix64(x ^ fnv1a64(name));
  seed_from(x);
}

Rng::Rng(std::uint64_t raw_seed) { seed_from(raw_seed); }

void Rng::seed_from(std::uint64_t x) {
  // SplitMix64 sequence, as the xoshiro authors recommend; never all zero.
  for (auto& word : s_) {
    x += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    word = z ^ (z >> 31);
  }
}

Rng Rng::split(std::string_view name) const {
  return Rng(mix64(s_[0] ^ mix64(s_[2] ^ fnv1a64(name))));
}

std::uint64_t Rng::below(std::uint64_t n) {
  // Lemire, "Fast Random Integer Generation in an Interval" (2019).
  __extension__ using u128 = unsigned __int128;
  u128 m = static_cast<u128>(next_u64()) * n;
  auto low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<u128>(next_u64()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

namespace {
// Ziggurat tables for the standard exponential (Marsaglia & Tsang, "The Ziggurat Method for
// Generating Random Variables", J. Stat. Software 5(8), 2000: 256 layers, r = 7.6971...).
// Built once from the paper's recurrence; integer thresholds compare 32 random bits.
struct ExponentialZiggurat {
  std::uint32_t k[256];
  double w[256];
  double f[256];
  ExponentialZiggurat() {
    constexpr double m = 4294967296.0;  // 2^32
    double d = 7.697117470131487;       // r: start of the tail
    double t = d;
    constexpr double v = 3.949659822581572e-3;  // area of each layer
    const double q = v / std::exp(-d);
    k[0] = static_cast<std::uint32_t>((d / q) * m);
    k[1] = 0;
    w[0] = q / m;
    w[255] = d / m;
    f[0] = 1.0;
    f[255] = std::exp(-d);
    for (int i = 254; i >= 1; --i) {
      d = -std::log(v / d + std::exp(-d));
      k[i + 1] = static_cast<std::uint32_t>((d / t) * m);
      t = d;
      f[i] = std::exp(-d);
      w[i] = d / m;
    }
  }
};
// Built at load time rather than on first use, so draws pay no initialisation guard. Nothing
// draws random numbers during static initialisation (there is no global generator).
const ExponentialZiggurat kZiggurat;
}  // namespace

double Rng::standard_exponential() {
  const ExponentialZiggurat& z = kZiggurat;
  for (;;) {
    const std::uint64_t u = next_u64();
    const auto layer = static_cast<unsigned>(u & 255);
    const auto j = static_cast<std::uint32_t>(u >> 32);
    const double x = j * z.w[layer];
    if (j < z.k[layer]) return x;  // inside the layer's rectangle: accept at once
    if (layer == 0) return 7.697117470131487 - std::log(uniform01_open_low());  // the tail
    // The wedge between this layer's rectangle and the curve: accept under the density.
    if (z.f[layer] + uniform01() * (z.f[layer - 1] - z.f[layer]) < std::exp(-x)) return x;
  }
}

double Rng::standard_normal() {
  for (;;) {
    const double u = 2 * uniform01() - 1;
    const double v = 2 * uniform01() - 1;
    const double s = u * u + v * v;
    if (s > 0 && s < 1) return u * std::sqrt(-2 * std::log(s) / s);
  }
}

// ---------------------------------------------------------------------------------------
// Distribution

namespace {
// Φ⁻¹(0.99): the 99th percentile of the standard normal.
constexpr double kZ99 = 2.3263478740408408;

Status bad(const std::string& what) { return Status::invalid_argument(what); }
std::string num(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}
}  // namespace

Distribution Distribution::constant(double value) {
  Distribution d;
  d.kind_ = Kind::kConstant;
  d.a_ = value;
  return d;
}

Result<Distribution> Distribution::exponential(double mean) {
  if (!(mean > 0) || !std::isfinite(mean)) {
    return bad("exponential: mean must be a positive number, got " + num(mean));
  }
  Distribution d;
  d.kind_ = Kind::kExponential;
  d.a_ = mean;
  return d;
}

Result<Distribution> Distribution::lognormal_from_p50_p99(double p50, double p99) {
  if (!(p50 > 0) || !std::isfinite(p50)) {
    return bad("lognormal: p50 must be positive, got " + num(p50));
  }
  if (!(p99 >= p50) || !std::isfinite(p99)) {
    return bad("lognormal: p99 must be at least p50 (" + num(p50) + "), got " + num(p99));
  }
  return lognormal(std::log(p50), (std::log(p99) - std::log(p50)) / kZ99);
}

Result<Distribution> Distribution::lognormal(double mu, double sigma) {
  if (!std::isfinite(mu) || !(sigma >= 0) || !std::isfinite(sigma)) {
    return bad("lognormal: need a finite mu and sigma >= 0, got mu=" + num(mu) +
               " sigma=" + num(sigma));
  }
  Distribution d;
  d.kind_ = Kind::kLogNormal;
  d.a_ = mu;
  d.b_ = sigma;
  return d;
}

Result<Distribution> Distribution::normal(double mean, double stddev) {
  if (!std::isfinite(mean) || !(stddev >= 0) || !std::isfinite(stddev)) {
    return bad("normal: need a finite mean and stddev >= 0, got mean=" + num(mean) +
               " stddev=" + num(stddev));
  }
  Distribution d;
  d.kind_ = Kind::kNormal;
  d.a_ = mean;
  d.b_ = stddev;
  return d;
}

Result<Distribution> Distribution::uniform(double lo, double hi) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo <= hi)) {
    return bad("uniform: need finite min <= max, got min=" + num(lo) + " max=" + num(hi));
  }
  Distribution d;
  d.kind_ = Kind::kUniform;
  d.a_ = lo;
  d.b_ = hi;
  return d;
}

Result<Distribution> Distribution::empirical(std::vector<double> values,
                                             std::vector<double> weights) {
  if (values.empty()) return bad("empirical: needs at least one value");
  if (weights.empty()) weights.assign(values.size(), 1.0);
  if (weights.size() != values.size()) {
    return bad("empirical: " + std::to_string(values.size()) + " values but " +
               std::to_string(weights.size()) + " weights");
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) return bad("empirical: value #" + std::to_string(i + 1) + " is not finite");
    if (!(weights[i] >= 0) || !std::isfinite(weights[i])) {
      return bad("empirical: weight #" + std::to_string(i + 1) + " must be >= 0, got " +
                 num(weights[i]));
    }
  }
  // Sort by value so the CDF is monotone and sampling is independent of input order.
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t x, std::size_t y) { return values[x] < values[y]; });
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  if (!(total > 0)) return bad("empirical: the weights sum to zero");
  if (!std::isfinite(total)) return bad("empirical: the weights sum to infinity; scale them down");
  Distribution d;
  d.kind_ = Kind::kEmpirical;
  double acc = 0;
  for (const std::size_t i : order) {
    acc += weights[i];
    d.values_.push_back(values[i]);
    d.cdf_.push_back(acc / total);
  }
  d.cdf_.back() = 1.0;
  return d;
}

Result<Distribution> Distribution::empirical_continuous(std::vector<double> samples) {
  if (samples.empty()) return bad("empirical: needs at least one sample");
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (!std::isfinite(samples[i])) return bad("empirical: sample #" + std::to_string(i + 1) + " is not finite");
  }
  std::sort(samples.begin(), samples.end());
  Distribution d;
  d.kind_ = Kind::kEmpirical;
  d.continuous_ = true;
  d.values_ = std::move(samples);
  return d;
}

double Distribution::sample(Rng& rng) const {
  switch (kind_) {
    case Kind::kConstant:
      return a_;
    case Kind::kExponential:
      return rng.exponential(a_);
    case Kind::kLogNormal:
      return std::exp(a_ + b_ * rng.standard_normal());
    case Kind::kNormal:
      return rng.normal(a_, b_);
    case Kind::kUniform:
      return rng.uniform(a_, b_);
    case Kind::kEmpirical: {
      const double u = rng.uniform01();
      if (continuous_) {
        // Inverse of the CDF that rises linearly from sample i to sample i+1.
        if (values_.size() == 1) return values_[0];
        const double pos = u * static_cast<double>(values_.size() - 1);
        const auto i = static_cast<std::size_t>(pos);
        const double frac = pos - static_cast<double>(i);
        return values_[i] + frac * (values_[i + 1] - values_[i]);
      }
      const auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
      return values_[static_cast<std::size_t>(it - cdf_.begin())];
    }
  }
  return a_;
}

double Distribution::mean() const {
  switch (kind_) {
    case Kind::kConstant:
    case Kind::kExponential:
      return a_;
    case Kind::kLogNormal:
      return std::exp(a_ + b_ * b_ / 2);
    case Kind::kNormal:
      return a_;
    case Kind::kUniform:
      return (a_ + b_) / 2;
    case Kind::kEmpirical: {
      if (continuous_) {
        // Mean of the piecewise-linear interpolation: trapezoid over equal-probability steps.
        if (values_.size() == 1) return values_[0];
        double sum = 0;
        for (std::size_t i = 0; i + 1 < values_.size(); ++i) sum += (values_[i] + values_[i + 1]) / 2;
        return sum / static_cast<double>(values_.size() - 1);
      }
      double sum = 0;
      double prev = 0;
      for (std::size_t i = 0; i < values_.size(); ++i) {
        sum += values_[i] * (cdf_[i] - prev);
        prev = cdf_[i];
      }
      return sum;
    }
  }
  return a_;
}

std::string Distribution::describe() const {
  switch (kind_) {
    case Kind::kConstant:
      return "constant(" + num(a_) + ")";
    case Kind::kExponential:
      return "exponential(mean=" + num(a_) + ")";
    case Kind::kLogNormal:
      return "lognormal(mu=" + num(a_) + ", sigma=" + num(b_) + ")";
    case Kind::kNormal:
      return "normal(mean=" + num(a_) + ", stddev=" + num(b_) + ")";
    case Kind::kUniform:
      return "uniform(" + num(a_) + ", " + num(b_) + ")";
    case Kind::kEmpirical:
      return std::string(continuous_ ? "empirical-continuous(" : "empirical(") +
             std::to_string(values_.size()) + " values)";
  }
  return "?";
}

}  // namespace kubesim::sim
