// InferenceServer: the serving model of ONE pod (replica) of a Service, request by request;
// FluidServer: the same capacity model driven by per-interval rates, with no per-request
// events. docs/serving.md has the formulas, defaults and their sources.
//
// LLM mode (continuous batching, iteration-level, as vLLM's scheduler does it):
//   - at most `concurrency` requests run in the batch; the rest wait in a FIFO queue of at
//     most `queue_limit` (a request arriving to a full queue is rejected: kQueueFull);
//   - the engine runs iterations back to back while the batch is not empty; waiting
//     requests join only at iteration boundaries (an arrival to an idle engine starts an
//     iteration at once);
//   - an iteration in which requests join costs their prefill, Σ input_tokens /
//     prefill_tokens_per_s, plus one decode step; every other iteration costs one decode
//     step, step(b) = decode_ms × (1 + batch_alpha × (b − 1)) for the b requests in the batch;
//   - every request in the batch gets one output token per iteration, the first one at the
//     end of the iteration it joined in (its time to first token); it leaves at the end of
//     its output_tokens-th iteration (output_tokens 0 counts as 1).
//   Iteration times are integer nanoseconds, so a timeline can be checked by hand. Events:
//   one per boundary at which the batch changes (a completion, a join, a deadline), never
//   one per token: between changes the engine's position is arithmetic.
// CPU mode: `concurrency` workers, FIFO queue, service time per request drawn from
//   `service_time` (seconds) — with exponential service and Poisson arrivals the M/M/c(/K)
//   queue.
//
// Cold start: start() begins loading the model; the pod serves from
//   startup_delay + model_size_gb / load_gb_per_s later (on_ready is called then).
//   Submissions before that are rejected with kNotReady.
// Timeouts: queue_timeout bounds the wait before joining the batch (or starting on a
//   worker); request_timeout bounds arrival-to-completion on this pod. A running LLM request
//   past its deadline is dropped at the first iteration boundary at or after the deadline
//   (the engine notices aborts between steps); its outcome time is that boundary. CPU
//   requests time out exactly at the deadline.
// Removal: terminate(mode) ends everything at once; in-flight and queued requests are
//   failed (kRejected, reason kPodGone) or handed back (kReturned) for the caller to retry
//   elsewhere. begin_drain(mode) stops accepting (new submissions fail or come back at
//   once) while the batch and queue finish; on_drained is called when the pod is empty.
//   Every submitted request gets exactly one result: kSuccess, kTimeout, kRejected or
//   kReturned (the last is not final: the caller resubmits or gives up).
//
// Results are delivered through the ResultSink after the server's state is consistent, so
// the sink may submit again (to this or another server), or terminate a server; it must not
// destroy one. The destructor cancels the server's pending events. Observables for autoscalers:
// in_flight(), queue_length() and counters() (cumulative counts and time integrals; an
// average over a window is the difference of two snapshots over the window's length).
//
// Determinism: CPU service times draw from stream "serving/<name>/service". Not
// thread-safe.
//
// It supersedes models/request_queue.hpp (the foundation's G/G/c/K queue, kept for the
// quickstart workload) for Services: CPU mode is the same queue with timeouts, removal and
// per-pod observables.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "models/traffic.hpp"
#include "sim/random.hpp"
#include "sim/simulation.hpp"
#include "sim/slot_pool.hpp"
#include "sim/status.hpp"
#include "sim/time.hpp"

namespace kubesim::models {

// Per-GPU serving speed for the reference model (Llama-3.1-8B class, one GPU per replica).
struct GpuProfile {
  std::string name;
  double prefill_tokens_per_s = 20'000;  // prompt tokens processed per second
  double decode_ms = 6.5;                // one decode step at batch size 1
  double batch_alpha = 0.01;             // step(b) = decode_ms × (1 + alpha × (b − 1))
  // Duration of one decode step with b requests in the batch (b >= 1).
  double step_seconds(int b) const { return decode_ms * 1e-3 * (1 + batch_alpha * (b - 1)); }
};

// Built-in profiles: "H100", "A100", "L4", "T4" (case-insensitive; a longer name that
// contains one, like "nvidia-a100-80gb", matches it). Unknown names are an error.
sim::Result<GpuProfile> gpu_profile(std::string_view gpu_model);

enum class ServiceModel { kLlm, kCpu };
enum class Outcome { kSuccess, kTimeout, kRejected, kReturned };
enum class RejectReason { kNone, kQueueFull, kPodGone, kNotReady };
enum class DrainMode { kFail, kReturn };
const char* outcome_name(Outcome o);             // "success", "timeout", "rejected", "returned"
const char* reject_reason_name(RejectReason r);  // "", "queue_full", "pod_gone", "not_ready"

struct InferenceServerConfig {
  std::string name = "server";
  ServiceModel model = ServiceModel::kLlm;
  int concurrency = 256;              // batch cap (vLLM max_num_seqs default) or CPU workers
  std::int64_t queue_limit = -1;      // waiting room; -1 = unbounded
  sim::Duration queue_timeout = 0;    // 0 = none
  sim::Duration request_timeout = 0;  // arrival to completion on this pod; 0 = none
  GpuProfile gpu = GpuProfile{"H100"};
  // Cold start.
  double model_size_gb = 16;  // Llama-3.1-8B in BF16
  double load_gb_per_s = 1;   // storage/network to GPU memory (16 s for 16 GB)
  sim::Duration startup_delay = 0;
  // CPU mode: service time in seconds.
  sim::Distribution service_time = sim::Distribution::constant(0.1);

