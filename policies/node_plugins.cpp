#include "policies/node_plugins.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <set>
#include <utility>

#include "models/gpu_topology.hpp"
#include "models/selectors.hpp"
#include "models/taints.hpp"

namespace kubesim::policies {

using sched::CycleState;
using sched::NodeInfo;
using sched::PluginStatus;
using sched::PodInfo;
using sched::Snapshot;

// ---- resource reading shared by Fit scoring and BalancedAllocation -----------------------

std::vector<ScoredResource> scored_resources(const std::vector<ResourceWeight>& resources) {
  std::vector<ScoredResource> out;
  out.reserve(resources.size());
  for (const auto& r : resources) {
    ScoredResource s;
    s.name = r.name;
    s.weight = r.weight;
    if (r.name == models::kResourceCpu) {
      s.kind = ScoredResource::Kind::kCpu;
    } else if (r.name == models::kResourceMemory) {
      s.kind = ScoredResource::Kind::kMemory;
    } else if (r.name == models::kResourceEphemeralStorage) {
      s.kind = ScoredResource::Kind::kEphemeralStorage;
    } else if (r.name == models::kResourcePods) {
      // Not a scalar resource and not in calculateResourceAllocatableRequest's switch:
      // upstream reads (0, 0) for it, so it never counts.
      s.kind = ScoredResource::Kind::kNone;
    } else {
      s.kind = ScoredResource::Kind::kScalar;  // extended, hugepages-*, prefixed native
    }
    out.push_back(std::move(s));
  }
  return out;
}

namespace {

// upstream: resource_allocation.go, calculatePodResourceRequest: non-zero cpu and memory
// (NonMissingContainerRequests) unless `use_requested`.
void pod_requests_for(const std::vector<ScoredResource>& resources, const PodInfo& pod,
                      bool use_requested, std::vector<std::int64_t>& out) {
  out.resize(resources.size());
  for (std::size_t i = 0; i < resources.size(); ++i) {
    switch (resources[i].kind) {
      case ScoredResource::Kind::kCpu:
        out[i] = use_requested ? pod.requests.cpu_milli : pod.non_zero_milli_cpu;
        break;
      case ScoredResource::Kind::kMemory:
        out[i] = use_requested ? pod.requests.memory : pod.non_zero_memory;
        break;
      case ScoredResource::Kind::kEphemeralStorage:
        out[i] = pod.requests.ephemeral_storage;
        break;
      case ScoredResource::Kind::kScalar:
        out[i] = pod.requests.get(resources[i].name);
        break;
      case ScoredResource::Kind::kNone:
        out[i] = 0;
        break;
    }
  }
}

// upstream: resource_allocation.go, score + calculateResourceAllocatableRequest. Resources
// the node lacks (allocatable 0) and scalar resources the pod does not request are left at
// (0, 0), which the score functions skip.
void node_arrays(const std::vector<ScoredResource>& resources, const NodeInfo& node,
                 const std::vector<std::int64_t>& pod_requests, bool use_requested,
                 std::vector<std::int64_t>& requested, std::vector<std::int64_t>& allocatable) {
  const std::size_t n = resources.size();
  requested.resize(n);
  allocatable.resize(n);
  const models::ResourceList& alloc = node.allocatable();
  const models::ResourceList& used = node.requested();
  for (std::size_t i = 0; i < n; ++i) {
    std::int64_t a = 0;
    std::int64_t r = 0;
    switch (resources[i].kind) {
      case ScoredResource::Kind::kCpu:
        a = alloc.cpu_milli;
        r = (use_requested ? used.cpu_milli : node.non_zero_milli_cpu()) + pod_requests[i];
        break;
      case ScoredResource::Kind::kMemory:
        a = alloc.memory;
        r = (use_requested ? used.memory : node.non_zero_memory()) + pod_requests[i];
        break;
      case ScoredResource::Kind::kEphemeralStorage:
        a = alloc.ephemeral_storage;
        r = used.ephemeral_storage + pod_requests[i];
        break;
      case ScoredResource::Kind::kScalar:
        if (pod_requests[i] != 0 && alloc.has(resources[i].name)) {
          a = alloc.get(resources[i].name);
          r = used.get(resources[i].name) + pod_requests[i];
        }
        break;
      case ScoredResource::Kind::kNone:
        break;
    }
    if (a == 0) r = 0;
    allocatable[i] = a;
    requested[i] = r;
  }
}

}  // namespace

// ---- NodeResourcesFit --------------------------------------------------------------------

NodeResourcesFit::NodeResourcesFit(const NodeResourcesFitArgs& args)
    : type_(args.type),
      resources_(scored_resources(args.resources)),
      ignored_resources_(args.ignored_resources),
      ignored_groups_(args.ignored_resource_groups) {
  for (const auto& r : resources_) weights_.push_back(r.weight);
  cpu_memory_ = resources_.size() == 2 && resources_[0].kind == ScoredResource::Kind::kCpu &&
                resources_[1].kind == ScoredResource::Kind::kMemory;
  for (const auto& p : args.shape) scaled_shape_.push_back(scale_shape_point(p));
}

PluginStatus NodeResourcesFit::pre_filter(CycleState&, const PodInfo&, const Snapshot&,
                                          sched::PreFilterResult&) {
  // upstream computes the pod's requests here (computePodResourceRequest); PodInfo already
  // holds them, so there is nothing to store.
  return PluginStatus::success();
}

PluginStatus NodeResourcesFit::filter(const CycleState&, const PodInfo& pod, const NodeInfo& node) {
  // upstream: fit.go, fitsRequest. No allocation unless the node is rejected.
  const models::ResourceList& want = pod.requests;
  const models::ResourceList& alloc = node.allocatable();
  const models::ResourceList& used = node.requested();
  PluginStatus status;
  auto reject = [&](std::string reason, bool unresolvable) {
    if (status.code == sched::Code::kSuccess) status.code = sched::Code::kUnschedulable;
    if (unresolvable) status.code = sched::Code::kUnschedulableAndUnresolvable;
    if (status.reason.empty()) {
      status.reason = std::move(reason);
    } else {
      status.more_reasons.push_back(std::move(reason));
    }
  };
  if (static_cast<std::int64_t>(node.pods().size()) + 1 > alloc.pods) {
    reject(std::string(kReasonTooManyPods), false);
  }
  if (want.cpu_milli > 0 && want.cpu_milli > alloc.cpu_milli - used.cpu_milli) {
    reject("Insufficient cpu", want.cpu_milli > alloc.cpu_milli);
  }
  if (want.memory > 0 && want.memory > alloc.memory - used.memory) {
    reject("Insufficient memory", want.memory > alloc.memory);
  }
  if (want.ephemeral_storage > 0 &&
      want.ephemeral_storage > alloc.ephemeral_storage - used.ephemeral_storage) {
    reject("Insufficient ephemeral-storage", want.ephemeral_storage > alloc.ephemeral_storage);
  }
  auto scalar = [&](std::string_view name, std::int64_t q) {
    if (q == 0) return;
    if (models::is_extended_resource_name(name)) {
      if (std::find(ignored_resources_.begin(), ignored_resources_.end(), name) !=
          ignored_resources_.end()) {
        return;
      }
      if (!ignored_groups_.empty()) {
        const std::string_view prefix = name.substr(0, name.find('/'));
        if (std::find(ignored_groups_.begin(), ignored_groups_.end(), prefix) !=
            ignored_groups_.end()) {
          return;
        }
      }
    }
    const std::int64_t a = alloc.get(name);
    if (q > a - used.get(name)) reject("Insufficient " + std::string(name), q > a);
  };
  if (want.gpu > 0) scalar(models::kResourceGpu, want.gpu);
  for (const auto& [name, q] : want.others()) scalar(name, q);
  return status;
}

bool NodeResourcesFit::filter_passes(const CycleState& state, const PodInfo& pod,
                                     const NodeInfo& node) {
  // filter() without building a status (exact: quick_filter_exact). GPUs are compared here
  // when no extended resource is ignored; other extended resources go the long way.
  const models::ResourceList& want = pod.requests;
  const models::ResourceList& alloc = node.allocatable();
  const models::ResourceList& used = node.requested();
  if (static_cast<std::int64_t>(node.pods().size()) + 1 > alloc.pods) return false;
  if (want.cpu_milli > 0 && want.cpu_milli > alloc.cpu_milli - used.cpu_milli) return false;
  if (want.memory > 0 && want.memory > alloc.memory - used.memory) return false;
  if (want.ephemeral_storage > 0 &&
      want.ephemeral_storage > alloc.ephemeral_storage - used.ephemeral_storage) {
    return false;
  }
  if (want.others().empty()) {
    if (want.gpu == 0) return true;
    if (ignored_resources_.empty() && ignored_groups_.empty()) {
      return want.gpu <= alloc.gpu - used.gpu;
    }
  }
  return filter(state, pod, node).ok();
}

void NodeResourcesFit::compute_pod_requests(const PodInfo& pod) {
  pod_requests_for(resources_, pod, /*use_requested=*/false, pod_requests_);
  scored_pod_ = &pod;
}

PluginStatus NodeResourcesFit::pre_score(CycleState&, const PodInfo& pod, const Snapshot&,
                                         std::span<const NodeInfo* const>) {
  // upstream: fit.go, PreScore (calculatePodResourceRequestList).
  compute_pod_requests(pod);
  return PluginStatus::success();
}

namespace {

// x / d truncated, for 0 <= x and d > 0: a double quotient corrected by one step (exact
// while x < 2^53), which is several times faster than a 64-bit idiv on this hot path.
inline std::int64_t div_nonneg(std::int64_t x, std::int64_t d) {
  if (x >= (std::int64_t{1} << 53)) return x / d;
  std::int64_t q = static_cast<std::int64_t>(static_cast<double>(x) / static_cast<double>(d));
  if (q * d > x) {
    --q;
  } else if ((q + 1) * d <= x) {
    ++q;
  }
  return q;
}

// As div_nonneg with a precomputed 1.0 / d (a multiplication instead of a division); the
// product is within far less than one of x / d, so one correction step is exact.
inline std::int64_t div_nonneg_inv(std::int64_t x, std::int64_t d, double inv_d) {
  if (x >= (std::int64_t{1} << 53) || inv_d == 0) return x / d;
  std::int64_t q = static_cast<std::int64_t>(static_cast<double>(x) * inv_d);
  if (q * d > x) {
    --q;
  } else if ((q + 1) * d <= x) {
    ++q;
  }
  return q;
}

// LeastAllocated / MostAllocated in int64 when every product × 100 fits (values below 2^56,
// i.e. 64 PiB of memory): the same integers as score_math's 128-bit path, without the
// 128-bit division. nullopt: out of that range, use score_math.
std::optional<std::int64_t> fast_allocated_score(const std::int64_t* requested,
                                                 const std::int64_t* allocatable,
                                                 const std::int64_t* weights, std::size_t n,
                                                 bool least, const double* inverse = nullptr) {
  constexpr std::int64_t kLimit = std::int64_t{1} << 56;
  std::int64_t node_score = 0;
  std::int64_t weight_sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t a = allocatable[i];
    if (a == 0) continue;
    const std::int64_t r = requested[i];
    if (a >= kLimit || r >= kLimit || r < 0) return std::nullopt;
    const std::int64_t x =
        least ? (r > a ? 0 : (a - r) * kMaxNodeScore) : (r > a ? a : r) * kMaxNodeScore;
    const std::int64_t s = inverse ? div_nonneg_inv(x, a, inverse[i]) : div_nonneg(x, a);
    node_score += s * weights[i];
    weight_sum += weights[i];
  }
  if (weight_sum == 0) return 0;
  if ((weight_sum & (weight_sum - 1)) == 0) {  // a power of two (cpu:1 memory:1 sums to 2)
    return node_score >> std::countr_zero(static_cast<std::uint64_t>(weight_sum));
  }
  return div_nonneg(node_score, weight_sum);
}

}  // namespace

