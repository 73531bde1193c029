#include "experiments/explain_autoscalers.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "experiments/explain_autoscalers_detail.hpp"
#include "experiments/text_format.hpp"
#include "models/aiservice.hpp"
#include "models/quantity.hpp"
#include "models/selectors.hpp"

namespace kubesim::experiments {
namespace detail {

sim::Status bad_annotation(const AnnotationSubject& hpa, std::string_view key,
                           const std::string& what) {
  return sim::Status::invalid_argument(hpa.who + ": annotation " + std::string(key) + ": " + what);
}

// An annotation holding a JSON list; nullopt when absent.
sim::Result<std::optional<json>> annotation_list(const AnnotationSubject& hpa,
                                                 std::string_view key) {
  const std::string* text = hpa.annotations->find(key);
  if (text == nullptr) return std::optional<json>{};
  json parsed = json::parse(*text, nullptr, false);
  if (parsed.is_discarded()) return bad_annotation(hpa, key, "not valid JSON");
  if (!parsed.is_array()) return bad_annotation(hpa, key, "expected a JSON list");
  return std::optional<json>{std::move(parsed)};
}

// A history entry's "time" as simulation time.
sim::Result<sim::Time> entry_time(const AnnotationSubject& hpa, std::string_view key,
                                  const json& entry, std::int64_t origin) {
  if (!entry.is_object() || !entry.contains("time") || !entry["time"].is_string()) {
    return bad_annotation(hpa, key, "every entry needs \"time\" (RFC 3339)");
  }
  auto unix_ns = scenarios::parse_rfc3339(entry["time"].get<std::string>());
  if (!unix_ns) {
    return bad_annotation(hpa, key,
                          "invalid RFC 3339 time \"" + entry["time"].get<std::string>() + "\"");
  }
  return *unix_ns - origin;
}

sim::Result<std::int32_t> entry_int(const AnnotationSubject& hpa, std::string_view key,
                                    const json& entry, const char* field) {
  if (!entry.contains(field) || !entry[field].is_number_integer()) {
    return bad_annotation(hpa, key, std::string("every entry needs an integer \"") + field + "\"");
  }
  return entry[field].get<std::int32_t>();
}

sim::Result<std::int64_t> quantity_milli(const AnnotationSubject& hpa, std::string_view key,
                                         const json& v) {
  std::string text;
  if (v.is_string()) {
    text = v.get<std::string>();
  } else if (v.is_number()) {
    text = v.dump();
  } else {
    return bad_annotation(hpa, key, "expected a quantity such as \"12\", \"500m\" or \"2k\"");
  }
  auto q = models::parse_quantity(text);
  if (!q) return bad_annotation(hpa, key, "\"" + text + "\": " + q.error());
  return q->milli_value();
}

// The controller's memory for this HPA, from its annotations.
sim::Result<policies::HpaState> history(const AnnotationSubject& hpa, std::int64_t origin) {
  policies::HpaState state;
  auto recs = annotation_list(hpa, kRecommendationsAnnotation);
  if (!recs) return recs.status();
  if (*recs) {
    state.recommendations.emplace();
    for (const json& e : **recs) {
      auto t = entry_time(hpa, kRecommendationsAnnotation, e, origin);
      if (!t) return t.status();
      auto n = entry_int(hpa, kRecommendationsAnnotation, e, "replicas");
      if (!n) return n.status();
      state.recommendations->push_back({*n, *t});
    }
  }
  auto events = annotation_list(hpa, kScaleEventsAnnotation);
  if (!events) return events.status();
  if (*events) {
    for (const json& e : **events) {
      auto t = entry_time(hpa, kScaleEventsAnnotation, e, origin);
      if (!t) return t.status();
      auto n = entry_int(hpa, kScaleEventsAnnotation, e, "change");
      if (!n) return n.status();
      if (*n > 0) state.scale_up_events.push_back({*n, *t, false});
      if (*n < 0) state.scale_down_events.push_back({-*n, *t, false});
    }
  }
  return state;
}

sim::Status metric_values(const AnnotationSubject& hpa, policies::HpaInputs& in) {
  const std::string_view key = kMetricValuesAnnotation;
  auto list = annotation_list(hpa, key);
  if (!list) return list.status();
  if (!*list) return {};
  for (const json& e : **list) {
    if (!e.is_object() || !e.contains("type") || !e["type"].is_string() || !e.contains("name") ||
        !e["name"].is_string()) {
      return bad_annotation(hpa, key, "every entry needs \"type\" and \"name\"");
    }
    const std::string type = e["type"].get<std::string>();
    const std::string name = e["name"].get<std::string>();
    if (type == "Pods") {
      if (!e.contains("pods") || !e["pods"].is_object()) {
        return bad_annotation(hpa, key, "a Pods entry needs \"pods\": {pod name: quantity}");
      }
      policies::HpaPodsMetric m;
      m.metric = name;
      for (const auto& [pod, v] : e["pods"].items()) {
        auto milli = quantity_milli(hpa, key, v);
        if (!milli) return milli.status();
        m.values.push_back({pod, *milli});
      }
      in.pods_metrics.push_back(std::move(m));
    } else if (type == "Object") {
      if (!e.contains("kind") || !e["kind"].is_string() || !e.contains("object") ||
          !e["object"].is_string() || !e.contains("value")) {
        return bad_annotation(
            hpa, key, "an Object entry needs \"kind\", \"object\" (its name) and \"value\"");
      }
      auto milli = quantity_milli(hpa, key, e["value"]);
      if (!milli) return milli.status();
      in.object_metrics.push_back(
          {name, e["kind"].get<std::string>(), e["object"].get<std::string>(), *milli});
    } else if (type == "External") {
      if (!e.contains("values") || !e["values"].is_array()) {
        return bad_annotation(hpa, key, "an External entry needs \"values\": [quantity, ...]");
      }
      policies::HpaExternalMetric m;
      m.metric = name;
      for (const json& v : e["values"]) {
        auto milli = quantity_milli(hpa, key, v);
        if (!milli) return milli.status();
        m.values_milli.push_back(*milli);
      }
      in.external_metrics.push_back(std::move(m));
    } else {
      return bad_annotation(hpa, key,
                            "unknown type \"" + type + "\" (expected Pods, Object or External)");
    }
  }
  return {};
}

std::optional<ScaleTarget> builtin_target(const scenarios::Manifests& state, const std::string& ns,
                                          const std::string& kind, const std::string& name) {
  if (kind == "Deployment") {
    for (const auto& d : state.deployments) {
      if (d.metadata.namespace_ == ns && d.metadata.name == name) {
        return ScaleTarget{d.spec.replicas, d.status.replicas, d.spec.selector};
      }
    }
  } else if (kind == models::kAIServiceKind) {
    // The AIService's /scale: spec.replicas (its effective count), status.replicas and
    // the labelSelectorPath .status.selector (app=<name> when the status has none yet).
    for (const auto& a : state.aiservices) {
      if (a.metadata.namespace_ != ns || a.metadata.name != name) continue;
      auto selector = models::parse_to_label_selector(
          a.status.selector.empty() ? "app=" + a.metadata.name : a.status.selector);
      return ScaleTarget{a.desired_replicas(), a.status.replicas,
                         selector.ok() ? std::optional(selector.value()) : std::nullopt};
    }
  } else if (kind == "ReplicaSet") {
    for (const auto& r : state.replica_sets) {
      if (r.metadata.namespace_ == ns && r.metadata.name == name) {
        return ScaleTarget{r.spec.replicas, r.status.replicas, r.spec.selector};
      }
    }
  }
  return std::nullopt;
}

// The latest time found in the state (simulation time).
sim::Time latest_time(const scenarios::Manifests& state) {
  sim::Time t = 0;
  for (const auto& m : state.pod_metrics) t = std::max(t, m.timestamp);
  for (const auto& p : state.pods) {
    t = std::max(t, p.metadata.creation_timestamp);
    if (p.status.start_time) t = std::max(t, *p.status.start_time);
    for (const auto& c : p.status.conditions) t = std::max(t, c.last_transition_time);
  }
  for (const auto& h : state.horizontal_pod_autoscalers) {
    t = std::max(t, h.metadata.creation_timestamp);
  }
  for (const auto& so : state.scaled_objects) {
    t = std::max(t, so.metadata.creation_timestamp);
    if (so.status.last_active_time) t = std::max(t, *so.status.last_active_time);
  }
  for (const auto& pa : state.pod_autoscalers) {
    t = std::max(t, pa.metadata.creation_timestamp);
    for (const auto& c : pa.status.conditions) t = std::max(t, c.last_transition_time);
  }
  for (const auto& p : state.predictive_autoscalers) {
    t = std::max(t, p.metadata.creation_timestamp);
  }
  return t;
}

std::string fmt_ratio(double r) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", r);
  return buf;
}

sim::Result<ExplainAutoscaler> reconcile_hpa(const scenarios::Manifests& state,
                                             const models::HorizontalPodAutoscaler& hpa,
                                             const AnnotationSubject& subject, sim::Time now,
                                             std::int64_t origin,
                                             const AutoscalerExplainOptions& options,
                                             const HpaReconcileExtras& extras) {
  ExplainAutoscaler a;
  const auto& ref = hpa.spec.scale_target_ref;
  const std::string& ns = hpa.metadata.namespace_;
  a.name = ns + "/" + hpa.metadata.name;
  a.target = ref.kind + "/" + ref.name;
  a.min_replicas = hpa.spec.min_replicas.value_or(1);
  a.max_replicas = hpa.spec.max_replicas;
  auto state_or = history(subject, origin);
  if (!state_or) return state_or.status();
  policies::HpaState hpa_state = std::move(*state_or);
  a.history_given = hpa_state.recommendations.has_value();

  std::optional<ScaleTarget> target = builtin_target(state, ns, ref.kind, ref.name);
  if (!target && options.resolve_target)
    target = options.resolve_target(state, ns, ref.kind, ref.name);
  if (!target) {
    // upstream: AbleToScale=False FailedGetScale, no change.
    a.error = "the HPA controller was unable to get the target's current scale: " + ref.kind + " " +
              ns + "/" + ref.name + " not found";
    a.reason = "no change: " + a.error;
    a.decision.conditions.push_back({"AbleToScale", false, "FailedGetScale", a.error});
    return a;
  }
  policies::HpaInputs in;
  in.status_replicas = target->status_replicas;
  auto matcher = models::label_selector_as_matcher(target->selector);
  in.has_selector = target->selector.has_value() && matcher && !matcher->empty();
  std::vector<std::string> pod_names;
  if (in.has_selector) {
    for (const auto& p : state.pods) {
      if (p.metadata.namespace_ != ns || !matcher->matches(p.metadata.labels)) continue;
      in.pods.push_back(&p);
      pod_names.push_back(p.metadata.name);
    }
    std::sort(pod_names.begin(), pod_names.end());
    for (const auto& m : state.pod_metrics) {
      if (m.metadata.namespace_ != ns) continue;
      const bool named = std::binary_search(pod_names.begin(), pod_names.end(), m.metadata.name);
      const bool labelled = !m.metadata.labels.empty() && matcher->matches(m.metadata.labels);
      if (named || labelled) in.resource_metrics.push_back(&m);
    }
  }
  if (extras.external_metrics) {
    in.external_metrics = *extras.external_metrics;
  } else if (auto st = metric_values(subject, in); !st.ok()) {
    return st;
  }
  const std::int32_t current = extras.current_replicas.value_or(target->spec_replicas);
  a.decision = policies::decide(hpa, current, in, now, hpa_state, options.hpa);
  a.current_replicas = a.decision.current_replicas;
  // What the target's replicas are after this reconcile: a failed reconcile changes
  // nothing (upstream keeps the old status.desiredReplicas, which a state does not carry).
  a.desired_replicas =
      a.decision.rescale ? a.decision.desired_replicas : a.decision.current_replicas;
  a.reason = a.decision.reason;
  a.error = a.decision.error;
  if (!a.history_given && a.decision.stabilization == "ScaleDownStabilized") {
    a.reason += " (no " + std::string(kRecommendationsAnnotation) +
                " annotation: the first reconcile of a fresh controller, whose first "
                "recommendation is the current replica count)";
  }
  return a;
}

}  // namespace detail

