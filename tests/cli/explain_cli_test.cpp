// Tests of `kubesim explain` through run_cli(): good input, and bad input (missing file, bad
// YAML, an unknown field, a bad scheduler configuration, a bad --output) giving one clear
// located error and exit code 1 (2 for usage), never a crash.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/kubesim_cli.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/temp_dir.hpp"

namespace kubesim::cli {
namespace {

using Outcome = testing::CliOutcome;

// Runs `kubesim <args...>`.
Outcome kubesim(std::vector<std::string> args) { return testing::run_kubesim(std::move(args)); }

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

constexpr const char* kState = R"(apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: n1, uid: abc}
  status: {allocatable: {cpu: "4", memory: 8Gi, pods: "110"}}
- apiVersion: v1
  kind: Node
  metadata: {name: n2}
  spec: {taints: [{key: dedicated, value: infra, effect: NoSchedule}]}
  status: {allocatable: {cpu: "4", memory: 8Gi, pods: "110"}}
- apiVersion: v1
  kind: Pod
  metadata: {name: web, namespace: shop}
  spec: {containers: [{name: c, resources: {requests: {cpu: "1", memory: 1Gi}}}]}
  status: {phase: Pending}
)";

TEST_CASE("kubesim explain prints a table and JSON", "[cli][explain]") {
  testing::TempDir dir;
  const std::string state = dir.str("state.yaml");
  std::ofstream(state) << kState;

  Outcome table = kubesim({"explain", state});
  INFO(table.err);
  CHECK(table.code == 0);
  CHECK(contains(table.out, "pod shop/web (priority 0, default-scheduler): -> n1"));
  CHECK(contains(table.out, "TaintToleration: node(s) had untolerated taint {dedicated: infra}"));
  // The ignored uid is reported as a warning on stderr.
  CHECK(
      contains(table.err, "kubesim: warning: ignored metadata.uid: the object store assigns uids"));

  Outcome json = kubesim({"explain", state, "--output", "json"});
  CHECK(json.code == 0);
  const auto j = nlohmann::json::parse(json.out);
  CHECK(j["pods"][0]["pod"] == "shop/web");
  CHECK(j["pods"][0]["chosenNode"] == "n1");
  CHECK(j["pods"][0]["nodes"][1]["rejectedBy"]["plugin"] == "TaintToleration");
}

TEST_CASE("kubesim explain with a scheduler configuration", "[cli][explain]") {
  testing::TempDir dir;
  const std::string state = dir.str("state.yaml");
  std::ofstream(state) << kState;
  const std::string config = dir.str("sched.yaml");
  std::ofstream(config) << R"(apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
)";
  Outcome o = kubesim({"explain", state, "--config", config, "--output", "json"});
  INFO(o.err);
  REQUIRE(o.code == 0);
  const auto j = nlohmann::json::parse(o.out);
  // One feasible node: no scores (upstream skips scoring).
  CHECK(j["pods"][0]["nodes"][0]["scores"].empty());
  CHECK(j["pods"][0]["chosenNode"] == "n1");
}

TEST_CASE("kubesim explain: bad input is exit 1 with a located message", "[cli][explain]") {
  testing::TempDir dir;
  SECTION("a missing file") {
    Outcome o = kubesim({"explain", dir.str("nope.yaml")});
    CHECK(o.code == 1);
    CHECK(contains(o.err, dir.str("nope.yaml") + ": no such file or directory"));
    CHECK(o.out.empty());
  }
  SECTION("bad YAML") {
    const std::string state = dir.str("bad.yaml");
    std::ofstream(state) << "apiVersion: v1\nkind: Pod\nmetadata: {name: p\n";
    Outcome o = kubesim({"explain", state});
    CHECK(o.code == 1);
    CHECK(contains(o.err, "YAML syntax error"));
    CHECK(contains(o.err, "kubesim: 1 problem in " + state));
  }
  SECTION("an unknown field") {
    const std::string state = dir.str("typo.yaml");
    std::ofstream(state) << "apiVersion: v1\nkind: Node\nmetadata: {name: n}\n"
                            "spec: {unschedulabel: true}\n";
    Outcome o = kubesim({"explain", state});
    CHECK(o.code == 1);
    CHECK(contains(o.err, state + ":4:8: spec.unschedulabel: unknown field (hint: did you mean "
                                  "'unschedulable'?)"));
  }
  SECTION("a bad scheduler configuration") {
    const std::string state = dir.str("state.yaml");
    std::ofstream(state) << kState;
    const std::string config = dir.str("sched.yaml");
    std::ofstream(config) << "apiVersion: kubescheduler.config.k8s.io/v1\n"
                             "kind: KubeSchedulerConfiguration\nprofile: []\n";
    Outcome o = kubesim({"explain", state, "--config", config});
    CHECK(o.code == 1);
    CHECK(contains(o.err, config + ":3:1: profile: unknown field"));
  }
  SECTION("a missing scheduler configuration") {
    const std::string state = dir.str("state.yaml");
    std::ofstream(state) << kState;
    Outcome o = kubesim({"explain", state, "--config", dir.str("none.yaml")});
    CHECK(o.code == 1);
    CHECK(contains(o.err, "cannot open the scheduler configuration"));
  }
  SECTION("a bad --output is a usage error") {
    const std::string state = dir.str("state.yaml");
    std::ofstream(state) << kState;
    Outcome o = kubesim({"explain", state, "--output", "xml"});
    CHECK(o.code == 2);
  }
}

}  // namespace
}  // namespace kubesim::cli
