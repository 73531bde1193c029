// Request traces: Azure LLM inference 2023 (Splitwise), Mooncake FAST'25 JSONL, Azure
// Functions 2019 (per-minute invocation counts, durations, memory) and 2021 (per
// invocation), Alibaba GenAI 2026 (qps.csv series and the LoRA request log). Units and time
// origins per format are in docs/traces.md.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "scenarios/trace_common.hpp"
#include "scenarios/traces.hpp"

namespace kubesim::scenarios::traces::detail {
namespace {

constexpr std::int64_t kMaxTokens = 1'000'000'000'000;

// Shifts absolute times (ns since the epoch) so the earliest becomes 0.
void rebase(std::vector<TraceRequest>& requests, std::size_t first) {
  if (first >= requests.size()) return;
  std::int64_t origin = std::numeric_limits<std::int64_t>::max();
  for (std::size_t i = first; i < requests.size(); ++i) origin = std::min(origin, requests[i].at);
  for (std::size_t i = first; i < requests.size(); ++i) requests[i].at -= origin;
}

}  // namespace

// ---- Azure LLM inference 2023 -------------------------------------------------------------

bool load_azure_llm(const std::vector<std::string>& paths, const TraceOptions& options,
                    Diagnostics& out, RequestTrace& trace) {
  const std::size_t first = trace.requests.size();
  for_each_csv_file(paths, ',', true, options, out, trace.reports, [&](CsvSource& src) {
    const int c_time = src.require("TIMESTAMP");
    const int c_in = src.require("ContextTokens");
    const int c_out = src.require("GeneratedTokens");
    if (c_time < 0 || c_in < 0 || c_out < 0) return;
    const std::string key = stem(src.path());
    trace.requests.reserve(trace.requests.size() + src.file.text.size() / 36);
    src.rows([&](Row& row) {
      TraceRequest r;
      r.at = row.datetime(c_time);
      r.input_tokens = row.integer(c_in, 0, kMaxTokens);
      r.output_tokens = row.integer(c_out, 0, kMaxTokens);
      r.key = key;
      if (row.finish()) trace.requests.push_back(std::move(r));
    });
  });
  // All files share one origin (the earliest timestamp), so code and conv stay aligned.
  rebase(trace.requests, first);
  return true;
}

// ---- Mooncake JSONL -----------------------------------------------------------------------

bool load_mooncake(const std::vector<std::string>& paths, const TraceOptions& options,
                   Diagnostics& out, RequestTrace& trace) {
  for (const auto& path : paths) {
    TraceReport report;
    report.file = path;
    std::string text;
    if (read_whole_file(path, text, out)) {
      RowErrors errors(path, options, out, report);
      std::size_t pos = 0;
      int line = 0;
      while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string_view s(text.data() + pos, end - pos);
        pos = end + 1;
        ++line;
        if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
        if (trim(s).empty()) continue;
        if (options.max_rows && report.rows >= *options.max_rows) break;
        ++report.rows;
        const auto j = nlohmann::json::parse(s.begin(), s.end(), nullptr, false);
        if (j.is_discarded() || !j.is_object()) {
          errors.bad_row(line, "", "not a JSON object",
                         "each line is one {\"timestamp\": ...} object");
          continue;
        }
        // Mooncake FAST25-release/traces: timestamp in ms from the trace start; lengths in tokens.
        auto get = [&](const char* key, std::int64_t max, std::int64_t& v) -> bool {
          const auto it = j.find(key);
          if (it == j.end()) {
            errors.bad_row(line, key, std::string("missing field \"") + key + "\"",
                           "Mooncake lines have timestamp, input_length, output_length");
            return false;
          }
          if (!it->is_number_integer() &&
              !(it->is_number_float() && std::floor(it->get<double>()) == it->get<double>())) {
            errors.bad_row(line, key, std::string("\"") + key + "\" is not an integer", "");
            return false;
          }
          const double d = it->get<double>();
          if (d < 0 || d > static_cast<double>(max)) {
            errors.bad_row(
                line, key,
                std::string("\"") + key + "\" is out of range [0, " + std::to_string(max) + "]",
                "");
            return false;
          }
          v = it->is_number_unsigned()  ? static_cast<std::int64_t>(it->get<std::uint64_t>())
              : it->is_number_integer() ? it->get<std::int64_t>()
                                        : static_cast<std::int64_t>(d);
          if (v > max) {
            errors.bad_row(line, key, std::string("\"") + key + "\" is out of range", "");
            return false;
          }
          return true;
        };
        std::int64_t ts = 0, in = 0, outl = 0;
        if (!get("timestamp", std::numeric_limits<std::int64_t>::max() / sim::kMillisecond, ts) ||
            !get("input_length", kMaxTokens, in) || !get("output_length", kMaxTokens, outl)) {
          continue;
        }
        TraceRequest r;
        r.at = ts * sim::kMillisecond;
        r.input_tokens = in;
        r.output_tokens = outl;
        trace.requests.push_back(std::move(r));
      }
    }
    trace.reports.push_back(std::move(report));
  }
  return true;
}

