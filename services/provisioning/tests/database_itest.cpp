// Databases, users, roles and grants inside real instances, used afterwards through psql and the
// mariadb client as the users the API created.
#include <gtest/gtest.h>

#include "dbaas/engines/uri.hpp"
#include "provisioning_fixture.hpp"

namespace dbaas::provisioning {
namespace {

using http::Method;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kPsql = "/usr/lib/postgresql/15/bin/psql";

class DatabaseApi : public test::ProvisioningApi {
 protected:
  struct Running {
    std::string id;
    std::string engine;
    std::string host;
    int port = 0;
    std::string admin_user;
    std::string admin_password;
  };

  // A new tenant's running instance of `engine`.
  static Running RunningInstance(const std::string& engine, const std::string& name,
                                 std::string tenant = {}) {
    if (tenant.empty()) tenant = Tenant();
    Running r;
    r.engine = engine;
    auto created = Create(Instance(tenant, engine, name));
    EXPECT_EQ(created.status, 202) << created.body;
    if (created.status != 202) return r;
    r.id = created.Json()["instance"]["id"].get<std::string>();
    const auto op = WaitOperation(created.Json()["operation"]["id"]);
    EXPECT_EQ(op["status"], "succeeded") << op;
    const auto instance = Call(Method::kGet, "/v1/instances/" + r.id).Json();
    r.host = instance["endpoint"]["host"].get<std::string>();
    r.port = instance["endpoint"]["port"].get<int>();
    const auto c = Call(Method::kGet, "/v1/instances/" + r.id + "/credentials").Json();
    r.admin_user = c["username"].get<std::string>();
    r.admin_password = c["password"].get<std::string>();
    return r;
  }

  // Runs `sql` in `database` as `user` over TLS with psql or the mariadb client.
  static testing::ProgramResult Sql(const Running& i, const std::string& user,
                                    const std::string& password, const std::string& database,
                                    const std::string& sql) {
    if (i.engine == "postgresql") {
      engines::UriParts parts{
          i.host, static_cast<std::uint16_t>(i.port), user, password, database, "require"};
      return testing::RunProgram(
          {kPsql, engines::ConnectionUri(engines::Engine::kPostgresql, parts), "-XAtqc", sql}, "/");
    }
    return testing::RunProgram({"mariadb", "-h", i.host, "-P", std::to_string(i.port), "-u", user,
                                "-p" + password, "--ssl", "-N", "-D", database, "-e", sql},
                               "/");
  }
  static testing::ProgramResult AdminSql(const Running& i, const std::string& database,
                                         const std::string& sql) {
    return Sql(i, i.admin_user, i.admin_password, database, sql);
  }

  static std::string Path(const Running& i, const std::string& suffix) {
    return "/v1/instances/" + i.id + suffix;
  }

  static std::vector<std::string> NamesIn(const http::ClientResponse& r, const char* key) {
    std::vector<std::string> out;
    const auto body = r.Json();  // kept alive: the loop walks into it
    EXPECT_TRUE(body.contains(key)) << r.body;
    for (const auto& item : body[key]) out.push_back(item["name"].get<std::string>());
    return out;
  }

  static bool Contains(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  }

