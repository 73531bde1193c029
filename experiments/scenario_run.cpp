#include "experiments/scenario_run.hpp"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <map>
#include <numeric>
#include <set>
#include <sstream>
#include <stdexcept>

#include "experiments/aiservice_operator.hpp"
#include "experiments/cluster_observer.hpp"
#include "experiments/node_autoscaling.hpp"
#include "experiments/hpa_controller.hpp"
#include "experiments/keda_controller.hpp"
#include "experiments/kpa_controller.hpp"
#include "experiments/metrics_pipeline.hpp"
#include "experiments/predictive_controller.hpp"
#include "experiments/ingress_traffic.hpp"
#include "experiments/service_traffic.hpp"
#include "experiments/trace_replay.hpp"
#include "experiments/training_jobs.hpp"
#include "kubesim/version.hpp"
#include "models/cluster.hpp"
#include "models/request_queue.hpp"
#include "policies/gpu_share_plugins.hpp"
#include "policies/registry.hpp"

namespace kubesim::experiments {

// Replays one podTrace workload lazily: one pending arrival and one pending departure
// event at a time, so a trace of millions of pods costs no more events than a small one.
class PodTraceReplayer {
 public:
  PodTraceReplayer(sim::Simulation& sim, models::Cluster& cluster,
                   const scenarios::PodTraceSpec& spec, std::vector<PlannedPod> plan)
      : sim_(sim), cluster_(cluster), spec_(spec), plan_(std::move(plan)) {
    for (std::uint32_t i = 0; i < plan_.size(); ++i) {
      if (plan_[i].departure) departures_.push_back(i);
    }
    std::stable_sort(departures_.begin(), departures_.end(), [&](std::uint32_t a, std::uint32_t b) {
      return *plan_[a].departure < *plan_[b].departure;
    });
    next_arrival();
    next_departure();
  }
  std::size_t arrivals() const { return plan_.size(); }

 private:
  // Sequential arrivals are a closed loop, like the FGD paper's simulator: the next pod is
  // created `interval` after the previous create completed (and not before its planned
  // time), so pods reach the API server — and the scheduling queue — in plan order.
  void next_arrival() {
    if (arrived_ >= plan_.size()) return;
    sim_.schedule_at(std::max(sim_.now(), plan_[arrived_].arrival), [this] {
      const PlannedPod& p = plan_[arrived_++];
      models::Pod pod = scenarios::trace_pod_to_pod(spec_.trace.pods[p.row], spec_, p.name);
      if (spec_.arrivals == scenarios::PodTraceSpec::Arrivals::kSequential) {
        cluster_.apply_now(std::move(pod), [this] {
          if (arrived_ >= plan_.size()) return;
          const sim::Time earliest = sim_.now() + spec_.interval;
          if (plan_[arrived_].arrival < earliest) plan_[arrived_].arrival = earliest;
          next_arrival();
        });
        return;
      }
      cluster_.apply_now(std::move(pod));
      next_arrival();
    });
  }
  void next_departure() {
    if (departed_ >= departures_.size()) return;
    const PlannedPod& p = plan_[departures_[departed_]];
    // A departure never runs before its own arrival event (same time: after it).
    sim_.schedule_at(std::max({sim_.now(), *p.departure, p.arrival}), [this] {
      const PlannedPod& d = plan_[departures_[departed_++]];
      cluster_.delete_pod_now(spec_.namespace_, d.name);
      next_departure();
    });
  }

