#include "models/aiservice.hpp"

namespace kubesim::models {

CustomResourceDefinition aiservice_crd() {
  CustomResourceDefinition crd;
  crd.metadata.name = std::string(kAIServicePlural) + "." + std::string(kAIServiceGroup);
  crd.group = std::string(kAIServiceGroup);
  crd.names.plural = std::string(kAIServicePlural);
  crd.names.singular = "aiservice";
  crd.names.kind = std::string(kAIServiceKind);
  crd.names.list_kind = "AIServiceList";
  crd.names.short_names = {"aisvc"};
  crd.namespaced = true;
  CustomResourceDefinitionVersion v;
  v.name = std::string(kAIServiceVersion);
  v.served = true;
  v.storage = true;
  v.has_status_subresource = true;
  v.scale = CustomResourceSubresourceScale{".spec.replicas", ".status.replicas", ".status.selector"};
  v.spec_properties = {"image", "modelUri", "nodeSelector", "replicas", "resources", "scaling",
                       "tolerations"};
  v.spec_required = {"modelUri"};
  crd.versions.push_back(std::move(v));
  return crd;
}

}  // namespace kubesim::models
