#include "scenarios/training_jobs.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "models/labels.hpp"
#include "scenarios/distribution_reader.hpp"
#include "scenarios/traces.hpp"
#include "scenarios/yaml_reader.hpp"

namespace kubesim::scenarios {
namespace {

std::string resolve_path(const std::string& base_dir, const std::string& file) {
  std::filesystem::path path(file);
  if (path.is_relative()) path = std::filesystem::path(base_dir) / path;
  return path.lexically_normal().string();
}

const double* find_value(const traces::SummaryRow& row, std::string_view column) {
  for (const auto& [k, v] : row.values) {
    if (k == column) return &v;
  }
  return nullptr;
}

// Mean of the mix for ratio r (see gpu_mix_distribution).
double mix_mean(double r, double single, const std::vector<double>& sizes) {
  double w = 0;
  double m = 0;
  double p = 1;
  for (double s : sizes) {
    p *= r;
    w += p;
    m += p * s;
  }
  return single + (1 - single) * m / w;
}

// The largest divisor of g that is at most cap (cap >= 1).
std::int32_t largest_divisor_at_most(std::int32_t g, std::int32_t cap) {
  for (std::int32_t d = std::min(g, cap); d > 1; --d) {
    if (g % d == 0) return d;
  }
  return 1;
}

}  // namespace

std::optional<HeliosClusterFigures> read_helios_figures(const std::string& path,
                                                        const std::string& cluster,
                                                        Diagnostics& out, FieldReader* at) {
  auto trace = traces::load_cluster_trace("helios", {path}, {}, out);
  if (!trace) return std::nullopt;
  if (trace->summaries.empty()) {
    out.add(Diagnostic{path, 1, 0, "", "not a Helios cluster summary (no cluster rows)",
                       "use helios_cluster_summary.csv (columns id, gpu_num, gpu_job_num, ...)"});
    return std::nullopt;
  }
  std::vector<std::string> names;
  for (const auto& row : trace->summaries) {
    names.push_back(row.name);
    if (row.name != cluster) continue;
    HeliosClusterFigures f;
    f.cluster = row.name;
    f.line = row.line;
    bool ok = true;
    auto take = [&](std::string_view column, double& into) {
      const double* v = find_value(row, column);
      if (v == nullptr || !(*v > 0)) {
        out.add(Diagnostic{path, row.line, 0, std::string(column),
                           v == nullptr ? "missing value" : "must be positive",
                           "a Helios cluster summary row has every GPU-job column"});
        ok = false;
        return;
      }
      into = *v;
    };
    take("gpu_num", f.gpu_num);
    take("gpu_job_num", f.gpu_job_num);
    take("avg_run_time_gpu", f.avg_run_time_gpu);
    take("med_run_time_gpu", f.med_run_time_gpu);
    take("avg_gpu_num", f.avg_gpu_num);
    take("med_gpu_num", f.med_gpu_num);
    if (ok && f.med_run_time_gpu > f.avg_run_time_gpu) {
      out.add(Diagnostic{path, row.line, 0, "med_run_time_gpu",
                         "the median run time is above the mean",
                         "a log-normal needs median <= mean"});
      ok = false;
    }
    if (!ok) return std::nullopt;
    return f;
  }
  std::string hint = "clusters in the file: ";
  for (std::size_t i = 0; i < names.size(); ++i) hint += (i ? ", " : "") + names[i];
  const std::string near = did_you_mean(cluster, names);
  if (!near.empty()) hint = "did you mean \"" + near + "\"? " + hint;
  std::string message = "no cluster \"" + cluster + "\" in " + path;
  if (at != nullptr) {
    at->error("cluster", std::move(message), std::move(hint));
  } else {
    out.add(Diagnostic{path, 0, 0, "cluster", std::move(message), std::move(hint)});
  }
  return std::nullopt;
}

std::optional<sim::Distribution> gpu_mix_distribution(double mean, double single_fraction,
                                                      std::int32_t max_gpus) {
  if (!(single_fraction >= 0 && single_fraction < 1) || max_gpus < 2) return std::nullopt;
  std::vector<double> sizes;
  for (std::int32_t s = 2; s <= max_gpus; s *= 2) sizes.push_back(s);
  const double lo_mean = mix_mean(1e-12, single_fraction, sizes);
  const double hi_mean = mix_mean(1e12, single_fraction, sizes);
  if (!(mean > lo_mean && mean < hi_mean)) return std::nullopt;
  // mix_mean is increasing in r: bisection on ln r.
  double lo = std::log(1e-12);
  double hi = std::log(1e12);
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (mix_mean(std::exp(mid), single_fraction, sizes) < mean ? lo : hi) = mid;
  }
  const double r = std::exp(0.5 * (lo + hi));
  std::vector<double> values{1};
  std::vector<double> weights{single_fraction};
  double total = 0;
  double p = 1;
  for (std::size_t k = 0; k < sizes.size(); ++k) total += (p *= r);
  p = 1;
  for (double s : sizes) {
    p *= r;
    values.push_back(s);
    weights.push_back((1 - single_fraction) * p / total);
  }
  auto d = sim::Distribution::empirical(std::move(values), std::move(weights));
  if (!d) return std::nullopt;
  return *d;
}

