// Reading networking.k8s.io/v1 Ingress and IngressClass manifests (scenarios/manifests.hpp)
// and the ingress fields of a traffic workload (scenarios/traffic_reader.hpp). The valid
// manifest is the "simple fanout" / name-based virtual hosting example of the Kubernetes
// docs (concepts/services-networking/ingress); the errors follow upstream validation
// (pkg/apis/networking/validation/validation.go: ValidateIngressSpec, validateIngressRules,
// validateHTTPIngressPath, validateIngressBackend).
#include <catch2/catch.hpp>
#include <string>

#include "scenarios/manifests.hpp"
#include "tests/support/scenario_loading.hpp"

namespace kubesim::scenarios {
namespace {

using Read = testing::ManifestsRead;

Read read(const std::string& yaml) { return testing::read_manifests(yaml, "m.yaml"); }

// The single diagnostic of an invalid Ingress spec (`spec` indented under spec:).
Diagnostic only_error(const std::string& spec) {
  Read r = read(R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: bad
spec:
)" + spec);
  INFO(r.diagnostics.format());
  REQUIRE_FALSE(r.ok);
  REQUIRE(r.diagnostics.size() == 1);
  return r.diagnostics.items()[0];
}

TEST_CASE("an Ingress and an IngressClass are read, not ignored", "[manifests][ingress]") {
  Read r = read(R"(apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec:
  controller: k8s.io/ingress-nginx
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: simple-fanout-example
spec:
  ingressClassName: nginx
  tls:
  - hosts: [foo.bar.com]
    secretName: foo-tls
  defaultBackend:
    service: {name: default-http, port: {name: http}}
  rules:
  - host: foo.bar.com
    http:
      paths:
      - path: /foo
        pathType: Prefix
        backend:
          service:
            name: service1
            port:
              number: 4200
      - path: /bar
        pathType: Exact
        backend:
          service:
            name: service2
            port:
              number: 8080
  - host: "*.foo.com"
    http:
      paths:
      - pathType: ImplementationSpecific
        backend: {service: {name: service3, port: {number: 80}}}
)");
  INFO(r.diagnostics.format());
  REQUIRE(r.ok);
  REQUIRE(r.m.ingress_classes.size() == 1);
  CHECK(r.m.ingress_classes[0].controller == "k8s.io/ingress-nginx");
  CHECK(r.m.ingress_classes[0].is_default);
  REQUIRE(r.m.ingresses.size() == 1);
  const models::Ingress& ing = r.m.ingresses[0];
  CHECK(ing.metadata.namespace_ == "default");
  CHECK(ing.spec.ingress_class_name == "nginx");
  REQUIRE(ing.spec.default_backend);
  CHECK(ing.spec.default_backend->name == "default-http");
  CHECK(ing.spec.default_backend->port_name == "http");
  REQUIRE(ing.spec.rules.size() == 2);
  CHECK(ing.spec.rules[0].host == "foo.bar.com");
  REQUIRE(ing.spec.rules[0].paths.size() == 2);
  CHECK(ing.spec.rules[0].paths[0].path == "/foo");
  CHECK(ing.spec.rules[0].paths[0].path_type == models::PathType::kPrefix);
  CHECK(ing.spec.rules[0].paths[0].backend.name == "service1");
  CHECK(ing.spec.rules[0].paths[0].backend.port_number == 4200);
  CHECK(ing.spec.rules[0].paths[1].path_type == models::PathType::kExact);
  CHECK(ing.spec.rules[1].host == "*.foo.com");
  CHECK(ing.spec.rules[1].paths[0].path.empty());
  CHECK(ing.spec.rules[1].paths[0].path_type == models::PathType::kImplementationSpecific);
  CHECK(r.m.object_count() == 2);
  // spec.tls is accepted and reported as ignored.
  bool tls = false;
  for (const auto& f : r.m.ignored) tls = tls || f.path == "spec.tls";
  CHECK(tls);
}

TEST_CASE("bad Ingress values are located errors with a hint", "[manifests][ingress]") {
  SECTION("a misspelt pathType") {
    const Diagnostic d = only_error(R"(  rules:
  - http:
      paths:
      - path: /
        pathType: prefix
        backend: {service: {name: web, port: {number: 80}}}
)");
    CHECK(d.line == 10);
    CHECK(d.path == "spec.rules[0].http.paths[0].pathType");
    CHECK(d.format().find("did you mean 'Prefix'") != std::string::npos);
  }
  SECTION("a relative path") {
    const Diagnostic d = only_error(R"(  rules:
  - http:
      paths:
      - path: api
        pathType: Prefix
        backend: {service: {name: web, port: {number: 80}}}
)");
    CHECK(d.path == "spec.rules[0].http.paths[0].path");
    CHECK(d.message.find("absolute path") != std::string::npos);
  }
  SECTION("a Prefix path with '//'") {
    const Diagnostic d = only_error(R"(  rules:
  - http:
      paths:
      - path: /a//b
        pathType: Prefix
        backend: {service: {name: web, port: {number: 80}}}
)");
    CHECK(d.path == "spec.rules[0].http.paths[0].path");
  }
  SECTION("a backend port with both number and name") {
    const Diagnostic d = only_error(R"(  defaultBackend:
    service: {name: web, port: {number: 80, name: http}}
)");
    CHECK(d.path == "spec.defaultBackend.service.port");
    CHECK(d.message.find("exactly one of number and name") != std::string::npos);
  }
  SECTION("a port number out of range") {
    const Diagnostic d = only_error(R"(  defaultBackend:
    service: {name: web, port: {number: 70000}}
)");
    CHECK(d.path == "spec.defaultBackend.service.port.number");
  }
  SECTION("neither rules nor defaultBackend") {
    const Diagnostic d = only_error("  ingressClassName: nginx\n");
    CHECK(d.message.find("either defaultBackend or rules") != std::string::npos);
  }
  SECTION("a wildcard in the middle of a host") {
    const Diagnostic d = only_error(R"(  rules:
  - host: foo.*.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
)");
    CHECK(d.path == "spec.rules[0].host");
    CHECK(d.line == 7);
  }
  SECTION("a resource backend") {
    const Diagnostic d = only_error(R"(  defaultBackend:
    resource: {apiGroup: k8s.example.com, kind: StorageBucket, name: static-assets}
)");
    CHECK(d.path == "spec.defaultBackend.resource");
    CHECK(d.message.find("not modelled") != std::string::npos);
  }
  SECTION("an unknown field") {
    const Diagnostic d = only_error(R"(  rules:
  - hots: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
)");
    CHECK(d.path == "spec.rules[0].hots");
    CHECK(d.format().find("known fields here: host") != std::string::npos);
  }
}

// A scenario with the given workload (under workloads:), an Ingress "shop" and the
// controller's Service.
std::string scenario(const std::string& workload) {
  return R"(apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata:
  name: t
spec:
  duration: 1m
  cluster:
    nodePools: [{name: n, count: 1, cpu: "8", memory: 32Gi}]
  workloads:
)" + workload +
         R"(---
apiVersion: v1
kind: Service
metadata: {name: ctl, namespace: default}
spec:
  selector: {app: ctl}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
)";
}

