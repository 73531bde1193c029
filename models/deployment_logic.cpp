#include "models/deployment_logic.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <string>

namespace kubesim::models {

namespace {

bool is_rolling(const Deployment& d) {
  return d.spec.strategy == DeploymentStrategyType::kRollingUpdate;
}

// upstream HasProgressDeadline / HasRevisionHistoryLimit: MaxInt32 means "not set".
bool has_progress_deadline(const Deployment& d) {
  return d.spec.progress_deadline_seconds != INT32_MAX;
}
bool has_revision_history_limit(const Deployment& d) {
  return d.spec.revision_history_limit != INT32_MAX;
}

// upstream ReplicaSetsByCreationTimestamp.Less: creation time, then name.
bool older(const ReplicaSet* a, const ReplicaSet* b) {
  if (a->metadata.creation_timestamp != b->metadata.creation_timestamp) {
    return a->metadata.creation_timestamp < b->metadata.creation_timestamp;
  }
  return a->metadata.name < b->metadata.name;
}

std::optional<std::int32_t> int_annotation(const ReplicaSet& rs, std::string_view key) {
  const std::string* v = rs.metadata.annotations.find(key);
  if (v == nullptr) return std::nullopt;
  const std::optional<std::int64_t> n = parse_go_int64(*v);
  if (!n || *n < INT32_MIN || *n > INT32_MAX) return std::nullopt;
  return static_cast<std::int32_t>(*n);
}

// upstream annotationsToSkip: never copied between a Deployment and its ReplicaSets.
bool skip_copy_annotation(std::string_view key) {
  return key == "kubectl.kubernetes.io/last-applied-configuration" || key == kRevisionAnnotation ||
         key == kRevisionHistoryAnnotation || key == kDesiredReplicasAnnotation ||
         key == kMaxReplicasAnnotation;
}

ScaleDecision make_scale(const Deployment& d, const ReplicaSet* rs, std::int32_t replicas) {
  return ScaleDecision{rs, replicas, d.spec.replicas, d.spec.replicas + max_surge(d)};
}

bool annotations_need_update(const ReplicaSet& rs, const ScaleDecision& s) {
  return int_annotation(rs, kDesiredReplicasAnnotation) != s.desired_annotation ||
         int_annotation(rs, kMaxReplicasAnnotation) != s.max_annotation;
}

// --- canonical serialisation -----------------------------------------------------------

class Writer {
 public:
  void str(std::string_view s) {
    out_ += std::to_string(s.size());
    out_ += ':';
    out_ += s;
  }
  void num(std::int64_t v) {
    out_ += '#';
    out_ += std::to_string(v);
    out_ += ';';
  }
  void tag(char c) { out_ += c; }
  void labels(const Labels& l, bool skip_hash) {
    tag('{');
    for (const auto& [k, v] : l) {
      if (skip_hash && k == kPodTemplateHashLabel) continue;
      str(k);
      str(v);
    }
    tag('}');
  }
  void resources(const ResourceList& r) { str(r.to_string()); }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

void write_container(Writer& w, const Container& c) {
  w.tag('C');
  w.str(c.name);
  w.str(c.image);
  w.resources(c.requests);
  w.resources(c.limits);
  w.num(static_cast<std::int64_t>(c.ports.size()));
  for (const ContainerPort& p : c.ports) {
    w.num(p.container_port);
    w.num(p.host_port);
    w.str(p.protocol);
    w.str(p.host_ip);
  }
  w.num(c.restartable ? 1 : 0);
}

void write_node_requirements(Writer& w, const std::vector<NodeSelectorRequirement>& rs) {
  w.num(static_cast<std::int64_t>(rs.size()));
  for (const NodeSelectorRequirement& r : rs) {
    w.str(r.key);
    w.num(static_cast<int>(r.op));
    for (const std::string& v : r.values) w.str(v);
    w.tag('.');
  }
}

void write_node_term(Writer& w, const NodeSelectorTerm& t) {
  w.tag('T');
  write_node_requirements(w, t.match_expressions);
  write_node_requirements(w, t.match_fields);
}

void write_label_selector(Writer& w, const std::optional<LabelSelector>& s) {
  if (!s) {
    w.tag('-');
    return;
  }
  w.tag('S');
  w.labels(s->match_labels, false);
  w.num(static_cast<std::int64_t>(s->match_expressions.size()));
  for (const LabelSelectorRequirement& r : s->match_expressions) {
    w.str(r.key);
    w.num(static_cast<int>(r.op));
    for (const std::string& v : r.values) w.str(v);
    w.tag('.');
  }
}

void write_affinity_term(Writer& w, const PodAffinityTerm& t) {
  w.tag('A');
  write_label_selector(w, t.label_selector);
  for (const std::string& n : t.namespaces) w.str(n);
  w.tag('.');
  write_label_selector(w, t.namespace_selector);
  w.str(t.topology_key);
  for (const std::string& k : t.match_label_keys) w.str(k);
  w.tag('.');
  for (const std::string& k : t.mismatch_label_keys) w.str(k);
  w.tag('.');
}

void write_affinity_rules(Writer& w, const PodAffinityRules& r) {
  w.num(static_cast<std::int64_t>(r.required.size()));
  for (const PodAffinityTerm& t : r.required) write_affinity_term(w, t);
  w.num(static_cast<std::int64_t>(r.preferred.size()));
  for (const WeightedPodAffinityTerm& t : r.preferred) {
    w.num(t.weight);
    write_affinity_term(w, t.term);
  }
}

}  // namespace

// ---- Fenceposts -----------------------------------------------------------------------------

std::int32_t scaled_value(IntOrPercent value, std::int32_t total, bool round_up) {
  if (!value.percent) return value.value;
  // upstream: math.Ceil / math.Floor of value * total / 100; exact in integers here.
  const std::int64_t num = static_cast<std::int64_t>(value.value) * total;
  std::int64_t q = num / 100;
  const std::int64_t r = num % 100;
  if (r != 0) {
    if (round_up && num > 0) ++q;
    if (!round_up && num < 0) --q;
  }
  return static_cast<std::int32_t>(q);
}

Fenceposts resolve_fenceposts(IntOrPercent surge, IntOrPercent unavailable, std::int32_t desired) {
  Fenceposts f{scaled_value(surge, desired, true), scaled_value(unavailable, desired, false)};
  // Rounding down can make both zero; upstream then allows one unavailable pod rather than
  // relying on surge, which quota might forbid.
  if (f.max_surge == 0 && f.max_unavailable == 0) f.max_unavailable = 1;
  return f;
}

std::int32_t max_surge(const Deployment& d) {
  if (!is_rolling(d)) return 0;
  return resolve_fenceposts(d.spec.max_surge, d.spec.max_unavailable, d.spec.replicas).max_surge;
}

std::int32_t max_unavailable(const Deployment& d) {
  if (!is_rolling(d) || d.spec.replicas == 0) return 0;
  const std::int32_t u =
      resolve_fenceposts(d.spec.max_surge, d.spec.max_unavailable, d.spec.replicas).max_unavailable;
  return std::min(u, d.spec.replicas);
}

std::int32_t min_available(const Deployment& d) {
  if (!is_rolling(d)) return 0;
  return d.spec.replicas - max_unavailable(d);
}

// ---- Template hash --------------------------------------------------------------------------

std::string safe_encode_string(std::string_view s) {
  static constexpr std::string_view kAlphanums = "bcdfghjklmnpqrstvwxz2456789";
  std::string out(s.size(), ' ');
  for (std::size_t i = 0; i < s.size(); ++i) {
    out[i] = kAlphanums[static_cast<unsigned char>(s[i]) % kAlphanums.size()];
  }
  return out;
}

std::uint32_t fnv32a(std::string_view bytes, std::uint32_t hash) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 16777619u;
  }
  return hash;
}

