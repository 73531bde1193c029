// ArrivalProcess: when the next request (or job) arrives.
//
// Poisson: exponential gaps with mean 1/rate. Constant: exactly 1/rate apart, the first at
// one gap after start. Rates are per second. Later kinds (diurnal, bursts, trace-driven)
// plug in here with the same next_gap() contract.
#pragma once

#include <sstream>
#include <string>

#include "sim/random.hpp"
#include "sim/time.hpp"

namespace kubesim::models {

struct ArrivalProcess {
  enum class Kind { kPoisson, kConstant };
  Kind kind = Kind::kPoisson;
  double rate_per_second = 1.0;  // REQUIRES > 0

  // The gap to the next arrival, at least 1 ns so time always advances.
  sim::Duration next_gap(sim::Rng& rng) const {
    const double mean_s = 1.0 / rate_per_second;
    const double gap_s = kind == Kind::kPoisson ? rng.exponential(mean_s) : mean_s;
    const sim::Duration gap = sim::from_seconds(gap_s);
    return gap > 0 ? gap : 1;
  }

  std::string describe() const {
    std::ostringstream out;
    out << (kind == Kind::kPoisson ? "poisson" : "constant") << " at " << rate_per_second << "/s";
    return out.str();
  }
};

}  // namespace kubesim::models
