#include "models/ingress.hpp"

#include <algorithm>

namespace kubesim::models {

const char* path_type_name(PathType t) {
  switch (t) {
    case PathType::kExact:
      return "Exact";
    case PathType::kPrefix:
      return "Prefix";
    case PathType::kImplementationSpecific:
      return "ImplementationSpecific";
  }
  return "?";
}

// upstream types.go IngressRule.Host: "*.foo.com" matches "bar.foo.com" (one label) but not
// "baz.bar.foo.com" nor "foo.com".
bool host_matches(std::string_view rule_host, std::string_view host) {
  if (rule_host.empty()) return true;
  if (!rule_host.starts_with("*.")) return rule_host == host;
  const std::string_view suffix = rule_host.substr(1);  // ".foo.com"
  if (host.size() <= suffix.size() || !host.ends_with(suffix)) return false;
  const std::string_view label = host.substr(0, host.size() - suffix.size());
  return label.find('.') == std::string_view::npos;
}

namespace {

// The next non-empty '/'-separated element of `p` from `pos`, advancing `pos`; empty at
// the end.
std::string_view next_element(std::string_view p, std::size_t& pos) {
  while (pos < p.size() && p[pos] == '/') ++pos;
  const std::size_t start = pos;
  while (pos < p.size() && p[pos] != '/') ++pos;
  return p.substr(start, pos - start);
}

// upstream types.go HTTPIngressPath.PathType Prefix: "every p is an element-wise prefix of
// p of the request path"; the last element must match whole (/foo/bar does not match
// /foo/barbaz). Element comparison without allocation.
bool prefix_matches(std::string_view rule, std::string_view request) {
  std::size_t i = 0;
  std::size_t j = 0;
  while (true) {
    const std::string_view a = next_element(rule, i);
    if (a.empty()) return true;  // every rule element matched
    const std::string_view b = next_element(request, j);
    if (a != b) return false;
  }
}

}  // namespace

bool path_matches(PathType type, std::string_view rule_path, std::string_view request_path) {
  switch (type) {
    case PathType::kExact:
      return rule_path == request_path;
    case PathType::kPrefix:
      return prefix_matches(rule_path, request_path);
    case PathType::kImplementationSpecific:
      // ingress-nginx without use-regex: a prefix location; an empty path is "/".
      return rule_path.empty() || prefix_matches(rule_path, request_path);
  }
  return false;
}

IngressRoute route(const Ingress& ingress, std::string_view host, std::string_view path) {
  // Host tiers: 0 = the exact host, 1 = a wildcard, 2 = no host.
  for (int tier = 0; tier < 3; ++tier) {
    IngressRoute best;
    std::size_t best_length = 0;
    bool best_exact = false;
    for (std::size_t r = 0; r < ingress.spec.rules.size(); ++r) {
      const IngressRule& rule = ingress.spec.rules[r];
      const int rule_tier = rule.host.empty() ? 2 : rule.host.starts_with("*.") ? 1 : 0;
      if (rule_tier != tier || !host_matches(rule.host, host)) continue;
      for (std::size_t p = 0; p < rule.paths.size(); ++p) {
        const HttpIngressPath& hp = rule.paths[p];
        if (!path_matches(hp.path_type, hp.path, path)) continue;
        // Kubernetes docs "Multiple matches": the longest path wins, then Exact over Prefix.
        const bool exact = hp.path_type == PathType::kExact;
        const bool better = best.kind != IngressRoute::Kind::kRule ||
                            hp.path.size() > best_length ||
                            (hp.path.size() == best_length && exact && !best_exact);
        if (!better) continue;
        best.kind = IngressRoute::Kind::kRule;
        best.backend = &hp.backend;
        best.rule = static_cast<int>(r);
        best.path = static_cast<int>(p);
        best_length = hp.path.size();
        best_exact = exact;
      }
    }
    if (best.kind == IngressRoute::Kind::kRule) return best;
  }
  IngressRoute none;
  if (ingress.spec.default_backend) {
    none.kind = IngressRoute::Kind::kDefaultBackend;
    none.backend = &*ingress.spec.default_backend;
  }
  return none;
}

sim::Status validate_ingress_host(std::string_view host) {
  std::string_view name = host;
  if (name.starts_with("*.")) name.remove_prefix(2);
  if (!name.empty() && std::all_of(name.begin(), name.end(),
                                   [](char c) { return (c >= '0' && c <= '9') || c == '.'; })) {
    return sim::Status::invalid_argument("must be a DNS name, not an IP address");
  }
  if (auto s = validate_dns1123_subdomain(name); !s.ok()) {
    return sim::Status::invalid_argument(
        s.message() + (host.starts_with("*.") ? " (after the wildcard \"*.\")" : ""));
  }
  return {};
}

}  // namespace kubesim::models
