#include "experiments/aiservice_operator.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "models/cluster.hpp"

namespace kubesim::experiments {
namespace {

using models::AIService;
using models::ConditionStatus;

std::string key_of(const models::ObjectMeta& m) { return models::object_key(m.namespace_, m.name); }

models::Labels app_labels(const std::string& name) {
  models::Labels l;
  l.set("app", name);
  return l;
}

// What controllerutil.SetControllerReference sets.
models::OwnerReference owner_ref(const AIService& ai) {
  return models::controller_reference(models::kAIServiceApiVersion, models::kAIServiceKind,
                                      ai.metadata);
}

// The AIService (namespace/name) that controls an object, or "" (not an AIService's).
std::string controlling_aiservice(const models::ObjectMeta& meta) {
  const models::OwnerReference* ref = meta.controller_ref();
  if (ref == nullptr || ref->kind != models::kAIServiceKind ||
      ref->api_version != models::kAIServiceApiVersion) {
    return {};
  }
  return models::object_key(meta.namespace_, ref->name);
}

bool controlled_by(const models::ObjectMeta& meta, const AIService& ai) {
  const models::OwnerReference* ref = meta.controller_ref();
  return ref != nullptr && ref->uid == ai.metadata.uid;
}

bool same_container(const models::Container& a, const models::Container& b) {
  return a.name == b.name && a.image == b.image && a.requests == b.requests &&
         a.limits == b.limits && a.ports == b.ports;
}

// The fields of a pod template the operator sets (the rest it never writes).
bool same_template(const models::PodTemplateSpec& a, const models::PodTemplateSpec& b) {
  if (a.metadata.labels != b.metadata.labels || a.metadata.annotations != b.metadata.annotations ||
      a.spec.containers.size() != b.spec.containers.size() ||
      a.spec.node_selector != b.spec.node_selector || a.spec.tolerations != b.spec.tolerations) {
    return false;
  }
  for (std::size_t i = 0; i < a.spec.containers.size(); ++i) {
    if (!same_container(a.spec.containers[i], b.spec.containers[i])) return false;
  }
  return true;
}

models::Condition condition(std::string_view type, ConditionStatus status, std::string reason,
                            std::string message, sim::Time now) {
  models::Condition c;
  c.type = std::string(type);
  c.status = status;
  c.reason = std::move(reason);
  c.message = std::move(message);
  c.last_transition_time = now;
  return c;
}

std::string milli_text(std::int64_t milli) {
  std::string out = std::to_string(milli / 1000);
  if (const std::int64_t frac = milli % 1000; frac != 0) {
    std::string f = std::to_string(1000 + frac).substr(1);
    while (!f.empty() && f.back() == '0') f.pop_back();
    out += "." + f;
  }
  return out;
}

// The kubesim.io/apply-at time of a scenario object, else 0.
sim::Time apply_time(const models::ObjectMeta& meta) {
  if (const std::string* at = meta.annotations.find(models::kApplyAtAnnotation)) {
    if (auto d = sim::parse_duration(*at); d.ok()) return d.value();
  }
  return 0;
}

// controller-runtime's per-item exponential backoff (workqueue
// ItemExponentialFailureRateLimiter(5ms, 1000s) in DefaultTypedControllerRateLimiter).
sim::Duration failure_backoff(std::int32_t failures) {
  const sim::Duration base = 5 * sim::kMillisecond;
  const sim::Duration cap = 1000 * sim::kSecond;
  sim::Duration d = base;
  for (std::int32_t i = 1; i < failures && d < cap; ++i) d *= 2;
  return std::min(d, cap);
}

}  // namespace

// ---- AIServiceOperator ----------------------------------------------------------------------

AIServiceOperator::AIServiceOperator(sim::Simulation& sim, sim::MetricRegistry& metrics,
                                     models::ApiServer& api, AIServiceOperatorConfig config,
                                     RpsSource rps)
    : sim_(sim),
      api_(api),
      config_(std::move(config)),
      client_(api.make_client("aiservice-operator", config_.rate_limit)),
      rps_(std::move(rps)),
      reconciles_(metrics.counter("aiservice.reconciles")),
      rescales_(metrics.counter("aiservice.rescales")),
      write_errors_(metrics.counter("aiservice.write_errors")) {
  gc_ = std::make_unique<OwnerGarbageCollector>(sim, metrics, api);
  aiservices_ = std::make_unique<models::Informer<AIService>>(
      api, models::Informer<AIService>::Handlers{
               [this](const auto& a) { enqueue(key_of(a->metadata)); },
               [this](const auto&, const auto& a) { enqueue(key_of(a->metadata)); },
               [this](const auto& a) {
                 const std::string key = key_of(a->metadata);
                 failures_.erase(key);
                 if (auto r = retry_.find(key); r != retry_.end()) {
                   sim_.cancel(r->second);
                   retry_.erase(r);
                 }
               }});
  // Owned objects only (a filtered watch, as controller-runtime's Owns() with a
  // predicate-free handler maps every owned object's event to its owner's key).
  auto owned_handler = [this](std::string kind) {
    return [this, kind](const models::ObjectMeta& meta, bool added) {
      if (added) creating_.erase(kind + "/" + key_of(meta));
      const std::string owner = controlling_aiservice(meta);
      if (!owner.empty()) enqueue(owner);
    };
  };
  auto on_deployment = owned_handler("deployment");
  deployments_ = std::make_unique<models::Informer<models::Deployment>>(
      api,
      models::Informer<models::Deployment>::Handlers{
          [on_deployment](const auto& d) { on_deployment(d->metadata, true); },
          [on_deployment](const auto&, const auto& d) { on_deployment(d->metadata, false); },
          [on_deployment](const auto& d) { on_deployment(d->metadata, false); }},
      [](const models::Deployment& d) { return !controlling_aiservice(d.metadata).empty(); });
  auto on_service = owned_handler("service");
  services_ = std::make_unique<models::Informer<models::Service>>(
      api,
      models::Informer<models::Service>::Handlers{
          [on_service](const auto& s) { on_service(s->metadata, true); },
          [on_service](const auto&, const auto& s) { on_service(s->metadata, false); },
          [on_service](const auto& s) { on_service(s->metadata, false); }},
      [](const models::Service& s) { return !controlling_aiservice(s.metadata).empty(); });
  rps_timer_ = sim_.every(config_.rps_evaluation_period, [this] { evaluate_policies(); });
}

AIServiceOperator::~AIServiceOperator() {
  sim_.cancel_timer(rps_timer_);
  if (drain_.valid()) sim_.cancel(drain_);
  for (auto& [key, handle] : retry_) sim_.cancel(handle);
}

void AIServiceOperator::add_columns(sim::Sampler& sampler, const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    const std::size_t slash = key.find('/');
    const std::string ns = slash == std::string::npos ? std::string() : key.substr(0, slash);
    const std::string name = slash == std::string::npos ? key : key.substr(slash + 1);
    const std::string prefix = "aiservice." + ns + "." + name;
    auto read = [this, ns, name](auto field) {
      return [this, ns, name, field] {
        auto ai = api_.aiservices().get(ns, name);
        return ai == nullptr ? 0.0 : field(*ai);
      };
    };
    sampler.add_column(prefix + ".replicas", read([](const AIService& a) {
                         return static_cast<double>(a.desired_replicas());
                       }));
    sampler.add_column(prefix + ".ready_replicas", read([](const AIService& a) {
                         return static_cast<double>(a.status.ready_replicas);
                       }));
    sampler.add_column(prefix + ".observed_rps", read([](const AIService& a) {
                         return static_cast<double>(a.status.observed_rps_milli.value_or(0)) /
                                1000.0;
                       }));
  }
}

