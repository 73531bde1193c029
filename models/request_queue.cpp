#include "models/request_queue.hpp"

#include <algorithm>

namespace kubesim::models {

RequestQueue::RequestQueue(sim::Simulation& sim, sim::MetricRegistry& metrics,
                           RequestQueueConfig config)
    : sim_(sim),
      config_(std::move(config)),
      arrival_rng_(sim.rng(config_.name + "/arrivals")),
      service_rng_(sim.rng(config_.name + "/service")),
      arrived_(metrics.counter(config_.name + ".requests_arrived")),
      completed_(metrics.counter(config_.name + ".requests_completed")),
      rejected_(metrics.counter(config_.name + ".requests_rejected")),
      timed_out_(metrics.counter(config_.name + ".requests_timed_out")),
      latency_(metrics.histogram(config_.name + ".latency_s")),
      wait_(metrics.histogram(config_.name + ".wait_s")),
      queue_length_(metrics.gauge(config_.name + ".queue_length")),
      busy_servers_(metrics.gauge(config_.name + ".busy_servers")) {}

void RequestQueue::start() { schedule_next_arrival(); }

void RequestQueue::schedule_next_arrival() {
  sim_.schedule_after(config_.arrivals.next_gap(arrival_rng_), [this] { on_arrival(); });
}

void RequestQueue::on_arrival() {
  arrived_.add();
  schedule_next_arrival();
  const sim::Time now = sim_.now();
  if (busy_ < config_.servers) {
    begin_service(now);
    return;
  }
  if (config_.queue_limit >= 0 && queued_ >= config_.queue_limit) {
    rejected_.add();
    return;
  }
  const std::uint64_t id = first_id_ + waiting_.size();
  sim::EventHandle timeout;
  if (config_.timeout > 0) {
    timeout = sim_.schedule_after(config_.timeout, [this, id] { on_timeout(id); });
  }
  waiting_.push_back(Waiting{now, timeout, false});
  ++queued_;
  queue_length_.set(static_cast<double>(queued_));
}

void RequestQueue::begin_service(sim::Time arrived) {
  ++busy_;
  busy_servers_.set(busy_);
  wait_.record(sim::to_seconds(sim_.now() - arrived));
  const double service_s = std::max(0.0, config_.service_time.sample(service_rng_));
  sim_.schedule_after(sim::from_seconds(service_s), [this, arrived] {
    latency_.record(sim::to_seconds(sim_.now() - arrived));
    completed_.add();
    on_departure();
  });
}

void RequestQueue::on_departure() {
  --busy_;
  // Drop abandoned requests at the head, then serve the first one still waiting.
  while (!waiting_.empty() && waiting_.front().abandoned) {
    waiting_.pop_front();
    ++first_id_;
  }
  if (!waiting_.empty()) {
    const Waiting next = waiting_.front();
    waiting_.pop_front();
    ++first_id_;
    --queued_;
    queue_length_.set(static_cast<double>(queued_));
    if (next.timeout.valid()) sim_.cancel(next.timeout);
    begin_service(next.arrived);
    return;
  }
  busy_servers_.set(busy_);
}

void RequestQueue::on_timeout(std::uint64_t id) {
  Waiting& w = waiting_[id - first_id_];
  w.abandoned = true;
  --queued_;
  queue_length_.set(static_cast<double>(queued_));
  timed_out_.add();
}

}  // namespace kubesim::models
