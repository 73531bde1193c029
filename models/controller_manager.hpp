// ControllerManager: kube-controller-manager's reconcilers in the simulated cluster —
// ReplicaSet, Deployment, Job, NodeLifecycle (with taint-based eviction) and PodGC — each
// driven by informers and a work queue, as upstream's controllers are, calling the decision
// functions of models/*_logic.hpp and turning their answers into API requests through one
// API client (the process's --kube-api-qps / --kube-api-burst, 20 / 30 by default, shared by
// every controller as upstream shares one rest config).
// The EndpointSlice controller (models/endpointslice_controller.hpp) is owned here too and
// fed by this object's pod and node informers; it writes through a client of its own with
// the same QPS/burst. So is the disruption controller (models/disruption_controller.hpp),
// fed by the pod, ReplicaSet and Deployment informers and writing PDB status through this
// object's client.
//
// Runtime rules reproduced from upstream (pkg/controller):
// - Work queues deduplicate keys; a key is synced once per event batch. Syncs take no
//   simulated time (the API calls they make do).
// - Expectations (controller_utils.go ControllerExpectations): after issuing creates or
//   deletes, a ReplicaSet or Job does not manage its pods again until the informer has
//   observed them, or 5 minutes have passed; status updates continue meanwhile.
// - Pod names: <owner name>-<5 random characters> from upstream's alphabet
//   (utilrand.String), drawn from stream "controller-manager/names".
// - Pods are created from the owner's template with a controller ownerReference; ReplicaSet
//   creates run in slow-start batches (1, 2, 4, ...), each batch after the previous one
//   succeeded.
// - Ownership: a pod or ReplicaSet belongs to the controller named by its controller
//   ownerReference. Adoption of orphans by selector and orphaning are not modelled.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "models/api_server.hpp"
#include "models/informer.hpp"
#include "models/node_pool.hpp"
#include "sim/metrics.hpp"
#include "sim/random.hpp"
#include "sim/simulation.hpp"

namespace kubesim::models {

struct ControllerManagerConfig {
  ClientRateLimit rate_limit = kKubeControllerManagerDefaultRateLimit;
  // NodeLifecycle (pkg/controller/nodelifecycle, v1.34 defaults).
  sim::Duration node_monitor_period = 5 * sim::kSecond;
  sim::Duration node_monitor_grace_period = 50 * sim::kSecond;
  sim::Duration node_startup_grace_period = 60 * sim::kSecond;
  double node_eviction_rate = 0.1;
  double secondary_node_eviction_rate = 0.01;
  double unhealthy_zone_threshold = 0.55;
  std::int32_t large_cluster_size_threshold = 50;
  // DefaultTolerationSeconds admission: tolerationSeconds of the not-ready and unreachable
  // NoExecute tolerations the API server adds to every pod that has none.
  std::int64_t default_not_ready_toleration_seconds = 300;
  std::int64_t default_unreachable_toleration_seconds = 300;
  // PodGC.
  std::int32_t terminated_pod_gc_threshold = 12500;
  sim::Duration pod_gc_period = 20 * sim::kSecond;
  // A controller syncs one object at most once per window; events in between coalesce
  // (see WorkQueue in controller_manager.cpp). 0: sync on every event.
  sim::Duration sync_window = 100 * sim::kMillisecond;
  // Expectations time out after this (controller_utils.go ExpectationsTimeout).
  sim::Duration expectations_timeout = 5 * sim::kMinute;
  // EndpointSlice controller (--max-endpoints-per-slice).
  std::int32_t max_endpoints_per_slice = 100;
};

struct TaintUpdate;
class PodGcQuarantine;
class EndpointSliceController;
class DisruptionController;

class ControllerManager {
 public:
  ControllerManager(sim::Simulation& sim, sim::MetricRegistry& metrics, ApiServer& api,
                    ControllerManagerConfig config);
  ~ControllerManager();
  ControllerManager(const ControllerManager&) = delete;
  ControllerManager& operator=(const ControllerManager&) = delete;

  // Starts NodeLifecycle and PodGC (their periodic monitors) — after the nodes exist.
  void start();

  // kubectl rollout undo: sets the Deployment's template to the given revision's (0: the
  // previous one). Returns an error when the revision is unknown.
  sim::Status rollback(std::string_view namespace_, std::string_view name, std::int64_t revision);

