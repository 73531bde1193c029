#include "experiments/predictive_controller.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

#include "experiments/metrics_pipeline.hpp"
#include "models/api_server.hpp"
#include "models/token_bucket.hpp"

namespace kubesim::experiments {
namespace {

std::string column_prefix(const std::string& key) {
  std::string prefix = "predictive." + key;
  std::replace(prefix.begin(), prefix.end(), '/', '.');
  return prefix;
}

}  // namespace

PredictiveController::PredictiveController(sim::Simulation& sim, sim::MetricRegistry& metrics,
                                           models::ApiServer& api, const MetricsPipeline& pipeline,
                                           sim::Sampler* sampler)
    : sim_(sim),
      api_(api),
      pipeline_(pipeline),
      sampler_(sampler),
      client_(
          api.make_client("predictive-autoscaler", models::kKubeControllerManagerDefaultRateLimit)),
      targets_(api, client_),
      rescales_(metrics.counter("predictive.rescales")) {}

PredictiveController::~PredictiveController() {
  for (auto& t : tracked_) sim_.cancel_timer(t->timer);
}

void PredictiveController::register_scale_kind(std::string kind, ScaleTargets::Getter get,
                                               ScaleTargets::Setter set) {
  targets_.register_kind(std::move(kind), std::move(get), std::move(set));
}

sim::Status PredictiveController::add(const models::PredictiveAutoscaler& object, sim::Time at) {
  assert(!started_ && "PredictiveController::add: call before start()");
  const std::string key = models::object_key(object.metadata.namespace_, object.metadata.name);
  if (find(key) != nullptr) {
    return sim::Status::invalid_argument("PredictiveAutoscaler " + key + " added twice");
  }
  auto autoscaler =
      policies::PredictiveAutoscaler::create(policies::predictive_config_for(object.spec));
  if (!autoscaler.ok()) {
    return sim::Status::invalid_argument("PredictiveAutoscaler " + key + ": " + autoscaler.error());
  }
  tracked_.push_back(std::unique_ptr<Tracked>(
      new Tracked{object, key, at, std::move(autoscaler).value(), sim::TimerHandle{}, std::nullopt,
                  0, std::nullopt, false}));
  if (sampler_ != nullptr) {
    const Tracked* t = tracked_.back().get();
    const std::string prefix = column_prefix(key);
    sampler_->add_column(prefix + ".desired_replicas", [t] {
      return t->last ? static_cast<double>(t->last->desired_replicas) : 0.0;
    });
    sampler_->add_column(prefix + ".forecast",
                         [t] { return t->last ? t->last->forecast_load : 0.0; });
    sampler_->add_column(prefix + ".load", [t] { return t->load; });
  }
  return sim::Status::ok_status();
}

void PredictiveController::start() {
  assert(!started_ && "PredictiveController::start: call once");
  started_ = true;
  for (std::size_t i = 0; i < tracked_.size(); ++i) {
    Tracked& t = *tracked_[i];
    // Synced when applied (as the HPA controller on the informer's add), then every period.
    sim::TimerOptions options;
    options.first_delay = std::max<sim::Duration>(0, t.apply_at - sim_.now());
    options.name = "predictive";
    t.timer = sim_.every(
        t.object.spec.sync_period, [this, i] { sync(i); }, options);
  }
}

const PredictiveController::Tracked* PredictiveController::find(const std::string& key) const {
  for (const auto& t : tracked_) {
    if (t->key == key) return t.get();
  }
  return nullptr;
}

const policies::PredictiveDecision* PredictiveController::last_decision(
    const std::string& key) const {
  const Tracked* t = find(key);
  return t == nullptr || !t->last ? nullptr : &*t->last;
}

const policies::PredictiveAutoscaler* PredictiveController::autoscaler(
    const std::string& key) const {
  const Tracked* t = find(key);
  return t == nullptr ? nullptr : &t->autoscaler;
}

void PredictiveController::sync(std::size_t index) {
  Tracked& t = *tracked_[index];
  ++syncs_;
  const sim::Time now = sim_.now();
  const std::string& ns = t.object.metadata.namespace_;
  const models::PredictiveAutoscalerSpec& spec = t.object.spec;
  const auto& ref = spec.scale_target_ref;
  // upstream horizontal.go reconcileAutoscaler: no scale, no decision (FailedGetScale).
  if (api_.predictive_autoscalers().get(ns, t.object.metadata.name) == nullptr) {
    // Stored at its apply time (the first sync), as kubectl apply leaves it.
    models::PredictiveAutoscaler stored = t.object;
    stored.status = {};
    if (stored.metadata.uid.empty()) stored.metadata.uid = api_.new_uid();
    stored.metadata.creation_timestamp = now;
    (void)api_.predictive_autoscalers().create(std::move(stored));
  }
  const std::optional<ScaleSubresource> scale = targets_.get(ref.kind, ns, ref.name);
  if (!scale) {
    write_status(t, std::nullopt, false);
    return;
  }
  const std::optional<std::int64_t> milli =
      pipeline_.service_metric(ns, spec.metric.service, spec.metric.name);
  if (milli) {
    t.load = static_cast<double>(*milli) / 1000.0;
    // The pipeline serves non-negative, time-ordered values; a rejected sample is dropped.
    (void)t.autoscaler.record(now, t.load);
  } else if (!t.autoscaler.samples().empty()) {
    t.metric_missing = true;
    write_status(t, scale->spec_replicas, false);
    return;  // no decision on stale data (FailedGetExternalMetric)
  }
  t.metric_missing = !milli.has_value();
  policies::PredictiveDecision d = t.autoscaler.decide(now, scale->spec_replicas);
  const bool rescale = d.desired_replicas != scale->spec_replicas;
  if (rescale) {
    rescales_.add();
    targets_.set(ref.kind, ns, ref.name, d.desired_replicas);
    t.last_scale_time = now;
  }
  t.last = std::move(d);
  write_status(t, scale->spec_replicas, rescale);
}

// kubesim's status for the object, HPA-like (horizontal.go setCondition reasons):
// AbleToScale True SucceededRescale / ReadyForNewScale (False FailedGetScale without a
// target); ScalingActive True ValidMetricFound (False FailedGetExternalMetric while the
// metric has no value).
void PredictiveController::write_status(Tracked& t, std::optional<std::int32_t> current,
                                        bool rescaled) {
  const std::string& ns = t.object.metadata.namespace_;
  auto stored = api_.predictive_autoscalers().get(ns, t.object.metadata.name);
  if (stored == nullptr) return;
  models::PredictiveAutoscalerStatus st = stored->status;
  const sim::Time now = sim_.now();
  if (t.last) {
    st.desired_replicas = t.last->desired_replicas;
    st.current_load = t.last->current_load;
    st.forecast_load =
        t.last->forecast_ok ? std::optional<double>(t.last->forecast_load) : std::nullopt;
  }
  if (current) st.current_replicas = *current;
  st.last_scale_time = t.last_scale_time;
  const models::PredictiveAutoscalerStatus& old = stored->status;
  bool changed = st.current_replicas != old.current_replicas ||
                 st.desired_replicas != old.desired_replicas ||
                 st.last_scale_time != old.last_scale_time || st.current_load != old.current_load ||
                 st.forecast_load != old.forecast_load;
  using CS = models::ConditionStatus;
  auto put = [&](std::string_view type, CS status, std::string_view reason,
                 std::string_view message) {
    return models::set_condition(st.conditions, type, status, reason, message, now);
  };
  const auto& ref = t.object.spec.scale_target_ref;
  if (!current) {
    changed =
        put("AbleToScale", CS::kFalse, "FailedGetScale",
            "the predictive autoscaler was unable to get the target's current scale: " + ref.kind +
                " " + ns + "/" + ref.name + " not found") ||
        changed;
  } else if (rescaled) {
    changed = put("AbleToScale", CS::kTrue, "SucceededRescale",
                  "the predictive autoscaler was able to update the target scale to " +
                      std::to_string(st.desired_replicas)) ||
              changed;
  } else {
    changed = put("AbleToScale", CS::kTrue, "ReadyForNewScale",
                  "recommended size matches current size") ||
              changed;
  }
  const std::string metric =
      t.object.spec.metric.name + " of Service " + t.object.spec.metric.service;
  if (t.metric_missing) {
    changed = put("ScalingActive", CS::kFalse, "FailedGetExternalMetric",
                  "the predictive autoscaler was unable to get " + metric) ||
              changed;
  } else {
    changed = put("ScalingActive", CS::kTrue, "ValidMetricFound",
                  "the predictive autoscaler was able to successfully calculate a replica count "
                  "from " +
                      metric) ||
              changed;
  }
  if (!changed) return;
  ++status_writes_;
  api_.patch<models::PredictiveAutoscaler>(client_, ns, t.object.metadata.name,
                                           [st = std::move(st)](models::PredictiveAutoscaler& o) {
                                             o.status = st;
                                             return true;
                                           });
}

}  // namespace kubesim::experiments
