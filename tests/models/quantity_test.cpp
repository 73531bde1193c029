// Tests for models/quantity: Kubernetes resource quantity parsing and formatting.
//
// Expected values come from upstream's own tables in k8s.io/apimachinery/pkg/api/resource
// quantity_test.go (TestQuantityParse, TestQuantityString, TestQuantityParseEmit,
// TestMilliNewSet, TestNewSet, TestScaledValue, TestQuantityRoundUp), translated from
// decQuantity(mantissa, exponent) to the canonical string by hand, or from hand
// calculation where marked.
#include "models/quantity.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

using kubesim::models::format_bytes;
using kubesim::models::format_cpu_millis;
using kubesim::models::parse_bytes;
using kubesim::models::parse_cpu_millis;
using kubesim::models::parse_quantity;
using kubesim::models::Quantity;
using kubesim::models::QuantityFormat;
using kubesim::sim::Status;

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

Quantity must_parse(const std::string& text) {
  auto q = parse_quantity(text);
  INFO(text << ": " << q.error());
  REQUIRE(q.ok());
  return q.value();
}

std::string parse_error(const std::string& text) {
  auto q = parse_quantity(text);
  INFO(text);
  REQUIRE_FALSE(q.ok());
  return q.error();
}

struct ParseCase {
  const char* input;
  const char* canonical;
  QuantityFormat format;
};

constexpr auto kDec = QuantityFormat::kDecimalSI;
constexpr auto kBin = QuantityFormat::kBinarySI;
constexpr auto kExp = QuantityFormat::kDecimalExponent;

// upstream: quantity_test.go, TestQuantityParse (the rows within our range; decQuantity
// values rewritten as canonical strings).
const std::vector<ParseCase> kUpstreamParseTable = {
    {"0", "0", kDec},
    {"0n", "0", kDec},
    {"0u", "0", kDec},
    {"0m", "0", kDec},
    {"0Ki", "0", kBin},
    {"0k", "0", kDec},
    {"0Mi", "0", kBin},
    {"0M", "0", kDec},
    {"0Gi", "0", kBin},
    {"0G", "0", kDec},
    {"0Ti", "0", kBin},
    {"0T", "0", kDec},
    // Quantity-less numbers are allowed
    {"1", "1", kDec},
    // Binary suffixes
    {"1Ki", "1Ki", kBin},
    {"8Ki", "8Ki", kBin},
    {"7Mi", "7Mi", kBin},
    {"6Gi", "6Gi", kBin},
    {"5Ti", "5Ti", kBin},
    {"4Pi", "4Pi", kBin},
    {"10Ti", "10Ti", kBin},
    {"100Ti", "100Ti", kBin},
    // Decimal suffixes
    {"5n", "5n", kDec},
    {"4u", "4u", kDec},
    {"3m", "3m", kDec},
    {"9", "9", kDec},
    {"8k", "8k", kDec},
    {"50k", "50k", kDec},
    {"7M", "7M", kDec},
    {"6G", "6G", kDec},
    {"5T", "5T", kDec},
    {"40T", "40T", kDec},
    {"300T", "300T", kDec},
    {"2P", "2P", kDec},
    // Decimal exponents
    {"1E-3", "1e-3", kExp},
    {"1e3", "1e3", kExp},
    {"1E6", "1e6", kExp},
    {"1e9", "1e9", kExp},
    {"1E12", "1e12", kExp},
    {"1e15", "1e15", kExp},
    // Nonstandard but still parsable
    {"1e14", "100e12", kExp},
    {"1e13", "10e12", kExp},
    {"100.035k", "100035", kDec},
    // Things that look like floating point
    {"0.001", "1m", kDec},
    {"0.0005k", "500m", kDec},
    {"0.005", "5m", kDec},
    {"0.05", "50m", kDec},
    {"0.5", "500m", kDec},
    {"0.00050k", "500m", kDec},
    {"0.00500", "5m", kDec},
    {"0.05000", "50m", kDec},
    {"0.50000", "500m", kDec},
    {"0.5e0", "500e-3", kExp},
    {"0.5e-1", "50e-3", kExp},
    {"0.5e-2", "5e-3", kExp},
    {"10.035M", "10035k", kDec},
    {"1.2e3", "1200", kExp},
    {"1.3E+6", "1300e3", kExp},
    {"1.40e9", "1400e6", kExp},
    {"1.53E12", "1530e9", kExp},
    {"1.6e15", "1600e12", kExp},
    {"9.01", "9010m", kDec},
    {"8.1k", "8100", kDec},
    {"7.123456M", "7123456", kDec},
    {"6.987654321G", "6987654321", kDec},
    {"5.444T", "5444G", kDec},
    {"40.1T", "40100G", kDec},
    {"300.2T", "300200G", kDec},
    {"2.5P", "2500T", kDec},
    // Things that saturate/round (away from zero, to 1n)
    {"3.001n", "4n", kDec},
    {"1.1E-9", "2e-9", kExp},
    {"0.0000000001", "1n", kDec},
    {"0.0000000005", "1n", kDec},
    {"0.00000000050", "1n", kDec},
    {"0.5e-9", "1e-9", kExp},
    {"0.9n", "1n", kDec},
    {"0.00000012345", "124n", kDec},
    {"0.00000012354", "124n", kDec},
    // We'll accept fractional binary stuff, too.
    {"100.035Ki", "102435840m", kBin},
    {"0.5Mi", "512Ki", kBin},
    {"0.05Gi", "53687091200m", kBin},
    {"0.025Ti", "27487790694400m", kBin},
    // Things written by trolls
    {"0.000000000001Ki", "2n", kDec},  // rounds up, changes format
    {".001", "1m", kDec},
    {".0001k", "100m", kDec},
    {"1.", "1", kDec},
    {"1.G", "1G", kDec},
};

}  // namespace

