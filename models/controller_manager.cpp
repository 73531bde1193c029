#include "models/controller_manager.hpp"

#include <algorithm>
#include <deque>
#include <utility>

#include "models/deployment_logic.hpp"
#include "models/disruption_controller.hpp"
#include "models/endpointslice_controller.hpp"
#include "models/job_logic.hpp"
#include "models/node_lifecycle_logic.hpp"
#include "models/pod_gc_logic.hpp"
#include "models/replicaset_logic.hpp"

namespace kubesim::models {
namespace {

template <typename T>
std::string key_of(const T& object) {
  return object_key(object.metadata.namespace_, object.metadata.name);
}

}  // namespace

// A deduplicating FIFO of keys, drained by one event at a time (upstream workqueue with
// its workers). A key is synced at most once per `window`: changes arriving sooner wait
// and coalesce into one sync, which stands for the time a real worker spends syncing a large
// object while its informer keeps delivering events (upstream's queue deduplicates keys
// that are waiting or being processed). add_after() is the delayed requeue.
class ControllerManager::WorkQueue {
 public:
  WorkQueue(sim::Simulation& sim, sim::Duration window, std::function<void(const std::string&)> sync)
      : sim_(sim), window_(window), sync_(std::move(sync)) {}
  ~WorkQueue() {
    for (auto& [id, e] : delayed_) sim_.cancel(e.handle);
    if (drain_.valid()) sim_.cancel(drain_);
  }
  void add(const std::string& key) {
    if (queued_.count(key) != 0 || deferred_.count(key) != 0) return;
    if (window_ > 0) {
      auto last = last_sync_.find(key);
      if (last != last_sync_.end() && sim_.now() < last->second + window_) {
        deferred_.insert(key);
        schedule(key, last->second + window_ - sim_.now(), true);
        return;
      }
    }
    queued_.insert(key);
    keys_.push_back(key);
    if (!drain_.valid() || !sim_.is_pending(drain_)) {
      drain_ = sim_.schedule_after(0, [this] { drain(); });
    }
  }
  // One waiting entry per key, at the earliest time asked for (upstream's delaying queue).
  void add_after(const std::string& key, sim::Duration delay) {
    if (delay <= 0) {
      add(key);
      return;
    }
    const sim::Time at = sim_.now() + delay;
    auto it = requeue_.find(key);
    if (it != requeue_.end()) {
      auto d = delayed_.find(it->second);
      if (d != delayed_.end() && sim_.is_pending(d->second.handle)) {
        if (d->second.at <= at) return;
        sim_.cancel(d->second.handle);
        delayed_.erase(d);
      }
      requeue_.erase(it);
    }
    requeue_.emplace(key, schedule(key, delay, false));
  }

