// Tests for models/taints: toleration matching, the TaintToleration filter and score
// helpers, NoExecute eviction timing and API validation.
//
// Cases are ported from upstream tests, cited per TEST_CASE:
//   k8s.io/api/core/v1/toleration_test.go             TestTolerationToleratesTaint
//   component-helpers/scheduling/corev1/helpers_test.go TestFindMatchingUntoleratedTaint
//   pkg/controller/tainteviction/taint_eviction_test.go TestGetMinTolerationTime
// Other expectations are derived by hand from the upstream code named beside them.
#include "models/taints.hpp"

#include <catch2/catch.hpp>
#include <limits>
#include <string>
#include <vector>

namespace {

using kubesim::models::count_intolerable_prefer_no_schedule;
using kubesim::models::find_untolerated_taint;
using kubesim::models::kNoScheduleOrNoExecute;
using kubesim::models::kTaintNodeUnreachable;
using kubesim::models::no_execute_decision;
using kubesim::models::NoExecuteDecision;
using kubesim::models::Taint;
using kubesim::models::TaintEffect;
using kubesim::models::TaintEffectSet;
using kubesim::models::same_no_execute_taints;
using kubesim::models::tolerates;
using kubesim::models::Toleration;
using kubesim::models::TolerationOperator;
using kubesim::models::tolerations_tolerate_taint;
using kubesim::models::validate_taints;
using kubesim::models::validate_toleration;
using kubesim::models::validate_tolerations;
using Kind = NoExecuteDecision::Kind;
using kubesim::sim::seconds;

constexpr auto kNoSchedule = TaintEffect::kNoSchedule;
constexpr auto kPrefer = TaintEffect::kPreferNoSchedule;
constexpr auto kNoExecute = TaintEffect::kNoExecute;
constexpr auto kEqual = TolerationOperator::kEqual;
constexpr auto kExists = TolerationOperator::kExists;
constexpr auto kGt = TolerationOperator::kGt;
constexpr auto kLt = TolerationOperator::kLt;

Taint taint(std::string key, std::string value, TaintEffect effect) {
  return Taint{std::move(key), std::move(value), effect, std::nullopt};
}

Toleration toleration(std::string key, TolerationOperator op, std::string value,
                      std::optional<TaintEffect> effect,
                      std::optional<std::int64_t> seconds = std::nullopt) {
  return Toleration{std::move(key), op, std::move(value), effect, seconds};
}

}  // namespace

TEST_CASE("tolerates as upstream's TestTolerationToleratesTaint", "[taints]") {
  struct Case {
    const char* description;
    Toleration tol;
    Taint t;
    bool tolerated;
  };
  const std::vector<Case> cases = {
      {"same key and effect, Exists, taint without value",
       toleration("foo", kExists, "", kNoSchedule), taint("foo", "", kNoSchedule), true},
      {"same key and effect, Exists, taint with value", toleration("foo", kExists, "", kNoSchedule),
       taint("foo", "bar", kNoSchedule), true},
      {"empty key with Exists matches every key", toleration("", kExists, "", kNoSchedule),
       taint("foo", "bar", kNoSchedule), true},
      {"same key, effect and value, Equal", toleration("foo", kEqual, "bar", kNoSchedule),
       taint("foo", "bar", kNoSchedule), true},
      {"same key and effect, different values, Equal",
       toleration("foo", kEqual, "value1", kNoSchedule), taint("foo", "value2", kNoSchedule),
       false},
      {"same key and value, different effects, Equal",
       toleration("foo", kEqual, "bar", kNoSchedule), taint("foo", "bar", kNoExecute), false},
  };
  for (const auto& c : cases) {
    INFO(c.description);
    CHECK(tolerates(c.tol, c.t) == c.tolerated);
  }
}

