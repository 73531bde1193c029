// Tests for models/scheduler_framework: NodeInfo accounting, the Snapshot's nodeTree order,
// CycleState cloning, and the Framework's cycle (PreFilter results and Skip, sampling with
// the rotating start index, FitError text, PostFilter, Reserve/Permit) with small test
// plugins. Expected values: upstream's schedule_one_test.go and node_tree_test.go cases,
// types.go's FitError.Error() format, and hand calculation (noted per case).
#include "models/scheduler_framework.hpp"

#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/support/scheduler_fixtures.hpp"

namespace {

using namespace kubesim::models::sched;
using kubesim::models::Node;
using kubesim::models::TaintEffect;
using kubesim::sim::Rng;
using kubesim::testing::kGi;
using kubesim::testing::NodeBuilder;
using kubesim::testing::PodBuilder;

// A plugin whose behaviour is given by lambdas.
class FakePlugin : public Plugin {
 public:
  explicit FakePlugin(std::string name) : name_(std::move(name)) {}
  std::string_view name() const override { return name_; }

  std::function<PluginStatus(const NodeInfo&)> on_filter;
  std::function<PluginStatus(PreFilterResult&)> on_pre_filter;
  std::function<std::int64_t(const NodeInfo&)> on_score;
  std::function<PluginStatus()> on_post_filter;

  PluginStatus pre_filter(CycleState&, const PodInfo&, const Snapshot&,
                          PreFilterResult& r) override {
    return on_pre_filter ? on_pre_filter(r) : PluginStatus::success();
  }
  PluginStatus filter(const CycleState&, const PodInfo&, const NodeInfo& node) override {
    ++filter_calls;
    return on_filter ? on_filter(node) : PluginStatus::success();
  }
  std::int64_t score(const CycleState&, const PodInfo&, const NodeInfo& node) override {
    scored.push_back(node.name());
    return on_score ? on_score(node) : 0;
  }
  PluginStatus post_filter(CycleState&, const PodInfo&, const Snapshot&, Framework&,
                           const std::vector<std::pair<const NodeInfo*, PluginStatus>>& f,
                           PostFilterResult& r) override {
    failures_seen = f.size();
    if (on_post_filter) {
      PluginStatus s = on_post_filter();
      if (s.ok()) r.nominated_node = "n0";
      return s;
    }
    return PluginStatus::unschedulable("no PostFilter");
  }
  PluginStatus reserve(CycleState&, const PodInfo&, const NodeInfo&) override {
    log->push_back("reserve " + name_);
    return reserve_ok ? PluginStatus::success() : PluginStatus::unschedulable("no room");
  }
  void unreserve(CycleState&, const PodInfo&, const NodeInfo&) override {
    log->push_back("unreserve " + name_);
  }
  PluginStatus permit(CycleState&, const PodInfo&, const NodeInfo&,
                      kubesim::sim::Duration& timeout) override {
    timeout = permit_timeout;
    return permit_status;
  }

  int filter_calls = 0;
  std::vector<std::string> scored;
  std::size_t failures_seen = 0;
  bool reserve_ok = true;
  std::vector<std::string>* log = nullptr;
  kubesim::sim::Duration permit_timeout = 0;
  PluginStatus permit_status;

