// NodeAutoscaling: runs a node autoscaler in the simulated cluster — Cluster Autoscaler
// (policies/cluster_autoscaler.hpp) or the Karpenter-style provisioner (policies/karpenter.hpp)
// — and applies its decisions through the cluster's node runtime (models/cluster.hpp:
// provision_node, cancel_node, delete_node).
//
// Every loop period (Cluster Autoscaler: --scan-interval, at scanInterval, 2×scanInterval, ...;
// Karpenter: batchMaxDuration) the driver builds the autoscaler's view:
//   - nodes: the scheduler's own Snapshot (every Node the scheduler knows, Ready or not, with
//     the pods bound or assumed on it) — the cache upstream Cluster Autoscaler also builds from
//     its informers (core/static_autoscaler.go RunOnce → ClusterSnapshot);
//   - pods: the pods in the API server's store that are unbound, not terminal, not being
//     deleted and carry PodScheduled=False reason Unschedulable (upstream
//     utils/kubernetes/listers.go unschedulablePods: the scheduler's verdict), in key order;
// calls step() and executes the actions:
//   - Cluster Autoscaler: failed scale-ups cancel the group's newest unregistered nodes; a
//     scale-up provisions `count` nodes; each deletion is Cluster::delete_node (taint,
//     evictions, Node deleted), and a refused deletion is reported back
//     (record_scale_down_failure), as is a deletion whose drain gave up (an eviction refused
//     — a PodDisruptionBudget — for 2 minutes: the node stays). A spot node of a node group
//     reclaimed by the cloud is replaced by the group (ASG/MIG keep their target size): one node of
//     the pool is provisioned at the reclaim.
//   - Karpenter: each launch provisions one node of its offering with the label
//     karpenter.sh/capacity-type and karpenter.sh/nodepool; Empty/Delete consolidations delete the
//     nodes; Replace launches the replacement and deletes the nodes once the replacement is Ready;
//     expired nodes are deleted; launches the provisioner stopped counting (registration TTL) are
//     cancelled. Existing nodes are shown to it without their ephemeral taints (not-ready,
//     unreachable, uninitialized). A command's validation time (15 s after it was computed)
//     gets a pass of its own.
//
// Metrics (docs/metrics.md): counters ca.scale_ups, ca.nodes_added, ca.nodes_removed,
// ca.failed_scale_ups, ca.nodes_cancelled, ca.scale_down_failures, ca.drain_failures,
// ca.nodes_replaced
// (Cluster Autoscaler);
// karpenter.launches, karpenter.consolidations, karpenter.consolidations_abandoned,
// karpenter.drift_commands,
// karpenter.nodes_removed, karpenter.nodes_expired, karpenter.replacements_failed,
// karpenter.launches_expired (cancelled after the registration TTL),
// karpenter.pods_deleted_at_expiry (models::Cluster, terminationGracePeriod) (Karpenter);
// spot.notices, spot.reclaims (both); gauges pool.<pool>.nodes and pool.<pool>.cost_per_hour
// (registered nodes; time average × run hours = the pool's node-hours and cost) and
// pool.<pool>.provisioning; timeseries columns pool.<pool>.nodes, pool.<pool>.provisioning,
// node_autoscaler.unschedulable_pods. With events on, one JSON line per decision and per node
// lifecycle step (write_events_jsonl).
//
// Not thread-safe. Deterministic: the random expander's stream is "cluster-autoscaler/expander".
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "models/cluster.hpp"
#include "policies/cluster_autoscaler.hpp"
#include "policies/karpenter.hpp"
#include "scenarios/cluster_spec.hpp"
#include "sim/metrics.hpp"
#include "sim/sampler.hpp"
#include "sim/simulation.hpp"

