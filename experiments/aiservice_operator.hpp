// AIServiceOperator: the operator of the AIService custom resource (stable.example.com/v1,
// models/aiservice.hpp; the seed's "Scaling AI Services Dynamically with Kubernetes
// Operators"), running in the simulated cluster as a controller-runtime operator would.
//
// It watches AIServices and the Deployments and Services they own (informers: the watch
// delay of the API server applies), and reconciles one AIService key at a time from a
// deduplicating work queue (controller-runtime's controller: a key is never reconciled
// twice at once; a failed write requeues the key with per-item exponential backoff, 5 ms
// doubling up to 1000 s, as controller-runtime's DefaultTypedControllerRateLimiter). Writes
// go through its own ApiClient at QPS 20 / burst 30, controller-runtime's client default
// (pkg/client/config/config.go GetConfigWithContext: "if cfg.QPS == 0.0 { cfg.QPS = 20.0;
// cfg.Burst = 30.0 }").
//
// One reconcile of AIService NS/NAME:
//   1. Deployment NS/NAME: created when absent; patched when its replicas or pod template
//      differ from what the AIService asks (desired_deployment()): labels app=NAME,
//      selector app=NAME, one container "model-server" (spec.image, spec.resources, and
//      nvidia.com/gpu = scaling.gpusPerReplica as request and limit), nodeSelector,
//      tolerations, replicas = spec.replicas (else scaling.minReplicas, else 1), and a
//      controller ownerReference to the AIService. A Deployment of that name controlled by
//      something else is left alone (Ready=False, reason DeploymentNotOwned).
//   2. Service NS/NAME: selector app=NAME, port 80 → targetPort 8080, owned likewise.
//   3. status (a status-subresource patch, only when something changed): replicas and
//      readyReplicas from the Deployment's status, selector "app=NAME",
//      observedGeneration, conditions Ready (AllReplicasReady / ReplicasNotReady /
//      ScaledToZero / DeploymentNotOwned), Progressing (the Deployment's own Progressing
//      condition, or CreatingDeployment), ScalingActive (see below).
//
// Scaling. spec.replicas is the one replica count: the rps policy and any autoscaler
// (HPA, KEDA...) write it through the /scale subresource (get_scale()/set_scale()), and the
// reconcile carries it to the Deployment. The built-in "rps" policy runs every
// `rps_evaluation_period` (15 s by default, like the HPA's sync period): per AIService with
// scaling.policy rps, in key order, it asks the RPS source for the Service's observed
// requests per second and sets
//     desired = clamp(ceil(observedRPS / targetRPSPerReplica), minReplicas, maxReplicas)
// (integer milli-RPS arithmetic, so 950 / 100 is exactly 9.5 → 10), records
// status.observedRPS (milli) and ScalingActive=True ValidMetric, and writes spec.replicas
// through /scale when it differs. A missing reading leaves replicas alone
// (ScalingActive=False FailedGetMetric). Other policies (hpa, kpa, keda, predictive) are
// driven from outside through /scale, or by a function given to register_policy().
//
// Deletion. Deleting an AIService deletes what it owns: the OwnerGarbageCollector below
// does kube-controller-manager's garbage collection by ownerReference (background
// propagation) for Deployments, ReplicaSets, Pods and Services.
//
// Metrics: counters aiservice.reconciles, aiservice.rescales (rps-policy writes of
// spec.replicas), aiservice.write_errors; with a sampler, per AIService named at
// construction, timeseries columns aiservice.<namespace>.<name>.replicas (the effective
// spec.replicas), .ready_replicas (status.readyReplicas) and .observed_rps
// (status.observedRPS; 0 before the first reading), read from the API server's store.
//
// Deterministic: keys in sorted maps, no randomness. Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "models/aiservice.hpp"
#include "models/api_server.hpp"
#include "models/informer.hpp"
#include "models/token_bucket.hpp"
#include "models/workloads.hpp"
#include "sim/metrics.hpp"
#include "sim/sampler.hpp"
#include "sim/simulation.hpp"

namespace kubesim::models {
class Cluster;
}

