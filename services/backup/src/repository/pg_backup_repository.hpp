#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dbaas/common/error.hpp"
#include "dbaas/events/event.hpp"
#include "dbaas/store/store.hpp"
#include "domain/backup.hpp"
#include "domain/retention.hpp"

namespace dbaas::backup {

struct BackupQuery {
  std::string instance_id;
  std::optional<std::string> status;
  std::optional<std::string> type;
  std::size_t page_size = 20;
  /// Backups with ids below this (newest first; ids sort by creation time).
  std::optional<std::string> before_id;
};

struct BackupPage {
  std::vector<BackupRecord> backups;
  std::optional<std::string> last_id;
};

/// An Idempotency-Key with its scope (caller and instance) and the request's fingerprint.
struct IdempotencyRecord {
  std::string scope;
  std::string key;
  std::string request_hash;
};

/// A create's result: the operation and its backup, and whether an earlier request with the
/// same Idempotency-Key made them.
struct CreatedBackup {
  Operation operation;
  BackupRecord backup;
  bool replayed = false;
};

/// One archived log file as stored.
struct StoredLog {
  std::string instance_id;
  std::string name;
  std::string storage_key;
};

/// Instances, schedules, backups, operations and archived logs in backup's own database. Every
/// state change and the event describing it are written in one transaction. Thread-safe.
class PgBackupRepository {
 public:
  explicit PgBackupRepository(store::Pool& pool) : pool_(pool) {}

  void InTransaction(const std::function<void(store::Tx&)>& fn) { pool_.InTransaction(fn); }

  /// Records what an instance event says; a deleted instance stays deleted.
  void UpsertInstance(store::Tx& tx, const KnownInstance& instance);
  /// Inserts `schedule` unless the instance has one; true when inserted.
  bool InsertScheduleIfAbsent(store::Tx& tx, const Schedule& schedule);

  std::optional<KnownInstance> FindInstance(const std::string& id);
  std::optional<Schedule> FindSchedule(const std::string& instance_id);
  /// Replaces the editable fields when the revision is still `schedule.revision` (ABORTED
  /// otherwise); returns the stored result.
  Schedule UpdateSchedule(const Schedule& schedule);

  /// An earlier create with this Idempotency-Key (scope, key), with its request fingerprint.
  std::optional<std::pair<CreatedBackup, std::string>> FindIdempotent(const std::string& scope,
                                                                      const std::string& key);
  /// Inserts a pending backup and its operation (with `idempotency` when given).
  void InsertBackup(store::Tx& tx, const BackupRecord& backup, const Operation& operation,
                    const std::optional<IdempotencyRecord>& idempotency);
  /// True when the instance has a pending or running backup.
  bool HasOpenBackup(store::Tx& tx, const std::string& instance_id);

  std::optional<BackupRecord> FindBackup(const std::string& id);
  BackupPage ListBackups(const BackupQuery& query);
  std::optional<Operation> FindOperation(const std::string& id);

  /// Takes the oldest open operation whose lease is free and leases it until now + lease.
  std::optional<Operation> ClaimOperation(std::chrono::milliseconds lease);
  void RenewLease(const std::string& operation_id, std::chrono::milliseconds lease);
  void SetProgress(const std::string& operation_id, int progress, const std::string& step);
  /// Marks the backup running (started now) and clears what an interrupted attempt recorded.
  void StartBackup(const std::string& backup_id);
  /// Stores the backup's final state, ends its operation (failed with `error` when given) and
  /// enqueues `event`, in one transaction.
  void FinishBackup(const Operation& operation, const BackupRecord& backup,
                    const std::optional<Error>& error, const events::Event& event);

  /// Ends an operation as failed without touching any backup.
  void FailOperation(const std::string& operation_id, const Error& error);

  /// Deletes the backup row and enqueues `event` (the stored object must be gone already).
  void DeleteBackup(const std::string& backup_id, const events::Event& event);

  /// Schedules due at `now` (enabled, next_run_at <= now, instance not deleted), locked.
  std::vector<Schedule> LockDueSchedules(store::Tx& tx, TimePoint now);
  void AdvanceSchedule(store::Tx& tx, const std::string& instance_id, TimePoint next_run,
                       std::optional<TimePoint> fired_at);

  /// Everything retention plans over.
  std::vector<BackupRecord> AllBackups();
  std::vector<StoredLog> AllArchivedLogs();
  std::vector<std::string> LiveInstanceIds();
  void DeleteArchivedLog(const std::string& instance_id, const std::string& name);

 private:
  store::Pool& pool_;
};

}  // namespace dbaas::backup
