#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/auth/oidc.hpp"
#include "dbaas/common/config.hpp"
#include "domain/rate_limit_policy.hpp"

namespace dbaas::gateway {

/// The gateway's own settings (the HTTP server's come from ServerConfig).
struct GatewayConfig {
  /// Base URL ("http://127.0.0.1:8081") per service name; services without one answer 503.
  std::map<std::string, std::string, std::less<>> upstreams;
  /// Per forwarded request, covering write and read (DBAAS_UPSTREAM_TIMEOUT).
  std::chrono::milliseconds upstream_timeout{30000};
  std::string issuer = "dbaas";
  std::string audience = "dbaas";
  std::chrono::milliseconds identity_cache_ttl{10000};
  /// Least time between two JWKS fetches caused by unknown key ids.
  std::chrono::milliseconds jwks_min_refresh{5000};
  /// How long a readiness probe result of an upstream is reused.
  std::chrono::milliseconds health_cache{3000};
  RateLimitSettings rate_limits;
  /// Whether GET/HEAD calls are audited too (every other call always is).
  bool audit_reads = true;
  /// Audit records held in memory while NATS is slow or away; more are dropped and counted.
  std::size_t audit_queue = 100'000;
  /// An external OpenID Connect issuer whose tokens are accepted too (DBAAS_OIDC_ISSUER,
  /// DBAAS_OIDC_AUDIENCE, DBAAS_OIDC_JWKS_URL, DBAAS_OIDC_LEEWAY); off when unset.
  std::optional<auth::OidcIssuerSettings> oidc;

  /// Reads DBAAS_UPSTREAM_<SERVICE> (service upper-cased, '-' as '_') for each of `services`,
  /// DBAAS_UPSTREAM_TIMEOUT (default 30s), DBAAS_TOKEN_ISSUER, DBAAS_TOKEN_AUDIENCE (default
  /// "dbaas"), DBAAS_IDENTITY_CACHE_TTL (default 10s, at most 30s), DBAAS_JWKS_MIN_REFRESH
  /// (default 5s), DBAAS_UPSTREAM_HEALTH_CACHE (default 3s), DBAAS_AUDIT_READS (default
  /// true), DBAAS_AUDIT_QUEUE (default 100000), the DBAAS_RATE_LIMIT_* quotas and the
  /// DBAAS_OIDC_* issuer settings. Problems are recorded in `cfg`, naming the variable.
  static GatewayConfig FromConfig(ConfigReader& cfg, const std::vector<std::string>& services);
};

/// "DBAAS_UPSTREAM_ACCESS_CONTROL" for "access-control".
std::string UpstreamVariable(std::string_view service);

}  // namespace dbaas::gateway
