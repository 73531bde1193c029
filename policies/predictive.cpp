// Predictive autoscaler: least squares (Eigen QR) and additive Holt-Winters forecasters, and
// the replica decision with HPA-style scale-down stabilization. See predictive.hpp.
#include "policies/predictive.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <utility>

namespace kubesim::policies {
namespace {

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string invalid_field(const std::string& field, const std::string& got,
                          const std::string& expected, const std::string& hint) {
  return "predictive autoscaler: " + field + " " + expected + " (got " + got + "): " + hint;
}

bool in_unit_interval(double v) { return std::isfinite(v) && v >= 0.0 && v <= 1.0; }

// The seasonal angle w t, computed from t mod P in integer nanoseconds so that it stays
// exact however long the simulation has run.
double seasonal_angle(sim::Time t, sim::Duration period) {
  sim::Duration r = t % period;
  if (r < 0) r += period;
  return 2.0 * std::numbers::pi * static_cast<double>(r) / static_cast<double>(period);
}

std::size_t columns(sim::Duration period) { return period > 0 ? 4 : 2; }

// Fills the design row of one time.
void design_row(sim::Time t, sim::Time reference, sim::Duration period, double* row) {
  row[0] = 1.0;
  row[1] = sim::to_seconds(t - reference);
  if (period > 0) {
    const double a = seasonal_angle(t, period);
    row[2] = std::sin(a);
    row[3] = std::cos(a);
  }
}

// The grid of a smoothing parameter: {step, 2 step, ..., 1}; a given value is its own grid.
std::vector<double> grid_of(std::optional<double> fixed, double step) {
  if (fixed) return {*fixed};
  std::vector<double> g;
  const auto k = static_cast<int>(std::floor(1.0 / step + 1e-9));
  for (int i = 1; i <= k; ++i) g.push_back(std::min(1.0, static_cast<double>(i) * step));
  if (g.empty() || g.back() < 1.0) g.push_back(1.0);
  return g;
}

struct HwInit {
  double level = 0;
  double trend = 0;
  std::vector<double> season;
  std::size_t start = 0;  // first index the recursion runs on
};

HwInit hw_init(std::span<const double> y, std::int32_t m) {
  HwInit init;
  if (m == 0) {
    init.level = y[1];
    init.trend = y[1] - y[0];
    init.start = 2;
    return init;
  }
  const auto mm = static_cast<std::size_t>(m);
  double mean0 = 0;
  double mean1 = 0;
  for (std::size_t i = 0; i < mm; ++i) {
    mean0 += y[i];
    mean1 += y[mm + i];
  }
  mean0 /= static_cast<double>(m);
  mean1 /= static_cast<double>(m);
  init.trend = (mean1 - mean0) / static_cast<double>(m);
  const double mid = (static_cast<double>(m) - 1.0) / 2.0;
  // Each season mean sits at the middle of its season; the level at index m-1 is half a
  // season (less half a bucket) of trend after the first mean.
  init.level = mean0 + init.trend * mid;
  init.season.resize(mm);
  for (std::size_t i = 0; i < mm; ++i) {
    const double off = init.trend * (static_cast<double>(i) - mid);
    init.season[i] = ((y[i] - mean0 - off) + (y[mm + i] - mean1 - off)) / 2.0;
  }
  init.start = mm;
  return init;
}

// Runs the recursion from the initial state; fills level, trend, season, sse and errors.
void hw_run(std::span<const double> y, std::int32_t m, const HwInit& init,
            const HoltWintersParams& p, HoltWintersFit& out) {
  double level = init.level;
  double trend = init.trend;
  out.season = init.season;
  double sse = 0;
  const auto mm = static_cast<std::size_t>(m);
  for (std::size_t t = init.start; t < y.size(); ++t) {
    const double s = m > 0 ? out.season[t % mm] : 0.0;
    const double err = y[t] - (level + trend + s);
    sse += err * err;
    const double next_level = p.alpha * (y[t] - s) + (1.0 - p.alpha) * (level + trend);
    trend = p.beta * (next_level - level) + (1.0 - p.beta) * trend;
    level = next_level;
    if (m > 0) out.season[t % mm] = p.gamma * (y[t] - level) + (1.0 - p.gamma) * s;
  }
  out.level = level;
  out.trend = trend;
  out.sse = sse;
  out.errors = y.size() - init.start;
}

}  // namespace

const char* predictive_model_name(PredictiveModel model) {
  switch (model) {
    case PredictiveModel::kLeastSquares:
      return "least-squares";
    case PredictiveModel::kHoltWinters:
      return "holt-winters";
  }
  return "unknown";
}

sim::Result<PredictiveModel> parse_predictive_model(const std::string& text) {
  if (text == "least-squares") return PredictiveModel::kLeastSquares;
  if (text == "holt-winters") return PredictiveModel::kHoltWinters;
  return sim::Status::invalid_argument("predictive autoscaler: unknown model \"" + text +
                                       "\" (expected least-squares or holt-winters)");
}

sim::Status validate(const PredictiveConfig& c) {
  auto bad = [](const std::string& field, const std::string& got, const std::string& expected,
                const std::string& hint) {
    return sim::Status::invalid_argument(invalid_field(field, got, expected, hint));
  };
  if (!(std::isfinite(c.target_per_replica) && c.target_per_replica > 0)) {
    return bad("target_per_replica", num(c.target_per_replica), "must be > 0",
               "the load one replica is sized for, in " + c.load_unit +
                   " (e.g. 10 for 10 RPS per replica)");
  }
  if (c.min_replicas < 0) {
    return bad("min_replicas", std::to_string(c.min_replicas), "must be >= 0",
               "0 lets the workload scale to zero when there is no load");
  }
  if (c.max_replicas < 1 || c.max_replicas < c.min_replicas) {
    return bad("max_replicas", std::to_string(c.max_replicas),
               "must be >= 1 and >= min_replicas (" + std::to_string(c.min_replicas) + ")",
               "the most replicas the autoscaler may ask for");
  }
  if (c.lead_time < 0) {
    return bad("lead_time", sim::format_duration(c.lead_time), "must be >= 0",
               "the provisioning and startup delay of a new replica, e.g. 2m");
  }
  if (c.history <= 0) {
    return bad("history", sim::format_duration(c.history), "must be > 0",
               "how much recent load the forecaster fits, e.g. 30m");
  }
  if (c.min_samples < 2) {
    return bad("min_samples", std::to_string(c.min_samples), "must be >= 2",
               "a trend needs at least two points");
  }
  if (c.scale_down_stabilization < 0) {
    return bad("scale_down_stabilization", sim::format_duration(c.scale_down_stabilization),
               "must be >= 0", "0 disables it; the HPA's default is 5m");
  }
  if (c.model == PredictiveModel::kLeastSquares) {
    if (c.seasonal_period < 0) {
      return bad("seasonal_period", sim::format_duration(c.seasonal_period), "must be >= 0",
                 "0 fits a linear trend only; 24h fits a daily cycle");
    }
    if (c.seasonal_period > c.history) {
      return bad("seasonal_period", sim::format_duration(c.seasonal_period),
                 "must be <= history (" + sim::format_duration(c.history) + ")",
                 "the window must hold a whole period to tell the season from the trend; "
                 "raise history");
    }
    return sim::Status::ok_status();
  }
  if (c.bucket_interval <= 0) {
    return bad("bucket_interval", sim::format_duration(c.bucket_interval), "must be > 0",
               "Holt-Winters works on equally spaced buckets, e.g. 15s");
  }
  if (c.season_length < 0 || c.season_length == 1) {
    return bad("season_length", std::to_string(c.season_length), "must be 0 or >= 2",
               "the season in buckets (0 = no season): 96 buckets of 15m make a day");
  }
  if (c.season_length > 0 && c.history / 2 / c.season_length < c.bucket_interval) {
    return bad("history", sim::format_duration(c.history),
               "must be >= 2 x season_length x bucket_interval (" +
                   sim::format_duration(2 * c.season_length * c.bucket_interval) + ")",
               "Holt-Winters is initialized from two whole seasons");
  }
  const std::pair<const char*, std::optional<double>> params[] = {
      {"alpha", c.alpha}, {"beta", c.beta}, {"gamma", c.gamma}};
  for (const auto& [name, v] : params) {
    if (v && !in_unit_interval(*v)) {
      return bad(name, num(*v), "must be in [0, 1]",
                 "leave it unset to fit it on the grid of grid_step");
    }
  }
  if (c.refit_interval < 0) {
    return bad("refit_interval", sim::format_duration(c.refit_interval), "must be >= 0",
               "0 runs the parameter search on every decision");
  }
  if (!(std::isfinite(c.grid_step) && c.grid_step > 0 && c.grid_step <= 0.5)) {
    return bad("grid_step", num(c.grid_step), "must be in (0, 0.5]",
               "0.1 searches {0.1, ..., 1} for each unset parameter");
  }
  return sim::Status::ok_status();
}

// ---- least squares ------------------------------------------------------------------------

double LeastSquaresFit::predict(sim::Time t) const {
  double v = intercept + slope_per_second * sim::to_seconds(t - reference);
  if (period > 0) {
    const double a = seasonal_angle(t, period);
    v += sin_coef * std::sin(a) + cos_coef * std::cos(a);
  }
  return v;
}

LeastSquaresFit fit_least_squares(std::span<const LoadSample> samples, sim::Duration period) {
  LeastSquaresFit fit;
  fit.period = period > 0 ? period : 0;
  fit.samples = samples.size();
  const std::size_t k = columns(fit.period);
  if (samples.size() < k) {
    fit.error = std::to_string(samples.size()) + " samples for " + std::to_string(k) + " unknowns";
    return fit;
  }
  fit.reference = samples.front().time;
  for (const auto& s : samples) fit.reference = std::max(fit.reference, s.time);
  const auto n = static_cast<Eigen::Index>(samples.size());
  const auto kk = static_cast<Eigen::Index>(k);
  Eigen::MatrixXd x(n, kk);
  Eigen::VectorXd y(n);
  double row[4];
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto& s = samples[static_cast<std::size_t>(i)];
    design_row(s.time, fit.reference, fit.period, row);
    for (Eigen::Index j = 0; j < kk; ++j) x(i, j) = row[j];
    y(i) = s.load;
  }
  // Column-pivoting QR: stable on the badly scaled columns (1 vs seconds) and reports rank,
  // which catches all samples at one instant or a season sampled at one phase.
  const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(x);
  if (qr.rank() < kk) {
    fit.error = "the samples do not determine the " + std::to_string(k) + " unknowns (rank " +
                std::to_string(qr.rank()) + ")";
    return fit;
  }
  const Eigen::VectorXd beta = qr.solve(y);
  fit.intercept = beta(0);
  fit.slope_per_second = beta(1);
  if (fit.period > 0) {
    fit.sin_coef = beta(2);
    fit.cos_coef = beta(3);
    fit.amplitude = std::hypot(fit.sin_coef, fit.cos_coef);
    fit.phase = std::atan2(fit.cos_coef, fit.sin_coef);
  }
  fit.rms_error = std::sqrt((x * beta - y).squaredNorm() / static_cast<double>(n));
  fit.ok = true;
  return fit;
}

