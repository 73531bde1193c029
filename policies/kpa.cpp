// Knative KPA decision logic; see kpa.hpp for the upstream files reproduced.
#include "policies/kpa.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace kubesim::policies {
namespace {

constexpr std::string_view kPrefix = "autoscaling.knative.dev/";
// pkg/apis/autoscaling/register.go
constexpr double kTargetMin = 0.01;
constexpr double kPanicWindowPercentageMin = 1.0;
constexpr double kPanicWindowPercentageMax = 100.0;
constexpr double kPanicThresholdPercentageMin = 110.0;
constexpr double kPanicThresholdPercentageMax = 1000.0;
constexpr sim::Duration kWindowMin = sim::seconds(6);
constexpr sim::Duration kWindowMax = sim::hours(1);
constexpr sim::Duration kBucketSize = sim::seconds(1);  // metrics.BucketSize
constexpr std::string_view kClassKPA = "kpa.autoscaling.knative.dev";
constexpr std::string_view kClassHPA = "hpa.autoscaling.knative.dev";

std::string key_of(std::string_view name) { return std::string(kPrefix) + std::string(name); }

std::optional<double> parse_float(std::string_view s) {
  double v = 0;
  if (s.empty()) return std::nullopt;
  const char* b = s.data();
  if (*b == '+') ++b;
  auto [p, ec] = std::from_chars(b, s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// upstream getIntGE0 / strconv.ParseInt(v, 10, 32).
std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  if (s.empty()) return std::nullopt;
  const char* b = s.data();
  if (*b == '+') ++b;
  auto [p, ec] = std::from_chars(b, s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Shortest round-trip text of a double ("110", "106.666666"); cheap (no stream), as the
// reason is built on every tick.
std::string fmt(double v) {
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, p) : std::string("?");
}

// Go's Duration.Round(time.Second): half away from zero.
sim::Duration round_to_second(sim::Duration d) {
  const sim::Duration r = d % sim::kSecond;
  const sim::Duration base = d - r;
  if (r >= sim::kSecond / 2) return base + sim::kSecond;
  if (r <= -sim::kSecond / 2) return base - sim::kSecond;
  return base;
}

// Reads the annotations into `c` (starting from the cluster defaults already there);
// errors are appended. Mirrors annotation_validation.go and the PA accessors.
struct Parsed {
  std::optional<std::string> metric;
  std::optional<double> target;
  std::optional<double> target_utilization;  // fraction
  std::optional<double> target_burst_capacity;
  std::optional<sim::Duration> window;
  std::optional<double> panic_window_percentage;
  std::optional<double> panic_threshold_percentage;
  std::optional<std::int32_t> min_scale;
  std::optional<std::int32_t> max_scale;
  std::optional<std::int32_t> initial_scale;
  std::optional<sim::Duration> scale_down_delay;
  std::optional<sim::Duration> retention;
  std::optional<std::int32_t> activation_scale;
  std::optional<KpaAggregation> aggregation;
  bool not_kpa = false;
};

Parsed parse_annotations(const models::Labels& annotations, const KpaClusterConfig& cluster,
                         std::vector<KpaAnnotationError>& errors) {
  Parsed p;
  auto err = [&](const std::string& key, const std::string& value, std::string message) {
    errors.push_back(KpaAnnotationError{key, value, std::move(message), false});
  };
  auto duration = [&](const std::string& key, const std::string& v, sim::Duration min,
                      sim::Duration max, bool whole_seconds) -> std::optional<sim::Duration> {
    auto d = sim::parse_duration(v);
    if (!d.ok()) {
      err(key, v, "invalid value: " + d.error());
      return std::nullopt;
    }
    if (*d < min || *d > max) {
      err(key, v,
          "expected " + sim::format_duration(min) + " <= value <= " + sim::format_duration(max));
      return std::nullopt;
    }
    if (whole_seconds && *d % sim::kSecond != 0) {
      err(key, v, "must be specified with at most second precision");
      return std::nullopt;
    }
    return *d;
  };
  auto int_ge0 = [&](const std::string& key, const std::string& v) -> std::optional<std::int32_t> {
    auto i = parse_int(v);
    if (!i) {
      err(key, v, "invalid value: expected a whole number");
      return std::nullopt;
    }
    if (*i < 0 || *i > std::numeric_limits<std::int32_t>::max()) {
      err(key, v, "expected 0 <= value <= 2147483647");
      return std::nullopt;
    }
    return static_cast<std::int32_t>(*i);
  };
  auto floating = [&](const std::string& key, const std::string& v) -> std::optional<double> {
    auto f = parse_float(v);
    if (!f) err(key, v, "invalid value: expected a number");
    return f;
  };

  for (const auto& [key, value] : annotations) {
    if (key.rfind(kPrefix, 0) != 0) continue;
    const std::string_view name = std::string_view(key).substr(kPrefix.size());
    if (name == "class") {
      if (value == kClassHPA) {
        p.not_kpa = true;
        err(key, value,
            "class hpa.autoscaling.knative.dev is Knative's HPA class; kubesim's KPA reads only "
            "kpa.autoscaling.knative.dev (write a HorizontalPodAutoscaler instead)");
      } else if (value != kClassKPA) {
        err(key, value, "invalid value: expected kpa.autoscaling.knative.dev");
      }
    } else if (name == "metric") {
      if (value == "concurrency" || value == "rps") {
        p.metric = value;
      } else {
        err(key, value,
            "invalid value: the KPA scales on \"concurrency\" or \"rps\" (cpu and memory need "
            "the HPA class)");
      }
    } else if (name == "target") {
      if (auto f = floating(key, value)) {
        if (*f < kTargetMin) {
          err(key, value, "target " + value + " should be at least 0.01");
        } else {
          p.target = *f;
        }
      }
    } else if (name == "target-utilization-percentage") {
      if (auto f = floating(key, value)) {
        if (*f < 1 || *f > 100) {
          err(key, value, "expected 1 <= value <= 100");
        } else {
          p.target_utilization = *f / 100.0;
        }
      }
    } else if (name == "target-burst-capacity") {
      if (auto f = floating(key, value)) {
        if (*f < 0 && *f != -1) {
          err(key, value, "invalid value: must be non-negative, or -1 (unlimited)");
        } else {
          p.target_burst_capacity = *f;
        }
      }
    } else if (name == "window") {
      p.window = duration(key, value, kWindowMin, kWindowMax, true);
    } else if (name == "panic-window-percentage") {
      if (auto f = floating(key, value)) {
        if (*f < kPanicWindowPercentageMin || *f > kPanicWindowPercentageMax) {
          err(key, value, "expected 1 <= value <= 100");
        } else {
          p.panic_window_percentage = *f;
        }
      }
    } else if (name == "panic-threshold-percentage") {
      if (auto f = floating(key, value)) {
        if (*f < kPanicThresholdPercentageMin || *f > kPanicThresholdPercentageMax) {
          err(key, value, "expected 110 <= value <= 1000");
        } else {
          p.panic_threshold_percentage = *f;
        }
      }
    } else if (name == "min-scale") {
      p.min_scale = int_ge0(key, value);
    } else if (name == "max-scale") {
      p.max_scale = int_ge0(key, value);
    } else if (name == "initial-scale") {
      auto i = parse_int(value);
      if (!i || *i < 0 || *i > std::numeric_limits<std::int32_t>::max() ||
          (*i == 0 && !cluster.allow_zero_initial_scale)) {
        err(key, value,
            "invalid value: expected a whole number >= 1 (0 only with "
            "allow-zero-initial-scale)");
      } else {
        p.initial_scale = static_cast<std::int32_t>(*i);
      }
    } else if (name == "scale-down-delay") {
      p.scale_down_delay = duration(key, value, 0, kWindowMax, true);
    } else if (name == "scale-to-zero-pod-retention-period") {
      p.retention = duration(key, value, 0, kWindowMax, false);
    } else if (name == "activation-scale") {
      auto i = parse_int(value);
      if (!i || *i < 1 || *i > std::numeric_limits<std::int32_t>::max()) {
        err(key, value, "invalid value: expected a whole number >= 1");
      } else {
        p.activation_scale = static_cast<std::int32_t>(*i);
      }
    } else if (name == "metric-aggregation-algorithm") {
      // annotation_validation.go validateAlgorithm: linear, weighted-exponential or its
      // alternate spelling weightedExponential (register.go); "" is the default (linear).
      if (value.empty() || value == "linear") {
        p.aggregation = KpaAggregation::kLinear;
      } else if (value == "weighted-exponential" || value == "weightedExponential") {
        p.aggregation = KpaAggregation::kWeightedExponential;
      } else {
        err(key, value,
            "invalid value: expected linear, weighted-exponential or weightedExponential");
      }
    } else {
      errors.push_back(KpaAnnotationError{key, value, "unknown Knative autoscaling annotation",
                                          /*unknown_key=*/true});
    }
  }
  if (p.min_scale && p.max_scale && *p.max_scale != 0 && *p.max_scale < *p.min_scale) {
    err(key_of("max-scale"), std::to_string(*p.max_scale),
        "max-scale=" + std::to_string(*p.max_scale) +
            " is less than min-scale=" + std::to_string(*p.min_scale));
    p.max_scale.reset();
  }
  return p;
}

}  // namespace

std::string validate_kpa_cluster_config(const KpaClusterConfig& c) {
  // upstream config.go validate(), same order.
  if (c.scale_to_zero_grace_period <= 0) return "scale-to-zero-grace-period must be positive";
  if (c.scale_down_delay < 0) return "scale-down-delay cannot be negative";
  if (c.scale_down_delay % sim::kSecond != 0)
    return "scale-down-delay must be specified with at most second precision";
  if (c.scale_to_zero_pod_retention_period < 0)
    return "scale-to-zero-pod-retention-period cannot be negative";
  if (c.target_burst_capacity < 0 && c.target_burst_capacity != -1)
    return "target-burst-capacity must be either non-negative or -1 (for unlimited)";
  if (c.container_concurrency_target_fraction <= 0 || c.container_concurrency_target_fraction > 1)
    return "container-concurrency-target-percentage is outside of valid range of (0, 100]";
  if (c.container_concurrency_target_fraction * c.container_concurrency_target_default < kTargetMin)
    return "container-concurrency-target-percentage and container-concurrency-target-default "
           "yield a target concurrency below 0.01";
  if (c.rps_target_default < kTargetMin)
    return "requests-per-second-target-default must be at least 0.01";
  if (c.activator_capacity < 1) return "activator-capacity must be at least 1";
  if (c.max_scale_up_rate <= 1.0) return "max-scale-up-rate must be greater than 1.0";
  if (c.max_scale_down_rate <= 1.0) return "max-scale-down-rate must be greater than 1.0";
  if (c.stable_window < kWindowMin || c.stable_window > kWindowMax)
    return "stable-window must be in [6s; 1h0m0s] range";
  if (c.stable_window % sim::kSecond != 0)
    return "stable-window must be specified with at most second precision";
  if (c.panic_window_percentage < kPanicWindowPercentageMin ||
      c.panic_window_percentage > kPanicWindowPercentageMax)
    return "panic-window-percentage must be in [1, 100] interval";
  if (c.initial_scale < 0 || (c.initial_scale == 0 && !c.allow_zero_initial_scale))
    return "initial-scale must be at least 1 (or 0 when allow-zero-initial-scale is true)";
  if (c.max_scale < 0) return "max-scale must be at least 0";
  if (c.tick_interval <= 0) return "tick interval must be positive";
  return "";
}

sim::Result<KpaClusterConfig> kpa_cluster_config_from_data(
    const std::vector<std::pair<std::string, std::string>>& data) {
  KpaClusterConfig c;
  auto fail = [](const std::string& m) {
    return sim::Status::invalid_argument(std::string(kKnativeAutoscalerConfigMap) + ": " + m);
  };
  for (const auto& [key, raw] : data) {
    // upstream NewConfigFromMap (cm.AsBool / AsFloat64 / AsInt32 / AsDuration): a value that
    // does not parse is "failed to parse data: ..."; unknown keys are ignored.
    auto parse_error = [&](const std::string& what) {
      return fail("failed to parse data: " + key + ": " + what + " \"" + raw + "\"");
    };
    auto as_float = [&](double& out) -> bool {
      auto v = parse_float(raw);
      if (!v) return false;
      out = *v;
      return true;
    };
    auto as_duration = [&](sim::Duration& out) -> bool {
      auto d = sim::parse_duration(raw);
      if (!d) return false;
      out = *d;
      return true;
    };
    auto as_bool = [&](bool& out) -> bool {
      // strconv.ParseBool
      for (std::string_view t : {"1", "t", "T", "TRUE", "true", "True"}) {
        if (raw == t) return out = true, true;
      }
      for (std::string_view f : {"0", "f", "F", "FALSE", "false", "False"}) {
        if (raw == f) return out = false, true;
      }
      return false;
    };
    auto as_int32 = [&](std::int32_t& out) -> bool {
      auto v = parse_int(raw);
      if (!v || *v < std::numeric_limits<std::int32_t>::min() ||
          *v > std::numeric_limits<std::int32_t>::max()) {
        return false;
      }
      out = static_cast<std::int32_t>(*v);
      return true;
    };
    bool ok = true;
    std::string kind = "invalid number";
    if (key == "enable-scale-to-zero") {
      ok = as_bool(c.enable_scale_to_zero), kind = "invalid boolean";
    } else if (key == "allow-zero-initial-scale") {
      ok = as_bool(c.allow_zero_initial_scale), kind = "invalid boolean";
    } else if (key == "max-scale-up-rate") {
      ok = as_float(c.max_scale_up_rate);
    } else if (key == "max-scale-down-rate") {
      ok = as_float(c.max_scale_down_rate);
    } else if (key == "container-concurrency-target-percentage") {
      ok = as_float(c.container_concurrency_target_fraction);
    } else if (key == "container-concurrency-target-default") {
      ok = as_float(c.container_concurrency_target_default);
    } else if (key == "requests-per-second-target-default") {
      ok = as_float(c.rps_target_default);
    } else if (key == "target-burst-capacity") {
      ok = as_float(c.target_burst_capacity);
    } else if (key == "panic-window-percentage") {
      ok = as_float(c.panic_window_percentage);
    } else if (key == "activator-capacity") {
      ok = as_float(c.activator_capacity);
    } else if (key == "panic-threshold-percentage") {
      ok = as_float(c.panic_threshold_percentage);
    } else if (key == "initial-scale") {
      ok = as_int32(c.initial_scale), kind = "invalid integer";
    } else if (key == "max-scale") {
      ok = as_int32(c.max_scale), kind = "invalid integer";
    } else if (key == "stable-window") {
      ok = as_duration(c.stable_window), kind = "invalid duration";
    } else if (key == "scale-down-delay") {
      ok = as_duration(c.scale_down_delay), kind = "invalid duration";
    } else if (key == "scale-to-zero-grace-period") {
      ok = as_duration(c.scale_to_zero_grace_period), kind = "invalid duration";
    } else if (key == "scale-to-zero-pod-retention-period") {
      ok = as_duration(c.scale_to_zero_pod_retention_period), kind = "invalid duration";
    }
    if (!ok) return parse_error(kind);
  }
  // upstream: "for legacy reasons we allow values in the (0, 1] interval": a percentage
  // above 1 is divided by 100.
  if (c.container_concurrency_target_fraction > 1.0)
    c.container_concurrency_target_fraction /= 100.0;
  if (auto e = validate_kpa_cluster_config(c); !e.empty()) return fail(e);
  return c;
}

const std::vector<std::string>& kpa_annotation_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    for (std::string_view n :
         {"class", "metric", "target", "target-utilization-percentage", "target-burst-capacity",
          "window", "panic-window-percentage", "panic-threshold-percentage", "min-scale",
          "max-scale", "initial-scale", "scale-down-delay", "scale-to-zero-pod-retention-period",
          "activation-scale", "metric-aggregation-algorithm"}) {
      k.push_back(key_of(n));
    }
    return k;
  }();
  return keys;
}