std::int64_t NodeResourcesFit::score(const CycleState&, const PodInfo& pod, const NodeInfo& node) {
  if (scored_pod_ != &pod) compute_pod_requests(pod);
  return score_one(pod, node);
}

void NodeResourcesFit::score_nodes(const CycleState&, const PodInfo& pod,
                                   std::span<const NodeInfo* const> nodes,
                                   std::span<std::int64_t> out) {
  if (scored_pod_ != &pod) compute_pod_requests(pod);
  for (std::size_t i = 0; i < nodes.size(); ++i) out[i] = score_one(pod, *nodes[i]);
}

std::int64_t NodeResourcesFit::score_one(const PodInfo&, const NodeInfo& node) {
  const bool least = type_ == ScoringStrategyType::kLeastAllocated;
  if (cpu_memory_ && type_ != ScoringStrategyType::kRequestedToCapacityRatio) {
    // The default resources, read straight from the node (as node_arrays would).
    const models::ResourceList& alloc = node.allocatable();
    const std::int64_t a[2] = {alloc.cpu_milli, alloc.memory};
    const std::int64_t r[2] = {a[0] == 0 ? 0 : node.non_zero_milli_cpu() + pod_requests_[0],
                               a[1] == 0 ? 0 : node.non_zero_memory() + pod_requests_[1]};
    const double inv[2] = {node.inverse_allocatable_cpu(), node.inverse_allocatable_memory()};
    if (auto s = fast_allocated_score(r, a, weights_.data(), 2, least, inv)) return *s;
  }
  node_arrays(resources_, node, pod_requests_, /*use_requested=*/false, requested_, allocatable_);
  if (type_ != ScoringStrategyType::kRequestedToCapacityRatio) {
    if (auto s = fast_allocated_score(requested_.data(), allocatable_.data(), weights_.data(),
                                      requested_.size(), least)) {
      return *s;
    }
  }
  switch (type_) {
    case ScoringStrategyType::kLeastAllocated:
      return least_allocated_score(requested_, allocatable_, weights_);
    case ScoringStrategyType::kMostAllocated:
      return most_allocated_score(requested_, allocatable_, weights_);
    case ScoringStrategyType::kRequestedToCapacityRatio:
      return requested_to_capacity_ratio_score(requested_, allocatable_, weights_, scaled_shape_);
  }
  return 0;
}

