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
  auto autoscaler = policies::PredictiveAutoscaler::create(policies::predictive_config_for(object.spec));
  if (!autoscaler.ok()) {
    return sim::Status::invalid_argument("PredictiveAutoscaler " + key + ": " + autoscaler.error());
  }
  tracked_.push_back(std::unique_ptr<Tracked>(new Tracked{
      object, key, at, std::move(autoscaler).value(), sim::TimerHandle{}, std::nullopt, 0}));
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
  const std::optional<ScaleSubresource> scale = targets_.get(ref.kind, ns, ref.name);
  if (!scale) return;
  const std::optional<std::int64_t> milli =
      pipeline_.service_metric(ns, spec.metric.service, spec.metric.name);
  if (milli) {
    t.load = static_cast<double>(*milli) / 1000.0;
    // The pipeline serves non-negative, time-ordered values; a rejected sample is dropped.
    (void)t.autoscaler.record(now, t.load);
  } else if (!t.autoscaler.samples().empty()) {
    return;  // no decision on stale data (FailedGetExternalMetric)
  }
  policies::PredictiveDecision d = t.autoscaler.decide(now, scale->spec_replicas);
  if (d.desired_replicas != scale->spec_replicas) {
    rescales_.add();
    targets_.set(ref.kind, ns, ref.name, d.desired_replicas);
  }
  t.last = std::move(d);
}

}  // namespace kubesim::experiments
