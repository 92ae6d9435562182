#pragma once

#include <nlohmann/json_fwd.hpp>

#include "domain/signing_keys.hpp"
#include "domain/token_service.hpp"

namespace dbaas::http {
class Router;
class Request;
class Response;
}  // namespace dbaas::http

namespace dbaas::access_control {

/// HTTP handlers of the token endpoints: POST /v1/auth/token, /v1/auth/introspect,
/// /v1/auth/revoke (no caller authentication: the credential in the body is the proof),
/// GET /.well-known/jwks.json and POST /v1/signing-keys:rotate (platform admins).
class AuthHandlers {
 public:
  AuthHandlers(TokenService& tokens, SigningKeys& keys) : tokens_(tokens), keys_(keys) {}

  void Register(http::Router& router);

  http::Response Token(const http::Request& req) const;
  http::Response Introspect(const http::Request& req) const;
  http::Response Revoke(const http::Request& req) const;
  http::Response Jwks(const http::Request& req) const;
  http::Response Rotate(const http::Request& req) const;

 private:
  TokenService& tokens_;
  SigningKeys& keys_;
};

/// The introspection answer: {"active":false} or the full contract object.
nlohmann::json IntrospectionToJson(const Introspection& result);

}  // namespace dbaas::access_control
