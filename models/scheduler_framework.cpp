#include "models/scheduler_framework.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cassert>
#include <map>
#include <utility>

namespace kubesim::models::sched {

// ---- Status ------------------------------------------------------------------------------

std::string_view to_string(Code code) {
  switch (code) {
    case Code::kSuccess:
      return "Success";
    case Code::kError:
      return "Error";
    case Code::kUnschedulable:
      return "Unschedulable";
    case Code::kUnschedulableAndUnresolvable:
      return "UnschedulableAndUnresolvable";
    case Code::kWait:
      return "Wait";
    case Code::kSkip:
      return "Skip";
    case Code::kPending:
      return "Pending";
  }
  return "Unknown";
}

std::string PluginStatus::message() const {
  std::string out = reason;
  for (const auto& r : more_reasons) {
    if (!out.empty()) out += ", ";
    out += r;
  }
  return out;
}

// ---- PodInfo -----------------------------------------------------------------------------

namespace {

constexpr std::int64_t kDefaultMilliCpu = 100;                // upstream schedutil
constexpr std::int64_t kDefaultMemory = 200LL * 1024 * 1024;  // DefaultMemoryRequest

struct CpuMem {
  std::int64_t cpu = 0;
  std::int64_t mem = 0;
};

// A container's requests with the non-missing defaults (upstream applyNonMissing).
CpuMem non_missing(const Container& c) {
  return {c.requests.has(kResourceCpu) ? c.requests.cpu_milli : kDefaultMilliCpu,
          c.requests.has(kResourceMemory) ? c.requests.memory : kDefaultMemory};
}

// upstream: component-helpers resource.PodRequests with NonMissingContainerRequests
// {cpu: 100m, memory: 200Mi}, as NodeInfo.calculateResource uses it for NonZeroRequested.
CpuMem non_zero_pod_requests(const Pod& pod) {
  CpuMem running;
  for (const auto& c : pod.spec.containers) {
    const CpuMem r = non_missing(c);
    running.cpu += r.cpu;
    running.mem += r.mem;
  }
  CpuMem sidecars;
  CpuMem init_peak;
  for (const auto& c : pod.spec.init_containers) {
    const CpuMem r = non_missing(c);
    CpuMem during;
    if (c.restartable) {
      running.cpu += r.cpu;
      running.mem += r.mem;
      sidecars.cpu += r.cpu;
      sidecars.mem += r.mem;
      during = sidecars;
    } else {
      during = {r.cpu + sidecars.cpu, r.mem + sidecars.mem};
    }
    init_peak.cpu = std::max(init_peak.cpu, during.cpu);
    init_peak.mem = std::max(init_peak.mem, during.mem);
  }
  return {std::max(running.cpu, init_peak.cpu) + pod.spec.overhead.cpu_milli,
          std::max(running.mem, init_peak.mem) + pod.spec.overhead.memory};
}

constexpr std::string_view kAnyIp = "0.0.0.0";

HostPortInfo sanitized(const ContainerPort& p) {
  // upstream: framework.HostPortInfo.sanitize: "" IP is 0.0.0.0, "" protocol TCP.
  return {p.host_ip.empty() ? std::string(kAnyIp) : p.host_ip,
          p.protocol.empty() ? std::string("TCP") : p.protocol, p.host_port};
}

}  // namespace

bool HostPortInfo::conflicts_with(const HostPortInfo& other) const {
  // upstream: framework/types.go, HostPortInfo.CheckConflict.
  if (port <= 0 || port != other.port || protocol != other.protocol) return false;
  return ip == other.ip || ip == kAnyIp || other.ip == kAnyIp;
}

PodInfo PodInfo::from(std::shared_ptr<const Pod> pod) {
  assert(pod);
  PodInfo info;
  info.requests = pod->requests();
  const CpuMem nz = non_zero_pod_requests(*pod);
  info.non_zero_milli_cpu = nz.cpu;
  info.non_zero_memory = nz.mem;
  info.has_affinity = !pod->spec.pod_affinity.empty() || !pod->spec.pod_anti_affinity.empty();
  info.has_required_anti_affinity = !pod->spec.pod_anti_affinity.required.empty();
  // upstream: NodePorts getContainerPorts and NodeInfo.updateUsedPorts read the app
  // containers' ports with hostPort > 0.
  for (const auto& c : pod->spec.containers) {
    for (const auto& p : c.ports) {
      if (p.host_port > 0) info.host_ports.push_back(sanitized(p));
    }
  }
  if (info.requests.gpu > 0 || pod->metadata.annotations.find(kAnnotationGpuMilli)) {
    info.gpu = pod->gpu_demand();
  }
  info.key_ = pod->metadata.namespace_ + "/" + pod->metadata.name;
  info.pod = std::move(pod);
  return info;
}

// ---- NodeInfo ----------------------------------------------------------------------------

namespace {

std::string zone_key_of(const Node& node) {
  // upstream: k8s.io/component-helpers/node/topology, GetZoneKey (with the deprecated beta
  // labels as fallbacks).
  const Labels& l = node.metadata.labels;
  const std::string* zone = l.find(kLabelZone);
  if (!zone) zone = l.find("failure-domain.beta.kubernetes.io/zone");
  const std::string* region = l.find(kLabelRegion);
  if (!region) region = l.find("failure-domain.beta.kubernetes.io/region");
  const std::string z = zone ? *zone : std::string();
  const std::string r = region ? *region : std::string();
  if (z.empty() && r.empty()) return {};
  std::string key = r;
  key += ':';
  key += '\0';
  key += ':';
  key += z;
  return key;
}

}  // namespace

std::optional<std::int64_t> NodeInfo::image_size(std::string_view name) const {
  auto it = std::lower_bound(images_.begin(), images_.end(), name,
                             [](const auto& e, std::string_view n) { return e.first < n; });
  if (it == images_.end() || it->first != name) return std::nullopt;
  return it->second;
}

std::optional<std::int64_t> NodeInfo::image_size(std::uint32_t image_id) const {
  for (std::size_t i = 0; i < num_inline_images_; ++i) {
    if (inline_image_ids_[i] == image_id) return inline_image_sizes_[i];
  }
  for (const auto& [id, size] : image_ids_) {
    if (id == image_id) return size;
  }
  return std::nullopt;
}

void NodeInfo::affinity_changed() {
  if (owner_ != nullptr) owner_->affinity_dirty_ = true;
}

void NodeInfo::set_node(std::shared_ptr<const Node> node) {
  assert(node);
  node_ = std::move(node);
  allocatable_ = node_->status.allocatable;
  inv_alloc_cpu_ =
      allocatable_.cpu_milli > 0 ? 1.0 / static_cast<double>(allocatable_.cpu_milli) : 0;
  inv_alloc_mem_ = allocatable_.memory > 0 ? 1.0 / static_cast<double>(allocatable_.memory) : 0;
  unschedulable_ = node_->spec.unschedulable;
  has_taints_ = !node_->spec.taints.empty();
  has_hard_taints_ = false;
  has_prefer_taints_ = false;
  for (const auto& t : node_->spec.taints) {
    if (t.effect == TaintEffect::kPreferNoSchedule) {
      has_prefer_taints_ = true;
    } else {
      has_hard_taints_ = true;
    }
  }
  hard_taint_set_ = has_hard_taints_ && owner_ != nullptr ? owner_->intern_hard_taints(*node_) : 0;
  images_.clear();
  for (const auto& image : node_->status.images) {
    for (const auto& name : image.names) images_.emplace_back(name, image.size_bytes);
  }
  std::sort(images_.begin(), images_.end());
  images_.erase(std::unique(images_.begin(), images_.end(),
                            [](const auto& a, const auto& b) { return a.first == b.first; }),
                images_.end());
  has_images_ = !images_.empty();
  num_inline_images_ = 0;
  image_ids_.clear();
  zone_key_ = zone_key_of(*node_);
  // GPU devices: resize to the node's allocatable (pods keep their accounting; devices
  // beyond a shrunk count are dropped from the view).
  const auto devices = static_cast<std::size_t>(std::clamp<std::int64_t>(allocatable_.gpu, 0, 64));
  if (devices != gpu_used_milli_.size()) {
    gpu_used_milli_.resize(devices, 0);
    gpu_used_milli_total_ = 0;
    gpus_in_use_ = 0;
    for (std::size_t i = 0; i < devices; ++i) {
      gpu_used_milli_total_ += gpu_used_milli_[i];
      if (gpu_used_milli_[i] > 0) gpus_in_use_ |= std::uint64_t{1} << i;
    }
  }
  ++generation_;
  if (owner_ != nullptr) owner_->journal(this);
}

std::int32_t NodeInfo::gpu_free_devices() const {
  std::int32_t n = 0;
  for (const std::int16_t used : gpu_used_milli_) n += used == 0 ? 1 : 0;
  return n;
}

std::vector<std::int32_t> NodeInfo::default_gpu_devices(const GpuDemandOfPod& demand) const {
  std::vector<std::int32_t> out;
  if (demand.devices <= 0) return out;
  const std::int32_t devices = gpu_devices();
  if (demand.shared()) {
    std::int32_t best = -1;
    for (std::int32_t i = 0; i < devices; ++i) {
      const std::int32_t free = gpu_free_milli(i);
      if (free >= demand.milli && (best < 0 || free < gpu_free_milli(best))) best = i;
    }
    if (best >= 0) out.push_back(best);
    return out;
  }
  for (std::int32_t i = 0; i < devices && static_cast<std::int32_t>(out.size()) < demand.devices;
       ++i) {
    if (gpu_free_milli(i) >= demand.milli) out.push_back(i);
  }
  if (static_cast<std::int32_t>(out.size()) < demand.devices) out.clear();
  return out;
}

void NodeInfo::add_pod(std::shared_ptr<const PodInfo> pod) {
  assert(pod);
  requested_ += pod->requests;
  non_zero_milli_cpu_ += pod->non_zero_milli_cpu;
  non_zero_memory_ += pod->non_zero_memory;
  if (pod->has_affinity && pods_with_affinity_++ == 0) affinity_changed();
  if (pod->has_required_anti_affinity && pods_with_required_anti_affinity_++ == 0) {
    affinity_changed();
  }
  for (const auto& p : pod->host_ports) used_ports_.push_back(p);
  std::uint64_t mask = 0;
  if (pod->gpu.devices > 0) {
    const std::int32_t devices = gpu_devices();
    for (const std::int32_t id : pod->pod->spec.gpu_device_ids) {
      if (id >= 0 && id < devices) mask |= std::uint64_t{1} << id;
    }
    if (mask == 0) {
      // No device ids: the kubelet's device manager picks (see default_gpu_devices).
      for (const std::int32_t id : default_gpu_devices(pod->gpu)) mask |= std::uint64_t{1} << id;
    }
    for (std::int32_t i = 0; i < devices; ++i) {
      if ((mask >> i & 1U) == 0) continue;
      auto& used = gpu_used_milli_[static_cast<std::size_t>(i)];
      used = static_cast<std::int16_t>(used + pod->gpu.milli);
      gpu_used_milli_total_ += pod->gpu.milli;
      gpus_in_use_ |= std::uint64_t{1} << i;
    }
  }
  pod_gpu_masks_.push_back(mask);
  pods_.push_back(std::move(pod));
  ++generation_;
  if (owner_ != nullptr) owner_->journal(this, pods_.back(), +1);
}

bool NodeInfo::remove_pod(std::string_view key) {
  for (std::size_t i = 0; i < pods_.size(); ++i) {
    if (pods_[i]->key() != key) continue;
    const PodInfo& pod = *pods_[i];
    requested_ -= pod.requests;
    non_zero_milli_cpu_ -= pod.non_zero_milli_cpu;
    non_zero_memory_ -= pod.non_zero_memory;
    if (pod.has_affinity && --pods_with_affinity_ == 0) affinity_changed();
    if (pod.has_required_anti_affinity && --pods_with_required_anti_affinity_ == 0) {
      affinity_changed();
    }
    for (const auto& p : pod.host_ports) {
      auto it = std::find(used_ports_.begin(), used_ports_.end(), p);
      if (it != used_ports_.end()) used_ports_.erase(it);
    }
    const std::uint64_t mask = pod_gpu_masks_[i];
    for (std::int32_t d = 0; d < gpu_devices(); ++d) {
      if ((mask >> d & 1U) == 0) continue;
      auto& used = gpu_used_milli_[static_cast<std::size_t>(d)];
      used = static_cast<std::int16_t>(used - pod.gpu.milli);
      gpu_used_milli_total_ -= pod.gpu.milli;
      if (used <= 0) gpus_in_use_ &= ~(std::uint64_t{1} << d);
    }
    // Order of the remaining pods is kept (upstream swaps with the last; order matters only
    // to preemption's victim listing, which sorts anyway).
    std::shared_ptr<const PodInfo> removed = std::move(pods_[i]);
    pods_.erase(pods_.begin() + static_cast<std::ptrdiff_t>(i));
    pod_gpu_masks_.erase(pod_gpu_masks_.begin() + static_cast<std::ptrdiff_t>(i));
    ++generation_;
    if (owner_ != nullptr) owner_->journal(this, std::move(removed), -1);
    return true;
  }
  return false;
}

// ---- Snapshot ----------------------------------------------------------------------------

void Snapshot::count_images(NodeInfo& node, std::int64_t delta) {
  // upstream: internal/cache, addNodeImageStates / removeNodeImageStates: one count per
  // node per image name. On add, the node's images also get their ids.
  if (delta > 0) {
    node.image_ids_.clear();
    node.num_inline_images_ = 0;
  }
  for (const auto& [name, size] : node.images_) {  // unique names
    auto it = image_counts_.find(name);
    if (it == image_counts_.end()) it = image_counts_.emplace(name, 0).first;
    it->second += delta;
    if (it->second <= 0) image_counts_.erase(it);
    if (delta > 0) {
      auto id = image_ids_.find(name);
      if (id == image_ids_.end()) {
        id = image_ids_.emplace(name, static_cast<std::uint32_t>(image_ids_.size())).first;
      }
      if (node.num_inline_images_ < NodeInfo::kInlineImages) {
        node.inline_image_ids_[node.num_inline_images_] = id->second;
        node.inline_image_sizes_[node.num_inline_images_] = size;
        ++node.num_inline_images_;
      } else {
        node.image_ids_.emplace_back(id->second, size);
      }
    }
  }
}

std::optional<std::uint32_t> Snapshot::image_id(std::string_view image) const {
  auto it = image_ids_.find(image);
  if (it == image_ids_.end()) return std::nullopt;
  return it->second;
}

void Snapshot::set_tie_break_ranks(std::map<std::string, std::int64_t, std::less<>> ranks) {
  ranks_ = std::move(ranks);
  for (auto& info : storage_) {
    auto r = ranks_.find(info->name());
    info->rank_ = r == ranks_.end() ? NodeInfo::kNoRank : r->second;
  }
}

namespace {
std::uint64_t next_snapshot_id() {
  // Identity only (never reaches output); atomic because sweeps build Snapshots on several
  // threads.
  static std::atomic<std::uint64_t> next{0};
  return next.fetch_add(1, std::memory_order_relaxed) + 1;
}
}  // namespace

Snapshot::Snapshot() : id_(next_snapshot_id()) {}

Snapshot::Snapshot(Snapshot&& other) noexcept { *this = std::move(other); }

Snapshot& Snapshot::operator=(Snapshot&& other) noexcept {
  if (this == &other) return *this;
  storage_ = std::move(other.storage_);
  order_ = std::move(other.order_);
  order_dirty_ = other.order_dirty_;
  affinity_dirty_ = other.affinity_dirty_;
  with_affinity_ = std::move(other.with_affinity_);
  with_required_anti_affinity_ = std::move(other.with_required_anti_affinity_);
  image_ids_ = std::move(other.image_ids_);
  zones_ = std::move(other.zones_);
  by_name_ = std::move(other.by_name_);
  image_counts_ = std::move(other.image_counts_);
  ranks_ = std::move(other.ranks_);
  for (auto& n : storage_) n->owner_ = this;
  id_ = next_snapshot_id();
  journal_.clear();
  journal_base_ = 0;
  structure_end_ = 0;
  journal_structure();
  other.storage_.clear();
  other.order_.clear();
  other.with_affinity_.clear();
  other.with_required_anti_affinity_.clear();
  other.image_ids_.clear();
  other.zones_.clear();
  other.by_name_.clear();
  other.image_counts_.clear();
  other.ranks_.clear();
  other.order_dirty_ = false;
  other.affinity_dirty_ = true;
  other.journal_structure();
  return *this;
}

void Snapshot::journal(const NodeInfo* node, std::shared_ptr<const PodInfo> pod,
                       std::int32_t delta) {
  // Keep eight records per node (and at least 4,096): a reader further behind re-examines
  // every node and recounts the changed ones, which costs more than reading that many
  // records (a node holds tens of pods). PodTopologySpread's entry for one ReplicaSet's
  // selector goes unused while another set's burst of pods is scheduled.
  const std::size_t keep = std::max<std::size_t>(4096, 8 * storage_.size());
  if (journal_.size() >= 2 * keep) {
    const std::size_t drop = journal_.size() - keep;
    journal_.erase(journal_.begin(), journal_.begin() + static_cast<std::ptrdiff_t>(drop));
    journal_base_ += drop;
  }
  JournalRecord r{node, nullptr, delta, node != nullptr ? node->generation() : 0};
  if (pod != nullptr) {
    r.label_set = label_set_of(*pod->pod);
    r.terminating = pod->pod->metadata.deletion_timestamp.has_value();
  }
  r.pod = std::move(pod);
  journal_.push_back(std::move(r));
}

std::uint32_t Snapshot::intern_hard_taints(const Node& node) {
  std::string key;
  for (const Taint& t : node.spec.taints) {
    if (t.effect == TaintEffect::kPreferNoSchedule) continue;
    key += t.key;
    key += '\0';
    key += t.value;
    key += '\0';
    key += static_cast<char>('0' + static_cast<int>(t.effect));
  }
  if (auto it = hard_taint_sets_.find(std::string_view(key)); it != hard_taint_sets_.end()) {
    return it->second;
  }
  const auto id = static_cast<std::uint32_t>(hard_taint_sets_.size() + 1);
  hard_taint_sets_.emplace(std::move(key), id);
  return id;
}

std::uint32_t Snapshot::label_set_of(const Pod& pod) {
  label_key_.assign(pod.metadata.namespace_);
  for (const auto& [k, v] : pod.metadata.labels) {
    label_key_ += '\0';
    label_key_ += k;
    label_key_ += '\0';
    label_key_ += v;
  }
  if (auto it = label_sets_.find(std::string_view(label_key_)); it != label_sets_.end()) {
    return it->second;
  }
  if (label_sets_.size() >= kMaxLabelSets) {
    // Start over; readers holding numbers of the old epoch drop them (label_epoch).
    label_sets_.clear();
    ++label_epoch_;
  }
  const auto id = static_cast<std::uint32_t>(label_sets_.size());
  label_sets_.emplace(label_key_, id);
  return id;
}

void Snapshot::journal_structure() {
  journal(nullptr);
  structure_end_ = journal_end();
}

bool Snapshot::changed_since(std::uint64_t pos, std::span<const JournalRecord>& out) const {
  if (order_dirty_) rebuild_order();
  if (pos < structure_end_ || pos < journal_base_ || pos > journal_end()) return false;
  out = std::span<const JournalRecord>(journal_).subspan(
      static_cast<std::size_t>(pos - journal_base_));
  return true;
}

NodeInfo& Snapshot::upsert_node(std::shared_ptr<const Node> node) {
  assert(node);
  auto it = by_name_.find(node->metadata.name);
  if (it != by_name_.end()) {
    NodeInfo& info = *it->second;
    count_images(info, -1);
    const std::string old_zone = info.zone_key();
    info.set_node(std::move(node));
    count_images(info, +1);
    if (info.zone_key() != old_zone) {
      // upstream: nodeTree.updateNode: remove from the old zone, append to the new one.
      for (auto z = zones_.begin(); z != zones_.end(); ++z) {
        if (z->first != old_zone) continue;
        auto& v = z->second;
        v.erase(std::find(v.begin(), v.end(), &info));
        if (v.empty()) zones_.erase(z);
        break;
      }
      auto z = std::find_if(zones_.begin(), zones_.end(),
                            [&](const auto& e) { return e.first == info.zone_key(); });
      if (z == zones_.end()) {
        zones_.emplace_back(info.zone_key(), std::vector<NodeInfo*>{});
        z = zones_.end() - 1;
      }
      z->second.push_back(&info);
      order_dirty_ = true;
      journal_structure();
    }
    affinity_dirty_ = true;
    return info;
  }
  auto owned = std::make_unique<NodeInfo>();
  NodeInfo* info = owned.get();
  info->owner_ = this;
  if (auto r = ranks_.find(node->metadata.name); r != ranks_.end()) info->rank_ = r->second;
  info->set_node(std::move(node));
  count_images(*info, +1);
  storage_.push_back(std::move(owned));
  by_name_.emplace(info->name(), info);
  auto z = std::find_if(zones_.begin(), zones_.end(),
                        [&](const auto& e) { return e.first == info->zone_key(); });
  if (z == zones_.end()) {
    zones_.emplace_back(info->zone_key(), std::vector<NodeInfo*>{});
    z = zones_.end() - 1;
  }
  z->second.push_back(info);
  order_dirty_ = true;
  journal_structure();
  affinity_dirty_ = true;
  return *info;
}

bool Snapshot::remove_node(std::string_view name) {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return false;
  NodeInfo* info = it->second;
  count_images(*info, -1);
  for (auto z = zones_.begin(); z != zones_.end(); ++z) {
    if (z->first != info->zone_key()) continue;
    auto& v = z->second;
    v.erase(std::find(v.begin(), v.end(), info));
    if (v.empty()) zones_.erase(z);
    break;
  }
  by_name_.erase(it);
  storage_.erase(std::find_if(storage_.begin(), storage_.end(),
                              [&](const auto& p) { return p.get() == info; }));
  order_dirty_ = true;
  journal_structure();
  affinity_dirty_ = true;
  return true;
}

NodeInfo* Snapshot::find(std::string_view name) {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

const NodeInfo* Snapshot::find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

void Snapshot::rebuild_order() const {
  // upstream: internal/cache/node_tree.go, nodeTree.list: one node per zone per round, zones
  // in the order they were first seen, until every zone is exhausted.
  order_.clear();
  order_.reserve(storage_.size());
  for (std::size_t round = 0; order_.size() < storage_.size(); ++round) {
    bool any = false;
    for (const auto& [zone, nodes] : zones_) {
      if (round < nodes.size()) {
        order_.push_back(nodes[round]);
        any = true;
      }
    }
    if (!any) break;
  }
  for (std::size_t i = 0; i < order_.size(); ++i) order_[i]->index_ = static_cast<std::int32_t>(i);
  order_dirty_ = false;
}

const std::vector<const NodeInfo*>& Snapshot::nodes_with_affinity_pods() const {
  if (affinity_dirty_ || order_dirty_) {
    with_affinity_.clear();
    with_required_anti_affinity_.clear();
    for (const NodeInfo* n : nodes()) {
      if (n->pods_with_affinity() > 0) with_affinity_.push_back(n);
      if (n->pods_with_required_anti_affinity() > 0) with_required_anti_affinity_.push_back(n);
    }
    affinity_dirty_ = false;
  }
  return with_affinity_;
}

const std::vector<const NodeInfo*>& Snapshot::nodes_with_required_anti_affinity_pods() const {
  nodes_with_affinity_pods();  // refreshes both lists
  return with_required_anti_affinity_;
}

std::int64_t Snapshot::nodes_with_image(std::string_view image) const {
  auto it = image_counts_.find(image);
  return it == image_counts_.end() ? 0 : it->second;
}

// ---- CycleState --------------------------------------------------------------------------

CycleState CycleState::clone() const {
  CycleState copy(slots_.size());
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i]) copy.slots_[i] = slots_[i]->clone();
  }
  copy.skip_filter = skip_filter;
  copy.skip_score = skip_score;
  copy.gpu_device_ids = gpu_device_ids;
  return copy;
}

