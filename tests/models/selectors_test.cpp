// Tests for models/selectors: label requirements and selectors, the selector string
// syntax, metav1.LabelSelector, field selectors and node affinity.
//
// Cases are ported from upstream tests, cited per TEST_CASE:
//   apimachinery/pkg/labels/selector_test.go      (TestSelectorParse, TestSelectorMatches,
//       TestSetSelectorParser, TestRequirementConstructor, TestToString,
//       TestRequirementSelectorMatching, TestRequiresExactMatch, TestDeterministicParse)
//   apimachinery/pkg/fields/selector_test.go      (TestSplitTerm(s), TestEscapeValue,
//       TestSelectorParse, TestSelectorMatches, TestRequiresExactMatch)
//   component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity_test.go
//       (TestNodeSelectorMatch, TestPreferredSchedulingTermsScore,
//        TestPodMatchesNodeSelectorAndAffinityTerms)
//   component-helpers/scheduling/corev1/helpers_test.go (TestMatchNodeSelectorTerms)
// Other expectations are derived by hand from the upstream code paths named beside them.
#include "models/selectors.hpp"

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

namespace {

using kubesim::models::FieldOperator;
using kubesim::models::FieldSelector;
using kubesim::models::FieldSet;
using kubesim::models::kPodSelectableFields;
using kubesim::models::label_selector_as_matcher;
using kubesim::models::LabelMatcher;
using kubesim::models::LabelRequirement;
using kubesim::models::Labels;
using kubesim::models::LabelSelector;
using kubesim::models::LabelSelectorOperator;
using kubesim::models::NodeSelector;
using kubesim::models::NodeSelectorMatcher;
using kubesim::models::NodeSelectorOperator;
using kubesim::models::NodeSelectorRequirement;
using kubesim::models::NodeSelectorTerm;
using kubesim::models::parse_field_selector;
using kubesim::models::parse_label_selector;
using kubesim::models::parse_to_label_selector;
using kubesim::models::pod_matches_node_selector_and_affinity;
using kubesim::models::PreferredSchedulingTerm;
using kubesim::models::PreferredSchedulingTerms;
using kubesim::models::RequiredNodeAffinity;
using kubesim::models::SelectorOperator;
using kubesim::models::validate_node_selector;
using kubesim::models::validate_preferred_scheduling_terms;

LabelMatcher must_parse(const std::string& text) {
  auto r = parse_label_selector(text);
  INFO(text << ": " << r.error());
  REQUIRE(r.ok());
  return r.value();
}

std::string parse_error(const std::string& text) {
  auto r = parse_label_selector(text);
  INFO(text);
  REQUIRE_FALSE(r.ok());
  return r.error();
}

LabelRequirement req(std::string key, SelectorOperator op, std::vector<std::string> values) {
  auto r = LabelRequirement::create(key, op, values);
  INFO(key << ": " << r.error());
  REQUIRE(r.ok());
  return r.value();
}

// The parsed selector as (key, op, values) triples, to compare with upstream's tables.
struct Req {
  std::string key;
  SelectorOperator op;
  std::vector<std::string> values;
  bool operator==(const Req&) const = default;
};
std::vector<Req> triples(const LabelMatcher& m) {
  std::vector<Req> out;
  for (const auto& r : m.requirements()) out.push_back({r.key(), r.op(), r.values()});
  return out;
}

NodeSelectorRequirement expr(std::string key, NodeSelectorOperator op,
                             std::vector<std::string> values = {}) {
  return {std::move(key), op, std::move(values)};
}

NodeSelector one_term(std::vector<NodeSelectorRequirement> expressions,
                      std::vector<NodeSelectorRequirement> fields = {}) {
  return NodeSelector{{NodeSelectorTerm{std::move(expressions), std::move(fields)}}};
}

}  // namespace

// ---------------------------------------------------------------------------------------
// The label selector string syntax

TEST_CASE("parse_label_selector round-trips upstream's good strings", "[selectors]") {
  // upstream TestSelectorParse: String() equals the input with spaces removed.
  for (const std::string s :
       {"x=a,y=b,z=c", "", "x!=a,y=b", "x=", "x= ", "x=,z= ", "x= ,z= ", "!x", "x>1", "x>1,z<5"}) {
    std::string expected;
    for (char c : s) {
      if (c != ' ') expected += c;
    }
    CHECK(must_parse(s).to_string() == expected);
  }
}

TEST_CASE("parse_label_selector rejects upstream's bad strings", "[selectors]") {
  // upstream TestSelectorParse testBadStrings and TestSetSelectorParser invalid rows.
  for (const std::string s :
       {"x=a||y=b", "x==a==b", "!x=a", "x<a", "x,,y", ",x,y", "x nott in (y)", "a in (xyz),",
        "a in (xyz)b notin ()", "a in (xyz abc)", "a notin(", "a (", "("}) {
    INFO(s);
    CHECK_FALSE(parse_label_selector(s).ok());
  }
}

TEST_CASE("parse_label_selector builds upstream's requirements", "[selectors]") {
  // upstream TestSetSelectorParser valid rows (expected output compared there too).
  using Op = SelectorOperator;
  struct Case {
    std::string in;
    std::vector<Req> out;
  };
  const std::vector<Case> cases = {
      {"", {}},
      {"\rx", {{"x", Op::kExists, {}}}},
      {"this-is-a-dns.domain.com/key-with-dash",
       {{"this-is-a-dns.domain.com/key-with-dash", Op::kExists, {}}}},
      {"this-is-another-dns.domain.com/key-with-dash in (so,what)",
       {{"this-is-another-dns.domain.com/key-with-dash", Op::kIn, {"so", "what"}}}},
      {"0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
       {{"0.1.2.domain/99", Op::kNotIn, {"10.10.100.1", "tick.tack.clock"}}}},
      {"foo  in\t (abc)", {{"foo", Op::kIn, {"abc"}}}},
      {"x notin\n (abc)", {{"x", Op::kNotIn, {"abc"}}}},
      {"x  notin\t\t\t(abc,def)", {{"x", Op::kNotIn, {"abc", "def"}}}},
      {"x in (abc,def)", {{"x", Op::kIn, {"abc", "def"}}}},
      {"x in (abc,)", {{"x", Op::kIn, {"", "abc"}}}},
      {"x in ()", {{"x", Op::kIn, {""}}}},
      {"x notin (abc,,def),bar,z in (),w",
       {{"bar", Op::kExists, {}},
        {"w", Op::kExists, {}},
        {"x", Op::kNotIn, {"", "abc", "def"}},
        {"z", Op::kIn, {""}}}},
      {"x,y in (a)", {{"x", Op::kExists, {}}, {"y", Op::kIn, {"a"}}}},
      {"x=a", {{"x", Op::kEquals, {"a"}}}},
      {"x>1", {{"x", Op::kGreaterThan, {"1"}}}},
      {"x<7", {{"x", Op::kLessThan, {"7"}}}},
      {"x=a,y!=b", {{"x", Op::kEquals, {"a"}}, {"y", Op::kNotEquals, {"b"}}}},
      {"x=a,y!=b,z in (h,i,j)",
       {{"x", Op::kEquals, {"a"}}, {"y", Op::kNotEquals, {"b"}}, {"z", Op::kIn, {"h", "i", "j"}}}},
      {"x notin ( )", {{"x", Op::kNotIn, {""}}}},
      {"x notin (, a)", {{"x", Op::kNotIn, {"", "a"}}}},
      {"a ", {{"a", Op::kExists, {}}}},
      {"a in (x,y,notin, z,in)", {{"a", Op::kIn, {"in", "notin", "x", "y", "z"}}}},
      {"x==a", {{"x", Op::kDoubleEquals, {"a"}}}},
  };
  for (const auto& c : cases) {
    INFO(c.in);
    CHECK(triples(must_parse(c.in)) == c.out);
  }
}

