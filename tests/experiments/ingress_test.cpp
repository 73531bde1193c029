// Tests of traffic through an Ingress (experiments/ingress_traffic.hpp): requests proxied by
// ingress-controller pods to the backend Services the Ingress's rules pick. Expected values:
// a binomial bound for the route mix, hand timelines for the controller's slots under
// constant arrivals and for the latency of an isolated request, and the conservation law
// of every request ending once.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <string>

#include "experiments/ingress_traffic.hpp"
#include "experiments/scenario_run.hpp"
#include "scenarios/scenario.hpp"
#include "sim/metrics.hpp"
#include "tests/support/scenario_loading.hpp"

namespace kubesim::experiments {
namespace {

using sim::kSecond;

// A Deployment of `replicas` pods labelled app=<name> in `ns`, Ready 5 s after start.
std::string deployment(const std::string& ns, const std::string& name, int replicas) {
  return R"(---
apiVersion: apps/v1
kind: Deployment
metadata: {name: )" +
         name + ", namespace: " + ns + R"(}
spec:
  replicas: )" +
         std::to_string(replicas) + R"(
  selector:
    matchLabels: {app: )" +
         name + R"(}
  template:
    metadata:
      labels: {app: )" +
         name + R"(}
      annotations: {kubesim.io/ready-after: 5s}
    spec:
      containers:
      - name: c
        image: nginx:1.27
        resources:
          requests: {cpu: 100m, memory: 128Mi}
)";
}

std::string service(const std::string& ns, const std::string& name) {
  return "---\napiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: " + ns +
         "}\nspec:\n  selector: {app: " + name + "}\n  ports: [{port: 80}]\n";
}

// shop.example.com: /api (Prefix) → api, / (Prefix) → web; `default_backend` optional.
std::string ingress(bool default_backend) {
  return std::string(R"(---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop}
spec:
)") + (default_backend ? "  defaultBackend: {service: {name: web, port: {number: 80}}}\n" : "") +
         R"(  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
)";
}

// A scenario with one ingress workload `w` (its fields after the common ones), controller
// pods `controllers`, backends api and web with `api`/`web` pods.
std::string scenario(const std::string& duration, const std::string& fields, int controllers,
                     int api, int web, bool default_backend = false) {
  return R"(apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata:
  name: ingress-test
spec:
  seed: 3
  duration: )" +
         duration + R"(
  sampleInterval: 10s
  cluster:
    nodePools:
    - name: n
      count: 2
      cpu: "16"
      memory: 64Gi
  workloads:
  - name: shop
    type: traffic
    ingress: default/shop
    loadBalancing: roundRobin
    endpointDelay: 1s
)" + fields +
         "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ingress-nginx}\n" +
         service("ingress-nginx", "ctl") + deployment("ingress-nginx", "ctl", controllers) +
         ingress(default_backend) + service("default", "api") + service("default", "web") +
         deployment("default", "api", api) + deployment("default", "web", web);
}

std::int64_t counter(const ScenarioRun& run, const std::string& name) {
  const sim::Counter* c = run.metrics().find_counter(name);
  REQUIRE(c != nullptr);
  return c->value();
}

struct Outcomes {
  std::int64_t sent, succeeded, timed_out, rejected, failed;
};

Outcomes outcomes(const ScenarioRun& run, const std::string& n) {
  return {counter(run, n + ".requests_sent"), counter(run, n + ".requests_succeeded"),
          counter(run, n + ".requests_timed_out"), counter(run, n + ".requests_rejected"),
          counter(run, n + ".requests_failed")};
}

// Every sent request ended exactly once (the run drained: nothing in flight).
void check_conservation(const ScenarioRun& run, const std::string& n) {
  INFO(n);
  const Outcomes o = outcomes(run, n);
  const sim::Gauge* in_flight = run.metrics().find_gauge(n + ".in_flight");
  REQUIRE(in_flight != nullptr);
  CHECK(in_flight->value() == 0);
  CHECK(o.sent == o.succeeded + o.timed_out + o.rejected + o.failed);
}

// The workload's outcomes are those of its controller, its 404s and its backends.
void check_decomposition(const ScenarioRun& run) {
  const Outcomes w = outcomes(run, "shop");
  const Outcomes c = outcomes(run, "shop.controller");
  const Outcomes a = outcomes(run, "shop.api");
  const Outcomes b = outcomes(run, "shop.web");
  const std::int64_t not_found = counter(run, "shop.requests_not_found");
  const std::int64_t no_port = counter(run, "shop.requests_no_service_port");
  CHECK(w.sent == c.sent);
  CHECK(c.succeeded == a.sent + b.sent + not_found + no_port);
  CHECK(w.succeeded == a.succeeded + b.succeeded);
  CHECK(w.rejected == c.rejected + a.rejected + b.rejected);
  CHECK(w.timed_out == c.timed_out + a.timed_out + b.timed_out);
  CHECK(w.failed == c.failed + not_found + no_port + a.failed + b.failed);
  for (const char* n : {"shop", "shop.controller", "shop.api", "shop.web"}) {
    check_conservation(run, n);
  }
}

