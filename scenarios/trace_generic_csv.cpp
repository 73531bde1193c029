// The generic CSV importer: any CSV with a header, mapped column by column onto the trace
// schema by a CsvMapping read from YAML (read_csv_mapping). Fields, units and time origins
// are listed below and in docs/traces.md.
#include <algorithm>
#include <cmath>
#include <limits>

#include "scenarios/trace_common.hpp"
#include "scenarios/traces.hpp"
#include "scenarios/yaml_reader.hpp"

namespace kubesim::scenarios::traces {
namespace {

enum class FieldType {
  kString,
  kCpu,
  kMemory,
  kCount,
  kGpuMilli,
  kTime,
  kDuration,
  kNumber,
  kBool,
  kList,
  kPriority
};

struct FieldSpec {
  const char* name;
  FieldType type;
};

// Per kind, sorted by name.
const std::vector<FieldSpec> kPodFields = {
    {"cpu", FieldType::kCpu},
    {"creation", FieldType::kTime},
    {"deletion", FieldType::kTime},
    {"gpu", FieldType::kCount},
    {"gpu_milli", FieldType::kGpuMilli},
    {"gpu_models", FieldType::kList},
    {"group", FieldType::kString},
    {"group_size", FieldType::kCount},
    {"memory", FieldType::kMemory},
    {"name", FieldType::kString},
    {"phase", FieldType::kString},
    {"priority", FieldType::kPriority},
    {"qos", FieldType::kString},
    {"run_time", FieldType::kDuration},
    {"scheduled", FieldType::kTime},
};
const std::vector<FieldSpec> kNodeFields = {
    {"cost_per_hour", FieldType::kNumber},
    {"cpu", FieldType::kCpu},
    {"gpu", FieldType::kCount},
    {"gpu_model", FieldType::kString},
    {"memory", FieldType::kMemory},
    {"name", FieldType::kString},
    {"spot", FieldType::kBool},
};
const std::vector<FieldSpec> kRequestFields = {
    {"at", FieldType::kTime},
    {"duration", FieldType::kDuration},
    {"input_tokens", FieldType::kCount},
    {"key", FieldType::kString},
    {"output_tokens", FieldType::kCount},
};

const std::vector<FieldSpec>& fields_of(std::string_view kind) {
  if (kind == "nodes") return kNodeFields;
  if (kind == "requests") return kRequestFields;
  return kPodFields;
}

const char* primary_time(std::string_view kind) {
  return kind == "requests" ? "at" : kind == "pods" ? "creation" : "";
}

std::vector<std::string> units_of(FieldType t) {
  switch (t) {
    case FieldType::kCpu:
      return {"cores", "m", "milli"};
    case FieldType::kMemory:
      return {"B", "GB", "GiB", "KB", "KiB", "MB", "MiB", "TB", "TiB"};
    case FieldType::kGpuMilli:
      return {"fraction", "milli", "percent"};
    case FieldType::kTime:
      return {"datetime", "h", "m", "ms", "ns", "s", "us"};
    case FieldType::kDuration:
      return {"h", "m", "ms", "ns", "s", "us"};
    default:
      return {};
  }
}

double memory_factor(std::string_view u) {
  if (u == "KiB") return 1024.0;
  if (u == "MiB") return 1024.0 * 1024;
  if (u == "GiB") return 1024.0 * 1024 * 1024;
  if (u == "TiB") return 1024.0 * 1024 * 1024 * 1024;
  if (u == "KB") return 1e3;
  if (u == "MB") return 1e6;
  if (u == "GB") return 1e9;
  if (u == "TB") return 1e12;
  return 1.0;
}

double seconds_factor(std::string_view u) {
  if (u == "ns") return 1e-9;
  if (u == "us") return 1e-6;
  if (u == "ms") return 1e-3;
  if (u == "m") return 60;
  if (u == "h") return 3600;
  return 1.0;
}

}  // namespace

std::optional<CsvMapping> read_csv_mapping(FieldReader& reader) {
  Diagnostics& diags = *reader.diagnostics();
  const std::size_t before = diags.size();
  if (!reader.expect_map()) return std::nullopt;
  CsvMapping m;
  m.file = reader.file();
  const auto kind = reader.one_of("kind", {"nodes", "pods", "requests"}, true);
  if (const auto d = reader.string("delimiter")) {
    const std::string v = *d == "\\t" ? "\t" : *d;
    if (v.size() != 1 || v == "\"" || v == "\n" || v == "\r") {
      reader.error("delimiter", "delimiter must be one character other than a quote or newline",
                   "e.g. \",\", \";\" or \"\\t\"");
    } else {
      m.delimiter = v[0];
    }
  }
  auto columns = reader.map("columns", true);
  std::optional<YAML::Node> labels = reader.raw("labels");
  reader.finish();
  if (!kind || !columns) return std::nullopt;
  m.kind = *kind;
  const auto& specs = fields_of(m.kind);
  const std::string primary = primary_time(m.kind);
  // Keys that are no field of this kind: reported here with a did-you-mean over the kind's
  // fields (FieldReader::finish only knows the keys asked for).
  if (columns->node().IsMap()) {
    std::vector<std::string> names;
    for (const auto& spec : specs) names.emplace_back(spec.name);
    for (const auto& kv : columns->node()) {
      const std::string key = kv.first.Scalar();
      if (std::find(names.begin(), names.end(), key) != names.end()) continue;
      const std::string guess = did_you_mean(key, names);
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      columns->error(
          key, "unknown field '" + key + "' for kind " + m.kind,
          (guess.empty() ? std::string() : "did you mean '" + guess + "'? ") + "fields: " + list);
      columns->raw(key);
    }
  }
  for (const auto& spec : specs) {
    if (!columns->has(spec.name)) continue;
    CsvColumn col;
    const auto node = columns->node()[spec.name];
    col.line = location_of(node).first;
    if (node.IsScalar()) {
      col.column = *columns->string(spec.name);
    } else {
      auto entry = columns->map(spec.name);
      if (!entry) continue;
      col.column = entry->string("column", true).value_or("");
      const auto units = units_of(spec.type);
      if (units.empty()) {
        if (entry->has("unit"))
          entry->error("unit", std::string("field ") + spec.name + " takes no unit");
      } else {
        col.unit = entry->one_of("unit", units).value_or("");
      }
      if (const auto origin = entry->string("origin")) {
        if (spec.type != FieldType::kTime) {
          entry->error("origin", "only time fields have an origin");
        } else if (spec.name != primary) {
          entry->error("origin",
                       std::string("the time origin is set on '") + primary +
                           "' and shared by every time column",
                       "move origin to " + primary);
        } else if (*origin != "first" && *origin != "zero" && *origin != "min" &&
                   !detail::parse_datetime_ns(*origin)) {
          entry->error("origin", "origin must be first, zero, min or a date and time",
                       "e.g. origin: \"2023-11-16T18:15:46Z\"");
        } else {
          col.origin = *origin;
        }
      }
      col.fallback = entry->string("default");
      entry->finish();
    }
    if (col.column.empty()) continue;
    m.fields.emplace_back(spec.name, std::move(col));
  }
  columns->finish();
  if (labels) {
    if (m.kind != "nodes") {
      reader.error("labels", "labels are read for kind nodes only");
    } else if (!labels->IsMap()) {
      reader.error("labels", "expected a mapping of label key to column");
    } else {
      for (const auto& kv : *labels) {
        if (!kv.second.IsScalar()) {
          reader.error("labels", "each label maps to a column name");
          continue;
        }
        m.labels.emplace_back(kv.first.Scalar(), kv.second.Scalar());
      }
    }
  }
  if (m.kind == "requests" && !m.find("at")) {
    reader.error("columns", "a request mapping needs the 'at' column",
                 "at: {column: ..., unit: s}");
  }
  if (diags.size() != before) return std::nullopt;
  return m;
}

namespace detail {
namespace {

struct BoundColumn {
  const FieldSpec* spec;
  const CsvColumn* column;
  int index;
};

// Converts one cell by the field's type and unit. Time values become ns (since the Unix
// epoch for datetimes, since the unit's zero otherwise).
struct Converted {
  std::int64_t i = 0;
  double d = 0;
  std::string s;
  std::vector<std::string> list;
  bool present = false;
};

Converted convert(Row& row, const BoundColumn& b) {
  Converted c;
  std::string_view cell = row.cell(b.index);
  if (cell.empty() && b.column->fallback) cell = *b.column->fallback;
  if (cell.empty()) return c;
  c.present = true;
  const std::string& unit = b.column->unit;
  auto fail = [&](std::string message, std::string hint = {}) {
    row.fail(b.column->column, std::move(message), std::move(hint));
  };
  auto number = [&](double min, double max) -> std::optional<double> {
    const auto v = parse_double(cell);
    if (!v) {
      fail("expected a number, found \"" + std::string(cell.substr(0, 40)) + "\"");
      return std::nullopt;
    }
    if (*v < min || *v > max) {
      fail("value " + std::string(cell.substr(0, 40)) + " is out of range",
           *v < 0 && min >= 0 ? "negative values are not allowed here" : "");
      return std::nullopt;
    }
    return v;
  };
  switch (b.spec->type) {
    case FieldType::kString:
      if (!valid_utf8(cell)) fail("value is not valid UTF-8", "save the file as UTF-8");
      c.s = std::string(cell);
      break;
    case FieldType::kList:
      if (!valid_utf8(cell)) fail("value is not valid UTF-8", "save the file as UTF-8");
      c.list = split(cell, '|');
      break;
    case FieldType::kCpu:
      if (const auto v = number(0, 1e12))
        c.i = std::llround(unit == "m" || unit == "milli" ? *v : *v * 1000);
      break;
    case FieldType::kMemory:
      if (const auto v = number(0, 9.2e18 / memory_factor(unit)))
        c.i = std::llround(*v * memory_factor(unit));
      break;
    case FieldType::kCount: {
      const auto v = parse_int(cell);
      if (!v)
        fail("expected a whole number, found \"" + std::string(cell.substr(0, 40)) + "\"");
      else if (*v < 0 || *v > 1'000'000'000'000)
        fail("value " + std::to_string(*v) + " is out of range [0, 10^12]",
             *v < 0 ? "negative values are not allowed here" : "");
      else
        c.i = *v;
      break;
    }
    case FieldType::kPriority: {
      const auto v = parse_int(cell);
      if (!v || *v < INT32_MIN || *v > INT32_MAX)
        fail("expected a 32-bit integer priority");
      else
        c.i = *v;
      break;
    }
    case FieldType::kGpuMilli: {
      const double scale = unit == "fraction" ? 1000 : unit == "percent" ? 10 : 1;
      if (const auto v = number(0, 1000 / scale)) c.i = std::llround(*v * scale);
      break;
    }
    case FieldType::kNumber:
      if (const auto v = number(0, 1e300)) c.d = *v;
      break;
    case FieldType::kBool:
      if (cell == "true" || cell == "True" || cell == "1" || cell == "yes")
        c.i = 1;
      else if (cell == "false" || cell == "False" || cell == "0" || cell == "no")
        c.i = 0;
      else
        fail("expected true or false");
      break;
    case FieldType::kTime:
    case FieldType::kDuration:
      if (unit == "datetime") {
        const auto v = parse_datetime_ns(cell);
        if (!v)
          fail("expected a date and time, found \"" + std::string(cell.substr(0, 40)) + "\"",
               "YYYY-MM-DD HH:MM:SS[.fraction][Z|+HH:MM]");
        else
          c.i = *v;
      } else {
        const double f = seconds_factor(unit);
        const double min = b.spec->type == FieldType::kDuration ? 0 : -9.2e9 / f;
        if (const auto v = number(min, 9.2e9 / f)) {
          const auto ns = seconds_to_ns(*v * f);
          if (!ns)
            fail("time is out of range");
          else
            c.i = *ns;
        }
      }
      break;
  }
  return c;
}

bool bind(const CsvMapping& mapping, const CsvFile& f, Diagnostics& out,
          std::vector<BoundColumn>& bound) {
  bool ok = true;
  for (const auto& spec : fields_of(mapping.kind)) {
    const CsvColumn* col = mapping.find(spec.name);
    if (!col) continue;
    const int idx = f.header.index(col->column);
    if (idx < 0 && !col->fallback) {
      f.header.require(col->column, f.path, f.header_line, out);
      ok = false;
      continue;
    }
    bound.push_back({&spec, col, idx});
  }
  return ok;
}

// Resolves the time origin (ns) from the primary time values of the imported rows.
std::int64_t resolve_origin(const CsvColumn* primary, const std::vector<std::int64_t>& values) {
  if (!primary || values.empty()) return 0;
  const std::string& o = primary->origin.empty() ? std::string("first") : primary->origin;
  if (o == "zero") return 0;
  if (o == "first") return values.front();
  if (o == "min") return *std::min_element(values.begin(), values.end());
  const std::int64_t t = parse_datetime_ns(o).value_or(0);
  // A numeric column counts from the Unix epoch when given a datetime origin.
  return t;
}

// a - b, saturated at the int64 range.
std::int64_t minus(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_sub_overflow(a, b, &r)) {
    return b > 0 ? std::numeric_limits<std::int64_t>::min()
                 : std::numeric_limits<std::int64_t>::max();
  }
  return r;
}

template <typename Fn>
bool load_generic(const std::vector<std::string>& paths, const TraceOptions& options,
                  Diagnostics& out, std::vector<TraceReport>& reports, std::string_view want,
                  Fn&& per_file) {
  if (!options.mapping) {
    out.add({"", 0, 0, "mapping", "format csv needs a column mapping",
             "give mapping: {kind: ..., columns: {...}} (see docs/traces.md)"});
    return false;
  }
  const CsvMapping& m = *options.mapping;
  if (m.kind != want && !(want == "cluster" && (m.kind == "pods" || m.kind == "nodes"))) {
    out.add({m.file, 0, 0, "mapping.kind",
             "mapping kind '" + m.kind + "' does not fit a " + std::string(want) + " trace",
             want == "cluster" ? "use kind pods or nodes" : "use kind requests"});
    return false;
  }
  for_each_csv_file(paths, m.delimiter, true, options, out, reports, [&](CsvSource& src) {
    std::vector<BoundColumn> bound;
    if (!bind(m, src.file, out, bound)) return;
    RowErrors errors(src.path(), options, out, src.report);
    per_file(src.file, bound, errors, src.report);
  });
  return true;
}

}  // namespace

bool load_generic_csv_cluster(const std::vector<std::string>& paths, const TraceOptions& options,
                              Diagnostics& out, ClusterTrace& trace) {
  return load_generic(
      paths, options, out, trace.reports, "cluster",
      [&](CsvFile& f, const std::vector<BoundColumn>& bound, RowErrors& errors,
          TraceReport& report) {
        const CsvMapping& m = *options.mapping;
        const std::string base = stem(f.path);
        std::vector<std::pair<int, std::string>> label_columns;
        if (m.kind == "nodes") {
          for (const auto& [key, column] : m.labels) {
            const int idx = f.header.require(column, f.path, f.header_line, out);
            if (idx < 0) return;
            label_columns.emplace_back(idx, key);
          }
        }
        if (m.kind == "nodes") {
          for_each_row(*f.reader, f.header, errors, options, report, [&](Row& row) {
            TraceNode node;
            node.line = row.line();
            for (const auto& b : bound) {
              const Converted c = convert(row, b);
              if (!c.present) continue;
              const std::string_view n = b.spec->name;
              if (n == "name")
                node.name = c.s;
              else if (n == "cpu")
                node.cpu_milli = c.i;
              else if (n == "memory")
                node.memory_bytes = c.i;
              else if (n == "gpu")
                node.gpu_count = static_cast<std::int32_t>(std::min<std::int64_t>(c.i, 1'000'000));
              else if (n == "gpu_model")
                node.gpu_model = c.s;
              else if (n == "cost_per_hour")
                node.cost_per_hour = c.d;
              else if (n == "spot")
                node.spot = c.i != 0;
            }
            for (const auto& [idx, key] : label_columns) {
              const std::string v = row.text(idx);
              if (!v.empty()) node.labels.emplace_back(key, v);
            }
            if (node.name.empty()) node.name = base + "-" + std::to_string(report.rows - 1);
            if (row.finish()) trace.nodes.push_back(std::move(node));
          });
          return;
        }
        const std::size_t first = trace.pods.size();
        std::vector<std::int64_t> creations;
        std::vector<std::pair<std::optional<std::int64_t>, std::optional<std::int64_t>>> others;
        for_each_row(*f.reader, f.header, errors, options, report, [&](Row& row) {
          TracePod pod;
          pod.line = row.line();
          std::int64_t creation = 0;
          std::optional<std::int64_t> deletion, scheduled;
          bool has_creation = false;
          for (const auto& b : bound) {
            Converted c = convert(row, b);
            const std::string_view n = b.spec->name;
            if (n == "creation" && !c.present && row.ok()) {
              row.fail(b.column->column, "value is empty",
                       "the creation time is required in every row");
            }
            if (!c.present) continue;
            if (n == "name")
              pod.name = std::move(c.s);
            else if (n == "cpu")
              pod.cpu_milli = c.i;
            else if (n == "memory")
              pod.memory_bytes = c.i;
            else if (n == "gpu")
              pod.num_gpu = static_cast<std::int32_t>(std::min<std::int64_t>(c.i, 1'000'000));
            else if (n == "gpu_milli")
              pod.gpu_milli = static_cast<std::int32_t>(c.i);
            else if (n == "gpu_models")
              pod.gpu_models = std::move(c.list);
            else if (n == "qos")
              pod.qos = std::move(c.s);
            else if (n == "phase")
              pod.phase = std::move(c.s);
            else if (n == "priority")
              pod.priority = static_cast<std::int32_t>(c.i);
            else if (n == "group")
              pod.group = std::move(c.s);
            else if (n == "group_size")
              pod.group_size =
                  static_cast<std::int32_t>(std::clamp<std::int64_t>(c.i, 1, INT32_MAX));
            else if (n == "run_time")
              pod.run_time = c.i;
            else if (n == "creation") {
              creation = c.i;
              has_creation = true;
            } else if (n == "deletion")
              deletion = c.i;
            else if (n == "scheduled")
              scheduled = c.i;
          }
          // A GPU count without a share means whole devices; a share without a count means one.
          if (pod.num_gpu > 0 && pod.gpu_milli == 0 && !m.find("gpu_milli")) pod.gpu_milli = 1000;
          if (pod.num_gpu == 0 && pod.gpu_milli > 0) pod.num_gpu = 1;
          if (row.ok() && pod.num_gpu > 1 && pod.gpu_milli != 1000) {
            row.fail(m.find("gpu_milli")->column,
                     "a pod with more than one GPU must take whole GPUs",
                     "only single-GPU pods share a device (gpu_milli < 1000)");
          }
          if (row.ok() && pod.num_gpu > 0 && pod.gpu_milli == 0) {
            row.fail(m.find("gpu_milli")->column, "gpu_milli is 0 for a pod with GPUs");
          }
          if (row.ok() && deletion && has_creation && *deletion < creation) {
            row.fail(m.find("deletion")->column, "deletion is before creation");
          }
          if (pod.name.empty()) pod.name = base + "-" + std::to_string(report.rows - 1);
          if (!row.finish()) return;
          trace.pods.push_back(std::move(pod));
          creations.push_back(creation);
          others.emplace_back(deletion, scheduled);
        });
        const std::int64_t origin = resolve_origin(m.find("creation"), creations);
        for (std::size_t i = 0; i < creations.size(); ++i) {
          auto& pod = trace.pods[first + i];
          pod.creation = minus(creations[i], origin);
          if (others[i].first) pod.deletion = minus(*others[i].first, origin);
          if (others[i].second) pod.scheduled = minus(*others[i].second, origin);
        }
      });
}

bool load_generic_csv_requests(const std::vector<std::string>& paths, const TraceOptions& options,
                               Diagnostics& out, RequestTrace& trace) {
  return load_generic(paths, options, out, trace.reports, "requests",
                      [&](CsvFile& f, const std::vector<BoundColumn>& bound, RowErrors& errors,
                          TraceReport& report) {
                        const std::size_t first = trace.requests.size();
                        std::vector<std::int64_t> times;
                        for_each_row(*f.reader, f.header, errors, options, report, [&](Row& row) {
                          TraceRequest r;
                          for (const auto& b : bound) {
                            Converted c = convert(row, b);
                            const std::string_view n = b.spec->name;
                            if (n == "at" && !c.present && row.ok()) {
                              row.fail(b.column->column, "value is empty",
                                       "the request time is required in every row");
                            }
                            if (!c.present) continue;
                            if (n == "at")
                              r.at = c.i;
                            else if (n == "input_tokens")
                              r.input_tokens = c.i;
                            else if (n == "output_tokens")
                              r.output_tokens = c.i;
                            else if (n == "key")
                              r.key = std::move(c.s);
                            else if (n == "duration")
                              r.duration = c.i;
                          }
                          if (!row.finish()) return;
                          times.push_back(r.at);
                          trace.requests.push_back(std::move(r));
                        });
                        const std::int64_t origin =
                            resolve_origin(options.mapping->find("at"), times);
                        for (std::size_t i = first; i < trace.requests.size(); ++i)
                          trace.requests[i].at = minus(trace.requests[i].at, origin);
                      });
}

}  // namespace detail
}  // namespace kubesim::scenarios::traces
