// Tests of models/etcd.hpp: batching and throughput, the space quota, leader elections,
// quorum, request timeouts and determinism.
//
// Most tests use constant latencies so that every commit time is known by hand: with commit
// latency L and batches of at most N proposals, a backlog of K writes at t = 0 commits in
// ceil(K / N) batches, the b-th at b·L, so throughput is exactly N / L. The calibration test
// checks the default (random) configuration against etcd's published benchmark
// (op-guide/performance.md, reference §6.4) within a stated tolerance.
#include "models/etcd.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <set>
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

// Constant latencies: commit `commit_ms`, linearizable read 0.5 ms, serializable 0.2 ms.
EtcdConfig constant_config(double commit_ms, int batch = 70) {
  EtcdConfig c;
  c.commit_latency = Distribution::constant(commit_ms * 1e-3);
  c.linearizable_read_latency = Distribution::constant(0.5e-3);
  c.serializable_read_latency = Distribution::constant(0.2e-3);
  c.max_batch_proposals = batch;
  return c;
}

struct Done {
  sim::Time at = -1;
  EtcdResult result;
};

// A cluster on a fresh simulation, with helpers that record outcomes.
struct Fixture {
  explicit Fixture(EtcdConfig config, std::uint64_t seed = 1)
      : sim(seed), metrics(sim), etcd(sim, metrics, std::move(config)) {}

  // Submits now; the outcome lands in outcomes[index returned].
  std::size_t submit(EtcdOp op, std::int64_t bytes = 100) {
    const std::size_t i = outcomes.size();
    outcomes.emplace_back();
    etcd.submit(EtcdRequest{op, bytes, static_cast<std::uint32_t>(i)},
                [this, i](const EtcdResult& r) {
                  outcomes[i] = Done{sim.now(), r};
                });
    return i;
  }
  // Submits a put and runs until it finishes.
  const Done& put_and_wait(std::int64_t bytes) {
    const std::size_t i = submit(EtcdOp::kPut, bytes);
    sim.run();
    return outcomes[i];
  }
  std::int64_t counter(const std::string& name) const {
    return metrics.find_counter("etcd." + name)->value();
  }

  sim::Simulation sim;
  sim::MetricRegistry metrics;
  EtcdCluster etcd;
  std::vector<Done> outcomes;
};

// `clients` writers, each submitting its next put when the previous one finishes, until
// `stop`. Records every completion (time, status code).
struct ClosedLoopWriters {
  ClosedLoopWriters(sim::Simulation& sim, EtcdCluster& etcd, int clients, sim::Time stop,
                    std::int64_t bytes = 256)
      : sim(sim), etcd(etcd), stop(stop), bytes(bytes) {
    for (int c = 0; c < clients; ++c) next(static_cast<std::uint32_t>(c));
  }
  void next(std::uint32_t client) {
    etcd.submit(EtcdRequest{EtcdOp::kPut, bytes, client}, [this, client](const EtcdResult& r) {
      completions.push_back({sim.now(), r.status.code(), r.revision});
      if (sim.now() < stop) next(client);
    });
  }
  struct Completion {
    sim::Time at;
    Code code;
    std::int64_t revision;
  };
  sim::Simulation& sim;
  EtcdCluster& etcd;
  sim::Time stop;
  std::int64_t bytes;
  std::vector<Completion> completions;
};

TEST_CASE("etcd: an idle cluster commits a write after one commit latency", "[etcd]") {
  Fixture f(constant_config(2.0));
  const Done& d = f.put_and_wait(100);
  CHECK(d.at == milliseconds(2));
  CHECK(d.result.status.ok());
  CHECK(d.result.latency == milliseconds(2));
  CHECK(d.result.revision == 2);  // a fresh cluster is at revision 1
  CHECK(f.etcd.revision() == 2);
  CHECK(f.counter("writes_committed") == 1);
}

