// KubeProxyFleet: the kube-proxy of every Ready node, as far as the Services that carry
// simulated traffic are concerned — what each one has heard of those Services'
// EndpointSlices and what it has programmed into its node's rules (upstream v1.34
// pkg/proxy: config/ (the EndpointSlice informer), endpointslicecache.go,
// runner/bounded_frequency_runner.go, topology.go).
//
// Path of a change: the EndpointSlice controller writes a slice; at commit the store tells
// the fleet (one store watch), which merges the Service's slices into one endpoint list
// (endpointslicecache.go: slices in name order, an endpoint listed twice counts once) and
// delivers that list to every kube-proxy after its own draw of the API server's watch
// delay (from stream "kube-proxy/watch"; per kube-proxy, deliveries keep commit order) plus
// the Service's extra delay (the traffic workload's `endpointDelay`, 0 by default). A
// delivery calls the proxy's BoundedFrequencyRunner.Run():
//   - the runner syncs at once when its last sync ended at least minSyncPeriod ago, else
//     at last sync + minSyncPeriod; every Run() until then joins that one sync (upstream
//     minInterval = minSyncPeriod, 1 s by default);
//   - it also syncs every FullSyncPeriod (1 h, maxInterval) without a Run(): such a sync
//     applies nothing new but restarts the minSyncPeriod wait. kubesim computes those
//     periodic syncs when a Run() arrives instead of scheduling them.
//   - v1.34 passes syncPeriod (30 s) as the runner's retryInterval, used only after a
//     failed sync; syncs never fail here, so syncPeriod is accepted and has no effect.
// A sync makes what the proxy heard its programmed view, `syncDuration` after it starts
// (upstream's syncProxyRules runs iptables-restore / the IPVS calls synchronously; its
// duration is sync_proxy_rules_duration_seconds; drawn per sync from stream
// "kube-proxy/sync", none by default). The runner's fn is synchronous, so a sync due while
// one runs starts when it ends (the minSyncPeriod wait counts from the start, as
// bfr.lastRun is taken before fn()).
// A Service's runner is kept per Service on each node (with that traffic workload's
// settings); upstream one runner per node syncs all Services together — the same when one
// Service changes at a time or the workloads share their settings.
//
// The endpoints a new connection may use (topology.go CategorizeEndpoints, cluster traffic
// policy): the ready ones; when there is none, the serving-and-terminating ones.
//
// Which kube-proxies exist: one per node whose Node is Ready (a plain store watch on Nodes:
// no delay), plus one reference proxy (index kReference) on no node, which hears and syncs
// like the others and gives a coherent cluster-wide view (fluid mode, the endpoints gauge,
// the activator). A node that becomes Ready lists the current slices and syncs at once (its
// next sync is then minSyncPeriod away); the proxies of nodes already Ready when the fleet
// is built (and the reference) have been running for long: their first sync is not held.
// ready_nodes() are the entry points of external traffic (in order of first readiness).
//
// Not thread-safe. Deterministic: per-proxy delays come from one named stream in event order.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/api_server.hpp"
#include "sim/metrics.hpp"
#include "sim/random.hpp"
#include "sim/simulation.hpp"

namespace kubesim::models {

struct KubeProxySettings {
  sim::Duration min_sync_period = sim::kSecond;   // --iptables-min-sync-period
  sim::Duration sync_period = 30 * sim::kSecond;  // --iptables-sync-period (retry interval)
  sim::Duration full_sync_period = sim::kHour;    // proxyutil.FullSyncPeriod
  sim::Duration extra_delay = 0;                  // endpointDelay
  // How long one sync takes (seconds); unset: no time.
  std::optional<sim::Distribution> sync_duration;
};

// One endpoint as a kube-proxy holds it.
struct ProxyEndpoint {
  std::string key;  // the targetRef pod (namespace/name), else the first address
  std::string node_name;
  bool ready = false;
  bool serving = false;
  bool terminating = false;
};

// A Service's merged endpoints at one slice version (immutable once published).
struct ProxyEndpoints {
  std::uint64_t version = 0;
  std::vector<ProxyEndpoint> endpoints;
  std::vector<std::uint32_t> usable;  // indexes into endpoints, for new connections
};

class KubeProxyFleet {
 public:
  static constexpr std::uint32_t kReference = 0;