TEST_CASE("Lt and Gt tolerations as upstream (feature gate on)", "[taints]") {
  // upstream TestTolerationToleratesTaint, comparison-operator rows.
  const std::string sla = "node.kubernetes.io/sla";
  auto check = [](const Toleration& tol, const Taint& t) { return tolerates(tol, t, true); };
  CHECK_FALSE(check(toleration(sla, kGt, "950", kNoSchedule), taint(sla, "800", kNoSchedule)));
  CHECK(check(toleration(sla, kGt, "750", kNoSchedule), taint(sla, "950", kNoSchedule)));
  CHECK_FALSE(check(toleration(sla, kLt, "800", kNoSchedule), taint(sla, "950", kNoSchedule)));
  CHECK(check(toleration(sla, kLt, "950", kNoSchedule), taint(sla, "800", kNoSchedule)));
  CHECK_FALSE(check(toleration(sla, kGt, "950", kNoSchedule), taint(sla, "950", kNoSchedule)));
  CHECK_FALSE(check(toleration(sla, kGt, "950", kNoSchedule), taint(sla, "high", kNoSchedule)));
  CHECK_FALSE(check(toleration("test-key", kGt, "-100", kNoSchedule),
                    taint("test-key", "-200", kNoSchedule)));
  CHECK_FALSE(check(toleration("test-key", kGt, "9223372036854775806", kNoSchedule),
                    taint("test-key", "100", kNoSchedule)));
  // By hand from compareNumericValues: values must be canonical integers.
  CHECK_FALSE(check(toleration(sla, kLt, "950", kNoSchedule), taint(sla, "0800", kNoSchedule)));
  CHECK(check(toleration(sla, kLt, "950", kNoSchedule), taint(sla, "-5", kNoSchedule)));
  // With the gate off (the default), Lt/Gt tolerate nothing.
  CHECK_FALSE(tolerates(toleration(sla, kLt, "950", kNoSchedule), taint(sla, "800", kNoSchedule)));
}

TEST_CASE("tolerates: empty effect matches every effect, empty key with Equal", "[taints]") {
  for (TaintEffect e : {kNoSchedule, kPrefer, kNoExecute}) {
    CHECK(tolerates(toleration("k", kEqual, "v", std::nullopt), taint("k", "v", e)));
    CHECK(tolerates(toleration("", kExists, "", std::nullopt), taint("any", "thing", e)));
  }
  // ToleratesTaint skips the key check for an empty key whatever the operator, so an
  // empty-key Equal toleration (rejected by validation) tolerates any key with its value.
  CHECK(tolerates(toleration("", kEqual, "", std::nullopt), taint("any", "", kNoSchedule)));
  CHECK_FALSE(tolerates(toleration("", kEqual, "", std::nullopt), taint("any", "x", kNoSchedule)));
}

TEST_CASE("find_untolerated_taint as upstream's TestFindMatchingUntoleratedTaint", "[taints]") {
  const TaintEffectSet all{kNoSchedule, kPrefer, kNoExecute};
  const TaintEffectSet none{};
  const std::vector<Toleration> foo_ns = {toleration("foo", kExists, "", kNoSchedule)};
  SECTION("empty tolerations tolerate empty taints") {
    CHECK(find_untolerated_taint({}, {}, all) == nullptr);
  }
  SECTION("non-empty tolerations tolerate empty taints") {
    CHECK(find_untolerated_taint({}, foo_ns, all) == nullptr);
  }
  SECTION("tolerations match all taints") {
    std::vector<Taint> taints = {taint("foo", "", kNoSchedule)};
    CHECK(find_untolerated_taint(taints, foo_ns, all) == nullptr);
  }
  SECTION("tolerations don't match taints, but no taint passes the filter") {
    std::vector<Taint> taints = {taint("bar", "", kNoSchedule)};
    CHECK(find_untolerated_taint(taints, foo_ns, none) == nullptr);
  }
  SECTION("every taint passes the filter and one is untolerated") {
    std::vector<Taint> taints = {taint("bar", "", kNoSchedule)};
    const Taint* t = find_untolerated_taint(taints, foo_ns, all);
    REQUIRE(t != nullptr);
    CHECK(t == &taints[0]);
  }
  SECTION("only the NoExecute taint is filtered in, and it is tolerated") {
    std::vector<Toleration> tols = {toleration("foo", kExists, "", kNoExecute)};
    std::vector<Taint> taints = {taint("foo", "", kNoExecute), taint("bar", "", kNoSchedule)};
    CHECK(find_untolerated_taint(taints, tols, TaintEffectSet{kNoExecute}) == nullptr);
  }
  SECTION("a Gt toleration that cannot parse the taint is ignored when a later one matches") {
    std::vector<Toleration> tols = {toleration("node.kubernetes.io/sla", kGt, "950", kNoSchedule),
                                    toleration("node.kubernetes.io/sla", kExists, "", kNoSchedule)};
    std::vector<Taint> taints = {taint("node.kubernetes.io/sla", "high", kNoSchedule)};
    CHECK(find_untolerated_taint(taints, tols, all, true) == nullptr);
    CHECK(find_untolerated_taint(taints, {tols.data(), 1}, all, true) == &taints[0]);
  }
}

