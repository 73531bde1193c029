#include "experiments/metrics_pipeline.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

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
  // A watch from resourceVersion 0 lists the current pods, then follows every change at
  // once (store callbacks are synchronous), so running_ is always what a list of the
  // Running, bound pods would return.
  auto id = api_.pods().watch(
      0,
      [](const models::Pod& p) {
        return p.status.phase == models::PodPhase::kRunning && p.bound();
      },
      [this](const models::WatchEvent<models::Pod>& e) { on_pod_event(e); });
  watch_ = id.ok() ? id.value() : 0;
}

MetricsPipeline::~MetricsPipeline() {
  if (watch_ != 0) api_.pods().cancel_watch(watch_);
}

void MetricsPipeline::on_pod_event(const models::WatchEvent<models::Pod>& e) {
  const models::ObjectKeyRef ref{e.object->metadata.namespace_, e.object->metadata.name};
  auto it = running_.lower_bound(ref);
  const bool found = it != running_.end() && !(ref < it->first);
  if (e.type == models::WatchEventType::kDeleted) {
    if (found) running_.erase(it);
    return;
  }
  if (!found) it = running_.emplace_hint(it, models::object_key(ref.namespace_, ref.name), RunningPod{});
  std::size_t index = 0;
  it->second.pod = e.object;
  it->second.requests_cpu_milli = e.object->requests().cpu_milli;
  it->second.traffic = traffic_of(*e.object, &index) != nullptr ? static_cast<int>(index) : -1;
}

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

namespace {

// Positions `it` on `key` in a map sorted by pod key, erasing the entries before it (pods
// not in this scrape) and inserting a default value when absent.
template <typename Map>
typename Map::iterator merge_to(Map& map, typename Map::iterator it, const std::string& key) {
  while (it != map.end() && it->first < key) it = map.erase(it);
  if (it == map.end() || it->first != key) it = map.emplace_hint(it, key, typename Map::mapped_type{});
  return it;
}

}  // namespace

void MetricsPipeline::scrape_resources() {
  const sim::Time now = sim_.now();
  std::vector<PodSample> fresh;
  fresh.reserve(running_.size());
  auto cpu_it = cpu_.begin();
  for (const auto& [key, running] : running_) {
    const models::Pod* pod = running.pod.get();
    double idle = 0;
    double busy = 0;
    double busy_seconds = 0;
    std::int64_t memory = 0;
    if (running.traffic >= 0) {
      const ServiceTraffic* t = traffic_[static_cast<std::size_t>(running.traffic)];
      const scenarios::PodUsageSpec& u = t->spec().usage;
      idle = static_cast<double>(u.idle_cpu_milli) / 1000;
      busy = static_cast<double>(u.busy_cpu_milli.value_or(running.requests_cpu_milli)) / 1000;
      memory = u.memory_bytes;
      if (auto load = t->pod_load(key)) busy_seconds = load->counters.busy_seconds;
    } else {
      idle = busy = static_cast<double>(annotation_quantity(*pod, kCpuUsageAnnotation, "cpu")) / 1000;
      memory = annotation_quantity(*pod, kMemoryUsageAnnotation, "memory");
    }
    cpu_it = merge_to(cpu_, cpu_it, key);
    PodCpu& c = cpu_it->second;
    ++cpu_it;
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
    PodSample& m = fresh.emplace_back();
    m.pod = running.pod;
    m.timestamp = now;
    m.window = now - c.previous->time;
    m.cpu_milli = to_milli((c.last->core_seconds - c.previous->core_seconds) / sim::to_seconds(m.window));
    m.memory = memory;
  }
  cpu_.erase(cpu_it, cpu_.end());  // pods no longer Running
  publish(sim_, metrics_server_.delay, pod_metrics_, std::move(fresh));
}

std::optional<MetricsPipeline::Values> MetricsPipeline::window_values(const Window& window,
                                                                      bool service) {
  if (window.size() < 2) return std::nullopt;
  const LoadSample& a = window.front();
  const LoadSample& b = window.back();
  const double dt = sim::to_seconds(b.time - a.time);
  const models::PodCounters& ca = a.counters;
  const models::PodCounters& cb = b.counters;
  const double arrived = service ? static_cast<double>(b.sent - a.sent)
                                 : static_cast<double>(cb.arrived - ca.arrived);
  // metric_names() order.
  return Values{
      to_milli(arrived / dt),
      to_milli((cb.in_flight_seconds + cb.queue_seconds - ca.in_flight_seconds -
                ca.queue_seconds) / dt),
      to_milli((cb.queue_seconds - ca.queue_seconds) / dt),
      to_milli((cb.busy_seconds - ca.busy_seconds) / dt),
      to_milli(static_cast<double>(cb.output_tokens - ca.output_tokens) / dt),
  };
}

