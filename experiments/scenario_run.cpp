#include "experiments/scenario_run.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "kubesim/version.hpp"
#include "models/request_queue.hpp"

namespace kubesim::experiments {

struct ScenarioRun::Model {
  std::vector<std::unique_ptr<models::RequestQueue>> queues;
};

ScenarioRun::ScenarioRun(const scenarios::Scenario& scenario, std::uint64_t replication)
    : scenario_(scenario),
      sim_(std::make_unique<sim::Simulation>(scenario.seed, replication)),
      metrics_(std::make_unique<sim::MetricRegistry>(*sim_)),
      model_(std::make_unique<Model>()),
      sampler_(std::make_unique<sim::Sampler>(*sim_, scenario.sample_interval)) {
  for (const auto& config : scenario_.request_queues) {
    auto queue = std::make_unique<models::RequestQueue>(*sim_, *metrics_, config);
    models::RequestQueue* q = queue.get();
    const std::string& n = config.name;
    const sim::Counter& arrived = metrics_->counter(n + ".requests_arrived");
    const sim::Counter& completed = metrics_->counter(n + ".requests_completed");
    const sim::Counter& rejected = metrics_->counter(n + ".requests_rejected");
    const sim::Counter& timed_out = metrics_->counter(n + ".requests_timed_out");
    sampler_->add_column(n + ".queue_length", [q] { return static_cast<double>(q->in_queue()); });
    sampler_->add_column(n + ".busy_servers", [q] { return static_cast<double>(q->busy()); });
    sampler_->add_column(n + ".requests_arrived",
                         [&arrived] { return static_cast<double>(arrived.value()); });
    sampler_->add_column(n + ".requests_completed",
                         [&completed] { return static_cast<double>(completed.value()); });
    sampler_->add_column(n + ".requests_rejected",
                         [&rejected] { return static_cast<double>(rejected.value()); });
    sampler_->add_column(n + ".requests_timed_out",
                         [&timed_out] { return static_cast<double>(timed_out.value()); });
    model_->queues.push_back(std::move(queue));
  }
  sampler_->add_column("sim.events_processed",
                       [s = sim_.get()] { return static_cast<double>(s->events_processed()); });
  sampler_->add_column("sim.pending_events",
                       [s = sim_.get()] { return static_cast<double>(s->pending()); });
}

ScenarioRun::~ScenarioRun() = default;

std::uint64_t ScenarioRun::run() {
  const auto start = std::chrono::steady_clock::now();
  if (sim_->now() == 0 && sampler_->row_count() == 0) {
    for (auto& q : model_->queues) q->start();
    sampler_->start();
  }
  const std::uint64_t events = sim_->run_until(scenario_.duration);
  wall_seconds_ +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return events;
}

namespace {
nlohmann::ordered_json metric_json(const sim::MetricSnapshot& m) {
  nlohmann::ordered_json j;
  j["kind"] = std::string(sim::metric_kind_name(m.kind()));
  std::visit(
      [&j](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, sim::CounterSnapshot>) {
          j["value"] = v.value;
        } else if constexpr (std::is_same_v<T, sim::GaugeSnapshot>) {
          j["value"] = v.value;
          j["time_average"] = v.time_average;
          j["min"] = v.min;
          j["max"] = v.max;
        } else {
          j["count"] = v.count;
          j["sum"] = v.sum;
          j["mean"] = v.mean;
          j["min"] = v.min;
          j["max"] = v.max;
          j["p50"] = v.p50;
          j["p90"] = v.p90;
          j["p99"] = v.p99;
          j["p999"] = v.p999;
        }
      },
      m.value);
  return j;
}

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}
}  // namespace

