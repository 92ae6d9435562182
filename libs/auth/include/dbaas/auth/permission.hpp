#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/common/error.hpp"

namespace dbaas::auth {

/// The fixed action vocabulary. "*" in a Permission grants all of them.
inline constexpr std::string_view kActionRead = "read";
inline constexpr std::string_view kActionCreate = "create";
inline constexpr std::string_view kActionUpdate = "update";
inline constexpr std::string_view kActionDelete = "delete";
inline constexpr std::string_view kWildcard = "*";
inline constexpr std::array<std::string_view, 4> kActions = {kActionRead, kActionCreate,
                                                             kActionUpdate, kActionDelete};

/// True for "read", "create", "update", "delete" (not "*").
bool IsAction(std::string_view action) noexcept;
/// True for "*" or a resource name: 1-64 of [a-z0-9-], starting with a letter ("api-keys").
bool IsResourceName(std::string_view resource) noexcept;

/// A grant of `actions` on `resource` ("*" = every resource). Plain data; validate input from
/// clients with Validate().
struct Permission {
  std::string resource;
  std::vector<std::string> actions;

  /// True when this permission covers `action` on `resource` (wildcards included).
  bool Grants(std::string_view resource_name, std::string_view action) const noexcept;
  /// Throws Error{INVALID_ARGUMENT} with a field violation per bad resource or action, or
  /// when actions is empty. `field` prefixes the violation paths ("permissions[2]").
  void Validate(std::string_view field = "permission") const;

  bool operator==(const Permission&) const = default;
};

/// Parses "resource:action[,action...]" (e.g. "instances:read,update" or "*:*").
/// Throws Error{INVALID_ARGUMENT}.
Permission ParsePermission(std::string_view text);
/// "resource:action,action".
std::string ToString(const Permission& permission);

}  // namespace dbaas::auth
