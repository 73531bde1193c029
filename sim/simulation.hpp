// Simulation: the discrete-event kernel. It owns simulated time, the event queue, periodic
// timers and the seed from which every random stream is derived. It knows nothing of
// Kubernetes; models schedule closures on it and publish what happened through Signals.
//
// Time only moves forward: now() is the time of the event being run (or the bound of the
// last run_until). Scheduling in the past is a programming error and throws
// std::logic_error — always checked, because a single backwards event would silently
// corrupt every result after it.
//
// Order of events: (time, scheduling order). Two events at the same time run in the order
// schedule_at/schedule_after was called for them. Periodic timers reschedule themselves
// after their callback returns, so events the callback schedules for the next tick time
// run before the next tick.
//
// Fingerprint: a running hash of the (time, sequence) of every event run, in the spirit of
// OMNeT++'s fingerprints: two runs with the same fingerprint followed the same trajectory.
//
// Not thread-safe. Parallelism in kubesim is across Simulations (replications, sweeps).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/event_queue.hpp"
#include "sim/random.hpp"
#include "sim/time.hpp"

namespace kubesim::sim {

struct TimerHandle {
  static constexpr std::uint32_t kNone = UINT32_MAX;
  std::uint32_t index = kNone;
  std::uint32_t generation = 0;
  bool valid() const { return index != kNone; }
};

struct TimerOptions {
  // Delay before the first tick; negative means one period.
  Duration first_delay = -1;
  // Each interval is period × (1 + jitter × U[0,1)), as Kubernetes' wait.Jitter does.
  // 0 disables jitter. REQUIRES: jitter >= 0.
  double jitter = 0;
  // Names the random stream for the jitter: "timer/<name>/<k>" for the k-th timer created
  // on this Simulation, so timers sharing a name still jitter independently.
  std::string name = "timer";
};

class Simulation {
 public:
  explicit Simulation(std::uint64_t seed = 1, std::uint64_t replication = 0)
      : seed_(seed), replication_(replication) {}
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  Time now() const { return now_; }
  std::uint64_t seed() const { return seed_; }
  std::uint64_t replication() const { return replication_; }

  // The random stream named `name` for this run's (seed, replication).
  Rng rng(std::string_view name) const { return Rng(seed_, replication_, name); }

  // REQUIRES: t >= now(). Throws std::logic_error otherwise.
  template <typename F>
  EventHandle schedule_at(Time t, F&& fn) {
    if (t < now_) throw_past(t);
    return queue_.push(t, std::forward<F>(fn));
  }
  // REQUIRES: d >= 0, and now() + d does not overflow.
  template <typename F>
  EventHandle schedule_after(Duration d, F&& fn) {
    return schedule_at(checked_add(now_, d), std::forward<F>(fn));
  }
  bool cancel(EventHandle h) { return queue_.cancel(h); }
  bool is_pending(EventHandle h) const { return queue_.is_pending(h); }
  std::size_t pending() const { return queue_.size(); }

  // Calls fn every `period` (REQUIRES period > 0) until the timer is cancelled.
  TimerHandle every(Duration period, std::function<void()> fn, TimerOptions options = {});
  // Stops a timer; safe to call from inside the timer's own callback. False if not active.
  bool cancel_timer(TimerHandle h);
  bool timer_active(TimerHandle h) const;

  // Runs events until none is left or stop() is called. Returns the events run.
  std::uint64_t run();
  // Runs every event with time <= t (events exactly at t included), then advances now() to
  // t unless stop() was called. Returns the events run. REQUIRES: t >= now().
  std::uint64_t run_until(Time t);
  // Runs one event. Returns false when no event is pending.
  bool step() {
    if (queue_.empty()) return false;
    run_one();
    return true;
  }
  // Makes run()/run_until() return after the current event. The next run()/run_until()
  // continues where this one stopped (pause and resume).
  void stop() { stop_requested_ = true; }
  bool stop_requested() const { return stop_requested_; }

  // Time of the next pending event, or kTimeMax when none is pending.
  Time next_event_time() { return queue_.empty() ? kTimeMax : queue_.top_time(); }

  std::uint64_t events_processed() const { return events_processed_; }
  std::uint64_t fingerprint() const { return fingerprint_; }

 private:
  struct Timer {
    std::function<void()> fn;
    Duration period = 0;
    double jitter = 0;
    Rng rng{0};
    EventHandle next;
    std::uint32_t generation = 0;
    bool active = false;
    std::uint32_t next_free = TimerHandle::kNone;
  };

  [[noreturn]] void throw_past(Time t) const;
  static Time checked_add(Time now, Duration d) {
    Time t = 0;
    if (d < 0 || __builtin_add_overflow(now, d, &t)) throw_bad_delay(now, d);
    return t;
  }
  [[noreturn]] static void throw_bad_delay(Time now, Duration d);
  void run_one() {
    queue_.run_next([this](Time t, std::uint64_t sequence) {
      now_ = t;
      fingerprint_ = (fingerprint_ ^ static_cast<std::uint64_t>(t)) * kFingerprintPrime;
      fingerprint_ = (fingerprint_ ^ sequence) * kFingerprintPrime;
      ++events_processed_;
    });
  }
  void fire_timer(std::uint32_t index, std::uint32_t generation);
  void arm_timer(std::uint32_t index, Duration delay);
  Duration timer_interval(Timer& timer);
  void release_timer(std::uint32_t index);

  static constexpr std::uint64_t kFingerprintPrime = 0x100000001b3ULL;

  EventQueue queue_;
  Time now_ = 0;
  std::uint64_t seed_;
  std::uint64_t replication_;
  std::uint64_t events_processed_ = 0;
  std::uint64_t fingerprint_ = 0xcbf29ce484222325ULL;
  bool stop_requested_ = false;
  std::deque<Timer> timers_;  // deque: stable addresses while callbacks add timers
  std::uint32_t free_timer_ = TimerHandle::kNone;
  std::uint32_t firing_timer_ = TimerHandle::kNone;
  std::uint64_t timers_created_ = 0;
};

}  // namespace kubesim::sim
