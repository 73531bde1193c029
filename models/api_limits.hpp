// ApiServerLimits and ApiClient: the API server's admission limits and the client-go side
// that meets them. Requests are opaque (a verb, a size in bytes, a client id); what a
// request does to objects is the job of the store that will sit behind this layer.
//
// ApiServerLimits — the kube-apiserver replicas and their max-inflight filter
// (k8s.io/apiserver/pkg/server/filters/maxinflight.go, WithMaxInFlightLimit):
// - Each replica admits at most max_requests_inflight read-only requests (verbs get, list)
//   and max_mutating_requests_inflight mutating ones (create, update, patch, delete) at a
//   time, defaults 400 and 200 (--max-requests-inflight, --max-mutating-requests-inflight;
//   apiserver server/config.go). 0 disables a class's limit, as upstream. A request arriving
//   when its class is full is rejected at once with 429 "Too many requests, please try
//   again later." and Retry-After: 1 (the filter's constant retryAfter = "1").
// - An admitted request holds its seat for a service time, by default a draw of the verb's
//   latency distribution; a Handler can replace that (the object store, later), finishing
//   the request through complete().
// - Several replicas share the load: round-robin (default), seeded random, or by client
//   (a client keeps one replica, like an HTTP/2 connection). A replica can fail: its
//   in-flight requests fail with Unavailable "http2: client connection lost" and new
//   requests go to the survivors; with none alive a request fails with "connect: connection
//   refused". Watches and other long-running requests are exempt upstream and not modelled.
//
// ApiClient — one component's client-go REST client (k8s.io/client-go/rest):
// - Every attempt first waits for the client's token bucket (TokenBucket, QPS and burst).
// - On 429 (or 5xx with Retry-After) it sleeps Retry-After seconds and retries, throttled
//   again, up to max_retries retries (client-go default 10, request.go maxRetries; so at
//   most 11 attempts), with_retry.go. Reads (HTTP GET: get, list) are also retried after a
//   lost connection, with an implicit Retry-After of 1 s; writes are not (not idempotent).
// - The response carries the final status, the attempts made, the time spent and the time
//   spent waiting for the client's own rate limiter.
//
// Callbacks never run inside serve()/send(); every outcome is delivered from an event.
//
// Metrics. ApiServerLimits, under "<name>.": counters requests_served, requests_rejected
// (429; upstream apiserver_dropped_requests_total), requests_failed (replica failures);
// gauges inflight_readonly, inflight_mutating (over all replicas); histogram latency_s
// (service time of served requests). ApiClient, under "<name>.": counters requests,
// retries, requests_failed; histograms latency_s (send to final response) and
// rate_limiter_wait_s (time waiting for the token bucket, per attempt; upstream
// rest_client_rate_limiter_duration_seconds).
//
// Determinism: service times draw from "<name>/latency", random replica choice from
// "<name>/replica". Not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "models/token_bucket.hpp"
#include "sim/metrics.hpp"
#include "sim/random.hpp"
#include "sim/simulation.hpp"
#include "sim/slot_pool.hpp"
#include "sim/status.hpp"
#include "sim/time.hpp"

namespace kubesim::models {

enum class ApiVerb : std::uint8_t { kGet, kList, kCreate, kUpdate, kPatch, kDelete };
inline constexpr int kApiVerbCount = 6;
std::string_view api_verb_name(ApiVerb verb);  // "get", "list", "create", ...
// Upstream maxinflight.go: non-mutating verbs are get, list and watch.
constexpr bool is_mutating(ApiVerb verb) { return verb != ApiVerb::kGet && verb != ApiVerb::kList; }

struct ApiRequest {
  ApiVerb verb = ApiVerb::kGet;
  std::int64_t bytes = 0;    // request body (writes) or expected response (reads); opaque
  std::uint32_t client = 0;  // opaque: who asked (also the key of ReplicaSelection::kByClient)
  std::uint64_t tag = 0;     // opaque: the API server's id of what the request does
};

// The outcome of one attempt at the server.
struct ApiAttempt {
  sim::Status status;             // ok, TooManyRequests (429) or Unavailable
  int http_code = 200;            // 200, 429, or 0 for a connection-level failure
  sim::Duration retry_after = 0;  // the Retry-After the server sent (429), else 0
  bool connection_lost = false;   // the replica failed while serving the request
  int replica = -1;               // the replica that answered; -1 when none was reachable
};
using ApiAttemptCallback = std::function<void(const ApiAttempt&)>;

enum class ReplicaSelection : std::uint8_t { kRoundRobin, kRandom, kByClient };

inline constexpr std::string_view kApiErrTooManyRequests =
    "Too many requests, please try again later.";
inline constexpr std::string_view kApiErrConnectionLost = "http2: client connection lost";
inline constexpr std::string_view kApiErrConnectionRefused = "connect: connection refused";

// Service-time distributions per verb (seconds), indexed by ApiVerb.
using ApiVerbLatencies = std::array<sim::Distribution, kApiVerbCount>;
// Defaults (assumptions, see docs/control-plane.md): get p50 1 ms / p99 10 ms; list 5 / 100
// ms; create, update, patch and delete 5 / 50 ms (the 5–50 ms of a bind call).
ApiVerbLatencies default_api_verb_latencies();

struct ApiServerLimitsConfig {
  std::string name = "apiserver";
  int replicas = 1;
  int max_requests_inflight = 400;           // read-only, per replica; 0 = no limit
  int max_mutating_requests_inflight = 200;  // per replica; 0 = no limit
  sim::Duration retry_after = sim::kSecond;  // the Retry-After header of a 429
  ReplicaSelection selection = ReplicaSelection::kRoundRobin;
  ApiVerbLatencies latency = default_api_verb_latencies();
};

// Identifies an admitted request while it holds its seat.
struct ApiTicket {
  std::uint32_t slot = UINT32_MAX;
  std::uint32_t generation = 0;
};

class ApiServerLimits {
 public:
  // Replaces the service-time model: called when a request is admitted on `replica`; the
  // handler must eventually call complete(ticket, status) from a later event, not from
  // inside the handler call (complete() delivers the response at once). A complete() after
  // the replica failed is ignored.
  using Handler = std::function<void(ApiTicket ticket, const ApiRequest& request, int replica)>;

