#include "cli/kubesim_cli.hpp"

#include <CLI/CLI.hpp>
#include <exception>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "experiments/explain.hpp"
#include "experiments/explain_autoscalers.hpp"
#include "experiments/scenario_run.hpp"
#include "experiments/sweep.hpp"
#include "kubesim/version.hpp"
#include "models/aiservice.hpp"
#include "scenarios/manifests.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/scheduler_config.hpp"
#include "scenarios/yaml_reader.hpp"

namespace kubesim::cli {
namespace {

constexpr const char* kRunExamples = R"(
Examples:
  kubesim run scenarios/examples/quickstart.yaml
  kubesim run scenarios/examples/quickstart.yaml -o runs/q --seed 7
  kubesim run scenarios/examples/quickstart.yaml --set duration=1h --set spec.workloads[0].servers=4
Writes DIR/summary.json and DIR/timeseries.csv (DIR defaults to runs/<scenario name>).)";

constexpr const char* kValidateExamples = R"(
Examples:
  kubesim validate scenarios/examples/quickstart.yaml
  kubesim validate my.yaml --set spec.duration=2h
Checks the scenario without running it; prints every problem with file:line:column.)";

constexpr const char* kExplainExamples = R"(
Examples:
  kubectl get nodes,pods -A -o yaml > state.yaml
  kubesim explain state.yaml
  kubesim explain state.yaml --config sched-config.yaml --output json
  kubesim explain hpa-state.yaml --now 2025-09-01T08:10:00Z
Evaluates every pending pod against every node, in scheduling-queue order, and shows each
node's Filter verdict and Score breakdown (docs/explain.md). When the state holds
HorizontalPodAutoscalers, KEDA ScaledObjects, Knative PodAutoscalers or
PredictiveAutoscalers, also runs each one's decision once at --now and shows its current
and desired replicas and why (docs/autoscaling.md).)";

constexpr const char* kSweepExamples = R"(
Examples:
  kubesim sweep scenarios/examples/request-queue.yaml --set spec.duration=10m \
      --vary spec.workloads[0].servers=3,4,5 --seeds 1-10 \
      --metric p99=metrics.api.latency_s.p99 -o runs/servers
  kubesim sweep scenarios/examples/alibaba-openb-fgd.yaml \
      --vary spec.controlPlane.scheduler.gpuPolicy=FGD,BestFit --seeds 1,2,5 \
      --metric unallocated=gpu.at_arrived_percent.130.unallocated_gpus --jobs 2
Runs the scenario for every combination of the --vary values and every seed (spec.seed),
reads each --metric from the run's summary.json by its dotted path, and writes
DIR/results.csv (one row per variant and seed) and DIR/summary.csv (per variant: n, mean,
stddev, 95% confidence interval with Student's t). DIR defaults to runs/<scenario name>-sweep.
See docs/experiments.md.)";

struct SweepArgs {
  std::string path;
  std::vector<std::string> overrides;
  std::vector<std::string> vary;
  std::string seeds;
  std::vector<std::string> metrics;
  std::string output;
  unsigned jobs = 0;
  bool keep_runs = false;
  bool quiet = false;
};

// `kubesim sweep`: exit 1 for bad input (syntax, scenario, missing metric), 0 otherwise.
int run_sweep_command(const SweepArgs& a, std::ostream& out, std::ostream& err) {
  experiments::SweepSpec spec;
  spec.scenario_path = a.path;
  spec.overrides = a.overrides;
  spec.jobs = a.jobs;
  for (const auto& v : a.vary) {
    auto axis = experiments::parse_sweep_axis(v);
    if (!axis) {
      err << "kubesim: " << axis.error() << "\n";
      return 1;
    }
    spec.axes.push_back(std::move(*axis));
  }
  if (!a.seeds.empty()) {
    auto seeds = experiments::parse_sweep_seeds(a.seeds);
    if (!seeds) {
      err << "kubesim: " << seeds.error() << "\n";
      return 1;
    }
    spec.seeds = std::move(*seeds);
  }
  for (const auto& m : a.metrics) {
    auto metric = experiments::parse_sweep_metric(m);
    if (!metric) {
      err << "kubesim: " << metric.error() << "\n";
      return 1;
    }
    spec.metrics.push_back(std::move(*metric));
  }
  std::string dir = a.output;
  if (dir.empty()) {
    // The scenario's name, as `kubesim run` names its directory.
    scenarios::Diagnostics diagnostics;
    auto scenario = scenarios::load_scenario_file(a.path, a.overrides, diagnostics);
    if (!scenario) {
      err << diagnostics.format();
      err << "kubesim: " << diagnostics.size() << " problem"
          << (diagnostics.size() == 1 ? "" : "s") << " in " << a.path << "\n";
      return 1;
    }
    dir = "runs/" + scenario->name + "-sweep";
  }
  if (a.keep_runs) spec.keep_runs_dir = dir + "/runs";
  experiments::SweepProgress progress;
  if (!a.quiet) {
    progress = [&err](std::size_t done, std::size_t total, const std::string& label) {
      err << "[" << done << "/" << total << "] " << label << "\n";
    };
  }
  auto result = experiments::run_sweep(spec, progress);
  if (!result) {
    err << "kubesim: " << result.error() << "\n";
    return 1;
  }
  if (std::string problem = experiments::write_sweep_directory(dir, spec, *result);
      !problem.empty()) {
    err << "kubesim: " << problem << "\n";
    return 1;
  }
  if (!a.quiet) {
    out << experiments::sweep_summary_table(spec, *result);
    out << "\nwrote " << dir << "/results.csv, " << dir << "/summary.csv"
        << (a.keep_runs ? ", " + dir + "/runs/" : std::string()) << "\n";
  }
  return 0;
}

