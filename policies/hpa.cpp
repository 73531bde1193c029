#include "policies/hpa.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <set>
#include <string_view>

namespace kubesim::policies {
namespace {

using models::ConditionStatus;
using models::MetricSourceType;
using models::MetricTargetType;
using models::PodPhase;
using models::ScalingPolicySelect;
using models::ScalingPolicyType;

constexpr std::int32_t kInt32Max = std::numeric_limits<std::int32_t>::max();
constexpr std::int32_t kInt32Min = std::numeric_limits<std::int32_t>::min();

// Go's int32(math.Ceil(x)) for the values HPAs produce; saturates instead of wrapping.
std::int32_t ceil_to_int32(double x) {
  if (std::isnan(x)) return 0;
  const double c = std::ceil(x);
  if (c >= static_cast<double>(kInt32Max)) return kInt32Max;
  if (c <= static_cast<double>(kInt32Min)) return kInt32Min;
  return static_cast<std::int32_t>(c);
}

std::string fmt_double(double v, int digits = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// upstream Tolerances (replica_calculator.go): (1 - down) <= ratio <= (1 + up).
struct Tolerances {
  double down = 0.1;
  double up = 0.1;
  bool within(double ratio) const { return (1.0 - down) <= ratio && ratio <= (1.0 + up); }
  std::string text() const {
    if (down == up) return "tolerance " + fmt_double(up);
    return "tolerance [down " + fmt_double(down) + ", up " + fmt_double(up) + "]";
  }
};

Tolerances tolerances_for(const models::HorizontalPodAutoscalerSpec& spec,
                          const HpaControllerOptions& options) {
  Tolerances t{options.tolerance, options.tolerance};
  if (!options.configurable_tolerance) return t;
  if (spec.scale_down && spec.scale_down->tolerance_milli) {
    t.down = static_cast<double>(*spec.scale_down->tolerance_milli) / 1000.0;
  }
  if (spec.scale_up && spec.scale_up->tolerance_milli) {
    t.up = static_cast<double>(*spec.scale_up->tolerance_milli) / 1000.0;
  }
  return t;
}

// ---- replica calculator -------------------------------------------------------------------

struct PodSample {
  std::int64_t value = 0;
  sim::Time timestamp = 0;
  sim::Duration window = 0;
};
using PodMetricsInfo = std::map<std::string, PodSample>;  // by pod name

struct Groups {
  int ready = 0;
  std::set<std::string> unready, missing, ignored;
};

// upstream groupPods.
Groups group_pods(const std::vector<const models::Pod*>& pods, const PodMetricsInfo& metrics,
                  bool cpu, sim::Time now, const HpaControllerOptions& options) {
  Groups g;
  for (const models::Pod* pod : pods) {
    const std::string& name = pod->metadata.name;
    if (pod->metadata.deletion_timestamp || pod->status.phase == PodPhase::kFailed) {
      g.ignored.insert(name);
      continue;
    }
    if (pod->status.phase == PodPhase::kPending) {
      g.unready.insert(name);
      continue;
    }
    auto it = metrics.find(name);
    if (it == metrics.end()) {
      g.missing.insert(name);
      continue;
    }
    if (cpu) {
      bool unready = false;
      const models::Condition* ready =
          models::find_condition(pod->status.conditions, models::kPodReady);
      if (ready == nullptr || !pod->status.start_time) {
        unready = true;
      } else if (*pod->status.start_time + options.cpu_initialization_period > now) {
        // Inside the initialization period: unready, or no full metric window since the
        // last readiness transition.
        unready = ready->status == ConditionStatus::kFalse ||
                  it->second.timestamp < ready->last_transition_time + it->second.window;
      } else {
        // After it: unready only if it has never been ready.
        unready =
            ready->status == ConditionStatus::kFalse &&
            *pod->status.start_time + options.initial_readiness_delay > ready->last_transition_time;
      }
      if (unready) {
        g.unready.insert(name);
        continue;
      }
    }
    ++g.ready;
  }
  return g;
}

void remove_metrics(PodMetricsInfo& metrics, const std::set<std::string>& pods) {
  for (const auto& p : pods) metrics.erase(p);
}

struct CalcResult {
  bool ok = false;
  std::string error;
  std::int32_t replicas = 0;
  double ratio = 0;
  std::optional<double> adjusted_ratio;
  std::int32_t utilization = 0;
  std::int64_t usage = 0;  // raw average (resource) or average usage (plain)
  std::string tolerance;
  Groups groups;
};

CalcResult fail(std::string error) {
  CalcResult r;
  r.error = std::move(error);
  return r;
}

// upstream calculateRequests / calculatePodRequestsFromContainers (container requests plus
// restartable init containers, or one named container).
bool pod_requests(const std::vector<const models::Pod*>& pods, const std::string& container,
                  const std::string& resource, std::map<std::string, std::int64_t>& out,
                  std::string& error) {
  for (const models::Pod* pod : pods) {
    std::vector<const models::Container*> containers;
    for (const auto& c : pod->spec.containers) containers.push_back(&c);
    for (const auto& c : pod->spec.init_containers) {
      if (c.restartable) containers.push_back(&c);
    }
    std::int64_t request = 0;
    bool found = false;
    for (const models::Container* c : containers) {
      if (container.empty() || container == c->name) {
        if (!c->requests.has(resource)) {
          error = "missing request for " + resource + " in container " + c->name + " of Pod " +
                  pod->metadata.name;
          return false;
        }
        request += c->requests.get(resource);
      }
      if (container == c->name) {
        found = true;
        break;
      }
    }
    if (!container.empty() && !found) {
      error = "container " + container + " not found in Pod " + pod->metadata.name;
      return false;
    }
    out[pod->metadata.name] = request;
  }
  return true;
}

// upstream metrics.GetResourceUtilizationRatio.
bool utilization_ratio(const PodMetricsInfo& metrics,
                       const std::map<std::string, std::int64_t>& requests, std::int32_t target,
                       double& ratio, std::int32_t& utilization, std::int64_t& raw_average) {
  std::int64_t metrics_total = 0, requests_total = 0, entries = 0;
  for (const auto& [pod, m] : metrics) {
    auto r = requests.find(pod);
    if (r == requests.end()) continue;
    metrics_total += m.value;
    requests_total += r->second;
    ++entries;
  }
  if (requests_total == 0) return false;
  utilization = static_cast<std::int32_t>((metrics_total * 100) / requests_total);
  ratio = static_cast<double>(utilization) / static_cast<double>(target);
  raw_average = metrics_total / entries;
  return true;
}

// upstream metrics.GetMetricUsageRatio (integer average).
void usage_ratio(const PodMetricsInfo& metrics, std::int64_t target, double& ratio,
                 std::int64_t& usage) {
  std::int64_t total = 0;
  for (const auto& [pod, m] : metrics) total += m.value;
  usage = total / static_cast<std::int64_t>(metrics.size());
  ratio = static_cast<double>(usage) / static_cast<double>(target);
}

// The shared tail of GetResourceReplicas and calcPlainMetricReplicas: the tolerance test,
// then (with unready or missing pods) the conservative recomputation. `recompute` gives the
// ratio for a filled-in metrics map; `fill_missing_down` the value of a missing pod on a
// scale-down.
template <typename Recompute, typename FillDown>
void finish_with_groups(CalcResult& r, std::int32_t current, PodMetricsInfo& metrics,
                        const Tolerances& tol, Recompute recompute, FillDown fill_missing_down) {
  const Groups& g = r.groups;
  const double ratio = r.ratio;
  const bool scale_up_with_unready = !g.unready.empty() && ratio > 1.0;
  if (!scale_up_with_unready && g.missing.empty()) {
    if (tol.within(ratio)) {
      r.replicas = current;
      r.tolerance = "ratio " + fmt_double(ratio) + " within " + tol.text() + ": keep " +
                    std::to_string(current);
    } else {
      r.replicas = ceil_to_int32(ratio * static_cast<double>(g.ready));
      r.tolerance = "ratio " + fmt_double(ratio) + " outside " + tol.text() + ": ceil(" +
                    fmt_double(ratio) + " x " + std::to_string(g.ready) +
                    " ready) = " + std::to_string(r.replicas);
    }
    r.ok = true;
    return;
  }
  if (!g.missing.empty()) {
    if (ratio < 1.0) {
      for (const auto& p : g.missing) metrics[p] = PodSample{fill_missing_down(p), 0, 0};
    } else if (ratio > 1.0) {
      for (const auto& p : g.missing) metrics[p] = PodSample{0, 0, 0};
    }
  }
  if (scale_up_with_unready) {
    for (const auto& p : g.unready) metrics[p] = PodSample{0, 0, 0};
  }
  double new_ratio = 0;
  if (!recompute(metrics, new_ratio)) {
    r.ok = false;
    r.error = "no metrics returned matched known pods";
    return;
  }
  r.adjusted_ratio = new_ratio;
  r.ok = true;
  std::string filled =
      "ratio " + fmt_double(ratio) + ", recomputed as " + fmt_double(new_ratio) + " with " +
      (g.missing.empty()
           ? std::string()
           : std::string(ratio < 1.0 ? "missing pods at target" : "missing pods at 0")) +
      (scale_up_with_unready ? std::string(g.missing.empty() ? "" : " and ") + "unready pods at 0"
                             : std::string());
  if (tol.within(new_ratio) || (ratio < 1.0 && new_ratio > 1.0) ||
      (ratio > 1.0 && new_ratio < 1.0)) {
    r.replicas = current;
    r.tolerance =
        filled +
        (tol.within(new_ratio) ? ": within " + tol.text() : std::string(": the direction flips")) +
        ", keep " + std::to_string(current);
    return;
  }
  const std::int32_t n = ceil_to_int32(new_ratio * static_cast<double>(metrics.size()));
  if ((new_ratio < 1.0 && n > current) || (new_ratio > 1.0 && n < current)) {
    r.replicas = current;
    r.tolerance = filled + ": ceil(" + fmt_double(new_ratio) + " x " +
                  std::to_string(metrics.size()) + ") = " + std::to_string(n) +
                  " would reverse the direction, keep " + std::to_string(current);
    return;
  }
  r.replicas = n;
  r.tolerance = filled + ": ceil(" + fmt_double(new_ratio) + " x " +
                std::to_string(metrics.size()) + " pods) = " + std::to_string(n);
}

// upstream GetResourceReplicas (Utilization targets).
CalcResult resource_replicas(std::int32_t current, std::int32_t target_utilization,
                             const std::string& resource, const std::string& container,
                             PodMetricsInfo metrics, const HpaInputs& in, sim::Time now,
                             const Tolerances& tol, const HpaControllerOptions& options) {
  if (in.pods.empty()) return fail("no pods returned by selector while calculating replica count");
  CalcResult r;
  r.groups = group_pods(in.pods, metrics, resource == models::kResourceCpu, now, options);
  remove_metrics(metrics, r.groups.ignored);
  remove_metrics(metrics, r.groups.unready);
  if (metrics.empty()) {
    CalcResult f = fail("did not receive metrics for targeted pods (pods might be unready)");
    f.groups = r.groups;
    return f;
  }
  std::map<std::string, std::int64_t> requests;
  std::string error;
  if (!pod_requests(in.pods, container, resource, requests, error)) return fail(error);
  if (!utilization_ratio(metrics, requests, target_utilization, r.ratio, r.utilization, r.usage)) {
    return fail("no metrics returned matched known pods");
  }
  const std::int64_t fallback = std::max<std::int64_t>(100, target_utilization);
  finish_with_groups(
      r, current, metrics, tol,
      [&](const PodMetricsInfo& m, double& ratio) {
        std::int32_t u = 0;
        std::int64_t raw = 0;
        return utilization_ratio(m, requests, target_utilization, ratio, u, raw);
      },
      // upstream: 100% of the request, or the target when it is above 100% (v1.26+).
      [&](const std::string& pod) { return requests[pod] * fallback / 100; });
  return r;
}

// upstream calcPlainMetricReplicas (resource AverageValue and Pods metrics).
CalcResult plain_replicas(std::int32_t current, std::int64_t target, const std::string& resource,
                          PodMetricsInfo metrics, const HpaInputs& in, sim::Time now,
                          const Tolerances& tol, const HpaControllerOptions& options) {
  if (in.pods.empty()) return fail("no pods returned by selector while calculating replica count");
  CalcResult r;
  r.groups = group_pods(in.pods, metrics, resource == models::kResourceCpu, now, options);
  remove_metrics(metrics, r.groups.ignored);
  remove_metrics(metrics, r.groups.unready);
  if (metrics.empty()) {
    CalcResult f = fail("did not receive metrics for targeted pods (pods might be unready)");
    f.groups = r.groups;
    return f;
  }
  usage_ratio(metrics, target, r.ratio, r.usage);
  finish_with_groups(
      r, current, metrics, tol,
      [&](const PodMetricsInfo& m, double& ratio) {
        std::int64_t u = 0;
        usage_ratio(m, target, ratio, u);
        return true;
      },
      [&](const std::string&) { return target; });
  return r;
}

// upstream getReadyPodsCount: Running and Ready.
bool ready_pods_count(const HpaInputs& in, std::int64_t& count, std::string& error) {
  if (in.pods.empty()) {
    error = "no pods returned by selector while calculating replica count";
    return false;
  }
  count = 0;
  for (const models::Pod* p : in.pods) {
    if (p->status.phase == PodPhase::kRunning && p->ready()) ++count;
  }
  return true;
}

// upstream getUsageRatioReplicaCount (Object Value and External Value targets).
CalcResult usage_ratio_replicas(std::int32_t current, double ratio, const HpaInputs& in,
                                const Tolerances& tol) {
  CalcResult r;
  r.ratio = ratio;
  if (current != 0) {
    if (tol.within(ratio)) {
      r.ok = true;
      r.replicas = current;
      r.tolerance = "ratio " + fmt_double(ratio) + " within " + tol.text() + ": keep " +
                    std::to_string(current);
      return r;
    }
    std::int64_t ready = 0;
    std::string error;
    if (!ready_pods_count(in, ready, error))
      return fail("unable to calculate ready pods: " + error);
    const double x = ratio * static_cast<double>(ready);
    r.replicas = x > static_cast<double>(kInt32Max) ? kInt32Max : ceil_to_int32(x);
    r.groups.ready = static_cast<int>(ready);
    r.tolerance = "ratio " + fmt_double(ratio) + " outside " + tol.text() + ": ceil(" +
                  fmt_double(ratio) + " x " + std::to_string(ready) +
                  " running and ready) = " + std::to_string(r.replicas);
  } else {
    r.replicas = ceil_to_int32(ratio);
    r.tolerance = "current replicas 0: ceil(" + fmt_double(ratio) +
                  ") = " + std::to_string(r.replicas) + " (scale from zero, no tolerance)";
  }
  r.ok = true;
  return r;
}

// upstream GetObjectPerPodMetricReplicas / GetExternalPerPodMetricReplicas.
CalcResult per_pod_replicas(std::int32_t status_replicas, std::int64_t total,
                            std::int64_t target_per_pod, const Tolerances& tol) {
  CalcResult r;
  r.ok = true;
  r.replicas = status_replicas;
  r.ratio = static_cast<double>(total) /
            (static_cast<double>(target_per_pod) * static_cast<double>(status_replicas));
  if (!tol.within(r.ratio)) {
    r.replicas = ceil_to_int32(static_cast<double>(total) / static_cast<double>(target_per_pod));
    r.tolerance = "ratio " + fmt_double(r.ratio) + " outside " + tol.text() + ": ceil(" +
                  std::to_string(total) + "m / " + std::to_string(target_per_pod) +
                  "m) = " + std::to_string(r.replicas);
  } else {
    r.tolerance = "ratio " + fmt_double(r.ratio) + " within " + tol.text() + ": keep " +
                  std::to_string(status_replicas) + " (status.replicas)";
  }
  // upstream divides by status.replicas unguarded; with 0 pods it reports garbage there.
  r.usage = status_replicas == 0
                ? total
                : static_cast<std::int64_t>(
                      std::ceil(static_cast<double>(total) / static_cast<double>(status_replicas)));
  return r;
}

// metrics.k8s.io samples for one resource (upstream metrics client getPodMetrics /
// getContainerMetrics): a pod whose containers lack the resource has no sample.
PodMetricsInfo resource_samples(const HpaInputs& in, const std::string& resource,
                                const std::string& container) {
  PodMetricsInfo out;
  for (const models::PodMetrics* pm : in.resource_metrics) {
    std::int64_t sum = 0;
    bool missing = pm->containers.empty();
    bool found = container.empty();
    for (const auto& c : pm->containers) {
      if (!container.empty()) {
        if (c.name != container) continue;
        found = true;
      }
      if (!c.usage.has(resource)) {
        missing = true;
        break;
      }
      sum += c.usage.get(resource);
    }
    if (!missing && found) out[pm->metadata.name] = PodSample{sum, pm->timestamp, pm->window};
  }
  return out;
}

std::string resource_metric_name(const models::MetricSpec& spec, bool utilization) {
  if (!utilization) return spec.resource_name + " resource";
  if (spec.type == MetricSourceType::kContainerResource) {
    return spec.resource_name + " container resource utilization (percentage of request)";
  }
  return spec.resource_name + " resource utilization (percentage of request)";
}

void copy_calc(const CalcResult& c, HpaMetricProposal& p) {
  p.replicas = c.replicas;
  p.usage_ratio = c.ratio;
  p.adjusted_ratio = c.adjusted_ratio;
  p.tolerance = c.tolerance;
  p.ready_pods = c.groups.ready;
  p.unready_pods = static_cast<int>(c.groups.unready.size());
  p.missing_pods = static_cast<int>(c.groups.missing.size());
  p.ignored_pods = static_cast<int>(c.groups.ignored.size());
}

struct MetricOutcome {
  HpaMetricProposal proposal;
  std::string condition_reason;   // ScalingActive=False reason when invalid
  std::string condition_message;  // "the HPA was unable to compute the replica count: ..."
  std::string wrapped_error;      // computeReplicasForMetric's error
};

MetricOutcome invalid(MetricOutcome o, const std::string& reason, const std::string& inner,
                      const std::string& wrapped) {
  o.proposal.valid = false;
  o.proposal.error = wrapped;
  o.condition_reason = reason;
  o.condition_message = "the HPA was unable to compute the replica count: " + inner;
  o.wrapped_error = wrapped;
  return o;
}

// upstream computeReplicasForMetric and the computeStatusFor*Metric functions.
MetricOutcome compute_metric(const models::HorizontalPodAutoscaler& hpa,
                             const models::MetricSpec& spec, std::int32_t spec_replicas,
                             const HpaInputs& in, sim::Time now, const Tolerances& tol,
                             const HpaControllerOptions& options) {
  MetricOutcome o;
  HpaMetricProposal& p = o.proposal;
  const models::MetricTarget& target = spec.target;
  switch (spec.type) {
    case MetricSourceType::kResource:
    case MetricSourceType::kContainerResource: {
      const bool container = spec.type == MetricSourceType::kContainerResource;
      const std::string reason =
          container ? "FailedGetContainerResourceMetric" : "FailedGetResourceMetric";
      const std::string outer =
          container ? "failed to get " + spec.container + " container metric value: "
                    : "failed to get " + spec.resource_name + " resource metric value: ";
      auto fetch = [&](std::string& error) -> std::optional<PodMetricsInfo> {
        if (in.resource_metrics.empty()) {
          error = "unable to get metrics for resource " + spec.resource_name +
                  ": no metrics returned from resource metrics API";
          return std::nullopt;
        }
        return resource_samples(in, spec.resource_name, container ? spec.container : "");
      };
      if (target.average_value_milli) {
        p.metric = resource_metric_name(spec, false);
        p.target_milli = *target.average_value_milli;
        std::string error;
        auto metrics = fetch(error);
        CalcResult c =
            metrics ? plain_replicas(spec_replicas, *target.average_value_milli, spec.resource_name,
                                     std::move(*metrics), in, now, tol, options)
                    : fail(error);
        copy_calc(c, p);
        if (!c.ok) {
          const std::string inner = "failed to get " + spec.resource_name + " usage: " + c.error;
          return invalid(std::move(o), reason, inner, outer + inner);
        }
        p.valid = true;
        p.current_value_milli = c.usage;
        return o;
      }
      if (!target.average_utilization) {
        const std::string inner =
            "invalid resource metric source: neither an average utilization target nor an "
            "average value (usage) target was set";
        return invalid(std::move(o), reason, inner, outer + inner);
      }
      p.metric = resource_metric_name(spec, true);
      p.target_milli = *target.average_utilization;
      std::string error;
      auto metrics = fetch(error);
      CalcResult c = metrics
                         ? resource_replicas(spec_replicas, *target.average_utilization,
                                             spec.resource_name, container ? spec.container : "",
                                             std::move(*metrics), in, now, tol, options)
                         : fail(error);
      copy_calc(c, p);
      if (!c.ok) {
        const std::string inner =
            "failed to get " + spec.resource_name + " utilization: " + c.error;
        return invalid(std::move(o), reason, inner, outer + inner);
      }
      p.valid = true;
      p.current_utilization = c.utilization;
      p.current_value_milli = c.usage;
      return o;
    }
    case MetricSourceType::kPods: {
      p.metric = "pods metric " + spec.metric_name;
      const std::string outer = "failed to get pods metric value: ";
      if (!target.average_value_milli) {
        const std::string inner = "invalid pods metric source: no average value target was set";
        return invalid(std::move(o), "FailedGetPodsMetric", inner, outer + inner);
      }
      p.target_milli = *target.average_value_milli;
      const HpaPodsMetric* values = nullptr;
      for (const auto& m : in.pods_metrics) {
        if (m.metric == spec.metric_name) values = &m;
      }
      if (values == nullptr || values->values.empty()) {
        const std::string inner = "unable to get metric " + spec.metric_name +
                                  ": no metrics returned from custom metrics API";
        return invalid(std::move(o), "FailedGetPodsMetric", inner, outer + inner);
      }
      PodMetricsInfo metrics;
      // upstream GetRawMetric: custom metrics carry the default one-minute window.
      for (const auto& v : values->values)
        metrics[v.pod] = PodSample{v.value_milli, now, sim::minutes(1)};
      CalcResult c = plain_replicas(spec_replicas, *target.average_value_milli, "",
                                    std::move(metrics), in, now, tol, options);
      copy_calc(c, p);
      if (!c.ok) return invalid(std::move(o), "FailedGetPodsMetric", c.error, outer + c.error);
      p.valid = true;
      p.current_value_milli = c.usage;
      return o;
    }
    case MetricSourceType::kObject: {
      const std::string outer = "failed to get object metric value: ";
      const models::CrossVersionObjectReference& obj = spec.described_object;
      auto value = [&]() -> std::optional<std::int64_t> {
        for (const auto& m : in.object_metrics) {
          if (m.metric == spec.metric_name && m.kind == obj.kind && m.name == obj.name) {
            return m.value_milli;
          }
        }
        return std::nullopt;
      };
      const std::string missing = "unable to get metric " + spec.metric_name + ": " + obj.kind +
                                  " on " + hpa.metadata.namespace_ + "/" + obj.name +
                                  ": no value was provided for the described object";
      if (target.type == MetricTargetType::kValue && target.value_milli) {
        p.metric = obj.kind + " metric " + spec.metric_name;
        p.target_milli = *target.value_milli;
        auto v = value();
        if (!v) return invalid(std::move(o), "FailedGetObjectMetric", missing, outer + missing);
        const double ratio = static_cast<double>(*v) / static_cast<double>(*target.value_milli);
        CalcResult c = usage_ratio_replicas(spec_replicas, ratio, in, tol);
        copy_calc(c, p);
        if (!c.ok) return invalid(std::move(o), "FailedGetObjectMetric", c.error, outer + c.error);
        p.valid = true;
        p.current_value_milli = *v;
        return o;
      }
      if (target.type == MetricTargetType::kAverageValue && target.average_value_milli) {
        // upstream names this proposal "external metric ..." (sic).
        p.metric = "external metric " + spec.metric_name;
        p.target_milli = *target.average_value_milli;
        auto v = value();
        const std::string inner_prefix = "failed to get " + spec.metric_name + " object metric: ";
        if (!v) {
          return invalid(std::move(o), "FailedGetObjectMetric", missing,
                         outer + inner_prefix + missing);
        }
        CalcResult c = per_pod_replicas(in.status_replicas, *v, *target.average_value_milli, tol);
        copy_calc(c, p);
        p.valid = true;
        p.current_value_milli = c.usage;
        return o;
      }
      const std::string inner =
          "invalid object metric source: neither a value target nor an average value target "
          "was set";
      return invalid(std::move(o), "FailedGetObjectMetric", inner, outer + inner);
    }
    case MetricSourceType::kExternal: {
      const HpaExternalMetric* values = nullptr;
      for (const auto& m : in.external_metrics) {
        if (m.metric == spec.metric_name) values = &m;
      }
      const std::string missing = "unable to get external metric " + hpa.metadata.namespace_ + "/" +
                                  spec.metric_name +
                                  ": no metrics returned from external metrics API";
      p.metric = "external metric " + spec.metric_name;
      if (target.average_value_milli) {
        p.target_milli = *target.average_value_milli;
        const std::string outer = "failed to get " + spec.metric_name + " external metric: ";
        if (values == nullptr || values->values_milli.empty()) {
          return invalid(std::move(o), "FailedGetExternalMetric", missing, outer + missing);
        }
        std::int64_t total = 0;
        for (std::int64_t v : values->values_milli) {
          total += v;
          if (total < 0) {  // upstream: only an int64 overflow gets here
            total = std::numeric_limits<std::int64_t>::max();
            break;
          }
        }
        CalcResult c =
            per_pod_replicas(in.status_replicas, total, *target.average_value_milli, tol);
        copy_calc(c, p);
        p.valid = true;
        p.current_value_milli = c.usage;
        return o;
      }
      if (target.value_milli) {
        p.target_milli = *target.value_milli;
        const std::string outer = "failed to get external metric " + spec.metric_name + ": ";
        if (values == nullptr || values->values_milli.empty()) {
          return invalid(std::move(o), "FailedGetExternalMetric", missing, outer + missing);
        }
        std::int64_t total = 0;
        for (std::int64_t v : values->values_milli) {
          if (v > 0 && total > std::numeric_limits<std::int64_t>::max() - v) {
            total = std::numeric_limits<std::int64_t>::max();
            break;
          }
          total += v;
        }
        const double ratio = static_cast<double>(total) / static_cast<double>(*target.value_milli);
        CalcResult c = usage_ratio_replicas(spec_replicas, ratio, in, tol);
        copy_calc(c, p);
        if (!c.ok) {
          return invalid(std::move(o), "FailedGetExternalMetric", c.error, outer + c.error);
        }
        p.valid = true;
        p.current_value_milli = total;
        return o;
      }
      const std::string inner =
          "invalid external metric source: neither a value target nor an average value target "
          "was set";
      return invalid(std::move(o), "FailedGetExternalMetric", inner,
                     "failed to get " + spec.metric_name + " external metric value: " + inner);
    }
  }
  return o;
}

// upstream setCondition: replaces the condition of that type, else appends.
void set_condition(std::vector<HpaCondition>& conds, std::string type, bool status,
                   std::string reason, std::string message) {
  for (auto& c : conds) {
    if (c.type == type) {
      c.status = status;
      c.reason = std::move(reason);
      c.message = std::move(message);
      return;
    }
  }
  conds.push_back(HpaCondition{std::move(type), status, std::move(reason), std::move(message)});
}

std::int32_t longest_policy_period(const models::HpaScalingRules& rules) {
  std::int32_t longest = 0;
  for (const auto& p : rules.policies) longest = std::max(longest, p.period_seconds);
  return longest;
}

void mark_outdated(std::vector<HpaScaleEvent>& events, std::int32_t longest, sim::Time now) {
  const sim::Time cutoff = now - sim::seconds(longest);
  for (auto& e : events) {
    if (e.time < cutoff) e.outdated = true;
  }
}

void record_event(std::vector<HpaScaleEvent>& events, std::int32_t longest, std::int32_t change,
                  sim::Time now) {
  mark_outdated(events, longest, now);
  std::optional<std::size_t> old;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i].outdated) old = i;
  }
  const HpaScaleEvent e{change, now, false};
  if (old) {
    events[*old] = e;
  } else {
    events.push_back(e);
  }
}