TEST_CASE("the TaintToleration filter ignores PreferNoSchedule and reports the first taint",
          "[taints]") {
  // upstream taint_toleration.go Filter: only NoSchedule and NoExecute taints must be
  // tolerated; the first untolerated one, in node order, is reported.
  std::vector<Taint> taints = {taint("soft", "", kPrefer), taint("gpu", "true", kNoSchedule),
                               taint(std::string(kTaintNodeUnreachable), "", kNoExecute)};
  std::vector<Toleration> tols;
  const Taint* t = find_untolerated_taint(taints, tols, kNoScheduleOrNoExecute);
  REQUIRE(t != nullptr);
  CHECK(t->key == "gpu");
  tols.push_back(toleration("gpu", kEqual, "true", kNoSchedule));
  t = find_untolerated_taint(taints, tols, kNoScheduleOrNoExecute);
  REQUIRE(t != nullptr);
  CHECK(t->key == kTaintNodeUnreachable);
  tols.push_back(toleration(std::string(kTaintNodeUnreachable), kExists, "", kNoExecute, 300));
  CHECK(find_untolerated_taint(taints, tols, kNoScheduleOrNoExecute) == nullptr);
  CHECK(tolerations_tolerate_taint(tols, taints[2]));
  CHECK_FALSE(tolerations_tolerate_taint(tols, taints[0]));
}

TEST_CASE("count_intolerable_prefer_no_schedule counts only PreferNoSchedule taints", "[taints]") {
  // upstream countIntolerableTaintsPreferNoSchedule with getAllTolerationPreferNoSchedule.
  std::vector<Taint> taints = {taint("a", "1", kPrefer), taint("b", "2", kPrefer),
                               taint("c", "3", kNoSchedule), taint("d", "4", kPrefer)};
  CHECK(count_intolerable_prefer_no_schedule(taints, {}) == 3);
  std::vector<Toleration> tols = {
      toleration("a", kEqual, "1", kPrefer),       // counts: tolerates a
      toleration("b", kEqual, "2", kNoSchedule),   // wrong effect: b still counts
      toleration("d", kExists, "", std::nullopt),  // empty effect: tolerates d
      toleration("c", kExists, "", std::nullopt),  // c is NoSchedule: not scored anyway
  };
  CHECK(count_intolerable_prefer_no_schedule(taints, tols) == 1);
  std::vector<Toleration> all = {toleration("", kExists, "", std::nullopt)};
  CHECK(count_intolerable_prefer_no_schedule(taints, all) == 0);
  std::vector<Toleration> no_schedule_only = {toleration("", kExists, "", kNoSchedule)};
  CHECK(count_intolerable_prefer_no_schedule(taints, no_schedule_only) == 3);
}

TEST_CASE("no_execute_decision ports upstream's TestGetMinTolerationTime", "[taints]") {
  // getMinTolerationTime over the tolerations GetMatchingTolerations picked: one taint per
  // toleration here, so the picked tolerations are exactly the listed ones.
  const std::vector<Taint> two = {taint("k1", "", kNoExecute), taint("k2", "", kNoExecute)};
  auto tol = [](const char* key, std::optional<std::int64_t> s) {
    return toleration(key, kExists, "", kNoExecute, s);
  };
  std::vector<Toleration> forever = {tol("k1", std::nullopt)};
  CHECK(no_execute_decision(std::vector<Taint>{two[0]}, forever) ==
        NoExecuteDecision{Kind::kTolerateForever, 0});
  std::vector<Toleration> one_two = {tol("k1", 1), tol("k2", 2)};
  CHECK(no_execute_decision(two, one_two) == NoExecuteDecision{Kind::kEvictAfter, seconds(1)});
  std::vector<Toleration> one_nil = {tol("k1", 1), tol("k2", std::nullopt)};
  CHECK(no_execute_decision(two, one_nil) == NoExecuteDecision{Kind::kEvictAfter, seconds(1)});
  std::vector<Toleration> nil_one = {tol("k1", std::nullopt), tol("k2", 1)};
  CHECK(no_execute_decision(two, nil_one) == NoExecuteDecision{Kind::kEvictAfter, seconds(1)});
}

