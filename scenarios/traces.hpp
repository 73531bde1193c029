// Trace importers: every public cluster and request trace kubesim ships, behind one schema.
//
// A cluster trace becomes nodes (TraceNode) and pods (TracePod); a request trace becomes
// individual requests (TraceRequest) and/or rate series (RateSeries, e.g. per-minute
// invocation counts). Each format is named by a string ("alibaba-openb", "azure-llm-2023",
// "csv", ...) so scenarios can reference a trace by format and paths; docs/traces.md
// describes every format: its files, the columns used, units, time origin and licence.
//
// Units of the schema: CPU in millicores, memory in bytes, GPU in whole devices plus
// gpu_milli per device (1000 = a whole device), times as sim::Time (int64 ns) relative to
// the trace's own origin (documented per format), durations as sim::Duration.
//
// Bad input never throws or aborts. A missing or empty file, an unknown format name, a
// missing required column (with a did-you-mean over the header) fail the load with a
// Diagnostic. A malformed row is a Diagnostic with the file, its 1-based physical line,
// the column, what was wrong and a hint; it fails the load unless
// TraceOptions::skip_bad_rows is set, in which case it is counted in the file's TraceReport
// (skipped, and the first 20 in skipped_rows) — never silently dropped. Blank lines are not
// rows and are ignored.
//
// Output is deterministic: the same input gives the same vectors in the same order (file
// order, then row order; generated objects in a documented order).
//
// Thread-safety: the loaders are pure functions of their arguments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scenarios/diagnostics.hpp"
#include "sim/time.hpp"

namespace kubesim::scenarios {
class FieldReader;
}

namespace kubesim::scenarios::traces {

struct TraceNode {
  std::string name;
  std::int64_t cpu_milli = 0;     // 0 when the trace does not say
  std::int64_t memory_bytes = 0;  // 0 when the trace does not say
  std::int32_t gpu_count = 0;
  std::string gpu_model;  // empty when none or unknown
  std::vector<std::pair<std::string, std::string>> labels;
  std::optional<double> cost_per_hour;
  bool spot = false;
  int line = 0;  // 1-based line of the row (or YAML document) in its file
};

struct TracePod {
  std::string name;
  std::int64_t cpu_milli = 0;
  std::int64_t memory_bytes = 0;
  std::int32_t num_gpu = 0;
  std::int32_t gpu_milli = 0;           // per GPU; 1000 = whole device; 0 when no GPU
  std::vector<std::string> gpu_models;  // allowed models, empty = any
  std::string qos;                      // as in the trace ("LS", "BE", ...), may be empty
  std::optional<std::int32_t> priority;
  sim::Time creation = 0;
  std::optional<sim::Time> deletion;
  std::optional<sim::Time> scheduled;
  std::optional<sim::Duration> run_time;
  std::string group;  // job/gang name; empty when the pod stands alone
  std::int32_t group_size = 1;
  std::string phase;  // final phase recorded by the trace ("Running", "Failed", ...), may be empty
  std::vector<std::pair<std::string, std::string>> labels;  // extra per-format facts (docs)
  int line = 0;
};

struct TraceRequest {
  sim::Time at = 0;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::string key;                        // model, function, session... (documented per format)
  std::optional<sim::Duration> duration;  // service time recorded by the trace, if any
};

// A rate over fixed steps: per_second[i] is the mean rate over [start + i*step, start +
// (i+1)*step).
struct RateSeries {
  std::string name;
  sim::Duration step = 0;
  std::vector<double> per_second;
  sim::Time start = 0;
  std::optional<sim::Duration> mean_duration;     // e.g. Azure Functions 2019 durations.csv
  std::optional<std::int64_t> mean_memory_bytes;  // e.g. Azure Functions 2019 memory.csv
};

// A summary-only trace (Helios, Philly VCs): a value per step, in the unit named.
struct SummarySeries {
  std::string name;
  std::string unit;
  sim::Time start = 0;
  sim::Duration step = 0;
  std::vector<double> values;
};

// One row of a summary table (Helios cluster summary, Philly VC sizes): name -> columns.
struct SummaryRow {
  std::string name;
  std::vector<std::pair<std::string, double>> values;  // header order; empty cells omitted
  int line = 0;
};

struct TraceReport {
  std::string file;
  std::int64_t rows = 0;                 // data rows read (imported + skipped)
  std::int64_t skipped = 0;              // malformed rows skipped (skip_bad_rows)
  std::vector<Diagnostic> skipped_rows;  // the first 20
};

struct ClusterTrace {
  std::vector<TraceNode> nodes;
  std::vector<TracePod> pods;
  std::vector<SummarySeries> series;  // summary-only formats
  std::vector<SummaryRow> summaries;  // summary-only formats
  std::vector<TraceReport> reports;   // one per file, in path order
};

struct RequestTrace {
  std::vector<TraceRequest> requests;
  std::vector<RateSeries> series;
  std::vector<TraceReport> reports;
};

// Generic CSV: which column feeds which schema field, in which unit.
struct CsvColumn {
  std::string column;  // header name
  std::string unit;    // see docs/traces.md; empty = the field's default unit
  std::string origin;  // time fields: "first" (default), "zero", "min" or a datetime
  std::optional<std::string> fallback;  // used when the cell is empty ("default:" in YAML)
  int line = 0;                         // where the mapping entry is, for diagnostics
};

struct CsvMapping {
  std::string kind;  // "pods", "nodes" or "requests"
  char delimiter = ',';
  // Schema field name ("cpu", "memory", "creation", ...) -> column. Sorted by field name.
  std::vector<std::pair<std::string, CsvColumn>> fields;
  std::vector<std::pair<std::string, std::string>> labels;  // node label key -> column (nodes)
  std::string file;                                         // the YAML file the mapping came from
  const CsvColumn* find(std::string_view field) const;
};

struct TraceOptions {
  bool skip_bad_rows = false;
  std::optional<std::int64_t> max_rows;  // per file: stop after this many data rows
  std::optional<CsvMapping> mapping;     // required by format "csv"
};

// Loads a cluster trace (nodes and/or pods) of `format` from `paths`. nullopt after at least
// one diagnostic in `out` (an unknown format name gets a did-you-mean).
std::optional<ClusterTrace> load_cluster_trace(std::string_view format,
                                               const std::vector<std::string>& paths,
                                               const TraceOptions& options, Diagnostics& out);

// Loads a request trace (requests and/or rate series) of `format` from `paths`.
std::optional<RequestTrace> load_request_trace(std::string_view format,
                                               const std::vector<std::string>& paths,
                                               const TraceOptions& options, Diagnostics& out);

// The format names each loader accepts, sorted (for did-you-mean and documentation).
std::vector<std::string> cluster_trace_formats();
std::vector<std::string> request_trace_formats();

// Reads a generic CSV mapping from YAML:
//   kind: pods                     # pods | nodes | requests
//   delimiter: ","                 # optional
//   columns:
//     name: job_id                 # shorthand for {column: job_id}
//     cpu: {column: cpu_cores, unit: cores}
//     memory: {column: mem, unit: GiB}
//     creation: {column: submit_time, unit: s, origin: first}
//   labels: {topology.kubernetes.io/zone: zone}   # nodes only
// Unknown fields, units and origins are diagnostics on the reader; nullopt then.
std::optional<CsvMapping> read_csv_mapping(FieldReader& reader);

}  // namespace kubesim::scenarios::traces
