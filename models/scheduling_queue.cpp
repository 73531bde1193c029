#include "models/scheduling_queue.hpp"

#include <cassert>
#include <limits>
#include <stdexcept>
#include <utility>
#include <vector>

namespace kubesim::models {
namespace {

// Go's zero time.Time: before every instant the simulation can reach.
constexpr sim::Time kNoBackoff = std::numeric_limits<sim::Time>::min();

std::string metric(const SchedulingQueueConfig& c, std::string_view what) {
  std::string name = c.name;
  name += '.';
  name += what;
  return name;
}

}  // namespace

std::string_view queue_name(QueueName q) {
  switch (q) {
    case QueueName::kNone:
      return "none";
    case QueueName::kActive:
      return "active";
    case QueueName::kInFlight:
      return "inFlight";
    case QueueName::kBackoff:
      return "backoff";
    case QueueName::kUnschedulable:
      return "unschedulable";
  }
  return "unknown";
}

// upstream: PrioritySort.Less — higher priority first, then the earlier timestamp.
bool SchedulingQueue::ActiveOrder::operator()(const PodRef& a, const PodRef& b) const {
  const Entry& x = a->second;
  const Entry& y = b->second;
  if (x.priority != y.priority) return x.priority > y.priority;
  if (x.timestamp != y.timestamp) return x.timestamp < y.timestamp;
  return x.seq < y.seq;
}

bool SchedulingQueue::BackoffOrder::operator()(const PodRef& a, const PodRef& b) const {
  const Entry& x = a->second;
  const Entry& y = b->second;
  const sim::Time ex = queue->backoff_expiration(x);
  const sim::Time ey = queue->backoff_expiration(y);
  if (ex != ey) return ex < ey;
  if (with_priority) {
    if (x.priority != y.priority) return x.priority > y.priority;
    if (x.timestamp != y.timestamp) return x.timestamp < y.timestamp;
  }
  return x.seq < y.seq;
}

SchedulingQueue::SchedulingQueue(sim::Simulation& sim, sim::MetricRegistry& metrics,
                                 SchedulingQueueConfig config)
    : sim_(sim),
      config_(std::move(config)),
      unschedulable_backoff_(BackoffOrder{this, config_.pop_from_backoff_q}),
      error_backoff_(BackoffOrder{this, false}),
      pods_added_(metrics.counter(metric(config_, "pods_added"))),
      pods_popped_(metrics.counter(metric(config_, "pods_popped"))),
      popped_from_backoff_(metrics.counter(metric(config_, "popped_from_backoff"))),
      pods_scheduled_(metrics.counter(metric(config_, "pods_scheduled"))),
      pods_removed_(metrics.counter(metric(config_, "pods_removed"))),
      failed_unschedulable_(metrics.counter(metric(config_, "attempts_unschedulable"))),
      failed_error_(metrics.counter(metric(config_, "attempts_error"))),
      incoming_active_(metrics.counter(metric(config_, "incoming_active"))),
      incoming_backoff_(metrics.counter(metric(config_, "incoming_backoff"))),
      incoming_unschedulable_(metrics.counter(metric(config_, "incoming_unschedulable"))),
      cluster_events_(metrics.counter(metric(config_, "cluster_events"))),
      active_gauge_(metrics.gauge(metric(config_, "pending_active"))),
      backoff_gauge_(metrics.gauge(metric(config_, "pending_backoff"))),
      unschedulable_gauge_(metrics.gauge(metric(config_, "pending_unschedulable"))),
      in_flight_gauge_(metrics.gauge(metric(config_, "in_flight"))) {
  if (config_.pod_initial_backoff <= 0 || config_.pod_max_backoff < 0 ||
      config_.pod_max_in_unschedulable_pods <= 0 || config_.unschedulable_flush_period <= 0 ||
      config_.backoff_window <= 0) {
    throw std::logic_error("SchedulingQueue: durations must be positive");
  }
  // upstream: waitUntilAlignedWithOrderingWindow — the first flush at the next whole window
  // strictly after now (one window later when the gate is off), then every window.
  const sim::Time now = sim_.now();
  sim::TimerOptions backoff_options;
  backoff_options.name = "scheduling_queue/backoff_flush";
  backoff_options.first_delay = align(now + config_.backoff_window) - now;
  backoff_timer_ = sim_.every(
      config_.backoff_window, [this] { flush_backoff_completed(); }, backoff_options);
  // upstream: wait.Until(flushUnschedulablePodsLeftover, 30s) runs at once, then every 30 s.
  sim::TimerOptions leftover_options;
  leftover_options.name = "scheduling_queue/unschedulable_flush";
  leftover_options.first_delay = 0;
  unschedulable_timer_ = sim_.every(
      config_.unschedulable_flush_period, [this] { flush_unschedulable_leftover(); },
      leftover_options);
}

SchedulingQueue::~SchedulingQueue() { close(); }

void SchedulingQueue::close() {
  sim_.cancel_timer(backoff_timer_);
  sim_.cancel_timer(unschedulable_timer_);
}

// upstream: backoff_queue.go calculateBackoffDuration — doubling with an overflow-safe cap.
sim::Duration SchedulingQueue::duration_for(const Entry& e) const {
  const int count = e.consecutive_errors > 0 ? e.consecutive_errors : e.unschedulable_count;
  if (count == 0) return 0;
  sim::Duration d = config_.pod_initial_backoff;
  for (int i = 1; i < count; ++i) {
    if (d > config_.pod_max_backoff - d) return config_.pod_max_backoff;
    d += d;
  }
  return d;
}

// upstream: backoff_queue.go getBackoffTime.
sim::Time SchedulingQueue::backoff_expiration(const Entry& e) const {
  if (e.consecutive_errors == 0 && e.unschedulable_count == 0) return kNoBackoff;
  return align(e.timestamp + duration_for(e));
}

// upstream: alignToWindow — time.Truncate to the window, only with SchedulerPopFromBackoffQ.
// Simulated time 0 counts as a whole window.
sim::Time SchedulingQueue::align(sim::Time t) const {
  if (!config_.pop_from_backoff_q) return t;
  sim::Time r = t % config_.backoff_window;
  if (r < 0) r += config_.backoff_window;
  return t - r;
}

// upstream: isPodBackingoff — "!boTime.Before(alignToWindow(now))".
bool SchedulingQueue::is_backing_off(const Entry& e) const {
  const sim::Time expiration = backoff_expiration(e);
  return expiration != kNoBackoff && expiration >= align(sim_.now());
}

void SchedulingQueue::place(PodRef pod) {
  if (pod->second.where == QueueName::kInFlight) ++in_flight_;
  with_queue_of(pod, [pod](auto& queue) { queue.insert(pod); });
}

void SchedulingQueue::insert(PodRef pod, QueueName to, std::string_view event) {
  Entry& e = pod->second;
  const QueueName from = e.where;
  e.where = to;
  e.seq = next_seq_++;
  place(pod);
  // upstream: scheduler_queue_incoming_pods_total{queue}
  if (to == QueueName::kActive) incoming_active_.add();
  if (to == QueueName::kBackoff) incoming_backoff_.add();
  if (to == QueueName::kUnschedulable) incoming_unschedulable_.add();
  moved.emit(QueueMove{pod->first, from, to, event});
}

void SchedulingQueue::erase_from_current(PodRef pod) {
  if (pod->second.where == QueueName::kInFlight) --in_flight_;
  with_queue_of(pod, [pod](auto& queue) { queue.erase(pod); });
}

void SchedulingQueue::move(PodRef pod, QueueName to, std::string_view event) {
  erase_from_current(pod);
  insert(pod, to, event);
}

void SchedulingQueue::move_to_active_or_backoff(PodRef pod, std::string_view event) {
  erase_from_current(pod);
  // Pods leaving the pool were rejected by plugins: the unschedulable backoff sub-queue.
  if (pod->second.where == QueueName::kUnschedulable) {
    pod->second.backoff_kind = BackoffKind::kUnschedulable;
  }
  insert(pod, is_backing_off(pod->second) ? QueueName::kBackoff : QueueName::kActive, event);
}

void SchedulingQueue::update_gauges() {
  active_gauge_.set(static_cast<double>(active_size()));
  backoff_gauge_.set(static_cast<double>(backoff_size()));
  unschedulable_gauge_.set(static_cast<double>(unschedulable_size()));
  in_flight_gauge_.set(static_cast<double>(in_flight_));
}

bool SchedulingQueue::add(std::string key, std::int32_t priority) {
  auto [pod, inserted] = pods_.try_emplace(std::move(key));
  if (!inserted) return false;
  pod->second.priority = priority;
  pod->second.timestamp = sim_.now();
  insert(pod, QueueName::kActive, "PodAdd");
  pods_added_.add();
  update_gauges();
  return true;
}

std::optional<std::string> SchedulingQueue::pop() {
  PodRef pod;
  std::string_view event = "Pop";
  if (!active_.empty()) {
    pod = *active_.begin();
  } else if (config_.pop_from_backoff_q && !unschedulable_backoff_.empty()) {
    // upstream: active_queue.go unlockedPop — activeQ empty, so the head of podBackoffQ
    // (never podErrorBackoffQ) is taken even though its backoff has not expired.
    pod = *unschedulable_backoff_.begin();
    event = "PopFromBackoffQ";
    popped_from_backoff_.add();
  } else {
    return std::nullopt;
  }
  erase_from_current(pod);
  Entry& e = pod->second;
  ++e.attempts;
  e.cycle = ++scheduling_cycle_;
  insert(pod, QueueName::kInFlight, event);
  pods_popped_.add();
  update_gauges();
  return pod->first;
}

bool SchedulingQueue::done(std::string_view key, AttemptOutcome outcome) {
  const auto pod = pods_.find(key);
  if (pod == pods_.end() || pod->second.where != QueueName::kInFlight) return false;
  Entry& e = pod->second;
  if (e.deleted_in_flight || outcome == AttemptOutcome::kScheduled) {
    erase_from_current(pod);
    e.where = QueueName::kNone;
    const bool deleted = e.deleted_in_flight;
    moved.emit(QueueMove{pod->first, QueueName::kInFlight, QueueName::kNone,
                         deleted ? "PodDelete" : "Scheduled"});
    if (!deleted) pods_scheduled_.add();
    pods_.erase(pod);
    update_gauges();
    return true;
  }
  // upstream: AddUnschedulableIfNotPresent — count the failure, refresh the timestamp.
  if (outcome == AttemptOutcome::kError) {
    ++e.consecutive_errors;
    e.backoff_kind = BackoffKind::kError;
    failed_error_.add();
  } else {
    ++e.unschedulable_count;
    e.consecutive_errors = 0;
    e.backoff_kind = BackoffKind::kUnschedulable;
    failed_unschedulable_.add();
  }
  e.timestamp = sim_.now();
  // upstream: addUnschedulableWithoutQueueingHint — an error, or a move request received
  // since this pod's cycle began, sends it to backoffQ; otherwise to the pool.
  const bool to_backoff = outcome == AttemptOutcome::kError || move_request_cycle_ >= e.cycle;
  move(pod, to_backoff ? QueueName::kBackoff : QueueName::kUnschedulable, "ScheduleAttemptFailure");
  update_gauges();
  return true;
}

void SchedulingQueue::update(std::string_view key, std::int32_t priority) {
  auto pod = pods_.find(key);
  if (pod == pods_.end()) {
    // upstream: Update of a pod in no queue adds it to activeQ.
    add(std::string(key), priority);
    return;
  }
  Entry& e = pod->second;
  switch (e.where) {
    case QueueName::kActive:
    case QueueName::kBackoff:
      // Re-sort in place (a heap update upstream): same sub-queue, same sequence, no move.
      erase_from_current(pod);
      e.priority = priority;
      place(pod);
      break;
    case QueueName::kUnschedulable:
      e.priority = priority;
      move_to_active_or_backoff(pod, "PodUpdate");
      break;
    case QueueName::kInFlight:
      e.priority = priority;
      break;
    case QueueName::kNone:
      break;
  }
  update_gauges();
}

bool SchedulingQueue::remove(std::string_view key) {
  const auto pod = pods_.find(key);
  if (pod == pods_.end()) return false;
  Entry& e = pod->second;
  if (!e.deleted_in_flight) pods_removed_.add();
  if (e.where == QueueName::kInFlight) {
    // The scheduler drops a deleted pod's failure (schedule_one.go handleSchedulingFailure);
    // keep the entry until done() so the attempt can end cleanly.
    e.deleted_in_flight = true;
    return true;
  }
  const QueueName from = e.where;
  erase_from_current(pod);
  moved.emit(QueueMove{pod->first, from, QueueName::kNone, "PodDelete"});
  pods_.erase(pod);
  update_gauges();
  return true;
}

std::size_t SchedulingQueue::move_all_to_active_or_backoff(std::string_view event,
                                                           const PreEnqueueCheck& pre_check) {
  cluster_events_.add();
  std::vector<PodRef> to_move;
  to_move.reserve(unschedulable_.size());
  for (const PodRef& pod : unschedulable_) {
    if (!pre_check || pre_check(pod->first)) to_move.push_back(pod);
  }
  for (const PodRef& pod : to_move) move_to_active_or_backoff(pod, event);
  // upstream: movePodsToActiveOrBackoffQueue records the move request for in-flight pods.
  move_request_cycle_ = scheduling_cycle_;
  update_gauges();
  return to_move.size();
}

std::size_t SchedulingQueue::flush_backoff_completed() {
  // upstream: popAllBackoffCompleted — podBackoffQ first, then podErrorBackoffQ, each while
  // its head has completed backoff.
  std::vector<PodRef> completed;
  for (auto* q : {&unschedulable_backoff_, &error_backoff_}) {
    for (const PodRef& pod : *q) {
      if (is_backing_off(pod->second)) break;
      completed.push_back(pod);
    }
  }
  for (const PodRef& pod : completed) move(pod, QueueName::kActive, "BackoffComplete");
  if (!completed.empty()) update_gauges();
  return completed.size();
}

std::size_t SchedulingQueue::flush_unschedulable_leftover() {
  // upstream: flushUnschedulablePodsLeftover — strictly longer than the maximum.
  const sim::Time now = sim_.now();
  std::vector<PodRef> leftover;
  for (const PodRef& pod : unschedulable_) {
    if (now - pod->second.timestamp > config_.pod_max_in_unschedulable_pods) {
      leftover.push_back(pod);
    }
  }
  if (leftover.empty()) return 0;
  for (const PodRef& pod : leftover) move_to_active_or_backoff(pod, "UnschedulableTimeout");
  move_request_cycle_ = scheduling_cycle_;
  update_gauges();
  return leftover.size();
}

QueueName SchedulingQueue::where(std::string_view key) const {
  const auto pod = pods_.find(key);
  return pod == pods_.end() ? QueueName::kNone : pod->second.where;
}

int SchedulingQueue::attempts(std::string_view key) const {
  const auto pod = pods_.find(key);
  return pod == pods_.end() ? 0 : pod->second.attempts;
}

sim::Duration SchedulingQueue::backoff_duration(std::string_view key) const {
  const auto pod = pods_.find(key);
  return pod == pods_.end() ? 0 : duration_for(pod->second);
}

std::optional<sim::Time> SchedulingQueue::backoff_end(std::string_view key) const {
  const auto pod = pods_.find(key);
  if (pod == pods_.end()) return std::nullopt;
  const sim::Time expiration = backoff_expiration(pod->second);
  if (expiration == kNoBackoff) return std::nullopt;
  // Backing off while expiration >= align(now): with windows that ends one window after the
  // (aligned) expiration, without them one nanosecond after it.
  return config_.pop_from_backoff_q ? expiration + config_.backoff_window : expiration + 1;
}

}  // namespace kubesim::models
