// ObjectStore<T>: the stored state of one Kubernetes resource kind, as the API server
// keeps it in etcd, with resourceVersions, watches, compaction and secondary indexes.
//
// What it reproduces (k8s.io/apiserver storage + cacher semantics):
// - One resourceVersion sequence for the whole cluster (ResourceVersionClock, shared by
//   the stores of every kind): each create, update and delete takes the next value, which
//   becomes metadata.resource_version of the stored object (the deleted object's final
//   version for a delete).
// - Optimistic concurrency: update() and remove() with an expected resourceVersion fail
//   with Conflict when the stored object has moved on ("the object has been modified;
//   please apply your changes to the latest version and try again").
// - Watches deliver every change after a given resourceVersion, in resourceVersion order.
//   Watching from 0 first lists the current objects as ADDED (in key order), then follows
//   changes. Watching from a version older than the retained history fails with Gone
//   ("too old resource version"), as after etcd compaction; the client must relist.
// - Filtered watches (label/field selectors compiled to a predicate) see an object that
//   starts matching as ADDED and one that stops matching as DELETED, as the watch cache
//   does; changes outside the filter are not delivered.
// - Indexes (pods by node, by owner, by label ...) name a function from object to index
//   values; lookups return keys in sorted order, so iteration is deterministic.
//
// Objects are immutable once stored: readers get shared_ptr<const T> snapshots, exactly
// like informer caches share objects, so a watcher never sees a later mutation.
// Watch callbacks run synchronously inside the write; the API server model adds the
// delivery latency by scheduling its own events. A callback may not write to the same
// store (it would reorder events); it may cancel watches.
//
// REQUIRES of T: a member `metadata` with std::string `namespace_` and `name`, and
// std::int64_t `resource_version`.
//
// Not thread-safe.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sim/status.hpp"

namespace kubesim::models {

class ResourceVersionClock {
 public:
  std::int64_t current() const { return current_; }
  std::int64_t next() { return ++current_; }

