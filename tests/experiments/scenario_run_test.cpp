// Tests of experiments/scenario_run.hpp: determinism of the run directory, the documented
// summary.json fields, the sampling grid of timeseries.csv, invariants at the end of a run,
// and a small deterministic scenario whose every output number is worked out by hand.
#include "experiments/scenario_run.hpp"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "kubesim/version.hpp"
#include "tests/support/temp_dir.hpp"
#include "scenarios/scenario.hpp"

namespace kubesim::experiments {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

// A fresh directory under the system temporary directory, removed with everything in it.
using kubesim::testing::TempDir;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kQuickstart =
    std::string(KUBESIM_SOURCE_DIR) + "/scenarios/examples/request-queue.yaml";

scenarios::Scenario load_file(const std::string& path, const std::vector<std::string>& overrides) {
  scenarios::Diagnostics diagnostics;
  auto s = scenarios::load_scenario_file(path, overrides, diagnostics);
  INFO(diagnostics.format());
  REQUIRE(s.has_value());
  return *s;
}

scenarios::Scenario load_text(const std::string& text) {
  scenarios::Diagnostics diagnostics;
  auto s = scenarios::load_scenario_text(text, "inline.yaml", {}, diagnostics);
  INFO(diagnostics.format());
  REQUIRE(s.has_value());
  return *s;
}

// The quickstart shortened to 10 minutes: 36,000 requests, well under a second.
scenarios::Scenario quickstart(std::vector<std::string> overrides = {}) {
  overrides.insert(overrides.begin(), "spec.duration=10m");
  return load_file(kQuickstart, overrides);
}

struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::size_t column(const std::string& name) const {
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return i;
    }
    FAIL("no column " << name);
    return 0;
  }
  double number(std::size_t row, const std::string& name) const {
    return std::stod(rows[row][column(name)]);
  }
};

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, sep)) out.push_back(field);
  if (!line.empty() && line.back() == sep) out.emplace_back();
  return out;
}

Csv parse_csv(const std::string& text) {
  Csv csv;
  std::istringstream in(text);
  std::string line;
  REQUIRE(std::getline(in, line));
  csv.header = split(line, ',');
  while (std::getline(in, line)) {
    csv.rows.push_back(split(line, ','));
    REQUIRE(csv.rows.back().size() == csv.header.size());
  }
  return csv;
}

// Exact nanoseconds of a decimal number of seconds ("12", "0.25", "1.000000001"), parsed as
// text so that no floating-point rounding can hide an off-by-a-nanosecond sample time.
std::int64_t decimal_seconds_to_ns(const std::string& text) {
  const std::size_t dot = text.find('.');
  const std::string whole = text.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : text.substr(dot + 1);
  REQUIRE(frac.size() <= 9);
  frac.resize(9, '0');
  return std::stoll(whole) * 1'000'000'000 + std::stoll(frac);
}

ordered_json without_host(ordered_json j) {
  j.erase("host");
  return j;
}

}  // namespace

TEST_CASE("two runs of the same scenario and seed write identical outputs",
          "[scenario_run][determinism]") {
  const scenarios::Scenario s = quickstart();
  TempDir dir;
  ScenarioRun a(s);
  ScenarioRun b(s);
  a.run();
  b.run();
  REQUIRE(a.write_run_directory(dir.str("a")).empty());
  REQUIRE(b.write_run_directory(dir.str("b")).empty());
  const std::string csv_a = read_file(dir.str("a/timeseries.csv"));
  REQUIRE_FALSE(csv_a.empty());
  CHECK(csv_a == read_file(dir.str("b/timeseries.csv")));
  const ordered_json ja = ordered_json::parse(read_file(dir.str("a/summary.json")));
  const ordered_json jb = ordered_json::parse(read_file(dir.str("b/summary.json")));
  CHECK(ja.contains("host"));
  CHECK(without_host(ja) == without_host(jb));
  // The written file is summary_json() itself.
  CHECK(read_file(dir.str("a/summary.json")) == a.summary_json());
  CHECK(a.simulation().fingerprint() == b.simulation().fingerprint());
}

TEST_CASE("a different seed or replication changes the trajectory", "[scenario_run][determinism]") {
  ScenarioRun base(quickstart());
  ScenarioRun other_seed(quickstart({"spec.seed=43"}));
  ScenarioRun other_replication(quickstart(), 1);
  base.run();
  other_seed.run();
  other_replication.run();
  const ordered_json j0 = ordered_json::parse(base.summary_json());
  const ordered_json j1 = ordered_json::parse(other_seed.summary_json());
  const ordered_json j2 = ordered_json::parse(other_replication.summary_json());
  CHECK(j0["seed"] == 42);
  CHECK(j1["seed"] == 43);
  CHECK(j0["fingerprint"] != j1["fingerprint"]);
  CHECK(j2["replication"] == 1);
  CHECK(j2["seed"] == 42);
  CHECK(j0["fingerprint"] != j2["fingerprint"]);
  // The seed override is part of the hashed input.
  CHECK(j0["scenario"]["sha256"] != j1["scenario"]["sha256"]);
  CHECK(j0["scenario"]["sha256"] == j2["scenario"]["sha256"]);
}

