// SchedulingQueue: kube-scheduler v1.34's scheduling queue (upstream
// pkg/scheduler/backend/queue/{scheduling_queue,active_queue,backoff_queue}.go) as a model on
// its own. It holds pod keys ("namespace/name") with a priority and the queue bookkeeping
// upstream keeps in QueuedPodInfo (timestamp, attempts, unschedulable and consecutive-error
// counts), never Pod objects. docs/control-plane.md, "Scheduling queue", gives the rules
// with their sources and what is left out.
//
// A pending pod is in exactly one place:
// - activeQ: ready to be tried. pop() returns the highest priority first, then the earliest
//   timestamp (PrioritySort), then the earliest insertion into activeQ (our deterministic
//   tie-break; upstream's heap leaves ties unspecified).
// - in flight: popped, being scheduled, until done(key, outcome).
// - backoffQ: waiting for its backoff to expire. Two sub-queues as upstream: one for pods that
//   were unschedulable, one for pods that failed with an error.
// - the unschedulable pool: waiting for a cluster event (move_all_to_active_or_backoff) or
//   for the 5-minute leftover flush.
//
// Backoff (backoff_queue.go, getBackoffTime): count = consecutive errors if the last attempt
// failed with an error, else the number of unschedulable attempts; duration =
// initial × 2^(count−1), capped at max (1 s and 10 s by default); it runs from the
// timestamp of the last failure. With SchedulerPopFromBackoffQ (beta, on by default in
// v1.34) the expiry is truncated to a whole ordering window (1 s) and a pod is still backing
// off while its truncated expiry is not before the truncated current time.
//
// Time: two periodic flushes run on the Simulation from construction until close() or
// destruction: backoffQ → activeQ every window (1 s), aligned to whole seconds of simulated
// time (upstream waitUntilAlignedWithOrderingWindow), and unschedulable leftovers every
// 30 s starting at once (upstream wait.Until). They keep the event list non-empty, so drive
// the simulation with run_until(), or close() the queue before run().
//
// Not thread-safe. Iteration order never depends on hashing: a run is reproducible.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "sim/metrics.hpp"
#include "sim/signal.hpp"
#include "sim/simulation.hpp"
#include "sim/time.hpp"

namespace kubesim::models {

// Where a pod is. kNone: unknown to the queue (never added, scheduled or removed).
enum class QueueName { kNone, kActive, kInFlight, kBackoff, kUnschedulable };
std::string_view queue_name(QueueName q);  // "none", "active", "inFlight", "backoff", ...

// How a scheduling attempt ended (what the scheduler reports to the queue).
enum class AttemptOutcome {
  kScheduled,      // bound (or assumed): the pod leaves the queue
  kUnschedulable,  // some plugin rejected it: Filter found no node, PostFilter did not help
  kError,          // an unexpected error (API call failed, plugin error): no plugin rejected it
};

struct SchedulingQueueConfig {
  // podInitialBackoffSeconds / podMaxBackoffSeconds (KubeSchedulerConfiguration defaults).
  sim::Duration pod_initial_backoff = sim::seconds(1);
  sim::Duration pod_max_backoff = sim::seconds(10);
  // DefaultPodMaxInUnschedulablePodsDuration; a pod older than this in the pool is flushed.
  sim::Duration pod_max_in_unschedulable_pods = sim::minutes(5);
  // Period of flushUnschedulablePodsLeftover (hard-coded 30 s upstream).
  sim::Duration unschedulable_flush_period = sim::seconds(30);
  // backoffQOrderingWindowDuration: the backoffQ flush period and, with pop_from_backoff_q,
  // the window expiries are truncated to (hard-coded 1 s upstream).
  sim::Duration backoff_window = sim::seconds(1);
  // Feature gate SchedulerPopFromBackoffQ (beta, on by default since v1.33): when activeQ is
  // empty pop() takes the head of the unschedulable backoff sub-queue, and expiries are
  // aligned to the window. Off: no popping from backoffQ, exact expiries, and the backoff
  // flush ticks every window from construction instead of at whole windows.
  bool pop_from_backoff_q = true;
  // Metric names are "<name>.<metric>".
  std::string name = "scheduling_queue";
};

// One move of a pod between places, for observers (metrics, traces, the GUI). `event` is
// upstream's label: "PodAdd", "Pop", "PopFromBackoffQ", "ScheduleAttemptFailure",
// "BackoffComplete", "UnschedulableTimeout", "PodUpdate", "PodDelete", "Scheduled", or the
// cluster event given to move_all_to_active_or_backoff. Views are valid during the emit only.
struct QueueMove {
  std::string_view key;
  QueueName from;
  QueueName to;
  std::string_view event;
};

class SchedulingQueue {
 public:
  // Chooses which unschedulable pods a cluster event moves (upstream PreEnqueueCheck).
  using PreEnqueueCheck = std::function<bool(std::string_view key)>;

