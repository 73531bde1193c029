// The predictive autoscaler (policies/predictive.hpp): its forecasters against analytic
// curves and hand-worked recursions, and its decisions (lead time, clamping, HPA-style
// scale-down stabilization from upstream horizontal.go stabilizeRecommendation, v1.34).
// Every expected number is derived in the comments next to it.
#include "policies/predictive.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

namespace {

using kubesim::policies::fit_holt_winters;
using kubesim::policies::fit_least_squares;
using kubesim::policies::LoadSample;
using kubesim::policies::PredictiveAutoscaler;
using kubesim::policies::PredictiveConfig;
using kubesim::policies::PredictiveModel;
using kubesim::policies::resample_buckets;
namespace sim = kubesim::sim;

constexpr double kPi = std::numbers::pi;

// y = 100 + 10 RPS/min, sampled every 15 s on [0, 10 min].
std::vector<LoadSample> ramp() {
  std::vector<LoadSample> s;
  for (int k = 0; k <= 40; ++k) {
    const sim::Time t = sim::seconds(15 * k);
    s.push_back({t, 100.0 + 10.0 * sim::to_seconds(t) / 60.0});
  }
  return s;
}

PredictiveAutoscaler make(const PredictiveConfig& c) {
  auto r = PredictiveAutoscaler::create(c);
  REQUIRE(r.ok());
  return r.value();
}

std::string config_error(const PredictiveConfig& c) {
  const auto st = kubesim::policies::validate(c);
  REQUIRE_FALSE(st.ok());
  CHECK(st.code() == sim::Status::Code::kInvalidArgument);
  CHECK_FALSE(PredictiveAutoscaler::create(c).ok());
  return st.message();
}

}  // namespace

TEST_CASE("least squares on a pure linear ramp forecasts the analytic line", "[predictive]") {
  const auto s = ramp();
  const auto fit = fit_least_squares(s, 0);
  REQUIRE(fit.ok);
  CHECK(fit.samples == 41);
  CHECK(fit.reference == sim::minutes(10));
  // The line through the data: 10 RPS/min = 1/6 RPS/s, 200 RPS at t_last = 10 min.
  CHECK(fit.slope_per_second == Approx(1.0 / 6.0).margin(1e-12));
  CHECK(fit.intercept == Approx(200.0).margin(1e-9));
  CHECK(fit.rms_error < 1e-9);
  // At t + h the forecast is the line: 100 + 10 x 12 = 220 at 12 min, 100 + 10 x 70 = 800 at
  // 70 min, 100 - 10 x 5 = 50 at -5 min.
  CHECK(std::abs(fit.predict(sim::minutes(12)) - 220.0) < 1e-9);
  CHECK(std::abs(fit.predict(sim::minutes(70)) - 800.0) < 1e-9);
  CHECK(std::abs(fit.predict(-sim::minutes(5)) - 50.0) < 1e-9);

  SECTION("irregular spacing does not matter for an exact line") {
    std::vector<LoadSample> irregular;
    for (int sec : {0, 7, 20, 33, 61, 62, 130, 299, 300, 512}) {
      irregular.push_back({sim::seconds(sec), 100.0 + 10.0 * sec / 60.0});
    }
    const auto f = fit_least_squares(irregular, 0);
    REQUIRE(f.ok);
    CHECK(std::abs(f.predict(sim::seconds(512 + 120)) - (100.0 + 10.0 * 632 / 60.0)) < 1e-9);
  }
  SECTION("too few or coincident samples give no fit") {
    CHECK_FALSE(fit_least_squares(std::vector<LoadSample>{{0, 1.0}}, 0).ok);
    const auto same = fit_least_squares(
        std::vector<LoadSample>{
            {sim::seconds(5), 1.0}, {sim::seconds(5), 2.0}, {sim::seconds(5), 3.0}},
        0);
    CHECK_FALSE(same.ok);
    CHECK(same.error.find("rank 1") != std::string::npos);
  }
}

