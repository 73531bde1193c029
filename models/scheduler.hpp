// Scheduler: kube-scheduler's runtime around the framework — informers on pods and nodes,
// the scheduling queue, the cache/snapshot, scheduleOne, assume, and asynchronous binding
// through the API server (upstream pkg/scheduler/schedule_one.go, eventhandlers.go).
//
// - Pods with spec.nodeName empty whose schedulerName matches a profile enter the queue
//   (priority from spec.priority); bound pods enter the snapshot. Node adds and updates,
//   and pod deletions, move unschedulable pods back (move_all_to_active_or_backoff with
//   upstream's event labels).
// - One cycle at a time: pop, Framework::schedule, then on success assume the pod on the
//   node (the snapshot sees it at once), Reserve, Permit, and bind: a POST of the binding
//   (here a patch setting spec.nodeName, the GPU device ids and the PodScheduled condition).
//   Binding runs asynchronously, as upstream's binding cycle goroutine; the next scheduling
//   cycle starts after the decision latency (0 by default: an ideal scheduler; set it to
//   reproduce a real scheduler's throughput). A failed bind forgets the assumed pod and
//   sends it to backoff.
// - An unschedulable pod gets PodScheduled=False reason Unschedulable with the FitError
//   message (a status patch), and goes to the unschedulable pool. When PostFilter
//   (DefaultPreemption) nominates a node, the victims are deleted through the API and the
//   pod's status.nominatedNodeName is set.
// - Permit Wait (gang scheduling): the pod stays assumed and waits; permit_allow() or the
//   timeout decides. Pods rejected at Permit are unreserved and go to backoff.
//
// Metrics, under "scheduler.": counters attempts, scheduled, unschedulable, errors,
// preemptions, bind_failures; histogram scheduling_latency_s (pod creation → bound as
// the scheduler observed it, upstream's pod_scheduling_sli_duration_seconds); gauge
// pending_pods. Its API client's metrics are under "scheduler-client.".
//
// Not thread-safe. Determinism: tie-breaks draw from stream "scheduler/<profile>".
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/api_server.hpp"
#include "models/informer.hpp"
#include "models/scheduler_framework.hpp"
#include "models/scheduling_queue.hpp"
#include "sim/metrics.hpp"
#include "sim/random.hpp"
#include "sim/signal.hpp"
#include "sim/simulation.hpp"

namespace kubesim::models {

// kubesim: `kubesim.io/on-unschedulable: fail` on a pod makes its first unschedulable
// verdict final: the scheduler marks it Failed (reason Unschedulable) instead of retrying.
// Trace replays use it for the FGD paper's method. Any other value, or none: retry as
// upstream does.
inline constexpr std::string_view kOnUnschedulableAnnotation = "kubesim.io/on-unschedulable";

struct SchedulerOptions {
  SchedulingQueueConfig queue;
  // Time one scheduling cycle takes (seconds). Constant 0: ideal.
  sim::Distribution decision_latency = sim::Distribution::constant(0);
  ClientRateLimit rate_limit = kKubeSchedulerDefaultRateLimit;
};

// A bind as observers see it.
struct PodBound {
  const Pod* pod;  // the pod as the scheduler last saw it (before binding)
  std::string_view node;
  sim::Time created;
};

class Scheduler {
 public:
  // `frameworks`: one per profile (distinct scheduler names).
  Scheduler(sim::Simulation& sim, sim::MetricRegistry& metrics, ApiServer& api,
            std::vector<std::unique_ptr<sched::Framework>> frameworks, SchedulerOptions options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  const sched::Snapshot& snapshot() const { return snapshot_; }
  // Node ranks for profiles that break ties by rank (Framework::Options).
  void set_tie_break_ranks(std::map<std::string, std::int64_t, std::less<>> ranks) {
    snapshot_.set_tie_break_ranks(std::move(ranks));
  }
  SchedulingQueue& queue() { return queue_; }
  // Allows every waiting pod of the Permit wait set for which `pred` is true (gang release).
  void permit_allow(const std::function<bool(const Pod&)>& pred);

  sim::Signal<PodBound> bound;

 private:
  struct Waiting {
    std::shared_ptr<const sched::PodInfo> pod;
    std::string node;
    sched::Framework* framework;
    std::unique_ptr<sched::CycleState> state;
    sim::EventHandle timeout;
  };

  sched::Framework* framework_for(const Pod& pod) const;
  void on_pod_add(const std::shared_ptr<const Pod>& pod);
  void on_pod_update(const std::shared_ptr<const Pod>& old_pod, const std::shared_ptr<const Pod>& pod);
  void on_pod_delete(const std::shared_ptr<const Pod>& pod);
  void on_node_add(const std::shared_ptr<const Node>& node);
  void on_node_update(const std::shared_ptr<const Node>& old_node,
                      const std::shared_ptr<const Node>& node);
  void on_node_delete(const std::shared_ptr<const Node>& node);
  void add_to_cache(const std::shared_ptr<const Pod>& pod);
  void remove_from_cache(const Pod& pod);
  void poke();
  void cycle();
  void schedule_one(const std::string& key);
  void bind(std::shared_ptr<const sched::PodInfo> pod, const std::string& node,
            std::vector<std::int32_t> gpus);
  void apply_waiting_decisions();
  void unassume(sched::Framework& fw, sched::CycleState& state, const sched::PodInfo& pod,
                const std::string& node);
  void fail(const std::shared_ptr<const Pod>& pod, AttemptOutcome outcome,
            const std::string& message);

  sim::Simulation& sim_;
  ApiServer& api_;
  ApiClient& client_;
  SchedulerOptions options_;
  std::vector<std::unique_ptr<sched::Framework>> frameworks_;
  SchedulingQueue queue_;
  sched::Snapshot snapshot_;
  // Pending pods known to the queue, by key.
  std::map<std::string, std::shared_ptr<const Pod>, std::less<>> pending_;
  // Pods assumed (bind in flight), by key → node.
  std::map<std::string, std::string, std::less<>> assumed_;
  std::map<std::string, Waiting, std::less<>> waiting_;
  // Bound pods whose node the scheduler has not seen yet, by node name.
  std::map<std::string, std::vector<std::shared_ptr<const Pod>>, std::less<>> orphans_;
  std::map<std::string, sim::Rng, std::less<>> rngs_;
  sim::Rng latency_rng_;
  bool cycle_scheduled_ = false;
  sim::Connection queue_moves_;
  std::unique_ptr<Informer<Pod>> pod_informer_;
  std::unique_ptr<Informer<Node>> node_informer_;

  sim::Counter& attempts_;
  sim::Counter& scheduled_;
  sim::Counter& unschedulable_;
  sim::Counter& failed_unschedulable_;
  sim::Counter& errors_;
  sim::Counter& preemptions_;
  sim::Counter& bind_failures_;
  sim::Histogram& scheduling_latency_;
  sim::Gauge& pending_gauge_;
};

}  // namespace kubesim::models
