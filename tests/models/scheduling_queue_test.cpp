// Tests of models/scheduling_queue.hpp: kube-scheduler v1.34's scheduling queue.
//
// Every expected time is worked by hand from the upstream rules (docs/control-plane.md,
// "Scheduling queue"). The two facts most tests lean on:
// - With SchedulerPopFromBackoffQ (default on), a pod failing at T with backoff d stays in
//   backoffQ while floor(T + d) >= floor(now) (floors to whole seconds), i.e. until
//   floor(T + d) + 1 s; the backoff flush runs at every whole second, so that is also when
//   it reaches activeQ. A pod failing at a whole second T therefore leaves at T + d + 1 s.
// - The unschedulable leftover flush runs at 0, 30, 60, ... s and moves pods whose last
//   failure is strictly more than 300 s old.
#include "models/scheduling_queue.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/metrics.hpp"
#include "sim/simulation.hpp"
#include "sim/time.hpp"

namespace kubesim::models {
namespace {

using sim::milliseconds;
using sim::seconds;

struct Fixture {
  sim::Simulation sim;
  sim::MetricRegistry metrics{sim};
};

std::int64_t counter(const sim::MetricRegistry& m, const std::string& name) {
  const sim::Counter* c = m.find_counter("scheduling_queue." + name);
  REQUIRE(c != nullptr);
  return c->value();
}

TEST_CASE("activeQ pops by priority, then timestamp, then insertion", "[scheduling_queue]") {
  Fixture f;
  SchedulingQueue q(f.sim, f.metrics);
  REQUIRE(q.add("ns/a", 0));
  REQUIRE(q.add("ns/b", 10));
  f.sim.run_until(seconds(1));
  REQUIRE(q.add("ns/c", 10));
  REQUIRE(q.add("ns/d", 0));
  REQUIRE(q.add("ns/e", 10));
  CHECK_FALSE(q.add("ns/a", 100));  // already queued: ignored
  CHECK(q.active_size() == 5);

  std::vector<std::string> order;
  while (auto key = q.pop()) order.push_back(*key);
  // b and c/e have priority 10; b is older; c and e share a timestamp, c was added first.
  CHECK(order == std::vector<std::string>{"ns/b", "ns/c", "ns/e", "ns/a", "ns/d"});
  CHECK(q.in_flight_size() == 5);
  CHECK(q.scheduling_cycle() == 5);
  CHECK(q.attempts("ns/a") == 1);
  CHECK(q.where("ns/a") == QueueName::kInFlight);
  CHECK_FALSE(q.pop().has_value());
}

TEST_CASE("error backoff doubles from 1 s to the 10 s cap", "[scheduling_queue]") {
  Fixture f;
  SchedulingQueue q(f.sim, f.metrics);
  q.add("ns/p", 0);
  // Fail at 0, 2, 5, 10, 19, 30 (each a whole second): leave at T + d + 1 s.
  const std::vector<sim::Duration> durations = {seconds(1), seconds(2),  seconds(4),
                                                seconds(8), seconds(10), seconds(10)};
  const std::vector<sim::Time> leave = {seconds(2),  seconds(5),  seconds(10),
                                        seconds(19), seconds(30), seconds(41)};
  for (std::size_t i = 0; i < durations.size(); ++i) {
    INFO("failure " << i + 1 << " at " << sim::format_duration(f.sim.now()));
    REQUIRE(q.pop() == std::optional<std::string>("ns/p"));
    CHECK(q.attempts("ns/p") == static_cast<int>(i + 1));
    REQUIRE(q.done("ns/p", AttemptOutcome::kError));
    CHECK(q.backoff_duration("ns/p") == durations[i]);
    CHECK(q.backoff_end("ns/p") == std::optional<sim::Time>(leave[i]));
    f.sim.run_until(leave[i] - 1);
    CHECK(q.where("ns/p") == QueueName::kBackoff);
    // An error-backoff pod is never popped early, even with activeQ empty.
    CHECK_FALSE(q.pop().has_value());
    f.sim.run_until(leave[i]);
    CHECK(q.where("ns/p") == QueueName::kActive);
  }
  CHECK(counter(f.metrics, "attempts_error") == 6);
  CHECK(counter(f.metrics, "popped_from_backoff") == 0);
}

TEST_CASE("unschedulable backoff doubles too, and pop takes it from backoffQ",
          "[scheduling_queue]") {
  Fixture f;
  SchedulingQueue q(f.sim, f.metrics);
  q.add("ns/p", 0);
  const std::vector<sim::Duration> durations = {seconds(1), seconds(2),  seconds(4),
                                                seconds(8), seconds(10), seconds(10)};
  for (std::size_t i = 0; i < durations.size(); ++i) {
    REQUIRE(q.pop() == std::optional<std::string>("ns/p"));
    REQUIRE(q.done("ns/p", AttemptOutcome::kUnschedulable));
    CHECK(q.where("ns/p") == QueueName::kUnschedulable);
    CHECK(q.backoff_duration("ns/p") == durations[i]);
    // A node appears: the pod is still backing off, so it goes to backoffQ ...
    CHECK(q.move_all_to_active_or_backoff("NodeAdd") == 1);
    CHECK(q.where("ns/p") == QueueName::kBackoff);
    // ... and the next pop() takes it from there because activeQ is empty (the loop pops).
  }
  CHECK(counter(f.metrics, "popped_from_backoff") == 5);
  CHECK(counter(f.metrics, "attempts_unschedulable") == 6);
}

TEST_CASE("errors and unschedulable attempts count separately", "[scheduling_queue]") {
  // v1.34 (PR #128748): count = ConsecutiveErrorsCount if > 0, else UnschedulableCount; an
  // unschedulable attempt resets the consecutive errors.
  Fixture f;
  SchedulingQueue q(f.sim, f.metrics);
  q.add("ns/p", 0);
  const std::vector<std::pair<AttemptOutcome, sim::Duration>> steps = {
      {AttemptOutcome::kUnschedulable, seconds(1)}, {AttemptOutcome::kUnschedulable, seconds(2)},
      {AttemptOutcome::kUnschedulable, seconds(4)}, {AttemptOutcome::kError, seconds(1)},
      {AttemptOutcome::kError, seconds(2)},         {AttemptOutcome::kUnschedulable, seconds(8)},
  };
  for (const auto& [outcome, expected] : steps) {
    REQUIRE(q.pop() == std::optional<std::string>("ns/p"));
    REQUIRE(q.done("ns/p", outcome));
    CHECK(q.backoff_duration("ns/p") == expected);
    // Bring it back to activeQ for the next attempt: wait out the backoff (all < 10 s), and
    // release it from the pool when it was unschedulable.
    f.sim.run_until(f.sim.now() + seconds(11));
    q.move_all_to_active_or_backoff("NodeAdd");
    REQUIRE(q.where("ns/p") == QueueName::kActive);
  }
}

TEST_CASE("custom initial and maximum backoff", "[scheduling_queue]") {
  Fixture f;
  SchedulingQueueConfig config;
  config.pod_initial_backoff = seconds(2);
  config.pod_max_backoff = seconds(5);
  SchedulingQueue q(f.sim, f.metrics, config);
  q.add("ns/p", 0);
  std::vector<sim::Duration> got;
  for (int i = 0; i < 4; ++i) {
    REQUIRE(q.pop().has_value());
    q.done("ns/p", AttemptOutcome::kError);
    got.push_back(q.backoff_duration("ns/p"));
    f.sim.run_until(f.sim.now() + seconds(7));
  }
  CHECK(got == std::vector<sim::Duration>{seconds(2), seconds(4), seconds(5), seconds(5)});
}

TEST_CASE("a pod failing mid-window leaves at the second after its aligned expiry",
          "[scheduling_queue]") {
  Fixture f;
  SchedulingQueue q(f.sim, f.metrics);
  q.add("ns/p", 0);
  REQUIRE(q.pop().has_value());
  f.sim.run_until(milliseconds(500));
  q.done("ns/p", AttemptOutcome::kError);
  // Expiry 1.5 s, truncated to 1 s; backing off while floor(now) <= 1 s.
  CHECK(q.backoff_end("ns/p") == std::optional<sim::Time>(seconds(2)));
  f.sim.run_until(seconds(1));  // the flush at 1 s leaves it
  CHECK(q.where("ns/p") == QueueName::kBackoff);
  f.sim.run_until(seconds(2) - 1);
  CHECK(q.where("ns/p") == QueueName::kBackoff);
  f.sim.run_until(seconds(2));
  CHECK(q.where("ns/p") == QueueName::kActive);
  CHECK(q.pop() == std::optional<std::string>("ns/p"));
}

TEST_CASE("flush windows follow the SchedulerPopFromBackoffQ gate", "[scheduling_queue]") {
  // The queue starts at 0.3 s. Gate on: flushes at whole seconds, expiry 1.3 s truncated to
  // 1 s, so the pod moves at 2 s. Gate off: flushes at 1.3, 2.3, ... s and the exact expiry
  // 1.3 s still counts as backing off at 1.3 s, so the pod moves at 2.3 s.
  for (const bool gate : {true, false}) {
    INFO("SchedulerPopFromBackoffQ " << gate);
    Fixture f;
    f.sim.run_until(milliseconds(300));
    SchedulingQueueConfig config;
    config.pop_from_backoff_q = gate;
    SchedulingQueue q(f.sim, f.metrics, config);
    q.add("ns/p", 0);
    REQUIRE(q.pop().has_value());
    q.done("ns/p", AttemptOutcome::kError);
    const sim::Time moves_at = gate ? seconds(2) : milliseconds(2300);
    f.sim.run_until(moves_at - 1);
    CHECK(q.where("ns/p") == QueueName::kBackoff);
    f.sim.run_until(moves_at);
    CHECK(q.where("ns/p") == QueueName::kActive);
  }
}

TEST_CASE("pop takes the backoffQ head only when activeQ is empty and the gate is on",
          "[scheduling_queue]") {
  for (const bool gate : {true, false}) {
    INFO("SchedulerPopFromBackoffQ " << gate);
    Fixture f;
    SchedulingQueueConfig config;
    config.pop_from_backoff_q = gate;
    SchedulingQueue q(f.sim, f.metrics, config);
    q.add("ns/low", 1);
    q.add("ns/high", 5);
    q.add("ns/err", 9);
    for (int i = 0; i < 3; ++i) REQUIRE(q.pop().has_value());  // err, high, low
    q.done("ns/err", AttemptOutcome::kError);
    q.done("ns/high", AttemptOutcome::kUnschedulable);
    q.done("ns/low", AttemptOutcome::kUnschedulable);
    CHECK(q.move_all_to_active_or_backoff("NodeAdd") == 2);
    CHECK(q.backoff_size() == 3);
    q.add("ns/new", 0);
    // activeQ first, whatever the priorities in backoffQ.
    CHECK(q.pop() == std::optional<std::string>("ns/new"));
    if (gate) {
      // Same window (expiry 1 s): PrioritySort orders them. The error pod is never popped.
      CHECK(q.pop() == std::optional<std::string>("ns/high"));
      CHECK(q.pop() == std::optional<std::string>("ns/low"));
      CHECK(q.attempts("ns/low") == 2);
    }
    CHECK_FALSE(q.pop().has_value());
    CHECK(q.where("ns/err") == QueueName::kBackoff);
  }
}

TEST_CASE("a cluster event moves unschedulable pods to backoffQ or activeQ", "[scheduling_queue]") {
  Fixture f;
  SchedulingQueue q(f.sim, f.metrics);
  q.add("ns/a", 0);
  q.add("ns/b", 0);
  REQUIRE(q.pop() == std::optional<std::string>("ns/a"));
  REQUIRE(q.pop() == std::optional<std::string>("ns/b"));
  q.done("ns/a", AttemptOutcome::kUnschedulable);
  q.done("ns/b", AttemptOutcome::kUnschedulable);
  CHECK(q.unschedulable_size() == 2);
  // Both failed at 0 with 1 s backoff: backing off until 2 s.
  f.sim.run_until(milliseconds(1500));
  CHECK(q.move_all_to_active_or_backoff("NodeAdd",
                                        [](std::string_view key) { return key == "ns/a"; }) == 1);
  CHECK(q.where("ns/a") == QueueName::kBackoff);
  CHECK(q.where("ns/b") == QueueName::kUnschedulable);
  f.sim.run_until(seconds(2));
  CHECK(q.where("ns/a") == QueueName::kActive);  // the 2 s flush
  CHECK(q.where("ns/b") == QueueName::kUnschedulable);
  CHECK(q.move_all_to_active_or_backoff("AssignedPodDelete") == 1);
  CHECK(q.where("ns/b") == QueueName::kActive);  // backoff over: straight to activeQ
  CHECK(q.move_all_to_active_or_backoff("NodeAdd") == 0);
}

TEST_CASE("an event during the attempt sends an unschedulable pod to backoffQ",
          "[scheduling_queue]") {
  Fixture f;
  SchedulingQueue q(f.sim, f.metrics);
  q.add("ns/a", 0);
  REQUIRE(q.pop().has_value());                // cycle 1
  q.move_all_to_active_or_backoff("NodeAdd");  // moveRequestCycle = 1
  q.done("ns/a", AttemptOutcome::kUnschedulable);
  CHECK(q.where("ns/a") == QueueName::kBackoff);
  REQUIRE(q.pop() == std::optional<std::string>("ns/a"));  // cycle 2, from backoffQ
  q.done("ns/a", AttemptOutcome::kUnschedulable);          // no event since: the pool
  CHECK(q.where("ns/a") == QueueName::kUnschedulable);
}

TEST_CASE("unschedulable pods are flushed after more than 5 minutes", "[scheduling_queue]") {
  Fixture f;
  SchedulingQueue q(f.sim, f.metrics);
  q.add("ns/a", 0);
  REQUIRE(q.pop().has_value());
  q.done("ns/a", AttemptOutcome::kUnschedulable);  // at 0
  f.sim.run_until(seconds(31));
  q.add("ns/b", 0);
  REQUIRE(q.pop().has_value());
  q.done("ns/b", AttemptOutcome::kUnschedulable);  // at 31 s
  // At 300 s, a is exactly 300 s old: not strictly more, it stays.
  f.sim.run_until(seconds(330) - 1);
  CHECK(q.where("ns/a") == QueueName::kUnschedulable);
  f.sim.run_until(seconds(330));
  CHECK(q.where("ns/a") == QueueName::kActive);
  CHECK(q.where("ns/b") == QueueName::kUnschedulable);  // 299 s old
  f.sim.run_until(seconds(360) - 1);
  CHECK(q.where("ns/b") == QueueName::kUnschedulable);
  f.sim.run_until(seconds(360));  // 329 s old
  CHECK(q.where("ns/b") == QueueName::kActive);
}

TEST_CASE("remove takes a pod out of every place", "[scheduling_queue]") {
  Fixture f;
  SchedulingQueue q(f.sim, f.metrics);
  for (const char* key : {"ns/backoff", "ns/pool", "ns/flight", "ns/active"}) q.add(key, 0);
  REQUIRE(q.pop() == std::optional<std::string>("ns/backoff"));
  REQUIRE(q.pop() == std::optional<std::string>("ns/pool"));
  REQUIRE(q.pop() == std::optional<std::string>("ns/flight"));
  q.done("ns/backoff", AttemptOutcome::kError);
  q.done("ns/pool", AttemptOutcome::kUnschedulable);
  CHECK(q.active_size() == 1);
  CHECK(q.backoff_size() == 1);
  CHECK(q.unschedulable_size() == 1);
  CHECK(q.in_flight_size() == 1);

  CHECK(q.remove("ns/active"));
  CHECK(q.active_size() == 0);
  CHECK(q.remove("ns/backoff"));
  CHECK(q.backoff_size() == 0);
  CHECK(q.remove("ns/pool"));
  CHECK(q.unschedulable_size() == 0);
  CHECK(q.remove("ns/flight"));
  CHECK(q.where("ns/flight") == QueueName::kInFlight);  // until its attempt ends
  CHECK(q.done("ns/flight", AttemptOutcome::kUnschedulable));
  CHECK(q.where("ns/flight") == QueueName::kNone);
  CHECK(q.in_flight_size() == 0);
  CHECK(q.size() == 0);
  CHECK_FALSE(q.remove("ns/unknown"));
  CHECK_FALSE(q.done("ns/active", AttemptOutcome::kScheduled));
  // Removed pods never come back with the flushes.
  f.sim.run_until(seconds(400));
  CHECK(q.size() == 0);
  CHECK(counter(f.metrics, "pods_removed") == 4);
  CHECK(counter(f.metrics, "pods_scheduled") == 0);
}

TEST_CASE("update re-sorts queued pods and releases pool pods", "[scheduling_queue]") {
  Fixture f;
  SchedulingQueue q(f.sim, f.metrics);
  q.add("ns/a", 0);
  q.add("ns/b", 0);
  q.add("ns/c", 0);
  q.add("ns/d", 0);
  REQUIRE(q.pop() == std::optional<std::string>("ns/a"));
  REQUIRE(q.pop() == std::optional<std::string>("ns/b"));
  q.done("ns/a", AttemptOutcome::kUnschedulable);  // at 0: backing off until 2 s
  q.done("ns/b", AttemptOutcome::kUnschedulable);
  q.update("ns/d", 7);
  CHECK(q.where("ns/d") == QueueName::kActive);
  f.sim.run_until(milliseconds(500));
  q.update("ns/a", 1);
  CHECK(q.where("ns/a") == QueueName::kBackoff);
  f.sim.run_until(seconds(2));  // a leaves backoffQ at the 2 s flush
  q.update("ns/b", 1);
  CHECK(q.where("ns/b") == QueueName::kActive);
  // activeQ: d (7), then a and b (1; a's timestamp 0 = b's, a re-entered first), then c (0).
  q.update("ns/new", 3);  // unknown: added
  std::vector<std::string> order;
  while (auto key = q.pop()) order.push_back(*key);
  CHECK(order == std::vector<std::string>{"ns/d", "ns/new", "ns/a", "ns/b", "ns/c"});
}

TEST_CASE("metrics count adds, pops and moves", "[scheduling_queue]") {
  Fixture f;
  SchedulingQueue q(f.sim, f.metrics);
  int moves = 0;
  q.moved.connect([&](const QueueMove&) { ++moves; });
  q.add("ns/a", 0);
  q.add("ns/b", 0);
  q.pop();  // a
  q.done("ns/a", AttemptOutcome::kScheduled);
  q.pop();  // b
  q.done("ns/b", AttemptOutcome::kUnschedulable);
  q.move_all_to_active_or_backoff("NodeAdd");  // b to backoffQ
  f.sim.run_until(seconds(2));                 // b to activeQ
  CHECK(counter(f.metrics, "pods_added") == 2);
  CHECK(counter(f.metrics, "pods_popped") == 2);
  CHECK(counter(f.metrics, "pods_scheduled") == 1);
  CHECK(counter(f.metrics, "incoming_active") == 3);
  CHECK(counter(f.metrics, "incoming_unschedulable") == 1);
  CHECK(counter(f.metrics, "incoming_backoff") == 1);
  CHECK(counter(f.metrics, "cluster_events") == 1);
  // add×2, pop×2, scheduled, failure, event move, flush move.
  CHECK(moves == 8);
  const sim::Gauge* active = f.metrics.find_gauge("scheduling_queue.pending_active");
  REQUIRE(active != nullptr);
  CHECK(active->value() == 1.0);
  CHECK(f.metrics.find_gauge("scheduling_queue.pending_unschedulable")->max() == 1.0);
}

// A random workload on one queue; returns the trace of moves.
std::vector<std::string> random_run(std::uint64_t seed, std::uint64_t* fingerprint) {
  sim::Simulation sim(seed);
  sim::MetricRegistry metrics(sim);
  SchedulingQueue q(sim, metrics);
  std::vector<std::string> trace;
  std::map<std::string, QueueName> reference;  // where each pod is, from the moves alone
  q.moved.connect([&](const QueueMove& m) {
    trace.push_back(std::to_string(sim.now()) + " " + std::string(m.key) + " " +
                    std::string(queue_name(m.from)) + ">" + std::string(queue_name(m.to)));
    reference[std::string(m.key)] = m.to;
  });
  sim::Rng rng = sim.rng("test/workload");
  for (int step = 0; step < 2000; ++step) {
    sim.run_until(sim.now() + milliseconds(static_cast<std::int64_t>(rng.below(700))));
    const std::uint64_t action = rng.below(10);
    const std::string key = "ns/p" + std::to_string(rng.below(40));
    if (action < 3) {
      q.add(key, static_cast<std::int32_t>(rng.below(3)));
    } else if (action < 6) {
      if (auto popped = q.pop()) {
        const std::uint64_t r = rng.below(3);
        q.done(*popped, r == 0   ? AttemptOutcome::kScheduled
                        : r == 1 ? AttemptOutcome::kUnschedulable
                                 : AttemptOutcome::kError);
      }
    } else if (action < 7) {
      q.move_all_to_active_or_backoff("NodeAdd");
    } else if (action < 8) {
      q.remove(key);
    } else {
      q.update(key, static_cast<std::int32_t>(rng.below(3)));
    }
  }
  std::size_t counted[5] = {0, 0, 0, 0, 0};
  for (const auto& [key, where] : reference) {
    CHECK(q.where(key) == where);
    ++counted[static_cast<int>(where)];
  }
  CHECK(counted[static_cast<int>(QueueName::kActive)] == q.active_size());
  CHECK(counted[static_cast<int>(QueueName::kBackoff)] == q.backoff_size());
  CHECK(counted[static_cast<int>(QueueName::kUnschedulable)] == q.unschedulable_size());
  CHECK(counted[static_cast<int>(QueueName::kInFlight)] == q.in_flight_size());
  *fingerprint = sim.fingerprint();
  return trace;
}

TEST_CASE("the queue is deterministic", "[scheduling_queue]") {
  std::uint64_t f1 = 0, f2 = 0, f3 = 0;
  const auto a = random_run(7, &f1);
  const auto b = random_run(7, &f2);
  const auto c = random_run(8, &f3);
  CHECK(a.size() > 1000);
  CHECK(a == b);
  CHECK(f1 == f2);
  CHECK(a != c);
}

}  // namespace
}  // namespace kubesim::models
