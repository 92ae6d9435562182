#include "dbaas/engines/names.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "dbaas/common/error.hpp"

namespace dbaas::engines {
namespace {

constexpr std::array<std::string_view, 14> kReserved = {
    "postgres", "template0",  "template1", "mysql",       "information_schema",
    "performance_schema", "sys", "root", "public", "mariadb.sys",
    "pg_catalog", "pg_toast", "none", "current_user"};

bool IsUserKind(ObjectKind kind) {
  return kind == ObjectKind::kDatabase || kind == ObjectKind::kUser || kind == ObjectKind::kRole;
}

std::string KindName(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kDatabase: return "database";
    case ObjectKind::kUser: return "user";
    case ObjectKind::kRole: return "role";
    case ObjectKind::kSchema: return "schema";
    case ObjectKind::kTable: return "table";
  }
  return "object";
}

std::string Upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

}  // namespace

std::size_t MaxNameLength(Engine engine, ObjectKind kind) noexcept {
  if (engine == Engine::kPostgresql) return 63;
  return kind == ObjectKind::kUser || kind == ObjectKind::kRole ? 80 : 64;
}

std::string NameProblem(Engine engine, ObjectKind kind, std::string_view name) {
  const std::string what = KindName(kind) + " name";
  const std::size_t max = MaxNameLength(engine, kind);
  if (name.empty()) return what + " must not be empty";
  if (name.size() > max) return what + " must be at most " + std::to_string(max) + " bytes";
  if (IsUserKind(kind)) {
    const bool first_ok = std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_';
    const bool rest_ok = std::all_of(name.begin(), name.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
    if (!first_ok || !rest_ok) {
      return what + " must start with a lower-case letter or underscore and contain only "
                    "lower-case letters, digits and underscores ([a-z_][a-z0-9_]*)";
    }
    if (std::find(kReserved.begin(), kReserved.end(), name) != kReserved.end()) {
      return what + " '" + std::string(name) + "' is reserved";
    }
    if (name.rfind("pg_", 0) == 0 || name.rfind("dbaas_", 0) == 0) {
      return what + " must not start with pg_ or dbaas_ (reserved)";
    }
    return {};
  }
  // Schemas and tables already exist in the customer's database and may use any name the
  // engine allows; they are always quoted, so only bytes that no identifier needs are refused.
  const bool printable = std::none_of(name.begin(), name.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (!printable) return what + " must not contain control characters";
  if (kind == ObjectKind::kSchema &&
      (name.rfind("pg_", 0) == 0 || name == "information_schema")) {
    return what + " '" + std::string(name) + "' is a system schema";
  }
  if (engine == Engine::kMysql && name.back() == ' ') {
    return what + " must not end with a space";
  }
  return {};
}

void ValidateName(Engine engine, ObjectKind kind, std::string_view name, std::string_view field) {
  auto problem = NameProblem(engine, kind, name);
  if (!problem.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "invalid " + KindName(kind) + " name",
                {{std::string(field), std::move(problem)}});
  }
}

const std::vector<std::string>& AllowedPrivileges(Engine engine, GrantLevel level) {
  static const std::vector<std::string> pg_db = {"CONNECT", "CREATE", "TEMPORARY", "ALL"};
  static const std::vector<std::string> pg_schema = {"USAGE", "CREATE", "ALL"};
  static const std::vector<std::string> pg_table = {"SELECT", "INSERT", "UPDATE", "DELETE",
                                                    "TRUNCATE", "REFERENCES", "TRIGGER", "ALL"};
  static const std::vector<std::string> my_db = {
      "SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "INDEX", "ALTER",
      "CREATE TEMPORARY TABLES", "LOCK TABLES", "EXECUTE", "CREATE VIEW", "SHOW VIEW",
      "CREATE ROUTINE", "ALTER ROUTINE", "EVENT", "TRIGGER", "REFERENCES", "ALL"};
  static const std::vector<std::string> my_table = {
      "SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "INDEX", "ALTER",
      "CREATE VIEW", "SHOW VIEW", "TRIGGER", "REFERENCES", "ALL"};
  static const std::vector<std::string> none;
  if (engine == Engine::kPostgresql) {
    switch (level) {
      case GrantLevel::kDatabase: return pg_db;
      case GrantLevel::kSchema: return pg_schema;
      case GrantLevel::kTable: return pg_table;
    }
  }
  switch (level) {
    case GrantLevel::kDatabase: return my_db;
    case GrantLevel::kSchema: return none;  // MariaDB has no schemas below databases
    case GrantLevel::kTable: return my_table;
  }
  return none;
}

std::vector<std::string> NormalizePrivileges(Engine engine, GrantLevel level,
                                             const std::vector<std::string>& privileges) {
  const auto& allowed = AllowedPrivileges(engine, level);
  std::vector<FieldViolation> bad;
  std::vector<std::string> out;
  if (privileges.empty()) bad.push_back({"privileges", "must name at least one privilege"});
  for (std::size_t i = 0; i < privileges.size(); ++i) {
    std::string p = Upper(privileges[i]);
    if (p == "ALL PRIVILEGES") p = "ALL";
    if (engine == Engine::kPostgresql && p == "TEMP") p = "TEMPORARY";
    if (std::find(allowed.begin(), allowed.end(), p) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      bad.push_back({"privileges[" + std::to_string(i) + "]",
                     allowed.empty() ? "this level takes no privileges on this engine"
                                     : "must be one of " + list});
      continue;
    }
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  if (!bad.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "invalid privileges", std::move(bad));
  }
  return out;
}

std::string QuotePostgresIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '\0') throw Error(ErrorCode::kInvalidArgument, "identifier holds a NUL byte");
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string QuoteMysqlIdentifier(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '\0') throw Error(ErrorCode::kInvalidArgument, "identifier holds a NUL byte");
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

std::string QuotePostgresLiteral(std::string_view value) {
  const bool backslash = value.find('\\') != std::string_view::npos;
  std::string out = backslash ? "E'" : "'";
  for (char c : value) {
    if (c == '\0') throw Error(ErrorCode::kInvalidArgument, "literal holds a NUL byte");
    if (c == '\'') out += '\'';
    if (c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string QuoteMysqlLiteral(std::string_view value, bool no_backslash_escapes) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') {
      out += "''";
    } else if (no_backslash_escapes) {
      out += c;
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\0') {
      out += "\\0";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\x1a') {
      out += "\\Z";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace dbaas::engines
