// Tests for sim/simulation: the run loop (run, run_until, step, stop), scheduling rules,
// cancellation through the Simulation, periodic timers with jitter, and determinism
// (same seed, same trajectory and fingerprint).
#include "sim/simulation.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace kubesim::sim {
namespace {

// An event log entry: when an event ran and which one it was.
struct Entry {
  Time time;
  int id;
  friend bool operator==(const Entry&, const Entry&) = default;
};

std::ostream& operator<<(std::ostream& os, const Entry& e) {
  return os << "{" << e.time << ", " << e.id << "}";
}

// A simulation plus a log; handlers capture a pointer to it (captures must fit
// kCallbackCapacity bytes).
struct Fixture {
  Simulation sim{42};
  std::vector<Entry> log;

  EventHandle at(Time t, int id) {
    return sim.schedule_at(t, [this, id] { log.push_back({sim.now(), id}); });
  }
  EventHandle after(Duration d, int id) {
    return sim.schedule_after(d, [this, id] { log.push_back({sim.now(), id}); });
  }
};

// ---------------------------------------------------------------------------------------
// Ordering

TEST_CASE("events run in time order and now() is the time of the running event", "[simulation]") {
  Fixture f;
  f.at(seconds(3), 3);
  f.at(seconds(1), 1);
  f.at(seconds(2), 2);
  f.at(0, 0);
  CHECK(f.sim.now() == 0);
  CHECK(f.sim.pending() == 4);
  CHECK(f.sim.run() == 4);
  CHECK(f.log == std::vector<Entry>{{0, 0}, {seconds(1), 1}, {seconds(2), 2}, {seconds(3), 3}});
  CHECK(f.sim.now() == seconds(3));  // run() leaves now at the last event
  CHECK(f.sim.pending() == 0);
  CHECK(f.sim.events_processed() == 4);
}

TEST_CASE("same-time events run in scheduling order, including ones scheduled from a handler",
          "[simulation]") {
  Fixture f;
  const Time t = milliseconds(5);
  f.at(t, 1);
  f.sim.schedule_at(t, [&f, t] {
    f.log.push_back({f.sim.now(), 2});
    // Scheduled for the current time from inside a handler: runs after 3 and 4, which were
    // scheduled earlier for the same time, and before the event at t+1.
    f.sim.schedule_at(t, [&f] { f.log.push_back({f.sim.now(), 5}); });
    f.sim.schedule_after(0, [&f] { f.log.push_back({f.sim.now(), 6}); });
  });
  f.at(t, 3);
  f.at(t + 1, 7);
  f.after(t, 4);  // schedule_after from now = 0: also at t
  f.sim.run();
  CHECK(f.log == std::vector<Entry>{{t, 1}, {t, 2}, {t, 3}, {t, 4}, {t, 5}, {t, 6}, {t + 1, 7}});
}

TEST_CASE("schedule_after is relative to now()", "[simulation]") {
  Fixture f;
  f.sim.schedule_at(seconds(10), [&f] { f.after(seconds(5), 1); });
  f.sim.run();
  CHECK(f.log == std::vector<Entry>{{seconds(15), 1}});
}

TEST_CASE("scheduling in the past throws std::logic_error", "[simulation]") {
  Fixture f;
  f.sim.run_until(seconds(10));
  REQUIRE(f.sim.now() == seconds(10));
  CHECK_THROWS_AS(f.at(seconds(10) - 1, 1), std::logic_error);
  CHECK_THROWS_WITH(f.at(seconds(9), 1), Catch::Contains("past"));
  CHECK_THROWS_AS(f.after(-1, 1), std::logic_error);
  CHECK_THROWS_WITH(f.after(-seconds(1), 1), Catch::Contains("negative"));
  // From inside a handler too.
  bool threw = false;
  f.sim.schedule_at(seconds(20), [&f, &threw] {
    try {
      f.at(seconds(19), 2);
    } catch (const std::logic_error&) {
      threw = true;
    }
  });
  f.sim.run();
  CHECK(threw);
  CHECK(f.log.empty());
  // The failed calls scheduled nothing.
  CHECK(f.sim.pending() == 0);
  // Now itself is allowed.
  f.at(f.sim.now(), 3);
  f.sim.run();
  CHECK(f.log == std::vector<Entry>{{seconds(20), 3}});
}

TEST_CASE("schedule_after past the end of representable time throws", "[simulation]") {
  Fixture f;
  f.sim.run_until(seconds(1));
  CHECK_THROWS_AS(f.after(kTimeMax, 1), std::overflow_error);
  CHECK(f.sim.pending() == 0);
  // Exactly the last representable instant is fine.
  f.after(kTimeMax - seconds(1), 2);
  CHECK(f.sim.next_event_time() == kTimeMax);
}

// ---------------------------------------------------------------------------------------
// Cancellation

TEST_CASE("cancel through the simulation", "[simulation]") {
  Fixture f;
  const EventHandle a = f.at(seconds(1), 1);
  const EventHandle b = f.at(seconds(2), 2);
  const EventHandle c = f.at(seconds(3), 3);

  SECTION("pending, twice, and already run") {
    CHECK(f.sim.is_pending(b));
    CHECK(f.sim.cancel(b));
    CHECK_FALSE(f.sim.cancel(b));
    CHECK_FALSE(f.sim.is_pending(b));
    CHECK(f.sim.pending() == 2);
    CHECK(f.sim.step());
    CHECK_FALSE(f.sim.cancel(a));  // already ran
    f.sim.run();
    CHECK(f.log == std::vector<Entry>{{seconds(1), 1}, {seconds(3), 3}});
  }
  SECTION("a stale handle after its slot was reused") {
    f.sim.step();  // a runs; its slot is free
    const EventHandle d = f.at(seconds(4), 4);
    CHECK_FALSE(f.sim.cancel(a));
    CHECK(f.sim.is_pending(d));
    f.sim.run();
    CHECK(f.log ==
          std::vector<Entry>{{seconds(1), 1}, {seconds(2), 2}, {seconds(3), 3}, {seconds(4), 4}});
  }
  SECTION("from inside a handler, and of the running event's own handle") {
    struct Result {
      bool own = true;
      bool other = false;
    } r;
    EventHandle self;
    self = f.sim.schedule_at(seconds(2), [&f, &r, &self, c] {
      r.own = f.sim.cancel(self);
      r.other = f.sim.cancel(c);
    });
    f.sim.run();
    CHECK_FALSE(r.own);
    CHECK(r.other);
    CHECK(f.log == std::vector<Entry>{{seconds(1), 1}, {seconds(2), 2}});
  }
  SECTION("cancelling the earliest events moves next_event_time") {
    CHECK(f.sim.next_event_time() == seconds(1));
    f.sim.cancel(a);
    CHECK(f.sim.next_event_time() == seconds(2));
    f.sim.cancel(b);
    f.sim.cancel(c);
    CHECK(f.sim.next_event_time() == kTimeMax);
    CHECK(f.sim.run() == 0);
    CHECK(f.log.empty());
  }
}

TEST_CASE("mass cancellation through the simulation keeps the survivors in order", "[simulation]") {
  Fixture f;
  std::vector<EventHandle> handles;
  for (int i = 0; i < 5000; ++i) handles.push_back(f.at(milliseconds(i % 50), i));
  for (int i = 0; i < 5000; ++i) {
    if (i % 10 != 3) CHECK(f.sim.cancel(handles[i]));
  }
  CHECK(f.sim.pending() == 500);
  f.sim.run();
  std::vector<Entry> expected;
  for (int t = 0; t < 50; ++t) {
    for (int i = t; i < 5000; i += 50) {
      if (i % 10 == 3) expected.push_back({milliseconds(t), i});
    }
  }
  CHECK(f.log == expected);
}

// ---------------------------------------------------------------------------------------
// run_until, step, stop

TEST_CASE("run_until runs events at t, not after, and leaves now at t", "[simulation]") {
  Fixture f;
  const Time t = seconds(10);
  f.at(t - 1, 1);
  f.at(t, 2);
  f.at(t, 3);
  f.at(t + 1, 4);
  CHECK(f.sim.run_until(t) == 3);
  CHECK(f.log == std::vector<Entry>{{t - 1, 1}, {t, 2}, {t, 3}});
  CHECK(f.sim.now() == t);
  CHECK(f.sim.pending() == 1);
  CHECK(f.sim.next_event_time() == t + 1);

  SECTION("with no event at t, now still advances to t") {
    CHECK(f.sim.run_until(t + seconds(5)) == 1);
    CHECK(f.sim.now() == t + seconds(5));
    CHECK(f.sim.run_until(t + seconds(7)) == 0);
    CHECK(f.sim.now() == t + seconds(7));
  }
  SECTION("run_until(now) runs events scheduled for now") {
    f.at(t, 5);
    CHECK(f.sim.run_until(t) == 1);
    CHECK(f.log.back() == Entry{t, 5});
    CHECK(f.sim.now() == t);
  }
  SECTION("run_until in the past throws and changes nothing") {
    CHECK_THROWS_AS(f.sim.run_until(t - 1), std::logic_error);
    CHECK(f.sim.now() == t);
    CHECK(f.sim.pending() == 1);
  }
  SECTION("events scheduled at t by a handler at t also run") {
    f.sim.schedule_at(t + 1, [&f] { f.after(0, 6); });
    f.at(t + 2, 7);
    CHECK(f.sim.run_until(t + 1) == 3);
    CHECK(f.log.back() == Entry{t + 1, 6});
    CHECK(f.sim.pending() == 1);
  }
}

TEST_CASE("stop() inside run_until leaves now at the stopping event; resume continues",
          "[simulation]") {
  Fixture f;
  f.at(seconds(1), 1);
  f.sim.schedule_at(seconds(2), [&f] {
    f.log.push_back({f.sim.now(), 2});
    f.sim.stop();
  });
  f.at(seconds(2), 3);  // same time as the stop: not run by this call
  f.at(seconds(4), 4);
  CHECK(f.sim.run_until(seconds(5)) == 2);
  CHECK(f.sim.now() == seconds(2));
  CHECK(f.sim.stop_requested());
  CHECK(f.log == std::vector<Entry>{{seconds(1), 1}, {seconds(2), 2}});
  // Resume: the next call continues with the event after the stopping one.
  CHECK(f.sim.run_until(seconds(5)) == 2);
  CHECK_FALSE(f.sim.stop_requested());
  CHECK(f.sim.now() == seconds(5));
  CHECK(f.log ==
        std::vector<Entry>{{seconds(1), 1}, {seconds(2), 2}, {seconds(2), 3}, {seconds(4), 4}});
}

TEST_CASE("stop() inside run() pauses; run() again resumes where it stopped", "[simulation]") {
  Fixture f;
  for (int i = 0; i < 10; ++i) {
    f.sim.schedule_at(seconds(i), [&f, i] {
      f.log.push_back({f.sim.now(), i});
      if (i == 3 || i == 7) f.sim.stop();
    });
  }
  CHECK(f.sim.run() == 4);
  CHECK(f.sim.now() == seconds(3));
  CHECK(f.log.size() == 4);
  CHECK(f.sim.run() == 4);
  CHECK(f.sim.now() == seconds(7));
  CHECK(f.sim.run() == 2);
  CHECK(f.sim.now() == seconds(9));
  CHECK(f.sim.events_processed() == 10);
  CHECK(f.log.size() == 10);
  for (int i = 0; i < 10; ++i) CHECK(f.log[i] == Entry{seconds(i), i});
}

TEST_CASE("step() runs exactly one event", "[simulation]") {
  Fixture f;
  CHECK_FALSE(f.sim.step());
  CHECK(f.sim.now() == 0);
  f.at(seconds(2), 2);
  f.at(seconds(1), 1);
  f.at(seconds(1), 11);
  CHECK(f.sim.step());
  CHECK(f.log == std::vector<Entry>{{seconds(1), 1}});
  CHECK(f.sim.now() == seconds(1));
  CHECK(f.sim.events_processed() == 1);
  CHECK(f.sim.step());
  CHECK(f.log.back() == Entry{seconds(1), 11});
  CHECK(f.sim.step());
  CHECK(f.log.back() == Entry{seconds(2), 2});
  CHECK(f.sim.now() == seconds(2));
  CHECK_FALSE(f.sim.step());
  CHECK(f.sim.now() == seconds(2));
  CHECK(f.sim.events_processed() == 3);
}

TEST_CASE("step() skips cancelled events", "[simulation]") {
  Fixture f;
  const EventHandle a = f.at(seconds(1), 1);
  f.at(seconds(2), 2);
  f.sim.cancel(a);
  CHECK(f.sim.step());
  CHECK(f.log == std::vector<Entry>{{seconds(2), 2}});
  CHECK_FALSE(f.sim.step());
}

// ---------------------------------------------------------------------------------------
// Periodic timers

std::vector<Time> tick_times(Simulation& sim, Duration period, Time until,
                             TimerOptions options = {}) {
  auto ticks = std::make_shared<std::vector<Time>>();
  sim.every(
      period, [&sim, ticks] { ticks->push_back(sim.now()); }, std::move(options));
  sim.run_until(until);
  return *ticks;
}

TEST_CASE("a timer ticks every period, the first tick one period after creation",
          "[simulation][timer]") {
  Simulation sim;
  const std::vector<Time> ticks = tick_times(sim, seconds(10), seconds(45));
  CHECK(ticks == std::vector<Time>{seconds(10), seconds(20), seconds(30), seconds(40)});
  CHECK(sim.now() == seconds(45));
  CHECK(sim.next_event_time() == seconds(50));
}

TEST_CASE("a timer created later ticks relative to its creation time", "[simulation][timer]") {
  Simulation sim;
  sim.run_until(seconds(3));
  const std::vector<Time> ticks = tick_times(sim, seconds(10), seconds(33));
  CHECK(ticks == std::vector<Time>{seconds(13), seconds(23), seconds(33)});
}

TEST_CASE("first_delay sets the first tick", "[simulation][timer]") {
  SECTION("zero: tick immediately, then every period") {
    Simulation sim;
    TimerOptions options;
    options.first_delay = 0;
    CHECK(tick_times(sim, seconds(5), seconds(12), options) ==
          std::vector<Time>{0, seconds(5), seconds(10)});
  }
  SECTION("shorter than the period") {
    Simulation sim;
    TimerOptions options;
    options.first_delay = milliseconds(1500);
    CHECK(tick_times(sim, seconds(5), seconds(12), options) ==
          std::vector<Time>{milliseconds(1500), milliseconds(6500), milliseconds(11500)});
  }
  SECTION("longer than the period") {
    Simulation sim;
    TimerOptions options;
    options.first_delay = seconds(7);
    CHECK(tick_times(sim, seconds(2), seconds(12), options) ==
          std::vector<Time>{seconds(7), seconds(9), seconds(11)});
  }
}

TEST_CASE("events a timer callback schedules for the next tick time run before that tick",
          "[simulation][timer]") {
  Fixture f;
  int tick = 0;
  f.sim.every(seconds(1), [&f, &tick] {
    ++tick;
    f.log.push_back({f.sim.now(), 100 + tick});
    f.after(seconds(1), tick);  // same time as the next tick
  });
  f.sim.run_until(seconds(3));
  CHECK(f.log == std::vector<Entry>{{seconds(1), 101},
                                    {seconds(2), 1},
                                    {seconds(2), 102},
                                    {seconds(3), 2},
                                    {seconds(3), 103}});
}

TEST_CASE("a timer can cancel itself from inside its own callback", "[simulation][timer]") {
  Simulation sim;
  std::vector<Time> ticks;
  TimerHandle handle;
  bool cancel_result = false;
  bool cancel_again = true;
  handle = sim.every(seconds(1), [&] {
    ticks.push_back(sim.now());
    if (ticks.size() == 3) {
      cancel_result = sim.cancel_timer(handle);
      cancel_again = sim.cancel_timer(handle);
    }
  });
  CHECK(sim.timer_active(handle));
  sim.run_until(seconds(10));
  CHECK(ticks == std::vector<Time>{seconds(1), seconds(2), seconds(3)});
  CHECK(cancel_result);
  CHECK_FALSE(cancel_again);
  CHECK_FALSE(sim.timer_active(handle));
  CHECK_FALSE(sim.cancel_timer(handle));
  CHECK(sim.pending() == 0);
}

TEST_CASE("a timer callback can cancel itself and create another timer", "[simulation][timer]") {
  Simulation sim;
  std::vector<std::pair<Time, int>> ticks;
  TimerHandle first;
  TimerHandle second;
  first = sim.every(seconds(2), [&] {
    ticks.emplace_back(sim.now(), 1);
    if (sim.now() == seconds(4)) {
      CHECK(sim.cancel_timer(first));
      second = sim.every(seconds(3), [&] { ticks.emplace_back(sim.now(), 2); });
    }
  });
  sim.run_until(seconds(14));
  CHECK(ticks ==
        std::vector<std::pair<Time, int>>{
            {seconds(2), 1}, {seconds(4), 1}, {seconds(7), 2}, {seconds(10), 2}, {seconds(13), 2}});
  CHECK_FALSE(sim.timer_active(first));
  CHECK(sim.timer_active(second));
  CHECK_FALSE(sim.cancel_timer(first));
  // The first timer's storage was released once its callback returned: a third timer may
  // take it, and the first handle must not reach the third timer.
  int third_ticks = 0;
  const TimerHandle third = sim.every(seconds(1), [&] { ++third_ticks; });
  CHECK(third.index == first.index);
  CHECK_FALSE(sim.timer_active(first));
  CHECK_FALSE(sim.cancel_timer(first));
  CHECK(sim.timer_active(third));
  sim.run_until(seconds(16));
  CHECK(third_ticks == 2);
  CHECK(sim.cancel_timer(second));
  CHECK(sim.cancel_timer(third));
  CHECK(sim.pending() == 0);
}

TEST_CASE("cancelled timers release their storage; stale handles stay stale",
          "[simulation][timer]") {
  Simulation sim;
  int a_ticks = 0;
  int b_ticks = 0;
  const TimerHandle a = sim.every(seconds(1), [&] { ++a_ticks; });
  sim.run_until(seconds(2));
  CHECK(sim.cancel_timer(a));
  const TimerHandle b = sim.every(seconds(1), [&] { ++b_ticks; });
  // b may reuse a's slot; a's handle must not control b.
  CHECK_FALSE(sim.timer_active(a));
  CHECK_FALSE(sim.cancel_timer(a));
  CHECK(sim.timer_active(b));
  sim.run_until(seconds(5));
  CHECK(a_ticks == 2);
  CHECK(b_ticks == 3);
  CHECK_FALSE(sim.timer_active(TimerHandle{}));
  CHECK_FALSE(sim.cancel_timer(TimerHandle{}));
}

TEST_CASE("a timer callback can cancel another timer", "[simulation][timer]") {
  Simulation sim;
  std::vector<int> ticks;
  TimerHandle victim;
  victim = sim.every(seconds(1), [&] { ticks.push_back(2); });
  sim.every(milliseconds(2500), [&] {
    ticks.push_back(1);
    sim.cancel_timer(victim);
  });
  sim.run_until(seconds(6));
  // victim: 1 s, 2 s; canceller at 2.5 s and 5 s.
  CHECK(ticks == std::vector<int>{2, 2, 1, 1});
}

TEST_CASE("timer arguments are validated", "[simulation][timer]") {
  Simulation sim;
  CHECK_THROWS_AS(sim.every(0, [] {}), std::invalid_argument);
  CHECK_THROWS_AS(sim.every(-seconds(1), [] {}), std::invalid_argument);
  TimerOptions negative;
  negative.jitter = -0.1;
  CHECK_THROWS_AS(sim.every(
                      seconds(1), [] {}, negative),
                  std::invalid_argument);
  TimerOptions nan;
  nan.jitter = std::nan("");
  CHECK_THROWS_AS(sim.every(
                      seconds(1), [] {}, nan),
                  std::invalid_argument);
  CHECK(sim.pending() == 0);
}

TEST_CASE("jittered intervals stay within [period, period x (1 + jitter))", "[simulation][timer]") {
  const Duration period = seconds(1);
  const double jitter = 0.5;
  TimerOptions options;
  options.jitter = jitter;
  options.name = "resync";
  Simulation sim(7);
  const std::vector<Time> ticks = tick_times(sim, period, seconds(3000), options);
  REQUIRE(ticks.size() > 1500);
  std::vector<Duration> intervals;
  Time prev = 0;
  for (const Time t : ticks) {
    intervals.push_back(t - prev);
    prev = t;
  }
  Duration lo = INT64_MAX;
  Duration hi = 0;
  double sum = 0;
  for (const Duration d : intervals) {
    CHECK(d >= period);
    CHECK(d < static_cast<Duration>(static_cast<double>(period) * (1 + jitter)));
    lo = std::min(lo, d);
    hi = std::max(hi, d);
    sum += to_seconds(d);
  }
  // U[0,1) jitter: mean interval 1.25 s, standard deviation 0.5/sqrt(12) = 0.1443 s; the
  // mean of n intervals is within 5 standard errors.
  const double n = static_cast<double>(intervals.size());
  CHECK(std::abs(sum / n - 1.25) < 5 * 0.1443 / std::sqrt(n));
  // The intervals really spread over the range (P(all above 1.02 s) = 0.96^n ~ 0).
  CHECK(lo < milliseconds(1020));
  CHECK(hi > milliseconds(1480));
}

TEST_CASE("jitter follows the documented formula on the stream timer/<name>/<k>",
          "[simulation][timer]") {
  // TimerOptions: each interval is period x (1 + jitter x U[0,1)) with U drawn from the
  // stream "timer/<name>/<k>" of the simulation's (seed, replication), k counting the timers
  // created so far (0 for the first); the first tick (no first_delay) is one such interval.
  const Duration period = milliseconds(200);
  const double jitter = 0.25;
  TimerOptions options;
  options.jitter = jitter;
  options.name = "kubelet/sync";
  Simulation sim(99, 3);
  const std::vector<Time> ticks = tick_times(sim, period, seconds(20), options);
  Rng u(99, 3, "timer/kubelet/sync/0");
  Time expected = 0;
  REQUIRE(ticks.size() > 50);
  for (const Time t : ticks) {
    expected +=
        period + static_cast<Duration>(u.uniform01() * jitter * static_cast<double>(period));
    CHECK(t == expected);
  }
}

TEST_CASE("jitter is deterministic per seed and differs across seeds", "[simulation][timer]") {
  TimerOptions options;
  options.jitter = 1.0;
  options.name = "probe";
  Simulation a(5);
  Simulation b(5);
  Simulation c(6);
  Simulation d(5, 1);  // another replication
  const auto ta = tick_times(a, seconds(1), seconds(200), options);
  const auto tb = tick_times(b, seconds(1), seconds(200), options);
  const auto tc = tick_times(c, seconds(1), seconds(200), options);
  const auto td = tick_times(d, seconds(1), seconds(200), options);
  CHECK(ta == tb);
  CHECK(ta != tc);
  CHECK(ta != td);
  CHECK(a.fingerprint() == b.fingerprint());
  CHECK(a.fingerprint() != c.fingerprint());
  // Different names give different streams within one simulation.
  TimerOptions other = options;
  other.name = "probe2";
  Simulation e(5);
  CHECK(tick_times(e, seconds(1), seconds(200), other) != ta);
}

TEST_CASE("a timer without jitter draws no random numbers", "[simulation][timer]") {
  // Zero jitter gives exact periods whatever the seed.
  Simulation a(1);
  Simulation b(2);
  CHECK(tick_times(a, milliseconds(300), seconds(3)) ==
        tick_times(b, milliseconds(300), seconds(3)));
}

// ---------------------------------------------------------------------------------------
// Determinism and fingerprints

// A random model with many ties: N workers each repeatedly pick a delay of 0, 1 or 2 ms
// and sometimes cancel a random pending event. Returns the full event trace.
struct RandomModel {
  explicit RandomModel(std::uint64_t seed) : sim(seed), rng(sim.rng("model")) {}

