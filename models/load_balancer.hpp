// LoadBalancer: which endpoint of a Service a new connection (request) goes to, over an
// endpoint list that changes as pods become ready or go away.
//
// Modes, as kube-proxy programs them (upstream v1.34; behaviour notes in
// ../shared/reference/kubernetes-semantics.md §6.5):
//   kRandom            iptables and nftables mode. The service chain matches endpoint i of n
//                      with probability 1/(n − i) (pkg/proxy/iptables/proxier.go,
//                      writeServiceToEndpointRules; nftables uses a numgen map), which
//                      is the uniform choice; we draw it in one step.
//   kRoundRobin        IPVS scheduler "rr" (kube-proxy's default IPVS scheduler,
//                      pkg/proxy/ipvs/proxier.go): endpoints in turn. The kernel keeps a
//                      cursor into the destination list (net/netfilter/ipvs/ip_vs_rr.c); we
//                      keep the index of the last pick and continue after it when the list
//                      changes.
//   kLeastConnections  IPVS scheduler "lc" (net/netfilter/ipvs/ip_vs_lc.c): the endpoint
//                      with the fewest active connections (here: requests in flight on the
//                      pod, given by the caller); ties go to the earliest in the list.
// Endpoints are caller-chosen 32-bit ids (pod indexes, say), in EndpointSlice order.
// Randomness: the Rng passed in (name it "lb/<service>"). Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "sim/random.hpp"

namespace kubesim::models {

enum class LbMode { kRandom, kRoundRobin, kLeastConnections };
const char* lb_mode_name(LbMode mode);  // "random", "round_robin", "least_connections"

class LoadBalancer {
 public:
  LoadBalancer(LbMode mode, sim::Rng rng) : mode_(mode), rng_(rng) {}

  // Replaces the endpoint list (ready endpoints only, as the EndpointSlice lists them).
  void set_endpoints(std::vector<std::uint32_t> endpoints);
  const std::vector<std::uint32_t>& endpoints() const { return endpoints_; }

  // The endpoint for the next request; nullopt when there is none (the request fails:
  // connection refused / no endpoints). `connections(id)` returns the endpoint's active
  // connections; it is called only in kLeastConnections mode.
  template <typename Connections>
  std::optional<std::uint32_t> pick(Connections&& connections) {
    if (endpoints_.empty()) return std::nullopt;
    if (mode_ != LbMode::kLeastConnections) return pick_simple();
    std::size_t best = 0;
    auto best_conns = connections(endpoints_[0]);
    for (std::size_t i = 1; i < endpoints_.size(); ++i) {
      const auto c = connections(endpoints_[i]);
      if (c < best_conns) {
        best = i;
        best_conns = c;
      }
    }
    return endpoints_[best];
  }
  // REQUIRES: mode is kRandom or kRoundRobin.
  std::optional<std::uint32_t> pick() {
    if (endpoints_.empty()) return std::nullopt;
    return pick_simple();
  }

  LbMode mode() const { return mode_; }

 private:
  std::uint32_t pick_simple();

  LbMode mode_;
  sim::Rng rng_;
  std::vector<std::uint32_t> endpoints_;
  std::optional<std::uint32_t> last_;  // round robin: the last endpoint picked
  std::size_t cursor_ = 0;             // round robin: index of the next pick
};

}  // namespace kubesim::models
