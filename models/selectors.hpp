// Label selectors, field selectors and node affinity: the API types and upstream's
// matching rules, as plain values the object model embeds.
//
// Two layers, as upstream has them:
//   * API types, what users write in manifests and what objects carry: LabelSelector
//     (metav1), NodeSelectorRequirement / NodeSelectorTerm / NodeSelector /
//     PreferredSchedulingTerm / NodeAffinity (core/v1). They are plain structs; nothing
//     is validated when they are built.
//   * Runtime matchers compiled from them once and then evaluated many times: LabelMatcher
//     (labels.Selector), FieldSelector (fields.Selector), NodeSelectorMatcher
//     (nodeaffinity.LazyErrorNodeSelector), PreferredSchedulingTerms and
//     RequiredNodeAffinity. Compiling validates (as upstream's NewRequirement does) and
//     reports the first problem as a Status; matching never fails and never allocates.
//
// Upstream sources reproduced (k8s.io/apimachinery and k8s.io/component-helpers):
//   pkg/labels/selector.go                 Requirement, Matches, Parse (the string syntax)
//   pkg/apis/meta/v1/helpers.go            LabelSelectorAsSelector, ParseToLabelSelector
//   pkg/fields/selector.go                 ParseSelector, escaping, Matches
//   scheduling/corev1/nodeaffinity/nodeaffinity.go
//                                          NodeSelector, PreferredSchedulingTerms,
//                                          GetRequiredNodeAffinity
//   kubernetes pkg/apis/core/validation    ValidateNodeSelector, preferred-term weights
// docs/kubernetes-objects.md states every rule with its source and the few deliberate
// differences (NUL bytes rejected, stable ordering of requirements with equal keys).
//
// The nil/empty distinction of a LabelSelector is explicit: a nil selector is
// std::nullopt (or a null pointer) and matches nothing; an empty one matches everything.
//
// Thread-safety: all types are values; const member functions are safe to call
// concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "models/labels.hpp"
#include "sim/status.hpp"

namespace kubesim::models {

// =======================================================================================
// Label requirements and the runtime label selector (labels.Selector)

// upstream selection.Operator. The string forms are upstream's: "in", "notin", "=", "==",
// "!=", "exists", "!", "gt", "lt".
enum class SelectorOperator : std::uint8_t {
  kIn,
  kNotIn,
  kEquals,
  kDoubleEquals,
  kNotEquals,
  kExists,
  kDoesNotExist,
  kGreaterThan,
  kLessThan,
};
std::string_view to_string(SelectorOperator op);

// One validated requirement: key, operator, values (upstream labels.Requirement).
class LabelRequirement {
 public:
  // upstream NewRequirement: the key must be a valid label key; In/NotIn need at least one
  // value; =, ==, != exactly one; Exists/DoesNotExist none; Gt/Lt exactly one that parses
  // as an int64 (Go ParseInt). Every value must be a valid label value ("" is valid).
  // Values are kept in the given order.
  static sim::Result<LabelRequirement> create(std::string key, SelectorOperator op,
                                              std::vector<std::string> values);

  const std::string& key() const { return key_; }
  SelectorOperator op() const { return op_; }
  const std::vector<std::string>& values() const { return values_; }

  // upstream Requirement.Matches:
  //   In, =, ==      the key is present and its value is one of values
  //   NotIn, !=      the key is absent, or present with a value not among values
  //   Exists         the key is present;  DoesNotExist: the key is absent
  //   Gt, Lt         the key is present, its value parses as an int64 and is > (<) the
  //                  requirement's integer; a non-integer label value never matches
  bool matches(const Labels& labels) const;

  // upstream Requirement.String: "!k", "k", "k=v", "k==v", "k!=v", "k in (a,b)",
  // "k notin (a,b)", "k>v", "k<v"; several values are printed sorted.
  std::string to_string() const;

  friend bool operator==(const LabelRequirement&, const LabelRequirement&) = default;

 private:
  friend class LabelMatcher;  // from_set builds requirements without re-validating
  LabelRequirement() = default;
  std::string key_;
  SelectorOperator op_ = SelectorOperator::kExists;
  std::vector<std::string> values_;
  std::int64_t bound_ = 0;  // the parsed value of Gt/Lt
};

// A runtime label selector: an AND of requirements, or "nothing". A default-constructed
// LabelMatcher is Everything() and matches every label set.
class LabelMatcher {
 public:
  LabelMatcher() = default;
  static LabelMatcher everything() { return LabelMatcher(); }
  // Matches no label set, not even an empty one (upstream labels.Nothing()).
  static LabelMatcher nothing();
  // One Equals requirement per entry, not validated (upstream SelectorFromSet); an empty
  // set gives everything().
  static LabelMatcher from_set(const Labels& set);
  // As from_set, but every key and value is validated (upstream ValidatedSelectorFromSet).
  static sim::Result<LabelMatcher> from_set_validated(const Labels& set);

