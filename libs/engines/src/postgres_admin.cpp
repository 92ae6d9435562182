#include <pqxx/pqxx>

#include "admin_common.hpp"
#include "dbaas/engines/admin.hpp"
#include "dbaas/engines/password.hpp"

namespace dbaas::engines {
namespace {

using detail::CheckOption;
using detail::PrivilegeList;

/// A libpq keyword/value pair value: '...' with \ and ' escaped.
std::string ConnValue(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string Q(std::string_view name) { return QuotePostgresIdentifier(name); }

/// Maps a libpqxx exception to dbaas::Error. Only the server's message is kept: it never holds
/// the statement (which may carry a password verifier).
[[noreturn]] void Rethrow(const std::string& what) {
  try {
    throw;
  } catch (const Error&) {
    throw;
  } catch (const pqxx::broken_connection& e) {
    throw Error(ErrorCode::kUnavailable, what + ": PostgreSQL is unreachable: " + e.what());
  } catch (const pqxx::sql_error& e) {
    const std::string state = e.sqlstate();
    std::string message = e.what();
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    ErrorCode code = ErrorCode::kInternal;
    if (state == "42P04" || state == "42710" || state == "23505") code = ErrorCode::kAlreadyExists;
    else if (state == "3D000" || state == "42704" || state == "42P01" || state == "3F000") code = ErrorCode::kNotFound;
    else if (state == "2BP01" || state == "55006") code = ErrorCode::kFailedPrecondition;
    else if (state == "42501") code = ErrorCode::kPermissionDenied;
    else if (state.rfind("22", 0) == 0 || state == "42601" || state == "42602" || state == "42809" || state == "0LP01") code = ErrorCode::kInvalidArgument;
    else if (state.rfind("08", 0) == 0 || state == "57P01" || state == "57P03") code = ErrorCode::kUnavailable;
    throw Error(code, what + ": " + message);
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kInternal, what + ": " + e.what());
  }
}

class PostgresAdmin final : public EngineAdmin {
 public:
  explicit PostgresAdmin(AdminOptions options) : options_(std::move(options)) {
    try {
      conn_ = std::make_unique<pqxx::connection>(ConnString(options_.database));
    } catch (...) {
      Rethrow("connect");
    }
  }

  Engine Kind() const noexcept override { return Engine::kPostgresql; }

  std::string ServerVersion() override {
    try {
      pqxx::nontransaction tx(*conn_);
      return tx.exec("SHOW server_version")[0][0].as<std::string>();
    } catch (...) {
      Rethrow("server version");
    }
  }

  void CreateDatabase(const DatabaseSpec& spec) override {
    ValidateName(Engine::kPostgresql, ObjectKind::kDatabase, spec.name, "name");
    if (!spec.owner.empty()) ValidateName(Engine::kPostgresql, ObjectKind::kUser, spec.owner, "owner");
    CheckOption("encoding", spec.encoding, "[A-Za-z0-9_]+", "must be an encoding name such as UTF8");
    CheckOption("collation", spec.collation, "[A-Za-z0-9_.@-]+",
                "must be a locale name such as C or en_US.UTF-8");
    std::string sql = "CREATE DATABASE " + Q(spec.name) + " TEMPLATE template0";
    if (!spec.owner.empty()) sql += " OWNER " + Q(spec.owner);
    if (!spec.encoding.empty()) sql += " ENCODING " + QuotePostgresLiteral(spec.encoding);
    if (!spec.collation.empty()) {
      sql += " LC_COLLATE " + QuotePostgresLiteral(spec.collation) + " LC_CTYPE " +
             QuotePostgresLiteral(spec.collation);
    }
    if (!spec.owner.empty()) RequireRole(spec.owner, std::nullopt);
    try {
      Exec(sql, "create database " + spec.name);
    } catch (const Error& e) {
      // The owner exists, so an undefined object is the encoding or the locale.
      if (e.Code() != ErrorCode::kNotFound) throw;
      throw Error(ErrorCode::kInvalidArgument, e.what(),
                  {{"encoding", "encoding or collation is not known to the server"}});
    }
  }

  std::vector<DatabaseInfo> ListDatabases() override {
    std::vector<DatabaseInfo> out;
    try {
      pqxx::nontransaction tx(*conn_);
      for (const auto& row : tx.exec(
               "SELECT d.datname, pg_get_userbyid(d.datdba), pg_encoding_to_char(d.encoding), "
               "d.datcollate FROM pg_database d WHERE NOT d.datistemplate "
               "AND d.datname <> 'postgres' ORDER BY d.datname")) {
        out.push_back({row[0].as<std::string>(), row[1].as<std::string>(),
                       row[2].as<std::string>(), row[3].as<std::string>()});
      }
    } catch (...) {
      Rethrow("list databases");
    }
    return out;
  }

