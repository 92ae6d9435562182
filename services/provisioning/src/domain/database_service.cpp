#include "domain/database_service.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <utility>

#include "dbaas/auth/authorize.hpp"
#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/common/json.hpp"
#include "dbaas/engines/names.hpp"
#include "dbaas/engines/password.hpp"
#include "dbaas/engines/uri.hpp"

namespace dbaas::provisioning {

using engines::Engine;
using engines::GrantLevel;
using engines::ObjectKind;

namespace {

constexpr std::string_view kResource = "databases";
// Longer names are refused by engines::NameProblem with the engine's own limit.
constexpr std::size_t kMaxInput = 1024;

Engine EngineOf(const Instance& instance) {
  return engines::ParseEngine(instance.engine).value_or(Engine::kPostgresql);
}

// Checks `name` as the engine would, recording the problem under `field`.
void CheckName(Engine engine, ObjectKind kind, const std::optional<std::string>& name,
               std::string_view field, std::vector<FieldViolation>& problems) {
  if (!name) return;
  if (auto problem = engines::NameProblem(engine, kind, *name); !problem.empty()) {
    problems.push_back({std::string(field), std::move(problem)});
  }
}

void ThrowIfAny(std::vector<FieldViolation> problems, std::string_view what) {
  if (!problems.empty()) {
    throw Error(ErrorCode::kInvalidArgument, std::string(what), std::move(problems));
  }
}

// A name taken from the path: the same rules as in a body.
void CheckPathName(Engine engine, ObjectKind kind, const std::string& name) {
  std::vector<FieldViolation> problems;
  CheckName(engine, kind, name, "name", problems);
  ThrowIfAny(std::move(problems), "invalid name");
}

// A password given in a body; never echoed in an error.
std::optional<std::string> ReadPassword(json::Reader& reader,
                                        std::vector<FieldViolation>& problems) {
  const auto* member = reader.Member("password", false);
  if (member == nullptr || member->is_null()) return std::nullopt;
  if (!member->is_string()) {
    problems.push_back({"password", "must be a string"});
    return std::nullopt;
  }
  auto password = member->get<std::string>();
  try {
    engines::ValidatePassword(password, "password");
  } catch (const Error& e) {
    for (const auto& d : e.Details()) problems.push_back(d);
    if (e.Details().empty()) problems.push_back({"password", e.what()});
    return std::nullopt;
  }
  return password;
}

}  // namespace

// An admin session and the CA file it verified the server with (removed at the end).
class DatabaseService::Session {
 public:
  Session(std::filesystem::path ca_file, std::unique_ptr<engines::EngineAdmin> admin)
      : ca_file_(std::move(ca_file)), admin_(std::move(admin)) {}
  Session(Session&& other) noexcept
      : ca_file_(std::exchange(other.ca_file_, {})), admin_(std::move(other.admin_)) {}
  Session& operator=(Session&&) = delete;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() {
    std::error_code ignored;
    if (!ca_file_.empty()) std::filesystem::remove(ca_file_, ignored);
  }
  engines::EngineAdmin* operator->() const { return admin_.get(); }

