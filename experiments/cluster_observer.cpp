#include "experiments/cluster_observer.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "experiments/text_format.hpp"
#include "models/object_store.hpp"

namespace kubesim::experiments {
namespace {

std::string seconds_or_empty(const std::optional<sim::Time>& t) {
  if (!t) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", sim::to_seconds(*t));
  return buf;
}

}  // namespace

struct ClusterObserver::Impl {
  sim::Simulation& sim;
  models::Cluster& cluster;
  bool record_events;
  // pod key → record (found by namespace/name without building the key)
  std::unordered_map<std::string, std::size_t, models::ObjectKeyHash, models::ObjectKeyEqual> index;
  std::vector<char> counted;  // per record: its requests are in the sums
  std::int64_t cpu = 0, memory = 0, gpu = 0;           // requested by bound live pods (gpu: milli)
  std::int64_t cpu_total = 0, memory_total = 0, gpu_total = 0;
  std::int64_t pending = 0, running = 0;
  std::unordered_map<std::string, bool> node_ready;
  std::int64_t ready_nodes = 0;
  double cost_per_hour = 0;
  std::vector<std::string> events;
  std::uint64_t pod_watch = 0, node_watch = 0;
  sim::Connection fault_connection;
  std::unique_ptr<GpuShareMetrics> gpu_share;

  sim::Gauge& cpu_g;
  sim::Gauge& memory_g;
  sim::Gauge& gpu_g;
  sim::Gauge& pending_g;
  sim::Gauge& running_g;
  sim::Gauge& ready_g;
  sim::Gauge& nodes_g;
  sim::Gauge& cost_g;
  sim::Histogram& scheduling_latency;
  sim::Histogram& startup_latency;
  sim::Counter& created;

  Impl(sim::Simulation& s, sim::MetricRegistry& m, models::Cluster& c, bool events_on)
      : sim(s),
        cluster(c),
        record_events(events_on),
        cpu_g(m.gauge("cluster.cpu_allocation")),
        memory_g(m.gauge("cluster.memory_allocation")),
        gpu_g(m.gauge("cluster.gpu_allocation")),
        pending_g(m.gauge("cluster.pending_pods")),
        running_g(m.gauge("cluster.running_pods")),
        ready_g(m.gauge("cluster.ready_nodes")),
        nodes_g(m.gauge("cluster.nodes")),
        cost_g(m.gauge("cluster.cost_per_hour")),
        scheduling_latency(m.histogram("cluster.pod_scheduling_latency_s")),
        startup_latency(m.histogram("cluster.pod_startup_latency_s")),
        created(m.counter("cluster.pods_created")) {}

  void update_gauges() {
    cpu_g.set(cpu_total > 0 ? static_cast<double>(cpu) / static_cast<double>(cpu_total) : 0);
    memory_g.set(memory_total > 0 ? static_cast<double>(memory) / static_cast<double>(memory_total) : 0);
    gpu_g.set(gpu_total > 0 ? static_cast<double>(gpu) / static_cast<double>(gpu_total * 1000) : 0);
    pending_g.set(static_cast<double>(pending));
    running_g.set(static_cast<double>(running));
  }

