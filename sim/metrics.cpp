#include "sim/metrics.hpp"

#include <algorithm>
#include <bit>
#include <stdexcept>

namespace kubesim::sim {

// ---- Gauge -------------------------------------------------------------------------------

double Gauge::integral_ns() const {
  const Time now = sim_->now();
  CompensatedSum total = integral_;
  if (now != last_change_) total.add(value_ * static_cast<double>(now - last_change_));
  return total.value();
}

double Gauge::time_average() const {
  const Time elapsed = sim_->now() - window_start_;
  if (elapsed == 0) return value_;
  return integral_ns() / static_cast<double>(elapsed);
}

double Gauge::integral() const { return integral_ns() / static_cast<double>(kSecond); }

void Gauge::reset_window() {
  window_start_ = sim_->now();
  last_change_ = window_start_;
  integral_.reset();
  min_ = value_;
  max_ = value_;
}

// ---- Histogram ---------------------------------------------------------------------------

namespace {

constexpr int kMantissaBits = 52;
constexpr int kIndexShift = kMantissaBits - Histogram::kSubBucketBits;
// Grow a bucket store by at least one power of two's worth of buckets at a time.
constexpr std::int32_t kGrowSlack = std::int32_t{1} << Histogram::kSubBucketBits;

bool counts_as_zero(double v) { return std::abs(v) < std::numeric_limits<double>::min(); }

}  // namespace

std::int32_t Histogram::bucket_index(double magnitude) {
  return static_cast<std::int32_t>(std::bit_cast<std::uint64_t>(magnitude) >> kIndexShift);
}

double Histogram::bucket_value(std::int32_t index) {
  // The bucket is [lo, lo·(m+1)/m) with m = 2^kSubBucketBits + sub-bucket. The point of
  // least maximum relative error is the harmonic mean of its ends, lo·2(m+1)/(2m+1);
  // computed through the ratio so that it cannot overflow.
  const double lo = std::bit_cast<double>(static_cast<std::uint64_t>(index) << kIndexShift);
  const double m = static_cast<double>((std::int32_t{1} << kSubBucketBits) +
                                       (index & ((std::int32_t{1} << kSubBucketBits) - 1)));
  return lo * ((2 * m + 2) / (2 * m + 1));
}

void Histogram::BucketStore::add(std::int32_t index, std::uint64_t n) {
  const auto size = static_cast<std::int32_t>(counts.size());
  if (counts.empty()) {
    offset = index - kGrowSlack / 2;
    counts.assign(static_cast<std::size_t>(kGrowSlack), 0);
  } else if (index < offset || index >= offset + size) {
    const std::int32_t lo = std::min(offset, index - kGrowSlack);
    const std::int32_t hi = std::max(offset + size, index + kGrowSlack);
    std::vector<std::uint64_t> grown(static_cast<std::size_t>(hi - lo), 0);
    std::copy(counts.begin(), counts.end(), grown.begin() + (offset - lo));
    counts = std::move(grown);
    offset = lo;
  }
  counts[static_cast<std::size_t>(index - offset)] += n;
}

void Histogram::BucketStore::merge(const BucketStore& other) {
  for (std::size_t i = 0; i < other.counts.size(); ++i) {
    if (other.counts[i] != 0) add(other.offset + static_cast<std::int32_t>(i), other.counts[i]);
  }
}

void Histogram::add_to_buckets(double v, std::uint64_t n) {
  if (counts_as_zero(v)) {
    zero_count_ += n;
  } else if (v > 0) {
    positive_.add(bucket_index(v), n);
  } else {
    negative_.add(bucket_index(-v), n);
  }
}

void Histogram::switch_to_buckets() {
  exact_ = false;
  for (double v : samples_) add_to_buckets(v, 1);
  std::vector<double>().swap(samples_);  // release the memory, not just the size
  sorted_ = true;
}

std::uint64_t Histogram::nearest_rank(double q, std::uint64_t n) {
  assert(n > 0);
  double x = q * static_cast<double>(n);
  const double nearest = std::round(x);
  if (std::abs(x - nearest) <= 1e-9 * std::max(1.0, nearest)) x = nearest;
  const double k = std::ceil(x);
  if (!(k >= 1)) return 1;  // also catches NaN
  if (k >= static_cast<double>(n)) return n;
  return static_cast<std::uint64_t>(k);
}

double Histogram::quantile(double q) const {
  assert(q >= 0 && q <= 1 && "Histogram::quantile: q must be in [0, 1]");
  if (count_ == 0) return 0;
  const std::uint64_t rank = nearest_rank(q, count_);
  if (rank == 1) return min_;
  if (rank == count_) return max_;
  if (exact_) {
    if (!sorted_) {
      std::sort(samples_.begin(), samples_.end());
      sorted_ = true;
    }
    return samples_[rank - 1];
  }
  // Walk the buckets in value order: negatives from the largest magnitude down, zeros,
  // positives from the smallest up; stop at the bucket that holds the rank-th value.
  double estimate = 0;
  std::uint64_t seen = 0;
  bool found = false;
  for (std::size_t i = negative_.counts.size(); i-- > 0 && !found;) {
    seen += negative_.counts[i];
    if (seen >= rank) {
      estimate = -bucket_value(negative_.offset + static_cast<std::int32_t>(i));
      found = true;
    }
  }
  if (!found) {
    seen += zero_count_;
    if (seen >= rank) {
      estimate = 0;
      found = true;
    }
  }
  for (std::size_t i = 0; i < positive_.counts.size() && !found; ++i) {
    seen += positive_.counts[i];
    if (seen >= rank) {
      estimate = bucket_value(positive_.offset + static_cast<std::int32_t>(i));
      found = true;
    }
  }
  assert(found && "Histogram: bucket counts disagree with count()");
  return std::clamp(estimate, min_, max_);
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  if (&other == this) {
    const Histogram copy = other;
    merge(copy);
    return;
  }
  const std::uint64_t total = count_ + other.count_;
  if (exact_ && total > kExactLimit) switch_to_buckets();
  if (exact_) {
    // Both exact (other's count <= total <= kExactLimit) and staying exact.
    samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
    sorted_ = false;
  } else if (other.exact_) {
    for (double v : other.samples_) add_to_buckets(v, 1);
  } else {
    positive_.merge(other.positive_);
    negative_.merge(other.negative_);
    zero_count_ += other.zero_count_;
  }
  count_ = total;
  sum_.merge(other.sum_);
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void Histogram::reset() {
  count_ = 0;
  sum_.reset();
  min_ = std::numeric_limits<double>::infinity();
  max_ = -std::numeric_limits<double>::infinity();
  exact_ = true;
  sorted_ = true;
  samples_.clear();
  positive_ = BucketStore();
  negative_ = BucketStore();
  zero_count_ = 0;
}

// ---- Snapshots ---------------------------------------------------------------------------

std::string_view metric_kind_name(MetricKind kind) {
  switch (kind) {
    case MetricKind::kCounter:
      return "counter";
    case MetricKind::kGauge:
      return "gauge";
    case MetricKind::kHistogram:
      return "histogram";
  }
  return "unknown";
}

CounterSnapshot snapshot_of(const Counter& c) { return CounterSnapshot{c.value()}; }

GaugeSnapshot snapshot_of(const Gauge& g) {
  return GaugeSnapshot{g.value(), g.time_average(), g.min(), g.max()};
}

HistogramSnapshot snapshot_of(const Histogram& h) {
  return HistogramSnapshot{h.count(), h.sum(), h.mean(), h.min(), h.max(),
                           h.p50(),   h.p90(), h.p99(),  h.p999()};
}

// ---- MetricRegistry ----------------------------------------------------------------------

std::size_t MetricRegistry::slot(std::string_view name, MetricKind kind) {
  if (name.empty()) throw std::logic_error("metrics: a metric needs a non-empty name");
  const auto it = index_.find(name);
  if (it != index_.end()) {
    if (it->second.kind != kind) {
      throw std::logic_error("metrics: \"" + std::string(name) + "\" is a " +
                             std::string(metric_kind_name(it->second.kind)) + ", not a " +
                             std::string(metric_kind_name(kind)));
    }
    return it->second.index;
  }
  std::size_t index = 0;
  switch (kind) {
    case MetricKind::kCounter:
      index = counters_.size();
      counters_.emplace_back();
      break;
    case MetricKind::kGauge:
      index = gauges_.size();
      gauges_.emplace_back(*sim_);
      break;
    case MetricKind::kHistogram:
      index = histograms_.size();
      histograms_.emplace_back();
      break;
  }
  index_.emplace(std::string(name), Entry{kind, index});
  return index;
}

const MetricRegistry::Entry* MetricRegistry::find(std::string_view name, MetricKind kind) const {
  const auto it = index_.find(name);
  if (it == index_.end() || it->second.kind != kind) return nullptr;
  return &it->second;
}

Counter& MetricRegistry::counter(std::string_view name) {
  return counters_[slot(name, MetricKind::kCounter)];
}
Gauge& MetricRegistry::gauge(std::string_view name) {
  return gauges_[slot(name, MetricKind::kGauge)];
}
Histogram& MetricRegistry::histogram(std::string_view name) {
  return histograms_[slot(name, MetricKind::kHistogram)];
}

const Counter* MetricRegistry::find_counter(std::string_view name) const {
  const Entry* e = find(name, MetricKind::kCounter);
  return e == nullptr ? nullptr : &counters_[e->index];
}
const Gauge* MetricRegistry::find_gauge(std::string_view name) const {
  const Entry* e = find(name, MetricKind::kGauge);
  return e == nullptr ? nullptr : &gauges_[e->index];
}
const Histogram* MetricRegistry::find_histogram(std::string_view name) const {
  const Entry* e = find(name, MetricKind::kHistogram);
  return e == nullptr ? nullptr : &histograms_[e->index];
}

std::vector<MetricSnapshot> MetricRegistry::snapshot() const {
  std::vector<MetricSnapshot> out;
  out.reserve(index_.size());
  for (const auto& [name, entry] : index_) {  // std::map: ordered by name
    MetricSnapshot s{name, CounterSnapshot{}};
    switch (entry.kind) {
      case MetricKind::kCounter:
        s.value = snapshot_of(counters_[entry.index]);
        break;
      case MetricKind::kGauge:
        s.value = snapshot_of(gauges_[entry.index]);
        break;
      case MetricKind::kHistogram:
        s.value = snapshot_of(histograms_[entry.index]);
        break;
    }
    out.push_back(std::move(s));
  }
  return out;
}

void MetricRegistry::reset_window() {
  for (Counter& c : counters_) c.reset();
  for (Gauge& g : gauges_) g.reset_window();
  for (Histogram& h : histograms_) h.reset();
}

}  // namespace kubesim::sim
