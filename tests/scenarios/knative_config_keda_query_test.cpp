// Knative's config-autoscaler ConfigMap and KEDA prometheus trigger queries, as the manifest
// reader takes them (scenarios/manifests.cpp; policies/kpa.hpp kpa_cluster_config_from_data,
// policies/keda.hpp parse_keda_prometheus_query).
//
// config-autoscaler: knative.dev/serving pkg/autoscaler/config/config.go NewConfigFromMap
// and validate(); expected values from its config_test.go cases (TestNewConfig: "with
// container-concurrency-target-percentage as percent" 80 -> 0.8, "overridden" values,
// "invalid max scale up rate" 1.0, "invalid stable window" 1s, "malformed float").
#include <catch2/catch.hpp>
#include <string>

#include "policies/keda.hpp"
#include "policies/kpa.hpp"
#include "scenarios/manifests.hpp"
#include "tests/support/scenario_loading.hpp"

namespace kubesim::scenarios {
namespace {

using Read = testing::ManifestsRead;

Read read(const std::string& yaml) { return testing::read_manifests(yaml, "a.yaml"); }

std::string config_map(const std::string& data, const std::string& name = "config-autoscaler",
                       const std::string& ns = "knative-serving") {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + ", namespace: " + ns +
         "}\ndata:\n" + data;
}

}  // namespace

TEST_CASE("config-autoscaler: values override the upstream defaults", "[manifests][kpa][config]") {
  Read r = read(config_map(R"(  enable-scale-to-zero: "false"
  max-scale-down-rate: "3.0"
  max-scale-up-rate: "1.01"
  container-concurrency-target-percentage: "80"
  container-concurrency-target-default: "10.5"
  requests-per-second-target-default: "10.11"
  target-burst-capacity: "12345"
  scale-down-delay: 15m
  stable-window: 5m
  panic-window-percentage: "10"
  panic-threshold-percentage: "200"
  activator-capacity: "905"
  scale-to-zero-grace-period: 40s
  scale-to-zero-pod-retention-period: 2m3s
  initial-scale: "3"
  max-scale: "50"
  pod-autoscaler-class: kpa.autoscaling.knative.dev
)"));
  INFO(r.diagnostics.format());
  REQUIRE(r.ok);
  REQUIRE(r.m.knative_autoscaler_config.has_value());
  const policies::KpaClusterConfig& c = *r.m.knative_autoscaler_config;
  CHECK_FALSE(c.enable_scale_to_zero);
  CHECK(c.max_scale_down_rate == 3.0);
  CHECK(c.max_scale_up_rate == 1.01);
  CHECK(c.container_concurrency_target_fraction == Approx(0.8));  // 80 % -> 0.8
  CHECK(c.container_concurrency_target_default == 10.5);
  CHECK(c.rps_target_default == 10.11);
  CHECK(c.target_burst_capacity == 12345);
  CHECK(c.scale_down_delay == sim::minutes(15));
  CHECK(c.stable_window == sim::minutes(5));
  CHECK(c.activator_capacity == 905);
  CHECK(c.scale_to_zero_grace_period == sim::seconds(40));
  CHECK(c.scale_to_zero_pod_retention_period == sim::minutes(2) + sim::seconds(3));
  CHECK(c.initial_scale == 3);
  CHECK(c.max_scale == 50);
  // Not a percentage: a fraction in (0, 1] is kept (legacy form).
  Read f = read(config_map("  container-concurrency-target-percentage: \"0.5\"\n"));
  REQUIRE(f.ok);
  CHECK(f.m.knative_autoscaler_config->container_concurrency_target_fraction == 0.5);
  // The PA's per-pod target follows: default 10.5 x 0.8 = 8.4 for a PA without annotations.
  models::PodAutoscaler pa;
  CHECK(policies::kpa_config_for(pa, c).target_value == Approx(8.4));
}

TEST_CASE("config-autoscaler: an empty one is the defaults; other ConfigMaps are ignored",
          "[manifests][kpa][config]") {
  Read empty = read(config_map("  {}\n"));
  INFO(empty.diagnostics.format());
  REQUIRE(empty.ok);
  REQUIRE(empty.m.knative_autoscaler_config.has_value());
  CHECK(empty.m.knative_autoscaler_config->max_scale_up_rate == 1000);
  CHECK(empty.m.knative_autoscaler_config->stable_window == sim::seconds(60));
  for (const std::string& other :
       {config_map("  max-scale-up-rate: \"nope\"\n", "config-network"),
        config_map("  max-scale-up-rate: \"nope\"\n", "config-autoscaler", "default")}) {
    Read r = read(other);
    INFO(r.diagnostics.format());
    CHECK(r.ok);
    CHECK_FALSE(r.m.knative_autoscaler_config.has_value());
    REQUIRE(r.m.ignored.size() == 1);
    CHECK(r.m.ignored[0].reason.find("ConfigMap") != std::string::npos);
  }
}

TEST_CASE("config-autoscaler: upstream's validation errors, at the key",
          "[manifests][kpa][config]") {
  auto error = [](const std::string& data) {
    Read r = read(config_map(data));
    REQUIRE_FALSE(r.ok);
    REQUIRE(r.diagnostics.size() == 1);
    return r.diagnostics.items()[0];
  };
  Diagnostic d = error("  max-scale-up-rate: \"1.0\"\n");
  CHECK(d.message == "config-autoscaler: max-scale-up-rate must be greater than 1.0");
  CHECK(d.path == "data.max-scale-up-rate");
  CHECK(d.line == 5);
  d = error("  stable-window: 1s\n");
  CHECK(d.message == "config-autoscaler: stable-window must be in [6s; 1h0m0s] range");
  d = error("  stable-window: 5m\n  max-scale-up-rate: fast\n");
  CHECK(d.message ==
        "config-autoscaler: failed to parse data: max-scale-up-rate: invalid number \"fast\"");
  CHECK(d.path == "data.max-scale-up-rate");
  CHECK(d.line == 6);
  d = error("  enable-scale-to-zero: \"maybe\"\n");
  CHECK(d.message ==
        "config-autoscaler: failed to parse data: enable-scale-to-zero: invalid boolean \"maybe\"");
  d = error("  scale-to-zero-grace-period: 0s\n");
  CHECK(d.message == "config-autoscaler: scale-to-zero-grace-period must be positive");
  d = error("  container-concurrency-target-percentage: \"120\"\n");
  CHECK(d.message ==
        "config-autoscaler: container-concurrency-target-percentage is outside of valid range "
        "of (0, 100]");
  d = error("  initial-scale: \"0\"\n");
  CHECK(d.message.find("initial-scale must be at least 1") != std::string::npos);
}

TEST_CASE("KEDA prometheus queries: supported forms", "[policies][keda][query]") {
  struct Case {
    const char* query;
    const char* metric;
    const char* service;
    const char* ns;
  };
  for (const Case& c : {
           Case{"sum(rate(http_requests_total{service=\"web\"}[1m]))", "requests_per_second", "web",
                ""},
           Case{"sum( irate( http_requests_total{ namespace=\"shop\", service=\"api\" }[30s] ) )",
                "requests_per_second", "api", "shop"},
           Case{"sum(requests_per_second{service=\"web\"})", "requests_per_second", "web", ""},
           Case{"sum(concurrency{service=\"llm\",namespace=\"ai\",})", "concurrency", "llm", "ai"},
           Case{"sum(queue_length{service=\"q\"})", "queue_length", "q", ""},
       }) {
    INFO(c.query);
    auto q = policies::parse_keda_prometheus_query(c.query);
    REQUIRE(q.ok());
    CHECK(q->metric == c.metric);
    CHECK(q->service == c.service);
    CHECK(q->namespace_ == c.ns);
  }
}

TEST_CASE("KEDA prometheus queries: unsupported forms say why", "[policies][keda][query]") {
  auto error = [](const std::string& query) {
    auto q = policies::parse_keda_prometheus_query(query);
    REQUIRE_FALSE(q.ok());
    return q.error();
  };
  const std::string p = "unsupported prometheus query \"";
  CHECK(error("rate(http_requests_total{service=\"web\"}[1m])") ==
        p + "rate(http_requests_total{service=\"web\"}[1m])\": expected sum(...) around the "
            "series (KEDA needs one element)");
  CHECK(error("sum(http_requests_total{service=\"web\"})")
            .find("http_requests_total is a counter: write rate(") != std::string::npos);
  CHECK(error("sum(rate(concurrency{service=\"web\"}[1m]))")
            .find("rate() applies to the counter http_requests_total only") != std::string::npos);
  CHECK(error("sum(cpu_seconds{service=\"web\"})").find("unknown metric \"cpu_seconds\"") !=
        std::string::npos);
  CHECK(error("sum(concurrency{pod=\"web-0\"})").find("label \"pod\" is not modelled") !=
        std::string::npos);
  CHECK(error("sum(concurrency{service=~\"web.*\"})").find("regex matchers") != std::string::npos);
  CHECK(error("sum(concurrency{namespace=\"a\"})").find("the service=\"NAME\" label is required") !=
        std::string::npos);
  CHECK(error("sum(rate(http_requests_total{service=\"web\"}))").find("needs a range") !=
        std::string::npos);
  CHECK(error("sum(concurrency{service=\"web\"}) / 2").find("unexpected text") !=
        std::string::npos);
}

TEST_CASE("KEDA trigger: the query names the metric and the Service; errors at the query",
          "[manifests][keda][query]") {
  auto so = [](const std::string& metadata) {
    return R"(apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {name: web}
  triggers:
  - type: prometheus
    metadata:
)" + metadata;
  };
  Read ok =
      read(so("      query: sum(concurrency{service=\"api\",namespace=\"edge\"})\n"
              "      threshold: \"5\"\n"));
  INFO(ok.diagnostics.format());
  REQUIRE(ok.ok);
  const auto& t = ok.m.scaled_objects[0].spec.triggers[0];
  CHECK(t.metric_name == "concurrency");
  CHECK(t.service == "api");
  CHECK(t.service_namespace == "edge");
  CHECK(policies::keda_hpa_for(ok.m.scaled_objects[0]).spec.metrics[0].metric_name ==
        "s0-prometheus");

  Read bad = read(so("      query: sum(up{job=\"x\"})\n      threshold: \"5\"\n"));
  REQUIRE_FALSE(bad.ok);
  REQUIRE(bad.diagnostics.size() == 1);
  const Diagnostic& d = bad.diagnostics.items()[0];
  CHECK(d.line == 9);
  CHECK(d.path == "spec.triggers[0].metadata.query");
  CHECK(d.message.find("unknown metric \"up\"") != std::string::npos);
  CHECK(d.hint.rfind("supported queries: sum(rate(http_requests_total{service=\"NAME\"}[1m]))",
                     0) == 0);

  Read clash =
      read(so("      query: sum(concurrency{service=\"api\"})\n"
              "      metricName: queue_length\n      threshold: \"5\"\n"));
  REQUIRE_FALSE(clash.ok);
  CHECK(clash.diagnostics.items()[0].message ==
        "the query reads concurrency but metricName is \"queue_length\"");

  Read neither = read(so("      threshold: \"5\"\n"));
  REQUIRE_FALSE(neither.ok);
  CHECK(neither.diagnostics.items()[0].message == "metadata.metricName is required");
}

}  // namespace kubesim::scenarios
