#include "experiments/kpa_controller.hpp"

#include <algorithm>
#include <cassert>

#include "experiments/service_traffic.hpp"
#include "models/api_server.hpp"
#include "models/selectors.hpp"
#include "models/token_bucket.hpp"

namespace kubesim::experiments {
namespace {

std::string gauge_prefix(const std::string& key) {
  std::string prefix = "kpa." + key;
  std::replace(prefix.begin(), prefix.end(), '/', '.');
  return prefix;
}

}  // namespace

KpaController::KpaController(sim::Simulation& sim, sim::MetricRegistry& metrics,
                             models::ApiServer& api, sim::Sampler* sampler,
                             std::vector<ServiceTraffic*> traffic, std::vector<Applied> autoscalers,
                             policies::KpaClusterConfig cluster)
    : sim_(sim),
      metrics_(metrics),
      api_(api),
      traffic_(std::move(traffic)),
      objects_(std::move(autoscalers)),
      cluster_(cluster),
      client_(
          api.make_client("knative-autoscaler", models::kKubeControllerManagerDefaultRateLimit)),
      targets_(api, client_),
      writes_(metrics.counter("kpa.scale_writes")) {
  // Gauges exist from the start (0), so a run's summary lists them whatever happens.
  for (const Applied& a : objects_) {
    const std::string key =
        models::object_key(a.object.metadata.namespace_, a.object.metadata.name);
    const std::string prefix = gauge_prefix(key);
    Tracked& t = tracked_[key];
    t.pa = &a.object;
    t.desired = &metrics_.gauge(prefix + ".desired_replicas");
    t.panicking = &metrics_.gauge(prefix + ".panicking");
    t.observed_stable = &metrics_.gauge(prefix + ".observed_stable");
    t.observed_panic = &metrics_.gauge(prefix + ".observed_panic");
    t.activator = &metrics_.gauge(prefix + ".activator_in_path");
    if (sampler != nullptr) {
      const sim::Gauge* desired = t.desired;
      const sim::Gauge* panicking = t.panicking;
      sampler->add_column(prefix + ".desired_replicas", [desired] { return desired->value(); });
      sampler->add_column(prefix + ".panicking", [panicking] { return panicking->value(); });
    }
  }
}

KpaController::~KpaController() {
  for (auto& [key, t] : tracked_) sim_.cancel_timer(t.timer);
}

void KpaController::set_cluster_config(const policies::KpaClusterConfig& c) {
  assert(!started_ && policies::validate_kpa_cluster_config(c).empty());
  cluster_ = c;
}

void KpaController::start() {
  assert(!started_ && "KpaController::start: call once");
  started_ = true;
  for (std::size_t i = 0; i < objects_.size(); ++i) {
    sim_.schedule_at(std::max(objects_[i].at, sim_.now()), [this, i] {
      const models::PodAutoscaler& pa = objects_[i].object;
      begin(models::object_key(pa.metadata.namespace_, pa.metadata.name), pa);
    });
  }
}

const policies::KpaDecision* KpaController::last_decision(const std::string& key) const {
  auto it = tracked_.find(key);
  if (it == tracked_.end() || !it->second.last) return nullptr;
  return &*it->second.last;
}

double KpaController::last_recorded(const std::string& key) const {
  auto it = tracked_.find(key);
  return it == tracked_.end() ? 0.0 : it->second.last_recorded;
}

std::optional<ScaleSubresource> KpaController::scale_of(const models::PodAutoscaler& pa) const {
  return targets_.get(pa.spec.scale_target_ref.kind, pa.metadata.namespace_,
                      pa.spec.scale_target_ref.name);
}

std::vector<std::shared_ptr<const models::Pod>> KpaController::pods_of(
    const models::PodAutoscaler& pa) const {
  auto scale = scale_of(pa);
  if (!scale) return {};
  auto matcher = models::label_selector_as_matcher(scale->selector);
  if (!matcher.ok() || matcher->empty()) return {};
  const std::string& ns = pa.metadata.namespace_;
  return api_.pods().list([&](const models::Pod& p) {
    return p.metadata.namespace_ == ns && matcher->matches(p.metadata.labels);
  });
}

ServiceTraffic* KpaController::service_of(const models::PodAutoscaler& pa) const {
  auto scale = scale_of(pa);
  if (!scale || !scale->selector) return nullptr;
  // A pod carrying the selector's labels (the target's pod template has them).
  models::Pod probe;
  probe.metadata.namespace_ = pa.metadata.namespace_;
  probe.metadata.labels = scale->selector->match_labels;
  ServiceTraffic* best = nullptr;
  for (ServiceTraffic* t : traffic_) {
    if (!t->selects(probe)) continue;
    if (best == nullptr || t->spec().service_name < best->spec().service_name) best = t;
  }
  return best;
}

void KpaController::register_scale_kind(std::string kind, ScaleTargets::Getter get,
                                        ScaleTargets::Setter set) {
  targets_.register_kind(std::move(kind), std::move(get), std::move(set));
}

void KpaController::begin(const std::string& key, const models::PodAutoscaler& pa) {
  Tracked& t = tracked_[key];
  // The PodAutoscaler as the Revision reconciler creates it (stored directly), so the
  // autoscaler can write its status.
  if (api_.pod_autoscalers().get(pa.metadata.namespace_, pa.metadata.name) == nullptr) {
    models::PodAutoscaler stored = pa;
    stored.status = {};
    if (stored.metadata.uid.empty()) stored.metadata.uid = api_.new_uid();
    stored.metadata.creation_timestamp = sim_.now();
    (void)api_.pod_autoscalers().create(std::move(stored));
  }
  t.kpa = std::make_unique<policies::KpaAutoscaler>(policies::kpa_config_for(pa, cluster_),
                                                    sim_.now(), ready_pods(t));
  scrape(t);  // the baseline of the pods' cumulative counters
  sim::TimerOptions options;
  options.name = "kpa";
  // collector.go: the scraper ticks every second; the decider every tickInterval (2 s),
  // here on every second scrape, after that second's record.
  t.timer = sim_.every(
      sim::seconds(1), [this, key] { second(key); }, options);
}

std::int32_t KpaController::ready_pods(const Tracked& t) const {
  std::int32_t ready = 0;
  for (const auto& p : pods_of(*t.pa)) {
    if (p->ready() && !p->metadata.being_deleted() && !p->terminal()) ++ready;
  }
  return ready;
}

double KpaController::scrape(Tracked& t) {
  const models::PodAutoscaler& pa = *t.pa;
  if (t.traffic == nullptr) {
    t.traffic = service_of(pa);
    if (t.traffic != nullptr) {
      // kpa.go before the decider's first valid tick (want unknown): Proxy when the initial
      // excess burst capacity is negative or the PA is Inactive.
      const bool proxy = t.kpa->excess_burst_capacity() < 0 ||
                         t.kpa->activity() == policies::KpaActivity::kInactive;
      t.sks = std::make_unique<KnativeSks>(*t.traffic, metrics_, pa,
                                           proxy ? SksMode::kProxy : SksMode::kServe, sim_.now());
      // The activator's counters from here on.
      t.previous_sent = t.traffic->sent_total();
      t.previous_buffered_seconds = t.traffic->activator_buffered_seconds();
    }
  }
  const bool first = t.scrapes == 0;
  ++t.scrapes;
  if (t.traffic == nullptr) return 0;
  const bool rps = t.kpa->config().metric == policies::KpaMetric::kRps;
  double total = 0;
  std::map<std::string, double> now_values;
  {
    {
      const std::string& ns = pa.metadata.namespace_;
      for (const auto& p : pods_of(pa)) {
        const std::string key = models::object_key(ns, p->metadata.name);
        auto load = t.traffic->pod_load(key);
        if (!load) continue;
        const auto& c = load->counters;
        const double cumulative =
            rps ? static_cast<double>(c.arrived) : c.in_flight_seconds + c.queue_seconds;
        now_values[key] = cumulative;
        auto prev = t.previous.find(key);
        if (prev != t.previous.end()) {
          total += cumulative - prev->second;
        } else if (!first) {
          total += cumulative;  // started serving after the previous scrape
        }
      }
    }
  }
  t.previous = std::move(now_values);
  // The activator's share (see the header).
  const std::uint64_t sent = t.traffic->sent_total();
  if (t.traffic->activator_enabled()) {
    if (rps) {
      // collector.go: RequestCount − ProxiedRequestCount of the pods plus the activator's
      // request count = every request sent to the Service in the second.
      total = first ? 0.0 : static_cast<double>(sent - t.previous_sent);
    } else {
      // The mean number of requests the activator held over the last second; those it
      // forwarded are in the pods' counters already.
      const double held = t.traffic->activator_buffered_seconds();
      if (!first) total += held - t.previous_buffered_seconds;
      t.previous_buffered_seconds = held;
    }
  } else if (!first && t.traffic->endpoints() == 0) {
    // No activator (fluid traffic): the requests sent while there is no endpoint.
    total += static_cast<double>(sent - t.previous_sent);
  }
  t.previous_sent = sent;
  return total;  // over exactly 1 s: the mean concurrency, or requests per second
}

void KpaController::second(const std::string& key) {
  auto it = tracked_.find(key);
  if (it == tracked_.end() || !it->second.kpa) return;
  Tracked& t = it->second;
  const double value = scrape(t);
  const bool poke = t.kpa->wants_poke(value);
  t.kpa->record(sim_.now(), value);
  t.last_recorded = value;
  ++t.seconds;
  // multiscaler.go Poke: a stat while at zero ticks at once; otherwise every 2 s.
  if (t.seconds % 2 == 0 || poke) tick(t);
}

void KpaController::tick(Tracked& t) {
  const sim::Time now = sim_.now();
  policies::KpaDecision d = t.kpa->scale(now, ready_pods(t));
  t.desired->set(d.desired);
  t.panicking->set(d.panicking ? 1 : 0);
  t.observed_stable->set(d.decider.observed_stable);
  t.observed_panic->set(d.decider.observed_panic);
  t.activator->set(d.activator_in_path ? 1 : 0);
  // kpa.go: the SKS mode follows the decision at once (knative_sks.hpp, simplified).
  if (t.sks) t.sks->set_mode(d.activator_in_path ? SksMode::kProxy : SksMode::kServe, now);
  if (d.replicas) {
    const models::PodAutoscaler& pa = *t.pa;
    auto scale = scale_of(pa);
    // scaler.go applyScale: no patch when spec.replicas already matches.
    if (scale && scale->spec_replicas != *d.replicas) {
      writes_.add();
      targets_.set(pa.spec.scale_target_ref.kind, pa.metadata.namespace_,
                   pa.spec.scale_target_ref.name, *d.replicas);
    }
  }
  write_status(t, d);
  t.last = std::move(d);
}

// The PA's status as kpa.go's reconcile leaves it (computeActiveCondition,
// ReportMetrics / status.DesiredScale, ActualScale): desiredScale (-1 = unknown is left
// unset), actualScale = ready pods, conditions Active (True / False NoTraffic / Unknown
// Queued), SKSReady (True: the ServerlessService exists; its readiness is not modelled),
// ScaleTargetInitialized, and Ready (True when Active and SKSReady are; False NoTraffic while
// Inactive; Unknown Queued while activating). Patched only when it changed.
void KpaController::write_status(Tracked& t, const policies::KpaDecision& d) {
  const models::PodAutoscaler& pa = *t.pa;
  auto stored = api_.pod_autoscalers().get(pa.metadata.namespace_, pa.metadata.name);
  if (stored == nullptr) return;
  models::PodAutoscalerStatus st = stored->status;
  const sim::Time now = sim_.now();
  if (d.desired >= 0) st.desired_scale = d.desired;
  st.actual_scale = ready_pods(t);
  using CS = models::ConditionStatus;
  auto put = [&](std::string_view type, CS status, std::string_view reason,
                 std::string_view message) {
    return models::set_condition(st.conditions, type, status, reason, message, now);
  };
  bool changed = st.desired_scale != stored->status.desired_scale ||
                 st.actual_scale != stored->status.actual_scale;
  switch (d.activity) {
    case policies::KpaActivity::kActive:
      changed = put("Active", CS::kTrue, "", "") || changed;
      changed = put("Ready", CS::kTrue, "", "") || changed;
      break;
    case policies::KpaActivity::kInactive:
      changed =
          put("Active", CS::kFalse, "NoTraffic", "The target is not receiving traffic.") || changed;
      changed =
          put("Ready", CS::kFalse, "NoTraffic", "The target is not receiving traffic.") || changed;
      break;
    case policies::KpaActivity::kActivating:
      changed = put("Active", CS::kUnknown, "Queued",
                    "Requests to the target are being buffered as resources are provisioned.") ||
                changed;
      changed = put("Ready", CS::kUnknown, "Queued",
                    "Requests to the target are being buffered as resources are provisioned.") ||
                changed;
      break;
  }
  changed = put("SKSReady", CS::kTrue, "", "") || changed;
  changed = put("ScaleTargetInitialized",
                t.kpa->scale_target_initialized() ? CS::kTrue : CS::kUnknown, "", "") ||
            changed;
  if (!changed) return;
  ++t.status_writes;
  api_.patch<models::PodAutoscaler>(client_, pa.metadata.namespace_, pa.metadata.name,
                                    [st = std::move(st)](models::PodAutoscaler& o) {
                                      o.status = st;
                                      return true;
                                    });
}

const KnativeSks* KpaController::sks(const std::string& key) const {
  auto it = tracked_.find(key);
  return it == tracked_.end() ? nullptr : it->second.sks.get();
}

std::uint64_t KpaController::status_writes(const std::string& key) const {
  auto it = tracked_.find(key);
  return it == tracked_.end() ? 0 : it->second.status_writes;
}

}  // namespace kubesim::experiments
