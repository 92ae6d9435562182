#include "domain/backup_service.hpp"

#include <nlohmann/json.hpp>

#include "dbaas/auth/authorize.hpp"
#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/common/json.hpp"
#include "dbaas/common/log.hpp"
#include "dbaas/events/v1/backup.pb.h"
#include "dbaas/events/v1/instance.pb.h"

namespace dbaas::backup {
namespace {

constexpr std::int64_t kMaxRetentionDays = 3650;

void Require(const auth::Identity& caller, std::string_view resource, std::string_view action,
             const std::string& tenant_id) {
  auth::Authorize(caller, resource, action, tenant_id).ThrowIfDenied(resource, action);
}

bool Visible(const auth::Identity& caller, const std::string& tenant_id) {
  return caller.IsPlatformAdmin() || caller.tenant_id == tenant_id;
}

std::string TypesText(const std::set<std::string>& types) {
  std::string out;
  for (const auto& t : types) out += (out.empty() ? "" : " or ") + t;
  return out;
}

}  // namespace

events::Event BackupEventFor(const BackupRecord& b, const std::string& verb,
                             const std::string& operation_id, const std::string& request_id) {
  events::v1::BackupEvent msg;
  msg.set_backup_id(b.id);
  msg.set_tenant_id(b.tenant_id);
  msg.set_instance_id(b.instance_id);
  msg.set_engine(b.engine);
  msg.set_type(b.type);
  msg.set_trigger(b.trigger);
  msg.set_status(b.status);
  msg.set_size_bytes(b.size_bytes.value_or(0));
  msg.set_stored_bytes(b.stored_bytes.value_or(0));
  msg.set_checksum(b.checksum.value_or(""));
  msg.set_error(b.error.value_or(""));
  msg.set_operation_id(operation_id);
  if (b.expires_at) msg.set_expires_at(FormatRfc3339(*b.expires_at));
  return events::MakeEvent("dbaas.backup.backup." + verb, "backup", b.tenant_id, msg, request_id);
}

std::pair<BackupRecord, Operation> NewBackup(const KnownInstance& instance, const std::string& type,
                                             const std::string& trigger, int retention_days,
                                             const std::string& request_id, TimePoint now) {
  now = std::chrono::time_point_cast<std::chrono::milliseconds>(now);
  BackupRecord b;
  b.id = BackupId::Generate().str();
  b.tenant_id = instance.tenant_id;
  b.instance_id = instance.id;
  b.engine = instance.engine;
  b.engine_version = instance.version;
  b.type = type;
  b.trigger = trigger;
  b.status = std::string(kPending);
  b.retention_days = retention_days;
  b.created_at = now;
  Operation o;
  o.id = BackupOperationId::Generate().str();
  o.tenant_id = instance.tenant_id;
  o.type = "backup";
  o.target = b.id;
  o.instance_id = instance.id;
  o.status = std::string(kOpPending);
  o.step = "waiting to start";
  o.request_id = request_id;
  o.created_at = now;
  o.updated_at = now;
  return {b, o};
}

KnownInstance BackupService::VisibleInstance(const auth::Identity& caller, const std::string& id,
                                             std::string_view resource, std::string_view action) {
  auto instance = repository_.FindInstance(id);
  // Unknown to backup (no event yet), deleted, or another tenant's: all look the same.
  if (!instance || instance->deleted || !Visible(caller, instance->tenant_id)) {
    throw Error(ErrorCode::kNotFound, "instance " + id + " not found");
  }
  Require(caller, resource, action, instance->tenant_id);
  return *instance;
}

CreatedBackup BackupService::Create(const auth::Identity& caller, const std::string& instance_id,
                                    const nlohmann::json& body,
                                    const std::optional<std::string>& idempotency_key,
                                    const std::string& request_id) {
  const auto instance = VisibleInstance(caller, instance_id, "backups", "create");
  json::Reader reader(body);
  const auto type = reader.String("type", false, 1, 32);
  const auto retention = reader.Int("retention_days", false, 1, kMaxRetentionDays);
  reader.RejectUnknown({"type", "retention_days"});
  auto problems = reader.Violations();
  if (type && !IsBackupType(*type)) problems.push_back({"type", "must be full or logical"});
  if (idempotency_key && (idempotency_key->empty() || idempotency_key->size() > 255)) {
    problems.push_back({"Idempotency-Key", "must be 1-255 characters"});
  }
  if (!problems.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "the backup request is invalid", std::move(problems));
  }
  std::string chosen = type.value_or(settings_.defaults.type);
  if (chosen == "full" && instance.engine != "postgresql") {
    if (type) {
      throw Error(ErrorCode::kFailedPrecondition,
                  "full (physical) backups of " + instance.engine +
                      " instances need the data directory, which the backup service cannot reach",
                  {}, {"take a logical backup ({\"type\": \"logical\"})"});
    }
    chosen = "logical";  // the default type where full is not possible
  }
  int retention_days = settings_.defaults.retention_days;
  if (retention) {
    retention_days = static_cast<int>(*retention);
  } else if (auto schedule = repository_.FindSchedule(instance_id)) {
    retention_days = schedule->retention_days;
  }

