#include "repository/pg_backup_repository.hpp"

#include "dbaas/common/error.hpp"
#include "dbaas/events/outbox.hpp"

namespace dbaas::backup {
namespace {

std::string Ts(std::string_view column) {
  return "to_char(" + std::string(column) +
         " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS " + std::string(column);
}

const std::string& BackupColumns() {
  static const std::string columns =
      "id, tenant_id, instance_id, engine, engine_version, type, trigger, status, "
      "retention_days, size_bytes, stored_bytes, encrypted, key_id, compression, checksum, "
      "storage_key, log_start, log_end, error, " +
      Ts("started_at") + ", " + Ts("finished_at") + ", " + Ts("expires_at") + ", " +
      Ts("verified_at") + ", " + Ts("created_at");
  return columns;
}

const std::string& OperationColumns() {
  static const std::string columns =
      "id, tenant_id, type, target, instance_id, status, progress, step, error_code, "
      "error_message, request_id, attempts, " +
      Ts("created_at") + ", " + Ts("updated_at");
  return columns;
}

const std::string& ScheduleColumns() {
  static const std::string columns =
      "instance_id, tenant_id, cron, time_zone, retention_days, type, enabled, revision, " +
      Ts("next_run_at") + ", " + Ts("last_run_at");
  return columns;
}

std::optional<TimePoint> OptTime(const store::Row& row, std::string_view column) {
  const auto& value = row.Optional(column);
  if (!value) return std::nullopt;
  auto t = ParseRfc3339(*value);
  if (!t) throw Error(ErrorCode::kInternal, "stored timestamp is malformed");
  return t;
}

TimePoint Time(const store::Row& row, std::string_view column) {
  auto t = OptTime(row, column);
  if (!t) throw Error(ErrorCode::kInternal, "stored timestamp is missing");
  return *t;
}

std::optional<std::int64_t> OptInt(const store::Row& row, std::string_view column) {
  if (!row.Optional(column)) return std::nullopt;
  return row.GetInt(column);
}

store::Param TimeParam(const std::optional<TimePoint>& t) {
  if (!t) return std::nullopt;
  return FormatRfc3339(*t);
}

template <typename T>
store::Param IntParam(const std::optional<T>& v) {
  if (!v) return std::nullopt;
  return std::to_string(*v);
}

BackupRecord BackupFromRow(const store::Row& row) {
  BackupRecord b;
  b.id = row.Get("id");
  b.tenant_id = row.Get("tenant_id");
  b.instance_id = row.Get("instance_id");
  b.engine = row.Get("engine");
  b.engine_version = row.Get("engine_version");
  b.type = row.Get("type");
  b.trigger = row.Get("trigger");
  b.status = row.Get("status");
  b.retention_days = static_cast<int>(row.GetInt("retention_days"));
  b.size_bytes = OptInt(row, "size_bytes");
  b.stored_bytes = OptInt(row, "stored_bytes");
  b.encrypted = row.GetBool("encrypted");
  b.key_id = row.Optional("key_id");
  b.compression = row.Optional("compression");
  b.checksum = row.Optional("checksum");
  b.storage_key = row.Optional("storage_key");
  b.log_start = row.Optional("log_start");
  b.log_end = row.Optional("log_end");
  b.error = row.Optional("error");
  b.started_at = OptTime(row, "started_at");
  b.finished_at = OptTime(row, "finished_at");
  b.expires_at = OptTime(row, "expires_at");
  b.verified_at = OptTime(row, "verified_at");
  b.created_at = Time(row, "created_at");
  return b;
}

Operation OperationFromRow(const store::Row& row) {
  Operation o;
  service::ReadOperationRecord(row, o);
  o.instance_id = row.Get("instance_id");
  return o;
}

Schedule ScheduleFromRow(const store::Row& row) {
  Schedule s;
  s.instance_id = row.Get("instance_id");
  s.tenant_id = row.Get("tenant_id");
  s.cron = row.Get("cron");
  s.time_zone = row.Get("time_zone");
  s.retention_days = static_cast<int>(row.GetInt("retention_days"));
  s.type = row.Get("type");
  s.enabled = row.GetBool("enabled");
  s.revision = row.GetInt("revision");
  s.next_run_at = OptTime(row, "next_run_at");
  s.last_run_at = OptTime(row, "last_run_at");
  return s;
}

KnownInstance InstanceFromRow(const store::Row& row) {
  KnownInstance i;
  i.id = row.Get("id");
  i.tenant_id = row.Get("tenant_id");
  i.engine = row.Get("engine");
  i.version = row.Get("version");
  i.status = row.Get("status");
  i.deleted = row.GetBool("deleted");
  return i;
}

}  // namespace

void PgBackupRepository::UpsertInstance(store::Tx& tx, const KnownInstance& i) {
  tx.Exec(
      "INSERT INTO instances (id, tenant_id, engine, version, status, deleted, updated_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, now()) ON CONFLICT (id) DO UPDATE SET "
      "version = $4, status = CASE WHEN instances.deleted THEN instances.status ELSE $5 END, "
      "deleted = instances.deleted OR $6, updated_at = now()",
      {i.id, i.tenant_id, i.engine, i.version, i.status, i.deleted ? "true" : "false"});
}

bool PgBackupRepository::InsertScheduleIfAbsent(store::Tx& tx, const Schedule& s) {
  auto r = tx.Exec(
      "INSERT INTO backup_schedules (instance_id, tenant_id, cron, time_zone, retention_days, "
      "type, enabled, next_run_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz) "
      "ON CONFLICT (instance_id) DO NOTHING",
      {s.instance_id, s.tenant_id, s.cron, s.time_zone, std::to_string(s.retention_days), s.type,
       s.enabled ? "true" : "false", TimeParam(s.next_run_at)});
  return r.Affected() == 1;
}

std::optional<KnownInstance> PgBackupRepository::FindInstance(const std::string& id) {
  auto rows = pool_.Exec(
      "SELECT id, tenant_id, engine, version, status, deleted FROM instances WHERE id = $1", {id});
  if (rows.Empty()) return std::nullopt;
  return InstanceFromRow(rows[0]);
}

std::optional<Schedule> PgBackupRepository::FindSchedule(const std::string& instance_id) {
  auto rows =
      pool_.Exec("SELECT " + ScheduleColumns() + " FROM backup_schedules WHERE instance_id = $1",
                 {instance_id});
  if (rows.Empty()) return std::nullopt;
  return ScheduleFromRow(rows[0]);
}

Schedule PgBackupRepository::UpdateSchedule(const Schedule& s) {
  auto rows = pool_.Exec(
      "UPDATE backup_schedules SET cron = $3, time_zone = $4, retention_days = $5, type = $6, "
      "enabled = $7, next_run_at = $8::timestamptz, revision = revision + 1, updated_at = now() "
      "WHERE instance_id = $1 AND revision = $2 RETURNING " +
          ScheduleColumns(),
      {s.instance_id, std::to_string(s.revision), s.cron, s.time_zone,
       std::to_string(s.retention_days), s.type, s.enabled ? "true" : "false",
       TimeParam(s.next_run_at)});
  if (rows.Empty()) {
    throw Error(ErrorCode::kAborted,
                "the backup schedule of " + s.instance_id + " changed since it was read", {},
                {"GET it again and repeat the change"});
  }
  return ScheduleFromRow(rows[0]);
}

std::optional<std::pair<CreatedBackup, std::string>> PgBackupRepository::FindIdempotent(
    const std::string& scope, const std::string& key) {
  auto ops = pool_.Exec("SELECT " + OperationColumns() +
                            ", request_hash FROM operations WHERE idempotency_scope = $1 AND "
                            "idempotency_key = $2 AND created_at > now() - interval '1 day'",
                        {scope, key});
  if (ops.Empty()) return std::nullopt;
  CreatedBackup created;
  created.operation = OperationFromRow(ops[0]);
  created.replayed = true;
  auto backup = FindBackup(created.operation.target);
  if (!backup) {
    throw Error(ErrorCode::kFailedPrecondition,
                "the backup made with this Idempotency-Key has since been deleted", {},
                {"send the request with a new Idempotency-Key"});
  }
  created.backup = std::move(*backup);
  return std::pair{std::move(created), ops[0].Get("request_hash")};
}

void PgBackupRepository::InsertBackup(store::Tx& tx, const BackupRecord& b, const Operation& o,
                                      const std::optional<IdempotencyRecord>& idempotency) {
  tx.Exec(
      "INSERT INTO backups (id, tenant_id, instance_id, engine, engine_version, type, trigger, "
      "status, retention_days, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
      "$10::timestamptz)",
      {b.id, b.tenant_id, b.instance_id, b.engine, b.engine_version, b.type, b.trigger, b.status,
       std::to_string(b.retention_days), FormatRfc3339(b.created_at)});
  store::Param scope, key, hash;
  if (idempotency) {
    scope = idempotency->scope;
    key = idempotency->key;
    hash = idempotency->request_hash;
  }
  tx.Exec(
      "INSERT INTO operations (id, tenant_id, type, target, instance_id, status, progress, step, "
      "request_id, idempotency_scope, idempotency_key, request_hash, created_at, updated_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9, $10, $11, $12::timestamptz, "
      "$12::timestamptz)",
      {o.id, o.tenant_id, o.type, o.target, o.instance_id, o.status, o.step, o.request_id, scope,
       key, hash, FormatRfc3339(o.created_at)});
}

bool PgBackupRepository::HasOpenBackup(store::Tx& tx, const std::string& instance_id) {
  return !tx.Exec(
                "SELECT 1 FROM backups WHERE instance_id = $1 AND status IN ('pending', "
                "'running') LIMIT 1",
                {instance_id})
              .Empty();
}

std::optional<BackupRecord> PgBackupRepository::FindBackup(const std::string& id) {
  auto rows = pool_.Exec("SELECT " + BackupColumns() + " FROM backups WHERE id = $1", {id});
  if (rows.Empty()) return std::nullopt;
  return BackupFromRow(rows[0]);
}

BackupPage PgBackupRepository::ListBackups(const BackupQuery& q) {
  std::string sql = "SELECT " + BackupColumns() + " FROM backups WHERE instance_id = $1";
  store::Params params{q.instance_id};
  if (q.status) {
    params.push_back(*q.status);
    sql += " AND status = $" + std::to_string(params.size());
  }
  if (q.type) {
    params.push_back(*q.type);
    sql += " AND type = $" + std::to_string(params.size());
  }
  if (q.before_id) {
    params.push_back(*q.before_id);
    sql += " AND id < $" + std::to_string(params.size());
  }
  params.push_back(std::to_string(q.page_size + 1));
  sql += " ORDER BY id DESC LIMIT $" + std::to_string(params.size());
  auto rows = pool_.Exec(sql, params);
  BackupPage page;
  for (const auto& row : rows) {
    if (page.backups.size() == q.page_size) {
      page.last_id = page.backups.back().id;
      break;
    }
    page.backups.push_back(BackupFromRow(row));
  }
  return page;
}

std::optional<Operation> PgBackupRepository::FindOperation(const std::string& id) {
  auto rows = pool_.Exec("SELECT " + OperationColumns() + " FROM operations WHERE id = $1", {id});
  if (rows.Empty()) return std::nullopt;
  return OperationFromRow(rows[0]);
}

std::optional<Operation> PgBackupRepository::ClaimOperation(std::chrono::milliseconds lease) {
  auto rows = pool_.Exec(
      "UPDATE operations SET status = 'running', attempts = attempts + 1, updated_at = now(), "
      "lease_until = now() + $1::bigint * interval '1 millisecond' WHERE id = ("
      "SELECT id FROM operations WHERE status = 'pending' OR (status = 'running' AND "
      "lease_until < now()) ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING " +
          OperationColumns(),
      {std::to_string(lease.count())});
  if (rows.Empty()) return std::nullopt;
  return OperationFromRow(rows[0]);
}

void PgBackupRepository::RenewLease(const std::string& id, std::chrono::milliseconds lease) {
  pool_.Exec(
      "UPDATE operations SET lease_until = now() + $2::bigint * interval '1 millisecond' "
      "WHERE id = $1 AND status = 'running'",
      {id, std::to_string(lease.count())});
}

void PgBackupRepository::SetProgress(const std::string& id, int progress, const std::string& step) {
  pool_.Exec("UPDATE operations SET progress = $2, step = $3, updated_at = now() WHERE id = $1",
             {id, std::to_string(progress), step});
}

void PgBackupRepository::StartBackup(const std::string& backup_id) {
  pool_.Exec(
      "UPDATE backups SET status = 'running', started_at = now(), finished_at = NULL, "
      "size_bytes = NULL, stored_bytes = NULL, checksum = NULL, storage_key = NULL, error = NULL "
      "WHERE id = $1",
      {backup_id});
}

void PgBackupRepository::FinishBackup(const Operation& operation, const BackupRecord& b,
                                      const std::optional<Error>& error,
                                      const events::Event& event) {
  pool_.InTransaction([&](store::Tx& tx) {
    tx.Exec(
        "UPDATE backups SET status = $2, engine_version = $3, size_bytes = $4, stored_bytes = $5, "
        "finished_at = $6::timestamptz, expires_at = $7::timestamptz, encrypted = $8, "
        "key_id = $9, compression = $10, checksum = $11, storage_key = $12, log_start = $13, "
        "log_end = $14, error = $15, verified_at = $16::timestamptz WHERE id = $1",
        {b.id, b.status, b.engine_version, IntParam(b.size_bytes), IntParam(b.stored_bytes),
         TimeParam(b.finished_at), TimeParam(b.expires_at), b.encrypted ? "true" : "false",
         b.key_id, b.compression, b.checksum, b.storage_key, b.log_start, b.log_end, b.error,
         TimeParam(b.verified_at)});
    if (error) {
      tx.Exec(
          "UPDATE operations SET status = 'failed', error_code = $2, error_message = $3, "
          "lease_until = NULL, updated_at = now() WHERE id = $1",
          {operation.id, std::string(ErrorCodeName(error->Code())), std::string(error->what())});
    } else {
      tx.Exec(
          "UPDATE operations SET status = 'succeeded', progress = 100, step = 'done', "
          "lease_until = NULL, updated_at = now() WHERE id = $1",
          {operation.id});
    }
    events::Enqueue(tx, event);
  });
}

void PgBackupRepository::FailOperation(const std::string& id, const Error& error) {
  pool_.Exec(
      "UPDATE operations SET status = 'failed', error_code = $2, error_message = $3, "
      "lease_until = NULL, updated_at = now() WHERE id = $1",
      {id, std::string(ErrorCodeName(error.Code())), std::string(error.what())});
}

void PgBackupRepository::DeleteBackup(const std::string& backup_id, const events::Event& event) {
  pool_.InTransaction([&](store::Tx& tx) {
    tx.Exec("DELETE FROM backups WHERE id = $1", {backup_id});
    events::Enqueue(tx, event);
  });
}

std::vector<Schedule> PgBackupRepository::LockDueSchedules(store::Tx& tx, TimePoint now) {
  auto rows = tx.Exec(
      "SELECT " + ScheduleColumns() +
          " FROM backup_schedules s WHERE enabled AND next_run_at <= $1::timestamptz AND NOT "
          "EXISTS (SELECT 1 FROM instances i WHERE i.id = s.instance_id AND i.deleted) "
          "ORDER BY next_run_at LIMIT 100 FOR UPDATE SKIP LOCKED",
      {FormatRfc3339(now)});
  std::vector<Schedule> out;
  for (const auto& row : rows) out.push_back(ScheduleFromRow(row));
  return out;
}

void PgBackupRepository::AdvanceSchedule(store::Tx& tx, const std::string& instance_id,
                                         TimePoint next_run, std::optional<TimePoint> fired_at) {
  tx.Exec(
      "UPDATE backup_schedules SET next_run_at = $2::timestamptz, "
      "last_run_at = coalesce($3::timestamptz, last_run_at) WHERE instance_id = $1",
      {instance_id, FormatRfc3339(next_run), TimeParam(fired_at)});
}

std::vector<BackupRecord> PgBackupRepository::AllBackups() {
  auto rows = pool_.Exec("SELECT " + BackupColumns() + " FROM backups ORDER BY id");
  std::vector<BackupRecord> out;
  for (const auto& row : rows) out.push_back(BackupFromRow(row));
  return out;
}

std::vector<StoredLog> PgBackupRepository::AllArchivedLogs() {
  auto rows = pool_.Exec("SELECT instance_id, name, storage_key FROM archived_logs");
  std::vector<StoredLog> out;
  for (const auto& row : rows) {
    out.push_back({row.Get("instance_id"), row.Get("name"), row.Get("storage_key")});
  }
  return out;
}

std::vector<std::string> PgBackupRepository::LiveInstanceIds() {
  auto rows = pool_.Exec("SELECT id FROM instances WHERE NOT deleted");
  std::vector<std::string> out;
  for (const auto& row : rows) out.push_back(row.Get("id"));
  return out;
}

void PgBackupRepository::DeleteArchivedLog(const std::string& instance_id,
                                           const std::string& name) {
  pool_.Exec("DELETE FROM archived_logs WHERE instance_id = $1 AND name = $2", {instance_id, name});
}

}  // namespace dbaas::backup
