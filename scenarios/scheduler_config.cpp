#include "scenarios/scheduler_config.hpp"

#include <algorithm>
#include <limits>
#include <set>
#include <tuple>
#include <utility>

#include "scenarios/yaml_reader.hpp"

namespace kubesim::scenarios {
namespace {

using EP = ExtensionPoint;

constexpr std::string_view kApiVersion = "kubescheduler.config.k8s.io/v1";
constexpr std::string_view kKind = "KubeSchedulerConfiguration";
constexpr std::int64_t kMaxScoreWeight = 100;

using policies::PluginInfo;  // the plugin table lives in policies/scheduler_profile.cpp

// Plugins that configuration version v1 rejects (validation.go, invalidPluginsByVersion).
constexpr std::array<std::string_view, 4> kRemovedPlugins = {"AzureDiskLimits", "CinderLimits",
                                                             "EBSLimits", "GCEPDLimits"};

// Plugins that take args (a pluginConfig entry naming another plugin is an error).
const std::vector<std::string> kPluginsWithArgs = {"DefaultPreemption",
                                                   "DynamicResources",
                                                   "InterPodAffinity",
                                                   "NodeAffinity",
                                                   "NodeResourcesBalancedAllocation",
                                                   "NodeResourcesFit",
                                                   "PodTopologySpread",
                                                   "VolumeBinding"};

const PluginInfo* find_plugin(std::string_view name) { return policies::find_plugin_info(name); }

bool implements(const PluginInfo& info, EP point) { return info.implements(point); }

// Kubernetes label-name syntax (metav1validation.ValidateLabelName): [prefix/]name, name
// 1..63 characters of alphanumerics, '-', '_' and '.', starting and ending alphanumeric.
bool is_label_name(std::string_view s) {
  const auto slash = s.find('/');
  std::string_view name = slash == std::string_view::npos ? s : s.substr(slash + 1);
  if (slash != std::string_view::npos && (slash == 0 || slash > 253)) return false;
  if (name.empty() || name.size() > 63) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

// ---- plugin sets -------------------------------------------------------------------------

struct UserPlugin {
  std::string name;
  std::optional<std::int64_t> weight;
};

struct UserPluginSet {
  std::vector<UserPlugin> enabled;
  std::vector<std::string> disabled;
};

struct UserPlugins {
  UserPluginSet multi_point;
  std::array<UserPluginSet, kExtensionPointCount> points;
};

// Checks that `name` is an in-tree plugin; reports it at `item.name` otherwise.
bool check_plugin_name(FieldReader& item, const std::string& name) {
  if (find_plugin(name)) return true;
  if (std::find(kRemovedPlugins.begin(), kRemovedPlugins.end(), name) != kRemovedPlugins.end()) {
    item.error("name", "plugin \"" + name + "\" was removed from kube-scheduler",
               "it is invalid in kubescheduler.config.k8s.io/v1 (gone since v1.32); "
               "NodeVolumeLimits covers CSI volume limits");
    return false;
  }
  const std::string guess = did_you_mean(name, builtin_plugin_names());
  item.error("name", "unknown plugin \"" + name + "\"",
             guess.empty() ? "kubesim simulates the in-tree plugins of kube-scheduler v1.34 only"
                           : "did you mean '" + guess + "'?");
  return false;
}

// Reads plugins.<point> (point = nullopt for multiPoint).
UserPluginSet read_plugin_set(FieldReader& r, std::optional<EP> point) {
  UserPluginSet set;
  const bool takes_weight = !point || *point == EP::kScore;
  if (auto enabled = r.list_of_maps("enabled")) {
    std::set<std::string> seen;
    for (auto& item : *enabled) {
      auto name = item.string("name", /*required=*/true);
      std::optional<std::int64_t> weight;
      if (item.has("weight")) {
        weight = item.integer("weight", std::numeric_limits<std::int32_t>::min(),
                              std::numeric_limits<std::int32_t>::max());
        if (weight && !takes_weight) {
          item.error("weight", "a weight only applies at score and multiPoint",
                     "remove it; upstream ignores it here");
          weight.reset();
        } else if (weight && *weight == 0) {
          item.error("weight", "must be between 1 and 100, got 0",
                     "upstream reads weight 0 as 1; to turn a plugin off, list it under "
                     "disabled");
          weight.reset();
        } else if (weight && (*weight < 1 || *weight > kMaxScoreWeight)) {
          item.error("weight", "must be between 1 and 100, got " + std::to_string(*weight),
                     "kubesim bounds score weights to 1..100; upstream only rejects weights "
                     "whose sum could overflow int64");
          weight.reset();
        }
      }
      item.finish();
      if (!name || !check_plugin_name(item, *name)) continue;
      if (point && !implements(*find_plugin(*name), *point)) {
        item.error("name",
                   "plugin \"" + *name + "\" does not implement " +
                       std::string(extension_point_name(*point)),
                   "enable it at an extension point it implements, or under multiPoint");
        continue;
      }
      if (!seen.insert(*name).second) {
        item.error("name", "plugin \"" + *name + "\" is enabled twice here");
        continue;
      }
      set.enabled.push_back({*name, weight});
    }
  }
  if (auto disabled = r.list_of_maps("disabled")) {
    for (auto& item : *disabled) {
      auto name = item.string("name", /*required=*/true);
      item.finish();
      if (!name) continue;
      if (*name != "*" && !check_plugin_name(item, *name)) continue;
      set.disabled.push_back(*name);
    }
  }
  r.finish();
  return set;
}

UserPlugins read_plugins(FieldReader& r) {
  UserPlugins plugins;
  if (auto m = r.map("multiPoint")) plugins.multi_point = read_plugin_set(*m, std::nullopt);
  for (std::size_t i = 0; i < kExtensionPointCount; ++i) {
    const auto point = static_cast<EP>(i);
    if (auto m = r.map(extension_point_name(point))) plugins.points[i] = read_plugin_set(*m, point);
  }
  r.finish();
  return plugins;
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// upstream: default_plugins.go, mergePluginSet, applied to the MultiPoint set (the only one
// with defaults): defaults minus disabled (all of them with "*"), a re-enabled default
// replaced in place, then the other user plugins in their order.
std::vector<UserPlugin> merge_multi_point(const UserPluginSet& user) {
  std::vector<UserPlugin> merged;
  if (!contains(user.disabled, "*")) {
    for (const auto& p : policies::plugin_table()) {
      if (!p.in_default_profile || contains(user.disabled, p.name)) continue;
      UserPlugin plugin{std::string(p.name),
                        p.default_weight ? std::optional(p.default_weight) : std::nullopt};
      for (const auto& u : user.enabled) {
        if (u.name == p.name) plugin = u;
      }
      merged.push_back(std::move(plugin));
    }
  }
  for (const auto& u : user.enabled) {
    const bool replaced = std::any_of(merged.begin(), merged.end(),
                                      [&](const UserPlugin& m) { return m.name == u.name; });
    if (!replaced) merged.push_back(u);
  }
  return merged;
}

void append_unique(std::vector<std::string>& out, std::string_view name) {
  if (!contains(out, name)) out.emplace_back(name);
}

// upstream: framework/runtime/framework.go, expandMultiPointPlugins and getScoreWeights.
void expand(const UserPlugins& user, SchedulerProfile& profile) {
  const std::vector<UserPlugin> multi = merge_multi_point(user.multi_point);
  for (std::size_t i = 0; i < kExtensionPointCount; ++i) {
    const auto point = static_cast<EP>(i);
    const UserPluginSet& set = user.points[i];
    std::vector<std::string> specific;
    for (const auto& u : set.enabled) specific.push_back(u.name);
    std::vector<std::string>& out = profile.plugins[i];
    out.clear();
    if (contains(set.disabled, "*")) {
      out = specific;
    } else {
      std::vector<std::string> overrides;
      std::vector<std::string> from_multi;
      for (const auto& m : multi) {
        if (!implements(*find_plugin(m.name), point)) continue;
        if (contains(set.disabled, m.name)) continue;
        if (contains(specific, m.name)) {
          append_unique(overrides, m.name);
        } else {
          append_unique(from_multi, m.name);
        }
      }
      for (const auto& n : overrides) append_unique(out, n);
      for (const auto& n : from_multi) append_unique(out, n);
      for (const auto& n : specific) append_unique(out, n);
    }
  }
  // A weight given at score wins over the MultiPoint one; unset means 1.
  profile.score_weights.clear();
  auto take_weight = [&](const UserPlugin& u) {
    if (!contains(profile.at(EP::kScore), u.name)) return;
    profile.score_weights.emplace(u.name, u.weight.value_or(1));
  };
  for (const auto& u : user.points[static_cast<std::size_t>(EP::kScore)].enabled) take_weight(u);
  for (const auto& u : multi) take_weight(u);
}

// ---- plugin args -------------------------------------------------------------------------

void check_args_type(FieldReader& args, const std::string& plugin) {
  if (auto api = args.string("apiVersion"); api && *api != kApiVersion) {
    args.error("apiVersion", "expected " + std::string(kApiVersion) + ", got \"" + *api + "\"");
  }
  if (auto kind = args.string("kind"); kind && *kind != plugin + "Args") {
    args.error("kind",
               "expected " + plugin + "Args for plugin " + plugin + ", got \"" + *kind + "\"");
  }
}

std::vector<ResourceWeight> read_resources(FieldReader& r, bool weight_must_be_one) {
  std::vector<ResourceWeight> out;
  auto items = r.list_of_maps("resources");
  if (!items) return out;
  std::set<std::string> seen;
  for (auto& item : *items) {
    auto name = item.string("name", /*required=*/true);
    // upstream: defaults.go sets an unset or zero weight to 1 before validation.
    auto weight = item.integer("weight", std::numeric_limits<std::int32_t>::min(),
                               std::numeric_limits<std::int32_t>::max());
    std::int64_t w = weight.value_or(1);
    if (w == 0) w = 1;
    if (weight_must_be_one && w != 1) {
      item.error("weight", "must be 1, got " + std::to_string(w),
                 "NodeResourcesBalancedAllocation weighs every resource equally");
    } else if (!weight_must_be_one && (w < 1 || w > 100)) {
      item.error("weight", "resource weight of " + name.value_or("") +
                               " must be between 1 and 100, got " + std::to_string(w));
    }
    item.finish();
    if (!name) continue;
    if (weight_must_be_one && !seen.insert(*name).second) {
      item.error("name", "resource \"" + *name + "\" is listed twice");
      continue;
    }
    out.push_back({*name, w});
  }
  return out;
}

// upstream: validation_pluginargs.go, validateFunctionShape.
std::vector<policies::ShapePoint> read_shape(FieldReader& r) {
  std::vector<policies::ShapePoint> shape;
  auto items = r.list_of_maps("shape", /*required=*/true);
  if (!items) return shape;
  if (items->empty()) {
    r.error("shape", "at least one point must be specified");
    return shape;
  }
  bool sorted_reported = false;
  std::optional<std::int64_t> previous;
  for (auto& item : *items) {
    auto utilization = item.integer("utilization", 0, 100, /*required=*/true);
    auto score = item.integer("score", 0, policies::kMaxCustomPriorityScore, /*required=*/true);
    item.finish();
    if (utilization && previous && *utilization <= *previous && !sorted_reported) {
      item.error("utilization", "values must be sorted in increasing order, got " +
                                    std::to_string(*utilization) + " after " +
                                    std::to_string(*previous));
      sorted_reported = true;
    }
    if (utilization) previous = utilization;
    if (utilization && score) shape.push_back({*utilization, *score});
  }
  return shape;
}

void read_node_resources_fit(FieldReader& args, NodeResourcesFitArgs& out) {
  out.ignored_resources = args.string_list("ignoredResources");
  for (const auto& name : out.ignored_resources) {
    if (!is_label_name(name)) {
      args.error("ignoredResources", "\"" + name + "\" is not a valid resource name");
    }
  }
  out.ignored_resource_groups = args.string_list("ignoredResourceGroups");
  for (const auto& group : out.ignored_resource_groups) {
    if (group.find('/') != std::string::npos) {
      args.error("ignoredResourceGroups",
                 "resource group name can't contain '/', got \"" + group + "\"",
                 "write the prefix only: example.com, not example.com/foo");
    } else if (!is_label_name(group)) {
      args.error("ignoredResourceGroups", "\"" + group + "\" is not a valid resource group");
    }
  }
  auto strategy = args.map("scoringStrategy");
  if (!strategy) return;
  static const std::vector<std::string> kTypes = {"LeastAllocated", "MostAllocated",
                                                  "RequestedToCapacityRatio"};
  auto type = strategy->one_of("type", kTypes, /*required=*/true);
  if (type == "MostAllocated") out.type = ScoringStrategyType::kMostAllocated;
  if (type == "RequestedToCapacityRatio") out.type = ScoringStrategyType::kRequestedToCapacityRatio;
  auto resources = read_resources(*strategy, /*weight_must_be_one=*/false);
  if (!resources.empty()) out.resources = std::move(resources);
  const bool has_ratio = strategy->has("requestedToCapacityRatio");
  auto ratio = strategy->map("requestedToCapacityRatio");
  if (type == "RequestedToCapacityRatio") {
    if (!has_ratio) {
      strategy->error("requestedToCapacityRatio",
                      "must be specified when type is RequestedToCapacityRatio",
                      "give a shape, e.g. {shape: [{utilization: 0, score: 0}, "
                      "{utilization: 100, score: 10}]}");
    } else if (ratio) {
      out.shape = read_shape(*ratio);
      ratio->finish();
    }
  } else if (has_ratio) {
    strategy->error("requestedToCapacityRatio",
                    "must not be set when type is not RequestedToCapacityRatio");
    if (ratio) {
      read_shape(*ratio);
      ratio->finish();
    }
  }
  strategy->finish();
}

void read_pod_topology_spread(FieldReader& args, PodTopologySpreadArgs& out) {
  static const std::vector<std::string> kActions = {"DoNotSchedule", "ScheduleAnyway"};
  static const std::vector<std::string> kPolicies = {"Honor", "Ignore"};
  if (auto constraints = args.list_of_maps("defaultConstraints")) {
    for (auto& c : *constraints) {
      DefaultTopologySpreadConstraint dc;
      if (auto v = c.integer("maxSkew", 1, std::numeric_limits<std::int32_t>::max(), true)) {
        dc.max_skew = *v;
      }
      if (auto v = c.string("topologyKey", true)) {
        if (!is_label_name(*v)) c.error("topologyKey", "\"" + *v + "\" is not a valid label key");
        dc.topology_key = *v;
      }
      if (auto v = c.one_of("whenUnsatisfiable", kActions, true)) dc.when_unsatisfiable = *v;
      dc.min_domains = c.integer("minDomains", 1, std::numeric_limits<std::int32_t>::max());
      if (auto v = c.one_of("nodeAffinityPolicy", kPolicies)) dc.node_affinity_policy = *v;
      if (auto v = c.one_of("nodeTaintsPolicy", kPolicies)) dc.node_taints_policy = *v;
      dc.match_label_keys = c.string_list("matchLabelKeys");
      if (c.raw("labelSelector")) {
        c.error("labelSelector",
                "constraint must not define a selector, as it is deduced for each pod");
      }
      c.finish();
      for (const auto& other : out.default_constraints) {
        if (other.topology_key == dc.topology_key &&
            other.when_unsatisfiable == dc.when_unsatisfiable) {
          c.error_here("duplicate constraint {" + dc.topology_key + ", " + dc.when_unsatisfiable +
                       "}");
        }
      }
      out.default_constraints.push_back(std::move(dc));
    }
  }
  auto type = args.one_of("defaultingType", {"System", "List"});
  out.defaulting_type =
      type == "List" ? TopologySpreadDefaulting::kList : TopologySpreadDefaulting::kSystem;
  if (out.defaulting_type == TopologySpreadDefaulting::kSystem &&
      !out.default_constraints.empty()) {
    args.error(args.has("defaultingType") ? "defaultingType" : "defaultConstraints",
               "defaultingType System does not allow defaultConstraints",
               "set defaultingType: List (System is the default when omitted)");
  }
}

void read_default_preemption(FieldReader& args, DefaultPreemptionArgs& out) {
  if (auto v = args.integer("minCandidateNodesPercentage", 0, 100)) {
    out.min_candidate_nodes_percentage = *v;
  }
  if (auto v =
          args.integer("minCandidateNodesAbsolute", 0, std::numeric_limits<std::int32_t>::max())) {
    out.min_candidate_nodes_absolute = *v;
  }
  if (out.min_candidate_nodes_percentage == 0 && out.min_candidate_nodes_absolute == 0) {
    args.error("minCandidateNodesPercentage",
               "cannot be zero at the same time as minCandidateNodesAbsolute");
  }
}

void read_not_supported(FieldReader& args, std::string_view key) {
  if (args.raw(key)) {
    args.error(key, "is not supported by kubesim yet",
               "remove it; kubesim would otherwise schedule differently from your cluster");
  }
}

// Reads one pluginConfig entry into `out`; `seen` holds the names of the earlier entries.
void read_plugin_config(FieldReader& entry, std::set<std::string>& seen, PluginArgs& out) {
  auto name = entry.string("name", /*required=*/true);
  if (!name) {
    entry.raw("args");
    entry.finish();
    return;
  }
  if (!seen.insert(*name).second) {
    entry.error("name", "plugin \"" + *name + "\" already has a pluginConfig entry");
  }
  if (!contains(kPluginsWithArgs, *name)) {
    if (find_plugin(*name)) {
      entry.error("name", "plugin \"" + *name + "\" takes no args");
    } else {
      check_plugin_name(entry, *name);
    }
    entry.raw("args");
    entry.finish();
    return;
  }
  auto args = entry.map("args");
  entry.finish();
  if (!args) return;
  check_args_type(*args, *name);
  if (*name == "NodeResourcesFit") {
    read_node_resources_fit(*args, out.node_resources_fit);
  } else if (*name == "NodeResourcesBalancedAllocation") {
    auto resources = read_resources(*args, /*weight_must_be_one=*/true);
    if (!resources.empty()) out.node_resources_balanced_allocation.resources = resources;
  } else if (*name == "InterPodAffinity") {
    if (auto v = args->integer("hardPodAffinityWeight", 0, 100)) {
      out.inter_pod_affinity.hard_pod_affinity_weight = *v;
    }
  } else if (*name == "PodTopologySpread") {
    read_pod_topology_spread(*args, out.pod_topology_spread);
  } else if (*name == "DefaultPreemption") {
    read_default_preemption(*args, out.default_preemption);
  } else if (*name == "NodeAffinity") {
    read_not_supported(*args, "addedAffinity");
  } else if (*name == "VolumeBinding") {
    if (auto v = args->integer("bindTimeoutSeconds", 0, std::numeric_limits<std::int64_t>::max())) {
      out.volume_binding.bind_timeout_seconds = *v;
    }
    read_not_supported(*args, "shape");
  } else if (*name == "DynamicResources") {
    read_not_supported(*args, "filterTimeout");
    read_not_supported(*args, "bindingTimeout");
  }
  args->finish();
}

std::optional<SchedulerProfile> read_profile(FieldReader& r, bool single) {
  const std::size_t before = r.diagnostics()->size();
  SchedulerProfile profile;
  if (auto name = r.string("schedulerName", /*required=*/!single)) {
    if (name->empty()) r.error("schedulerName", "must not be empty");
    profile.scheduler_name = *name;
  }
  profile.percentage_of_nodes_to_score = r.integer("percentageOfNodesToScore", 0, 100);
  UserPlugins user;
  if (auto plugins = r.map("plugins")) user = read_plugins(*plugins);
  if (auto configs = r.list_of_maps("pluginConfig")) {
    std::set<std::string> seen;
    for (auto& entry : *configs) read_plugin_config(entry, seen, profile.args);
  }
  expand(user, profile);
  // upstream: framework.go, NewFramework: exactly one QueueSort and at least one Bind plugin.
  if (profile.at(EP::kQueueSort).size() != 1) {
    r.error("plugins",
            "exactly one queueSort plugin must be enabled, got " +
                std::to_string(profile.at(EP::kQueueSort).size()),
            "PrioritySort is the only in-tree one");
  }
  if (profile.at(EP::kBind).empty()) {
    r.error("plugins", "at least one bind plugin must be enabled", "enable DefaultBinder");
  }
  r.finish();
  if (r.diagnostics()->size() != before) return std::nullopt;
  return profile;
}

}  // namespace

}  // namespace kubesim::scenarios

namespace kubesim::scenarios {

SchedulerConfig default_scheduler_config() {
  SchedulerConfig config;
  SchedulerProfile profile;
  expand(UserPlugins{}, profile);
  config.profiles.push_back(std::move(profile));
  return config;
}

const std::vector<std::string>& gpu_policy_names() {
  static const std::vector<std::string> names = {"FGD",           "BestFit",    "DotProduct",
                                                 "GpuPacking",    "GpuClustering", "Random",
                                                 "default"};
  return names;
}

SchedulerConfig gpu_policy_scheduler_config(std::string_view policy) {
  using EP = policies::ExtensionPoint;
  SchedulerConfig config = default_scheduler_config();
  SchedulerProfile& profile = config.profiles.front();
  auto at = [&profile](EP point) -> std::vector<std::string>& {
    return profile.plugins[static_cast<std::size_t>(point)];
  };
  if (policy == "default") {
    at(EP::kFilter).push_back("GpuShare");
    at(EP::kReserve).push_back("GpuShare");
    return config;
  }
  const std::string name(policy);
  at(EP::kPreFilter) = {"NodeAffinity", "NodePorts", "NodeResourcesFit"};
  at(EP::kFilter) = {"NodeUnschedulable", "NodeName",         "TaintToleration", "NodeAffinity",
                     "NodePorts",         "NodeResourcesFit", name};
  at(EP::kPostFilter).clear();
  at(EP::kPreScore).clear();
  at(EP::kScore) = {name};
  at(EP::kReserve) = {name};
  at(EP::kPreEnqueue).clear();
  profile.score_weights.clear();
  profile.score_weights[name] = 1;
  config.percentage_of_nodes_to_score = 100;
  return config;
}

std::optional<SchedulerConfig> read_scheduler_config(const YAML::Node& doc, const std::string& file,
                                                     Diagnostics& diagnostics) {
  const std::size_t before = diagnostics.size();
  FieldReader r(doc, "", file, &diagnostics);
  if (!r.expect_map()) return std::nullopt;

  if (auto api = r.string("apiVersion", /*required=*/true); api && *api != kApiVersion) {
    std::string hint = "kubesim reads " + std::string(kApiVersion);
    if (api->rfind("kubescheduler.config.k8s.io/", 0) == 0) {
      hint = "the beta versions were removed (v1beta3 in v1.29); write apiVersion: " +
             std::string(kApiVersion) + ", whose fields are the same as v1beta3";
    }
    r.error("apiVersion", "unsupported apiVersion \"" + *api + "\"", hint);
  }
  if (auto kind = r.string("kind", /*required=*/true); kind && *kind != kKind) {
    r.error("kind", "expected kind " + std::string(kKind) + ", got \"" + *kind + "\"");
  }

  SchedulerConfig config;
  if (auto v = r.integer("parallelism", 1, std::numeric_limits<std::int32_t>::max())) {
    config.parallelism = *v;
  }
  if (auto v = r.integer("percentageOfNodesToScore", 0, 100)) {
    config.percentage_of_nodes_to_score = *v;
  }
  if (auto v = r.integer("podInitialBackoffSeconds", 1, std::numeric_limits<std::int64_t>::max())) {
    config.pod_initial_backoff_seconds = *v;
  }
  if (auto v = r.integer("podMaxBackoffSeconds", 0, std::numeric_limits<std::int64_t>::max())) {
    config.pod_max_backoff_seconds = *v;
  }
  if (config.pod_max_backoff_seconds < config.pod_initial_backoff_seconds) {
    r.error(r.has("podMaxBackoffSeconds") ? "podMaxBackoffSeconds" : "podInitialBackoffSeconds",
            "podMaxBackoffSeconds (" + std::to_string(config.pod_max_backoff_seconds) +
                ") must be at least podInitialBackoffSeconds (" +
                std::to_string(config.pod_initial_backoff_seconds) + ")");
  }
  if (auto extenders = r.raw("extenders"); extenders && extenders->size() > 0) {
    r.error("extenders", "scheduler extenders are not supported by kubesim",
            "remove them; kubesim cannot call out to an HTTP extender");
  }
  // Settings of the real process with no bearing on scheduling decisions.
  for (std::string_view key :
       {"leaderElection", "clientConnection", "healthzBindAddress", "metricsBindAddress",
        "enableProfiling", "enableContentionProfiling", "delayCacheUntilActive"}) {
    r.raw(key);
  }

  if (auto profiles = r.list_of_maps("profiles"); profiles && !profiles->empty()) {
    const bool single = r.node()["profiles"].size() == 1;
    std::map<std::string, std::string> names;  // schedulerName -> path of its profile
    std::optional<std::vector<std::string>> queue_sort;
    for (FieldReader& p : *profiles) {
      auto profile = read_profile(p, single);
      if (!profile) continue;
      auto [it, inserted] = names.emplace(profile->scheduler_name, p.path());
      if (!inserted) {
        p.error("schedulerName", "duplicate schedulerName \"" + profile->scheduler_name + "\"",
                "already used by " + it->second + "; every profile needs its own name");
      }
      if (!queue_sort) {
        queue_sort = profile->at(EP::kQueueSort);
      } else if (*queue_sort != profile->at(EP::kQueueSort)) {
        p.error("plugins", "queueSort must be the same for all profiles");
      }
      config.profiles.push_back(std::move(*profile));
    }
  } else {
    config.profiles = default_scheduler_config().profiles;
  }
  r.finish();
  if (diagnostics.size() != before) return std::nullopt;
  return config;
}

}  // namespace kubesim::scenarios