  sim::Duration load_time() const {
    return startup_delay + sim::from_seconds(load_gb_per_s > 0 ? model_size_gb / load_gb_per_s : 0);
  }
};

sim::Status validate(const InferenceServerConfig& config);

struct RequestResult {
  std::uint64_t id = 0;
  Request request;  // as submitted; request.at is when the request was created
  Outcome outcome = Outcome::kSuccess;
  RejectReason reason = RejectReason::kNone;
  sim::Time arrived = 0;       // at this pod
  sim::Time started = -1;      // joined the batch / started on a worker; -1 if never
  sim::Time first_token = -1;  // LLM successes; -1 otherwise (CPU: = finished)
  sim::Time finished = 0;      // when the outcome happened

  double queueing_s() const {
    return sim::to_seconds((started >= 0 ? started : finished) - arrived);
  }
  double ttft_s() const { return sim::to_seconds(first_token - request.at); }
  double e2e_s() const { return sim::to_seconds(finished - request.at); }
};

// Cumulative per-pod observables at a point in time.
struct PodCounters {
  std::uint64_t arrived = 0;  // submissions, including rejected ones
  std::uint64_t completed = 0;
  std::uint64_t timed_out = 0;
  std::uint64_t rejected = 0;
  std::uint64_t returned = 0;
  std::uint64_t output_tokens = 0;  // of completed requests
  double busy_seconds = 0;          // ∫ busy fraction dt: LLM engine busy; CPU busy workers / c
  double in_flight_seconds = 0;     // ∫ requests running dt
  double queue_seconds = 0;         // ∫ requests waiting dt
};

class InferenceServer {
 public:
  using ResultSink = std::function<void(const RequestResult&)>;
  // REQUIRES: validate(config).ok().
  InferenceServer(sim::Simulation& sim, InferenceServerConfig config, ResultSink sink);
  InferenceServer(const InferenceServer&) = delete;
  InferenceServer& operator=(const InferenceServer&) = delete;
  ~InferenceServer();

  // Begins the cold start (model load). Call once.
  void start();
  // Skips the cold start: ready now (a warm pod).
  void start_ready();
  void set_on_ready(std::function<void()> fn) { on_ready_ = std::move(fn); }
  void set_on_drained(std::function<void()> fn) { on_drained_ = std::move(fn); }

  // A request reaches this pod now. `id` is the caller's, echoed in the result.
  void submit(const Request& request, std::uint64_t id);

  void begin_drain(DrainMode mode);
  void terminate(DrainMode mode);

  bool ready() const { return ready_ && !draining_ && !terminated_; }
  bool terminated() const { return terminated_; }
  int in_flight() const;
  std::int64_t queue_length() const { return queued_; }
  PodCounters counters() const;
  const InferenceServerConfig& config() const { return config_; }

 private:
  struct Slot {
    Request request;
    std::uint64_t id = 0;
    sim::Time arrived = 0;
    sim::Time started = -1;
    sim::Time first_token = -1;
    sim::Time deadline = sim::kTimeMax;        // request_timeout
    sim::Time queue_deadline = sim::kTimeMax;  // min(queue_timeout, request_timeout)
    std::int64_t finish_iter = 0;              // LLM: iteration at whose end it completes
    sim::EventHandle done;                     // CPU: completion or deadline
  };

  void touch();  // brings the time integrals up to now
  std::uint32_t new_slot(const Request& request, std::uint64_t id);
  void finish(std::uint32_t slot, Outcome outcome, RejectReason reason, sim::Time at);
  void flush_results();
  void refuse(const Request& request, std::uint64_t id, Outcome outcome, RejectReason reason);
  void enqueue(std::uint32_t slot);
  void arm_head_timeout();
  void on_head_timeout();
  void check_drained();
  // LLM
  sim::Time iteration_end(std::int64_t k) const;
  void on_boundary();
  void plan_boundary(sim::Time now, std::int64_t iter);
  void pull_next_boundary_to(sim::Time now);
  // CPU
  void cpu_start(std::uint32_t slot);
  void cpu_next();

