// Kubelets: the node agents of every node, as one fleet object with per-node state (one
// object instead of thousands keeps the watch fan-out cheap; each kubelet still sees only
// the pods bound to its node, as a watch with fieldSelector spec.nodeName=<node> does —
// the API server's watch cache indexes pods by node name for exactly this).
//
// Per node (upstream pkg/kubelet, v1.34 defaults):
// - Lease renewal: the node's Lease in kube-node-lease is renewed every
//   lease_duration × 0.25 (40 s × 0.25 = 10 s; pkg/kubelet/nodelease). The node's status
//   (Ready condition heartbeat) is written every node_status_report_frequency (5 min) and
//   whenever it changes.
// - Admission (pkg/kubelet/lifecycle/predicate.go): the pod's requests must fit the node's
//   allocatable beside the admitted, non-terminal pods, and the pod count must stay within
//   allocatable pods (maxPods, 110 by default). A rejected pod is set Failed with reason
//   "OutOf<resource>" and upstream's message.
// - Image pulls: images already on the node (its image cache) are not pulled; others are
//   pulled one at a time (serializeImagePulls: true), each taking the pull latency plus
//   size / bandwidth. Sizes come from the scenario's image list (default_image_bytes when
//   unknown).
// - Container start: a draw of container_start_latency after the images are present; the
//   pod becomes Running. It becomes Ready after its readiness delay (annotation
//   kubesim.io/ready-after, else the pool's default; 0 = at once).
// - Batch pods (annotation kubesim.io/run-duration) exit after running that long: Succeeded,
//   or Failed when kubesim.io/exit-code is non-zero.
// - Graceful termination: a pod with a deletionTimestamp stops after
//   min(pod_stop_latency draw, terminationGracePeriodSeconds), then the kubelet deletes it
//   (the final DELETE with grace 0). A pod never started is deleted at once.
// - Status updates go through the API server (a patch per change, as the status manager).
// - fail_node(): the kubelet and its containers stop (no lease renewal, no status, no
//   reaction to its pods); recover_node(): the kubelet restarts, marks the node Ready,
//   renews its lease, deletes the pods it finds terminating and restarts the others.
//
// Metrics, under "kubelet.": counters pods_started, pods_rejected, image_pulls, pods_killed;
// histograms pod_startup_latency_s (creation → Ready, upstream's
// pod_start_sli_duration_seconds includes image pulls), image_pull_s.
//
// Each kubelet has its own API client (its own QPS/burst bucket); their metrics aggregate
// under "kubelet-client.".
//
// Not thread-safe. Random draws come from one stream per purpose for the fleet
// ("kubelet/start", "kubelet/stop", "kubelet/pull"), drawn in event order.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "models/api_server.hpp"
#include "models/informer.hpp"
#include "sim/metrics.hpp"
#include "sim/random.hpp"
#include "sim/signal.hpp"
#include "sim/simulation.hpp"
#include "sim/slot_pool.hpp"

namespace kubesim::models {

inline constexpr std::string_view kReadyAfterAnnotation = "kubesim.io/ready-after";

struct KubeletConfig {
  sim::Duration lease_duration = 40 * sim::kSecond;
  sim::Duration node_status_report_frequency = 5 * sim::kMinute;
  double image_pull_bytes_per_second = 100.0 * 1024 * 1024;  // 100 MiB/s
  sim::Distribution image_pull_latency = sim::Distribution::constant(0.5);  // seconds
  sim::Distribution container_start_latency =
      sim::Distribution::lognormal_from_p50_p99(1.0, 3.0).value();
  sim::Distribution pod_stop_latency = sim::Distribution::constant(1.0);
  sim::Duration readiness_delay = 0;
  std::int64_t default_image_bytes = 500LL * 1024 * 1024;
  ClientRateLimit rate_limit = kKubeletDefaultRateLimit;
  // A node joining at run time (KubeletFleet::join_node) registers NotReady and posts its
  // first Ready status this long after registration (container runtime and CNI start).
  sim::Duration node_ready_delay = 10 * sim::kSecond;
};

// A pod lifecycle step as observers see it (pods.csv, the GUI).
enum class PodStep : std::uint8_t { kAdmitted, kRejected, kRunning, kReady, kFinished, kKilled };
struct PodLifecycleEvent {
  PodStep step;
  const Pod* pod;
  std::string_view node;
};

class KubeletFleet {
 public:
  KubeletFleet(sim::Simulation& sim, sim::MetricRegistry& metrics, ApiServer& api,
               std::map<std::string, std::int64_t> image_bytes);
  ~KubeletFleet();
  KubeletFleet(const KubeletFleet&) = delete;
  KubeletFleet& operator=(const KubeletFleet&) = delete;

