// Tests of experiments/sweep.hpp: Student's t quantiles against closed forms and the NIST
// table, the confidence-interval arithmetic on hand-computed samples, the --vary / --seeds /
// --metric syntax, metric paths into summary.json, and a real sweep of the request-queue
// example: row order, that every row equals a single ScenarioRun with the same overrides,
// and that the files do not depend on the job count.
#include "experiments/sweep.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <sstream>
#include <string>
#include <vector>

#include "experiments/scenario_run.hpp"
#include "scenarios/scenario.hpp"
#include "tests/support/temp_dir.hpp"

namespace kubesim::experiments {
namespace {

using kubesim::testing::TempDir;

const std::string kRequestQueue =
    std::string(KUBESIM_SOURCE_DIR) + "/scenarios/examples/request-queue.yaml";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::size_t count_lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

TEST_CASE("Student's t quantiles match closed forms and the NIST table", "[sweep]") {
  SECTION("closed forms for 1, 2 and 4 degrees of freedom") {
    // df = 1 is the Cauchy distribution: t_p = tan(π (p − ½)).
    CHECK(student_t_quantile(0.975, 1) ==
          Approx(std::tan(std::numbers::pi * 0.475)).epsilon(1e-10));  // 12.7062047
    CHECK(student_t_quantile(0.95, 1) ==
          Approx(std::tan(std::numbers::pi * 0.45)).epsilon(1e-10));  // 6.3137515
    // df = 2: t_p = (2p − 1) / √(2p(1 − p)).
    CHECK(student_t_quantile(0.975, 2) ==
          Approx(0.95 / std::sqrt(2 * 0.975 * 0.025)).epsilon(1e-10));  // 4.3026527
    // df = 4: with α = 4p(1 − p), q = cos(arccos(√α) / 3) / √α, t_p = 2 √(q − 1).
    const double alpha = 4 * 0.975 * 0.025;
    const double q = std::cos(std::acos(std::sqrt(alpha)) / 3) / std::sqrt(alpha);
    CHECK(student_t_quantile(0.975, 4) == Approx(2 * std::sqrt(q - 1)).epsilon(1e-10));  // 2.776445
  }
  SECTION("the 0.975 column of NIST/SEMATECH e-Handbook table 1.3.6.7.2 (3 decimals)") {
    const std::vector<std::pair<int, double>> table = {{3, 3.182},  {5, 2.571},  {7, 2.365},
                                                       {9, 2.262},  {10, 2.228}, {20, 2.086},
                                                       {29, 2.045}, {30, 2.042}, {100, 1.984}};
    for (const auto& [df, t] : table) {
      INFO("df " << df);
      CHECK(std::fabs(student_t_quantile(0.975, df) - t) <= 0.0005);
    }
  }
  SECTION("large df: the Cornish-Fisher expansion around the normal quantile") {
    // t ≈ z + (z³ + z) / (4ν) + (5z⁵ + 16z³ + 3z) / (96ν²), z = Φ⁻¹(0.975) (A&S 26.7.5).
    const double z = 1.959963984540054;
    for (double nu : {1000.0, 100000.0}) {
      const double expected = z + (z * z * z + z) / (4 * nu) +
                              (5 * std::pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * nu * nu);
      CHECK(student_t_quantile(0.975, static_cast<int>(nu)) == Approx(expected).epsilon(1e-8));
    }
  }
  SECTION("the median is 0; out-of-range arguments are NaN") {
    CHECK(student_t_quantile(0.5, 3) == 0.0);
    CHECK(std::isnan(student_t_quantile(0.975, 0)));
    CHECK(std::isnan(student_t_quantile(1.0, 3)));
  }
}

TEST_CASE("sample statistics and the 95% interval on hand-computed samples", "[sweep]") {
  SECTION("{1, 2, 3}: mean 2, s = 1, half-width t(0.975, 2)/√3 = 2.4841377") {
    const std::vector<double> xs = {1, 2, 3};
    const SampleStats s = sample_stats(xs);
    CHECK(s.n == 3);
    CHECK(s.mean == 2.0);
    CHECK(s.stddev == Approx(1.0).epsilon(1e-12));
    CHECK(s.ci95_low == Approx(2 - 2.484137711843753).epsilon(1e-9));
    CHECK(s.ci95_high == Approx(2 + 2.484137711843753).epsilon(1e-9));
  }
  SECTION("{2, 4, 4, 4, 5, 5, 7, 9}: mean 5, Σ(x − x̄)² = 32, s = √(32/7)") {
    const std::vector<double> xs = {2, 4, 4, 4, 5, 5, 7, 9};
    const SampleStats s = sample_stats(xs);
    CHECK(s.mean == 5.0);
    CHECK(s.stddev == Approx(std::sqrt(32.0 / 7)).epsilon(1e-12));  // 2.1380899
    // NIST: t(0.975, 7) = 2.365 → half-width ≈ 2.365 · 2.13809 / √8 = 1.7877.
    CHECK(std::fabs(s.ci95_high - 5 - 1.7877) < 0.0005);
    CHECK(s.ci95_high - s.mean == Approx(s.mean - s.ci95_low).epsilon(1e-12));
  }
  SECTION("a constant sample has a zero-width interval") {
    const std::vector<double> xs = {7, 7, 7, 7};
    const SampleStats s = sample_stats(xs);
    CHECK(s.stddev == 0.0);
    CHECK(s.ci95_low == 7.0);
    CHECK(s.ci95_high == 7.0);
  }
  SECTION("one value: the mean, no spread") {
    const std::vector<double> xs = {3.5};
    const SampleStats s = sample_stats(xs);
    CHECK(s.mean == 3.5);
    CHECK(std::isnan(s.stddev));
    CHECK(std::isnan(s.ci95_low));
  }
}

TEST_CASE("--vary, --seeds and --metric syntax", "[sweep]") {
  SECTION("--vary") {
    auto a = parse_sweep_axis("spec.controlPlane.scheduler.gpuPolicy=FGD,BestFit");
    REQUIRE(a.ok());
    CHECK(a->path == "spec.controlPlane.scheduler.gpuPolicy");
    CHECK(a->values == std::vector<std::string>{"FGD", "BestFit"});
    for (const char* bad : {"gpuPolicy", "=FGD", "p=", "p=a,,b", "p=a,b,a"}) {
      INFO(bad);
      auto r = parse_sweep_axis(bad);
      REQUIRE_FALSE(r.ok());
      CHECK(contains(r.error(), "e.g. --vary spec.controlPlane.scheduler.gpuPolicy=FGD,BestFit"));
    }
    auto seed = parse_sweep_axis("spec.seed=1,2");
    REQUIRE_FALSE(seed.ok());
    CHECK(contains(seed.error(), "--seeds"));
  }
  SECTION("--seeds") {
    CHECK(*parse_sweep_seeds("1-10") == std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
    CHECK(*parse_sweep_seeds("1,2,5") == std::vector<std::uint64_t>{1, 2, 5});
    CHECK(*parse_sweep_seeds("1-3,7") == std::vector<std::uint64_t>{1, 2, 3, 7});
    CHECK(*parse_sweep_seeds("0") == std::vector<std::uint64_t>{0});
    for (const char* bad : {"", "a", "1,", "3-1", "1-", "-2", "1,1", "1-3,2", "1-200000", "1.5"}) {
      INFO(bad);
      auto r = parse_sweep_seeds(bad);
      REQUIRE_FALSE(r.ok());
      CHECK(contains(r.error(), "e.g. --seeds 1-10"));
    }
  }
  SECTION("--metric") {
    auto named = parse_sweep_metric("failed=gpu.failed_pods");
    REQUIRE(named.ok());
    CHECK(named->name == "failed");
    CHECK(named->path == "gpu.failed_pods");
    auto bare = parse_sweep_metric("gpu.failed_pods");
    REQUIRE(bare.ok());
    CHECK(bare->name == "gpu.failed_pods");
    for (const char* bad : {"", "x=", "=gpu.x", "gpu..x", ".gpu", "a b=gpu.x", "a,b=gpu.x"}) {
      INFO(bad);
      auto r = parse_sweep_metric(bad);
      REQUIRE_FALSE(r.ok());
      CHECK(contains(r.error(), "e.g. --metric"));
    }
  }
}

TEST_CASE("summary metrics are read by dotted paths", "[sweep]") {
  const std::string doc = R"({"gpu": {"failed_pods": 12, "at_arrived_percent": {"130":
      {"unallocated_gpus": 284.5}}}, "metrics": {"api.latency_s": {"p99": 0.25}},
      "list": [1, 2.5], "name": "x"})";
  CHECK(*summary_metric(doc, "gpu.failed_pods") == 12.0);
  CHECK(*summary_metric(doc, "gpu.at_arrived_percent.130.unallocated_gpus") == 284.5);
  // A key holding dots is matched whole (longest key first).
  CHECK(*summary_metric(doc, "metrics.api.latency_s.p99") == 0.25);
  CHECK(*summary_metric(doc, "list.1") == 2.5);
  auto missing = summary_metric(doc, "gpu.at_arrived_percent.100.unallocated_gpus");
  REQUIRE_FALSE(missing.ok());
  CHECK(contains(missing.error(), "gpu.at_arrived_percent.100.unallocated_gpus"));
  CHECK(contains(missing.error(), "no key '100' in 'gpu.at_arrived_percent'"));
  CHECK_FALSE(summary_metric(doc, "list.2").ok());
  CHECK_FALSE(summary_metric(doc, "gpu.failed_pods.x").ok());
  auto text = summary_metric(doc, "name");
  REQUIRE_FALSE(text.ok());
  CHECK(contains(text.error(), "not a number"));
}

