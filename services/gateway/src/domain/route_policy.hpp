#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/auth/identity.hpp"
#include "dbaas/auth/route_table.hpp"

namespace dbaas::gateway {

/// How the gateway treats a request before authorization.
enum class Exposure {
  kProtected,  ///< needs a bearer credential and the route's permission
  kPublic,     ///< forwarded without authentication (login, revoke, JWKS)
  kBlocked,    ///< never forwarded: internal to the platform (token introspection)
};

/// Public routes: POST /v1/auth/token, POST /v1/auth/revoke, GET|HEAD /.well-known/jwks.json.
/// Blocked: any method on /v1/auth/introspect. Everything else is protected.
Exposure ExposureOf(std::string_view method, std::string_view raw_path) noexcept;

/// The permission every protected route needs (DESIGN's API sketch). Collections take the
/// action from the method; overrides: POST /v1/instances/{id}/start|stop|restart|scale ->
/// instances:update, GET /v1/instances/{id}/credentials -> credentials:read,
/// POST /v1/instances/{id}/restore -> restores:create, POST /v1/query -> queries:read,
/// POST /v1/instances/{id}/failover|switchover -> clusters:update. A request no entry matches
/// is denied (fail closed).
auth::RouteTable DefaultPermissionTable();

/// The distinct route patterns of `table` plus the public routes, for registering the
/// gateway's handler with the HTTP router (so metrics are labelled per route).
std::vector<std::string> RoutePatterns(const auth::RouteTable& table);

/// The gateway's authorization decision for a protected request. `required` is what the
/// permission table resolved (nullopt: no route). Throws Error{NOT_FOUND} when there is no
/// route, Error{PERMISSION_DENIED} when the identity lacks the permission in its own tenant
/// (platform admins hold every permission everywhere). Pure and thread-safe. Ownership of
/// individual resources is checked again by the owning service.
void AuthorizeRequest(const auth::Identity& identity,
                      const std::optional<auth::RequiredPermission>& required,
                      std::string_view method, std::string_view path);

}  // namespace dbaas::gateway
