// Tests of the KEDA ScaledObject (keda.sh/v1alpha1) and Knative PodAutoscaler
// (autoscaling.internal.knative.dev/v1alpha1) readers of scenarios/manifests.cpp: defaults
// (KEDA scaledobject_types.go: pollingInterval 30, cooldownPeriod 300, min 0, max 100),
// one located diagnostic per class of bad input, and the Knative annotation checks of
// policies/kpa.hpp reported at the annotation.
#include <catch2/catch.hpp>
#include <string>

#include "policies/kpa.hpp"
#include "scenarios/manifests.hpp"
#include "tests/support/scenario_loading.hpp"

namespace kubesim::scenarios {
namespace {

using Read = testing::ManifestsRead;

Read read(const std::string& yaml) { return testing::read_manifests(yaml, "a.yaml"); }

Diagnostic only_error(const std::string& yaml) {
  Read r = read(yaml);
  INFO(r.diagnostics.format());
  REQUIRE_FALSE(r.ok);
  REQUIRE(r.diagnostics.size() == 1);
  return r.diagnostics.items()[0];
}

constexpr const char* kScaledObject = R"(apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: llm
  namespace: ai
spec:
  scaleTargetRef:
    name: llm-server
  cooldownPeriod: 120
  maxReplicaCount: 12
  advanced:
    horizontalPodAutoscalerConfig:
      behavior:
        scaleDown:
          stabilizationWindowSeconds: 60
  triggers:
  - type: prometheus
    metadata:
      serverAddress: http://prometheus.monitoring:9090
      query: sum(rate(http_requests_total{service="llm"}[1m]))
      metricName: requests_per_second
      threshold: "50"
      activationThreshold: "0.5"
  - type: metrics-api
    metricType: Value
    metadata:
      url: http://llm/queue
      valueLocation: queue.length
      metricName: queue_length
      targetValue: "8"
)";

constexpr const char* kPodAutoscaler = R"(apiVersion: autoscaling.internal.knative.dev/v1alpha1
kind: PodAutoscaler
metadata:
  name: hello-00001
  annotations:
    autoscaling.knative.dev/class: kpa.autoscaling.knative.dev
    autoscaling.knative.dev/target: "10"
    autoscaling.knative.dev/max-scale: "20"
    autoscaling.knative.dev/window: 40s
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: hello-00001-deployment
  containerConcurrency: 0
  reachability: Reachable
  protocolType: http1
)";