TEST_CASE("ingress fields of a traffic workload are checked", "[traffic][ingress]") {
  const std::string head = R"(  - name: w
    type: traffic
    traffic: {kind: constant, rate: 1}
)";
  SECTION("a valid workload") {
    const Scenario s = testing::load_scenario_ok(
        scenario(head + "    ingress: default/shop\n    ingressController: {service: ctl}\n"
                        "    routes: [{host: a.example.com, path: /x, weight: 3}, {path: /}]\n"));
    REQUIRE(s.traffic.size() == 1);
    const TrafficWorkloadSpec& t = s.traffic[0];
    CHECK(t.via_ingress());
    CHECK(t.ingress_name == "shop");
    CHECK(t.ingress_controller.service_namespace == "default");
    CHECK(t.ingress_controller.service_name == "ctl");
    CHECK(t.ingress_controller.concurrency == 16384);
    CHECK(t.ingress_controller.queue_limit == 0);
    REQUIRE(t.routes.size() == 2);
    CHECK(t.routes[0].host == "a.example.com");
    CHECK(t.routes[0].weight == 3);
    CHECK(t.routes[1].host.empty());
    CHECK(t.routes[1].path == "/");
  }
  SECTION("both service and ingress") {
    const std::string err = testing::load_scenario_error(
        scenario(head + "    service: default/ctl\n    ingress: default/shop\n"
                        "    ingressController: {service: ctl}\n"));
    CHECK(err.find("exactly one of service and ingress") != std::string::npos);
  }
  SECTION("neither service nor ingress") {
    const std::string err = testing::load_scenario_error(scenario(head));
    CHECK(err.find("spec.workloads[0].service") != std::string::npos);
    CHECK(err.find("exactly one of service and ingress") != std::string::npos);
  }
  SECTION("an unknown Ingress lists the Ingresses") {
    const std::string err = testing::load_scenario_error(
        scenario(head + "    ingress: default/nope\n    ingressController: {service: ctl}\n"));
    CHECK(err.find("no Ingress \"default/nope\"") != std::string::npos);
    CHECK(err.find("default/shop") != std::string::npos);
  }
  SECTION("an unknown controller Service") {
    const std::string err = testing::load_scenario_error(scenario(
        head + "    ingress: default/shop\n    ingressController: {service: ingress-nginx/x}\n"));
    CHECK(err.find("spec.workloads[0].ingressController.service") != std::string::npos);
    CHECK(err.find("no Service \"ingress-nginx/x\"") != std::string::npos);
  }
  SECTION("the controller is required") {
    const std::string err =
        testing::load_scenario_error(scenario(head + "    ingress: default/shop\n"));
    CHECK(err.find("ingressController") != std::string::npos);
  }
  SECTION("host without an ingress") {
    const std::string err = testing::load_scenario_error(
        scenario(head + "    service: default/ctl\n    host: a.example.com\n"));
    CHECK(err.find("spec.workloads[0].host") != std::string::npos);
    CHECK(err.find("applies to traffic through an Ingress") != std::string::npos);
  }
  SECTION("host/path and routes together") {
    const std::string err = testing::load_scenario_error(
        scenario(head + "    ingress: default/shop\n    ingressController: {service: ctl}\n"
                        "    path: /a\n    routes: [{path: /b}]\n"));
    CHECK(err.find("give host/path or routes, not both") != std::string::npos);
  }
  SECTION("a relative request path") {
    const std::string err = testing::load_scenario_error(scenario(
        head + "    ingress: default/shop\n    ingressController: {service: ctl}\n    path: a\n"));
    CHECK(err.find("spec.workloads[0].path") != std::string::npos);
  }
  SECTION("route weights summing to 0") {
    const std::string err = testing::load_scenario_error(
        scenario(head + "    ingress: default/shop\n    ingressController: {service: ctl}\n"
                        "    routes: [{path: /, weight: 0}]\n"));
    CHECK(err.find("weights sum to 0") != std::string::npos);
  }
  SECTION("fluid mode") {
    const std::string err = testing::load_scenario_error(
        scenario(head + "    ingress: default/shop\n    ingressController: {service: ctl}\n"
                        "    mode: fluid\n"));
    CHECK(err.find("spec.workloads[0].mode") != std::string::npos);
    CHECK(err.find("fluid mode is not supported for traffic through an Ingress") !=
          std::string::npos);
  }
  SECTION("a misspelt controller field") {
    const std::string err = testing::load_scenario_error(scenario(
        head +
        "    ingress: default/shop\n    ingressController: {service: ctl, concurency: 4}\n"));
    CHECK(err.find("did you mean 'concurrency'") != std::string::npos);
  }
}

}  // namespace
}  // namespace kubesim::scenarios
