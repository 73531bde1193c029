// EtcdCluster: the etcd cluster behind the API server, as a timing and availability model.
// Requests are opaque (an operation, a size in bytes, a client id and a completion
// callback); the object store above decides what the bytes mean.
//
// What it models, and the upstream behaviour each part reproduces (docs/control-plane.md
// gives the sources and the calibration):
// - Members and leader. 1..7 members (1, 3 and 5 are the usual sizes), member 0 leads at
//   start. Writes go to the leader; the cluster has quorum while a majority of members live
//   (3 members survive 1 loss, 5 survive 2).
// - Commit and throughput. The leader commits proposals in batches, one batch in flight at a
//   time (raft's append + fsync + majority acknowledgement). A batch starts at the end of
//   the instant its first proposal arrives (so proposals made at the same time share it),
//   or as soon as the previous batch commits. A batch takes one draw of
//   `commit_latency` and holds up to `max_batch_proposals` proposals and `max_batch_bytes`
//   bytes (always at least one proposal). Under light load a write waits one commit latency;
//   under load it queues, and throughput saturates at max_batch_proposals / E[commit
//   latency] — calibrated to etcd's benchmark (≈ 44k writes/s at ≈ 22 ms with 1000 clients).
// - Reads. A linearizable read needs a leader (ReadIndex) and takes one draw of
//   `linearizable_read_latency`; a serializable read is served by any live member and takes
//   one draw of `serializable_read_latency`. Reads are not capacity-limited.
// - Revisions. Every committed put or delete takes the next revision (a fresh cluster is at
//   revision 1); reads report the revision they observed.
// - Database size and quota. A put costs kv_overhead_bytes + its bytes against the quota, as
//   etcd's BackendQuota does (storage/quota.go). It is admitted only while
//   db_size + cost < quota_backend_bytes; otherwise the NOSPACE alarm is raised and the put
//   fails with "etcdserver: mvcc: database space exceeded". While the alarm is active every
//   put fails, at submission and at commit (etcd's capped applier); deletes and reads still
//   succeed. Committed puts add their cost to the bytes in use; compact(bytes) frees bytes in
//   use (the revisions compaction removes) but, as in bbolt, the file (db_size, which the
//   quota checks) only shrinks on defragment(); disarm_alarm() clears the alarm. The
//   recovery is upstream's: compact, defragment, disarm.
// - Leader loss. When the leader's member fails (or quorum is lost), no write commits and no
//   linearizable read is served until a new leader is elected. An election starts when
//   quorum is present: each live member draws raft's randomized election timeout, uniform
//   over [election_ticks, 2 × election_ticks − 1] heartbeat ticks (1.0 s … 1.9 s with the
//   defaults), the first to expire wins after one vote round (one commit-latency draw).
// - Writes in the batch in flight at a leader loss: with LeaderLossPolicy::kRetry (default)
//   they go back to the head of the queue and commit under the next leader (the entry was
//   replicated, or the client's retry is folded in); with kFail they fail with
//   "etcdserver: leader changed". Writes and linearizable reads waiting for a leader, or for
//   a batch, fail with "etcdserver: request timed out" when request_timeout has passed since
//   their submission (upstream ReqTimeout: 5 s + 2 × election timeout = 7 s).
//
// Completion callbacks never run inside submit(): every outcome, immediate rejections
// included, is delivered by an event (at the current time for immediate ones), so a
// callback may submit again. Outcomes are values (sim::Status), never exceptions.
//
// Metrics, under "<name>.": counters writes_committed, writes_failed, reads_completed,
// reads_failed, leader_changes; histograms commit_latency_s (submission to commit, committed
// writes), read_latency_s, batch_proposals; gauges db_size_bytes, db_size_in_use_bytes,
// has_leader (its time average is the fraction of time with a leader), proposals_pending.
//
// Determinism: latencies draw from stream "<name>/latency", elections from
// "<name>/election". Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/metrics.hpp"
#include "sim/random.hpp"
#include "sim/signal.hpp"
#include "sim/simulation.hpp"
#include "sim/slot_pool.hpp"
#include "sim/status.hpp"
#include "sim/time.hpp"

