#include "sim/event_queue.hpp"

#include <algorithm>
#include <string>

namespace kubesim::sim {
namespace {
constexpr std::size_t kCompactMinimum = 1024;
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
  if (cancelled_ >= kCompactMinimum && 2 * cancelled_ > size_) compact();
  return true;
}

std::size_t EventQueue::drop_cancelled_entries(std::vector<Entry>& v, std::size_t from) {
  std::size_t kept = from;
  for (std::size_t i = from; i < v.size(); ++i) {
    const Entry e = v[i];
    const std::uint32_t idx = slot_of(e);
    if (is_cancelled(idx)) {
      drop_cancelled(idx);
    } else {
      v[kept++] = e;
    }
  }
  v.resize(kept);
  return kept;
}

void EventQueue::refill() {
  current_.clear();
  head_ = 0;
  const Bucket source_index = lowest_bucket();
  std::vector<Entry>& source = buckets_[source_index.level][source_index.digit];
  mark_empty(source_index);
  const auto by_key = [](const Entry& a, const Entry& b) { return key128(a) < key128(b); };
  if (source_index.level == 0) {
    // A level-0 bucket holds a single time: it becomes the run list as it is (cancelled
    // entries included; top() skips them), in sequence order.
    current_.swap(source);
    last_ = current_.front().time;
    current_max_ = last_;
    const auto by_sequence = [](const Entry& a, const Entry& b) { return a.key < b.key; };
    if (!std::is_sorted(current_.begin(), current_.end(), by_sequence)) {
      std::sort(current_.begin(), current_.end(), by_sequence);
    }
    prefetch_run_list();
    return;
  }
  if (source.size() <= kSmallBucket) {
    // A small bucket becomes the run list whole, sorted. The other buckets stay valid for
    // the new base, as they would after a redistribution.
    if (source_index.level == 1) {
      // Its times differ only in their low 12 bits, and the high 6 are this bucket's digit:
      // a stable counting sort on the low 6 bits orders them by time, keeping push order
      // among equal times (the check below repairs the rare exception).
      std::uint16_t starts[kDigits + 1] = {};
      for (const Entry& e : source)
        ++starts[(static_cast<std::uint64_t>(e.time) & (kDigits - 1)) + 1];
      for (int d = 0; d < kDigits; ++d)
        starts[d + 1] = static_cast<std::uint16_t>(starts[d + 1] + starts[d]);
      current_.resize(source.size());
      for (const Entry& e : source) {
        current_[starts[static_cast<std::uint64_t>(e.time) & (kDigits - 1)]++] = e;
      }
      source.clear();
    } else {
      current_.swap(source);
      std::sort(current_.begin(), current_.end(), by_key);
    }
    // The earliest entry may be a cancelled one: still no later than any live time.
    last_ = current_.front().time;
    current_max_ = current_.back().time;
  } else if (source_index.level == 1) {
    refill_level1(source);
  } else {
    // The earliest live time becomes the base; every entry then lands in a strictly lower
    // level (they all share the bits above this level), so appending while iterating the
    // source is safe.
    if (drop_cancelled_entries(source, 0) == 0) return;  // top() moves on to the next bucket
    Time earliest = source.front().time;
    for (const Entry& e : source) earliest = std::min(earliest, e.time);
    last_ = earliest;
    current_max_ = last_;
    for (const Entry& e : source) insert(e);
    source.clear();
  }
  // Entries that reached the list through a redistribution may be out of push order.
  if (!std::is_sorted(current_.begin(), current_.end(), by_key)) {
    std::sort(current_.begin(), current_.end(), by_key);
  }
  prefetch_run_list();
}

void EventQueue::prefetch_run_list() {
  // Handlers of the next events are the cache lines we will need next (slots are
  // scattered over the slab): fetch a few ahead while the first handlers run.
  const std::size_t n = std::min<std::size_t>(current_.size(), kPrefetchDistance);
  for (std::size_t i = 0; i < n; ++i) __builtin_prefetch(&slot(slot_of(current_[i])));
}

void EventQueue::refill_level1(std::vector<Entry>& source) {
  // Every entry of a level-1 bucket shares all bits from bit 6 up (the bits above 12 with
  // the base, bits 6..11 are the bucket's digit), so relative to any new base inside the
  // bucket its level-0 digit is simply its low 6 bits. Level 0 is empty (level 1 was the
  // lowest level), so one pass splits the bucket by those bits and finds the earliest
  // live time; the level-0 bucket of that time is exactly the new run list.
  Time earliest = kTimeMax;
  std::uint64_t mask = 0;
  std::vector<Entry>* level0 = buckets_[0];
  if (cancelled_ == 0) {
    for (const Entry& e : source) {
      const auto digit = static_cast<std::uint64_t>(e.time) & (kDigits - 1);
      level0[digit].push_back(e);
      mask |= std::uint64_t{1} << digit;
      earliest = std::min(earliest, e.time);
    }
  } else {
    for (const Entry& e : source) {
      const std::uint32_t idx = slot_of(e);
      if (is_cancelled(idx)) {
        drop_cancelled(idx);
        continue;
      }
      const auto digit = static_cast<std::uint64_t>(e.time) & (kDigits - 1);
      level0[digit].push_back(e);
      mask |= std::uint64_t{1} << digit;
      earliest = std::min(earliest, e.time);
    }
  }
  source.clear();
  if (mask == 0) return;  // all cancelled: top() moves on to the next bucket
  last_ = earliest;
  current_max_ = last_;
  const auto digit = static_cast<std::uint64_t>(earliest) & (kDigits - 1);
  current_.swap(level0[digit]);
  mask &= ~(std::uint64_t{1} << digit);
  occupied_[0] = mask;
  if (mask != 0) levels_ |= 1u;
  // refill() puts the run list in sequence order and prefetches its first handlers.
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
  drop_cancelled_entries(current_, head_);
  for_each_bucket([this](Bucket b) {
    if (drop_cancelled_entries(buckets_[b.level][b.digit], 0) == 0) mark_empty(b);
  });
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
}

}  // namespace kubesim::sim
