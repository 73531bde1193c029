// Manifests: reading real Kubernetes objects (what `kubectl apply -f` takes and what
// `kubectl get -o yaml` prints) into kubesim's object model.
//
// Input is any number of YAML (or JSON) documents; a document may be one object or a list
// (`kind: List`, or a typed list such as `NodeList`, with `items`). Items of a typed list
// without kind and apiVersion (as the API server serves them, e.g. a PodMetricsList from
// `kubectl get --raw`) are of the list's item kind. Supported kinds, each
// with the one apiVersion Kubernetes v1.34 serves it at:
//   v1                               Pod, Node, Namespace, Service
//   apps/v1                          Deployment, ReplicaSet
//   batch/v1                         Job
//   scheduling.k8s.io/v1             PriorityClass
//   autoscaling/v2                   HorizontalPodAutoscaler
//   coordination.k8s.io/v1           Lease
//   discovery.k8s.io/v1              EndpointSlice
//   policy/v1                        PodDisruptionBudget (models/disruption.hpp; honoured by
//                                    the Eviction API and the node autoscalers)
//   networking.k8s.io/v1             Ingress, IngressClass (models/ingress.hpp; routing for
//                                    traffic workloads, docs/serving.md "Ingress")
//   scheduling.x-k8s.io/v1alpha1     PodGroup (kubernetes-sigs/scheduler-plugins)
//   metrics.k8s.io/v1beta1           PodMetrics (as metrics-server serves them; for the HPA)
//   keda.sh/v1alpha1                 ScaledObject (KEDA v2.x; prometheus and metrics-api
//                                    triggers; docs/autoscaling.md, "KEDA")
//   autoscaling.internal.knative.dev/v1alpha1  PodAutoscaler (Knative KPA; annotations
//                                    autoscaling.knative.dev/* checked; "Knative KPA")
//   autoscaling.kubesim.io/v1alpha1  PredictiveAutoscaler (kubesim's own; docs/autoscaling.md,
//                                    "Predictive autoscaler")
//   apiextensions.k8s.io/v1          CustomResourceDefinition
//   stable.example.com/v1            AIService (docs/aiservice.md), accepted only after its
//                                    CustomResourceDefinition, as kubectl needs the CRD first;
//                                    objects of other CRDs' kinds are reported as ignored
// The ConfigMap knative-serving/config-autoscaler is read (Knative's KPA defaults,
// Manifests::knative_autoscaler_config). A few kinds that never influence scheduling (other
// ConfigMaps, Secret, ServiceAccount, RBAC,
// NetworkPolicy) are accepted and reported as ignored; any other kind is an error
// that lists the supported kinds.
//
// Three outcomes per field, never a silent drop:
//   * read: the field is modelled (docs/scenarios.md, "Kubernetes manifests", lists them);
//   * ignored: a real Kubernetes field kubesim does not model (env, volumes, probes,
//     managedFields, most status, ...). It is accepted and recorded in Manifests::ignored
//     with its location and the reason, so the CLI can warn about it;
//   * unknown: anything else is a typo; an error with file:line:column, the field path and
//     a did-you-mean.
// Bad values are errors at their location, checked with upstream's validation where it is
// cheap (pkg/apis/core/validation, pkg/apis/apps/validation, pkg/apis/batch/validation):
// DNS names, label keys and values, quantities, taints and tolerations, node selectors,
// label selectors, non-negative counts, and "selector does not match template labels".
//
// API defaulting applied while reading (pkg/apis/core/v1/defaults.go): a container
// resource with a limit and no request gets the limit as its request; a namespaced object
// without metadata.namespace is in "default". Upstream applies the request defaulting to
// Pods only, when they are created; kubesim applies it to pod templates as well, since the
// pods its controllers stamp out of a template get no separate defaulting pass — the pods
// end up as upstream's would. A Node with status.capacity and no
// status.allocatable gets allocatable = capacity (a hand-written node; kubelets report
// both).
//
// Times: metadata.creationTimestamp (RFC 3339) is validated and mapped onto simulation
// time relative to the earliest creationTimestamp among all objects read by one call: the
// oldest object is at 0 and the others keep their offsets, so queue order by creation
// time is preserved. Objects without one are at 0. A pod's status.startTime and its
// conditions' lastTransitionTime, and a PodMetrics timestamp, are read on the same time
// base (the HPA's readiness rules need them); without any creationTimestamp the earliest
// of those is time 0. Manifests::time_origin_unix_ns records the Unix time of 0. Other
// timestamps (node condition times, lease renew times, taint timeAdded) are ignored.
//
// Reading never throws and never aborts; it returns false when any diagnostic was added.
// Plain values; not thread-safe to fill concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/aiservice.hpp"
#include "models/autoscaling_objects.hpp"
#include "models/disruption.hpp"
#include "models/ingress.hpp"
#include "models/objects.hpp"
#include "models/workloads.hpp"
#include "policies/kpa.hpp"
#include "scenarios/diagnostics.hpp"

