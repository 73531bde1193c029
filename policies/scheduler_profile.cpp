// The plugin table behind policies/scheduler_profile.hpp: which plugin implements which
// extension point, and which are in upstream's default MultiPoint set with what weight.
#include "policies/scheduler_profile.hpp"

#include <array>

namespace kubesim::policies {
namespace {

using EP = ExtensionPoint;
constexpr std::uint32_t bit(EP point) { return extension_point_bit(point); }

constexpr std::array<std::string_view, kExtensionPointCount> kPointNames = {
    "preEnqueue", "queueSort", "preFilter", "filter",  "postFilter", "preScore",
    "score",      "reserve",   "permit",    "preBind", "bind",       "postBind"};

// The in-tree plugins of v1.34 in getDefaultPlugins order (default_plugins.go, with
// DynamicResources inserted before DefaultPreemption by applyFeatureGates: DRA is GA and on).
// Extension points: the `var _ framework.XPlugin = &T{}` assertions in each plugin's source
// under pkg/scheduler/framework/plugins/ at v1.34 (EnqueueExtensions and NormalizeScore are
// not configurable points). Cross-checked with apis/config/testing/defaults/defaults.go,
// ExpandedPluginsV1, for the plugins that list predates.
//
// Then kubesim's out-of-tree plugins, not in the default profile (enable them in the
// KubeSchedulerConfiguration): GpuTopology (kubesim: Filter, Score, Reserve) and
// Coscheduling (kubernetes-sigs/scheduler-plugins pkg/coscheduling: QueueSort, PreFilter,
// PostFilter, Permit, Reserve).
constexpr std::array<PluginInfo, 28> kPlugins = {{
    {"SchedulingGates", bit(EP::kPreEnqueue), 0, true},
    {"PrioritySort", bit(EP::kQueueSort), 0, true},
    {"NodeUnschedulable", bit(EP::kFilter), 0, true},
    {"NodeName", bit(EP::kFilter), 0, true},
    {"TaintToleration", bit(EP::kFilter) | bit(EP::kPreScore) | bit(EP::kScore), 3, true},
    {"NodeAffinity", bit(EP::kPreFilter) | bit(EP::kFilter) | bit(EP::kPreScore) | bit(EP::kScore),
     2, true},
    {"NodePorts", bit(EP::kPreFilter) | bit(EP::kFilter), 0, true},
    {"NodeResourcesFit",
     bit(EP::kPreFilter) | bit(EP::kFilter) | bit(EP::kPreScore) | bit(EP::kScore), 1, true},
    {"VolumeRestrictions", bit(EP::kPreFilter) | bit(EP::kFilter), 0, true},
    {"NodeVolumeLimits", bit(EP::kPreFilter) | bit(EP::kFilter), 0, true},
    {"VolumeBinding",
     bit(EP::kPreFilter) | bit(EP::kFilter) | bit(EP::kPreScore) | bit(EP::kScore) |
         bit(EP::kReserve) | bit(EP::kPreBind),
     0, true},
    {"VolumeZone", bit(EP::kPreFilter) | bit(EP::kFilter), 0, true},
    {"PodTopologySpread",
     bit(EP::kPreFilter) | bit(EP::kFilter) | bit(EP::kPreScore) | bit(EP::kScore), 2, true},
    {"InterPodAffinity",
     bit(EP::kPreFilter) | bit(EP::kFilter) | bit(EP::kPreScore) | bit(EP::kScore), 2, true},
    {"DynamicResources",
     bit(EP::kPreEnqueue) | bit(EP::kPreFilter) | bit(EP::kFilter) | bit(EP::kPostFilter) |
         bit(EP::kReserve) | bit(EP::kPreBind),
     0, true},
    {"DefaultPreemption", bit(EP::kPreEnqueue) | bit(EP::kPostFilter), 0, true},
    {"NodeResourcesBalancedAllocation", bit(EP::kPreScore) | bit(EP::kScore), 1, true},
    {"ImageLocality", bit(EP::kScore), 1, true},
    {"DefaultBinder", bit(EP::kBind), 0, true},
    {"GpuTopology", bit(EP::kFilter) | bit(EP::kScore) | bit(EP::kReserve), 0, false},
    {"Coscheduling",
     bit(EP::kQueueSort) | bit(EP::kPreFilter) | bit(EP::kPostFilter) | bit(EP::kPermit) |
         bit(EP::kReserve),
     0, false},
    // GPU sharing (policies/gpu_share_plugins.hpp): the GpuShare filter and the FGD paper's
    // policies, each a Filter + Score + Reserve plugin.
    {"GpuShare", bit(EP::kFilter) | bit(EP::kReserve), 0, false},
    {"FGD", bit(EP::kFilter) | bit(EP::kScore) | bit(EP::kReserve), 1, false},
    {"BestFit", bit(EP::kFilter) | bit(EP::kScore) | bit(EP::kReserve), 1, false},
    {"DotProduct", bit(EP::kFilter) | bit(EP::kScore) | bit(EP::kReserve), 1, false},
    {"GpuPacking", bit(EP::kFilter) | bit(EP::kScore) | bit(EP::kReserve), 1, false},
    {"GpuClustering", bit(EP::kFilter) | bit(EP::kScore) | bit(EP::kReserve), 1, false},
    {"Random", bit(EP::kFilter) | bit(EP::kScore) | bit(EP::kReserve), 1, false},
}};

}  // namespace

std::string_view extension_point_name(ExtensionPoint point) {
  return kPointNames[static_cast<std::size_t>(point)];
}

std::span<const PluginInfo> plugin_table() { return kPlugins; }

const PluginInfo* find_plugin_info(std::string_view name) {
  for (const auto& p : kPlugins) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

bool plugin_implements(std::string_view name, ExtensionPoint point) {
  const PluginInfo* info = find_plugin_info(name);
  return info != nullptr && info->implements(point);
}

const std::vector<std::string>& builtin_plugin_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& p : kPlugins) out.emplace_back(p.name);
    return out;
  }();
  return names;
}

}  // namespace kubesim::policies