  void DropDatabase(std::string_view name, bool force) override {
    ValidateName(Engine::kPostgresql, ObjectKind::kDatabase, name, "name");
    Exec("DROP DATABASE " + Q(name) + (force ? " WITH (FORCE)" : ""),
         "drop database " + std::string(name));
  }

  std::string CreateUser(std::string_view name, const std::optional<std::string>& password) override {
    ValidateName(Engine::kPostgresql, ObjectKind::kUser, name, "name");
    const std::string pw = PasswordFor(password);
    Exec("CREATE ROLE " + Q(name) + " LOGIN PASSWORD " +
             QuotePostgresLiteral(PostgresScramVerifier(pw)),
         "create user " + std::string(name));
    return pw;
  }

  std::string RotatePassword(std::string_view name,
                             const std::optional<std::string>& password) override {
    ValidateName(Engine::kPostgresql, ObjectKind::kUser, name, "name");
    RequireRole(name, true);
    const std::string pw = PasswordFor(password);
    Exec("ALTER ROLE " + Q(name) + " PASSWORD " + QuotePostgresLiteral(PostgresScramVerifier(pw)),
         "rotate password of " + std::string(name));
    return pw;
  }

  void DropUser(std::string_view name) override {
    ValidateName(Engine::kPostgresql, ObjectKind::kUser, name, "name");
    RequireRole(name, true);
    DropRoleEverywhere(name);
  }

  std::vector<std::string> ListUsers() override { return Roles(true); }

  void CreateRole(std::string_view name) override {
    ValidateName(Engine::kPostgresql, ObjectKind::kRole, name, "name");
    Exec("CREATE ROLE " + Q(name) + " NOLOGIN", "create role " + std::string(name));
  }

  void DropRole(std::string_view name) override {
    ValidateName(Engine::kPostgresql, ObjectKind::kRole, name, "name");
    RequireRole(name, false);
    DropRoleEverywhere(name);
  }

  std::vector<std::string> ListRoles() override { return Roles(false); }

  void GrantRole(std::string_view role, std::string_view user) override {
    ValidateName(Engine::kPostgresql, ObjectKind::kRole, role, "role");
    ValidateName(Engine::kPostgresql, ObjectKind::kUser, user, "user");
    Exec("GRANT " + Q(role) + " TO " + Q(user), "grant role " + std::string(role));
  }

  void RevokeRole(std::string_view role, std::string_view user) override {
    ValidateName(Engine::kPostgresql, ObjectKind::kRole, role, "role");
    ValidateName(Engine::kPostgresql, ObjectKind::kUser, user, "user");
    Exec("REVOKE " + Q(role) + " FROM " + Q(user), "revoke role " + std::string(role));
  }

  void Grant(const GrantSpec& grant) override { GrantOrRevoke(grant, true); }
  void Revoke(const GrantSpec& grant) override { GrantOrRevoke(grant, false); }

 private:
  std::string ConnString(const std::string& database) const {
    std::string s = "host=" + ConnValue(options_.host) + " port=" + std::to_string(options_.port) +
                    " user=" + ConnValue(options_.user) + " dbname=" + ConnValue(database) +
                    " connect_timeout=" + std::to_string(options_.connect_timeout.count()) +
                    " application_name='dbaas-engines'";
    if (!options_.password.empty()) s += " password=" + ConnValue(options_.password);
    if (!options_.ssl_mode.empty()) s += " sslmode=" + ConnValue(options_.ssl_mode);
    if (!options_.tls_ca_file.empty()) s += " sslrootcert=" + ConnValue(options_.tls_ca_file);
    return s;
  }

  static std::string PasswordFor(const std::optional<std::string>& password) {
    if (!password) return GeneratePassword();
    ValidatePassword(*password);
    return *password;
  }

  void Exec(const std::string& sql, const std::string& what) { Exec(*conn_, sql, what); }

  static void Exec(pqxx::connection& conn, const std::string& sql, const std::string& what) {
    try {
      pqxx::nontransaction tx(conn);
      tx.exec(sql);
    } catch (...) {
      Rethrow(what);
    }
  }

  /// Throws NOT_FOUND unless `name` is a role with (login) or without (!login) LOGIN, or
  /// either when `login` is nullopt.
  void RequireRole(std::string_view name, std::optional<bool> login) {
    bool found = false;
    try {
      pqxx::nontransaction tx(*conn_);
      found = !(login ? tx.exec_params("SELECT 1 FROM pg_roles WHERE rolname = $1 AND rolcanlogin = $2",
                                       std::string(name), *login)
                      : tx.exec_params("SELECT 1 FROM pg_roles WHERE rolname = $1", std::string(name)))
                   .empty();
    } catch (...) {
      Rethrow("look up role");
    }
    if (!found) {
      throw Error(ErrorCode::kNotFound,
                  std::string(login.value_or(true) ? "user " : "role ") + std::string(name) + " not found");
    }
  }

