// Quantity parsing and formatting; see quantity.hpp for the grammar and contracts.
//
// Parsing works on the decimal digits of the mantissa as a string, so any input length,
// any exponent and the binary multipliers stay exact without big-integer types: the value
// is digits * 10^exp10 (times 1024^k for a binary suffix, applied digit by digit), then
// rounded away from zero to nano resolution and split into whole units and nanos.
#include "models/quantity.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace kubesim::models {
namespace {

using sim::Result;
using sim::Status;

constexpr std::uint64_t kInt64Max = 9223372036854775807ULL;
constexpr std::uint32_t kNanosPerMilli = 1'000'000;
// The largest Quantity magnitude, 2^63-1 milli-units, split at the decimal point.
constexpr std::uint64_t kMaxMilliWhole = kInt64Max / 1000;
constexpr std::uint32_t kMaxMilliNanos = (kInt64Max % 1000) * kNanosPerMilli;
// Exponents are saturated here while parsing; any non-zero value this far out is either
// out of range or below 1n, so the exact exponent no longer matters.
constexpr std::int64_t kExponentCap = 1'000'000'000'000;

struct SuffixInfo {
  std::string_view text;
  std::int64_t exponent;  // power of 10 for decimal suffixes, power of 2 for binary ones
  QuantityFormat format;
};

// upstream: suffix.go, newSuffixer
constexpr std::array<SuffixInfo, 15> kSuffixes = {{
    {"n", -9, QuantityFormat::kDecimalSI},
    {"u", -6, QuantityFormat::kDecimalSI},
    {"m", -3, QuantityFormat::kDecimalSI},
    {"k", 3, QuantityFormat::kDecimalSI},
    {"M", 6, QuantityFormat::kDecimalSI},
    {"G", 9, QuantityFormat::kDecimalSI},
    {"T", 12, QuantityFormat::kDecimalSI},
    {"P", 15, QuantityFormat::kDecimalSI},
    {"E", 18, QuantityFormat::kDecimalSI},
    {"Ki", 10, QuantityFormat::kBinarySI},
    {"Mi", 20, QuantityFormat::kBinarySI},
    {"Gi", 30, QuantityFormat::kBinarySI},
    {"Ti", 40, QuantityFormat::kBinarySI},
    {"Pi", 50, QuantityFormat::kBinarySI},
    {"Ei", 60, QuantityFormat::kBinarySI},
}};

// Decimal suffixes by exponent / 3 + 3, for printing (n at 10^-9 .. E at 10^18).
constexpr std::array<std::string_view, 10> kDecimalSuffixByExponent = {"n", "u", "m", "",  "k",
                                                                       "M", "G", "T", "P", "E"};
constexpr std::array<std::string_view, 7> kBinarySuffixByPower = {"",   "Ki", "Mi", "Gi",
                                                                  "Ti", "Pi", "Ei"};

constexpr std::string_view kExpectedSuffixes =
    "expected one of n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei, or an exponent like "
    "e3";

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
bool is_printable(char c) { return c >= 0x20 && c < 0x7f; }
char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char to_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

const SuffixInfo* find_suffix(std::string_view s) {
  for (const SuffixInfo& info : kSuffixes) {
    if (info.text == s) return &info;
  }
  return nullptr;
}

// The input as it appears in messages: quoted, escaped, long inputs shortened.
std::string quote(std::string_view text) {
  constexpr std::size_t kMaxShown = 64;
  std::string out = "\"";
  const std::size_t shown = text.size() > kMaxShown ? kMaxShown - 3 : text.size();
  for (std::size_t i = 0; i < shown; ++i) {
    const char c = text[i];
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (is_printable(c)) {
      out += c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned char>(c));
      out += buf;
    }
  }
  if (shown < text.size()) out += "...";
  out += '"';
  return out;
}

std::string describe_char(char c) {
  if (c == '\'') return "\"'\"";
  if (is_printable(c)) return std::string("'") + c + "'";
  if (c == '\t') return "'\\t'";
  if (c == '\n') return "'\\n'";
  if (c == '\r') return "'\\r'";
  char buf[16];
  std::snprintf(buf, sizeof buf, "byte 0x%02X", static_cast<unsigned char>(c));
  return buf;
}

