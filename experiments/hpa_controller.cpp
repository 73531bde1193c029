#include "experiments/hpa_controller.hpp"

#include <algorithm>
#include <cassert>

#include "experiments/metrics_pipeline.hpp"
#include "models/api_server.hpp"
#include "models/token_bucket.hpp"

namespace kubesim::experiments {
namespace {

std::string column_prefix(const std::string& key) {
  std::string prefix = "hpa." + key;
  std::replace(prefix.begin(), prefix.end(), '/', '.');
  return prefix;
}

models::ConditionStatus condition_status(bool status) {
  return status ? models::ConditionStatus::kTrue : models::ConditionStatus::kFalse;
}

// The Service an External metric's selector names (matchLabels service=<name>), if any.
std::optional<std::string> selected_service(const models::MetricSpec& m) {
  if (!m.metric_selector) return std::nullopt;
  if (const std::string* s = m.metric_selector->match_labels.find("service")) return *s;
  return std::nullopt;
}

}  // namespace

HpaController::HpaController(sim::Simulation& sim, sim::MetricRegistry& metrics,
                             models::ApiServer& api, const MetricsPipeline& pipeline,
                             sim::Sampler* sampler, scenarios::HpaControllerSpec spec,
                             const std::vector<std::string>& hpa_keys)
    : sim_(sim),
      api_(api),
      pipeline_(pipeline),
      spec_(std::move(spec)),
      client_(api.make_client("horizontal-pod-autoscaler",
                              models::kKubeControllerManagerDefaultRateLimit)),
      targets_(api, client_),
      rescales_(metrics.counter("hpa.rescales")) {
  if (sampler != nullptr) {
    for (const std::string& key : hpa_keys) {
      const std::string prefix = column_prefix(key);
      sampler->add_column(prefix + ".desired_replicas", [this, key] {
        auto it = tracked_.find(key);
        return it == tracked_.end() ? 0.0 : it->second->desired;
      });
      sampler->add_column(prefix + ".current_replicas", [this, key] {
        auto it = tracked_.find(key);
        return it == tracked_.end() ? 0.0 : it->second->current;
      });
    }
  }
}

HpaController::~HpaController() {
  if (watch_ != 0) api_.horizontal_pod_autoscalers().cancel_watch(watch_);
  for (auto& [key, t] : tracked_) sim_.cancel_timer(t->timer);
}

void HpaController::register_scale_kind(std::string kind, ScaleGetter get, ScaleSetter set) {
  targets_.register_kind(std::move(kind), std::move(get), std::move(set));
}

void HpaController::add_external_metric_source(ExternalMetricSource source) {
  external_sources_.push_back(std::move(source));
}

void HpaController::start() {
  assert(watch_ == 0 && "HpaController::start: call once");
  auto w = api_.horizontal_pod_autoscalers().watch(
      0, {}, [this](const models::WatchEvent<models::HorizontalPodAutoscaler>& e) {
        const auto& meta = e.object->metadata;
        if (e.type == models::WatchEventType::kAdded) {
          on_added(meta.namespace_, meta.name);
        } else if (e.type == models::WatchEventType::kDeleted) {
          on_deleted(models::object_key(meta.namespace_, meta.name));
        }
      });
  watch_ = w.ok() ? w.value() : 0;
}

const policies::HpaDecision* HpaController::last_decision(const std::string& key) const {
  auto it = tracked_.find(key);
  if (it == tracked_.end() || !it->second->last) return nullptr;
  return &*it->second->last;
}

void HpaController::on_added(const std::string& namespace_, const std::string& name) {
  const std::string key = models::object_key(namespace_, name);
  auto t = std::make_unique<Tracked>();
  t->namespace_ = namespace_;
  t->name = name;
  // Reconciled at once (the informer's add), then every sync period.
  sim::TimerOptions options;
  options.first_delay = 0;
  options.name = "hpa";
  t->timer = sim_.every(spec_.sync_period, [this, key] { reconcile(key); }, options);
  tracked_[key] = std::move(t);
}

void HpaController::on_deleted(const std::string& key) {
  auto it = tracked_.find(key);
  if (it == tracked_.end()) return;
  sim_.cancel_timer(it->second->timer);
  tracked_.erase(it);
}

void HpaController::reconcile(const std::string& key) {
  auto it = tracked_.find(key);
  if (it == tracked_.end()) return;
  Tracked& t = *it->second;
  auto hpa = api_.horizontal_pod_autoscalers().get(t.namespace_, t.name);
  if (hpa == nullptr) return;
  ++reconciles_;
  const sim::Time now = sim_.now();
  const auto& ref = hpa->spec.scale_target_ref;
  std::optional<Scale> scale = targets_.get(ref.kind, t.namespace_, ref.name);
  if (!scale) {
    // upstream reconcileAutoscaler: FailedGetScale, AbleToScale=False, nothing changes.
    policies::HpaDecision d;
    d.error = "the HPA controller was unable to get the target's current scale: " + ref.kind +
              " " + t.namespace_ + "/" + ref.name + " not found";
    d.reason = "no change: " + d.error;
    d.conditions.push_back({"AbleToScale", false, "FailedGetScale", d.error});
    d.current_replicas = hpa->status.current_replicas;
    d.desired_replicas = hpa->status.desired_replicas;
    write_status(t, d, hpa->status.current_replicas);
    t.last = std::move(d);
    return;
  }

  policies::HpaInputs in;
  in.status_replicas = scale->status_replicas;
  auto matcher = models::label_selector_as_matcher(scale->selector);
  in.has_selector = scale->selector.has_value() && matcher.ok() && !matcher->empty();
  std::vector<std::shared_ptr<const models::Pod>> pods;
  if (in.has_selector) {
    const std::string& ns = t.namespace_;
    pods = api_.pods().list([&](const models::Pod& p) {
      return p.metadata.namespace_ == ns && matcher->matches(p.metadata.labels);
    });
  }
  // metrics.k8s.io is read only for Resource and ContainerResource metrics (upstream
  // computeReplicasForMetric calls GetResourceReplicas / GetRawResourceReplicas only for
  // those; policies::decide reads in.resource_metrics nowhere else), so an HPA without one
  // does not ask the pipeline for PodMetrics (built on first request).
  const bool reads_resource_metrics =
      std::any_of(hpa->spec.metrics.begin(), hpa->spec.metrics.end(), [](const auto& m) {
        return m.type == models::MetricSourceType::kResource ||
               m.type == models::MetricSourceType::kContainerResource;
      });
  in.pods.reserve(pods.size());
  for (const auto& p : pods) {
    in.pods.push_back(p.get());
    if (!reads_resource_metrics) continue;
    if (const models::PodMetrics* m = pipeline_.pod_metrics(t.namespace_, p->metadata.name)) {
      in.resource_metrics.push_back(m);
    }
  }
  for (const models::MetricSpec& m : hpa->spec.metrics) {
    switch (m.type) {
      case models::MetricSourceType::kPods: {
        policies::HpaPodsMetric pm;
        pm.metric = m.metric_name;
        for (const auto& p : pods) {
          if (auto v = pipeline_.pod_metric(t.namespace_, p->metadata.name, m.metric_name)) {
            pm.values.push_back({p->metadata.name, *v});
          }
        }
        in.pods_metrics.push_back(std::move(pm));
        break;
      }
      case models::MetricSourceType::kObject:
        if (m.described_object.kind == "Service") {
          if (auto v = pipeline_.service_metric(t.namespace_, m.described_object.name,
                                                m.metric_name)) {
            in.object_metrics.push_back(
                {m.metric_name, m.described_object.kind, m.described_object.name, *v});
          }
        }
        break;
      case models::MetricSourceType::kExternal: {
        policies::HpaExternalMetric em;
        em.metric = m.metric_name;
        std::optional<std::vector<std::int64_t>> served;
        for (const ExternalMetricSource& source : external_sources_) {
          served = source(t.namespace_, m);
          if (served) break;
        }
        if (served) {
          em.values_milli = std::move(*served);
        } else if (auto service = selected_service(m)) {
          if (auto v = pipeline_.service_metric(t.namespace_, *service, m.metric_name)) {
            em.values_milli.push_back(*v);
          }
        } else {
          for (const std::string& service : pipeline_.services(t.namespace_)) {
            if (auto v = pipeline_.service_metric(t.namespace_, service, m.metric_name)) {
              em.values_milli.push_back(*v);
            }
          }
        }
        if (!em.values_milli.empty()) in.external_metrics.push_back(std::move(em));
        break;
      }
      case models::MetricSourceType::kResource:
      case models::MetricSourceType::kContainerResource:
        break;
    }
  }

  policies::HpaDecision d =
      policies::decide(*hpa, scale->spec_replicas, in, now, t.state, spec_.options);
  if (d.rescale) {
    rescales_.add();
    targets_.set(ref.kind, t.namespace_, ref.name, d.desired_replicas);
  }
  t.current = scale->status_replicas;
  write_status(t, d, scale->status_replicas);
  t.last = std::move(d);
}

void HpaController::write_status(Tracked& t, const policies::HpaDecision& d,
                                 std::int32_t status_replicas) {
  t.desired = d.desired_replicas;
  auto stored = api_.horizontal_pod_autoscalers().get(t.namespace_, t.name);
  if (stored == nullptr) return;
  models::HorizontalPodAutoscalerStatus status = stored->status;
  status.current_replicas = status_replicas;
  status.desired_replicas = d.desired_replicas;
  if (t.state.last_scale_time) status.last_scale_time = t.state.last_scale_time;
  bool changed = status.current_replicas != stored->status.current_replicas ||
                 status.desired_replicas != stored->status.desired_replicas ||
                 status.last_scale_time != stored->status.last_scale_time;
  for (const policies::HpaCondition& c : d.conditions) {
    models::Condition condition;
    condition.type = c.type;
    condition.status = condition_status(c.status);
    condition.last_transition_time = sim_.now();
    condition.reason = c.reason;
    condition.message = c.message;
    const models::Condition* old = models::find_condition(status.conditions, c.type);
    if (old == nullptr || old->status != condition.status || old->reason != c.reason ||
        old->message != c.message) {
      changed = true;
    }
    models::set_condition(status.conditions, std::move(condition));
  }
  if (!changed) return;  // upstream updateStatusIfNeeded: no request when nothing changed
  api_.patch<models::HorizontalPodAutoscaler>(
      client_, t.namespace_, t.name,
      [status = std::move(status)](models::HorizontalPodAutoscaler& h) {
        h.status = status;
        return true;
      });
}

}  // namespace kubesim::experiments
