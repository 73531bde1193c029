// ObjectStore: resourceVersions, optimistic concurrency, watches, compaction and indexes,
// checked against the API server's documented behaviour ("Efficient detection of changes"
// and "Resource versions" in the Kubernetes API concepts; apiserver cacher filtering).
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "models/object_store.hpp"

namespace kubesim::models {
namespace {

struct TestMeta {
  std::string namespace_;
  std::string name;
  std::int64_t resource_version = 0;
};
struct TestPod {
  TestMeta metadata;
  std::string node;
  std::string app;
};

TestPod pod(std::string ns, std::string name, std::string node = "", std::string app = "web") {
  return TestPod{TestMeta{std::move(ns), std::move(name), 0}, std::move(node), std::move(app)};
}

struct Seen {
  WatchEventType type;
  std::string name;
  std::int64_t version;
  bool operator==(const Seen&) const = default;
};

TEST_CASE("every write takes the next cluster-wide resourceVersion", "[object_store]") {
  ResourceVersionClock clock;
  ObjectStore<TestPod> pods(clock, "pods");
  ObjectStore<TestPod> nodes(clock, "nodes");
  CHECK(pods.create(pod("default", "a")).value()->metadata.resource_version == 1);
  CHECK(nodes.create(pod("", "n1")).value()->metadata.resource_version == 2);
  CHECK(pods.update(pod("default", "a", "n1")).value()->metadata.resource_version == 3);
  CHECK(pods.remove("default", "a").value()->metadata.resource_version == 4);
  CHECK(clock.current() == 4);
  CHECK(pods.size() == 0);
  CHECK(nodes.get("", "n1")->metadata.resource_version == 2);
}

TEST_CASE("create, update and remove report AlreadyExists, NotFound and Conflict",
          "[object_store]") {
  ResourceVersionClock clock;
  ObjectStore<TestPod> pods(clock, "pods");
  REQUIRE(pods.create(pod("default", "a")).ok());
  auto again = pods.create(pod("default", "a"));
  REQUIRE_FALSE(again.ok());
  CHECK(again.status().code() == sim::Status::Code::kAlreadyExists);
  CHECK(again.error() == "pods \"a\" already exists");
  // Same name in another namespace is another object.
  CHECK(pods.create(pod("other", "a")).ok());

  auto missing = pods.update(pod("default", "b"));
  CHECK(missing.status().code() == sim::Status::Code::kNotFound);
  CHECK(missing.error() == "pods \"b\" not found");

  // Optimistic concurrency: an update based on version 1 after the object moved to 3.
  REQUIRE(pods.update(pod("default", "a", "n1"), 1).ok());  // at 1: succeeds, now 3
  auto stale = pods.update(pod("default", "a", "n2"), 1);
  CHECK(stale.status().code() == sim::Status::Code::kConflict);
  CHECK_THAT(stale.error(), Catch::Contains("the object has been modified"));
  CHECK(pods.get("default", "a")->node == "n1");
  CHECK(pods.remove("default", "a", 1).status().code() == sim::Status::Code::kConflict);
  CHECK(pods.remove("default", "a", 3).ok());
}

TEST_CASE("stored snapshots never change after they are read", "[object_store]") {
  ResourceVersionClock clock;
  ObjectStore<TestPod> pods(clock, "pods");
  pods.create(pod("default", "a"));
  const auto before = pods.get("default", "a");
  pods.update(pod("default", "a", "n1"));
  CHECK(before->node.empty());
  CHECK(before->metadata.resource_version == 1);
  CHECK(pods.get("default", "a")->node == "n1");
}

TEST_CASE("list returns objects in namespace/name order", "[object_store]") {
  ResourceVersionClock clock;
  ObjectStore<TestPod> pods(clock, "pods");
  pods.create(pod("b", "x"));
  pods.create(pod("a", "z"));
  pods.create(pod("a", "y"));
  std::vector<std::string> keys;
  for (const auto& p : pods.list()) keys.push_back(object_key(p->metadata.namespace_, p->metadata.name));
  CHECK(keys == std::vector<std::string>{"a/y", "a/z", "b/x"});
  CHECK(pods.list([](const TestPod& p) { return p.metadata.namespace_ == "a"; }).size() == 2);
}

TEST_CASE("a watch from 0 lists current objects as ADDED, then follows changes",
          "[object_store]") {
  ResourceVersionClock clock;
  ObjectStore<TestPod> pods(clock, "pods");
  pods.create(pod("default", "b"));  // rv 1
  pods.create(pod("default", "a"));  // rv 2
  std::vector<Seen> seen;
  auto id = pods.watch(0, {}, [&](const WatchEvent<TestPod>& e) {
    seen.push_back({e.type, e.object->metadata.name, e.resource_version});
  });
  REQUIRE(id.ok());
  pods.update(pod("default", "a", "n1"));  // rv 3
  pods.remove("default", "b");             // rv 4
  const std::vector<Seen> expected = {{WatchEventType::kAdded, "a", 2},
                                      {WatchEventType::kAdded, "b", 1},
                                      {WatchEventType::kModified, "a", 3},
                                      {WatchEventType::kDeleted, "b", 4}};
  CHECK(seen == expected);
  CHECK(pods.cancel_watch(*id));
  pods.create(pod("default", "c"));
  CHECK(seen.size() == 4);
}

TEST_CASE("a watch resumes after a resourceVersion and replays what it missed",
          "[object_store]") {
  ResourceVersionClock clock;
  ObjectStore<TestPod> pods(clock, "pods");
  pods.create(pod("default", "a"));        // 1
  pods.update(pod("default", "a", "n1"));  // 2
  pods.create(pod("default", "b"));        // 3
  std::vector<Seen> seen;
  REQUIRE(pods.watch(1, {}, [&](const WatchEvent<TestPod>& e) {
                seen.push_back({e.type, e.object->metadata.name, e.resource_version});
              }).ok());
  pods.remove("default", "a");  // 4
  const std::vector<Seen> expected = {{WatchEventType::kModified, "a", 2},
                                      {WatchEventType::kAdded, "b", 3},
                                      {WatchEventType::kDeleted, "a", 4}};
  CHECK(seen == expected);
}

TEST_CASE("watching from a compacted resourceVersion fails with Gone", "[object_store]") {
  ResourceVersionClock clock;
  ObjectStore<TestPod> pods(clock, "pods", /*history_limit=*/3);
  for (int i = 0; i < 5; ++i) pods.create(pod("default", "p" + std::to_string(i)));  // 1..5
  // History keeps rv 3, 4, 5: resuming after 2 works, after 1 does not.
  CHECK(pods.oldest_resumable_version() == 2);
  CHECK(pods.watch(2, {}, [](const WatchEvent<TestPod>&) {}).ok());
  auto gone = pods.watch(1, {}, [](const WatchEvent<TestPod>&) {});
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.status().code() == sim::Status::Code::kGone);
  CHECK(gone.error() == "too old resource version: 1 (2)");
  pods.compact(4);
  CHECK(pods.watch(3, {}, [](const WatchEvent<TestPod>&) {}).status().code() ==
        sim::Status::Code::kGone);
  int replayed = 0;
  CHECK(pods.watch(4, {}, [&](const WatchEvent<TestPod>&) { ++replayed; }).ok());
  CHECK(replayed == 1);  // only rv 5
}

TEST_CASE("a filtered watch sees objects entering and leaving the filter", "[object_store]") {
  // As the watch cache filters: a change that makes an object match is ADDED, one that
  // makes it stop matching is DELETED, changes that never match are not delivered.
  ResourceVersionClock clock;
  ObjectStore<TestPod> pods(clock, "pods");
  std::vector<Seen> seen;
  REQUIRE(pods.watch(0, [](const TestPod& p) { return p.node == "n1"; },
                     [&](const WatchEvent<TestPod>& e) {
                       seen.push_back({e.type, e.object->metadata.name, e.resource_version});
                     })
              .ok());
  pods.create(pod("default", "a"));              // 1: not on n1
  pods.update(pod("default", "a", "n1"));        // 2: now on n1 -> ADDED
  pods.update(pod("default", "a", "n1", "db"));  // 3: still on n1 -> MODIFIED
  pods.update(pod("default", "a", "n2"));        // 4: left n1 -> DELETED
  pods.update(pod("default", "a", "n3"));        // 5: nothing
  pods.create(pod("default", "b", "n1"));        // 6: ADDED
  pods.remove("default", "b");                   // 7: DELETED
  pods.remove("default", "a");                   // 8: nothing
  const std::vector<Seen> expected = {{WatchEventType::kAdded, "a", 2},
                                      {WatchEventType::kModified, "a", 3},
                                      {WatchEventType::kDeleted, "a", 4},
                                      {WatchEventType::kAdded, "b", 6},
                                      {WatchEventType::kDeleted, "b", 7}};
  CHECK(seen == expected);
}

TEST_CASE("a watch callback may cancel watches, including its own", "[object_store]") {
  ResourceVersionClock clock;
  ObjectStore<TestPod> pods(clock, "pods");
  int first = 0;
  int second = 0;
  ObjectStore<TestPod>::WatchId second_id = 0;
  ObjectStore<TestPod>::WatchId first_id = 0;
  first_id = *pods.watch(0, {}, [&](const WatchEvent<TestPod>&) {
    ++first;
    pods.cancel_watch(first_id);
    pods.cancel_watch(second_id);
  });
  second_id = *pods.watch(0, {}, [&](const WatchEvent<TestPod>&) { ++second; });
  pods.create(pod("default", "a"));
  pods.create(pod("default", "b"));
  CHECK(first == 1);
  CHECK(second == 0);  // cancelled before the first event reached it
  CHECK(pods.watch_count() == 0);
}

TEST_CASE("indexes follow every write", "[object_store]") {
  ResourceVersionClock clock;
  ObjectStore<TestPod> pods(clock, "pods");
  pods.create(pod("default", "early", "n1"));
  pods.add_index("node", [](const TestPod& p) {
    return p.node.empty() ? std::vector<std::string>{} : std::vector<std::string>{p.node};
  });
  pods.create(pod("default", "b", "n1"));
  pods.create(pod("default", "c", "n2"));
  pods.create(pod("default", "unbound"));
  CHECK(pods.keys_by_index("node", "n1") == std::vector<std::string>{"default/b", "default/early"});
  pods.update(pod("default", "b", "n2"));
  CHECK(pods.keys_by_index("node", "n1") == std::vector<std::string>{"default/early"});
  CHECK(pods.keys_by_index("node", "n2") == std::vector<std::string>{"default/b", "default/c"});
  pods.remove("default", "c");
  CHECK(pods.by_index("node", "n2").size() == 1);
  CHECK(pods.keys_by_index("node", "n9").empty());
  CHECK(pods.keys_by_index("no-such-index", "n1").empty());
}

}  // namespace
}  // namespace kubesim::models

