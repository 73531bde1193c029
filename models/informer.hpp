// Informer<T>: a component's watch on one kind, as client-go's shared informer gives it —
// a local cache that lags the API server by the watch delay, and add/update/delete handlers
// called in resourceVersion order.
//
// On construction it lists the current objects (watch from resourceVersion 0: every object
// as ADDED) and follows changes; each change reaches the informer after one draw of the API
// server's watch delay, but never before an earlier change (per-watcher order is kept, as
// on one HTTP/2 watch stream). The cache is updated before the handlers run, so a handler
// reading the cache sees the new state. Handlers get the immutable snapshots the store
// shares: no copies.
//
// A filter makes it a filtered watch (label/field selector): objects entering the filter
// arrive as adds, objects leaving it as deletes.
//
// An informer with no handlers is only ever read, so it needs no event per change: its
// deliveries wait in the queue and every read first applies those whose time has come.
// Every read sees exactly the cache an eagerly drained informer would hold then (for
// read-only caches; no built-in component needs one today).
//
// Not thread-safe. Destroying the informer cancels its watch and pending deliveries.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "models/api_server.hpp"
#include "models/object_store.hpp"
#include "sim/simulation.hpp"

namespace kubesim::models {

template <typename T>
class Informer {
 public:
  using Ptr = std::shared_ptr<const T>;
  struct Handlers {
    std::function<void(const Ptr&)> on_add;
    std::function<void(const Ptr& old_object, const Ptr& new_object)> on_update;
    std::function<void(const Ptr& last)> on_delete;
  };

  Informer(ApiServer& api, Handlers handlers, typename ObjectStore<T>::Filter filter = {})
      : api_(api),
        sim_(api.simulation()),
        store_(api.store<T>()),
        handlers_(std::move(handlers)),
        lazy_(!handlers_.on_add && !handlers_.on_update && !handlers_.on_delete) {
    auto id = store_.watch(0, std::move(filter), [this](const WatchEvent<T>& e) { enqueue(e); });
    watch_ = id.ok() ? id.value() : 0;
  }
  ~Informer() {
    if (watch_ != 0) store_.cancel_watch(watch_);
    if (drain_.valid()) sim_.cancel(drain_);
  }
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  Ptr get(std::string_view namespace_, std::string_view name) const {
    catch_up();
    auto it = cache_.find(ObjectKeyRef{namespace_, name});
    return it == cache_.end() ? nullptr : it->second;
  }
  // The cached objects by "namespace/name" key (sorted).
  const std::map<std::string, Ptr, std::less<>>& cache() const {
    catch_up();
    return cache_.map();
  }
  // Calls fn(key, object) for each cached object of `namespace_`, in key order.
  template <typename F>
  void for_each_in_namespace(std::string_view namespace_, F&& fn) const {
    const std::string prefix = std::string(namespace_) + "/";
    const auto& map = cache();
    for (auto it = map.lower_bound(prefix);
         it != map.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      fn(it->first, *it->second);
    }
  }
  // Changes committed but not yet delivered.
  std::size_t lag() const {
    catch_up();
    return queue_.size();
  }

 private:
  struct Delivery {
    sim::Time at;
    WatchEvent<T> event;
  };

  void enqueue(const WatchEvent<T>& e) {
    sim::Time at = sim_.now() + api_.draw_watch_delay();
    if (!queue_.empty() && at < queue_.back().at) at = queue_.back().at;
    queue_.push_back(Delivery{at, e});
    if (lazy_) return;
    if (!drain_.valid() || !sim_.is_pending(drain_)) {
      drain_ = sim_.schedule_at(at, [this] { drain(); });
    }
  }

  void drain() {
    drain_ = sim::EventHandle();
    while (!queue_.empty() && queue_.front().at <= sim_.now()) {
      WatchEvent<T> e = std::move(queue_.front().event);
      queue_.pop_front();
      deliver(e);
    }
    if (!queue_.empty() && !drain_.valid()) {
      drain_ = sim_.schedule_at(queue_.front().at, [this] { drain(); });
    }
  }

  // A lazy informer's deliveries due by now (nothing to do for an eager one: its drain
  // event has applied them).
  void catch_up() const {
    if (!lazy_) return;
    while (!queue_.empty() && queue_.front().at <= sim_.now()) {
      WatchEvent<T> e = std::move(queue_.front().event);
      queue_.pop_front();
      deliver(e);
    }
  }

  // const: a lazy informer applies deliveries from its reads (cache_ and queue_ are mutable).
  void deliver(const WatchEvent<T>& e) const {
    // One hash probe, with no key string built unless the object is new to the cache.
    const ObjectKeyRef ref{e.object->metadata.namespace_, e.object->metadata.name};
    switch (e.type) {
      case WatchEventType::kAdded:
      case WatchEventType::kModified: {
        auto [it, added] = cache_.try_emplace(ref, e.object);
        if (added) {
          if (handlers_.on_add) handlers_.on_add(e.object);
        } else {
          Ptr old = std::move(it->second);
          it->second = e.object;
          if (handlers_.on_update) handlers_.on_update(old, e.object);
        }
        break;
      }
      case WatchEventType::kDeleted: {
        auto it = cache_.find(ref);
        if (it != cache_.end()) cache_.erase(it);
        if (handlers_.on_delete) handlers_.on_delete(e.object);
        break;
      }
    }
  }

  ApiServer& api_;
  sim::Simulation& sim_;
  ObjectStore<T>& store_;
  Handlers handlers_;
  bool lazy_;
  typename ObjectStore<T>::WatchId watch_ = 0;
  mutable ObjectKeyMap<Ptr> cache_;
  mutable std::deque<Delivery> queue_;
  sim::EventHandle drain_;
};

}  // namespace kubesim::models
