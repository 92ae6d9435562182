#pragma once

#include <functional>
#include <memory>

#include "authenticator.hpp"
#include "dbaas/events/audit.hpp"
#include "dbaas/auth/route_table.hpp"
#include "dbaas/http/request.hpp"
#include "dbaas/http/response.hpp"
#include "dbaas/http/router.hpp"
#include "dbaas/metrics/registry.hpp"
#include "domain/rate_limit_policy.hpp"
#include "domain/upstream_table.hpp"
#include "upstreams.hpp"

namespace dbaas::gateway {

/// The gateway's one handler, for every route: authenticate, rate-limit, validate, authorize,
/// forward, and answer with the upstream's response or the standard error body. Every answer
/// carries the RateLimit-Policy and RateLimit headers once the limiter has run (that is, for
/// everything except failures to reach access-control while authenticating; the gateway's
/// response decorator adds them to those). Asynchronous: runs on the server's I/O thread and
/// forwards there; only authentication that has to ask access-control (an identity-cache miss)
/// runs on the handler pool. Thread-safe; every reference must outlive the handler.
class ProxyHandler {
 public:
  /// Takes the audit record of one answered call; must be cheap and must not throw.
  using AuditSink = std::function<void(events::AuditRecord)>;

  ProxyHandler(const UpstreamTable& routes, const auth::RouteTable& permissions,
               Authenticator& authenticator, const IdentityCache& identities,
               GatewayLimiter& limiter, Upstreams& upstreams, metrics::CounterFamily& denied);

  /// An http::AsyncHandler: answers `request` through `reply` exactly once.
  void Handle(const http::Request& request, http::Reply reply) const;

  /// An http::ResponseDecorator for every answer the server writes: one Handle() did not
  /// produce (router 404/405, CORS preflight, 400/413/431/503 protocol answers, built-in and
  /// other routes) is counted against the caller's address in its route class and gets the
  /// RateLimit-Policy/RateLimit headers and the gateway's security headers; its status is
  /// kept. Handle()'s own answers already carry them and pass unchanged.
  void DecorateServerAnswer(const http::Request& request, http::Response& response) const;

  /// Every call Handle() answers from then on (except CORS preflights, and reads when `reads`
  /// is false) is handed to `sink` once, denials included. Set before serving.
  void SetAuditSink(AuditSink sink, bool reads) {
    audit_ = std::move(sink);
    audit_reads_ = reads;
  }

 private:
  struct Context;
  void Authenticate(Context& context) const;
  void Proceed(const http::Request& request, std::shared_ptr<Context> context,
               http::Reply reply) const;
  http::Response Refusal(const http::Request& request, Context& context, const Error& e) const;
  void Respond(const http::Request& request, Context& context, http::Response response,
               const http::Reply& reply) const;
  void Audit(const http::Request& request, const Context& context, int status) const;

  const UpstreamTable& routes_;
  const auth::RouteTable& permissions_;
  Authenticator& authenticator_;
  const IdentityCache& identities_;
  GatewayLimiter& limiter_;
  Upstreams& upstreams_;
  metrics::CounterFamily& denied_;
  AuditSink audit_;
  bool audit_reads_ = true;
};

}  // namespace dbaas::gateway