TEST_CASE("a KEDA ScaledObject is read with KEDA's defaults", "[manifests][keda]") {
  Read r = read(kScaledObject);
  INFO(r.diagnostics.format());
  REQUIRE(r.ok);
  REQUIRE(r.m.scaled_objects.size() == 1);
  CHECK(r.m.object_count() == 1);
  const auto& so = r.m.scaled_objects[0];
  CHECK(so.metadata.namespace_ == "ai");
  CHECK(so.spec.scale_target_ref.api_version == "apps/v1");
  CHECK(so.spec.scale_target_ref.kind == "Deployment");
  CHECK(so.spec.scale_target_ref.name == "llm-server");
  CHECK(so.spec.polling_interval_seconds == 30);
  CHECK(so.spec.cooldown_period_seconds == 120);
  CHECK(so.spec.min_replica_count == 0);
  CHECK(so.spec.max_replica_count == 12);
  CHECK_FALSE(so.spec.idle_replica_count.has_value());
  CHECK(so.spec.has_behavior);
  REQUIRE(so.spec.scale_down.has_value());
  CHECK(so.spec.scale_down->stabilization_window_seconds == 60);
  REQUIRE(so.spec.triggers.size() == 2);
  const auto& p = so.spec.triggers[0];
  CHECK(p.type == "prometheus");
  CHECK(p.metric_name == "requests_per_second");
  CHECK(p.threshold_milli == 50'000);
  CHECK(p.activation_threshold_milli == 500);
  CHECK(p.metric_type == models::KedaMetricType::kAverageValue);
  CHECK(p.metadata.size() == 5);  // every key kept, sorted
  CHECK(p.metadata[0].first == "activationThreshold");
  const auto& q = so.spec.triggers[1];
  CHECK(q.metric_type == models::KedaMetricType::kValue);
  CHECK(q.threshold_milli == 8'000);  // metrics-api's own key, targetValue
  CHECK(q.metric_name == "queue_length");
}

TEST_CASE("a Knative PodAutoscaler is read and its annotations drive the KPA", "[manifests][kpa]") {
  Read r = read(kPodAutoscaler);
  INFO(r.diagnostics.format());
  REQUIRE(r.ok);
  REQUIRE(r.m.pod_autoscalers.size() == 1);
  CHECK(r.m.object_count() == 1);
  const auto& pa = r.m.pod_autoscalers[0];
  CHECK(pa.metadata.namespace_ == "default");
  CHECK(pa.spec.scale_target_ref.name == "hello-00001-deployment");
  CHECK(pa.spec.reachability == "Reachable");
  const policies::KpaConfig c = policies::kpa_config_for(pa);
  CHECK(c.target_value == Approx(7));  // 10 × 70 %
  CHECK(c.max_scale == 20);
  CHECK(c.stable_window == sim::seconds(40));
  CHECK(c.panic_window == sim::seconds(4));  // 10 % of 40 s
}

TEST_CASE("bad ScaledObjects are located errors", "[manifests][keda]") {
  auto so = [](const std::string& spec_tail, const std::string& trigger_meta =
                                                 "      metricName: requests_per_second\n"
                                                 "      threshold: \"50\"\n") {
    return std::string(
               "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n"
               "  name: s\nspec:\n  scaleTargetRef:\n    name: d\n") +
           spec_tail + "  triggers:\n  - type: prometheus\n    metadata:\n" + trigger_meta;
  };
  SECTION("a typo in a spec field gets a did-you-mean") {
    const Diagnostic d = only_error(so("  pollingIntervall: 10\n"));
    CHECK(d.line == 8);
    CHECK(d.path == "spec.pollingIntervall");
    CHECK(d.hint == "did you mean 'pollingInterval'?");
  }
  SECTION("an unknown simulator metric") {
    const Diagnostic d = only_error(so("",
                                       "      metricName: request_per_second\n"
                                       "      threshold: \"50\"\n"));
    CHECK(d.line == 11);
    CHECK(d.column == 19);
    CHECK(d.path == "spec.triggers[0].metadata.metricName");
    CHECK(d.hint == "did you mean 'requests_per_second'?");
  }
  SECTION("threshold must be a positive quantity") {
    const Diagnostic d = only_error(so("",
                                       "      metricName: concurrency\n"
                                       "      threshold: \"0\"\n"));
    CHECK(d.line == 12);
    CHECK(d.message == "must be greater than 0");
    const Diagnostic e = only_error(so("",
                                       "      metricName: concurrency\n"
                                       "      threshold: lots\n"));
    CHECK(e.message.find("invalid threshold") == 0);
  }
  SECTION("missing metricName") {
    const Diagnostic d = only_error(so("", "      threshold: \"5\"\n"));
    CHECK(d.message == "metadata.metricName is required");
  }
  SECTION("minReplicaCount above maxReplicaCount") {
    const Diagnostic d = only_error(so("  minReplicaCount: 5\n  maxReplicaCount: 3\n"));
    CHECK(d.path == "spec.maxReplicaCount");
    CHECK(d.message == "MinReplicaCount=5 must be less than MaxReplicaCount=3");
  }
  SECTION("idleReplicaCount must be below minReplicaCount") {
    const Diagnostic d = only_error(so("  idleReplicaCount: 1\n  minReplicaCount: 1\n"));
    CHECK(d.path == "spec.idleReplicaCount");
  }
  SECTION("trigger types other than prometheus and metrics-api") {
    Read r = read(
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: s\n"
        "spec:\n  scaleTargetRef:\n    name: d\n  triggers:\n  - type: kafka\n"
        "    metadata:\n      metricName: queue_length\n      threshold: \"5\"\n");
    REQUIRE_FALSE(r.ok);
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics.items()[0].line == 9);
    CHECK(r.diagnostics.items()[0].message.find("\"kafka\" is not modelled") != std::string::npos);
  }
  SECTION("Utilization is for cpu and memory triggers") {
    Read r = read(
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: s\n"
        "spec:\n  scaleTargetRef:\n    name: d\n  triggers:\n  - type: prometheus\n"
        "    metricType: Utilization\n"
        "    metadata:\n      metricName: queue_length\n      threshold: \"5\"\n");
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics.items()[0].path == "spec.triggers[0].metricType");
  }
  SECTION("no triggers") {
    Read r = read(
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: s\n"
        "spec:\n  scaleTargetRef:\n    name: d\n");
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics.items()[0].path == "spec.triggers");
  }
  SECTION("wrong apiVersion") {
    Read r = read("apiVersion: keda.sh/v1\nkind: ScaledObject\nmetadata:\n  name: s\n");
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics.items()[0].hint == "write apiVersion: keda.sh/v1alpha1");
  }
}

