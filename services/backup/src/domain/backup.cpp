#include "domain/backup.hpp"

#include <nlohmann/json.hpp>

namespace dbaas::backup {
namespace {

template <typename T>
nlohmann::json OrNull(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json TimeOrNull(const std::optional<TimePoint>& t) {
  return t ? nlohmann::json(FormatRfc3339(*t)) : nlohmann::json(nullptr);
}

}  // namespace

bool IsBackupType(std::string_view type) noexcept {
  return type == "full" || type == "logical";
}

bool IsBackupStatus(std::string_view status) noexcept {
  return status == kPending || status == kRunning || status == kAvailable || status == kFailed ||
         status == kCorrupt;
}

nlohmann::json BackupToJson(const BackupRecord& b) {
  return {{"id", b.id},
          {"tenant_id", b.tenant_id},
          {"instance_id", b.instance_id},
          {"engine", b.engine},
          {"engine_version",
           b.engine_version.empty() ? nlohmann::json(nullptr) : nlohmann::json(b.engine_version)},
          {"type", b.type},
          {"trigger", b.trigger},
          {"status", b.status},
          {"retention_days", b.retention_days},
          {"size_bytes", OrNull(b.size_bytes)},
          {"stored_bytes", OrNull(b.stored_bytes)},
          {"started_at", TimeOrNull(b.started_at)},
          {"finished_at", TimeOrNull(b.finished_at)},
          {"expires_at", TimeOrNull(b.expires_at)},
          {"encrypted", b.encrypted},
          {"key_id", OrNull(b.key_id)},
          {"compression", OrNull(b.compression)},
          {"checksum", OrNull(b.checksum)},
          {"storage_location", OrNull(b.storage_key)},
          {"log_start", OrNull(b.log_start)},
          {"log_end", OrNull(b.log_end)},
          {"error", OrNull(b.error)},
          {"verified_at", TimeOrNull(b.verified_at)},
          {"created_at", FormatRfc3339(b.created_at)}};
}

nlohmann::json ScheduleToJson(const Schedule& s) {
  return {{"instance_id", s.instance_id},
          {"tenant_id", s.tenant_id},
          {"cron", s.cron},
          {"time_zone", s.time_zone},
          {"retention_days", s.retention_days},
          {"type", s.type},
          {"enabled", s.enabled},
          {"next_run_at", s.enabled ? TimeOrNull(s.next_run_at) : nlohmann::json(nullptr)},
          {"last_run_at", TimeOrNull(s.last_run_at)}};
}

std::string ScheduleEtag(const Schedule& s) {
  return "\"r" + std::to_string(s.revision) + "\"";
}

nlohmann::json OperationToJson(const Operation& o) {
  auto json = service::OperationRecordToJson(o);
  json["instance_id"] = o.instance_id;
  return json;
}

}  // namespace dbaas::backup
