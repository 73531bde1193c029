// Tests for trainingJobs workloads (scenarios/training_jobs.hpp): the figures read from the
// shipped Helios cluster summary, the distributions synthesized from them, the plan
// (arrivals, sizes, run times, determinism) and bad input with file:line.
//
// Expected values come from the trace file itself, computed independently with awk:
//   awk -F, '$1=="Venus"{printf "%s %s %s %s %s %.10g\n", $2, $5, $7, $12, $10,
//            $5/(183*86400)/$2}' scenarios/examples/traces/helios/helios_cluster_summary.csv
//   → gpu_num 1022, gpu_job_num 125303, avg_run_time_gpu 13040.598, med_run_time_gpu 204.0,
//     avg_gpu_num 6.736, GPU jobs per GPU per second 7.754356099e-06
// and the Philly machine list:
//   awk -F, 'NR>1{c[$2+0]++} END{for(k in c) print k, c[k]}' .../philly/cluster_machine_list
//   → 231 machines with 8 GPUs, 321 with 2.
#include "scenarios/training_jobs.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "scenarios/scenario.hpp"
#include "sim/random.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using namespace kubesim::scenarios;
namespace sim = kubesim::sim;

const fs::path kTraces = fs::path(KUBESIM_SOURCE_DIR) / "scenarios" / "examples" / "traces";

std::string scenario_text(const std::string& workload) {
  return "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {name: t}\nspec:\n"
         "  duration: 1m\n  cluster:\n    nodePools:\n"
         "    - {name: gpu, count: 2, cpu: \"64\", memory: 512Gi,"
         " gpu: {model: A100, count: 8}}\n"
         "  workloads:\n  - name: train\n    type: trainingJobs\n" +
         workload;
}

struct Loaded {
  std::optional<Scenario> scenario;
  Diagnostics diagnostics;
};

// Loads a scenario whose file sits in `dir` (relative trace paths resolve against it).
Loaded load(const std::string& dir, const std::string& workload) {
  Loaded l;
  l.scenario = load_scenario_text(scenario_text(workload), dir + "/s.yaml", {}, l.diagnostics);
  return l;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

}  // namespace

TEST_CASE("the Helios summary row is read as published", "[training_jobs]") {
  Diagnostics d;
  auto venus =
      read_helios_figures((kTraces / "helios" / "helios_cluster_summary.csv").string(), "Venus", d);
  INFO(d.format());
  REQUIRE(venus);
  CHECK(venus->gpu_num == 1022);
  CHECK(venus->gpu_job_num == 125303);
  CHECK(venus->avg_run_time_gpu == Approx(13040.598).epsilon(1e-12));
  CHECK(venus->med_run_time_gpu == 204);
  CHECK(venus->avg_gpu_num == Approx(6.736).epsilon(1e-12));
  CHECK(venus->med_gpu_num == 1);
  CHECK(venus->line == 2);
  auto total =
      read_helios_figures((kTraces / "helios" / "helios_cluster_summary.csv").string(), "total", d);
  REQUIRE(total);
  CHECK(total->gpu_num == 6220);
  CHECK(total->line == 6);
}