Status invalid(std::string_view text, std::string_view why) {
  return Status::invalid_argument("invalid quantity " + quote(text) + ": " + std::string(why));
}

// "; did you mean ..." for the usual slips: wrong case ("ki", "K"), byte units ("GB",
// "MiB"), or a bare "B".
std::string suffix_hint(std::string_view suffix) {
  std::string s(suffix);
  if (s == "B" || s == "b") return "; a plain number is already in bytes";
  if (s.size() >= 2 && (s.back() == 'B' || s.back() == 'b')) s.pop_back();
  for (char& c : s) c = to_lower(c);
  constexpr std::string_view kLetters = "kmgtpe";
  if (s.empty() || kLetters.find(s[0]) == std::string_view::npos) return "";
  const int power = static_cast<int>(kLetters.find(s[0])) + 1;
  const std::string binary = std::string(1, to_upper(s[0])) + "i";
  if (s.size() == 2 && s[1] == 'i') return "; did you mean \"" + binary + "\"?";
  if (s.size() != 1) return "";
  const std::string decimal = s[0] == 'k' ? "k" : std::string(1, to_upper(s[0]));
  return "; did you mean \"" + decimal + "\" (10^" + std::to_string(3 * power) + ") or \"" +
         binary + "\" (2^" + std::to_string(10 * power) + ")?";
}

// digits (no leading zeros) *= 1024.
void multiply_by_1024(std::string& digits) {
  unsigned carry = 0;
  for (std::size_t i = digits.size(); i-- > 0;) {
    const unsigned product = static_cast<unsigned>(digits[i] - '0') * 1024 + carry;
    digits[i] = static_cast<char>('0' + product % 10);
    carry = product / 10;
  }
  while (carry > 0) {
    digits.insert(digits.begin(), static_cast<char>('0' + carry % 10));
    carry /= 10;
  }
}

// digits (no leading zeros, possibly empty for zero) += 1.
void increment(std::string& digits) {
  for (std::size_t i = digits.size(); i-- > 0;) {
    if (digits[i] != '9') {
      ++digits[i];
      return;
    }
    digits[i] = '0';
  }
  digits.insert(digits.begin(), '1');
}

// At most 19 decimal digits; fits uint64.
std::uint64_t to_uint64(std::string_view digits) {
  std::uint64_t v = 0;
  for (char c : digits) v = v * 10 + static_cast<std::uint64_t>(c - '0');
  return v;
}

// A quantity parsed exactly, before any range check.
struct Exact {
  bool negative = false;
  bool too_large = false;  // magnitude above 2^63-1 units; whole and nanos are then unset
  std::uint64_t whole = 0;
  std::uint32_t nanos = 0;
  QuantityFormat format = QuantityFormat::kDecimalSI;
  bool upstream_reuses_text = false;
};

// Whether upstream's ParseQuantity keeps the input as the String() of the result: its
// int64 fast path, when the scaled mantissa looks canonical.
// upstream: quantity.go, ParseQuantity ("if the number is in canonical form, reuse the
// string"). num has leading zeros stripped ("0" if none left); denom is as written.
bool upstream_reuses_text(std::string_view text, std::string_view int_digits,
                          std::string_view frac_digits, const SuffixInfo& suffix) {
  if (text == "0") return true;
  std::string_view num =
      int_digits.substr(std::min(int_digits.find_first_not_of('0'), int_digits.size()));
  if (num.empty()) num = "0";
  const auto num_len = static_cast<std::int64_t>(num.size());
  const auto denom_len = static_cast<std::int64_t>(frac_digits.size());
  if (suffix.format == QuantityFormat::kBinarySI) {
    if (denom_len != 0) return false;
    // Upstream estimates the digits 2^exponent adds as exponent*3/10.
    const std::int64_t precision = 15 - num_len - suffix.exponent * 3 / 10 - 1;
    if (precision < 0) return false;
    return (to_uint64(num) & 0x07) != 0;
  }
  const std::int64_t precision = 18 - (num_len + denom_len);
  if (precision < 0) return false;
  const std::int64_t scale = suffix.exponent - denom_len;
  if (scale < -9) return false;
  const std::string shifted = std::string(num).append(frac_digits);
  const bool ends_000 = shifted.size() >= 3 && shifted.compare(shifted.size() - 3, 3, "000") == 0;
  return scale % 3 == 0 && !ends_000 && shifted[0] != '0';
}

