// Sweep: replications and parameter sweeps of one scenario, with summary statistics.
//
// A sweep runs a scenario once for every element of (variant × seed), where a variant is one
// point of the cartesian product of the `--vary path=v1,v2,...` axes (first axis varies
// slowest) and each seed is applied as the override spec.seed=<seed>. Every run is one
// ScenarioRun built from its own freshly loaded Scenario: runs share no mutable state, so
// they execute on `jobs` std::threads in any order, and each result lands in the slot of its
// (variant, seed) — the output never depends on the job count or on thread timing.
//
// From each run's summary.json, named metrics are read by dotted paths
// ("gpu.at_arrived_percent.130.unallocated_gpus"; a segment is an object key, or an index
// into an array; since metric names hold dots, at each object the longest run of segments
// naming a key is taken: "metrics.api.latency_s.p99"). write_sweep_directory() writes
//   results.csv   one row per variant and seed (variants in order, then seeds): each varied
//                 path's value, seed, each metric
//   summary.csv   one row per variant: each varied path's value, n, and per metric mean,
//                 stddev (sample, n−1), ci95_low, ci95_high (Student's t, n−1 df)
// Numbers are written in the shortest form that reads back to the same double.
//
// Thread-safety: run_sweep() owns its threads and joins them before returning; the free
// functions are pure.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/status.hpp"

namespace kubesim::experiments {

// One `--vary path=v1,v2,...` axis.
struct SweepAxis {
  std::string path;
  std::vector<std::string> values;
};

// One `--metric [name=]path`: a number read from summary.json.
struct SweepMetric {
  std::string name;  // the CSV column prefix; the path when no name is given
  std::string path;  // dotted, e.g. gpu.arrived_percent
};

struct SweepSpec {
  std::string scenario_path;
  std::vector<std::string> overrides;  // --set path=value, applied before the axes
  std::vector<SweepAxis> axes;
  // Empty: one run per variant with the scenario's own spec.seed.
  std::vector<std::uint64_t> seeds;
  std::vector<SweepMetric> metrics;
  unsigned jobs = 0;          // 0: std::thread::hardware_concurrency()
  std::string keep_runs_dir;  // non-empty: write each run directory under it
};

// Parsers for the command-line syntax; errors name the input and show an example.
sim::Result<SweepAxis> parse_sweep_axis(std::string_view text);
sim::Result<std::vector<std::uint64_t>> parse_sweep_seeds(std::string_view text);
sim::Result<SweepMetric> parse_sweep_metric(std::string_view text);

// The p-quantile of Student's t distribution with `df` degrees of freedom (df ≥ 1,
// 0.5 ≤ p < 1), by bisection on the CDF written with the regularized incomplete beta
// function (Abramowitz & Stegun 26.7.1 and 26.5.8; continued fraction by the modified Lentz
// method). Accurate to ~1e-12 relative.
double student_t_quantile(double p, int df);

// Sample statistics of one metric over one variant's seeds. With n < 2, stddev and the
// interval are NaN (written as empty CSV fields).
struct SampleStats {
  std::size_t n = 0;
  double mean = 0;
  double stddev = 0;     // sample standard deviation (n − 1 denominator)
  double ci95_low = 0;   // mean − t(0.975, n−1) · stddev / √n
  double ci95_high = 0;  // mean + t(0.975, n−1) · stddev / √n
};
SampleStats sample_stats(std::span<const double> values);

// The number at `path` in a summary.json document; error names the path (and what was
// found instead).
sim::Result<double> summary_metric(const std::string& summary_json, const std::string& path);

struct SweepResult {
  // The value of every axis, per variant, in order (axis-major: first axis slowest).
  std::vector<std::vector<std::string>> variants;
  // The seed of every run of a variant, in order (the scenario's seed when none was given).
  std::vector<std::uint64_t> seeds;
  // values[variant][seed index][metric index]
  std::vector<std::vector<std::vector<double>>> values;
};

// The variants (cartesian product of the axes' values, first axis slowest); one empty
// variant when there are no axes.
std::vector<std::vector<std::string>> sweep_variants(const std::vector<SweepAxis>& axes);

// Called after each run finishes (from a worker thread, serialized): done, total, and the
// run's label ("<variant>-seed<k>").
using SweepProgress = std::function<void(std::size_t, std::size_t, const std::string&)>;

// Runs every (variant, seed). On a scenario error or a missing metric the first error in
// (variant, seed) order is returned, naming the run; runs not started yet are skipped.
sim::Result<SweepResult> run_sweep(const SweepSpec& spec, const SweepProgress& progress = {});

// The label of a run: the variant's values joined with '_' (characters outside
// [A-Za-z0-9._-] become '_'; "base" without axes), then "-seed<k>".
std::string sweep_run_label(const std::vector<std::string>& variant, std::uint64_t seed);

std::string sweep_results_csv(const SweepSpec& spec, const SweepResult& result);
std::string sweep_summary_csv(const SweepSpec& spec, const SweepResult& result);
// A fixed-width table of the summary: per variant, per metric "mean ± CI half-width".
std::string sweep_summary_table(const SweepSpec& spec, const SweepResult& result);
// Writes DIR/results.csv and DIR/summary.csv; returns an error message, empty on success.
std::string write_sweep_directory(const std::string& dir, const SweepSpec& spec,
                                  const SweepResult& result);

}  // namespace kubesim::experiments
