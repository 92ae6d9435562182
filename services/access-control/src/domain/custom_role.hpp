#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/auth/role.hpp"
#include "dbaas/common/clock.hpp"

namespace dbaas::access_control {

/// A role defined by a tenant, stored by access-control. Grants nothing outside its tenant.
/// Built-in roles are shown through the same shape with `built_in` set.
struct CustomRole {
  std::string id;  ///< "rol_..."
  std::string tenant_id;
  std::string name;
  std::string description;
  std::vector<auth::Permission> permissions;
  std::int64_t version = 1;
  TimePoint created_at;
  TimePoint updated_at;
  /// True for a built-in role presented in this shape (id = name, no tenant, version 0).
  bool built_in = false;

  auth::Role ToRole() const { return auth::Role{name, tenant_id, permissions}; }
};

/// A partial update of a custom role; the name and tenant are immutable.
struct RolePatch {
  std::optional<std::string> description;
  std::optional<std::vector<auth::Permission>> permissions;
  bool Empty() const noexcept { return !description && !permissions; }
};

/// nullopt when `name` is a valid role name (2-63 of [a-z0-9-], starting with a letter, not a
/// built-in role's name); otherwise the problem.
std::optional<std::string> CheckRoleName(std::string_view name);

/// A new custom role id ("rol_...").
std::string NewRoleId();
/// True when `id` looks like a custom role id.
bool IsRoleId(std::string_view id) noexcept;

}  // namespace dbaas::access_control