  void start(int workers) {
    for (int w = 0; w < workers; ++w) spawn(w);
  }
  void spawn(int worker) {
    if (spawned >= 20000) return;
    ++spawned;
    const Duration delay = milliseconds(static_cast<std::int64_t>(rng.below(3)));
    handles.push_back(sim.schedule_after(delay, [this, worker] { fire(worker); }));
  }
  void fire(int worker) {
    trace.push_back({sim.now(), worker});
    spawn(worker);
    if (rng.bernoulli(0.3)) spawn((worker + 1) % 50);
    if (rng.bernoulli(0.1) && !handles.empty()) {
      sim.cancel(handles[rng.below(handles.size())]);
    }
  }

  Simulation sim;
  Rng rng;
  std::vector<EventHandle> handles;
  std::vector<Entry> trace;
  int spawned = 0;
};

TEST_CASE("same seed, same trajectory and fingerprint; another seed, another one",
          "[simulation][determinism]") {
  RandomModel a(2024);
  RandomModel b(2024);
  RandomModel c(2025);
  for (RandomModel* m : {&a, &b, &c}) {
    m->start(50);
    m->sim.run();
  }
  REQUIRE(a.trace.size() > 10000);
  // Many ties: far fewer distinct times than events.
  std::size_t distinct_times = 1;
  for (std::size_t i = 1; i < a.trace.size(); ++i) {
    CHECK(a.trace[i].time >= a.trace[i - 1].time);  // time never goes backwards
    if (a.trace[i].time != a.trace[i - 1].time) ++distinct_times;
  }
  CHECK(distinct_times * 10 < a.trace.size());
  CHECK(a.trace == b.trace);
  CHECK(a.sim.fingerprint() == b.sim.fingerprint());
  CHECK(a.sim.events_processed() == b.sim.events_processed());
  CHECK(a.sim.events_processed() == a.trace.size());
  CHECK(a.sim.now() == b.sim.now());
  CHECK(a.trace != c.trace);
  CHECK(a.sim.fingerprint() != c.sim.fingerprint());
}

TEST_CASE("the fingerprint tells apart runs that scheduled ties in a different order",
          "[simulation][determinism]") {
  // Two runs that visit the same times but schedule ties in a different order.
  Simulation a;
  Simulation b;
  const Simulation fresh;
  CHECK(a.fingerprint() == fresh.fingerprint());
  a.schedule_at(1, [] {});
  a.schedule_at(1, [] {});
  a.schedule_at(2, [] {});
  b.schedule_at(1, [] {});
  b.schedule_at(2, [] {});
  b.schedule_at(1, [] {});
  a.run();
  b.run();
  CHECK(a.events_processed() == 3);
  CHECK(a.fingerprint() != fresh.fingerprint());
  CHECK(a.fingerprint() != b.fingerprint());
}

TEST_CASE("the fingerprint depends on event times", "[simulation][determinism]") {
  Simulation a;
  Simulation b;
  a.schedule_at(1, [] {});
  b.schedule_at(2, [] {});
  a.run();
  b.run();
  CHECK(a.fingerprint() != b.fingerprint());
}

TEST_CASE("Simulation::rng is the stream keyed by the run's seed and replication", "[simulation]") {
  const Simulation sim(11, 4);
  CHECK(sim.seed() == 11);
  CHECK(sim.replication() == 4);
  Rng from_sim = sim.rng("arrivals/llm");
  Rng direct(11, 4, "arrivals/llm");
  for (int i = 0; i < 10; ++i) CHECK(from_sim.next_u64() == direct.next_u64());
  // Asking again gives the stream from its start: streams do not share state.
  Rng again = sim.rng("arrivals/llm");
  Rng direct2(11, 4, "arrivals/llm");
  CHECK(again.next_u64() == direct2.next_u64());
}

TEST_CASE("jittered timers sharing a name do not tick in lockstep", "[simulation][timer]") {
  // Two timers with the same (default) name draw from different streams
  // (timer/timer/0 and timer/timer/1), so their jittered tick times differ.
  Simulation sim(7);
  std::vector<Time> a;
  std::vector<Time> b;
  TimerOptions options;
  options.jitter = 0.5;
  sim.every(seconds(1), [&] { a.push_back(sim.now()); }, options);
  sim.every(seconds(1), [&] { b.push_back(sim.now()); }, options);
  sim.run_until(seconds(30));
  REQUIRE(a.size() >= 10);
  REQUIRE(b.size() >= 10);
  CHECK(a != b);
}

}  // namespace
}  // namespace kubesim::sim