 private:
  std::string name_;
};

// Plugin indexes per point: preFilter, filter, postFilter, preScore, score (with weights),
// reserve, permit.
struct Points {
  std::vector<int> pre_filter, filter, post_filter, pre_score;
  std::vector<std::pair<int, std::int64_t>> score;
  std::vector<int> reserve, permit;
};

struct Setup {
  std::vector<FakePlugin*> p;
  std::unique_ptr<Framework> fw;
};

Setup make_framework(int n_plugins, const Points& pts, std::int32_t percentage = 0) {
  Setup s;
  std::vector<std::unique_ptr<Plugin>> owned;
  for (int i = 0; i < n_plugins; ++i) {
    auto f = std::make_unique<FakePlugin>("P" + std::to_string(i));
    s.p.push_back(f.get());
    owned.push_back(std::move(f));
  }
  auto refs = [&](const std::vector<int>& idx) {
    std::vector<PluginRef> out;
    for (int i : idx) out.push_back(PluginRef{s.p[static_cast<std::size_t>(i)], 1});
    return out;
  };
  std::vector<PluginRef> score;
  for (auto [i, w] : pts.score) score.push_back(PluginRef{s.p[static_cast<std::size_t>(i)], w});
  Framework::Options o;
  o.percentage_of_nodes_to_score = percentage;
  s.fw = std::make_unique<Framework>("default-scheduler", std::move(owned), refs(pts.pre_filter),
                                     refs(pts.filter), refs(pts.post_filter), refs(pts.pre_score),
                                     std::move(score), refs(pts.reserve), refs(pts.permit), o);
  return s;
}

Snapshot cluster(int n) {
  Snapshot snap;
  for (int i = 0; i < n; ++i) {
    snap.upsert_node(NodeBuilder("n" + std::to_string(i)).cpu(4000).memory(8 * kGi).build());
  }
  return snap;
}

int node_number(const NodeInfo& n) { return std::stoi(n.name().substr(1)); }

}  // namespace

TEST_CASE("NodeInfo adds and removes pods' requests, ports and GPU devices", "[framework]") {
  NodeInfo info;
  info.set_node(NodeBuilder("n").cpu(4000).memory(8 * kGi).gpus(8).build());
  auto a = PodBuilder("a")
               .container(500, std::nullopt)
               .request("nvidia.com/gpu", 2)
               .host_port(8080)
               .gpu_ids({2, 3})
               .info();
  auto b = PodBuilder("b").container(std::nullopt, std::nullopt).info();
  auto b_gpu = PodBuilder("g").request("nvidia.com/gpu", 3).info();
  // Non-zero requests: a missing request counts 100m / 200 MiB (upstream
  // NonMissingContainerRequests); the real requests do not.
  CHECK(a->non_zero_milli_cpu == 500);
  CHECK(a->non_zero_memory == 200 * kubesim::testing::kMi);
  CHECK(b->requests.cpu_milli == 0);
  info.add_pod(a);
  info.add_pod(b);
  info.add_pod(b_gpu);
  CHECK(info.requested().cpu_milli == 500);
  CHECK(info.non_zero_milli_cpu() == 500 + 100 + 100);
  CHECK(info.used_ports().size() == 1);
  CHECK(info.used_ports()[0].ip == "0.0.0.0");
  // Pod "a" holds devices 2 and 3; "g" names none and gets the lowest free: 0, 1, 4.
  CHECK(info.gpus_in_use() == 0b11111u);
  CHECK(info.remove_pod("default/a"));
  CHECK_FALSE(info.remove_pod("default/a"));
  CHECK(info.gpus_in_use() == 0b10011u);
  CHECK(info.requested().cpu_milli == 0);
  CHECK(info.used_ports().empty());
  CHECK(info.pods().size() == 2);
}

TEST_CASE("PodInfo counts init containers and sidecars in non-zero requests", "[framework]") {
  // Hand calculation with upstream's PodRequests rules: max(app + sidecars, init peak).
  auto p = PodBuilder("p").container(200, std::nullopt).init_container(1000, 1 * kGi).info();
  CHECK(p->non_zero_milli_cpu == 1000);
  CHECK(p->non_zero_memory == 1 * kGi);
  CHECK(p->requests.cpu_milli == 1000);
}

TEST_CASE("HostPortInfo conflicts as upstream's CheckConflict", "[framework]") {
  HostPortInfo any{"0.0.0.0", "TCP", 8080};
  HostPortInfo local{"127.0.0.1", "TCP", 8080};
  HostPortInfo other{"10.0.0.1", "TCP", 8080};
  HostPortInfo udp{"0.0.0.0", "UDP", 8080};
  CHECK(any.conflicts_with(local));
  CHECK(local.conflicts_with(any));
  CHECK_FALSE(local.conflicts_with(other));
  CHECK_FALSE(any.conflicts_with(udp));
  CHECK_FALSE(any.conflicts_with(HostPortInfo{"0.0.0.0", "TCP", 8081}));
}