// ---- Framework ---------------------------------------------------------------------------

namespace {

// The sampling rules of policies/score_math.hpp (num_feasible_nodes_to_find, select_host).
// models/ cannot link policies/, so the framework carries its own copy of these few lines;
// tests/policies/registry_test.cpp checks that both agree.
constexpr std::int32_t kMinFeasibleNodesToFind = 100;
constexpr std::int32_t kMinFeasibleNodesPercentageToFind = 5;
constexpr std::int64_t kMaxNodeScore = 100;

std::int32_t num_feasible_nodes_to_find(std::int32_t n, std::int32_t percentage) {
  // upstream: schedule_one.go, numFeasibleNodesToFind.
  if (n < kMinFeasibleNodesToFind) return n;
  if (percentage == 0) {
    percentage = std::max(50 - n / 125, kMinFeasibleNodesPercentageToFind);
  }
  const std::int32_t num = n * percentage / 100;
  return std::max(num, kMinFeasibleNodesToFind);
}

std::optional<std::size_t> select_host(std::span<const std::int64_t> totals, sim::Rng& rng) {
  // upstream: schedule_one.go, selectHost (reservoir sampling among the top scores).
  if (totals.empty()) return std::nullopt;
  const std::int64_t max_score = *std::max_element(totals.begin(), totals.end());
  std::size_t selected = 0;
  std::uint64_t count = 0;
  for (std::size_t i = 0; i < totals.size(); ++i) {
    if (totals[i] != max_score) continue;
    ++count;
    if (count == 1 || rng.below(count) == 0) selected = i;
  }
  return selected;
}

PluginStatus with_plugin(PluginStatus s, const Plugin& plugin) {
  if (s.plugin.empty()) s.plugin = std::string(plugin.name());
  return s;
}

// upstream: framework/types.go, FitError.Error(): "0/N nodes are available:" then
// " <PreFilter message>." or " <count reason, ...>." (the histogram of reasons over the
// nodes' statuses, formatted "count reason" and sorted as strings), then
// " <PostFilter message>.".
std::string fit_error_message(std::size_t num_all_nodes, const std::string& pre_filter_msg,
                              const std::vector<std::pair<const NodeInfo*, PluginStatus>>& rejected,
                              const PluginStatus* absent_status, std::size_t absent_count,
                              const std::string& post_filter_msg) {
  std::string msg = "0/" + std::to_string(num_all_nodes) + " nodes are available:";
  if (!pre_filter_msg.empty()) {
    msg += " " + pre_filter_msg + ".";
  } else {
    std::map<std::string, std::int64_t> counts;
    for (const auto& [node, status] : rejected) {
      if (!status.reason.empty()) ++counts[status.reason];
      for (const auto& r : status.more_reasons) ++counts[r];
    }
    if (absent_status && absent_count > 0) {
      if (!absent_status->reason.empty()) {
        counts[absent_status->reason] += static_cast<std::int64_t>(absent_count);
      }
      for (const auto& r : absent_status->more_reasons) {
        counts[r] += static_cast<std::int64_t>(absent_count);
      }
    }
    std::vector<std::string> parts;
    parts.reserve(counts.size());
    for (const auto& [reason, n] : counts) parts.push_back(std::to_string(n) + " " + reason);
    std::sort(parts.begin(), parts.end());
    if (!parts.empty()) {
      msg += " ";
      for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i) msg += ", ";
        msg += parts[i];
      }
      msg += ".";
    }
  }
  if (!post_filter_msg.empty()) msg += " " + post_filter_msg + ".";
  return msg;
}

}  // namespace

