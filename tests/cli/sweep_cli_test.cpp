// Tests of `kubesim sweep` through run_cli() (cli/kubesim_cli.hpp): the files it writes,
// the summary table, and that bad --seeds / --vary / --metric input exits 1 with an example.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/kubesim_cli.hpp"
#include "tests/support/temp_dir.hpp"

namespace kubesim::cli {
namespace {

using kubesim::testing::TempDir;

const std::string kRequestQueue =
    std::string(KUBESIM_SOURCE_DIR) + "/scenarios/examples/request-queue.yaml";

struct SweepOutcome {
  int code = -1;
  std::string out;
  std::string err;
};

SweepOutcome kubesim_sweep(std::vector<std::string> args) {
  args.insert(args.begin(), {"kubesim", "sweep"});
  std::ostringstream out, err;
  SweepOutcome o;
  o.code = run_cli(args, out, err);
  o.out = out.str();
  o.err = err.str();
  return o;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool has(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_CASE("kubesim sweep writes results.csv and summary.csv and prints the summary",
          "[cli][sweep]") {
  TempDir dir("kubesim-sweep-cli");
  const auto o = kubesim_sweep({kRequestQueue, "--set", "spec.duration=1m", "--vary",
                                "spec.workloads[0].servers=3,5", "--seeds", "1-2", "--metric",
                                "p99=metrics.api.latency_s.p99", "--jobs", "2", "-o",
                                dir.str("out"), "--keep-runs"});
  INFO(o.err);
  REQUIRE(o.code == 0);
  const std::string results = slurp(dir.str("out/results.csv"));
  CHECK(std::count(results.begin(), results.end(), '\n') == 1 + 2 * 2);
  CHECK(results.rfind("spec.workloads[0].servers,seed,p99\n3,1,", 0) == 0);
  const std::string summary = slurp(dir.str("out/summary.csv"));
  CHECK(has(summary, "\n5,2,"));  // variant 5, n = 2
  CHECK(has(o.out, "servers"));
  CHECK(has(o.out, "p99"));
  CHECK(has(o.out, "wrote " + dir.str("out") + "/results.csv"));
  CHECK(has(slurp(dir.str("out/runs/5-seed2/summary.json")), "\"seed\": 2"));
  CHECK(has(o.err, "[4/4]"));
}

TEST_CASE("kubesim sweep refuses bad syntax with an example", "[cli][sweep]") {
  const std::vector<std::string> base = {kRequestQueue, "--metric", "x=metrics.api.wait_s.p99"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return kubesim_sweep(args);
  };
  const auto seeds = with({"--seeds", "10-1"});
  CHECK(seeds.code == 1);
  CHECK(has(seeds.err, "--seeds \"10-1\": the range '10-1' runs backwards"));
  CHECK(has(seeds.err, "e.g. --seeds 1-10"));
  const auto vary = with({"--vary", "spec.workloads[0].servers"});
  CHECK(vary.code == 1);
  CHECK(has(vary.err, "e.g. --vary"));
  const auto metric = with({"--metric", "y=gpu..x"});
  CHECK(metric.code == 1);
  CHECK(has(metric.err, "e.g. --metric"));
  // No --metric at all is a usage error.
  CHECK(kubesim_sweep({kRequestQueue, "--seeds", "1"}).code == 2);
  const auto help = kubesim_sweep({"--help"});
  CHECK(help.code == 0);
  CHECK(has(help.out, "kubesim sweep scenarios/examples/alibaba-openb-fgd.yaml"));
}

}  // namespace
}  // namespace kubesim::cli