std::string canonical_template(const PodTemplateSpec& t) {
  Writer w;
  w.labels(t.metadata.labels, /*skip_hash=*/true);
  w.labels(t.metadata.annotations, false);
  const PodSpec& s = t.spec;
  w.num(static_cast<std::int64_t>(s.init_containers.size()));
  for (const Container& c : s.init_containers) write_container(w, c);
  w.num(static_cast<std::int64_t>(s.containers.size()));
  for (const Container& c : s.containers) write_container(w, c);
  w.str(s.node_name);
  w.str(s.scheduler_name);
  w.str(s.priority_class_name);
  w.num(s.priority);
  w.num(static_cast<int>(s.preemption_policy));
  w.labels(s.node_selector, false);
  if (s.node_affinity) {
    w.tag('N');
    if (s.node_affinity->required) {
      w.tag('R');
      for (const NodeSelectorTerm& term : s.node_affinity->required->node_selector_terms) {
        write_node_term(w, term);
      }
    }
    w.num(static_cast<std::int64_t>(s.node_affinity->preferred.size()));
    for (const PreferredSchedulingTerm& p : s.node_affinity->preferred) {
      w.num(p.weight);
      write_node_term(w, p.preference);
    }
  }
  w.num(static_cast<std::int64_t>(s.tolerations.size()));
  for (const Toleration& tol : s.tolerations) {
    w.str(tol.key);
    w.num(static_cast<int>(tol.op));
    w.str(tol.value);
    w.num(tol.effect ? static_cast<int>(*tol.effect) : -1);
    w.num(tol.toleration_seconds.value_or(INT64_MIN));
  }
  write_affinity_rules(w, s.pod_affinity);
  write_affinity_rules(w, s.pod_anti_affinity);
  w.num(static_cast<std::int64_t>(s.topology_spread_constraints.size()));
  for (const TopologySpreadConstraint& c : s.topology_spread_constraints) {
    w.num(c.max_skew);
    w.str(c.topology_key);
    w.num(static_cast<int>(c.when_unsatisfiable));
    write_label_selector(w, c.label_selector);
    w.num(c.min_domains.value_or(-1));
    w.num(c.node_affinity_policy ? static_cast<int>(*c.node_affinity_policy) : -1);
    w.num(c.node_taints_policy ? static_cast<int>(*c.node_taints_policy) : -1);
    for (const std::string& k : c.match_label_keys) w.str(k);
    w.tag('.');
  }
  w.num(s.termination_grace_period_seconds);
  w.num(s.active_deadline_seconds.value_or(-1));
  w.num(static_cast<int>(s.restart_policy));
  w.resources(s.overhead);
  for (std::int32_t id : s.gpu_device_ids) w.num(id);
  return w.take();
}

