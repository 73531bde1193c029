// The scheduler's configuration as data: extension points, profiles with their enabled
// plugins, score weights and defaulted plugin args, mirroring upstream's
// KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) after defaulting.
//
// scenarios/scheduler_config.hpp reads and defaults the YAML into these structs; the plugin
// registry (policies/registry.hpp) builds a scheduling framework from a SchedulerProfile.
// Plain values; safe to copy and to read from several threads.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policies/score_math.hpp"

namespace kubesim::policies {

// The configurable extension points, in the order a pod meets them.
enum class ExtensionPoint {
  kPreEnqueue,
  kQueueSort,
  kPreFilter,
  kFilter,
  kPostFilter,
  kPreScore,
  kScore,
  kReserve,
  kPermit,
  kPreBind,
  kBind,
  kPostBind,
};
inline constexpr std::size_t kExtensionPointCount = 12;

// The YAML spelling: "preEnqueue", "queueSort", ..., "postBind".
std::string_view extension_point_name(ExtensionPoint point);

// Whether the plugin `name` implements `point` (v1.34 in-tree plugins and kubesim's
// GpuTopology and Coscheduling; false for unknown names).
bool plugin_implements(std::string_view name, ExtensionPoint point);

// The plugins kubesim knows, for configuration checks: the in-tree plugins of
// kube-scheduler v1.34 in the default MultiPoint order, then kubesim's out-of-tree ones
// (GpuTopology, Coscheduling).
const std::vector<std::string>& builtin_plugin_names();

constexpr std::uint32_t extension_point_bit(ExtensionPoint point) {
  return 1u << static_cast<unsigned>(point);
}

// One row of the plugin table (policies/scheduler_profile.cpp).
struct PluginInfo {
  std::string_view name;
  std::uint32_t points;          // extension_point_bit of every point it implements
  std::int64_t default_weight;   // default Score weight in the MultiPoint set (0: none)
  bool in_default_profile;       // part of upstream's default MultiPoint set
  bool implements(ExtensionPoint point) const { return (points & extension_point_bit(point)) != 0; }
};

// Every plugin kubesim knows, in the order of builtin_plugin_names().
std::span<const PluginInfo> plugin_table();
// The row of `name`, or nullptr.
const PluginInfo* find_plugin_info(std::string_view name);

struct ResourceWeight {
  std::string name;
  std::int64_t weight = 1;
  friend bool operator==(const ResourceWeight&, const ResourceWeight&) = default;
};

enum class ScoringStrategyType { kLeastAllocated, kMostAllocated, kRequestedToCapacityRatio };

struct NodeResourcesFitArgs {
  ScoringStrategyType type = ScoringStrategyType::kLeastAllocated;
  std::vector<ResourceWeight> resources = {{"cpu", 1}, {"memory", 1}};
  // RequestedToCapacityRatio only: the shape as written (score 0..10, not yet scaled).
  std::vector<policies::ShapePoint> shape;
  std::vector<std::string> ignored_resources;
  std::vector<std::string> ignored_resource_groups;
};

struct NodeResourcesBalancedAllocationArgs {
  std::vector<ResourceWeight> resources = {{"cpu", 1}, {"memory", 1}};
};

struct InterPodAffinityArgs {
  std::int64_t hard_pod_affinity_weight = 1;
};

// A PodTopologySpread default constraint (a TopologySpreadConstraint without labelSelector).
struct DefaultTopologySpreadConstraint {
  std::int64_t max_skew = 1;
  std::string topology_key;
  std::string when_unsatisfiable;  // "DoNotSchedule" or "ScheduleAnyway"
  std::optional<std::int64_t> min_domains;
  std::string node_affinity_policy;  // "" (upstream default Honor), "Honor" or "Ignore"
  std::string node_taints_policy;    // "" (upstream default Ignore), "Honor" or "Ignore"
  std::vector<std::string> match_label_keys;
};

enum class TopologySpreadDefaulting { kSystem, kList };

struct PodTopologySpreadArgs {
  std::vector<DefaultTopologySpreadConstraint> default_constraints;
  TopologySpreadDefaulting defaulting_type = TopologySpreadDefaulting::kSystem;
};

struct DefaultPreemptionArgs {
  std::int64_t min_candidate_nodes_percentage = 10;
  std::int64_t min_candidate_nodes_absolute = 100;
};

struct VolumeBindingArgs {
  std::int64_t bind_timeout_seconds = 600;
};

// Args of every in-tree plugin that has them, defaulted (upstream: defaults.go).
struct PluginArgs {
  NodeResourcesFitArgs node_resources_fit;
  NodeResourcesBalancedAllocationArgs node_resources_balanced_allocation;
  InterPodAffinityArgs inter_pod_affinity;
  PodTopologySpreadArgs pod_topology_spread;
  DefaultPreemptionArgs default_preemption;
  VolumeBindingArgs volume_binding;
};

struct SchedulerProfile {
  std::string scheduler_name = "default-scheduler";
  std::optional<std::int64_t> percentage_of_nodes_to_score;  // overrides the global value
  // Enabled plugins per extension point, in run order, after MultiPoint expansion.
  std::array<std::vector<std::string>, kExtensionPointCount> plugins;
  // Weight of every plugin in plugins[kScore].
  std::map<std::string, std::int64_t> score_weights;
  PluginArgs args;

  const std::vector<std::string>& at(ExtensionPoint point) const {
    return plugins[static_cast<std::size_t>(point)];
  }
};

struct SchedulerConfig {
  std::int64_t percentage_of_nodes_to_score = 0;  // 0 = adaptive
  std::int64_t pod_initial_backoff_seconds = 1;
  std::int64_t pod_max_backoff_seconds = 10;
  std::int64_t parallelism = 16;
  std::vector<SchedulerProfile> profiles;
  // kubesim (scenario spec.controlPlane.scheduler.tieBreak: nodeRank): every profile
  // breaks ties by node rank (Framework::Options::tie_break_by_node_rank).
  bool tie_break_by_node_rank = false;
};

}  // namespace kubesim::policies