 private:
  std::filesystem::path ca_file_;
  std::unique_ptr<engines::EngineAdmin> admin_;
};

Instance DatabaseService::Find(const auth::Identity& caller, const std::string& instance_id,
                               std::string_view action) {
  auto instance = repository_.FindInstance(instance_id);
  if (!instance) throw Error(ErrorCode::kNotFound, "instance " + instance_id + " not found");
  auth::Authorize(caller, kResource, action, instance->tenant_id).ThrowIfDenied(kResource, action);
  return *instance;
}

DatabaseService::Session DatabaseService::Connect(const Instance& instance) const {
  if (instance.status != kRunning) {
    throw Error(ErrorCode::kFailedPrecondition,
                "instance " + instance.id + " is " + instance.status + ", not running", {},
                {"start it with POST /v1/instances/" + instance.id + "/start"});
  }
  const auto sealed = repository_.SealedPassword(instance.id);
  if (!sealed || !instance.host || !instance.port || !instance.admin_user || !instance.ca_pem) {
    throw Error(ErrorCode::kFailedPrecondition,
                "instance " + instance.id + " has no administrator credentials");
  }
  engines::AdminOptions options;
  options.host = *instance.host;
  options.port = static_cast<std::uint16_t>(*instance.port);
  options.user = *instance.admin_user;
  options.password = crypto::OpenEnvelope(keys_, crypto::Base64UrlDecode(*sealed), instance.id);
  options.connect_timeout = std::chrono::seconds(10);
  // libpq and the MariaDB connector read the CA from a file; it is public, but still private
  // to this process and removed when the session ends.
  const auto ca_file = std::filesystem::temp_directory_path() /
                       ("dbaas-ca-" + instance.id + "-" + crypto::RandomToken(8) + ".pem");
  {
    std::ofstream out(ca_file, std::ios::binary | std::ios::trunc);
    out << *instance.ca_pem;
    if (!out) throw Error(ErrorCode::kInternal, "cannot write the instance's CA file");
  }
  options.tls_ca_file = ca_file.string();
  const Engine engine = EngineOf(instance);
  options.ssl_mode = engine == Engine::kPostgresql ? "verify-full" : "REQUIRED";
  try {
    return Session(ca_file, connect_(engine, options));
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(ca_file, ignored);
    throw;
  }
}

InstanceDatabases DatabaseService::ListDatabases(const auth::Identity& caller,
                                                 const std::string& instance_id) {
  const auto instance = Find(caller, instance_id, "read");
  return {EngineOf(instance), Connect(instance)->ListDatabases()};
}

InstanceDatabase DatabaseService::GetDatabase(const auth::Identity& caller,
                                              const std::string& instance_id,
                                              const std::string& name) {
  const auto instance = Find(caller, instance_id, "read");
  CheckPathName(EngineOf(instance), ObjectKind::kDatabase, name);
  for (auto& d : Connect(instance)->ListDatabases()) {
    if (d.name == name) return {EngineOf(instance), std::move(d)};
  }
  throw Error(ErrorCode::kNotFound, "database " + name + " not found in instance " + instance_id);
}

InstanceDatabase DatabaseService::CreateDatabase(const auth::Identity& caller,
                                                 const std::string& instance_id,
                                                 const nlohmann::json& body) {
  const auto instance = Find(caller, instance_id, "create");
  const Engine engine = EngineOf(instance);
  const bool pg = engine == Engine::kPostgresql;
  json::Reader reader(body);
  engines::DatabaseSpec spec;
  const auto name = reader.String("name", true, 1, kMaxInput);
  const auto owner = reader.String("owner", false, 1, kMaxInput);
  const auto encoding = reader.String("encoding", false, 1, 64);
  const auto charset = reader.String("charset", false, 1, 64);
  const auto collation = reader.String("collation", false, 1, 64);
  reader.RejectUnknown({"name", "owner", "encoding", "charset", "collation"});
  auto problems = reader.Violations();
  CheckName(engine, ObjectKind::kDatabase, name, "name", problems);
  CheckName(engine, ObjectKind::kUser, owner, "owner", problems);
  if (pg && charset) {
    problems.push_back({"charset", "is for mysql instances; PostgreSQL takes \"encoding\""});
  }
  if (!pg && encoding) {
    problems.push_back({"encoding", "is for postgresql instances; MySQL takes \"charset\""});
  }
  ThrowIfAny(std::move(problems), "the database request is invalid");
  spec.name = *name;
  spec.owner = owner.value_or("");
  spec.encoding = pg ? encoding.value_or("") : charset.value_or("");
  spec.collation = collation.value_or("");

  auto session = Connect(instance);
  session->CreateDatabase(spec);
  for (auto& d : session->ListDatabases()) {
    if (d.name == spec.name) return {engine, std::move(d)};
  }
  engines::DatabaseInfo created;
  created.name = spec.name;
  created.owner = spec.owner;
  return {engine, std::move(created)};
}

void DatabaseService::DropDatabase(const auth::Identity& caller, const std::string& instance_id,
                                   const std::string& name, bool force) {
  const auto instance = Find(caller, instance_id, "delete");
  CheckPathName(EngineOf(instance), ObjectKind::kDatabase, name);
  Connect(instance)->DropDatabase(name, force);
}

std::vector<std::string> DatabaseService::ListUsers(const auth::Identity& caller,
                                                    const std::string& instance_id) {
  const auto instance = Find(caller, instance_id, "read");
  return Connect(instance)->ListUsers();
}

namespace {

DatabaseUserSecret SecretFor(const Instance& instance, const std::string& name,
                             std::string password, const std::string& database) {
  const Engine engine = EngineOf(instance);
  engines::UriParts parts;
  parts.host = instance.host.value_or("");
  parts.port = static_cast<std::uint16_t>(instance.port.value_or(0));
  parts.user = name;
  parts.password = password;
  parts.database = !database.empty() ? database : engine == Engine::kPostgresql ? "postgres" : "";
  parts.ssl_mode = engine == Engine::kPostgresql ? "require" : "REQUIRED";
  return {name, std::move(password), engines::ConnectionUri(engine, parts)};
}

}  // namespace

DatabaseUserSecret DatabaseService::CreateUser(const auth::Identity& caller,
                                               const std::string& instance_id,
                                               const nlohmann::json& body) {
  const auto instance = Find(caller, instance_id, "create");
  const Engine engine = EngineOf(instance);
  json::Reader reader(body);
  const auto name = reader.String("name", true, 1, kMaxInput);
  const auto database = reader.String("database", false, 1, kMaxInput);
  reader.RejectUnknown({"name", "password", "database"});
  auto problems = reader.Violations();
  const auto password = ReadPassword(reader, problems);
  CheckName(engine, ObjectKind::kUser, name, "name", problems);
  CheckName(engine, ObjectKind::kDatabase, database, "database", problems);
  ThrowIfAny(std::move(problems), "the user request is invalid");
  auto in_effect = Connect(instance)->CreateUser(*name, password);
  return SecretFor(instance, *name, std::move(in_effect), database.value_or(""));
}

DatabaseUserSecret DatabaseService::RotatePassword(const auth::Identity& caller,
                                                   const std::string& instance_id,
                                                   const std::string& name,
                                                   const nlohmann::json& body) {
  const auto instance = Find(caller, instance_id, "update");
  const Engine engine = EngineOf(instance);
  json::Reader reader(body);
  const auto database = reader.String("database", false, 1, kMaxInput);
  reader.RejectUnknown({"password", "database"});
  auto problems = reader.Violations();
  const auto password = ReadPassword(reader, problems);
  CheckName(engine, ObjectKind::kUser, name, "name", problems);
  CheckName(engine, ObjectKind::kDatabase, database, "database", problems);
  ThrowIfAny(std::move(problems), "the password request is invalid");
  auto in_effect = Connect(instance)->RotatePassword(name, password);
  return SecretFor(instance, name, std::move(in_effect), database.value_or(""));
}

void DatabaseService::DropUser(const auth::Identity& caller, const std::string& instance_id,
                               const std::string& name) {
  const auto instance = Find(caller, instance_id, "delete");
  CheckPathName(EngineOf(instance), ObjectKind::kUser, name);
  Connect(instance)->DropUser(name);
}

std::vector<std::string> DatabaseService::ListRoles(const auth::Identity& caller,
                                                    const std::string& instance_id) {
  const auto instance = Find(caller, instance_id, "read");
  return Connect(instance)->ListRoles();
}

std::string DatabaseService::CreateRole(const auth::Identity& caller,
                                        const std::string& instance_id,
                                        const nlohmann::json& body) {
  const auto instance = Find(caller, instance_id, "create");
  json::Reader reader(body);
  const auto name = reader.String("name", true, 1, kMaxInput);
  reader.RejectUnknown({"name"});
  auto problems = reader.Violations();
  CheckName(EngineOf(instance), ObjectKind::kRole, name, "name", problems);
  ThrowIfAny(std::move(problems), "the role request is invalid");
  Connect(instance)->CreateRole(*name);
  return *name;
}

void DatabaseService::DropRole(const auth::Identity& caller, const std::string& instance_id,
                               const std::string& name) {
  const auto instance = Find(caller, instance_id, "delete");
  CheckPathName(EngineOf(instance), ObjectKind::kRole, name);
  Connect(instance)->DropRole(name);
}

GrantRequest DatabaseService::Grant(const auth::Identity& caller, const std::string& instance_id,
                                    const nlohmann::json& body) {
  return ChangeGrant(caller, instance_id, body, true);
}

GrantRequest DatabaseService::Revoke(const auth::Identity& caller, const std::string& instance_id,
                                     const nlohmann::json& body) {
  return ChangeGrant(caller, instance_id, body, false);
}

GrantRequest DatabaseService::ChangeGrant(const auth::Identity& caller,
                                          const std::string& instance_id,
                                          const nlohmann::json& body, bool grant) {
  // As the gateway's table has it: POST .../grants creates, POST .../grants:revoke deletes.
  const auto instance = Find(caller, instance_id, grant ? "create" : "delete");
  const Engine engine = EngineOf(instance);
  json::Reader reader(body);
  const auto grantee = reader.String("grantee", true, 1, kMaxInput);
  const auto role = reader.String("role", false, 1, kMaxInput);
  const auto level = reader.String("level", false, 1, 16);
  const auto database = reader.String("database", false, 1, kMaxInput);
  const auto schema = reader.String("schema", false, 1, kMaxInput);
  const auto table = reader.String("table", false, 1, kMaxInput);
  const auto* privileges = reader.Member("privileges", false);
  reader.RejectUnknown({"grantee", "role", "privileges", "level", "database", "schema", "table"});
  auto problems = reader.Violations();
  CheckName(engine, ObjectKind::kUser, grantee, "grantee", problems);

  GrantRequest out;
  out.grantee = grantee.value_or("");
  if (role) {
    CheckName(engine, ObjectKind::kRole, role, "role", problems);
    if (privileges != nullptr || level || database || schema || table) {
      problems.push_back({"role",
                          "a role grant takes only \"grantee\" and \"role\"; grant "
                          "privileges in a separate request"});
    }
    out.role = role;
  } else {
    auto& spec = out.privileges;
    spec.grantee = out.grantee;
    if (!level || *level == "database") {
      spec.level = GrantLevel::kDatabase;
    } else if (*level == "schema") {
      spec.level = GrantLevel::kSchema;
    } else if (*level == "table") {
      spec.level = GrantLevel::kTable;
    } else {
      problems.push_back({"level", "must be database, schema or table"});
    }
    if (!level && table) spec.level = GrantLevel::kTable;
    if (!level && !table && schema) spec.level = GrantLevel::kSchema;
    if (!database) problems.push_back({"database", "is required for a privilege grant"});
    CheckName(engine, ObjectKind::kDatabase, database, "database", problems);
    if (spec.level == GrantLevel::kSchema && engine == Engine::kMysql) {
      problems.push_back({"level", "MySQL has no schemas below databases; use database or table"});
    } else if (spec.level == GrantLevel::kSchema && !schema) {
      problems.push_back({"schema", "is required at schema level"});
    }
    if (spec.level == GrantLevel::kTable && !table) {
      problems.push_back({"table", "is required at table level"});
    }
    if (spec.level == GrantLevel::kDatabase && (schema || table)) {
      problems.push_back({"level", "schema and table need level schema or table"});
    }
    if (schema && engine == Engine::kMysql) {
      problems.push_back({"schema", "MySQL has no schemas below databases"});
    }
    CheckName(engine, ObjectKind::kSchema, schema, "schema", problems);
    CheckName(engine, ObjectKind::kTable, table, "table", problems);
    std::vector<std::string> names;
    if (privileges == nullptr) {
      problems.push_back({"privileges", "give \"privileges\" (a list) or a \"role\""});
    } else if (!privileges->is_array()) {
      problems.push_back({"privileges", "must be a list of privilege names"});
    } else {
      for (std::size_t i = 0; i < privileges->size(); ++i) {
        const auto& p = (*privileges)[i];
        if (!p.is_string() || p.get<std::string>().size() > 32) {
          problems.push_back({"privileges[" + std::to_string(i) + "]", "must be a privilege name"});
        } else {
          names.push_back(p.get<std::string>());
        }
      }
      if (names.size() == privileges->size() &&
          !(spec.level == GrantLevel::kSchema && engine == Engine::kMysql)) {
        try {
          spec.privileges = engines::NormalizePrivileges(engine, spec.level, names);
        } catch (const Error& e) {
          for (const auto& d : e.Details()) problems.push_back(d);
        }
      }
    }
    spec.database = database.value_or("");
    spec.schema = schema.value_or("");
    spec.table = table.value_or("");
  }
  ThrowIfAny(std::move(problems), grant ? "the grant is invalid" : "the revoke is invalid");

  auto session = Connect(instance);
  if (out.role) {
    if (grant) {
      session->GrantRole(*out.role, out.grantee);
    } else {
      session->RevokeRole(*out.role, out.grantee);
    }
    return out;
  }
  if (engine == Engine::kMysql) {
    // A MariaDB role has no host part; the grantee's kind decides how it is named.
    const auto roles = session->ListRoles();
    out.privileges.grantee_is_role =
        std::find(roles.begin(), roles.end(), out.grantee) != roles.end();
  }
  if (grant) {
    session->Grant(out.privileges);
  } else {
    session->Revoke(out.privileges);
  }
  return out;
}

nlohmann::json DatabaseToJson(Engine engine, const engines::DatabaseInfo& d) {
  nlohmann::json out{{"name", d.name}};
  if (!d.owner.empty()) out["owner"] = d.owner;
  if (!d.encoding.empty()) out[engine == Engine::kPostgresql ? "encoding" : "charset"] = d.encoding;
  if (!d.collation.empty()) out["collation"] = d.collation;
  return out;
}

nlohmann::json GrantToJson(const GrantRequest& g) {
  nlohmann::json out{{"grantee", g.grantee}};
  if (g.role) {
    out["role"] = *g.role;
    return out;
  }
  const auto& p = g.privileges;
  out["level"] = p.level == GrantLevel::kDatabase ? "database"
                 : p.level == GrantLevel::kSchema ? "schema"
                                                  : "table";
  out["database"] = p.database;
  if (p.level == GrantLevel::kSchema || (p.level == GrantLevel::kTable && !p.schema.empty())) {
    out["schema"] = p.schema;
  }
  if (p.level == GrantLevel::kTable) out["table"] = p.table;
  out["privileges"] = p.privileges;
  return out;
}

}  // namespace dbaas::provisioning