std::vector<KpaAnnotationError> validate_kpa_annotations(const models::Labels& annotations,
                                                         const KpaClusterConfig& cluster) {
  std::vector<KpaAnnotationError> errors;
  parse_annotations(annotations, cluster, errors);
  return errors;
}

KpaConfig kpa_config_for(const models::PodAutoscaler& pa, const KpaClusterConfig& cluster,
                         std::vector<KpaAnnotationError>* errors) {
  std::vector<KpaAnnotationError> local;
  const Parsed p = parse_annotations(pa.metadata.annotations, cluster, local);
  if (errors != nullptr) errors->insert(errors->end(), local.begin(), local.end());

  KpaConfig c;
  c.metric = p.metric && *p.metric == "rps" ? KpaMetric::kRps : KpaMetric::kConcurrency;
  c.aggregation = p.aggregation.value_or(KpaAggregation::kLinear);
  // upstream ResolveMetricTarget (pkg/reconciler/autoscaling/resources/target.go).
  double total = 0;
  double tu = 0;
  if (c.metric == KpaMetric::kRps) {
    total = cluster.rps_target_default;
    tu = cluster.target_utilization;
  } else {
    total = static_cast<double>(pa.spec.container_concurrency);
    if (total == 0) total = cluster.container_concurrency_target_default;
    tu = cluster.container_concurrency_target_fraction;
  }
  if (p.target) {
    total = *p.target;
    if (c.metric == KpaMetric::kConcurrency && pa.spec.container_concurrency != 0) {
      total = std::min(*p.target, static_cast<double>(pa.spec.container_concurrency));
    }
  }
  if (p.target_utilization) tu = *p.target_utilization;
  c.total_value = total;
  c.target_value = std::max(kTargetMin, total * tu);

  // upstream MakeDecider (kpa/resources/decider.go).
  c.panic_threshold =
      p.panic_threshold_percentage.value_or(cluster.panic_threshold_percentage) / 100.0;
  c.target_burst_capacity = p.target_burst_capacity.value_or(cluster.target_burst_capacity);
  c.max_scale_up_rate = cluster.max_scale_up_rate;
  c.max_scale_down_rate = cluster.max_scale_down_rate;
  c.stable_window = p.window.value_or(cluster.stable_window);
  c.scale_down_delay = p.scale_down_delay.value_or(cluster.scale_down_delay);
  c.activation_scale = p.activation_scale.value_or(1);
  c.reachable = pa.spec.reachability != "Unreachable";
  // GetInitialScale: the annotation wins unless it is 0 and zero is not allowed.
  c.initial_scale = cluster.initial_scale;
  if (p.initial_scale && (*p.initial_scale != 0 || cluster.allow_zero_initial_scale)) {
    c.initial_scale = *p.initial_scale;
  }
  // upstream MakeMetric (resources/metric.go): panic window = stable × pct / 100, rounded to
  // a second, at least one bucket.
  const double pwp = p.panic_window_percentage.value_or(cluster.panic_window_percentage);
  c.panic_window = round_to_second(
      static_cast<sim::Duration>(static_cast<double>(c.stable_window) * pwp / 100.0));
  if (c.panic_window < kBucketSize) c.panic_window = kBucketSize;
  // PA ScaleBounds: min-scale, max-scale (the cluster's max-scale when unset).
  c.min_scale = p.min_scale.value_or(0);
  c.max_scale = p.max_scale.value_or(cluster.max_scale);
  c.enable_scale_to_zero = cluster.enable_scale_to_zero;
  c.scale_to_zero_grace_period = cluster.scale_to_zero_grace_period;
  c.scale_to_zero_pod_retention_period =
      p.retention.value_or(cluster.scale_to_zero_pod_retention_period);
  c.tick_interval = cluster.tick_interval;
  c.activation_timeout = cluster.activation_timeout;
  return c;
}

