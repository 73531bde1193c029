#include "scenarios/manifests.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "models/labels.hpp"
#include "models/quantity.hpp"
#include "models/selectors.hpp"
#include "models/taints.hpp"
#include "policies/keda.hpp"
#include "policies/kpa.hpp"
#include "policies/predictive.hpp"
#include "scenarios/yaml_reader.hpp"

namespace kubesim::scenarios {
namespace {

using models::Labels;
using models::ObjectMeta;

constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
// creation_timestamp while reading: "no creationTimestamp" (replaced by 0 at the end).
constexpr sim::Time kNoTimestamp = std::numeric_limits<sim::Time>::min();

struct KindInfo {
  std::string_view kind;
  std::string_view api_version;
  bool namespaced;
};

constexpr KindInfo kKinds[] = {
    {"Pod", "v1", true},
    {"Node", "v1", false},
    {"Namespace", "v1", false},
    {"Service", "v1", true},
    {"Deployment", "apps/v1", true},
    {"ReplicaSet", "apps/v1", true},
    {"Job", "batch/v1", true},
    {"PriorityClass", "scheduling.k8s.io/v1", false},
    {"HorizontalPodAutoscaler", "autoscaling/v2", true},
    {"Lease", "coordination.k8s.io/v1", true},
    {"EndpointSlice", "discovery.k8s.io/v1", true},
    {"PodGroup", "scheduling.x-k8s.io/v1alpha1", true},
    {"PodMetrics", "metrics.k8s.io/v1beta1", true},
    {"CustomResourceDefinition", "apiextensions.k8s.io/v1", false},
    {"AIService", "stable.example.com/v1", true},
    {"ScaledObject", "keda.sh/v1alpha1", true},
    {"PodAutoscaler", "autoscaling.internal.knative.dev/v1alpha1", true},
    {"PredictiveAutoscaler", "autoscaling.kubesim.io/v1alpha1", true},
    {"Ingress", "networking.k8s.io/v1", true},
    {"IngressClass", "networking.k8s.io/v1", false},
    {"PodDisruptionBudget", "policy/v1", true},
};

// Kinds accepted and skipped as a whole: they never change where a pod can run.
constexpr std::string_view kIgnoredKinds[] = {
    "ConfigMap",   "Secret",      "ServiceAccount",     "Role",
    "RoleBinding", "ClusterRole", "ClusterRoleBinding", "NetworkPolicy"};

const KindInfo* find_kind(std::string_view kind) {
  for (const auto& k : kKinds) {
    if (k.kind == kind) return &k;
  }
  return nullptr;
}

std::string supported_kinds_text() {
  std::string out;
  for (const auto& k : kKinds) {
    if (!out.empty()) out += ", ";
    out += std::string(k.api_version) + " " + std::string(k.kind);
  }
  return out + " (and List)";
}

std::vector<std::string> kind_names() {
  std::vector<std::string> out;
  for (const auto& k : kKinds) out.emplace_back(k.kind);
  out.emplace_back("List");
  return out;
}

// A (key, reason) pair for fields accepted and not modelled.
struct Ignore {
  std::string_view key;
  std::string_view reason;
};

constexpr std::string_view kStatusReason = "observed status is recomputed by the simulation";
constexpr std::string_view kTimeReason = "timestamps of observed state are not replayed";

// ---- validation helpers ---------------------------------------------------------------

// upstream IsDNS1035Label (Service names): an RFC 1123 label that starts with a letter.
sim::Status validate_dns1035_label(std::string_view name) {
  if (auto s = models::validate_dns1123_label(name); !s.ok()) return s;
  if (name.empty() || name[0] < 'a' || name[0] > 'z') {
    return sim::Status::invalid_argument("a DNS-1035 label must start with a lowercase letter");
  }
  return {};
}

bool is_all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM); 't' and 'z' are accepted as Go does not
  // (time.RFC3339 wants upper case), so they are rejected here as well.
  auto num = [&](std::size_t pos, std::size_t len) -> std::optional<int> {
    if (pos + len > t.size()) return std::nullopt;
    const std::string_view part = t.substr(pos, len);
    if (!is_all_digits(part)) return std::nullopt;
    int v = 0;
    std::from_chars(part.data(), part.data() + part.size(), v);
    return v;
  };
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':') {
    return std::nullopt;
  }
  auto year = num(0, 4), month = num(5, 2), day = num(8, 2), hour = num(11, 2), minute = num(14, 2),
       second = num(17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  if (*month < 1 || *month > 12 || *day < 1 || *hour > 23 || *minute > 59 || *second > 59) {
    return std::nullopt;
  }
  static constexpr int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
  if (*day > kDaysIn[*month - 1] || (*month == 2 && *day == 29 && !leap)) return std::nullopt;
  std::size_t pos = 19;
  std::int64_t nanos = 0;
  if (pos < t.size() && t[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    std::int64_t scale = 100'000'000;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
      if (digits < 9) nanos += (t[pos] - '0') * scale;
      scale /= 10;
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
  }
  std::int64_t offset_seconds = 0;
  if (pos < t.size() && t[pos] == 'Z') {
    ++pos;
  } else if (pos < t.size() && (t[pos] == '+' || t[pos] == '-')) {
    const bool negative = t[pos] == '-';
    auto oh = num(pos + 1, 2), om = num(pos + 4, 2);
    if (!oh || !om || pos + 3 >= t.size() || t[pos + 3] != ':' || *oh > 23 || *om > 59) {
      return std::nullopt;
    }
    offset_seconds = (*oh * 3600 + *om * 60) * (negative ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != t.size()) return std::nullopt;
  const std::int64_t days =
      days_from_civil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day));
  const std::int64_t secs = days * 86400 + *hour * 3600 + *minute * 60 + *second - offset_seconds;
  // Years 1678..2262 fit int64 nanoseconds.
  if (secs < -9'223'372'036LL || secs > 9'223'372'035LL) return std::nullopt;
  return secs * sim::kSecond + nanos;
}

namespace {

class ManifestReader {
 public:
  // `seen` maps kind/namespace/name to where it was first defined, across files.
  ManifestReader(std::string file, Manifests& out, Diagnostics& diagnostics,
                 std::map<std::string, std::string>& seen)
      : file_(std::move(file)), out_(out), diagnostics_(diagnostics), seen_(seen) {}

  void read_text(const std::string& text);

 private:
  // ---- generic helpers ------------------------------------------------------------------
  void add_at(const YAML::Node& node, const FieldReader& fallback, std::string path,
              std::string message, std::string hint = {}) {
    auto [line, column] = location_of(node);
    if (line == 0) std::tie(line, column) = location_of(fallback.node());
    diagnostics_.add(
        Diagnostic{file_, line, column, std::move(path), std::move(message), std::move(hint)});
  }

  void note_ignored(const YAML::Node& node, const FieldReader& parent, std::string path,
                    std::string_view reason) {
    auto [line, column] = location_of(node);
    if (line == 0) std::tie(line, column) = location_of(parent.node());
    out_.ignored.push_back(IgnoredField{file_, line, column, std::move(path), std::string(reason)});
  }

  void ignore(FieldReader& r, std::initializer_list<Ignore> fields) {
    for (const Ignore& f : fields) {
      if (auto node = r.raw(f.key)) note_ignored(*node, r, r.path_of(f.key), f.reason);
    }
  }


  std::optional<std::int32_t> int32(FieldReader& r, std::string_view key, std::int64_t min,
                                    bool required = false) {
    auto v = r.integer(key, min, kInt32Max, required);
    if (!v) return std::nullopt;
    return static_cast<std::int32_t>(*v);
  }

  // A string -> string map; with `as_labels`, keys and values are validated as label keys
  // and values (upstream ValidateLabels); otherwise keys as qualified names (annotations).
  Labels string_map(FieldReader& r, std::string_view key, bool as_labels) {
    Labels out;
    auto node = r.raw(key);
    if (!node) return out;
    if (!node->IsMap()) {
      r.error(key, "expected a mapping of strings");
      return out;
    }
    for (const auto& entry : *node) {
      const std::string k = entry.first.Scalar();
      const std::string path = r.path_of(key) + "." + k;
      if (!entry.second.IsScalar() && !entry.second.IsNull()) {
        add_at(entry.second, r, path, "expected a string value");
        continue;
      }
      const std::string v = entry.second.IsNull() ? "" : entry.second.Scalar();
      if (auto s = models::validate_label_key(k); !s.ok()) {
        add_at(entry.first, r, path, s.message());
        continue;
      }
      if (as_labels) {
        if (auto s = models::validate_label_value(v); !s.ok()) {
          add_at(entry.second, r, path, s.message());
          continue;
        }
      }
      out.set(k, v);
    }
    return out;
  }

  // requests/limits/capacity: {name: quantity}; absent (or not a mapping): empty.
  models::ResourceList resource_list(FieldReader& r, std::string_view key) {
    return r.resource_list(key).value_or(models::ResourceList());
  }

  std::optional<models::LabelSelector> label_selector(FieldReader& r, std::string_view key,
                                                      bool required = false) {
    auto m = r.map(key, required);
    if (!m) return std::nullopt;
    models::LabelSelector sel;
    sel.match_labels = string_map(*m, "matchLabels", true);
    if (auto exprs = m->list_of_maps("matchExpressions")) {
      for (auto& e : *exprs) {
        models::LabelSelectorRequirement req;
        req.key = e.string("key", true).value_or("");
        if (auto op = e.one_of("operator", {"In", "NotIn", "Exists", "DoesNotExist"}, true)) {
          req.op = *models::parse_label_selector_operator(*op);
        }
        req.values = e.string_list("values");
        e.finish();
        sel.match_expressions.push_back(std::move(req));
      }
    }
    m->finish();
    if (auto compiled = models::label_selector_as_matcher(&sel); !compiled) {
      r.error(key, "invalid label selector: " + compiled.error());
    }
    return sel;
  }

  models::NodeSelectorTerm node_selector_term(FieldReader& t) {
    models::NodeSelectorTerm term;
    auto reqs = [&](std::string_view key, std::vector<models::NodeSelectorRequirement>& out) {
      if (auto list = t.list_of_maps(key)) {
        for (auto& e : *list) {
          models::NodeSelectorRequirement req;
          req.key = e.string("key", true).value_or("");
          if (auto op = e.one_of("operator", {"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"},
                                 true)) {
            req.op = *models::parse_node_selector_operator(*op);
          }
          req.values = e.string_list("values");
          e.finish();
          out.push_back(std::move(req));
        }
      }
    };
    reqs("matchExpressions", term.match_expressions);
    reqs("matchFields", term.match_fields);
    t.finish();
    return term;
  }

  std::optional<models::NodeAffinity> node_affinity(FieldReader& a) {
    models::NodeAffinity na;
    if (auto req = a.map("requiredDuringSchedulingIgnoredDuringExecution")) {
      models::NodeSelector sel;
      if (auto terms = req->list_of_maps("nodeSelectorTerms", true)) {
        for (auto& t : *terms) sel.node_selector_terms.push_back(node_selector_term(t));
      }
      req->finish();
      if (auto s = models::validate_node_selector(sel); !s.ok()) {
        a.error("requiredDuringSchedulingIgnoredDuringExecution", s.message());
      }
      na.required = std::move(sel);
    }
    if (auto prefs = a.list_of_maps("preferredDuringSchedulingIgnoredDuringExecution")) {
      for (auto& p : *prefs) {
        models::PreferredSchedulingTerm term;
        term.weight = int32(p, "weight", 1, true).value_or(0);
        if (term.weight > 100) p.error("weight", "must be in the range 1-100");
        if (auto pref = p.map("preference", true)) term.preference = node_selector_term(*pref);
        p.finish();
        na.preferred.push_back(std::move(term));
      }
      if (auto s = models::validate_preferred_scheduling_terms(na.preferred); !s.ok()) {
        a.error("preferredDuringSchedulingIgnoredDuringExecution", s.message());
      }
    }
    a.finish();
    return na;
  }

  models::PodAffinityTerm pod_affinity_term(FieldReader& t) {
    models::PodAffinityTerm term;
    term.label_selector = label_selector(t, "labelSelector");
    term.namespaces = t.string_list("namespaces");
    term.namespace_selector = label_selector(t, "namespaceSelector");
    if (auto key = t.string("topologyKey", true)) {
      if (key->empty()) {
        t.error("topologyKey", "can not be empty");
      } else if (auto s = models::validate_label_key(*key); !s.ok()) {
        t.error("topologyKey", s.message());
      }
      term.topology_key = *key;
    }
    term.match_label_keys = t.string_list("matchLabelKeys");
    term.mismatch_label_keys = t.string_list("mismatchLabelKeys");
    t.finish();
    return term;
  }

  models::PodAffinityRules pod_affinity_rules(FieldReader& a) {
    models::PodAffinityRules rules;
    if (auto req = a.list_of_maps("requiredDuringSchedulingIgnoredDuringExecution")) {
      for (auto& t : *req) rules.required.push_back(pod_affinity_term(t));
    }
    if (auto prefs = a.list_of_maps("preferredDuringSchedulingIgnoredDuringExecution")) {
      for (auto& p : *prefs) {
        models::WeightedPodAffinityTerm w;
        w.weight = int32(p, "weight", 1, true).value_or(0);
        if (w.weight > 100) p.error("weight", "must be in the range 1-100");
        if (auto t = p.map("podAffinityTerm", true)) w.term = pod_affinity_term(*t);
        p.finish();
        rules.preferred.push_back(std::move(w));
      }
    }
    a.finish();
    return rules;
  }

  std::optional<models::TaintEffect> taint_effect(FieldReader& r, bool required) {
    auto e = r.one_of("effect", {"NoSchedule", "PreferNoSchedule", "NoExecute"}, required);
    if (!e) return std::nullopt;
    return *models::parse_taint_effect(*e);
  }

  std::vector<models::Toleration> tolerations(FieldReader& s) {
    std::vector<models::Toleration> out;
    auto list = s.list_of_maps("tolerations");
    if (!list) return out;
    for (auto& t : *list) {
      models::Toleration tol;
      tol.key = t.string("key").value_or("");
      if (auto op = t.one_of("operator", {"Equal", "Exists"})) {
        tol.op = *models::parse_toleration_operator(*op);
      }
      tol.value = t.string("value").value_or("");
      // An empty effect means every effect (upstream: "" matches all).
      if (t.has("effect") && t.node()["effect"].IsScalar() && t.node()["effect"].Scalar().empty()) {
        t.raw("effect");
      } else {
        tol.effect = taint_effect(t, false);
      }
      if (auto secs =
              t.integer("tolerationSeconds", std::numeric_limits<std::int64_t>::min(), kInt64Max)) {
        tol.toleration_seconds = *secs;
      }
      if (auto st = models::validate_toleration(tol); !st.ok()) t.error_here(st.message());
      t.finish();
      out.push_back(std::move(tol));
    }
    return out;
  }