  // The whole story for one engine: a database, a user granted SELECT on one table only, a
  // role, a rotated password, revokes, and everything dropped again.
  static void UserSeesOnlyWhatItWasGranted(const Running& i) {
    const bool pg = i.engine == "postgresql";
    json db{{"name", "shop"}, {"collation", pg ? "C" : "utf8mb4_bin"}};
    db[pg ? "encoding" : "charset"] = pg ? "UTF8" : "utf8mb4";
    auto created = Call(Method::kPost, Path(i, "/databases"), db);
    ASSERT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(created.Json()["name"], "shop");
    EXPECT_EQ(created.Json()[pg ? "encoding" : "charset"], pg ? "UTF8" : "utf8mb4") << created.body;
    EXPECT_EQ(created.Json()["collation"], pg ? "C" : "utf8mb4_bin") << created.body;
    EXPECT_EQ(Call(Method::kPost, Path(i, "/databases"), json{{"name", "shop"}}).status, 409);
    EXPECT_TRUE(Contains(NamesIn(Call(Method::kGet, Path(i, "/databases")), "databases"), "shop"));
    EXPECT_EQ(Call(Method::kGet, Path(i, "/databases/shop")).status, 200);
    EXPECT_EQ(Call(Method::kGet, Path(i, "/databases/nowhere")).status, 404);

    auto setup = AdminSql(i, "shop",
                          "CREATE TABLE items (id int); INSERT INTO items VALUES (1), (2); "
                          "CREATE TABLE secrets (id int); INSERT INTO secrets VALUES (42);");
    ASSERT_EQ(setup.exit_code, 0) << setup.err;

    auto user =
        Call(Method::kPost, Path(i, "/users"), json{{"name", "reader"}, {"database", "shop"}});
    ASSERT_EQ(user.status, 201) << user.body;
    EXPECT_EQ(user.headers.Get("Cache-Control").value_or(""), "no-store");
    const auto password = user.Json()["password"].get<std::string>();
    EXPECT_EQ(password.size(), 32U);
    const auto uri = user.Json()["uri"].get<std::string>();
    EXPECT_TRUE(uri.starts_with(std::string(pg ? "postgresql" : "mysql") + "://reader:" + password +
                                "@" + i.host + ":" + std::to_string(i.port) + "/shop"))
        << uri;
    EXPECT_EQ(Call(Method::kPost, Path(i, "/users"), json{{"name", "reader"}}).status, 409);
    auto users = Call(Method::kGet, Path(i, "/users"));
    EXPECT_TRUE(Contains(NamesIn(users, "users"), "reader")) << users.body;
    EXPECT_EQ(users.body.find(password), std::string::npos);
    EXPECT_EQ(users.body.find("password"), std::string::npos);

    // Before any grant the user reads nothing.
    EXPECT_NE(Sql(i, "reader", password, "shop", "SELECT count(*) FROM items").exit_code, 0);
    json select_items{{"grantee", "reader"},
                      {"database", "shop"},
                      {"table", "items"},
                      {"privileges", {"select", "SELECT"}}};
    auto granted = Call(Method::kPost, Path(i, "/grants"), select_items);
    ASSERT_EQ(granted.status, 201) << granted.body;
    EXPECT_EQ(granted.Json()["privileges"], json::array({"SELECT"}));
    EXPECT_EQ(granted.Json()["level"], "table");
    if (pg) {
      // The returned URI itself works with psql.
      auto via_uri = testing::RunProgram({kPsql, uri, "-XAtqc", "SELECT count(*) FROM items"}, "/");
      EXPECT_EQ(via_uri.out, "2\n") << via_uri.err;
    }
    auto items = Sql(i, "reader", password, "shop", "SELECT count(*) FROM items");
    EXPECT_EQ(items.exit_code, 0) << items.err;
    EXPECT_EQ(items.out, "2\n");
    auto secrets = Sql(i, "reader", password, "shop", "SELECT * FROM secrets");
    EXPECT_NE(secrets.exit_code, 0) << secrets.out;
    EXPECT_NE(secrets.err.find(pg ? "permission denied" : "denied"), std::string::npos)
        << secrets.err;

    // Rotation: the old password stops working, the new one works.
    auto rotated = Call(Method::kPost, Path(i, "/users/reader:rotate-password"), json::object());
    ASSERT_EQ(rotated.status, 200) << rotated.body;
    const auto fresh = rotated.Json()["password"].get<std::string>();
    EXPECT_NE(fresh, password);
    EXPECT_NE(Sql(i, "reader", password, "shop", "SELECT 1").exit_code, 0);
    EXPECT_EQ(Sql(i, "reader", fresh, "shop", "SELECT count(*) FROM items").out, "2\n");
    auto chosen = Call(Method::kPost, Path(i, "/users/reader:rotate-password"),
                       json{{"password", "Chosen-Pass-123"}});
    ASSERT_EQ(chosen.status, 200) << chosen.body;
    EXPECT_EQ(chosen.Json()["password"], "Chosen-Pass-123");
    EXPECT_NE(Sql(i, "reader", fresh, "shop", "SELECT 1").exit_code, 0);
    EXPECT_EQ(Sql(i, "reader", "Chosen-Pass-123", "shop", "SELECT count(*) FROM items").out, "2\n");
    auto weak =
        Call(Method::kPost, Path(i, "/users/reader:rotate-password"), json{{"password", "short"}});
    EXPECT_EQ(weak.status, 400) << weak.body;
    EXPECT_EQ(weak.body.find("short"), std::string::npos) << "the password was echoed";
    EXPECT_EQ(Call(Method::kPost, Path(i, "/users/nobody:rotate-password"), json::object()).status,
              404);

    // A role carries the grant on secrets; granting it to the user lets it read them.
    auto role = Call(Method::kPost, Path(i, "/roles"), json{{"name", "auditor"}});
    ASSERT_EQ(role.status, 201) << role.body;
    EXPECT_TRUE(Contains(NamesIn(Call(Method::kGet, Path(i, "/roles")), "roles"), "auditor"));
    json select_secrets{{"grantee", "auditor"},
                        {"database", "shop"},
                        {"table", "secrets"},
                        {"privileges", {"SELECT"}}};
    ASSERT_EQ(Call(Method::kPost, Path(i, "/grants"), select_secrets).status, 201);
    json membership{{"grantee", "reader"}, {"role", "auditor"}};
    auto member = Call(Method::kPost, Path(i, "/grants"), membership);
    ASSERT_EQ(member.status, 201) << member.body;
    EXPECT_EQ(Sql(i, "reader", "Chosen-Pass-123", "shop", "SELECT id FROM secrets").out, "42\n");
    ASSERT_EQ(Call(Method::kPost, Path(i, "/grants:revoke"), membership).status, 204);
    EXPECT_NE(Sql(i, "reader", "Chosen-Pass-123", "shop", "SELECT id FROM secrets").exit_code, 0);
    ASSERT_EQ(Call(Method::kPost, Path(i, "/grants:revoke"), select_secrets).status, 204);
    EXPECT_EQ(Call(Method::kDelete, Path(i, "/roles/auditor")).status, 204);
    EXPECT_FALSE(Contains(NamesIn(Call(Method::kGet, Path(i, "/roles")), "roles"), "auditor"));

    // Revoking the table grant takes the access away again.
    auto revoked = Call(Method::kPost, Path(i, "/grants:revoke"), select_items);
    ASSERT_EQ(revoked.status, 204) << revoked.body;
    EXPECT_NE(Sql(i, "reader", "Chosen-Pass-123", "shop", "SELECT count(*) FROM items").exit_code,
              0);

    auto dropped = Call(Method::kDelete, Path(i, "/users/reader"));
    ASSERT_EQ(dropped.status, 204) << dropped.body;
    EXPECT_FALSE(Contains(NamesIn(Call(Method::kGet, Path(i, "/users")), "users"), "reader"));
    EXPECT_NE(Sql(i, "reader", "Chosen-Pass-123", "shop", "SELECT 1").exit_code, 0);
    EXPECT_EQ(Call(Method::kDelete, Path(i, "/users/reader")).status, 404);
    auto gone = Call(Method::kDelete, Path(i, "/databases/shop?force=true"));
    ASSERT_EQ(gone.status, 204) << gone.body;
    EXPECT_FALSE(Contains(NamesIn(Call(Method::kGet, Path(i, "/databases")), "databases"), "shop"));
    EXPECT_EQ(Call(Method::kGet, Path(i, "/databases/shop")).status, 404);
  }