TEST_CASE("parse_label_selector errors give the offset and what was expected", "[selectors]") {
  CHECK(parse_error("x,,y") ==
        "invalid label selector \"x,,y\": at offset 2: found ',', expected: identifier after "
        "','");
  CHECK(parse_error("a in (xyz),") ==
        "invalid label selector \"a in (xyz),\": at offset 11: found end of string, expected: "
        "identifier after ','");
  CHECK(parse_error("x nott in (y)") ==
        "invalid label selector \"x nott in (y)\": at offset 2: found 'nott', expected: in, "
        "notin, =, ==, !=, gt, lt");
  CHECK(parse_error("!x=a") ==
        "invalid label selector \"!x=a\": at offset 2: found '=', expected: ',' or end of string");
  CHECK(parse_error("a in (xyz abc)") ==
        "invalid label selector \"a in (xyz abc)\": at offset 10: found 'abc', expected: ',' "
        "or ')'");
  // Requirement-level problems point at the requirement's key.
  CHECK(parse_error("env=prod,x<a")
            .find("at offset 9: key \"x\": for 'Gt', 'Lt' operators, the "
                  "value must be an integer") != std::string::npos);
  CHECK(parse_error("x=a||y=b").find("label value \"a||y\"") != std::string::npos);
  CHECK(parse_error("bad key=1").find("at offset 4: found 'key'") != std::string::npos);
  CHECK(parse_error("-x").find("at offset 0: label key \"-x\"") != std::string::npos);
}

TEST_CASE("parse_label_selector rejects NUL bytes instead of truncating", "[selectors]") {
  // Deliberate difference: upstream's lexer treats byte 0 as end of input.
  const std::string with_nul("x\0y", 3);
  CHECK(parse_error(with_nul).find("at offset 1: unexpected NUL byte") != std::string::npos);
}

TEST_CASE("parsed selectors match as upstream's TestSelectorMatches", "[selectors]") {
  auto match = [](const std::string& sel, const Labels& l) { return must_parse(sel).matches(l); };
  CHECK(match("", Labels{{"x", "y"}}));
  CHECK(match("x=y", Labels{{"x", "y"}}));
  CHECK(match("x=y,z=w", Labels{{"x", "y"}, {"z", "w"}}));
  CHECK(match("x!=y,z!=w", Labels{{"x", "z"}, {"z", "a"}}));
  CHECK(match("notin=in", Labels{{"notin", "in"}}));  // in and notin in exactMatch
  CHECK(match("x", Labels{{"x", "z"}}));
  CHECK(match("!x", Labels{{"y", "z"}}));
  CHECK(match("x>1", Labels{{"x", "2"}}));
  CHECK(match("x<1", Labels{{"x", "0"}}));
  CHECK_FALSE(match("x=z", Labels{}));
  CHECK_FALSE(match("x=y", Labels{{"x", "z"}}));
  CHECK_FALSE(match("x=y,z=w", Labels{{"x", "w"}, {"z", "w"}}));
  CHECK_FALSE(match("x!=y,z!=w", Labels{{"x", "z"}, {"z", "w"}}));
  CHECK_FALSE(match("x", Labels{{"y", "z"}}));
  CHECK_FALSE(match("!x", Labels{{"x", "z"}}));
  CHECK_FALSE(match("x>1", Labels{{"x", "0"}}));
  CHECK_FALSE(match("x<1", Labels{{"x", "2"}}));

  const Labels set{{"foo", "bar"}, {"baz", "blah"}};
  CHECK(match("foo=bar", set));
  CHECK(match("baz=blah", set));
  CHECK(match("foo=bar,baz=blah", set));
  CHECK_FALSE(match("foo=blah", set));
  CHECK_FALSE(match("baz=bar", set));
  CHECK_FALSE(match("foo=bar,foobar=bar,baz=blah", set));
}

TEST_CASE("the brief's example selector", "[selectors]") {
  auto m = must_parse("env=prod,tier!=cache,app in (a,b),!legacy,release");
  CHECK(m.to_string() == "app in (a,b),env=prod,!legacy,release,tier!=cache");
  CHECK(m.matches(Labels{{"env", "prod"}, {"app", "b"}, {"release", "1"}}));
  CHECK(m.matches(Labels{{"env", "prod"}, {"app", "a"}, {"release", ""}, {"tier", "web"}}));
  CHECK_FALSE(
      m.matches(Labels{{"env", "prod"}, {"app", "a"}, {"release", "1"}, {"tier", "cache"}}));
  CHECK_FALSE(m.matches(Labels{{"env", "prod"}, {"app", "a"}, {"release", "1"}, {"legacy", ""}}));
  CHECK_FALSE(m.matches(Labels{{"env", "prod"}, {"app", "c"}, {"release", "1"}}));
  CHECK_FALSE(m.matches(Labels{{"env", "prod"}, {"app", "a"}}));
}

TEST_CASE("parsing is deterministic and sorted by key", "[selectors]") {
  // upstream TestDeterministicParse
  CHECK(must_parse("x=a,a=x").to_string() == must_parse("a=x,x=a").to_string());
  CHECK(must_parse("x=a,a=x").to_string() == "a=x,x=a");
  // Requirements on one key keep their textual order (upstream's sort is not stable).
  CHECK(must_parse("z!=a,z").to_string() == "z!=a,z");
  CHECK(must_parse("z,z!=a").to_string() == "z,z!=a");
}

// ---------------------------------------------------------------------------------------
// LabelRequirement and LabelMatcher