// ---- Holt-Winters -------------------------------------------------------------------------

double HoltWintersFit::forecast(double steps) const {
  double v = level + trend * steps;
  if (season_length > 0 && !season.empty()) {
    const auto m = static_cast<long long>(season_length);
    const long long h = std::max(0LL, std::llround(steps));
    const long long last = static_cast<long long>(buckets) - 1;
    v += season[static_cast<std::size_t>((last + h) % m)];
  }
  return v;
}

HoltWintersFit fit_holt_winters(std::span<const double> series, std::int32_t season_length,
                                std::optional<double> alpha, std::optional<double> beta,
                                std::optional<double> gamma, double grid_step) {
  HoltWintersFit fit;
  fit.buckets = series.size();
  fit.season_length = season_length;
  const std::size_t need =
      std::max<std::size_t>(3, 2 * static_cast<std::size_t>(std::max(season_length, 0)));
  if (season_length < 0 || season_length == 1) {
    fit.error = "season_length " + std::to_string(season_length) + " (expected 0 or >= 2)";
    return fit;
  }
  if (series.size() < need) {
    fit.error = std::to_string(series.size()) + " buckets, needs " + std::to_string(need);
    return fit;
  }
  if (!(grid_step > 0 && grid_step <= 0.5)) grid_step = 0.1;
  const HwInit init = hw_init(series, season_length);
  if (season_length == 0) gamma = 0.0;
  fit.fitted = !alpha || !beta || !gamma;
  const auto ga = grid_of(alpha, grid_step);
  const auto gb = grid_of(beta, grid_step);
  const auto gg = grid_of(gamma, grid_step);
  HoltWintersFit trial = fit;
  bool have = false;
  for (double a : ga) {
    for (double b : gb) {
      for (double g : gg) {
        trial.params = {a, b, g};
        hw_run(series, season_length, init, trial.params, trial);
        if (!have || trial.sse < fit.sse) {
          fit = trial;
          have = true;
        }
      }
    }
  }
  fit.ok = true;
  return fit;
}

