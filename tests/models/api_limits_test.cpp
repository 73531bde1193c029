// Tests of models/api_limits.hpp: the max-inflight filter (429 + Retry-After), client-go's
// throttling and retries, replicas and their failure.
//
// Service times are constant so that every timeline is worked out by hand in the comments.
#include "models/api_limits.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/metrics.hpp"
#include "sim/simulation.hpp"
#include "sim/time.hpp"

namespace kubesim::models {
namespace {

using sim::Distribution;
using sim::milliseconds;
using sim::seconds;
using Code = sim::Status::Code;

ApiServerLimitsConfig constant_server(double service_s, int mutating_limit = 200,
                                      int readonly_limit = 400, int replicas = 1) {
  ApiServerLimitsConfig c;
  c.latency.fill(Distribution::constant(service_s));
  c.max_mutating_requests_inflight = mutating_limit;
  c.max_requests_inflight = readonly_limit;
  c.replicas = replicas;
  return c;
}

ApiClientConfig unlimited_client() {
  ApiClientConfig c;
  c.rate_limited = false;
  return c;
}

struct Served {
  sim::Time at = -1;
  ApiAttempt attempt;
};
struct Responded {
  sim::Time at = -1;
  ApiResponse response;
};

struct Fixture {
  explicit Fixture(ApiServerLimitsConfig server_config, std::uint64_t seed = 1)
      : sim(seed), metrics(sim), server(sim, metrics, std::move(server_config)) {}

  // One attempt straight at the server.
  std::size_t serve(ApiVerb verb, std::uint32_t client = 0) {
    const std::size_t i = attempts.size();
    attempts.emplace_back();
    server.serve(ApiRequest{verb, 100, client}, [this, i](const ApiAttempt& a) {
      attempts[i] = Served{sim.now(), a};
    });
    return i;
  }
  // A request through a client (throttling and retries).
  std::size_t send(ApiClient& client, ApiVerb verb) {
    const std::size_t i = responses.size();
    responses.emplace_back();
    client.send(ApiRequest{verb, 100, 0}, [this, i](const ApiResponse& r) {
      responses[i] = Responded{sim.now(), r};
    });
    return i;
  }
  std::int64_t counter(const std::string& name) const {
    return metrics.find_counter(name)->value();
  }

