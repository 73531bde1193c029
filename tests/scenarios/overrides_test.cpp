// Tests of `--set path=value` overrides (scenarios/scenario.hpp): they edit the YAML tree
// before validation, so an overridden value is checked exactly like one in the file, and
// they take part in the scenario's sha256.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/scenario.hpp"
#include "tests/support/base_scenario.hpp"
#include "sim/time.hpp"

namespace kubesim::scenarios {
namespace {

// Line 6 holds spec.duration; spec's first key is on line 6, column 3.
const std::string& kBase = kubesim::testing::kBaseScenario;  // line map: tests/support/base_scenario.hpp

struct Loaded {
  std::optional<Scenario> scenario;
  Diagnostics diagnostics;
};

Loaded load(const std::vector<std::string>& overrides, const std::string& text = kBase) {
  Loaded l;
  l.scenario = load_scenario_text(text, "t.yaml", overrides, l.diagnostics);
  return l;
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

const Diagnostic* find_path(const Diagnostics& ds, std::string_view path) {
  for (const auto& d : ds.items()) {
    if (d.path == path) return &d;
  }
  return nullptr;
}

// An override that fails with exactly one diagnostic naming the assignment.
void expect_override_error(const std::string& assignment, std::string_view message) {
  const Loaded l = load({assignment});
  INFO(l.diagnostics.format());
  CHECK_FALSE(l.scenario.has_value());
  REQUIRE(l.diagnostics.size() == 1);
  const Diagnostic& d = l.diagnostics.items()[0];
  CHECK(d.path == "--set " + assignment);
  CHECK(contains(d.message, message));
  // Not a position in the file: the problem is on the command line.
  CHECK(d.line == 0);
}

}  // namespace

TEST_CASE("an override (--set) replaces a field by its full path", "[overrides]") {
  const Loaded l = load({"spec.duration=2h"});
  INFO(l.diagnostics.format());
  REQUIRE(l.scenario.has_value());
  CHECK(l.scenario->duration == sim::hours(2));
}

TEST_CASE("override paths not starting at the top level are taken under spec", "[overrides]") {
  const Loaded l = load({"duration=2h"});
  INFO(l.diagnostics.format());
  REQUIRE(l.scenario.has_value());
  CHECK(l.scenario->duration == sim::hours(2));
  // The top-level names are not prefixed: metadata.name stays metadata.name.
  const Loaded m = load({"metadata.name=renamed"});
  REQUIRE(m.scenario.has_value());
  CHECK(m.scenario->name == "renamed");
}

TEST_CASE("an override reaches into lists by index", "[overrides]") {
  const Loaded l = load({"spec.workloads[0].servers=8", "spec.workloads[0].arrivals.rate=2.5"});
  INFO(l.diagnostics.format());
  REQUIRE(l.scenario.has_value());
  REQUIRE(l.scenario->request_queues.size() == 1);
  CHECK(l.scenario->request_queues[0].servers == 8);
  CHECK(l.scenario->request_queues[0].arrivals.rate_per_second == 2.5);
  // Short form with an index.
  const Loaded s = load({"workloads[0].servers=3"});
  REQUIRE(s.scenario.has_value());
  CHECK(s.scenario->request_queues[0].servers == 3);
}

TEST_CASE("an override adds a field the file leaves out", "[overrides]") {
  const Loaded l = load({"spec.seed=9", "spec.workloads[0].timeout=3s"});
  INFO(l.diagnostics.format());
  REQUIRE(l.scenario.has_value());
  CHECK(l.scenario->seed == 9);
  CHECK(l.scenario->request_queues[0].timeout == sim::seconds(3));
}

TEST_CASE("later --set wins over earlier ones for the same field", "[overrides]") {
  const Loaded l = load({"spec.duration=2h", "duration=5m"});
  REQUIRE(l.scenario.has_value());
  CHECK(l.scenario->duration == sim::minutes(5));
}

TEST_CASE("override values are read as YAML", "[overrides]") {
  SECTION("a flow mapping replaces a whole distribution") {
    const Loaded l =
        load({"spec.workloads[0].serviceTime={distribution: exponential, mean: 20ms}"});
    INFO(l.diagnostics.format());
    REQUIRE(l.scenario.has_value());
    const sim::Distribution& st = l.scenario->request_queues[0].service_time;
    CHECK(st.kind() == sim::Distribution::Kind::kExponential);
    CHECK(st.mean() == Approx(0.020).epsilon(1e-12));
  }
  SECTION("a quoted string keeps its colon") {
    const Loaded l = load({"metadata.description=\"a: b\""});
    INFO(l.diagnostics.format());
    REQUIRE(l.scenario.has_value());
    CHECK(l.scenario->description == "a: b");
  }
  SECTION("a flow list replaces the workloads") {
    const Loaded l = load(
        {"spec.workloads=[{name: w, type: requestQueue, arrivals: {process: constant, rate: 1}, "
         "serviceTime: 1s}]"});
    INFO(l.diagnostics.format());
    REQUIRE(l.scenario.has_value());
    REQUIRE(l.scenario->request_queues.size() == 1);
    CHECK(l.scenario->request_queues[0].name == "w");
    CHECK(l.scenario->request_queues[0].arrivals.kind == models::ArrivalProcess::Kind::kConstant);
  }
  SECTION("an '=' inside the value is part of the value") {
    const Loaded l = load({"metadata.description=x=y"});
    REQUIRE(l.scenario.has_value());
    CHECK(l.scenario->description == "x=y");
  }
  SECTION("a value that is not valid YAML") {
    expect_override_error("metadata.name=[unclosed", "value is not valid YAML");
  }
}

TEST_CASE("malformed --set assignments are reported, naming the assignment", "[overrides]") {
  SECTION("no '='") { expect_override_error("spec.duration", "expected path=value"); }
  SECTION("empty path") { expect_override_error("=2h", "expected path=value"); }
  SECTION("index out of range") {
    expect_override_error("spec.workloads[3].servers=8", "index 3 is out of range");
    const Loaded l = load({"spec.workloads[3].servers=8"});
    CHECK(contains(l.diagnostics.items()[0].message, "has 1 items"));
  }
  SECTION("a path through a scalar") {
    expect_override_error("spec.duration.unit=s", "not a mapping");
  }
  SECTION("an index on something that is not a list") {
    expect_override_error("spec.duration[0]=1s", "is not a list");
  }
  SECTION("an index that is not a number") {
    expect_override_error("spec.workloads[x].servers=1", "list index must be a number");
  }
  SECTION("an unclosed bracket") {
    expect_override_error("spec.workloads[0.servers=1", "unclosed '['");
  }
  SECTION("an index too large for any list") {
    expect_override_error("spec.workloads[99999999999999999999999].servers=1", "out of range");
  }
  SECTION("an empty path segment") {
    expect_override_error("spec..duration=1s", "empty path segment");
  }
  SECTION("every bad override is reported, not just the first") {
    const Loaded l = load({"spec.duration", "spec.workloads[7].servers=1"});
    CHECK_FALSE(l.scenario.has_value());
    CHECK(l.diagnostics.size() == 2);
  }
}

TEST_CASE("an overridden value is validated like the file, and blamed on --set", "[overrides]") {
  SECTION("a typo'd key is an unknown field with a did-you-mean") {
    const Loaded l = load({"spec.duraton=2h"});
    INFO(l.diagnostics.format());
    CHECK_FALSE(l.scenario.has_value());
    const Diagnostic* d = find_path(l.diagnostics, "spec.duraton");
    REQUIRE(d != nullptr);
    CHECK(d->message == "unknown field");
    CHECK(contains(d->hint, "did you mean 'duration'?"));
    // The key is not in the file: no file position, and the hint names the --set.
    CHECK(d->line == 0);
    CHECK(contains(d->hint, "--set spec.duraton=2h"));
    // The file's own duration is untouched, so nothing else is wrong.
    CHECK(l.diagnostics.size() == 1);
  }
  SECTION("an out-of-range value") {
    const Loaded l = load({"spec.workloads[0].servers=0"});
    INFO(l.diagnostics.format());
    CHECK_FALSE(l.scenario.has_value());
    REQUIRE(l.diagnostics.size() == 1);
    const Diagnostic& d = l.diagnostics.items()[0];
    CHECK(d.path == "spec.workloads[0].servers");
    CHECK(contains(d.message, "must be between 1 and 1000000, got 0"));
    // Line 1, column 1 of t.yaml has nothing to do with it.
    CHECK(d.line == 0);
    CHECK(contains(d.hint, "--set spec.workloads[0].servers=0"));
  }
  SECTION("a bad duration keeps its unit hint") {
    const Loaded l = load({"duration=90"});
    INFO(l.diagnostics.format());
    REQUIRE(l.diagnostics.size() == 1);
    const Diagnostic& d = l.diagnostics.items()[0];
    CHECK(d.path == "spec.duration");
    CHECK(contains(d.hint, "write 90s for seconds"));
    CHECK(contains(d.hint, "--set duration=90"));
  }
  SECTION("the kind cannot be overridden away from Scenario") {
    const Loaded l = load({"kind=Deployment"});
    INFO(l.diagnostics.format());
    CHECK_FALSE(l.scenario.has_value());
    const Diagnostic* d = find_path(l.diagnostics, "kind");
    REQUIRE(d != nullptr);
    CHECK(contains(d->message, "Deployment"));
    CHECK(contains(d->hint, "--set kind=Deployment"));
  }
  SECTION("the apiVersion is checked after overrides too") {
    const Loaded l = load({"apiVersion=kubesim.io/v9"});
    CHECK_FALSE(l.scenario.has_value());
    const Diagnostic* d = find_path(l.diagnostics, "apiVersion");
    REQUIRE(d != nullptr);
    CHECK(contains(d->message, "unsupported apiVersion"));
  }
  SECTION("a missing parameter inside an overridden mapping") {
    const Loaded l = load({"spec.workloads[0].serviceTime={distribution: lognormal, p50: 1s}"});
    INFO(l.diagnostics.format());
    const Diagnostic* d = find_path(l.diagnostics, "spec.workloads[0].serviceTime.p99");
    REQUIRE(d != nullptr);
    CHECK(contains(d->message, "required field is missing"));
    CHECK(d->line == 0);
  }
  SECTION("a new mapping created by --set is reported where it starts") {
    const Loaded l = load({"spec.extra.deep=1"});
    INFO(l.diagnostics.format());
    const Diagnostic* d = find_path(l.diagnostics, "spec.extra");
    REQUIRE(d != nullptr);
    CHECK(d->message == "unknown field");
    CHECK(d->line == 0);
    CHECK(contains(d->hint, "--set spec.extra.deep=1"));
  }
  SECTION("errors in the file keep their file positions next to --set ones") {
    std::string text = kBase;
    text.replace(text.find("servers: 2"), 10, "servers: 0");  // line 14, column 14
    const Loaded l = load({"spec.duration=1"}, text);
    INFO(l.diagnostics.format());
    CHECK(l.diagnostics.size() == 2);
    const Diagnostic* servers = find_path(l.diagnostics, "spec.workloads[0].servers");
    REQUIRE(servers != nullptr);
    CHECK(servers->line == 14);
    CHECK(servers->column == 14);
    const Diagnostic* duration = find_path(l.diagnostics, "spec.duration");
    REQUIRE(duration != nullptr);
    CHECK(duration->line == 0);
  }
}

TEST_CASE("random --set assignments never crash the loader", "[overrides][robustness]") {
  // Assignments built from path pieces, brackets, dots, '=' and YAML-ish values, some
  // well-formed, most not. Every outcome is a scenario or diagnostics, never an exception.
  const std::vector<std::string> pieces = {"spec",
                                           "metadata",
                                           "kind",
                                           "apiVersion",
                                           "workloads",
                                           "[0]",
                                           "[1]",
                                           "[",
                                           "]",
                                           ".",
                                           "..",
                                           "servers",
                                           "duration",
                                           "arrivals",
                                           "rate",
                                           "serviceTime",
                                           "name",
                                           "=",
                                           "==",
                                           "2h",
                                           "0",
                                           "-1",
                                           "{a: b}",
                                           "[1, 2]",
                                           "~",
                                           "\"",
                                           "'",
                                           ":",
                                           "99999999999999999999",
                                           "x",
                                           " "};
  std::uint64_t x = 0x2545f4914f6cdd1dULL;
  auto next = [&x](std::size_t n) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return static_cast<std::size_t>(x % n);
  };
  int accepted = 0;
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::string> overrides;
    const std::size_t count = 1 + next(3);
    for (std::size_t i = 0; i < count; ++i) {
      std::string assignment;
      const std::size_t n = 1 + next(7);
      for (std::size_t k = 0; k < n; ++k) assignment += pieces[next(pieces.size())];
      overrides.push_back(assignment);
    }
    INFO("round " << round << ": " << overrides[0]);
    Loaded l;
    REQUIRE_NOTHROW(l = load(overrides));
    REQUIRE(l.scenario.has_value() == l.diagnostics.empty());
    if (l.scenario) ++accepted;
  }
  CHECK(accepted < 2000);
}

TEST_CASE("overrides change the scenario hash, deterministically", "[overrides][sha256]") {
  const Loaded plain = load({});
  const Loaded a = load({"spec.duration=2h"});
  const Loaded a_again = load({"spec.duration=2h"});
  const Loaded b = load({"spec.duration=3h"});
  REQUIRE(plain.scenario.has_value());
  REQUIRE(a.scenario.has_value());
  REQUIRE(a_again.scenario.has_value());
  REQUIRE(b.scenario.has_value());
  CHECK(plain.scenario->sha256 == sha256_hex(kBase));
  CHECK(a.scenario->sha256 != plain.scenario->sha256);
  CHECK(a.scenario->sha256 == a_again.scenario->sha256);
  CHECK(b.scenario->sha256 != a.scenario->sha256);
  CHECK(a.scenario->sha256.size() == 64);
  CHECK(a.scenario->sha256.find_first_not_of("0123456789abcdef") == std::string::npos);
}

TEST_CASE("sha256_hex matches the FIPS 180-2 test vectors", "[sha256]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

}  // namespace kubesim::scenarios