  // Adds a requirement, keeping requirements sorted by key; requirements with equal keys
  // keep the order they were added in. Adding to nothing() leaves it nothing().
  void add(LabelRequirement requirement);

  // True when every requirement matches (always true for everything(), always false for
  // nothing()).
  bool matches(const Labels& labels) const;
  // Does not restrict anything (upstream Empty()): true for everything(), false for
  // nothing().
  bool empty() const { return !nothing_ && requirements_.empty(); }
  bool matches_nothing() const { return nothing_; }
  const std::vector<LabelRequirement>& requirements() const { return requirements_; }

  // upstream RequiresExactMatch: when the first requirement on `key` is =, == or In with a
  // single value, that value.
  std::optional<std::string_view> requires_exact_match(std::string_view key) const;

  // The requirements' strings joined by ','; "" for everything() and nothing().
  std::string to_string() const;

  friend bool operator==(const LabelMatcher&, const LabelMatcher&) = default;

 private:
  std::vector<LabelRequirement> requirements_;  // sorted by key (stable)
  bool nothing_ = false;
};

// Parses the string syntax of `kubectl -l` and of watch/list label selectors (upstream
// labels.Parse):
//   <selector>    ::= "" | <requirement> { "," <requirement> }
//   <requirement> ::= [ "!" ] KEY
//                   | KEY ( "=" | "==" | "!=" | ">" | "<" ) [ VALUE ]
//                   | KEY ( "in" | "notin" ) "(" [ VALUE { "," [ VALUE ] } ] ")"
// Whitespace (space, tab, CR, LF) separates tokens. A missing VALUE is the empty string;
// "()" and empty list items stand for "". Value lists are de-duplicated and sorted; the
// requirements are sorted by key. "in" and "notin" are ordinary words in value position
// ("notin=in" is a valid selector). Errors say what was found, what was expected and the
// byte offset, e.g.
//   invalid label selector "x=a,,y": at offset 4: found ',', expected: identifier after ','
sim::Result<LabelMatcher> parse_label_selector(std::string_view text);

// =======================================================================================
// metav1.LabelSelector: the API type (Deployment.spec.selector, Service-like selectors)

enum class LabelSelectorOperator : std::uint8_t { kIn, kNotIn, kExists, kDoesNotExist };
// "In", "NotIn", "Exists", "DoesNotExist".
std::string_view to_string(LabelSelectorOperator op);
sim::Result<LabelSelectorOperator> parse_label_selector_operator(std::string_view text);

struct LabelSelectorRequirement {
  std::string key;
  LabelSelectorOperator op = LabelSelectorOperator::kIn;
  std::vector<std::string> values;
  friend bool operator==(const LabelSelectorRequirement&,
                         const LabelSelectorRequirement&) = default;
};

struct LabelSelector {
  Labels match_labels;                                      // matchLabels
  std::vector<LabelSelectorRequirement> match_expressions;  // matchExpressions
  // No matchLabels and no matchExpressions: the selector matches everything.
  bool empty() const { return match_labels.empty() && match_expressions.empty(); }
  friend bool operator==(const LabelSelector&, const LabelSelector&) = default;
};

// upstream LabelSelectorAsSelector: a null selector matches nothing; an empty one
// everything; otherwise one Equals requirement per matchLabels entry and one requirement
// per matchExpressions entry, each validated as by LabelRequirement::create. Errors name
// the entry, e.g. "matchExpressions[1]: key \"tier\": for 'in', 'notin' operators, values
// set can't be empty".
sim::Result<LabelMatcher> label_selector_as_matcher(const LabelSelector* selector);
sim::Result<LabelMatcher> label_selector_as_matcher(const std::optional<LabelSelector>& selector);

// upstream ParseToLabelSelector: parses the string syntax into the API type; = and ==
// become matchLabels, in/notin/exists/!exists become matchExpressions; != and the Gt/Lt
// operators cannot be expressed and are errors.
sim::Result<LabelSelector> parse_to_label_selector(std::string_view text);

// =======================================================================================
// Field selectors (fields.Selector)

enum class FieldOperator : std::uint8_t { kEquals, kNotEquals };

struct FieldRequirement {
  std::string field;  // e.g. "spec.nodeName"
  FieldOperator op = FieldOperator::kEquals;
  std::string value;  // unescaped
  // An absent field has the value "" (upstream fields.Set.Get).
  bool matches(std::string_view actual) const {
    return (actual == value) == (op == FieldOperator::kEquals);
  }
  friend bool operator==(const FieldRequirement&, const FieldRequirement&) = default;
};

// A field path -> value map (upstream fields.Set). Same structure as Labels; no label
// validation applies to it.
using FieldSet = Labels;

// Fields every kind supports, and the extra ones upstream lets pods and nodes be selected
// by (kubernetes pkg/apis/core/v1/conversion.go, field label conversion functions).
inline constexpr std::string_view kObjectMetaSelectableFields[] = {"metadata.name",
                                                                   "metadata.namespace"};
inline constexpr std::string_view kPodSelectableFields[] = {"metadata.name",
                                                            "metadata.namespace",
                                                            "spec.nodeName",
                                                            "spec.restartPolicy",
                                                            "spec.schedulerName",
                                                            "spec.serviceAccountName",
                                                            "spec.hostNetwork",
                                                            "status.phase",
                                                            "status.podIP",
                                                            "status.podIPs",
                                                            "status.nominatedNodeName"};
inline constexpr std::string_view kNodeSelectableFields[] = {"metadata.name", "spec.unschedulable"};

// An AND of field requirements. Default-constructed: matches everything.
class FieldSelector {
 public:
  FieldSelector() = default;
  static FieldSelector one_term_equal(std::string field, std::string value);
  static FieldSelector one_term_not_equal(std::string field, std::string value);
  void add(FieldRequirement requirement) { requirements_.push_back(std::move(requirement)); }

