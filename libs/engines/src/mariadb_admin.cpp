#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <mysql_connection.h>
#include <mysql_driver.h>

#include <map>
#include <mutex>

#include "admin_common.hpp"
#include "dbaas/engines/admin.hpp"
#include "dbaas/engines/password.hpp"

namespace dbaas::engines {
namespace {

using detail::CheckOption;
using detail::PrivilegeList;

std::string Q(std::string_view name) { return QuoteMysqlIdentifier(name); }

/// How a server error number reads in the context of one operation.
using CodeMap = std::map<int, ErrorCode>;

/// Maps a connector exception to dbaas::Error (the server's message, never the statement).
[[noreturn]] void Rethrow(const std::string& what, const CodeMap& context = {}) {
  try {
    throw;
  } catch (const Error&) {
    throw;
  } catch (const sql::SQLException& e) {
    const int n = e.getErrorCode();
    ErrorCode code = ErrorCode::kInternal;
    if (auto it = context.find(n); it != context.end()) code = it->second;
    else if (n == 1007) code = ErrorCode::kAlreadyExists;                     // database exists
    else if (n == 1008 || n == 1049 || n == 1146 || n == 1133 || n == 1141 || n == 1147 || n == 1959)
      code = ErrorCode::kNotFound;  // unknown database/table, no such user/grant/role
    else if (n == 1115 || n == 1273 || n == 1253 || n == 1064 || n == 1470) code = ErrorCode::kInvalidArgument;
    else if (n == 1044 || n == 1045 || n == 1227) code = ErrorCode::kPermissionDenied;
    else if (n >= 2000 && n < 3000) code = ErrorCode::kUnavailable;           // client: connection
    throw Error(code, what + ": " + e.what());
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kInternal, what + ": " + e.what());
  }
}

class MariaDbAdmin final : public EngineAdmin {
 public:
  explicit MariaDbAdmin(AdminOptions options) : options_(std::move(options)) {
    CheckOption("user_host", options_.user_host, "[A-Za-z0-9.%_:-]+",
                "must be a host pattern such as % or 127.0.0.1");
    try {
      sql::ConnectOptionsMap opts;
      opts["hostName"] = sql::SQLString("tcp://" + options_.host + ":" + std::to_string(options_.port));
      opts["userName"] = sql::SQLString(options_.user);
      opts["password"] = sql::SQLString(options_.password);
      opts["OPT_CONNECT_TIMEOUT"] = static_cast<int>(options_.connect_timeout.count());
      opts["OPT_READ_TIMEOUT"] = 60;
      opts["OPT_WRITE_TIMEOUT"] = 60;
      opts["OPT_RECONNECT"] = false;
      if (!options_.ssl_mode.empty() && options_.ssl_mode != "disable" &&
          options_.ssl_mode != "DISABLED") {
        opts["sslCA"] = sql::SQLString(options_.tls_ca_file);
      }
      // The driver instance is created lazily and is not thread-safe to create.
      static std::mutex driver_mutex;
      std::lock_guard lock(driver_mutex);
      conn_.reset(sql::mysql::get_mysql_driver_instance()->connect(opts));
    } catch (const sql::SQLException& e) {
      const int n = e.getErrorCode();
      throw Error(n == 1045 ? ErrorCode::kFailedPrecondition : ErrorCode::kUnavailable,
                  std::string("connect: MariaDB ") +
                      (n == 1045 ? "refused the admin credentials: " : "is unreachable: ") + e.what());
    }
    // Literal escaping depends on NO_BACKSLASH_ESCAPES; read it once for this session.
    no_backslash_escapes_ =
        QueryStrings("SELECT @@SESSION.sql_mode", "read sql_mode").at(0).find("NO_BACKSLASH_ESCAPES") !=
        std::string::npos;
  }

  Engine Kind() const noexcept override { return Engine::kMysql; }

  std::string ServerVersion() override { return QueryStrings("SELECT VERSION()", "server version").at(0); }

