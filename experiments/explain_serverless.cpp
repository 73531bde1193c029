// kubesim explain for KEDA ScaledObjects, Knative PodAutoscalers and kubesim
// PredictiveAutoscalers: one decision of each at `now` from a cluster state, with the
// controllers' memory taken from the objects' status and kubesim.io/* annotations
// (experiments/explain_autoscalers.hpp lists them; docs/autoscaling.md).
//
// Upstream behaviour reproduced through the policies (this file only gathers inputs and
// words the reasons):
//   KEDA v2.x     pkg/scaling/executor/scale_scaledobjects.go (RequestScale: 0 <-> N,
//                 cooldown from status.lastActiveTime), pkg/scaling/scale_handler.go (active
//                 = value > activationThreshold), pkg/fallback/fallback.go (health failures),
//                 pkg/controller/hpa.go (the generated HPA) -> policies/keda.hpp, hpa.hpp;
//   Knative       pkg/autoscaler/scaling/autoscaler.go (Scale), pkg/reconciler/autoscaling/
//                 kpa/scaler.go and kpa.go (bounds, scale to zero, Active) -> policies/kpa.hpp;
//                 the stable and panic windows from kubesim.io/load-history through
//                 KpaAutoscaler::record + scale (pkg/autoscaler/aggregation/bucketing.go,
//                 linear or weightedExponential as the PA's metric-aggregation-algorithm
//                 annotation says), the code path KpaController runs; window averages only
//                 as the fallback;
//   kubesim       policies/predictive.hpp.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "experiments/explain_autoscalers_detail.hpp"
#include "models/selectors.hpp"

