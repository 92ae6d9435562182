#pragma once

#include "dbaas/service/caller_verifier.hpp"
#include "domain/instance_service.hpp"

namespace dbaas::http {
class Router;
class Request;
class Response;
}  // namespace dbaas::http

namespace dbaas::provisioning {

/// The catalog (GET /v1/engines, /v1/instance-sizes), instances (POST/GET /v1/instances,
/// GET/DELETE /v1/instances/{id}, POST /v1/instances/{id}/start|stop|restart,
/// GET /v1/instances/{id}/credentials) and GET /v1/operations/{id}. Every route verifies the
/// caller itself (CallerVerifier), whatever the gateway already did.
class InstanceHandlers {
 public:
  InstanceHandlers(InstanceService& instances, service::CallerVerifier& callers)
      : instances_(instances), callers_(callers) {}

  void Register(http::Router& router);

 private:
  http::Response Engines(const http::Request& req) const;
  http::Response Sizes(const http::Request& req) const;
  http::Response Create(const http::Request& req) const;
  http::Response List(const http::Request& req) const;
  http::Response Get(const http::Request& req) const;
  http::Response Update(const http::Request& req) const;
  http::Response Lifecycle(const http::Request& req, const std::string& verb) const;
  http::Response GetCredentials(const http::Request& req) const;
  http::Response GetOperation(const http::Request& req) const;

  InstanceService& instances_;
  service::CallerVerifier& callers_;
};

}  // namespace dbaas::provisioning
