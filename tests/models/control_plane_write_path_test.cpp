// The control plane's cheaper write path (docs/performance.md, "Control-plane write path
// and periodic loops"): each fast path is checked against the general path it replaces,
// so a difference in any modelled effect fails.
//
//   - ObjectKeyRef / compare_object_key: orders exactly as the object_key() string would
//     (std::string's byte-wise compare), so maps keyed by object_key() can be searched by
//     namespace and name without building the key.
//   - ObjectStore::patch: the read-modify-write of a PATCH (upstream
//     staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go Update with a
//     patch applied to the current object: no conflict possible) — one new resourceVersion,
//     MODIFIED with the previous object left as it was, nothing written when the mutation
//     changes nothing.
//   - ApiServer::renew_lease against patch<Lease> (the kubelet's lease controller,
//     staging/src/k8s.io/component-helpers/... and pkg/kubelet/nodelease: PATCH renewTime):
//     two identical API servers, one per path, must give the same Lease, resourceVersions,
//     watch delivery times, latency histograms and inflight accounting.
//   - An informer without handlers applies its deliveries when read: at every instant it
//     holds what an eagerly drained informer of the same watch holds.
//   - update_node_health against try_update_node_health (upstream tryUpdateNodeHealth,
//     pkg/controller/nodelifecycle/node_lifecycle_controller.go v1.34) through a node's
//     life: same decisions and the same NodeHealth record.
#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/api_server.hpp"
#include "models/informer.hpp"
#include "models/node_lifecycle_logic.hpp"
#include "models/object_store.hpp"
#include "sim/metrics.hpp"
#include "sim/simulation.hpp"

namespace kubesim::models {
namespace {

int sign(int x) { return x < 0 ? -1 : x > 0 ? 1 : 0; }

TEST_CASE("ObjectKeyRef orders as the object_key string", "[object_store][write_path]") {
  // Namespaces and names around the '/' separator (0x2f): '-' and '.' sort before it,
  // '0' and letters after; prefixes of one another; cluster-scoped (empty namespace).
  const std::vector<std::string> parts = {"",  "a",   "a-b", "a.b", "a0",  "ab", "a/b",
                                          "b", "kube-node-lease", "kube-node-lease-x",
                                          "kube", "node-1", "node-10", "node-2"};
  std::vector<std::string> keys;
  for (const auto& ns : parts) {
    for (const auto& name : parts) keys.push_back(object_key(ns, name));
  }
  int checked = 0;
  for (const auto& key : keys) {
    for (const auto& ns : parts) {
      for (const auto& name : parts) {
        const std::string full = object_key(ns, name);
        const ObjectKeyRef ref{ns, name};
        INFO("key '" << key << "' vs ns '" << ns << "' name '" << name << "'");
        REQUIRE(compare_object_key(key, ref) == sign(key.compare(full)));
        REQUIRE((key < ref) == (key < full));
        REQUIRE((ref < key) == (full < key));
        ++checked;
      }
    }
  }
  CHECK(checked == 196 * 196);

  // A map keyed by object_key() finds by reference, and lower_bound agrees.
  std::map<std::string, int, std::less<>> m;
  for (std::size_t i = 0; i < keys.size(); ++i) m.emplace(keys[i], static_cast<int>(i));
  auto it = m.find(ObjectKeyRef{"kube-node-lease", "node-10"});
  REQUIRE(it != m.end());
  CHECK(it->first == "kube-node-lease/node-10");
  CHECK(m.find(ObjectKeyRef{"kube-node-lease", "node-3"}) == m.end());
  CHECK(m.lower_bound(ObjectKeyRef{"a", "b"}) == m.lower_bound(std::string("a/b")));
}

struct Meta {
  std::string namespace_;
  std::string name;
  std::int64_t resource_version = 0;
};
struct Item {
  Meta metadata;
  int value = 0;
};

TEST_CASE("ObjectStore::patch: one version, MODIFIED, old snapshot untouched",
          "[object_store][write_path]") {
  ResourceVersionClock clock;
  ObjectStore<Item> store(clock, "items");
  REQUIRE(store.create(Item{Meta{"ns", "a", 0}, 1}).ok());
  REQUIRE(store.create(Item{Meta{"ns", "b", 0}, 2}).ok());
  std::vector<std::pair<WatchEventType, std::int64_t>> seen;
  REQUIRE(store.watch(clock.current(), {}, [&](const WatchEvent<Item>& e) {
                 seen.emplace_back(e.type, e.resource_version);
               }).ok());
  auto before = store.get("ns", "a");
  REQUIRE(before != nullptr);
  CHECK(before->metadata.resource_version == 1);

  REQUIRE(store.patch("ns", "a", [](Item& i) {
                 i.value = 10;
                 return true;
               }).ok());
  auto after = store.get("ns", "a");
  CHECK(after->value == 10);
  CHECK(after->metadata.resource_version == 3);  // the cluster-wide clock: 1, 2, then 3
  CHECK(before->value == 1);                     // readers keep their snapshot
  CHECK(before->metadata.resource_version == 1);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].first == WatchEventType::kModified);
  CHECK(seen[0].second == 3);