TEST_CASE("quantities parse to upstream's values, formats and canonical strings", "[quantity]") {
  for (const ParseCase& c : kUpstreamParseTable) {
    INFO(c.input);
    const Quantity q = must_parse(c.input);
    CHECK(q.canonical() == c.canonical);
    CHECK(q.format() == c.format);
    CHECK(q.text() == c.input);
    // The canonical string denotes the same value.
    CHECK(must_parse(c.canonical) == q);
  }
}

TEST_CASE("a leading minus negates and a leading plus changes nothing", "[quantity]") {
  // upstream: TestQuantityParse repeats its table with "-" and "+" prefixes.
  for (const ParseCase& c : kUpstreamParseTable) {
    INFO(c.input);
    const Quantity plain = must_parse(c.input);
    const Quantity minus = must_parse(std::string("-") + c.input);
    const Quantity plus = must_parse(std::string("+") + c.input);
    CHECK(plus == plain);
    CHECK(plus.canonical() == c.canonical);
    CHECK(minus.format() == c.format);
    if (plain.is_zero()) {
      CHECK(minus.canonical() == "0");
      CHECK_FALSE(minus.is_negative());
    } else {
      CHECK(minus.canonical() == std::string("-") + c.canonical);
      CHECK(minus.is_negative());
      CHECK(minus < plain);
      CHECK(minus.value() == -plain.value());
      CHECK(minus.milli_value() == -plain.milli_value());
    }
  }
}

