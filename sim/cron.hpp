// A standard five-field cron schedule in UTC, as Karpenter reads a disruption budget's
// `schedule` (robfig/cron v3 ParseStandard, karpenter.sh/docs/concepts/disruption):
//
//   minute hour day-of-month month day-of-week
//
// Each field is `*` (or `?` in the day fields), a value, a range `a-b`, a step `*/n`,
// `a-b/n` or `a/n` (from a to the field's maximum), or a comma-separated list of these.
// Months may be named JAN..DEC and days SUN..SAT (any case); day of week is 0..6, Sunday 0.
// As in cron, when both day fields are restricted a day matches either; when one of them is
// `*` or `?` both must match. The descriptors @yearly, @annually, @monthly, @weekly, @daily,
// @midnight and @hourly stand for their usual expressions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "sim/status.hpp"

namespace kubesim::sim {

class CronSchedule {
 public:
  // The schedule, or an error naming the field that is wrong.
  static Result<CronSchedule> parse(std::string_view text);

  // The first whole minute strictly after `unix_seconds` (seconds since the Unix epoch, UTC)
  // at which the schedule fires; nullopt when none within five years (e.g. "0 0 30 2 *").
  std::optional<std::int64_t> next(std::int64_t unix_seconds) const;

 private:
  std::uint64_t minutes_ = 0;  // bit i: minute i
  std::uint32_t hours_ = 0;
  std::uint32_t days_ = 0;     // bit d: day of month d (1..31)
  std::uint16_t months_ = 0;   // bit m: month m (1..12)
  std::uint8_t weekdays_ = 0;  // bit w: weekday w (0 Sunday .. 6)
  bool days_star_ = false;
  bool weekdays_star_ = false;
};

}  // namespace kubesim::sim