  std::vector<models::TopologySpreadConstraint> topology_spread(FieldReader& s) {
    std::vector<models::TopologySpreadConstraint> out;
    auto list = s.list_of_maps("topologySpreadConstraints");
    if (!list) return out;
    for (auto& c : *list) {
      models::TopologySpreadConstraint tsc;
      tsc.max_skew = int32(c, "maxSkew", 1, true).value_or(1);
      if (auto key = c.string("topologyKey", true)) {
        if (auto st = models::validate_label_key(*key); !st.ok())
          c.error("topologyKey", st.message());
        tsc.topology_key = *key;
      }
      if (auto w = c.one_of("whenUnsatisfiable", {"DoNotSchedule", "ScheduleAnyway"}, true)) {
        tsc.when_unsatisfiable = *w == "DoNotSchedule"
                                     ? models::UnsatisfiableConstraintAction::kDoNotSchedule
                                     : models::UnsatisfiableConstraintAction::kScheduleAnyway;
      }
      tsc.label_selector = label_selector(c, "labelSelector");
      if (auto md = int32(c, "minDomains", 1)) {
        tsc.min_domains = *md;
        if (tsc.when_unsatisfiable != models::UnsatisfiableConstraintAction::kDoNotSchedule) {
          // upstream validateMinDomains
          c.error("minDomains", "can only use minDomains if whenUnsatisfiable=DoNotSchedule");
        }
      }
      auto policy = [&](std::string_view key) -> std::optional<models::NodeInclusionPolicy> {
        auto p = c.one_of(key, {"Honor", "Ignore"});
        if (!p) return std::nullopt;
        return *p == "Honor" ? models::NodeInclusionPolicy::kHonor
                             : models::NodeInclusionPolicy::kIgnore;
      };
      tsc.node_affinity_policy = policy("nodeAffinityPolicy");
      tsc.node_taints_policy = policy("nodeTaintsPolicy");
      tsc.match_label_keys = c.string_list("matchLabelKeys");
      c.finish();
      out.push_back(std::move(tsc));
    }
    return out;
  }

  // An RFC 3339 field as Unix nanoseconds (an error at the field when malformed).
  std::optional<sim::Time> timestamp(FieldReader& r, std::string_view key) {
    auto text = r.string(key);
    if (!text) return std::nullopt;
    auto unix_ns = parse_rfc3339(*text);
    if (!unix_ns) {
      r.error(key, "invalid RFC 3339 timestamp \"" + *text + "\"", "e.g. 2024-05-01T10:00:00Z");
    }
    return unix_ns;
  }

  // `transition_times`: read lastTransitionTime (pods, for the HPA's readiness rules) as a
  // Unix time, mapped onto simulation time with the creation timestamps at the end; absent
  // it is kNoTimestamp until then (and 0 after).
  std::vector<models::Condition> conditions(FieldReader& r, std::string_view key,
                                            bool transition_times = false) {
    std::vector<models::Condition> out;
    auto list = r.list_of_maps(key);
    if (!list) return out;
    for (auto& c : *list) {
      models::Condition cond;
      cond.type = c.string("type", true).value_or("");
      if (auto st = c.one_of("status", {"True", "False", "Unknown"}, true)) {
        cond.status = *st == "True"    ? models::ConditionStatus::kTrue
                      : *st == "False" ? models::ConditionStatus::kFalse
                                       : models::ConditionStatus::kUnknown;
      }
      cond.reason = c.string("reason").value_or("");
      cond.message = c.string("message").value_or("");
      if (transition_times) {
        cond.last_transition_time = kNoTimestamp;
        if (auto t = timestamp(c, "lastTransitionTime")) cond.last_transition_time = *t;
      }
      if (!transition_times) ignore(c, {{"lastTransitionTime", kTimeReason}});
      ignore(c, {{"lastHeartbeatTime", kTimeReason},
                 {"lastProbeTime", kTimeReason},
                 {"lastUpdateTime", kTimeReason},
                 {"observedGeneration", kStatusReason}});
      c.finish();
      out.push_back(std::move(cond));
    }
    return out;
  }

  // ---- metadata ---------------------------------------------------------------------------

  enum class NameRule { kSubdomain, kLabel, kDns1035 };

  void check_name(FieldReader& m, std::string_view key, const std::string& name, NameRule rule) {
    sim::Status s = rule == NameRule::kSubdomain ? models::validate_dns1123_subdomain(name)
                    : rule == NameRule::kLabel   ? models::validate_dns1123_label(name)
                                                 : validate_dns1035_label(name);
    if (!s.ok()) m.error(key, "invalid name \"" + name + "\": " + s.message());
  }

  // Object metadata. `namespaced`: default the namespace to "default".
  void object_meta(FieldReader& top, ObjectMeta& meta, bool namespaced, NameRule rule) {
    meta.creation_timestamp = kNoTimestamp;
    auto m = top.map("metadata", true);
    if (!m) return;
    auto name = m->string("name");
    auto generate = m->string("generateName");
    if (name) {
      check_name(*m, "name", *name, rule);
      meta.name = *name;
    }
    if (generate) meta.generate_name = *generate;
    if (!name && !generate) {
      m->error_here("metadata.name or metadata.generateName is required");
    }
    if (auto ns = m->string("namespace")) {
      if (!namespaced) {
        note_ignored(m->node()["namespace"], *m, m->path_of("namespace"),
                     "cluster-scoped kind: the namespace does not apply");
      } else {
        if (auto s = models::validate_dns1123_label(*ns); !s.ok()) {
          m->error("namespace", "invalid namespace \"" + *ns + "\": " + s.message());
        }
        meta.namespace_ = *ns;
      }
    }
    if (namespaced && meta.namespace_.empty()) meta.namespace_ = "default";
    meta.labels = string_map(*m, "labels", true);
    meta.annotations = string_map(*m, "annotations", false);
    check_kubesim_annotations(*m, meta.annotations);
    if (auto refs = m->list_of_maps("ownerReferences")) {
      int controllers = 0;
      for (auto& o : *refs) {
        models::OwnerReference ref;
        ref.api_version = o.string("apiVersion", true).value_or("");
        ref.kind = o.string("kind", true).value_or("");
        ref.name = o.string("name", true).value_or("");
        ref.uid = o.string("uid", true).value_or("");
        ref.controller = o.boolean("controller").value_or(false);
        ref.block_owner_deletion = o.boolean("blockOwnerDeletion").value_or(false);
        if (ref.controller && ++controllers == 2) {
          // upstream ValidateOwnerReferences
          o.error("controller", "only one reference can have Controller set to true");
        }
        o.finish();
        meta.owner_references.push_back(std::move(ref));
      }
    }
    meta.finalizers = m->string_list("finalizers");
    if (auto ts = m->string("creationTimestamp")) {
      if (auto unix_ns = parse_rfc3339(*ts)) {
        meta.creation_timestamp = *unix_ns;
      } else {
        m->error("creationTimestamp", "invalid RFC 3339 timestamp \"" + *ts + "\"",
                 "e.g. 2024-05-01T10:00:00Z");
      }
    }
    ignore(*m, {{"uid", "the object store assigns uids"},
                {"resourceVersion", "the object store assigns resource versions"},
                {"generation", "the object store counts generations"},
                {"selfLink", "deprecated server field"},
                {"managedFields", "server-side apply bookkeeping is not modelled"},
                {"deletionTimestamp", "objects are read as not being deleted"},
                {"deletionGracePeriodSeconds", "objects are read as not being deleted"}});
    m->finish();
  }

  // Pod template metadata: labels and annotations; the rest is ignored as upstream does
  // for templates (name, namespace and creationTimestamp there are not used).
  void template_meta(FieldReader& t, ObjectMeta& meta) {
    auto m = t.map("metadata");
    if (!m) return;
    meta.labels = string_map(*m, "labels", true);
    meta.annotations = string_map(*m, "annotations", false);
    check_kubesim_annotations(*m, meta.annotations);
    ignore(*m, {{"name", "pod names come from the controller"},
                {"generateName", "pod names come from the controller"},
                {"namespace", "pods are created in the controller's namespace"},
                {"creationTimestamp", "set when the pod is created"},
                {"finalizers", "template finalizers are not modelled"},
                {"ownerReferences", "the controller sets owner references"}});
    m->finish();
  }

  // kubesim's own annotations must hold what they promise.
  void check_kubesim_annotations(FieldReader& m, const Labels& annotations) {
    if (const std::string* d = annotations.find(models::kRunDurationAnnotation)) {
      auto parsed = sim::parse_duration(*d);
      const YAML::Node node = m.node()["annotations"][std::string(models::kRunDurationAnnotation)];
      const std::string path =
          m.path_of("annotations") + "." + std::string(models::kRunDurationAnnotation);
      if (!parsed) {
        add_at(node, m, path, parsed.error(), "e.g. 90s or 1h30m");
      } else if (*parsed < 0) {
        add_at(node, m, path, "must not be negative");
      }
    }
    check_gpu_share_annotations(m, annotations);
    if (const std::string* c = annotations.find(models::kExitCodeAnnotation)) {
      int code = -1;
      const auto [p, ec] = std::from_chars(c->data(), c->data() + c->size(), code);
      if (ec != std::errc() || p != c->data() + c->size() || code < 0 || code > 255) {
        add_at(m.node()["annotations"][std::string(models::kExitCodeAnnotation)], m,
               m.path_of("annotations") + "." + std::string(models::kExitCodeAnnotation),
               "expected an exit code 0..255, got \"" + *c + "\"");
      }
    }
  }

  // GPU sharing (models/objects.hpp kAnnotationGpuMilli): gpu-milli 1..1000, gpu-count
  // 1..64 and 1 whenever gpu-milli is below 1000; gpu-count alone means nothing.
  void check_gpu_share_annotations(FieldReader& m, const Labels& annotations) {
    const std::string* milli = annotations.find(models::kAnnotationGpuMilli);
    const std::string* count = annotations.find(models::kAnnotationGpuCount);
    auto at = [&](std::string_view key) {
      return std::make_pair(m.node()["annotations"][std::string(key)],
                            m.path_of("annotations") + "." + std::string(key));
    };
    std::optional<std::int32_t> milli_value;
    if (milli != nullptr) {
      milli_value = models::parse_gpu_annotation(*milli, 1, 1000);
      if (!milli_value) {
        auto [node, path] = at(models::kAnnotationGpuMilli);
        add_at(node, m, path, "expected milli-GPU per device 1..1000, got \"" + *milli + "\"",
               "1000 is a whole GPU; e.g. \"500\" for half of one");
      }
    }
    if (count != nullptr) {
      auto [node, path] = at(models::kAnnotationGpuCount);
      const auto c = models::parse_gpu_annotation(*count, 1, 64);
      if (!c) {
        add_at(node, m, path, "expected a GPU count 1..64, got \"" + *count + "\"");
      } else if (milli == nullptr) {
        add_at(node, m, path,
               std::string("has no effect without ") + std::string(models::kAnnotationGpuMilli),
               "request whole GPUs with resources nvidia.com/gpu, or add gpu-milli");
      } else if (milli_value && *milli_value < 1000 && *c != 1) {
        add_at(node, m, path, "a shared GPU (gpu-milli below 1000) must have gpu-count 1",
               "a pod shares one device; multi-GPU pods take whole devices");
      }
    }
  }

  // ---- pods -------------------------------------------------------------------------------

  models::Container container(FieldReader& c, bool init) {
    models::Container out;
    if (auto name = c.string("name", true)) {
      if (auto s = models::validate_dns1123_label(*name); !s.ok()) {
        c.error("name", "invalid container name \"" + *name + "\": " + s.message());
      }
      out.name = *name;
    }
    out.image = c.string("image").value_or("");
    if (auto res = c.map("resources")) {
      out.requests = resource_list(*res, "requests");
      out.limits = resource_list(*res, "limits");
      ignore(*res, {{"claims", "dynamic resource claims are not modelled"}});
      res->finish();
      // upstream defaults.go SetDefaults_Pod: a limit without a request defaults the request.
      out.limits.for_each([&](std::string_view name, std::int64_t value) {
        if (!out.requests.has(name)) out.requests.set(name, value);
      });
      bool over = false;
      out.requests.for_each([&](std::string_view name, std::int64_t value) {
        if (out.limits.has(name) && value > out.limits.get(name) && !over) {
          over = true;
          // upstream ValidateResourceRequirements
          res->error("requests", "requests." + std::string(name) +
                                     " must be less than or equal to the " + std::string(name) +
                                     " limit");
        }
      });
    }
    if (auto ports = c.list_of_maps("ports")) {
      for (auto& p : *ports) {
        models::ContainerPort port;
        port.container_port = int32(p, "containerPort", 1, true).value_or(0);
        if (port.container_port > 65535) p.error("containerPort", "must be between 1 and 65535");
        port.host_port = int32(p, "hostPort", 0).value_or(0);
        if (port.host_port > 65535) p.error("hostPort", "must be between 1 and 65535");
        port.protocol = p.one_of("protocol", {"TCP", "UDP", "SCTP"}).value_or("TCP");
        port.host_ip = p.string("hostIP").value_or("");
        port.name = p.string("name").value_or("");  // a Service's named targetPort
        p.finish();
        out.ports.push_back(std::move(port));
      }
    }
    if (auto rp = c.one_of("restartPolicy", {"Always"})) {
      if (!init) {
        c.error("restartPolicy", "may not be set for non-init containers",
                "restartPolicy: Always marks an init container as a sidecar");
      } else {
        out.restartable = true;
      }
    }
    ignore(c, {{"command", "container commands are not run"},
               {"args", "container commands are not run"},
               {"workingDir", "container commands are not run"},
               {"env", "environment variables are not modelled"},
               {"envFrom", "environment variables are not modelled"},
               {"volumeMounts", "volumes are not modelled"},
               {"volumeDevices", "volumes are not modelled"},
               {"livenessProbe", "probes are not modelled; readiness follows the pod lifecycle"},
               {"readinessProbe", "probes are not modelled; readiness follows the pod lifecycle"},
               {"startupProbe", "probes are not modelled; readiness follows the pod lifecycle"},
               {"lifecycle", "container lifecycle hooks are not modelled"},
               {"securityContext", "security settings do not affect scheduling"},
               {"imagePullPolicy", "image pulls are not modelled"},
               {"terminationMessagePath", "termination messages are not modelled"},
               {"terminationMessagePolicy", "termination messages are not modelled"},
               {"stdin", "terminal settings are not modelled"},
               {"stdinOnce", "terminal settings are not modelled"},
               {"tty", "terminal settings are not modelled"},
               {"resizePolicy", "in-place resize is not modelled"},
               {"restartPolicyRules", "container restart rules are not modelled"}});
    c.finish();
    return out;
  }

  void containers(FieldReader& s, std::string_view key, bool init, bool required,
                  std::vector<models::Container>& out, std::set<std::string>& names) {
    auto list = s.list_of_maps(key, required);
    if (!list) return;
    if (required && list->empty()) s.error(key, "at least one container is required");
    for (auto& c : *list) {
      models::Container ctr = container(c, init);
      if (!ctr.name.empty() && !names.insert(ctr.name).second) {
        c.error("name", "duplicate container name \"" + ctr.name + "\"");
      }
      out.push_back(std::move(ctr));
    }
  }