Result<Exact> parse_exact(std::string_view text) {
  if (text.empty()) return invalid(text, "empty (expected a number such as 100m, 1.5 or 2Gi)");
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (is_space(text[i])) {
      return invalid(text, "unexpected " + describe_char(text[i]) + " at offset " +
                               std::to_string(i) + " (whitespace is not allowed)");
    }
  }

  // <signedNumber>
  Exact exact;
  std::size_t pos = 0;
  if (text[pos] == '+' || text[pos] == '-') {
    exact.negative = text[pos] == '-';
    ++pos;
  }
  const std::size_t int_begin = pos;
  while (pos < text.size() && is_digit(text[pos])) ++pos;
  const std::string_view int_digits = text.substr(int_begin, pos - int_begin);
  bool has_point = false;
  std::string_view frac_digits;
  if (pos < text.size() && text[pos] == '.') {
    has_point = true;
    const std::size_t frac_begin = ++pos;
    while (pos < text.size() && is_digit(text[pos])) ++pos;
    frac_digits = text.substr(frac_begin, pos - frac_begin);
  }
  const std::string_view suffix_text = text.substr(pos);
  if (int_digits.empty() && frac_digits.empty()) {
    if (suffix_text.empty()) return invalid(text, "no digits");
    if (find_suffix(suffix_text) != nullptr) {
      return invalid(text,
                     "missing the number before the suffix \"" + std::string(suffix_text) + "\"");
    }
    return invalid(text, "expected a number such as 100m, 1.5 or 2Gi");
  }

  // <suffix>
  SuffixInfo suffix{"", 0, QuantityFormat::kDecimalSI};
  if (suffix_text.empty()) {
    // plain number: decimalSI with exponent 0
  } else if (const SuffixInfo* found = find_suffix(suffix_text)) {
    suffix = *found;
  } else if (suffix_text[0] == 'e' || suffix_text[0] == 'E') {
    std::size_t i = 1;
    bool exponent_negative = false;
    if (i < suffix_text.size() && (suffix_text[i] == '+' || suffix_text[i] == '-')) {
      exponent_negative = suffix_text[i] == '-';
      ++i;
    }
    const std::size_t exponent_digits = i;
    std::int64_t exponent = 0;
    for (; i < suffix_text.size() && is_digit(suffix_text[i]); ++i) {
      exponent = std::min(kExponentCap, exponent * 10 + (suffix_text[i] - '0'));
    }
    if (i == exponent_digits || i != suffix_text.size()) {
      return invalid(text, "invalid exponent \"" + std::string(suffix_text) +
                               "\" (expected e or E followed by an integer, such as e3 or "
                               "E-2)");
    }
    suffix = {suffix_text, exponent_negative ? -exponent : exponent,
              QuantityFormat::kDecimalExponent};
  } else {
    const char c = suffix_text[0];
    if (c == '.' && has_point) {
      return invalid(text, "more than one decimal point (at offset " + std::to_string(pos) + ")");
    }
    if (c == '+' || c == '-') {
      return invalid(text, "unexpected sign " + describe_char(c) + " at offset " +
                               std::to_string(pos) + " (a sign may only lead the number)");
    }
    for (std::size_t i = 0; i < suffix_text.size(); ++i) {
      const char s = suffix_text[i];
      const bool letter = (s >= 'a' && s <= 'z') || (s >= 'A' && s <= 'Z');
      if (!letter && !is_digit(s) && s != '+' && s != '-' && s != '.') {
        return invalid(text,
                       "unexpected " + describe_char(s) + " at offset " + std::to_string(pos + i));
      }
    }
    return invalid(text, "unknown suffix \"" + std::string(suffix_text) + "\" (" +
                             std::string(kExpectedSuffixes) + ")" + suffix_hint(suffix_text));
  }
  exact.format = suffix.format;
  exact.upstream_reuses_text = upstream_reuses_text(text, int_digits, frac_digits, suffix);

  // The value is digits * 10^exp10 (* 2^exponent for binary).
  std::string digits;
  digits.reserve(int_digits.size() + frac_digits.size() + 20);
  digits.append(int_digits).append(frac_digits);
  digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size()));
  if (digits.empty()) {
    exact.negative = false;  // "-0" is zero
    return exact;
  }
  std::int64_t exp10 = -static_cast<std::int64_t>(frac_digits.size());
  if (suffix.format == QuantityFormat::kBinarySI) {
    for (int k = 0; k < suffix.exponent / 10; ++k) multiply_by_1024(digits);
  } else {
    exp10 += suffix.exponent;
  }

  // Round the magnitude up to a whole number of nanos. upstream: quantity.go,
  // ParseQuantity, amount.Round(amount, Nano.infScale(), inf.RoundUp).
  if (exp10 < -9) {
    const std::uint64_t drop = static_cast<std::uint64_t>(-9 - exp10);
    if (drop >= digits.size()) {
      digits = "1";  // every digit is below 1n and at least one is non-zero
    } else {
      const std::size_t keep = digits.size() - static_cast<std::size_t>(drop);
      const bool inexact = digits.find_first_not_of('0', keep) != std::string::npos;
      digits.resize(keep);
      if (inexact) increment(digits);
    }
    exp10 = -9;
  }

  // Split into whole units and nanos.
  if (static_cast<std::int64_t>(digits.size()) + exp10 > 19) {
    exact.too_large = true;
    return exact;
  }
  std::string whole_digits;
  std::string frac(9, '0');
  if (exp10 >= 0) {
    whole_digits = digits + std::string(static_cast<std::size_t>(exp10), '0');
  } else {
    const auto frac_len = static_cast<std::size_t>(-exp10);
    if (digits.size() > frac_len) {
      whole_digits = digits.substr(0, digits.size() - frac_len);
      frac.replace(0, frac_len, digits, digits.size() - frac_len, frac_len);
    } else {
      frac.replace(frac_len - digits.size(), digits.size(), digits);
    }
  }
  exact.whole = to_uint64(whole_digits);
  exact.nanos = static_cast<std::uint32_t>(to_uint64(frac));
  if (exact.whole > kInt64Max) {
    exact.too_large = true;
    return exact;
  }
  // upstream: quantity.go, ParseQuantity; a binary quantity strictly between -1 and 1 is
  // decimalSI.
  if (exact.format == QuantityFormat::kBinarySI && exact.whole == 0) {
    exact.format = QuantityFormat::kDecimalSI;
  }
  return exact;
}