TEST_CASE("Snapshot lists nodes in nodeTree zone round-robin order", "[framework]") {
  // upstream: internal/cache/node_tree_test.go: zones in first-seen order, one node per zone
  // per round.
  Snapshot snap;
  snap.upsert_node(NodeBuilder("n1").zone("a").build());
  snap.upsert_node(NodeBuilder("n2").zone("a").build());
  snap.upsert_node(NodeBuilder("n3").zone("b").build());
  snap.upsert_node(NodeBuilder("n4").zone("c").build());
  snap.upsert_node(NodeBuilder("n5").zone("a").build());
  snap.upsert_node(NodeBuilder("n6").zone("b").build());
  auto names = [&] {
    std::vector<std::string> out;
    for (const NodeInfo* n : snap.nodes()) out.push_back(n->name());
    return out;
  };
  CHECK(names() == std::vector<std::string>{"n1", "n3", "n4", "n2", "n6", "n5"});
  CHECK(snap.find("n6")->index() == 4);
  SECTION("removing a node keeps the others' order") {
    CHECK(snap.remove_node("n3"));
    CHECK(names() == std::vector<std::string>{"n1", "n6", "n4", "n2", "n5"});
    CHECK(snap.find("n3") == nullptr);
  }
  SECTION("changing a node's zone moves it to the end of the new zone") {
    snap.upsert_node(NodeBuilder("n1").zone("c").build());
    CHECK(names() == std::vector<std::string>{"n2", "n3", "n4", "n5", "n6", "n1"});
  }
  SECTION("an update keeping the zone keeps the pods") {
    snap.find("n2")->add_pod(PodBuilder("p").container(100, 100).info());
    snap.upsert_node(NodeBuilder("n2").zone("a").cpu(1).build());
    CHECK(snap.find("n2")->pods().size() == 1);
    CHECK(snap.find("n2")->allocatable().cpu_milli == 1);
  }
}

TEST_CASE("Snapshot counts the nodes that have each image", "[framework]") {
  Snapshot snap;
  snap.upsert_node(NodeBuilder("a").image({"nginx:1", "nginx@sha"}, 100).build());
  snap.upsert_node(NodeBuilder("b").image({"nginx:1"}, 100).build());
  CHECK(snap.nodes_with_image("nginx:1") == 2);
  CHECK(snap.nodes_with_image("nginx@sha") == 1);
  CHECK(snap.find("a")->image_size("nginx:1") == 100);
  CHECK_FALSE(snap.find("a")->image_size("redis").has_value());
  snap.remove_node("a");
  CHECK(snap.nodes_with_image("nginx:1") == 1);
  CHECK(snap.nodes_with_image("nginx@sha") == 0);
}

TEST_CASE("CycleState::clone copies every slot deeply", "[framework]") {
  struct Counter : StateData {
    int n = 0;
    std::unique_ptr<StateData> clone() const override { return std::make_unique<Counter>(*this); }
  };
  CycleState state(2);
  auto c = std::make_unique<Counter>();
  c->n = 7;
  state.set(1, std::move(c));
  state.gpu_device_ids = {1, 2};
  CycleState copy = state.clone();
  static_cast<Counter*>(copy.get(1))->n = 9;
  CHECK(static_cast<Counter*>(state.get(1))->n == 7);
  CHECK(copy.get(0) == nullptr);
  CHECK(copy.gpu_device_ids == std::vector<std::int32_t>{1, 2});
}

TEST_CASE("Filter sampling stops at numFeasibleNodesToFind and rotates the start index",
          "[framework]") {
  // 250 nodes: adaptive percentage 50 - 250/125 = 48 %, 120 nodes (upstream
  // numFeasibleNodesToFind); each cycle starts where the previous one stopped.
  Snapshot snap = cluster(250);
  auto s = make_framework(2, Points{{}, {0}, {}, {}, {{1, 1}}, {}, {}});
  Rng rng(1);
  const PodInfo pod = *PodBuilder("p").container(100, 100).info();
  std::vector<int> starts;
  for (int cycle = 0; cycle < 3; ++cycle) {
    s.p[1]->scored.clear();
    CycleState state = s.fw->new_cycle_state();
    ScheduleResult r = s.fw->schedule(state, pod, snap, rng);
    REQUIRE(r.node != nullptr);
    CHECK(r.feasible_nodes == 120);
    CHECK(r.evaluated_nodes == 120);
    starts.push_back(std::stoi(s.p[1]->scored.front().substr(1)));
    CHECK(s.p[1]->scored.size() == 120);
  }
  CHECK(starts == std::vector<int>{0, 120, 240});
  CHECK(s.fw->next_start_node_index() == 110);  // (240 + 120) mod 250
  CHECK(s.p[0]->filter_calls == 360);
}

