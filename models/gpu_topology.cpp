#include "models/gpu_topology.hpp"

#include <algorithm>
#include <array>
#include <boost/graph/adjacency_matrix.hpp>
#include <boost/graph/connected_components.hpp>
#include <boost/graph/filtered_graph.hpp>
#include <boost/property_map/property_map.hpp>
#include <cassert>
#include <cctype>
#include <cstddef>
#include <string>
#include <utility>

namespace kubesim::models {

using sim::Result;
using sim::Status;

namespace {

// An undirected adjacency matrix: n is small (8 to 16 GPUs a node), every pair is usually
// linked, and edge lookup by (a, b) is O(1).
using Graph = boost::adjacency_matrix<boost::undirectedS, boost::no_property, GpuPairLinks>;
using Vertex = boost::graph_traits<Graph>::vertex_descriptor;
using Edge = boost::graph_traits<Graph>::edge_descriptor;

[[maybe_unused]] bool is_pcie_level(GpuLink link) {
  return link >= GpuLink::kPcieCrossSocket && link <= GpuLink::kSameBoard;
}

bool is_nvlink(GpuLink link) { return link == GpuLink::kNvLink || link == GpuLink::kNvSwitch; }

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string_view to_string(GpuLink link) {
  switch (link) {
    case GpuLink::kNone:
      return "none";
    case GpuLink::kPcieCrossSocket:
      return "pcie-cross-socket";
    case GpuLink::kPcieSameSocket:
      return "pcie-same-socket";
    case GpuLink::kPcieHostBridge:
      return "pcie-host-bridge";
    case GpuLink::kPcieMultiSwitch:
      return "pcie-multi-switch";
    case GpuLink::kPcieSwitch:
      return "pcie-switch";
    case GpuLink::kSameBoard:
      return "same-board";
    case GpuLink::kNvLink:
      return "nvlink";
    case GpuLink::kNvSwitch:
      return "nvswitch";
  }
  return "none";
}

Result<GpuLink> parse_gpu_link(std::string_view text) {
  static constexpr std::array kAll = {
      GpuLink::kNone,           GpuLink::kPcieCrossSocket, GpuLink::kPcieSameSocket,
      GpuLink::kPcieHostBridge, GpuLink::kPcieMultiSwitch, GpuLink::kPcieSwitch,
      GpuLink::kSameBoard,      GpuLink::kNvLink,          GpuLink::kNvSwitch};
  for (GpuLink link : kAll) {
    if (text == to_string(link)) return link;
  }
  // nvidia-smi topo -m legend codes.
  const std::string code = lower(text);
  if (code == "sys") return GpuLink::kPcieCrossSocket;
  if (code == "node") return GpuLink::kPcieSameSocket;
  if (code == "phb" || code == "pcie") return GpuLink::kPcieHostBridge;
  if (code == "pxb") return GpuLink::kPcieMultiSwitch;
  if (code == "pix") return GpuLink::kPcieSwitch;
  return Status::invalid_argument(
      "Unsupported value: \"" + std::string(text) +
      "\": supported values: \"nvswitch\", \"nvlink\", \"pcie-switch\" (PIX), "
      "\"pcie-multi-switch\" (PXB), \"pcie-host-bridge\" (PHB, or \"pcie\"), "
      "\"pcie-same-socket\" (NODE), \"pcie-cross-socket\" (SYS), \"same-board\", \"none\"");
}

int gpu_link_score(GpuLink link, int nvlinks) {
  // upstream: go-gpuallocator besteffort_policy.go, calculateGPUPairScore
  switch (link) {
    case GpuLink::kNone:
      return 0;
    case GpuLink::kPcieCrossSocket:
      return 10;
    case GpuLink::kPcieSameSocket:
      return 20;
    case GpuLink::kPcieHostBridge:
      return 30;
    case GpuLink::kPcieMultiSwitch:
      return 40;
    case GpuLink::kPcieSwitch:
      return 50;
    case GpuLink::kSameBoard:
      return 60;
    case GpuLink::kNvLink:
    case GpuLink::kNvSwitch:
      return 100 * nvlinks;
  }
  return 0;
}

GpuLink GpuPairLinks::fastest() const {
  if (nvlinks > 0) return via_nvswitch ? GpuLink::kNvSwitch : GpuLink::kNvLink;
  return pcie;
}

struct GpuTopology::Impl {
  explicit Impl(int gpus)
      : graph(static_cast<std::size_t>(gpus)),
        n(gpus),
        score(static_cast<std::size_t>(gpus) * static_cast<std::size_t>(gpus), 0) {}

