#pragma once

#include <nlohmann/json_fwd.hpp>

#include "domain/api_key_service.hpp"
#include "domain/token_service.hpp"

namespace dbaas::http {
class Router;
class Request;
class Response;
}  // namespace dbaas::http

namespace dbaas::access_control {

/// HTTP handlers of /v1/api-keys. The key is in the first create response only: a create
/// replayed with the same Idempotency-Key answers the metadata with "key_shown": false.
class ApiKeyHandlers {
 public:
  ApiKeyHandlers(ApiKeyService& keys, TokenService& tokens) : keys_(keys), tokens_(tokens) {}

  /// POST/GET /v1/api-keys, GET/DELETE /v1/api-keys/{id} (DELETE revokes).
  void Register(http::Router& router);

  http::Response Create(const http::Request& req) const;
  http::Response List(const http::Request& req) const;
  http::Response Get(const http::Request& req) const;
  http::Response Revoke(const http::Request& req) const;

 private:
  ApiKeyService& keys_;
  TokenService& tokens_;
};

/// Parses a create body; throws INVALID_ARGUMENT listing every problem.
ApiKeySpec ParseApiKeySpec(const nlohmann::json& body);
/// Metadata only: never the key or its hash.
nlohmann::json ApiKeyToJson(const ApiKeyRecord& key, TimePoint now);

}  // namespace dbaas::access_control
