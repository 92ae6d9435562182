#include "handlers/proxy_handler.hpp"

#include <exception>
#include <optional>

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

// What one request has established so far; shared by the steps, which may run on two threads
// (authentication on the handler pool) but never at once.
struct ProxyHandler::Context {
  std::string method;
  Exposure exposure = Exposure::kProtected;
  std::optional<Credential> credential;
  std::shared_ptr<const CachedIdentity> identity;
  std::optional<Error> auth_error;
  std::exception_ptr failure;  // e.g. access-control unreachable while authenticating
  std::optional<auth::RequiredPermission> permission;
  auth::RateLimitHeaders limits;
  const char* deny_reason = nullptr;  // a bounded label value for the denied counter
  std::string error_code;  // of a refusal or failure, for the audit record
};

ProxyHandler::ProxyHandler(const UpstreamTable& routes, const auth::RouteTable& permissions,
                           Authenticator& authenticator, const IdentityCache& identities,
                           GatewayLimiter& limiter, Upstreams& upstreams,
                           metrics::CounterFamily& denied)
    : routes_(routes),
      permissions_(permissions),
      authenticator_(authenticator),
      identities_(identities),
      limiter_(limiter),
      upstreams_(upstreams),
      denied_(denied) {}

void ProxyHandler::Handle(const http::Request& request, http::Reply reply) const {
  auto context = std::make_shared<Context>();
  context->method = std::string(request.MethodName());
  try {
    context->exposure = ExposureOf(context->method, request.RawPath());
    if (context->exposure == Exposure::kProtected) {
      context->credential = ParseAuthorization(request.Header("Authorization"));
    }
  } catch (const Error& e) {
    if (e.Code() != ErrorCode::kUnauthenticated) throw;
    context->auth_error = e;
  }
  // Authenticating a credential the identity cache does not know asks access-control, which
  // blocks: only then does the request leave the I/O thread.
  if (context->credential && !identities_.Get(context->credential->Fingerprint())) {
    http::Offload([this, context] { Authenticate(*context); },
                  [this, &request, context, reply = std::move(reply)]() mutable {
                    Proceed(request, std::move(context), std::move(reply));
                  });
    return;
  }
  Authenticate(*context);
  Proceed(request, std::move(context), std::move(reply));
}

void ProxyHandler::Authenticate(Context& context) const {
  if (!context.credential) return;
  try {
    context.identity = authenticator_.Authenticate(*context.credential);
  } catch (const Error& e) {
    if (e.Code() == ErrorCode::kUnauthenticated) {
      context.auth_error = e;
    } else {
      context.failure = std::current_exception();
    }
  } catch (...) {
    context.failure = std::current_exception();
  }
}

