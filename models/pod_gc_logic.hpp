// Pod garbage collector decisions (kube-controller-manager v1.34): which pods one GC pass
// force-deletes, given the pods and nodes in its informer caches.
//
// Upstream source reproduced: pkg/controller/podgc/gc_controller.go
//   gc (every gcCheckPeriod 20 s) runs, in order:
//   gcTerminated              more than terminatedPodThreshold (12500; <= 0 disables)
//                             terminated (Succeeded/Failed) pods: the excess goes, evicted
//                             pods first, then oldest creationTimestamp, then name
//                             (byEvictionAndCreationTimestamp)
//   gcTerminating             terminating pods on a node that is not Ready and carries the
//                             node.kubernetes.io/out-of-service taint, same order
//   gcOrphaned                pods bound to a node that does not exist, once the node has
//                             been missing through a quarantine of 40 s (the node name waits
//                             in a delaying queue, then the API is asked once more)
//   gcUnscheduledTerminating  terminating pods that were never bound
//   markFailedAndDeletePod[WithCondition]: a pod not yet Succeeded/Failed is patched to
//   Failed first (orphans also get DisruptionTarget, reason DeletionByPodGC), then deleted
//   with grace period 0.
//
// The quarantine is the only state: PodGcQuarantine remembers when each missing node name
// may be checked (now + 40 s when first seen missing; re-seeing it keeps the earlier time).
// A name is ready at exactly its time (upstream's delaying queue moves it on a goroutine;
// we make the boundary deterministic). The API re-check of upstream is the same node list
// here.
//
// Thread-safety: PodGcQuarantine is owned by one controller instance.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "models/objects.hpp"
#include "sim/time.hpp"

namespace kubesim::models {

inline constexpr std::int32_t kTerminatedPodGcThreshold = 12500;
inline constexpr sim::Duration kPodGcCheckPeriod = sim::seconds(20);
inline constexpr sim::Duration kPodGcQuarantineTime = sim::seconds(40);
inline constexpr std::string_view kReasonDeletionByPodGC = "DeletionByPodGC";

enum class PodGcReason : std::uint8_t {
  kTerminatedOverThreshold,
  kTerminatingOutOfService,
  kOrphaned,
  kUnscheduledTerminating,
};
std::string_view to_string(PodGcReason reason);

struct PodGcAction {
  const Pod* pod = nullptr;
  PodGcReason reason = PodGcReason::kTerminatedOverThreshold;
  // Patch the phase to Failed before deleting (the pod is not Succeeded/Failed).
  bool mark_failed = false;
  // Add DisruptionTarget=True, reason DeletionByPodGC, "PodGC: node no longer exists".
  bool disruption_condition = false;
};

struct PodGcConfig {
  std::int32_t terminated_pod_threshold = kTerminatedPodGcThreshold;
  sim::Duration quarantine = kPodGcQuarantineTime;
};

// Node names waiting out the orphan quarantine.
class PodGcQuarantine {
 public:
  // Adds (or keeps the earlier time of) a missing node name.
  void add(const std::string& node, sim::Time ready_at);
  // Removes and returns the names ready at `now`, in name order.
  std::vector<std::string> take_ready(sim::Time now);
  std::size_t size() const { return ready_at_.size(); }

 private:
  std::map<std::string, sim::Time> ready_at_;
};

// Failed with reason "Evicted" (upstream eviction.PodIsEvicted).
bool pod_is_evicted(const Pod& pod);
// upstream byEvictionAndCreationTimestamp: evicted first, then older, then by name.
bool gc_order_less(const Pod& a, const Pod& b);

// Whether a pass can act on the pod at all: it is terminating, bound to a node that does
// not exist, or terminated while the terminated pods are over the threshold. pod_gc over
// just these pods (in the same order) gives the same actions and quarantine as over all
// of them, so a controller can keep the candidates as running sets instead of listing
// every pod each pass.
bool pod_gc_candidate(const Pod& pod, bool node_exists, bool over_threshold);

// One GC pass. Each pod appears at most once (the first check that picks it).
std::vector<PodGcAction> pod_gc(std::span<const Pod* const> pods,
                                std::span<const Node* const> nodes, PodGcQuarantine& quarantine,
                                sim::Time now, const PodGcConfig& config = {});

}  // namespace kubesim::models
