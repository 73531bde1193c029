#include "models/cluster.hpp"

#include "models/deployment_logic.hpp"
#include "models/node_lifecycle_logic.hpp"

#include <algorithm>
#include <utility>

namespace kubesim::models {
namespace {

}  // namespace

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
    : sim_(sim), config_(std::move(config)) {
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