TEST_CASE("the metadata typo case reports the typo and the missing threshold",
          "[manifests][keda]") {
  Read r = read(
      "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: s\n"
      "spec:\n  scaleTargetRef:\n    name: d\n  triggers:\n  - type: prometheus\n"
      "    metadata:\n      metricName: concurrency\n      treshold: \"50\"\n");
  INFO(r.diagnostics.format());
  REQUIRE(r.diagnostics.size() == 2);
  const auto& typo = r.diagnostics.items()[0];
  CHECK(typo.line == 12);
  CHECK(typo.path == "spec.triggers[0].metadata.treshold");
  CHECK(typo.hint == "did you mean 'threshold'?");
  CHECK(r.diagnostics.items()[1].message == "metadata.threshold is required");
}

TEST_CASE("bad PodAutoscalers are located errors", "[manifests][kpa]") {
  auto pa = [](const std::string& annotations, const std::string& spec_tail = "") {
    return std::string(
               "apiVersion: autoscaling.internal.knative.dev/v1alpha1\nkind: PodAutoscaler\n"
               "metadata:\n  name: p\n  annotations:\n") +
           annotations + "spec:\n  scaleTargetRef:\n    name: d\n" + spec_tail;
  };
  SECTION("an out-of-range annotation, at its value") {
    const Diagnostic d =
        only_error(pa("    autoscaling.knative.dev/panic-threshold-percentage: \"105\"\n"));
    CHECK(d.line == 6);
    CHECK(d.column == 57);
    CHECK(d.path == "metadata.annotations.autoscaling.knative.dev/panic-threshold-percentage");
    CHECK(d.message == "expected 110 <= value <= 1000 (value \"105\")");
  }
  SECTION("an unknown annotation key gets a did-you-mean") {
    const Diagnostic d = only_error(pa("    autoscaling.knative.dev/minScale: \"1\"\n"));
    CHECK(d.hint == "did you mean 'autoscaling.knative.dev/min-scale'?");
  }
  SECTION("max-scale below min-scale") {
    const Diagnostic d =
        only_error(pa("    autoscaling.knative.dev/min-scale: \"4\"\n"
                      "    autoscaling.knative.dev/max-scale: \"2\"\n"));
    CHECK(d.line == 7);
    CHECK(d.message.find("max-scale=2 is less than min-scale=4") == 0);
  }
  SECTION("the HPA class is not the KPA") {
    const Diagnostic d =
        only_error(pa("    autoscaling.knative.dev/class: hpa.autoscaling.knative.dev\n"));
    CHECK(d.message.find("Knative's HPA class") != std::string::npos);
  }
  SECTION("a window with sub-second precision") {
    const Diagnostic d = only_error(pa("    autoscaling.knative.dev/window: 10500ms\n"));
    INFO(d.message);
    CHECK(d.message.find("at most second precision") != std::string::npos);
  }
  SECTION("containerConcurrency above 1000") {
    const Diagnostic d =
        only_error(pa("    other.example.com/x: y\n", "  containerConcurrency: 2000\n"));
    CHECK(d.path == "spec.containerConcurrency");
    CHECK(d.line == 10);
  }
  SECTION("an unknown reachability") {
    const Diagnostic d =
        only_error(pa("    other.example.com/x: y\n", "  reachability: Sometimes\n"));
    CHECK(d.path == "spec.reachability");
  }
}

}  // namespace
}  // namespace kubesim::scenarios
