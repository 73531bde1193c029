// GPU sharing, GPU fragmentation and the GPU-sharing scheduling policies of the FGD paper
// ("Beware of Fragmentation: Scheduling GPU-Sharing Workloads with Fragmentation Gradient
// Descent", USENIX ATC'23) as a pure library: plain structs in, integers out. No Kubernetes
// objects, no YAML, no allocation per call.
//
// Upstream: github.com/hkust-adsl/kubernetes-scheduler-simulator (Apache-2.0), the paper's
// simulator on kube-scheduler v1.20. Every rule below names the upstream file it
// reproduces; docs/gpu-sharing.md has the formulas, the rounding and the tie rules.
//
// The model (pkg/type/open-gpu-share): a node has gpu_count devices of one model, each
// with 1000 milli-GPU. A "share" pod (num_gpu = 1, gpu_milli < 1000) takes gpu_milli on one
// device; any other GPU pod takes 1000 on each of num_gpu devices. CPU and memory are node
// pools. A pod may restrict the GPU models it accepts (gpu_spec "A|B"; empty = any).
//
// Who owns what: GpuNodeState is a value the caller owns and mutates with allocate() /
// release(); TypicalPods is immutable once built. Functions here never keep references.
// A kube-scheduler-style wrapper keeps one GpuNodeState per NodeInfo (rebuilt or updated
// when NodeInfo::generation() changes) and calls feasible() in Filter, the policy's score
// in Score, normalize_min_max() in NormalizeScore (BestFit only) and the policy's device
// choice in Reserve.
//
// Thread-safety: all functions are pure or touch only their arguments.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kubesim::sim {
class Rng;
}

namespace kubesim::policies::gpu {

inline constexpr std::int32_t kMilliPerGpu = 1000;        // upstream utils.MILLI
inline constexpr int kMaxGpusPerNode = 64;                // device sets are 64-bit masks
inline constexpr std::int64_t kMaxSpecCpuMilli = 128000;  // upstream utils.MaxSpecCpu
inline constexpr std::int64_t kMaxSpecGpuMilli = 8000;    // upstream utils.MaxSpecGpu
inline constexpr std::int64_t kMaxNodeScore = 100;        // framework.MaxNodeScore

// ---- GPU models ---------------------------------------------------------------------------

using ModelId = std::uint8_t;
inline constexpr int kMaxModels = 64;
inline constexpr ModelId kNoModel = 0xff;  // a node without GPUs (or without a model label)

// A set of accepted models; empty means "any model" (upstream IsNodeAccessibleToPodByType:
// an empty gpu_spec, or one made only of empty '|' items, accepts every node).
struct ModelSet {
  std::uint64_t bits = 0;
  bool any() const { return bits == 0; }
  bool allows(ModelId model) const {
    return bits == 0 || (model < kMaxModels && ((bits >> model) & 1U) != 0);
  }
  friend bool operator==(const ModelSet&, const ModelSet&) = default;
};

// Interns model names ("V100M16", "T4", ...) to small ids. Owned by the caller.
class ModelTable {
 public:
  // The id of that name, added if new. REQUIRES: fewer than kMaxModels names.
  ModelId intern(std::string_view name);
  // kNoModel when unknown.
  ModelId find(std::string_view name) const;
  const std::string& name(ModelId id) const { return names_.at(id); }
  std::size_t size() const { return names_.size(); }
  // A gpu_spec string: '|'-separated model names, empty items ignored; names are interned.
  ModelSet parse_spec(std::string_view spec);

 private:
  std::vector<std::string> names_;
};

// ---- Demands and nodes ----------------------------------------------------------------------

// One pod's request. gpu_milli is per device (0..1000); num_gpu devices.
struct GpuDemand {
  std::int64_t cpu_milli = 0;
  std::int64_t memory_mib = 0;
  std::int32_t num_gpu = 0;
  std::int32_t gpu_milli = 0;
  ModelSet models;

  // upstream open_gpu_share.go Filter: a pod whose gpu-milli is 0 needs no GPU.
  bool needs_gpu() const { return gpu_milli > 0 && num_gpu > 0; }
  // upstream PodResource.IsGpuShare.
  bool is_share() const { return num_gpu == 1 && gpu_milli < kMilliPerGpu; }
  std::int64_t total_gpu_milli() const { return static_cast<std::int64_t>(num_gpu) * gpu_milli; }
  // GpuClustering class (upstream GetGpuAffinityFromPodAnnotation): -1 no GPU, 0 share,
  // k for a k-whole-GPU pod.
  int affinity_class() const { return !needs_gpu() ? -1 : (is_share() ? 0 : num_gpu); }
};

// A node as the GPU policies see it. Plain value, 64-byte aligned, ~320 bytes.
struct alignas(64) GpuNodeState {
  std::int64_t cpu_capacity = 0;  // milli
  std::int64_t cpu_free = 0;
  std::int64_t memory_capacity_mib = 0;
  std::int64_t memory_free_mib = 0;
  std::int32_t gpu_count = 0;
  std::int32_t gpu_free_total = 0;  // Σ free_milli, kept by allocate/release
  ModelId model = kNoModel;
  std::uint8_t distinct_classes = 0;  // number of GpuClustering classes present
  // Free milli of each device (index = device index); entries >= gpu_count are 0.
  std::array<std::int16_t, kMaxGpusPerNode> free_milli{};
  // Pods per GpuClustering class on the node: [0] share, [k] k-GPU pods.
  std::array<std::uint16_t, kMaxGpusPerNode + 1> class_pods{};

