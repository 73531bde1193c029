// GPU interconnect topology of one node, and the choice of the best-connected GPU set for a
// multi-GPU pod.
//
// A GpuTopology is n GPUs (indices 0..n-1) and, for each pair, the links between them: at
// most one PCIe path level (the nvidia-smi `topo -m` categories SYS, NODE, PHB, PXB, PIX)
// plus a number of NVLink lanes, direct or through an NVSwitch. It is the data the NVIDIA
// device plugin's GetPreferredAllocation() sees; the kube-scheduler itself is unaware of it
// (docs/kubernetes-objects.md, "GPU interconnect topology").
//
// Scoring follows go-gpuallocator's best-effort policy (NVIDIA/go-gpuallocator,
// gpuallocator/besteffort_policy.go, calculateGPUPairScore / calculateGPUSetScore):
//   pair score = sum of the points of every link between the two GPUs
//                SYS 10, NODE 20, PHB 30, PXB 40, PIX 50, same board 60,
//                100 per NVLink lane (NV1 = 100, NV2 = 200, NV12 = 1200, ...)
//   set score  = sum of the pair scores over all unordered pairs of the set.
// The sum (not the minimum) is upstream's rule: it rewards sets with many fast pairs, and a
// single slow pair costs only its own shortfall. `best_set` returns the k-subset of the free
// GPUs with the highest set score; ties go to the lexicographically smallest index list.
// Unlike upstream it does not first partition all free GPUs into k-sets (see the docs).
//
// The graph is a Boost.Graph adjacency matrix kept behind a pointer in gpu_topology.cpp, so
// this header pulls in no Boost. A GpuTopology is immutable once built; copies share the
// graph, and concurrent reads are safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "sim/status.hpp"

namespace kubesim::models {

// One kind of link between two GPUs, slowest first. The PCIe levels are nvidia-smi's legend
// (and NVML's nvmlGpuTopologyLevel_t); a pair has at most one of them.
enum class GpuLink : std::uint8_t {
  kNone,             // no path recorded
  kPcieCrossSocket,  // SYS: across sockets (QPI/UPI/Infinity Fabric)            10
  kPcieSameSocket,   // NODE: same NUMA node, across host bridges                20
  kPcieHostBridge,   // PHB: through one host bridge (CPU root complex)          30
  kPcieMultiSwitch,  // PXB: through several PCIe switches, no host bridge       40
  kPcieSwitch,       // PIX: through a single PCIe switch                        50
  kSameBoard,        // two GPUs on one board (NVML TOPOLOGY_INTERNAL)           60
  kNvLink,           // NV#: # direct NVLink lanes                         100 per lane
  kNvSwitch,         // NV#: # NVLink lanes through an NVSwitch fabric     100 per lane
};

// Canonical names, as written in scenario YAML: "none", "pcie-cross-socket",
// "pcie-same-socket", "pcie-host-bridge", "pcie-multi-switch", "pcie-switch", "same-board",
// "nvlink", "nvswitch".
std::string_view to_string(GpuLink link);
// Accepts the canonical names, nvidia-smi's codes in either case ("SYS", "NODE", "PHB",
// "PXB", "PIX") and "pcie" as a short form of "pcie-host-bridge" (GPUs on one socket with
// no shared switch, the common case).
sim::Result<GpuLink> parse_gpu_link(std::string_view text);

// Points for one link (go-gpuallocator's table). For kNvLink and kNvSwitch, `nvlinks` lanes
// at 100 each; other kinds ignore `nvlinks`. kNone scores 0.
int gpu_link_score(GpuLink link, int nvlinks = 0);

// One link in an explicit edge list. Several specs for the same pair add up, as NVML
// reports a PCIe level and an NVLink count separately (e.g. {0,1,kPcieSwitch} and
// {0,1,kNvLink,2} for a DGX-1 pair).
struct GpuLinkSpec {
  int a = 0;
  int b = 0;
  GpuLink link = GpuLink::kNone;
  int nvlinks = 0;  // lanes, ≥1 for kNvLink/kNvSwitch, 0 otherwise
};

// Everything known about one pair of GPUs.
struct GpuPairLinks {
  GpuLink pcie = GpuLink::kNone;  // kNone or a PCIe level (kPcieCrossSocket..kSameBoard)
  int nvlinks = 0;                // NVLink lanes between the pair, 0 if none
  bool via_nvswitch = false;      // the lanes go through an NVSwitch