  sim::Simulation sim;
  sim::MetricRegistry metrics;
  ApiServerLimits server;
  std::vector<Served> attempts;
  std::vector<Responded> responses;
};

TEST_CASE("api limits: a request arriving when its class is full gets 429 and Retry-After 1",
          "[api_limits]") {
  Fixture f(constant_server(5.0, /*mutating=*/2, /*readonly=*/1));
  const std::size_t c1 = f.serve(ApiVerb::kCreate);
  const std::size_t c2 = f.serve(ApiVerb::kUpdate);
  const std::size_t c3 = f.serve(ApiVerb::kPatch);  // mutating class full: 429
  const std::size_t g1 = f.serve(ApiVerb::kGet);    // read-only class has its own seats
  const std::size_t g2 = f.serve(ApiVerb::kList);   // read-only class full: 429
  CHECK(f.server.inflight(0, true) == 2);
  CHECK(f.server.inflight(0, false) == 1);
  f.sim.run_until(0);
  const ApiAttempt& rejected = f.attempts[c3].attempt;
  CHECK(f.attempts[c3].at == 0);
  CHECK(rejected.http_code == 429);
  CHECK(rejected.status.code() == Code::kTooManyRequests);
  CHECK(rejected.status.message() == "Too many requests, please try again later.");
  CHECK(rejected.retry_after == seconds(1));
  CHECK(f.attempts[g2].attempt.http_code == 429);
  f.sim.run();
  for (const std::size_t i : {c1, c2, g1}) {
    CHECK(f.attempts[i].at == seconds(5));
    CHECK(f.attempts[i].attempt.status.ok());
    CHECK(f.attempts[i].attempt.http_code == 200);
  }
  CHECK(f.server.inflight(0, true) == 0);
  CHECK(f.counter("apiserver.requests_rejected") == 2);
  CHECK(f.counter("apiserver.requests_served") == 3);
  CHECK(f.metrics.find_gauge("apiserver.inflight_mutating")->max() == 2);
}

TEST_CASE("api limits: a limit of 0 disables the class's limit", "[api_limits]") {
  Fixture f(constant_server(1.0, /*mutating=*/0, /*readonly=*/0));
  for (int i = 0; i < 1000; ++i) f.serve(ApiVerb::kCreate);
  CHECK(f.server.inflight(0, true) == 1000);
  f.sim.run();
  CHECK(f.counter("apiserver.requests_rejected") == 0);
  CHECK(f.counter("apiserver.requests_served") == 1000);
}

TEST_CASE("api limits: the client retries a 429 after Retry-After and succeeds", "[api_limits]") {
  // One mutating seat, 1.5 s service. A holds it over [0, 1.5]. B is rejected at 0, again
  // at 1 s (A still in), and admitted at 2 s: it finishes at 3.5 s after 3 attempts.
  Fixture f(constant_server(1.5, /*mutating=*/1));
  ApiClient client(f.sim, f.metrics, f.server, unlimited_client());
  const std::size_t a = f.send(client, ApiVerb::kCreate);
  const std::size_t b = f.send(client, ApiVerb::kCreate);
  f.sim.run();
  CHECK(f.responses[a].at == milliseconds(1500));
  CHECK(f.responses[a].response.attempts == 1);
  CHECK(f.responses[b].response.status.ok());
  CHECK(f.responses[b].at == milliseconds(3500));
  CHECK(f.responses[b].response.attempts == 3);
  CHECK(f.responses[b].response.latency == milliseconds(3500));
  CHECK(f.counter("client.retries") == 2);
  CHECK(f.counter("apiserver.requests_rejected") == 2);
  CHECK(f.counter("client.requests_failed") == 0);
}

TEST_CASE("api limits: the client gives up after max_retries (10) retries", "[api_limits]") {
  Fixture f(constant_server(100.0, /*mutating=*/1));
  ApiClient client(f.sim, f.metrics, f.server, unlimited_client());
  REQUIRE(client.config().max_retries == 10);
  f.send(client, ApiVerb::kCreate);  // holds the only seat for 100 s
  const std::size_t b = f.send(client, ApiVerb::kCreate);
  f.sim.run_until(seconds(50));
  // Attempts at 0, 1, ..., 10 s: 11 in all, the last 429 is returned.
  const ApiResponse& r = f.responses[b].response;
  CHECK(f.responses[b].at == seconds(10));
  CHECK(r.attempts == 11);
  CHECK(r.status.code() == Code::kTooManyRequests);
  CHECK(f.counter("client.requests_failed") == 1);
  CHECK(f.counter("client.retries") == 10);

  ApiClientConfig no_retry = unlimited_client();
  no_retry.name = "impatient";
  no_retry.max_retries = 0;
  ApiClient impatient(f.sim, f.metrics, f.server, no_retry);
  const std::size_t c = f.send(impatient, ApiVerb::kCreate);
  f.sim.run_until(seconds(60));
  CHECK(f.responses[c].response.attempts == 1);
  CHECK(f.responses[c].at == seconds(50));
}

TEST_CASE("api limits: the client's token bucket delays first attempts (QPS 5, burst 10)",
          "[api_limits]") {
  Fixture f(constant_server(0.010));
  ApiClient client(f.sim, f.metrics, f.server, ApiClientConfig{});
  REQUIRE(client.bucket().qps() == 5.0);
  REQUIRE(client.bucket().burst() == 10);
  for (int i = 0; i < 12; ++i) f.send(client, ApiVerb::kGet);
  f.sim.run();
  for (int i = 0; i < 10; ++i) CHECK(f.responses[i].at == milliseconds(10));
  CHECK(f.responses[10].at == milliseconds(210));
  CHECK(f.responses[10].response.throttled == milliseconds(200));
  CHECK(f.responses[11].at == milliseconds(410));
  CHECK(f.metrics.find_histogram("client.rate_limiter_wait_s")->sum() == Approx(0.6));
}

TEST_CASE("api limits: retries wait Retry-After, then for the client's token bucket",
          "[api_limits]") {
  // QPS 1, burst 1; one mutating seat; 1.5 s service. Worked timeline:
  //   A: token at 0, served [0, 1.5].
  //   B: token at 1 s (waits 1 s), 429 at 1 s, sleeps to 2 s, token at 3 s (bucket in debt
  //      from C), 429 at 3 s (C in), sleeps to 4 s, token at once, served [4, 5.5].
  //   C: token at 2 s (waits 2 s), served [2, 3.5] (its attempt event precedes B's retry
  //      at 2 s: it was scheduled first).
  Fixture f(constant_server(1.5, /*mutating=*/1));
  ApiClientConfig config;
  config.rate_limit = ClientRateLimit{1.0, 1};
  ApiClient client(f.sim, f.metrics, f.server, config);
  const std::size_t a = f.send(client, ApiVerb::kCreate);
  const std::size_t b = f.send(client, ApiVerb::kCreate);
  const std::size_t c = f.send(client, ApiVerb::kCreate);
  f.sim.run();
  CHECK(f.responses[a].at == milliseconds(1500));
  CHECK(f.responses[a].response.throttled == 0);
  CHECK(f.responses[c].at == milliseconds(3500));
  CHECK(f.responses[c].response.throttled == seconds(2));
  CHECK(f.responses[c].response.attempts == 1);
  CHECK(f.responses[b].at == milliseconds(5500));
  CHECK(f.responses[b].response.attempts == 3);
  CHECK(f.responses[b].response.throttled == seconds(2));
  const auto* waits = f.metrics.find_histogram("client.rate_limiter_wait_s");
  CHECK(waits->count() == 5);
  CHECK(waits->sum() == Approx(4.0));  // 0 + 1 + 2 + 1 + 0
}

TEST_CASE("api limits: round-robin spreads requests over the replicas", "[api_limits]") {
  Fixture f(constant_server(1.0, /*mutating=*/1, 400, /*replicas=*/3));
  std::vector<std::size_t> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(f.serve(ApiVerb::kCreate));
  f.sim.run();
  CHECK(f.attempts[ids[0]].attempt.replica == 0);
  CHECK(f.attempts[ids[1]].attempt.replica == 1);
  CHECK(f.attempts[ids[2]].attempt.replica == 2);
  // The fourth goes back to replica 0, whose only seat is taken.
  CHECK(f.attempts[ids[3]].attempt.replica == 0);
  CHECK(f.attempts[ids[3]].attempt.http_code == 429);
  CHECK(f.counter("apiserver.requests_served") == 3);
}

TEST_CASE("api limits: a failed replica fails its requests; GETs are retried elsewhere",
          "[api_limits]") {
  // Two replicas, 2 s service. Round-robin: get1→0, get2→1, create1→0, create2→1.
  // Replica 0 fails at 1 s: get1 and create1 lose their connection. client-go retries the
  // GET after 1 s (on replica 1, the only one alive) and not the create.
  Fixture f(constant_server(2.0, 200, 400, /*replicas=*/2));
  ApiClient client(f.sim, f.metrics, f.server, unlimited_client());
  const std::size_t get1 = f.send(client, ApiVerb::kGet);
  const std::size_t get2 = f.send(client, ApiVerb::kGet);
  const std::size_t create1 = f.send(client, ApiVerb::kCreate);
  const std::size_t create2 = f.send(client, ApiVerb::kCreate);
  f.sim.schedule_at(seconds(1), [&f] { REQUIRE(f.server.fail_replica(0)); });
  f.sim.run();
  CHECK(f.server.live_replicas() == 1);

  const ApiResponse& c1 = f.responses[create1].response;
  CHECK(f.responses[create1].at == seconds(1));
  CHECK(c1.status.code() == Code::kUnavailable);
  CHECK(c1.status.message() == "http2: client connection lost");
  CHECK(c1.attempts == 1);

  const ApiResponse& g1 = f.responses[get1].response;
  CHECK(g1.status.ok());
  CHECK(g1.attempts == 2);
  CHECK(g1.replica == 1);
  CHECK(f.responses[get1].at == seconds(4));  // retried at 2 s, served [2, 4]

  for (const std::size_t i : {get2, create2}) {
    CHECK(f.responses[i].at == seconds(2));
    CHECK(f.responses[i].response.replica == 1);
  }
  CHECK(f.counter("apiserver.requests_failed") == 2);
  CHECK(f.counter("client.requests_failed") == 1);
  CHECK(f.server.inflight(0, true) == 0);
  CHECK(f.server.inflight(0, false) == 0);

  // New requests avoid the dead replica; after recovery it takes its turn again.
  const std::size_t later = f.serve(ApiVerb::kGet);
  f.sim.run();
  CHECK(f.attempts[later].attempt.replica == 1);
  REQUIRE(f.server.recover_replica(0));
  CHECK_FALSE(f.server.recover_replica(0));
  const std::size_t r0 = f.serve(ApiVerb::kGet);
  const std::size_t r1 = f.serve(ApiVerb::kGet);
  f.sim.run();
  CHECK(f.attempts[r0].attempt.replica != f.attempts[r1].attempt.replica);
}

TEST_CASE("api limits: with no live replica requests are refused and not retried", "[api_limits]") {
  Fixture f(constant_server(1.0));
  ApiClient client(f.sim, f.metrics, f.server, unlimited_client());
  f.server.fail_replica(0);
  const std::size_t g = f.send(client, ApiVerb::kGet);
  f.sim.run();
  CHECK(f.responses[g].at == 0);
  CHECK(f.responses[g].response.status.message() == "connect: connection refused");
  CHECK(f.responses[g].response.attempts == 1);
}

TEST_CASE("api limits: random replica choice is seeded", "[api_limits]") {
  const auto choices = [](std::uint64_t seed) {
    ApiServerLimitsConfig config = constant_server(0.001, 200, 400, 3);
    config.selection = ReplicaSelection::kRandom;
    Fixture f(config, seed);
    std::vector<int> replicas;
    for (int i = 0; i < 60; ++i) f.serve(ApiVerb::kGet);
    f.sim.run();
    for (const Served& s : f.attempts) replicas.push_back(s.attempt.replica);
    return replicas;
  };
  const std::vector<int> a = choices(3);
  CHECK(a == choices(3));
  CHECK(a != choices(4));
  for (int r = 0; r < 3; ++r) CHECK(std::count(a.begin(), a.end(), r) > 5);
}

TEST_CASE("api limits: by-client selection keeps a client on one replica", "[api_limits]") {
  ApiServerLimitsConfig config = constant_server(0.001, 200, 400, 3);
  config.selection = ReplicaSelection::kByClient;
  Fixture f(config);
  for (int i = 0; i < 5; ++i) f.serve(ApiVerb::kGet, /*client=*/7);
  f.sim.run();
  for (const Served& s : f.attempts) CHECK(s.attempt.replica == 7 % 3);
}

TEST_CASE("api limits: a handler replaces the service time and sets the outcome", "[api_limits]") {
  Fixture f(constant_server(1.0));
  std::vector<ApiTicket> tickets;
  f.server.set_handler([&](ApiTicket t, const ApiRequest& request, int replica) {
    CHECK(replica == 0);
    CHECK(request.bytes == 100);
    tickets.push_back(t);
    f.sim.schedule_after(milliseconds(3), [&f, t] {
      CHECK(f.server.complete(t, sim::Status::conflict("the object has been modified")));
    });
  });
  ApiClient client(f.sim, f.metrics, f.server, unlimited_client());
  const std::size_t u = f.send(client, ApiVerb::kUpdate);
  f.sim.run();
  const ApiResponse& r = f.responses[u].response;
  CHECK(f.responses[u].at == milliseconds(3));
  CHECK(r.status.code() == Code::kConflict);
  CHECK(r.attempts == 1);  // a 409 carries no Retry-After: not retried
  REQUIRE(tickets.size() == 1);
  CHECK_FALSE(f.server.complete(tickets[0]));  // already completed
  CHECK(f.server.inflight(0, true) == 0);
}

TEST_CASE("api limits: upstream defaults", "[api_limits]") {
  const ApiServerLimitsConfig server;
  CHECK(server.max_requests_inflight == 400);
  CHECK(server.max_mutating_requests_inflight == 200);
  CHECK(server.retry_after == seconds(1));
  const ApiClientConfig client;
  CHECK(client.max_retries == 10);
  CHECK(client.rate_limit.qps == 5.0);
  CHECK(client.rate_limit.burst == 10);
  CHECK(is_mutating(ApiVerb::kPatch));
  CHECK_FALSE(is_mutating(ApiVerb::kList));
  CHECK(api_verb_name(ApiVerb::kDelete) == "delete");
  // Default service times: medians of 1 ms (get) and 5 ms (writes).
  sim::Rng rng(1);
  std::vector<double> gets;
  for (int i = 0; i < 20001; ++i) {
    gets.push_back(server.latency[static_cast<int>(ApiVerb::kGet)].sample(rng));
  }
  std::nth_element(gets.begin(), gets.begin() + 10000, gets.end());
  CHECK(gets[10000] == Approx(1e-3).epsilon(0.05));
}

TEST_CASE("api limits: invalid configurations are reported", "[api_limits]") {
  ApiServerLimitsConfig c;
  CHECK(ApiServerLimits::validate(c).ok());
  c.replicas = 0;
  CHECK_FALSE(ApiServerLimits::validate(c).ok());
  c = ApiServerLimitsConfig{};
  c.max_mutating_requests_inflight = -1;
  CHECK_FALSE(ApiServerLimits::validate(c).ok());
  c = ApiServerLimitsConfig{};
  c.retry_after = milliseconds(500);
  CHECK_FALSE(ApiServerLimits::validate(c).ok());
}

TEST_CASE("api limits: same seed, same trace", "[api_limits]") {
  const auto run = [](std::uint64_t seed) {
    ApiServerLimitsConfig config;  // random (log-normal) service times
    config.replicas = 2;
    config.max_mutating_requests_inflight = 3;
    Fixture f(config, seed);
    ApiClient client(f.sim, f.metrics, f.server, ApiClientConfig{});
    for (int i = 0; i < 40; ++i) f.send(client, i % 3 == 0 ? ApiVerb::kList : ApiVerb::kCreate);
    f.sim.run();
    std::vector<std::pair<sim::Time, int>> trace;
    for (const Responded& r : f.responses) trace.emplace_back(r.at, r.response.attempts);
    return std::make_pair(trace, f.sim.fingerprint());
  };
  const auto a = run(11);
  CHECK(a == run(11));
  CHECK(a.first != run(12).first);
}

}  // namespace
}  // namespace kubesim::models
