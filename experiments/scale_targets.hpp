// ScaleTargets: the /scale subresource of the kinds a pod autoscaler may target, shared by
// the running HPA controller (experiments/hpa_controller.hpp) and the predictive
// autoscaler's controller (experiments/predictive_controller.hpp).
//
// Upstream a controller reads and writes any scalable kind through the scale client
// (k8s.io/client-go/scale, used by pkg/controller/podautoscaler/horizontal.go): GET
// .../<kind>/<name>/scale returns spec.replicas, status.replicas and the selector; UPDATE
// writes spec.replicas. Here Deployment and ReplicaSet are built in (reads from the API
// server's stores, writes as a patch through the owner's ApiClient, bumping
// metadata.generation like an update of spec); other kinds (AIService) are registered by
// whoever serves them (register_kind()).
//
// Owns nothing but the function table; the ApiServer and the ApiClient must outlive it.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "models/selectors.hpp"
#include "sim/status.hpp"

namespace kubesim::models {
class ApiServer;
class ApiClient;
}  // namespace kubesim::models

namespace kubesim::experiments {

// What the /scale subresource of a target returns.
struct ScaleSubresource {
  std::int32_t spec_replicas = 0;
  std::int32_t status_replicas = 0;
  std::optional<models::LabelSelector> selector;
};

class ScaleTargets {
 public:
  using Getter = std::function<std::optional<ScaleSubresource>(const std::string& namespace_,
                                                               const std::string& name)>;
  // Writes spec.replicas; `done` (may be empty) runs when the write completed.
  using Setter =
      std::function<void(const std::string& namespace_, const std::string& name,
                         std::int32_t replicas, std::function<void(const sim::Status&)> done)>;

  // Registers Deployment and ReplicaSet; writes go through `client`.
  ScaleTargets(models::ApiServer& api, models::ApiClient& client);

  // Serves kind `kind` (e.g. "AIService") through these functions (replaces an earlier one).
  void register_kind(std::string kind, Getter get, Setter set);

  bool has_kind(const std::string& kind) const { return kinds_.count(kind) != 0; }
  // The target's scale; nullopt when the kind is not served or the object is missing.
  std::optional<ScaleSubresource> get(const std::string& kind, const std::string& namespace_,
                                      const std::string& name) const;
  // Writes spec.replicas. REQUIRES has_kind(kind).
  void set(const std::string& kind, const std::string& namespace_, const std::string& name,
           std::int32_t replicas, std::function<void(const sim::Status&)> done = {}) const;

 private:
  struct Kind {
    Getter get;
    Setter set;
  };
  std::map<std::string, Kind> kinds_;
};

}  // namespace kubesim::experiments