std::string ScenarioRun::summary_json() const {
  nlohmann::ordered_json j;
  j["kubesim_version"] = kVersion;
  j["kubernetes_version"] = kKubernetesVersion;
  j["scenario"] = {{"name", scenario_.name},
                   {"file", scenario_.source_file},
                   {"sha256", scenario_.sha256}};
  j["seed"] = scenario_.seed;
  j["replication"] = sim_->replication();
  j["simulated_duration"] = sim::format_duration(sim_->now());
  j["simulated_seconds"] = sim::to_seconds(sim_->now());
  j["events_processed"] = sim_->events_processed();
  j["fingerprint"] = hex64(sim_->fingerprint());
  nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
  for (const auto& m : metrics_->snapshot()) metrics[m.name] = metric_json(m);
  j["metrics"] = metrics;
  const double simulated = sim::to_seconds(sim_->now());
  j["host"] = {{"wall_seconds", wall_seconds_},
               {"real_time_factor", wall_seconds_ > 0 ? simulated / wall_seconds_ : 0.0},
               {"events_per_second",
                wall_seconds_ > 0 ? static_cast<double>(sim_->events_processed()) / wall_seconds_
                                  : 0.0}};
  return j.dump(2) + "\n";
}

std::string ScenarioRun::write_run_directory(const std::string& dir) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return "cannot create the output directory " + dir + ": " + ec.message();
  {
    std::ofstream out(dir + "/summary.json", std::ios::binary);
    if (!out) return "cannot write " + dir + "/summary.json";
    out << summary_json();
  }
  {
    std::ofstream out(dir + "/timeseries.csv", std::ios::binary);
    if (!out) return "cannot write " + dir + "/timeseries.csv";
    sampler_->write_csv(out);
  }
  return {};
}

namespace {
std::string fixed(double v, int precision) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", precision, v);
  return buf;
}
std::string with_thousands(std::uint64_t v) {
  const std::string digits = std::to_string(v);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}
std::string seconds_text(double s) {
  if (s == 0) return "0";
  if (s < 1e-3) return fixed(s * 1e6, 1) + " µs";
  if (s < 1) return fixed(s * 1e3, 1) + " ms";
  return fixed(s, 2) + " s";
}
}  // namespace

std::string ScenarioRun::summary_table() const {
  std::ostringstream out;
  const double simulated = sim::to_seconds(sim_->now());
  out << "kubesim " << kVersion << " · scenario " << scenario_.name << " · seed "
      << scenario_.seed << " · sha256 " << scenario_.sha256.substr(0, 12) << "\n";
  out << "simulated " << sim::format_duration(sim_->now()) << " in " << fixed(wall_seconds_, 3)
      << " s wall";
  if (wall_seconds_ > 0) {
    out << " (" << fixed(simulated / wall_seconds_, 0) << "× real time, "
        << fixed(static_cast<double>(sim_->events_processed()) / wall_seconds_ / 1e6, 2)
        << " M events/s)";
  }
  out << "; " << with_thousands(sim_->events_processed()) << " events\n";
  for (const auto& q : scenario_.request_queues) {
    const std::string& n = q.name;
    const auto count = [&](const char* what) {
      const sim::Counter* c = metrics_->find_counter(n + what);
      return c ? c->value() : 0;
    };
    out << "\nworkload " << n << " (" << q.arrivals.describe() << ", " << q.servers
        << " server" << (q.servers == 1 ? "" : "s") << ", service " << q.service_time.describe()
        << " s)\n";
    out << "  requests   arrived " << count(".requests_arrived") << ", completed "
        << count(".requests_completed") << ", rejected " << count(".requests_rejected")
        << ", timed out " << count(".requests_timed_out") << "\n";
    if (const sim::Histogram* h = metrics_->find_histogram(n + ".latency_s")) {
      out << "  latency    mean " << seconds_text(h->mean()) << ", p50 " << seconds_text(h->p50())
          << ", p90 " << seconds_text(h->p90()) << ", p99 " << seconds_text(h->p99()) << "\n";
    }
    if (const sim::Histogram* h = metrics_->find_histogram(n + ".wait_s")) {
      out << "  wait       mean " << seconds_text(h->mean()) << ", p99 " << seconds_text(h->p99())
          << "\n";
    }
    if (const sim::Gauge* g = metrics_->find_gauge(n + ".busy_servers")) {
      out << "  busy       " << fixed(g->time_average(), 2) << " of " << q.servers
          << " servers on average (" << fixed(100.0 * g->time_average() / q.servers, 1)
          << "% utilization)\n";
    }
  }
  return out.str();
}

}  // namespace kubesim::experiments