TEST_CASE("LabelRequirement::create validates as NewRequirement", "[selectors]") {
  // upstream TestRequirementConstructor
  using Op = SelectorOperator;
  struct Case {
    std::string key;
    Op op;
    std::vector<std::string> values;
    bool ok;
  };
  const std::vector<Case> cases = {
      {"x", Op::kIn, {}, false},
      {"x", Op::kNotIn, {}, false},
      {"x", Op::kIn, {"foo"}, true},
      {"x", Op::kNotIn, {"foo"}, true},
      {"x", Op::kExists, {}, true},
      {"x", Op::kDoesNotExist, {}, true},
      {"1foo", Op::kIn, {"bar"}, true},
      {"1234", Op::kIn, {"bar"}, true},
      {"y", Op::kGreaterThan, {"1"}, true},
      {"z", Op::kLessThan, {"6"}, true},
      {"foo", Op::kGreaterThan, {"bar"}, false},
      {"barz", Op::kLessThan, {"blah"}, false},
      {std::string(254, 'a'), Op::kExists, {}, false},  // breaks len(key) <= 253 / 63
      // by hand from NewRequirement:
      {"x", Op::kEquals, {"a", "b"}, false},
      {"x", Op::kExists, {"a"}, false},
      {"x", Op::kGreaterThan, {"1", "2"}, false},
      {"x", Op::kGreaterThan, {"-1"}, false},  // an integer, but not a valid label value
      {"x", Op::kIn, {"", "a"}, true},
  };
  for (const auto& c : cases) {
    INFO(c.key << " " << kubesim::models::to_string(c.op));
    CHECK(LabelRequirement::create(c.key, c.op, c.values).ok() == c.ok);
  }
  CHECK(LabelRequirement::create("x", Op::kIn, {}).error() ==
        "key \"x\": for 'in', 'notin' operators, values set can't be empty");
}

TEST_CASE("LabelRequirement::to_string as upstream's TestToString", "[selectors]") {
  using Op = SelectorOperator;
  auto str = [](std::vector<LabelRequirement> reqs) {
    LabelMatcher m;
    for (auto& r : reqs) m.add(std::move(r));
    return m.to_string();
  };
  CHECK(str({req("x", Op::kIn, {"abc", "def"}), req("y", Op::kNotIn, {"jkl"}),
             req("z", Op::kExists, {})}) == "x in (abc,def),y notin (jkl),z");
  CHECK(str({req("x", Op::kNotIn, {"abc", "def"}), req("y", Op::kNotEquals, {"jkl"}),
             req("z", Op::kDoesNotExist, {})}) == "x notin (abc,def),y!=jkl,!z");
  CHECK(str({req("x", Op::kNotIn, {"abc"}), req("y", Op::kIn, {"jkl", "mno"}),
             req("z", Op::kNotIn, {""})}) == "x notin (abc),y in (jkl,mno),z notin ()");
  CHECK(str({req("x", Op::kEquals, {"abc"}), req("y", Op::kDoubleEquals, {"jkl"}),
             req("z", Op::kNotEquals, {"a"}), req("z", Op::kExists, {})}) == "x=abc,y==jkl,z!=a,z");
  CHECK(str({req("x", Op::kGreaterThan, {"2"}), req("y", Op::kLessThan, {"8"}),
             req("z", Op::kExists, {})}) == "x>2,y<8,z");
  // Values print sorted without reordering the requirement itself.
  auto r = req("k", Op::kIn, {"b", "a"});
  CHECK(r.to_string() == "k in (a,b)");
  CHECK(r.values() == std::vector<std::string>{"b", "a"});
}

TEST_CASE("requirement matching as upstream's TestRequirementSelectorMatching", "[selectors]") {
  using Op = SelectorOperator;
  auto all = [](std::vector<LabelRequirement> reqs, const Labels& l) {
    LabelMatcher m;
    for (auto& r : reqs) m.add(std::move(r));
    return m.matches(l);
  };
  CHECK(all({req("x", Op::kIn, {"foo"}), req("y", Op::kNotIn, {"alpha"})},
            Labels{{"x", "foo"}, {"y", "baz"}}));
  CHECK_FALSE(all({req("x", Op::kIn, {"foo"}), req("y", Op::kIn, {"alpha"})},
                  Labels{{"x", "foo"}, {"y", "baz"}}));
  CHECK(all({req("x", Op::kNotIn, {""}), req("y", Op::kExists, {})}, Labels{{"y", ""}}));
  CHECK(all({req("x", Op::kDoesNotExist, {}), req("y", Op::kExists, {})}, Labels{{"y", ""}}));
  CHECK_FALSE(
      all({req("x", Op::kNotIn, {""}), req("y", Op::kDoesNotExist, {})}, Labels{{"y", ""}}));
  CHECK_FALSE(all({req("x", Op::kIn, {""})}, Labels{{"y", "baz"}}));
  CHECK(all({req("z", Op::kGreaterThan, {"1"})}, Labels{{"z", "2"}}));
  CHECK_FALSE(all({req("z", Op::kGreaterThan, {"1"})}, Labels{{"z", "v2"}}));
  // Gt/Lt on an absent key never match; Gt compares integers, not strings.
  CHECK_FALSE(all({req("z", Op::kLessThan, {"5"})}, Labels{}));
  CHECK(all({req("z", Op::kGreaterThan, {"9"})}, Labels{{"z", "10"}}));
}

TEST_CASE("everything, nothing and empty", "[selectors]") {
  // upstream TestEverything, TestSetIsEmpty, labels.Nothing()
  CHECK(LabelMatcher::everything().matches(Labels{{"x", "y"}}));
  CHECK(LabelMatcher::everything().matches(Labels{}));
  CHECK(LabelMatcher::everything().empty());
  CHECK_FALSE(LabelMatcher::nothing().matches(Labels{}));
  CHECK_FALSE(LabelMatcher::nothing().empty());
  CHECK(LabelMatcher::nothing().matches_nothing());
  CHECK(LabelMatcher::from_set(Labels{}).empty());
  LabelMatcher n = LabelMatcher::nothing();
  n.add(req("x", SelectorOperator::kExists, {}));
  CHECK(n.matches_nothing());
  CHECK(n.requirements().empty());
}