using namespace detail;

std::string format_rfc3339(std::int64_t unix_ns) {
  std::int64_t secs = unix_ns / sim::kSecond;
  std::int64_t frac = unix_ns % sim::kSecond;
  if (frac < 0) {
    frac += sim::kSecond;
    --secs;
  }
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // Howard Hinnant's civil_from_days.
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y0 = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = y0 + (m <= 2);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld", static_cast<long long>(y),
                m, d, static_cast<long long>(rem / 3600), static_cast<long long>(rem / 60 % 60),
                static_cast<long long>(rem % 60));
  std::string out = buf;
  if (frac != 0) {
    std::snprintf(buf, sizeof buf, ".%09lld", static_cast<long long>(frac));
    std::string f = buf;
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out + "Z";
}

sim::Result<AutoscalerExplanation> explain_autoscalers(const scenarios::Manifests& state,
                                                       std::optional<std::int64_t> now_unix_ns,
                                                       const AutoscalerExplainOptions& options) {
  AutoscalerExplanation out;
  const std::int64_t origin = state.time_origin_unix_ns.value_or(0);
  if (now_unix_ns) {
    out.now = *now_unix_ns - origin;
    out.now_unix_ns = now_unix_ns;
  } else {
    out.now = latest_time(state);
    if (state.time_origin_unix_ns) out.now_unix_ns = origin + out.now;
  }
  for (const models::HorizontalPodAutoscaler& hpa : state.horizontal_pod_autoscalers) {
    const AnnotationSubject subject{
        "HorizontalPodAutoscaler " + hpa.metadata.namespace_ + "/" + hpa.metadata.name,
        &hpa.metadata.annotations};
    auto a = reconcile_hpa(state, hpa, subject, out.now, origin, options, {});
    if (!a) return a.status();
    out.autoscalers.push_back(std::move(a).value());
  }
  if (auto st = explain_keda(state, out, origin, options); !st.ok()) return st;
  if (auto st = explain_kpa(state, out, origin, options); !st.ok()) return st;
  if (auto st = explain_predictive(state, out, origin, options); !st.ok()) return st;
  return out;
}

