// Cluster: one simulated Kubernetes cluster, composed the way it runs — the API server (with
// etcd and the object stores), kube-scheduler, kube-controller-manager, a kubelet per node —
// plus the node pools and the physical topology, and the faults a scenario injects.
//
// Construction registers the nodes of every pool (Node and Lease objects exist at time 0,
// as in a running cluster), the default namespaces (default, kube-system, kube-node-lease,
// kube-public) and the built-in priority classes, and installs the API server's pod
// admission: Priority (priorityClassName → spec.priority, the globalDefault class for pods
// without one; an unknown class is rejected with upstream's message) and
// DefaultTolerationSeconds (node.kubernetes.io/not-ready and unreachable NoExecute
// tolerations for 300 s on pods that tolerate neither).
//
// Objects a scenario starts with are applied through the API at their time by the
// "applier" client (like kubectl apply, without its own rate limit).
//
// Node autoscaling runtime (the cloud provider's side, for policies/cluster_autoscaler and
// policies/karpenter driven by experiments/node_autoscaling): provision_node() requests a
// machine of a pool; after the pool's provisioning delay the kubelet registers the Node
// NotReady with the node.kubernetes.io/not-ready:NoSchedule taint (upstream kubelet
// registerWithAPIServer / initialNode) and its Lease, and posts Ready node_ready_delay later;
// the node lifecycle controller then removes the taint. cancel_node() gives up a request not
// yet registered. delete_node() is Cluster Autoscaler's actuation (core/scaledown/actuation):
// the ToBeDeletedByClusterAutoscaler:NoSchedule taint, an eviction (ApiServer::evict: the
// Eviction API, which honours PodDisruptionBudgets) of every pod but mirror and terminal
// pods, a refused eviction retried every 10 s for at most 2 minutes (when one still fails the
// deletion fails: the taint is removed and the node stays), a wait for the evicted pods to
// be gone (checked every 5 s, at most max_graceful_termination + 30 s), then the Node and
// Lease are deleted and the kubelet stops. Spot pools lose each node after an exponential lifetime
// (stream "spot/<pool>"): a 2-minute notice drains the node as above (as an interruption handler
// does), then the machine is gone. Names continue "<pool>-<i>" after the pool's initial nodes,
// never reused.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "models/api_server.hpp"
#include "models/controller_manager.hpp"
#include "models/kubelet.hpp"
#include "models/node_pool.hpp"
#include "models/scheduler.hpp"
#include "models/scheduler_framework.hpp"
#include "sim/metrics.hpp"
#include "sim/simulation.hpp"