// ---- KpaWindow (aggregation/bucketing.go, Timed/WeightedFloat64Buckets) ------------------

std::string_view to_string(KpaAggregation a) {
  switch (a) {
    case KpaAggregation::kLinear:
      return "linear";
    case KpaAggregation::kWeightedExponential:
      return "weighted-exponential";
  }
  return "?";
}

double kpa_smoothing_coeff(double buckets) {
  // upstream constants: weightPrecision 0.9999, minExponent 0.2.
  constexpr double kWeightPrecision = 0.9999;
  constexpr double kMinExponent = 0.2;
  return std::max(1.0 - std::pow(1.0 - kWeightPrecision, 1.0 / buckets), kMinExponent);
}

KpaWindow::KpaWindow(sim::Duration window, sim::Duration granularity, KpaAggregation aggregation)
    : window_(window), granularity_(granularity), aggregation_(aggregation) {
  // upstream: ceil(window / granularity) buckets; the weighted coefficient from that count.
  const std::int64_t n = (window + granularity - 1) / granularity;
  buckets_.assign(static_cast<std::size_t>(std::max<std::int64_t>(1, n)), 0.0);
  smoothing_coeff_ = kpa_smoothing_coeff(static_cast<double>(buckets_.size()));
}

sim::Time KpaWindow::truncate(sim::Time t) const {
  sim::Time q = t / granularity_;
  if (t % granularity_ < 0) --q;
  return q * granularity_;
}

