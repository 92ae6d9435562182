#include "dbaas/auth/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace dbaas::auth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class RateLimiterTest : public ::testing::Test {
 protected:
  RateLimiter Make(double rate, double burst, std::size_t max_keys = 1000) {
    RateLimiter::Options options;
    options.bucket = {rate, burst};
    options.max_keys = max_keys;
    options.clock = &clock_;
    return RateLimiter(options);
  }
  ManualClock clock_{TimePoint(seconds(1'767'225'600))};
};

TEST_F(RateLimiterTest, AdmitsTheBurstThenRefuses) {
  RateLimiter limiter = Make(1, 5);
  for (int i = 0; i < 5; ++i) {
    const auto d = limiter.Take("alice");
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.remaining, 4 - i);
    EXPECT_EQ(d.limit, 5);
    EXPECT_EQ(d.retry_after_seconds, 0);
  }
  const auto refused = limiter.Take("alice");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_EQ(refused.retry_after_seconds, 1);
  EXPECT_EQ(refused.reset_seconds, 5);
  EXPECT_EQ(refused.window_seconds, 5);
  EXPECT_EQ(refused.policy_name, "default");
  // Another client has its own bucket.
  EXPECT_TRUE(limiter.Take("bob").allowed);
}

TEST_F(RateLimiterTest, RefillsAtTheRate) {
  RateLimiter limiter = Make(2, 2);
  EXPECT_TRUE(limiter.Take("k").allowed);
  EXPECT_TRUE(limiter.Take("k").allowed);
  EXPECT_FALSE(limiter.Take("k").allowed);
  clock_.Advance(milliseconds(499));
  EXPECT_FALSE(limiter.Take("k").allowed);
  clock_.Advance(milliseconds(1));
  EXPECT_TRUE(limiter.Take("k").allowed);
  clock_.Advance(seconds(60));
  const auto d = limiter.Take("k");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 1);  // never more than the burst
}

TEST_F(RateLimiterTest, RetryAfterReflectsTheCost) {
  RateLimiter limiter = Make(0.5, 10);
  EXPECT_TRUE(limiter.Take("k", 10).allowed);
  const auto d = limiter.Take("k", 3);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_seconds, 6);
  EXPECT_EQ(d.reset_seconds, 20);
  EXPECT_FALSE(limiter.Take("k", 11).allowed);  // above the burst: never
  EXPECT_THROW(limiter.Take("k", -1), Error);
}

TEST_F(RateLimiterTest, ClockSteppingBackRefillsNothing) {
  RateLimiter limiter = Make(1, 1);
  EXPECT_TRUE(limiter.Take("k").allowed);
  clock_.Advance(-seconds(3600));
  EXPECT_FALSE(limiter.Take("k").allowed);
}

TEST_F(RateLimiterTest, MemoryIsBoundedAndIdleClientsAreForgotten) {
  RateLimiter limiter = Make(1, 1, 3);
  for (const char* key : {"a", "b", "c", "d", "e"}) EXPECT_TRUE(limiter.Take(key).allowed);
  EXPECT_EQ(limiter.Size(), 3U);
  // "e" is recent and still tracked (refused); "a" was evicted and starts afresh.
  EXPECT_FALSE(limiter.Take("e").allowed);
  EXPECT_TRUE(limiter.Take("a").allowed);
  EXPECT_EQ(limiter.Size(), 3U);
}

TEST_F(RateLimiterTest, LargeLimitersShardButStayBounded) {
  RateLimiter limiter = Make(1, 1, 2048);
  for (int i = 0; i < 10'000; ++i) limiter.Take("client-" + std::to_string(i));
  EXPECT_LE(limiter.Size(), 2048U);
  EXPECT_GT(limiter.Size(), 1024U);
}

TEST_F(RateLimiterTest, ConcurrentTakesNeverOverAdmit) {
  RateLimiter limiter = Make(1, 100, 100'000);
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (limiter.Take("shared").allowed) ++admitted;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(admitted.load(), 100);
}

TEST_F(RateLimiterTest, RejectsInvalidOptions) {
  EXPECT_THROW(Make(0, 1), Error);
  EXPECT_THROW(Make(1, 0.5), Error);
  EXPECT_THROW(Make(1, 1, 0), Error);
  RateLimiter::Options options;
  options.policy_name = "bad\nname";
  EXPECT_THROW(RateLimiter{options}, Error);
}

}  // namespace
}  // namespace dbaas::auth