  sim::Simulation& sim_;
  models::Cluster& cluster_;
  const scenarios::PodTraceSpec& spec_;
  std::vector<PlannedPod> plan_;
  std::vector<std::uint32_t> departures_;
  std::size_t arrived_ = 0;
  std::size_t departed_ = 0;
};

struct ScenarioRun::Model {
  std::vector<std::unique_ptr<models::RequestQueue>> queues;
  std::vector<std::unique_ptr<PodTraceReplayer>> replayers;
  // Declared before the cluster: plugin callbacks reach the cluster through it.
  std::shared_ptr<models::Cluster*> cluster_ref = std::make_shared<models::Cluster*>(nullptr);
  std::unique_ptr<models::Cluster> cluster;
  std::unique_ptr<ClusterObserver> observer;
  // spec.cluster.clusterAutoscaler / karpenter; destroyed before the cluster it drives.
  std::unique_ptr<NodeAutoscaling> node_autoscaling;
  // The nodes' kube-proxies (models/kube_proxy.hpp), when there is traffic; outlives it.
  std::unique_ptr<models::KubeProxyFleet> kube_proxy;
  // type: traffic workloads; destroyed before the cluster (they watch its pod store).
  std::vector<std::unique_ptr<ServiceTraffic>> traffic;
  // type: traffic workloads through an Ingress; their pools are in `traffic` (destroyed
  // after these).
  std::vector<std::unique_ptr<IngressTraffic>> ingress;
  // The autoscalers' metrics and the HPA controller (only when something reads them);
  // destroyed before the traffic they sample.
  // The AIService operator (when the scenario has AIServices); outlives the HPA
  // controller, which reaches AIServices' /scale through it.
  std::unique_ptr<AIServiceOperator> aiservice_operator;
  std::unique_ptr<MetricsPipeline> metrics_pipeline;
  std::unique_ptr<HpaController> hpa;
  // KEDA's operator and metrics adapter (reads the pipeline; `hpa` holds a hook into it,
  // never called once the run is over) and Knative's autoscaler (reads the traffic).
  std::unique_ptr<KedaController> keda;
  std::unique_ptr<KpaController> kpa;
  // PredictiveAutoscaler objects (autoscaling.kubesim.io); reads the pipeline.
  std::unique_ptr<PredictiveController> predictive;
  // type: trainingJobs workloads and the PodGroups they create at run time (read by the
  // Coscheduling plugin); the runtimes watch the pod store, so they go before the cluster.
  std::shared_ptr<RuntimePodGroups> pod_groups = std::make_shared<RuntimePodGroups>();
  std::vector<std::unique_ptr<TrainingJobs>> training;
};

namespace {

// When a scenario object is applied: its kubesim.io/apply-at annotation, else at the start.
sim::Time apply_time(const models::ObjectMeta& meta) {
  if (const std::string* at = meta.annotations.find(models::kApplyAtAnnotation)) {
    if (auto d = sim::parse_duration(*at); d.ok()) return d.value();
  }
  return 0;
}

// The target workload of the FGD plugin: the typical pods of every podTrace workload's
// original pods (upstream GetTypicalPods: 95 % popularity, CPU pods included), with every
// GPU model of the cluster interned.
std::shared_ptr<const policies::GpuWorkload> gpu_workload(const scenarios::Scenario& scenario) {
  if (scenario.pod_traces.empty()) return nullptr;
  auto w = std::make_shared<policies::GpuWorkload>();
  if (scenario.cluster) {
    for (const auto& pool : scenario.cluster->node_pools) {
      if (pool.gpu) w->models.intern(pool.gpu->model);
    }
    for (const auto& t : scenario.cluster->trace_nodes) {
      for (const auto& n : t.trace.nodes) {
        if (!n.gpu_model.empty()) w->models.intern(n.gpu_model);
      }
    }
  }
  std::vector<policies::gpu::GpuDemand> demands;
  for (const auto& t : scenario.pod_traces) {
    for (const auto& p : t.trace.pods) {
      policies::gpu::GpuDemand d;
      d.cpu_milli = p.cpu_milli;
      d.memory_mib = p.memory_bytes / (1024 * 1024);
      d.num_gpu = p.num_gpu;
      d.gpu_milli = p.gpu_milli;
      std::string spec;
      for (const auto& m : p.gpu_models) spec += (spec.empty() ? "" : "|") + m;
      d.models = w->models.parse_spec(spec);
      demands.push_back(d);
    }
  }
  w->typical = policies::gpu::TypicalPods::build(demands);
  return w;
}

policies::PluginContext plugin_context(std::shared_ptr<models::Cluster*> ref,
                                       const std::vector<models::PodGroup>& groups) {
  policies::PluginContext ctx;
  // PodGroups (scheduling.x-k8s.io) from the scenario, by namespace/name.
  auto by_key = std::make_shared<std::map<std::string, policies::PluginContext::PodGroupInfo>>();
  for (const auto& g : groups) {
    (*by_key)[models::object_key(g.metadata.namespace_, g.metadata.name)] =
        policies::pod_group_info(g);
  }
  ctx.pod_group = [by_key](std::string_view ns, std::string_view name)
      -> std::optional<policies::PluginContext::PodGroupInfo> {
    auto it = by_key->find(models::object_key(ns, name));
    if (it == by_key->end()) return std::nullopt;
    return it->second;
  };
  ctx.gpu_topology = [ref](const models::Node& node) -> const models::GpuTopology* {
    return *ref == nullptr ? nullptr : (*ref)->gpu_topology_of(node.metadata.name);
  };
  // upstream helper.DefaultSelector: the selectors of the Services and ReplicaSets (the
  // workload controllers kubesim models) in the pod's namespace that select it.
  ctx.owner_selectors = [ref](const models::Pod& pod) {
    std::vector<models::LabelSelector> out;
    if (*ref == nullptr) return out;
    models::ApiServer& api = (*ref)->api();
    for (const auto& svc : api.services().list()) {
      if (!policies::service_selects(*svc, pod)) continue;
      models::LabelSelector sel;
      sel.match_labels = svc->spec.selector;
      out.push_back(std::move(sel));
    }
    if (const auto* owner = pod.metadata.controller_ref(); owner && owner->kind == "ReplicaSet") {
      if (auto rs = api.replicasets().get(pod.metadata.namespace_, owner->name)) {
        out.push_back(rs->spec.selector);
      }
    }
    return out;
  };
  ctx.namespace_labels = [ref](std::string_view ns) -> const models::Labels* {
    if (*ref == nullptr) return nullptr;
    auto n = (*ref)->api().namespaces().get("", ns);
    return n == nullptr ? nullptr : &n->metadata.labels;
  };
  return ctx;
}

}  // namespace

void ScenarioRun::build_cluster() {
  const scenarios::ClusterSpec& spec = *scenario_.cluster;
  const scenarios::ControlPlaneSpec& cp = scenario_.control_plane;
  policies::Registry registry;
  policies::register_builtins(registry);
  policies::PluginContext ctx = plugin_context(model_->cluster_ref, scenario_.manifests.pod_groups);
  // PodGroups created during the run (trainingJobs) first, then the scenario's manifests.
  ctx.pod_group = [manifest = std::move(ctx.pod_group), runtime = model_->pod_groups](
                      std::string_view ns, std::string_view name)
      -> std::optional<policies::PluginContext::PodGroupInfo> {
    if (auto g = runtime->find(ns, name)) return g;
    return manifest ? manifest(ns, name) : std::nullopt;
  };
  ctx.gpu_workload = gpu_workload(scenario_);
  ctx.seed = scenario_.seed;
  ctx.replication = sim_->replication();
  std::vector<std::unique_ptr<models::sched::Framework>> frameworks;
  for (const auto& profile : cp.scheduler.profiles) {
    auto fw = policies::build_framework(registry, cp.scheduler, profile, ctx);
    if (!fw.ok()) throw std::invalid_argument("scheduler profile \"" + profile.scheduler_name +
                                              "\": " + fw.status().message());
    frameworks.push_back(std::move(fw).value());
  }
  models::ClusterConfig config;
  config.api_server = cp.api_server;
  config.scheduler.decision_latency = cp.scheduler_decision_latency;
  config.scheduler.rate_limit = cp.scheduler_rate_limit;
  config.scheduler.queue.pod_initial_backoff = cp.scheduler.pod_initial_backoff_seconds * sim::kSecond;
  config.scheduler.queue.pod_max_backoff = cp.scheduler.pod_max_backoff_seconds * sim::kSecond;
  config.controllers = cp.controller_manager;
  config.node_pools = spec.node_pools;
  config.image_bytes = spec.image_bytes;
  config.max_graceful_termination = spec.max_graceful_termination;
  model_->cluster = std::make_unique<models::Cluster>(*sim_, *metrics_, std::move(config),
                                                      std::move(frameworks));
  models::Cluster& cluster = *model_->cluster;
  *model_->cluster_ref = &cluster;
  model_->observer = std::make_unique<ClusterObserver>(*sim_, *metrics_, cluster, *sampler_,
                                                       scenario_.events_jsonl, ctx.gpu_workload);

  const scenarios::Manifests& m = scenario_.manifests;
  for (const auto& o : m.namespaces) cluster.apply_at(apply_time(o.metadata), o);
  for (const auto& o : m.priority_classes) cluster.apply_at(apply_time(o.metadata), o);
  for (const auto& o : m.services) cluster.apply_at(apply_time(o.metadata), o);
  for (const auto& o : m.nodes) cluster.add_node(o);
  for (const auto& t : spec.trace_nodes) {
    for (const auto& n : t.trace.nodes) cluster.add_node(scenarios::trace_node_to_node(n, t.max_pods));
  }
  std::set<std::string> deployments;
  for (const auto& o : m.deployments) {
    const std::string key = models::object_key(o.metadata.namespace_, o.metadata.name);
    if (deployments.insert(key).second) {
      cluster.apply_at(apply_time(o.metadata), o);
    } else {
      // A later version of the same Deployment: kubectl apply of the changed manifest.
      cluster.update_deployment_at(apply_time(o.metadata), o);
    }
  }
  for (const auto& o : m.replica_sets) cluster.apply_at(apply_time(o.metadata), o);
  for (const auto& o : m.jobs) cluster.apply_at(apply_time(o.metadata), o);
  for (const auto& o : m.pods) cluster.apply_at(apply_time(o.metadata), o);
  for (const auto& o : m.endpoint_slices) cluster.apply_at(apply_time(o.metadata), o);
  for (const auto& o : m.pod_disruption_budgets) cluster.apply_at(apply_time(o.metadata), o);
  for (const auto& f : scenario_.faults) cluster.schedule_fault(f);
  if (!scenario_.traffic.empty()) {
    model_->kube_proxy = std::make_unique<models::KubeProxyFleet>(*sim_, *metrics_, cluster.api());
  }
  for (const auto& t : scenario_.traffic) {
    if (t.via_ingress()) {  // experiments/ingress_traffic.hpp: its pools join `traffic`
      model_->ingress.push_back(std::make_unique<IngressTraffic>(*sim_, *metrics_, cluster.api(),
                                                                 *model_->kube_proxy,
                                                                 sampler_.get(), t, m,
                                                                 model_->traffic));
      continue;
    }
    models::Labels selector;  // the Service exists: scenario loading checked it
    for (const auto& ai : m.aiservices) {  // the operator's Service for the AIService
      if (ai.metadata.namespace_ == t.service_namespace && ai.metadata.name == t.service_name) {
        selector = AIServiceOperator::desired_service(ai, AIServiceOperatorConfig{}).spec.selector;
      }
    }
    for (const auto& svc : m.services) {
      if (svc.metadata.namespace_ == t.service_namespace && svc.metadata.name == t.service_name) {
        selector = svc.spec.selector;
      }
    }
    model_->traffic.push_back(std::make_unique<ServiceTraffic>(
        *sim_, *metrics_, cluster.api(), *model_->kube_proxy, sampler_.get(), t, selector));
  }
  // AIServices (stable.example.com/v1, docs/aiservice.md) and their operator, when the
  // scenario has any (the loader checked that their CustomResourceDefinition came first).
  // Observed RPS: the load offered to the AIService's Service by a traffic workload bound
  // to it, as a rate over the operator's evaluation period.
  if (!m.aiservices.empty()) {
    std::vector<const ServiceTraffic*> offered;
    for (const auto& t : model_->traffic) offered.push_back(t.get());
    auto sent = [offered](const std::string& ns,
                          const std::string& svc) -> std::optional<std::uint64_t> {
      const std::string key = models::object_key(ns, svc);
      for (const ServiceTraffic* t : offered) {
        if (t->service_key() == key) return t->sent_total();
      }
      return std::nullopt;
    };
    model_->aiservice_operator = std::make_unique<AIServiceOperator>(
        *sim_, *metrics_, cluster.api(), AIServiceOperatorConfig{},
        rps_from_cumulative(*sim_, std::move(sent)));
    std::vector<std::string> keys;
    for (const auto& a : m.aiservices) {
      const std::string key = models::object_key(a.metadata.namespace_, a.metadata.name);
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
    }
    model_->aiservice_operator->add_columns(*sampler_, keys);
    apply_aiservices(cluster, m.aiservices);
  }
  // Node autoscaling (experiments/node_autoscaling.hpp): Cluster Autoscaler or Karpenter, with
  // a Filter-only Framework of its own built from the first scheduler profile.
  if ((spec.cluster_autoscaler || spec.karpenter) && !cp.scheduler.profiles.empty()) {
    auto fw = policies::make_filter_framework(registry, cp.scheduler, cp.scheduler.profiles.front(),
                                              ctx);
    if (!fw.ok()) throw std::invalid_argument("node autoscaler: " + fw.status().message());
    auto filter = std::make_unique<policies::FilterSimulator>(std::move(fw).value());
    if (spec.cluster_autoscaler) {
      model_->node_autoscaling = std::make_unique<NodeAutoscaling>(
          *sim_, *metrics_, cluster, sampler_.get(), *spec.cluster_autoscaler, std::move(filter),
          scenario_.events_jsonl);
    } else {
      scenarios::KarpenterSpec karpenter = *spec.karpenter;
      karpenter.options.start_time_unix_ns = scenario_.start_time_unix_ns;
      model_->node_autoscaling =
          std::make_unique<NodeAutoscaling>(*sim_, *metrics_, cluster, sampler_.get(), karpenter,
                                            std::move(filter), scenario_.events_jsonl);
    }
  }
  if (!scenario_.training_jobs.empty()) {
    std::int64_t gpus = 0;
    for (const auto& n : cluster.api().nodes().list()) gpus += n->status.allocatable.gpu;
    for (const auto& t : scenario_.training_jobs) {
      model_->training.push_back(std::make_unique<TrainingJobs>(
          *sim_, *metrics_, cluster, sampler_.get(), t,
          scenarios::plan_training_jobs(t, gpus, scenario_.seed, sim_->replication()),
          model_->pod_groups));
    }
  }
  build_autoscalers();
  if (AIServiceOperator* op = model_->aiservice_operator.get()) {
    // Autoscalers whose scaleTargetRef is an AIService read and write its /scale subresource.
    auto get = [op](const std::string& ns, const std::string& name) -> std::optional<ScaleSubresource> {
      auto s = op->get_scale(ns, name);
      if (!s) return std::nullopt;
      return ScaleSubresource{s->spec_replicas, s->status_replicas, s->selector};
    };
    auto set = [op](const std::string& ns, const std::string& name, std::int32_t replicas,
                    std::function<void(const sim::Status&)> done) {
      op->set_scale(ns, name, replicas, std::move(done));
    };
    const std::string kind(models::kAIServiceKind);
    if (model_->hpa) model_->hpa->register_scale_kind(kind, get, set);
    if (model_->keda) model_->keda->register_scale_kind(kind, get, set);
    if (model_->predictive) model_->predictive->register_scale_kind(kind, get, set);
    if (model_->kpa) model_->kpa->register_scale_kind(kind, get, set);
  }
  if (cp.scheduler.tie_break_by_node_rank) cluster.scheduler().set_tie_break_ranks(node_ranks());
  if (!scenario_.pod_traces.empty()) {
    std::int64_t gpu_milli = 0;
    for (const auto& n : cluster.api().nodes().list()) {
      gpu_milli += n->status.allocatable.gpu * 1000;
    }
    for (const auto& t : scenario_.pod_traces) {
      sim::Rng rng = sim_->rng("workloads/" + t.name + "/order");
      model_->replayers.push_back(std::make_unique<PodTraceReplayer>(
          *sim_, cluster, t, plan_pod_trace(t, gpu_milli, rng)));
    }
  }
}

// The metrics pipeline and the pod autoscalers' controllers, when the scenario has an
// autoscaler object (a HorizontalPodAutoscaler, ScaledObject, PodAutoscaler or
// PredictiveAutoscaler manifest).
void ScenarioRun::build_autoscalers() {
  models::Cluster& cluster = *model_->cluster;
  const scenarios::Manifests& m = scenario_.manifests;
  if (m.horizontal_pod_autoscalers.empty() && m.scaled_objects.empty() &&
      m.pod_autoscalers.empty() && m.predictive_autoscalers.empty()) {
    return;
  }
  std::vector<const ServiceTraffic*> traffic;
  for (const auto& t : model_->traffic) traffic.push_back(t.get());
  if (!m.pod_autoscalers.empty()) {
    // Knative's autoscaler scrapes the pods (queue-proxies) itself: no pipeline needed.
    std::vector<KpaController::Applied> pas;
    for (const auto& o : m.pod_autoscalers) pas.push_back({o, apply_time(o.metadata)});
    // Non-const: the KPA puts Knative's activator in the Services' path (knative_sks.hpp).
    std::vector<ServiceTraffic*> served;
    for (const auto& t : model_->traffic) served.push_back(t.get());
    model_->kpa = std::make_unique<KpaController>(
        *sim_, *metrics_, cluster.api(), sampler_.get(), std::move(served), std::move(pas),
        m.knative_autoscaler_config.value_or(policies::KpaClusterConfig{}));
  }
  if (m.horizontal_pod_autoscalers.empty() && m.scaled_objects.empty() &&
      m.predictive_autoscalers.empty()) {
    return;
  }
  const scenarios::AutoscalingSpec& a = scenario_.autoscaling;
  model_->metrics_pipeline = std::make_unique<MetricsPipeline>(
      *sim_, cluster.api(), a.metrics_server, a.custom_metrics, traffic);
  std::vector<std::string> keys;
  for (const auto& o : m.horizontal_pod_autoscalers) {
    keys.push_back(models::object_key(o.metadata.namespace_, o.metadata.name));
    cluster.apply_at(apply_time(o.metadata), o);
  }
  model_->hpa = std::make_unique<HpaController>(*sim_, *metrics_, cluster.api(),
                                                *model_->metrics_pipeline, sampler_.get(),
                                                a.hpa, keys);
  if (!m.scaled_objects.empty()) {
    std::vector<KedaController::Applied> sos;
    for (const auto& o : m.scaled_objects) sos.push_back({o, apply_time(o.metadata)});
    model_->keda = std::make_unique<KedaController>(*sim_, *metrics_, cluster.api(),
                                                    *model_->metrics_pipeline, traffic,
                                                    std::move(sos));
    model_->keda->serve_external_metrics(*model_->hpa);
  }
  if (!m.predictive_autoscalers.empty()) {
    model_->predictive = std::make_unique<PredictiveController>(
        *sim_, *metrics_, cluster.api(), *model_->metrics_pipeline, sampler_.get());
    for (const auto& o : m.predictive_autoscalers) {
      // The manifest reader validated the spec; a failure here is a bug.
      if (auto st = model_->predictive->add(o, apply_time(o.metadata)); !st.ok()) {
        throw std::invalid_argument(st.message());
      }
    }
  }
}

// The ranks for tieBreak: nodeRank: from the scenario's nodeRanksFile, or a seeded
// permutation of every node the run starts with, sorted by name (rank = position).
std::map<std::string, std::int64_t, std::less<>> ScenarioRun::node_ranks() {
  const scenarios::ControlPlaneSpec& cp = scenario_.control_plane;
  if (!cp.node_ranks.empty()) return cp.node_ranks;
  std::vector<std::string> names;
  for (const auto& pool : scenario_.cluster->node_pools) {
    for (const auto& n : models::make_nodes(pool, 0)) names.push_back(n.metadata.name);
  }
  for (const auto& n : scenario_.manifests.nodes) names.push_back(n.metadata.name);
  std::sort(names.begin(), names.end());
  sim::Rng rng = sim_->rng("scheduler/node-rank");
  std::vector<std::int64_t> rank(names.size());
  std::iota(rank.begin(), rank.end(), 0);
  for (std::size_t i = rank.size(); i > 1; --i) {  // Fisher-Yates
    std::swap(rank[i - 1], rank[static_cast<std::size_t>(rng.below(i))]);
  }
  std::map<std::string, std::int64_t, std::less<>> out;
  for (std::size_t i = 0; i < names.size(); ++i) out.emplace(names[i], rank[i]);
  return out;
}

ScenarioRun::ScenarioRun(const scenarios::Scenario& scenario, std::uint64_t replication)
    : scenario_(scenario),
      sim_(std::make_unique<sim::Simulation>(scenario.seed, replication)),
      metrics_(std::make_unique<sim::MetricRegistry>(*sim_)),
      model_(std::make_unique<Model>()),
      sampler_(std::make_unique<sim::Sampler>(*sim_, scenario.sample_interval)) {
  for (const auto& config : scenario_.request_queues) {
    auto queue = std::make_unique<models::RequestQueue>(*sim_, *metrics_, config);
    models::RequestQueue* q = queue.get();
    const std::string& n = config.name;
    const sim::Counter& arrived = metrics_->counter(n + ".requests_arrived");
    const sim::Counter& completed = metrics_->counter(n + ".requests_completed");
    const sim::Counter& rejected = metrics_->counter(n + ".requests_rejected");
    const sim::Counter& timed_out = metrics_->counter(n + ".requests_timed_out");
    sampler_->add_column(n + ".queue_length", [q] { return static_cast<double>(q->in_queue()); });
    sampler_->add_column(n + ".busy_servers", [q] { return static_cast<double>(q->busy()); });
    sampler_->add_column(n + ".requests_arrived",
                         [&arrived] { return static_cast<double>(arrived.value()); });
    sampler_->add_column(n + ".requests_completed",
                         [&completed] { return static_cast<double>(completed.value()); });
    sampler_->add_column(n + ".requests_rejected",
                         [&rejected] { return static_cast<double>(rejected.value()); });
    sampler_->add_column(n + ".requests_timed_out",
                         [&timed_out] { return static_cast<double>(timed_out.value()); });
    model_->queues.push_back(std::move(queue));
  }
  if (scenario_.cluster) build_cluster();
  sampler_->add_column("sim.events_processed",
                       [s = sim_.get()] { return static_cast<double>(s->events_processed()); });
  sampler_->add_column("sim.pending_events",
                       [s = sim_.get()] { return static_cast<double>(s->pending()); });
}

ScenarioRun::~ScenarioRun() = default;

models::Cluster* ScenarioRun::cluster() { return model_->cluster.get(); }
const ClusterObserver* ScenarioRun::observer() const { return model_->observer.get(); }
AIServiceOperator* ScenarioRun::aiservice_operator() { return model_->aiservice_operator.get(); }
KpaController* ScenarioRun::kpa_controller() { return model_->kpa.get(); }
std::vector<const ServiceTraffic*> ScenarioRun::traffic() const {
  std::vector<const ServiceTraffic*> out;
  for (const auto& t : model_->traffic) out.push_back(t.get());
  return out;
}
KedaController* ScenarioRun::keda_controller() { return model_->keda.get(); }
const NodeAutoscaling* ScenarioRun::node_autoscaling() const {
  return model_->node_autoscaling.get();
}
std::vector<const TrainingJobs*> ScenarioRun::training_jobs() const {
  std::vector<const TrainingJobs*> out;
  for (const auto& t : model_->training) out.push_back(t.get());
  return out;
}

std::uint64_t ScenarioRun::run() {
  const auto start = std::chrono::steady_clock::now();
  if (sim_->now() == 0 && sampler_->row_count() == 0) {
    for (auto& q : model_->queues) q->start();
    for (auto& t : model_->traffic) t->start();
    for (auto& t : model_->ingress) t->start();
    if (model_->metrics_pipeline) model_->metrics_pipeline->start();
    if (model_->hpa) model_->hpa->start();
    if (model_->keda) model_->keda->start();
    if (model_->kpa) model_->kpa->start();
    if (model_->predictive) model_->predictive->start();
    sampler_->start();
  }
  const std::uint64_t events = sim_->run_until(scenario_.duration);
  wall_seconds_ +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Peak resident memory of the process when the run ends (a host figure, like the wall time).
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  peak_rss_bytes_ = static_cast<std::int64_t>(usage.ru_maxrss) * 1024;
  return events;
}

namespace {
nlohmann::ordered_json metric_json(const sim::MetricSnapshot& m) {
  nlohmann::ordered_json j;
  j["kind"] = std::string(sim::metric_kind_name(m.kind()));
  std::visit(
      [&j](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, sim::CounterSnapshot>) {
          j["value"] = v.value;
        } else if constexpr (std::is_same_v<T, sim::GaugeSnapshot>) {
          j["value"] = v.value;
          j["time_average"] = v.time_average;
          j["min"] = v.min;
          j["max"] = v.max;
        } else {
          j["count"] = v.count;
          j["sum"] = v.sum;
          j["mean"] = v.mean;
          j["min"] = v.min;
          j["max"] = v.max;
          j["p50"] = v.p50;
          j["p90"] = v.p90;
          j["p99"] = v.p99;
          j["p999"] = v.p999;
        }
      },
      m.value);
  return j;
}

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}
}  // namespace