namespace kubesim::experiments {

// controller-runtime's default client rate limit (see the header comment).
inline constexpr models::ClientRateLimit kControllerRuntimeDefaultRateLimit{20.0, 30};

struct AIServiceOperatorConfig {
  models::ClientRateLimit rate_limit = kControllerRuntimeDefaultRateLimit;
  sim::Duration rps_evaluation_period = 15 * sim::kSecond;
  std::string default_image = "kubesim.io/model-server:v1";  // spec.image unset
  std::string container_name = "model-server";
  std::int32_t container_port = 8080;
  std::int32_t service_port = 80;
  // Cold start of a model server: the pod is Ready (serving) this long after its container
  // starts: server start-up plus model size / load bandwidth (a pod template annotation
  // kubesim.io/ready-after, which the kubelet honours). Only with scaling.modelSize.
  sim::Duration server_startup = 20 * sim::kSecond;
  double model_load_bytes_per_second = 1e9;  // 1 GB/s: object storage to GPU memory
};

// What the /scale subresource of an AIService says (autoscaling/v1 Scale): spec.replicas
// (specReplicasPath .spec.replicas; the effective count when unset), status.replicas
// (statusReplicasPath) and the selector (labelSelectorPath .status.selector, app=NAME).
struct AIServiceScale {
  std::int32_t spec_replicas = 0;
  std::int32_t status_replicas = 0;
  models::LabelSelector selector;
};

// Pod annotations the operator puts on the template, for the serving model.
inline constexpr std::string_view kModelUriAnnotation = "kubesim.io/model-uri";
inline constexpr std::string_view kModelSizeAnnotation = "kubesim.io/model-size";

class OwnerGarbageCollector;

class AIServiceOperator {
 public:
  // Observed requests per second of a Service (namespace, name); nullopt when unknown.
  using RpsSource = std::function<std::optional<double>(const std::string& namespace_,
                                                        const std::string& service)>;
  // A scaling policy: the desired replicas of an AIService given the RPS reading (nullopt:
  // keep the current count).
  using Policy = std::function<std::optional<std::int32_t>(const models::AIService& ai,
                                                           std::optional<double> rps)>;

  AIServiceOperator(sim::Simulation& sim, sim::MetricRegistry& metrics, models::ApiServer& api,
                    AIServiceOperatorConfig config = {}, RpsSource rps = {});
  // Adds the timeseries columns of the AIServices `keys` (namespace/name) to `sampler`.
  // Call before the sampler starts.
  void add_columns(sim::Sampler& sampler, const std::vector<std::string>& keys);
  ~AIServiceOperator();
  AIServiceOperator(const AIServiceOperator&) = delete;
  AIServiceOperator& operator=(const AIServiceOperator&) = delete;

  // Replaces the RPS source (the lead's traffic model; a fake in tests).
  void set_rps_source(RpsSource rps) { rps_ = std::move(rps); }
  // Evaluates AIServices whose scaling.policy is `name` with `policy` on the rps timer.
  // "rps" is built in; registering it replaces the built-in formula.
  void register_policy(std::string name, Policy policy);

  // ---- /scale subresource -------------------------------------------------------------
  // GET .../aiservices/NAME/scale, from the API server's stored object (a live read, as
  // the HPA's scale client does). nullopt when the AIService does not exist.
  std::optional<AIServiceScale> get_scale(const std::string& namespace_,
                                          const std::string& name) const;
  // PATCH .../aiservices/NAME/scale: sets spec.replicas (generation + 1 when it changes,
  // as for any spec change of a custom resource). Through `client` (the caller's), or the
  // operator's own client. `done` (may be empty) gets the write's status (NotFound when the
  // AIService is gone).
  void set_scale(const std::string& namespace_, const std::string& name, std::int32_t replicas,
                 std::function<void(const sim::Status&)> done = {});
  void set_scale(models::ApiClient& client, const std::string& namespace_, const std::string& name,
                 std::int32_t replicas, std::function<void(const sim::Status&)> done = {});

  // ---- the decisions, as pure functions ------------------------------------------------
  // clamp(ceil(rps / target), min, max) in milli-units. REQUIRES target > 0.
  static std::int32_t rps_desired_replicas(std::int64_t rps_milli,
                                           const models::AIServiceScaling& scaling);
  static models::Deployment desired_deployment(const models::AIService& ai,
                                               const AIServiceOperatorConfig& config);
  static models::Service desired_service(const models::AIService& ai,
                                         const AIServiceOperatorConfig& config);

  std::int64_t reconciles() const { return reconciles_.value(); }
  std::int64_t rescales() const { return rescales_.value(); }
  const OwnerGarbageCollector& garbage_collector() const { return *gc_; }

 private:
  void enqueue(const std::string& key);
  void drain();
  void reconcile(const std::string& key);
  void requeue_after_error(const std::string& key);
  void evaluate_policies();
  void write_status(const models::AIService& ai, models::AIServiceStatus status);
  void on_owned(const models::ObjectMeta& meta);

