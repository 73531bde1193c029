#include "models/etcd.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace kubesim::models {

std::string_view etcd_op_name(EtcdOp op) {
  switch (op) {
    case EtcdOp::kPut:
      return "put";
    case EtcdOp::kDelete:
      return "delete";
    case EtcdOp::kLinearizableRead:
      return "linearizable-read";
    case EtcdOp::kSerializableRead:
      return "serializable-read";
  }
  return "unknown";
}

namespace {

// A latency draw in integer nanoseconds; negative draws (a normal distribution) count as 0.
sim::Duration draw(const sim::Distribution& d, sim::Rng& rng) {
  return sim::from_seconds(std::max(0.0, d.sample(rng)));
}

}  // namespace

sim::Status EtcdCluster::validate(const EtcdConfig& c) {
  auto bad = [](std::string msg) { return sim::Status::invalid_argument(std::move(msg)); };
  if (c.name.empty()) return bad("etcd: name must not be empty");
  if (c.members < 1 || c.members > 7) {
    return bad("etcd: members must be between 1 and 7 (1, 3 or 5 are usual), got " +
               std::to_string(c.members));
  }
  if (c.max_batch_proposals < 1) {
    return bad("etcd: max_batch_proposals must be at least 1, got " +
               std::to_string(c.max_batch_proposals));
  }
  if (c.max_batch_bytes < 1) return bad("etcd: max_batch_bytes must be positive");
  if (c.quota_backend_bytes < 1) return bad("etcd: quota_backend_bytes must be positive");
  if (c.kv_overhead_bytes < 0) return bad("etcd: kv_overhead_bytes must not be negative");
  if (c.max_request_bytes < 1) return bad("etcd: max_request_bytes must be positive");
  if (c.initial_db_bytes < 0) return bad("etcd: initial_db_bytes must not be negative");
  if (c.heartbeat_interval <= 0) return bad("etcd: heartbeat_interval must be positive");
  if (c.election_ticks < 1) {
    return bad("etcd: election_ticks must be at least 1, got " + std::to_string(c.election_ticks));
  }
  if (c.request_timeout == 0) return bad("etcd: request_timeout must not be 0");
  return sim::Status();
}

EtcdCluster::EtcdCluster(sim::Simulation& sim, sim::MetricRegistry& metrics, EtcdConfig config)
    : sim_(sim),
      config_(std::move(config)),
      request_timeout_(0),
      latency_rng_(sim.rng(config_.name + "/latency")),
      election_rng_(sim.rng(config_.name + "/election")),
      writes_committed_(metrics.counter(config_.name + ".writes_committed")),
      writes_failed_(metrics.counter(config_.name + ".writes_failed")),
      reads_completed_(metrics.counter(config_.name + ".reads_completed")),
      reads_failed_(metrics.counter(config_.name + ".reads_failed")),
      leader_changes_(metrics.counter(config_.name + ".leader_changes")),
      commit_latency_(metrics.histogram(config_.name + ".commit_latency_s")),
      read_latency_(metrics.histogram(config_.name + ".read_latency_s")),
      batch_proposals_(metrics.histogram(config_.name + ".batch_proposals")),
      db_size_gauge_(metrics.gauge(config_.name + ".db_size_bytes")),
      db_in_use_gauge_(metrics.gauge(config_.name + ".db_size_in_use_bytes")),
      has_leader_(metrics.gauge(config_.name + ".has_leader")),
      proposals_pending_(metrics.gauge(config_.name + ".proposals_pending")) {
  if (const sim::Status s = validate(config_); !s.ok()) throw std::invalid_argument(s.message());
  // upstream: server/config/config.go ReqTimeout = 5s + 2 × election timeout.
  request_timeout_ = config_.request_timeout > 0 ? config_.request_timeout
                                                 : sim::seconds(5) + 2 * election_timeout();
  alive_.assign(static_cast<std::size_t>(config_.members), true);
  live_ = config_.members;
  db_size_ = in_use_ = config_.initial_db_bytes;
  batch_.reserve(static_cast<std::size_t>(config_.max_batch_proposals));
  committing_.reserve(static_cast<std::size_t>(config_.max_batch_proposals));
  set_db_gauges();
  has_leader_.set(1);
}

