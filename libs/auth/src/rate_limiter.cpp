#include "dbaas/auth/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <list>
#include <mutex>
#include <unordered_map>

#include "dbaas/auth/rate_limit_headers.hpp"
#include "dbaas/common/error.hpp"

namespace dbaas::auth {
namespace {

constexpr std::size_t kMaxShards = 16;
constexpr std::size_t kMinKeysPerShard = 64;
// Refill arithmetic is in floating point; a client pacing itself exactly at the rate must not
// be refused because 1/r seconds of refill came out a hair below one token.
constexpr double kEpsilon = 1e-9;

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

std::int64_t CeilSeconds(double seconds) {
  return static_cast<std::int64_t>(std::ceil(std::max(0.0, seconds) - kEpsilon));
}

}  // namespace

struct RateLimiter::Shard {
  struct Bucket {
    std::string key;
    double tokens;
    TimePoint last;
  };
  using Lru = std::list<Bucket>;

  std::mutex mutex;
  Lru lru;  // most recently used first
  std::unordered_map<std::string, Lru::iterator, StringHash, std::equal_to<>> index;
  std::size_t capacity = 0;
};

RateLimiter::RateLimiter(Options options) : options_(std::move(options)) {
  const auto& b = options_.bucket;
  if (!std::isfinite(b.rate_per_second) || b.rate_per_second <= 0) {
    throw Error(ErrorCode::kInvalidArgument, "rate limit rate must be a positive number");
  }
  if (!std::isfinite(b.burst) || b.burst < 1) {
    throw Error(ErrorCode::kInvalidArgument, "rate limit burst must be at least 1");
  }
  if (options_.max_keys == 0) {
    throw Error(ErrorCode::kInvalidArgument, "rate limiter needs room for at least one client");
  }
  if (options_.clock == nullptr)
    throw Error(ErrorCode::kInvalidArgument, "rate limiter needs a clock");
  if (options_.policy_name.empty() || !IsValidPolicyName(options_.policy_name)) {
    throw Error(ErrorCode::kInvalidArgument, "rate limit policy name must be printable ASCII");
  }
  // Sharding only pays off with many clients; small limiters keep one shard so max_keys is exact.
  shard_count_ = options_.max_keys >= kMaxShards * kMinKeysPerShard ? kMaxShards : 1;
  shards_ = std::make_unique<Shard[]>(shard_count_);
  for (std::size_t i = 0; i < shard_count_; ++i) {
    shards_[i].capacity = options_.max_keys / shard_count_;
  }
}

RateLimiter::~RateLimiter() = default;

RateLimiter::Decision RateLimiter::Take(std::string_view key, double cost) {
  if (!std::isfinite(cost) || cost < 0) {
    throw Error(ErrorCode::kInvalidArgument, "rate limit cost must be a non-negative number");
  }
  const double rate = options_.bucket.rate_per_second;
  const double burst = options_.bucket.burst;
  Shard& shard = shards_[std::hash<std::string_view>{}(key) % shard_count_];
  const TimePoint now = options_.clock->Now();

  std::lock_guard lock(shard.mutex);
  auto found = shard.index.find(key);
  if (found == shard.index.end()) {
    if (shard.index.size() >= shard.capacity) {
      shard.index.erase(shard.lru.back().key);
      shard.lru.pop_back();
    }
    shard.lru.push_front(Shard::Bucket{std::string(key), burst, now});
    found = shard.index.emplace(shard.lru.front().key, shard.lru.begin()).first;
  } else {
    shard.lru.splice(shard.lru.begin(), shard.lru, found->second);
  }
  Shard::Bucket& bucket = *found->second;
  // A clock that steps backwards refills nothing rather than draining the bucket.
  if (now > bucket.last) {
    const double elapsed = std::chrono::duration<double>(now - bucket.last).count();
    bucket.tokens = std::min(burst, bucket.tokens + elapsed * rate);
    bucket.last = now;
  }

  Decision decision;
  decision.policy_name = options_.policy_name;
  decision.limit = static_cast<std::int64_t>(std::floor(burst));
  decision.window_seconds = std::max<std::int64_t>(1, CeilSeconds(burst / rate));
  decision.allowed = cost <= burst && bucket.tokens + kEpsilon >= cost;
  if (decision.allowed) {
    bucket.tokens = std::max(0.0, bucket.tokens - cost);
  } else {
    decision.retry_after_seconds =
        cost > burst ? decision.window_seconds
                     : std::max<std::int64_t>(1, CeilSeconds((cost - bucket.tokens) / rate));
  }
  decision.remaining = static_cast<std::int64_t>(std::floor(bucket.tokens + kEpsilon));
  decision.reset_seconds = CeilSeconds((burst - bucket.tokens) / rate);
  return decision;
}

std::size_t RateLimiter::Size() const {
  std::size_t total = 0;
  for (std::size_t i = 0; i < shard_count_; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    total += shards_[i].index.size();
  }
  return total;
}

}  // namespace dbaas::auth