  // Every bad name is refused with 400 naming the field, and nothing appears on the server.
  static void BadNamesCreateNothing(const Running& i) {
    const auto databases_before = NamesIn(Call(Method::kGet, Path(i, "/databases")), "databases");
    const auto users_before = NamesIn(Call(Method::kGet, Path(i, "/users")), "users");
    const auto roles_before = NamesIn(Call(Method::kGet, Path(i, "/roles")), "roles");
    const std::vector<std::string> bad{"x\"; DROP DATABASE postgres; --",
                                       "a`b",
                                       "'",
                                       "x'; DROP USER root; --",
                                       "",
                                       "Upper",
                                       "1starts_with_digit",
                                       "postgres",
                                       "template1",
                                       "mysql",
                                       "information_schema",
                                       "root",
                                       "public",
                                       "pg_thing",
                                       "dbaas_internal",
                                       std::string(81, 'a')};
    for (const auto& name : bad) {
      for (const char* collection : {"/databases", "/users", "/roles"}) {
        auto r = Call(Method::kPost, Path(i, collection), json{{"name", name}});
        EXPECT_EQ(r.status, 400) << collection << " " << name << ": " << r.body;
        EXPECT_NE(r.body.find("\"field\":\"name\""), std::string::npos) << r.body;
      }
    }
    // Too long for the engine even where the other engine would take it.
    const std::string long_db(i.engine == "postgresql" ? 64 : 65, 'a');
    EXPECT_EQ(Call(Method::kPost, Path(i, "/databases"), json{{"name", long_db}}).status, 400);
    // Names in paths and in grants get the same checks.
    EXPECT_EQ(
        Call(Method::kDelete, Path(i, "/databases/x%22%3B%20DROP%20DATABASE%20postgres")).status,
        400);
    EXPECT_EQ(Call(Method::kDelete, Path(i, "/users/a%60b")).status, 400);
    // The platform's own administrator is out of reach.
    EXPECT_EQ(Call(Method::kDelete, Path(i, "/users/" + i.admin_user)).status, 400);
    EXPECT_EQ(
        Call(Method::kPost, Path(i, "/users/" + i.admin_user + ":rotate-password"), json::object())
            .status,
        400);
    EXPECT_EQ(
        Call(Method::kPost, Path(i, "/users/'%20OR%201=1:rotate-password"), json::object()).status,
        400);
    auto grant = Call(Method::kPost, Path(i, "/grants"),
                      json{{"grantee", "x'--"},
                           {"database", "shop`; DROP DATABASE mysql"},
                           {"table", "t\"; DROP TABLE x"},
                           {"privileges", {"SELECT; DROP DATABASE postgres", "SUPER", "SELECT"}}});
    EXPECT_EQ(grant.status, 400) << grant.body;
    for (const char* field : {"grantee", "database", "privileges[0]", "privileges[1]"}) {
      EXPECT_NE(grant.body.find(std::string("\"field\":\"") + field + "\""), std::string::npos)
          << field << " " << grant.body;
    }
    auto mixed = Call(Method::kPost, Path(i, "/databases"),
                      json{{"name", "ok_name"},
                           {i.engine == "postgresql" ? "charset" : "encoding", "utf8"},
                           {"extra", 1}});
    EXPECT_EQ(mixed.status, 400) << mixed.body;
    EXPECT_EQ(NamesIn(Call(Method::kGet, Path(i, "/databases")), "databases"), databases_before);
    EXPECT_EQ(NamesIn(Call(Method::kGet, Path(i, "/users")), "users"), users_before);
    EXPECT_EQ(NamesIn(Call(Method::kGet, Path(i, "/roles")), "roles"), roles_before);
    auto server = AdminSql(i, i.engine == "postgresql" ? "postgres" : "mysql", "SELECT 1");
    EXPECT_EQ(server.out, "1\n") << server.err;
  }