void MetricsPipeline::scrape_custom() {
  const sim::Time now = sim_.now();
  auto trim = [&](Window& w) {
    // Keep the samples of the last `window` (both ends included, as a range selector).
    auto first = w.begin();
    while (first != w.end() && first->time < now - custom_.window) ++first;
    w.erase(w.begin(), first);
  };
  std::vector<PodValues> pod_values;
  std::vector<Values> sums(traffic_.size(), Values{});
  auto window_it = pod_windows_.begin();
  for (const auto& [key, running] : running_) {
    if (running.traffic < 0) continue;
    const auto index = static_cast<std::size_t>(running.traffic);
    const ServiceTraffic* t = traffic_[index];
    LoadSample sample;
    sample.time = now;
    if (auto load = t->pod_load(key)) sample.counters = load->counters;
    window_it = merge_to(pod_windows_, window_it, key);
    auto& w = window_it->second;
    ++window_it;
    w.push_back(sample);
    trim(w);
    std::optional<Values> v = window_values(w, false);
    if (!v) continue;
    for (std::size_t m = 0; m < kMetricCount; ++m) sums[index][m] += (*v)[m];
    pod_values.push_back(PodValues{running.pod, *v});
  }
  pod_windows_.erase(window_it, pod_windows_.end());  // pods no longer Running
  // A Service's requests_per_second is the load offered to it (requests sent); its other
  // metrics are the sums of its pods' values (0 without pods, not missing).
  std::map<std::string, Values, std::less<>> service_values;
  for (std::size_t i = 0; i < traffic_.size(); ++i) {
    auto& w = service_windows_[traffic_keys_[i]];
    LoadSample sample;
    sample.time = now;
    sample.sent = traffic_[i]->sent_total();
    w.push_back(sample);
    trim(w);
    std::optional<Values> offered = window_values(w, true);
    if (!offered) continue;
    Values v = sums[i];
    v[0] = (*offered)[0];  // requests_per_second
    service_values.emplace(traffic_keys_[i], v);
  }
  publish(sim_, custom_.delay, pod_values_, std::move(pod_values));
  publish(sim_, custom_.delay, service_values_, std::move(service_values));
}

std::optional<std::size_t> MetricsPipeline::metric_index(const std::string& metric) {
  const std::vector<std::string>& names = metric_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == metric) return i;
  }
  return std::nullopt;
}

std::vector<std::string> MetricsPipeline::services(const std::string& namespace_) const {
  std::vector<std::string> out;
  for (const ServiceTraffic* t : traffic_) {
    if (t->spec().service_namespace == namespace_) out.push_back(t->spec().service_name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

// The entry of `pod` in a vector sorted by pod key, or nullptr.
template <typename Entry>
const Entry* find_pod(const std::vector<Entry>& entries, const std::string& namespace_,
                      const std::string& pod) {
  const std::string key = models::object_key(namespace_, pod);
  auto it = std::lower_bound(entries.begin(), entries.end(), key,
                             [](const Entry& e, const std::string& k) {
                               const models::ObjectKeyRef ref{e.pod->metadata.namespace_,
                                                              e.pod->metadata.name};
                               return models::compare_object_key(k, ref) > 0;
                             });
  if (it == entries.end() || it->pod->metadata.namespace_ != namespace_ ||
      it->pod->metadata.name != pod) {
    return nullptr;
  }
  return &*it;
}

}  // namespace

const models::PodMetrics* MetricsPipeline::pod_metrics(const std::string& namespace_,
                                                       const std::string& pod) const {
  const PodSample* s = find_pod(pod_metrics_, namespace_, pod);
  if (s == nullptr) return nullptr;
  if (!s->built) {
    const models::Pod& p = *s->pod;
    auto m = std::make_shared<models::PodMetrics>();
    m->metadata.namespace_ = p.metadata.namespace_;
    m->metadata.name = p.metadata.name;
    m->metadata.labels = p.metadata.labels;
    m->timestamp = s->timestamp;
    m->window = s->window;
    models::ContainerMetrics container;
    container.name = p.spec.containers.empty() ? "main" : p.spec.containers.front().name;
    // set(): the resource is present even at 0 (an idle pod has a CPU metric of 0, not
    // a missing one).
    container.usage.set("cpu", s->cpu_milli);
    container.usage.set("memory", s->memory);
    m->containers.push_back(std::move(container));
    s->built = std::move(m);
  }
  return s->built.get();
}

std::optional<std::int64_t> MetricsPipeline::pod_metric(const std::string& namespace_,
                                                        const std::string& pod,
                                                        const std::string& metric) const {
  const PodValues* v = find_pod(pod_values_, namespace_, pod);
  if (v == nullptr) return std::nullopt;
  const std::optional<std::size_t> m = metric_index(metric);
  if (!m) return std::nullopt;
  return v->values[*m];
}

std::optional<std::int64_t> MetricsPipeline::service_metric(const std::string& namespace_,
                                                            const std::string& service,
                                                            const std::string& metric) const {
  auto it = service_values_.find(models::ObjectKeyRef{namespace_, service});
  if (it == service_values_.end()) return std::nullopt;
  const std::optional<std::size_t> m = metric_index(metric);
  if (!m) return std::nullopt;
  return it->second[*m];
}

}  // namespace kubesim::experiments
