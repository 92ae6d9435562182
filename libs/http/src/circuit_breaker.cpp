#include "dbaas/http/circuit_breaker.hpp"

namespace dbaas::http {

CircuitBreaker::CircuitBreaker(CircuitBreakerConfig config, const Clock& clock)
    : config_(config), clock_(clock) {}

CircuitBreaker::State CircuitBreaker::StateLocked() const {
  if (state_ == State::kOpen && clock_.Now() - opened_at_ >= config_.open_duration) {
    return State::kHalfOpen;
  }
  return state_;
}

bool CircuitBreaker::Allow() {
  std::lock_guard lock(mutex_);
  switch (StateLocked()) {
    case State::kClosed:
      return true;
    case State::kOpen:
      return false;
    case State::kHalfOpen:
      if (probe_in_flight_) return false;
      state_ = State::kHalfOpen;
      probe_in_flight_ = true;
      return true;
  }
  return false;
}

void CircuitBreaker::RecordSuccess() {
  std::lock_guard lock(mutex_);
  state_ = State::kClosed;
  consecutive_failures_ = 0;
  probe_in_flight_ = false;
}

void CircuitBreaker::RecordFailure() {
  std::lock_guard lock(mutex_);
  if (state_ == State::kHalfOpen) {
    state_ = State::kOpen;
    opened_at_ = clock_.Now();
    probe_in_flight_ = false;
    return;
  }
  if (state_ == State::kOpen) return;  // a call admitted before the circuit opened
  if (++consecutive_failures_ >= config_.failure_threshold) {
    state_ = State::kOpen;
    opened_at_ = clock_.Now();
  }
}

CircuitBreaker::State CircuitBreaker::GetState() const {
  std::lock_guard lock(mutex_);
  return StateLocked();
}

}  // namespace dbaas::http
