// The cluster, control-plane and fault sections of a Scenario (spec.cluster,
// spec.controlPlane, spec.faults), read from YAML into model configurations.
// docs/scenarios.md documents every field.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "models/api_server.hpp"
#include "models/cluster.hpp"
#include "models/controller_manager.hpp"
#include "models/node_pool.hpp"
#include "policies/cluster_autoscaler.hpp"
#include "policies/karpenter.hpp"
#include "policies/scheduler_profile.hpp"
#include "scenarios/trace_workload.hpp"
#include "scenarios/yaml_reader.hpp"
#include "sim/random.hpp"
#include "sim/time.hpp"

namespace kubesim::scenarios {

// spec.cluster.clusterAutoscaler: Cluster Autoscaler in the running cluster
// (experiments/node_autoscaling.hpp). Node groups carry a copy of their pool.
struct ClusterAutoscalerSpec {
  std::vector<policies::NodeGroupSpec> node_groups;
  policies::ClusterAutoscalerOptions options;
};

// spec.cluster.karpenter: the Karpenter-style provisioner in the running cluster: its
// NodePools (the short form, offerings and NodePool fields at the top, gives one named
// "default"). Offerings carry a copy of their pool; an offering is spot when its pool has
// `spot`.
struct KarpenterSpec {
  std::vector<policies::KarpenterNodePool> node_pools;
  policies::KarpenterControllerOptions options;
};

struct ClusterSpec {
  std::vector<models::NodePool> node_pools;
  std::optional<ClusterAutoscalerSpec> cluster_autoscaler;
  std::optional<KarpenterSpec> karpenter;
  // delete_node's wait for evicted pods (--max-graceful-termination-sec).
  sim::Duration max_graceful_termination = 600 * sim::kSecond;
  // spec.cluster.nodesFrom: nodes read from cluster traces (added as Node objects).
  std::vector<TraceNodesSpec> trace_nodes;
  std::map<std::string, std::int64_t> image_bytes;  // image → size in bytes
};

using ControllerManagerSpec = models::ControllerManagerConfig;

struct ControlPlaneSpec {
  models::ApiServerConfig api_server;
  policies::SchedulerConfig scheduler;  // default_scheduler_config() unless given
  sim::Distribution scheduler_decision_latency = sim::Distribution::constant(0);
  models::ClientRateLimit scheduler_rate_limit = models::kKubeSchedulerDefaultRateLimit;
  ControllerManagerSpec controller_manager;
  // scheduler.tieBreak: nodeRank (scheduler.tie_break_by_node_rank) with the ranks from
  // scheduler.nodeRanksFile (node,rank CSV), or, when none is given, a seeded permutation
  // of the name-sorted nodes drawn when the run starts (stream "scheduler/node-rank").
  std::map<std::string, std::int64_t, std::less<>> node_ranks;
};

using FaultSpec = models::Fault;
using FaultType = models::FaultType;

// Readers; each reports problems to the reader's diagnostics and returns what it could read.
// Relative trace paths (nodesFrom) are from base_dir.
ClusterSpec read_cluster_spec(FieldReader& cluster, const std::string& base_dir);
ControlPlaneSpec read_control_plane_spec(FieldReader& control_plane, const std::string& base_dir);
// Faults are checked against the cluster (pool and zone names) and the control plane (etcd
// members, API server replicas) read before them.
std::vector<FaultSpec> read_faults(std::vector<FieldReader>& faults, const ClusterSpec* cluster,
                                   const ControlPlaneSpec& control_plane);

}  // namespace kubesim::scenarios
