#include "handlers/backup_handlers.hpp"

#include <nlohmann/json.hpp>

#include "dbaas/common/error.hpp"
#include "dbaas/http/pagination.hpp"
#include "dbaas/http/router.hpp"

namespace dbaas::backup {
namespace {

constexpr std::string_view kPageTokenKind = "b1";

}  // namespace

void BackupHandlers::Register(http::Router& router) {
  router.Post("/v1/instances/{id}/backups", [this](const http::Request& r) { return Create(r); });
  router.Get("/v1/instances/{id}/backups", [this](const http::Request& r) { return List(r); });
  router.Get("/v1/backups/{id}", [this](const http::Request& r) { return Get(r); });
  router.Delete("/v1/backups/{id}", [this](const http::Request& r) { return Delete(r); });
  router.Get("/v1/instances/{id}/backup-schedule",
             [this](const http::Request& r) { return GetSchedule(r); });
  router.Put("/v1/instances/{id}/backup-schedule",
             [this](const http::Request& r) { return PutSchedule(r); });
  router.Get("/v1/operations/{id}", [this](const http::Request& r) { return GetOperation(r); });
}

http::Response BackupHandlers::Create(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  const auto body = req.Body().empty() ? nlohmann::json::object() : req.Json();
  const auto created = backups_.Create(caller, req.PathParam("id"), body,
                                       req.Header("Idempotency-Key"), req.RequestId());
  auto response = http::Response::Accepted({{"operation", OperationToJson(created.operation)},
                                            {"backup", BackupToJson(created.backup)}});
  response.SetHeader("Location", "/v1/operations/" + created.operation.id);
  if (created.replayed) response.SetHeader("Idempotent-Replayed", "true");
  return response;
}

http::Response BackupHandlers::List(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  std::vector<FieldViolation> problems;
  const auto page = http::ReadPageParams(
      req, kPageTokenKind, [](std::string_view id) { return BackupId::Parse(id).has_value(); },
      problems);
  BackupQuery query;
  query.instance_id = req.PathParam("id");
  query.page_size = page.page_size;
  query.before_id = page.after_id;
  query.status = req.Query("status");
  query.type = req.Query("type");
  if (query.status && !IsBackupStatus(*query.status)) {
    problems.push_back({"status", "must be pending, running, available, failed or corrupt"});
  }
  if (query.type && !IsBackupType(*query.type)) {
    problems.push_back({"type", "must be full or logical"});
  }
  if (!problems.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "invalid list parameters", std::move(problems));
  }
  const auto result = backups_.List(caller, query);
  nlohmann::json items = nlohmann::json::array();
  for (const auto& b : result.backups) items.push_back(BackupToJson(b));
  return http::Response::Ok(
      nlohmann::json{{"backups", std::move(items)},
                     {"next_page_token", http::EncodePageToken(kPageTokenKind, result.last_id)}});
}

http::Response BackupHandlers::Get(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  return http::Response::Ok(BackupToJson(backups_.Get(caller, req.PathParam("id"))));
}

http::Response BackupHandlers::Delete(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  auto removed = backups_.Delete(caller, req.PathParam("id"), req.RequestId());
  auto body = BackupToJson(removed);
  body["deleted"] = true;
  return http::Response::Ok(body);
}

http::Response BackupHandlers::GetSchedule(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  const auto schedule = backups_.GetSchedule(caller, req.PathParam("id"));
  auto response = http::Response::Ok(ScheduleToJson(schedule));
  response.SetHeader("ETag", ScheduleEtag(schedule));
  return response;
}

http::Response BackupHandlers::PutSchedule(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  const auto schedule =
      backups_.PutSchedule(caller, req.PathParam("id"), req.Json(), req.Header("If-Match"));
  auto response = http::Response::Ok(ScheduleToJson(schedule));
  response.SetHeader("ETag", ScheduleEtag(schedule));
  return response;
}

http::Response BackupHandlers::GetOperation(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  return http::Response::Ok(OperationToJson(backups_.GetOperation(caller, req.PathParam("id"))));
}

}  // namespace dbaas::backup