  int pair_score(int a, int b) const { return score[static_cast<std::size_t>(a * n + b)]; }

  Graph graph;
  int n;
  // pair_score for every (a, b), derived from the graph once: best_set reads it in its
  // innermost loop.
  std::vector<int> score;
};

namespace {

// Keeps the edges with NVLink lanes.
struct NvLinkEdge {
  const Graph* graph = nullptr;
  bool operator()(const Edge& e) const { return (*graph)[e].nvlinks > 0; }
};

// Keeps the vertices of one GPU set.
struct InSet {
  const std::vector<char>* member = nullptr;
  bool operator()(const Vertex& v) const { return (*member)[v] != 0; }
};

}  // namespace

GpuTopology::GpuTopology() : GpuTopology(std::make_shared<const Impl>(0)) {}

GpuTopology::GpuTopology(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)), n_(impl_->n) {}

Result<GpuTopology> GpuTopology::from_links(int n, std::span<const GpuLinkSpec> links) {
  if (n < 0) return Status::invalid_argument("GPU count must be >= 0, got " + std::to_string(n));
  const auto un = static_cast<std::size_t>(n);
  std::vector<GpuPairLinks> pairs(un * un);
  for (const GpuLinkSpec& spec : links) {
    const std::string where =
        "link (" + std::to_string(spec.a) + ", " + std::to_string(spec.b) + "): ";
    if (spec.a < 0 || spec.a >= n || spec.b < 0 || spec.b >= n) {
      return Status::invalid_argument(where + "GPU index outside [0, " + std::to_string(n) + ")");
    }
    if (spec.a == spec.b) return Status::invalid_argument(where + "a GPU cannot link to itself");
    if (spec.link == GpuLink::kNone) return Status::invalid_argument(where + "link kind is none");
    GpuPairLinks& pair = pairs[static_cast<std::size_t>(std::min(spec.a, spec.b)) * un +
                               static_cast<std::size_t>(std::max(spec.a, spec.b))];
    if (is_nvlink(spec.link)) {
      if (spec.nvlinks < 1) {
        return Status::invalid_argument(where + "nvlinks must be >= 1 for " +
                                        std::string(to_string(spec.link)));
      }
      const bool via_nvswitch = spec.link == GpuLink::kNvSwitch;
      if (pair.nvlinks > 0 && pair.via_nvswitch != via_nvswitch) {
        return Status::invalid_argument(where + "both nvlink and nvswitch for one pair");
      }
      pair.nvlinks += spec.nvlinks;
      pair.via_nvswitch = via_nvswitch;
    } else {
      assert(is_pcie_level(spec.link));
      if (spec.nvlinks != 0) {
        return Status::invalid_argument(where + "nvlinks must be 0 for " +
                                        std::string(to_string(spec.link)));
      }
      if (pair.pcie != GpuLink::kNone) {
        return Status::invalid_argument(
            where + "two PCIe levels for one pair: " + std::string(to_string(pair.pcie)) + " and " +
            std::string(to_string(spec.link)));
      }
      pair.pcie = spec.link;
    }
  }

  auto impl = std::make_shared<Impl>(n);
  for (int a = 0; a < n; ++a) {
    for (int b = a + 1; b < n; ++b) {
      const GpuPairLinks& pair = pairs[static_cast<std::size_t>(a) * un + b];
      if (pair == GpuPairLinks{}) continue;
      boost::add_edge(static_cast<Vertex>(a), static_cast<Vertex>(b), pair, impl->graph);
    }
  }
  for (const Edge& e : boost::make_iterator_range(boost::edges(impl->graph))) {
    const GpuPairLinks& pair = impl->graph[e];
    const int s = gpu_link_score(pair.pcie) +
                  (pair.nvlinks > 0 ? gpu_link_score(pair.fastest(), pair.nvlinks) : 0);
    const auto a = static_cast<std::size_t>(boost::source(e, impl->graph));
    const auto b = static_cast<std::size_t>(boost::target(e, impl->graph));
    impl->score[a * un + b] = s;
    impl->score[b * un + a] = s;
  }
  return GpuTopology(std::move(impl));
}

GpuTopology GpuTopology::nvswitch(int n, int nvlinks_per_gpu) {
  assert(n >= 0 && nvlinks_per_gpu >= 1);
  std::vector<GpuLinkSpec> links;
  for (int a = 0; a < n; ++a) {
    for (int b = a + 1; b < n; ++b) links.push_back({a, b, GpuLink::kNvSwitch, nvlinks_per_gpu});
  }
  return from_links(n, links).value();
}

GpuTopology GpuTopology::pcie(int n, int gpus_per_socket, GpuLink same_socket) {
  assert(n >= 0 && gpus_per_socket >= 1 && is_pcie_level(same_socket));
  std::vector<GpuLinkSpec> links;
  for (int a = 0; a < n; ++a) {
    for (int b = a + 1; b < n; ++b) {
      const bool same = a / gpus_per_socket == b / gpus_per_socket;
      links.push_back({a, b, same ? same_socket : GpuLink::kPcieCrossSocket, 0});
    }
  }
  return from_links(n, links).value();
}

GpuTopology GpuTopology::nvlink_hybrid_cube_mesh_8() {
  // DGX-1 V100, as nvidia-smi topo -m reports it and as go-gpuallocator's test fixture
  // NewDGX1VoltaNode (gpuallocator/common_test.go) encodes it: the cube edges
  // 0-1 0-2 1-3 2-3, 4-5 4-6 5-7 6-7, 0-4 1-5 2-6 3-7 plus the face diagonals 0-3 1-2
  // 4-7 5-6; six lanes per GPU.
  constexpr GpuLink kNv = GpuLink::kNvLink;
  std::vector<GpuLinkSpec> links = {
      {0, 1, kNv, 1}, {0, 2, kNv, 1}, {0, 3, kNv, 2}, {0, 4, kNv, 2},
      {1, 2, kNv, 2}, {1, 3, kNv, 1}, {1, 5, kNv, 2}, {2, 3, kNv, 2},
      {2, 6, kNv, 1}, {3, 7, kNv, 1}, {4, 5, kNv, 1}, {4, 6, kNv, 1},
      {4, 7, kNv, 2}, {5, 6, kNv, 2}, {5, 7, kNv, 1}, {6, 7, kNv, 2},
  };
  // PCIe: pairs (0,1) (2,3) (4,5) (6,7) share a switch (PIX), the rest of a socket meets
  // at the host bridge (PHB), and the sockets are 0-3 and 4-7 (SYS).
  for (int a = 0; a < 8; ++a) {
    for (int b = a + 1; b < 8; ++b) {
      GpuLink level = GpuLink::kPcieCrossSocket;
      if (a / 2 == b / 2) {
        level = GpuLink::kPcieSwitch;
      } else if (a / 4 == b / 4) {
        level = GpuLink::kPcieHostBridge;
      }
      links.push_back({a, b, level, 0});
    }
  }
  return from_links(8, links).value();
}

GpuPairLinks GpuTopology::links(int a, int b) const {
  assert(a >= 0 && a < n_ && b >= 0 && b < n_);
  const auto [e, found] = boost::edge(static_cast<Vertex>(a), static_cast<Vertex>(b), impl_->graph);
  return found ? impl_->graph[e] : GpuPairLinks{};
}

int GpuTopology::pair_score(int a, int b) const {
  assert(a >= 0 && a < n_ && b >= 0 && b < n_);
  return impl_->pair_score(a, b);
}

int GpuTopology::set_score(std::span<const int> gpus) const {
  int total = 0;
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    for (std::size_t j = i + 1; j < gpus.size(); ++j) total += pair_score(gpus[i], gpus[j]);
  }
  return total;
}