// ---- NodeResourcesBalancedAllocation ----------------------------------------------------

NodeResourcesBalancedAllocation::NodeResourcesBalancedAllocation(
    const NodeResourcesBalancedAllocationArgs& args)
    : resources_(scored_resources(args.resources)) {
  cpu_memory_ = resources_.size() == 2 && resources_[0].kind == ScoredResource::Kind::kCpu &&
                resources_[1].kind == ScoredResource::Kind::kMemory;
}

void NodeResourcesBalancedAllocation::compute_pod_requests(const PodInfo& pod) {
  pod_requests_for(resources_, pod, /*use_requested=*/true, pod_requests_);
  scored_pod_ = &pod;
}

PluginStatus NodeResourcesBalancedAllocation::pre_score(CycleState&, const PodInfo& pod,
                                                        const Snapshot&,
                                                        std::span<const NodeInfo* const>) {
  // upstream: balanced_allocation.go, PreScore: Skip for a pod requesting nothing of the
  // configured resources (issue #129138).
  compute_pod_requests(pod);
  if (balanced_allocation_skips(pod_requests_)) return PluginStatus::skip();
  return PluginStatus::success();
}

std::int64_t NodeResourcesBalancedAllocation::score(const CycleState&, const PodInfo& pod,
                                                    const NodeInfo& node) {
  if (scored_pod_ != &pod) compute_pod_requests(pod);
  return score_one(pod, node);
}

