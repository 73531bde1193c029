// TokenBucket: client-go's client-side rate limiter (QPS and burst) in simulated integer time.
//
// What it reproduces (k8s.io/client-go/util/flowcontrol/throttle.go, which wraps
// golang.org/x/time/rate.Limiter): a bucket of capacity `burst` that starts full and refills
// continuously at `qps` tokens per second. Every request takes one token. When none is left
// the request waits until its token has accrued: the limiter hands out reservations, so the
// bucket goes into debt and the k-th request beyond the burst waits k / qps. Requests are
// served in the order they reserve. Accept()/Wait() is reserve() here; TryAccept() is
// try_accept().
//
// Exactness: tokens are kept as integers in units of 10^-12 token and the rate as an integer
// number of milli-tokens per second (qps is rounded to 0.001, ample for client-go's float32
// QPS settings), so each nanosecond adds exactly qps_milli units. Every delay is therefore
// exact, deterministic and the same on every platform: at QPS 5 and burst 10, ten requests
// at t = 0 wait 0 and the 11th, 12th, ... wait exactly 200 ms, 400 ms, ...  A wait is
// rounded up to the next nanosecond (x/time/rate truncates; the difference is < 1 ns).
//
// Time: calls are expected in non-decreasing time (one simulation clock). A call at a time
// before the previous one accrues nothing, as in x/time/rate, and its wait counts from its
// own time.
//
// Disabled limiting: client-go builds no limiter when QPS < 0 (rest/config.go,
// RESTClientFor); TokenBucket::unlimited() is that case and never delays.
//
// Not thread-safe; a plain value type.
#pragma once

#include <cstdint>

#include "sim/time.hpp"

namespace kubesim::models {

// A component's QPS and burst towards the API server.
struct ClientRateLimit {
  double qps;
  int burst;
};

// Upstream defaults (each is what the component uses when its configuration leaves the
// fields at zero):
// - client-go: k8s.io/client-go/rest/config.go, DefaultQPS 5.0 and DefaultBurst 10.
inline constexpr ClientRateLimit kClientGoDefaultRateLimit{5.0, 10};
// - kube-scheduler: pkg/scheduler/apis/config/v1/defaults.go, ClientConnection 50 / 100.
inline constexpr ClientRateLimit kKubeSchedulerDefaultRateLimit{50.0, 100};
// - kube-controller-manager: pkg/controller/apis/config/v1alpha1/defaults.go,
//   SetDefaults_KubeControllerManagerConfiguration, 20 / 30 (--kube-api-qps, --kube-api-burst).
inline constexpr ClientRateLimit kKubeControllerManagerDefaultRateLimit{20.0, 30};
// - kubelet: pkg/kubelet/apis/config/v1beta1/defaults.go, kubeAPIQPS 50 / kubeAPIBurst 100
//   since v1.27 (kubernetes/kubernetes#116121; 5 / 10 before).
inline constexpr ClientRateLimit kKubeletDefaultRateLimit{50.0, 100};

class TokenBucket {
 public:
  // Units of one token (10^12) and of the rate (milli-tokens per second).
  static constexpr std::int64_t kUnitsPerToken = 1'000'000'000'000;
  static constexpr std::int64_t kMaxBurst = 1'000'000;

  // A full bucket at time `start`. REQUIRES: qps >= 0.001 and finite, 1 <= burst <= kMaxBurst
  // (throws std::invalid_argument otherwise: a programming error; scenarios validate first).
  TokenBucket(double qps, int burst, sim::Time start = 0);
  explicit TokenBucket(ClientRateLimit limit, sim::Time start = 0)
      : TokenBucket(limit.qps, limit.burst, start) {}
  // A limiter that never delays (client-go with QPS < 0).
  static TokenBucket unlimited();

  // Takes one token for a request made at `now` and returns how long the request waits for
  // it (0 when a token was available). The request proceeds at now + the returned delay.
  sim::Duration reserve(sim::Time now);
  // Takes a token only if one is available at `now` without waiting (client-go TryAccept).
  bool try_accept(sim::Time now);
  // Tokens in the bucket at `now`, negative while reservations are outstanding.
  double tokens(sim::Time now) const;

  bool is_unlimited() const { return unlimited_; }
  double qps() const { return static_cast<double>(rate_) / 1000.0; }
  int burst() const { return static_cast<int>(capacity_ / kUnitsPerToken); }

 private:
  TokenBucket() = default;
  // Tokens (in units) at `now` from the stored state, capped at the capacity.
  std::int64_t tokens_at(sim::Time now) const;
  void advance(sim::Time now);

  bool unlimited_ = false;
  std::int64_t rate_ = 0;      // units per nanosecond = milli-tokens per second
  std::int64_t capacity_ = 0;  // burst × kUnitsPerToken
  std::int64_t tokens_ = 0;    // at last_, in units; negative = debt
  sim::Time last_ = 0;
};

}  // namespace kubesim::models
