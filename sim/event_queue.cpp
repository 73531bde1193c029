#include "sim/event_queue.hpp"

#include <algorithm>
#include <string>

namespace kubesim::sim {
namespace {
constexpr std::size_t kCompactMinimum = 1024;
constexpr std::size_t kPrefetchDistance = 4;
// A bucket this small becomes the run list by sorting instead of being redistributed:
// cheaper when times are sparse (about one event per level-0 bucket).
constexpr std::size_t kSmallBucket = 64;
}  // namespace

std::uint32_t EventQueue::grow_slots() {
  if (slots_used_ == kMaxPending) {
    throw std::length_error("event queue: more than " + std::to_string(kMaxPending) +
                            " events pending at once; the model schedules far more events "
                            "than it runs (a leak of timers?)");
  }
  if ((slots_used_ & (kChunkSize - 1)) == 0) {
    chunks_.push_back(std::make_unique<Slot[]>(kChunkSize));
    cancelled_bits_.resize(cancelled_bits_.size() + kChunkSize / 64, 0);
  }
  return slots_used_++;
}

void EventQueue::throw_before_last(Time t) const {
  throw std::logic_error("event queue: event pushed at " + format_duration(t) +
                         ", before the last event run (" + format_duration(last_run_) + ")");
}

bool EventQueue::is_pending(EventHandle h) const {
  if (h.slot >= slots_used_) return false;
  const Slot& s = slot(h.slot);
  return s.generation == h.generation && s.fn.has_value();
}

bool EventQueue::cancel(EventHandle h) {
  if (!is_pending(h)) return false;
  Slot& s = slot(h.slot);
  s.fn.reset();
  ++s.generation;
  ++cancelled_;
  set_cancelled(h.slot, true);
  const Bucket b = bucket_of(s.time);
  if (s.time > current_max_ && b.level >= 0 && slot_of(bucket_min_[b.level][b.digit]) == h.slot) {
    stale_min_[b.level] |= std::uint64_t{1} << b.digit;
  }
  if (cancelled_ >= kCompactMinimum && 2 * cancelled_ > size_) compact();
  return true;
}

void EventQueue::rescan(Bucket b) {
  std::vector<Entry>& bucket = buckets_[b.level][b.digit];
  Entry& min = bucket_min_[b.level][b.digit];
  std::size_t kept = 0;
  for (std::size_t i = 0; i < bucket.size(); ++i) {
    const Entry e = bucket[i];
    const std::uint32_t idx = slot_of(e);
    if (is_cancelled(idx)) {
      drop_cancelled(idx);
      continue;
    }
    if (kept == 0 || key128(e) < key128(min)) min = e;
    bucket[kept++] = e;
  }
  bucket.resize(kept);
  stale_min_[b.level] &= ~(std::uint64_t{1} << b.digit);
  if (kept == 0) mark_empty(b);
}

void EventQueue::refill() {
  current_.clear();
  head_ = 0;
  const Bucket source_index = lowest_bucket();
  std::vector<Entry>& source = buckets_[source_index.level][source_index.digit];
  last_ = bucket_min_[source_index.level][source_index.digit].time;
  mark_empty(source_index);
  const auto by_key = [](const Entry& a, const Entry& b) { return key128(a) < key128(b); };
  if (source_index.level == 0) {
    // A level-0 bucket holds a single time: it becomes the run list as it is (cancelled
    // entries included; top() skips them).
    current_.swap(source);
    current_max_ = last_;
  } else if (source.size() <= kSmallBucket) {
    // A small bucket becomes the run list whole, sorted. The other buckets stay valid for
    // the new base, as they would after a redistribution.
    if (source_index.level == 1) {
      // Its times differ only in their low 12 bits, and the high 6 are this bucket's digit:
      // a stable counting sort on the low 6 bits orders them by time, keeping push order
      // among equal times (the check below repairs the rare exception).
      std::uint16_t starts[kDigits + 1] = {};
      for (const Entry& e : source) ++starts[(static_cast<std::uint64_t>(e.time) & (kDigits - 1)) + 1];
      for (int d = 0; d < kDigits; ++d) starts[d + 1] = static_cast<std::uint16_t>(starts[d + 1] + starts[d]);
      current_.resize(source.size());
      for (const Entry& e : source) {
        current_[starts[static_cast<std::uint64_t>(e.time) & (kDigits - 1)]++] = e;
      }
      source.clear();
    } else {
      current_.swap(source);
      std::sort(current_.begin(), current_.end(), by_key);
    }
    current_max_ = current_.back().time;
  } else {
    // Every entry lands in a strictly lower level relative to the new base (they all
    // share the bits above this level), so appending while iterating the source is safe.
    current_max_ = last_;
    for (const Entry& e : source) {
      const std::uint32_t idx = slot_of(e);
      if (is_cancelled(idx)) {
        drop_cancelled(idx);
      } else {
        insert(e);
      }
    }
    source.clear();
  }
  // Entries that reached the list through a redistribution may be out of push order.
  if (!std::is_sorted(current_.begin(), current_.end(), by_key)) {
    std::sort(current_.begin(), current_.end(), by_key);
  }
}

void EventQueue::run_top() {
  if (head_ >= current_.size()) {
    refill();
    // Handlers of the next events are the cache lines we will need next (slots are
    // scattered over the slab): fetch a few ahead while the handlers run.
    const std::size_t n = std::min<std::size_t>(current_.size(), kPrefetchDistance);
    for (std::size_t i = 1; i < n; ++i) __builtin_prefetch(&slot(slot_of(current_[i])));
  }
  const Entry e = current_[head_++];
  --size_;
  last_run_ = e.time;
  const std::uint32_t idx = slot_of(e);
  Slot& s = slot(idx);
  if (head_ + kPrefetchDistance - 1 < current_.size()) {
    __builtin_prefetch(&slot(slot_of(current_[head_ + kPrefetchDistance - 1])));
  }
  ++s.generation;  // the event is no longer pending: its handle stops matching
  struct Release {
    EventQueue* q;
    std::uint32_t idx;
    ~Release() {
      q->slot(idx).fn.reset();
      q->free_slot(idx);
    }
  } release{this, idx};
  s.fn();  // slots never move, so s stays valid while the handler pushes events
}

template <typename F>
void EventQueue::for_each_bucket(F&& f) {
  for (int level = 0; level < kLevels; ++level) {
    std::uint64_t mask = occupied_[level];
    while (mask != 0) {
      const int digit = __builtin_ctzll(mask);
      mask &= mask - 1;
      f(Bucket{level, digit});
    }
  }
}

void EventQueue::compact() {
  std::size_t kept = head_;
  for (std::size_t i = head_; i < current_.size(); ++i) {
    const std::uint32_t idx = slot_of(current_[i]);
    if (is_cancelled(idx)) {
      drop_cancelled(idx);
    } else {
      current_[kept++] = current_[i];
    }
  }
  current_.resize(kept);
  for_each_bucket([this](Bucket b) { rescan(b); });
}

void EventQueue::renumber() {
  // Reassign sequence numbers 0..n-1 in current (time, sequence) order, keeping each entry
  // in its bucket (bucket membership depends on time only).
  std::vector<Entry*> all;
  all.reserve(size_);
  for (std::size_t i = head_; i < current_.size(); ++i) all.push_back(&current_[i]);
  for_each_bucket([this, &all](Bucket b) {
    for (Entry& e : buckets_[b.level][b.digit]) all.push_back(&e);
  });
  std::sort(all.begin(), all.end(),
            [](const Entry* a, const Entry* b) { return key128(*a) < key128(*b); });
  for (std::size_t i = 0; i < all.size(); ++i) {
    all[i]->key = (static_cast<std::uint64_t>(i) << kSlotBits) | (all[i]->key & kSlotMask);
  }
  next_sequence_ = all.size();
  // Bucket minima carry sequence numbers too.
  for_each_bucket([this](Bucket b) { rescan(b); });
}

}  // namespace kubesim::sim
