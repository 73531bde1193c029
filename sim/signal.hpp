// Signal<Args...>: a typed observer list. Models publish what happened (pod_bound,
// node_failed, ...); metrics, experiments and the GUI subscribe. A signal with no
// subscribers costs one branch to emit.
//
// Slots run synchronously, in the order they were connected, inside the emitting event.
// A slot may connect or disconnect slots (itself included) while the signal is emitting:
// slots connected during an emit are not called by that emit; disconnected ones are not
// called after their disconnect returns.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <utility>

namespace kubesim::sim {

struct Connection {
  std::uint64_t id = 0;
  bool valid() const { return id != 0; }
};

template <typename... Args>
class Signal {
 public:
  using Slot = std::function<void(const Args&...)>;

  Connection connect(Slot slot) {
    slots_.push_back(Entry{++last_id_, std::move(slot), true});
    return Connection{last_id_};
  }

  // False when the connection is unknown or already disconnected.
  bool disconnect(Connection c) {
    for (auto& e : slots_) {
      if (e.id == c.id && e.alive) {
        e.alive = false;  // the slot may be running: destroy it only in compact()
        dirty_ = true;
        if (emitting_ == 0) compact();
        return true;
      }
    }
    return false;
  }

  void emit(const Args&... args) {
    if (slots_.empty()) return;
    ++emitting_;
    const std::size_t n = slots_.size();  // slots added during the emit wait for the next
    for (std::size_t i = 0; i < n; ++i) {
      // A deque never moves its elements on push_back, so slots_[i] stays valid even if
      // the slot connects others while it runs.
      if (slots_[i].alive) slots_[i].fn(args...);
    }
    if (--emitting_ == 0 && dirty_) compact();
  }

  bool empty() const { return slots_.empty(); }
  std::size_t size() const {
    std::size_t n = 0;
    for (const auto& e : slots_) n += e.alive ? 1 : 0;
    return n;
  }

 private:
  struct Entry {
    std::uint64_t id;
    Slot fn;
    bool alive;
  };
  void compact() {
    std::erase_if(slots_, [](const Entry& e) { return !e.alive; });
    dirty_ = false;
  }
  std::deque<Entry> slots_;
  std::uint64_t last_id_ = 0;
  int emitting_ = 0;
  bool dirty_ = false;
};

}  // namespace kubesim::sim
