// Taints and tolerations: the API types and upstream's matching rules, for the scheduler's
// TaintToleration filter and score, NodeUnschedulable, and NoExecute eviction.
//
// A node repels pods with taints (key, value, effect); a pod tolerates a taint with a
// matching toleration. Effects:
//   NoSchedule        the scheduler does not place pods that do not tolerate it
//   PreferNoSchedule  the scheduler avoids such nodes (TaintToleration score)
//   NoExecute         as NoSchedule, and running pods that do not tolerate it are evicted,
//                     immediately or after the toleration's tolerationSeconds
//
// Upstream sources reproduced:
//   k8s.io/api/core/v1/toleration.go            Toleration.ToleratesTaint
//   k8s.io/api/core/v1/taint.go                 Taint.MatchTaint, Taint.ToString
//   component-helpers/scheduling/corev1/helpers.go
//                                               TolerationsTolerateTaint,
//                                               FindMatchingUntoleratedTaint
//   pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go
//                                               Filter, countIntolerableTaintsPreferNoSchedule
//   pkg/apis/core/v1/helper/helpers.go          GetMatchingTolerations
//   pkg/controller/tainteviction/taint_eviction.go
//                                               processPodOnNode, getMinTolerationTime
//   pkg/apis/core/validation/validation.go      validateTolerations, validateNodeTaints
//
// The Lt/Gt toleration operators (feature gate TaintTolerationComparisonOperators, alpha
// in v1.35, off by default) are modelled behind an explicit `enable_comparison_operators`
// argument; with it false, as by default upstream, an Lt/Gt toleration tolerates nothing.
//
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sim/status.hpp"
#include "sim/time.hpp"

namespace kubesim::models {

enum class TaintEffect : std::uint8_t { kNoSchedule, kPreferNoSchedule, kNoExecute };
// "NoSchedule", "PreferNoSchedule", "NoExecute".
std::string_view to_string(TaintEffect effect);
sim::Result<TaintEffect> parse_taint_effect(std::string_view text);

// Taint keys the control plane itself manages (k8s.io/api/core/v1/well_known_taints.go;
// the last one from k8s.io/cloud-provider/api/well_known_taints.go).
inline constexpr std::string_view kTaintNodeNotReady = "node.kubernetes.io/not-ready";
inline constexpr std::string_view kTaintNodeUnreachable = "node.kubernetes.io/unreachable";
inline constexpr std::string_view kTaintNodeUnschedulable = "node.kubernetes.io/unschedulable";
inline constexpr std::string_view kTaintNodeMemoryPressure = "node.kubernetes.io/memory-pressure";
inline constexpr std::string_view kTaintNodeDiskPressure = "node.kubernetes.io/disk-pressure";
inline constexpr std::string_view kTaintNodePIDPressure = "node.kubernetes.io/pid-pressure";
inline constexpr std::string_view kTaintNodeNetworkUnavailable =
    "node.kubernetes.io/network-unavailable";
inline constexpr std::string_view kTaintNodeOutOfService = "node.kubernetes.io/out-of-service";
inline constexpr std::string_view kTaintExternalCloudProvider =
    "node.cloudprovider.kubernetes.io/uninitialized";
// Node autoscalers' taints: Cluster Autoscaler's (cluster-autoscaler utils/taints) on a node
// it deletes (NoSchedule) and on an unneeded one (PreferNoSchedule, the soft taint), and
// Karpenter's on a node it disrupts (karpenter pkg/apis/v1 DisruptedNoScheduleTaint).
inline constexpr std::string_view kToBeDeletedTaint = "ToBeDeletedByClusterAutoscaler";
inline constexpr std::string_view kDeletionCandidateTaint = "DeletionCandidateOfClusterAutoscaler";
inline constexpr std::string_view kKarpenterDisruptedTaint = "karpenter.sh/disrupted";

struct Taint {
  std::string key;
  std::string value;
  TaintEffect effect = TaintEffect::kNoSchedule;
  // When a NoExecute taint was added (set by the node lifecycle controller).
  std::optional<sim::Time> time_added;

  // Same key and effect: taints are unique by (key, effect) on a node (upstream MatchTaint).
  bool same_key_and_effect(const Taint& other) const {
    return key == other.key && effect == other.effect;
  }
  // "key=value:Effect", or "key:Effect" when the value is empty (upstream Taint.ToString).
  std::string to_string() const;

  friend bool operator==(const Taint&, const Taint&) = default;
};

// Exists matches any value; Equal (the default, also what an empty operator means) the
// exact value; Lt/Gt compare integers and need enable_comparison_operators.
enum class TolerationOperator : std::uint8_t { kEqual, kExists, kLt, kGt };
// "Equal", "Exists", "Lt", "Gt".
std::string_view to_string(TolerationOperator op);
// Accepts "" as Equal, as upstream defaulting does.
sim::Result<TolerationOperator> parse_toleration_operator(std::string_view text);

struct Toleration {
  std::string key;  // empty: every key (with operator Exists)
  TolerationOperator op = TolerationOperator::kEqual;
  std::string value;
  std::optional<TaintEffect> effect;  // nullopt: every effect
  // NoExecute only: how long a running pod stays after the taint appears. nullopt: for
  // ever; zero or negative: not at all.
  std::optional<std::int64_t> toleration_seconds;

