// Metrics: counters, time-weighted gauges, latency histograms and a registry that names them.
//
// Models own (or look up once) the metric objects they update and keep plain references;
// updating one is a few arithmetic operations with no lookup and, after warm-up, no heap
// allocation. A metric nobody updates costs nothing per event. The registry exists for the
// edges: it names metrics, and snapshot() turns them into plain values, ordered by name,
// which the CLI writes to summary.json (sim/ has no JSON library).
//
// - Counter: an int64 that only goes up (add(n), n >= 0).
// - Gauge: a double level bound to a Simulation's clock. It integrates value × time, so it
//   reports the time-weighted average over its window [window_start, now], plus the min and
//   max of every value it held in the window (values held for zero time included).
//   reset_window() starts a new window (after warm-up, say). Over an empty window
//   (now == window_start) the time average is the current value: the limit of the average
//   over [t, t + ε] as ε → 0.
// - Histogram: a distribution of doubles in a caller-chosen unit (seconds for latencies).
//   Quantiles use the nearest-rank definition: quantile(q) over n values is the k-th
//   smallest value, k = max(1, ceil(q·n)). While count <= kExactLimit every value is kept
//   and quantiles are exact. Past that, values move to log-linear buckets (HdrHistogram's
//   layout read straight off the IEEE-754 bits: 64 sub-buckets per power of two) and a
//   quantile is the bucket's value of least relative error, clamped to [min, max]: it is
//   within kRelativeError = 1/128 (0.78 %) of the exact nearest-rank quantile. Zero and
//   negative values are supported (negatives in mirrored buckets; magnitudes below
//   DBL_MIN, i.e. subnormals, count as zero). count, sum, mean, min and max are always
//   exact (sum is a compensated sum). merge() adds another histogram's values: the result
//   equals recording both sets of values into one histogram (sum up to rounding).
//   An empty histogram reports 0 for every statistic; count == 0 says it is empty.
//
// Determinism: no floating-point function of libm decides a bucket (indices come from the
// bits of the double), so the same values give the same results on every IEEE-754 machine.
//
// Not thread-safe, and const queries of a Histogram are not safe to run concurrently
// either: in exact mode a quantile query sorts the stored values in place (lazily, once
// per batch of records). A Gauge must not outlive the Simulation it reads the clock of.
#pragma once

#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/simulation.hpp"
#include "sim/time.hpp"

namespace kubesim::sim {

// Neumaier's compensated summation: the error stays at one rounding of the total instead
// of growing with the number of terms. Deterministic (requires no -ffast-math).
class CompensatedSum {
 public:
  void add(double x) {
    const double t = sum_ + x;
    if (std::abs(sum_) >= std::abs(x)) {
      compensation_ += (sum_ - t) + x;
    } else {
      compensation_ += (x - t) + sum_;
    }
    sum_ = t;
  }
  void merge(const CompensatedSum& other) {
    add(other.sum_);
    add(other.compensation_);
  }
  double value() const { return sum_ + compensation_; }
  void reset() { *this = CompensatedSum(); }

 private:
  double sum_ = 0;
  double compensation_ = 0;
};

class Counter {
 public:
  // REQUIRES: n >= 0 (a level that goes down is a Gauge).
  void add(std::int64_t n = 1) {
    assert(n >= 0 && "Counter::add: counters only go up; use a Gauge");
    value_ += n;
  }
  std::int64_t value() const { return value_; }
  void reset() { value_ = 0; }

 private:
  std::int64_t value_ = 0;
};

class Gauge {
 public:
  // The window starts at sim.now() with the given value.
  explicit Gauge(const Simulation& sim, double initial = 0)
      : sim_(&sim),
        value_(initial),
        min_(initial),
        max_(initial),
        window_start_(sim.now()),
        last_change_(sim.now()) {}

  void set(double v) {
    const Time now = sim_->now();
    if (now != last_change_) {
      integral_.add(value_ * static_cast<double>(now - last_change_));
      last_change_ = now;
    }
    value_ = v;
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
  }
  void add(double dv) { set(value_ + dv); }

  double value() const { return value_; }
  // Time-weighted average over [window_start(), now]; the current value if that is empty.
  double time_average() const;
  // Integral of the value over the window, in value × seconds (GPU-seconds, say).
  double integral() const;
  double min() const { return min_; }
  double max() const { return max_; }
  Time window_start() const { return window_start_; }

  // Starts a new window at now, keeping the current value (min = max = value).
  void reset_window();

 private:
  // Integral over [window_start_, now] in value × nanoseconds.
  double integral_ns() const;

  const Simulation* sim_;
  double value_;
  double min_;
  double max_;
  Time window_start_;
  Time last_change_;         // value_ has been held since then
  CompensatedSum integral_;  // value × ns over [window_start_, last_change_]
};

class Histogram {
 public:
  // Values kept exactly; the (kExactLimit + 1)-th record switches to buckets.
  static constexpr std::uint64_t kExactLimit = 4096;
  // Sub-buckets per power of two = 2^kSubBucketBits.
  static constexpr int kSubBucketBits = 6;
  // Bound on |estimate − exact| / |exact| for quantiles in bucket mode: a bucket spans
  // [lo, hi) with hi/lo <= 1 + 1/64, and its value 2·lo·hi/(lo + hi) is within
  // (hi − lo)/(hi + lo) <= 1/129 of every point in it; 1/128 leaves room for rounding.
  static constexpr double kRelativeError = 1.0 / 128.0;