const std::string kMix = R"(    routes:
    - {host: shop.example.com, path: /api/v1/orders, weight: 70}
    - {host: shop.example.com, path: /index.html, weight: 30}
    ingressController: {service: ingress-nginx/ctl, concurrency: 64, proxyTime: 2ms}
    traffic: {kind: poisson, rate: 100, start: 30s, end: 230s}
    server: {model: cpu, concurrency: 8, serviceTime: 10ms}
)";

TEST_CASE("a 70/30 route mix splits requests between two Services by host and path",
          "[traffic][ingress]") {
  ScenarioRun run(testing::load_scenario_ok(scenario("5m", kMix, 2, 2, 2)));
  run.run();
  const std::int64_t n = counter(run, "shop.requests_sent");
  const std::int64_t api = counter(run, "shop.api.requests_sent");
  const std::int64_t web = counter(run, "shop.web.requests_sent");
  // Poisson at 100/s for 200 s: ~20 000 requests.
  CHECK(n > 19'000);
  CHECK(n < 21'000);
  CHECK(api + web == n);
  // Each request draws its route independently: api ~ Binomial(n, 0.7), sd = √(n·0.7·0.3)
  // ≈ 65 for n = 20 000; 4 sd is a bound that fails by chance with probability < 1e-4.
  const double sd = std::sqrt(static_cast<double>(n) * 0.7 * 0.3);
  CHECK(std::abs(static_cast<double>(api) - 0.7 * static_cast<double>(n)) < 4 * sd);
  CHECK(counter(run, "shop.requests_succeeded") == n);
  CHECK(counter(run, "shop.requests_not_found") == 0);
  check_decomposition(run);
  // Plenty of capacity: each request's latency is the proxy time plus the service time,
  // 2 ms + 10 ms (constant), unless it waits; at 100/s over 64 controller slots and 2×8
  // backend workers a wait is rare, so the median is exactly 12 ms.
  const sim::Histogram* e2e = run.metrics().find_histogram("shop.e2e_s");
  REQUIRE(e2e != nullptr);
  CHECK(e2e->min() == Approx(0.012).epsilon(1e-9));
  CHECK(e2e->p50() == Approx(0.012).epsilon(0.02));
  // The controller pool's own latency is its proxy time.
  const sim::Histogram* proxy = run.metrics().find_histogram("shop.controller.e2e_s");
  REQUIRE(proxy != nullptr);
  CHECK(proxy->min() == Approx(0.002).epsilon(1e-9));
  // Summary and report carry the ingress block.
  const std::string summary = run.summary_json();
  CHECK(summary.find("\"ingress\": \"default/shop\"") != std::string::npos);
  CHECK(summary.find("\"controller\": \"ingress-nginx/ctl\"") != std::string::npos);
}

TEST_CASE("the same seed gives the same route draws and outcomes", "[traffic][ingress]") {
  auto run_once = [] {
    ScenarioRun run(testing::load_scenario_ok(scenario("5m", kMix, 2, 2, 2)));
    run.run();
    // The summary without its last block (the host's wall-clock figures).
    const std::string summary = run.summary_json();
    return std::make_pair(counter(run, "shop.api.requests_sent"),
                          summary.substr(0, summary.rfind("\"host\"")));
  };
  const auto a = run_once();
  const auto b = run_once();
  CHECK(a.first == b.first);
  CHECK(a.second == b.second);
}

TEST_CASE("a saturated controller answers 503: rejected count by hand", "[traffic][ingress]") {
  // One controller pod with 2 slots, no queue, constant proxy time 35 ms; constant arrivals
  // every 10 ms from t0. Slot timeline: t0 and t0+10 take the slots (free at t0+35 and
  // t0+45); t0+20, t0+30 find both busy → 503; t0+40 and t0+50 take them again (free at
  // t0+75, t0+85); t0+60, t0+70 → 503; ... every 4 arrivals 2 are proxied, 2 rejected.
  // Arrivals: rate 100 from 30 s to 90 s: 30.01 s ... 89.99 s, 5999 of them (the first one
  // gap after start, as the constant source does). 5999 = 4·1499 + 3: proxied
  // 2·1499 + 2 = 3000, rejected 2999.
  const std::string fields = R"(    path: /api
    host: shop.example.com
    ingressController: {service: ingress-nginx/ctl, concurrency: 2, queueLimit: 0, proxyTime: 35ms}
    traffic: {kind: constant, rate: 100, start: 30s, end: 90s}
    server: {model: cpu, concurrency: 8, serviceTime: 5ms}
)";
  ScenarioRun run(testing::load_scenario_ok(scenario("2m", fields, 1, 1, 1)));
  run.run();
  CHECK(counter(run, "shop.requests_sent") == 5999);
  CHECK(counter(run, "shop.requests_rejected") == 2999);
  CHECK(counter(run, "shop.controller.requests_rejected") == 2999);
  CHECK(counter(run, "shop.requests_succeeded") == 3000);
  CHECK(counter(run, "shop.api.requests_sent") == 3000);
  CHECK(counter(run, "shop.web.requests_sent") == 0);
  check_decomposition(run);
  // A proxied request: 35 ms at the controller, 5 ms at an idle api worker.
  const sim::Histogram* e2e = run.metrics().find_histogram("shop.e2e_s");
  REQUIRE(e2e != nullptr);
  CHECK(e2e->min() == Approx(0.040).epsilon(1e-9));
  CHECK(e2e->max() == Approx(0.040).epsilon(1e-9));
}

TEST_CASE("no matching rule: 404 without a default backend, else the default backend",
          "[traffic][ingress]") {
  // Half the requests go to another host, which no rule names (constant arrivals, 1000).
  const std::string fields = R"(    routes:
    - {host: shop.example.com, path: /api, weight: 1}
    - {host: other.example.org, path: /api, weight: 1}
    ingressController: {service: ingress-nginx/ctl, concurrency: 64, proxyTime: 1ms}
    traffic: {kind: constant, rate: 50, start: 30s, end: 50s}
    server: {model: cpu, concurrency: 8, serviceTime: 5ms}
)";
  SECTION("without defaultBackend: 404, counted as failed") {
    ScenarioRun run(testing::load_scenario_ok(scenario("1m", fields, 1, 1, 1, false)));
    run.run();
    const std::int64_t n = counter(run, "shop.requests_sent");
    CHECK(n == 999);
    const std::int64_t not_found = counter(run, "shop.requests_not_found");
    CHECK(not_found == counter(run, "shop.requests_failed"));
    CHECK(not_found == n - counter(run, "shop.api.requests_sent"));
    CHECK(not_found > 400);
    CHECK(not_found < 600);
    CHECK(counter(run, "shop.web.requests_sent") == 0);
    CHECK(counter(run, "shop.requests_default_backend") == 0);
    check_decomposition(run);
  }
  SECTION("with defaultBackend: the other host goes to web") {
    ScenarioRun run(testing::load_scenario_ok(scenario("1m", fields, 1, 1, 1, true)));
    run.run();
    CHECK(counter(run, "shop.requests_not_found") == 0);
    CHECK(counter(run, "shop.requests_failed") == 0);
    CHECK(counter(run, "shop.requests_default_backend") == counter(run, "shop.web.requests_sent"));
    CHECK(counter(run, "shop.web.requests_sent") + counter(run, "shop.api.requests_sent") ==
          counter(run, "shop.requests_sent"));
    check_decomposition(run);
  }
}