  // `allowed_restart`: what the owning kind permits (upstream: Deployment/ReplicaSet
  // templates need Always, Job templates OnFailure or Never).
  void pod_spec(FieldReader& s, models::PodSpec& spec,
                const std::vector<std::string>& allowed_restart) {
    std::set<std::string> names;
    containers(s, "initContainers", true, false, spec.init_containers, names);
    containers(s, "containers", false, true, spec.containers, names);
    if (auto n = s.string("nodeName")) {
      if (auto st = models::validate_dns1123_subdomain(*n); !st.ok()) {
        s.error("nodeName", "invalid node name \"" + *n + "\": " + st.message());
      }
      spec.node_name = *n;
    }
    spec.node_selector = string_map(s, "nodeSelector", true);
    if (auto aff = s.map("affinity")) {
      if (auto na = aff->map("nodeAffinity")) spec.node_affinity = node_affinity(*na);
      if (auto pa = aff->map("podAffinity")) spec.pod_affinity = pod_affinity_rules(*pa);
      if (auto paa = aff->map("podAntiAffinity")) spec.pod_anti_affinity = pod_affinity_rules(*paa);
      aff->finish();
    }
    spec.tolerations = tolerations(s);
    spec.topology_spread_constraints = topology_spread(s);
    if (auto sn = s.string("schedulerName")) spec.scheduler_name = *sn;
    if (auto pc = s.string("priorityClassName")) spec.priority_class_name = *pc;
    if (auto p = s.integer("priority", std::numeric_limits<std::int32_t>::min(), kInt32Max)) {
      spec.priority = static_cast<std::int32_t>(*p);
    }
    if (auto pp = s.one_of("preemptionPolicy", {"PreemptLowerPriority", "Never"})) {
      spec.preemption_policy = *pp == "Never" ? models::PreemptionPolicy::kNever
                                              : models::PreemptionPolicy::kPreemptLowerPriority;
    }
    if (auto g = s.integer("terminationGracePeriodSeconds", 0, kInt64Max)) {
      spec.termination_grace_period_seconds = *g;
    }
    if (auto a = s.integer("activeDeadlineSeconds", 1, kInt64Max)) {
      spec.active_deadline_seconds = *a;
    }
    if (auto rp = s.one_of("restartPolicy", allowed_restart)) {
      spec.restart_policy = *rp == "Always"      ? models::RestartPolicy::kAlways
                            : *rp == "OnFailure" ? models::RestartPolicy::kOnFailure
                                                 : models::RestartPolicy::kNever;
    } else if (allowed_restart.size() == 2 && !s.has("restartPolicy")) {
      // upstream batch validation: a Job's pods must not restart in place.
      s.error_here("spec.restartPolicy is required for a Job template (OnFailure or Never)");
    }
    spec.overhead = resource_list(s, "overhead");
    ignore(s, {{"volumes", "volumes are not modelled"},
               {"serviceAccountName", "service accounts are not modelled"},
               {"serviceAccount", "service accounts are not modelled"},
               {"automountServiceAccountToken", "service accounts are not modelled"},
               {"securityContext", "security settings do not affect scheduling"},
               {"dnsPolicy", "DNS is not modelled"},
               {"dnsConfig", "DNS is not modelled"},
               {"hostname", "DNS is not modelled"},
               {"subdomain", "DNS is not modelled"},
               {"setHostnameAsFQDN", "DNS is not modelled"},
               {"hostAliases", "DNS is not modelled"},
               {"hostNetwork", "pod networking is not modelled"},
               {"hostPID", "host namespaces are not modelled"},
               {"hostIPC", "host namespaces are not modelled"},
               {"hostUsers", "host namespaces are not modelled"},
               {"shareProcessNamespace", "host namespaces are not modelled"},
               {"imagePullSecrets", "image pulls are not modelled"},
               {"enableServiceLinks", "environment variables are not modelled"},
               {"runtimeClassName", "runtime classes are not modelled; give spec.overhead"},
               {"readinessGates", "readiness gates are not modelled"},
               {"os", "the pod OS is not checked"},
               {"ephemeralContainers", "ephemeral containers are not modelled"},
               {"schedulingGates", "scheduling gates are not modelled"},
               {"resourceClaims", "dynamic resource claims are not modelled"},
               {"resources", "pod-level resources are not modelled; use container resources"}});
  }

  void read_pod(FieldReader& top) {
    models::Pod pod;
    object_meta(top, pod.metadata, true, NameRule::kSubdomain);
    if (auto s = top.map("spec", true)) {
      pod_spec(*s, pod.spec, {"Always", "OnFailure", "Never"});
      s->finish();
    }
    if (auto st = top.map("status")) {
      if (auto phase =
              st->one_of("phase", {"Pending", "Running", "Succeeded", "Failed", "Unknown"})) {
        pod.status.phase = *phase == "Pending"     ? models::PodPhase::kPending
                           : *phase == "Running"   ? models::PodPhase::kRunning
                           : *phase == "Succeeded" ? models::PodPhase::kSucceeded
                           : *phase == "Failed"    ? models::PodPhase::kFailed
                                                   : models::PodPhase::kUnknown;
      }
      pod.status.conditions = conditions(*st, "conditions", true);
      pod.status.start_time = timestamp(*st, "startTime");
      pod.status.nominated_node_name = st->string("nominatedNodeName").value_or("");
      pod.status.reason = st->string("reason").value_or("");
      pod.status.message = st->string("message").value_or("");
      pod.status.pod_ip = st->string("podIP").value_or("");
      ignore(*st, {{"hostIP", kStatusReason},
                   {"hostIPs", kStatusReason},
                   {"podIPs", kStatusReason},
                   {"containerStatuses", kStatusReason},
                   {"initContainerStatuses", kStatusReason},
                   {"ephemeralContainerStatuses", kStatusReason},
                   {"qosClass", "derived from the resources"},
                   {"resize", kStatusReason},
                   {"resourceClaimStatuses", kStatusReason},
                   {"observedGeneration", kStatusReason},
                   {"extendedResourceClaimStatus", kStatusReason}});
      st->finish();
    }
    out_.pods.push_back(std::move(pod));
  }

  // ---- nodes ------------------------------------------------------------------------------

  void read_node(FieldReader& top) {
    models::Node node;
    object_meta(top, node.metadata, false, NameRule::kSubdomain);
    if (auto s = top.map("spec")) {
      node.spec.unschedulable = s->boolean("unschedulable").value_or(false);
      if (auto taints = s->list_of_maps("taints")) {
        for (auto& t : *taints) {
          models::Taint taint;
          taint.key = t.string("key", true).value_or("");
          taint.value = t.string("value").value_or("");
          if (auto e = taint_effect(t, true)) taint.effect = *e;
          ignore(t, {{"timeAdded", kTimeReason}});
          if (auto st = models::validate_taint(taint); !st.ok()) t.error_here(st.message());
          t.finish();
          node.spec.taints.push_back(std::move(taint));
        }
        if (auto st = models::validate_taints(node.spec.taints); !st.ok()) {
          s->error("taints", st.message());
        }
      }
      node.spec.provider_id = s->string("providerID").value_or("");
      ignore(*s, {{"podCIDR", "pod networking is not modelled"},
                  {"podCIDRs", "pod networking is not modelled"},
                  {"configSource", "deprecated kubelet field"},
                  {"externalID", "deprecated kubelet field"}});
      s->finish();
    }
    if (auto st = top.map("status")) {
      node.status.capacity = resource_list(*st, "capacity");
      node.status.allocatable =
          st->has("allocatable") ? resource_list(*st, "allocatable") : node.status.capacity;
      node.status.conditions = conditions(*st, "conditions");
      if (auto images = st->list_of_maps("images")) {
        for (auto& i : *images) {
          models::ContainerImage img;
          img.names = i.string_list("names");
          img.size_bytes = i.integer("sizeBytes", 0, kInt64Max).value_or(0);
          i.finish();
          node.status.images.push_back(std::move(img));
        }
      }
      ignore(*st, {{"nodeInfo", "node system information is not modelled"},
                   {"addresses", "node addresses are not modelled"},
                   {"daemonEndpoints", "kubelet endpoints are not modelled"},
                   {"volumesAttached", "volumes are not modelled"},
                   {"volumesInUse", "volumes are not modelled"},
                   {"config", "kubelet config status is not modelled"},
                   {"runtimeHandlers", "runtime handlers are not modelled"},
                   {"features", "node features are not modelled"},
                   {"declaredFeatures", "node features are not modelled"},
                   {"phase", "deprecated field"}});
      st->finish();
    }
    out_.nodes.push_back(std::move(node));
  }

  // ---- workloads --------------------------------------------------------------------------

  // upstream ValidatePodTemplateSpecForReplicaSet and friends: a non-empty selector that
  // matches the template's labels.
  void check_selector_matches(FieldReader& spec, const models::LabelSelector& selector,
                              const Labels& template_labels) {
    if (selector.empty()) {
      spec.error("selector", "empty selector is invalid for this kind",
                 "select the pods by the template's labels, e.g. matchLabels: {app: web}");
      return;
    }
    auto matcher = models::label_selector_as_matcher(&selector);
    if (matcher && !matcher->matches(template_labels)) {
      // Point at the template's labels when they are written down.
      // yaml-cpp: `node = other` would copy content into the tree; reset() rebinds.
      YAML::Node at;
      at.reset(spec.node());
      for (const char* key : {"template", "metadata", "labels"}) {
        const YAML::Node& cur = at;
        if (!cur.IsMap()) break;
        const YAML::Node child = cur[key];
        if (!child.IsDefined()) break;
        at.reset(child);
      }
      add_at(at, spec, spec.path_of("template.metadata.labels"),
             "`selector` does not match template `labels`",
             "the template's labels must satisfy spec.selector (" +
                 (matcher->to_string().empty() ? std::string("<none>") : matcher->to_string()) +
                 ")");
    }
  }

  void pod_template(FieldReader& spec, models::PodTemplateSpec& tmpl,
                    const std::vector<std::string>& allowed_restart) {
    auto t = spec.map("template", true);
    if (!t) return;
    template_meta(*t, tmpl.metadata);
    if (auto ps = t->map("spec", true)) {
      pod_spec(*ps, tmpl.spec, allowed_restart);
      ps->finish();
    }
    t->finish();
  }

  std::optional<models::IntOrPercent> int_or_percent(FieldReader& r, std::string_view key,
                                                     bool cap_100) {
    auto text = r.string(key);
    if (!text) return std::nullopt;
    models::IntOrPercent v;
    std::string digits = *text;
    if (!digits.empty() && digits.back() == '%') {
      v.percent = true;
      digits.pop_back();
    }
    std::int64_t n = 0;
    const auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (digits.empty() || ec != std::errc() || p != digits.data() + digits.size() || n < 0 ||
        n > kInt32Max) {
      r.error(key, "expected a non-negative integer or a percentage such as \"25%\", got \"" +
                       *text + "\"");
      return std::nullopt;
    }
    if (v.percent && cap_100 && n > 100) {
      r.error(key, "must not be greater than 100%");  // upstream IsNotMoreThan100Percent
      return std::nullopt;
    }
    v.value = static_cast<std::int32_t>(n);
    return v;
  }

  void read_deployment(FieldReader& top) {
    models::Deployment d;
    object_meta(top, d.metadata, true, NameRule::kSubdomain);
    if (auto s = top.map("spec", true)) {
      d.spec.replicas = int32(*s, "replicas", 0).value_or(1);
      d.spec.selector = label_selector(*s, "selector", true).value_or(models::LabelSelector{});
      pod_template(*s, d.spec.template_, {"Always"});
      if (s->has("selector") && s->has("template")) {
        check_selector_matches(*s, d.spec.selector, d.spec.template_.metadata.labels);
      }
      if (auto st = s->map("strategy")) {
        auto type = st->one_of("type", {"RollingUpdate", "Recreate"});
        if (type && *type == "Recreate")
          d.spec.strategy = models::DeploymentStrategyType::kRecreate;
        if (auto ru = st->map("rollingUpdate")) {
          if (d.spec.strategy == models::DeploymentStrategyType::kRecreate) {
            // upstream ValidateDeploymentStrategy
            st->error("rollingUpdate", "may not be specified when strategy `type` is 'Recreate'");
          }
          if (auto v = int_or_percent(*ru, "maxSurge", false)) d.spec.max_surge = *v;
          if (auto v = int_or_percent(*ru, "maxUnavailable", true)) d.spec.max_unavailable = *v;
          if (d.spec.max_surge.value == 0 && d.spec.max_unavailable.value == 0) {
            // upstream ValidateRollingUpdateDeployment
            ru->error("maxUnavailable", "may not be 0 when `maxSurge` is 0");
          }
          ru->finish();
        }
        st->finish();
      }
      d.spec.min_ready_seconds = int32(*s, "minReadySeconds", 0).value_or(0);
      d.spec.revision_history_limit = int32(*s, "revisionHistoryLimit", 0).value_or(10);
      d.spec.paused = s->boolean("paused").value_or(false);
      d.spec.progress_deadline_seconds = int32(*s, "progressDeadlineSeconds", 0).value_or(600);
      if (s->has("progressDeadlineSeconds") &&
          d.spec.progress_deadline_seconds <= d.spec.min_ready_seconds) {
        s->error("progressDeadlineSeconds", "must be greater than minReadySeconds");
      }
      ignore(*s, {{"rollbackTo", "deprecated field"}});
      s->finish();
    }
    ignore(top, {{"status", kStatusReason}});
    out_.deployments.push_back(std::move(d));
  }

  void read_replica_set(FieldReader& top) {
    models::ReplicaSet rs;
    object_meta(top, rs.metadata, true, NameRule::kSubdomain);
    if (auto s = top.map("spec", true)) {
      rs.spec.replicas = int32(*s, "replicas", 0).value_or(1);
      rs.spec.min_ready_seconds = int32(*s, "minReadySeconds", 0).value_or(0);
      rs.spec.selector = label_selector(*s, "selector", true).value_or(models::LabelSelector{});
      pod_template(*s, rs.spec.template_, {"Always"});
      if (s->has("selector") && s->has("template")) {
        check_selector_matches(*s, rs.spec.selector, rs.spec.template_.metadata.labels);
      }
      s->finish();
    }
    ignore(top, {{"status", kStatusReason}});
    out_.replica_sets.push_back(std::move(rs));
  }

  void read_job(FieldReader& top) {
    models::Job j;
    object_meta(top, j.metadata, true, NameRule::kSubdomain);
    if (auto s = top.map("spec", true)) {
      j.spec.parallelism = int32(*s, "parallelism", 0);
      j.spec.completions = int32(*s, "completions", 0);
      j.spec.backoff_limit = int32(*s, "backoffLimit", 0).value_or(6);
      if (auto a = s->integer("activeDeadlineSeconds", 1, kInt64Max)) {
        j.spec.active_deadline_seconds = *a;
      }
      if (auto t = s->integer("ttlSecondsAfterFinished", 0, kInt32Max)) {
        j.spec.ttl_seconds_after_finished = *t;
      }
      if (auto m = s->one_of("completionMode", {"NonIndexed", "Indexed"})) {
        j.spec.completion_mode = *m == "Indexed" ? models::CompletionMode::kIndexed
                                                 : models::CompletionMode::kNonIndexed;
        if (j.spec.completion_mode == models::CompletionMode::kIndexed && !j.spec.completions) {
          // upstream validateJobSpec
          s->error("completions", "when completion mode is Indexed, completions is required");
        }
      }
      j.spec.suspend = s->boolean("suspend").value_or(false);
      j.spec.selector = label_selector(*s, "selector");
      pod_template(*s, j.spec.template_, {"OnFailure", "Never"});
      if (j.spec.selector && s->has("template")) {
        check_selector_matches(*s, *j.spec.selector, j.spec.template_.metadata.labels);
      }
      ignore(*s, {{"manualSelector", "the selector given is used as is"},
                  {"podFailurePolicy", "pod failure policies are not modelled"},
                  {"successPolicy", "success policies are not modelled"},
                  {"backoffLimitPerIndex", "per-index backoff is not modelled"},
                  {"maxFailedIndexes", "per-index backoff is not modelled"},
                  {"podReplacementPolicy", "pod replacement policies are not modelled"},
                  {"managedBy", "external Job controllers are not modelled"}});
      s->finish();
    }
    ignore(top, {{"status", kStatusReason}});
    out_.jobs.push_back(std::move(j));
  }