// --- requests ---------------------------------------------------------------------------

std::uint32_t EtcdCluster::allocate(const EtcdRequest& request, EtcdCallback done) {
  const std::uint32_t slot = slots_.acquire();
  Request& r = slots_[slot];
  r.done = std::move(done);
  r.submitted = sim_.now();
  r.bytes = request.bytes;
  r.revision = 0;
  r.op = request.op;
  r.outcome = Outcome::kOk;
  r.client = request.client;
  return slot;
}

void EtcdCluster::finish(std::uint32_t slot) {
  Request& r = slots_[slot];
  EtcdResult result;
  result.latency = sim_.now() - r.submitted;
  result.revision = r.revision;
  switch (r.outcome) {
    case Outcome::kOk:
      break;
    case Outcome::kNoSpace:
      result.status = sim::Status::resource_exhausted(std::string(kEtcdErrNoSpace));
      break;
    case Outcome::kTooLarge:
      result.status = sim::Status::invalid_argument(std::string(kEtcdErrTooLarge));
      break;
    case Outcome::kTimeout:
      result.status = sim::Status::unavailable(std::string(kEtcdErrTimeout));
      break;
    case Outcome::kLeaderChanged:
      result.status = sim::Status::unavailable(std::string(kEtcdErrLeaderChanged));
      break;
  }
  const bool ok = r.outcome == Outcome::kOk;
  if (is_write(r.op)) {
    if (ok) {
      writes_committed_.add();
      commit_latency_.record_duration(result.latency);
    } else {
      writes_failed_.add();
    }
  } else if (ok) {
    reads_completed_.add();
    read_latency_.record_duration(result.latency);
  } else {
    reads_failed_.add();
  }
  // Release the slot before the callback runs: the callback may submit (and reuse it).
  EtcdCallback done = std::move(r.done);
  r.done = nullptr;
  slots_.release(slot);
  if (done) done(result);
}

void EtcdCluster::finish_soon(std::uint32_t slot, Outcome outcome) {
  slots_[slot].outcome = outcome;
  sim_.schedule_after(0, [this, slot] { finish(slot); });
}

void EtcdCluster::submit(const EtcdRequest& request, EtcdCallback done) {
  const std::uint32_t slot = allocate(request, std::move(done));
  switch (request.op) {
    case EtcdOp::kPut: {
      if (request.bytes > config_.max_request_bytes) {
        finish_soon(slot, Outcome::kTooLarge);
        return;
      }
      if (alarm_) {
        finish_soon(slot, Outcome::kNoSpace);
        return;
      }
      // upstream: storage/quota.go BackendQuota.Available: size + cost < quota.
      const std::int64_t cost = config_.kv_overhead_bytes + request.bytes;
      if (db_size_ + cost >= config_.quota_backend_bytes) {
        alarm_ = true;
        nospace_alarm_raised.emit();
        finish_soon(slot, Outcome::kNoSpace);
        return;
      }
      [[fallthrough]];
    }
    case EtcdOp::kDelete:
      proposals_.push_back(slot);
      set_pending_gauge();
      maybe_start_batch();
      arm_timeout();
      return;
    case EtcdOp::kLinearizableRead:
    case EtcdOp::kSerializableRead:
      if (can_serve_read(request.op)) {
        start_read(slot);
      } else {
        blocked_reads_.push_back(slot);
        arm_timeout();
      }
      return;
  }
}

// --- reads ------------------------------------------------------------------------------

void EtcdCluster::start_read(std::uint32_t slot) {
  const sim::Distribution& d = slots_[slot].op == EtcdOp::kLinearizableRead
                                   ? config_.linearizable_read_latency
                                   : config_.serializable_read_latency;
  sim_.schedule_after(draw(d, latency_rng_), [this, slot] {
    slots_[slot].revision = revision_;
    finish(slot);
  });
}