TEST_CASE("non-canonical spellings print in canonical form", "[quantity]") {
  // upstream: TestQuantityString alternates and TestQuantityParseEmit.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"1024Mi", "1Gi"},
      {"307200Ki", "300Mi"},
      {"1025024Mi", "1001Gi"},
      {"1024Gi", "1Ti"},
      {"5000m", "5"},
      {"0.5", "500m"},
      {"1000M", "1G"},
      {"0.001T", "1G"},
      {"1000u", "1m"},
      {"1.08", "1080m"},
      {"1080000000n", "1080m"},
      {".001e12", "1e9"},
      {"0.001e0", "1e-3"},
      {"1000e-12", "1e-9"},
      {"00", "0"},
      {"1Ki", "1Ki"},
      {"1Mi", "1Mi"},
      {"1Gi", "1Gi"},
      {".001Ki", "1024m"},
      {".000001Ki", "1024u"},
      {".000000001Ki", "1024n"},
      {".000000000001Ki", "2n"},
      // Hand-calculated: 1.5Gi is 1536 * 2^20; 1.5 is 1500 * 10^-3.
      {"1.5Gi", "1536Mi"},
      {"1.5", "1500m"},
      {"1000", "1k"},
      {"1025Ki", "1025Ki"},
      {"1023", "1023"},
      {"1024", "1024"},
  };
  for (const auto& [in, expect] : cases) {
    INFO(in);
    CHECK(must_parse(in).canonical() == expect);
    if (expect != "0") CHECK(must_parse("-" + in).canonical() == "-" + expect);
  }
}

TEST_CASE("to_string reproduces upstream String(), which keeps some inputs verbatim",
          "[quantity]") {
  // Hand-derived from quantity.go ParseQuantity's "reuse the string" check: the int64
  // fast path keeps the input when the scaled mantissa has no "000" tail (decimal) or is
  // not a multiple of 8 (binary), without normalising sign, leading zeros or case.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"+1", "+1"},
      {"01", "01"},
      {"1.500", "1.500"},
      {"1E3", "1E3"},
      {"+1Ki", "+1Ki"},
      {"1025Ki", "1025Ki"},
      {"5.Ki", "5.Ki"},
      {"100m", "100m"},
      {"-1Ki", "-1Ki"},
      {"2Gi", "2Gi"},
      // Not reused: canonical form instead.
      {"1.5", "1500m"},     // scale -1 is not a multiple of 3
      {"1000", "1k"},       // ends in 000
      {"0.5", "500m"},      // shifted mantissa starts with 0
      {"8Ki", "8Ki"},       // 8 & 7 == 0, canonicalised (to the same text)
      {"1024Mi", "1Gi"},    // 1024 & 7 == 0
      {"1.5Gi", "1536Mi"},  // binary with a fraction takes the inf.Dec path
      {"1Pi", "1Pi"},       // binary precision estimate is negative for Pi and Ei
      {"-0", "0"},
      {"0", "0"},
  };
  for (const auto& [in, expect] : cases) {
    INFO(in);
    CHECK(must_parse(in).to_string() == expect);
  }
  CHECK(Quantity().to_string() == "0");
  CHECK(Quantity().canonical() == "0");
  CHECK(must_parse("1.500").canonical() == "1500m");
  CHECK(must_parse("+1").canonical() == "1");
}

TEST_CASE("milli_value and value round away from zero", "[quantity]") {
  struct Case {
    const char* in;
    std::int64_t milli;
    std::int64_t value;
  };
  const std::vector<Case> cases = {
      // upstream: TestScaledValue (NewScaledQuantity(1, scale) to Milli and to 0).
      {"1n", 1, 1},
      {"1u", 1, 1},
      {"1m", 1, 1},
      {"1", 1000, 1},
      // upstream: TestQuantityRoundUp, RoundUp(0) of 9.01 is 10 and of -9.01 is -10.
      {"9.01", 9010, 10},
      {"-9.01", -9010, -10},
      // Hand-calculated: ceil of the magnitude, sign restored.
      {"0.0001", 1, 1},
      {"-0.0001", -1, -1},
      {"100m", 100, 1},
      {"1.5", 1500, 2},
      {"-1.5", -1500, -2},
      {"0.5", 500, 1},
      {"1.0001", 1001, 2},
      {"2Gi", 2147483648000, 2147483648},
      {"1.5Ki", 1536000, 1536},
      {"0.1Ki", 102400, 103},
      {"0", 0, 0},
      {"-0", 0, 0},
      {"1e-10", 1, 1},
      {"9223372036854775.807", kMax, 9223372036854776},
      {"9223372036854775807m", kMax, 9223372036854776},
      {"-9223372036854775807m", -kMax, -9223372036854776},
  };
  for (const Case& c : cases) {
    INFO(c.in);
    const Quantity q = must_parse(c.in);
    CHECK(q.milli_value() == c.milli);
    CHECK(q.value() == c.value);
  }
}

