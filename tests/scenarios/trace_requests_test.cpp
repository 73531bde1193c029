// Tests of the request-trace importers (scenarios/trace_requests.cpp) on the shipped traces.
// Expected values were computed independently with Python's csv/json/datetime modules over the
// real files (the script is summarised next to each value).
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>

#include "tests/scenarios/trace_test_support.hpp"

namespace kubesim::scenarios::traces {
namespace {

using testing::load_requests;
using testing::shipped;
using testing::skipping;
using testing::write_file;

struct Sums {
  std::int64_t n = 0, in = 0, out = 0;
  sim::Time first = 0, last = 0;
};

Sums sums(const RequestTrace& t) {
  Sums s;
  s.n = static_cast<std::int64_t>(t.requests.size());
  for (const auto& r : t.requests) {
    s.in += r.input_tokens;
    s.out += r.output_tokens;
  }
  if (!t.requests.empty()) {
    s.first = t.requests.front().at;
    s.last = t.requests.back().at;
  }
  return s;
}

TEST_CASE("Azure LLM 2023 traces import with ns offsets from the first request",
          "[traces][azure-llm]") {
  // python3: rows; Σ ContextTokens; Σ GeneratedTokens; max-min TIMESTAMP in ns (datetime +
  // the 7-digit fraction) -> conv 19366 22361870 4088665 3501721937000,
  //                          code 8819 18059974 245896 3435948056000
  struct Expected {
    const char* file;
    Sums s;
  };
  for (const auto& e : {Expected{"azure-llm-inference-2023/AzureLLMInferenceTrace_conv.csv",
                                 {19366, 22361870, 4088665, 0, 3501721937000}},
                        Expected{"azure-llm-inference-2023/AzureLLMInferenceTrace_code.csv",
                                 {8819, 18059974, 245896, 0, 3435948056000}}}) {
    INFO(e.file);
    auto r = load_requests("azure-llm-2023", {shipped(e.file)});
    REQUIRE(r.trace);
    const Sums s = sums(*r.trace);
    CHECK(s.n == e.s.n);
    CHECK(s.in == e.s.in);
    CHECK(s.out == e.s.out);
    CHECK(s.first == 0);
    CHECK(s.last == e.s.last);
  }
  auto conv = load_requests("azure-llm-2023",
                            {shipped("azure-llm-inference-2023/AzureLLMInferenceTrace_conv.csv")});
  REQUIRE(conv.trace);
  // Rows 1 and 2: 18:15:46.6805900 and 18:15:50.9951690 -> 4.314579 s apart.
  CHECK(conv.trace->requests[1].at == 4314579000);
  CHECK(conv.trace->requests[0].input_tokens == 374);
  CHECK(conv.trace->requests[0].output_tokens == 44);
  CHECK(conv.trace->requests[0].key == "AzureLLMInferenceTrace_conv");

  // Both files together share one origin: conv starts at 18:15:46.68059, code at
  // 18:17:03.97996, 77.29937 s later.
  auto both = load_requests("azure-llm-2023",
                            {shipped("azure-llm-inference-2023/AzureLLMInferenceTrace_conv.csv"),
                             shipped("azure-llm-inference-2023/AzureLLMInferenceTrace_code.csv")});
  REQUIRE(both.trace);
  CHECK(both.trace->requests.size() == 19366 + 8819);
  const auto code_first =
      std::find_if(both.trace->requests.begin(), both.trace->requests.end(),
                   [](const TraceRequest& q) { return q.key == "AzureLLMInferenceTrace_code"; });
  REQUIRE(code_first != both.trace->requests.end());
  CHECK(code_first->at == 77299370000);
  CHECK(std::is_sorted(both.trace->requests.begin(), both.trace->requests.end(),
                       [](const TraceRequest& a, const TraceRequest& b) { return a.at < b.at; }));
}

TEST_CASE("the Azure LLM conv trace loads fast", "[traces][azure-llm][perf]") {
  double best_ms = 1e9;
  for (int i = 0; i < 5; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = load_requests("azure-llm-2023",
                           {shipped("azure-llm-inference-2023/AzureLLMInferenceTrace_conv.csv")});
    const auto t1 = std::chrono::steady_clock::now();
    REQUIRE(r.trace);
    best_ms = std::min(best_ms, std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  INFO("best of 5: " << best_ms << " ms");
  if (testing::kTimingChecks) CHECK(best_ms < 50.0);
}

TEST_CASE("Mooncake JSONL traces import with ms timestamps", "[traces][mooncake]") {
  // python3 json: rows, Σ input_length, Σ output_length, max timestamp (ms)
  //   conversation 12031 144793823 4122048 3536999; synthetic 3993 61194628 595432 1022025
  auto conv = load_requests("mooncake", {shipped("mooncake/conversation_trace.jsonl")});
  REQUIRE(conv.trace);
  Sums s = sums(*conv.trace);
  CHECK(s.n == 12031);
  CHECK(s.in == 144793823);
  CHECK(s.out == 4122048);
  CHECK(s.last == 3536999 * sim::kMillisecond);
  CHECK(conv.trace->requests[0].input_tokens == 6758);  // first line
  auto syn = load_requests("mooncake", {shipped("mooncake/synthetic_trace.jsonl")});
  REQUIRE(syn.trace);
  s = sums(*syn.trace);
  CHECK(s.n == 3993);
  CHECK(s.in == 61194628);
  CHECK(s.out == 595432);
  CHECK(s.last == 1022025 * sim::kMillisecond);
}

TEST_CASE("bad Mooncake lines are located", "[traces][mooncake][errors]") {
  kubesim::testing::TempDir dir;
  const std::string p =
      write_file(dir, "t.jsonl",
                 "{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 2}\n"
                 "{\"timestamp\": 5, \"input_length\": -1, \"output_length\": 2}\n"
                 "{\"timestamp\": 5, \"input_length\": 1\n"
                 "\n"
                 "{\"timestamp\": 7, \"output_length\": 2}\n"
                 "[1, 2]\n"
                 "{\"timestamp\": 1e300, \"input_length\": 1, \"output_length\": 2}\n"
                 "{\"timestamp\": 9, \"input_length\": 3, \"output_length\": 4}");
  auto r = load_requests("mooncake", {p});
  CHECK_FALSE(r.trace);
  const auto& d = r.diagnostics.items();
  REQUIRE(d.size() == 5);
  CHECK(d[0].line == 2);
  CHECK(d[0].path == "input_length");
  CHECK(d[1].line == 3);
  CHECK(d[1].message == "not a JSON object");
  CHECK(d[2].line == 5);
  CHECK(d[2].message == "missing field \"input_length\"");
  CHECK(d[3].line == 6);
  CHECK(d[4].line == 7);
  CHECK(d[4].path == "timestamp");
  auto skip = load_requests("mooncake", {p}, skipping());
  REQUIRE(skip.trace);
  REQUIRE(skip.trace->requests.size() == 2);
  CHECK(skip.trace->requests[1].at == 9 * sim::kMillisecond);
  CHECK(skip.trace->reports[0].rows == 7);
  CHECK(skip.trace->reports[0].skipped == 5);
}

TEST_CASE("Azure Functions 2019 invocations become per-minute rate series",
          "[traces][azure-functions]") {
  // python3 csv: 10 functions x 1440 minutes; Σ counts of the first three functions
  //   47658c9c 281962, 2b373145 1093671, f8c5d1ba 355556; all 13037064.
  //   durations.csv Average (ms) 306, 79, 243; memory.csv AverageAllocatedMb 204, 133, 190.
  auto r = load_requests("azure-functions",
                         {shipped("azure-functions/2019-format-sample/invocations.csv"),
                          shipped("azure-functions/2019-format-sample/durations.csv"),
                          shipped("azure-functions/2019-format-sample/memory.csv")});
  INFO(r.diagnostics.format());
  REQUIRE(r.trace);
  const auto& series = r.trace->series;
  REQUIRE(series.size() == 10);
  double all = 0;
  for (const auto& s : series) {
    CHECK(s.step == sim::kMinute);
    REQUIRE(s.per_second.size() == 1440);
    for (double v : s.per_second) all += v * 60;
  }
  CHECK(all == Approx(13037064).epsilon(1e-12));
  auto count = [](const RateSeries& s) {
    double c = 0;
    for (double v : s.per_second) c += v * 60;
    return c;
  };
  CHECK(series[0].name.rfind("47658c9c", 0) == 0);
  CHECK(count(series[0]) == Approx(281962));
  CHECK(count(series[1]) == Approx(1093671));
  CHECK(count(series[2]) == Approx(355556));
  CHECK(series[0].per_second[0] == Approx(197.0 / 60));  // first minute: 197 invocations
  CHECK(series[0].mean_duration == sim::milliseconds(306));
  CHECK(series[1].mean_duration == sim::milliseconds(79));
  CHECK(series[0].mean_memory_bytes == 204LL << 20);
  CHECK(series[2].mean_memory_bytes == 190LL << 20);
  CHECK(r.trace->requests.empty());
}

TEST_CASE("Azure Functions 2021 invocations become requests at their start",
          "[traces][azure-functions]") {
  // python3 csv: 199 rows; min(end_timestamp - duration) 0.0014909000396728517 s; 31 functions
  auto r = load_requests("azure-functions",
                         {shipped("azure-functions/2021-format-sample/Azure2021_200.csv")});
  REQUIRE(r.trace);
  const auto& q = r.trace->requests;
  REQUIRE(q.size() == 199);
  CHECK(q.front().at == 1490900);
  // Row 1: end 0.07949090003967285, duration 0.078
  CHECK(q.front().duration == sim::milliseconds(78));
  std::vector<std::string> keys;
  for (const auto& x : q) keys.push_back(x.key);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  CHECK(keys.size() == 31);
}

TEST_CASE("an unrecognized Azure Functions file is a clear error",
          "[traces][azure-functions][errors]") {
  kubesim::testing::TempDir dir;
  const std::string p = write_file(dir, "x.csv", "foo,bar\n1,2\n");
  auto r = load_requests("azure-functions", {p});
  CHECK_FALSE(r.trace);
  CHECK(r.diagnostics.items().at(0).message == "not an Azure Functions file: unrecognized header");
  // A durations file without its invocations cannot be attached to anything.
  auto lone = load_requests("azure-functions",
                            {shipped("azure-functions/2019-format-sample/durations.csv")});
  CHECK_FALSE(lone.trace);
  CHECK(lone.diagnostics.size() == 10);
}

TEST_CASE("Alibaba GenAI qps.csv becomes one series per request type", "[traces][genai]") {
  // python3 csv: 24627 rows; (max-min timestamp)/57 + 1 = 1410 steps;
  //   Σ value: API Requests 1390.094999999995, Generative Requests 2136.3599999993457
  auto r = load_requests("alibaba-genai-qps", {shipped("alibaba-genai-v2026/qps.csv")});
  REQUIRE(r.trace);
  const auto& s = r.trace->series;
  REQUIRE(s.size() == 2);
  CHECK(s[0].name == "API Requests");
  CHECK(s[1].name == "Generative Requests");
  for (const auto& x : s) {
    CHECK(x.step == sim::seconds(57));
    CHECK(x.per_second.size() == 1410);
  }
  double api = 0, gen = 0;
  for (double v : s[0].per_second) api += v;
  for (double v : s[1].per_second) gen += v;
  CHECK(api == Approx(1390.095).epsilon(1e-9));
  CHECK(gen == Approx(2136.36).epsilon(1e-9));
  CHECK(s[0].per_second[0] == Approx(0.09));  // 1662859176.0,0.09,,API Requests
  CHECK(r.trace->reports[0].rows == 24627);
}

TEST_CASE("original 2019 memory rows (per app) apply to every function of the app",
          "[traces][azure-functions]") {
  kubesim::testing::TempDir dir;
  const std::string inv = write_file(dir, "invocations.csv",
                                     "HashOwner,HashApp,HashFunction,Trigger,1,2\n"
                                     "o,a,f1,http,60,120\n"
                                     "o,a,f2,timer,0,6\n"
                                     "o,b,f3,http,1,1\n");
  const std::string mem = write_file(dir, "app_memory.csv",
                                     "HashOwner,HashApp,SampleCount,AverageAllocatedMb\n"
                                     "o,a,10,128\n");
  auto r = load_requests("azure-functions", {inv, mem});
  INFO(r.diagnostics.format());
  REQUIRE(r.trace);
  const auto& s = r.trace->series;
  REQUIRE(s.size() == 3);
  CHECK(s[0].per_second == std::vector<double>{1.0, 2.0});  // 60 and 120 per minute
  CHECK(s[1].per_second == std::vector<double>{0.0, 0.1});
  CHECK(s[0].mean_memory_bytes == 128LL << 20);
  CHECK(s[1].mean_memory_bytes == 128LL << 20);
  CHECK_FALSE(s[2].mean_memory_bytes);  // app b has no memory row
}

TEST_CASE("a qps sample off the sampling grid is a bad row", "[traces][genai][errors]") {
  kubesim::testing::TempDir dir;
  const std::string p = write_file(dir, "qps.csv",
                                   "timestamp_anon,value,container_ip,request_type\n"
                                   "100.0,1.0,c1,API\n"
                                   "157.0,2.0,c1,API\n"
                                   "157.0,0.5,c2,API\n"
                                   "190.0,9.0,c1,API\n"
                                   "214.0,3.0,,API\n");
  auto r = load_requests("alibaba-genai-qps", {p});
  CHECK_FALSE(r.trace);
  // Step = the smallest gap, 24 s (190 -> 214); 157 is (157-100)/24 = 2.375 steps off grid.
  REQUIRE_FALSE(r.diagnostics.empty());
  CHECK(r.diagnostics.items()[0].line == 3);
  const std::string q = write_file(dir, "qps2.csv",
                                   "timestamp_anon,value,container_ip,request_type\n"
                                   "100.0,1.0,c1,API\n"
                                   "157.0,2.0,c1,API\n"
                                   "157.0,0.5,c2,API\n"
                                   "271.0,3.0,,API\n");
  auto ok = load_requests("alibaba-genai-qps", {q});
  REQUIRE(ok.trace);
  // Step 57 s; steps 0, 1, 3: containers at the same time add up.
  CHECK(ok.trace->series.at(0).per_second == std::vector<double>{1.0, 2.5, 0.0, 3.0});
}

TEST_CASE("Alibaba GenAI LoRA requests import with model keys and exec times", "[traces][genai]") {
  // python3 csv: 26823 rows; Σ prompt_length 1511482 (25 empty -> 0); Σ num_images_per_prompt
  //   72220 (25 empty -> 1); max-min gmt_create 1989367 s
  auto r =
      load_requests("alibaba-genai-lora", {shipped("alibaba-genai-v2026/lora_request_trace.csv")});
  REQUIRE(r.trace);
  const Sums s = sums(*r.trace);
  CHECK(s.n == 26823);
  CHECK(s.in == 1511482);
  CHECK(s.out == 72220);
  CHECK(s.first == 0);
  CHECK(s.last == sim::seconds(1989367));
  // First row: 2024-11-15 16:57:50,...,32.0,G0000,63.0,...,M0000
  const auto& first = r.trace->requests.front();
  CHECK(first.key == "M0000");
  CHECK(first.duration == sim::seconds(32));
  CHECK(first.input_tokens == 63);
}

}  // namespace
}  // namespace kubesim::scenarios::traces