TEST_CASE("Rejected nodes count towards the next start index", "[framework]") {
  // 200 nodes, percentage 50 from the profile: 100 feasible to find. Every even node is
  // rejected, so the first cycle examines nodes 0..199 and finds 100 (hand calculation):
  // processed = 200, next start = 0. With every third node rejected it stops after
  // node 149 (100 feasible + 50 rejected): next start 150.
  Snapshot snap = cluster(200);
  SECTION("even nodes rejected") {
    auto s = make_framework(1, Points{{}, {0}, {}, {}, {}, {}, {}}, 50);
    s.p[0]->on_filter = [](const NodeInfo& n) {
      return node_number(n) % 2 == 0 ? PluginStatus::unschedulable("even")
                                     : PluginStatus::success();
    };
    Rng rng(1);
    CycleState state = s.fw->new_cycle_state();
    ScheduleResult r = s.fw->schedule(state, *PodBuilder("p").info(), snap, rng);
    CHECK(r.feasible_nodes == 100);
    CHECK(r.evaluated_nodes == 200);
    CHECK(s.fw->next_start_node_index() == 0);
  }
  SECTION("every third node rejected") {
    auto s = make_framework(1, Points{{}, {0}, {}, {}, {}, {}, {}}, 50);
    s.p[0]->on_filter = [](const NodeInfo& n) {
      return node_number(n) % 3 == 0 ? PluginStatus::unschedulable("third")
                                     : PluginStatus::success();
    };
    Rng rng(1);
    CycleState state = s.fw->new_cycle_state();
    ScheduleResult r = s.fw->schedule(state, *PodBuilder("p").info(), snap, rng);
    CHECK(r.feasible_nodes == 100);
    CHECK(r.evaluated_nodes == 150);
    CHECK(s.fw->next_start_node_index() == 150);
  }
}

TEST_CASE("percentageOfNodesToScore bounds the feasible nodes scored", "[framework]") {
  // upstream TestNumFeasibleNodesToFind: 1000 nodes at 20 % -> 200; at 5 % -> the 100 floor.
  Snapshot snap = cluster(1000);
  for (auto [pct, want] : std::vector<std::pair<int, int>>{{20, 200}, {5, 100}, {0, 420}}) {
    auto s = make_framework(2, Points{{}, {0}, {}, {}, {{1, 1}}, {}, {}}, pct);
    Rng rng(1);
    CycleState state = s.fw->new_cycle_state();
    ScheduleResult r = s.fw->schedule(state, *PodBuilder("p").info(), snap, rng);
    CHECK(r.feasible_nodes == want);
    CHECK(static_cast<int>(s.p[1]->scored.size()) == want);
  }
}

TEST_CASE("Scores are weighted and summed; the highest total wins", "[framework]") {
  Snapshot snap = cluster(3);
  auto s = make_framework(2, Points{{}, {}, {}, {}, {{0, 3}, {1, 1}}, {}, {}});
  s.p[0]->on_score = [](const NodeInfo& n) { return node_number(n) == 1 ? 10 : 0; };  // ×3 = 30
  s.p[1]->on_score = [](const NodeInfo& n) { return node_number(n) == 2 ? 25 : 0; };
  Rng rng(1);
  CycleDiagnosis diag;
  CycleState state = s.fw->new_cycle_state();
  ScheduleResult r = s.fw->schedule(state, *PodBuilder("p").info(), snap, rng, &diag);
  REQUIRE(r.node != nullptr);
  CHECK(r.node->name() == "n1");
  REQUIRE(diag.scores.size() == 3);
  CHECK(diag.scores[1].total == 30);
  CHECK(diag.scores[2].total == 25);
  CHECK(diag.score_weights == std::vector<std::int64_t>{3, 1});
}