std::int64_t KpaWindow::index_of(sim::Time t) const { return truncate(t) / granularity_; }

void KpaWindow::record(sim::Time now, double value) {
  const sim::Time bucket_time = truncate(now);
  const std::int64_t write_idx = index_of(now);
  const auto n = static_cast<std::int64_t>(buckets_.size());
  if (!written_) {
    // First write: upstream's zero lastWrite is a window away from anything.
    written_ = true;
    first_write_ = bucket_time;
    last_write_ = bucket_time;
    std::fill(buckets_.begin(), buckets_.end(), 0.0);
    window_total_ = 0;
  } else if (last_write_ != bucket_time) {
    if (bucket_time + window_ > last_write_) {
      if (first_write_ > bucket_time) first_write_ = bucket_time;
      if (bucket_time > last_write_) {
        if (bucket_time - last_write_ >= window_) {
          // A whole window without writes: start over (a partial window again).
          first_write_ = bucket_time;
          std::fill(buckets_.begin(), buckets_.end(), 0.0);
          window_total_ = 0;
        } else {
          // Zero the buckets skipped since the last write.
          for (std::int64_t i = index_of(last_write_) + 1; i <= write_idx; ++i) {
            double& b = buckets_[static_cast<std::size_t>(((i % n) + n) % n)];
            window_total_ -= b;
            b = 0;
          }
        }
        last_write_ = bucket_time;
      }
    } else {
      return;  // older than a window: ignored
    }
  }
  buckets_[static_cast<std::size_t>(((write_idx % n) + n) % n)] += value;
  window_total_ += value;
}