// ---- Azure Functions ----------------------------------------------------------------------

namespace {

struct FunctionExtra {
  std::string owner, app, function;  // function empty = every function of the app
  std::optional<sim::Duration> duration;
  std::optional<std::int64_t> memory;
  std::string file;
  int line = 0;
  std::size_t report = 0;
};

}  // namespace

bool load_azure_functions(const std::vector<std::string>& paths, const TraceOptions& options,
                          Diagnostics& out, RequestTrace& trace) {
  std::vector<std::array<std::string, 3>> series_keys;  // owner, app, function per series
  std::vector<FunctionExtra> extras;
  for_each_csv_file(paths, ',', true, options, out, trace.reports, [&](CsvSource& src) {
    const std::string& path = src.path();
    const int header_line = src.file.header_line;
    const auto& h = src.header();
    if (h.index("end_timestamp") >= 0 || h.index("func") >= 0) {
      // 2021 layout: one invocation per row; seconds from the trace start.
      const int c_app = src.require("app");
      const int c_func = src.require("func");
      const int c_end = src.require("end_timestamp");
      const int c_duration = src.require("duration");
      if (c_app >= 0 && c_func >= 0 && c_end >= 0 && c_duration >= 0) {
        src.rows([&](Row& row) {
          TraceRequest r;
          row.text(c_app, true);
          r.key = row.text(c_func, true);
          const double end = row.number(c_end, 0, 9.2e9);
          const double duration = row.number(c_duration, 0, 9.2e9);
          if (row.ok() && duration > end + 1e-9) {
            row.fail_at(c_duration, "duration is longer than end_timestamp",
                        "the invocation would start before the trace");
          }
          r.at = seconds_to_ns(std::max(0.0, end - duration)).value_or(0);
          r.duration = seconds_to_ns(duration);
          if (row.finish()) trace.requests.push_back(std::move(r));
        });
      }
    } else if (h.index("Trigger") >= 0 || h.index("1") >= 0) {
      // 2019 invocations: HashOwner,HashApp,HashFunction,Trigger,1..1440 per-minute counts.
      const int c_owner = src.require("HashOwner");
      const int c_app = src.require("HashApp");
      const int c_func = src.require("HashFunction");
      const int c_first = src.require("1");
      if (c_owner >= 0 && c_app >= 0 && c_func >= 0 && c_first >= 0) {
        const std::size_t minutes = h.size() - static_cast<std::size_t>(c_first);
        for (std::size_t k = 0; k < minutes; ++k) {
          if (h.names()[static_cast<std::size_t>(c_first) + k] != std::to_string(k + 1)) {
            out.add({path, header_line, 0, h.names()[static_cast<std::size_t>(c_first) + k],
                     "minute columns must be 1, 2, ... in order", ""});
            break;
          }
        }
        src.rows([&](Row& row) {
          RateSeries s;
          std::array<std::string, 3> key{row.text(c_owner, true), row.text(c_app, true),
                                         row.text(c_func, true)};
          s.name = key[2];
          s.step = sim::kMinute;
          s.per_second.reserve(minutes);
          for (std::size_t k = 0; k < minutes && row.ok(); ++k) {
            const int c = c_first + static_cast<int>(k);
            s.per_second.push_back(static_cast<double>(row.integer(c, 0, kMaxTokens)) / 60.0);
          }
          if (row.finish()) {
            series_keys.push_back(std::move(key));
            trace.series.push_back(std::move(s));
          }
        });
      }
    } else if (h.index("AverageAllocatedMb") >= 0 || h.index("Average") >= 0) {
      // 2019 durations (ms, per function) or memory (MB, per app; invitro adds HashFunction).
      const bool memory = h.index("AverageAllocatedMb") >= 0;
      const int c_owner = src.require("HashOwner");
      const int c_app = src.require("HashApp");
      const int c_func = memory ? h.index("HashFunction") : src.require("HashFunction");
      const int c_value = h.index(memory ? "AverageAllocatedMb" : "Average");
      if (c_owner >= 0 && c_app >= 0 && (memory || c_func >= 0)) {
        src.rows([&](Row& row) {
          FunctionExtra e;
          e.owner = row.text(c_owner, true);
          e.app = row.text(c_app, true);
          if (c_func >= 0) e.function = row.text(c_func, true);
          const double v = row.number(c_value, 0, 1e12);
          if (memory) {
            e.memory = static_cast<std::int64_t>(std::llround(v * (1 << 20)));
          } else {
            e.duration = seconds_to_ns(v / 1000.0);
          }
          e.file = path;
          e.line = row.line();
          e.report = trace.reports.size();
          if (row.finish()) extras.push_back(std::move(e));
        });
      }
    } else {
      out.add({path, header_line, 0, "", "not an Azure Functions file: unrecognized header",
               "expected the 2019 invocations (HashOwner,HashApp,HashFunction,Trigger,1..1440), "
               "durations or memory layout, or the 2021 layout (app,func,end_timestamp,duration)"});
    }
  });
  // Attach durations and memory to the invocation series they describe.
  for (auto& e : extras) {
    bool matched = false;
    for (std::size_t i = 0; i < series_keys.size(); ++i) {
      const auto& k = series_keys[i];
      if (k[0] != e.owner || k[1] != e.app || (!e.function.empty() && k[2] != e.function)) continue;
      matched = true;
      if (e.duration) trace.series[i].mean_duration = e.duration;
      if (e.memory) trace.series[i].mean_memory_bytes = e.memory;
    }
    if (!matched) {
      Diagnostic d{
          e.file,
          e.line,
          0,
          "HashFunction",
          "no invocation series for this " + std::string(e.function.empty() ? "app" : "function"),
          "give the invocations file of the same day with it"};
      if (options.skip_bad_rows) {
        auto& report = trace.reports[e.report];
        ++report.skipped;
        if (report.skipped_rows.size() < 20) report.skipped_rows.push_back(std::move(d));
      } else {
        out.add(std::move(d));
      }
    }
  }
  return true;
}