std::vector<double> resample_buckets(std::span<const LoadSample> samples, sim::Duration interval,
                                     sim::Time* last_bucket_start) {
  std::vector<double> out;
  if (samples.empty() || interval <= 0) return out;
  auto bucket_of = [interval](sim::Time t) {
    sim::Time q = t / interval;
    if (t % interval < 0) --q;
    return q;
  };
  const sim::Time first = bucket_of(samples.front().time);
  const sim::Time last = bucket_of(samples.back().time);
  const auto n = static_cast<std::size_t>(last - first + 1);
  std::vector<double> sum(n, 0.0);
  std::vector<int> count(n, 0);
  for (const auto& s : samples) {
    const auto i = static_cast<std::size_t>(bucket_of(s.time) - first);
    sum[i] += s.load;
    ++count[i];
  }
  out.resize(n);
  std::size_t prev = 0;  // the last bucket with samples (bucket 0 always has one)
  for (std::size_t i = 0; i < n; ++i) {
    if (count[i] == 0) continue;
    out[i] = sum[i] / count[i];
    for (std::size_t j = prev + 1; j < i; ++j) {
      const double w = static_cast<double>(j - prev) / static_cast<double>(i - prev);
      out[j] = out[prev] + w * (out[i] - out[prev]);
    }
    prev = i;
  }
  if (last_bucket_start != nullptr) *last_bucket_start = last * interval;
  return out;
}