// upstream calculateScaleUpLimitWithScalingRules / calculateScaleDownLimitWithBehaviors.
std::int32_t rate_limit(std::int32_t current, const HpaState& state,
                        const models::HpaScalingRules& rules, bool up, sim::Time now) {
  const ScalingPolicySelect select = rules.select_policy.value_or(ScalingPolicySelect::kMax);
  if (select == ScalingPolicySelect::kDisabled) return current;
  // Max change: for up the largest proposal, for down the smallest.
  const bool take_max = (select == ScalingPolicySelect::kMin) != up;
  std::int32_t result = take_max ? kInt32Min : kInt32Max;
  for (const auto& policy : rules.policies) {
    const std::int32_t added =
        replicas_change_in_period(policy.period_seconds, state.scale_up_events, now);
    const std::int32_t deleted =
        replicas_change_in_period(policy.period_seconds, state.scale_down_events, now);
    const std::int32_t start = current - added + deleted;
    std::int32_t proposed = 0;
    if (up) {
      proposed = policy.type == ScalingPolicyType::kPods
                     ? start + policy.value
                     : ceil_to_int32(static_cast<double>(start) *
                                     (1 + static_cast<double>(policy.value) / 100));
    } else {
      proposed = policy.type == ScalingPolicyType::kPods
                     ? start - policy.value
                     : static_cast<std::int32_t>(static_cast<double>(start) *
                                                 (1 - static_cast<double>(policy.value) / 100));
    }
    result = take_max ? std::max(result, proposed) : std::min(result, proposed);
  }
  return result;
}

