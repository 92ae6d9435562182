#include "domain/login_guard.hpp"

#include <algorithm>

namespace dbaas::access_control {
namespace {

// Bounds the memory an attacker rotating source addresses can make us hold.
constexpr std::size_t kMaxTrackedSources = 100'000;

}  // namespace

bool IsLocked(const LoginState& state, TimePoint now) noexcept {
  return state.locked_until && now < *state.locked_until;
}

LoginState AfterFailure(LoginState state, const LockoutPolicy& policy, TimePoint now) {
  if (IsLocked(state, now)) return state;
  if (state.locked_until) state = LoginState{};  // the lock expired: count afresh
  state.failed_logins += 1;
  if (state.failed_logins >= policy.lock_after) state.locked_until = now + policy.lock_duration;
  return state;
}

LoginState AfterSuccess(LoginState) {
  return LoginState{};
}

std::chrono::milliseconds AttemptDelay(const LoginState& state, const LockoutPolicy& policy) {
  if (state.failed_logins < policy.slow_after) return std::chrono::milliseconds(0);
  const int doublings = std::min(state.failed_logins - policy.slow_after, 16);
  return std::min(policy.base_delay * (std::int64_t{1} << doublings), policy.max_delay);
}

void SourceLimiter::Prune(std::deque<TimePoint>& failures, TimePoint now) const {
  while (!failures.empty() && failures.front() + window_ <= now) failures.pop_front();
}

std::optional<std::chrono::seconds> SourceLimiter::RetryAfter(const std::string& source) {
  const auto now = clock_.Now();
  std::lock_guard lock(mu_);
  auto it = failures_.find(source);
  if (it == failures_.end()) return std::nullopt;
  Prune(it->second, now);
  if (static_cast<int>(it->second.size()) < max_failures_) return std::nullopt;
  const auto wait = std::chrono::ceil<std::chrono::seconds>(it->second.front() + window_ - now);
  return std::max(wait, std::chrono::seconds(1));
}

void SourceLimiter::RecordFailure(const std::string& source) {
  const auto now = clock_.Now();
  std::lock_guard lock(mu_);
  if (failures_.size() >= kMaxTrackedSources) {
    for (auto it = failures_.begin(); it != failures_.end();) {
      Prune(it->second, now);
      it = it->second.empty() ? failures_.erase(it) : std::next(it);
    }
    if (failures_.size() >= kMaxTrackedSources) failures_.erase(failures_.begin());
  }
  auto& failures = failures_[source];
  Prune(failures, now);
  failures.push_back(now);
}

}  // namespace dbaas::access_control
