#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "dbaas/auth/permission.hpp"
#include "dbaas/auth/role.hpp"
#include "dbaas/common/clock.hpp"
#include "domain/tenant_service.hpp"

namespace dbaas::json {
class Reader;
}
namespace dbaas::http {
class Request;
}

/// Parsing and serialisation shared by the access-control handlers.
namespace dbaas::access_control {

/// The request context domain services record in events and logs.
RequestContext ContextOf(const http::Request& req);

/// An optional "tenant_id" member that may also be JSON null (read as ""). Records a violation
/// when it is neither null nor a string.
std::optional<std::string> ReadTenantId(json::Reader& reader);
/// A required-or-optional array of strings (each 1-128 characters), recording violations.
std::vector<std::string> ReadStringArray(json::Reader& reader, const std::string& field,
                                         bool required);
/// "permissions": [{"resource", "actions": [...]}, ...], validated with Permission::Validate.
std::optional<std::vector<auth::Permission>> ReadPermissions(json::Reader& reader, bool required);
/// The "tenant_id" query parameter ("" when given empty, meaning platform level).
std::optional<std::string> TenantFilter(const http::Request& req);

nlohmann::json PermissionsToJson(const std::vector<auth::Permission>& permissions);
nlohmann::json RoleToJson(const auth::Role& role);
/// RFC 3339 or JSON null.
nlohmann::json TimeOrNull(const std::optional<TimePoint>& t);
/// The string or JSON null when empty.
nlohmann::json StringOrNull(const std::string& text);

}  // namespace dbaas::access_control
