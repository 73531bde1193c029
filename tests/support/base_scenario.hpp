// Test support: a small valid scenario that the scenario tests edit line by line.
// Line numbers (1-based):
//   1 apiVersion   2 kind   3 metadata   4 name   5 spec   6 duration   7 workloads
//   8 - name   9 type   10 arrivals   11 process   12 rate   13 serviceTime   14 servers
#pragma once

#include <string>

namespace kubesim::testing {

inline const std::string kBaseScenario =
    "apiVersion: kubesim.io/v1alpha1\n"
    "kind: Scenario\n"
    "metadata:\n"
    "  name: t\n"
    "spec:\n"
    "  duration: 10m\n"
    "  workloads:\n"
    "  - name: api\n"
    "    type: requestQueue\n"
    "    arrivals:\n"
    "      process: poisson\n"
    "      rate: 5\n"
    "    serviceTime: 100ms\n"
    "    servers: 2\n";

}  // namespace kubesim::testing
