#pragma once

#include "domain/audit_log.hpp"
#include "domain/token_service.hpp"

namespace dbaas::http {
class Router;
class Request;
class Response;
}  // namespace dbaas::http

namespace dbaas::access_control {

/// GET /v1/audit-events (filters + pagination, newest first), GET /v1/audit-events/{id} and
/// GET /v1/audit-events:verify. There is no route that changes or deletes an entry.
class AuditHandlers {
 public:
  AuditHandlers(AuditLog& log, TokenService& tokens) : log_(log), tokens_(tokens) {}

  void Register(http::Router& router);

  http::Response List(const http::Request& req) const;
  http::Response Get(const http::Request& req) const;
  http::Response Verify(const http::Request& req) const;

 private:
  AuditLog& log_;
  TokenService& tokens_;
};

}  // namespace dbaas::access_control