// ObjectKeyMap's hash must agree between a key string and the namespace/name it is built
// from, for every split (the stream crosses the 8-byte word boundary at any offset).
TEST_CASE("ObjectKeyHash: a key and its ObjectKeyRef hash alike", "[store]") {
  kubesim::models::ObjectKeyHash hash;
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-.";
  std::set<std::size_t> distinct;
  int cases = 0;
  for (std::size_t ns_len = 0; ns_len <= 17; ++ns_len) {
    for (std::size_t name_len = 1; name_len <= 19; ++name_len) {
      std::string ns, name;
      for (std::size_t i = 0; i < ns_len; ++i) ns += alphabet[(i * 7 + ns_len) % alphabet.size()];
      for (std::size_t i = 0; i < name_len; ++i) name += alphabet[(i * 5 + name_len) % alphabet.size()];
      const std::string key = kubesim::models::object_key(ns, name);
      const kubesim::models::ObjectKeyRef ref{ns, name};
      REQUIRE(hash(std::string_view(key)) == hash(ref));
      distinct.insert(hash(ref));
      ++cases;
    }
  }
  // Different keys almost never share a hash (a weak mix would collide on the tail).
  CHECK(distinct.size() == static_cast<std::size_t>(cases));
  // "a/b" in namespace "" and name "b" in namespace "a" are the same key.
  CHECK(hash(kubesim::models::ObjectKeyRef{"", "a/b"}) == hash(kubesim::models::ObjectKeyRef{"a", "b"}));
  CHECK(hash(kubesim::models::ObjectKeyRef{"", "ab"}) != hash(kubesim::models::ObjectKeyRef{"a", "b"}));
}