void EtcdCluster::dispatch_blocked_reads() {
  if (blocked_reads_.empty()) return;
  // Start every read that can now be served, keeping the others in submission order.
  std::size_t kept = 0;
  for (std::size_t i = 0; i < blocked_reads_.size(); ++i) {
    const std::uint32_t slot = blocked_reads_[i];
    if (can_serve_read(slots_[slot].op)) {
      start_read(slot);
    } else {
      blocked_reads_[kept++] = slot;
    }
  }
  blocked_reads_.resize(kept);
  arm_timeout();
}

// --- writes: batching -------------------------------------------------------------------

void EtcdCluster::maybe_start_batch() {
  if (leader_ < 0 || !batch_.empty() || proposals_.empty()) return;
  if (sim_.is_pending(batch_kick_)) return;
  // Start at the end of the current instant (an event at now), so that proposals submitted
  // at the same time travel together, as the leader's raft loop gathers what arrived.
  batch_kick_ = sim_.schedule_after(0, [this] { start_batch(); });
}

void EtcdCluster::start_batch() {
  if (leader_ < 0 || !batch_.empty() || proposals_.empty()) return;
  std::int64_t bytes = 0;
  while (!proposals_.empty() && static_cast<int>(batch_.size()) < config_.max_batch_proposals) {
    const std::uint32_t slot = proposals_.front();
    const std::int64_t b = slots_[slot].bytes;
    // At least one proposal per batch, however large (raft sends one oversized entry alone).
    if (!batch_.empty() && bytes + b > config_.max_batch_bytes) break;
    bytes += b;
    batch_.push_back(slot);
    proposals_.pop_front();
  }
  set_pending_gauge();
  batch_proposals_.record(static_cast<double>(batch_.size()));
  batch_commit_ = sim_.schedule_after(draw(config_.commit_latency, latency_rng_),
                                      [this] { on_batch_committed(); });
  arm_timeout();
}

void EtcdCluster::on_batch_committed() {
  committing_.swap(batch_);  // batch_ is now empty (it held the previous scratch, cleared)
  batch_.clear();
  for (const std::uint32_t slot : committing_) {
    Request& r = slots_[slot];
    if (r.op == EtcdOp::kPut) {
      if (alarm_) {
        // upstream: the capped applier rejects puts while NOSPACE is raised.
        r.outcome = Outcome::kNoSpace;
        continue;
      }
      in_use_ += config_.kv_overhead_bytes + r.bytes;
      db_size_ = std::max(db_size_, in_use_);
    }
    r.revision = ++revision_;
  }
  set_db_gauges();
  maybe_start_batch();
  for (const std::uint32_t slot : committing_) finish(slot);
  committing_.clear();
}

// --- membership and elections -----------------------------------------------------------

bool EtcdCluster::fail_member(int member) {
  if (!alive_.at(static_cast<std::size_t>(member))) return false;
  alive_[static_cast<std::size_t>(member)] = false;
  --live_;
  if (!has_quorum()) {
    // Nothing can commit without a majority; etcd's leader steps down (CheckQuorum) and no
    // election can succeed until members return.
    sim_.cancel(election_);
    if (leader_ >= 0) lose_leader();
  } else if (member == leader_) {
    lose_leader();
    schedule_election();
  } else if (leader_ < 0 && member == election_winner_ && election_pending()) {
    sim_.cancel(election_);  // the would-be winner died: the others' timers decide
    schedule_election();
  }
  return true;
}

bool EtcdCluster::recover_member(int member) {
  if (alive_.at(static_cast<std::size_t>(member))) return false;
  alive_[static_cast<std::size_t>(member)] = true;
  ++live_;
  if (leader_ < 0 && has_quorum() && !election_pending()) schedule_election();
  dispatch_blocked_reads();  // serializable reads need only a live member
  return true;
}

