// Summary-level cluster traces: the Philly machine lists (msr-fiddle/philly-traces) and the
// Helios cluster summaries (S-Lab-System-Group/HeliosData). The job logs of both are not
// shipped, so these import what the files hold: nodes (Philly), per-VC GPU counts per day and
// per-cluster statistics (Helios), VC sizes (Philly). See docs/traces.md.
#include <cmath>

#include "scenarios/trace_common.hpp"
#include "scenarios/traces.hpp"

namespace kubesim::scenarios::traces::detail {
namespace {

// Every column but the first (the row's name) as a number; empty cells are omitted.
void read_summary_rows(CsvSource& src, ClusterTrace& trace) {
  const Header& h = src.header();
  src.rows([&](Row& row) {
    SummaryRow s;
    s.line = row.line();
    s.name = row.text(0, true);
    for (std::size_t c = 1; c < h.size(); ++c) {
      const auto v = row.optional_number(static_cast<int>(c), -1e300, 1e300);
      if (v) s.values.emplace_back(h.names()[c], *v);
    }
    if (row.finish()) trace.summaries.push_back(std::move(s));
  });
}

}  // namespace

bool load_philly(const std::vector<std::string>& paths, const TraceOptions& options,
                 Diagnostics& out, ClusterTrace& trace) {
  for_each_csv_file(paths, ',', true, options, out, trace.reports, [&](CsvSource& src) {
    const auto& h = src.header();
    if (h.index("vc") >= 0 && h.index("machineId") < 0) {
      read_summary_rows(src, trace);
      return;
    }
    const int c_id = src.require("machineId");
    const int c_gpus = src.require("number of GPUs");
    const int c_mem = h.index("single GPU mem");
    if (c_id < 0 || c_gpus < 0) return;
    src.rows([&](Row& row) {
      TraceNode node;
      node.line = row.line();
      node.name = row.text(c_id, true);
      node.gpu_count = static_cast<std::int32_t>(row.integer(c_gpus, 0, 1'000'000));
      if (c_mem >= 0) {
        const std::string mem = row.text(c_mem);
        if (!mem.empty()) node.labels.emplace_back("philly/gpu-memory", mem);
      }
      if (row.finish()) trace.nodes.push_back(std::move(node));
    });
  });
  return true;
}

bool load_helios(const std::vector<std::string>& paths, const TraceOptions& options,
                 Diagnostics& out, ClusterTrace& trace) {
  for_each_csv_file(paths, ',', true, options, out, trace.reports, [&](CsvSource& src) {
    const auto& h = src.header();
    if (h.names().empty() || h.names()[0] != "date") {
      const int c_id = src.require("id");
      if (c_id == 0) {
        read_summary_rows(src, trace);
      } else if (c_id > 0) {
        out.add({src.path(), src.file.header_line, 0, "id",
                 "the cluster name column 'id' must come first", ""});
      }
      return;
    }
    // cluster_gpu_number.csv: one row per day, one column per VC (and a total).
    const std::size_t first = trace.series.size();
    for (std::size_t c = 1; c < h.size(); ++c) {
      SummarySeries s;
      s.name = h.names()[c];
      s.unit = "gpus";
      s.step = 24 * sim::kHour;
      trace.series.push_back(std::move(s));
    }
    std::optional<std::int64_t> day0;
    src.rows([&](Row& row) {
      const std::int64_t t = row.datetime(0);
      std::vector<double> values;
      values.reserve(h.size() - 1);
      for (std::size_t c = 1; c < h.size(); ++c) {
        values.push_back(static_cast<double>(row.integer(static_cast<int>(c), 0, 1'000'000'000)));
      }
      if (row.ok() && day0) {
        const std::int64_t expected =
            *day0 + static_cast<std::int64_t>(trace.series[first].values.size()) * 24 * sim::kHour;
        if (t != expected) {
          row.fail_at(0, "dates must be consecutive days",
                      "the series has one value per day from the first date");
        }
      }
      if (!row.finish()) return;
      if (!day0) day0 = t;
      for (std::size_t c = 0; c < values.size(); ++c) {
        trace.series[first + c].values.push_back(values[c]);
      }
    });
  });
  return true;
}

}  // namespace kubesim::scenarios::traces::detail