namespace kubesim::models {

// kubesim: when a scenario object is applied (a Go duration from the start of the run; absent:
// at the start). A second version of the same Deployment with a later apply-at is a
// `kubectl apply` of the changed manifest: a scale or a rollout.
inline constexpr std::string_view kApplyAtAnnotation = "kubesim.io/apply-at";

enum class FaultType : std::uint8_t {
  kNodeFailure,
  kEtcdLeaderLoss,
  kEtcdMemberLoss,
  kApiServerReplicaLoss,
};
std::string_view to_string(FaultType type);  // "nodeFailure", ...

struct Fault {
  FaultType type = FaultType::kNodeFailure;
  sim::Time at = 0;
  // kNodeFailure: the nodes by name, or `count` nodes (of `pool` when set, in name order),
  // or every node of `zone`.
  std::vector<std::string> nodes;
  std::int32_t count = 0;
  std::string pool;
  std::string zone;
  std::int32_t member = -1;  // kEtcdMemberLoss
  std::int32_t replica = 0;  // kApiServerReplicaLoss
  std::optional<sim::Duration> recover_after;
  // kNodeFailure with a rate: from `at` on, one live node (of `pool` when set), chosen
  // uniformly at random, fails after each exponentially distributed gap with this mean,
  // until the end of the run. Draws from stream "faults/<path>".
  std::optional<sim::Duration> mean_time_between_failures;
  std::string path;  // where the scenario defined it, for messages ("spec.faults[2]")
};

// The node lifecycle as the node autoscaling runtime reports it (drivers, events.jsonl).
enum class NodeEventType : std::uint8_t {
  kRequested,        // provision_node: the machine is being created
  kRegistered,       // the Node object exists (NotReady)
  kCancelled,        // cancel_node before registration
  kDeletionStarted,  // delete_node: tainted, pods being evicted
  kDeleted,          // the Node object is gone (and its machine)
  kSpotNotice,       // a spot reclaim notice: the machine goes in 2 minutes
  kReclaimed,        // a spot machine taken back
  kDeletionFailed,   // delete_node gave up: an eviction was refused for max_pod_eviction_time
};
std::string_view to_string(NodeEventType type);  // "Requested", "Registered", ...
struct NodeEvent {
  NodeEventType type;
  std::string_view node;
  std::string_view pool;
};

// Spot reclaim notice (AWS's two-minute interruption notice).
inline constexpr sim::Duration kSpotReclaimNotice = 2 * sim::kMinute;

// Whose node termination delete_node runs.
//   - Cluster Autoscaler (core/scaledown/actuation): taint ToBeDeletedByClusterAutoscaler=<Unix
//     time>:NoSchedule; a refused eviction is retried every eviction_retry_time until
//     max_pod_eviction_time after the drain began, then the deletion fails; evicted pods are
//     awaited for max_graceful_termination + 30 s, polled every 5 s.
//   - Karpenter (pkg/controllers/node/termination): taint karpenter.sh/disrupted:NoSchedule; a
//     refused eviction is retried by the eviction queue's per-pod exponential backoff
//     (100 ms doubling to 10 s) for as long as it takes — the drain never fails; the node
//     goes once its pods are gone (checked every second). With a terminationGracePeriod
//     (NodePool spec.template.spec.terminationGracePeriod), each pod still there at
//     start + period − its terminationGracePeriodSeconds is DELETEd (not evicted: PDBs do not
//     apply) with the grace left, and the node goes at start + period whatever remains
//     (terminator.go DeleteExpiringPods).
enum class DrainStyle { kClusterAutoscaler, kKarpenter };
struct DrainOptions {
  DrainStyle style = DrainStyle::kClusterAutoscaler;
  std::optional<sim::Duration> termination_grace_period;  // Karpenter only
};

struct ClusterConfig {
  ApiServerConfig api_server;
  SchedulerOptions scheduler;
  ControllerManagerConfig controllers;
  std::vector<NodePool> node_pools;
  // delete_node: how long to wait for evicted pods (upstream --max-graceful-termination-sec,
  // 600 s) before the node is deleted anyway; upstream adds a 30 s headroom.
  sim::Duration max_graceful_termination = 600 * sim::kSecond;
  // delete_node's evictions (ApiServer::evict): one refused (429 from a PodDisruptionBudget,
  // or any other error) is retried every eviction_retry_time until max_pod_eviction_time
  // after the drain began; then the deletion fails (upstream cluster-autoscaler
  // core/scaledown/actuation/drain.go: DefaultEvictionRetryTime 10 s, --max-pod-eviction-time
  // 2 min).
  sim::Duration eviction_retry_time = 10 * sim::kSecond;
  sim::Duration max_pod_eviction_time = 2 * sim::kMinute;
  std::map<std::string, std::int64_t> image_bytes;
};

// A fault as it happened, for observers and events.jsonl.
struct FaultEvent {
  const Fault* fault;
  bool recovered;
  std::string_view target;  // node name, "etcd-<member>", "apiserver-<replica>"
};

class Cluster {
 public:
  Cluster(sim::Simulation& sim, sim::MetricRegistry& metrics, ClusterConfig config,
          std::vector<std::unique_ptr<sched::Framework>> frameworks);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  ApiServer& api() { return *api_; }
  Scheduler& scheduler() { return *scheduler_; }
  KubeletFleet& kubelets() { return *kubelets_; }
  ControllerManager& controllers() { return *controllers_; }
  const ClusterTopology& topology() const { return topology_; }
  const ClusterConfig& config() const { return config_; }
  // The pool a node belongs to (nullptr for nodes not from a pool).
  const NodePool* pool_of(std::string_view node) const;
  const GpuTopology* gpu_topology_of(std::string_view node) const;

  // Creates `object` through the API at time `at` (the applier client).
  template <typename T>
  void apply_at(sim::Time at, T object) {
    sim_.schedule_at(at, [this, o = std::make_shared<T>(std::move(object))]() mutable {
      api_->create<T>(*applier_, std::move(*o), [this](const sim::Status& s) {
        if (!s.ok()) apply_errors_.push_back(s.message());
      });
    });
  }
  // Creates `object` through the API now (the applier client); a failure is recorded in
  // apply_errors().
  // `done` (optional) runs when the create has completed, successfully or not.
  template <typename T>
  void apply_now(T object, std::function<void()> done = {}) {
    api_->create<T>(*applier_, std::move(object),
                    [this, done = std::move(done)](const sim::Status& s) {
                      if (!s.ok()) apply_errors_.push_back(s.message());
                      if (done) done();
                    });
  }
  // DELETE of a pod now, with its own grace period (like kubectl delete pod). A pod that is
  // already gone (NotFound) is not an error: a replayed pod may have failed and been
  // collected before its trace deletion time.
  void delete_pod_now(std::string namespace_, std::string name);
  // Applies a changed Deployment at `at` (kubectl apply): its spec replaces the stored spec
  // and, when the spec changed, the generation goes up by one — a template change is a
  // rollout, a replicas change a scale.
  void update_deployment_at(sim::Time at, Deployment deployment);
  // Registers a node given as a manifest (a Node object with status.allocatable): the Node and
  // its Lease exist from the start and a kubelet with the default configuration runs it.
  void add_node(Node node);
  // Problems met applying objects (e.g. an unknown priority class), for the run summary.
  const std::vector<std::string>& apply_errors() const { return apply_errors_; }