void NodeResourcesBalancedAllocation::score_nodes(const CycleState&, const PodInfo& pod,
                                                  std::span<const NodeInfo* const> nodes,
                                                  std::span<std::int64_t> out) {
  if (scored_pod_ != &pod) compute_pod_requests(pod);
  for (std::size_t i = 0; i < nodes.size(); ++i) out[i] = score_one(pod, *nodes[i]);
}

std::int64_t NodeResourcesBalancedAllocation::score_one(const PodInfo&, const NodeInfo& node) {
  if (cpu_memory_) {
    const models::ResourceList& alloc = node.allocatable();
    const models::ResourceList& used = node.requested();
    const std::int64_t a[2] = {alloc.cpu_milli, alloc.memory};
    if (a[0] == 0 || a[1] == 0) {
      const std::int64_t r[2] = {a[0] == 0 ? 0 : used.cpu_milli + pod_requests_[0],
                                 a[1] == 0 ? 0 : used.memory + pod_requests_[1]};
      return balanced_allocation_score(r, a);
    }
    // score_math's two-fraction case inline, the same double operations in the same order.
    double f0 = static_cast<double>(used.cpu_milli + pod_requests_[0]) / static_cast<double>(a[0]);
    double f1 = static_cast<double>(used.memory + pod_requests_[1]) / static_cast<double>(a[1]);
    if (f0 > 1) f0 = 1.0;
    if (f1 > 1) f1 = 1.0;
    const double std_dev = std::fabs((f0 - f1) / 2);
    return static_cast<std::int64_t>((1 - std_dev) * static_cast<double>(kMaxNodeScore));
  }
  node_arrays(resources_, node, pod_requests_, /*use_requested=*/true, requested_, allocatable_);
  return balanced_allocation_score(requested_, allocatable_);
}

// ---- TaintToleration ---------------------------------------------------------------------

