// Alibaba cluster traces: cluster-trace-gpu-v2023 "openb" (CSV and node YAML),
// cluster-trace-gpu-v2020 PAI (machine spec, task, instance and job tables), v2025
// disaggregated DLRM and the 2026 spot-GPU node list. Column meanings and units are in
// docs/traces.md; they follow each dataset's README in github.com/alibaba/clusterdata.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "models/quantity.hpp"
#include "scenarios/trace_common.hpp"
#include "scenarios/traces.hpp"
#include "scenarios/yaml_reader.hpp"

namespace kubesim::scenarios::traces::detail {
namespace {

constexpr std::int64_t kMiB = 1LL << 20;
constexpr std::int64_t kGiB = 1LL << 30;
constexpr std::int64_t kMaxMilli = 1'000'000'000'000;  // a million cores
constexpr std::int64_t kMaxMiB = (1LL << 43) - 1;      // 8 EiB in MiB
constexpr std::int64_t kMaxGpus = 1'000'000;
constexpr double kMaxGiB = 8.0e9;  // just under 8 EiB
const std::string kGpuModelLabel = "alibabacloud.com/gpu-card-model";

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// How many of `names` the header has.
int matches(const Header& h, std::initializer_list<std::string_view> names) {
  int n = 0;
  for (const auto name : names) n += h.index(name) >= 0 ? 1 : 0;
  return n;
}

// ---- openb ------------------------------------------------------------------------------

void read_openb_nodes(CsvSource& src, ClusterTrace& trace) {
  const int c_sn = src.require("sn");
  const int c_cpu = src.require("cpu_milli");
  const int c_mem = src.require("memory_mib");
  const int c_gpu = src.require("gpu");
  const int c_model = src.require("model");
  if (c_sn < 0 || c_cpu < 0 || c_mem < 0 || c_gpu < 0 || c_model < 0) return;
  src.rows([&](Row& row) {
    TraceNode node;
    node.line = row.line();
    node.name = row.text(c_sn, true);
    node.cpu_milli = row.integer(c_cpu, 0, kMaxMilli);
    node.memory_bytes = row.integer(c_mem, 0, kMaxMiB) * kMiB;
    node.gpu_count = static_cast<std::int32_t>(row.integer(c_gpu, 0, kMaxGpus));
    node.gpu_model = row.text(c_model);
    if (row.ok() && node.gpu_count > 0 && node.gpu_model.empty()) {
      row.fail_at(c_model, "a node with GPUs needs a GPU model", "e.g. T4, V100M16, G2");
    }
    if (!node.gpu_model.empty()) node.labels.emplace_back(kGpuModelLabel, node.gpu_model);
    if (row.finish()) trace.nodes.push_back(std::move(node));
  });
}

void read_openb_pods(CsvSource& src, ClusterTrace& trace) {
  const auto& h = src.header();
  const int c_name = src.require("name");
  const int c_cpu = src.require("cpu_milli");
  const int c_mem = src.require("memory_mib");
  const int c_num_gpu = src.require("num_gpu");
  const int c_gpu_milli = src.require("gpu_milli");
  // Optional columns. The multigpu*.csv variants have no times at all: every pod is then
  // created at 0, as the FGD simulator treats a pod list without arrivals.
  const int c_creation = h.index("creation_time");
  const int c_spec = h.index("gpu_spec");
  const int c_qos = h.index("qos");
  const int c_phase = h.index("pod_phase");
  const int c_deletion = h.index("deletion_time");
  const int c_scheduled = h.index("scheduled_time");
  if (c_name < 0 || c_cpu < 0 || c_mem < 0 || c_num_gpu < 0 || c_gpu_milli < 0) return;
  trace.pods.reserve(trace.pods.size() + src.file.text.size() / 64);
  src.rows([&](Row& row) {
    TracePod pod;
    pod.line = row.line();
    pod.name = row.text(c_name, true);
    pod.cpu_milli = row.integer(c_cpu, 0, kMaxMilli);
    pod.memory_bytes = row.integer(c_mem, 0, kMaxMiB) * kMiB;
    pod.num_gpu = static_cast<std::int32_t>(row.integer(c_num_gpu, 0, kMaxGpus));
    pod.gpu_milli = static_cast<std::int32_t>(row.integer(c_gpu_milli, 0, 1000));
    if (row.ok() && pod.num_gpu == 0 && pod.gpu_milli != 0) {
      row.fail_at(c_gpu_milli,
                  "gpu_milli is " + std::to_string(pod.gpu_milli) + " but num_gpu is 0",
                  "a pod without GPUs has gpu_milli 0");
    }
    if (row.ok() && pod.num_gpu > 0 && pod.gpu_milli == 0) {
      row.fail_at(c_gpu_milli, "gpu_milli is 0 but num_gpu is " + std::to_string(pod.num_gpu),
                  "gpu_milli is the share of each GPU, 1..1000");
    }
    if (row.ok() && pod.num_gpu > 1 && pod.gpu_milli != 1000) {
      row.fail_at(c_gpu_milli,
                  "a pod with num_gpu " + std::to_string(pod.num_gpu) +
                      " must take whole GPUs "
                      "(gpu_milli 1000), found " +
                      std::to_string(pod.gpu_milli),
                  "only single-GPU pods share a device");
    }
    if (c_spec >= 0) pod.gpu_models = split(row.text(c_spec), '|');
    if (c_qos >= 0) pod.qos = row.text(c_qos);
    if (c_phase >= 0) pod.phase = row.text(c_phase);
    pod.creation = c_creation >= 0 ? row.seconds(c_creation) : 0;
    pod.deletion = row.optional_seconds(c_deletion);
    pod.scheduled = row.optional_seconds(c_scheduled);
    if (row.ok() && pod.deletion && *pod.deletion < pod.creation) {
      row.fail_at(c_deletion, "deletion_time is before creation_time",
                  "times are seconds from the trace start");
    }
    if (row.finish()) trace.pods.push_back(std::move(pod));
  });
}

// One Node manifest per YAML document (openb_node_list_gpu_node.yaml).
void read_openb_node_yaml(const std::string& path, const TraceOptions& options, Diagnostics& out,
                          TraceReport& report, ClusterTrace& trace) {
  std::string text;
  if (!read_whole_file(path, text, out)) return;
  const auto docs = load_yaml_documents(text, path, out);
  if (!docs) return;
  RowErrors errors(path, options, out, report);
  for (const auto& doc : *docs) {
    if (!doc || doc.IsNull()) continue;
    if (options.max_rows && report.rows >= *options.max_rows) break;
    ++report.rows;
    const int line = location_of(doc).first;
    auto bad = [&](std::string_view field, std::string message, std::string hint = {}) {
      errors.bad_row(line, field, std::move(message), std::move(hint));
    };
    try {
      if (!doc.IsMap() || !doc["kind"] || doc["kind"].as<std::string>() != "Node") {
        bad("kind", "expected a document of kind Node", "each document is one core/v1 Node");
        continue;
      }
      TraceNode node;
      node.line = line;
      const auto meta = doc["metadata"];
      if (!meta || !meta["name"]) {
        bad("metadata.name", "Node has no metadata.name");
        continue;
      }
      node.name = meta["name"].as<std::string>();
      if (const auto labels = meta["labels"]) {
        for (const auto& kv : labels) {
          node.labels.emplace_back(kv.first.as<std::string>(), kv.second.as<std::string>());
        }
      }
      auto resources = doc["status"]["allocatable"];
      if (!resources) resources = doc["status"]["capacity"];
      if (!resources || !resources.IsMap()) {
        bad("status.allocatable", "Node has neither status.allocatable nor status.capacity");
        continue;
      }
      bool ok = true;
      if (const auto cpu = resources["cpu"]) {
        const auto v = models::parse_cpu_millis(cpu.as<std::string>());
        if (!v) {
          bad("status.allocatable.cpu", v.error());
          ok = false;
        } else {
          node.cpu_milli = *v;
        }
      }
      if (const auto mem = resources["memory"]; ok && mem) {
        const auto v = models::parse_bytes(mem.as<std::string>());
        if (!v) {
          bad("status.allocatable.memory", v.error());
          ok = false;
        } else {
          node.memory_bytes = *v;
        }
      }
      if (const auto gpu = resources["alibabacloud.com/gpu-count"]; ok && gpu) {
        const auto v = parse_int(gpu.as<std::string>());
        if (!v || *v < 0 || *v > kMaxGpus) {
          bad("status.allocatable.alibabacloud.com/gpu-count",
              "expected a GPU count 0.." + std::to_string(kMaxGpus));
          ok = false;
        } else {
          node.gpu_count = static_cast<std::int32_t>(*v);
        }
      }
      if (!ok) continue;
      for (const auto& [k, v] : node.labels) {
        if (k == kGpuModelLabel) node.gpu_model = v;
      }
      const bool utf8 = valid_utf8(node.name) &&
                        std::all_of(node.labels.begin(), node.labels.end(), [](const auto& kv) {
                          return valid_utf8(kv.first) && valid_utf8(kv.second);
                        });
      if (!utf8) {
        bad("metadata", "name or a label is not valid UTF-8", "save the file as UTF-8");
        continue;
      }
      trace.nodes.push_back(std::move(node));
    } catch (const YAML::Exception& e) {
      bad("", std::string("unexpected YAML structure: ") + e.what(),
          "each document is a core/v1 Node manifest");
    }
  }
}

}  // namespace

bool load_openb(const std::vector<std::string>& paths, const TraceOptions& options,
                Diagnostics& out, ClusterTrace& trace) {
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const std::string& path = paths[i];
    if (!ends_with(path, ".yaml") && !ends_with(path, ".yml")) {
      for_each_csv_file({path}, ',', true, options, out, trace.reports, [&](CsvSource& src) {
        src.index = i;
        const int node_score = matches(src.header(), {"sn", "gpu", "model"});
        const int pod_score = matches(src.header(), {"name", "num_gpu", "gpu_milli", "gpu_spec",
                                                     "qos", "pod_phase", "creation_time"});
        if (node_score == 0 && pod_score == 0) {
          out.add({path, src.file.header_line, 0, "",
                   "not an openb node or pod list: unrecognized header",
                   "node lists have sn,cpu_milli,memory_mib,gpu,model; pod lists have "
                   "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,"
                   "creation_time,deletion_time,scheduled_time"});
        } else if (node_score >= pod_score) {
          read_openb_nodes(src, trace);
        } else {
          read_openb_pods(src, trace);
        }
      });
      continue;
    }
    TraceReport report;
    report.file = path;
    read_openb_node_yaml(path, options, out, report, trace);
    trace.reports.push_back(std::move(report));
  }
  return true;
}

