#include "models/inference_server.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <utility>

namespace kubesim::models {
namespace {

using sim::Duration;
using sim::kTimeMax;
using sim::Time;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

// Defaults for a Llama-3.1-8B-class model in BF16 on one GPU; docs/serving.md derives each
// figure and names its source. decode_ms is the batch-1 time per output token (measured
// for A100, memory-bandwidth roofline at the A100's measured 77 % efficiency for the
// others); prefill from dense BF16/FP16 peak FLOPS at 30–50 % utilisation over 16 GFLOP
// per token; batch_alpha = 0.01 is the linear fit of the step time's growth over batch
// sizes 8 to 256 (within ±15 % of the published points).
sim::Result<GpuProfile> gpu_profile(std::string_view gpu_model) {
  const std::string m = lower(gpu_model);
  if (m.find("h100") != std::string::npos) return GpuProfile{"H100", 20'000, 6.5, 0.01};
  if (m.find("a100") != std::string::npos) return GpuProfile{"A100", 10'000, 13.0, 0.01};
  if (m.find("l4") != std::string::npos) return GpuProfile{"L4", 2'600, 69.0, 0.01};
  if (m.find("t4") != std::string::npos) return GpuProfile{"T4", 1'200, 33.0, 0.01};
  return sim::Status::not_found("unknown GPU model \"" + std::string(gpu_model) +
                                "\" (expected one of H100, A100, L4, T4)");
}

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kSuccess:
      return "success";
    case Outcome::kTimeout:
      return "timeout";
    case Outcome::kRejected:
      return "rejected";
    case Outcome::kReturned:
      return "returned";
  }
  return "unknown";
}

const char* reject_reason_name(RejectReason r) {
  switch (r) {
    case RejectReason::kNone:
      return "";
    case RejectReason::kQueueFull:
      return "queue_full";
    case RejectReason::kPodGone:
      return "pod_gone";
    case RejectReason::kNotReady:
      return "not_ready";
  }
  return "unknown";
}

sim::Status validate(const InferenceServerConfig& c) {
  auto bad = [&](const std::string& what) {
    return sim::Status::invalid_argument("serving \"" + c.name + "\": " + what);
  };
  if (c.concurrency < 1) return bad("concurrency must be >= 1");
  if (c.queue_limit < -1) return bad("queue_limit must be >= 0, or -1 for unbounded");
  if (c.queue_timeout < 0 || c.request_timeout < 0) return bad("timeouts must be >= 0");
  if (c.model == ServiceModel::kLlm) {
    if (!(c.gpu.prefill_tokens_per_s > 0) || !(c.gpu.decode_ms > 0) || !(c.gpu.batch_alpha >= 0)) {
      return bad("GPU profile needs prefill_tokens_per_s > 0, decode_ms > 0, batch_alpha >= 0");
    }
  } else if (!(c.service_time.mean() > 0)) {
    return bad("service_time must have a positive mean");
  }
  if (!(c.model_size_gb >= 0) || !(c.load_gb_per_s >= 0) || c.startup_delay < 0) {
    return bad("model_size_gb, load_gb_per_s and startup_delay must be >= 0");
  }
  return sim::Status::ok_status();
}

InferenceServer::InferenceServer(sim::Simulation& sim, InferenceServerConfig config,
                                 ResultSink sink)
    : sim_(sim),
      config_(std::move(config)),
      sink_(std::move(sink)),
      service_rng_(sim.rng("serving/" + config_.name + "/service")),
      last_touch_(sim.now()) {}

InferenceServer::~InferenceServer() {
  if (ready_event_.valid()) sim_.cancel(ready_event_);
  if (boundary_.valid()) sim_.cancel(boundary_);
  if (head_timeout_.valid()) sim_.cancel(head_timeout_);
  for (std::uint32_t s : cpu_running_) sim_.cancel(slots_[s].done);
}

void InferenceServer::start() {
  ready_event_ = sim_.schedule_after(config_.load_time(), [this] {
    ready_event_ = sim::EventHandle{};
    if (terminated_) return;
    ready_ = true;
    if (on_ready_) on_ready_();
  });
}

void InferenceServer::start_ready() { ready_ = true; }

int InferenceServer::in_flight() const {
  return config_.model == ServiceModel::kLlm ? static_cast<int>(running_.size()) : busy_workers_;
}

void InferenceServer::touch() {
  const Time now = sim_.now();
  if (now == last_touch_) return;
  const double dt = sim::to_seconds(now - last_touch_);
  const double busy = config_.model == ServiceModel::kLlm
                          ? (running_.empty() ? 0.0 : 1.0)
                          : static_cast<double>(busy_workers_) / config_.concurrency;
  counters_.busy_seconds += busy * dt;
  counters_.in_flight_seconds += in_flight() * dt;
  counters_.queue_seconds += static_cast<double>(queued_) * dt;
  last_touch_ = now;
}

PodCounters InferenceServer::counters() const {
  PodCounters c = counters_;
  const double dt = sim::to_seconds(sim_.now() - last_touch_);
  const double busy = config_.model == ServiceModel::kLlm
                          ? (running_.empty() ? 0.0 : 1.0)
                          : static_cast<double>(busy_workers_) / config_.concurrency;
  c.busy_seconds += busy * dt;
  c.in_flight_seconds += in_flight() * dt;
  c.queue_seconds += static_cast<double>(queued_) * dt;
  return c;
}

std::uint32_t InferenceServer::new_slot(const Request& request, std::uint64_t id) {
  const std::uint32_t i = slots_.acquire();
  Slot& s = slots_[i];
  const Time now = sim_.now();
  s.request = request;
  s.id = id;
  s.arrived = now;
  s.started = -1;
  s.first_token = -1;
  s.deadline = config_.request_timeout > 0 ? now + config_.request_timeout : kTimeMax;
  s.queue_deadline =
      std::min(s.deadline, config_.queue_timeout > 0 ? now + config_.queue_timeout : kTimeMax);
  s.finish_iter = 0;
  s.done = sim::EventHandle{};
  return i;
}

void InferenceServer::finish(std::uint32_t slot, Outcome outcome, RejectReason reason, Time at) {
  const Slot& s = slots_[slot];
  RequestResult r;
  r.id = s.id;
  r.request = s.request;
  r.outcome = outcome;
  r.reason = reason;
  r.arrived = s.arrived;
  r.started = s.started;
  r.first_token = outcome == Outcome::kSuccess ? s.first_token : -1;
  r.finished = at;
  switch (outcome) {
    case Outcome::kSuccess:
      ++counters_.completed;
      counters_.output_tokens += static_cast<std::uint64_t>(std::max(0, s.request.output_tokens));
      break;
    case Outcome::kTimeout:
      ++counters_.timed_out;
      break;
    case Outcome::kRejected:
      ++counters_.rejected;
      break;
    case Outcome::kReturned:
      ++counters_.returned;
      break;
  }
  results_.push_back(r);
  slots_.release(slot);
}

void InferenceServer::refuse(const Request& request, std::uint64_t id, Outcome outcome,
                             RejectReason reason) {
  RequestResult r;
  r.id = id;
  r.request = request;
  r.outcome = outcome;
  r.reason = reason;
  r.arrived = sim_.now();
  r.finished = sim_.now();
  if (outcome == Outcome::kReturned) {
    ++counters_.returned;
  } else {
    ++counters_.rejected;
  }
  results_.push_back(r);
}

void InferenceServer::flush_results() {
  if (delivering_) return;  // the outer call delivers what is added meanwhile
  delivering_ = true;
  for (std::size_t i = 0; i < results_.size(); ++i) {
    const RequestResult r = results_[i];  // copy: the sink may append
    if (sink_) sink_(r);
  }
  results_.clear();
  delivering_ = false;
  if (drained_pending_ && !drained_notified_) {
    drained_notified_ = true;
    if (on_drained_) on_drained_();
  }
}

void InferenceServer::check_drained() {
  if (draining_ && !terminated_ && in_flight() == 0 && queue_.empty()) drained_pending_ = true;
}

void InferenceServer::submit(const Request& request, std::uint64_t id) {
  touch();
  ++counters_.arrived;
  if (terminated_ || !ready_) {
    refuse(request, id, Outcome::kRejected,
           terminated_ ? RejectReason::kPodGone : RejectReason::kNotReady);
  } else if (draining_) {
    refuse(request, id, drain_mode_ == DrainMode::kReturn ? Outcome::kReturned : Outcome::kRejected,
           RejectReason::kPodGone);
  } else if (config_.model == ServiceModel::kLlm && running_.empty() && queue_.empty()) {
    // Idle engine: an iteration starts now.
    queue_.push_back(new_slot(request, id));
    queued_ = 1;
    plan_boundary(sim_.now(), boundary_iter_);
  } else if (config_.model == ServiceModel::kCpu && busy_workers_ < config_.concurrency &&
             queue_.empty()) {
    cpu_start(new_slot(request, id));
  } else if (config_.queue_limit >= 0 && queued_ >= config_.queue_limit) {
    refuse(request, id, Outcome::kRejected, RejectReason::kQueueFull);
  } else {
    enqueue(new_slot(request, id));
    if (config_.model == ServiceModel::kLlm &&
        static_cast<int>(running_.size()) < config_.concurrency) {
      pull_next_boundary_to(sim_.now());
    }
  }
  flush_results();
}

void InferenceServer::enqueue(std::uint32_t slot) {
  queue_.push_back(slot);
  queued_ = static_cast<std::int64_t>(queue_.size());
  if (queue_.size() == 1) arm_head_timeout();
}

void InferenceServer::arm_head_timeout() {
  const Time deadline = queue_.empty() ? kTimeMax : slots_[queue_.front()].queue_deadline;
  if (deadline == head_timeout_at_ && head_timeout_.valid()) return;
  if (head_timeout_.valid()) sim_.cancel(head_timeout_);
  head_timeout_ = sim::EventHandle{};
  head_timeout_at_ = deadline;
  if (deadline == kTimeMax) return;
  head_timeout_ = sim_.schedule_at(std::max(deadline, sim_.now()), [this] { on_head_timeout(); });
}

void InferenceServer::on_head_timeout() {
  touch();
  head_timeout_ = sim::EventHandle{};
  const Time now = sim_.now();
  // Deadlines grow with arrival order (both timeouts are constants), so the expired
  // requests are at the head.
  while (!queue_.empty() && slots_[queue_.front()].queue_deadline <= now) {
    const std::uint32_t s = queue_.front();
    queue_.pop_front();
    finish(s, Outcome::kTimeout, RejectReason::kNone, now);
  }
  queued_ = static_cast<std::int64_t>(queue_.size());
  arm_head_timeout();
  check_drained();
  flush_results();
}

void InferenceServer::begin_drain(DrainMode mode) {
  if (terminated_ || draining_) return;
  touch();
  draining_ = true;
  drain_mode_ = mode;
  check_drained();
  flush_results();
}

void InferenceServer::terminate(DrainMode mode) {
  if (terminated_) return;
  touch();
  terminated_ = true;
  ready_ = false;
  const Outcome outcome = mode == DrainMode::kReturn ? Outcome::kReturned : Outcome::kRejected;
  const Time now = sim_.now();
  if (ready_event_.valid()) sim_.cancel(ready_event_);
  if (boundary_.valid()) sim_.cancel(boundary_);
  if (head_timeout_.valid()) sim_.cancel(head_timeout_);
  ready_event_ = boundary_ = head_timeout_ = sim::EventHandle{};
  for (std::uint32_t s : running_) finish(s, outcome, RejectReason::kPodGone, now);
  running_.clear();
  for (std::uint32_t s : cpu_running_) {
    sim_.cancel(slots_[s].done);
    finish(s, outcome, RejectReason::kPodGone, now);
  }
  cpu_running_.clear();
  busy_workers_ = 0;
  for (std::uint32_t s : queue_) finish(s, outcome, RejectReason::kPodGone, now);
  queue_.clear();
  queued_ = 0;
  flush_results();
}

// ---- LLM engine ----------------------------------------------------------------------

Time InferenceServer::iteration_end(std::int64_t k) const {
  return seg_start_ + seg_prefill_ + k * step_;
}

void InferenceServer::on_boundary() {
  touch();
  boundary_ = sim::EventHandle{};
  plan_boundary(sim_.now(), boundary_iter_);
  flush_results();
}

// At the end of iteration `iter` (time now): retire finished and expired requests, let
// waiting ones join, and start a new segment of iterations with the new batch.
void InferenceServer::plan_boundary(Time now, std::int64_t iter) {
  for (std::size_t i = 0; i < running_.size();) {
    const std::uint32_t s = running_[i];
    const Slot& slot = slots_[s];
    if (slot.finish_iter <= iter) {
      finish(s, Outcome::kSuccess, RejectReason::kNone, now);
    } else if (slot.deadline <= now) {
      finish(s, Outcome::kTimeout, RejectReason::kNone, now);
    } else {
      ++i;
      continue;
    }
    running_[i] = running_.back();
    running_.pop_back();
  }
  const std::size_t before = running_.size();
  std::int64_t prefill_tokens = 0;
  while (!queue_.empty() && static_cast<int>(running_.size()) < config_.concurrency) {
    const std::uint32_t s = queue_.front();
    queue_.pop_front();
    Slot& slot = slots_[s];
    if (slot.queue_deadline <= now) {
      finish(s, Outcome::kTimeout, RejectReason::kNone, now);
      continue;
    }
    slot.started = now;
    slot.finish_iter = iter + std::max<std::int32_t>(1, slot.request.output_tokens);
    prefill_tokens += std::max<std::int32_t>(0, slot.request.input_tokens);
    running_.push_back(s);
  }
  queued_ = static_cast<std::int64_t>(queue_.size());
  arm_head_timeout();

  if (boundary_.valid()) sim_.cancel(boundary_);
  boundary_ = sim::EventHandle{};
  seg_start_ = now;
  seg_iter0_ = iter;
  boundary_iter_ = iter;
  if (running_.empty()) {
    seg_prefill_ = 0;
    check_drained();
    return;
  }
  seg_prefill_ =
      sim::from_seconds(static_cast<double>(prefill_tokens) / config_.gpu.prefill_tokens_per_s);
  step_ = std::max<Duration>(
      1, sim::from_seconds(config_.gpu.step_seconds(static_cast<int>(running_.size()))));
  const Time first_token = iteration_end(1);
  for (std::size_t i = before; i < running_.size(); ++i)
    slots_[running_[i]].first_token = first_token;

  std::int64_t k = std::numeric_limits<std::int64_t>::max();
  for (const std::uint32_t s : running_) {
    const Slot& slot = slots_[s];
    k = std::min(k, slot.finish_iter - iter);
    if (slot.deadline != kTimeMax) {
      // The first boundary at or after the deadline.
      const Duration past = slot.deadline - seg_start_ - seg_prefill_;
      const std::int64_t kd = past <= 0 ? 1 : std::max<std::int64_t>(1, (past + step_ - 1) / step_);
      k = std::min(k, kd);
    }
  }
  boundary_iter_ = iter + k;
  boundary_ = sim_.schedule_at(iteration_end(k), [this] { on_boundary(); });
}

// A request is waiting and the batch has room: make sure the engine stops at the next
// iteration boundary to let it join.
void InferenceServer::pull_next_boundary_to(Time now) {
  if (running_.empty()) return;
  const Duration past = now - seg_start_ - seg_prefill_;
  const std::int64_t k = past <= 0 ? 1 : std::max<std::int64_t>(1, (past + step_ - 1) / step_);
  if (seg_iter0_ + k >= boundary_iter_) return;
  if (boundary_.valid()) sim_.cancel(boundary_);
  boundary_iter_ = seg_iter0_ + k;
  boundary_ = sim_.schedule_at(iteration_end(k), [this] { on_boundary(); });
}

// ---- CPU workers ----------------------------------------------------------------------

void InferenceServer::cpu_start(std::uint32_t slot) {
  Slot& s = slots_[slot];
  const Time now = sim_.now();
  s.started = now;
  ++busy_workers_;
  cpu_running_.push_back(slot);
  const double service_s = std::max(0.0, config_.service_time.sample(service_rng_));
  Time end = now + sim::from_seconds(service_s);
  const bool timeout = end > s.deadline;
  if (timeout) end = s.deadline;
  s.done = sim_.schedule_at(end, [this, slot, timeout] {
    touch();
    Slot& done = slots_[slot];
    done.done = sim::EventHandle{};
    done.first_token = sim_.now();
    for (std::size_t i = 0; i < cpu_running_.size(); ++i) {
      if (cpu_running_[i] == slot) {
        cpu_running_[i] = cpu_running_.back();
        cpu_running_.pop_back();
        break;
      }
    }
    --busy_workers_;
    finish(slot, timeout ? Outcome::kTimeout : Outcome::kSuccess, RejectReason::kNone, sim_.now());
    cpu_next();
  });
}

void InferenceServer::cpu_next() {
  const Time now = sim_.now();
  while (!queue_.empty() && busy_workers_ < config_.concurrency) {
    const std::uint32_t next = queue_.front();
    queue_.pop_front();
    if (slots_[next].queue_deadline <= now) {
      // Its timeout event is due at this very time but has not run yet.
      finish(next, Outcome::kTimeout, RejectReason::kNone, now);
      continue;
    }
    cpu_start(next);
  }
  queued_ = static_cast<std::int64_t>(queue_.size());
  arm_head_timeout();
  check_drained();
  flush_results();
}

// ---- Fluid mode -----------------------------------------------------------------------

FluidServer::FluidServer(InferenceServerConfig config) : config_(std::move(config)) {}

double FluidServer::completion_rate(int n, const FluidInput& in) const {
  const int m = std::min(n, config_.concurrency);
  if (m <= 0) return 0;
  if (config_.model == ServiceModel::kCpu) return m / config_.service_time.mean();
  const double prefill = std::max(0.0, in.mean_input_tokens) / config_.gpu.prefill_tokens_per_s;
  const double out = std::max(1.0, in.mean_output_tokens);
  return m / (m * prefill + out * config_.gpu.step_seconds(m));
}

FluidOutput FluidServer::advance(Duration dt, const FluidInput& in) {
  FluidOutput o;
  const double t = sim::to_seconds(dt);
  const double lambda = std::max(0.0, in.arrival_rate);
  const int c = config_.concurrency;
  const double mu_c = completion_rate(c, in);
  const std::int64_t k_limit = config_.queue_limit;
  o.offered = lambda * t;

  if (backlog_ > 0 || lambda >= mu_c) {
    // Saturated: the batch is full and the backlog moves as a fluid. With a bounded queue
    // too: a queue fills at λ − μ(c), it is not full from the first instant (the stationary
    // M/M/c/K answer would be), so a pod that is scaled out of overload has a backlog to
    // work off, as it does request by request.
    const double total = backlog_ + lambda * t;
    o.completed = std::min(total, mu_c * t);
    double left = total - o.completed;
    if (k_limit >= 0 && left > static_cast<double>(k_limit)) {
      o.rejected = left - static_cast<double>(k_limit);
      left = static_cast<double>(k_limit);
    }
    if (config_.queue_timeout > 0) {
      const double max_wait_queue = mu_c * sim::to_seconds(config_.queue_timeout);
      if (left > max_wait_queue) {
        o.timed_out = left - max_wait_queue;
        left = max_wait_queue;
      }
    }
    const double busy = mu_c > 0 ? std::min(1.0, o.completed / (mu_c * t)) : 0.0;
    o.busy_fraction = busy;
    o.mean_in_flight = busy * c;
    o.mean_queue = (backlog_ + left) / 2;
    o.mean_wait_s = mu_c > 0 ? o.mean_queue / mu_c : 0;
    o.mean_latency_s = o.mean_wait_s + (mu_c > 0 ? c / mu_c : 0);
    backlog_ = left;
    o.backlog = left;
    return o;
  }

  if (lambda <= 0) return o;  // idle: nothing offered, nothing left over

  // Stationary birth–death chain, in logs to survive large products: log w(n) =
  // n·log λ − Σ_{k≤n} log μ(k). The sums depend only on the token means, so they are
  // cached across intervals.
  if (log_mu_prefix_.size() != static_cast<std::size_t>(c) + 1 ||
      in.mean_input_tokens != cached_input_ || in.mean_output_tokens != cached_output_) {
    log_mu_prefix_.assign(static_cast<std::size_t>(c) + 1, 0.0);
    mu_.assign(static_cast<std::size_t>(c) + 1, 0.0);
    for (int n = 1; n <= c; ++n) {
      mu_[static_cast<std::size_t>(n)] = completion_rate(n, in);
      log_mu_prefix_[static_cast<std::size_t>(n)] =
          log_mu_prefix_[static_cast<std::size_t>(n) - 1] +
          std::log(mu_[static_cast<std::size_t>(n)]);
    }
    cached_input_ = in.mean_input_tokens;
    cached_output_ = in.mean_output_tokens;
  }
  const double log_lambda = std::log(lambda);
  weights_.resize(static_cast<std::size_t>(c) + 1);
  for (int n = 0; n <= c; ++n) {
    weights_[static_cast<std::size_t>(n)] =
        n * log_lambda - log_mu_prefix_[static_cast<std::size_t>(n)];
  }
  const auto peak = std::max_element(weights_.begin(), weights_.end());
  const auto n_peak = static_cast<int>(peak - weights_.begin());
  double top = *peak;
  const double r = mu_c > 0 ? lambda / mu_c : 0;
  // Tail states c + j, j = 1..K (K = ∞ when unbounded, then r < 1): mass and Σ j·mass,
  // relative to the weight of state c.
  double tail = 0, tail_j = 0, block_rel = 0;
  if (lambda > 0 && k_limit != 0) {
    if (k_limit < 0) {
      tail = r / (1 - r);
      tail_j = r / ((1 - r) * (1 - r));
    } else {
      const double k = static_cast<double>(k_limit);
      if (std::abs(r - 1) < 1e-12) {
        tail = k;
        tail_j = k * (k + 1) / 2;
      } else {
        const double rk = std::pow(r, k);
        tail = r * (1 - rk) / (1 - r);
        tail_j = r * (1 - (k + 1) * rk + k * rk * r) / ((1 - r) * (1 - r));
      }
    }
  }
  const double wc_log = weights_[static_cast<std::size_t>(c)];
  if (tail > 0) top = std::max(top, wc_log + std::log(tail));
  // The relative weights w(n) = exp(log w(n) − top), by the chain's ratios w(n)/w(n−1) =
  // λ/μ(n) outward from the largest state: one exp, not c + 1. They replace the logs.
  {
    auto& w = weights_;
    const auto peak_index = static_cast<std::size_t>(n_peak);
    w[peak_index] = std::exp(w[peak_index] - top);
    for (std::size_t n = peak_index + 1; n <= static_cast<std::size_t>(c); ++n) {
      w[n] = w[n - 1] * (lambda / mu_[n]);
    }
    for (std::size_t n = peak_index; n-- > 0;) w[n] = w[n + 1] * (mu_[n + 1] / lambda);
  }
  double z = 0, in_flight = 0, busy_cpu = 0, p0 = 0;
  for (int n = 0; n <= c; ++n) {
    const double w = weights_[static_cast<std::size_t>(n)];
    if (w < 2.9e-20) continue;  // below e^-45 of the largest term
    z += w;
    in_flight += n * w;
    busy_cpu += static_cast<double>(n) / c * w;
    if (n == 0) p0 = w;
  }
  const double wc = weights_[static_cast<std::size_t>(c)];
  z += wc * tail;
  in_flight += c * wc * tail;
  busy_cpu += wc * tail;
  double queue = wc * tail_j;
  if (k_limit == 0) {
    block_rel = wc;
  } else if (k_limit > 0) {
    block_rel = wc * std::pow(r, static_cast<double>(k_limit));
  }
  in_flight /= z;
  queue /= z;
  const double p_block = block_rel / z;
  const double admitted = lambda * (1 - p_block);
  o.rejected = lambda * p_block * t;
  o.completed = admitted * t;
  o.busy_fraction = config_.model == ServiceModel::kLlm ? 1 - p0 / z : busy_cpu / z;
  o.mean_in_flight = in_flight;
  o.mean_queue = queue;
  o.mean_wait_s = admitted > 0 ? queue / admitted : 0;
  o.mean_latency_s = admitted > 0 ? (in_flight + queue) / admitted : 0;
  o.backlog = 0;
  return o;
}

FluidOutput FluidService::advance(Duration dt, const FluidInput& total, int ready_pods) {
  if (ready_pods <= 0) {
    FluidOutput o;
    o.offered = std::max(0.0, total.arrival_rate) * sim::to_seconds(dt);
    o.rejected = o.offered + backlog_;
    backlog_ = 0;
    return o;
  }
  const double n = ready_pods;
  FluidInput per_pod = total;
  per_pod.arrival_rate = total.arrival_rate / n;
  pod_.set_backlog(backlog_ / n);
  FluidOutput o = pod_.advance(dt, per_pod);
  o.offered *= n;
  o.completed *= n;
  o.rejected *= n;
  o.timed_out *= n;
  o.mean_in_flight *= n;
  o.mean_queue *= n;
  o.backlog *= n;
  backlog_ = o.backlog;
  return o;
}

}  // namespace kubesim::models