  KubeProxyFleet(sim::Simulation& sim, sim::MetricRegistry& metrics, ApiServer& api);
  ~KubeProxyFleet();
  KubeProxyFleet(const KubeProxyFleet&) = delete;
  KubeProxyFleet& operator=(const KubeProxyFleet&) = delete;

  // Follows the Service's slices; returns its index (the same for the same Service: the
  // first call's settings hold). `on_reference_sync` (may be empty) runs after the
  // reference proxy programs a new view of it.
  std::uint32_t add_service(std::string_view namespace_, std::string_view name,
                            KubeProxySettings settings, std::function<void()> on_reference_sync);

  // What proxy `proxy` has programmed for Service `service`. The reference stays valid until
  // that proxy's next sync of the Service.
  const ProxyEndpoints& view(std::uint32_t proxy, std::uint32_t service) const {
    return *proxies_[proxy].runners[service].applied;
  }
  // The latest merged slices (as committed, before any delay).
  const ProxyEndpoints& latest(std::uint32_t service) const { return *services_[service].latest; }
  // Nodes that take external traffic now (proxy indexes, in order of first readiness).
  const std::vector<std::uint32_t>& ready_nodes() const { return ready_; }
  // The proxy of a node, if it ever was Ready.
  std::optional<std::uint32_t> proxy_of(std::string_view node) const;
  const std::string& node_of(std::uint32_t proxy) const { return proxies_[proxy].node; }
  std::size_t proxy_count() const { return proxies_.size(); }
  std::uint64_t syncs() const { return static_cast<std::uint64_t>(syncs_.value()); }

 private:
  struct Runner {
    std::shared_ptr<const ProxyEndpoints> heard;
    std::shared_ptr<const ProxyEndpoints> applied;
    sim::Time last_run = -1;
    sim::Time busy_until = 0;  // the end of the sync running (syncDuration)
    sim::Time last_delivery = 0;
    bool pending = false;
  };
  struct Proxy {
    std::string node;
    bool ready = false;
    sim::Time started = -1;       // its first sync; -1: before the fleet was built
    std::vector<Runner> runners;  // per Service
  };
  struct ServiceEntry {
    std::string namespace_;
    std::string name;
    KubeProxySettings settings;
    std::vector<std::function<void()>> on_reference_sync;
    std::map<std::string, std::shared_ptr<const EndpointSlice>, std::less<>> slices;
    std::shared_ptr<const ProxyEndpoints> latest;
  };

  void on_slice(const WatchEvent<EndpointSlice>& e);
  void on_node(const WatchEvent<Node>& e);
  void publish(std::uint32_t service);
  void deliver(std::uint32_t proxy, std::uint32_t service, std::shared_ptr<const ProxyEndpoints> v);
  void run(std::uint32_t proxy, std::uint32_t service);
  void sync(std::uint32_t proxy, std::uint32_t service);
  void apply(std::uint32_t proxy, std::uint32_t service,
             std::shared_ptr<const ProxyEndpoints> view);
  std::uint32_t add_proxy(std::string node);

  sim::Simulation& sim_;
  ApiServer& api_;
  sim::Rng watch_rng_;
  sim::Rng sync_rng_;
  std::vector<Proxy> proxies_;
  std::vector<ServiceEntry> services_;
  std::map<std::string, std::uint32_t, std::less<>> service_index_;  // namespace/name
  std::map<std::string, std::uint32_t, std::less<>> proxy_index_;    // node name
  std::vector<std::uint32_t> ready_;
  bool constructing_ = false;
  ObjectStore<EndpointSlice>::WatchId slice_watch_ = 0;
  ObjectStore<Node>::WatchId node_watch_ = 0;
  sim::Counter& syncs_;
};

}  // namespace kubesim::models