sim::Distribution philly_gpus_per_job() {
  // upstream: Gavel scheduler/utils.py _generate_scale_factor: r ~ U(0, 1); 2 GPUs for
  // r in [0.7, 0.8], 4 for [0.8, 0.95], 8 above, else 1.
  return *sim::Distribution::empirical({1, 2, 4, 8}, {0.70, 0.10, 0.15, 0.05});
}

double sample_philly_run_time(sim::Rng& rng) {
  // upstream: Gavel scheduler/utils.py _generate_duration (minutes, times 60).
  const bool long_job = rng.uniform01() >= 0.8;
  const double exponent = long_job ? 3.0 + rng.uniform01() : 1.5 + 1.5 * rng.uniform01();
  return 60.0 * std::pow(10.0, exponent);
}

sim::Distribution lognormal_median_mean(double median, double mean) {
  // median = e^mu, mean = e^(mu + sigma^2 / 2).
  const double sigma = std::sqrt(2 * std::log(mean / median));
  if (!(sigma > 0)) return sim::Distribution::constant(median);
  return *sim::Distribution::lognormal(std::log(median), sigma);
}

std::optional<TrainingJobsSpec> read_training_jobs(FieldReader& w, const std::string& name,
                                                   const std::string& base_dir) {
  const std::size_t errors = w.diagnostics()->size();
  TrainingJobsSpec spec;
  spec.name = name;
  if (auto ns = w.string("namespace")) spec.namespace_ = *ns;
  if (auto s = w.string("schedulerName")) spec.scheduler_name = *s;
  if (auto j = w.integer("jobs", 1, 10'000'000, true)) spec.jobs = static_cast<std::int32_t>(*j);
  if (auto s = w.duration("start", 0)) spec.start = *s;
  if (auto l = w.number("load", 1e-9, 1e9)) spec.load = *l;
  if (auto c = w.number("timeCompression", 1e-9, 1e12)) spec.time_compression = *c;
  spec.max_run_time = w.duration("maxRunTime", sim::kSecond);
  if (auto g = w.integer("maxGpusPerWorker", 1, 1024)) {
    spec.max_gpus_per_worker = static_cast<std::int32_t>(*g);
  }
  if (auto g = w.integer("maxGpusPerJob", 2, 65536)) {
    spec.max_gpus_per_job = static_cast<std::int32_t>(*g);
    if ((spec.max_gpus_per_job & (spec.max_gpus_per_job - 1)) != 0) {
      w.error("maxGpusPerJob", "must be a power of two", "e.g. 64");
    }
  }
  if (auto f = w.number("singleGpuFraction", 0.5, 0.999)) spec.single_gpu_fraction = *f;
  if (auto c = w.quantity("cpuPerGpu", "cpu")) spec.cpu_milli_per_gpu = *c;
  if (auto m = w.quantity("memoryPerGpu", "memory")) spec.memory_per_gpu = *m;
  if (auto g = w.string("gpuModel")) spec.gpu_model = *g;
  if (auto i = w.string("image")) spec.image = *i;
  if (auto t = w.integer("scheduleTimeoutSeconds", 1, 86400 * 365)) {
    spec.schedule_timeout_seconds = static_cast<std::int32_t>(*t);
  }
  if (auto a = w.map("arrivals")) {
    spec.rate = a->number("rate", 1e-12, 1e9, true);
    a->finish();
  }
  spec.gpus_per_job = read_number_distribution(w, "gpusPerJob", 1, 65536);
  spec.workers = read_number_distribution(w, "workers", 1, 65536);
  spec.gpus_per_worker = read_number_distribution(w, "gpusPerWorker", 1, 1024);
  std::optional<sim::Distribution> run_time = read_duration_distribution(w, "runTime");
  if (spec.gpus_per_job && (spec.workers || spec.gpus_per_worker)) {
    w.error("gpusPerJob", "give gpusPerJob, or workers and gpusPerWorker, not both",
            "gpusPerJob is split into workers of at most maxGpusPerWorker GPUs");
  }
  const bool explicit_size = spec.gpus_per_job || spec.workers || spec.gpus_per_worker;

  if (auto from = w.map("from")) {
    auto format = from->one_of("format", {"helios", "philly"}, true);
    auto path = from->string("path", true);
    auto cluster = from->string("cluster");
    if (format && *format == "philly" && cluster) {
      from->error("cluster", "cluster is for format helios",
                  "the Philly machine list is one cluster");
    }
    if (format && path) {
      spec.source_path = resolve_path(base_dir, *path);
      if (*format == "helios") {
        spec.source = TrainingJobsSpec::Source::kHelios;
        auto figures = read_helios_figures(spec.source_path, cluster.value_or("total"),
                                           *w.diagnostics(), &*from);
        if (figures) {
          spec.helios = *figures;
          if (!explicit_size) {
            spec.gpus_per_job = gpu_mix_distribution(figures->avg_gpu_num, spec.single_gpu_fraction,
                                                     spec.max_gpus_per_job);
            if (!spec.gpus_per_job) {
              w.error("singleGpuFraction",
                      "no GPUs-per-job mix over 1.." + std::to_string(spec.max_gpus_per_job) +
                          " GPUs has this single-GPU fraction and the cluster's mean of " +
                          std::to_string(figures->avg_gpu_num) + " GPUs",
                      "lower singleGpuFraction or raise maxGpusPerJob");
            }
          }
          if (!run_time) {
            run_time = lognormal_median_mean(figures->med_run_time_gpu, figures->avg_run_time_gpu);
          }
          spec.rate_per_gpu =
              figures->gpu_job_num / (kHeliosTraceDays * 86400.0) / figures->gpu_num * spec.load;
        }
      } else {
        spec.source = TrainingJobsSpec::Source::kPhilly;
        auto trace = traces::load_cluster_trace("philly", {spec.source_path}, {}, *w.diagnostics());
        if (trace && trace->nodes.empty()) {
          w.diagnostics()->add(Diagnostic{spec.source_path, 1, 0, "",
                                          "not a Philly machine list (no machines)",
                                          "use cluster_machine_list"});
        } else if (trace) {
          spec.philly_machines = static_cast<std::int32_t>(trace->nodes.size());
          for (const auto& n : trace->nodes) {
            spec.philly_max_gpus_per_machine =
                std::max(spec.philly_max_gpus_per_machine, n.gpu_count);
            spec.philly_gpus += n.gpu_count;
          }
          if (!w.has("maxGpusPerWorker") && spec.philly_max_gpus_per_machine > 0) {
            spec.max_gpus_per_worker = spec.philly_max_gpus_per_machine;
          }
        }
        // upstream: Gavel scheduler/utils.py, the Philly job-size and duration samplers.
        if (!explicit_size) spec.gpus_per_job = philly_gpus_per_job();
        if (!run_time) spec.philly_run_time = true;
        if (spec.philly_gpus > 0) {
          spec.rate_per_gpu = kPhillyTraceJobs / (kPhillyTraceDays * 86400.0) /
                              static_cast<double>(spec.philly_gpus) * spec.load;
        }
      }
    }
    from->finish();
  } else {
    if (!explicit_size) {
      w.error_here("a trainingJobs workload needs from: or the job sizes",
                   "give from: {format: helios, path: ...} or gpusPerJob (or workers and "
                   "gpusPerWorker)");
    }
    if (!run_time) w.error("runTime", "runTime is required without from:", "e.g. runTime: 1h");
  }
  if (run_time) spec.run_time = *run_time;
  if (!spec.rate && spec.source == TrainingJobsSpec::Source::kExplicit) {
    w.error("arrivals", "arrivals: {rate: ...} is required",
            "from: helios and from: philly derive a rate (the trace's jobs per GPU per second)");
  }
  if (spec.jobs > 0 && w.diagnostics()->size() == errors) return spec;
  return std::nullopt;
}

