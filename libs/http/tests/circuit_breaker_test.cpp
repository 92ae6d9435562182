#include "dbaas/http/circuit_breaker.hpp"

#include <gtest/gtest.h>

namespace dbaas::http {
namespace {

using State = CircuitBreaker::State;
using std::chrono::milliseconds;

struct BreakerTest : ::testing::Test {
  ManualClock clock{TimePoint(std::chrono::hours(1000))};
  CircuitBreaker breaker{{.failure_threshold = 3, .open_duration = milliseconds(1000)}, clock};

  void Fail(int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(breaker.Allow());
      breaker.RecordFailure();
    }
  }
};

TEST_F(BreakerTest, OpensAfterThresholdConsecutiveFailures) {
  Fail(2);
  EXPECT_EQ(breaker.GetState(), State::kClosed);
  Fail(1);
  EXPECT_EQ(breaker.GetState(), State::kOpen);
  EXPECT_FALSE(breaker.Allow());
}

TEST_F(BreakerTest, SuccessResetsTheFailureCount) {
  Fail(2);
  ASSERT_TRUE(breaker.Allow());
  breaker.RecordSuccess();
  Fail(2);
  EXPECT_EQ(breaker.GetState(), State::kClosed);
}

TEST_F(BreakerTest, HalfOpenAfterCoolDownAdmitsExactlyOneProbe) {
  Fail(3);
  clock.Advance(milliseconds(999));
  EXPECT_FALSE(breaker.Allow());
  clock.Advance(milliseconds(1));
  EXPECT_EQ(breaker.GetState(), State::kHalfOpen);
  EXPECT_TRUE(breaker.Allow());
  EXPECT_FALSE(breaker.Allow());
  EXPECT_FALSE(breaker.Allow());
}

TEST_F(BreakerTest, ProbeSuccessCloses) {
  Fail(3);
  clock.Advance(milliseconds(1000));
  ASSERT_TRUE(breaker.Allow());
  breaker.RecordSuccess();
  EXPECT_EQ(breaker.GetState(), State::kClosed);
  EXPECT_TRUE(breaker.Allow());
}

TEST_F(BreakerTest, ProbeFailureReopensForAFullCoolDown) {
  Fail(3);
  clock.Advance(milliseconds(5000));
  ASSERT_TRUE(breaker.Allow());
  breaker.RecordFailure();
  EXPECT_EQ(breaker.GetState(), State::kOpen);
  clock.Advance(milliseconds(999));
  EXPECT_FALSE(breaker.Allow());
  clock.Advance(milliseconds(1));
  EXPECT_TRUE(breaker.Allow());
}

}  // namespace
}  // namespace dbaas::http