  // Nothing to change: no version, no event.
  REQUIRE(store.patch("ns", "b", [](Item&) { return false; }).ok());
  CHECK(clock.current() == 3);
  CHECK(seen.size() == 1);
  CHECK(store.get("ns", "b")->metadata.resource_version == 2);

  // Absent: NotFound with the store's message, nothing written.
  const sim::Status missing = store.patch("ns", "zz", [](Item&) { return true; });
  CHECK(missing.code() == sim::Status::Code::kNotFound);
  CHECK(missing.message() == "items \"zz\" not found");
  CHECK(clock.current() == 3);
}

// One API server with `nodes` leases, renewed every 10 s for a minute by either path.
struct LeaseRun {
  sim::Simulation sim{7};
  sim::MetricRegistry metrics{sim};
  std::unique_ptr<ApiServer> api;
  std::unique_ptr<Informer<Lease>> informer;
  std::vector<std::pair<sim::Time, std::int64_t>> deliveries;  // (time, resourceVersion)
  std::vector<sim::Status> answers;
  std::vector<ApiClient*> clients;

  LeaseRun(bool fast, int nodes) {
    api = std::make_unique<ApiServer>(sim, metrics, ApiServerConfig{});
    for (int i = 0; i < nodes; ++i) {
      Lease lease;
      lease.metadata.namespace_ = std::string(kNodeLeaseNamespace);
      lease.metadata.name = "node-" + std::to_string(i);
      lease.spec.holder_identity = lease.metadata.name;
      lease.spec.renew_time = 0;
      REQUIRE(api->leases().create(std::move(lease)).ok());
    }
    Informer<Lease>::Handlers h;
    h.on_update = [this](const std::shared_ptr<const Lease>&,
                         const std::shared_ptr<const Lease>& now) {
      deliveries.emplace_back(sim.now(), now->metadata.resource_version);
    };
    informer = std::make_unique<Informer<Lease>>(*api, std::move(h));
    if (fast) {
      // Heartbeats reach renewal watchers at commit; this one delivers them as the
      // informer would: after a watch-delay draw, in order.
      api->watch_lease_renewals([this](std::string_view node, sim::Time) {
        sim::Time at = sim.now() + api->draw_watch_delay();
        if (!deliveries.empty() && at < deliveries.back().first) at = deliveries.back().first;
        deliveries.emplace_back(at, api->node_lease(node)->metadata.resource_version);
      });
    }
    for (int i = 0; i < nodes; ++i) {
      clients.push_back(&api->make_client("kubelet-" + std::to_string(i), kClientGoDefaultRateLimit));
    }
    for (int round = 1; round <= 6; ++round) {
      for (int i = 0; i < nodes; ++i) {
        sim.schedule_at(sim::seconds(10 * round) + i * sim::kMillisecond, [this, fast, i] {
          const std::string name = "node-" + std::to_string(i);
          const sim::Time now = sim.now();
          auto done = [this](const sim::Status& s) { answers.push_back(s); };
          if (fast) {
            api->renew_lease(*clients[static_cast<std::size_t>(i)], name, now, done);
          } else {
            api->patch<Lease>(*clients[static_cast<std::size_t>(i)],
                              std::string(kNodeLeaseNamespace), name,
                              [now](Lease& l) {
                                l.spec.renew_time = now;
                                return true;
                              },
                              done);
          }
        });
      }
    }
    sim.run_until(sim::seconds(120));
  }
};

