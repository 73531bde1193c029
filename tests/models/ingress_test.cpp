// Ingress routing (models/ingress.hpp). The path cases are the rows of the "Examples" table
// in the Kubernetes documentation, Concepts → Services, Load Balancing, and Networking →
// Ingress → "Path types" / "Examples" (kubernetes.io, for v1.34), and the host cases the
// "Hostname wildcards" table of the same page; the precedence rules are its "Multiple
// matches" paragraph and staging/src/k8s.io/api/networking/v1/types.go (HTTPIngressPath).
#include "models/ingress.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace kubesim::models {
namespace {

struct P {
  const char* path;
  PathType type;
};

// An Ingress with one host-less rule whose paths go to Services named by their index.
Ingress with_paths(const std::vector<P>& paths) {
  Ingress ing;
  ing.metadata.namespace_ = "default";
  ing.metadata.name = "t";
  IngressRule rule;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    HttpIngressPath hp;
    hp.path = paths[i].path;
    hp.path_type = paths[i].type;
    hp.backend.name = "svc" + std::to_string(i);
    hp.backend.port_number = 80;
    rule.paths.push_back(hp);
  }
  ing.spec.rules.push_back(rule);
  return ing;
}

// The name of the Service the request goes to, "" when nothing matches.
std::string target(const Ingress& ing, const std::string& path, const std::string& host = "x") {
  const IngressRoute r = route(ing, host, path);
  return r.backend == nullptr ? "" : r.backend->name;
}

constexpr PathType kPrefix = PathType::kPrefix;
constexpr PathType kExact = PathType::kExact;

TEST_CASE("Ingress path matching: the examples table of the Kubernetes docs", "[ingress]") {
  // | Kind | Path(s) | Request path(s) | Matches? |
  // Prefix | / | (all paths) | Yes
  for (const char* p : {"/", "/foo", "/foo/bar/", "/aaa/bbb/ccc"}) {
    CHECK(path_matches(kPrefix, "/", p));
  }
  // Exact | /foo | /foo | Yes
  CHECK(path_matches(kExact, "/foo", "/foo"));
  // Exact | /foo | /bar | No
  CHECK_FALSE(path_matches(kExact, "/foo", "/bar"));
  // Exact | /foo | /foo/ | No
  CHECK_FALSE(path_matches(kExact, "/foo", "/foo/"));
  // Exact | /foo/ | /foo | No
  CHECK_FALSE(path_matches(kExact, "/foo/", "/foo"));
  // Prefix | /foo | /foo, /foo/ | Yes
  CHECK(path_matches(kPrefix, "/foo", "/foo"));
  CHECK(path_matches(kPrefix, "/foo", "/foo/"));
  // Prefix | /foo/ | /foo, /foo/ | Yes
  CHECK(path_matches(kPrefix, "/foo/", "/foo"));
  CHECK(path_matches(kPrefix, "/foo/", "/foo/"));
  // Prefix | /aaa/bb | /aaa/bbb | No
  CHECK_FALSE(path_matches(kPrefix, "/aaa/bb", "/aaa/bbb"));
  // Prefix | /aaa/bbb | /aaa/bbb | Yes
  CHECK(path_matches(kPrefix, "/aaa/bbb", "/aaa/bbb"));
  // Prefix | /aaa/bbb/ | /aaa/bbb | Yes, ignores trailing slash
  CHECK(path_matches(kPrefix, "/aaa/bbb/", "/aaa/bbb"));
  // Prefix | /aaa/bbb | /aaa/bbb/ | Yes, matches trailing slash
  CHECK(path_matches(kPrefix, "/aaa/bbb", "/aaa/bbb/"));
  // Prefix | /aaa/bbb | /aaa/bbb/ccc | Yes, matches subpath
  CHECK(path_matches(kPrefix, "/aaa/bbb", "/aaa/bbb/ccc"));
  // Prefix | /aaa/bbb | /aaa/bbbxyz | No, does not match string prefix
  CHECK_FALSE(path_matches(kPrefix, "/aaa/bbb", "/aaa/bbbxyz"));
  // types.go: /foo/bar matches /foo/bar/baz, but does not match /foo/barbaz; and the
  // task's /foo vs /foobar.
  CHECK(path_matches(kPrefix, "/foo/bar", "/foo/bar/baz"));
  CHECK_FALSE(path_matches(kPrefix, "/foo/bar", "/foo/barbaz"));
  CHECK_FALSE(path_matches(kPrefix, "/foo", "/foobar"));
  // Matching is case-sensitive.
  CHECK_FALSE(path_matches(kPrefix, "/foo", "/FOO"));
  CHECK_FALSE(path_matches(kExact, "/foo", "/Foo"));
  // ImplementationSpecific is Prefix (ingress-nginx); an empty path matches everything.
  CHECK(path_matches(PathType::kImplementationSpecific, "/foo", "/foo/bar"));
  CHECK_FALSE(path_matches(PathType::kImplementationSpecific, "/foo", "/foobar"));
  CHECK(path_matches(PathType::kImplementationSpecific, "", "/anything"));
}

