// KEDA decision logic; see keda.hpp for the upstream files reproduced.
#include "policies/keda.hpp"

#include <cctype>
#include <cmath>
#include <sstream>

namespace kubesim::policies {
namespace {

std::string normalize(std::string s) {
  for (char& ch : s) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '-';
    if (!ok) ch = '-';
  }
  return s;
}

const std::string* metadata_value(const models::ScaledObjectTrigger& t, std::string_view key) {
  for (const auto& [k, v] : t.metadata) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::string fmt(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

bool is_active(const models::ScaledObjectTrigger& t, const KedaTriggerValue& v) {
  // Scalers report active when value > activationThreshold (strict).
  return v.has_value() && *v * 1000.0 > static_cast<double>(t.activation_threshold_milli);
}

// A tiny cursor over a PromQL expression.
struct Cursor {
  std::string_view s;
  std::size_t i = 0;
  void skip() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')) ++i;
  }
  bool eat(char c) {
    skip();
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  std::string ident() {
    skip();
    const std::size_t b = i;
    while (i < s.size() &&
           (std::isalnum(static_cast<unsigned char>(s[i])) != 0 || s[i] == '_' || s[i] == ':')) {
      ++i;
    }
    return std::string(s.substr(b, i - b));
  }
  bool peek(char c) {
    skip();
    return i < s.size() && s[i] == c;
  }
  bool done() {
    skip();
    return i == s.size();
  }
};

sim::Status bad_query(std::string_view query, const std::string& what) {
  return sim::Status::invalid_argument("unsupported prometheus query \"" + std::string(query) +
                                       "\": " + what);
}

}  // namespace

sim::Result<KedaPrometheusQuery> parse_keda_prometheus_query(std::string_view query) {
  Cursor c{query};
  KedaPrometheusQuery out;
  if (c.ident() != "sum" || !c.eat('(')) {
    return bad_query(query, "expected sum(...) around the series (KEDA needs one element)");
  }
  std::string fn;
  std::string name = c.ident();
  if ((name == "rate" || name == "irate") && c.eat('(')) {
    fn = name;
    name = c.ident();
  }
  if (name.empty()) return bad_query(query, "expected a metric name");
  if (!fn.empty()) {
    if (name != "http_requests_total") {
      return bad_query(
          query, fn + "() applies to the counter http_requests_total only, not \"" + name + "\"");
    }
    out.metric = std::string(models::kKedaMetricRequestsPerSecond);
  } else if (name == "http_requests_total") {
    return bad_query(query,
                     "http_requests_total is a counter: write rate(http_requests_total{...}[1m])");
  } else if (name == models::kKedaMetricRequestsPerSecond ||
             name == models::kKedaMetricConcurrency || name == models::kKedaMetricQueueLength) {
    out.metric = name;
  } else {
    return bad_query(query, "unknown metric \"" + name +
                                "\" (kubesim serves http_requests_total, requests_per_second, "
                                "concurrency and queue_length per Service)");
  }
  if (!c.eat('{')) return bad_query(query, "expected {service=\"NAME\"} after " + name);
  while (!c.eat('}')) {
    const std::string key = c.ident();
    if (key.empty() || !c.eat('=')) {
      return bad_query(query, "expected label=\"value\" (only the = matcher is supported)");
    }
    if (c.peek('~')) return bad_query(query, "regex matchers (=~) are not supported");
    if (!c.eat('"')) return bad_query(query, "label values must be double-quoted");
    const std::size_t b = c.i;
    while (c.i < query.size() && query[c.i] != '"') ++c.i;
    if (c.i == query.size()) return bad_query(query, "unterminated label value");
    std::string value(query.substr(b, c.i - b));
    ++c.i;
    if (key == "service") {
      out.service = value;
    } else if (key == "namespace") {
      out.namespace_ = value;
    } else {
      return bad_query(query, "label \"" + key +
                                  "\" is not modelled (kubesim's series carry service and "
                                  "namespace)");
    }
    if (!c.eat(',') && !c.peek('}')) return bad_query(query, "expected , or } in the labels");
  }
  if (out.service.empty()) return bad_query(query, "the service=\"NAME\" label is required");
  if (!fn.empty()) {
    if (!c.eat('[')) return bad_query(query, fn + "() needs a range, e.g. [1m]");
    while (c.i < query.size() && query[c.i] != ']') ++c.i;
    if (!c.eat(']') || !c.eat(')')) return bad_query(query, "expected ]) after the range");
  }
  if (!c.eat(')') || !c.done()) return bad_query(query, "unexpected text after sum(...)");
  return out;
}

std::string keda_external_metric_name(const models::ScaledObjectTrigger& trigger,
                                      std::size_t index) {
  std::string base;
  if (trigger.type == "metrics-api") {
    const std::string* loc = metadata_value(trigger, "valueLocation");
    base = "metric-api-" + (loc != nullptr && !loc->empty() ? *loc : trigger.metric_name);
  } else {
    base = trigger.type;  // prometheus: "prometheus"
  }
  return "s" + std::to_string(index) + "-" + normalize(base);
}

models::HorizontalPodAutoscaler keda_hpa_for(const models::ScaledObject& so) {
  models::HorizontalPodAutoscaler hpa;
  const std::string name =
      so.spec.hpa_name.empty() ? "keda-hpa-" + so.metadata.name : so.spec.hpa_name;
  hpa.metadata.name = name;
  hpa.metadata.namespace_ = so.metadata.namespace_;
  hpa.metadata.creation_timestamp = so.metadata.creation_timestamp;
  // upstream getHPALabels / owner reference to the ScaledObject.
  hpa.metadata.labels = so.metadata.labels;
  hpa.metadata.labels.set("app.kubernetes.io/managed-by", "keda-operator");
  hpa.metadata.labels.set("app.kubernetes.io/name", name);
  hpa.metadata.labels.set("app.kubernetes.io/part-of", so.metadata.name);
  hpa.metadata.labels.set("scaledobject.keda.sh/name", so.metadata.name);
  hpa.metadata.owner_references.push_back(
      models::controller_reference("keda.sh/v1alpha1", "ScaledObject", so.metadata));

  hpa.spec.scale_target_ref = so.spec.scale_target_ref;
  // getHPAMinReplicas: the HPA cannot go below 1; 0 is the operator's business.
  hpa.spec.min_replicas = so.spec.min_replica_count > 0 ? so.spec.min_replica_count : 1;
  hpa.spec.max_replicas = so.spec.max_replica_count;
  for (std::size_t i = 0; i < so.spec.triggers.size(); ++i) {
    const auto& t = so.spec.triggers[i];
    models::MetricSpec m;
    m.type = models::MetricSourceType::kExternal;
    m.metric_name = keda_external_metric_name(t, i);
    models::LabelSelector sel;
    sel.match_labels.set("scaledobject.keda.sh/name", so.metadata.name);
    m.metric_selector = sel;
    if (t.metric_type == models::KedaMetricType::kValue) {
      m.target.type = models::MetricTargetType::kValue;
      m.target.value_milli = t.threshold_milli;
    } else {
      m.target.type = models::MetricTargetType::kAverageValue;
      m.target.average_value_milli = t.threshold_milli;
    }
    hpa.spec.metrics.push_back(std::move(m));
  }
  hpa.spec.has_behavior = so.spec.has_behavior;
  hpa.spec.scale_up = so.spec.scale_up;
  hpa.spec.scale_down = so.spec.scale_down;
  return hpa;
}

void KedaState::restore(std::optional<sim::Time> last_active_time,
                        std::vector<std::int32_t> failures) {
  last_active_time_ = last_active_time;
  failures.resize(so_.spec.triggers.size(), 0);
  failures_ = std::move(failures);
}

KedaState::KedaState(models::ScaledObject so, sim::Time created)
    : so_(std::move(so)), created_(created), failures_(so_.spec.triggers.size(), 0) {}

sim::Duration KedaState::polling_interval() const {
  return sim::seconds(so_.spec.polling_interval_seconds);
}

KedaPollResult KedaState::poll(sim::Time now, std::int32_t current_replicas,
                               const std::vector<KedaTriggerValue>& values) {
  KedaPollResult r;
  const auto& spec = so_.spec;
  const std::size_t n = spec.triggers.size();
  r.trigger_active.assign(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    const KedaTriggerValue v = i < values.size() ? values[i] : std::nullopt;
    if (!v) {
      r.error = true;
      ++failures_[i];
    } else {
      failures_[i] = 0;
    }
    r.trigger_active[i] = is_active(spec.triggers[i], v);
    r.active = r.active || r.trigger_active[i];
    if (spec.fallback && failures_[i] > spec.fallback->failure_threshold) r.fallback = true;
  }
  const std::int32_t min = spec.min_replica_count;
  const auto& idle = spec.idle_replica_count;
  std::string why;
  // scale_scaledobjects.go RequestScale.
  if (r.active) {
    if ((idle && current_replicas < min) || current_replicas == 0) {
      // scaleFromZeroOrIdle
      const std::int32_t to = min > 0 ? min : 1;
      r.replicas = to;
      last_active_time_ = now;
      why = "a trigger is active: scale " + std::to_string(current_replicas) + " -> " +
            std::to_string(to);
    } else if (r.error) {
      why = "active, but a scaler failed: HPA scales";
    } else {
      last_active_time_ = now;
      why = "active: HPA scales";
    }
  } else {
    const bool above_idle = idle && current_replicas > *idle;
    if (r.error && spec.fallback && spec.fallback->replicas != 0) {
      // Left to the HPA: after failureThreshold the adapter serves replicas × target. Not
      // scaling to zero here keeps the HPA enabled so it can fall back.
      why = r.fallback
                ? "no trigger active, a scaler failed more than " +
                      std::to_string(spec.fallback->failure_threshold) +
                      " times: the HPA falls back to " + std::to_string(spec.fallback->replicas)
                : "no trigger active, a scaler failed: waiting for failureThreshold " +
                      std::to_string(spec.fallback->failure_threshold);
    } else if (r.error && !spec.fallback) {
      why = "no trigger active and a scaler failed (no fallback): no change";
    } else if (above_idle || (current_replicas > 0 && min == 0)) {
      // scaleToZeroOrIdle: after the cooldown since the last active time (or, never active,
      // after initialCooldownPeriod since creation).
      const bool cooled =
          last_active_time_ ? *last_active_time_ + sim::seconds(spec.cooldown_period_seconds) < now
                            : created_ + sim::seconds(spec.initial_cooldown_period_seconds) < now;
      const std::int32_t to = idle ? *idle : min;
      if (cooled) {
        r.replicas = to;
        why = "no trigger active for cooldownPeriod " +
              std::to_string(spec.cooldown_period_seconds) + "s: scale " +
              std::to_string(current_replicas) + " -> " + std::to_string(to);
      } else {
        why = "no trigger active; cooling down until " +
              fmt(sim::to_seconds(
                  last_active_time_
                      ? *last_active_time_ + sim::seconds(spec.cooldown_period_seconds)
                      : created_ + sim::seconds(spec.initial_cooldown_period_seconds))) +
              "s";
      }
    } else if (current_replicas < min && !idle) {
      r.replicas = min;
      why = "below minReplicaCount: scale " + std::to_string(current_replicas) + " -> " +
            std::to_string(min);
    } else {
      why = "no trigger active; nothing to do at " + std::to_string(current_replicas);
    }
  }
  r.last_active_time = last_active_time_;
  std::ostringstream o;
  for (std::size_t i = 0; i < n; ++i) {
    const bool has = i < values.size() && values[i].has_value();
    const double val = has ? values[i].value_or(0.0) : 0.0;
    o << keda_external_metric_name(spec.triggers[i], i) << "="
      << (has ? fmt(val) : std::string("error")) << (r.trigger_active[i] ? " (active)" : "")
      << "; ";
  }
  o << why;
  r.reason = o.str();
  r.why = why;
  return r;
}

std::vector<HpaCondition> keda_conditions(const KedaPollResult& poll) {
  std::vector<HpaCondition> out;
  if (poll.error) {
    out.push_back({"Ready", false, "TriggerError",
                   "Triggers defined in ScaledObject are not working correctly"});
  } else {
    out.push_back({"Ready", true, "ScaledObjectReady",
                   "ScaledObject is defined correctly and is ready for scaling"});
  }
  if (poll.active) {
    out.push_back(
        {"Active", true, "ScalerActive", "Scaling is performed because triggers are active"});
  } else {
    out.push_back({"Active", false, "ScalerNotActive",
                   "Scaling is not performed because triggers are not active"});
  }
  if (poll.fallback) {
    out.push_back({"Fallback", true, "FallbackExists",
                   "At least one trigger is falling back on this scaled object"});
  } else {
    out.push_back(
        {"Fallback", false, "NoFallbackFound", "No fallbacks are active on this scaled object"});
  }
  return out;
}

std::vector<HpaExternalMetric> KedaState::external_metrics(
    const std::vector<KedaTriggerValue>& values) const {
  std::vector<HpaExternalMetric> out;
  const auto& spec = so_.spec;
  for (std::size_t i = 0; i < spec.triggers.size(); ++i) {
    const auto& t = spec.triggers[i];
    const bool has = i < values.size() && values[i].has_value();
    const double val = has ? values[i].value_or(0.0) : 0.0;
    HpaExternalMetric m;
    m.metric = keda_external_metric_name(t, i);
    if (spec.fallback && failures_[i] > spec.fallback->failure_threshold) {
      // fallback.go: replicas × target, so the HPA computes exactly fallback.replicas.
      m.values_milli.push_back(static_cast<std::int64_t>(spec.fallback->replicas) *
                               t.threshold_milli);
    } else if (has) {
      m.values_milli.push_back(static_cast<std::int64_t>(std::llround(val * 1000.0)));
    } else {
      continue;
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace kubesim::policies