TEST_CASE("no_execute_decision follows processPodOnNode", "[taints]") {
  const Taint unreachable = taint(std::string(kTaintNodeUnreachable), "", kNoExecute);
  const Toleration default_300 =
      toleration(std::string(kTaintNodeUnreachable), kExists, "", kNoExecute, 300);
  SECTION("no NoExecute taint: nothing to do") {
    std::vector<Taint> taints = {taint("a", "", kNoSchedule), taint("b", "", kPrefer)};
    CHECK(no_execute_decision(taints, {}).kind == Kind::kNoTaints);
    CHECK(no_execute_decision({}, {}).kind == Kind::kNoTaints);
  }
  SECTION("an untolerated NoExecute taint evicts now") {
    std::vector<Taint> taints = {unreachable, taint("x", "", kNoExecute)};
    std::vector<Toleration> tols = {default_300};
    CHECK(no_execute_decision(taints, tols) == NoExecuteDecision{Kind::kEvictNow, 0});
  }
  SECTION("the DefaultTolerationSeconds toleration delays eviction by 300 s") {
    std::vector<Taint> taints = {unreachable};
    std::vector<Toleration> tols = {default_300};
    CHECK(no_execute_decision(taints, tols) == NoExecuteDecision{Kind::kEvictAfter, seconds(300)});
  }
  SECTION("tolerationSeconds <= 0 evicts now") {
    std::vector<Taint> taints = {unreachable};
    std::vector<Toleration> zero = {toleration("", kExists, "", kNoExecute, 0)};
    std::vector<Toleration> negative = {toleration("", kExists, "", kNoExecute, -5)};
    CHECK(no_execute_decision(taints, zero).kind == Kind::kEvictNow);
    CHECK(no_execute_decision(taints, negative).kind == Kind::kEvictNow);
  }
  SECTION("only the first tolerating toleration of each taint counts") {
    // GetMatchingTolerations breaks at the first match, so a later, shorter
    // tolerationSeconds for the same taint is never seen.
    std::vector<Taint> taints = {unreachable};
    std::vector<Toleration> forever_first = {toleration("", kExists, "", std::nullopt),
                                             default_300};
    CHECK(no_execute_decision(taints, forever_first).kind == Kind::kTolerateForever);
    std::vector<Toleration> seconds_first = {default_300,
                                             toleration("", kExists, "", std::nullopt)};
    CHECK(no_execute_decision(taints, seconds_first) ==
          NoExecuteDecision{Kind::kEvictAfter, seconds(300)});
  }
  SECTION("NoSchedule tolerations do not tolerate NoExecute taints") {
    std::vector<Taint> taints = {unreachable};
    std::vector<Toleration> tols = {
        toleration(std::string(kTaintNodeUnreachable), kExists, "", kNoSchedule)};
    CHECK(no_execute_decision(taints, tols).kind == Kind::kEvictNow);
  }
  SECTION("huge tolerationSeconds saturate instead of overflowing") {
    std::vector<Taint> taints = {unreachable};
    std::vector<Toleration> tols = {
        toleration("", kExists, "", kNoExecute, std::numeric_limits<std::int64_t>::max())};
    auto d = no_execute_decision(taints, tols);
    CHECK(d.kind == Kind::kEvictAfter);
    CHECK(d.delay == std::numeric_limits<kubesim::sim::Duration>::max());
  }
}

TEST_CASE("Taint to_string and names", "[taints]") {
  CHECK(taint("dedicated", "gpu", kNoSchedule).to_string() == "dedicated=gpu:NoSchedule");
  CHECK(taint("node.kubernetes.io/unreachable", "", kNoExecute).to_string() ==
        "node.kubernetes.io/unreachable:NoExecute");
  CHECK(kubesim::models::parse_taint_effect("PreferNoSchedule").value() == kPrefer);
  CHECK(kubesim::models::parse_taint_effect("NoScheduleNoAdmit").error() ==
        "Unsupported value: \"NoScheduleNoAdmit\": supported values: \"NoSchedule\", "
        "\"PreferNoSchedule\", \"NoExecute\"");
  CHECK(kubesim::models::parse_toleration_operator("").value() == kEqual);
  CHECK(kubesim::models::parse_toleration_operator("Exists").value() == kExists);
  CHECK_FALSE(kubesim::models::parse_toleration_operator("exists").ok());
  CHECK(taint("a", "1", kNoSchedule).same_key_and_effect(taint("a", "2", kNoSchedule)));
  CHECK_FALSE(taint("a", "1", kNoSchedule).same_key_and_effect(taint("a", "1", kNoExecute)));
}

