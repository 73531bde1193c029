// DisruptionController: kube-controller-manager's disruption controller (upstream v1.34
// pkg/controller/disruption/disruption.go): keeps each PodDisruptionBudget's status
// (currentHealthy, desiredHealthy, expectedPods, disruptionsAllowed, disruptedPods,
// observedGeneration, the DisruptionAllowed condition) up to date with the pods it selects.
// The arithmetic is models/disruption.hpp compute_pdb_status; this is the runtime.
//
// Inputs: its own PDB informer, and the ControllerManager's pod, ReplicaSet and Deployment
// informers (shared, as upstream's SharedInformerFactory shares them): ControllerManager
// calls on_pod()/on_pod_delete() from its pod handlers, on_scale_change() from its
// ReplicaSet/Deployment handlers. A pod event enqueues the PDBs of the pod's namespace that
// select it (before or after the change); with no PDB in a namespace it costs one map
// look-up. Scale changes enqueue every PDB of the namespace.
//
// Sync (per PDB key, coalesced over the controller manager's sync window): the status is
// computed from the informer caches at the sync time and written with an UPDATE of the
// status carrying the cached resourceVersion (upstream UpdateStatus), only when it differs
// from the cached status; a Conflict (an eviction wrote the PDB meanwhile) requeues. An
// entry of disruptedPods expires DeletionTimeout (2 min) after the eviction: the PDB is
// resynced then (upstream enqueuePdbForRecheck).
// Writes go through the controller manager's API client (--kube-api-qps/--kube-api-burst).
//
// Metrics: counters controllers.pdb_syncs, controllers.pdb_status_updates.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "models/api_server.hpp"
#include "models/disruption.hpp"
#include "models/informer.hpp"
#include "sim/metrics.hpp"
#include "sim/simulation.hpp"

namespace kubesim::models {

class DisruptionController {
 public:
  DisruptionController(sim::Simulation& sim, sim::MetricRegistry& metrics, ApiServer& api,
                       ApiClient& client, const Informer<Pod>& pods,
                       const Informer<ReplicaSet>& replicasets,
                       const Informer<Deployment>& deployments, sim::Duration sync_window);
  ~DisruptionController();
  DisruptionController(const DisruptionController&) = delete;
  DisruptionController& operator=(const DisruptionController&) = delete;

  // From the pod informer's handlers (after its cache holds the change).
  void on_pod(const Pod* old_pod, const Pod& pod);
  void on_pod_delete(const Pod& pod);
  // A ReplicaSet or Deployment of `namespace_` changed (its scale may have).
  void on_scale_change(std::string_view namespace_);

  // PDB status writes that succeeded so far.
  std::uint64_t status_updates() const;

 private:
  struct PdbState {
    std::shared_ptr<const PodDisruptionBudget> pdb;
    bool scheduled = false;
    bool in_flight = false;
    bool dirty = false;
    sim::Time last_sync = -1;
    sim::Time recheck_at = -1;  // a resync is scheduled then
  };

  void on_pdb(const std::shared_ptr<const PodDisruptionBudget>& pdb);
  void on_pdb_delete(const std::shared_ptr<const PodDisruptionBudget>& pdb);
  void enqueue(const std::string& key);
  void sync(const std::string& key);
  std::optional<PdbScaleOf> scale_of(const Pod& pod, const OwnerReference& owner) const;

  sim::Simulation& sim_;
  ApiServer& api_;
  ApiClient& client_;
  const Informer<Pod>& pods_;
  const Informer<ReplicaSet>& replicasets_;
  const Informer<Deployment>& deployments_;
  sim::Duration sync_window_;
  std::map<std::string, PdbState, std::less<>> pdbs_;
  // namespace → keys of its PDBs
  std::map<std::string, std::set<std::string>, std::less<>> by_namespace_;
  std::unique_ptr<Informer<PodDisruptionBudget>> pdb_informer_;
  sim::Counter& syncs_;
  sim::Counter& updates_;
};

}  // namespace kubesim::models
