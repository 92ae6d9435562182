#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <chrono>
#include <set>

#include "dbaas/common/id.hpp"
#include "domain/schedule_policy.hpp"

namespace dbaas::backup {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;

const TimePoint kEpoch = *ParseRfc3339("2026-01-01T00:00:00Z");

rc::Gen<TimePoint> GenTime() {
  return rc::gen::map(rc::gen::inRange<std::int64_t>(0, 3LL * 365 * 24 * 60),
                      [](std::int64_t m) { return kEpoch + minutes(m); });
}

// Property 10: Automated Backup Coverage. Every new instance's default schedule is a valid
// daily schedule firing once a day, inside 01:00-04:59 UTC, the same minute every day.
RC_GTEST_PROP(DefaultSchedule, FiresOnceADayInsideTheNightWindow, ()) {
  const auto id = InstanceId::Generate().str();
  const auto now = *GenTime();
  const auto s = DefaultSchedule(id, "ten_x", ScheduleDefaults{}, now);
  RC_ASSERT(s.enabled);
  RC_ASSERT(s.time_zone == "UTC");
  RC_ASSERT(s.retention_days == 7);
  RC_ASSERT(s.next_run_at.has_value());
  const auto cron = CronSchedule::Parse(s.cron, s.time_zone);
  auto t = *s.next_run_at;
  RC_ASSERT(t > now);
  RC_ASSERT(t - now <= hours(24));
  for (int day = 0; day < 5; ++day) {
    const auto since_midnight = t - std::chrono::floor<days>(t);
    RC_ASSERT(since_midnight >= hours(1));
    RC_ASSERT(since_midnight < hours(5));
    const auto next = cron.NextAfter(t);
    RC_ASSERT(next - t == hours(24));
    t = next;
  }
  RC_ASSERT(DefaultCron(id) == s.cron);  // deterministic for an id
}

// Property 10: the default times spread over the window rather than piling on one minute.
TEST(DefaultSchedule, SpreadsInstancesOverTheWindow) {
  std::set<std::string> crons;
  for (int i = 0; i < 200; ++i) crons.insert(DefaultCron(InstanceId::Generate().str()));
  EXPECT_GT(crons.size(), 100U);
}

// Property 10: Automated Backup Coverage, under downtime. However the scheduler's passes are
// spaced (the service down for days, or looking every 30 s), every slot that passed is covered
// by a backup taken at the first pass after it, and one pass fires at most once: a missed run
// happens once at start-up, not once per missed slot.
RC_GTEST_PROP(StepSchedule, EveryPassedSlotIsCoveredAndNoPassFiresTwice, ()) {
  const auto expression =
      *rc::gen::element<std::string>("*/5 * * * *", "0 3 * * *", "30 1 * * 1-5", "0 */6 * * *");
  const auto cron = CronSchedule::Parse(expression, "UTC");
  auto now = *GenTime();
  std::optional<TimePoint> next = cron.NextAfter(now);
  const auto gaps = *rc::gen::container<std::vector<int>>(
      rc::gen::inRange(1, 4 * 24 * 60));  // minutes between passes
  for (const int gap : gaps) {
    const auto before = now;
    now += minutes(gap);
    const bool slot_passed = cron.NextAfter(before) <= now;
    const auto step = StepSchedule(cron, next, now);
    RC_ASSERT(step.fire == slot_passed);
    RC_ASSERT(step.next_run > now);
    RC_ASSERT(step.next_run == cron.NextAfter(now));
    next = step.next_run;
  }
}

TEST(StepSchedule, ThreeDaysDownFiresOnceThenWaitsForTheNextSlot) {
  const auto cron = CronSchedule::Parse("0 3 * * *", "UTC");
  const auto slot = *ParseRfc3339("2026-03-01T03:00:00Z");
  const auto back = slot + days(3) + hours(5);  // 2026-03-04T08:00Z
  const auto step = StepSchedule(cron, slot, back);
  EXPECT_TRUE(step.fire);
  EXPECT_EQ(FormatRfc3339(step.next_run), "2026-03-05T03:00:00.000Z");
  const auto again = StepSchedule(cron, step.next_run, back + minutes(1));
  EXPECT_FALSE(again.fire);
  EXPECT_EQ(again.next_run, step.next_run);
}

TEST(StepSchedule, ANewScheduleWithoutNextRunDoesNotFire) {
  const auto cron = CronSchedule::Parse("0 3 * * *", "UTC");
  const auto now = *ParseRfc3339("2026-03-01T04:00:00Z");
  const auto step = StepSchedule(cron, std::nullopt, now);
  EXPECT_FALSE(step.fire);
  EXPECT_EQ(FormatRfc3339(step.next_run), "2026-03-02T03:00:00.000Z");
}

}  // namespace
}  // namespace dbaas::backup
