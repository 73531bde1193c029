#include "experiments/trace_replay.hpp"

#include <algorithm>
#include <numeric>

namespace kubesim::experiments {

std::vector<std::uint32_t> shuffled_by_name(std::span<const std::string* const> names,
                                            sim::Rng& rng) {
  std::vector<std::uint32_t> rows(names.size());
  std::iota(rows.begin(), rows.end(), 0U);
  std::stable_sort(rows.begin(), rows.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return *names[a] < *names[b]; });
  for (std::size_t i = rows.size(); i > 1; --i) {
    std::swap(rows[i - 1], rows[static_cast<std::size_t>(rng.below(i))]);
  }
  return rows;
}

std::vector<std::pair<std::uint32_t, std::int32_t>> tune_workload(
    const std::vector<std::uint32_t>& order, const std::vector<std::uint32_t>& by_name,
    std::span<const std::int64_t> demand, std::span<const std::int32_t> share, double limit,
    sim::Rng& rng) {
  std::vector<std::pair<std::uint32_t, std::int32_t>> out;
  out.reserve(order.size());
  std::int64_t arrived = 0;
  for (const std::uint32_t row : order) {
    out.emplace_back(row, -1);
    arrived += demand[row];
  }
  // Without any GPU demand no clone can ever reach the limit.
  if (by_name.empty() || arrived == 0 || limit <= 0) return out;
  if (static_cast<double>(arrived) > limit) {
    // tuneDownPods: drop uniformly drawn pods until the demand is within the limit.
    while (static_cast<double>(arrived) > limit && !out.empty()) {
      const auto idx = static_cast<std::size_t>(rng.below(out.size()));
      arrived -= demand[out[idx].first];
      out.erase(out.begin() + static_cast<std::ptrdiff_t>(idx));
    }
    return out;
  }
  for (std::int32_t k = 0;; ++k) {
    const std::uint32_t row = by_name[static_cast<std::size_t>(rng.below(by_name.size()))];
    if (static_cast<double>(arrived + share[row]) > limit) break;
    arrived += demand[row];
    out.emplace_back(row, k);
  }
  return out;
}

std::vector<PlannedPod> plan_pod_trace(const scenarios::PodTraceSpec& spec,
                                       std::int64_t cluster_gpu_milli, sim::Rng& rng) {
  const auto& pods = spec.trace.pods;
  std::vector<std::uint32_t> base;
  std::vector<const std::string*> names_of_rows;
  names_of_rows.reserve(pods.size());
  for (const auto& p : pods) names_of_rows.push_back(&p.name);
  if (spec.order == scenarios::PodTraceSpec::Order::kShuffled) {
    base = shuffled_by_name(names_of_rows, rng);
  } else {
    base.resize(pods.size());
    std::iota(base.begin(), base.end(), 0U);
    std::stable_sort(base.begin(), base.end(), [&](std::uint32_t a, std::uint32_t b) {
      return pods[a].creation < pods[b].creation;
    });
  }
  std::vector<std::pair<std::uint32_t, std::int32_t>> order;
  std::vector<std::string> names;  // given names (arrivalOrderFile)
  if (!spec.arrival_order.empty()) {
    for (const auto& [name, row] : spec.arrival_order) {
      order.emplace_back(row, name == pods[row].name ? -1 : 0);
      names.push_back(name);
    }
  } else if (spec.inflate_gpu_percent) {
    std::vector<std::int64_t> demand(pods.size());
    std::vector<std::int32_t> share(pods.size());
    for (std::size_t i = 0; i < pods.size(); ++i) {
      demand[i] = static_cast<std::int64_t>(pods[i].num_gpu) * pods[i].gpu_milli;
      share[i] = pods[i].num_gpu > 0 ? pods[i].gpu_milli : 0;
    }
    std::vector<std::uint32_t> by_name(pods.size());
    std::iota(by_name.begin(), by_name.end(), 0U);
    std::stable_sort(by_name.begin(), by_name.end(), [&](std::uint32_t a, std::uint32_t b) {
      return pods[a].name < pods[b].name;
    });
    const double limit = *spec.inflate_gpu_percent / 100.0 * static_cast<double>(cluster_gpu_milli);
    order = tune_workload(base, by_name, demand, share, limit, rng);
  } else {
    for (const std::uint32_t row : base) order.emplace_back(row, -1);
  }
  auto scaled = [&](sim::Duration d) {
    return static_cast<sim::Duration>(static_cast<double>(d) / spec.time_compression);
  };
  std::vector<PlannedPod> out;
  out.reserve(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    const auto [row, k] = order[i];
    const auto& p = pods[row];
    PlannedPod planned;
    planned.row = row;
    planned.clone = k >= 0;
    planned.name = !names.empty() ? names[i]
                   : k >= 0       ? p.name + "-tuned-" + std::to_string(k)
                                  : p.name;
    if (spec.arrivals == scenarios::PodTraceSpec::Arrivals::kSequential) {
      planned.arrival = spec.start + static_cast<sim::Time>(i) * spec.interval;
      if (spec.departures && p.deletion) {
        planned.departure = planned.arrival + scaled(std::max<sim::Duration>(*p.deletion - p.creation, 0));
      }
    } else {
      planned.arrival = spec.start + scaled(p.creation);
      if (spec.departures && p.deletion) {
        planned.departure = spec.start + scaled(std::max(*p.deletion, p.creation));
      }
    }
    out.push_back(std::move(planned));
  }
  if (spec.arrivals == scenarios::PodTraceSpec::Arrivals::kTrace) {
    std::stable_sort(out.begin(), out.end(),
                     [](const PlannedPod& a, const PlannedPod& b) { return a.arrival < b.arrival; });
  }
  return out;
}

}  // namespace kubesim::experiments
