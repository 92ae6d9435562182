#include "repository/pg_parameter_group_repository.hpp"

#include <nlohmann/json.hpp>

#include "dbaas/common/error.hpp"
#include "dbaas/events/outbox.hpp"
#include "repository/pg_provisioning_repository.hpp"
#include "repository/row_support.hpp"

namespace dbaas::provisioning {
namespace {

using detail::StringMap;
using detail::Time;
using detail::Ts;

const std::string& GroupColumns() {
  static const std::string columns =
      "g.id, g.tenant_id, g.name, g.engine, g.description, g.builtin, g.version, g.revision, "
      "g.request_hash, (SELECT v.parameters::text FROM parameter_group_versions v WHERE "
      "v.group_id = g.id AND v.version = g.version) AS parameters, " +
      Ts("created_at") + ", " + Ts("updated_at");
  return columns;
}

ParameterGroup GroupFromRow(const store::Row& row) {
  ParameterGroup g;
  g.id = row.Get("id");
  g.tenant_id = row.Get("tenant_id");
  g.name = row.Get("name");
  g.engine = row.Get("engine");
  g.description = row.Get("description");
  g.builtin = row.GetBool("builtin");
  g.version = row.GetInt("version");
  g.revision = row.GetInt("revision");
  g.parameters = StringMap(row.Optional("parameters").value_or("{}"));
  g.created_at = Time(row, "created_at");
  g.updated_at = Time(row, "updated_at");
  return g;
}

ParameterGroup LockGroup(store::Tx& tx, const std::string& id) {
  auto rows =
      tx.Exec("SELECT " + GroupColumns() + " FROM parameter_groups g WHERE g.id = $1 FOR UPDATE",
              {id});
  if (rows.Empty()) throw Error(ErrorCode::kNotFound, "parameter group " + id + " not found");
  return GroupFromRow(rows[0]);
}

// Live instances attached to the group, or being attached by an open update operation (so a
// new version reaches them too, once that operation is done).
std::vector<AttachedInstance> Attached(store::Tx& tx, const std::string& group_id) {
  std::vector<AttachedInstance> out;
  for (const auto& row : tx.Exec(
           "SELECT id, name, tenant_id FROM instances WHERE status <> 'deleted' AND "
           "(parameter_group_id = $1 OR id IN (SELECT target FROM operations WHERE type = "
           "'update' AND status IN ('pending', 'running') AND spec->>'parameter_group_id' = $1)) "
           "ORDER BY id",
           {group_id})) {
    out.push_back({row.Get("id"), row.Get("name"), row.Get("tenant_id")});
  }
  return out;
}

}  // namespace

std::pair<ParameterGroup, bool> PgParameterGroupRepository::Create(
    const ParameterGroup& g, const std::optional<GroupIdempotency>& idempotency,
    const std::function<events::Event(const ParameterGroup&)>& event_for) {
  std::pair<ParameterGroup, bool> out{g, false};
  pool_.InTransaction([&](store::Tx& tx) {
    if (idempotency) {
      // Serialises creates with the same key, so the second one sees the first's group.
      tx.Exec("SELECT pg_advisory_xact_lock(hashtext($1))",
              {g.tenant_id + "\n" + idempotency->caller + "\n" + idempotency->key});
      auto earlier = tx.Exec("SELECT " + GroupColumns() +
                                 " FROM parameter_groups g WHERE g.tenant_id = $1 AND "
                                 "g.created_by = $2 AND g.idempotency_key = $3",
                             {g.tenant_id, idempotency->caller, idempotency->key});
      if (!earlier.Empty()) {
        if (earlier[0].Optional("request_hash") != idempotency->request_hash) {
          throw Error(ErrorCode::kInvalidArgument,
                      "Idempotency-Key was already used with a different request",
                      {{"Idempotency-Key", "reused with different content"}},
                      {"use a new Idempotency-Key for a different request"});
        }
        out = {GroupFromRow(earlier[0]), true};
        return;
      }
    }
    try {
      tx.Exec(
          "INSERT INTO parameter_groups (id, tenant_id, name, engine, description, version, "
          "idempotency_key, created_by, request_hash, created_at, updated_at) VALUES ($1, $2, "
          "$3, $4, $5, 1, $6, $7, $8, $9::timestamptz, $9::timestamptz)",
          {g.id, g.tenant_id, g.name, g.engine, g.description,
           idempotency ? std::optional<std::string>(idempotency->key) : std::nullopt,
           idempotency ? idempotency->caller : std::string(),
           idempotency ? std::optional<std::string>(idempotency->request_hash) : std::nullopt,
           FormatRfc3339(g.created_at)});
    } catch (const Error& e) {
      if (e.Code() != ErrorCode::kAlreadyExists) throw;
      throw Error(ErrorCode::kAlreadyExists,
                  "a " + g.engine + " parameter group named \"" + g.name + "\" exists",
                  {{"name", "already used for " + g.engine + " in this tenant"}},
                  {"choose another name, or PATCH the existing group"});
    }
    tx.Exec(
        "INSERT INTO parameter_group_versions (group_id, version, tenant_id, parameters, "
        "created_at) VALUES ($1, 1, $2, $3::jsonb, $4::timestamptz)",
        {g.id, g.tenant_id, nlohmann::json(g.parameters).dump(), FormatRfc3339(g.created_at)});
    events::Enqueue(tx, event_for(g));
  });
  return out;
}

std::optional<ParameterGroup> PgParameterGroupRepository::Find(const std::string& id) {
  auto rows =
      pool_.Exec("SELECT " + GroupColumns() + " FROM parameter_groups g WHERE g.id = $1", {id});
  if (rows.Empty()) return std::nullopt;
  return GroupFromRow(rows[0]);
}

std::vector<ParameterGroup> PgParameterGroupRepository::FindByName(const std::string& tenant_id,
                                                                   const std::string& name) {
  std::vector<ParameterGroup> out;
  for (const auto& row :
       pool_.Exec("SELECT " + GroupColumns() +
                      " FROM parameter_groups g WHERE g.name = $2 AND (g.tenant_id = $1 OR "
                      "g.builtin) ORDER BY g.engine",
                  {tenant_id, name})) {
    out.push_back(GroupFromRow(row));
  }
  return out;
}

ParameterGroupPage PgParameterGroupRepository::List(const ParameterGroupQuery& q) {
  std::string sql = "SELECT " + GroupColumns() + " FROM parameter_groups g WHERE true";
  store::Params params;
  const auto add = [&](const std::string& condition, std::string value) {
    params.push_back(std::move(value));
    sql += " AND " + condition + " $" + std::to_string(params.size());
  };
  if (q.tenant_id) {
    params.push_back(*q.tenant_id);
    sql += " AND (g.builtin OR g.tenant_id = $" + std::to_string(params.size()) + ")";
  }
  if (q.engine) add("g.engine =", *q.engine);
  if (q.after_id) add("g.id >", *q.after_id);
  params.push_back(std::to_string(q.page_size + 1));
  sql += " ORDER BY g.id LIMIT $" + std::to_string(params.size()) + "::bigint";
  ParameterGroupPage page;
  for (const auto& row : pool_.Exec(sql, params)) page.groups.push_back(GroupFromRow(row));
  if (page.groups.size() > q.page_size) {
    page.groups.resize(q.page_size);
    page.last_id = page.groups.back().id;
  }
  return page;
}

ParameterGroupVersionPage PgParameterGroupRepository::Versions(const std::string& id,
                                                               std::optional<std::int64_t> after,
                                                               std::size_t page_size) {
  auto rows = pool_.Exec(
      "SELECT version, parameters::text AS parameters, " + Ts("created_at") +
          " FROM parameter_group_versions WHERE group_id = $1 AND version > $2::integer "
          "ORDER BY version LIMIT $3::bigint",
      {id, std::to_string(after.value_or(0)), std::to_string(page_size + 1)});
  ParameterGroupVersionPage page;
  for (const auto& row : rows) {
    page.versions.push_back(
        {row.GetInt("version"), StringMap(row.Get("parameters")), Time(row, "created_at")});
  }
  if (page.versions.size() > page_size) {
    page.versions.resize(page_size);
    page.last_version = page.versions.back().version;
  }
  return page;
}

std::optional<ParameterGroupVersion> PgParameterGroupRepository::Version(
    const std::string& id, std::optional<std::int64_t> version) {
  auto rows = pool_.Exec(
      "SELECT version, parameters::text AS parameters, " + Ts("created_at") +
          " FROM parameter_group_versions WHERE group_id = $1 AND version = coalesce("
          "$2::integer, (SELECT g.version FROM parameter_groups g WHERE g.id = $1))",
      {id, version ? std::optional<std::string>(std::to_string(*version)) : std::nullopt});
  if (rows.Empty()) return std::nullopt;
  return ParameterGroupVersion{rows[0].GetInt("version"), StringMap(rows[0].Get("parameters")),
                               Time(rows[0], "created_at")};
}

std::pair<ParameterGroup, std::vector<Operation>> PgParameterGroupRepository::Update(
    const std::string& id, std::int64_t revision, const ParameterGroupChange& change,
    const std::function<Operation(const AttachedInstance&)>& make_operation,
    const std::function<events::Event(const ParameterGroup&, const std::vector<Operation>&)>&
        event_for) {
  std::pair<ParameterGroup, std::vector<Operation>> out;
  pool_.InTransaction([&](store::Tx& tx) {
    auto group = LockGroup(tx, id);
    if (group.revision != revision) {
      throw Error(ErrorCode::kAborted, "parameter group " + id + " changed since it was read", {},
                  {"GET it again and repeat the change"});
    }
    std::vector<Operation> operations;
    std::string sql = "UPDATE parameter_groups SET revision = revision + 1, updated_at = now()";
    store::Params params{id};
    if (change.description) {
      params.push_back(*change.description);
      sql += ", description = $" + std::to_string(params.size());
    }
    if (change.parameters) {
      sql += ", version = version + 1";
      tx.Exec(
          "INSERT INTO parameter_group_versions (group_id, version, tenant_id, parameters) "
          "VALUES ($1, $2::integer, $3, $4::jsonb)",
          {id, std::to_string(group.version + 1), group.tenant_id,
           nlohmann::json(*change.parameters).dump()});
      for (const auto& instance : Attached(tx, id)) {
        operations.push_back(make_operation(instance));
        InsertOperation(tx, operations.back());
      }
    }
    tx.Exec(sql + " WHERE id = $1", params);
    auto updated = LockGroup(tx, id);
    events::Enqueue(tx, event_for(updated, operations));
    out = {std::move(updated), std::move(operations)};
  });
  return out;
}

void PgParameterGroupRepository::Delete(
    const std::string& id, const std::function<events::Event(const ParameterGroup&)>& event_for) {
  pool_.InTransaction([&](store::Tx& tx) {
    const auto group = LockGroup(tx, id);
    const auto attached = Attached(tx, id);
    if (!attached.empty()) {
      std::string names;
      std::vector<FieldViolation> details;
      for (const auto& i : attached) {
        names += (names.empty() ? "" : ", ") + i.name + " (" + i.id + ")";
        details.push_back({"instances." + i.id, "uses parameter group " + group.name});
      }
      throw Error(ErrorCode::kFailedPrecondition,
                  "parameter group " + group.name + " is used by " +
                      std::to_string(attached.size()) + " instance(s): " + names,
                  std::move(details),
                  {"attach those instances to another group (PATCH parameter_group) or delete "
                   "them first"});
    }
    tx.Exec("DELETE FROM parameter_groups WHERE id = $1", {id});
    events::Enqueue(tx, event_for(group));
  });
}

}  // namespace dbaas::provisioning
