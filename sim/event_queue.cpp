#include "sim/event_queue.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <string>

namespace kubesim::sim {
namespace {
constexpr std::size_t kCacheLine = 64;
constexpr std::size_t kHeapOffset = 3;  // entries before heap_[0] inside the aligned block
constexpr std::size_t kCompactMinimum = 1024;
}  // namespace

EventQueue::EventQueue() { grow_heap(); }

EventQueue::~EventQueue() {
  if (heap_block_ != nullptr) ::operator delete(heap_block_, std::align_val_t{kCacheLine});
}

std::uint32_t EventQueue::grow_slots() {
  if (slots_used_ == kMaxPending) {
    throw std::length_error("event queue: more than " + std::to_string(kMaxPending) +
                            " events pending at once; the model schedules far more events "
                            "than it runs (a leak of timers?)");
  }
  if ((slots_used_ & (kChunkSize - 1)) == 0) {
    chunks_.push_back(std::make_unique<Slot[]>(kChunkSize));
  }
  return slots_used_++;
}

void EventQueue::grow_heap() {
  const std::size_t new_capacity = capacity_ == 0 ? 1024 : capacity_ * 2;
  void* block = ::operator new((new_capacity + kHeapOffset + 1) * sizeof(Entry),
                               std::align_val_t{kCacheLine});
  Entry* fresh = static_cast<Entry*>(block) + kHeapOffset;
  if (size_ > 0) std::memcpy(fresh, heap_, size_ * sizeof(Entry));
  if (heap_block_ != nullptr) ::operator delete(heap_block_, std::align_val_t{kCacheLine});
  heap_block_ = block;
  heap_ = fresh;
  capacity_ = new_capacity;
}

void EventQueue::sift_down(std::size_t hole, Entry e) {
  const std::size_t n = size_;
  for (;;) {
    const std::size_t first = 4 * hole + 1;
    if (first >= n) break;
    std::size_t best = first;
    if (first + 3 < n) {
      // All four children exist: two independent comparisons, then one.
      const std::size_t a = less(heap_[first + 1], heap_[first]) ? first + 1 : first;
      const std::size_t b = less(heap_[first + 3], heap_[first + 2]) ? first + 3 : first + 2;
      best = less(heap_[b], heap_[a]) ? b : a;
    } else {
      for (std::size_t c = first + 1; c < n; ++c) {
        if (less(heap_[c], heap_[best])) best = c;
      }
    }
    if (!less(heap_[best], e)) break;
    heap_[hole] = heap_[best];
    hole = best;
  }
  heap_[hole] = e;
}

void EventQueue::heap_pop() {
  const Entry last = heap_[--size_];
  if (size_ > 0) sift_down(0, last);
}

void EventQueue::drop_cancelled_top() {
  while (size_ > 0) {
    const auto idx = static_cast<std::uint32_t>(heap_[0].key & kSlotMask);
    if (slot(idx).fn.has_value()) return;
    heap_pop();
    --cancelled_;
    free_slot(idx);
  }
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
  if (cancelled_ >= kCompactMinimum && 2 * cancelled_ > size_) compact();
  return true;
}

void EventQueue::run_top() {
  const auto idx = static_cast<std::uint32_t>(heap_[0].key & kSlotMask);
  heap_pop();
  Slot& s = slot(idx);
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

void EventQueue::compact() {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < size_; ++i) {
    const auto idx = static_cast<std::uint32_t>(heap_[i].key & kSlotMask);
    if (slot(idx).fn.has_value()) {
      heap_[kept++] = heap_[i];
    } else {
      free_slot(idx);
    }
  }
  size_ = kept;
  cancelled_ = 0;
  // Floyd's heap construction: sift down every internal node, last first.
  if (size_ > 1) {
    for (std::size_t i = (size_ - 2) / 4 + 1; i-- > 0;) sift_down(i, heap_[i]);
  }
}

void EventQueue::renumber() {
  // Reassign sequence numbers 0..n-1 in current (time, sequence) order. A sorted array is a
  // valid heap, so no sifting is needed afterwards.
  std::sort(heap_, heap_ + size_, less);
  for (std::size_t i = 0; i < size_; ++i) {
    heap_[i].key = (static_cast<std::uint64_t>(i) << kSlotBits) | (heap_[i].key & kSlotMask);
  }
  next_sequence_ = size_;
}

}  // namespace kubesim::sim