TEST_CASE("summary.json has the documented fields", "[scenario_run][summary]") {
  const scenarios::Scenario s = quickstart();
  ScenarioRun run(s);
  const std::uint64_t events = run.run();
  const ordered_json j = ordered_json::parse(run.summary_json());

  // Top-level keys, in their fixed order.
  std::vector<std::string> keys;
  for (const auto& item : j.items()) keys.push_back(item.key());
  CHECK(keys == std::vector<std::string>{"kubesim_version", "kubernetes_version", "scenario",
                                         "seed", "replication", "simulated_duration",
                                         "simulated_seconds", "events_processed", "fingerprint",
                                         "metrics", "host"});
  CHECK(j["kubesim_version"] == kVersion);
  CHECK(j["kubernetes_version"] == kKubernetesVersion);
  CHECK(j["kubernetes_version"].get<std::string>().rfind("v1.", 0) == 0);
  CHECK(j["scenario"]["name"] == "request-queue");
  CHECK(j["scenario"]["file"] == kQuickstart);
  CHECK(j["scenario"]["sha256"] == s.sha256);
  CHECK(j["scenario"]["sha256"].get<std::string>().size() == 64);
  CHECK(j["seed"] == 42);
  CHECK(j["replication"] == 0);
  CHECK(j["simulated_duration"] == "10m0s");
  CHECK(j["simulated_seconds"] == 600.0);
  CHECK(j["events_processed"] == events);
  CHECK(j["events_processed"] == run.simulation().events_processed());
  const std::string fp = j["fingerprint"].get<std::string>();
  CHECK(fp.size() == 16);
  CHECK(fp.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(std::stoull(fp, nullptr, 16) == run.simulation().fingerprint());

  const ordered_json& m = j["metrics"];
  for (const char* counter : {"api.requests_arrived", "api.requests_completed",
                              "api.requests_rejected", "api.requests_timed_out"}) {
    INFO(counter);
    REQUIRE(m.contains(counter));
    CHECK(m[counter]["kind"] == "counter");
    CHECK(m[counter]["value"].is_number_integer());
  }
  for (const char* gauge : {"api.queue_length", "api.busy_servers"}) {
    INFO(gauge);
    REQUIRE(m.contains(gauge));
    CHECK(m[gauge]["kind"] == "gauge");
    for (const char* f : {"value", "time_average", "min", "max"}) CHECK(m[gauge][f].is_number());
  }
  for (const char* histogram : {"api.latency_s", "api.wait_s"}) {
    INFO(histogram);
    REQUIRE(m.contains(histogram));
    CHECK(m[histogram]["kind"] == "histogram");
    for (const char* f : {"count", "sum", "mean", "min", "max", "p50", "p90", "p99", "p999"}) {
      CHECK(m[histogram][f].is_number());
    }
  }
  // Metrics are ordered by name.
  std::vector<std::string> names;
  for (const auto& item : m.items()) names.push_back(item.key());
  CHECK(std::is_sorted(names.begin(), names.end()));

  const ordered_json& host = j["host"];
  for (const char* f : {"wall_seconds", "real_time_factor", "events_per_second"}) {
    INFO(f);
    REQUIRE(host.contains(f));
    CHECK(host[f].is_number());
    CHECK(host[f].get<double>() >= 0);
  }
  CHECK(host["wall_seconds"].get<double>() == run.wall_seconds());
}

TEST_CASE("the end of a run accounts for every request", "[scenario_run][invariants]") {
  // Overloaded so that every outcome occurs: 60 requests/s of mean service 55 ms need 3.3
  // servers; give them one, a waiting room of 3 and a 100 ms timeout.
  ScenarioRun run(quickstart({"spec.workloads[0].servers=1", "spec.workloads[0].queueLimit=3",
                              "spec.workloads[0].timeout=100ms"}));
  run.run();
  const ordered_json m = ordered_json::parse(run.summary_json())["metrics"];
  const auto v = [&m](const char* name) { return m[name]["value"].get<double>(); };
  const double arrived = v("api.requests_arrived");
  CHECK(arrived > 0);
  CHECK(v("api.requests_rejected") > 0);
  CHECK(v("api.requests_timed_out") > 0);
  CHECK(arrived == v("api.requests_completed") + v("api.requests_rejected") +
                       v("api.requests_timed_out") + v("api.queue_length") + v("api.busy_servers"));
  CHECK(m["api.latency_s"]["count"] == m["api.requests_completed"]["value"]);
  CHECK(m["api.busy_servers"]["max"].get<double>() <= 1);
  CHECK(m["api.queue_length"]["max"].get<double>() <= 3);
  CHECK(m["api.wait_s"]["max"].get<double>() <= 0.1);
  // Time never went backwards and stopped exactly at the scenario's duration.
  CHECK(run.simulation().now() == sim::minutes(10));
}

TEST_CASE("timeseries.csv has a row at exactly every multiple of the sample interval",
          "[scenario_run][timeseries]") {
  SECTION("a fractional interval that divides the duration") {
    // 60 s at 250 ms: rows at 0, 0.25, ..., 60, i.e. 241 rows.
    ScenarioRun run(quickstart({"spec.duration=60s", "spec.sampleInterval=250ms"}));
    run.run();
    std::ostringstream out;
    run.sampler().write_csv(out);
    const Csv csv = parse_csv(out.str());
    REQUIRE(csv.rows.size() == 241);
    CHECK(csv.header[0] == "time_s");
    for (std::size_t k = 0; k < csv.rows.size(); ++k) {
      INFO("row " << k << ": " << csv.rows[k][0]);
      REQUIRE(decimal_seconds_to_ns(csv.rows[k][0]) == static_cast<std::int64_t>(k) * 250'000'000);
    }
    CHECK(csv.rows[1][0] == "0.25");
    CHECK(csv.rows[240][0] == "60");
    // The documented columns.
    for (const char* c : {"api.queue_length", "api.busy_servers", "api.requests_arrived",
                          "api.requests_completed", "api.requests_rejected",
                          "api.requests_timed_out", "sim.events_processed", "sim.pending_events"}) {
      CHECK(std::find(csv.header.begin(), csv.header.end(), c) != csv.header.end());
    }
    // Every row is a consistent instant: conservation holds, counters never decrease.
    for (std::size_t k = 0; k < csv.rows.size(); ++k) {
      INFO("row " << k);
      REQUIRE(csv.number(k, "api.requests_arrived") ==
              csv.number(k, "api.requests_completed") + csv.number(k, "api.requests_rejected") +
                  csv.number(k, "api.requests_timed_out") + csv.number(k, "api.queue_length") +
                  csv.number(k, "api.busy_servers"));
      REQUIRE(csv.number(k, "api.busy_servers") <= 4);
      REQUIRE(csv.number(k, "api.queue_length") <= 200);
      if (k > 0) {
        for (const char* c :
             {"api.requests_arrived", "api.requests_completed", "sim.events_processed"}) {
          REQUIRE(csv.number(k, c) >= csv.number(k - 1, c));
        }
      }
    }
  }
  SECTION("an interval that does not divide the duration") {
    // 10 s at 3 s: rows at 0, 3, 6, 9 — none at 10.
    ScenarioRun run(quickstart({"spec.duration=10s", "spec.sampleInterval=3s"}));
    run.run();
    std::ostringstream out;
    run.sampler().write_csv(out);
    const Csv csv = parse_csv(out.str());
    REQUIRE(csv.rows.size() == 4);
    CHECK(csv.rows[0][0] == "0");
    CHECK(csv.rows[1][0] == "3");
    CHECK(csv.rows[2][0] == "6");
    CHECK(csv.rows[3][0] == "9");
    CHECK(run.simulation().now() == sim::seconds(10));
  }
}

TEST_CASE("a deterministic scenario produces the outputs worked out by hand",
          "[scenario_run][golden]") {
  // One server, a request every 0.5 s (at 0.5, 1.0, ..., 3.0), each served in exactly
  // 0.7 s, a waiting room of one, a run of 3 s sampled every second.
  //   A1 0.5 → served [0.5, 1.2]         A2 1.0 → waits 0.2, served [1.2, 1.9]
  //   A3 1.5 → waits 0.4, [1.9, 2.6]     A4 2.0 → waits 0.6, [2.6, 3.3]
  //   A5 2.5 → the room holds A4: rejected
  //   A6 3.0 → waits (still waiting at the end)
  // A sample at t is taken by the sampler's tick, armed one interval earlier, so it runs
  // before the arrival at t (scheduled half a second before t).
  const scenarios::Scenario s = load_text(
      "apiVersion: kubesim.io/v1alpha1\n"
      "kind: Scenario\n"
      "metadata: {name: by-hand}\n"
      "spec:\n"
      "  seed: 5\n"
      "  duration: 3s\n"
      "  sampleInterval: 1s\n"
      "  workloads:\n"
      "  - name: api\n"
      "    type: requestQueue\n"
      "    arrivals: {process: constant, rate: 2}\n"
      "    serviceTime: 700ms\n"
      "    servers: 1\n"
      "    queueLimit: 1\n");
  ScenarioRun run(s);
  // Events: 6 arrivals, 3 departures (1.2, 1.9, 2.6) and 3 sampler ticks (1, 2, 3).
  CHECK(run.run() == 12);
  TempDir dir;
  REQUIRE(run.write_run_directory(dir.str("out")).empty());

  const Csv csv = parse_csv(read_file(dir.str("out/timeseries.csv")));
  REQUIRE(csv.rows.size() == 4);
  struct Row {
    const char* time;
    double queue, busy, arrived, completed, rejected, timed_out;
  };
  const Row expected[] = {
      {"0", 0, 0, 0, 0, 0, 0},
      {"1", 0, 1, 1, 0, 0, 0},  // A1 in service
      {"2", 0, 1, 3, 2, 0, 0},  // A1, A2 done; A3 in service
      {"3", 0, 1, 5, 3, 1, 0},  // A3 done, A4 in service, A5 rejected
  };
  for (std::size_t k = 0; k < 4; ++k) {
    INFO("row " << k);
    CHECK(csv.rows[k][0] == expected[k].time);
    CHECK(csv.number(k, "api.queue_length") == expected[k].queue);
    CHECK(csv.number(k, "api.busy_servers") == expected[k].busy);
    CHECK(csv.number(k, "api.requests_arrived") == expected[k].arrived);
    CHECK(csv.number(k, "api.requests_completed") == expected[k].completed);
    CHECK(csv.number(k, "api.requests_rejected") == expected[k].rejected);
    CHECK(csv.number(k, "api.requests_timed_out") == expected[k].timed_out);
  }

  const ordered_json j = ordered_json::parse(read_file(dir.str("out/summary.json")));
  CHECK(j["scenario"]["name"] == "by-hand");
  CHECK(j["scenario"]["file"] == "inline.yaml");
  CHECK(j["seed"] == 5);
  CHECK(j["simulated_duration"] == "3s");
  CHECK(j["simulated_seconds"] == 3.0);
  CHECK(j["events_processed"] == 12);
  const ordered_json& m = j["metrics"];
  CHECK(m["api.requests_arrived"]["value"] == 6);
  CHECK(m["api.requests_completed"]["value"] == 3);
  CHECK(m["api.requests_rejected"]["value"] == 1);
  CHECK(m["api.requests_timed_out"]["value"] == 0);
  // Latencies of A1..A3: 0.7, 0.9, 1.1 s.
  CHECK(m["api.latency_s"]["count"] == 3);
  CHECK(m["api.latency_s"]["mean"].get<double>() == Approx(0.9));
  CHECK(m["api.latency_s"]["min"].get<double>() == Approx(0.7));
  CHECK(m["api.latency_s"]["p50"].get<double>() == Approx(0.9));
  CHECK(m["api.latency_s"]["max"].get<double>() == Approx(1.1));
  // Waits of A1..A4: 0, 0.2, 0.4, 0.6 s.
  CHECK(m["api.wait_s"]["count"] == 4);
  CHECK(m["api.wait_s"]["sum"].get<double>() == Approx(1.2));
  CHECK(m["api.wait_s"]["max"].get<double>() == Approx(0.6));
  // The server is busy from 0.5 s on: 2.5 of 3 s. Someone waits during [1.0, 1.2],
  // [1.5, 1.9] and [2.0, 2.6]: 1.2 s of 3. A6 is waiting at the end.
  CHECK(m["api.busy_servers"]["time_average"].get<double>() == Approx(2.5 / 3));
  CHECK(m["api.busy_servers"]["value"] == 1.0);
  CHECK(m["api.queue_length"]["time_average"].get<double>() == Approx(1.2 / 3));
  CHECK(m["api.queue_length"]["value"] == 1.0);
  CHECK(m["api.queue_length"]["max"] == 1.0);

  const std::string table = run.summary_table();
  CHECK(table.find("by-hand") != std::string::npos);
  CHECK(table.find("arrived 6, completed 3, rejected 1, timed out 0") != std::string::npos);
}

TEST_CASE("write_run_directory reports a directory it cannot create", "[scenario_run]") {
  TempDir dir;
  { std::ofstream(dir.str("a-file")) << "x"; }
  ScenarioRun run(quickstart({"spec.duration=1s"}));
  run.run();
  const std::string problem = run.write_run_directory(dir.str("a-file/sub"));
  CHECK_FALSE(problem.empty());
  CHECK(problem.find("a-file/sub") != std::string::npos);
}

}  // namespace kubesim::experiments