TEST_CASE("a backend Service without endpoints fails its requests", "[traffic][ingress]") {
  // web has no pods: the / requests fail (no endpoint); api's succeed.
  const std::string fields = R"(    routes:
    - {host: shop.example.com, path: /api, weight: 1}
    - {host: shop.example.com, path: /, weight: 1}
    ingressController: {service: ingress-nginx/ctl, concurrency: 64, proxyTime: 1ms}
    traffic: {kind: constant, rate: 50, start: 30s, end: 50s}
    server: {model: cpu, concurrency: 8, serviceTime: 5ms}
)";
  ScenarioRun run(testing::load_scenario_ok(scenario("1m", fields, 1, 1, 0)));
  run.run();
  CHECK(counter(run, "shop.web.requests_failed") == counter(run, "shop.web.requests_sent"));
  CHECK(counter(run, "shop.web.requests_sent") > 0);
  CHECK(counter(run, "shop.requests_failed") == counter(run, "shop.web.requests_sent"));
  CHECK(counter(run, "shop.requests_succeeded") == counter(run, "shop.api.requests_sent"));
  check_decomposition(run);
}

TEST_CASE("every request ends once under controller overload, timeouts and pod churn",
          "[traffic][ingress]") {
  // Poisson 200/s against 1 controller pod with 4 slots and a queue of 8 (proxy 20 ms:
  // capacity 200/s, so it saturates), backends with 1 worker, a small queue and timeouts;
  // an api pod is deleted mid-run with requests on it.
  const std::string fields = R"(    routes:
    - {host: shop.example.com, path: /api, weight: 2}
    - {host: shop.example.com, path: /, weight: 1}
    - {host: nowhere.example, path: /, weight: 1}
    ingressController:
      service: ingress-nginx/ctl
      concurrency: 4
      queueLimit: 8
      proxyTime: {distribution: exponential, mean: 20ms}
    traffic: {kind: poisson, rate: 200, start: 30s, end: 150s}
    server:
      model: cpu
      concurrency: 1
      queueLimit: 4
      queueTimeout: 100ms
      serviceTime: {distribution: exponential, mean: 15ms}
)";
  ScenarioRun run(testing::load_scenario_ok(scenario("4m", fields, 1, 2, 1)));
  run.simulation().schedule_at(90 * kSecond, [&run] {
    auto* c = run.cluster();
    for (const auto& p : c->api().pods().list()) {
      if (p->metadata.labels.find("app") != nullptr && *p->metadata.labels.find("app") == "api") {
        c->delete_pod_now(p->metadata.namespace_, p->metadata.name);
        break;
      }
    }
  });
  run.run();
  const Outcomes w = outcomes(run, "shop");
  CHECK(w.rejected > 0);
  CHECK(w.timed_out + w.rejected > counter(run, "shop.controller.requests_rejected"));
  CHECK(counter(run, "shop.requests_not_found") > 0);
  check_decomposition(run);
}

