// Sampler: records time series at a fixed simulated interval (timeseries.csv).
//
// A sampler has named columns, each a function read at every sample. start() records the
// first row at once, at now(), then arms a Simulation periodic timer that records a row
// every interval after that: rows at start, start + interval, start + 2·interval, ...
// while the simulation runs. A run_until(t) that ends between two ticks leaves the last row
// at the last tick <= t; a tick exactly at t is recorded. stop() cancels the timer; a later
// start() resumes with a row at that moment and a new phase. A tick row at time T is taken
// by a timer event, so it sees the events at T scheduled before that tick was armed (one
// interval earlier, or at start()) and not those scheduled after (see Simulation's order).
//
// Columns are fixed once the sampler has started: add_column() after the first start()
// throws std::logic_error, as do duplicate names and names a CSV header cannot carry
// (empty, "time_s", or containing ',', '"', CR or LF). The readers run inside the timer
// event and must not throw.
//
// CSV output (write_csv): a header "time_s,<column>,...", then one line per row, '\n'
// line ends, no quoting (names cannot need it). Bytes depend only on the rows: time is the
// exact decimal number of seconds of the integer nanosecond time ("0", "1.5", "0.000000001",
// "86400"); values use format_number(). Both are locale-independent.
//
// Storage grows by amortised doubling (times and a row-major value array), so a sample
// allocates only when the arrays grow. Not thread-safe. REQUIRES: the Simulation outlives
// the Sampler (the destructor cancels the timer on it). Not copyable or movable: the
// timer's callback points at the sampler.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/simulation.hpp"
#include "sim/time.hpp"

namespace kubesim::sim {

// Shortest decimal text that reads back as exactly `v` (std::to_chars round trip): fixed
// notation for 1e-6 <= |v| < 1e21 ("3", "0.1", "100000", "0.000001"), scientific otherwise
// ("1e-07", "1.5e+21") — JavaScript's Number.toString rule. Zero (either sign) is "0";
// NaN is "nan"; infinities are "inf" and "-inf".
std::string format_number(double v);
// Exact decimal seconds of an integer nanosecond time, trailing zeros trimmed: "0", "1.5",
// "-2.000000001".
std::string format_time_seconds(Time t);

class Sampler {
 public:
  // REQUIRES: interval > 0 (throws std::invalid_argument otherwise).
  Sampler(Simulation& sim, Duration interval);
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // Adds a column read by `read` at every sample. Throws std::logic_error once started,
  // for a duplicate name, or for a name the CSV header cannot carry.
  void add_column(std::string name, std::function<double()> read);

  // Records a row now and every interval after. Throws std::logic_error if running.
  void start();
  // Cancels the timer; rows recorded so far stay. False if it was not running.
  bool stop();
  bool running() const { return timer_.valid(); }

  Duration interval() const { return interval_; }
  const std::vector<std::string>& columns() const { return names_; }
  std::optional<std::size_t> column_index(std::string_view name) const;

  std::size_t row_count() const { return times_.size(); }
  const std::vector<Time>& times() const { return times_; }
  // Values of row `row`, in column order. REQUIRES: row < row_count().
  std::span<const double> row(std::size_t row) const;
  double value(std::size_t row, std::size_t column) const { return this->row(row)[column]; }

  void write_csv(std::ostream& out) const;

 private:
  void sample();

  Simulation& sim_;
  Duration interval_;
  std::vector<std::string> names_;
  std::vector<std::function<double()>> readers_;
  bool started_ = false;  // columns are frozen from the first start()
  TimerHandle timer_;     // valid() while running
  std::vector<Time> times_;
  std::vector<double> values_;  // row-major: row r is [r·columns, (r+1)·columns)
};

}  // namespace kubesim::sim