TEST_CASE("A single feasible node is chosen without scoring", "[framework]") {
  // upstream schedulePod: "When only one node after predicate, just use it".
  Snapshot snap = cluster(3);
  auto s = make_framework(2, Points{{}, {0}, {}, {}, {{1, 1}}, {}, {}});
  s.p[0]->on_filter = [](const NodeInfo& n) {
    return n.name() == "n2" ? PluginStatus::success() : PluginStatus::unschedulable("no");
  };
  Rng rng(1);
  CycleState state = s.fw->new_cycle_state();
  ScheduleResult r = s.fw->schedule(state, *PodBuilder("p").info(), snap, rng);
  REQUIRE(r.node != nullptr);
  CHECK(r.node->name() == "n2");
  CHECK(r.evaluated_nodes == 3);
  CHECK(s.p[1]->scored.empty());
}

TEST_CASE("FitError message counts reasons and sorts them as strings", "[framework]") {
  // upstream: types.go FitError.Error(): "0/N nodes are available: " + the sorted
  // "count reason" strings joined by ", " + "." — sorted as strings, so "10 b" < "2 a".
  SECTION("reasons of one status count separately") {
    Snapshot snap = cluster(5);
    auto s = make_framework(1, Points{{}, {0}, {}, {}, {}, {}, {}});
    s.p[0]->on_filter = [](const NodeInfo& n) {
      const int i = node_number(n);
      if (i < 3) return PluginStatus::unschedulable("Insufficient cpu");
      if (i == 3) {
        PluginStatus st = PluginStatus::unschedulable("Insufficient cpu");
        st.more_reasons.push_back("Insufficient memory");
        return st;
      }
      return PluginStatus::unschedulable("node(s) had untolerated taint {gpu: true}", true);
    };
    Rng rng(1);
    CycleState state = s.fw->new_cycle_state();
    ScheduleResult r = s.fw->schedule(state, *PodBuilder("p").info(), snap, rng);
    CHECK(r.node == nullptr);
    CHECK(r.status.code == Code::kUnschedulable);
    CHECK(r.fit_error ==
          "0/5 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint "
          "{gpu: true}, 4 Insufficient cpu.");
  }
  SECTION("string order puts 10 before 2") {
    Snapshot snap = cluster(12);
    auto s = make_framework(1, Points{{}, {0}, {}, {}, {}, {}, {}});
    s.p[0]->on_filter = [](const NodeInfo& n) {
      return PluginStatus::unschedulable(node_number(n) < 10 ? "b" : "a");
    };
    Rng rng(1);
    CycleState state = s.fw->new_cycle_state();
    ScheduleResult r = s.fw->schedule(state, *PodBuilder("p").info(), snap, rng);
    CHECK(r.fit_error == "0/12 nodes are available: 10 b, 2 a.");
  }
  SECTION("the PostFilter message follows") {
    Snapshot snap = cluster(2);
    auto s = make_framework(2, Points{{}, {0}, {1}, {}, {}, {}, {}});
    s.p[0]->on_filter = [](const NodeInfo&) { return PluginStatus::unschedulable("x"); };
    s.p[1]->on_post_filter = [] {
      return PluginStatus::unschedulable(
          "preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod");
    };
    Rng rng(1);
    CycleState state = s.fw->new_cycle_state();
    ScheduleResult r = s.fw->schedule(state, *PodBuilder("p").info(), snap, rng);
    CHECK(r.fit_error ==
          "0/2 nodes are available: 2 x. preemption: 0/2 nodes are available: 2 No preemption "
          "victims found for incoming pod.");
    CHECK(s.p[1]->failures_seen == 2);
  }
  SECTION("a successful PostFilter nominates a node") {
    Snapshot snap = cluster(2);
    auto s = make_framework(2, Points{{}, {0}, {1}, {}, {}, {}, {}});
    s.p[0]->on_filter = [](const NodeInfo&) { return PluginStatus::unschedulable("x"); };
    s.p[1]->on_post_filter = [] { return PluginStatus::success(); };
    Rng rng(1);
    CycleState state = s.fw->new_cycle_state();
    ScheduleResult r = s.fw->schedule(state, *PodBuilder("p").info(), snap, rng);
    CHECK(r.node == nullptr);
    CHECK(r.post_filter.nominated_node == "n0");
    CHECK(r.fit_error == "0/2 nodes are available: 2 x.");
  }
  SECTION("no nodes at all") {
    Snapshot snap;
    auto s = make_framework(1, Points{{}, {0}, {}, {}, {}, {}, {}});
    Rng rng(1);
    CycleState state = s.fw->new_cycle_state();
    ScheduleResult r = s.fw->schedule(state, *PodBuilder("p").info(), snap, rng);
    CHECK(r.status.code == Code::kUnschedulableAndUnresolvable);
    CHECK(r.fit_error == "no nodes available to schedule pods");
  }
}