  bool empty() const { return requirements_.empty(); }
  const std::vector<FieldRequirement>& requirements() const { return requirements_; }

  // `value_of(field)` returns the object's value for a field path as a string_view, ""
  // when the object has no such field; the selector matches when every requirement does.
  template <typename Lookup>
  requires std::is_invocable_r_v<std::string_view, const Lookup&, std::string_view>
  bool matches(const Lookup& value_of) const {
    for (const FieldRequirement& r : requirements_) {
      if (!r.matches(value_of(std::string_view(r.field)))) return false;
    }
    return true;
  }
  bool matches(const FieldSet& fields) const {
    return matches([&fields](std::string_view f) { return fields.get(f); });
  }

  // upstream RequiresExactMatch: the value of the first `field=value` requirement.
  std::optional<std::string_view> requires_exact_match(std::string_view field) const;

  // Rejects a selector on a field outside `supported`, with upstream's message
  // "field label not supported: <field>" (the API server's field label conversion).
  sim::Status check_supported(std::span<const std::string_view> supported) const;

  // "f1=v1,f2!=v2" with values escaped; "" when empty.
  std::string to_string() const;

  friend bool operator==(const FieldSelector&, const FieldSelector&) = default;

 private:
  std::vector<FieldRequirement> requirements_;
};

// Parses "metadata.name=x,spec.nodeName!=y" (upstream fields.ParseSelector). Terms are
// separated by unescaped commas; empty terms are skipped; each term is split at the first
// "!=", "==" or "=" (== means =). In values, "\\", "\," and "\=" escape a backslash, comma
// or equals sign; any other escape, a trailing backslash or an unescaped ',' or '=' in a
// value is an error. Requirements are ordered by their raw term text, as upstream sorts
// them. Field names are not checked here: see FieldSelector::check_supported.
sim::Result<FieldSelector> parse_field_selector(std::string_view text);

// upstream fields.EscapeValue / UnescapeValue.
std::string escape_field_value(std::string_view value);
sim::Result<std::string> unescape_field_value(std::string_view escaped);

// =======================================================================================
// Node affinity (core/v1 NodeSelector and friends)

enum class NodeSelectorOperator : std::uint8_t { kIn, kNotIn, kExists, kDoesNotExist, kGt, kLt };
// "In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt".
std::string_view to_string(NodeSelectorOperator op);
sim::Result<NodeSelectorOperator> parse_node_selector_operator(std::string_view text);

struct NodeSelectorRequirement {
  std::string key;
  NodeSelectorOperator op = NodeSelectorOperator::kIn;
  std::vector<std::string> values;
  friend bool operator==(const NodeSelectorRequirement&, const NodeSelectorRequirement&) = default;
};

// matchExpressions (on node labels) AND matchFields (on node fields; only metadata.name
// exists). A term with neither matches no node.
struct NodeSelectorTerm {
  std::vector<NodeSelectorRequirement> match_expressions;
  std::vector<NodeSelectorRequirement> match_fields;
  bool empty() const { return match_expressions.empty() && match_fields.empty(); }
  friend bool operator==(const NodeSelectorTerm&, const NodeSelectorTerm&) = default;
};

// The terms are ORed. No terms (or only empty terms) match no node.
struct NodeSelector {
  std::vector<NodeSelectorTerm> node_selector_terms;
  friend bool operator==(const NodeSelector&, const NodeSelector&) = default;
};

struct PreferredSchedulingTerm {
  std::int32_t weight = 0;  // 1..100 (validate_preferred_scheduling_terms)
  NodeSelectorTerm preference;
  friend bool operator==(const PreferredSchedulingTerm&, const PreferredSchedulingTerm&) = default;
};

struct NodeAffinity {
  std::optional<NodeSelector> required;            // requiredDuringSchedulingIgnoredDuringExecution
  std::vector<PreferredSchedulingTerm> preferred;  // preferredDuringScheduling...
  friend bool operator==(const NodeAffinity&, const NodeAffinity&) = default;
};

// A compiled NodeSelector (upstream nodeaffinity.LazyErrorNodeSelector / NodeSelector).
class NodeSelectorMatcher {
 public:
  // Empty terms are dropped (they select nothing). A term whose requirements do not
  // compile is kept but never matches; its error is available from parse_error(). This
  // is what the scheduler's NodeAffinity filter uses: an invalid term simply fails.
  static NodeSelectorMatcher compile(const NodeSelector& selector);
  // upstream NewNodeSelector: any term that does not compile is an error, e.g.
  //   nodeSelectorTerms[0].matchFields[0].values: must have one element
  static sim::Result<NodeSelectorMatcher> compile_strict(const NodeSelector& selector);

