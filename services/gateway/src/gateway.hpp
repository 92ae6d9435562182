#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "authenticator.hpp"
#include "dbaas/auth/route_table.hpp"
#include "dbaas/common/clock.hpp"
#include "dbaas/http/client.hpp"
#include "dbaas/http/router.hpp"
#include "dbaas/metrics/registry.hpp"
#include "authenticator.hpp"
#include "domain/rate_limit_policy.hpp"
#include "domain/upstream_table.hpp"
#include "gateway_config.hpp"
#include "handlers/proxy_handler.hpp"
#include "jwks_cache.hpp"
#include "upstream_health.hpp"
#include "upstreams.hpp"

namespace dbaas::gateway {

/// Everything the gateway is made of, wired together: usable inside service::Host (see app.hpp)
/// or on a bare http::Server in tests. Build once; thread-safe afterwards.
class Gateway {
 public:
  /// `registry` and `clock` must outlive the gateway. Throws Error{INVALID_ARGUMENT} for an
  /// unusable configuration.
  Gateway(GatewayConfig config, metrics::Registry& registry,
          const Clock& clock = SystemClock::Instance());
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  /// Registers GET /v1/openapi.json (the embedded OpenAPI document, public) and the
  /// (asynchronous) handler for every route of the tables, for every method, plus catch-all
  /// patterns (up to 16 segments) so unknown paths get the gateway's own answer: NOT_FOUND
  /// (with a /v1 suggestion for other API versions) and the rate-limit headers. Sets the
  /// router's response decorator, so the server's own answers carry the rate-limit headers too.
  void Register(http::Router& router) const;

  /// Named checks for /readyz: "access-control" always, and one per other configured service.
  std::vector<std::pair<std::string, std::function<bool()>>> ReadinessChecks();

  /// Hands the audit record of every answered call to `sink` (see ProxyHandler::SetAuditSink);
  /// without one nothing is audited (tests on a bare server). Call before serving.
  void SetAuditSink(ProxyHandler::AuditSink sink) {
    handler_.SetAuditSink(std::move(sink), config_.audit_reads);
  }

  const GatewayConfig& Config() const noexcept { return config_; }
  const JwksCache& Jwks() const noexcept { return jwks_; }

 private:
  GatewayConfig config_;
  UpstreamTable routes_;
  auth::RouteTable permissions_;
  Upstreams upstreams_;
  UpstreamHealth health_;
  JwksCache jwks_;
  /// The external OIDC issuer's keys and the client fetching them; null when OIDC is off.
  std::unique_ptr<http::Client> oidc_client_;
  std::unique_ptr<JwksCache> oidc_jwks_;
  IdentityCache identities_;
  Authenticator authenticator_;
  GatewayLimiter limiter_;
  ProxyHandler handler_;
};

}  // namespace dbaas::gateway