  // ---- Node autoscaling runtime ----
  // Requests one node of `pool` (REQUIRES: a pool of the config); returns its name. The
  // node registers after a provisioning_delay draw (stream "provisioning/<pool>"). `labels`
  // are added to the pool's (e.g. karpenter.sh/capacity-type).
  std::string provision_node(std::string_view pool, const Labels& labels = {});
  // Gives up a requested node that has not registered; false otherwise.
  bool cancel_node(std::string_view node);
  // Drains and deletes a registered node (see the header comment). False when the node is
  // unknown, not registered yet or already being deleted. `done` runs when it is gone;
  // `failed` (optional) when the drain gave up (Cluster Autoscaler's drain: an eviction
  // refused for max_pod_eviction_time): the ToBeDeleted taint is then removed and the node
  // stays. `drain`: whose termination runs the drain (DrainOptions).
  // Adds `taint` to the Node (or, with present false, removes every taint with its key)
  // through the API as the cloud provider / autoscaler client; nothing when it already is so.
  void set_node_taint(std::string_view node, const Taint& taint, bool present);
  bool delete_node(std::string_view node, std::function<void()> done = {},
                   std::function<void()> failed = {}, const DrainOptions& drain = {});
  // Requested nodes not yet registered, of one pool (all pools when empty), in request order.
  std::vector<std::string> provisioning_nodes(std::string_view pool = {}) const;
  bool being_deleted(std::string_view node) const { return deleting_.count(node) != 0; }
  // Registered, not-deleted nodes of a pool (live or failed), in registration order.
  std::vector<std::string> pool_nodes(std::string_view pool) const;
  sim::Signal<NodeEvent> node_events;

  // Schedules a fault (and its recovery). Node selections are resolved when it fires.
  void schedule_fault(Fault fault);
  sim::Signal<FaultEvent> faults;

 private:
  void fire(const Fault& fault);
  void fire_random_node_failure(const Fault& fault, std::shared_ptr<sim::Rng> rng);
  std::vector<std::string> live_pool_nodes(const std::string& pool) const;
  void seed();
  void register_node(const std::string& name);
  void finish_deletion(const std::string& name);
  ApiClient& cloud();
  void schedule_spot_reclaim(const std::string& name, std::size_t pool);
  Node node_for(std::size_t pool, std::int32_t index, const Labels& labels) const;

  sim::Simulation& sim_;
  ClusterConfig config_;
  std::unique_ptr<ApiServer> api_;
  ApiClient* applier_ = nullptr;
  std::unique_ptr<ControllerManager> controllers_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<KubeletFleet> kubelets_;
  ClusterTopology topology_;
  std::map<std::string, std::size_t, std::less<>> pool_by_node_;
  std::vector<GpuTopology> gpu_topologies_;  // per pool
  std::vector<std::unique_ptr<Fault>> faults_;
  std::vector<std::string> apply_errors_;
  // Node autoscaling runtime.
  ApiClient* cloud_ = nullptr;  // the cloud provider / autoscaler client
  struct Requested {
    std::size_t pool = 0;
    std::int32_t index = 0;
    Labels labels;
    sim::EventHandle registration;
    std::uint64_t order = 0;
  };
  std::map<std::string, Requested, std::less<>> requested_;
  std::uint64_t request_order_ = 0;
  std::vector<std::int32_t> next_index_;  // per pool
  std::vector<sim::Rng> provisioning_rngs_;
  std::vector<std::shared_ptr<sim::Rng>> spot_rngs_;
  std::set<std::string, std::less<>> deleting_;
  std::set<std::string, std::less<>> gone_;  // deleted nodes (never come back)
  std::vector<std::string> registered_order_;
  // delete_node's drain: evictions not yet answered or retrying, whether one gave up, and
  // until when the evicted pods are awaited.
  struct Drain {
    DrainStyle style = DrainStyle::kClusterAutoscaler;
    std::int32_t pending = 0;
    bool failed = false;
    sim::Time evict_until = 0;
    sim::Time deadline = 0;
    std::optional<sim::Time> expires;  // Karpenter's terminationGracePeriod end
    std::set<std::string> asked;       // namespace/name of the pods sent to eviction
  };
  struct DrainPod {
    std::shared_ptr<Drain> drain;
    std::string node;
    std::string namespace_;
    std::string pod;
    bool retried = false;
    int refusals = 0;
  };
  void evict_for_drain(std::shared_ptr<DrainPod> target);
  void evict_pods(const std::string& name, const std::shared_ptr<Drain>& drain);
  void abort_deletion(const std::string& name);
  void delete_expiring_pod(const DrainPod& target);
  sim::MetricRegistry* metrics_ = nullptr;
};

}  // namespace kubesim::models