void AIServiceOperator::register_policy(std::string name, Policy policy) {
  policies_[std::move(name)] = std::move(policy);
}

void AIServiceOperator::enqueue(const std::string& key) {
  if (!queued_.insert(key).second) return;
  queue_.push_back(key);
  if (!drain_.valid() || !sim_.is_pending(drain_)) {
    drain_ = sim_.schedule_after(0, [this] { drain(); });
  }
}

void AIServiceOperator::drain() {
  drain_ = sim::EventHandle();
  std::deque<std::string> batch;
  batch.swap(queue_);
  for (const auto& key : batch) {
    queued_.erase(key);
    reconcile(key);
  }
}

void AIServiceOperator::requeue_after_error(const std::string& key) {
  write_errors_.add();
  const std::int32_t n = ++failures_[key];
  if (auto r = retry_.find(key); r != retry_.end() && sim_.is_pending(r->second)) return;
  retry_[key] = sim_.schedule_after(failure_backoff(n), [this, key] {
    retry_.erase(key);
    enqueue(key);
  });
}

models::Deployment AIServiceOperator::desired_deployment(const AIService& ai,
                                                         const AIServiceOperatorConfig& config) {
  models::Deployment d;
  d.metadata.namespace_ = ai.metadata.namespace_;
  d.metadata.name = ai.metadata.name;
  d.metadata.labels = app_labels(ai.metadata.name);
  d.metadata.owner_references.push_back(owner_ref(ai));
  d.spec.replicas = ai.desired_replicas();
  d.spec.selector.match_labels = app_labels(ai.metadata.name);
  models::PodTemplateSpec& t = d.spec.template_;
  t.metadata.labels = app_labels(ai.metadata.name);
  t.metadata.annotations.set(std::string(kModelUriAnnotation), ai.spec.model_uri);
  models::Container c;
  c.name = config.container_name;
  c.image = ai.spec.image.empty() ? config.default_image : ai.spec.image;
  c.requests = ai.spec.requests;
  c.limits = ai.spec.limits;
  if (ai.spec.scaling) {
    if (ai.spec.scaling->gpus_per_replica > 0) {
      // Extended resources: request == limit (upstream ValidateResourceRequirements).
      c.requests.gpu = ai.spec.scaling->gpus_per_replica;
      c.limits.gpu = ai.spec.scaling->gpus_per_replica;
    }
    if (ai.spec.scaling->model_size_bytes > 0) {
      t.metadata.annotations.set(std::string(kModelSizeAnnotation),
                                 std::to_string(ai.spec.scaling->model_size_bytes));
      const double load_s = static_cast<double>(ai.spec.scaling->model_size_bytes) /
                            config.model_load_bytes_per_second;
      const sim::Duration ready_after =
          config.server_startup + static_cast<sim::Duration>(load_s * 1e9);
      t.metadata.annotations.set("kubesim.io/ready-after", sim::format_duration(ready_after));
    }
  }
  models::ContainerPort port;
  port.container_port = config.container_port;
  c.ports.push_back(port);
  t.spec.containers.push_back(std::move(c));
  t.spec.node_selector = ai.spec.node_selector;
  t.spec.tolerations = ai.spec.tolerations;
  return d;
}

