#pragma once

#include <chrono>

namespace dbaas::http {

/// Exponential backoff with full jitter: the delay before retry n (0-based) is uniformly
/// random in [0, min(cap, base * 2^n)].
struct Backoff {
  std::chrono::milliseconds base{50};
  std::chrono::milliseconds cap{2000};

  /// The upper bound of the delay before retry `retry`: min(cap, base * 2^retry).
  std::chrono::milliseconds Ceiling(int retry) const noexcept;
  /// The delay for `retry` given `unit_random` in [0, 1): floor(unit_random * (Ceiling + 1ms)),
  /// so 0 <= delay <= Ceiling(retry).
  std::chrono::milliseconds Delay(int retry, double unit_random) const noexcept;
  /// Delay() with a thread-local random source.
  std::chrono::milliseconds RandomDelay(int retry) const;
};

}  // namespace dbaas::http
