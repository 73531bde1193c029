// Tests of the summary-level cluster traces (Philly, Helios; scenarios/trace_clusters.cpp)
// and of SimKube traces (scenarios/trace_simkube.cpp) on the shipped files. Expected values
// were computed independently: awk over the CSVs, and for SimKube a Python script decoding
// the .sktrace with Debian's python3-msgpack and replaying the replica rule of
// docs/traces.md (command in each comment).
#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <map>

#include "tests/scenarios/trace_test_support.hpp"

namespace kubesim::scenarios::traces {
namespace {

using testing::load_cluster;
using testing::shipped;
using testing::skipping;
using testing::write_file;

std::int64_t total_gpus(const std::vector<TraceNode>& nodes) {
  std::int64_t g = 0;
  for (const auto& n : nodes) g += n.gpu_count;
  return g;
}

TEST_CASE("Philly machine lists import as GPU nodes", "[traces][philly]") {
  // awk -F, 'NR>1{n++;g+=$2} END{print n,g}' cluster_machine_list -> 552 2490
  // awk -F, '{print $NF}' cluster_machine_list | sort | uniq -c -> 321 " 12GB", 231 " 24GB"
  auto orig = load_cluster("philly", {shipped("philly/cluster_machine_list")});
  REQUIRE(orig.trace);
  REQUIRE(orig.trace->nodes.size() == 552);
  CHECK(total_gpus(orig.trace->nodes) == 2490);
  int mem12 = 0;
  for (const auto& n : orig.trace->nodes) {
    REQUIRE(n.labels.size() == 1);
    mem12 += n.labels[0].second == "12GB" ? 1 : 0;
  }
  CHECK(mem12 == 321);
  CHECK(orig.trace->nodes[0].name == "m0");
  CHECK(orig.trace->nodes[0].gpu_count == 2);

  // awk -F, 'NR>1{n++;g+=$3} END{print n,g}' revised_machine_list.csv -> 552 3205
  auto revised = load_cluster("philly", {shipped("philly/revised_machine_list.csv")});
  REQUIRE(revised.trace);
  CHECK(revised.trace->nodes.size() == 552);
  CHECK(total_gpus(revised.trace->nodes) == 3205);
  CHECK(revised.trace->nodes[0].gpu_count == 8);  // 0,m0,8

  // Both lists name the same machines: one replay takes one list.
  auto both = load_cluster("philly", {shipped("philly/cluster_machine_list"),
                                      shipped("philly/revised_machine_list.csv")});
  CHECK_FALSE(both.trace);

  // awk -F, 'NR>1{n++;g+=$2} END{print n,g}' philly_vc.csv -> 11 352
  auto vc = load_cluster("philly", {shipped("philly/philly_vc.csv")});
  REQUIRE(vc.trace);
  REQUIRE(vc.trace->summaries.size() == 11);
  double nodes = 0;
  for (const auto& s : vc.trace->summaries) nodes += s.values.at(0).second;
  CHECK(nodes == 352);
  CHECK(vc.trace->summaries[0].name == "6214e9");
  CHECK(vc.trace->summaries[0].values[0] == std::pair<std::string, double>{"node num", 64});
}

TEST_CASE("Helios summaries import as daily series and a per-cluster table", "[traces][helios]") {
  auto r = load_cluster("helios", {shipped("helios/cluster_gpu_number.csv"),
                                   shipped("helios/helios_cluster_summary.csv")});
  REQUIRE(r.trace);
  const auto& series = r.trace->series;
  // head -1 cluster_gpu_number.csv: date + 25 VCs + total = 26 series;
  // awk -F, 'NR>1{n++;g+=$NF} END{print n,g,$NF}' -> 181 days, Σ total 185120, last 1080
  REQUIRE(series.size() == 26);
  const auto& total = series.back();
  CHECK(total.name == "total");
  CHECK(total.unit == "gpus");
  CHECK(total.step == 24 * sim::kHour);
  REQUIRE(total.values.size() == 181);
  double sum = 0;
  for (double v : total.values) sum += v;
  CHECK(sum == 185120);
  CHECK(total.values.front() == 968);  // 2020-04-01 ... ,968
  CHECK(total.values.back() == 1080);
  CHECK(series[0].name == "vcEwI");
  CHECK(series[0].values[0] == 72);
  // awk -F, 'NR>1{print $1,$2,$3}' helios_cluster_summary.csv -> Venus 1022 246708, ...
  const auto& s = r.trace->summaries;
  REQUIRE(s.size() == 5);
  CHECK(s[0].name == "Venus");
  CHECK(s[0].values.at(0) == std::pair<std::string, double>{"gpu_num", 1022});
  CHECK(s[0].values.at(1) == std::pair<std::string, double>{"job_num", 246708});
  CHECK(s[2].name == "Saturn");
  CHECK(s[2].values.at(0).second == 2080);
  CHECK(s[4].name == "total");
  CHECK(s[4].values.at(0).second == 6220);
}

TEST_CASE("Helios dates must be consecutive days", "[traces][helios][errors]") {
  kubesim::testing::TempDir dir;
  const std::string path =
      write_file(dir, "cluster_gpu_number.csv",
                 "date,vcA,total\n2020-04-01,8,8\n2020-04-03,8,8\n2020-04-02,9,9\n");
  auto r = load_cluster("helios", {path});
  CHECK_FALSE(r.trace);
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics.items()[0].line == 3);
  CHECK(r.diagnostics.items()[0].message == "dates must be consecutive days");
  auto skip = load_cluster("helios", {path}, skipping());
  REQUIRE(skip.trace);
  REQUIRE(skip.trace->series.size() == 2);
  CHECK(skip.trace->series[0].values == std::vector<double>{8, 9});
  CHECK(skip.trace->reports[0].skipped == 1);
}

TEST_CASE("SimKube msgpack and JSON traces expand into pods", "[traces][simkube]") {
  // /usr/bin/python3 (msgpack): replay applied Deployments: a changed pod template replaces
  // every live pod, spec.replicas adds the missing pods or deletes the newest, deleted
  // objects delete all. dsb-scaling.sktrace -> 19 events, 54 pods, Σcpu 54000 m, 12 with a
  // deletion, last creation 827 s, Σcreation 17803 s; large_trace.json -> 89 events, 59
  // pods, Σcpu 59000 m, 32 deleted, last creation 827 s, Σcreation 20658 s.
  struct Expected {
    const char* file;
    std::int64_t events, pods, cpu, deleted, last, creation_sum;
  };
  for (const auto& e : {Expected{"simkube/dsb-scaling.sktrace", 19, 54, 54000, 12, 827, 17803},
                        Expected{"simkube/large_trace.json", 89, 59, 59000, 32, 827, 20658}}) {
    INFO(e.file);
    auto r = load_cluster("simkube", {shipped(e.file)});
    INFO(r.diagnostics.format());
    REQUIRE(r.trace);
    const auto& pods = r.trace->pods;
    CHECK(r.trace->reports.at(0).rows == e.events);
    REQUIRE(static_cast<std::int64_t>(pods.size()) == e.pods);
    std::int64_t cpu = 0, deleted = 0, last = 0, sum = 0;
    for (const auto& p : pods) {
      cpu += p.cpu_milli;
      deleted += p.deletion ? 1 : 0;
      last = std::max<std::int64_t>(last, p.creation / sim::kSecond);
      sum += p.creation / sim::kSecond;
      CHECK(p.memory_bytes == (1LL << 30));  // every DSB container asks for 1Gi
    }
    CHECK(cpu == e.cpu);
    CHECK(deleted == e.deleted);
    CHECK(last == e.last);
    CHECK(sum == e.creation_sum);
  }
}

TEST_CASE("SimKube bare pods and CronJobs take their runs from pod_lifecycles",
          "[traces][simkube]") {
  // python3 msgpack: bare-pods.sktrace events at 1781282468, +42, +102, +162 s; lifecycles
  // Finished (1781282468, 1781282480), (511, 541), (571, 601), Running 631.
  auto bare = load_cluster("simkube", {shipped("simkube/bare-pods.sktrace")});
  REQUIRE(bare.trace);
  const auto& pods = bare.trace->pods;
  REQUIRE(pods.size() == 4);
  CHECK(pods[0].name == "testing/bare-pod-1781282449");
  CHECK(pods[0].creation == 0);
  CHECK(pods[0].scheduled == 0);
  CHECK(pods[0].run_time == sim::seconds(12));
  CHECK(pods[1].creation == sim::seconds(42));
  CHECK(pods[1].scheduled == sim::seconds(43));
  CHECK(pods[1].run_time == sim::seconds(30));
  CHECK(pods[3].creation == sim::seconds(162));
  CHECK(pods[3].scheduled == sim::seconds(163));
  CHECK_FALSE(pods[3].run_time);  // still Running when the trace ended
  CHECK(pods[0].cpu_milli == 0);  // "resources": {}

  // cronjob.sktrace: CronJob applied at 1743286823 (origin), deleted at +205 s; three runs
  // Finished (1743286861, 891), (921, 951), (981, 1011).
  auto cron = load_cluster("simkube", {shipped("simkube/cronjob.sktrace")});
  REQUIRE(cron.trace);
  const auto& runs = cron.trace->pods;
  REQUIRE(runs.size() == 3);
  CHECK(runs[0].name == "default/hello-simkube-0");
  CHECK(runs[0].creation == sim::seconds(38));
  CHECK(runs[0].deletion == sim::seconds(68));
  CHECK(runs[0].run_time == sim::seconds(30));
  CHECK(runs[2].creation == sim::seconds(158));
  CHECK(runs[2].group == "default/hello-simkube");
}

TEST_CASE("SimKube structural problems are diagnostics, never crashes",
          "[traces][simkube][errors]") {
  kubesim::testing::TempDir dir;
  SECTION("truncated msgpack") {
    std::string bytes;
    {
      std::ifstream in(shipped("simkube/cronjob.sktrace"), std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    REQUIRE(bytes.size() == 1620);
    for (std::size_t cut : {1, 7, 100, 800, 1619}) {
      const std::string p =
          write_file(dir, "t" + std::to_string(cut) + ".sktrace", bytes.substr(0, cut));
      auto r = load_cluster("simkube", {p});
      CHECK_FALSE(r.trace);
      REQUIRE_FALSE(r.diagnostics.empty());
      CHECK(r.diagnostics.items()[0].message.rfind("not a valid MessagePack SimKube trace", 0) ==
            0);
    }
  }
  SECTION("hostile lengths and nesting") {
    // A map claiming 2^32-1 entries; an array nested 10,000 deep; an invalid type byte.
    const std::string p1 = write_file(dir, "a.sktrace", std::string("\xdf\xff\xff\xff\xff", 5));
    const std::string p2 = write_file(dir, "b.sktrace", std::string(10000, '\x91'));
    const std::string p3 = write_file(dir, "c.sktrace", std::string("\xc1", 1));
    for (const auto& p : {p1, p2, p3}) {
      auto r = load_cluster("simkube", {p});
      CHECK_FALSE(r.trace);
      CHECK(r.diagnostics.size() == 1);
    }
  }
  SECTION("effective requests: limits default requests, init containers, sidecars, overhead") {
    // Upstream PodRequests (component-helpers/resource/helpers.go) by hand:
    // apps 1000m (limit only) + 500m = 1500m, + sidecar 200m = 1700m; init-time peak: the
    // regular init container's 3000m (no sidecar started before it); max 3000m, + overhead
    // 100m = 3100m. Memory: 1Gi (limit) + 512Mi sidecar = 1.5Gi; init peak 0; overhead 0.
    const std::string p =
        write_file(dir, "r.json", R"({"version": 2, "events": [{"ts": 5, "applied_objs": [
      {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "ns"},
       "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
         "overhead": {"cpu": "100m"},
         "initContainers": [{"name": "setup", "resources": {"requests": {"cpu": "3"}}},
                            {"name": "proxy", "restartPolicy": "Always",
                             "resources": {"requests": {"cpu": "200m", "memory": "512Mi"}}}],
         "containers": [{"name": "a", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}},
                        {"name": "b", "resources": {"requests": {"cpu": "500m"}}}]}}}}]}]})");
    auto r = load_cluster("simkube", {p});
    INFO(r.diagnostics.format());
    REQUIRE(r.trace);
    REQUIRE(r.trace->pods.size() == 2);
    for (const auto& pod : r.trace->pods) {
      CHECK(pod.cpu_milli == 3100);
      CHECK(pod.memory_bytes == 3 * (1LL << 29));
      CHECK(pod.group == "ns/web");
      CHECK(pod.group_size == 2);
      CHECK(pod.labels == std::vector<std::pair<std::string, std::string>>{{"app", "web"}});
    }
    CHECK(r.trace->pods[1].name == "ns/web-1");
  }
  SECTION("JSON with bad events") {
    const std::string p = write_file(dir, "t.json", R"({"version": 2, "events": [
      {"ts": 100, "applied_objs": [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "n"},
        "spec": {"containers": [{"resources": {"requests": {"cpu": "2", "memory": "1Gi", "nvidia.com/gpu": 1}}}]}}]},
      {"ts": "soon"},
      {"ts": 110, "applied_objs": [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b"},
        "spec": {"containers": [{"resources": {"requests": {"cpu": "lots"}}}]}}]},
      {"ts": 120, "deleted_objs": [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "n"}}]}
    ]})");
    auto r = load_cluster("simkube", {p});
    CHECK_FALSE(r.trace);
    REQUIRE(r.diagnostics.size() == 2);
    CHECK(r.diagnostics.items()[0].path == "events[1].ts");
    CHECK(r.diagnostics.items()[1].path == "events[2].applied_objs[0]");
    auto skip = load_cluster("simkube", {p}, skipping());
    REQUIRE(skip.trace);
    REQUIRE(skip.trace->pods.size() == 1);
    const auto& a = skip.trace->pods[0];
    CHECK(a.name == "n/a");
    CHECK(a.cpu_milli == 2000);
    CHECK(a.memory_bytes == (1LL << 30));
    CHECK(a.num_gpu == 1);
    CHECK(a.gpu_milli == 1000);
    CHECK(a.creation == 0);
    CHECK(a.deletion == sim::seconds(20));
    CHECK(skip.trace->reports[0].skipped == 2);
    CHECK(skip.trace->reports[0].rows == 4);
  }
}

}  // namespace
}  // namespace kubesim::scenarios::traces
