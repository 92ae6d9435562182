#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "dbaas/auth/rate_limit_headers.hpp"
#include "dbaas/auth/rate_limiter.hpp"
#include "dbaas/common/clock.hpp"
#include "dbaas/common/config.hpp"

namespace dbaas::gateway {

/// The classes of routes that have their own per-client quota.
enum class RouteClass { kRead, kWrite, kAuth };

/// "reads", "writes", "auth": the policy names in the RateLimit headers.
std::string_view PolicyName(RouteClass route_class) noexcept;
/// /v1/auth/* is kAuth; otherwise GET/HEAD (and OPTIONS) are kRead, any other method kWrite.
RouteClass ClassifyRoute(std::string_view method, std::string_view raw_path) noexcept;

/// "<requests>/<seconds>[:burst]": `requests` per `seconds` on average, bursts of up to `burst`
/// (default: requests).
struct RateSpec {
  std::int64_t requests = 0;
  std::int64_t seconds = 0;
  std::int64_t burst = 0;

  auth::TokenBucket Bucket() const noexcept;
  bool operator==(const RateSpec&) const = default;
};

/// Parses a RateSpec; requests, seconds and burst must be 1..10^9. Throws
/// Error{INVALID_ARGUMENT} describing the expected format.
RateSpec ParseRateSpec(std::string_view text);

/// The quotas of the gateway.
struct RateLimitSettings {
  RateSpec reads{600, 60, 100};
  RateSpec writes{120, 60, 30};
  RateSpec auth{20, 60, 10};
  /// Shared by all clients: protects the services behind the gateway.
  RateSpec global{12000, 60, 2000};

  /// Reads DBAAS_RATE_LIMIT_READS, _WRITES, _AUTH and _GLOBAL; problems are recorded in `cfg`.
  static RateLimitSettings FromConfig(ConfigReader& cfg);
};

/// A per-client token bucket for each route class plus one global bucket. Thread-safe.
class GatewayLimiter {
 public:
  /// The outcome of one request, with the headers every response carries.
  struct Outcome {
    bool allowed = false;
    /// "client" or "global" when denied; empty when allowed.
    std::string_view limited_by;
    auth::RateLimitHeaders headers;
  };

  /// `clock` must outlive the limiter.
  GatewayLimiter(const RateLimitSettings& settings, const Clock& clock);

  /// Spends one request of `client_key` in `route_class`, then one of the global bucket. A
  /// client denied by its own quota does not drain the global bucket. The headers describe the
  /// client's class policy, or the global one when the global bucket denied.
  Outcome Check(std::string_view client_key, RouteClass route_class);

 private:
  auth::RateLimiter& For(RouteClass route_class);
  std::unique_ptr<auth::RateLimiter> reads_;
  std::unique_ptr<auth::RateLimiter> writes_;
  std::unique_ptr<auth::RateLimiter> auth_;
  std::unique_ptr<auth::RateLimiter> global_;
};

}  // namespace dbaas::gateway
