#pragma once

#include "dbaas/service/caller_verifier.hpp"
#include "domain/parameter_group_service.hpp"

namespace dbaas::http {
class Router;
class Request;
class Response;
}  // namespace dbaas::http

namespace dbaas::provisioning {

/// Parameter groups: POST/GET /v1/parameter-groups, GET/PATCH/DELETE
/// /v1/parameter-groups/{id} and GET /v1/parameter-groups/{id}/versions. Every route verifies
/// the caller itself (CallerVerifier), whatever the gateway already did.
class ParameterGroupHandlers {
 public:
  ParameterGroupHandlers(ParameterGroupService& groups, service::CallerVerifier& callers)
      : groups_(groups), callers_(callers) {}

  void Register(http::Router& router);

 private:
  http::Response Create(const http::Request& req) const;
  http::Response List(const http::Request& req) const;
  http::Response Get(const http::Request& req) const;
  http::Response Versions(const http::Request& req) const;
  http::Response Update(const http::Request& req) const;
  http::Response Delete(const http::Request& req) const;

  ParameterGroupService& groups_;
  service::CallerVerifier& callers_;
};

}  // namespace dbaas::provisioning
