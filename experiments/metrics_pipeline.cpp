#include "experiments/metrics_pipeline.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <set>

#include "experiments/service_traffic.hpp"
#include "models/api_server.hpp"
#include "models/resources.hpp"

namespace kubesim::experiments {
namespace {

// metrics-server v0.6+ (pkg/storage/pod.go, freshContainerMinMetricsResolution): a
// container first seen after it started uses its start time, with no CPU used, as the
// previous point, when that is at least this long ago.
constexpr sim::Duration kFreshContainerMinResolution = sim::seconds(10);

std::int64_t annotation_quantity(const models::Pod& pod, std::string_view key,
                                 std::string_view resource) {
  const std::string* text = pod.metadata.annotations.find(key);
  if (text == nullptr) return 0;
  auto v = models::parse_resource_value(resource, *text);
  return v.ok() ? v.value() : 0;  // validated when the scenario was loaded
}

std::int64_t to_milli(double value) { return static_cast<std::int64_t>(std::llround(value * 1000)); }

template <typename Map, typename Value>
void publish(sim::Simulation& sim, sim::Duration delay, Map& target, Value fresh) {
  if (delay == 0) {
    target = std::move(fresh);
    return;
  }
  auto shared = std::make_shared<Value>(std::move(fresh));
  sim.schedule_after(delay, [&target, shared] { target = std::move(*shared); });
}

}  // namespace

const std::vector<std::string>& MetricsPipeline::metric_names() {
  static const std::vector<std::string> names = {"requests_per_second", "concurrency",
                                                 "queue_length", "utilization",
                                                 "tokens_per_second"};
  return names;
}

MetricsPipeline::MetricsPipeline(sim::Simulation& sim, models::ApiServer& api,
                                 const scenarios::MetricsServerSpec& metrics_server,
                                 const scenarios::CustomMetricsSpec& custom_metrics,
                                 std::vector<const ServiceTraffic*> traffic)
    : sim_(sim),
      api_(api),
      metrics_server_(metrics_server),
      custom_(custom_metrics),
      traffic_(std::move(traffic)) {
  for (const ServiceTraffic* t : traffic_) traffic_keys_.push_back(t->service_key());
}

MetricsPipeline::~MetricsPipeline() = default;

void MetricsPipeline::start() {
  assert(!started_ && "MetricsPipeline::start: call once");
  started_ = true;
  sim_.every(metrics_server_.resolution, [this] { scrape_resources(); });
  sim_.every(custom_.interval, [this] { scrape_custom(); });
}

const ServiceTraffic* MetricsPipeline::traffic_of(const models::Pod& pod,
                                                  std::size_t* index) const {
  for (std::size_t i = 0; i < traffic_.size(); ++i) {
    if (traffic_[i]->selects(pod)) {
      if (index != nullptr) *index = i;
      return traffic_[i];
    }
  }
  return nullptr;
}

void MetricsPipeline::scrape_resources() {
  const sim::Time now = sim_.now();
  std::map<std::string, std::shared_ptr<const models::PodMetrics>> fresh;
  std::set<std::string> seen;
  for (const auto& pod : api_.pods().list()) {
    if (pod->status.phase != models::PodPhase::kRunning || !pod->bound()) continue;
    const std::string key = models::object_key(pod->metadata.namespace_, pod->metadata.name);
    seen.insert(key);
    double idle = 0;
    double busy = 0;
    double busy_seconds = 0;
    std::int64_t memory = 0;
    if (const ServiceTraffic* t = traffic_of(*pod, nullptr)) {
      const scenarios::PodUsageSpec& u = t->spec().usage;
      idle = static_cast<double>(u.idle_cpu_milli) / 1000;
      busy = static_cast<double>(u.busy_cpu_milli.value_or(pod->requests().cpu_milli)) / 1000;
      memory = u.memory_bytes;
      if (auto load = t->pod_load(key)) busy_seconds = load->counters.busy_seconds;
    } else {
      idle = busy = static_cast<double>(annotation_quantity(*pod, kCpuUsageAnnotation, "cpu")) / 1000;
      memory = annotation_quantity(*pod, kMemoryUsageAnnotation, "memory");
    }
    PodCpu& c = cpu_[key];
    const sim::Time started = pod->status.start_time.value_or(now);
    if (c.time < 0) {
      // First sight: the CPU time used since the container started.
      c.core_seconds = idle * sim::to_seconds(now - started) + (busy - idle) * busy_seconds;
      if (started < now && now - started >= kFreshContainerMinResolution) {
        c.last = CpuSample{started, 0};
      }
    } else {
      c.core_seconds += idle * sim::to_seconds(now - c.time) + (busy - idle) * (busy_seconds - c.busy_seconds);
    }
    c.busy_seconds = busy_seconds;
    c.time = now;
    c.previous = c.last;
    c.last = CpuSample{now, c.core_seconds};
    if (!c.previous) continue;
    auto m = std::make_shared<models::PodMetrics>();
    m->metadata.namespace_ = pod->metadata.namespace_;
    m->metadata.name = pod->metadata.name;
    m->metadata.labels = pod->metadata.labels;
    m->timestamp = now;
    m->window = now - c.previous->time;
    models::ContainerMetrics container;
    container.name = pod->spec.containers.empty() ? "main" : pod->spec.containers.front().name;
    const double cores =
        (c.last->core_seconds - c.previous->core_seconds) / sim::to_seconds(m->window);
    // set(): the resource is present even at 0 (an idle pod has a CPU metric of 0, not
    // a missing one).
    container.usage.set("cpu", to_milli(cores));
    container.usage.set("memory", memory);
    m->containers.push_back(std::move(container));
    fresh.emplace(key, std::move(m));
  }
  std::erase_if(cpu_, [&](const auto& e) { return !seen.contains(e.first); });
  publish(sim_, metrics_server_.delay, pod_metrics_, std::move(fresh));
}

MetricsPipeline::Values MetricsPipeline::window_values(const std::deque<LoadSample>& window,
                                                       bool service) {
  Values v;
  if (window.size() < 2) return v;
  const LoadSample& a = window.front();
  const LoadSample& b = window.back();
  const double dt = sim::to_seconds(b.time - a.time);
  const models::PodCounters& ca = a.counters;
  const models::PodCounters& cb = b.counters;
  const double arrived = service ? static_cast<double>(b.sent - a.sent)
                                 : static_cast<double>(cb.arrived - ca.arrived);
  v["requests_per_second"] = to_milli(arrived / dt);
  v["concurrency"] = to_milli((cb.in_flight_seconds + cb.queue_seconds - ca.in_flight_seconds -
                               ca.queue_seconds) / dt);
  v["queue_length"] = to_milli((cb.queue_seconds - ca.queue_seconds) / dt);
  v["utilization"] = to_milli((cb.busy_seconds - ca.busy_seconds) / dt);
  v["tokens_per_second"] = to_milli(static_cast<double>(cb.output_tokens - ca.output_tokens) / dt);
  return v;
}

void MetricsPipeline::scrape_custom() {
  const sim::Time now = sim_.now();
  auto trim = [&](std::deque<LoadSample>& w) {
    // Keep the samples of the last `window` (both ends included, as a range selector).
    while (!w.empty() && w.front().time < now - custom_.window) w.pop_front();
  };
  std::map<std::string, Values> pod_values;
  std::vector<Values> sums(traffic_.size());
  std::set<std::string> seen;
  for (const auto& pod : api_.pods().list()) {
    if (pod->status.phase != models::PodPhase::kRunning || !pod->bound()) continue;
    std::size_t index = 0;
    const ServiceTraffic* t = traffic_of(*pod, &index);
    if (t == nullptr) continue;
    const std::string key = models::object_key(pod->metadata.namespace_, pod->metadata.name);
    seen.insert(key);
    LoadSample sample;
    sample.time = now;
    if (auto load = t->pod_load(key)) sample.counters = load->counters;
    auto& w = pod_windows_[key];
    w.push_back(sample);
    trim(w);
    Values v = window_values(w, false);
    if (v.empty()) continue;
    for (const auto& [metric, value] : v) sums[index][metric] += value;
    pod_values.emplace(key, std::move(v));
  }
  std::erase_if(pod_windows_, [&](const auto& e) { return !seen.contains(e.first); });
  // A Service's requests_per_second is the load offered to it (requests sent); its other
  // metrics are the sums of its pods' values.
  std::map<std::string, Values> service_values;
  for (std::size_t i = 0; i < traffic_.size(); ++i) {
    auto& w = service_windows_[traffic_keys_[i]];
    LoadSample sample;
    sample.time = now;
    sample.sent = traffic_[i]->sent_total();
    w.push_back(sample);
    trim(w);
    Values v = sums[i];
    Values offered = window_values(w, true);
    if (offered.empty()) continue;
    v["requests_per_second"] = offered["requests_per_second"];
    for (const std::string& m : metric_names()) v.try_emplace(m, 0);  // no pod: 0, not missing
    service_values.emplace(traffic_keys_[i], std::move(v));
  }
  publish(sim_, custom_.delay, pod_values_, std::move(pod_values));
  publish(sim_, custom_.delay, service_values_, std::move(service_values));
}

std::vector<std::string> MetricsPipeline::services(const std::string& namespace_) const {
  std::vector<std::string> out;
  for (const ServiceTraffic* t : traffic_) {
    if (t->spec().service_namespace == namespace_) out.push_back(t->spec().service_name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

const models::PodMetrics* MetricsPipeline::pod_metrics(const std::string& namespace_,
                                                       const std::string& pod) const {
  auto it = pod_metrics_.find(models::object_key(namespace_, pod));
  return it == pod_metrics_.end() ? nullptr : it->second.get();
}

std::optional<std::int64_t> MetricsPipeline::pod_metric(const std::string& namespace_,
                                                        const std::string& pod,
                                                        const std::string& metric) const {
  auto it = pod_values_.find(models::object_key(namespace_, pod));
  if (it == pod_values_.end()) return std::nullopt;
  auto v = it->second.find(metric);
  if (v == it->second.end()) return std::nullopt;
  return v->second;
}

std::optional<std::int64_t> MetricsPipeline::service_metric(const std::string& namespace_,
                                                            const std::string& service,
                                                            const std::string& metric) const {
  auto it = service_values_.find(models::object_key(namespace_, service));
  if (it == service_values_.end()) return std::nullopt;
  auto v = it->second.find(metric);
  if (v == it->second.end()) return std::nullopt;
  return v->second;
}

}  // namespace kubesim::experiments
