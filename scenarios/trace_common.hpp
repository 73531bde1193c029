// Shared machinery of the trace importers (scenarios/trace_*.cpp); not a public API.
//
// CsvReader is a small RFC 4180 reader over an in-memory file: fields separated by one
// delimiter character, optionally double-quoted, a quoted field may contain the delimiter,
// line breaks and "" for a quote. Records end at LF, CRLF or a lone CR. Fields are
// string_views into the text (or into the reader's scratch buffer for quoted fields with
// escapes), valid until the next call to next(), so a row costs no allocation.
//
// RowErrors implements the bad-row policy of traces.hpp for one file; Row wraps one record
// and converts cells to typed values, recording the first problem of the row.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scenarios/diagnostics.hpp"
#include "scenarios/traces.hpp"
#include "sim/time.hpp"

namespace kubesim::scenarios::traces::detail {

// Reads `path` whole into `text`. A missing, unreadable or (unless allow_empty) empty file
// is a diagnostic and false.
bool read_whole_file(const std::string& path, std::string& text, Diagnostics& out);

// The file name without directories ("a/b/c.csv" -> "c.csv") and its stem ("c").
std::string base_name(std::string_view path);
std::string stem(std::string_view path);

class CsvReader {
 public:
  CsvReader(std::string_view text, char delimiter = ',');

  // Advances to the next record that is not a blank line. false at the end of the input.
  bool next();
  std::size_t size() const { return fields_.size(); }
  std::string_view operator[](std::size_t i) const { return fields_[i]; }
  const std::vector<std::string_view>& fields() const { return fields_; }
  int line() const { return line_; }  // 1-based physical line where the record starts
  // The record ran into the end of the input inside a quoted field.
  bool unterminated_quote() const { return unterminated_; }

 private:
  struct Span {
    bool scratch;
    std::size_t begin;
    std::size_t length;
  };
  std::string_view text_;
  char delimiter_;
  std::size_t pos_ = 0;
  int next_line_ = 1;
  int line_ = 0;
  bool unterminated_ = false;
  std::vector<Span> spans_;
  std::vector<std::string_view> fields_;
  std::string scratch_;
};

// Trims ASCII spaces and tabs.
std::string_view trim(std::string_view s);
// Integer in decimal with optional sign; also accepts "12.0" (an integral decimal). nullopt on
// anything else or overflow.
std::optional<std::int64_t> parse_int(std::string_view s);
// A finite decimal/scientific number.
std::optional<double> parse_double(std::string_view s);
// "YYYY-MM-DD[ T]HH:MM[:SS[.fraction]][Z|+HH:MM|-HH:MM]" or "YYYY-MM-DD" -> ns since the Unix
// epoch (UTC; a missing zone means UTC). nullopt when malformed or out of range.
std::optional<std::int64_t> parse_datetime_ns(std::string_view s);
// Seconds (possibly fractional) to ns, rounded; nullopt when outside the int64 range.
std::optional<std::int64_t> seconds_to_ns(double s);
// a * b exactly, or nullopt on overflow.
std::optional<std::int64_t> checked_mul(std::int64_t a, std::int64_t b);
bool valid_utf8(std::string_view s);

// The column names of a header record, trimmed, with a UTF-8 byte-order mark removed.
class Header {
 public:
  Header() = default;
  explicit Header(const CsvReader& reader);
  explicit Header(std::vector<std::string> names) : names_(std::move(names)) {}
  int index(std::string_view name) const;  // -1 when absent
  // index(name); when absent a diagnostic "missing column" with a did-you-mean over the header.
  int require(std::string_view name, const std::string& file, int line, Diagnostics& out) const;
  const std::vector<std::string>& names() const { return names_; }
  std::size_t size() const { return names_.size(); }

 private:
  std::vector<std::string> names_;
};

// The bad-row policy for one file.
class RowErrors {
 public:
  RowErrors(std::string file, const TraceOptions& options, Diagnostics& out, TraceReport& report);
  ~RowErrors();
  RowErrors(const RowErrors&) = delete;
  RowErrors& operator=(const RowErrors&) = delete;