PluginStatus TaintToleration::filter(const CycleState&, const PodInfo& pod, const NodeInfo& node) {
  // upstream: taint_toleration.go, Filter.
  if (!node.has_taints()) return PluginStatus::success();
  const auto& taints = node.node().spec.taints;
  const models::Taint* t = models::find_untolerated_taint(taints, pod.pod->spec.tolerations,
                                                          models::kNoScheduleOrNoExecute);
  if (t == nullptr) return PluginStatus::success();
  return PluginStatus::unschedulable(
      "node(s) had untolerated taint {" + t->key + ": " + t->value + "}", /*unresolvable=*/true);
}

namespace {
// TaintToleration's per-cycle memo: per hard taint set number, -1 not yet asked, 0 some
// taint is not tolerated, 1 all tolerated.
struct TaintMemo final : sched::StateData {
  std::vector<std::int8_t> passes;
  std::unique_ptr<sched::StateData> clone() const override {
    return std::make_unique<TaintMemo>(*this);
  }
};
}  // namespace

void TaintToleration::prepare_filter(CycleState& state, const PodInfo&) {
  if (auto* memo = static_cast<TaintMemo*>(state.get(slot()))) {
    std::fill(memo->passes.begin(), memo->passes.end(), std::int8_t{-1});
  } else {
    state.set(slot(), std::make_unique<TaintMemo>());
  }
}

bool TaintToleration::filter_passes(const CycleState& state, const PodInfo& pod,
                                    const NodeInfo& node) {
  if (!node.has_hard_taints()) return true;
  auto tolerated = [&] {
    return models::find_untolerated_taint(node.node().spec.taints, pod.pod->spec.tolerations,
                                          models::kNoScheduleOrNoExecute) == nullptr;
  };
  const std::uint32_t set = node.hard_taint_set();
  auto* memo = static_cast<TaintMemo*>(state.get(slot()));
  if (set == 0 || memo == nullptr) return tolerated();
  if (set >= memo->passes.size()) memo->passes.resize(set + 1, -1);
  std::int8_t& known = memo->passes[set];
  if (known < 0) known = tolerated() ? 1 : 0;
  return known == 1;
}

std::int64_t TaintToleration::score(const CycleState&, const PodInfo& pod, const NodeInfo& node) {
  // upstream: taint_toleration.go, Score (countIntolerableTaintsPreferNoSchedule).
  if (!node.has_prefer_no_schedule_taints()) return 0;
  return models::count_intolerable_prefer_no_schedule(node.node().spec.taints,
                                                      pod.pod->spec.tolerations);
}

void TaintToleration::score_nodes(const CycleState&, const PodInfo& pod,
                                  std::span<const NodeInfo* const> nodes,
                                  std::span<std::int64_t> out) {
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const NodeInfo& node = *nodes[i];
    out[i] = node.has_prefer_no_schedule_taints()
                 ? models::count_intolerable_prefer_no_schedule(node.node().spec.taints,
                                                                pod.pod->spec.tolerations)
                 : 0;
  }
}

void TaintToleration::normalize_scores(const CycleState&, const PodInfo&,
                                       std::span<std::int64_t> scores) {
  // The common cases of score_math's reverse normalization without a division per node:
  // no node with an intolerable PreferNoSchedule taint (all 100), or at most one (100 or 0).
  std::int64_t max = 0;
  for (const std::int64_t v : scores) max = std::max(max, v);
  if (max <= 1) {
    for (std::int64_t& v : scores) v = v == 0 ? kMaxNodeScore : 0;
    return;
  }
  taint_toleration_normalize(scores);
}

// ---- NodeAffinity ------------------------------------------------------------------------

namespace {

struct NodeAffinityState : sched::StateData {
  models::RequiredNodeAffinity required;
  std::optional<models::PreferredSchedulingTerms> preferred;
  std::unique_ptr<sched::StateData> clone() const override {
    return std::make_unique<NodeAffinityState>(*this);
  }
};

NodeAffinityState* affinity_state(CycleState& state, std::size_t slot) {
  auto* s = static_cast<NodeAffinityState*>(state.get(slot));
  if (s == nullptr) {
    state.set(slot, std::make_unique<NodeAffinityState>());
    s = static_cast<NodeAffinityState*>(state.get(slot));
  }
  return s;
}

bool has_required_node_affinity(const models::Pod& pod) {
  return pod.spec.node_affinity && pod.spec.node_affinity->required;
}

}  // namespace

