#include "models/scheduler.hpp"

#include <algorithm>
#include <utility>

namespace kubesim::models {
namespace {

std::string key_of(const Pod& pod) {
  return object_key(pod.metadata.namespace_, pod.metadata.name);
}

// Whether a node change can make a pending pod schedulable (upstream's NodeUpdate events
// that plugins register for: allocatable, labels, taints, unschedulable, conditions).
bool schedulability_changed(const Node& a, const Node& b) {
  return !(a.status.allocatable == b.status.allocatable) || !(a.metadata.labels == b.metadata.labels) ||
         a.spec.taints != b.spec.taints || a.spec.unschedulable != b.spec.unschedulable ||
         a.ready() != b.ready();
}

}  // namespace

Scheduler::Scheduler(sim::Simulation& sim, sim::MetricRegistry& metrics, ApiServer& api,
                     std::vector<std::unique_ptr<sched::Framework>> frameworks,
                     SchedulerOptions options)
    : sim_(sim),
      api_(api),
      client_(api.make_client("scheduler-client", options.rate_limit)),
      options_(std::move(options)),
      frameworks_(std::move(frameworks)),
      queue_(sim, metrics, options_.queue),
      latency_rng_(sim.rng("scheduler/latency")),
      attempts_(metrics.counter("scheduler.attempts")),
      scheduled_(metrics.counter("scheduler.scheduled")),
      unschedulable_(metrics.counter("scheduler.unschedulable")),
      failed_unschedulable_(metrics.counter("scheduler.failed_unschedulable")),
      errors_(metrics.counter("scheduler.errors")),
      preemptions_(metrics.counter("scheduler.preemptions")),
      bind_failures_(metrics.counter("scheduler.bind_failures")),
      scheduling_latency_(metrics.histogram("scheduler.scheduling_latency_s")),
      pending_gauge_(metrics.gauge("scheduler.pending_pods")) {
  for (const auto& fw : frameworks_) {
    rngs_.emplace(fw->scheduler_name(), sim.rng("scheduler/" + fw->scheduler_name()));
  }
  queue_moves_ = queue_.moved.connect([this](const QueueMove& m) {
    if (m.to == QueueName::kActive || m.to == QueueName::kBackoff) poke();
  });
  node_informer_ = std::make_unique<Informer<Node>>(
      api, Informer<Node>::Handlers{
               [this](const auto& n) { on_node_add(n); },
               [this](const auto& o, const auto& n) { on_node_update(o, n); },
               [this](const auto& n) { on_node_delete(n); }});
  pod_informer_ = std::make_unique<Informer<Pod>>(
      api, Informer<Pod>::Handlers{
               [this](const auto& p) { on_pod_add(p); },
               [this](const auto& o, const auto& p) { on_pod_update(o, p); },
               [this](const auto& p) { on_pod_delete(p); }});
}

Scheduler::~Scheduler() {
  queue_.moved.disconnect(queue_moves_);
  for (auto& [key, w] : waiting_) sim_.cancel(w.timeout);
}

sched::Framework* Scheduler::framework_for(const Pod& pod) const {
  for (const auto& fw : frameworks_) {
    if (fw->scheduler_name() == pod.spec.scheduler_name) return fw.get();
  }
  return nullptr;
}

// ---- informer handlers ---------------------------------------------------------------------

void Scheduler::on_pod_add(const std::shared_ptr<const Pod>& pod) {
  if (pod->bound()) {
    add_to_cache(pod);
    return;
  }
  if (pod->terminal() || pod->metadata.being_deleted() || framework_for(*pod) == nullptr) return;
  std::string key = key_of(*pod);
  pending_[key] = pod;
  queue_.add(std::move(key), pod->spec.priority);
  pending_gauge_.set(static_cast<double>(pending_.size()));
  // upstream scheduler-plugins coscheduling.go EventsToRegister: a Pod Add may complete a
  // gang that PreFilter rejected for too few members, so it requeues them. kubesim moves
  // only the new pod's siblings (the same namespace and scheduling.x-k8s.io/pod-group).
  if (const std::string* group = pod->metadata.labels.find(kPodGroupLabel)) {
    const std::string& ns = pod->metadata.namespace_;
    queue_.move_all_to_active_or_backoff("PodAdd", [this, group, &ns](std::string_view k) {
      auto it = pending_.find(k);
      if (it == pending_.end() || it->second->metadata.namespace_ != ns) return false;
      const std::string* g = it->second->metadata.labels.find(kPodGroupLabel);
      return g != nullptr && *g == *group;
    });
  }
}

void Scheduler::on_pod_update(const std::shared_ptr<const Pod>& old_pod,
                              const std::shared_ptr<const Pod>& pod) {
  const std::string key = key_of(*pod);
  if (pod->bound()) {
    if (!old_pod->bound()) {
      pending_.erase(key);
      pending_gauge_.set(static_cast<double>(pending_.size()));
    }
    add_to_cache(pod);
    return;
  }
  auto it = pending_.find(key);
  if (pod->terminal() || pod->metadata.being_deleted()) {
    if (it != pending_.end()) {
      pending_.erase(it);
      queue_.remove(key);
      pending_gauge_.set(static_cast<double>(pending_.size()));
    }
    return;
  }
  if (it == pending_.end()) {
    on_pod_add(pod);
    return;
  }
  it->second = pod;
  // Only a spec change can make the pod schedulable; status writes (our own condition
  // updates) are not events for the queue (upstream isPodUpdated ignores status).
  if (old_pod->spec.priority != pod->spec.priority ||
      !(old_pod->metadata.labels == pod->metadata.labels) ||
      old_pod->spec.tolerations != pod->spec.tolerations) {
    queue_.update(key, pod->spec.priority);
  }
}

void Scheduler::on_pod_delete(const std::shared_ptr<const Pod>& pod) {
  const std::string key = key_of(*pod);
  if (auto w = waiting_.find(key); w != waiting_.end()) {
    sim_.cancel(w->second.timeout);
    waiting_.erase(w);
  }
  if (pod->bound()) {
    remove_from_cache(*pod);
    queue_.move_all_to_active_or_backoff("AssignedPodDelete");
    return;
  }
  if (pending_.erase(key) != 0) {
    queue_.remove(key);
    pending_gauge_.set(static_cast<double>(pending_.size()));
  }
}

void Scheduler::on_node_add(const std::shared_ptr<const Node>& node) {
  snapshot_.upsert_node(node);
  if (auto it = orphans_.find(node->metadata.name); it != orphans_.end()) {
    sched::NodeInfo* info = snapshot_.find(node->metadata.name);
    for (auto& p : it->second) info->add_pod(std::make_shared<const sched::PodInfo>(sched::PodInfo::from(p)));
    orphans_.erase(it);
  }
  queue_.move_all_to_active_or_backoff("NodeAdd");
}

void Scheduler::on_node_update(const std::shared_ptr<const Node>& old_node,
                               const std::shared_ptr<const Node>& node) {
  snapshot_.upsert_node(node);
  if (schedulability_changed(*old_node, *node)) queue_.move_all_to_active_or_backoff("NodeUpdate");
}

void Scheduler::on_node_delete(const std::shared_ptr<const Node>& node) {
  snapshot_.remove_node(node->metadata.name);
}

// Terminal pods release their resources: the cache drops them (as the kubelet's admission
// does not count them either).
void Scheduler::add_to_cache(const std::shared_ptr<const Pod>& pod) {
  const std::string key = key_of(*pod);
  assumed_.erase(key);
  sched::NodeInfo* info = snapshot_.find(pod->spec.node_name);
  if (info == nullptr) {
    auto& list = orphans_[pod->spec.node_name];
    std::erase_if(list, [&](const auto& p) { return key_of(*p) == key; });
    if (!pod->terminal()) list.push_back(pod);
    return;
  }
  const bool was = info->remove_pod(key);
  if (!pod->terminal()) {
    info->add_pod(std::make_shared<const sched::PodInfo>(sched::PodInfo::from(pod)));
  } else if (was) {
    queue_.move_all_to_active_or_backoff("AssignedPodDelete");
  }
}

void Scheduler::remove_from_cache(const Pod& pod) {
  const std::string key = key_of(pod);
  assumed_.erase(key);
  if (sched::NodeInfo* info = snapshot_.find(pod.spec.node_name)) {
    info->remove_pod(key);
  } else if (auto it = orphans_.find(pod.spec.node_name); it != orphans_.end()) {
    std::erase_if(it->second, [&](const auto& p) { return key_of(*p) == key; });
  }
}

// ---- the scheduling loop -------------------------------------------------------------------

void Scheduler::poke() {
  if (cycle_scheduled_) return;
  cycle_scheduled_ = true;
  sim_.schedule_after(0, [this] { cycle(); });
}

void Scheduler::cycle() {
  cycle_scheduled_ = false;
  std::optional<std::string> key = queue_.pop();
  if (!key) return;
  schedule_one(*key);
  apply_waiting_decisions();
  const sim::Duration latency =
      sim::from_seconds(std::max(0.0, options_.decision_latency.sample(latency_rng_)));
  if (queue_.active_size() > 0 || queue_.backoff_size() > 0) {
    cycle_scheduled_ = true;
    sim_.schedule_after(latency, [this] { cycle(); });
  }
}

void Scheduler::schedule_one(const std::string& key) {
  auto it = pending_.find(key);
  if (it == pending_.end()) {  // deleted or bound meanwhile
    queue_.done(key, AttemptOutcome::kScheduled);
    return;
  }
  std::shared_ptr<const Pod> pod = it->second;
  sched::Framework* fw = framework_for(*pod);
  attempts_.add();
  auto info = std::make_shared<const sched::PodInfo>(sched::PodInfo::from(pod));
  auto state = std::make_unique<sched::CycleState>(fw->new_cycle_state());
  sim::Rng& rng = rngs_.at(fw->scheduler_name());
  sched::ScheduleResult result = fw->schedule(*state, *info, snapshot_, rng);
  if (result.node == nullptr) {
    if (!result.post_filter.nominated_node.empty()) {
      preemptions_.add();
      for (const auto& victim : result.post_filter.victims) {
        const Pod& v = *victim->pod;
        api_.patch<Pod>(client_, v.metadata.namespace_, v.metadata.name,
                        [now = sim_.now()](Pod& p) {
                          Condition c;
                          c.type = std::string(kPodDisruptionTarget);
                          c.status = ConditionStatus::kTrue;
                          c.last_transition_time = now;
                          c.reason = "PreemptionByScheduler";
                          set_condition(p.status.conditions, std::move(c));
                          return true;
                        });
        api_.delete_pod(client_, v.metadata.namespace_, v.metadata.name);
      }
      const std::string nominated = result.post_filter.nominated_node;
      api_.patch<Pod>(client_, pod->metadata.namespace_, pod->metadata.name,
                      [nominated](Pod& p) {
                        if (p.status.nominated_node_name == nominated) return false;
                        p.status.nominated_node_name = nominated;
                        return true;
                      });
    }
    fail(pod, result.status.code == sched::Code::kError ? AttemptOutcome::kError
                                                         : AttemptOutcome::kUnschedulable,
         result.fit_error.empty() ? result.status.reason : result.fit_error);
    return;
  }
  // Reserve, then assume: the snapshot sees the pod on the node from now on. Upstream
  // assumes first; we run Reserve on the node as the pod found it so that plugins choosing
  // GPU devices (GpuTopology, the GPU-sharing policies) do not see the pod's own devices as
  // taken. No in-tree upstream plugin reads the NodeInfo at Reserve, so nothing else changes.
  const std::string node = result.node->name();
  sched::NodeInfo* node_info = snapshot_.find(node);
  sched::PluginStatus reserve = fw->run_reserve(*state, *info, *node_info);
  if (!reserve.ok()) {
    fw->run_unreserve(*state, *info, *node_info);
    fail(pod, AttemptOutcome::kError, reserve.reason);
    return;
  }
  if (state->gpu_device_ids.empty() && info->gpu.devices > 0) {
    // No plugin chose devices: the node's default choice, fixed now so that the binding,
    // the assumed pod and the bound pod agree.
    state->gpu_device_ids = node_info->default_gpu_devices(info->gpu);
  }
  Pod assumed = *pod;
  assumed.spec.node_name = node;
  assumed.spec.gpu_device_ids = state->gpu_device_ids;
  auto assumed_info = std::make_shared<const sched::PodInfo>(
      sched::PodInfo::from(std::make_shared<const Pod>(std::move(assumed))));
  node_info->add_pod(assumed_info);
  assumed_[key] = node;
  sim::Duration wait = 0;
  sched::PluginStatus permit = fw->run_permit(*state, *info, *node_info, wait);
  if (permit.code == sched::Code::kWait) {
    Waiting w;
    w.pod = info;
    w.node = node;
    w.framework = fw;
    w.timeout = sim_.schedule_after(wait, [this, k = key]() mutable {
      auto wit = waiting_.find(k);
      if (wit == waiting_.end()) return;
      Waiting w2 = std::move(wit->second);
      waiting_.erase(wit);
      unassume(*w2.framework, *w2.state, *w2.pod, w2.node);
      fail(w2.pod->pod, AttemptOutcome::kUnschedulable, "rejected due to timeout after waiting at permit");
      apply_waiting_decisions();
    });
    w.state = std::move(state);
    waiting_.emplace(key, std::move(w));
    return;
  }
  if (!permit.ok()) {
    unassume(*fw, *state, *info, node);
    fail(pod, AttemptOutcome::kUnschedulable, permit.reason);
    return;
  }
  bind(info, node, state->gpu_device_ids);
}

// Undoes an assume: Unreserve, and the pod leaves the node in the snapshot.
void Scheduler::unassume(sched::Framework& fw, sched::CycleState& state, const sched::PodInfo& pod,
                         const std::string& node) {
  if (sched::NodeInfo* n = snapshot_.find(node)) {
    fw.run_unreserve(state, pod, *n);
    n->remove_pod(pod.key());
  }
  assumed_.erase(pod.key());
}

// Gang decisions (Coscheduling): allow or reject the pods waiting at Permit.
void Scheduler::apply_waiting_decisions() {
  // Rejecting a waiting pod runs Unreserve, which records further decisions (Coscheduling:
  // reject the group). Drain them now: left over, they would act on pods that wait at Permit
  // in a later cycle — a gang retried after its rejection would be rejected again at once.
  bool again = true;
  while (again) {
    again = false;
    for (const auto& fw : frameworks_) {
      for (const auto& d : fw->take_waiting_pod_decisions()) {
        again = true;
        if (d.allow) {
          permit_allow(d.matches);
          continue;
        }
        std::vector<std::string> rejected;
        for (auto& [key, w] : waiting_) {
          if (d.matches(*w.pod->pod)) rejected.push_back(key);
        }
        for (const auto& key : rejected) {
          auto it = waiting_.find(key);
          Waiting w = std::move(it->second);
          waiting_.erase(it);
          sim_.cancel(w.timeout);
          unassume(*w.framework, *w.state, *w.pod, w.node);
          fail(w.pod->pod, AttemptOutcome::kUnschedulable, d.reason);
        }
      }
    }
  }
}

void Scheduler::permit_allow(const std::function<bool(const Pod&)>& pred) {
  std::vector<std::string> ready;
  for (auto& [key, w] : waiting_) {
    if (pred(*w.pod->pod)) ready.push_back(key);
  }
  for (const auto& key : ready) {
    auto it = waiting_.find(key);
    Waiting w = std::move(it->second);
    waiting_.erase(it);
    sim_.cancel(w.timeout);
    bind(w.pod, w.node, w.state->gpu_device_ids);
  }
}

void Scheduler::bind(std::shared_ptr<const sched::PodInfo> info, const std::string& node,
                     std::vector<std::int32_t> gpus) {
  const Pod& pod = *info->pod;
  bound.emit(PodBound{&pod, node, pod.metadata.creation_timestamp});
  api_.patch<Pod>(
      client_, pod.metadata.namespace_, pod.metadata.name,
      [node, gpus = std::move(gpus), now = sim_.now()](Pod& p) {
        if (!p.spec.node_name.empty()) return false;
        p.spec.node_name = node;
        p.spec.gpu_device_ids = gpus;
        Condition c;
        c.type = std::string(kPodScheduled);
        c.status = ConditionStatus::kTrue;
        c.last_transition_time = now;
        set_condition(p.status.conditions, std::move(c));
        return true;
      },
      [this, info, node](const sim::Status& status) {
        const std::string& key = info->key();
        if (!status.ok()) {
          bind_failures_.add();
          if (assumed_.erase(key) != 0) {
            if (sched::NodeInfo* n = snapshot_.find(node)) n->remove_pod(key);
          }
          if (pending_.count(key) != 0) {
            queue_.done(key, AttemptOutcome::kError);
          }
          return;
        }
        scheduled_.add();
        scheduling_latency_.record_duration(sim_.now() - info->pod->metadata.creation_timestamp);
        queue_.done(key, AttemptOutcome::kScheduled);
      });
}

namespace {

// PodScheduled=False, reason Unschedulable (upstream's condition for a pod no node fits).
Condition unschedulable_condition(const std::string& message, sim::Time now) {
  Condition cond;
  cond.type = std::string(kPodScheduled);
  cond.status = ConditionStatus::kFalse;
  cond.last_transition_time = now;
  cond.reason = "Unschedulable";
  cond.message = message;
  return cond;
}

}  // namespace

void Scheduler::fail(const std::shared_ptr<const Pod>& pod, AttemptOutcome outcome,
                     const std::string& message) {
  const std::string key = key_of(*pod);
  if (outcome == AttemptOutcome::kError) {
    errors_.add();
  } else {
    unschedulable_.add();
  }
  queue_.done(key, outcome);
  if (outcome != AttemptOutcome::kUnschedulable) return;
  if (const std::string* on = pod->metadata.annotations.find(kOnUnschedulableAnnotation);
      on != nullptr && *on == "fail") {
    // kubesim: the pod gives up at its first unschedulable verdict (the FGD paper's method:
    // a pod no node fits is dropped, never retried). It leaves the queue as Failed.
    queue_.remove(key);
    failed_unschedulable_.add();
    api_.patch<Pod>(client_, pod->metadata.namespace_, pod->metadata.name,
                    [message, now = sim_.now()](Pod& p) {
                      if (p.bound() || p.terminal()) return false;
                      set_condition(p.status.conditions, unschedulable_condition(message, now));
                      p.status.phase = PodPhase::kFailed;
                      p.status.reason = "Unschedulable";
                      p.status.message = message;
                      return true;
                    });
    return;
  }
  const Condition* c = find_condition(pod->status.conditions, kPodScheduled);
  if (c != nullptr && c->status == ConditionStatus::kFalse && c->message == message) return;
  api_.patch<Pod>(client_, pod->metadata.namespace_, pod->metadata.name,
                  [message, now = sim_.now()](Pod& p) {
                    if (p.bound()) return false;
                    Condition cond = unschedulable_condition(message, now);
                    const Condition* old = find_condition(p.status.conditions, kPodScheduled);
                    if (old != nullptr && old->status == cond.status && old->message == message) {
                      return false;
                    }
                    set_condition(p.status.conditions, std::move(cond));
                    return true;
                  });
}

}  // namespace kubesim::models