  void read_service(FieldReader& top) {
    models::Service svc;
    object_meta(top, svc.metadata, true, NameRule::kDns1035);
    if (auto s = top.map("spec")) {
      if (auto t = s->one_of("type", {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"})) {
        svc.spec.type = *t == "ClusterIP"      ? models::ServiceType::kClusterIP
                        : *t == "NodePort"     ? models::ServiceType::kNodePort
                        : *t == "LoadBalancer" ? models::ServiceType::kLoadBalancer
                                               : models::ServiceType::kExternalName;
      }
      svc.spec.selector = string_map(*s, "selector", true);
      svc.spec.cluster_ip = s->string("clusterIP").value_or("");
      if (auto ports = s->list_of_maps("ports")) {
        for (auto& p : *ports) {
          models::ServicePort port;
          port.name = p.string("name").value_or("");
          port.protocol = p.one_of("protocol", {"TCP", "UDP", "SCTP"}).value_or("TCP");
          port.port = int32(p, "port", 1, true).value_or(0);
          if (port.port > 65535) p.error("port", "must be between 1 and 65535");
          port.target_port = p.string("targetPort").value_or("");
          port.node_port = int32(p, "nodePort", 0).value_or(0);
          ignore(p, {{"appProtocol", "application protocols are not modelled"}});
          p.finish();
          svc.spec.ports.push_back(std::move(port));
        }
        if (ports->size() > 1) {
          for (const auto& port : svc.spec.ports) {
            if (port.name.empty()) {
              // upstream ValidateService
              s->error("ports", "name is required when a Service has more than one port");
              break;
            }
          }
        }
      }
      ignore(*s, {{"clusterIPs", "service IPs are not modelled"},
                  {"ipFamilies", "service IPs are not modelled"},
                  {"ipFamilyPolicy", "service IPs are not modelled"},
                  {"externalIPs", "service IPs are not modelled"},
                  {"loadBalancerIP", "load balancers are not modelled"},
                  {"loadBalancerSourceRanges", "load balancers are not modelled"},
                  {"loadBalancerClass", "load balancers are not modelled"},
                  {"allocateLoadBalancerNodePorts", "load balancers are not modelled"},
                  {"externalName", "DNS is not modelled"},
                  {"externalTrafficPolicy", "traffic policies are not modelled"},
                  {"internalTrafficPolicy", "traffic policies are not modelled"},
                  {"healthCheckNodePort", "load balancers are not modelled"},
                  {"sessionAffinity", "session affinity is not modelled"},
                  {"sessionAffinityConfig", "session affinity is not modelled"},
                  {"publishNotReadyAddresses", "endpoints follow pod readiness"},
                  {"trafficDistribution", "traffic distribution is not modelled"}});
      s->finish();
    }
    ignore(top, {{"status", kStatusReason}});
    out_.services.push_back(std::move(svc));
  }

  void read_namespace(FieldReader& top) {
    models::Namespace ns;
    object_meta(top, ns.metadata, false, NameRule::kLabel);
    if (auto s = top.map("spec")) {
      ignore(*s, {{"finalizers", "namespace finalizers are not modelled"}});
      s->finish();
    }
    if (auto st = top.map("status")) {
      ns.phase = st->one_of("phase", {"Active", "Terminating"}).value_or("Active");
      ignore(*st, {{"conditions", kStatusReason}});
      st->finish();
    }
    out_.namespaces.push_back(std::move(ns));
  }

  void read_priority_class(FieldReader& top) {
    models::PriorityClass pc;
    object_meta(top, pc.metadata, false, NameRule::kSubdomain);
    if (auto v = top.integer("value", std::numeric_limits<std::int32_t>::min(), kInt32Max, true)) {
      // upstream ValidatePriorityClass: only system- classes may exceed
      // HighestUserDefinablePriority (1e9).
      if (*v > 1'000'000'000 && !pc.metadata.name.starts_with("system-")) {
        top.error("value", "maximum allowed value of a user defined priority is 1000000000");
      }
      pc.value = static_cast<std::int32_t>(*v);
    }
    pc.global_default = top.boolean("globalDefault").value_or(false);
    if (auto pp = top.one_of("preemptionPolicy", {"PreemptLowerPriority", "Never"})) {
      pc.preemption_policy = *pp == "Never" ? models::PreemptionPolicy::kNever
                                            : models::PreemptionPolicy::kPreemptLowerPriority;
    }
    pc.description = top.string("description").value_or("");
    out_.priority_classes.push_back(std::move(pc));
  }

  models::MetricTarget metric_target(FieldReader& m) {
    models::MetricTarget t;
    auto target = m.map("target", true);
    if (!target) return t;
    if (auto type = target->one_of("type", {"Utilization", "Value", "AverageValue"}, true)) {
      t.type = *type == "Utilization" ? models::MetricTargetType::kUtilization
               : *type == "Value"     ? models::MetricTargetType::kValue
                                      : models::MetricTargetType::kAverageValue;
    }
    t.average_utilization = int32(*target, "averageUtilization", 1);
    auto quantity = [&](std::string_view key) -> std::optional<std::int64_t> {
      auto text = target->string(key);
      if (!text) return std::nullopt;
      auto q = models::parse_quantity(*text);
      if (!q) {
        target->error(key, q.error());
        return std::nullopt;
      }
      if (q->is_negative() || q->is_zero()) {
        target->error(key, "must be positive");
        return std::nullopt;
      }
      return q->milli_value();
    };
    t.value_milli = quantity("value");
    t.average_value_milli = quantity("averageValue");
    const bool ok = (t.type == models::MetricTargetType::kUtilization && t.average_utilization) ||
                    (t.type == models::MetricTargetType::kValue && t.value_milli) ||
                    (t.type == models::MetricTargetType::kAverageValue && t.average_value_milli);
    if (!ok && target->has("type")) {
      // upstream validateMetricTarget
      target->error_here("the field named by target.type must be set");
    }
    target->finish();
    return t;
  }

  void metric_identifier(FieldReader& r, models::MetricSpec& spec) {
    if (auto id = r.map("metric", true)) {
      spec.metric_name = id->string("name", true).value_or("");
      spec.metric_selector = label_selector(*id, "selector");
      id->finish();
    }
  }

  std::optional<models::HpaScalingRules> scaling_rules(FieldReader& b, std::string_view key) {
    auto r = b.map(key);
    if (!r) return std::nullopt;
    models::HpaScalingRules rules;
    if (auto w = r->integer("stabilizationWindowSeconds", 0, 3600)) {
      rules.stabilization_window_seconds = static_cast<std::int32_t>(*w);
    }
    if (auto sp = r->one_of("selectPolicy", {"Max", "Min", "Disabled"})) {
      rules.select_policy = *sp == "Max"   ? models::ScalingPolicySelect::kMax
                            : *sp == "Min" ? models::ScalingPolicySelect::kMin
                                           : models::ScalingPolicySelect::kDisabled;
    }
    if (auto pols = r->list_of_maps("policies")) {
      for (auto& p : *pols) {
        models::HpaScalingPolicy pol;
        if (auto t = p.one_of("type", {"Pods", "Percent"}, true)) {
          pol.type =
              *t == "Pods" ? models::ScalingPolicyType::kPods : models::ScalingPolicyType::kPercent;
        }
        pol.value = int32(p, "value", 1, true).value_or(0);
        if (auto ps = p.integer("periodSeconds", 1, 1800, true)) {
          pol.period_seconds = static_cast<std::int32_t>(*ps);
        }
        p.finish();
        rules.policies.push_back(pol);
      }
    }
    if (auto tol = r->string("tolerance")) {
      auto q = models::parse_quantity(*tol);
      if (!q || q->is_negative()) {
        r->error("tolerance", q ? "must be greater than or equal to 0" : q.error());
      } else {
        rules.tolerance_milli = q->milli_value();
      }
    }
    r->finish();
    return rules;
  }

  void read_hpa(FieldReader& top) {
    models::HorizontalPodAutoscaler hpa;
    object_meta(top, hpa.metadata, true, NameRule::kSubdomain);
    if (auto s = top.map("spec", true)) {
      if (auto ref = s->map("scaleTargetRef", true)) {
        hpa.spec.scale_target_ref.api_version = ref->string("apiVersion").value_or("");
        hpa.spec.scale_target_ref.kind = ref->string("kind", true).value_or("");
        hpa.spec.scale_target_ref.name = ref->string("name", true).value_or("");
        ref->finish();
      }
      hpa.spec.min_replicas = int32(*s, "minReplicas", 1);
      hpa.spec.max_replicas = int32(*s, "maxReplicas", 1, true).value_or(0);
      if (hpa.spec.min_replicas && hpa.spec.max_replicas &&
          *hpa.spec.min_replicas > hpa.spec.max_replicas) {
        s->error("maxReplicas", "must be greater than or equal to `minReplicas`");
      }
      if (auto metrics = s->list_of_maps("metrics")) {
        for (auto& m : *metrics) {
          models::MetricSpec spec;
          auto type = m.one_of(
              "type", {"Resource", "Pods", "Object", "External", "ContainerResource"}, true);
          // Every source key is known here; only the one named by `type` may be present.
          const std::vector<std::string> sources = {"resource", "pods", "object", "external",
                                                    "containerResource"};
          std::string wanted;
          if (type) {
            wanted =
                *type == "ContainerResource"
                    ? "containerResource"
                    : std::string(1, static_cast<char>((*type)[0] - 'A' + 'a')) + type->substr(1);
          }
          for (const auto& src : sources) {
            if (src != wanted && m.has(src)) {
              m.error(src, "must not be set when type is " + type.value_or("unset"));
            }
          }
          if (type && *type == "Resource") {
            spec.type = models::MetricSourceType::kResource;
            if (auto r = m.map("resource", true)) {
              spec.resource_name = r->string("name", true).value_or("");
              spec.target = metric_target(*r);
              r->finish();
            }
          } else if (type && *type == "ContainerResource") {
            spec.type = models::MetricSourceType::kContainerResource;
            if (auto r = m.map("containerResource", true)) {
              spec.resource_name = r->string("name", true).value_or("");
              spec.container = r->string("container", true).value_or("");
              spec.target = metric_target(*r);
              r->finish();
            }
          } else if (type && *type == "Pods") {
            spec.type = models::MetricSourceType::kPods;
            if (auto r = m.map("pods", true)) {
              metric_identifier(*r, spec);
              spec.target = metric_target(*r);
              r->finish();
            }
          } else if (type && *type == "Object") {
            spec.type = models::MetricSourceType::kObject;
            if (auto r = m.map("object", true)) {
              if (auto d = r->map("describedObject", true)) {
                spec.described_object.api_version = d->string("apiVersion").value_or("");
                spec.described_object.kind = d->string("kind", true).value_or("");
                spec.described_object.name = d->string("name", true).value_or("");
                d->finish();
              }
              metric_identifier(*r, spec);
              spec.target = metric_target(*r);
              r->finish();
            }
          } else if (type && *type == "External") {
            spec.type = models::MetricSourceType::kExternal;
            if (auto r = m.map("external", true)) {
              metric_identifier(*r, spec);
              spec.target = metric_target(*r);
              r->finish();
            }
          }
          for (const auto& src : sources) m.raw(src);
          m.finish();
          hpa.spec.metrics.push_back(std::move(spec));
        }
      }
      if (auto b = s->map("behavior")) {
        hpa.spec.has_behavior = true;
        hpa.spec.scale_up = scaling_rules(*b, "scaleUp");
        hpa.spec.scale_down = scaling_rules(*b, "scaleDown");
        b->finish();
      }
      s->finish();
    }
    ignore(top, {{"status", kStatusReason}});
    out_.horizontal_pod_autoscalers.push_back(std::move(hpa));
  }

  void read_lease(FieldReader& top) {
    models::Lease lease;
    object_meta(top, lease.metadata, true, NameRule::kSubdomain);
    if (auto s = top.map("spec")) {
      lease.spec.holder_identity = s->string("holderIdentity").value_or("");
      lease.spec.lease_duration_seconds = int32(*s, "leaseDurationSeconds", 1);
      lease.spec.lease_transitions = int32(*s, "leaseTransitions", 0).value_or(0);
      ignore(*s, {{"acquireTime", kTimeReason},
                  {"renewTime", kTimeReason},
                  {"preferredHolder", "coordinated leader election is not modelled"},
                  {"strategy", "coordinated leader election is not modelled"}});
      s->finish();
    }
    out_.leases.push_back(std::move(lease));
  }

  void read_endpoint_slice(FieldReader& top) {
    models::EndpointSlice es;
    object_meta(top, es.metadata, true, NameRule::kSubdomain);
    es.address_type = top.one_of("addressType", {"IPv4", "IPv6", "FQDN"}, true).value_or("IPv4");
    if (auto eps = top.list_of_maps("endpoints")) {
      for (auto& e : *eps) {
        models::Endpoint ep;
        ep.addresses = e.string_list("addresses");
        if (ep.addresses.empty()) e.error("addresses", "must contain at least 1 address");
        if (auto c = e.map("conditions")) {
          ep.conditions.ready = c->boolean("ready");
          ep.conditions.serving = c->boolean("serving");
          ep.conditions.terminating = c->boolean("terminating");
          c->finish();
        }
        ep.node_name = e.string("nodeName").value_or("");
        ep.zone = e.string("zone").value_or("");
        if (auto ref = e.map("targetRef")) {
          const std::string kind = ref->string("kind").value_or("Pod");
          const std::string ns = ref->string("namespace").value_or(es.metadata.namespace_);
          const std::string name = ref->string("name").value_or("");
          if (kind == "Pod") ep.target_pod = ns + "/" + name;
          ignore(*ref, {{"uid", "the object store assigns uids"},
                        {"apiVersion", "only pod references are used"},
                        {"resourceVersion", "the object store assigns resource versions"},
                        {"fieldPath", "only pod references are used"}});
          ref->finish();
        }
        ignore(e, {{"hostname", "DNS is not modelled"},
                   {"hints", "topology-aware routing is not modelled"},
                   {"deprecatedTopology", "deprecated field"}});
        e.finish();
        es.endpoints.push_back(std::move(ep));
      }
    }
    if (auto ports = top.list_of_maps("ports")) {
      for (auto& p : *ports) {
        models::EndpointPort port;
        port.name = p.string("name").value_or("");
        port.protocol = p.one_of("protocol", {"TCP", "UDP", "SCTP"}).value_or("TCP");
        port.port = int32(p, "port", 0).value_or(0);
        ignore(p, {{"appProtocol", "application protocols are not modelled"}});
        p.finish();
        es.ports.push_back(std::move(port));
      }
    }
    out_.endpoint_slices.push_back(std::move(es));
  }

  void read_pod_group(FieldReader& top) {
    models::PodGroup pg;
    object_meta(top, pg.metadata, true, NameRule::kSubdomain);
    if (auto s = top.map("spec", true)) {
      pg.spec.min_member = int32(*s, "minMember", 1, true).value_or(1);
      pg.spec.schedule_timeout_seconds = int32(*s, "scheduleTimeoutSeconds", 1);
      ignore(*s, {{"minResources", "the gang's minimum resources are not checked"}});
      s->finish();
    }
    ignore(top, {{"status", kStatusReason}});
    out_.pod_groups.push_back(std::move(pg));
  }

  // metrics.k8s.io/v1beta1 PodMetrics, as `kubectl get --raw
  // /apis/metrics.k8s.io/v1beta1/namespaces/NS/pods` (a PodMetricsList) serves them.
  void read_pod_metrics(FieldReader& top) {
    models::PodMetrics pm;
    object_meta(top, pm.metadata, true, NameRule::kSubdomain);
    pm.timestamp = kNoTimestamp;
    if (auto t = timestamp(top, "timestamp")) pm.timestamp = *t;
    if (!top.has("timestamp")) top.error_here("timestamp is required");
    pm.window = top.duration("window", 0, true).value_or(0);
    if (auto list = top.list_of_maps("containers")) {
      for (auto& c : *list) {
        models::ContainerMetrics cm;
        cm.name = c.string("name", true).value_or("");
        cm.usage = resource_list(c, "usage");
        c.finish();
        pm.containers.push_back(std::move(cm));
      }
    }
    out_.pod_metrics.push_back(std::move(pm));
  }

  // ---- custom resources (docs/aiservice.md) -----------------------------------------------

  // A JSON path under `root` (".spec" / ".status"), as upstream's CRD validation wants the
  // scale subresource's paths (apiextensions validation.go ValidateCustomResourceDefinition-
  // Subresources: "should be a json path under .spec" / ".status").
  static bool path_under(const std::string& path, std::string_view root) {
    return path.size() > root.size() + 1 && path.compare(0, root.size(), root) == 0 &&
           path[root.size()] == '.';
  }

  // apiextensions.k8s.io/v1 CustomResourceDefinition. Validation follows upstream's
  // (apiextensions-apiserver pkg/apis/apiextensions/validation/validation.go) where it is
  // cheap: the name is <plural>.<group>; group, plural and kind are required; scope is
  // Namespaced or Cluster; at least one version and exactly one storage version.
  void read_crd(FieldReader& top) {
    models::CustomResourceDefinition crd;
    object_meta(top, crd.metadata, false, NameRule::kSubdomain);
    if (auto s = top.map("spec", true)) {
      crd.group = s->string("group", true).value_or("");
      if (!crd.group.empty()) {
        if (auto st = models::validate_dns1123_subdomain(crd.group); !st.ok()) {
          s->error("group", st.message());
        } else if (crd.group.find('.') == std::string::npos) {
          s->error("group", "should be a domain with at least one dot");
        }
      }
      if (auto n = s->map("names", true)) {
        crd.names.plural = n->string("plural", true).value_or("");
        crd.names.singular = n->string("singular").value_or("");
        crd.names.kind = n->string("kind", true).value_or("");
        crd.names.list_kind = n->string("listKind").value_or(crd.names.kind + "List");
        crd.names.short_names = n->string_list("shortNames");
        crd.names.categories = n->string_list("categories");
        if (!crd.names.plural.empty()) {
          if (auto st = models::validate_dns1123_label(crd.names.plural); !st.ok()) {
            n->error("plural", st.message());
          }
        }
        n->finish();
      }
      if (auto scope = s->one_of("scope", {"Namespaced", "Cluster"}, true)) {
        crd.namespaced = *scope == "Namespaced";
      }
      if (auto versions = s->list_of_maps("versions", true)) {
        if (versions->empty()) {
          s->error("versions", "must have exactly one version marked as storage version");
        }
        int storage = 0;
        for (auto& v : *versions) crd.versions.push_back(crd_version(v, storage));
        if (!versions->empty() && storage != 1) {
          s->error("versions", "must have exactly one version marked as storage version");
        }
      }
      ignore(*s, {{"conversion", "a single stored version: no conversion"},
                  {"preserveUnknownFields", "unknown fields are reported, not pruned"}});
      s->finish();
    }
    ignore(top, {{"status", kStatusReason}});
    if (!crd.group.empty() && !crd.names.plural.empty() &&
        crd.metadata.name != crd.names.plural + "." + crd.group) {
      top.error("metadata", "metadata.name \"" + crd.metadata.name +
                                "\" must be spec.names.plural+\".\"+spec.group",
                "write name: " + crd.names.plural + "." + crd.group);
    }
    // The AIService CRD must describe the object kubesim's AIService is.
    if (crd.group == models::kAIServiceGroup && crd.names.kind == models::kAIServiceKind) {
      if (!crd.namespaced) top.error("spec", "AIService is namespaced: scope must be Namespaced");
      for (const auto& v : crd.versions) {
        if (v.name != models::kAIServiceVersion) {
          top.error("spec", "kubesim's AIService has one version, v1, not \"" + v.name + "\"");
        }
        if (v.scale && v.scale->spec_replicas_path != ".spec.replicas") {
          top.error("spec",
                    "the AIService scale subresource's specReplicasPath must be .spec.replicas");
        }
        if (v.scale && v.scale->status_replicas_path != ".status.replicas") {
          top.error("spec", "the AIService scale subresource's statusReplicasPath must be "
                            ".status.replicas");
        }
      }
    }
    out_.custom_resource_definitions.push_back(std::move(crd));
  }

  models::CustomResourceDefinitionVersion crd_version(FieldReader& v, int& storage) {
    models::CustomResourceDefinitionVersion out;
    out.name = v.string("name", true).value_or("");
    out.served = v.boolean("served", true).value_or(false);
    out.storage = v.boolean("storage", true).value_or(false);
    if (out.storage) ++storage;
    if (auto schema = v.map("schema")) {
      // openAPIV3Schema is free-form JSON schema: only the spec's properties and required
      // list are read; the rest is accepted unchecked.
      if (auto root = schema->raw("openAPIV3Schema")) {
        const YAML::Node spec = (*root)["properties"]["spec"];
        if (spec.IsMap() && spec["properties"].IsMap()) {
          for (const auto& p : spec["properties"]) out.spec_properties.push_back(p.first.Scalar());
        }
        if (spec.IsMap() && spec["required"].IsSequence()) {
          for (const auto& r : spec["required"]) {
            if (r.IsScalar()) out.spec_required.push_back(r.Scalar());
          }
        }
      }
      schema->finish();
    }
    if (auto sub = v.map("subresources")) {
      if (auto st = sub->raw("status")) out.has_status_subresource = st->IsMap();
      if (auto sc = sub->map("scale")) {
        models::CustomResourceSubresourceScale scale;
        scale.spec_replicas_path = sc->string("specReplicasPath", true).value_or("");
        scale.status_replicas_path = sc->string("statusReplicasPath", true).value_or("");
        scale.label_selector_path = sc->string("labelSelectorPath").value_or("");
        if (sc->has("specReplicasPath") && !path_under(scale.spec_replicas_path, ".spec")) {
          sc->error("specReplicasPath", "should be a json path under .spec");
        }
        if (sc->has("statusReplicasPath") && !path_under(scale.status_replicas_path, ".status")) {
          sc->error("statusReplicasPath", "should be a json path under .status");
        }
        if (!scale.label_selector_path.empty() &&
            !path_under(scale.label_selector_path, ".spec") &&
            !path_under(scale.label_selector_path, ".status")) {
          sc->error("labelSelectorPath", "should be a json path under either .spec or .status");
        }
        sc->finish();
        out.scale = std::move(scale);
      }
      sub->finish();
    }
    ignore(v, {{"additionalPrinterColumns", "kubectl columns are not modelled"},
               {"deprecated", "deprecation warnings are not modelled"},
               {"deprecationWarning", "deprecation warnings are not modelled"},
               {"selectableFields", "field selectors are not modelled"}});
    v.finish();
    return out;
  }

  // The CRD read so far that serves `kind` at `api_version` (group/version), or nullptr.
  const models::CustomResourceDefinition* crd_serving(std::string_view kind,
                                                      std::string_view api_version,
                                                      bool any_version = false) const {
    const std::size_t slash = api_version.find('/');
    const std::string_view group =
        slash == std::string_view::npos ? std::string_view() : api_version.substr(0, slash);
    const std::string_view version =
        slash == std::string_view::npos ? api_version : api_version.substr(slash + 1);
    for (const auto& crd : out_.custom_resource_definitions) {
      if (crd.names.kind != kind || crd.group != group) continue;
      if (any_version || crd.served_version(version) != nullptr) return &crd;
    }
    return nullptr;
  }

  // An object of a kind no built-in reader knows, or an AIService: served only when a
  // CustomResourceDefinition read earlier (this file above, or an earlier file) defines it,
  // as `kubectl apply` fails with "no matches for kind" before the CRD is installed.
  // Returns false when the kind is neither an AIService nor a CRD's kind (the caller
  // reports it as unsupported).
  bool read_custom_object(const YAML::Node& doc, FieldReader& top, const std::string& path,
                          const std::string& kind, const std::string& api) {
    const bool is_aiservice = kind == models::kAIServiceKind;
    const models::CustomResourceDefinition* crd = crd_serving(kind, api);
    if (!is_aiservice && crd == nullptr) {
      if (crd_serving(kind, api, true) == nullptr) return false;
    }
    if (crd == nullptr) {
      top.error("kind",
                "no matches for kind \"" + kind + "\" in version \"" + api + "\"",
                "ensure CRDs are installed first: a CustomResourceDefinition serving " + kind +
                    " at " + api + " must come before it (earlier in the file or in an earlier "
                    "file; kubesim ships scenarios/examples/crds/aiservice-crd.yaml)");
      return true;
    }
    if (!is_aiservice || api != models::kAIServiceApiVersion) {
      note_ignored(doc, top, path.empty() ? "kind: " + kind : path + " (kind: " + kind + ")",
                   "custom resource kind " + kind + " (CustomResourceDefinition " +
                       crd->metadata.name + ") is not modelled");
      return true;
    }
    read_aiservice(top, *crd);
    top.finish();
    check_duplicate(kind, top);
    return true;
  }

  void read_aiservice(FieldReader& top, const models::CustomResourceDefinition& crd) {
    models::AIService a;
    // The operator names its Deployment and Service after the AIService: a Service name
    // must be a DNS-1035 label.
    object_meta(top, a.metadata, true, NameRule::kDns1035);
    if (auto s = top.map("spec", true)) {
      // The CRD's schema: its required spec properties (upstream's structural schema
      // validation answers "spec.<name>: Required value").
      if (const auto* v = crd.served_version(models::kAIServiceVersion)) {
        for (const auto& r : v->spec_required) {
          if (r != "modelUri" && !s->has(r)) {
            s->error_here("spec." + r + ": Required value (the CustomResourceDefinition " +
                          crd.metadata.name + " requires it)");
          }
        }
      }
      if (auto uri = s->string("modelUri", true)) {
        if (uri->empty()) s->error("modelUri", "must not be empty");
        a.spec.model_uri = *uri;
      }
      a.spec.replicas = int32(*s, "replicas", 0);
      a.spec.image = s->string("image").value_or("");
      if (auto r = s->map("resources")) {
        a.spec.requests = resource_list(*r, "requests");
        a.spec.limits = resource_list(*r, "limits");
        // API defaulting, as for containers: a limit without a request is the request.
        a.spec.limits.for_each([&](std::string_view name, std::int64_t value) {
          if (!a.spec.requests.has(name)) a.spec.requests.set(name, value);
        });
        ignore(*r, {{"claims", "dynamic resource claims are not modelled"}});
        r->finish();
      }
      a.spec.node_selector = string_map(*s, "nodeSelector", true);
      a.spec.tolerations = tolerations(*s);
      if (auto sc = s->map("scaling")) {
        models::AIServiceScaling scaling;
        std::vector<std::string> policies;
        for (std::string_view p : models::kAIServicePolicies) policies.emplace_back(p);
        scaling.policy =
            sc->one_of("policy", policies).value_or(std::string(models::kAIServicePolicyRps));
        if (auto t = sc->number("targetRPSPerReplica", 0.001, 1e9)) {
          scaling.target_rps_per_replica_milli =
              static_cast<std::int64_t>(std::llround(*t * 1000.0));
        } else if (scaling.policy == models::kAIServicePolicyRps &&
                   !sc->has("targetRPSPerReplica")) {
          sc->error_here("scaling.targetRPSPerReplica is required when policy is rps",
                         "e.g. targetRPSPerReplica: 100");
        }
        scaling.min_replicas = int32(*sc, "minReplicas", 0).value_or(1);
        scaling.max_replicas = int32(*sc, "maxReplicas", 1, true).value_or(0);
        if (sc->has("maxReplicas") && scaling.max_replicas > 0 &&
            scaling.min_replicas > scaling.max_replicas) {
          sc->error("maxReplicas", "must be greater than or equal to `minReplicas`");
        }
        scaling.gpus_per_replica = int32(*sc, "gpusPerReplica", 0).value_or(0);
        scaling.model_size_bytes = sc->quantity("modelSize", "memory").value_or(0);
        sc->finish();
        if (scaling.gpus_per_replica > 0 && a.spec.requests.gpu != 0 &&
            a.spec.requests.gpu != scaling.gpus_per_replica) {
          s->error("resources", "requests nvidia.com/gpu " + std::to_string(a.spec.requests.gpu) +
                                    " disagrees with scaling.gpusPerReplica " +
                                    std::to_string(scaling.gpus_per_replica));
        }
        a.spec.scaling = std::move(scaling);
      }
      s->finish();
    }
    // status: what a running cluster's AIService reports — its /scale reads replicas and
    // selector (kubesim explain); the operator recomputes all of it in a run.
    if (auto st = top.map("status")) {
      if (auto v = st->integer("replicas", 0, kInt32Max)) a.status.replicas = static_cast<std::int32_t>(*v);
      if (auto v = st->integer("readyReplicas", 0, kInt32Max)) {
        a.status.ready_replicas = static_cast<std::int32_t>(*v);
      }
      if (auto v = st->string("selector")) a.status.selector = *v;
      ignore(*st, {{"observedRPS", kStatusReason},
                   {"observedGeneration", kStatusReason},
                   {"conditions", kStatusReason}});
      st->finish();
    }
    out_.aiservices.push_back(std::move(a));
  }

  // ---- networking.k8s.io/v1 Ingress and IngressClass (models/ingress.hpp) -----------------

  // An IngressBackend (spec.defaultBackend, paths[].backend): a Service with a port by number
  // or by name (upstream validateIngressBackend: exactly one of them; a resource backend is
  // not modelled). nullopt after a diagnostic.
  std::optional<models::IngressServiceBackend> ingress_backend(FieldReader& b) {
    if (b.has("resource")) {
      b.error("resource", "resource backends are not modelled",
              "route to a Service: backend.service {name, port}");
      b.raw("resource");
      b.raw("service");
      return std::nullopt;
    }
    auto svc = b.map("service", true);
    if (!svc) return std::nullopt;
    models::IngressServiceBackend out;
    bool ok = true;
    if (auto name = svc->string("name", true)) {
      out.name = *name;
      // upstream validateIngressBackend: the Service name is a DNS-1035 label.
      if (auto st = validate_dns1035_label(*name); !st.ok()) {
        svc->error("name", st.message());
        ok = false;
      }
    } else {
      ok = false;
    }
    if (auto port = svc->map("port", true)) {
      if (auto n = port->integer("number", 1, 65535)) {
        out.port_number = static_cast<std::int32_t>(*n);
      }
      if (auto n = port->string("name")) {
        out.port_name = *n;
        if (auto st = models::validate_dns1123_label(*n); !st.ok()) {
          port->error("name", st.message());
          ok = false;
        }
      }
      if (port->has("number") == port->has("name")) {
        port->error_here("a backend port needs exactly one of number and name",
                         "e.g. port: {number: 80} or port: {name: http}");
        ok = false;
      }
      port->finish();
    } else {
      ok = false;
    }
    svc->finish();
    if (!ok) return std::nullopt;
    return out;
  }

  void read_ingress(FieldReader& top) {
    models::Ingress ing;
    object_meta(top, ing.metadata, true, NameRule::kSubdomain);
    if (auto s = top.map("spec", true)) {
      if (auto c = s->string("ingressClassName")) {
        ing.spec.ingress_class_name = *c;
        if (auto st = models::validate_dns1123_subdomain(*c); !st.ok()) {
          s->error("ingressClassName", st.message());
        }
      }
      if (auto b = s->map("defaultBackend")) {
        ing.spec.default_backend = ingress_backend(*b);
        b->finish();
      }
      if (auto rules = s->list_of_maps("rules")) {
        for (auto& r : *rules) {
          models::IngressRule rule;
          if (auto h = r.string("host")) {
            rule.host = *h;
            if (auto st = models::validate_ingress_host(*h); !st.ok()) {
              r.error("host", st.message(), "e.g. foo.example.com or *.example.com");
            }
          }
          if (auto http = r.map("http")) {
            // upstream validateHTTPIngressRuleValue: paths is required and not empty.
            if (auto paths = http->list_of_maps("paths", true)) {
              if (paths->empty()) http->error("paths", "must contain at least one path");
              for (auto& p : *paths) {
                models::HttpIngressPath hp;
                if (auto t =
                        p.one_of("pathType", {"Exact", "Prefix", "ImplementationSpecific"}, true)) {
                  hp.path_type = *t == "Exact"    ? models::PathType::kExact
                                 : *t == "Prefix" ? models::PathType::kPrefix
                                                  : models::PathType::kImplementationSpecific;
                }
                const bool typed = hp.path_type != models::PathType::kImplementationSpecific;
                if (auto path = p.string("path", typed && p.has("pathType"))) {
                  hp.path = *path;
                  // upstream validateHTTPIngressPath: an absolute path; Exact and Prefix
                  // paths must not hold "//", "/./", "/../" or end in "/." or "/..".
                  if (!path->starts_with("/")) {
                    p.error("path", "must be an absolute path", "paths begin with '/'");
                  } else if (typed) {
                    for (const char* bad : {"//", "/./", "/../", "%2f", "%2F", "#"}) {
                      if (path->find(bad) != std::string::npos) {
                        p.error("path", std::string("must not contain '") + bad + "'");
                        break;
                      }
                    }
                    if (path->ends_with("/.") || path->ends_with("/..")) {
                      p.error("path", "must not end with '/.' or '/..'");
                    }
                  }
                }
                if (auto b = p.map("backend", true)) {
                  if (auto be = ingress_backend(*b)) hp.backend = std::move(*be);
                  b->finish();
                }
                p.finish();
                rule.paths.push_back(std::move(hp));
              }
            }
            http->finish();
          }
          r.finish();
          ing.spec.rules.push_back(std::move(rule));
        }
      }
      // upstream ValidateIngressSpec: "either `defaultBackend` or `rules` must be specified".
      if (!s->has("defaultBackend") && ing.spec.rules.empty()) {
        s->error_here("either defaultBackend or rules must be specified");
      }
      ignore(*s, {{"tls", "TLS termination is not modelled (requests route by host and path)"}});
      s->finish();
    }
    ignore(top, {{"status", kStatusReason}});
    out_.ingresses.push_back(std::move(ing));
  }

  void read_ingress_class(FieldReader& top) {
    models::IngressClass ic;
    object_meta(top, ic.metadata, false, NameRule::kSubdomain);
    if (auto s = top.map("spec")) {
      ic.controller = s->string("controller").value_or("");
      ignore(*s, {{"parameters", "controller parameters are not modelled"}});
      s->finish();
    }
    // upstream networking/v1 AnnotationIsDefaultIngressClass.
    const std::string* d =
        ic.metadata.annotations.find("ingressclass.kubernetes.io/is-default-class");
    if (d != nullptr) {
      ic.is_default = *d == "true";
    }
    out_.ingress_classes.push_back(std::move(ic));
  }

  // ---- Knative config-autoscaler (ConfigMap knative-serving/config-autoscaler) -----------

  // True when `top` is that ConfigMap (then read here); other ConfigMaps stay ignored.
  // upstream knative.dev/serving pkg/autoscaler/config/config.go NewConfigFromMap: the
  // values parse as bool / float / int32 / duration, unknown keys are ignored, validate().
  bool read_knative_autoscaler_config(FieldReader& top) {
    const YAML::Node meta = top.node()["metadata"];
    if (!meta.IsDefined() || !meta.IsMap() || !meta["name"].IsDefined() ||
        !meta["namespace"].IsDefined() || !meta["name"].IsScalar() ||
        !meta["namespace"].IsScalar() ||
        meta["name"].Scalar() != policies::kKnativeAutoscalerConfigMap ||
        meta["namespace"].Scalar() != policies::kKnativeServingNamespace) {
      return false;
    }
    if (auto api = top.string("apiVersion"); api && *api != "v1") {
      top.error("apiVersion", "kind ConfigMap is read at apiVersion v1, not \"" + *api + "\"",
                "write apiVersion: v1");
      return true;
    }
    ObjectMeta meta_out;
    object_meta(top, meta_out, true, NameRule::kSubdomain);
    std::vector<std::pair<std::string, std::string>> data;
    YAML::Node data_node;
    if (auto d = top.raw("data")) {
      data_node = *d;
      if (!d->IsMap()) {
        top.error("data", "expected a mapping of strings");
      } else {
        for (const auto& e : *d) {
          if (!e.second.IsScalar()) {
            add_at(e.second, top, top.path_of("data") + "." + e.first.Scalar(),
                   "expected a string value");
            continue;
          }
          data.emplace_back(e.first.Scalar(), e.second.Scalar());
        }
      }
    }
    ignore(top, {{"binaryData", "binary data is not read"}, {"immutable", kStatusReason}});
    top.finish();
    auto config = policies::kpa_cluster_config_from_data(data);
    if (!config.ok()) {
      // Point at the key the message names, else at data.
      YAML::Node at = data_node;
      std::string path = top.path_of("data");
      for (const auto& [k, v] : data) {
        if (config.error().find(": " + k + ":") != std::string::npos ||
            config.error().find(": " + k + " ") != std::string::npos) {
          at = data_node[k];
          path += "." + k;
          break;
        }
      }
      add_at(at, top, path, config.error(),
             "upstream knative.dev/serving pkg/autoscaler/config/config.go; Knative's webhook "
             "rejects this ConfigMap");
      return true;
    }
    if (out_.knative_autoscaler_config) {
      top.error_here("config-autoscaler given twice");
      return true;
    }
    out_.knative_autoscaler_config = config.value();
    return true;
  }

  // ---- documents --------------------------------------------------------------------------

  // `list_kind`: the item kind of the typed list (PodMetricsList, NodeList) holding `doc`.
  // The API server omits kind and apiVersion on the items of a typed list (as
  // `kubectl get --raw /apis/metrics.k8s.io/v1beta1/pods` prints them); they default to it.
  void read_object(const YAML::Node& doc, const std::string& path, int depth,
                   const KindInfo* list_kind = nullptr) {
    FieldReader top(doc, path, file_, &diagnostics_);
    if (!top.expect_map()) return;
    const bool inherit = list_kind != nullptr && !top.has("kind") && !top.has("apiVersion");
    auto kind = inherit ? std::optional<std::string>(std::string(list_kind->kind))
                        : top.string("kind", true);
    auto api = inherit ? std::optional<std::string>(std::string(list_kind->api_version))
                       : top.string("apiVersion", true);
    if (!kind) return;
    const bool is_list = *kind == "List" || (kind->size() > 4 && kind->ends_with("List") &&
                                             find_kind(kind->substr(0, kind->size() - 4)));
    if (is_list) {
      if (depth > 0) {
        top.error("kind", "a List inside a List is not supported");
        return;
      }
      auto items = top.raw("items");
      if (items && !items->IsSequence()) {
        top.error("items", "expected a list of objects");
      } else if (items) {
        const KindInfo* item_kind =
            *kind == "List" ? nullptr : find_kind(kind->substr(0, kind->size() - 4));
        for (std::size_t i = 0; i < items->size(); ++i) {
          read_object((*items)[i], top.path_of("items") + "[" + std::to_string(i) + "]", depth + 1,
                      item_kind);
        }
      }
      ignore(top, {{"metadata", "list metadata (resourceVersion) is not used"}});
      top.finish();
      return;
    }
    if (*kind == "ConfigMap" && read_knative_autoscaler_config(top)) return;
    for (std::string_view ignored : kIgnoredKinds) {
      if (*kind == ignored) {
        note_ignored(doc, top, path.empty() ? "kind: " + *kind : path + " (kind: " + *kind + ")",
                     "kind " + *kind + " does not affect scheduling and is not modelled");
        return;
      }
    }
    // AIService and the kinds of CustomResourceDefinitions: only once their CRD is read.
    if ((*kind == models::kAIServiceKind || !find_kind(*kind)) &&
        read_custom_object(doc, top, path, *kind, api.value_or(""))) {
      return;
    }
    const KindInfo* info = find_kind(*kind);
    if (!info) {
      const std::string guess = did_you_mean(*kind, kind_names());
      top.error("kind", "unsupported kind \"" + *kind + "\"",
                (guess.empty() ? std::string() : "did you mean '" + guess + "'? ") +
                    "supported kinds: " + supported_kinds_text());
      return;
    }
    if (api && *api != info->api_version) {
      top.error("apiVersion",
                "kind " + *kind + " is read at apiVersion " + std::string(info->api_version) +
                    ", not \"" + *api + "\"",
                "write apiVersion: " + std::string(info->api_version));
      return;
    }
    if (*kind == "Pod")
      read_pod(top);
    else if (*kind == "Node")
      read_node(top);
    else if (*kind == "Namespace")
      read_namespace(top);
    else if (*kind == "Service")
      read_service(top);
    else if (*kind == "Deployment")
      read_deployment(top);
    else if (*kind == "ReplicaSet")
      read_replica_set(top);
    else if (*kind == "Job")
      read_job(top);
    else if (*kind == "PriorityClass")
      read_priority_class(top);
    else if (*kind == "HorizontalPodAutoscaler")
      read_hpa(top);
    else if (*kind == "Lease")
      read_lease(top);
    else if (*kind == "EndpointSlice")
      read_endpoint_slice(top);
    else if (*kind == "PodGroup")
      read_pod_group(top);
    else if (*kind == "PodMetrics")
      read_pod_metrics(top);
    else if (*kind == "ScaledObject")
      read_scaled_object(top);
    else if (*kind == "PodAutoscaler")
      read_pod_autoscaler(top);
    else if (*kind == "PredictiveAutoscaler")
      read_predictive_autoscaler(top);
    else if (*kind == "CustomResourceDefinition")
      read_crd(top);
    else if (*kind == "Ingress")
      read_ingress(top);
    else if (*kind == "IngressClass")
      read_ingress_class(top);
    else if (*kind == "PodDisruptionBudget")
      read_pod_disruption_budget(top);
    top.finish();
    check_duplicate(*kind, top);
  }

  // ---- PodDisruptionBudget (policy/v1) ---------------------------------------------------
  // Validation as upstream pkg/apis/policy/validation ValidatePodDisruptionBudgetSpec:
  // minAvailable and maxUnavailable not both set, each a non-negative integer or a
  // percentage of at most 100%; unhealthyPodEvictionPolicy one of the two values. kubesim
  // also requires spec.selector: upstream accepts a PDB without one, and it then protects
  // no pod, which is never what a scenario means.
  void read_pod_disruption_budget(FieldReader& top) {
    models::PodDisruptionBudget pdb;
    object_meta(top, pdb.metadata, true, NameRule::kSubdomain);
    if (auto s = top.map("spec", true)) {
      pdb.spec.selector = label_selector(*s, "selector");
      if (!pdb.spec.selector) {
        s->error("selector", "a PodDisruptionBudget needs spec.selector",
                 "without a selector the budget protects no pod; add matchLabels for the "
                 "pods of the workload, e.g. selector: {matchLabels: {app: web}}");
      }
      const bool has_min = s->has("minAvailable");
      const bool has_max = s->has("maxUnavailable");
      pdb.spec.min_available = int_or_percent(*s, "minAvailable", true);
      pdb.spec.max_unavailable = int_or_percent(*s, "maxUnavailable", true);
      if (has_min && has_max) {
        s->error("maxUnavailable", "minAvailable and maxUnavailable cannot be both set",
                 "keep one: minAvailable (pods that must stay available) or maxUnavailable "
                 "(pods that may be down)");
      }
      if (auto p = s->one_of("unhealthyPodEvictionPolicy", {"IfHealthyBudget", "AlwaysAllow"})) {
        pdb.spec.unhealthy_pod_eviction_policy =
            *p == "AlwaysAllow" ? models::UnhealthyPodEvictionPolicy::kAlwaysAllow
                                : models::UnhealthyPodEvictionPolicy::kIfHealthyBudget;
      }
      s->finish();
    }
    ignore(top, {{"status", "computed by the disruption controller during the run"}});
    out_.pod_disruption_budgets.push_back(std::move(pdb));
  }

  // ---- KEDA ScaledObject (keda.sh/v1alpha1, KEDA v2.x) -----------------------------------

  // One trigger's metadata: every value a string; the keys kubesim reads, the keys it keeps
  // without interpreting (they address a real Prometheus or HTTP endpoint), and typos.
  void scaled_object_trigger_metadata(FieldReader& t, models::ScaledObjectTrigger& trig) {
    auto node = t.raw("metadata", true);
    if (!node) return;
    if (!node->IsMap()) {
      t.error("metadata", "expected a mapping of strings",
              "e.g. {metricName: requests_per_second, threshold: \"100\"}");
      return;
    }
    const bool api = trig.type == "metrics-api";
    std::vector<std::string> known = {"metricName", "threshold", "activationThreshold"};
    const std::vector<std::string> kept =
        api ? std::vector<std::string>{"targetValue", "activationTargetValue",
                                       "url",         "valueLocation",
                                       "format",      "authMode",
                                       "method",      "unsafeSsl"}
            : std::vector<std::string>{
                  "serverAddress",    "query",     "namespace",       "customHeaders",
                  "ignoreNullValues", "unsafeSsl", "queryParameters", "authModes",
                  "metricType"};
    known.insert(known.end(), kept.begin(), kept.end());
    std::optional<std::string> threshold;
    std::optional<std::string> activation;
    YAML::Node threshold_node;
    YAML::Node activation_node;
    bool has_metric_name = false;
    for (const auto& entry : *node) {
      const std::string k = entry.first.Scalar();
      const std::string path = t.path_of("metadata") + "." + k;
      if (!entry.second.IsScalar()) {
        add_at(entry.second, t, path, "expected a string value");
        continue;
      }
      const std::string v = entry.second.Scalar();
      if (std::find(known.begin(), known.end(), k) == known.end()) {
        const std::string guess = did_you_mean(k, known);
        add_at(entry.first, t, path, "unknown " + trig.type + " trigger metadata key \"" + k + "\"",
               guess.empty() ? "kubesim reads metricName, threshold and activationThreshold"
                             : "did you mean '" + guess + "'?");
        continue;
      }
      trig.metadata.emplace_back(k, v);
      if (k == "metricName") {
        has_metric_name = true;
        const std::vector<std::string> metrics = {std::string(models::kKedaMetricRequestsPerSecond),
                                                  std::string(models::kKedaMetricConcurrency),
                                                  std::string(models::kKedaMetricQueueLength)};
        if (std::find(metrics.begin(), metrics.end(), v) == metrics.end()) {
          const std::string guess = did_you_mean(v, metrics);
          add_at(entry.second, t, path,
                 "unknown simulator metric \"" + v +
                     "\" (expected requests_per_second, concurrency or queue_length)",
                 guess.empty() ? "the metric is measured on the scale target's Service"
                               : "did you mean '" + guess + "'?");
        } else {
          trig.metric_name = v;
        }
      } else if (k == "threshold" || (api && k == "targetValue")) {
        if (threshold) {
          add_at(entry.first, t, path, "threshold given twice (threshold and targetValue)");
        }
        threshold = v;
        threshold_node = entry.second;
      } else if (k == "activationThreshold" || (api && k == "activationTargetValue")) {
        activation = v;
        activation_node = entry.second;
      }
    }
    std::sort(trig.metadata.begin(), trig.metadata.end());
    // A prometheus query names the metric and the Service (policies/keda.hpp,
    // parse_keda_prometheus_query); metricName is then optional and must agree with it.
    bool has_query = false;
    if (!api && node->IsMap() && (*node)["query"].IsDefined() && (*node)["query"].IsScalar()) {
      has_query = true;
      const YAML::Node qn = (*node)["query"];
      auto q = policies::parse_keda_prometheus_query(qn.Scalar());
      const std::string path = t.path_of("metadata") + ".query";
      if (!q.ok()) {
        add_at(qn, t, path, q.error(), std::string(policies::kKedaSupportedQueries));
      } else if (has_metric_name && !trig.metric_name.empty() && trig.metric_name != q->metric) {
        add_at(qn, t, path,
               "the query reads " + q->metric + " but metricName is \"" + trig.metric_name + "\"",
               "drop metricName (the query names the metric) or make them agree");
      } else {
        trig.metric_name = q->metric;
        trig.service = q->service;
        trig.service_namespace = q->namespace_;
      }
    }
    if (!has_metric_name && !has_query) {
      t.error("metadata", "metadata.metricName is required",
              "the simulator metric to feed: requests_per_second, concurrency or queue_length; "
              "or query: sum(rate(http_requests_total{service=\"NAME\"}[1m]))");
    }
    if (!threshold) {
      t.error("metadata",
              std::string("metadata.") + (api ? "targetValue (or threshold)" : "threshold") +
                  " is required",
              "the per-replica target, e.g. threshold: \"100\"");
    } else {
      auto q = models::parse_quantity(*threshold);
      if (!q || q->milli_value() <= 0) {
        add_at(threshold_node, t, t.path_of("metadata") + ".threshold",
               q ? "must be greater than 0" : "invalid threshold: " + q.error());
      } else {
        trig.threshold_milli = q->milli_value();
      }
    }
    if (activation) {
      auto q = models::parse_quantity(*activation);
      if (!q) {
        add_at(activation_node, t, t.path_of("metadata") + ".activationThreshold",
               "invalid activationThreshold: " + q.error());
      } else {
        trig.activation_threshold_milli = q->milli_value();
      }
    }
  }

  // KEDA's ScaledObjectStatus (apis/keda/v1alpha1/scaledobject_types.go). Times are Unix
  // ns here, mapped onto the time base with the creation timestamps.
  void scaled_object_status(FieldReader& st, models::ScaledObjectStatus& out) {
    out.scale_target_kind = st.string("scaleTargetKind").value_or("");
    out.original_replica_count = int32(st, "originalReplicaCount", 0);
    out.last_active_time = timestamp(st, "lastActiveTime");
    out.external_metric_names = st.string_list("externalMetricNames");
    out.hpa_name = st.string("hpaName").value_or("");
    if (auto h = st.raw("health")) {
      if (!h->IsMap()) {
        st.error("health", "expected a mapping of metric name to {numberOfFailures, status}");
      } else {
        for (const auto& e : *h) {
          FieldReader r(e.second, st.path_of("health") + "." + e.first.Scalar(), file_,
                        &diagnostics_);
          if (!r.expect_map()) continue;
          models::ScaledObjectHealth health;
          health.metric = e.first.Scalar();
          health.number_of_failures = int32(r, "numberOfFailures", 0).value_or(0);
          health.status = r.one_of("status", {"Happy", "Failing"}).value_or("");
          r.finish();
          out.health.push_back(std::move(health));
        }
        std::sort(out.health.begin(), out.health.end(),
                  [](const auto& a, const auto& b) { return a.metric < b.metric; });
      }
    }
    out.conditions = conditions(st, "conditions", true);
    ignore(st, {{"scaleTargetGVKR", kStatusReason},
                {"pausedReplicaCount", "pausing is not modelled"},
                {"resourceMetricNames", kStatusReason},
                {"compositeScalerName", kStatusReason},
                {"triggersTypes", kStatusReason},
                {"authenticationsTypes", kStatusReason}});
    st.finish();
  }

  void read_scaled_object(FieldReader& top) {
    models::ScaledObject so;
    object_meta(top, so.metadata, true, NameRule::kSubdomain);
    if (auto s = top.map("spec", true)) {
      auto& spec = so.spec;
      if (auto ref = s->map("scaleTargetRef", true)) {
        spec.scale_target_ref.api_version = ref->string("apiVersion").value_or("apps/v1");
        spec.scale_target_ref.kind = ref->string("kind").value_or("Deployment");
        spec.scale_target_ref.name = ref->string("name", true).value_or("");
        ignore(*ref, {{"envSourceContainerName", "environment variables are not modelled"}});
        ref->finish();
      }
      spec.polling_interval_seconds =
          int32(*s, "pollingInterval", 1).value_or(models::kKedaDefaultPollingIntervalSeconds);
      spec.cooldown_period_seconds =
          int32(*s, "cooldownPeriod", 0).value_or(models::kKedaDefaultCooldownPeriodSeconds);
      spec.initial_cooldown_period_seconds = int32(*s, "initialCooldownPeriod", 0).value_or(0);
      spec.idle_replica_count = int32(*s, "idleReplicaCount", 0);
      spec.min_replica_count =
          int32(*s, "minReplicaCount", 0).value_or(models::kKedaDefaultMinReplicaCount);
      spec.max_replica_count =
          int32(*s, "maxReplicaCount", 1).value_or(models::kKedaDefaultMaxReplicaCount);
      // KEDA's admission webhook (scaledobject_webhook.go, verifyReplicaCount).
      if (spec.min_replica_count > spec.max_replica_count) {
        s->error("maxReplicaCount", "MinReplicaCount=" + std::to_string(spec.min_replica_count) +
                                        " must be less than MaxReplicaCount=" +
                                        std::to_string(spec.max_replica_count));
      }
      if (spec.idle_replica_count && *spec.idle_replica_count >= spec.min_replica_count) {
        s->error(
            "idleReplicaCount",
            "IdleReplicaCount=" + std::to_string(*spec.idle_replica_count) +
                " must be less than MinReplicaCount=" + std::to_string(spec.min_replica_count));
      }
      if (auto f = s->map("fallback")) {
        models::ScaledObjectFallback fb;
        fb.failure_threshold = int32(*f, "failureThreshold", 0, true).value_or(0);
        fb.replicas = int32(*f, "replicas", 0, true).value_or(0);
        ignore(*f, {{"behavior", "fallback behaviors other than static are not modelled"}});
        f->finish();
        spec.fallback = fb;
      }
      if (auto a = s->map("advanced")) {
        if (auto h = a->map("horizontalPodAutoscalerConfig")) {
          if (auto n = h->string("name")) {
            if (auto st = models::validate_dns1123_subdomain(*n); !st.ok()) {
              h->error("name", st.message());
            }
            spec.hpa_name = *n;
          }
          if (auto b = h->map("behavior")) {
            spec.has_behavior = true;
            spec.scale_up = scaling_rules(*b, "scaleUp");
            spec.scale_down = scaling_rules(*b, "scaleDown");
            b->finish();
          }
          h->finish();
        }
        ignore(*a, {{"restoreToOriginalReplicaCount",
                     "deleting the ScaledObject during a run is not modelled"}});
        if (a->has("scalingModifiers")) {
          a->error("scalingModifiers",
                   "scalingModifiers (composite metric formulas) are not "
                   "modelled",
                   "use one trigger per metric; the HPA takes the maximum");
          a->raw("scalingModifiers");
        }
        a->finish();
      }
      if (auto triggers = s->list_of_maps("triggers", true)) {
        if (triggers->empty()) s->error("triggers", "at least one trigger is required");
        for (auto& t : *triggers) {
          models::ScaledObjectTrigger trig;
          if (auto type = t.string("type", true)) {
            if (*type != "prometheus" && *type != "metrics-api") {
              const std::string guess = did_you_mean(*type, {"prometheus", "metrics-api"});
              t.error("type",
                      "trigger type \"" + *type +
                          "\" is not modelled (kubesim reads prometheus and metrics-api "
                          "triggers as a named simulator metric)",
                      guess.empty() ? "" : "did you mean '" + guess + "'?");
            }
            trig.type = *type;
          }
          trig.name = t.string("name").value_or("");
          if (auto mt = t.one_of("metricType", {"AverageValue", "Value", "Utilization"})) {
            if (*mt == "Utilization") {
              t.error("metricType", "Utilization applies to cpu and memory triggers only");
            }
            trig.metric_type = *mt == "Value" ? models::KedaMetricType::kValue
                                              : models::KedaMetricType::kAverageValue;
          }
          scaled_object_trigger_metadata(t, trig);
          ignore(t, {{"authenticationRef", "authentication is not modelled"},
                     {"useCachedMetrics", "the metrics adapter cache is not modelled"}});
          t.finish();
          if (spec.fallback && trig.metric_type != models::KedaMetricType::kAverageValue) {
            s->error("fallback",
                     "fallback requires every trigger's metricType to be "
                     "AverageValue");
          }
          spec.triggers.push_back(std::move(trig));
        }
      }
      s->finish();
    }
    // status: what the KEDA operator keeps between polls (kubesim explain reads it).
    if (auto st = top.map("status")) scaled_object_status(*st, so.status);
    out_.scaled_objects.push_back(std::move(so));
  }

  // ---- Knative PodAutoscaler (autoscaling.internal.knative.dev/v1alpha1) ----------------

  void read_pod_autoscaler(FieldReader& top) {
    models::PodAutoscaler pa;
    object_meta(top, pa.metadata, true, NameRule::kSubdomain);
    // The autoscaling.knative.dev/* annotations, checked where they stand.
    const YAML::Node meta = top.node()["metadata"];
    const YAML::Node anns = meta.IsMap() ? meta["annotations"] : YAML::Node();
    for (const auto& e : policies::validate_kpa_annotations(pa.metadata.annotations)) {
      const YAML::Node at = anns.IsDefined() && anns.IsMap() ? anns[e.key] : YAML::Node();
      const std::string path = top.path_of("metadata.annotations") + "." + e.key;
      if (e.unknown_key) {
        const std::string guess = did_you_mean(e.key, policies::kpa_annotation_keys());
        add_at(at.IsDefined() ? at : top.node(), top, path,
               "unknown Knative autoscaling annotation \"" + e.key + "\"",
               guess.empty() ? "" : "did you mean '" + guess + "'?");
      } else {
        add_at(at.IsDefined() ? at : top.node(), top, path,
               e.message + " (value \"" + e.value + "\")");
      }
    }
    if (auto s = top.map("spec", true)) {
      if (auto ref = s->map("scaleTargetRef", true)) {
        pa.spec.scale_target_ref.api_version = ref->string("apiVersion").value_or("apps/v1");
        pa.spec.scale_target_ref.kind = ref->string("kind").value_or("Deployment");
        pa.spec.scale_target_ref.name = ref->string("name", true).value_or("");
        ref->finish();
      }
      // Knative caps containerConcurrency at 1000 (config-defaults max).
      if (auto cc = s->integer("containerConcurrency", 0, 1000)) {
        pa.spec.container_concurrency = *cc;
      }
      pa.spec.reachability =
          s->one_of("reachability", {"", "Reachable", "Unreachable"}).value_or("");
      pa.spec.protocol_type = s->one_of("protocolType", {"http1", "h2c"}).value_or("http1");
      s->finish();
    }
    // status: the PA reconciler's view (kubesim explain reads the Active condition).
    if (auto st = top.map("status")) {
      pa.status.desired_scale = int32(*st, "desiredScale", 0);
      pa.status.actual_scale = int32(*st, "actualScale", 0);
      pa.status.conditions = conditions(*st, "conditions", true);
      ignore(*st, {{"serviceName", kStatusReason},
                   {"metricsServiceName", kStatusReason},
                   {"observedGeneration", kStatusReason},
                   {"annotations", kStatusReason}});
      st->finish();
    }
    out_.pod_autoscalers.push_back(std::move(pa));
  }

  // ---- kubesim PredictiveAutoscaler (autoscaling.kubesim.io/v1alpha1) --------------------

  // Every field checked where it stands, with the constraints of policies::validate()
  // (policies/predictive.cpp) spelled in manifest field names; validate() runs last as a
  // backstop on the assembled config.
  void read_predictive_autoscaler(FieldReader& top) {
    models::PredictiveAutoscaler pa;
    object_meta(top, pa.metadata, true, NameRule::kSubdomain);
    bool ok = true;
    if (auto s = top.map("spec", true)) {
      auto& spec = pa.spec;
      if (auto ref = s->map("scaleTargetRef", true)) {
        const auto kind = ref->one_of("kind", {"Deployment", "ReplicaSet", "AIService"}, true);
        spec.scale_target_ref.kind = kind.value_or("");
        const bool aiservice = kind && *kind == models::kAIServiceKind;
        spec.scale_target_ref.api_version =
            ref->string("apiVersion").value_or(aiservice ? "stable.example.com/v1" : "apps/v1");
        spec.scale_target_ref.name = ref->string("name", true).value_or("");
        ref->finish();
        ok = ok && kind.has_value() && !spec.scale_target_ref.name.empty();
      } else {
        ok = false;
      }
      if (auto m = s->map("metric", true)) {
        if (auto service = m->string("service", true)) {
          if (auto st = validate_dns1035_label(*service); !st.ok()) {
            m->error("service", st.message(), "the name of a Service in the same namespace");
            ok = false;
          }
          spec.metric.service = *service;
        } else {
          ok = false;
        }
        const auto name = m->one_of("name",
                                    {"requests_per_second", "concurrency", "queue_length",
                                     "utilization", "tokens_per_second"},
                                    true);
        spec.metric.name = name.value_or("");
        ok = ok && name.has_value();
        m->finish();
      } else {
        ok = false;
      }
      if (auto t = s->number("targetPerReplica", 0, std::numeric_limits<double>::max(), true)) {
        if (*t <= 0) {
          s->error("targetPerReplica", "must be greater than 0",
                   "the load one replica is sized for, in the metric's unit (e.g. 10 for 10 "
                   "requests/s per replica)");
          ok = false;
        }
        spec.target_per_replica = *t;
      } else {
        ok = false;
      }
      spec.min_replicas = int32(*s, "minReplicas", 0).value_or(1);
      if (auto max = int32(*s, "maxReplicas", 1, true)) {
        spec.max_replicas = *max;
        if (spec.max_replicas < spec.min_replicas) {
          s->error("maxReplicas",
                   "must be greater than or equal to minReplicas (" +
                       std::to_string(spec.min_replicas) + "), got " + std::to_string(*max));
          ok = false;
        }
      } else {
        ok = false;
      }
      spec.lead_time = s->duration("leadTime", 0).value_or(spec.lead_time);
      if (auto h = s->duration("history", 0)) {
        if (*h <= 0) {
          s->error("history", "must be greater than 0", "how much recent load to fit, e.g. 30m");
          ok = false;
        }
        spec.history = *h;
      }
      spec.min_samples = int32(*s, "minSamples", 2).value_or(spec.min_samples);
      spec.model = s->one_of("model", {"least-squares", "holt-winters"}).value_or(spec.model);
      const bool hw = spec.model == "holt-winters";
      // The other model's fields are a mistake, not a no-op.
      auto only_for = [&](std::string_view key, bool applies, const char* model) {
        if (s->has(key) && !applies) {
          s->error(key, std::string(key) + " applies to model " + model + " only",
                   std::string("remove it or set model: ") + model);
          ok = false;
        }
      };
      only_for("seasonalPeriod", !hw, "least-squares");
      for (std::string_view k : {"bucketInterval", "seasonLength", "alpha", "beta", "gamma"}) {
        only_for(k, hw, "holt-winters");
      }
      if (auto p = s->duration("seasonalPeriod", 0)) {
        spec.seasonal_period = *p;
        if (*p > spec.history) {
          s->error("seasonalPeriod",
                   "must be at most history (" + sim::format_duration(spec.history) + "), got " +
                       sim::format_duration(*p),
                   "the history must hold one whole period; raise history");
          ok = false;
        }
      }
      if (auto b = s->duration("bucketInterval", 0)) {
        if (*b <= 0) {
          s->error("bucketInterval", "must be greater than 0", "e.g. 15s");
          ok = false;
        }
        spec.bucket_interval = *b;
      }
      if (auto m = int32(*s, "seasonLength", 0)) {
        if (*m == 1) {
          s->error("seasonLength", "must be 0 (no season) or at least 2",
                   "the season in buckets: 96 buckets of 15m make a day");
          ok = false;
        }
        spec.season_length = *m;
      }
      if (hw && spec.season_length > 1 && spec.bucket_interval > 0 &&
          spec.history / 2 / spec.season_length < spec.bucket_interval) {
        s->error("history",
                 "must be at least 2 x seasonLength x bucketInterval (" +
                     sim::format_duration(2 * spec.season_length * spec.bucket_interval) +
                     "), got " + sim::format_duration(spec.history),
                 "Holt-Winters is initialized from two whole seasons");
        ok = false;
      }
      spec.alpha = s->number("alpha", 0, 1);
      spec.beta = s->number("beta", 0, 1);
      spec.gamma = s->number("gamma", 0, 1);
      spec.scale_down_stabilization =
          s->duration("scaleDownStabilization", 0).value_or(spec.scale_down_stabilization);
      if (auto p = s->duration("syncPeriod", 0)) {
        if (*p <= 0) {
          s->error("syncPeriod", "must be greater than 0", "the HPA's default is 15s");
          ok = false;
        }
        spec.sync_period = *p;
      }
      const std::size_t before = diagnostics_.size();
      s->finish();
      ok = ok && diagnostics_.size() == before;
      if (ok) {
        // Backstop: the policy's own check of the assembled config.
        const policies::PredictiveConfig c = policies::predictive_config_for(spec);
        if (auto st = policies::validate(c); !st.ok()) top.error("spec", st.message());
      }
    }
    ignore(top, {{"status", kStatusReason}});
    out_.predictive_autoscalers.push_back(std::move(pa));
  }

  const ObjectMeta* last_meta(std::string_view kind) const {
    auto last = [](const auto& v) -> const ObjectMeta* {
      return v.empty() ? nullptr : &v.back().metadata;
    };
    if (kind == "Pod") return last(out_.pods);
    if (kind == "Node") return last(out_.nodes);
    if (kind == "Namespace") return last(out_.namespaces);
    if (kind == "Service") return last(out_.services);
    if (kind == "Deployment") return last(out_.deployments);
    if (kind == "ReplicaSet") return last(out_.replica_sets);
    if (kind == "Job") return last(out_.jobs);
    if (kind == "PriorityClass") return last(out_.priority_classes);
    if (kind == "HorizontalPodAutoscaler") return last(out_.horizontal_pod_autoscalers);
    if (kind == "Lease") return last(out_.leases);
    if (kind == "EndpointSlice") return last(out_.endpoint_slices);
    if (kind == "PodGroup") return last(out_.pod_groups);
    if (kind == "PodMetrics") return last(out_.pod_metrics);
    if (kind == "ScaledObject") return last(out_.scaled_objects);
    if (kind == "PodDisruptionBudget") return last(out_.pod_disruption_budgets);
    if (kind == "PodAutoscaler") return last(out_.pod_autoscalers);
    if (kind == "PredictiveAutoscaler") return last(out_.predictive_autoscalers);
    if (kind == "CustomResourceDefinition") return last(out_.custom_resource_definitions);
    if (kind == "AIService") return last(out_.aiservices);
    if (kind == "Ingress") return last(out_.ingresses);
    if (kind == "IngressClass") return last(out_.ingress_classes);
    return nullptr;
  }

  // Two objects with the same kind, namespace and name: the second would overwrite the
  // first under `kubectl apply`, which is almost always a mistake in a simulation input.
  void check_duplicate(const std::string& kind, FieldReader& top) {
    const ObjectMeta* meta = last_meta(kind);
    if (meta == nullptr || meta->name.empty()) return;
    const std::string key = kind + "/" + meta->namespace_ + "/" + meta->name;
    const YAML::Node m = top.node()["metadata"];
    const YAML::Node name_node = m.IsMap() ? m["name"] : YAML::Node();
    auto [line, column] = location_of(name_node.IsDefined() ? name_node : top.node());
    std::string here = file_;
    here += ':';
    here += std::to_string(line);
    here += ':';
    here += std::to_string(column);
    auto [it, inserted] = seen_.emplace(key, here);
    // A later version of an object, applied during the run (kubesim.io/apply-at), is an
    // update, not a duplicate.
    const YAML::Node annotations = m.IsMap() ? m["annotations"] : YAML::Node();
    const bool applied_later = annotations.IsDefined() && annotations.IsMap() &&
                               annotations["kubesim.io/apply-at"].IsDefined();
    if (!inserted && !applied_later) {
      add_at(name_node.IsDefined() ? name_node : top.node(), top, top.path_of("metadata.name"),
             "duplicate " + kind + " \"" +
                 (meta->namespace_.empty() ? meta->name : meta->namespace_ + "/" + meta->name) +
                 "\"",
             "first defined at " + it->second);
    }
  }

  std::string file_;
  Manifests& out_;
  Diagnostics& diagnostics_;
  std::map<std::string, std::string>& seen_;
};

void ManifestReader::read_text(const std::string& text) {
  auto loaded = load_yaml_documents(text, file_, diagnostics_);
  if (!loaded) return;
  const std::vector<YAML::Node>& docs = *loaded;
  const std::size_t ignored_before = out_.ignored.size();
  for (std::size_t i = 0; i < docs.size(); ++i) {
    if (docs[i].IsNull()) continue;  // empty document between '---' separators
    // A scenario file's own kubesim document is the scenario loader's.
    if (docs[i].IsMap() && docs[i]["kind"].IsDefined() && docs[i]["kind"].IsScalar() &&
        docs[i]["kind"].Scalar() == "Scenario" && docs[i]["apiVersion"].IsDefined() &&
        docs[i]["apiVersion"].IsScalar() &&
        docs[i]["apiVersion"].Scalar().rfind("kubesim.io/", 0) == 0) {
      continue;
    }
    read_object(docs[i], "", 0);
  }
  // Ignored fields in document order (they are found in schema order).
  std::stable_sort(out_.ignored.begin() + static_cast<std::ptrdiff_t>(ignored_before),
                   out_.ignored.end(), [](const IgnoredField& a, const IgnoredField& b) {
                     return std::pair(a.line, a.column) < std::pair(b.line, b.column);
                   });
}

// Sizes of every object vector, to find what one call added.
struct Counts {
  std::size_t n[19];
};

template <typename F>
void for_each_vector(Manifests& m, F&& f) {
  f(0, m.pods);
  f(1, m.nodes);
  f(2, m.namespaces);
  f(3, m.services);
  f(4, m.deployments);
  f(5, m.replica_sets);
  f(6, m.jobs);
  f(7, m.priority_classes);
  f(8, m.horizontal_pod_autoscalers);
  f(9, m.leases);
  f(10, m.endpoint_slices);
  f(11, m.pod_groups);
  f(12, m.pod_metrics);
  f(13, m.custom_resource_definitions);
  f(14, m.aiservices);
  f(15, m.scaled_objects);
  f(16, m.pod_autoscalers);
  f(17, m.predictive_autoscalers);
  f(18, m.pod_disruption_budgets);
}

Counts counts_of(Manifests& m) {
  Counts c{};
  for_each_vector(m, [&](int i, auto& v) { c.n[i] = v.size(); });
  return c;
}

// Maps the Unix times of the objects added since `before` onto simulation time: creation
// timestamps, pod start times and Ready transition times, PodMetrics timestamps. Time 0 is
// the earliest creationTimestamp, or, without any, the earliest other timestamp.
void normalize_creation_times(Manifests& m, const Counts& before) {
  sim::Time earliest = kNoTimestamp;
  auto consider = [&](sim::Time t) {
    if (t != kNoTimestamp && (earliest == kNoTimestamp || t < earliest)) earliest = t;
  };
  for_each_vector(m, [&](int i, auto& v) {
    for (std::size_t k = before.n[i]; k < v.size(); ++k) consider(v[k].metadata.creation_timestamp);
  });
  if (earliest == kNoTimestamp) {
    for (std::size_t k = before.n[0]; k < m.pods.size(); ++k) {
      const models::Pod& p = m.pods[k];
      if (p.status.start_time) consider(*p.status.start_time);
      for (const auto& c : p.status.conditions) consider(c.last_transition_time);
    }
    for (std::size_t k = before.n[12]; k < m.pod_metrics.size(); ++k) {
      consider(m.pod_metrics[k].timestamp);
    }
    for (std::size_t k = before.n[15]; k < m.scaled_objects.size(); ++k) {
      if (auto t = m.scaled_objects[k].status.last_active_time) consider(*t);
    }
    for (std::size_t k = before.n[16]; k < m.pod_autoscalers.size(); ++k) {
      for (const auto& c : m.pod_autoscalers[k].status.conditions) consider(c.last_transition_time);
    }
  }
  auto shift = [&](sim::Time& t) { t = t == kNoTimestamp ? 0 : t - earliest; };
  for_each_vector(m, [&](int i, auto& v) {
    for (std::size_t k = before.n[i]; k < v.size(); ++k) shift(v[k].metadata.creation_timestamp);
  });
  for (std::size_t k = before.n[0]; k < m.pods.size(); ++k) {
    models::Pod& p = m.pods[k];
    if (p.status.start_time) shift(*p.status.start_time);
    for (auto& c : p.status.conditions) shift(c.last_transition_time);
  }
  for (std::size_t k = before.n[12]; k < m.pod_metrics.size(); ++k) {
    shift(m.pod_metrics[k].timestamp);
  }
  // Autoscaler status times (kubesim explain): ScaledObject lastActiveTime and condition
  // transitions, PodAutoscaler condition transitions.
  for (std::size_t k = before.n[15]; k < m.scaled_objects.size(); ++k) {
    auto& st = m.scaled_objects[k].status;
    if (st.last_active_time) shift(*st.last_active_time);
    for (auto& c : st.conditions) shift(c.last_transition_time);
  }
  for (std::size_t k = before.n[16]; k < m.pod_autoscalers.size(); ++k) {
    for (auto& c : m.pod_autoscalers[k].status.conditions) shift(c.last_transition_time);
  }
  if (earliest != kNoTimestamp) m.time_origin_unix_ns = earliest;
}

bool read_file_into(const std::string& path, Manifests& out, Diagnostics& diagnostics,
                    std::map<std::string, std::string>& seen) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diagnostics.add(Diagnostic{path, 0, 0, "", "cannot open the manifest file", "check the path"});
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::size_t before = diagnostics.size();
  ManifestReader(path, out, diagnostics, seen).read_text(buffer.str());
  return diagnostics.size() == before;
}

}  // namespace

std::size_t Manifests::object_count() const {
  return pods.size() + nodes.size() + namespaces.size() + services.size() + deployments.size() +
         replica_sets.size() + jobs.size() + priority_classes.size() +
         horizontal_pod_autoscalers.size() + leases.size() + endpoint_slices.size() +
         pod_groups.size() + pod_metrics.size() + custom_resource_definitions.size() +
         aiservices.size() + scaled_objects.size() + pod_autoscalers.size() +
         predictive_autoscalers.size() + ingresses.size() + ingress_classes.size() +
         pod_disruption_budgets.size();
}

std::vector<std::string> summarize_ignored(const std::vector<IgnoredField>& ignored) {
  struct Group {
    std::string key;
    const IgnoredField* first;
    int count;
  };
  std::vector<Group> groups;
  for (const IgnoredField& f : ignored) {
    std::string generic;
    std::string_view p = f.path;
    // Drop a leading "items[N]." (List documents).
    if (p.starts_with("items[")) {
      if (auto dot = p.find("]."); dot != std::string_view::npos) p.remove_prefix(dot + 2);
    }
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (p[i] == '[') {
        const std::size_t close = p.find(']', i);
        if (close != std::string_view::npos && is_all_digits(p.substr(i + 1, close - i - 1))) {
          generic += "[*]";
          i = close;
          continue;
        }
      }
      generic += p[i];
    }
    std::string key = generic + ": " + f.reason;
    auto it =
        std::find_if(groups.begin(), groups.end(), [&](const Group& g) { return g.key == key; });
    if (it == groups.end()) {
      groups.push_back({std::move(key), &f, 1});
    } else {
      ++it->count;
    }
  }
  std::vector<std::string> out;
  for (const Group& g : groups) {
    std::string line = g.key + " (";
    line += g.count == 1 ? std::string("at ") : std::to_string(g.count) + " times, first at ";
    line += g.first->file;
    if (g.first->line > 0) {
      line += ':';
      line += std::to_string(g.first->line);
      line += ':';
      line += std::to_string(g.first->column);
    }
    line += ')';
    out.push_back(std::move(line));
  }
  return out;
}

