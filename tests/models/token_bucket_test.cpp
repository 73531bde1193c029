// Tests of models/token_bucket.hpp: client-go's token-bucket rate limiter in integer time.
//
// Expected delays are worked out by hand from the limiter's definition: a bucket of `burst`
// tokens, full at the start, refilled at `qps` tokens per second, one token per request,
// reservations going into debt. At QPS q the k-th request beyond the burst made at once
// waits k / q seconds.
#include "models/token_bucket.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <vector>

#include "sim/time.hpp"

namespace kubesim::models {
namespace {

using sim::milliseconds;
using sim::seconds;

TEST_CASE("token bucket: a burst at QPS 5 burst 10 waits 0 ten times, then 200 ms steps",
          "[token_bucket]") {
  TokenBucket bucket(5.0, 10);
  std::vector<sim::Duration> waits;
  for (int i = 0; i < 14; ++i) waits.push_back(bucket.reserve(0));
  // Ten free tokens, then 200, 400, 600 and 800 ms.
  std::vector<sim::Duration> expected(10, 0);
  for (const int ms : {200, 400, 600, 800}) expected.push_back(milliseconds(ms));
  CHECK(waits == expected);
  CHECK(bucket.tokens(0) == Approx(-4.0));
}

TEST_CASE("token bucket: tokens accrue continuously and the bucket caps at burst",
          "[token_bucket]") {
  TokenBucket bucket(5.0, 10);
  for (int i = 0; i < 10; ++i) REQUIRE(bucket.reserve(0) == 0);
  // 100 ms later half a token has accrued: the next request waits the other 100 ms.
  CHECK(bucket.reserve(milliseconds(100)) == milliseconds(100));
  // That reservation left the bucket at -0.5 at 100 ms; at 300 ms it holds 0.5.
  CHECK(bucket.tokens(milliseconds(300)) == Approx(0.5));
  // After a long idle period the bucket is full again, but never above burst.
  CHECK(bucket.tokens(seconds(60)) == Approx(10.0));
  for (int i = 0; i < 10; ++i) CHECK(bucket.reserve(seconds(60)) == 0);
  CHECK(bucket.reserve(seconds(60)) == milliseconds(200));
}

TEST_CASE("token bucket: sustained requests at exactly QPS never wait after the burst",
          "[token_bucket]") {
  TokenBucket bucket(20.0, 30);
  // One request every 50 ms (= 1/20 s) from t = 0: the bucket stays full minus one.
  for (int i = 0; i < 1000; ++i) REQUIRE(bucket.reserve(milliseconds(50) * i) == 0);
  // One request every 40 ms (25/s > 20/s) drains the 30-token burst: each request takes
  // 1 token and 40 ms return 0.8. After request 0 the bucket holds 29, after request i
  // 29 − 0.2·i, which first goes below zero at i = 146.
  TokenBucket fast(20.0, 30);
  int first_wait = -1;
  for (int i = 0; i < 400 && first_wait < 0; ++i) {
    if (fast.reserve(milliseconds(40) * i) > 0) first_wait = i;
  }
  CHECK(first_wait == 146);
}

TEST_CASE("token bucket: fractional QPS is exact to the nanosecond", "[token_bucket]") {
  TokenBucket half(0.5, 1);  // one token every 2 s
  CHECK(half.reserve(0) == 0);
  CHECK(half.reserve(0) == seconds(2));
  CHECK(half.reserve(0) == seconds(4));
  TokenBucket third(3.0, 1);  // 333,333,333.3 ns per token, rounded up
  CHECK(third.reserve(0) == 0);
  CHECK(third.reserve(0) == 333'333'334);
  CHECK(third.reserve(0) == 666'666'667);
}

TEST_CASE("token bucket: try_accept takes a token only when one is there", "[token_bucket]") {
  TokenBucket bucket(kClientGoDefaultRateLimit);
  for (int i = 0; i < 10; ++i) REQUIRE(bucket.try_accept(0));
  CHECK_FALSE(bucket.try_accept(0));
  CHECK_FALSE(bucket.try_accept(milliseconds(199)));
  CHECK(bucket.try_accept(milliseconds(200)));
  CHECK_FALSE(bucket.try_accept(milliseconds(200)));       // a refused try takes nothing...
  CHECK(bucket.tokens(milliseconds(400)) == Approx(1.0));  // ...so one token accrues by 400
}

TEST_CASE("token bucket: the bucket starts full at its creation time", "[token_bucket]") {
  TokenBucket bucket(5.0, 2, seconds(10));
  CHECK(bucket.reserve(seconds(10)) == 0);
  CHECK(bucket.reserve(seconds(10)) == 0);
  CHECK(bucket.reserve(seconds(10)) == milliseconds(200));
}

TEST_CASE("token bucket: unlimited never delays", "[token_bucket]") {
  TokenBucket bucket = TokenBucket::unlimited();
  CHECK(bucket.is_unlimited());
  for (int i = 0; i < 100'000; ++i) REQUIRE(bucket.reserve(0) == 0);
  CHECK(bucket.try_accept(0));
}

TEST_CASE("token bucket: upstream component defaults", "[token_bucket]") {
  CHECK(kClientGoDefaultRateLimit.qps == 5.0);
  CHECK(kClientGoDefaultRateLimit.burst == 10);
  CHECK(kKubeSchedulerDefaultRateLimit.qps == 50.0);
  CHECK(kKubeSchedulerDefaultRateLimit.burst == 100);
  CHECK(kKubeControllerManagerDefaultRateLimit.qps == 20.0);
  CHECK(kKubeControllerManagerDefaultRateLimit.burst == 30);
  CHECK(kKubeletDefaultRateLimit.qps == 50.0);
  CHECK(kKubeletDefaultRateLimit.burst == 100);
  TokenBucket scheduler(kKubeSchedulerDefaultRateLimit);
  CHECK(scheduler.qps() == 50.0);
  CHECK(scheduler.burst() == 100);
  // 100 binds at once pass; the 101st waits 1/50 s.
  for (int i = 0; i < 100; ++i) REQUIRE(scheduler.reserve(0) == 0);
  CHECK(scheduler.reserve(0) == milliseconds(20));
}

TEST_CASE("token bucket: invalid parameters are rejected", "[token_bucket]") {
  CHECK_THROWS_AS(TokenBucket(0.0, 10), std::invalid_argument);
  CHECK_THROWS_AS(TokenBucket(-1.0, 10), std::invalid_argument);
  CHECK_THROWS_AS(TokenBucket(5.0, 0), std::invalid_argument);
}

TEST_CASE("token bucket: a month-long idle gap does not overflow", "[token_bucket]") {
  TokenBucket bucket(5000.0, 3);
  for (int i = 0; i < 3; ++i) REQUIRE(bucket.reserve(0) == 0);
  const sim::Time later = sim::hours(24 * 30);
  CHECK(bucket.tokens(later) == Approx(3.0));
  for (int i = 0; i < 3; ++i) CHECK(bucket.reserve(later) == 0);
  CHECK(bucket.reserve(later) == sim::microseconds(200));
}

}  // namespace
}  // namespace kubesim::models
