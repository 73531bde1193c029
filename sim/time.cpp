#include "sim/time.hpp"

#include <cmath>
#include <cstdio>
#include <string>

namespace kubesim::sim {
namespace {

struct Unit {
  std::string_view name;
  Duration ns;
};
// Longest names first where one is a prefix of another ("ms" before "m").
constexpr Unit kUnits[] = {{"ns", kNanosecond}, {"us", kMicrosecond}, {"\xC2\xB5s", kMicrosecond},
                           {"\xCE\xBCs", kMicrosecond}, {"ms", kMillisecond}, {"s", kSecond},
                           {"m", kMinute}, {"h", kHour}};

constexpr std::string_view kUnitHint = "expected a unit: ns, us, ms, s, m, h";

Status bad(std::string_view text, const std::string& why) {
  return Status::invalid_argument("invalid duration \"" + std::string(text) + "\": " + why);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Duration from_seconds(double s) {
  const double ns = std::round(s * static_cast<double>(kSecond));
  if (!(ns < 9.2233720368547748e18)) return INT64_MAX;  // also NaN
  if (ns < -9.2233720368547748e18) return INT64_MIN;
  return static_cast<Duration>(ns);
}

// Follows Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+, or "0".
Result<Duration> parse_duration(std::string_view text) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return Duration{0};
  if (s.empty()) return bad(text, "empty (write e.g. 30s, 5m or 1h30m)");

  // Accumulate in unsigned so that "-9223372036854775808ns" is representable.
  std::uint64_t total = 0;
  constexpr std::uint64_t kLimit = std::uint64_t{1} << 63;
  while (!s.empty()) {
    const std::size_t offset = text.size() - s.size();
    if (!(is_digit(s[0]) || s[0] == '.')) {
      return bad(text, "unexpected '" + std::string(1, s[0]) + "' at offset " +
                           std::to_string(offset) + " (expected a number)");
    }
    // Integer part.
    std::uint64_t whole = 0;
    bool overflow = false;
    std::size_t i = 0;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      // As Go's leadingInt: values up to 2^63 itself are kept, so that
      // "-9223372036854775808ns" parses; past that, the (wrapping) value is not used.
      if (whole > kLimit / 10) overflow = true;
      whole = whole * 10 + static_cast<std::uint64_t>(s[i] - '0');
      if (whole > kLimit) overflow = true;
    }
    const bool had_whole = i > 0;
    // Fraction: keep digits while they fit; further digits cannot change the result.
    std::uint64_t frac = 0;
    double scale = 1;
    bool had_frac = false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      for (; i < s.size() && is_digit(s[i]); ++i) {
        had_frac = true;
        if (frac > (kLimit - 9) / 10) continue;
        frac = frac * 10 + static_cast<std::uint64_t>(s[i] - '0');
        scale *= 10;
      }
    }
    if (!had_whole && !had_frac) {
      return bad(text, "a '.' without digits at offset " + std::to_string(offset));
    }
    if (overflow) return bad(text, "out of range (the limit is about 2562047h)");
    // Unit.
    std::size_t u = i;
    while (u < s.size() && !is_digit(s[u]) && s[u] != '.') ++u;
    const std::string_view unit_text = s.substr(i, u - i);
    if (unit_text.empty()) {
      return bad(text, "missing unit after the number at offset " + std::to_string(offset) +
                           " (" + std::string(kUnitHint) + ")");
    }
    Duration unit = 0;
    for (const Unit& candidate : kUnits) {
      if (candidate.name == unit_text) unit = candidate.ns;
    }
    if (unit == 0) {
      std::string hint(kUnitHint);
      if (unit_text == "d") hint += "; Go durations have no days: write 24h";
      if (unit_text == "sec" || unit_text == "secs") hint += "; write s";
      if (unit_text == "min" || unit_text == "mins") hint += "; write m";
      return bad(text, "unknown unit \"" + std::string(unit_text) + "\" (" + hint + ")");
    }
    const auto unit_u = static_cast<std::uint64_t>(unit);
    if (whole > kLimit / unit_u) return bad(text, "out of range (the limit is about 2562047h)");
    std::uint64_t value = whole * unit_u;
    if (frac > 0) {
      // As Go does: the fraction contributes float64(frac) * (float64(unit) / scale).
      value += static_cast<std::uint64_t>(static_cast<double>(frac) *
                                          (static_cast<double>(unit) / scale));
      if (value > kLimit) return bad(text, "out of range (the limit is about 2562047h)");
    }
    total += value;
    if (total > kLimit) return bad(text, "out of range (the limit is about 2562047h)");
    s.remove_prefix(u);
  }
  if (negative) return static_cast<Duration>(0 - total);
  if (total > static_cast<std::uint64_t>(INT64_MAX)) {
    return bad(text, "out of range (the limit is about 2562047h)");
  }
  return static_cast<Duration>(total);
}

namespace {
// Writes v / 10^prec with trailing zeros (and a bare '.') dropped, as Go's fmtFrac+fmtInt.
std::string format_fraction(std::uint64_t v, int prec) {
  std::string frac;
  bool print = false;
  for (int i = 0; i < prec; ++i) {
    const auto digit = static_cast<char>('0' + v % 10);
    print = print || digit != '0';
    if (print) frac.insert(frac.begin(), digit);
    v /= 10;
  }
  std::string out = std::to_string(v);
  if (print) out += "." + frac;
  return out;
}
}  // namespace

std::string format_duration(Duration d) {
  if (d == 0) return "0s";
  const bool negative = d < 0;
  const std::uint64_t u = negative ? 0 - static_cast<std::uint64_t>(d) : static_cast<std::uint64_t>(d);
  std::string out;
  if (u < static_cast<std::uint64_t>(kSecond)) {
    // Sub-second: a single unit with a fraction, e.g. "1.5ms", "12µs", "250ns".
    if (u < static_cast<std::uint64_t>(kMicrosecond)) {
      out = std::to_string(u) + "ns";
    } else if (u < static_cast<std::uint64_t>(kMillisecond)) {
      out = format_fraction(u, 3) + "\xC2\xB5s";
    } else {
      out = format_fraction(u, 6) + "ms";
    }
  } else {
    const std::uint64_t total_seconds = u / kSecond;
    const std::uint64_t h = total_seconds / 3600;
    const std::uint64_t m = (total_seconds / 60) % 60;
    const std::uint64_t sub = u % static_cast<std::uint64_t>(kMinute);  // ns within the minute
    if (h > 0) out += std::to_string(h) + "h";
    if (h > 0 || m > 0) out += std::to_string(m) + "m";
    out += format_fraction(sub, 9) + "s";
  }
  return negative ? "-" + out : out;
}

}  // namespace kubesim::sim