bool GpuTopology::nvlink_connected(std::span<const int> gpus) const {
  if (gpus.size() <= 1) return true;
  std::vector<char> member(static_cast<std::size_t>(n_), 0);
  for (int g : gpus) {
    assert(g >= 0 && g < n_);
    member[static_cast<std::size_t>(g)] = 1;
  }
  const boost::filtered_graph<Graph, NvLinkEdge, InSet> sub(impl_->graph, NvLinkEdge{&impl_->graph},
                                                            InSet{&member});
  std::vector<int> component(static_cast<std::size_t>(n_), -1);
  const int pieces = boost::connected_components(
      sub, boost::make_iterator_property_map(component.begin(),
                                             boost::get(boost::vertex_index, impl_->graph)));
  return pieces == 1;
}

namespace {

// Exhaustive search over k-subsets of `cand` (ascending) in lexicographic order, adding
// each GPU's score against the ones already chosen. Only a strictly better set replaces
// the best, so ties keep the lexicographically smallest.
struct ExactSearch {
  const GpuTopology& topology;
  const std::vector<int>& cand;
  int k;
  std::vector<int> current;
  std::vector<int> best;
  int best_score = -1;

  void run(std::size_t from, int partial) {
    const auto depth = current.size();
    if (static_cast<int>(depth) == k) {
      if (partial > best_score) {
        best_score = partial;
        best = current;
      }
      return;
    }
    const std::size_t remaining = static_cast<std::size_t>(k) - depth;
    for (std::size_t i = from; i + remaining <= cand.size(); ++i) {
      int add = 0;
      for (int g : current) add += topology.pair_score(cand[i], g);
      current.push_back(cand[i]);
      run(i + 1, partial + add);
      current.pop_back();
    }
  }
};

}  // namespace