TEST_CASE("the synthesized GPU mix has the published mean and median", "[training_jobs]") {
  for (double mean : {6.736, 2.101, 4.01, 4.038, 3.716}) {  // Venus, Earth, Saturn, Uranus, total
    auto mix = gpu_mix_distribution(mean, 0.6, 64);
    REQUIRE(mix);
    CHECK(mix->mean() == Approx(mean).epsilon(1e-9));
    sim::Rng rng(42);
    const int n = 200000;
    std::vector<double> draws(n);
    int ones = 0;
    bool powers_of_two = true;  // only powers of two up to 64
    for (auto& x : draws) {
      x = mix->sample(rng);
      if (x == 1) ++ones;
      const auto g = static_cast<std::int64_t>(x);
      powers_of_two = powers_of_two && g >= 1 && g <= 64 && (g & (g - 1)) == 0;
    }
    CHECK(powers_of_two);
    // P(1 GPU) = 0.6: the binomial standard deviation is sqrt(0.24 / n) = 0.0011.
    CHECK(static_cast<double>(ones) / n == Approx(0.6).margin(0.006));
    CHECK(median(draws) == 1);  // the summary's med_gpu_num
    const double sample_mean = std::accumulate(draws.begin(), draws.end(), 0.0) / n;
    CHECK(sample_mean == Approx(mean).epsilon(0.03));
  }
  // The mean must be reachable: with 60 % single-GPU jobs, between 0.6 + 0.4·2 = 1.4 and
  // 0.6 + 0.4·64 = 26.2.
  CHECK_FALSE(gpu_mix_distribution(1.3, 0.6, 64));
  CHECK_FALSE(gpu_mix_distribution(27, 0.6, 64));
}

TEST_CASE("the run-time log-normal has the published median and mean", "[training_jobs]") {
  const sim::Distribution d = lognormal_median_mean(204, 13040.598);  // Venus
  // Analytic mean e^(mu + sigma^2/2) with mu = ln 204, sigma^2 = 2 ln(13040.598 / 204).
  CHECK(d.mean() == Approx(13040.598).epsilon(1e-9));
  sim::Rng rng(7);
  const int n = 100000;
  std::vector<double> draws(n);
  double log_sum = 0;
  for (auto& x : draws) {
    x = d.sample(rng);
    log_sum += std::log(x);
  }
  // The sample median of a log-normal: sd of ln(median) ≈ 1.2533·sigma/sqrt(n) = 0.011.
  CHECK(median(draws) == Approx(204).epsilon(0.04));
  CHECK(log_sum / n == Approx(std::log(204.0)).margin(0.03));
  // Median equal to mean: no spread.
  CHECK(lognormal_median_mean(60, 60).sample(rng) == 60);
}

TEST_CASE("from: helios plans Poisson arrivals at the trace's rate per GPU", "[training_jobs]") {
  kubesim::testing::TempDir dir("kubesim-training");
  fs::copy_file(kTraces / "helios" / "helios_cluster_summary.csv", dir.path() / "h.csv");
  auto l = load(dir.str(),
                "    from: {format: helios, path: h.csv, cluster: Venus}\n"
                "    jobs: 20000\n    timeCompression: 4\n");
  INFO(l.diagnostics.format());
  REQUIRE(l.scenario);
  REQUIRE(l.scenario->training_jobs.size() == 1);
  const TrainingJobsSpec& spec = l.scenario->training_jobs[0];
  CHECK(spec.rate_per_gpu == Approx(7.754356099e-06).epsilon(1e-9));
  const std::int64_t cluster_gpus = 16;
  const auto plan = plan_training_jobs(spec, cluster_gpus, 1, 0);
  REQUIRE(plan.size() == 20000);
  // Mean gap = 1 / (rate per GPU × 16 GPUs) / 4 (time compression) = 2014.8 s; the
  // exponential's relative standard error over 20,000 gaps is 1/sqrt(20000) = 0.7 %.
  const double expected_gap = 1.0 / (7.754356099e-06 * 16) / 4;
  CHECK(sim::to_seconds(plan.back().arrival) / 20000 == Approx(expected_gap).epsilon(0.03));
  std::vector<double> gpus;
  std::vector<double> run;
  bool ordered = true;  // arrivals in plan order
  bool fits = true;     // at most 8 GPUs per worker, 64 per job
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const auto& j = plan[i];
    ordered = ordered && (i == 0 || j.arrival >= plan[i - 1].arrival);
    fits = fits && j.gpus_per_worker <= 8 && j.workers * j.gpus_per_worker <= 64;
    gpus.push_back(j.workers * j.gpus_per_worker);
    run.push_back(sim::to_seconds(j.run_time));
  }
  CHECK(ordered);
  CHECK(fits);
  CHECK(plan[0].name == "train-00000");
  CHECK(plan[12345].name == "train-12345");
  CHECK(std::accumulate(gpus.begin(), gpus.end(), 0.0) / 20000 == Approx(6.736).epsilon(0.05));
  CHECK(median(gpus) == 1);
  // Run times are compressed 4×: median 204 / 4 = 51 s (rounded to ms, at least 1 s).
  CHECK(median(run) == Approx(51).epsilon(0.05));

  SECTION("the plan is a function of (seed, replication)") {
    const auto again = plan_training_jobs(spec, cluster_gpus, 1, 0);
    bool same = true;
    for (std::size_t i = 0; i < plan.size(); ++i) {
      same = same && again[i].arrival == plan[i].arrival && again[i].workers == plan[i].workers &&
             again[i].gpus_per_worker == plan[i].gpus_per_worker &&
             again[i].run_time == plan[i].run_time;
    }
    CHECK(same);
    const auto other = plan_training_jobs(spec, cluster_gpus, 1, 1);
    CHECK(other[0].arrival != plan[0].arrival);
  }
}