  friend bool operator==(const Toleration&, const Toleration&) = default;
};

// upstream Toleration.ToleratesTaint:
//   1. an effect, when set, must equal the taint's effect;
//   2. a key, when set, must equal the taint's key (an empty key matches every key);
//   3. Exists matches any value; Equal compares values; Lt/Gt tolerate when the taint's
//      value, as an integer, is less (greater) than the toleration's, and only when
//      enable_comparison_operators; both values must be canonical decimal integers.
// Note 2 applies to Equal too: an empty-key Equal toleration (which API validation
// rejects) tolerates every taint whose value equals its own.
bool tolerates(const Toleration& toleration, const Taint& taint,
               bool enable_comparison_operators = false);

// Some toleration tolerates the taint (upstream TolerationsTolerateTaint).
bool tolerations_tolerate_taint(std::span<const Toleration> tolerations, const Taint& taint,
                                bool enable_comparison_operators = false);

// A set of taint effects, for filtering taints.
class TaintEffectSet {
 public:
  constexpr TaintEffectSet() = default;
  constexpr TaintEffectSet(std::initializer_list<TaintEffect> effects) {
    for (TaintEffect e : effects) bits_ |= bit(e);
  }
  constexpr bool contains(TaintEffect e) const { return (bits_ & bit(e)) != 0; }

 private:
  static constexpr std::uint8_t bit(TaintEffect e) {
    return static_cast<std::uint8_t>(1u << static_cast<unsigned>(e));
  }
  std::uint8_t bits_ = 0;
};

// The effects the TaintToleration filter checks.
inline constexpr TaintEffectSet kNoScheduleOrNoExecute{TaintEffect::kNoSchedule,
                                                       TaintEffect::kNoExecute};

// The first taint, in node order, whose effect is in `effects` and which no toleration
// tolerates; nullptr when there is none (upstream FindMatchingUntoleratedTaint). The
// TaintToleration filter passes kNoScheduleOrNoExecute and rejects the node with
// "node(s) had untolerated taint {key: value}" when this is non-null.
const Taint* find_untolerated_taint(std::span<const Taint> taints,
                                    std::span<const Toleration> tolerations, TaintEffectSet effects,
                                    bool enable_comparison_operators = false);

// The TaintToleration score's raw value: the number of PreferNoSchedule taints not
// tolerated by the pod's tolerations with an empty effect or PreferNoSchedule (upstream
// countIntolerableTaintsPreferNoSchedule). Lower is better; NormalizeScore reverses it.
int count_intolerable_prefer_no_schedule(std::span<const Taint> taints,
                                         std::span<const Toleration> tolerations,
                                         bool enable_comparison_operators = false);

// What the taint eviction controller does with a pod on a node, given the node's taints
// (all of them; only NoExecute ones count) and the pod's tolerations.
struct NoExecuteDecision {
  enum class Kind : std::uint8_t {
    kNoTaints,         // the node has no NoExecute taint: cancel any pending eviction
    kEvictNow,         // some NoExecute taint is not tolerated, or a toleration has
                       // tolerationSeconds <= 0
    kEvictAfter,       // evict after `delay` unless the taints change first
    kTolerateForever,  // every NoExecute taint is tolerated without a time limit
  };
  Kind kind = Kind::kNoTaints;
  sim::Duration delay = 0;  // kEvictAfter only: the minimum tolerationSeconds

  friend bool operator==(const NoExecuteDecision&, const NoExecuteDecision&) = default;
};

// upstream processPodOnNode + GetMatchingTolerations + getMinTolerationTime. For each
// NoExecute taint the *first* toleration (in pod order) that tolerates it is used; if a
// taint has none the pod is evicted now. Over the tolerations used: any with
// tolerationSeconds <= 0 means evict now; otherwise the minimum positive
// tolerationSeconds is the delay; if none of them sets tolerationSeconds, never evict.
// Because only the first tolerating toleration counts, a later toleration's shorter
// tolerationSeconds for the same taint is ignored. A delay beyond the range of Duration
// saturates at INT64_MAX nanoseconds.
NoExecuteDecision no_execute_decision(std::span<const Taint> taints,
                                      std::span<const Toleration> tolerations,
                                      bool enable_comparison_operators = false);

// upstream tainteviction NodeUpdated's test: the NoExecute taints of two taint lists, in
// order, are equal (key, value, effect and timeAdded: helper.Semantic.DeepEqual).
bool same_no_execute_taints(std::span<const Taint> a, std::span<const Taint> b);

// API validation (upstream validateNodeTaints): the key is a label key, the value a label
// value; a node's taints are unique by (key, effect).
sim::Status validate_taint(const Taint& taint);
sim::Status validate_taints(std::span<const Taint> taints);

// API validation (upstream ValidateTolerations): a non-empty key is a label key; an empty
// key requires operator Exists; tolerationSeconds requires effect NoExecute; Equal needs a
// label value, Exists an empty value; Lt/Gt are rejected unless enabled, and then need a
// canonical decimal integer value.
sim::Status validate_toleration(const Toleration& toleration,
                                bool enable_comparison_operators = false);
sim::Status validate_tolerations(std::span<const Toleration> tolerations,
                                 bool enable_comparison_operators = false);

}  // namespace kubesim::models
