// Test support for the scheduling framework and plugins: small builders for nodes and pods
// (in the spirit of upstream's st.MakeNode() / st.MakePod() wrappers in
// pkg/scheduler/testing), and a Snapshot from them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/objects.hpp"
#include "models/scheduler_framework.hpp"

namespace kubesim::testing {

inline constexpr std::int64_t kGi = 1024LL * 1024 * 1024;
inline constexpr std::int64_t kMi = 1024LL * 1024;

class NodeBuilder {
 public:
  explicit NodeBuilder(std::string name) {
    node_.metadata.name = std::move(name);
    node_.status.allocatable.set("pods", 110);
  }
  NodeBuilder& cpu(std::int64_t milli) { return set("cpu", milli); }
  NodeBuilder& memory(std::int64_t bytes) { return set("memory", bytes); }
  NodeBuilder& pods(std::int64_t n) { return set("pods", n); }
  NodeBuilder& gpus(std::int64_t n) { return set("nvidia.com/gpu", n); }
  NodeBuilder& set(std::string_view resource, std::int64_t v) {
    node_.status.allocatable.set(resource, v);
    node_.status.capacity.set(resource, v);
    return *this;
  }
  NodeBuilder& label(std::string k, std::string v) {
    node_.metadata.labels.set(std::move(k), std::move(v));
    return *this;
  }
  NodeBuilder& zone(std::string z) { return label("topology.kubernetes.io/zone", std::move(z)); }
  NodeBuilder& taint(std::string key, std::string value, models::TaintEffect effect) {
    node_.spec.taints.push_back(
        models::Taint{std::move(key), std::move(value), effect, std::nullopt});
    return *this;
  }
  NodeBuilder& unschedulable() {
    node_.spec.unschedulable = true;
    return *this;
  }
  NodeBuilder& image(std::vector<std::string> names, std::int64_t size) {
    node_.status.images.push_back(models::ContainerImage{std::move(names), size});
    return *this;
  }
  std::shared_ptr<const models::Node> build() const {
    return std::make_shared<const models::Node>(node_);
  }

 private:
  models::Node node_;
};

class PodBuilder {
 public:
  explicit PodBuilder(std::string name, std::string ns = "default") {
    pod_.metadata.name = std::move(name);
    pod_.metadata.namespace_ = std::move(ns);
  }
  // A container with the given requests (cpu milli, memory bytes); nullopt leaves it unset.
  PodBuilder& container(std::optional<std::int64_t> cpu, std::optional<std::int64_t> memory,
                        std::string image = "busybox") {
    models::Container c;
    c.name = "c" + std::to_string(pod_.spec.containers.size());
    c.image = std::move(image);
    if (cpu) c.requests.set("cpu", *cpu);
    if (memory) c.requests.set("memory", *memory);
    pod_.spec.containers.push_back(std::move(c));
    return *this;
  }
  PodBuilder& init_container(std::optional<std::int64_t> cpu, std::optional<std::int64_t> memory) {
    models::Container c;
    c.name = "i" + std::to_string(pod_.spec.init_containers.size());
    if (cpu) c.requests.set("cpu", *cpu);
    if (memory) c.requests.set("memory", *memory);
    pod_.spec.init_containers.push_back(std::move(c));
    return *this;
  }
  // Adds a request to the last container (one is created if there is none).
  PodBuilder& request(std::string_view resource, std::int64_t v) {
    if (pod_.spec.containers.empty()) pod_.spec.containers.emplace_back();
    pod_.spec.containers.back().requests.set(resource, v);
    return *this;
  }
  PodBuilder& host_port(std::int32_t port, std::string protocol = "TCP", std::string ip = "") {
    if (pod_.spec.containers.empty()) pod_.spec.containers.emplace_back();
    pod_.spec.containers.back().ports.push_back(
        models::ContainerPort{port, port, std::move(protocol), std::move(ip)});
    return *this;
  }
  PodBuilder& node_selector(std::string k, std::string v) {
    pod_.spec.node_selector.set(std::move(k), std::move(v));
    return *this;
  }
  PodBuilder& toleration(models::Toleration t) {
    pod_.spec.tolerations.push_back(std::move(t));
    return *this;
  }
  PodBuilder& node_affinity(models::NodeAffinity a) {
    pod_.spec.node_affinity = std::move(a);
    return *this;
  }
  PodBuilder& node_name(std::string n) {
    pod_.spec.node_name = std::move(n);
    return *this;
  }
  PodBuilder& gpu_ids(std::vector<std::int32_t> ids) {
    pod_.spec.gpu_device_ids = std::move(ids);
    return *this;
  }
  PodBuilder& annotation(std::string k, std::string v) {
    pod_.metadata.annotations.set(std::move(k), std::move(v));
    return *this;
  }
  // A GPU-sharing pod: alibabacloud.com/gpu-milli (and gpu-count when not 1).
  PodBuilder& gpu_milli(std::int32_t milli, std::int32_t count = 1) {
    annotation("alibabacloud.com/gpu-milli", std::to_string(milli));
    if (count != 1) annotation("alibabacloud.com/gpu-count", std::to_string(count));
    return *this;
  }
  models::Pod& pod() { return pod_; }
  std::shared_ptr<const models::sched::PodInfo> info() const {
    return models::sched::PodInfo::make(std::make_shared<const models::Pod>(pod_));
  }

 private:
  models::Pod pod_;
};

}  // namespace kubesim::testing
