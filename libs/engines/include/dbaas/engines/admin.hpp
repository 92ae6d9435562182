#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/engines/catalog.hpp"
#include "dbaas/engines/names.hpp"

namespace dbaas::engines {

/// How to reach an instance as its administrator.
struct AdminOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string user;
  std::string password;
  /// PostgreSQL: the maintenance database to connect to ("postgres"); unused for MariaDB.
  std::string database = "postgres";
  /// PostgreSQL sslmode (disable/prefer/require/verify-ca/verify-full); MariaDB: non-empty
  /// and not "disable" means TLS with `tls_ca_file`. Empty = the client library's default.
  std::string ssl_mode;
  std::string tls_ca_file;
  std::chrono::seconds connect_timeout{10};
  /// MariaDB: the host part of accounts this session creates ('name'@'<user_host>').
  std::string user_host = "%";
};

struct DatabaseSpec {
  std::string name;
  /// PostgreSQL: owning role (must exist; empty = the admin). MariaDB: when set, the user
  /// (at AdminOptions::user_host) is granted ALL on the database.
  std::string owner;
  /// PostgreSQL ENCODING (e.g. "UTF8") / MariaDB CHARACTER SET (e.g. "utf8mb4"); empty = default.
  std::string encoding;
  /// PostgreSQL LC_COLLATE and LC_CTYPE (e.g. "C", "C.UTF-8") / MariaDB COLLATE; empty = default.
  std::string collation;
};

struct DatabaseInfo {
  std::string name;
  std::string owner;      ///< PostgreSQL only
  std::string encoding;   ///< PostgreSQL encoding / MariaDB default character set
  std::string collation;
};

/// A privilege grant or revoke. `database` is always needed; `schema` only at schema level
/// (PostgreSQL) and optionally at table level (default "public"); `table` at table level.
struct GrantSpec {
  GrantLevel level = GrantLevel::kDatabase;
  std::string database;
  std::string schema;
  std::string table;
  std::vector<std::string> privileges;  ///< checked against AllowedPrivileges
  std::string grantee;                  ///< a user or a role
  bool grantee_is_role = false;         ///< MariaDB: a role has no host part
};

/// Administration inside one running instance. Every name is validated (ValidateName) and
/// quoted; passwords travel only as verifiers (see password.hpp) and are never logged.
/// Errors: dbaas::Error with INVALID_ARGUMENT (bad name/privilege/option), ALREADY_EXISTS,
/// NOT_FOUND, FAILED_PRECONDITION (object in use or still referenced), UNAVAILABLE (server
/// unreachable), INTERNAL (anything else; the server's message, never the statement).
/// Not thread-safe: one session per thread.
class EngineAdmin {
 public:
  virtual ~EngineAdmin() = default;

  virtual Engine Kind() const noexcept = 0;
  /// The server's version string, e.g. "15.18 (Debian ...)" or "10.11.19-MariaDB-0+deb12u1".
  virtual std::string ServerVersion() = 0;

  virtual void CreateDatabase(const DatabaseSpec& spec) = 0;
  /// User databases only (templates and system schemas left out), sorted by name.
  virtual std::vector<DatabaseInfo> ListDatabases() = 0;
  /// PostgreSQL: `force` terminates sessions connected to it (else FAILED_PRECONDITION).
  virtual void DropDatabase(std::string_view name, bool force = false) = 0;

  /// Creates a login user; with no password one is generated. Returns the password in effect.
  virtual std::string CreateUser(std::string_view name,
                                 const std::optional<std::string>& password = std::nullopt) = 0;
  /// Sets a new password (given or generated) and returns it; the old one stops working.
  virtual std::string RotatePassword(std::string_view name,
                                     const std::optional<std::string>& password = std::nullopt) = 0;
  /// PostgreSQL: first drops the user's privileges and reassigns its objects to the admin in
  /// every database, so a user with grants can be dropped.
  virtual void DropUser(std::string_view name) = 0;
  /// Login users created through the API (system accounts left out), sorted.
  virtual std::vector<std::string> ListUsers() = 0;

  virtual void CreateRole(std::string_view name) = 0;
  virtual void DropRole(std::string_view name) = 0;
  /// Roles (non-login) sorted.
  virtual std::vector<std::string> ListRoles() = 0;
  /// MariaDB also makes it the user's default role, so it is active on login.
  virtual void GrantRole(std::string_view role, std::string_view user) = 0;
  virtual void RevokeRole(std::string_view role, std::string_view user) = 0;

  virtual void Grant(const GrantSpec& grant) = 0;
  virtual void Revoke(const GrantSpec& grant) = 0;
};

/// Connects to PostgreSQL (libpqxx); throws Error{UNAVAILABLE} when it cannot.
std::unique_ptr<EngineAdmin> ConnectPostgresAdmin(const AdminOptions& options);
/// Connects to MariaDB (mysql-connector-c++); throws Error{UNAVAILABLE} when it cannot.
std::unique_ptr<EngineAdmin> ConnectMariaDbAdmin(const AdminOptions& options);
/// The one for `engine`.
std::unique_ptr<EngineAdmin> ConnectAdmin(Engine engine, const AdminOptions& options);

}  // namespace dbaas::engines
