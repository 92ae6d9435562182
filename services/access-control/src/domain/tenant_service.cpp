#include "domain/tenant_service.hpp"

#include "dbaas/auth/authorize.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/events/event.hpp"
#include "domain/tenant_events.hpp"

namespace dbaas::access_control {

std::string HashTenantSpec(const TenantSpec& spec) {
  return RequestFingerprint(
      {spec.name, spec.display_name, std::to_string(spec.limits.max_instances),
       std::to_string(spec.limits.max_storage_gb), std::to_string(spec.limits.max_backups),
       std::to_string(spec.limits.max_connections)});
}

void TenantService::ThrowNotFound(const std::string& id) {
  throw Error(ErrorCode::kNotFound, "tenant " + id + " not found");
}

namespace {

constexpr std::string_view kResource = "tenants";

// A tenant is owned by the platform: its own users may read it (as their roles allow), only
// platform admins create, change or delete one, whatever a custom role names.
void Require(const auth::Identity& caller, std::string_view action, const std::string& id) {
  auto decision = auth::Authorize(caller, kResource, action, id);
  if (decision && action != auth::kActionRead && !caller.IsPlatformAdmin()) {
    decision = auth::Decision{false, ErrorCode::kPermissionDenied, "tenants are platform-owned"};
  }
  decision.ThrowIfDenied(kResource, action);
}

}  // namespace

CreateResult TenantService::Create(const auth::Identity& caller, const TenantSpec& spec,
                                   const RequestContext& ctx,
                                   const std::optional<std::string>& idempotency_key) {
  Require(caller, auth::kActionCreate, "");
  const auto record =
      MakeIdempotencyRecord(kResource, caller, idempotency_key, HashTenantSpec(spec));
  if (auto earlier = FindEarlierCreate(idempotency_, record)) {
    if (auto tenant = repository_.Find(*earlier)) return {*tenant, true};
    ThrowIdempotentResourceGone("tenant");
  }
  Tenant tenant;
  tenant.name = spec.name;
  tenant.display_name = spec.display_name.empty() ? spec.name : spec.display_name;
  tenant.limits = spec.limits;
  tenant.created_at = std::chrono::time_point_cast<std::chrono::milliseconds>(clock_.Now());
  tenant.updated_at = tenant.created_at;
  repository_.Create(tenant, TenantCreatedEvent(tenant, ctx.request_id), record);
  return {tenant, false};
}

Tenant TenantService::Get(const auth::Identity& caller, const std::string& id) {
  if (!TenantId::Parse(id)) ThrowNotFound(id);
  Require(caller, auth::kActionRead, id);
  auto tenant = repository_.Find(id);
  if (!tenant) ThrowNotFound(id);
  return *tenant;
}

TenantPage TenantService::List(const auth::Identity& caller, TenantListQuery query) {
  if (!caller.IsPlatformAdmin()) {
    if (caller.tenant_id.empty()) return {};
    Require(caller, auth::kActionRead, caller.tenant_id);
    query.only_id = caller.tenant_id;
  }
  return repository_.List(query);
}

Tenant TenantService::Update(const auth::Identity& caller, const std::string& id,
                             const TenantPatch& patch,
                             const std::optional<std::string>& if_match,
                             const RequestContext& ctx) {
  if (patch.Empty()) {
    throw Error(ErrorCode::kInvalidArgument, "the update changes nothing",
                {{"body", "set at least one of display_name, active, limits"}});
  }
  if (!TenantId::Parse(id)) ThrowNotFound(id);
  Require(caller, auth::kActionUpdate, id);
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(clock_.Now());
  auto updated = repository_.Update(id, [&](const Tenant& current) {
    if (if_match && *if_match != "*" && *if_match != TenantEtag(current)) {
      throw Error(ErrorCode::kAborted,
                  "tenant " + id + " was modified since it was read (ETag " + TenantEtag(current) +
                      ", If-Match " + *if_match + ")",
                  {}, {"GET the tenant again and retry with its current ETag"});
    }
    Tenant next = ApplyPatch(current, patch, now);
    return std::make_pair(next, TenantUpdatedEvent(current, next, ctx.request_id));
  });
  if (!updated) ThrowNotFound(id);
  return *updated;
}

void TenantService::Delete(const auth::Identity& caller, const std::string& id,
                          const RequestContext& ctx) {
  if (!TenantId::Parse(id)) ThrowNotFound(id);
  Require(caller, auth::kActionDelete, id);
  const bool deleted = repository_.Delete(
      id, [&](const Tenant& gone) { return TenantDeletedEvent(gone, ctx.request_id); });
  if (!deleted) ThrowNotFound(id);
}

}  // namespace dbaas::access_control
