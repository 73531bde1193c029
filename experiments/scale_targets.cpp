#include "experiments/scale_targets.hpp"

#include <cassert>
#include <type_traits>
#include <utility>

#include "models/api_server.hpp"

namespace kubesim::experiments {
namespace {

template <typename T>
ScaleSubresource scale_of(const T& o) {
  return ScaleSubresource{o.spec.replicas, o.status.replicas, o.spec.selector};
}

// A write of spec.replicas of a Deployment or ReplicaSet: a patch that changes nothing when
// the value is already there (no request reaches the store then).
template <typename T>
ScaleTargets::Setter replicas_setter(models::ApiServer& api, models::ApiClient& client) {
  return [&api, &client](const std::string& ns, const std::string& name, std::int32_t replicas,
                         std::function<void(const sim::Status&)> done) {
    api.patch<T>(
        client, ns, name,
        [replicas](T& o) {
          if (o.spec.replicas == replicas) return false;
          o.spec.replicas = replicas;
          ++o.metadata.generation;
          return true;
        },
        std::move(done));
  };
}

}  // namespace

ScaleTargets::ScaleTargets(models::ApiServer& api, models::ApiClient& client) {
  register_kind(
      "Deployment",
      [&api](const std::string& ns, const std::string& name) -> std::optional<ScaleSubresource> {
        auto d = api.deployments().get(ns, name);
        if (d == nullptr) return std::nullopt;
        return scale_of(*d);
      },
      replicas_setter<models::Deployment>(api, client));
  register_kind(
      "ReplicaSet",
      [&api](const std::string& ns, const std::string& name) -> std::optional<ScaleSubresource> {
        auto r = api.replicasets().get(ns, name);
        if (r == nullptr) return std::nullopt;
        return scale_of(*r);
      },
      replicas_setter<models::ReplicaSet>(api, client));
}

void ScaleTargets::register_kind(std::string kind, Getter get, Setter set) {
  kinds_[std::move(kind)] = Kind{std::move(get), std::move(set)};
}

std::optional<ScaleSubresource> ScaleTargets::get(const std::string& kind,
                                                  const std::string& namespace_,
                                                  const std::string& name) const {
  auto it = kinds_.find(kind);
  if (it == kinds_.end()) return std::nullopt;
  return it->second.get(namespace_, name);
}

void ScaleTargets::set(const std::string& kind, const std::string& namespace_,
                       const std::string& name, std::int32_t replicas,
                       std::function<void(const sim::Status&)> done) const {
  auto it = kinds_.find(kind);
  assert(it != kinds_.end() && "ScaleTargets::set: kind not served");
  if (it == kinds_.end()) return;
  it->second.set(namespace_, name, replicas, std::move(done));
}

}  // namespace kubesim::experiments
