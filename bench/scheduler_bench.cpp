// Scheduler benchmarks: one kube-scheduler v1.34 scheduling cycle (Framework::schedule with
// the default profile from default_scheduler_config()) per pod, on clusters of 500, 5,000
// and 10,000 nodes. Each scheduled pod is assumed onto its node (NodeInfo::add_pod), so the
// cluster fills up as it would; when a quarter of the pod slots are used the cluster is
// reset outside the timed region. Reports pods/s as items_per_second.
//
// Pods: owner-less (so PodTopologySpread's system defaults do not apply), no affinity, cpu
// 100m-2 cores and memory 128 MiB-4 GiB, one in ten without requests (best-effort), one
// in five with two containers. Nodes: three sizes (16/32/64 cores), three zones, some with
// a PreferNoSchedule taint and some with the pods' image.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "models/scheduler_framework.hpp"
#include "policies/node_plugins.hpp"
#include "policies/registry.hpp"
#include "scenarios/scheduler_config.hpp"
#include "sim/random.hpp"

namespace {

namespace sched = kubesim::models::sched;
namespace kp = kubesim::policies;
using kubesim::models::Node;
using kubesim::models::Pod;
using kubesim::sim::Rng;

constexpr std::int64_t kMi = 1024 * 1024;
constexpr std::int64_t kGi = 1024 * kMi;

std::vector<std::shared_ptr<const Node>> make_nodes(int n) {
  std::vector<std::shared_ptr<const Node>> nodes;
  Rng rng(11);
  for (int i = 0; i < n; ++i) {
    auto node = std::make_shared<Node>();
    node->metadata.name = "node-" + std::to_string(i);
    node->metadata.labels.set("kubernetes.io/hostname", node->metadata.name);
    node->metadata.labels.set("topology.kubernetes.io/zone", "zone-" + std::to_string(i % 3));
    const std::int64_t cores = 16LL << rng.below(3);
    node->status.allocatable.set("cpu", cores * 1000);
    node->status.allocatable.set("memory", cores * 4 * kGi);
    node->status.allocatable.set("pods", 110);
    node->status.capacity = node->status.allocatable;
    if (rng.below(10) == 0) {
      node->spec.taints.push_back(
          {"spot", "true", kubesim::models::TaintEffect::kPreferNoSchedule, std::nullopt});
    }
    if (rng.below(4) == 0) node->status.images.push_back({{"registry.local/app:v1"}, 200 * kMi});
    nodes.push_back(std::move(node));
  }
  return nodes;
}

std::vector<std::shared_ptr<const sched::PodInfo>> make_pods(int n) {
  std::vector<std::shared_ptr<const sched::PodInfo>> pods;
  Rng rng(12);
  for (int i = 0; i < n; ++i) {
    auto pod = std::make_shared<Pod>();
    pod->metadata.namespace_ = "default";
    pod->metadata.name = "pod-" + std::to_string(i);
    const int containers = rng.below(5) == 0 ? 2 : 1;
    const bool best_effort = rng.below(10) == 0;
    for (int c = 0; c < containers; ++c) {
      kubesim::models::Container container;
      container.name = "c" + std::to_string(c);
      container.image = "registry.local/app:v1";
      if (!best_effort) {
        container.requests.set("cpu", 100 * (1 + static_cast<std::int64_t>(rng.below(20))));
        container.requests.set("memory",
                               128 * kMi * (1 + static_cast<std::int64_t>(rng.below(32))));
      }
      pod->spec.containers.push_back(std::move(container));
    }
    pods.push_back(sched::PodInfo::make(std::move(pod)));
  }
  return pods;
}

kp::Registry make_registry() {
  kp::Registry r;
  kp::register_builtins(r);
  // Until the pod-relation plugins are registered, stand-ins that skip as upstream's do
  // for these pods (no owner, no affinity, no constraints, nothing to preempt here).
  for (const char* name : {"PodTopologySpread", "InterPodAffinity", "DefaultPreemption"}) {
    if (r.find(name) != nullptr) continue;
    (void)r.add(name, [name](const kp::SchedulerProfile&, const kp::PluginContext&) {
      return kubesim::sim::Result<std::unique_ptr<sched::Plugin>>(
          std::unique_ptr<sched::Plugin>(new kp::NoOpPlugin(name)));
    });
  }
  return r;
}

void fill_snapshot(sched::Snapshot& snap, const std::vector<std::shared_ptr<const Node>>& nodes) {
  snap = sched::Snapshot();
  for (const auto& n : nodes) snap.upsert_node(n);
}

// The timed loop: one scheduling cycle per pod, each scheduled pod assumed onto its node;
// the cluster is reset (untimed) when a quarter of the pod slots are used.
void run_cycles(benchmark::State& state, sched::Framework& framework,
                const std::vector<std::shared_ptr<const Node>>& nodes,
                const std::vector<std::shared_ptr<const sched::PodInfo>>& pods, int num_nodes) {
  sched::Snapshot snap;
  fill_snapshot(snap, nodes);
  Rng rng(13);
  const std::int64_t reset_after = static_cast<std::int64_t>(num_nodes) * 110 / 4;
  std::int64_t assumed = 0;
  std::int64_t unschedulable = 0;
  std::size_t next = 0;
  for (auto _ : state) {
    const auto& pod = pods[next];
    if (++next == pods.size()) next = 0;
    sched::CycleState cycle = framework.new_cycle_state();
    sched::ScheduleResult r = framework.schedule(cycle, *pod, snap, rng);
    if (r.node != nullptr) {
      snap.nodes()[static_cast<std::size_t>(r.node->index())]->add_pod(pod);
      if (++assumed == reset_after) {
        state.PauseTiming();
        fill_snapshot(snap, nodes);
        assumed = 0;
        state.ResumeTiming();
      }
    } else {
      ++unschedulable;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["unschedulable"] = static_cast<double>(unschedulable);
}

void SchedulerDefaultProfile(benchmark::State& state) {
  const int num_nodes = static_cast<int>(state.range(0));
  const auto nodes = make_nodes(num_nodes);
  const auto pods = make_pods(4096);
  const auto config = kubesim::scenarios::default_scheduler_config();
  const kp::Registry registry = make_registry();
  auto built = kp::build_framework(registry, config, config.profiles[0], kp::PluginContext{});
  if (!built.ok()) {
    state.SkipWithError(built.error().c_str());
    return;
  }
  const auto framework = std::move(built).value();
  run_cycles(state, *framework, nodes, pods, num_nodes);
}
BENCHMARK(SchedulerDefaultProfile)
    ->Name("Scheduler/DefaultProfile")
    ->Arg(500)
    ->Arg(5000)
    ->Arg(10000)
    ->MinTime(2.0);

// The same cycle for pods owned by 20 ReplicaSets (selector app=rs-NN, pods of the sets
// interleaved at random), as in scenarios/examples/scale-5000.yaml: PodTopologySpread's
// system-default constraints (hostname maxSkew 3, zone maxSkew 5, ScheduleAnyway) apply to
// every pod, so PreScore counts the matching pods per node and zone every cycle.
void SchedulerOwnedPods(benchmark::State& state) {
  constexpr int kReplicaSets = 20;
  const int num_nodes = static_cast<int>(state.range(0));
  const auto nodes = make_nodes(num_nodes);
  auto pods = make_pods(4096);
  {
    Rng rng(14);
    for (auto& info : pods) {
      auto pod = std::make_shared<Pod>(*info->pod);
      const std::string rs = "rs-" + std::to_string(rng.below(kReplicaSets));
      pod->metadata.labels.set("app", rs);
      kubesim::models::OwnerReference owner;
      owner.api_version = "apps/v1";
      owner.kind = "ReplicaSet";
      owner.name = rs;
      owner.uid = "uid-" + rs;
      owner.controller = true;
      pod->metadata.owner_references.push_back(owner);
      info = sched::PodInfo::make(std::move(pod));
    }
  }
  const auto config = kubesim::scenarios::default_scheduler_config();
  const kp::Registry registry = make_registry();
  kp::PluginContext context;
  context.owner_selectors = [](const Pod& pod) {
    std::vector<kubesim::models::LabelSelector> out;
    if (const auto* owner = pod.metadata.controller_ref()) {
      kubesim::models::LabelSelector sel;
      sel.match_labels.set("app", owner->name);
      out.push_back(std::move(sel));
    }
    return out;
  };
  auto built = kp::build_framework(registry, config, config.profiles[0], context);
  if (!built.ok()) {
    state.SkipWithError(built.error().c_str());
    return;
  }
  const auto framework = std::move(built).value();
  run_cycles(state, *framework, nodes, pods, num_nodes);
}
BENCHMARK(SchedulerOwnedPods)->Name("Scheduler/OwnedPods")->Arg(5000)->MinTime(2.0);

}  // namespace