TEST_CASE("from_set and from_set_validated", "[selectors]") {
  auto m = LabelMatcher::from_set(Labels{{"b", "2"}, {"a", "1"}});
  CHECK(m.to_string() == "a=1,b=2");
  CHECK(m.matches(Labels{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  CHECK_FALSE(m.matches(Labels{{"a", "1"}}));
  // upstream TestValidatedSelectorFromSet: a 64-character value is rejected.
  auto bad = LabelMatcher::from_set_validated(
      Labels{{"Key", "axahm2EJ8Phiephe2eixohbee9eGeiyees1thuozi1xoh0GiuH3diewi8iem7Nui"}});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().find("must be no more than 63 characters") != std::string::npos);
  CHECK(LabelMatcher::from_set_validated(Labels{{"key", "val"}}).ok());
}

TEST_CASE("requires_exact_match as upstream's TestRequiresExactMatch", "[selectors]") {
  using Op = SelectorOperator;
  auto one = [](LabelRequirement r) {
    LabelMatcher m;
    m.add(std::move(r));
    return m;
  };
  CHECK(one(req("key", Op::kIn, {"value"})).requires_exact_match("key") == "value");
  CHECK_FALSE(one(req("key", Op::kIn, {"value", "value2"})).requires_exact_match("key"));
  CHECK(one(req("key", Op::kEquals, {"value"})).requires_exact_match("key") == "value");
  CHECK(one(req("key", Op::kDoubleEquals, {"value"})).requires_exact_match("key") == "value");
  CHECK_FALSE(one(req("key", Op::kNotEquals, {"value"})).requires_exact_match("key"));
  auto two = one(req("key", Op::kIn, {"value", "value1"}));
  two.add(req("key2", Op::kIn, {"value2"}));
  CHECK(two.requires_exact_match("key2") == "value2");
  CHECK_FALSE(two.requires_exact_match("key"));
}

// ---------------------------------------------------------------------------------------
// metav1.LabelSelector

TEST_CASE("a nil LabelSelector matches nothing, an empty one everything", "[selectors]") {
  // upstream LabelSelectorAsSelector
  auto nil = label_selector_as_matcher(std::optional<LabelSelector>{});
  REQUIRE(nil.ok());
  CHECK(nil->matches_nothing());
  CHECK_FALSE(nil->matches(Labels{}));
  CHECK_FALSE(label_selector_as_matcher(static_cast<const LabelSelector*>(nullptr))
                  ->matches(Labels{{"a", "b"}}));

  auto empty = label_selector_as_matcher(std::optional<LabelSelector>{LabelSelector{}});
  REQUIRE(empty.ok());
  CHECK(empty->empty());
  CHECK(empty->matches(Labels{}));
  CHECK(empty->matches(Labels{{"a", "b"}}));
}

TEST_CASE("LabelSelector matchLabels AND matchExpressions", "[selectors]") {
  LabelSelector s;
  s.match_labels.set("app", "web");
  s.match_expressions = {
      {"tier", LabelSelectorOperator::kIn, {"front", "edge"}},
      {"canary", LabelSelectorOperator::kDoesNotExist, {}},
      {"zone", LabelSelectorOperator::kNotIn, {"z9"}},
      {"team", LabelSelectorOperator::kExists, {}},
  };
  auto m = label_selector_as_matcher(&s);
  REQUIRE(m.ok());
  CHECK(m->to_string() == "app=web,!canary,team,tier in (edge,front),zone notin (z9)");
  CHECK(m->matches(Labels{{"app", "web"}, {"tier", "edge"}, {"team", "ml"}}));
  CHECK(m->matches(Labels{{"app", "web"}, {"tier", "edge"}, {"team", "ml"}, {"zone", "z1"}}));
  CHECK_FALSE(m->matches(Labels{{"app", "api"}, {"tier", "edge"}, {"team", "ml"}}));
  CHECK_FALSE(m->matches(Labels{{"app", "web"}, {"tier", "back"}, {"team", "ml"}}));
  CHECK_FALSE(m->matches(Labels{{"app", "web"}, {"tier", "edge"}, {"team", "ml"}, {"canary", ""}}));
  CHECK_FALSE(m->matches(Labels{{"app", "web"}, {"tier", "edge"}, {"team", "ml"}, {"zone", "z9"}}));
  CHECK_FALSE(m->matches(Labels{{"app", "web"}, {"tier", "edge"}}));
}

TEST_CASE("LabelSelector errors name the entry", "[selectors]") {
  LabelSelector s;
  s.match_expressions = {{"ok", LabelSelectorOperator::kExists, {}},
                         {"tier", LabelSelectorOperator::kIn, {}}};
  auto m = label_selector_as_matcher(&s);
  REQUIRE_FALSE(m.ok());
  CHECK(m.error() ==
        "matchExpressions[1]: key \"tier\": for 'in', 'notin' operators, values set can't be "
        "empty");
  LabelSelector t;
  t.match_labels.set("app", "bad value");
  CHECK(label_selector_as_matcher(&t).error().rfind("matchLabels: key \"app\": label value", 0) ==
        0);
  LabelSelector u;
  u.match_expressions = {{"x", LabelSelectorOperator::kExists, {"a"}}};
  CHECK_FALSE(label_selector_as_matcher(&u).ok());
}

TEST_CASE("operator names parse and print", "[selectors]") {
  CHECK(kubesim::models::parse_label_selector_operator("DoesNotExist").value() ==
        LabelSelectorOperator::kDoesNotExist);
  CHECK_FALSE(kubesim::models::parse_label_selector_operator("in").ok());  // case matters
  CHECK(kubesim::models::parse_node_selector_operator("Gt").value() == NodeSelectorOperator::kGt);
  CHECK(kubesim::models::parse_node_selector_operator("Lte").error().find(
            "expected In, NotIn, Exists, DoesNotExist, Gt or Lt") != std::string::npos);
  CHECK(kubesim::models::to_string(NodeSelectorOperator::kNotIn) == "NotIn");
}

TEST_CASE("parse_to_label_selector as upstream's ParseToLabelSelector", "[selectors]") {
  auto s = parse_to_label_selector("app=web,tier in (b,a),!canary,team,env==prod");
  REQUIRE(s.ok());
  CHECK(s->match_labels == Labels{{"app", "web"}, {"env", "prod"}});
  REQUIRE(s->match_expressions.size() == 3);
  CHECK(s->match_expressions[0].key == "canary");
  CHECK(s->match_expressions[0].op == LabelSelectorOperator::kDoesNotExist);
  CHECK(s->match_expressions[1].key == "team");
  CHECK(s->match_expressions[1].op == LabelSelectorOperator::kExists);
  CHECK(s->match_expressions[2].values == std::vector<std::string>{"a", "b"});
  CHECK(parse_to_label_selector("x>1").error().find("\"gt\" isn't supported in label selectors") !=
        std::string::npos);
  CHECK(parse_to_label_selector("x!=1").error().find(
            "\"!=\" is not a valid label selector operator") != std::string::npos);
  CHECK_FALSE(parse_to_label_selector("x,,y").ok());
  // The round trip selects the same label sets.
  auto m = label_selector_as_matcher(&s.value());
  REQUIRE(m.ok());
  CHECK(m->matches(Labels{{"app", "web"}, {"env", "prod"}, {"tier", "a"}, {"team", "t"}}));
  CHECK_FALSE(m->matches(Labels{{"app", "web"}, {"env", "prod"}, {"tier", "c"}, {"team", "t"}}));
}

// ---------------------------------------------------------------------------------------
// Field selectors

TEST_CASE("parse_field_selector round-trips upstream's good strings", "[selectors]") {
  // upstream fields TestSelectorParse testGoodStrings
  for (const std::string s : {"x=a,y=b,z=c", "", "x!=a,y=b", R"(x=a||y\=b)", R"(x=a\=\=b)"}) {
    auto r = parse_field_selector(s);
    INFO(s << ": " << r.error());
    REQUIRE(r.ok());
    CHECK(r->to_string() == s);
  }
}

TEST_CASE("parse_field_selector rejects upstream's bad strings", "[selectors]") {
  // upstream fields TestSelectorParse testBadStrings
  for (const std::string s : {"x=a||y=b", "x==a==b", "x=a,b", "x in (a)", "x in (a,b,c)", "x"}) {
    INFO(s);
    CHECK_FALSE(parse_field_selector(s).ok());
  }
  CHECK(parse_field_selector("x=a,b").error() ==
        "invalid field selector \"x=a,b\": can't understand \"b\" at offset 4 (expected "
        "<field>=<value>, <field>==<value> or <field>!=<value>)");
  CHECK(parse_field_selector("x==a==b").error() ==
        "invalid field selector \"x==a==b\": unescaped '=' in value at offset 4 (write \\=)");
  CHECK(parse_field_selector(R"(k=\a)").error().find(
            R"(invalid escape sequence: \a at offset 2)") != std::string::npos);
  CHECK(parse_field_selector(R"(k=v\)").error().find("trailing backslash") != std::string::npos);
}

TEST_CASE("field selector terms split as upstream's TestSplitTerm(s)", "[selectors]") {
  auto one = [](const std::string& s) {
    auto r = parse_field_selector(s);
    INFO(s << ": " << r.error());
    REQUIRE(r.ok());
    REQUIRE(r->requirements().size() == 1);
    return r->requirements()[0];
  };
  CHECK(one("a=value").field == "a");
  CHECK(one("b==value").value == "value");  // == is =, not = with value "=value"
  CHECK(one("b==value").op == FieldOperator::kEquals);
  CHECK(one("c!=value").op == FieldOperator::kNotEquals);
  CHECK(one(R"(k=\,)").value == ",");
  CHECK(one(R"(k=\=)").value == "=");
  CHECK(one(R"(k=\\)").value == "\\");
  CHECK(one("함=수").field == "함");  // multi-byte
  CHECK(one("함=수").value == "수");
  // Escaped commas do not split terms; empty terms are skipped; terms are ordered by
  // their raw text ("k2=v2" sorts before "k=\," because '2' < '=').
  auto r = parse_field_selector(R"(k=\,,k2=v2,,)");
  REQUIRE(r.ok());
  REQUIRE(r->requirements().size() == 2);
  CHECK(r->requirements()[0].field == "k2");
  CHECK(r->requirements()[1].field == "k");
  CHECK(r->requirements()[1].value == ",");
}

TEST_CASE("field values escape and unescape as upstream's TestEscapeValue", "[selectors]") {
  using kubesim::models::escape_field_value;
  using kubesim::models::unescape_field_value;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""},       {"a", "a"},      {"=", R"(\=)"},
      {",", R"(\,)"}, {"\\", R"(\\)"}, {R"(\=\,\)", R"(\\\=\\\,\\)"}};
  for (const auto& [raw, escaped] : cases) {
    CHECK(escape_field_value(raw) == escaped);
    auto back = unescape_field_value(escaped);
    REQUIRE(back.ok());
    CHECK(back.value() == raw);
  }
  for (const std::string bad : {R"(\)", R"(\\\)", R"(\a)"}) {
    INFO(bad);
    CHECK(unescape_field_value(bad).error().find("invalid escape sequence") != std::string::npos);
  }
}

