// Quantity: exact Kubernetes resource quantities ("100m", "1.5", "2Gi", "1e3").
//
// Reproduces k8s.io/apimachinery/pkg/api/resource (quantity.go, suffix.go, amount.go):
//
//   <quantity>        ::= <signedNumber><suffix>
//   <signedNumber>    ::= <number> | "+" <number> | "-" <number>
//   <number>          ::= <digits> | <digits> "." <digits> | <digits> "." | "." <digits>
//   <suffix>          ::= <binarySI> | <decimalSI> | <decimalExponent>
//   <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei                  (powers of 2^10)
//   <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E       (powers of 10^3)
//   <decimalExponent> ::= ("e" | "E") <signed integer>                 ("1e3", "1.5E-2")
//
// Values are exact: no floating point is involved anywhere. As upstream does, parsing keeps
// the value to nano (10^-9) resolution and rounds anything finer away from zero, so that
// asking for a tiny non-zero amount still asks for something ("0.9n" is 1n).
//
// Range. A Quantity's magnitude is at most 9223372036854775.807 (2^63-1 milli-units,
// about 8Pi), so milli_value() and value() are always exact int64 results; parse_quantity
// rejects larger values with an out-of-range Status. parse_bytes accepts the full int64
// byte range (up to 2^63-1, just under 8Ei) for memory and storage. Upstream keeps
// arbitrary-precision decimals instead and silently caps a binarySI quantity at 2^63-1
// ("8Ei" parses as 2^63-1); here both are errors.
//
// Negative quantities parse (Kubernetes allows them in a Quantity); resource requests and
// capacities may not be negative, so parse_cpu_millis and parse_bytes reject them with
// upstream's validation message ("must be greater than or equal to 0").
//
// Deliberate differences from upstream's scanner, which accepts strings outside its own
// grammar: "" is an error there too, but upstream parses "+", "-", ".", "-." and a bare
// suffix such as "Ki" or "m" as zero; here each is an error (no digits). An exponent that
// does not fit int32 ("1e4294967296") wraps upstream (to 1e0); here it keeps its value and
// is therefore out of range (or rounds to 1n when hugely negative).
//
// Thread-safety: Quantity is an immutable value; the free functions are pure.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/status.hpp"

namespace kubesim::models {

// How a quantity was written, which decides how it is printed back (upstream's Format).
enum class QuantityFormat {
  kDecimalSI,        // "", n, u, m, k, M, G, T, P, E
  kBinarySI,         // Ki .. Ei
  kDecimalExponent,  // e3, E-2
};

class Quantity {
 public:
  // Zero, DecimalSI, empty text.
  Quantity() = default;

  // The value rounded away from zero to an integer (upstream Value(): "1.5" -> 2,
  // "0.0001" -> 1, "-1.5" -> -2).
  std::int64_t value() const;

  // The value in thousandths, rounded away from zero (upstream MilliValue():
  // "100m" -> 100, "1.5" -> 1500, "0.0001" -> 1, "-0.0001" -> -1).
  std::int64_t milli_value() const;

  bool is_zero() const { return whole_ == 0 && nanos_ == 0; }
  bool is_negative() const { return negative_; }
  QuantityFormat format() const { return format_; }

  // The text this quantity was parsed from, verbatim ("" for a default Quantity).
  const std::string& text() const { return text_; }

  // Upstream's canonical form (CanonicalizeBytes): no fractional digits, the largest
  // suffix of the quantity's format that loses nothing. "1.5" -> "1500m", "1.5Gi" ->
  // "1536Mi", "1000M" -> "1G", "1E3" -> "1e3", "512Ki" stays, "0.5Ki" -> "512" (a binary
  // quantity below 1024 or with a fraction prints as decimalSI).
  std::string canonical() const;

  // Exactly what upstream's Quantity.String() returns for this parsed text. Usually the
  // canonical form; but upstream keeps the input verbatim when a cheap check at parse time
  // calls it canonical, and that check also passes some non-canonical spellings: "+1",
  // "01", "1.500" and "1E3" print as themselves there. Use this for wire fidelity
  // (JSON, kubectl-style output), canonical() for stable comparisons.
  std::string to_string() const;

  // Numeric comparison; the text and format do not take part ("1k" == "1000").
  friend bool operator==(const Quantity& a, const Quantity& b) { return a.compare(b) == 0; }
  friend std::strong_ordering operator<=>(const Quantity& a, const Quantity& b) {
    return a.compare(b) <=> 0;
  }

 private:
  friend sim::Result<Quantity> parse_quantity(std::string_view text);
  int compare(const Quantity& other) const;

  // Value = (negative_ ? -1 : 1) * (whole_ + nanos_ / 1e9). Zero is never negative.
  // Invariant: whole_ * 1000 + ceil(nanos_ / 1e6) <= INT64_MAX; nanos_ < 10^9.
  bool negative_ = false;
  std::uint64_t whole_ = 0;
  std::uint32_t nanos_ = 0;
  QuantityFormat format_ = QuantityFormat::kDecimalSI;
  bool text_is_upstream_string_ = false;
  std::string text_;
};

// Parses a quantity. Errors name the input and what was wrong, e.g.
//   invalid quantity "1Gb": unknown suffix "Gb" (expected one of n, u, m, k, M, G, T, P,
//   E, Ki, Mi, Gi, Ti, Pi, Ei, or an exponent like e3); did you mean "G" (10^9) or "Gi"
//   (2^30)?
// Syntax errors are kInvalidArgument; values beyond the range above are kOutOfRange.
// Whitespace anywhere is an error (upstream's ParseQuantity agrees; its JSON decoder trims
// first, so callers reading JSON should trim too).
sim::Result<Quantity> parse_quantity(std::string_view text);

// CPU in milli-cores: "100m" -> 100, "1.5" -> 1500, "2" -> 2000, "0.0001" -> 1 (rounded
// up, as kube-scheduler's MilliValue() does). Rejects negatives.
sim::Result<std::int64_t> parse_cpu_millis(std::string_view text);

// Memory or storage in bytes, rounded up to a whole byte: "2Gi" -> 2147483648,
// "500M" -> 500000000, "1.5Ki" -> 1536, "0.5" -> 1. Accepts up to 2^63-1 bytes.
// Rejects negatives.
sim::Result<std::int64_t> parse_bytes(std::string_view text);

// Upstream's String() of a decimalSI milli quantity (NewMilliQuantity(m, DecimalSI)):
// 1500 -> "1500m", 2000 -> "2", 100 -> "100m", 0 -> "0", 2500000 -> "2500",
// 1000000 -> "1k" (1000 cores; upstream prints it so).
std::string format_cpu_millis(std::int64_t millis);

// Upstream's String() of a binarySI quantity (NewQuantity(b, BinarySI)): the largest
// binary suffix that divides exactly, else plain bytes: 2147483648 -> "2Gi",
// 524288000 -> "500Mi", 1610612736 -> "1536Mi", 1500 -> "1500". Below 1024 upstream
// prints decimalSI, so 1000 -> "1k" (and 512 -> "512").
std::string format_bytes(std::int64_t bytes);

}  // namespace kubesim::models
