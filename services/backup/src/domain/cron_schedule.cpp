#include "domain/cron_schedule.hpp"

#include <array>
#include <charconv>
#include <date/tz.h>
#include <vector>

#include "dbaas/common/error.hpp"

namespace dbaas::backup {
namespace {

// Eight years: long enough to cover a leap day (`0 0 29 2 *`) from any start.
constexpr int kSearchDays = 8 * 366;

constexpr std::array<std::string_view, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kDayNames = {"sun", "mon", "tue", "wed",
                                                       "thu", "fri", "sat"};

[[noreturn]] void Invalid(const std::string& field, const std::string& issue) {
  throw Error(ErrorCode::kInvalidArgument, "invalid backup schedule: " + issue,
              {{field, issue}},
              {"use five cron fields `minute hour day-of-month month day-of-week`, e.g. "
               "\"0 3 * * *\" for 03:00 every day, and an IANA time zone such as \"UTC\" or "
               "\"Europe/Berlin\""});
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const auto at = text.find(sep, start);
    parts.push_back(text.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

struct FieldSpec {
  const char* name;
  int min;
  int max;
  const std::string_view* names = nullptr;  // names[i] means min + i
  std::size_t name_count = 0;
};

int ParseValue(std::string_view token, const FieldSpec& spec, const std::string& where) {
  const auto lower = Lower(token);
  for (std::size_t i = 0; i < spec.name_count; ++i) {
    if (lower == spec.names[i]) return spec.min + static_cast<int>(i);
  }
  int value = 0;
  const auto* end = token.data() + token.size();
  const auto [ptr, ec] = std::from_chars(token.data(), end, value);
  if (token.empty() || ec != std::errc() || ptr != end) {
    Invalid("cron", where + ": '" + std::string(token) + "' is not a number" +
                        (spec.name_count > 0 ? " or a name" : ""));
  }
  return value;
}

// Sets the bits of one field; returns false when the field is `*` (unrestricted).
bool ParseField(std::string_view text, const FieldSpec& spec, int max_allowed,
                std::vector<bool>& bits) {
  const std::string where = std::string(spec.name) + " field '" + std::string(text) + "'";
  bool restricted = false;
  for (const auto item : Split(text, ',')) {
    if (item.empty()) Invalid("cron", where + ": empty list item");
    auto slash = item.find('/');
    const auto range = item.substr(0, slash);
    int step = 1;
    if (slash != std::string_view::npos) {
      const auto step_text = item.substr(slash + 1);
      const auto* end = step_text.data() + step_text.size();
      const auto [ptr, ec] = std::from_chars(step_text.data(), end, step);
      if (step_text.empty() || ec != std::errc() || ptr != end || step < 1) {
        Invalid("cron", where + ": step '" + std::string(step_text) + "' must be a number >= 1");
      }
    }
    int lo = spec.min;
    int hi = spec.max;
    if (range == "*") {
      if (step != 1) restricted = true;
    } else {
      restricted = true;
      const auto dash = range.find('-');
      if (dash == std::string_view::npos) {
        lo = hi = ParseValue(range, spec, where);
        if (slash != std::string_view::npos) hi = spec.max;  // `5/15` = 5-max/15
      } else {
        lo = ParseValue(range.substr(0, dash), spec, where);
        hi = ParseValue(range.substr(dash + 1), spec, where);
      }
      if (lo < spec.min || hi > max_allowed || lo > hi) {
        Invalid("cron", where + ": values must be within " + std::to_string(spec.min) + "-" +
                            std::to_string(spec.max) + " and ranges ascending");
      }
    }
    for (int v = lo; v <= hi; v += step) bits[static_cast<std::size_t>(v)] = true;
  }
  return restricted;
}

std::string Expand(std::string_view expression) {
  const auto e = Lower(expression);
  if (e == "@hourly") return "0 * * * *";
  if (e == "@daily" || e == "@midnight") return "0 0 * * *";
  if (e == "@weekly") return "0 0 * * 0";
  if (e == "@monthly") return "0 0 1 * *";
  if (e == "@yearly" || e == "@annually") return "0 0 1 1 *";
  if (!e.empty() && e[0] == '@') Invalid("cron", "unknown shortcut '" + e + "'");
  return std::string(expression);
}

}  // namespace

CronSchedule CronSchedule::Parse(std::string_view expression, std::string_view time_zone) {
  CronSchedule s;
  s.expression_ = std::string(expression);
  s.time_zone_ = std::string(time_zone);
  if (time_zone.empty()) Invalid("time_zone", "the time zone is empty");
  try {
    s.zone_ = date::locate_zone(std::string(time_zone));
  } catch (const std::exception&) {
    Invalid("time_zone", "unknown time zone '" + std::string(time_zone) +
                             "' (an IANA name such as UTC or America/New_York)");
  }

  const auto expanded = Expand(expression);
  std::vector<std::string_view> fields;
  for (const auto f : Split(expanded, ' ')) {
    if (!f.empty()) fields.push_back(f);
  }
  if (fields.size() != 5) {
    Invalid("cron", "'" + std::string(expression) + "' has " + std::to_string(fields.size()) +
                        " fields; five are needed (minute hour day-of-month month day-of-week)");
  }
  std::vector<bool> minutes(60), hours(24), days(32), months(13), weekdays(8);
  ParseField(fields[0], {"minute", 0, 59}, 59, minutes);
  ParseField(fields[1], {"hour", 0, 23}, 23, hours);
  s.days_restricted_ = ParseField(fields[2], {"day-of-month", 1, 31}, 31, days);
  ParseField(fields[3], {"month", 1, 12, kMonthNames.data(), kMonthNames.size()}, 12, months);
  // Weekdays accept 7 for Sunday as well.
  s.weekdays_restricted_ =
      ParseField(fields[4], {"day-of-week", 0, 6, kDayNames.data(), kDayNames.size()}, 7,
                 weekdays);
  if (weekdays[7]) weekdays[0] = true;
  for (std::size_t i = 0; i < 60; ++i) s.minutes_[i] = minutes[i];
  for (std::size_t i = 0; i < 24; ++i) s.hours_[i] = hours[i];
  for (std::size_t i = 0; i < 32; ++i) s.days_[i] = days[i];
  for (std::size_t i = 0; i < 13; ++i) s.months_[i] = months[i];
  for (std::size_t i = 0; i < 7; ++i) s.weekdays_[i] = weekdays[i];

  if (!s.Search(TimePoint{}, kSearchDays)) {
    Invalid("cron", "'" + std::string(expression) + "' never fires (no such date)");
  }
  return s;
}

std::optional<TimePoint> CronSchedule::Search(TimePoint after, int max_days) const {
  using namespace std::chrono;
  const auto local_after = zone_->to_local(after);
  const auto start = floor<minutes>(local_after) + minutes(1);
  const auto first_day = floor<days>(start);
  for (int d = 0; d <= max_days; ++d) {
    const auto day = first_day + days(d);
    const date::year_month_day ymd{day};
    if (!months_[static_cast<unsigned>(ymd.month())]) continue;
    const bool dom = days_[static_cast<unsigned>(ymd.day())];
    const bool dow = weekdays_[date::weekday{day}.c_encoding()];
    bool match = false;
    if (days_restricted_ && weekdays_restricted_) {
      match = dom || dow;
    } else {
      match = dom && dow;
    }
    if (!match) continue;
    for (int h = 0; h < 24; ++h) {
      if (!hours_[static_cast<std::size_t>(h)]) continue;
      for (int m = 0; m < 60; ++m) {
        if (!minutes_[static_cast<std::size_t>(m)]) continue;
        const auto local = day + hours(h) + minutes(m);
        if (local < start) continue;
        const auto info = zone_->get_info(local);
        sys_seconds at;
        switch (info.result) {
          case date::local_info::unique:
          case date::local_info::ambiguous:  // the first occurrence
            at = sys_seconds{local.time_since_epoch()} - info.first.offset;
            break;
          case date::local_info::nonexistent:  // skipped by DST: the end of the gap
            at = info.second.begin;
            break;
        }
        if (at > after) return time_point_cast<TimePoint::duration>(at);
      }
    }
  }
  return std::nullopt;
}

TimePoint CronSchedule::NextAfter(TimePoint after) const {
  if (auto next = Search(after, kSearchDays)) return *next;
  throw Error(ErrorCode::kInternal, "backup schedule '" + expression_ + "' has no next run");
}

}  // namespace dbaas::backup
