// Tests of `type: traffic` workloads (experiments/service_traffic.hpp): requests sent to a
// Service of the simulated cluster and served by its ready pods. Expected values come from
// queueing theory (M/M/1 per pod under random load balancing), hand timelines (round robin,
// constant arrivals and service) and the EndpointSlice/kube-proxy rules of upstream v1.34
// (a pod is an endpoint while Ready and not terminating; a node's kube-proxy programs a
// committed EndpointSlice change after its watch delay, endpointDelay and its next allowed
// sync: docs/serving.md §4).
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "experiments/scenario_run.hpp"
#include "experiments/service_traffic.hpp"
#include "models/cluster.hpp"
#include "scenarios/scenario.hpp"
#include "tests/support/scenario_loading.hpp"
#include "sim/metrics.hpp"

namespace kubesim::experiments {
namespace {

using sim::kSecond;

scenarios::Scenario load(const std::string& text) { return testing::load_scenario_ok(text); }
std::string load_error(const std::string& text) { return testing::load_scenario_error(text); }

// A cluster of two 8-CPU nodes, a Service web selecting app=web, and `pods` (a Deployment
// or bare Pods); `workload` is the traffic workload's YAML (indented under workloads:).
std::string scenario(const std::string& duration, const std::string& workload,
                     const std::string& pods) {
  return R"(apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata:
  name: traffic-test
spec:
  seed: 11
  duration: )" +
         duration + R"(
  sampleInterval: 10s
  cluster:
    nodePools:
    - name: n
      count: 2
      cpu: "8"
      memory: 32Gi
  workloads:
)" + workload +
         R"(
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80}]
)" + pods;
}

std::string deployment(int replicas) {
  return R"(---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: )" +
         std::to_string(replicas) + R"(
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: c
        image: nginx:1.27
        resources:
          requests: {cpu: 500m, memory: 512Mi}
)";
}

std::string bare_pod(const std::string& name) {
  return R"(---
apiVersion: v1
kind: Pod
metadata:
  name: )" +
         name + R"(
  labels: {app: web}
spec:
  containers:
  - name: c
    image: nginx:1.27
    resources:
      requests: {cpu: 500m, memory: 512Mi}
)";
}

std::int64_t counter(const ScenarioRun& run, const std::string& name) {
  const sim::Counter* c = run.metrics().find_counter(name);
  REQUIRE(c != nullptr);
  return c->value();
}

// Every sent request ended exactly once.
void check_conservation(const ScenarioRun& run, const std::string& n) {
  const std::int64_t sent = counter(run, n + ".requests_sent");
  const std::int64_t ended =
      counter(run, n + ".requests_succeeded") + counter(run, n + ".requests_timed_out") +
      counter(run, n + ".requests_rejected") + counter(run, n + ".requests_failed");
  const sim::Gauge* in_flight = run.metrics().find_gauge(n + ".in_flight");
  REQUIRE(in_flight != nullptr);
  CHECK(in_flight->value() == 0);
  CHECK(ended == sent);
}

