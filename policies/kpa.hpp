// Knative Pod Autoscaler (KPA) decision logic, as Knative Serving v1.x computes it:
//   * pkg/autoscaler/scaling/autoscaler.go (Scale: stable and panic windows, panic mode,
//     max scale up/down rate, activation scale, excess burst capacity, scale-down delay);
//   * pkg/autoscaler/aggregation/bucketing.go (TimedFloat64Buckets: the linear window
//     average over 1 s buckets; WeightedFloat64Buckets: the weightedExponential average)
//     and aggregation/max/timewindow.go (scale-down delay);
//   * pkg/autoscaler/metrics/collector.go (one stable and one panic window per revision, both
//     of the algorithm the metric-aggregation-algorithm annotation picks);
//   * pkg/autoscaler/config/config.go (config-autoscaler defaults and validation);
//   * pkg/apis/autoscaling/annotation_validation.go (per-revision annotations);
//   * pkg/reconciler/autoscaling/kpa/resources/decider.go (MakeDecider, GetInitialScale),
//     pkg/reconciler/autoscaling/resources/target.go (ResolveMetricTarget) and metric.go
//     (panic window = stable window × percentage, rounded to a second, at least 1 s);
//   * pkg/reconciler/autoscaling/kpa/scaler.go (min/max and initial scale, handleScaleToZero)
//     and kpa.go (computeActiveCondition: Active / Activating / Inactive).
// Written from those files; the arithmetic (float ceil/floor, strict/non-strict time
// comparisons) is upstream's.
//
// Pure and clock-free: the caller (the runtime driver) owns time. Every second it calls
// record(now, value) with the revision's total observed concurrency (or requests in the
// last second for metric rps) summed over its pods — what the collector's 1 s scrape
// records, including zeros while pods exist and the activator's share while at zero.
// Every tick (KpaConfig::tick_interval, 2 s) it calls scale(now, ready_pods) and writes
// KpaDecision::replicas to the scale target's spec.replicas when it is set (it may equal
// the current value; upstream skips that no-op patch). The scale target starts at
// KpaConfig::initial_scale replicas: upstream's Revision reconciler creates the Deployment
// so; the KPA does not scale it up from nothing before metrics arrive.
//
// Simplifications (docs/autoscaling.md, "Knative KPA"): one autoscaler replica (no
// bucket/leader sharding), the scraper sees every pod (no sampling), the SKS is taken to
// switch to proxy mode the moment the PA turns Inactive (so "proxied for" = "inactive
// for"), no live window resize (upstream ResizeWindow: kubesim's PA annotations do not change
// while it runs).
//
// Not thread-safe: a KpaAutoscaler belongs to one PodAutoscaler.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "models/autoscaling_objects.hpp"
#include "models/labels.hpp"
#include "sim/status.hpp"
#include "sim/time.hpp"

