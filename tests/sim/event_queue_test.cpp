// Tests for sim/event_queue: order (time, then insertion), lazy cancellation by handle,
// compaction, sequence renumbering, and a differential test against a trivially correct
// reference (std::set of (time, sequence)), in the style of LevelDB's skiplist_test.
#include "sim/event_queue.hpp"

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace kubesim::sim {
namespace {

// Pops and runs every pending event; returns the time of each one in order.
std::vector<Time> drain_times(EventQueue& q) {
  std::vector<Time> times;
  while (!q.empty()) {
    times.push_back(q.top_time());
    q.run_top();
  }
  return times;
}

TEST_CASE("a new event queue is empty", "[event_queue]") {
  EventQueue q;
  CHECK(q.empty());
  CHECK(q.size() == 0);
  CHECK_FALSE(q.cancel(EventHandle{}));
  CHECK_FALSE(q.is_pending(EventHandle{}));
  CHECK_FALSE(EventHandle{}.valid());
  // A handle for a slot that was never handed out is not pending.
  CHECK_FALSE(q.is_pending(EventHandle{5, 0}));
  CHECK_FALSE(q.cancel(EventHandle{5, 0}));
}

TEST_CASE("events run in increasing time order whatever the push order", "[event_queue]") {
  EventQueue q;
  std::vector<int> ran;
  // Simulated times are never negative (the simulation starts at 0 and never goes back).
  const std::vector<Time> times = {50, 10, 40, 20, 30, 0, 60, INT64_MAX, 1, INT64_MAX - 1};
  for (std::size_t i = 0; i < times.size(); ++i) {
    const int id = static_cast<int>(i);
    q.push(times[i], [&ran, id] { ran.push_back(id); });
  }
  CHECK(q.size() == times.size());
  const std::vector<Time> popped = drain_times(q);
  CHECK(popped == std::vector<Time>{0, 1, 10, 20, 30, 40, 50, 60, INT64_MAX - 1, INT64_MAX});
  // ids in time order: 0(5), 1(8), 10(1), 20(3), 30(4), 40(2), 50(0), 60(6), max-1(9), max(7)
  CHECK(ran == std::vector<int>{5, 8, 1, 3, 4, 2, 0, 6, 9, 7});
}

TEST_CASE("same-time events run in the order they were pushed", "[event_queue]") {
  EventQueue q;
  std::vector<int> ran;
  // Interleave two times so that ties are not simply pushed back to back; use enough
  // events (3000) that the heap has several levels.
  for (int i = 0; i < 3000; ++i) {
    const Time t = (i % 3 == 0) ? 7 : 3;
    q.push(t, [&ran, i] { ran.push_back(i); });
  }
  drain_times(q);
  std::vector<int> expected;
  for (int i = 0; i < 3000; ++i) {
    if (i % 3 != 0) expected.push_back(i);
  }
  for (int i = 0; i < 3000; i += 3) expected.push_back(i);
  CHECK(ran == expected);
}

TEST_CASE("an event pushed for the current time from a handler runs after the pending ties",
          "[event_queue]") {
  EventQueue q;
  std::vector<std::string> ran;
  q.push(5, [&] {
    ran.push_back("a");
    q.push(5, [&] {
      ran.push_back("a1");
      q.push(5, [&] { ran.push_back("a1x"); });
    });
    q.push(5, [&] { ran.push_back("a2"); });
  });
  q.push(5, [&] { ran.push_back("b"); });
  q.push(6, [&] { ran.push_back("later"); });
  q.push(5, [&] { ran.push_back("c"); });
  drain_times(q);
  CHECK(ran == std::vector<std::string>{"a", "b", "c", "a1", "a2", "a1x", "later"});
}

TEST_CASE("cancel removes exactly the pending event it names", "[event_queue]") {
  EventQueue q;
  std::vector<int> ran;
  const EventHandle h1 = q.push(10, [&] { ran.push_back(1); });
  const EventHandle h2 = q.push(10, [&] { ran.push_back(2); });
  const EventHandle h3 = q.push(20, [&] { ran.push_back(3); });
  CHECK(h1.valid());
  CHECK_FALSE(h1 == h2);

  SECTION("a pending event") {
    CHECK(q.is_pending(h2));
    CHECK(q.cancel(h2));
    CHECK_FALSE(q.is_pending(h2));
    CHECK(q.size() == 2);
    drain_times(q);
    CHECK(ran == std::vector<int>{1, 3});
  }
  SECTION("twice: the second cancel returns false and changes nothing") {
    CHECK(q.cancel(h1));
    CHECK_FALSE(q.cancel(h1));
    CHECK(q.size() == 2);
    drain_times(q);
    CHECK(ran == std::vector<int>{2, 3});
  }
  SECTION("the earliest event, so that the cancelled entry sits at the top of the heap") {
    CHECK(q.cancel(h1));
    CHECK(q.cancel(h2));
    CHECK(q.size() == 1);
    CHECK(q.top_time() == 20);
    drain_times(q);
    CHECK(ran == std::vector<int>{3});
  }
  SECTION("every event: the queue becomes empty") {
    CHECK(q.cancel(h3));
    CHECK(q.cancel(h1));
    CHECK(q.cancel(h2));
    CHECK(q.empty());
    CHECK(drain_times(q).empty());
    CHECK(ran.empty());
  }
  SECTION("an event that already ran") {
    CHECK(q.top_time() == 10);
    q.run_top();
    CHECK(ran == std::vector<int>{1});
    CHECK_FALSE(q.is_pending(h1));
    CHECK_FALSE(q.cancel(h1));
    CHECK(q.size() == 2);
    drain_times(q);
    CHECK(ran == std::vector<int>{1, 2, 3});
  }
}

TEST_CASE("a stale handle never cancels a later event that reuses its slot", "[event_queue]") {
  EventQueue q;
  std::vector<int> ran;

  SECTION("slot freed by running the event") {
    const EventHandle old = q.push(1, [&] { ran.push_back(1); });
    q.top_time();
    q.run_top();
    // Slots are reused LIFO, so the next push takes the freed slot.
    const EventHandle fresh = q.push(2, [&] { ran.push_back(2); });
    CHECK(fresh.slot == old.slot);
    CHECK_FALSE(fresh.generation == old.generation);
    CHECK_FALSE(q.is_pending(old));
    CHECK_FALSE(q.cancel(old));
    CHECK(q.is_pending(fresh));
    drain_times(q);
    CHECK(ran == std::vector<int>{1, 2});
  }
  SECTION("slot freed by cancelling the event") {
    q.push(1000, [&] { ran.push_back(1000); });  // keeps the queue non-empty for top_time()
    const EventHandle old = q.push(1, [&] { ran.push_back(1); });
    CHECK(q.cancel(old));
    CHECK(q.size() == 1);
    CHECK(q.top_time() == 1000);  // passes over the cancelled entry and frees its slot
    const EventHandle fresh = q.push(2, [&] { ran.push_back(2); });
    CHECK(fresh.slot == old.slot);
    CHECK_FALSE(q.cancel(old));
    CHECK(q.is_pending(fresh));
    CHECK(q.size() == 2);
    drain_times(q);
    CHECK(ran == std::vector<int>{2, 1000});
  }
  SECTION("many generations of one slot") {
    q.push(1000, [&] { ran.push_back(1000); });  // keeps the queue non-empty for top_time()
    std::vector<EventHandle> handles;
    for (int i = 0; i < 100; ++i) {
      handles.push_back(q.push(i, [&ran, i] { ran.push_back(i); }));
      if (i % 2 == 0) {
        CHECK(q.top_time() == i);
        q.run_top();
      } else {
        CHECK(q.cancel(handles.back()));
        CHECK(q.top_time() == 1000);  // frees the slot
      }
    }
    for (const EventHandle& h : handles) {
      CHECK(h.slot == handles[0].slot);
      CHECK_FALSE(q.cancel(h));
    }
    CHECK(q.size() == 1);
    CHECK(ran.size() == 50);
  }
}

TEST_CASE("handlers can cancel other events, but not themselves", "[event_queue]") {
  // Handler state lives in one struct: captures must fit kCallbackCapacity bytes.
  struct State {
    EventQueue q;
    std::vector<int> ran;
    EventHandle self, victim_same_time, victim_later;
    bool self_pending = true;
    bool self_cancel_result = true;
    bool victim_cancels[3] = {false, false, true};
  } s;
  s.self = s.q.push(10, [&s] {
    s.ran.push_back(1);
    s.self_pending = s.q.is_pending(s.self);
    s.self_cancel_result = s.q.cancel(s.self);
    s.victim_cancels[0] = s.q.cancel(s.victim_same_time);
    s.victim_cancels[1] = s.q.cancel(s.victim_later);
    s.victim_cancels[2] = s.q.cancel(s.victim_later);
  });
  s.victim_same_time = s.q.push(10, [&s] { s.ran.push_back(2); });
  s.victim_later = s.q.push(30, [&s] { s.ran.push_back(3); });
  s.q.push(20, [&s] { s.ran.push_back(4); });
  drain_times(s.q);
  CHECK_FALSE(s.self_pending);
  CHECK_FALSE(s.self_cancel_result);
  CHECK(s.victim_cancels[0]);
  CHECK(s.victim_cancels[1]);
  CHECK_FALSE(s.victim_cancels[2]);
  CHECK(s.ran == std::vector<int>{1, 4});
}

TEST_CASE("the running event's slot is not reused while its handler runs", "[event_queue]") {
  EventQueue q;
  std::vector<int> ran;
  EventHandle self;
  EventHandle pushed;
  self = q.push(1, [&] {
    pushed = q.push(1, [&] { ran.push_back(2); });
    ran.push_back(1);
  });
  drain_times(q);
  CHECK(pushed.slot != self.slot);
  CHECK(ran == std::vector<int>{1, 2});
}

// A handler whose capture counts how many copies of the capture are alive, to check that
// the queue destroys handlers exactly once: when they are cancelled, after they run, and
// when the queue is destroyed with events still pending.
TEST_CASE("handlers are destroyed on cancel, after running, and with the queue", "[event_queue]") {
  auto token = std::make_shared<int>(0);
  {
    EventQueue q;
    const EventHandle a = q.push(1, [token] { ++*token; });
    q.push(2, [token] { ++*token; });
    q.push(3, [token] { ++*token; });
    CHECK(token.use_count() == 4);
    CHECK(q.cancel(a));
    CHECK(token.use_count() == 3);  // destroyed at cancel, not when it reaches the top
    CHECK(q.top_time() == 2);
    q.run_top();
    CHECK(*token == 1);
    CHECK(token.use_count() == 2);  // destroyed after it ran
  }
  CHECK(token.use_count() == 1);  // the pending one destroyed with the queue
  CHECK(*token == 1);
}

TEST_CASE("a handler may capture up to kCallbackCapacity bytes", "[event_queue]") {
  EventQueue q;
  // Values and a pointer that fill the capacity exactly.
  constexpr std::size_t kValues = kCallbackCapacity / 8 - 1;
  std::array<std::int64_t, kValues> values{};
  for (std::size_t i = 0; i < kValues; ++i) values[i] = static_cast<std::int64_t>(i + 1);
  std::int64_t sum = 0;
  std::int64_t* out = &sum;
  auto handler = [values, out] {
    for (const std::int64_t x : values) *out += x;
  };
  static_assert(sizeof(handler) == kCallbackCapacity);
  q.push(1, handler);             // copied in
  q.push(2, std::move(handler));  // moved in
  drain_times(q);
  const auto n = static_cast<std::int64_t>(kValues);
  CHECK(sum == n * (n + 1));  // twice 1 + 2 + ... + n
}

TEST_CASE("pushing before the last event run throws; peeking does not count as running",
          "[event_queue]") {
  EventQueue q;
  std::vector<int> ran;
  CHECK_THROWS_AS(q.push(-1, [] {}), std::logic_error);  // the base starts at time 0
  CHECK(q.empty());
  q.push(10, [&] { ran.push_back(10); });
  q.push(30, [&] { ran.push_back(30); });
  CHECK(q.top_time() == 10);
  q.run_top();
  CHECK_THROWS_AS(q.push(9, [] {}), std::logic_error);
  CHECK(q.size() == 1);
  q.push(10, [&] { ran.push_back(11); });  // the time of the last event run is allowed
  CHECK(q.top_time() == 10);
  q.run_top();
  // A peek at 30 does not move the lower bound: 20 may still be pushed, and runs first.
  CHECK(q.top_time() == 30);
  q.push(20, [&] { ran.push_back(20); });
  CHECK(q.top_time() == 20);
  drain_times(q);
  CHECK(ran == std::vector<int>{10, 11, 20, 30});
}

// A peek brings the lowest bucket down at once and moves the radix base to its earliest
// time; pushes between the last event run and that base must still run first, and ties
// with the brought-down events after them. Both large-bucket paths: a level-1 bucket
// (times 64..127 from base 0 differ first at bit 6; 100 entries, more than the 64 a
// small bucket may hold) is split by its low 6 bits in one pass, and a level-2 bucket
// (times 4096..4159 differ first at bit 12) is scanned for its minimum and redistributed.
// Expected order: a stable sort of the push order by time, worked out independently.
TEST_CASE("pushes earlier than a peeked bucket's base run first, ties after it", "[event_queue]") {
  for (const Time lo : {Time{64}, Time{4096}}) {
    INFO("bucket starting at " << lo);
    EventQueue q;
    std::vector<std::pair<Time, int>> pushed;  // (time, id) in push order
    std::vector<int> ran;
    auto push = [&](Time t) {
      const int id = static_cast<int>(pushed.size());
      pushed.emplace_back(t, id);
      q.push(t, [&ran, id] { ran.push_back(id); });
    };
    // 100 events over 64 distinct times from lo + 3, in a scrambled order with ties; a
    // cancelled one in the middle.
    for (int i = 0; i < 100; ++i) push(lo + 3 + (i * 37) % 61);
    const EventHandle gone = q.push(lo + 3, [] { FAIL("a cancelled event ran"); });
    push(lo + 40);
    CHECK(q.cancel(gone));
    CHECK(q.top_time() == lo + 3);  // the peek brings the bucket down: base lo + 3
    push(1);                        // before the base, after the last run (0)
    push(lo + 3);                   // ties with the earliest brought-down events
    push(lo + 2);                   // between
    push(lo + 50);                  // inside the bucket's span, now a lower level
    CHECK(q.top_time() == 1);
    push(lo + 200);  // another bucket
    CHECK(q.size() == pushed.size());
    drain_times(q);
    std::vector<std::pair<Time, int>> expected = pushed;
    std::stable_sort(expected.begin(), expected.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<int> expected_ids;
    for (const auto& [t, id] : expected) expected_ids.push_back(id);
    CHECK(ran == expected_ids);
  }
}

TEST_CASE("mass cancellation compacts the queue without losing or reordering events",
          "[event_queue]") {
  // Cancelled entries are dropped lazily; when they outnumber live ones the queue compacts.
  EventQueue q;
  std::vector<int> ran;
  std::vector<EventHandle> handles;
  const int n = 6000;
  for (int i = 0; i < n; ++i) {
    // Many ties: 100 distinct times.
    handles.push_back(q.push(i % 100, [&ran, i] { ran.push_back(i); }));
  }
  std::vector<bool> cancelled(n, false);
  // Cancel 5 of every 6 events (5000 > 1024, and more than half the heap).
  for (int i = 0; i < n; ++i) {
    if (i % 6 != 0) {
      REQUIRE(q.cancel(handles[i]));
      cancelled[i] = true;
      CHECK(q.size() == static_cast<std::size_t>(n - (i - i / 6)));
    }
  }
  CHECK(q.size() == 1000);
  // Stale handles stay stale after compaction, and their slots get reused safely.
  for (int i = 0; i < n; ++i) {
    CHECK(q.is_pending(handles[i]) == !cancelled[i]);
  }
  // Compaction reclaimed the cancelled entries' slots although none of them reached the
  // front of the queue, so new events reuse them instead of growing the slab past 6000.
  std::vector<EventHandle> extra;
  int reused = 0;
  for (int i = 0; i < 3000; ++i) {
    extra.push_back(q.push(1000 + i % 7, [&ran, i] { ran.push_back(n + i); }));
    reused += extra.back().slot < static_cast<std::uint32_t>(n);
  }
  CHECK(reused >= 2000);
  for (int i = 0; i < n; ++i) {
    if (cancelled[i]) CHECK_FALSE(q.cancel(handles[i]));
  }
  CHECK(q.size() == 4000);
  drain_times(q);
  std::vector<int> expected;
  for (int t = 0; t < 100; ++t) {
    for (int i = t; i < n; i += 100) {
      if (!cancelled[i]) expected.push_back(i);
    }
  }
  for (int t = 0; t < 7; ++t) {
    for (int i = t; i < 3000; i += 7) expected.push_back(n + i);
  }
  CHECK(ran == expected);
}

TEST_CASE("mass cancellation from inside a handler", "[event_queue]") {
  EventQueue q;
  std::vector<int> ran;
  std::vector<EventHandle> handles;
  for (int i = 0; i < 4000; ++i) {
    handles.push_back(q.push(5 + i % 10, [&ran, i] { ran.push_back(i); }));
  }
  // The handler at time 5 (pushed last, so it runs after the 400 time-5 events) cancels every
  // event with an odd index: 2000 cancellations, enough to trigger compaction mid-handler.
  q.push(5, [&] {
    for (int i = 1; i < 4000; i += 2) q.cancel(handles[i]);
    ran.push_back(-1);
  });
  drain_times(q);
  std::vector<int> expected;
  for (int i = 0; i < 4000; i += 10) expected.push_back(i);  // time 5, before the handler
  expected.push_back(-1);
  for (int t = 1; t < 10; ++t) {
    for (int i = t; i < 4000; i += 10) {
      if (i % 2 == 0) expected.push_back(i);
    }
  }
  CHECK(ran == expected);
}

TEST_CASE("sequence renumbering near kSequenceLimit keeps same-time events FIFO", "[event_queue]") {
  EventQueue q;
  std::vector<int> ran;
  // Events pushed before the renumber, at three times, including a cancelled one.
  for (int i = 0; i < 6; ++i) q.push(100 + (i % 3), [&ran, i] { ran.push_back(i); });
  const EventHandle dead = q.push(100, [&ran] { ran.push_back(999); });
  CHECK(q.cancel(dead));
  // Pretend almost every sequence number has been used: the third push below reaches the
  // limit and triggers the renumber; pushes after it get small sequence numbers again.
  q.set_next_sequence_for_testing(EventQueue::kSequenceLimit - 2);
  for (int i = 6; i < 12; ++i) q.push(100 + (i % 3), [&ran, i] { ran.push_back(i); });
  // A second renumber later on.
  q.set_next_sequence_for_testing(EventQueue::kSequenceLimit - 1);
  for (int i = 12; i < 18; ++i) q.push(100 + (i % 3), [&ran, i] { ran.push_back(i); });
  CHECK(q.size() == 18);
  drain_times(q);
  CHECK(ran == std::vector<int>{0, 3, 6, 9, 12, 15, 1, 4, 7, 10, 13, 16, 2, 5, 8, 11, 14, 17});
}

TEST_CASE("renumbering inside a handler keeps pushes at the current time after the ties",
          "[event_queue]") {
  EventQueue q;
  std::vector<int> ran;
  q.push(1, [&] {
    ran.push_back(0);
    q.set_next_sequence_for_testing(EventQueue::kSequenceLimit);
    q.push(1, [&] { ran.push_back(3); });  // renumbers, then takes the next sequence
    q.push(1, [&] { ran.push_back(4); });
  });
  q.push(1, [&] { ran.push_back(1); });
  q.push(1, [&] { ran.push_back(2); });
  drain_times(q);
  CHECK(ran == std::vector<int>{0, 1, 2, 3, 4});
}

// ---------------------------------------------------------------------------------------
// Differential test against a trivially correct reference.

class Differential {
 public:
  Differential(std::uint64_t seed, bool force_renumbers)
      : gen_(seed), force_renumbers_(force_renumbers) {}

  // Runs `ops` top-level random operations; every operation is compared with the reference.
  void run(int ops) {
    for (int op = 0; op < ops; ++op) {
      // The mix of operations changes every 5000 operations so that the queue grows large,
      // is mostly cancelled (triggering compaction), and drains, several times over.
      // Percentages of push, cancel and is_pending checks; the rest pops.
      struct Mix {
        std::uint64_t push, cancel, pending;
      };
      constexpr Mix kPhases[] = {
          {70, 10, 5},  // grow
          {15, 70, 5},  // cancel storm
          {30, 20, 5},  // mostly run
          {45, 25, 5},  // mixed
      };
      const Mix& mix = kPhases[(op / 5000) % 4];
      maybe_force_renumber(op);
      const std::uint64_t r = below(100);
      if (r < mix.push) {
        push(random_time());
      } else if (r < mix.push + mix.cancel) {
        cancel_random();
      } else if (r < mix.push + mix.cancel + mix.pending) {
        check_random_pending();
      } else {
        pop();
      }
      REQUIRE(q_.size() == ref_.size());
      REQUIRE(q_.empty() == ref_.empty());
      if (!ref_.empty() && below(8) == 0) REQUIRE(q_.top_time() == ref_.begin()->first);
    }
    while (!ref_.empty()) pop();
    REQUIRE(q_.empty());
    REQUIRE(executed_ == expected_);
  }

  std::size_t executed() const { return executed_.size(); }
  std::size_t max_size() const { return max_size_; }
  int renumbers() const { return renumbers_; }
  std::size_t cancels() const { return cancels_; }
  int cancel_storms() const { return cancel_storms_; }

 private:
  struct Record {
    EventHandle handle;
    Time time;
  };

  std::uint64_t below(std::uint64_t n) { return gen_() % n; }

  void push(Time t) {
    const std::uint64_t id = records_.size();
    Differential* self = this;
    const EventHandle h = q_.push(t, [self, id] { self->on_run(id); });
    records_.push_back(Record{h, t});
    alive_.push_back(true);
    live_pos_.push_back(live_.size());
    live_.push_back(id);
    ref_.emplace(t, id);
    ++pushes_since_forced_;
    max_size_ = std::max(max_size_, ref_.size());
  }

  void mark_dead(std::uint64_t id) {
    alive_[id] = false;
    const std::size_t pos = live_pos_[id];
    live_[pos] = live_.back();
    live_pos_[live_[pos]] = pos;
    live_.pop_back();
  }

  void cancel_random() {
    if (records_.empty()) return;
    // Half the time a live handle, otherwise any handle ever issued (mostly stale ones:
    // already run, already cancelled, or pointing at a slot that has been reused).
    std::uint64_t id = 0;
    if (!live_.empty() && below(2) == 0) {
      id = live_[below(live_.size())];
    } else {
      id = below(records_.size());
    }
    const bool expected = alive_[id];
    const bool got = q_.cancel(records_[id].handle);
    REQUIRE(got == expected);
    if (expected) {
      ref_.erase({records_[id].time, id});
      mark_dead(id);
      ++cancels_;
      note_cancelled(records_[id].time, id);
    }
  }

  void check_random_pending() {
    if (records_.empty()) return;
    const std::uint64_t id = below(records_.size());
    REQUIRE(q_.is_pending(records_[id].handle) == alive_[id]);
  }

  void pop() {
    if (ref_.empty()) {
      REQUIRE(q_.empty());
      return;
    }
    const auto [t, id] = *ref_.begin();
    note_due(t, id);
    ref_.erase(ref_.begin());
    mark_dead(id);
    expected_.push_back(id);
    REQUIRE(q_.top_time() == t);
    // Until the first renumbering, the queue's sequence numbers are the push order, which
    // is exactly our id (the fingerprint hashes them).
    if (renumbers_ == 0) REQUIRE(q_.top_sequence() == id);
    now_ = t;
    running_ = id;
    q_.run_top();
    running_ = UINT64_MAX;
  }

  // The handler: records itself, then sometimes pushes (at the current time or later),
  // cancels other events, or tries to cancel itself.
  void on_run(std::uint64_t id) {
    executed_.push_back(id);
    REQUIRE(id == running_);
    REQUIRE(q_.size() == ref_.size());
    const std::uint64_t r = below(100);
    if (r < 15) {
      push(now_);  // same time as the running event: must run after the pending ties
    } else if (r < 25) {
      push(random_time());
    } else if (r < 35) {
      cancel_random();
    } else if (r < 40) {
      REQUIRE_FALSE(q_.is_pending(records_[id].handle));
      REQUIRE_FALSE(q_.cancel(records_[id].handle));
    }
    REQUIRE(q_.size() == ref_.size());
  }

  // Every so often, jump the queue's sequence counter close to kSequenceLimit so that the
  // renumbering runs in the middle of the workload (with cancelled entries in the heap).
  // Only after the previous jump has surely renumbered: then the counter is back to a
  // small number and moving it forward is safe.
  void maybe_force_renumber(int op) {
    if (!force_renumbers_ || op % 7919 != 0 || pushes_since_forced_ <= forced_gap_) return;
    forced_gap_ = 1 + below(2000);
    q_.set_next_sequence_for_testing(EventQueue::kSequenceLimit - forced_gap_);
    pushes_since_forced_ = 0;
    ++renumbers_;
  }

  // Times at or after now_: mostly a few nanoseconds ahead (many exact ties), sometimes
  // exactly now_, sometimes far ahead on a random scale up to 2^44 ns (~5 h) so that every
  // level of a radix structure is used; a few near the end of representable time.
  Time random_time() {
    const std::uint64_t r = below(100);
    std::uint64_t delta = 0;
    if (r < 15) {
      delta = 0;
    } else if (r < 70) {
      delta = below(40);
    } else if (r < 99) {
      delta = below(std::uint64_t{1} << below(45));
    } else {
      return std::max(now_, kTimeMax - static_cast<Time>(below(3)));
    }
    if (delta > static_cast<std::uint64_t>(kTimeMax - now_)) return now_;
    return now_ + static_cast<Time>(delta);
  }

  // Workload bookkeeping, independent of how the queue stores things: a "cancel storm" is
  // a moment when at least 1024 cancelled events are not yet due and they outnumber the
  // live ones -- the regime in which a lazily-deleting queue must compact.
  void note_cancelled(Time t, std::uint64_t id) {
    cancelled_not_due_.emplace(t, id);
    if (cancelled_not_due_.size() >= 1024 && cancelled_not_due_.size() > ref_.size()) {
      ++cancel_storms_;
      cancelled_not_due_.clear();  // count the next storm afresh
    }
  }
  void note_due(Time t, std::uint64_t id) {
    while (!cancelled_not_due_.empty() &&
           *cancelled_not_due_.begin() < std::pair<Time, std::uint64_t>{t, id}) {
      cancelled_not_due_.erase(cancelled_not_due_.begin());
    }
  }

  std::mt19937_64 gen_;
  bool force_renumbers_;
  std::set<std::pair<Time, std::uint64_t>> cancelled_not_due_;
  int cancel_storms_ = 0;
  EventQueue q_;
  std::set<std::pair<Time, std::uint64_t>> ref_;  // (time, push order): the reference order
  std::vector<Record> records_;                   // every handle ever issued, by id
  std::vector<bool> alive_;                       // by id: pending in the reference
  std::vector<std::uint64_t> live_;               // ids of pending events
  std::vector<std::size_t> live_pos_;             // by id: index into live_
  std::vector<std::uint64_t> executed_;           // ids in the order the queue ran them
  std::vector<std::uint64_t> expected_;           // ids in the order the reference popped
  Time now_ = 0;
  std::uint64_t running_ = UINT64_MAX;
  std::uint64_t pushes_since_forced_ = 0;
  std::uint64_t forced_gap_ = 0;
  std::size_t max_size_ = 0;
  std::size_t cancels_ = 0;
  int renumbers_ = 0;
};

TEST_CASE("sparse times: pushes between run-list entries keep (time, push) order",
          "[event_queue]") {
  // Times a few nanoseconds apart, far fewer than 64 per 64 ns: the queue takes such a
  // small bucket whole as its run list. Handlers then push events that fall between the
  // run list's entries, at the current time and at times equal to later entries; the
  // expected order is (time, push order), worked out by hand below.
  EventQueue q;
  std::vector<std::string> ran;
  auto note = [&ran](std::string label) { return [&ran, label] { ran.push_back(label); }; };
  q.push(1000, [&] {
    ran.push_back("a@1000");
    q.push(1000, note("a1@1000"));  // now: after everything pushed before at 1000
    q.push(1005, note("a2@1005"));  // between 1003 and 1010
    q.push(1010, note("a3@1010"));  // ties with b@1010, pushed later: after it
  });
  q.push(1003, note("c@1003"));
  q.push(1010, [&] {
    ran.push_back("b@1010");
    q.push(1011, note("b1@1011"));  // before d@1020
    q.push(1010, note("b2@1010"));  // now, after a3@1010
  });
  q.push(1020, note("d@1020"));
  q.push(5000, note("e@5000"));  // another bucket
  drain_times(q);
  const std::vector<std::string> expected = {"a@1000",  "a1@1000", "c@1003",  "a2@1005", "b@1010",
                                             "a3@1010", "b2@1010", "b1@1011", "d@1020",  "e@5000"};
  CHECK(ran == expected);
}

TEST_CASE("event queue matches a std::set reference under 100,000 random operations",
          "[event_queue][differential]") {
  for (const std::uint64_t seed : {1ULL, 2ULL, 0xC0FFEEULL}) {
    // The last run never renumbers, so it checks top_sequence() all the way through.
    const bool force_renumbers = seed != 0xC0FFEEULL;
    INFO("seed " << seed);
    Differential d(seed, force_renumbers);
    d.run(100'000);
    // The workload really exercised what it is meant to.
    // About 24% of the operations pop (the phase mix), plus the final drain.
    CHECK(d.executed() > 20'000);
    CHECK(d.max_size() > 2'000);  // several heap levels, and compaction thresholds reached
    CHECK(d.cancels() > 10'000);
    if (force_renumbers) CHECK(d.renumbers() >= 5);
    CHECK(d.cancel_storms() >= 3);
  }
}

}  // namespace
}  // namespace kubesim::sim
