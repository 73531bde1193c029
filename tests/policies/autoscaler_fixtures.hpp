// Shared fixtures of the Cluster Autoscaler and Karpenter tests: a FilterSimulator over the
// default scheduler profile's PreFilter and Filter plugins, node pools, and a small cluster
// (a Snapshot with nodes from make_nodes and bound pods) built step by step.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "models/node_pool.hpp"
#include "models/scheduler_framework.hpp"
#include "policies/cluster_autoscaler.hpp"
#include "policies/node_plugins.hpp"
#include "policies/registry.hpp"
#include "tests/support/scheduler_fixtures.hpp"

namespace kubesim::testing {

// The default profile as scenarios::default_scheduler_config() expands it (see
// registry_test.cpp), with no-op stand-ins for plugins a build may not register yet.
inline std::unique_ptr<policies::FilterSimulator> default_filter() {
  namespace kp = policies;
  kp::SchedulerProfile p;
  for (const auto& info : kp::plugin_table()) {
    if (!info.in_default_profile) continue;
    for (std::size_t i = 0; i < kp::kExtensionPointCount; ++i) {
      if (info.implements(static_cast<kp::ExtensionPoint>(i))) p.plugins[i].emplace_back(info.name);
    }
    if (info.implements(kp::ExtensionPoint::kScore)) {
      p.score_weights[std::string(info.name)] = info.default_weight ? info.default_weight : 1;
    }
  }
  kp::Registry r;
  kp::register_builtins(r);
  for (const auto& info : kp::plugin_table()) {
    const std::string name(info.name);
    if (r.find(name) != nullptr) continue;
    (void)r.add(name, [name](const kp::SchedulerProfile&, const kp::PluginContext&) {
      return sim::Result<std::unique_ptr<models::sched::Plugin>>(
          std::unique_ptr<models::sched::Plugin>(new kp::NoOpPlugin(name)));
    });
  }
  auto fw = kp::make_filter_framework(r, kp::SchedulerConfig{}, p, {});
  REQUIRE(fw.ok());
  return std::make_unique<kp::FilterSimulator>(std::move(fw).value());
}

inline models::NodePool make_pool(std::string name, std::int64_t milli_cpu, std::int64_t memory,
                                  double cost_per_hour, std::int64_t gpus = 0) {
  models::NodePool p;
  p.name = name;
  p.instance_type = std::move(name);
  p.capacity.set("cpu", milli_cpu);
  p.capacity.set("memory", memory);
  p.capacity.set("pods", 110);
  if (gpus > 0) {
    p.capacity.set("nvidia.com/gpu", gpus);
    models::GpuSpec g;
    g.model = "NVIDIA-H100-80GB-HBM3";
    g.count = static_cast<std::int32_t>(gpus);
    g.memory_mib = 81559;
    g.interconnect = models::GpuInterconnect::kNvSwitch;
    g.nvlinks_per_gpu = 18;
    p.gpu = g;
  }
  p.cost_per_hour = cost_per_hour;
  return p;
}

// A pod owned by a ReplicaSet (so the autoscaler may move it) with one container.
inline PodBuilder owned_pod(std::string name, std::int64_t milli_cpu, std::int64_t memory,
                            sim::Time created = 0) {
  PodBuilder b(std::move(name));
  b.container(milli_cpu, memory);
  models::OwnerReference ref;
  ref.api_version = "apps/v1";
  ref.kind = "ReplicaSet";
  ref.name = "web-rs";
  ref.uid = "uid-web-rs";
  ref.controller = true;
  b.pod().metadata.owner_references.push_back(ref);
  b.pod().metadata.creation_timestamp = created;
  return b;
}

class TestCluster {
 public:
  // `count` nodes of `pool` named <pool>-<first>..., registered at `created`.
  void add_nodes(const models::NodePool& pool, std::int32_t count, sim::Time created = 0,
                 std::int32_t first = 0, bool ready = true) {
    models::NodePool p = pool;
    p.count = first + count;
    std::vector<models::Node> nodes = models::make_nodes(p, created);
    for (std::int32_t i = first; i < first + count; ++i) {
      models::Node n = nodes[static_cast<std::size_t>(i)];
      if (!ready) n.status.conditions.front().status = models::ConditionStatus::kFalse;
      snapshot.upsert_node(std::make_shared<const models::Node>(std::move(n)));
    }
  }
  void bind(const std::string& node, PodBuilder pod) {
    pod.node_name(node);
    snapshot.find(node)->add_pod(pod.info());
  }
  void remove_node(const std::string& node) { snapshot.remove_node(node); }
  models::sched::Snapshot snapshot;
};

}  // namespace kubesim::testing
