// The invariants every cluster run must keep, shared by the scenario tests.
#pragma once

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "experiments/cluster_observer.hpp"
#include "experiments/scenario_run.hpp"
#include "models/cluster.hpp"

namespace kubesim::experiments {

// The invariants every cluster run keeps, whatever the scenario:
// - no pod lost or duplicated: the observer's records (pods.csv rows) have unique keys and
//   every pod in the store has a record;
// - no node over-committed: on every node, the requests of its bound, non-terminal pods fit
//   the allocatable, and their number is within allocatable pods (maxPods) — what the
//   scheduler's NodeResourcesFit and the kubelet's admission both guarantee;
// - every bound pod's node exists;
// - no GPU device over-committed: on every node, the milli-GPU of the bound, non-terminal
//   pods on each device (their binding's gpu_device_ids) is at most 1000;
// - simulated time never went backwards: the sampler's times increase strictly.
inline void check_invariants(ScenarioRun& run) {
  models::Cluster* cluster = run.cluster();
  const ClusterObserver* observer = run.observer();
  REQUIRE(cluster != nullptr);
  REQUIRE(observer != nullptr);

  std::set<std::string> records;
  for (const PodRecord& r : observer->pods()) {
    INFO("pod record " << r.namespace_ << "/" << r.name);
    CHECK(records.insert(models::object_key(r.namespace_, r.name)).second);
  }
  std::ostringstream csv;
  observer->write_pods_csv(csv);
  std::size_t lines = 0;
  for (char c : csv.str()) lines += c == '\n' ? 1 : 0;
  CHECK(lines == observer->pods().size() + 1);  // header + one row per record

  std::map<std::string, models::ResourceList> used;
  for (const auto& pod : cluster->api().pods().list()) {
    const std::string key = models::object_key(pod->metadata.namespace_, pod->metadata.name);
    INFO("pod " << key);
    CHECK(records.count(key) == 1);
    if (!pod->bound()) continue;
    CHECK(cluster->api().nodes().get("", pod->spec.node_name) != nullptr);
    if (pod->terminal()) continue;
    models::ResourceList r = pod->requests();
    r.pods = 1;
    used[pod->spec.node_name] += r;
  }
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> device_milli;
  for (const auto& pod : cluster->api().pods().list()) {
    if (!pod->bound() || pod->terminal()) continue;
    const models::GpuDemandOfPod d = pod->gpu_demand();
    for (const std::int32_t id : pod->spec.gpu_device_ids) {
      device_milli[{pod->spec.node_name, id}] += d.milli;
    }
  }
  for (const auto& [device, milli] : device_milli) {
    INFO("node " << device.first << " GPU " << device.second);
    CHECK(milli <= 1000);
  }
  for (const auto& [node_name, u] : used) {
    auto node = cluster->api().nodes().get("", node_name);
    if (node == nullptr) continue;
    INFO("node " << node_name << " uses " << u.to_string() << " of "
                 << node->status.allocatable.to_string());
    CHECK(u.fits_in(node->status.allocatable));
  }

  const std::vector<sim::Time>& times = run.sampler().times();
  CHECK(!times.empty());
  for (std::size_t i = 1; i < times.size(); ++i) {
    INFO("sample " << i);
    CHECK(times[i] > times[i - 1]);
  }
}

}  // namespace kubesim::experiments
