// ApiServer: the kube-apiserver of the simulated cluster — the composition of the request
// path (ApiClient → ApiServerLimits: client QPS/burst, max-inflight, 429 and retries,
// replicas), the etcd model (EtcdCluster: commit latency, batching, quota, leader loss) and
// the stored objects (ObjectStore per kind, one resourceVersion clock), with watches
// delivered to informers after a watch delay.
//
// A write travels the way it does in Kubernetes:
//   component ──ApiClient.send──▶ replica admits it (or 429 → client backs off and retries)
//     ──▶ etcd proposal ──commit──▶ the object store applies it (new resourceVersion;
//     precondition failures such as Conflict or AlreadyExists are decided here, as etcd's
//     transaction decides them) ──▶ the response returns to the client
//   and, from the store, every watcher's informer receives the change after the watch
//   delay (models/informer.hpp), in resourceVersion order.
// A write whose replica fails before etcd commits is lost (the client sees "http2: client
// connection lost"); one that fails at etcd (quota, timeout) is not applied and the client
// sees etcd's error.
//
// Mutations are functions run at commit time on the current stored object: create, update
// (with an optional resourceVersion precondition: optimistic concurrency), patch (read,
// modify, write at the server, as a strategic-merge or status patch does — no conflict
// possible) and remove. Objects have an approximate encoded size per kind (kObjectBytes),
// which is what etcd's throughput and quota see.
//
// Reads: components read their informer caches, as real controllers do; the API server's
// own get/list verbs are not used by the models yet.
//
// Not thread-safe. Deterministic: every random draw comes from named streams.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "models/aiservice.hpp"
#include "models/api_limits.hpp"
#include "models/autoscaling_objects.hpp"
#include "models/disruption.hpp"
#include "models/etcd.hpp"
#include "models/object_store.hpp"
#include "models/objects.hpp"
#include "models/workloads.hpp"
#include "sim/metrics.hpp"
#include "sim/random.hpp"
#include "sim/simulation.hpp"
#include "sim/slot_pool.hpp"
#include "sim/status.hpp"

namespace kubesim::models {

struct ApiServerConfig {
  ApiServerLimitsConfig limits;
  EtcdConfig etcd;
  // Delay from a commit to a watcher's informer seeing it (watch cache + HTTP/2 stream +
  // decode), seconds. Per watcher, deliveries keep resourceVersion order.
  sim::Distribution watch_delay = sim::Distribution::lognormal_from_p50_p99(0.005, 0.050).value();
  // Events the watch cache keeps per kind for resuming watches (--watch-cache-sizes).
  std::size_t watch_history = 10000;
};

// Approximate encoded (protobuf) sizes of objects, bytes: what each write costs etcd.
inline constexpr std::int64_t kPodBytes = 3000;
inline constexpr std::int64_t kNodeBytes = 6000;
inline constexpr std::int64_t kLeaseBytes = 300;
inline constexpr std::int64_t kWorkloadBytes = 2000;  // ReplicaSet, Deployment, Job
// An EndpointSlice: metadata and ports, plus per endpoint its address, conditions, nodeName,
// zone and targetRef (a 100-endpoint slice encodes to ~12 kB).
inline constexpr std::int64_t kEndpointSliceBaseBytes = 400;
inline constexpr std::int64_t kEndpointBytes = 120;

class ApiServer {
 public:
  using Done = std::function<void(const sim::Status&)>;

  static sim::Status validate(const ApiServerConfig& config);
  ApiServer(sim::Simulation& sim, sim::MetricRegistry& metrics, ApiServerConfig config);
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // The stored objects (etcd's contents). Seeding them directly (before the run) skips the
  // request path: use it for the state a scenario starts from.
  ObjectStore<Pod>& pods() { return pods_; }
  ObjectStore<Node>& nodes() { return nodes_; }
  ObjectStore<Lease>& leases() { return leases_; }
  ObjectStore<ReplicaSet>& replicasets() { return replicasets_; }
  ObjectStore<Deployment>& deployments() { return deployments_; }
  ObjectStore<Job>& jobs() { return jobs_; }
  ObjectStore<Service>& services() { return services_; }
  ObjectStore<EndpointSlice>& endpoint_slices() { return endpoint_slices_; }
  ObjectStore<Namespace>& namespaces() { return namespaces_; }
  ObjectStore<PriorityClass>& priority_classes() { return priority_classes_; }
  ObjectStore<HorizontalPodAutoscaler>& horizontal_pod_autoscalers() { return hpas_; }
  ObjectStore<AIService>& aiservices() { return aiservices_; }
  // Autoscaler custom resources (status written by their controllers).
  ObjectStore<ScaledObject>& scaled_objects() { return scaled_objects_; }
  ObjectStore<PodAutoscaler>& pod_autoscalers() { return pod_autoscalers_; }
  ObjectStore<PredictiveAutoscaler>& predictive_autoscalers() { return predictive_autoscalers_; }
  // policy/v1 PodDisruptionBudgets (status written by models/disruption_controller.hpp and
  // by evict()).
  ObjectStore<PodDisruptionBudget>& pod_disruption_budgets() { return pdbs_; }
  ResourceVersionClock& clock() { return clock_; }

