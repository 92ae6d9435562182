#include "handlers/api_key_handlers.hpp"

#include <nlohmann/json.hpp>

#include "dbaas/common/json.hpp"
#include "dbaas/http/router.hpp"
#include "handlers/handler_support.hpp"

namespace dbaas::access_control {

nlohmann::json ApiKeyToJson(const ApiKeyRecord& key, TimePoint now) {
  return {{"id", key.id},
          {"tenant_id", StringOrNull(key.tenant_id)},
          {"name", key.name},
          {"prefix", key.prefix},
          {"roles", key.roles},
          {"created_by", key.created_by},
          {"active", key.Usable(now)},
          {"expires_at", TimeOrNull(key.expires_at)},
          {"revoked_at", TimeOrNull(key.revoked_at)},
          {"created_at", FormatRfc3339(key.created_at)}};
}

ApiKeySpec ParseApiKeySpec(const nlohmann::json& body) {
  json::Reader reader(body);
  ApiKeySpec spec;
  spec.name = reader.String("name", true, 1, 100).value_or("");
  spec.tenant_id = ReadTenantId(reader).value_or("");
  spec.roles = ReadStringArray(reader, "roles", true);
  if (const auto* expires = reader.Member("expires_at", false); expires && !expires->is_null()) {
    auto text = reader.String("expires_at", false, 1, 64);
    if (text) {
      spec.expires_at = ParseRfc3339(*text);
      if (!spec.expires_at) reader.Fail("expires_at", "must be an RFC 3339 timestamp");
    }
  }
  reader.RejectUnknown({"name", "tenant_id", "roles", "expires_at"});
  reader.Finish("api key");
  return spec;
}

void ApiKeyHandlers::Register(http::Router& router) {
  router.Post("/v1/api-keys", [this](const http::Request& r) { return Create(r); });
  router.Get("/v1/api-keys", [this](const http::Request& r) { return List(r); });
  router.Get("/v1/api-keys/{id}", [this](const http::Request& r) { return Get(r); });
  router.Delete("/v1/api-keys/{id}", [this](const http::Request& r) { return Revoke(r); });
}

http::Response ApiKeyHandlers::Create(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  auto created = keys_.Create(caller, ParseApiKeySpec(req.Json()), ContextOf(req));
  auto body = ApiKeyToJson(created.record, created.record.created_at);
  body["key"] = created.key;
  auto resp = http::Response::Created(body);
  resp.SetHeader("Location", "/v1/api-keys/" + created.record.id);
  resp.SetHeader("Cache-Control", "no-store");
  return resp;
}

http::Response ApiKeyHandlers::List(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  const auto now = SystemClock::Instance().Now();
  nlohmann::json items = nlohmann::json::array();
  for (const auto& key : keys_.List(caller, TenantFilter(req)))
    items.push_back(ApiKeyToJson(key, now));
  return http::Response::Ok({{"api_keys", std::move(items)}});
}

http::Response ApiKeyHandlers::Get(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  return http::Response::Ok(
      ApiKeyToJson(keys_.Get(caller, req.PathParam("id")), SystemClock::Instance().Now()));
}

http::Response ApiKeyHandlers::Revoke(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  keys_.Revoke(caller, req.PathParam("id"), ContextOf(req));
  return http::Response::NoContent();
}

}  // namespace dbaas::access_control