models::Service AIServiceOperator::desired_service(const AIService& ai,
                                                   const AIServiceOperatorConfig& config) {
  models::Service s;
  s.metadata.namespace_ = ai.metadata.namespace_;
  s.metadata.name = ai.metadata.name;
  s.metadata.labels = app_labels(ai.metadata.name);
  s.metadata.owner_references.push_back(owner_ref(ai));
  s.spec.selector = app_labels(ai.metadata.name);
  models::ServicePort port;
  port.name = "http";
  port.port = config.service_port;
  port.target_port = std::to_string(config.container_port);
  s.spec.ports.push_back(port);
  return s;
}

std::int32_t AIServiceOperator::rps_desired_replicas(std::int64_t rps_milli,
                                                     const models::AIServiceScaling& scaling) {
  const std::int64_t target = std::max<std::int64_t>(1, scaling.target_rps_per_replica_milli);
  const std::int64_t raw = rps_milli <= 0 ? 0 : (rps_milli + target - 1) / target;
  const std::int64_t hi =
      scaling.max_replicas > 0 ? scaling.max_replicas : std::numeric_limits<std::int32_t>::max();
  const std::int64_t lo = std::min<std::int64_t>(scaling.min_replicas, hi);
  return static_cast<std::int32_t>(std::clamp(raw, lo, hi));
}