// ---- the autoscaler -----------------------------------------------------------------------

sim::Result<PredictiveAutoscaler> PredictiveAutoscaler::create(PredictiveConfig config) {
  if (auto st = validate(config); !st.ok()) return st;
  return PredictiveAutoscaler(std::move(config));
}

sim::Status PredictiveAutoscaler::record(sim::Time now, double load) {
  if (!std::isfinite(load) || load < 0) {
    return sim::Status::invalid_argument("predictive autoscaler: load sample " + num(load) +
                                         " at " + sim::format_duration(now) +
                                         " must be finite and >= 0");
  }
  if (!samples_.empty() && now < samples_.back().time) {
    return sim::Status::invalid_argument(
        "predictive autoscaler: sample at " + sim::format_duration(now) +
        " is earlier than the previous one at " + sim::format_duration(samples_.back().time));
  }
  samples_.push_back({now, load});
  // Forget what no window can reach any more (amortized: erase in blocks).
  const std::size_t old = first_in_window(now);
  if (old > 64 && old * 2 > samples_.size()) {
    samples_.erase(samples_.begin(), samples_.begin() + static_cast<std::ptrdiff_t>(old));
  }
  return sim::Status::ok_status();
}

std::size_t PredictiveAutoscaler::first_in_window(sim::Time now) const {
  const sim::Time cutoff = now - config_.history;
  const auto it = std::lower_bound(samples_.begin(), samples_.end(), cutoff,
                                   [](const LoadSample& s, sim::Time t) { return s.time < t; });
  return static_cast<std::size_t>(it - samples_.begin());
}

const HoltWintersParams* PredictiveAutoscaler::reusable_params(sim::Time now) const {
  if (!hw_params_ || now < hw_fitted_at_ || now - hw_fitted_at_ >= config_.refit_interval) {
    return nullptr;
  }
  return &*hw_params_;
}

LoadForecast PredictiveAutoscaler::forecast(sim::Time now, sim::Time at) const {
  return forecast_with(now, at, reusable_params(now), nullptr);
}