  std::optional<IdempotencyRecord> record;
  if (idempotency_key) {
    record =
        IdempotencyRecord{"backups.create:" + caller.subject + ":" + instance_id, *idempotency_key,
                          crypto::Sha256Hex(chosen + "\n" + std::to_string(retention_days))};
    if (auto earlier = repository_.FindIdempotent(record->scope, record->key)) {
      if (earlier->second != record->request_hash) {
        throw Error(ErrorCode::kInvalidArgument,
                    "the Idempotency-Key was already used with a different request",
                    {{"Idempotency-Key", "already used with a different request"}},
                    {"use a new key for a different request"});
      }
      return std::move(earlier->first);
    }
  }
  if (!settings_.supported_types.contains(chosen)) {
    throw Error(
        ErrorCode::kFailedPrecondition, chosen + " backups are not available yet",
        {{"type", "this installation takes " + TypesText(settings_.supported_types) + " backups"}});
  }
  if (instance.status != "running") {
    throw Error(ErrorCode::kFailedPrecondition,
                "instance " + instance_id + " is " + instance.status + ", not running", {},
                {"start the instance, then take the backup"});
  }
  const auto made = NewBackup(instance, chosen, "manual", retention_days, request_id, clock_.Now());
  const BackupRecord& backup = made.first;
  const Operation& operation = made.second;
  try {
    repository_.InTransaction(
        [&](store::Tx& tx) { repository_.InsertBackup(tx, backup, operation, record); });
  } catch (const Error& e) {
    // A concurrent request with the same key committed first: answer what it made.
    if (e.Code() != ErrorCode::kAlreadyExists || !record) throw;
    if (auto earlier = repository_.FindIdempotent(record->scope, record->key)) {
      return std::move(earlier->first);
    }
    throw;
  }
  if (queued_) queued_();
  return {operation, backup, false};
}

BackupPage BackupService::List(const auth::Identity& caller, BackupQuery query) {
  auto instance = repository_.FindInstance(query.instance_id);
  // Backups of a deleted instance stay listable until they expire.
  if (!instance || !Visible(caller, instance->tenant_id)) {
    throw Error(ErrorCode::kNotFound, "instance " + query.instance_id + " not found");
  }
  Require(caller, "backups", "read", instance->tenant_id);
  return repository_.ListBackups(query);
}

BackupRecord BackupService::Get(const auth::Identity& caller, const std::string& backup_id) {
  auto backup = repository_.FindBackup(backup_id);
  if (!backup || !Visible(caller, backup->tenant_id)) {
    throw Error(ErrorCode::kNotFound, "backup " + backup_id + " not found");
  }
  Require(caller, "backups", "read", backup->tenant_id);
  return *backup;
}

BackupRecord BackupService::Delete(const auth::Identity& caller, const std::string& backup_id,
                                   const std::string& request_id) {
  auto backup = Get(caller, backup_id);
  Require(caller, "backups", "delete", backup.tenant_id);
  if (backup.status == kPending || backup.status == kRunning) {
    throw Error(ErrorCode::kFailedPrecondition,
                "backup " + backup_id + " is still being taken (" + backup.status + ")", {},
                {"wait for its operation to end, then delete it"});
  }
  if (backup.storage_key) executor_.Remove(*backup.storage_key);
  repository_.DeleteBackup(backup_id, BackupEventFor(backup, "deleted", "", request_id));
  return backup;
}

Schedule BackupService::GetSchedule(const auth::Identity& caller, const std::string& instance_id) {
  VisibleInstance(caller, instance_id, "backup-schedules", "read");
  auto schedule = repository_.FindSchedule(instance_id);
  if (!schedule) {
    throw Error(ErrorCode::kNotFound, "instance " + instance_id + " has no backup schedule yet");
  }
  return *schedule;
}

