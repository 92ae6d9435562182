#include "domain/cron_schedule.hpp"

#include <gtest/gtest.h>

#include "dbaas/common/error.hpp"

namespace dbaas::backup {
namespace {

TimePoint At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }
std::string Next(const CronSchedule& s, const char* after) {
  return FormatRfc3339(s.NextAfter(At(after)));
}

TEST(CronSchedule, DailyAtThreeUtc) {
  const auto s = CronSchedule::Parse("0 3 * * *", "UTC");
  EXPECT_EQ(Next(s, "2026-11-25T01:00:00Z"), "2026-11-25T03:00:00.000Z");
  // Strictly after: at the firing instant the next one is a day later.
  EXPECT_EQ(Next(s, "2026-11-25T03:00:00Z"), "2026-11-26T03:00:00.000Z");
  EXPECT_EQ(Next(s, "2026-12-31T04:00:00Z"), "2027-01-01T03:00:00.000Z");
}

TEST(CronSchedule, LocalTimeInAZone) {
  // 02:30 in Berlin is 01:30 UTC in winter (CET, +01:00) and 00:30 UTC in summer (CEST).
  const auto s = CronSchedule::Parse("30 2 * * *", "Europe/Berlin");
  EXPECT_EQ(Next(s, "2026-11-25T00:00:00Z"), "2026-11-25T01:30:00.000Z");
  EXPECT_EQ(Next(s, "2026-07-01T00:00:00Z"), "2026-07-01T00:30:00.000Z");
}

TEST(CronSchedule, SpringForwardGapStillFiresThatDay) {
  // 2026-03-29: Berlin jumps from 02:00 to 03:00, so 02:30 does not exist that night; the
  // daily backup runs at the end of the gap (03:00 CEST = 01:00 UTC) instead of being lost.
  const auto s = CronSchedule::Parse("30 2 * * *", "Europe/Berlin");
  EXPECT_EQ(Next(s, "2026-03-28T12:00:00Z"), "2026-03-29T01:00:00.000Z");
  EXPECT_EQ(Next(s, "2026-03-29T01:00:00Z"), "2026-03-30T00:30:00.000Z");
}

TEST(CronSchedule, FallBackHourFiresOnce) {
  // 2026-10-25: Berlin goes from 03:00 CEST back to 02:00 CET, so 02:30 happens twice; the
  // schedule fires at the first (00:30 UTC), not again an hour later.
  const auto s = CronSchedule::Parse("30 2 * * *", "Europe/Berlin");
  EXPECT_EQ(Next(s, "2026-10-24T12:00:00Z"), "2026-10-25T00:30:00.000Z");
  EXPECT_EQ(Next(s, "2026-10-25T00:30:00Z"), "2026-10-26T01:30:00.000Z");
}

TEST(CronSchedule, ListsRangesStepsAndNames) {
  const auto s = CronSchedule::Parse("*/20 1-2 * * mon-fri", "UTC");
  // 2026-11-28 is a Saturday: the next run is Monday 01:00.
  EXPECT_EQ(Next(s, "2026-11-27T02:40:00Z"), "2026-11-30T01:00:00.000Z");
  EXPECT_EQ(Next(s, "2026-11-30T01:00:00Z"), "2026-11-30T01:20:00.000Z");
  EXPECT_EQ(Next(s, "2026-11-30T01:40:00Z"), "2026-11-30T02:00:00.000Z");
  const auto months = CronSchedule::Parse("0 0 1 jan,jul *", "UTC");
  EXPECT_EQ(Next(months, "2026-02-01T00:00:00Z"), "2026-07-01T00:00:00.000Z");
}

TEST(CronSchedule, DayOfMonthOrDayOfWeekWhenBothRestricted) {
  // Vixie semantics: the 1st of the month OR any Sunday.
  const auto s = CronSchedule::Parse("0 0 1 * 0", "UTC");
  EXPECT_EQ(Next(s, "2026-11-25T00:00:00Z"), "2026-11-29T00:00:00.000Z");  // a Sunday
  EXPECT_EQ(Next(s, "2026-11-29T00:00:00Z"), "2026-12-01T00:00:00.000Z");  // the 1st
  // Sunday as 7.
  EXPECT_EQ(Next(CronSchedule::Parse("0 0 * * 7", "UTC"), "2026-11-25T00:00:00Z"),
            "2026-11-29T00:00:00.000Z");
}

TEST(CronSchedule, Shortcuts) {
  EXPECT_EQ(Next(CronSchedule::Parse("@daily", "UTC"), "2026-11-25T10:00:00Z"),
            "2026-11-26T00:00:00.000Z");
  EXPECT_EQ(Next(CronSchedule::Parse("@hourly", "UTC"), "2026-11-25T10:00:00Z"),
            "2026-11-25T11:00:00.000Z");
  EXPECT_EQ(Next(CronSchedule::Parse("@monthly", "UTC"), "2026-11-25T10:00:00Z"),
            "2026-12-01T00:00:00.000Z");
  // Leap day: found even years ahead.
  EXPECT_EQ(Next(CronSchedule::Parse("0 0 29 2 *", "UTC"), "2026-11-25T10:00:00Z"),
            "2028-02-29T00:00:00.000Z");
}

void ExpectInvalid(const char* expression, const char* zone, const char* field) {
  try {
    CronSchedule::Parse(expression, zone);
    ADD_FAILURE() << "accepted '" << expression << "' in " << zone;
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kInvalidArgument) << expression;
    ASSERT_EQ(e.Details().size(), 1u) << expression;
    EXPECT_EQ(e.Details()[0].field, field) << expression << ": " << e.what();
  }
}

TEST(CronSchedule, RejectsBadInputNamingTheField) {
  ExpectInvalid("0 3 * *", "UTC", "cron");          // four fields
  ExpectInvalid("60 3 * * *", "UTC", "cron");       // minute out of range
  ExpectInvalid("0 24 * * *", "UTC", "cron");       // hour out of range
  ExpectInvalid("0 3 0 * *", "UTC", "cron");        // day 0
  ExpectInvalid("0 3 * 13 *", "UTC", "cron");       // month 13
  ExpectInvalid("0 3 * * 8", "UTC", "cron");        // weekday 8
  ExpectInvalid("*/0 3 * * *", "UTC", "cron");      // step 0
  ExpectInvalid("5-1 3 * * *", "UTC", "cron");      // descending range
  ExpectInvalid("x 3 * * *", "UTC", "cron");        // not a number
  ExpectInvalid("0 3 30 2 *", "UTC", "cron");       // February 30th never comes
  ExpectInvalid("@sometimes", "UTC", "cron");
  ExpectInvalid("0 3 * * *", "Mars/Olympus", "time_zone");
  ExpectInvalid("0 3 * * *", "", "time_zone");
}

}  // namespace
}  // namespace dbaas::backup