double KpaWindow::window_average(sim::Time now) const {
  return aggregation_ == KpaAggregation::kWeightedExponential ? weighted_average(now)
                                                              : linear_average(now);
}

// upstream WeightedFloat64Buckets.WindowAverage.
double KpaWindow::weighted_average(sim::Time now) const {
  if (is_empty(now)) return 0;
  now = truncate(now);
  const auto n = static_cast<std::int64_t>(buckets_.size());
  const double a = smoothing_coeff_;
  double multiplier = a;
  std::int64_t count = n;
  if (now > last_write_) {
    // The seconds since the last write are zeros: skip their weights.
    const std::int64_t zeros = (now - last_write_) / granularity_;
    multiplier *= std::pow(1.0 - a, static_cast<double>(zeros));
    count -= zeros;
  }
  const std::int64_t start = index_of(last_write_);
  double ret = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    ret += buckets_[static_cast<std::size_t>((((start - i) % n) + n) % n)] * multiplier;
    multiplier *= 1.0 - a;
  }
  return ret;
}

// upstream TimedFloat64Buckets.WindowAverage.
double KpaWindow::linear_average(sim::Time now) const {
  if (!written_) return 0;
  const auto n = static_cast<std::int64_t>(buckets_.size());
  // upstream roundToNDigits(6, x): floor(x × 1e6) / 1e6.
  auto round6 = [](double x) { return std::floor(x * 1e6) / 1e6; };
  now = truncate(now);
  const sim::Duration d = now - last_write_;
  const std::int64_t span = (last_write_ - first_write_) / granularity_ + 1;
  if (d <= 0) {
    const std::int64_t num = std::min(span, n);
    return round6(window_total_ / static_cast<double>(num));
  }
  if (d < window_) {
    const std::int64_t st = index_of(last_write_);
    const std::int64_t e = index_of(now);
    double ret = window_total_;
    for (std::int64_t i = st + 1; i <= e; ++i) {
      ret -= buckets_[static_cast<std::size_t>(((i % n) + n) % n)];
    }
    const std::int64_t num = std::min(span, n - (e - st));
    return round6(ret / static_cast<double>(num));
  }
  return 0;
}

