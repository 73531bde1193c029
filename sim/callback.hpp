// InplaceCallback: a void() callable stored inside a fixed buffer, never on the heap.
//
// Event handlers live in the event queue's slab; each slot holds one InplaceCallback, so
// scheduling an event allocates nothing. Captures must fit kCallbackCapacity (40) bytes and an
// alignment of 8 — capture a pointer or an index, not a container. A capture that does not
// fit is a compile-time error, never a silent fallback to the heap.
//
// The object is neither copyable nor movable: slots have stable addresses for the whole
// life of the queue, so the callable is built in place and destroyed in place.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace kubesim::sim {

inline constexpr std::size_t kCallbackCapacity = 40;  // a slot is one 64-byte cache line

class InplaceCallback {
 public:
  InplaceCallback() = default;
  InplaceCallback(const InplaceCallback&) = delete;
  InplaceCallback& operator=(const InplaceCallback&) = delete;
  ~InplaceCallback() { reset(); }

  template <typename F>
  void emplace(F&& fn) {
    using Fn = std::decay_t<F>;
    static_assert(std::is_invocable_r_v<void, Fn&>, "an event handler is callable as void()");
    static_assert(sizeof(Fn) <= kCallbackCapacity,
                  "event handler captures too much: capture a pointer or an index instead");
    static_assert(alignof(Fn) <= alignof(std::max_align_t) && alignof(Fn) <= 8,
                  "event handler captures an over-aligned object");
    reset();
    ::new (static_cast<void*>(storage_)) Fn(std::forward<F>(fn));
    ops_ = &kOps<Fn>;
  }

  bool has_value() const { return ops_ != nullptr; }
  void operator()() { ops_->invoke(storage_); }

  void reset() {
    if (ops_ != nullptr) {
      if (ops_->destroy != nullptr) ops_->destroy(storage_);
      ops_ = nullptr;
    }
  }

 private:
  struct Ops {
    void (*invoke)(void*);
    void (*destroy)(void*);  // null when the callable is trivially destructible
  };
  template <typename Fn>
  static constexpr Ops kOps{
      [](void* p) { (*static_cast<Fn*>(p))(); },
      std::is_trivially_destructible_v<Fn> ? nullptr
                                           : +[](void* p) { static_cast<Fn*>(p)->~Fn(); }};

  alignas(8) unsigned char storage_[kCallbackCapacity];
  const Ops* ops_ = nullptr;
};

}  // namespace kubesim::sim