std::string pod_template_hash(const PodTemplateSpec& t,
                              std::optional<std::int32_t> collision_count) {
  std::uint32_t h = fnv32a(canonical_template(t));
  if (collision_count) {
    // upstream writes the collision count as 4 little-endian bytes after the object.
    const auto c = static_cast<std::uint32_t>(*collision_count);
    const char bytes[4] = {static_cast<char>(c & 0xff), static_cast<char>((c >> 8) & 0xff),
                           static_cast<char>((c >> 16) & 0xff), static_cast<char>(c >> 24)};
    h = fnv32a(std::string_view(bytes, 4), h);
  }
  return safe_encode_string(std::to_string(h));
}

bool equal_ignore_hash(const PodTemplateSpec& a, const PodTemplateSpec& b) {
  return canonical_template(a) == canonical_template(b);
}

const ReplicaSet* find_new_replica_set(const Deployment& d,
                                       std::span<const ReplicaSet* const> rses) {
  const std::string want = canonical_template(d.spec.template_);
  const ReplicaSet* best = nullptr;
  for (const ReplicaSet* rs : rses) {
    if (rs == nullptr || canonical_template(rs->spec.template_) != want) continue;
    if (best == nullptr || older(rs, best)) best = rs;
  }
  return best;
}

// ---- Revisions -------------------------------------------------------------------------------

std::optional<std::int64_t> revision_of(const ReplicaSet& rs) {
  const std::string* v = rs.metadata.annotations.find(kRevisionAnnotation);
  if (v == nullptr) return 0;
  return parse_go_int64(*v);
}

std::int64_t max_revision(std::span<const ReplicaSet* const> rses) {
  std::int64_t max = 0;
  for (const ReplicaSet* rs : rses) {
    if (rs == nullptr) continue;
    if (const auto v = revision_of(*rs); v && *v > max) max = *v;
  }
  return max;
}

std::int64_t last_revision(std::span<const ReplicaSet* const> rses) {
  std::int64_t max = 0;
  std::int64_t second = 0;
  for (const ReplicaSet* rs : rses) {
    if (rs == nullptr) continue;
    const auto v = revision_of(*rs);
    if (!v) continue;
    if (*v >= max) {
      second = max;
      max = *v;
    } else if (*v > second) {
      second = *v;
    }
  }
  return second;
}

ReplicaSet make_new_replica_set(const Deployment& d, std::span<const ReplicaSet* const> old_rses,
                                sim::Time now, std::int32_t collision_count) {
  ReplicaSet rs;
  const std::string hash = pod_template_hash(
      d.spec.template_,
      collision_count == 0 ? std::nullopt : std::optional<std::int32_t>(collision_count));
  rs.spec.template_ = d.spec.template_;
  rs.spec.template_.metadata.labels.set(std::string(kPodTemplateHashLabel), hash);
  rs.spec.selector = d.spec.selector;
  rs.spec.selector.match_labels.set(std::string(kPodTemplateHashLabel), hash);
  rs.spec.min_ready_seconds = d.spec.min_ready_seconds;
  rs.metadata.name = d.metadata.name + "-" + hash;
  rs.metadata.namespace_ = d.metadata.namespace_;
  rs.metadata.labels = rs.spec.template_.metadata.labels;
  rs.metadata.creation_timestamp = now;
  rs.metadata.owner_references.push_back(
      OwnerReference{"apps/v1", "Deployment", d.metadata.name, d.metadata.uid, true, true});
  for (const auto& [k, v] : d.metadata.annotations) {
    if (!skip_copy_annotation(k)) rs.metadata.annotations.set(k, v);
  }
  rs.metadata.annotations.set(std::string(kRevisionAnnotation),
                              std::to_string(max_revision(old_rses) + 1));
  rs.metadata.annotations.set(std::string(kDesiredReplicasAnnotation),
                              std::to_string(d.spec.replicas));
  rs.metadata.annotations.set(std::string(kMaxReplicasAnnotation),
                              std::to_string(d.spec.replicas + max_surge(d)));
  rs.spec.replicas = 0;
  std::vector<const ReplicaSet*> all(old_rses.begin(), old_rses.end());
  all.push_back(&rs);
  rs.spec.replicas = new_rs_new_replicas(d, all, rs);
  return rs;
}

