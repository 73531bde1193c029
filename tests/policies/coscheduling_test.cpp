// Coscheduling (kubernetes-sigs/scheduler-plugins pkg/coscheduling) — PreFilter's sibling
// count, Permit's Wait/Success with the group timeout, the release and rejection decisions
// the runtime acts on, and PostFilter's optimistic rejection, by hand calculation from
// upstream's rules (core.go PreFilter/Permit/CalculateAssignedPods, coscheduling.go
// PostFilter/Unreserve).
#include "policies/coscheduling.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>

#include "models/scheduler_framework.hpp"

namespace {

using kubesim::models::Node;
using kubesim::models::Pod;
using kubesim::models::sched::Code;
using kubesim::models::sched::CycleState;
using kubesim::models::sched::Framework;
using kubesim::models::sched::NodeInfo;
using kubesim::models::sched::Plugin;
using kubesim::models::sched::PodInfo;
using kubesim::models::sched::PreFilterResult;
using kubesim::models::sched::Snapshot;
using kubesim::policies::Coscheduling;
using kubesim::policies::PluginContext;
using Decision = Coscheduling::Decision;
namespace sim = kubesim::sim;

std::shared_ptr<const PodInfo> gang_pod(const std::string& name, const std::string& group,
                                        const std::string& ns = "default") {
  auto p = std::make_shared<Pod>();
  p->metadata.name = name;
  p->metadata.namespace_ = ns;
  if (!group.empty()) p->metadata.labels.set(std::string(Coscheduling::kPodGroupLabel), group);
  return std::make_shared<const PodInfo>(PodInfo::from(p));
}

struct Groups {
  std::map<std::string, PluginContext::PodGroupInfo> by_name;  // "ns/name"
  PluginContext context() const {
    PluginContext ctx;
    ctx.pod_group = [this](std::string_view ns,
                           std::string_view name) -> std::optional<PluginContext::PodGroupInfo> {
      auto it = by_name.find(std::string(ns) + "/" + std::string(name));
      if (it == by_name.end()) return std::nullopt;
      return it->second;
    };
    return ctx;
  }
};

// Fills in place: NodeInfos point back to their Snapshot, so it is not returned by value.
void add_two_nodes(Snapshot& s) {
  for (const char* name : {"n1", "n2"}) {
    auto n = std::make_shared<Node>();
    n->metadata.name = name;
    s.upsert_node(n);
  }
}

kubesim::models::sched::PluginStatus prefilter(Coscheduling& plugin, const Snapshot& s,
                                               const PodInfo& pod) {
  CycleState state(1);
  PreFilterResult r;
  return plugin.pre_filter(state, pod, s, r);
}

}  // namespace

TEST_CASE("Coscheduling PreFilter needs minMember pods of the group", "[policies][coscheduling]") {
  Groups groups;
  groups.by_name["default/pg"] = {3, 30 * sim::kSecond, 2};
  Coscheduling plugin(groups.context());
  Snapshot s;
  add_two_nodes(s);
  auto p = gang_pod("p1", "pg");
  auto status = prefilter(plugin, s, *p);
  CHECK(status.code == Code::kUnschedulableAndUnresolvable);
  CHECK(status.reason ==
        "pre-filter pod p1 cannot find enough sibling pods, current pods number: 2, minMember "
        "of group: 3");
  groups.by_name["default/pg"].members = 3;
  CHECK(prefilter(plugin, s, *p).ok());
  // Unknown member count: the group's pods in the snapshot (1) plus the pod itself = 2 < 3.
  groups.by_name["default/pg"].members = -1;
  s.find("n1")->add_pod(gang_pod("p0", "pg"));
  s.find("n1")->add_pod(gang_pod("other-ns", "pg", "elsewhere"));
  CHECK(prefilter(plugin, s, *p).code == Code::kUnschedulableAndUnresolvable);
  s.find("n2")->add_pod(gang_pod("p2", "pg"));
  CHECK(prefilter(plugin, s, *p).ok());
  // No label, or a label without a PodGroup: PreFilter passes (upstream returns nil).
  CHECK(prefilter(plugin, s, *gang_pod("solo", "")).ok());
  CHECK(prefilter(plugin, s, *gang_pod("lost", "nosuchgroup")).ok());
}