  static sim::Status validate(const ApiServerLimitsConfig& config);
  // REQUIRES: validate(config).ok() (throws std::invalid_argument otherwise).
  ApiServerLimits(sim::Simulation& sim, sim::MetricRegistry& metrics, ApiServerLimitsConfig config);
  ApiServerLimits(const ApiServerLimits&) = delete;
  ApiServerLimits& operator=(const ApiServerLimits&) = delete;

  // One attempt: admission on a replica, then service; `done` runs once, from an event.
  void serve(const ApiRequest& request, ApiAttemptCallback done);

  void set_handler(Handler handler) { handler_ = std::move(handler); }
  // Finishes an admitted request. False when the ticket is no longer in flight.
  bool complete(ApiTicket ticket, sim::Status status = sim::Status());

  // Faults. False when the replica was already in that state. REQUIRES: 0 <= r < replicas.
  bool fail_replica(int replica);
  bool recover_replica(int replica);

  const ApiServerLimitsConfig& config() const { return config_; }
  int replicas() const { return config_.replicas; }
  int live_replicas() const { return live_; }
  bool replica_alive(int replica) const { return replicas_.at(replica).alive; }
  int inflight(int replica, bool mutating) const {
    const Replica& r = replicas_.at(replica);
    return mutating ? r.mutating : r.readonly;
  }

 private:
  struct Replica {
    bool alive = true;
    int readonly = 0;
    int mutating = 0;
  };
  struct InFlight {
    ApiAttemptCallback done;
    ApiRequest request;
    sim::Time admitted = 0;
    std::uint64_t sequence = 0;  // admission order, to fail a replica's requests in order
    sim::EventHandle service;    // the default service-time event
    int replica = -1;
    std::uint32_t generation = 0;
    bool active = false;
  };

  int pick_replica(std::uint32_t client);
  void release(std::uint32_t slot);
  // Delivers `attempt` to `done` from an event at the current time.
  void respond_soon(ApiAttemptCallback done, ApiAttempt attempt);
  void update_gauges();

  sim::Simulation& sim_;
  ApiServerLimitsConfig config_;
  sim::Rng latency_rng_;
  sim::Rng replica_rng_;
  Handler handler_;
  std::vector<Replica> replicas_;
  int live_ = 0;
  std::uint32_t round_robin_ = 0;
  std::uint64_t admitted_ = 0;
  int total_readonly_ = 0;
  int total_mutating_ = 0;

  sim::SlotPool<InFlight> slots_;
  // Responses waiting for their delivery event (immediate outcomes).
  std::vector<std::pair<ApiAttemptCallback, ApiAttempt>> outbox_;
  std::vector<std::uint32_t> outbox_free_;

  sim::Counter& served_;
  sim::Counter& rejected_;
  sim::Counter& failed_;
  sim::Gauge& inflight_readonly_;
  sim::Gauge& inflight_mutating_;
  sim::Histogram& latency_;
};

struct ApiClientConfig {
  std::string name = "client";
  ClientRateLimit rate_limit = kClientGoDefaultRateLimit;
  bool rate_limited = true;  // false: no client-side limiter (client-go with QPS < 0)
  int max_retries = 10;      // client-go rest.Request default
};

struct ApiResponse {
  sim::Status status;
  int attempts = 0;
  int replica = -1;             // the replica of the last attempt
  sim::Duration latency = 0;    // send() to the final response
  sim::Duration throttled = 0;  // of which waiting for the client's token bucket
};
using ApiResponseCallback = std::function<void(const ApiResponse&)>;

class ApiClient {
 public:
  // The token bucket starts full at sim.now(). REQUIRES: max_retries >= 0 and a valid rate
  // limit (TokenBucket's requirements) when rate_limited.
  ApiClient(sim::Simulation& sim, sim::MetricRegistry& metrics, ApiServerLimits& server,
            ApiClientConfig config);
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // Sends a request with client-go's throttling and retries; `done` runs once, from an
  // event.
  void send(const ApiRequest& request, ApiResponseCallback done);

  const ApiClientConfig& config() const { return config_; }
  const TokenBucket& bucket() const { return bucket_; }

 private:
  struct Pending {
    ApiResponseCallback done;
    ApiRequest request;
    sim::Time sent = 0;
    sim::Duration throttled = 0;
    int attempts = 0;
  };

  // Waits for a token, then makes the next attempt.
  void throttle_then_attempt(std::uint32_t slot);
  void attempt(std::uint32_t slot);
  void on_attempt(std::uint32_t slot, const ApiAttempt& attempt);

  sim::Simulation& sim_;
  ApiServerLimits& server_;
  ApiClientConfig config_;
  TokenBucket bucket_;
  sim::SlotPool<Pending> slots_;

  sim::Counter& requests_;
  sim::Counter& retries_;
  sim::Counter& failed_;
  sim::Histogram& latency_;
  sim::Histogram& rate_limiter_wait_;
};

}  // namespace kubesim::models