PluginStatus NodeAffinity::pre_filter(CycleState& state, const PodInfo& pod, const Snapshot&,
                                      sched::PreFilterResult& result) {
  // upstream: node_affinity.go, PreFilter.
  const models::Pod& p = *pod.pod;
  const bool no_node_affinity = !has_required_node_affinity(p);
  if (no_node_affinity && p.spec.node_selector.empty()) return PluginStatus::skip();
  NodeAffinityState* s = affinity_state(state, slot());
  s->required = models::RequiredNodeAffinity(
      p.spec.node_selector,
      no_node_affinity ? std::optional<models::NodeSelector>() : p.spec.node_affinity->required);
  if (no_node_affinity) return PluginStatus::success();
  const auto& terms = p.spec.node_affinity->required->node_selector_terms;
  if (terms.empty()) return PluginStatus::success();
  // A restriction to named nodes: every term must name nodes with metadata.name In (the
  // requirements of one term intersect, the terms unite); one term without it lifts it.
  std::set<std::string> names;
  for (const auto& term : terms) {
    std::optional<std::set<std::string>> term_names;
    for (const auto& r : term.match_fields) {
      if (r.key != "metadata.name" || r.op != models::NodeSelectorOperator::kIn) continue;
      std::set<std::string> v(r.values.begin(), r.values.end());
      if (!term_names) {
        term_names = std::move(v);
      } else {
        std::set<std::string> both;
        std::set_intersection(term_names->begin(), term_names->end(), v.begin(), v.end(),
                              std::inserter(both, both.end()));
        *term_names = std::move(both);
      }
    }
    if (!term_names) return PluginStatus::success();
    names.insert(term_names->begin(), term_names->end());
  }
  if (names.empty()) {
    return PluginStatus::unschedulable(std::string(kReasonNodeAffinityConflict), true);
  }
  result.node_names = std::vector<std::string>(names.begin(), names.end());
  return PluginStatus::success();
}

PluginStatus NodeAffinity::filter(const CycleState& state, const PodInfo& pod,
                                  const NodeInfo& node) {
  // upstream: node_affinity.go, Filter (without PreFilter state: computed here).
  const auto* s = static_cast<const NodeAffinityState*>(state.get(slot()));
  bool match;
  if (s != nullptr) {
    match = s->required.matches(node.node().metadata.labels, node.name());
  } else {
    const models::Pod& p = *pod.pod;
    match = models::pod_matches_node_selector_and_affinity(
        p.spec.node_selector,
        has_required_node_affinity(p) ? p.spec.node_affinity->required
                                      : std::optional<models::NodeSelector>(),
        node.node().metadata.labels, node.name());
  }
  if (match) return PluginStatus::success();
  return PluginStatus::unschedulable(std::string(kReasonNodeAffinity), true);
}

bool NodeAffinity::filter_passes(const CycleState& state, const PodInfo&, const NodeInfo& node) {
  const auto* s = static_cast<const NodeAffinityState*>(state.get(slot()));
  return s != nullptr && s->required.matches(node.node().metadata.labels, node.name());
}

PluginStatus NodeAffinity::pre_score(CycleState& state, const PodInfo& pod, const Snapshot&,
                                     std::span<const NodeInfo* const> feasible) {
  // upstream: node_affinity.go, PreScore: Skip without preferred terms.
  if (feasible.empty()) return PluginStatus::success();
  const models::Pod& p = *pod.pod;
  if (!p.spec.node_affinity || p.spec.node_affinity->preferred.empty()) {
    return PluginStatus::skip();
  }
  auto compiled = models::PreferredSchedulingTerms::compile(p.spec.node_affinity->preferred);
  if (!compiled) return PluginStatus::error(compiled.error());
  affinity_state(state, slot())->preferred = std::move(compiled).value();
  return PluginStatus::success();
}

std::int64_t NodeAffinity::score(const CycleState& state, const PodInfo& pod,
                                 const NodeInfo& node) {
  const auto* s = static_cast<const NodeAffinityState*>(state.get(slot()));
  if (s != nullptr && s->preferred) {
    return s->preferred->score(node.node().metadata.labels, node.name());
  }
  const models::Pod& p = *pod.pod;
  if (!p.spec.node_affinity || p.spec.node_affinity->preferred.empty()) return 0;
  auto compiled = models::PreferredSchedulingTerms::compile(p.spec.node_affinity->preferred);
  return compiled ? compiled->score(node.node().metadata.labels, node.name()) : 0;
}

