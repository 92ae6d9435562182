#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "dbaas/auth/rate_limiter.hpp"

/// The RateLimit-Policy and RateLimit response fields of the IETF httpapi draft
/// (draft-ietf-httpapi-ratelimit-headers-10/-11), which are Structured Field Lists (RFC 9651):
///   RateLimit-Policy: "default";q=100;w=60
///   RateLimit: "default";r=42;t=17
/// Each list member is the policy name as an sf-string with integer parameters.
namespace dbaas::auth {

inline constexpr std::string_view kRateLimitPolicyHeader = "RateLimit-Policy";
inline constexpr std::string_view kRateLimitHeader = "RateLimit";
inline constexpr std::string_view kRetryAfterHeader = "Retry-After";

/// One quota policy: `quota` units per `window_seconds`.
struct RateLimitPolicy {
  std::string_view name;
  std::int64_t quota = 0;
  std::int64_t window_seconds = 0;
};

/// The current state of one policy for the caller.
struct RateLimitStatus {
  std::string_view name;
  std::int64_t remaining = 0;
  std::int64_t reset_seconds = 0;
};

/// True when `name` can be an sf-string: printable ASCII (0x20-0x7E).
bool IsValidPolicyName(std::string_view name) noexcept;

/// `"name";q=Q;w=W` members joined by ", ". Throws Error{INVALID_ARGUMENT} for an invalid name
/// or a negative number.
std::string FormatRateLimitPolicy(std::span<const RateLimitPolicy> policies);
/// `"name";r=R;t=T` members joined by ", ". Throws Error{INVALID_ARGUMENT} likewise.
std::string FormatRateLimit(std::span<const RateLimitStatus> statuses);

/// The header values for one limiter decision.
struct RateLimitHeaders {
  std::string policy;       ///< RateLimit-Policy
  std::string limit;        ///< RateLimit
  std::string retry_after;  ///< Retry-After (delay-seconds); empty when the request was allowed
};
RateLimitHeaders HeadersFor(const RateLimiter::Decision& decision);

}  // namespace dbaas::auth
