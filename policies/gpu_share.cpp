// GPU sharing, fragmentation and the FGD paper's policies; see gpu_share.hpp.
// Upstream: github.com/hkust-adsl/kubernetes-scheduler-simulator (Apache-2.0). Our code,
// written from the rules documented in docs/gpu-sharing.md.
#include "policies/gpu_share.hpp"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <map>
#include <stdexcept>
#include <tuple>

#include "sim/random.hpp"

namespace kubesim::policies::gpu {

// ---- ModelTable -------------------------------------------------------------------------------

ModelId ModelTable::intern(std::string_view name) {
  const ModelId found = find(name);
  if (found != kNoModel) return found;
  if (names_.size() >= static_cast<std::size_t>(kMaxModels)) {
    throw std::length_error("ModelTable: more than 64 GPU models");
  }
  names_.emplace_back(name);
  return static_cast<ModelId>(names_.size() - 1);
}

ModelId ModelTable::find(std::string_view name) const {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return static_cast<ModelId>(i);
  }
  return kNoModel;
}

ModelSet ModelTable::parse_spec(std::string_view spec) {
  // upstream utils.go IsNodeAccessibleToPodByType: split on '|', empty items ignored.
  ModelSet set;
  std::size_t start = 0;
  while (start <= spec.size()) {
    std::size_t bar = spec.find('|', start);
    if (bar == std::string_view::npos) bar = spec.size();
    const std::string_view item = spec.substr(start, bar - start);
    if (!item.empty()) set.bits |= std::uint64_t{1} << intern(item);
    start = bar + 1;
  }
  return set;
}

// ---- Nodes ------------------------------------------------------------------------------------

GpuNodeState GpuNodeState::make(std::int64_t cpu_milli, std::int64_t memory_mib,
                                std::int32_t gpu_count, ModelId model) {
  if (gpu_count < 0 || gpu_count > kMaxGpusPerNode) {
    throw std::invalid_argument("GpuNodeState: gpu_count must be in 0..64");
  }
  GpuNodeState node;
  node.cpu_capacity = cpu_milli;
  node.cpu_free = cpu_milli;
  node.memory_capacity_mib = memory_mib;
  node.memory_free_mib = memory_mib;
  node.gpu_count = gpu_count;
  node.gpu_free_total = gpu_count * kMilliPerGpu;
  node.model = gpu_count > 0 ? model : kNoModel;
  for (int i = 0; i < gpu_count; ++i) node.free_milli[i] = kMilliPerGpu;
  return node;
}

int GpuNodeState::fully_free_gpus() const {
  int n = 0;
  for (int i = 0; i < gpu_count; ++i) n += free_milli[i] == kMilliPerGpu ? 1 : 0;
  return n;
}

// ---- Feasibility and devices ------------------------------------------------------------------

bool gpu_fits(const GpuNodeState& node, const GpuDemand& demand) {
  if (!demand.needs_gpu()) return true;
  if (node.gpu_count == 0) return false;
  if (!demand.models.allows(node.model)) return false;
  int fitting = 0;
  for (int i = 0; i < node.gpu_count; ++i) {
    fitting += node.free_milli[i] >= demand.gpu_milli ? 1 : 0;
  }
  return fitting >= demand.num_gpu;
}

bool feasible(const GpuNodeState& node, const GpuDemand& demand) {
  // upstream v1.20 noderesources/fit.go: request > allocatable − requested is insufficient.
  if (demand.cpu_milli > node.cpu_free) return false;
  if (demand.memory_mib > node.memory_free_mib) return false;
  return gpu_fits(node, demand);
}

namespace {

// Cheap always-on checks of a device set against the node and the demand.
void check_devices(const GpuNodeState& node, const GpuDemand& demand, std::uint64_t devices) {
  if (node.gpu_count < kMaxGpusPerNode && (devices >> node.gpu_count) != 0) {
    throw std::logic_error("gpu_share: device index beyond the node's GPUs");
  }
  const int expected = demand.needs_gpu() ? demand.num_gpu : 0;
  if (std::popcount(devices) != expected) {
    throw std::logic_error("gpu_share: device set does not match the pod's GPU count");
  }
}

void change_class(GpuNodeState& node, int cls, int delta) {
  if (cls < 0 || cls > kMaxGpusPerNode) return;
  auto& count = node.class_pods[static_cast<std::size_t>(cls)];
  if (delta > 0) {
    if (count == 0) ++node.distinct_classes;
    ++count;
  } else if (count > 0) {
    --count;
    if (count == 0) --node.distinct_classes;
  }
}

}  // namespace

