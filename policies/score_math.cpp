#include "policies/score_math.hpp"

#include <cassert>
#include <cmath>
#include <cstdint>
#include <limits>

namespace kubesim::policies {

namespace {

// value × kMaxNodeScore / capacity, exact, for 0 <= value <= capacity, capacity > 0. Upstream
// computes the product in int64, which would overflow above ~9.2e16 (92 PB of memory); the
// 128-bit product gives upstream's result wherever upstream does not overflow.
std::int64_t scale_to_max_node_score(std::int64_t value, std::int64_t capacity) {
  __extension__ using i128 = __int128;
  return static_cast<std::int64_t>(static_cast<i128>(value) * kMaxNodeScore / capacity);
}

void check_parallel(std::span<const std::int64_t> requested,
                    std::span<const std::int64_t> allocatable,
                    std::span<const std::int64_t> weights) {
  assert(requested.size() == allocatable.size());
  assert(weights.size() == allocatable.size());
  (void)requested;
  (void)allocatable;
  (void)weights;
}

// The weighted mean shared by LeastAllocated and MostAllocated: resources with allocatable 0
// are skipped and their weight not counted; int64 division truncates.
template <typename PerResource>
std::int64_t weighted_resource_score(std::span<const std::int64_t> requested,
                                     std::span<const std::int64_t> allocatable,
                                     std::span<const std::int64_t> weights,
                                     PerResource per_resource) {
  check_parallel(requested, allocatable, weights);
  std::int64_t node_score = 0;
  std::int64_t weight_sum = 0;
  for (std::size_t i = 0; i < requested.size(); ++i) {
    if (allocatable[i] == 0) continue;
    node_score += per_resource(requested[i], allocatable[i]) * weights[i];
    weight_sum += weights[i];
  }
  if (weight_sum == 0) return 0;
  return node_score / weight_sum;
}

// A resource's fraction for BalancedAllocation, capped at 1.
double balanced_fraction(std::int64_t requested, std::int64_t allocatable) {
  const double fraction = static_cast<double>(requested) / static_cast<double>(allocatable);
  return fraction > 1 ? 1.0 : fraction;
}

}  // namespace

NonZeroRequest non_zero_request(std::optional<std::int64_t> milli_cpu,
                                std::optional<std::int64_t> memory) {
  // upstream: component-helpers resource.PodRequests, NonMissingContainerRequests: "If the
  // requests for those resources are explicitly set, even if zero, they will not be modified."
  return {milli_cpu.value_or(kDefaultMilliCpuRequest), memory.value_or(kDefaultMemoryRequest)};
}

std::int64_t least_requested_score(std::int64_t requested, std::int64_t capacity) {
  // upstream: least_allocated.go, leastRequestedScore.
  if (capacity == 0) return 0;
  if (requested > capacity) return 0;
  return scale_to_max_node_score(capacity - requested, capacity);
}

std::int64_t most_requested_score(std::int64_t requested, std::int64_t capacity) {
  // upstream: most_allocated.go, mostRequestedScore. requested can exceed capacity because
  // pods without requests count the non-zero defaults; it is clamped, not scored 0.
  if (capacity == 0) return 0;
  if (requested > capacity) requested = capacity;
  return scale_to_max_node_score(requested, capacity);
}

std::int64_t least_allocated_score(std::span<const std::int64_t> requested,
                                   std::span<const std::int64_t> allocatable,
                                   std::span<const std::int64_t> weights) {
  // upstream: least_allocated.go, leastResourceScorer.
  return weighted_resource_score(requested, allocatable, weights, least_requested_score);
}

std::int64_t most_allocated_score(std::span<const std::int64_t> requested,
                                  std::span<const std::int64_t> allocatable,
                                  std::span<const std::int64_t> weights) {
  // upstream: most_allocated.go, mostResourceScorer.
  return weighted_resource_score(requested, allocatable, weights, most_requested_score);
}

std::int64_t broken_linear(std::span<const ShapePoint> shape, std::int64_t p) {
  // upstream: helper/shape_score.go, BuildBrokenLinearFunction. C++ and Go integer division
  // both truncate toward zero, which matters on falling segments (negative numerators).
  assert(!shape.empty());
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (p <= shape[i].utilization) {
      if (i == 0) return shape[0].score;
      const ShapePoint& a = shape[i - 1];
      const ShapePoint& b = shape[i];
      return a.score + (b.score - a.score) * (p - a.utilization) / (b.utilization - a.utilization);
    }
  }
  return shape.back().score;
}

