#include "models/node_pool.hpp"

// GCC 12 at -O2 with -fsanitize=address,undefined reports -Wuninitialized inside
// boost/graph/named_graph.hpp (a boost::optional it never reads uninitialized); the
// diagnostic is emitted late, at this file's instantiation, so it is silenced for the file.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/depth_first_search.hpp>
#include <map>
#include <utility>

namespace kubesim::models {

std::string_view to_string(GpuInterconnect interconnect) {
  switch (interconnect) {
    case GpuInterconnect::kNone: return "none";
    case GpuInterconnect::kPcie: return "pcie";
    case GpuInterconnect::kNvLinkHybridCubeMesh: return "nvlink";
    case GpuInterconnect::kNvSwitch: return "nvswitch";
  }
  return "none";
}

GpuTopology NodePool::gpu_topology() const {
  if (!gpu || gpu->count == 0) return GpuTopology();
  switch (gpu->interconnect) {
    case GpuInterconnect::kNone:
    case GpuInterconnect::kPcie:
      return GpuTopology::pcie(gpu->count, std::max(1, gpu->count / 2));
    case GpuInterconnect::kNvLinkHybridCubeMesh:
      return gpu->count == 8 ? GpuTopology::nvlink_hybrid_cube_mesh_8()
                             : GpuTopology::pcie(gpu->count, std::max(1, gpu->count / 2));
    case GpuInterconnect::kNvSwitch:
      return GpuTopology::nvswitch(gpu->count, gpu->nvlinks_per_gpu);
  }
  return GpuTopology();
}

std::vector<Node> make_nodes(const NodePool& pool, sim::Time now) {
  std::vector<Node> nodes;
  nodes.reserve(static_cast<std::size_t>(pool.count));
  const std::size_t zones = std::max<std::size_t>(1, pool.zones.size());
  for (std::int32_t i = 0; i < pool.count; ++i) {
    Node n;
    n.metadata.name = pool.name + "-" + std::to_string(i);
    n.metadata.uid = "node-" + n.metadata.name;
    n.metadata.creation_timestamp = now;
    n.metadata.labels = pool.labels;
    const std::string& zone = pool.zones[static_cast<std::size_t>(i) % zones];
    // Within a zone, nodes fill racks in order: node k of the zone goes to rack
    // k * racks / nodes_in_zone.
    const std::int32_t k = i / static_cast<std::int32_t>(zones);
    const std::int32_t in_zone =
        (pool.count - static_cast<std::int32_t>(i % zones) + static_cast<std::int32_t>(zones) - 1) /
        static_cast<std::int32_t>(zones);
    const std::int32_t rack = in_zone == 0 ? 0 : k * std::max(1, pool.racks_per_zone) / in_zone;
    n.metadata.labels.set(std::string(kLabelHostname), n.metadata.name);
    n.metadata.labels.set(std::string(kLabelZone), zone);
    n.metadata.labels.set(std::string(kLabelRegion), pool.region);
    n.metadata.labels.set(std::string(kLabelNodePool), pool.name);
    n.metadata.labels.set(std::string(kLabelRack), zone + "-rack-" + std::to_string(rack));
    if (!pool.instance_type.empty()) {
      n.metadata.labels.set(std::string(kLabelInstanceType), pool.instance_type);
    }
    if (pool.gpu && pool.gpu->count > 0) {
      n.metadata.labels.set(std::string(kLabelGpuProduct), pool.gpu->model);
      n.metadata.labels.set(std::string(kLabelGpuCount), std::to_string(pool.gpu->count));
      n.metadata.labels.set(std::string(kLabelGpuMemory), std::to_string(pool.gpu->memory_mib));
      if (!pool.gpu->mig_layout.empty()) {
        // GPU feature discovery's labels for the mixed strategy.
        n.metadata.labels.set("nvidia.com/mig.strategy", "mixed");
      }
    }
    n.spec.taints = pool.taints;
    n.spec.provider_id = "kubesim://" + pool.name + "/" + std::to_string(i);
    n.status.capacity = pool.capacity;
    n.status.allocatable = pool.capacity - pool.reserved;
    n.status.images = pool.images;
    Condition ready;
    ready.type = std::string(kNodeReady);
    ready.status = ConditionStatus::kTrue;
    ready.last_transition_time = now;
    ready.last_heartbeat_time = now;
    ready.reason = "KubeletReady";
    ready.message = "kubelet is posting ready status";
    n.status.conditions.push_back(std::move(ready));
    nodes.push_back(std::move(n));
  }
  return nodes;
}

// ---- ClusterTopology -----------------------------------------------------------------------

struct ClusterTopology::Impl {
  enum class Kind { kCluster, kZone, kRack, kNode };
  struct Vertex {
    Kind kind = Kind::kCluster;
    std::string name;
  };
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, Vertex>;
  using V = Graph::vertex_descriptor;