void allocate(GpuNodeState& node, const GpuDemand& demand, std::uint64_t devices) {
  check_devices(node, demand, devices);
  // Always-on invariant: no device goes below 0 free (above 1000 used). All devices are
  // checked before any changes, so a refused allocation leaves the node as it was.
  for (std::uint64_t rest = devices; rest != 0; rest &= rest - 1) {
    if (node.free_milli[__builtin_ctzll(rest)] < demand.gpu_milli) {
      throw std::logic_error("gpu_share: device over-committed");
    }
  }
  for (std::uint64_t rest = devices; rest != 0; rest &= rest - 1) {
    const int i = __builtin_ctzll(rest);
    node.free_milli[i] = static_cast<std::int16_t>(node.free_milli[i] - demand.gpu_milli);
    node.gpu_free_total -= demand.gpu_milli;
  }
  node.cpu_free -= demand.cpu_milli;
  node.memory_free_mib -= demand.memory_mib;
  if (devices != 0) change_class(node, demand.affinity_class(), +1);
}

void release(GpuNodeState& node, const GpuDemand& demand, std::uint64_t devices) {
  check_devices(node, demand, devices);
  for (std::uint64_t rest = devices; rest != 0; rest &= rest - 1) {
    if (node.free_milli[__builtin_ctzll(rest)] + demand.gpu_milli > kMilliPerGpu) {
      throw std::logic_error("gpu_share: release above 1000 free milli");
    }
  }
  for (std::uint64_t rest = devices; rest != 0; rest &= rest - 1) {
    const int i = __builtin_ctzll(rest);
    node.free_milli[i] = static_cast<std::int16_t>(node.free_milli[i] + demand.gpu_milli);
    node.gpu_free_total += demand.gpu_milli;
  }
  node.cpu_free += demand.cpu_milli;
  node.memory_free_mib += demand.memory_mib;
  if (devices != 0) change_class(node, demand.affinity_class(), -1);
}

std::uint64_t exclusive_devices(const GpuNodeState& node, std::int32_t num_gpu) {
  // upstream resource.go AllocateExclusiveGpuId: lowest indexes with all 1000 milli free.
  std::uint64_t devices = 0;
  int need = num_gpu;
  for (int i = 0; i < node.gpu_count && need > 0; ++i) {
    if (node.free_milli[i] == kMilliPerGpu) {
      devices |= std::uint64_t{1} << i;
      --need;
    }
  }
  return need > 0 ? 0 : devices;
}

std::uint64_t best_fit_devices(const GpuNodeState& node, const GpuDemand& demand) {
  if (!demand.needs_gpu()) return 0;
  if (!demand.is_share()) return exclusive_devices(node, demand.num_gpu);
  // upstream open_gpu_share.go allocateGpuIdBasedOnBestFit: strictly smaller free wins, so
  // the lowest index among equals.
  int best = -1;
  for (int i = 0; i < node.gpu_count; ++i) {
    if (node.free_milli[i] >= demand.gpu_milli &&
        (best < 0 || node.free_milli[i] < node.free_milli[best])) {
      best = i;
    }
  }
  return best < 0 ? 0 : std::uint64_t{1} << best;
}

std::uint64_t random_devices(const GpuNodeState& node, const GpuDemand& demand, sim::Rng& rng) {
  if (!demand.needs_gpu()) return 0;
  if (!demand.is_share()) return exclusive_devices(node, demand.num_gpu);
  // upstream allocateGpuIdBasedOnRandomFit: the k-th fitting device replaces the choice
  // with probability 1/k.
  int chosen = -1;
  std::uint64_t fitting = 0;
  for (int i = 0; i < node.gpu_count; ++i) {
    if (node.free_milli[i] >= demand.gpu_milli) {
      ++fitting;
      if (rng.below(fitting) == 0) chosen = i;
    }
  }
  return chosen < 0 ? 0 : std::uint64_t{1} << chosen;
}