TEST_CASE("quantities compare by value, not by spelling", "[quantity]") {
  CHECK(must_parse("1k") == must_parse("1000"));
  CHECK(must_parse("1e3") == must_parse("1k"));
  CHECK(must_parse("0.5") == must_parse("500m"));
  CHECK(must_parse("1Ki") > must_parse("1k"));
  CHECK(must_parse("100m") < must_parse("1"));
  CHECK(must_parse("-1") < must_parse("0"));
  CHECK(must_parse("-2") < must_parse("-1"));
  CHECK(must_parse("-0") == must_parse("0"));
  CHECK(must_parse("1n") > must_parse("0"));
  // upstream: TestQuantityCmp, whose "10000T" is out of our range; 9000T is not.
  CHECK(must_parse("9000T") > must_parse("100Gi"));
  CHECK_FALSE(parse_quantity("10000T").ok());
  CHECK(must_parse("50m") < must_parse("100m"));
}

TEST_CASE("parse_cpu_millis returns milli-cores", "[quantity]") {
  const std::vector<std::pair<std::string, std::int64_t>> cases = {
      {"100m", 100}, {"1.5", 1500}, {"2", 2000},   {"250m", 250},    {"0.5", 500},
      {"+1", 1000},  {".5", 500},   {"5.", 5000},  {"1e3", 1000000}, {"1k", 1000000},
      {"0", 0},      {"-0", 0},     {"0.0001", 1}, {"1n", 1},        {"1500000u", 1500},
  };
  for (const auto& [in, millis] : cases) {
    INFO(in);
    auto r = parse_cpu_millis(in);
    REQUIRE(r.ok());
    CHECK(r.value() == millis);
  }
}

TEST_CASE("parse_bytes returns whole bytes, rounded up", "[quantity]") {
  const std::vector<std::pair<std::string, std::int64_t>> cases = {
      {"2Gi", 2147483648},
      {"500M", 500000000},
      {"500Mi", 524288000},
      {"1.5Ki", 1536},
      {"0.5", 1},
      {"100m", 1},
      {"1e3", 1000},
      {"1k", 1000},
      {"16Gi", 17179869184},
      {"0", 0},
      // Beyond the Quantity (milli) range but within int64 bytes.
      {"3Ei", 3458764513820540928},  // upstream: TestQuantityParse "3Ei"
      {"1E", 1000000000000000000},   // upstream: TestQuantityParse "1E"
      {"1E18", 1000000000000000000},
      {"7Ei", 8070450532247928832},
      {"9223372036854775807", kMax},
      {"9223372036854775806.5", kMax},
  };
  for (const auto& [in, bytes] : cases) {
    INFO(in);
    auto r = parse_bytes(in);
    REQUIRE(r.ok());
    CHECK(r.value() == bytes);
  }
}

TEST_CASE("resource helpers reject negative amounts", "[quantity]") {
  auto cpu = parse_cpu_millis("-100m");
  REQUIRE_FALSE(cpu.ok());
  CHECK(cpu.status().code() == Status::Code::kInvalidArgument);
  CHECK(cpu.error() == "invalid quantity \"-100m\": must be greater than or equal to 0");
  auto mem = parse_bytes("-1Gi");
  REQUIRE_FALSE(mem.ok());
  CHECK(mem.error() == "invalid quantity \"-1Gi\": must be greater than or equal to 0");
  // A negative Quantity itself parses; validation is the caller's.
  CHECK(must_parse("-100m").milli_value() == -100);
}