namespace kubesim::policies {

// config-autoscaler (knative-serving namespace): cluster-wide defaults, upstream's
// defaultConfig() in pkg/autoscaler/config/config.go and config/core/configmaps/autoscaler.yaml.
struct KpaClusterConfig {
  bool enable_scale_to_zero = true;                    // enable-scale-to-zero
  double container_concurrency_target_fraction = 0.7;  // container-concurrency-target-percentage
  double container_concurrency_target_default = 100;   // container-concurrency-target-default
  double target_utilization = 0.7;                     // (rps: same 70 %)
  double rps_target_default = 200;                     // requests-per-second-target-default
  double max_scale_up_rate = 1000;                     // max-scale-up-rate
  double max_scale_down_rate = 2;                      // max-scale-down-rate
  double target_burst_capacity = 211;                  // target-burst-capacity (-1: unlimited)
  double panic_window_percentage = 10;                 // panic-window-percentage
  double panic_threshold_percentage = 200;             // panic-threshold-percentage
  double activator_capacity = 100;                     // activator-capacity
  sim::Duration stable_window = sim::seconds(60);      // stable-window
  sim::Duration scale_to_zero_grace_period = sim::seconds(30);  // scale-to-zero-grace-period
  sim::Duration scale_to_zero_pod_retention_period = 0;  // scale-to-zero-pod-retention-period
  sim::Duration scale_down_delay = 0;                    // scale-down-delay
  std::int32_t initial_scale = 1;                        // initial-scale
  bool allow_zero_initial_scale = false;                 // allow-zero-initial-scale
  std::int32_t max_scale = 0;                            // max-scale (0: unlimited)
  sim::Duration tick_interval = sim::seconds(2);         // autoscaler tickInterval (constant)
  // config-deployment progress-deadline (600 s) + activationTimeoutBuffer (10 s): a PA stuck
  // Activating this long may scale to zero (scaler.go).
  sim::Duration activation_timeout = sim::seconds(610);
};

// Checks a KpaClusterConfig as upstream's validate() does; "" when fine.
std::string validate_kpa_cluster_config(const KpaClusterConfig& config);

// The ConfigMap that holds it: config-autoscaler in knative-serving.
inline constexpr std::string_view kKnativeAutoscalerConfigMap = "config-autoscaler";
inline constexpr std::string_view kKnativeServingNamespace = "knative-serving";

// config-autoscaler's data (key, value) -> the cluster config (upstream NewConfigFromMap:
// bool, float, int32 and duration keys; a container-concurrency-target-percentage above 1
// is a percentage and divided by 100; unknown keys ignored; then validate()). Errors:
// InvalidArgument "config-autoscaler: failed to parse data: KEY: invalid ... \"VALUE\"" or
// "config-autoscaler: " + validate()'s message.
sim::Result<KpaClusterConfig> kpa_cluster_config_from_data(
    const std::vector<std::pair<std::string, std::string>>& data);

enum class KpaMetric : std::uint8_t { kConcurrency, kRps };

// autoscaling.knative.dev/metric-aggregation-algorithm (pkg/apis/autoscaling/register.go):
// how a window's 1 s buckets are averaged. kLinear: TimedFloat64Buckets (the plain average,
// the default); kWeightedExponential: WeightedFloat64Buckets ("weighted-exponential" or its
// alternate spelling "weightedExponential"). It applies to the stable and the panic window
// alike (collector.go newCollection). config-autoscaler has no key for it.
enum class KpaAggregation : std::uint8_t { kLinear, kWeightedExponential };
std::string_view to_string(KpaAggregation aggregation);

// The effective per-revision configuration: upstream's DeciderSpec, the Metric's windows,
// the PA's scale bounds and the scale-to-zero settings, after annotations.
struct KpaConfig {
  KpaMetric metric = KpaMetric::kConcurrency;
  KpaAggregation aggregation = KpaAggregation::kLinear;
  double target_value = 70;  // per-pod target (TargetValue: total × utilization, >= 0.01)
  double total_value = 100;  // per-pod capacity (TotalValue)
  double target_burst_capacity = 211;
  double panic_threshold = 2.0;  // fraction: panic-threshold-percentage / 100
  double max_scale_up_rate = 1000;
  double max_scale_down_rate = 2;
  sim::Duration stable_window = sim::seconds(60);
  sim::Duration panic_window = sim::seconds(6);
  sim::Duration scale_down_delay = 0;
  std::int32_t activation_scale = 1;  // autoscaling.knative.dev/activation-scale
  std::int32_t initial_scale = 1;
  std::int32_t min_scale = 0;
  std::int32_t max_scale = 0;  // 0: unlimited
  bool reachable = true;       // spec.reachability != Unreachable
  bool enable_scale_to_zero = true;
  sim::Duration scale_to_zero_grace_period = sim::seconds(30);
  sim::Duration scale_to_zero_pod_retention_period = 0;
  sim::Duration tick_interval = sim::seconds(2);
  sim::Duration activation_timeout = sim::seconds(610);
};

// One bad annotation: its key (full, with the prefix), value and what is wrong.
struct KpaAnnotationError {
  std::string key;
  std::string value;
  std::string message;
  bool unknown_key = false;  // not an annotation kubesim knows (the reader adds did-you-mean)
};

// The autoscaling.knative.dev/* annotation keys kubesim reads, full names.
const std::vector<std::string>& kpa_annotation_keys();

// Checks the autoscaling.knative.dev/* annotations (upstream ValidateAnnotations plus: an
// unknown key under the prefix is an error here, where upstream ignores it, since it is
// almost always a typo). Other annotations are not looked at.
std::vector<KpaAnnotationError> validate_kpa_annotations(const models::Labels& annotations,
                                                         const KpaClusterConfig& cluster = {});

// The effective configuration of a PodAutoscaler (upstream MakeDecider + MakeMetric +
// ScaleBounds + GetInitialScale). Bad annotations keep the cluster default and are
// appended to `errors` when given.
KpaConfig kpa_config_for(const models::PodAutoscaler& pa, const KpaClusterConfig& cluster = {},
                         std::vector<KpaAnnotationError>* errors = nullptr);

// upstream aggregation.TimedFloat64Buckets / WeightedFloat64Buckets: a ring of
// `window / granularity` buckets (rounded up), written by record() the same way for both.
//   kLinear: the average over the buckets written since the first write of the current run
//     (a partial window at the start), zeros for gaps, 0 after a whole window without data,
//     rounded down to 6 decimals.
//   kWeightedExponential: sum over the window's buckets, newest first, of
//     bucket[k] × a × (1 − a)^k, k = seconds before `now` (so buckets after the last write
//     count as zeros: the first weight is a × (1 − a)^(now − last write));
//     a = smoothing_coeff() = max(1 − (1 − 0.9999)^(1/n), 0.2) for n buckets
//     (computeSmoothingCoeff). The weights
//     are not renormalized: buckets before the first write (a partial window) count as zeros,
//     so a fresh window rises towards the load; no rounding; 0 after a window without data.
class KpaWindow {
 public:
  explicit KpaWindow(sim::Duration window, sim::Duration granularity = sim::seconds(1),
                     KpaAggregation aggregation = KpaAggregation::kLinear);
  // Adds `value` to the bucket of `now` (several records in one bucket add up).
  void record(sim::Time now, double value);
  // upstream WindowAverage of the window's algorithm.
  double window_average(sim::Time now) const;
  // No write within the window (upstream IsEmpty: the collector reports ErrNoData).
  bool is_empty(sim::Time now) const;
  sim::Duration window() const { return window_; }
  KpaAggregation aggregation() const { return aggregation_; }
  // The weightedExponential decay a for this window's bucket count (computed for either
  // algorithm; only kWeightedExponential uses it).
  double smoothing_coeff() const { return smoothing_coeff_; }

