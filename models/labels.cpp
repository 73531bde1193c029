#include "models/labels.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace kubesim::models {

namespace {

using sim::Status;

constexpr std::size_t kLabelNameMaxLength = 63;   // content.labelKeyMaxLength
constexpr std::size_t kLabelValueMaxLength = 63;  // content.LabelValueMaxLength
constexpr std::size_t kDns1123SubdomainMaxLength = 253;
constexpr std::size_t kDns1123LabelMaxLength = 63;

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// "'x'" for a printable character, "byte 0x07" otherwise.
std::string describe_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  char buf[16];
  std::snprintf(buf, sizeof buf, "byte 0x%02x", u);
  return buf;
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// The offset of the first character that breaks ([A-Za-z0-9][-_.A-Za-z0-9]*)?[A-Za-z0-9],
// the regex shared by label names and non-empty label values; nullopt when `s` matches.
// REQUIRES: !s.empty()
std::optional<std::size_t> first_bad_qualified_char(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool edge = i == 0 || i + 1 == s.size();
    bool ok = is_alnum(c) || (!edge && (c == '-' || c == '_' || c == '.'));
    if (!ok) return i;
  }
  return std::nullopt;
}

// The offset of the first character that breaks the RFC 1123 subdomain regex
// [a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*; nullopt when it matches.
// An empty dot-separated part is reported at its '.'.
// REQUIRES: !s.empty()
std::optional<std::size_t> first_bad_subdomain_char(std::string_view s) {
  std::size_t start = 0;
  while (true) {
    std::size_t end = s.find('.', start);
    if (end == std::string_view::npos) end = s.size();
    if (end == start) return start < s.size() ? start : start - 1;  // empty part
    for (std::size_t i = start; i < end; ++i) {
      bool edge = i == start || i + 1 == end;
      if (!(is_lower_alnum(s[i]) || (!edge && s[i] == '-'))) return i;
    }
    if (end == s.size()) return std::nullopt;
    start = end + 1;
  }
}

constexpr const char* kSubdomainRule =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com')";

// The subdomain rules without the subject; "" when valid.
std::string subdomain_problem(std::string_view s, std::size_t offset_base) {
  if (s.empty()) return "must not be empty";
  if (s.size() > kDns1123SubdomainMaxLength) {
    return "must be no more than 253 characters (it has " + std::to_string(s.size()) + ")";
  }
  if (auto bad = first_bad_subdomain_char(s)) {
    return std::string(kSubdomainRule) + "; found " + describe_char(s[*bad]) + " at offset " +
           std::to_string(*bad + offset_base);
  }
  return "";
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Labels

namespace {
struct KeyLess {
  bool operator()(const Labels::value_type& e, std::string_view key) const { return e.first < key; }
};
}  // namespace

Labels::Labels(std::initializer_list<value_type> entries) {
  entries_.reserve(entries.size());
  for (const auto& e : entries) set(e.first, e.second);
}

const std::string* Labels::find(std::string_view key) const {
  // Pods and nodes carry a few labels: a scan that compares lengths first (most keys differ
  // in length, so most comparisons never reach memcmp) beats the ordered search there.
  if (entries_.size() <= kLinearFind) {
    for (const auto& e : entries_) {
      if (e.first.size() == key.size() && std::string_view(e.first) == key) return &e.second;
    }
    return nullptr;
  }
  auto it = std::lower_bound(entries_.begin(), entries_.end(), key, KeyLess{});
  if (it == entries_.end() || it->first != key) return nullptr;
  return &it->second;
}

std::string_view Labels::get(std::string_view key) const {
  const std::string* v = find(key);
  return v ? std::string_view(*v) : std::string_view();
}

void Labels::set(std::string key, std::string value) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), std::string_view(key), KeyLess{});
  if (it != entries_.end() && it->first == key) {
    it->second = std::move(value);
  } else {
    entries_.emplace(it, std::move(key), std::move(value));
  }
}

bool Labels::erase(std::string_view key) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), key, KeyLess{});
  if (it == entries_.end() || it->first != key) return false;
  entries_.erase(it);
  return true;
}

bool Labels::contains_all(const Labels& subset) const {
  if (entries_.size() <= kLinearFind) {
    for (const auto& [key, value] : subset.entries_) {
      const std::string* v = find(key);
      if (v == nullptr || v->size() != value.size() || *v != value) return false;
    }
    return true;
  }
  // Both sides are sorted by key: one merge pass.
  auto it = entries_.begin();
  for (const auto& [key, value] : subset.entries_) {
    while (it != entries_.end() && it->first < key) ++it;
    if (it == entries_.end() || it->first != key || it->second != value) return false;
    ++it;
  }
  return true;
}

