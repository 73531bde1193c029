// MIG (Multi-Instance GPU): an A100 or H100 split into fixed GPU instances, advertised the
// way NVIDIA's device plugin does with the "mixed" strategy — one extended resource per
// profile, `nvidia.com/mig-<profile>` (e.g. nvidia.com/mig-1g.10gb), counted per node;
// whole GPUs of a MIG-enabled node are not advertised as nvidia.com/gpu. A pod asks for a
// slice with `resources.limits: {nvidia.com/mig-1g.10gb: 1}`; NodeResourcesFit and the
// kubelet's admission count it like any extended resource.
//
// Profiles (NVIDIA MIG user guide, "Supported MIG Profiles"): each takes some of the GPU's
// 7 compute slices and 8 memory slices. A per-GPU layout is valid when its slices add up
// to at most 7 compute and 8 memory — a simplification of NVIDIA's placement rules, which
// also fix where each instance starts (e.g. on A100 the combination 4g + 3g fits by this
// rule and is valid, while NVIDIA's placement forbids some other sums of 7 — document).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kubesim::models {

struct MigProfile {
  std::string_view name;  // "1g.10gb"
  std::int32_t compute_slices;
  std::int32_t memory_slices;
};

// The profiles of a GPU by its memory: 40 GB class (A100-40GB) or 80 GB class (A100-80GB,
// H100-80GB); nullopt for other memory sizes (MIG not modelled there).
std::optional<std::vector<MigProfile>> mig_profiles_for(std::int64_t gpu_memory_mib);

// The extended resource of a profile: "nvidia.com/mig-<profile>".
std::string mig_resource(std::string_view profile);

}  // namespace kubesim::models