std::int64_t requested_to_capacity_ratio_score(std::span<const std::int64_t> requested,
                                               std::span<const std::int64_t> allocatable,
                                               std::span<const std::int64_t> weights,
                                               std::span<const ShapePoint> scaled_shape) {
  // upstream: requested_to_capacity_ratio.go, buildRequestedToCapacityRatioScorerFunction.
  constexpr std::int64_t kMaxUtilization = 100;
  check_parallel(requested, allocatable, weights);
  std::int64_t node_score = 0;
  std::int64_t weight_sum = 0;
  for (std::size_t i = 0; i < requested.size(); ++i) {
    if (allocatable[i] == 0) continue;
    // resourceScoringFunction: full utilization when over capacity (capacity 0 is skipped
    // above, so upstream's capacity == 0 branch cannot be reached from here).
    const std::int64_t utilization = requested[i] > allocatable[i]
                                         ? kMaxUtilization
                                         : scale_to_max_node_score(requested[i], allocatable[i]);
    const std::int64_t resource_score = broken_linear(scaled_shape, utilization);
    // Only resources with a positive score enter either sum.
    if (resource_score > 0) {
      node_score += resource_score * weights[i];
      weight_sum += weights[i];
    }
  }
  if (weight_sum == 0) return 0;
  // Go's math.Round and std::round both round half away from zero.
  return static_cast<std::int64_t>(
      std::round(static_cast<double>(node_score) / static_cast<double>(weight_sum)));
}

std::int64_t balanced_allocation_score(std::span<const std::int64_t> requested,
                                       std::span<const std::int64_t> allocatable) {
  // upstream: balanced_allocation.go, balancedResourceScorer. Upstream collects the fractions
  // in a slice; two passes over the inputs compute the same doubles in the same order
  // without allocating.
  assert(requested.size() == allocatable.size());
  std::size_t count = 0;
  double total_fraction = 0;
  double first = 0;
  double second = 0;
  for (std::size_t i = 0; i < requested.size(); ++i) {
    if (allocatable[i] == 0) continue;
    const double fraction = balanced_fraction(requested[i], allocatable[i]);
    total_fraction += fraction;
    if (count == 0) first = fraction;
    if (count == 1) second = fraction;
    ++count;
  }

  double std_dev = 0;
  if (count == 2) {
    std_dev = std::fabs((first - second) / 2);
  } else if (count > 2) {
    const double mean = total_fraction / static_cast<double>(count);
    double sum = 0;
    for (std::size_t i = 0; i < requested.size(); ++i) {
      if (allocatable[i] == 0) continue;
      const double d = balanced_fraction(requested[i], allocatable[i]) - mean;
      // A separate product and sum, as amd64 Go computes them; the library is built with
      // -ffp-contract=off so no compiler fuses them into an FMA (arm64 Go may).
      sum = sum + d * d;
    }
    std_dev = std::sqrt(sum / static_cast<double>(count));
  }
  // int64(...) in Go truncates toward zero, as static_cast does.
  return static_cast<std::int64_t>((1 - std_dev) * static_cast<double>(kMaxNodeScore));
}

bool balanced_allocation_skips(std::span<const std::int64_t> pod_requests) {
  // upstream: resource_allocation.go, isBestEffortPod.
  for (const std::int64_t request : pod_requests) {
    if (request != 0) return false;
  }
  return true;
}

void default_normalize_score(std::span<std::int64_t> scores, std::int64_t max_priority,
                             bool reverse) {
  // upstream: helper/normalize_score.go, DefaultNormalizeScore.
  std::int64_t max_count = 0;
  for (const std::int64_t s : scores) {
    if (s > max_count) max_count = s;
  }
  if (max_count == 0) {
    if (reverse) {
      for (std::int64_t& s : scores) s = max_priority;
    }
    return;
  }
  for (std::int64_t& s : scores) {
    std::int64_t score = max_priority * s / max_count;
    if (reverse) score = max_priority - score;
    s = score;
  }
}

double topology_normalizing_weight(std::int64_t num_domains) {
  // upstream: podtopologyspread/scoring.go, topologyNormalizingWeight. Go's math.Log and
  // glibc's log may differ in the last bit; the raw score is rounded to an integer, so only
  // a sum within an ulp of .5 could tell them apart.
  return std::log(static_cast<double>(num_domains + 2));
}

double topology_spread_score_for_count(std::int64_t matching_pods, std::int32_t max_skew,
                                       double weight) {
  // upstream: podtopologyspread/scoring.go, scoreForCount.
  return static_cast<double>(matching_pods) * weight + static_cast<double>(max_skew - 1);
}