TEST_CASE("etcd: write throughput saturates at batch size / commit latency", "[etcd]") {
  // N = 10 per batch, L = 2 ms: at most 5,000 writes/s. 1,000 writes queued at t = 0
  // commit 10 at a time at 2, 4, ..., 200 ms.
  Fixture f(constant_config(2.0, 10));
  for (int i = 0; i < 1000; ++i) f.submit(EtcdOp::kPut);
  CHECK(f.etcd.batch_in_flight() == 0);  // the batch starts at the end of the instant
  f.sim.run_until(0);
  CHECK(f.etcd.batch_in_flight() == 10);
  CHECK(f.etcd.proposals_queued() == 990);
  f.sim.run_until(milliseconds(100));
  CHECK(f.counter("writes_committed") == 500);  // 50 batches of 10 by 100 ms
  f.sim.run();
  CHECK(f.counter("writes_committed") == 1000);
  CHECK(f.sim.now() == milliseconds(200));
  const double throughput = 1000 / sim::to_seconds(f.sim.now());
  CHECK(throughput == Approx(10 / 2e-3));
  const auto* batches = f.metrics.find_histogram("etcd.batch_proposals");
  CHECK(batches->count() == 100);
  CHECK(batches->min() == 10);
  CHECK(batches->max() == 10);
  const auto* latency = f.metrics.find_histogram("etcd.commit_latency_s");
  CHECK(latency->min() == Approx(0.002));
  CHECK(latency->max() == Approx(0.200));
  // The b-th batch's ten writes waited b·2 ms: mean over b = 1..100 is 101 ms.
  CHECK(latency->mean() == Approx(0.101));
  // Revisions follow commit order: the last write is revision 1 + 1000.
  CHECK(f.outcomes.back().result.revision == 1001);
}

TEST_CASE("etcd: below saturation every write waits one commit latency", "[etcd]") {
  Fixture f(constant_config(2.0, 10));
  // A write every 5 ms never meets a batch in flight.
  for (int i = 0; i < 20; ++i) {
    f.sim.schedule_at(milliseconds(5) * i, [&f] { f.submit(EtcdOp::kPut); });
  }
  f.sim.run();
  for (const Done& d : f.outcomes) CHECK(d.result.latency == milliseconds(2));
}

TEST_CASE("etcd: batches are limited by bytes, and an oversized proposal goes alone", "[etcd]") {
  EtcdConfig config = constant_config(1.0, 70);
  config.max_batch_bytes = 1000;
  Fixture f(config);
  // 300-byte proposals: three fit in 1,000 bytes, a fourth would make 1,200.
  for (int i = 0; i < 9; ++i) f.submit(EtcdOp::kPut, 300);
  f.submit(EtcdOp::kPut, 5000);  // larger than a batch: committed alone
  f.submit(EtcdOp::kPut, 300);
  f.sim.run();
  CHECK(f.outcomes[2].at == milliseconds(1));
  CHECK(f.outcomes[3].at == milliseconds(2));
  CHECK(f.outcomes[8].at == milliseconds(3));
  CHECK(f.outcomes[9].at == milliseconds(4));
  CHECK(f.outcomes[10].at == milliseconds(5));
  CHECK(f.metrics.find_histogram("etcd.batch_proposals")->count() == 5);
}

TEST_CASE("etcd: default calibration reproduces etcd's write benchmark", "[etcd]") {
  // Reference §6.4 (etcd op-guide/performance.md, 3 members, 256-byte values):
  //   1 client to the leader: 1.6 ms average latency;
  //   1000 clients to the leader: 44,341 writes/s at 22 ms average.
  // The model's saturation throughput is 70 / E[L] with E[L] = 1.4 ms · exp(σ²/2) =
  // 1.588 ms, i.e. 44.1k/s, and by Little's law 1000 / 44.1k = 22.7 ms per write. The
  // standard error of the measured throughput over ~2,500 batches is about 1.1 %
  // (coefficient of variation 0.54 of a log-normal with σ = 0.502, / √2,500); ±5 % leaves
  // room for that and the model's −0.6 % calibration offset.
  SECTION("1000 clients") {
    Fixture f(EtcdConfig{});
    const sim::Time warmup = milliseconds(200);
    const sim::Time end = seconds(4);
    ClosedLoopWriters writers(f.sim, f.etcd, 1000, end);
    f.sim.run_until(warmup);
    f.metrics.reset_window();
    f.sim.run_until(end);
    const double committed = static_cast<double>(f.counter("writes_committed"));
    const double throughput = committed / sim::to_seconds(end - warmup);
    CHECK(throughput == Approx(44341).epsilon(0.05));
    const double mean_latency = f.metrics.find_histogram("etcd.commit_latency_s")->mean();
    CHECK(mean_latency == Approx(0.022).epsilon(0.08));
    CHECK(f.counter("writes_failed") == 0);
  }
  SECTION("1 client") {
    Fixture f(EtcdConfig{});
    ClosedLoopWriters writers(f.sim, f.etcd, 1, seconds(20));
    f.sim.run_until(seconds(20));
    // ~12,600 writes: standard error of the mean latency ≈ 0.54 / √12,600 ≈ 0.5 %.
    const double mean_latency = f.metrics.find_histogram("etcd.commit_latency_s")->mean();
    CHECK(mean_latency == Approx(0.0016).epsilon(0.03));
  }
}