TEST_CASE("least squares with a seasonal term recovers a sinusoid's amplitude and phase",
          "[predictive]") {
  const sim::Duration period = sim::hours(1);
  const double w = 2.0 * kPi / 3600.0;
  auto truth = [&](sim::Time t, double trend) {
    const double ts = sim::to_seconds(t);
    return 50.0 + trend * ts + 20.0 * std::sin(w * ts + 0.7);
  };
  std::vector<LoadSample> s;
  std::vector<LoadSample> trended;
  for (int k = 0; k < 480; ++k) {  // two hours every 15 s
    const sim::Time t = sim::seconds(15 * k);
    s.push_back({t, truth(t, 0.0)});
    trended.push_back({t, truth(t, 0.01)});
  }
  SECTION("pure sinusoid: 50 + 20 sin(w t + 0.7)") {
    const auto fit = fit_least_squares(s, period);
    REQUIRE(fit.ok);
    // 20 sin(w t + 0.7) = 20 cos 0.7 sin(w t) + 20 sin 0.7 cos(w t).
    CHECK(fit.amplitude == Approx(20.0).margin(1e-9));
    CHECK(fit.phase == Approx(0.7).margin(1e-9));
    CHECK(fit.sin_coef == Approx(20.0 * std::cos(0.7)).margin(1e-9));
    CHECK(fit.cos_coef == Approx(20.0 * std::sin(0.7)).margin(1e-9));
    CHECK(fit.slope_per_second == Approx(0.0).margin(1e-12));
    // 75 minutes past the window the forecast is the sinusoid itself.
    const sim::Time at = sim::seconds(15 * 479) + sim::minutes(75);
    CHECK(std::abs(fit.predict(at) - truth(at, 0.0)) < 1e-9);
  }
  SECTION("sinusoid on a trend of 0.01 per second") {
    const auto fit = fit_least_squares(trended, period);
    REQUIRE(fit.ok);
    CHECK(fit.amplitude == Approx(20.0).margin(1e-9));
    CHECK(fit.phase == Approx(0.7).margin(1e-9));
    CHECK(fit.slope_per_second == Approx(0.01).margin(1e-12));
  }
  SECTION("alternating +-1 noise moves the estimate by about 1/240") {
    // (-1)^k is nearly orthogonal to the slowly varying regressors: |sum (-1)^k f(t_k)| is at
    // most max|f| = 1 for sin and cos, against sum f^2 = n/2 = 240, so each coefficient
    // moves by about 1/240 = 0.004; 0.02 on the amplitude and 0.001 rad (0.02 / 20) on the
    // phase leave a factor of about 5.
    std::vector<LoadSample> noisy = s;
    for (std::size_t k = 0; k < noisy.size(); ++k) noisy[k].load += (k % 2 == 0) ? 1.0 : -1.0;
    const auto fit = fit_least_squares(noisy, period);
    REQUIRE(fit.ok);
    CHECK(fit.amplitude == Approx(20.0).margin(0.02));
    CHECK(fit.phase == Approx(0.7).margin(0.001));
    CHECK(fit.rms_error == Approx(1.0).margin(0.01));
  }
  SECTION("a season sampled at one phase cannot be identified") {
    std::vector<LoadSample> one_phase;
    for (int k = 0; k < 5; ++k) one_phase.push_back({period * k, 3.0});
    CHECK_FALSE(fit_least_squares(one_phase, period).ok);
  }
}