void NodeAffinity::normalize_scores(const CycleState&, const PodInfo&,
                                    std::span<std::int64_t> scores) {
  node_affinity_normalize(scores);
}

// ---- NodeName, NodeUnschedulable, NodePorts ---------------------------------------------

PluginStatus NodeName::filter(const CycleState&, const PodInfo& pod, const NodeInfo& node) {
  // upstream: nodename/node_name.go, Fits.
  const std::string& want = pod.pod->spec.node_name;
  if (want.empty() || want == node.name()) return PluginStatus::success();
  return PluginStatus::unschedulable(std::string(kReasonNodeName), true);
}

bool NodeName::filter_passes(const CycleState&, const PodInfo& pod, const NodeInfo& node) {
  const std::string& want = pod.pod->spec.node_name;
  return want.empty() || want == node.name();
}

bool NodeUnschedulable::filter_passes(const CycleState&, const PodInfo&, const NodeInfo& node) {
  return !node.unschedulable();
}

PluginStatus NodeUnschedulable::filter(const CycleState&, const PodInfo& pod,
                                       const NodeInfo& node) {
  // upstream: nodeunschedulable/node_unschedulable.go: a pod that tolerates the
  // node.kubernetes.io/unschedulable:NoSchedule taint also tolerates spec.unschedulable.
  if (!node.unschedulable()) return PluginStatus::success();
  static const models::Taint kUnschedulableTaint{std::string(models::kTaintNodeUnschedulable), "",
                                                 models::TaintEffect::kNoSchedule, std::nullopt};
  if (models::tolerations_tolerate_taint(pod.pod->spec.tolerations, kUnschedulableTaint)) {
    return PluginStatus::success();
  }
  return PluginStatus::unschedulable(std::string(kReasonUnschedulable), true);
}

PluginStatus NodePorts::pre_filter(CycleState&, const PodInfo& pod, const Snapshot&,
                                   sched::PreFilterResult&) {
  // upstream: node_ports.go, PreFilter: Skip for a pod without host ports.
  return pod.host_ports.empty() ? PluginStatus::skip() : PluginStatus::success();
}

PluginStatus NodePorts::filter(const CycleState&, const PodInfo& pod, const NodeInfo& node) {
  // upstream: node_ports.go, fitsPorts (HostPortInfo.CheckConflict).
  for (const auto& want : pod.host_ports) {
    for (const auto& used : node.used_ports()) {
      if (want.conflicts_with(used)) {
        return PluginStatus::unschedulable(std::string(kReasonNodePorts));
      }
    }
  }
  return PluginStatus::success();
}

// ---- ImageLocality -----------------------------------------------------------------------

std::string normalized_image_name(std::string_view image) {
  // upstream: image_locality.go, normalizedImageName.
  const auto colon = image.rfind(':');
  const auto slash = image.rfind('/');
  const long c = colon == std::string_view::npos ? -1 : static_cast<long>(colon);
  const long s = slash == std::string_view::npos ? -1 : static_cast<long>(slash);
  std::string out(image);
  if (c <= s) out += ":latest";
  return out;
}

void ImageLocality::prepare_score(CycleState&, const PodInfo& pod, const Snapshot& snapshot) {
  wanted_.clear();
  total_nodes_ = std::max<std::int64_t>(1, static_cast<std::int64_t>(snapshot.size()));
  any_wanted_ = false;
  auto add = [&](const models::Container& c) {
    Wanted w;
    w.image = normalized_image_name(c.image);
    w.nodes_with_image = snapshot.nodes_with_image(w.image);
    if (w.nodes_with_image > 0) {
      if (auto id = snapshot.image_id(w.image)) {
        w.id = *id;
        any_wanted_ = true;
      } else {
        w.nodes_with_image = 0;
      }
    }
    wanted_.push_back(std::move(w));
  };
  for (const auto& c : pod.pod->spec.init_containers) add(c);
  for (const auto& c : pod.pod->spec.containers) add(c);
  zero_score_ = image_locality_score(0, static_cast<std::int64_t>(wanted_.size()));
  prepared_for_ = &pod;
}

std::int64_t ImageLocality::score(const CycleState&, const PodInfo&, const NodeInfo& node) {
  return score_one(node);
}

void ImageLocality::score_nodes(const CycleState&, const PodInfo&,
                                std::span<const NodeInfo* const> nodes,
                                std::span<std::int64_t> out) {
  for (std::size_t i = 0; i < nodes.size(); ++i) out[i] = score_one(*nodes[i]);
}