std::string replicas_text(std::int32_t n) {
  return std::to_string(n) + (n == 1 ? " replica" : " replicas");
}

}  // namespace

// ---- defaults -----------------------------------------------------------------------------

bool uses_behavior(const models::HorizontalPodAutoscalerSpec& spec) {
  return spec.has_behavior || spec.scale_up.has_value() || spec.scale_down.has_value();
}

// upstream pkg/apis/autoscaling/v2/defaults.go GenerateHPAScaleUpRules: each unset field
// takes its default; policies are replaced as a whole list.
models::HpaScalingRules effective_scale_up_rules(const models::HorizontalPodAutoscalerSpec& spec) {
  models::HpaScalingRules r = spec.scale_up.value_or(models::HpaScalingRules{});
  if (!r.stabilization_window_seconds) r.stabilization_window_seconds = 0;
  if (!r.select_policy) r.select_policy = ScalingPolicySelect::kMax;
  if (r.policies.empty()) {
    r.policies = {{ScalingPolicyType::kPods, 4, 15}, {ScalingPolicyType::kPercent, 100, 15}};
  }
  return r;
}

// GenerateHPAScaleDownRules, then the controller's maybeInitScaleDownStabilizationWindow.
models::HpaScalingRules effective_scale_down_rules(const models::HorizontalPodAutoscalerSpec& spec,
                                                   const HpaControllerOptions& options) {
  models::HpaScalingRules r = spec.scale_down.value_or(models::HpaScalingRules{});
  if (!r.stabilization_window_seconds) {
    r.stabilization_window_seconds =
        static_cast<std::int32_t>(options.downscale_stabilization_window / sim::kSecond);
  }
  if (!r.select_policy) r.select_policy = ScalingPolicySelect::kMax;
  if (r.policies.empty()) r.policies = {{ScalingPolicyType::kPercent, 100, 15}};
  return r;
}