  // Starts the two periodic flushes at sim.now(). REQUIRES: sim and metrics outlive the
  // queue; durations > 0 (max backoff >= 0).
  SchedulingQueue(sim::Simulation& sim, sim::MetricRegistry& metrics,
                  SchedulingQueueConfig config = {});
  ~SchedulingQueue();
  SchedulingQueue(const SchedulingQueue&) = delete;
  SchedulingQueue& operator=(const SchedulingQueue&) = delete;

  // A new pending pod enters activeQ with timestamp now. False (and nothing changes) if the
  // key is already known to the queue, in flight included.
  bool add(std::string key, std::int32_t priority);

  // The next pod to schedule, now in flight; nullopt when nothing can be popped. Increments
  // the pod's attempts and the scheduling cycle.
  std::optional<std::string> pop();

  // Ends the attempt of an in-flight pod (upstream AddUnschedulableIfNotPresent + Done).
  // kScheduled forgets the pod. kUnschedulable goes to the unschedulable pool, or to backoffQ
  // if a cluster event arrived since the pod was popped; kError goes to backoffQ. False if the
  // pod is not in flight. A pod removed while in flight is forgotten whatever the outcome.
  bool done(std::string_view key, AttemptOutcome outcome);

  // The pod changed (priority, or anything else that may make it schedulable). In activeQ or
  // backoffQ it is re-sorted; in the pool it moves to backoffQ if still backing off, else to
  // activeQ; in flight the new priority is kept for when it comes back; an unknown pod is
  // added to activeQ (upstream Update).
  void update(std::string_view key, std::int32_t priority);

  // The pod was deleted. True if the queue knew it.
  bool remove(std::string_view key);

  // A cluster event that may make pods schedulable (node added, pod deleted, ...): every
  // pod of the unschedulable pool accepted by `pre_check` (all when empty) moves to backoffQ
  // if still backing off, else to activeQ (moveAllToActiveOrBackoffQueue with the
  // SchedulerQueueingHints gate off: no per-plugin hints). Also records the move request
  // for pods in flight. Returns the number of pods moved.
  std::size_t move_all_to_active_or_backoff(std::string_view event,
                                            const PreEnqueueCheck& pre_check = {});

  // What the periodic flushes do; public so a caller can force one. Return pods moved.
  std::size_t flush_backoff_completed();
  std::size_t flush_unschedulable_leftover();

  // Stops the periodic flushes (upstream Close). Every other call keeps working; pods only
  // leave backoffQ and the pool when the caller runs the flushes.
  void close();

  std::size_t active_size() const { return active_.size(); }
  std::size_t backoff_size() const { return unschedulable_backoff_.size() + error_backoff_.size(); }
  std::size_t unschedulable_size() const { return unschedulable_.size(); }
  std::size_t in_flight_size() const { return in_flight_; }
  // Pending pods: activeQ + backoffQ + unschedulable pool (in flight not counted).
  std::size_t size() const { return active_size() + backoff_size() + unschedulable_size(); }

  QueueName where(std::string_view key) const;
  // Scheduling attempts so far (pops). 0 for an unknown pod.
  int attempts(std::string_view key) const;
  // The backoff the pod's failure count gives (0 before any failure, or unknown pod).
  sim::Duration backoff_duration(std::string_view key) const;
  // When the pod stops backing off: the first time it may leave backoffQ (the backoff
  // expiry, window-aligned with pop_from_backoff_q, plus the rule "not before the window
  // after the expiry's"). std::nullopt if the pod has no failure yet or is unknown.
  std::optional<sim::Time> backoff_end(std::string_view key) const;
  // Pops so far (upstream SchedulingCycle()).
  std::int64_t scheduling_cycle() const { return scheduling_cycle_; }
  const SchedulingQueueConfig& config() const { return config_; }