  // REQUIRES: 0 <= gpu_count <= kMaxGpusPerNode.
  static GpuNodeState make(std::int64_t cpu_milli, std::int64_t memory_mib, std::int32_t gpu_count,
                           ModelId model);
  // Devices with all 1000 milli free.
  int fully_free_gpus() const;
};

// ---- Feasibility and device bookkeeping -----------------------------------------------------

// The paper's filter: NodeResourcesFit (cpu, memory; v1.20 fit.go) plus Open-Gpu-Share
// (open_gpu_share.go Filter, cache/gpunodeinfo.go AllocateGpuId): a GPU pod needs a node
// with GPUs of an accepted model and, for a share pod, one device with free >= gpu_milli,
// otherwise num_gpu devices with 1000 free.
bool feasible(const GpuNodeState& node, const GpuDemand& demand);
// The GPU part alone (model and devices).
bool gpu_fits(const GpuNodeState& node, const GpuDemand& demand);

// Marks the demand as placed on those devices (bit i = device i; 0 for a CPU-only pod).
// REQUIRES: feasible, exactly num_gpu devices (none for a CPU pod), each with >= gpu_milli
// free. Checked always (std::logic_error): a device can never go below 0 free.
void allocate(GpuNodeState& node, const GpuDemand& demand, std::uint64_t devices);
// Undoes allocate() with the same arguments.
void release(GpuNodeState& node, const GpuDemand& demand, std::uint64_t devices);

// Device choice "best" (open_gpu_share.go allocateGpuIdBasedOnBestFit): a share pod takes
// the fitting device with the least free milli (lowest index on ties); a whole-GPU pod
// takes the lowest-index fully free devices (AllocateExclusiveGpuId). 0 if it does not fit
// or needs no GPU.
std::uint64_t best_fit_devices(const GpuNodeState& node, const GpuDemand& demand);
// Lowest-index fully free devices, num_gpu of them (resource.go AllocateExclusiveGpuId).
std::uint64_t exclusive_devices(const GpuNodeState& node, std::int32_t num_gpu);
// Device choice "random" (allocateGpuIdBasedOnRandomFit): a fitting device uniformly at
// random for a share pod (one draw per fitting device, reservoir style); whole-GPU pods as
// exclusive_devices.
std::uint64_t random_devices(const GpuNodeState& node, const GpuDemand& demand, sim::Rng& rng);

// ---- Typical pods and fragmentation ---------------------------------------------------------

struct TypicalPod {
  std::int64_t cpu_milli = 0;
  std::int32_t gpu_milli = 0;  // per device
  std::int32_t num_gpu = 0;
  ModelSet models;
  std::int64_t count = 0;  // pods in the group
  double weight = 0;       // p_m, the kept weights sum to 1
};

// The target workload of FGD (pkg/utils/frag.go GetTypicalPods with the paper's settings:
// isInvolvedCpuPods true, podPopularityThreshold 95, podIncreaseStep 1, no GPU weight).
class TypicalPods {
 public:
  TypicalPods() = default;
  // Groups the demands by (cpu, per-device milli, num_gpu, models) — memory is not part of
  // the key — sorts groups by count (descending; ties by the key, descending), keeps groups
  // until their cumulative count reaches popularity_percent of all pods, and renormalizes
  // the kept weights. CPU pods take part unless include_cpu_pods is false.
  static TypicalPods build(std::span<const GpuDemand> demands, int popularity_percent = 95,
                           bool include_cpu_pods = true);
  std::span<const TypicalPod> pods() const { return pods_; }
  std::size_t size() const { return pods_.size(); }
  std::int64_t total_pods() const { return total_; }