TEST_CASE("renew_lease is the same request as patch<Lease>", "[apiserver][write_path]") {
  // Everything but the Lease object: the fast path keeps the renewal beside it, and its
  // watchers are told at commit rather than through the Lease watch.

  constexpr int kNodes = 50;
  LeaseRun general(false, kNodes);
  LeaseRun fast(true, kNodes);
  // Every renewal answered OK, by both.
  REQUIRE(general.answers.size() == 6u * kNodes);
  REQUIRE(fast.answers.size() == general.answers.size());
  for (const auto& s : fast.answers) CHECK(s.ok());
  CHECK(fast.api->writes_pending() == 0);
  // The stored leases: the last renewal (60 s + i ms) and the same resourceVersions.
  for (int i = 0; i < kNodes; ++i) {
    const std::string name = "node-" + std::to_string(i);
    auto g = general.api->leases().get(kNodeLeaseNamespace, name);
    auto f = fast.api->node_lease(name);
    REQUIRE(f != nullptr);
    CHECK(f->spec.renew_time == sim::seconds(60) + i * sim::kMillisecond);
    CHECK(f->spec.renew_time == g->spec.renew_time);
    CHECK(f->metadata.resource_version == g->metadata.resource_version);
    CHECK(f->spec.holder_identity == name);
  }
  CHECK(fast.api->clock().current() == kNodes + 6 * kNodes);
  CHECK(fast.api->clock().current() == general.api->clock().current());
  // Watch deliveries at the same times, in resourceVersion order (the same draws).
  REQUIRE(fast.deliveries.size() == 6u * kNodes);
  CHECK(fast.deliveries == general.deliveries);
  // The stored objects did not change: the renewals are beside them.
  CHECK(fast.api->leases().get(kNodeLeaseNamespace, "node-0")->spec.renew_time == 0);
  CHECK(fast.informer->lag() == 0);
  // Same request-path accounting: latency histograms, etcd.
  for (const char* h : {"apiserver.request_latency_s.patch"}) {
    const sim::Histogram* a = general.metrics.find_histogram(h);
    const sim::Histogram* b = fast.metrics.find_histogram(h);
    REQUIRE(a != nullptr);
    REQUIRE(b != nullptr);
    CHECK(b->count() == 6u * kNodes);
    CHECK(a->count() == b->count());
    CHECK(a->sum() == b->sum());
  }
  // The general path's informer delivered its MODIFIED events from drain events the fast
  // path does not need: at most one per renewal.
  CHECK(fast.sim.events_processed() < general.sim.events_processed());
  CHECK(fast.sim.events_processed() + 6u * kNodes >= general.sim.events_processed());
}

TEST_CASE("a Lease patch sees the heartbeats kept beside the object", "[apiserver][write_path]") {
  sim::Simulation sim(5);
  sim::MetricRegistry metrics{sim};
  ApiServer api(sim, metrics, ApiServerConfig{});
  Lease lease;
  lease.metadata.namespace_ = std::string(kNodeLeaseNamespace);
  lease.metadata.name = "n1";
  lease.spec.holder_identity = "n1";
  lease.spec.renew_time = 0;
  REQUIRE(api.leases().create(std::move(lease)).ok());
  ApiClient& client = api.make_client("kubelet", kClientGoDefaultRateLimit);
  api.renew_lease(client, "n1", sim::seconds(3));
  sim.run_until(sim::seconds(1));
  // GET sees the renewal at its own resourceVersion; the stored object is unchanged.
  REQUIRE(api.node_lease("n1") != nullptr);
  CHECK(api.node_lease("n1")->spec.renew_time == sim::seconds(3));
  CHECK(api.node_lease("n1")->metadata.resource_version == 2);
  CHECK(api.leases().get(kNodeLeaseNamespace, "n1")->metadata.resource_version == 1);
  // A patch of another field keeps renewTime (it reads the renewed Lease) and takes the
  // next version; the renewal is then part of the object.
  api.patch<Lease>(client, std::string(kNodeLeaseNamespace), "n1", [](Lease& l) {
    l.spec.holder_identity = "other";
    return true;
  });
  sim.run_until(sim::seconds(2));
  auto stored = api.leases().get(kNodeLeaseNamespace, "n1");
  CHECK(stored->spec.holder_identity == "other");
  CHECK(stored->spec.renew_time == sim::seconds(3));
  CHECK(stored->metadata.resource_version == 3);
  CHECK(api.node_lease("n1") == stored);
  // A Lease deleted and created again does not inherit the old renewal.
  REQUIRE(api.leases().remove(kNodeLeaseNamespace, "n1").ok());
  Lease again;
  again.metadata.namespace_ = std::string(kNodeLeaseNamespace);
  again.metadata.name = "n1";
  again.spec.renew_time = sim::seconds(1);
  REQUIRE(api.leases().create(std::move(again)).ok());
  CHECK(api.node_lease("n1")->spec.renew_time == sim::seconds(1));
}

