// Shared machinery of the trace importers and the format dispatch (see traces.hpp).
#include "scenarios/trace_common.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include "scenarios/traces.hpp"

namespace kubesim::scenarios::traces {

const CsvColumn* CsvMapping::find(std::string_view field) const {
  for (const auto& [name, column] : fields) {
    if (name == field) return &column;
  }
  return nullptr;
}

namespace detail {

bool read_whole_file(const std::string& path, std::string& text, Diagnostics& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out.add({path, 0, 0, "", "cannot open trace file",
             "check the path (relative paths are "
             "resolved from the working directory)"});
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    out.add({path, 0, 0, "", "cannot read trace file", ""});
    return false;
  }
  text = std::move(buffer).str();
  if (trim(text).find_first_not_of("\r\n") == std::string_view::npos) {
    out.add({path, 0, 0, "", "trace file is empty", "expected a header line and data rows"});
    return false;
  }
  return true;
}

std::string base_name(std::string_view path) {
  const auto slash = path.find_last_of('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string stem(std::string_view path) {
  std::string base = base_name(path);
  const auto dot = base.find_last_of('.');
  if (dot != std::string::npos && dot > 0) base.resize(dot);
  return base;
}

// ---- CSV ----------------------------------------------------------------------------

CsvReader::CsvReader(std::string_view text, char delimiter) : text_(text), delimiter_(delimiter) {
  // A UTF-8 byte-order mark is not part of the first field.
  if (text_.size() >= 3 && static_cast<unsigned char>(text_[0]) == 0xEF &&
      static_cast<unsigned char>(text_[1]) == 0xBB &&
      static_cast<unsigned char>(text_[2]) == 0xBF) {
    pos_ = 3;
  }
}

bool CsvReader::next() {
  const std::size_t n = text_.size();
  for (;;) {
    if (pos_ >= n) return false;
    spans_.clear();
    scratch_.clear();
    unterminated_ = false;
    line_ = next_line_;
    bool end_of_record = false;
    while (!end_of_record) {
      // One field starting at pos_.
      if (pos_ < n && text_[pos_] == '"') {
        ++pos_;
        const std::size_t begin = scratch_.size();
        for (;;) {
          if (pos_ >= n) {
            unterminated_ = true;
            end_of_record = true;
            break;
          }
          const char c = text_[pos_];
          if (c == '"') {
            if (pos_ + 1 < n && text_[pos_ + 1] == '"') {
              scratch_ += '"';
              pos_ += 2;
              continue;
            }
            ++pos_;  // closing quote; anything up to the delimiter is kept literally
            while (pos_ < n && text_[pos_] != delimiter_ && text_[pos_] != '\n' &&
                   text_[pos_] != '\r') {
              scratch_ += text_[pos_++];
            }
            break;
          }
          if (c == '\n' || (c == '\r' && (pos_ + 1 >= n || text_[pos_ + 1] != '\n'))) {
            ++next_line_;
          }
          scratch_ += c;
          ++pos_;
        }
        spans_.push_back({true, begin, scratch_.size() - begin});
      } else {
        const std::size_t begin = pos_;
        while (pos_ < n && text_[pos_] != delimiter_ && text_[pos_] != '\n' &&
               text_[pos_] != '\r') {
          ++pos_;
        }
        spans_.push_back({false, begin, pos_ - begin});
      }
      if (end_of_record) break;
      if (pos_ >= n) break;
      const char c = text_[pos_];
      if (c == delimiter_) {
        ++pos_;  // "a,b," at the end of the input: the loop adds the last, empty field
        continue;
      }
      // End of line: LF, CRLF or a lone CR.
      if (c == '\r' && pos_ + 1 < n && text_[pos_ + 1] == '\n') ++pos_;
      ++pos_;
      ++next_line_;
      end_of_record = true;
    }
    fields_.clear();
    fields_.reserve(spans_.size());
    for (const auto& s : spans_) {
      fields_.push_back(s.scratch ? std::string_view(scratch_).substr(s.begin, s.length)
                                  : text_.substr(s.begin, s.length));
    }
    const bool blank =
        !unterminated_ && fields_.size() == 1 && !spans_[0].scratch && trim(fields_[0]).empty();
    if (!blank) return true;
  }
}

std::string_view trim(std::string_view s) {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(b, e - b);
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  if (s.front() == '+') s.remove_prefix(1);
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc()) return std::nullopt;
  if (ptr == s.data() + s.size()) return v;
  // "12.0" / "12." : an integral decimal, as pandas writes integer columns with gaps.
  std::string_view rest(ptr, static_cast<std::size_t>(s.data() + s.size() - ptr));
  if (rest.front() != '.') return std::nullopt;
  rest.remove_prefix(1);
  if (!std::all_of(rest.begin(), rest.end(), [](char c) { return c == '0'; })) return std::nullopt;
  if (ptr == s.data() || (ptr == s.data() + 1 && s.front() == '-')) return std::nullopt;
  return v;
}

std::optional<double> parse_double(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  if (s.front() == '+') s.remove_prefix(1);
  double v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

namespace {
// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool digits(std::string_view s, std::size_t pos, std::size_t count, int& value) {
  if (pos + count > s.size()) return false;
  value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    value = value * 10 + (s[i] - '0');
  }
  return true;
}
}  // namespace