  void CreateDatabase(const DatabaseSpec& spec) override {
    ValidateName(Engine::kMysql, ObjectKind::kDatabase, spec.name, "name");
    if (!spec.owner.empty()) ValidateName(Engine::kMysql, ObjectKind::kUser, spec.owner, "owner");
    CheckOption("encoding", spec.encoding, "[A-Za-z0-9_]+", "must be a character set such as utf8mb4");
    CheckOption("collation", spec.collation, "[A-Za-z0-9_]+",
                "must be a collation such as utf8mb4_unicode_ci");
    if (!spec.owner.empty()) RequireUser(spec.owner);
    std::string sql = "CREATE DATABASE " + Q(spec.name);
    if (!spec.encoding.empty()) sql += " CHARACTER SET " + Lit(spec.encoding);
    if (!spec.collation.empty()) sql += " COLLATE " + Lit(spec.collation);
    Exec(sql, "create database " + spec.name);
    if (spec.owner.empty()) return;
    try {
      Exec("GRANT ALL PRIVILEGES ON " + Q(spec.name) + ".* TO " + Account(spec.owner),
           "grant owner on " + spec.name);
    } catch (...) {
      // Leave nothing behind when the owner grant fails.
      try {
        Exec("DROP DATABASE " + Q(spec.name), "drop database " + spec.name);
      } catch (const Error&) {
      }
      throw;
    }
  }

  std::vector<DatabaseInfo> ListDatabases() override {
    std::vector<DatabaseInfo> out;
    try {
      std::unique_ptr<sql::Statement> st(conn_->createStatement());
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery(
          "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
          "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN "
          "('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY SCHEMA_NAME"));
      while (rs->next()) {
        out.push_back({rs->getString(1).asStdString(), "", rs->getString(2).asStdString(),
                       rs->getString(3).asStdString()});
      }
    } catch (...) {
      Rethrow("list databases");
    }
    return out;
  }

  void DropDatabase(std::string_view name, bool /*force*/) override {
    ValidateName(Engine::kMysql, ObjectKind::kDatabase, name, "name");
    Exec("DROP DATABASE " + Q(name), "drop database " + std::string(name));
  }

  std::string CreateUser(std::string_view name, const std::optional<std::string>& password) override {
    ValidateName(Engine::kMysql, ObjectKind::kUser, name, "name");
    const std::string pw = PasswordFor(password);
    Exec("CREATE USER " + Account(name) + " IDENTIFIED BY PASSWORD " + Lit(MysqlNativePasswordHash(pw)),
         "create user " + std::string(name), {{1396, ErrorCode::kAlreadyExists}});
    return pw;
  }

  std::string RotatePassword(std::string_view name,
                             const std::optional<std::string>& password) override {
    ValidateName(Engine::kMysql, ObjectKind::kUser, name, "name");
    const std::string pw = PasswordFor(password);
    Exec("ALTER USER " + Account(name) + " IDENTIFIED BY PASSWORD " + Lit(MysqlNativePasswordHash(pw)),
         "rotate password of " + std::string(name), {{1396, ErrorCode::kNotFound}});
    return pw;
  }

  void DropUser(std::string_view name) override {
    ValidateName(Engine::kMysql, ObjectKind::kUser, name, "name");
    Exec("DROP USER " + Account(name), "drop user " + std::string(name), {{1396, ErrorCode::kNotFound}});
  }

  std::vector<std::string> ListUsers() override { return Accounts(false); }

  void CreateRole(std::string_view name) override {
    ValidateName(Engine::kMysql, ObjectKind::kRole, name, "name");
    Exec("CREATE ROLE " + Q(name), "create role " + std::string(name), {{1396, ErrorCode::kAlreadyExists}});
  }

  void DropRole(std::string_view name) override {
    ValidateName(Engine::kMysql, ObjectKind::kRole, name, "name");
    Exec("DROP ROLE " + Q(name), "drop role " + std::string(name), {{1396, ErrorCode::kNotFound}});
  }

  std::vector<std::string> ListRoles() override { return Accounts(true); }

  void GrantRole(std::string_view role, std::string_view user) override {
    ValidateName(Engine::kMysql, ObjectKind::kRole, role, "role");
    ValidateName(Engine::kMysql, ObjectKind::kUser, user, "user");
    const CodeMap missing = {{1396, ErrorCode::kNotFound}};
    Exec("GRANT " + Q(role) + " TO " + Account(user), "grant role " + std::string(role), missing);
    // A granted role is inactive until SET ROLE; as the default role it applies on login.
    Exec("SET DEFAULT ROLE " + Q(role) + " FOR " + Account(user), "set default role", missing);
  }

  void RevokeRole(std::string_view role, std::string_view user) override {
    ValidateName(Engine::kMysql, ObjectKind::kRole, role, "role");
    ValidateName(Engine::kMysql, ObjectKind::kUser, user, "user");
    const CodeMap missing = {{1396, ErrorCode::kNotFound}};
    Exec("REVOKE " + Q(role) + " FROM " + Account(user), "revoke role " + std::string(role), missing);
    const auto current = QueryStrings(
        "SELECT default_role FROM mysql.user WHERE User = " + Lit(user) + " AND Host = " +
            Lit(options_.user_host),
        "read default role");
    if (!current.empty() && current[0] == role) {
      Exec("SET DEFAULT ROLE NONE FOR " + Account(user), "clear default role", missing);
    }
  }

