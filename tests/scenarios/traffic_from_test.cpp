// traffic.from: request traces replayed by `type: traffic` workloads. Expected totals come
// from the shipped files, counted independently:
//   wc -l AzureLLMInferenceTrace_conv.csv → 19,366 newlines; the last row has none: 19,366 requests + header
//   head -2 ...conv.csv                              → first request: 374 context, 44 generated
//   awk -F, 'NR>1{for(i=5;i<=NF;i++)s+=$i} END{print s}' 2019-format-sample/invocations.csv
//                                                    → 13,037,064 invocations over 1,440 minutes
#include <catch2/catch.hpp>
#include <numeric>
#include <string>

#include "scenarios/scenario.hpp"

namespace kubesim::scenarios {
namespace {

const std::string kTraces = std::string(KUBESIM_SHARED_DIR) + "/traces/";

std::string scenario(const std::string& traffic) {
  return R"(apiVersion: kubesim.io/v1alpha1
kind: Scenario
metadata: {name: from-test}
spec:
  duration: 1m
  cluster:
    nodePools: [{name: n, count: 1, cpu: "8", memory: 32Gi}]
  workloads:
  - name: chat
    type: traffic
    service: default/chat
    traffic: )" + traffic + R"(
---
apiVersion: v1
kind: Service
metadata: {name: chat}
spec:
  selector: {app: chat}
  ports: [{port: 80}]
)";
}

std::optional<Scenario> load(const std::string& text, Diagnostics& d) {
  return load_scenario_text(text, "inline.yaml", {}, d);
}

TEST_CASE("traffic.from replays the Azure LLM trace's records", "[traffic][traces]") {
  Diagnostics d;
  auto s = load(scenario("{kind: traceRequests, from: {format: azure-llm-2023, path: " + kTraces +
                         "azure-llm-inference-2023/AzureLLMInferenceTrace_conv.csv}}"),
                d);
  INFO(d.format());
  REQUIRE(s.has_value());
  const auto& records = s->traffic.at(0).traffic.records;
  REQUIRE(records.size() == 19366);
  CHECK(records.front().at == 0);
  CHECK(records.front().input_tokens == 374);
  CHECK(records.front().output_tokens == 44);
  CHECK(std::is_sorted(records.begin(), records.end(),
                       [](const auto& a, const auto& b) { return a.at < b.at; }));
  // 18:15:46.68 → 19:14:08.40: the last record is 58 min 21.7 s after the first.
  CHECK(sim::to_seconds(records.back().at) == Approx(58 * 60 + 21.722).margin(0.001));
  CHECK(s->traffic.at(0).trace_paths.size() == 1);
}

TEST_CASE("traffic.from replays a rate series (the sum of all series)", "[traffic][traces]") {
  Diagnostics d;
  auto s = load(scenario("{kind: traceRates, from: {format: azure-functions, path: " + kTraces +
                         "azure-functions/2019-format-sample/invocations.csv}}"),
                d);
  INFO(d.format());
  REQUIRE(s.has_value());
  const auto& t = s->traffic.at(0).traffic;
  CHECK(t.rate_step == sim::minutes(1));
  REQUIRE(t.per_second.size() == 1440);
  const double total = std::accumulate(t.per_second.begin(), t.per_second.end(), 0.0) * 60;
  CHECK(total == Approx(13037064).epsilon(1e-9));
}

TEST_CASE("traffic.from bad input", "[traffic][traces][bad-input]") {
  const std::string conv =
      kTraces + "azure-llm-inference-2023/AzureLLMInferenceTrace_conv.csv";
  {
    Diagnostics d;
    CHECK_FALSE(load(scenario("{kind: poisson, rate: 1, from: {format: azure-llm-2023, path: " +
                              conv + "}}"),
                     d));
    CHECK_THAT(d.format(), Catch::Contains("a trace file feeds kind traceRequests or traceRates"));
  }
  {
    Diagnostics d;
    CHECK_FALSE(load(scenario("{kind: traceRates, from: {format: azure-llm-2023, path: " + conv +
                              "}}"),
                     d));
    CHECK_THAT(d.format(), Catch::Contains("has no rate series"));
  }
  {
    Diagnostics d;
    CHECK_FALSE(load(scenario("{kind: traceRequests, from: {format: azure-llm, path: " + conv +
                              "}}"),
                     d));
    CHECK_THAT(d.format(), Catch::Contains("azure-llm-2023"));  // did you mean
  }
  {
    Diagnostics d;
    CHECK_FALSE(load(scenario("{kind: traceRequests, from: {format: azure-llm-2023, path: "
                              "/nonexistent/x.csv}}"),
                     d));
    CHECK_THAT(d.format(), Catch::Contains("x.csv"));
  }
}

}  // namespace
}  // namespace kubesim::scenarios