TEST_CASE("field selectors match as upstream's TestSelectorMatches", "[selectors]") {
  auto match = [](const std::string& sel, const FieldSet& f) {
    auto r = parse_field_selector(sel);
    INFO(sel << ": " << r.error());
    REQUIRE(r.ok());
    return r->matches(f);
  };
  CHECK(match("", FieldSet{{"x", "y"}}));
  CHECK(match("x=y", FieldSet{{"x", "y"}}));
  CHECK(match("x=y,z=w", FieldSet{{"x", "y"}, {"z", "w"}}));
  CHECK(match("x!=y,z!=w", FieldSet{{"x", "z"}, {"z", "a"}}));
  CHECK(match("notin=in", FieldSet{{"notin", "in"}}));
  CHECK_FALSE(match("x=y", FieldSet{{"x", "z"}}));
  CHECK_FALSE(match("x=y,z=w", FieldSet{{"x", "w"}, {"z", "w"}}));
  CHECK_FALSE(match("x!=y,z!=w", FieldSet{{"x", "z"}, {"z", "w"}}));
  const FieldSet fields{{"foo", "bar"}, {"baz", "blah"}, {"complex", R"(=value\,\)"}};
  CHECK(match("foo=bar", fields));
  CHECK(match("baz=blah", fields));
  CHECK(match("foo=bar,baz=blah", fields));
  CHECK(match(R"(foo=bar,baz=blah,complex=\=value\\\,\\)", fields));
  CHECK_FALSE(match("foo=blah", fields));
  CHECK_FALSE(match("baz=bar", fields));
  CHECK_FALSE(match("foo=bar,foobar=bar,baz=blah", fields));
  // An absent field reads as "": "x=" matches it, "x!=" does not.
  CHECK(match("x=", FieldSet{}));
  CHECK_FALSE(match("x!=", FieldSet{}));
}

TEST_CASE("field selectors over a pod's fields with a lookup", "[selectors]") {
  struct PodView {
    std::string name, ns, node, phase;
  } pod{"web-0", "prod", "gpu-7", "Running"};
  auto value_of = [&pod](std::string_view field) -> std::string_view {
    if (field == "metadata.name") return pod.name;
    if (field == "metadata.namespace") return pod.ns;
    if (field == "spec.nodeName") return pod.node;
    if (field == "status.phase") return pod.phase;
    return {};
  };
  auto sel = parse_field_selector("metadata.name=web-0,spec.nodeName!=gpu-1,status.phase=Running");
  REQUIRE(sel.ok());
  CHECK(sel->matches(value_of));
  pod.node = "gpu-1";
  CHECK_FALSE(sel->matches(value_of));
  // The watch cache's "pods on this node" and "unscheduled pods" selectors.
  auto unscheduled = parse_field_selector("spec.nodeName=");
  REQUIRE(unscheduled.ok());
  pod.node.clear();
  CHECK(unscheduled->matches(value_of));
  CHECK(FieldSelector::one_term_equal("spec.nodeName", "gpu-7")
            .requires_exact_match("spec.nodeName") == "gpu-7");
  CHECK(sel->check_supported(kPodSelectableFields).ok());
  auto unknown = parse_field_selector("spec.nodeNme=x");
  REQUIRE(unknown.ok());
  CHECK(unknown->check_supported(kPodSelectableFields).message() ==
        "field label not supported: spec.nodeNme");
}

