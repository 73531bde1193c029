// Tests of models/load_balancer.hpp: kube-proxy's iptables (uniform random), IPVS rr and lc.
#include "models/load_balancer.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <vector>

namespace kubesim::models {
namespace {

TEST_CASE("iptables mode picks endpoints uniformly at random", "[lb]") {
  // Upstream's chain matches endpoint i of n with probability 1/(n − i): every endpoint
  // gets 1/n. Chi-square with 3 degrees of freedom over 400,000 picks: the 1e-4 critical
  // value is 21.1.
  LoadBalancer lb(LbMode::kRandom, sim::Rng(42));
  lb.set_endpoints({10, 11, 12, 13});
  std::map<std::uint32_t, int> counts;
  constexpr int kPicks = 400'000;
  for (int i = 0; i < kPicks; ++i) ++counts[*lb.pick()];
  REQUIRE(counts.size() == 4);
  double chi2 = 0;
  for (const auto& [e, n] : counts) chi2 += std::pow(n - kPicks / 4.0, 2) / (kPicks / 4.0);
  CHECK(chi2 < 21.1);
}

TEST_CASE("IPVS rr takes endpoints in turn and keeps its place when the list changes", "[lb]") {
  LoadBalancer lb(LbMode::kRoundRobin, sim::Rng(1));
  lb.set_endpoints({1, 2, 3});
  std::vector<std::uint32_t> seq;
  for (int i = 0; i < 4; ++i) seq.push_back(*lb.pick());
  CHECK(seq == std::vector<std::uint32_t>{1, 2, 3, 1});
  lb.set_endpoints({1, 2, 3, 4});  // a pod became ready: continue after 1
  CHECK(*lb.pick() == 2);
  lb.set_endpoints({1, 3, 4});  // 2 went away: start again from the head
  CHECK(*lb.pick() == 1);
  CHECK(*lb.pick() == 3);
  lb.set_endpoints({});
  CHECK_FALSE(lb.pick());
}

TEST_CASE("IPVS lc picks the fewest connections, ties to the first listed", "[lb]") {
  LoadBalancer lb(LbMode::kLeastConnections, sim::Rng(1));
  lb.set_endpoints({5, 6, 7});
  std::map<std::uint32_t, int> conns{{5, 3}, {6, 1}, {7, 1}};
  auto f = [&](std::uint32_t e) { return conns[e]; };
  CHECK(*lb.pick(f) == 6);
  conns[6] = 2;
  CHECK(*lb.pick(f) == 7);
  conns[7] = 3;
  conns[6] = 3;
  CHECK(*lb.pick(f) == 5);
  CHECK(std::string(lb_mode_name(LbMode::kLeastConnections)) == "least_connections");
}

}  // namespace
}  // namespace kubesim::models
