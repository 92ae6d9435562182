#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <set>
#include <string>

#include "dbaas/auth/identity.hpp"
#include "dbaas/common/clock.hpp"
#include "dbaas/events/event.hpp"
#include "domain/backup_executor.hpp"
#include "domain/schedule_policy.hpp"
#include "repository/pg_backup_repository.hpp"

namespace dbaas::backup {

struct ServiceSettings {
  ScheduleDefaults defaults;
  /// Backup types the executor can take; others are refused with FAILED_PRECONDITION.
  std::set<std::string> supported_types{"logical"};
};

/// The backup API's rules: tenant scoping (another tenant's instance or backup is NOT_FOUND),
/// RBAC (`backups`, `backup-schedules`, `operations`), validation reporting every problem at
/// once, Idempotency-Key on create, and keeping instances and schedules in step with
/// provisioning's events. Thread-safe.
class BackupService {
 public:
  BackupService(PgBackupRepository& repository, BackupExecutor& executor, ServiceSettings settings,
                const Clock& clock)
      : repository_(repository),
        executor_(executor),
        settings_(std::move(settings)),
        clock_(clock) {}

  /// POST /v1/instances/{id}/backups: {"type"?, "retention_days"?}. The instance must be known
  /// (NOT_FOUND) and running (FAILED_PRECONDITION).
  CreatedBackup Create(const auth::Identity& caller, const std::string& instance_id,
                       const nlohmann::json& body,
                       const std::optional<std::string>& idempotency_key,
                       const std::string& request_id);
  BackupPage List(const auth::Identity& caller, BackupQuery query);
  BackupRecord Get(const auth::Identity& caller, const std::string& backup_id);
  /// Removes the stored object, then the record (event backup.deleted). A backup still being
  /// taken cannot be deleted (FAILED_PRECONDITION).
  BackupRecord Delete(const auth::Identity& caller, const std::string& backup_id,
                      const std::string& request_id);
  Schedule GetSchedule(const auth::Identity& caller, const std::string& instance_id);
  /// PUT: {"cron","time_zone","retention_days","type","enabled"}; fields left out keep their
  /// value. `if_match` must equal the schedule's ETag when given (ABORTED otherwise).
  Schedule PutSchedule(const auth::Identity& caller, const std::string& instance_id,
                       const nlohmann::json& body, const std::optional<std::string>& if_match);
  Operation GetOperation(const auth::Identity& caller, const std::string& id);

  /// Handles one dbaas.provisioning.instance.* event inside the consumer's transaction.
  void OnInstanceEvent(const events::Event& event, store::Tx& tx);

  /// Called after a backup is queued (committed), so an idle runner starts at once.
  void OnQueued(std::function<void()> callback) { queued_ = std::move(callback); }

 private:
  KnownInstance VisibleInstance(const auth::Identity& caller, const std::string& id,
                                std::string_view resource, std::string_view action);

  PgBackupRepository& repository_;
  BackupExecutor& executor_;
  ServiceSettings settings_;
  const Clock& clock_;
  std::function<void()> queued_;
};

/// The event of subject dbaas.backup.backup.<verb> describing `backup`.
events::Event BackupEventFor(const BackupRecord& backup, const std::string& verb,
                             const std::string& operation_id, const std::string& request_id);

/// A new pending backup of `instance` and the operation that takes it.
std::pair<BackupRecord, Operation> NewBackup(const KnownInstance& instance, const std::string& type,
                                             const std::string& trigger, int retention_days,
                                             const std::string& request_id, TimePoint now);

}  // namespace dbaas::backup
