// Training jobs: multi-GPU deep-learning training jobs, Philly- and Helios-style, as gang
// scheduled Kubernetes Jobs (spec.workloads[] with type: trainingJobs).
//
//   workloads:
//   - name: train
//     type: trainingJobs
//     from: {format: helios, path: traces/helios/helios_cluster_summary.csv, cluster: Venus}
//     jobs: 200                      # how many jobs arrive (required)
//     arrivals: {rate: 0.02}         # Poisson, jobs per second; from: helios may omit it
//     load: 1                        # from: helios without a rate: scales the trace's rate
//     timeCompression: 10            # arrival gaps and run times are divided by this
//     maxGpusPerWorker: 8            # a G-GPU job: min(G, 8) GPUs per worker
//     cpuPerGpu: "4"                 # worker requests, per GPU
//     memoryPerGpu: 16Gi
//
// Each job becomes a PodGroup (scheduling.x-k8s.io, minMember = workers) and a Job
// (parallelism = completions = workers, restartPolicy Never) whose pods carry the
// scheduling.x-k8s.io/pod-group label, so the Coscheduling plugin admits them all or none.
// A worker requests gpusPerWorker whole GPUs (nvidia.com/gpu) and cpuPerGpu / memoryPerGpu
// for each, and runs for the job's run time (kubesim.io/run-duration), then succeeds.
//
// Where the figures come from (docs/traces.md, "Training jobs from Philly and Helios"):
//   from: helios  the shipped per-cluster summary (HeliosArtifact helios_cluster_summary.csv):
//                 run time of GPU jobs = a log-normal with the row's median (med_run_time_gpu)
//                 and mean (avg_run_time_gpu); GPUs per job = a synthesized mix over powers of
//                 two with P(1 GPU) = singleGpuFraction (the summary's median is 1 GPU, so
//                 >= 0.5) and the rest a truncated geometric over 2..maxGpusPerJob whose ratio
//                 is solved so that the mean is the row's avg_gpu_num; the arrival rate =
//                 gpu_job_num over the trace's 183 days (2020-04-01..2020-09-30, HeliosData
//                 README "Duration: 6 months") per GPU of the row's gpu_num, times the
//                 simulated cluster's GPUs, times load.
//   from: philly  the machine list (cluster_machine_list): maxGpusPerWorker defaults to the
//                 largest machine's GPU count. The Philly job log is not shipped (a Git LFS
//                 pointer), so unless given (gpusPerJob or workers/gpusPerWorker, runTime,
//                 arrivals) the jobs follow the Philly-derived distributions that Gavel
//                 (Narayanan et al., OSDI'20) samples its Philly workloads from
//                 (stanford-futuredata/gavel scheduler/utils.py, _generate_scale_factor and
//                 _generate_duration): GPUs per job 1, 2, 4, 8 with P = 0.70, 0.10, 0.15,
//                 0.05; run time 60 × 10^U(1.5, 3) s with probability 0.8, else
//                 60 × 10^U(3, 4) s; and Poisson arrivals at the trace's 117,325 jobs over
//                 137 days (msr-fiddle/philly-traces README: submitted 2017-08-07 to
//                 2017-12-22) per GPU of the machine list, times the cluster's GPUs and load.
//   explicit      gpusPerJob, or workers and gpusPerWorker, and runTime, as number/duration
//                 distributions (scenarios/distribution_reader.hpp); they also override the
//                 synthesized Helios ones.
//
// Deterministic: plan_training_jobs draws from the streams workloads/<name>/arrivals,
// workloads/<name>/size and workloads/<name>/run-time, one draw sequence per job in order.
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/objects.hpp"
#include "models/workloads.hpp"
#include "scenarios/diagnostics.hpp"
#include "sim/random.hpp"
#include "sim/time.hpp"

