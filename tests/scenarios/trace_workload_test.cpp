// Tests for trace workloads in a scenario (scenarios/trace_workload.hpp): spec.cluster.
// nodesFrom, spec.workloads[] of type podTrace, the scheduler's gpuPolicy / tieBreak /
// nodeRanksFile, and how trace rows become Nodes and Pods. Small trace files are written
// to a temporary directory; expected values are the rows themselves and the rules of
// docs/scenarios.md.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "models/objects.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/trace_workload.hpp"

namespace {

namespace fs = std::filesystem;
using namespace kubesim::scenarios;
namespace models = kubesim::models;

struct Dir {
  fs::path path;
  Dir() {
    path = fs::temp_directory_path() / ("kubesim-trace-workload-" + std::to_string(::getpid()));
    fs::create_directories(path);
    write("nodes.csv",
          "sn,cpu_milli,memory_mib,gpu,model\n"
          "n-0,32000,131072,4,V100M16\n"
          "n-1,16000,65536,0,\n");
    write("pods.csv",
          "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
          "deletion_time,scheduled_time\n"
          "p-b,4000,8192,1,500,V100M16|V100M32,LS,Running,10,110,10\n"
          "p-a,2000,4096,2,1000,,BE,Running,5,65,5\n"
          "p-c,1000,1024,0,0,,BE,Running,20,30,20\n");
    write("order.csv", "seq,pod,base_pod\n0,p-c,p-c\n1,p-a,p-a\n2,p-a-tuned-0,p-a\n");
    write("ranks.csv", "node,rank\nn-0,1\nn-1,0\n");
  }
  ~Dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
  }
  std::string file() const { return (path / "s.yaml").string(); }
};

std::string scenario(const std::string& scheduler, const std::string& workload) {
  return "apiVersion: kubesim.io/v1alpha1\nkind: Scenario\nmetadata: {name: t}\nspec:\n"
         "  duration: 1m\n  cluster:\n    nodesFrom:\n"
         "    - {format: alibaba-openb, path: nodes.csv, maxPods: 200}\n"
         "  controlPlane:\n    scheduler:\n" +
         scheduler + "  workloads:\n  - name: w\n    type: podTrace\n" + workload;
}

struct Loaded {
  std::optional<Scenario> scenario;
  Diagnostics diagnostics;
};

Loaded load(const Dir& dir, const std::string& text) {
  Loaded l;
  dir.write("s.yaml", text);
  l.scenario = load_scenario_file(dir.file(), {}, l.diagnostics);
  return l;
}

bool has_error(const Loaded& l, std::string_view message) {
  for (const auto& d : l.diagnostics.items()) {
    if (d.message.find(message) != std::string::npos) return true;
  }
  return false;
}

TEST_CASE("a podTrace workload and trace nodes load with every field", "[trace-workload]") {
  Dir dir;
  Loaded l = load(dir, scenario("      gpuPolicy: FGD\n      tieBreak: nodeRank\n"
                                "      nodeRanksFile: ranks.csv\n",
                                "    trace: {format: alibaba-openb, path: pods.csv}\n"
                                "    arrivals: sequential\n    interval: 50ms\n    start: 5s\n"
                                "    order: shuffled\n    inflateGpuPercent: 130\n"
                                "    departures: false\n    onUnschedulable: fail\n"
                                "    namespace: batch\n"));
  INFO(l.diagnostics.format());
  REQUIRE(l.scenario);
  REQUIRE(l.scenario->cluster);
  REQUIRE(l.scenario->cluster->trace_nodes.size() == 1);
  CHECK(l.scenario->cluster->trace_nodes[0].trace.nodes.size() == 2);
  CHECK(l.scenario->cluster->trace_nodes[0].max_pods == 200);
  REQUIRE(l.scenario->pod_traces.size() == 1);
  const PodTraceSpec& w = l.scenario->pod_traces[0];
  CHECK(w.trace.pods.size() == 3);
  CHECK(w.arrivals == PodTraceSpec::Arrivals::kSequential);
  CHECK(w.interval == 50 * kubesim::sim::kMillisecond);
  CHECK(w.start == 5 * kubesim::sim::kSecond);
  CHECK(w.order == PodTraceSpec::Order::kShuffled);
  CHECK(w.inflate_gpu_percent == Approx(130));
  CHECK_FALSE(w.departures);
  CHECK(w.fail_unschedulable);
  const auto& sched = l.scenario->control_plane.scheduler;
  CHECK(sched.tie_break_by_node_rank);
  CHECK(sched.percentage_of_nodes_to_score == 100);
  REQUIRE(sched.profiles.size() == 1);
  const auto& score = sched.profiles[0].at(kubesim::policies::ExtensionPoint::kScore);
  CHECK(score == std::vector<std::string>{"FGD"});
  CHECK(l.scenario->control_plane.node_ranks.at("n-0") == 1);
  CHECK(l.scenario->control_plane.node_ranks.at("n-1") == 0);
}

