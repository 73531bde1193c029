#include "models/load_balancer.hpp"

#include <algorithm>
#include <utility>

namespace kubesim::models {

const char* lb_mode_name(LbMode mode) {
  switch (mode) {
    case LbMode::kRandom:
      return "random";
    case LbMode::kRoundRobin:
      return "round_robin";
    case LbMode::kLeastConnections:
      return "least_connections";
  }
  return "unknown";
}

void LoadBalancer::set_endpoints(std::vector<std::uint32_t> endpoints) {
  endpoints_ = std::move(endpoints);
  cursor_ = 0;
  if (last_ && !endpoints_.empty()) {
    // Continue after the last endpoint picked if it is still listed (ip_vs_rr keeps its
    // place in the list); otherwise start from the head.
    const auto it = std::find(endpoints_.begin(), endpoints_.end(), *last_);
    if (it != endpoints_.end()) {
      cursor_ = static_cast<std::size_t>(it - endpoints_.begin() + 1) % endpoints_.size();
    }
  }
}

std::uint32_t LoadBalancer::pick_simple() {
  if (mode_ == LbMode::kRandom) return endpoints_[rng_.below(endpoints_.size())];
  if (cursor_ >= endpoints_.size()) cursor_ = 0;
  const std::uint32_t e = endpoints_[cursor_];
  cursor_ = (cursor_ + 1) % endpoints_.size();
  last_ = e;
  return e;
}

}  // namespace kubesim::models