namespace kubesim::experiments::detail {
namespace {

std::string key_of(const models::ObjectMeta& m) { return m.namespace_ + "/" + m.name; }

std::optional<ScaleTarget> find_target(const scenarios::Manifests& state, const std::string& ns,
                                       const models::CrossVersionObjectReference& ref,
                                       const AutoscalerExplainOptions& options) {
  std::optional<ScaleTarget> t = builtin_target(state, ns, ref.kind, ref.name);
  if (!t && options.resolve_target) t = options.resolve_target(state, ns, ref.kind, ref.name);
  return t;
}

std::string missing_target(const std::string& controller,
                           const models::CrossVersionObjectReference& ref, const std::string& ns) {
  return "the " + controller + " was unable to get the target's current scale: " + ref.kind + " " +
         ns + "/" + ref.name + " not found";
}

// An annotation holding a JSON object; nullopt when absent.
sim::Result<std::optional<json>> annotation_object(const AnnotationSubject& subject,
                                                   std::string_view key) {
  const std::string* text = subject.annotations->find(key);
  if (text == nullptr) return std::optional<json>{};
  json parsed = json::parse(*text, nullptr, false);
  if (parsed.is_discarded()) return bad_annotation(subject, key, "not valid JSON");
  if (!parsed.is_object()) return bad_annotation(subject, key, "expected a JSON object");
  return std::optional<json>{std::move(parsed)};
}

sim::Result<double> non_negative(const AnnotationSubject& subject, std::string_view key,
                                 const json& v, const char* field) {
  if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0) {
    return bad_annotation(subject, key,
                          std::string("\"") + field + "\" must be a number >= 0, got " + v.dump());
  }
  return v.get<double>();
}

// ---- KEDA ----------------------------------------------------------------------------------

std::string keda_trigger_text(const ExplainKeda& k, std::size_t i) {
  std::string s = k.metrics[i];
  if (!k.values[i]) {
    return s + ": scaler failed (" + std::to_string(k.failures_before[i] + 1) +
           " consecutive failures)";
  }
  const bool active = k.poll.trigger_active[i];
  return s + " = " + fmt_number(*k.values[i]) + (active ? " > " : " <= ") + "activationThreshold " +
         fmt_number(k.activation_thresholds[i]) + (active ? " (active)" : " (inactive)");
}

sim::Status explain_one_keda(const scenarios::Manifests& state, const models::ScaledObject& so,
                             AutoscalerExplanation& out, std::int64_t origin,
                             const AutoscalerExplainOptions& options) {
  const std::string& ns = so.metadata.namespace_;
  const AnnotationSubject subject{"ScaledObject " + key_of(so.metadata), &so.metadata.annotations};
  const auto& ref = so.spec.scale_target_ref;
  ExplainAutoscaler a;
  a.kind = "ScaledObject";
  a.name = key_of(so.metadata);
  a.target = ref.kind + "/" + ref.name;
  a.min_replicas = so.spec.min_replica_count;
  a.max_replicas = so.spec.max_replica_count;
  ExplainKeda k;
  const models::HorizontalPodAutoscaler hpa = policies::keda_hpa_for(so);
  k.hpa_name = hpa.metadata.name;
  const std::size_t n = so.spec.triggers.size();
  for (std::size_t i = 0; i < n; ++i) {
    k.metrics.push_back(policies::keda_external_metric_name(so.spec.triggers[i], i));
    k.activation_thresholds.push_back(
        static_cast<double>(so.spec.triggers[i].activation_threshold_milli) / 1000.0);
  }
  auto list = annotation_list(subject, kTriggerValuesAnnotation);
  if (!list) return list.status();
  if (*list) {
    if ((*list)->size() != n) {
      return bad_annotation(subject, kTriggerValuesAnnotation,
                            "expected " + std::to_string(n) + " value" + (n == 1 ? "" : "s") +
                                " (one per trigger, in trigger order), got " +
                                std::to_string((*list)->size()));
    }
    for (const json& v : **list) {
      if (v.is_null()) {
        k.values.emplace_back(std::nullopt);
        continue;
      }
      auto milli = quantity_milli(subject, kTriggerValuesAnnotation, v);
      if (!milli) return milli.status();
      k.values.emplace_back(static_cast<double>(*milli) / 1000.0);
    }
  }
  const std::optional<ScaleTarget> target = find_target(state, ns, ref, options);
  if (!target) {
    a.error = missing_target("KEDA operator", ref, ns);
    a.reason = "no change: " + a.error;
    a.keda = std::move(k);
    out.autoscalers.push_back(std::move(a));
    return {};
  }
  a.current_replicas = target->spec_replicas;
  a.desired_replicas = target->spec_replicas;
  if (!*list) {
    a.error = "no " + std::string(kTriggerValuesAnnotation) +
              " annotation: give one value per trigger as its scaler returns it, e.g. '[\"35\"]' "
              "(null: the scaler failed)";
    a.reason = "no change: " + a.error;
    a.keda = std::move(k);
    out.autoscalers.push_back(std::move(a));
    return {};
  }
  // The operator's memory: status.lastActiveTime and status.health[metric].numberOfFailures.
  policies::KedaState keda(so, so.metadata.creation_timestamp);
  std::vector<std::int32_t> failures(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    for (const auto& h : so.status.health) {
      if (h.metric == k.metrics[i]) failures[i] = h.number_of_failures;
    }
  }
  k.failures_before = failures;
  keda.restore(so.status.last_active_time, failures);
  k.poll = keda.poll(out.now, target->spec_replicas, k.values);
  k.conditions = policies::keda_conditions(k.poll);
  if (k.poll.last_active_time)
    k.last_active_time = format_rfc3339(origin + *k.poll.last_active_time);
  const std::int32_t after = k.poll.replicas.value_or(target->spec_replicas);
  k.replicas_after_operator = after;

  std::string reason;
  for (std::size_t i = 0; i < n; ++i) reason += (i == 0 ? "" : ", ") + keda_trigger_text(k, i);
  if (k.poll.replicas && target->spec_replicas == 0 && after > 0) {
    reason = "activation: " + reason + " -> scale 0 -> " + std::to_string(after) +
             " (max(minReplicaCount " + std::to_string(so.spec.min_replica_count) + ", 1))";
  } else if (k.poll.replicas && after < target->spec_replicas) {
    reason = "deactivation: " + reason + "; " + k.poll.why;
    if (so.status.last_active_time) {
      reason += " (lastActiveTime " + format_rfc3339(origin + *so.status.last_active_time) + " + " +
                std::to_string(so.spec.cooldown_period_seconds) + "s < now)";
    }
  } else {
    reason += "; " + k.poll.why;
  }
  if (after > 0) {
    HpaReconcileExtras extras;
    extras.external_metrics = keda.external_metrics(k.values);
    extras.current_replicas = after;
    auto h = reconcile_hpa(state, hpa, subject, out.now, origin, options, extras);
    if (!h) return h.status();
    k.hpa_reconciled = true;
    a.decision = h->decision;
    a.history_given = h->history_given;
    a.error = h->error;
    a.desired_replicas = h->desired_replicas;
    reason += "; then HPA " + k.hpa_name + ": " + h->reason;
  } else {
    a.desired_replicas = after;
    reason +=
        "; HPA " + k.hpa_name + " not consulted: the target is at 0 replicas (ScalingDisabled)";
  }
  a.reason = std::move(reason);
  a.keda = std::move(k);
  out.autoscalers.push_back(std::move(a));
  return {};
}

// ---- Knative KPA ---------------------------------------------------------------------------

std::int32_t ready_pods_of(const scenarios::Manifests& state, const std::string& ns,
                           const ScaleTarget& target) {
  auto matcher = models::label_selector_as_matcher(target.selector);
  if (!target.selector || !matcher || matcher->empty()) return 0;
  std::int32_t ready = 0;
  for (const auto& p : state.pods) {
    if (p.metadata.namespace_ != ns || !matcher->matches(p.metadata.labels)) continue;
    if (p.ready() && !p.metadata.being_deleted() && !p.terminal()) ++ready;
  }
  return ready;
}

std::string kpa_reason(const ExplainKpa& k, std::int32_t current) {
  const policies::KpaDecision& d = k.decision;
  const policies::KpaScaleResult& r = d.decider;
  const policies::KpaConfig& c = k.config;
  std::string o;
  if (!r.valid) {
    o = "no data in the stable window";
    if (k.from_history) {
      o += " (" + sim::format_duration(c.stable_window) + " before now, of " +
           std::to_string(k.history_samples) + " samples)";
    }
    if (d.desired >= 0) o += ": the last decision " + std::to_string(d.desired) + " stands";
  } else {
    const double ready = std::max(1, k.ready_pods);
    const double ratio = r.desired_panic_pods / ready;
    const bool over = ratio >= c.panic_threshold;
    o = d.panicking ? "panic: " : "stable: ";
    // The weightedExponential windows say so (the linear average is the default and unnamed).
    const std::string algorithm = c.aggregation == policies::KpaAggregation::kLinear
                                      ? std::string()
                                      : " " + std::string(policies::to_string(c.aggregation));
    o += k.metric + " stable " + fmt_number(r.observed_stable);
    if (k.from_history) o += " (" + sim::format_duration(c.stable_window) + algorithm + " window)";
    o += ", panic " + fmt_number(r.observed_panic);
    if (k.from_history) o += " (" + sim::format_duration(c.panic_window) + algorithm + " window)";
    o += " / target " + fmt_number(c.target_value) + " per pod -> " +
         fmt_number(r.desired_stable_pods) + " / " + fmt_number(r.desired_panic_pods) + " pods";
    if (over) {
      o += "; " + fmt_number(r.desired_panic_pods) + " pods for " + fmt_number(ready) +
           " ready = " + fmt_number(ratio) + "x >= panic threshold " +
           fmt_number(c.panic_threshold) + "x (" +
           (k.panicking_before ? "panic extended" : "panic entered") + ")";
    } else if (k.panicking_before && d.panicking) {
      o += "; under the panic threshold but panicking until a stable window (" +
           sim::format_duration(c.stable_window) +
           ") after the last tick over it: the count never decreases in panic";
    } else if (k.panicking_before) {
      o += "; panic over: no tick over the threshold for the stable window";
    }
    const double want =
        d.panicking ? std::max(r.desired_stable_pods, r.desired_panic_pods) : r.desired_stable_pods;
    if (want > r.max_scale_up) {
      o += "; capped by max-scale-up-rate " + fmt_number(c.max_scale_up_rate) + " x " +
           fmt_number(ready) + " ready = " + fmt_number(r.max_scale_up);
    } else if (want < r.max_scale_down) {
      o += "; floored by max-scale-down-rate: " + fmt_number(ready) + " ready / " +
           fmt_number(c.max_scale_down_rate) + " = " + fmt_number(r.max_scale_down);
    }
    o += " -> " + std::to_string(r.desired_pod_count);
  }
  if (!d.scaling.empty()) o += "; " + d.scaling;
  if (d.replicas && *d.replicas != current) {
    o += "; scale " + std::to_string(current) + " -> " + std::to_string(*d.replicas);
  } else {
    o += "; no change at " + std::to_string(current);
  }
  o += " (PA " + std::string(policies::to_string(d.activity)) + ")";
  if (k.from_history) {
    o += "; windows computed from " + std::to_string(k.history_samples) + " per-second samples (" +
         std::string(kLoadHistoryAnnotation) + ")";
  } else {
    o += "; window averages as given (" + std::string(kObservedMetricsAnnotation) + "; no " +
         std::string(kLoadHistoryAnnotation) + ")";
  }
  return o;
}

// kubesim.io/load-history on a PodAutoscaler: the collector's per-second records of the
// revision's total (concurrency or requests per second), oldest first, none after now.
struct KpaSample {
  sim::Time at = 0;
  double value = 0;
};

sim::Result<std::optional<std::vector<KpaSample>>> kpa_history(const AnnotationSubject& subject,
                                                               sim::Time now, std::int64_t origin) {
  const std::string_view key = kLoadHistoryAnnotation;
  auto list = annotation_list(subject, key);
  if (!list) return list.status();
  if (!*list) return std::optional<std::vector<KpaSample>>{};
  std::vector<KpaSample> samples;
  samples.reserve((**list).size());
  for (const json& s : **list) {
    auto t = entry_time(subject, key, s, origin);
    if (!t) return t.status();
    if (!s.contains("value")) return bad_annotation(subject, key, "every entry needs \"value\"");
    auto v = non_negative(subject, key, s["value"], "value");
    if (!v) return v.status();
    if (*t > now) {
      return bad_annotation(subject, key,
                            "sample at " + s["time"].get<std::string>() + " is after now");
    }
    if (!samples.empty() && *t < samples.back().at) {
      return bad_annotation(subject, key,
                            "samples must be oldest first: " + s["time"].get<std::string>() +
                                " comes after a later one");
    }
    samples.push_back(KpaSample{*t, *v});
  }
  return std::optional<std::vector<KpaSample>>{std::move(samples)};
}

sim::Status explain_one_kpa(const scenarios::Manifests& state, const models::PodAutoscaler& pa,
                            AutoscalerExplanation& out, std::int64_t origin,
                            const AutoscalerExplainOptions& options) {
  const std::string& ns = pa.metadata.namespace_;
  const AnnotationSubject subject{"PodAutoscaler " + key_of(pa.metadata), &pa.metadata.annotations};
  const auto& ref = pa.spec.scale_target_ref;
  const std::string_view key = kObservedMetricsAnnotation;
  ExplainAutoscaler a;
  a.kind = "PodAutoscaler";
  a.name = key_of(pa.metadata);
  a.target = ref.kind + "/" + ref.name;
  ExplainKpa k;
  k.config = policies::kpa_config_for(
      pa, state.knative_autoscaler_config.value_or(policies::KpaClusterConfig{}));
  k.metric = k.config.metric == policies::KpaMetric::kRps ? "rps" : "concurrency";
  a.min_replicas = k.config.min_scale;
  a.max_replicas = k.config.max_scale;

  // The per-second history first: with it the windows are computed, as the running
  // autoscaler computes them; the averages of kubesim.io/observed-metrics are the fallback.
  auto history = kpa_history(subject, out.now, origin);
  if (!history) return history.status();
  auto observed = annotation_object(subject, key);
  if (!observed) return observed.status();
  std::optional<sim::Time> panic_time;
  std::optional<std::int32_t> max_panic_pods;
  if (*observed) {
    const json& o = **observed;
    for (const auto& [field, v] : o.items()) {
      if (field != "stable" && field != "panic" && field != "panicTime" &&
          field != "maxPanicPods") {
        return bad_annotation(
            subject, key,
            "unknown field \"" + field + "\" (expected stable, panic, panicTime, maxPanicPods)");
      }
    }
    if (*history) {
      if (o.contains("stable") || o.contains("panic")) {
        return bad_annotation(subject, key,
                              "\"stable\" and \"panic\" are computed from " +
                                  std::string(kLoadHistoryAnnotation) +
                                  " when it is given: keep only panicTime and maxPanicPods");
      }
    } else {
      if (!o.contains("stable")) {
        return bad_annotation(subject, key,
                              "\"stable\" is required: the stable window's average " + k.metric);
      }
      auto stable = non_negative(subject, key, o["stable"], "stable");
      if (!stable) return stable.status();
      k.observed_stable = *stable;
      if (o.contains("panic")) {
        auto panic = non_negative(subject, key, o["panic"], "panic");
        if (!panic) return panic.status();
        k.observed_panic = *panic;
      }
    }
    if (o.contains("panicTime")) {
      auto t = entry_time(subject, key, json{{"time", o["panicTime"]}}, origin);
      if (!t) return t.status();
      panic_time = *t;
    }
    if (o.contains("maxPanicPods")) {
      if (!o["maxPanicPods"].is_number_integer() || o["maxPanicPods"].get<std::int64_t>() < 0) {
        return bad_annotation(subject, key, "\"maxPanicPods\" must be an integer >= 0");
      }
      max_panic_pods = o["maxPanicPods"].get<std::int32_t>();
    }
  }
  const std::optional<ScaleTarget> target = find_target(state, ns, ref, options);
  if (!target) {
    a.error = missing_target("Knative autoscaler", ref, ns);
    a.reason = "no change: " + a.error;
    a.kpa = std::move(k);
    out.autoscalers.push_back(std::move(a));
    return {};
  }
  a.current_replicas = target->spec_replicas;
  a.desired_replicas = target->spec_replicas;
  if (!*history && !k.observed_stable) {
    a.error = "no " + std::string(kLoadHistoryAnnotation) + " or " + std::string(key) +
              " annotation: give the revision's total " + k.metric +
              " per second, e.g. '[{\"time\": \"2025-09-01T08:09:59Z\", \"value\": 45}]', or the "
              "window averages, e.g. '{\"stable\": 45, \"panic\": 80}'";
    a.reason = "no change: " + a.error;
    a.kpa = std::move(k);
    out.autoscalers.push_back(std::move(a));
    return {};
  }
  k.ready_pods = ready_pods_of(state, ns, *target);
  // The PA's memory: its Active condition (True Active, False Inactive, Unknown Activating)
  // since lastTransitionTime; without a status it has been Active since it was created.
  policies::KpaAutoscaler::KpaRestoredState restored;
  restored.activity_since = pa.metadata.creation_timestamp;
  if (const models::Condition* c = models::find_condition(pa.status.conditions, "Active")) {
    restored.activity = c->status == models::ConditionStatus::kTrue ? policies::KpaActivity::kActive
                        : c->status == models::ConditionStatus::kFalse
                            ? policies::KpaActivity::kInactive
                            : policies::KpaActivity::kActivating;
    restored.activity_since = c->last_transition_time;
  }
  if (const models::Condition* c =
          models::find_condition(pa.status.conditions, "ScaleTargetInitialized")) {
    restored.scale_target_initialized = c->status == models::ConditionStatus::kTrue;
  }
  restored.panic_time = panic_time;
  restored.max_panic_pods = max_panic_pods.value_or(target->spec_replicas);
  restored.last_desired = pa.status.desired_scale;
  k.panicking_before = panic_time.has_value();
  policies::KpaAutoscaler kpa(k.config, out.now, 0);
  kpa.restore(restored);
  if (*history) {
    // The running controller's path (KpaController::second, tick): every sample recorded in
    // the stable and panic windows (Timed/WeightedFloat64Buckets by the PA's algorithm, 1 s
    // buckets), then one tick.
    k.from_history = true;
    k.history_samples = (*history)->size();
    for (const KpaSample& s : **history) kpa.record(s.at, s.value);
    k.decision = kpa.scale(out.now, k.ready_pods);
    if (k.decision.decider.valid) {
      k.observed_stable = k.decision.decider.observed_stable;
      k.observed_panic = k.decision.decider.observed_panic;
    }
  } else {
    k.decision = kpa.scale_with(out.now, k.ready_pods, k.observed_stable, k.observed_panic);
  }
  if (k.decision.replicas) a.desired_replicas = *k.decision.replicas;
  a.reason = kpa_reason(k, target->spec_replicas);
  a.kpa = std::move(k);
  out.autoscalers.push_back(std::move(a));
  return {};
}

// ---- predictive ----------------------------------------------------------------------------

sim::Status explain_one_predictive(const scenarios::Manifests& state,
                                   const models::PredictiveAutoscaler& p,
                                   AutoscalerExplanation& out, std::int64_t origin,
                                   const AutoscalerExplainOptions& options) {
  const std::string& ns = p.metadata.namespace_;
  const AnnotationSubject subject{"PredictiveAutoscaler " + key_of(p.metadata),
                                  &p.metadata.annotations};
  const auto& ref = p.spec.scale_target_ref;
  ExplainAutoscaler a;
  a.kind = "PredictiveAutoscaler";
  a.name = key_of(p.metadata);
  a.target = ref.kind + "/" + ref.name;
  a.min_replicas = p.spec.min_replicas;
  a.max_replicas = p.spec.max_replicas;
  auto made = policies::PredictiveAutoscaler::create(policies::predictive_config_for(p.spec));
  if (!made.ok()) return sim::Status::invalid_argument(subject.who + ": " + made.error());
  policies::PredictiveAutoscaler scaler = std::move(made).value();
  ExplainPredictive e;
  // Recommendations first (they must precede decide()), then the samples.
  auto recs = annotation_list(subject, kRecommendationsAnnotation);
  if (!recs) return recs.status();
  if (*recs) {
    for (const json& r : **recs) {
      auto t = entry_time(subject, kRecommendationsAnnotation, r, origin);
      if (!t) return t.status();
      if (!r.contains("replicas") || !r["replicas"].is_number_integer()) {
        return bad_annotation(subject, kRecommendationsAnnotation,
                              "every entry needs an integer \"replicas\"");
      }
      scaler.restore_recommendation(*t, r["replicas"].get<std::int32_t>());
    }
  }
  auto history = annotation_list(subject, kLoadHistoryAnnotation);
  if (!history) return history.status();
  if (*history) {
    for (const json& s : **history) {
      auto t = entry_time(subject, kLoadHistoryAnnotation, s, origin);
      if (!t) return t.status();
      if (!s.contains("value")) {
        return bad_annotation(subject, kLoadHistoryAnnotation, "every entry needs \"value\"");
      }
      auto v = non_negative(subject, kLoadHistoryAnnotation, s["value"], "value");
      if (!v) return v.status();
      if (*t > out.now) {
        return bad_annotation(subject, kLoadHistoryAnnotation,
                              "sample at " + s["time"].get<std::string>() + " is after now");
      }
      if (auto st = scaler.record(*t, *v); !st.ok()) {
        return bad_annotation(subject, kLoadHistoryAnnotation, st.message());
      }
      ++e.samples;
    }
  }
  const std::optional<ScaleTarget> target = find_target(state, ns, ref, options);
  if (!target) {
    a.error = missing_target("predictive autoscaler", ref, ns);
    a.reason = "no change: " + a.error;
    a.predictive = std::move(e);
    out.autoscalers.push_back(std::move(a));
    return {};
  }
  a.current_replicas = target->spec_replicas;
  e.decision = scaler.decide(out.now, target->spec_replicas);
  a.desired_replicas = e.decision.desired_replicas;
  a.reason = e.decision.reason;
  if (e.samples == 0) {
    a.reason += " (no " + std::string(kLoadHistoryAnnotation) + " annotation: no samples)";
  }
  a.predictive = std::move(e);
  out.autoscalers.push_back(std::move(a));
  return {};
}

json conditions_json(const std::vector<policies::HpaCondition>& conditions) {
  json out = json::array();
  for (const auto& c : conditions) {
    out.push_back({{"type", c.type},
                   {"status", c.status ? "True" : "False"},
                   {"reason", c.reason},
                   {"message", c.message}});
  }
  return out;
}

json optional_number(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

std::string fmt_number(double v) {
  std::ostringstream o;
  o.precision(6);
  o << v;
  return o.str();
}

sim::Status explain_keda(const scenarios::Manifests& state, AutoscalerExplanation& out,
                         std::int64_t origin, const AutoscalerExplainOptions& options) {
  for (const auto& so : state.scaled_objects) {
    if (auto st = explain_one_keda(state, so, out, origin, options); !st.ok()) return st;
  }
  return {};
}

sim::Status explain_kpa(const scenarios::Manifests& state, AutoscalerExplanation& out,
                        std::int64_t origin, const AutoscalerExplainOptions& options) {
  for (const auto& pa : state.pod_autoscalers) {
    if (auto st = explain_one_kpa(state, pa, out, origin, options); !st.ok()) return st;
  }
  return {};
}

sim::Status explain_predictive(const scenarios::Manifests& state, AutoscalerExplanation& out,
                               std::int64_t origin, const AutoscalerExplainOptions& options) {
  for (const auto& p : state.predictive_autoscalers) {
    if (auto st = explain_one_predictive(state, p, out, origin, options); !st.ok()) return st;
  }
  return {};
}

void add_serverless_json(const ExplainAutoscaler& a, json& out) {
  if (a.keda) {
    const ExplainKeda& k = *a.keda;
    json triggers = json::array();
    for (std::size_t i = 0; i < k.metrics.size(); ++i) {
      const bool has = i < k.values.size();
      triggers.push_back({{"metric", k.metrics[i]},
                          {"value", has ? optional_number(k.values[i]) : json(nullptr)},
                          {"activationThreshold", k.activation_thresholds[i]},
                          {"active", i < k.poll.trigger_active.size() && k.poll.trigger_active[i]},
                          {"failures", i < k.failures_before.size() ? k.failures_before[i] : 0}});
    }
    out["keda"] = {
        {"triggers", std::move(triggers)},
        {"active", k.poll.active},
        {"scalerError", k.poll.error},
        {"fallback", k.poll.fallback},
        {"operatorReplicas", k.poll.replicas ? json(*k.poll.replicas) : json(nullptr)},
        {"replicasAfterOperator", k.replicas_after_operator},
        {"operator", k.poll.why},
        {"lastActiveTime", k.last_active_time.empty() ? json(nullptr) : json(k.last_active_time)},
        {"hpa", k.hpa_name},
        {"hpaReconciled", k.hpa_reconciled},
        {"scaledObjectConditions", conditions_json(k.conditions)},
    };
  }
  if (a.kpa) {
    const ExplainKpa& k = *a.kpa;
    const policies::KpaDecision& d = k.decision;
    out["kpa"] = {
        {"metric", k.metric},
        {"targetPerPod", k.config.target_value},
        {"totalPerPod", k.config.total_value},
        {"readyPods", k.ready_pods},
        {"windows", k.from_history ? "history" : "averages"},
        {"aggregation", std::string(policies::to_string(k.config.aggregation))},
        {"historySamples", k.history_samples},
        {"stableWindow", sim::format_duration(k.config.stable_window)},
        {"panicWindow", sim::format_duration(k.config.panic_window)},
        {"observedStable", optional_number(k.observed_stable)},
        {"observedPanic", optional_number(k.observed_panic)},
        {"desiredStablePods",
         d.decider.valid ? json(d.decider.desired_stable_pods) : json(nullptr)},
        {"desiredPanicPods", d.decider.valid ? json(d.decider.desired_panic_pods) : json(nullptr)},
        {"maxScaleUp", d.decider.valid ? json(d.decider.max_scale_up) : json(nullptr)},
        {"maxScaleDown", d.decider.valid ? json(d.decider.max_scale_down) : json(nullptr)},
        {"panicThreshold", k.config.panic_threshold},
        {"panicking", d.panicking},
        {"deciderDesired", d.decider.valid ? json(d.decider.desired_pod_count) : json(nullptr)},
        {"replicas", d.replicas ? json(*d.replicas) : json(nullptr)},
        {"activity", std::string(policies::to_string(d.activity))},
        {"activatorInPath", d.activator_in_path},
        {"excessBurstCapacity", d.excess_burst_capacity},
    };
  }
  if (a.predictive) {
    const ExplainPredictive& e = *a.predictive;
    const policies::PredictiveDecision& d = e.decision;
    out["predictive"] = {
        {"samples", e.samples},
        {"model", d.model},
        {"currentLoad", d.has_load ? json(d.current_load) : json(nullptr)},
        {"forecastLoad", d.forecast_ok ? json(d.forecast_load) : json(nullptr)},
        {"leadTime", sim::format_duration(d.horizon)},
        {"recommendedReplicas", d.recommended_replicas},
        {"stabilizedReplicas", d.stabilized_replicas},
    };
  }
}

std::string serverless_table_lines(const ExplainAutoscaler& a) {
  std::ostringstream o;
  if (a.keda) {
    const ExplainKeda& k = *a.keda;
    for (std::size_t i = 0; i < k.metrics.size() && i < k.values.size(); ++i) {
      o << "  trigger " << keda_trigger_text(k, i) << "\n";
    }
    for (const auto& c : k.conditions) {
      o << "  ScaledObject " << c.type << "=" << (c.status ? "True" : "False") << " " << c.reason
        << "\n";
    }
    if (!k.last_active_time.empty()) o << "  lastActiveTime " << k.last_active_time << "\n";
    if (k.hpa_reconciled) o << "  generated HPA " << k.hpa_name << ":\n";
  }
  if (a.kpa && !a.kpa->decision.reason.empty()) {
    const ExplainKpa& k = *a.kpa;
    o << "  " << k.metric << " target " << fmt_number(k.config.target_value) << " per pod (of "
      << fmt_number(k.config.total_value) << "), ready pods " << k.ready_pods
      << ", activator in path: " << (k.decision.activator_in_path ? "yes" : "no")
      << ", excess burst capacity " << k.decision.excess_burst_capacity << "\n";
  }
  if (a.predictive) {
    const auto& d = a.predictive->decision;
    o << "  " << a.predictive->samples << " samples, model " << d.model << ", recommended "
      << d.recommended_replicas << ", stabilized " << d.stabilized_replicas << "\n";
  }
  return o.str();
}

}  // namespace kubesim::experiments::detail
