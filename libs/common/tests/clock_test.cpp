#include "dbaas/common/clock.hpp"

#include <gtest/gtest.h>

namespace dbaas {
namespace {

using namespace std::chrono;

TEST(Rfc3339, FormatsUtcWithMillis) {
  const TimePoint t = sys_days(year(2026) / 11 / 24) + hours(20) + minutes(28) + seconds(5) +
                      milliseconds(123);
  EXPECT_EQ(FormatRfc3339(t), "2026-11-24T20:28:05.123Z");
  EXPECT_EQ(FormatRfc3339(TimePoint{}), "1970-01-01T00:00:00.000Z");
}

TEST(Rfc3339, ParsesOffsetsAndFractions) {
  const TimePoint expected = sys_days(year(2026) / 11 / 24) + hours(20);
  EXPECT_EQ(ParseRfc3339("2026-11-24T20:00:00Z"), expected);
  EXPECT_EQ(ParseRfc3339("2026-11-24T21:30:00+01:30"), expected);
  EXPECT_EQ(ParseRfc3339("2026-11-24T19:00:00-01:00"), expected);
  EXPECT_EQ(ParseRfc3339("2026-11-24T20:00:00.5Z"), expected + milliseconds(500));
}

TEST(Rfc3339, RejectsMalformed) {
  for (const char* bad : {"", "2026-11-24", "2026-11-24T20:00:00", "2026-13-01T00:00:00Z",
                          "2026-02-30T00:00:00Z", "2026-11-24T20:00:00.Z", "2026-11-24T20:00:00Zjunk",
                          "2026-11-24T25:00:00Z", "yesterday"}) {
    EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
  }
}

TEST(ManualClock, AdvancesOnlyWhenTold) {
  ManualClock clock(TimePoint{} + hours(1));
  const auto before = clock.Now();
  clock.Advance(seconds(30));
  EXPECT_EQ(clock.Now() - before, seconds(30));
}

}  // namespace
}  // namespace dbaas
