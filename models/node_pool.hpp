// Node pools and the cluster topology.
//
// A NodePool describes `count` identical machines: CPU, memory, ephemeral storage, max pods,
// GPUs (model, count, memory per device, interconnect), labels, taints, the zones they are
// spread over (round-robin) and the racks per zone, and their cost per hour. make_nodes()
// turns a pool into Node objects as their kubelets would register them: capacity and
// allocatable (capacity minus the pool's system reservation), the well-known labels
// (kubernetes.io/hostname, topology.kubernetes.io/zone and region,
// node.kubernetes.io/instance-type, nvidia.com/gpu.product, nvidia.com/gpu.count,
// nvidia.com/gpu.memory as GPU feature discovery sets them) plus kubesim.io/node-pool and
// kubesim.io/rack, the pool's taints and a Ready condition.
//
// ClusterTopology is the physical layout as a graph (Boost.Graph, kept out of this header):
// the cluster → zones → racks → nodes tree. It answers which zone and rack a node is in and
// which nodes a zone or rack holds (for zone failures and topology metrics).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/gpu_topology.hpp"
#include "models/kubelet.hpp"
#include "models/labels.hpp"
#include "models/objects.hpp"
#include "models/resources.hpp"
#include "models/taints.hpp"

namespace kubesim::models {

inline constexpr std::string_view kLabelNodePool = "kubesim.io/node-pool";
inline constexpr std::string_view kLabelRack = "kubesim.io/rack";
inline constexpr std::string_view kLabelGpuCount = "nvidia.com/gpu.count";
inline constexpr std::string_view kLabelGpuMemory = "nvidia.com/gpu.memory";

enum class GpuInterconnect : std::uint8_t { kNone, kPcie, kNvLinkHybridCubeMesh, kNvSwitch };
std::string_view to_string(GpuInterconnect interconnect);  // "none", "pcie", "nvlink", "nvswitch"

struct GpuSpec {
  std::string model;        // e.g. "NVIDIA-H100-80GB-HBM3" (the nvidia.com/gpu.product value)
  std::int32_t count = 0;   // devices per node (<= 64)
  std::int64_t memory_mib = 0;
  GpuInterconnect interconnect = GpuInterconnect::kPcie;
  std::int32_t nvlinks_per_gpu = 12;  // nvswitch only
  // MIG (models/mig.hpp): the GPU instances of each device, by profile, e.g.
  // {"3g.40gb", "2g.20gb", "1g.10gb", "1g.10gb"}; empty: MIG disabled. With MIG the node
  // advertises nvidia.com/mig-<profile> × count instead of nvidia.com/gpu.
  std::vector<std::string> mig_layout;
};

struct NodePool {
  std::string name;
  std::int32_t count = 0;
  std::string instance_type;
  ResourceList capacity;   // cpu, memory, ephemeral-storage, pods (maxPods), nvidia.com/gpu
  ResourceList reserved;   // system + kube reserved, subtracted for allocatable
  std::optional<GpuSpec> gpu;
  Labels labels;
  std::vector<Taint> taints;
  std::vector<std::string> zones = {"zone-a"};
  std::string region = "region-1";
  std::int32_t racks_per_zone = 1;
  double cost_per_hour = 0;
  std::vector<ContainerImage> images;  // preloaded in every node's image cache
  KubeletConfig kubelet;
  // Node autoscaling (Cluster::provision_node): time from the cloud request to the Node's
  // registration, in seconds. 60 s: a cloud VM launch plus boot and kubelet registration
  // (docs/node-autoscaling.md, "In the running cluster", cites the figures).
  sim::Distribution provisioning_delay = sim::Distribution::constant(60.0);
  // Spot capacity: each node of the pool is reclaimed after an exponentially distributed
  // lifetime with this mean (stream "spot/<pool>"), with a 2-minute notice. nullopt: on-demand.
  std::optional<sim::Duration> spot_mean_time_to_reclaim;

  // The interconnect graph of one node of this pool (no GPUs: empty).
  GpuTopology gpu_topology() const;
};

// The nodes of `pool`, named "<pool>-<i>" (i from 0), zones assigned round-robin and racks
// filled in order within each zone. `now` is the registration time.
std::vector<Node> make_nodes(const NodePool& pool, sim::Time now);

class ClusterTopology {
 public:
  ClusterTopology();
  ~ClusterTopology();
  ClusterTopology(ClusterTopology&&) noexcept;
  ClusterTopology& operator=(ClusterTopology&&) noexcept;

  // Adds a node under its zone and rack (created on first use).
  void add_node(std::string_view node, std::string_view zone, std::string_view rack);

  std::vector<std::string> zones() const;  // in first-added order
  std::vector<std::string> racks(std::string_view zone) const;
  // Nodes under a zone or a rack (depth-first over the graph), in insertion order.
  std::vector<std::string> nodes_in_zone(std::string_view zone) const;
  std::vector<std::string> nodes_in_rack(std::string_view zone, std::string_view rack) const;
  std::optional<std::string> zone_of(std::string_view node) const;
  std::optional<std::string> rack_of(std::string_view node) const;
  std::size_t node_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kubesim::models
