#include "sim/cron.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <ranges>
#include <string>
#include <utility>
#include <vector>

namespace kubesim::sim {

namespace {

struct Field {
  const char* name;
  int min;
  int max;
  std::array<std::string_view, 12> names;  // names[i] stands for min + i (when any)
};

constexpr Field kMinute{"minute", 0, 59, {}};
constexpr Field kHour{"hour", 0, 23, {}};
constexpr Field kDayOfMonth{"day of month", 1, 31, {}};
constexpr Field kMonth{
    "month",
    1,
    12,
    {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}};
constexpr Field kDayOfWeek{"day of week", 0, 6, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}};

std::vector<std::string_view> split(std::string_view text, char by) {
  std::vector<std::string_view> out;
  for (auto part : std::views::split(text, by)) out.emplace_back(part.begin(), part.end());
  return out;
}

Result<int> value_of(std::string_view text, const Field& f) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::size_t i = 0; i < f.names.size(); ++i) {
    if (!f.names[i].empty() && lower == f.names[i]) return f.min + static_cast<int>(i);
  }
  int v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return Status::invalid_argument(std::string(f.name) + ": \"" + std::string(text) +
                                    "\" is not a number" +
                                    (f.names[0].empty() ? "" : " or a name"));
  }
  if (v < f.min || v > f.max) {
    return Status::invalid_argument(std::string(f.name) + ": " + std::to_string(v) +
                                    " is outside " + std::to_string(f.min) + ".." +
                                    std::to_string(f.max));
  }
  return v;
}

// One field's bits (bit i for value i), and whether it began with * or ?.
Result<std::pair<std::uint64_t, bool>> parse_field(std::string_view text, const Field& f,
                                                   bool question_allowed) {
  std::uint64_t bits = 0;
  bool star = false;
  for (std::string_view part : split(text, ',')) {
    if (part.empty()) {
      return Status::invalid_argument(std::string(f.name) + ": \"" + std::string(text) +
                                      "\" has an empty list item");
    }
    std::vector<std::string_view> step_parts = split(part, '/');
    if (step_parts.size() > 2) {
      return Status::invalid_argument(std::string(f.name) + ": \"" + std::string(part) +
                                      "\" has more than one '/'");
    }
    std::string_view range = step_parts[0];
    if (range.empty()) {
      return Status::invalid_argument(std::string(f.name) + ": \"" + std::string(part) +
                                      "\" has no value before '/'");
    }
    int lo = 0, hi = 0, step = 1;
    const bool all = range == "*" || (question_allowed && range == "?");
    if (all) {
      lo = f.min;
      hi = f.max;
    } else {
      std::vector<std::string_view> ends = split(range, '-');
      if (ends.size() > 2) {
        return Status::invalid_argument(std::string(f.name) + ": \"" + std::string(range) +
                                        "\" has more than one '-'");
      }
      auto a = value_of(ends[0], f);
      if (!a) return a.status();
      lo = *a;
      hi = lo;
      if (ends.size() == 2) {
        auto b = value_of(ends[1], f);
        if (!b) return b.status();
        hi = *b;
      } else if (step_parts.size() == 2) {
        hi = f.max;  // "a/n": from a to the maximum
      }
      if (hi < lo) {
        return Status::invalid_argument(std::string(f.name) + ": range \"" + std::string(range) +
                                        "\" ends before it begins");
      }
    }
    if (step_parts.size() == 2) {
      const std::string_view s = step_parts[1];
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), step);
      if (ec != std::errc() || end != s.data() + s.size() || s.empty() || step <= 0) {
        return Status::invalid_argument(std::string(f.name) + ": step \"" + std::string(s) +
                                        "\" is not a positive number");
      }
    }
    star = star || (all && step == 1);  // robfig: "*/n" with n > 1 is no star
    for (int v = lo; v <= hi; v += step) bits |= std::uint64_t{1} << v;
  }
  return std::make_pair(bits, star);
}

}  // namespace

Result<CronSchedule> CronSchedule::parse(std::string_view text) {
  static const std::pair<std::string_view, std::string_view> kDescriptors[] = {
      {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
      {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"}};
  if (!text.empty() && text.front() == '@') {
    for (const auto& [name, expansion] : kDescriptors) {
      if (text == name) return parse(expansion);
    }
    return Status::invalid_argument("unknown descriptor \"" + std::string(text) +
                                    "\" (one of @yearly, @annually, @monthly, @weekly, @daily, "
                                    "@midnight, @hourly)");
  }
  std::vector<std::string_view> fields;
  for (std::string_view f : split(text, ' ')) {
    if (!f.empty()) fields.push_back(f);
  }
  if (fields.size() != 5) {
    return Status::invalid_argument(
        "expected 5 fields (minute hour day-of-month month "
        "day-of-week), got " +
        std::to_string(fields.size()));
  }
  CronSchedule c;
  auto minute = parse_field(fields[0], kMinute, false);
  if (!minute) return minute.status();
  auto hour = parse_field(fields[1], kHour, false);
  if (!hour) return hour.status();
  auto dom = parse_field(fields[2], kDayOfMonth, true);
  if (!dom) return dom.status();
  auto month = parse_field(fields[3], kMonth, false);
  if (!month) return month.status();
  auto dow = parse_field(fields[4], kDayOfWeek, true);
  if (!dow) return dow.status();
  c.minutes_ = minute->first;
  c.hours_ = static_cast<std::uint32_t>(hour->first);
  c.days_ = static_cast<std::uint32_t>(dom->first);
  c.months_ = static_cast<std::uint16_t>(month->first);
  c.weekdays_ = static_cast<std::uint8_t>(dow->first);
  c.days_star_ = dom->second;
  c.weekdays_star_ = dow->second;
  return c;
}

std::optional<std::int64_t> CronSchedule::next(std::int64_t unix_seconds) const {
  using namespace std::chrono;
  constexpr std::int64_t kDay = 86400;
  auto floor_div = [](std::int64_t a, std::int64_t b) { return a / b - (a % b != 0 && a < 0); };
  std::int64_t t = (floor_div(unix_seconds, 60) + 1) * 60;
  const std::int64_t limit = t + 5 * 366 * kDay;
  while (t < limit) {
    const sys_days day{days{floor_div(t, kDay)}};
    const year_month_day ymd{day};
    const auto month = static_cast<unsigned>(ymd.month());
    if ((months_ >> month & 1U) == 0) {
      const year_month_day first =
          year_month_day{ymd.year(), ymd.month(), std::chrono::day{1}} + months{1};
      t = sys_days{first}.time_since_epoch().count() * kDay;
      continue;
    }
    const bool dom = (days_ >> static_cast<unsigned>(ymd.day()) & 1U) != 0;
    const bool dow = (weekdays_ >> weekday{day}.c_encoding() & 1U) != 0;
    const bool day_ok = (days_star_ || weekdays_star_) ? (dom && dow) : (dom || dow);
    const std::int64_t midnight = day.time_since_epoch().count() * kDay;
    if (!day_ok) {
      t = midnight + kDay;
      continue;
    }
    const std::int64_t hour = (t - midnight) / 3600;
    if ((hours_ >> hour & 1U) == 0) {
      t = midnight + (hour + 1) * 3600;
      continue;
    }
    const std::int64_t minute = (t - midnight) % 3600 / 60;
    if ((minutes_ >> minute & 1U) == 0) {
      t += 60;
      continue;
    }
    return t;
  }
  return std::nullopt;
}

}  // namespace kubesim::sim
