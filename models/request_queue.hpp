// RequestQueue: a G/G/c/K queue — requests arrive by an arrival process, wait in FIFO
// order for one of `servers` identical servers, and leave after a sampled service time.
//
// It is the simple serving model for CPU services (and the engine-level workload of the
// quickstart): no batching, no tokens. With Poisson arrivals and exponential service it is
// the M/M/c queue, whose mean waiting time is known in closed form (Erlang C), which the
// tests use to check the engine end to end.
//
// Outcomes per request: completed; rejected (the waiting room of `queue_limit` is full at
// arrival); timed out (waited longer than `timeout` before service began and left).
// Metrics, registered under "<name>.": counters requests_arrived, requests_completed,
// requests_rejected, requests_timed_out; histograms latency_s (arrival to completion,
// completed requests) and wait_s (arrival to service start, requests that started);
// gauges queue_length and busy_servers (time-weighted). docs/metrics.md lists them.
//
// Determinism: arrivals draw from stream "<name>/arrivals", service times from
// "<name>/service". Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <string>

#include "models/arrival_process.hpp"
#include "sim/metrics.hpp"
#include "sim/random.hpp"
#include "sim/simulation.hpp"

namespace kubesim::models {

struct RequestQueueConfig {
  std::string name;
  ArrivalProcess arrivals;
  sim::Distribution service_time = sim::Distribution::constant(1.0);  // seconds
  int servers = 1;
  std::int64_t queue_limit = -1;  // waiting room; -1 = unbounded
  sim::Duration timeout = 0;      // max wait before service; 0 = none
};

class RequestQueue {
 public:
  RequestQueue(sim::Simulation& sim, sim::MetricRegistry& metrics, RequestQueueConfig config);
  RequestQueue(const RequestQueue&) = delete;
  RequestQueue& operator=(const RequestQueue&) = delete;

  // Schedules the first arrival. Call once.
  void start();

  const RequestQueueConfig& config() const { return config_; }
  std::int64_t in_queue() const { return queued_; }
  int busy() const { return busy_; }

 private:
  struct Waiting {
    sim::Time arrived;
    sim::EventHandle timeout;
    bool abandoned;
  };
  void schedule_next_arrival();
  void on_arrival();
  void begin_service(sim::Time arrived);
  void on_departure();
  void on_timeout(std::uint64_t id);

  sim::Simulation& sim_;
  RequestQueueConfig config_;
  sim::Rng arrival_rng_;
  sim::Rng service_rng_;
  int busy_ = 0;
  // Waiting requests in FIFO order, abandoned ones included until they reach the head;
  // request ids increase, so id - first_id_ indexes the deque.
  std::deque<Waiting> waiting_;
  std::uint64_t first_id_ = 0;
  std::int64_t queued_ = 0;  // waiting and not abandoned

  sim::Counter& arrived_;
  sim::Counter& completed_;
  sim::Counter& rejected_;
  sim::Counter& timed_out_;
  sim::Histogram& latency_;
  sim::Histogram& wait_;
  sim::Gauge& queue_length_;
  sim::Gauge& busy_servers_;
};

}  // namespace kubesim::models
