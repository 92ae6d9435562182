#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "dbaas/common/clock.hpp"

namespace dbaas::access_control {

/// Brute-force rules for one account.
struct LockoutPolicy {
  /// From this many consecutive failures on, every attempt is slowed down.
  int slow_after = 5;
  /// At this many consecutive failures the account locks for lock_duration.
  int lock_after = 10;
  std::chrono::seconds lock_duration{15 * 60};
  /// The delay of the first slowed attempt; it doubles per further failure up to max_delay.
  std::chrono::milliseconds base_delay{250};
  std::chrono::milliseconds max_delay{2000};
};

/// An account's brute-force state, as stored with the user.
struct LoginState {
  int failed_logins = 0;
  std::optional<TimePoint> locked_until;
  bool operator==(const LoginState&) const = default;
};

/// True while the account is locked at `now`.
bool IsLocked(const LoginState& state, TimePoint now) noexcept;
/// The state after a failed attempt at `now`: an expired lock starts a fresh count; reaching
/// lock_after sets locked_until = now + lock_duration. Attempts on a locked account do not
/// extend the lock.
LoginState AfterFailure(LoginState state, const LockoutPolicy& policy, TimePoint now);
/// The state after a successful login: counters cleared.
LoginState AfterSuccess(LoginState state);
/// How long to hold an attempt on an account in `state` before answering: zero below
/// slow_after failures, then base_delay doubling per further failure, capped at max_delay.
std::chrono::milliseconds AttemptDelay(const LoginState& state, const LockoutPolicy& policy);

/// A sliding-window limit on failed logins per source address (per process). Thread-safe.
class SourceLimiter {
 public:
  SourceLimiter(int max_failures, std::chrono::seconds window, const Clock& clock)
      : max_failures_(max_failures), window_(window), clock_(clock) {}

  /// When `source` has max_failures failures inside the window: how long until the oldest
  /// leaves it (at least 1 s). nullopt when it may try.
  std::optional<std::chrono::seconds> RetryAfter(const std::string& source);
  void RecordFailure(const std::string& source);

 private:
  void Prune(std::deque<TimePoint>& failures, TimePoint now) const;

  int max_failures_;
  std::chrono::seconds window_;
  const Clock& clock_;
  std::mutex mu_;
  std::unordered_map<std::string, std::deque<TimePoint>> failures_;
};

}  // namespace dbaas::access_control