TEST_CASE("validate_toleration applies ValidateTolerations", "[taints]") {
  CHECK(validate_toleration(toleration("k", kEqual, "v", kNoSchedule)).ok());
  CHECK(validate_toleration(toleration("", kExists, "", std::nullopt)).ok());
  CHECK(validate_toleration(toleration("k", kExists, "", kNoExecute, 60)).ok());
  CHECK(validate_toleration(toleration("", kEqual, "", std::nullopt)).message() ==
        "operator: Invalid value \"Equal\": operator must be Exists when `key` is empty, which "
        "means \"match all values and all keys\"");
  CHECK(validate_toleration(toleration("k", kExists, "", kNoSchedule, 60)).message() ==
        "effect: Invalid value \"NoSchedule\": effect must be 'NoExecute' when "
        "`tolerationSeconds` is set");
  CHECK(validate_toleration(toleration("k", kExists, "v", kNoSchedule)).message() ==
        "operator: Invalid value: value must be empty when `operator` is 'Exists'");
  CHECK(validate_toleration(toleration("k", kEqual, "-v", kNoSchedule))
            .message()
            .rfind("value: label value \"-v\"", 0) == 0);
  CHECK(validate_toleration(toleration("bad key", kExists, "", kNoSchedule))
            .message()
            .rfind("key: label key \"bad key\"", 0) == 0);
  CHECK(validate_toleration(toleration("k", kGt, "5", kNoSchedule)).message() ==
        "operator: Unsupported value: \"Gt\": supported values: \"Equal\", \"Exists\"");
  CHECK(validate_toleration(toleration("k", kGt, "5", kNoSchedule), true).ok());
  CHECK_FALSE(validate_toleration(toleration("k", kGt, "05", kNoSchedule), true).ok());
  std::vector<Toleration> tols = {toleration("k", kEqual, "v", kNoSchedule),
                                  toleration("", kEqual, "", std::nullopt)};
  CHECK(validate_tolerations(tols).message().rfind("tolerations[1].operator: ", 0) == 0);
}

TEST_CASE("validate_taints: label syntax and unique (key, effect)", "[taints]") {
  std::vector<Taint> ok = {taint("dedicated", "gpu", kNoSchedule),
                           taint("dedicated", "gpu", kNoExecute)};
  CHECK(validate_taints(ok).ok());
  std::vector<Taint> dup = {taint("dedicated", "gpu", kNoSchedule),
                            taint("dedicated", "cpu", kNoSchedule)};
  CHECK(validate_taints(dup).message().find("taints must be unique by key and effect pair") !=
        std::string::npos);
  std::vector<Taint> bad = {taint("Dedicated.io/x", "gpu", kNoSchedule)};
  CHECK(validate_taints(bad).message().rfind(
            "taints[0]: taint \"Dedicated.io/x=gpu:NoSchedule\": key: label key", 0) == 0);
  std::vector<Taint> bad_value = {taint("k", "a b", kNoSchedule)};
  CHECK(validate_taints(bad_value).message().find("value: label value \"a b\"") !=
        std::string::npos);
}

// upstream tainteviction NodeUpdated compares only the NoExecute taints (getNoExecuteTaints,
// then helper.Semantic.DeepEqual): other effects never matter, order and timeAdded do.
TEST_CASE("same_no_execute_taints compares the NoExecute subset only", "[taints]") {
  const Taint a = taint("a", "1", kNoExecute);
  const Taint b = taint("b", "", kNoExecute);
  const Taint s = taint("s", "", kNoSchedule);
  const Taint p = taint("p", "x", kPrefer);
  using V = std::vector<Taint>;
  CHECK(same_no_execute_taints(V{}, V{}));
  CHECK(same_no_execute_taints(V{s}, V{p}));
  CHECK(same_no_execute_taints(V{s, a, p, b}, V{a, b}));
  CHECK_FALSE(same_no_execute_taints(V{a}, V{}));
  CHECK_FALSE(same_no_execute_taints(V{s}, V{s, b}));
  CHECK_FALSE(same_no_execute_taints(V{a, b}, V{b, a}));
  CHECK_FALSE(same_no_execute_taints(V{a}, V{taint("a", "2", kNoExecute)}));
  Taint later = a;
  later.time_added = seconds(5);
  CHECK_FALSE(same_no_execute_taints(V{a}, V{later}));
  CHECK(same_no_execute_taints(V{later}, V{s, later}));
}
