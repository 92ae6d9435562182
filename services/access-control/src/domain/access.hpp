#pragma once

#include <string_view>

#include "dbaas/auth/authorize.hpp"
#include "dbaas/auth/identity.hpp"

namespace dbaas::access_control {

/// Authorizes `action` on a tenant-owned `resource` (users, roles, api-keys) whose tenant is
/// `resource_tenant_id` (empty: a platform-level object, visible to platform admins only).
/// Throws NOT_FOUND for objects the caller may not see (another tenant, platform level) and
/// PERMISSION_DENIED when the caller's own-tenant roles lack the grant (auth::Authorize).
void RequireAccess(const auth::Identity& identity, std::string_view resource,
                   std::string_view action, std::string_view resource_tenant_id);

/// Whether `identity` may hand `role` to someone (a user or an API key): platform admins may
/// grant anything; others never platform-admin, and only roles of their own tenant (or built-in)
/// all of whose permissions they hold themselves, so nobody can escalate.
bool MayGrant(const auth::Identity& identity, const auth::Role& role);

}  // namespace dbaas::access_control
