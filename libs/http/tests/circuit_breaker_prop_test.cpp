#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "dbaas/http/backoff.hpp"
#include "dbaas/http/circuit_breaker.hpp"

namespace dbaas::http {
namespace {

using State = CircuitBreaker::State;

// Property: Circuit Breaker Fail-Fast — against a model, for any sequence of outcomes and clock
// moves: the circuit opens exactly after `threshold` consecutive failures, refuses calls while
// open, and admits one probe at a time after the cool-down.
RC_GTEST_PROP(CircuitBreaker, FollowsTheStateMachine, ()) {
  const int threshold = *rc::gen::inRange(1, 6);
  const int cool_down_ms = *rc::gen::inRange(1, 1000);
  ManualClock clock(TimePoint(std::chrono::hours(1)));
  CircuitBreaker breaker({threshold, std::chrono::milliseconds(cool_down_ms)}, clock);

  State model = State::kClosed;
  int failures = 0;
  int open_for_ms = 0;
  const auto steps = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 3));
  for (int step : steps) {
    if (step == 2) {
      const int advance = *rc::gen::inRange(0, 2 * cool_down_ms);
      clock.Advance(std::chrono::milliseconds(advance));
      open_for_ms += advance;
      continue;
    }
    const bool admitted = breaker.Allow();
    const bool cooled = open_for_ms >= cool_down_ms;
    const bool expect_admit = model == State::kClosed || (model == State::kOpen && cooled);
    RC_ASSERT(admitted == expect_admit);
    if (!admitted) continue;
    const bool success = step == 1;
    if (model == State::kOpen) {  // this call is the half-open probe
      RC_ASSERT(!breaker.Allow());
      if (success) {
        model = State::kClosed;
        failures = 0;
      } else {
        open_for_ms = 0;
      }
    } else if (success) {
      failures = 0;
    } else if (++failures >= threshold) {
      model = State::kOpen;
      open_for_ms = 0;
    }
    if (success) {
      breaker.RecordSuccess();
    } else {
      breaker.RecordFailure();
    }
  }
}

// Property: Retry Backoff Bounds — every jittered delay lies in [0, min(cap, base * 2^n)].
RC_GTEST_PROP(Backoff, DelayWithinBounds, ()) {
  const int base = *rc::gen::inRange(0, 1000);
  const int cap = *rc::gen::inRange(0, 100000);
  const int retry = *rc::gen::inRange(0, 100);
  const double r = *rc::gen::map(rc::gen::inRange(0, 1000000), [](int v) { return v / 1e6; });
  Backoff b{std::chrono::milliseconds(base), std::chrono::milliseconds(cap)};
  const auto d = b.Delay(retry, r);
  RC_ASSERT(d.count() >= 0);
  RC_ASSERT(d <= b.Ceiling(retry));
  RC_ASSERT(b.Ceiling(retry).count() <= cap);
  if (retry < 20) {
    RC_ASSERT(b.Ceiling(retry).count() == std::min<long long>(cap, static_cast<long long>(base) << retry));
  }
}

}  // namespace
}  // namespace dbaas::http
