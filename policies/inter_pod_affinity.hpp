// InterPodAffinity: kube-scheduler v1.34's pod (anti-)affinity plugin (upstream
// pkg/scheduler/framework/plugins/interpodaffinity/{filtering,scoring,plugin}.go and the
// AffinityTerm helpers of pkg/scheduler/framework/types.go).
//
//   PreFilter/Filter  required terms: the incoming pod's affinity (every term's topology
//                     domain on the node must hold a pod matching all terms — or, for the
//                     first pod of a group, no such pod exists anywhere and the pod matches
//                     its own terms), its anti-affinity, and the required anti-affinity of
//                     existing pods against the incoming pod. PreFilter returns Skip when
//                     none applies (the fast path when no pod in the cluster has required
//                     anti-affinity and the incoming pod has no required terms).
//   AddPod/RemovePod  the PreFilter counts follow preemption's hypothetical changes.
//   PreScore/Score    preferred terms both ways plus hardPodAffinityWeight × existing pods'
//                     required affinity terms matching the incoming pod; normalized to
//                     0..100 between the minimum and maximum raw score. Only nodes hosting
//                     pods with affinity are visited unless the incoming pod has preferred
//                     terms.
//
// namespaceSelector: upstream lists the namespaces a non-empty selector matches and adds
// them to the term's namespaces; here the selector is evaluated against the labels of the
// existing pod's namespace (PluginContext::namespace_labels; an unknown namespace matches
// no non-empty selector), which selects the same pods. matchLabelKeys/mismatchLabelKeys
// (beta, on in v1.34) are merged into the term's selector with the owning pod's labels, as
// the API server does at pod creation (key In / NotIn the pod's value).
//
// Not thread-safe (one plugin per Framework).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "models/scheduler_framework.hpp"
#include "models/selectors.hpp"
#include "policies/registry.hpp"
#include "policies/scheduler_profile.hpp"

namespace kubesim::policies {

// A compiled PodAffinityTerm (upstream framework.AffinityTerm / WeightedAffinityTerm).
struct AffinityTerm {
  std::vector<std::string> namespaces;
  models::LabelMatcher namespace_selector = models::LabelMatcher::nothing();
  models::LabelMatcher selector = models::LabelMatcher::nothing();
  std::string topology_key;
  std::int32_t weight = 0;  // preferred terms only
};

// The compiled terms of one pod (upstream PodInfo's Required/Preferred(Anti)AffinityTerms).
struct PodAffinityTerms {
  std::vector<AffinityTerm> required_affinity;
  std::vector<AffinityTerm> required_anti_affinity;
  std::vector<AffinityTerm> preferred_affinity;
  std::vector<AffinityTerm> preferred_anti_affinity;
  bool empty() const {
    return required_affinity.empty() && required_anti_affinity.empty() &&
           preferred_affinity.empty() && preferred_anti_affinity.empty();
  }
};

// Compiles a pod's terms. A term whose selector does not compile makes the whole result an
// error (upstream NewPodInfo).
sim::Result<PodAffinityTerms> compile_affinity_terms(const models::Pod& pod);

class InterPodAffinity : public models::sched::Plugin {
 public:
  static constexpr std::string_view kName = "InterPodAffinity";
  static constexpr std::string_view kErrAffinityRulesNotMatch =
      "node(s) didn't match pod affinity rules";
  static constexpr std::string_view kErrAntiAffinityRulesNotMatch =
      "node(s) didn't match pod anti-affinity rules";
  static constexpr std::string_view kErrExistingAntiAffinityRulesNotMatch =
      "node(s) didn't satisfy existing pods anti-affinity rules";

  InterPodAffinity(const InterPodAffinityArgs& args, PluginContext context);
  std::string_view name() const override { return kName; }

  models::sched::PluginStatus pre_filter(models::sched::CycleState& state,
                                         const models::sched::PodInfo& pod,
                                         const models::sched::Snapshot& snapshot,
                                         models::sched::PreFilterResult& result) override;
  models::sched::PluginStatus add_pod(models::sched::CycleState& state,
                                      const models::sched::PodInfo& to_schedule,
                                      const models::sched::PodInfo& to_add,
                                      const models::sched::NodeInfo& node) override;
  models::sched::PluginStatus remove_pod(models::sched::CycleState& state,
                                         const models::sched::PodInfo& to_schedule,
                                         const models::sched::PodInfo& to_remove,
                                         const models::sched::NodeInfo& node) override;
  models::sched::PluginStatus filter(const models::sched::CycleState& state,
                                     const models::sched::PodInfo& pod,
                                     const models::sched::NodeInfo& node) override;
  models::sched::PluginStatus pre_score(
      models::sched::CycleState& state, const models::sched::PodInfo& pod,
      const models::sched::Snapshot& snapshot,
      std::span<const models::sched::NodeInfo* const> feasible) override;
  std::int64_t score(const models::sched::CycleState& state, const models::sched::PodInfo& pod,
                     const models::sched::NodeInfo& node) override;
  bool has_normalize() const override { return true; }
  void normalize_scores(const models::sched::CycleState& state, const models::sched::PodInfo& pod,
                        std::span<std::int64_t> scores) override;

  // The compiled terms of an existing pod, cached by Pod object (the cache holds the Pod,
  // so its address cannot be reused while cached).
  const PodAffinityTerms& terms_of(const std::shared_ptr<const models::Pod>& pod);

 private:
  InterPodAffinityArgs args_;
  PluginContext context_;
  struct CachedTerms {
    std::shared_ptr<const models::Pod> pod;
    PodAffinityTerms terms;
  };
  std::unordered_map<const models::Pod*, CachedTerms> terms_cache_;  // never iterated
};

// upstream: interpodaffinity/plugin.go, New.
PluginFactory inter_pod_affinity_factory();

}  // namespace kubesim::policies