void AIServiceOperator::reconcile(const std::string& key) {
  reconciles_.add();
  const auto& cache = aiservices_->cache();
  auto it = cache.find(key);
  if (it == cache.end() || it->second->metadata.being_deleted()) {
    failures_.erase(key);
    return;
  }
  const std::shared_ptr<const AIService> ai = it->second;
  const std::string& ns = ai->metadata.namespace_;
  const std::string& name = ai->metadata.name;
  auto on_write = [this, key](const sim::Status& s) {
    if (!s.ok()) requeue_after_error(key);
  };

  // 1. The Deployment.
  const models::Deployment want = desired_deployment(*ai, config_);
  const std::shared_ptr<const models::Deployment> dep = deployments_->get(ns, name);
  // A Deployment of this name the AIService does not control: the filtered informer does
  // not hold it, so ask the store (what a controller-runtime Get through the cache of all
  // Deployments would find).
  const std::shared_ptr<const models::Deployment> foreign =
      dep == nullptr ? api_.deployments().get(ns, name) : nullptr;
  const bool not_owned = (dep != nullptr && !controlled_by(dep->metadata, *ai)) ||
                         (foreign != nullptr && !controlled_by(foreign->metadata, *ai));
  if (not_owned) {
    // Leave it alone.
  } else if (dep == nullptr) {
    const std::string tag = "deployment/" + key;
    if (creating_.insert(tag).second) {
      api_.create<models::Deployment>(client_, want, [this, key, tag](const sim::Status& s) {
        if (s.ok()) return;
        creating_.erase(tag);
        requeue_after_error(key);
      });
    }
  } else if (dep->spec.replicas != want.spec.replicas ||
             !same_template(dep->spec.template_, want.spec.template_)) {
    api_.patch<models::Deployment>(
        client_, ns, name,
        [want](models::Deployment& d) {
          if (d.spec.replicas == want.spec.replicas &&
              same_template(d.spec.template_, want.spec.template_)) {
            return false;
          }
          d.spec.replicas = want.spec.replicas;
          d.spec.template_ = want.spec.template_;
          ++d.metadata.generation;  // a spec change
          return true;
        },
        on_write);
  }

  // 2. The Service.
  const models::Service want_svc = desired_service(*ai, config_);
  const std::shared_ptr<const models::Service> svc = services_->get(ns, name);
  if (svc == nullptr) {
    const std::string tag = "service/" + key;
    if (api_.services().get(ns, name) == nullptr && creating_.insert(tag).second) {
      api_.create<models::Service>(client_, want_svc, [this, key, tag](const sim::Status& s) {
        if (s.ok()) return;
        creating_.erase(tag);
        requeue_after_error(key);
      });
    }
  } else if (controlled_by(svc->metadata, *ai) && (svc->spec.selector != want_svc.spec.selector ||
                                                   svc->spec.ports != want_svc.spec.ports)) {
    api_.patch<models::Service>(
        client_, ns, name,
        [want_svc](models::Service& s) {
          if (s.spec.selector == want_svc.spec.selector && s.spec.ports == want_svc.spec.ports) {
            return false;
          }
          s.spec.selector = want_svc.spec.selector;
          s.spec.ports = want_svc.spec.ports;
          return true;
        },
        on_write);
  }

  // 3. Status.
  const sim::Time now = sim_.now();
  const std::int32_t desired = ai->desired_replicas();
  models::AIServiceStatus st;
  st.selector = "app=" + name;
  st.observed_generation = ai->metadata.generation;
  const models::Deployment* d = not_owned ? nullptr : dep.get();
  st.replicas = d != nullptr ? d->status.replicas : 0;
  st.ready_replicas = d != nullptr ? d->status.ready_replicas : 0;
  const std::string counts =
      std::to_string(st.ready_replicas) + "/" + std::to_string(desired) + " replicas ready";
  std::vector<models::Condition> conds;
  if (not_owned) {
    conds.push_back(
        condition(models::kAIServiceReady, ConditionStatus::kFalse, "DeploymentNotOwned",
                  "Deployment " + key + " exists and is not controlled by this AIService", now));
  } else if (d == nullptr) {
    conds.push_back(condition(models::kAIServiceReady, ConditionStatus::kFalse,
                              "CreatingDeployment", "waiting for Deployment " + key, now));
  } else if (desired == 0) {
    conds.push_back(condition(models::kAIServiceReady, ConditionStatus::kTrue, "ScaledToZero",
                              "0 replicas requested", now));
  } else if (st.ready_replicas >= desired &&
             d->status.observed_generation >= d->metadata.generation) {
    conds.push_back(condition(models::kAIServiceReady, ConditionStatus::kTrue, "AllReplicasReady",
                              counts, now));
  } else {
    conds.push_back(condition(models::kAIServiceReady, ConditionStatus::kFalse, "ReplicasNotReady",
                              counts, now));
  }
  if (const models::Condition* p =
          d != nullptr
              ? models::find_condition(d->status.conditions, models::kDeploymentProgressing)
              : nullptr) {
    conds.push_back(
        condition(models::kAIServiceProgressing, p->status, p->reason, p->message, now));
  } else if (!not_owned) {
    conds.push_back(condition(models::kAIServiceProgressing, ConditionStatus::kTrue,
                              "CreatingDeployment", "the Deployment's rollout has not started",
                              now));
  }
  const auto& scaling = ai->spec.scaling;
  if (!scaling) {
    conds.push_back(condition(models::kAIServiceScalingActive, ConditionStatus::kFalse,
                              "ScalingDisabled",
                              "no scaling section: the replica count is spec.replicas", now));
  } else if (scaling->policy != models::kAIServicePolicyRps &&
             policies_.count(scaling->policy) == 0) {
    conds.push_back(condition(
        models::kAIServiceScalingActive, ConditionStatus::kUnknown, "ExternalAutoscaler",
        "policy " + scaling->policy + ": spec.replicas is written through the /scale subresource",
        now));
  } else if (models::find_condition(ai->status.conditions, models::kAIServiceScalingActive) ==
             nullptr) {
    conds.push_back(condition(models::kAIServiceScalingActive, ConditionStatus::kUnknown,
                              "AwaitingMetrics", "the policy has not been evaluated yet", now));
  }
  auto apply = [st, conds](models::AIServiceStatus& s) {
    bool changed = s.replicas != st.replicas || s.ready_replicas != st.ready_replicas ||
                   s.selector != st.selector || s.observed_generation != st.observed_generation;
    s.replicas = st.replicas;
    s.ready_replicas = st.ready_replicas;
    s.selector = st.selector;
    s.observed_generation = std::max(s.observed_generation, st.observed_generation);
    for (const auto& c : conds) changed = models::set_condition(s.conditions, c) || changed;
    return changed;
  };
  models::AIServiceStatus probe = ai->status;
  if (!apply(probe)) {
    failures_.erase(key);
    return;
  }
  api_.patch<AIService>(
      client_, ns, name, [apply](AIService& a) { return apply(a.status); },
      [this, key](const sim::Status& s) {
        // NotFound: the AIService went away meanwhile; nothing to retry.
        if (!s.ok() && s.code() != sim::Status::Code::kNotFound) requeue_after_error(key);
        if (s.ok()) failures_.erase(key);
      });
}

