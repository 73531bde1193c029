#include "scenarios/trace_workload.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include "models/workloads.hpp"
#include "scenarios/trace_common.hpp"
#include "scenarios/yaml_reader.hpp"

namespace kubesim::scenarios {

namespace {

std::string resolve(const std::string& base_dir, const std::string& file) {
  std::filesystem::path path(file);
  if (path.is_relative()) path = std::filesystem::path(base_dir) / path;
  return path.lexically_normal().string();
}

// An arrival order CSV: columns pod and base_pod (the row's pod is a clone of base_pod when
// they differ); every base_pod must be a pod of the trace.
bool read_arrival_order(const std::string& path, PodTraceSpec& spec, Diagnostics& out) {
  std::string text;
  if (!traces::detail::read_whole_file(path, text, out)) return false;
  traces::detail::CsvReader csv(text);
  if (!csv.next()) {
    out.add(Diagnostic{path, 1, 1, "arrivalOrderFile", "empty file", "expected columns pod,base_pod"});
    return false;
  }
  const traces::detail::Header header(csv);
  const int pod = header.require("pod", path, csv.line(), out);
  const int base = header.require("base_pod", path, csv.line(), out);
  if (pod < 0 || base < 0) return false;
  std::map<std::string_view, std::uint32_t> rows;
  for (std::uint32_t i = 0; i < spec.trace.pods.size(); ++i) rows.emplace(spec.trace.pods[i].name, i);
  std::set<std::string, std::less<>> seen;
  const std::size_t before = out.size();
  while (csv.next()) {
    const auto need = static_cast<std::size_t>(std::max(pod, base)) + 1;
    if (csv.size() < need) {
      out.add(Diagnostic{path, csv.line(), 1, "arrivalOrderFile", "too few columns", ""});
      continue;
    }
    const std::string name(traces::detail::trim(csv[static_cast<std::size_t>(pod)]));
    const std::string_view base_name = traces::detail::trim(csv[static_cast<std::size_t>(base)]);
    auto it = rows.find(base_name);
    if (it == rows.end()) {
      out.add(Diagnostic{path, csv.line(), base + 1, "arrivalOrderFile",
                         "base_pod \"" + std::string(base_name) + "\" is not in the trace",
                         "the order must come from the same trace file"});
      continue;
    }
    if (name.empty() || !seen.insert(name).second) {
      out.add(Diagnostic{path, csv.line(), pod + 1, "arrivalOrderFile",
                         "pod \"" + name + "\" is empty or appears twice", ""});
      continue;
    }
    spec.arrival_order.emplace_back(name, it->second);
  }
  return out.size() == before;
}

}  // namespace

bool read_node_rank_csv(const std::string& path,
                        std::map<std::string, std::int64_t, std::less<>>& out,
                        Diagnostics& diagnostics) {
  std::string text;
  if (!traces::detail::read_whole_file(path, text, diagnostics)) return false;
  traces::detail::CsvReader csv(text);
  if (!csv.next()) return false;
  const traces::detail::Header header(csv);
  const int node = header.require("node", path, csv.line(), diagnostics);
  const int rank = header.require("rank", path, csv.line(), diagnostics);
  if (node < 0 || rank < 0) return false;
  const std::size_t before = diagnostics.size();
  while (csv.next()) {
    const auto need = static_cast<std::size_t>(std::max(node, rank)) + 1;
    const std::string name(csv.size() >= need ? traces::detail::trim(csv[static_cast<std::size_t>(node)]) : "");
    const auto value = csv.size() >= need
                           ? traces::detail::parse_int(traces::detail::trim(csv[static_cast<std::size_t>(rank)]))
                           : std::nullopt;
    if (name.empty() || !value) {
      diagnostics.add(Diagnostic{path, csv.line(), 1, "nodeRanksFile",
                                 "expected a node name and an integer rank", ""});
      continue;
    }
    if (!out.emplace(name, *value).second) {
      diagnostics.add(Diagnostic{path, csv.line(), node + 1, "nodeRanksFile",
                                 "node " + name + " appears twice", ""});
    }
  }
  return diagnostics.size() == before;
}

std::optional<TraceSource> read_trace_source(FieldReader& r, const std::string& base_dir,
                                             bool requests) {
  TraceSource src;
  const std::size_t errors = r.diagnostics()->size();
  std::vector<std::string> known =
      requests ? traces::request_trace_formats() : traces::cluster_trace_formats();
  auto format = r.one_of("format", known, true);
  auto path = r.string("path");
  std::vector<std::string> paths = r.string_list("paths");
  if (path && !paths.empty()) {
    r.error("paths", "give either path or paths, not both");
  } else if (path) {
    paths.push_back(*path);
  } else if (paths.empty()) {
    r.error_here("a trace needs path or paths", "relative paths are from the scenario file");
  }
  for (const auto& p : paths) src.paths.push_back(resolve(base_dir, p));
  src.options.skip_bad_rows = r.boolean("skipBadRows").value_or(false);
  src.options.max_rows = r.integer("maxRows", 1, INT64_MAX);
  if (auto mapping = r.map("mapping")) {
    if (format && *format != "csv") {
      r.error("mapping", "a column mapping is only used with format: csv");
    } else {
      src.options.mapping = traces::read_csv_mapping(*mapping);
    }
  } else if (format && *format == "csv") {
    r.error_here("format csv needs a column mapping", "see docs/traces.md, generic CSV");
  }
  if (!format || r.diagnostics()->size() != errors) return std::nullopt;
  src.format = *format;
  return src;
}

std::optional<TraceNodesSpec> read_trace_nodes(FieldReader& r, const std::string& base_dir) {
  TraceNodesSpec spec;
  auto src = read_trace_source(r, base_dir);
  if (auto pods = r.integer("maxPods", 1, 100000)) spec.max_pods = static_cast<std::int32_t>(*pods);
  r.finish();
  if (!src) return std::nullopt;
  spec.source = std::move(*src);
  auto trace = traces::load_cluster_trace(spec.source.format, spec.source.paths,
                                          spec.source.options, *r.diagnostics());
  if (!trace) return std::nullopt;
  if (trace->nodes.empty()) {
    r.error_here("the trace holds no nodes",
                 "nodesFrom takes a node list (e.g. openb_node_list_gpu_node.csv)");
    return std::nullopt;
  }
  spec.trace = std::move(*trace);
  return spec;
}

std::optional<PodTraceSpec> read_pod_trace(FieldReader& w, const std::string& name,
                                           const std::string& base_dir) {
  PodTraceSpec spec;
  spec.name = name;
  const std::size_t errors = w.diagnostics()->size();
  std::optional<TraceSource> src;
  if (auto t = w.map("trace", true)) {
    src = read_trace_source(*t, base_dir);
    t->finish();
  }
  spec.namespace_ = w.string("namespace").value_or("default");
  spec.scheduler_name = w.string("schedulerName").value_or("");
  if (auto a = w.one_of("arrivals", {"trace", "sequential"})) {
    spec.arrivals = *a == "trace" ? PodTraceSpec::Arrivals::kTrace
                                  : PodTraceSpec::Arrivals::kSequential;
  }
  if (auto i = w.duration("interval", 1)) {
    if (spec.arrivals != PodTraceSpec::Arrivals::kSequential) {
      w.error("interval", "interval is used with arrivals: sequential");
    }
    spec.interval = *i;
  }
  if (auto s = w.duration("start", 0)) spec.start = *s;
  if (auto c = w.number("timeCompression", 1e-6, 1e9)) {
    if (spec.arrivals != PodTraceSpec::Arrivals::kTrace) {
      w.error("timeCompression", "timeCompression is used with arrivals: trace");
    }
    spec.time_compression = *c;
  }
  if (auto o = w.one_of("order", {"trace", "shuffled"})) {
    spec.order = *o == "trace" ? PodTraceSpec::Order::kTrace : PodTraceSpec::Order::kShuffled;
  }
  spec.inflate_gpu_percent = w.number("inflateGpuPercent", 1, 10000);
  spec.departures = w.boolean("departures").value_or(true);
  if (auto rt = w.duration("runTime", 1)) {
    spec.run_time = *rt;
    if (w.has("departures") && spec.departures) {
      w.error("runTime", "give runTime or departures: true, not both",
              "runTime replaces the trace's deletion times");
    }
    spec.departures = false;
  }
  if (auto f = w.one_of("onUnschedulable", {"retry", "fail"})) spec.fail_unschedulable = *f == "fail";
  auto order_file = w.string("arrivalOrderFile");
  if (order_file && (w.has("order") || w.has("inflateGpuPercent"))) {
    w.error("arrivalOrderFile", "arrivalOrderFile replaces order and inflateGpuPercent",
            "give one or the other");
  } else if (order_file && spec.arrivals != PodTraceSpec::Arrivals::kSequential) {
    w.error("arrivalOrderFile", "an arrival order needs arrivals: sequential",
            "with arrivals: trace the creation times decide the order");
  }
  if (!src || w.diagnostics()->size() != errors) return std::nullopt;
  spec.source = std::move(*src);
  auto trace = traces::load_cluster_trace(spec.source.format, spec.source.paths,
                                          spec.source.options, *w.diagnostics());
  if (!trace) return std::nullopt;
  if (trace->pods.empty()) {
    w.error("trace", "the trace holds no pods", "podTrace takes a pod or job list");
    return std::nullopt;
  }
  spec.trace = std::move(*trace);
  if (order_file && !read_arrival_order(resolve(base_dir, *order_file), spec, *w.diagnostics())) {
    return std::nullopt;
  }
  return spec;
}

models::Node trace_node_to_node(const traces::TraceNode& row, std::int32_t max_pods) {
  models::Node node;
  node.metadata.name = row.name;
  node.metadata.labels.set(std::string(models::kLabelHostname), row.name);
  for (const auto& [k, v] : row.labels) node.metadata.labels.set(k, v);
  if (!row.gpu_model.empty()) {
    node.metadata.labels.set(std::string(models::kLabelGpuProduct), row.gpu_model);
  }
  models::ResourceList r;
  r.cpu_milli = row.cpu_milli;
  r.memory = row.memory_bytes;
  r.pods = max_pods;
  r.gpu = row.gpu_count;
  node.status.capacity = r;
  node.status.allocatable = r;
  return node;
}

models::Pod trace_pod_to_pod(const traces::TracePod& row, const PodTraceSpec& spec,
                             std::string name) {
  models::Pod pod;
  pod.metadata.name = std::move(name);
  pod.metadata.namespace_ = spec.namespace_;
  pod.metadata.labels.set("kubesim.io/workload", spec.name);
  if (!row.qos.empty()) pod.metadata.labels.set("kubesim.io/qos", row.qos);
  if (!spec.scheduler_name.empty()) pod.spec.scheduler_name = spec.scheduler_name;
  models::Container c;
  c.name = "main";
  c.requests.cpu_milli = row.cpu_milli;
  c.requests.memory = row.memory_bytes;
  if (row.num_gpu > 0 && row.gpu_milli > 0) {
    if (row.gpu_milli >= 1000) {
      c.requests.gpu = row.num_gpu;
    } else {
      pod.metadata.annotations.set(std::string(models::kAnnotationGpuMilli),
                                   std::to_string(row.gpu_milli));
    }
    if (!row.gpu_models.empty()) {
      models::NodeSelectorRequirement req;
      req.key = std::string(models::kLabelGpuProduct);
      req.op = models::NodeSelectorOperator::kIn;
      req.values = row.gpu_models;
      models::NodeSelectorTerm term;
      term.match_expressions.push_back(std::move(req));
      models::NodeAffinity affinity;
      affinity.required.emplace();
      affinity.required->node_selector_terms.push_back(std::move(term));
      pod.spec.node_affinity = std::move(affinity);
    }
  }
  pod.spec.containers.push_back(std::move(c));
  if (spec.run_time) {
    pod.spec.restart_policy = models::RestartPolicy::kNever;
    pod.metadata.annotations.set(std::string(models::kRunDurationAnnotation),
                                 sim::format_duration(*spec.run_time));
  }
  if (spec.fail_unschedulable) {
    pod.metadata.annotations.set("kubesim.io/on-unschedulable", "fail");
  }
  return pod;
}

}  // namespace kubesim::scenarios
