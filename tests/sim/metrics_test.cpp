// Tests of sim/metrics.hpp: counters, time-weighted gauges, histograms and the registry.
// Expected values are worked out by hand or from the nearest-rank definition over a sorted
// reference (the LevelDB habit: check the clever structure against a trivially correct one).
#include "sim/metrics.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "sim/random.hpp"
#include "sim/simulation.hpp"

namespace kubesim::sim {
namespace {

// Exact nearest-rank quantile of `values`, by sorting a copy.
double reference_quantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  return values[Histogram::nearest_rank(q, values.size()) - 1];
}

double relative_error(double estimate, double exact) {
  if (exact == 0) return std::abs(estimate);
  return std::abs(estimate - exact) / std::abs(exact);
}

const std::vector<double> kQuantiles = {0,   0.001, 0.01, 0.1,   0.25,   0.5, 0.75,
                                        0.9, 0.95,  0.99, 0.999, 0.9999, 1};

}  // namespace

TEST_CASE("counter adds and resets", "[metrics]") {
  Counter c;
  CHECK(c.value() == 0);
  c.add();
  c.add(41);
  CHECK(c.value() == 42);
  c.reset();
  CHECK(c.value() == 0);
}

TEST_CASE("gauge time average of a step function is the area over the elapsed time", "[metrics]") {
  Simulation sim;
  Gauge g(sim);
  // 0 over [0, 10 s), 4 over [10 s, 40 s), 1 over [40 s, 100 s]: area 0 + 120 + 60 = 180.
  sim.run_until(seconds(10));
  g.set(4);
  sim.run_until(seconds(40));
  g.set(1);
  sim.run_until(seconds(100));
  CHECK(g.value() == 1);
  CHECK(g.integral() == 180);
  CHECK(g.time_average() == 1.8);
  CHECK(g.min() == 0);
  CHECK(g.max() == 4);
  CHECK(g.window_start() == 0);
}

TEST_CASE("gauge set inside events integrates up to the current time", "[metrics]") {
  Simulation sim;
  Gauge g(sim, 2);
  sim.schedule_at(seconds(1), [&] { g.add(3); });   // 5 from 1 s
  sim.schedule_at(seconds(3), [&] { g.add(-4); });  // 1 from 3 s
  sim.run_until(seconds(4));
  // 2·1 + 5·2 + 1·1 = 13 over 4 s.
  CHECK(g.integral() == 13);
  CHECK(g.time_average() == 13.0 / 4.0);
  CHECK(g.min() == 1);
  CHECK(g.max() == 5);
}

TEST_CASE("gauge over an empty window reports its current value", "[metrics]") {
  Simulation sim;
  Gauge g(sim, 7);
  CHECK(g.time_average() == 7);
  CHECK(g.integral() == 0);
  g.set(3);
  CHECK(g.time_average() == 3);
}

TEST_CASE("gauge min and max include values held for zero time", "[metrics]") {
  Simulation sim;
  Gauge g(sim);
  sim.run_until(seconds(1));
  g.set(10);
  g.set(-2);
  g.set(1);
  sim.run_until(seconds(2));
  CHECK(g.max() == 10);
  CHECK(g.min() == -2);
  // Only 0 over [0, 1) and 1 over [1, 2] held for any time.
  CHECK(g.time_average() == 0.5);
}

TEST_CASE("gauge reset_window forgets the warm-up", "[metrics]") {
  Simulation sim;
  Gauge g(sim);
  g.set(100);
  sim.run_until(seconds(10));
  g.reset_window();
  CHECK(g.window_start() == seconds(10));
  CHECK(g.time_average() == 100);
  CHECK(g.min() == 100);
  CHECK(g.max() == 100);
  sim.run_until(seconds(12));
  g.set(0);
  sim.run_until(seconds(20));
  // 100 over [10, 12), 0 over [12, 20]: 200 / 10.
  CHECK(g.time_average() == 20);
  CHECK(g.min() == 0);
  CHECK(g.max() == 100);
}

TEST_CASE("gauge integral stays accurate over a long run of small steps", "[metrics]") {
  Simulation sim;
  Gauge g(sim);
  // 0.1 added every millisecond for a simulated day would drift without compensation; here
  // a level alternating 0.1 / 0.3 every millisecond for 10^6 ms averages exactly 0.2.
  for (int i = 0; i < 1'000'000; ++i) {
    g.set(i % 2 == 0 ? 0.1 : 0.3);
    sim.run_until(milliseconds(i + 1));
  }
  CHECK(g.time_average() == Approx(0.2).epsilon(1e-14));
}