// ---- Alibaba GenAI 2026 -------------------------------------------------------------------

bool load_genai_qps(const std::vector<std::string>& paths, const TraceOptions& options,
                    Diagnostics& out, RequestTrace& trace) {
  struct Sample {
    double t;
    double qps;
    std::string type;
    int line;
    std::size_t file;
  };
  std::vector<Sample> samples;
  for_each_csv_file(paths, ',', true, options, out, trace.reports, [&](CsvSource& src) {
    const int c_time = src.require("timestamp_anon");
    const int c_value = src.require("value");
    const int c_type = src.require("request_type");
    if (c_time < 0 || c_value < 0 || c_type < 0) return;
    src.rows([&](Row& row) {
      Sample s;
      s.t = row.number(c_time, 0, 9.2e9);
      s.qps = row.number(c_value, 0, 1e15);
      s.type = row.text(c_type, true);
      s.line = row.line();
      s.file = src.index;
      if (row.finish()) samples.push_back(std::move(s));
    });
  });
  if (samples.empty()) return true;
  // The sampling step: the smallest gap between distinct timestamps (57 s in the shipped file).
  std::vector<double> times;
  times.reserve(samples.size());
  for (const auto& s : samples) times.push_back(s.t);
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  double step = 0;
  for (std::size_t i = 1; i < times.size(); ++i) {
    const double gap = times[i] - times[i - 1];
    if (step == 0 || gap < step) step = gap;
  }
  if (step == 0) step = 60;  // a single timestamp: any step works; a minute by convention
  const double t0 = times.front();
  const double steps = std::round((times.back() - t0) / step) + 1;
  if (steps > 10'000'000) {
    out.add({paths.front(), 0, 0, "timestamp_anon",
             "the samples span " + std::to_string(steps) + " steps of " + std::to_string(step) +
                 " s, more than 10 million",
             "timestamps are expected on a regular grid (57 s in the shipped qps.csv)"});
    return false;
  }
  const auto bins = static_cast<std::size_t>(steps);
  std::map<std::string, std::size_t> index;  // request_type -> series (sorted by name)
  for (const auto& s : samples) index.emplace(s.type, 0);
  const std::size_t first = trace.series.size();
  for (auto& [type, i] : index) {
    i = trace.series.size();
    RateSeries r;
    r.name = type;
    r.step = seconds_to_ns(step).value_or(sim::kMinute);
    r.per_second.assign(bins, 0.0);
    trace.series.push_back(std::move(r));
  }
  for (const auto& s : samples) {
    const double k = (s.t - t0) / step;
    const double rounded = std::round(k);
    if (std::fabs(k - rounded) > 1e-6) {
      Diagnostic d{paths[s.file],
                   s.line,
                   0,
                   "timestamp_anon",
                   "timestamp is not on the sampling grid of " + std::to_string(step) + " s",
                   "samples are expected every step seconds from the first"};
      if (options.skip_bad_rows) {
        auto& report = trace.reports[trace.reports.size() - paths.size() + s.file];
        ++report.skipped;
        if (report.skipped_rows.size() < 20) report.skipped_rows.push_back(std::move(d));
      } else {
        out.add(std::move(d));
      }
      continue;
    }
    trace.series[index[s.type]].per_second[static_cast<std::size_t>(rounded)] += s.qps;
  }
  (void)first;
  return true;
}

