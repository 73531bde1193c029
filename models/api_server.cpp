#include "models/api_server.hpp"

#include <algorithm>
#include <utility>

namespace kubesim::models {
namespace {

// The slot and generation of a pending write, packed into ApiRequest::tag.
std::uint64_t make_tag(std::uint32_t slot, std::uint32_t generation) {
  return (static_cast<std::uint64_t>(generation) << 32) | slot;
}

}  // namespace

sim::Status ApiServer::validate(const ApiServerConfig& config) {
  if (auto s = ApiServerLimits::validate(config.limits); !s.ok()) return s;
  if (auto s = EtcdCluster::validate(config.etcd); !s.ok()) return s;
  if (config.watch_history == 0) {
    return sim::Status::invalid_argument("watch history must be at least 1 event");
  }
  return sim::Status();
}

ApiServer::ApiServer(sim::Simulation& sim, sim::MetricRegistry& metrics, ApiServerConfig config)
    : sim_(sim),
      metrics_(metrics),
      config_(std::move(config)),
      pods_(clock_, "pods", config_.watch_history),
      nodes_(clock_, "nodes", config_.watch_history),
      leases_(clock_, "leases", config_.watch_history),
      replicasets_(clock_, "replicasets", config_.watch_history),
      deployments_(clock_, "deployments", config_.watch_history),
      jobs_(clock_, "jobs", config_.watch_history),
      services_(clock_, "services", config_.watch_history),
      endpoint_slices_(clock_, "endpointslices", config_.watch_history),
      namespaces_(clock_, "namespaces", config_.watch_history),
      priority_classes_(clock_, "priorityclasses", config_.watch_history),
      hpas_(clock_, "horizontalpodautoscalers", config_.watch_history),
      aiservices_(clock_, "aiservices", config_.watch_history),
      scaled_objects_(clock_, "scaledobjects", config_.watch_history),
      pod_autoscalers_(clock_, "podautoscalers", config_.watch_history),
      predictive_autoscalers_(clock_, "predictiveautoscalers", config_.watch_history),
      pdbs_(clock_, "poddisruptionbudgets", config_.watch_history),
      limits_(sim, metrics, config_.limits),
      etcd_(sim, metrics, config_.etcd),
      watch_rng_(sim.rng("apiserver/watch")),
      latency_rng_(sim.rng("apiserver/processing")),
      write_errors_(metrics.counter("apiserver.write_errors")) {
  for (int v = 0; v < kApiVerbCount; ++v) {
    verb_latency_[static_cast<std::size_t>(v)] = &metrics.histogram(
        "apiserver.request_latency_s." + std::string(api_verb_name(static_cast<ApiVerb>(v))));
  }
  // Which node Leases are stored (renew_lease's existence check), kept at commit.
  (void)leases_.watch(
      0, [](const Lease& l) { return l.metadata.namespace_ == kNodeLeaseNamespace; },
      [this](const WatchEvent<Lease>& e) {
        const std::string& node = e.object->metadata.name;
        auto it = lease_renewals_.find(std::string_view(node));
        if (it == lease_renewals_.end()) it = lease_renewals_.emplace(node, LeaseRenewal{}).first;
        it->second.lease_stored = e.type != WatchEventType::kDeleted;
      });
  limits_.set_handler(
      [this](ApiTicket ticket, const ApiRequest& request, int replica) {
        handle(ticket, request, replica);
      });
}

ApiClient& ApiServer::make_client(const std::string& name, ClientRateLimit rate_limit) {
  ApiClientConfig config;
  config.name = name;
  config.rate_limit = rate_limit;
  clients_.push_back(std::make_unique<ApiClient>(sim_, metrics_, limits_, config));
  return *clients_.back();
}

sim::Duration ApiServer::draw_watch_delay() {
  return sim::from_seconds(std::max(0.0, config_.watch_delay.sample(watch_rng_)));
}

void ApiServer::submit(ApiClient& client, ApiVerb verb, std::int64_t bytes, Apply apply,
                       Done done) {
  send(client, open(verb, std::move(apply), std::move(done)), bytes);
}

std::uint32_t ApiServer::open(ApiVerb verb, Apply apply, Done done) {
  const std::uint32_t slot = pending_.acquire();
  Pending& p = pending_[slot];
  p.apply = std::move(apply);
  p.done = std::move(done);
  p.sent = sim_.now();
  p.verb = verb;
  p.op = PendingOp::kApply;
  p.live = true;
  ++pending_count_;
  return slot;
}

void ApiServer::send(ApiClient& client, std::uint32_t slot, std::int64_t bytes) {
  ApiRequest request;
  request.verb = pending_[slot].verb;
  request.bytes = bytes;
  request.tag = make_tag(slot, pending_[slot].generation);
  client.send(request, [this, slot](const ApiResponse& response) { finish(slot, response); });
}

void ApiServer::renew_lease(ApiClient& client, std::string_view node, sim::Time renew_time,
                            Done done) {
  const std::uint32_t slot = open(ApiVerb::kPatch, Apply(), std::move(done));
  Pending& p = pending_[slot];
  p.op = PendingOp::kRenewLease;
  p.name.assign(node);
  p.time = renew_time;
  send(client, slot, kLeaseBytes);
}

bool ApiServer::apply_renewal(Lease& lease) const {
  if (lease.metadata.namespace_ != kNodeLeaseNamespace) return false;
  auto it = lease_renewals_.find(std::string_view(lease.metadata.name));
  if (it == lease_renewals_.end() ||
      it->second.resource_version <= lease.metadata.resource_version) {
    return false;
  }
  lease.spec.renew_time = it->second.renew_time;
  lease.metadata.resource_version = it->second.resource_version;
  return true;
}

std::shared_ptr<const Lease> ApiServer::node_lease(std::string_view node) const {
  auto stored = leases_.get(kNodeLeaseNamespace, node);
  if (stored == nullptr) return nullptr;
  Lease copy = *stored;
  if (!apply_renewal(copy)) return stored;
  return std::make_shared<const Lease>(std::move(copy));
}

// The write's effect on the store, at commit.
sim::Status ApiServer::apply(Pending& p) {
  switch (p.op) {
    case PendingOp::kRenewLease: {
      auto it = lease_renewals_.find(std::string_view(p.name));
      if (it == lease_renewals_.end() || !it->second.lease_stored) {
        return sim::Status::not_found("leases \"" + p.name + "\" not found");
      }
      it->second.renew_time = p.time;
      it->second.resource_version = clock_.next();
      for (const auto& [id, watcher] : lease_renewal_watchers_) watcher(p.name, p.time);
      return sim::Status();
    }
    case PendingOp::kApply:
      break;
  }
  return p.apply();
}

// The request holds a seat on `replica`: propose the write to etcd; apply it to the store
// when it commits, then answer.
void ApiServer::handle(ApiTicket ticket, const ApiRequest& request, int /*replica*/) {
  const auto slot = static_cast<std::uint32_t>(request.tag & 0xffffffffu);
  const std::uint64_t tag = request.tag;
  const EtcdOp op = request.verb == ApiVerb::kDelete ? EtcdOp::kDelete : EtcdOp::kPut;
  // Authentication, admission, validation and encoding before the write reaches etcd: a
  // draw of the verb's service-time distribution.
  const double seconds =
      config_.limits.latency[static_cast<std::size_t>(request.verb)].sample(latency_rng_);
  const EtcdRequest etcd_request{op, request.bytes, request.client};
  pending_[slot].etcd = etcd_request;
  pending_[slot].ticket = ticket;
  // The handlers capture (this, tag) only: the etcd callback fits std::function's local
  // buffer, so no allocation per write.
  sim_.schedule_after(sim::from_seconds(std::max(0.0, seconds)), [this, tag] {
    const auto slot = static_cast<std::uint32_t>(tag & 0xffffffffu);
    const auto generation = static_cast<std::uint32_t>(tag >> 32);
    if (!pending_[slot].live || pending_[slot].generation != generation) return;
    etcd_.submit(pending_[slot].etcd, [this, tag](const EtcdResult& result) {
      const auto slot = static_cast<std::uint32_t>(tag & 0xffffffffu);
      const auto generation = static_cast<std::uint32_t>(tag >> 32);
      Pending& p = pending_[slot];
      // The client already gave up (its replica failed): the write is lost.
      if (!p.live || p.generation != generation) return;
      const ApiTicket ticket = p.ticket;
      sim::Status status = result.status;
      if (status.ok()) status = apply(p);
      limits_.complete(ticket, status);
    });
  });
}

sim::Status ApiServer::delete_gracefully(const Pod& current,
                                         std::optional<std::int64_t> grace_seconds) {
  const std::int64_t grace = grace_seconds.value_or(current.spec.termination_grace_period_seconds);
  if (!current.bound() || current.terminal() || grace <= 0) {
    return pods_.remove(current.metadata.namespace_, current.metadata.name).status();
  }
  if (current.metadata.being_deleted()) return sim::Status();
  Pod copy = current;
  copy.metadata.deletion_timestamp = sim_.now() + grace * sim::kSecond;
  copy.metadata.deletion_grace_period_seconds = grace;
  return pods_.update(std::move(copy)).status();
}

void ApiServer::delete_pod(ApiClient& client, std::string namespace_, std::string name,
                           std::optional<std::int64_t> grace_seconds, Done done) {
  submit(
      client, ApiVerb::kDelete, kPodBytes / 10,
      [this, ns = std::move(namespace_), name = std::move(name), grace_seconds]() -> sim::Status {
        auto current = pods_.get(ns, name);
        if (current == nullptr) return sim::Status::not_found("pods \"" + name + "\" not found");
        return delete_gracefully(*current, grace_seconds);
      },
      std::move(done));
}

void ApiServer::evict(ApiClient& client, std::string namespace_, std::string name,
                      std::optional<std::int64_t> grace_seconds, Done done) {
  submit(
      client, ApiVerb::kDelete, kPodBytes / 10,
      [this, ns = std::move(namespace_), name = std::move(name), grace_seconds]() -> sim::Status {
        auto current = pods_.get(ns, name);
        if (current == nullptr) return sim::Status::not_found("pods \"" + name + "\" not found");
        std::vector<std::shared_ptr<const PodDisruptionBudget>> held;
        std::vector<const PodDisruptionBudget*> guarding;
        if (pdbs_.size() != 0) {
          for (const auto& pdb : pdbs_.list()) {
            if (pdb_guards_eviction(*pdb, *current)) {
              held.push_back(pdb);
              guarding.push_back(pdb.get());
            }
          }
        }
        const EvictionDecision decision = decide_eviction(*current, guarding);
        if (decision.verdict == EvictionVerdict::kRefused) return decision.error;
        if (decision.verdict == EvictionVerdict::kDeleteAndDecrement) {
          PodDisruptionBudget pdb = *held.front();
          record_eviction(pdb.status, name, sim_.now());
          if (auto st = pdbs_.update(std::move(pdb)).status(); !st.ok()) return st;
        }
        // addConditionAndDeletePod: the pod is updated with DisruptionTarget (a write of its
        // own, as upstream's store.Update), then deleted.
        Pod marked = *current;
        if (set_condition(marked.status.conditions, kPodDisruptionTarget, ConditionStatus::kTrue,
                          kReasonEvictionByEvictionApi, "Eviction API: evicting", sim_.now())) {
          auto updated = pods_.update(std::move(marked));
          if (!updated.ok()) return updated.status();
          current = updated.value();
        }
        return delete_gracefully(*current, grace_seconds);
      },
      std::move(done));
}

void ApiServer::finish(std::uint32_t slot, const ApiResponse& response) {
  Pending& p = pending_[slot];
  Done done = std::move(p.done);
  verb_latency_[static_cast<std::size_t>(p.verb)]->record_duration(sim_.now() - p.sent);
  if (!response.status.ok()) write_errors_.add();
  p.apply = nullptr;
  p.live = false;
  ++p.generation;
  pending_.release(slot);
  --pending_count_;
  if (done) done(response.status);
}

}  // namespace kubesim::models