TEST_CASE("variants are the cartesian product, first axis slowest", "[sweep]") {
  const auto v = sweep_variants({{"a", {"1", "2"}}, {"b", {"x", "y", "z"}}});
  REQUIRE(v.size() == 6);
  CHECK(v[0] == std::vector<std::string>{"1", "x"});
  CHECK(v[2] == std::vector<std::string>{"1", "z"});
  CHECK(v[3] == std::vector<std::string>{"2", "x"});
  CHECK(v[5] == std::vector<std::string>{"2", "z"});
  CHECK(sweep_variants({}) == std::vector<std::vector<std::string>>{{}});
  CHECK(sweep_run_label({"FGD", "10ms"}, 3) == "FGD_10ms-seed3");
  CHECK(sweep_run_label({"a/b c"}, 1) == "a_b_c-seed1");
  CHECK(sweep_run_label({}, 42) == "base-seed42");
}

// The request-queue example shortened to 2 minutes (about 7,200 requests per run).
SweepSpec request_queue_sweep(unsigned jobs) {
  SweepSpec spec;
  spec.scenario_path = kRequestQueue;
  spec.overrides = {"spec.duration=2m"};
  spec.axes = {{"spec.workloads[0].servers", {"3", "4"}}};
  spec.seeds = {1, 2, 3};
  spec.metrics = {{"p99", "metrics.api.latency_s.p99"},
                  {"completed", "metrics.api.requests_completed.value"}};
  spec.jobs = jobs;
  return spec;
}