TEST_CASE("PreFilter results restrict the nodes; Skip turns a plugin's Filter off", "[framework]") {
  Snapshot snap = cluster(3);
  SECTION("one plugin names nodes; the others get the 'didn't satisfy' status") {
    // upstream schedule_one_test "test prefilter plugin returning a subset of nodes"-style:
    // 1 node examined and rejected, 2 absent.
    auto s = make_framework(2, Points{{0}, {1}, {}, {}, {}, {}, {}});
    s.p[0]->on_pre_filter = [](PreFilterResult& r) {
      r.node_names = std::vector<std::string>{"n1", "nope"};
      return PluginStatus::success();
    };
    s.p[1]->on_filter = [](const NodeInfo&) {
      return PluginStatus::unschedulable("Insufficient cpu");
    };
    Rng rng(1);
    CycleState state = s.fw->new_cycle_state();
    ScheduleResult r = s.fw->schedule(state, *PodBuilder("p").info(), snap, rng);
    CHECK(s.p[1]->filter_calls == 1);
    CHECK(r.fit_error ==
          "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [P0].");
  }
  SECTION("disjoint node sets reject at PreFilter") {
    // upstream TestSchedulerSchedulePod "test prefilter plugin returning non-intersecting
    // nodes": PreFilterMsg "node(s) didn't satisfy plugin(s) [FakePreFilter2 FakePreFilter3]
    // simultaneously", which FitError.Error() prints alone after the node count.
    auto s = make_framework(3, Points{{0, 1, 2}, {}, {}, {}, {}, {}, {}});
    s.p[1]->on_pre_filter = [](PreFilterResult& r) {
      r.node_names = std::vector<std::string>{"n0"};
      return PluginStatus::success();
    };
    s.p[2]->on_pre_filter = [](PreFilterResult& r) {
      r.node_names = std::vector<std::string>{"n1"};
      return PluginStatus::success();
    };
    Rng rng(1);
    CycleState state = s.fw->new_cycle_state();
    ScheduleResult r = s.fw->schedule(state, *PodBuilder("p").info(), snap, rng);
    CHECK(r.fit_error ==
          "0/3 nodes are available: node(s) didn't satisfy plugin(s) [P1 P2] simultaneously.");
  }
  SECTION("a PreFilter rejection is the whole message") {
    auto s = make_framework(1, Points{{0}, {0}, {}, {}, {}, {}, {}});
    s.p[0]->on_pre_filter = [](PreFilterResult&) {
      return PluginStatus::unschedulable("pod affinity terms conflict", true);
    };
    Rng rng(1);
    CycleState state = s.fw->new_cycle_state();
    ScheduleResult r = s.fw->schedule(state, *PodBuilder("p").info(), snap, rng);
    CHECK(r.fit_error == "0/3 nodes are available: pod affinity terms conflict.");
    CHECK(s.p[0]->filter_calls == 0);
  }
  SECTION("Skip at PreFilter skips that plugin's Filter only") {
    auto s = make_framework(2, Points{{0, 1}, {0, 1}, {}, {}, {}, {}, {}});
    s.p[0]->on_pre_filter = [](PreFilterResult&) { return PluginStatus::skip(); };
    Rng rng(1);
    CycleState state = s.fw->new_cycle_state();
    ScheduleResult r = s.fw->schedule(state, *PodBuilder("p").info(), snap, rng);
    CHECK(r.node != nullptr);
    CHECK(s.p[0]->filter_calls == 0);
    CHECK(s.p[1]->filter_calls == 3);
  }
}

