// Tests of the Alibaba importers (scenarios/trace_alibaba.cpp) on the shipped traces in
// ../shared/traces and on small files written here. Every expected total was computed
// independently of kubesim with awk over the real files; the command is next to the value.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <numeric>

#include "tests/scenarios/trace_test_support.hpp"

namespace kubesim::scenarios::traces {
namespace {

using testing::load_cluster;
using testing::shipped;
using testing::skipping;
using testing::write_file;

constexpr std::int64_t kMiB = 1LL << 20;
constexpr std::int64_t kGiB = 1LL << 30;

struct PodTotals {
  std::int64_t rows = 0, cpu = 0, mem_mib = 0, gpu = 0, gpu_milli = 0, share = 0, spec = 0;
  std::int64_t max_creation_s = 0;
};

PodTotals totals(const ClusterTrace& t) {
  PodTotals s;
  for (const auto& p : t.pods) {
    ++s.rows;
    s.cpu += p.cpu_milli;
    s.mem_mib += p.memory_bytes / kMiB;
    s.gpu += p.num_gpu;
    s.gpu_milli += static_cast<std::int64_t>(p.num_gpu) * p.gpu_milli;
    s.share += p.num_gpu == 1 && p.gpu_milli < 1000 ? 1 : 0;
    s.spec += p.gpu_models.empty() ? 0 : 1;
    s.max_creation_s = std::max<std::int64_t>(s.max_creation_s, p.creation / sim::kSecond);
  }
  return s;
}

TEST_CASE("openb node lists import with the totals of the CSV", "[traces][openb]") {
  // awk -F, 'NR>1{n++;c+=$2;m+=$3;g+=$4} END{print n,c,m,g}' openb_node_list_gpu_node.csv
  //   -> 1213 107018000 503828480 6212
  auto gpu =
      load_cluster("alibaba-openb", {shipped("alibaba-gpu-v2023/openb_node_list_gpu_node.csv")});
  REQUIRE(gpu.trace);
  CHECK(gpu.diagnostics.empty());
  const auto& nodes = gpu.trace->nodes;
  REQUIRE(nodes.size() == 1213);
  std::int64_t cpu = 0, mem = 0, gpus = 0;
  for (const auto& n : nodes) {
    cpu += n.cpu_milli;
    mem += n.memory_bytes;
    gpus += n.gpu_count;
  }
  CHECK(cpu == 107018000);
  CHECK(mem == 503828480LL * kMiB);
  CHECK(gpus == 6212);  // the paper's 6,212-GPU cluster
  CHECK(nodes[0].name == "openb-node-0000");
  CHECK(nodes[0].gpu_model == "P100");
  CHECK(nodes[0].line == 2);
  REQUIRE(gpu.trace->reports.size() == 1);
  CHECK(gpu.trace->reports[0].rows == 1213);
  CHECK(gpu.trace->reports[0].skipped == 0);

  // awk ... openb_node_list_all_node.csv -> 1523 125514000 612028416 6212; models:
  // cut -d, -f5 | sort | uniq -c -> 310 CPU-only (empty), 549 G2, 404 T4, 134 P100, ...
  auto all =
      load_cluster("alibaba-openb", {shipped("alibaba-gpu-v2023/openb_node_list_all_node.csv")});
  REQUIRE(all.trace);
  CHECK(all.trace->nodes.size() == 1523);
  std::map<std::string, int> models;
  cpu = mem = gpus = 0;
  for (const auto& n : all.trace->nodes) {
    cpu += n.cpu_milli;
    mem += n.memory_bytes;
    gpus += n.gpu_count;
    ++models[n.gpu_model];
  }
  CHECK(cpu == 125514000);
  CHECK(mem == 612028416LL * kMiB);
  CHECK(gpus == 6212);
  CHECK(models[""] == 310);
  CHECK(models["G2"] == 549);
  CHECK(models["T4"] == 404);
  CHECK(models["P100"] == 134);
}

TEST_CASE("openb node YAML gives the same nodes as the node CSV", "[traces][openb]") {
  auto yaml =
      load_cluster("alibaba-openb", {shipped("alibaba-gpu-v2023/openb_node_list_gpu_node.yaml")});
  auto csv =
      load_cluster("alibaba-openb", {shipped("alibaba-gpu-v2023/openb_node_list_gpu_node.csv")});
  REQUIRE(yaml.trace);
  REQUIRE(csv.trace);
  REQUIRE(yaml.trace->nodes.size() == csv.trace->nodes.size());
  for (std::size_t i = 0; i < csv.trace->nodes.size(); ++i) {
    const auto& a = yaml.trace->nodes[i];
    const auto& b = csv.trace->nodes[i];
    INFO(b.name);
    CHECK(a.name == b.name);
    CHECK(a.cpu_milli == b.cpu_milli);
    CHECK(a.memory_bytes == b.memory_bytes);
    CHECK(a.gpu_count == b.gpu_count);
    CHECK(a.gpu_model == b.gpu_model);
  }
  CHECK(yaml.trace->nodes[0].line == 1);
  // Every label of the manifest is kept (4 on openb-node-0000).
  CHECK(yaml.trace->nodes[0].labels.size() == 4);
}

TEST_CASE("the same node given twice is an error", "[traces][openb]") {
  auto both =
      load_cluster("alibaba-openb", {shipped("alibaba-gpu-v2023/openb_node_list_gpu_node.csv"),
                                     shipped("alibaba-gpu-v2023/openb_node_list_gpu_node.yaml")});
  CHECK_FALSE(both.trace);
  REQUIRE_FALSE(both.diagnostics.empty());
  CHECK(both.diagnostics.items()[0].message.find("'openb-node-0000' appears twice") !=
        std::string::npos);
}

TEST_CASE("every openb pod list imports with its independently computed totals",
          "[traces][openb]") {
  // for f in openb_pod_list_*.csv; do awk -F, 'NR>1{n++;c+=$2;m+=$3;g+=$4;gm+=$4*$5;
  //   if($4==1&&$5<1000)s++; if($6!="")sp++; if($9>mx)mx=$9} END{print n,c,m,g,gm,s,sp,mx}' $f;
  //   done
  struct Expected {
    const char* file;
    PodTotals t;
  };
  const Expected expected[] = {
      {"openb_pod_list_cpu0.csv", {7064, 66238112, 250396531, 7433, 6086800, 3078, 0, 12901761}},
      {"openb_pod_list_cpu037.csv", {7336, 70987512, 263717318, 7433, 6086800, 3078, 0, 12901761}},
      {"openb_pod_list_cpu050.csv", {7439, 72761612, 268502666, 7433, 6086800, 3078, 0, 12901761}},
      {"openb_pod_list_cpu072.csv", {7608, 75835912, 276906805, 7433, 6086800, 3078, 0, 12901761}},
      {"openb_pod_list_cpu100.csv", {7853, 80292312, 289071014, 7433, 6086800, 3078, 0, 12901761}},
      {"openb_pod_list_cpu200.csv", {8832, 97253012, 336263486, 7433, 6086800, 3078, 0, 12901761}},
      {"openb_pod_list_cpu235.csv", {9240, 104633912, 356695891, 7433, 6086800, 3078, 0, 12901761}},
      {"openb_pod_list_cpu250.csv", {9420, 107460312, 365787661, 7433, 6086800, 3078, 0, 12901761}},
      {"openb_pod_list_cpu300.csv",
       {10094, 119444912, 397746134, 7433, 6086800, 3078, 0, 12901761}},
      {"openb_pod_list_default.csv", {8152, 85436012, 303546211, 7433, 6086800, 3078, 0, 12901761}},
      {"openb_pod_list_gpushare100.csv",
       {8152, 61762240, 203938682, 7064, 3952670, 7064, 0, 12474700}},
      {"openb_pod_list_gpushare20.csv",
       {8152, 90172700, 323953571, 7549, 6531500, 2324, 0, 12474700}},
      {"openb_pod_list_gpushare40.csv",
       {8152, 80383484, 281701244, 7382, 5641250, 4001, 0, 12901761}},
      {"openb_pod_list_gpushare60.csv",
       {8152, 72020064, 247033445, 7196, 4908340, 5233, 0, 12474700}},
      {"openb_pod_list_gpushare80.csv",
       {8152, 67189456, 226646565, 7159, 4408190, 6279, 0, 12473444}},
      {"openb_pod_list_gpuspec05.csv",
       {8152, 85436012, 303546211, 7433, 6086800, 3078, 369, 12901761}},
      {"openb_pod_list_gpuspec10.csv",
       {8152, 85436012, 303546211, 7433, 6086800, 3078, 732, 12901761}},
      {"openb_pod_list_gpuspec20.csv",
       {8152, 85436012, 303546211, 7433, 6086800, 3078, 1444, 12901761}},
      {"openb_pod_list_gpuspec25.csv",
       {8152, 85436012, 303546211, 7433, 6086800, 3078, 1759, 12901761}},
      {"openb_pod_list_gpuspec33.csv",
       {8152, 85436012, 303546211, 7433, 6086800, 3078, 2388, 12901761}},
      // The multigpu variants have no time columns: every pod arrives at 0.
      {"openb_pod_list_multigpu20.csv", {8324, 95171812, 344773251, 8433, 7086800, 3078, 0, 0}},
      {"openb_pod_list_multigpu30.csv", {8508, 104869612, 386930083, 9433, 8086800, 3078, 0, 0}},
      {"openb_pod_list_multigpu40.csv", {8746, 118032212, 442081891, 10789, 9442800, 3078, 0, 0}},
      {"openb_pod_list_multigpu50.csv", {9061, 137776412, 530427459, 12705, 11358800, 3078, 0, 0}},
  };
  for (const auto& e : expected) {
    INFO(e.file);
    auto r = load_cluster("alibaba-openb", {shipped(std::string("alibaba-gpu-v2023/") + e.file)});
    REQUIRE(r.trace);
    const PodTotals t = totals(*r.trace);
    CHECK(t.rows == e.t.rows);
    CHECK(t.cpu == e.t.cpu);
    CHECK(t.mem_mib == e.t.mem_mib);
    CHECK(t.gpu == e.t.gpu);
    CHECK(t.gpu_milli == e.t.gpu_milli);
    CHECK(t.share == e.t.share);
    CHECK(t.spec == e.t.spec);
    CHECK(t.max_creation_s == e.t.max_creation_s);
    CHECK(r.trace->reports.at(0).rows == e.t.rows);
  }
}

TEST_CASE("openb pod fields map to the schema", "[traces][openb]") {
  auto r = load_cluster("alibaba-openb", {shipped("alibaba-gpu-v2023/openb_pod_list_default.csv")});
  REQUIRE(r.trace);
  const auto& pods = r.trace->pods;
  // openb-pod-0001,6000,12288,1,460,,LS,Running,427061,12902960,427061
  const auto& p = pods[1];
  CHECK(p.name == "openb-pod-0001");
  CHECK(p.cpu_milli == 6000);
  CHECK(p.memory_bytes == 12288 * kMiB);
  CHECK(p.num_gpu == 1);
  CHECK(p.gpu_milli == 460);
  CHECK(p.gpu_models.empty());
  CHECK(p.qos == "LS");
  CHECK(p.phase == "Running");
  CHECK(p.creation == sim::seconds(427061));
  CHECK(p.deletion == sim::seconds(12902960));
  CHECK(p.scheduled == sim::seconds(427061));
  CHECK(p.line == 3);
  // awk -F, 'NR>1 && $11==""' openb_pod_list_default.csv | wc -l -> 897 (never scheduled)
  const auto unscheduled =
      std::count_if(pods.begin(), pods.end(), [](const TracePod& x) { return !x.scheduled; });
  CHECK(unscheduled == 897);
  // grep -c 'V100M16|V100M32' openb_pod_list_gpuspec33.csv -> 141
  auto spec =
      load_cluster("alibaba-openb", {shipped("alibaba-gpu-v2023/openb_pod_list_gpuspec33.csv")});
  REQUIRE(spec.trace);
  const auto two =
      std::count_if(spec.trace->pods.begin(), spec.trace->pods.end(), [](const TracePod& x) {
        return x.gpu_models == std::vector<std::string>{"V100M16", "V100M32"};
      });
  CHECK(two == 141);
}

TEST_CASE("the openb default pod list loads well under 50 ms", "[traces][openb][perf]") {
  const std::string path = shipped("alibaba-gpu-v2023/openb_pod_list_default.csv");
  double best_ms = 1e9;
  for (int i = 0; i < 5; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = load_cluster("alibaba-openb", {path});
    const auto t1 = std::chrono::steady_clock::now();
    REQUIRE(r.trace);
    best_ms = std::min(best_ms, std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  INFO("best of 5: " << best_ms << " ms");
  if (testing::kTimingChecks) CHECK(best_ms < 50.0);
}

TEST_CASE("malformed openb rows are located, or skipped and counted", "[traces][openb][errors]") {
  kubesim::testing::TempDir dir;
  const std::string header =
      "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
      "deletion_time,scheduled_time\n";
  const std::string path =
      write_file(dir, "pods.csv",
                 header +
                     "p0,1000,1024,1,500,,LS,Running,0,10,0\n"     // line 2 ok
                     "p1,abc,1024,1,500,,LS,Running,0,10,0\n"      // 3 cpu
                     "p2,1000,-5,1,500,,LS,Running,0,10,0\n"       // 4 memory
                     "p3,1000,1024,2,500,,LS,Running,0,10,0\n"     // 5 multi-GPU share
                     "p4,1000,1024,1,1500,,LS,Running,0,10,0\n"    // 6 gpu_milli range
                     "p5,1000,1024,1,500,,LS,Running,20,10,0\n"    // 7 deletion < creation
                     "p6,1000,1024,1,500,,LS\n"                    // 8 truncated
                     "p7,99999999999999999999,1,0,0,,LS,R,0,,\n"   // 9 huge
                     "p8,1000,1024,0,0,,LS,Running,,,\n"           // 10 no creation
                     "\n"                                          // 11 blank
                     "p9,1000,1024,0,0,\"T4\",LS,Running,5,,\n");  // 12 ok, quoted
  auto strict = load_cluster("alibaba-openb", {path});
  CHECK_FALSE(strict.trace);
  const auto& d = strict.diagnostics.items();
  REQUIRE(d.size() == 8);
  CHECK(d[0].line == 3);
  CHECK(d[0].path == "cpu_milli");
  CHECK(d[0].message == "expected an integer, found \"abc\"");
  CHECK(d[0].file == path);
  CHECK(d[1].line == 4);
  CHECK(d[1].path == "memory_mib");
  CHECK(d[1].hint == "negative values are not allowed here");
  CHECK(d[2].line == 5);
  CHECK(d[2].path == "gpu_milli");
  CHECK(d[3].line == 6);
  CHECK(d[3].message == "value 1500 is out of range [0, 1000]");
  CHECK(d[4].line == 7);
  CHECK(d[4].path == "deletion_time");
  CHECK(d[5].line == 8);
  CHECK(d[5].message == "expected 11 fields as in the header, found 7");
  CHECK(d[6].line == 9);
  CHECK(d[6].path == "cpu_milli");
  CHECK(d[7].line == 10);
  CHECK(d[7].path == "creation_time");
  CHECK(d[7].message == "value is empty");

  auto skip = load_cluster("alibaba-openb", {path}, skipping());
  REQUIRE(skip.trace);
  CHECK(skip.diagnostics.empty());
  REQUIRE(skip.trace->pods.size() == 2);
  CHECK(skip.trace->pods[0].name == "p0");
  CHECK(skip.trace->pods[1].name == "p9");
  CHECK(skip.trace->pods[1].line == 12);
  CHECK(skip.trace->pods[1].gpu_models == std::vector<std::string>{"T4"});  // quoted field
  const auto& report = skip.trace->reports.at(0);
  CHECK(report.rows == 10);  // the blank line is not a row
  CHECK(report.skipped == 8);
  REQUIRE(report.skipped_rows.size() == 8);
  CHECK(report.skipped_rows[0].line == 3);
  CHECK(report.skipped_rows[7].line == 10);
}

TEST_CASE("an openb file with a missing column says which, with a did-you-mean",
          "[traces][openb][errors]") {
  kubesim::testing::TempDir dir;
  const std::string path =
      write_file(dir, "pods.csv", "name,cpu_mili,memory_mib,num_gpu,gpu_milli\np,1,1,0,0\n");
  auto r = load_cluster("alibaba-openb", {path});
  CHECK_FALSE(r.trace);
  REQUIRE(r.diagnostics.size() == 1);
  const auto& d = r.diagnostics.items()[0];
  CHECK(d.message == "missing required column 'cpu_milli'");
  CHECK(d.hint.rfind("did you mean 'cpu_mili'?", 0) == 0);
  CHECK(d.line == 1);

  const std::string other = write_file(dir, "x.csv", "a,b,c\n1,2,3\n");
  auto bad = load_cluster("alibaba-openb", {other});
  CHECK_FALSE(bad.trace);
  CHECK(bad.diagnostics.items().at(0).message ==
        "not an openb node or pod list: unrecognized header");
}

TEST_CASE("PAI v2020 machine spec imports with the totals of the file", "[traces][pai]") {
  // awk -F, '{n++;c+=$3;m+=$4;g+=$5; t[$2]++} END{...}' pai_machine_spec.csv
  //   -> 1897 rows, 156576 cores, 948224 GB, 6742 GPUs; P100 798, T4 497, MISC 280, V100M32 135,
  //      V100 104, CPU 83
  auto r = load_cluster("alibaba-pai-2020", {shipped("alibaba-gpu-v2020/pai_machine_spec.csv")});
  REQUIRE(r.trace);
  const auto& nodes = r.trace->nodes;
  REQUIRE(nodes.size() == 1897);
  std::int64_t cpu = 0, mem = 0, gpu = 0;
  std::map<std::string, int> types;
  for (const auto& n : nodes) {
    cpu += n.cpu_milli;
    mem += n.memory_bytes;
    gpu += n.gpu_count;
    ++types[n.labels.at(0).second];
  }
  CHECK(cpu == 156576LL * 1000);
  CHECK(mem == 948224LL * kGiB);
  CHECK(gpu == 6742);
  CHECK(types["P100"] == 798);
  CHECK(types["T4"] == 497);
  CHECK(types["MISC"] == 280);
  CHECK(types["V100M32"] == 135);
  CHECK(types["V100"] == 104);
  CHECK(types["CPU"] == 83);
  // First row: 7399a758eb02bae1a3621236,CPU,96,512,0
  CHECK(nodes[0].name == "7399a758eb02bae1a3621236");
  CHECK(nodes[0].gpu_model.empty());
  CHECK(nodes[0].line == 1);  // no header row in the PAI tables
}

TEST_CASE("PAI task and instance tables following the headers become pods", "[traces][pai]") {
  kubesim::testing::TempDir dir;
  // Columns per pai_task_table.header:
  // job_name,task_name,inst_num,status,start_time,end_time,plan_cpu,plan_mem,plan_gpu,gpu_type
  const std::string tasks = write_file(dir, "pai_task_table.csv",
                                       "j1,worker,2,Terminated,1000,1600,600,29.296875,50,T4\n"
                                       "j1,ps,1,Terminated,1010,1700,200,1.5,,\n"
                                       "j2,tensorflow,1,Running,1100,,800,10,200,V100\n");
  // job_name,task_name,inst_name,worker_name,inst_id,status,start_time,end_time,machine
  const std::string instances = write_file(dir, "pai_instance_table.csv",
                                           "job_name,task_name,inst_name,worker_name,inst_id,"
                                           "status,start_time,end_time,machine\n"
                                           "j1,worker,i-a,w-a,x,Terminated,1005,1500,m1\n"
                                           "j1,worker,i-b,w-b,x,Terminated,1020,1600,m2\n");
  auto r = load_cluster("alibaba-pai-2020", {tasks, instances});
  INFO(r.diagnostics.format());
  REQUIRE(r.trace);
  const auto& pods = r.trace->pods;
  // 2 instances of j1/worker, then 1 pod for j1/ps and 1 for j2/tensorflow (no instances).
  REQUIRE(pods.size() == 4);
  // Origin = the earliest start among the imported pods: instance i-a at 1005 s (the task
  // row's own 1000 s is replaced by its instances' times).
  CHECK(pods[0].name == "i-a");
  CHECK(pods[0].creation == 0);
  CHECK(pods[0].deletion == sim::seconds(495));
  CHECK(pods[0].cpu_milli == 6000);              // plan_cpu 600 = 6 cores
  CHECK(pods[0].memory_bytes == 31457280000LL);  // 29.296875 GB * 2^30
  CHECK(pods[0].num_gpu == 1);
  CHECK(pods[0].gpu_milli == 500);  // plan_gpu 50 = half a GPU
  CHECK(pods[0].gpu_models == std::vector<std::string>{"T4"});
  CHECK(pods[0].group == "j1/worker");
  CHECK(pods[0].group_size == 2);
  CHECK(pods[0].line == 2);
  CHECK(pods[1].name == "i-b");
  CHECK(pods[2].name == "j1/ps/0");
  CHECK(pods[2].creation == sim::seconds(5));
  CHECK(pods[2].num_gpu == 0);
  CHECK(pods[2].memory_bytes == 3 * kGiB / 2);
  CHECK(pods[3].num_gpu == 2);  // plan_gpu 200 = two whole GPUs
  CHECK(pods[3].gpu_milli == 1000);
  CHECK_FALSE(pods[3].deletion);
  CHECK(r.trace->reports.at(0).rows == 3);
  CHECK(r.trace->reports.at(1).rows == 2);  // the header row is not a row

  const std::string orphan =
      write_file(dir, "pai_instance_table_2.csv", "j9,worker,i-z,w,x,Terminated,1005,1500,m1\n");
  auto bad = load_cluster("alibaba-pai-2020", {tasks, orphan});
  CHECK_FALSE(bad.trace);
  REQUIRE(bad.diagnostics.size() == 1);
  CHECK(bad.diagnostics.items()[0].line == 1);
  CHECK(bad.diagnostics.items()[0].file == orphan);
  auto skipped = load_cluster("alibaba-pai-2020", {tasks, orphan}, skipping());
  REQUIRE(skipped.trace);
  CHECK(skipped.trace->pods.size() == 4);  // 2 (j1/worker) + 1 + 1, the orphan skipped
  CHECK(skipped.trace->reports.at(1).skipped == 1);

  const std::string sensor = write_file(dir, "pai_sensor_table.csv", "a,b\n");
  auto other = load_cluster("alibaba-pai-2020", {sensor});
  CHECK_FALSE(other.trace);
  CHECK(other.diagnostics.items().at(0).message ==
        "this PAI table is not part of the cluster trace import");
}

TEST_CASE("a PAI job table is validated and counted", "[traces][pai]") {
  kubesim::testing::TempDir dir;
  // job_name,inst_id,user,status,start_time,end_time
  const std::string jobs = write_file(dir, "pai_job_table.csv",
                                      "j1,abc,u1,Terminated,1000,1600\n"
                                      "j2,abd,u2,Failed,later,1700\n");
  auto r = load_cluster("alibaba-pai-2020", {jobs});
  CHECK_FALSE(r.trace);
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics.items()[0].line == 2);
  CHECK(r.diagnostics.items()[0].path == "start_time");
  auto skip = load_cluster("alibaba-pai-2020", {jobs}, skipping());
  REQUIRE(skip.trace);
  CHECK(skip.trace->pods.empty());
  CHECK(skip.trace->reports[0].rows == 2);
  CHECK(skip.trace->reports[0].skipped == 1);
}

TEST_CASE("the 2025 DLRM trace imports with the totals of the file", "[traces][dlrm]") {
  // awk -F, 'NR>1{n++;c+=$4;g+=$6;m+=$10; if($15=="")ec++; if($15>mx)mx=$15; if($17=="")ed++}
  //   END{...}' disaggregated_DLRM_trace.csv
  //   -> 23871 rows, 1252594 cores, 7386 GPUs, 6345408.5 GiB, 7280 without creation time,
  //      max creation 2676636 s, 8878 without deletion
  auto r = load_cluster("alibaba-dlrm-2025",
                        {shipped("alibaba-gpu-v2025/disaggregated_DLRM_trace.csv")});
  REQUIRE(r.trace);
  const auto& pods = r.trace->pods;
  REQUIRE(pods.size() == 23871);
  std::int64_t cpu = 0, mem = 0, gpu = 0, at_zero = 0, no_deletion = 0, hn = 0;
  sim::Time last = 0;
  for (const auto& p : pods) {
    cpu += p.cpu_milli;
    mem += p.memory_bytes;
    gpu += p.num_gpu;
    at_zero += p.creation == 0 ? 1 : 0;
    no_deletion += p.deletion ? 0 : 1;
    last = std::max(last, p.creation);
    hn += p.labels.at(0).second == "HN" ? 1 : 0;
  }
  CHECK(cpu == 1252594LL * 1000);
  CHECK(mem == static_cast<std::int64_t>(6345408.5 * kGiB));
  CHECK(gpu == 7386);
  CHECK(hn == 7386);  // cut -d, -f2 | sort | uniq -c -> 7386 HN, 16485 CN
  CHECK(at_zero >= 7280);
  CHECK(no_deletion == 8878);
  CHECK(last == sim::seconds(2676636));
}

TEST_CASE("the 2026 spot GPU node list imports with the totals of the file", "[traces][spot]") {
  // awk -F, 'NR>1{n++;g+=$2;c+=$3} END{print n,g,c}' node_info_df.csv -> 4278 10412 632636
  auto r = load_cluster("alibaba-spot-2026", {shipped("alibaba-spot-gpu-v2026/node_info_df.csv")});
  REQUIRE(r.trace);
  const auto& nodes = r.trace->nodes;
  REQUIRE(nodes.size() == 4278);
  std::int64_t cpu = 0, gpu = 0;
  for (const auto& n : nodes) {
    cpu += n.cpu_milli;
    gpu += n.gpu_count;
  }
  CHECK(gpu == 10412);
  CHECK(cpu == 632636LL * 1000);
  CHECK(nodes[2].name == "spot-node-2");  // A10,1,128,2
  CHECK(nodes[2].gpu_model == "A10");
  CHECK(nodes[2].memory_bytes == 0);  // the node list has no memory column
}

}  // namespace
}  // namespace kubesim::scenarios::traces
