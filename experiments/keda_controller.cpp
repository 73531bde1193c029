#include "experiments/keda_controller.hpp"

#include <algorithm>
#include <cassert>

#include "experiments/hpa_controller.hpp"
#include "experiments/metrics_pipeline.hpp"
#include "experiments/service_traffic.hpp"
#include "models/api_server.hpp"
#include "models/token_bucket.hpp"

namespace kubesim::experiments {
namespace {

constexpr std::string_view kScaledObjectLabel = "scaledobject.keda.sh/name";

// The labels of the scale target's pods: its pod template's (Deployment, ReplicaSet), else
// the matchLabels of its /scale selector; nullopt when the target does not exist.
std::optional<models::Labels> target_pod_labels(models::ApiServer& api, const ScaleTargets& targets,
                                                const models::ScaledObject& so) {
  const auto& ref = so.spec.scale_target_ref;
  const std::string& ns = so.metadata.namespace_;
  if (ref.kind == "Deployment") {
    if (auto d = api.deployments().get(ns, ref.name)) return d->spec.template_.metadata.labels;
    return std::nullopt;
  }
  if (ref.kind == "ReplicaSet") {
    if (auto r = api.replicasets().get(ns, ref.name)) return r->spec.template_.metadata.labels;
    return std::nullopt;
  }
  auto scale = targets.get(ref.kind, ns, ref.name);
  if (!scale) return std::nullopt;
  if (!scale->selector) return models::Labels{};
  return scale->selector->match_labels;
}

}  // namespace

KedaController::KedaController(sim::Simulation& sim, sim::MetricRegistry& metrics,
                               models::ApiServer& api, const MetricsPipeline& pipeline,
                               std::vector<const ServiceTraffic*> traffic,
                               std::vector<Applied> scaled_objects)
    : sim_(sim),
      api_(api),
      pipeline_(pipeline),
      traffic_(std::move(traffic)),
      objects_(std::move(scaled_objects)),
      // KEDA operator flags --kube-api-qps 20 / --kube-api-burst 30 (cmd/operator/main.go),
      // the same as kube-controller-manager's.
      client_(api.make_client("keda-operator", models::kKubeControllerManagerDefaultRateLimit)),
      targets_(api, client_),
      writes_(metrics.counter("keda.scale_writes")),
      activations_(metrics.counter("keda.activations")),
      deactivations_(metrics.counter("keda.deactivations")) {}

KedaController::~KedaController() {
  for (auto& [key, t] : tracked_) sim_.cancel_timer(t.timer);
}

void KedaController::register_scale_kind(std::string kind, ScaleTargets::Getter get,
                                         ScaleTargets::Setter set) {
  targets_.register_kind(std::move(kind), std::move(get), std::move(set));
}

void KedaController::serve_external_metrics(HpaController& hpa) {
  hpa.add_external_metric_source([this](const std::string& ns, const models::MetricSpec& m) {
    return external_metric(ns, m);
  });
}

void KedaController::start() {
  assert(!started_ && "KedaController::start: call once");
  started_ = true;
  for (std::size_t i = 0; i < objects_.size(); ++i) {
    sim_.schedule_at(std::max(objects_[i].at, sim_.now()), [this, i] {
      const models::ScaledObject& so = objects_[i].object;
      reconcile(models::object_key(so.metadata.namespace_, so.metadata.name), so);
    });
  }
}

const policies::KedaPollResult* KedaController::last_poll(const std::string& key) const {
  auto it = tracked_.find(key);
  if (it == tracked_.end() || !it->second.last) return nullptr;
  return &*it->second.last;
}

std::string KedaController::trigger_service(const std::string& key) const {
  for (const Applied& a : objects_) {
    const auto& so = a.object;
    if (models::object_key(so.metadata.namespace_, so.metadata.name) != key) continue;
    auto labels = target_pod_labels(api_, targets_, so);
    if (!labels) return "";
    // The first traffic Service (by name) of the namespace selecting the template labels.
    models::Pod probe;
    probe.metadata.namespace_ = so.metadata.namespace_;
    probe.metadata.labels = *labels;
    std::string best;
    for (const ServiceTraffic* t : traffic_) {
      if (!t->selects(probe)) continue;
      const std::string& name = t->spec().service_name;
      if (best.empty() || name < best) best = name;
    }
    return best;
  }
  return "";
}

// scaledobject_controller.go reconcileScaledObject: ensure the HPA, then start the scale
// loop (scale_handler.go startScaleLoop: checkScalers at once, then every pollingInterval).
void KedaController::reconcile(const std::string& key, const models::ScaledObject& so) {
  Tracked& t = tracked_[key];
  t.state = std::make_unique<policies::KedaState>(so, sim_.now());
  api_.create<models::HorizontalPodAutoscaler>(client_, policies::keda_hpa_for(so));
  sim::TimerOptions options;
  options.first_delay = 0;
  options.name = "keda";
  t.timer = sim_.every(
      t.state->polling_interval(), [this, key] { poll(key); }, options);
}

std::vector<policies::KedaTriggerValue> KedaController::trigger_values(
    const models::ScaledObject& so) const {
  const std::string service =
      trigger_service(models::object_key(so.metadata.namespace_, so.metadata.name));
  std::vector<policies::KedaTriggerValue> out;
  for (const auto& trigger : so.spec.triggers) {
    std::optional<std::int64_t> v;
    if (!service.empty()) {
      v = pipeline_.service_metric(so.metadata.namespace_, service, trigger.metric_name);
    }
    if (v) {
      out.emplace_back(static_cast<double>(*v) / 1000.0);
    } else {
      out.emplace_back(std::nullopt);  // the scaler failed
    }
  }
  return out;
}

void KedaController::poll(const std::string& key) {
  auto it = tracked_.find(key);
  if (it == tracked_.end()) return;
  Tracked& t = it->second;
  const models::ScaledObject& so = t.state->scaled_object();
  const auto& ref = so.spec.scale_target_ref;
  auto scale = targets_.get(ref.kind, so.metadata.namespace_, ref.name);
  if (!scale) return;  // scale_handler: the target is missing (or not scalable); nothing to do
  const std::int32_t current = scale->spec_replicas;
  policies::KedaPollResult r = t.state->poll(sim_.now(), current, trigger_values(so));
  if (r.replicas && *r.replicas != current) {
    writes_.add();
    if (current == 0) activations_.add();
    if (*r.replicas < current) deactivations_.add();
    targets_.set(ref.kind, so.metadata.namespace_, ref.name, *r.replicas);
  }
  t.last = std::move(r);
}

// provider.go GetExternalMetric: the metric's ScaledObject from the selector, the trigger
// from the metric name, the scaler asked now (no metrics cache, useCachedMetrics false).
std::optional<std::vector<std::int64_t>> KedaController::external_metric(
    const std::string& namespace_, const models::MetricSpec& m) const {
  if (!m.metric_selector) return std::nullopt;
  const std::string* so_name = m.metric_selector->match_labels.find(kScaledObjectLabel);
  if (so_name == nullptr) return std::nullopt;
  auto it = tracked_.find(models::object_key(namespace_, *so_name));
  if (it == tracked_.end()) return std::vector<std::int64_t>{};  // not found: metric error
  const policies::KedaState& state = *it->second.state;
  for (const policies::HpaExternalMetric& e :
       state.external_metrics(trigger_values(state.scaled_object()))) {
    if (e.metric == m.metric_name) return e.values_milli;
  }
  return std::vector<std::int64_t>{};
}

}  // namespace kubesim::experiments