std::optional<std::int64_t> parse_datetime_ns(std::string_view s) {
  s = trim(s);
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, month) ||
      s[7] != '-' || !digits(s, 8, 2, day)) {
    return std::nullopt;
  }
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1]) return std::nullopt;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && day == 29 && !leap) return std::nullopt;
  std::size_t pos = 10;
  std::int64_t fraction_ns = 0;
  std::int64_t offset_s = 0;
  if (pos < s.size()) {
    if (s[pos] != ' ' && s[pos] != 'T' && s[pos] != 't') return std::nullopt;
    ++pos;
    if (!digits(s, pos, 2, hour) || pos + 2 >= s.size() || s[pos + 2] != ':' ||
        !digits(s, pos + 3, 2, minute)) {
      return std::nullopt;
    }
    pos += 5;
    if (pos < s.size() && s[pos] == ':') {
      if (!digits(s, pos + 1, 2, second)) return std::nullopt;
      pos += 3;
      if (pos < s.size() && s[pos] == '.') {
        ++pos;
        std::int64_t scale = 100'000'000;
        const std::size_t start = pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          fraction_ns += (s[pos] - '0') * scale;  // digits past 1 ns are dropped
          scale /= 10;
          ++pos;
        }
        if (pos == start) return std::nullopt;
      }
    }
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
    if (pos < s.size()) {
      if (s[pos] == 'Z' || s[pos] == 'z') {
        ++pos;
      } else if (s[pos] == '+' || s[pos] == '-') {
        int oh = 0, om = 0;
        if (!digits(s, pos + 1, 2, oh)) return std::nullopt;
        std::size_t p = pos + 3;
        if (p < s.size() && s[p] == ':') ++p;
        if (!digits(s, p, 2, om) || oh > 23 || om > 59) return std::nullopt;
        offset_s = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
        pos = p + 2;
      }
    }
    if (pos != s.size()) return std::nullopt;
  }
  const std::int64_t days =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  // Years 0000..9999 keep secs within about ±2.6e11, so ns fits (±9.2e18) only for
  // 1678..2262; outside that the value does not fit sim::Time.
  const auto ns = checked_mul(secs, sim::kSecond);
  if (!ns) return std::nullopt;
  return *ns + fraction_ns;
}

std::optional<std::int64_t> seconds_to_ns(double s) {
  const double ns = std::round(s * 1e9);
  // 2^63 is exactly representable; anything >= it (or < -2^63) does not fit.
  if (!std::isfinite(ns) || ns >= 9223372036854775808.0 || ns < -9223372036854775808.0) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(ns);
}

std::optional<std::int64_t> checked_mul(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t b = 0;
  while (b <= s.size()) {
    std::size_t e = s.find(sep, b);
    if (e == std::string_view::npos) e = s.size();
    const auto piece = trim(s.substr(b, e - b));
    if (!piece.empty()) out.emplace_back(piece);
    b = e + 1;
  }
  return out;
}

// ---- Header, errors, rows -------------------------------------------------------------

Header::Header(const CsvReader& reader) {
  names_.reserve(reader.size());
  for (const auto f : reader.fields()) names_.emplace_back(trim(f));
}