Framework::Framework(std::string scheduler_name, std::vector<std::unique_ptr<Plugin>> plugins,
                     std::vector<PluginRef> pre_filter, std::vector<PluginRef> filter,
                     std::vector<PluginRef> post_filter, std::vector<PluginRef> pre_score,
                     std::vector<PluginRef> score, std::vector<PluginRef> reserve,
                     std::vector<PluginRef> permit, Options options)
    : scheduler_name_(std::move(scheduler_name)),
      plugins_(std::move(plugins)),
      pre_filter_(std::move(pre_filter)),
      filter_(std::move(filter)),
      post_filter_(std::move(post_filter)),
      pre_score_(std::move(pre_score)),
      score_(std::move(score)),
      reserve_(std::move(reserve)),
      permit_(std::move(permit)),
      options_(options) {
  for (std::size_t i = 0; i < plugins_.size(); ++i) plugins_[i]->set_slot(i);
}

Plugin* Framework::find_plugin(std::string_view name) const {
  for (const auto& p : plugins_) {
    if (p->name() == name) return p.get();
  }
  return nullptr;
}

PluginStatus Framework::run_filter(const CycleState& state, const PodInfo& pod,
                                   const NodeInfo& node) {
  // upstream: runtime/framework.go, RunFilterPlugins: the first non-success answer wins.
  for (const PluginRef& ref : filter_) {
    const std::size_t slot = ref.plugin->slot();
    if (slot < state.skip_filter.size() && state.skip_filter[slot]) continue;
    PluginStatus s = ref.plugin->filter(state, pod, node);
    if (s.ok()) continue;
    if (!s.is_rejected()) s.code = Code::kError;
    return with_plugin(std::move(s), *ref.plugin);
  }
  return PluginStatus::success();
}