std::int32_t replicas_change_in_period(std::int32_t period_seconds,
                                       const std::vector<HpaScaleEvent>& events, sim::Time now) {
  const sim::Time cutoff = now - sim::seconds(period_seconds);
  std::int32_t sum = 0;
  for (const auto& e : events) {
    if (e.time > cutoff) sum += e.change;
  }
  return sum;
}

void store_scale_event(const models::HpaScalingRules& up, const models::HpaScalingRules& down,
                       std::int32_t prev, std::int32_t next, sim::Time now, HpaState& state) {
  if (next > prev) {
    record_event(state.scale_up_events, longest_policy_period(up), next - prev, now);
  } else {
    record_event(state.scale_down_events, longest_policy_period(down), prev - next, now);
  }
}

// ---- normalization ------------------------------------------------------------------------

std::int32_t normalize_without_behavior(std::int32_t current, std::int32_t desired,
                                        std::int32_t min_replicas, std::int32_t max_replicas,
                                        sim::Time now, HpaState& state,
                                        const HpaControllerOptions& options, HpaDecision* out) {
  // upstream stabilizeRecommendation.
  if (!state.recommendations) state.recommendations.emplace();
  auto& recs = *state.recommendations;
  std::int32_t stabilized = desired;
  const sim::Time cutoff = now - options.downscale_stabilization_window;
  std::optional<std::size_t> old;
  for (std::size_t i = 0; i < recs.size(); ++i) {
    if (recs[i].time < cutoff) {
      old = i;
    } else if (recs[i].replicas > stabilized) {
      stabilized = recs[i].replicas;
    }
  }
  if (old) {
    recs[*old] = {desired, now};
  } else {
    recs.push_back({desired, now});
  }
  // upstream convertDesiredReplicasWithRules; scaleUpLimitFactor 2, scaleUpLimitMinimum 4.
  const std::int32_t scale_up_limit =
      static_cast<std::int32_t>(std::max(2.0 * static_cast<double>(current), 4.0));
  std::int32_t max_allowed = max_replicas;
  std::string reason = "TooManyReplicas";
  std::string message = "the desired replica count is more than the maximum replica count";
  if (max_replicas > scale_up_limit) {
    max_allowed = scale_up_limit;
    reason = "ScaleUpLimit";
    message = "the desired replica count is increasing faster than the maximum scale rate";
  }
  std::int32_t result = stabilized;
  if (stabilized < min_replicas) {
    result = min_replicas;
    reason = "TooFewReplicas";
    message = "the desired replica count is less than the minimum replica count";
  } else if (stabilized > max_allowed) {
    result = max_allowed;
  } else {
    reason = "DesiredWithinRange";
    message = "the desired count is within the acceptable range";
  }
  if (out != nullptr) {
    out->stabilized_replicas = stabilized;
    if (stabilized != desired) {
      out->stabilization = "ScaleDownStabilized";
      set_condition(out->conditions, "AbleToScale", true, "ScaleDownStabilized",
                    "recent recommendations were higher than current one, applying the highest "
                    "recent recommendation");
    } else {
      set_condition(out->conditions, "AbleToScale", true, "ReadyForNewScale",
                    "recommended size matches current size");
    }
    set_condition(out->conditions, "ScalingLimited", result != stabilized, reason, message);
    if (result != stabilized) out->limit = reason;
  }
  return result;
}

