#include "experiments/sweep.hpp"

#include <math.h>  // lgamma_r

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "experiments/scenario_run.hpp"
#include "experiments/text_format.hpp"
#include "scenarios/diagnostics.hpp"
#include "scenarios/scenario.hpp"

namespace kubesim::experiments {
namespace {

using sim::Result;
using sim::Status;

constexpr const char* kVaryExample =
    "e.g. --vary spec.controlPlane.scheduler.gpuPolicy=FGD,BestFit";
constexpr const char* kSeedsExample = "e.g. --seeds 1-10, --seeds 1,2,5 or --seeds 1-3,7";
constexpr const char* kMetricExample =
    "e.g. --metric gpu.failed_pods or --metric unallocated=gpu.at_arrived_percent.130."
    "unallocated_gpus";
// A sweep larger than this is almost certainly a typo in --seeds (1-1000000 for 1-100).
constexpr std::uint64_t kMaxSeeds = 100000;

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = text.find(sep, start);
    parts.push_back(text.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return parts;
}

bool has_blank(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t'; });
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// Dotted summary paths: non-empty segments, no blanks.
bool valid_dotted_path(std::string_view path) {
  if (path.empty() || has_blank(path)) return false;
  for (auto seg : split(path, '.')) {
    if (seg.empty()) return false;
  }
  return true;
}

// Continued fraction of the incomplete beta function (DLMF 8.17.22), evaluated with the
// modified Lentz method; converges fast for x < (a + 1) / (a + b + 2).
double incomplete_beta_fraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300;
  constexpr double kEps = 1e-15;
  const double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1;
  double d = 1 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 1000; ++m) {
    const double m2 = 2.0 * m;
    // Even step d_{2m}.
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    h *= d * c;
    // Odd step d_{2m+1}.
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < kEps) break;
  }
  return h;
}

// ln Γ(x) for x > 0. lgamma_r, not std::lgamma: glibc's lgamma writes the global `signgam`,
// a data race when two threads compute statistics at once.
double log_gamma(double x) {
  int sign = 0;
  return ::lgamma_r(x, &sign);
}

// The regularized incomplete beta function I_x(a, b) (Abramowitz & Stegun 26.5.8).
double regularized_incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double log_front =
      log_gamma(a + b) - log_gamma(a) - log_gamma(b) + a * std::log(x) + b * std::log1p(-x);
  if (x < (a + 1) / (a + b + 2)) {
    return std::exp(log_front) * incomplete_beta_fraction(a, b, x) / a;
  }
  return 1 - std::exp(log_front) * incomplete_beta_fraction(b, a, 1 - x) / b;
}

// P(T > t) for t ≥ 0 and Student's t with df degrees of freedom (A&S 26.7.1).
double student_t_upper_tail(double t, double df) {
  return 0.5 * regularized_incomplete_beta(df / 2, 0.5, df / (df + t * t));
}

std::string format_number(double v) {
  if (std::isnan(v)) return "";
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, ptr) : std::string();
}

// Walks a dotted path. Metric names hold dots themselves ("api.latency_s"), so at an
// object the longest run of remaining segments that names a key is taken:
// metrics.api.latency_s.p99 → "metrics" → "api.latency_s" → "p99".
Result<double> metric_at(const nlohmann::json& doc, const std::string& path) {
  const std::vector<std::string_view> segs = split(path, '.');
  const nlohmann::json* node = &doc;
  std::string walked;
  std::size_t i = 0;
  while (i < segs.size()) {
    const std::string where = walked.empty() ? "the top level" : "'" + walked + "'";
    std::string key;
    if (node->is_object()) {
      std::size_t take = 0;
      for (std::size_t k = segs.size() - i; k >= 1 && take == 0; --k) {
        std::string candidate(segs[i]);
        for (std::size_t j = 1; j < k; ++j) (candidate += '.') += segs[i + j];
        if (node->contains(candidate)) {
          take = k;
          key = std::move(candidate);
        }
      }
      if (take == 0) {
        // List what is there: usually a typo or a section this scenario does not have.
        std::string keys;
        std::size_t listed = 0;
        for (auto it = node->begin(); it != node->end() && listed < 12; ++it, ++listed) {
          keys += (listed ? ", " : "") + it.key();
        }
        if (node->size() > listed) keys += ", ...";
        return Status::not_found("summary.json has no " + path + " (no key '" +
                                 std::string(segs[i]) + "' in " + where + "; it has: " + keys +
                                 ")");
      }
      node = &(*node)[key];
      i += take;
    } else if (node->is_array()) {
      key = std::string(segs[i]);
      auto index = parse_u64(key);
      if (!index || *index >= node->size()) {
        return Status::not_found("summary.json has no " + path + " ('" + key +
                                 "' is not an index of the array " + where + ")");
      }
      node = &(*node)[*index];
      ++i;
    } else {
      return Status::not_found("summary.json has no " + path + " (" + where +
                               " is a value, not an object)");
    }
    walked += (walked.empty() ? "" : ".") + key;
  }
  if (!node->is_number()) {
    return Status::invalid_argument("summary.json " + path + " is not a number (it is " +
                                    std::string(node->type_name()) + ")");
  }
  return node->get<double>();
}