TEST_CASE("trace rows become Nodes and Pods as docs/scenarios.md says", "[trace-workload]") {
  traces::TraceNode n;
  n.name = "n-0";
  n.cpu_milli = 32000;
  n.memory_bytes = 128LL << 30;
  n.gpu_count = 4;
  n.gpu_model = "V100M16";
  const models::Node node = trace_node_to_node(n, 1001);
  CHECK(node.status.allocatable.cpu_milli == 32000);
  CHECK(node.status.allocatable.gpu == 4);
  CHECK(node.status.allocatable.pods == 1001);
  CHECK(node.metadata.labels.get(models::kLabelGpuProduct) == "V100M16");
  CHECK(node.metadata.labels.get(models::kLabelHostname) == "n-0");

  PodTraceSpec spec;
  spec.name = "w";
  spec.namespace_ = "batch";
  spec.fail_unschedulable = true;
  traces::TracePod share;
  share.name = "p";
  share.cpu_milli = 4000;
  share.memory_bytes = 8LL << 30;
  share.num_gpu = 1;
  share.gpu_milli = 500;
  share.gpu_models = {"V100M16", "V100M32"};
  const models::Pod pod = trace_pod_to_pod(share, spec, "p-x");
  CHECK(pod.metadata.name == "p-x");
  CHECK(pod.metadata.namespace_ == "batch");
  CHECK(pod.requests().cpu_milli == 4000);
  CHECK(pod.requests().gpu == 0);  // a share is an annotation, not nvidia.com/gpu
  CHECK(pod.gpu_demand().devices == 1);
  CHECK(pod.gpu_demand().milli == 500);
  REQUIRE(pod.spec.node_affinity);
  REQUIRE(pod.spec.node_affinity->required);
  const auto& req = pod.spec.node_affinity->required->node_selector_terms.at(0).match_expressions.at(0);
  CHECK(req.key == std::string(models::kLabelGpuProduct));
  CHECK(req.values == std::vector<std::string>{"V100M16", "V100M32"});
  CHECK(pod.metadata.annotations.get("kubesim.io/on-unschedulable") == "fail");

  traces::TracePod whole = share;
  whole.num_gpu = 2;
  whole.gpu_milli = 1000;
  whole.gpu_models.clear();
  const models::Pod w2 = trace_pod_to_pod(whole, spec, "w");
  CHECK(w2.requests().gpu == 2);
  CHECK_FALSE(w2.spec.node_affinity);
  CHECK(w2.metadata.annotations.find(models::kAnnotationGpuMilli) == nullptr);
}

TEST_CASE("bad trace workloads are reported", "[trace-workload]") {
  Dir dir;
  SECTION("an unknown format gets a did-you-mean") {
    Loaded l = load(dir, scenario("      tieBreak: random\n",
                                  "    trace: {format: alibaba-openbb, path: pods.csv}\n"));
    CHECK_FALSE(l.scenario);
    bool hint = false;
    for (const auto& d : l.diagnostics.items()) hint |= d.hint.find("alibaba-openb") != std::string::npos;
    CHECK(hint);
  }
  SECTION("arrivalOrderFile with order") {
    Loaded l = load(dir, scenario("      tieBreak: random\n",
                                  "    trace: {format: alibaba-openb, path: pods.csv}\n"
                                  "    arrivals: sequential\n"
                                  "    order: shuffled\n    arrivalOrderFile: order.csv\n"));
    CHECK(has_error(l, "arrivalOrderFile replaces order"));
  }
  SECTION("an arrival order naming a pod the trace lacks") {
    dir.write("bad-order.csv", "pod,base_pod\np-a,p-a\np-z,p-zz\n");
    Loaded l = load(dir, scenario("      tieBreak: random\n",
                                  "    trace: {format: alibaba-openb, path: pods.csv}\n"
                                  "    arrivals: sequential\n    arrivalOrderFile: bad-order.csv\n"));
    REQUIRE_FALSE(l.scenario);
    REQUIRE(has_error(l, "base_pod \"p-zz\" is not in the trace"));
    for (const auto& d : l.diagnostics.items()) {
      if (d.message.find("p-zz") != std::string::npos) CHECK(d.line == 3);
    }
  }
  SECTION("nodeRanksFile needs tieBreak: nodeRank, and ranks must be integers") {
    Loaded l = load(dir, scenario("      nodeRanksFile: ranks.csv\n",
                                  "    trace: {format: alibaba-openb, path: pods.csv}\n"));
    CHECK(has_error(l, "node ranks are only used with tieBreak: nodeRank"));
    dir.write("bad-ranks.csv", "node,rank\nn-0,one\n");
    Loaded m = load(dir, scenario("      tieBreak: nodeRank\n      nodeRanksFile: bad-ranks.csv\n",
                                  "    trace: {format: alibaba-openb, path: pods.csv}\n"));
    CHECK(has_error(m, "expected a node name and an integer rank"));
  }
  SECTION("gpuPolicy with a scheduler configuration") {
    Loaded l = load(dir, scenario(
        "      gpuPolicy: BestFit\n      config: {apiVersion: kubescheduler.config.k8s.io/v1, "
        "kind: KubeSchedulerConfiguration}\n",
        "    trace: {format: alibaba-openb, path: pods.csv}\n"));
    CHECK(has_error(l, "give gpuPolicy or a scheduler configuration, not both"));
  }
  SECTION("a misspelt policy") {
    Loaded l = load(dir, scenario("      gpuPolicy: BestFits\n",
                                  "    trace: {format: alibaba-openb, path: pods.csv}\n"));
    CHECK_FALSE(l.scenario);
  }
  SECTION("a missing trace file") {
    Loaded l = load(dir, scenario("      tieBreak: random\n",
                                  "    trace: {format: alibaba-openb, path: nope.csv}\n"));
    CHECK_FALSE(l.scenario);
    CHECK_FALSE(l.diagnostics.empty());
  }
}

}  // namespace
