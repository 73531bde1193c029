// Test support: run the kubesim command line in-process (cli::run_cli) and capture its exit
// code, standard output and standard error.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "cli/kubesim_cli.hpp"

namespace kubesim::testing {

struct CliOutcome {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs `kubesim <args...>`.
inline CliOutcome run_kubesim(std::vector<std::string> args) {
  args.insert(args.begin(), "kubesim");
  std::ostringstream out;
  std::ostringstream err;
  CliOutcome o;
  o.code = cli::run_cli(args, out, err);
  o.out = out.str();
  o.err = err.str();
  return o;
}

}  // namespace kubesim::testing
