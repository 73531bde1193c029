// Scoring and sampling arithmetic of kube-scheduler v1.34, as pure functions.
//
// This is the math layer under the scheduling plugins: it knows nothing of pods, nodes,
// labels or views, only the integers (and, where upstream uses them, the doubles) that the
// upstream plugins compute with. The plugins in policies/ gather those numbers from their
// node views and call these functions; the functions reproduce upstream exactly — int64
// with truncating division, the same float steps and the same rounding — so a kubesim
// scheduler ranks nodes as kube-scheduler v1.34 does. Each function names the upstream file
// its rule comes from (in kubernetes/kubernetes, plugin paths under
// pkg/scheduler/framework/plugins/, schedule_one.go under pkg/scheduler/); docs/policies.md
// lists the formulas.
//
// Resource arrays. The NodeResourcesFit strategies and BalancedAllocation take parallel
// spans indexed by the configured resources (the scoring strategy's `resources` list, in its
// order): `requested[i]` is the node's requested amount of resource i *including the
// incoming pod*, `allocatable[i]` the node's allocatable amount, `weights[i]` its weight.
// CPU is in milli-CPU, everything else in units (bytes for memory). The caller applies
// upstream's skipping rule before calling (upstream: resource_allocation.go,
// calculateResourceAllocatableRequest): an extended (scalar) resource the pod does not
// request, or one the node does not have, is passed with allocatable = 0 — and a resource
// with allocatable 0 is skipped here, its weight not counted. cpu and memory are always
// passed. Which requests to sum is also the caller's business: the Fit strategies use
// non-zero requests for cpu and memory (non_zero_request below, for existing pods and the
// incoming one alike); BalancedAllocation uses the real requests.
//
// Version. kube-scheduler v1.34. Later upstream changes that these functions deliberately do
// not follow are noted next to the function concerned (BalancedAllocation's v1.36
// "change in balance" score, selectHost's per-node randomizer).
//
// Thread-safety: every function is pure except select_host, which draws from the Rng it is
// given. No allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "sim/random.hpp"