void AIServiceOperator::evaluate_policies() {
  const sim::Time now = sim_.now();
  for (const auto& [key, ai] : aiservices_->cache()) {
    if (!ai->spec.scaling || ai->metadata.being_deleted()) continue;
    const models::AIServiceScaling& scaling = *ai->spec.scaling;
    auto custom = policies_.find(scaling.policy);
    const bool builtin = custom == policies_.end() && scaling.policy == models::kAIServicePolicyRps;
    if (custom == policies_.end() && !builtin) continue;
    const std::string& ns = ai->metadata.namespace_;
    const std::string& name = ai->metadata.name;
    std::optional<double> rps = rps_ ? rps_(ns, name) : std::nullopt;
    if (rps && (!std::isfinite(*rps) || *rps < 0)) rps.reset();
    std::optional<std::int64_t> rps_milli;
    if (rps) rps_milli = std::llround(*rps * 1000.0);
    std::optional<std::int32_t> desired;
    models::Condition cond;
    if (!builtin) {
      desired = custom->second(*ai, rps);
      cond = condition(models::kAIServiceScalingActive, ConditionStatus::kTrue, "PolicyEvaluated",
                       "policy " + scaling.policy + " evaluated", now);
    } else if (!rps_milli) {
      cond = condition(models::kAIServiceScalingActive, ConditionStatus::kFalse, "FailedGetMetric",
                       "the requests per second of Service " + key + " are not available", now);
    } else {
      desired = rps_desired_replicas(*rps_milli, scaling);
      cond = condition(models::kAIServiceScalingActive, ConditionStatus::kTrue, "ValidMetric",
                       "observed " + milli_text(*rps_milli) + " RPS at a target of " +
                           milli_text(scaling.target_rps_per_replica_milli) +
                           " per replica: " + std::to_string(*desired) + " replicas (bounds " +
                           std::to_string(scaling.min_replicas) + ".." +
                           std::to_string(scaling.max_replicas) + ")",
                       now);
    }
    auto apply = [rps_milli, cond](models::AIServiceStatus& s) {
      bool changed = false;
      if (rps_milli && s.observed_rps_milli != rps_milli) {
        s.observed_rps_milli = rps_milli;
        changed = true;
      }
      return models::set_condition(s.conditions, cond) || changed;
    };
    models::AIServiceStatus probe = ai->status;
    if (apply(probe)) {
      api_.patch<AIService>(
          client_, ns, name, [apply](AIService& a) { return apply(a.status); },
          [this](const sim::Status& s) {
            if (!s.ok() && s.code() != sim::Status::Code::kNotFound) {
              write_errors_.add();
            }
          });
    }
    if (desired && *desired != ai->desired_replicas()) {
      sim::Counter* counter = &rescales_;
      api_.patch<AIService>(
          client_, ns, name,
          [replicas = *desired, counter](AIService& a) {
            if (a.spec.replicas == replicas) return false;
            a.spec.replicas = replicas;
            ++a.metadata.generation;
            counter->add();
            return true;
          },
          [this](const sim::Status& s) {
            if (!s.ok() && s.code() != sim::Status::Code::kNotFound) write_errors_.add();
          });
    }
  }
}