std::optional<std::vector<int>> GpuTopology::best_set(std::span<const int> free_gpus, int k) const {
  assert(k >= 0);
  std::vector<int> cand(free_gpus.begin(), free_gpus.end());
  std::sort(cand.begin(), cand.end());
  assert(std::adjacent_find(cand.begin(), cand.end()) == cand.end());
  assert(cand.empty() || (cand.front() >= 0 && cand.back() < n_));
  if (static_cast<std::size_t>(k) > cand.size()) return std::nullopt;
  if (k == 0) return std::vector<int>{};
  if (static_cast<std::size_t>(k) == cand.size()) return cand;

  if (cand.size() <= static_cast<std::size_t>(kExactSearchLimit)) {
    ExactSearch search{*this, cand, k, {}, {}, -1};
    search.current.reserve(static_cast<std::size_t>(k));
    search.run(0, 0);
    return search.best;
  }

  // Greedy: grow a set from every free GPU, each step adding the GPU with the largest
  // total score to the set so far (lowest index on ties); keep the best grown set.
  std::vector<int> best;
  int best_score = -1;
  std::vector<int> gain(cand.size());
  std::vector<char> taken(cand.size());
  for (std::size_t seed = 0; seed < cand.size(); ++seed) {
    std::fill(taken.begin(), taken.end(), 0);
    std::vector<int> chosen = {cand[seed]};
    taken[seed] = 1;
    for (std::size_t i = 0; i < cand.size(); ++i) gain[i] = impl_->pair_score(cand[i], cand[seed]);
    int total = 0;
    while (chosen.size() < static_cast<std::size_t>(k)) {
      std::size_t pick = cand.size();
      for (std::size_t i = 0; i < cand.size(); ++i) {
        if (!taken[i] && (pick == cand.size() || gain[i] > gain[pick])) pick = i;
      }
      taken[pick] = 1;
      total += gain[pick];
      chosen.push_back(cand[pick]);
      for (std::size_t i = 0; i < cand.size(); ++i)
        gain[i] += impl_->pair_score(cand[i], cand[pick]);
    }
    std::sort(chosen.begin(), chosen.end());
    if (total > best_score || (total == best_score && chosen < best)) {
      best_score = total;
      best = std::move(chosen);
    }
  }
  return best;
}

}  // namespace kubesim::models