PluginStatus Framework::run_add_pod(CycleState& state, const PodInfo& pod, const PodInfo& to_add,
                                    const NodeInfo& node) {
  for (const PluginRef& ref : pre_filter_) {
    const std::size_t slot = ref.plugin->slot();
    if (slot < state.skip_filter.size() && state.skip_filter[slot]) continue;
    PluginStatus s = ref.plugin->add_pod(state, pod, to_add, node);
    if (!s.ok()) return with_plugin(std::move(s), *ref.plugin);
  }
  return PluginStatus::success();
}

PluginStatus Framework::run_remove_pod(CycleState& state, const PodInfo& pod,
                                       const PodInfo& to_remove, const NodeInfo& node) {
  for (const PluginRef& ref : pre_filter_) {
    const std::size_t slot = ref.plugin->slot();
    if (slot < state.skip_filter.size() && state.skip_filter[slot]) continue;
    PluginStatus s = ref.plugin->remove_pod(state, pod, to_remove, node);
    if (!s.ok()) return with_plugin(std::move(s), *ref.plugin);
  }
  return PluginStatus::success();
}

PluginStatus Framework::find_nodes_that_pass_filters(
    const CycleState& state, const PodInfo& pod, std::span<const NodeInfo* const> nodes,
    std::vector<std::pair<const NodeInfo*, PluginStatus>>& rejected, bool lazy) {
  // upstream: schedule_one.go, findNodesThatPassFilters.
  feasible_.clear();
  if (lazy) lazy_rejected_.clear();
  const auto n = static_cast<std::int32_t>(nodes.size());
  if (n == 0) return PluginStatus::success();
  const std::int32_t to_find = num_feasible_nodes_to_find(n, options_.percentage_of_nodes_to_score);

  active_filters_.clear();
  quick_filters_.clear();
  for (const PluginRef& ref : filter_) {
    const std::size_t slot = ref.plugin->slot();
    if (slot < state.skip_filter.size() && state.skip_filter[slot]) continue;
    if (ref.plugin->filter_passes_all(state, pod)) continue;
    active_filters_.push_back(ref.plugin);
    quick_filters_.push_back(!ref.plugin->has_quick_filter()    ? 0
                             : ref.plugin->quick_filter_exact() ? 2
                                                                : 1);
  }
  const std::size_t num_active = active_filters_.size();
  if (filter_.empty()) {
    // No Filter plugins: the first `to_find` nodes from the start index; upstream does not
    // advance the index in this case.
    for (std::int32_t i = 0; i < to_find; ++i) {
      feasible_.push_back(nodes[static_cast<std::size_t>((next_start_ + i) % n)]);
    }
    return PluginStatus::success();
  }
  feasible_.resize(static_cast<std::size_t>(to_find));
  std::int32_t found = 0;
  const std::size_t rejected_before = rejected.size() + lazy_rejected_.size();
  std::int64_t index = next_start_ % n;
  constexpr std::int64_t kPrefetchAhead = 6;
  for (std::int32_t i = 0; i < n; ++i) {
    const NodeInfo* node = nodes[static_cast<std::size_t>(index)];
    {
      // The nodes are visited once per ~N/to_find cycles, so each is cold in the cache:
      // fetch the hot part (the first four lines) of a node a few steps ahead.
      std::int64_t ahead = index + kPrefetchAhead;
      if (ahead >= n) ahead %= n;
      const char* p = reinterpret_cast<const char*>(nodes[static_cast<std::size_t>(ahead)]);
      __builtin_prefetch(p);
      __builtin_prefetch(p + 64);
      __builtin_prefetch(p + 128);
      __builtin_prefetch(p + 192);
    }
    if (++index == n) index = 0;
    bool passed = true;
    for (std::size_t f = 0; f < num_active; ++f) {
      Plugin* plugin = active_filters_[f];
      if (quick_filters_[f]) {
        if (plugin->filter_passes(state, pod, *node)) continue;
        if (lazy && quick_filters_[f] == 2) {
          // An exact quick filter said no: a rejection, whose status can wait.
          lazy_rejected_.push_back(LazyRejection{node, plugin, PluginStatus::success()});
          passed = false;
          break;
        }
      }
      PluginStatus s = plugin->filter(state, pod, *node);
      if (s.ok()) continue;
      if (!s.is_rejected()) {
        s.code = Code::kError;
        feasible_.clear();
        return with_plugin(std::move(s), *plugin);
      }
      if (lazy) {
        lazy_rejected_.push_back(LazyRejection{node, plugin, std::move(s)});
      } else {
        rejected.emplace_back(node, with_plugin(std::move(s), *plugin));
      }
      passed = false;
      break;
    }
    if (passed) {
      feasible_[static_cast<std::size_t>(found)] = node;
      if (++found >= to_find) break;
    }
  }
  feasible_.resize(static_cast<std::size_t>(found));
  const auto processed = static_cast<std::int64_t>(feasible_.size() + rejected.size() +
                                                   lazy_rejected_.size() - rejected_before);
  next_start_ = (next_start_ + processed) % n;
  return PluginStatus::success();
}

