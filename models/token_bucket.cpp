#include "models/token_bucket.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace kubesim::models {

TokenBucket::TokenBucket(double qps, int burst, sim::Time start) {
  if (!std::isfinite(qps) || qps < 0.001 || qps > 1e9) {
    throw std::invalid_argument("TokenBucket: qps must be in [0.001, 1e9], got " +
                                std::to_string(qps));
  }
  if (burst < 1 || burst > kMaxBurst) {
    throw std::invalid_argument("TokenBucket: burst must be in [1, 1000000], got " +
                                std::to_string(burst));
  }
  rate_ = std::llround(qps * 1000.0);
  capacity_ = static_cast<std::int64_t>(burst) * kUnitsPerToken;
  tokens_ = capacity_;
  last_ = start;
}

TokenBucket TokenBucket::unlimited() {
  TokenBucket bucket;
  bucket.unlimited_ = true;
  return bucket;
}

std::int64_t TokenBucket::tokens_at(sim::Time now) const {
  if (now <= last_ || tokens_ >= capacity_) return tokens_;
  const std::int64_t missing = capacity_ - tokens_;
  // elapsed × rate overflows int64 after ~21 days at QPS 5000: the bucket is full by then.
  std::int64_t accrued = 0;
  if (__builtin_mul_overflow(now - last_, rate_, &accrued) || accrued >= missing) {
    return capacity_;
  }
  return tokens_ + accrued;
}

void TokenBucket::advance(sim::Time now) {
  if (now <= last_) return;  // x/time/rate: a time before the last is the last
  tokens_ = tokens_at(now);
  last_ = now;
}

sim::Duration TokenBucket::reserve(sim::Time now) {
  if (unlimited_) return 0;
  advance(now);
  tokens_ -= kUnitsPerToken;
  if (tokens_ >= 0) return 0;
  // The debt is repaid at rate_ units per nanosecond; round up so the token exists by then.
  const std::int64_t debt = -tokens_;
  return (debt + rate_ - 1) / rate_;
}

bool TokenBucket::try_accept(sim::Time now) {
  if (unlimited_) return true;
  advance(now);
  if (tokens_ < kUnitsPerToken) return false;
  tokens_ -= kUnitsPerToken;
  return true;
}

double TokenBucket::tokens(sim::Time now) const {
  if (unlimited_) return INFINITY;
  return static_cast<double>(tokens_at(now)) / static_cast<double>(kUnitsPerToken);
}

}  // namespace kubesim::models
