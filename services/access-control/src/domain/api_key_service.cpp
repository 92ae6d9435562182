#include "domain/api_key_service.hpp"

#include "dbaas/auth/api_key.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/common/id.hpp"
#include "dbaas/events/event.hpp"
#include "domain/access.hpp"
#include "domain/identity_events.hpp"

namespace dbaas::access_control {
namespace {

constexpr std::string_view kResource = "api-keys";

[[noreturn]] void ThrowNotFound(const std::string& id) {
  throw Error(ErrorCode::kNotFound, "api key " + id + " not found");
}

}  // namespace

std::string NewApiKeyId() {
  return GenerateId("key");
}

bool IsApiKeyId(std::string_view id) noexcept {
  return IsValidId("key", id);
}

CreatedApiKey ApiKeyService::Create(const auth::Identity& caller, const ApiKeySpec& spec,
                                    const RequestContext& ctx,
                                    const std::optional<std::string>& idempotency_key) {
  const std::string tenant_id = spec.tenant_id.empty() ? caller.tenant_id : spec.tenant_id;
  RequireAccess(caller, kResource, auth::kActionCreate, tenant_id);
  if (!tenant_id.empty() && (!TenantId::Parse(tenant_id) || !tenants_.Find(tenant_id))) {
    throw Error(ErrorCode::kInvalidArgument, "tenant " + tenant_id + " does not exist",
                {{"tenant_id", "no such tenant"}});
  }
  std::vector<std::string> fields{tenant_id, spec.name,
                                  spec.expires_at ? FormatRfc3339(*spec.expires_at) : ""};
  fields.insert(fields.end(), spec.roles.begin(), spec.roles.end());
  const auto record =
      MakeIdempotencyRecord(kResource, caller, idempotency_key, RequestFingerprint(fields));
  if (auto earlier = FindEarlierCreate(idempotency_, record)) {
    auto existing = repository_.FindApiKey(*earlier);
    if (!existing) ThrowIdempotentResourceGone("api key");
    CreatedApiKey replay;
    replay.record = std::move(*existing);
    replay.replayed = true;
    return replay;
  }
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(clock_.Now());
  std::vector<FieldViolation> problems;
  if (spec.expires_at && *spec.expires_at <= now) {
    problems.push_back({"expires_at", "must be in the future"});
  }
  for (std::size_t i = 0; i < spec.roles.size(); ++i) {
    auto role = roles_.Resolve(spec.roles[i], tenant_id);
    if (!role) {
      problems.push_back({"roles[" + std::to_string(i) + "]", "no such role in the tenant"});
    } else if (role->IsPlatformAdmin() && !tenant_id.empty()) {
      problems.push_back(
          {"roles[" + std::to_string(i) + "]", "platform-admin needs a platform key"});
    } else if (!MayGrant(caller, *role)) {
      throw Error(ErrorCode::kPermissionDenied,
                  "permission denied: you may not grant role '" + spec.roles[i] + "'");
    }
  }
  if (!problems.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "invalid api key", std::move(problems));
  }
  auto key = auth::GenerateApiKey();
  CreatedApiKey created;
  created.record.id = NewApiKeyId();
  created.record.tenant_id = tenant_id;
  created.record.name = spec.name;
  created.record.prefix = key.prefix;
  created.record.key_hash = auth::HashApiKey(key.key);
  created.record.roles = spec.roles;
  created.record.created_by = caller.subject;
  created.record.expires_at = spec.expires_at;
  created.record.created_at = now;
  repository_.CreateApiKey(created.record, ApiKeyEvent(created.record, "created", ctx.request_id),
                           record);
  created.key = std::move(key.key);
  return created;
}

ApiKeyRecord ApiKeyService::FindVisible(const auth::Identity& caller, const std::string& id,
                                        std::string_view action) {
  if (!IsApiKeyId(id)) ThrowNotFound(id);
  auto key = repository_.FindApiKey(id);
  if (!key) ThrowNotFound(id);
  RequireAccess(caller, kResource, action, key->tenant_id);
  return *key;
}

ApiKeyRecord ApiKeyService::Get(const auth::Identity& caller, const std::string& id) {
  return FindVisible(caller, id, auth::kActionRead);
}

ApiKeyPage ApiKeyService::List(const auth::Identity& caller, ApiKeyListQuery query) {
  if (!caller.IsPlatformAdmin()) {
    if (query.tenant_id && *query.tenant_id != caller.tenant_id) {
      throw Error(ErrorCode::kNotFound, "tenant " + *query.tenant_id + " not found");
    }
    RequireAccess(caller, kResource, auth::kActionRead, caller.tenant_id);
    query.tenant_id = caller.tenant_id;
  }
  return repository_.ListApiKeys(query);
}

ApiKeyRecord ApiKeyService::Revoke(const auth::Identity& caller, const std::string& id,
                                   const RequestContext& ctx) {
  FindVisible(caller, id, auth::kActionDelete);
  auto revoked = repository_.RevokeApiKey(
      id, std::chrono::time_point_cast<std::chrono::milliseconds>(clock_.Now()),
      [&](const ApiKeyRecord& key) { return ApiKeyEvent(key, "revoked", ctx.request_id); });
  if (!revoked) ThrowNotFound(id);
  return *revoked;
}

}  // namespace dbaas::access_control
