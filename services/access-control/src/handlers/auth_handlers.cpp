#include "handlers/auth_handlers.hpp"

#include <nlohmann/json.hpp>

#include "dbaas/auth/authorize.hpp"
#include "dbaas/common/json.hpp"
#include "dbaas/http/router.hpp"
#include "domain/login_guard.hpp"
#include "handlers/handler_support.hpp"

namespace dbaas::access_control {
namespace {

constexpr std::size_t kMaxTokenLength = 16 * 1024;

nlohmann::json PairToJson(const TokenPair& pair) {
  return {{"access_token", pair.access_token},
          {"token_type", "Bearer"},
          {"expires_in", pair.expires_in},
          {"refresh_token", pair.refresh_token}};
}

// Token responses hold secrets: no cache may keep them (RFC 6749 section 5.1).
http::Response NoStore(http::Response resp) {
  resp.SetHeader("Cache-Control", "no-store");
  resp.SetHeader("Pragma", "no-cache");
  return resp;
}

std::string ReadToken(const nlohmann::json& body) {
  json::Reader reader(body);
  auto token = reader.String("token", true, 1, kMaxTokenLength);
  reader.RejectUnknown({"token", "token_type_hint"});
  reader.Finish("token request");
  return *token;
}

}  // namespace

nlohmann::json IntrospectionToJson(const Introspection& result) {
  if (!result.active) return {{"active", false}};
  nlohmann::json roles = nlohmann::json::array();
  for (const auto& role : result.roles) {
    // A built-in role applies in the identity's tenant: report that tenant.
    auth::Role shown = role;
    if (shown.tenant_id.empty()) shown.tenant_id = result.tenant_id;
    roles.push_back(RoleToJson(shown));
  }
  return {{"active", true},
          {"kind", result.kind},
          {"subject", result.subject},
          {"tenant_id", StringOrNull(result.tenant_id)},
          {"roles", std::move(roles)},
          {"exp", result.exp ? nlohmann::json(*result.exp) : nlohmann::json(nullptr)},
          {"jti", result.jti}};
}

void AuthHandlers::Register(http::Router& router) {
  router.Post("/v1/auth/token", [this](const http::Request& r) { return Token(r); });
  router.Post("/v1/auth/introspect", [this](const http::Request& r) { return Introspect(r); });
  router.Post("/v1/auth/revoke", [this](const http::Request& r) { return Revoke(r); });
  router.Get("/.well-known/jwks.json", [this](const http::Request& r) { return Jwks(r); });
  router.Post("/v1/signing-keys:rotate", [this](const http::Request& r) { return Rotate(r); });
}

http::Response AuthHandlers::Token(const http::Request& req) const {
  const auto body = req.Json();
  json::Reader reader(body);
  const auto grant = reader.String("grant_type", false, 1, 64).value_or("password");
  const std::string source = req.ClientAddress();
  const ScopedAuditOrigin origin({req.RequestId(), req.Header("User-Agent").value_or("")});
  if (grant == "refresh_token") {
    auto refresh = reader.String("refresh_token", true, 1, 512);
    reader.RejectUnknown({"grant_type", "refresh_token"});
    reader.Finish("token request");
    return NoStore(http::Response::Ok(PairToJson(tokens_.Refresh(*refresh, source))));
  }
  if (grant != "password") reader.Fail("grant_type", "must be \"password\" or \"refresh_token\"");
  auto username = reader.String("username", true, 1, 254);
  auto password = reader.String("password", true, 1, 1024);
  reader.RejectUnknown({"grant_type", "username", "password"});
  reader.Finish("token request");
  try {
    return NoStore(http::Response::Ok(PairToJson(tokens_.Login(*username, *password, source))));
  } catch (const ThrottledError& e) {
    auto resp = http::ErrorResponse(e, req.RequestId());
    resp.SetHeader("Retry-After", std::to_string(e.RetryAfter().count()));
    return resp;
  }
}

http::Response AuthHandlers::Introspect(const http::Request& req) const {
  auto resp = http::Response::Ok(IntrospectionToJson(tokens_.Introspect(ReadToken(req.Json()))));
  resp.SetHeader("Cache-Control", "no-store");
  return resp;
}

http::Response AuthHandlers::Revoke(const http::Request& req) const {
  tokens_.Revoke(ReadToken(req.Json()));
  return http::Response::Ok(nlohmann::json::object());
}

http::Response AuthHandlers::Jwks(const http::Request&) const {
  auto resp = http::Response::Text(200, keys_.Published().Serialize(), "application/json");
  // Short enough that a rotated-in key is seen quickly; verifiers also refetch on unknown kid.
  resp.SetHeader("Cache-Control", "public, max-age=60");
  return resp;
}

http::Response AuthHandlers::Rotate(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  auth::Authorize(caller, "signing-keys", auth::kActionUpdate, "")
      .ThrowIfDenied("signing-keys", auth::kActionUpdate);
  const auto kid = keys_.Rotate();
  return http::Response::Ok({{"kid", kid}, {"status", "active"}});
}

}  // namespace dbaas::access_control
