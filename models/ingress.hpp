// Ingress: networking.k8s.io/v1 Ingress and IngressClass objects and the routing rules an
// ingress controller applies to a request's host and path.
//
// The objects hold what kubesim reads from a manifest (scenarios/manifests.hpp): the class
// name, the default backend and the rules' hosts and HTTP paths with their Service backends;
// TLS and resource backends are not modelled.
//
// Routing (route()) follows the Ingress API of Kubernetes v1.34
// (staging/src/k8s.io/api/networking/v1/types.go, HTTPIngressPath, IngressRule.Host) and the
// kubernetes.io "Ingress" concept page ("Path types", "Multiple matches", "Hostname
// wildcards"):
//   * host: a rule without host matches every request; "foo.bar.com" matches that host
//     exactly; "*.foo.com" matches a host with exactly one more DNS label
//     ("bar.foo.com", not "baz.bar.foo.com" nor "foo.com").
//   * Exact: the request path equals the rule path (case-sensitive).
//   * Prefix: the rule path's elements (split on '/', empty elements dropped, so a trailing
//     slash does not matter) are a prefix of the request path's elements: "/foo" matches
//     "/foo", "/foo/" and "/foo/bar", not "/foobar". "/" matches every path.
//   * ImplementationSpecific: as Prefix (ingress-nginx without use-regex); an empty path
//     matches every path.
//   * Among matching paths the longest wins; on equal length Exact wins over Prefix; then
//     the first in the object's order.
//   * Host precedence: the rules whose host equals the request's host are tried first, then
//     a wildcard rule, then the rules without host (the API's "both host and path must
//     match"; ingress-nginx's server blocks prefer the exact server name over a wildcard
//     over the catch-all). A tier with no matching path falls through to the next.
//   * No rule matches: spec.defaultBackend when set, else the controller's own default
//     backend (HTTP 404).
// Pure functions of plain values; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/objects.hpp"

namespace kubesim::models {

enum class PathType { kExact, kPrefix, kImplementationSpecific };

const char* path_type_name(PathType t);

// spec.rules[].http.paths[].backend.service (or spec.defaultBackend.service).
struct IngressServiceBackend {
  std::string name;              // a Service in the Ingress's namespace
  std::int32_t port_number = 0;  // port.number (0 when given by name)
  std::string port_name;         // port.name
};

struct HttpIngressPath {
  std::string path;  // "" only for ImplementationSpecific
  PathType path_type = PathType::kPrefix;
  IngressServiceBackend backend;
};

struct IngressRule {
  std::string host;  // "" = every host; "*.example.com" = one label wildcard
  std::vector<HttpIngressPath> paths;
};

struct IngressSpec {
  std::string ingress_class_name;  // "" = the default IngressClass
  std::optional<IngressServiceBackend> default_backend;
  std::vector<IngressRule> rules;
};

struct Ingress {
  ObjectMeta metadata;
  IngressSpec spec;
};

// networking.k8s.io/v1 IngressClass: which controller implements the class. Read and kept
// for reference; kubesim's controller (a traffic workload's ingressController) serves every
// class.
struct IngressClass {
  ObjectMeta metadata;
  std::string controller;   // spec.controller, e.g. k8s.io/ingress-nginx
  bool is_default = false;  // annotation ingressclass.kubernetes.io/is-default-class: "true"
};

// Whether a rule's host matches a request's host (see the header comment).
bool host_matches(std::string_view rule_host, std::string_view host);

// Whether a rule path of the given type matches a request path.
bool path_matches(PathType type, std::string_view rule_path, std::string_view request_path);

struct IngressRoute {
  enum class Kind {
    kRule,            // a rule's path matched: `backend` is its Service
    kDefaultBackend,  // no rule matched; spec.defaultBackend
    kNotFound,        // no rule matched and no defaultBackend: the controller's 404
  };
  Kind kind = Kind::kNotFound;
  const IngressServiceBackend* backend = nullptr;  // into the Ingress; null for kNotFound
  int rule = -1;                                   // index into spec.rules (kRule)
  int path = -1;                                   // index into the rule's paths (kRule)
};

// Routes a request. The result points into `ingress`, which must outlive it.
IngressRoute route(const Ingress& ingress, std::string_view host, std::string_view path);

// A rule host as the API validates it (upstream ValidateIngressSpec → validateIngressRules:
// a DNS-1123 subdomain, optionally prefixed by "*." ; not an IP address).
sim::Status validate_ingress_host(std::string_view host);

}  // namespace kubesim::models