// ---- PAI 2020 ---------------------------------------------------------------------------

namespace {

enum class PaiTable { kUnknown, kMachineSpec, kTask, kInstance, kJob, kOther };

const std::vector<std::string> kPaiSpec = {"machine", "gpu_type", "cap_cpu", "cap_mem", "cap_gpu"};
const std::vector<std::string> kPaiTask = {"job_name",   "task_name", "inst_num", "status",
                                           "start_time", "end_time",  "plan_cpu", "plan_mem",
                                           "plan_gpu",   "gpu_type"};
const std::vector<std::string> kPaiInstance = {"job_name",    "task_name", "inst_name",
                                               "worker_name", "inst_id",   "status",
                                               "start_time",  "end_time",  "machine"};
const std::vector<std::string> kPaiJob = {"job_name", "inst_id",    "user",
                                          "status",   "start_time", "end_time"};

PaiTable pai_table_of(std::string_view path, std::size_t fields) {
  const std::string base = base_name(path);
  if (base.find("machine_spec") != std::string::npos) return PaiTable::kMachineSpec;
  if (base.find("task_table") != std::string::npos) return PaiTable::kTask;
  if (base.find("instance_table") != std::string::npos) return PaiTable::kInstance;
  if (base.find("job_table") != std::string::npos) return PaiTable::kJob;
  if (base.find("sensor") != std::string::npos || base.find("group_tag") != std::string::npos ||
      base.find("machine_metric") != std::string::npos) {
    return PaiTable::kOther;
  }
  switch (fields) {
    case 5:
      return PaiTable::kMachineSpec;
    case 10:
      return PaiTable::kTask;
    case 9:
      return PaiTable::kInstance;
    case 6:
      return PaiTable::kJob;
    default:
      return PaiTable::kUnknown;
  }
}

// A PAI task: the pod template of its instances.
struct PaiTask {
  TracePod pod;  // resources, gpu model, status
  std::optional<std::int64_t> start_ns;
  std::optional<std::int64_t> end_ns;
  std::int32_t inst_num = 1;
  std::int32_t instances_seen = 0;
};

struct PaiInstance {
  std::string key;  // job_name/task_name
  std::string file;
  std::size_t report = 0;  // index into ClusterTrace::reports
  TracePod pod;            // name, phase, line
  std::optional<std::int64_t> start_ns;
  std::optional<std::int64_t> end_ns;
};

// plan_gpu is a percentage of one GPU (100 = one device): up to 100 shares one device;
// above, whole devices rounded up.
void set_pai_gpu(TracePod& pod, double plan_gpu) {
  if (plan_gpu <= 0) return;
  if (plan_gpu <= 100) {
    pod.num_gpu = 1;
    pod.gpu_milli =
        std::max<std::int32_t>(1, static_cast<std::int32_t>(std::lround(plan_gpu * 10)));
  } else {
    pod.num_gpu = static_cast<std::int32_t>(std::ceil(plan_gpu / 100 - 1e-9));
    pod.gpu_milli = 1000;
  }
}

}  // namespace

