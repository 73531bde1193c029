// kubesim: the command-line front end. See cli/kubesim_cli.hpp.
#include <iostream>
#include <string>
#include <vector>

#include "cli/kubesim_cli.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  return kubesim::cli::run_cli(args, std::cout, std::cerr);
}
