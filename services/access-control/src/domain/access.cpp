#include "domain/access.hpp"

#include <algorithm>

#include "dbaas/common/error.hpp"

namespace dbaas::access_control {

void RequireAccess(const auth::Identity& identity, std::string_view resource,
                   std::string_view action, std::string_view resource_tenant_id) {
  // auth::Authorize treats an empty tenant as a global catalog entry readable by everyone;
  // platform users and platform keys are not that, so they stay invisible to tenant callers.
  if (resource_tenant_id.empty() && !identity.IsPlatformAdmin()) {
    throw Error(ErrorCode::kNotFound, std::string(resource) + " not found");
  }
  auth::Authorize(identity, resource, action, resource_tenant_id).ThrowIfDenied(resource, action);
}

bool MayGrant(const auth::Identity& identity, const auth::Role& role) {
  if (identity.IsPlatformAdmin()) return true;
  if (role.IsPlatformAdmin()) return false;
  if (!role.tenant_id.empty() && role.tenant_id != identity.tenant_id) return false;
  for (const auto& permission : role.permissions) {
    for (const auto& action : permission.actions) {
      const bool held =
          std::any_of(identity.roles.begin(), identity.roles.end(), [&](const auth::Role& mine) {
            const bool applies = mine.tenant_id.empty() || mine.tenant_id == identity.tenant_id;
            return applies && mine.Grants(permission.resource, action);
          });
      if (!held) return false;
    }
  }
  return true;
}

}  // namespace dbaas::access_control
