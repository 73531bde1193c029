// EventQueue: the pending-event set of the simulation, ordered by (time, insertion sequence).
//
// Order. Events fire in increasing time; events at the same time fire in the order they were
// pushed (FIFO), as in OMNeT++'s cEventHeap. The order is total, so a run is reproducible.
//
// Monotone. REQUIRES: a pushed time is never earlier than the time of the last event run
// (run_top). A discrete-event simulation never schedules into its past, and exploiting that
// is what makes this queue fast; violating it throws std::logic_error. Peeking (top_time)
// does not count as running: after a peek, events may still be pushed before the peeked one.
//
// Structure: a radix heap (Ahuja, Mehlhorn, Orlin & Tarjan 1990) with 6-bit digits over
// integer times. With `last` the radix base (no pending time is earlier), the earliest
// events form the run list, run front to back. Any later time t first differs from `last`
// at some bit h; it goes to level h/6, into the bucket named by its 6-bit digit at that
// level. Lower levels hold earlier times, and within a level lower digits hold earlier
// times, so the next events are in the lowest occupied bucket (two bitmask scans). When
// the run list runs dry, that bucket is brought down at once (also when only peeking: a
// later push earlier than the new base simply joins the run list in order):
//   - a level-0 bucket holds one exact time: it becomes the run list as it is;
//   - a small bucket (at most 64 entries, the "bottom" of a ladder queue, for sparse
//     times) becomes the run list whole, sorted;
//   - a larger level-1 bucket is split by the low 6 bits of each time, in one pass that
//     also finds its earliest time: the entries at that time become the run list, the
//     others go to level 0 (every entry of a level-1 bucket shares all higher bits);
//   - a larger bucket of a higher level is scanned once for its earliest time, which
//     becomes `last`, and its entries are redistributed into strictly lower levels.
// Entries elsewhere keep their bucket: they differ from the old and the new base at the
// same bit. So an event moves at most once per level, about once in practice, always by
// sequential appends, and no per-bucket minimum is kept (a push is an append and two
// bit sets). Ties are put in insertion order by sorting a refilled run list by sequence
// number when it is not already in order (rare: ties mostly arrive in order); events
// pushed at `last` afterwards carry higher sequence numbers and are appended in order.
//
// Cost (n pending, C = spread of pending times in ns):
//   push        O(1)        append to a bucket vector
//   pop         O(log C / 6) amortised: an event moves down at most 11 levels in its
//                           life; every pass is a sequential scan of a vector
//   cancel      O(1)        lazy: the handler is destroyed and a bit set in a small bitmap;
//                           the entry is dropped when a scan meets it, and all buckets are
//                           compacted when cancelled entries outnumber live ones.
//   allocation  none per event: handlers are built in place in a slab of cache-line
//               aligned, fixed-size slots (InplaceCallback) allocated in chunks; bucket
//               vectors keep their capacity; freed slots are reused LIFO, which keeps
//               recently touched memory hot.
// It replaced a cache-aligned 4-ary heap (and then a 1-bit radix heap), which measured
// several times slower on the hold model; see docs/performance.md and docs/architecture.md.
//
// Each entry packs (sequence << 24 | slot): at most 2^24 (16.7 million) events may be
// pending at once; sequence numbers are renumbered in O(n log n) if a run ever pushes 2^40.
//
// Handles. push() returns an EventHandle {slot, generation}. A slot's generation changes
// when its event is cancelled or starts running, so a stale handle never matches a later
// event that reuses the slot (up to 2^32 reuses of one slot).
//
// Not thread-safe: one queue belongs to one Simulation on one thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "sim/callback.hpp"
#include "sim/time.hpp"

namespace kubesim::sim {

struct EventHandle {
  static constexpr std::uint32_t kNone = UINT32_MAX;
  std::uint32_t slot = kNone;
  std::uint32_t generation = 0;
  bool valid() const { return slot != kNone; }
  friend bool operator==(const EventHandle&, const EventHandle&) = default;
};

class EventQueue {
 public:
  static constexpr int kSlotBits = 24;
  static constexpr std::uint64_t kMaxPending = std::uint64_t{1} << kSlotBits;
  static constexpr std::uint64_t kSequenceLimit = std::uint64_t{1} << (64 - kSlotBits);

  EventQueue() = default;
  ~EventQueue() = default;
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  // Schedules fn at time t. Throws std::length_error past kMaxPending pending events.
  // REQUIRES: t >= the time of the last event run (see "Monotone" above).
  template <typename F>
  EventHandle push(Time t, F&& fn) {
    if (t < last_run_) throw_before_last(t);
    const std::uint32_t idx = allocate_slot();
    Slot& s = slot(idx);
    s.fn.emplace(std::forward<F>(fn));
    if (next_sequence_ == kSequenceLimit) renumber();
    insert(Entry{t, (next_sequence_++ << kSlotBits) | idx});
    ++size_;
    return EventHandle{idx, s.generation};
  }

