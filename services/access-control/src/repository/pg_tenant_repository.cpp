#include "repository/pg_tenant_repository.hpp"

#include "dbaas/common/error.hpp"
#include "dbaas/events/event.hpp"
#include "dbaas/events/outbox.hpp"
#include "dbaas/store/store.hpp"
#include "repository/pg_idempotency_keys.hpp"

namespace dbaas::access_control {
namespace {

// Timestamps leave the database in exactly the RFC 3339 form the API uses.
constexpr std::string_view kColumns =
    "id, name, display_name, active, max_instances, max_storage_gb, max_backups, "
    "max_connections, version, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS created_at, "
    "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS updated_at";

TimePoint ParseTime(const std::string& text) {
  auto t = ParseRfc3339(text);
  if (!t) throw Error(ErrorCode::kInternal, "stored timestamp is malformed");
  return *t;
}

Tenant FromRow(const store::Row& row) {
  Tenant t;
  t.id = TenantId::FromTrusted(row.Get("id"));
  t.name = row.Get("name");
  t.display_name = row.Get("display_name");
  t.active = row.GetBool("active");
  t.limits.max_instances = row.GetInt("max_instances");
  t.limits.max_storage_gb = row.GetInt("max_storage_gb");
  t.limits.max_backups = row.GetInt("max_backups");
  t.limits.max_connections = row.GetInt("max_connections");
  t.version = row.GetInt("version");
  t.created_at = ParseTime(row.Get("created_at"));
  t.updated_at = ParseTime(row.Get("updated_at"));
  return t;
}

store::Params TenantParams(const Tenant& t) {
  return {t.id.str(),
          t.name,
          t.display_name,
          t.active ? "true" : "false",
          std::to_string(t.limits.max_instances),
          std::to_string(t.limits.max_storage_gb),
          std::to_string(t.limits.max_backups),
          std::to_string(t.limits.max_connections),
          std::to_string(t.version),
          FormatRfc3339(t.created_at),
          FormatRfc3339(t.updated_at)};
}

}  // namespace

void PgTenantRepository::Create(const Tenant& tenant, const events::Event& event,
                                const std::optional<IdempotencyRecord>& idempotency) {
  try {
    pool_.InTransaction([&](store::Tx& tx) {
      tx.Exec(
          "INSERT INTO tenants (id, name, display_name, active, max_instances, max_storage_gb, "
          "max_backups, max_connections, version, created_at, updated_at) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
          TenantParams(tenant));
      if (idempotency) RecordIdempotencyKey(tx, *idempotency, tenant.id.str());
      events::Enqueue(tx, event);
    });
  } catch (const Error& e) {
    if (e.Code() != ErrorCode::kAlreadyExists) throw;
    // The store names the violated constraint in its message.
    if (std::string_view(e.what()).find("tenants_name_unique") != std::string_view::npos) {
      throw Error(ErrorCode::kAlreadyExists,
                  "a tenant named '" + tenant.name + "' already exists", {{"name", "is taken"}},
                  {"choose another name"});
    }
    throw;
  }
}

std::optional<Tenant> PgTenantRepository::Find(const std::string& id) {
  auto result = pool_.Exec("SELECT " + std::string(kColumns) + " FROM tenants WHERE id = $1", {id});
  if (result.Empty()) return std::nullopt;
  return FromRow(result[0]);
}

TenantPage PgTenantRepository::List(const TenantListQuery& query) {
  // Keyset pagination on the time-ordered id: stable under concurrent inserts and deletes.
  // One extra row tells whether another page follows.
  auto result = pool_.Exec("SELECT " + std::string(kColumns) +
                               " FROM tenants WHERE ($1::text IS NULL OR id > $1) "
                               "AND ($2::boolean IS NULL OR active = $2) AND ($4::text IS NULL OR id = $4) "
                               "ORDER BY id LIMIT $3",
                           {query.after_id,
                            query.active ? store::Param(*query.active ? "true" : "false")
                                         : store::Param(),
                            std::to_string(query.page_size + 1), query.only_id});
  TenantPage page;
  for (const auto& row : result) {
    if (page.tenants.size() == query.page_size) {
      page.last_id = page.tenants.back().id.str();
      break;
    }
    page.tenants.push_back(FromRow(row));
  }
  return page;
}

std::optional<Tenant> PgTenantRepository::Update(const std::string& id, const Change& change) {
  std::optional<Tenant> updated;
  pool_.InTransaction([&](store::Tx& tx) {
    updated.reset();
    auto current =
        tx.Exec("SELECT " + std::string(kColumns) + " FROM tenants WHERE id = $1 FOR UPDATE", {id});
    if (current.Empty()) return;
    auto [next, event] = change(FromRow(current[0]));
    tx.Exec(
        "UPDATE tenants SET display_name = $2, active = $3, max_instances = $4, "
        "max_storage_gb = $5, max_backups = $6, max_connections = $7, version = $8, "
        "updated_at = $9 WHERE id = $1",
        {next.id.str(), next.display_name, next.active ? "true" : "false",
         std::to_string(next.limits.max_instances), std::to_string(next.limits.max_storage_gb),
         std::to_string(next.limits.max_backups), std::to_string(next.limits.max_connections),
         std::to_string(next.version), FormatRfc3339(next.updated_at)});
    events::Enqueue(tx, event);
    updated = std::move(next);
  });
  return updated;
}

bool PgTenantRepository::Delete(const std::string& id, const DeleteEvent& event) {
  bool deleted = false;
  try {
    pool_.InTransaction([&](store::Tx& tx) {
      auto gone =
          tx.Exec("DELETE FROM tenants WHERE id = $1 RETURNING " + std::string(kColumns), {id});
      deleted = !gone.Empty();
      if (deleted) events::Enqueue(tx, event(FromRow(gone[0])));
    });
  } catch (const Error& e) {
    // Users, custom roles and API keys reference their tenant (ON DELETE RESTRICT).
    if (e.Code() != ErrorCode::kFailedPrecondition) throw;
    throw Error(ErrorCode::kFailedPrecondition,
                "tenant " + id + " still has users, roles or API keys", {},
                {"delete the tenant's users and roles and revoke its API keys first"});
  }
  return deleted;
}

}  // namespace dbaas::access_control
