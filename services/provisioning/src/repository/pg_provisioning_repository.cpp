#include "repository/pg_provisioning_repository.hpp"

#include <nlohmann/json.hpp>

#include "dbaas/common/error.hpp"
#include "dbaas/events/outbox.hpp"
#include "repository/row_support.hpp"

namespace dbaas::provisioning {
namespace {

using detail::StringMap;
using detail::Time;
using detail::Ts;

const std::string& InstanceColumns() {
  static const std::string columns =
      "id, tenant_id, name, engine, version, size, storage_gb, parameters::text AS parameters, "
      "deletion_protection, labels::text AS labels, status, status_detail, host, port, "
      "server_version, admin_user, ca_pem, pending_restart::text AS pending_restart, revision, "
      "parameter_group_id, parameter_group_version, "
      "effective_parameters::text AS effective_parameters, (SELECT g.name FROM parameter_groups "
      "g WHERE g.id = instances.parameter_group_id) AS parameter_group_name, " +
      Ts("created_at") + ", " + Ts("updated_at");
  return columns;
}

const std::string& OperationColumns() {
  static const std::string columns =
      "id, tenant_id, type, target, status, progress, step, error_code, error_message, "
      "request_id, attempts, spec::text AS spec, " +
      Ts("created_at") + ", " + Ts("updated_at");
  return columns;
}

Instance InstanceFromRow(const store::Row& row) {
  Instance i;
  i.id = row.Get("id");
  i.tenant_id = row.Get("tenant_id");
  i.name = row.Get("name");
  i.engine = row.Get("engine");
  i.version = row.Get("version");
  i.size = row.Get("size");
  i.storage_gb = row.GetInt("storage_gb");
  i.parameters = StringMap(row.Get("parameters"));
  i.parameter_group_id = row.Optional("parameter_group_id");
  i.parameter_group_name = row.Optional("parameter_group_name");
  if (row.Optional("parameter_group_version")) {
    i.parameter_group_version = row.GetInt("parameter_group_version");
  }
  i.effective_parameters = StringMap(row.Get("effective_parameters"));
  i.deletion_protection = row.GetBool("deletion_protection");
  i.labels = StringMap(row.Get("labels"));
  i.status = row.Get("status");
  i.status_detail = row.Get("status_detail");
  i.host = row.Optional("host");
  if (row.Optional("port")) i.port = static_cast<int>(row.GetInt("port"));
  i.server_version = row.Optional("server_version");
  i.admin_user = row.Optional("admin_user");
  i.ca_pem = row.Optional("ca_pem");
  i.pending_restart = nlohmann::json::parse(row.Get("pending_restart")).get<std::vector<std::string>>();
  i.revision = row.GetInt("revision");
  i.created_at = Time(row, "created_at");
  i.updated_at = Time(row, "updated_at");
  return i;
}

Operation OperationFromRow(const store::Row& row) {
  Operation o;
  service::ReadOperationRecord(row, o);
  o.spec = row.Get("spec");
  return o;
}

Instance LockInstance(store::Tx& tx, const std::string& id) {
  auto rows = tx.Exec("SELECT " + InstanceColumns() +
                          " FROM instances WHERE id = $1 AND status <> 'deleted' FOR UPDATE",
                      {id});
  if (rows.Empty()) throw Error(ErrorCode::kNotFound, "instance " + id + " not found");
  return InstanceFromRow(rows[0]);
}

}  // namespace

void InsertOperation(store::Tx& tx, const Operation& o) {
  tx.Exec(
      "INSERT INTO operations (id, tenant_id, type, target, status, progress, step, request_id, "
      "spec, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, now(), "
      "now())",
      {o.id, o.tenant_id, o.type, o.target, o.status, std::to_string(o.progress), o.step,
       o.request_id, o.spec});
}

void PgProvisioningRepository::UpsertTenantLimits(store::Tx& tx, const std::string& tenant_id,
                                                  bool active, std::int64_t max_instances,
                                                  std::int64_t max_storage_gb) {
  tx.Exec(
      "INSERT INTO tenant_limits (tenant_id, active, max_instances, max_storage_gb, updated_at) "
      "VALUES ($1, $2, $3, $4, now()) ON CONFLICT (tenant_id) DO UPDATE SET active = $2, "
      "max_instances = $3, max_storage_gb = $4, updated_at = now()",
      {tenant_id, active ? "true" : "false", std::to_string(max_instances),
       std::to_string(max_storage_gb)});
}

std::optional<std::pair<Instance, Operation>> PgProvisioningRepository::CreateInstance(
    const Instance& i, const Operation& operation, const events::Event& event,
    const std::optional<CreateIdempotency>& idempotency) {
  std::optional<std::pair<Instance, Operation>> earlier;
  pool_.InTransaction([&](store::Tx& tx) {
    if (idempotency) {
      // Serialises creates with the same key, so the second one sees the first's instance.
      tx.Exec("SELECT pg_advisory_xact_lock(hashtext($1))",
              {i.tenant_id + "\n" + idempotency->caller + "\n" + idempotency->key});
      auto rows = tx.Exec("SELECT " + InstanceColumns() +
                              ", request_hash FROM instances WHERE tenant_id = $1 AND "
                              "created_by = $2 AND idempotency_key = $3",
                          {i.tenant_id, idempotency->caller, idempotency->key});
      if (!rows.Empty()) {
        if (rows[0].Optional("request_hash") != idempotency->request_hash) {
          throw Error(ErrorCode::kInvalidArgument,
                      "Idempotency-Key was already used with a different request",
                      {{"Idempotency-Key", "reused with different content"}},
                      {"use a new Idempotency-Key for a different request"});
        }
        auto instance = InstanceFromRow(rows[0]);
        auto ops = tx.Exec("SELECT " + OperationColumns() +
                               " FROM operations WHERE target = $1 AND type = 'create' "
                               "ORDER BY created_at LIMIT 1",
                           {instance.id});
        if (ops.Empty()) throw Error(ErrorCode::kInternal, "the earlier create has no operation");
        earlier.emplace(std::move(instance), OperationFromRow(ops[0]));
        return;
      }
    }
    auto limits = tx.Exec(
        "SELECT active, max_instances, max_storage_gb FROM tenant_limits WHERE tenant_id = $1 "
        "FOR UPDATE",
        {i.tenant_id});
    if (limits.Empty()) {
      throw Error(ErrorCode::kFailedPrecondition,
                  "tenant " + i.tenant_id + " is not known to provisioning yet", {},
                  {"a tenant created a moment ago reaches provisioning within seconds; retry"});
    }
    if (!limits[0].GetBool("active")) {
      throw Error(ErrorCode::kFailedPrecondition, "tenant " + i.tenant_id + " is deactivated");
    }
    auto used = tx.Exec(
        "SELECT count(*) AS n, coalesce(sum(storage_gb), 0) AS gb FROM instances "
        "WHERE tenant_id = $1 AND status <> 'deleted'",
        {i.tenant_id});
    const auto max_instances = limits[0].GetInt("max_instances");
    const auto max_storage = limits[0].GetInt("max_storage_gb");
    if (used[0].GetInt("n") + 1 > max_instances) {
      throw Error(ErrorCode::kResourceExhausted,
                  "tenant limit max_instances (" + std::to_string(max_instances) +
                      ") reached",
                  {{"max_instances", "the tenant has " + std::to_string(used[0].GetInt("n")) +
                                         " of " + std::to_string(max_instances) + " instances"}},
                  {"delete an instance or ask a platform administrator to raise the limit"});
    }
    if (used[0].GetInt("gb") + i.storage_gb > max_storage) {
      throw Error(ErrorCode::kResourceExhausted,
                  "tenant limit max_storage_gb (" + std::to_string(max_storage) + ") exceeded",
                  {{"max_storage_gb", "the tenant uses " + std::to_string(used[0].GetInt("gb")) +
                                          " GB; this instance needs " +
                                          std::to_string(i.storage_gb) + " more"}},
                  {"ask for less storage or have the limit raised"});
    }
    try {
      tx.Exec(
          "INSERT INTO instances (id, tenant_id, name, engine, version, size, storage_gb, "
          "parameters, deletion_protection, labels, status, created_at, updated_at, "
          "parameter_group_id, parameter_group_version, effective_parameters, idempotency_key, "
          "created_by, request_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, "
          "$10::jsonb, $11, $12::timestamptz, $12::timestamptz, $13, $14::integer, $15::jsonb, "
          "$16, $17, $18)",
          {i.id, i.tenant_id, i.name, i.engine, i.version, i.size, std::to_string(i.storage_gb),
           nlohmann::json(i.parameters).dump(), i.deletion_protection ? "true" : "false",
           nlohmann::json(i.labels).dump(), i.status, FormatRfc3339(i.created_at),
           i.parameter_group_id,
           i.parameter_group_version
               ? std::optional<std::string>(std::to_string(*i.parameter_group_version))
               : std::nullopt,
           nlohmann::json(i.effective_parameters).dump(),
           idempotency ? std::optional<std::string>(idempotency->key) : std::nullopt,
           idempotency ? idempotency->caller : std::string(),
           idempotency ? std::optional<std::string>(idempotency->request_hash) : std::nullopt});
    } catch (const Error& e) {
      if (e.Code() != ErrorCode::kAlreadyExists) throw;
      throw Error(ErrorCode::kAlreadyExists, "an instance named \"" + i.name + "\" exists",
                  {{"name", "already used in this tenant"}}, {"choose another name"});
    }
    InsertOperation(tx, operation);
    events::Enqueue(tx, event);
  });
  return earlier;
}

std::optional<Instance> PgProvisioningRepository::FindInstance(const std::string& id) {
  auto rows = pool_.Exec(
      "SELECT " + InstanceColumns() + " FROM instances WHERE id = $1 AND status <> 'deleted'",
      {id});
  if (rows.Empty()) return std::nullopt;
  return InstanceFromRow(rows[0]);
}

Instance PgProvisioningRepository::UpdateInstance(
    const std::string& id, std::int64_t revision, const InstanceMetadata& metadata,
    const std::optional<Operation>& operation,
    const std::function<events::Event(const Instance&)>& event_for) {
  Instance updated;
  pool_.InTransaction([&](store::Tx& tx) {
    auto current = LockInstance(tx, id);
    if (current.revision != revision) {
      throw Error(ErrorCode::kAborted, "instance " + id + " changed since it was read", {},
                  {"GET it again and repeat the change"});
    }
    std::string sql = "UPDATE instances SET revision = revision + 1, updated_at = now()";
    store::Params params{id};
    const auto set = [&](const char* column, std::string value, const char* cast = "") {
      params.push_back(std::move(value));
      sql += std::string(", ") + column + " = $" + std::to_string(params.size()) + cast;
    };
    if (metadata.deletion_protection) {
      set("deletion_protection", *metadata.deletion_protection ? "true" : "false");
    }
    if (metadata.labels) set("labels", nlohmann::json(*metadata.labels).dump(), "::jsonb");
    if (metadata.storage_gb) set("storage_gb", std::to_string(*metadata.storage_gb), "::bigint");
    if (operation) {
      if (current.status != kRunning) {
        throw Error(ErrorCode::kFailedPrecondition,
                    "instance " + id + " is " + current.status +
                        "; its size and parameters change only while it is running");
      }
      auto open = tx.Exec(
          "SELECT id FROM operations WHERE target = $1 AND status IN ('pending', 'running')",
          {id});
      if (!open.Empty()) {
        throw Error(ErrorCode::kFailedPrecondition,
                    "instance " + id + " is busy with operation " + open[0].Get("id"));
      }
      set("status", std::string(kMaintenance));
    }
    if (metadata.storage_gb) {
      auto limits = tx.Exec(
          "SELECT l.max_storage_gb, (SELECT coalesce(sum(storage_gb), 0) FROM instances WHERE "
          "tenant_id = l.tenant_id AND status <> 'deleted' AND id <> $2) AS others "
          "FROM tenant_limits l WHERE l.tenant_id = $1 FOR UPDATE",
          {current.tenant_id, id});
      if (!limits.Empty() && limits[0].GetInt("others") + *metadata.storage_gb >
                                 limits[0].GetInt("max_storage_gb")) {
        throw Error(ErrorCode::kResourceExhausted,
                    "tenant limit max_storage_gb (" +
                        std::to_string(limits[0].GetInt("max_storage_gb")) + ") exceeded");
      }
    }
    sql += " WHERE id = $1 RETURNING " + InstanceColumns();
    updated = InstanceFromRow(tx.Exec(sql, params)[0]);
    if (operation) InsertOperation(tx, *operation);
    events::Enqueue(tx, event_for(updated));
  });
  return updated;
}

InstancePage PgProvisioningRepository::ListInstances(const InstanceQuery& q) {
  std::string sql = "SELECT " + InstanceColumns() + " FROM instances WHERE status <> 'deleted'";
  store::Params params;
  const auto add = [&](const std::string& column, const std::string& op, std::string value) {
    params.push_back(std::move(value));
    sql += " AND " + column + " " + op + " $" + std::to_string(params.size());
  };
  if (q.tenant_id) add("tenant_id", "=", *q.tenant_id);
  if (q.engine) add("engine", "=", *q.engine);
  if (q.status) add("status", "=", *q.status);
  if (q.after_id) add("id", ">", *q.after_id);
  params.push_back(std::to_string(q.page_size + 1));
  sql += " ORDER BY id LIMIT $" + std::to_string(params.size()) + "::bigint";
  InstancePage page;
  for (const auto& row : pool_.Exec(sql, params)) page.instances.push_back(InstanceFromRow(row));
  if (page.instances.size() > q.page_size) {
    page.instances.resize(q.page_size);
    page.last_id = page.instances.back().id;
  }
  return page;
}

Instance PgProvisioningRepository::BeginOperation(
    const std::string& instance_id, const std::vector<std::string>& allowed,
    const std::string& new_status, const Operation& operation,
    const std::function<void(const Instance&)>& check,
    const std::function<events::Event(const Instance&)>& event_for) {
  Instance updated;
  pool_.InTransaction([&](store::Tx& tx) {
    auto instance = LockInstance(tx, instance_id);
    if (check) check(instance);
    auto open = tx.Exec(
        "SELECT id, type FROM operations WHERE target = $1 AND status IN ('pending', 'running')",
        {instance_id});
    if (!open.Empty()) {
      throw Error(ErrorCode::kFailedPrecondition,
                  "instance " + instance_id + " is busy with operation " + open[0].Get("id") +
                      " (" + open[0].Get("type") + ")",
                  {}, {"wait for that operation to finish: GET /v1/operations/" + open[0].Get("id")});
    }
    if (std::find(allowed.begin(), allowed.end(), instance.status) == allowed.end()) {
      throw Error(ErrorCode::kFailedPrecondition,
                  "instance " + instance_id + " is " + instance.status + "; cannot " +
                      operation.type + " it now");
    }
    auto rows = tx.Exec("UPDATE instances SET status = $2, status_detail = '', "
                        "revision = revision + 1, updated_at = now() WHERE id = $1 RETURNING " +
                            InstanceColumns(),
                        {instance_id, new_status});
    updated = InstanceFromRow(rows[0]);
    InsertOperation(tx, operation);
    events::Enqueue(tx, event_for(updated));
  });
  return updated;
}

std::optional<Operation> PgProvisioningRepository::ClaimOperation(std::chrono::milliseconds lease) {
  auto rows = pool_.Exec(
      "UPDATE operations SET status = 'running', attempts = attempts + 1, updated_at = now(), "
      "lease_until = now() + $1::bigint * interval '1 millisecond' WHERE id = ("
      "SELECT id FROM operations o WHERE (status = 'pending' OR (status = 'running' AND "
      "lease_until < now())) AND NOT EXISTS (SELECT 1 FROM operations e WHERE e.target = "
      "o.target AND e.status IN ('pending', 'running') AND (e.created_at, e.id) < "
      "(o.created_at, o.id)) ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING " +
          OperationColumns(),
      {std::to_string(lease.count())});
  if (rows.Empty()) return std::nullopt;
  return OperationFromRow(rows[0]);
}

void PgProvisioningRepository::RenewLease(const std::string& id, std::chrono::milliseconds lease) {
  pool_.Exec(
      "UPDATE operations SET lease_until = now() + $2::bigint * interval '1 millisecond' "
      "WHERE id = $1 AND status = 'running'",
      {id, std::to_string(lease.count())});
}

void PgProvisioningRepository::SetProgress(const std::string& id, int progress,
                                           const std::string& step) {
  pool_.Exec(
      "UPDATE operations SET progress = $2, step = $3, updated_at = now() WHERE id = $1",
      {id, std::to_string(progress), step});
}

void PgProvisioningRepository::FinishOperation(
    const Operation& operation, std::optional<Error> error, const InstanceChange& change,
    const std::function<events::Event(const Instance&)>& event_for) {
  pool_.InTransaction([&](store::Tx& tx) {
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
    std::string sql =
        "UPDATE instances SET status = $2, status_detail = $3, revision = revision + 1, "
        "updated_at = now()";
    store::Params params{operation.target, change.status, change.status_detail};
    const auto set = [&](const char* column, const std::optional<std::string>& value,
                         const char* cast = "") {
      if (!value) return;
      params.push_back(*value);
      sql += std::string(", ") + column + " = $" + std::to_string(params.size()) + cast;
    };
    set("host", change.host);
    set("port", change.port ? std::optional<std::string>(std::to_string(*change.port))
                            : std::nullopt,
        "::integer");
    set("server_version", change.server_version);
    set("admin_user", change.admin_user);
    set("ca_pem", change.ca_pem);
    if (change.sealed_password) {
      params.push_back(*change.sealed_password);
      sql += ", admin_password = $" + std::to_string(params.size());
    }
    if (change.clear_credentials) sql += ", admin_password = NULL";
    set("size", change.size);
    set("parameters",
        change.parameters ? std::optional<std::string>(nlohmann::json(*change.parameters).dump())
                          : std::nullopt,
        "::jsonb");
    set("pending_restart",
        change.pending_restart
            ? std::optional<std::string>(nlohmann::json(*change.pending_restart).dump())
            : std::nullopt,
        "::jsonb");
    set("effective_parameters",
        change.effective_parameters
            ? std::optional<std::string>(nlohmann::json(*change.effective_parameters).dump())
            : std::nullopt,
        "::jsonb");
    if (change.set_parameter_group) {
      params.push_back(change.parameter_group_id);
      sql += ", parameter_group_id = $" + std::to_string(params.size());
      params.push_back(change.parameter_group_version
                           ? std::optional<std::string>(
                                 std::to_string(*change.parameter_group_version))
                           : std::nullopt);
      sql += ", parameter_group_version = $" + std::to_string(params.size()) + "::integer";
    }
    sql += " WHERE id = $1 RETURNING " + InstanceColumns();
    auto rows = tx.Exec(sql, params);
    if (!rows.Empty()) events::Enqueue(tx, event_for(InstanceFromRow(rows[0])));
  });
}

std::optional<Operation> PgProvisioningRepository::FindOperation(const std::string& id) {
  auto rows = pool_.Exec("SELECT " + OperationColumns() + " FROM operations WHERE id = $1", {id});
  if (rows.Empty()) return std::nullopt;
  return OperationFromRow(rows[0]);
}

std::optional<std::string> PgProvisioningRepository::SealedPassword(const std::string& id) {
  auto rows = pool_.Exec(
      "SELECT admin_password AS sealed FROM instances WHERE id = $1 AND "
      "status <> 'deleted' AND admin_password IS NOT NULL",
      {id});
  if (rows.Empty()) return std::nullopt;
  return rows[0].Get("sealed");
}

std::vector<Instance> PgProvisioningRepository::RunningInstances() {
  std::vector<Instance> out;
  for (const auto& row :
       pool_.Exec("SELECT " + InstanceColumns() + " FROM instances WHERE status = 'running'")) {
    out.push_back(InstanceFromRow(row));
  }
  return out;
}

bool PgProvisioningRepository::MarkFailed(
    const std::string& instance_id, const std::string& detail,
    const std::function<events::Event(const Instance&)>& event_for) {
  bool changed = false;
  pool_.InTransaction([&](store::Tx& tx) {
    auto rows = tx.Exec(
        "UPDATE instances SET status = 'failed', status_detail = $2, revision = revision + 1, "
        "updated_at = now() WHERE id = $1 AND status = 'running' AND NOT EXISTS (SELECT 1 FROM "
        "operations WHERE target = $1 AND status IN ('pending', 'running')) RETURNING " +
            InstanceColumns(),
        {instance_id, detail});
    if (rows.Empty()) return;
    events::Enqueue(tx, event_for(InstanceFromRow(rows[0])));
    changed = true;
  });
  return changed;
}

}  // namespace dbaas::provisioning
