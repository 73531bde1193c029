// SlotPool<T>: objects addressed by a small integer index that stays valid until the slot
// is released, with released slots reused (last released, first reused). Models keep their
// in-flight requests here and capture the index in event handlers, which must stay within
// the 40-byte handler capacity (sim/callback.hpp).
//
// acquire() may grow the pool, which moves the objects: do not hold a T& across it. A
// reused slot keeps whatever the previous user left in it; reset what you use.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

namespace kubesim::sim {

template <typename T>
class SlotPool {
 public:
  static constexpr std::uint32_t kNone = UINT32_MAX;

  // The index of a free slot: a released one if any, else a new default-constructed T.
  std::uint32_t acquire() {
    if (free_ != kNone) {
      const std::uint32_t i = free_;
      free_ = next_free_[i];
      return i;
    }
    items_.emplace_back();
    next_free_.push_back(kNone);
    return static_cast<std::uint32_t>(items_.size() - 1);
  }
  // REQUIRES: i was acquired and not released since.
  void release(std::uint32_t i) {
    next_free_[i] = free_;
    free_ = i;
  }

  T& operator[](std::uint32_t i) { return items_[i]; }
  const T& operator[](std::uint32_t i) const { return items_[i]; }
  // Slots ever created, in use or free (valid indexes are below it).
  std::uint32_t size() const { return static_cast<std::uint32_t>(items_.size()); }

 private:
  std::vector<T> items_;
  std::vector<std::uint32_t> next_free_;
  std::uint32_t free_ = kNone;
};

}  // namespace kubesim::sim
