#include "dbaas/auth/permission.hpp"

#include <algorithm>

#include "dbaas/common/error.hpp"

namespace dbaas::auth {
namespace {

constexpr std::size_t kMaxResourceLength = 64;

}  // namespace

bool IsAction(std::string_view action) noexcept {
  return std::find(kActions.begin(), kActions.end(), action) != kActions.end();
}

bool IsResourceName(std::string_view resource) noexcept {
  if (resource == kWildcard) return true;
  if (resource.empty() || resource.size() > kMaxResourceLength) return false;
  if (resource.front() < 'a' || resource.front() > 'z') return false;
  return std::all_of(resource.begin(), resource.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool Permission::Grants(std::string_view resource_name, std::string_view action) const noexcept {
  if (resource != kWildcard && resource != resource_name) return false;
  return std::any_of(actions.begin(), actions.end(),
                     [&](const std::string& a) { return a == kWildcard || a == action; });
}

void Permission::Validate(std::string_view field) const {
  std::vector<FieldViolation> violations;
  const std::string prefix(field);
  if (!IsResourceName(resource)) {
    violations.push_back({prefix + ".resource",
                          "must be \"*\" or a resource name of lower-case letters, digits and "
                          "hyphens"});
  }
  if (actions.empty()) violations.push_back({prefix + ".actions", "must not be empty"});
  for (std::size_t i = 0; i < actions.size(); ++i) {
    if (actions[i] != kWildcard && !IsAction(actions[i])) {
      violations.push_back({prefix + ".actions[" + std::to_string(i) + "]",
                            "must be one of read, create, update, delete or \"*\""});
    }
  }
  if (!violations.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "invalid permission", std::move(violations));
  }
}

Permission ParsePermission(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    throw Error(ErrorCode::kInvalidArgument,
                "permission must look like \"resource:action[,action]\"");
  }
  Permission permission{std::string(text.substr(0, colon)), {}};
  std::string_view rest = text.substr(colon + 1);
  while (true) {
    const auto comma = rest.find(',');
    permission.actions.emplace_back(rest.substr(0, comma));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  permission.Validate();
  return permission;
}

std::string ToString(const Permission& permission) {
  std::string out = permission.resource + ":";
  for (std::size_t i = 0; i < permission.actions.size(); ++i) {
    if (i != 0) out += ',';
    out += permission.actions[i];
  }
  return out;
}

}  // namespace dbaas::auth