bool load_pai_2020(const std::vector<std::string>& paths, const TraceOptions& options,
                   Diagnostics& out, ClusterTrace& trace) {
  std::vector<std::pair<std::string, PaiTask>> tasks;  // file order
  std::map<std::string, std::size_t> task_index;
  std::vector<PaiInstance> instances;
  for_each_csv_file(paths, ',', false, options, out, trace.reports, [&](CsvSource& src) {
    const std::string& path = src.path();
    CsvFile& f = src.file;
    TraceReport& report = src.report;
    // Peek at the first record to recognize the table and a header row, if any.
    CsvReader peek(f.text);
    peek.next();
    const PaiTable table = pai_table_of(path, peek.size());
    const std::vector<std::string>* names = nullptr;
    switch (table) {
      case PaiTable::kMachineSpec:
        names = &kPaiSpec;
        break;
      case PaiTable::kTask:
        names = &kPaiTask;
        break;
      case PaiTable::kInstance:
        names = &kPaiInstance;
        break;
      case PaiTable::kJob:
        names = &kPaiJob;
        break;
      case PaiTable::kOther:
        out.add({path, 0, 0, "", "this PAI table is not part of the cluster trace import",
                 "give pai_machine_spec, pai_task_table, pai_instance_table or pai_job_table"});
        break;
      case PaiTable::kUnknown:
        out.add({path, peek.line(), 0, "",
                 "not a PAI v2020 table: expected 5 (machine_spec), 10 (task), 9 (instance) or "
                 "6 (job) columns, found " +
                     std::to_string(peek.size()),
                 "PAI tables have no header row; name files as in the dataset "
                 "(pai_task_table.csv, ...)"});
        break;
    }
    if (names == nullptr) return;
    f.header = Header(*names);
    // A header row written by the user (the dataset ships headers separately) is skipped.
    if (peek.size() > 0 && trim(peek[0]) == (*names)[0]) f.reader->next();
    RowErrors errors(path, options, out, report);
    const auto& h = f.header;
    if (table == PaiTable::kMachineSpec) {
      for_each_row(*f.reader, h, errors, options, report, [&](Row& row) {
        TraceNode node;
        node.line = row.line();
        node.name = row.text(0, true);
        const std::string type = row.text(1);
        node.cpu_milli = static_cast<std::int64_t>(std::llround(row.number(2, 0, 1e9) * 1000));
        node.memory_bytes =
            static_cast<std::int64_t>(std::llround(row.number(3, 0, kMaxGiB) * kGiB));
        node.gpu_count = static_cast<std::int32_t>(row.integer(4, 0, kMaxGpus));
        if (node.gpu_count > 0) node.gpu_model = type;
        if (!type.empty()) node.labels.emplace_back("alibaba.com/gpu-type", type);
        if (row.finish()) trace.nodes.push_back(std::move(node));
      });
    } else if (table == PaiTable::kTask) {
      for_each_row(*f.reader, h, errors, options, report, [&](Row& row) {
        PaiTask task;
        const std::string job = row.text(0, true);
        const std::string name = row.text(1, true);
        task.inst_num = static_cast<std::int32_t>(row.integer(2, 1, 100'000));
        task.pod.phase = row.text(3);
        const auto start = row.optional_number(4, 0, 9.2e9);
        const auto end = row.optional_number(5, 0, 9.2e9);
        task.pod.cpu_milli = static_cast<std::int64_t>(
            std::llround(row.optional_number(6, 0, 1e11).value_or(0) * 10));
        task.pod.memory_bytes = static_cast<std::int64_t>(
            std::llround(row.optional_number(7, 0, kMaxGiB).value_or(0) * kGiB));
        set_pai_gpu(task.pod, row.optional_number(8, 0, 1e8).value_or(0));
        const std::string model = row.text(9);
        if (!model.empty() && task.pod.num_gpu > 0) task.pod.gpu_models = {model};
        if (start) task.start_ns = seconds_to_ns(*start);
        if (end) task.end_ns = seconds_to_ns(*end);
        if (row.ok() && start && end && *end < *start)
          row.fail_at(5, "end_time is before start_time");
        if (row.ok() && !start) {
          row.fail_at(4, "start_time is empty", "a task that never started cannot be replayed");
        }
        const std::string key = job + "/" + name;
        if (row.ok() && task_index.count(key)) {
          row.fail_at(1, "task " + key + " appears twice",
                      "each (job_name, task_name) is one task");
        }
        task.pod.line = row.line();
        task.pod.group = key;
        task.pod.group_size = task.inst_num;
        if (row.finish()) {
          task_index.emplace(key, tasks.size());
          tasks.emplace_back(key, std::move(task));
        }
      });
    } else if (table == PaiTable::kInstance) {
      for_each_row(*f.reader, h, errors, options, report, [&](Row& row) {
        PaiInstance inst;
        inst.key = row.text(0, true) + "/" + row.text(1, true);
        inst.pod.name = row.text(2, true);
        inst.pod.phase = row.text(5);
        const auto start = row.optional_number(6, 0, 9.2e9);
        const auto end = row.optional_number(7, 0, 9.2e9);
        if (row.ok() && !start) row.fail_at(6, "start_time is empty");
        if (row.ok() && end && *end < *start) row.fail_at(7, "end_time is before start_time");
        if (start) inst.start_ns = seconds_to_ns(*start);
        if (end) inst.end_ns = seconds_to_ns(*end);
        inst.pod.line = row.line();
        inst.file = path;
        inst.report = trace.reports.size();
        if (row.finish()) instances.push_back(std::move(inst));
      });
    } else {  // job table: validated; it carries no resources (see docs/traces.md)
      for_each_row(*f.reader, h, errors, options, report, [&](Row& row) {
        row.text(0, true);
        row.text(2);
        row.text(3);
        row.optional_number(4, 0, 9.2e9);
        row.optional_number(5, 0, 9.2e9);
        row.finish();
      });
    }
  });
  if (tasks.empty() && !instances.empty()) {
    out.add({instances.front().file, 0, 0, "", "instance table given without a task table",
             "instances take their resources from pai_task_table"});
    return false;
  }

  // Pods: one per instance whose task is known; a task without instances gives inst_num pods
  // over its own start/end.
  std::vector<TracePod> pods;
  std::vector<std::pair<std::optional<std::int64_t>, std::optional<std::int64_t>>> times;
  for (auto& inst : instances) {
    const auto it = task_index.find(inst.key);
    if (it == task_index.end()) {
      Diagnostic d{inst.file,
                   inst.pod.line,
                   0,
                   "task_name",
                   "instance " + inst.pod.name + " belongs to task " + inst.key +
                       ", which is not in the task table",
                   "give the matching pai_task_table"};
      if (options.skip_bad_rows) {
        auto& report = trace.reports[inst.report];
        ++report.skipped;
        if (report.skipped_rows.size() < 20) report.skipped_rows.push_back(std::move(d));
      } else {
        out.add(std::move(d));
      }
      continue;
    }
    PaiTask& task = tasks[it->second].second;
    ++task.instances_seen;
    TracePod pod = task.pod;
    pod.name = inst.pod.name;
    pod.phase = inst.pod.phase;
    pod.line = inst.pod.line;
    pods.push_back(std::move(pod));
    times.emplace_back(inst.start_ns, inst.end_ns);
  }
  for (auto& [key, task] : tasks) {
    if (task.instances_seen > 0) continue;
    for (std::int32_t i = 0; i < task.inst_num; ++i) {
      TracePod pod = task.pod;
      pod.name = key + "/" + std::to_string(i);
      pods.push_back(std::move(pod));
      times.emplace_back(task.start_ns, task.end_ns);
    }
  }
  // Time origin: the earliest start among the imported pods.
  std::int64_t origin = std::numeric_limits<std::int64_t>::max();
  for (const auto& t : times) {
    if (t.first) origin = std::min(origin, *t.first);
  }
  for (std::size_t i = 0; i < pods.size(); ++i) {
    pods[i].creation = times[i].first.value_or(origin) - origin;
    pods[i].scheduled = pods[i].creation;
    if (times[i].second) pods[i].deletion = *times[i].second - origin;
    trace.pods.push_back(std::move(pods[i]));
  }
  return true;
}

// ---- DLRM 2025 --------------------------------------------------------------------------

bool load_dlrm_2025(const std::vector<std::string>& paths, const TraceOptions& options,
                    Diagnostics& out, ClusterTrace& trace) {
  for_each_csv_file(paths, ',', true, options, out, trace.reports, [&](CsvSource& src) {
    const auto& h = src.header();
    const int c_name = src.require("instance_sn");
    const int c_role = src.require("role");
    const int c_app = src.require("app_name");
    const int c_cpu = src.require("cpu_request");
    const int c_gpu = src.require("gpu_request");
    const int c_mem = src.require("memory_request");
    const int c_creation = src.require("creation_time");
    const int c_scheduled = src.require("scheduled_time");
    const int c_deletion = src.require("deletion_time");
    const int c_max = h.index("max_instance_per_node");
    const int c_rdma = h.index("rdma_request");
    if (c_name >= 0 && c_role >= 0 && c_app >= 0 && c_cpu >= 0 && c_gpu >= 0 && c_mem >= 0 &&
        c_creation >= 0 && c_scheduled >= 0 && c_deletion >= 0) {
      trace.pods.reserve(trace.pods.size() + src.file.text.size() / 80);
      src.rows([&](Row& row) {
        TracePod pod;
        pod.line = row.line();
        pod.name = row.text(c_name, true);
        const std::string role = row.text(c_role);
        pod.group = row.text(c_app);
        pod.cpu_milli = static_cast<std::int64_t>(std::llround(row.number(c_cpu, 0, 1e9) * 1000));
        const double gpus = row.number(c_gpu, 0, static_cast<double>(kMaxGpus));
        if (gpus > 0 && gpus < 1) {
          pod.num_gpu = 1;
          pod.gpu_milli = static_cast<std::int32_t>(std::lround(gpus * 1000));
        } else if (gpus >= 1) {
          if (row.ok() && gpus != std::floor(gpus)) {
            row.fail_at(c_gpu, "a request above one GPU must be whole GPUs");
          }
          pod.num_gpu = static_cast<std::int32_t>(gpus);
          pod.gpu_milli = 1000;
        }
        pod.memory_bytes =
            static_cast<std::int64_t>(std::llround(row.number(c_mem, 0, kMaxGiB) * kGiB));
        // Instances without a creation time were running when the trace began.
        pod.creation = row.optional_seconds(c_creation).value_or(0);
        pod.scheduled = row.optional_seconds(c_scheduled);
        pod.deletion = row.optional_seconds(c_deletion);
        if (row.ok() && pod.deletion && *pod.deletion < pod.creation) {
          row.fail_at(c_deletion, "deletion_time is before creation_time");
        }
        if (!role.empty()) pod.labels.emplace_back("alibaba.com/role", role);
        if (c_max >= 0 && !row.empty(c_max)) {
          pod.labels.emplace_back("alibaba.com/max-instance-per-node",
                                  std::to_string(row.integer(c_max, -1, 1'000'000)));
        }
        if (c_rdma >= 0 && !row.empty(c_rdma)) {
          pod.labels.emplace_back("alibaba.com/rdma-request",
                                  std::to_string(row.integer(c_rdma, 0, 1'000'000)));
        }
        if (row.finish()) trace.pods.push_back(std::move(pod));
      });
    }
  });
  return true;
}

// ---- Spot GPU 2026 node list --------------------------------------------------------------

bool load_spot_2026(const std::vector<std::string>& paths, const TraceOptions& options,
                    Diagnostics& out, ClusterTrace& trace) {
  for_each_csv_file(paths, ',', true, options, out, trace.reports, [&](CsvSource& src) {
    const int c_model = src.require("gpu_model");
    const int c_gpu = src.require("gpu_capacity_num");
    const int c_cpu = src.require("cpu_num");
    const int c_name = src.require("node_name");
    if (c_model >= 0 && c_gpu >= 0 && c_cpu >= 0 && c_name >= 0) {
      src.rows([&](Row& row) {
        TraceNode node;
        node.line = row.line();
        node.name = "spot-node-" + row.text(c_name, true);
        node.gpu_model = row.text(c_model);
        node.gpu_count = static_cast<std::int32_t>(row.integer(c_gpu, 0, kMaxGpus));
        node.cpu_milli = row.integer(c_cpu, 0, kMaxMilli / 1000) * 1000;
        if (!node.gpu_model.empty()) node.labels.emplace_back(kGpuModelLabel, node.gpu_model);
        if (row.finish()) trace.nodes.push_back(std::move(node));
      });
    }
  });
  return true;
}

}  // namespace kubesim::scenarios::traces::detail
