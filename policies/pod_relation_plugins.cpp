// Registration of the scheduling plugins that relate a pod to other pods: PodTopologySpread,
// InterPodAffinity, DefaultPreemption and Coscheduling (see policies/registry.hpp and
// docs/policies.md, "Plugins relating pods to pods").
#include "policies/coscheduling.hpp"
#include "policies/default_preemption.hpp"
#include "policies/inter_pod_affinity.hpp"
#include "policies/pod_topology_spread.hpp"
#include "policies/registry.hpp"

namespace kubesim::policies {

void register_pod_relation_plugins(Registry& registry) {
  // Names are unique within this group; a duplicate from elsewhere is reported by the
  // registry's own tests of register_builtins.
  (void)registry.add(std::string(PodTopologySpread::kName), pod_topology_spread_factory());
  (void)registry.add(std::string(InterPodAffinity::kName), inter_pod_affinity_factory());
  (void)registry.add(std::string(DefaultPreemption::kName), default_preemption_factory());
  (void)registry.add(std::string(Coscheduling::kName), coscheduling_factory());
}

}  // namespace kubesim::policies