  sim::Simulation& sim_;
  InferenceServerConfig config_;
  ResultSink sink_;
  sim::Rng service_rng_;
  std::function<void()> on_ready_;
  std::function<void()> on_drained_;
  bool ready_ = false;
  bool draining_ = false;
  bool terminated_ = false;
  bool delivering_ = false;
  DrainMode drain_mode_ = DrainMode::kFail;
  sim::EventHandle ready_event_;

  sim::SlotPool<Slot> slots_;
  std::deque<std::uint32_t> queue_;  // FIFO of slot indices
  std::int64_t queued_ = 0;
  sim::EventHandle head_timeout_;
  sim::Time head_timeout_at_ = sim::kTimeMax;
  bool drained_pending_ = false;
  bool drained_notified_ = false;
  std::vector<RequestResult> results_;  // to deliver once the state is consistent

  // LLM engine
  std::vector<std::uint32_t> running_;
  sim::Time seg_start_ = 0;        // the segment: iterations since the last batch change
  sim::Duration seg_prefill_ = 0;  // prefill cost of its first iteration
  sim::Duration step_ = 0;         // decode step for the segment's batch
  std::int64_t seg_iter0_ = 0;     // iterations completed before the segment
  sim::EventHandle boundary_;
  std::int64_t boundary_iter_ = 0;  // the iteration whose end the boundary event is
  // CPU workers
  int busy_workers_ = 0;
  std::vector<std::uint32_t> cpu_running_;  // slots in service (for terminate)

  // observables
  PodCounters counters_;
  sim::Time last_touch_ = 0;
};

// Fluid mode: the same capacity model as InferenceServer, advanced one interval at a time
// from rates. In each interval the pod is taken to be in the steady state of a birth–death
// chain on n requests present, with arrival rate λ and completion rate
//   LLM: μ(n) = m / (m·P + out·step(m)),  m = min(n, concurrency), P = input / prefill rate
//        (m requests share each iteration; each one also waits for the prefill of the m
//        requests that join during its life: docs/serving.md derives it),
//   CPU: μ(n) = min(n, c) / E[service time]  (M/M/c/K exactly),
// truncated at concurrency + queue_limit (arrivals beyond are rejected). When λ ≥ μ(c)
// (bounded queue or not), or a backlog is left from earlier intervals, the pod is saturated
// and the backlog evolves as a fluid: backlog' = backlog + (λ − μ(c))·dt, bounded below by
// 0 and above by the queue limit (overflow rejected) and by μ(c)·queue_timeout (excess
// timed out). No per-request events.
struct FluidInput {
  double arrival_rate = 0;  // requests/s offered to this pod
  double mean_input_tokens = 0;
  double mean_output_tokens = 1;
};

struct FluidOutput {
  double offered = 0;  // requests in the interval
  double completed = 0;
  double rejected = 0;
  double timed_out = 0;
  double busy_fraction = 0;  // as PodCounters.busy_seconds / dt
  double mean_in_flight = 0;
  double mean_queue = 0;
  double mean_wait_s = 0;     // queueing
  double mean_latency_s = 0;  // arrival to completion
  double backlog = 0;         // requests waiting at the end of the interval (saturated case)
};

class FluidServer {
 public:
  // REQUIRES: validate(config).ok().
  explicit FluidServer(InferenceServerConfig config);
  // Advances one interval of length dt (> 0) at the given input.
  FluidOutput advance(sim::Duration dt, const FluidInput& in);
  // Completion rate with n requests present (the capacity model), requests/s.
  double completion_rate(int n, const FluidInput& in) const;
  double backlog() const { return backlog_; }
  // Forgets the backlog (pod removed).
  void reset() { backlog_ = 0; }
  void set_backlog(double backlog) { backlog_ = backlog > 0 ? backlog : 0; }

 private:
  InferenceServerConfig config_;
  double backlog_ = 0;
  std::vector<double> weights_;        // scratch
  std::vector<double> log_mu_prefix_;  // Σ_{k≤n} log μ(k) for the cached token means
  std::vector<double> mu_;             // μ(n) for the cached token means
  double cached_input_ = -1;
  double cached_output_ = -1;
};

// The ready pods of one Service in fluid mode under equal routing (random, round robin or
// least connections all split a fluid evenly): one FluidServer stands for every pod. The
// backlog is pooled across the pods and re-split when the pod count changes; with no
// ready pod, what is offered and the backlog left are rejected (no endpoints / pod gone).
// Counts, in-flight and queue in the output are Service totals; busy_fraction, wait and
// latency are per-pod means.
class FluidService {
 public:
  // REQUIRES: validate(config).ok().
  explicit FluidService(InferenceServerConfig config) : pod_(std::move(config)) {}
  // `total` is the Service's arrival rate and token mix. REQUIRES: ready_pods >= 0.
  FluidOutput advance(sim::Duration dt, const FluidInput& total, int ready_pods);
  double backlog() const { return backlog_; }

 private:
  FluidServer pod_;
  double backlog_ = 0;  // Service total
};

}  // namespace kubesim::models