  sim::Simulation& sim_;
  models::ApiServer& api_;
  AIServiceOperatorConfig config_;
  models::ApiClient& client_;
  RpsSource rps_;
  std::map<std::string, Policy> policies_;

  std::unique_ptr<models::Informer<models::AIService>> aiservices_;
  std::unique_ptr<models::Informer<models::Deployment>> deployments_;
  std::unique_ptr<models::Informer<models::Service>> services_;
  std::unique_ptr<OwnerGarbageCollector> gc_;

  std::deque<std::string> queue_;
  std::set<std::string> queued_;
  sim::EventHandle drain_;
  std::map<std::string, std::int32_t> failures_;  // key → consecutive failed reconciles
  std::map<std::string, sim::EventHandle> retry_;
  // Creates sent and not yet seen by the informers ("deployment/NS/NAME", "service/...").
  std::set<std::string> creating_;
  sim::TimerHandle rps_timer_;

  sim::Counter& reconciles_;
  sim::Counter& rescales_;
  sim::Counter& write_errors_;
};

// Garbage collection by ownerReference (kube-controller-manager's garbage collector,
// pkg/controller/garbagecollector, background propagation — kubectl delete's default):
// when an owner is deleted, each dependent whose owners are all gone is deleted; its own
// dependents follow when their deletion is observed. Watches Deployments, ReplicaSets,
// Pods, Services and AIServices; dependents of any owner kind are handled. Pods are
// deleted gracefully (their terminationGracePeriodSeconds), as the GC's DELETE is.
// A dependent created after its owner's deletion was observed (a racing create) is
// deleted when it appears, as upstream's GC finds its owner absent.
// Simplified: no foreground deletion, no orphan policy, no finalizers, no delay beyond the
// watch delay and the client's rate limit (kube-controller-manager's 20/30).
class OwnerGarbageCollector {
 public:
  OwnerGarbageCollector(sim::Simulation& sim, sim::MetricRegistry& metrics, models::ApiServer& api);
  ~OwnerGarbageCollector();
  OwnerGarbageCollector(const OwnerGarbageCollector&) = delete;
  OwnerGarbageCollector& operator=(const OwnerGarbageCollector&) = delete;

  // Deletions the collector issued.
  std::int64_t deletions() const { return deletions_.value(); }

 private:
  enum class Kind : std::uint8_t { kDeployment, kReplicaSet, kPod, kService, kAIService };
  struct Dependent {
    Kind kind;
    std::string namespace_;
    std::string name;
    std::vector<std::string> owner_uids;
    friend bool operator<(const Dependent& a, const Dependent& b) {
      return std::tie(a.kind, a.namespace_, a.name) < std::tie(b.kind, b.namespace_, b.name);
    }
  };

  void observe(Kind kind, const models::ObjectMeta& meta);
  void forget(Kind kind, const models::ObjectMeta& meta);
  void owner_gone(const std::string& uid);
  bool orphaned(const Dependent& d) const;
  void remove(const Dependent& d);

  models::ApiServer& api_;
  models::ApiClient& client_;
  std::unique_ptr<models::Informer<models::Deployment>> deployments_;
  std::unique_ptr<models::Informer<models::ReplicaSet>> replicasets_;
  std::unique_ptr<models::Informer<models::Pod>> pods_;
  std::unique_ptr<models::Informer<models::Service>> services_;
  std::unique_ptr<models::Informer<models::AIService>> aiservices_;
  // owner uid → its dependents.
  std::map<std::string, std::set<Dependent>> dependents_;
  std::set<std::string> gone_;      // uids of owners whose deletion was observed
  std::set<std::string> deleting_;  // "kind/ns/name" deletes issued
  sim::Counter& deletions_;
};

// An RpsSource from a cumulative request counter per Service: the rate between two
// consecutive calls for the same Service (like PromQL rate() over the evaluation period);
// nullopt on the first call and whenever `cumulative` is.
AIServiceOperator::RpsSource rps_from_cumulative(
    sim::Simulation& sim, std::function<std::optional<std::uint64_t>(const std::string& namespace_,
                                                                     const std::string& service)>
                              cumulative);

// Applies the AIServices of a scenario: the first version of each at its apply time (the
// kubesim.io/apply-at annotation, else 0) as a create; a later version of the same
// AIService as a `kubectl apply` of the changed object (spec replaced, generation + 1 when
// the spec changed) at its apply time.
void apply_aiservices(models::Cluster& cluster, const std::vector<models::AIService>& objects);

}  // namespace kubesim::experiments