TEST_CASE("format_cpu_millis prints upstream's decimalSI canonical form", "[quantity]") {
  // upstream: TestMilliNewSet (1, 1000, 1234000); the rest hand-calculated.
  const std::vector<std::pair<std::int64_t, std::string>> cases = {
      {1, "1m"},
      {1000, "1"},
      {1234000, "1234"},
      {1500, "1500m"},
      {2000, "2"},
      {100, "100m"},
      {0, "0"},
      {2500000, "2500"},
      {1000000, "1k"},
      {10, "10m"},
      {1010, "1010m"},
      {-250, "-250m"},
      {kMax, "9223372036854775807m"},
      {9223372036854775000, "9223372036854775"},
  };
  for (const auto& [millis, text] : cases) {
    INFO(millis);
    CHECK(format_cpu_millis(millis) == text);
  }
}

TEST_CASE("format_bytes picks the largest exact binary suffix", "[quantity]") {
  // upstream: TestNewSet (1024, 1024*1024) and TestQuantityString; the rest by hand.
  const std::vector<std::pair<std::int64_t, std::string>> cases = {
      {1024, "1Ki"},
      {1024 * 1024, "1Mi"},
      {2147483648, "2Gi"},
      {524288000, "500Mi"},
      {1610612736, "1536Mi"},
      {300 * 1024 * 1024, "300Mi"},
      {1001LL * 1024 * 1024 * 1024, "1001Gi"},
      {1500, "1500"},
      {1025, "1025"},
      {1023, "1023"},
      {512, "512"},
      {1000, "1k"},  // below 1024 upstream prints binarySI as decimalSI
      {0, "0"},
      {7LL << 60, "7Ei"},
      {kMax, "9223372036854775807"},
      {-2147483648, "-2Gi"},
      {std::numeric_limits<std::int64_t>::min(), "-8Ei"},
  };
  for (const auto& [bytes, text] : cases) {
    INFO(bytes);
    CHECK(format_bytes(bytes) == text);
  }
}

TEST_CASE("malformed quantities are rejected with a message that says why", "[quantity]") {
  const std::string suffixes =
      "(expected one of n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei, or an exponent "
      "like e3)";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "invalid quantity \"\": empty (expected a number such as 100m, 1.5 or 2Gi)"},
      {"1.2.3", "invalid quantity \"1.2.3\": more than one decimal point (at offset 3)"},
      {"1Gb", "invalid quantity \"1Gb\": unknown suffix \"Gb\" " + suffixes +
                  "; did you mean \"G\" (10^9) or \"Gi\" (2^30)?"},
      {"16GB", "invalid quantity \"16GB\": unknown suffix \"GB\" " + suffixes +
                   "; did you mean \"G\" (10^9) or \"Gi\" (2^30)?"},
      {"1K", "invalid quantity \"1K\": unknown suffix \"K\" " + suffixes +
                 "; did you mean \"k\" (10^3) or \"Ki\" (2^10)?"},
      {"1KiB",
       "invalid quantity \"1KiB\": unknown suffix \"KiB\" " + suffixes + "; did you mean \"Ki\"?"},
      {"100B", "invalid quantity \"100B\": unknown suffix \"B\" " + suffixes +
                   "; a plain number is already in bytes"},
      {"Ki", "invalid quantity \"Ki\": missing the number before the suffix \"Ki\""},
      {"1 Gi",
       "invalid quantity \"1 Gi\": unexpected ' ' at offset 1 (whitespace is not "
       "allowed)"},
      {" 1",
       "invalid quantity \" 1\": unexpected ' ' at offset 0 (whitespace is not "
       "allowed)"},
      {"1\t",
       "invalid quantity \"1\\x09\": unexpected '\\t' at offset 1 (whitespace is "
       "not allowed)"},
      {".", "invalid quantity \".\": no digits"},
      {"+", "invalid quantity \"+\": no digits"},
      {"-.", "invalid quantity \"-.\": no digits"},
      {"aoeu", "invalid quantity \"aoeu\": expected a number such as 100m, 1.5 or 2Gi"},
      {"--1", "invalid quantity \"--1\": expected a number such as 100m, 1.5 or 2Gi"},
      {"1+1.0M",
       "invalid quantity \"1+1.0M\": unexpected sign '+' at offset 1 (a sign may "
       "only lead the number)"},
      {"1e",
       "invalid quantity \"1e\": invalid exponent \"e\" (expected e or E followed by "
       "an integer, such as e3 or E-2)"},
      {"-3.01e-",
       "invalid quantity \"-3.01e-\": invalid exponent \"e-\" (expected e or E "
       "followed by an integer, such as e3 or E-2)"},
      {"1e3.5",
       "invalid quantity \"1e3.5\": invalid exponent \"e3.5\" (expected e or E "
       "followed by an integer, such as e3 or E-2)"},
      {"1Gi!", "invalid quantity \"1Gi!\": unexpected '!' at offset 3"},
      {"1\x01", "invalid quantity \"1\\x01\": unexpected byte 0x01 at offset 1"},
      {"0.1mi",
       "invalid quantity \"0.1mi\": unknown suffix \"mi\" " + suffixes + "; did you mean \"Mi\"?"},
      {"0.1am", "invalid quantity \"0.1am\": unknown suffix \"am\" " + suffixes},
      {"1i", "invalid quantity \"1i\": unknown suffix \"i\" " + suffixes},
  };
  for (const auto& [in, message] : cases) {
    INFO(in);
    auto q = parse_quantity(in);
    REQUIRE_FALSE(q.ok());
    CHECK(q.status().code() == Status::Code::kInvalidArgument);
    CHECK(q.error() == message);
  }
}