TEST_CASE("nearest rank is ceil(q·n), at least 1, robust to decimal q", "[metrics]") {
  CHECK(Histogram::nearest_rank(0, 100) == 1);
  CHECK(Histogram::nearest_rank(1, 100) == 100);
  CHECK(Histogram::nearest_rank(0.5, 100) == 50);
  CHECK(Histogram::nearest_rank(0.505, 100) == 51);
  CHECK(Histogram::nearest_rank(0.9, 100) == 90);
  CHECK(Histogram::nearest_rank(0.999, 100) == 100);
  CHECK(Histogram::nearest_rank(0.999, 1000) == 999);
  CHECK(Histogram::nearest_rank(0.5, 1) == 1);
  CHECK(Histogram::nearest_rank(0.5, 3) == 2);
  CHECK(Histogram::nearest_rank(0.1, 7) == 1);
  // 0.07 · 100 is 7.000000000000001 in doubles; the rank meant is 7, not 8.
  CHECK(0.07 * 100 > 7.0);
  CHECK(Histogram::nearest_rank(0.07, 100) == 7);
}

TEST_CASE("histogram quantiles of 1..100 are exact nearest-rank values", "[metrics]") {
  Histogram h;
  for (int i = 0; i < 100; ++i) h.record((i * 37) % 100 + 1);  // 1..100, shuffled
  REQUIRE(h.exact());
  CHECK(h.count() == 100);
  CHECK(h.sum() == 5050);
  CHECK(h.mean() == 50.5);
  CHECK(h.min() == 1);
  CHECK(h.max() == 100);
  CHECK(h.p50() == 50);
  CHECK(h.p90() == 90);
  CHECK(h.p99() == 99);
  CHECK(h.p999() == 100);
  CHECK(h.quantile(0) == 1);
  CHECK(h.quantile(0.25) == 25);
  CHECK(h.quantile(0.255) == 26);
  CHECK(h.quantile(1) == 100);
  // Recording after a query keeps quantiles right (the lazy sort is redone).
  h.record(0.5);
  CHECK(h.quantile(0) == 0.5);
  CHECK(h.p50() == 50);  // rank ceil(50.5) = 51 of {0.5, 1..100} is 50
}

TEST_CASE("empty histogram reports zeros", "[metrics]") {
  Histogram h;
  CHECK(h.count() == 0);
  CHECK(h.sum() == 0);
  CHECK(h.mean() == 0);
  CHECK(h.min() == 0);
  CHECK(h.max() == 0);
  CHECK(h.p99() == 0);
}

TEST_CASE("histogram keeps values exactly up to the limit, then buckets them", "[metrics]") {
  Histogram h;
  for (std::uint64_t i = 1; i <= Histogram::kExactLimit; ++i) h.record(static_cast<double>(i));
  CHECK(h.exact());
  CHECK(h.p50() == 2048);
  h.record(4097);
  CHECK_FALSE(h.exact());
  CHECK(h.count() == 4097);
  CHECK(h.min() == 1);
  CHECK(h.max() == 4097);
  CHECK(h.sum() == 4097.0 * 4098.0 / 2);
  CHECK(relative_error(h.p50(), 2049) <= Histogram::kRelativeError);
}

TEST_CASE("bucketed quantiles of 1..1e6 are within the stated relative error", "[metrics]") {
  Histogram h;
  const int n = 1'000'000;
  for (int i = 1; i <= n; ++i) h.record(i);
  REQUIRE_FALSE(h.exact());
  CHECK(h.count() == static_cast<std::uint64_t>(n));
  CHECK(h.mean() == 500000.5);
  CHECK(h.min() == 1);
  CHECK(h.max() == n);
  for (double q : kQuantiles) {
    // The k-th smallest of 1..n is k.
    const auto exact = static_cast<double>(Histogram::nearest_rank(q, n));
    INFO("q = " << q << ", exact " << exact << ", estimate " << h.quantile(q));
    CHECK(relative_error(h.quantile(q), exact) <= Histogram::kRelativeError);
  }
  CHECK(h.quantile(0) == 1);  // the extreme ranks are the exact min and max
  CHECK(h.quantile(1) == n);
}

