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

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace kubesim::cli
