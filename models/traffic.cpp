#include "models/traffic.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <sstream>
#include <utility>

namespace kubesim::models {
namespace {

using sim::Duration;
using sim::kTimeMax;
using sim::Status;
using sim::Time;

// t + seconds, or kTimeMax when that would not fit (rate so low the arrival never comes).
Time add_seconds(Time t, double s) {
  if (!(s < sim::to_seconds(kTimeMax - t))) return kTimeMax;
  return t + sim::from_seconds(s);
}

Status bad(const TrafficSpec& spec, const std::string& what) {
  return Status::invalid_argument("traffic \"" + spec.name + "\" (" + traffic_kind_name(spec.kind) +
                                  "): " + what);
}

// One pass of a request trace, in trace time.
Duration record_pass_length(const TrafficSpec& spec) {
  if (spec.duration > 0) return spec.duration;
  const auto& r = spec.records;
  if (r.empty()) return 0;
  const Duration span = r.back().at - r.front().at;
  const Duration mean_gap = r.size() >= 2 ? span / static_cast<Duration>(r.size() - 1) : 0;
  return r.back().at + std::max<Duration>(mean_gap, 1);
}

Duration rate_pass_length(const TrafficSpec& spec) {
  if (spec.duration > 0) return spec.duration;
  return spec.rate_step * static_cast<Duration>(spec.per_second.size());
}

Duration scaled(Duration trace_d, double time_scale) {
  return sim::from_seconds(sim::to_seconds(trace_d) * time_scale);
}

}  // namespace

const char* traffic_kind_name(TrafficKind kind) {
  switch (kind) {
    case TrafficKind::kConstant:
      return "constant";
    case TrafficKind::kPoisson:
      return "poisson";
    case TrafficKind::kDiurnal:
      return "diurnal";
    case TrafficKind::kOnOff:
      return "on_off";
    case TrafficKind::kSteps:
      return "steps";
    case TrafficKind::kSpikes:
      return "spikes";
    case TrafficKind::kTraceRequests:
      return "trace_requests";
    case TrafficKind::kTraceRates:
      return "trace_rates";
  }
  return "unknown";
}

Status validate(const TrafficSpec& spec) {
  if (spec.end <= spec.start) return bad(spec, "end must be after start");
  if (!(spec.time_scale > 0)) return bad(spec, "time_scale must be > 0");
  switch (spec.kind) {
    case TrafficKind::kConstant:
    case TrafficKind::kPoisson:
      if (!(spec.rate > 0)) return bad(spec, "rate must be > 0 requests/s");
      break;
    case TrafficKind::kDiurnal:
      if (spec.period <= 0) return bad(spec, "period must be > 0");
      if (!(spec.trough >= 0) || !(spec.peak >= spec.trough) || !(spec.peak > 0)) {
        return bad(spec, "need 0 <= trough <= peak and peak > 0");
      }
      if (!(spec.noise >= 0)) return bad(spec, "noise must be >= 0");
      if (spec.noise > 0 && spec.noise_interval <= 0) {
        return bad(spec, "noise_interval must be > 0");
      }
      break;
    case TrafficKind::kOnOff:
      if (!(spec.on_rate >= 0) || !(spec.off_rate >= 0) || !(spec.on_rate + spec.off_rate > 0)) {
        return bad(spec, "on_rate and off_rate must be >= 0, not both 0");
      }
      if (spec.on_duration <= 0 || spec.off_duration <= 0) {
        return bad(spec, "on_duration and off_duration must be > 0");
      }
      break;
    case TrafficKind::kSteps:
      if (spec.steps.empty()) return bad(spec, "steps must not be empty");
      for (std::size_t i = 0; i < spec.steps.size(); ++i) {
        if (!(spec.steps[i].rate >= 0)) return bad(spec, "step rates must be >= 0");
        if (i > 0 && spec.steps[i].at <= spec.steps[i - 1].at) {
          return bad(spec, "step times must be strictly increasing");
        }
      }
      break;
    case TrafficKind::kSpikes:
      if (!(spec.rate >= 0)) return bad(spec, "base rate must be >= 0");
      for (const Spike& s : spec.spikes) {
        if (!(s.magnitude >= 0) || s.duration <= 0) {
          return bad(spec, "spikes need magnitude >= 0 and duration > 0");
        }
      }
      break;
    case TrafficKind::kTraceRequests: {
      if (spec.records.empty()) return bad(spec, "records must not be empty");
      for (std::size_t i = 0; i < spec.records.size(); ++i) {
        const Request& r = spec.records[i];
        if (r.at < 0 || r.input_tokens < 0 || r.output_tokens < 0) {
          return bad(spec, "record " + std::to_string(i) + ": time and tokens must be >= 0");
        }
        if (i > 0 && r.at < spec.records[i - 1].at) {
          return bad(spec, "records must be sorted by time (record " + std::to_string(i) + ")");
        }
      }
      if (spec.duration > 0 && spec.duration <= spec.records.back().at) {
        return bad(spec, "duration must exceed the last record's time");
      }
      break;
    }
    case TrafficKind::kTraceRates:
      if (spec.rate_step <= 0) return bad(spec, "step must be > 0");
      if (spec.per_second.empty()) return bad(spec, "per_second must not be empty");
      for (double v : spec.per_second) {
        if (!(v >= 0) || !std::isfinite(v)) return bad(spec, "per_second values must be >= 0");
      }
      if (spec.duration > 0 && spec.duration < spec.rate_step) {
        return bad(spec, "duration must be at least one step");
      }
      break;
  }
  return Status::ok_status();
}

double mean_rate(const TrafficSpec& spec) {
  switch (spec.kind) {
    case TrafficKind::kConstant:
    case TrafficKind::kPoisson:
      return spec.rate;
    case TrafficKind::kDiurnal:
      return (spec.peak + spec.trough) / 2;
    case TrafficKind::kOnOff: {
      const double on = sim::to_seconds(spec.on_duration);
      const double off = sim::to_seconds(spec.off_duration);
      return (spec.on_rate * on + spec.off_rate * off) / (on + off);
    }
    case TrafficKind::kSteps:
      return spec.steps.empty() ? 0 : spec.steps.back().rate;
    case TrafficKind::kSpikes:
      return spec.rate;
    case TrafficKind::kTraceRequests:
      return static_cast<double>(spec.records.size()) /
             (sim::to_seconds(record_pass_length(spec)) * spec.time_scale);
    case TrafficKind::kTraceRates: {
      double sum = 0;
      for (double v : spec.per_second) sum += v;
      return sum * sim::to_seconds(spec.rate_step) /
             (sim::to_seconds(rate_pass_length(spec)) * spec.time_scale);
    }
  }
  return 0;
}

double nominal_rate(const TrafficSpec& spec, Time t) {
  switch (spec.kind) {
    case TrafficKind::kConstant:
    case TrafficKind::kPoisson:
      return spec.rate;
    case TrafficKind::kDiurnal: {
      const double x = sim::to_seconds(t - spec.phase) / sim::to_seconds(spec.period);
      return spec.trough + (spec.peak - spec.trough) * (1 + std::cos(2 * std::numbers::pi * x)) / 2;
    }
    case TrafficKind::kOnOff:
    case TrafficKind::kTraceRequests:
      return 0;
    case TrafficKind::kSteps: {
      double r = 0;
      for (const RateStep& s : spec.steps) {
        if (s.at <= t) r = s.rate;
      }
      return r;
    }
    case TrafficKind::kSpikes: {
      double r = spec.rate;
      for (const Spike& s : spec.spikes) {
        if (s.at <= t && t < s.at + s.duration) r += s.magnitude;
      }
      return r;
    }
    case TrafficKind::kTraceRates: {
      if (t < spec.offset) return 0;
      const Duration pass = scaled(rate_pass_length(spec), spec.time_scale);
      const Duration step = scaled(spec.rate_step, spec.time_scale);
      Duration rel = t - spec.offset;
      if (rel >= pass) {
        if (!spec.loop) return 0;
        rel %= pass;
      }
      const auto bin = static_cast<std::size_t>(rel / step);
      return bin < spec.per_second.size() ? spec.per_second[bin] / spec.time_scale : 0;
    }
  }
  return 0;
}

TrafficGenerator::TrafficGenerator(TrafficSpec spec, sim::Rng arrivals, sim::Rng tokens,
                                   sim::Rng modulation)
    : spec_(std::move(spec)), arrivals_(arrivals), tokens_(tokens), modulation_(modulation) {
  if (spec_.kind == TrafficKind::kTraceRequests) pass_length_ = record_pass_length(spec_);
  if (spec_.kind == TrafficKind::kTraceRates) pass_length_ = rate_pass_length(spec_);
}

TrafficGenerator::TrafficGenerator(TrafficSpec spec, const sim::Simulation& sim)
    : TrafficGenerator(spec, sim.rng("traffic/" + spec.name + "/arrivals"),
                       sim.rng("traffic/" + spec.name + "/tokens"),
                       sim.rng("traffic/" + spec.name + "/modulation")) {}

double TrafficGenerator::fresh_need() {
  const bool deterministic = spec_.kind == TrafficKind::kConstant ||
                             (spec_.deterministic && (spec_.kind == TrafficKind::kSteps ||
                                                      spec_.kind == TrafficKind::kSpikes ||
                                                      spec_.kind == TrafficKind::kTraceRates));
  return deterministic ? 1.0 : arrivals_.standard_exponential();
}

TrafficGenerator::Piece TrafficGenerator::piece_at(Time t) {
  switch (spec_.kind) {
    case TrafficKind::kConstant:
    case TrafficKind::kPoisson:
      return {spec_.rate, kTimeMax};
    case TrafficKind::kOnOff: {
      if (first_) {
        on_ = true;
        mod_until_ = add_seconds(t, modulation_.exponential(sim::to_seconds(spec_.on_duration)));
      }
      while (t >= mod_until_) {
        on_ = !on_;
        const Duration mean = on_ ? spec_.on_duration : spec_.off_duration;
        mod_until_ = add_seconds(mod_until_, modulation_.exponential(sim::to_seconds(mean)));
      }
      return {on_ ? spec_.on_rate : spec_.off_rate, mod_until_};
    }
    case TrafficKind::kSteps: {
      // The last step at or before t; the next step ends the piece.
      const auto it = std::upper_bound(spec_.steps.begin(), spec_.steps.end(), t,
                                       [](Time x, const RateStep& s) { return x < s.at; });
      const double rate = it == spec_.steps.begin() ? 0.0 : std::prev(it)->rate;
      return {rate, it == spec_.steps.end() ? kTimeMax : it->at};
    }
    case TrafficKind::kSpikes: {
      double rate = spec_.rate;
      Time until = kTimeMax;
      for (const Spike& s : spec_.spikes) {
        const Time stop = s.at + s.duration;
        if (t < s.at) {
          until = std::min(until, s.at);
        } else if (t < stop) {
          rate += s.magnitude;
          until = std::min(until, stop);
        }
      }
      return {rate, until};
    }
    case TrafficKind::kTraceRates: {
      if (t < spec_.offset) return {0.0, spec_.offset};
      const Duration pass = scaled(pass_length_, spec_.time_scale);
      const Duration step = scaled(spec_.rate_step, spec_.time_scale);
      const Duration rel = t - spec_.offset;
      const Duration k = rel / pass;
      if (k >= 1 && !spec_.loop) return {0.0, kTimeMax};
      const Duration in_pass = rel - k * pass;
      const Time pass_start = spec_.offset + k * pass;
      const auto bin = static_cast<std::size_t>(in_pass / step);
      if (bin >= spec_.per_second.size()) return {0.0, pass_start + pass};
      const Time until =
          std::min(pass_start + static_cast<Duration>(bin + 1) * step, pass_start + pass);
      return {spec_.per_second[bin] / spec_.time_scale, until};
    }
    case TrafficKind::kDiurnal:
    case TrafficKind::kTraceRequests:
      break;
  }
  return {0.0, kTimeMax};
}

// Time rescaling without drift: arrival times are computed from the start of the current
// piece (target_ is the integrated rate from piece_start_ to the next arrival), so the
// rounding to nanoseconds never accumulates within a piece.
std::optional<Time> TrafficGenerator::next_rescaled() {
  if (first_) {
    piece_start_ = spec_.start;
    cur_ = piece_at(piece_start_);
    first_ = false;
    target_ = fresh_need();
  }
  for (;;) {
    if (cur_.rate > 0) {
      const Time cand = add_seconds(piece_start_, target_ / cur_.rate);
      // An arrival exactly at a piece's end belongs to it: Λ reaches the target there.
      if (cand != kTimeMax && cand <= cur_.until) {
        if (cand >= spec_.end) return std::nullopt;
        t_ = cand;
        if (target_ > kRebase) {
          // Keep target_ small on long constant pieces (one rounding per 2^20 arrivals).
          piece_start_ = cand;
          target_ = 0;
        }
        target_ += fresh_need();
        return cand;
      }
      if (cur_.until != kTimeMax) {
        target_ = std::max(0.0, target_ - cur_.rate * sim::to_seconds(cur_.until - piece_start_));
      }
    }
    if (cur_.until == kTimeMax || cur_.until >= spec_.end) return std::nullopt;
    piece_start_ = cur_.until;
    cur_ = piece_at(piece_start_);
  }
}

std::optional<Time> TrafficGenerator::next_diurnal() {
  if (first_) {
    t_ = spec_.start;
    mod_until_ = t_;  // forces a draw below
    first_ = false;
  }
  const double omega = 2 * std::numbers::pi / sim::to_seconds(spec_.period);
  for (;;) {
    if (t_ >= spec_.end) return std::nullopt;
    if (t_ >= mod_until_) {
      if (spec_.noise > 0) {
        // Noise pieces are aligned to start + k·noise_interval.
        const Duration k = (t_ - spec_.start) / spec_.noise_interval;
        mod_until_ = spec_.start + (k + 1) * spec_.noise_interval;
        mod_factor_ = std::max(0.0, 1 + spec_.noise * modulation_.standard_normal());
      } else {
        mod_until_ = kTimeMax;
        mod_factor_ = 1.0;
      }
    }
    const double bound = spec_.peak * mod_factor_;
    if (bound <= 0) {
      t_ = mod_until_;
      continue;
    }
    const Time cand = add_seconds(t_, arrivals_.standard_exponential() / bound);
    if (cand >= mod_until_) {
      // Memorylessness: restarting the bound's Poisson process at the boundary is exact.
      if (mod_until_ == kTimeMax) return std::nullopt;
      t_ = mod_until_;
      continue;
    }
    t_ = cand;
    const double x = sim::to_seconds(t_ - spec_.phase) * omega;
    const double rate =
        (spec_.trough + (spec_.peak - spec_.trough) * (1 + std::cos(x)) / 2) * mod_factor_;
    if (arrivals_.uniform01() * bound < rate) {
      if (t_ >= spec_.end) return std::nullopt;
      return t_;
    }
  }
}

std::optional<Request> TrafficGenerator::next_record() {
  // Records mapped before `start` are skipped (a scenario may start mid-trace).
  for (;;) {
    if (finished_) return std::nullopt;
    if (record_index_ >= spec_.records.size()) {
      if (!spec_.loop) {
        finished_ = true;
        return std::nullopt;
      }
      record_index_ = 0;
      ++pass_;
    }
    Request r = spec_.records[record_index_++];
    const double trace_s =
        sim::to_seconds(r.at) + static_cast<double>(pass_) * sim::to_seconds(pass_length_);
    const Time at = add_seconds(spec_.offset, trace_s * spec_.time_scale);
    if (at >= spec_.end) {
      finished_ = true;
      return std::nullopt;
    }
    if (at < spec_.start) continue;
    r.at = at;
    return r;
  }
}

Request TrafficGenerator::with_tokens(Time at) {
  Request r;
  r.at = at;
  r.input_tokens =
      static_cast<std::int32_t>(std::max(0.0, std::round(spec_.input_tokens.sample(tokens_))));
  r.output_tokens =
      static_cast<std::int32_t>(std::max(0.0, std::round(spec_.output_tokens.sample(tokens_))));
  return r;
}

std::optional<Request> TrafficGenerator::next() {
  std::optional<Request> out;
  if (spec_.kind == TrafficKind::kTraceRequests) {
    out = next_record();
  } else {
    const std::optional<Time> t =
        spec_.kind == TrafficKind::kDiurnal ? next_diurnal() : next_rescaled();
    if (t) out = with_tokens(*t);
  }
  if (out) ++generated_;
  return out;
}

TrafficSource::TrafficSource(sim::Simulation& sim, TrafficSpec spec, Sink sink)
    : sim_(sim), generator_(std::move(spec), sim), sink_(std::move(sink)) {}

TrafficSource::~TrafficSource() { stop(); }

void TrafficSource::start() { schedule_next(); }

void TrafficSource::stop() {
  if (event_.valid()) sim_.cancel(event_);
  event_ = sim::EventHandle{};
  pending_.reset();
}

void TrafficSource::schedule_next() {
  pending_ = generator_.next();
  if (!pending_) {
    event_ = sim::EventHandle{};
    return;
  }
  const Time at = std::max(pending_->at, sim_.now());
  event_ = sim_.schedule_at(at, [this] { fire(); });
}

void TrafficSource::fire() {
  Request r = *pending_;
  r.at = sim_.now();
  ++delivered_;
  schedule_next();
  sink_(r);
}

}  // namespace kubesim::models