TEST_CASE("field selector order and exact match as upstream", "[selectors]") {
  // upstream TestDeterministicParse (fields) and TestRequiresExactMatch
  auto a = parse_field_selector("x=a,a=x");
  auto b = parse_field_selector("a=x,x=a");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->to_string() == "a=x,x=a");
  CHECK(*a == *b);
  CHECK_FALSE(FieldSelector().requires_exact_match("test"));
  CHECK(FieldSelector::one_term_equal("test", "").requires_exact_match("test") == "");
  CHECK_FALSE(FieldSelector::one_term_not_equal("test", "b").requires_exact_match("test"));
  CHECK(FieldSelector().empty());
  CHECK_FALSE(FieldSelector::one_term_equal("a", "b").empty());
}

// ---------------------------------------------------------------------------------------
// Node affinity

TEST_CASE("NodeSelector matching as upstream's TestNodeSelectorMatch", "[selectors]") {
  using Op = NodeSelectorOperator;
  SECTION("invalid field selector and label selector: compile_strict fails") {
    NodeSelector ns{{
        NodeSelectorTerm{{}, {expr("metadata.name", Op::kIn, {"host_1", "host_2"})}},
        NodeSelectorTerm{{expr("label_1", Op::kIn, {"label_1_val"})},
                         {expr("metadata.name", Op::kIn, {"host_1"})}},
        NodeSelectorTerm{{expr("invalid key", Op::kIn, {"label_value"})}, {}},
    }};
    auto strict = NodeSelectorMatcher::compile_strict(ns);
    REQUIRE_FALSE(strict.ok());
    CHECK(strict.error() == "nodeSelectorTerms[0].matchFields[0].values: must have one element");
    // The lazy form keeps the valid middle term.
    auto lazy = NodeSelectorMatcher::compile(ns);
    CHECK_FALSE(lazy.parse_error().ok());
    CHECK(lazy.matches(Labels{{"label_1", "label_1_val"}}, "host_1"));
    CHECK_FALSE(lazy.matches(Labels{}, "host_1"));
  }
  SECTION("node matches field selector, but not labels") {
    auto m = NodeSelectorMatcher::compile_strict(one_term(
        {expr("label_1", Op::kIn, {"label_1_val"})}, {expr("metadata.name", Op::kIn, {"host_1"})}));
    REQUIRE(m.ok());
    CHECK_FALSE(m->matches(Labels{}, "host_1"));
    CHECK(m->matches(Labels{{"label_1", "label_1_val"}}, "host_1"));  // both match
  }
  SECTION("second term matches") {
    NodeSelector ns{{NodeSelectorTerm{{expr("label_1", Op::kIn, {"label_1_val"})}, {}},
                     NodeSelectorTerm{{}, {expr("metadata.name", Op::kIn, {"host_1"})}}}};
    auto m = NodeSelectorMatcher::compile_strict(ns);
    REQUIRE(m.ok());
    CHECK(m->matches(Labels{}, "host_1"));
  }
}

TEST_CASE("the invalid key message is upstream's", "[selectors]") {
  auto m = NodeSelectorMatcher::compile_strict(
      one_term({expr("invalid key", NodeSelectorOperator::kIn, {"label_value"})}));
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().rfind("nodeSelectorTerms[0].matchExpressions[0]: label key \"invalid key\": name "
                        "part must consist of alphanumeric characters",
                        0) == 0);
}

TEST_CASE("MatchNodeSelectorTerms cases from upstream helpers_test.go", "[selectors]") {
  using Op = NodeSelectorOperator;
  auto matches = [](const NodeSelector& ns, const Labels& l, const std::string& name) {
    return NodeSelectorMatcher::compile(ns).matches(l, name);
  };
  const auto fields_host1 = one_term({}, {expr("metadata.name", Op::kIn, {"host_1"})});
  const auto both = one_term({expr("label_1", Op::kIn, {"label_1_val"})},
                             {expr("metadata.name", Op::kIn, {"host_1"})});
  CHECK(matches(one_term({expr("label_1", Op::kIn, {"label_1_val"})}),
                Labels{{"label_1", "label_1_val"}}, ""));
  CHECK(matches(fields_host1, Labels{}, "host_1"));
  CHECK_FALSE(matches(one_term({}, {expr("metadata.name", Op::kIn, {"host_1", "host_2"})}),
                      Labels{}, "host_1"));  // invalid field requirement
  CHECK_FALSE(matches(fields_host1, Labels{{"metadata.name", "host_1"}}, "not_host_1"));
  CHECK_FALSE(matches(one_term({expr("metadata.name", Op::kIn, {"host_1"})}), Labels{}, "host_1"));
  CHECK_FALSE(matches(both, Labels{}, "host_1"));
  CHECK(matches(both, Labels{{"label_1", "label_1_val"}}, "host_1"));
  CHECK_FALSE(matches(both, Labels{{"label_1", "label_1_val-failed"}}, "host_1"));
  NodeSelector multi{{NodeSelectorTerm{{expr("label_1", Op::kIn, {"label_1_val"})}, {}},
                      NodeSelectorTerm{{}, {expr("metadata.name", Op::kIn, {"host_1"})}}}};
  CHECK(matches(multi, Labels{{"label_1", "label_1_val-failed"}}, "host_1"));
}

TEST_CASE("empty terms and empty term lists match no node", "[selectors]") {
  // upstream NewLazyErrorNodeSelector skips empty terms; no terms never match.
  CHECK_FALSE(NodeSelectorMatcher::compile(NodeSelector{}).matches(Labels{{"a", "b"}}, "n"));
  CHECK_FALSE(
      NodeSelectorMatcher::compile(NodeSelector{{NodeSelectorTerm{}}}).matches(Labels{}, "n"));
  CHECK(NodeSelectorMatcher::compile_strict(NodeSelector{{NodeSelectorTerm{}}}).ok());
}