struct ExplainArgs {
  std::string state;
  std::string config;
  std::string output = "table";
  std::string now;  // RFC 3339; empty: the latest timestamp in the state
};

// `kubesim explain`: exit 1 for bad input (state or configuration), 0 otherwise.
int run_explain(const ExplainArgs& a, std::ostream& out, std::ostream& err) {
  std::optional<std::int64_t> now;
  if (!a.now.empty()) {
    now = scenarios::parse_rfc3339(a.now);
    if (!now) {
      err << "kubesim: --now: invalid RFC 3339 timestamp \"" << a.now
          << "\" (e.g. 2025-09-01T08:10:00Z)\n";
      return 1;
    }
  }
  scenarios::Manifests state;
  // The state is a running cluster's: its AIService CRD is installed whether or not the
  // dump lists it (kubectl get aiservices does not).
  state.custom_resource_definitions.push_back(models::aiservice_crd());
  scenarios::Diagnostics diagnostics;
  if (!scenarios::read_manifests_path(a.state, state, diagnostics)) {
    err << diagnostics.format();
    err << "kubesim: " << diagnostics.size() << " problem" << (diagnostics.size() == 1 ? "" : "s")
        << " in " << a.state << "\n";
    return 1;
  }
  for (const auto& line : scenarios::summarize_ignored(state.ignored)) {
    err << "kubesim: warning: ignored " << line << "\n";
  }
  policies::SchedulerConfig config = scenarios::default_scheduler_config();
  if (!a.config.empty()) {
    scenarios::Diagnostics config_diagnostics;
    std::optional<policies::SchedulerConfig> read;
    std::ifstream file(a.config, std::ios::binary);
    if (!file) {
      config_diagnostics.add({a.config, 0, 0, "", "cannot open the scheduler configuration", ""});
    } else {
      std::ostringstream text;
      text << file.rdbuf();
      // The hardened loader: a syntax error is a diagnostic, and inputs that hang yaml-cpp
      // 0.7 are rejected before parsing.
      auto docs = scenarios::load_yaml_documents(text.str(), a.config, config_diagnostics);
      if (docs && docs->size() != 1) {
        config_diagnostics.add({a.config, 0, 0, "",
                                "expected one KubeSchedulerConfiguration document, found " +
                                    std::to_string(docs->size()),
                                "put the scheduler configuration alone in its file"});
      } else if (docs) {
        read = scenarios::read_scheduler_config(docs->front(), a.config, config_diagnostics);
      }
    }
    if (!read) {
      err << config_diagnostics.format();
      err << "kubesim: " << config_diagnostics.size() << " problem"
          << (config_diagnostics.size() == 1 ? "" : "s") << " in " << a.config << "\n";
      return 1;
    }
    config = std::move(*read);
  }
  auto explanation = experiments::explain(state, config);
  if (!explanation) {
    err << "kubesim: " << explanation.error() << "\n";
    return 1;
  }
  if (state.horizontal_pod_autoscalers.empty() && state.scaled_objects.empty() &&
      state.pod_autoscalers.empty() && state.predictive_autoscalers.empty()) {
    out << (a.output == "json" ? experiments::render_json(*explanation)
                               : experiments::render_table(*explanation));
    return 0;
  }
  auto autoscalers = experiments::explain_autoscalers(state, now);
  if (!autoscalers) {
    err << "kubesim: " << autoscalers.error() << "\n";
    return 1;
  }
  if (a.output == "json") {
    out << experiments::append_autoscalers_json(experiments::render_json(*explanation),
                                                *autoscalers);
  } else {
    out << experiments::render_table(*explanation) << "\n"
        << experiments::render_autoscalers_table(*autoscalers);
  }
  return 0;
}