TEST_CASE("etcd: reads cost their latency and report the current revision", "[etcd]") {
  Fixture f(constant_config(2.0));
  f.put_and_wait(10);
  const std::size_t lin = f.submit(EtcdOp::kLinearizableRead);
  const std::size_t ser = f.submit(EtcdOp::kSerializableRead);
  f.sim.run();
  CHECK(f.outcomes[lin].result.latency == sim::microseconds(500));
  CHECK(f.outcomes[ser].result.latency == sim::microseconds(200));
  CHECK(f.outcomes[lin].result.revision == 2);
  CHECK(f.counter("reads_completed") == 2);
}

TEST_CASE("etcd: the space quota is exceeded exactly at the byte upstream rejects", "[etcd]") {
  // upstream storage/quota.go: a put is admitted while size + (256 + bytes) < quota.
  EtcdConfig config = constant_config(1.0);
  config.quota_backend_bytes = 10'000;
  REQUIRE(config.kv_overhead_bytes == 256);

  SECTION("cost 1,000: nine puts fit, the tenth would reach the quota exactly") {
    Fixture f(config);
    for (int i = 0; i < 9; ++i) REQUIRE(f.put_and_wait(744).result.status.ok());
    CHECK(f.etcd.db_size_bytes() == 9'000);
    const Done& d = f.put_and_wait(744);  // 9,000 + 1,000 = 10,000: not < quota
    CHECK(d.result.status.code() == Code::kResourceExhausted);
    CHECK(d.result.status.message() == "etcdserver: mvcc: database space exceeded");
    CHECK(d.result.latency == 0);  // rejected at once, without a commit
    CHECK(f.etcd.nospace_alarm());
    CHECK(f.etcd.db_size_bytes() == 9'000);
  }
  SECTION("cost 999: ten puts fit (9,990 bytes), the eleventh does not") {
    Fixture f(config);
    for (int i = 0; i < 10; ++i) REQUIRE(f.put_and_wait(743).result.status.ok());
    CHECK(f.etcd.db_size_bytes() == 9'990);
    CHECK_FALSE(f.etcd.nospace_alarm());
    CHECK(f.put_and_wait(743).result.status.code() == Code::kResourceExhausted);
  }
  SECTION("under the alarm puts fail, deletes and reads succeed; recovery needs defrag") {
    Fixture f(config);
    int raised = 0;
    f.etcd.nospace_alarm_raised.connect([&raised] { ++raised; });
    for (int i = 0; i < 9; ++i) REQUIRE(f.put_and_wait(744).result.status.ok());
    REQUIRE_FALSE(f.put_and_wait(744).result.status.ok());
    CHECK(raised == 1);
    // A small put would fit (9,000 + 257 < 10,000) but the alarm rejects every put.
    CHECK(f.put_and_wait(1).result.status.code() == Code::kResourceExhausted);
    const std::size_t del = f.submit(EtcdOp::kDelete, 10);
    const std::size_t read = f.submit(EtcdOp::kLinearizableRead);
    f.sim.run();
    CHECK(f.outcomes[del].result.status.ok());
    CHECK(f.outcomes[read].result.status.ok());
    // Compaction frees space inside the file; the file (what the quota checks) stays.
    f.etcd.compact(9'000);
    CHECK(f.etcd.db_size_in_use_bytes() == 0);
    CHECK(f.etcd.db_size_bytes() == 9'000);
    CHECK(f.put_and_wait(1).result.status.code() == Code::kResourceExhausted);
    // Disarming without defragmenting: the next 1,000-byte put raises the alarm again.
    f.etcd.disarm_alarm();
    CHECK(f.put_and_wait(744).result.status.code() == Code::kResourceExhausted);
    CHECK(raised == 2);
    // Compact, defragment, disarm: upstream's recovery.
    f.etcd.defragment();
    f.etcd.disarm_alarm();
    CHECK(f.etcd.db_size_bytes() == 0);
    CHECK(f.put_and_wait(744).result.status.ok());
    CHECK(f.etcd.db_size_bytes() == 1'000);
    CHECK(f.metrics.find_gauge("etcd.db_size_bytes")->value() == 1'000);
  }
  SECTION("puts admitted before the alarm but committed after it fail at apply") {
    Fixture f(config);
    for (int i = 0; i < 8; ++i) REQUIRE(f.put_and_wait(744).result.status.ok());
    // db 8,000. Two puts of cost 1,000 submitted together are both admitted (8,000 + 1,000
    // < 10,000: the quota checks the size at submission, not what is queued); a put of
    // cost 2,000 in the same instant trips the alarm before they commit, so the capped
    // applier fails them too.
    const std::size_t a = f.submit(EtcdOp::kPut, 744);
    const std::size_t b = f.submit(EtcdOp::kPut, 744);
    const std::size_t c = f.submit(EtcdOp::kPut, 1744);
    f.sim.run();
    CHECK(f.outcomes[c].result.status.code() == Code::kResourceExhausted);
    CHECK(f.outcomes[a].result.status.code() == Code::kResourceExhausted);
    CHECK(f.outcomes[b].result.status.code() == Code::kResourceExhausted);
    CHECK(f.etcd.db_size_bytes() == 8'000);
  }
}

TEST_CASE("etcd: a put larger than --max-request-bytes fails", "[etcd]") {
  Fixture f(constant_config(1.0));
  const Done& d = f.put_and_wait(1572864 + 1);
  CHECK(d.result.status.code() == Code::kInvalidArgument);
  CHECK(d.result.status.message() == "etcdserver: request is too large");
  CHECK(f.put_and_wait(1572864).result.status.ok());
}

TEST_CASE("etcd: leader loss stops commits until an election 1–2 s later", "[etcd]") {
  // Commit latency 1 ms (so the vote round is 1 ms too); a closed-loop writer; the leader's
  // member fails at 100.5 ms. raft's randomized timeout is 10..19 ticks of 100 ms.
  Fixture f(constant_config(1.0));
  std::vector<std::pair<sim::Time, int>> leader_events;
  f.etcd.leader_changed.connect(
      [&](const int& leader) { leader_events.emplace_back(f.sim.now(), leader); });
  ClosedLoopWriters writers(f.sim, f.etcd, 1, seconds(5));
  const sim::Time failure = sim::microseconds(100'500);
  f.sim.schedule_at(failure, [&f] { REQUIRE(f.etcd.fail_member(0)); });
  f.sim.run_until(seconds(5));

  REQUIRE(leader_events.size() == 2);
  CHECK(leader_events[0] == std::make_pair(failure, -1));
  const sim::Time elected = leader_events[1].first;
  CHECK(leader_events[1].second != 0);
  CHECK(f.etcd.leader() == leader_events[1].second);
  const sim::Duration outage = elected - failure;
  CHECK(outage >= seconds(1));
  CHECK(outage < seconds(2));
  CHECK((outage - milliseconds(1)) % milliseconds(100) == 0);  // whole ticks + vote round
  // No commit between the failure and the election; commits resume right after.
  for (const auto& c : writers.completions) {
    CHECK_FALSE((c.at > failure && c.at < elected));
    CHECK(c.code == Code::kOk);
  }
  // The write in flight at the failure (submitted at 100 ms) is re-proposed and commits one
  // commit latency after the election.
  const auto first_after = std::find_if(writers.completions.begin(), writers.completions.end(),
                                        [&](const auto& c) { return c.at > failure; });
  REQUIRE(first_after != writers.completions.end());
  CHECK(first_after->at == elected + milliseconds(1));
  CHECK(f.counter("leader_changes") == 1);
  CHECK(f.counter("writes_failed") == 0);
  // has_leader's time average is the fraction of time with a leader.
  const double expected = 1.0 - sim::to_seconds(outage) / 5.0;
  CHECK(f.metrics.find_gauge("etcd.has_leader")->time_average() == Approx(expected));
}

TEST_CASE("etcd: election delays are randomized over raft's [1 s, 2 s) window", "[etcd]") {
  std::set<sim::Duration> delays;
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    Fixture f(constant_config(1.0), seed);
    f.etcd.fail_member(0);
    f.sim.run();
    REQUIRE(f.etcd.leader() >= 1);
    const sim::Duration d = f.sim.now() - milliseconds(1);  // minus the vote round
    CHECK(d >= seconds(1));
    CHECK(d <= milliseconds(1900));
    delays.insert(d);
  }
  // With two live members the delay is the smaller of two uniform draws over 10 ticks:
  // 60 elections cover several distinct values.
  CHECK(delays.size() >= 5);
}

TEST_CASE("etcd: with LeaderLossPolicy::kFail the batch in flight fails", "[etcd]") {
  EtcdConfig config = constant_config(2.0);
  config.leader_loss = LeaderLossPolicy::kFail;
  Fixture f(config);
  const std::size_t a = f.submit(EtcdOp::kPut);
  const std::size_t b = f.submit(EtcdOp::kPut);
  f.sim.run_until(milliseconds(1));
  f.etcd.fail_member(0);
  const std::size_t c = f.submit(EtcdOp::kPut);  // waits for the new leader
  f.sim.run();
  CHECK(f.outcomes[a].result.status.message() == "etcdserver: leader changed");
  CHECK(f.outcomes[b].result.status.code() == Code::kUnavailable);
  CHECK(f.outcomes[a].at == milliseconds(1));
  CHECK(f.outcomes[c].result.status.ok());
  CHECK(f.counter("writes_failed") == 2);
  CHECK(f.counter("writes_committed") == 1);
}

TEST_CASE("etcd: a 3-member cluster tolerates one member loss but not two", "[etcd]") {
  Fixture f(constant_config(1.0));
  REQUIRE(f.etcd.quorum() == 2);
  // Losing a follower changes nothing: same leader, same latency, no election.
  REQUIRE(f.etcd.fail_member(2));
  CHECK_FALSE(f.etcd.fail_member(2));
  CHECK(f.etcd.has_quorum());
  CHECK(f.etcd.leader() == 0);
  CHECK_FALSE(f.etcd.election_pending());
  const Done& d = f.put_and_wait(100);
  CHECK(d.result.status.ok());
  CHECK(d.result.latency == milliseconds(1));

  // Losing a second member loses quorum: writes and linearizable reads block, serializable
  // reads are still served, and after the request timeout (7 s) the blocked ones fail.
  const sim::Time t0 = f.sim.now();
  REQUIRE(f.etcd.fail_member(1));
  CHECK_FALSE(f.etcd.has_quorum());
  CHECK(f.etcd.leader() == -1);
  const std::size_t put = f.submit(EtcdOp::kPut);
  const std::size_t lin = f.submit(EtcdOp::kLinearizableRead);
  const std::size_t ser = f.submit(EtcdOp::kSerializableRead);
  f.sim.run();
  CHECK(f.outcomes[ser].result.status.ok());
  CHECK(f.outcomes[ser].at == t0 + sim::microseconds(200));
  CHECK(f.etcd.request_timeout() == seconds(7));
  for (const std::size_t i : {put, lin}) {
    CHECK(f.outcomes[i].result.status.code() == Code::kUnavailable);
    CHECK(f.outcomes[i].result.status.message() == "etcdserver: request timed out");
    CHECK(f.outcomes[i].at == t0 + seconds(7));
  }
  CHECK(f.etcd.leader() == -1);  // no election without quorum
  CHECK_FALSE(f.etcd.election_pending());

  // One member back: quorum returns, a leader is elected, writes commit again.
  REQUIRE(f.etcd.recover_member(1));
  CHECK(f.etcd.election_pending());
  const Done& after = f.put_and_wait(100);
  CHECK(after.result.status.ok());
  CHECK((f.etcd.leader() == 0 || f.etcd.leader() == 1));  // member 2 is still down
  CHECK(f.counter("leader_changes") == 1);
}

TEST_CASE("etcd: a 5-member cluster survives two losses but not three", "[etcd]") {
  EtcdConfig config = constant_config(1.0);
  config.members = 5;
  Fixture f(config);
  REQUIRE(f.etcd.quorum() == 3);
  f.etcd.fail_member(3);
  f.etcd.fail_member(4);
  CHECK(f.etcd.has_quorum());
  CHECK(f.put_and_wait(100).result.latency == milliseconds(1));
  f.etcd.fail_member(2);
  CHECK_FALSE(f.etcd.has_quorum());
  const Done& d = f.put_and_wait(100);
  CHECK(d.result.status.message() == "etcdserver: request timed out");
}

TEST_CASE("etcd: writes waiting through a quorum loss commit if quorum returns in time", "[etcd]") {
  Fixture f(constant_config(1.0));
  f.etcd.fail_member(1);
  f.etcd.fail_member(2);
  const std::size_t early = f.submit(EtcdOp::kPut);  // deadline 7 s
  f.sim.schedule_at(seconds(3), [&f] { f.etcd.recover_member(2); });
  f.sim.run();
  // Elected at 3 s + [1 s, 1.9 s] + 1 ms; the write commits 1 ms later, before 7 s.
  CHECK(f.outcomes[early].result.status.ok());
  CHECK(f.outcomes[early].at > seconds(4));
  CHECK(f.outcomes[early].at < seconds(5));
  // Member 0 stayed alive but stepped down without quorum; either live member may win.
  CHECK((f.etcd.leader() == 0 || f.etcd.leader() == 2));
}

TEST_CASE("etcd: a single-member cluster has no fault tolerance", "[etcd]") {
  EtcdConfig config = constant_config(1.0);
  config.members = 1;
  Fixture f(config);
  CHECK(f.put_and_wait(1).result.status.ok());
  f.etcd.fail_member(0);
  const std::size_t ser = f.submit(EtcdOp::kSerializableRead);
  f.sim.schedule_at(f.sim.now() + seconds(2), [&f] { f.etcd.recover_member(0); });
  f.sim.run();
  // A serializable read needs a live member: it waits for the recovery, then 0.2 ms.
  CHECK(f.outcomes[ser].result.status.ok());
  CHECK(f.outcomes[ser].result.latency == seconds(2) + sim::microseconds(200));
}

TEST_CASE("etcd: same seed, same trace; another seed, another trace", "[etcd]") {
  struct Trace {
    std::vector<std::pair<sim::Time, std::int64_t>> completions;
    std::uint64_t fingerprint;
  };
  const auto run = [](std::uint64_t seed) {
    Fixture f(EtcdConfig{}, seed);
    ClosedLoopWriters writers(f.sim, f.etcd, 50, seconds(3));
    f.sim.schedule_at(seconds(1), [&f] { f.etcd.fail_member(f.etcd.leader()); });
    f.sim.run_until(seconds(3));
    Trace t;
    for (const auto& c : writers.completions) t.completions.emplace_back(c.at, c.revision);
    t.fingerprint = f.sim.fingerprint();
    return t;
  };
  const Trace a = run(7);
  const Trace b = run(7);
  const Trace c = run(8);
  REQUIRE(a.completions.size() > 1000);
  CHECK(a.completions == b.completions);
  CHECK(a.fingerprint == b.fingerprint);
  CHECK(a.completions != c.completions);
}

TEST_CASE("etcd: invalid configurations are reported", "[etcd]") {
  EtcdConfig c;
  CHECK(EtcdCluster::validate(c).ok());
  c.members = 0;
  CHECK(EtcdCluster::validate(c).message().find("members") != std::string::npos);
  c = EtcdConfig{};
  c.max_batch_proposals = 0;
  CHECK_FALSE(EtcdCluster::validate(c).ok());
  c = EtcdConfig{};
  c.election_ticks = 0;
  CHECK_FALSE(EtcdCluster::validate(c).ok());
  sim::Simulation sim;
  sim::MetricRegistry metrics(sim);
  CHECK_THROWS_AS(EtcdCluster(sim, metrics, c), std::invalid_argument);
}

}  // namespace
}  // namespace kubesim::models
