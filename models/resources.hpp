// ResourceList: amounts of Kubernetes resources (requests, limits, capacity, allocatable).
//
// Units are integers, as the scheduler and kubelet compute them: cpu in milli-cores
// (upstream MilliValue), memory, ephemeral-storage and hugepages-* in bytes, pods and every
// extended resource (nvidia.com/gpu, vendor.example/fpga, ...) in whole units (Value).
// cpu, memory, ephemeral-storage, pods and nvidia.com/gpu — the resources every scheduling
// decision reads — are plain fields; any other resource lives in a small vector sorted by
// name. A resource that is absent and one that is 0 are the same here, except that
// `has()` tells them apart for the few rules that care (NodeResourcesFit skips extended
// resources a pod does not request).
//
// parse_resource_list() applies upstream validation (pkg/apis/core/validation:
// ValidateResourceQuantityValue, validateResourceName): values are non-negative;
// extended resources (names with a '/' outside the kubernetes.io domain) must be whole
// numbers; unprefixed names other than cpu, memory, ephemeral-storage, pods, storage and
// hugepages-<size> are unknown.
//
// Value type; not thread-safe to mutate concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/status.hpp"

namespace kubesim::models {

inline constexpr std::string_view kResourceCpu = "cpu";
inline constexpr std::string_view kResourceMemory = "memory";
inline constexpr std::string_view kResourceEphemeralStorage = "ephemeral-storage";
inline constexpr std::string_view kResourcePods = "pods";
inline constexpr std::string_view kResourceGpu = "nvidia.com/gpu";

class ResourceList {
 public:
  std::int64_t cpu_milli = 0;
  std::int64_t memory = 0;             // bytes
  std::int64_t ephemeral_storage = 0;  // bytes
  std::int64_t pods = 0;
  std::int64_t gpu = 0;  // nvidia.com/gpu, whole devices

  // Any resource by name (0 when absent).
  std::int64_t get(std::string_view name) const;
  void set(std::string_view name, std::int64_t value);
  // True when the resource was set (even to 0) or is non-zero.
  bool has(std::string_view name) const;

  // Resources other than the five fields, sorted by name.
  const std::vector<std::pair<std::string, std::int64_t>>& others() const { return others_; }

  ResourceList& operator+=(const ResourceList& other);
  ResourceList& operator-=(const ResourceList& other);
  friend ResourceList operator+(ResourceList a, const ResourceList& b) { return a += b; }
  friend ResourceList operator-(ResourceList a, const ResourceList& b) { return a -= b; }
  friend bool operator==(const ResourceList& a, const ResourceList& b);

  // Per resource, the larger of the two (resources present in either).
  static ResourceList max(const ResourceList& a, const ResourceList& b);

  // Every resource of `this` is <= the same resource of `capacity`.
  bool fits_in(const ResourceList& capacity) const;
  // Names of the resources of `this` that exceed `capacity` ("Insufficient cpu" style).
  std::vector<std::string> exceeding(const ResourceList& capacity) const;
  bool is_zero() const;

  // Calls f(name, value) for every present resource, the five fields first (in the order
  // cpu, memory, ephemeral-storage, pods, nvidia.com/gpu), then the others by name.
  void for_each(const std::function<void(std::string_view, std::int64_t)>& f) const;

  // Kubernetes notation, sorted by name: "cpu=1500m,memory=2Gi,nvidia.com/gpu=1".
  std::string to_string() const;

 private:
  std::int64_t* field(std::string_view name);
  const std::int64_t* field(std::string_view name) const;
  std::vector<std::pair<std::string, std::int64_t>> others_;
  unsigned present_ = 0;  // bit i: field i was set explicitly (see field order above)
};

// True for names scheduled as extended resources: a '/' and not in kubernetes.io.
bool is_extended_resource_name(std::string_view name);

// Parses one quantity for a resource in that resource's unit (see the header comment).
sim::Result<std::int64_t> parse_resource_value(std::string_view name, std::string_view text);

// Parses {name: quantity text} pairs into a list; every problem is returned, one message
// per offending entry, prefixed by the resource name.
sim::Result<ResourceList> parse_resource_list(
    const std::vector<std::pair<std::string, std::string>>& entries);

}  // namespace kubesim::models
