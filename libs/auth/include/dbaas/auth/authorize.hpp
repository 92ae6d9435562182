#pragma once

#include <string>
#include <string_view>

#include "dbaas/auth/identity.hpp"
#include "dbaas/common/error.hpp"

namespace dbaas::auth {

/// The outcome of Authorize.
struct Decision {
  bool allowed = false;
  /// What the caller answers when denied: NOT_FOUND for a resource in another tenant (so its
  /// existence is not revealed), PERMISSION_DENIED when the caller's own-tenant roles lack the
  /// grant. Meaningless when allowed.
  ErrorCode deny_code = ErrorCode::kPermissionDenied;
  /// Why, for logs and the audit record (may name tenants; do not send it to a client on
  /// NOT_FOUND). Never holds secrets.
  std::string reason;

  explicit operator bool() const noexcept { return allowed; }
  /// Throws Error{deny_code} with a client-safe message when denied.
  void ThrowIfDenied(std::string_view resource, std::string_view action) const;
};

/// Decides whether `identity` may perform `action` on `resource` owned by `resource_tenant_id`.
/// Pure and thread-safe.
///
/// Allowed exactly when some role the identity holds grants (resource or "*", action or "*")
/// and one of:
///  - the identity is platform admin (any tenant, also global resources);
///  - resource_tenant_id equals the identity's non-empty tenant id;
///  - resource_tenant_id is empty (a global resource such as the engine catalog) and the action
///    is "read".
/// Roles belonging to another tenant than the identity's grant nothing.
/// A non-platform-admin asking about another tenant's resource is denied with NOT_FOUND before
/// its roles are consulted; any other denial is PERMISSION_DENIED.
Decision Authorize(const Identity& identity, std::string_view resource, std::string_view action,
                   std::string_view resource_tenant_id);

}  // namespace dbaas::auth
