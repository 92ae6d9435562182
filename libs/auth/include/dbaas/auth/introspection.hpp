#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>

#include "dbaas/auth/identity.hpp"

namespace dbaas::auth {

/// access-control's answer to POST /v1/auth/introspect.
struct Introspection {
  bool active = false;
  /// Meaningful when active: subject, kind, tenant and the CURRENT roles with their permissions.
  Identity identity;
  /// Expiry (NumericDate seconds) when the credential has one.
  std::optional<std::int64_t> exp;
};

/// Parses {"active":false} or {"active":true,"kind","subject","tenant_id"|null,
/// "roles":[{"name","tenant_id","permissions":[{"resource","actions":[...]}]}],"exp","jti"}.
/// Throws Error{UNAVAILABLE} when the document does not have that shape (access-control
/// misbehaving is not the client's fault).
Introspection ParseIntrospection(const nlohmann::json& body);

}  // namespace dbaas::auth