void Framework::materialize_rejections(
    const CycleState& state, const PodInfo& pod,
    std::vector<std::pair<const NodeInfo*, PluginStatus>>& rejected) {
  for (LazyRejection& r : lazy_rejected_) {
    PluginStatus s = r.status.ok() ? r.plugin->filter(state, pod, *r.node) : std::move(r.status);
    assert(!s.ok() && "filter_passes() said no but filter() passed");
    rejected.emplace_back(r.node, with_plugin(std::move(s), *r.plugin));
  }
  lazy_rejected_.clear();
}

PluginStatus Framework::run_post_filter(
    CycleState& state, const PodInfo& pod, const Snapshot& snapshot,
    const std::vector<std::pair<const NodeInfo*, PluginStatus>>& failures,
    Plugin::PostFilterResult& result) {
  // upstream: runtime/framework.go, RunPostFilterPlugins: the first success wins; an
  // UnschedulableAndUnresolvable answer stops; other rejections' reasons are collected.
  PluginStatus combined;
  combined.code = Code::kUnschedulable;
  for (const PluginRef& ref : post_filter_) {
    Plugin::PostFilterResult r;
    PluginStatus s = ref.plugin->post_filter(state, pod, snapshot, *this, failures, r);
    if (s.ok()) {
      result = std::move(r);
      return with_plugin(std::move(s), *ref.plugin);
    }
    if (s.code == Code::kUnschedulableAndUnresolvable)
      return with_plugin(std::move(s), *ref.plugin);
    if (!s.is_rejected()) {
      s.code = Code::kError;
      return with_plugin(std::move(s), *ref.plugin);
    }
    if (!r.nominated_node.empty()) result = std::move(r);
    if (combined.plugin.empty()) combined.plugin = std::string(ref.plugin->name());
    if (!s.reason.empty()) {
      if (combined.reason.empty()) {
        combined.reason = s.reason;
      } else {
        combined.more_reasons.push_back(s.reason);
      }
    }
    for (auto& m : s.more_reasons) combined.more_reasons.push_back(std::move(m));
  }
  return combined;
}