  void event(std::string_view kind, models::WatchEventType type, const std::string& key,
             std::int64_t rv, nlohmann::ordered_json extra) {
    if (!record_events) return;
    nlohmann::ordered_json j;
    j["t"] = sim::to_seconds(sim.now());
    j["kind"] = std::string(kind);
    j["type"] = std::string(models::watch_event_type_name(type));
    j["object"] = key;
    j["resourceVersion"] = rv;
    for (auto& [k, v] : extra.items()) j[k] = v;
    events.push_back(j.dump());
  }
};

ClusterObserver::ClusterObserver(sim::Simulation& sim, sim::MetricRegistry& metrics,
                                 models::Cluster& cluster, sim::Sampler& sampler,
                                 bool record_events,
                                 std::shared_ptr<const policies::GpuWorkload> gpu_workload)
    : impl_(std::make_unique<Impl>(sim, metrics, cluster, record_events)) {
  Impl& m = *impl_;
  if (gpu_workload) m.gpu_share = std::make_unique<GpuShareMetrics>(std::move(gpu_workload));
  models::ApiServer& api = cluster.api();
  auto nodes = api.nodes().watch(0, {}, [this](const models::WatchEvent<models::Node>& e) {
    Impl& s = *impl_;
    const models::Node& n = *e.object;
    const std::string& name = n.metadata.name;
    const bool ready = e.type != models::WatchEventType::kDeleted && n.ready();
    auto [it, inserted] = s.node_ready.try_emplace(name, false);
    if (inserted) {
      if (s.gpu_share) s.gpu_share->node_added(n);
      s.cpu_total += n.status.allocatable.cpu_milli;
      s.memory_total += n.status.allocatable.memory;
      s.gpu_total += n.status.allocatable.gpu;
      // Cost follows the pool nodes that exist (nodes added and removed at run time too).
      if (const models::NodePool* pool = s.cluster.pool_of(name)) s.cost_per_hour += pool->cost_per_hour;
    }
    if (e.type == models::WatchEventType::kDeleted) {
      if (const models::NodePool* pool = s.cluster.pool_of(name)) s.cost_per_hour -= pool->cost_per_hour;
      s.cost_g.set(s.cost_per_hour);
      s.cpu_total -= n.status.allocatable.cpu_milli;
      s.memory_total -= n.status.allocatable.memory;
      s.gpu_total -= n.status.allocatable.gpu;
    }
    const bool changed = it->second != ready;
    if (changed) {
      s.ready_nodes += ready ? 1 : -1;
      it->second = ready;
    }
    if (s.record_events && (changed || e.type != models::WatchEventType::kModified)) {
      s.event("Node", e.type, name, e.resource_version, {{"ready", ready}});
    }
    if (e.type == models::WatchEventType::kDeleted) s.node_ready.erase(name);
    s.ready_g.set(static_cast<double>(s.ready_nodes));
    s.nodes_g.set(static_cast<double>(s.node_ready.size()));
    s.cost_g.set(s.cost_per_hour);
    s.update_gauges();
  });
  m.node_watch = nodes.ok() ? nodes.value() : 0;
  m.cost_g.set(m.cost_per_hour);

  auto pods = api.pods().watch(0, {}, [this](const models::WatchEvent<models::Pod>& e) {
    Impl& s = *impl_;
    const models::Pod& p = *e.object;
    const models::ObjectKeyRef ref{p.metadata.namespace_, p.metadata.name};
    const sim::Time now = s.sim.now();
    auto found = s.index.find(ref);
    if (e.type == models::WatchEventType::kAdded || found == s.index.end()) {
      PodRecord r;
      r.namespace_ = p.metadata.namespace_;
      r.name = p.metadata.name;
      if (const auto* owner = p.metadata.controller_ref()) {
        r.owner_kind = owner->kind;
        r.owner_name = owner->name;
      }
      r.priority = p.spec.priority;
      const models::ResourceList req = p.requests();
      r.cpu_milli = req.cpu_milli;
      r.memory = req.memory;
      r.gpu = req.gpu;
      const models::GpuDemandOfPod gd = p.gpu_demand();
      r.gpu_milli = std::int64_t{gd.devices} * gd.milli;
      r.created = p.metadata.creation_timestamp;
      if (s.gpu_share) s.gpu_share->pod_created(p);
      if (found != s.index.end()) {
        found->second = records_.size();  // a new pod under a deleted one's name
      } else {
        found = s.index.emplace(models::object_key(ref.namespace_, ref.name), records_.size()).first;
      }
      records_.push_back(std::move(r));
      s.counted.push_back(0);
      s.created.add();
      s.pending += 1;  // a new record starts pending; the transition below corrects it
    }
    PodRecord& r = records_[found->second];
    const bool was_pending = r.node.empty() && !r.finished && !r.deleted;
    const bool was_running = r.phase == "Running" && !r.deleted;
    if (p.bound() && !r.scheduled) {
      r.scheduled = now;
      r.node = p.spec.node_name;
      for (const std::int32_t id : p.spec.gpu_device_ids) {
        r.gpu_ids += (r.gpu_ids.empty() ? "" : "-") + std::to_string(id);
      }
      s.scheduling_latency.record_duration(now - *r.created);
      if (s.gpu_share) s.gpu_share->pod_bound(p, r.node);
    }
    if (s.gpu_share && p.terminal() && !r.finished && !p.bound()) s.gpu_share->pod_failed_unbound();
    if (p.status.phase == models::PodPhase::kRunning && !r.running) r.running = now;
    if (p.ready() && !r.ready) {
      r.ready = now;
      s.startup_latency.record_duration(now - *r.created);
    }
    if (p.terminal() && !r.finished) r.finished = now;
    r.phase = std::string(models::to_string(p.status.phase));
    if (e.type == models::WatchEventType::kDeleted) r.deleted = now;
    const bool is_pending = r.node.empty() && !r.finished && !r.deleted;
    const bool is_running = r.phase == "Running" && !r.deleted;
    s.pending += (is_pending ? 1 : 0) - (was_pending ? 1 : 0);
    s.running += (is_running ? 1 : 0) - (was_running ? 1 : 0);
    const bool counts = p.bound() && !p.terminal() && e.type != models::WatchEventType::kDeleted;
    const std::size_t record = found->second;
    char& c = s.counted[record];
    if (counts != static_cast<bool>(c)) {
      const std::int64_t sign = counts ? 1 : -1;
      s.cpu += sign * r.cpu_milli;
      s.memory += sign * r.memory;
      s.gpu += sign * r.gpu_milli;
      if (!counts && s.gpu_share) s.gpu_share->pod_released(p, r.node);
      c = counts ? 1 : 0;
    }
    if (s.record_events) {
      s.event("Pod", e.type, models::object_key(ref.namespace_, ref.name), e.resource_version,
              {{"phase", r.phase}, {"node", p.spec.node_name}});
    }
    if (e.type == models::WatchEventType::kDeleted) s.index.erase(found);
    s.update_gauges();
  });
  m.pod_watch = pods.ok() ? pods.value() : 0;
  m.fault_connection = cluster.faults.connect([this](const models::FaultEvent& f) {
    Impl& s = *impl_;
    if (!s.record_events) return;
    nlohmann::ordered_json j;
    j["t"] = sim::to_seconds(s.sim.now());
    j["kind"] = "Fault";
    j["type"] = f.recovered ? "RECOVERED" : "INJECTED";
    j["fault"] = std::string(models::to_string(f.fault->type));
    j["target"] = std::string(f.target);
    j["definedAt"] = f.fault->path;
    s.events.push_back(j.dump());
  });

  sampler.add_column("cluster.cpu_allocation", [&m] { return m.cpu_g.value(); });
  sampler.add_column("cluster.memory_allocation", [&m] { return m.memory_g.value(); });
  sampler.add_column("cluster.gpu_allocation", [&m] { return m.gpu_g.value(); });
  sampler.add_column("cluster.pending_pods", [&m] { return m.pending_g.value(); });
  sampler.add_column("cluster.running_pods", [&m] { return m.running_g.value(); });
  sampler.add_column("cluster.ready_nodes", [&m] { return m.ready_g.value(); });
  if (m.gpu_share) {
    const GpuShareMetrics& g = *m.gpu_share;
    sampler.add_column("gpu.arrived_percent", [&g] { return g.arrived_percent(); });
    sampler.add_column("gpu.allocation_percent", [&g] { return g.allocation_percent(); });
    sampler.add_column("gpu.unallocated_gpus", [&g] { return g.unallocated_gpus(); });
    sampler.add_column("gpu.fragmentation_percent", [&g] { return g.fragmentation_percent(); });
    sampler.add_column("gpu.failed_pods", [&g] { return static_cast<double>(g.failed_pods()); });
  }
  sampler.add_column("apiserver.inflight", [&api] {
    int total = 0;
    for (int r = 0; r < api.limits().replicas(); ++r) {
      total += api.limits().inflight(r, true) + api.limits().inflight(r, false);
    }
    return static_cast<double>(total);
  });
}

ClusterObserver::~ClusterObserver() {
  if (impl_->pod_watch != 0) impl_->cluster.api().pods().cancel_watch(impl_->pod_watch);
  if (impl_->node_watch != 0) impl_->cluster.api().nodes().cancel_watch(impl_->node_watch);
  impl_->cluster.faults.disconnect(impl_->fault_connection);
}

ClusterObserver::Summary ClusterObserver::summary() const {
  const Impl& m = *impl_;
  Summary s;
  for (const auto& r : records_) {
    ++s.pods_created;
    if (r.scheduled) ++s.pods_scheduled;
    if (r.deleted) {
      ++s.pods_deleted;
      continue;
    }
    if (r.phase == "Running") ++s.pods_running;
    if (r.phase == "Succeeded") ++s.pods_succeeded;
    if (r.phase == "Failed") ++s.pods_failed;
    if (!r.scheduled && !r.finished) ++s.pods_pending;
  }
  s.cpu_allocation = m.cpu_g.time_average();
  s.memory_allocation = m.memory_g.time_average();
  s.gpu_allocation = m.gpu_g.time_average();
  const double hours = sim::to_seconds(m.sim.now()) / 3600.0;
  s.node_hours = m.nodes_g.time_average() * hours;
  s.cost = m.cost_g.time_average() * hours;
  s.nodes = static_cast<std::int64_t>(m.node_ready.size());
  s.ready_nodes_at_end = m.ready_nodes;
  return s;
}

const GpuShareMetrics* ClusterObserver::gpu_share() const { return impl_->gpu_share.get(); }

void ClusterObserver::write_pods_csv(std::ostream& out) const {
  out << "namespace,name,owner_kind,owner_name,priority,cpu_milli,memory_bytes,gpu,node,phase,"
         "created_s,scheduled_s,running_s,ready_s,finished_s,deleted_s,gpu_milli,gpu_ids\n";
  for (const auto& r : records_) {
    out << csv_field(r.namespace_) << ',' << csv_field(r.name) << ',' << r.owner_kind << ',' << csv_field(r.owner_name)
        << ',' << r.priority << ',' << r.cpu_milli << ',' << r.memory << ',' << r.gpu << ','
        << csv_field(r.node) << ',' << r.phase << ',' << seconds_or_empty(r.created) << ','
        << seconds_or_empty(r.scheduled) << ',' << seconds_or_empty(r.running) << ','
        << seconds_or_empty(r.ready) << ',' << seconds_or_empty(r.finished) << ','
        << seconds_or_empty(r.deleted) << ',' << r.gpu_milli << ',' << r.gpu_ids << '\n';
  }
}

void ClusterObserver::write_events_jsonl(std::ostream& out) const {
  for (const auto& line : impl_->events) out << line << '\n';
}

}  // namespace kubesim::experiments
