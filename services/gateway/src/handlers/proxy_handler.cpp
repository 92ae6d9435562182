#include "handlers/proxy_handler.hpp"

#include "dbaas/common/log.hpp"
#include "domain/header_policy.hpp"
#include "domain/request_checks.hpp"
#include "domain/route_policy.hpp"
#include "domain/traceparent.hpp"

namespace dbaas::gateway {
namespace {

// Response headers every gateway answer carries, besides the server's own.
void Decorate(http::Response& response, const auth::RateLimitHeaders& limits) {
  if (!limits.policy.empty()) {
    response.SetHeader(std::string(auth::kRateLimitPolicyHeader), limits.policy);
    response.SetHeader(std::string(auth::kRateLimitHeader), limits.limit);
  }
  if (!limits.retry_after.empty()) {
    response.SetHeader(std::string(auth::kRetryAfterHeader), limits.retry_after);
  }
  response.SetHeader("Referrer-Policy", "no-referrer");
  response.SetHeader("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
}

}  // namespace

ProxyHandler::ProxyHandler(const UpstreamTable& routes, const auth::RouteTable& permissions,
                           Authenticator& authenticator, GatewayLimiter& limiter,
                           Upstreams& upstreams, metrics::CounterFamily& denied)
    : routes_(routes),
      permissions_(permissions),
      authenticator_(authenticator),
      limiter_(limiter),
      upstreams_(upstreams),
      denied_(denied) {}

void ProxyHandler::Audit(const http::Request& request, const CachedIdentity* identity,
                         const std::optional<auth::RequiredPermission>& permission, int status,
                         const char* deny_reason, std::string_view failure) const {
  if (!audit_) return;
  const auto method = request.GetMethod();
  if (method == http::Method::kOptions) return;
  if (!audit_reads_ && (method == http::Method::kGet || method == http::Method::kHead)) return;
  events::AuditRecord record;
  record.source = "gateway";
  record.request_id = request.RequestId();
  record.category = "api.call";
  if (identity != nullptr) {
    record.actor_type = std::string(auth::ToString(identity->identity.kind));
    record.actor_id = identity->identity.subject;
    record.tenant_id = identity->identity.tenant_id;
  }
  if (permission) record.action = permission->resource + ":" + permission->action;
  record.resource = request.RawPath();
  record.method = std::string(request.MethodName());
  record.status = status;
  if (deny_reason != nullptr || status == 401 || status == 403 || status == 429) {
    record.outcome = std::string(events::kAuditDenied);
    record.reason = deny_reason != nullptr ? deny_reason : std::string(failure);
  } else if (status >= 400) {
    record.outcome = std::string(events::kAuditFailure);
    record.reason = std::string(failure);
  } else {
    record.outcome = std::string(events::kAuditSuccess);
  }
  record.source_address = std::string(request.ClientAddress());
  record.user_agent = request.Header("User-Agent").value_or("");
  audit_(std::move(record));
}

http::Response ProxyHandler::Handle(const http::Request& request) const {
  const std::string method(request.MethodName());
  const auto& path = request.RawPath();
  auth::RateLimitHeaders limits;
  const char* deny_reason = nullptr;  // a bounded label value for the denied counter
  // What the audit record of this call needs, filled in as the checks learn it.
  std::shared_ptr<const CachedIdentity> identity;
  std::optional<auth::RequiredPermission> permission;
  try {
    const auto exposure = ExposureOf(method, path);
    permission = permissions_.Resolve(method, path);
    std::optional<Error> auth_error;
    if (exposure == Exposure::kProtected) {
      try {
        if (const auto credential = ParseAuthorization(request.Header("Authorization"))) {
          identity = authenticator_.Authenticate(*credential);
        }
      } catch (const Error& e) {
        if (e.Code() != ErrorCode::kUnauthenticated) throw;
        auth_error = e;
      }
    }

    // Unauthenticated callers (and bad credentials) are limited by address, so guessing tokens
    // is throttled too.
    const std::string client_key =
        identity ? "sub:" + std::string(auth::ToString(identity->identity.kind)) + ":" +
                       identity->identity.subject
                 : "ip:" + std::string(request.ClientAddress());
    const auto outcome = limiter_.Check(client_key, ClassifyRoute(method, path));
    limits = outcome.headers;
    if (!outcome.allowed) {
      deny_reason = outcome.limited_by == "global" ? "rate_limited_global" : "rate_limited_client";
      throw Error(ErrorCode::kResourceExhausted,
                  "too many requests; retry after " + limits.retry_after + " seconds", {},
                  {"retry after " + limits.retry_after + " seconds"});
    }

    if (auto error = CheckPathShape(path)) {
      deny_reason = "no_route";
      throw *error;
    }
    if (auto error = CheckApiVersion(path)) {
      deny_reason = "unknown_version";
      throw *error;
    }
    const auto service = routes_.ServiceFor(path);
    if (exposure == Exposure::kBlocked || !service) {
      deny_reason = "no_route";
      throw Error(ErrorCode::kNotFound, "no route for " + method + " " + path, {},
                  {"see GET /v1/openapi.json for the routes of the API"});
    }
    if (auto error = CheckBodyType(method, request.AllHeaders(), request.Body().size())) {
      throw *error;
    }
    if (exposure == Exposure::kProtected) {
      if (auth_error) {
        deny_reason = "invalid_token";
        throw *auth_error;
      }
      if (!identity) {
        deny_reason = "missing_token";
        throw Error(ErrorCode::kUnauthenticated, "this route needs Authorization: Bearer <token>",
                    {}, {"get a token with POST /v1/auth/token"});
      }
      try {
        AuthorizeRequest(identity->identity, permission, method, path);
      } catch (const Error& e) {
        deny_reason = e.Code() == ErrorCode::kNotFound ? "no_route" : "permission_denied";
        throw;
      }
    }

    auto upstream =
        upstreams_.Forward(*service, request.GetMethod(), request.Target(),
                           UpstreamRequestHeaders(request.AllHeaders(), request.RequestId(),
                                                  NextTraceparent(request.Header("traceparent")),
                                                  request.ClientAddress()),
                           request.Body());
    http::Response response;
    response.status = upstream.status;
    response.body = std::move(upstream.body);
    response.headers = ClientResponseHeaders(upstream.headers);
    Decorate(response, limits);
    Audit(request, identity.get(), permission, response.status, nullptr,
          response.status >= 400 ? "upstream_error" : "");
    return response;
  } catch (const Error& e) {
    auto response = http::ErrorResponse(e, request.RequestId());
    if (e.Code() == ErrorCode::kUnauthenticated) {
      response.SetHeader("WWW-Authenticate",
                         deny_reason != nullptr && std::string_view(deny_reason) == "invalid_token"
                             ? "Bearer realm=\"dbaas\", error=\"invalid_token\""
                             : "Bearer realm=\"dbaas\"");
    }
    if (deny_reason != nullptr) {
      denied_.WithLabels({std::to_string(response.status), deny_reason}).Inc();
    }
    if (response.status >= 500) {
      log::Warn("request failed at the gateway", {{"request_id", request.RequestId()},
                                                  {"code", std::string(ErrorCodeName(e.Code()))},
                                                  {"error", e.what()}});
    }
    Decorate(response, limits);
    Audit(request, identity.get(), permission, response.status, deny_reason,
          ErrorCodeName(e.Code()));
    return response;
  }
}

}  // namespace dbaas::gateway
