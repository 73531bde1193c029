#include "models/api_limits.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace kubesim::models {

std::string_view api_verb_name(ApiVerb verb) {
  switch (verb) {
    case ApiVerb::kGet:
      return "get";
    case ApiVerb::kList:
      return "list";
    case ApiVerb::kCreate:
      return "create";
    case ApiVerb::kUpdate:
      return "update";
    case ApiVerb::kPatch:
      return "patch";
    case ApiVerb::kDelete:
      return "delete";
  }
  return "unknown";
}

ApiVerbLatencies default_api_verb_latencies() {
  const auto lognormal = [](double p50, double p99) {
    return sim::Distribution::lognormal_from_p50_p99(p50, p99).value();
  };
  const sim::Distribution write = lognormal(5e-3, 50e-3);
  return ApiVerbLatencies{
      lognormal(1e-3, 10e-3), lognormal(5e-3, 100e-3), write, write, write, write};
}

namespace {

// The HTTP status the API server answers a failed request with, by Status code.
int http_code_of(sim::Status::Code code) {
  using Code = sim::Status::Code;
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kInvalidArgument:
      return 422;
    case Code::kNotFound:
      return 404;
    case Code::kAlreadyExists:
    case Code::kConflict:
      return 409;
    case Code::kGone:
      return 410;
    case Code::kTooManyRequests:
      return 429;
    case Code::kUnavailable:
      return 503;
    case Code::kResourceExhausted:
    case Code::kOutOfRange:
    case Code::kInternal:
      return 500;
  }
  return 500;
}

}  // namespace

// --- ApiServerLimits --------------------------------------------------------------------

sim::Status ApiServerLimits::validate(const ApiServerLimitsConfig& c) {
  auto bad = [](std::string msg) { return sim::Status::invalid_argument(std::move(msg)); };
  if (c.name.empty()) return bad("apiserver: name must not be empty");
  if (c.replicas < 1) {
    return bad("apiserver: replicas must be at least 1, got " + std::to_string(c.replicas));
  }
  if (c.max_requests_inflight < 0) {
    return bad("apiserver: max_requests_inflight must not be negative (0 disables the limit)");
  }
  if (c.max_mutating_requests_inflight < 0) {
    return bad(
        "apiserver: max_mutating_requests_inflight must not be negative (0 disables the "
        "limit)");
  }
  if (c.retry_after < sim::kSecond || c.retry_after % sim::kSecond != 0) {
    return bad("apiserver: retry_after must be a whole number of seconds, at least 1s");
  }
  return sim::Status();
}

ApiServerLimits::ApiServerLimits(sim::Simulation& sim, sim::MetricRegistry& metrics,
                                 ApiServerLimitsConfig config)
    : sim_(sim),
      config_(std::move(config)),
      latency_rng_(sim.rng(config_.name + "/latency")),
      replica_rng_(sim.rng(config_.name + "/replica")),
      served_(metrics.counter(config_.name + ".requests_served")),
      rejected_(metrics.counter(config_.name + ".requests_rejected")),
      failed_(metrics.counter(config_.name + ".requests_failed")),
      inflight_readonly_(metrics.gauge(config_.name + ".inflight_readonly")),
      inflight_mutating_(metrics.gauge(config_.name + ".inflight_mutating")),
      latency_(metrics.histogram(config_.name + ".latency_s")) {
  if (const sim::Status s = validate(config_); !s.ok()) throw std::invalid_argument(s.message());
  replicas_.assign(static_cast<std::size_t>(config_.replicas), Replica{});
  live_ = config_.replicas;
}

int ApiServerLimits::pick_replica(std::uint32_t client) {
  const int n = config_.replicas;
  if (config_.selection == ReplicaSelection::kRoundRobin) {
    for (int i = 0; i < n; ++i) {
      const int r = static_cast<int>((round_robin_ + static_cast<std::uint32_t>(i)) %
                                     static_cast<std::uint32_t>(n));
      if (replicas_[static_cast<std::size_t>(r)].alive) {
        round_robin_ = static_cast<std::uint32_t>(r + 1) % static_cast<std::uint32_t>(n);
        return r;
      }
    }
    return -1;
  }
  // The k-th live replica, k random or the client's residue.
  std::uint64_t k = config_.selection == ReplicaSelection::kRandom
                        ? replica_rng_.below(static_cast<std::uint64_t>(live_))
                        : client % static_cast<std::uint64_t>(live_);
  for (int r = 0; r < n; ++r) {
    if (!replicas_[static_cast<std::size_t>(r)].alive) continue;
    if (k == 0) return r;
    --k;
  }
  return -1;
}