std::vector<PlannedTrainingJob> plan_training_jobs(const TrainingJobsSpec& spec,
                                                   std::int64_t cluster_gpus, std::uint64_t seed,
                                                   std::uint64_t replication) {
  const std::string prefix = "workloads/" + spec.name + "/";
  sim::Rng arrivals(seed, replication, prefix + "arrivals");
  sim::Rng size(seed, replication, prefix + "size");
  sim::Rng run(seed, replication, prefix + "run-time");
  const double rate =
      spec.rate ? *spec.rate : spec.rate_per_gpu * static_cast<double>(cluster_gpus);
  std::vector<PlannedTrainingJob> plan;
  plan.reserve(static_cast<std::size_t>(spec.jobs));
  double t = sim::to_seconds(spec.start);
  auto positive = [](double v) {
    return static_cast<std::int32_t>(std::max<double>(1, std::llround(v)));
  };
  for (std::int32_t i = 0; i < spec.jobs; ++i) {
    PlannedTrainingJob job;
    std::string index = std::to_string(i);
    if (index.size() < 5) index.insert(0, 5 - index.size(), '0');
    job.name = spec.name + "-" + index;
    // Poisson process: exponential gaps; a zero rate (no GPUs) puts every job at the start.
    if (rate > 0) t += arrivals.exponential(1.0 / rate) / spec.time_compression;
    job.arrival = static_cast<sim::Time>(std::llround(t * 1e3)) * sim::kMillisecond;
    if (spec.gpus_per_job) {
      const std::int32_t g = positive(spec.gpus_per_job->sample(size));
      job.gpus_per_worker = largest_divisor_at_most(g, spec.max_gpus_per_worker);
      job.workers = g / job.gpus_per_worker;
    } else {
      job.workers = spec.workers ? positive(spec.workers->sample(size)) : 1;
      job.gpus_per_worker = spec.gpus_per_worker ? positive(spec.gpus_per_worker->sample(size)) : 1;
    }
    const double drawn =
        spec.philly_run_time ? sample_philly_run_time(run) : spec.run_time.sample(run);
    double seconds = std::max(0.0, drawn) / spec.time_compression;
    sim::Duration d =
        static_cast<sim::Duration>(std::llround(std::min(seconds, 1e9) * 1e3)) * sim::kMillisecond;
    if (spec.max_run_time) d = std::min(d, *spec.max_run_time);
    job.run_time = std::max(d, sim::kSecond);
    plan.push_back(std::move(job));
  }
  return plan;
}