LoadForecast PredictiveAutoscaler::forecast_with(sim::Time now, sim::Time at,
                                                 const HoltWintersParams* reuse,
                                                 std::optional<HoltWintersParams>* fitted) const {
  LoadForecast f;
  f.at = at;
  const std::size_t begin = first_in_window(now);
  const auto end_it = std::upper_bound(samples_.begin(), samples_.end(), now,
                                       [](sim::Time t, const LoadSample& s) { return t < s.time; });
  const std::span<const LoadSample> window(samples_.data() + begin,
                                           samples_.data() + (end_it - samples_.begin()));
  const std::string history = sim::format_duration(config_.history);
  if (window.empty()) {
    f.model = "none";
    f.detail = "no load sample in the last " + history;
    return f;
  }
  f.value = window.back().load;
  const auto min_samples = static_cast<std::size_t>(config_.min_samples);
  if (config_.model == PredictiveModel::kLeastSquares) {
    f.model = "least-squares";
    if (config_.seasonal_period > 0) {
      f.model += "+seasonal(" + sim::format_duration(config_.seasonal_period) + ")";
    }
    if (window.size() < min_samples) {
      f.detail = std::to_string(window.size()) + " samples in the last " + history + ", needs " +
                 std::to_string(min_samples);
      return f;
    }
    const LeastSquaresFit fit = fit_least_squares(window, config_.seasonal_period);
    if (!fit.ok) {
      f.detail = fit.error;
      return f;
    }
    f.ok = true;
    f.value = fit.predict(at);
    f.detail = std::to_string(fit.samples) + " samples, slope " + num(fit.slope_per_second * 60.0) +
               " " + config_.load_unit + "/min";
    if (fit.period > 0) {
      f.detail += ", season amplitude " + num(fit.amplitude) + " phase " + num(fit.phase);
    }
    f.detail += ", rms error " + num(fit.rms_error);
    return f;
  }
  f.model = "holt-winters";
  sim::Time last_start = 0;
  const std::vector<double> series = resample_buckets(window, config_.bucket_interval, &last_start);
  const std::size_t need =
      std::max<std::size_t>({min_samples, 3, 2 * static_cast<std::size_t>(config_.season_length)});
  if (series.size() < need) {
    f.detail = std::to_string(series.size()) + " buckets of " +
               sim::format_duration(config_.bucket_interval) + " in the last " + history +
               ", needs " + std::to_string(need);
    return f;
  }
  const HoltWintersFit fit = reuse != nullptr
                                 ? fit_holt_winters(series, config_.season_length, reuse->alpha,
                                                    reuse->beta, reuse->gamma, config_.grid_step)
                                 : fit_holt_winters(series, config_.season_length, config_.alpha,
                                                    config_.beta, config_.gamma, config_.grid_step);
  if (!fit.ok) {
    f.detail = fit.error;
    return f;
  }
  if (fitted != nullptr && fit.fitted) *fitted = fit.params;
  f.ok = true;
  const double steps = std::max(
      0.0, static_cast<double>(at - last_start) / static_cast<double>(config_.bucket_interval));
  f.value = fit.forecast(steps);
  f.detail = std::to_string(fit.buckets) + " buckets, alpha " + num(fit.params.alpha) + " beta " +
             num(fit.params.beta);
  if (config_.season_length > 0) f.detail += " gamma " + num(fit.params.gamma);
  if (fit.fitted) f.detail += " (fitted)";
  if (reuse != nullptr) f.detail += " (fitted earlier)";
  f.detail += ", one-step rms error " +
              num(fit.errors > 0 ? std::sqrt(fit.sse / static_cast<double>(fit.errors)) : 0.0);
  return f;
}