bool KpaWindow::is_empty(sim::Time now) const {
  return !written_ || truncate(now) - last_write_ > window_;
}

// ---- KpaMaxWindow (aggregation/max/timewindow.go) ----------------------------------------

KpaMaxWindow::KpaMaxWindow(sim::Duration window, sim::Duration granularity)
    : size_(std::max<std::int64_t>(1, (window + granularity - 1) / granularity)),
      granularity_(granularity) {}

void KpaMaxWindow::record(sim::Time now, std::int32_t value) {
  const std::int64_t idx = now / granularity_;
  // Drop buckets that fell out of the window.
  std::erase_if(entries_, [&](const auto& e) { return idx - e.first >= size_; });
  if (!entries_.empty() && entries_.back().first == idx) {
    entries_.back().second = std::max(entries_.back().second, value);
  } else {
    entries_.emplace_back(idx, value);
  }
}

std::int32_t KpaMaxWindow::current() const {
  std::int32_t m = 0;
  for (const auto& e : entries_) m = std::max(m, e.second);
  return m;
}

// ---- KpaAutoscaler -----------------------------------------------------------------------

std::string_view to_string(KpaActivity a) {
  switch (a) {
    case KpaActivity::kActivating:
      return "Activating";
    case KpaActivity::kActive:
      return "Active";
    case KpaActivity::kInactive:
      return "Inactive";
  }
  return "?";
}

KpaAutoscaler::KpaAutoscaler(KpaConfig config, sim::Time now, std::int32_t ready_pods_at_start)
    : config_(config),
      stable_(config.stable_window, kBucketSize, config.aggregation),
      panic_(config.panic_window, kBucketSize, config.aggregation),
      activity_since_(now) {
  if (config_.scale_down_delay > 0) delay_.emplace(config_.scale_down_delay, config_.tick_interval);
  // upstream newAutoscaler: start in panic mode with more than one ready pod.
  if (ready_pods_at_start > 1) panic_time_ = now;
  max_panic_pods_ = std::max(0, ready_pods_at_start);
  // multiscaler.go createScaler: the decider's status before its first valid tick.
  const double tbc = config_.target_burst_capacity;
  last_ebc_ = (tbc == -1 || tbc == 0)
                  ? static_cast<std::int32_t>(tbc)
                  : static_cast<std::int32_t>(config_.initial_scale * config_.total_value - tbc);
}

void KpaAutoscaler::record(sim::Time now, double value) {
  stable_.record(now, value);
  panic_.record(now, value);
}