  // Starts the kubelet of an existing Node object (its lease renewal begins now). The
  // images listed in the node's status are in its cache.
  void add_node(const Node& node, const KubeletConfig& config);
  // A node joining at run time: the kubelet of an existing (NotReady) Node starts now, with
  // its timers in phase with its registration, and posts Ready after config.node_ready_delay.
  void join_node(const Node& node, const KubeletConfig& config);
  // Stops a node's kubelet for good (the machine is gone): like fail_node(), and
  // recover_node() no longer restarts it. False when unknown or already removed.
  bool remove_node(std::string_view name);
  bool has_node(std::string_view name) const { return index_.count(std::string(name)) != 0; }
  bool node_alive(std::string_view name) const;
  // False when unknown or already in that state.
  bool fail_node(std::string_view name);
  bool recover_node(std::string_view name);

  sim::Signal<PodLifecycleEvent> lifecycle;

 private:
  enum class State : std::uint8_t { kWaiting, kStarting, kRunning, kTerminating, kDone };
  struct PodState {
    std::shared_ptr<const Pod> pod;
    std::string key;
    std::int32_t node = -1;
    std::uint32_t node_epoch = 0;
    std::uint32_t generation = 0;
    State state = State::kWaiting;
    bool admitted = false;
    bool live = false;
    sim::Time started = 0;
  };
  struct NodeState {
    std::string name;
    KubeletConfig config;
    ApiClient* client = nullptr;
    bool alive = true;
    bool removed = false;
    std::uint32_t epoch = 0;
    ResourceList allocatable;
    ResourceList allocated;
    std::int64_t pods = 0;
    std::map<std::string, sim::Time, std::less<>> images;  // image → available from
    sim::Time pull_free_at = 0;
    sim::TimerHandle lease_timer;
    sim::TimerHandle status_timer;
    std::vector<std::uint32_t> pod_slots;  // pods bound here (any state)
  };

  void on_pod(const std::shared_ptr<const Pod>& pod);
  void on_pod_delete(const std::shared_ptr<const Pod>& pod);
  void admit(std::uint32_t slot);
  void start(std::uint32_t slot);
  void become_running(std::uint32_t slot);
  void become_ready(std::uint32_t slot);
  void finish(std::uint32_t slot);
  void begin_termination(std::uint32_t slot);
  void release_resources(PodState& p);
  void forget(std::uint32_t slot);
  bool current(std::uint32_t slot, std::uint32_t generation) const;
  void renew_lease(std::int32_t node);
  // The node's kubelet state (index, client, image cache); returns its index.
  std::int32_t register_node(const Node& node, const KubeletConfig& config);
  void start_timers(std::int32_t node, bool random_phase);
  void report_status(std::int32_t node, bool ready);
  std::int64_t image_size(const std::string& image) const;

  sim::Simulation& sim_;
  ApiServer& api_;
  std::map<std::string, std::int64_t> image_bytes_;
  std::vector<NodeState> nodes_;
  std::unordered_map<std::string, std::int32_t> index_;
  sim::SlotPool<PodState> pods_;
  std::unordered_map<std::string, std::uint32_t> pod_slot_;
  std::unique_ptr<Informer<Pod>> informer_;
  sim::Rng start_rng_;
  sim::Rng stop_rng_;
  sim::Rng pull_rng_;

  sim::Counter& started_;
  sim::Counter& rejected_;
  sim::Counter& pulls_;
  sim::Counter& killed_;
  sim::Histogram& startup_latency_;
  sim::Histogram& pull_time_;
};

}  // namespace kubesim::models
