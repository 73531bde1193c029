// sim::CronSchedule: next firing times by hand (Unix times from Python's datetime), the
// day-of-month / day-of-week rule of cron, descriptors and parse errors.
#include "sim/cron.hpp"

#include <catch2/catch.hpp>
#include <optional>

namespace {

using kubesim::sim::CronSchedule;

std::optional<std::int64_t> next(const char* expr, std::int64_t t) {
  auto c = CronSchedule::parse(expr);
  INFO(expr << ": " << c.error());
  REQUIRE(c.ok());
  return c->next(t);
}

// 2026-11-23 is a Monday.
constexpr std::int64_t kMon0859_59 = 1795424399;  // 2026-11-23T08:59:59Z
constexpr std::int64_t kMon0900 = 1795424400;
constexpr std::int64_t kTue0900 = 1795510800;
constexpr std::int64_t kFri1000 = 1795773600;      // 2026-11-27
constexpr std::int64_t kNextMon0900 = 1796029200;  // 2026-11-30
constexpr std::int64_t kNov1 = 1793491200;         // 2026-11-01T00:00:00Z, a Sunday
constexpr std::int64_t kDay = 86400;

}  // namespace

TEST_CASE("cron: next firing strictly after the given time", "[cron]") {
  CHECK(next("0 9 * * mon-fri", kMon0859_59) == kMon0900);
  CHECK(next("0 9 * * mon-fri", kMon0900) == kTue0900);      // strictly after
  CHECK(next("0 9 * * MON-FRI", kFri1000) == kNextMon0900);  // over the weekend
  CHECK(next("0 9 * * 1-5", kFri1000) == kNextMon0900);
  CHECK(next("*/15 * * * *", 1795428420) == 1795428900);                      // 10:07 → 10:15
  CHECK(next("*/15 * * * *", 1795430700) == 1795431600);                      // 10:45 → 11:00
  CHECK(next("30/15 * * * *", 1795428420) == 1795428420 - 7 * 60 + 30 * 60);  // 10:30
  CHECK(next("0 12 * JAN,jul *", kNov1) == 1798761600 + 12 * 3600);           // 2027-01-01 12:00
}

TEST_CASE("cron: day of month and day of week", "[cron]") {
  // Both restricted: either matches (Friday the 6th comes before the 13th).
  CHECK(next("0 0 13 * fri", kNov1) == kNov1 + 5 * kDay);
  // Day of week unrestricted: the 13th only.
  CHECK(next("0 0 13 * *", kNov1) == kNov1 + 12 * kDay);
  CHECK(next("0 0 13 * ?", kNov1) == kNov1 + 12 * kDay);
  CHECK(next("0 0 * * 5", kNov1) == kNov1 + 5 * kDay);
  // Never: February has no 30th.
  CHECK_FALSE(next("0 0 30 2 *", kNov1).has_value());
}

TEST_CASE("cron: descriptors", "[cron]") {
  CHECK(next("@monthly", kMon0900) == 1796083200);   // 2026-12-01
  CHECK(next("@yearly", 1797292800) == 1798761600);  // 2026-12-15 → 2027-01-01
  CHECK(next("@annually", 1797292800) == 1798761600);
  CHECK(next("@daily", kMon0900) == kMon0900 - 9 * 3600 + kDay);
  CHECK(next("@midnight", kMon0900) == kMon0900 - 9 * 3600 + kDay);
  CHECK(next("@hourly", kMon0900) == kMon0900 + 3600);
  CHECK(next("@weekly", kMon0900) == kMon0900 - 9 * 3600 + 6 * kDay);  // Sunday 11-29
}

TEST_CASE("cron: errors name the field", "[cron]") {
  auto error = [](const char* expr) {
    auto c = CronSchedule::parse(expr);
    CHECK_FALSE(c.ok());
    return c.error();
  };
  CHECK_THAT(error("61 * * * *"), Catch::Contains("minute: 61 is outside 0..59"));
  CHECK_THAT(error("* 24 * * *"), Catch::Contains("hour: 24 is outside 0..23"));
  CHECK_THAT(error("* * 0 * *"), Catch::Contains("day of month: 0 is outside 1..31"));
  CHECK_THAT(error("* * * 13 *"), Catch::Contains("month"));
  CHECK_THAT(error("* * * * 7"), Catch::Contains("day of week: 7 is outside 0..6"));
  CHECK_THAT(error("* * * * mon-xyz"), Catch::Contains("\"xyz\" is not a number or a name"));
  CHECK_THAT(error("* * * *"), Catch::Contains("expected 5 fields"));
  CHECK_THAT(error("*/0 * * * *"), Catch::Contains("step \"0\" is not a positive number"));
  CHECK_THAT(error("5-1 * * * *"), Catch::Contains("ends before it begins"));
  CHECK_THAT(error("? * * * *"), Catch::Contains("minute"));  // ? only in the day fields
  CHECK_THAT(error("@every 5m"), Catch::Contains("unknown descriptor"));
  CHECK_THAT(error("1,,2 * * * *"), Catch::Contains("empty list item"));
  CHECK_THAT(error("1, * * * *"), Catch::Contains("empty list item"));
  CHECK_THAT(error("1/ * * * *"), Catch::Contains("step \"\" is not a positive number"));
  CHECK_THAT(error("1- * * * *"), Catch::Contains("minute"));
  // Punctuation alone is an error, never a crash.
  for (const char* junk : {"/ * * * *", "- * * * *", ", * * * *", "*/ * * * *", "-/- * * * *"}) {
    CHECK_THAT(error(junk), Catch::Contains("minute"));
  }
}