  void Grant(const GrantSpec& grant) override { GrantOrRevoke(grant, true); }
  void Revoke(const GrantSpec& grant) override { GrantOrRevoke(grant, false); }

 private:
  std::string Lit(std::string_view value) const { return QuoteMysqlLiteral(value, no_backslash_escapes_); }
  std::string Account(std::string_view user) const { return Lit(user) + "@" + Lit(options_.user_host); }

  static std::string PasswordFor(const std::optional<std::string>& password) {
    if (!password) return GeneratePassword();
    ValidatePassword(*password);
    return *password;
  }

  void Exec(const std::string& sql, const std::string& what, const CodeMap& context = {}) {
    try {
      std::unique_ptr<sql::Statement> st(conn_->createStatement());
      st->execute(sql);
    } catch (...) {
      Rethrow(what, context);
    }
  }

  std::vector<std::string> QueryStrings(const std::string& sql, const std::string& what) {
    std::vector<std::string> out;
    try {
      std::unique_ptr<sql::Statement> st(conn_->createStatement());
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery(sql));
      while (rs->next()) out.push_back(rs->isNull(1) ? "" : rs->getString(1).asStdString());
    } catch (...) {
      Rethrow(what);
    }
    return out;
  }

  void RequireUser(const std::string& user) {
    const auto found = QueryStrings("SELECT User FROM mysql.user WHERE is_role = 'N' AND User = " +
                                        Lit(user) + " AND Host = " + Lit(options_.user_host),
                                    "look up user");
    if (found.empty()) throw Error(ErrorCode::kNotFound, "user " + user + " not found");
  }

  void RequireDatabase(const std::string& db) {
    const auto found = QueryStrings(
        "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = " + Lit(db),
        "look up database");
    if (found.empty()) throw Error(ErrorCode::kNotFound, "database " + db + " not found");
  }

  std::vector<std::string> Accounts(bool roles) {
    std::vector<std::string> out;
    const std::string sql = roles ? "SELECT User FROM mysql.user WHERE is_role = 'Y' ORDER BY User"
                                  : "SELECT User FROM mysql.user WHERE is_role = 'N' AND Host = " +
                                        Lit(options_.user_host) + " ORDER BY User";
    for (auto& name : QueryStrings(sql, roles ? "list roles" : "list users")) {
      if (NameProblem(Engine::kMysql, ObjectKind::kUser, name).empty()) out.push_back(std::move(name));
    }
    return out;
  }

  void GrantOrRevoke(const GrantSpec& g, bool grant) {
    ValidateName(Engine::kMysql, ObjectKind::kDatabase, g.database, "database");
    ValidateName(Engine::kMysql, g.grantee_is_role ? ObjectKind::kRole : ObjectKind::kUser, g.grantee,
                 "grantee");
    if (g.level == GrantLevel::kSchema) {
      throw Error(ErrorCode::kInvalidArgument, "MariaDB has no schemas",
                  {{"level", "MariaDB grants are at database or table level"}});
    }
    const auto privileges = PrivilegeList(NormalizePrivileges(Engine::kMysql, g.level, g.privileges));
    std::string target = Q(g.database) + ".";
    if (g.level == GrantLevel::kTable) {
      ValidateName(Engine::kMysql, ObjectKind::kTable, g.table, "table");
      target += Q(g.table);
    } else {
      target += "*";
    }
    RequireDatabase(g.database);
    const std::string grantee = g.grantee_is_role ? Q(g.grantee) : Account(g.grantee);
    const std::string sql = grant ? "GRANT " + privileges + " ON " + target + " TO " + grantee
                                  : "REVOKE " + privileges + " ON " + target + " FROM " + grantee;
    Exec(sql, (grant ? "grant on " : "revoke on ") + g.database, {{1396, ErrorCode::kNotFound}});
  }

  AdminOptions options_;
  std::unique_ptr<sql::Connection> conn_;
  bool no_backslash_escapes_ = false;
};

}  // namespace

std::unique_ptr<EngineAdmin> ConnectMariaDbAdmin(const AdminOptions& options) {
  return std::make_unique<MariaDbAdmin>(options);
}

}  // namespace dbaas::engines