HpaLimited limit_with_behavior_rate(std::int32_t current, std::int32_t desired,
                                    std::int32_t min_replicas, std::int32_t max_replicas,
                                    const models::HpaScalingRules& up,
                                    const models::HpaScalingRules& down, const HpaState& state,
                                    sim::Time now) {
  if (desired > current) {
    std::int32_t limit = rate_limit(current, state, up, true, now);
    if (limit < current) limit = current;  // no further scale-up until events expire
    std::int32_t max_allowed = max_replicas;
    std::string reason = "TooManyReplicas";
    if (max_allowed > limit) {
      max_allowed = limit;
      reason = "ScaleUpLimit";
    }
    if (desired > max_allowed) return {max_allowed, reason};
  } else if (desired < current) {
    std::int32_t limit = rate_limit(current, state, down, false, now);
    if (limit > current) limit = current;  // no further scale-down until events expire
    std::int32_t min_allowed = min_replicas;
    std::string reason = "TooFewReplicas";
    if (min_allowed < limit) {
      min_allowed = limit;
      reason = "ScaleDownLimit";
    }
    if (desired < min_allowed) return {min_allowed, reason};
  }
  return {desired, "DesiredWithinRange"};
}

namespace {
std::string limited_message(const std::string& reason) {
  if (reason == "ScaleUpLimit") {
    return "the desired replica count is increasing faster than the maximum scale rate";
  }
  if (reason == "TooManyReplicas") {
    return "the desired replica count is more than the maximum replica count";
  }
  if (reason == "ScaleDownLimit") {
    return "the desired replica count is decreasing faster than the maximum scale rate";
  }
  if (reason == "TooFewReplicas") {
    return "the desired replica count is less than the minimum replica count";
  }
  return "the desired count is within the acceptable range";
}
}  // namespace