KpaScaleResult KpaAutoscaler::scale_observed(sim::Time now, std::int32_t ready_pods,
                                             double observed_stable, double observed_panic) {
  KpaScaleResult r;
  r.valid = true;
  r.observed_stable = observed_stable;
  r.observed_panic = observed_panic;
  const double ready = std::max(1.0, static_cast<double>(ready_pods));
  const KpaConfig& s = config_;
  // At least one pod of growth per tick even with a tiny max-scale-up-rate (ceil).
  r.max_scale_up = std::ceil(s.max_scale_up_rate * ready);
  r.max_scale_down = s.reachable ? std::floor(ready / s.max_scale_down_rate) : 0.0;
  const double dspc = std::ceil(observed_stable / s.target_value);
  const double dppc = std::ceil(observed_panic / s.target_value);
  r.desired_stable_pods = dspc;
  r.desired_panic_pods = dppc;
  auto desired_stable =
      static_cast<std::int32_t>(std::min(std::max(dspc, r.max_scale_down), r.max_scale_up));
  auto desired_panic =
      static_cast<std::int32_t>(std::min(std::max(dppc, r.max_scale_down), r.max_scale_up));
  if (s.activation_scale > 1) {
    if (dspc > 0 && s.activation_scale > desired_stable) desired_stable = s.activation_scale;
    if (dppc > 0 && s.activation_scale > desired_panic) desired_panic = s.activation_scale;
  }
  // The threshold compares the unclamped panic count with the ready pods.
  const bool over = dppc / ready >= s.panic_threshold;
  if (!panic_time_ && over) {
    panic_time_ = now;  // start panicking
  } else if (over) {
    panic_time_ = now;  // still over: extend the panic
  } else if (panic_time_ && *panic_time_ + s.stable_window < now) {
    // The surge has made its way into the stable window: stop panicking.
    panic_time_.reset();
    max_panic_pods_ = 0;
  }
  std::int32_t desired = desired_stable;
  if (panic_time_) {
    desired = std::max(desired, desired_panic);
    // Never scale down while panicking.
    if (desired > max_panic_pods_) max_panic_pods_ = desired;
    desired = max_panic_pods_;
  }
  if (delay_) {
    delay_->record(now, desired);
    desired = delay_->current();
  }
  // EBC = total capacity - target burst capacity - observed panic load.
  double ebc = -1;
  if (s.target_burst_capacity == 0) {
    ebc = 0;
  } else if (s.target_burst_capacity > 0) {
    ebc = std::floor(static_cast<double>(ready_pods) * s.total_value - s.target_burst_capacity -
                     observed_panic);
  }
  r.desired_pod_count = desired;
  r.excess_burst_capacity = static_cast<std::int32_t>(ebc);
  r.panicking = panic_time_.has_value();
  return r;
}

KpaDecision KpaAutoscaler::scale(sim::Time now, std::int32_t ready_pods) {
  // Decider: no data in the stable window = invalid.
  if (stable_.is_empty(now)) return scale_step(now, ready_pods, std::nullopt, std::nullopt);
  return scale_step(now, ready_pods, stable_.window_average(now), panic_.window_average(now));
}

KpaDecision KpaAutoscaler::scale_with(sim::Time now, std::int32_t ready_pods,
                                      std::optional<double> observed_stable,
                                      std::optional<double> observed_panic) {
  return scale_step(now, ready_pods, observed_stable, observed_panic);
}

void KpaAutoscaler::restore(const KpaRestoredState& s) {
  activity_ = s.activity;
  activity_since_ = s.activity_since;
  panic_time_ = s.panic_time;
  max_panic_pods_ = s.panic_time ? s.max_panic_pods : 0;
  if (s.last_desired) last_desired_ = *s.last_desired;
  scale_target_initialized_ = s.scale_target_initialized;
}

