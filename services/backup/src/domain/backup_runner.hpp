#pragma once

#include "dbaas/service/worker_pool.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "dbaas/common/clock.hpp"
#include "domain/backup_executor.hpp"
#include "domain/target_source.hpp"
#include "repository/pg_backup_repository.hpp"

namespace dbaas::backup {

struct RunnerConfig {
  /// Backups taken at once.
  int workers = 2;
  /// How long a claimed operation stays leased without renewal (DBAAS_OPERATION_LEASE).
  std::chrono::milliseconds lease{30000};
  /// How often idle workers look for work queued elsewhere.
  std::chrono::milliseconds poll{1000};
};

/// Takes queued backups: claims the oldest open operation with a free lease, renews the lease
/// while it works, asks `targets` for the instance's endpoint and credentials, runs the
/// executor, verifies the stored backup at once (Property 15: a failed verification marks it
/// `corrupt` with event backup.corrupt), sets expires_at = finished_at + retention and emits
/// backup.completed or backup.failed. An attempt interrupted by a crash is redone from the
/// start after removing what it stored. Thread-safe.
class BackupRunner {
 public:
  BackupRunner(PgBackupRepository& repository, BackupExecutor& executor, TargetSource& targets,
               RunnerConfig config, const Clock& clock);
  ~BackupRunner();
  BackupRunner(const BackupRunner&) = delete;
  BackupRunner& operator=(const BackupRunner&) = delete;

  void Start() { pool_.Start(); }
  void Stop() { pool_.Stop(); }
  /// Claims and runs one operation; false when there was none.
  bool RunOnce();
  void Wake() { pool_.Wake(); }

 private:
  void Run(const Operation& operation);

  PgBackupRepository& repository_;
  BackupExecutor& executor_;
  TargetSource& targets_;
  RunnerConfig config_;
  const Clock& clock_;
  service::WorkerPool pool_;  // last: its threads use the members above
};

/// One scheduler pass at `now` (Property 10): every due, enabled schedule of a live instance
/// enqueues one scheduled backup (unless the instance is not running or already has one being
/// taken) and its next run becomes the first firing after `now` (StepSchedule). Returns the
/// number of backups enqueued.
int RunScheduler(PgBackupRepository& repository, TimePoint now);

struct RetentionResult {
  std::vector<std::string> deleted_backups;
  std::size_t deleted_logs = 0;
};

/// One retention pass at `now` (Property 12, PlanRetention): removes the stored objects of
/// what expired, then their rows, with a backup.expired event per backup. An object that
/// cannot be removed keeps its row for the next pass.
RetentionResult RunRetention(PgBackupRepository& repository, BackupExecutor& executor,
                             TimePoint now);

}  // namespace dbaas::backup
