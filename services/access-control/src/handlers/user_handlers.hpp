#pragma once

#include <nlohmann/json_fwd.hpp>

#include "domain/token_service.hpp"
#include "domain/user_service.hpp"

namespace dbaas::http {
class Router;
class Request;
class Response;
}  // namespace dbaas::http

namespace dbaas::access_control {

/// HTTP handlers of /v1/users: authenticate the caller, parse, call UserService, serialise.
class UserHandlers {
 public:
  UserHandlers(UserService& users, TokenService& tokens) : users_(users), tokens_(tokens) {}

  /// POST/GET /v1/users, GET/PATCH/DELETE /v1/users/{id}, POST /v1/users/{id}/password,
  /// POST /v1/users/{id}:unlock, GET/POST /v1/users/{id}/roles,
  /// DELETE /v1/users/{id}/roles/{role}.
  void Register(http::Router& router);

  http::Response Create(const http::Request& req) const;
  http::Response List(const http::Request& req) const;
  http::Response Get(const http::Request& req) const;
  http::Response Update(const http::Request& req) const;
  http::Response Delete(const http::Request& req) const;
  http::Response ChangePassword(const http::Request& req) const;
  http::Response Unlock(const http::Request& req) const;
  http::Response ListRoles(const http::Request& req) const;
  http::Response AssignRole(const http::Request& req) const;
  http::Response UnassignRole(const http::Request& req) const;

 private:
  UserService& users_;
  TokenService& tokens_;
};

/// Parses a create body; throws INVALID_ARGUMENT listing every problem.
UserSpec ParseUserSpec(const nlohmann::json& body);
/// Parses a PATCH body; throws INVALID_ARGUMENT listing every problem.
UserPatch ParseUserPatch(const nlohmann::json& body);
/// The public form of a user: never the password hash.
nlohmann::json UserToJson(const User& user);

}  // namespace dbaas::access_control