bool update_new_replica_set_annotations(const Deployment& d, ReplicaSet& new_rs,
                                        std::int64_t new_revision) {
  bool changed = false;
  for (const auto& [k, v] : d.metadata.annotations) {
    if (skip_copy_annotation(k) || new_rs.metadata.annotations.get(k) == v) continue;
    new_rs.metadata.annotations.set(k, v);
    changed = true;
  }
  const std::string* old_text = new_rs.metadata.annotations.find(kRevisionAnnotation);
  const bool had_revision = old_text != nullptr;
  const std::string old_revision = had_revision ? *old_text : std::string();
  std::int64_t old_value = 0;
  if (had_revision && !old_revision.empty()) {
    const auto parsed = parse_go_int64(old_revision);
    if (!parsed) return false;  // upstream: a non-integer revision is left alone
    old_value = *parsed;
  }
  bool revision_changed = false;
  if (old_value < new_revision) {
    new_rs.metadata.annotations.set(std::string(kRevisionAnnotation), std::to_string(new_revision));
    changed = revision_changed = true;
  }
  // A ReplicaSet that had a revision and gets a new one is being rolled back to: keep the
  // old revisions in revision-history (upstream: "if ok && annotationChanged").
  if (had_revision && changed && revision_changed) {
    const std::string history(new_rs.metadata.annotations.get(kRevisionHistoryAnnotation));
    new_rs.metadata.annotations.set(std::string(kRevisionHistoryAnnotation),
                                    history.empty() ? old_revision : history + "," + old_revision);
  }
  return changed;
}

// ---- Scaling --------------------------------------------------------------------------------

void apply_scale(ReplicaSet& rs, const ScaleDecision& s) {
  rs.spec.replicas = s.replicas;
  rs.metadata.annotations.set(std::string(kDesiredReplicasAnnotation),
                              std::to_string(s.desired_annotation));
  rs.metadata.annotations.set(std::string(kMaxReplicasAnnotation),
                              std::to_string(s.max_annotation));
}

std::int32_t spec_replicas(std::span<const ReplicaSet* const> rses) {
  std::int32_t n = 0;
  for (const ReplicaSet* rs : rses) n += rs ? rs->spec.replicas : 0;
  return n;
}
std::int32_t actual_replicas(std::span<const ReplicaSet* const> rses) {
  std::int32_t n = 0;
  for (const ReplicaSet* rs : rses) n += rs ? rs->status.replicas : 0;
  return n;
}
std::int32_t available_replicas(std::span<const ReplicaSet* const> rses) {
  std::int32_t n = 0;
  for (const ReplicaSet* rs : rses) n += rs ? rs->status.available_replicas : 0;
  return n;
}
std::int32_t ready_replicas(std::span<const ReplicaSet* const> rses) {
  std::int32_t n = 0;
  for (const ReplicaSet* rs : rses) n += rs ? rs->status.ready_replicas : 0;
  return n;
}

std::int32_t new_rs_new_replicas(const Deployment& d, std::span<const ReplicaSet* const> all_rses,
                                 const ReplicaSet& new_rs) {
  if (!is_rolling(d)) return d.spec.replicas;
  const std::int32_t surge = scaled_value(d.spec.max_surge, d.spec.replicas, true);
  const std::int32_t current = spec_replicas(all_rses);
  const std::int32_t max_total = d.spec.replicas + surge;
  if (current >= max_total) return new_rs.spec.replicas;
  const std::int32_t up = std::min(max_total - current, d.spec.replicas - new_rs.spec.replicas);
  return new_rs.spec.replicas + up;
}

std::optional<ScaleDecision> reconcile_new_replica_set(const Deployment& d,
                                                       std::span<const ReplicaSet* const> all_rses,
                                                       const ReplicaSet& new_rs) {
  if (new_rs.spec.replicas == d.spec.replicas) return std::nullopt;
  const std::int32_t target = new_rs.spec.replicas > d.spec.replicas
                                  ? d.spec.replicas
                                  : new_rs_new_replicas(d, all_rses, new_rs);
  if (target == new_rs.spec.replicas) return std::nullopt;
  return make_scale(d, &new_rs, target);
}