bool load_genai_lora(const std::vector<std::string>& paths, const TraceOptions& options,
                     Diagnostics& out, RequestTrace& trace) {
  const std::size_t first = trace.requests.size();
  for_each_csv_file(paths, ',', true, options, out, trace.reports, [&](CsvSource& src) {
    const int c_time = src.require("gmt_create");
    const int c_exec = src.require("exec_time_seconds");
    const int c_prompt = src.require("prompt_length");
    const int c_images = src.require("num_images_per_prompt");
    const int c_model = src.require("checkpoint_model_version_id");
    if (c_time < 0 || c_exec < 0 || c_prompt < 0 || c_images < 0 || c_model < 0) return;
    src.rows([&](Row& row) {
      TraceRequest r;
      r.at = row.datetime(c_time);
      if (const auto d = row.optional_number(c_exec, 0, 9.2e9)) r.duration = seconds_to_ns(*d);
      r.input_tokens = std::llround(row.optional_number(c_prompt, 0, 1e12).value_or(0));
      r.output_tokens = std::llround(row.optional_number(c_images, 0, 1e12).value_or(1));
      r.key = row.text(c_model);
      if (row.finish()) trace.requests.push_back(std::move(r));
    });
  });
  rebase(trace.requests, first);
  return true;
}

}  // namespace kubesim::scenarios::traces::detail