// upstream: quantity.go, CanonicalizeBytes; amount.go, AsCanonicalBytes and
// AsCanonicalBase1024Bytes.
std::string format_canonical(bool negative, std::uint64_t whole, std::uint32_t nanos,
                             QuantityFormat format) {
  if (whole == 0 && nanos == 0) return "0";
  std::string out = negative ? "-" : "";
  if (format == QuantityFormat::kBinarySI) {
    // Below 1024 in magnitude, or with a fraction, binary prints as decimalSI.
    if (whole >= 1024 && nanos == 0) {
      std::size_t power = 0;
      while (whole % 1024 == 0 && power + 1 < kBinarySuffixByPower.size()) {
        whole /= 1024;
        ++power;
      }
      out += std::to_string(whole);
      out += kBinarySuffixByPower[power];
      return out;
    }
    format = QuantityFormat::kDecimalSI;
  }
  // Mantissa digits and a power of ten; drop trailing zeros into the exponent, then lower
  // the exponent to a multiple of three.
  std::string frac = std::to_string(nanos);
  std::string mantissa = (whole > 0 ? std::to_string(whole) : std::string()) +
                         std::string(9 - frac.size(), '0') + frac;
  mantissa.erase(0, mantissa.find_first_not_of('0'));
  int exponent = -9;
  while (mantissa.back() == '0') {
    mantissa.pop_back();
    ++exponent;
  }
  while (exponent % 3 != 0) {
    mantissa += '0';
    --exponent;
  }
  out += mantissa;
  if (format == QuantityFormat::kDecimalSI && exponent >= -9 && exponent <= 18) {
    out += kDecimalSuffixByExponent[static_cast<std::size_t>(exponent / 3 + 3)];
  } else if (exponent != 0) {
    // decimalExponent, or (unreachable in range) a decimalSI power beyond "E".
    out += 'e';
    out += std::to_string(exponent);
  }
  return out;
}