// ---- Typical pods -----------------------------------------------------------------------------

TypicalPods TypicalPods::build(std::span<const GpuDemand> demands, int popularity_percent,
                               bool include_cpu_pods) {
  // upstream frag.go GetTypicalPods; the key is PodResource{MilliCpu, MilliGpu, GpuNumber,
  // GpuType}: memory is not part of it.
  using Key = std::tuple<std::int64_t, std::int32_t, std::int32_t, std::uint64_t>;
  std::map<Key, std::int64_t> groups;
  std::int64_t total = 0;
  for (const GpuDemand& d : demands) {
    if (!include_cpu_pods && d.num_gpu == 0) continue;
    ++groups[Key{d.cpu_milli, d.gpu_milli, d.num_gpu, d.models.bits}];
    ++total;
  }
  TypicalPods out;
  out.total_ = total;
  if (total == 0) return out;
  std::vector<TypicalPod> list;
  list.reserve(groups.size());
  for (const auto& [key, count] : groups) {
    TypicalPod p;
    p.cpu_milli = std::get<0>(key);
    p.gpu_milli = std::get<1>(key);
    p.num_gpu = std::get<2>(key);
    p.models.bits = std::get<3>(key);
    p.count = count;
    list.push_back(p);
  }
  // sort.Sort(sort.Reverse(TargetPodList)): count descending, then the resource key
  // descending (cpu, milli, num_gpu, model). Upstream compares the gpu_spec string where we
  // compare the model bit set: identical for the traces shipped (no gpu_spec in "default").
  std::sort(list.begin(), list.end(), [](const TypicalPod& a, const TypicalPod& b) {
    if (a.count != b.count) return a.count > b.count;
    return std::tie(a.cpu_milli, a.gpu_milli, a.num_gpu, a.models.bits) >
           std::tie(b.cpu_milli, b.gpu_milli, b.num_gpu, b.models.bits);
  });
  // Keep groups one at a time (podIncreaseStep 1) until the cumulative count reaches the
  // threshold; the float steps follow upstream so the weights are bit-identical.
  const double total_d = static_cast<double>(total);
  const double expected = static_cast<double>(popularity_percent) * total_d / 100.0;
  double cumulative = 0;
  std::size_t kept = 0;
  while (cumulative < expected && kept < list.size()) {
    cumulative += static_cast<double>(list[kept].count);
    list[kept].weight = static_cast<double>(list[kept].count) / total_d;
    ++kept;
  }
  if (kept < list.size()) {
    list.resize(kept);
    for (TypicalPod& p : list) p.weight /= cumulative / total_d;
  }
  out.pods_ = std::move(list);
  return out;
}

// ---- Fragmentation ----------------------------------------------------------------------------

double node_fragmentation(const TypicalPods& typical, std::int64_t cpu_free,
                          const std::int16_t* free_milli, int gpu_count, ModelId model) {
  // upstream frag.go NodeGpuShareFragAmount + GetNodePodFrag + FragAmountSumExceptQ3.
  // Categories: 0 Q1 lack both, 1 Q2 lack GPU, 2 Q3 satisfied, 3 Q4 lack CPU, 4 XL (no-GPU
  // pod, CPU fits), 5 XR (no-GPU pod, CPU lacks), 6 no access. Each accumulates in the
  // typical pods' order; the result sums the categories except Q3, in index order.
  std::int64_t idle = 0;
  for (int i = 0; i < gpu_count; ++i) idle += free_milli[i];
  const double idle_d = static_cast<double>(idle);
  double acc[7] = {0, 0, 0, 0, 0, 0, 0};
  for (const TypicalPod& m : typical.pods()) {
    const double freq = m.weight;
    const bool cpu_ok = cpu_free >= m.cpu_milli;
    if (m.gpu_milli == 0) {
      acc[cpu_ok ? 4 : 5] += freq * idle_d;
      continue;
    }
    if (!m.models.allows(model)) {
      acc[6] += freq * idle_d;
      continue;
    }
    // CanNodeHostPodOnGpuMemory: enough devices with free >= m's per-device milli.
    int fitting = 0;
    std::int64_t stranded = 0;  // GetGpuFragMilliByNodeResAndPodRes
    for (int i = 0; i < gpu_count; ++i) {
      if (free_milli[i] >= m.gpu_milli) {
        ++fitting;
      } else {
        stranded += free_milli[i];
      }
    }
    const bool gpu_ok = fitting > 0 && fitting >= m.num_gpu;
    if (gpu_ok && cpu_ok) {
      acc[1] += freq * static_cast<double>(stranded);
      acc[2] += freq * static_cast<double>(idle - stranded);
    } else if (gpu_ok) {
      acc[3] += freq * idle_d;
    } else if (cpu_ok) {
      acc[1] += freq * idle_d;
    } else {
      acc[0] += freq * idle_d;
    }
  }
  double out = 0;
  out += acc[0];
  out += acc[1];
  out += acc[3];
  out += acc[4];
  out += acc[5];
  out += acc[6];
  return out;
}