namespace kubesim::experiments {

class NodeAutoscaling {
 public:
  // Cluster Autoscaler. `filter`: a FilterSimulator over a Framework of its own
  // (policies::make_filter_framework). `sampler` may be null (no timeseries columns).
  NodeAutoscaling(sim::Simulation& sim, sim::MetricRegistry& metrics, models::Cluster& cluster,
                  sim::Sampler* sampler, const scenarios::ClusterAutoscalerSpec& spec,
                  std::unique_ptr<policies::FilterSimulator> filter, bool record_events);
  // Karpenter.
  NodeAutoscaling(sim::Simulation& sim, sim::MetricRegistry& metrics, models::Cluster& cluster,
                  sim::Sampler* sampler, const scenarios::KarpenterSpec& spec,
                  std::unique_ptr<policies::FilterSimulator> filter, bool record_events);
  ~NodeAutoscaling();
  NodeAutoscaling(const NodeAutoscaling&) = delete;
  NodeAutoscaling& operator=(const NodeAutoscaling&) = delete;

  // The autoscaler (nullptr for the other kind), for tests.
  const policies::ClusterAutoscalerState* cluster_autoscaler() const { return ca_.get(); }
  const policies::KarpenterProvisioner* karpenter() const { return karpenter_.get(); }
  // The last loop's actions' reasons (for tests and logs).
  const std::vector<std::string>& last_reasons() const { return last_reasons_; }
  std::int64_t loops() const { return loops_; }

  // Per pool: registered nodes now, node-hours and cost so far (from the gauges).
  std::int32_t pool_nodes(const std::string& pool) const;
  double node_hours(const std::string& pool) const;
  double cost(const std::string& pool) const;

  void write_events_jsonl(std::ostream& out) const;

 private:
  struct PoolMetrics {
    double cost_per_hour = 0;
    std::int32_t nodes = 0;
    std::int32_t provisioning = 0;
    sim::Gauge* nodes_g = nullptr;
    sim::Gauge* cost_g = nullptr;
    sim::Gauge* provisioning_g = nullptr;
  };

  void common_setup(sim::Sampler* sampler);
  std::vector<std::shared_ptr<const models::sched::PodInfo>> unschedulable_pods() const;
  // The Karpenter view's pdb_allows_eviction from the API server's PodDisruptionBudgets
  // (unset when there are none).
  std::function<std::optional<bool>(const models::Pod&)> pdb_allows_eviction() const;
  void run_cluster_autoscaler();
  void run_karpenter();
  static models::Taint disrupted_taint();  // karpenter.sh/disrupted:NoSchedule
  void on_node_event(const models::NodeEvent& e);
  void record(std::string line);

  sim::Simulation& sim_;
  sim::MetricRegistry& metrics_;
  models::Cluster& cluster_;
  bool record_events_;
  std::unique_ptr<policies::ClusterAutoscalerState> ca_;
  std::unique_ptr<policies::KarpenterProvisioner> karpenter_;
  // How Karpenter drains `node` (its NodePool's terminationGracePeriod).
  models::DrainOptions karpenter_drain(const std::string& node) const;
  sim::TimerHandle timer_;
  sim::Duration timer_period_ = 0;
  sim::Time revisit_at_ = -1;  // the extra Karpenter pass scheduled (validation time)
  sim::Connection node_connection_;
  std::map<std::string, PoolMetrics, std::less<>> pools_;
  // Karpenter Replace (disruption/orchestration queue): the candidates are tainted
  // karpenter.sh/disrupted at once and deleted when every replacement node is Ready; when
  // they are not all Ready within kReplacementTimeout the taint goes and the command is
  // dropped. In command order.
  struct Replacement {
    std::vector<std::string> nodes;         // to delete
    std::vector<std::string> replacements;  // the new nodes to wait for
    sim::Time started = 0;
  };
  static constexpr sim::Duration kReplacementTimeout = 10 * sim::kMinute;
  std::vector<Replacement> replacements_;
  // Nodes Cluster Autoscaler asked to delete (a reclaim of one of them is not replaced).
  std::set<std::string, std::less<>> ca_deleting_;
  std::vector<std::string> last_reasons_;
  std::vector<std::string> events_;
  std::int64_t loops_ = 0;
  std::int64_t unschedulable_now_ = 0;
};

}  // namespace kubesim::experiments