 private:
  std::int64_t current_ = 0;
};

enum class WatchEventType { kAdded, kModified, kDeleted };
std::string_view watch_event_type_name(WatchEventType type);  // "ADDED", ...

// namespace/name, or name for cluster-scoped objects. Sorting keys sorts by namespace then
// name, as `kubectl get -A` lists.
std::string object_key(std::string_view namespace_, std::string_view name);

// A namespace/name pair that orders exactly as its object_key() would, without building
// the string: maps keyed by object_key() with std::less<> can find(ObjectKeyRef{ns, name})
// with no allocation (ObjectStore, Informer caches).
struct ObjectKeyRef {
  std::string_view namespace_;
  std::string_view name;
};

// Three-way comparison of `key` with object_key(ref.namespace_, ref.name), byte-wise as
// std::string compares.
inline int compare_object_key(std::string_view key, const ObjectKeyRef& ref) {
  if (!ref.namespace_.empty()) {
    const std::string_view ns = ref.namespace_;
    const std::size_t n = std::min(key.size(), ns.size());
    if (const int c = key.substr(0, n).compare(ns.substr(0, n)); c != 0) return c < 0 ? -1 : 1;
    if (key.size() <= ns.size()) return -1;  // key is a proper prefix of "ns/name"
    const auto k = static_cast<unsigned char>(key[ns.size()]);
    if (k != static_cast<unsigned char>('/')) return k < static_cast<unsigned char>('/') ? -1 : 1;
    key.remove_prefix(ns.size() + 1);
  }
  const int c = key.compare(ref.name);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}
inline bool operator<(const std::string& key, const ObjectKeyRef& ref) {
  return compare_object_key(key, ref) < 0;
}
inline bool operator<(const ObjectKeyRef& ref, const std::string& key) {
  return compare_object_key(key, ref) > 0;
}

// The hash of object_key(namespace, name), computed alike from the key string or from an
// ObjectKeyRef (the bytes "namespace/name" streamed eight at a time, so no key is built).
struct ObjectKeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view key) const {
    Stream h;
    h.add(key);
    return h.finish();
  }
  std::size_t operator()(const ObjectKeyRef& ref) const {
    Stream h;
    if (!ref.namespace_.empty()) {
      h.add(ref.namespace_);
      h.add("/");
    }
    h.add(ref.name);
    return h.finish();
  }

 private:
  struct Stream {
    std::uint64_t state = 0x9e3779b97f4a7c15ULL;
    std::uint64_t word = 0;
    unsigned fill = 0;
    // Byte k of the stream lands in bits 8k..8k+7 of its word; whole words are loaded at
    // once (the same value on a little-endian machine), so only the ends go byte by byte.
    void add(std::string_view bytes) {
      static_assert(std::endian::native == std::endian::little);
      const char* p = bytes.data();
      const char* const end = p + bytes.size();
      while (fill != 0 && p != end) add_byte(*p++);
      for (; end - p >= 8; p += 8) {
        std::memcpy(&word, p, 8);
        mix();
      }
      while (p != end) add_byte(*p++);
    }
    void add_byte(char c) {
      word |= static_cast<std::uint64_t>(static_cast<unsigned char>(c)) << (8 * fill);
      if (++fill == 8) mix();
    }
    void mix() {
      state = (state ^ word) * 0xff51afd7ed558ccdULL;
      state ^= state >> 32;
      word = 0;
      fill = 0;
    }
    std::size_t finish() {
      word |= static_cast<std::uint64_t>(fill + 1) << 56;  // the tail's length
      mix();
      state ^= state >> 29;
      state *= 0xc4ceb9fe1a85ec53ULL;
      return static_cast<std::size_t>(state ^ (state >> 32));
    }
  };
};
struct ObjectKeyEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
  bool operator()(std::string_view key, const ObjectKeyRef& ref) const {
    return compare_object_key(key, ref) == 0;
  }
  bool operator()(const ObjectKeyRef& ref, std::string_view key) const {
    return compare_object_key(key, ref) == 0;
  }
};

// Objects by object_key(), iterated in key order (a std::map) and found by one hash probe
// (an index of the map's nodes beside it) instead of a descent of string comparisons —
// the object store and every informer cache look up by namespace/name on each event.
template <typename V>
class ObjectKeyMap {
 public:
  using Map = std::map<std::string, V, std::less<>>;
  using iterator = typename Map::iterator;
  using const_iterator = typename Map::const_iterator;

  const Map& map() const { return map_; }
  std::size_t size() const { return map_.size(); }
  bool empty() const { return map_.empty(); }
  iterator begin() { return map_.begin(); }
  iterator end() { return map_.end(); }
  const_iterator begin() const { return map_.begin(); }
  const_iterator end() const { return map_.end(); }

  template <typename K>
  iterator find(const K& key) {
    auto it = index_.find(key);
    return it == index_.end() ? map_.end() : it->second;
  }
  template <typename K>
  const_iterator find(const K& key) const {
    auto it = index_.find(key);
    return it == index_.end() ? map_.end() : const_iterator(it->second);
  }
  // Inserts `value` under object_key(ref) unless the key exists; the key string is built
  // only for a new entry.
  std::pair<iterator, bool> try_emplace(const ObjectKeyRef& ref, const V& value) {
    if (auto it = index_.find(ref); it != index_.end()) return {it->second, false};
    auto at = map_.emplace(object_key(ref.namespace_, ref.name), value).first;
    index_.emplace(std::string_view(at->first), at);
    return {at, true};
  }
  // The value under an already-built key ("namespace/name"), default-constructed first
  // when absent.
  V& operator[](std::string_view key) {
    if (auto it = index_.find(key); it != index_.end()) return it->second->second;
    auto at = map_.emplace(std::string(key), V{}).first;
    index_.emplace(std::string_view(at->first), at);
    return at->second;
  }
  bool contains(std::string_view key) const { return index_.find(key) != index_.end(); }
  void erase(iterator it) {
    index_.erase(std::string_view(it->first));
    map_.erase(it);
  }
  void clear() {
    index_.clear();
    map_.clear();
  }