TEST_CASE("bucketed quantiles match a sorted reference on lognormal latencies", "[metrics]") {
  Rng rng(12345);
  std::vector<double> values;
  Histogram h;
  for (int i = 0; i < 200'000; ++i) {
    const double v = 0.05 * std::exp(1.5 * rng.standard_normal());  // seconds, wide spread
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  double worst = 0;
  for (int i = 0; i <= 1000; ++i) {
    const double q = i / 1000.0;
    const double exact = values[Histogram::nearest_rank(q, values.size()) - 1];
    worst = std::max(worst, relative_error(h.quantile(q), exact));
  }
  CHECK(worst <= Histogram::kRelativeError);
  CHECK(worst > 0);  // the buckets really are approximate: the test can fail
}

TEST_CASE("bucketed histogram handles zero and negative values", "[metrics]") {
  Histogram h;
  for (int v = -5000; v <= 5000; ++v) h.record(v);  // 10001 values, the middle one is 0
  REQUIRE_FALSE(h.exact());
  CHECK(h.sum() == 0);
  CHECK(h.min() == -5000);
  CHECK(h.max() == 5000);
  CHECK(h.quantile(0) == -5000);
  CHECK(h.quantile(1) == 5000);
  CHECK(h.p50() == 0);  // rank ceil(5000.5) = 5001: the zero
  std::vector<double> values;
  for (int v = -5000; v <= 5000; ++v) values.push_back(v);
  for (double q : kQuantiles) {
    INFO("q = " << q);
    CHECK(relative_error(h.quantile(q), reference_quantile(values, q)) <=
          Histogram::kRelativeError);
  }
  // Subnormal magnitudes count as zero in buckets; min and max stay exact.
  Histogram tiny;
  for (int i = 0; i < 5000; ++i) tiny.record(i % 2 == 0 ? 1e-310 : 0.0);
  CHECK(tiny.p50() == 0);
  CHECK(tiny.max() == 1e-310);
}

TEST_CASE("bucketed histogram of one repeated value reports it exactly", "[metrics]") {
  Histogram h;
  for (int i = 0; i < 10'000; ++i) h.record(0.123);
  REQUIRE_FALSE(h.exact());
  for (double q : kQuantiles) CHECK(h.quantile(q) == 0.123);
}

TEST_CASE("record_duration records seconds", "[metrics]") {
  Histogram h;
  h.record_duration(milliseconds(250));
  h.record_duration(seconds(2));
  CHECK(h.min() == 0.25);
  CHECK(h.max() == 2);
}

TEST_CASE("merging histograms equals recording into one", "[metrics]") {
  Rng rng(7);
  auto draw = [&rng] { return rng.exponential(0.2) - 0.05; };  // some values negative

  auto check_same = [](const Histogram& merged, const Histogram& direct) {
    CHECK(merged.exact() == direct.exact());
    CHECK(merged.count() == direct.count());
    CHECK(merged.min() == direct.min());
    CHECK(merged.max() == direct.max());
    CHECK(merged.sum() == Approx(direct.sum()).epsilon(1e-12));
    for (int i = 0; i <= 1000; ++i) {
      const double q = i / 1000.0;
      INFO("q = " << q);
      CHECK(merged.quantile(q) == direct.quantile(q));
    }
  };

  // (count in a, count in b): exact + exact staying exact, exact + exact crossing the
  // limit, buckets + exact, exact + buckets, buckets + buckets, empty + something.
  const std::vector<std::pair<int, int>> cases = {{1000, 2000}, {3000, 3000},   {10000, 500},
                                                  {500, 10000}, {20000, 30000}, {0, 5000}};
  for (const auto& [na, nb] : cases) {
    DYNAMIC_SECTION("sizes " << na << " + " << nb) {
      Histogram a;
      Histogram b;
      Histogram direct;
      for (int i = 0; i < na; ++i) {
        const double v = draw();
        a.record(v);
        direct.record(v);
      }
      for (int i = 0; i < nb; ++i) {
        const double v = draw() * 1000;  // a different range: the stores must widen
        b.record(v);
        direct.record(v);
      }
      a.merge(b);
      check_same(a, direct);
    }
  }

  SECTION("merging a histogram into itself doubles every count") {
    Histogram a;
    Histogram direct;
    for (int i = 0; i < 3000; ++i) {
      const double v = draw();
      a.record(v);
      direct.record(v);
      direct.record(v);
    }
    a.merge(a);
    check_same(a, direct);
  }
}

TEST_CASE("histogram reset forgets every value", "[metrics]") {
  Histogram h;
  for (int i = 0; i < 10'000; ++i) h.record(i);
  h.reset();
  CHECK(h.count() == 0);
  CHECK(h.exact());
  CHECK(h.p50() == 0);
  h.record(3);
  CHECK(h.min() == 3);
  CHECK(h.p50() == 3);
}

TEST_CASE("registry returns the same metric for the same name and kind", "[metrics]") {
  Simulation sim;
  MetricRegistry registry(sim);
  Counter& a = registry.counter("pods_bound");
  Counter& b = registry.counter("pods_bound");
  CHECK(&a == &b);
  Histogram& h = registry.histogram("ttft_seconds");
  CHECK(&h == &registry.histogram("ttft_seconds"));
  Gauge& g = registry.gauge("queue_length");
  CHECK(&g == &registry.gauge("queue_length"));
  CHECK(registry.size() == 3);

  // References stay valid while many more metrics are added.
  for (int i = 0; i < 1000; ++i) registry.counter(std::to_string(i));
  a.add(5);
  REQUIRE(registry.find_counter("pods_bound") != nullptr);
  CHECK(registry.find_counter("pods_bound")->value() == 5);
  CHECK(registry.find_counter("queue_length") == nullptr);  // a gauge, not a counter
  CHECK(registry.find_gauge("missing") == nullptr);
  CHECK(registry.find_histogram("ttft_seconds") == &h);
}

TEST_CASE("registry rejects a name reused for another kind, and empty names", "[metrics]") {
  Simulation sim;
  MetricRegistry registry(sim);
  registry.counter("requests");
  CHECK_THROWS_AS(registry.gauge("requests"), std::logic_error);
  CHECK_THROWS_WITH(registry.histogram("requests"),
                    Catch::Contains("\"requests\" is a counter, not a histogram"));
  CHECK_THROWS_AS(registry.counter(""), std::logic_error);
  CHECK(registry.size() == 1);
}

TEST_CASE("registry snapshot lists every metric by name with its summary", "[metrics]") {
  Simulation sim;
  MetricRegistry registry(sim);
  Histogram& latency = registry.histogram("latency");
  Gauge& busy = registry.gauge("busy_gpus");
  Counter& done = registry.counter("zz_completed");
  registry.counter("a_first");
  for (int i = 1; i <= 100; ++i) latency.record(i);
  busy.set(8);
  sim.run_until(seconds(30));
  busy.set(2);
  sim.run_until(seconds(40));
  done.add(3);

  const std::vector<MetricSnapshot> snap = registry.snapshot();
  REQUIRE(snap.size() == 4);
  CHECK(snap[0].name == "a_first");
  CHECK(snap[1].name == "busy_gpus");
  CHECK(snap[2].name == "latency");
  CHECK(snap[3].name == "zz_completed");

  REQUIRE(snap[0].kind() == MetricKind::kCounter);
  CHECK(std::get<CounterSnapshot>(snap[0].value).value == 0);
  REQUIRE(snap[3].kind() == MetricKind::kCounter);
  CHECK(std::get<CounterSnapshot>(snap[3].value).value == 3);

  REQUIRE(snap[1].kind() == MetricKind::kGauge);
  const auto& gauge = std::get<GaugeSnapshot>(snap[1].value);
  CHECK(gauge.value == 2);
  CHECK(gauge.time_average == 6.5);  // (8·30 + 2·10) / 40
  CHECK(gauge.min == 0);
  CHECK(gauge.max == 8);

  REQUIRE(snap[2].kind() == MetricKind::kHistogram);
  const auto& hist = std::get<HistogramSnapshot>(snap[2].value);
  CHECK(hist.count == 100);
  CHECK(hist.sum == 5050);
  CHECK(hist.mean == 50.5);
  CHECK(hist.min == 1);
  CHECK(hist.max == 100);
  CHECK(hist.p50 == 50);
  CHECK(hist.p90 == 90);
  CHECK(hist.p99 == 99);
  CHECK(hist.p999 == 100);

  CHECK(metric_kind_name(MetricKind::kGauge) == "gauge");
}

TEST_CASE("registry reset_window restarts every metric at now", "[metrics]") {
  Simulation sim;
  MetricRegistry registry(sim);
  Counter& c = registry.counter("c");
  Gauge& g = registry.gauge("g");
  Histogram& h = registry.histogram("h");
  c.add(10);
  g.set(4);
  h.record(1);
  sim.run_until(seconds(5));
  registry.reset_window();
  CHECK(c.value() == 0);
  CHECK(h.count() == 0);
  CHECK(g.value() == 4);
  CHECK(g.window_start() == seconds(5));
  sim.run_until(seconds(6));
  g.set(0);
  sim.run_until(seconds(9));
  CHECK(g.time_average() == 1);  // 4·1 / 4
}

}  // namespace kubesim::sim