TEST_CASE("a sweep runs every variant and seed, each equal to a single run", "[sweep]") {
  const SweepSpec spec = request_queue_sweep(2);
  auto result = run_sweep(spec);
  INFO(result.error());
  REQUIRE(result.ok());
  REQUIRE(result->variants.size() == 2);
  REQUIRE(result->seeds == std::vector<std::uint64_t>{1, 2, 3});

  for (std::size_t v = 0; v < 2; ++v) {
    for (std::size_t s = 0; s < 3; ++s) {
      // The same overrides through the `kubesim run` path: load, one ScenarioRun, read.
      scenarios::Diagnostics diagnostics;
      auto scenario = scenarios::load_scenario_file(
          kRequestQueue,
          {"spec.duration=2m", "spec.workloads[0].servers=" + result->variants[v][0],
           "spec.seed=" + std::to_string(result->seeds[s])},
          diagnostics);
      REQUIRE(scenario.has_value());
      ScenarioRun run(*scenario);
      run.run();
      const std::string json = run.summary_json();
      INFO("variant " << v << " seed " << result->seeds[s]);
      CHECK(result->values[v][s][0] == *summary_metric(json, "metrics.api.latency_s.p99"));
      CHECK(result->values[v][s][1] ==
            *summary_metric(json, "metrics.api.requests_completed.value"));
    }
  }
  // Different seeds give different trajectories; fewer servers give a longer tail.
  CHECK(result->values[0][0][1] != result->values[0][1][1]);
  CHECK(result->values[0][0][0] > result->values[1][0][0]);

  TempDir dir("kubesim-sweep");
  REQUIRE(write_sweep_directory(dir.str("out"), spec, *result).empty());
  const std::string results = read_file(dir.str("out/results.csv"));
  const std::string summary = read_file(dir.str("out/summary.csv"));
  CHECK(count_lines(results) == 1 + 2 * 3);
  CHECK(results.rfind("spec.workloads[0].servers,seed,p99,completed\n", 0) == 0);
  CHECK(contains(results, "\n3,1,"));
  CHECK(contains(results, "\n4,3,"));
  CHECK(count_lines(summary) == 1 + 2);
  CHECK(summary.rfind("spec.workloads[0].servers,n,p99_mean,p99_stddev,p99_ci95_low,"
                      "p99_ci95_high,completed_mean,",
                      0) == 0);
  // The summary's mean is the arithmetic mean of the rows.
  const std::vector<double> completed = {result->values[1][0][1], result->values[1][1][1],
                                         result->values[1][2][1]};
  const SampleStats st = sample_stats(completed);
  CHECK(st.mean == Approx((completed[0] + completed[1] + completed[2]) / 3).epsilon(1e-15));
  CHECK(contains(sweep_summary_table(spec, *result), "servers"));
}