 private:
  Map map_;
  std::unordered_map<std::string_view, iterator, ObjectKeyHash, ObjectKeyEqual> index_;
};

template <typename T>
struct WatchEvent {
  WatchEventType type;
  std::shared_ptr<const T> object;  // for kDeleted, the last state, at the delete's version
  std::int64_t resource_version;
};

template <typename T>
class ObjectStore {
 public:
  using Ptr = std::shared_ptr<const T>;
  using Filter = std::function<bool(const T&)>;
  using Callback = std::function<void(const WatchEvent<T>&)>;
  using IndexFunction = std::function<std::vector<std::string>(const T&)>;
  using WatchId = std::uint64_t;

  // `history_limit`: events kept for watches that resume from a resourceVersion (the watch
  // cache's capacity); older ones are dropped as by compaction.
  ObjectStore(ResourceVersionClock& clock, std::string kind, std::size_t history_limit = 10000)
      : clock_(clock), kind_(std::move(kind)), history_limit_(history_limit) {}
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;

  const std::string& kind() const { return kind_; }
  std::size_t size() const { return objects_.size(); }

  // Fails with AlreadyExists if an object with that namespace/name exists.
  sim::Result<Ptr> create(T object) {
    if (objects_.find(ref_of(object)) != objects_.end()) {
      return sim::Status::already_exists(kind_ + " \"" + object.metadata.name +
                                         "\" already exists");
    }
    object.metadata.resource_version = clock_.next();
    Ptr stored = std::make_shared<const T>(std::move(object));
    auto at = objects_.try_emplace(ref_of(*stored), stored).first;
    index_insert(at->first, *stored);
    publish(WatchEventType::kAdded, nullptr, stored);
    return stored;
  }

  // Replaces the stored object. With expected_version >= 0, fails with Conflict unless the
  // stored object is at exactly that version. Fails with NotFound when absent.
  sim::Result<Ptr> update(T object, std::int64_t expected_version = -1) {
    auto it = objects_.find(ref_of(object));
    if (it == objects_.end()) return not_found(object.metadata.name);
    if (expected_version >= 0 && it->second->metadata.resource_version != expected_version) {
      return conflict(object.metadata.name);
    }
    object.metadata.resource_version = clock_.next();
    Ptr stored = std::make_shared<const T>(std::move(object));
    replace(it, stored);
    return stored;
  }

  // Read-modify-write at the server (a PATCH: no conflict possible): `mutate` gets a copy
  // of the stored object; when it returns true the copy is stored exactly as update()
  // stores it (next resourceVersion, indexes, MODIFIED event). One key look-up (no key
  // string built) and one copy, made straight into the new shared object. NotFound when
  // absent; OK with nothing written when `mutate` returns false. `mutate` must not change
  // the namespace or name.
  template <typename F>
  sim::Status patch(std::string_view namespace_, std::string_view name, F&& mutate) {
    auto it = objects_.find(ObjectKeyRef{namespace_, name});
    if (it == objects_.end()) return not_found(std::string(name));
    auto copy = std::make_shared<T>(*it->second);
    if (!mutate(*copy)) return sim::Status();
    copy->metadata.resource_version = clock_.next();
    replace(it, Ptr(std::move(copy)));
    return sim::Status();
  }

  // Deletes the object; the DELETED event carries its last state at a new version.
  sim::Result<Ptr> remove(std::string_view namespace_, std::string_view name,
                          std::int64_t expected_version = -1) {
    auto it = objects_.find(ObjectKeyRef{namespace_, name});
    if (it == objects_.end()) return not_found(std::string(name));
    if (expected_version >= 0 && it->second->metadata.resource_version != expected_version) {
      return conflict(std::string(name));
    }
    auto last = std::make_shared<T>(*it->second);
    last->metadata.resource_version = clock_.next();
    Ptr final_state = std::move(last);
    Ptr old = it->second;
    index_erase(it->first, *old);
    objects_.erase(it);
    publish(WatchEventType::kDeleted, old, final_state);
    return final_state;
  }