  // Cancels a pending event. Returns false if the handle is stale, already ran, is running,
  // or was already cancelled.
  bool cancel(EventHandle h);
  bool is_pending(EventHandle h) const;

  std::size_t size() const { return size_ - cancelled_; }
  bool empty() const { return size() == 0; }

  // Time of the earliest pending event. REQUIRES: !empty().
  Time top_time() { return top().time; }
  // Insertion sequence of the earliest pending event. REQUIRES: !empty().
  std::uint64_t top_sequence() { return top().key >> kSlotBits; }
  std::pair<Time, std::uint64_t> top_time_and_sequence() {
    const Entry& e = top();
    return {e.time, e.key >> kSlotBits};
  }

  // Removes the earliest pending event and runs its handler. The handler may push and
  // cancel events (including ones at the current time). REQUIRES: !empty().
  void run_top() {
    run_next([](Time, std::uint64_t) {});
  }
  // As run_top(), calling before(time, sequence) of that event first, just before its
  // handler: one search for the earliest event where top_time_and_sequence() and
  // run_top() would make two. `before` must not push or cancel. REQUIRES: !empty().
  template <typename F>
  void run_next(F&& before) {
    const Entry e = top();
    before(e.time, e.key >> kSlotBits);
    ++head_;
    --size_;
    last_run_ = e.time;
    const std::uint32_t idx = slot_of(e);
    Slot& s = slot(idx);
    if (head_ + kPrefetchDistance - 1 < current_.size()) {
      __builtin_prefetch(&slot(slot_of(current_[head_ + kPrefetchDistance - 1])));
    }
    ++s.generation;  // the event is no longer pending: its handle stops matching
    const SlotRelease release{this, idx};
    s.fn();  // slots never move, so s stays valid while the handler pushes events
  }

  // Test hook: pretend `n` sequence numbers have been used, to exercise renumbering.
  void set_next_sequence_for_testing(std::uint64_t n) { next_sequence_ = n; }

 private:
  struct Entry {
    Time time;
    std::uint64_t key;  // sequence << kSlotBits | slot
  };
  // One cache line: the handler, its captures and the bookkeeping a push and a run touch.
  struct alignas(64) Slot {
    InplaceCallback fn;
    std::uint32_t generation = 0;
    std::uint32_t next_free = EventHandle::kNone;
  };
  // Frees the running event's slot when its handler returns or throws.
  struct SlotRelease {
    EventQueue* q;
    std::uint32_t idx;
    ~SlotRelease() {
      q->slot(idx).fn.reset();
      q->free_slot(idx);
    }
  };
  // Slots of the run list's next events are prefetched this many entries ahead.
  static constexpr std::size_t kPrefetchDistance = 4;
  static constexpr int kChunkBits = 12;
  static constexpr std::uint32_t kChunkSize = 1u << kChunkBits;
  static constexpr std::uint64_t kSlotMask = kMaxPending - 1;

  static constexpr int kDigitBits = 6;
  static constexpr int kDigits = 1 << kDigitBits;  // buckets per level: one 64-bit mask
  static constexpr int kLevels = 11;               // 11 × 6 bits cover 64-bit times

  struct Bucket {
    int level;
    int digit;
  };
  // (time, sequence) as one unsigned 128-bit number: times are never negative (pushes
  // before the base, 0 at first, are refused), so unsigned order is time order.
  __extension__ using Key128 = unsigned __int128;
  static Key128 key128(const Entry& e) {
    return (static_cast<Key128>(static_cast<std::uint64_t>(e.time)) << 64) | e.key;
  }
  static std::uint32_t slot_of(const Entry& e) {
    return static_cast<std::uint32_t>(e.key & kSlotMask);
  }

  bool is_cancelled(std::uint32_t idx) const {
    return (cancelled_bits_[idx >> 6] >> (idx & 63)) & 1u;
  }
  void set_cancelled(std::uint32_t idx, bool on) {
    const std::uint64_t bit = std::uint64_t{1} << (idx & 63);
    cancelled_bits_[idx >> 6] =
        on ? cancelled_bits_[idx >> 6] | bit : cancelled_bits_[idx >> 6] & ~bit;
  }

  Slot& slot(std::uint32_t i) { return chunks_[i >> kChunkBits][i & (kChunkSize - 1)]; }
  const Slot& slot(std::uint32_t i) const { return chunks_[i >> kChunkBits][i & (kChunkSize - 1)]; }