TEST_CASE("Holt-Winters on a noiseless trend + season series forecasts the next season",
          "[predictive]") {
  // y_t = 100 + 2 t + s_(t mod 4), s = {10, -5, -10, 5} (sums to 0), three seasons.
  const double s[4] = {10, -5, -10, 5};
  std::vector<double> y;
  for (int t = 0; t < 12; ++t) y.push_back(100.0 + 2.0 * t + s[t % 4]);
  // Tolerance by hand: the season means are 100 + 2 x 1.5 = 103 and 100 + 2 x 5.5 = 111, so
  // the two-season initialization gives T = (111 - 103) / 4 = 2, L_3 = 103 + 2 x 1.5 = 106 (the
  // trend line at t = 3) and S_i = s_i exactly; every one-step error is then 0 and the state
  // stays on the line for any alpha, beta, gamma. Only rounding is left: values below 256 carry at
  // most 0.5 ulp = 2.8e-14 per operation, a few dozen operations stay far below 1e-9.
  auto expected = [&](int h) { return 100.0 + 2.0 * (11 + h) + s[(11 + h) % 4]; };
  SECTION("given parameters") {
    const auto fit = fit_holt_winters(y, 4, 0.3, 0.1, 0.2);
    REQUIRE(fit.ok);
    CHECK_FALSE(fit.fitted);
    CHECK(fit.level == Approx(122.0).margin(1e-9));
    CHECK(fit.trend == Approx(2.0).margin(1e-9));
    CHECK(fit.sse < 1e-18);
    CHECK(fit.errors == 8);
    for (int h = 1; h <= 4; ++h) CHECK(std::abs(fit.forecast(h) - expected(h)) < 1e-9);
    // Two seasons ahead.
    CHECK(std::abs(fit.forecast(7) - expected(7)) < 1e-9);
  }
  SECTION("fitted parameters forecast the same") {
    const auto fit = fit_holt_winters(y, 4, std::nullopt, std::nullopt, std::nullopt);
    REQUIRE(fit.ok);
    CHECK(fit.fitted);
    for (int h = 1; h <= 4; ++h) CHECK(std::abs(fit.forecast(h) - expected(h)) < 1e-9);
  }
  SECTION("too short a series is refused") {
    const auto fit = fit_holt_winters(std::span<const double>(y.data(), 7), 4, 0.5, 0.5, 0.5);
    CHECK_FALSE(fit.ok);
    CHECK(fit.error == "7 buckets, needs 8");
  }
}

TEST_CASE("Holt-Winters recursion matches a hand computation", "[predictive]") {
  // m = 2, alpha = beta = gamma = 0.5, y = 10 20 | 12 18 | 16 22.
  // Init: mean1 = 15, mean2 = 15, T = 0, L_1 = 15, S_0 = ((10-15) + (12-15))/2 = -4, S_1 = 4.
  // t=2 (p=0): pred 15+0-4 = 11; L = .5(12+4) + .5(15) = 15.5; T = .5(.5) = .25;
  //            S_0 = .5(12-15.5) + .5(-4) = -3.75
  // t=3 (p=1): pred 15.5+.25+4 = 19.75; L = .5(18-4) + .5(15.75) = 14.875;
  //            T = .5(-.625) + .5(.25) = -.1875; S_1 = .5(3.125) + .5(4) = 3.5625
  // t=4 (p=0): pred 14.875-.1875-3.75 = 10.9375; L = .5(19.75) + .5(14.6875) = 17.21875;
  //            T = .5(2.34375) + .5(-.1875) = 1.078125; S_0 = .5(-1.21875) + .5(-3.75) = -2.484375
  // t=5 (p=1): pred 17.21875+1.078125+3.5625 = 21.859375; L = .5(18.4375) + .5(18.296875)
  //            = 18.3671875; T = .5(1.1484375) + .5(1.078125) = 1.11328125;
  //            S_1 = .5(3.6328125) + .5(3.5625) = 3.59765625
  // sse = 1 + 1.75^2 + 5.0625^2 + 0.140625^2 = 29.711181640625.
  // Forecasts: h=1 (p=0) 18.3671875 + 1.11328125 - 2.484375 = 16.99609375;
  //            h=2 (p=1) 18.3671875 + 2.2265625 + 3.59765625 = 24.19140625.
  // All values are dyadic, so the double arithmetic is exact.
  const std::vector<double> y = {10, 20, 12, 18, 16, 22};
  const auto fit = fit_holt_winters(y, 2, 0.5, 0.5, 0.5);
  REQUIRE(fit.ok);
  CHECK(fit.level == 18.3671875);
  CHECK(fit.trend == 1.11328125);
  REQUIRE(fit.season.size() == 2);
  CHECK(fit.season[0] == -2.484375);
  CHECK(fit.season[1] == 3.59765625);
  CHECK(fit.sse == 29.711181640625);
  CHECK(fit.forecast(1) == 16.99609375);
  CHECK(fit.forecast(2) == 24.19140625);
}