  ApiServerLimits& limits() { return limits_; }
  EtcdCluster& etcd() { return etcd_; }
  sim::Simulation& simulation() { return sim_; }
  const ApiServerConfig& config() const { return config_; }

  // A client for one component (its own token bucket). Owned by the server; the reference
  // stays valid for the server's lifetime.
  ApiClient& make_client(const std::string& name, ClientRateLimit rate_limit);

  // A fresh uid ("uid-<n>"), deterministic.
  std::string new_uid() { return "uid-" + std::to_string(++uid_counter_); }

  // ---- Writes through the request path. `done` (may be empty) runs once, from an event.
  template <typename T>
  void create(ApiClient& client, T object, Done done = {}) {
    ObjectStore<T>& s = store<T>();
    const std::int64_t bytes = bytes_of(object);
    submit(client, ApiVerb::kCreate, bytes,
           [this, &s, object = std::move(object)]() mutable -> sim::Status {
             if (object.metadata.uid.empty()) object.metadata.uid = new_uid();
             object.metadata.creation_timestamp = sim_.now();
             if (object.metadata.generation == 0) object.metadata.generation = 1;
             if constexpr (std::is_same_v<T, Pod>) {
               if (pod_admission) {
                 if (auto st = pod_admission(object); !st.ok()) return st;
               }
             }
             return s.create(std::move(object)).status();
           },
           std::move(done));
  }
  // Replaces the object; with expected_version >= 0 fails with Conflict if it moved on.
  template <typename T>
  void update(ApiClient& client, T object, std::int64_t expected_version, Done done = {}) {
    ObjectStore<T>& s = store<T>();
    const std::int64_t bytes = bytes_of(object);
    submit(client, ApiVerb::kUpdate, bytes,
           [&s, object = std::move(object), expected_version]() mutable -> sim::Status {
             return s.update(std::move(object), expected_version).status();
           },
           std::move(done));
  }
  // Reads the stored object at commit time, applies `mutate` (callable as bool(T&)) to a
  // copy, and writes it back if `mutate` returns true (false: nothing to change, no new
  // resourceVersion). ObjectStore::patch: one look-up, one copy.
  template <typename T, typename F>
  void patch(ApiClient& client, std::string namespace_, std::string name, F mutate,
             Done done = {}) {
    ObjectStore<T>& s = store<T>();
    submit(
        client, ApiVerb::kPatch, bytes_of<T>(),
        [this, &s, ns = std::move(namespace_), name = std::move(name),
         mutate = std::move(mutate)]() mutable -> sim::Status {
          if constexpr (std::is_same_v<T, Lease>) {
            // The patch reads the Lease with its latest heartbeat (renew_lease).
            return s.patch(ns, name, [this, &mutate](Lease& lease) {
              apply_renewal(lease);
              return mutate(lease);
            });
          } else {
            (void)this;
            return s.patch(ns, name, mutate);
          }
        },
        std::move(done));
  }

  // A node's heartbeat: PATCH of Lease kube-node-lease/<node> setting spec.renewTime (what
  // the kubelet's lease controller sends every leaseDuration/4). The same request as
  // patch<Lease>(client, "kube-node-lease", node, ...) — client rate limit, max-inflight
  // seat, service time, etcd proposal and commit (NotFound when the Lease is gone), the
  // next resourceVersion — with no callable allocated and the node name kept in the reused
  // pending-write slot.
  //
  // What the commit stores is a LeaseRenewal held beside the Lease object, not a new Lease:
  // a heartbeat changes one timestamp, and building, storing and releasing an object and a
  // watch-history record for each of a cluster's renewals (64 nodes: 0.55 M a day) was a
  // fifth of a fluid-mode day's cost. Renewals reach the lease-renewal watchers at commit
  // (watch_lease_renewals: the node lifecycle controller adds its watch delay), node_lease()
  // and patch<Lease> see them, and they are not in the Lease watch history (no Lease
  // informer other than the node lifecycle controller's is modelled).
  void renew_lease(ApiClient& client, std::string_view node, sim::Time renew_time,
                   Done done = {});
  using LeaseRenewalWatcher = std::function<void(std::string_view node, sim::Time renew_time)>;
  std::uint64_t watch_lease_renewals(LeaseRenewalWatcher watcher) {
    lease_renewal_watchers_.emplace_back(++last_renewal_watch_, std::move(watcher));
    return last_renewal_watch_;
  }
  void cancel_lease_renewal_watch(std::uint64_t id) {
    std::erase_if(lease_renewal_watchers_, [id](const auto& w) { return w.first == id; });
  }
  // Lease kube-node-lease/<node> as a GET would return it: the stored object with its
  // latest renewal (renewTime, resourceVersion) applied. Null when there is none.
  std::shared_ptr<const Lease> node_lease(std::string_view node) const;
  template <typename T>
  void remove(ApiClient& client, std::string namespace_, std::string name, Done done = {}) {
    ObjectStore<T>& s = store<T>();
    submit(client, ApiVerb::kDelete, bytes_of<T>() / 10,
           [&s, ns = std::move(namespace_), name = std::move(name)]() -> sim::Status {
             return s.remove(ns, name).status();
           },
           std::move(done));
  }