TEST_CASE("matchFields are ignored for a node without a name", "[selectors]") {
  // upstream nodeSelectorTerm.match: `len(nodeFields) > 0`, and extractNodeFields adds
  // metadata.name only when the name is non-empty.
  auto m = NodeSelectorMatcher::compile(
      one_term({}, {expr("metadata.name", NodeSelectorOperator::kIn, {"host_1"})}));
  CHECK(m.matches(Labels{}, ""));
  CHECK_FALSE(m.matches(Labels{}, "host_2"));
  // A matchFields key other than metadata.name reads "": In never matches, NotIn always.
  auto other_in = NodeSelectorMatcher::compile(
      one_term({}, {expr("spec.unschedulable", NodeSelectorOperator::kIn, {"true"})}));
  CHECK_FALSE(other_in.matches(Labels{}, "host_1"));
  auto other_notin = NodeSelectorMatcher::compile(
      one_term({}, {expr("spec.unschedulable", NodeSelectorOperator::kNotIn, {"true"})}));
  CHECK(other_notin.matches(Labels{}, "host_1"));
  auto exists = NodeSelectorMatcher::compile_strict(
      one_term({}, {expr("metadata.name", NodeSelectorOperator::kExists)}));
  CHECK(exists.error() ==
        "nodeSelectorTerms[0].matchFields[0].operator: Unsupported value: \"Exists\": supported "
        "values: \"In\", \"NotIn\"");
}

TEST_CASE("Gt and Lt on node labels", "[selectors]") {
  using Op = NodeSelectorOperator;
  auto gt = NodeSelectorMatcher::compile(one_term({expr("kernel-version", Op::kGt, {"0204"})}));
  CHECK(gt.parse_error().ok());
  CHECK(gt.matches(Labels{{"kernel-version", "0206"}}, "n"));  // nodeaffinity_test.go
  CHECK_FALSE(gt.matches(Labels{{"kernel-version", "0204"}}, "n"));
  CHECK_FALSE(gt.matches(Labels{{"kernel-version", "v6"}}, "n"));  // non-integer: no match
  CHECK_FALSE(gt.matches(Labels{}, "n"));
  auto lt = NodeSelectorMatcher::compile(one_term({expr("gpu-count", Op::kLt, {"8"})}));
  CHECK(lt.matches(Labels{{"gpu-count", "4"}}, "n"));
  CHECK_FALSE(lt.matches(Labels{{"gpu-count", "16"}}, "n"));
  // A non-integer requirement value does not compile; the term then never matches.
  auto bad = NodeSelectorMatcher::compile(one_term({expr("gpu-count", Op::kLt, {"eight"})}));
  CHECK_FALSE(bad.parse_error().ok());
  CHECK_FALSE(bad.matches(Labels{{"gpu-count", "4"}}, "n"));
}

TEST_CASE("preferred terms score as upstream's TestPreferredSchedulingTermsScore", "[selectors]") {
  using Op = NodeSelectorOperator;
  SECTION("invalid terms are errors") {
    std::vector<PreferredSchedulingTerm> terms = {
        {1, NodeSelectorTerm{{}, {expr("metadata.name", Op::kIn, {"host_1", "host_2"})}}},
        {1, NodeSelectorTerm{{expr("label_1", Op::kIn, {"label_1_val"})},
                             {expr("metadata.name", Op::kIn, {"host_1"})}}},
        {1, NodeSelectorTerm{{expr("invalid key", Op::kIn, {"label_value"})}, {}}},
    };
    auto p = PreferredSchedulingTerms::compile(terms);
    REQUIRE_FALSE(p.ok());
    CHECK(p.error() == "[0].matchFields[0].values: must have one element");
  }
  SECTION("an invalid term with weight 0 is not reported") {
    std::vector<PreferredSchedulingTerm> terms = {
        {0, NodeSelectorTerm{{}, {expr("metadata.name", Op::kIn, {"host_1", "host_2"})}}}};
    auto p = PreferredSchedulingTerms::compile(terms);
    REQUIRE(p.ok());
    CHECK(p->score(Labels{}, "host_1") == 0);
  }
  SECTION("first and third term match") {
    std::vector<PreferredSchedulingTerm> terms = {
        {5, NodeSelectorTerm{{}, {expr("metadata.name", Op::kIn, {"host_1"})}}},
        {7, NodeSelectorTerm{{expr("unknown_label", Op::kIn, {"unknown_label_val"})}, {}}},
        {11, NodeSelectorTerm{{expr("label_1", Op::kIn, {"label_1_val"})}, {}}},
    };
    auto p = PreferredSchedulingTerms::compile(terms);
    REQUIRE(p.ok());
    CHECK(p->score(Labels{{"label_1", "label_1_val"}}, "host_1") == 16);
    CHECK(p->score(Labels{}, "host_2") == 0);
  }
}