TEST_CASE("random load balancing over 4 CPU pods: each pod is M/M/1 at lambda/4", "[traffic]") {
  // λ = 24/s split uniformly (iptables random) over 4 pods with exponential service of mean
  // 100 ms (μ = 10/s): each pod is an M/M/1 queue at λ/4 = 6/s (a random split of a Poisson
  // process is Poisson), so the mean sojourn is 1/(μ − λ/4) = 0.25 s exactly.
  // 2 h of traffic: ~170k requests; the sample mean's standard error is ~1 % (the M/M/1
  // relaxation time at ρ = 0.6 is ~2 s), so 5 % is a > 4σ bound.
  const std::string workload = R"(  - name: web
    type: traffic
    service: default/web
    traffic: {kind: poisson, rate: 24, start: 2m, end: 122m}
    server:
      model: cpu
      concurrency: 1
      serviceTime: {distribution: exponential, mean: 100ms}
    loadBalancing: random
    endpointDelay: 1s
)";
  ScenarioRun run(load(scenario("125m", workload, deployment(4))));
  run.run();
  const sim::Histogram* e2e = run.metrics().find_histogram("web.e2e_s");
  REQUIRE(e2e != nullptr);
  CHECK(counter(run, "web.requests_failed") == 0);
  CHECK(counter(run, "web.requests_sent") > 160'000);
  CHECK(e2e->mean() == Approx(0.25).epsilon(0.05));
  // The M/M/1 sojourn time is exponential with rate μ − λ' = 4/s: p95 = ln 20 / 4 = 0.749 s.
  CHECK(e2e->quantile(0.95) == Approx(std::log(20.0) / 4).epsilon(0.05));
  // Waiting time of M/M/1: ρ/(μ − λ') = 0.6/4 = 0.15 s.
  CHECK(run.metrics().find_histogram("web.queueing_s")->mean() == Approx(0.15).epsilon(0.07));
  check_conservation(run, "web");
  const sim::Gauge* endpoints = run.metrics().find_gauge("web.endpoints");
  REQUIRE(endpoints != nullptr);
  CHECK(endpoints->value() == 4);
  // The summary carries the traffic object.
  const std::string summary = run.summary_json();
  CHECK(summary.find("\"traffic\"") != std::string::npos);
  CHECK(summary.find("\"service\": \"default/web\"") != std::string::npos);
}

// Two bare pods a and b, round robin, constant arrivals 2/s (every 500 ms), constant
// service 300 ms on one worker: the pods alternate, each gets one request per second and
// never queues. Pod a is deleted at 60 s; its endpoint goes 2 s after the delete commits.
// In between round robin still sends every other request (one per second) to a: with fail
// they fail. With retry each is re-sent once and the re-send takes the next rr pick, b; so
// the following new request's pick is a again: during the delay every request (2/s × 2 s =
// 4) hits a and is retried on b, and all succeed.
std::string deletion_workload(const std::string& mode) {
  return R"(  - name: web
    type: traffic
    service: default/web
    traffic: {kind: constant, rate: 2, start: 30s, end: 120s}
    server: {model: cpu, concurrency: 1, serviceTime: 300ms}
    loadBalancing: roundRobin
    endpointDelay: 2s
    onEndpointGone: )" +
         mode + "\n";
}

struct DeletionResult {
  std::int64_t sent, succeeded, failed, retried;
};

DeletionResult run_deletion(const std::string& mode) {
  ScenarioRun run(load(scenario("3m", deletion_workload(mode), bare_pod("a") + bare_pod("b"))));
  run.simulation().schedule_at(60 * kSecond,
                               [&run] { run.cluster()->delete_pod_now("default", "a"); });
  run.run();
  check_conservation(run, "web");
  return {counter(run, "web.requests_sent"), counter(run, "web.requests_succeeded"),
          counter(run, "web.requests_failed"), counter(run, "web.requests_retried")};
}

TEST_CASE("a deleted pod's requests fail or are retried once (onEndpointGone)", "[traffic]") {
  const DeletionResult fail = run_deletion("fail");
  const DeletionResult retry = run_deletion("retry");
  // Arrivals at 30.5 s, 31 s, ..., 119.5 s (constant: first one gap after start): 179.
  CHECK(fail.sent == 179);
  CHECK(retry.sent == 179);
  // During the 2 s delay a receives one request per second: 2 stale hits, plus the request
  // it may be serving when the delete commits (300 ms of every second): 2 or 3.
  CHECK(fail.failed >= 2);
  CHECK(fail.failed <= 3);
  CHECK(fail.retried == 0);
  CHECK(fail.succeeded == fail.sent - fail.failed);
  CHECK(retry.failed == 0);
  CHECK(retry.retried >= 4);
  CHECK(retry.retried <= 5);  // + the request a may be serving when the delete commits
  CHECK(retry.succeeded == retry.sent);
}