TEST_CASE("ObjectKeyMap finds by key or by reference and iterates in key order", "[store]") {
  kubesim::models::ObjectKeyMap<int> m;
  using kubesim::models::ObjectKeyRef;
  CHECK(m.try_emplace(ObjectKeyRef{"b", "x"}, 1).second);
  CHECK(m.try_emplace(ObjectKeyRef{"a", "y"}, 2).second);
  CHECK(m.try_emplace(ObjectKeyRef{"", "node-1"}, 3).second);
  auto again = m.try_emplace(ObjectKeyRef{"b", "x"}, 9);
  CHECK_FALSE(again.second);
  CHECK(again.first->second == 1);
  CHECK(m.size() == 3);
  REQUIRE(m.find(ObjectKeyRef{"a", "y"}) != m.end());
  CHECK(m.find(ObjectKeyRef{"a", "y"})->second == 2);
  CHECK(m.find(std::string_view("b/x"))->second == 1);
  CHECK(m.find(ObjectKeyRef{"", "node-1"})->second == 3);
  CHECK(m.find(ObjectKeyRef{"a", "x"}) == m.end());
  CHECK(m.find(ObjectKeyRef{"", "b/x"})->second == 1);  // the same key string
  std::vector<std::string> keys;
  for (const auto& [k, v] : m) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"a/y", "b/x", "node-1"});
  m.erase(m.find(ObjectKeyRef{"b", "x"}));
  CHECK(m.find(ObjectKeyRef{"b", "x"}) == m.end());
  CHECK(m.size() == 2);
  CHECK(m.try_emplace(ObjectKeyRef{"b", "x"}, 4).second);
  CHECK(m.find(std::string_view("b/x"))->second == 4);
}