TEST_CASE("A nominated node that passes the filters is taken alone", "[framework]") {
  Snapshot snap = cluster(5);
  auto s = make_framework(2, Points{{}, {0}, {}, {}, {{1, 1}}, {}, {}});
  s.p[1]->on_score = [](const NodeInfo& n) { return node_number(n) == 4 ? 100 : 0; };
  PodBuilder b("p");
  b.pod().status.nominated_node_name = "n2";
  Rng rng(1);
  CycleState state = s.fw->new_cycle_state();
  ScheduleResult r = s.fw->schedule(state, *b.info(), snap, rng);
  REQUIRE(r.node != nullptr);
  CHECK(r.node->name() == "n2");
  CHECK(s.p[0]->filter_calls == 1);
}

TEST_CASE("Ties are broken with the scheduler's random stream, reproducibly", "[framework]") {
  Snapshot snap = cluster(4);
  std::set<std::string> chosen;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    auto s = make_framework(1, Points{{}, {}, {}, {}, {{0, 1}}, {}, {}});
    Rng a(seed), b(seed);
    CycleState st1 = s.fw->new_cycle_state();
    const auto pod = PodBuilder("p").info();
    const NodeInfo* first = s.fw->schedule(st1, *pod, snap, a).node;
    CycleState st2 = s.fw->new_cycle_state();
    const NodeInfo* second = s.fw->schedule(st2, *pod, snap, b).node;
    CHECK(first == second);
    chosen.insert(first->name());
  }
  CHECK(chosen.size() == 4);  // every tied node gets picked for some seed
}

TEST_CASE("Reserve unreserves in reverse on failure; Permit collects Wait", "[framework]") {
  Snapshot snap = cluster(1);
  std::vector<std::string> log;
  auto s = make_framework(3, Points{{}, {}, {}, {}, {}, {0, 1, 2}, {0, 1}});
  for (auto* p : s.p) p->log = &log;
  s.p[1]->reserve_ok = false;
  const auto pod = PodBuilder("p").info();
  CycleState state = s.fw->new_cycle_state();
  PluginStatus st = s.fw->run_reserve(state, *pod, *snap.nodes()[0]);
  CHECK(st.code == Code::kUnschedulable);
  CHECK(st.plugin == "P1");
  CHECK(log == std::vector<std::string>{"reserve P0", "reserve P1", "unreserve P2", "unreserve P1",
                                        "unreserve P0"});
  s.p[0]->permit_status = PluginStatus::wait();
  s.p[0]->permit_timeout = 30;
  s.p[1]->permit_status = PluginStatus::wait();
  s.p[1]->permit_timeout = 60;
  kubesim::sim::Duration wait = 0;
  st = s.fw->run_permit(state, *pod, *snap.nodes()[0], wait);
  CHECK(st.code == Code::kWait);
  CHECK(wait == 60);
  s.p[1]->permit_status = PluginStatus::unschedulable("rejected");
  st = s.fw->run_permit(state, *pod, *snap.nodes()[0], wait);
  CHECK(st.code == Code::kUnschedulable);
  CHECK(st.plugin == "P1");
}

TEST_CASE("run_filter reports the first failing plugin", "[framework]") {
  Snapshot snap = cluster(1);
  auto s = make_framework(2, Points{{}, {0, 1}, {}, {}, {}, {}, {}});
  s.p[1]->on_filter = [](const NodeInfo&) { return PluginStatus::unschedulable("nope"); };
  CycleState state = s.fw->new_cycle_state();
  PluginStatus st = s.fw->run_filter(state, *PodBuilder("p").info(), *snap.nodes()[0]);
  CHECK(st.plugin == "P1");
  CHECK(st.reason == "nope");
  CHECK(st.message() == "nope");
}