TEST_CASE("a Ready pod receives no request before its slice commits + endpointDelay",
          "[traffic]") {
  const std::string workload = R"(  - name: web
    type: traffic
    service: default/web
    traffic: {kind: constant, rate: 1000}
    server: {model: cpu, concurrency: 64, serviceTime: 1ms}
    endpointDelay: 3s
)";
  ScenarioRun run(load(scenario("1m", workload, bare_pod("a"))));
  models::Cluster& cluster = *run.cluster();
  sim::Time ready_at = -1;
  auto w = cluster.api().pods().watch(0, {}, [&](const models::WatchEvent<models::Pod>& e) {
    if (ready_at < 0 && e.object->ready()) ready_at = run.simulation().now();
  });
  REQUIRE(w.ok());
  // When the EndpointSlice controller's write listing the pod as ready commits.
  sim::Time listed_at = -1;
  auto ws = cluster.api().endpoint_slices().watch(
      0, {}, [&](const models::WatchEvent<models::EndpointSlice>& e) {
        for (const auto& ep : e.object->endpoints) {
          if (listed_at < 0 && ep.conditions.ready == true) listed_at = run.simulation().now();
        }
      });
  REQUIRE(ws.ok());
  run.run();
  REQUIRE(ready_at >= 0);
  REQUIRE(listed_at > ready_at);  // informer delay + the controller's API write
  const sim::Time delay = 3 * kSecond;
  // Every request before listed_at + delay found no endpoint (each node's kube-proxy takes
  // the change at listed_at + its watch delay + endpointDelay, and its last sync is long
  // ago) and failed; after both nodes' syncs — their watch delays are below 300 ms — the
  // constant stream (1 ms apart) reaches the pod.
  const std::int64_t failed = counter(run, "web.requests_failed");
  const std::int64_t expected_failed = (listed_at + delay) / sim::kMillisecond;  // 1 ms ..
  CHECK(failed >= expected_failed - 1);
  CHECK(failed <= expected_failed + 300);
  CHECK(counter(run, "web.requests_succeeded") + failed +
            run.metrics().find_gauge("web.in_flight")->value() ==
        counter(run, "web.requests_sent"));
}

TEST_CASE("kube-proxy syncs endpoint changes at most once per minSyncPeriod", "[traffic]") {
  // Pods a and b turn Ready at t_a < t_b (b's readiness delay is 500 ms longer; the kubelet
  // adds its own spread), less than 3 s apart; their slice writes commit a few ms later.
  // Their readiness delays (10 s) put the syncs of the earlier slice changes (the
  // placeholder, the pods listed not ready) more than minSyncPeriod before a's change.
  // Each node's kube-proxy syncs a's change at once (its last sync is long ago), at
  // c_a + its watch delay + endpointDelay; b's change arrives at c_b + watch delay +
  // endpointDelay and goes into that proxy's next sync, minSyncPeriod (3 s) after the first.
  // With minSyncPeriod 0 it is synced when it arrives. Round robin at 1000 req/s over two
  // entry nodes: an endpoint gets a request within a few ms of entering a node's rules. The
  // two nodes' watch-delay draws (p99 50 ms) and the controller's write latencies shift the
  // gaps by less than 150 ms.
  struct Gaps {
    double routed = 0;
    double ready = 0;
    double first = 0;  // when a first got a request
  };
  auto gaps = [&](const std::string& min_sync, const std::string& extra = {}) {
    const std::string workload = R"(  - name: web
    type: traffic
    service: default/web
    traffic: {kind: constant, rate: 1000}
    server: {model: cpu, concurrency: 64, serviceTime: 1ms}
    loadBalancing: roundRobin
    endpointDelay: 1s
    kubeProxy: {minSyncPeriod: )" +
                                 min_sync + extra + "}\n";
    std::string pods = bare_pod("a") + bare_pod("b");
    pods.replace(pods.find("  labels: {app: web}", pods.find("name: b")), 20,
                 "  labels: {app: web}\n  annotations: {kubesim.io/ready-after: 11500ms}");
    pods.replace(pods.find("  labels: {app: web}"), 20,
                 "  labels: {app: web}\n  annotations: {kubesim.io/ready-after: 10s}");
    ScenarioRun run(load(scenario("60s", workload, pods)));
    std::map<std::string, sim::Time> ready;
    auto w = run.cluster()->api().pods().watch(0, {}, [&](const models::WatchEvent<models::Pod>& e) {
      if (e.object->ready()) ready.try_emplace(e.object->metadata.name, run.simulation().now());
    });
    REQUIRE(w.ok());
    run.run();
    REQUIRE(ready.size() == 2);
    const ServiceTraffic& t = *run.traffic().at(0);
    const sim::Time a = t.first_routed("default/a");
    const sim::Time b = t.first_routed("default/b");
    REQUIRE(a >= 0);
    REQUIRE(b >= 0);
    return Gaps{sim::to_seconds(b - a), sim::to_seconds(ready["b"] - ready["a"]),
                sim::to_seconds(a)};
  };
  const Gaps batched = gaps("3s");
  INFO("Ready " << batched.ready << " s apart");
  REQUIRE(batched.ready > 0);
  REQUIRE(batched.ready < 3);
  CHECK(batched.routed == Approx(3.0).margin(0.15));  // the second sync, 3 s after the first
  const Gaps immediate = gaps("0s");
  CHECK(immediate.ready == Approx(batched.ready).margin(1e-9));  // same run up to the proxy
  CHECK(immediate.routed == Approx(immediate.ready).margin(0.15));
  // A sync that takes 2 s (syncDuration) programs each change 2 s later; the run up to the
  // proxies is the same (the durations come from their own stream).
  const Gaps slow = gaps("0s", ", syncDuration: 2s");
  CHECK(slow.ready == Approx(immediate.ready).margin(1e-9));
  CHECK(slow.first - immediate.first == Approx(2.0).margin(0.01));
}

