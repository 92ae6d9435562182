#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/auth/authorize.hpp"
#include "dbaas/auth/identity.hpp"
#include "dbaas/common/error.hpp"

namespace dbaas::provisioning {

/// The tenant a caller acts in: their own, or (platform administrators) the one they name in
/// `tenant_id`, which they must.
inline std::string ActingTenant(const auth::Identity& caller,
                                const std::optional<std::string>& requested,
                                std::vector<FieldViolation>& problems) {
  if (!caller.IsPlatformAdmin()) return caller.tenant_id;
  if (!requested || requested->empty()) {
    problems.push_back({"tenant_id", "platform administrators must name the tenant"});
    return {};
  }
  return *requested;
}

/// Throws PERMISSION_DENIED (NOT_FOUND across tenants) unless `caller` may do `action` on
/// `resource` of `tenant_id`.
inline void Require(const auth::Identity& caller, std::string_view resource,
                    std::string_view action, const std::string& tenant_id) {
  auth::Authorize(caller, resource, action, tenant_id).ThrowIfDenied(resource, action);
}

}  // namespace dbaas::provisioning