std::string ScenarioRun::summary_json() const {
  nlohmann::ordered_json j;
  j["kubesim_version"] = kVersion;
  j["kubernetes_version"] = kKubernetesVersion;
  j["scenario"] = {{"name", scenario_.name},
                   {"file", scenario_.source_file},
                   {"sha256", scenario_.sha256}};
  j["seed"] = scenario_.seed;
  j["replication"] = sim_->replication();
  j["simulated_duration"] = sim::format_duration(sim_->now());
  j["simulated_seconds"] = sim::to_seconds(sim_->now());
  j["events_processed"] = sim_->events_processed();
  j["fingerprint"] = hex64(sim_->fingerprint());
  if (model_->observer) {
    const ClusterObserver::Summary c = model_->observer->summary();
    auto hist = [this](const std::string& name) {
      const sim::Histogram* h = metrics_->find_histogram(name);
      nlohmann::ordered_json o;
      o["count"] = h ? h->count() : 0;
      o["p50"] = h ? h->p50() : 0.0;
      o["p99"] = h ? h->p99() : 0.0;
      return o;
    };
    nlohmann::ordered_json cl;
    cl["nodes"] = c.nodes;
    cl["ready_nodes_at_end"] = c.ready_nodes_at_end;
    cl["pods"] = {{"created", c.pods_created},     {"scheduled", c.pods_scheduled},
                  {"running", c.pods_running},     {"succeeded", c.pods_succeeded},
                  {"failed", c.pods_failed},       {"pending", c.pods_pending},
                  {"deleted", c.pods_deleted}};
    cl["scheduling_latency_s"] = hist("cluster.pod_scheduling_latency_s");
    cl["pod_startup_latency_s"] = hist("cluster.pod_startup_latency_s");
    nlohmann::ordered_json api = nlohmann::ordered_json::object();
    for (const char* verb : {"get", "list", "create", "update", "patch", "delete"}) {
      api[verb] = hist(std::string("apiserver.request_latency_s.") + verb);
    }
    cl["api_request_latency_s"] = api;
    cl["etcd_commit_latency_s"] = hist("etcd.commit_latency_s");
    cl["allocation"] = {{"cpu", c.cpu_allocation},
                        {"memory", c.memory_allocation},
                        {"gpu", c.gpu_allocation}};
    cl["node_hours"] = c.node_hours;
    cl["cost"] = c.cost;
    // Karpenter: node-hours, cost and nodes at the end per NodePool (the sums over its
    // offerings' pools).
    const NodeAutoscaling* na = model_->node_autoscaling.get();
    if (na != nullptr && na->karpenter() != nullptr) {
      nlohmann::ordered_json pools = nlohmann::ordered_json::object();
      for (const policies::KarpenterNodePool& np : na->karpenter()->node_pools()) {
        double hours = 0, cost = 0;
        std::int64_t nodes = 0;
        for (const policies::KarpenterOffering& o : np.offerings) {
          hours += na->node_hours(o.name());
          cost += na->cost(o.name());
          nodes += na->pool_nodes(o.name());
        }
        pools[np.name] = {{"node_hours", hours}, {"cost", cost}, {"nodes_at_end", nodes}};
      }
      cl["karpenter_node_pools"] = pools;
    }
    nlohmann::ordered_json errors = nlohmann::ordered_json::array();
    for (const auto& e : model_->cluster->apply_errors()) errors.push_back(e);
    cl["apply_errors"] = errors;
    j["cluster"] = cl;
    if (const GpuShareMetrics* g = model_->observer->gpu_share()) {
      nlohmann::ordered_json gj;
      gj["capacity_gpus"] = static_cast<double>(g->capacity_milli()) / 1000.0;
      gj["arrived_percent"] = g->arrived_percent();
      gj["allocation_percent"] = g->allocation_percent();
      gj["unallocated_gpus"] = g->unallocated_gpus();
      gj["fragmentation_percent"] = g->fragmentation_percent();
      gj["failed_pods"] = g->failed_pods();
      nlohmann::ordered_json at = nlohmann::ordered_json::object();
      for (const int pct : {100, 130}) {
        const GpuShareMetrics::AtArrived a = g->at_arrived(pct);
        if (a.events == 0) continue;
        at[std::to_string(pct)] = {{"events", a.events},
                                   {"allocation_percent", a.allocation_percent},
                                   {"unallocated_gpus", a.unallocated_gpus},
                                   {"fragmentation_percent", a.fragmentation_percent}};
      }
      gj["at_arrived_percent"] = at;
      j["gpu"] = gj;
    }
  }
  if (!model_->traffic.empty()) {
    nlohmann::ordered_json tj = nlohmann::ordered_json::object();
    const double simulated = sim::to_seconds(sim_->now());
    for (const auto& t : model_->traffic) {
      const std::string& n = t->spec().name;
      const ServiceTraffic::Counts c = t->counts();
      auto latency = [this](const std::string& name) {
        const sim::Histogram* h = metrics_->find_histogram(name);
        nlohmann::ordered_json o;
        o["count"] = h ? h->count() : 0;
        o["mean"] = h ? h->mean() : 0.0;
        o["p50"] = h ? h->p50() : 0.0;
        o["p95"] = h ? h->quantile(0.95) : 0.0;
        o["p99"] = h ? h->p99() : 0.0;
        return o;
      };
      nlohmann::ordered_json o;
      o["service"] = t->spec().service_namespace + "/" + t->spec().service_name;
      o["sent"] = c.sent;
      o["succeeded"] = c.succeeded;
      o["timed_out"] = c.timed_out;
      o["rejected"] = c.rejected;
      o["failed"] = c.failed;
      o["retried"] = c.retried;
      o["in_flight_at_end"] = c.in_flight;
      o["success_ratio"] = c.sent > 0 ? static_cast<double>(c.succeeded) / c.sent : 0.0;
      o["mean_rps"] = simulated > 0 ? static_cast<double>(c.sent) / simulated : 0.0;
      const sim::Gauge* eg = metrics_->find_gauge(n + ".endpoints");
      o["endpoints_at_end"] = t->endpoints();
      o["endpoints_time_average"] = eg ? eg->time_average() : 0.0;
      o["ttft_s"] = latency(n + ".ttft_s");
      o["e2e_s"] = latency(n + ".e2e_s");
      o["queueing_s"] = latency(n + ".queueing_s");
      const auto counter = [this](const std::string& name) -> std::uint64_t {
        const sim::Counter* k = metrics_->find_counter(name);
        return k ? static_cast<std::uint64_t>(k->value()) : 0;
      };
      const std::uint64_t ended = c.succeeded + c.timed_out + c.rejected + c.failed;
      const scenarios::SloSpec& slo = t->spec().slo;
      if (slo.e2e || slo.ttft) {
        nlohmann::ordered_json so;
        so["e2e_s"] = slo.e2e ? nlohmann::ordered_json(sim::to_seconds(*slo.e2e)) : nullptr;
        so["ttft_s"] = slo.ttft ? nlohmann::ordered_json(sim::to_seconds(*slo.ttft)) : nullptr;
        so["met"] = counter(n + ".requests_slo_met");
        so["attainment"] =
            ended > 0 ? static_cast<double>(counter(n + ".requests_slo_met")) / ended : 1.0;
        o["slo"] = so;
      }
      const sim::Gauge* serving = metrics_->find_gauge(n + ".serving_pods");
      const double replica_seconds = serving ? serving->time_average() * simulated : 0.0;
      o["replica_seconds"] = replica_seconds;
      o["utilization"] = replica_seconds > 0 ? t->busy_seconds_total() / replica_seconds : 0.0;
      o["mode"] = t->spec().fluid ? "fluid" : "request";
      o["cold_starts"] = counter(n + ".cold_starts");
      if (model_->observer) {
        const double cost = model_->observer->summary().cost;
        o["cost_per_million_requests"] =
            c.succeeded > 0 ? cost / static_cast<double>(c.succeeded) * 1e6 : 0.0;
      }
      tj[n] = o;
    }
    j["traffic"] = tj;
    // Traffic through an Ingress (experiments/ingress_traffic.hpp): the whole path's counts.
    if (!model_->ingress.empty()) {
      nlohmann::ordered_json ij = nlohmann::ordered_json::object();
      for (const auto& t : model_->ingress) {
        const IngressTraffic::Counts c = t->counts();
        nlohmann::ordered_json o;
        o["ingress"] = t->spec().ingress_namespace + "/" + t->spec().ingress_name;
        o["controller"] = t->controller().service_key();
        o["sent"] = c.sent;
        o["succeeded"] = c.succeeded;
        o["timed_out"] = c.timed_out;
        o["rejected"] = c.rejected;
        o["failed"] = c.failed;
        o["not_found"] = c.not_found;
        o["default_backend"] = c.default_backend;
        o["in_flight_at_end"] = c.in_flight;
        ij[t->spec().name] = o;
      }
      j["ingress"] = ij;
    }
  }
  nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
  for (const auto& m : metrics_->snapshot()) metrics[m.name] = metric_json(m);
  j["metrics"] = metrics;
  const double simulated = sim::to_seconds(sim_->now());
  j["host"] = {{"wall_seconds", wall_seconds_},
               {"peak_rss_bytes", peak_rss_bytes_},
               {"real_time_factor", wall_seconds_ > 0 ? simulated / wall_seconds_ : 0.0},
               {"events_per_second",
                wall_seconds_ > 0 ? static_cast<double>(sim_->events_processed()) / wall_seconds_
                                  : 0.0}};
  return j.dump(2) + "\n";
}

