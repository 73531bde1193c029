// The FGD paper's replay method; see gpu_replay.hpp.
#include "experiments/gpu_replay.hpp"


#include <algorithm>
#include <bit>
#include <cmath>
#include <fstream>
#include <map>
#include <numeric>
#include <span>
#include <tuple>
#include <unordered_map>

#include "experiments/trace_replay.hpp"
#include "scenarios/trace_common.hpp"
#include "scenarios/traces.hpp"
#include "sim/random.hpp"

namespace kubesim::experiments {

namespace gpu = policies::gpu;

namespace {

// ---- CSV input through the trace importers' reader (scenarios/trace_common.hpp) -------

template <typename RowFn>
sim::Status read_csv(const std::string& path, std::span<const std::string_view> expected_header,
                     RowFn row) {
  std::string text;
  scenarios::Diagnostics diagnostics;
  if (!scenarios::traces::detail::read_whole_file(path, text, diagnostics)) {
    return sim::Status::not_found(diagnostics.format());
  }
  scenarios::traces::detail::CsvReader csv(text);
  if (!csv.next()) return sim::Status::invalid_argument(path + ":1: empty file");
  for (std::size_t i = 0; i < expected_header.size(); ++i) {
    if (i >= csv.size() || scenarios::traces::detail::trim(csv[i]) != expected_header[i]) {
      return sim::Status::invalid_argument(path + ":1: column " + std::to_string(i + 1) +
                                           " should be '" + std::string(expected_header[i]) + "'");
    }
  }
  while (csv.next()) {
    if (csv.size() < expected_header.size()) {
      return sim::Status::invalid_argument(path + ":" + std::to_string(csv.line()) +
                                           ": expected " + std::to_string(expected_header.size()) +
                                           " columns, got " + std::to_string(csv.size()));
    }
    const std::string error = row(std::span<const std::string_view>(csv.fields()));
    if (!error.empty()) {
      return sim::Status::invalid_argument(path + ":" + std::to_string(csv.line()) + ": " + error);
    }
  }
  return sim::Status::ok_status();
}

std::string int_field(std::string_view text, std::string_view column, std::int64_t* out) {
  const auto v = scenarios::traces::detail::parse_int(text);
  if (v) *out = *v;
  if (!v || *out < 0) {
    return "column " + std::string(column) + ": expected a non-negative integer, got '" +
           std::string(text) + "'";
  }
  return "";
}

// The shape of a demand as far as the scores go (memory does not enter any score).
struct ScoreKey {
  std::int64_t cpu;
  std::int32_t num_gpu;
  std::int32_t gpu_milli;
  std::uint64_t models;
  friend bool operator<(const ScoreKey& a, const ScoreKey& b) {
    return std::tie(a.cpu, a.num_gpu, a.gpu_milli, a.models) <
           std::tie(b.cpu, b.num_gpu, b.gpu_milli, b.models);
  }
};

// What the filter needs of a node, packed so the per-arrival scan over all nodes stays in
// L1/L2 (24 bytes per node instead of the 320-byte GpuNodeState). Must agree with
// gpu::feasible; whole-GPU pods with gpu_milli < 1000 (which upstream rejects) fall back
// to it.
struct NodeFit {
  std::int64_t cpu_free;
  std::int64_t memory_free;
  std::int16_t max_device_free;
  std::int16_t fully_free;
  gpu::ModelId model;
  std::uint8_t has_gpus;
};

NodeFit summarize(const gpu::GpuNodeState& n) {
  NodeFit f{n.cpu_free, n.memory_free_mib, 0,
            0,          n.model,           n.gpu_count > 0 ? std::uint8_t{1} : std::uint8_t{0}};
  for (int i = 0; i < n.gpu_count; ++i) {
    f.max_device_free = std::max(f.max_device_free, n.free_milli[static_cast<std::size_t>(i)]);
    if (n.free_milli[static_cast<std::size_t>(i)] == gpu::kMilliPerGpu) ++f.fully_free;
  }
  return f;
}

struct CachedScore {
  std::uint32_t version = 0;  // node version + 1 when filled; 0 = empty
  std::int32_t score = 0;
  std::uint64_t devices = 0;
};

}  // namespace

// ---- Replay -------------------------------------------------------------------------------

GpuReplayResult replay_gpu(const GpuReplayInput& input, gpu::GpuPolicy policy, std::uint64_t seed) {
  const std::size_t node_count = input.nodes.size();
  gpu::ModelTable models;
  std::vector<gpu::GpuNodeState> nodes;
  nodes.reserve(node_count);
  GpuReplayResult result;
  result.policy = policy;
  for (const GpuReplayNode& n : input.nodes) {
    const gpu::ModelId model = n.model.empty() ? gpu::kNoModel : models.intern(n.model);
    nodes.push_back(gpu::GpuNodeState::make(n.cpu_milli, n.memory_mib, n.gpus, model));
    result.capacity_milli += static_cast<std::int64_t>(n.gpus) * gpu::kMilliPerGpu;
  }
  auto to_demand = [&models](const GpuReplayPod& p) {
    gpu::GpuDemand d;
    d.cpu_milli = p.cpu_milli;
    d.memory_mib = p.memory_mib;
    d.num_gpu = p.num_gpu;
    d.gpu_milli = p.gpu_milli;
    d.models = models.parse_spec(p.gpu_spec);
    return d;
  };
  std::vector<gpu::GpuDemand> typical_demands;
  typical_demands.reserve(input.typical_source.size());
  for (const GpuReplayPod& p : input.typical_source) typical_demands.push_back(to_demand(p));
  const gpu::TypicalPods typical = gpu::TypicalPods::build(typical_demands);
  result.typical_pods = typical.size();

  std::vector<gpu::GpuDemand> demands;
  std::vector<std::uint32_t> shape;  // per arrival: index of its ScoreKey
  demands.reserve(input.arrivals.size());
  shape.reserve(input.arrivals.size());
  std::map<ScoreKey, std::uint32_t> shapes;
  for (const GpuReplayPod& p : input.arrivals) {
    const gpu::GpuDemand d = to_demand(p);
    demands.push_back(d);
    const ScoreKey key{d.cpu_milli, d.num_gpu, d.gpu_milli, d.models.bits};
    const auto [it, inserted] = shapes.emplace(key, static_cast<std::uint32_t>(shapes.size()));
    shape.push_back(it->second);
  }

  std::vector<double> frag(node_count);
  double total_frag = 0;
  std::vector<NodeFit> fit(node_count);
  for (std::size_t n = 0; n < node_count; ++n) {
    frag[n] = gpu::node_fragmentation(typical, nodes[n]);
    total_frag += frag[n];
    fit[n] = summarize(nodes[n]);
  }
  std::vector<std::uint32_t> version(node_count, 0);
  std::vector<CachedScore> cache(shapes.size() * node_count);
  std::vector<std::int32_t> rank = input.rank;
  if (rank.size() != node_count) {
    rank.resize(node_count);
    std::iota(rank.begin(), rank.end(), 0);
  }

  sim::Rng rng(seed, 0, "gpu-replay/random");
  std::vector<std::uint32_t> feasible;
  std::vector<std::int64_t> scores;
  feasible.reserve(node_count);
  scores.reserve(node_count);
  result.outcomes.resize(input.arrivals.size());
  result.timeline.resize(input.arrivals.size());
  std::int64_t arrived = 0;
  std::int64_t used = 0;
  std::int32_t failed = 0;
  std::int32_t failed_gpu = 0;

  for (std::size_t a = 0; a < demands.size(); ++a) {
    const gpu::GpuDemand& d = demands[a];
    arrived += d.total_gpu_milli();
    feasible.clear();
    if (!d.needs_gpu()) {
      for (std::uint32_t n = 0; n < node_count; ++n) {
        if (d.cpu_milli <= fit[n].cpu_free && d.memory_mib <= fit[n].memory_free) {
          feasible.push_back(n);
        }
      }
    } else if (d.is_share() || d.gpu_milli == gpu::kMilliPerGpu) {
      const bool share = d.is_share();
      for (std::uint32_t n = 0; n < node_count; ++n) {
        const NodeFit& f = fit[n];
        if (d.cpu_milli <= f.cpu_free && d.memory_mib <= f.memory_free && f.has_gpus != 0 &&
            (share ? f.max_device_free >= d.gpu_milli : f.fully_free >= d.num_gpu) &&
            d.models.allows(f.model)) {
          feasible.push_back(n);
        }
      }
    } else {
      for (std::uint32_t n = 0; n < node_count; ++n) {
        if (gpu::feasible(nodes[n], d)) feasible.push_back(n);
      }
    }
    std::int32_t chosen = -1;
    std::uint64_t devices = 0;
    if (!feasible.empty()) {
      if (policy == gpu::GpuPolicy::kRandom) {
        // random_score.go PreScore: one feasible node uniformly at random.
        chosen = static_cast<std::int32_t>(feasible[rng.below(feasible.size())]);
        devices = gpu::random_devices(nodes[chosen], d, rng);
      } else {
        scores.clear();
        CachedScore* row = &cache[static_cast<std::size_t>(shape[a]) * node_count];
        for (std::uint32_t n : feasible) {
          CachedScore& c = row[n];
          if (c.version != version[n] + 1) {
            const gpu::ScoredChoice choice = gpu::policy_score(policy, nodes[n], d, typical, frag[n]);
            c = {version[n] + 1, static_cast<std::int32_t>(choice.score), choice.devices};
          }
          scores.push_back(c.score);
        }
        if (gpu::normalizes(policy)) gpu::normalize_min_max(scores);
        // Highest score; ties to the lowest rank.
        std::size_t best = 0;
        for (std::size_t k = 1; k < feasible.size(); ++k) {
          if (scores[k] > scores[best] ||
              (scores[k] == scores[best] && rank[feasible[k]] < rank[feasible[best]])) {
            best = k;
          }
        }
        chosen = static_cast<std::int32_t>(feasible[best]);
        devices = policy == gpu::GpuPolicy::kFgd ? row[chosen].devices
                                                 : gpu::best_fit_devices(nodes[chosen], d);
      }
    }
    if (chosen >= 0) {
      gpu::allocate(nodes[chosen], d, devices);
      ++version[chosen];
      fit[static_cast<std::size_t>(chosen)] = summarize(nodes[chosen]);
      const double updated = gpu::node_fragmentation(typical, nodes[chosen]);
      total_frag += updated - frag[chosen];
      frag[chosen] = updated;
      used += static_cast<std::int64_t>(std::popcount(devices)) * d.gpu_milli;
      result.outcomes[a] = {chosen, devices};
    } else {
      ++failed;
      if (d.needs_gpu()) ++failed_gpu;
    }
    GpuReplayPoint& point = result.timeline[a];
    point.arrived_milli = arrived;
    point.used_milli = used;
    point.fragmentation_milli = total_frag;
    point.idle_milli = result.capacity_milli - used;
    point.failed_pods = failed;
    point.failed_gpu_pods = failed_gpu;
  }
  return result;
}

int arrived_percent(const GpuReplayResult& result, const GpuReplayPoint& point) {
  if (result.capacity_milli == 0) return 0;
  // Rounded half to even, as Python's round() in the paper's analysis scripts.
  return static_cast<int>(std::nearbyint(static_cast<double>(point.arrived_milli) * 100.0 /
                                         static_cast<double>(result.capacity_milli)));
}

GpuHeadline headline_at(const GpuReplayResult& result, int percent) {
  GpuHeadline h;
  h.arrived_percent = percent;
  const double capacity = static_cast<double>(result.capacity_milli);
  for (const GpuReplayPoint& p : result.timeline) {
    if (arrived_percent(result, p) != percent) continue;
    ++h.events;
    h.allocation_percent += static_cast<double>(p.used_milli) / capacity * 100.0;
    h.unallocated_gpus += static_cast<double>(result.capacity_milli - p.used_milli) / 1000.0;
    h.fragmentation_percent += p.fragmentation_milli / capacity * 100.0;
    h.fragmentation_ratio +=
        p.idle_milli > 0 ? p.fragmentation_milli / static_cast<double>(p.idle_milli) * 100.0 : 0.0;
    h.failed_pods += p.failed_pods;
  }
  if (h.events > 0) {
    const double n = h.events;
    h.allocation_percent /= n;
    h.unallocated_gpus /= n;
    h.fragmentation_percent /= n;
    h.fragmentation_ratio /= n;
    h.failed_pods /= n;
  }
  return h;
}

// ---- Inputs -------------------------------------------------------------------------------

sim::Result<std::vector<GpuReplayNode>> read_openb_nodes(const std::string& path) {
  scenarios::Diagnostics diagnostics;
  const auto trace = scenarios::traces::load_cluster_trace("alibaba-openb", {path}, {}, diagnostics);
  if (!trace) return sim::Status::invalid_argument(diagnostics.format());
  std::vector<GpuReplayNode> nodes;
  nodes.reserve(trace->nodes.size());
  for (const auto& t : trace->nodes) {
    if (t.gpu_count > gpu::kMaxGpusPerNode) {
      return sim::Status::invalid_argument(path + ":" + std::to_string(t.line) +
                                           ": more than 64 GPUs on a node");
    }
    nodes.push_back(GpuReplayNode{t.name, t.cpu_milli, t.memory_bytes / (1024 * 1024), t.gpu_count,
                                  t.gpu_model});
  }
  return nodes;
}

namespace {

std::string pod_fields(std::span<const std::string_view> f, std::size_t first, GpuReplayPod* p) {
  std::int64_t num_gpu = 0;
  std::int64_t gpu_milli = 0;
  if (auto e = int_field(f[first], "cpu_milli", &p->cpu_milli); !e.empty()) return e;
  if (auto e = int_field(f[first + 1], "memory_mib", &p->memory_mib); !e.empty()) return e;
  if (auto e = int_field(f[first + 2], "num_gpu", &num_gpu); !e.empty()) return e;
  if (auto e = int_field(f[first + 3], "gpu_milli", &gpu_milli); !e.empty()) return e;
  if (num_gpu > gpu::kMaxGpusPerNode) return "column num_gpu: more than 64";
  if (gpu_milli > gpu::kMilliPerGpu) return "column gpu_milli: more than 1000";
  p->num_gpu = static_cast<std::int32_t>(num_gpu);
  p->gpu_milli = static_cast<std::int32_t>(gpu_milli);
  p->gpu_spec = std::string(f[first + 4]);
  return "";
}

}  // namespace

sim::Result<std::vector<GpuReplayPod>> read_openb_pods(const std::string& path) {
  scenarios::Diagnostics diagnostics;
  const auto trace = scenarios::traces::load_cluster_trace("alibaba-openb", {path}, {}, diagnostics);
  if (!trace) return sim::Status::invalid_argument(diagnostics.format());
  std::vector<GpuReplayPod> pods;
  pods.reserve(trace->pods.size());
  for (const auto& t : trace->pods) {
    GpuReplayPod p;
    p.name = t.name;
    p.base_pod = t.name;
    p.cpu_milli = t.cpu_milli;
    p.memory_mib = t.memory_bytes / (1024 * 1024);
    p.num_gpu = t.num_gpu;
    p.gpu_milli = t.gpu_milli;
    for (const auto& m : t.gpu_models) p.gpu_spec += (p.gpu_spec.empty() ? "" : "|") + m;
    pods.push_back(std::move(p));
  }
  return pods;
}

sim::Result<std::vector<GpuReferenceArrival>> read_reference_arrivals(const std::string& path) {
  static constexpr std::string_view kHeader[] = {"seq",        "pod",     "base_pod",  "cpu_milli",
                                                 "memory_mib", "num_gpu", "gpu_milli", "gpu_spec",
                                                 "outcome",    "node",    "node_rank", "gpu_index"};
  std::vector<GpuReferenceArrival> arrivals;
  const sim::Status status = read_csv(path, kHeader, [&](const auto& f) -> std::string {
    GpuReferenceArrival r;
    r.pod.name = std::string(f[1]);
    r.pod.base_pod = std::string(f[2]);
    if (auto e = pod_fields(f, 3, &r.pod); !e.empty()) return e;
    if (f[8] == "scheduled") {
      r.scheduled = true;
    } else if (f[8] != "failed") {
      return "column outcome: expected 'scheduled' or 'failed', got '" + std::string(f[8]) + "'";
    }
    r.node = std::string(f[9]);
    r.gpu_index = std::string(f[11]);
    arrivals.push_back(std::move(r));
    return "";
  });
  if (!status.ok()) return status;
  return arrivals;
}

sim::Result<std::vector<std::int32_t>> read_node_ranks(const std::string& path,
                                                       const std::vector<GpuReplayNode>& nodes) {
  static constexpr std::string_view kHeader[] = {"node", "rank"};
  std::unordered_map<std::string, std::int32_t> by_name;
  const sim::Status status = read_csv(path, kHeader, [&](const auto& f) -> std::string {
    std::int64_t r = 0;
    if (auto e = int_field(f[1], "rank", &r); !e.empty()) return e;
    by_name[std::string(f[0])] = static_cast<std::int32_t>(r);
    return "";
  });
  if (!status.ok()) return status;
  std::vector<std::int32_t> ranks;
  ranks.reserve(nodes.size());
  for (const GpuReplayNode& n : nodes) {
    const auto it = by_name.find(n.name);
    if (it == by_name.end()) {
      return sim::Status::invalid_argument(path + ": no rank for node " + n.name);
    }
    ranks.push_back(it->second);
  }
  return ranks;
}

// ---- The paper's arrival construction -------------------------------------------------------

std::vector<GpuReplayPod> paper_arrivals(std::vector<GpuReplayPod> pods,
                                         std::int64_t capacity_milli, double inflation,
                                         std::uint64_t seed) {
  // upstream simulator.go: SetWorkloadPods keeps the originals sorted by name;
  // SortClusterPods (shufflePod) sorts by name and shuffles; TunePodsByNodeTotalResource
  // then appends clones (tuneUpPods) or drops random pods (tuneDownPods) — the shared
  // rules of experiments/trace_replay.hpp.
  std::sort(pods.begin(), pods.end(),
            [](const GpuReplayPod& a, const GpuReplayPod& b) { return a.name < b.name; });
  sim::Rng rng(seed, 0, "gpu-replay/arrivals");
  std::vector<const std::string*> names;
  std::vector<std::int64_t> demand;
  std::vector<std::int32_t> share;
  for (const GpuReplayPod& p : pods) {
    names.push_back(&p.name);
    demand.push_back(static_cast<std::int64_t>(p.num_gpu) * p.gpu_milli);
    share.push_back(p.num_gpu > 0 ? p.gpu_milli : 0);
  }
  const std::vector<std::uint32_t> order = shuffled_by_name(names, rng);
  std::vector<std::uint32_t> by_name(pods.size());
  std::iota(by_name.begin(), by_name.end(), 0U);
  const double limit = inflation <= 0 ? 0 : inflation * static_cast<double>(capacity_milli);
  std::vector<GpuReplayPod> out;
  for (const auto& [row, k] : tune_workload(order, by_name, demand, share, limit, rng)) {
    GpuReplayPod p = pods[row];
    if (k >= 0) {
      p.base_pod = p.name;
      p.name += "-tuned-" + std::to_string(k);
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<std::int32_t> seeded_ranks(std::size_t node_count, std::uint64_t seed) {
  std::vector<std::int32_t> ranks(node_count);
  std::iota(ranks.begin(), ranks.end(), 0);
  sim::Rng rng(seed, 0, "gpu-replay/ranks");
  for (std::size_t i = node_count; i > 1; --i) {
    std::swap(ranks[i - 1], ranks[rng.below(i)]);
  }
  return ranks;
}

}  // namespace kubesim::experiments
