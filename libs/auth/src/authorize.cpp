#include "dbaas/auth/authorize.hpp"

#include <algorithm>

namespace dbaas::auth {
namespace {

Decision Deny(ErrorCode code, std::string reason) {
  return Decision{false, code, std::move(reason)};
}

std::string Requested(std::string_view resource, std::string_view action) {
  return std::string(resource) + ":" + std::string(action);
}

}  // namespace

void Decision::ThrowIfDenied(std::string_view resource, std::string_view action) const {
  if (allowed) return;
  if (deny_code == ErrorCode::kNotFound) {
    throw Error(ErrorCode::kNotFound, std::string(resource) + " not found");
  }
  throw Error(deny_code, "permission denied: " + Requested(resource, action) + " is not granted");
}

Decision Authorize(const Identity& identity, std::string_view resource, std::string_view action,
                   std::string_view resource_tenant_id) {
  if (!IsAction(action)) return Deny(ErrorCode::kPermissionDenied, "unknown action");
  const bool platform_admin = identity.IsPlatformAdmin();
  // Tenant scoping comes first and answers NOT_FOUND, so a caller learns nothing about another
  // tenant's resources, not even that they exist.
  if (!platform_admin && !resource_tenant_id.empty() &&
      (identity.tenant_id.empty() || resource_tenant_id != identity.tenant_id)) {
    return Deny(ErrorCode::kNotFound, "resource belongs to tenant " +
                                          std::string(resource_tenant_id) + ", caller to tenant " +
                                          identity.tenant_id);
  }
  if (!platform_admin && resource_tenant_id.empty() && action != kActionRead) {
    return Deny(ErrorCode::kPermissionDenied, "only platform admins may change global resources (" +
                                                  Requested(resource, action) + ")");
  }
  const auto granting =
      std::find_if(identity.roles.begin(), identity.roles.end(), [&](const Role& role) {
        const bool applies = role.tenant_id.empty() || role.tenant_id == identity.tenant_id;
        return applies && role.Grants(resource, action);
      });
  if (granting == identity.roles.end()) {
    return Deny(ErrorCode::kPermissionDenied, "no role grants " + Requested(resource, action));
  }
  return Decision{true, ErrorCode::kPermissionDenied, "granted by role " + granting->name};
}

}  // namespace dbaas::auth
