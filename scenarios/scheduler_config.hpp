// SchedulerConfig: upstream's KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1), read
// and defaulted as kube-scheduler v1.34 does, into a plain structure the scheduler uses.
//
// A user pastes the configuration they give kube-scheduler with --config. read_scheduler_config
// checks it (unknown fields, unknown plugins, bad weights and plugin args, duplicate profile
// names), then applies upstream's defaulting and MultiPoint expansion, so every profile comes
// out with one ordered plugin list per extension point, a weight per Score plugin and fully
// defaulted plugin args. Nothing downstream has to know about MultiPoint, "*" or omitted args.
//
// Upstream rules reproduced, by file (kubernetes/kubernetes, pkg/scheduler/):
//   - apis/config/v1/default_plugins.go: the default MultiPoint set (getDefaultPlugins, with
//     DynamicResources before DefaultPreemption since DRA is on by default) and mergePluginSet;
//   - apis/config/v1/defaults.go: top-level and plugin-args defaults;
//   - framework/runtime/framework.go: expandMultiPointPlugins (order: overridden plugins, then
//     MultiPoint plugins, then the remaining per-point plugins) and getScoreWeights (a
//     per-point Score weight wins over the MultiPoint one; unset means 1);
//   - apis/config/validation/{validation,validation_pluginargs}.go: the checks.
//
// Things kube-scheduler accepts that kubesim does not simulate (extenders, out-of-tree plugins,
// NodeAffinity addedAffinity, DynamicResources and VolumeBinding shape args) are reported as
// diagnostics, never dropped silently. Fields that only concern the real process
// (leaderElection, clientConnection, profiling and bind addresses) are accepted and have no
// effect; docs/policies.md lists them.
//
// Plain values, no shared state; safe to copy and to read from several threads.
#pragma once

#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policies/scheduler_profile.hpp"
#include "scenarios/diagnostics.hpp"

namespace kubesim::scenarios {

// The configuration structs live in policies/scheduler_profile.hpp (the scheduler runtime and
// the plugin registry use them without the YAML reader); they are named here as before.
using policies::DefaultPreemptionArgs;
using policies::DefaultTopologySpreadConstraint;
using policies::ExtensionPoint;
using policies::InterPodAffinityArgs;
using policies::kExtensionPointCount;
using policies::NodeResourcesBalancedAllocationArgs;
using policies::NodeResourcesFitArgs;
using policies::PluginArgs;
using policies::PodTopologySpreadArgs;
using policies::ResourceWeight;
using policies::SchedulerConfig;
using policies::SchedulerProfile;
using policies::ScoringStrategyType;
using policies::TopologySpreadDefaulting;
using policies::VolumeBindingArgs;
using policies::builtin_plugin_names;
using policies::extension_point_name;
using policies::plugin_implements;

// The configuration kube-scheduler v1.34 runs with when given none: one "default-scheduler"
// profile with the default plugins, weights and args.
SchedulerConfig default_scheduler_config();

// The names accepted by spec.controlPlane.scheduler.gpuPolicy: the FGD paper's policies
// (FGD, BestFit, DotProduct, GpuPacking, GpuClustering, Random) and "default".
const std::vector<std::string>& gpu_policy_names();
// The configuration for a GPU placement policy, as the FGD paper's simulator runs it: one
// "default-scheduler" profile with upstream's filters (NodeUnschedulable, NodeName,
// TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit) plus the policy's plugin as
// Filter, the only Score plugin (weight 1) and Reserve (its device choice), every node
// scored (percentageOfNodesToScore 100) and no preemption. "default": upstream's default
// profile with the GpuShare filter and device choice added.
// REQUIRES: policy is one of gpu_policy_names().
SchedulerConfig gpu_policy_scheduler_config(std::string_view policy);

// Reads one KubeSchedulerConfiguration document. Returns nullopt, with every problem added
// to `diagnostics` (file:line:column), when the document is invalid.
std::optional<SchedulerConfig> read_scheduler_config(const YAML::Node& doc, const std::string& file,
                                                     Diagnostics& diagnostics);

}  // namespace kubesim::scenarios