int Header::index(std::string_view name) const {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

int Header::require(std::string_view name, const std::string& file, int line,
                    Diagnostics& out) const {
  const int i = index(name);
  if (i >= 0) return i;
  const std::string guess = did_you_mean(name, names_);
  std::string hint =
      guess.empty() ? "the header has: " : "did you mean '" + guess + "'? the header has: ";
  for (std::size_t k = 0; k < names_.size() && k < 30; ++k) hint += (k ? "," : "") + names_[k];
  if (names_.size() > 30) hint += ",...";
  out.add({file, line, 0, std::string(name), "missing required column '" + std::string(name) + "'",
           hint});
  return -1;
}

RowErrors::RowErrors(std::string file, const TraceOptions& options, Diagnostics& out,
                     TraceReport& report)
    : file_(std::move(file)), skip_(options.skip_bad_rows), out_(out), report_(report) {}

RowErrors::~RowErrors() {
  if (unreported_ > 0) {
    out_.add({file_, 0, 0, "", std::to_string(unreported_) + " more malformed rows not listed",
              "fix the rows above first, or set skip_bad_rows to skip and count them"});
  }
}

void RowErrors::bad_row(int line, std::string_view column, std::string message, std::string hint) {
  Diagnostic d{file_, line, 0, std::string(column), std::move(message), std::move(hint)};
  if (skip_) {
    ++report_.skipped;
    if (report_.skipped_rows.size() < 20) report_.skipped_rows.push_back(std::move(d));
    return;
  }
  failed_ = true;
  if (reported_ < 20) {
    ++reported_;
    out_.add(std::move(d));
  } else {
    ++unreported_;
  }
}

void RowErrors::file_error(int line, std::string message, std::string hint) {
  failed_ = true;
  out_.add({file_, line, 0, "", std::move(message), std::move(hint)});
}

Row::Row(const CsvReader& reader, const Header& header, RowErrors& errors)
    : reader_(reader), header_(header), errors_(errors), line_(reader.line()) {}

std::string_view Row::cell(int column) const {
  if (column < 0 || static_cast<std::size_t>(column) >= reader_.size()) return {};
  return trim(reader_[static_cast<std::size_t>(column)]);
}

std::string_view Row::column_name(int column) const {
  if (column < 0 || static_cast<std::size_t>(column) >= header_.size()) return {};
  return header_.names()[static_cast<std::size_t>(column)];
}

void Row::fail(std::string_view column, std::string message, std::string hint) {
  if (!ok_) return;
  ok_ = false;
  column_ = std::string(column);
  message_ = std::move(message);
  hint_ = std::move(hint);
}

namespace {
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (const char c : s.substr(0, 60)) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", u);
      out += buf;
    } else {
      out += c;
    }
  }
  if (s.size() > 60) out += "...";
  return out + "\"";
}

std::string number_text(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}
}  // namespace

void Row::fail_at(int column, std::string message, std::string hint) {
  fail(column_name(column), std::move(message), std::move(hint));
}

std::optional<std::int64_t> Row::optional_integer(int column, std::int64_t min, std::int64_t max) {
  const auto s = cell(column);
  if (s.empty()) return std::nullopt;
  const auto v = parse_int(s);
  if (!v) {
    fail_at(column, "expected an integer, found " + quoted(s),
            "write a whole number without units, e.g. 1000");
    return std::nullopt;
  }
  if (*v < min || *v > max) {
    fail_at(column,
            "value " + std::to_string(*v) + " is out of range [" + std::to_string(min) + ", " +
                std::to_string(max) + "]",
            *v < 0 && min >= 0 ? "negative values are not allowed here" : "");
    return std::nullopt;
  }
  return v;
}

std::int64_t Row::integer(int column, std::int64_t min, std::int64_t max) {
  if (cell(column).empty()) {
    fail_at(column, "value is empty", "this column is required in every row");
    return 0;
  }
  return optional_integer(column, min, max).value_or(0);
}

std::optional<double> Row::optional_number(int column, double min, double max) {
  const auto s = cell(column);
  if (s.empty()) return std::nullopt;
  const auto v = parse_double(s);
  if (!v) {
    fail_at(column, "expected a number, found " + quoted(s), "write a plain decimal number");
    return std::nullopt;
  }
  if (*v < min || *v > max) {
    fail_at(column,
            "value " + number_text(*v) + " is out of range [" + number_text(min) + ", " +
                number_text(max) + "]",
            *v < 0 && min >= 0 ? "negative values are not allowed here" : "");
    return std::nullopt;
  }
  return v;
}

