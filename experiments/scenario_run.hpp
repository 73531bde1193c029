// ScenarioRun: one replication of a scenario, from model construction to the run directory.
//
// It builds the model the scenario describes on a fresh Simulation seeded with
// (scenario seed, replication), attaches the time-series sampler, runs to the scenario's
// duration, and keeps the results. write_run_directory() then writes:
//   summary.json     versions, scenario name/path/hash, seed, simulated duration, events,
//                    fingerprint, every metric; wall-clock figures under "host" (the only
//                    part that differs between two identical runs)
//   timeseries.csv   one row per sample interval (docs/metrics.md lists the columns)
// Same scenario and seed → byte-identical timeseries.csv and summary.json outside "host".
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "scenarios/scenario.hpp"
#include "sim/metrics.hpp"
#include "sim/sampler.hpp"
#include "sim/simulation.hpp"

namespace kubesim::models {
class Cluster;
}

namespace kubesim::experiments {

class AIServiceOperator;
class KedaController;
class KpaController;
class ClusterObserver;
class ServiceTraffic;
class NodeAutoscaling;
class TrainingJobs;

class ScenarioRun {
 public:
  explicit ScenarioRun(const scenarios::Scenario& scenario, std::uint64_t replication = 0);
  ~ScenarioRun();
  ScenarioRun(const ScenarioRun&) = delete;
  ScenarioRun& operator=(const ScenarioRun&) = delete;

  // Runs to the scenario's duration (or until stop()); returns the events run.
  std::uint64_t run();

  const scenarios::Scenario& scenario() const { return scenario_; }
  sim::Simulation& simulation() { return *sim_; }
  const sim::MetricRegistry& metrics() const { return *metrics_; }
  const sim::Sampler& sampler() const { return *sampler_; }
  double wall_seconds() const { return wall_seconds_; }
  // The modelled cluster and what its observer recorded (nullptr when the scenario has no
  // cluster): for tests and front ends that inspect a run.
  models::Cluster* cluster();
  const ClusterObserver* observer() const;
  // The node autoscaler driver (nullptr without spec.cluster.clusterAutoscaler/karpenter).
  const NodeAutoscaling* node_autoscaling() const;
  // The runtimes of the traffic workloads, in scenario order.
  std::vector<const ServiceTraffic*> traffic() const;
  // The runtimes of the trainingJobs workloads, in scenario order.
  std::vector<const TrainingJobs*> training_jobs() const;
  // The AIService operator (nullptr when the scenario has no AIService): tests replace its
  // RPS source; the lead's traffic wiring may too.
  AIServiceOperator* aiservice_operator();
  // Knative's autoscaler and KEDA's operator (nullptr when the scenario has no
  // PodAutoscaler / ScaledObject): tests read their decisions or set config-autoscaler.
  KpaController* kpa_controller();
  KedaController* keda_controller();

  // Writes summary.json and timeseries.csv into `dir` (created if needed). Returns an error
  // message, empty on success.
  std::string write_run_directory(const std::string& dir) const;
  // The summary.json document, as text (2-space indented, keys in a fixed order).
  std::string summary_json() const;
  // A human-readable table of the headline numbers, for stdout.
  std::string summary_table() const;

 private:
  struct Model;
  std::map<std::string, std::int64_t, std::less<>> node_ranks();
  void build_cluster();
  void build_autoscalers();
  scenarios::Scenario scenario_;
  std::unique_ptr<sim::Simulation> sim_;
  std::unique_ptr<sim::MetricRegistry> metrics_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<sim::Sampler> sampler_;
  double wall_seconds_ = 0;
  std::int64_t peak_rss_bytes_ = 0;
};

}  // namespace kubesim::experiments