TEST_CASE("an informer without handlers reads as an eager one", "[informer][write_path]") {
  // Two API servers given the same writes; one watched by an informer with a handler (a
  // drain event per delivery), the other by one with none (deliveries applied on read).
  // Probed at 1 ms steps through a second of creates, updates and deletes with 5–50 ms
  // watch delays, both caches must hold the same keys at the same resourceVersions.
  struct Side {
    sim::Simulation sim{11};
    sim::MetricRegistry metrics{sim};
    ApiServer api{sim, metrics, ApiServerConfig{}};
    std::unique_ptr<Informer<Lease>> informer;
    int handled = 0;
  };
  Side eager;
  Side lazy;
  Informer<Lease>::Handlers counting;
  counting.on_add = [&](const auto&) { ++eager.handled; };
  eager.informer = std::make_unique<Informer<Lease>>(eager.api, counting);
  lazy.informer = std::make_unique<Informer<Lease>>(lazy.api, Informer<Lease>::Handlers{});
  for (Side* side : {&eager, &lazy}) {
    ApiClient& client = side->api.make_client("writer", ClientRateLimit{1e6, 1000000});
    for (int i = 0; i < 200; ++i) {
      side->sim.schedule_at(i * 5 * sim::kMillisecond, [side, &client, i] {
        const std::string name = "l" + std::to_string(i % 17);
        if (i % 5 == 4) {
          side->api.remove<Lease>(client, "ns", name);
        } else if (side->api.leases().get("ns", name) == nullptr) {
          Lease l;
          l.metadata.namespace_ = "ns";
          l.metadata.name = name;
          side->api.create(client, std::move(l));
        } else {
          side->api.patch<Lease>(client, "ns", name, [i](Lease& l) {
            l.spec.renew_time = i;
            return true;
          });
        }
      });
    }
  }
  std::size_t probes_with_lag = 0;
  for (sim::Time t = sim::kMillisecond; t <= sim::seconds(2); t += sim::kMillisecond) {
    eager.sim.run_until(t);
    lazy.sim.run_until(t);
    if (lazy.informer->lag() > 0) ++probes_with_lag;
    const auto& a = eager.informer->cache();
    const auto& b = lazy.informer->cache();
    REQUIRE(a.size() == b.size());
    for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
      REQUIRE(ia->first == ib->first);
      REQUIRE(ia->second->metadata.resource_version == ib->second->metadata.resource_version);
    }
  }
  CHECK(eager.handled > 0);
  CHECK(probes_with_lag > 0);  // deliveries were pending between probes
  CHECK(lazy.informer->lag() == 0);
  // The lazy side scheduled no drain events.
  CHECK(lazy.sim.events_processed() < eager.sim.events_processed());
}

TEST_CASE("renew_lease of a missing Lease answers NotFound", "[apiserver][write_path]") {
  sim::Simulation sim(3);
  sim::MetricRegistry metrics{sim};
  ApiServer api(sim, metrics, ApiServerConfig{});
  ApiClient& client = api.make_client("kubelet", kClientGoDefaultRateLimit);
  std::optional<sim::Status> answer;
  api.renew_lease(client, "ghost", sim::seconds(1), [&](const sim::Status& s) { answer = s; });
  sim.run_until(sim::seconds(5));
  REQUIRE(answer.has_value());
  CHECK(answer->code() == sim::Status::Code::kNotFound);
  CHECK(answer->message() == "leases \"ghost\" not found");
  CHECK(api.clock().current() == 0);
  CHECK(api.writes_pending() == 0);
}

