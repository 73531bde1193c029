// Tests for sim/time: parse_duration and format_duration against Go's time package.
//
// Expected values come from Go itself, not from running this code:
//   - golang/go src/time/time_test.go: parseDurationTests, parseDurationErrorTests and
//     durationTests (the table for Duration.String), as of Go 1.17+ (after
//     https://golang.org/issue/48629 made "-9223372036854775808ns" valid);
//   - golang/go src/time/example_test.go: ExampleParseDuration, ExampleDuration_String,
//     ExampleDuration_Truncate;
//   - the doc comment of time.ParseDuration ("300ms", "-1.5h", "2h45m").
#include "sim/time.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace kubesim::sim {
namespace {

constexpr Duration kMaxDuration = INT64_MAX;  // Go: 1<<63 - 1
constexpr Duration kMinDuration = INT64_MIN;  // Go: -1 << 63

struct ParseCase {
  const char* in;
  Duration want;
};

// golang/go src/time/time_test.go, parseDurationTests (every row).
const std::vector<ParseCase> kGoParseDurationTests = {
    // simple
    {"0", 0},
    {"5s", 5 * kSecond},
    {"30s", 30 * kSecond},
    {"1478s", 1478 * kSecond},
    // sign
    {"-5s", -5 * kSecond},
    {"+5s", 5 * kSecond},
    {"-0", 0},
    {"+0", 0},
    // decimal
    {"5.0s", 5 * kSecond},
    {"5.6s", 5 * kSecond + 600 * kMillisecond},
    {"5.s", 5 * kSecond},
    {".5s", 500 * kMillisecond},
    {"1.0s", 1 * kSecond},
    {"1.00s", 1 * kSecond},
    {"1.004s", 1 * kSecond + 4 * kMillisecond},
    {"1.0040s", 1 * kSecond + 4 * kMillisecond},
    {"100.00100s", 100 * kSecond + 1 * kMillisecond},
    // different units
    {"10ns", 10 * kNanosecond},
    {"11us", 11 * kMicrosecond},
    {"12\xC2\xB5s", 12 * kMicrosecond},  // U+00B5 MICRO SIGN
    {"12\xCE\xBCs", 12 * kMicrosecond},  // U+03BC GREEK SMALL LETTER MU
    {"13ms", 13 * kMillisecond},
    {"14s", 14 * kSecond},
    {"15m", 15 * kMinute},
    {"16h", 16 * kHour},
    // composite durations
    {"3h30m", 3 * kHour + 30 * kMinute},
    {"10.5s4m", 4 * kMinute + 10 * kSecond + 500 * kMillisecond},
    {"-2m3.4s", -(2 * kMinute + 3 * kSecond + 400 * kMillisecond)},
    {"1h2m3s4ms5us6ns",
     1 * kHour + 2 * kMinute + 3 * kSecond + 4 * kMillisecond + 5 * kMicrosecond + 6},
    {"39h9m14.425s", 39 * kHour + 9 * kMinute + 14 * kSecond + 425 * kMillisecond},
    // large value
    {"52763797000ns", 52763797000},
    // more than 9 digits after decimal point, see https://golang.org/issue/6617
    {"0.3333333333333333333h", 20 * kMinute},
    // 9007199254740993 = 1<<53+1 cannot be stored precisely in a float64
    {"9007199254740993ns", (std::int64_t{1} << 53) + 1},
    // largest duration that can be represented by int64 in nanoseconds
    {"9223372036854775807ns", kMaxDuration},
    {"9223372036854775.807us", kMaxDuration},
    {"9223372036s854ms775us807ns", kMaxDuration},
    {"-9223372036854775808ns", kMinDuration},
    {"-9223372036854775.808us", kMinDuration},
    {"-9223372036s854ms775us808ns", kMinDuration},
    // largest negative round trip value, see https://golang.org/issue/48629
    {"-2562047h47m16.854775808s", kMinDuration},
    // huge string; issue 15011.
    {"0.100000000000000000000h", 6 * kMinute},
    // This value tests the first overflow check in leadingFraction.
    {"0.830103483285477580700h", 49 * kMinute + 48 * kSecond + 372539827},
};

TEST_CASE("parse_duration accepts every valid row of Go's parseDurationTests", "[time]") {
  for (const ParseCase& c : kGoParseDurationTests) {
    INFO("input: " << c.in);
    const Result<Duration> got = parse_duration(c.in);
    REQUIRE(got.ok());
    CHECK(got.value() == c.want);
  }
}

TEST_CASE("parse_duration agrees with Go's documentation examples", "[time]") {
  // time.ParseDuration doc: "such as "300ms", "-1.5h" or "2h45m"".
  CHECK(parse_duration("300ms").value() == 300 * kMillisecond);
  CHECK(parse_duration("-1.5h").value() == -(kHour + 30 * kMinute));
  CHECK(parse_duration("2h45m").value() == 2 * kHour + 45 * kMinute);
  // ExampleParseDuration: "1h10m10s" is 4210 seconds; "1µs" and "1us" are 1000 ns.
  CHECK(parse_duration("10h").value() == 10 * kHour);
  CHECK(parse_duration("1h10m10s").value() == 4210 * kSecond);
  CHECK(parse_duration("1\xC2\xB5s").value() == 1000);
  CHECK(parse_duration("1us").value() == 1000);
  // Kubernetes-style values used in scenarios (by hand).
  CHECK(parse_duration("250ms").value() == 250'000'000);
  CHECK(parse_duration("1h30m").value() == 5'400'000'000'000);
  CHECK(parse_duration("1.5h").value() == 5'400'000'000'000);
  CHECK(parse_duration("-2m").value() == -120'000'000'000);
}

TEST_CASE("parse_duration truncates fractional nanoseconds toward zero, as Go does", "[time]") {
  // Go adds uint64(float64(frac) * (float64(unit) / scale)): the conversion truncates.
  CHECK(parse_duration("1.9ns").value() == 1);
  CHECK(parse_duration("0.5ns").value() == 0);
  CHECK(parse_duration("1.0001us").value() == 1000);  // 0.1 ns dropped
  CHECK(parse_duration("-1.9ns").value() == -1);
  CHECK(parse_duration("1.5us").value() == 1500);
}

struct BadCase {
  const char* in;
  const char* must_mention;  // a fragment the error message has to contain
};

TEST_CASE("parse_duration rejects Go's parseDurationErrorTests with a message naming the problem",
          "[time]") {
  // golang/go src/time/time_test.go, parseDurationErrorTests, plus the cases from the
  // kubesim issue. Go's errors quote the input; ours must too, and say what was wrong.
  const std::vector<BadCase> cases = {
      // invalid
      {"", "empty"},
      {"3", "missing unit"},
      {"-", "empty"},
      {"s", "expected a number"},
      {".", "'.' without digits"},
      {"-.", "'.' without digits"},
      {".s", "'.' without digits"},
      {"+.s", "'.' without digits"},
      {"1d", "unknown unit \"d\""},
      {"1.2.3s", "missing unit"},
      {"5 m", "unknown unit \" m\""},
      {"5s ", "unknown unit \"s \""},
      {" 5s", "expected a number"},
      {"1h30", "missing unit"},
      {"1sec", "unknown unit \"sec\""},
      {"5M", "unknown unit \"M\""},
      {"\x85\x85", "expected a number"},
      {"\xff"
       "ff",
       "expected a number"},
      {"hello \xff"
       "ff world",
       "expected a number"},
      {"\xEF\xBF\xBD", "expected a number"},  // U+FFFD, utf8.RuneError
      {"--5s", "expected a number"},
      {"+-5s", "expected a number"},
      // overflow
      {"9223372036854775810ns", "out of range"},
      {"9223372036854775808ns", "out of range"},
      {"-9223372036854775809ns", "out of range"},
      {"9223372036854776us", "out of range"},
      {"3000000h", "out of range"},
      {"9223372036854775.808us", "out of range"},
      {"9223372036854ms775us808ns", "out of range"},
      {"99999999999999999999999ns", "out of range"},
      {"2562048h", "out of range"},
  };
  for (const BadCase& c : cases) {
    INFO("input: \"" << c.in << "\"");
    const Result<Duration> got = parse_duration(c.in);
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().code() == Status::Code::kInvalidArgument);
    const std::string& msg = got.error();
    INFO("message: " << msg);
    // The message quotes the input, as Go's does (`time: invalid duration "1d"`).
    CHECK(msg.find("invalid duration \"" + std::string(c.in) + "\"") != std::string::npos);
    CHECK(msg.find(c.must_mention) != std::string::npos);
  }
}

TEST_CASE("parse_duration error messages carry hints for common mistakes", "[time]") {
  // The example in time.hpp, word for word.
  CHECK(parse_duration("5 m").error() ==
        "invalid duration \"5 m\": unknown unit \" m\" (expected a unit: ns, us, ms, s, m, h)");
  const std::string days = parse_duration("1d").error();
  CHECK(days.find("24h") != std::string::npos);
  CHECK(days.find("ns, us, ms, s, m, h") != std::string::npos);
  const std::string sec = parse_duration("30sec").error();
  CHECK(sec.find("write s") != std::string::npos);
  const std::string min = parse_duration("5min").error();
  CHECK(min.find("write m") != std::string::npos);
  // "missing unit" says where the number started.
  const std::string missing = parse_duration("1h30").error();
  CHECK(missing.find("offset 2") != std::string::npos);
  const std::string letter = parse_duration("1hx").error();
  CHECK(letter.find("\"hx\"") != std::string::npos);
}

struct FormatCase {
  const char* str;
  Duration d;
};

// golang/go src/time/time_test.go, durationTests (the table for Duration.String).
const std::vector<FormatCase> kGoDurationTests = {
    {"0s", 0},
    {"1ns", 1 * kNanosecond},
    {"1.1\xC2\xB5s", 1100 * kNanosecond},
    {"2.2ms", 2200 * kMicrosecond},
    {"3.3s", 3300 * kMillisecond},
    {"4m5s", 4 * kMinute + 5 * kSecond},
    {"4m5.001s", 4 * kMinute + 5001 * kMillisecond},
    {"5h6m7.001s", 5 * kHour + 6 * kMinute + 7001 * kMillisecond},
    {"8m0.000000001s", 8 * kMinute + 1 * kNanosecond},
    {"2562047h47m16.854775807s", kMaxDuration},
    {"-2562047h47m16.854775808s", kMinDuration},
};

TEST_CASE("format_duration prints what Go's Duration.String prints (durationTests)", "[time]") {
  for (const FormatCase& c : kGoDurationTests) {
    INFO("duration: " << c.d);
    CHECK(format_duration(c.d) == c.str);
    // TestDurationString also checks that the negation prints with a leading '-'.
    if (c.d > 0) CHECK(format_duration(-c.d) == std::string("-") + c.str);
  }
}

TEST_CASE("format_duration matches Go's String examples", "[time]") {
  // ExampleDuration_String.
  CHECK(format_duration(1 * kHour + 2 * kMinute + 300 * kMillisecond) == "1h2m0.3s");
  CHECK(format_duration(300 * kMillisecond) == "300ms");
  // ExampleParseDuration.
  CHECK(format_duration(10 * kHour) == "10h0m0s");
  CHECK(format_duration(4210 * kSecond) == "1h10m10s");
  CHECK(format_duration(kMicrosecond) == "1\xC2\xB5s");
  // ExampleDuration_Truncate: d = 1h15m30.918273645s truncated to 1µs, 1ms, 1s, 1m, 10m.
  const Duration d = kHour + 15 * kMinute + 30 * kSecond + 918273645;
  CHECK(format_duration(d) == "1h15m30.918273645s");
  CHECK(format_duration(d - d % kMicrosecond) == "1h15m30.918273s");
  CHECK(format_duration(d - d % kMillisecond) == "1h15m30.918s");
  CHECK(format_duration(d - d % kSecond) == "1h15m30s");
  CHECK(format_duration(d - d % kMinute) == "1h15m0s");
  CHECK(format_duration(d - d % (10 * kMinute)) == "1h10m0s");
  CHECK(format_duration(d - d % kHour) == "1h0m0s");
}

TEST_CASE("format_duration chooses the unit by magnitude", "[time]") {
  // Boundaries between ns, µs, ms and the h/m/s form (by hand from Go's rules).
  CHECK(format_duration(999) == "999ns");
  CHECK(format_duration(1000) == "1\xC2\xB5s");
  CHECK(format_duration(999'999) == "999.999\xC2\xB5s");
  CHECK(format_duration(1'000'000) == "1ms");
  CHECK(format_duration(999'999'999) == "999.999999ms");
  CHECK(format_duration(kSecond) == "1s");
  CHECK(format_duration(59 * kSecond) == "59s");
  CHECK(format_duration(kMinute) == "1m0s");
  CHECK(format_duration(kHour) == "1h0m0s");
  CHECK(format_duration(kHour + 1) == "1h0m0.000000001s");
  CHECK(format_duration(25 * kHour) == "25h0m0s");  // no days, as in Go
  CHECK(format_duration(-1) == "-1ns");
  CHECK(format_duration(-1500 * kMicrosecond) == "-1.5ms");
}

TEST_CASE("format_duration and parse_duration round-trip", "[time]") {
  // As Go's TestParseDurationRoundTrip: String() then ParseDuration() gives the value back.
  // Exact for every value, since String() prints all nine fractional digits when needed.
  std::uint64_t x = 0x9E3779B97F4A7C15ULL;
  for (int i = 0; i < 2000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    // Spread over magnitudes from nanoseconds to centuries.
    const int shift = static_cast<int>(x % 63);
    Duration d = static_cast<Duration>(x >> (1 + shift));
    if (x & 1) d = -d;
    const std::string s = format_duration(d);
    INFO(d << " -> " << s);
    const Result<Duration> back = parse_duration(s);
    REQUIRE(back.ok());
    CHECK(back.value() == d);
  }
  for (const Duration d : {kMaxDuration, kMinDuration, Duration{0}, Duration{1}, Duration{-1}}) {
    CHECK(parse_duration(format_duration(d)).value() == d);
  }
}

TEST_CASE("duration constructors and conversions", "[time]") {
  CHECK(seconds(3) == 3'000'000'000);
  CHECK(milliseconds(250) == 250'000'000);
  CHECK(microseconds(7) == 7'000);
  CHECK(minutes(5) == 300'000'000'000);
  CHECK(hours(2) == 7'200'000'000'000);
  CHECK(to_seconds(1'500'000'000) == 1.5);
  CHECK(to_seconds(-250'000'000) == -0.25);
  CHECK(from_seconds(1.5) == 1'500'000'000);
  CHECK(from_seconds(0.3) == 300'000'000);  // 0.3 * 1e9 rounds to the nearest ns
  CHECK(from_seconds(-2.0000000004) == -2'000'000'000);
  CHECK(from_seconds(1e-9) == 1);
  CHECK(from_seconds(0.6e-9) == 1);  // rounds, not truncates
  CHECK(from_seconds(0.4e-9) == 0);
  // Saturation at the int64 range; NaN saturates high.
  CHECK(from_seconds(1e300) == INT64_MAX);
  CHECK(from_seconds(-1e300) == INT64_MIN);
  CHECK(from_seconds(std::numeric_limits<double>::quiet_NaN()) == INT64_MAX);
  CHECK(from_seconds(std::numeric_limits<double>::infinity()) == INT64_MAX);
  CHECK(from_seconds(-std::numeric_limits<double>::infinity()) == INT64_MIN);
}

}  // namespace
}  // namespace kubesim::sim
