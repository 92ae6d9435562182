#pragma once

#include "dbaas/service/caller_verifier.hpp"
#include "domain/database_service.hpp"

namespace dbaas::http {
class Router;
class Request;
class Response;
}  // namespace dbaas::http

namespace dbaas::provisioning {

/// Objects inside an instance: GET/POST /v1/instances/{id}/databases, GET/DELETE
/// .../databases/{name} (?force=true disconnects sessions first), GET/POST .../users,
/// GET/DELETE .../users/{name}, POST .../users/{name}:rotate-password, GET/POST .../roles,
/// GET/DELETE .../roles/{name}, POST .../grants and POST .../grants:revoke. Passwords appear
/// only in the answers to creating a user and rotating its password (Cache-Control: no-store).
/// Every route verifies the caller itself (CallerVerifier).
class DatabaseHandlers {
 public:
  DatabaseHandlers(DatabaseService& service, service::CallerVerifier& callers)
      : service_(service), callers_(callers) {}

  void Register(http::Router& router);

 private:
  http::Response ListDatabases(const http::Request& req) const;
  http::Response GetDatabase(const http::Request& req) const;
  http::Response CreateDatabase(const http::Request& req) const;
  http::Response DropDatabase(const http::Request& req) const;
  http::Response ListUsers(const http::Request& req) const;
  http::Response GetUser(const http::Request& req) const;
  http::Response CreateUser(const http::Request& req) const;
  http::Response RotatePassword(const http::Request& req) const;
  http::Response DropUser(const http::Request& req) const;
  http::Response ListRoles(const http::Request& req) const;
  http::Response GetRole(const http::Request& req) const;
  http::Response CreateRole(const http::Request& req) const;
  http::Response DropRole(const http::Request& req) const;
  http::Response Grant(const http::Request& req) const;
  http::Response Revoke(const http::Request& req) const;

  DatabaseService& service_;
  service::CallerVerifier& callers_;
};

}  // namespace dbaas::provisioning