  const Informer<Pod>& pods() const { return *pods_; }
  // The EndpointSlice controller (models/endpointslice_controller.hpp).
  const EndpointSliceController& endpoint_slices() const { return *endpoint_slices_; }
  // The disruption controller (models/disruption_controller.hpp): PodDisruptionBudget status.
  const DisruptionController& disruption() const { return *disruption_; }

 private:
  class WorkQueue;
  struct Expectations {
    std::int32_t adds = 0;
    std::int32_t deletes = 0;
    sim::Time set_at = 0;
  };

  // Handlers.
  void on_pod(const std::shared_ptr<const Pod>& old_pod, const std::shared_ptr<const Pod>& pod);
  void on_pod_delete(const std::shared_ptr<const Pod>& pod);
  void on_replicaset(const std::shared_ptr<const ReplicaSet>& rs);
  void on_replicaset_delete(const std::shared_ptr<const ReplicaSet>& rs);
  void on_job(const std::shared_ptr<const Job>& old_job, const std::shared_ptr<const Job>& job);

  // Syncs.
  void sync_replicaset(const std::string& key);
  void sync_deployment(const std::string& key);
  void sync_job(const std::string& key);
  void monitor_nodes();
  void taint_pass();
  void arm_taint_pass();
  void on_node(const std::shared_ptr<const Node>& old_node, const std::shared_ptr<const Node>& node);
  void evict_if_needed(const Node& node, const Pod& pod);
  void evict(const std::string& namespace_, const std::string& name);
  void patch_taints(const std::string& node, const TaintUpdate& update);
  void gc_pods();

  // Helpers.
  std::vector<const Pod*> owned_pods(const std::string& owner_uid) const;
  std::vector<std::shared_ptr<const ReplicaSet>> owned_replicasets(const std::string& owner_uid) const;
  bool expectations_satisfied(const std::string& key) const;
  void observe(const std::string& owner_key, bool add);
  Pod pod_from_template(const PodTemplateSpec& tmpl, const ObjectMeta& owner,
                        std::string_view owner_kind, std::string_view api_version);
  std::string random_suffix();
  void create_pods_slow_start(const std::string& owner_key, const Pod& prototype,
                              std::vector<std::int32_t> batches, std::size_t batch);

  sim::Simulation& sim_;
  ApiServer& api_;
  ApiClient& client_;
  ControllerManagerConfig config_;
  sim::Rng names_rng_;

  std::unique_ptr<Informer<Pod>> pods_;
  std::unique_ptr<Informer<ReplicaSet>> replicasets_;
  std::unique_ptr<Informer<Deployment>> deployments_;
  std::unique_ptr<Informer<Job>> jobs_;
  std::unique_ptr<Informer<Node>> nodes_;
  std::unique_ptr<Informer<Lease>> leases_;

  // owner uid → keys of the objects it controls.
  std::map<std::string, std::set<std::string>, std::less<>> pods_by_owner_;
  std::map<std::string, std::set<std::string>, std::less<>> rs_by_owner_;
  // uid → key of ReplicaSets, Deployments and Jobs, to route owned objects' events.
  std::map<std::string, std::string, std::less<>> rs_key_by_uid_;
  std::map<std::string, std::string, std::less<>> deployment_key_by_uid_;
  std::map<std::string, std::string, std::less<>> job_key_by_uid_;
  std::map<std::string, Expectations, std::less<>> expectations_;

  std::unique_ptr<WorkQueue> rs_queue_;
  std::unique_ptr<WorkQueue> deployment_queue_;
  std::unique_ptr<WorkQueue> job_queue_;
  sim::TimerHandle node_monitor_;
  sim::TimerHandle pod_gc_;

  struct NodeHealth;
  std::unique_ptr<NodeHealth> node_health_;
  struct JobState;
  std::map<std::string, JobState, std::less<>> job_states_;
  std::unique_ptr<PodGcQuarantine> gc_quarantine_;
  std::unique_ptr<EndpointSliceController> endpoint_slices_;
  std::unique_ptr<DisruptionController> disruption_;

  sim::Counter& pods_created_;
  sim::Counter& pods_deleted_;
  sim::Counter& evictions_;
};

}  // namespace kubesim::models