OldReplicaSetsScaleDown reconcile_old_replica_sets(const Deployment& d,
                                                   std::span<const ReplicaSet* const> old_rses,
                                                   const ReplicaSet& new_rs) {
  OldReplicaSetsScaleDown out;
  // Working sizes: cleanup changes spec.replicas that the second phase then reads.
  struct Work {
    const ReplicaSet* rs;
    std::int32_t replicas;
  };
  std::vector<Work> olds;
  for (const ReplicaSet* rs : old_rses) {
    if (rs != nullptr && rs->spec.replicas > 0) olds.push_back({rs, rs->spec.replicas});
  }
  std::int32_t old_count = 0;
  for (const Work& w : olds) old_count += w.replicas;
  if (old_count == 0) return out;

  const std::int32_t all_count = old_count + new_rs.spec.replicas;
  const std::int32_t min_avail = d.spec.replicas - max_unavailable(d);
  const std::int32_t new_unavailable = new_rs.spec.replicas - new_rs.status.available_replicas;
  const std::int32_t max_scaled_down = all_count - min_avail - new_unavailable;
  if (max_scaled_down <= 0) return out;

  std::stable_sort(olds.begin(), olds.end(),
                   [](const Work& a, const Work& b) { return older(a.rs, b.rs); });

  // cleanupUnhealthyReplicas: old ReplicaSets' unavailable replicas go first; the
  // ReplicaSet controller deletes not-ready pods before ready ones, so availability holds.
  bool aborted = false;
  for (Work& w : olds) {
    if (out.cleanup_count >= max_scaled_down) break;
    if (w.replicas == 0) continue;
    const std::int32_t unhealthy = w.replicas - w.rs->status.available_replicas;
    if (unhealthy == 0) continue;
    const std::int32_t n = std::min(max_scaled_down - out.cleanup_count, unhealthy);
    if (n < 0) {  // upstream returns an error ("invalid request to scale down") here
      aborted = true;
      break;
    }
    w.replicas -= n;
    out.cleanup_count += n;
  }

  // scaleDownOldReplicaSetsForRollingUpdate: available pods above minAvailable.
  if (!aborted) {
    std::int32_t available = new_rs.status.available_replicas;
    for (const Work& w : olds) available += w.rs->status.available_replicas;
    if (available > min_avail) {
      const std::int32_t budget = available - min_avail;
      for (Work& w : olds) {
        if (out.scaled_down_count >= budget) break;
        if (w.replicas == 0) continue;
        const std::int32_t n = std::min(w.replicas, budget - out.scaled_down_count);
        w.replicas -= n;
        out.scaled_down_count += n;
      }
    }
  }
  for (const Work& w : olds) {
    if (w.replicas != w.rs->spec.replicas) out.decisions.push_back(make_scale(d, w.rs, w.replicas));
  }
  return out;
}

RolloutStep rolling_update_step(const Deployment& d, const ReplicaSet& new_rs,
                                std::span<const ReplicaSet* const> old_rses) {
  RolloutStep step;
  std::vector<const ReplicaSet*> all(old_rses.begin(), old_rses.end());
  all.push_back(&new_rs);
  if (auto up = reconcile_new_replica_set(d, all, new_rs)) {
    step.scales.push_back(*up);
    step.scaled_up = true;
    return step;
  }
  OldReplicaSetsScaleDown down = reconcile_old_replica_sets(d, old_rses, new_rs);
  if (down.total() > 0) {
    step.scales = std::move(down.decisions);
    step.scaled_down = true;
    return step;
  }
  // upstream: history is cleaned only once the rollout is complete (per d.status).
  if (deployment_complete(d, d.status)) step.cleanup = cleanup_history(d, old_rses);
  return step;
}

RecreateStep recreate_step(const Deployment& d, const ReplicaSet* new_rs,
                           std::span<const ReplicaSet* const> old_rses, bool old_running) {
  RecreateStep step;
  for (const ReplicaSet* rs : old_rses) {
    if (rs != nullptr && rs->spec.replicas > 0) step.scales.push_back(make_scale(d, rs, 0));
  }
  if (!step.scales.empty()) {
    step.scaled_down_old = true;
    return step;
  }
  if (old_running) {
    step.waiting_for_old_pods = true;
    return step;
  }
  if (new_rs == nullptr) {
    step.create_new_rs = true;  // created with replicas = d.spec.replicas (NewRSNewReplicas)
    return step;
  }
  if (new_rs->spec.replicas != d.spec.replicas) {
    step.scales.push_back(make_scale(d, new_rs, d.spec.replicas));
  }
  if (deployment_complete(d, d.status)) step.cleanup = cleanup_history(d, old_rses);
  return step;
}

bool old_pods_running(std::span<const ReplicaSet* const> old_rses,
                      std::span<const Pod* const> pods_not_of_new_rs) {
  if (actual_replicas(old_rses) > 0) return true;
  for (const Pod* p : pods_not_of_new_rs) {
    // Unknown (deprecated) counts as running: upstream cannot be sure it stopped.
    if (!p->terminal()) return true;
  }
  return false;
}

