#include "handlers/api_key_handlers.hpp"

#include <nlohmann/json.hpp>

#include "dbaas/common/json.hpp"
#include "dbaas/http/pagination.hpp"
#include "dbaas/http/response.hpp"
#include "dbaas/http/router.hpp"
#include "handlers/handler_support.hpp"

namespace dbaas::access_control {
namespace {

constexpr std::string_view kPageTokenKind = "k1";

// In place of the secret in a replayed create: the key is never stored, so only the first
// answer could carry it.
constexpr std::string_view kKeyNotShownAgain =
    "the key was shown only in the response to the original request and cannot be shown again; "
    "if it was lost, revoke this key and create a new one";

}  // namespace

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
  auto created =
      keys_.Create(caller, ParseApiKeySpec(req.Json()), ContextOf(req), IdempotencyKeyOf(req));
  nlohmann::json body;
  if (created.replayed) {
    body = ApiKeyToJson(created.record, SystemClock::Instance().Now());
    body["key_shown"] = false;
    body["key_note"] = kKeyNotShownAgain;
  } else {
    body = ApiKeyToJson(created.record, created.record.created_at);
    body["key"] = created.key;
    body["key_shown"] = true;
  }
  auto resp = CreateResponse(body, created.replayed, "/v1/api-keys/" + created.record.id);
  resp.SetHeader("Cache-Control", "no-store");
  return resp;
}

http::Response ApiKeyHandlers::List(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  auto params = ParseScopedList(req, kPageTokenKind, IsApiKeyId);
  auto page = keys_.List(
      caller, {params.page_size, std::move(params.after_id), std::move(params.tenant_id)});
  const auto now = SystemClock::Instance().Now();
  nlohmann::json items = nlohmann::json::array();
  for (const auto& key : page.keys) items.push_back(ApiKeyToJson(key, now));
  nlohmann::json body{{"api_keys", std::move(items)}};
  body["next_page_token"] = http::EncodePageToken(kPageTokenKind, page.last_id);
  return http::Response::Ok(body);
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