TEST_CASE("pod_matches_node_selector_and_affinity as upstream's table", "[selectors]") {
  // upstream TestPodMatchesNodeSelectorAndAffinityTerms
  using Op = NodeSelectorOperator;
  const std::optional<NodeSelector> none;
  auto fits = [](const Labels& node_selector, const std::optional<NodeSelector>& required,
                 const Labels& labels, const std::string& name = "") {
    return pod_matches_node_selector_and_affinity(node_selector, required, labels, name);
  };
  CHECK(fits({}, none, {}));                                                     // no selector
  CHECK_FALSE(fits({{"foo", "bar"}}, none, {}));                                 // missing labels
  CHECK(fits({{"foo", "bar"}}, none, {{"foo", "bar"}}));                         // same labels
  CHECK(fits({{"foo", "bar"}}, none, {{"foo", "bar"}, {"baz", "blah"}}));        // superset
  CHECK_FALSE(fits({{"foo", "bar"}, {"baz", "blah"}}, none, {{"foo", "bar"}}));  // subset
  CHECK(fits({}, one_term({expr("foo", Op::kIn, {"bar", "value2"})}), {{"foo", "bar"}}));
  CHECK(fits({}, one_term({expr("kernel-version", Op::kGt, {"0204"})}),
             {{"kernel-version", "0206"}}));
  CHECK(
      fits({}, one_term({expr("mem-type", Op::kNotIn, {"DDR", "DDR2"})}), {{"mem-type", "DDR3"}}));
  CHECK(fits({}, one_term({expr("GPU", Op::kExists)}), {{"GPU", "NVIDIA-GRID-K1"}}));
  CHECK_FALSE(fits({}, one_term({expr("foo", Op::kIn, {"value1", "value2"})}), {{"foo", "bar"}}));
  CHECK_FALSE(fits({}, NodeSelector{}, {{"foo", "bar"}}));                      // nil term list
  CHECK_FALSE(fits({}, NodeSelector{{NodeSelectorTerm{}}}, {{"foo", "bar"}}));  // empty terms
  CHECK(fits({}, none, {{"foo", "bar"}}));                                      // no affinity
  CHECK(fits({}, one_term({expr("GPU", Op::kExists), expr("GPU", Op::kNotIn, {"AMD", "INTER"})}),
             {{"GPU", "NVIDIA-GRID-K1"}}));
  CHECK_FALSE(fits({}, one_term({expr("GPU", Op::kExists), expr("GPU", Op::kIn, {"AMD", "INTER"})}),
                   {{"GPU", "NVIDIA-GRID-K1"}}));
  NodeSelector ored{{NodeSelectorTerm{{expr("foo", Op::kIn, {"bar", "value2"})}, {}},
                     NodeSelectorTerm{{expr("diffkey", Op::kIn, {"wrong", "value2"})}, {}}}};
  CHECK(fits({}, ored, {{"foo", "bar"}}));
  CHECK(fits({{"foo", "bar"}}, one_term({expr("foo", Op::kExists)}), {{"foo", "bar"}}));
  CHECK_FALSE(fits({{"foo", "bar"}}, one_term({expr("foo", Op::kExists)}), {{"foo", "barrrrrr"}}));
  CHECK_FALSE(
      fits({}, one_term({expr("foo", Op::kNotIn, {"invalid value: ___@#$%^"})}), {{"foo", "bar"}}));
  const auto fields_node1 = one_term({}, {expr("metadata.name", Op::kIn, {"node_1"})});
  CHECK(fits({}, fields_node1, {}, "node_1"));
  CHECK_FALSE(fits({}, fields_node1, {}, "node_2"));
  NodeSelector two_terms{{NodeSelectorTerm{{}, {expr("metadata.name", Op::kIn, {"node_1"})}},
                          NodeSelectorTerm{{expr("foo", Op::kIn, {"bar"})}, {}}}};
  CHECK(fits({}, two_terms, {{"foo", "bar"}}, "node_2"));
  const auto one_both =
      one_term({expr("foo", Op::kIn, {"bar"})}, {expr("metadata.name", Op::kIn, {"node_1"})});
  CHECK_FALSE(fits({}, one_both, {{"foo", "bar"}}, "node_2"));
  CHECK(fits({}, one_both, {{"foo", "bar"}}, "node_1"));
  NodeSelector neither{{NodeSelectorTerm{{}, {expr("metadata.name", Op::kIn, {"node_1"})}},
                        NodeSelectorTerm{{expr("foo", Op::kIn, {"not-match-to-bar"})}, {}}}};
  CHECK_FALSE(fits({}, neither, {{"foo", "bar"}}, "node_2"));
}

TEST_CASE("RequiredNodeAffinity compiled once gives the same answers", "[selectors]") {
  using Op = NodeSelectorOperator;
  RequiredNodeAffinity a(Labels{{"pool", "h100"}},
                         one_term({expr("topology.kubernetes.io/zone", Op::kIn, {"z1", "z2"})}));
  CHECK(a.matches(Labels{{"pool", "h100"}, {"topology.kubernetes.io/zone", "z2"}}, "n1"));
  CHECK_FALSE(a.matches(Labels{{"pool", "a100"}, {"topology.kubernetes.io/zone", "z2"}}, "n1"));
  CHECK_FALSE(a.matches(Labels{{"pool", "h100"}, {"topology.kubernetes.io/zone", "z3"}}, "n1"));
  CHECK(RequiredNodeAffinity().matches(Labels{}, ""));
}

TEST_CASE("validate_node_selector applies the API server's rules", "[selectors]") {
  using Op = NodeSelectorOperator;
  CHECK(validate_node_selector(one_term({expr("a", Op::kIn, {"b"})})).ok());
  CHECK(validate_node_selector(NodeSelector{}).message() ==
        "nodeSelectorTerms: Required value: must have at least one node selector term");
  CHECK(validate_node_selector(one_term({expr("a", Op::kIn)})).message() ==
        "nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified when "
        "`operator` is 'In' or 'NotIn'");
  CHECK(validate_node_selector(one_term({expr("a", Op::kExists, {"b"})}))
            .message()
            .find("Forbidden: may not be specified") != std::string::npos);
  CHECK(validate_node_selector(one_term({expr("a", Op::kGt, {"1", "2"})}))
            .message()
            .find("must be specified single value when `operator` is 'Lt' or 'Gt'") !=
        std::string::npos);
  CHECK(validate_node_selector(one_term({expr("a b", Op::kExists)}))
            .message()
            .rfind("nodeSelectorTerms[0].matchExpressions[0].key: label key \"a b\"", 0) == 0);
  CHECK(validate_node_selector(one_term({expr("a", Op::kIn, {"-1"})}))
            .message()
            .rfind("nodeSelectorTerms[0].matchExpressions[0].values[0]: label value \"-1\"", 0) ==
        0);
  CHECK(validate_node_selector(one_term({}, {expr("spec.x", Op::kIn, {"n"})})).message() ==
        "nodeSelectorTerms[0].matchFields[0].key: Invalid value \"spec.x\": not a valid field "
        "selector key");
  CHECK(validate_node_selector(one_term({}, {expr("metadata.name", Op::kIn, {"a", "b"})}))
            .message()
            .find("must be only one value") != std::string::npos);
  CHECK(validate_node_selector(one_term({}, {expr("metadata.name", Op::kIn, {"Node_1"})}))
            .message()
            .rfind("nodeSelectorTerms[0].matchFields[0].values[0]: name \"Node_1\"", 0) == 0);
  CHECK(validate_node_selector(one_term({}, {expr("metadata.name", Op::kNotIn, {"node-1"})})).ok());
}

TEST_CASE("preferred scheduling term weights are 1..100", "[selectors]") {
  using Op = NodeSelectorOperator;
  auto term = NodeSelectorTerm{{expr("a", Op::kExists)}, {}};
  std::vector<PreferredSchedulingTerm> ok = {{1, term}, {100, term}};
  CHECK(validate_preferred_scheduling_terms(ok).ok());
  std::vector<PreferredSchedulingTerm> zero = {{1, term}, {0, term}};
  CHECK(validate_preferred_scheduling_terms(zero).message() ==
        "[1].weight: Invalid value: 0: must be in the range 1-100");
  std::vector<PreferredSchedulingTerm> big = {{101, term}};
  CHECK_FALSE(validate_preferred_scheduling_terms(big).ok());
  std::vector<PreferredSchedulingTerm> bad_term = {
      {50, NodeSelectorTerm{{expr("a", Op::kIn)}, {}}}};
  CHECK(validate_preferred_scheduling_terms(bad_term).message().rfind(
            "[0].preference.matchExpressions[0].values", 0) == 0);
}