ScheduleResult Framework::schedule(CycleState& state, const PodInfo& pod, const Snapshot& snapshot,
                                   sim::Rng& rng, CycleDiagnosis* diagnosis) {
  ScheduleResult result;
  const std::size_t num_plugins = plugins_.size();
  state.skip_filter.assign(num_plugins, false);
  state.skip_score.assign(num_plugins, false);

  // upstream: schedule_one.go, schedulePod: ErrNoNodesAvailable.
  if (snapshot.size() == 0) {
    result.status =
        PluginStatus::unschedulable("no nodes available to schedule pods", /*unresolvable=*/true);
    result.fit_error = result.status.reason;
    return result;
  }

  // ---- PreFilter (upstream RunPreFilterPlugins) ----
  std::optional<std::vector<std::string>> allowed;  // merged PreFilterResult, sorted
  std::vector<std::string> plugins_with_nodes;
  PluginStatus pre_filter_status;
  for (const PluginRef& ref : pre_filter_) {
    PreFilterResult r;
    PluginStatus s = ref.plugin->pre_filter(state, pod, snapshot, r);
    if (s.is_skip()) {
      state.skip_filter[ref.plugin->slot()] = true;
      continue;
    }
    if (!s.ok()) {
      if (!s.is_rejected()) {
        s.code = Code::kError;
        result.status = with_plugin(std::move(s), *ref.plugin);
        return result;
      }
      pre_filter_status = with_plugin(std::move(s), *ref.plugin);
      break;
    }
    if (r.node_names) {
      plugins_with_nodes.emplace_back(ref.plugin->name());
      std::vector<std::string> names = std::move(*r.node_names);
      std::sort(names.begin(), names.end());
      names.erase(std::unique(names.begin(), names.end()), names.end());
      if (!allowed) {
        allowed = std::move(names);
      } else {
        std::vector<std::string> both;
        std::set_intersection(allowed->begin(), allowed->end(), names.begin(), names.end(),
                              std::back_inserter(both));
        *allowed = std::move(both);
      }
      if (allowed->empty()) {
        std::string msg;
        if (plugins_with_nodes.size() == 1) {
          msg = "node(s) didn't satisfy plugin " + plugins_with_nodes[0];
        } else {
          msg = "node(s) didn't satisfy plugin(s) [";
          for (std::size_t i = 0; i < plugins_with_nodes.size(); ++i) {
            if (i) msg += " ";
            msg += plugins_with_nodes[i];
          }
          msg += "] simultaneously";
        }
        pre_filter_status = PluginStatus::unschedulable(std::move(msg), true);
        break;
      }
    }
  }

  rejected_.clear();
  lazy_rejected_.clear();
  std::string pre_filter_msg;
  std::size_t absent_count = 0;
  PluginStatus absent_status;
  bool filtered = false;
  if (!pre_filter_status.ok()) {
    // Every node carries the PreFilter status (for PostFilter), and the FitError shows only
    // the PreFilter message.
    pre_filter_msg = pre_filter_status.message();
    if (diagnosis) diagnosis->pre_filter_status = pre_filter_status;
    for (const NodeInfo* node : snapshot.nodes()) rejected_.emplace_back(node, pre_filter_status);
    feasible_.clear();
  } else {
    for (const PluginRef& ref : filter_) ref.plugin->prepare_filter(state, pod);
    // upstream: evaluateNominatedNode: a nominated node (set by an earlier preemption) is
    // tried alone first; if it passes it is the only feasible node.
    const std::string& nominated = pod.pod->status.nominated_node_name;
    if (!nominated.empty()) {
      if (const NodeInfo* node = snapshot.find(nominated)) {
        const NodeInfo* one[] = {node};
        std::vector<std::pair<const NodeInfo*, PluginStatus>> nominated_rejected;
        PluginStatus s = find_nodes_that_pass_filters(state, pod, one, nominated_rejected);
        if (!s.ok()) {
          result.status = std::move(s);
          return result;
        }
        filtered = !feasible_.empty();
      }
    }
    if (!filtered) {
      std::span<const NodeInfo* const> nodes(
          const_cast<const NodeInfo* const*>(snapshot.nodes().data()), snapshot.size());
      if (allowed) {
        // upstream iterates the PreFilterResult's name set (Go map order); kubesim takes
        // the nodes in snapshot order, which is deterministic.
        candidates_.clear();
        for (const NodeInfo* node : snapshot.nodes()) {
          if (std::binary_search(allowed->begin(), allowed->end(), node->name())) {
            candidates_.push_back(node);
          }
        }
        nodes = candidates_;
        std::string msg = "node(s) didn't satisfy plugin(s) [";
        for (std::size_t i = 0; i < plugins_with_nodes.size(); ++i) {
          if (i) msg += " ";
          msg += plugins_with_nodes[i];
        }
        msg += "]";
        absent_status = PluginStatus::unschedulable(std::move(msg), true);
      }
      // Without a diagnosis the reasons are needed only when no node passes.
      PluginStatus s =
          find_nodes_that_pass_filters(state, pod, nodes, rejected_, diagnosis == nullptr);
      if (!s.ok()) {
        result.status = std::move(s);
        return result;
      }
      if (feasible_.empty()) materialize_rejections(state, pod, rejected_);
    }
  }
  if (diagnosis) {
    diagnosis->rejected = rejected_;
  }

  result.feasible_nodes = static_cast<std::int32_t>(feasible_.size());
  if (pre_filter_status.ok()) {
    result.evaluated_nodes =
        static_cast<std::int32_t>(feasible_.size() + rejected_.size() + lazy_rejected_.size());
  }

  if (feasible_.empty()) {
    // upstream: FitError, then PostFilter (schedule_one.go, schedulingCycle).
    if (allowed && pre_filter_status.ok() && rejected_.size() < snapshot.size()) {
      absent_count = snapshot.size() - rejected_.size();
    }
    std::string post_filter_msg;
    if (!post_filter_.empty()) {
      Plugin::PostFilterResult pf;
      PluginStatus s = run_post_filter(state, pod, snapshot, rejected_, pf);
      post_filter_msg = s.message();
      if (s.ok())
        result.post_filter = std::move(pf);
      else if (!pf.nominated_node.empty())
        result.post_filter = std::move(pf);
    }
    result.fit_error = fit_error_message(snapshot.size(), pre_filter_msg, rejected_,
                                         absent_status.reason.empty() ? nullptr : &absent_status,
                                         absent_count, post_filter_msg);
    result.status = PluginStatus::unschedulable(result.fit_error);
    return result;
  }

  if (feasible_.size() == 1) {
    // upstream: "When only one node after predicate, just use it" (no scoring).
    result.node = feasible_[0];
    if (diagnosis) {
      NodeScoreDetail d;
      d.node = feasible_[0];
      diagnosis->scores.push_back(std::move(d));
    }
    return result;
  }

  // ---- Score (upstream prioritizeNodes) ----
  const std::size_t nf = feasible_.size();
  totals_.assign(nf, 0);
  if (score_.empty()) {
    // upstream: with no score plugins every node scores 1.
    std::fill(totals_.begin(), totals_.end(), 1);
  } else {
    std::span<const NodeInfo* const> feasible(feasible_.data(), nf);
    for (const PluginRef& ref : pre_score_) {
      PluginStatus s = ref.plugin->pre_score(state, pod, snapshot, feasible);
      if (s.is_skip()) {
        state.skip_score[ref.plugin->slot()] = true;
        continue;
      }
      if (!s.ok()) {
        s.code = Code::kError;
        result.node = nullptr;
        result.status = with_plugin(std::move(s), *ref.plugin);
        return result;
      }
    }
    if (diagnosis) {
      diagnosis->score_plugins.clear();
      diagnosis->score_weights.clear();
      diagnosis->scores.assign(nf, NodeScoreDetail{});
      for (std::size_t i = 0; i < nf; ++i) {
        diagnosis->scores[i].node = feasible_[i];
        diagnosis->scores[i].raw.assign(score_.size(), 0);
        diagnosis->scores[i].normalized.assign(score_.size(), 0);
      }
    }
    scores_.resize(nf);
    for (std::size_t p = 0; p < score_.size(); ++p) {
      const PluginRef& ref = score_[p];
      if (diagnosis) {
        diagnosis->score_plugins.emplace_back(ref.plugin->name());
        diagnosis->score_weights.push_back(ref.weight);
      }
      if (state.skip_score[ref.plugin->slot()]) continue;
      ref.plugin->prepare_score(state, pod, snapshot);
      ref.plugin->score_nodes(state, pod, feasible, std::span<std::int64_t>(scores_.data(), nf));
      if (diagnosis) {
        for (std::size_t i = 0; i < nf; ++i) diagnosis->scores[i].raw[p] = scores_[i];
      }
      if (ref.plugin->has_normalize()) {
        ref.plugin->normalize_scores(state, pod, std::span<std::int64_t>(scores_.data(), nf));
      }
      for (std::size_t i = 0; i < nf; ++i) {
        // upstream: RunScorePlugins rejects a score outside [0, MaxNodeScore].
        if (scores_[i] < 0 || scores_[i] > kMaxNodeScore) {
          result.status =
              PluginStatus::error("plugin \"" + std::string(ref.plugin->name()) +
                                  "\" returns an invalid score " + std::to_string(scores_[i]) +
                                  ", it should in the range of [0, 100] after "
                                  "normalizing");
          result.status.plugin = std::string(ref.plugin->name());
          return result;
        }
        totals_[i] += scores_[i] * ref.weight;
      }
      if (diagnosis) {
        for (std::size_t i = 0; i < nf; ++i) diagnosis->scores[i].normalized[p] = scores_[i];
      }
    }
    if (diagnosis) {
      for (std::size_t i = 0; i < nf; ++i) diagnosis->scores[i].total = totals_[i];
    }
  }
  if (options_.tie_break_by_node_rank) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < nf; ++i) {
      if (totals_[i] > totals_[best] ||
          (totals_[i] == totals_[best] &&
           feasible_[i]->tie_break_rank() < feasible_[best]->tie_break_rank())) {
        best = i;
      }
    }
    result.node = feasible_[best];
    return result;
  }
  const auto chosen = select_host(std::span<const std::int64_t>(totals_.data(), nf), rng);
  result.node = feasible_[*chosen];
  return result;
}

