// Labels: the string -> string map Kubernetes attaches to every object, and upstream's
// validation of label keys, label values and DNS names.
//
// Labels is a small map kept as a vector of (key, value) pairs sorted by key. Objects
// carry a handful of labels (rarely more than ten), for which a sorted vector beats a
// node-based map on lookup, copying and memory, and gives iteration in key order for
// free (deterministic output). Lookups take std::string_view and do not allocate.
//
// Labels itself does not validate what is stored in it: it also serves as the value type
// of nodeSelector and matchLabels, which upstream validates separately. Call
// validate_labels() at the boundary where user input enters the model.
//
// Validation reproduces k8s.io/apimachinery/pkg/api/validate/content (kube.go, dns.go;
// formerly pkg/util/validation/validation.go):
//   label key    ::= [ prefix "/" ] name
//   prefix       ::= a lowercase RFC 1123 subdomain, at most 253 characters
//   name         ::= 1..63 characters; [A-Za-z0-9] at both ends, [-_.A-Za-z0-9] inside
//   label value  ::= "" | 1..63 characters with the same charset and end rules as name
// Upstream reports every problem it finds; these functions report the first one, with
// the offending character's offset where there is one.
//
// Thread-safety: Labels is a value type (no shared state); the free functions are pure.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/status.hpp"

namespace kubesim::models {

class Labels {
 public:
  using value_type = std::pair<std::string, std::string>;
  using const_iterator = std::vector<value_type>::const_iterator;

  Labels() = default;
  // When a key repeats, the last value wins.
  Labels(std::initializer_list<value_type> entries);

  // Pointer to the value, or nullptr when the key is absent.
  const std::string* find(std::string_view key) const;
  // The value, or "" when the key is absent (upstream labels.Set.Get).
  std::string_view get(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key) != nullptr; }

  // Inserts or overwrites.
  void set(std::string key, std::string value);
  // Removes the key; returns whether it was present.
  bool erase(std::string_view key);
  void clear() { entries_.clear(); }

  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }

  // True when every (key, value) of `subset` is present here with the same value: what
  // upstream's SelectorFromSet(subset).Matches(*this) computes (a pod's nodeSelector
  // against a node's labels). An empty subset is contained in anything.
  bool contains_all(const Labels& subset) const;

  // "key1=value1,key2=value2" in key order (upstream labels.Set.String).
  std::string to_string() const;

  friend bool operator==(const Labels&, const Labels&) = default;

 private:
  static constexpr std::size_t kLinearFind = 8;  // find() scans sets this small
  std::vector<value_type> entries_;  // sorted by key, keys unique
};

// Label keys (qualified names): see the grammar above. Upstream: IsQualifiedName /
// IsLabelKey. The message names the key and says what is wrong and where, e.g.
//   label key "a/b/c": a qualified name has at most one '/'; found a second '/' at offset 3
sim::Status validate_label_key(std::string_view key);
// Label values: upstream IsValidLabelValue.
sim::Status validate_label_value(std::string_view value);
// Every key and value, in key order; the first problem is reported.
sim::Status validate_labels(const Labels& labels);

// RFC 1123 subdomain (object names, label key prefixes): lowercase alphanumerics, '-' and
// '.', each dot-separated part starting and ending with an alphanumeric, at most 253
// characters. Upstream IsDNS1123Subdomain.
sim::Status validate_dns1123_subdomain(std::string_view name);
// RFC 1123 label (namespace names): like a subdomain part, at most 63 characters, no dots.
// Upstream IsDNS1123Label.
sim::Status validate_dns1123_label(std::string_view name);

// Go's strconv.ParseInt(text, 10, 64): an optional '+' or '-', then one or more decimal
// digits, within the int64 range; leading zeros are allowed ("0206" is 206). nullopt
// otherwise. Gt/Lt selector operators compare label values this way.
std::optional<std::int64_t> parse_go_int64(std::string_view text);

}  // namespace kubesim::models
