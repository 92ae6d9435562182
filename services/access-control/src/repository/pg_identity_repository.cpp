#include "repository/pg_identity_repository.hpp"

#include <nlohmann/json.hpp>

#include "dbaas/auth/role.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/events/event.hpp"
#include "dbaas/events/outbox.hpp"
#include "dbaas/store/store.hpp"
#include "repository/pg_idempotency_keys.hpp"
#include "repository/pg_time.hpp"

namespace dbaas::access_control {
namespace {

using pg::OptionalTime;
using pg::ParseTime;
using pg::TextOrNull;
using pg::TimeParam;
using pg::Ts;

std::string UserColumns() {
  return "id, tenant_id, username, email, display_name, password_hash, active, failed_logins, "
         "version, source, external_id, " +
         Ts("last_login_at") + ", " + Ts("locked_until") + ", " + Ts("created_at") + ", " +
         Ts("updated_at");
}

User UserFromRow(const store::Row& row) {
  User u;
  u.id = UserId::FromTrusted(row.Get("id"));
  u.tenant_id = row.Optional("tenant_id").value_or("");
  u.username = row.Get("username");
  u.email = row.Optional("email");
  u.display_name = row.Get("display_name");
  u.password_hash = row.Get("password_hash");
  u.active = row.GetBool("active");
  u.login.failed_logins = static_cast<int>(row.GetInt("failed_logins"));
  u.login.locked_until = OptionalTime(row, "locked_until");
  u.last_login_at = OptionalTime(row, "last_login_at");
  u.version = row.GetInt("version");
  u.source = row.Get("source");
  u.external_id = row.Optional("external_id");
  u.created_at = ParseTime(row.Get("created_at"));
  u.updated_at = ParseTime(row.Get("updated_at"));
  return u;
}

std::string RoleColumns() {
  return "id, tenant_id, name, description, permissions::text AS permissions, version, " +
         Ts("created_at") + ", " + Ts("updated_at");
}

std::string PermissionsJson(const std::vector<auth::Permission>& permissions) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : permissions)
    out.push_back({{"resource", p.resource}, {"actions", p.actions}});
  return out.dump();
}

CustomRole RoleFromRow(const store::Row& row) {
  CustomRole r;
  r.id = row.Get("id");
  r.tenant_id = row.Get("tenant_id");
  r.name = row.Get("name");
  r.description = row.Get("description");
  for (const auto& p : nlohmann::json::parse(row.Get("permissions"))) {
    r.permissions.push_back(auth::Permission{p.at("resource").get<std::string>(),
                                             p.at("actions").get<std::vector<std::string>>()});
  }
  r.version = row.GetInt("version");
  r.created_at = ParseTime(row.Get("created_at"));
  r.updated_at = ParseTime(row.Get("updated_at"));
  return r;
}

std::string KeyColumns() {
  return "id, tenant_id, name, prefix, key_hash, roles::text AS roles, created_by, " +
         Ts("expires_at") + ", " + Ts("revoked_at") + ", " + Ts("created_at");
}

ApiKeyRecord KeyFromRow(const store::Row& row) {
  ApiKeyRecord k;
  k.id = row.Get("id");
  k.tenant_id = row.Optional("tenant_id").value_or("");
  k.name = row.Get("name");
  k.prefix = row.Get("prefix");
  k.key_hash = row.Get("key_hash");
  k.roles = nlohmann::json::parse(row.Get("roles")).get<std::vector<std::string>>();
  k.created_by = row.Get("created_by");
  k.expires_at = OptionalTime(row, "expires_at");
  k.revoked_at = OptionalTime(row, "revoked_at");
  k.created_at = ParseTime(row.Get("created_at"));
  return k;
}

bool Mentions(const Error& e, std::string_view constraint) {
  return std::string_view(e.what()).find(constraint) != std::string_view::npos;
}

}  // namespace

