// Tests of the machinery shared by every trace importer (scenarios/trace_common.cpp): the
// RFC 4180 CSV reader, number and datetime parsing, format dispatch, file-level errors, the
// bad-row cap, determinism, and robustness against hostile input (nothing may crash).
#include "scenarios/trace_common.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <random>

#include "tests/scenarios/trace_test_support.hpp"

namespace kubesim::scenarios::traces {
namespace {

using detail::CsvReader;
using testing::load_cluster;
using testing::load_requests;
using testing::shipped;
using testing::skipping;
using testing::write_file;

std::vector<std::vector<std::string>> records(std::string_view text,
                                              std::vector<int>* lines = nullptr) {
  CsvReader r(text);
  std::vector<std::vector<std::string>> out;
  while (r.next()) {
    out.emplace_back(r.fields().begin(), r.fields().end());
    if (lines) lines->push_back(r.line());
  }
  return out;
}

TEST_CASE("the CSV reader follows RFC 4180", "[traces][csv-reader]") {
  using R = std::vector<std::vector<std::string>>;
  CHECK(records("a,b\n1,2\n") == R{{"a", "b"}, {"1", "2"}});
  CHECK(records("a,b\r\n1,2") == R{{"a", "b"}, {"1", "2"}});  // CRLF, no final newline
  CHECK(records("a,,\n") == R{{"a", "", ""}});
  CHECK(records("a,b,") == R{{"a", "b", ""}});
  CHECK(records("\"x,y\",\"say \"\"hi\"\"\"\n") == R{{"x,y", "say \"hi\""}});
  CHECK(records("\xEF\xBB\xBFname,v\n") == R{{"name", "v"}});  // byte-order mark dropped
  std::vector<int> lines;
  // A quoted field spanning lines; blank lines skipped; lines stay physical.
  CHECK(records("h\n\"multi\nline\"\n\nlast\n", &lines) == R{{"h"}, {"multi\nline"}, {"last"}});
  CHECK(lines == std::vector<int>{1, 2, 5});
  CsvReader open("a,\"unterminated\n");
  REQUIRE(open.next());
  CHECK(open.unterminated_quote());
  CsvReader tabs("a\tb\n", '\t');
  REQUIRE(tabs.next());
  CHECK(tabs.size() == 2);
}

TEST_CASE("numbers and datetimes parse exactly or not at all", "[traces][csv-reader]") {
  using detail::parse_datetime_ns;
  using detail::parse_double;
  using detail::parse_int;
  CHECK(parse_int("42") == 42);
  CHECK(parse_int(" -7 ") == -7);
  CHECK(parse_int("12.0") == 12);
  CHECK_FALSE(parse_int("12.5"));
  CHECK_FALSE(parse_int("9223372036854775808"));
  CHECK_FALSE(parse_int("1e3"));
  CHECK_FALSE(parse_int(""));
  CHECK_FALSE(parse_int("."));
  CHECK(parse_double("1e3") == 1000.0);
  CHECK_FALSE(parse_double("nan"));
  CHECK_FALSE(parse_double("inf"));
  CHECK_FALSE(parse_double("1e999"));
  // 2023-11-16 18:15:46.68059 UTC = 1700158546 s since the epoch (date -u -d ... +%s).
  CHECK(parse_datetime_ns("2023-11-16 18:15:46.6805900") == 1700158546680590000);
  CHECK(parse_datetime_ns("2023-11-16T18:15:46.68059Z") == 1700158546680590000);
  CHECK(parse_datetime_ns("2023-11-16T20:15:46.68059+02:00") == 1700158546680590000);
  CHECK(parse_datetime_ns("2024-02-29") == 1709164800LL * 1'000'000'000);
  CHECK_FALSE(parse_datetime_ns("2023-02-29"));
  CHECK_FALSE(parse_datetime_ns("2023-13-01"));
  CHECK_FALSE(parse_datetime_ns("2023-11-16 25:00:00"));
  CHECK_FALSE(parse_datetime_ns("2023-11-16 18:15:46 junk"));
  CHECK_FALSE(parse_datetime_ns("9999-01-01"));  // beyond sim::Time
}

TEST_CASE("unknown formats get a did-you-mean; formats of the other kind are named",
          "[traces][errors]") {
  auto typo = load_cluster("alibaba-openbb", {"x"});
  CHECK_FALSE(typo.trace);
  REQUIRE(typo.diagnostics.size() == 1);
  CHECK(typo.diagnostics.items()[0].message == "unknown cluster trace format 'alibaba-openbb'");
  CHECK(typo.diagnostics.items()[0].hint.rfind("did you mean 'alibaba-openb'?", 0) == 0);
  auto other = load_cluster("mooncake", {"x"});
  CHECK_FALSE(other.trace);
  CHECK(other.diagnostics.items().at(0).message ==
        "'mooncake' is a request trace format, not a cluster trace format");
  auto req = load_requests("azure-llm", {"x"});
  CHECK(req.diagnostics.items().at(0).hint.rfind("did you mean 'azure-llm-2023'?", 0) == 0);
  CHECK(cluster_trace_formats() == std::vector<std::string>{"alibaba-dlrm-2025", "alibaba-openb",
                                                            "alibaba-pai-2020", "alibaba-spot-2026",
                                                            "csv", "helios", "philly", "simkube"});
  CHECK(request_trace_formats() == std::vector<std::string>{"alibaba-genai-lora",
                                                            "alibaba-genai-qps", "azure-functions",
                                                            "azure-llm-2023", "csv", "mooncake"});
}

TEST_CASE("missing, empty and header-only files are clear errors", "[traces][errors]") {
  kubesim::testing::TempDir dir;
  auto missing = load_cluster("alibaba-openb", {dir.str("nope.csv")});
  CHECK_FALSE(missing.trace);
  CHECK(missing.diagnostics.items().at(0).message == "cannot open trace file");
  CHECK(missing.diagnostics.items().at(0).file == dir.str("nope.csv"));
  const std::string empty = write_file(dir, "empty.csv", "\n\n");
  auto e = load_requests("azure-llm-2023", {empty});
  CHECK_FALSE(e.trace);
  CHECK(e.diagnostics.items().at(0).message == "trace file is empty");
  auto none = load_requests("mooncake", {});
  CHECK_FALSE(none.trace);
  CHECK(none.diagnostics.items().at(0).message == "no trace files given");
  // A header with no rows is a valid, empty trace.
  const std::string header = write_file(dir, "h.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n");
  auto h = load_requests("azure-llm-2023", {header});
  REQUIRE(h.trace);
  CHECK(h.trace->requests.empty());
  CHECK(h.trace->reports.at(0).rows == 0);
}

TEST_CASE("diagnostics stop at 20 bad rows per file, then one summary", "[traces][errors]") {
  kubesim::testing::TempDir dir;
  std::string text = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
  for (int i = 0; i < 50; ++i) text += "2023-11-16 18:15:46,x,1\n";
  const std::string p = write_file(dir, "bad.csv", text);
  auto r = load_requests("azure-llm-2023", {p});
  CHECK_FALSE(r.trace);
  REQUIRE(r.diagnostics.size() == 21);
  CHECK(r.diagnostics.items()[19].line == 21);
  CHECK(r.diagnostics.items()[20].message == "30 more malformed rows not listed");
  auto skip = load_requests("azure-llm-2023", {p}, skipping());
  REQUIRE(skip.trace);
  CHECK(skip.trace->reports[0].skipped == 50);
  CHECK(skip.trace->reports[0].skipped_rows.size() == 20);
}

TEST_CASE("max_rows stops after that many rows per file", "[traces]") {
  TraceOptions o;
  o.max_rows = 100;
  auto r =
      load_cluster("alibaba-openb", {shipped("alibaba-gpu-v2023/openb_pod_list_default.csv")}, o);
  REQUIRE(r.trace);
  CHECK(r.trace->pods.size() == 100);
  CHECK(r.trace->pods.back().name == "openb-pod-0099");
}

TEST_CASE("non-UTF-8 names are rejected, not passed on", "[traces][errors]") {
  kubesim::testing::TempDir dir;
  const std::string p = write_file(dir, "n.csv",
                                   "sn,cpu_milli,memory_mib,gpu,model\nnode-\xff,1,1,0,\n"
                                   "ok,1,1,1,T\xc3\xa4\n");
  auto r = load_cluster("alibaba-openb", {p});
  CHECK_FALSE(r.trace);
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics.items()[0].line == 2);
  CHECK(r.diagnostics.items()[0].message == "value is not valid UTF-8: \"node-\\xFF\"");
  auto skip = load_cluster("alibaba-openb", {p}, skipping());
  REQUIRE(skip.trace);
  REQUIRE(skip.trace->nodes.size() == 1);
  CHECK(skip.trace->nodes[0].gpu_model == "T\xc3\xa4");  // valid UTF-8 kept as is
}

TEST_CASE("the same input gives the same trace", "[traces][determinism]") {
  auto a = load_cluster("simkube", {shipped("simkube/large_trace.json")});
  auto b = load_cluster("simkube", {shipped("simkube/large_trace.json")});
  REQUIRE(a.trace);
  REQUIRE(b.trace);
  REQUIRE(a.trace->pods.size() == b.trace->pods.size());
  for (std::size_t i = 0; i < a.trace->pods.size(); ++i) {
    const auto& x = a.trace->pods[i];
    const auto& y = b.trace->pods[i];
    CHECK(x.name == y.name);
    CHECK(x.creation == y.creation);
    CHECK(x.deletion == y.deletion);
    CHECK(x.labels == y.labels);
  }
  auto c = load_requests("alibaba-genai-qps", {shipped("alibaba-genai-v2026/qps.csv")});
  auto d = load_requests("alibaba-genai-qps", {shipped("alibaba-genai-v2026/qps.csv")});
  REQUIRE(c.trace);
  REQUIRE(d.trace);
  CHECK(c.trace->series.at(1).per_second == d.trace->series.at(1).per_second);
}

TEST_CASE("hostile input never crashes any loader", "[traces][fuzz]") {
  // Truncations and byte flips of real files, fed to every format; each load must return
  // (a trace or diagnostics), never throw or crash. Seeded: the same mutations every run.
  kubesim::testing::TempDir dir;
  std::mt19937_64 rng(20261124);
  const std::vector<std::pair<std::string, std::string>> seeds = {
      {"alibaba-gpu-v2023/openb_pod_list_gpuspec33.csv", "alibaba-openb"},
      {"alibaba-gpu-v2023/openb_node_list_gpu_node.yaml", "alibaba-openb"},
      {"alibaba-gpu-v2020/pai_machine_spec.csv", "alibaba-pai-2020"},
      {"alibaba-gpu-v2025/disaggregated_DLRM_trace.csv", "alibaba-dlrm-2025"},
      {"helios/cluster_gpu_number.csv", "helios"},
      {"philly/cluster_machine_list", "philly"},
      {"simkube/dsb-scaling.sktrace", "simkube"},
      {"simkube/large_trace.json", "simkube"},
      {"azure-llm-inference-2023/AzureLLMInferenceTrace_code.csv", "azure-llm-2023"},
      {"mooncake/synthetic_trace.jsonl", "mooncake"},
      {"azure-functions/2019-format-sample/invocations.csv", "azure-functions"},
      {"alibaba-genai-v2026/qps.csv", "alibaba-genai-qps"},
      {"alibaba-genai-v2026/lora_request_trace.csv", "alibaba-genai-lora"},
  };
  const std::string noise[] = {"\"",    ",",    "\n", "\r", "\xff", "-", "99999999999999999999999",
                               "1e308", "\x00", "{",  "]",  "\xc3"};
  int loads = 0;
  const std::vector<std::string> request_formats = request_trace_formats();
  for (const auto& [rel, format] : seeds) {
    std::string text;
    {
      std::ifstream in(shipped(rel), std::ios::binary);
      text.assign(std::istreambuf_iterator<char>(in), {});
    }
    // Keep the fuzzing cheap: the first 20 kB.
    text.resize(std::min<std::size_t>(text.size(), 20000));
    for (int k = 0; k < 12; ++k) {
      std::string m = text;
      if (k % 3 == 0) {
        m.resize(rng() % (m.size() + 1));
      } else {
        for (int j = 0; j < 8; ++j) {
          const std::size_t pos = rng() % (m.size() + 1);
          const std::string& ins = noise[rng() % std::size(noise)];
          if (k % 3 == 1) {
            m.insert(pos, ins.empty() ? std::string(1, '\0') : ins);
          } else if (pos < m.size()) {
            m[pos] = static_cast<char>(rng() & 0xff);
          }
        }
      }
      const std::string name = "f" + std::to_string(loads) + "-" + detail::base_name(rel);
      const std::string p = write_file(dir, name, m);
      for (bool skip : {false, true}) {
        TraceOptions o;
        o.skip_bad_rows = skip;
        Diagnostics diags;
        const bool request = std::find(request_formats.begin(), request_formats.end(), format) !=
                             request_formats.end();
        if (request) {
          auto r = load_request_trace(format, {p}, o, diags);
          CHECK((r.has_value() || !diags.empty()));
        } else {
          auto r = load_cluster_trace(format, {p}, o, diags);
          CHECK((r.has_value() || !diags.empty()));
        }
        ++loads;
      }
    }
  }
  CHECK(loads == 13 * 12 * 2);
}

}  // namespace
}  // namespace kubesim::scenarios::traces
