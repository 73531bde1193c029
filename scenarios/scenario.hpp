// Scenario: what one simulation run is, as loaded from YAML.
//
// A scenario file holds one `kind: Scenario` document (apiVersion kubesim.io/v1alpha1):
// metadata (name, description) and spec (seed, duration, sampling, workloads, ...). Every
// field is documented in docs/scenarios.md. Loading never throws: every problem becomes a
// Diagnostic with file:line:column, and load fails if there is any.
//
// Overrides ("--set path=value") are applied to the YAML tree before validation, so an
// override is checked exactly like the file: `spec.duration=2h`, `spec.workloads[0].servers=4`.
// A path whose first segment is not apiVersion/kind/metadata/spec is taken under spec
// (`duration=2h`). The value is read as YAML, so numbers, strings and lists all work.
//
// The content hash (SHA-256 of the file's bytes, then of each override) identifies exactly
// what ran; summary.json records it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/request_queue.hpp"
#include "scenarios/autoscaling_spec.hpp"
#include "scenarios/cluster_spec.hpp"
#include "scenarios/manifests.hpp"
#include "scenarios/diagnostics.hpp"
#include "scenarios/traffic_reader.hpp"
#include "scenarios/training_jobs.hpp"
#include "sim/time.hpp"

namespace kubesim::scenarios {

inline constexpr const char* kScenarioApiVersion = "kubesim.io/v1alpha1";

struct Scenario {
  std::string name;
  std::string description;
  std::uint64_t seed = 1;
  sim::Duration duration = 0;
  sim::Duration sample_interval = 10 * sim::kSecond;
  // spec.startTime: the calendar time of simulation time 0, ns since the Unix epoch (UTC);
  // read by calendar schedules (Karpenter budget schedules). Default: the Unix epoch.
  std::int64_t start_time_unix_ns = 0;
  std::vector<models::RequestQueueConfig> request_queues;
  // spec.workloads[] of type podTrace: pods replayed from cluster traces.
  std::vector<PodTraceSpec> pod_traces;
  // spec.workloads[] of type traffic: requests sent to a Service's ready pods.
  std::vector<TrafficWorkloadSpec> traffic;
  // spec.workloads[] of type trainingJobs: gang-scheduled multi-GPU training Jobs.
  std::vector<TrainingJobsSpec> training_jobs;

  // The simulated Kubernetes cluster (spec.cluster); absent: no cluster is modelled.
  std::optional<ClusterSpec> cluster;
  ControlPlaneSpec control_plane;
  std::vector<FaultSpec> faults;
  // spec.manifests, resolved against the scenario file's directory.
  std::vector<std::string> manifest_paths;
  // The Kubernetes objects of the scenario: the other documents of the scenario file and
  // everything under spec.manifests.
  Manifests manifests;
  // spec.autoscaling: the metrics pipeline and the pod autoscaler controllers' settings.
  AutoscalingSpec autoscaling;
  bool events_jsonl = false;  // spec.outputs.eventsJsonl

  std::string source_file;  // as given by the user
  std::string sha256;       // of the file bytes and the overrides
};

std::optional<Scenario> load_scenario_file(const std::string& path,
                                           const std::vector<std::string>& overrides,
                                           Diagnostics& diagnostics);

// `file` labels diagnostics; the text is the file's content.
std::optional<Scenario> load_scenario_text(const std::string& text, const std::string& file,
                                           const std::vector<std::string>& overrides,
                                           Diagnostics& diagnostics);

// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(const std::string& data);

}  // namespace kubesim::scenarios
