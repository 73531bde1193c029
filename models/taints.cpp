#include "models/taints.hpp"

#include <limits>
#include <vector>

#include "models/labels.hpp"

namespace kubesim::models {

namespace {

using sim::Result;
using sim::Status;

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// upstream content.IsDecimalInteger: "0", or an optional '-' then [1-9][0-9]*. Stricter
// than Go's ParseInt: no '+', no leading zeros.
bool is_canonical_decimal_integer(std::string_view s) {
  std::size_t i = 0;
  if (!s.empty() && s[0] == '-') i = 1;
  if (i == s.size()) return false;
  if (s[i] == '0') return s.size() == 1;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

// upstream compareNumericValues: both values must be canonical integers in int64 range.
bool compare_numeric(std::string_view toleration_value, std::string_view taint_value,
                     TolerationOperator op) {
  if (!is_canonical_decimal_integer(toleration_value) ||
      !is_canonical_decimal_integer(taint_value)) {
    return false;
  }
  std::optional<std::int64_t> bound = parse_go_int64(toleration_value);
  std::optional<std::int64_t> actual = parse_go_int64(taint_value);
  if (!bound || !actual) return false;
  return op == TolerationOperator::kLt ? *actual < *bound : *actual > *bound;
}

}  // namespace

std::string_view to_string(TaintEffect effect) {
  switch (effect) {
    case TaintEffect::kNoSchedule:
      return "NoSchedule";
    case TaintEffect::kPreferNoSchedule:
      return "PreferNoSchedule";
    case TaintEffect::kNoExecute:
      return "NoExecute";
  }
  return "?";
}

Result<TaintEffect> parse_taint_effect(std::string_view text) {
  for (auto e :
       {TaintEffect::kNoSchedule, TaintEffect::kPreferNoSchedule, TaintEffect::kNoExecute}) {
    if (text == to_string(e)) return e;
  }
  return Status::invalid_argument(
      "Unsupported value: " + quoted(text) +
      ": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"");
}

std::string_view to_string(TolerationOperator op) {
  switch (op) {
    case TolerationOperator::kEqual:
      return "Equal";
    case TolerationOperator::kExists:
      return "Exists";
    case TolerationOperator::kLt:
      return "Lt";
    case TolerationOperator::kGt:
      return "Gt";
  }
  return "?";
}

Result<TolerationOperator> parse_toleration_operator(std::string_view text) {
  if (text.empty()) return TolerationOperator::kEqual;
  for (auto op : {TolerationOperator::kEqual, TolerationOperator::kExists, TolerationOperator::kLt,
                  TolerationOperator::kGt}) {
    if (text == to_string(op)) return op;
  }
  return Status::invalid_argument("Unsupported value: " + quoted(text) +
                                  ": supported values: \"Equal\", \"Exists\", \"Lt\", \"Gt\"");
}

std::string Taint::to_string() const {
  // upstream Taint.ToString
  std::string out = key;
  if (!value.empty()) {
    out += '=';
    out += value;
  }
  out += ':';
  out += models::to_string(effect);
  return out;
}

bool tolerates(const Toleration& toleration, const Taint& taint, bool enable_comparison_operators) {
  // upstream: k8s.io/api/core/v1/toleration.go, ToleratesTaint.
  if (toleration.effect && *toleration.effect != taint.effect) return false;
  if (!toleration.key.empty() && toleration.key != taint.key) return false;
  switch (toleration.op) {
    case TolerationOperator::kEqual:
      return toleration.value == taint.value;
    case TolerationOperator::kExists:
      return true;
    case TolerationOperator::kLt:
    case TolerationOperator::kGt:
      if (!enable_comparison_operators) return false;
      return compare_numeric(toleration.value, taint.value, toleration.op);
  }
  return false;
}

bool tolerations_tolerate_taint(std::span<const Toleration> tolerations, const Taint& taint,
                                bool enable_comparison_operators) {
  for (const Toleration& t : tolerations) {
    if (tolerates(t, taint, enable_comparison_operators)) return true;
  }
  return false;
}

const Taint* find_untolerated_taint(std::span<const Taint> taints,
                                    std::span<const Toleration> tolerations, TaintEffectSet effects,
                                    bool enable_comparison_operators) {
  for (const Taint& taint : taints) {
    if (!effects.contains(taint.effect)) continue;
    if (!tolerations_tolerate_taint(tolerations, taint, enable_comparison_operators)) {
      return &taint;
    }
  }
  return nullptr;
}

int count_intolerable_prefer_no_schedule(std::span<const Taint> taints,
                                         std::span<const Toleration> tolerations,
                                         bool enable_comparison_operators) {
  // upstream getAllTolerationPreferNoSchedule keeps tolerations whose effect is empty or
  // PreferNoSchedule. For a PreferNoSchedule taint that changes nothing (a toleration with
  // another effect never tolerates it), but the filter is applied anyway, as upstream.
  int count = 0;
  for (const Taint& taint : taints) {
    if (taint.effect != TaintEffect::kPreferNoSchedule) continue;
    bool tolerated = false;
    for (const Toleration& t : tolerations) {
      if (t.effect && *t.effect != TaintEffect::kPreferNoSchedule) continue;
      if (tolerates(t, taint, enable_comparison_operators)) {
        tolerated = true;
        break;
      }
    }
    if (!tolerated) ++count;
  }
  return count;
}

bool same_no_execute_taints(std::span<const Taint> a, std::span<const Taint> b) {
  auto next = [](std::span<const Taint> t, std::size_t i) {
    while (i < t.size() && t[i].effect != TaintEffect::kNoExecute) ++i;
    return i;
  };
  std::size_t i = next(a, 0);
  std::size_t j = next(b, 0);
  while (i < a.size() && j < b.size()) {
    if (a[i].key != b[j].key || a[i].value != b[j].value || a[i].time_added != b[j].time_added) {
      return false;
    }
    i = next(a, i + 1);
    j = next(b, j + 1);
  }
  return i == a.size() && j == b.size();
}

NoExecuteDecision no_execute_decision(std::span<const Taint> taints,
                                      std::span<const Toleration> tolerations,
                                      bool enable_comparison_operators) {
  using Kind = NoExecuteDecision::Kind;
  bool any_no_execute = false;
  bool any_seconds = false;
  std::int64_t min_seconds = std::numeric_limits<std::int64_t>::max();
  for (const Taint& taint : taints) {
    if (taint.effect != TaintEffect::kNoExecute) continue;  // upstream getNoExecuteTaints
    any_no_execute = true;
    // upstream GetMatchingTolerations: the first toleration that tolerates the taint.
    const Toleration* used = nullptr;
    for (const Toleration& t : tolerations) {
      if (tolerates(t, taint, enable_comparison_operators)) {
        used = &t;
        break;
      }
    }
    if (used == nullptr) return {Kind::kEvictNow, 0};
    // upstream getMinTolerationTime over the used tolerations.
    if (used->toleration_seconds) {
      std::int64_t s = *used->toleration_seconds;
      if (s <= 0) return {Kind::kEvictNow, 0};
      any_seconds = true;
      if (s < min_seconds) min_seconds = s;
    }
  }
  if (!any_no_execute) return {Kind::kNoTaints, 0};
  if (!any_seconds) return {Kind::kTolerateForever, 0};
  constexpr std::int64_t kMaxSeconds = std::numeric_limits<sim::Duration>::max() / sim::kSecond;
  sim::Duration delay = min_seconds > kMaxSeconds ? std::numeric_limits<sim::Duration>::max()
                                                  : sim::seconds(min_seconds);
  return {Kind::kEvictAfter, delay};
}

Status validate_taint(const Taint& taint) {
  // upstream validateNodeTaints: key as a label name, value as a label value; the effect
  // is one of the three by construction here.
  auto fail = [&](const std::string& field, const Status& s) {
    return Status::invalid_argument("taint " + quoted(taint.to_string()) + ": " + field + ": " +
                                    s.message());
  };
  if (Status s = validate_label_key(taint.key); !s.ok()) return fail("key", s);
  if (Status s = validate_label_value(taint.value); !s.ok()) return fail("value", s);
  return Status();
}

Status validate_taints(std::span<const Taint> taints) {
  for (std::size_t i = 0; i < taints.size(); ++i) {
    if (Status s = validate_taint(taints[i]); !s.ok()) {
      return Status::invalid_argument("taints[" + std::to_string(i) + "]: " + s.message());
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (taints[j].same_key_and_effect(taints[i])) {
        return Status::invalid_argument("taints[" + std::to_string(i) +
                                        "]: Duplicate value: taints must be unique by key "
                                        "and effect pair (" +
                                        quoted(taints[i].key) + ", " +
                                        std::string(to_string(taints[i].effect)) +
                                        " repeats taints[" + std::to_string(j) + "])");
      }
    }
  }
  return Status();
}

Status validate_toleration(const Toleration& t, bool enable_comparison_operators) {
  // upstream ValidateTolerations, in its order; the first problem is reported.
  auto fail = [](const std::string& field, const std::string& why) {
    return Status::invalid_argument(field + ": " + why);
  };
  if (!t.key.empty()) {
    if (Status s = validate_label_key(t.key); !s.ok()) return fail("key", s.message());
  }
  if (t.key.empty() && t.op != TolerationOperator::kExists) {
    return fail("operator", "Invalid value " + quoted(to_string(t.op)) +
                                ": operator must be Exists when `key` is empty, which means "
                                "\"match all values and all keys\"");
  }
  if (t.toleration_seconds && t.effect != TaintEffect::kNoExecute) {
    return fail("effect", "Invalid value " + quoted(t.effect ? to_string(*t.effect) : "") +
                              ": effect must be 'NoExecute' when `tolerationSeconds` is set");
  }
  switch (t.op) {
    case TolerationOperator::kEqual:
      if (Status s = validate_label_value(t.value); !s.ok()) return fail("value", s.message());
      break;
    case TolerationOperator::kExists:
      if (!t.value.empty()) {
        return fail("operator", "Invalid value: value must be empty when `operator` is 'Exists'");
      }
      break;
    case TolerationOperator::kLt:
    case TolerationOperator::kGt:
      if (!enable_comparison_operators) {
        return fail("operator", "Unsupported value: " + quoted(to_string(t.op)) +
                                    ": supported values: \"Equal\", \"Exists\"");
      }
      if (!is_canonical_decimal_integer(t.value) || !parse_go_int64(t.value)) {
        return fail("value", "Invalid value " + quoted(t.value) +
                                 ": must be a valid decimal integer in canonical form");
      }
      break;
  }
  return Status();
}

Status validate_tolerations(std::span<const Toleration> tolerations,
                            bool enable_comparison_operators) {
  for (std::size_t i = 0; i < tolerations.size(); ++i) {
    if (Status s = validate_toleration(tolerations[i], enable_comparison_operators); !s.ok()) {
      return Status::invalid_argument("tolerations[" + std::to_string(i) + "]." + s.message());
    }
  }
  return Status();
}

}  // namespace kubesim::models
