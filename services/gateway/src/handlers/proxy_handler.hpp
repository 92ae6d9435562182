#pragma once

#include <functional>

#include "authenticator.hpp"
#include "dbaas/events/audit.hpp"
#include "dbaas/auth/route_table.hpp"
#include "dbaas/http/request.hpp"
#include "dbaas/http/response.hpp"
#include "dbaas/metrics/registry.hpp"
#include "domain/rate_limit_policy.hpp"
#include "domain/upstream_table.hpp"
#include "upstreams.hpp"

namespace dbaas::gateway {

/// The gateway's one handler, for every route: authenticate, rate-limit, validate, authorize,
/// forward, and answer with the upstream's response or the standard error body. Every answer
/// carries the RateLimit-Policy and RateLimit headers once the limiter has run (that is, for
/// everything except failures to reach access-control while authenticating). Thread-safe;
/// every reference must outlive the handler.
class ProxyHandler {
 public:
  /// Takes the audit record of one answered call; must be cheap and must not throw.
  using AuditSink = std::function<void(events::AuditRecord)>;

  ProxyHandler(const UpstreamTable& routes, const auth::RouteTable& permissions,
               Authenticator& authenticator, GatewayLimiter& limiter, Upstreams& upstreams,
               metrics::CounterFamily& denied);

  http::Response Handle(const http::Request& request) const;

  /// Every call answered from then on (except CORS preflights, and reads when `reads` is
  /// false) is handed to `sink` once, denials included. Set before serving.
  void SetAuditSink(AuditSink sink, bool reads) {
    audit_ = std::move(sink);
    audit_reads_ = reads;
  }

 private:
  const UpstreamTable& routes_;
  const auth::RouteTable& permissions_;
  Authenticator& authenticator_;
  GatewayLimiter& limiter_;
  Upstreams& upstreams_;
  metrics::CounterFamily& denied_;
  AuditSink audit_;
  bool audit_reads_ = true;

  void Audit(const http::Request& request, const CachedIdentity* identity,
             const std::optional<auth::RequiredPermission>& permission, int status,
             const char* deny_reason, std::string_view failure) const;
};

}  // namespace dbaas::gateway