TEST_CASE("every request ends exactly once under overload, timeouts and pod churn", "[traffic]") {
  // Overload 4 pods (λ = 100/s against 4 × 10/s) with a small queue and a queue timeout,
  // delete a pod mid-run (the Deployment replaces it), stop sending at 4 min and drain.
  const std::string workload = R"(  - name: web
    type: traffic
    service: default/web
    traffic: {kind: poisson, rate: 100, start: 30s, end: 4m}
    server:
      model: cpu
      concurrency: 1
      queueLimit: 5
      queueTimeout: 300ms
      serviceTime: {distribution: exponential, mean: 100ms}
    loadBalancing: leastConnections
    onEndpointGone: retry
)";
  ScenarioRun run(load(scenario("5m", workload, deployment(4))));
  run.simulation().schedule_at(2 * sim::kMinute, [&run] {
    for (const auto& p : run.cluster()->api().pods().list()) {
      run.cluster()->delete_pod_now(p->metadata.namespace_, p->metadata.name);
      break;
    }
  });
  run.run();
  check_conservation(run, "web");
  CHECK(counter(run, "web.requests_succeeded") > 0);
  CHECK(counter(run, "web.requests_rejected") > 0);
  CHECK(counter(run, "web.requests_timed_out") > 0);
  // Served throughput cannot exceed capacity: 4 pods × 10/s × 210 s (+ slack for noise).
  CHECK(counter(run, "web.requests_succeeded") < 4 * 10 * 210 * 11 / 10);
  CHECK(run.metrics().find_gauge("web.endpoints")->value() == 4);
}