double Row::number(int column, double min, double max) {
  if (cell(column).empty()) {
    fail_at(column, "value is empty", "this column is required in every row");
    return 0;
  }
  return optional_number(column, min, max).value_or(0);
}

std::string Row::text(int column, bool required) {
  const auto s = cell(column);
  if (required && s.empty()) {
    fail_at(column, "value is empty", "this column is required in every row");
    return {};
  }
  if (!valid_utf8(s)) {
    fail_at(column, "value is not valid UTF-8: " + quoted(s), "save the file as UTF-8");
    return {};
  }
  return std::string(s);
}

std::optional<sim::Time> Row::optional_seconds(int column, double min) {
  // About 292 years in seconds: the range of sim::Time.
  const auto v = optional_number(column, min, 9.2e9);
  if (!v) return std::nullopt;
  return seconds_to_ns(*v);
}

sim::Time Row::seconds(int column, double min) {
  if (cell(column).empty()) {
    fail_at(column, "value is empty", "this column is required in every row");
    return 0;
  }
  return optional_seconds(column, min).value_or(0);
}

std::int64_t Row::datetime(int column) {
  const auto s = cell(column);
  if (s.empty()) {
    fail_at(column, "value is empty", "this column is required in every row");
    return 0;
  }
  const auto v = parse_datetime_ns(s);
  // Before 1970 is refused too, so that differences between two times always fit int64.
  if (!v || *v < 0) {
    fail_at(column, "expected a date and time, found " + quoted(s),
            "format as YYYY-MM-DD HH:MM:SS[.fraction][Z|+HH:MM], years 1970-2261");
    return 0;
  }
  return *v;
}

bool Row::finish() {
  if (!ok_ && !reported_) {
    reported_ = true;
    errors_.bad_row(line_, column_, message_, hint_);
  }
  return ok_;
}

}  // namespace detail

// ---- Dispatch -------------------------------------------------------------------------

namespace {
using ClusterLoader = bool (*)(const std::vector<std::string>&, const TraceOptions&, Diagnostics&,
                               ClusterTrace&);
using RequestLoader = bool (*)(const std::vector<std::string>&, const TraceOptions&, Diagnostics&,
                               RequestTrace&);

struct ClusterFormat {
  const char* name;
  ClusterLoader load;
};
struct RequestFormat {
  const char* name;
  RequestLoader load;
};

// Sorted by name.
constexpr ClusterFormat kClusterFormats[] = {
    {"alibaba-dlrm-2025", detail::load_dlrm_2025},
    {"alibaba-openb", detail::load_openb},
    {"alibaba-pai-2020", detail::load_pai_2020},
    {"alibaba-spot-2026", detail::load_spot_2026},
    {"csv", detail::load_generic_csv_cluster},
    {"helios", detail::load_helios},
    {"philly", detail::load_philly},
    {"simkube", detail::load_simkube},
};
constexpr RequestFormat kRequestFormats[] = {
    {"alibaba-genai-lora", detail::load_genai_lora},
    {"alibaba-genai-qps", detail::load_genai_qps},
    {"azure-functions", detail::load_azure_functions},
    {"azure-llm-2023", detail::load_azure_llm},
    {"csv", detail::load_generic_csv_requests},
    {"mooncake", detail::load_mooncake},
};

void unknown_format(std::string_view format, const std::vector<std::string>& own,
                    const std::vector<std::string>& other, std::string_view own_kind,
                    std::string_view other_kind, Diagnostics& out) {
  const std::string f(format);
  if (std::find(other.begin(), other.end(), f) != other.end()) {
    out.add({"", 0, 0, "format",
             "'" + f + "' is a " + std::string(other_kind) + " trace format, not a " +
                 std::string(own_kind) + " trace format",
             "use it where a " + std::string(other_kind) + " trace is expected"});
    return;
  }
  std::string list;
  for (const auto& n : own) list += (list.empty() ? "" : ", ") + n;
  std::string guess = did_you_mean(format, own);
  if (guess.empty()) {
    // "azure-llm" for "azure-llm-2023": a unique prefix is a likely guess too.
    for (const auto& n : own) {
      if (n.rfind(f, 0) != 0) continue;
      if (!guess.empty()) {
        guess.clear();
        break;
      }
      guess = n;
    }
  }
  out.add(
      {"", 0, 0, "format", "unknown " + std::string(own_kind) + " trace format '" + f + "'",
       (guess.empty() ? std::string() : "did you mean '" + guess + "'? ") + "formats: " + list});
}

// A node name given twice (e.g. the openb node CSV and its YAML together) is an error.
bool check_duplicate_nodes(const ClusterTrace& trace, Diagnostics& out) {
  std::vector<std::pair<std::string_view, std::size_t>> names;
  names.reserve(trace.nodes.size());
  for (std::size_t i = 0; i < trace.nodes.size(); ++i) names.emplace_back(trace.nodes[i].name, i);
  std::sort(names.begin(), names.end());
  int reported = 0;
  for (std::size_t i = 1; i < names.size() && reported < 20; ++i) {
    if (names[i].first != names[i - 1].first) continue;
    const auto& a = trace.nodes[names[i - 1].second];
    const auto& b = trace.nodes[names[i].second];
    out.add({"", b.line, 0, "nodes",
             "node '" + std::string(names[i].first) + "' appears twice (lines " +
                 std::to_string(a.line) + " and " + std::to_string(b.line) + ")",
             "give each node list once (e.g. the openb node CSV or its YAML, not both)"});
    ++reported;
  }
  return reported == 0;
}

bool check_paths(const std::vector<std::string>& paths, Diagnostics& out) {
  if (paths.empty()) {
    out.add({"", 0, 0, "paths", "no trace files given", "name at least one file"});
    return false;
  }
  return true;
}
}  // namespace

