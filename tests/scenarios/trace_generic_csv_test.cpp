// Tests of the generic CSV importer and its YAML column mapping
// (scenarios/trace_generic_csv.cpp). Expected values are worked out by hand from the small
// files written here (the arithmetic is next to each check).
#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>

#include "scenarios/yaml_reader.hpp"
#include "tests/scenarios/trace_test_support.hpp"

namespace kubesim::scenarios::traces {
namespace {

using testing::load_cluster;
using testing::load_requests;
using testing::skipping;
using testing::write_file;

struct Mapping {
  std::optional<CsvMapping> mapping;
  Diagnostics diagnostics;
};

Mapping read_mapping(const std::string& yaml) {
  Mapping m;
  const YAML::Node node = YAML::Load(yaml);
  FieldReader reader(node, "mapping", "m.yaml", &m.diagnostics);
  m.mapping = read_csv_mapping(reader);
  return m;
}

TraceOptions with(const CsvMapping& m, bool skip = false) {
  TraceOptions o;
  o.mapping = m;
  o.skip_bad_rows = skip;
  return o;
}

TEST_CASE("a generic pod CSV maps columns with units and a time origin", "[traces][csv]") {
  const auto m = read_mapping(R"(
kind: pods
delimiter: ";"
columns:
  name: job
  cpu: {column: cores, unit: cores}
  memory: {column: mem, unit: GiB}
  gpu: gpus
  gpu_milli: {column: share, unit: fraction}
  gpu_models: models
  creation: {column: submit, unit: s, origin: first}
  deletion: {column: finish, unit: s}
  run_time: {column: dur, unit: m}
  priority: prio
  group: {column: gang, default: solo}
)");
  INFO(m.diagnostics.format());
  REQUIRE(m.mapping);
  CHECK(m.mapping->kind == "pods");
  CHECK(m.mapping->delimiter == ';');
  kubesim::testing::TempDir dir;
  const std::string p = write_file(dir, "jobs.csv",
                                   "job;cores;mem;gpus;share;models;submit;finish;dur;prio;gang\n"
                                   "a;1.5;0.5;1;0.25;T4|A10;1000;1060;1.5;-3;g1\n"
                                   "b;2;16;4;1;;1030.5;;;;\n");
  auto r = load_cluster("csv", {p}, with(*m.mapping));
  INFO(r.diagnostics.format());
  REQUIRE(r.trace);
  const auto& pods = r.trace->pods;
  REQUIRE(pods.size() == 2);
  CHECK(pods[0].name == "a");
  CHECK(pods[0].cpu_milli == 1500);            // 1.5 cores
  CHECK(pods[0].memory_bytes == (1LL << 29));  // 0.5 GiB
  CHECK(pods[0].num_gpu == 1);
  CHECK(pods[0].gpu_milli == 250);  // 0.25 of a device
  CHECK(pods[0].gpu_models == std::vector<std::string>{"T4", "A10"});
  CHECK(pods[0].creation == 0);                 // origin: the first row, 1000 s
  CHECK(pods[0].deletion == sim::seconds(60));  // 1060 - 1000
  CHECK(pods[0].run_time == sim::seconds(90));  // 1.5 min
  CHECK(pods[0].priority == -3);
  CHECK(pods[0].group == "g1");
  CHECK(pods[1].cpu_milli == 2000);
  CHECK(pods[1].memory_bytes == 16LL << 30);
  CHECK(pods[1].num_gpu == 4);
  CHECK(pods[1].gpu_milli == 1000);
  CHECK(pods[1].creation == sim::milliseconds(30500));  // 1030.5 - 1000
  CHECK_FALSE(pods[1].deletion);
  CHECK_FALSE(pods[1].priority);
  CHECK(pods[1].group == "solo");  // default for an empty cell
}

TEST_CASE("generic CSV time origins: zero, min and a datetime", "[traces][csv]") {
  kubesim::testing::TempDir dir;
  const std::string p = write_file(dir, "r.csv",
                                   "t,in,out,model\n"
                                   "2023-11-16 18:15:50,10,1,m1\n"
                                   "2023-11-16T18:15:46.5Z,20,2,m2\n");
  auto load = [&](const std::string& origin) {
    const auto m = read_mapping(
        "kind: requests\ncolumns:\n  at: {column: t, unit: datetime, origin: " + origin +
        "}\n  input_tokens: in\n  output_tokens: out\n  key: model\n");
    REQUIRE(m.mapping);
    return load_requests("csv", {p}, with(*m.mapping));
  };
  auto min = load("min");
  REQUIRE(min.trace);
  // Sorted by time: m2 at 0 (the minimum), m1 3.5 s later.
  CHECK(min.trace->requests[0].key == "m2");
  CHECK(min.trace->requests[0].at == 0);
  CHECK(min.trace->requests[1].at == sim::milliseconds(3500));
  CHECK(min.trace->requests[1].input_tokens == 10);
  auto first = load("first");
  REQUIRE(first.trace);
  CHECK(first.trace->requests[0].at == -sim::milliseconds(3500));  // before the first row
  auto fixed = load("\"2023-11-16T18:15:00Z\"");
  REQUIRE(fixed.trace);
  CHECK(fixed.trace->requests[0].at == sim::milliseconds(46500));
  CHECK(fixed.trace->requests[1].at == sim::seconds(50));

  // unit s from zero: numbers as they are.
  const std::string q = write_file(dir, "q.csv", "t\n1.25\n0.5\n");
  const auto m =
      read_mapping("kind: requests\ncolumns:\n  at: {column: t, unit: ms, origin: zero}\n");
  REQUIRE(m.mapping);
  auto zero = load_requests("csv", {q}, with(*m.mapping));
  REQUIRE(zero.trace);
  CHECK(zero.trace->requests[0].at == 500000);   // 0.5 ms
  CHECK(zero.trace->requests[1].at == 1250000);  // 1.25 ms
}

TEST_CASE("a generic node CSV maps labels, cost and spot", "[traces][csv]") {
  const auto m = read_mapping(R"(
kind: nodes
columns:
  name: host
  cpu: {column: millicores, unit: m}
  memory: {column: mem_mb, unit: MB}
  gpu: gpus
  gpu_model: model
  cost_per_hour: price
  spot: preemptible
labels:
  topology.kubernetes.io/zone: zone
)");
  INFO(m.diagnostics.format());
  REQUIRE(m.mapping);
  kubesim::testing::TempDir dir;
  const std::string p = write_file(dir, "nodes.csv",
                                   "host,millicores,mem_mb,gpus,model,price,preemptible,zone\n"
                                   "n1,64000,1000,8,H100,98.32,true,z1\n"
                                   "n2,\"32000\",2.5,0,,0.5,no,\n");
  auto r = load_cluster("csv", {p}, with(*m.mapping));
  INFO(r.diagnostics.format());
  REQUIRE(r.trace);
  const auto& n = r.trace->nodes;
  REQUIRE(n.size() == 2);
  CHECK(n[0].cpu_milli == 64000);
  CHECK(n[0].memory_bytes == 1'000'000'000);  // 1000 MB
  CHECK(n[0].gpu_count == 8);
  CHECK(n[0].gpu_model == "H100");
  CHECK(n[0].cost_per_hour == 98.32);
  CHECK(n[0].spot);
  CHECK(n[0].labels ==
        std::vector<std::pair<std::string, std::string>>{{"topology.kubernetes.io/zone", "z1"}});
  CHECK(n[1].cpu_milli == 32000);
  CHECK(n[1].memory_bytes == 2'500'000);
  CHECK_FALSE(n[1].spot);
  CHECK(n[1].labels.empty());
}

TEST_CASE("mapping mistakes are located in the YAML", "[traces][csv][errors]") {
  SECTION("unknown field with a did-you-mean") {
    const auto m = read_mapping("kind: pods\ncolumns:\n  cpus: c\n");
    CHECK_FALSE(m.mapping);
    REQUIRE(m.diagnostics.size() == 1);
    CHECK(m.diagnostics.items()[0].line == 3);
    CHECK(m.diagnostics.items()[0].message == "unknown field 'cpus' for kind pods");
    CHECK(m.diagnostics.items()[0].hint.rfind("did you mean 'cpu'?", 0) == 0);
  }
  SECTION("unknown unit") {
    const auto m = read_mapping("kind: pods\ncolumns:\n  memory: {column: m, unit: Gib}\n");
    CHECK_FALSE(m.mapping);
    REQUIRE(m.diagnostics.size() == 1);
    CHECK(m.diagnostics.items()[0].hint.find("GiB") != std::string::npos);
  }
  SECTION("bad origin, origin on a secondary time column") {
    const auto m = read_mapping(
        "kind: pods\ncolumns:\n  creation: {column: a, origin: yesterday}\n"
        "  deletion: {column: b, origin: zero}\n");
    CHECK_FALSE(m.mapping);
    REQUIRE(m.diagnostics.size() == 2);
    CHECK(m.diagnostics.items()[0].message == "origin must be first, zero, min or a date and time");
    CHECK(m.diagnostics.items()[1].hint == "move origin to creation");
  }
  SECTION("wrong kind, missing at") {
    CHECK_FALSE(read_mapping("kind: jobs\ncolumns: {}\n").mapping);
    const auto m = read_mapping("kind: requests\ncolumns:\n  key: k\n");
    CHECK_FALSE(m.mapping);
    CHECK(m.diagnostics.items().at(0).message == "a request mapping needs the 'at' column");
  }
  SECTION("a unit on a field without units") {
    const auto m = read_mapping("kind: pods\ncolumns:\n  name: {column: n, unit: s}\n");
    CHECK_FALSE(m.mapping);
  }
}

TEST_CASE("generic CSV bad rows and missing columns", "[traces][csv][errors]") {
  const auto m = read_mapping(
      "kind: pods\ncolumns:\n  cpu: {column: cpu, unit: cores}\n  gpu: gpu\n"
      "  gpu_milli: {column: share, unit: percent}\n  creation: {column: t, unit: s}\n");
  REQUIRE(m.mapping);
  kubesim::testing::TempDir dir;
  const std::string p = write_file(dir, "p.csv",
                                   "cpu,gpu,share,t\n"
                                   "1,1,50,0\n"   // 2 ok: 500 milli
                                   "x,1,50,0\n"   // 3 cpu
                                   "1,2,50,0\n"   // 4 multi-GPU must be whole
                                   "1,1,150,0\n"  // 5 share > 100 %
                                   "1,-1,0,0\n"   // 6 negative gpu
                                   "1,0,0,\n");   // 7 no creation
  auto strict = load_cluster("csv", {p}, with(*m.mapping));
  CHECK_FALSE(strict.trace);
  const auto& d = strict.diagnostics.items();
  REQUIRE(d.size() == 5);
  CHECK(d[0].line == 3);
  CHECK(d[0].path == "cpu");
  CHECK(d[1].line == 4);
  CHECK(d[1].path == "share");
  CHECK(d[2].line == 5);
  CHECK(d[3].line == 6);
  CHECK(d[3].hint == "negative values are not allowed here");
  CHECK(d[4].line == 7);
  CHECK(d[4].path == "t");
  auto skip = load_cluster("csv", {p}, with(*m.mapping, true));
  REQUIRE(skip.trace);
  REQUIRE(skip.trace->pods.size() == 1);
  CHECK(skip.trace->pods[0].gpu_milli == 500);
  CHECK(skip.trace->pods[0].name == "p-0");  // no name column: file stem and row index
  CHECK(skip.trace->reports[0].skipped == 5);

  const auto typo = read_mapping("kind: pods\ncolumns:\n  gpu: gpus\n");
  REQUIRE(typo.mapping);
  auto missing = load_cluster("csv", {p}, with(*typo.mapping));
  CHECK_FALSE(missing.trace);
  REQUIRE(missing.diagnostics.size() == 1);
  CHECK(missing.diagnostics.items()[0].message == "missing required column 'gpus'");
  CHECK(missing.diagnostics.items()[0].hint.rfind("did you mean 'gpu'?", 0) == 0);
  CHECK(missing.diagnostics.items()[0].line == 1);

  // Format csv without a mapping, or with a mapping of the other kind.
  auto none = load_cluster("csv", {p});
  CHECK_FALSE(none.trace);
  CHECK(none.diagnostics.items().at(0).message == "format csv needs a column mapping");
  auto wrong = load_requests("csv", {p}, with(*m.mapping));
  CHECK_FALSE(wrong.trace);
}

}  // namespace
}  // namespace kubesim::scenarios::traces