std::string ScenarioRun::write_run_directory(const std::string& dir) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return "cannot create the output directory " + dir + ": " + ec.message();
  {
    std::ofstream out(dir + "/summary.json", std::ios::binary);
    if (!out) return "cannot write " + dir + "/summary.json";
    out << summary_json();
  }
  {
    std::ofstream out(dir + "/timeseries.csv", std::ios::binary);
    if (!out) return "cannot write " + dir + "/timeseries.csv";
    sampler_->write_csv(out);
  }
  if (model_->observer) {
    std::ofstream out(dir + "/pods.csv", std::ios::binary);
    if (!out) return "cannot write " + dir + "/pods.csv";
    model_->observer->write_pods_csv(out);
  }
  if (model_->observer && scenario_.events_jsonl) {
    std::ofstream out(dir + "/events.jsonl", std::ios::binary);
    if (!out) return "cannot write " + dir + "/events.jsonl";
    model_->observer->write_events_jsonl(out);
    if (model_->node_autoscaling) model_->node_autoscaling->write_events_jsonl(out);
  }
  return {};
}

namespace {
std::string fixed(double v, int precision) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", precision, v);
  return buf;
}
std::string with_thousands(std::uint64_t v) {
  const std::string digits = std::to_string(v);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}
std::string seconds_text(double s) {
  if (s == 0) return "0";
  if (s < 1e-3) return fixed(s * 1e6, 1) + " µs";
  if (s < 1) return fixed(s * 1e3, 1) + " ms";
  return fixed(s, 2) + " s";
}
}  // namespace