namespace kubesim::scenarios {

class FieldReader;

// Label on every PodGroup, Job and pod of a trainingJobs workload: the workload's name.
inline constexpr std::string_view kTrainingWorkloadLabel = "kubesim.io/training-workload";

// The published figures of one Helios cluster row (helios_cluster_summary.csv).
struct HeliosClusterFigures {
  std::string cluster;          // the row's id: Venus, Earth, Saturn, Uranus or total
  double gpu_num = 0;           // GPUs of the cluster
  double gpu_job_num = 0;       // GPU jobs over the trace
  double avg_run_time_gpu = 0;  // seconds
  double med_run_time_gpu = 0;  // seconds
  double avg_gpu_num = 0;       // GPUs per GPU job, mean
  double med_gpu_num = 0;       // GPUs per GPU job, median
  int line = 0;
};

// The Helios trace period: 2020-04-01 to 2020-09-30 (HeliosData README, "Duration: 6 months").
inline constexpr double kHeliosTraceDays = 183;

// Reads one cluster's row from a Helios cluster summary. nullopt after a diagnostic (file
// and line) in `out`: a missing file or column, an unknown cluster (with did-you-mean), a
// bad number. An unknown cluster is reported at `at`'s field "cluster" when given.
std::optional<HeliosClusterFigures> read_helios_figures(const std::string& path,
                                                        const std::string& cluster,
                                                        Diagnostics& out,
                                                        FieldReader* at = nullptr);

// The synthesized GPUs-per-job mix: values 1, 2, 4, ..., max_gpus (a power of two);
// P(1) = single_fraction; P(2^k) for k >= 1 proportional to r^k with r solved (bisection)
// so that the mean is `mean`. nullopt when no r reaches the mean (mean outside
// [single_fraction + 2(1 - single_fraction), single_fraction + max_gpus(1 - single_fraction)]).
std::optional<sim::Distribution> gpu_mix_distribution(double mean, double single_fraction,
                                                      std::int32_t max_gpus);

// Log-normal with the given median and mean (sigma = sqrt(2 ln(mean / median))).
// REQUIRES 0 < median <= mean.
sim::Distribution lognormal_median_mean(double median, double mean);

// The Philly trace: 117,325 jobs submitted between 2017-08-07 and 2017-12-22
// (msr-fiddle/philly-traces README, "Trace Details").
inline constexpr double kPhillyTraceJobs = 117325;
inline constexpr double kPhillyTraceDays = 137;

// Philly GPUs per job (Gavel's _generate_scale_factor): 1, 2, 4, 8 GPUs with probabilities
// 0.70, 0.10, 0.15, 0.05.
sim::Distribution philly_gpus_per_job();

// One Philly run time in seconds (Gavel's _generate_duration): with probability 0.8,
// 60 × 10^U(1.5, 3) (31.6 min to 16.7 h), else 60 × 10^U(3, 4) (16.7 h to 6.9 days).
// Two draws from `rng`: the band, then the exponent. Median 60 × 10^2.4375 ≈ 16,429 s.
double sample_philly_run_time(sim::Rng& rng);

struct TrainingJobsSpec {
  enum class Source : std::uint8_t { kExplicit, kHelios, kPhilly };
  std::string name;
  Source source = Source::kExplicit;
  std::string source_path;                       // resolved; empty for kExplicit
  std::optional<HeliosClusterFigures> helios;    // kHelios
  std::int32_t philly_machines = 0;              // kPhilly: machines in the list
  std::int32_t philly_max_gpus_per_machine = 0;  // kPhilly
  std::int64_t philly_gpus = 0;                  // kPhilly: GPUs of the machine list
  bool philly_run_time = false;                  // kPhilly without runTime: sample_philly_run_time
  std::string namespace_ = "default";
  std::string scheduler_name;  // empty: default-scheduler
  std::int32_t jobs = 0;
  sim::Time start = 0;
  // Poisson arrivals: jobs per second. Unset (kHelios, kPhilly): rate_per_gpu × cluster GPUs.
  std::optional<double> rate;
  // kHelios: gpu_job_num / (183 d) / gpu_num; kPhilly: 117,325 / (137 d) / the machine
  // list's GPUs; times load.
  double rate_per_gpu = 0;
  double load = 1;
  double time_compression = 1;  // arrival gaps and run times are divided by it (load kept)
  std::optional<sim::Duration> max_run_time;  // cap after compression
  // Job size: gpus_per_job (split into workers by max_gpus_per_worker), or workers and
  // gpus_per_worker drawn separately.
  std::optional<sim::Distribution> gpus_per_job;
  std::optional<sim::Distribution> workers;
  std::optional<sim::Distribution> gpus_per_worker;
  std::int32_t max_gpus_per_worker = 8;
  std::int32_t max_gpus_per_job = 64;
  double single_gpu_fraction = 0.6;
  sim::Distribution run_time = sim::Distribution::constant(3600);  // seconds, before compression
  std::int64_t cpu_milli_per_gpu = 4000;
  std::int64_t memory_per_gpu = 16LL << 30;
  std::string gpu_model;  // optional: required node affinity on nvidia.com/gpu.product
  std::optional<std::int32_t> schedule_timeout_seconds;  // PodGroup scheduleTimeoutSeconds
  std::string image = "pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime";
};

// One job of the plan.
struct PlannedTrainingJob {
  std::string name;  // "<workload>-<index>", index from 0, zero-padded to 5 digits
  sim::Time arrival = 0;
  std::int32_t workers = 1;
  std::int32_t gpus_per_worker = 1;
  sim::Duration run_time = 0;  // after compression and cap, at least 1 s
};

// Reads a trainingJobs workload (its `type` has been read). Trace files are read here.
std::optional<TrainingJobsSpec> read_training_jobs(FieldReader& w, const std::string& name,
                                                   const std::string& base_dir);

// The jobs in arrival order. `cluster_gpus` sets the rate when the spec has none.
// Streams: see the file comment; `seed`/`replication` are the run's.
std::vector<PlannedTrainingJob> plan_training_jobs(const TrainingJobsSpec& spec,
                                                   std::int64_t cluster_gpus, std::uint64_t seed,
                                                   std::uint64_t replication);

// The Kubernetes objects of one planned job.
models::PodGroup training_pod_group(const TrainingJobsSpec& spec, const PlannedTrainingJob& job);
models::Job training_job(const TrainingJobsSpec& spec, const PlannedTrainingJob& job);

}  // namespace kubesim::scenarios