std::optional<AIServiceScale> AIServiceOperator::get_scale(const std::string& namespace_,
                                                           const std::string& name) const {
  auto ai = api_.aiservices().get(namespace_, name);
  if (ai == nullptr) return std::nullopt;
  AIServiceScale scale;
  scale.spec_replicas = ai->desired_replicas();
  scale.status_replicas = ai->status.replicas;
  scale.selector.match_labels = app_labels(name);
  return scale;
}

void AIServiceOperator::set_scale(const std::string& namespace_, const std::string& name,
                                  std::int32_t replicas,
                                  std::function<void(const sim::Status&)> done) {
  set_scale(client_, namespace_, name, replicas, std::move(done));
}

void AIServiceOperator::set_scale(models::ApiClient& client, const std::string& namespace_,
                                  const std::string& name, std::int32_t replicas,
                                  std::function<void(const sim::Status&)> done) {
  if (replicas < 0) {
    // upstream ValidateScale: spec.replicas must be greater than or equal to 0.
    sim_.schedule_after(0, [done = std::move(done)] {
      if (done) {
        done(sim::Status::invalid_argument(
            "spec.replicas: Invalid value: must be greater than or equal to 0"));
      }
    });
    return;
  }
  api_.patch<AIService>(
      client, namespace_, name,
      [replicas](AIService& a) {
        if (a.spec.replicas == replicas) return false;
        a.spec.replicas = replicas;
        ++a.metadata.generation;
        return true;
      },
      std::move(done));
}

// ---- OwnerGarbageCollector -----------------------------------------------------------------