TEST_CASE("Holt-Winters grid search picks the parameter with the least one-step error",
          "[predictive]") {
  // Holt (no season), beta fixed at 0: T stays at its initial y_1 - y_0 = 0, so the model is
  // simple exponential smoothing. A step from 0 to 10 at t = 5 leaves errors 10 (1-alpha)^k,
  // k = 0..5: sse = 100 sum (1-alpha)^(2k), strictly decreasing in alpha, least (100) at 1.
  const std::vector<double> y = {0, 0, 0, 0, 0, 10, 10, 10, 10, 10, 10};
  SECTION("grid 0.1") {
    const auto fit = fit_holt_winters(y, 0, std::nullopt, 0.0, std::nullopt, 0.1);
    REQUIRE(fit.ok);
    CHECK(fit.fitted);
    CHECK(fit.params.alpha == 1.0);
    CHECK(fit.params.beta == 0.0);
    CHECK(fit.sse == 100.0);
    CHECK(fit.forecast(3) == 10.0);
  }
  SECTION("grid 0.3 still ends at 1") {
    const auto fit = fit_holt_winters(y, 0, std::nullopt, 0.0, std::nullopt, 0.3);
    REQUIRE(fit.ok);
    CHECK(fit.params.alpha == 1.0);
  }
  SECTION("a fixed alpha is kept: alpha 0.5 gives 100 (1 + 1/4 + ... + 1/4^5)") {
    const auto fit = fit_holt_winters(y, 0, 0.5, 0.0, std::nullopt);
    REQUIRE(fit.ok);
    CHECK(fit.params.alpha == 0.5);
    CHECK(fit.sse == Approx(100.0 * (1 - std::pow(0.25, 6)) / 0.75).epsilon(1e-12));
  }
}

TEST_CASE("resample_buckets averages within a bucket and interpolates gaps", "[predictive]") {
  const std::vector<LoadSample> s = {{sim::seconds(0), 10.0},
                                     {sim::seconds(5), 20.0},
                                     {sim::seconds(40), 45.0},
                                     {sim::seconds(44), 55.0}};
  sim::Time last = -1;
  const auto b = resample_buckets(s, sim::seconds(15), &last);
  // Buckets [0,15) = mean(10,20) = 15, [15,30) empty = halfway to 50, [30,45) = mean(45,55).
  REQUIRE(b.size() == 3);
  CHECK(b[0] == 15.0);
  CHECK(b[1] == 32.5);
  CHECK(b[2] == 50.0);
  CHECK(last == sim::seconds(30));
}

