#include "domain/custom_role.hpp"

#include "dbaas/common/id.hpp"

namespace dbaas::access_control {

std::optional<std::string> CheckRoleName(std::string_view name) {
  if (name.size() < 2 || name.size() > 63) return "must be 2 to 63 characters long";
  if (name.front() < 'a' || name.front() > 'z') return "must start with a lower-case letter";
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return "may contain only lower-case letters, digits and hyphens";
    }
  }
  if (auth::FindBuiltInRole(name) != nullptr) return "is the name of a built-in role";
  return std::nullopt;
}

std::string NewRoleId() {
  return GenerateId("rol");
}

bool IsRoleId(std::string_view id) noexcept {
  return IsValidId("rol", id);
}

}  // namespace dbaas::access_control
