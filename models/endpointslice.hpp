// EndpointSlice rules: how a Service's selected pods become discovery.k8s.io/v1 endpoints,
// and how a Service's desired endpoints are packed into EndpointSlices — the pure part of
// kube-controller-manager's EndpointSlice controller (upstream v1.34
// pkg/controller/endpointslice and staging/src/k8s.io/endpointslice: utils.go,
// reconciler.go). The runtime (informers, work queue, API writes) is
// models/endpointslice_controller.hpp.
//
// podToEndpoint (utils.go), for a pod the Service selects:
//   - the pod is listed only when ShouldPodBeInEndpoints(pod, includeTerminating=true): not
//     terminal (Succeeded/Failed) and it has an IP;
//   - serving = the pod's Ready condition is True; terminating = deletionTimestamp set;
//     ready = serving && !terminating (publishNotReadyAddresses is not modelled);
//   - nodeName = spec.nodeName, zone = the node's topology.kubernetes.io/zone label,
//     targetRef = the pod.
// Pod IPs: kubesim's kubelets do not assign IPs, so a pod without status.podIP gets a derived
// one once it is bound and Running (when a real kubelet would have reported the sandbox's
// IP): 10.a.b.c from the number n of its uid "uid-<n>" (a = n>>16 & 255, b = n>>8 & 255,
// c = n & 255), unique for the first 16.7 million objects, deterministic. A pod whose uid is
// not of that form gets an address from a hash of its namespace/name.
//
// Ports (getEndpointPorts + podutil.FindPort): each Service port gives an endpoint port with
// the Service port's name and protocol and the resolved targetPort — a number as is (empty
// = the Service port), a name looked up among the pod's container ports with that name and
// protocol; a Service port whose named targetPort the pod does not have is left out. Pods
// with different resolved ports go to different slices (the reconciler groups endpoints by
// port mapping).
//
// reconcile_slices (reconciler.go reconcileByAddressType / reconcileByPortMapping /
// finalize), per port mapping:
//   1. each existing slice keeps the endpoints still desired (updated to their desired
//      version); a slice that lost or changed an endpoint is updated, or deleted when it
//      kept none; an untouched slice is unchanged;
//   2. new endpoints fill the slices being updated, the fullest first, up to
//      maxEndpointsPerSlice (100);
//   3. the rest: while at least a full slice remains, new slices; a remainder smaller than a
//      slice goes into the unchanged slice it fits best (the fullest that can hold it),
//      else a new slice;
//   then slices of port mappings no longer desired are deleted; a Service left with no
//   slice gets one empty placeholder slice (no ports, no endpoints); and creates are turned
//   into updates of slices that would be deleted (finalize), so a slice is rewritten rather
//   than deleted and recreated.
// Determinism: upstream pops "any" endpoint from a hash set; kubesim takes them in pod key
// order and orders slices by name on ties, so the same input gives the same slices.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "models/objects.hpp"
#include "models/workloads.hpp"

namespace kubesim::models {

// Labels of controller-managed slices (discovery.k8s.io/v1 LabelServiceName / LabelManagedBy).
inline constexpr std::string_view kLabelServiceName = "kubernetes.io/service-name";
inline constexpr std::string_view kLabelManagedBy = "endpointslice.kubernetes.io/managed-by";
inline constexpr std::string_view kEndpointSliceControllerName = "endpointslice-controller.k8s.io";
// --max-endpoints-per-slice default (pkg/controller/endpointslice/config, v1.34).
inline constexpr std::int32_t kDefaultMaxEndpointsPerSlice = 100;

// The pod's IP: status.podIP, else the derived address (see the header comment) once the
// pod is bound and Running; empty when it has none yet.
std::string pod_address(const Pod& pod);

// upstream endpointutil.ShouldPodBeInEndpoints(pod, includeTerminating = true).
bool should_pod_be_in_endpoints(const Pod& pod);

// upstream podToEndpoint. `node` may be null (no zone).
Endpoint pod_to_endpoint(const Pod& pod, const Node* node);

// upstream getEndpointPorts: the Service's ports resolved against the pod.
std::vector<EndpointPort> endpoint_ports(const Service& service, const Pod& pod);

// Field-wise equality (upstream EndpointsEqualBeyondHash and the port-map key).
bool same_endpoint(const Endpoint& a, const Endpoint& b);
bool same_ports(const std::vector<EndpointPort>& a, const std::vector<EndpointPort>& b);

// The key of an endpoint in a Service's endpoint set: its targetRef pod, else its first
// address.
const std::string& endpoint_key(const Endpoint& e);

// The desired endpoints of one port mapping, ordered by endpoint_key.
struct DesiredEndpoints {
  std::vector<EndpointPort> ports;
  std::vector<Endpoint> endpoints;
};

struct SlicePlan {
  std::vector<EndpointSlice> create;  // metadata.name empty: the caller names them
  std::vector<EndpointSlice> update;  // full new content, existing names
  std::vector<std::string> remove;    // names
  bool empty() const { return create.empty() && update.empty() && remove.empty(); }
};

// The writes that turn `existing` (the Service's slices, as last written) into the desired
// state. New slices carry the Service's labels, the service-name and managed-by labels
// and a controller ownerReference to the Service. REQUIRES: max_per_slice >= 1.
SlicePlan reconcile_slices(const Service& service, const std::vector<EndpointSlice>& existing,
                           const std::vector<DesiredEndpoints>& desired,
                           std::int32_t max_per_slice = kDefaultMaxEndpointsPerSlice);

}  // namespace kubesim::models