std::int32_t normalize_with_behavior(std::int32_t current, std::int32_t desired,
                                     std::int32_t min_replicas, std::int32_t max_replicas,
                                     const models::HpaScalingRules& up,
                                     const models::HpaScalingRules& down, sim::Time now,
                                     HpaState& state, HpaDecision* out) {
  // upstream stabilizeRecommendationWithBehaviors.
  if (!state.recommendations) state.recommendations.emplace();
  auto& recs = *state.recommendations;
  std::int32_t up_rec = desired;
  std::int32_t down_rec = desired;
  const sim::Time up_cutoff = now - sim::seconds(up.stabilization_window_seconds.value_or(0));
  const sim::Time down_cutoff = now - sim::seconds(down.stabilization_window_seconds.value_or(0));
  std::optional<std::size_t> old;
  for (std::size_t i = 0; i < recs.size(); ++i) {
    if (recs[i].time > up_cutoff) up_rec = std::min(recs[i].replicas, up_rec);
    if (recs[i].time > down_cutoff) down_rec = std::max(recs[i].replicas, down_rec);
    if (recs[i].time < up_cutoff && recs[i].time < down_cutoff) old = i;
  }
  std::int32_t stabilized = current;
  if (stabilized < up_rec) stabilized = up_rec;
  if (stabilized > down_rec) stabilized = down_rec;
  if (old) {
    recs[*old] = {desired, now};
  } else {
    recs.push_back({desired, now});
  }
  const HpaLimited limited = limit_with_behavior_rate(current, stabilized, min_replicas,
                                                      max_replicas, up, down, state, now);
  if (out != nullptr) {
    out->stabilized_replicas = stabilized;
    if (stabilized != desired) {
      const bool up_dir = desired >= current;
      out->stabilization = up_dir ? "ScaleUpStabilized" : "ScaleDownStabilized";
      set_condition(out->conditions, "AbleToScale", true, out->stabilization,
                    up_dir ? "recent recommendations were lower than current one, applying the "
                             "lowest recent recommendation"
                           : "recent recommendations were higher than current one, applying the "
                             "highest recent recommendation");
    } else {
      set_condition(out->conditions, "AbleToScale", true, "ReadyForNewScale",
                    "recommended size matches current size");
    }
    set_condition(out->conditions, "ScalingLimited", limited.replicas != stabilized, limited.reason,
                  limited_message(limited.reason));
    if (limited.replicas != stabilized) out->limit = limited.reason;
  }
  return limited.replicas;
}