void ApiServerLimits::respond_soon(ApiAttemptCallback done, ApiAttempt attempt) {
  std::uint32_t index;
  if (outbox_free_.empty()) {
    index = static_cast<std::uint32_t>(outbox_.size());
    outbox_.emplace_back(std::move(done), std::move(attempt));
  } else {
    index = outbox_free_.back();
    outbox_free_.pop_back();
    outbox_[index] = std::make_pair(std::move(done), std::move(attempt));
  }
  sim_.schedule_after(0, [this, index] {
    ApiAttemptCallback cb = std::move(outbox_[index].first);
    const ApiAttempt a = std::move(outbox_[index].second);
    outbox_[index].first = nullptr;
    outbox_free_.push_back(index);
    if (cb) cb(a);
  });
}

void ApiServerLimits::serve(const ApiRequest& request, ApiAttemptCallback done) {
  if (live_ == 0) {
    failed_.add();
    ApiAttempt a;
    a.status = sim::Status::unavailable(std::string(kApiErrConnectionRefused));
    a.http_code = 0;
    respond_soon(std::move(done), std::move(a));
    return;
  }
  const int r = pick_replica(request.client);
  Replica& replica = replicas_[static_cast<std::size_t>(r)];
  const bool mutating = is_mutating(request.verb);
  const int limit =
      mutating ? config_.max_mutating_requests_inflight : config_.max_requests_inflight;
  int& inflight = mutating ? replica.mutating : replica.readonly;
  if (limit > 0 && inflight >= limit) {
    // upstream: maxinflight.go tooManyRequests(): 429 with Retry-After: 1.
    rejected_.add();
    ApiAttempt a;
    a.status = sim::Status::too_many_requests(std::string(kApiErrTooManyRequests));
    a.http_code = 429;
    a.retry_after = config_.retry_after;
    a.replica = r;
    respond_soon(std::move(done), std::move(a));
    return;
  }
  ++inflight;
  (mutating ? total_mutating_ : total_readonly_) += 1;
  update_gauges();

  const std::uint32_t slot = slots_.acquire();
  InFlight& f = slots_[slot];
  f.done = std::move(done);
  f.request = request;
  f.admitted = sim_.now();
  f.sequence = admitted_++;
  f.replica = r;
  f.active = true;
  const ApiTicket ticket{slot, f.generation};
  if (handler_) {
    f.service = sim::EventHandle();
    handler_(ticket, request, r);
    return;
  }
  const double seconds =
      config_.latency[static_cast<std::size_t>(request.verb)].sample(latency_rng_);
  f.service = sim_.schedule_after(sim::from_seconds(std::max(0.0, seconds)),
                                  [this, ticket] { complete(ticket); });
}

void ApiServerLimits::release(std::uint32_t slot) {
  InFlight& f = slots_[slot];
  Replica& replica = replicas_[static_cast<std::size_t>(f.replica)];
  if (is_mutating(f.request.verb)) {
    --replica.mutating;
    --total_mutating_;
  } else {
    --replica.readonly;
    --total_readonly_;
  }
  update_gauges();
  f.active = false;
  ++f.generation;
  f.done = nullptr;
  slots_.release(slot);
}

bool ApiServerLimits::complete(ApiTicket ticket, sim::Status status) {
  if (ticket.slot >= slots_.size()) return false;
  InFlight& f = slots_[ticket.slot];
  if (!f.active || f.generation != ticket.generation) return false;
  served_.add();
  latency_.record_duration(sim_.now() - f.admitted);
  ApiAttempt a;
  a.http_code = http_code_of(status.code());
  a.status = std::move(status);
  a.replica = f.replica;
  ApiAttemptCallback done = std::move(f.done);
  release(ticket.slot);
  if (done) done(a);
  return true;
}