namespace {

json autoscaler_json(const ExplainAutoscaler& a) {
  const policies::HpaDecision& d = a.decision;
  json metrics = json::array();
  for (const auto& p : d.proposals) {
    json m = {{"metric", p.metric}, {"valid", p.valid}};
    if (!p.valid) {
      m["error"] = p.error;
    } else {
      m["replicas"] = p.replicas;
      m["ratio"] = p.usage_ratio;
      m["adjustedRatio"] = p.adjusted_ratio ? json(*p.adjusted_ratio) : json(nullptr);
      m["currentUtilization"] =
          p.current_utilization ? json(*p.current_utilization) : json(nullptr);
      m["currentValueMilli"] = p.current_value_milli;
      m["target"] = p.target_milli;
      m["tolerance"] = p.tolerance;
    }
    m["readyPods"] = p.ready_pods;
    m["unreadyPods"] = p.unready_pods;
    m["missingPods"] = p.missing_pods;
    m["ignoredPods"] = p.ignored_pods;
    metrics.push_back(std::move(m));
  }
  json conditions = json::array();
  for (const auto& c : d.conditions) {
    conditions.push_back({{"type", c.type},
                          {"status", c.status ? "True" : "False"},
                          {"reason", c.reason},
                          {"message", c.message}});
  }
  json j{
      {"name", a.name},
      {"kind", a.kind},
      {"target", a.target},
      {"currentReplicas", a.current_replicas},
      {"desiredReplicas", a.desired_replicas},
      {"reason", a.reason},
      {"minReplicas", a.min_replicas},
      {"maxReplicas", a.max_replicas},
      {"metricReplicas", d.metric_replicas >= 0 ? json(d.metric_replicas) : json(nullptr)},
      {"stabilizedReplicas", d.stabilized_replicas ? json(*d.stabilized_replicas) : json(nullptr)},
      {"limit", d.limit.empty() ? json(nullptr) : json(d.limit)},
      {"metrics", std::move(metrics)},
      {"conditions", std::move(conditions)},
      {"error", a.error.empty() ? json(nullptr) : json(a.error)},
  };
  add_serverless_json(a, j);
  return j;
}

json autoscalers_array(const AutoscalerExplanation& e) {
  json list = json::array();
  for (const auto& a : e.autoscalers) list.push_back(autoscaler_json(a));
  return list;
}

}  // namespace