 private:
  sim::Time truncate(sim::Time t) const;
  std::int64_t index_of(sim::Time t) const;
  double linear_average(sim::Time now) const;
  double weighted_average(sim::Time now) const;

  sim::Duration window_;
  sim::Duration granularity_;
  KpaAggregation aggregation_;
  double smoothing_coeff_;
  std::vector<double> buckets_;
  double window_total_ = 0;
  bool written_ = false;
  sim::Time first_write_ = 0;
  sim::Time last_write_ = 0;
};

// upstream computeSmoothingCoeff(nb): max(1 − (1 − 0.9999)^(1/nb), 0.2). The first term makes
// the weights of nb buckets sum to at least 0.9999; the floor 0.2 (minExponent) takes over
// from nb = 42 buckets (so the default 60 s stable window decays by 0.8 a second).
double kpa_smoothing_coeff(double buckets);

// upstream aggregation/max.TimeWindow: the maximum recorded over the last `window`, in
// buckets of `granularity` (the scale-down delay, bucketed by the 2 s tick).
class KpaMaxWindow {
 public:
  KpaMaxWindow(sim::Duration window, sim::Duration granularity);
  void record(sim::Time now, std::int32_t value);
  std::int32_t current() const;

 private:
  std::int64_t size_;  // buckets in the window
  sim::Duration granularity_;
  std::vector<std::pair<std::int64_t, std::int32_t>> entries_;  // (bucket index, max)
};

// upstream scaling.ScaleResult plus what Scale computed on the way.
struct KpaScaleResult {
  bool valid = false;  // false: no data in the stable window yet (upstream invalidSR)
  std::int32_t desired_pod_count = 0;
  std::int32_t excess_burst_capacity = 0;
  bool panicking = false;
  double observed_stable = 0;  // window averages of the revision's total
  double observed_panic = 0;
  double desired_stable_pods = 0;  // dspc = ceil(stable / target), before clamping
  double desired_panic_pods = 0;   // dppc
  double max_scale_up = 0;         // ceil(max-scale-up-rate × max(1, ready))
  double max_scale_down = 0;       // floor(max(1, ready) / max-scale-down-rate), 0 if unreachable
};

// The PA's Active condition (kpa.go computeActiveCondition).
enum class KpaActivity : std::uint8_t {
  kActivating,  // Active=Unknown: pods are coming up, requests are buffered
  kActive,      // Active=True
  kInactive,    // Active=False: no traffic; the activator is in the path
};
std::string_view to_string(KpaActivity activity);

struct KpaDecision {
  KpaScaleResult decider;
  // The decider's desired count after min/max/initial scale (scaler.go scale()), or -1
  // (scaleUnknown) when there has never been a valid decision.
  std::int32_t desired = -1;
  // The scale target's new spec.replicas, or nullopt: leave it as it is (no data yet, or
  // waiting for the stable window / grace period before scaling to zero).
  std::optional<std::int32_t> replicas;
  KpaActivity activity = KpaActivity::kActivating;
  sim::Time activity_since = 0;  // when the Active condition last changed
  bool panicking = false;
  std::int32_t excess_burst_capacity = 0;
  // The activator is in the request path (kpa.go: SKS proxy mode): desired 0, a negative
  // excess burst capacity (always with target-burst-capacity -1), or no decision yet
  // while Inactive.
  bool activator_in_path = true;
  // The PA reconciler's step after the decider (bounds, scale to zero), "" when it kept the
  // decider's count.
  std::string scaling;
  std::string reason;  // one line, for people
};

// One revision's autoscaler: the decider (autoscaler.go) and the PA reconciler's scaling
// step (scaler.go, kpa.go) with the state upstream keeps between ticks.
class KpaAutoscaler {
 public:
  // `ready_pods_at_start`: upstream starts a new autoscaler in panic mode when the revision
  // already has more than one ready pod (so a restart does not scale down on thin data).
  KpaAutoscaler(KpaConfig config, sim::Time now, std::int32_t ready_pods_at_start = 0);