TEST_CASE("desired replicas lead a ramp by the provisioning delay", "[predictive]") {
  // Ramp of 10 RPS/min, 10 RPS per replica, lead 2 min: at 10 min the load is L = 200 and the
  // forecast L + 20 = 220, so desired = ceil(220 / 10) = 22, where the current load alone
  // (what the HPA sees) gives 20.
  PredictiveConfig c;
  c.target_per_replica = 10;
  c.max_replicas = 100;
  c.lead_time = sim::minutes(2);
  c.history = sim::minutes(10);

  auto run = [&](const PredictiveConfig& cfg) {
    auto a = make(cfg);
    for (const auto& s : ramp()) REQUIRE(a.record(s.time, s.load).ok());
    return a.decide(sim::minutes(10), 20);
  };
  SECTION("least squares") {
    const auto d = run(c);
    CHECK(d.current_load == 200.0);
    CHECK(d.forecast_ok);
    CHECK(std::abs(d.forecast_load - 220.0) < 1e-9);
    CHECK(d.horizon == sim::minutes(2));
    CHECK(d.model == "least-squares");
    CHECK(d.recommended_replicas == 22);
    CHECK(d.desired_replicas == 22);
    CHECK(d.reason.rfind("scale up from 20 to 22 replicas: current load 200 RPS, forecast 220 "
                         "RPS at now+2m0s (least-squares, 41 samples",
                         0) == 0);
  }
  SECTION("Holt's linear trend (Holt-Winters without season, fitted parameters)") {
    c.model = PredictiveModel::kHoltWinters;
    const auto d = run(c);
    CHECK(d.model == "holt-winters");
    CHECK(std::abs(d.forecast_load - 220.0) < 1e-9);
    CHECK(d.desired_replicas == 22);
  }
  SECTION("Holt-Winters reuses its fitted parameters for refit_interval") {
    c.model = PredictiveModel::kHoltWinters;
    c.refit_interval = sim::minutes(1);
    auto a = make(c);
    for (const auto& s : ramp()) REQUIRE(a.record(s.time, s.load).ok());
    auto d = a.decide(sim::minutes(10), 20);
    CHECK(d.reason.find("(fitted)") != std::string::npos);
    // 15 s later: 202.5 RPS now, 222.5 forecast, the parameters of 10:00 reused.
    REQUIRE(a.record(sim::minutes(10) + sim::seconds(15), 202.5).ok());
    d = a.decide(sim::minutes(10) + sim::seconds(15), 22);
    CHECK(d.reason.find("(fitted earlier)") != std::string::npos);
    CHECK(std::abs(d.forecast_load - 222.5) < 1e-9);
    CHECK(d.desired_replicas == 23);  // ceil(22.25)
    CHECK(a.forecast(sim::minutes(10) + sim::seconds(15), sim::minutes(11))
              .detail.find("(fitted earlier)") != std::string::npos);
    // A minute after the fit the grid runs again.
    REQUIRE(a.record(sim::minutes(11), 210).ok());
    d = a.decide(sim::minutes(11), 23);
    CHECK(d.reason.find("(fitted)") != std::string::npos);
    CHECK(std::abs(d.forecast_load - 230.0) < 1e-9);
  }
  SECTION("lead time 0 sizes for the current load") {
    c.lead_time = 0;
    const auto d = run(c);
    CHECK(std::abs(d.forecast_load - 200.0) < 1e-9);
    CHECK(d.desired_replicas == 20);
  }
  SECTION("a history shorter than the ramp still sees the line") {
    c.history = sim::minutes(1);  // samples at 9:00 .. 10:00, five of them
    const auto d = run(c);
    CHECK(std::abs(d.forecast_load - 220.0) < 1e-9);
    CHECK(d.desired_replicas == 22);
  }
  SECTION("a falling forecast never sizes below the current load") {
    // 300 - 10 RPS/min: current 200 at 10 min, forecast 180; sized for 200 -> 20.
    auto a = make(c);
    for (const auto& s : ramp()) REQUIRE(a.record(s.time, 400.0 - s.load).ok());
    const auto d = a.decide(sim::minutes(10), 25);
    CHECK(std::abs(d.forecast_load - 180.0) < 1e-9);
    CHECK(d.recommended_replicas == 20);
    CHECK(d.desired_replicas == 20);
  }
}

TEST_CASE("a seasonal least-squares fit scales ahead of a daily-style peak", "[predictive]") {
  // y = 100 + 50 sin(2 pi t / 1h) over the last 2 h; at t = 2 h, sin = 0, so current = 100; the
  // forecast 10 min ahead is 100 + 50 sin(pi / 3) = 143.30..., ceil(14.33) = 15 replicas.
  PredictiveConfig c;
  c.target_per_replica = 10;
  c.max_replicas = 50;
  c.lead_time = sim::minutes(10);
  c.history = sim::hours(2);
  c.seasonal_period = sim::hours(1);
  auto a = make(c);
  for (int k = 0; k <= 480; ++k) {
    const sim::Time t = sim::seconds(15 * k);
    REQUIRE(a.record(t, 100.0 + 50.0 * std::sin(2 * kPi * sim::to_seconds(t) / 3600.0)).ok());
  }
  const auto d = a.decide(sim::hours(2), 10);
  CHECK(d.current_load == Approx(100.0).margin(1e-9));
  CHECK(d.forecast_load == Approx(100.0 + 50.0 * std::sin(kPi / 3)).margin(1e-9));
  CHECK(d.model == "least-squares+seasonal(1h0m0s)");
  CHECK(d.desired_replicas == 15);
}