  // DELETE of a pod, as the pod registry does it (pkg/registry/core/pod/strategy.go,
  // CheckGracefulDelete): a pod that is bound and not terminal gets a deletionTimestamp
  // (now + grace) and deletionGracePeriodSeconds, and its kubelet finishes the deletion;
  // an unbound or terminal pod, or grace 0, is removed at once. `grace_seconds` nullopt:
  // the pod's terminationGracePeriodSeconds.
  void delete_pod(ApiClient& client, std::string namespace_, std::string name,
                  std::optional<std::int64_t> grace_seconds = std::nullopt, Done done = {});

  // POST pods/<name>/eviction (policy/v1 Eviction), as upstream's eviction REST does it
  // (pkg/registry/core/pod/storage/eviction.go), decided at commit against the stored PDBs
  // (models/disruption.hpp decide_eviction): no guarding PDB, or a pod whose state lets the
  // PDB be ignored → the graceful DELETE of delete_pod(); a PDB that allows a disruption →
  // its status.disruptionsAllowed − 1 and status.disruptedPods[pod] = now are written, then
  // the graceful DELETE; otherwise the pod is left alone and `done` gets TooManyRequests
  // (429, "Cannot evict pod as it would violate the pod's disruption budget."), or Internal
  // (500) when more than one PDB guards the pod. NotFound when the pod does not exist. The
  // request costs what a pod DELETE costs (verb, bytes), so a cluster without PDBs runs
  // exactly as with delete_pod().
  void evict(ApiClient& client, std::string namespace_, std::string name,
             std::optional<std::int64_t> grace_seconds = std::nullopt, Done done = {});

  // Admission for pod creates (Priority, DefaultTolerationSeconds...), run at commit time
  // before the store sees the pod; an error status rejects the create.
  std::function<sim::Status(Pod&)> pod_admission;

  template <typename T>
  ObjectStore<T>& store();

  // A draw of the watch delay (for informers). Never negative.
  sim::Duration draw_watch_delay();

  // Writes submitted and not yet answered.
  std::size_t writes_pending() const { return pending_count_; }

 private:
  // The commit step shared by delete_pod and evict: a pod that is unbound, terminal or given
  // no grace goes at once; otherwise it gets its deletionTimestamp (once).
  sim::Status delete_gracefully(const Pod& current, std::optional<std::int64_t> grace_seconds);

  // Per node name: whether Lease kube-node-lease/<node> is stored (kept by a watch on the
  // Lease store, so a heartbeat's commit needs one look-up), and its latest committed
  // heartbeat (renew_lease), newer than the stored object when its resourceVersion is.
  struct LeaseRenewal {
    bool lease_stored = false;
    sim::Time renew_time = 0;
    std::int64_t resource_version = 0;
  };
  // Sets `lease`'s renewTime and resourceVersion from its node's latest renewal when that
  // is newer than the object; false when there is none.
  bool apply_renewal(Lease& lease) const;

  using Apply = std::function<sim::Status()>;
  // What a pending write does at commit: run `apply`, or one of the fast paths whose
  // arguments are kept in the slot (the slot's strings keep their capacity when reused).
  enum class PendingOp : std::uint8_t { kApply, kRenewLease };
  struct Pending {
    Apply apply;
    Done done;
    sim::Time sent = 0;
    ApiVerb verb = ApiVerb::kGet;
    PendingOp op = PendingOp::kApply;
    EtcdRequest etcd;
    ApiTicket ticket;
    std::string name;        // kRenewLease: the node
    sim::Time time = 0;      // kRenewLease: renewTime
    std::uint32_t generation = 0;
    bool live = false;
  };

