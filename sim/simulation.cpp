#include "sim/simulation.hpp"

#include <string>

namespace kubesim::sim {

void Simulation::throw_past(Time t) const {
  throw std::logic_error("simulation: event scheduled in the past (at " + format_duration(t) +
                         ", now is " + format_duration(now_) + ")");
}

void Simulation::throw_bad_delay(Time now, Duration d) {
  if (d < 0) throw std::logic_error("simulation: negative delay " + format_duration(d));
  throw std::overflow_error("simulation: " + format_duration(now) + " + " + format_duration(d) +
                            " is past the end of representable time");
}

std::uint64_t Simulation::run() {
  stop_requested_ = false;
  const std::uint64_t before = events_processed_;
  while (!stop_requested_ && !queue_.empty()) run_one();
  return events_processed_ - before;
}

std::uint64_t Simulation::run_until(Time t) {
  if (t < now_) throw_past(t);
  stop_requested_ = false;
  const std::uint64_t before = events_processed_;
  while (!stop_requested_ && !queue_.empty() && queue_.top_time() <= t) run_one();
  if (!stop_requested_) now_ = t;
  return events_processed_ - before;
}

TimerHandle Simulation::every(Duration period, std::function<void()> fn, TimerOptions options) {
  if (period <= 0) throw std::invalid_argument("simulation: timer period must be positive");
  if (!(options.jitter >= 0)) throw std::invalid_argument("simulation: timer jitter must be >= 0");
  std::uint32_t index = 0;
  if (free_timer_ != TimerHandle::kNone) {
    index = free_timer_;
    free_timer_ = timers_[index].next_free;
  } else {
    index = static_cast<std::uint32_t>(timers_.size());
    timers_.emplace_back();
  }
  Timer& timer = timers_[index];
  timer.fn = std::move(fn);
  timer.period = period;
  timer.jitter = options.jitter;
  // Each timer gets its own stream (creation order is deterministic), so jittered timers
  // that share a name do not tick in lockstep.
  timer.rng = rng("timer/" + options.name + "/" + std::to_string(timers_created_++));
  timer.active = true;
  const Duration first = options.first_delay >= 0 ? options.first_delay : timer_interval(timer);
  arm_timer(index, first);
  return TimerHandle{index, timer.generation};
}

Duration Simulation::timer_interval(Timer& timer) {
  if (timer.jitter == 0) return timer.period;
  // upstream: k8s.io/apimachinery wait.Jitter: duration + rand.Float64()*maxFactor*duration.
  return timer.period +
         static_cast<Duration>(timer.rng.uniform01() * timer.jitter * static_cast<double>(timer.period));
}

void Simulation::arm_timer(std::uint32_t index, Duration delay) {
  const std::uint32_t generation = timers_[index].generation;
  timers_[index].next = schedule_after(delay, [this, index, generation] {
    fire_timer(index, generation);
  });
}

void Simulation::fire_timer(std::uint32_t index, std::uint32_t generation) {
  {
    Timer& timer = timers_[index];
    if (!timer.active || timer.generation != generation) return;
    timer.next = EventHandle{};
    firing_timer_ = index;
    timer.fn();  // may cancel this timer or add others (deque keeps `timer` valid)
    firing_timer_ = TimerHandle::kNone;
  }
  Timer& timer = timers_[index];
  if (timer.active && timer.generation == generation) {
    arm_timer(index, timer_interval(timer));
  } else {
    release_timer(index);  // cancelled by its own callback
  }
}

bool Simulation::timer_active(TimerHandle h) const {
  return h.index < timers_.size() && timers_[h.index].active &&
         timers_[h.index].generation == h.generation;
}

bool Simulation::cancel_timer(TimerHandle h) {
  if (!timer_active(h)) return false;
  Timer& timer = timers_[h.index];
  queue_.cancel(timer.next);
  timer.active = false;
  ++timer.generation;
  // A timer cancelling itself from its own callback is released once the callback returns:
  // its std::function must not be replaced while it runs.
  if (h.index != firing_timer_) release_timer(h.index);
  return true;
}

void Simulation::release_timer(std::uint32_t index) {
  timers_[index].fn = nullptr;
  timers_[index].next_free = free_timer_;
  free_timer_ = index;
}

}  // namespace kubesim::sim