 private:
  std::vector<TypicalPod> pods_;
  std::int64_t total_ = 0;
};

// F_n, the node's expected GPU fragmentation in milli-GPU against the typical pods
// (frag.go NodeGpuShareFragAmountScore): for each typical pod m with weight p_m, the node's
// idle GPU milli counts fully if m needs no GPU, cannot use the node's model, lacks CPU or
// lacks devices; otherwise only the devices with free < m's per-device milli count. Memory
// is ignored. The float sum follows upstream's order (per-category sums, then categories)
// so FGD scores match bit for bit.
double node_fragmentation(const TypicalPods& typical, const GpuNodeState& node);
// The same for a hypothetical state: cpu_free and device free list given separately.
double node_fragmentation(const TypicalPods& typical, std::int64_t cpu_free,
                          const std::int16_t* free_milli, int gpu_count, ModelId model);

// Cluster fragmentation (upstream plugin_utils.go PreFilterFragGpuRatio, analysis.go):
// Σ_n F_n and Σ_n G_n over the nodes, both in milli-GPU. The paper reports Σ F_n as a
// percentage of GPU capacity, and Σ F_n / Σ G_n as the fragmentation ratio.
struct ClusterFragmentation {
  double fragmentation_milli = 0;
  std::int64_t idle_milli = 0;
  double ratio() const {
    return idle_milli > 0 ? fragmentation_milli / static_cast<double>(idle_milli) : 0.0;
  }
};
ClusterFragmentation cluster_fragmentation(const TypicalPods& typical,
                                           std::span<const GpuNodeState> nodes);

// ---- Policies -------------------------------------------------------------------------------

enum class GpuPolicy : std::uint8_t {
  kFgd,
  kBestFit,
  kDotProduct,
  kGpuPacking,
  kGpuClustering,
  kRandom,
};
std::string_view to_string(GpuPolicy policy);
// "FGD", "BestFit", "DotProduct", "GpuPacking", "GpuClustering", "Random" (case-insensitive,
// also "fgd", "dotprod"). False when unknown.
bool parse_gpu_policy(std::string_view name, GpuPolicy* out);
inline constexpr std::array<GpuPolicy, 6> kAllGpuPolicies = {
    GpuPolicy::kFgd,        GpuPolicy::kBestFit,       GpuPolicy::kDotProduct,
    GpuPolicy::kGpuPacking, GpuPolicy::kGpuClustering, GpuPolicy::kRandom};

struct ScoredChoice {
  std::int64_t score = 0;
  std::uint64_t devices = 0;  // the device choice that goes with the score
};

// FGD (fgd_score.go calculateGpuShareFragExtendScore): score = int(100·sigmoid(Δ/1000)),
// Δ = F_n(before) − F_n(after). A share pod tries every fitting device and keeps the first
// with the highest score; other pods are placed hypothetically on the fitting devices with
// the least free milli (resource.go NodeResource.Sub) and take the lowest-index fully free
// devices. frag_before = node_fragmentation(typical, node) (memoize it per node state).
// REQUIRES: feasible(node, demand).
ScoredChoice fgd_score(const GpuNodeState& node, const GpuDemand& demand,
                       const TypicalPods& typical, double frag_before);

// BestFit (best_fit_score.go), before normalization: int(100·(1 − s)),
// s = 0.5·(cpu_free − cpu)/128000 + 0.5·(gpu_free_total − gpu_total)/8000.
std::int64_t best_fit_raw_score(const GpuNodeState& node, const GpuDemand& demand);
// DotProduct with "merge" dimensions and "max" normalization (dot_product_score.go, the
// paper's setting): int(100·(1 − (n·p)/2)) with n = [cpu_free/128000, gpu_free_total/8000],
// p = [cpu/128000, gpu_total/8000].
std::int64_t dot_product_score(const GpuNodeState& node, const GpuDemand& demand);
// GpuPacking (gpu_packing_score.go getPackingScore): 0 for CPU pods; an all-free node
// max(33 − free, free); a node that must use fully free devices max(50 − used free, 33);
// else max(100 − Σ(free·100/1000)/10, 50) over the devices it would use.
std::int64_t gpu_packing_score(const GpuNodeState& node, const GpuDemand& demand);
// GpuClustering (gpu_clustering_score.go): 0 for CPU pods; else 25·(8000 − gpu_free_total)/
// 8000 (integer) plus 75 (node holds only this class), 50 (this class among others), 25 (no
// GPU pods) or 0 (other classes only).
std::int64_t gpu_clustering_score(const GpuNodeState& node, const GpuDemand& demand);

// plugin_utils.go NormalizeScore: min-max to 0..100 with integer division; all 0 when the
// scores are all equal.
void normalize_min_max(std::span<std::int64_t> scores);

// Whether the policy's scores go through normalize_min_max (only BestFit).
inline bool normalizes(GpuPolicy policy) { return policy == GpuPolicy::kBestFit; }

// The policy's raw Score for one feasible node (before normalize_min_max for BestFit), with
// FGD's device choice in `devices` (0 for the other policies). kRandom scores 0: its choice
// is a draw over the feasible nodes, not a score. frag_before as for fgd_score (read only by
// FGD). REQUIRES: feasible(node, demand).
ScoredChoice policy_score(GpuPolicy policy, const GpuNodeState& node, const GpuDemand& demand,
                          const TypicalPods& typical, double frag_before);

// The policy's device choice on the chosen node: FGD its own (fgd_score), Random
// random_devices, the others "best".
std::uint64_t choose_devices(GpuPolicy policy, const GpuNodeState& node, const GpuDemand& demand,
                             const TypicalPods& typical, sim::Rng& rng);

// "0-1-2" as upstream writes gpu-index annotations; "" for no device.
std::string devices_to_string(std::uint64_t devices);

}  // namespace kubesim::policies::gpu