struct ScenarioArgs {
  std::string path;
  std::vector<std::string> overrides;
  std::optional<std::uint64_t> seed;
};

std::optional<scenarios::Scenario> load(const ScenarioArgs& a, std::ostream& err) {
  std::vector<std::string> overrides = a.overrides;
  if (a.seed) overrides.push_back("spec.seed=" + std::to_string(*a.seed));
  scenarios::Diagnostics diagnostics;
  auto scenario = scenarios::load_scenario_file(a.path, overrides, diagnostics);
  if (!scenario) {
    err << diagnostics.format();
    err << "kubesim: " << diagnostics.size() << " problem" << (diagnostics.size() == 1 ? "" : "s")
        << " in " << a.path << "\n";
    return scenario;
  }
  // Real Kubernetes fields the simulation does not model: accepted, never silently.
  for (const auto& line : scenarios::summarize_ignored(scenario->manifests.ignored)) {
    err << "warning: not modelled: " << line << "\n";
  }
  return scenario;
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
            const ProcessOptions& process) {
  CLI::App app{"kubesim: a deterministic discrete-event simulator of Kubernetes clusters for AI "
               "workloads",
               "kubesim"};
  app.footer(
      "\nExamples:\n"
      "  kubesim run scenarios/examples/quickstart.yaml -o runs/q --seed 7\n"
      "  kubesim validate scenarios/examples/quickstart.yaml --set spec.duration=2h\n"
      "  kubesim sweep SCENARIO --vary PATH=V1,V2 --seeds 1-10 --metric NAME=PATH -o DIR\n"
      "  kubesim explain state.yaml --output json   (state: kubectl get nodes,pods -A -o yaml)\n"
      "\nRun `kubesim COMMAND --help` for a command's options.\n"
      "Docs: README.md, docs/scenarios.md (every scenario field), docs/metrics.md (outputs).");
  app.require_subcommand(0, 1);
  bool show_version = false;
  app.add_flag("--version", show_version, "Print the version and the modelled Kubernetes release");

  ScenarioArgs run_args;
  std::string output_dir;
  bool quiet = false;
  CLI::App* run = app.add_subcommand("run", "Run a scenario and write its run directory");
  run->footer(kRunExamples);
  run->add_option("SCENARIO", run_args.path, "Scenario YAML file")->required();
  run->add_option("-o,--output", output_dir, "Run directory (default: runs/<scenario name>)");
  run->add_option("--seed", run_args.seed, "Override spec.seed");
  run->add_option("--set", run_args.overrides,
                  "Override a field: path=value, e.g. spec.duration=2h (repeatable)")
      ->take_all()
      ->allow_extra_args(false);
  run->add_flag("-q,--quiet", quiet, "Print nothing but errors");

  ScenarioArgs validate_args;
  CLI::App* validate = app.add_subcommand("validate", "Check a scenario without running it");
  validate->footer(kValidateExamples);
  validate->add_option("SCENARIO", validate_args.path, "Scenario YAML file")->required();
  validate->add_option("--seed", validate_args.seed, "Override spec.seed");
  validate->add_option("--set", validate_args.overrides, "Override a field: path=value")
      ->allow_extra_args(false);

  SweepArgs sweep_args;
  CLI::App* sweep = app.add_subcommand(
      "sweep", "Run a scenario over parameter values and seeds; summarize metrics with CIs");
  sweep->footer(kSweepExamples);
  sweep->add_option("SCENARIO", sweep_args.path, "Scenario YAML file")->required();
  sweep->add_option("--vary", sweep_args.vary,
                    "Vary a field: path=v1,v2,... (repeatable; the cartesian product is run)")
      ->allow_extra_args(false);
  sweep->add_option("--seeds", sweep_args.seeds,
                    "Seeds (spec.seed): 1-10, 1,2,5 or 1-3,7 (default: the scenario's seed)");
  sweep->add_option("--metric", sweep_args.metrics,
                    "A summary.json number: [name=]dotted.path, e.g. "
                    "failed=gpu.failed_pods (repeatable)")
      ->required()
      ->allow_extra_args(false);
  sweep->add_option("-o,--output", sweep_args.output,
                    "Output directory (default: runs/<scenario name>-sweep)");
  sweep->add_option("--jobs", sweep_args.jobs, "Parallel runs (default: hardware threads)")
      ->check(CLI::PositiveNumber);
  sweep->add_option("--set", sweep_args.overrides,
                    "Override a field for every run: path=value (repeatable)")
      ->allow_extra_args(false);
  sweep->add_flag("--keep-runs", sweep_args.keep_runs,
                  "Also write each run directory under DIR/runs/<variant>-seed<k>/");
  sweep->add_flag("-q,--quiet", sweep_args.quiet, "Print nothing but errors");

  ExplainArgs explain_args;
  CLI::App* explain = app.add_subcommand(
      "explain", "Explain where the scheduler puts each pending pod of a cluster state, and why");
  explain->footer(kExplainExamples);
  explain->add_option("STATE", explain_args.state,
                      "Nodes and pods as `kubectl get nodes,pods -A -o yaml` prints them (a "
                      "file or a directory of *.yaml)")
      ->required();
  explain->add_option("--config", explain_args.config,
                      "KubeSchedulerConfiguration file (default: kube-scheduler's defaults)");
  explain->add_option("--output", explain_args.output, "Output format: table (default) or json")
      ->check(CLI::IsMember({"table", "json"}));
  explain->add_option("--now", explain_args.now,
                      "When HorizontalPodAutoscalers are reconciled (RFC 3339; default: the "
                      "latest timestamp in the state)");

  std::vector<std::string> argv_rev(args.rbegin(), args.rend() - (args.empty() ? 0 : 1));
  try {
    app.parse(argv_rev);
  } catch (const CLI::CallForHelp&) {
    out << app.help();  // the selected subcommand's help when there is one
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::ParseError& e) {
    err << "kubesim: " << e.what() << "\n";
    err << "Run `kubesim --help` for usage.\n";
    return 2;
  }

  if (show_version) {
    out << "kubesim " << kVersion << " (models Kubernetes " << kKubernetesVersion << ")\n";
    return 0;
  }
  try {
    if (explain->parsed()) return run_explain(explain_args, out, err);
    if (sweep->parsed()) return run_sweep_command(sweep_args, out, err);
    if (validate->parsed()) {
      auto scenario = load(validate_args, err);
      if (!scenario) return 1;
      const std::size_t workloads = scenario->request_queues.size() + scenario->pod_traces.size();
      out << "ok: " << scenario->name << " (" << validate_args.path << "): duration "
          << sim::format_duration(scenario->duration) << ", seed " << scenario->seed << ", "
          << workloads << " workload" << (workloads == 1 ? "" : "s");
      std::size_t trace_pods = 0;
      for (const auto& t : scenario->pod_traces) trace_pods += t.trace.pods.size();
      if (!scenario->pod_traces.empty()) out << " (" << trace_pods << " trace pods)";
      if (scenario->cluster) {
        std::int64_t nodes = static_cast<std::int64_t>(scenario->manifests.nodes.size());
        for (const auto& pool : scenario->cluster->node_pools) nodes += pool.count;
        for (const auto& t : scenario->cluster->trace_nodes) {
          nodes += static_cast<std::int64_t>(t.trace.nodes.size());
        }
        out << ", " << nodes << " nodes, " << scenario->manifests.object_count()
            << " Kubernetes objects, " << scenario->faults.size() << " fault"
            << (scenario->faults.size() == 1 ? "" : "s");
      }
      out << "\n";
      return 0;
    }
    if (run->parsed()) {
      auto loaded = load(run_args, err);
      if (!loaded) return 1;
      auto scenario = std::make_unique<scenarios::Scenario>(std::move(*loaded));
      loaded.reset();
      auto run_owner = std::make_unique<experiments::ScenarioRun>(*scenario);
      experiments::ScenarioRun& scenario_run = *run_owner;
      scenario_run.run();
      const std::string dir = output_dir.empty() ? "runs/" + scenario->name : output_dir;
      if (const std::string problem = scenario_run.write_run_directory(dir); !problem.empty()) {
        err << "kubesim: " << problem << "\n";
        return 1;
      }
      if (!quiet) {
        out << scenario_run.summary_table();
        out << "\nwrote " << dir << "/summary.json, " << dir << "/timeseries.csv"
            << (scenario->cluster ? ", " + dir + "/pods.csv" : std::string())
            << (scenario->cluster && scenario->events_jsonl ? ", " + dir + "/events.jsonl"
                                                            : std::string())
            << "\n";
      }
      if (process.skip_teardown) {
        out.flush();
        (void)run_owner.release();  // NOLINT: left to the process exit (ProcessOptions)
        (void)scenario.release();
      }
      return 0;
    }
  } catch (const std::exception& e) {
    // Internal errors only: user input is validated before the run starts.
    err << "kubesim: internal error: " << e.what() << "\n";
    return 3;
  }
  out << app.help();
  return 0;
}

}  // namespace kubesim::cli
