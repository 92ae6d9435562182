#include "dbaas/auth/role.hpp"

#include <algorithm>
#include <array>

namespace dbaas::auth {
namespace {

// Action bits, in the order of kActions.
constexpr unsigned R = 1U << 0U;
constexpr unsigned C = 1U << 1U;
constexpr unsigned U = 1U << 2U;
constexpr unsigned D = 1U << 3U;
constexpr unsigned CRUD = R | C | U | D;
constexpr unsigned kNone = 0;

struct Row {
  std::string_view resource;
  unsigned tenant_admin;
  unsigned developer;
  unsigned viewer;
};

// The built-in role table documented in role.hpp; keep the two in step.
constexpr std::array<Row, 29> kTable = {{
    {"tenants", R, R, R},
    {"users", CRUD, R, R},
    {"roles", CRUD, R, R},
    {"api-keys", CRUD, R, R},
    {"audit-events", R, kNone, kNone},
    {"instances", CRUD, CRUD, R},
    {"credentials", R, kNone, kNone},
    {"databases", CRUD, CRUD, R},
    {"backups", CRUD, CRUD, R},
    {"backup-schedules", CRUD, CRUD, R},
    {"restores", CRUD, CRUD, R},
    {"operations", CRUD, CRUD, R},
    {"engines", R, R, R},
    {"instance-sizes", R, R, R},
    {"parameter-groups", CRUD, CRUD, R},
    {"metrics", R, R, R},
    {"alert-rules", CRUD, CRUD, R},
    {"alerts", CRUD, CRUD, R},
    {"notification-channels", CRUD, CRUD, R},
    {"replicas", CRUD, CRUD, R},
    {"autoscaling-policies", CRUD, CRUD, R},
    {"clusters", CRUD, CRUD, R},
    {"dr-replicas", CRUD, CRUD, R},
    {"dr-drills", CRUD, CRUD, R},
    {"costs", R, R, R},
    {"budgets", CRUD, R, R},
    {"recommendations", R, R, R},
    {"datasources", CRUD, CRUD, R},
    {"queries", CRUD, CRUD, R},
}};

std::array<std::string_view, kTable.size()> ResourceNames() {
  std::array<std::string_view, kTable.size()> names{};
  std::transform(kTable.begin(), kTable.end(), names.begin(),
                 [](const Row& row) { return row.resource; });
  return names;
}

Role FromColumn(std::string_view name, unsigned Row::*column) {
  Role role{std::string(name), {}, {}};
  for (const Row& row : kTable) {
    const unsigned bits = row.*column;
    if (bits == kNone) continue;
    Permission permission{std::string(row.resource), {}};
    for (std::size_t i = 0; i < kActions.size(); ++i) {
      if ((bits & (1U << i)) != 0) permission.actions.emplace_back(kActions[i]);
    }
    role.permissions.push_back(std::move(permission));
  }
  return role;
}

const std::array<Role, 4>& Roles() {
  static const std::array<Role, 4> roles = {
      Role{std::string(kRolePlatformAdmin), {}, {Permission{"*", {"*"}}}},
      FromColumn(kRoleTenantAdmin, &Row::tenant_admin),
      FromColumn(kRoleDeveloper, &Row::developer),
      FromColumn(kRoleViewer, &Row::viewer),
  };
  return roles;
}

}  // namespace

bool Role::Grants(std::string_view resource, std::string_view action) const noexcept {
  return std::any_of(permissions.begin(), permissions.end(),
                     [&](const Permission& p) { return p.Grants(resource, action); });
}

bool Role::IsPlatformAdmin() const noexcept {
  return name == kRolePlatformAdmin && tenant_id.empty();
}

std::span<const std::string_view> KnownResources() noexcept {
  static const auto names = ResourceNames();
  return names;
}

std::span<const Role> BuiltInRoles() {
  return Roles();
}

const Role* FindBuiltInRole(std::string_view name) noexcept {
  const auto& roles = Roles();
  const auto it =
      std::find_if(roles.begin(), roles.end(), [&](const Role& role) { return role.name == name; });
  return it == roles.end() ? nullptr : &*it;
}

}  // namespace dbaas::auth