TEST_CASE("desired replicas are clamped to min and max", "[predictive]") {
  PredictiveConfig c;
  c.target_per_replica = 10;
  c.lead_time = sim::minutes(2);
  c.history = sim::minutes(10);
  auto run = [&](const PredictiveConfig& cfg, double scale) {
    auto a = make(cfg);
    for (const auto& s : ramp()) REQUIRE(a.record(s.time, s.load * scale).ok());
    return a.decide(sim::minutes(10), 5);
  };
  SECTION("max") {
    c.max_replicas = 15;
    const auto d = run(c, 1.0);
    CHECK(d.recommended_replicas == 22);
    CHECK(d.desired_replicas == 15);
    CHECK(d.reason.find("; limited to max_replicas 15") != std::string::npos);
  }
  SECTION("min") {
    c.min_replicas = 30;
    c.max_replicas = 40;
    const auto d = run(c, 1.0);
    CHECK(d.desired_replicas == 30);
    CHECK(d.reason.find("; raised to min_replicas 30") != std::string::npos);
  }
  SECTION("zero load with min 0 scales to zero") {
    c.min_replicas = 0;
    const auto d = run(c, 0.0);
    CHECK(d.recommended_replicas == 0);
    CHECK(d.desired_replicas == 0);
    CHECK(d.reason.rfind("scale down from 5 to 0 replicas", 0) == 0);
  }
  SECTION("no sample yet keeps the current count, clamped") {
    c.min_replicas = 2;
    c.max_replicas = 4;
    auto a = make(c);
    const auto d = a.decide(sim::minutes(1), 7);
    CHECK_FALSE(d.has_load);
    CHECK(d.model == "none");
    CHECK(d.desired_replicas == 4);
    CHECK(d.reason == "no load sample in the last 10m0s: keeping 4 replicas");
  }
}

TEST_CASE("scale-down is stabilized over the window, scale-up is immediate", "[predictive]") {
  // history 1 s keeps only the latest sample, so no forecast (1 < min_samples) and each
  // recommendation is ceil(current / 10): the test isolates the stabilization window (5 min,
  // upstream horizontal.go stabilizeRecommendation: a recommendation at exactly now - window
  // still counts, one older does not).
  PredictiveConfig c;
  c.target_per_replica = 10;
  c.max_replicas = 100;
  c.history = sim::seconds(1);
  auto a = make(c);
  auto step = [&](sim::Time t, double load, std::int32_t current) {
    REQUIRE(a.record(t, load).ok());
    return a.decide(t, current);
  };
  auto d = step(0, 100, 1);
  CHECK_FALSE(d.forecast_ok);
  CHECK(d.desired_replicas == 10);  // up at once
  d = step(sim::minutes(1), 50, 10);
  CHECK(d.recommended_replicas == 5);
  CHECK(d.stabilized_replicas == 10);
  CHECK(d.desired_replicas == 10);
  CHECK(d.reason.find("scale-down stabilized at 10 (highest recommendation in the last 5m0s)") !=
        std::string::npos);
  d = step(sim::minutes(3), 70, 10);
  CHECK(d.desired_replicas == 10);
  d = step(sim::minutes(5), 20, 10);  // the 10 at t = 0 is exactly at the cutoff
  CHECK(d.recommended_replicas == 2);
  CHECK(d.desired_replicas == 10);
  d = step(sim::minutes(5) + sim::seconds(1), 20, 10);  // it has left: max(5, 7, 2, 2) = 7
  CHECK(d.desired_replicas == 7);
  d = step(sim::minutes(8) + sim::seconds(1), 20, 7);  // 5 and 7 gone: max(2, 2, 2) = 2
  CHECK(d.desired_replicas == 2);
  d = step(sim::minutes(8) + sim::seconds(2), 120, 2);  // up again at once
  CHECK(d.desired_replicas == 12);

  SECTION("window 0 follows the recommendation down at once") {
    c.scale_down_stabilization = 0;
    auto b = make(c);
    REQUIRE(b.record(0, 100).ok());
    CHECK(b.decide(0, 1).desired_replicas == 10);
    REQUIRE(b.record(sim::seconds(15), 30).ok());
    CHECK(b.decide(sim::seconds(15), 10).desired_replicas == 3);
  }
}

