// Tests of scenarios/scenario.hpp: loading scenario files, every field read, and every kind
// of bad input reported as a Diagnostic at the right file:line:column with the field path.
//
// Line and column numbers are counted by hand from the texts below (1-based; the column of
// a value is the column of its first character; a mapping is located at its first key).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/scenario.hpp"
#include "tests/support/base_scenario.hpp"
#include "sim/time.hpp"

namespace kubesim::scenarios {
namespace {

// Every test edits this valid scenario. Line numbers:
//   1 apiVersion   2 kind   3 metadata   4 name   5 spec   6 duration   7 workloads
//   8 - name   9 type   10 arrivals   11 process   12 rate   13 serviceTime   14 servers
const std::string& kBase = kubesim::testing::kBaseScenario;  // line map: tests/support/base_scenario.hpp

// kBase with 1-based line `n` replaced by `text` (which may hold several lines).
std::string with_line(int n, const std::string& text, const std::string& base = kBase) {
  std::istringstream in(base);
  std::string line;
  std::string out;
  for (int i = 1; std::getline(in, line); ++i) {
    out += (i == n ? text : line);
    out += '\n';
  }
  return out;
}

struct Loaded {
  std::optional<Scenario> scenario;
  Diagnostics diagnostics;
};

Loaded load(const std::string& text, const std::vector<std::string>& overrides = {}) {
  Loaded l;
  l.scenario = load_scenario_text(text, "t.yaml", overrides, l.diagnostics);
  return l;
}

const Diagnostic* find_path(const Diagnostics& ds, std::string_view path) {
  for (const auto& d : ds.items()) {
    if (d.path == path) return &d;
  }
  return nullptr;
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// A load that fails with a diagnostic at `path`, at line:column, whose message contains
// `message` and whose hint contains `hint`.
void expect_error(const Loaded& l, std::string_view path, int line, int column,
                  std::string_view message, std::string_view hint = {}) {
  INFO("diagnostics:\n" << l.diagnostics.format());
  CHECK_FALSE(l.scenario.has_value());
  const Diagnostic* d = find_path(l.diagnostics, path);
  REQUIRE(d != nullptr);
  CHECK(d->file == "t.yaml");
  CHECK(d->line == line);
  CHECK(d->column == column);
  CHECK(contains(d->message, message));
  CHECK(contains(d->hint, hint));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("the base scenario of these tests is valid", "[scenario]") {
  const Loaded l = load(kBase);
  INFO(l.diagnostics.format());
  REQUIRE(l.scenario.has_value());
  CHECK(l.diagnostics.empty());
  CHECK(l.scenario->name == "t");
  CHECK(l.scenario->duration == sim::minutes(10));
}

TEST_CASE("the request-queue example loads with the values written in it", "[scenario][examples]") {
  const std::string path = std::string(KUBESIM_SOURCE_DIR) + "/scenarios/examples/request-queue.yaml";
  Diagnostics diagnostics;
  const auto s = load_scenario_file(path, {}, diagnostics);
  INFO(diagnostics.format());
  REQUIRE(s.has_value());
  CHECK(diagnostics.empty());
  CHECK(s->name == "request-queue");
  CHECK_FALSE(s->description.empty());
  CHECK(s->seed == 42);
  CHECK(s->duration == sim::hours(1));
  CHECK(s->sample_interval == sim::seconds(30));
  CHECK(s->source_file == path);
  // The hash of the file's bytes (no overrides).
  CHECK(s->sha256 == sha256_hex(read_file(path)));
  REQUIRE(s->request_queues.size() == 1);
  const models::RequestQueueConfig& q = s->request_queues[0];
  CHECK(q.name == "api");
  CHECK(q.arrivals.kind == models::ArrivalProcess::Kind::kPoisson);
  CHECK(q.arrivals.rate_per_second == 60);
  CHECK(q.servers == 4);
  CHECK(q.queue_limit == 200);
  CHECK(q.timeout == sim::seconds(10));
  // Log-normal with median 40 ms and p99 250 ms: μ = ln 0.04, σ = ln(0.25/0.04)/z₀.₉₉ with
  // z₀.₉₉ = 2.326348, so σ = 1.832581/2.326348 = 0.787750, mean = e^(μ+σ²/2) = 0.054553 s.
  CHECK(q.service_time.kind() == sim::Distribution::Kind::kLogNormal);
  CHECK(q.service_time.mean() == Approx(0.04 * std::exp(0.787750 * 0.787750 / 2)).epsilon(1e-5));
  CHECK(q.service_time.mean() == Approx(0.054553).epsilon(1e-4));
}

TEST_CASE("every scenario field is read", "[scenario]") {
  const std::string text =
      "apiVersion: kubesim.io/v1alpha1\n"
      "kind: Scenario\n"
      "metadata:\n"
      "  name: full\n"
      "  description: every field set\n"
      "spec:\n"
      "  seed: 7\n"
      "  duration: 1h30m\n"
      "  sampleInterval: 250ms\n"
      "  workloads:\n"
      "  - name: api\n"
      "    type: requestQueue\n"
      "    arrivals:\n"
      "      process: constant\n"
      "      rate: 12.5\n"
      "    serviceTime: 20ms\n"
      "    servers: 3\n"
      "    queueLimit: 10\n"
      "    timeout: 1.5s\n"
      "  - name: batch\n"
      "    type: requestQueue\n"
      "    arrivals: {process: poisson, rate: 0.25}\n"
      "    serviceTime: {distribution: exponential, mean: 2s}\n";
  const Loaded l = load(text);
  INFO(l.diagnostics.format());
  REQUIRE(l.scenario.has_value());
  const Scenario& s = *l.scenario;
  CHECK(s.name == "full");
  CHECK(s.description == "every field set");
  CHECK(s.seed == 7);
  CHECK(s.duration == sim::minutes(90));
  CHECK(s.sample_interval == sim::milliseconds(250));
  CHECK(s.source_file == "t.yaml");
  CHECK(s.sha256 == sha256_hex(text));
  REQUIRE(s.request_queues.size() == 2);

  const models::RequestQueueConfig& api = s.request_queues[0];
  CHECK(api.name == "api");
  CHECK(api.arrivals.kind == models::ArrivalProcess::Kind::kConstant);
  CHECK(api.arrivals.rate_per_second == 12.5);
  CHECK(api.service_time.kind() == sim::Distribution::Kind::kConstant);
  CHECK(api.service_time.mean() == Approx(0.020).epsilon(1e-12));
  CHECK(api.servers == 3);
  CHECK(api.queue_limit == 10);
  CHECK(api.timeout == sim::milliseconds(1'500));

  // Defaults for the optional workload fields: one server, unbounded queue, no timeout.
  const models::RequestQueueConfig& batch = s.request_queues[1];
  CHECK(batch.name == "batch");
  CHECK(batch.arrivals.kind == models::ArrivalProcess::Kind::kPoisson);
  CHECK(batch.arrivals.rate_per_second == 0.25);
  CHECK(batch.service_time.kind() == sim::Distribution::Kind::kExponential);
  CHECK(batch.service_time.mean() == 2.0);
  CHECK(batch.servers == 1);
  CHECK(batch.queue_limit == -1);
  CHECK(batch.timeout == 0);
}

TEST_CASE("optional spec fields take their documented defaults", "[scenario]") {
  // kBase sets neither seed, sampleInterval nor description.
  const Loaded l = load(kBase);
  REQUIRE(l.scenario.has_value());
  CHECK(l.scenario->seed == 1);
  CHECK(l.scenario->sample_interval == sim::seconds(10));
  CHECK(l.scenario->description.empty());
}

TEST_CASE("a scenario with no workloads is valid", "[scenario]") {
  const Loaded l = load(
      "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {name: idle}\n"
      "spec: {duration: 1s}\n");
  INFO(l.diagnostics.format());
  REQUIRE(l.scenario.has_value());
  CHECK(l.scenario->request_queues.empty());
}

TEST_CASE("bad scenario input is reported at its line and column", "[scenario][diagnostics]") {
  SECTION("YAML syntax error") {
    // "  name: t: x": the second ':' (column 10) is a mapping value where none may start.
    const Loaded l = load(with_line(4, "  name: t: x"));
    expect_error(l, "", 4, 10, "YAML syntax error");
    CHECK(l.diagnostics.size() == 1);
  }
  SECTION("missing required field") {
    // Without duration, spec's first key is `workloads` on line 7, column 3.
    const Loaded l = load(with_line(6, "  # no duration"));
    expect_error(l, "spec.duration", 7, 3, "required field is missing");
    CHECK(contains(find_path(l.diagnostics, "spec.duration")->message, "duration such as 30s"));
  }
  SECTION("missing required mapping") {
    // No metadata at all: reported against the document, which starts at 1:1.
    const Loaded l = load(with_line(3, "# no metadata", with_line(4, "# no name")));
    expect_error(l, "metadata", 1, 1, "required field is missing");
  }
  SECTION("wrong type: a list where an integer belongs") {
    const Loaded l = load(with_line(14, "    servers: [1, 2]"));
    expect_error(l, "spec.workloads[0].servers", 14, 14, "expected an integer, got a list");
  }
  SECTION("wrong type: text where an integer belongs") {
    const Loaded l = load(with_line(14, "    servers: two"));
    expect_error(l, "spec.workloads[0].servers", 14, 14, "expected an integer, got \"two\"");
  }
  SECTION("wrong type: a scalar where a mapping belongs") {
    const Loaded l =
        load(with_line(10, "    arrivals: fast", with_line(11, "", with_line(12, ""))));
    expect_error(l, "spec.workloads[0].arrivals", 10, 15, "expected a mapping");
  }
  SECTION("out-of-range integer") {
    const Loaded l = load(with_line(14, "    servers: 0"));
    expect_error(l, "spec.workloads[0].servers", 14, 14, "must be between 1 and 1000000, got 0");
  }
  SECTION("out-of-range number") {
    const Loaded l = load(with_line(12, "      rate: -3"));
    expect_error(l, "spec.workloads[0].arrivals.rate", 12, 13, "must be between");
    CHECK(contains(find_path(l.diagnostics, "spec.workloads[0].arrivals.rate")->message, "got -3"));
  }
  SECTION("queueLimit below -1") {
    const Loaded l = load(kBase + "    queueLimit: -2\n");
    expect_error(l, "spec.workloads[0].queueLimit", 15, 17, "got -2");
  }
  SECTION("bad duration: a number without a unit gets the unit hint") {
    const Loaded l = load(with_line(6, "  duration: 10"));
    expect_error(l, "spec.duration", 6, 13, "invalid duration \"10\"",
                 "durations need a unit: write 10s for seconds");
  }
  SECTION("bad duration: an unknown unit") {
    const Loaded l = load(with_line(6, "  duration: 2d"));
    expect_error(l, "spec.duration", 6, 13, "unknown unit \"d\"");
    CHECK(contains(find_path(l.diagnostics, "spec.duration")->message, "24h"));
  }
  SECTION("bad duration: zero where a positive duration is required") {
    const Loaded l = load(with_line(6, "  duration: 0s"));
    expect_error(l, "spec.duration", 6, 13, "must be at least 1ns, got 0s");
  }
  SECTION("unknown field with a did-you-mean") {
    const Loaded l = load(with_line(6, "  duraton: 10m"));
    expect_error(l, "spec.duraton", 6, 3, "unknown field", "did you mean 'duration'?");
    // and the real field is then missing, reported against spec (first key on line 6)
    expect_error(l, "spec.duration", 6, 3, "required field is missing");
    CHECK(l.diagnostics.size() == 2);
  }
  SECTION("unknown field in a workload with a did-you-mean") {
    const Loaded l = load(with_line(14, "    severs: 2"));
    expect_error(l, "spec.workloads[0].severs", 14, 5, "unknown field", "did you mean 'servers'?");
  }
  SECTION("unknown field with no near match lists the known fields") {
    const Loaded l = load(with_line(4, "  name: t\n  colour: blue"));
    expect_error(l, "metadata.colour", 5, 3, "unknown field",
                 "known fields here: description name");
  }
  SECTION("unsupported enum value with a did-you-mean") {
    const Loaded l = load(with_line(11, "      process: poison"));
    expect_error(l, "spec.workloads[0].arrivals.process", 11, 16,
                 "\"poison\" is not one of poisson, constant", "did you mean 'poisson'?");
  }
  SECTION("unsupported kind") {
    const Loaded l =
        load(kBase + "---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\n");
    // The second document starts on line 16 (line 15 is '---'); the manifest reader
    // reports the kind at its value.
    expect_error(l, "kind", 17, 7, "unsupported kind \"StatefulSet\"");
    CHECK(l.diagnostics.size() == 1);
  }
  SECTION("Kubernetes objects without a cluster") {
    const Loaded l = load(kBase +
                          "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n");
    expect_error(l, "spec.cluster", 0, 0, "holds Kubernetes objects but the scenario has no cluster");
  }
  SECTION("a document without a kind") {
    const Loaded l = load(kBase + "---\nfoo: bar\n");
    expect_error(l, "kind", 16, 1, "document has no kind");
  }
  SECTION("two Scenario documents") {
    const Loaded l = load(kBase + "---\n" + kBase);
    expect_error(l, "kind", 16, 1, "a second Scenario document");
    CHECK(l.diagnostics.size() == 1);
  }
  SECTION("wrong apiVersion") {
    const Loaded l = load(with_line(1, "apiVersion: kubesim.io/v1"));
    expect_error(l, "apiVersion", 1, 13, "unsupported apiVersion \"kubesim.io/v1\"",
                 "kubesim.io/v1alpha1");
  }
  SECTION("duplicate workload name") {
    const Loaded l = load(kBase +
                          "  - name: api\n"
                          "    type: requestQueue\n"
                          "    arrivals: {process: constant, rate: 1}\n"
                          "    serviceTime: 1s\n");
    expect_error(l, "spec.workloads[1].name", 15, 11, "duplicate workload name \"api\"");
    CHECK(l.diagnostics.size() == 1);
  }
  SECTION("a scenario name that cannot name files") {
    const Loaded l = load(with_line(4, "  name: my run"));
    expect_error(l, "metadata.name", 4, 9, "without spaces or slashes");
  }
  SECTION("a scenario name that would leave the runs directory") {
    const Loaded l = load(with_line(4, "  name: \"..\""));
    expect_error(l, "metadata.name", 4, 9, "must be");
  }
  SECTION("workload names that cannot name metrics and CSV columns") {
    // The name prefixes every metric and timeseries.csv column of the workload.
    for (const char* name : {"\"a,b\"", "'say \"hi\"'", "\"two words\"", "\"\""}) {
      INFO(name);
      const Loaded l = load(with_line(8, std::string("  - name: ") + name));
      expect_error(l, "spec.workloads[0].name", 8, 11, "must be non-empty");
    }
  }
  SECTION("bad distribution parameters: p99 below p50") {
    const Loaded l = load(with_line(13,
                                    "    serviceTime:\n"
                                    "      distribution: lognormal\n"
                                    "      p50: 40ms\n"
                                    "      p99: 10ms"));
    // Reported against the serviceTime mapping, whose first key is on line 14, column 7.
    expect_error(l, "spec.workloads[0].serviceTime", 14, 7, "p99 must be at least p50");
  }
  SECTION("unknown workload type") {
    const Loaded l = load(with_line(9, "    type: requestqueue"));
    expect_error(l, "spec.workloads[0].type", 9, 11, "is not one of requestQueue",
                 "did you mean 'requestQueue'?");
    // The fields of a workload whose type is unknown are not reported as unknown too.
    CHECK(l.diagnostics.size() == 1);
  }
  SECTION("workloads that is not a list") {
    const Loaded l = load(
        "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {name: t}\n"
        "spec:\n  duration: 1m\n  workloads: api\n");
    expect_error(l, "spec.workloads", 6, 14, "expected a list");
  }
  SECTION("a list item that is not a mapping") {
    const Loaded l = load(
        "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {name: t}\n"
        "spec:\n  duration: 1m\n  workloads:\n  - api\n");
    expect_error(l, "spec.workloads[0]", 7, 5, "expected a mapping");
  }
}

TEST_CASE("an empty or missing file is a clean failure", "[scenario][diagnostics]") {
  SECTION("empty text") {
    const Loaded l = load("");
    expect_error(l, "", 1, 1, "no Scenario document found", "kind: Scenario");
  }
  SECTION("only comments") {
    const Loaded l = load("# nothing here\n\n");
    expect_error(l, "", 1, 1, "no Scenario document found");
  }
  SECTION("a directory instead of a file") {
    const std::string path = std::string(KUBESIM_SOURCE_DIR) + "/scenarios/examples";
    Diagnostics diagnostics;
    CHECK_FALSE(load_scenario_file(path, {}, diagnostics).has_value());
    REQUIRE(diagnostics.size() == 1);
    CHECK(diagnostics.items()[0].file == path);
    CHECK(contains(diagnostics.items()[0].message, "directory"));
  }
  SECTION("nonexistent file") {
    const std::string path = "/nonexistent/kubesim/scenario.yaml";
    Diagnostics diagnostics;
    CHECK_FALSE(load_scenario_file(path, {}, diagnostics).has_value());
    REQUIRE(diagnostics.size() == 1);
    const Diagnostic& d = diagnostics.items()[0];
    CHECK(d.file == path);
    CHECK(d.line == 0);
    CHECK(contains(d.message, "cannot open"));
    CHECK(contains(diagnostics.format(), path));
  }
}

TEST_CASE("several errors in one file are all reported, in one pass", "[scenario][diagnostics]") {
  std::string text = with_line(1, "apiVersion: kubesim.io/v2");
  text = with_line(6, "  duration: 10", text);
  text = with_line(12, "      rate: fast", text);
  text = with_line(14, "    servers: 0\n    colour: red", text);
  const Loaded l = load(text);
  INFO(l.diagnostics.format());
  CHECK_FALSE(l.scenario.has_value());
  CHECK(l.diagnostics.size() == 5);
  expect_error(l, "apiVersion", 1, 13, "unsupported apiVersion");
  expect_error(l, "spec.duration", 6, 13, "invalid duration");
  expect_error(l, "spec.workloads[0].arrivals.rate", 12, 13, "expected a number, got \"fast\"");
  expect_error(l, "spec.workloads[0].servers", 14, 14, "must be between");
  expect_error(l, "spec.workloads[0].colour", 15, 5, "unknown field");
  // One line each, formatted as file:line:column: path: message.
  const std::string formatted = l.diagnostics.format();
  CHECK(std::count(formatted.begin(), formatted.end(), '\n') == 5);
  CHECK(contains(formatted, "t.yaml:6:13: spec.duration: invalid duration"));
}

TEST_CASE("odd documents fail cleanly instead of crashing", "[scenario][robustness]") {
  const std::vector<std::string> odd = {
      "42",
      "hello",
      "~",
      "---\n---\n---\n",
      "- a\n- b\n",
      "[1, 2, 3]",
      "{a: [b, {c: [d, {e: f}]}]}",
      "kind: Scenario",
      "kind: [Scenario]",
      "kind: Scenario\nspec: 5\nmetadata: []\napiVersion: 1\n",
      "kind: Scenario\napiVersion: kubesim.io/v1alpha1\nmetadata: {name: x}\n"
      "spec: {duration: 1s, workloads: [1, [2], {name: 3}, {name: {a: b}, type: [x]}]}\n",
      "kind: Scenario\napiVersion: kubesim.io/v1alpha1\nmetadata: {name: x}\n"
      "spec:\n  duration: 1s\n  workloads:\n  - name: a\n    type: requestQueue\n"
      "    arrivals: {process: poisson, rate: .nan}\n"
      "    serviceTime: {distribution: empirical, values: [[1]], weights: {a: b}}\n",
      "kind: Scenario\napiVersion: kubesim.io/v1alpha1\nmetadata: {name: x}\n"
      "spec:\n  duration: 1s\n  workloads:\n  - name: a\n    type: requestQueue\n"
      "    arrivals: {process: poisson, rate: 1e999}\n"
      "    servers: 99999999999999999999999\n"
      "    serviceTime: {distribution: empirical, samples: [], values: [1s]}\n",
      "? [a, b]\n: c\nkind: Scenario\n",
      "kind: Scenario\n? {x: y}\n: 1\n",
      "a: &x [1, 2]\nb: *x\nkind: Scenario\nspec: *x\n",
      "base: &b {duration: 1s}\nkind: Scenario\nspec:\n  <<: *b\n",
      "kind: Scenario\nkind: Scenario\n",
      "\t\tkind: Scenario",
      "kind: Scenario\nspec: {duration: \"\\u0000\"}\n",
      "%YAML 1.2\n---\nkind: Scenario\n",
      "!!binary aGVsbG8=",
      "kind: !custom Scenario\n",
      std::string("\x00\x01\x02\xff\xfe\xfd kind: Scenario", 21),
      std::string("\xef\xbb\xbfkind: Scenario\n"),
      std::string(2000, '['),
      std::string(2000, '{'),
      std::string(500, '-') + " x",
      [] {
        std::string s;
        for (int i = 0; i < 300; ++i) s += std::string(static_cast<std::size_t>(i), ' ') + "a:\n";
        return s;
      }(),
  };
  for (std::size_t i = 0; i < odd.size(); ++i) {
    INFO("document #" << i);
    Loaded l;
    REQUIRE_NOTHROW(l = load(odd[i]));
    CHECK_FALSE(l.scenario.has_value());
    CHECK_FALSE(l.diagnostics.empty());
    for (const auto& d : l.diagnostics.items()) CHECK_FALSE(d.message.empty());
  }
}

TEST_CASE("random mutations of a valid scenario never crash the loader", "[scenario][robustness]") {
  // A small deterministic fuzzer: flip, insert and delete bytes of the quickstart example.
  // Every outcome must be a scenario or at least one diagnostic, never an exception.
  const std::string base =
      read_file(std::string(KUBESIM_SOURCE_DIR) + "/scenarios/examples/request-queue.yaml");
  REQUIRE_FALSE(base.empty());
  const std::string alphabet = ":-[]{}&*!|>'\"#%@`,? \n\t0123456789.abcmsh";
  std::uint64_t x = 0x9e3779b97f4a7c15ULL;
  auto next = [&x](std::uint64_t n) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x % n;
  };
  int loaded = 0;
  for (int round = 0; round < 1500; ++round) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(next(4));
    for (int e = 0; e < edits; ++e) {
      const std::size_t pos = next(text.size());
      const char c = alphabet[next(alphabet.size())];
      switch (next(3)) {
        case 0:
          text[pos] = c;
          break;
        case 1:
          text.insert(text.begin() + static_cast<std::ptrdiff_t>(pos), c);
          break;
        default:
          text.erase(pos, 1);
          break;
      }
    }
    Loaded l;
    INFO("round " << round << ":\n" << text);
    REQUIRE_NOTHROW(l = load(text));
    REQUIRE(l.scenario.has_value() == l.diagnostics.empty());
    if (l.scenario) ++loaded;
  }
  // Some mutations only touch comments or values in range; most break something.
  CHECK(loaded > 0);
  CHECK(loaded < 1500);
}


TEST_CASE("a document whose first token is a comma is a syntax error, not a runaway parse",
          "[scenario][robustness]") {
  // yaml-cpp 0.7 allocates without bound on these; the loader must refuse them first.
  for (const std::string& text :
       {std::string(",a: 1\n"), std::string("# c\n  , x\n"), std::string("a: 1\n---\n,b\n"),
        std::string("--- ,\n"), std::string("%YAML 1.2\n---\n,\n")}) {
    INFO(text);
    Diagnostics d;
    auto s = load_scenario_text(text, "t.yaml", {}, d);
    CHECK_FALSE(s.has_value());
    REQUIRE(d.size() == 1);
    CHECK(contains(d.items().front().message, "a document cannot start with ','"));
    CHECK(d.items().front().line >= 1);
  }
  // Commas elsewhere are ordinary YAML.
  Diagnostics d;
  auto docs = load_yaml_documents("a: [1, 2]\nb: \"x, y\"\n", "t.yaml", d);
  REQUIRE(docs.has_value());
  CHECK((*docs)[0]["a"].size() == 2);
}

}  // namespace kubesim::scenarios
