#include "sim/sampler.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>
#include <system_error>

namespace kubesim::sim {

std::string format_number(double v) {
  if (v == 0) return "0";  // both zeros: "-0" would only confuse readers of the CSV
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  const double magnitude = std::abs(v);
  const std::chars_format format = magnitude >= 1e-6 && magnitude < 1e21
                                       ? std::chars_format::fixed
                                       : std::chars_format::scientific;
  char buffer[64];  // fixed below 1e21 needs at most 1 + 21 + 1 + 24 chars
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v, format);
  if (ec != std::errc()) throw std::logic_error("format_number: buffer too small");
  return std::string(buffer, end);
}

std::string format_time_seconds(Time t) {
  std::string out;
  // The magnitude as unsigned, so that INT64_MIN is representable.
  std::uint64_t magnitude = static_cast<std::uint64_t>(t);
  if (t < 0) {
    out.push_back('-');
    magnitude = ~magnitude + 1;
  }
  const auto per_second = static_cast<std::uint64_t>(kSecond);
  out += std::to_string(magnitude / per_second);
  std::uint64_t fraction = magnitude % per_second;
  if (fraction != 0) {
    char digits[9];
    for (int i = 8; i >= 0; --i) {
      digits[i] = static_cast<char>('0' + fraction % 10);
      fraction /= 10;
    }
    int length = 9;
    while (digits[length - 1] == '0') --length;
    out.push_back('.');
    out.append(digits, static_cast<std::size_t>(length));
  }
  return out;
}

Sampler::Sampler(Simulation& sim, Duration interval) : sim_(sim), interval_(interval) {
  if (interval <= 0) throw std::invalid_argument("sampler: interval must be positive");
}

Sampler::~Sampler() { stop(); }

void Sampler::add_column(std::string name, std::function<double()> read) {
  if (started_) {
    throw std::logic_error("sampler: cannot add column \"" + name +
                           "\": columns are fixed once the sampler has started");
  }
  if (name.empty() || name == "time_s" || name.find_first_of(",\"\r\n") != std::string::npos) {
    throw std::logic_error("sampler: invalid column name \"" + name +
                           "\" (must be non-empty, not time_s, without ',', '\"', CR or LF)");
  }
  if (column_index(name)) throw std::logic_error("sampler: duplicate column \"" + name + "\"");
  if (!read) throw std::logic_error("sampler: column \"" + name + "\" has no reader");
  names_.push_back(std::move(name));
  readers_.push_back(std::move(read));
}

void Sampler::start() {
  if (running()) throw std::logic_error("sampler: already running");
  started_ = true;
  sample();
  TimerOptions options;
  options.first_delay = interval_;
  options.name = "sampler";
  auto tick = [this] { sample(); };
  timer_ = sim_.every(interval_, tick, std::move(options));
}

bool Sampler::stop() {
  if (!running()) return false;
  sim_.cancel_timer(timer_);
  timer_ = TimerHandle{};
  return true;
}

std::optional<std::size_t> Sampler::column_index(std::string_view name) const {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return i;
  }
  return std::nullopt;
}

std::span<const double> Sampler::row(std::size_t row) const {
  const std::size_t width = names_.size();
  return std::span<const double>(values_).subspan(row * width, width);
}

void Sampler::sample() {
  times_.push_back(sim_.now());
  for (const auto& read : readers_) values_.push_back(read());
}

void Sampler::write_csv(std::ostream& out) const {
  std::string line = "time_s";
  for (const auto& name : names_) {
    line.push_back(',');
    line += name;
  }
  line.push_back('\n');
  out << line;
  for (std::size_t r = 0; r < times_.size(); ++r) {
    line = format_time_seconds(times_[r]);
    for (double v : row(r)) {
      line.push_back(',');
      line += format_number(v);
    }
    line.push_back('\n');
    out << line;
  }
}

}  // namespace kubesim::sim