KpaDecision KpaAutoscaler::scale_step(sim::Time now, std::int32_t ready_pods,
                                      std::optional<double> observed_stable,
                                      std::optional<double> observed_panic) {
  KpaDecision d;
  const KpaConfig& c = config_;
  // The decider status keeps the last valid desired count (multiscaler only updates it on
  // a valid result).
  if (observed_stable) {
    d.decider = scale_observed(now, ready_pods, *observed_stable,
                               observed_panic.value_or(*observed_stable));
    last_desired_ = d.decider.desired_pod_count;
    last_ebc_ = d.decider.excess_burst_capacity;
  }
  std::int32_t want = last_desired_;
  std::string why;
  bool apply = true;

  // scaler.go scale(): bounds, initial scale until the target first reached it.
  if (want < 0 && activity_ != KpaActivity::kActivating) {
    apply = false;
    why = "no metrics yet";
  } else {
    std::int32_t min = c.min_scale;
    if (c.initial_scale > 1 && !scale_target_initialized_) min = std::max(c.initial_scale, min);
    const std::int32_t bounded =
        want < min ? min : (c.max_scale != 0 && want > c.max_scale ? c.max_scale : want);
    if (bounded != want) {
      why = "bounded " + std::to_string(want) + " -> " + std::to_string(bounded) + " (min " +
            std::to_string(min) + ", max " + std::to_string(c.max_scale) + ")";
    }
    want = bounded;
    // handleScaleToZero.
    if (want == 0) {
      if (!c.enable_scale_to_zero) {
        want = 1;
        why = "scale to zero disabled: keep 1";
      } else if (activity_ == KpaActivity::kActivating) {
        if (now - activity_since_ > c.activation_timeout) {  // CanFailActivation: strict
          why = "activation timed out: scale to 0";
        } else {
          want = -1;
          apply = false;
          why = "activating: wait";
        }
      } else if (activity_ == KpaActivity::kActive) {
        const sim::Duration active_for = now - activity_since_;
        if (active_for >= c.stable_window) {
          apply = false;  // mark the PA Inactive; scale to zero after the grace period
          why = "no traffic for the stable window: PA Inactive, activator in path";
        } else {
          want = 1;
          why = "active for " + sim::format_duration(active_for) + " < stable window: keep 1";
        }
      } else {
        const sim::Duration inactive_for = now - activity_since_;
        const sim::Duration retention = c.scale_to_zero_pod_retention_period;
        const sim::Duration max_timeout = std::max(c.scale_to_zero_grace_period, retention);
        if (inactive_for >= max_timeout) {
          why = "inactive for " + sim::format_duration(inactive_for) + ": scale to 0";
        } else if (retention > 0 && inactive_for < retention) {
          apply = false;
          why = "inactive for " + sim::format_duration(inactive_for) +
                " < scale-to-zero-pod-retention-period";
        } else if (c.scale_to_zero_grace_period - inactive_for <= 0) {
          why = "proxied for the grace period: scale to 0";
        } else {
          apply = false;
          why = "inactive for " + sim::format_duration(inactive_for) +
                " < scale-to-zero-grace-period";
        }
      }
    }
  }
  d.desired = want;
  d.scaling = why;
  if (apply && want >= 0) d.replicas = want;

  // kpa.go: the SKS mode is chosen before the Active condition is recomputed.
  const bool proxy =
      want == 0 || last_ebc_ < 0 || (want < 0 && activity_ == KpaActivity::kInactive);

  // kpa.go computeActiveCondition (pc.want = want, pc.ready = ready_pods).
  std::int32_t min_ready = std::max(c.min_scale, 1);
  if (!scale_target_initialized_) min_ready = std::max(c.min_scale, c.initial_scale);
  if (ready_pods >= min_ready && ready_pods > 0) scale_target_initialized_ = true;
  auto set = [&](KpaActivity a) {
    if (activity_ != a) {
      activity_ = a;
      activity_since_ = now;
    }
  };
  if (want == 0 || min_ready == 0) {
    set(KpaActivity::kInactive);
  } else if (ready_pods < min_ready) {
    if (want > 0 || activity_ != KpaActivity::kInactive) {
      set(KpaActivity::kActivating);
    } else {
      set(KpaActivity::kInactive);
    }
  } else if (want > 0 || activity_ != KpaActivity::kInactive) {
    set(KpaActivity::kActive);
  }

  d.activity = activity_;
  d.activity_since = activity_since_;
  d.panicking = panic_time_.has_value();
  d.excess_burst_capacity = last_ebc_;
  d.activator_in_path = proxy;

  std::string& o = d.reason;
  if (d.decider.valid) {
    o.reserve(160);
    o += d.panicking ? "panic" : "stable";
    o += ": stable " + fmt(d.decider.observed_stable) + ", panic " + fmt(d.decider.observed_panic) +
         " / target " + fmt(c.target_value) + " per pod -> " + fmt(d.decider.desired_stable_pods) +
         " / " + fmt(d.decider.desired_panic_pods) + " pods, ready " + std::to_string(ready_pods) +
         ", range [" + fmt(d.decider.max_scale_down) + ", " + fmt(d.decider.max_scale_up) +
         "] -> " + std::to_string(d.decider.desired_pod_count);
  } else {
    o += "no data in the stable window";
  }
  if (!why.empty()) o += "; " + why;
  o += "; ";
  o += to_string(activity_);
  return d;
}

}  // namespace kubesim::policies
