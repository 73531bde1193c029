// A predictive pod autoscaler: forecast the load a provisioning delay ahead and size the
// workload for it now (kubesim issue 4, item 5).
//
// The HPA (policies/hpa.hpp) sizes a workload for the load it sees; replicas it asks for
// become useful only after the provisioning delay (node scale-up, image pull, model load),
// so on a rising load it is always one delay behind. PredictiveAutoscaler keeps the recent
// history of one load signal (RPS, concurrency, queue length...), fits a forecaster on it and
// returns, for `now`,
//
//   recommended = ceil(max(current load, forecast at now + lead_time) / target_per_replica)
//   desired     = clamp(stabilized(recommended), min_replicas, max_replicas)
//
// where stabilized() is the HPA's scale-down stabilization (upstream kube-controller-manager
// v1.34, pkg/controller/podautoscaler/horizontal.go stabilizeRecommendation: the maximum of
// the recommendations made within the window, so a dip in the forecast does not flap the
// replica count; scale-up is immediate).
//
// Forecasters (PredictiveModel):
//   * kLeastSquares: ordinary least squares over the samples in the history window,
//       y(t) = c + b (t - t_last) [+ a sin(2 pi t / P) + d cos(2 pi t / P)]
//     with the seasonal pair only when seasonal_period P > 0 (t is simulation time, so the
//     phase is relative to the simulation epoch). Solved with Eigen's column-pivoting
//     Householder QR.
//   * kHoltWinters: additive Holt-Winters (level, trend, season of season_length buckets;
//     season_length 0 = Holt's linear trend, no season) over the history resampled into
//     buckets of bucket_interval. alpha, beta, gamma are taken from the config or, when
//     unset, fitted by the least sum of squared one-step errors over a grid.
//
// Pure: no clock, no store, no YAML. Eigen appears only in predictive.cpp. Deterministic:
// same samples, same calls, same decisions (the grid is searched in a fixed order and the
// first minimum wins).
//
// Not thread-safe: one PredictiveAutoscaler belongs to one scaled workload.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "models/autoscaling_objects.hpp"
#include "sim/status.hpp"
#include "sim/time.hpp"

namespace kubesim::policies {

enum class PredictiveModel { kLeastSquares, kHoltWinters };

// "least-squares" / "holt-winters" (the spelling scenario files use); parse returns
// InvalidArgument naming the accepted values.
const char* predictive_model_name(PredictiveModel model);
sim::Result<PredictiveModel> parse_predictive_model(const std::string& text);

// Every field is documented with its unit; defaults suit an RPS signal sampled every 15 s.
struct PredictiveConfig {
  PredictiveModel model = PredictiveModel::kLeastSquares;
  // The load one replica is sized for, in the unit of the recorded samples (e.g. 10 RPS).
  // REQUIRED: > 0 (the default 0 is rejected by validate()).
  double target_per_replica = 0;
  std::int32_t min_replicas = 1;   // >= 0; 0 lets the workload scale to zero at zero load
  std::int32_t max_replicas = 10;  // >= max(1, min_replicas)
  // How far ahead to look: the provisioning + startup delay of a new replica (node
  // provisioning, image pull, model load, readiness). 0 = react to current load only.
  sim::Duration lead_time = sim::minutes(2);
  // Samples older than now - history are forgotten; the forecasters fit what is left.
  sim::Duration history = sim::minutes(30);
  // Fewest samples (least squares) or buckets (Holt-Winters, at least 3 and at least
  // 2 x season_length) a forecast needs; with fewer the decision uses the current load.
  std::int32_t min_samples = 4;
  // Scale-down stabilization window (the HPA's --horizontal-pod-autoscaler-downscale-
  // stabilization, default 5m). 0 = none.
  sim::Duration scale_down_stabilization = sim::minutes(5);

  // kLeastSquares: period of the sin/cos term (e.g. 24h for a diurnal load); 0 = a linear
  // trend only. REQUIRES seasonal_period <= history (the window must hold one period).
  sim::Duration seasonal_period = 0;

