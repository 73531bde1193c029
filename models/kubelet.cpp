#include "models/kubelet.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include "models/selectors.hpp"

namespace kubesim::models {
namespace {

sim::Duration draw(const sim::Distribution& d, sim::Rng& rng) {
  return sim::from_seconds(std::max(0.0, d.sample(rng)));
}

// A duration annotation, or `fallback` when absent or unparsable (the scenario loader
// validates the annotations it reads; manifests given by the user are checked there too).
sim::Duration annotation_duration(const Pod& pod, std::string_view key, sim::Duration fallback) {
  const std::string* text = pod.metadata.annotations.find(key);
  if (text == nullptr) return fallback;
  auto d = sim::parse_duration(*text);
  return d.ok() ? d.value() : fallback;
}

Condition condition(std::string_view type, bool status, sim::Time now, std::string reason = {}) {
  Condition c;
  c.type = std::string(type);
  c.status = status ? ConditionStatus::kTrue : ConditionStatus::kFalse;
  c.last_transition_time = now;
  c.reason = std::move(reason);
  return c;
}

// The first resource the pod does not fit, in upstream's order (pods, cpu, memory,
// ephemeral-storage, then extended resources), as (name, requested, used, capacity).
struct Shortfall {
  std::string resource;
  std::int64_t requested = 0;
  std::int64_t used = 0;
  std::int64_t capacity = 0;
};
std::optional<Shortfall> admission_shortfall(const ResourceList& request, std::int64_t pods,
                                             const ResourceList& allocated,
                                             const ResourceList& allocatable) {
  if (pods + 1 > allocatable.pods) return Shortfall{"pods", 1, pods, allocatable.pods};
  std::optional<Shortfall> out;
  request.for_each([&](std::string_view name, std::int64_t value) {
    if (out || value == 0 || name == kResourcePods) return;
    const std::int64_t used = allocated.get(name);
    const std::int64_t cap = allocatable.get(name);
    if (used + value > cap) out = Shortfall{std::string(name), value, used, cap};
  });
  return out;
}

}  // namespace

KubeletFleet::KubeletFleet(sim::Simulation& sim, sim::MetricRegistry& metrics, ApiServer& api,
                           std::map<std::string, std::int64_t> image_bytes)
    : sim_(sim),
      api_(api),
      image_bytes_(std::move(image_bytes)),
      start_rng_(sim.rng("kubelet/start")),
      stop_rng_(sim.rng("kubelet/stop")),
      pull_rng_(sim.rng("kubelet/pull")),
      started_(metrics.counter("kubelet.pods_started")),
      rejected_(metrics.counter("kubelet.pods_rejected")),
      pulls_(metrics.counter("kubelet.image_pulls")),
      killed_(metrics.counter("kubelet.pods_killed")),
      startup_latency_(metrics.histogram("kubelet.pod_startup_latency_s")),
      pull_time_(metrics.histogram("kubelet.image_pull_s")) {
  informer_ = std::make_unique<Informer<Pod>>(
      api, Informer<Pod>::Handlers{[this](const auto& p) { on_pod(p); },
                                   [this](const auto&, const auto& p) { on_pod(p); },
                                   [this](const auto& p) { on_pod_delete(p); }},
      [](const Pod& p) { return p.bound(); });
}

KubeletFleet::~KubeletFleet() {
  for (auto& n : nodes_) {
    sim_.cancel_timer(n.lease_timer);
    sim_.cancel_timer(n.status_timer);
  }
}

std::int32_t KubeletFleet::register_node(const Node& node, const KubeletConfig& config) {
  const auto idx = static_cast<std::int32_t>(nodes_.size());
  index_.emplace(node.metadata.name, idx);
  NodeState& n = nodes_.emplace_back();
  n.name = node.metadata.name;
  n.config = config;
  n.client = &api_.make_client("kubelet-client", config.rate_limit);
  n.allocatable = node.status.allocatable;
  for (const auto& image : node.status.images) {
    for (const auto& name : image.names) n.images.emplace(name, 0);
  }
  return idx;
}

void KubeletFleet::add_node(const Node& node, const KubeletConfig& config) {
  start_timers(register_node(node, config), /*random_phase=*/true);
}

void KubeletFleet::join_node(const Node& node, const KubeletConfig& config) {
  const std::int32_t idx = register_node(node, config);
  NodeState& n = nodes_[static_cast<std::size_t>(idx)];
  // upstream kubelet_node_status.go registerWithAPIServer, then the status loop: the node
  // turns Ready once the runtime and network are up.
  const std::uint32_t epoch = n.epoch;
  sim_.schedule_after(config.node_ready_delay, [this, idx, epoch] {
    const NodeState& m = nodes_[static_cast<std::size_t>(idx)];
    if (m.alive && m.epoch == epoch) report_status(idx, true);
  });
  start_timers(idx, /*random_phase=*/false);
}

bool KubeletFleet::remove_node(std::string_view name) {
  auto it = index_.find(std::string(name));
  if (it == index_.end()) return false;
  NodeState& n = nodes_[static_cast<std::size_t>(it->second)];
  if (n.removed) return false;
  n.removed = true;
  if (n.alive) {
    n.alive = false;
    ++n.epoch;
    sim_.cancel_timer(n.lease_timer);
    sim_.cancel_timer(n.status_timer);
  }
  return true;
}

// Lease renewal every leaseDuration/4 and node status every nodeStatusReportFrequency, both
// with upstream's 4 % jitter (component-helpers lease controller and kubelet syncNodeStatus
// run under wait.JitterUntil(..., 0.04, ...)). Nodes that exist at the start of a run did
// not boot together: each starts at a random phase within its period (stream
// "kubelet/<node>/phase"), or the whole cluster would renew in the same instant.
void KubeletFleet::start_timers(std::int32_t idx, bool random_phase) {
  NodeState& n = nodes_[static_cast<std::size_t>(idx)];
  const sim::Duration renew = n.config.lease_duration / 4;
  const sim::Duration status = n.config.node_status_report_frequency;
  sim::TimerOptions lease_options;
  lease_options.jitter = 0.04;
  lease_options.name = "kubelet/lease";
  sim::TimerOptions status_options;
  status_options.jitter = 0.04;
  status_options.name = "kubelet/status";
  if (random_phase) {
    sim::Rng phase = sim_.rng("kubelet/" + n.name + "/phase");
    lease_options.first_delay = static_cast<sim::Duration>(phase.below(static_cast<std::uint64_t>(renew)));
    status_options.first_delay =
        static_cast<sim::Duration>(phase.below(static_cast<std::uint64_t>(status)));
  }
  n.lease_timer = sim_.every(renew, [this, idx] { renew_lease(idx); }, lease_options);
  n.status_timer = sim_.every(status, [this, idx] { report_status(idx, true); }, status_options);
}

bool KubeletFleet::node_alive(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it != index_.end() && nodes_[static_cast<std::size_t>(it->second)].alive;
}

bool KubeletFleet::fail_node(std::string_view name) {
  auto it = index_.find(std::string(name));
  if (it == index_.end()) return false;
  NodeState& n = nodes_[static_cast<std::size_t>(it->second)];
  if (!n.alive) return false;
  n.alive = false;
  ++n.epoch;  // every pending step of this node's pods is now stale
  sim_.cancel_timer(n.lease_timer);
  sim_.cancel_timer(n.status_timer);
  return true;
}

bool KubeletFleet::recover_node(std::string_view name) {
  auto it = index_.find(std::string(name));
  if (it == index_.end()) return false;
  const std::int32_t idx = it->second;
  NodeState& n = nodes_[static_cast<std::size_t>(idx)];
  if (n.alive || n.removed) return false;
  n.alive = true;
  ++n.epoch;
  report_status(idx, true);
  renew_lease(idx);
  start_timers(idx, /*random_phase=*/false);
  // The containers died with the node: every pod starts over (or finishes terminating).
  n.allocated = ResourceList();
  n.pods = 0;
  std::vector<std::uint32_t> slots = n.pod_slots;
  for (std::uint32_t slot : slots) {
    PodState& p = pods_[slot];
    p.admitted = false;
    p.state = State::kWaiting;
    ++p.generation;
    if (p.pod->metadata.being_deleted()) {
      begin_termination(slot);
    } else if (!p.pod->terminal()) {
      admit(slot);
    }
  }
  return true;
}

// ---- pods ----------------------------------------------------------------------------------

void KubeletFleet::on_pod(const std::shared_ptr<const Pod>& pod) {
  auto nit = index_.find(pod->spec.node_name);
  if (nit == index_.end()) return;  // a node without a kubelet (not simulated)
  const std::string key = object_key(pod->metadata.namespace_, pod->metadata.name);
  auto it = pod_slot_.find(key);
  if (it == pod_slot_.end()) {
    const std::uint32_t slot = pods_.acquire();
    PodState& p = pods_[slot];
    p.pod = pod;
    p.key = key;
    p.node = nit->second;
    p.state = State::kWaiting;
    p.admitted = false;
    p.live = true;
    ++p.generation;
    pod_slot_.emplace(key, slot);
    nodes_[static_cast<std::size_t>(p.node)].pod_slots.push_back(slot);
    if (!nodes_[static_cast<std::size_t>(p.node)].alive) return;
    if (pod->metadata.being_deleted()) {
      begin_termination(slot);
    } else if (!pod->terminal()) {
      admit(slot);
    }
    return;
  }
  const std::uint32_t slot = it->second;
  PodState& p = pods_[slot];
  p.pod = pod;
  if (!nodes_[static_cast<std::size_t>(p.node)].alive) return;
  if (pod->metadata.being_deleted() && p.state != State::kTerminating) begin_termination(slot);
}

void KubeletFleet::on_pod_delete(const std::shared_ptr<const Pod>& pod) {
  const std::string key = object_key(pod->metadata.namespace_, pod->metadata.name);
  auto it = pod_slot_.find(key);
  if (it == pod_slot_.end()) return;
  forget(it->second);
}

bool KubeletFleet::current(std::uint32_t slot, std::uint32_t generation) const {
  const PodState& p = pods_[slot];
  return p.live && p.generation == generation &&
         nodes_[static_cast<std::size_t>(p.node)].epoch == p.node_epoch &&
         nodes_[static_cast<std::size_t>(p.node)].alive;
}

void KubeletFleet::admit(std::uint32_t slot) {
  PodState& p = pods_[slot];
  NodeState& n = nodes_[static_cast<std::size_t>(p.node)];
  p.node_epoch = n.epoch;
  const ResourceList request = p.pod->requests();
  if (auto shortfall = admission_shortfall(request, n.pods, n.allocated, n.allocatable)) {
    rejected_.add();
    lifecycle.emit(PodLifecycleEvent{PodStep::kRejected, p.pod.get(), n.name});
    const std::string reason = "OutOf" + shortfall->resource;
    const std::string message = "Pod was rejected: Node didn't have enough resource: " +
                                shortfall->resource + ", requested: " +
                                std::to_string(shortfall->requested) + ", used: " +
                                std::to_string(shortfall->used) + ", capacity: " +
                                std::to_string(shortfall->capacity);
    p.state = State::kDone;
    api_.patch<Pod>(*n.client, p.pod->metadata.namespace_, p.pod->metadata.name,
                    [reason, message](Pod& pod) {
                      if (pod.terminal()) return false;
                      pod.status.phase = PodPhase::kFailed;
                      pod.status.reason = reason;
                      pod.status.message = message;
                      return true;
                    });
    return;
  }
  p.admitted = true;
  n.allocated += request;
  ++n.pods;
  lifecycle.emit(PodLifecycleEvent{PodStep::kAdmitted, p.pod.get(), n.name});
  // Image pulls, one at a time per node.
  sim::Time ready_at = sim_.now();
  auto pull = [&](const Container& c) {
    if (c.image.empty()) return;
    auto it = n.images.find(c.image);
    if (it != n.images.end()) {
      ready_at = std::max(ready_at, it->second);
      return;
    }
    const sim::Time begin = std::max(sim_.now(), n.pull_free_at);
    const sim::Duration took =
        draw(n.config.image_pull_latency, pull_rng_) +
        sim::from_seconds(static_cast<double>(image_size(c.image)) /
                          n.config.image_pull_bytes_per_second);
    n.pull_free_at = begin + took;
    n.images.emplace(c.image, n.pull_free_at);
    pulls_.add();
    pull_time_.record_duration(took);
    ready_at = std::max(ready_at, n.pull_free_at);
  };
  for (const auto& c : p.pod->spec.init_containers) pull(c);
  for (const auto& c : p.pod->spec.containers) pull(c);
  p.state = State::kStarting;
  const std::uint32_t gen = p.generation;
  sim_.schedule_at(ready_at, [this, slot, gen] {
    if (current(slot, gen)) start(slot);
  });
}

void KubeletFleet::start(std::uint32_t slot) {
  PodState& p = pods_[slot];
  NodeState& n = nodes_[static_cast<std::size_t>(p.node)];
  const std::uint32_t gen = p.generation;
  sim_.schedule_after(draw(n.config.container_start_latency, start_rng_), [this, slot, gen] {
    if (current(slot, gen)) become_running(slot);
  });
}

void KubeletFleet::become_running(std::uint32_t slot) {
  PodState& p = pods_[slot];
  NodeState& n = nodes_[static_cast<std::size_t>(p.node)];
  p.state = State::kRunning;
  p.started = sim_.now();
  started_.add();
  lifecycle.emit(PodLifecycleEvent{PodStep::kRunning, p.pod.get(), n.name});
  const sim::Duration ready_after =
      annotation_duration(*p.pod, kReadyAfterAnnotation, n.config.readiness_delay);
  const bool ready_now = ready_after <= 0;
  const sim::Time now = sim_.now();
  api_.patch<Pod>(*n.client, p.pod->metadata.namespace_, p.pod->metadata.name,
                  [now, ready_now](Pod& pod) {
                    if (pod.terminal()) return false;
                    pod.status.phase = PodPhase::kRunning;
                    if (!pod.status.start_time) pod.status.start_time = now;
                    set_condition(pod.status.conditions, condition(kPodInitialized, true, now));
                    set_condition(pod.status.conditions,
                                  condition(kPodContainersReady, ready_now, now));
                    set_condition(pod.status.conditions, condition(kPodReady, ready_now, now));
                    return true;
                  });
  const std::uint32_t gen = p.generation;
  if (ready_now) {
    startup_latency_.record_duration(now - p.pod->metadata.creation_timestamp);
    lifecycle.emit(PodLifecycleEvent{PodStep::kReady, p.pod.get(), n.name});
  } else {
    sim_.schedule_after(ready_after, [this, slot, gen] {
      if (current(slot, gen)) become_ready(slot);
    });
  }
  const sim::Duration run = annotation_duration(*p.pod, kRunDurationAnnotation, -1);
  if (run >= 0) {
    sim_.schedule_after(run, [this, slot, gen] {
      if (current(slot, gen)) finish(slot);
    });
  }
}

void KubeletFleet::become_ready(std::uint32_t slot) {
  PodState& p = pods_[slot];
  NodeState& n = nodes_[static_cast<std::size_t>(p.node)];
  if (p.state != State::kRunning) return;
  const sim::Time now = sim_.now();
  startup_latency_.record_duration(now - p.pod->metadata.creation_timestamp);
  lifecycle.emit(PodLifecycleEvent{PodStep::kReady, p.pod.get(), n.name});
  api_.patch<Pod>(*n.client, p.pod->metadata.namespace_, p.pod->metadata.name, [now](Pod& pod) {
    if (pod.terminal()) return false;
    set_condition(pod.status.conditions, condition(kPodContainersReady, true, now));
    set_condition(pod.status.conditions, condition(kPodReady, true, now));
    return true;
  });
}

void KubeletFleet::finish(std::uint32_t slot) {
  PodState& p = pods_[slot];
  NodeState& n = nodes_[static_cast<std::size_t>(p.node)];
  if (p.state != State::kRunning) return;
  // kubesim.io/exit-code, validated as an integer 0..255 by the manifest reader.
  const std::string* code = p.pod->metadata.annotations.find(kExitCodeAnnotation);
  int exit_code = 0;
  if (code != nullptr) std::from_chars(code->data(), code->data() + code->size(), exit_code);
  const bool failed = exit_code != 0;
  p.state = State::kDone;
  release_resources(p);
  lifecycle.emit(PodLifecycleEvent{PodStep::kFinished, p.pod.get(), n.name});
  const sim::Time now = sim_.now();
  api_.patch<Pod>(*n.client, p.pod->metadata.namespace_, p.pod->metadata.name,
                  [failed, now](Pod& pod) {
                    if (pod.terminal()) return false;
                    pod.status.phase = failed ? PodPhase::kFailed : PodPhase::kSucceeded;
                    pod.status.reason = failed ? "Error" : "Completed";
                    set_condition(pod.status.conditions, condition(kPodReady, false, now, "PodCompleted"));
                    set_condition(pod.status.conditions,
                                  condition(kPodContainersReady, false, now, "PodCompleted"));
                    return true;
                  });
}

void KubeletFleet::begin_termination(std::uint32_t slot) {
  PodState& p = pods_[slot];
  NodeState& n = nodes_[static_cast<std::size_t>(p.node)];
  const bool was_running = p.state == State::kRunning || p.state == State::kStarting;
  p.state = State::kTerminating;
  ++p.generation;
  p.node_epoch = n.epoch;
  const std::uint32_t gen = p.generation;
  sim::Duration stop = 0;
  if (was_running && !p.pod->terminal()) {
    stop = std::min(draw(n.config.pod_stop_latency, stop_rng_),
                    p.pod->spec.termination_grace_period_seconds * sim::kSecond);
  }
  sim_.schedule_after(stop, [this, slot, gen] {
    if (!current(slot, gen)) return;
    PodState& q = pods_[slot];
    NodeState& node = nodes_[static_cast<std::size_t>(q.node)];
    release_resources(q);
    killed_.add();
    lifecycle.emit(PodLifecycleEvent{PodStep::kKilled, q.pod.get(), node.name});
    q.state = State::kDone;
    api_.remove<Pod>(*node.client, q.pod->metadata.namespace_, q.pod->metadata.name);
  });
}

void KubeletFleet::release_resources(PodState& p) {
  if (!p.admitted) return;
  NodeState& n = nodes_[static_cast<std::size_t>(p.node)];
  n.allocated -= p.pod->requests();
  --n.pods;
  p.admitted = false;
}

void KubeletFleet::forget(std::uint32_t slot) {
  PodState& p = pods_[slot];
  release_resources(p);
  NodeState& n = nodes_[static_cast<std::size_t>(p.node)];
  std::erase(n.pod_slots, slot);
  pod_slot_.erase(p.key);
  p.live = false;
  ++p.generation;
  p.pod.reset();
  pods_.release(slot);
}

// ---- node heartbeats -----------------------------------------------------------------------

void KubeletFleet::renew_lease(std::int32_t idx) {
  NodeState& n = nodes_[static_cast<std::size_t>(idx)];
  if (!n.alive) return;
  // PATCH kube-node-lease/<node> spec.renewTime (ApiServer's allocation-free lease path).
  api_.renew_lease(*n.client, n.name, sim_.now());
}

void KubeletFleet::report_status(std::int32_t idx, bool ready) {
  NodeState& n = nodes_[static_cast<std::size_t>(idx)];
  if (!n.alive) return;
  const sim::Time now = sim_.now();
  api_.patch<Node>(*n.client, "", n.name, [now, ready](Node& node) {
    Condition c;
    c.type = std::string(kNodeReady);
    c.status = ready ? ConditionStatus::kTrue : ConditionStatus::kFalse;
    c.last_transition_time = now;
    c.last_heartbeat_time = now;
    c.reason = ready ? "KubeletReady" : "KubeletNotReady";
    c.message = ready ? "kubelet is posting ready status" : "";
    const Condition* old = find_condition(node.status.conditions, kNodeReady);
    if (old != nullptr && old->status == c.status) c.last_transition_time = old->last_transition_time;
    // Heartbeats always write (lastHeartbeatTime changes).
    std::erase_if(node.status.conditions, [](const Condition& x) { return x.type == kNodeReady; });
    node.status.conditions.push_back(std::move(c));
    return true;
  });
}

std::int64_t KubeletFleet::image_size(const std::string& image) const {
  auto it = image_bytes_.find(image);
  return it == image_bytes_.end() ? nodes_.empty() ? 0 : nodes_.front().config.default_image_bytes
                                  : it->second;
}

}  // namespace kubesim::models
