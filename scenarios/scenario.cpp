#include "scenarios/scenario.hpp"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "models/resources.hpp"
#include "scenarios/distribution_reader.hpp"
#include "scenarios/manifests.hpp"
#include "scenarios/scheduler_config.hpp"
#include "scenarios/yaml_reader.hpp"

namespace kubesim::scenarios {
namespace {

constexpr std::int64_t kMaxInt = std::numeric_limits<std::int64_t>::max();

// ---- overrides ------------------------------------------------------------------------

struct PathSegment {
  std::string key;
  std::optional<std::size_t> index;
};

// "spec.workloads[0].servers" -> {spec}, {workloads, 0}, {servers}
std::optional<std::vector<PathSegment>> split_path(const std::string& path, std::string* why) {
  std::vector<PathSegment> out;
  std::size_t i = 0;
  while (i <= path.size()) {
    const std::size_t dot = path.find('.', i);
    std::string part = path.substr(i, dot == std::string::npos ? std::string::npos : dot - i);
    PathSegment seg;
    const std::size_t bracket = part.find('[');
    if (bracket != std::string::npos) {
      if (part.back() != ']') {
        *why = "unclosed '[' in \"" + part + "\"";
        return std::nullopt;
      }
      const std::string idx = part.substr(bracket + 1, part.size() - bracket - 2);
      if (idx.empty() || idx.find_first_not_of("0123456789") != std::string::npos) {
        *why = "list index must be a number, got \"" + idx + "\"";
        return std::nullopt;
      }
      std::size_t index = 0;
      const auto [end, ec] = std::from_chars(idx.data(), idx.data() + idx.size(), index);
      if (ec != std::errc() || end != idx.data() + idx.size()) {
        *why = "list index " + idx + " is out of range";
        return std::nullopt;
      }
      seg.index = index;
      part = part.substr(0, bracket);
    }
    if (part.empty()) {
      *why = "empty path segment";
      return std::nullopt;
    }
    seg.key = part;
    out.push_back(seg);
    if (dot == std::string::npos) break;
    i = dot + 1;
  }
  return out;
}

// Applies one assignment to the tree. Returns the field path the override put in the tree
// (the shallowest key it created, or the path it replaced), or nullopt after a diagnostic.
std::optional<std::string> apply_override(YAML::Node root, const std::string& assignment,
                                          const std::string& file, Diagnostics& diagnostics) {
  auto fail = [&](const std::string& msg, const std::string& hint = {}) {
    diagnostics.add(Diagnostic{file, 0, 0, "--set " + assignment, msg, hint});
  };
  const std::size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    fail("expected path=value", "e.g. --set spec.duration=2h");
    return std::nullopt;
  }
  std::string path = assignment.substr(0, eq);
  const std::string value_text = assignment.substr(eq + 1);
  std::string why;
  auto segments = split_path(path, &why);
  if (!segments) {
    fail(why);
    return std::nullopt;
  }
  static const std::vector<std::string> kTop = {"apiVersion", "kind", "metadata", "spec"};
  if (std::find(kTop.begin(), kTop.end(), (*segments)[0].key) == kTop.end()) {
    segments->insert(segments->begin(), PathSegment{"spec", std::nullopt});
  }
  YAML::Node value;
  {
    Diagnostics parse;
    auto docs = load_yaml_documents(value_text, "--set " + assignment, parse);
    if (!docs) {
      fail("value is not valid YAML: " + parse.items().front().message);
      return std::nullopt;
    }
    if (docs->size() > 1) {
      fail("the value holds more than one YAML document");
      return std::nullopt;
    }
    if (!docs->empty()) value = docs->front();
  }
  // Walk with Node handles (yaml-cpp nodes are references into the tree). Reassigning a
  // yaml-cpp Node variable rebinds content rather than the handle, so keep a stack.
  std::vector<YAML::Node> chain{root};
  std::string walked;
  std::string created;  // the first key this override adds to the tree, if any
  for (std::size_t i = 0; i < segments->size(); ++i) {
    const PathSegment& seg = (*segments)[i];
    const bool last = i + 1 == segments->size();
    YAML::Node current = chain.back();
    walked += (walked.empty() ? "" : ".") + seg.key;
    if (!current.IsMap() && !current.IsNull()) {
      fail("\"" + walked + "\" is inside a value that is not a mapping");
      return std::nullopt;
    }
    YAML::Node child = current[seg.key];
    if (created.empty() && !child.IsDefined()) created = walked;
    if (seg.index) {
      if (!child.IsSequence()) {
        fail("\"" + walked + "\" is not a list");
        return std::nullopt;
      }
      if (*seg.index >= child.size()) {
        fail("index " + std::to_string(*seg.index) + " is out of range: \"" + walked + "\" has " +
             std::to_string(child.size()) + " items");
        return std::nullopt;
      }
      walked += "[" + std::to_string(*seg.index) + "]";
      YAML::Node item = child[*seg.index];
      if (last) {
        child[*seg.index] = value;
      } else {
        chain.push_back(item);
      }
    } else if (last) {
      current[seg.key] = value;
    } else {
      if (!child.IsDefined() || child.IsNull()) current[seg.key] = YAML::Node(YAML::NodeType::Map);
      chain.push_back(current[seg.key]);
    }
  }
  return created.empty() ? walked : created;
}

// True when `path` is `prefix` or a field or item beneath it.
bool is_same_or_under(const std::string& path, const std::string& prefix) {
  if (path.compare(0, prefix.size(), prefix) != 0) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[';
}

// ---- schema ---------------------------------------------------------------------------

// A workload name can prefix metric names and CSV column names (sim/sampler.hpp forbids
// ',' and '"' there): non-empty, printable, no spaces, commas or quotes.
bool is_metric_prefix(const std::string& name) {
  if (name.empty()) return false;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || u == 0x7f || c == ',' || c == '"') return false;
  }
  return true;
}