void PgIdentityRepository::CreateUser(const User& user, const std::vector<RoleAssignment>& roles,
                                      const std::vector<events::Event>& events,
                                      const std::optional<IdempotencyRecord>& idempotency) {
  try {
    pool_.InTransaction([&](store::Tx& tx) {
      tx.Exec(
          "INSERT INTO users (id, tenant_id, username, email, display_name, password_hash, "
          "active, version, created_at, updated_at, source, external_id) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
          {user.id.str(), TextOrNull(user.tenant_id), user.username, user.email, user.display_name,
           user.password_hash, user.active ? "true" : "false", std::to_string(user.version),
           FormatRfc3339(user.created_at), FormatRfc3339(user.updated_at), user.source,
           user.external_id});
      for (const auto& a : roles) {
        tx.Exec(
            "INSERT INTO role_assignments (user_id, role_name, tenant_id) VALUES ($1, $2, $3) "
            "ON CONFLICT DO NOTHING",
            {user.id.str(), a.role, TextOrNull(a.tenant_id)});
      }
      if (idempotency) RecordIdempotencyKey(tx, *idempotency, user.id.str());
      for (const auto& e : events) events::Enqueue(tx, e);
    });
  } catch (const Error& e) {
    if (e.Code() != ErrorCode::kAlreadyExists) throw;
    if (Mentions(e, "users_email_unique") || (Mentions(e, "users_username_unique") && user.email)) {
      throw Error(ErrorCode::kAlreadyExists, "a user with this email already exists",
                  {{"email", "is taken"}});
    }
    throw Error(ErrorCode::kAlreadyExists, "a user named '" + user.username + "' already exists",
                {{"username", "is taken"}});
  }
}

std::optional<User> PgIdentityRepository::FindUser(const std::string& id) {
  auto r = pool_.Exec("SELECT " + UserColumns() + " FROM users WHERE id = $1", {id});
  if (r.Empty()) return std::nullopt;
  return UserFromRow(r[0]);
}

std::optional<User> PgIdentityRepository::FindUserByUsername(const std::string& username) {
  auto r = pool_.Exec("SELECT " + UserColumns() + " FROM users WHERE lower(username) = lower($1)",
                      {username});
  if (r.Empty()) return std::nullopt;
  return UserFromRow(r[0]);
}

UserPage PgIdentityRepository::ListUsers(const UserListQuery& query) {
  // $2 NULL: every user; '' : platform users; otherwise that tenant's users.
  auto r = pool_.Exec("SELECT " + UserColumns() +
                          " FROM users WHERE ($1::text IS NULL OR id > $1) "
                          "AND ($2::text IS NULL OR coalesce(tenant_id, '') = $2) "
                          "ORDER BY id LIMIT $3",
                      {query.after_id, query.tenant_id, std::to_string(query.page_size + 1)});
  UserPage page;
  for (const auto& row : r) {
    if (page.users.size() == query.page_size) {
      page.last_id = page.users.back().id.str();
      break;
    }
    page.users.push_back(UserFromRow(row));
  }
  return page;
}

std::optional<User> PgIdentityRepository::UpdateUser(const std::string& id,
                                                     const UserChange& change) {
  std::optional<User> updated;
  pool_.InTransaction([&](store::Tx& tx) {
    updated.reset();
    auto current =
        tx.Exec("SELECT " + UserColumns() + " FROM users WHERE id = $1 FOR UPDATE", {id});
    if (current.Empty()) return;
    auto [next, event] = change(UserFromRow(current[0]));
    tx.Exec(
        "UPDATE users SET display_name = $2, active = $3, password_hash = $4, "
        "failed_logins = $5, locked_until = $6, version = $7, updated_at = $8 WHERE id = $1",
        {id, next.display_name, next.active ? "true" : "false", next.password_hash,
         std::to_string(next.login.failed_logins), TimeParam(next.login.locked_until),
         std::to_string(next.version), FormatRfc3339(next.updated_at)});
    events::Enqueue(tx, event);
    updated = std::move(next);
  });
  return updated;
}

std::optional<LoginState> PgIdentityRepository::UpdateLoginState(
    const std::string& id, const LoginChange& change,
    const std::optional<TimePoint>& last_login_at) {
  std::optional<LoginState> stored;
  pool_.InTransaction([&](store::Tx& tx) {
    stored.reset();
    auto r = tx.Exec(
        "SELECT failed_logins, " + Ts("locked_until") + " FROM users WHERE id = $1 FOR UPDATE",
        {id});
    if (r.Empty()) return;
    LoginState current{static_cast<int>(r[0].GetInt("failed_logins")),
                       OptionalTime(r[0], "locked_until")};
    LoginState next = change(current);
    tx.Exec(
        "UPDATE users SET failed_logins = $2, locked_until = $3, "
        "last_login_at = coalesce($4::timestamptz, last_login_at) WHERE id = $1",
        {id, std::to_string(next.failed_logins), TimeParam(next.locked_until),
         TimeParam(last_login_at)});
    stored = next;
  });
  return stored;
}

bool PgIdentityRepository::DeleteUser(const std::string& id, const DeleteUserEvent& event) {
  bool deleted = false;
  pool_.InTransaction([&](store::Tx& tx) {
    auto gone = tx.Exec("DELETE FROM users WHERE id = $1 RETURNING " + UserColumns(), {id});
    deleted = !gone.Empty();
    if (deleted) events::Enqueue(tx, event(UserFromRow(gone[0])));
  });
  return deleted;
}