  Graph graph;
  V root;
  std::map<std::string, V, std::less<>> zones;
  std::vector<std::string> zone_order;
  std::map<std::string, V, std::less<>> racks;  // "zone/rack"
  std::map<std::string, V, std::less<>> nodes;
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> placement;

  Impl() { root = boost::add_vertex(Vertex{Kind::kCluster, "cluster"}, graph); }

  // Node names under v, depth first, children in insertion order.
  void collect(V v, std::vector<std::string>& out) const {
    if (graph[v].kind == Kind::kNode) {
      out.push_back(graph[v].name);
      return;
    }
    for (auto [e, end] = boost::out_edges(v, graph); e != end; ++e) {
      collect(boost::target(*e, graph), out);
    }
  }
};

ClusterTopology::ClusterTopology() : impl_(std::make_unique<Impl>()) {}
ClusterTopology::~ClusterTopology() = default;
ClusterTopology::ClusterTopology(ClusterTopology&&) noexcept = default;
ClusterTopology& ClusterTopology::operator=(ClusterTopology&&) noexcept = default;

void ClusterTopology::add_node(std::string_view node, std::string_view zone, std::string_view rack) {
  Impl& g = *impl_;
  auto z = g.zones.find(zone);
  if (z == g.zones.end()) {
    auto v = boost::add_vertex(Impl::Vertex{Impl::Kind::kZone, std::string(zone)}, g.graph);
    boost::add_edge(g.root, v, g.graph);
    z = g.zones.emplace(std::string(zone), v).first;
    g.zone_order.emplace_back(zone);
  }
  const std::string rack_key = std::string(zone) + "/" + std::string(rack);
  auto r = g.racks.find(rack_key);
  if (r == g.racks.end()) {
    auto v = boost::add_vertex(Impl::Vertex{Impl::Kind::kRack, std::string(rack)}, g.graph);
    boost::add_edge(z->second, v, g.graph);
    r = g.racks.emplace(rack_key, v).first;
  }
  auto v = boost::add_vertex(Impl::Vertex{Impl::Kind::kNode, std::string(node)}, g.graph);
  boost::add_edge(r->second, v, g.graph);
  g.nodes.emplace(std::string(node), v);
  g.placement[std::string(node)] = {std::string(zone), std::string(rack)};
}

std::vector<std::string> ClusterTopology::zones() const { return impl_->zone_order; }

std::vector<std::string> ClusterTopology::racks(std::string_view zone) const {
  std::vector<std::string> out;
  auto z = impl_->zones.find(zone);
  if (z == impl_->zones.end()) return out;
  for (auto [e, end] = boost::out_edges(z->second, impl_->graph); e != end; ++e) {
    out.push_back(impl_->graph[boost::target(*e, impl_->graph)].name);
  }
  return out;
}

std::vector<std::string> ClusterTopology::nodes_in_zone(std::string_view zone) const {
  std::vector<std::string> out;
  auto z = impl_->zones.find(zone);
  if (z != impl_->zones.end()) impl_->collect(z->second, out);
  return out;
}

std::vector<std::string> ClusterTopology::nodes_in_rack(std::string_view zone,
                                                        std::string_view rack) const {
  std::vector<std::string> out;
  auto r = impl_->racks.find(std::string(zone) + "/" + std::string(rack));
  if (r != impl_->racks.end()) impl_->collect(r->second, out);
  return out;
}

std::optional<std::string> ClusterTopology::zone_of(std::string_view node) const {
  auto it = impl_->placement.find(node);
  if (it == impl_->placement.end()) return std::nullopt;
  return it->second.first;
}

std::optional<std::string> ClusterTopology::rack_of(std::string_view node) const {
  auto it = impl_->placement.find(node);
  if (it == impl_->placement.end()) return std::nullopt;
  return it->second.second;
}

std::size_t ClusterTopology::node_count() const { return impl_->nodes.size(); }

}  // namespace kubesim::models
