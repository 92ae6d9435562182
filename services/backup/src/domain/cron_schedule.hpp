#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

#include "dbaas/common/clock.hpp"

namespace date {
class time_zone;
}

namespace dbaas::backup {

/// A cron expression evaluated in an IANA time zone: when a backup schedule fires.
///
/// Five fields, `minute hour day-of-month month day-of-week`, each `*`, a value, a range `a-b`,
/// a step `*/n` or `a-b/n`, or a comma list of those; months and weekdays also by name (`jan`,
/// `mon`; Sunday is 0 or 7). As in Vixie cron, when both day fields are restricted a day
/// matches if either does. The shortcuts `@hourly`, `@daily` (= `@midnight`), `@weekly`,
/// `@monthly` and `@yearly` (= `@annually`) are accepted too.
///
/// Daylight-saving transitions: a local time that occurs twice fires once, at its first
/// occurrence; a local time skipped by a spring-forward gap fires at the first instant after
/// the gap, so a daily schedule never loses a day.
class CronSchedule {
 public:
  /// Throws Error{INVALID_ARGUMENT} naming the field (`cron` or `time_zone`) and the problem:
  /// malformed fields, out-of-range values, an unknown zone, or an expression that never fires
  /// (e.g. `0 0 30 2 *`).
  static CronSchedule Parse(std::string_view expression, std::string_view time_zone);

  /// The first firing strictly after `after`.
  TimePoint NextAfter(TimePoint after) const;

  const std::string& Expression() const noexcept { return expression_; }
  const std::string& TimeZone() const noexcept { return time_zone_; }

 private:
  CronSchedule() = default;
  std::optional<TimePoint> Search(TimePoint after, int max_days) const;

  std::string expression_;
  std::string time_zone_;
  const date::time_zone* zone_ = nullptr;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;      // 1..31
  std::bitset<13> months_;    // 1..12
  std::bitset<7> weekdays_;   // 0 = Sunday
  bool days_restricted_ = false;
  bool weekdays_restricted_ = false;
};

}  // namespace dbaas::backup