std::int64_t pod_topology_spread_raw_score(std::span<const TopologySpreadTerm> terms) {
  // upstream: podtopologyspread/scoring.go, Score.
  double score = 0;
  for (const TopologySpreadTerm& t : terms) {
    score += topology_spread_score_for_count(t.matching_pods, t.max_skew, t.weight);
  }
  return static_cast<std::int64_t>(std::round(score));
}

void pod_topology_spread_normalize(std::span<std::int64_t> scores) {
  // upstream: podtopologyspread/scoring.go, NormalizeScore.
  std::int64_t min_score = std::numeric_limits<std::int64_t>::max();
  std::int64_t max_score = 0;
  for (const std::int64_t s : scores) {
    if (s == kTopologySpreadIgnoredNode) continue;
    assert(s >= 0);
    if (s < min_score) min_score = s;
    if (s > max_score) max_score = s;
  }
  for (std::int64_t& s : scores) {
    if (s == kTopologySpreadIgnoredNode) {
      s = 0;
    } else if (max_score == 0) {
      s = kMaxNodeScore;
    } else {
      s = kMaxNodeScore * (max_score + min_score - s) / max_score;
    }
  }
}

std::int64_t scaled_image_score(std::int64_t image_size_bytes, std::int64_t num_nodes_with_image,
                                std::int64_t total_num_nodes) {
  // upstream: imagelocality/image_locality.go, scaledImageScore.
  assert(total_num_nodes >= 1);
  const double spread =
      static_cast<double>(num_nodes_with_image) / static_cast<double>(total_num_nodes);
  return static_cast<std::int64_t>(static_cast<double>(image_size_bytes) * spread);
}

std::int64_t image_locality_score(std::int64_t sum_scores, std::int64_t num_containers) {
  // upstream: imagelocality/image_locality.go, calculatePriority. With no containers the
  // sum is 0 and the score 0, as upstream (the divisor is then -23 MiB, never 0).
  const std::int64_t max_threshold = kImageLocalityMaxContainerThreshold * num_containers;
  if (sum_scores < kImageLocalityMinThreshold) {
    sum_scores = kImageLocalityMinThreshold;
  } else if (sum_scores > max_threshold) {
    sum_scores = max_threshold;
  }
  return kMaxNodeScore * (sum_scores - kImageLocalityMinThreshold) /
         (max_threshold - kImageLocalityMinThreshold);
}

std::int32_t num_feasible_nodes_to_find(std::int32_t num_all_nodes,
                                        std::int32_t percentage_of_nodes_to_score) {
  // upstream: schedule_one.go, numFeasibleNodesToFind. (Older releases also returned N early
  // for a percentage >= 100; with valid percentages the result is the same.)
  if (num_all_nodes < kMinFeasibleNodesToFind) return num_all_nodes;
  std::int32_t percentage = percentage_of_nodes_to_score;
  if (percentage == 0) {
    percentage = 50 - num_all_nodes / 125;
    if (percentage < kMinFeasibleNodesPercentageToFind) {
      percentage = kMinFeasibleNodesPercentageToFind;
    }
  }
  // int32 in upstream as well: N × percentage stays below 2^31 up to ~21 million nodes.
  const std::int32_t num_nodes = num_all_nodes * percentage / 100;
  if (num_nodes < kMinFeasibleNodesToFind) return kMinFeasibleNodesToFind;
  return num_nodes;
}

std::int64_t next_start_node_index(std::int64_t start, std::int64_t processed,
                                   std::int64_t num_all_nodes) {
  // upstream: schedule_one.go, findNodesThatPassFilters.
  assert(num_all_nodes > 0);
  return (start + processed) % num_all_nodes;
}

std::optional<std::size_t> select_host(std::span<const std::int64_t> total_scores, sim::Rng& rng) {
  // upstream: schedule_one.go, selectHost (reservoir sampling among the top scores).
  if (total_scores.empty()) return std::nullopt;
  std::int64_t max_score = total_scores[0];
  for (const std::int64_t s : total_scores) {
    if (s > max_score) max_score = s;
  }
  std::size_t selected = 0;
  std::uint64_t count_of_max = 0;
  for (std::size_t i = 0; i < total_scores.size(); ++i) {
    if (total_scores[i] != max_score) continue;
    ++count_of_max;
    // Replace the candidate with probability 1/count_of_max; the first tied node draws nothing.
    if (count_of_max == 1 || rng.below(count_of_max) == 0) selected = i;
  }
  return selected;
}

}  // namespace kubesim::policies