std::optional<models::RequestQueueConfig> read_request_queue(FieldReader& w,
                                                             const std::string& name) {
  models::RequestQueueConfig q;
  q.name = name;
  bool ok = true;
  if (auto arrivals = w.map("arrivals", true)) {
    auto process = arrivals->one_of("process", {"poisson", "constant"}, true);
    auto rate = arrivals->number("rate", 1e-9, 1e9, true);
    if (process && rate) {
      q.arrivals.kind = *process == "poisson" ? models::ArrivalProcess::Kind::kPoisson
                                              : models::ArrivalProcess::Kind::kConstant;
      q.arrivals.rate_per_second = *rate;
    } else {
      ok = false;
    }
    arrivals->finish();
  } else {
    ok = false;
  }
  if (auto st = read_duration_distribution(w, "serviceTime", true)) {
    q.service_time = *st;
  } else {
    ok = false;
  }
  q.servers = static_cast<int>(w.integer("servers", 1, 1'000'000).value_or(1));
  q.queue_limit = w.integer("queueLimit", -1, kMaxInt).value_or(-1);
  q.timeout = w.duration("timeout", 0).value_or(0);
  if (!ok) return std::nullopt;
  return q;
}

std::optional<Scenario> read_scenario(const YAML::Node& doc, const std::string& file,
                                      Diagnostics& diagnostics) {
  const std::size_t errors_before = diagnostics.size();
  FieldReader top(doc, "", file, &diagnostics);
  if (!top.expect_map()) return std::nullopt;
  Scenario s;
  if (auto api = top.string("apiVersion", true); api && *api != kScenarioApiVersion) {
    top.error("apiVersion", "unsupported apiVersion \"" + *api + "\"",
              std::string("this kubesim reads ") + kScenarioApiVersion);
  }
  // The document was picked for kind: Scenario, but an override may have changed it.
  if (auto kind = top.string("kind", true); kind && *kind != "Scenario") {
    top.error("kind", "kind \"" + *kind + "\" is not supported here; expected Scenario");
  }
  if (auto meta = top.map("metadata", true)) {
    if (auto name = meta->string("name", true)) {
      s.name = *name;
      if (s.name.empty() || s.name.find_first_of("/\\ \t") != std::string::npos || s.name == "." ||
          s.name == "..") {
        meta->error("name", "must be non-empty, without spaces or slashes, and not . or ..",
                    "the name is the default run directory, runs/<name>");
      }
    }
    s.description = meta->string("description").value_or("");
    meta->finish();
  }
  if (auto spec = top.map("spec", true)) {
    if (auto seed = spec->integer("seed", 0, kMaxInt)) s.seed = static_cast<std::uint64_t>(*seed);
    if (auto d = spec->duration("duration", 1, true)) s.duration = *d;
    if (auto si = spec->duration("sampleInterval", sim::kMillisecond)) s.sample_interval = *si;
    if (auto start = spec->string("startTime")) {
      if (auto t = parse_rfc3339(*start)) {
        s.start_time_unix_ns = *t;
      } else {
        spec->error("startTime", "\"" + *start + "\" is not an RFC 3339 time",
                    "e.g. 2026-11-23T09:00:00Z");
      }
    }
    const std::string base_dir = std::filesystem::path(file).parent_path().string();
    if (auto cluster = spec->map("cluster")) s.cluster = read_cluster_spec(*cluster, base_dir);
    if (auto cp = spec->map("controlPlane")) {
      s.control_plane = read_control_plane_spec(*cp, base_dir);
    } else {
      s.control_plane.scheduler = default_scheduler_config();
    }
    if (auto faults = spec->list_of_maps("faults")) {
      s.faults = read_faults(*faults, s.cluster ? &*s.cluster : nullptr, s.control_plane);
    }
    if (auto manifests = spec->raw("manifests")) {
      if (!manifests->IsSequence()) {
        spec->error("manifests", "expected a list of files or directories");
      } else {
        for (const auto& m : *manifests) {
          if (!m.IsScalar() || m.Scalar().empty()) {
            spec->error("manifests", "each entry is a file or directory path");
            continue;
          }
          std::filesystem::path path(m.Scalar());
          if (path.is_relative()) path = std::filesystem::path(base_dir) / path;
          s.manifest_paths.push_back(path.lexically_normal().string());
        }
      }
    }
    if (auto autoscaling = spec->map("autoscaling")) {
      s.autoscaling = read_autoscaling_spec(*autoscaling);
    }
    if (auto outputs = spec->map("outputs")) {
      s.events_jsonl = outputs->boolean("eventsJsonl").value_or(false);
      outputs->finish();
    }
    if (!s.cluster && (!s.faults.empty() || !s.manifest_paths.empty())) {
      spec->error_here("faults and manifests need a cluster", "add spec.cluster.nodePools");
    }
    if (auto workloads = spec->list_of_maps("workloads")) {
      std::vector<std::string> names;
      for (auto& w : *workloads) {
        auto name = w.string("name", true);
        auto type =
            w.one_of("type", {"requestQueue", "podTrace", "traffic", "trainingJobs"}, true);
        if (name && !is_metric_prefix(*name)) {
          w.error("name", "must be non-empty, without spaces, commas or quotes",
                  "the name prefixes the workload's metrics and timeseries.csv columns");
          name.reset();
        }
        if (name) {
          if (std::find(names.begin(), names.end(), *name) != names.end()) {
            w.error("name", "duplicate workload name \"" + *name + "\"");
          }
          names.push_back(*name);
        }
        if (name && type && *type == "requestQueue") {
          if (auto q = read_request_queue(w, *name)) s.request_queues.push_back(std::move(*q));
        } else if (name && type && *type == "podTrace") {
          if (!s.cluster) {
            w.error("type", "a podTrace workload needs a cluster", "add spec.cluster");
          }
          if (auto t = read_pod_trace(w, *name, base_dir)) s.pod_traces.push_back(std::move(*t));
        } else if (name && type && *type == "traffic") {
          if (!s.cluster) {
            w.error("type", "a traffic workload needs a cluster", "add spec.cluster");
          }
          if (auto t = read_traffic_workload(w, *name, base_dir)) s.traffic.push_back(std::move(*t));
        } else if (name && type && *type == "trainingJobs") {
          if (!s.cluster) {
            w.error("type", "a trainingJobs workload needs a cluster", "add spec.cluster");
          }
          if (auto t = read_training_jobs(w, *name, base_dir)) {
            s.training_jobs.push_back(std::move(*t));
          }
        } else {
          mark_traffic_fields(w);
          // Still mark this workload's other fields, so only real typos are reported.
          w.raw("arrivals");
          w.raw("serviceTime");
          w.raw("servers");
          w.raw("queueLimit");
          w.raw("timeout");
        }
        w.finish();
      }
    }
    spec->finish();
  }
  top.finish();
  if (diagnostics.size() != errors_before) return std::nullopt;
  return s;
}

}  // namespace

