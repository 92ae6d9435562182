#include "domain/backup_runner.hpp"

#include <algorithm>
#include <set>

#include "dbaas/common/error.hpp"
#include "dbaas/common/log.hpp"
#include "domain/backup_service.hpp"
#include "domain/cron_schedule.hpp"
#include "domain/retention.hpp"
#include "domain/schedule_policy.hpp"

namespace dbaas::backup {
namespace {

constexpr int kMaxAttempts = 3;

// Renews an operation's lease every third of it while `this` lives.

TimePoint Millis(TimePoint t) {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(t);
}

}  // namespace

BackupRunner::BackupRunner(PgBackupRepository& repository, BackupExecutor& executor,
                           TargetSource& targets, RunnerConfig config, const Clock& clock)
    : repository_(repository),
      executor_(executor),
      targets_(targets),
      config_(config),
      clock_(clock),
      pool_("backup runner", config.workers, config.poll, [this] { return RunOnce(); }) {}

BackupRunner::~BackupRunner() {
  Stop();
}

bool BackupRunner::RunOnce() {
  auto operation = repository_.ClaimOperation(config_.lease);
  if (!operation) return false;
  service::LeaseKeeper keeper(
      [this, id = operation->id] { repository_.RenewLease(id, config_.lease); },
      config_.lease / 3);
  Run(*operation);
  return true;
}

void BackupRunner::Run(const Operation& op) {
  auto found = repository_.FindBackup(op.target);
  if (!found) {
    // Cannot happen while backups being taken cannot be deleted; end the operation anyway.
    repository_.FailOperation(op.id,
                              Error(ErrorCode::kNotFound, "backup " + op.target + " is gone"));
    return;
  }
  BackupRecord backup = *found;
  const auto finish = [&](std::string_view status, const std::optional<Error>& error,
                          const std::string& verb) {
    backup.status = std::string(status);
    backup.finished_at = Millis(clock_.Now());
    backup.expires_at = *backup.finished_at + std::chrono::days(backup.retention_days);
    if (error) backup.error = error->what();
    repository_.FinishBackup(op, backup, error, BackupEventFor(backup, verb, op.id, op.request_id));
    log::Info(
        "backup ended",
        {{"backup_id", backup.id}, {"instance_id", backup.instance_id}, {"status", backup.status}});
  };
  if (op.attempts > kMaxAttempts) {
    finish(kFailed,
           Error(ErrorCode::kInternal, "the backup was interrupted " +
                                           std::to_string(kMaxAttempts) + " times; giving up"),
           "failed");
    return;
  }
  repository_.StartBackup(backup.id);
  backup.started_at = Millis(clock_.Now());
  std::optional<BackupOutcome> outcome;
  try {
    auto instance = repository_.FindInstance(backup.instance_id);
    if (!instance || instance->deleted) {
      throw Error(ErrorCode::kFailedPrecondition, "instance " + backup.instance_id + " is deleted");
    }
    repository_.SetProgress(op.id, 5, "looking up the instance's endpoint");
    BackupRequest request;
    request.backup_id = backup.id;
    request.type = backup.type;
    request.target = targets_.Resolve(*instance);
    request.storage_key_prefix = backup.tenant_id + "/" + backup.instance_id + "/" + backup.id;
    repository_.SetProgress(op.id, 10, "taking the backup");
    outcome = executor_.Run(request, [&](int percent, const std::string& step) {
      try {
        repository_.SetProgress(op.id, 10 + std::clamp(percent, 0, 100) * 7 / 10, step);
      } catch (const std::exception&) {
        // Progress is informative; a failed update must not fail the backup.
      }
    });
  } catch (const Error& e) {
    finish(kFailed, e, "failed");
    return;
  } catch (const std::exception& e) {
    log::Error("backup failed unexpectedly", {{"backup_id", backup.id}, {"error", e.what()}});
    finish(kFailed, Error(ErrorCode::kInternal, "the backup failed unexpectedly"), "failed");
    return;
  }
  backup.size_bytes = outcome->size_bytes;
  backup.stored_bytes = outcome->stored_bytes;
  backup.checksum = outcome->checksum;
  backup.storage_key = outcome->storage_key;
  backup.encrypted = !outcome->key_id.empty();
  if (backup.encrypted) backup.key_id = outcome->key_id;
  backup.compression = outcome->compression;
  if (!outcome->log_start.empty()) backup.log_start = outcome->log_start;
  if (!outcome->log_end.empty()) backup.log_end = outcome->log_end;
  if (!outcome->engine_version.empty()) backup.engine_version = outcome->engine_version;

  // Property 15: read it back now; a backup that does not verify is never `available`.
  repository_.SetProgress(op.id, 85, "verifying the stored backup");
  try {
    executor_.Verify(backup);
  } catch (const std::exception& e) {
    finish(kCorrupt,
           Error(ErrorCode::kInternal, std::string("the backup failed verification: ") + e.what()),
           "corrupt");
    return;
  }
  backup.verified_at = Millis(clock_.Now());
  finish(kAvailable, std::nullopt, "completed");
}

int RunScheduler(PgBackupRepository& repository, TimePoint now) {
  int enqueued = 0;
  repository.InTransaction([&](store::Tx& tx) {
    enqueued = 0;
    for (const auto& schedule : repository.LockDueSchedules(tx, now)) {
      std::optional<TimePoint> fired_at;
      TimePoint next_run{};
      try {
        const auto step = StepSchedule(CronSchedule::Parse(schedule.cron, schedule.time_zone),
                                       schedule.next_run_at, now);
        next_run = step.next_run;
        if (step.fire) fired_at = now;
      } catch (const Error& e) {
        // Only valid schedules are stored; a time zone database change could still break one.
        log::Warn("backup schedule cannot be evaluated",
                  {{"instance_id", schedule.instance_id}, {"error", e.what()}});
        next_run = now + std::chrono::hours(24);
      }
      // The slot is used up whether or not a backup can be taken now: a stopped instance is
      // not backed up, and one with a backup under way gets no second one.
      auto instance = repository.FindInstance(schedule.instance_id);
      if (fired_at && instance && instance->status == "running" &&
          !repository.HasOpenBackup(tx, schedule.instance_id)) {
        auto [backup, operation] =
            NewBackup(*instance, schedule.type, "scheduled", schedule.retention_days, "", now);
        repository.InsertBackup(tx, backup, operation, std::nullopt);
        ++enqueued;
      }
      repository.AdvanceSchedule(tx, schedule.instance_id, next_run, fired_at);
    }
  });
  return enqueued;
}

RetentionResult RunRetention(PgBackupRepository& repository, BackupExecutor& executor,
                             TimePoint now) {
  const auto backups = repository.AllBackups();
  const auto stored_logs = repository.AllArchivedLogs();
  const auto live = repository.LiveInstanceIds();
  std::vector<BackupFacts> facts;
  for (const auto& b : backups) {
    facts.push_back({b.id, b.instance_id, b.type, b.status, b.finished_at, b.expires_at,
                     b.log_start.value_or("")});
  }
  std::vector<ArchivedLog> logs;
  for (const auto& l : stored_logs) logs.push_back({l.instance_id, l.name});
  const auto plan =
      PlanRetention(facts, logs, std::set<std::string>(live.begin(), live.end()), now);

  RetentionResult result;
  for (const auto& id : plan.delete_backups) {
    const auto it = std::find_if(backups.begin(), backups.end(),
                                 [&](const BackupRecord& b) { return b.id == id; });
    try {
      if (it->storage_key) executor.Remove(*it->storage_key);
      repository.DeleteBackup(id, BackupEventFor(*it, "expired", "", ""));
      result.deleted_backups.push_back(id);
    } catch (const std::exception& e) {
      log::Warn("could not remove an expired backup; retrying at the next pass",
                {{"backup_id", id}, {"error", e.what()}});
    }
  }
  for (const auto& archived : plan.delete_logs) {
    const auto it = std::find_if(stored_logs.begin(), stored_logs.end(), [&](const StoredLog& l) {
      return l.instance_id == archived.instance_id && l.name == archived.name;
    });
    try {
      executor.Remove(it->storage_key);
      repository.DeleteArchivedLog(archived.instance_id, archived.name);
      ++result.deleted_logs;
    } catch (const std::exception& e) {
      log::Warn(
          "could not remove an archived log",
          {{"instance_id", archived.instance_id}, {"name", archived.name}, {"error", e.what()}});
    }
  }
  return result;
}

}  // namespace dbaas::backup