std::string Labels::to_string() const {
  std::string out;
  for (const auto& [key, value] : entries_) {
    if (!out.empty()) out += ',';
    out += key;
    out += '=';
    out += value;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Validation. upstream: apimachinery/pkg/api/validate/content/kube.go (IsLabelKey,
// IsLabelValue) and dns.go (IsDNS1123Subdomain, IsDNS1123Label).

Status validate_label_key(std::string_view key) {
  auto fail = [&](const std::string& why) {
    return Status::invalid_argument("label key " + quoted(key) + ": " + why);
  };
  std::size_t slash = key.find('/');
  std::string_view name = key;
  std::size_t name_offset = 0;
  if (slash != std::string_view::npos) {
    std::size_t second = key.find('/', slash + 1);
    if (second != std::string_view::npos) {
      return fail(
          "must be a name with an optional DNS subdomain prefix and '/' (e.g. "
          "'example.com/MyName'); found a second '/' at offset " +
          std::to_string(second));
    }
    std::string_view prefix = key.substr(0, slash);
    if (prefix.empty()) return fail("prefix part must not be empty");
    std::string problem = subdomain_problem(prefix, 0);
    if (!problem.empty()) return fail("prefix part " + problem);
    name = key.substr(slash + 1);
    name_offset = slash + 1;
  }
  if (name.empty()) return fail("name part must not be empty");
  if (name.size() > kLabelNameMaxLength) {
    return fail("name part must be no more than 63 characters (it has " +
                std::to_string(name.size()) + ")");
  }
  if (auto bad = first_bad_qualified_char(name)) {
    return fail(
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
        "and end with an alphanumeric character (e.g. 'MyName', 'my.name', '123-abc'); found " +
        describe_char(name[*bad]) + " at offset " + std::to_string(*bad + name_offset));
  }
  return Status();
}

Status validate_label_value(std::string_view value) {
  auto fail = [&](const std::string& why) {
    return Status::invalid_argument("label value " + quoted(value) + ": " + why);
  };
  if (value.empty()) return Status();
  if (value.size() > kLabelValueMaxLength) {
    return fail("must be no more than 63 characters (it has " + std::to_string(value.size()) + ")");
  }
  if (auto bad = first_bad_qualified_char(value)) {
    return fail(
        "a valid label value must be an empty string or consist of alphanumeric characters, "
        "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
        "'MyValue', 'my_value', '12345'); found " +
        describe_char(value[*bad]) + " at offset " + std::to_string(*bad));
  }
  return Status();
}

Status validate_labels(const Labels& labels) {
  for (const auto& [key, value] : labels) {
    if (Status s = validate_label_key(key); !s.ok()) return s;
    if (Status s = validate_label_value(value); !s.ok()) {
      return Status::invalid_argument(s.message() + " (at key " + quoted(key) + ")");
    }
  }
  return Status();
}

Status validate_dns1123_subdomain(std::string_view name) {
  std::string problem = subdomain_problem(name, 0);
  if (problem.empty()) return Status();
  return Status::invalid_argument("name " + quoted(name) + ": " + problem);
}

Status validate_dns1123_label(std::string_view name) {
  auto fail = [&](const std::string& why) {
    return Status::invalid_argument("name " + quoted(name) + ": " + why);
  };
  if (name.empty()) return fail("must not be empty");
  if (name.size() > kDns1123LabelMaxLength) {
    return fail("must be no more than 63 characters (it has " + std::to_string(name.size()) + ")");
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool edge = i == 0 || i + 1 == name.size();
    if (is_lower_alnum(c) || (!edge && c == '-')) continue;
    if (c == '.' && !first_bad_subdomain_char(name)) {
      // Upstream's special case: a valid subdomain that is not a valid label has dots.
      return fail("must not contain dots (found '.' at offset " + std::to_string(i) + ")");
    }
    return fail(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
        "'-', and must start and end with an alphanumeric character (e.g. 'my-name', "
        "'123-abc'); found " +
        describe_char(c) + " at offset " + std::to_string(i));
  }
  return Status();
}

std::optional<std::int64_t> parse_go_int64(std::string_view text) {
  // upstream: Go strconv.ParseInt(s, 10, 64). Accumulate as a negative number so that
  // INT64_MIN, whose magnitude has no positive int64, parses too.
  std::size_t i = 0;
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    i = 1;
  }
  if (i == text.size()) return std::nullopt;
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  std::int64_t acc = 0;  // <= 0
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return std::nullopt;
    int d = c - '0';
    if (acc < (kMin + d) / 10) return std::nullopt;
    acc = acc * 10 - d;
  }
  if (negative) return acc;
  if (acc == kMin) return std::nullopt;
  return -acc;
}

}  // namespace kubesim::models
