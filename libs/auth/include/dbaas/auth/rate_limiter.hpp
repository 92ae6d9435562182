#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "dbaas/common/clock.hpp"
#include "dbaas/common/error.hpp"

namespace dbaas::auth {

/// A token bucket: holds up to `burst` tokens, refilled continuously at `rate_per_second`.
/// Over any interval of length T a client is admitted at most burst + rate_per_second * T cost.
struct TokenBucket {
  double rate_per_second = 10;
  double burst = 20;
};

/// Per-client token buckets with bounded memory. Thread-safe: Take may be called concurrently.
class RateLimiter {
 public:
  struct Options {
    TokenBucket bucket;
    /// Most clients tracked at once. When full, the least recently used bucket is dropped; an
    /// idle client's bucket has refilled completely, so forgetting it changes nothing.
    std::size_t max_keys = 100'000;
    /// The policy name reported in the RateLimit-Policy / RateLimit headers.
    std::string policy_name = "default";
    /// Must outlive the limiter.
    const Clock* clock = &SystemClock::Instance();
  };

  /// Everything needed to answer and to write the rate-limit headers.
  struct Decision {
    bool allowed = false;
    /// The quota: the bucket's burst, in request units (RateLimit-Policy q).
    std::int64_t limit = 0;
    /// Whole tokens left after this request (RateLimit r).
    std::int64_t remaining = 0;
    /// Seconds until the bucket is full again (RateLimit t), rounded up.
    std::int64_t reset_seconds = 0;
    /// Seconds until a request of the same cost would be admitted (Retry-After), rounded up and
    /// at least 1; 0 when allowed.
    std::int64_t retry_after_seconds = 0;
    /// Seconds for an empty bucket to refill the whole burst (RateLimit-Policy w), at least 1.
    std::int64_t window_seconds = 0;
    /// Points into the limiter's options; valid while the limiter lives.
    std::string_view policy_name;

    explicit operator bool() const noexcept { return allowed; }
  };

  /// Throws Error{INVALID_ARGUMENT} when rate or burst is not positive and finite, burst < 1,
  /// max_keys is 0, clock is null or the policy name is not a printable ASCII string.
  explicit RateLimiter(Options options);
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  /// Spends `cost` tokens of `key`'s bucket when it holds that many; otherwise spends nothing.
  /// A cost above burst can never be admitted. Throws Error{INVALID_ARGUMENT} for a cost that
  /// is negative or not finite.
  Decision Take(std::string_view key, double cost = 1);

  /// Buckets currently tracked (for metrics and tests).
  std::size_t Size() const;
  const Options& Config() const noexcept { return options_; }

 private:
  struct Shard;
  Options options_;
  std::size_t shard_count_ = 1;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace dbaas::auth