TEST_CASE("Ingress routing: several paths, the longest match wins", "[ingress]") {
  // Prefix | /, /aaa | /aaa/ccc | Yes, matches /aaa prefix
  CHECK(target(with_paths({{"/", kPrefix}, {"/aaa", kPrefix}}), "/aaa/ccc") == "svc1");
  // Prefix | /, /aaa, /aaa/bbb | /aaa/bbb | Yes, matches /aaa/bbb prefix
  const Ingress three = with_paths({{"/", kPrefix}, {"/aaa", kPrefix}, {"/aaa/bbb", kPrefix}});
  CHECK(target(three, "/aaa/bbb") == "svc2");
  // Prefix | /, /aaa, /aaa/bbb | /ccc | Yes, matches / prefix
  CHECK(target(three, "/ccc") == "svc0");
  // Prefix | /aaa | /ccc | No, uses default backend
  Ingress only_aaa = with_paths({{"/aaa", kPrefix}});
  CHECK(route(only_aaa, "x", "/ccc").kind == IngressRoute::Kind::kNotFound);
  only_aaa.spec.default_backend = IngressServiceBackend{"fallback", 80, ""};
  const IngressRoute r = route(only_aaa, "x", "/ccc");
  CHECK(r.kind == IngressRoute::Kind::kDefaultBackend);
  REQUIRE(r.backend != nullptr);
  CHECK(r.backend->name == "fallback");
  // Mixed | /foo (Prefix), /foo (Exact) | /foo | Yes, prefers Exact — in either order.
  CHECK(target(with_paths({{"/foo", kPrefix}, {"/foo", kExact}}), "/foo") == "svc1");
  CHECK(target(with_paths({{"/foo", kExact}, {"/foo", kPrefix}}), "/foo") == "svc0");
  // The Exact path does not match /foo/bar: the Prefix one does.
  CHECK(target(with_paths({{"/foo", kExact}, {"/foo", kPrefix}}), "/foo/bar") == "svc1");
  // The longer Prefix /api/v1 beats /api whatever their order; /api alone matches /api.
  CHECK(target(with_paths({{"/api", kPrefix}, {"/api/v1", kPrefix}}), "/api/v1/orders") == "svc1");
  const IngressRoute rr = route(with_paths({{"/api", kPrefix}, {"/api/v1", kPrefix}}), "x", "/api");
  CHECK(rr.rule == 0);
  CHECK(rr.path == 0);
}

TEST_CASE("Ingress hosts: exact, one-label wildcard, no host", "[ingress]") {
  // kubernetes.io Ingress "Hostname wildcards" table:
  // *.foo.com | bar.foo.com | Matches based on shared suffix
  CHECK(host_matches("*.foo.com", "bar.foo.com"));
  // *.foo.com | baz.bar.foo.com | No match, wildcard only covers a single DNS label
  CHECK_FALSE(host_matches("*.foo.com", "baz.bar.foo.com"));
  // *.foo.com | foo.com | No match, wildcard only covers a single DNS label
  CHECK_FALSE(host_matches("*.foo.com", "foo.com"));
  CHECK_FALSE(host_matches("*.foo.com", ".foo.com"));
  CHECK(host_matches("foo.bar.com", "foo.bar.com"));
  CHECK_FALSE(host_matches("foo.bar.com", "bar.com"));
  CHECK(host_matches("", "anything.example"));

  // Exact host over wildcard over no host; a tier without a matching path falls through.
  Ingress ing;
  auto rule = [](const char* host, const char* path, const char* svc) {
    IngressRule r;
    r.host = host;
    HttpIngressPath hp;
    hp.path = path;
    hp.path_type = PathType::kPrefix;
    hp.backend.name = svc;
    r.paths.push_back(hp);
    return r;
  };
  ing.spec.rules = {rule("", "/", "any"), rule("*.foo.com", "/", "wild"),
                    rule("bar.foo.com", "/api", "exact")};
  CHECK(target(ing, "/api/x", "bar.foo.com") == "exact");
  CHECK(target(ing, "/web", "bar.foo.com") == "wild");  // exact host has no /web
  CHECK(target(ing, "/api", "baz.foo.com") == "wild");
  CHECK(target(ing, "/api", "foo.com") == "any");
  CHECK(target(ing, "/", "example.org") == "any");
}

TEST_CASE("Ingress host validation", "[ingress]") {
  CHECK(validate_ingress_host("foo.example.com").ok());
  CHECK(validate_ingress_host("*.example.com").ok());
  CHECK_FALSE(validate_ingress_host("Foo.example.com").ok());
  CHECK_FALSE(validate_ingress_host("foo.*.com").ok());
  CHECK_FALSE(validate_ingress_host("*").ok());
  CHECK_FALSE(validate_ingress_host("10.0.0.1").ok());
}

}  // namespace
}  // namespace kubesim::models