TEST_CASE("bad configuration and samples are rejected with clear errors", "[predictive]") {
  PredictiveConfig ok;
  ok.target_per_replica = 10;
  CHECK(kubesim::policies::validate(ok).ok());

  PredictiveConfig c = ok;
  c.target_per_replica = 0;
  CHECK(config_error(c) ==
        "predictive autoscaler: target_per_replica must be > 0 (got 0): the load one replica "
        "is sized for, in RPS (e.g. 10 for 10 RPS per replica)");
  c = ok;
  c.target_per_replica = std::nan("");
  CHECK(config_error(c).find("target_per_replica must be > 0 (got nan)") != std::string::npos);
  c = ok;
  c.min_replicas = 5;
  c.max_replicas = 3;
  CHECK(config_error(c).find("max_replicas must be >= 1 and >= min_replicas (5) (got 3)") !=
        std::string::npos);
  c = ok;
  c.min_replicas = -1;
  CHECK(config_error(c).find("min_replicas must be >= 0 (got -1)") != std::string::npos);
  c = ok;
  c.lead_time = -sim::seconds(1);
  CHECK(config_error(c).find("lead_time must be >= 0 (got -1s)") != std::string::npos);
  c = ok;
  c.history = 0;
  CHECK(config_error(c).find("history must be > 0 (got 0s)") != std::string::npos);
  c = ok;
  c.min_samples = 1;
  CHECK(config_error(c).find("min_samples must be >= 2") != std::string::npos);
  c = ok;
  c.scale_down_stabilization = -sim::minutes(1);
  CHECK(config_error(c).find("scale_down_stabilization must be >= 0") != std::string::npos);
  c = ok;
  c.seasonal_period = sim::hours(24);
  CHECK(config_error(c).find("seasonal_period must be <= history (30m0s) (got 24h0m0s)") !=
        std::string::npos);

  PredictiveConfig hw = ok;
  hw.model = PredictiveModel::kHoltWinters;
  CHECK(kubesim::policies::validate(hw).ok());
  c = hw;
  c.season_length = 1;
  CHECK(config_error(c).find("season_length must be 0 or >= 2 (got 1)") != std::string::npos);
  c = hw;
  c.season_length = 96;
  c.bucket_interval = sim::minutes(15);
  c.history = sim::hours(24);  // one day, initialization needs two
  CHECK(config_error(c).find(
            "history must be >= 2 x season_length x bucket_interval (48h0m0s) (got 24h0m0s)") !=
        std::string::npos);
  c.history = sim::hours(48);
  CHECK(kubesim::policies::validate(c).ok());
  c = hw;
  c.bucket_interval = 0;
  CHECK(config_error(c).find("bucket_interval must be > 0") != std::string::npos);
  c = hw;
  c.gamma = 1.5;
  CHECK(config_error(c).find("gamma must be in [0, 1] (got 1.5)") != std::string::npos);
  c = hw;
  c.refit_interval = -sim::seconds(1);
  CHECK(config_error(c).find("refit_interval must be >= 0") != std::string::npos);
  c = hw;
  c.grid_step = 0;
  CHECK(config_error(c).find("grid_step must be in (0, 0.5] (got 0)") != std::string::npos);

  auto model = kubesim::policies::parse_predictive_model("arima");
  REQUIRE_FALSE(model.ok());
  CHECK(model.status().message() ==
        "predictive autoscaler: unknown model \"arima\" (expected least-squares or holt-winters)");
  CHECK(kubesim::policies::parse_predictive_model("holt-winters").value() ==
        PredictiveModel::kHoltWinters);

  auto a = make(ok);
  CHECK(a.record(sim::seconds(10), 5).ok());
  const auto back = a.record(sim::seconds(9), 5);
  CHECK_FALSE(back.ok());
  CHECK(back.message() ==
        "predictive autoscaler: sample at 9s is earlier than the previous one at 10s");
  CHECK_FALSE(a.record(sim::seconds(11), -1).ok());
  CHECK_FALSE(a.record(sim::seconds(11), std::nan("")).ok());
  CHECK(a.samples().size() == 1);
}