  // The collector's 1 s scrape: total concurrency (or requests in the last second for rps)
  // of the revision, recorded in both the stable and the panic window.
  void record(sim::Time now, double value);

  // One tick: Scale on the windows' averages, then min/max/initial scale and the
  // scale-to-zero rules, then the Active condition. `ready_pods` = the revision's ready
  // endpoints.
  KpaDecision scale(sim::Time now, std::int32_t ready_pods);

  // upstream autoscaler.Scale alone, on given window averages (the unit tests' fake
  // metric client). Updates the panic state and the scale-down delay window.
  KpaScaleResult scale_observed(sim::Time now, std::int32_t ready_pods, double observed_stable,
                                double observed_panic);

  // scale() on given window averages instead of the recorded windows (kubesim explain: the
  // observed values come from the state). observed_stable nullopt: no data in the stable
  // window; observed_panic nullopt: the stable value.
  KpaDecision scale_with(sim::Time now, std::int32_t ready_pods,
                         std::optional<double> observed_stable,
                         std::optional<double> observed_panic);

  // What the autoscaler and the PA reconciler know between ticks, restored from a state
  // (the PA's Active condition and its lastTransitionTime, the decider's panic state and
  // last desired count).
  struct KpaRestoredState {
    KpaActivity activity = KpaActivity::kActive;
    sim::Time activity_since = 0;
    std::optional<sim::Time> panic_time;  // last tick over the panic threshold
    std::int32_t max_panic_pods = 0;
    std::optional<std::int32_t> last_desired;
    bool scale_target_initialized = true;
  };
  void restore(const KpaRestoredState& state);

  // upstream MultiScaler.Poke: a stat with concurrency while the last decision was 0 makes
  // the decider tick at once rather than at the next 2 s tick (activation from zero).
  bool wants_poke(double value) const { return last_desired_ == 0 && value != 0; }

  const KpaConfig& config() const { return config_; }
  bool panicking() const { return panic_time_.has_value(); }
  std::optional<sim::Time> panic_time() const { return panic_time_; }
  std::int32_t max_panic_pods() const { return max_panic_pods_; }
  KpaActivity activity() const { return activity_; }
  sim::Time activity_since() const { return activity_since_; }
  // The target has reached its initial scale once (kpa.go ScaleTargetInitialized).
  bool scale_target_initialized() const { return scale_target_initialized_; }
  // The decider status's excess burst capacity: the last valid tick's, or before the first
  // one multiscaler.go's initial value (initial scale × total − TBC; 0 / −1 for TBC 0 / −1).
  std::int32_t excess_burst_capacity() const { return last_ebc_; }
  const KpaWindow& stable_window() const { return stable_; }
  const KpaWindow& panic_window() const { return panic_; }

 private:
  KpaDecision scale_step(sim::Time now, std::int32_t ready_pods,
                         std::optional<double> observed_stable,
                         std::optional<double> observed_panic);

  KpaConfig config_;
  KpaWindow stable_;
  KpaWindow panic_;
  std::optional<KpaMaxWindow> delay_;
  std::optional<sim::Time> panic_time_;
  std::int32_t max_panic_pods_ = 0;
  std::int32_t last_desired_ = -1;  // decider status: last valid desired (-1 = none yet)
  std::int32_t last_ebc_ = 0;       // decider status: last excess burst capacity
  KpaActivity activity_ = KpaActivity::kActivating;
  sim::Time activity_since_ = 0;
  bool scale_target_initialized_ = false;
};

}  // namespace kubesim::policies
