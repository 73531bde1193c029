// MetricsPipeline: the metrics the running cluster's autoscalers read, as they would see
// them in a real cluster — sampled, averaged over a window and late.
//
// Two pipelines, each with its own period and delay (scenarios/autoscaling_spec.hpp):
//
//   * metrics-server (metrics.k8s.io PodMetrics, what an HPA's Resource and
//     ContainerResource metrics read). Every `resolution` it scrapes every Running pod's
//     cumulative CPU time and memory. A pod's CPU usage is the rate between its last two
//     scrapes (window = their distance; timestamp = the last), so a pod is reported from its
//     second scrape after it started, as metrics-server (pkg/storage/pod.go) needs two
//     points. Usage comes from the serving model for pods behind a traffic workload's
//     Service (traffic spec `podUsage`: idle + busy × (busy − idle) CPU, constant memory)
//     and from the pod annotations kubesim.io/cpu-usage and kubesim.io/memory-usage
//     (quantities, constant) for other pods; a pod with neither uses nothing.
//   * custom and external metrics (a Prometheus scrape every `interval` + an adapter that
//     serves rate()/avg_over_time() over the last `window`). Per pod behind a traffic
//     workload's Service (custom.metrics.k8s.io, HPA Pods metrics):
//        requests_per_second   requests that reached the pod, per second
//        concurrency           mean requests in the pod (running + queued): Knative's metric
//        queue_length          mean requests waiting
//        utilization           mean busy fraction of the serving engine, 0..1
//        tokens_per_second     output tokens of completed requests, per second
//     Per Service (an HPA Object metric with describedObject kind Service, or an External
//     metric selected by the label service=<name>): requests_per_second is the load offered
//     to the Service (every request sent, whatever became of it); the others are the sums
//     over its pods.
//     A value needs two samples inside the window (like rate()), else it is missing.
//   Values are milli-units (what a Quantity's MilliValue is), as the HPA takes them.
//
// What a scrape finds becomes visible `delay` after it. The pipeline keeps only the latest
// visible values. Deterministic: pods in name order; no randomness. Not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/inference_server.hpp"
#include "models/object_store.hpp"
#include "models/workloads.hpp"
#include "scenarios/autoscaling_spec.hpp"
#include "sim/simulation.hpp"

namespace kubesim::models {
class ApiServer;
}

namespace kubesim::experiments {

class ServiceTraffic;

// kubesim annotations giving a pod's constant usage when no serving model drives it.
inline constexpr std::string_view kCpuUsageAnnotation = "kubesim.io/cpu-usage";
inline constexpr std::string_view kMemoryUsageAnnotation = "kubesim.io/memory-usage";

class MetricsPipeline {
 public:
  MetricsPipeline(sim::Simulation& sim, models::ApiServer& api,
                  const scenarios::MetricsServerSpec& metrics_server,
                  const scenarios::CustomMetricsSpec& custom_metrics,
                  std::vector<const ServiceTraffic*> traffic);
  ~MetricsPipeline();
  MetricsPipeline(const MetricsPipeline&) = delete;
  MetricsPipeline& operator=(const MetricsPipeline&) = delete;

  // Starts both scrape loops (first scrapes at now + period). Call once.
  void start();

  // metrics.k8s.io: the pod's latest visible PodMetrics, nullptr when it has none.
  const models::PodMetrics* pod_metrics(const std::string& namespace_,
                                        const std::string& pod) const;
  // custom.metrics.k8s.io: a pod's value of `metric` (milli), nullopt when missing.
  std::optional<std::int64_t> pod_metric(const std::string& namespace_, const std::string& pod,
                                         const std::string& metric) const;
  // A Service's value of `metric` (milli), nullopt when missing or not a traffic Service.
  std::optional<std::int64_t> service_metric(const std::string& namespace_,
                                             const std::string& service,
                                             const std::string& metric) const;
  // The traffic Services of a namespace (names, sorted).
  std::vector<std::string> services(const std::string& namespace_) const;
  // The metric names served per pod and per Service.
  static const std::vector<std::string>& metric_names();

 private:
  struct CpuSample {
    sim::Time time = 0;
    double core_seconds = 0;
  };
  struct PodCpu {
    std::optional<CpuSample> previous;
    std::optional<CpuSample> last;
    // Busy seconds of the serving model and the time at the last scrape, to integrate
    // idle + busy × (busy − idle) between scrapes.
    double busy_seconds = 0;
    double core_seconds = 0;
    sim::Time time = -1;
  };
  struct LoadSample {
    sim::Time time = 0;
    models::PodCounters counters;
    std::uint64_t sent = 0;  // Service samples: requests sent
  };
  // Every metric's value (milli), in metric_names() order. A pod or Service has either all
  // of them or none (no entry).
  static constexpr std::size_t kMetricCount = 5;
  using Values = std::array<std::int64_t, kMetricCount>;
  // A Running, bound pod (what a scrape lists), kept up to date by a watch on the pod
  // store, with the traffic workload whose Service selects it (-1: none) worked out once
  // per pod change instead of at every scrape.
  struct RunningPod {
    std::shared_ptr<const models::Pod> pod;
    int traffic = -1;
    std::int64_t requests_cpu_milli = 0;  // pod->requests().cpu_milli, summed once
  };

  void on_pod_event(const models::WatchEvent<models::Pod>& e);
  void scrape_resources();
  void scrape_custom();
  // The rate/average of every metric between the oldest and newest sample of `window`;
  // nullopt with fewer than two samples.
  // A window's samples, oldest first: a few (window / interval + 1), so a vector whose
  // front is erased keeps its capacity instead of a deque allocating a block every few
  // samples.
  using Window = std::vector<LoadSample>;
  static std::optional<Values> window_values(const Window& window, bool service);
  const ServiceTraffic* traffic_of(const models::Pod& pod, std::size_t* index) const;
  static std::optional<std::size_t> metric_index(const std::string& metric);

  sim::Simulation& sim_;
  models::ApiServer& api_;
  scenarios::MetricsServerSpec metrics_server_;
  scenarios::CustomMetricsSpec custom_;
  std::vector<const ServiceTraffic*> traffic_;
  std::vector<std::string> traffic_keys_;  // the Services, namespace/name
  bool started_ = false;

  // The Running, bound pods by namespace/name (the order a list returns them in).
  std::map<std::string, RunningPod, std::less<>> running_;
  std::uint64_t watch_ = 0;

  // Per-pod state is kept for the pods of the last scrape only; both scrapes pair these
  // maps with running_ in one merge walk (all sorted by pod key).
  std::map<std::string, PodCpu, std::less<>> cpu_;  // pod key -> samples
  std::map<std::string, Window, std::less<>> pod_windows_;
  std::map<std::string, Window> service_windows_;
  // What a resource scrape found for one pod. The PodMetrics object is built from it when
  // first asked for (most runs never read metrics.k8s.io), from the pod object the scrape
  // saw, so it is the same object an eager build would have made.
  struct PodSample {
    std::shared_ptr<const models::Pod> pod;
    sim::Time timestamp = 0;
    sim::Duration window = 0;
    std::int64_t cpu_milli = 0;
    std::int64_t memory = 0;
    mutable std::shared_ptr<const models::PodMetrics> built;
  };
  struct PodValues {
    std::shared_ptr<const models::Pod> pod;
    Values values{};
  };
  // Visible results, in pod key order (running_'s), searched by key.
  std::vector<PodSample> pod_metrics_;
  std::vector<PodValues> pod_values_;
  std::map<std::string, Values, std::less<>> service_values_;  // visible
};

}  // namespace kubesim::experiments