  // True when some term matches. Within a term, every matchExpressions requirement must
  // match the node's labels, and every matchFields requirement the node's fields — but
  // matchFields are skipped for a node with an empty name, as upstream does (a node
  // without a name has no fields).
  bool matches(const Labels& node_labels, std::string_view node_name) const;

  // The first compile error among the terms, ok() when there is none.
  const sim::Status& parse_error() const { return parse_error_; }

 private:
  struct Term {
    LabelMatcher labels;  // empty when the term has no matchExpressions
    FieldSelector fields;
    bool has_fields = false;
    bool invalid = false;
    bool matches(const Labels& node_labels, std::string_view node_name) const;
  };
  static Term compile_term(const NodeSelectorTerm& term, const std::string& path,
                           sim::Status* error);
  friend class PreferredSchedulingTerms;

  std::vector<Term> terms_;
  sim::Status parse_error_;
};

// Compiled preferredDuringSchedulingIgnoredDuringExecution terms (upstream
// nodeaffinity.PreferredSchedulingTerms).
class PreferredSchedulingTerms {
 public:
  // Terms with weight 0 or an empty preference are skipped (and not checked); any other
  // term that does not compile is an error ("[2].matchExpressions[0]: ...").
  static sim::Result<PreferredSchedulingTerms> compile(
      std::span<const PreferredSchedulingTerm> terms);
  // The sum of the weights of the terms the node matches (NodeAffinity Score, raw).
  std::int64_t score(const Labels& node_labels, std::string_view node_name) const;

 private:
  struct Weighted {
    NodeSelectorMatcher::Term term;
    std::int64_t weight;
  };
  std::vector<Weighted> terms_;
};

// A pod's nodeSelector AND its required node affinity, compiled once per pod (upstream
// nodeaffinity.GetRequiredNodeAffinity / RequiredNodeAffinity.Match).
class RequiredNodeAffinity {
 public:
  RequiredNodeAffinity() = default;  // no constraints: matches every node
  RequiredNodeAffinity(const Labels& node_selector, const std::optional<NodeSelector>& required);
  // The node's labels contain every nodeSelector entry, and — when the pod has a required
  // node affinity — the node matches it.
  bool matches(const Labels& node_labels, std::string_view node_name) const;

 private:
  Labels node_selector_;
  std::optional<NodeSelectorMatcher> required_;
};

// The NodeAffinity filter's question for one pod and one node, compiling on every call;
// hot paths compile a RequiredNodeAffinity once per pod instead.
bool pod_matches_node_selector_and_affinity(const Labels& node_selector,
                                            const std::optional<NodeSelector>& required,
                                            const Labels& node_labels, std::string_view node_name);

// API validation (upstream ValidateNodeSelector, ValidateNodeSelectorTerm,
// ValidateNodeSelectorRequirement, ValidateNodeFieldSelectorRequirement): at least one
// term; In/NotIn need values, Exists/DoesNotExist take none, Gt/Lt exactly one; keys are
// label keys and values label values; matchFields only on metadata.name, with In or NotIn
// and exactly one value that is a valid node name. The first problem is reported with
// its path, e.g. "nodeSelectorTerms[0].matchFields[0].key: Invalid value \"spec.x\": not a
// valid field selector key".
sim::Status validate_node_selector(const NodeSelector& selector);
// Each weight in 1..100 and each preference a valid term (upstream
// validatePreferredSchedulingTerms).
sim::Status validate_preferred_scheduling_terms(std::span<const PreferredSchedulingTerm> terms);

}  // namespace kubesim::models