TEST_CASE("explicit job sizes and run times", "[training_jobs]") {
  kubesim::testing::TempDir dir("kubesim-training");
  auto l = load(dir.str(),
                "    jobs: 3\n    arrivals: {rate: 0.5}\n    start: 10s\n"
                "    workers: 4\n    gpusPerWorker: 2\n    runTime: 10m\n"
                "    timeCompression: 2\n    cpuPerGpu: 3\n    memoryPerGpu: 8Gi\n"
                "    scheduleTimeoutSeconds: 30\n    gpuModel: A100\n");
  INFO(l.diagnostics.format());
  REQUIRE(l.scenario);
  const TrainingJobsSpec& spec = l.scenario->training_jobs.at(0);
  const auto plan = plan_training_jobs(spec, 16, 1, 0);
  REQUIRE(plan.size() == 3);
  CHECK(plan[0].arrival > 10 * sim::kSecond);
  for (const auto& j : plan) {
    CHECK(j.workers == 4);
    CHECK(j.gpus_per_worker == 2);
    CHECK(j.run_time == 5 * sim::kMinute);  // 10 m / 2
  }
  const auto group = training_pod_group(spec, plan[1]);
  CHECK(group.metadata.name == "train-00001");
  CHECK(group.spec.min_member == 4);
  CHECK(group.spec.schedule_timeout_seconds == 30);
  const auto job = training_job(spec, plan[1]);
  CHECK(job.metadata.name == "train-00001");
  CHECK(job.spec.parallelism == 4);
  CHECK(job.spec.completions == 4);
  const auto& t = job.spec.template_;
  CHECK(*t.metadata.labels.find(kubesim::models::kPodGroupLabel) == "train-00001");
  CHECK(*t.metadata.annotations.find(kubesim::models::kRunDurationAnnotation) == "5m0s");
  REQUIRE(t.spec.containers.size() == 1);
  CHECK(t.spec.containers[0].requests.gpu == 2);
  CHECK(t.spec.containers[0].requests.cpu_milli == 6000);
  CHECK(t.spec.containers[0].requests.memory == 16LL << 30);
  CHECK(t.spec.restart_policy == kubesim::models::RestartPolicy::kNever);
  REQUIRE(t.spec.node_affinity);

  SECTION("gpusPerJob is split into equal workers of at most maxGpusPerWorker GPUs") {
    auto l2 = load(dir.str(),
                   "    jobs: 1\n    arrivals: {rate: 1}\n    gpusPerJob: 12\n"
                   "    maxGpusPerWorker: 8\n    runTime: 1h\n");
    REQUIRE(l2.scenario);
    const auto p = plan_training_jobs(l2.scenario->training_jobs.at(0), 16, 1, 0);
    CHECK(p.at(0).workers == 2);  // 12 = 2 × 6: the largest divisor of 12 at most 8
    CHECK(p.at(0).gpus_per_worker == 6);
  }
}