OwnerGarbageCollector::OwnerGarbageCollector(sim::Simulation& /*sim*/, sim::MetricRegistry& metrics,
                                             models::ApiServer& api)
    : api_(api),
      client_(api.make_client("garbage-collector", models::kKubeControllerManagerDefaultRateLimit)),
      deletions_(metrics.counter("garbage_collector.deletions")) {
  auto has_owner = [](const models::ObjectMeta& m) { return !m.owner_references.empty(); };
  // Handlers for each kind: observe on add/update; on delete, forget it and collect its
  // dependents.
  auto handlers = [this](Kind kind) {
    return std::make_tuple([this, kind](const models::ObjectMeta& m) { observe(kind, m); },
                           [this, kind](const models::ObjectMeta& m) {
                             forget(kind, m);
                             owner_gone(m.uid);
                           });
  };
  {
    auto [seen, gone] = handlers(Kind::kDeployment);
    deployments_ = std::make_unique<models::Informer<models::Deployment>>(
        api, models::Informer<models::Deployment>::Handlers{
                 [seen](const auto& o) { seen(o->metadata); },
                 [seen](const auto&, const auto& o) { seen(o->metadata); },
                 [gone](const auto& o) { gone(o->metadata); }});
  }
  {
    auto [seen, gone] = handlers(Kind::kReplicaSet);
    replicasets_ = std::make_unique<models::Informer<models::ReplicaSet>>(
        api, models::Informer<models::ReplicaSet>::Handlers{
                 [seen](const auto& o) { seen(o->metadata); },
                 [seen](const auto&, const auto& o) { seen(o->metadata); },
                 [gone](const auto& o) { gone(o->metadata); }});
  }
  {
    // Pods own nothing: only those with owners matter.
    auto [seen, gone] = handlers(Kind::kPod);
    pods_ = std::make_unique<models::Informer<models::Pod>>(
        api,
        models::Informer<models::Pod>::Handlers{
            [seen](const auto& o) { seen(o->metadata); },
            [seen](const auto&, const auto& o) { seen(o->metadata); },
            [gone](const auto& o) { gone(o->metadata); }},
        [has_owner](const models::Pod& p) { return has_owner(p.metadata); });
  }
  {
    auto [seen, gone] = handlers(Kind::kService);
    services_ = std::make_unique<models::Informer<models::Service>>(
        api, models::Informer<models::Service>::Handlers{
                 [seen](const auto& o) { seen(o->metadata); },
                 [seen](const auto&, const auto& o) { seen(o->metadata); },
                 [gone](const auto& o) { gone(o->metadata); }});
  }
  {
    auto [seen, gone] = handlers(Kind::kAIService);
    aiservices_ = std::make_unique<models::Informer<models::AIService>>(
        api, models::Informer<models::AIService>::Handlers{
                 [seen](const auto& o) { seen(o->metadata); },
                 [seen](const auto&, const auto& o) { seen(o->metadata); },
                 [gone](const auto& o) { gone(o->metadata); }});
  }
}

OwnerGarbageCollector::~OwnerGarbageCollector() = default;

void OwnerGarbageCollector::observe(Kind kind, const models::ObjectMeta& meta) {
  if (meta.owner_references.empty()) return;
  Dependent d{kind, meta.namespace_, meta.name, {}};
  for (const auto& ref : meta.owner_references) d.owner_uids.push_back(ref.uid);
  for (const auto& uid : d.owner_uids) dependents_[uid].insert(d);
  if (orphaned(d)) remove(d);
}

void OwnerGarbageCollector::forget(Kind kind, const models::ObjectMeta& meta) {
  const Dependent d{kind, meta.namespace_, meta.name, {}};
  for (const auto& ref : meta.owner_references) {
    auto it = dependents_.find(ref.uid);
    if (it == dependents_.end()) continue;
    it->second.erase(d);
    if (it->second.empty()) dependents_.erase(it);
  }
  deleting_.erase(std::to_string(static_cast<int>(kind)) + "/" + key_of(meta));
}

