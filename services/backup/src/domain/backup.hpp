#pragma once

#include "dbaas/service/operation.hpp"

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "dbaas/common/clock.hpp"
#include "dbaas/common/id.hpp"

namespace dbaas::backup {

struct BackupTag {
  static constexpr std::string_view kPrefix = "bak";
};
/// Backup operations carry their own prefix so the gateway routes GET /v1/operations/opb_...
/// here and every other operation id to provisioning.
struct BackupOperationTag {
  static constexpr std::string_view kPrefix = "opb";
};
using BackupId = Id<BackupTag>;
using BackupOperationId = Id<BackupOperationTag>;

/// Backup states.
inline constexpr std::string_view kPending = "pending";
inline constexpr std::string_view kRunning = "running";
inline constexpr std::string_view kAvailable = "available";
inline constexpr std::string_view kFailed = "failed";
inline constexpr std::string_view kCorrupt = "corrupt";

/// True for "full" and "logical".
bool IsBackupType(std::string_view type) noexcept;
/// True for the five states above.
bool IsBackupStatus(std::string_view status) noexcept;

/// An instance as backup knows it from provisioning's events.
struct KnownInstance {
  std::string id;
  std::string tenant_id;
  std::string engine;
  std::string version;
  std::string status;  ///< provisioning's lifecycle status, e.g. "running"
  bool deleted = false;
};

/// One backup's metadata (the stored object itself lives behind the BackupExecutor).
struct BackupRecord {
  std::string id;
  std::string tenant_id;
  std::string instance_id;
  std::string engine;
  std::string engine_version;
  std::string type;     ///< "full" or "logical"
  std::string trigger;  ///< "manual" or "scheduled"
  std::string status;
  int retention_days = 7;
  std::optional<std::int64_t> size_bytes;    ///< plaintext bytes the engine tool produced
  std::optional<std::int64_t> stored_bytes;  ///< bytes in storage
  std::optional<TimePoint> started_at;
  std::optional<TimePoint> finished_at;
  std::optional<TimePoint> expires_at;
  bool encrypted = false;
  std::optional<std::string> key_id;
  std::optional<std::string> compression;
  std::optional<std::string> checksum;  ///< SHA-256 hex of the stored object
  std::optional<std::string> storage_key;
  std::optional<std::string> log_start;
  std::optional<std::string> log_end;
  std::optional<std::string> error;
  std::optional<TimePoint> verified_at;
  TimePoint created_at{};
};

/// The public form of a backup (never a storage secret).
nlohmann::json BackupToJson(const BackupRecord& backup);

/// An instance's backup schedule.
struct Schedule {
  std::string instance_id;
  std::string tenant_id;
  std::string cron;
  std::string time_zone;
  int retention_days = 7;
  std::string type;
  bool enabled = true;
  std::optional<TimePoint> next_run_at;
  std::optional<TimePoint> last_run_at;
  std::int64_t revision = 1;
};

nlohmann::json ScheduleToJson(const Schedule& schedule);
/// The schedule's ETag for If-Match; changes with every change.
std::string ScheduleEtag(const Schedule& schedule);

/// Operation states (as provisioning's).
inline constexpr std::string_view kOpPending = "pending";
inline constexpr std::string_view kOpRunning = "running";
inline constexpr std::string_view kOpSucceeded = "succeeded";
inline constexpr std::string_view kOpFailed = "failed";

/// Long-running work: type "backup", target the backup id.
struct Operation : service::OperationRecord {
  /// The instance the backup is of (target is the backup).
  std::string instance_id;
};

nlohmann::json OperationToJson(const Operation& operation);

}  // namespace dbaas::backup