void expect_same(const NodeHealthPass& p, const NodeHealthResult& r) {
  CHECK(p.grace_period == r.grace_period);
  CHECK(p.observed_status == r.observed_ready.status);
  CHECK(p.status_changed == r.status_changed);
  CHECK(p.current_status.has_value() == r.current_ready.has_value());
  if (p.current_status && r.current_ready) CHECK(*p.current_status == r.current_ready->status);
  if (p.status_changed) {
    REQUIRE(p.conditions.size() == r.conditions.size());
    for (std::size_t i = 0; i < p.conditions.size(); ++i) {
      CHECK(p.conditions[i].type == r.conditions[i].type);
      CHECK(p.conditions[i].status == r.conditions[i].status);
      CHECK(p.conditions[i].reason == r.conditions[i].reason);
      CHECK(p.conditions[i].last_transition_time == r.conditions[i].last_transition_time);
    }
  }
}

void expect_same(const NodeHealth& a, const NodeHealth& b) {
  CHECK(a.initialized == b.initialized);
  CHECK(a.probe_timestamp == b.probe_timestamp);
  CHECK(a.ready_transition_timestamp == b.ready_transition_timestamp);
  CHECK(a.saved_lease_renew == b.saved_lease_renew);
  REQUIRE(a.saved_ready.has_value() == b.saved_ready.has_value());
  if (a.saved_ready) {
    CHECK(a.saved_ready->status == b.saved_ready->status);
    CHECK(a.saved_ready->last_heartbeat_time == b.saved_ready->last_heartbeat_time);
    CHECK(a.saved_ready->last_transition_time == b.saved_ready->last_transition_time);
    CHECK(a.saved_ready->reason == b.saved_ready->reason);
  }
}

TEST_CASE("update_node_health decides as try_update_node_health", "[nodelifecycle][write_path]") {
  // A node created at 10 s with no Ready condition (startup grace 60 s: marked Unknown,
  // NodeStatusNeverUpdated, at the first pass after 70 s); its kubelet then posts Ready at
  // 100 s and renews its lease every 10 s until 200 s; after 200 + 50 s the pass marks
  // Ready Unknown (NodeStatusUnknown) — upstream tryUpdateNodeHealth's two grace periods.
  Node node;
  node.metadata.name = "n1";
  node.metadata.creation_timestamp = sim::seconds(10);
  Lease lease;
  NodeHealth slow;
  NodeHealth fast;
  int changes = 0;
  std::vector<sim::Time> change_times;
  for (sim::Time t = sim::seconds(15); t <= sim::seconds(400); t += sim::seconds(5)) {
    if (t == sim::seconds(100)) {
      Condition c;
      c.type = std::string(kNodeReady);
      c.status = ConditionStatus::kTrue;
      c.last_heartbeat_time = t;
      c.last_transition_time = t;
      c.reason = "KubeletReady";
      c.message = "kubelet is posting ready status";
      node.status.conditions = {c};
    }
    if (t >= sim::seconds(100) && t <= sim::seconds(200) && t % sim::seconds(10) == 0) {
      lease.spec.renew_time = t;
    }
    const NodeHealthResult r = try_update_node_health(slow, node, &lease, t);
    const NodeHealthPass p = update_node_health(fast, node, lease.spec.renew_time, t);
    INFO("t = " << sim::to_seconds(t) << " s");
    expect_same(p, r);
    expect_same(fast, slow);
    if (r.status_changed) {
      ++changes;
      change_times.push_back(t);
      node.status.conditions = r.conditions;  // the controller's status update lands
    }
  }
  // Unknown (never updated) at 75 s, the first pass after 10 + 60 s; then Unknown
  // (stopped posting) at 255 s, the first pass after the last renewal (200 s) + 50 s.
  REQUIRE(changes == 2);
  CHECK(change_times[0] == sim::seconds(75));
  CHECK(change_times[1] == sim::seconds(255));
}

}  // namespace
}  // namespace kubesim::models