TEST_CASE("the ingress example scenario runs", "[traffic][ingress][examples]") {
  scenarios::Diagnostics diagnostics;
  auto s = scenarios::load_scenario_file(
      std::string(KUBESIM_SOURCE_DIR) + "/scenarios/examples/ingress.yaml", {}, diagnostics);
  INFO(diagnostics.format());
  REQUIRE(s.has_value());
  ScenarioRun run(std::move(*s));
  run.run();
  check_decomposition(run);
  const std::int64_t n = counter(run, "shop.requests_sent");
  CHECK(n > 80'000);
  // 5 % of the requests go to a host without rule: the default backend (web).
  const double share =
      static_cast<double>(counter(run, "shop.requests_default_backend")) / static_cast<double>(n);
  CHECK(share == Approx(0.05).margin(0.005));
}

TEST_CASE("a backend port that is none of the Service's ports is the controller's 503",
          "[traffic][ingress]") {
  // ingress-nginx matches backend.service.port against the Service's ports (port.number to
  // ports[].port, port.name to ports[].name); an unmatched port has no upstream endpoints.
  // The API accepts the Ingress, so the scenario loads. Half the requests go to /api
  // (number 8080: api's Service has only port 80), half to / (web, by name).
  const std::string fields = R"(    routes:
    - {host: shop.example.com, path: /api, weight: 1}
    - {host: shop.example.com, path: /index.html, weight: 1}
    ingressController: {service: ingress-nginx/ctl, concurrency: 64, proxyTime: 1ms}
    traffic: {kind: constant, rate: 50, start: 30s, end: 50s}
    server: {model: cpu, concurrency: 8, serviceTime: 5ms}
)";
  auto text = [&](const std::string& web_port) {
    std::string t = scenario("1m", fields, 1, 1, 1, false);
    const std::string api_ref = "name: api, port: {number: 80}";
    t.replace(t.find(api_ref), api_ref.size(), "name: api, port: {number: 8080}");
    const std::string web_ref = "name: web, port: {number: 80}";
    t.replace(t.find(web_ref), web_ref.size(), "name: web, port: {name: " + web_port + "}");
    const std::string web_svc = "name: web, namespace: default}\nspec:\n  selector: {app: web}\n"
                                "  ports: [{port: 80}]";
    t.replace(t.find(web_svc), web_svc.size(),
              "name: web, namespace: default}\nspec:\n  selector: {app: web}\n"
              "  ports: [{name: http, port: 80}]");
    return t;
  };
  SECTION("number unmatched, name matched") {
    ScenarioRun run(testing::load_scenario_ok(text("http")));
    run.run();
    const std::int64_t n = counter(run, "shop.requests_sent");
    CHECK(n == 999);
    const std::int64_t no_port = counter(run, "shop.requests_no_service_port");
    const std::int64_t web = counter(run, "shop.web.requests_sent");
    CHECK(counter(run, "shop.api.requests_sent") == 0);
    CHECK(no_port + web == n);
    CHECK(no_port > 400);
    CHECK(no_port < 600);
    CHECK(counter(run, "shop.requests_failed") == no_port);
    CHECK(counter(run, "shop.requests_succeeded") == web);
    check_decomposition(run);
  }
  SECTION("name unmatched too: every request is a 503") {
    ScenarioRun run(testing::load_scenario_ok(text("grpc")));
    run.run();
    CHECK(counter(run, "shop.requests_no_service_port") == 999);
    CHECK(counter(run, "shop.requests_failed") == 999);
    CHECK(counter(run, "shop.web.requests_sent") == 0);
    check_decomposition(run);
  }
}

}  // namespace
}  // namespace kubesim::experiments