bool PgIdentityRepository::AnyPlatformAdmin() {
  return !pool_
              .Exec(
                  "SELECT 1 FROM role_assignments WHERE role_name = $1 AND tenant_id IS NULL "
                  "LIMIT 1",
                  {std::string(auth::kRolePlatformAdmin)})
              .Empty();
}

std::vector<RoleAssignment> PgIdentityRepository::Assignments(const std::string& user_id) {
  std::vector<RoleAssignment> out;
  for (const auto& row :
       pool_.Exec("SELECT role_name, tenant_id FROM role_assignments WHERE user_id = $1 "
                  "ORDER BY role_name",
                  {user_id})) {
    out.push_back({row.Get("role_name"), row.Optional("tenant_id").value_or("")});
  }
  return out;
}

bool PgIdentityRepository::Assign(const std::string& user_id, const RoleAssignment& assignment,
                                  const events::Event& event) {
  bool added = false;
  pool_.InTransaction([&](store::Tx& tx) {
    added = tx.Exec(
                  "INSERT INTO role_assignments (user_id, role_name, tenant_id) "
                  "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                  {user_id, assignment.role, TextOrNull(assignment.tenant_id)})
                .Affected() > 0;
    if (added) events::Enqueue(tx, event);
  });
  return added;
}

bool PgIdentityRepository::Unassign(const std::string& user_id, const std::string& role,
                                    const events::Event& event) {
  bool removed = false;
  pool_.InTransaction([&](store::Tx& tx) {
    removed = tx.Exec("DELETE FROM role_assignments WHERE user_id = $1 AND role_name = $2",
                      {user_id, role})
                  .Affected() > 0;
    if (removed) events::Enqueue(tx, event);
  });
  return removed;
}

void PgIdentityRepository::CreateRole(const CustomRole& role, const events::Event& event,
                                      const std::optional<IdempotencyRecord>& idempotency) {
  try {
    pool_.InTransaction([&](store::Tx& tx) {
      tx.Exec(
          "INSERT INTO roles (id, tenant_id, name, description, permissions, version, created_at, "
          "updated_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)",
          {role.id, role.tenant_id, role.name, role.description, PermissionsJson(role.permissions),
           std::to_string(role.version), FormatRfc3339(role.created_at),
           FormatRfc3339(role.updated_at)});
      if (idempotency) RecordIdempotencyKey(tx, *idempotency, role.id);
      events::Enqueue(tx, event);
    });
  } catch (const Error& e) {
    if (e.Code() != ErrorCode::kAlreadyExists) throw;
    throw Error(ErrorCode::kAlreadyExists,
                "the tenant already has a role named '" + role.name + "'", {{"name", "is taken"}});
  }
}

std::optional<CustomRole> PgIdentityRepository::FindRole(const std::string& id) {
  auto r = pool_.Exec("SELECT " + RoleColumns() + " FROM roles WHERE id = $1", {id});
  if (r.Empty()) return std::nullopt;
  return RoleFromRow(r[0]);
}

std::optional<CustomRole> PgIdentityRepository::FindRoleByName(const std::string& tenant_id,
                                                               const std::string& name) {
  auto r = pool_.Exec("SELECT " + RoleColumns() + " FROM roles WHERE tenant_id = $1 AND name = $2",
                      {tenant_id, name});
  if (r.Empty()) return std::nullopt;
  return RoleFromRow(r[0]);
}

std::vector<CustomRole> PgIdentityRepository::ListRoles(const RoleRowQuery& query) {
  std::vector<CustomRole> out;
  for (const auto& row :
       pool_.Exec("SELECT " + RoleColumns() +
                      " FROM roles WHERE ($1::text IS NULL OR id > $1) "
                      "AND ($2::text IS NULL OR tenant_id = $2) "
                      "ORDER BY id LIMIT $3",
                  {query.after_id, query.tenant_id, std::to_string(query.limit)})) {
    out.push_back(RoleFromRow(row));
  }
  return out;
}

std::optional<CustomRole> PgIdentityRepository::UpdateRole(const std::string& id,
                                                           const RoleChange& change) {
  std::optional<CustomRole> updated;
  pool_.InTransaction([&](store::Tx& tx) {
    updated.reset();
    auto current =
        tx.Exec("SELECT " + RoleColumns() + " FROM roles WHERE id = $1 FOR UPDATE", {id});
    if (current.Empty()) return;
    auto [next, event] = change(RoleFromRow(current[0]));
    tx.Exec(
        "UPDATE roles SET description = $2, permissions = $3::jsonb, version = $4, "
        "updated_at = $5 WHERE id = $1",
        {id, next.description, PermissionsJson(next.permissions), std::to_string(next.version),
         FormatRfc3339(next.updated_at)});
    events::Enqueue(tx, event);
    updated = std::move(next);
  });
  return updated;
}

bool PgIdentityRepository::DeleteRole(const std::string& id, const DeleteRoleEvent& event) {
  bool deleted = false;
  pool_.InTransaction([&](store::Tx& tx) {
    deleted = false;
    auto current =
        tx.Exec("SELECT " + RoleColumns() + " FROM roles WHERE id = $1 FOR UPDATE", {id});
    if (current.Empty()) return;
    const auto role = RoleFromRow(current[0]);
    const auto holders = tx.Exec(
        "SELECT (SELECT count(*) FROM role_assignments WHERE role_name = $1 AND tenant_id = $2) "
        "+ (SELECT count(*) FROM api_keys WHERE tenant_id = $2 AND revoked_at IS NULL "
        "AND roles ? $1) AS holders",
        {role.name, role.tenant_id});
    if (holders[0].GetInt("holders") > 0) {
      throw Error(ErrorCode::kFailedPrecondition,
                  "role '" + role.name + "' is still held by users or API keys", {},
                  {"remove the role from its users and revoke the API keys holding it first"});
    }
    tx.Exec("DELETE FROM roles WHERE id = $1", {id});
    events::Enqueue(tx, event(role));
    deleted = true;
  });
  return deleted;
}

void PgIdentityRepository::CreateApiKey(const ApiKeyRecord& key, const events::Event& event,
                                        const std::optional<IdempotencyRecord>& idempotency) {
  pool_.InTransaction([&](store::Tx& tx) {
    tx.Exec(
        "INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, roles, created_by, "
        "expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9)",
        {key.id, TextOrNull(key.tenant_id), key.name, key.prefix, key.key_hash,
         nlohmann::json(key.roles).dump(), key.created_by, TimeParam(key.expires_at),
         FormatRfc3339(key.created_at)});
    if (idempotency) RecordIdempotencyKey(tx, *idempotency, key.id);
    events::Enqueue(tx, event);
  });
}

std::optional<ApiKeyRecord> PgIdentityRepository::FindApiKey(const std::string& id) {
  auto r = pool_.Exec("SELECT " + KeyColumns() + " FROM api_keys WHERE id = $1", {id});
  if (r.Empty()) return std::nullopt;
  return KeyFromRow(r[0]);
}

std::optional<ApiKeyRecord> PgIdentityRepository::FindApiKeyByPrefix(const std::string& prefix) {
  auto r = pool_.Exec("SELECT " + KeyColumns() + " FROM api_keys WHERE prefix = $1", {prefix});
  if (r.Empty()) return std::nullopt;
  return KeyFromRow(r[0]);
}

ApiKeyPage PgIdentityRepository::ListApiKeys(const ApiKeyListQuery& query) {
  // $2 NULL: every key; '' : platform keys; otherwise that tenant's keys. One extra row tells
  // whether another page follows.
  auto r = pool_.Exec("SELECT " + KeyColumns() +
                          " FROM api_keys WHERE ($1::text IS NULL OR id > $1) "
                          "AND ($2::text IS NULL OR coalesce(tenant_id, '') = $2) "
                          "ORDER BY id LIMIT $3",
                      {query.after_id, query.tenant_id, std::to_string(query.page_size + 1)});
  ApiKeyPage page;
  for (const auto& row : r) {
    if (page.keys.size() == query.page_size) {
      page.last_id = page.keys.back().id;
      break;
    }
    page.keys.push_back(KeyFromRow(row));
  }
  return page;
}

std::optional<ApiKeyRecord> PgIdentityRepository::RevokeApiKey(const std::string& id, TimePoint now,
                                                               const RevokeKeyEvent& event) {
  std::optional<ApiKeyRecord> result;
  pool_.InTransaction([&](store::Tx& tx) {
    result.reset();
    auto changed = tx.Exec(
        "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL "
        "RETURNING " +
            KeyColumns(),
        {id, FormatRfc3339(now)});
    if (!changed.Empty()) {
      result = KeyFromRow(changed[0]);
      events::Enqueue(tx, event(*result));
      return;
    }
    auto existing = tx.Exec("SELECT " + KeyColumns() + " FROM api_keys WHERE id = $1", {id});
    if (!existing.Empty()) result = KeyFromRow(existing[0]);
  });
  return result;
}

}  // namespace dbaas::access_control