Schedule BackupService::PutSchedule(const auth::Identity& caller, const std::string& instance_id,
                                    const nlohmann::json& body,
                                    const std::optional<std::string>& if_match) {
  VisibleInstance(caller, instance_id, "backup-schedules", "update");
  auto schedule = repository_.FindSchedule(instance_id);
  if (!schedule) {
    throw Error(ErrorCode::kNotFound, "instance " + instance_id + " has no backup schedule yet");
  }
  json::Reader reader(body);
  const auto cron = reader.String("cron", false, 1, 256);
  const auto zone = reader.String("time_zone", false, 1, 64);
  const auto retention = reader.Int("retention_days", false, 1, kMaxRetentionDays);
  const auto type = reader.String("type", false, 1, 32);
  const auto enabled = reader.Bool("enabled", false);
  reader.RejectUnknown({"cron", "time_zone", "retention_days", "type", "enabled"});
  auto problems = reader.Violations();
  if (body.is_object() && body.empty()) problems.push_back({"", "nothing to change"});
  if (type && !IsBackupType(*type)) {
    problems.push_back({"type", "must be full or logical"});
  } else if (type && !settings_.supported_types.contains(*type)) {
    problems.push_back({"type", *type +
                                    " backups are not available yet; this installation "
                                    "takes " +
                                    TypesText(settings_.supported_types)});
  }
  Schedule next = *schedule;
  if (cron) next.cron = *cron;
  if (zone) next.time_zone = *zone;
  if (retention) next.retention_days = static_cast<int>(*retention);
  if (type) next.type = *type;
  if (enabled) next.enabled = *enabled;
  // The expression and the zone are checked separately so both problems are reported at once.
  try {
    CronSchedule::Parse(next.cron, "UTC");
  } catch (const Error& e) {
    for (const auto& d : e.Details()) problems.push_back(d);
    if (e.Details().empty()) problems.push_back({"cron", e.what()});
  }
  try {
    CronSchedule::Parse("* * * * *", next.time_zone);
  } catch (const Error& e) {
    for (const auto& d : e.Details()) problems.push_back(d);
    if (e.Details().empty()) problems.push_back({"time_zone", e.what()});
  }
  if (!problems.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "the backup schedule is invalid", std::move(problems));
  }
  if (if_match && *if_match != "*" && *if_match != ScheduleEtag(*schedule)) {
    throw Error(ErrorCode::kAborted,
                "the backup schedule changed since it was read (ETag " + ScheduleEtag(*schedule) +
                    ", If-Match " + *if_match + ")",
                {}, {"GET it again and repeat the change"});
  }
  next.next_run_at =
      next.enabled
          ? std::optional(CronSchedule::Parse(next.cron, next.time_zone).NextAfter(clock_.Now()))
          : std::nullopt;
  return repository_.UpdateSchedule(next);
}

Operation BackupService::GetOperation(const auth::Identity& caller, const std::string& id) {
  auto operation = repository_.FindOperation(id);
  if (!operation || !Visible(caller, operation->tenant_id)) {
    throw Error(ErrorCode::kNotFound, "operation " + id + " not found");
  }
  Require(caller, "operations", "read", operation->tenant_id);
  return *operation;
}

void BackupService::OnInstanceEvent(const events::Event& e, store::Tx& tx) {
  if (e.payload_type != "dbaas.events.v1.InstanceEvent") return;
  events::v1::InstanceEvent m;
  if (!m.ParseFromString(e.payload)) throw Error(ErrorCode::kInvalidArgument, "bad payload");
  const auto verb = e.subject.substr(e.subject.rfind('.') + 1);
  KnownInstance instance;
  instance.id = m.instance_id();
  instance.tenant_id = m.tenant_id();
  instance.engine = m.engine();
  instance.version = m.version();
  instance.status = m.status();
  instance.deleted = verb == "deleted" || m.status() == "deleted";
  repository_.UpsertInstance(tx, instance);
  // Property 10: every instance gets the daily schedule, from its created event (or from any
  // later one, for instances created before this service first ran).
  if (!instance.deleted && verb != "provisioning" && m.status() != "failed") {
    auto schedule =
        DefaultSchedule(instance.id, instance.tenant_id, settings_.defaults, clock_.Now());
    // Physical MySQL backups need the data directory, out of this service's reach.
    if (schedule.type == "full" && instance.engine != "postgresql") schedule.type = "logical";
    if (repository_.InsertScheduleIfAbsent(tx, schedule)) {
      log::Info("default backup schedule created", {{"instance_id", instance.id}});
    }
  }
}

}  // namespace dbaas::backup
