#pragma once

#include <nlohmann/json_fwd.hpp>

#include "domain/role_service.hpp"
#include "domain/token_service.hpp"

namespace dbaas::http {
class Router;
class Request;
class Response;
}  // namespace dbaas::http

namespace dbaas::access_control {

/// HTTP handlers of /v1/roles: built-in roles (read-only) and custom roles per tenant.
class RoleHandlers {
 public:
  RoleHandlers(RoleService& roles, TokenService& tokens) : roles_(roles), tokens_(tokens) {}

  /// POST/GET /v1/roles, GET/PATCH/DELETE /v1/roles/{id} (id: rol_... or a built-in name).
  void Register(http::Router& router);

  http::Response Create(const http::Request& req) const;
  http::Response List(const http::Request& req) const;
  http::Response Get(const http::Request& req) const;
  http::Response Update(const http::Request& req) const;
  http::Response Delete(const http::Request& req) const;

 private:
  RoleService& roles_;
  TokenService& tokens_;
};

/// Parses and validates a create body (permissions via auth::Permission::Validate); throws
/// INVALID_ARGUMENT listing every problem.
RoleSpec ParseRoleSpec(const nlohmann::json& body);
RolePatch ParseRolePatch(const nlohmann::json& body);
nlohmann::json CustomRoleToJson(const CustomRole& role);

}  // namespace dbaas::access_control