TEST_CASE("Coscheduling Permit waits until minMember members are assumed, then releases",
          "[policies][coscheduling]") {
  Groups groups;
  groups.by_name["default/pg"] = {3, 30 * sim::kSecond, 3};
  Coscheduling plugin(groups.context());
  Snapshot s;
  add_two_nodes(s);
  NodeInfo& n1 = *s.find("n1");
  auto a = gang_pod("a", "pg");
  auto b = gang_pod("b", "pg");
  auto c = gang_pod("c", "pg");
  // The runtime's cycle: PreFilter ... assume (the live snapshot holds the pod) ... Permit.
  auto cycle = [&](const std::shared_ptr<const PodInfo>& pod, sim::Duration& timeout) {
    CycleState state(1);
    PreFilterResult r;
    REQUIRE(plugin.pre_filter(state, *pod, s, r).ok());
    n1.add_pod(pod);
    return plugin.permit(state, *pod, n1, timeout);
  };
  sim::Duration timeout = 0;
  auto sa = cycle(a, timeout);
  CHECK(sa.code == Code::kWait);  // assigned 0 (itself excluded) + 1 < 3
  CHECK(timeout == 30 * sim::kSecond);
  CHECK(plugin.take_decisions().empty());
  timeout = 0;
  CHECK(cycle(b, timeout).code == Code::kWait);  // 1 + 1 < 3
  sim::Duration t3 = 0;
  CHECK(cycle(c, t3).ok());  // 2 + 1 >= 3
  auto decisions = plugin.take_decisions();
  REQUIRE(decisions.size() == 1);
  CHECK(decisions[0].kind == Decision::Kind::kAllow);
  CHECK(decisions[0].namespace_ == "default");
  CHECK(decisions[0].group == "pg");
  CHECK(Coscheduling::in_group(*a->pod, "default", "pg"));
  CHECK_FALSE(Coscheduling::in_group(*gang_pod("x", "pg", "other")->pod, "default", "pg"));
  CHECK_FALSE(Coscheduling::in_group(*gang_pod("y", "")->pod, "default", ""));
  CHECK(plugin.take_decisions().empty());  // taken once
}

TEST_CASE("Coscheduling rejects the whole group on Unreserve (timeout)",
          "[policies][coscheduling]") {
  Groups groups;
  groups.by_name["default/pg"] = {4, 10 * sim::kSecond, 4};
  Coscheduling plugin(groups.context());
  Snapshot s;
  add_two_nodes(s);
  CycleState state(1);
  auto a = gang_pod("a", "pg");
  plugin.unreserve(state, *a, *s.find("n1"));
  auto d = plugin.take_decisions();
  REQUIRE(d.size() == 1);
  CHECK(d[0].kind == Decision::Kind::kReject);
  CHECK(d[0].group == "pg");
  CHECK(d[0].reason == "rejection in Unreserve");
  // Pods outside any group leave no decision.
  plugin.unreserve(state, *gang_pod("solo", ""), *s.find("n1"));
  CHECK(plugin.take_decisions().empty());
}

TEST_CASE("Coscheduling Permit without a PodGroup and for pods outside groups",
          "[policies][coscheduling]") {
  Groups groups;
  Coscheduling plugin(groups.context());
  Snapshot s;
  add_two_nodes(s);
  CycleState state(1);
  sim::Duration timeout = 0;
  CHECK(plugin.permit(state, *gang_pod("solo", ""), *s.find("n1"), timeout).ok());
  auto lost = plugin.permit(state, *gang_pod("lost", "nosuchgroup"), *s.find("n1"), timeout);
  CHECK(lost.code == Code::kUnschedulable);
  CHECK(lost.reason == "PodGroup not found");
}

TEST_CASE("Coscheduling PostFilter rejects the group unless nearly complete",
          "[policies][coscheduling]") {
  Groups groups;
  groups.by_name["default/pg"] = {10, 60 * sim::kSecond, 10};
  Coscheduling plugin(groups.context());
  Snapshot s;
  add_two_nodes(s);
  Framework framework("default-scheduler", {}, {}, {}, {}, {}, {}, {}, {}, Framework::Options{});
  auto post_filter = [&](const PodInfo& pod) {
    CycleState state(1);
    Plugin::PostFilterResult r;
    auto status = plugin.post_filter(state, pod, s, framework, {}, r);
    CHECK(r.nominated_node.empty());
    return status;
  };
  auto failing = gang_pod("f", "pg");
  // 5 of 10 assigned: 50% missing > 10% -> reject the waiting pods.
  for (int i = 0; i < 5; ++i) s.find("n1")->add_pod(gang_pod("m" + std::to_string(i), "pg"));
  auto st = post_filter(*failing);
  CHECK(st.code == Code::kUnschedulable);
  CHECK(st.reason ==
        "PodGroup default/pg gets rejected due to Pod f is unschedulable even after PostFilter");
  auto d = plugin.take_decisions();
  REQUIRE(d.size() == 1);
  CHECK(d[0].kind == Decision::Kind::kReject);
  CHECK(d[0].reason == "optimistic rejection in PostFilter");
  // 9 of 10 assigned: exactly 10% missing -> keep waiting, no rejection.
  for (int i = 5; i < 9; ++i) s.find("n2")->add_pod(gang_pod("m" + std::to_string(i), "pg"));
  CHECK(post_filter(*failing).code == Code::kUnschedulable);
  CHECK(plugin.take_decisions().empty());
  // No PodGroup.
  CHECK(post_filter(*gang_pod("solo", "")).reason == "can not find pod group");
}

#include "policies/registry.hpp"

TEST_CASE("register_pod_relation_plugins registers the four pod-relation plugins",
          "[policies][coscheduling]") {
  kubesim::policies::Registry registry;
  kubesim::policies::register_pod_relation_plugins(registry);
  CHECK(registry.names() == std::vector<std::string>{"Coscheduling", "DefaultPreemption",
                                                     "InterPodAffinity", "PodTopologySpread"});
  // Each factory builds a plugin of that name.
  kubesim::policies::SchedulerProfile profile;
  for (const auto& name : registry.names()) {
    auto plugin = (*registry.find(name))(profile, PluginContext{});
    REQUIRE(plugin.ok());
    CHECK(plugin.value()->name() == name);
  }
}