// ---- one reconcile ------------------------------------------------------------------------

HpaDecision decide(const models::HorizontalPodAutoscaler& hpa, std::int32_t current_replicas,
                   const HpaInputs& inputs, sim::Time now, HpaState& state,
                   const HpaControllerOptions& options) {
  HpaDecision d;
  d.current_replicas = current_replicas;
  const auto& spec = hpa.spec;
  set_condition(d.conditions, "AbleToScale", true, "SucceededGetScale",
                "the HPA controller was able to get the target's current scale");
  // upstream recordInitialRecommendation.
  if (!state.recommendations)
    state.recommendations = std::vector<HpaRecommendation>{{current_replicas, now}};

  const std::int32_t min_replicas = spec.min_replicas.value_or(1);
  std::int32_t desired = 0;
  bool rescale = true;
  std::string reason_detail;

  if (current_replicas == 0 && min_replicas != 0) {
    desired = 0;
    rescale = false;
    set_condition(d.conditions, "ScalingActive", false, "ScalingDisabled",
                  "scaling is disabled since the replica count of the target is zero");
    reason_detail = "scaling is disabled since the replica count of the target is zero";
  } else if (current_replicas > spec.max_replicas) {
    d.rescale_reason = "Current number of replicas above Spec.MaxReplicas";
    desired = spec.max_replicas;
    reason_detail = "current replicas " + std::to_string(current_replicas) + " above maxReplicas " +
                    std::to_string(spec.max_replicas) + " (metrics not consulted)";
  } else if (current_replicas < min_replicas) {
    d.rescale_reason = "Current number of replicas below Spec.MinReplicas";
    desired = min_replicas;
    reason_detail = "current replicas " + std::to_string(current_replicas) + " below minReplicas " +
                    std::to_string(min_replicas) + " (metrics not consulted)";
  } else {
    // upstream computeReplicasForMetrics.
    if (!inputs.has_selector) {
      set_condition(d.conditions, "ScalingActive", false, "InvalidSelector",
                    "the HPA target's scale is missing a selector");
      d.error = "selector is required";
      d.desired_replicas = hpa.status.desired_replicas;
      d.reason = "no change: the HPA target's scale is missing a selector";
      return d;
    }
    // An HPA without metrics gets the API default: cpu at 80% utilization.
    std::vector<models::MetricSpec> metrics = spec.metrics;
    if (metrics.empty()) {
      models::MetricSpec cpu;
      cpu.type = MetricSourceType::kResource;
      cpu.resource_name = std::string(models::kResourceCpu);
      cpu.target.type = MetricTargetType::kUtilization;
      cpu.target.average_utilization = 80;
      metrics.push_back(cpu);
    }
    const Tolerances tol = tolerances_for(spec, options);
    std::int32_t replicas = 0;
    std::string metric;
    int invalid_count = 0;
    std::string first_error, first_reason, first_message;
    for (const auto& m : metrics) {
      MetricOutcome o = compute_metric(hpa, m, current_replicas, inputs, now, tol, options);
      if (!o.proposal.valid) {
        if (invalid_count == 0) {
          first_error = o.wrapped_error;
          first_reason = o.condition_reason;
          first_message = o.condition_message;
        }
        ++invalid_count;
      } else if (replicas == 0 || o.proposal.replicas > replicas) {
        replicas = o.proposal.replicas;
        metric = o.proposal.metric;
      }
      d.proposals.push_back(std::move(o.proposal));
    }
    std::string metrics_error;
    if (invalid_count > 0) {
      metrics_error = "invalid metrics (" + std::to_string(invalid_count) + " invalid out of " +
                      std::to_string(metrics.size()) + "), first error is: " + first_error;
    }
    if (invalid_count >= static_cast<int>(metrics.size()) ||
        (invalid_count > 0 && replicas < current_replicas)) {
      set_condition(d.conditions, "ScalingActive", false, first_reason, first_message);
      d.error = "failed to compute desired number of replicas based on listed metrics for " +
                spec.scale_target_ref.kind + "/" + hpa.metadata.namespace_ + "/" +
                spec.scale_target_ref.name + ": " + metrics_error;
      d.desired_replicas = hpa.status.desired_replicas;
      d.reason = "no change: " + metrics_error;
      return d;
    }
    set_condition(d.conditions, "ScalingActive", true, "ValidMetricFound",
                  "the HPA was able to successfully calculate a replica count from " + metric);
    d.error = metrics_error;
    d.metric_replicas = replicas;
    d.metric = metric;
    std::string rescale_metric;
    if (replicas > desired) {
      desired = replicas;
      rescale_metric = metric;
    }
    if (desired > current_replicas) d.rescale_reason = rescale_metric + " above target";
    if (desired < current_replicas) d.rescale_reason = "All metrics below target";
    const std::int32_t proposed = desired;
    if (!uses_behavior(spec)) {
      desired = normalize_without_behavior(current_replicas, desired, min_replicas,
                                           spec.max_replicas, now, state, options, &d);
    } else {
      desired = normalize_with_behavior(current_replicas, desired, min_replicas, spec.max_replicas,
                                        effective_scale_up_rules(spec),
                                        effective_scale_down_rules(spec, options), now, state, &d);
    }
    rescale = desired != current_replicas;
    // The one-line story: the winning metric, then what normalization did.
    for (const auto& p : d.proposals) {
      if (p.valid && p.metric == metric) {
        reason_detail = metric + ": " + p.tolerance;
        if (p.unready_pods + p.missing_pods + p.ignored_pods > 0) {
          reason_detail += " [" + std::to_string(p.ready_pods) + " ready, " +
                           std::to_string(p.unready_pods) + " unready, " +
                           std::to_string(p.missing_pods) + " missing metrics, " +
                           std::to_string(p.ignored_pods) + " ignored]";
        }
        break;
      }
    }
    if (d.proposals.size() > 1) {
      reason_detail += " (max of " + std::to_string(d.proposals.size()) + " metrics)";
    }
    if (d.stabilized_replicas && *d.stabilized_replicas != proposed) {
      reason_detail += "; stabilized to " + std::to_string(*d.stabilized_replicas) + " (" +
                       d.stabilization + ")";
    }
    if (!d.limit.empty()) {
      reason_detail += "; limited to " + std::to_string(desired) + " (" + d.limit + ")";
    }
    if (!metrics_error.empty()) reason_detail += "; " + metrics_error;
  }

  if (rescale) {
    set_condition(
        d.conditions, "AbleToScale", true, "SucceededRescale",
        "the HPA controller was able to update the target scale to " + std::to_string(desired));
    if (uses_behavior(spec)) {
      store_scale_event(effective_scale_up_rules(spec), effective_scale_down_rules(spec, options),
                        current_replicas, desired, now, state);
    }
    state.last_scale_time = now;
    d.desired_replicas = desired;
    d.rescale = true;
    d.reason = "scale " + std::string(desired > current_replicas ? "up" : "down") + " from " +
               std::to_string(current_replicas) + " to " + replicas_text(desired) + ": " +
               reason_detail;
  } else {
    d.desired_replicas = current_replicas;
    d.reason = "keep " + replicas_text(current_replicas) + ": " + reason_detail;
  }
  return d;
}

}  // namespace kubesim::policies
