// Simulated time: integer nanoseconds.
//
// Time (an instant since the start of the simulation) and Duration are both int64
// nanoseconds, which covers ±292 years exactly. Integers keep event order total and
// results identical across machines; doubles appear only at the edges (reports, rates).
//
// Durations in scenario text use the Kubernetes/Go syntax of time.ParseDuration: a
// sequence of decimal numbers, each with an optional fraction and a unit suffix
// ("250ms", "30s", "5m", "1h30m", "1.5h", "-2m"); units ns, us (µs, μs), ms, s, m, h.
// "0" alone is valid. format_duration prints what Go's Duration.String prints.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sim/status.hpp"

namespace kubesim::sim {

using Time = std::int64_t;      // nanoseconds since the simulation epoch
using Duration = std::int64_t;  // nanoseconds

inline constexpr Duration kNanosecond = 1;
inline constexpr Duration kMicrosecond = 1'000;
inline constexpr Duration kMillisecond = 1'000'000;
inline constexpr Duration kSecond = 1'000'000'000;
inline constexpr Duration kMinute = 60 * kSecond;
inline constexpr Duration kHour = 60 * kMinute;

inline constexpr Time kTimeMax = INT64_MAX;

constexpr Duration seconds(std::int64_t s) { return s * kSecond; }
constexpr Duration milliseconds(std::int64_t ms) { return ms * kMillisecond; }
constexpr Duration microseconds(std::int64_t us) { return us * kMicrosecond; }
constexpr Duration minutes(std::int64_t m) { return m * kMinute; }
constexpr Duration hours(std::int64_t h) { return h * kHour; }

constexpr double to_seconds(Duration d) { return static_cast<double>(d) / kSecond; }
// Rounds to the nearest nanosecond; saturates at the int64 range.
Duration from_seconds(double s);

// Parses a Go/Kubernetes duration. Errors say what was wrong and where, e.g.
//   invalid duration "5 m": unknown unit " m" (expected a unit: ns, us, ms, s, m, h)
Result<Duration> parse_duration(std::string_view text);

// Go's Duration.String: "1h30m0s", "1.5s", "250ms", "12µs", "0s".
std::string format_duration(Duration d);

}  // namespace kubesim::sim
