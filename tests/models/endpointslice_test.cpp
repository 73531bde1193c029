// EndpointSlice rules and controller (models/endpointslice.hpp,
// models/endpointslice_controller.hpp) against upstream v1.34:
//   - podToEndpoint / ShouldPodBeInEndpoints (pkg/controller/endpointslice/utils.go,
//     pkg/api/v1/endpoints util): the ready/serving/terminating table of utils_test.go
//     TestPodToEndpoint ("Ready pod", "Unready pod", "Ready and Terminating pod",
//     "Unready and Terminating pod"), terminal pods and pods without an IP left out;
//   - getEndpointPorts / podutil.FindPort: numbers, defaults and named container ports;
//   - reconciler.go: slices of at most maxEndpointsPerSlice filled in order, updates before
//     creates, the best-fitting unchanged slice for a remainder, the placeholder slice and
//     finalize's rewrite of a slice to delete instead of a create;
//   - the controller at run time: one write per changed slice, nothing when nothing changed.
#include "models/endpointslice.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "models/api_server.hpp"
#include "models/controller_manager.hpp"
#include "models/endpointslice_controller.hpp"
#include "sim/metrics.hpp"
#include "sim/simulation.hpp"

namespace kubesim::models {
namespace {

Pod make_pod(const std::string& name, int uid, bool ready) {
  Pod p;
  p.metadata.namespace_ = "default";
  p.metadata.name = name;
  p.metadata.uid = "uid-" + std::to_string(uid);
  p.metadata.labels.set("app", "web");
  p.spec.node_name = "n1";
  p.status.phase = PodPhase::kRunning;
  Condition c;
  c.type = std::string(kPodReady);
  c.status = ready ? ConditionStatus::kTrue : ConditionStatus::kFalse;
  p.status.conditions.push_back(c);
  return p;
}

Node make_node(const std::string& name, const std::string& zone) {
  Node n;
  n.metadata.name = name;
  n.metadata.labels.set(std::string(kLabelZone), zone);
  Condition c;
  c.type = std::string(kNodeReady);
  c.status = ConditionStatus::kTrue;
  n.status.conditions.push_back(c);
  return n;
}

Service make_service() {
  Service s;
  s.metadata.namespace_ = "default";
  s.metadata.name = "web";
  s.metadata.uid = "uid-svc";
  s.spec.selector.set("app", "web");
  ServicePort port;
  port.name = "http";
  port.port = 80;
  port.target_port = "8080";
  s.spec.ports.push_back(port);
  return s;
}

std::string pod_name(int i) {
  std::string n = std::to_string(i);
  return "web-" + std::string(3 - n.size(), '0') + n;
}

DesiredEndpoints desired(int from, int to, bool ready = true) {
  DesiredEndpoints d;
  d.ports.push_back(EndpointPort{"http", "TCP", 8080});
  for (int i = from; i < to; ++i) {
    d.endpoints.push_back(pod_to_endpoint(make_pod(pod_name(i), 1000 + i, ready), nullptr));
  }
  return d;
}

TEST_CASE("podToEndpoint: ready, serving and terminating as upstream's table", "[endpointslice]") {
  const Node node = make_node("n1", "zone-a");
  SECTION("Ready pod: ready, serving, not terminating") {
    const Endpoint e = pod_to_endpoint(make_pod("a", 1, true), &node);
    CHECK(e.conditions.ready == true);
    CHECK(e.conditions.serving == true);
    CHECK(e.conditions.terminating == false);
    CHECK(e.node_name == "n1");
    CHECK(e.zone == "zone-a");
    CHECK(e.target_pod == "default/a");
  }
  SECTION("Unready pod: not ready, not serving") {
    const Endpoint e = pod_to_endpoint(make_pod("a", 1, false), &node);
    CHECK(e.conditions.ready == false);
    CHECK(e.conditions.serving == false);
    CHECK(e.conditions.terminating == false);
  }
  SECTION("Ready and terminating pod: not ready, serving, terminating") {
    Pod p = make_pod("a", 1, true);
    p.metadata.deletion_timestamp = 5 * sim::kSecond;
    CHECK(should_pod_be_in_endpoints(p));  // the controller keeps terminating endpoints
    const Endpoint e = pod_to_endpoint(p, &node);
    CHECK(e.conditions.ready == false);
    CHECK(e.conditions.serving == true);
    CHECK(e.conditions.terminating == true);
  }
  SECTION("Unready and terminating pod") {
    Pod p = make_pod("a", 1, false);
    p.metadata.deletion_timestamp = 5 * sim::kSecond;
    const Endpoint e = pod_to_endpoint(p, &node);
    CHECK(e.conditions.ready == false);
    CHECK(e.conditions.serving == false);
    CHECK(e.conditions.terminating == true);
  }
  SECTION("terminal pods and pods without an IP are not endpoints") {
    Pod done = make_pod("a", 1, false);
    done.status.phase = PodPhase::kSucceeded;
    CHECK_FALSE(should_pod_be_in_endpoints(done));
    Pod failed = make_pod("a", 1, false);
    failed.status.phase = PodPhase::kFailed;
    CHECK_FALSE(should_pod_be_in_endpoints(failed));
    Pod pending = make_pod("a", 1, false);
    pending.status.phase = PodPhase::kPending;
    pending.spec.node_name.clear();
    CHECK_FALSE(should_pod_be_in_endpoints(pending));
  }
}

TEST_CASE("pod addresses: status.podIP, else derived from the uid", "[endpointslice]") {
  Pod p = make_pod("a", 70000, true);
  // 70000 = 0x01_11_70 → 10.1.17.112
  CHECK(pod_address(p) == "10.1.17.112");
  p.status.pod_ip = "192.168.3.4";
  CHECK(pod_address(p) == "192.168.3.4");
  Pod q = make_pod("b", 5, true);
  q.metadata.uid = "not-a-counter";
  const std::string hashed = pod_address(q);
  CHECK(hashed.rfind("10.", 0) == 0);
  CHECK(pod_address(q) == hashed);  // deterministic
}

TEST_CASE("endpoint ports resolve targetPort as podutil.FindPort", "[endpointslice]") {
  Service s = make_service();
  s.spec.ports.clear();
  s.spec.ports.push_back(ServicePort{"num", "TCP", 80, "8080", 0});
  s.spec.ports.push_back(ServicePort{"same", "TCP", 81, "", 0});
  s.spec.ports.push_back(ServicePort{"named", "TCP", 82, "metrics", 0});
  s.spec.ports.push_back(ServicePort{"missing", "TCP", 83, "nope", 0});
  Pod p = make_pod("a", 1, true);
  Container c;
  c.name = "c";
  ContainerPort cp;
  cp.container_port = 9376;
  cp.name = "metrics";
  c.ports.push_back(cp);
  p.spec.containers.push_back(c);
  const std::vector<EndpointPort> ports = endpoint_ports(s, p);
  REQUIRE(ports.size() == 3);  // "missing" is left out
  CHECK(ports[0].name == "num");
  CHECK(ports[0].port == 8080);
  CHECK(ports[1].name == "same");
  CHECK(ports[1].port == 81);
  CHECK(ports[2].name == "named");
  CHECK(ports[2].port == 9376);
}

TEST_CASE("reconcile: 250 endpoints make slices of 100, 100 and 50", "[endpointslice]") {
  const Service svc = make_service();
  const SlicePlan plan = reconcile_slices(svc, {}, {desired(0, 250)});
  REQUIRE(plan.create.size() == 3);
  CHECK(plan.update.empty());
  CHECK(plan.remove.empty());
  // Filled in pod order: web-000..099, web-100..199, web-200..249.
  CHECK(plan.create[0].endpoints.size() == 100);
  CHECK(plan.create[1].endpoints.size() == 100);
  CHECK(plan.create[2].endpoints.size() == 50);
  CHECK(plan.create[0].endpoints.front().target_pod == "default/web-000");
  CHECK(plan.create[1].endpoints.front().target_pod == "default/web-100");
  CHECK(plan.create[2].endpoints.back().target_pod == "default/web-249");
  const EndpointSlice& s = plan.create[0];
  CHECK(s.metadata.generate_name == "web-");
  CHECK(s.metadata.labels.get(kLabelServiceName) == "web");
  CHECK(s.metadata.labels.get(kLabelManagedBy) == kEndpointSliceControllerName);
  REQUIRE(s.metadata.controller_ref() != nullptr);
  CHECK(s.metadata.controller_ref()->kind == "Service");
  CHECK(s.metadata.controller_ref()->uid == "uid-svc");
  CHECK(s.address_type == "IPv4");
  REQUIRE(s.ports.size() == 1);
  CHECK(s.ports[0].port == 8080);
  CHECK(s.ports[0].name == "http");
}

// The slices of a plan, named a, b, c... as the controller would name the creates.
std::vector<EndpointSlice> named(std::vector<EndpointSlice> slices) {
  char n = 'a';
  for (auto& s : slices) s.metadata.name = std::string("web-") + n++;
  return slices;
}

TEST_CASE("reconcile: unchanged endpoints mean no write", "[endpointslice]") {
  const Service svc = make_service();
  const auto existing = named(reconcile_slices(svc, {}, {desired(0, 250)}).create);
  CHECK(reconcile_slices(svc, existing, {desired(0, 250)}).empty());
}

TEST_CASE("reconcile: a replaced endpoint is rewritten in place, not in a new slice",
          "[endpointslice]") {
  const Service svc = make_service();
  const auto existing = named(reconcile_slices(svc, {}, {desired(0, 250)}).create);
  // web-005 goes, web-250 comes: web-a loses one (update) and, being updated, is filled
  // first (step 2) — one write, no create.
  DesiredEndpoints d = desired(0, 251);
  d.endpoints.erase(d.endpoints.begin() + 5);
  const SlicePlan plan = reconcile_slices(svc, existing, {d});
  CHECK(plan.create.empty());
  CHECK(plan.remove.empty());
  REQUIRE(plan.update.size() == 1);
  CHECK(plan.update[0].metadata.name == "web-a");
  CHECK(plan.update[0].endpoints.size() == 100);
  CHECK(plan.update[0].endpoints.back().target_pod == "default/web-250");
}

TEST_CASE("reconcile: a ready change updates only its slice", "[endpointslice]") {
  const Service svc = make_service();
  const auto existing = named(reconcile_slices(svc, {}, {desired(0, 250)}).create);
  DesiredEndpoints d = desired(0, 250);
  d.endpoints[150] = pod_to_endpoint(make_pod(pod_name(150), 1150, false), nullptr);
  const SlicePlan plan = reconcile_slices(svc, existing, {d});
  REQUIRE(plan.update.size() == 1);
  CHECK(plan.update[0].metadata.name == "web-b");
  CHECK(plan.update[0].endpoints[50].conditions.ready == false);
  CHECK(plan.create.empty());
  CHECK(plan.remove.empty());
}

TEST_CASE("reconcile: a remainder goes into the unchanged slice it fits best", "[endpointslice]") {
  const Service svc = make_service();
  // Slices of 100, 100 and 50; 10 new endpoints: the 50-slice takes them (100 − 60 = 40 left,
  // the full ones cannot), so one update and no create (getSliceToFill).
  const auto existing = named(reconcile_slices(svc, {}, {desired(0, 250)}).create);
  const SlicePlan plan = reconcile_slices(svc, existing, {desired(0, 260)});
  CHECK(plan.create.empty());
  REQUIRE(plan.update.size() == 1);
  CHECK(plan.update[0].metadata.name == "web-c");
  CHECK(plan.update[0].endpoints.size() == 60);
  // 60 new endpoints: fewer than a slice, but no unchanged slice has room for 60 (the
  // 50-slice would hold 110) → a new slice of 60.
  const SlicePlan more = reconcile_slices(svc, existing, {desired(0, 310)});
  CHECK(more.update.empty());
  REQUIRE(more.create.size() == 1);
  CHECK(more.create[0].endpoints.size() == 60);
}

TEST_CASE("reconcile: placeholder slice and finalize's rewrite", "[endpointslice]") {
  const Service svc = make_service();
  SECTION("a Service with no endpoint gets one empty placeholder") {
    const SlicePlan plan = reconcile_slices(svc, {}, {});
    REQUIRE(plan.create.size() == 1);
    CHECK(plan.create[0].endpoints.empty());
    CHECK(plan.create[0].ports.empty());
    // ... which is kept as it is afterwards.
    CHECK(reconcile_slices(svc, named(plan.create), {}).empty());
  }
  SECTION("the first endpoints rewrite the placeholder (update, not delete + create)") {
    const auto placeholder = named(reconcile_slices(svc, {}, {}).create);
    const SlicePlan plan = reconcile_slices(svc, placeholder, {desired(0, 3)});
    CHECK(plan.create.empty());
    CHECK(plan.remove.empty());
    REQUIRE(plan.update.size() == 1);
    CHECK(plan.update[0].metadata.name == "web-a");
    CHECK(plan.update[0].endpoints.size() == 3);
    CHECK(plan.update[0].ports.size() == 1);
  }
  SECTION("losing every endpoint: one slice becomes the placeholder, the rest are deleted") {
    const auto existing = named(reconcile_slices(svc, {}, {desired(0, 150)}).create);
    const SlicePlan plan = reconcile_slices(svc, existing, {});
    CHECK(plan.create.empty());
    REQUIRE(plan.update.size() == 1);
    CHECK(plan.update[0].metadata.name == "web-a");
    CHECK(plan.update[0].endpoints.empty());
    CHECK(plan.remove == std::vector<std::string>{"web-b"});
  }
}

// The controller at run time, in a bare control plane: the API server and the controller
// manager, with objects seeded into the stores and changed there (as a kubelet's writes
// would commit). The Service is created once the pods are in the controller's informer
// cache (start()), so its first sync sees them all; created earlier, the first sync would
// see none and write the placeholder slice first, as upstream's informers can race too.
struct ControlPlane {
  sim::Simulation sim{3};
  sim::MetricRegistry metrics{sim};
  std::unique_ptr<ApiServer> api;
  std::unique_ptr<ControllerManager> cm;
  ControlPlane() {
    api = std::make_unique<ApiServer>(sim, metrics, ApiServerConfig{});
    (void)api->nodes().create(make_node("n1", "zone-a"));
    cm = std::make_unique<ControllerManager>(sim, metrics, *api, ControllerManagerConfig{});
  }
  void start() {
    sim.run_until(sim.now() + sim::kSecond);
    (void)api->services().create(make_service());
  }
  std::vector<std::shared_ptr<const EndpointSlice>> slices() {
    auto list = api->endpoint_slices().list();
    std::sort(list.begin(), list.end(),
              [](const auto& a, const auto& b) { return a->metadata.name < b->metadata.name; });
    return list;
  }
  std::uint64_t writes() const { return cm->endpoint_slices().writes(); }
};

TEST_CASE("EndpointSlice controller: 250 ready pods, three slices, one write per change",
          "[endpointslice][controller]") {
  ControlPlane cp;
  for (int i = 0; i < 250; ++i) {
    (void)cp.api->pods().create(make_pod(pod_name(i), 1000 + i, true));
  }
  cp.start();
  cp.sim.run_until(5 * sim::kSecond);
  auto slices = cp.slices();
  REQUIRE(slices.size() == 3);
  std::multiset<std::size_t> sizes;
  for (const auto& s : slices) sizes.insert(s->endpoints.size());
  CHECK(sizes == std::multiset<std::size_t>{50, 100, 100});
  for (const auto& s : slices) {
    CHECK(s->metadata.name.rfind("web-", 0) == 0);
    CHECK(s->metadata.name.size() == 9);  // web- + 5 characters
  }
  CHECK(cp.writes() == 3);  // three creates (no placeholder once pods are known)
  CHECK(cp.metrics.counter("controllers.endpointslices_created").value() == 3);
  // Nothing changes: no write, however long.
  cp.sim.run_until(60 * sim::kSecond);
  CHECK(cp.writes() == 3);
  // A pod update that does not touch its endpoint (an annotation): no write.
  {
    auto p = cp.api->pods().get("default", pod_name(7));
    Pod q = *p;
    q.metadata.annotations.set("note", "x");
    (void)cp.api->pods().update(q, -1);
  }
  cp.sim.run_until(70 * sim::kSecond);
  CHECK(cp.writes() == 3);
  // One pod turns not ready: one update of its slice.
  {
    Pod q = *cp.api->pods().get("default", pod_name(120));
    q.status.conditions[0].status = ConditionStatus::kFalse;
    (void)cp.api->pods().update(q, -1);
  }
  cp.sim.run_until(80 * sim::kSecond);
  CHECK(cp.writes() == 4);
  CHECK(cp.metrics.counter("controllers.endpointslices_updated").value() == 1);
  int not_ready = 0;
  for (const auto& s : cp.slices()) {
    for (const auto& e : s->endpoints) {
      if (e.conditions.ready == false) {
        ++not_ready;
        CHECK(e.target_pod == "default/" + pod_name(120));
        CHECK(e.conditions.serving == false);
      }
    }
  }
  CHECK(not_ready == 1);
  // Terminating (deletionTimestamp set): kept, ready false, serving true, terminating true.
  {
    Pod q = *cp.api->pods().get("default", pod_name(3));
    q.metadata.deletion_timestamp = cp.sim.now() + 30 * sim::kSecond;
    (void)cp.api->pods().update(q, -1);
  }
  cp.sim.run_until(90 * sim::kSecond);
  CHECK(cp.writes() == 5);
  bool found = false;
  for (const auto& s : cp.slices()) {
    for (const auto& e : s->endpoints) {
      if (e.target_pod != "default/" + pod_name(3)) continue;
      found = true;
      CHECK(e.conditions.ready == false);
      CHECK(e.conditions.serving == true);
      CHECK(e.conditions.terminating == true);
    }
  }
  CHECK(found);
  // The pod is gone: its endpoint leaves its slice (one update).
  (void)cp.api->pods().remove("default", pod_name(3));
  cp.sim.run_until(100 * sim::kSecond);
  CHECK(cp.writes() == 6);
  std::size_t total = 0;
  for (const auto& s : cp.slices()) total += s->endpoints.size();
  CHECK(total == 249);
  // Slices count towards etcd's size: 3 creates and 3 updates of 100-endpoint-scale puts.
  CHECK(cp.api->etcd().db_size_bytes() > 3 * (kEndpointSliceBaseBytes + 50 * kEndpointBytes));
}

TEST_CASE("EndpointSlice controller: a Service without a selector is left to the user",
          "[endpointslice][controller]") {
  ControlPlane cp;
  Service external = make_service();
  external.metadata.name = "external";
  external.spec.selector = Labels{};
  (void)cp.api->services().create(external);
  (void)cp.api->pods().create(make_pod(pod_name(0), 1000, true));
  cp.start();
  cp.sim.run_until(5 * sim::kSecond);
  for (const auto& s : cp.slices()) CHECK(s->metadata.labels.get(kLabelServiceName) == "web");
  CHECK(cp.writes() == 1);
}

}  // namespace
}  // namespace kubesim::models
