// Tests of the kubesim command through run_cli() (cli/kubesim_cli.hpp): the same code path
// as the binary, with the output streams captured. Exit codes: 0 ok, 1 bad input,
// 2 bad usage.
#include "cli/kubesim_cli.hpp"
#include "tests/support/cli_run.hpp"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "kubesim/version.hpp"
#include "tests/support/temp_dir.hpp"

namespace kubesim::cli {
namespace {

namespace fs = std::filesystem;

const std::string kQuickstart =
    std::string(KUBESIM_SOURCE_DIR) + "/scenarios/examples/request-queue.yaml";

using Outcome = testing::CliOutcome;

// Runs `kubesim <args...>`.
Outcome kubesim(std::vector<std::string> args) { return testing::run_kubesim(std::move(args)); }

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// A fresh directory under the system temporary directory, removed with everything in it.
using kubesim::testing::TempDir;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("kubesim --version names the version and the modelled Kubernetes", "[cli]") {
  const Outcome o = kubesim({"--version"});
  CHECK(o.code == 0);
  CHECK(contains(o.out, kVersion));
  CHECK(contains(o.out, "Kubernetes"));
  CHECK(contains(o.out, kKubernetesVersion));
  CHECK(o.err.empty());
}

TEST_CASE("kubesim --help lists the commands and shows examples", "[cli][help]") {
  for (const char* flag : {"--help", "-h"}) {
    INFO(flag);
    const Outcome o = kubesim({flag});
    CHECK(o.code == 0);
    CHECK(contains(o.out, "run"));
    CHECK(contains(o.out, "validate"));
    CHECK(contains(o.out, "Examples"));
    CHECK(contains(o.out, "kubesim run scenarios/examples/quickstart.yaml"));
    CHECK(o.err.empty());
  }
}

TEST_CASE("kubesim run --help and validate --help show their options and examples", "[cli][help]") {
  const Outcome run = kubesim({"run", "--help"});
  CHECK(run.code == 0);
  CHECK(contains(run.out, "Examples"));
  CHECK(contains(run.out, "kubesim run scenarios/examples/quickstart.yaml"));
  for (const char* option : {"--output", "--seed", "--set", "--quiet"}) {
    CHECK(contains(run.out, option));
  }
  const Outcome validate = kubesim({"validate", "--help"});
  CHECK(validate.code == 0);
  CHECK(contains(validate.out, "Examples"));
  CHECK(contains(validate.out, "kubesim validate"));
}

TEST_CASE("bad usage exits 2 with a message on stderr", "[cli][usage]") {
  SECTION("unknown option") {
    const Outcome o = kubesim({"--frobnicate"});
    CHECK(o.code == 2);
    CHECK(contains(o.err, "--frobnicate"));
    CHECK(contains(o.err, "kubesim --help"));
    CHECK(o.out.empty());
  }
  SECTION("unknown option of a command") {
    const Outcome o = kubesim({"run", kQuickstart, "--frobnicate"});
    CHECK(o.code == 2);
    CHECK(contains(o.err, "--frobnicate"));
  }
  SECTION("unknown command") {
    const Outcome o = kubesim({"simulate", kQuickstart});
    CHECK(o.code == 2);
    CHECK(contains(o.err, "simulate"));
  }
  SECTION("missing scenario argument") {
    const Outcome o = kubesim({"run"});
    CHECK(o.code == 2);
    CHECK(contains(o.err, "SCENARIO"));
  }
  SECTION("a seed that is not a number") {
    const Outcome o = kubesim({"run", kQuickstart, "--seed", "seven"});
    CHECK(o.code == 2);
    CHECK(contains(o.err, "seven"));
  }
  SECTION("an option missing its value") {
    const Outcome o = kubesim({"validate", kQuickstart, "--seed"});
    CHECK(o.code == 2);
  }
}

TEST_CASE("a missing scenario file exits 1 naming the path", "[cli]") {
  const std::string path = "/nonexistent/kubesim/none.yaml";
  for (const char* command : {"run", "validate"}) {
    INFO(command);
    const Outcome o = kubesim({command, path});
    CHECK(o.code == 1);
    CHECK(contains(o.err, path));
    CHECK(contains(o.err, "cannot open"));
    CHECK(o.out.empty());
  }
}

TEST_CASE("kubesim validate accepts a good scenario", "[cli][validate]") {
  const Outcome o = kubesim({"validate", kQuickstart});
  CHECK(o.code == 0);
  CHECK(o.out.rfind("ok:", 0) == 0);
  CHECK(contains(o.out, "request-queue"));
  CHECK(contains(o.out, "seed 42"));
  CHECK(contains(o.out, "duration 1h0m0s"));
  CHECK(o.err.empty());
  // Overrides and the seed are applied before validation.
  const Outcome s = kubesim({"validate", kQuickstart, "--set", "spec.duration=2h", "--seed", "9"});
  CHECK(s.code == 0);
  CHECK(contains(s.out, "duration 2h0m0s"));
  CHECK(contains(s.out, "seed 9"));
  // --set repeats.
  const Outcome r =
      kubesim({"validate", kQuickstart, "--set", "spec.duration=3h", "--set", "spec.seed=4"});
  CHECK(r.code == 0);
  CHECK(contains(r.out, "duration 3h0m0s"));
  CHECK(contains(r.out, "seed 4"));
}

TEST_CASE("kubesim validate reports every problem with file:line:column", "[cli][validate]") {
  TempDir dir;
  const std::string path = dir.str("bad.yaml");
  // Line 6: a duration without a unit (value at column 13). Line 8: a misspelt key.
  write_file(path,
             "apiVersion: kubesim.io/v1alpha1\n"
             "kind: Scenario\n"
             "metadata:\n"
             "  name: bad\n"
             "spec:\n"
             "  duration: 10\n"
             "  seed: 3\n"
             "  sampleIntervall: 1s\n");
  const Outcome o = kubesim({"validate", path});
  CHECK(o.code == 1);
  CHECK(o.out.empty());
  CHECK(contains(o.err, path + ":6:13: spec.duration:"));
  CHECK(contains(o.err, "write 10s for seconds"));
  CHECK(contains(o.err, path + ":8:3: spec.sampleIntervall: unknown field"));
  CHECK(contains(o.err, "did you mean 'sampleInterval'?"));
  CHECK(contains(o.err, "2 problems"));
}

TEST_CASE("a bad --set is reported and exits 1", "[cli][validate]") {
  const Outcome o = kubesim({"validate", kQuickstart, "--set", "spec.workloads[0].servers=0"});
  CHECK(o.code == 1);
  CHECK(contains(o.err, "spec.workloads[0].servers"));
  CHECK(contains(o.err, "--set spec.workloads[0].servers=0"));
  const Outcome malformed = kubesim({"validate", kQuickstart, "--set", "spec.duration"});
  CHECK(malformed.code == 1);
  CHECK(contains(malformed.err, "expected path=value"));
}

TEST_CASE("kubesim run writes the run directory", "[cli][run]") {
  TempDir dir;
  const std::string out_dir = dir.str("run");
  const Outcome o = kubesim({"run", kQuickstart, "-o", out_dir, "--set", "spec.duration=2m"});
  INFO(o.err);
  REQUIRE(o.code == 0);
  CHECK(o.err.empty());
  CHECK(fs::is_regular_file(out_dir + "/summary.json"));
  CHECK(fs::is_regular_file(out_dir + "/timeseries.csv"));
  CHECK(contains(o.out, "request-queue"));
  CHECK(contains(o.out, "wrote " + out_dir + "/summary.json"));
  const auto j = nlohmann::json::parse(read_file(out_dir + "/summary.json"));
  CHECK(j["seed"] == 42);
  CHECK(j["simulated_duration"] == "2m0s");
  CHECK(j["scenario"]["file"] == kQuickstart);
  // 2 minutes sampled every 30 s: a header and rows at 0, 30, 60, 90, 120.
  const std::string csv = read_file(out_dir + "/timeseries.csv");
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 6);
  CHECK(csv.rfind("time_s,", 0) == 0);
}

TEST_CASE("kubesim run --seed and --set take effect", "[cli][run]") {
  TempDir dir;
  const Outcome a = kubesim({"run", kQuickstart, "-q", "-o", dir.str("a"), "--seed", "7", "--set",
                             "spec.duration=1m", "--set", "spec.workloads[0].servers=2"});
  INFO(a.err);
  REQUIRE(a.code == 0);
  CHECK(a.out.empty());  // --quiet
  const auto ja = nlohmann::json::parse(read_file(dir.str("a/summary.json")));
  CHECK(ja["seed"] == 7);
  CHECK(ja["simulated_duration"] == "1m0s");
  CHECK(ja["metrics"].contains("api.busy_servers"));
  CHECK(ja["metrics"]["api.busy_servers"]["max"].get<double>() <= 2);

  // The same command again gives the same run; another seed another trajectory.
  const Outcome b = kubesim({"run", kQuickstart, "-q", "-o", dir.str("b"), "--seed", "7", "--set",
                             "spec.duration=1m", "--set", "spec.workloads[0].servers=2"});
  const Outcome c = kubesim({"run", kQuickstart, "-q", "-o", dir.str("c"), "--seed=8",
                             "--set=spec.duration=1m", "--set", "spec.workloads[0].servers=2"});
  REQUIRE(b.code == 0);
  REQUIRE(c.code == 0);
  const auto jb = nlohmann::json::parse(read_file(dir.str("b/summary.json")));
  const auto jc = nlohmann::json::parse(read_file(dir.str("c/summary.json")));
  CHECK(ja["fingerprint"] == jb["fingerprint"]);
  CHECK(ja["scenario"]["sha256"] == jb["scenario"]["sha256"]);
  CHECK(read_file(dir.str("a/timeseries.csv")) == read_file(dir.str("b/timeseries.csv")));
  CHECK(jc["seed"] == 8);
  CHECK(jc["simulated_duration"] == "1m0s");
  CHECK(ja["fingerprint"] != jc["fingerprint"]);
}

TEST_CASE("kubesim run without -o writes runs/<scenario name> under the working directory",
          "[cli][run]") {
  TempDir dir;
  const fs::path previous = fs::current_path();
  fs::current_path(dir.path());
  const Outcome o = kubesim({"run", kQuickstart, "-q", "--set", "spec.duration=30s"});
  fs::current_path(previous);
  INFO(o.err);
  CHECK(o.code == 0);
  CHECK(fs::is_regular_file(dir.path() / "runs" / "request-queue" / "summary.json"));
  CHECK(fs::is_regular_file(dir.path() / "runs" / "request-queue" / "timeseries.csv"));
}

TEST_CASE("kubesim run reports an output directory it cannot create", "[cli][run]") {
  TempDir dir;
  write_file(dir.str("a-file"), "x");
  const Outcome o =
      kubesim({"run", kQuickstart, "-q", "-o", dir.str("a-file/run"), "--set", "spec.duration=1s"});
  CHECK(o.code == 1);
  CHECK(contains(o.err, dir.str("a-file/run")));
}

TEST_CASE("kubesim run of a bad scenario exits 1 without running", "[cli][run]") {
  TempDir dir;
  const Outcome o = kubesim({"run", kQuickstart, "-o", dir.str("out"), "--set", "duration=5"});
  CHECK(o.code == 1);
  CHECK(contains(o.err, "spec.duration"));
  CHECK_FALSE(fs::exists(dir.str("out")));
}

}  // namespace kubesim::cli
