// AIService (stable.example.com/v1): the custom resource of the AI-service operator from
// the seed (docs/aiservice.md), and the apiextensions.k8s.io/v1 CustomResourceDefinition
// object that makes the API server serve it.
//
// An AIService says "serve this model": spec.modelUri (required), the replica count
// (spec.replicas, the field the /scale subresource reads and writes), the container image
// and resources, where to run (nodeSelector, tolerations) and an optional scaling section
// (the policy that drives spec.replicas and its bounds). The operator
// (experiments/aiservice_operator.hpp) turns it into one Deployment and one Service and
// reports back in status.
//
// Data only, as the other objects of models/. Defaults are those the CRD's reader applies
// (scenarios/manifests.cpp): scaling.policy "rps", scaling.minReplicas 1; spec.replicas
// unset means "scaling.minReplicas, or 1". Quantities are integers in their canonical unit
// (bytes, milli-units), never floating point, so status output is exact and deterministic.
//
// The CustomResourceDefinition keeps what kubesim needs from apiextensions.k8s.io/v1
// (staging/src/k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1/types.go, v1.34):
// group, names, scope, versions (served/storage), the required properties of spec in the
// version's openAPIV3Schema, and the scale subresource's paths. Schema validation of
// custom objects is not general: the AIService reader checks the AIService fields itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/objects.hpp"
#include "models/resources.hpp"
#include "models/taints.hpp"

namespace kubesim::models {

// ---- CustomResourceDefinition (apiextensions.k8s.io/v1) ---------------------------------

struct CustomResourceDefinitionNames {
  std::string plural;
  std::string singular;
  std::string kind;
  std::string list_kind;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
};

// subresources.scale (CustomResourceSubresourceScale).
struct CustomResourceSubresourceScale {
  std::string spec_replicas_path;    // ".spec.replicas"
  std::string status_replicas_path;  // ".status.replicas"
  std::string label_selector_path;   // ".status.selector"; empty: none
};

struct CustomResourceDefinitionVersion {
  std::string name;  // "v1"
  bool served = false;
  bool storage = false;
  bool has_status_subresource = false;
  std::optional<CustomResourceSubresourceScale> scale;
  // openAPIV3Schema: the property names of .spec and the required ones among them.
  std::vector<std::string> spec_properties;
  std::vector<std::string> spec_required;
};

struct CustomResourceDefinition {
  ObjectMeta metadata;  // cluster-scoped; name must be <plural>.<group>
  std::string group;
  CustomResourceDefinitionNames names;
  bool namespaced = true;  // scope: Namespaced (true) or Cluster
  std::vector<CustomResourceDefinitionVersion> versions;

  // The served version called `name`, or nullptr.
  const CustomResourceDefinitionVersion* served_version(std::string_view name) const {
    for (const auto& v : versions) {
      if (v.name == name && v.served) return &v;
    }
    return nullptr;
  }
};

// The AIService CRD as kubesim ships it (scenarios/examples/crds/aiservice-crd.yaml): group
// stable.example.com, Namespaced, names aiservices/aiservice/AIService (short name aisvc),
// version v1 served and stored with the status and scale subresources, spec.modelUri
// required. For readers of a cluster's state (kubesim explain), where the CRD is installed
// even when the state file does not list it.
CustomResourceDefinition aiservice_crd();

// ---- AIService (stable.example.com/v1) --------------------------------------------------

inline constexpr std::string_view kAIServiceGroup = "stable.example.com";
inline constexpr std::string_view kAIServiceVersion = "v1";
inline constexpr std::string_view kAIServiceApiVersion = "stable.example.com/v1";
inline constexpr std::string_view kAIServiceKind = "AIService";
inline constexpr std::string_view kAIServicePlural = "aiservices";

// Scaling policies. "rps" is the operator's own; the others name an autoscaler the
// scenario runtime attaches (HPA, KPA, KEDA, predictive), which drives spec.replicas
// through the /scale subresource.
inline constexpr std::string_view kAIServicePolicyRps = "rps";
inline constexpr std::string_view kAIServicePolicies[] = {"rps", "hpa", "kpa", "keda",
                                                          "predictive"};

struct AIServiceScaling {
  std::string policy = std::string(kAIServicePolicyRps);
  // Requests per second one replica should serve, milli-RPS (100 RPS = 100000). Required
  // for the rps policy.
  std::int64_t target_rps_per_replica_milli = 0;
  std::int32_t min_replicas = 1;
  std::int32_t max_replicas = 0;      // required with a scaling section; >= min_replicas
  std::int32_t gpus_per_replica = 0;  // nvidia.com/gpu of the model server container
  std::int64_t model_size_bytes = 0;  // 0: not given (a quantity: 40Gi)
  friend bool operator==(const AIServiceScaling&, const AIServiceScaling&) = default;
};

inline constexpr std::string_view kAIServiceReady = "Ready";
inline constexpr std::string_view kAIServiceProgressing = "Progressing";
inline constexpr std::string_view kAIServiceScalingActive = "ScalingActive";

struct AIServiceSpec {
  std::string model_uri;  // required
  std::optional<std::int32_t> replicas;
  std::string image;  // empty: the operator's default model-server image
  ResourceList requests;
  ResourceList limits;
  Labels node_selector;
  std::vector<Toleration> tolerations;
  std::optional<AIServiceScaling> scaling;
  friend bool operator==(const AIServiceSpec&, const AIServiceSpec&) = default;
};

struct AIServiceStatus {
  std::int32_t replicas = 0;                       // the Deployment's status.replicas
  std::int32_t ready_replicas = 0;                 // the Deployment's status.readyReplicas
  std::optional<std::int64_t> observed_rps_milli;  // the rps policy's last reading
  std::string selector;                            // "app=<name>": the /scale labelSelectorPath
  std::int64_t observed_generation = 0;
  std::vector<Condition> conditions;
};

struct AIService {
  ObjectMeta metadata;
  AIServiceSpec spec;
  AIServiceStatus status;

  // The replica count the operator gives the Deployment: spec.replicas, else
  // scaling.minReplicas, else 1.
  std::int32_t desired_replicas() const {
    if (spec.replicas) return *spec.replicas;
    if (spec.scaling) return spec.scaling->min_replicas;
    return 1;
  }
};

}  // namespace kubesim::models
