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

// Sets `c` in `conditions`; true when its status, reason or message changed.
bool put_condition(std::vector<models::Condition>& conditions, const policies::HpaCondition& c,
                   sim::Time now) {
  models::Condition condition;
  condition.type = c.type;
  condition.status = c.status ? models::ConditionStatus::kTrue : models::ConditionStatus::kFalse;
  condition.last_transition_time = now;
  condition.reason = c.reason;
  condition.message = c.message;
  const models::Condition* old = models::find_condition(conditions, c.type);
  const bool changed = old == nullptr || old->status != condition.status ||
                       old->reason != c.reason || old->message != c.message;
  models::set_condition(conditions, std::move(condition));
  return changed;
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
    if (!so.spec.triggers.empty() && !so.spec.triggers[0].service.empty()) {
      return so.spec.triggers[0].service;
    }
    return selecting_service(so);
  }
  return "";
}

std::string KedaController::selecting_service(const models::ScaledObject& so) const {
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

// scaledobject_controller.go reconcileScaledObject: ensure the HPA, then start the scale
// loop (scale_handler.go startScaleLoop: checkScalers at once, then every pollingInterval).
void KedaController::reconcile(const std::string& key, const models::ScaledObject& so) {
  Tracked& t = tracked_[key];
  t.state = std::make_unique<policies::KedaState>(so, sim_.now());
  // The ScaledObject as kubectl apply leaves it (stored directly: the user's request is not
  // modelled), so the operator can write its status.
  if (api_.scaled_objects().get(so.metadata.namespace_, so.metadata.name) == nullptr) {
    models::ScaledObject stored = so;
    stored.status = {};
    if (stored.metadata.uid.empty()) stored.metadata.uid = api_.new_uid();
    stored.metadata.creation_timestamp = sim_.now();
    (void)api_.scaled_objects().create(std::move(stored));
  }
  api_.create<models::HorizontalPodAutoscaler>(client_, policies::keda_hpa_for(so));
  sim::TimerOptions options;
  options.first_delay = 0;
  options.name = "keda";
  t.timer = sim_.every(
      t.state->polling_interval(), [this, key] { poll(key); }, options);
}

std::vector<policies::KedaTriggerValue> KedaController::trigger_values(
    const models::ScaledObject& so) const {
  std::string fallback_service;  // the first traffic Service selecting the target's pods
  bool fallback_resolved = false;
  std::vector<policies::KedaTriggerValue> out;
  for (const auto& trigger : so.spec.triggers) {
    std::optional<std::int64_t> v;
    std::string ns = so.metadata.namespace_;
    std::string service = trigger.service;
    if (service.empty()) {
      if (!fallback_resolved) {
        fallback_service = selecting_service(so);
        fallback_resolved = true;
      }
      service = fallback_service;
    } else if (!trigger.service_namespace.empty()) {
      ns = trigger.service_namespace;
    }
    if (!service.empty()) v = pipeline_.service_metric(ns, service, trigger.metric_name);
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
  write_status(t, r, current);
  t.last = std::move(r);
}

// The ScaledObject's status as the operator keeps it (scaledobject_controller.go,
// scale_scaledobjects.go, fallback.go): hpaName, originalReplicaCount (the target's
// replicas when KEDA first saw it), lastActiveTime, externalMetricNames, health per
// trigger metric, conditions Ready / Active / Fallback. Patched only when it changed.
void KedaController::write_status(Tracked& t, const policies::KedaPollResult& r,
                                  std::int32_t current) {
  const models::ScaledObject& so = t.state->scaled_object();
  auto stored = api_.scaled_objects().get(so.metadata.namespace_, so.metadata.name);
  if (stored == nullptr) return;
  models::ScaledObjectStatus st = stored->status;
  const sim::Time now = sim_.now();
  st.hpa_name = policies::keda_hpa_for(so).metadata.name;
  st.scale_target_kind = so.spec.scale_target_ref.api_version + "." + so.spec.scale_target_ref.kind;
  if (!st.original_replica_count) st.original_replica_count = current;
  st.last_active_time = r.last_active_time;
  st.external_metric_names.clear();
  st.health.clear();
  const auto& failures = t.state->failures();
  for (std::size_t i = 0; i < so.spec.triggers.size(); ++i) {
    const std::string metric = policies::keda_external_metric_name(so.spec.triggers[i], i);
    st.external_metric_names.push_back(metric);
    const std::int32_t n = i < failures.size() ? failures[i] : 0;
    st.health.push_back({metric, n, n > 0 ? "Failing" : "Happy"});
  }
  std::sort(st.health.begin(), st.health.end(),
            [](const auto& a, const auto& b) { return a.metric < b.metric; });
  const models::ScaledObjectStatus& old = stored->status;
  bool changed = st.hpa_name != old.hpa_name || st.scale_target_kind != old.scale_target_kind ||
                 st.original_replica_count != old.original_replica_count ||
                 st.last_active_time != old.last_active_time ||
                 st.external_metric_names != old.external_metric_names ||
                 st.health.size() != old.health.size();
  for (std::size_t i = 0; !changed && i < st.health.size(); ++i) {
    changed = st.health[i].metric != old.health[i].metric ||
              st.health[i].number_of_failures != old.health[i].number_of_failures ||
              st.health[i].status != old.health[i].status;
  }
  for (const policies::HpaCondition& c : policies::keda_conditions(r)) {
    changed = put_condition(st.conditions, c, now) || changed;
  }
  if (!changed) return;
  ++t.status_writes;
  api_.patch<models::ScaledObject>(client_, so.metadata.namespace_, so.metadata.name,
                                   [st = std::move(st)](models::ScaledObject& o) {
                                     o.status = st;
                                     return true;
                                   });
}

std::uint64_t KedaController::status_writes(const std::string& key) const {
  auto it = tracked_.find(key);
  return it == tracked_.end() ? 0 : it->second.status_writes;
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
