#include "models/disruption_controller.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace kubesim::models {
namespace {

// Whether the change can alter a PDB's status (labels: selection; readiness, deletion,
// phase: health).
bool pdb_relevant(const Pod* old_pod, const Pod& pod) {
  if (old_pod == nullptr) return true;
  return old_pod->metadata.labels != pod.metadata.labels || old_pod->ready() != pod.ready() ||
         old_pod->metadata.being_deleted() != pod.metadata.being_deleted() ||
         old_pod->status.phase != pod.status.phase;
}

}  // namespace

DisruptionController::DisruptionController(sim::Simulation& sim, sim::MetricRegistry& metrics,
                                           ApiServer& api, ApiClient& client,
                                           const Informer<Pod>& pods,
                                           const Informer<ReplicaSet>& replicasets,
                                           const Informer<Deployment>& deployments,
                                           sim::Duration sync_window)
    : sim_(sim),
      api_(api),
      client_(client),
      pods_(pods),
      replicasets_(replicasets),
      deployments_(deployments),
      sync_window_(sync_window),
      syncs_(metrics.counter("controllers.pdb_syncs")),
      updates_(metrics.counter("controllers.pdb_status_updates")) {
  pdb_informer_ = std::make_unique<Informer<PodDisruptionBudget>>(
      api,
      Informer<PodDisruptionBudget>::Handlers{[this](const auto& p) { on_pdb(p); },
                                              [this](const auto&, const auto& p) { on_pdb(p); },
                                              [this](const auto& p) { on_pdb_delete(p); }});
}

DisruptionController::~DisruptionController() = default;

std::uint64_t DisruptionController::status_updates() const {
  return static_cast<std::uint64_t>(updates_.value());
}

void DisruptionController::on_pdb(const std::shared_ptr<const PodDisruptionBudget>& pdb) {
  const std::string key = object_key(pdb->metadata.namespace_, pdb->metadata.name);
  pdbs_[key].pdb = pdb;
  by_namespace_[pdb->metadata.namespace_].insert(key);
  enqueue(key);
}

void DisruptionController::on_pdb_delete(const std::shared_ptr<const PodDisruptionBudget>& pdb) {
  const std::string key = object_key(pdb->metadata.namespace_, pdb->metadata.name);
  if (auto ns = by_namespace_.find(pdb->metadata.namespace_); ns != by_namespace_.end()) {
    ns->second.erase(key);
  }
  pdbs_.erase(key);
}

void DisruptionController::on_pod(const Pod* old_pod, const Pod& pod) {
  auto ns = by_namespace_.find(pod.metadata.namespace_);
  if (ns == by_namespace_.end() || ns->second.empty()) return;
  if (!pdb_relevant(old_pod, pod)) return;
  for (const std::string& key : ns->second) {
    const PodDisruptionBudget& pdb = *pdbs_[key].pdb;
    if (pdb_selects(pdb, pod) || (old_pod != nullptr && pdb_selects(pdb, *old_pod))) enqueue(key);
  }
}

void DisruptionController::on_pod_delete(const Pod& pod) {
  auto ns = by_namespace_.find(pod.metadata.namespace_);
  if (ns == by_namespace_.end() || ns->second.empty()) return;
  for (const std::string& key : ns->second) {
    if (pdb_selects(*pdbs_[key].pdb, pod)) enqueue(key);
  }
}

void DisruptionController::on_scale_change(std::string_view namespace_) {
  auto ns = by_namespace_.find(namespace_);
  if (ns == by_namespace_.end()) return;
  for (const std::string& key : ns->second) enqueue(key);
}

// One sync per key per sync window; a key whose status write is in flight syncs again when
// the write has been answered.
void DisruptionController::enqueue(const std::string& key) {
  auto it = pdbs_.find(key);
  if (it == pdbs_.end()) return;
  PdbState& st = it->second;
  if (st.in_flight) {
    st.dirty = true;
    return;
  }
  if (st.scheduled) return;
  st.scheduled = true;
  const sim::Time at =
      st.last_sync < 0 ? sim_.now() : std::max(sim_.now(), st.last_sync + sync_window_);
  sim_.schedule_at(at, [this, key] { sync(key); });
}

std::optional<PdbScaleOf> DisruptionController::scale_of(const Pod& pod,
                                                         const OwnerReference& owner) const {
  // upstream finders: getPodReplicaSet (a ReplicaSet not owned by a Deployment) and
  // getPodDeployment (through the ReplicaSet's controllerRef). The uid must match, as
  // upstream checks that the controller found is the one the reference names.
  if (owner.kind != "ReplicaSet") return std::nullopt;
  auto rs = replicasets_.get(pod.metadata.namespace_, owner.name);
  if (rs == nullptr || rs->metadata.uid != owner.uid) return std::nullopt;
  if (const OwnerReference* up = rs->metadata.controller_ref(); up != nullptr) {
    if (up->kind != "Deployment") return std::nullopt;
    auto d = deployments_.get(pod.metadata.namespace_, up->name);
    if (d == nullptr || d->metadata.uid != up->uid) return std::nullopt;
    return PdbScaleOf{d->spec.replicas, d->metadata.uid};
  }
  return PdbScaleOf{rs->spec.replicas, rs->metadata.uid};
}

void DisruptionController::sync(const std::string& key) {
  auto it = pdbs_.find(key);
  if (it == pdbs_.end()) return;
  PdbState& st = it->second;
  st.scheduled = false;
  st.last_sync = sim_.now();
  syncs_.add();
  const auto pdb = st.pdb;
  // The selected pods, from the pod informer's cache.
  std::vector<const Pod*> pods;
  pods_.for_each_in_namespace(pdb->metadata.namespace_, [&](const std::string&, const Pod& pod) {
    if (pdb_selects(*pdb, pod)) pods.push_back(&pod);
  });
  std::optional<sim::Time> recheck;
  PodDisruptionBudgetStatus status = compute_pdb_status(
      *pdb, pods,
      [this](const Pod& pod, const OwnerReference& owner) { return scale_of(pod, owner); },
      sim_.now(), &recheck);
  if (recheck && (st.recheck_at < sim_.now() || *recheck < st.recheck_at)) {
    // Resync just after the earliest entry expires (upstream enqueuePdbForRecheck).
    st.recheck_at = *recheck + 1;
    sim_.schedule_at(st.recheck_at, [this, key] { enqueue(key); });
  }
  if (pdb_status_equal(status, pdb->status)) return;
  PodDisruptionBudget updated = *pdb;
  updated.status = std::move(status);
  st.in_flight = true;
  api_.update(client_, std::move(updated), pdb->metadata.resource_version,
              [this, key](const sim::Status& s) {
                auto it = pdbs_.find(key);
                if (s.ok()) updates_.add();
                if (it == pdbs_.end()) return;
                it->second.in_flight = false;
                // A Conflict: the PDB moved on (an eviction); its informer event resyncs
                // it, and so does any event that came meanwhile.
                if (!s.ok() || it->second.dirty) {
                  it->second.dirty = false;
                  enqueue(key);
                }
              });
}

}  // namespace kubesim::models
