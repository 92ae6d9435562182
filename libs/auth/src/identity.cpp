#include "dbaas/auth/identity.hpp"

#include <algorithm>

#include "dbaas/common/error.hpp"

namespace dbaas::auth {

std::string_view ToString(IdentityKind kind) noexcept {
  switch (kind) {
    case IdentityKind::kUser:
      return kKindUser;
    case IdentityKind::kApiKey:
      return kKindApiKey;
    case IdentityKind::kService:
      return kKindService;
  }
  return kKindUser;
}

IdentityKind ParseIdentityKind(std::string_view text) {
  if (text == kKindUser) return IdentityKind::kUser;
  if (text == kKindApiKey) return IdentityKind::kApiKey;
  if (text == kKindService) return IdentityKind::kService;
  throw Error(ErrorCode::kUnauthenticated, "invalid token: unknown identity kind");
}

bool Identity::IsPlatformAdmin() const noexcept {
  return std::any_of(roles.begin(), roles.end(),
                     [](const Role& role) { return role.IsPlatformAdmin(); });
}

std::vector<std::string> Identity::RoleNames() const {
  std::vector<std::string> names;
  names.reserve(roles.size());
  for (const auto& role : roles) names.push_back(role.name);
  return names;
}

std::optional<Role> ResolveBuiltInRole(std::string_view name, std::string_view /*tenant_id*/) {
  const Role* role = FindBuiltInRole(name);
  if (role == nullptr) return std::nullopt;
  return *role;
}

Identity IdentityFromClaims(const Claims& claims, const RoleResolver& resolve) {
  if (claims.sub.empty()) throw Error(ErrorCode::kUnauthenticated, "invalid token: missing sub");
  Identity identity;
  identity.subject = claims.sub;
  identity.kind = claims.kind.empty() ? IdentityKind::kUser : ParseIdentityKind(claims.kind);
  identity.tenant_id = claims.tid;
  for (const auto& name : claims.roles) {
    if (auto role = resolve(name, claims.tid)) identity.roles.push_back(std::move(*role));
  }
  return identity;
}

}  // namespace dbaas::auth