void EtcdCluster::lose_leader() {
  leader_ = -1;
  has_leader_.set(0);
  if (!batch_.empty()) {
    sim_.cancel(batch_commit_);
    if (config_.leader_loss == LeaderLossPolicy::kRetry) {
      // Back to the head of the queue, in their original order.
      for (auto it = batch_.rbegin(); it != batch_.rend(); ++it) proposals_.push_front(*it);
      batch_.clear();
      set_pending_gauge();
    } else {
      for (const std::uint32_t slot : batch_) finish_soon(slot, Outcome::kLeaderChanged);
      batch_.clear();
    }
  }
  arm_timeout();
  leader_changed.emit(-1);
}

void EtcdCluster::schedule_election() {
  // upstream raft: resetRandomizedElectionTimeout = electionTimeout + rand(electionTimeout)
  // ticks, per member; the member whose timer expires first campaigns and wins.
  std::int64_t best_ticks = INT64_MAX;
  int winner = -1;
  const auto ticks = static_cast<std::uint64_t>(config_.election_ticks);
  for (int m = 0; m < config_.members; ++m) {
    if (!alive_[static_cast<std::size_t>(m)]) continue;
    const auto t = static_cast<std::int64_t>(ticks + election_rng_.below(ticks));
    if (t < best_ticks) {
      best_ticks = t;
      winner = m;
    }
  }
  election_winner_ = winner;
  // One vote round: a request-vote round trip and an fsync of the vote, like a commit.
  const sim::Duration delay =
      best_ticks * config_.heartbeat_interval + draw(config_.commit_latency, election_rng_);
  election_ = sim_.schedule_after(delay, [this] { on_election(); });
}

void EtcdCluster::on_election() {
  leader_ = election_winner_;
  election_winner_ = -1;
  leader_changes_.add();
  has_leader_.set(1);
  leader_changed.emit(leader_);
  dispatch_blocked_reads();
  maybe_start_batch();
}

// --- request timeouts -------------------------------------------------------------------

void EtcdCluster::arm_timeout() {
  sim::Time next = sim::kTimeMax;
  if (!proposals_.empty()) next = deadline_of(proposals_.front());
  if (!blocked_reads_.empty()) next = std::min(next, deadline_of(blocked_reads_.front()));
  if (next == timeout_at_ && sim_.is_pending(timeout_event_)) return;
  sim_.cancel(timeout_event_);
  timeout_at_ = next;
  if (next != sim::kTimeMax) {
    timeout_event_ = sim_.schedule_at(std::max(next, sim_.now()), [this] { on_timeout(); });
  }
}

void EtcdCluster::on_timeout() {
  const sim::Time now = sim_.now();
  timeout_at_ = sim::kTimeMax;
  // Take every expired request out of the queues first, then deliver: a callback that
  // submits or changes membership must not see (or batch) a request already timed out.
  std::vector<std::uint32_t> expired;
  while (!proposals_.empty() && deadline_of(proposals_.front()) <= now) {
    expired.push_back(proposals_.front());
    proposals_.pop_front();
  }
  if (!expired.empty()) set_pending_gauge();
  while (!blocked_reads_.empty() && deadline_of(blocked_reads_.front()) <= now) {
    expired.push_back(blocked_reads_.front());
    blocked_reads_.pop_front();
  }
  arm_timeout();
  // Delivered in submission order (the two queues' expired parts merged).
  std::stable_sort(expired.begin(), expired.end(), [this](std::uint32_t a, std::uint32_t b) {
    return slots_[a].submitted < slots_[b].submitted;
  });
  for (const std::uint32_t slot : expired) {
    slots_[slot].outcome = Outcome::kTimeout;
    finish(slot);
  }
}

// --- space ------------------------------------------------------------------------------

void EtcdCluster::compact(std::int64_t bytes) {
  in_use_ -= std::clamp<std::int64_t>(bytes, 0, in_use_);
  set_db_gauges();
}

void EtcdCluster::defragment() {
  db_size_ = in_use_;
  set_db_gauges();
}

void EtcdCluster::disarm_alarm() { alarm_ = false; }

void EtcdCluster::set_db_gauges() {
  db_size_gauge_.set(static_cast<double>(db_size_));
  db_in_use_gauge_.set(static_cast<double>(in_use_));
}

}  // namespace kubesim::models