  // The fastest path: kNvSwitch / kNvLink when nvlinks > 0, else the PCIe level.
  GpuLink fastest() const;
  friend bool operator==(const GpuPairLinks&, const GpuPairLinks&) = default;
};

class GpuTopology {
 public:
  // Free GPU counts up to this are searched exhaustively by best_set; above it, greedily.
  static constexpr int kExactSearchLimit = 16;

  // No GPUs.
  GpuTopology();

  // Every pair joined through an NVSwitch with `nvlinks_per_gpu` lanes (each GPU's lanes
  // all reach every peer): DGX A100 / HGX A100 is NV12, DGX H100 / HGX H100 is NV18.
  // REQUIRES: n >= 0, nvlinks_per_gpu >= 1.
  static GpuTopology nvswitch(int n, int nvlinks_per_gpu = 12);

  // PCIe only. GPU i sits on socket i / gpus_per_socket; pairs on one socket are joined by
  // `same_socket` (PHB by default, PIX for a shared switch), pairs across sockets by SYS.
  // REQUIRES: n >= 0, gpus_per_socket >= 1, same_socket a PCIe level.
  static GpuTopology pcie(int n, int gpus_per_socket,
                          GpuLink same_socket = GpuLink::kPcieHostBridge);

  // DGX-1 with V100 (hybrid cube-mesh): a cube of NVLinks over GPUs 0-7 with two faces'
  // diagonals added, one or two lanes per edge, six lanes per GPU; GPUs 0-3 on socket 0
  // and 4-7 on socket 1, pairs (0,1) (2,3) (4,5) (6,7) behind one PCIe switch.
  static GpuTopology nvlink_hybrid_cube_mesh_8();

  // From an explicit edge list. Errors (invalid_argument): n < 0, an index outside
  // [0, n), a == b, kNone, a bad lane count, two PCIe levels or both kNvLink and
  // kNvSwitch for one pair.
  static sim::Result<GpuTopology> from_links(int n, std::span<const GpuLinkSpec> links);

  int size() const { return n_; }

  // REQUIRES: 0 <= a, b < size(). A GPU has no links to itself.
  GpuPairLinks links(int a, int b) const;
  // Sum of gpu_link_score over the pair's links; 0 for a == b.
  int pair_score(int a, int b) const;
  // Sum of pair_score over all unordered pairs. REQUIRES: distinct indices in range.
  int set_score(std::span<const int> gpus) const;

  // Whether the GPUs form one connected piece using only NVLink/NVSwitch links among
  // themselves (Boost connected_components on the induced subgraph). Empty and single-GPU
  // sets are connected. REQUIRES: distinct indices in range.
  bool nvlink_connected(std::span<const int> gpus) const;

  // The best k GPUs among `free_gpus` (any order): the highest set_score, ties to the
  // lexicographically smallest ascending index list. Exact for up to kExactSearchLimit
  // free GPUs; above, the best of greedy growths from every free GPU (each step adds the
  // GPU with the largest score to the chosen ones, lowest index on ties). Returns nullopt
  // if fewer than k GPUs are free, an empty set for k == 0; result sorted ascending.
  // REQUIRES: k >= 0; free_gpus distinct and in range.
  std::optional<std::vector<int>> best_set(std::span<const int> free_gpus, int k) const;

 private:
  struct Impl;
  explicit GpuTopology(std::shared_ptr<const Impl> impl);

  std::shared_ptr<const Impl> impl_;
  int n_ = 0;
};

}  // namespace kubesim::models