namespace kubesim::policies {

// upstream: k8s.io/kube-scheduler/framework (interface.go), MaxNodeScore / MinNodeScore.
inline constexpr std::int64_t kMaxNodeScore = 100;
inline constexpr std::int64_t kMinNodeScore = 0;
// upstream: apis/config/types.go, MaxCustomPriorityScore: the top of the user-facing
// RequestedToCapacityRatio shape scale (0..10).
inline constexpr std::int64_t kMaxCustomPriorityScore = 10;

inline constexpr std::int64_t kMiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------
// Non-zero requests (upstream: pkg/scheduler/util/pod_resources.go, DefaultMilliCPURequest
// and DefaultMemoryRequest; applied through component-helpers resource.PodRequests with
// NonMissingContainerRequests in noderesources/resource_allocation.go).

inline constexpr std::int64_t kDefaultMilliCpuRequest = 100;       // 0.1 core
inline constexpr std::int64_t kDefaultMemoryRequest = 200 * kMiB;  // 200 MiB

struct NonZeroRequest {
  std::int64_t milli_cpu = 0;
  std::int64_t memory = 0;
};

// One container's cpu and memory requests as the scoring strategies count them: a request
// that is *missing* becomes the default (100m, 200 MiB); an explicit request, even "0", is
// kept. Apply per container (app and init alike) before combining the pod's request as
// max(Σ app + Σ sidecars, max init) + overhead. A pod with no containers requests nothing.
// Not used by the Fit filter nor by BalancedAllocation, which see the real requests.
NonZeroRequest non_zero_request(std::optional<std::int64_t> milli_cpu,
                                std::optional<std::int64_t> memory);

// ---------------------------------------------------------------------------------------
// NodeResourcesFit scoring strategies.
//
// REQUIRES for all three: requested, allocatable and weights have the same size;
// requested[i] >= 0, allocatable[i] >= 0; weights in 1..100 (upstream validation).

// (capacity - requested) * 100 / capacity; 0 when requested > capacity or capacity == 0.
// upstream: noderesources/least_allocated.go, leastRequestedScore.
std::int64_t least_requested_score(std::int64_t requested, std::int64_t capacity);

// min(requested, capacity) * 100 / capacity; 0 when capacity == 0.
// upstream: noderesources/most_allocated.go, mostRequestedScore.
std::int64_t most_requested_score(std::int64_t requested, std::int64_t capacity);

// Σ w_i × least_requested_score_i / Σ w_i over resources with allocatable > 0 (int64,
// truncating); 0 when no resource counts. upstream: least_allocated.go, leastResourceScorer.
std::int64_t least_allocated_score(std::span<const std::int64_t> requested,
                                   std::span<const std::int64_t> allocatable,
                                   std::span<const std::int64_t> weights);

// As least_allocated_score with most_requested_score per resource.
// upstream: most_allocated.go, mostResourceScorer.
std::int64_t most_allocated_score(std::span<const std::int64_t> requested,
                                  std::span<const std::int64_t> allocatable,
                                  std::span<const std::int64_t> weights);

// A point of a broken-linear function: utilization 0..100 -> score.
struct ShapePoint {
  std::int64_t utilization = 0;
  std::int64_t score = 0;
};

// The broken-linear function through `shape` at p: shape[0].score for p <= shape[0].
// utilization, the last score beyond the last point, and between points i-1 and i
// s[i-1] + (s[i] - s[i-1]) × (p - u[i-1]) / (u[i] - u[i-1]) with Go's truncating division.
// REQUIRES: shape non-empty, utilizations strictly increasing (upstream validation).
// upstream: plugins/helper/shape_score.go, BuildBrokenLinearFunction.
std::int64_t broken_linear(std::span<const ShapePoint> shape, std::int64_t p);

// A user shape point (score 0..10, as written in KubeSchedulerConfiguration) scaled to the
// node-score range: score × (100 / 10). Scale every point before calling broken_linear;
// interpolating first and scaling after rounds differently.
// upstream: noderesources/requested_to_capacity_ratio.go, requestedToCapacityRatioScorer.
constexpr ShapePoint scale_shape_point(ShapePoint user_point) {
  return {user_point.utilization, user_point.score * (kMaxNodeScore / kMaxCustomPriorityScore)};
}

// RequestedToCapacityRatio with the *scaled* shape: per resource with allocatable > 0,
// util = requested >= capacity ? 100 : requested × 100 / capacity, s = broken_linear(util);
// only resources with s > 0 enter either sum (so a resource at a score of 0 lowers nothing);
// node score = round(Σ w·s / Σ w) (float division, Go's math.Round: half away from zero);
// 0 when no resource counts. The "s > 0" rule is in v1.34 (it has been since the strategy
// was a priority function); it is not a recent change.
// upstream: noderesources/requested_to_capacity_ratio.go,
// buildRequestedToCapacityRatioScorerFunction.
std::int64_t requested_to_capacity_ratio_score(std::span<const std::int64_t> requested,
                                               std::span<const std::int64_t> allocatable,
                                               std::span<const std::int64_t> weights,
                                               std::span<const ShapePoint> scaled_shape);

// ---------------------------------------------------------------------------------------
// NodeResourcesBalancedAllocation (v1.34: the plain standard-deviation score).
//
// Per resource with allocatable > 0: f = min(requested / allocatable, 1) in double. With two
// fractions std = |f0 - f1| / 2; with more, the population standard deviation around their
// mean; otherwise 0. Score = int64((1 - std) × 100), truncated. `requested` are real
// requests (no non-zero defaults), node plus incoming pod; weights play no part.
// upstream: noderesources/balanced_allocation.go, balancedResourceScorer.
//
// Not followed: upstream master / v1.36 (PR #135573) scores the *change* in balance,
// 50 + (50 + score_with_pod - score_without_pod) / 2, so an unchanged node scores 75.
std::int64_t balanced_allocation_score(std::span<const std::int64_t> requested,
                                       std::span<const std::int64_t> allocatable);

// True when every configured request of the incoming pod is 0: BalancedAllocation's PreScore
// then returns Skip and the plugin adds 0 to every node (upstream issue #129138).
// upstream: noderesources/resource_allocation.go, isBestEffortPod.
bool balanced_allocation_skips(std::span<const std::int64_t> pod_requests);

// ---------------------------------------------------------------------------------------
// Normalization.

// Maps scores from [0, max(scores)] to [0, max_priority]: s × max_priority / max (int64,
// truncating), then max_priority - s when `reverse`. If the maximum is 0 every score stays
// as it is, or becomes max_priority when `reverse`. REQUIRES scores >= 0.
// upstream: plugins/helper/normalize_score.go, DefaultNormalizeScore.
void default_normalize_score(std::span<std::int64_t> scores, std::int64_t max_priority,
                             bool reverse);

// TaintToleration: raw = number of intolerable PreferNoSchedule taints; fewer is better.
// upstream: tainttoleration/taint_toleration.go, NormalizeScore.
inline void taint_toleration_normalize(std::span<std::int64_t> scores) {
  default_normalize_score(scores, kMaxNodeScore, /*reverse=*/true);
}

// NodeAffinity: raw = Σ weights of matched preferred terms; more is better.
// upstream: nodeaffinity/node_affinity.go, NormalizeScore.
inline void node_affinity_normalize(std::span<std::int64_t> scores) {
  default_normalize_score(scores, kMaxNodeScore, /*reverse=*/false);
}

// ---------------------------------------------------------------------------------------
// PodTopologySpread scoring (ScheduleAnyway constraints).
// upstream: podtopologyspread/scoring.go.

// Weight of a constraint: ln(#domains + 2), where #domains counts the distinct values of the
// topology key among the filtered nodes that are not ignored; for kubernetes.io/hostname it
// is the number of filtered nodes minus the ignored ones. upstream: topologyNormalizingWeight.
double topology_normalizing_weight(std::int64_t num_domains);

// One constraint's contribution: matching_pods × weight + (max_skew - 1), where
// matching_pods counts the matching pods in the node's domain. upstream: scoreForCount.
double topology_spread_score_for_count(std::int64_t matching_pods, std::int32_t max_skew,
                                       double weight);

// One constraint's term of a node's raw score.
struct TopologySpreadTerm {
  std::int64_t matching_pods = 0;
  std::int32_t max_skew = 1;
  double weight = 0;  // topology_normalizing_weight of the constraint
};

// A node's raw score: the terms summed in constraint order as doubles, then rounded half
// away from zero (Go math.Round) to int64. Pass one term per constraint whose topology key
// the node has (a node lacking a key contributes nothing for that constraint). Nodes that
// PreScore ignores (missing a required key) score 0 and are marked for normalization with
// kTopologySpreadIgnoredNode instead. upstream: scoring.go, Score.
std::int64_t pod_topology_spread_raw_score(std::span<const TopologySpreadTerm> terms);

// Marks a node that PreScore ignored, in the scores passed to the normalizer.
// upstream: scoring.go, invalidScore.
inline constexpr std::int64_t kTopologySpreadIgnoredNode = -1;

// In place: ignored nodes -> 0; otherwise, over the non-ignored raw scores with maximum max
// and minimum min, 100 when max == 0, else 100 × (max + min - raw) / max (int64,
// truncating). REQUIRES each score >= 0 or == kTopologySpreadIgnoredNode.
// upstream: scoring.go, NormalizeScore.
void pod_topology_spread_normalize(std::span<std::int64_t> scores);

// ---------------------------------------------------------------------------------------
// ImageLocality. upstream: imagelocality/image_locality.go.

inline constexpr std::int64_t kImageLocalityMinThreshold = 23 * kMiB;
inline constexpr std::int64_t kImageLocalityMaxContainerThreshold = 1000 * kMiB;

// An image's contribution on a node that has it: int64(double(size) × (double(nodes having
// the image) / double(all nodes))), truncated. Both counts are over all nodes of the
// snapshot, not only the filtered ones. REQUIRES total_num_nodes >= 1.
// upstream: scaledImageScore.
std::int64_t scaled_image_score(std::int64_t image_size_bytes, std::int64_t num_nodes_with_image,
                                std::int64_t total_num_nodes);

// Node score from the sum of scaled_image_score over the pod's init and app containers whose
// image the node has; num_containers counts init + app containers. The sum is clamped to
// [23 MiB, 1000 MiB × num_containers], then 100 × (sum - 23 MiB) / (max - 23 MiB).
// upstream: calculatePriority.
std::int64_t image_locality_score(std::int64_t sum_scores, std::int64_t num_containers);

// ---------------------------------------------------------------------------------------
// Sampling. upstream: pkg/scheduler/schedule_one.go.

inline constexpr std::int32_t kMinFeasibleNodesToFind = 100;
inline constexpr std::int32_t kMinFeasibleNodesPercentageToFind = 5;

// How many feasible nodes the Filter phase looks for before it stops. All nodes below 100;
// otherwise percentage = percentage_of_nodes_to_score, or when that is 0 the adaptive
// max(5, 50 - N/125); n = N × percentage / 100 (int32, truncating), at least 100.
// REQUIRES 0 <= percentage_of_nodes_to_score <= 100 (upstream validation), N >= 0.
// upstream: schedule_one.go, numFeasibleNodesToFind.
std::int32_t num_feasible_nodes_to_find(std::int32_t num_all_nodes,
                                        std::int32_t percentage_of_nodes_to_score);

// Where the next cycle's Filter starts: (start + processed) mod N, processed being the
// feasible nodes found plus the nodes rejected this cycle. REQUIRES num_all_nodes > 0.
// upstream: schedule_one.go, findNodesThatPassFilters (nextStartNodeIndex).
std::int64_t next_start_node_index(std::int64_t start, std::int64_t processed,
                                   std::int64_t num_all_nodes);

// Picks the node to bind among those with the highest total score, each of the k tied nodes
// with probability 1/k (reservoir sampling). Returns the index into total_scores, or nothing
// when total_scores is empty (upstream: "empty priorityList").
//
// Random draws, exactly: the maximum is found first; then the tied nodes are visited in index
// order, the first becomes the candidate without a draw, and the j-th tied node (j = 2..k)
// draws rng.below(j) and replaces the candidate when the draw is 0. So k tied nodes cost
// k - 1 draws, with bounds 2, 3, ..., k, and a unique maximum costs none.
//
// upstream: schedule_one.go, selectHost (v1.27–v1.34: a max-heap of NodePluginScores,
// rand.Intn(cntOfMaxScore) per further tied node as it is popped). The distribution is the
// same; the chosen node for a given seed is not, since upstream visits ties in heap-pop order
// with Go's math/rand. Later upstream (PR #135231) adds a random per-node tie-breaker to the
// heap order instead; not followed.
std::optional<std::size_t> select_host(std::span<const std::int64_t> total_scores, sim::Rng& rng);

}  // namespace kubesim::policies