double node_fragmentation(const TypicalPods& typical, const GpuNodeState& node) {
  return node_fragmentation(typical, node.cpu_free, node.free_milli.data(), node.gpu_count,
                            node.model);
}

ClusterFragmentation cluster_fragmentation(const TypicalPods& typical,
                                           std::span<const GpuNodeState> nodes) {
  ClusterFragmentation c;
  for (const GpuNodeState& n : nodes) {
    c.fragmentation_milli += node_fragmentation(typical, n);
    c.idle_milli += n.gpu_free_total;
  }
  return c;
}

// ---- Policies ---------------------------------------------------------------------------------

std::string_view to_string(GpuPolicy policy) {
  switch (policy) {
    case GpuPolicy::kFgd:
      return "FGD";
    case GpuPolicy::kBestFit:
      return "BestFit";
    case GpuPolicy::kDotProduct:
      return "DotProduct";
    case GpuPolicy::kGpuPacking:
      return "GpuPacking";
    case GpuPolicy::kGpuClustering:
      return "GpuClustering";
    case GpuPolicy::kRandom:
      return "Random";
  }
  return "?";
}

bool parse_gpu_policy(std::string_view name, GpuPolicy* out) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static constexpr std::pair<std::string_view, GpuPolicy> kNames[] = {
      {"fgd", GpuPolicy::kFgd},
      {"bestfit", GpuPolicy::kBestFit},
      {"dotproduct", GpuPolicy::kDotProduct},
      {"dotprod", GpuPolicy::kDotProduct},
      {"gpupacking", GpuPolicy::kGpuPacking},
      {"gpuclustering", GpuPolicy::kGpuClustering},
      {"random", GpuPolicy::kRandom},
  };
  for (const auto& [n, p] : kNames) {
    if (lower == n) {
      *out = p;
      return true;
    }
  }
  return false;
}

namespace {

// fgd_score.go: int64(sigmoid(Δ/1000) · MaxNodeScore), sigmoid(x) = 1/(1 + e^−x).
std::int64_t fgd_points(double before, double after) {
  const double x = (before - after) / 1000.0;
  const double sigmoid = 1.0 / (1.0 + std::exp(-x));
  return static_cast<std::int64_t>(sigmoid * static_cast<double>(kMaxNodeScore));
}

}  // namespace