// ---- Proportional scaling -------------------------------------------------------------------

bool is_scaling_event(const Deployment& d, std::span<const ReplicaSet* const> rses) {
  for (const ReplicaSet* rs : rses) {
    if (rs == nullptr || rs->spec.replicas <= 0) continue;
    const auto desired = int_annotation(*rs, kDesiredReplicasAnnotation);
    if (desired && *desired != d.spec.replicas) return true;
  }
  return false;
}

bool is_saturated(const Deployment& d, const ReplicaSet* rs) {
  if (rs == nullptr) return false;
  const auto desired = int_annotation(*rs, kDesiredReplicasAnnotation);
  if (!desired) return false;
  return rs->spec.replicas == d.spec.replicas && *desired == d.spec.replicas &&
         rs->status.available_replicas == d.spec.replicas;
}

namespace {

// upstream getReplicaSetFraction.
std::int32_t replica_set_fraction(const ReplicaSet& rs, const Deployment& d) {
  if (d.spec.replicas == 0) return -rs.spec.replicas;
  const std::int32_t max_now = d.spec.replicas + max_surge(d);
  std::int32_t before = int_annotation(rs, kMaxReplicasAnnotation).value_or(0);
  if (before == 0) {
    before = d.status.replicas;
    if (before == 0) return 0;
  }
  const double size = static_cast<double>(rs.spec.replicas) * max_now / before;
  // integer.RoundToInt32 rounds half away from zero; size is never negative here.
  return static_cast<std::int32_t>(std::floor(size + 0.5)) - rs.spec.replicas;
}

}  // namespace

std::int32_t replica_set_proportion(const ReplicaSet& rs, const Deployment& d, std::int32_t to_add,
                                    std::int32_t added) {
  if (rs.spec.replicas == 0 || to_add == 0 || to_add == added) return 0;
  const std::int32_t fraction = replica_set_fraction(rs, d);
  const std::int32_t allowed = to_add - added;
  return to_add > 0 ? std::min(fraction, allowed) : std::max(fraction, allowed);
}

std::vector<ScaleDecision> proportional_scale(const Deployment& d, const ReplicaSet* new_rs,
                                              std::span<const ReplicaSet* const> old_rses) {
  std::vector<ScaleDecision> out;
  std::vector<const ReplicaSet*> active;
  for (const ReplicaSet* rs : old_rses) {
    if (rs != nullptr && rs->spec.replicas > 0) active.push_back(rs);
  }
  if (new_rs != nullptr && new_rs->spec.replicas > 0) active.push_back(new_rs);

  // upstream FindActiveOrLatest: one active ReplicaSet (or none: the newest) takes all.
  if (active.size() <= 1) {
    const ReplicaSet* target = active.empty() ? new_rs : active.front();
    if (target == nullptr && !old_rses.empty()) {
      for (const ReplicaSet* rs : old_rses) {
        if (rs != nullptr && (target == nullptr || older(target, rs))) target = rs;
      }
    }
    if (target != nullptr && target->spec.replicas != d.spec.replicas) {
      out.push_back(make_scale(d, target, d.spec.replicas));
    }
    return out;
  }
  if (is_saturated(d, new_rs)) {
    for (const ReplicaSet* rs : old_rses) {
      if (rs != nullptr && rs->spec.replicas > 0) out.push_back(make_scale(d, rs, 0));
    }
    return out;
  }
  if (!is_rolling(d)) return out;

  const std::int32_t allowed = d.spec.replicas > 0 ? d.spec.replicas + max_surge(d) : 0;
  const std::int32_t to_add = allowed - spec_replicas(active);
  if (to_add > 0) {  // ReplicaSetsBySizeNewer
    std::stable_sort(active.begin(), active.end(), [](const ReplicaSet* a, const ReplicaSet* b) {
      if (a->spec.replicas == b->spec.replicas) return older(b, a);
      return a->spec.replicas > b->spec.replicas;
    });
  } else if (to_add < 0) {  // ReplicaSetsBySizeOlder
    std::stable_sort(active.begin(), active.end(), [](const ReplicaSet* a, const ReplicaSet* b) {
      if (a->spec.replicas == b->spec.replicas) return older(a, b);
      return a->spec.replicas > b->spec.replicas;
    });
  }
  std::vector<std::int32_t> sizes(active.size());
  std::int32_t added = 0;
  for (std::size_t i = 0; i < active.size(); ++i) {
    if (to_add != 0) {
      const std::int32_t p = replica_set_proportion(*active[i], d, to_add, added);
      sizes[i] = active[i]->spec.replicas + p;
      added += p;
    } else {
      sizes[i] = active[i]->spec.replicas;
    }
  }
  if (to_add != 0) sizes[0] = std::max(0, sizes[0] + (to_add - added));  // leftovers
  for (std::size_t i = 0; i < active.size(); ++i) {
    ScaleDecision s = make_scale(d, active[i], sizes[i]);
    if (sizes[i] != active[i]->spec.replicas || annotations_need_update(*active[i], s)) {
      out.push_back(s);
    }
  }
  return out;
}

