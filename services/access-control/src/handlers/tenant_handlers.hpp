#pragma once

#include <nlohmann/json_fwd.hpp>

#include "domain/tenant_service.hpp"
#include "domain/token_service.hpp"

namespace dbaas::http {
class Router;
class Request;
class Response;
}  // namespace dbaas::http

namespace dbaas::access_control {

/// HTTP handlers of /v1/tenants: authenticate the caller, parse the request, call
/// TenantService, serialise.
class TenantHandlers {
 public:
  TenantHandlers(TenantService& service, TokenService& tokens)
      : service_(service), tokens_(tokens) {}

  /// Adds POST/GET /v1/tenants and GET/PATCH/DELETE /v1/tenants/{id} to `router`.
  void Register(http::Router& router);

  http::Response Create(const http::Request& req) const;
  http::Response List(const http::Request& req) const;
  http::Response Get(const http::Request& req) const;
  http::Response Update(const http::Request& req) const;
  http::Response Delete(const http::Request& req) const;

 private:
  TenantService& service_;
  TokenService& tokens_;
};

/// Parses and validates a create body; throws INVALID_ARGUMENT listing every problem.
TenantSpec ParseTenantSpec(const nlohmann::json& body);
/// Parses and validates a PATCH body; throws INVALID_ARGUMENT listing every problem.
TenantPatch ParseTenantPatch(const nlohmann::json& body);
/// Parses page_size, page_token and active; throws INVALID_ARGUMENT.
TenantListQuery ParseTenantListQuery(const http::Request& req);
nlohmann::json TenantToJson(const Tenant& tenant);

}  // namespace dbaas::access_control