// Checks what the parsers cannot see alone: duplicates across options.
Status validate_spec(const SweepSpec& spec) {
  if (spec.metrics.empty()) {
    return Status::invalid_argument(std::string("a sweep needs at least one --metric (") +
                                    kMetricExample + ")");
  }
  std::set<std::string, std::less<>> names;
  for (const auto& m : spec.metrics) {
    if (!names.insert(m.name).second) {
      return Status::invalid_argument("--metric: the name '" + m.name +
                                      "' is used twice; give each metric its own name=");
    }
  }
  std::set<std::string, std::less<>> paths;
  for (const auto& a : spec.axes) {
    if (!paths.insert(a.path).second) {
      return Status::invalid_argument("--vary: " + a.path +
                                      " is varied twice; list all its values in one --vary");
    }
  }
  std::set<std::uint64_t> seeds(spec.seeds.begin(), spec.seeds.end());
  if (seeds.size() != spec.seeds.size()) {
    return Status::invalid_argument("--seeds: a seed is listed twice");
  }
  return Status();
}

std::vector<std::string> axis_headers(const SweepSpec& spec) {
  std::vector<std::string> h;
  for (const auto& a : spec.axes) h.push_back(a.path);
  return h;
}

// A variant's values joined with '_', unsafe characters replaced: a directory name.
std::string variant_label(const std::vector<std::string>& variant) {
  std::string label;
  for (const auto& v : variant) {
    if (!label.empty()) label += '_';
    for (char c : v) {
      const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
      label += keep ? c : '_';
    }
  }
  return label.empty() ? "base" : label;
}

}  // namespace

Result<SweepAxis> parse_sweep_axis(std::string_view text) {
  const std::size_t eq = text.find('=');
  const auto bad = [&](const std::string& why) {
    return Status::invalid_argument("--vary \"" + std::string(text) + "\": " + why +
                                    "; expected path=value1,value2,... (" + kVaryExample + ")");
  };
  if (eq == std::string_view::npos) return bad("no '='");
  SweepAxis axis;
  axis.path = std::string(text.substr(0, eq));
  if (axis.path.empty() || has_blank(axis.path)) return bad("missing or malformed path");
  if (axis.path == "seed" || axis.path == "spec.seed") {
    return Status::invalid_argument("--vary \"" + std::string(text) +
                                    "\": seeds are swept with --seeds (" + kSeedsExample + ")");
  }
  std::set<std::string_view> seen;
  for (auto v : split(text.substr(eq + 1), ',')) {
    if (v.empty()) return bad("an empty value");
    if (!seen.insert(v).second) return bad("the value '" + std::string(v) + "' is listed twice");
    axis.values.emplace_back(v);
  }
  return axis;
}

Result<std::vector<std::uint64_t>> parse_sweep_seeds(std::string_view text) {
  const auto bad = [&](const std::string& why) {
    return Status::invalid_argument("--seeds \"" + std::string(text) + "\": " + why + " (" +
                                    kSeedsExample + ")");
  };
  std::vector<std::uint64_t> seeds;
  std::set<std::uint64_t> seen;
  for (auto item : split(text, ',')) {
    if (item.empty()) return bad("an empty item");
    std::uint64_t lo = 0, hi = 0;
    if (const std::size_t dash = item.find('-'); dash != std::string_view::npos) {
      auto a = parse_u64(item.substr(0, dash));
      auto b = parse_u64(item.substr(dash + 1));
      if (!a || !b) return bad("'" + std::string(item) + "' is not a range FIRST-LAST");
      if (*a > *b) return bad("the range '" + std::string(item) + "' runs backwards");
      lo = *a;
      hi = *b;
    } else {
      auto a = parse_u64(item);
      if (!a) return bad("'" + std::string(item) + "' is not a non-negative integer");
      lo = hi = *a;
    }
    if (hi - lo >= kMaxSeeds || seeds.size() + (hi - lo + 1) > kMaxSeeds) {
      return bad("more than " + std::to_string(kMaxSeeds) + " seeds");
    }
    for (std::uint64_t s = lo;; ++s) {
      if (!seen.insert(s).second) return bad("the seed " + std::to_string(s) + " is listed twice");
      seeds.push_back(s);
      if (s == hi) break;
    }
  }
  return seeds;
}