  Ptr get(std::string_view namespace_, std::string_view name) const {
    auto it = objects_.find(ObjectKeyRef{namespace_, name});
    return it == objects_.end() ? nullptr : it->second;
  }

  // Every object passing `filter` (all when empty), in key order.
  std::vector<Ptr> list(const Filter& filter = {}) const {
    std::vector<Ptr> out;
    for (const auto& [key, object] : objects_) {
      if (!filter || filter(*object)) out.push_back(object);
    }
    return out;
  }

  // Watches changes after `from_version`; 0 means "list current objects as ADDED, then
  // follow". Fails with Gone when from_version is older than the retained history.
  sim::Result<WatchId> watch(std::int64_t from_version, Filter filter, Callback callback) {
    if (from_version < 0) return sim::Status::invalid_argument("negative resourceVersion");
    const WatchId id = ++last_watch_id_;
    if (from_version == 0) {
      for (const auto& [key, object] : objects_) {
        if (!filter || filter(*object)) {
          callback(WatchEvent<T>{WatchEventType::kAdded, object,
                                 object->metadata.resource_version});
        }
      }
    } else {
      if (from_version < oldest_resumable_) {
        return sim::Status::gone("too old resource version: " + std::to_string(from_version) +
                                 " (" + std::to_string(oldest_resumable_) + ")");
      }
      // Replay retained history after from_version, as the filtered watch would have seen it.
      for (const Record& r : history_) {
        if (r.version <= from_version) continue;
        deliver(r.type, r.old_object, r.new_object, r.version, filter, callback);
      }
    }
    watches_.emplace(id, Watch{std::move(filter), std::move(callback), true});
    return id;
  }

  bool cancel_watch(WatchId id) {
    auto it = watches_.find(id);
    if (it == watches_.end() || !it->second.active) return false;
    // Inside a delivery the callback may be the one running: only mark it, erase later.
    it->second.active = false;
    if (publishing_ == 0) watches_.erase(it);
    return true;
  }
  std::size_t watch_count() const {
    std::size_t n = 0;
    for (const auto& [id, w] : watches_) n += w.active ? 1 : 0;
    return n;
  }

  // Drops history up to and including `version`: later watches must start after it.
  void compact(std::int64_t version) {
    while (!history_.empty() && history_.front().version <= version) history_.pop_front();
    oldest_resumable_ = std::max(oldest_resumable_, version);
  }
  // The oldest resourceVersion a watch may resume from.
  std::int64_t oldest_resumable_version() const { return oldest_resumable_; }

  // Declares an index. Objects already stored are indexed at once.
  void add_index(const std::string& name, IndexFunction function) {
    Index& index = indexes_[name];
    index.function = std::move(function);
    index.entries.clear();
    for (const auto& [key, object] : objects_) {
      for (auto& value : index.function(*object)) index.entries[value].insert(key);
    }
  }
  // Keys of the objects whose index `name` yields `value`, sorted. Empty for an unknown
  // index or value.
  std::vector<std::string> keys_by_index(const std::string& name, const std::string& value) const {
    auto index = indexes_.find(name);
    if (index == indexes_.end()) return {};
    auto entry = index->second.entries.find(value);
    if (entry == index->second.entries.end()) return {};
    return {entry->second.begin(), entry->second.end()};
  }
  std::vector<Ptr> by_index(const std::string& name, const std::string& value) const {
    std::vector<Ptr> out;
    for (const auto& key : keys_by_index(name, value)) out.push_back(objects_.find(key)->second);
    return out;
  }

 private:
  struct Watch {
    Filter filter;
    Callback callback;
    bool active = true;
  };
  struct Record {
    WatchEventType type;
    Ptr old_object;  // null for kAdded
    Ptr new_object;
    std::int64_t version;
  };
  struct Index {
    IndexFunction function;
    std::map<std::string, std::set<std::string>, std::less<>> entries;
  };