ScoredChoice fgd_score(const GpuNodeState& node, const GpuDemand& demand,
                       const TypicalPods& typical, double frag_before) {
  // fgd_score.go Score: a pod without any resource request scores MaxNodeScore.
  if (demand.cpu_milli == 0 && demand.memory_mib == 0 && !demand.needs_gpu()) {
    return {kMaxNodeScore, 0};
  }
  std::array<std::int16_t, kMaxGpusPerNode> after{};
  const int n = node.gpu_count;
  std::copy_n(node.free_milli.begin(), n, after.begin());
  const std::int64_t cpu_after = node.cpu_free - demand.cpu_milli;
  if (demand.needs_gpu() && demand.is_share()) {
    ScoredChoice best{0, 0};
    bool found = false;
    for (int i = 0; i < n; ++i) {
      if (node.free_milli[i] < demand.gpu_milli) continue;
      // A device with the same free milli as an earlier one leads to the same state up to
      // device order, hence the same score, and only a strictly higher score replaces the
      // choice: skip it.
      bool seen = false;
      for (int j = 0; j < i && !seen; ++j) seen = node.free_milli[j] == node.free_milli[i];
      if (seen) continue;
      after[i] = static_cast<std::int16_t>(node.free_milli[i] - demand.gpu_milli);
      const double frag = node_fragmentation(typical, cpu_after, after.data(), n, node.model);
      after[i] = node.free_milli[i];
      const std::int64_t points = fgd_points(frag_before, frag);
      if (!found || points > best.score) {
        best = {points, std::uint64_t{1} << i};
        found = true;
      }
    }
    return best;
  }
  // resource.go NodeResource.Sub: the hypothetical placement packs onto the fitting devices
  // with the least free milli (stable ascending sort, so lowest index among equals).
  if (demand.num_gpu > 0 && demand.gpu_milli > 0) {
    std::array<std::uint8_t, kMaxGpusPerNode> order{};
    for (int i = 0; i < n; ++i) order[i] = static_cast<std::uint8_t>(i);
    std::stable_sort(order.begin(), order.begin() + n, [&](std::uint8_t a, std::uint8_t b) {
      return node.free_milli[a] < node.free_milli[b];
    });
    int need = demand.num_gpu;
    for (int k = 0; k < n && need > 0; ++k) {
      const int i = order[k];
      if (after[i] >= demand.gpu_milli) {
        after[i] = static_cast<std::int16_t>(after[i] - demand.gpu_milli);
        --need;
      }
    }
  }
  const double frag = node_fragmentation(typical, cpu_after, after.data(), n, node.model);
  const std::uint64_t devices =
      demand.needs_gpu() ? exclusive_devices(node, demand.num_gpu) : std::uint64_t{0};
  return {fgd_points(frag_before, frag), devices};
}

std::int64_t best_fit_raw_score(const GpuNodeState& node, const GpuDemand& demand) {
  // best_fit_score.go getBestFitScore, float steps in upstream's order.
  double s = 0;
  s += (static_cast<double>(node.cpu_free) - static_cast<double>(demand.cpu_milli)) /
       static_cast<double>(kMaxSpecCpuMilli) * 0.5;
  s += (static_cast<double>(node.gpu_free_total) - static_cast<double>(demand.total_gpu_milli())) /
       static_cast<double>(kMaxSpecGpuMilli) * 0.5;
  s = (1.0 - s) * static_cast<double>(kMaxNodeScore);
  return static_cast<std::int64_t>(s);
}

std::int64_t dot_product_score(const GpuNodeState& node, const GpuDemand& demand) {
  // dot_product_score.go with GenerateSchedulingMatchGroups(MergeGpuDim, NormByMax).
  const double n0 = static_cast<double>(node.cpu_free) / static_cast<double>(kMaxSpecCpuMilli);
  const double n1 =
      static_cast<double>(node.gpu_free_total) / static_cast<double>(kMaxSpecGpuMilli);
  const double p0 = static_cast<double>(demand.cpu_milli) / static_cast<double>(kMaxSpecCpuMilli);
  const double p1 =
      static_cast<double>(demand.total_gpu_milli()) / static_cast<double>(kMaxSpecGpuMilli);
  double dot = 0;
  dot += n0 * p0;
  dot += n1 * p1;
  double score = dot / 2.0;
  score = 1.0 - score;
  return static_cast<std::int64_t>(static_cast<double>(kMaxNodeScore) * score);
}