TEST_CASE("an LLM pod behind a Service: ttft and e2e of an isolated request by hand", "[traffic]") {
  // H100 profile (docs/serving.md): prefill 20,000 tokens/s, decode step 6.5 ms at batch 1.
  // One request every 10 s (never two in the batch) with 2,000 input and 10 output tokens:
  //   first iteration = 2000 / 20000 s + 6.5 ms = 106.5 ms  (ttft)
  //   completion      = 106.5 ms + 9 × 6.5 ms  = 165 ms     (e2e)
  const std::string workload = R"(  - name: chat
    type: traffic
    service: default/web
    traffic: {kind: constant, rate: 0.1, start: 1m, end: 9m, inputTokens: 2000, outputTokens: 10}
    server: {model: llm, gpu: H100, concurrency: 8}
)";
  ScenarioRun run(load(scenario("10m", workload, bare_pod("a"))));
  run.run();
  const sim::Histogram* ttft = run.metrics().find_histogram("chat.ttft_s");
  const sim::Histogram* e2e = run.metrics().find_histogram("chat.e2e_s");
  REQUIRE(ttft != nullptr);
  REQUIRE(e2e != nullptr);
  // 70 s, 80 s, ..., 530 s (none at or after end = 540 s)
  CHECK(counter(run, "chat.requests_sent") == 47);
  CHECK(ttft->count() == 47);
  CHECK(ttft->min() == Approx(0.1065).epsilon(1e-9));
  CHECK(ttft->max() == Approx(0.1065).epsilon(1e-9));
  CHECK(e2e->min() == Approx(0.165).epsilon(1e-9));
  CHECK(e2e->max() == Approx(0.165).epsilon(1e-9));
  check_conservation(run, "chat");
}

TEST_CASE("traffic workload input errors are reported with a hint", "[traffic][scenario]") {
  SECTION("unknown Service") {
    const std::string w = R"(  - name: web
    type: traffic
    service: default/nope
    traffic: {kind: poisson, rate: 1}
)";
    const std::string err = load_error(scenario("1m", w, ""));
    CHECK(err.find("no Service \"default/nope\"") != std::string::npos);
    CHECK(err.find("default/web") != std::string::npos);  // the hint lists the Services
  }
  SECTION("a misspelt load-balancing mode") {
    const std::string w = R"(  - name: web
    type: traffic
    service: default/web
    traffic: {kind: poisson, rate: 1}
    loadBalancing: roundrobin
)";
    const std::string err = load_error(scenario("1m", w, ""));
    INFO(err);
    CHECK(err.find("inline.yaml:20:20: spec.workloads[0].loadBalancing") != std::string::npos);
    CHECK(err.find("did you mean 'roundRobin'") != std::string::npos);
  }
  SECTION("an unknown traffic field and a bad kind") {
    const std::string w = R"(  - name: web
    type: traffic
    service: default/web
    traffic: {kind: diurnl, peek: 3}
)";
    const std::string err = load_error(scenario("1m", w, ""));
    CHECK(err.find("diurnal") != std::string::npos);
    CHECK(err.find("peak") != std::string::npos);
  }
  SECTION("an unknown GPU profile") {
    const std::string w = R"(  - name: web
    type: traffic
    service: default/web
    traffic: {kind: poisson, rate: 1}
    server: {gpu: B300}
)";
    const std::string err = load_error(scenario("1m", w, ""));
    CHECK(err.find("spec.workloads[0].server.gpu") != std::string::npos);
  }
  SECTION("kubeProxy.syncPeriod must be positive (kube-proxy's validation)") {
    const std::string w = R"(  - name: web
    type: traffic
    service: default/web
    traffic: {kind: poisson, rate: 1}
    kubeProxy: {minSyncPeriod: 2s, syncPeriod: 0s}
)";
    const std::string err = load_error(scenario("1m", w, ""));
    INFO(err);
    CHECK(err.find("spec.workloads[0].kubeProxy.syncPeriod") != std::string::npos);
    CHECK(err.find("must be greater than 0") != std::string::npos);
  }
}

TEST_CASE("kubeProxy fields and endpointDelay defaults", "[traffic][scenario]") {
  const std::string w = R"(  - name: web
    type: traffic
    service: default/web
    traffic: {kind: poisson, rate: 1}
    kubeProxy: {minSyncPeriod: 2s, syncPeriod: 45s}
)";
  const scenarios::Scenario s = load(scenario("1m", w, ""));
  REQUIRE(s.traffic.size() == 1);
  CHECK(s.traffic[0].kube_proxy_min_sync_period == 2 * kSecond);
  CHECK(s.traffic[0].kube_proxy_sync_period == 45 * kSecond);
  // endpointDelay is an extra delay now that the propagation is modelled: 0 by default.
  CHECK(s.traffic[0].endpoint_delay == 0);
}

}  // namespace
}  // namespace kubesim::experiments
