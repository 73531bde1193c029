#include "experiments/node_autoscaling.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

namespace kubesim::experiments {
namespace {

// An events.jsonl record's common fields: time (seconds), kind and type.
nlohmann::ordered_json event_json(sim::Time t, std::string_view kind, std::string_view type) {
  nlohmann::ordered_json j;
  j["t"] = sim::to_seconds(t);
  j["kind"] = std::string(kind);
  j["type"] = std::string(type);
  return j;
}

bool unschedulable(const models::Pod& pod) {
  if (pod.bound() || pod.terminal() || pod.metadata.being_deleted()) return false;
  const models::Condition* c = models::find_condition(pod.status.conditions, models::kPodScheduled);
  return c != nullptr && c->status == models::ConditionStatus::kFalse &&
         c->reason == "Unschedulable";
}

std::string key_list(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

NodeAutoscaling::NodeAutoscaling(sim::Simulation& sim, sim::MetricRegistry& metrics,
                                 models::Cluster& cluster, sim::Sampler* sampler,
                                 const scenarios::ClusterAutoscalerSpec& spec,
                                 std::unique_ptr<policies::FilterSimulator> filter,
                                 bool record_events)
    : sim_(sim), metrics_(metrics), cluster_(cluster), record_events_(record_events) {
  policies::ClusterAutoscalerOptions options = spec.options;
  options.seed = sim.rng("cluster-autoscaler/expander").next_u64();
  ca_ = std::make_unique<policies::ClusterAutoscalerState>(spec.node_groups, options,
                                                           std::move(filter));
  // Created here so that they appear (at 0) in summary.json even when nothing happens.
  for (const char* name :
       {"ca.scale_ups", "ca.nodes_added", "ca.nodes_removed", "ca.failed_scale_ups",
        "ca.nodes_cancelled", "ca.scale_down_failures", "ca.nodes_replaced"}) {
    (void)metrics_.counter(name);
  }
  common_setup(sampler);
  // upstream main.go: RunOnce every --scan-interval.
  timer_ = sim_.every(options.scan_interval, [this] { run_cluster_autoscaler(); });
}

NodeAutoscaling::NodeAutoscaling(sim::Simulation& sim, sim::MetricRegistry& metrics,
                                 models::Cluster& cluster, sim::Sampler* sampler,
                                 const scenarios::KarpenterSpec& spec,
                                 std::unique_ptr<policies::FilterSimulator> filter,
                                 bool record_events)
    : sim_(sim), metrics_(metrics), cluster_(cluster), record_events_(record_events) {
  karpenter_ = std::make_unique<policies::KarpenterProvisioner>(spec.node_pools, spec.options,
                                                                std::move(filter));
  for (const char* name :
       {"karpenter.launches", "karpenter.consolidations", "karpenter.consolidations_abandoned",
        "karpenter.drift_commands", "karpenter.nodes_removed", "karpenter.nodes_expired",
        "karpenter.launches_expired", "karpenter.replacements_failed"}) {
    (void)metrics_.counter(name);
  }
  common_setup(sampler);
  // Karpenter batches pending pods for at most batchMaxDuration (10 s) before provisioning.
  timer_period_ = spec.options.batch_max_duration;
  timer_ = sim_.every(spec.options.batch_max_duration, [this] { run_karpenter(); });
}

NodeAutoscaling::~NodeAutoscaling() {
  sim_.cancel_timer(timer_);
  cluster_.node_events.disconnect(node_connection_);
}

void NodeAutoscaling::common_setup(sim::Sampler* sampler) {
  (void)metrics_.counter("spot.notices");
  (void)metrics_.counter("spot.reclaims");
  for (const models::NodePool& pool : cluster_.config().node_pools) {
    PoolMetrics& p = pools_[pool.name];
    p.cost_per_hour = pool.cost_per_hour;
    p.nodes = static_cast<std::int32_t>(cluster_.pool_nodes(pool.name).size());
    p.nodes_g = &metrics_.gauge("pool." + pool.name + ".nodes");
    p.cost_g = &metrics_.gauge("pool." + pool.name + ".cost_per_hour");
    p.provisioning_g = &metrics_.gauge("pool." + pool.name + ".provisioning");
    p.nodes_g->set(p.nodes);
    p.cost_g->set(p.nodes * p.cost_per_hour);
    p.provisioning_g->set(0);
    // The window starts with the pool's nodes (not the gauges' initial 0).
    p.nodes_g->reset_window();
    p.cost_g->reset_window();
    p.provisioning_g->reset_window();
    if (sampler != nullptr) {
      const sim::Gauge* n = p.nodes_g;
      const sim::Gauge* q = p.provisioning_g;
      sampler->add_column("pool." + pool.name + ".nodes", [n] { return n->value(); });
      sampler->add_column("pool." + pool.name + ".provisioning", [q] { return q->value(); });
    }
  }
  if (sampler != nullptr) {
    sampler->add_column("node_autoscaler.unschedulable_pods",
                        [this] { return static_cast<double>(unschedulable_now_); });
  }
  node_connection_ =
      cluster_.node_events.connect([this](const models::NodeEvent& e) { on_node_event(e); });
}

void NodeAutoscaling::record(std::string line) {
  if (record_events_) events_.push_back(std::move(line));
}

void NodeAutoscaling::on_node_event(const models::NodeEvent& e) {
  auto it = pools_.find(e.pool);
  if (it != pools_.end()) {
    PoolMetrics& p = it->second;
    switch (e.type) {
      case models::NodeEventType::kRequested:
        ++p.provisioning;
        break;
      case models::NodeEventType::kCancelled:
        --p.provisioning;
        break;
      case models::NodeEventType::kRegistered:
        --p.provisioning;
        ++p.nodes;
        break;
      case models::NodeEventType::kDeleted:
        --p.nodes;
        break;
      default:
        break;
    }
    p.nodes_g->set(p.nodes);
    p.cost_g->set(p.nodes * p.cost_per_hour);
    p.provisioning_g->set(p.provisioning);
  }
  if (e.type == models::NodeEventType::kSpotNotice) metrics_.counter("spot.notices").add();
  if (e.type == models::NodeEventType::kReclaimed) {
    metrics_.counter("spot.reclaims").add();
    // A Cluster Autoscaler node group is a cloud group with a target size (AWS ASG, GCE MIG):
    // an instance the cloud took back is replaced to keep that size, unless Cluster
    // Autoscaler itself was removing it (it lowered the target already).
    if (ca_ && ca_deleting_.count(e.node) == 0) {
      for (const auto& g : ca_->groups()) {
        if (g.name() == e.pool) {
          (void)cluster_.provision_node(e.pool);
          metrics_.counter("ca.nodes_replaced").add();
          break;
        }
      }
    }
  }
  if (!record_events_) return;
  nlohmann::ordered_json j = event_json(sim_.now(), "NodeLifecycle", models::to_string(e.type));
  j["node"] = std::string(e.node);
  j["pool"] = std::string(e.pool);
  record(j.dump());
}

std::vector<std::shared_ptr<const models::sched::PodInfo>> NodeAutoscaling::unschedulable_pods()
    const {
  std::vector<std::shared_ptr<const models::sched::PodInfo>> out;
  for (const auto& pod : cluster_.api().pods().list()) {
    if (unschedulable(*pod)) out.push_back(models::sched::PodInfo::make(pod));
  }
  return out;
}

std::function<std::optional<bool>(const models::Pod&)> NodeAutoscaling::pdb_allows_eviction()
    const {
  auto& store = cluster_.api().pod_disruption_budgets();
  if (store.size() == 0) return {};  // no PDB: the hook is unset, nothing is looked up
  // The PDBs as the loop starts; a pod guarded by a PDB with no disruption left blocks its
  // node (Karpenter's disruption docs, "Pod-Level Controls"). Karpenter consolidates one
  // node at a time, so nothing planned is taken from the budgets.
  auto pdbs = std::make_shared<const policies::RemainingPdbs>(store.list());
  return [pdbs](const models::Pod& pod) { return pdbs->allows(pod); };
}

void NodeAutoscaling::run_cluster_autoscaler() {
  ++loops_;
  const sim::Time now = sim_.now();
  const auto pods = unschedulable_pods();
  unschedulable_now_ = static_cast<std::int64_t>(pods.size());
  policies::ClusterAutoscalerView view;
  view.nodes = &cluster_.scheduler().snapshot();
  view.unschedulable_pods = pods;
  // The PDBs as the loop starts (upstream CA lists them once per loop: RemainingPdbTracker
  // SetPdbs).
  const auto pdbs = cluster_.api().pod_disruption_budgets().list();
  view.pdbs = pdbs;
  policies::ClusterAutoscalerActions a = ca_->step(now, view);
  last_reasons_ = a.reasons;

  for (const auto& f : a.failed_scale_ups) {
    // upstream clusterstate: the unregistered nodes of a timed-out scale-up are deleted
    // (the newest first here) and the group backs off.
    std::vector<std::string> waiting = cluster_.provisioning_nodes(f.group);
    std::int32_t cancelled = 0;
    for (auto it = waiting.rbegin(); it != waiting.rend() && cancelled < f.cancelled; ++it) {
      if (cluster_.cancel_node(*it)) ++cancelled;
    }
    metrics_.counter("ca.failed_scale_ups").add();
    metrics_.counter("ca.nodes_cancelled").add(cancelled);
    if (record_events_) {
      nlohmann::ordered_json j = event_json(now, "ClusterAutoscaler", "FailedScaleUp");
      j["group"] = f.group;
      j["cancelled"] = cancelled;
      j["backoffUntil"] = sim::to_seconds(f.backoff_until);
      record(j.dump());
    }
  }
  if (a.scale_up) {
    const auto& up = *a.scale_up;
    std::vector<std::string> names;
    for (std::int32_t i = 0; i < up.count; ++i) {
      names.push_back(cluster_.provision_node(up.group));
    }
    metrics_.counter("ca.scale_ups").add();
    metrics_.counter("ca.nodes_added").add(up.count);
    if (record_events_) {
      nlohmann::ordered_json j = event_json(now, "ClusterAutoscaler", "ScaleUp");
      j["group"] = up.group;
      j["count"] = up.count;
      j["newTarget"] = up.new_target;
      j["nodes"] = key_list(names);
      j["pods"] = static_cast<std::int64_t>(up.pods.size());
      record(j.dump());
    }
  }
  for (const auto& d : a.deletions) {
    const bool started = cluster_.delete_node(
        d.node, [this] { metrics_.counter("ca.nodes_removed").add(); },
        [this, node = d.node, group = d.group] {
          // upstream actuation: an eviction still refused after MaxPodEvictionTime fails the
          // node's scale-down (lastScaleDownFailTime); the node stays, untainted.
          ca_deleting_.erase(node);
          ca_->record_scale_down_failure(sim_.now(), node);
          metrics_.counter("ca.scale_down_failures").add();
          metrics_.counter("ca.drain_failures").add();
          if (record_events_) {
            nlohmann::ordered_json j =
                event_json(sim_.now(), "ClusterAutoscaler", "ScaleDownFailed");
            j["node"] = node;
            j["group"] = group;
            j["reason"] = "eviction refused for maxPodEvictionTime";
            record(j.dump());
          }
        });
    if (started) ca_deleting_.insert(d.node);
    if (!started) {
      ca_->record_scale_down_failure(now, d.node);
      metrics_.counter("ca.scale_down_failures").add();
    }
    if (record_events_) {
      nlohmann::ordered_json j = event_json(now, "ClusterAutoscaler", started ? "ScaleDown" : "ScaleDownFailed");
      j["node"] = d.node;
      j["group"] = d.group;
      j["empty"] = d.empty;
      j["utilization"] = d.utilization;
      j["evict"] = static_cast<std::int64_t>(d.pods_to_evict.size());
      record(j.dump());
    }
  }
  // Soft taints after the deletions (upstream updateSoftDeletionTaints ends scaleDown).
  for (const auto& [nodes, present] : {std::pair{&a.soft_untaint, false}, {&a.soft_taint, true}}) {
    for (const std::string& node : *nodes) {
      models::Taint taint;
      taint.key = std::string(models::kDeletionCandidateTaint);
      taint.value = std::to_string(now / sim::kSecond);
      taint.effect = models::TaintEffect::kPreferNoSchedule;
      cluster_.set_node_taint(node, taint, present);
    }
  }
}

models::Taint NodeAutoscaling::disrupted_taint() {
  models::Taint taint;
  taint.key = std::string(models::kKarpenterDisruptedTaint);
  taint.effect = models::TaintEffect::kNoSchedule;
  return taint;
}

models::DrainOptions NodeAutoscaling::karpenter_drain(const std::string& node) const {
  // The node's NodePool's terminationGracePeriod.
  models::DrainOptions drain{models::DrainStyle::kKarpenter, std::nullopt};
  auto n = cluster_.api().nodes().get("", node);
  if (n == nullptr) return drain;
  const std::string_view pool = n->metadata.labels.get(policies::kLabelKarpenterNodePool);
  for (const policies::KarpenterNodePool& np : karpenter_->node_pools()) {
    if (np.name == pool) drain.termination_grace_period = np.options.termination_grace_period;
  }
  return drain;
}

void NodeAutoscaling::run_karpenter() {
  ++loops_;
  const sim::Time now = sim_.now();
  // Replacements that became Ready: their nodes can go now. One still not Ready after
  // 10 minutes (orchestration queue maxRetryDuration) gives its nodes back.
  for (auto it = replacements_.begin(); it != replacements_.end();) {
    const bool ready =
        std::all_of(it->replacements.begin(), it->replacements.end(), [&](const std::string& n) {
          auto node = cluster_.api().nodes().get("", n);
          return node != nullptr && node->ready();
        });
    if (ready) {
      for (const auto& old : it->nodes) {
        (void)cluster_.delete_node(
            old, [this] { metrics_.counter("karpenter.nodes_removed").add(); }, {},
            karpenter_drain(old));
      }
      it = replacements_.erase(it);
    } else if (now - it->started >= kReplacementTimeout) {
      for (const auto& old : it->nodes) {
        cluster_.set_node_taint(old, disrupted_taint(), false);
        karpenter_->cancel_deletion(old);
      }
      metrics_.counter("karpenter.replacements_failed").add();
      if (record_events_) {
        nlohmann::ordered_json j = event_json(now, "Karpenter", "ReplacementFailed");
        j["replacement"] = it->replacements.front();
        j["replacements"] = key_list(it->replacements);
        j["nodes"] = key_list(it->nodes);
        record(j.dump());
      }
      it = replacements_.erase(it);
    } else {
      ++it;
    }
  }
  const auto pods = unschedulable_pods();
  unschedulable_now_ = static_cast<std::int64_t>(pods.size());
  // Karpenter simulates existing nodes without their known ephemeral taints (karpenter
  // pkg/scheduling/taints.go KnownEphemeralTaints: not-ready, unreachable, uninitialized), so
  // a node that registered but is not Ready yet still counts as capacity for pending pods.
  models::sched::Snapshot nodes;
  policies::copy_snapshot(cluster_.scheduler().snapshot(), nodes);
  auto ephemeral = [](const models::Taint& t) {
    return t.key == models::kTaintNodeNotReady || t.key == models::kTaintNodeUnreachable ||
           t.key == models::kTaintExternalCloudProvider;
  };
  std::vector<std::shared_ptr<models::Node>> untainted;
  for (const models::sched::NodeInfo* info : nodes.nodes()) {
    const models::Node& n = info->node();
    if (std::none_of(n.spec.taints.begin(), n.spec.taints.end(), ephemeral)) continue;
    untainted.push_back(std::make_shared<models::Node>(n));
    std::erase_if(untainted.back()->spec.taints, ephemeral);
  }
  for (auto& n : untainted) nodes.upsert_node(std::move(n));
  policies::KarpenterView view;
  view.nodes = &nodes;
  view.pending_pods = pods;
  view.pdb_allows_eviction = pdb_allows_eviction();
  policies::KarpenterActions a = karpenter_->step(now, view);
  last_reasons_ = a.reasons;
  // A command's validation time between two loops (which fall on multiples of the period)
  // gets a pass of its own.
  if (a.revisit_at && *a.revisit_at > now && *a.revisit_at != revisit_at_ &&
      *a.revisit_at % timer_period_ != 0) {
    revisit_at_ = *a.revisit_at;
    sim_.schedule_at(revisit_at_, [this] { run_karpenter(); });
  }
  if (a.consolidation_abandoned) metrics_.counter("karpenter.consolidations_abandoned").add();
  for (const auto& node : a.expired) {
    metrics_.counter("karpenter.nodes_expired").add();
    (void)cluster_.delete_node(
        node, [this] { metrics_.counter("karpenter.nodes_removed").add(); }, {},
        karpenter_drain(node));
    if (record_events_) {
      nlohmann::ordered_json j = event_json(now, "Karpenter", "Expiration");
      j["node"] = node;
      record(j.dump());
    }
  }
  // A launched node's labels: karpenter.sh/capacity-type and karpenter.sh/nodepool.
  auto karpenter_labels = [this](const std::string& offering) {
    models::Labels labels;
    for (const auto& o : karpenter_->offerings()) {
      if (o.name() == offering) {
        labels.set(std::string(policies::kLabelCapacityType), o.spot ? "spot" : "on-demand");
      }
    }
    labels.set(std::string(policies::kLabelKarpenterNodePool),
               std::string(karpenter_->node_pool_of(offering)));
    return labels;
  };
  for (const auto& launch : a.launches) {
    const std::string name =
        cluster_.provision_node(launch.offering, karpenter_labels(launch.offering));
    metrics_.counter("karpenter.launches").add();
    if (record_events_) {
      nlohmann::ordered_json j = event_json(now, "Karpenter", "Launch");
      j["offering"] = launch.offering;
      j["nodePool"] = launch.node_pool;
      j["node"] = name;
      j["pricePerHour"] = launch.price_per_hour;
      j["pods"] = static_cast<std::int64_t>(launch.pods.size());
      record(j.dump());
    }
  }
  // Launches the provisioner gave up on (NodeClaim registration TTL): the oldest requests of
  // the offering beyond what it still counts as in flight are cancelled.
  for (const auto& o : karpenter_->offerings()) {
    const std::vector<std::string> waiting = cluster_.provisioning_nodes(o.name());
    const std::int32_t extra =
        static_cast<std::int32_t>(waiting.size()) - karpenter_->in_flight(o.name());
    for (std::int32_t i = 0; i < extra; ++i) {
      if (cluster_.cancel_node(waiting[static_cast<std::size_t>(i)])) {
        metrics_.counter("karpenter.launches_expired").add();
      }
    }
  }
  if (a.consolidation) {
    const auto& c = *a.consolidation;
    const bool drift = c.method == policies::KarpenterActions::Method::kDrift;
    metrics_.counter(drift ? "karpenter.drift_commands" : "karpenter.consolidations").add();
    std::vector<std::string> replacements;
    if (c.kind == policies::KarpenterActions::Kind::kReplace) {
      for (const std::string& offering : c.replacements) {
        replacements.push_back(cluster_.provision_node(offering, karpenter_labels(offering)));
      }
      replacements_.push_back(Replacement{c.nodes, replacements, now});
      // queue.go StartCommand: the candidates take no new pods while the replacements boot.
      for (const auto& node : c.nodes) cluster_.set_node_taint(node, disrupted_taint(), true);
    } else {
      for (const auto& node : c.nodes) {
        (void)cluster_.delete_node(
            node, [this] { metrics_.counter("karpenter.nodes_removed").add(); }, {},
            karpenter_drain(node));
      }
    }
    if (record_events_) {
      nlohmann::ordered_json j = event_json(now, "Karpenter", drift ? "Drift" : "Consolidation");
      j["method"] = std::string(policies::to_string(c.method));
      j["decision"] = std::string(policies::to_string(c.kind));
      j["nodes"] = key_list(c.nodes);
      j["replacement"] = replacements.empty() ? std::string() : replacements.front();
      j["replacements"] = key_list(replacements);
      j["savingsPerHour"] = c.savings_per_hour;
      record(j.dump());
    }
  }
}

std::int32_t NodeAutoscaling::pool_nodes(const std::string& pool) const {
  auto it = pools_.find(pool);
  return it == pools_.end() ? 0 : it->second.nodes;
}

double NodeAutoscaling::node_hours(const std::string& pool) const {
  auto it = pools_.find(pool);
  if (it == pools_.end()) return 0;
  return it->second.nodes_g->integral() / 3600.0;
}

double NodeAutoscaling::cost(const std::string& pool) const {
  auto it = pools_.find(pool);
  if (it == pools_.end()) return 0;
  return it->second.cost_g->integral() / 3600.0;
}

void NodeAutoscaling::write_events_jsonl(std::ostream& out) const {
  for (const auto& line : events_) out << line << '\n';
}

}  // namespace kubesim::experiments