  static void Delete(const Running& i) {
    auto removed = Call(Method::kDelete, "/v1/instances/" + i.id);
    ASSERT_EQ(removed.status, 202) << removed.body;
    EXPECT_EQ(WaitOperation(removed.Json()["operation"]["id"])["status"], "succeeded");
  }
};

TEST_F(DatabaseApi, PostgresUserReadsOnlyTheGrantedTable) {
  const auto i = RunningInstance("postgresql", "pg-objects");
  ASSERT_FALSE(i.id.empty());
  UserSeesOnlyWhatItWasGranted(i);
  Delete(i);
}

TEST_F(DatabaseApi, MysqlUserReadsOnlyTheGrantedTable) {
  const auto i = RunningInstance("mysql", "my-objects");
  ASSERT_FALSE(i.id.empty());
  UserSeesOnlyWhatItWasGranted(i);
  Delete(i);
}

TEST_F(DatabaseApi, InjectionAndReservedNamesAreRefusedOnBothEngines) {
  const auto tenant = Tenant();
  const auto pg = RunningInstance("postgresql", "pg-bad", tenant);
  const auto my = RunningInstance("mysql", "my-bad", tenant);
  ASSERT_FALSE(pg.id.empty());
  ASSERT_FALSE(my.id.empty());
  BadNamesCreateNothing(pg);
  BadNamesCreateNothing(my);
  auto schema = Call(Method::kPost, Path(my, "/grants"),
                     json{{"grantee", "someone"},
                          {"database", "d"},
                          {"level", "schema"},
                          {"schema", "s"},
                          {"privileges", {"USAGE"}}});
  EXPECT_EQ(schema.status, 400) << schema.body;
  Delete(pg);
  Delete(my);
}

TEST_F(DatabaseApi, SchemaLevelGrantsWorkOnPostgres) {
  const auto i = RunningInstance("postgresql", "pg-schema");
  ASSERT_FALSE(i.id.empty());
  ASSERT_EQ(Call(Method::kPost, Path(i, "/databases"), json{{"name", "app"}}).status, 201);
  ASSERT_EQ(
      AdminSql(i, "app", "CREATE SCHEMA sales; CREATE TABLE sales.orders (id int);").exit_code, 0);
  auto user = Call(Method::kPost, Path(i, "/users"),
                   json{{"name", "analyst"}, {"password", "Analyst-Pass-1"}, {"database", "app"}});
  ASSERT_EQ(user.status, 201) << user.body;
  EXPECT_EQ(user.Json()["password"], "Analyst-Pass-1");
  EXPECT_NE(
      Sql(i, "analyst", "Analyst-Pass-1", "app", "SELECT count(*) FROM sales.orders").exit_code, 0);
  for (const json& g :
       {json{{"grantee", "analyst"},
             {"level", "schema"},
             {"database", "app"},
             {"schema", "sales"},
             {"privileges", {"USAGE"}}},
        json{{"grantee", "analyst"},
             {"database", "app"},
             {"schema", "sales"},
             {"table", "orders"},
             {"privileges", {"SELECT"}}},
        json{{"grantee", "analyst"}, {"database", "app"}, {"privileges", {"CONNECT", "TEMP"}}}}) {
    auto r = Call(Method::kPost, Path(i, "/grants"), g);
    EXPECT_EQ(r.status, 201) << g << r.body;
  }
  auto read = Sql(i, "analyst", "Analyst-Pass-1", "app", "SELECT count(*) FROM sales.orders");
  EXPECT_EQ(read.out, "0\n") << read.err;
  auto bad_level = Call(Method::kPost, Path(i, "/grants"),
                        json{{"grantee", "analyst"},
                             {"level", "schema"},
                             {"database", "app"},
                             {"schema", "sales"},
                             {"privileges", {"SELECT"}}});
  EXPECT_EQ(bad_level.status, 400) << bad_level.body;
  auto missing = Call(Method::kPost, Path(i, "/grants"),
                      json{{"grantee", "analyst"},
                           {"database", "app"},
                           {"table", "nope"},
                           {"privileges", {"SELECT"}}});
  EXPECT_EQ(missing.status, 404) << missing.body;
  // The owner must exist; a database owned by the user is then usable by it.
  auto ghost = Call(Method::kPost, Path(i, "/databases"), json{{"name", "x"}, {"owner", "ghost"}});
  EXPECT_TRUE(ghost.status == 404 || ghost.status == 400) << ghost.body;
  EXPECT_FALSE(Contains(NamesIn(Call(Method::kGet, Path(i, "/databases")), "databases"), "x"));
  auto owned =
      Call(Method::kPost, Path(i, "/databases"), json{{"name", "analytics"}, {"owner", "analyst"}});
  ASSERT_EQ(owned.status, 201) << owned.body;
  EXPECT_EQ(owned.Json()["owner"], "analyst");
  EXPECT_EQ(
      Sql(i, "analyst", "Analyst-Pass-1", "analytics", "CREATE TABLE mine (id int)").exit_code, 0);
  Delete(i);
}

TEST_F(DatabaseApi, OtherTenantsStoppedInstancesAndStrangersAreRefused) {
  const auto tenant = Tenant();
  const auto i = RunningInstance("postgresql", "guarded", tenant);
  ASSERT_FALSE(i.id.empty());

  const auto theirs = Tenant();
  const auto email = "dbs-" + crypto::HexEncode(crypto::RandomBytes(4)) + "@example.com";
  auto user = Ac(Method::kPost, "/v1/users",
                 json{{"email", email},
                      {"password", "Correct-Horse-Battery-9"},
                      {"tenant_id", theirs},
                      {"roles", {"tenant-admin"}}});
  ASSERT_EQ(user.status, 201) << user.body;
  const auto stranger = Login(email, "Correct-Horse-Battery-9");
  EXPECT_EQ(Call(Method::kGet, Path(i, "/databases"), std::nullopt, stranger).status, 404);
  EXPECT_EQ(Call(Method::kPost, Path(i, "/users"), json{{"name", "intruder"}}, stranger).status,
            404);
  EXPECT_EQ(Call(Method::kPost, Path(i, "/grants"),
                 json{{"grantee", "intruder"}, {"database", "postgres_x"}, {"privileges", {"ALL"}}},
                 stranger)
                .status,
            404);
  EXPECT_EQ(Call(Method::kDelete, Path(i, "/databases/anything"), std::nullopt, stranger).status,
            404);
  EXPECT_EQ(Call(Method::kGet, Path(i, "/databases"), std::nullopt, "").status, 401);
  EXPECT_EQ(Call(Method::kGet, "/v1/instances/ins_doesnotexist/databases").status, 404);

  // A viewer of the owning tenant may list but not create.
  const auto viewer_email = "dbv-" + crypto::HexEncode(crypto::RandomBytes(4)) + "@example.com";
  ASSERT_EQ(Ac(Method::kPost, "/v1/users",
               json{{"email", viewer_email},
                    {"password", "Correct-Horse-Battery-9"},
                    {"tenant_id", tenant},
                    {"roles", {"viewer"}}})
                .status,
            201);
  const auto viewer = Login(viewer_email, "Correct-Horse-Battery-9");
  EXPECT_EQ(Call(Method::kGet, Path(i, "/users"), std::nullopt, viewer).status, 200);
  EXPECT_EQ(Call(Method::kPost, Path(i, "/users"), json{{"name", "viewer_made"}}, viewer).status,
            403);
  EXPECT_FALSE(Contains(NamesIn(Call(Method::kGet, Path(i, "/users")), "users"), "intruder"));

  auto stop = Call(Method::kPost, "/v1/instances/" + i.id + "/stop", json::object());
  ASSERT_EQ(stop.status, 202) << stop.body;
  ASSERT_EQ(WaitOperation(stop.Json()["operation"]["id"])["status"], "succeeded");
  auto stopped = Call(Method::kPost, Path(i, "/databases"), json{{"name", "later"}});
  EXPECT_EQ(stopped.status, 409) << stopped.body;
  EXPECT_EQ(stopped.Json()["error"]["code"], "FAILED_PRECONDITION");
  EXPECT_EQ(Call(Method::kGet, Path(i, "/users")).status, 409);
  // Bad input is still reported as such.
  EXPECT_EQ(Call(Method::kPost, Path(i, "/databases"), json{{"name", "a`b"}}).status, 400);
  Delete(i);
}

}  // namespace
}  // namespace dbaas::provisioning
