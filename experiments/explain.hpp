// Explain: "why did my pod land there?" — one kube-scheduler v1.34 scheduling cycle per
// pending pod of a cluster state, with every node's verdict recorded.
//
// Input: the Nodes and Pods of a cluster, as `kubectl get nodes,pods -A -o yaml` prints
// them (scenarios/manifests.hpp reads them; PriorityClasses, Services, ReplicaSets,
// Namespaces and PodGroups in the same input are used where plugins need them), and a
// SchedulerConfig (upstream defaults when none is given).
//
// What it does, in upstream's terms:
//   * The Snapshot holds every Node and every bound pod (spec.nodeName set, not Succeeded or
//     Failed, not being deleted).
//   * Pending pods (no nodeName, phase Pending, not being deleted) are taken in
//     scheduling-queue order — PrioritySort: priority descending, then creationTimestamp,
//     then input order — and each runs one cycle (Framework::schedule with a
//     CycleDiagnosis) with the profile named by its schedulerName. A pod whose
//     schedulerName has no profile is skipped (another scheduler owns it) with a note.
//   * The chosen node is assumed before the next pod: the pod is added to the Snapshot.
//     Preemption (PostFilter) may be run for an unschedulable pod but its victims are not
//     evicted and its nomination is not applied.
//
// Reporting choices (docs/explain.md):
//   * Every node is evaluated: percentageOfNodesToScore is forced to 100. On clusters of
//     100 nodes or more the real scheduler stops Filter after numFeasibleNodesToFind
//     feasible nodes; Explanation::upstream_nodes_to_find says how many, and a note is
//     added when that is fewer than the nodes.
//   * Ties between the best nodes are broken with a fixed stream: sim::Rng(seed 1,
//     replication 0, "scheduler/<schedulerName>") — the stream a simulation with seed 1
//     gives the scheduler — unless ExplainOptions::seed says otherwise.
//   * When one node passes Filter, upstream skips scoring: that node has no scores.
//   * A pod with status.nominatedNodeName has that node tried alone first (upstream
//     evaluateNominatedNode); when it passes, the other nodes are reported as not
//     evaluated.
//   * Plugins the profile enables but this kubesim build does not implement are dropped
//     from the profile, with a note.
//
// Deterministic: same input, same output. Not thread-safe (plain values).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policies/scheduler_profile.hpp"
#include "scenarios/manifests.hpp"
#include "sim/status.hpp"

namespace kubesim::experiments {

struct ExplainOptions {
  std::uint64_t seed = 1;
};

struct ExplainScore {
  std::string plugin;
  std::int64_t raw = 0;
  std::int64_t normalized = 0;
  std::int64_t weight = 1;
  bool skipped = false;  // the plugin's PreScore answered Skip: it scored nothing
};

struct ExplainNode {
  std::string node;
  bool evaluated = true;  // false: the cycle never looked at it (see the header comment)
  bool feasible = false;
  std::string rejected_plugin;  // empty when feasible
  std::string rejected_reason;
  std::vector<ExplainScore> scores;  // profile order; empty unless scored
  std::int64_t total = 0;
};

struct ExplainPod {
  std::string pod;  // namespace/name
  std::string scheduler_name;
  std::int32_t priority = 0;
  std::optional<std::string> chosen_node;
  std::vector<ExplainNode> nodes;  // input order of the Nodes
  bool scored = false;             // false when fewer than two nodes were feasible
  std::string fit_error;           // upstream FitError text when unschedulable
};

struct Explanation {
  std::vector<ExplainPod> pods;
  std::size_t node_count = 0;
  std::size_t bound_pods = 0;
  std::int32_t upstream_nodes_to_find = 0;  // numFeasibleNodesToFind of the configuration
  std::vector<std::string> notes;           // skipped pods, dropped plugins, sampling
};

// Runs the cycles. Fails (invalid_argument) when the configuration cannot be built.
sim::Result<Explanation> explain(const scenarios::Manifests& state,
                                 const policies::SchedulerConfig& config,
                                 const ExplainOptions& options = {});

// {"pods": [{"pod": "NS/NAME", "chosenNode": "N" | null, "nodes": [{"node": "N",
//   "feasible": bool, "rejectedBy": null | {"plugin": "P", "reason": "..."},
//   "scores": {"P": {"raw": i, "normalized": i, "weight": i}}, "total": i}]}]}
// Pretty-printed with two-space indentation, then a newline.
std::string render_json(const Explanation& explanation);

// A readable report: per pod, the chosen node, each node's verdict and total, and a table
// of scores (normalized, raw in parentheses) per plugin and feasible node.
std::string render_table(const Explanation& explanation);

}  // namespace kubesim::experiments