std::uint64_t magnitude(std::int64_t v) {
  return v < 0 ? ~static_cast<std::uint64_t>(v) + 1 : static_cast<std::uint64_t>(v);
}

}  // namespace

std::int64_t Quantity::value() const {
  const std::uint64_t mag = whole_ + (nanos_ > 0 ? 1 : 0);
  return negative_ ? -static_cast<std::int64_t>(mag) : static_cast<std::int64_t>(mag);
}

std::int64_t Quantity::milli_value() const {
  const std::uint64_t mag =
      whole_ * 1000 + nanos_ / kNanosPerMilli + (nanos_ % kNanosPerMilli > 0 ? 1 : 0);
  return negative_ ? -static_cast<std::int64_t>(mag) : static_cast<std::int64_t>(mag);
}

std::string Quantity::canonical() const {
  return format_canonical(negative_, whole_, nanos_, format_);
}

std::string Quantity::to_string() const { return text_is_upstream_string_ ? text_ : canonical(); }

int Quantity::compare(const Quantity& other) const {
  if (negative_ != other.negative_) return negative_ ? -1 : 1;
  int magnitude_order = 0;
  if (whole_ != other.whole_) {
    magnitude_order = whole_ < other.whole_ ? -1 : 1;
  } else if (nanos_ != other.nanos_) {
    magnitude_order = nanos_ < other.nanos_ ? -1 : 1;
  }
  return negative_ ? -magnitude_order : magnitude_order;
}

sim::Result<Quantity> parse_quantity(std::string_view text) {
  Result<Exact> parsed = parse_exact(text);
  if (!parsed.ok()) return parsed.status();
  const Exact& exact = parsed.value();
  if (exact.too_large || exact.whole > kMaxMilliWhole ||
      (exact.whole == kMaxMilliWhole && exact.nanos > kMaxMilliNanos)) {
    return Status::out_of_range("invalid quantity " + quote(text) +
                                ": out of range (the largest magnitude is "
                                "9223372036854775807m, 2^63-1 milli-units, about 9.2P)");
  }
  Quantity q;
  q.negative_ = exact.negative;
  q.whole_ = exact.whole;
  q.nanos_ = exact.nanos;
  q.format_ = exact.format;
  q.text_is_upstream_string_ = exact.upstream_reuses_text;
  q.text_ = std::string(text);
  return q;
}

sim::Result<std::int64_t> parse_cpu_millis(std::string_view text) {
  Result<Quantity> q = parse_quantity(text);
  if (!q.ok()) return q.status();
  if (q->is_negative()) return invalid(text, "must be greater than or equal to 0");
  return q->milli_value();
}

sim::Result<std::int64_t> parse_bytes(std::string_view text) {
  Result<Exact> parsed = parse_exact(text);
  if (!parsed.ok()) return parsed.status();
  const Exact& exact = parsed.value();
  if (exact.negative) return invalid(text, "must be greater than or equal to 0");
  if (exact.too_large || exact.whole + (exact.nanos > 0 ? 1 : 0) > kInt64Max) {
    return Status::out_of_range("invalid quantity " + quote(text) +
                                ": out of range (the largest byte count is "
                                "9223372036854775807, 2^63-1, just under 8Ei)");
  }
  return static_cast<std::int64_t>(exact.whole + (exact.nanos > 0 ? 1 : 0));
}

std::string format_cpu_millis(std::int64_t millis) {
  const std::uint64_t mag = magnitude(millis);
  return format_canonical(millis < 0, mag / 1000,
                          static_cast<std::uint32_t>(mag % 1000) * kNanosPerMilli,
                          QuantityFormat::kDecimalSI);
}

std::string format_bytes(std::int64_t bytes) {
  return format_canonical(bytes < 0, magnitude(bytes), 0, QuantityFormat::kBinarySI);
}

}  // namespace kubesim::models