  // Every move between places, add and removal included.
  sim::Signal<QueueMove> moved;

 private:
  enum class BackoffKind { kUnschedulable, kError };
  struct Entry {
    std::int32_t priority = 0;
    sim::Time timestamp = 0;  // enqueue time, refreshed at each failed attempt
    std::uint64_t seq = 0;    // insertion sequence into the current sub-queue
    int attempts = 0;
    int unschedulable_count = 0;
    int consecutive_errors = 0;
    std::int64_t cycle = 0;  // scheduling cycle of the last pop
    QueueName where = QueueName::kNone;
    BackoffKind backoff_kind = BackoffKind::kUnschedulable;
    bool deleted_in_flight = false;
  };
  using Pods = std::map<std::string, Entry, std::less<>>;
  using PodRef = Pods::iterator;

  struct ActiveOrder {
    bool operator()(const PodRef& a, const PodRef& b) const;
  };
  // By backoff expiry; ties by PrioritySort when `with_priority` (upstream
  // lessBackoffCompletedWithPriority), then by insertion.
  struct BackoffOrder {
    const SchedulingQueue* queue;
    bool with_priority;
    bool operator()(const PodRef& a, const PodRef& b) const;
  };
  struct KeyOrder {
    bool operator()(const PodRef& a, const PodRef& b) const { return a->first < b->first; }
  };

  sim::Duration duration_for(const Entry& e) const;
  // Go's zero time for "no backoff" is before every time; kTimeMin stands for it.
  sim::Time backoff_expiration(const Entry& e) const;
  sim::Time align(sim::Time t) const;
  bool is_backing_off(const Entry& e) const;

  // Puts the pod in the container of pod->second.where; nothing else.
  void place(PodRef pod);
  // Sets where and a new sequence, places, counts and emits `moved`.
  void insert(PodRef pod, QueueName to, std::string_view event);
  void erase_from_current(PodRef pod);
  void move(PodRef pod, QueueName to, std::string_view event);
  // requeuePodWithQueueingStrategy(queueAfterBackoff): backoffQ while backing off, else activeQ.
  void move_to_active_or_backoff(PodRef pod, std::string_view event);
  void update_gauges();

  sim::Simulation& sim_;
  SchedulingQueueConfig config_;
  Pods pods_;
  // Calls f(queue) with the ordered set that holds the pod where it is now; nothing for
  // in-flight pods and pods in no queue.
  template <typename F>
  void with_queue_of(PodRef pod, F&& f) {
    const Entry& e = pod->second;
    switch (e.where) {
      case QueueName::kActive:
        f(active_);
        break;
      case QueueName::kBackoff:
        if (e.backoff_kind == BackoffKind::kError) {
          f(error_backoff_);
        } else {
          f(unschedulable_backoff_);
        }
        break;
      case QueueName::kUnschedulable:
        f(unschedulable_);
        break;
      case QueueName::kInFlight:
      case QueueName::kNone:
        break;
    }
  }

  std::set<PodRef, ActiveOrder> active_;
  std::set<PodRef, BackoffOrder> unschedulable_backoff_;
  std::set<PodRef, BackoffOrder> error_backoff_;
  std::set<PodRef, KeyOrder> unschedulable_;
  std::size_t in_flight_ = 0;
  std::uint64_t next_seq_ = 0;
  std::int64_t scheduling_cycle_ = 0;
  std::int64_t move_request_cycle_ = -1;
  sim::TimerHandle backoff_timer_;
  sim::TimerHandle unschedulable_timer_;

  sim::Counter& pods_added_;
  sim::Counter& pods_popped_;
  sim::Counter& popped_from_backoff_;
  sim::Counter& pods_scheduled_;
  sim::Counter& pods_removed_;
  sim::Counter& failed_unschedulable_;
  sim::Counter& failed_error_;
  sim::Counter& incoming_active_;
  sim::Counter& incoming_backoff_;
  sim::Counter& incoming_unschedulable_;
  sim::Counter& cluster_events_;
  sim::Gauge& active_gauge_;
  sim::Gauge& backoff_gauge_;
  sim::Gauge& unschedulable_gauge_;
  sim::Gauge& in_flight_gauge_;
};

}  // namespace kubesim::models
