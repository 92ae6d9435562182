#include "dbaas/auth/rate_limit_headers.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace dbaas::auth {
namespace {

TEST(RateLimitHeadersTest, FormatsTheDraftStructuredFields) {
  const std::vector<RateLimitPolicy> policies = {{"default", 100, 60}};
  EXPECT_EQ(FormatRateLimitPolicy(policies), R"("default";q=100;w=60)");
  const std::vector<RateLimitStatus> statuses = {{"default", 42, 17}};
  EXPECT_EQ(FormatRateLimit(statuses), R"("default";r=42;t=17)");
}

TEST(RateLimitHeadersTest, ListsSeveralPolicies) {
  const std::vector<RateLimitPolicy> policies = {{"client", 20, 2}, {"global", 5000, 1}};
  EXPECT_EQ(FormatRateLimitPolicy(policies), R"("client";q=20;w=2, "global";q=5000;w=1)");
  const std::vector<RateLimitStatus> statuses = {{"client", 0, 2}, {"global", 4999, 1}};
  EXPECT_EQ(FormatRateLimit(statuses), R"("client";r=0;t=2, "global";r=4999;t=1)");
}

TEST(RateLimitHeadersTest, EscapesAndValidatesNames) {
  const std::vector<RateLimitPolicy> quoted = {{R"(a"b\c)", 1, 1}};
  EXPECT_EQ(FormatRateLimitPolicy(quoted), R"("a\"b\\c";q=1;w=1)");
  const std::vector<RateLimitPolicy> bad = {{"tab\there", 1, 1}};
  EXPECT_THROW(FormatRateLimitPolicy(bad), Error);
  const std::vector<RateLimitStatus> negative = {{"x", -1, 1}};
  EXPECT_THROW(FormatRateLimit(negative), Error);
}

TEST(RateLimitHeadersTest, HeadersForALimiterDecision) {
  ManualClock clock(TimePoint(std::chrono::seconds(1'767'225'600)));
  RateLimiter::Options options;
  options.bucket = {10, 20};
  options.policy_name = "writes";
  options.clock = &clock;
  RateLimiter limiter(options);
  auto headers = HeadersFor(limiter.Take("k"));
  EXPECT_EQ(headers.policy, R"("writes";q=20;w=2)");
  EXPECT_EQ(headers.limit, R"("writes";r=19;t=1)");
  EXPECT_EQ(headers.retry_after, "");
  limiter.Take("k", 19);
  headers = HeadersFor(limiter.Take("k"));
  EXPECT_EQ(headers.limit, R"("writes";r=0;t=2)");
  EXPECT_EQ(headers.retry_after, "1");
}

}  // namespace
}  // namespace dbaas::auth
