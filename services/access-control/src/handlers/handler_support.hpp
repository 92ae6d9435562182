#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
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
class Response;
}  // namespace dbaas::http

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

/// The query of a list of tenant-owned objects (users, roles, API keys).
struct ScopedListParams {
  std::size_t page_size = 20;
  /// Decoded from page_token: the last id of the previous page.
  std::optional<std::string> after_id;
  std::optional<std::string> tenant_id;
};
/// Reads page_size, page_token (of `token_kind`, holding an id `is_valid_id` accepts) and the
/// tenant filter; throws INVALID_ARGUMENT listing every problem.
ScopedListParams ParseScopedList(const http::Request& req, std::string_view token_kind,
                                 const std::function<bool(std::string_view)>& is_valid_id);

/// The Idempotency-Key header when sent; INVALID_ARGUMENT unless it is 1 to 255 characters.
std::optional<std::string> IdempotencyKeyOf(const http::Request& req);
/// The answer to a create: 201 with Location, or for a replay of an earlier create with the
/// same Idempotency-Key 200 with Location and "Idempotent-Replayed: true".
http::Response CreateResponse(const nlohmann::json& body, bool replayed,
                              const std::string& location);

nlohmann::json PermissionsToJson(const std::vector<auth::Permission>& permissions);
nlohmann::json RoleToJson(const auth::Role& role);
/// RFC 3339 or JSON null.
nlohmann::json TimeOrNull(const std::optional<TimePoint>& t);
/// The string or JSON null when empty.
nlohmann::json StringOrNull(const std::string& text);

}  // namespace dbaas::access_control