std::string ScenarioRun::summary_table() const {
  std::ostringstream out;
  const double simulated = sim::to_seconds(sim_->now());
  out << "kubesim " << kVersion << " · scenario " << scenario_.name << " · seed "
      << scenario_.seed << " · sha256 " << scenario_.sha256.substr(0, 12) << "\n";
  out << "simulated " << sim::format_duration(sim_->now()) << " in " << fixed(wall_seconds_, 3)
      << " s wall";
  if (wall_seconds_ > 0) {
    out << " (" << fixed(simulated / wall_seconds_, 0) << "× real time, "
        << fixed(static_cast<double>(sim_->events_processed()) / wall_seconds_ / 1e6, 2)
        << " M events/s)";
  }
  out << "; " << with_thousands(sim_->events_processed()) << " events\n";
  if (model_->observer) {
    const ClusterObserver::Summary c = model_->observer->summary();
    const auto p50_p99 = [this](const std::string& name) {
      const sim::Histogram* h = metrics_->find_histogram(name);
      if (h == nullptr || h->count() == 0) return std::string("-");
      return "p50 " + seconds_text(h->p50()) + ", p99 " + seconds_text(h->p99());
    };
    out << "\ncluster (" << c.nodes << " nodes, " << c.ready_nodes_at_end << " ready at the end)\n";
    out << "  pods         created " << c.pods_created << ", scheduled " << c.pods_scheduled
        << ", running " << c.pods_running << ", succeeded " << c.pods_succeeded << ", failed "
        << c.pods_failed << ", pending " << c.pods_pending << ", deleted " << c.pods_deleted
        << "\n";
    out << "  scheduling   " << p50_p99("cluster.pod_scheduling_latency_s") << " (creation to bound)\n";
    out << "  startup      " << p50_p99("cluster.pod_startup_latency_s") << " (creation to Ready)\n";
    out << "  allocation   cpu " << fixed(100 * c.cpu_allocation, 1) << "%, memory "
        << fixed(100 * c.memory_allocation, 1) << "%, gpu " << fixed(100 * c.gpu_allocation, 1)
        << "% (time averages)\n";
    out << "  api          create " << p50_p99("apiserver.request_latency_s.create") << "; patch "
        << p50_p99("apiserver.request_latency_s.patch") << "\n";
    out << "  etcd         commit " << p50_p99("etcd.commit_latency_s") << "\n";
    out << "  cost         " << fixed(c.node_hours, 2) << " node-hours, $" << fixed(c.cost, 2) << "\n";
    if (const GpuShareMetrics* g = model_->observer->gpu_share()) {
      out << "  gpu sharing  arrived " << fixed(g->arrived_percent(), 1) << "% of "
          << fixed(static_cast<double>(g->capacity_milli()) / 1000.0, 0) << " GPUs, allocated "
          << fixed(g->allocation_percent(), 1) << "%, unallocated "
          << fixed(g->unallocated_gpus(), 1) << " GPUs, fragmentation "
          << fixed(g->fragmentation_percent(), 1) << "%, failed " << g->failed_pods() << "\n";
      for (const int pct : {100, 130}) {
        const GpuShareMetrics::AtArrived a = g->at_arrived(pct);
        if (a.events == 0) continue;
        out << "  at " << pct << "% arrived  allocated " << fixed(a.allocation_percent, 1)
            << "%, unallocated " << fixed(a.unallocated_gpus, 1) << " GPUs, fragmentation "
            << fixed(a.fragmentation_percent, 1) << "%\n";
      }
    }
    for (const auto& e : model_->cluster->apply_errors()) out << "  apply error  " << e << "\n";
  }
  for (const auto& t : model_->traffic) {
    const std::string& n = t->spec().name;
    const ServiceTraffic::Counts c = t->counts();
    out << "\ntraffic " << n << " (" << models::traffic_kind_name(t->spec().traffic.kind)
        << " → Service " << t->spec().service_namespace << "/" << t->spec().service_name << ", "
        << models::lb_mode_name(t->spec().load_balancing) << ", " << t->endpoints()
        << " endpoints at the end)\n";
    out << "  requests   sent " << c.sent << ", succeeded " << c.succeeded << ", timed out "
        << c.timed_out << ", rejected " << c.rejected << ", failed " << c.failed << ", retried "
        << c.retried << ", in flight " << c.in_flight << "\n";
    for (const char* h : {".ttft_s", ".e2e_s"}) {
      if (const sim::Histogram* hist = metrics_->find_histogram(n + h); hist && hist->count()) {
        out << "  " << (h[1] == 't' ? "ttft       " : "e2e        ") << "mean "
            << seconds_text(hist->mean()) << ", p50 " << seconds_text(hist->p50()) << ", p95 "
            << seconds_text(hist->quantile(0.95)) << ", p99 " << seconds_text(hist->p99())
            << "\n";
      }
    }
    const scenarios::SloSpec& slo = t->spec().slo;
    if (slo.e2e || slo.ttft) {
      const sim::Counter* met = metrics_->find_counter(n + ".requests_slo_met");
      const std::uint64_t ended = c.succeeded + c.timed_out + c.rejected + c.failed;
      out << "  slo        " << (slo.e2e ? "e2e ≤ " + sim::format_duration(*slo.e2e) : "")
          << (slo.e2e && slo.ttft ? ", " : "")
          << (slo.ttft ? "ttft ≤ " + sim::format_duration(*slo.ttft) : "") << ": "
          << fixed(ended > 0 && met ? 100.0 * met->value() / static_cast<double>(ended) : 100.0, 2)
          << "% of " << ended << " requests\n";
    }
  }
  for (const auto& t : model_->ingress) {
    const IngressTraffic::Counts c = t->counts();
    out << "\ningress " << t->spec().name << " (Ingress " << t->spec().ingress_namespace << "/"
        << t->spec().ingress_name << " via " << t->controller().service_key() << ")\n";
    out << "  requests   sent " << c.sent << ", succeeded " << c.succeeded << ", timed out "
        << c.timed_out << ", rejected " << c.rejected << ", failed " << c.failed
        << " (not found " << c.not_found << "), default backend " << c.default_backend
        << ", in flight " << c.in_flight << "\n";
  }
  for (const auto& q : scenario_.request_queues) {
    const std::string& n = q.name;
    const auto count = [&](const char* what) {
      const sim::Counter* c = metrics_->find_counter(n + what);
      return c ? c->value() : 0;
    };
    out << "\nworkload " << n << " (" << q.arrivals.describe() << ", " << q.servers
        << " server" << (q.servers == 1 ? "" : "s") << ", service " << q.service_time.describe()
        << " s)\n";
    out << "  requests   arrived " << count(".requests_arrived") << ", completed "
        << count(".requests_completed") << ", rejected " << count(".requests_rejected")
        << ", timed out " << count(".requests_timed_out") << "\n";
    if (const sim::Histogram* h = metrics_->find_histogram(n + ".latency_s")) {
      out << "  latency    mean " << seconds_text(h->mean()) << ", p50 " << seconds_text(h->p50())
          << ", p90 " << seconds_text(h->p90()) << ", p99 " << seconds_text(h->p99()) << "\n";
    }
    if (const sim::Histogram* h = metrics_->find_histogram(n + ".wait_s")) {
      out << "  wait       mean " << seconds_text(h->mean()) << ", p99 " << seconds_text(h->p99())
          << "\n";
    }
    if (const sim::Gauge* g = metrics_->find_gauge(n + ".busy_servers")) {
      out << "  busy       " << fixed(g->time_average(), 2) << " of " << q.servers
          << " servers on average (" << fixed(100.0 * g->time_average() / q.servers, 1)
          << "% utilization)\n";
    }
  }
  return out.str();
}

}  // namespace kubesim::experiments
