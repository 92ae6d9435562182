#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "dbaas/auth/identity.hpp"
#include "dbaas/engines/admin.hpp"
#include "repository/pg_provisioning_repository.hpp"

namespace dbaas::crypto {
class KeyRing;
}

namespace dbaas::provisioning {

/// A database user with the password in effect, answered once on create and rotate.
struct DatabaseUserSecret {
  std::string name;
  std::string password;
  /// A connection URI for this user (TLS required), with the password.
  std::string uri;
};

/// A database and the engine of its instance (which names the character set "encoding" for
/// PostgreSQL and "charset" for MySQL).
struct InstanceDatabase {
  engines::Engine engine = engines::Engine::kPostgresql;
  engines::DatabaseInfo database;
};

struct InstanceDatabases {
  engines::Engine engine = engines::Engine::kPostgresql;
  std::vector<engines::DatabaseInfo> databases;
};

/// A privilege grant or a role membership as the API describes it (POST .../grants).
struct GrantRequest {
  std::string grantee;
  /// Role membership: the role granted to `grantee`. Set exactly when `privileges` is empty.
  std::optional<std::string> role;
  engines::GrantSpec privileges;
};

/// Opens an administrator session on an instance's server.
using AdminConnector = std::function<std::unique_ptr<engines::EngineAdmin>(
    engines::Engine, const engines::AdminOptions&)>;

/// Databases, users, roles and grants inside a running instance (resource "databases").
/// Every call first finds the instance (another tenant's is NOT_FOUND), checks the permission
/// (read/create/update/delete), validates the input (INVALID_ARGUMENT; names must pass
/// engines::ValidateName, privileges the engine's allowlist), requires the instance to be
/// running (FAILED_PRECONDITION), and only then opens an admin session over verified TLS for
/// the one operation. Engine errors pass through (ALREADY_EXISTS, NOT_FOUND, UNAVAILABLE, ...).
/// Thread-safe: each call has its own session.
class DatabaseService {
 public:
  DatabaseService(PgProvisioningRepository& repository, const crypto::KeyRing& keys,
                  AdminConnector connect = engines::ConnectAdmin)
      : repository_(repository), keys_(keys), connect_(std::move(connect)) {}

  InstanceDatabases ListDatabases(const auth::Identity& caller, const std::string& instance_id);
  InstanceDatabase GetDatabase(const auth::Identity& caller, const std::string& instance_id,
                               const std::string& name);
  /// `body`: {"name", "owner", "encoding" and "collation" (PostgreSQL) or "charset" and
  /// "collation" (MySQL)}. Returns the database as the server then reports it.
  InstanceDatabase CreateDatabase(const auth::Identity& caller, const std::string& instance_id,
                                  const nlohmann::json& body);
  /// `force` (PostgreSQL) disconnects its sessions first.
  void DropDatabase(const auth::Identity& caller, const std::string& instance_id,
                    const std::string& name, bool force);

  std::vector<std::string> ListUsers(const auth::Identity& caller, const std::string& instance_id);
  /// `body`: {"name", "password" (optional: generated when absent), "database" (optional: for
  /// the returned URI)}.
  DatabaseUserSecret CreateUser(const auth::Identity& caller, const std::string& instance_id,
                                const nlohmann::json& body);
  /// `body`: {"password" (optional), "database" (optional)}; the old password stops working.
  DatabaseUserSecret RotatePassword(const auth::Identity& caller, const std::string& instance_id,
                                    const std::string& name, const nlohmann::json& body);
  void DropUser(const auth::Identity& caller, const std::string& instance_id,
                const std::string& name);

  std::vector<std::string> ListRoles(const auth::Identity& caller, const std::string& instance_id);
  /// `body`: {"name"}; returns the name.
  std::string CreateRole(const auth::Identity& caller, const std::string& instance_id,
                         const nlohmann::json& body);
  void DropRole(const auth::Identity& caller, const std::string& instance_id,
                const std::string& name);

  /// `body`: {"grantee", and either "role" or "privileges" with "level" (database, schema,
  /// table), "database", "schema", "table"}. Returns the grant with normalised privileges.
  GrantRequest Grant(const auth::Identity& caller, const std::string& instance_id,
                     const nlohmann::json& body);
  /// The same body as Grant; takes the role or the privileges back.
  GrantRequest Revoke(const auth::Identity& caller, const std::string& instance_id,
                      const nlohmann::json& body);

 private:
  class Session;
  /// The caller's instance (NOT_FOUND across tenants) once `action` on "databases" is allowed.
  Instance Find(const auth::Identity& caller, const std::string& instance_id,
                std::string_view action);
  /// An admin session on `instance`, which must be running.
  Session Connect(const Instance& instance) const;
  GrantRequest ChangeGrant(const auth::Identity& caller, const std::string& instance_id,
                           const nlohmann::json& body, bool grant);

  PgProvisioningRepository& repository_;
  const crypto::KeyRing& keys_;
  AdminConnector connect_;
};

/// The JSON forms of the objects above (never a password except in DatabaseUserSecret).
nlohmann::json DatabaseToJson(engines::Engine engine, const engines::DatabaseInfo& database);
nlohmann::json GrantToJson(const GrantRequest& grant);

}  // namespace dbaas::provisioning