std::int64_t ImageLocality::score_one(const NodeInfo& node) const {
  // upstream: image_locality.go, Score = calculatePriority(sumImageScores, #containers).
  // The framework calls prepare_score first; the ids come from the same Snapshot.
  if (!any_wanted_ || !node.has_images()) return zero_score_;
  std::int64_t sum = 0;
  for (const auto& w : wanted_) {
    if (w.nodes_with_image == 0) continue;
    if (auto size = node.image_size(w.id)) {
      sum += scaled_image_score(*size, w.nodes_with_image, total_nodes_);
    }
  }
  return image_locality_score(sum, static_cast<std::int64_t>(wanted_.size()));
}

// ---- GpuTopology -------------------------------------------------------------------------

namespace {

int free_gpu_count(const NodeInfo& node) {
  const std::int64_t n = std::min<std::int64_t>(node.allocatable().gpu, 64);
  int free = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    if ((node.gpus_in_use() & (std::uint64_t{1} << i)) == 0) ++free;
  }
  return free;
}

}  // namespace

std::optional<std::pair<std::vector<int>, std::int64_t>> GpuTopologyPlugin::best_free_set(
    const NodeInfo& node, int k) const {
  const std::int64_t n = std::min<std::int64_t>(node.allocatable().gpu, 64);
  std::vector<int> free;
  for (int i = 0; i < n; ++i) {
    if ((node.gpus_in_use() & (std::uint64_t{1} << i)) == 0) free.push_back(i);
  }
  if (static_cast<int>(free.size()) < k) return std::nullopt;
  const models::GpuTopology* topology =
      context_.gpu_topology ? context_.gpu_topology(node.node()) : nullptr;
  if (topology != nullptr && topology->size() >= n) {
    auto best = topology->best_set(free, k);
    if (!best) return std::nullopt;
    const std::int64_t score = topology->set_score(*best);
    return std::make_pair(std::move(*best), score);
  }
  // No topology: every pair is PCIe through a host bridge, so all k-sets tie; the lowest
  // indices win, as best_set breaks ties.
  free.resize(static_cast<std::size_t>(k));
  const std::int64_t pairs = static_cast<std::int64_t>(k) * (k - 1) / 2;
  return std::make_pair(std::move(free),
                        pairs * models::gpu_link_score(models::GpuLink::kPcieHostBridge));
}

PluginStatus GpuTopologyPlugin::filter(const CycleState&, const PodInfo& pod,
                                       const NodeInfo& node) {
  // Whole devices: with GPU sharing a device partly used by a share pod is not free, so
  // even a 1-GPU pod needs this check (NodeResourcesFit counts whole-GPU requests only).
  const std::int64_t k = pod.requests.gpu;
  if (k <= 0) return PluginStatus::success();
  if (free_gpu_count(node) >= k) return PluginStatus::success();
  return PluginStatus::unschedulable(std::string(kReasonGpuDevices));
}

bool GpuTopologyPlugin::filter_passes(const CycleState&, const PodInfo& pod, const NodeInfo& node) {
  const std::int64_t k = pod.requests.gpu;
  return k <= 0 || free_gpu_count(node) >= k;
}

std::int64_t GpuTopologyPlugin::score(const CycleState&, const PodInfo& pod, const NodeInfo& node) {
  const std::int64_t k = pod.requests.gpu;
  if (k <= 1) return 0;
  auto best = best_free_set(node, static_cast<int>(k));
  return best ? best->second : 0;
}

void GpuTopologyPlugin::normalize_scores(const CycleState&, const PodInfo&,
                                         std::span<std::int64_t> scores) {
  default_normalize_score(scores, kMaxNodeScore, /*reverse=*/false);
}

PluginStatus GpuTopologyPlugin::reserve(CycleState& state, const PodInfo& pod,
                                        const NodeInfo& node) {
  state.gpu_device_ids.clear();
  const std::int64_t k = pod.requests.gpu;
  if (k <= 0) return PluginStatus::success();
  auto best = best_free_set(node, static_cast<int>(k));
  if (!best) return PluginStatus::unschedulable(std::string(kReasonGpuDevices));
  state.gpu_device_ids.assign(best->first.begin(), best->first.end());
  return PluginStatus::success();
}

void GpuTopologyPlugin::unreserve(CycleState& state, const PodInfo&, const NodeInfo&) {
  state.gpu_device_ids.clear();
}

}  // namespace kubesim::policies
