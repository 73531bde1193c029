// Tests of scenarios/scheduler_config.hpp: upstream v1.34 defaulting and MultiPoint expansion of
// KubeSchedulerConfiguration, pasted real-world configurations, and one located diagnostic per
// kind of invalid input.
//
// Expected plugin lists come from upstream, not from our table: the MultiPoint order and
// weights of pkg/scheduler/apis/config/v1/default_plugins.go (getDefaultPlugins, with
// DynamicResources before DefaultPreemption), expanded as
// pkg/scheduler/apis/config/testing/defaults/defaults.go (ExpandedPluginsV1) lists them, with the
// v1.34 changes: EBSLimits, GCEPDLimits and AzureDiskLimits gone, DynamicResources GA (PreEnqueue,
// PreFilter, Filter, PostFilter, Reserve, PreBind) and DefaultPreemption's PreEnqueue.
#include "scenarios/scheduler_config.hpp"

#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

namespace kubesim::scenarios {
namespace {

using EP = ExtensionPoint;
using Names = std::vector<std::string>;
using Weights = std::map<std::string, std::int64_t>;

struct Read {
  std::optional<SchedulerConfig> config;
  Diagnostics diagnostics;
};

Read read(const std::string& yaml) {
  Read r;
  r.config = read_scheduler_config(YAML::Load(yaml), "sched.yaml", r.diagnostics);
  return r;
}

// Reads a valid configuration; fails the test with the diagnostics otherwise.
SchedulerConfig read_ok(const std::string& yaml) {
  Read r = read(yaml);
  INFO(r.diagnostics.format());
  REQUIRE(r.config.has_value());
  REQUIRE(r.diagnostics.empty());
  return *r.config;
}

// Reads an invalid configuration that must give exactly one diagnostic.
Diagnostic read_one_error(const std::string& yaml) {
  Read r = read(yaml);
  INFO(r.diagnostics.format());
  CHECK_FALSE(r.config.has_value());
  REQUIRE(r.diagnostics.size() == 1);
  return r.diagnostics.items()[0];
}

const std::string kHeader =
    "apiVersion: kubescheduler.config.k8s.io/v1\n"
    "kind: KubeSchedulerConfiguration\n";

// ExpandedPluginsV1 at v1.34.
const Names kPreEnqueue = {"SchedulingGates", "DynamicResources", "DefaultPreemption"};
const Names kQueueSort = {"PrioritySort"};
const Names kPreFilter = {
    "NodeAffinity",  "NodePorts",  "NodeResourcesFit",  "VolumeRestrictions", "NodeVolumeLimits",
    "VolumeBinding", "VolumeZone", "PodTopologySpread", "InterPodAffinity",   "DynamicResources"};
const Names kFilter = {
    "NodeUnschedulable", "NodeName",           "TaintToleration",  "NodeAffinity",  "NodePorts",
    "NodeResourcesFit",  "VolumeRestrictions", "NodeVolumeLimits", "VolumeBinding", "VolumeZone",
    "PodTopologySpread", "InterPodAffinity",   "DynamicResources"};
const Names kPostFilter = {"DynamicResources", "DefaultPreemption"};
const Names kPreScore = {"TaintToleration",
                         "NodeAffinity",
                         "NodeResourcesFit",
                         "VolumeBinding",
                         "PodTopologySpread",
                         "InterPodAffinity",
                         "NodeResourcesBalancedAllocation"};
const Names kScore = {"TaintToleration",
                      "NodeAffinity",
                      "NodeResourcesFit",
                      "VolumeBinding",
                      "PodTopologySpread",
                      "InterPodAffinity",
                      "NodeResourcesBalancedAllocation",
                      "ImageLocality"};
const Weights kScoreWeights = {{"TaintToleration", 3},
                               {"NodeAffinity", 2},
                               {"NodeResourcesFit", 1},
                               {"VolumeBinding", 1},
                               {"PodTopologySpread", 2},
                               {"InterPodAffinity", 2},
                               {"NodeResourcesBalancedAllocation", 1},
                               {"ImageLocality", 1}};

void check_default_plugins(const SchedulerProfile& p) {
  CHECK(p.at(EP::kPreEnqueue) == kPreEnqueue);
  CHECK(p.at(EP::kQueueSort) == kQueueSort);
  CHECK(p.at(EP::kPreFilter) == kPreFilter);
  CHECK(p.at(EP::kFilter) == kFilter);
  CHECK(p.at(EP::kPostFilter) == kPostFilter);
  CHECK(p.at(EP::kPreScore) == kPreScore);
  CHECK(p.at(EP::kScore) == kScore);
  CHECK(p.at(EP::kReserve) == Names{"VolumeBinding", "DynamicResources"});
  CHECK(p.at(EP::kPermit).empty());
  CHECK(p.at(EP::kPreBind) == Names{"VolumeBinding", "DynamicResources"});
  CHECK(p.at(EP::kBind) == Names{"DefaultBinder"});
  CHECK(p.at(EP::kPostBind).empty());
  CHECK(p.score_weights == kScoreWeights);
}

TEST_CASE("the default profile has upstream v1.34's plugins, order and weights",
          "[scheduler_config]") {
  const SchedulerConfig config = default_scheduler_config();
  CHECK(config.parallelism == 16);
  CHECK(config.percentage_of_nodes_to_score == 0);
  CHECK(config.pod_initial_backoff_seconds == 1);
  CHECK(config.pod_max_backoff_seconds == 10);
  REQUIRE(config.profiles.size() == 1);
  const SchedulerProfile& p = config.profiles[0];
  CHECK(p.scheduler_name == "default-scheduler");
  CHECK_FALSE(p.percentage_of_nodes_to_score.has_value());
  check_default_plugins(p);

  SECTION("the non-Score weights sum to 1200 as in the reference; VolumeBinding adds 100") {
    std::int64_t max_total = 0;
    for (const auto& [name, weight] : p.score_weights) max_total += 100 * weight;
    CHECK(max_total == 1300);
  }
  SECTION("plugin args are defaulted as defaults.go does") {
    const PluginArgs& a = p.args;
    CHECK(a.node_resources_fit.type == ScoringStrategyType::kLeastAllocated);
    CHECK(a.node_resources_fit.resources == std::vector<ResourceWeight>{{"cpu", 1}, {"memory", 1}});
    CHECK(a.node_resources_fit.shape.empty());
    CHECK(a.node_resources_balanced_allocation.resources ==
          std::vector<ResourceWeight>{{"cpu", 1}, {"memory", 1}});
    CHECK(a.inter_pod_affinity.hard_pod_affinity_weight == 1);
    CHECK(a.pod_topology_spread.defaulting_type == TopologySpreadDefaulting::kSystem);
    CHECK(a.pod_topology_spread.default_constraints.empty());
    CHECK(a.default_preemption.min_candidate_nodes_percentage == 10);
    CHECK(a.default_preemption.min_candidate_nodes_absolute == 100);
    CHECK(a.volume_binding.bind_timeout_seconds == 600);
  }
}

TEST_CASE("a configuration without profiles gets the default profile", "[scheduler_config]") {
  const SchedulerConfig config = read_ok(kHeader +
                                         "parallelism: 8\n"
                                         "percentageOfNodesToScore: 50\n"
                                         "podInitialBackoffSeconds: 2\n"
                                         "podMaxBackoffSeconds: 30\n"
                                         "leaderElection:\n"
                                         "  leaderElect: false\n");
  CHECK(config.parallelism == 8);
  CHECK(config.percentage_of_nodes_to_score == 50);
  CHECK(config.pod_initial_backoff_seconds == 2);
  CHECK(config.pod_max_backoff_seconds == 30);
  REQUIRE(config.profiles.size() == 1);
  CHECK(config.profiles[0].scheduler_name == "default-scheduler");
  check_default_plugins(config.profiles[0]);
}

TEST_CASE("the Resource Bin Packing MostAllocated example parses with a GPU weight",
          "[scheduler_config]") {
  // kubernetes.io/docs/concepts/scheduling-eviction/resource-bin-packing/, "Enabling bin
  // packing using MostAllocated strategy", with nvidia.com/gpu in place of intel.com/foo.
  const SchedulerConfig config = read_ok(kHeader +
                                         "profiles:\n"
                                         "- pluginConfig:\n"
                                         "  - args:\n"
                                         "      scoringStrategy:\n"
                                         "        resources:\n"
                                         "        - name: cpu\n"
                                         "          weight: 1\n"
                                         "        - name: memory\n"
                                         "          weight: 1\n"
                                         "        - name: nvidia.com/gpu\n"
                                         "          weight: 5\n"
                                         "        type: MostAllocated\n"
                                         "    name: NodeResourcesFit\n");
  REQUIRE(config.profiles.size() == 1);
  const SchedulerProfile& p = config.profiles[0];
  CHECK(p.scheduler_name == "default-scheduler");
  CHECK(p.args.node_resources_fit.type == ScoringStrategyType::kMostAllocated);
  CHECK(p.args.node_resources_fit.resources ==
        std::vector<ResourceWeight>{{"cpu", 1}, {"memory", 1}, {"nvidia.com/gpu", 5}});
  // pluginConfig alone leaves the plugin sets at their defaults.
  check_default_plugins(p);
}

TEST_CASE("the RequestedToCapacityRatio example keeps its shape and defaults weights",
          "[scheduler_config]") {
  // Same page, "Enabling bin packing using RequestedToCapacityRatio" (weights omitted here to
  // check that an unset weight becomes 1, as defaults.go does).
  const SchedulerConfig config = read_ok(kHeader +
                                         "profiles:\n"
                                         "- pluginConfig:\n"
                                         "  - args:\n"
                                         "      apiVersion: kubescheduler.config.k8s.io/v1\n"
                                         "      kind: NodeResourcesFitArgs\n"
                                         "      scoringStrategy:\n"
                                         "        resources:\n"
                                         "        - name: nvidia.com/gpu\n"
                                         "          weight: 3\n"
                                         "        - name: example.com/bar\n"
                                         "        requestedToCapacityRatio:\n"
                                         "          shape:\n"
                                         "          - utilization: 0\n"
                                         "            score: 0\n"
                                         "          - utilization: 100\n"
                                         "            score: 10\n"
                                         "        type: RequestedToCapacityRatio\n"
                                         "    name: NodeResourcesFit\n");
  const NodeResourcesFitArgs& fit = config.profiles.at(0).args.node_resources_fit;
  CHECK(fit.type == ScoringStrategyType::kRequestedToCapacityRatio);
  CHECK(fit.resources ==
        std::vector<ResourceWeight>{{"nvidia.com/gpu", 3}, {"example.com/bar", 1}});
  REQUIRE(fit.shape.size() == 2);
  CHECK(fit.shape[0].utilization == 0);
  CHECK(fit.shape[0].score == 0);
  CHECK(fit.shape[1].utilization == 100);
  CHECK(fit.shape[1].score == 10);
}

TEST_CASE("disabling \"*\" at score and enabling one plugin leaves only that scorer",
          "[scheduler_config]") {
  const SchedulerConfig config = read_ok(kHeader +
                                         "profiles:\n"
                                         "- schedulerName: bin-packer\n"
                                         "  plugins:\n"
                                         "    score:\n"
                                         "      disabled:\n"
                                         "      - name: '*'\n"
                                         "      enabled:\n"
                                         "      - name: NodeResourcesFit\n"
                                         "        weight: 10\n");
  const SchedulerProfile& p = config.profiles.at(0);
  CHECK(p.scheduler_name == "bin-packer");
  CHECK(p.at(EP::kScore) == Names{"NodeResourcesFit"});
  CHECK(p.score_weights == Weights{{"NodeResourcesFit", 10}});
  // Only the score point changed: PreScore still runs every default PreScore plugin, as
  // upstream does (disabling at score does not disable at preScore).
  CHECK(p.at(EP::kPreScore) == kPreScore);
  CHECK(p.at(EP::kFilter) == kFilter);
}

TEST_CASE("re-enabling a default Score plugin with a weight overrides it and moves it first",
          "[scheduler_config]") {
  // upstream: framework.go, expandMultiPointPlugins puts plugins re-configured at the point
  // before the MultiPoint ones; getScoreWeights lets the point's weight win.
  const SchedulerConfig config = read_ok(kHeader +
                                         "profiles:\n"
                                         "- plugins:\n"
                                         "    score:\n"
                                         "      enabled:\n"
                                         "      - name: ImageLocality\n"
                                         "        weight: 7\n"
                                         "      disabled:\n"
                                         "      - name: VolumeBinding\n");
  const SchedulerProfile& p = config.profiles.at(0);
  CHECK(p.at(EP::kScore) == Names{"ImageLocality", "TaintToleration", "NodeAffinity",
                                  "NodeResourcesFit", "PodTopologySpread", "InterPodAffinity",
                                  "NodeResourcesBalancedAllocation"});
  Weights expected = kScoreWeights;
  expected.erase("VolumeBinding");
  expected["ImageLocality"] = 7;
  CHECK(p.score_weights == expected);
  // VolumeBinding stays at its other points.
  CHECK(p.at(EP::kReserve) == Names{"VolumeBinding", "DynamicResources"});
}

TEST_CASE("re-enabling a default Score plugin without a weight resets it to 1",
          "[scheduler_config]") {
  // upstream: getScoreWeights takes the Score entry first even when its weight is unset, so
  // TaintToleration loses its default 3.
  const SchedulerConfig config = read_ok(kHeader +
                                         "profiles:\n"
                                         "- plugins:\n"
                                         "    score:\n"
                                         "      enabled:\n"
                                         "      - name: TaintToleration\n");
  const SchedulerProfile& p = config.profiles.at(0);
  CHECK(p.at(EP::kScore) == kScore);
  CHECK(p.score_weights.at("TaintToleration") == 1);
  CHECK(p.score_weights.at("NodeAffinity") == 2);
}

TEST_CASE("multiPoint expands a plugin to every point it implements", "[scheduler_config]") {
  SECTION("a minimal profile from scratch") {
    const SchedulerConfig config = read_ok(kHeader +
                                           "profiles:\n"
                                           "- plugins:\n"
                                           "    multiPoint:\n"
                                           "      disabled:\n"
                                           "      - name: '*'\n"
                                           "      enabled:\n"
                                           "      - name: PrioritySort\n"
                                           "      - name: NodeResourcesFit\n"
                                           "        weight: 4\n"
                                           "      - name: TaintToleration\n"
                                           "      - name: DefaultBinder\n");
    const SchedulerProfile& p = config.profiles.at(0);
    CHECK(p.at(EP::kPreEnqueue).empty());
    CHECK(p.at(EP::kQueueSort) == Names{"PrioritySort"});
    CHECK(p.at(EP::kPreFilter) == Names{"NodeResourcesFit"});
    CHECK(p.at(EP::kFilter) == Names{"NodeResourcesFit", "TaintToleration"});
    CHECK(p.at(EP::kPostFilter).empty());
    CHECK(p.at(EP::kPreScore) == Names{"NodeResourcesFit", "TaintToleration"});
    CHECK(p.at(EP::kScore) == Names{"NodeResourcesFit", "TaintToleration"});
    // TaintToleration had weight 3 as a default, but "*" dropped the defaults: unset means 1.
    CHECK(p.score_weights == Weights{{"NodeResourcesFit", 4}, {"TaintToleration", 1}});
    CHECK(p.at(EP::kBind) == Names{"DefaultBinder"});
  }
  SECTION("a multiPoint weight replaces the default weight in place") {
    const SchedulerConfig config = read_ok(kHeader +
                                           "profiles:\n"
                                           "- plugins:\n"
                                           "    multiPoint:\n"
                                           "      enabled:\n"
                                           "      - name: PodTopologySpread\n"
                                           "        weight: 9\n");
    const SchedulerProfile& p = config.profiles.at(0);
    CHECK(p.at(EP::kScore) == kScore);
    CHECK(p.score_weights.at("PodTopologySpread") == 9);
    CHECK(p.score_weights.at("TaintToleration") == 3);
  }
  SECTION("disabling at one point keeps the plugin at its other points") {
    const SchedulerConfig config = read_ok(kHeader +
                                           "profiles:\n"
                                           "- plugins:\n"
                                           "    filter:\n"
                                           "      disabled:\n"
                                           "      - name: NodeAffinity\n");
    const SchedulerProfile& p = config.profiles.at(0);
    Names filter = kFilter;
    filter.erase(filter.begin() + 3);
    CHECK(p.at(EP::kFilter) == filter);
    CHECK(p.at(EP::kPreFilter) == kPreFilter);
    CHECK(p.score_weights.at("NodeAffinity") == 2);
  }
}

TEST_CASE("two profiles with different schedulerNames are read independently",
          "[scheduler_config]") {
  const SchedulerConfig config = read_ok(kHeader +
                                         "percentageOfNodesToScore: 30\n"
                                         "profiles:\n"
                                         "- schedulerName: default-scheduler\n"
                                         "- schedulerName: gpu-packer\n"
                                         "  percentageOfNodesToScore: 100\n"
                                         "  plugins:\n"
                                         "    score:\n"
                                         "      disabled:\n"
                                         "      - name: NodeResourcesBalancedAllocation\n"
                                         "  pluginConfig:\n"
                                         "  - name: NodeResourcesFit\n"
                                         "    args:\n"
                                         "      scoringStrategy:\n"
                                         "        type: MostAllocated\n"
                                         "        resources:\n"
                                         "        - name: nvidia.com/gpu\n"
                                         "          weight: 5\n"
                                         "  - name: PodTopologySpread\n"
                                         "    args:\n"
                                         "      defaultingType: List\n"
                                         "      defaultConstraints:\n"
                                         "      - maxSkew: 1\n"
                                         "        topologyKey: topology.kubernetes.io/zone\n"
                                         "        whenUnsatisfiable: ScheduleAnyway\n"
                                         "  - name: DefaultPreemption\n"
                                         "    args:\n"
                                         "      minCandidateNodesPercentage: 0\n"
                                         "      minCandidateNodesAbsolute: 20\n");
  CHECK(config.percentage_of_nodes_to_score == 30);
  REQUIRE(config.profiles.size() == 2);
  const SchedulerProfile& a = config.profiles[0];
  const SchedulerProfile& b = config.profiles[1];
  CHECK(a.scheduler_name == "default-scheduler");
  CHECK_FALSE(a.percentage_of_nodes_to_score.has_value());
  check_default_plugins(a);
  CHECK(a.args.node_resources_fit.type == ScoringStrategyType::kLeastAllocated);

  CHECK(b.scheduler_name == "gpu-packer");
  CHECK(b.percentage_of_nodes_to_score == 100);
  CHECK_FALSE(b.score_weights.count("NodeResourcesBalancedAllocation"));
  CHECK(b.at(EP::kScore).size() == kScore.size() - 1);
  CHECK(b.args.node_resources_fit.type == ScoringStrategyType::kMostAllocated);
  CHECK(b.args.node_resources_fit.resources == std::vector<ResourceWeight>{{"nvidia.com/gpu", 5}});
  CHECK(b.args.pod_topology_spread.defaulting_type == TopologySpreadDefaulting::kList);
  REQUIRE(b.args.pod_topology_spread.default_constraints.size() == 1);
  const auto& c = b.args.pod_topology_spread.default_constraints[0];
  CHECK(c.max_skew == 1);
  CHECK(c.topology_key == "topology.kubernetes.io/zone");
  CHECK(c.when_unsatisfiable == "ScheduleAnyway");
  CHECK(b.args.default_preemption.min_candidate_nodes_percentage == 0);
  CHECK(b.args.default_preemption.min_candidate_nodes_absolute == 20);
}

TEST_CASE("every invalid configuration is reported at its line and column", "[scheduler_config]") {
  SECTION("an unknown plugin, with a did-you-mean") {
    const Diagnostic d = read_one_error(kHeader +
                                        "profiles:\n"
                                        "- plugins:\n"
                                        "    score:\n"
                                        "      enabled:\n"
                                        "      - name: NodeResourceFit\n");
    CHECK(d.file == "sched.yaml");
    CHECK(d.line == 7);
    CHECK(d.column == 15);
    CHECK(d.path == "profiles[0].plugins.score.enabled[0].name");
    CHECK(d.message == "unknown plugin \"NodeResourceFit\"");
    CHECK(d.hint == "did you mean 'NodeResourcesFit'?");
  }
  SECTION("an out-of-tree plugin") {
    const Diagnostic d = read_one_error(kHeader +
                                        "profiles:\n"
                                        "- plugins:\n"
                                        "    multiPoint:\n"
                                        "      enabled:\n"
                                        "      - name: CapacityScheduling\n");
    CHECK(d.line == 7);
    CHECK(d.message == "unknown plugin \"CapacityScheduling\"");
    CHECK(d.hint == "kubesim simulates the in-tree plugins of kube-scheduler v1.34 only");
  }
  SECTION("a plugin removed from v1") {
    const Diagnostic d = read_one_error(kHeader +
                                        "profiles:\n"
                                        "- plugins:\n"
                                        "    filter:\n"
                                        "      disabled:\n"
                                        "      - name: EBSLimits\n");
    CHECK(d.line == 7);
    CHECK(d.column == 15);
    CHECK(d.message == "plugin \"EBSLimits\" was removed from kube-scheduler");
  }
  SECTION("a plugin enabled at a point it does not implement") {
    const Diagnostic d = read_one_error(kHeader +
                                        "profiles:\n"
                                        "- plugins:\n"
                                        "    score:\n"
                                        "      enabled:\n"
                                        "      - name: NodePorts\n");
    CHECK(d.line == 7);
    CHECK(d.message == "plugin \"NodePorts\" does not implement score");
  }
  SECTION("score weights outside 1..100") {
    Diagnostic d = read_one_error(kHeader +
                                  "profiles:\n"
                                  "- plugins:\n"
                                  "    score:\n"
                                  "      enabled:\n"
                                  "      - name: ImageLocality\n"
                                  "        weight: 101\n");
    CHECK(d.line == 8);
    CHECK(d.column == 17);
    CHECK(d.path == "profiles[0].plugins.score.enabled[0].weight");
    CHECK(d.message == "must be between 1 and 100, got 101");

    d = read_one_error(kHeader +
                       "profiles:\n"
                       "- plugins:\n"
                       "    multiPoint:\n"
                       "      enabled:\n"
                       "      - name: ImageLocality\n"
                       "        weight: 0\n");
    CHECK(d.line == 8);
    CHECK(d.column == 17);
    CHECK(d.message == "must be between 1 and 100, got 0");
    CHECK(d.hint.find("disabled") != std::string::npos);
  }
  SECTION("a duplicate schedulerName") {
    const Diagnostic d = read_one_error(kHeader +
                                        "profiles:\n"
                                        "- schedulerName: batch\n"
                                        "- schedulerName: batch\n");
    CHECK(d.line == 5);
    CHECK(d.column == 18);
    CHECK(d.path == "profiles[1].schedulerName");
    CHECK(d.message == "duplicate schedulerName \"batch\"");
    CHECK(d.hint == "already used by profiles[0]; every profile needs its own name");
  }
  SECTION("a missing schedulerName when there are several profiles") {
    const Diagnostic d = read_one_error(kHeader +
                                        "profiles:\n"
                                        "- schedulerName: a\n"
                                        "- percentageOfNodesToScore: 10\n");
    CHECK(d.line == 5);
    CHECK(d.column == 3);
    CHECK(d.path == "profiles[1].schedulerName");
  }
  SECTION("an unknown scoring strategy type") {
    const Diagnostic d = read_one_error(kHeader +
                                        "profiles:\n"
                                        "- pluginConfig:\n"
                                        "  - name: NodeResourcesFit\n"
                                        "    args:\n"
                                        "      scoringStrategy:\n"
                                        "        type: MostAlocated\n");
    CHECK(d.line == 8);
    CHECK(d.column == 15);
    CHECK(d.path == "profiles[0].pluginConfig[0].args.scoringStrategy.type");
    CHECK(d.message ==
          "\"MostAlocated\" is not one of LeastAllocated, MostAllocated, "
          "RequestedToCapacityRatio");
    CHECK(d.hint == "did you mean 'MostAllocated'?");
  }
  SECTION("bad shape points") {
    const std::string prefix = kHeader +
                               "profiles:\n"
                               "- pluginConfig:\n"
                               "  - name: NodeResourcesFit\n"
                               "    args:\n"
                               "      scoringStrategy:\n"
                               "        type: RequestedToCapacityRatio\n"
                               "        requestedToCapacityRatio:\n"
                               "          shape:\n"
                               "          - {utilization: 50, score: 2}\n";
    Diagnostic d = read_one_error(prefix + "          - {utilization: 50, score: 8}\n");
    CHECK(d.line == 12);
    CHECK(d.column == 27);
    CHECK(d.path ==
          "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio.shape[1]"
          ".utilization");
    CHECK(d.message == "values must be sorted in increasing order, got 50 after 50");

    d = read_one_error(prefix + "          - {utilization: 90, score: 11}\n");
    CHECK(d.line == 12);
    CHECK(d.column == 38);
    CHECK(d.message == "must be between 0 and 10, got 11");

    d = read_one_error(prefix + "          - {utilization: 101, score: 9}\n");
    CHECK(d.line == 12);
    CHECK(d.column == 27);
    CHECK(d.message == "must be between 0 and 100, got 101");
  }
  SECTION("RequestedToCapacityRatio without its shape") {
    const Diagnostic d = read_one_error(kHeader +
                                        "profiles:\n"
                                        "- pluginConfig:\n"
                                        "  - name: NodeResourcesFit\n"
                                        "    args:\n"
                                        "      scoringStrategy:\n"
                                        "        type: RequestedToCapacityRatio\n");
    CHECK(d.line == 8);
    CHECK(d.column == 9);
    CHECK(d.message == "must be specified when type is RequestedToCapacityRatio");
  }
  SECTION("the beta apiVersion, with a hint") {
    const Diagnostic d = read_one_error(
        "apiVersion: kubescheduler.config.k8s.io/v1beta3\n"
        "kind: KubeSchedulerConfiguration\n");
    CHECK(d.line == 1);
    CHECK(d.column == 13);
    CHECK(d.path == "apiVersion");
    CHECK(d.message == "unsupported apiVersion \"kubescheduler.config.k8s.io/v1beta3\"");
    CHECK(d.hint.find("write apiVersion: kubescheduler.config.k8s.io/v1") != std::string::npos);
  }
  SECTION("a wrong kind") {
    const Diagnostic d = read_one_error(
        "apiVersion: kubescheduler.config.k8s.io/v1\n"
        "kind: Scenario\n");
    CHECK(d.line == 2);
    CHECK(d.column == 7);
    CHECK(d.message == "expected kind KubeSchedulerConfiguration, got \"Scenario\"");
  }
  SECTION("an unknown field") {
    const Diagnostic d = read_one_error(kHeader +
                                        "profiles:\n"
                                        "- schedulerName: a\n"
                                        "  plugin: {}\n");
    CHECK(d.line == 5);
    CHECK(d.column == 3);
    CHECK(d.path == "profiles[0].plugin");
    CHECK(d.message == "unknown field");
    CHECK(d.hint == "did you mean 'plugins'?");
  }
  SECTION("NodeAffinity addedAffinity is reported as not supported") {
    const Diagnostic d =
        read_one_error(kHeader +
                       "profiles:\n"
                       "- pluginConfig:\n"
                       "  - name: NodeAffinity\n"
                       "    args:\n"
                       "      addedAffinity:\n"
                       "        requiredDuringSchedulingIgnoredDuringExecution: {}\n");
    CHECK(d.line == 8);
    CHECK(d.column == 9);
    CHECK(d.path == "profiles[0].pluginConfig[0].args.addedAffinity");
    CHECK(d.message == "is not supported by kubesim yet");
  }
  SECTION("defaultConstraints need defaultingType List") {
    const Diagnostic d = read_one_error(kHeader +
                                        "profiles:\n"
                                        "- pluginConfig:\n"
                                        "  - name: PodTopologySpread\n"
                                        "    args:\n"
                                        "      defaultConstraints:\n"
                                        "      - {maxSkew: 1, topologyKey: zone, "
                                        "whenUnsatisfiable: DoNotSchedule}\n");
    CHECK(d.line == 8);
    CHECK(d.column == 7);
    CHECK(d.message == "defaultingType System does not allow defaultConstraints");
  }
  SECTION("a profile without a queueSort plugin") {
    const Diagnostic d = read_one_error(kHeader +
                                        "profiles:\n"
                                        "- plugins:\n"
                                        "    queueSort:\n"
                                        "      disabled:\n"
                                        "      - name: '*'\n");
    CHECK(d.line == 5);
    CHECK(d.column == 5);
    CHECK(d.path == "profiles[0].plugins");
    CHECK(d.message == "exactly one queueSort plugin must be enabled, got 0");
  }
  SECTION("a resource weight above 100 in the scoring strategy") {
    const Diagnostic d = read_one_error(kHeader +
                                        "profiles:\n"
                                        "- pluginConfig:\n"
                                        "  - name: NodeResourcesFit\n"
                                        "    args:\n"
                                        "      scoringStrategy:\n"
                                        "        type: MostAllocated\n"
                                        "        resources:\n"
                                        "        - {name: nvidia.com/gpu, weight: 200}\n");
    CHECK(d.line == 10);
    CHECK(d.column == 42);
    CHECK(d.message == "resource weight of nvidia.com/gpu must be between 1 and 100, got 200");
  }
  SECTION("scheduler extenders are reported, not ignored") {
    const Diagnostic d = read_one_error(kHeader +
                                        "extenders:\n"
                                        "- urlPrefix: http://127.0.0.1:8888/\n");
    CHECK(d.line == 4);
    CHECK(d.path == "extenders");
    CHECK(d.message == "scheduler extenders are not supported by kubesim");
  }
}

}  // namespace
}  // namespace kubesim::scenarios