namespace kubesim::scenarios {

// A field that was present, accepted, and not used.
struct IgnoredField {
  std::string file;
  int line = 0;
  int column = 0;
  std::string path;    // "items[0].spec.containers[1].env"
  std::string reason;  // "environment variables are not modelled"
};

struct Manifests {
  std::vector<models::Pod> pods;
  std::vector<models::Node> nodes;
  std::vector<models::Namespace> namespaces;
  std::vector<models::Service> services;
  std::vector<models::Deployment> deployments;
  std::vector<models::ReplicaSet> replica_sets;
  std::vector<models::Job> jobs;
  std::vector<models::PriorityClass> priority_classes;
  std::vector<models::HorizontalPodAutoscaler> horizontal_pod_autoscalers;
  std::vector<models::Lease> leases;
  std::vector<models::EndpointSlice> endpoint_slices;
  std::vector<models::PodGroup> pod_groups;
  std::vector<models::PodMetrics> pod_metrics;
  std::vector<models::CustomResourceDefinition> custom_resource_definitions;
  std::vector<models::AIService> aiservices;
  std::vector<models::ScaledObject> scaled_objects;   // keda.sh/v1alpha1
  std::vector<models::PodAutoscaler> pod_autoscalers;  // autoscaling.internal.knative.dev
  std::vector<models::PredictiveAutoscaler> predictive_autoscalers;  // autoscaling.kubesim.io
  std::vector<models::Ingress> ingresses;             // networking.k8s.io/v1
  std::vector<models::IngressClass> ingress_classes;  // networking.k8s.io/v1
  std::vector<models::PodDisruptionBudget> pod_disruption_budgets;  // policy/v1

  // Knative's cluster-wide autoscaler defaults, from the ConfigMap config-autoscaler in
  // namespace knative-serving (other ConfigMaps are ignored); nullopt: none given (the
  // defaults apply). docs/autoscaling.md, "Knative KPA".
  std::optional<policies::KpaClusterConfig> knative_autoscaler_config;

  std::vector<IgnoredField> ignored;

  // Unix time (ns) of simulation time 0 for the objects read by the last call that found
  // any timestamp (see the header comment); nullopt when none had one.
  std::optional<std::int64_t> time_origin_unix_ns;

  // Number of objects read (every vector above but `ignored`).
  std::size_t object_count() const;
};

// One line per ignored field path with a count, grouped by the path with list indexes
// replaced by [*] and the document prefix ("items[3].") dropped, in first-seen order:
//   "spec.containers[*].env: environment variables are not modelled (3 times, first at
//    pods.yaml:12:9)"
std::vector<std::string> summarize_ignored(const std::vector<IgnoredField>& ignored);

// Reads every document of `text` into `out` (appending). `file` labels diagnostics.
// Returns false when a diagnostic was added; `out` then holds what could be read.
bool read_manifests_text(const std::string& text, const std::string& file, Manifests& out,
                         Diagnostics& diagnostics);

// Reads a file, or every *.yaml, *.yml and *.json file directly inside a directory, in
// sorted file-name order (not recursive, as `kubectl apply -f DIR` without -R).
bool read_manifests_path(const std::string& path, Manifests& out, Diagnostics& diagnostics);

// Parses an RFC 3339 timestamp ("2024-05-01T10:00:00Z", "2024-05-01T12:00:00.5+02:00")
// to nanoseconds since the Unix epoch. nullopt when malformed.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

}  // namespace kubesim::scenarios