  // kHoltWinters: width of one bucket (samples in a bucket are averaged, empty buckets are
  // interpolated linearly) and the season in buckets (0 = no season, else >= 2).
  // REQUIRES history >= 2 x season_length x bucket_interval (initialization uses two seasons).
  sim::Duration bucket_interval = sim::seconds(15);
  std::int32_t season_length = 0;
  // Smoothing parameters in [0, 1]; unset ones are fitted on the grid
  // {grid_step, 2 grid_step, ..., 1} by least squared one-step-ahead error.
  std::optional<double> alpha;  // level
  std::optional<double> beta;   // trend
  std::optional<double> gamma;  // season (ignored when season_length == 0)
  double grid_step = 0.1;       // in (0, 0.5]
  // The grid search costs (grid points)^3 x buckets (about 1 ms for 1000 x 200); decide()
  // runs it at most once per refit_interval and reuses the parameters it found in between
  // (the recursion itself runs on every call). 0 = search on every decide().
  sim::Duration refit_interval = sim::minutes(5);

  std::string load_unit = "RPS";  // only for reasons
};

// Returns InvalidArgument naming the field, the value, what is expected and a hint; ok()
// when the config is usable.
sim::Status validate(const PredictiveConfig& config);

// The configuration a PredictiveAutoscaler object (autoscaling.kubesim.io/v1alpha1) asks for:
// its spec's fields one for one, `model` by name, the metric's name as the load unit. The
// manifest reader checks the result with validate(); the controller creates from it.
PredictiveConfig predictive_config_for(const models::PredictiveAutoscalerSpec& spec);

struct LoadSample {
  sim::Time time = 0;
  double load = 0;
};

// ---- least squares ------------------------------------------------------------------------

struct LeastSquaresFit {
  bool ok = false;
  std::string error;  // when !ok: too few samples or a rank-deficient design
  std::size_t samples = 0;
  sim::Time reference = 0;      // t_last: the trend term is b (t - reference) in seconds
  sim::Duration period = 0;     // seasonal period, 0 = none
  double intercept = 0;         // c: the fitted value at `reference` without the season
  double slope_per_second = 0;  // b
  double sin_coef = 0;          // a
  double cos_coef = 0;          // d
  // a sin(w t) + d cos(w t) = amplitude sin(w t + phase), phase = atan2(d, a) in (-pi, pi].
  double amplitude = 0;
  double phase = 0;
  double rms_error = 0;  // root mean square residual over the window
  // The fitted curve at t (any t; beyond the window this is the forecast).
  double predict(sim::Time t) const;
};

// OLS on `samples` (any order, any spacing). period 0 = linear trend only. Needs at least
// as many samples as unknowns (2 or 4) and distinct enough times to identify them.
LeastSquaresFit fit_least_squares(std::span<const LoadSample> samples, sim::Duration period);

// ---- Holt-Winters -------------------------------------------------------------------------

struct HoltWintersParams {
  double alpha = 0;
  double beta = 0;
  double gamma = 0;
};

// The state after running the recursion over a whole series.
//
// Initialization (season_length m >= 2, from the first two seasons, so that a noiseless
// trend + season series is reproduced exactly): trend T = (mean(season 2) - mean(season 1))/m,
// level at index m-1 L = mean(season 1) + T (m-1)/2, season index i (i < m) = the average over
// the two seasons of y - season mean - T (i - (m-1)/2). The recursion then runs for
// t = m .. n-1 (p = t mod m):
//   L_t = alpha (y_t - S_p) + (1 - alpha)(L_{t-1} + T_{t-1})
//   T_t = beta (L_t - L_{t-1}) + (1 - beta) T_{t-1}
//   S_p = gamma (y_t - L_t) + (1 - gamma) S_p                     (Winters 1960)
// m == 0 (Holt): L_1 = y_1, T_1 = y_1 - y_0, recursion from t = 2 without S.
struct HoltWintersFit {
  bool ok = false;
  std::string error;
  HoltWintersParams params;
  bool fitted = false;      // some parameter came from the grid
  std::size_t buckets = 0;  // n
  std::int32_t season_length = 0;
  double level = 0;
  double trend = 0;            // per bucket
  std::vector<double> season;  // season[p] for positions p = t mod m of the series
  double sse = 0;              // sum of squared one-step errors over the recursion
  std::size_t errors = 0;      // number of one-step errors in sse
  // Forecast `steps` buckets after the last one (steps >= 0 may be fractional: the trend
  // is scaled by steps, the season taken at the nearest bucket).
  double forecast(double steps) const;
};

// Runs Holt-Winters over `series` (equally spaced). Parameters passed as nullopt are fitted
// on the grid (alpha, then beta, then gamma ascending; the first strict minimum of sse
// wins). Needs n >= 3 and n >= 2 m.
HoltWintersFit fit_holt_winters(std::span<const double> series, std::int32_t season_length,
                                std::optional<double> alpha, std::optional<double> beta,
                                std::optional<double> gamma, double grid_step = 0.1);

// Resamples samples (sorted by time) into buckets [k I, (k+1) I) of simulation time: the mean
// of the samples in a bucket; buckets with no sample between two that have one are linearly
// interpolated. `last_bucket_start` receives the start of the last bucket.
std::vector<double> resample_buckets(std::span<const LoadSample> samples, sim::Duration interval,
                                     sim::Time* last_bucket_start);

// ---- the autoscaler -----------------------------------------------------------------------

struct LoadForecast {
  bool ok = false;   // false: too few samples or a degenerate fit; value = current load
  double value = 0;  // forecast load at `at` (not clamped; may be negative)
  sim::Time at = 0;
  std::string model;   // "least-squares", "least-squares+seasonal(24h0m0s)", "holt-winters"
  std::string detail;  // the fitted parameters or why there is no forecast
};

struct PredictiveDecision {
  std::int32_t current_replicas = 0;
  std::int32_t desired_replicas = 0;      // what to set
  std::int32_t recommended_replicas = 0;  // ceil(max(current, forecast) / target), unclamped
  std::int32_t stabilized_replicas = 0;   // after the scale-down window, before min/max
  bool has_load = false;                  // false: no sample yet; desired = clamp(current)
  double current_load = 0;                // the latest sample
  double forecast_load = 0;               // forecast at now + horizon (= current if !forecast_ok)
  bool forecast_ok = false;
  sim::Duration horizon = 0;  // lead_time
  std::string model;          // LoadForecast::model, or "none"
  std::string reason;         // one line, for people
};

class PredictiveAutoscaler {
 public:
  // Validates the config (validate()); the error says which field is wrong.
  static sim::Result<PredictiveAutoscaler> create(PredictiveConfig config);

