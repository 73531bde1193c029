// spec.autoscaling: how the running cluster's pod autoscalers see metrics and how often
// they act. The metrics pipeline (experiments/metrics_pipeline.hpp) and the HPA controller
// (experiments/hpa_controller.hpp) run only when the scenario has something that reads
// them (a HorizontalPodAutoscaler, ScaledObject or PredictiveAutoscaler manifest); without
// one these settings change nothing.
//
//   autoscaling:
//     metricsServer: {resolution: 15s, delay: 0s}          # metrics.k8s.io (CPU, memory)
//     customMetrics: {interval: 15s, window: 1m, delay: 0s} # custom/external metrics
//     hpa:                                                 # kube-controller-manager flags
//       syncPeriod: 15s
//       tolerance: 0.1
//       cpuInitializationPeriod: 5m
//       initialReadinessDelay: 30s
//       downscaleStabilization: 5m
//
// docs/scenarios.md ("spec.autoscaling") documents every field; docs/autoscaling.md the model.
#pragma once

#include "policies/hpa.hpp"
#include "sim/time.hpp"

namespace kubesim::scenarios {

class FieldReader;

// metrics-server (v0.7, --metric-resolution default 15s): scrapes every kubelet each
// `resolution`; a pod's CPU is the rate of its cumulative CPU time between the last two
// scrapes, so a new pod has metrics from its second scrape on. What a scrape finds becomes
// visible to readers `delay` later.
struct MetricsServerSpec {
  sim::Duration resolution = sim::seconds(15);
  sim::Duration delay = 0;
};

// A Prometheus + adapter pipeline for custom.metrics.k8s.io / external.metrics.k8s.io:
// scraped every `interval`, a value is the rate (or time average) over the last `window`
// of samples, visible `delay` after the scrape.
struct CustomMetricsSpec {
  sim::Duration interval = sim::seconds(15);
  sim::Duration window = sim::minutes(1);
  sim::Duration delay = 0;
};

struct HpaControllerSpec {
  // --horizontal-pod-autoscaler-sync-period (default 15s).
  sim::Duration sync_period = sim::seconds(15);
  policies::HpaControllerOptions options;
};

struct AutoscalingSpec {
  MetricsServerSpec metrics_server;
  CustomMetricsSpec custom_metrics;
  HpaControllerSpec hpa;
};

// Reads spec.autoscaling (every field optional; unknown keys are errors).
AutoscalingSpec read_autoscaling_spec(FieldReader& r);

}  // namespace kubesim::scenarios