TEST_CASE("a sweep's files do not depend on the job count", "[sweep]") {
  const SweepSpec one = request_queue_sweep(1);
  const SweepSpec two = request_queue_sweep(2);
  auto a = run_sweep(one);
  auto b = run_sweep(two);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(sweep_results_csv(one, *a) == sweep_results_csv(two, *b));
  CHECK(sweep_summary_csv(one, *a) == sweep_summary_csv(two, *b));
}

TEST_CASE("a sweep reports a missing metric, a bad scenario and keeps run directories", "[sweep]") {
  SECTION("a missing metric names the path and the run") {
    SweepSpec spec = request_queue_sweep(2);
    spec.metrics.push_back({"failed", "gpu.failed_pods"});
    auto r = run_sweep(spec);
    REQUIRE_FALSE(r.ok());
    CHECK(contains(r.error(), "gpu.failed_pods"));
    CHECK(contains(r.error(), "run 3-seed1"));
  }
  SECTION("a bad override value is a scenario problem naming the run") {
    SweepSpec spec = request_queue_sweep(1);
    spec.axes = {{"spec.workloads[0].servers", {"4", "many"}}};
    auto r = run_sweep(spec);
    REQUIRE_FALSE(r.ok());
    CHECK(contains(r.error(), "run many-seed1"));
  }
  SECTION("duplicate metric names and no metric are refused") {
    SweepSpec spec = request_queue_sweep(1);
    spec.metrics.push_back({"p99", "metrics.api.wait_s.p99"});
    CHECK(contains(run_sweep(spec).error(), "'p99' is used twice"));
    spec.metrics.clear();
    CHECK(contains(run_sweep(spec).error(), "at least one --metric"));
  }
  SECTION("--keep-runs writes one run directory per variant and seed") {
    TempDir dir("kubesim-sweep-runs");
    SweepSpec spec = request_queue_sweep(2);
    spec.seeds = {5};
    spec.keep_runs_dir = dir.str("runs");
    auto r = run_sweep(spec);
    REQUIRE(r.ok());
    for (const char* label : {"3-seed5", "4-seed5"}) {
      INFO(label);
      const std::string summary =
          read_file(dir.str(std::string("runs/") + label + "/summary.json"));
      CHECK(contains(summary, "\"seed\": 5"));
    }
  }
  SECTION("--keep-runs refuses variants whose directory names collide") {
    SweepSpec spec = request_queue_sweep(1);
    spec.axes = {{"spec.workloads[0].servers", {"a b", "a/b"}}};
    spec.keep_runs_dir = "unused";
    CHECK(contains(run_sweep(spec).error(), "share the run directory name a_b;"));
  }
  SECTION("without --seeds, one run per variant with the scenario's own seed") {
    SweepSpec spec = request_queue_sweep(1);
    spec.seeds.clear();
    auto r = run_sweep(spec);
    REQUIRE(r.ok());
    CHECK(r->seeds == std::vector<std::uint64_t>{42});  // request-queue.yaml: seed: 42
    CHECK(count_lines(sweep_results_csv(spec, *r)) == 1 + 2);
  }
}

}  // namespace
}  // namespace kubesim::experiments