bool read_manifests_text(const std::string& text, const std::string& file, Manifests& out,
                         Diagnostics& diagnostics) {
  const Counts before = counts_of(out);
  const std::size_t errors_before = diagnostics.size();
  std::map<std::string, std::string> seen;
  ManifestReader(file, out, diagnostics, seen).read_text(text);
  normalize_creation_times(out, before);
  return diagnostics.size() == errors_before;
}

bool read_manifests_path(const std::string& path, Manifests& out, Diagnostics& diagnostics) {
  namespace fs = std::filesystem;
  const Counts before = counts_of(out);
  const std::size_t errors_before = diagnostics.size();
  std::map<std::string, std::string> seen;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      if (!entry.is_regular_file(ec)) continue;
      const std::string ext = entry.path().extension().string();
      if (ext == ".yaml" || ext == ".yml" || ext == ".json") files.push_back(entry.path().string());
    }
    if (ec) {
      diagnostics.add(Diagnostic{path, 0, 0, "", "cannot list the directory: " + ec.message(), ""});
    }
    std::sort(files.begin(), files.end());
    if (files.empty() && !ec) {
      diagnostics.add(
          Diagnostic{path, 0, 0, "", "no *.yaml, *.yml or *.json files in the directory", ""});
    }
    for (const auto& f : files) read_file_into(f, out, diagnostics, seen);
  } else if (!fs::exists(path, ec)) {
    diagnostics.add(Diagnostic{path, 0, 0, "", "no such file or directory", "check the path"});
  } else {
    read_file_into(path, out, diagnostics, seen);
  }
  normalize_creation_times(out, before);
  return diagnostics.size() == errors_before;
}

}  // namespace kubesim::scenarios