namespace kubesim::models {

enum class EtcdOp : std::uint8_t { kPut, kDelete, kLinearizableRead, kSerializableRead };
std::string_view etcd_op_name(EtcdOp op);  // "put", "delete", ...

struct EtcdRequest {
  EtcdOp op = EtcdOp::kPut;
  std::int64_t bytes = 0;    // key + value of a put; the key of a delete or read
  std::uint32_t client = 0;  // opaque to the model: who asked
};

struct EtcdResult {
  sim::Status status;
  std::int64_t revision = 0;  // the revision a write committed at, or a read observed
  sim::Duration latency = 0;  // submission to completion
};
using EtcdCallback = std::function<void(const EtcdResult&)>;

// The upstream error texts the model produces (api/v3rpc/rpctypes/error.go).
inline constexpr std::string_view kEtcdErrNoSpace = "etcdserver: mvcc: database space exceeded";
inline constexpr std::string_view kEtcdErrTimeout = "etcdserver: request timed out";
inline constexpr std::string_view kEtcdErrLeaderChanged = "etcdserver: leader changed";
inline constexpr std::string_view kEtcdErrTooLarge = "etcdserver: request is too large";

enum class LeaderLossPolicy : std::uint8_t { kRetry, kFail };

inline constexpr std::int64_t kMiB = 1024 * 1024;
inline constexpr std::int64_t kGiB = 1024 * kMiB;

struct EtcdConfig {
  std::string name = "etcd";
  int members = 3;
  // Seconds. Log-normal with p50 1.4 ms and p99 4.5 ms: mean 1.59 ms, the 1.6 ms average of
  // one client writing to the leader in etcd's benchmark (op-guide/performance.md).
  sim::Distribution commit_latency =
      sim::Distribution::lognormal_from_p50_p99(1.4e-3, 4.5e-3).value();
  // Mean 0.70 ms and 0.30 ms, the benchmark's single-client linearizable and serializable
  // read latencies, with the same shape (p99 / p50 ≈ 3.2).
  sim::Distribution linearizable_read_latency =
      sim::Distribution::lognormal_from_p50_p99(0.62e-3, 2.0e-3).value();
  sim::Distribution serializable_read_latency =
      sim::Distribution::lognormal_from_p50_p99(0.26e-3, 0.85e-3).value();
  // 70 / 1.59 ms ≈ 44k writes/s: the benchmark's 44,341 writes/s with 1000 clients.
  int max_batch_proposals = 70;
  // etcd's raft sends at most 1 MiB of entries per append message (maxSizePerMsg).
  std::int64_t max_batch_bytes = 1 * kMiB;
  // --quota-backend-bytes: 0 upstream means DefaultQuotaBytes = 2 GiB; MaxQuotaBytes
  // (8 GiB) is the largest recommended (server/storage/quota.go).
  std::int64_t quota_backend_bytes = 2 * kGiB;
  // Quota charge per put beyond its bytes (quota.go kvOverhead).
  std::int64_t kv_overhead_bytes = 256;
  // --max-request-bytes, 1.5 MiB: a larger put fails with "etcdserver: request is too large".
  std::int64_t max_request_bytes = 1572864;
  std::int64_t initial_db_bytes = 0;
  // --heartbeat-interval 100 ms and --election-timeout 1000 ms = 10 ticks.
  sim::Duration heartbeat_interval = sim::milliseconds(100);
  int election_ticks = 10;
  // Negative: upstream's ReqTimeout, 5 s + 2 × election timeout (server/config/config.go).
  sim::Duration request_timeout = -1;
  LeaderLossPolicy leader_loss = LeaderLossPolicy::kRetry;
};

class EtcdCluster {
 public:
  // Checks a configuration; the scenario layer reports the message to the user.
  static sim::Status validate(const EtcdConfig& config);

  // REQUIRES: validate(config).ok() (throws std::invalid_argument otherwise).
  EtcdCluster(sim::Simulation& sim, sim::MetricRegistry& metrics, EtcdConfig config);
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  // Starts a request; `done` runs exactly once, from an event, with the outcome.
  void submit(const EtcdRequest& request, EtcdCallback done);

  // Faults. Both return false when the member was already in that state.
  // REQUIRES: 0 <= member < members.
  bool fail_member(int member);
  bool recover_member(int member);

  // Space management (see the header comment). compact() frees at most the bytes in use.
  void compact(std::int64_t bytes);
  void defragment();
  void disarm_alarm();