std::vector<std::string> cluster_trace_formats() {
  std::vector<std::string> out;
  for (const auto& f : kClusterFormats) out.emplace_back(f.name);
  return out;
}

std::vector<std::string> request_trace_formats() {
  std::vector<std::string> out;
  for (const auto& f : kRequestFormats) out.emplace_back(f.name);
  return out;
}

std::optional<ClusterTrace> load_cluster_trace(std::string_view format,
                                               const std::vector<std::string>& paths,
                                               const TraceOptions& options, Diagnostics& out) {
  for (const auto& f : kClusterFormats) {
    if (format != f.name) continue;
    if (!check_paths(paths, out)) return std::nullopt;
    ClusterTrace trace;
    const std::size_t before = out.size();
    const bool ok = f.load(paths, options, out, trace);
    if (!ok || out.size() != before || !check_duplicate_nodes(trace, out)) return std::nullopt;
    return trace;
  }
  unknown_format(format, cluster_trace_formats(), request_trace_formats(), "cluster", "request",
                 out);
  return std::nullopt;
}

std::optional<RequestTrace> load_request_trace(std::string_view format,
                                               const std::vector<std::string>& paths,
                                               const TraceOptions& options, Diagnostics& out) {
  for (const auto& f : kRequestFormats) {
    if (format != f.name) continue;
    if (!check_paths(paths, out)) return std::nullopt;
    RequestTrace trace;
    const std::size_t before = out.size();
    const bool ok = f.load(paths, options, out, trace);
    if (!ok || out.size() != before) return std::nullopt;
    // Requests in time order; ties keep file order.
    std::stable_sort(trace.requests.begin(), trace.requests.end(),
                     [](const TraceRequest& a, const TraceRequest& b) { return a.at < b.at; });
    return trace;
  }
  unknown_format(format, request_trace_formats(), cluster_trace_formats(), "request", "cluster",
                 out);
  return std::nullopt;
}

}  // namespace kubesim::scenarios::traces

namespace kubesim::scenarios::traces::detail {

bool open_csv(const std::string& path, char delimiter, bool has_header, CsvFile& file,
              Diagnostics& out) {
  file.path = path;
  if (!read_whole_file(path, file.text, out)) return false;
  file.reader.emplace(file.text, delimiter);
  if (!has_header) return true;
  if (!file.reader->next()) {
    out.add({path, 0, 0, "", "trace file has no header line", ""});
    return false;
  }
  file.header_line = file.reader->line();
  file.header = Header(*file.reader);
  return true;
}

}  // namespace kubesim::scenarios::traces::detail