  static std::string key_of(const T& object) {
    return object_key(object.metadata.namespace_, object.metadata.name);
  }
  static ObjectKeyRef ref_of(const T& object) {
    return ObjectKeyRef{object.metadata.namespace_, object.metadata.name};
  }
  // Stores `stored` (its resourceVersion already taken) in place of the object at `it`.
  void replace(typename ObjectKeyMap<Ptr>::iterator it, Ptr stored) {
    Ptr old = std::move(it->second);
    if (!indexes_.empty()) index_erase(it->first, *old);
    it->second = stored;
    if (!indexes_.empty()) index_insert(it->first, *stored);
    publish(WatchEventType::kModified, std::move(old), std::move(stored));
  }
  sim::Status not_found(const std::string& name) const {
    return sim::Status::not_found(kind_ + " \"" + name + "\" not found");
  }
  sim::Status conflict(const std::string& name) const {
    return sim::Status::conflict("Operation cannot be fulfilled on " + kind_ + " \"" + name +
                                 "\": the object has been modified; please apply your changes "
                                 "to the latest version and try again");
  }

  void index_insert(const std::string& key, const T& object) {
    for (auto& [name, index] : indexes_) {
      for (auto& value : index.function(object)) index.entries[value].insert(key);
    }
  }
  void index_erase(const std::string& key, const T& object) {
    for (auto& [name, index] : indexes_) {
      for (auto& value : index.function(object)) {
        auto entry = index.entries.find(value);
        if (entry == index.entries.end()) continue;
        entry->second.erase(key);
        if (entry->second.empty()) index.entries.erase(entry);
      }
    }
  }

  // How a filtered watcher sees a change (the watch cache's filtering rules).
  static void deliver(WatchEventType type, const Ptr& old_object, const Ptr& new_object,
                      std::int64_t version, const Filter& filter, const Callback& callback) {
    if (!filter) {
      callback(WatchEvent<T>{type, new_object, version});
      return;
    }
    const bool was = old_object != nullptr && filter(*old_object);
    const bool is = type != WatchEventType::kDeleted && filter(*new_object);
    if (type == WatchEventType::kDeleted) {
      if (was) callback(WatchEvent<T>{WatchEventType::kDeleted, new_object, version});
      return;
    }
    if (was && is) {
      callback(WatchEvent<T>{WatchEventType::kModified, new_object, version});
    } else if (is) {
      callback(WatchEvent<T>{WatchEventType::kAdded, new_object, version});
    } else if (was) {
      callback(WatchEvent<T>{WatchEventType::kDeleted, new_object, version});
    }
  }

  void publish(WatchEventType type, Ptr old_object, Ptr new_object) {
    const std::int64_t version = new_object->metadata.resource_version;
    history_.push_back(Record{type, old_object, new_object, version});
    while (history_.size() > history_limit_) {
      oldest_resumable_ = history_.front().version;
      history_.pop_front();
    }
    // A callback may cancel watches (its own included) or add new ones; std::map
    // iterators stay valid across both, and cancelled watches are erased afterwards.
    ++publishing_;
    for (auto& [id, w] : watches_) {
      if (w.active) deliver(type, old_object, new_object, version, w.filter, w.callback);
    }
    if (--publishing_ == 0) std::erase_if(watches_, [](const auto& e) { return !e.second.active; });
  }

  ResourceVersionClock& clock_;
  std::string kind_;
  std::size_t history_limit_;
  ObjectKeyMap<Ptr> objects_;
  std::deque<Record> history_;
  std::int64_t oldest_resumable_ = 0;
  std::map<WatchId, Watch> watches_;
  WatchId last_watch_id_ = 0;
  int publishing_ = 0;
  std::map<std::string, Index, std::less<>> indexes_;
};

}  // namespace kubesim::models