Result<SweepMetric> parse_sweep_metric(std::string_view text) {
  const auto bad = [&](const std::string& why) {
    return Status::invalid_argument("--metric \"" + std::string(text) + "\": " + why +
                                    "; expected [name=]dotted.path (" + kMetricExample + ")");
  };
  SweepMetric m;
  if (const std::size_t eq = text.find('='); eq != std::string_view::npos) {
    m.name = std::string(text.substr(0, eq));
    m.path = std::string(text.substr(eq + 1));
    if (m.name.empty() || has_blank(m.name)) return bad("missing or malformed name");
    if (m.name.find_first_of(",\"") != std::string::npos) return bad("a name without , or \"");
  } else {
    m.path = std::string(text);
    m.name = m.path;
  }
  if (!valid_dotted_path(m.path)) return bad("malformed path");
  return m;
}

double student_t_quantile(double p, int df) {
  if (df < 1 || !(p >= 0.5 && p < 1)) return std::numeric_limits<double>::quiet_NaN();
  const double tail = 1 - p;
  if (tail == 0.5) return 0;
  // Bracket the root: the upper tail decreases in t.
  double lo = 0, hi = 1;
  while (student_t_upper_tail(hi, df) > tail) {
    lo = hi;
    hi *= 2;
  }
  for (int i = 0; i < 200 && hi - lo > 1e-14 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (student_t_upper_tail(mid, df) > tail ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

SampleStats sample_stats(std::span<const double> values) {
  SampleStats s;
  s.n = values.size();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (s.n == 0) {
    s.mean = s.stddev = s.ci95_low = s.ci95_high = nan;
    return s;
  }
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / static_cast<double>(s.n);
  if (s.n < 2) {
    s.stddev = s.ci95_low = s.ci95_high = nan;
    return s;
  }
  // Two passes: the sum of squared deviations from the mean, not E[x²] − mean².
  double ss = 0;
  for (double v : values) ss += (v - s.mean) * (v - s.mean);
  s.stddev = std::sqrt(ss / static_cast<double>(s.n - 1));
  const double half = student_t_quantile(0.975, static_cast<int>(s.n - 1)) * s.stddev /
                      std::sqrt(static_cast<double>(s.n));
  s.ci95_low = s.mean - half;
  s.ci95_high = s.mean + half;
  return s;
}

Result<double> summary_metric(const std::string& summary_json, const std::string& path) {
  nlohmann::json doc = nlohmann::json::parse(summary_json, nullptr, false);
  if (doc.is_discarded()) return Status::invalid_argument("summary.json is not valid JSON");
  return metric_at(doc, path);
}

std::vector<std::vector<std::string>> sweep_variants(const std::vector<SweepAxis>& axes) {
  std::vector<std::vector<std::string>> variants{{}};
  for (const auto& axis : axes) {
    std::vector<std::vector<std::string>> next;
    for (const auto& prefix : variants) {
      for (const auto& v : axis.values) {
        next.push_back(prefix);
        next.back().push_back(v);
      }
    }
    variants = std::move(next);
  }
  return variants;
}

std::string sweep_run_label(const std::vector<std::string>& variant, std::uint64_t seed) {
  return variant_label(variant) + "-seed" + std::to_string(seed);
}

Result<SweepResult> run_sweep(const SweepSpec& spec, const SweepProgress& progress) {
  if (Status s = validate_spec(spec); !s.ok()) return s;
  SweepResult result;
  result.variants = sweep_variants(spec.axes);
  const bool own_seed = spec.seeds.empty();
  const std::size_t n_seeds = own_seed ? 1 : spec.seeds.size();
  const std::size_t total = result.variants.size() * n_seeds;
  if (!spec.keep_runs_dir.empty()) {
    // Run directories are named by sanitized labels; two variants must not share one.
    std::set<std::string, std::less<>> labels;
    for (const auto& variant : result.variants) {
      if (!labels.insert(variant_label(variant)).second) {
        return Status::invalid_argument("--keep-runs: two variants share the run directory name " +
                                        variant_label(variant) +
                                        "; make the --vary values differ in letters or digits");
      }
    }
  }

  struct Slot {
    std::vector<double> values;
    std::uint64_t seed = 0;
    std::string error;
    bool done = false;
  };
  std::vector<Slot> slots(total);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex progress_mutex;
  std::size_t finished = 0;

  const auto run_one = [&](std::size_t i) {
    Slot& slot = slots[i];
    const auto& variant = result.variants[i / n_seeds];
    std::vector<std::string> overrides = spec.overrides;
    for (std::size_t a = 0; a < spec.axes.size(); ++a) {
      overrides.push_back(spec.axes[a].path + "=" + variant[a]);
    }
    if (!own_seed) overrides.push_back("spec.seed=" + std::to_string(spec.seeds[i % n_seeds]));
    std::string label =
        sweep_run_label(variant, own_seed ? std::uint64_t{0} : spec.seeds[i % n_seeds]);
    scenarios::Diagnostics diagnostics;
    auto scenario = scenarios::load_scenario_file(spec.scenario_path, overrides, diagnostics);
    if (!scenario) {
      slot.error = "run " + label + ": " + std::to_string(diagnostics.size()) + " problem" +
                   (diagnostics.size() == 1 ? "" : "s") + " in " + spec.scenario_path + ":\n" +
                   diagnostics.format();
      return;
    }
    slot.seed = scenario->seed;
    label = sweep_run_label(variant, slot.seed);
    ScenarioRun run(*scenario);
    run.run();
    const nlohmann::json doc = nlohmann::json::parse(run.summary_json());
    for (const auto& m : spec.metrics) {
      auto v = metric_at(doc, m.path);
      if (!v) {
        slot.error = "run " + label + ": --metric " + m.name + ": " + v.error();
        return;
      }
      slot.values.push_back(*v);
    }
    if (!spec.keep_runs_dir.empty()) {
      const std::string dir = spec.keep_runs_dir + "/" + label;
      if (std::string problem = run.write_run_directory(dir); !problem.empty()) {
        slot.error = "run " + label + ": " + problem;
        return;
      }
    }
    slot.done = true;
  };

  const auto worker = [&] {
    while (!failed.load()) {
      const std::size_t i = next.fetch_add(1);
      if (i >= total) return;
      try {
        run_one(i);
      } catch (const std::exception& e) {
        slots[i].error =
            "run " +
            sweep_run_label(result.variants[i / n_seeds], own_seed ? 0 : spec.seeds[i % n_seeds]) +
            ": internal error: " + e.what();
      }
      if (!slots[i].error.empty()) failed.store(true);
      if (progress && slots[i].done) {
        std::lock_guard lock(progress_mutex);
        progress(++finished, total, sweep_run_label(result.variants[i / n_seeds], slots[i].seed));
      }
    }
  };

  unsigned jobs = spec.jobs != 0 ? spec.jobs : std::max(1u, std::thread::hardware_concurrency());
  jobs = static_cast<unsigned>(std::min<std::size_t>(jobs, total));
  if (jobs <= 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    threads.reserve(jobs);
    for (unsigned t = 0; t < jobs; ++t) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
  }

  for (const auto& slot : slots) {
    if (!slot.error.empty()) return Status::invalid_argument(slot.error);
  }
  result.seeds.resize(n_seeds);
  result.values.assign(result.variants.size(), {});
  for (std::size_t v = 0; v < result.variants.size(); ++v) {
    for (std::size_t s = 0; s < n_seeds; ++s) {
      Slot& slot = slots[v * n_seeds + s];
      result.seeds[s] = slot.seed;
      result.values[v].push_back(std::move(slot.values));
    }
  }
  return result;
}

std::string sweep_results_csv(const SweepSpec& spec, const SweepResult& result) {
  std::ostringstream out;
  std::vector<std::string> header = axis_headers(spec);
  header.push_back("seed");
  for (const auto& m : spec.metrics) header.push_back(m.name);
  for (std::size_t i = 0; i < header.size(); ++i) out << (i ? "," : "") << csv_field(header[i]);
  out << "\n";
  for (std::size_t v = 0; v < result.variants.size(); ++v) {
    for (std::size_t s = 0; s < result.seeds.size(); ++s) {
      for (const auto& value : result.variants[v]) out << csv_field(value) << ",";
      out << result.seeds[s];
      for (double x : result.values[v][s]) out << "," << format_number(x);
      out << "\n";
    }
  }
  return out.str();
}

std::string sweep_summary_csv(const SweepSpec& spec, const SweepResult& result) {
  std::ostringstream out;
  std::vector<std::string> header = axis_headers(spec);
  header.push_back("n");
  for (const auto& m : spec.metrics) {
    for (const char* stat : {"_mean", "_stddev", "_ci95_low", "_ci95_high"}) {
      header.push_back(m.name + stat);
    }
  }
  for (std::size_t i = 0; i < header.size(); ++i) out << (i ? "," : "") << csv_field(header[i]);
  out << "\n";
  for (std::size_t v = 0; v < result.variants.size(); ++v) {
    for (const auto& value : result.variants[v]) out << csv_field(value) << ",";
    out << result.seeds.size();
    for (std::size_t m = 0; m < spec.metrics.size(); ++m) {
      std::vector<double> xs;
      for (const auto& row : result.values[v]) xs.push_back(row[m]);
      const SampleStats st = sample_stats(xs);
      out << "," << format_number(st.mean) << "," << format_number(st.stddev) << ","
          << format_number(st.ci95_low) << "," << format_number(st.ci95_high);
    }
    out << "\n";
  }
  return out.str();
}

std::string sweep_summary_table(const SweepSpec& spec, const SweepResult& result) {
  // Cells, then column widths: text columns left-aligned, numbers right-aligned.
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header;
  for (const auto& a : spec.axes) {
    const std::size_t dot = a.path.rfind('.');
    header.push_back(dot == std::string::npos ? a.path : a.path.substr(dot + 1));
  }
  const std::size_t text_columns = header.size();
  header.push_back("n");
  for (const auto& m : spec.metrics) header.push_back(m.name);
  rows.push_back(header);
  for (std::size_t v = 0; v < result.variants.size(); ++v) {
    std::vector<std::string> row = result.variants[v];
    row.push_back(std::to_string(result.seeds.size()));
    for (std::size_t m = 0; m < spec.metrics.size(); ++m) {
      std::vector<double> xs;
      for (const auto& r : result.values[v]) xs.push_back(r[m]);
      const SampleStats st = sample_stats(xs);
      char buf[96];
      if (std::isnan(st.stddev)) {
        std::snprintf(buf, sizeof buf, "%.2f", st.mean);
      } else {
        std::snprintf(buf, sizeof buf, "%.2f ± %.2f", st.mean, st.ci95_high - st.mean);
      }
      row.push_back(buf);
    }
    rows.push_back(std::move(row));
  }
  // Display width: count UTF-8 code points ('±' is two bytes, one column).
  const auto width = [](const std::string& s) {
    return static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
  };
  std::vector<std::size_t> widths(header.size(), 0);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], width(row[c]));
  }
  std::ostringstream out;
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      const std::string pad(widths[c] - width(row[c]), ' ');
      if (c) out << "  ";
      if (c < text_columns) {
        out << row[c] << (c + 1 < row.size() ? pad : "");
      } else {
        out << pad << row[c];
      }
    }
    out << "\n";
  }
  out << "(mean ± half-width of the 95% confidence interval, Student's t with n−1 df, over "
      << result.seeds.size() << " seed" << (result.seeds.size() == 1 ? "" : "s") << ")\n";
  return out.str();
}

std::string write_sweep_directory(const std::string& dir, const SweepSpec& spec,
                                  const SweepResult& result) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return "cannot create the output directory " + dir + ": " + ec.message();
  const std::pair<const char*, std::string> files[] = {
      {"/results.csv", sweep_results_csv(spec, result)},
      {"/summary.csv", sweep_summary_csv(spec, result)}};
  for (const auto& [name, text] : files) {
    std::ofstream out(dir + name, std::ios::binary);
    if (!out) return "cannot write " + dir + name;
    out << text;
    if (!out) return "cannot write " + dir + name;
  }
  return "";
}

}  // namespace kubesim::experiments