  // State.
  const EtcdConfig& config() const { return config_; }
  int members() const { return config_.members; }
  int live_members() const { return live_; }
  bool member_alive(int member) const { return alive_.at(member); }
  bool has_quorum() const { return live_ >= quorum(); }
  int quorum() const { return config_.members / 2 + 1; }
  int leader() const { return leader_; }  // -1 while there is none
  bool election_pending() const { return sim_.is_pending(election_); }
  std::int64_t revision() const { return revision_; }
  std::int64_t db_size_bytes() const { return db_size_; }
  std::int64_t db_size_in_use_bytes() const { return in_use_; }
  bool nospace_alarm() const { return alarm_; }
  std::size_t proposals_queued() const { return proposals_.size(); }
  std::size_t batch_in_flight() const { return batch_.size(); }
  sim::Duration request_timeout() const { return request_timeout_; }
  sim::Duration election_timeout() const {
    return config_.heartbeat_interval * config_.election_ticks;
  }

  // The new leader's member index, or -1 when the cluster loses its leader.
  sim::Signal<int> leader_changed;
  // The NOSPACE alarm was raised.
  sim::Signal<> nospace_alarm_raised;

 private:
  // Why a request finished, turned into a Status at delivery.
  enum class Outcome : std::uint8_t { kOk, kNoSpace, kTooLarge, kTimeout, kLeaderChanged };

  struct Request {
    EtcdCallback done;
    sim::Time submitted = 0;
    std::int64_t bytes = 0;
    std::int64_t revision = 0;
    EtcdOp op = EtcdOp::kPut;
    Outcome outcome = Outcome::kOk;
    std::uint32_t client = 0;
  };

  static bool is_write(EtcdOp op) { return op == EtcdOp::kPut || op == EtcdOp::kDelete; }
  std::uint32_t allocate(const EtcdRequest& request, EtcdCallback done);
  // Delivers slot's outcome now and frees the slot.
  void finish(std::uint32_t slot);
  // Schedules finish(slot) at now (an immediate outcome, delivered asynchronously).
  void finish_soon(std::uint32_t slot, Outcome outcome);

  bool can_serve_read(EtcdOp op) const {
    return op == EtcdOp::kSerializableRead ? live_ > 0 : leader_ >= 0;
  }
  void start_read(std::uint32_t slot);
  void dispatch_blocked_reads();

  // Schedules start_batch() at the current time when a batch can start.
  void maybe_start_batch();
  void start_batch();
  void on_batch_committed();

  void lose_leader();
  void schedule_election();
  void on_election();

  void arm_timeout();
  void on_timeout();
  sim::Time deadline_of(std::uint32_t slot) const {
    return slots_[slot].submitted + request_timeout_;
  }

  void set_db_gauges();
  void set_pending_gauge() { proposals_pending_.set(static_cast<double>(proposals_.size())); }

  sim::Simulation& sim_;
  EtcdConfig config_;
  sim::Duration request_timeout_;
  sim::Rng latency_rng_;
  sim::Rng election_rng_;

  std::vector<bool> alive_;
  int live_ = 0;
  int leader_ = 0;
  int election_winner_ = -1;
  sim::EventHandle election_;

  std::int64_t revision_ = 1;
  std::int64_t db_size_ = 0;
  std::int64_t in_use_ = 0;
  bool alarm_ = false;

  sim::SlotPool<Request> slots_;  // requests in progress
  std::deque<std::uint32_t> proposals_;    // writes waiting for a batch, FIFO
  std::vector<std::uint32_t> batch_;       // the batch in flight
  std::vector<std::uint32_t> committing_;  // scratch for on_batch_committed
  sim::EventHandle batch_commit_;
  sim::EventHandle batch_kick_;
  std::deque<std::uint32_t> blocked_reads_;  // reads waiting for a leader / a live member
  sim::EventHandle timeout_event_;
  sim::Time timeout_at_ = sim::kTimeMax;

  sim::Counter& writes_committed_;
  sim::Counter& writes_failed_;
  sim::Counter& reads_completed_;
  sim::Counter& reads_failed_;
  sim::Counter& leader_changes_;
  sim::Histogram& commit_latency_;
  sim::Histogram& read_latency_;
  sim::Histogram& batch_proposals_;
  sim::Gauge& db_size_gauge_;
  sim::Gauge& db_in_use_gauge_;
  sim::Gauge& has_leader_;
  sim::Gauge& proposals_pending_;
};

}  // namespace kubesim::models