PredictiveDecision PredictiveAutoscaler::decide(sim::Time now, std::int32_t current_replicas) {
  const PredictiveConfig& c = config_;
  PredictiveDecision d;
  d.current_replicas = current_replicas;
  d.horizon = c.lead_time;
  std::optional<HoltWintersParams> fitted;
  const LoadForecast f = forecast_with(now, now + c.lead_time, reusable_params(now), &fitted);
  if (fitted) {
    hw_params_ = fitted;
    hw_fitted_at_ = now;
  }
  d.model = f.model;
  if (f.model == "none") {
    d.desired_replicas = std::clamp(current_replicas, c.min_replicas, c.max_replicas);
    d.recommended_replicas = d.stabilized_replicas = current_replicas;
    d.reason = f.detail + ": keeping " + std::to_string(d.desired_replicas) + " replicas";
    return d;
  }
  d.has_load = true;
  const auto last = std::upper_bound(samples_.begin(), samples_.end(), now,
                                     [](sim::Time t, const LoadSample& s) { return t < s.time; });
  d.current_load = std::prev(last)->load;
  d.forecast_ok = f.ok;
  d.forecast_load = f.ok ? f.value : d.current_load;
  const double basis = std::max(d.current_load, d.forecast_load);
  // A ratio within 1e-9 of an integer is that integer: the fits carry rounding noise of that
  // order, and 40.000000000001 RPS at 10 RPS per replica is 4 replicas, not 5.
  const double ratio = basis / c.target_per_replica;
  const double replicas = std::ceil(ratio - 1e-9);
  d.recommended_replicas =
      replicas <= 0 ? 0
      : replicas >= static_cast<double>(std::numeric_limits<std::int32_t>::max())
          ? std::numeric_limits<std::int32_t>::max()
          : static_cast<std::int32_t>(replicas);

  // upstream horizontal.go stabilizeRecommendation: the max over recommendations not older
  // than now - window (a recommendation exactly at the cutoff still counts).
  const sim::Time cutoff = now - c.scale_down_stabilization;
  d.stabilized_replicas = d.recommended_replicas;
  std::erase_if(recommendations_, [cutoff](const Recommendation& r) { return r.time < cutoff; });
  for (const auto& r : recommendations_) {
    d.stabilized_replicas = std::max(d.stabilized_replicas, r.replicas);
  }
  recommendations_.push_back({d.recommended_replicas, now});
  d.desired_replicas = std::clamp(d.stabilized_replicas, c.min_replicas, c.max_replicas);

  // The one-line story.
  std::string& r = d.reason;
  if (d.desired_replicas > current_replicas) {
    r = "scale up from " + std::to_string(current_replicas) + " to " +
        std::to_string(d.desired_replicas);
  } else if (d.desired_replicas < current_replicas) {
    r = "scale down from " + std::to_string(current_replicas) + " to " +
        std::to_string(d.desired_replicas);
  } else {
    r = "keep " + std::to_string(current_replicas);
  }
  const std::string& u = c.load_unit;
  r += " replicas: current load " + num(d.current_load) + " " + u;
  if (f.ok) {
    r += ", forecast " + num(f.value) + " " + u + " at now+" + sim::format_duration(c.lead_time) +
         " (" + f.model + ", " + f.detail + ")";
  } else {
    r += ", no forecast (" + f.model + ": " + f.detail + ")";
  }
  r += "; ceil(" + num(basis) + " / " + num(c.target_per_replica) +
       ") = " + std::to_string(d.recommended_replicas);
  if (d.stabilized_replicas != d.recommended_replicas) {
    r += "; scale-down stabilized at " + std::to_string(d.stabilized_replicas) +
         " (highest recommendation in the last " +
         sim::format_duration(c.scale_down_stabilization) + ")";
  }
  if (d.desired_replicas != d.stabilized_replicas) {
    r += d.desired_replicas == c.max_replicas
             ? "; limited to max_replicas " + std::to_string(c.max_replicas)
             : "; raised to min_replicas " + std::to_string(c.min_replicas);
  }
  return d;
}

PredictiveConfig predictive_config_for(const models::PredictiveAutoscalerSpec& spec) {
  PredictiveConfig c;
  c.model = spec.model == "holt-winters" ? PredictiveModel::kHoltWinters
                                         : PredictiveModel::kLeastSquares;
  c.target_per_replica = spec.target_per_replica;
  c.min_replicas = spec.min_replicas;
  c.max_replicas = spec.max_replicas;
  c.lead_time = spec.lead_time;
  c.history = spec.history;
  c.min_samples = spec.min_samples;
  c.scale_down_stabilization = spec.scale_down_stabilization;
  c.seasonal_period = spec.seasonal_period;
  c.bucket_interval = spec.bucket_interval;
  c.season_length = spec.season_length;
  c.alpha = spec.alpha;
  c.beta = spec.beta;
  c.gamma = spec.gamma;
  c.load_unit = spec.metric.name;
  return c;
}

}  // namespace kubesim::policies