std::string sha256_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::optional<Scenario> load_scenario_text(const std::string& text, const std::string& file,
                                           const std::vector<std::string>& overrides,
                                           Diagnostics& diagnostics) {
  auto loaded = load_yaml_documents(text, file, diagnostics);
  if (!loaded) return std::nullopt;
  const std::vector<YAML::Node>& docs = *loaded;
  std::optional<YAML::Node> scenario_doc;
  bool has_manifests = false;
  for (const YAML::Node& doc : docs) {
    if (doc.IsNull()) continue;  // an empty document between '---' separators
    auto [line, column] = location_of(doc);
    // A missing key gives an invalid node, on which only IsDefined() is safe to call.
    const YAML::Node kind_node = doc.IsMap() ? doc["kind"] : YAML::Node();
    const std::string kind =
        kind_node.IsDefined() && kind_node.IsScalar() ? kind_node.Scalar() : "";
    if (kind == "Scenario") {
      if (scenario_doc) {
        diagnostics.add(Diagnostic{file, line, column, "kind",
                                   "a second Scenario document; a file holds exactly one", ""});
        continue;
      }
      scenario_doc = doc;
    } else if (kind.empty()) {
      diagnostics.add(Diagnostic{file, line, column, "kind",
                                 "document has no kind; expected kind: Scenario or a "
                                 "Kubernetes manifest",
                                 ""});
    } else {
      has_manifests = true;  // read below, with the manifest reader's own checks
    }
  }
  if (!scenario_doc) {
    if (diagnostics.empty()) {
      diagnostics.add(Diagnostic{file, 1, 1, "", "no Scenario document found",
                                 "start the file with apiVersion: kubesim.io/v1alpha1 and "
                                 "kind: Scenario"});
    }
    return std::nullopt;
  }
  std::vector<std::pair<std::string, std::string>> applied;  // (field path, assignment)
  for (const auto& o : overrides) {
    if (auto path = apply_override(*scenario_doc, o, file, diagnostics)) {
      applied.emplace_back(*path, o);
    }
  }
  if (!diagnostics.empty()) return std::nullopt;
  Diagnostics found;
  auto scenario = read_scenario(*scenario_doc, file, found);
  // A problem in a value that came from --set has no position in the file (yaml-cpp marks
  // an override's nodes at 1:1 of its own text, or not at all): say which --set it was.
  for (Diagnostic d : found.items()) {
    for (auto it = applied.rbegin(); it != applied.rend(); ++it) {
      if (is_same_or_under(d.path, it->first)) {
        d.line = 0;
        d.column = 0;
        if (!d.hint.empty()) d.hint += "; ";
        d.hint += "from --set ";
        d.hint += it->second;
        break;
      }
    }
    diagnostics.add(std::move(d));
  }
  if (!scenario || !diagnostics.empty()) return std::nullopt;
  // The Kubernetes objects: this file's other documents, then spec.manifests in order.
  if (has_manifests) read_manifests_text(text, file, scenario->manifests, diagnostics);
  for (const auto& path : scenario->manifest_paths) {
    read_manifests_path(path, scenario->manifests, diagnostics);
  }
  if (!diagnostics.empty()) return std::nullopt;
  if (scenario->cluster) {
    std::set<std::string> nodes;
    for (const auto& pool : scenario->cluster->node_pools) {
      for (std::int32_t i = 0; i < pool.count; ++i) nodes.insert(pool.name + "-" + std::to_string(i));
    }
    for (const auto& n : scenario->manifests.nodes) nodes.insert(n.metadata.name);
    for (const auto& t : scenario->cluster->trace_nodes) {
      for (const auto& n : t.trace.nodes) nodes.insert(n.name);
    }
    for (const auto& f : scenario->faults) {
      for (const auto& n : f.nodes) {
        if (nodes.count(n) == 0) {
          diagnostics.add(Diagnostic{file, 0, 0, f.path + ".nodes",
                                     "no node \"" + n + "\" in the cluster",
                                     "pool nodes are named <pool>-<index>, from 0"});
        }
      }
    }
    // Only Deployments may appear again with a later kubesim.io/apply-at (a scale or a
    // rollout); any other second version would fail at run time with AlreadyExists.
    auto check_single = [&](const auto& objects, const char* kind) {
      std::set<std::string> seen;
      for (const auto& o : objects) {
        const std::string key = o.metadata.namespace_ + "/" + o.metadata.name;
        if (!seen.insert(key).second) {
          diagnostics.add(Diagnostic{file, 0, 0, std::string(kind) + " " + key,
                                     "a second version of this object",
                                     "only Deployments can be re-applied with kubesim.io/apply-at"});
        }
      }
    };
    check_single(scenario->manifests.pods, "Pod");
    check_single(scenario->manifests.jobs, "Job");
    check_single(scenario->manifests.replica_sets, "ReplicaSet");
    check_single(scenario->manifests.services, "Service");
    check_single(scenario->manifests.nodes, "Node");
    check_single(scenario->manifests.namespaces, "Namespace");
    check_single(scenario->manifests.priority_classes, "PriorityClass");
    // A traffic workload's Service must be one of the scenario's manifests, or the Service
    // an AIService's operator creates (named after the AIService).
    for (const auto& t : scenario->traffic) {
      if (t.via_ingress()) {  // the Ingress and its controller's Service (traffic_reader.hpp)
        check_ingress_references(t, scenario->manifests, file, diagnostics);
        continue;
      }
      std::vector<std::string> names;
      for (const auto& svc : scenario->manifests.services) {
        names.push_back(svc.metadata.namespace_ + "/" + svc.metadata.name);
      }
      for (const auto& ai : scenario->manifests.aiservices) {
        names.push_back(ai.metadata.namespace_ + "/" + ai.metadata.name);
      }
      check_reference(names, t.service_namespace + "/" + t.service_name, "Service", "Services", "",
                      t.path + ".service", file, diagnostics);
    }
    // kubesim's own annotations hold durations.
    auto check_annotations = [&](const models::ObjectMeta& meta, const std::string& where) {
      for (const char* key : {"kubesim.io/apply-at", "kubesim.io/ready-after"}) {
        if (const std::string* v = meta.annotations.find(key)) {
          auto d = sim::parse_duration(*v);
          if (!d.ok() || d.value() < 0) {
            diagnostics.add(Diagnostic{file, 0, 0, where + " annotation " + key,
                                       "\"" + *v + "\" is not a duration", "e.g. 90s, 5m, 1h30m"});
          }
        }
      }
      // ... and quantities: the constant usage metrics-server reports for the pod.
      for (const auto& [key, resource] : {std::pair{"kubesim.io/cpu-usage", "cpu"},
                                          std::pair{"kubesim.io/memory-usage", "memory"}}) {
        if (const std::string* v = meta.annotations.find(key)) {
          auto q = models::parse_resource_value(resource, *v);
          if (!q.ok() || q.value() < 0) {
            diagnostics.add(Diagnostic{file, 0, 0, where + " annotation " + key,
                                       "\"" + *v + "\" is not a " + resource + " quantity",
                                       "e.g. 250m or 1 for cpu, 512Mi for memory"});
          }
        }
      }
    };
    for (const auto& o : scenario->manifests.deployments) {
      check_annotations(o.metadata, "Deployment " + o.metadata.name);
      check_annotations(o.spec.template_.metadata, "Deployment " + o.metadata.name + " template");
    }
    for (const auto& o : scenario->manifests.jobs) {
      check_annotations(o.metadata, "Job " + o.metadata.name);
      check_annotations(o.spec.template_.metadata, "Job " + o.metadata.name + " template");
    }
    for (const auto& o : scenario->manifests.replica_sets) {
      check_annotations(o.metadata, "ReplicaSet " + o.metadata.name);
      check_annotations(o.spec.template_.metadata, "ReplicaSet " + o.metadata.name + " template");
    }
    for (const auto& o : scenario->manifests.pods) check_annotations(o.metadata, "Pod " + o.metadata.name);
    if (!diagnostics.empty()) return std::nullopt;
  }
  if (!scenario->cluster && scenario->manifests.object_count() > 0) {
    diagnostics.add(Diagnostic{file, 0, 0, "spec.cluster",
                               "the file holds Kubernetes objects but the scenario has no cluster",
                               "add spec.cluster.nodePools"});
    return std::nullopt;
  }
  std::string hashed = text;
  for (const auto& o : overrides) hashed += std::string("\n--set ") + o;
  // The manifest files are part of the scenario: their bytes enter the hash too.
  for (const auto& path : scenario->manifest_paths) {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      for (const auto& e : std::filesystem::directory_iterator(path, ec)) {
        const auto ext = e.path().extension();
        if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) {
          files.push_back(e.path());
        }
      }
      std::sort(files.begin(), files.end());
    } else {
      files.emplace_back(path);
    }
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      std::ostringstream bytes;
      bytes << in.rdbuf();
      hashed += "\n--- " + f.filename().string() + "\n" + bytes.str();
    }
  }
  // So are the trace files.
  std::vector<std::string> trace_files;
  if (scenario->cluster) {
    for (const auto& t : scenario->cluster->trace_nodes) {
      trace_files.insert(trace_files.end(), t.source.paths.begin(), t.source.paths.end());
    }
  }
  for (const auto& t : scenario->pod_traces) {
    trace_files.insert(trace_files.end(), t.source.paths.begin(), t.source.paths.end());
  }
  for (const auto& t : scenario->traffic) {
    trace_files.insert(trace_files.end(), t.trace_paths.begin(), t.trace_paths.end());
  }
  for (const auto& t : scenario->training_jobs) {
    if (!t.source_path.empty()) trace_files.push_back(t.source_path);
  }
  for (const auto& f : trace_files) {
    std::ifstream in(f, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    hashed += "\n--- " + std::filesystem::path(f).filename().string() + "\n" + bytes.str();
  }
  scenario->sha256 = sha256_hex(hashed);
  scenario->source_file = file;
  return scenario;
}

std::optional<Scenario> load_scenario_file(const std::string& path,
                                           const std::vector<std::string>& overrides,
                                           Diagnostics& diagnostics) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    diagnostics.add(Diagnostic{path, 0, 0, "", "is a directory, not a scenario file",
                               "examples are in scenarios/examples/"});
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diagnostics.add(Diagnostic{path, 0, 0, "", "cannot open the scenario file",
                               "check the path; examples are in scenarios/examples/"});
    return std::nullopt;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return load_scenario_text(buffer.str(), path, overrides, diagnostics);
}

}  // namespace kubesim::scenarios
