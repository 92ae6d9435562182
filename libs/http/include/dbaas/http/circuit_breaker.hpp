#pragma once

#include <chrono>
#include <mutex>

#include "dbaas/common/clock.hpp"

namespace dbaas::http {

struct CircuitBreakerConfig {
  /// Consecutive failures that open the circuit.
  int failure_threshold = 5;
  /// How long the circuit stays open before one probe call is let through.
  std::chrono::milliseconds open_duration{10000};
};

/// Stops calling a peer that keeps failing. Closed: calls pass, consecutive failures are
/// counted. Open: calls are refused until `open_duration` has passed. Half-open: exactly one
/// probe call is let through; its success closes the circuit, its failure opens it again.
/// Thread-safe.
class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };

  /// `clock` must outlive the breaker.
  explicit CircuitBreaker(CircuitBreakerConfig config,
                          const Clock& clock = SystemClock::Instance());

  /// True when a call may proceed now. A caller that got true must report the outcome with
  /// RecordSuccess() or RecordFailure().
  bool Allow();
  void RecordSuccess();
  void RecordFailure();
  /// The current state (an open circuit whose cool-down passed reports kHalfOpen).
  State GetState() const;

 private:
  State StateLocked() const;
  CircuitBreakerConfig config_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  State state_ = State::kClosed;
  int consecutive_failures_ = 0;
  TimePoint opened_at_{};
  bool probe_in_flight_ = false;
};

}  // namespace dbaas::http
