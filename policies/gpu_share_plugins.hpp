// GPU sharing as kube-scheduler plugins: the GpuShare filter and the FGD paper's six
// placement policies (FGD, BestFit, DotProduct, GpuPacking, GpuClustering, Random), over
// the pure library of policies/gpu_share.hpp.
//
// What a pod asks for: Pod::gpu_demand() (models/objects.hpp) — whole nvidia.com/gpu
// devices, or a share of one device by the alibabacloud.com/gpu-milli annotation. The GPU
// models a pod accepts are a required node affinity on nvidia.com/gpu.product (NodeAffinity
// filters them); these plugins read the node's model from that label.
//
//   GpuShare   Filter: a share pod needs one device with free milli >= its share, a whole-GPU
//              pod that many fully free devices. Reserve: the "best" devices (least free
//              that fits). For profiles without a GPU policy.
//   FGD ...    Filter as GpuShare; Score as the paper's plugin of that name; NormalizeScore
//              (BestFit only: min-max); Reserve: the policy's device choice, written into
//              CycleState::gpu_device_ids and so into the binding.
//
// FGD measures fragmentation against the target workload (PluginContext::gpu_workload: the
// typical pods of the scenario's pod traces); without one every node scores alike.
// Random scores one feasible node, drawn uniformly from stream
// "scheduler/plugins/Random", 100 and the others 0, so it picks uniformly whatever the
// tie-break rule.
//
// Each plugin keeps a GpuNodeState per node, rebuilt when NodeInfo::generation() changes,
// and FGD memoizes each node's fragmentation the same way.
#pragma once

#include <memory>

#include "models/scheduler_framework.hpp"
#include "policies/gpu_share.hpp"
#include "policies/registry.hpp"

namespace kubesim::policies {

// The target workload of FGD, and the GPU model names it uses.
struct GpuWorkload {
  gpu::ModelTable models;
  gpu::TypicalPods typical;
};

// The GpuNodeState of a NodeInfo (models from `models`; an unknown model is kNoModel).
gpu::GpuNodeState gpu_node_state(const models::sched::NodeInfo& node, const gpu::ModelTable* models);
// The GpuDemand of a pod (models: any; NodeAffinity enforces them).
gpu::GpuDemand gpu_demand(const models::sched::PodInfo& pod);

// Registers GpuShare, FGD, BestFit, DotProduct, GpuPacking, GpuClustering and Random.
void register_gpu_share_plugins(Registry& registry);

}  // namespace kubesim::policies