  void bad_row(int line, std::string_view column, std::string message, std::string hint = {});
  // A problem with the file itself (not one row): always fails the load.
  void file_error(int line, std::string message, std::string hint = {});
  bool failed() const { return failed_; }
  const std::string& file() const { return file_; }
  bool skipping() const { return skip_; }

 private:
  std::string file_;
  bool skip_;
  Diagnostics& out_;
  TraceReport& report_;
  bool failed_ = false;
  std::int64_t reported_ = 0;
  std::int64_t unreported_ = 0;
};

// One data record of a CSV file with a header. Converters return a value (0 / empty on
// failure) and record the first problem of the row; finish() reports it.
class Row {
 public:
  Row(const CsvReader& reader, const Header& header, RowErrors& errors);

  bool ok() const { return ok_; }
  int line() const { return line_; }
  std::string_view cell(int column) const;  // "" when column < 0; trimmed
  bool empty(int column) const { return cell(column).empty(); }

  std::int64_t integer(int column, std::int64_t min, std::int64_t max);
  std::optional<std::int64_t> optional_integer(int column, std::int64_t min, std::int64_t max);
  double number(int column, double min, double max);
  std::optional<double> optional_number(int column, double min, double max);
  // A string cell (validated as UTF-8). REQUIRES column >= 0 when required.
  std::string text(int column, bool required = false);
  // Seconds (number) -> ns.
  sim::Time seconds(int column, double min = 0);
  std::optional<sim::Time> optional_seconds(int column, double min = 0);
  // An absolute datetime -> ns since the Unix epoch.
  std::int64_t datetime(int column);

  void fail(std::string_view column, std::string message, std::string hint = {});
  void fail_at(int column, std::string message, std::string hint = {});
  // Reports the row's problem, if any; returns ok().
  bool finish();

 private:
  std::string_view column_name(int column) const;
  const CsvReader& reader_;
  const Header& header_;
  RowErrors& errors_;
  int line_;
  bool ok_ = true;
  bool reported_ = false;
  std::string column_;
  std::string message_;
  std::string hint_;
};

// Loops over the data records of one CSV file: checks the field count and max_rows, counts
// rows in the report, and calls fn(Row&) for each record (fn converts; the caller keeps
// the result only if row.finish() is true). Returns false when the file is unusable.
template <typename Fn>
void for_each_row(CsvReader& reader, const Header& header, RowErrors& errors,
                  const TraceOptions& options, TraceReport& report, Fn&& fn) {
  while (reader.next()) {
    if (options.max_rows && report.rows >= *options.max_rows) break;
    ++report.rows;
    Row row(reader, header, errors);
    if (reader.unterminated_quote()) {
      row.fail("", "unterminated quoted field (the file ends inside a \"...\")",
               "close the quote or escape a quote inside a field as \"\"");
    } else if (reader.size() != header.size()) {
      row.fail("",
               "expected " + std::to_string(header.size()) + " fields as in the header, found " +
                   std::to_string(reader.size()),
               "check for a missing or extra delimiter, or a truncated line");
    }
    if (!row.ok()) {
      row.finish();
      continue;
    }
    fn(row);
  }
}

// One CSV file read whole, positioned after its header record. Not movable (the reader
// views the text).
struct CsvFile {
  std::string path;
  std::string text;
  std::optional<CsvReader> reader;
  Header header;
  int header_line = 0;
  CsvFile() = default;
  CsvFile(const CsvFile&) = delete;
  CsvFile& operator=(const CsvFile&) = delete;
};
// Reads `path` and, when `has_header`, its header record. false after a diagnostic.
bool open_csv(const std::string& path, char delimiter, bool has_header, CsvFile& file,
              Diagnostics& out);

// One opened CSV file of a multi-file trace load (see for_each_csv_file): its text, header
// and report, and the load's options and diagnostics.
struct CsvSource {
  CsvFile& file;
  std::size_t index;  // the file's position in the load's paths
  const TraceOptions& options;
  Diagnostics& out;
  TraceReport& report;