  template <typename T>
  static constexpr std::int64_t bytes_of() {
    if constexpr (std::is_same_v<T, Pod>) return kPodBytes;
    else if constexpr (std::is_same_v<T, Node>) return kNodeBytes;
    else if constexpr (std::is_same_v<T, Lease>) return kLeaseBytes;
    else if constexpr (std::is_same_v<T, EndpointSlice>) return kEndpointSliceBaseBytes;
    else return kWorkloadBytes;
  }
  // The size of this object (kinds whose size varies much with their content).
  template <typename T>
  static std::int64_t bytes_of(const T& object) {
    if constexpr (std::is_same_v<T, EndpointSlice>) {
      return kEndpointSliceBaseBytes +
             kEndpointBytes * static_cast<std::int64_t>(object.endpoints.size());
    } else {
      (void)object;
      return bytes_of<T>();
    }
  }

  void submit(ApiClient& client, ApiVerb verb, std::int64_t bytes, Apply apply, Done done);
  // submit() in two steps, so a fast path can fill its slot before the request leaves.
  std::uint32_t open(ApiVerb verb, Apply apply, Done done);
  void send(ApiClient& client, std::uint32_t slot, std::int64_t bytes);
  sim::Status apply(Pending& p);
  void handle(ApiTicket ticket, const ApiRequest& request, int replica);
  void finish(std::uint32_t slot, const ApiResponse& response);

  sim::Simulation& sim_;
  sim::MetricRegistry& metrics_;
  ApiServerConfig config_;
  ResourceVersionClock clock_;
  ObjectStore<Pod> pods_;
  ObjectStore<Node> nodes_;
  ObjectStore<Lease> leases_;
  ObjectStore<ReplicaSet> replicasets_;
  ObjectStore<Deployment> deployments_;
  ObjectStore<Job> jobs_;
  ObjectStore<Service> services_;
  ObjectStore<EndpointSlice> endpoint_slices_;
  ObjectStore<Namespace> namespaces_;
  ObjectStore<PriorityClass> priority_classes_;
  ObjectStore<HorizontalPodAutoscaler> hpas_;
  ObjectStore<AIService> aiservices_;
  ObjectStore<ScaledObject> scaled_objects_;
  ObjectStore<PodAutoscaler> pod_autoscalers_;
  ObjectStore<PredictiveAutoscaler> predictive_autoscalers_;
  ObjectStore<PodDisruptionBudget> pdbs_;
  ApiServerLimits limits_;
  EtcdCluster etcd_;
  std::unordered_map<std::string, LeaseRenewal, ObjectKeyHash, ObjectKeyEqual> lease_renewals_;
  std::vector<std::pair<std::uint64_t, LeaseRenewalWatcher>> lease_renewal_watchers_;
  std::uint64_t last_renewal_watch_ = 0;
  std::vector<std::unique_ptr<ApiClient>> clients_;
  sim::SlotPool<Pending> pending_;
  std::size_t pending_count_ = 0;
  sim::Rng watch_rng_;
  sim::Rng latency_rng_;
  std::uint64_t uid_counter_ = 0;
  std::array<sim::Histogram*, kApiVerbCount> verb_latency_{};
  sim::Counter& write_errors_;
};

template <> inline ObjectStore<Pod>& ApiServer::store<Pod>() { return pods_; }
template <> inline ObjectStore<Node>& ApiServer::store<Node>() { return nodes_; }
template <> inline ObjectStore<Lease>& ApiServer::store<Lease>() { return leases_; }
template <> inline ObjectStore<ReplicaSet>& ApiServer::store<ReplicaSet>() { return replicasets_; }
template <> inline ObjectStore<Deployment>& ApiServer::store<Deployment>() { return deployments_; }
template <> inline ObjectStore<Job>& ApiServer::store<Job>() { return jobs_; }
template <> inline ObjectStore<Service>& ApiServer::store<Service>() { return services_; }
template <> inline ObjectStore<EndpointSlice>& ApiServer::store<EndpointSlice>() {
  return endpoint_slices_;
}
template <> inline ObjectStore<Namespace>& ApiServer::store<Namespace>() { return namespaces_; }
template <> inline ObjectStore<PriorityClass>& ApiServer::store<PriorityClass>() {
  return priority_classes_;
}
template <> inline ObjectStore<HorizontalPodAutoscaler>& ApiServer::store<HorizontalPodAutoscaler>() {
  return hpas_;
}
template <> inline ObjectStore<AIService>& ApiServer::store<AIService>() { return aiservices_; }
template <> inline ObjectStore<ScaledObject>& ApiServer::store<ScaledObject>() {
  return scaled_objects_;
}
template <> inline ObjectStore<PodAutoscaler>& ApiServer::store<PodAutoscaler>() {
  return pod_autoscalers_;
}
template <> inline ObjectStore<PredictiveAutoscaler>& ApiServer::store<PredictiveAutoscaler>() {
  return predictive_autoscalers_;
}
template <>
inline ObjectStore<PodDisruptionBudget>& ApiServer::store<PodDisruptionBudget>() {
  return pdbs_;
}

}  // namespace kubesim::models
