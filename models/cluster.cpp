#include "models/cluster.hpp"

#include "models/deployment_logic.hpp"
#include "models/node_lifecycle_logic.hpp"

#include <algorithm>
#include <utility>

namespace kubesim::models {
namespace {

}  // namespace

std::string_view to_string(NodeEventType type) {
  switch (type) {
    case NodeEventType::kRequested: return "Requested";
    case NodeEventType::kRegistered: return "Registered";
    case NodeEventType::kCancelled: return "Cancelled";
    case NodeEventType::kDeletionStarted: return "DeletionStarted";
    case NodeEventType::kDeleted: return "Deleted";
    case NodeEventType::kSpotNotice: return "SpotNotice";
    case NodeEventType::kReclaimed: return "Reclaimed";
    case NodeEventType::kDeletionFailed:
      return "DeletionFailed";
  }
  return "unknown";
}

std::string_view to_string(FaultType type) {
  switch (type) {
    case FaultType::kNodeFailure: return "nodeFailure";
    case FaultType::kEtcdLeaderLoss: return "etcdLeaderLoss";
    case FaultType::kEtcdMemberLoss: return "etcdMemberLoss";
    case FaultType::kApiServerReplicaLoss: return "apiServerReplicaLoss";
  }
  return "unknown";
}

Cluster::Cluster(sim::Simulation& sim, sim::MetricRegistry& metrics, ClusterConfig config,
                 std::vector<std::unique_ptr<sched::Framework>> frameworks)
    : sim_(sim), config_(std::move(config)), metrics_(&metrics) {
  api_ = std::make_unique<ApiServer>(sim, metrics, config_.api_server);
  applier_ = &api_->make_client("applier", ClientRateLimit{1e6, 1000000});
  seed();
  api_->pod_admission = [this](Pod& pod) -> sim::Status {
    // Priority admission (plugin/pkg/admission/priority).
    if (!pod.spec.priority_class_name.empty()) {
      auto pc = api_->priority_classes().get("", pod.spec.priority_class_name);
      if (pc == nullptr) {
        return sim::Status::invalid_argument("pods \"" + pod.metadata.name +
                                             "\" is forbidden: no PriorityClass with name " +
                                             pod.spec.priority_class_name + " was found");
      }
      pod.spec.priority = pc->value;
      pod.spec.preemption_policy = pc->preemption_policy;
    } else {
      for (const auto& pc : api_->priority_classes().list()) {
        if (pc->global_default) {
          pod.spec.priority_class_name = pc->metadata.name;
          pod.spec.priority = pc->value;
          pod.spec.preemption_policy = pc->preemption_policy;
          break;
        }
      }
    }
    add_default_tolerations(pod.spec, config_.controllers.default_not_ready_toleration_seconds,
                            config_.controllers.default_unreachable_toleration_seconds);
    return sim::Status();
  };
  controllers_ = std::make_unique<ControllerManager>(sim, metrics, *api_, config_.controllers);
  scheduler_ = std::make_unique<Scheduler>(sim, metrics, *api_, std::move(frameworks),
                                           config_.scheduler);
  kubelets_ = std::make_unique<KubeletFleet>(sim, metrics, *api_, config_.image_bytes);
  for (std::size_t i = 0; i < config_.node_pools.size(); ++i) {
    const NodePool& pool = config_.node_pools[i];
    for (const Node& n : make_nodes(pool, sim.now())) {
      kubelets_->add_node(n, pool.kubelet);
    }
  }
  controllers_->start();
  for (const NodePool& pool : config_.node_pools) {
    next_index_.push_back(pool.count);
    provisioning_rngs_.push_back(sim_.rng("provisioning/" + pool.name));
    spot_rngs_.push_back(std::make_shared<sim::Rng>(sim_.rng("spot/" + pool.name)));
  }
  // Spot lifetimes of the nodes the run starts with, drawn in name order per pool.
  for (const std::string& name : registered_order_) {
    const std::size_t pool = pool_by_node_.find(name)->second;
    if (config_.node_pools[pool].spot_mean_time_to_reclaim) schedule_spot_reclaim(name, pool);
  }
}

Cluster::~Cluster() = default;

void Cluster::seed() {
  for (const char* ns : {"default", "kube-system", "kube-node-lease", "kube-public"}) {
    Namespace n;
    n.metadata.name = ns;
    n.metadata.uid = api_->new_uid();
    (void)api_->namespaces().create(std::move(n));
  }
  for (auto [name, value] : {std::pair<const char*, std::int32_t>{"system-cluster-critical", kSystemClusterCritical},
                             {"system-node-critical", kSystemNodeCritical}}) {
    PriorityClass pc;
    pc.metadata.name = name;
    pc.metadata.uid = api_->new_uid();
    pc.value = value;
    (void)api_->priority_classes().create(std::move(pc));
  }
  for (std::size_t i = 0; i < config_.node_pools.size(); ++i) {
    const NodePool& pool = config_.node_pools[i];
    gpu_topologies_.push_back(pool.gpu_topology());
    for (Node& n : make_nodes(pool, sim_.now())) {
      pool_by_node_.emplace(n.metadata.name, i);
      registered_order_.push_back(n.metadata.name);
      topology_.add_node(n.metadata.name, n.metadata.labels.get(kLabelZone),
                         n.metadata.labels.get(kLabelRack));
      Lease lease;
      lease.metadata.namespace_ = std::string(kNodeLeaseNamespace);
      lease.metadata.name = n.metadata.name;
      lease.metadata.uid = api_->new_uid();
      OwnerReference owner;
      owner.api_version = "v1";
      owner.kind = "Node";
      owner.name = n.metadata.name;
      owner.uid = n.metadata.uid;
      lease.metadata.owner_references.push_back(owner);
      lease.spec.holder_identity = n.metadata.name;
      lease.spec.lease_duration_seconds =
          static_cast<std::int32_t>(pool.kubelet.lease_duration / sim::kSecond);
      lease.spec.acquire_time = sim_.now();
      lease.spec.renew_time = sim_.now();
      (void)api_->nodes().create(std::move(n));
      (void)api_->leases().create(std::move(lease));
    }
  }
}

const NodePool* Cluster::pool_of(std::string_view node) const {
  auto it = pool_by_node_.find(node);
  return it == pool_by_node_.end() ? nullptr : &config_.node_pools[it->second];
}

const GpuTopology* Cluster::gpu_topology_of(std::string_view node) const {
  auto it = pool_by_node_.find(node);
  return it == pool_by_node_.end() ? nullptr : &gpu_topologies_[it->second];
}

void Cluster::update_deployment_at(sim::Time at, Deployment deployment) {
  auto change = std::make_shared<Deployment>(std::move(deployment));
  sim_.schedule_at(at, [this, change] {
    api_->patch<Deployment>(
        *applier_, change->metadata.namespace_, change->metadata.name,
        [change](Deployment& d) {
          const DeploymentSpec& next = change->spec;
          const bool changed =
              next.replicas != d.spec.replicas || next.strategy != d.spec.strategy ||
              next.max_surge != d.spec.max_surge || next.max_unavailable != d.spec.max_unavailable ||
              next.min_ready_seconds != d.spec.min_ready_seconds || next.paused != d.spec.paused ||
              next.revision_history_limit != d.spec.revision_history_limit ||
              next.progress_deadline_seconds != d.spec.progress_deadline_seconds ||
              canonical_template(next.template_) != canonical_template(d.spec.template_);
          if (!changed) return false;
          d.spec = next;
          ++d.metadata.generation;
          return true;
        },
        [this](const sim::Status& s) {
          if (!s.ok()) apply_errors_.push_back(s.message());
        });
  });
}

void Cluster::delete_pod_now(std::string namespace_, std::string name) {
  api_->delete_pod(*applier_, std::move(namespace_), std::move(name), std::nullopt,
                   [this](const sim::Status& s) {
                     if (!s.ok() && s.code() != sim::Status::Code::kNotFound) {
                       apply_errors_.push_back(s.message());
                     }
                   });
}

void Cluster::add_node(Node node) {
  node.metadata.creation_timestamp = sim_.now();
  if (node.metadata.uid.empty()) node.metadata.uid = "node-" + node.metadata.name;
  if (find_condition(node.status.conditions, kNodeReady) == nullptr) {
    Condition ready;
    ready.type = std::string(kNodeReady);
    ready.status = ConditionStatus::kTrue;
    ready.reason = "KubeletReady";
    node.status.conditions.push_back(std::move(ready));
  }
  const std::string zone(node.metadata.labels.get(kLabelZone));
  topology_.add_node(node.metadata.name, zone.empty() ? "default" : zone,
                     node.metadata.labels.get(kLabelRack));
  Lease lease;
  lease.metadata.namespace_ = std::string(kNodeLeaseNamespace);
  lease.metadata.name = node.metadata.name;
  lease.metadata.uid = api_->new_uid();
  lease.spec.holder_identity = node.metadata.name;
  lease.spec.renew_time = sim_.now();
  KubeletConfig kubelet;
  kubelets_->add_node(node, kubelet);
  (void)api_->nodes().create(std::move(node));
  (void)api_->leases().create(std::move(lease));
}

// ---- Node autoscaling runtime ---------------------------------------------------------------

// One node of `pool` with index `index`, as its kubelet registers it: make_nodes()' node with
// the index's name, zone (round-robin as make_nodes) and provider id, NotReady and with the
// not-ready:NoSchedule taint (upstream kubelet_node_status.go initialNode registers with it;
// the node lifecycle controller removes it once Ready).
// The client of the node autoscaling runtime, made on first use (so that runs without node
// autoscaling do not list its metrics).
ApiClient& Cluster::cloud() {
  if (cloud_ == nullptr) cloud_ = &api_->make_client("node-autoscaler", ClientRateLimit{1e6, 1000000});
  return *cloud_;
}

Node Cluster::node_for(std::size_t pool_index, std::int32_t index, const Labels& labels) const {
  NodePool one = config_.node_pools[pool_index];
  one.count = 1;
  Node n = std::move(make_nodes(one, sim_.now()).front());
  const NodePool& pool = config_.node_pools[pool_index];
  n.metadata.name = pool.name + "-" + std::to_string(index);
  n.metadata.uid = "node-" + n.metadata.name;
  n.metadata.labels.set(std::string(kLabelHostname), n.metadata.name);
  const std::size_t zones = std::max<std::size_t>(1, pool.zones.size());
  const std::string& zone = pool.zones[static_cast<std::size_t>(index) % zones];
  n.metadata.labels.set(std::string(kLabelZone), zone);
  n.metadata.labels.set(std::string(kLabelRack), zone + "-rack-0");
  for (const auto& [k, v] : labels) n.metadata.labels.set(k, v);
  n.spec.provider_id = "kubesim://" + pool.name + "/" + std::to_string(index);
  for (Condition& c : n.status.conditions) {
    if (c.type != kNodeReady) continue;
    c.status = ConditionStatus::kFalse;
    c.reason = "KubeletNotReady";
    c.message = "container runtime network not ready";
  }
  Taint not_ready;
  not_ready.key = std::string(kTaintNodeNotReady);
  not_ready.effect = TaintEffect::kNoSchedule;
  n.spec.taints.push_back(std::move(not_ready));
  return n;
}

std::string Cluster::provision_node(std::string_view pool, const Labels& labels) {
  std::size_t p = 0;
  while (p < config_.node_pools.size() && config_.node_pools[p].name != pool) ++p;
  if (p == config_.node_pools.size()) return {};
  const std::int32_t index = next_index_[p]++;
  std::string name = config_.node_pools[p].name + "-" + std::to_string(index);
  const double delay = std::max(0.0, config_.node_pools[p].provisioning_delay.sample(provisioning_rngs_[p]));
  Requested r;
  r.pool = p;
  r.index = index;
  r.labels = labels;
  r.order = ++request_order_;
  r.registration = sim_.schedule_after(sim::from_seconds(delay), [this, n = name] { register_node(n); });
  requested_.emplace(name, std::move(r));
  node_events.emit(NodeEvent{NodeEventType::kRequested, name, config_.node_pools[p].name});
  return name;
}

bool Cluster::cancel_node(std::string_view node) {
  auto it = requested_.find(node);
  if (it == requested_.end()) return false;
  sim_.cancel(it->second.registration);
  const std::string name = it->first;
  const std::size_t pool = it->second.pool;
  requested_.erase(it);
  gone_.insert(name);
  node_events.emit(NodeEvent{NodeEventType::kCancelled, name, config_.node_pools[pool].name});
  return true;
}

std::vector<std::string> Cluster::provisioning_nodes(std::string_view pool) const {
  std::vector<std::pair<std::uint64_t, std::string>> order;
  for (const auto& [name, r] : requested_) {
    if (pool.empty() || config_.node_pools[r.pool].name == pool) order.emplace_back(r.order, name);
  }
  std::sort(order.begin(), order.end());
  std::vector<std::string> out;
  for (auto& o : order) out.push_back(std::move(o.second));
  return out;
}

std::vector<std::string> Cluster::pool_nodes(std::string_view pool) const {
  std::vector<std::string> out;
  for (const std::string& name : registered_order_) {
    if (gone_.count(name) != 0) continue;
    const NodePool* p = pool_of(name);
    if (p != nullptr && p->name == pool) out.push_back(name);
  }
  return out;
}

void Cluster::register_node(const std::string& name) {
  auto it = requested_.find(name);
  if (it == requested_.end()) return;
  const Requested r = std::move(it->second);
  requested_.erase(it);
  const NodePool& pool = config_.node_pools[r.pool];
  Node n = node_for(r.pool, r.index, r.labels);
  pool_by_node_.emplace(name, r.pool);
  registered_order_.push_back(name);
  topology_.add_node(name, n.metadata.labels.get(kLabelZone), n.metadata.labels.get(kLabelRack));
  Lease lease;
  lease.metadata.namespace_ = std::string(kNodeLeaseNamespace);
  lease.metadata.name = name;
  lease.metadata.uid = api_->new_uid();
  OwnerReference owner;
  owner.api_version = "v1";
  owner.kind = "Node";
  owner.name = name;
  owner.uid = n.metadata.uid;
  lease.metadata.owner_references.push_back(owner);
  lease.spec.holder_identity = name;
  lease.spec.lease_duration_seconds =
      static_cast<std::int32_t>(pool.kubelet.lease_duration / sim::kSecond);
  lease.spec.acquire_time = sim_.now();
  lease.spec.renew_time = sim_.now();
  kubelets_->join_node(n, pool.kubelet);
  (void)api_->leases().create(std::move(lease));
  (void)api_->nodes().create(std::move(n));
  node_events.emit(NodeEvent{NodeEventType::kRegistered, name, pool.name});
  if (pool.spot_mean_time_to_reclaim) schedule_spot_reclaim(name, r.pool);
}

namespace {
// Pods that keep a node from being deleted until they are gone: bound to it, not terminal
// (Succeeded/Failed pods are left for the pod garbage collector) and not mirror pods.
bool blocks_deletion(const Pod& pod) {
  return !pod.terminal() &&
         pod.metadata.annotations.find("kubernetes.io/config.mirror") == nullptr;
}
}  // namespace

bool Cluster::delete_node(std::string_view node, std::function<void()> done,
                          std::function<void()> failed, const DrainOptions& options) {
  if (pool_by_node_.count(node) == 0 && api_->nodes().get("", node) == nullptr) return false;
  if (gone_.count(node) != 0 || deleting_.count(node) != 0) return false;
  const std::string name(node);
  deleting_.insert(name);
  const NodePool* pool = pool_of(name);
  node_events.emit(NodeEvent{NodeEventType::kDeletionStarted, name, pool ? pool->name : ""});
  const bool karpenter = options.style == DrainStyle::kKarpenter;
  // Cluster Autoscaler (core/scaledown/actuation): taint ToBeDeletedByClusterAutoscaler (value:
  // the Unix time), evict the pods (utils/drain), delete the node through the cloud provider.
  // Karpenter (node/termination): taint karpenter.sh/disrupted, drain, terminate.
  Taint taint;
  taint.key = std::string(karpenter ? kKarpenterDisruptedTaint : kToBeDeletedTaint);
  if (!karpenter) taint.value = std::to_string(sim_.now() / sim::kSecond);
  taint.effect = TaintEffect::kNoSchedule;
  auto drain = std::make_shared<Drain>();
  drain->style = options.style;
  drain->evict_until = sim_.now() + config_.max_pod_eviction_time;
  drain->deadline = sim_.now() + config_.max_graceful_termination + 30 * sim::kSecond;
  if (karpenter && options.termination_grace_period) {
    drain->expires = sim_.now() + *options.termination_grace_period;
  }
  // Cluster Autoscaler (actuation/drain.go): wait for the evicted pods to go, polling every
  // 5 s, for at most MaxGracefulTerminationSec + PodEvictionHeadroom (30 s) after the
  // evictions; then delete regardless. Karpenter: requeue every second until the node has no
  // pods left, or its terminationGracePeriod has run out.
  const sim::Duration poll_period = karpenter ? sim::kSecond : 5 * sim::kSecond;
  // Only the pending poll event owns the closure (it refers to itself weakly): a drain still
  // running when the simulation ends is freed with the event queue.
  auto poll = std::make_shared<std::function<void()>>();
  std::weak_ptr<std::function<void()>> self = poll;
  auto again = [this, self, poll_period] {
    if (auto p = self.lock()) sim_.schedule_after(poll_period, [p] { (*p)(); });
  };
  *poll = [this, name, drain, again, done = std::move(done), failed = std::move(failed)]() mutable {
    if (gone_.count(name) != 0) return;  // reclaimed meanwhile
    const bool expired = drain->expires && sim_.now() >= *drain->expires;
    // Karpenter's terminator lists the node's pods at every reconcile and evicts what it
    // finds (a pod bound before the taint was seen, too); CA drains the pods it listed.
    if (drain->style == DrainStyle::kKarpenter && !expired) evict_pods(name, drain);
    if (drain->pending > 0 && !expired) {  // evictions still being retried
      again();
      return;
    }
    if (drain->failed) {
      // The scale-down of this node fails: the taint goes (taints.CleanToBeDeleted) and the
      // node stays; pods already evicted stay evicted.
      abort_deletion(name);
      if (failed) failed();
      return;
    }
    bool pods_left = false;
    for (const auto& pod : api_->pods().list()) {
      if (pod->spec.node_name == name && blocks_deletion(*pod)) {
        pods_left = true;
        break;
      }
    }
    const bool waiting =
        drain->style == DrainStyle::kKarpenter ? !expired : sim_.now() < drain->deadline;
    if (pods_left && waiting) {
      again();
      return;
    }
    finish_deletion(name);
    if (done) done();
  };
  // Both taint the node first and drain once the taint is written (CA's actuator taints
  // synchronously before its drains; Karpenter's terminator taints, then drains), so pods
  // evicted from it are not scheduled back onto it.
  api_->patch<Node>(
      cloud(), "", name,
      [taint](Node& n) {
        for (const Taint& t : n.spec.taints) {
          if (t.key == taint.key) return false;
        }
        n.spec.taints.push_back(taint);
        return true;
      },
      [this, name, drain, poll](const sim::Status&) {
        evict_pods(name, drain);
        (*poll)();
      });
  return true;
}

// Each pod on the node that blocks its deletion, not being deleted and not yet asked to go,
// through the Eviction API; refusals retried (evict_for_drain).
void Cluster::evict_pods(const std::string& name, const std::shared_ptr<Drain>& drain) {
  if (gone_.count(name) != 0) return;
  for (const auto& pod : api_->pods().list()) {
    if (pod->spec.node_name != name || !blocks_deletion(*pod) || pod->metadata.being_deleted()) {
      continue;
    }
    if (!drain->asked.insert(pod->metadata.namespace_ + "/" + pod->metadata.name).second) continue;
    ++drain->pending;
    auto target = std::make_shared<DrainPod>(
        DrainPod{drain, name, pod->metadata.namespace_, pod->metadata.name});
    evict_for_drain(target);
    if (drain->expires) {
      // terminator.go podDeleteTimeWithGracePeriod: expiry − terminationGracePeriodSeconds.
      const sim::Time at = std::max(
          sim_.now(), *drain->expires - pod->spec.termination_grace_period_seconds * sim::kSecond);
      sim_.schedule_at(at, [this, target] { delete_expiring_pod(*target); });
    }
  }
}

void Cluster::delete_expiring_pod(const DrainPod& target) {
  if (gone_.count(target.node) != 0) return;
  auto p = api_->pods().get(target.namespace_, target.pod);
  if (p == nullptr || p->spec.node_name != target.node || p->metadata.being_deleted() ||
      !blocks_deletion(*p)) {
    return;
  }
  // The grace left until the node's expiry, in whole seconds (int64(time.Until(...).Seconds())).
  const std::int64_t grace =
      std::max<std::int64_t>(0, (*target.drain->expires - sim_.now()) / sim::kSecond);
  metrics_->counter("karpenter.pods_deleted_at_expiry").add();
  api_->delete_pod(cloud(), target.namespace_, target.pod, grace);
}

void Cluster::evict_for_drain(std::shared_ptr<DrainPod> target) {
  api_->evict(
      cloud(), target->namespace_, target->pod, std::nullopt, [this, target](const sim::Status& s) {
        Drain& drain = *target->drain;
        if (s.ok() || s.code() == sim::Status::Code::kNotFound) {
          --drain.pending;
          // Evicted after retries: the termination wait starts now.
          if (target->retried) {
            drain.deadline = std::max(
                drain.deadline, sim_.now() + config_.max_graceful_termination + 30 * sim::kSecond);
          }
          return;
        }
        // Registered at the first refusal, so runs without one list no such counter.
        metrics_->counter("cluster.evictions_refused").add();
        ++target->refusals;
        const bool karpenter = drain.style == DrainStyle::kKarpenter;
        const bool retry = gone_.count(target->node) == 0 &&
                           (karpenter ? !drain.expires || sim_.now() < *drain.expires
                                      : sim_.now() < drain.evict_until);
        if (retry) {
          // Karpenter's eviction queue: ItemExponentialFailureRateLimiter(100 ms, 10 s).
          sim::Duration delay = config_.eviction_retry_time;
          if (karpenter) {
            delay = 10 * sim::kSecond;
            if (target->refusals <= 7) delay = (100 * sim::kMillisecond) << (target->refusals - 1);
          }
          sim_.schedule_after(delay, [this, target] {
            if (gone_.count(target->node) != 0) {
              --target->drain->pending;
              return;
            }
            target->retried = true;
            evict_for_drain(target);
          });
          return;
        }
        if (!karpenter) drain.failed = true;
        --drain.pending;
      });
}

void Cluster::set_node_taint(std::string_view node, const Taint& taint, bool present) {
  api_->patch<Node>(cloud(), "", std::string(node), [taint, present](Node& n) {
    const bool had =
        std::erase_if(n.spec.taints, [&](const Taint& t) { return t.key == taint.key; }) > 0;
    if (present) n.spec.taints.push_back(taint);
    return present || had;
  });
}

void Cluster::abort_deletion(const std::string& name) {
  deleting_.erase(name);
  api_->patch<Node>(cloud(), "", name, [](Node& n) {
    return std::erase_if(n.spec.taints, [](const Taint& t) { return t.key == kToBeDeletedTaint; }) >
           0;
  });
  const auto* pool = pool_of(name);
  node_events.emit(NodeEvent{NodeEventType::kDeletionFailed, name, pool ? pool->name : ""});
}

// The machine is gone: its kubelet stops, the Node and Lease objects are deleted (upstream's
// cloud node lifecycle controller deletes Nodes whose instance no longer exists). Pods left on
// it are orphans for the pod garbage collector.
void Cluster::finish_deletion(const std::string& name) {
  if (gone_.count(name) != 0) return;
  gone_.insert(name);
  deleting_.erase(name);
  kubelets_->remove_node(name);
  api_->remove<Node>(cloud(), "", name);
  api_->remove<Lease>(cloud(), std::string(kNodeLeaseNamespace), name);
  const NodePool* pool = pool_of(name);
  node_events.emit(NodeEvent{NodeEventType::kDeleted, name, pool ? pool->name : ""});
}

void Cluster::schedule_spot_reclaim(const std::string& name, std::size_t pool) {
  std::shared_ptr<sim::Rng> rng = spot_rngs_[pool];
  const double mean = sim::to_seconds(*config_.node_pools[pool].spot_mean_time_to_reclaim);
  const double life = sim::Distribution::exponential(mean).value().sample(*rng);
  sim_.schedule_after(sim::from_seconds(life), [this, name] {
    if (gone_.count(name) != 0) return;
    node_events.emit(NodeEvent{NodeEventType::kSpotNotice, name, pool_of(name)->name});
    // Interruption handling (Karpenter, AWS Node Termination Handler): taint and drain at the
    // notice; a node drained early is deleted then. The machine goes 2 minutes later.
    delete_node(name);
    sim_.schedule_after(kSpotReclaimNotice, [this, name] {
      node_events.emit(NodeEvent{NodeEventType::kReclaimed, name, pool_of(name)->name});
      finish_deletion(name);
    });
  });
}

void Cluster::schedule_fault(Fault fault) {
  faults_.push_back(std::make_unique<Fault>(std::move(fault)));
  const Fault* f = faults_.back().get();
  if (f->type == FaultType::kNodeFailure && f->mean_time_between_failures) {
    auto rng = std::make_shared<sim::Rng>(sim_.rng("faults/" + f->path));
    const double gap =
        sim::Distribution::exponential(sim::to_seconds(*f->mean_time_between_failures))
            .value()
            .sample(*rng);
    sim_.schedule_at(f->at + sim::from_seconds(gap),
                     [this, f, rng] { fire_random_node_failure(*f, rng); });
    return;
  }
  sim_.schedule_at(f->at, [this, f] { fire(*f); });
}

// Live nodes of a pool (all pools when empty), shorter names first, then by name.
std::vector<std::string> Cluster::live_pool_nodes(const std::string& pool) const {
  std::vector<std::string> out;
  for (const auto& [name, index] : pool_by_node_) {
    if (!pool.empty() && config_.node_pools[index].name != pool) continue;
    if (kubelets_->node_alive(name)) out.push_back(name);
  }
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  return out;
}

void Cluster::fire_random_node_failure(const Fault& fault, std::shared_ptr<sim::Rng> rng) {
  const std::vector<std::string> candidates = live_pool_nodes(fault.pool);
  if (!candidates.empty()) {
    const std::string node = candidates[rng->below(candidates.size())];
    if (kubelets_->fail_node(node)) {
      faults.emit(FaultEvent{&fault, false, node});
      if (fault.recover_after) {
        sim_.schedule_after(*fault.recover_after,
                            [this, f = &fault, n = std::make_shared<std::string>(node)] {
                              if (kubelets_->recover_node(*n)) faults.emit(FaultEvent{f, true, *n});
                            });
      }
    }
  }
  const double gap =
      sim::Distribution::exponential(sim::to_seconds(*fault.mean_time_between_failures))
          .value()
          .sample(*rng);
  sim_.schedule_after(sim::from_seconds(gap),
                      [this, f = &fault, rng] { fire_random_node_failure(*f, rng); });
}

void Cluster::fire(const Fault& fault) {
  switch (fault.type) {
    case FaultType::kNodeFailure: {
      std::vector<std::string> targets = fault.nodes;
      if (!fault.zone.empty()) targets = topology_.nodes_in_zone(fault.zone);
      if (fault.count > 0) {
        // The first `count` live nodes (of the pool), in name order.
        std::vector<std::string> candidates = live_pool_nodes(fault.pool);
        if (candidates.size() > static_cast<std::size_t>(fault.count)) {
          candidates.resize(static_cast<std::size_t>(fault.count));
        }
        targets = std::move(candidates);
      }
      auto failed = std::make_shared<std::vector<std::string>>();
      for (const auto& node : targets) {
        if (kubelets_->fail_node(node)) {
          failed->push_back(node);
          faults.emit(FaultEvent{&fault, false, node});
        }
      }
      if (fault.recover_after) {
        sim_.schedule_after(*fault.recover_after, [this, failed, f = &fault] {
          for (const auto& node : *failed) {
            if (kubelets_->recover_node(node)) faults.emit(FaultEvent{f, true, node});
          }
        });
      }
      break;
    }
    case FaultType::kEtcdLeaderLoss:
    case FaultType::kEtcdMemberLoss: {
      EtcdCluster& etcd = api_->etcd();
      const int member = fault.type == FaultType::kEtcdLeaderLoss || fault.member < 0
                             ? etcd.leader()
                             : fault.member;
      if (member < 0 || member >= etcd.members() || !etcd.fail_member(member)) break;
      const std::string target = "etcd-" + std::to_string(member);
      faults.emit(FaultEvent{&fault, false, target});
      if (fault.recover_after) {
        sim_.schedule_after(*fault.recover_after, [this, member, f = &fault] {
          if (api_->etcd().recover_member(member)) {
            faults.emit(FaultEvent{f, true, "etcd-" + std::to_string(member)});
          }
        });
      }
      break;
    }
    case FaultType::kApiServerReplicaLoss: {
      if (fault.replica >= api_->limits().replicas() || !api_->limits().fail_replica(fault.replica)) {
        break;
      }
      faults.emit(FaultEvent{&fault, false, "apiserver-" + std::to_string(fault.replica)});
      if (fault.recover_after) {
        sim_.schedule_after(*fault.recover_after, [this, f = &fault] {
          if (api_->limits().recover_replica(f->replica)) {
            faults.emit(FaultEvent{f, true, "apiserver-" + std::to_string(f->replica)});
          }
        });
      }
      break;
    }
  }
}

}  // namespace kubesim::models