bool ApiServerLimits::fail_replica(int replica) {
  Replica& rep = replicas_.at(static_cast<std::size_t>(replica));
  if (!rep.alive) return false;
  rep.alive = false;
  --live_;
  // Fail its in-flight requests, in the order they were admitted.
  std::vector<std::uint32_t> lost;
  for (std::uint32_t s = 0; s < slots_.size(); ++s) {
    if (slots_[s].active && slots_[s].replica == replica) lost.push_back(s);
  }
  std::sort(lost.begin(), lost.end(), [this](std::uint32_t a, std::uint32_t b) {
    return slots_[a].sequence < slots_[b].sequence;
  });
  for (const std::uint32_t s : lost) {
    sim_.cancel(slots_[s].service);
    failed_.add();
    ApiAttempt a;
    a.status = sim::Status::unavailable(std::string(kApiErrConnectionLost));
    a.http_code = 0;
    a.connection_lost = true;
    a.replica = replica;
    ApiAttemptCallback done = std::move(slots_[s].done);
    release(s);
    respond_soon(std::move(done), std::move(a));
  }
  return true;
}

bool ApiServerLimits::recover_replica(int replica) {
  Replica& rep = replicas_.at(static_cast<std::size_t>(replica));
  if (rep.alive) return false;
  rep.alive = true;
  ++live_;
  return true;
}

void ApiServerLimits::update_gauges() {
  inflight_readonly_.set(total_readonly_);
  inflight_mutating_.set(total_mutating_);
}

// --- ApiClient --------------------------------------------------------------------------

ApiClient::ApiClient(sim::Simulation& sim, sim::MetricRegistry& metrics, ApiServerLimits& server,
                     ApiClientConfig config)
    : sim_(sim),
      server_(server),
      config_(std::move(config)),
      bucket_(config_.rate_limited ? TokenBucket(config_.rate_limit, sim.now())
                                   : TokenBucket::unlimited()),
      requests_(metrics.counter(config_.name + ".requests")),
      retries_(metrics.counter(config_.name + ".retries")),
      failed_(metrics.counter(config_.name + ".requests_failed")),
      latency_(metrics.histogram(config_.name + ".latency_s")),
      rate_limiter_wait_(metrics.histogram(config_.name + ".rate_limiter_wait_s")) {
  if (config_.max_retries < 0) {
    throw std::invalid_argument("ApiClient: max_retries must not be negative");
  }
}

void ApiClient::send(const ApiRequest& request, ApiResponseCallback done) {
  const std::uint32_t slot = slots_.acquire();
  Pending& p = slots_[slot];
  p.done = std::move(done);
  p.request = request;
  p.sent = sim_.now();
  p.throttled = 0;
  p.attempts = 0;
  requests_.add();
  throttle_then_attempt(slot);
}

void ApiClient::throttle_then_attempt(std::uint32_t slot) {
  // upstream: request.go tryThrottle before the first attempt, with_retry.go Before() before
  // each retry (after sleeping Retry-After).
  const sim::Duration wait = bucket_.reserve(sim_.now());
  rate_limiter_wait_.record_duration(wait);
  slots_[slot].throttled += wait;
  // A request the limiter lets through at once goes out now: the server never answers
  // inside serve() (see respond_soon), so no event is needed to break the call chain.
  if (wait == 0) {
    attempt(slot);
    return;
  }
  sim_.schedule_after(wait, [this, slot] { attempt(slot); });
}

void ApiClient::attempt(std::uint32_t slot) {
  ++slots_[slot].attempts;
  server_.serve(slots_[slot].request, [this, slot](const ApiAttempt& a) { on_attempt(slot, a); });
}

void ApiClient::on_attempt(std::uint32_t slot, const ApiAttempt& a) {
  Pending& p = slots_[slot];
  // upstream with_retry.go IsNextRetry: a 429 or 5xx with Retry-After waits that long; a
  // lost connection on a GET is retried as if Retry-After: 1 had been sent.
  sim::Duration wait = -1;
  if ((a.http_code == 429 || a.http_code >= 500) && a.retry_after > 0) {
    wait = a.retry_after;
  } else if (a.connection_lost && !is_mutating(p.request.verb)) {
    wait = sim::kSecond;
  }
  if (wait >= 0 && p.attempts <= config_.max_retries) {
    retries_.add();
    sim_.schedule_after(wait, [this, slot] { throttle_then_attempt(slot); });
    return;
  }
  ApiResponse response;
  response.status = a.status;
  response.attempts = p.attempts;
  response.replica = a.replica;
  response.latency = sim_.now() - p.sent;
  response.throttled = p.throttled;
  if (!response.status.ok()) failed_.add();
  latency_.record_duration(response.latency);
  ApiResponseCallback done = std::move(p.done);
  p.done = nullptr;
  slots_.release(slot);
  if (done) done(response);
}

}  // namespace kubesim::models
