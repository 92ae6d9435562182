#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/auth/permission.hpp"

namespace dbaas::auth {

inline constexpr std::string_view kRolePlatformAdmin = "platform-admin";
inline constexpr std::string_view kRoleTenantAdmin = "tenant-admin";
inline constexpr std::string_view kRoleDeveloper = "developer";
inline constexpr std::string_view kRoleViewer = "viewer";

/// A named set of permissions. Built-in roles have an empty tenant_id and apply in whichever
/// tenant the identity belongs to; a custom role belongs to one tenant and grants nothing to
/// identities of any other tenant.
struct Role {
  std::string name;
  std::string tenant_id;
  std::vector<Permission> permissions;

  /// True when some permission covers `action` on `resource`.
  bool Grants(std::string_view resource, std::string_view action) const noexcept;
  /// The global built-in platform-admin role (by name and empty tenant).
  bool IsPlatformAdmin() const noexcept;
  bool operator==(const Role&) const = default;
};

/// The resources of the platform's API, in the order of the built-in role table
/// (see role.cpp). Custom roles may also name resources not listed here.
std::span<const std::string_view> KnownResources() noexcept;

/// The four built-in roles, expanded from the table below into Role values.
///
/// Built-in role table (C = create, R = read, U = update, D = delete, - = nothing).
/// platform-admin holds "*:*" in every tenant; the other three act in their own tenant only.
///
///   resource               tenant-admin  developer  viewer
///   tenants                R             R          R
///   users                  CRUD          R          R
///   roles                  CRUD          R          R
///   api-keys               CRUD          R          R
///   audit-events           R             -          -
///   instances              CRUD          CRUD       R
///   credentials            R             -          -
///   databases              CRUD          CRUD       R
///   backups                CRUD          CRUD       R
///   backup-schedules       CRUD          CRUD       R
///   restores               CRUD          CRUD       R
///   operations             CRUD          CRUD       R
///   engines                R             R          R
///   instance-sizes         R             R          R
///   parameter-groups       CRUD          CRUD       R
///   metrics                R             R          R
///   alert-rules            CRUD          CRUD       R
///   alerts                 CRUD          CRUD       R
///   notification-channels  CRUD          CRUD       R
///   replicas               CRUD          CRUD       R
///   autoscaling-policies   CRUD          CRUD       R
///   clusters               CRUD          CRUD       R
///   dr-replicas            CRUD          CRUD       R
///   dr-drills              CRUD          CRUD       R
///   costs                  R             R          R
///   budgets                CRUD          R          R
///   recommendations        R             R          R
///   datasources            CRUD          CRUD       R
///   queries                CRUD          CRUD       R
///
/// "credentials" (an instance's admin password, DESIGN: admin only) and "audit-events" are
/// withheld from developer and viewer; audit-events is read-only even for tenant-admin because the
/// audit log is append-only. Reads of global catalog resources (engines, instance-sizes) are
/// allowed to every role; see Authorize.
std::span<const Role> BuiltInRoles();
/// The built-in role with this name, or nullptr.
const Role* FindBuiltInRole(std::string_view name) noexcept;

}  // namespace dbaas::auth