TEST_CASE("every input upstream rejects is rejected", "[quantity]") {
  // upstream: TestQuantityParse "invalid" list, plus ParseQuantity("") and
  // TestQuantityParseNonNumericPanic.
  for (const char* in : {"", "1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i",
                         "-3.01e-", " 1", "1 ", "Non-Numeric"}) {
    INFO(in);
    CHECK_FALSE(parse_quantity(in).ok());
    CHECK_FALSE(parse_cpu_millis(in).ok());
    CHECK_FALSE(parse_bytes(in).ok());
  }
}

TEST_CASE("values beyond the int64 range are out of range, not wrapped", "[quantity]") {
  const std::string quantity_limit =
      ": out of range (the largest magnitude is 9223372036854775807m, 2^63-1 milli-units, "
      "about 9.2P)";
  for (const char* in :
       {"10P", "9223372036854775.808", "9223372036854775808m", "1e19", "-1e19", "1E", "3Ei", "12E",
        // upstream caps these binary values at 2^63-1 silently
        "9Ei", "9223372036854775807Ki",
        // upstream wraps the exponent to int32 and parses 1
        "1e4294967296", "1e999999999999999999999999"}) {
    INFO(in);
    auto q = parse_quantity(in);
    REQUIRE_FALSE(q.ok());
    CHECK(q.status().code() == Status::Code::kOutOfRange);
    CHECK(q.error() == "invalid quantity \"" + std::string(in) + "\"" + quantity_limit);
  }
  const std::string bytes_limit =
      ": out of range (the largest byte count is 9223372036854775807, 2^63-1, just under 8Ei)";
  for (const char* in : {"8Ei", "9223372036854775808", "9223372036854775807.000000001",
                         "9223372036854775807.0000000001", "10E", "1e30"}) {
    INFO(in);
    auto b = parse_bytes(in);
    REQUIRE_FALSE(b.ok());
    CHECK(b.status().code() == Status::Code::kOutOfRange);
    CHECK(b.error() == "invalid quantity \"" + std::string(in) + "\"" + bytes_limit);
  }
  // CPU uses the milli range.
  CHECK(parse_cpu_millis("9223372036854775807m").value() == kMax);
  CHECK_FALSE(parse_cpu_millis("9223372036854775808m").ok());
}

