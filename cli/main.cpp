// kubesim: the command-line front end. See cli/kubesim_cli.hpp.
#include <iostream>
#include <string>
#include <vector>

#include "cli/kubesim_cli.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  kubesim::cli::ProcessOptions process;
#if !defined(__SANITIZE_ADDRESS__)
  process.skip_teardown = true;  // LeakSanitizer would report the deliberate leak
#endif
  return kubesim::cli::run_cli(args, std::cout, std::cerr, process);
}
