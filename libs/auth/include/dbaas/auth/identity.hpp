#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/auth/claims.hpp"
#include "dbaas/auth/role.hpp"

namespace dbaas::auth {

enum class IdentityKind { kUser, kApiKey, kService };

/// "user", "api_key", "service".
std::string_view ToString(IdentityKind kind) noexcept;
/// Throws Error{UNAUTHENTICATED} for an unknown kind (it comes from a token).
IdentityKind ParseIdentityKind(std::string_view text);

/// Who is calling: the authenticated subject, its tenant and its resolved roles.
struct Identity {
  std::string subject;
  IdentityKind kind = IdentityKind::kUser;
  /// Empty only for platform-wide identities.
  std::string tenant_id;
  std::vector<Role> roles;

  /// Derived from the roles: holds the global built-in platform-admin role.
  bool IsPlatformAdmin() const noexcept;
  /// Role names, for logs and audit records.
  std::vector<std::string> RoleNames() const;
};

/// Resolves a role name in a tenant to a Role; nullopt when no such role exists.
using RoleResolver =
    std::function<std::optional<Role>(std::string_view name, std::string_view tenant_id)>;

/// Resolves the built-in roles only.
std::optional<Role> ResolveBuiltInRole(std::string_view name, std::string_view tenant_id);

/// The identity a verified token stands for: sub, kind (default "user"), tid, and the "roles"
/// claim resolved through `resolve`; unknown role names grant nothing and are dropped.
/// Throws Error{UNAUTHENTICATED} when sub is empty or kind is unknown.
Identity IdentityFromClaims(const Claims& claims, const RoleResolver& resolve = ResolveBuiltInRole);

}  // namespace dbaas::auth