std::string render_autoscalers_json(const AutoscalerExplanation& explanation) {
  json top = {{"autoscalers", autoscalers_array(explanation)}};
  return top.dump(2) + "\n";
}

std::string append_autoscalers_json(const std::string& pods_json,
                                    const AutoscalerExplanation& explanation) {
  // pods_json ends with "\n}\n": insert the new member before the closing brace.
  std::string head = pods_json;
  while (!head.empty() && (head.back() == '\n' || head.back() == ' ')) head.pop_back();
  if (head.empty() || head.back() != '}') return pods_json;
  head.pop_back();
  while (!head.empty() && (head.back() == '\n' || head.back() == ' ')) head.pop_back();
  std::string body = autoscalers_array(explanation).dump(2);
  std::string indented;
  for (char c : body) {
    indented += c;
    if (c == '\n') indented += "  ";
  }
  const bool empty_object = !head.empty() && head.back() == '{';
  return head + (empty_object ? "\n" : ",\n") + "  \"autoscalers\": " + indented + "\n}\n";
}

namespace {}  // namespace

std::string render_autoscalers_table(const AutoscalerExplanation& explanation) {
  std::ostringstream out;
  out << explanation.autoscalers.size() << " autoscaler"
      << (explanation.autoscalers.size() == 1 ? "" : "s") << " reconciled once at ";
  if (explanation.now_unix_ns) {
    out << format_rfc3339(*explanation.now_unix_ns);
  } else {
    out << "t=" << sim::format_duration(explanation.now);
  }
  out << " (kube-controller-manager v1.34 HPA rules";
  bool keda = false, kpa = false, predictive = false;
  for (const auto& a : explanation.autoscalers) {
    keda = keda || a.keda.has_value();
    kpa = kpa || a.kpa.has_value();
    predictive = predictive || a.predictive.has_value();
  }
  if (keda) out << "; KEDA v2.x operator";
  if (kpa) out << "; Knative Serving KPA";
  if (predictive) out << "; kubesim predictive";
  out << ")\n";
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "KIND", "TARGET", "MIN", "MAX", "CURRENT", "DESIRED"}};
  for (const auto& a : explanation.autoscalers) {
    rows.push_back({a.name, a.kind, a.target, std::to_string(a.min_replicas),
                    std::to_string(a.max_replicas), std::to_string(a.current_replicas),
                    std::to_string(a.desired_replicas)});
  }
  out << format_columns(rows, "");
  for (const auto& a : explanation.autoscalers) {
    std::string kind = a.kind;
    std::transform(kind.begin(), kind.end(), kind.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out << "\n" << kind << " " << a.name << ": " << a.reason << "\n";
    out << serverless_table_lines(a);
    if (!a.decision.proposals.empty()) {
      std::vector<std::vector<std::string>> m = {{"METRIC", "CURRENT", "TARGET", "RATIO",
                                                  "PROPOSAL",
                                                  "PODS (ready/unready/missing/ignored)"}};
      for (const auto& p : a.decision.proposals) {
        std::string current, target;
        if (p.current_utilization) {
          current = std::to_string(*p.current_utilization) + "% (" +
                    std::to_string(p.current_value_milli) + "m)";
          target = std::to_string(p.target_milli) + "%";
        } else {
          current = std::to_string(p.current_value_milli) + "m";
          target = std::to_string(p.target_milli) + "m";
        }
        std::string ratio = fmt_ratio(p.usage_ratio);
        if (p.adjusted_ratio) ratio += " -> " + fmt_ratio(*p.adjusted_ratio);
        m.push_back({p.metric, p.valid ? current : "-", target, p.valid ? ratio : "-",
                     p.valid ? std::to_string(p.replicas) : "invalid",
                     std::to_string(p.ready_pods) + "/" + std::to_string(p.unready_pods) + "/" +
                         std::to_string(p.missing_pods) + "/" + std::to_string(p.ignored_pods)});
      }
      out << format_columns(m, "  ");
      for (const auto& p : a.decision.proposals) {
        if (!p.valid) out << "  " << p.metric << ": " << p.error << "\n";
      }
    }
    for (const auto& c : a.decision.conditions) {
      out << "  " << c.type << "=" << (c.status ? "True" : "False") << " " << c.reason << ": "
          << c.message << "\n";
    }
    if (!a.error.empty() && a.decision.proposals.empty()) out << "  error: " << a.error << "\n";
  }
  return out.str();
}

}  // namespace kubesim::experiments