// ---- History, rollback ---------------------------------------------------------------------

std::vector<const ReplicaSet*> cleanup_history(const Deployment& d,
                                               std::span<const ReplicaSet* const> old_rses) {
  std::vector<const ReplicaSet*> out;
  if (!has_revision_history_limit(d)) return out;
  std::vector<const ReplicaSet*> cleanable;
  for (const ReplicaSet* rs : old_rses) {
    if (rs != nullptr && !rs->metadata.being_deleted()) cleanable.push_back(rs);
  }
  const std::int64_t diff =
      static_cast<std::int64_t>(cleanable.size()) - d.spec.revision_history_limit;
  if (diff <= 0) return out;
  std::stable_sort(cleanable.begin(), cleanable.end(),
                   [](const ReplicaSet* a, const ReplicaSet* b) {
                     const auto ra = revision_of(*a);
                     const auto rb = revision_of(*b);
                     if (!ra || !rb || *ra == *rb) return older(a, b);
                     return *ra < *rb;
                   });
  for (std::int64_t i = 0; i < diff; ++i) {
    const ReplicaSet* rs = cleanable[static_cast<std::size_t>(i)];
    if (rs->status.replicas != 0 || rs->spec.replicas != 0 ||
        rs->metadata.generation > rs->status.observed_generation) {
      continue;
    }
    out.push_back(rs);
  }
  return out;
}

RollbackResult rollback(Deployment& d, std::span<const ReplicaSet* const> rses,
                        std::int64_t revision) {
  if (revision == 0) {
    revision = last_revision(rses);
    if (revision == 0) return RollbackResult::kRevisionNotFound;
  }
  for (const ReplicaSet* rs : rses) {
    if (rs == nullptr) continue;
    const auto v = revision_of(*rs);
    if (!v || *v != revision) continue;
    if (equal_ignore_hash(d.spec.template_, rs->spec.template_)) {
      return RollbackResult::kTemplateUnchanged;
    }
    d.spec.template_ = rs->spec.template_;
    d.spec.template_.metadata.labels.erase(kPodTemplateHashLabel);
    // upstream SetDeploymentAnnotationsTo: keep the Deployment's skipped annotations, take
    // the rest from the ReplicaSet.
    Labels annotations;
    for (const auto& [k, val] : d.metadata.annotations) {
      if (skip_copy_annotation(k)) annotations.set(k, val);
    }
    for (const auto& [k, val] : rs->metadata.annotations) {
      if (!skip_copy_annotation(k)) annotations.set(k, val);
    }
    d.metadata.annotations = std::move(annotations);
    return RollbackResult::kDone;
  }
  return RollbackResult::kRevisionNotFound;
}

// ---- Status ---------------------------------------------------------------------------------

bool deployment_complete(const Deployment& d, const DeploymentStatus& s) {
  return s.updated_replicas == d.spec.replicas && s.replicas == d.spec.replicas &&
         s.available_replicas == d.spec.replicas && s.observed_generation >= d.metadata.generation;
}

bool deployment_progressing(const Deployment& d, const DeploymentStatus& s) {
  const DeploymentStatus& old = d.status;
  const std::int32_t old_old = old.replicas - old.updated_replicas;
  const std::int32_t new_old = s.replicas - s.updated_replicas;
  return s.updated_replicas > old.updated_replicas || new_old < old_old ||
         s.ready_replicas > old.ready_replicas || s.available_replicas > old.available_replicas;
}

bool deployment_timed_out(const Deployment& d, const DeploymentStatus& s, sim::Time now) {
  if (!has_progress_deadline(d)) return false;
  const Condition* c = find_condition(s.conditions, kDeploymentProgressing);
  if (c == nullptr) return false;
  if (c->reason == kReasonNewReplicaSetAvailable) return false;
  if (c->reason == kReasonProgressDeadlineExceeded) return true;
  // upstream: lastUpdateTime + deadline strictly before now.
  return c->last_heartbeat_time + sim::seconds(d.spec.progress_deadline_seconds) < now;
}