models::PodGroup training_pod_group(const TrainingJobsSpec& spec, const PlannedTrainingJob& job) {
  models::PodGroup g;
  g.metadata.namespace_ = spec.namespace_;
  g.metadata.name = job.name;
  g.metadata.labels.set(std::string(kTrainingWorkloadLabel), spec.name);
  g.spec.min_member = job.workers;
  g.spec.schedule_timeout_seconds = spec.schedule_timeout_seconds;
  return g;
}

models::Job training_job(const TrainingJobsSpec& spec, const PlannedTrainingJob& job) {
  models::Job j;
  j.metadata.namespace_ = spec.namespace_;
  j.metadata.name = job.name;
  j.metadata.labels.set(std::string(kTrainingWorkloadLabel), spec.name);
  j.spec.parallelism = job.workers;
  j.spec.completions = job.workers;
  // A training job whose worker fails is not retried pod by pod in kubesim: workers only
  // fail through node loss, and a gang cannot resume with a replacement worker anyway.
  j.spec.backoff_limit = 0;
  models::PodTemplateSpec& t = j.spec.template_;
  t.metadata.labels.set(std::string(kTrainingWorkloadLabel), spec.name);
  t.metadata.labels.set(std::string(models::kPodGroupLabel), job.name);
  t.metadata.annotations.set(std::string(models::kRunDurationAnnotation),
                             sim::format_duration(job.run_time));
  t.spec.restart_policy = models::RestartPolicy::kNever;
  if (!spec.scheduler_name.empty()) t.spec.scheduler_name = spec.scheduler_name;
  models::Container c;
  c.name = "worker";
  c.image = spec.image;
  c.requests.gpu = job.gpus_per_worker;
  c.requests.cpu_milli = spec.cpu_milli_per_gpu * job.gpus_per_worker;
  c.requests.memory = spec.memory_per_gpu * job.gpus_per_worker;
  c.limits.gpu = job.gpus_per_worker;
  t.spec.containers.push_back(std::move(c));
  if (!spec.gpu_model.empty()) {
    models::NodeSelectorRequirement req;
    req.key = std::string(models::kLabelGpuProduct);
    req.op = models::NodeSelectorOperator::kIn;
    req.values = {spec.gpu_model};
    models::NodeSelectorTerm term;
    term.match_expressions.push_back(std::move(req));
    models::NodeAffinity affinity;
    affinity.required.emplace();
    affinity.required->node_selector_terms.push_back(std::move(term));
    t.spec.node_affinity = std::move(affinity);
  }
  return j;
}

}  // namespace kubesim::scenarios
