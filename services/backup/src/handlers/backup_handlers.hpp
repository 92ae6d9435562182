#pragma once

#include "dbaas/service/caller_verifier.hpp"
#include "domain/backup_service.hpp"

namespace dbaas::http {
class Router;
class Request;
class Response;
}  // namespace dbaas::http

namespace dbaas::backup {

/// POST/GET /v1/instances/{id}/backups, GET/DELETE /v1/backups/{id},
/// GET/PUT /v1/instances/{id}/backup-schedule and GET /v1/operations/{id} (opb_ ids). Every
/// route verifies the caller itself (CallerVerifier), whatever the gateway already did.
class BackupHandlers {
 public:
  BackupHandlers(BackupService& backups, service::CallerVerifier& callers)
      : backups_(backups), callers_(callers) {}

  void Register(http::Router& router);

 private:
  http::Response Create(const http::Request& req) const;
  http::Response List(const http::Request& req) const;
  http::Response Get(const http::Request& req) const;
  http::Response Delete(const http::Request& req) const;
  http::Response GetSchedule(const http::Request& req) const;
  http::Response PutSchedule(const http::Request& req) const;
  http::Response GetOperation(const http::Request& req) const;

  BackupService& backups_;
  service::CallerVerifier& callers_;
};

}  // namespace dbaas::backup