PluginStatus Framework::run_reserve(CycleState& state, const PodInfo& pod, const NodeInfo& node) {
  // upstream: RunReservePluginsReserve; on failure the scheduler runs Unreserve of every
  // Reserve plugin in reverse order.
  for (const PluginRef& ref : reserve_) {
    PluginStatus s = ref.plugin->reserve(state, pod, node);
    if (!s.ok()) {
      if (!s.is_rejected()) s.code = Code::kError;
      run_unreserve(state, pod, node);
      return with_plugin(std::move(s), *ref.plugin);
    }
  }
  return PluginStatus::success();
}

void Framework::run_unreserve(CycleState& state, const PodInfo& pod, const NodeInfo& node) {
  for (auto it = reserve_.rbegin(); it != reserve_.rend(); ++it) {
    it->plugin->unreserve(state, pod, node);
  }
}

std::vector<Plugin::WaitingPodDecision> Framework::take_waiting_pod_decisions() {
  std::vector<Plugin::WaitingPodDecision> out;
  for (const auto& plugin : plugins_) {
    for (auto& d : plugin->take_waiting_pod_decisions()) out.push_back(std::move(d));
  }
  return out;
}

PluginStatus Framework::run_permit(CycleState& state, const PodInfo& pod, const NodeInfo& node,
                                   sim::Duration& wait) {
  // upstream: RunPermitPlugins: a rejection stops; Wait answers are collected and the pod
  // waits (here: for the longest timeout any plugin asked for).
  wait = 0;
  bool waiting = false;
  std::string waiting_plugin;
  for (const PluginRef& ref : permit_) {
    sim::Duration timeout = 0;
    PluginStatus s = ref.plugin->permit(state, pod, node, timeout);
    if (s.ok()) continue;
    if (s.code == Code::kWait) {
      waiting = true;
      wait = std::max(wait, timeout);
      if (waiting_plugin.empty()) waiting_plugin = std::string(ref.plugin->name());
      continue;
    }
    if (!s.is_rejected()) s.code = Code::kError;
    return with_plugin(std::move(s), *ref.plugin);
  }
  if (waiting) {
    PluginStatus s = PluginStatus::wait();
    s.plugin = std::move(waiting_plugin);
    return s;
  }
  return PluginStatus::success();
}

}  // namespace kubesim::models::sched