TEST_CASE("from: philly takes the machine list's shape; explicit distributions override",
          "[training_jobs]") {
  kubesim::testing::TempDir dir("kubesim-training");
  fs::copy_file(kTraces / "philly" / "cluster_machine_list", dir.path() / "machines");
  auto ok = load(dir.str(),
                 "    from: {format: philly, path: machines}\n    jobs: 5\n"
                 "    arrivals: {rate: 0.01}\n    gpusPerJob: 16\n    runTime: 2h\n");
  INFO(ok.diagnostics.format());
  REQUIRE(ok.scenario);
  const auto& spec = ok.scenario->training_jobs.at(0);
  CHECK(spec.philly_machines == 552);
  CHECK(spec.philly_max_gpus_per_machine == 8);
  CHECK(spec.max_gpus_per_worker == 8);
  const auto plan = plan_training_jobs(spec, 2490, 3, 0);
  CHECK(plan.at(0).workers == 2);
  CHECK(plan.at(0).gpus_per_worker == 8);

  // Without sizes, run times or a rate, the built-in Philly distributions fill them in.
  auto builtin = load(dir.str(), "    from: {format: philly, path: machines}\n    jobs: 5\n");
  INFO(builtin.diagnostics.format());
  REQUIRE(builtin.scenario);
  CHECK(builtin.scenario->training_jobs.at(0).philly_run_time);
  CHECK(builtin.scenario->training_jobs.at(0).gpus_per_job.has_value());
}