 private:
  struct Delayed {
    std::string key;
    bool deferred;
    sim::Time at = 0;
    sim::EventHandle handle;
  };
  std::uint64_t schedule(const std::string& key, sim::Duration delay, bool deferred) {
    const std::uint64_t id = next_id_++;
    Delayed& d = delayed_[id];
    d.key = key;
    d.deferred = deferred;
    d.at = sim_.now() + delay;
    d.handle = sim_.schedule_after(delay, [this, id] {
      auto it = delayed_.find(id);
      Delayed fired = std::move(it->second);
      delayed_.erase(it);
      if (fired.deferred) {
        deferred_.erase(fired.key);
      } else if (auto r = requeue_.find(fired.key); r != requeue_.end() && r->second == id) {
        requeue_.erase(r);
      }
      add(fired.key);
    });
    return id;
  }
  void drain() {
    drain_ = sim::EventHandle();
    // Keys added while syncing wait for the next drain (a new event at the same time).
    std::deque<std::string> batch;
    batch.swap(keys_);
    for (auto& key : batch) {
      queued_.erase(key);
      if (window_ > 0) last_sync_[key] = sim_.now();
      sync_(key);
    }
  }
  sim::Simulation& sim_;
  sim::Duration window_;
  std::function<void(const std::string&)> sync_;
  std::deque<std::string> keys_;
  std::set<std::string, std::less<>> queued_;
  std::set<std::string, std::less<>> deferred_;
  std::map<std::string, sim::Time, std::less<>> last_sync_;
  std::map<std::uint64_t, Delayed> delayed_;
  std::map<std::string, std::uint64_t, std::less<>> requeue_;  // key → its add_after entry
  std::uint64_t next_id_ = 0;
  sim::EventHandle drain_;
};

// Per Job: the cumulative finished-pod counts upstream keeps with finalizers, and the
// failure backoff record.
struct ControllerManager::JobState {
  JobTally tally;
  JobBackoff backoff;
  std::set<std::string, std::less<>> counted;  // pods already in the tally
};

// NodeLifecycle and taint-eviction state.
struct ControllerManager::NodeHealth {
  NodeLifecycleConfig config;
  DisruptionTracker tracker;
  // Per node (by name, hashed and in name order): the NodeLifecycle health record; the Node
  // and the node's Lease as this controller's informers hold them (set by their handlers),
  // with the latest heartbeat delivered; what monitor_nodes() derives from the Node object
  // alone — its zone key and disruption-check exclusion — recomputed only when the Node's
  // resourceVersion changes (every write gives a new one); and whether the Node was steady
  // at its last full evaluation (see monitor_nodes).
  struct Entry {
    models::NodeHealth health;
    std::shared_ptr<const Node> node;  // null: not in the node informer's cache (yet)
    std::int64_t node_version = -1;
    std::string zone;
    bool excluded = false;
    bool has_lease = false;
    std::optional<sim::Time> lease_renew_time;  // the Lease object's
    std::optional<sim::Time> renewed;           // the latest heartbeat delivered
    bool steady = false;
    std::int64_t steady_version = -1;
    sim::Duration steady_grace = 0;
  };
  ObjectKeyMap<Entry> health;
  void erase_entry(std::string_view node) {
    if (auto it = health.find(node); it != health.end()) health.erase(it);
  }
  // Lease heartbeats (ApiServer::renew_lease) as this controller's lease watch sees them:
  // each committed renewal arrives after a draw of the watch delay, never before an
  // earlier one (one watch stream). Deliveries wait in `renewals_due` until a pass reads
  // them into the entries (nothing else reads them).
  struct RenewalDelivery {
    sim::Time at = 0;
    std::string node;
    sim::Time renew_time = 0;
  };
  std::deque<RenewalDelivery> renewals_due;
  std::uint64_t renewal_watch = 0;
  // Reused across passes: not-excluded nodes' Ready status by zone key.
  std::map<std::string, std::vector<std::optional<ConditionStatus>>> ready_by_zone;
  // Taint eviction: pod key → (scheduled deletion, when the timer was first created).
  struct Eviction {
    sim::EventHandle event;
    sim::Time created = 0;
    sim::Time trigger = 0;
  };
  std::map<std::string, Eviction, std::less<>> evictions;
  // pod keys by node name (bound pods), for taint eviction and marking pods not ready.
  std::map<std::string, std::set<std::string>, std::less<>> pods_by_node;
  // Pods whose NotReady PATCH is still in flight: upstream's MarkPodsNotReady runs inside
  // the monitor pass and blocks on the client's rate limiter, so a pass never queues a
  // second write for a pod whose first has not finished (without this, failing writes —
  // etcd NOSPACE — re-issued every pass grew the client's queue without bound).
  std::set<std::string, std::less<>> marking_not_ready;
  // The next NoExecute tainting pass: pending only while some zone queue holds a node (see
  // arm_taint_pass), on the grid tainting_origin + k × no_execute_tainting_period.
  sim::EventHandle tainting;
  sim::Time tainting_origin = 0;
  // PodGC's candidates as running sets (pod_gc_candidate): terminated pods, and pods with
  // a deletionTimestamp; with pods_by_node (for pods bound to missing nodes) a pass finds
  // every pod it could act on without walking all pods.
  std::set<std::string, std::less<>> terminal_pods;
  std::set<std::string, std::less<>> terminating_pods;
  // Controller-owned pods by owner uid: pod key → the informer's current snapshot, kept
  // up to date by on_pod()/on_pod_delete(), so owned_pods() needs no cache look-ups (it
  // replaces ControllerManager::pods_by_owner_; lives here to keep the header unchanged).
  // Owner references are set at creation and never change, so each pod has one entry.
  // ReplicaSet owners also keep calculateStatus's counts as running totals
  // (ReplicaSetPodCounts) against the template labels of the last sync, so a sync needs no
  // walk over the pods unless it deletes some or the ReplicaSet has minReadySeconds.
  struct Owned {
    std::map<std::string, std::shared_ptr<const Pod>, std::less<>> pods;
    ReplicaSetPodCounts counts;
    Labels template_labels;
    bool counted = false;  // counts are valid for template_labels
  };
  std::map<std::string, Owned, std::less<>> owned_pods;
  explicit NodeHealth(NodeLifecycleConfig c) : config(c), tracker(c) {}
};

ControllerManager::ControllerManager(sim::Simulation& sim, sim::MetricRegistry& metrics,
                                     ApiServer& api, ControllerManagerConfig config)
    : sim_(sim),
      api_(api),
      client_(api.make_client("controller-manager", config.rate_limit)),
      config_(std::move(config)),
      names_rng_(sim.rng("controller-manager/names")),
      pods_created_(metrics.counter("controllers.pods_created")),
      pods_deleted_(metrics.counter("controllers.pods_deleted")),
      evictions_(metrics.counter("controllers.evictions")) {
  const sim::Duration w = config_.sync_window;
  rs_queue_ = std::make_unique<WorkQueue>(sim, w, [this](const std::string& k) { sync_replicaset(k); });
  deployment_queue_ =
      std::make_unique<WorkQueue>(sim, w, [this](const std::string& k) { sync_deployment(k); });
  job_queue_ = std::make_unique<WorkQueue>(sim, w, [this](const std::string& k) { sync_job(k); });

  replicasets_ = std::make_unique<Informer<ReplicaSet>>(
      api, Informer<ReplicaSet>::Handlers{
               [this](const auto& rs) { on_replicaset(rs); },
               [this](const auto&, const auto& rs) { on_replicaset(rs); },
               [this](const auto& rs) { on_replicaset_delete(rs); }});
  deployments_ = std::make_unique<Informer<Deployment>>(
      api, Informer<Deployment>::Handlers{
               [this](const auto& d) { deployment_queue_->add(key_of(*d)); },
               [this](const auto& o, const auto& d) {
                 deployment_queue_->add(key_of(*d));
                 if (o->spec.replicas != d->spec.replicas) {
                   disruption_->on_scale_change(d->metadata.namespace_);
                 }
               },
               [this](const auto& d) { deployment_key_by_uid_.erase(d->metadata.uid); }});
  jobs_ = std::make_unique<Informer<Job>>(
      api, Informer<Job>::Handlers{[this](const auto& j) { on_job(nullptr, j); },
                                   [this](const auto& o, const auto& j) { on_job(o, j); },
                                   [this](const auto& j) {
                                     job_key_by_uid_.erase(j->metadata.uid);
                                     expectations_.erase("job/" + key_of(*j));
                                   }});
  NodeLifecycleConfig nl;
  nl.node_monitor_period = config_.node_monitor_period;
  nl.node_monitor_grace_period = config_.node_monitor_grace_period;
  nl.node_startup_grace_period = config_.node_startup_grace_period;
  nl.eviction_limiter_qps = config_.node_eviction_rate;
  nl.secondary_eviction_limiter_qps = config_.secondary_node_eviction_rate;
  nl.large_cluster_size_threshold = config_.large_cluster_size_threshold;
  nl.unhealthy_zone_threshold = config_.unhealthy_zone_threshold;
  node_health_ = std::make_unique<NodeHealth>(nl);
  gc_quarantine_ = std::make_unique<PodGcQuarantine>();
  nodes_ = std::make_unique<Informer<Node>>(
      api, Informer<Node>::Handlers{
               [this](const auto& n) {
                 node_health_->health[n->metadata.name].node = n;
                 on_node(nullptr, n);
               },
               [this](const auto& o, const auto& n) {
                 node_health_->health[n->metadata.name].node = n;
                 on_node(o, n);
               },
               [this](const auto& n) { node_health_->erase_entry(n->metadata.name); }});
  node_health_->renewal_watch =
      api.watch_lease_renewals([this](std::string_view node, sim::Time renew_time) {
        auto& due = node_health_->renewals_due;
        sim::Time at = sim_.now() + api_.draw_watch_delay();
        if (!due.empty() && at < due.back().at) at = due.back().at;
        due.push_back(NodeHealth::RenewalDelivery{at, std::string(node), renew_time});
      });
  auto on_lease = [this](const std::shared_ptr<const Lease>& l) {
    NodeHealth::Entry& e = node_health_->health[l->metadata.name];
    e.has_lease = true;
    e.lease_renew_time = l->spec.renew_time;
  };
  leases_ = std::make_unique<Informer<Lease>>(
      api,
      Informer<Lease>::Handlers{on_lease, [on_lease](const auto&, const auto& l) { on_lease(l); },
                                [this](const std::shared_ptr<const Lease>& l) {
                                  auto it =
                                      node_health_->health.find(std::string_view(l->metadata.name));
                                  if (it == node_health_->health.end()) return;
                                  it->second.has_lease = false;
                                  it->second.lease_renew_time.reset();
                                }},
      [](const Lease& l) { return l.metadata.namespace_ == kNodeLeaseNamespace; });
  pods_ = std::make_unique<Informer<Pod>>(
      api, Informer<Pod>::Handlers{[this](const auto& p) { on_pod(nullptr, p); },
                                   [this](const auto& o, const auto& p) { on_pod(o, p); },
                                   [this](const auto& p) { on_pod_delete(p); }});
  EndpointSliceControllerConfig eps;
  eps.rate_limit = config_.rate_limit;
  eps.max_endpoints_per_slice = config_.max_endpoints_per_slice;
  eps.sync_window = config_.sync_window;
  endpoint_slices_ =
      std::make_unique<EndpointSliceController>(sim, metrics, api, *pods_, *nodes_, eps);
  disruption_ = std::make_unique<DisruptionController>(
      sim, metrics, api, client_, *pods_, *replicasets_, *deployments_, config_.sync_window);
}

ControllerManager::~ControllerManager() {
  api_.cancel_lease_renewal_watch(node_health_->renewal_watch);
  sim_.cancel_timer(node_monitor_);
  sim_.cancel_timer(pod_gc_);
  sim_.cancel(node_health_->tainting);
  for (auto& [key, e] : node_health_->evictions) sim_.cancel(e.event);
}

void ControllerManager::start() {
  node_monitor_ = sim_.every(config_.node_monitor_period, [this] { monitor_nodes(); });
  node_health_->tainting_origin = sim_.now();
  pod_gc_ = sim_.every(config_.pod_gc_period, [this] { gc_pods(); });
}

// ---- event routing -------------------------------------------------------------------------

void ControllerManager::on_replicaset(const std::shared_ptr<const ReplicaSet>& rs) {
  const std::string key = key_of(*rs);
  rs_key_by_uid_[rs->metadata.uid] = key;
  disruption_->on_scale_change(rs->metadata.namespace_);
  if (const OwnerReference* owner = rs->metadata.controller_ref()) {
    rs_by_owner_[owner->uid].insert(key);
    if (owner->kind == "Deployment") {
      deployment_queue_->add(object_key(rs->metadata.namespace_, owner->name));
    }
  }
  rs_queue_->add(key);
}

void ControllerManager::on_replicaset_delete(const std::shared_ptr<const ReplicaSet>& rs) {
  const std::string key = key_of(*rs);
  rs_key_by_uid_.erase(rs->metadata.uid);
  expectations_.erase("rs/" + key);
  if (const OwnerReference* owner = rs->metadata.controller_ref()) {
    auto it = rs_by_owner_.find(owner->uid);
    if (it != rs_by_owner_.end()) it->second.erase(key);
    if (owner->kind == "Deployment") {
      deployment_queue_->add(object_key(rs->metadata.namespace_, owner->name));
    }
  }
}

// upstream job_controller.go addJob/updateJob: a new Job or a spec change (generation) syncs
// at once; a status-only update is batched by syncJobBatchPeriod, like pod events.
void ControllerManager::on_job(const std::shared_ptr<const Job>& old_job,
                               const std::shared_ptr<const Job>& job) {
  const std::string key = key_of(*job);
  job_key_by_uid_[job->metadata.uid] = key;
  if (old_job == nullptr || old_job->metadata.generation != job->metadata.generation) {
    job_queue_->add(key);
  } else {
    job_queue_->add_after(key, kSyncJobBatchPeriod);
  }
}

void ControllerManager::on_pod(const std::shared_ptr<const Pod>& old_pod,
                               const std::shared_ptr<const Pod>& pod) {
  endpoint_slices_->on_pod(old_pod.get(), *pod);
  disruption_->on_pod(old_pod.get(), *pod);
  {
    const bool was_terminal = old_pod != nullptr && old_pod->terminal();
    const bool was_deleting = old_pod != nullptr && old_pod->metadata.being_deleted();
    if (was_terminal != pod->terminal() || was_deleting != pod->metadata.being_deleted()) {
      std::string key = key_of(*pod);
      if (pod->metadata.being_deleted()) node_health_->terminating_pods.insert(key);
      if (pod->terminal()) node_health_->terminal_pods.insert(std::move(key));
    }
  }
  if (pod->bound() && (old_pod == nullptr || !old_pod->bound())) {
    node_health_->pods_by_node[pod->spec.node_name].insert(key_of(*pod));
    if (auto node = nodes_->get("", pod->spec.node_name)) evict_if_needed(*node, *pod);
  }
  const OwnerReference* owner = pod->metadata.controller_ref();
  if (owner == nullptr) return;
  const std::string key = key_of(*pod);
  {
    NodeHealth::Owned& o = node_health_->owned_pods[owner->uid];
    auto [it, inserted] = o.pods.try_emplace(key, pod);
    if (!inserted) {
      if (o.counted) o.counts.apply(*it->second, o.template_labels, -1);
      it->second = pod;
    }
    if (o.counted) o.counts.apply(*pod, o.template_labels, +1);
  }
  const std::string ns = pod->metadata.namespace_;
  if (owner->kind == "ReplicaSet") {
    const std::string owner_key = object_key(ns, owner->name);
    if (old_pod == nullptr) observe("rs/" + owner_key, true);
    if (old_pod != nullptr && !old_pod->metadata.being_deleted() && pod->metadata.being_deleted()) {
      observe("rs/" + owner_key, false);
    }
    rs_queue_->add(owner_key);
  } else if (owner->kind == "Job") {
    const std::string owner_key = object_key(ns, owner->name);
    if (old_pod == nullptr) observe("job/" + owner_key, true);
    if (pod->terminal() && (old_pod == nullptr || !old_pod->terminal())) {
      // Counted when seen finishing: the backoff runs from the failure (upstream takes the
      // pod's finish time, getFinishedTime), not from the batched sync a second later.
      JobState& st = job_states_[owner_key];
      if (st.counted.insert(key).second) {
        const sim::Time t = sim_.now();
        if (pod->status.phase == PodPhase::kSucceeded) {
          ++st.tally.succeeded;
          record_finished_pods(st.backoff, std::span<const sim::Time>(&t, 1), {});
        } else {
          ++st.tally.failed;
          record_finished_pods(st.backoff, {}, std::span<const sim::Time>(&t, 1));
        }
      }
    }
    if (old_pod != nullptr && !old_pod->metadata.being_deleted() && pod->metadata.being_deleted()) {
      observe("job/" + owner_key, false);
    }
    // upstream updatePod/addPod → enqueueSyncJobBatched: one sync syncJobBatchPeriod after
    // the first pod event; the events in between coalesce.
    job_queue_->add_after(owner_key, kSyncJobBatchPeriod);
  }
}

void ControllerManager::on_pod_delete(const std::shared_ptr<const Pod>& pod) {
  endpoint_slices_->on_pod_delete(*pod);
  disruption_->on_pod_delete(*pod);
  if (pod->terminal() || pod->metadata.being_deleted()) {
    const std::string key = key_of(*pod);
    node_health_->terminal_pods.erase(key);
    node_health_->terminating_pods.erase(key);
  }
  if (pod->bound()) {
    auto it = node_health_->pods_by_node.find(pod->spec.node_name);
    if (it != node_health_->pods_by_node.end()) it->second.erase(key_of(*pod));
  }
  if (auto e = node_health_->evictions.find(key_of(*pod)); e != node_health_->evictions.end()) {
    sim_.cancel(e->second.event);
    node_health_->evictions.erase(e);
  }
  const OwnerReference* owner = pod->metadata.controller_ref();
  if (owner == nullptr) return;
  const std::string key = key_of(*pod);
  auto& by_owner = node_health_->owned_pods;
  if (auto it = by_owner.find(owner->uid); it != by_owner.end()) {
    NodeHealth::Owned& o = it->second;
    if (auto p = o.pods.find(key); p != o.pods.end()) {
      if (o.counted) o.counts.apply(*p->second, o.template_labels, -1);
      o.pods.erase(p);
    }
    if (o.pods.empty()) by_owner.erase(it);
  }
  const std::string owner_key = object_key(pod->metadata.namespace_, owner->name);
  // A pod deleted without passing through "terminating" is observed now.
  if (!pod->metadata.being_deleted()) {
    observe((owner->kind == "Job" ? "job/" : "rs/") + owner_key, false);
  }
  if (owner->kind == "ReplicaSet") rs_queue_->add(owner_key);
  if (owner->kind == "Job") {
    // A Job pod gone before it finished counts as failed (upstream's finalizer tracking).
    JobState& st = job_states_[owner_key];
    if (st.counted.insert(key).second) {
      if (pod->status.phase == PodPhase::kSucceeded) {
        ++st.tally.succeeded;
      } else {
        ++st.tally.failed;
        const sim::Time t = sim_.now();
        record_finished_pods(st.backoff, {}, std::span<const sim::Time>(&t, 1));
      }
    }
    job_queue_->add_after(owner_key, kSyncJobBatchPeriod);  // upstream deletePod: batched
  }
}

// ---- helpers -------------------------------------------------------------------------------

std::vector<const Pod*> ControllerManager::owned_pods(const std::string& owner_uid) const {
  std::vector<const Pod*> out;
  auto it = node_health_->owned_pods.find(owner_uid);
  if (it == node_health_->owned_pods.end()) return out;
  out.reserve(it->second.pods.size());
  for (const auto& [key, pod] : it->second.pods) out.push_back(pod.get());
  return out;
}

std::vector<std::shared_ptr<const ReplicaSet>> ControllerManager::owned_replicasets(
    const std::string& owner_uid) const {
  std::vector<std::shared_ptr<const ReplicaSet>> out;
  auto it = rs_by_owner_.find(owner_uid);
  if (it == rs_by_owner_.end()) return out;
  const auto& cache = replicasets_->cache();
  for (const auto& key : it->second) {
    auto r = cache.find(key);
    if (r != cache.end()) out.push_back(r->second);
  }
  return out;
}

bool ControllerManager::expectations_satisfied(const std::string& key) const {
  auto it = expectations_.find(key);
  if (it == expectations_.end()) return true;
  const Expectations& e = it->second;
  if (e.adds <= 0 && e.deletes <= 0) return true;
  return sim_.now() - e.set_at > config_.expectations_timeout;
}

void ControllerManager::observe(const std::string& owner_key, bool add) {
  auto it = expectations_.find(owner_key);
  if (it == expectations_.end()) return;
  if (add) {
    --it->second.adds;
  } else {
    --it->second.deletes;
  }
}

std::string ControllerManager::random_suffix() {
  // upstream k8s.io/apimachinery/pkg/util/rand: consonants and digits without vowels or
  // look-alikes, so generated names never spell words.
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string s(5, ' ');
  for (auto& c : s) c = kAlphabet[names_rng_.below(kAlphabet.size())];
  return s;
}

Pod ControllerManager::pod_from_template(const PodTemplateSpec& tmpl, const ObjectMeta& owner,
                                         std::string_view owner_kind,
                                         std::string_view api_version) {
  Pod pod;
  pod.metadata.namespace_ = owner.namespace_;
  pod.metadata.labels = tmpl.metadata.labels;
  pod.metadata.annotations = tmpl.metadata.annotations;
  pod.metadata.generate_name = owner.name + "-";
  pod.metadata.owner_references.push_back(controller_reference(api_version, owner_kind, owner));
  pod.spec = tmpl.spec;
  return pod;
}

void ControllerManager::create_pods_slow_start(const std::string& owner_key, const Pod& prototype,
                                               std::vector<std::int32_t> batches,
                                               std::size_t batch) {
  if (batch >= batches.size()) return;
  const std::int32_t n = batches[batch];
  auto remaining = std::make_shared<std::int32_t>(n);
  auto failed = std::make_shared<bool>(false);
  auto rest = std::make_shared<std::vector<std::int32_t>>(std::move(batches));
  for (std::int32_t i = 0; i < n; ++i) {
    Pod pod = prototype;
    pod.metadata.name = prototype.metadata.generate_name + random_suffix();
    pods_created_.add();
    api_.create<Pod>(client_, std::move(pod),
                     [this, owner_key, prototype, remaining, failed, rest,
                      batch](const sim::Status& status) {
                       if (!status.ok()) {
                         *failed = true;
                         observe(owner_key, true);  // upstream CreationObserved on failure
                       }
                       if (--*remaining > 0) return;
                       if (*failed) {
                         // The batches not started are not expected any more.
                         std::int32_t skipped = 0;
                         for (std::size_t b = batch + 1; b < rest->size(); ++b) skipped += (*rest)[b];
                         if (auto it = expectations_.find(owner_key); it != expectations_.end()) {
                           it->second.adds -= skipped;
                         }
                         return;
                       }
                       create_pods_slow_start(owner_key, prototype, *rest, batch + 1);
                     });
  }
}

// ---- ReplicaSet ------------------------------------------------------------------------------

void ControllerManager::sync_replicaset(const std::string& key) {
  auto sep = key.find('/');
  auto rs = replicasets_->get(key.substr(0, sep), key.substr(sep + 1));
  if (rs == nullptr) return;
  const std::string exp_key = "rs/" + key;
  // The running counts (ReplicaSetPodCounts), recounted when the template's labels changed.
  NodeHealth::Owned* owned_entry = nullptr;
  if (auto it = node_health_->owned_pods.find(rs->metadata.uid);
      it != node_health_->owned_pods.end()) {
    owned_entry = &it->second;
    const Labels& labels = rs->spec.template_.metadata.labels;
    if (!owned_entry->counted || !(owned_entry->template_labels == labels)) {
      owned_entry->template_labels = labels;
      owned_entry->counts = {};
      for (const auto& [k, p] : owned_entry->pods) owned_entry->counts.apply(*p, labels, +1);
      owned_entry->counted = true;
    }
  }
  const ReplicaSetPodCounts counts = owned_entry != nullptr ? owned_entry->counts
                                                            : ReplicaSetPodCounts{};
  if (expectations_satisfied(exp_key) && !rs->metadata.being_deleted()) {
    // upstream manageReplicas: creates need only the number of active pods; deletes rank
    // them (replica_set_diff).
    ReplicaSetDiff diff;
    if (counts.active < rs->spec.replicas) {
      diff.creates = std::min(rs->spec.replicas - counts.active, kBurstReplicas);
    } else if (counts.active > rs->spec.replicas) {
      std::vector<const Pod*> active;
      for (const Pod* p : owned_pods(rs->metadata.uid)) {
        if (is_pod_active(*p)) active.push_back(p);
      }
      diff = replica_set_diff(*rs, active, active, sim_.now());
    }
    if (diff.creates > 0) {
      expectations_[exp_key] = Expectations{diff.creates, 0, sim_.now()};
      Pod prototype = pod_from_template(rs->spec.template_, rs->metadata, "ReplicaSet", "apps/v1");
      create_pods_slow_start(exp_key, prototype, slow_start_batches(diff.creates), 0);
    } else if (!diff.deletes.empty()) {
      expectations_[exp_key] =
          Expectations{0, static_cast<std::int32_t>(diff.deletes.size()), sim_.now()};
      for (const Pod* p : diff.deletes) {
        pods_deleted_.add();
        api_.delete_pod(client_, p->metadata.namespace_, p->metadata.name, std::nullopt,
                        [this, exp_key](const sim::Status& s) {
                          if (!s.ok()) observe(exp_key, false);
                        });
      }
    }
  }
  std::vector<const Pod*> owned;  // only with minReadySeconds: availability needs the times
  if (rs->spec.min_ready_seconds != 0) owned = owned_pods(rs->metadata.uid);
  ReplicaSetStatus status = rs->spec.min_ready_seconds == 0
                                ? replica_set_status(*rs, counts)
                                : replica_set_status(*rs, owned, sim_.now());
  status.observed_generation = rs->metadata.generation;
  const ReplicaSetStatus& cur = rs->status;
  if (status.replicas != cur.replicas || status.ready_replicas != cur.ready_replicas ||
      status.available_replicas != cur.available_replicas ||
      status.fully_labeled_replicas != cur.fully_labeled_replicas ||
      status.terminating_replicas != cur.terminating_replicas ||
      status.observed_generation != cur.observed_generation) {
    api_.patch<ReplicaSet>(client_, rs->metadata.namespace_, rs->metadata.name,
                           [status](ReplicaSet& r) {
                             r.status.replicas = status.replicas;
                             r.status.fully_labeled_replicas = status.fully_labeled_replicas;
                             r.status.ready_replicas = status.ready_replicas;
                             r.status.available_replicas = status.available_replicas;
                             r.status.terminating_replicas = status.terminating_replicas;
                             r.status.observed_generation = status.observed_generation;
                             return true;
                           });
  }
  // With minReadySeconds 0 a Ready pod is available at once: nothing changes by time alone.
  if (rs->spec.min_ready_seconds == 0) return;
  if (auto next = next_availability_change(*rs, owned, sim_.now())) {
    rs_queue_->add_after(key, *next - sim_.now());
  }
}

// ---- Deployment ------------------------------------------------------------------------------

void ControllerManager::sync_deployment(const std::string& key) {
  auto sep = key.find('/');
  auto d = deployments_->get(key.substr(0, sep), key.substr(sep + 1));
  if (d == nullptr) return;
  deployment_key_by_uid_[d->metadata.uid] = key;
  const sim::Time now = sim_.now();
  auto owned = owned_replicasets(d->metadata.uid);
  std::vector<const ReplicaSet*> all;
  for (const auto& rs : owned) all.push_back(rs.get());
  const ReplicaSet* new_rs = find_new_replica_set(*d, all);
  std::vector<const ReplicaSet*> olds;
  for (const ReplicaSet* rs : all) {
    if (rs != new_rs) olds.push_back(rs);
  }

  auto apply_scales = [&](const std::vector<ScaleDecision>& scales) {
    for (const ScaleDecision& s : scales) {
      ReplicaSet copy = *s.rs;
      apply_scale(copy, s);
      const std::int64_t rv = s.rs->metadata.resource_version;
      api_.update<ReplicaSet>(client_, std::move(copy), rv, [this, key](const sim::Status& st) {
        if (!st.ok()) deployment_queue_->add_after(key, sim::kSecond);
      });
    }
  };
  auto write_status = [&](const ReplicaSet* current_new) {
    DeploymentStatus status = deployment_status(*d, all, current_new, now);
    status.observed_generation = d->metadata.generation;
    const DeploymentStatus& cur = d->status;
    bool same = status.replicas == cur.replicas && status.updated_replicas == cur.updated_replicas &&
                status.ready_replicas == cur.ready_replicas &&
                status.available_replicas == cur.available_replicas &&
                status.unavailable_replicas == cur.unavailable_replicas &&
                status.observed_generation == cur.observed_generation &&
                status.conditions.size() == cur.conditions.size();
    if (same) {
      for (std::size_t i = 0; i < status.conditions.size(); ++i) {
        const Condition& a = status.conditions[i];
        const Condition& b = cur.conditions[i];
        same = same && a.type == b.type && a.status == b.status && a.reason == b.reason;
      }
    }
    if (!same) {
      api_.patch<Deployment>(client_, d->metadata.namespace_, d->metadata.name,
                             [status](Deployment& dep) {
                               dep.status = status;
                               return true;
                             });
    }
    if (auto check = progress_deadline_check_time(*d, status)) {
      deployment_queue_->add_after(key, std::max<sim::Duration>(*check - now, sim::kSecond));
    }
  };

  if (d->metadata.being_deleted() || d->spec.paused) {
    write_status(new_rs);
    return;
  }
  if (new_rs != nullptr && is_scaling_event(*d, all)) {
    apply_scales(proportional_scale(*d, new_rs, olds));
    write_status(new_rs);
    return;
  }
  if (new_rs == nullptr) {
    if (d->spec.strategy == DeploymentStrategyType::kRecreate) {
      RecreateStep step = recreate_step(*d, nullptr, olds, false);
      if (!step.scales.empty()) {
        apply_scales(step.scales);
        write_status(nullptr);
        return;
      }
      std::vector<const Pod*> others;
      for (const ReplicaSet* rs : olds) {
        for (const Pod* p : owned_pods(rs->metadata.uid)) others.push_back(p);
      }
      if (old_pods_running(olds, others)) {
        write_status(nullptr);
        return;
      }
    }
    ReplicaSet rs = make_new_replica_set(*d, olds, now);
    rs.metadata.uid = api_.new_uid();
    api_.create<ReplicaSet>(client_, std::move(rs), [this, key](const sim::Status& st) {
      if (!st.ok()) deployment_queue_->add_after(key, sim::kSecond);
    });
    write_status(nullptr);
    return;
  }
  {
    ReplicaSet annotated = *new_rs;
    if (update_new_replica_set_annotations(*d, annotated, max_revision(olds) + 1)) {
      api_.update<ReplicaSet>(client_, std::move(annotated), new_rs->metadata.resource_version);
    }
  }
  if (d->spec.strategy == DeploymentStrategyType::kRecreate) {
    std::vector<const Pod*> others;
    for (const ReplicaSet* rs : olds) {
      for (const Pod* p : owned_pods(rs->metadata.uid)) others.push_back(p);
    }
    RecreateStep step = recreate_step(*d, new_rs, olds, old_pods_running(olds, others));
    apply_scales(step.scales);
  } else {
    RolloutStep step = rolling_update_step(*d, *new_rs, olds);
    apply_scales(step.scales);
    for (const ReplicaSet* rs : step.cleanup) {
      api_.remove<ReplicaSet>(client_, rs->metadata.namespace_, rs->metadata.name);
    }
  }
  write_status(new_rs);
}

sim::Status ControllerManager::rollback(std::string_view namespace_, std::string_view name,
                                        std::int64_t revision) {
  auto d = deployments_->get(namespace_, name);
  if (d == nullptr) {
    return sim::Status::not_found("deployments \"" + std::string(name) + "\" not found");
  }
  auto owned = owned_replicasets(d->metadata.uid);
  std::vector<const ReplicaSet*> all;
  for (const auto& rs : owned) all.push_back(rs.get());
  Deployment copy = *d;
  switch (models::rollback(copy, all, revision)) {
    case RollbackResult::kRevisionNotFound:
      return sim::Status::not_found("unable to find specified revision " + std::to_string(revision) +
                                    " in history");
    case RollbackResult::kTemplateUnchanged:
      return sim::Status();
    case RollbackResult::kDone:
      break;
  }
  ++copy.metadata.generation;
  api_.update<Deployment>(client_, std::move(copy), d->metadata.resource_version);
  return sim::Status();
}

// ---- Job, NodeLifecycle, PodGC ---------------------------------------------------------------

void ControllerManager::sync_job(const std::string& key) {
  auto sep = key.find('/');
  auto job = jobs_->get(key.substr(0, sep), key.substr(sep + 1));
  if (job == nullptr) {
    job_states_.erase(key);
    return;
  }
  JobState& st = job_states_[key];
  if (job_finished(*job)) return;
  const sim::Time now = sim_.now();
  // Finished pods are already in st.tally: on_pod() counts each when it is seen finishing,
  // on_pod_delete() each that goes before finishing.
  std::vector<const Pod*> pods = owned_pods(job->metadata.uid);
  const std::string exp_key = "job/" + key;
  if (!expectations_satisfied(exp_key)) return;
  JobSyncResult r = models::sync_job(*job, pods, st.tally, st.backoff, now);
  if (r.creates > 0) {
    expectations_[exp_key] = Expectations{r.creates, 0, now};
    Pod prototype = pod_from_template(job->spec.template_, job->metadata, "Job", "batch/v1");
    // upstream job controller labels (batch.kubernetes.io/controller-uid, job-name, and
    // their legacy unprefixed forms).
    prototype.metadata.labels.set("batch.kubernetes.io/controller-uid", job->metadata.uid);
    prototype.metadata.labels.set("batch.kubernetes.io/job-name", job->metadata.name);
    prototype.metadata.labels.set("controller-uid", job->metadata.uid);
    prototype.metadata.labels.set("job-name", job->metadata.name);
    create_pods_slow_start(exp_key, prototype, slow_start_batches(r.creates), 0);
  } else if (!r.deletes.empty()) {
    expectations_[exp_key] = Expectations{0, static_cast<std::int32_t>(r.deletes.size()), now};
    for (const Pod* p : r.deletes) {
      pods_deleted_.add();
      api_.delete_pod(client_, p->metadata.namespace_, p->metadata.name, std::nullopt,
                      [this, exp_key](const sim::Status& s) {
                        if (!s.ok()) observe(exp_key, false);
                      });
    }
  }
  const JobStatus& cur = job->status;
  const JobStatus& next = r.status;
  bool same = cur.active == next.active && cur.succeeded == next.succeeded &&
              cur.failed == next.failed && cur.ready == next.ready &&
              cur.terminating == next.terminating && cur.start_time == next.start_time &&
              cur.completion_time == next.completion_time &&
              cur.conditions.size() == next.conditions.size();
  for (std::size_t i = 0; same && i < next.conditions.size(); ++i) {
    same = cur.conditions[i].type == next.conditions[i].type &&
           cur.conditions[i].status == next.conditions[i].status;
  }
  if (!same) {
    api_.patch<Job>(client_, job->metadata.namespace_, job->metadata.name, [status = r.status](Job& j) {
      j.status = status;
      return true;
    });
  }
  if (r.requeue_after) job_queue_->add_after(key, std::max<sim::Duration>(*r.requeue_after, 1));
}
// upstream monitorNodeHealth, every node-monitor-period.
void ControllerManager::monitor_nodes() {
  NodeHealth& nh = *node_health_;
  const sim::Time now = sim_.now();
  auto& ready_by_zone = nh.ready_by_zone;
  for (auto& [zone, statuses] : ready_by_zone) statuses.clear();
  for (auto& due = nh.renewals_due; !due.empty() && due.front().at <= now; due.pop_front()) {
    std::optional<sim::Time>& renewed = nh.health[due.front().node].renewed;
    renewed = std::max(renewed.value_or(due.front().renew_time), due.front().renew_time);
  }
  // The zone of the previous node and its records: nodes of one zone mostly come in runs,
  // so most nodes need no zone look-up (zones are never dropped from the tracker, and
  // ready_by_zone loses entries only after the walk).
  const std::string* zone_seen = nullptr;
  ZoneTaintQueue* zone_queue = nullptr;
  std::vector<std::optional<ConditionStatus>>* zone_ready = nullptr;
  // The entries are in node-name order, as the node informer's cache is.
  for (auto& [name, entry] : nh.health) {
    if (entry.node == nullptr) continue;
    const Node* node = entry.node.get();
    // The Lease's renewTime as watched: the object's, or a later heartbeat's.
    std::optional<sim::Time> lease_renew_time;
    if (entry.has_lease) {
      lease_renew_time = entry.lease_renew_time;
      if (entry.renewed && (!lease_renew_time || *lease_renew_time < *entry.renewed)) {
        lease_renew_time = entry.renewed;
      }
    }
    if (entry.node_version != node->metadata.resource_version) {
      entry.node_version = node->metadata.resource_version;
      entry.zone = zone_key(*node);
      entry.excluded = excluded_from_disruption_checks(*node);
    }
    const std::string& zone = entry.zone;
    if (zone_seen == nullptr || *zone_seen != zone) {
      nh.tracker.ensure_zone(zone, now);
      zone_queue = nh.tracker.queue(zone);
      zone_ready = &ready_by_zone[zone];
      zone_seen = &zone;
    }
    models::NodeHealth& health = entry.health;
    // A steady node (Ready at its last full evaluation, with nothing written, no NoExecute
    // taint to remove, not queued for tainting, no pod to mark) whose Node object has not
    // changed since: update_node_health sees no new Ready heartbeat, at most a newer lease
    // (probe now), and no timeout while now <= probe + grace; the rest of the pass finds
    // the same nothing to do. Only its Ready status for the zone is needed.
    if (entry.steady && entry.steady_version == node->metadata.resource_version) {
      if (lease_renew_time &&
          (!health.saved_lease_renew || *health.saved_lease_renew < *lease_renew_time)) {
        health.saved_lease_renew = lease_renew_time;
        health.probe_timestamp = now;
      }
      if (now <= health.probe_timestamp + entry.steady_grace) {
        if (!entry.excluded) zone_ready->push_back(ConditionStatus::kTrue);
        continue;
      }
    }
    // update_node_health: try_update_node_health's decisions without copying conditions.
    NodeHealthPass r = update_node_health(health, *node, lease_renew_time, now, nh.config);
    if (r.status_changed) {
      api_.patch<Node>(client_, "", name, [conditions = std::move(r.conditions)](Node& n) {
        n.status.conditions = conditions;
        return true;
      });
    }
    if (!entry.excluded) zone_ready->push_back(r.current_status);
    bool reachable_without_taints = false;
    switch (taint_eviction_action(*node, r.observed_status)) {
      case TaintEvictionAction::kSwapToNotReady:
      case TaintEvictionAction::kSwapToUnreachable:
        if (auto update = no_execute_taint_update(*node, now)) patch_taints(name, *update);
        break;
      case TaintEvictionAction::kQueueForTainting:
        if (zone_queue != nullptr) {
          mark_node_for_tainting(*zone_queue, *node, r.observed_status, now);
        }
        break;
      case TaintEvictionAction::kMarkReachable: {
        TaintUpdate update;
        for (const Taint& t : node->spec.taints) {
          if (t.effect == TaintEffect::kNoExecute &&
              (t.key == kTaintNodeNotReady || t.key == kTaintNodeUnreachable)) {
            update.remove.push_back(t);
          }
        }
        if (!update.empty()) patch_taints(name, update);
        if (zone_queue != nullptr) zone_queue->remove(name);
        reachable_without_taints = update.empty();
        break;
      }
      case TaintEvictionAction::kNone:
        break;
    }
    const bool mark_pods = should_mark_pods_not_ready(r.observed_status, r.current_status);
    entry.steady = reachable_without_taints && !r.status_changed &&
                   r.observed_status == ConditionStatus::kTrue &&
                   r.current_status == ConditionStatus::kTrue && !mark_pods;
    entry.steady_version = node->metadata.resource_version;
    entry.steady_grace = r.grace_period;
    if (mark_pods) {
      auto pods = nh.pods_by_node.find(name);
      if (pods != nh.pods_by_node.end()) {
        for (const auto& pod_key : pods->second) {
          auto p = pods_->cache().find(pod_key);
          if (p == pods_->cache().end() || !p->second->ready()) continue;
          if (!nh.marking_not_ready.insert(pod_key).second) continue;  // still in flight
          api_.patch<Pod>(
              client_, p->second->metadata.namespace_, p->second->metadata.name,
              [now](Pod& pod) {
                Condition c;
                c.type = std::string(kPodReady);
                c.status = ConditionStatus::kFalse;
                c.last_transition_time = now;
                return set_condition(pod.status.conditions, std::move(c));
              },
              [this, pod_key](const sim::Status&) {
                node_health_->marking_not_ready.erase(pod_key);
              });
        }
      }
    }
  }
  // Zones left without (non-excluded) nodes must not appear, as in a fresh map.
  std::erase_if(ready_by_zone, [](const auto& e) { return e.second.empty(); });
  DisruptionTracker::Result d = nh.tracker.handle_disruption(ready_by_zone, now);
  if (d.entered_full_disruption) {
    for (const auto& [key, node] : nodes_->cache()) {
      TaintUpdate update;
      for (const Taint& t : node->spec.taints) {
        if (t.effect == TaintEffect::kNoExecute &&
            (t.key == kTaintNodeNotReady || t.key == kTaintNodeUnreachable)) {
          update.remove.push_back(t);
        }
      }
      if (!update.empty()) patch_taints(node->metadata.name, update);
      if (ZoneTaintQueue* q = nh.tracker.queue(zone_key(*node))) q->remove(node->metadata.name);
    }
  }
  if (d.exited_full_disruption) {
    for (auto& [name, entry] : nh.health) {
      entry.health.probe_timestamp = now;
      entry.health.ready_transition_timestamp = now;
    }
  }
  arm_taint_pass();
}

namespace {

bool any_node_queued_for_tainting(DisruptionTracker& tracker) {
  for (const auto& [zone, state] : tracker.states()) {
    const ZoneTaintQueue* q = tracker.queue(zone);
    if (q != nullptr && q->size() > 0) return true;
  }
  return false;
}

}  // namespace

// upstream runs doNoExecuteTaintingPass every NodeEvictionPeriod (100 ms) from the
// controller's start, work or not. A pass over empty queues does nothing (Try takes a token
// only for a queued node), so kubesim runs the passes only while a zone queue holds a node,
// at the same instants: the first grid point from now on. Only monitor_nodes() queues
// nodes, and it runs on that grid (nodeMonitorPeriod is a multiple of 100 ms) before the
// pass of the same instant, as the upstream timers order them.
void ControllerManager::arm_taint_pass() {
  NodeHealth& nh = *node_health_;
  if (sim_.is_pending(nh.tainting) || !any_node_queued_for_tainting(nh.tracker)) return;
  const sim::Duration period = nh.config.no_execute_tainting_period;
  const sim::Duration since = sim_.now() - nh.tainting_origin;
  // The first pass is one period after the start, as a timer's first tick.
  const sim::Duration k = std::max<sim::Duration>(1, (since + period - 1) / period);
  nh.tainting = sim_.schedule_at(nh.tainting_origin + k * period, [this] { taint_pass(); });
}

// upstream doNoExecuteTaintingPass.
void ControllerManager::taint_pass() {
  NodeHealth& nh = *node_health_;
  const sim::Time now = sim_.now();
  nh.tainting = sim::EventHandle();
  for (const auto& [zone, state] : nh.tracker.states()) {
    ZoneTaintQueue* q = nh.tracker.queue(zone);
    if (q == nullptr || q->size() == 0) continue;
    q->try_process(now, [&](std::string_view name) {
      auto node = nodes_->get("", name);
      if (node == nullptr) return true;
      if (auto update = no_execute_taint_update(*node, now)) {
        patch_taints(std::string(name), *update);
      }
      return true;
    });
  }
  if (any_node_queued_for_tainting(nh.tracker)) {
    nh.tainting =
        sim_.schedule_after(nh.config.no_execute_tainting_period, [this] { taint_pass(); });
  }
}

void ControllerManager::patch_taints(const std::string& node, const TaintUpdate& update) {
  api_.patch<Node>(client_, "", node, [update](Node& n) {
    std::vector<Taint> before = n.spec.taints;
    apply_taint_update(n.spec.taints, update);
    return n.spec.taints != before;
  });
}

// NoSchedule tainting on every node change (upstream doNoScheduleTaintingPass), and the
// taint eviction controller's reaction to NoExecute taints.
void ControllerManager::on_node(const std::shared_ptr<const Node>& old_node,
                                const std::shared_ptr<const Node>& node) {
  TaintUpdate update = no_schedule_taint_update(*node);
  if (!update.empty()) patch_taints(node->metadata.name, update);
  // upstream tainteviction NodeUpdated: when the node's NoExecute taints are unchanged
  // (DeepEqual of the NoExecute subset, timeAdded included) nothing is queued for its pods.
  if (old_node != nullptr && same_no_execute_taints(old_node->spec.taints, node->spec.taints)) {
    return;
  }
  auto pods = node_health_->pods_by_node.find(node->metadata.name);
  if (pods == node_health_->pods_by_node.end()) return;
  for (const auto& key : pods->second) {
    auto p = pods_->cache().find(key);
    if (p != pods_->cache().end()) evict_if_needed(*node, *p->second);
  }
}

// upstream tainteviction processPodOnNode: delete at once, after the smallest
// tolerationSeconds (counted from when the controller first saw the taint), or never.
void ControllerManager::evict_if_needed(const Node& node, const Pod& pod) {
  NodeHealth& nh = *node_health_;
  const std::string key = key_of(pod);
  auto existing = nh.evictions.find(key);
  auto cancel = [&] {
    if (existing != nh.evictions.end()) {
      sim_.cancel(existing->second.event);
      nh.evictions.erase(existing);
    }
  };
  if (pod.terminal() || pod.metadata.being_deleted()) {
    cancel();
    return;
  }
  NoExecuteDecision decision = no_execute_decision(node.spec.taints, pod.spec.tolerations);
  const sim::Time now = sim_.now();
  switch (decision.kind) {
    case NoExecuteDecision::Kind::kNoTaints:
    case NoExecuteDecision::Kind::kTolerateForever:
      cancel();
      return;
    case NoExecuteDecision::Kind::kEvictNow:
      cancel();
      evict(pod.metadata.namespace_, pod.metadata.name);
      return;
    case NoExecuteDecision::Kind::kEvictAfter: {
      sim::Time created = now;
      if (existing != nh.evictions.end()) {
        created = existing->second.created;
        if (created + decision.delay >= existing->second.trigger) return;  // keep the earlier
        sim_.cancel(existing->second.event);
      }
      const sim::Time trigger = std::max(now, created + decision.delay);
      NodeHealth::Eviction e;
      e.created = created;
      e.trigger = trigger;
      e.event = sim_.schedule_at(trigger, [this, k = std::make_shared<std::string>(key)] {
        node_health_->evictions.erase(*k);
        auto sep = k->find('/');
        evict(k->substr(0, sep), k->substr(sep + 1));
      });
      nh.evictions[key] = e;
      return;
    }
  }
}

void ControllerManager::evict(const std::string& namespace_, const std::string& name) {
  const sim::Time now = sim_.now();
  evictions_.add();
  api_.patch<Pod>(client_, namespace_, name, [now](Pod& p) {
    Condition c;
    c.type = std::string(kPodDisruptionTarget);
    c.status = ConditionStatus::kTrue;
    c.last_transition_time = now;
    c.reason = "DeletionByTaintManager";
    return set_condition(p.status.conditions, std::move(c));
  });
  api_.delete_pod(client_, namespace_, name);
}
// upstream PodGCController.gc, every 20 s.
// Upstream lists every pod; this pass lists only pod_gc_candidate pods (kept as running
// sets), in the informer's key order, which gives the same actions (tested in
// tests/models/pod_gc_logic_test.cpp).
void ControllerManager::gc_pods() {
  NodeHealth& nh = *node_health_;
  PodGcConfig config;
  config.terminated_pod_threshold = config_.terminated_pod_gc_threshold;
  std::vector<const std::string*> keys;
  if (config.terminated_pod_threshold > 0 &&
      nh.terminal_pods.size() > static_cast<std::size_t>(config.terminated_pod_threshold)) {
    for (const std::string& k : nh.terminal_pods) keys.push_back(&k);
  }
  for (const std::string& k : nh.terminating_pods) keys.push_back(&k);
  for (const auto& [node, pod_keys] : nh.pods_by_node) {
    if (pod_keys.empty() || nodes_->get("", node) != nullptr) continue;
    for (const std::string& k : pod_keys) keys.push_back(&k);
  }
  std::sort(keys.begin(), keys.end(), [](const std::string* a, const std::string* b) { return *a < *b; });
  keys.erase(std::unique(keys.begin(), keys.end(),
                         [](const std::string* a, const std::string* b) { return *a == *b; }),
             keys.end());
  std::vector<const Pod*> pods;
  pods.reserve(keys.size());
  for (const std::string* k : keys) {
    auto it = pods_->cache().find(*k);
    if (it != pods_->cache().end()) pods.push_back(it->second.get());
  }
  const sim::Time now = sim_.now();
  if (pods.empty()) {
    // pod_gc with no candidate only drains the quarantine's due node names.
    (void)gc_quarantine_->take_ready(now);
    return;
  }
  std::vector<const Node*> nodes;
  nodes.reserve(nodes_->cache().size());
  for (const auto& [key, n] : nodes_->cache()) nodes.push_back(n.get());
  for (const PodGcAction& a : pod_gc(pods, nodes, *gc_quarantine_, now, config)) {
    const Pod& p = *a.pod;
    if (a.mark_failed || a.disruption_condition) {
      api_.patch<Pod>(client_, p.metadata.namespace_, p.metadata.name,
                      [a, now](Pod& pod) {
                        if (a.disruption_condition) {
                          Condition c;
                          c.type = std::string(kPodDisruptionTarget);
                          c.status = ConditionStatus::kTrue;
                          c.last_transition_time = now;
                          c.reason = std::string(kReasonDeletionByPodGC);
                          c.message = "PodGC: node no longer exists";
                          set_condition(pod.status.conditions, std::move(c));
                        }
                        if (a.mark_failed && !pod.terminal()) pod.status.phase = PodPhase::kFailed;
                        return true;
                      });
    }
    pods_deleted_.add();
    api_.delete_pod(client_, p.metadata.namespace_, p.metadata.name, 0);
  }
}

}  // namespace kubesim::models