void OwnerGarbageCollector::owner_gone(const std::string& uid) {
  if (uid.empty()) return;
  gone_.insert(uid);
  auto it = dependents_.find(uid);
  if (it == dependents_.end()) return;
  const std::set<Dependent> deps = it->second;  // remove() may not touch the map, but copy
  for (const Dependent& d : deps) {
    if (orphaned(d)) remove(d);
  }
}

// upstream attemptToDeleteItem: a dependent is deleted when none of its owners exists.
bool OwnerGarbageCollector::orphaned(const Dependent& d) const {
  if (d.owner_uids.empty()) return false;
  for (const auto& uid : d.owner_uids) {
    if (gone_.count(uid) == 0) return false;
  }
  return true;
}

void OwnerGarbageCollector::remove(const Dependent& d) {
  const std::string tag =
      std::to_string(static_cast<int>(d.kind)) + "/" + models::object_key(d.namespace_, d.name);
  if (!deleting_.insert(tag).second) return;
  deletions_.add();
  auto done = [this, tag](const sim::Status& s) {
    // A failed delete (not NotFound) may be retried on the object's next event.
    if (!s.ok() && s.code() != sim::Status::Code::kNotFound) deleting_.erase(tag);
  };
  switch (d.kind) {
    case Kind::kDeployment:
      api_.remove<models::Deployment>(client_, d.namespace_, d.name, done);
      break;
    case Kind::kReplicaSet:
      api_.remove<models::ReplicaSet>(client_, d.namespace_, d.name, done);
      break;
    case Kind::kPod:
      api_.delete_pod(client_, d.namespace_, d.name, std::nullopt, done);
      break;
    case Kind::kService:
      api_.remove<models::Service>(client_, d.namespace_, d.name, done);
      break;
    case Kind::kAIService:
      api_.remove<models::AIService>(client_, d.namespace_, d.name, done);
      break;
  }
}

// ---- helpers for the scenario runtime --------------------------------------------------------

AIServiceOperator::RpsSource rps_from_cumulative(
    sim::Simulation& sim,
    std::function<std::optional<std::uint64_t>(const std::string&, const std::string&)>
        cumulative) {
  auto last = std::make_shared<std::map<std::string, std::pair<sim::Time, std::uint64_t>>>();
  return [&sim, last, cumulative = std::move(cumulative)](
             const std::string& ns, const std::string& service) -> std::optional<double> {
    const std::optional<std::uint64_t> value = cumulative(ns, service);
    if (!value) return std::nullopt;
    const std::string key = models::object_key(ns, service);
    const sim::Time now = sim.now();
    std::optional<double> out;
    auto it = last->find(key);
    if (it != last->end() && now > it->second.first && *value >= it->second.second) {
      out =
          static_cast<double>(*value - it->second.second) / sim::to_seconds(now - it->second.first);
    }
    (*last)[key] = {now, *value};
    return out;
  };
}

void apply_aiservices(models::Cluster& cluster, const std::vector<models::AIService>& objects) {
  std::set<std::string> seen;
  models::ApiClient* client = nullptr;
  models::ApiServer& api = cluster.api();
  for (const AIService& o : objects) {
    const sim::Time at = apply_time(o.metadata);
    if (seen.insert(key_of(o.metadata)).second) {
      cluster.apply_at(at, o);
      continue;
    }
    // kubectl apply of a changed AIService: the spec (and labels, annotations) replaced.
    if (client == nullptr) {
      client = &api.make_client("applier-aiservices", models::ClientRateLimit{1e6, 1000000});
    }
    api.simulation().schedule_at(at, [&api, client, o = std::make_shared<const AIService>(o)] {
      api.patch<AIService>(*client, o->metadata.namespace_, o->metadata.name, [o](AIService& a) {
        if (a.spec == o->spec && a.metadata.labels == o->metadata.labels &&
            a.metadata.annotations == o->metadata.annotations) {
          return false;
        }
        if (!(a.spec == o->spec)) ++a.metadata.generation;
        a.spec = o->spec;
        a.metadata.labels = o->metadata.labels;
        a.metadata.annotations = o->metadata.annotations;
        return true;
      });
    });
  }
}

}  // namespace kubesim::experiments