  const Header& header() const { return file.header; }
  const std::string& path() const { return file.path; }
  // The column's index, or -1 after a diagnostic at the header line.
  int require(std::string_view column) const {
    return file.header.require(column, file.path, file.header_line, out);
  }
  // fn(Row&) for each data record, under the load's bad-row policy (for_each_row).
  template <typename Fn>
  void rows(Fn&& fn) {
    RowErrors errors(file.path, options, out, report);
    for_each_row(*file.reader, file.header, errors, options, report, std::forward<Fn>(fn));
  }
};

// The per-file loop every CSV trace loader shares: for each path, in order, a TraceReport
// named after it; the file is read whole (open_csv, with `delimiter` and, when
// `has_header`, its header record) and per_file(CsvSource&) runs if that worked; the report
// is appended to `reports` in every case. (No library among our dependencies reads CSV:
// yaml-cpp, nlohmann_json, CLI11, OpenSSL, Eigen.)
template <typename Fn>
void for_each_csv_file(const std::vector<std::string>& paths, char delimiter, bool has_header,
                       const TraceOptions& options, Diagnostics& out,
                       std::vector<TraceReport>& reports, Fn&& per_file) {
  for (std::size_t i = 0; i < paths.size(); ++i) {
    TraceReport report;
    report.file = paths[i];
    CsvFile f;
    if (open_csv(paths[i], delimiter, has_header, f, out)) {
      CsvSource source{f, i, options, out, report};
      per_file(source);
    }
    reports.push_back(std::move(report));
  }
}

// Splits "a|b|c" on `sep`, dropping empty pieces.
std::vector<std::string> split(std::string_view s, char sep);

// Format loaders (one per family file).
bool load_openb(const std::vector<std::string>& paths, const TraceOptions& options,
                Diagnostics& out, ClusterTrace& trace);
bool load_pai_2020(const std::vector<std::string>& paths, const TraceOptions& options,
                   Diagnostics& out, ClusterTrace& trace);
bool load_dlrm_2025(const std::vector<std::string>& paths, const TraceOptions& options,
                    Diagnostics& out, ClusterTrace& trace);
bool load_spot_2026(const std::vector<std::string>& paths, const TraceOptions& options,
                    Diagnostics& out, ClusterTrace& trace);
bool load_philly(const std::vector<std::string>& paths, const TraceOptions& options,
                 Diagnostics& out, ClusterTrace& trace);
bool load_helios(const std::vector<std::string>& paths, const TraceOptions& options,
                 Diagnostics& out, ClusterTrace& trace);
bool load_simkube(const std::vector<std::string>& paths, const TraceOptions& options,
                  Diagnostics& out, ClusterTrace& trace);
bool load_generic_csv_cluster(const std::vector<std::string>& paths, const TraceOptions& options,
                              Diagnostics& out, ClusterTrace& trace);
bool load_azure_llm(const std::vector<std::string>& paths, const TraceOptions& options,
                    Diagnostics& out, RequestTrace& trace);
bool load_mooncake(const std::vector<std::string>& paths, const TraceOptions& options,
                   Diagnostics& out, RequestTrace& trace);
bool load_azure_functions(const std::vector<std::string>& paths, const TraceOptions& options,
                          Diagnostics& out, RequestTrace& trace);
bool load_genai_qps(const std::vector<std::string>& paths, const TraceOptions& options,
                    Diagnostics& out, RequestTrace& trace);
bool load_genai_lora(const std::vector<std::string>& paths, const TraceOptions& options,
                     Diagnostics& out, RequestTrace& trace);
bool load_generic_csv_requests(const std::vector<std::string>& paths, const TraceOptions& options,
                               Diagnostics& out, RequestTrace& trace);

}  // namespace kubesim::scenarios::traces::detail