namespace {

// upstream SetDeploymentCondition: no change when status and reason are the same; the
// transition time is kept when only the reason changes.
void set_deployment_condition(std::vector<Condition>& conditions, Condition c) {
  for (auto it = conditions.begin(); it != conditions.end(); ++it) {
    if (it->type != c.type) continue;
    if (it->status == c.status && it->reason == c.reason) return;
    if (it->status == c.status) c.last_transition_time = it->last_transition_time;
    conditions.erase(it);
    break;
  }
  conditions.push_back(std::move(c));
}

void remove_condition(std::vector<Condition>& conditions, std::string_view type) {
  std::erase_if(conditions, [type](const Condition& c) { return c.type == type; });
}

Condition make_condition(std::string_view type, ConditionStatus status, std::string_view reason,
                         std::string message, sim::Time now) {
  Condition c;
  c.type = std::string(type);
  c.status = status;
  c.reason = std::string(reason);
  c.message = std::move(message);
  c.last_transition_time = now;
  c.last_heartbeat_time = now;
  return c;
}

}  // namespace

void set_progressing_condition(DeploymentStatus& s, ConditionStatus status, std::string_view reason,
                               std::string message, sim::Time now) {
  set_deployment_condition(s.conditions, make_condition(kDeploymentProgressing, status, reason,
                                                        std::move(message), now));
}

DeploymentStatus deployment_status(const Deployment& d, std::span<const ReplicaSet* const> all_rses,
                                   const ReplicaSet* new_rs, sim::Time now) {
  // calculateStatus
  DeploymentStatus s;
  const std::int32_t available = available_replicas(all_rses);
  s.observed_generation = d.metadata.generation;
  s.replicas = actual_replicas(all_rses);
  s.updated_replicas = new_rs ? new_rs->status.replicas : 0;
  s.ready_replicas = ready_replicas(all_rses);
  s.available_replicas = available;
  s.unavailable_replicas = std::max(0, spec_replicas(all_rses) - available);
  for (const ReplicaSet* rs : all_rses)
    s.terminating_replicas += rs ? rs->status.terminating_replicas : 0;
  s.conditions = d.status.conditions;
  if (available >= d.spec.replicas - max_unavailable(d)) {
    set_deployment_condition(s.conditions,
                             make_condition(kDeploymentAvailable, ConditionStatus::kTrue,
                                            kReasonMinimumReplicasAvailable,
                                            "Deployment has minimum availability.", now));
  } else {
    set_deployment_condition(s.conditions,
                             make_condition(kDeploymentAvailable, ConditionStatus::kFalse,
                                            kReasonMinimumReplicasUnavailable,
                                            "Deployment does not have minimum availability.", now));
  }

  // syncRolloutStatus
  if (!has_progress_deadline(d)) remove_condition(s.conditions, kDeploymentProgressing);
  const Condition* current = find_condition(d.status.conditions, kDeploymentProgressing);
  const bool complete_before = s.replicas == s.updated_replicas && current != nullptr &&
                               current->reason == kReasonNewReplicaSetAvailable;
  if (has_progress_deadline(d) && !complete_before) {
    const std::string rs_name = new_rs ? new_rs->metadata.name : std::string();
    if (deployment_complete(d, s)) {
      set_deployment_condition(
          s.conditions,
          make_condition(
              kDeploymentProgressing, ConditionStatus::kTrue, kReasonNewReplicaSetAvailable,
              new_rs ? "ReplicaSet \"" + rs_name + "\" has successfully progressed."
                     : "Deployment \"" + d.metadata.name + "\" has successfully progressed.",
              now));
    } else if (deployment_progressing(d, s)) {
      Condition c =
          make_condition(kDeploymentProgressing, ConditionStatus::kTrue, kReasonReplicaSetUpdated,
                         new_rs ? "ReplicaSet \"" + rs_name + "\" is progressing."
                                : "Deployment \"" + d.metadata.name + "\" is progressing.",
                         now);
      // Progress refreshes lastUpdateTime even with an unchanged reason.
      if (current != nullptr) {
        if (current->status == ConditionStatus::kTrue) {
          c.last_transition_time = current->last_transition_time;
        }
        remove_condition(s.conditions, kDeploymentProgressing);
      }
      set_deployment_condition(s.conditions, std::move(c));
    } else if (deployment_timed_out(d, s, now)) {
      set_deployment_condition(
          s.conditions,
          make_condition(
              kDeploymentProgressing, ConditionStatus::kFalse, kReasonProgressDeadlineExceeded,
              new_rs ? "ReplicaSet \"" + rs_name + "\" has timed out progressing."
                     : "Deployment \"" + d.metadata.name + "\" has timed out progressing.",
              now));
    }
  }
  return s;
}

std::optional<sim::Time> progress_deadline_check_time(const Deployment& d,
                                                      const DeploymentStatus& s) {
  const Condition* c = find_condition(s.conditions, kDeploymentProgressing);
  if (!has_progress_deadline(d) || c == nullptr) return std::nullopt;
  if (deployment_complete(d, s) || c->reason == kReasonProgressDeadlineExceeded) {
    return std::nullopt;
  }
  return c->last_heartbeat_time + sim::seconds(d.spec.progress_deadline_seconds) + sim::kSecond;
}

}  // namespace kubesim::models