TEST_CASE("extreme exponents and long inputs keep exact values", "[quantity]") {
  CHECK(must_parse("1e-999999999999999999").canonical() == "1e-9");  // rounds up to 1n
  CHECK(must_parse("-1e-4294967296").canonical() == "-1e-9");
  CHECK(must_parse("0e999999999999").is_zero());
  CHECK(must_parse("0.000000000000000000000000000000000001m").canonical() == "1n");
  CHECK(must_parse("000000000000000000000000000000000000001").canonical() == "1");
  CHECK(must_parse("1.000000000000000000000000000000000000000k").canonical() == "1k");
  CHECK(must_parse("1000000000000000000000000000000e-27").canonical() == "1e3");
  CHECK(must_parse("12345678901234567890e-10").milli_value() == 1234567890124);
  const std::string long_input(200, '9');
  const std::string error = parse_error(long_input);
  CHECK(error == "invalid quantity \"" + std::string(61, '9') + "...\"" +
                     ": out of range (the largest magnitude is 9223372036854775807m, "
                     "2^63-1 milli-units, about 9.2P)");
}

TEST_CASE("milli_value matches integer arithmetic on random decimals", "[quantity]") {
  // Reference: for text "W.F" with a 9-digit fraction F, milli is W*1000 + ceil(F / 1e6).
  std::mt19937_64 rng(20240611);
  std::uniform_int_distribution<std::int64_t> whole_dist(0, 9223372036854774);
  std::uniform_int_distribution<std::int64_t> nanos_dist(0, 999'999'999);
  for (int i = 0; i < 20000; ++i) {
    const std::int64_t whole = whole_dist(rng) >> (rng() % 50);
    const std::int64_t nanos = nanos_dist(rng) / static_cast<std::int64_t>(1 + rng() % 3 * 999);
    std::string frac = std::to_string(nanos);
    frac = std::string(9 - frac.size(), '0') + frac;
    const std::string text = std::to_string(whole) + "." + frac;
    const Quantity q = must_parse(text);
    const std::int64_t milli = whole * 1000 + nanos / 1'000'000 + (nanos % 1'000'000 != 0);
    const std::int64_t value = whole + (nanos != 0);
    INFO(text);
    REQUIRE(q.milli_value() == milli);
    REQUIRE(q.value() == value);
    REQUIRE(must_parse("-" + text).milli_value() == -milli);
    REQUIRE(must_parse(q.canonical()) == q);
  }
}

TEST_CASE("formatting then parsing gives back the same integer", "[quantity]") {
  std::mt19937_64 rng(7);
  std::vector<std::int64_t> values = {0, 1, 999, 1000, 1023, 1024, 1025, kMax, kMax - 1};
  for (int i = 0; i < 20000; ++i) {
    const std::int64_t raw = static_cast<std::int64_t>(rng() >> 1);
    switch (i % 4) {
      case 0:  // any magnitude
        values.push_back(raw >> (rng() % 63));
        break;
      case 1: {  // multiples of a power of 1024, so binary suffixes appear
        const int shift = 10 * static_cast<int>(1 + rng() % 6);
        const int drop = std::min(62, shift + 1 + static_cast<int>(rng() % 20));
        values.push_back((raw >> drop) << shift);
        break;
      }
      case 2: {  // multiples of a power of 1000, so decimal suffixes appear
        std::int64_t v = (raw >> 44) % 100000;
        for (int k = static_cast<int>(rng() % 5); k > 0; --k) v *= 1000;
        values.push_back(v);
        break;
      }
      default:  // small
        values.push_back(raw % 5000);
        break;
    }
  }
  for (const std::int64_t v : values) {
    INFO(v);
    const std::string cpu = format_cpu_millis(v);
    auto millis = parse_cpu_millis(cpu);
    INFO(cpu << ": " << millis.error());
    REQUIRE(millis.ok());
    REQUIRE(millis.value() == v);
    REQUIRE(must_parse(format_cpu_millis(-v)).milli_value() == -v);

    const std::string mem = format_bytes(v);
    auto bytes = parse_bytes(mem);
    INFO(mem << ": " << bytes.error());
    REQUIRE(bytes.ok());
    REQUIRE(bytes.value() == v);
  }
}
