#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <chrono>
#include <vector>

#include "dbaas/auth/rate_limiter.hpp"

namespace dbaas::auth {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

const TimePoint kStart{std::chrono::seconds(1'767'225'600)};

RateLimiter MakeLimiter(const ManualClock& clock, double rate, double burst) {
  RateLimiter::Options options;
  options.bucket = {rate, burst};
  options.clock = &clock;
  return RateLimiter(options);
}

// Property 30: Rate Limiting Enforcement
RC_GTEST_PROP(RateLimiterProperty, NeverAdmitsMoreThanBurstPlusRefill, ()) {
  const int rate = *rc::gen::inRange(1, 50).as("rate per second");
  const int burst = *rc::gen::inRange(1, 50).as("burst");
  const auto gaps = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 1500)).as("gaps ms");
  ManualClock clock(kStart);
  RateLimiter limiter = MakeLimiter(clock, rate, burst);

  std::vector<double> admitted_at;  // seconds since start
  double now = 0;
  for (const int gap : gaps) {
    clock.Advance(milliseconds(gap));
    now += gap / 1000.0;
    if (limiter.Take("client").allowed) admitted_at.push_back(now);
  }
  // Over every window [first, last] of admissions, the count fits burst + rate * length.
  for (std::size_t i = 0; i < admitted_at.size(); ++i) {
    for (std::size_t j = i; j < admitted_at.size(); ++j) {
      const double allowance = burst + rate * (admitted_at[j] - admitted_at[i]);
      RC_ASSERT(static_cast<double>(j - i + 1) <= allowance + 1e-6);
    }
  }
}

// Property 30: Rate Limiting Enforcement
RC_GTEST_PROP(RateLimiterProperty, ClientWithinItsRateIsNeverRefused, ()) {
  const int rate = *rc::gen::inRange(1, 1000).as("rate per second");
  const int burst = *rc::gen::inRange(1, 20).as("burst");
  const auto extra =
      *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 5000)).as("slack us");
  ManualClock clock(kStart);
  RateLimiter limiter = MakeLimiter(clock, rate, burst);
  // The exact period of the rate, rounded up to whole nanoseconds.
  const nanoseconds period((1'000'000'000 + rate - 1) / rate);

  RC_ASSERT(limiter.Take("steady").allowed);
  for (const int slack : extra) {
    clock.Advance(period + std::chrono::microseconds(slack));
    // A noisy neighbour flooding its own bucket changes nothing for the steady client.
    for (int i = 0; i < 3; ++i) limiter.Take("noisy");
    const auto decision = limiter.Take("steady");
    RC_ASSERT(decision.allowed);
    RC_ASSERT(decision.retry_after_seconds == 0);
  }
}

// Property 30: Rate Limiting Enforcement
RC_GTEST_PROP(RateLimiterProperty, RefusedClientIsToldWhenToRetry, ()) {
  const int rate = *rc::gen::inRange(1, 20).as("rate per second");
  const int burst = *rc::gen::inRange(1, 20).as("burst");
  ManualClock clock(kStart);
  RateLimiter limiter = MakeLimiter(clock, rate, burst);
  RateLimiter::Decision decision;
  do {
    decision = limiter.Take("client");
  } while (decision.allowed);
  RC_ASSERT(decision.retry_after_seconds >= 1);
  clock.Advance(std::chrono::seconds(decision.retry_after_seconds));
  RC_ASSERT(limiter.Take("client").allowed);
}

}  // namespace
}  // namespace dbaas::auth