  void RequireDatabase(const std::string& name) {
    bool found = false;
    try {
      pqxx::nontransaction tx(*conn_);
      found = !tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", name).empty();
    } catch (...) {
      Rethrow("look up database");
    }
    if (!found) throw Error(ErrorCode::kNotFound, "database " + name + " not found");
  }

  std::vector<std::string> Roles(bool login) {
    std::vector<std::string> out;
    try {
      pqxx::nontransaction tx(*conn_);
      for (const auto& row :
           tx.exec_params("SELECT rolname FROM pg_roles WHERE rolcanlogin = $1 AND NOT rolsuper "
                          "AND rolname !~ '^pg_' ORDER BY rolname",
                          login)) {
        auto name = row[0].as<std::string>();
        if (NameProblem(Engine::kPostgresql, ObjectKind::kUser, name).empty()) out.push_back(name);
      }
    } catch (...) {
      Rethrow(login ? "list users" : "list roles");
    }
    return out;
  }

  /// Objects and privileges of a role live per database; DROP ROLE fails while any remain.
  void DropRoleEverywhere(std::string_view name) {
    std::vector<std::string> databases;
    try {
      pqxx::nontransaction tx(*conn_);
      for (const auto& row : tx.exec("SELECT datname FROM pg_database WHERE datallowconn")) {
        databases.push_back(row[0].as<std::string>());
      }
    } catch (...) {
      Rethrow("list databases");
    }
    for (const auto& db : databases) {
      const std::string sql = "REASSIGN OWNED BY " + Q(name) + " TO CURRENT_USER; DROP OWNED BY " + Q(name);
      if (db == options_.database) {
        Exec(sql, "drop privileges of " + std::string(name));
        continue;
      }
      std::unique_ptr<pqxx::connection> conn;
      try {
        conn = std::make_unique<pqxx::connection>(ConnString(db));
      } catch (...) {
        Rethrow("connect to database " + db);
      }
      Exec(*conn, sql, "drop privileges of " + std::string(name) + " in " + db);
    }
    Exec("DROP ROLE " + Q(name), "drop role " + std::string(name));
  }

  void GrantOrRevoke(const GrantSpec& g, bool grant) {
    ValidateName(Engine::kPostgresql, ObjectKind::kDatabase, g.database, "database");
    ValidateName(Engine::kPostgresql, ObjectKind::kUser, g.grantee, "grantee");
    const auto privileges = PrivilegeList(NormalizePrivileges(Engine::kPostgresql, g.level, g.privileges));
    const std::string verb = grant ? "GRANT " : "REVOKE ";
    const std::string to = (grant ? " TO " : " FROM ") + Q(g.grantee);
    const std::string what = (grant ? "grant on " : "revoke on ") + g.database;
    if (g.level == GrantLevel::kDatabase) {
      Exec(verb + privileges + " ON DATABASE " + Q(g.database) + to, what);
      return;
    }
    std::string target;
    if (g.level == GrantLevel::kSchema) {
      ValidateName(Engine::kPostgresql, ObjectKind::kSchema, g.schema, "schema");
      target = " ON SCHEMA " + Q(g.schema);
    } else {
      const std::string schema = g.schema.empty() ? "public" : g.schema;
      ValidateName(Engine::kPostgresql, ObjectKind::kSchema, schema, "schema");
      ValidateName(Engine::kPostgresql, ObjectKind::kTable, g.table, "table");
      target = " ON TABLE " + Q(schema) + "." + Q(g.table);
    }
    RequireDatabase(g.database);
    std::unique_ptr<pqxx::connection> conn;
    try {
      conn = std::make_unique<pqxx::connection>(ConnString(g.database));
    } catch (...) {
      Rethrow("connect to database " + g.database);
    }
    Exec(*conn, verb + privileges + target + to, what);
  }

  AdminOptions options_;
  std::unique_ptr<pqxx::connection> conn_;
};

}  // namespace

std::unique_ptr<EngineAdmin> ConnectPostgresAdmin(const AdminOptions& options) {
  return std::make_unique<PostgresAdmin>(options);
}

std::unique_ptr<EngineAdmin> ConnectAdmin(Engine engine, const AdminOptions& options) {
  return engine == Engine::kPostgresql ? ConnectPostgresAdmin(options)
                                       : ConnectMariaDbAdmin(options);
}

}  // namespace dbaas::engines