std::int64_t gpu_packing_score(const GpuNodeState& node, const GpuDemand& demand) {
  // gpu_packing_score.go getPackingScore.
  if (demand.gpu_milli <= 0) return 0;
  const int fully_free = node.fully_free_gpus();
  if (fully_free == node.gpu_count) {
    return std::max<std::int64_t>(kMaxNodeScore / 3 - fully_free, fully_free);
  }
  std::array<std::uint8_t, kMaxGpusPerNode> order{};
  const int n = node.gpu_count;
  for (int i = 0; i < n; ++i) order[i] = static_cast<std::uint8_t>(i);
  std::stable_sort(order.begin(), order.begin() + n, [&](std::uint8_t a, std::uint8_t b) {
    return node.free_milli[a] < node.free_milli[b];
  });
  int need = demand.num_gpu;
  int fully_free_used = 0;
  std::int64_t free_percent_sum = 0;
  for (int k = 0; k < n && need > 0; ++k) {
    const std::int64_t left = node.free_milli[order[k]];
    if (demand.gpu_milli <= left) {
      --need;
      if (left == kMilliPerGpu) ++fully_free_used;
      free_percent_sum += left * 100 / kMilliPerGpu;
    }
  }
  if (need != 0) return 0;  // upstream: MinNodeScore with an error (cannot pass the filter)
  if (fully_free_used > 0) {
    return std::max<std::int64_t>(kMaxNodeScore / 2 - fully_free_used, kMaxNodeScore / 3);
  }
  return std::max<std::int64_t>(kMaxNodeScore - free_percent_sum / 10, kMaxNodeScore / 2);
}

std::int64_t gpu_clustering_score(const GpuNodeState& node, const GpuDemand& demand) {
  // gpu_clustering_score.go Score; integer arithmetic left to right as in Go.
  const int cls = demand.affinity_class();
  if (cls < 0) return 0;
  const std::int64_t fill =
      kMaxNodeScore / 4 * (kMaxSpecGpuMilli - node.gpu_free_total) / kMaxSpecGpuMilli;
  const bool has_class =
      cls <= kMaxGpusPerNode && node.class_pods[static_cast<std::size_t>(cls)] > 0;
  if (has_class) {
    return fill + (node.distinct_classes == 1 ? kMaxNodeScore * 3 / 4 : kMaxNodeScore * 2 / 4);
  }
  return fill + (node.distinct_classes == 0 ? kMaxNodeScore / 4 : 0);
}

void normalize_min_max(std::span<std::int64_t> scores) {
  if (scores.empty()) return;
  const auto [lo_it, hi_it] = std::minmax_element(scores.begin(), scores.end());
  const std::int64_t lo = *lo_it;
  const std::int64_t range = *hi_it - lo;
  for (std::int64_t& s : scores) s = range == 0 ? 0 : (s - lo) * kMaxNodeScore / range;
}

ScoredChoice policy_score(GpuPolicy policy, const GpuNodeState& node, const GpuDemand& demand,
                          const TypicalPods& typical, double frag_before) {
  switch (policy) {
    case GpuPolicy::kFgd:
      return fgd_score(node, demand, typical, frag_before);
    case GpuPolicy::kBestFit:
      return {best_fit_raw_score(node, demand), 0};
    case GpuPolicy::kDotProduct:
      return {dot_product_score(node, demand), 0};
    case GpuPolicy::kGpuPacking:
      return {gpu_packing_score(node, demand), 0};
    case GpuPolicy::kGpuClustering:
      return {gpu_clustering_score(node, demand), 0};
    case GpuPolicy::kRandom:
      break;
  }
  return {0, 0};
}

std::uint64_t choose_devices(GpuPolicy policy, const GpuNodeState& node, const GpuDemand& demand,
                             const TypicalPods& typical, sim::Rng& rng) {
  switch (policy) {
    case GpuPolicy::kFgd:
      if (!demand.needs_gpu()) return 0;
      return fgd_score(node, demand, typical, node_fragmentation(typical, node)).devices;
    case GpuPolicy::kRandom:
      return random_devices(node, demand, rng);
    default:
      return best_fit_devices(node, demand);
  }
}

std::string devices_to_string(std::uint64_t devices) {
  std::string out;
  for (std::uint64_t rest = devices; rest != 0; rest &= rest - 1) {
    if (!out.empty()) out += '-';
    out += std::to_string(__builtin_ctzll(rest));
  }
  return out;
}

}  // namespace kubesim::policies::gpu