  // REQUIRES: v is finite.
  void record(double v) {
    assert(std::isfinite(v) && "Histogram::record: value must be finite");
    ++count_;
    sum_.add(v);
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
    if (exact_) {
      if (count_ <= kExactLimit) {
        samples_.push_back(v);
        sorted_ = false;
        return;
      }
      switch_to_buckets();
    }
    add_to_buckets(v, 1);
  }
  // Records a duration in seconds (the histogram's unit is then seconds).
  void record_duration(Duration d) { record(to_seconds(d)); }

  std::uint64_t count() const { return count_; }
  double sum() const { return count_ == 0 ? 0 : sum_.value(); }
  double mean() const { return count_ == 0 ? 0 : sum_.value() / static_cast<double>(count_); }
  double min() const { return count_ == 0 ? 0 : min_; }
  double max() const { return count_ == 0 ? 0 : max_; }
  // Nearest-rank quantile (see the header comment). REQUIRES: 0 <= q <= 1.
  double quantile(double q) const;
  double p50() const { return quantile(0.5); }
  double p90() const { return quantile(0.9); }
  double p99() const { return quantile(0.99); }
  double p999() const { return quantile(0.999); }

  // True while every value is stored (quantiles exact).
  bool exact() const { return exact_; }

  // Adds every value of `other` to this histogram.
  void merge(const Histogram& other);
  // Forgets every value (after warm-up, say).
  void reset();

  // Nearest rank k in [1, n] of quantile q among n values: ceil(q·n), at least 1. A product
  // within 1e-9 (relative) of an integer counts as that integer, so that a decimal q like
  // 0.9 gives the rank it means despite its binary rounding. REQUIRES: n > 0.
  static std::uint64_t nearest_rank(double q, std::uint64_t n);

 private:
  // Counts of one sign's magnitudes, indexed by bucket index (see bucket_index()). Dense
  // over the range of indices seen so far, grown by at least a power of two's worth of
  // buckets at a time, so it reallocates only when the range of values widens.
  struct BucketStore {
    std::vector<std::uint64_t> counts;
    std::int32_t offset = 0;  // bucket index of counts[0]
    void add(std::int32_t index, std::uint64_t n);
    void merge(const BucketStore& other);
  };

  // Bucket index of a magnitude >= DBL_MIN: the exponent and top kSubBucketBits mantissa
  // bits, i.e. monotone in the magnitude.
  static std::int32_t bucket_index(double magnitude);
  // The value reported for bucket `index`.
  static double bucket_value(std::int32_t index);

  void switch_to_buckets();
  void add_to_buckets(double v, std::uint64_t n);

  std::uint64_t count_ = 0;
  CompensatedSum sum_;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
  bool exact_ = true;
  mutable bool sorted_ = true;
  mutable std::vector<double> samples_;  // exact mode; sorted lazily by quantile()
  BucketStore positive_;
  BucketStore negative_;  // by magnitude
  std::uint64_t zero_count_ = 0;
};

enum class MetricKind { kCounter, kGauge, kHistogram };
std::string_view metric_kind_name(MetricKind kind);  // "counter", "gauge", "histogram"

// Plain values of one metric at snapshot time. Member names are the field names the CLI
// writes to summary.json (docs/metrics.md).
struct CounterSnapshot {
  std::int64_t value = 0;
};
struct GaugeSnapshot {
  double value = 0;
  double time_average = 0;
  double min = 0;
  double max = 0;
};
struct HistogramSnapshot {
  std::uint64_t count = 0;
  double sum = 0;
  double mean = 0;
  double min = 0;
  double max = 0;
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double p999 = 0;
};
struct MetricSnapshot {
  std::string name;
  // Alternatives in MetricKind's order.
  std::variant<CounterSnapshot, GaugeSnapshot, HistogramSnapshot> value;
  MetricKind kind() const { return static_cast<MetricKind>(value.index()); }
};

CounterSnapshot snapshot_of(const Counter& c);
GaugeSnapshot snapshot_of(const Gauge& g);
HistogramSnapshot snapshot_of(const Histogram& h);

// Named metrics. References returned stay valid for the registry's lifetime. Asking again
// for a name of the same kind returns the same object; asking for a name registered as
// another kind, or for an empty name, throws std::logic_error (a programming error).
// Lookups are by name (a map search): do them once, not per event.
class MetricRegistry {
 public:
  // Gauges created here read this simulation's clock. REQUIRES: sim outlives the registry.
  explicit MetricRegistry(const Simulation& sim) : sim_(&sim) {}
  MetricRegistry(const MetricRegistry&) = delete;
  MetricRegistry& operator=(const MetricRegistry&) = delete;

  Counter& counter(std::string_view name);
  Gauge& gauge(std::string_view name);
  Histogram& histogram(std::string_view name);

  // nullptr when no metric of that kind has that name.
  const Counter* find_counter(std::string_view name) const;
  const Gauge* find_gauge(std::string_view name) const;
  const Histogram* find_histogram(std::string_view name) const;

  std::size_t size() const { return index_.size(); }

  // Every metric, ordered by name (byte-wise), as plain values.
  std::vector<MetricSnapshot> snapshot() const;

  // Starts measuring afresh at now (end of warm-up): counters to 0, histograms emptied,
  // gauges keep their value and start a new window.
  void reset_window();

 private:
  struct Entry {
    MetricKind kind;
    std::size_t index;
  };
  std::size_t slot(std::string_view name, MetricKind kind);
  const Entry* find(std::string_view name, MetricKind kind) const;

  const Simulation* sim_;
  std::map<std::string, Entry, std::less<>> index_;
  std::deque<Counter> counters_;  // deques: stable references as metrics are added
  std::deque<Gauge> gauges_;
  std::deque<Histogram> histograms_;
};

}  // namespace kubesim::sim