// Expected values by hand from Gavel's Philly samplers (stanford-futuredata/gavel
// scheduler/utils.py, _generate_scale_factor and _generate_duration) and the philly-traces
// README (117,325 jobs, 2017-08-07 to 2017-12-22 = 137 days):
//   rate per GPU = 117325 / (137 × 86400) / 2490 = 3.98068e-6 jobs/s (2,490 GPUs: 231 × 8 +
//   321 × 2, awk above);
//   run time: F(t) = 0.8 (log10(t/60) - 1.5) / 1.5 below 60,000 s, so the median is
//   60 × 10^(1.5 + 1.5 × 0.5 / 0.8) = 60 × 10^2.4375 = 16,430 s, and P(t > 60,000 s) = 0.2.
// Bounds for n = 20,000 jobs at 4.5 standard deviations (two-sided miss ≈ 7e-6 each):
//   share p: ± 4.5 √(p(1-p)/n): 1 GPU 0.70 ± 0.0146, 2: 0.10 ± 0.0096, 4: 0.15 ± 0.0114,
//   8: 0.05 ± 0.0070; long jobs 0.20 ± 0.0128.
//   sample median (order statistic): F(median) within 0.5 ± 4.5 × 0.5 / √n = 0.5 ± 0.0159,
//   i.e. 60 × 10^(1.5 + 1.5 × 0.4841 / 0.8) = 15,339 s to 60 × 10^(1.5 + 1.5 × 0.5159 / 0.8)
//   = 17,600 s.
TEST_CASE("from: philly alone synthesizes the Philly job sizes, run times and rate",
          "[training_jobs]") {
  kubesim::testing::TempDir dir("kubesim-training");
  fs::copy_file(kTraces / "philly" / "cluster_machine_list", dir.path() / "machines");
  auto l = load(dir.str(), "    from: {format: philly, path: machines}\n    jobs: 20000\n");
  INFO(l.diagnostics.format());
  REQUIRE(l.scenario);
  const auto& spec = l.scenario->training_jobs.at(0);
  CHECK(spec.philly_gpus == 2490);
  CHECK(spec.rate_per_gpu == Approx(3.98068e-6).epsilon(1e-5));
  CHECK_FALSE(spec.rate.has_value());

  const auto plan = plan_training_jobs(spec, 2490, 11, 0);
  REQUIRE(plan.size() == 20000);
  const double n = 20000;
  std::map<int, int> by_gpus;
  std::vector<double> run_times;
  int long_jobs = 0;
  for (const auto& job : plan) {
    ++by_gpus[job.workers * job.gpus_per_worker];
    CHECK(job.workers == 1);  // at most 8 GPUs: one worker on one 8-GPU machine
    const double t = sim::to_seconds(job.run_time);
    run_times.push_back(t);
    if (t > 60000) ++long_jobs;
    CHECK(t >= 60 * std::pow(10.0, 1.5) - 0.001);
    CHECK(t <= 60 * 1e4 + 0.001);
  }
  CHECK(by_gpus.size() == 4);
  CHECK(by_gpus[1] / n == Approx(0.70).margin(0.0146));
  CHECK(by_gpus[2] / n == Approx(0.10).margin(0.0096));
  CHECK(by_gpus[4] / n == Approx(0.15).margin(0.0114));
  CHECK(by_gpus[8] / n == Approx(0.05).margin(0.0070));
  CHECK(long_jobs / n == Approx(0.20).margin(0.0128));
  const double m = median(run_times);
  CHECK(m > 15339);
  CHECK(m < 17600);
  // Poisson arrivals at 2490 × 3.98068e-6 = 9.9119e-3 jobs/s: the last of n arrivals is
  // near n / rate = 2.0178e6 s (relative sd 1/√n = 0.71 %; 4.5 sd = 3.2 %).
  CHECK(sim::to_seconds(plan.back().arrival) == Approx(20000 / 9.9119e-3).epsilon(0.032));

  // Seeded and deterministic: the same seed gives the same plan, another seed another one.
  const auto again = plan_training_jobs(spec, 2490, 11, 0);
  const auto other = plan_training_jobs(spec, 2490, 12, 0);
  bool same = true;
  bool differs = false;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    same = same && plan[i].arrival == again[i].arrival && plan[i].run_time == again[i].run_time &&
           plan[i].gpus_per_worker == again[i].gpus_per_worker;
    differs = differs || plan[i].run_time != other[i].run_time;
  }
  CHECK(same);
  CHECK(differs);
}

TEST_CASE("the Philly run time has the hand-computed quantiles", "[training_jobs]") {
  // The empirical CDF of 200,000 draws at the band edges and the median; Kolmogorov-style
  // bound 4.5 × 0.5 / √200000 = 0.0050 on each.
  sim::Rng rng(5, 0, "philly-run-time");
  std::vector<double> v;
  for (int i = 0; i < 200000; ++i) v.push_back(sample_philly_run_time(rng));
  auto cdf = [&v](double t) {
    return static_cast<double>(
               std::count_if(v.begin(), v.end(), [t](double x) { return x <= t; })) /
           static_cast<double>(v.size());
  };
  CHECK(cdf(60000) == Approx(0.8).margin(0.005));                      // band edge, 10^3 min
  CHECK(cdf(16430) == Approx(0.5).margin(0.005));                      // the median
  CHECK(cdf(60 * std::pow(10.0, 2.25)) == Approx(0.4).margin(0.005));  // mid short band
  CHECK(cdf(60 * std::pow(10.0, 3.5)) == Approx(0.9).margin(0.005));   // mid long band
  CHECK(*std::min_element(v.begin(), v.end()) >= 60 * std::pow(10.0, 1.5));
  CHECK(*std::max_element(v.begin(), v.end()) <= 60 * 1e4);
}