  std::uint32_t allocate_slot() {
    if (free_head_ != EventHandle::kNone) {
      const std::uint32_t idx = free_head_;
      free_head_ = slot(idx).next_free;
      return idx;
    }
    return grow_slots();
  }
  void free_slot(std::uint32_t idx) {
    slot(idx).next_free = free_head_;
    free_head_ = idx;
  }
  std::uint32_t grow_slots();

  // Puts e in the run list when it falls inside the list's time range, else appends it to
  // its bucket relative to the base `last_`.
  void insert(const Entry& e) {
    if (e.time <= current_max_) {
      insert_current(e);
      return;
    }
    const auto diff = static_cast<std::uint64_t>(e.time ^ last_);
    if (diff == 0) {  // only before the first refill: the base is 0 and the list empty
      current_.push_back(e);
      current_max_ = e.time;
      return;
    }
    const int level = (63 - __builtin_clzll(diff)) / kDigitBits;
    const int digit = static_cast<int>(
        (static_cast<std::uint64_t>(e.time) >> (level * kDigitBits)) & (kDigits - 1));
    buckets_[level][digit].push_back(e);
    occupied_[level] |= std::uint64_t{1} << digit;
    levels_ |= 1u << level;
  }

  // Inserts into the run list after every entry with the same or an earlier time (e has
  // the highest sequence number so far, so this keeps (time, sequence) order). Usually an
  // append; otherwise a short shift, as the list spans at most kSmallBucket entries or a
  // single time.
  void insert_current(const Entry& e) {
    if (current_.size() == head_ || current_.back().time <= e.time) {
      current_.push_back(e);
      return;
    }
    auto pos =
        std::upper_bound(current_.begin() + static_cast<std::ptrdiff_t>(head_), current_.end(),
                         e.time, [](Time t, const Entry& x) { return t < x.time; });
    current_.insert(pos, e);
  }

  // The lowest occupied bucket. REQUIRES: levels_ != 0.
  Bucket lowest_bucket() const {
    const int level = __builtin_ctz(levels_);
    return Bucket{level, __builtin_ctzll(occupied_[level])};
  }

  // The earliest live entry, without removing it; refills the run list when it is used
  // up. REQUIRES: !empty().
  const Entry& top() {
    for (;;) {
      while (head_ < current_.size()) {
        const std::uint32_t idx = slot_of(current_[head_]);
        if (cancelled_ == 0 || !is_cancelled(idx)) return current_[head_];
        drop_cancelled(idx);
        ++head_;
      }
      refill();
    }
  }
  void mark_empty(Bucket b) {
    occupied_[b.level] &= ~(std::uint64_t{1} << b.digit);
    if (occupied_[b.level] == 0) levels_ &= ~(1u << b.level);
  }
  // The run list is used up: make the lowest bucket's earliest time the new base and bring
  // the bucket down (see "Structure"). May leave the run list empty when every entry of
  // that bucket was cancelled. REQUIRES: levels_ != 0.
  void refill();
  void refill_level1(std::vector<Entry>& source);
  void prefetch_run_list();
  void drop_cancelled(std::uint32_t idx) {
    set_cancelled(idx, false);
    free_slot(idx);
    --cancelled_;
    --size_;
  }
  // Drops the cancelled entries of v (from index `from`); returns how many are left.
  std::size_t drop_cancelled_entries(std::vector<Entry>& v, std::size_t from);
  template <typename F>
  void for_each_bucket(F&& f);  // calls f(Bucket) for every occupied bucket
  void compact();
  void renumber();
  [[noreturn]] void throw_before_last(Time t) const;

  // The run list: the earliest pending events in (time, sequence) order, all no later than
  // current_max_ and earlier than anything in the buckets. Either the events at one time
  // (a level-0 bucket or a redistribution) or a whole small bucket, sorted.
  std::vector<Entry> current_;
  std::size_t head_ = 0;   // next entry of current_ to run; earlier ones already ran
  Time current_max_ = -1;  // latest time the run list covers
  Time last_run_ = 0;      // time of the last event run: no push may be earlier
  std::vector<Entry> buckets_[kLevels][kDigits];
  Time last_ = 0;         // the radix base: no pending time is earlier
  std::size_t size_ = 0;  // entries from head_ on and in buckets, cancelled ones included
  std::size_t cancelled_ = 0;
  std::uint64_t occupied_[kLevels] = {};  // bit d: bucket (level, d) is non-empty
  std::uint32_t levels_ = 0;              // bit l: level l has an occupied bucket

  std::vector<std::unique_ptr<Slot[]>> chunks_;
  // One bit per slot, set while a cancelled entry for the slot is still in the heap. Finding
  // a cancelled top this way reads a small, hot bitmap instead of the slot's cache line.
  std::vector<std::uint64_t> cancelled_bits_;
  std::uint32_t slots_used_ = 0;  // slots ever handed out (high-water mark)
  std::uint32_t free_head_ = EventHandle::kNone;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace kubesim::sim
