// The kubesim command line: `kubesim run`, `kubesim validate`, `kubesim --version`.
//
// run_cli() is main() without the process: it takes the arguments and two streams and
// returns the exit code, so tests drive the real command. Exit codes: 0 success, 1 bad
// input (scenario errors, unwritable output), 2 bad usage (unknown option, missing
// argument). Errors go to `err`, results to `out`.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace kubesim::cli {

// How the process around run_cli() behaves.
struct ProcessOptions {
  // `kubesim run` leaves the finished simulation to the operating system instead of
  // destroying it, because the process exits next: tearing down a large cluster's objects
  // (150,000 pods in several caches) takes seconds and changes nothing. main() sets it;
  // tests and sanitizer builds (leak checks) do not.
  bool skip_teardown = false;
};

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
            const ProcessOptions& process = {});

}  // namespace kubesim::cli