TEST_CASE("bad trainingJobs input is reported with file and line", "[training_jobs]") {
  kubesim::testing::TempDir dir("kubesim-training");
  fs::copy_file(kTraces / "helios" / "helios_cluster_summary.csv", dir.path() / "h.csv");

  SECTION("an unknown cluster, with a did-you-mean, at the scenario's line") {
    auto l = load(dir.str(),
                  "    from: {format: helios, path: h.csv, cluster: Venis}\n"
                  "    jobs: 5\n");
    CHECK_FALSE(l.scenario);
    const std::string text = l.diagnostics.format();
    CHECK_THAT(text, Catch::Contains("s.yaml:12:"));  // the from: line of the scenario
    CHECK_THAT(text, Catch::Contains("no cluster \"Venis\""));
    CHECK_THAT(text, Catch::Contains("did you mean \"Venus\"?"));
  }
  SECTION("a malformed summary row, at the file's line") {
    std::ofstream(dir.path() / "bad.csv")
        << "id,gpu_num,gpu_job_num,avg_run_time_gpu,med_run_time_gpu,avg_gpu_num,med_gpu_num\n"
           "Venus,1022,125303,13040.598,204.0,6.736,1.0\n"
           "Mars,100,x7,10,5,2,1\n";
    auto l = load(dir.str(),
                  "    from: {format: helios, path: bad.csv, cluster: Mars}\n"
                  "    jobs: 5\n");
    CHECK_FALSE(l.scenario);
    CHECK_THAT(l.diagnostics.format(), Catch::Contains("bad.csv:3:"));
  }
  SECTION("a row without a GPU-job column") {
    std::ofstream(dir.path() / "short.csv") << "id,gpu_num,gpu_job_num\nMars,100,7\n";
    auto l = load(dir.str(),
                  "    from: {format: helios, path: short.csv, cluster: Mars}\n"
                  "    jobs: 5\n");
    CHECK_FALSE(l.scenario);
    CHECK_THAT(l.diagnostics.format(), Catch::Contains("short.csv:2:"));
    CHECK_THAT(l.diagnostics.format(), Catch::Contains("avg_run_time_gpu"));
  }
  SECTION("a missing file") {
    auto l = load(dir.str(), "    from: {format: helios, path: nope.csv}\n    jobs: 5\n");
    CHECK_FALSE(l.scenario);
    CHECK_THAT(l.diagnostics.format(), Catch::Contains("nope.csv"));
  }
  SECTION("explicit jobs need a rate, sizes and a run time") {
    auto l = load(dir.str(), "    jobs: 5\n");
    CHECK_FALSE(l.scenario);
    const std::string text = l.diagnostics.format();
    CHECK_THAT(text, Catch::Contains("arrivals"));
    CHECK_THAT(text, Catch::Contains("runTime"));
    CHECK_THAT(text, Catch::Contains("needs from: or the job sizes"));
  }
  SECTION("gpusPerJob and workers together") {
    auto l = load(dir.str(),
                  "    jobs: 5\n    arrivals: {rate: 1}\n    runTime: 1m\n"
                  "    gpusPerJob: 4\n    workers: 2\n");
    CHECK_FALSE(l.scenario);
    CHECK_THAT(l.diagnostics.format(), Catch::Contains("s.yaml:15:"));  // the gpusPerJob line
  }
  SECTION("a typo in a field") {
    auto l = load(dir.str(),
                  "    from: {format: helios, path: h.csv}\n    jobs: 5\n"
                  "    timeCompresion: 2\n");
    CHECK_FALSE(l.scenario);
    CHECK_THAT(l.diagnostics.format(), Catch::Contains("timeCompression"));
  }
  SECTION("a trainingJobs workload needs a cluster") {
    Diagnostics d;
    auto s = load_scenario_text(
        "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {name: t}\nspec:\n"
        "  duration: 1m\n  workloads:\n  - name: train\n    type: trainingJobs\n"
        "    jobs: 1\n    arrivals: {rate: 1}\n    gpusPerJob: 1\n    runTime: 1m\n",
        dir.str("s.yaml"), {}, d);
    CHECK_FALSE(s);
    CHECK_THAT(d.format(), Catch::Contains("needs a cluster"));
  }
}