void ProxyHandler::Proceed(const http::Request& request, std::shared_ptr<Context> context,
                           http::Reply reply) const {
  auto& c = *context;
  const auto& method = c.method;
  const auto& path = request.RawPath();
  try {
    if (c.failure) std::rethrow_exception(c.failure);
    // Resolved first, so even a refused call's audit record names what it tried.
    c.permission = permissions_.Resolve(method, path);

    // Unauthenticated callers (and bad credentials) are limited by address, so guessing tokens
    // is throttled too.
    const std::string client_key =
        c.identity ? "sub:" + std::string(auth::ToString(c.identity->identity.kind)) + ":" +
                         c.identity->identity.subject
                   : "ip:" + std::string(request.ClientAddress());
    const auto outcome = limiter_.Check(client_key, ClassifyRoute(method, path));
    c.limits = outcome.headers;
    if (!outcome.allowed) {
      c.deny_reason =
          outcome.limited_by == "global" ? "rate_limited_global" : "rate_limited_client";
      throw Error(ErrorCode::kResourceExhausted,
                  "too many requests; retry after " + c.limits.retry_after + " seconds", {},
                  {"retry after " + c.limits.retry_after + " seconds"});
    }

    if (auto error = CheckPathShape(path)) {
      c.deny_reason = "no_route";
      throw *error;
    }
    if (auto error = CheckApiVersion(path)) {
      c.deny_reason = "unknown_version";
      throw *error;
    }
    const auto service = routes_.ServiceFor(path);
    if (c.exposure == Exposure::kBlocked || !service) {
      c.deny_reason = "no_route";
      throw Error(ErrorCode::kNotFound, "no route for " + method + " " + path, {},
                  {"see GET /v1/openapi.json for the routes of the API"});
    }
    if (auto error = CheckBodyType(method, request.AllHeaders(), request.Body().size())) {
      throw *error;
    }
    if (c.exposure == Exposure::kProtected) {
      if (c.auth_error) {
        c.deny_reason = "invalid_token";
        throw *c.auth_error;
      }
      if (!c.identity) {
        c.deny_reason = "missing_token";
        throw Error(ErrorCode::kUnauthenticated, "this route needs Authorization: Bearer <token>",
                    {}, {"get a token with POST /v1/auth/token"});
      }
      try {
        AuthorizeRequest(c.identity->identity, c.permission, method, path);
      } catch (const Error& e) {
        c.deny_reason = e.Code() == ErrorCode::kNotFound ? "no_route" : "permission_denied";
        throw;
      }
    }

    upstreams_.ForwardAsync(
        *service, request.GetMethod(), request.Target(),
        UpstreamRequestHeaders(request.AllHeaders(), request.RequestId(),
                               NextTraceparent(request.Header("traceparent")),
                               request.ClientAddress()),
        request.Body(),
        // `reply` is copied, not moved: the catch blocks below still answer with it when
        // forwarding cannot even start.
        [this, &request, context, reply](http::AsyncResult upstream) {
          if (upstream.error) {
            Respond(request, *context, Refusal(request, *context, *upstream.error), reply);
            return;
          }
          http::Response response;
          response.status = upstream.response->status;
          response.body = std::move(upstream.response->body);
          response.headers = ClientResponseHeaders(upstream.response->headers);
          Respond(request, *context, std::move(response), reply);
        });
  } catch (const Error& e) {
    Respond(request, c, Refusal(request, c, e), reply);
  } catch (const std::exception& e) {
    log::Error("unhandled exception in the gateway",
               {{"request_id", request.RequestId()}, {"error", e.what()}});
    Respond(request, c, Refusal(request, c, Error(ErrorCode::kInternal, "internal error")), reply);
  }
}

http::Response ProxyHandler::Refusal(const http::Request& request, Context& context,
                                     const Error& e) const {
  auto response = http::ErrorResponse(e, request.RequestId());
  context.error_code = std::string(ErrorCodeName(e.Code()));
  const char* deny_reason = context.deny_reason;
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
  return response;
}

// The one place every answer of the handler passes, forwarded or refused: the final status,
// the identity (when known), the resolved permission and the deny reason are all in `context`.
void ProxyHandler::Respond(const http::Request& request, Context& context,
                           http::Response response, const http::Reply& reply) const {
  Decorate(response, context.limits);
  Audit(request, context, response.status);
  reply(std::move(response));
}

void ProxyHandler::Audit(const http::Request& request, const Context& context,
                         int status) const {
  if (!audit_) return;
  const auto method = request.GetMethod();
  if (method == http::Method::kOptions) return;
  if (!audit_reads_ && (method == http::Method::kGet || method == http::Method::kHead)) return;
  events::AuditRecord record;
  record.source = "gateway";
  record.request_id = request.RequestId();
  record.category = "api.call";
  if (context.identity) {
    record.actor_type = std::string(auth::ToString(context.identity->identity.kind));
    record.actor_id = context.identity->identity.subject;
    record.tenant_id = context.identity->identity.tenant_id;
  }
  if (context.permission) {
    record.action = context.permission->resource + ":" + context.permission->action;
  }
  record.resource = request.RawPath();
  record.method = context.method;
  record.status = status;
  const std::string failure =
      !context.error_code.empty() ? context.error_code : status >= 400 ? "upstream_error" : "";
  if (context.deny_reason != nullptr || status == 401 || status == 403 || status == 429) {
    record.outcome = std::string(events::kAuditDenied);
    record.reason = context.deny_reason != nullptr ? context.deny_reason : failure;
  } else if (status >= 400) {
    record.outcome = std::string(events::kAuditFailure);
    record.reason = failure;
  } else {
    record.outcome = std::string(events::kAuditSuccess);
  }
  record.source_address = std::string(request.ClientAddress());
  record.user_agent = request.Header("User-Agent").value_or("");
  audit_(std::move(record));
}

void ProxyHandler::DecorateServerAnswer(const http::Request& request,
                                        http::Response& response) const {
  if (response.headers.Has(auth::kRateLimitPolicyHeader)) return;
  const auto outcome = limiter_.Check("ip:" + request.ClientAddress(),
                                      ClassifyRoute(request.MethodName(), request.RawPath()));
  Decorate(response, outcome.headers);
}

}  // namespace dbaas::gateway