  // Adds one observation of the load. REQUIRES (else InvalidArgument, sample dropped):
  // finite load >= 0 and `now` not earlier than the previous sample.
  sim::Status record(sim::Time now, double load);

  // The load forecast at `at` from the samples not older than now - history. Holt-Winters
  // uses the parameters decide() fitted last when they are younger than refit_interval,
  // else fits afresh (without remembering: only decide() changes the state).
  LoadForecast forecast(sim::Time now, sim::Time at) const;

  // One decision at `now` for a workload that has `current_replicas`; records the
  // recommendation for the stabilization window (call once per sync period).
  PredictiveDecision decide(sim::Time now, std::int32_t current_replicas);

  const PredictiveConfig& config() const { return config_; }
  std::span<const LoadSample> samples() const { return samples_; }

  // Restores a recommendation made earlier (kubesim explain: the stabilization window's
  // memory from the state). REQUIRES: before the first decide(), in time order.
  void restore_recommendation(sim::Time time, std::int32_t replicas) {
    recommendations_.push_back({replicas, time});
  }

 private:
  explicit PredictiveAutoscaler(PredictiveConfig config) : config_(std::move(config)) {}
  std::size_t first_in_window(sim::Time now) const;
  const HoltWintersParams* reusable_params(sim::Time now) const;
  LoadForecast forecast_with(sim::Time now, sim::Time at, const HoltWintersParams* reuse,
                             std::optional<HoltWintersParams>* fitted) const;

  struct Recommendation {
    std::int32_t replicas = 0;
    sim::Time time = 0;
  };
  PredictiveConfig config_;
  std::vector<LoadSample> samples_;  // sorted by time
  std::vector<Recommendation> recommendations_;
  std::optional<HoltWintersParams> hw_params_;  // the last grid-searched parameters
  sim::Time hw_fitted_at_ = 0;
};

}  // namespace kubesim::policies
