// Parameter groups against real provisioning, access-control and real PostgreSQL and MariaDB
// instances: validation, versions, tenancy, attachment, and a new version reaching the servers
// (dynamic settings live, static ones pending until a restart).
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include "provisioning_fixture.hpp"
#include "random_parameters.hpp"

namespace dbaas::provisioning {
namespace {

using http::Method;
using nlohmann::json;
using test::ProvisioningApi;
using namespace std::chrono_literals;

class ParameterGroupApi : public ProvisioningApi {
 protected:
  static http::ClientResponse Group(Method method, const std::string& path,
                                    const std::optional<json>& body = std::nullopt,
                                    std::map<std::string, std::string> headers = {}) {
    http::ClientRequest req;
    req.method = method;
    req.host = "127.0.0.1";
    req.port = provisioning_->Port();
    req.target = "/v1/parameter-groups" + path;
    req.timeout = 30s;
    req.headers.Set("Authorization", "Bearer " + admin_);
    for (const auto& [k, v] : headers) req.headers.Set(k, v);
    if (body) req.JsonBody(*body);
    return client_.Send(std::move(req));
  }

  static json NewGroup(const std::string& tenant, const std::string& name,
                       const std::string& engine, json parameters) {
    auto r = Group(Method::kPost, "", json{{"tenant_id", tenant},
                                           {"name", name},
                                           {"engine", engine},
                                           {"parameters", std::move(parameters)}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.Json();
  }

  // The instance, running, with its endpoint and admin credentials.
  struct Running {
    std::string id;
    std::string engine;
    int port = 0;
    std::string user;
    std::string password;
  };
  static Running Start(json body) {
    auto created = Create(std::move(body));
    EXPECT_EQ(created.status, 202) << created.body;
    Running r;
    r.id = created.Json()["instance"]["id"].get<std::string>();
    r.engine = created.Json()["instance"]["engine"].get<std::string>();
    const auto op = WaitOperation(created.Json()["operation"]["id"]);
    EXPECT_EQ(op["status"], "succeeded") << op;
    const auto instance = Call(Method::kGet, "/v1/instances/" + r.id).Json();
    r.port = instance["endpoint"]["port"].get<int>();
    const auto c = Call(Method::kGet, "/v1/instances/" + r.id + "/credentials").Json();
    r.user = c["username"].get<std::string>();
    r.password = c["password"].get<std::string>();
    return r;
  }

  // One value from the real server, as its client prints it.
  static std::string Query(const Running& i, const std::string& sql) {
    testing::ProgramResult r;
    if (i.engine == "postgresql") {
      r = testing::RunProgram({"/usr/lib/postgresql/15/bin/psql",
                               "postgresql://" + i.user + ":" + i.password + "@127.0.0.1:" +
                                   std::to_string(i.port) + "/postgres?sslmode=require",
                               "-XAtc", sql},
                              "/");
    } else {
      r = testing::RunProgram({"mariadb", "-h", "127.0.0.1", "-P", std::to_string(i.port), "-u",
                               i.user, "-p" + i.password, "--ssl", "-N", "-e", sql},
                              "/");
    }
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto out = r.out;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  }

  static json Get(const std::string& instance_id) {
    return Call(Method::kGet, "/v1/instances/" + instance_id).Json();
  }
};

TEST_F(ParameterGroupApi, GroupsAreValidatedUniqueVersionedAndIdempotent) {
  const auto tenant = Tenant();
  auto bad = Group(Method::kPost, "", json{{"tenant_id", tenant},
                                           {"name", "Bad Name"},
                                           {"engine", "postgresql"},
                                           {"parameters", {{"work_mem", "lots"},
                                                           {"no_such_setting", 1}}}});
  ASSERT_EQ(bad.status, 400) << bad.body;
  const auto details = bad.Json()["error"]["details"].dump();
  for (const char* field : {"\"name\"", "parameters.work_mem", "parameters.no_such_setting"}) {
    EXPECT_NE(details.find(field), std::string::npos) << field << " in " << details;
  }
  EXPECT_EQ(pg_->Query("SELECT count(*) FROM parameter_groups WHERE tenant_id = '" + tenant + "'",
                       "provisioning"),
            "0\n");

  const auto web = NewGroup(tenant, "web", "postgresql", {{"work_mem", "8MB"}});
  EXPECT_EQ(web["version"], 1);
  EXPECT_EQ(web["parameters"], json({{"work_mem", "8MB"}}));
  auto again = Group(Method::kPost, "", json{{"tenant_id", tenant}, {"name", "web"},
                                             {"engine", "postgresql"}});
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(again.Json()["error"]["code"], "ALREADY_EXISTS");
  NewGroup(tenant, "web", "mysql", json::object());  // one name per engine

  // The same Idempotency-Key and request answer the group made the first time.
  const json body{{"tenant_id", tenant}, {"name", "batch"}, {"engine", "mysql"}};
  auto first = Group(Method::kPost, "", body, {{"Idempotency-Key", "k-1"}});
  ASSERT_EQ(first.status, 201) << first.body;
  auto replay = Group(Method::kPost, "", body, {{"Idempotency-Key", "k-1"}});
  ASSERT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(replay.Json()["id"], first.Json()["id"]);
  auto reused = Group(Method::kPost, "", json{{"tenant_id", tenant}, {"name", "other"},
                                              {"engine", "mysql"}},
                      {{"Idempotency-Key", "k-1"}});
  EXPECT_EQ(reused.status, 400) << reused.body;

  // Versions: a parameter change makes one, a description change does not; If-Match guards.
  const auto id = web["id"].get<std::string>();
  auto stale = Group(Method::kPatch, "/" + id, json{{"parameters", {{"work_mem", "16MB"}}}},
                     {{"If-Match", "\"r999\""}});
  EXPECT_EQ(stale.status, 412) << stale.body;
  const auto etag = Group(Method::kGet, "/" + id).headers.Get("ETag").value_or("");
  auto changed = Group(Method::kPatch, "/" + id,
                       json{{"parameters", {{"work_mem", "16MB"}, {"statement_timeout", "5s"}}}},
                       {{"If-Match", etag}});
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(changed.Json()["parameter_group"]["version"], 2);
  EXPECT_TRUE(changed.Json()["operations"].empty());
  auto described = Group(Method::kPatch, "/" + id, json{{"description", "for the web tier"}});
  ASSERT_EQ(described.status, 200) << described.body;
  EXPECT_EQ(described.Json()["parameter_group"]["version"], 2);
  auto versions = Group(Method::kGet, "/" + id + "/versions?page_size=1");
  ASSERT_EQ(versions.status, 200) << versions.body;
  EXPECT_EQ(versions.Json()["versions"][0]["parameters"], json({{"work_mem", "8MB"}}));
  auto rest = Group(Method::kGet, "/" + id + "/versions?page_token=" +
                                      versions.Json()["next_page_token"].get<std::string>());
  EXPECT_EQ(rest.Json()["versions"][0]["version"], 2);
  EXPECT_EQ(rest.Json()["versions"][0]["parameters"]["work_mem"], "16MB");
  EXPECT_TRUE(rest.Json()["versions"][0]["parameters"].contains("statement_timeout"));
  auto bad_change = Group(Method::kPatch, "/" + id, json{{"parameters", {{"work_mem", -1}}}});
  EXPECT_EQ(bad_change.status, 400) << bad_change.body;
  EXPECT_EQ(Group(Method::kGet, "/" + id).Json()["version"], 2);

  // Listing: filter by engine, pages; built-in defaults are listed and read-only.
  auto mysql = Group(Method::kGet, "?engine=mysql&tenant_id=" + tenant);
  ASSERT_EQ(mysql.status, 200) << mysql.body;
  const auto listed = mysql.Json();  // range-for must not run over a temporary
  std::set<std::string> names;
  for (const auto& g : listed["parameter_groups"]) {
    EXPECT_EQ(g["engine"], "mysql");
    names.insert(g["name"].get<std::string>());
  }
  EXPECT_EQ(names, (std::set<std::string>{"batch", "default.mysql10.11", "web"}));
  auto builtin = Group(Method::kGet, "/default.postgresql15");
  ASSERT_EQ(builtin.status, 200) << builtin.body;
  auto refused = Group(Method::kPatch, "/" + builtin.Json()["id"].get<std::string>(),
                       json{{"parameters", {{"work_mem", "1MB"}}}});
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(refused.Json()["error"]["code"], "FAILED_PRECONDITION");

  // Another tenant's user sees none of it.
  const auto email = "pgr-" + crypto::HexEncode(crypto::RandomBytes(4)) + "@example.com";
  ASSERT_EQ(Ac(Method::kPost, "/v1/users",
               json{{"email", email}, {"password", "Correct-Horse-Battery-9"},
                    {"tenant_id", Tenant()}, {"roles", {"tenant-admin"}}})
                .status,
            201);
  const auto stranger = Login(email, "Correct-Horse-Battery-9");
  EXPECT_EQ(Call(Method::kGet, "/v1/parameter-groups/" + id, std::nullopt, stranger).status, 404);
  EXPECT_EQ(Call(Method::kDelete, "/v1/parameter-groups/" + id, std::nullopt, stranger).status,
            404);
  const auto theirs = Call(Method::kGet, "/v1/parameter-groups", std::nullopt, stranger).Json();
  for (const auto& g : theirs["parameter_groups"]) EXPECT_TRUE(g["builtin"].get<bool>()) << g;

  EXPECT_EQ(Group(Method::kDelete, "/" + id).status, 204);
  EXPECT_EQ(Group(Method::kGet, "/" + id).status, 404);
}

// A group's new version reaches a running PostgreSQL instance: the dynamic work_mem at once,
// the static max_connections after the next restart (pending_restart until then).
TEST_F(ParameterGroupApi, PostgresInstanceFollowsItsGroup) {
  const auto tenant = Tenant();
  const auto group = NewGroup(tenant, "oltp", "postgresql", {{"work_mem", "8MB"}});
  const auto mysql_group = NewGroup(tenant, "oltp", "mysql", json::object());
  const auto i = Start(Instance(tenant, "postgresql", "orders",
                                {{"parameter_group", "oltp"},
                                 {"parameters", {{"statement_timeout", "7s"}}}}));
  auto instance = Get(i.id);
  EXPECT_EQ(instance["parameter_group"], json({{"id", group["id"]}, {"name", "oltp"},
                                               {"version", 1}}));
  EXPECT_EQ(instance["effective_parameters"]["work_mem"], "8MB");
  EXPECT_EQ(instance["parameters"].size(), 1U);
  EXPECT_EQ(instance["effective_parameters"]["statement_timeout"],
            instance["parameters"]["statement_timeout"]);
  EXPECT_EQ(Query(i, "SHOW work_mem"), "8MB");
  EXPECT_EQ(Query(i, "SHOW statement_timeout"), "7s");
  const auto connections_before = Query(i, "SHOW max_connections");
  ASSERT_NE(connections_before, "42");

  // Another engine's group is refused, and the instance keeps its group.
  auto wrong = Call(Method::kPatch, "/v1/instances/" + i.id,
                    json{{"parameter_group", mysql_group["id"]}});
  EXPECT_EQ(wrong.status, 400) << wrong.body;
  EXPECT_NE(wrong.body.find("is for mysql"), std::string::npos) << wrong.body;
  EXPECT_EQ(Get(i.id)["parameter_group"]["id"], group["id"]);
  // An attached group cannot be deleted; the error names the instance.
  auto in_use = Call(Method::kDelete, "/v1/parameter-groups/" + group["id"].get<std::string>());
  EXPECT_EQ(in_use.status, 409) << in_use.body;
  EXPECT_NE(in_use.body.find("orders"), std::string::npos) << in_use.body;

  auto changed = Call(Method::kPatch, "/v1/parameter-groups/" + group["id"].get<std::string>(),
                      json{{"parameters", {{"work_mem", "16MB"}, {"max_connections", 42}}}});
  ASSERT_EQ(changed.status, 200) << changed.body;
  const auto ops = changed.Json()["operations"];
  ASSERT_EQ(ops.size(), 1U) << changed.body;
  EXPECT_EQ(ops[0]["type"], "apply_parameters");
  EXPECT_EQ(ops[0]["target"], i.id);
  ASSERT_EQ(WaitOperation(ops[0]["id"])["status"], "succeeded");
  EXPECT_EQ(Query(i, "SHOW work_mem"), "16MB");                     // live
  EXPECT_EQ(Query(i, "SHOW max_connections"), connections_before);  // not restarted
  instance = Get(i.id);
  EXPECT_EQ(instance["status"], "running");
  EXPECT_EQ(instance["parameter_group"]["version"], 2);
  EXPECT_EQ(instance["pending_restart"], json({"max_connections"}));
  EXPECT_TRUE(instance["effective_parameters"].contains("statement_timeout"));  // its own stays

  auto restart = Call(Method::kPost, "/v1/instances/" + i.id + "/restart");
  ASSERT_EQ(restart.status, 202) << restart.body;
  ASSERT_EQ(WaitOperation(restart.Json()["operation"]["id"])["status"], "succeeded");
  EXPECT_EQ(Query(i, "SHOW max_connections"), "42");
  EXPECT_EQ(Get(i.id)["pending_restart"], json::array());

  // Detached, the instance runs with its own parameters only.
  auto detach = Call(Method::kPatch, "/v1/instances/" + i.id, json{{"parameter_group", nullptr}});
  ASSERT_EQ(detach.status, 202) << detach.body;
  ASSERT_EQ(WaitOperation(detach.Json()["operation"]["id"])["status"], "succeeded");
  instance = Get(i.id);
  EXPECT_TRUE(instance["parameter_group"].is_null()) << instance;
  EXPECT_EQ(Query(i, "SHOW work_mem"), "4MB");
  EXPECT_EQ(Call(Method::kDelete, "/v1/parameter-groups/" + group["id"].get<std::string>()).status,
            204);
  Call(Method::kDelete, "/v1/instances/" + i.id);
}

// The same on MariaDB: wait_timeout is applied with SET GLOBAL, performance_schema waits for
// the restart.
TEST_F(ParameterGroupApi, MariaDbInstanceFollowsItsGroup) {
  const auto tenant = Tenant();
  const auto group = NewGroup(tenant, "shop", "mysql", {{"wait_timeout", 1000}});
  const auto i = Start(Instance(tenant, "mysql", "shop", {{"parameter_group", group["id"]}}));
  EXPECT_EQ(Query(i, "SELECT @@global.wait_timeout"), "1000");
  EXPECT_EQ(Query(i, "SELECT @@performance_schema"), "0");
  auto changed = Call(Method::kPatch, "/v1/parameter-groups/" + group["id"].get<std::string>(),
                      json{{"parameters", {{"wait_timeout", 2000}, {"performance_schema", "ON"}}}});
  ASSERT_EQ(changed.status, 200) << changed.body;
  ASSERT_EQ(changed.Json()["operations"].size(), 1U);
  ASSERT_EQ(WaitOperation(changed.Json()["operations"][0]["id"])["status"], "succeeded");
  EXPECT_EQ(Query(i, "SELECT @@global.wait_timeout"), "2000");
  EXPECT_EQ(Query(i, "SELECT @@performance_schema"), "0");
  EXPECT_EQ(Get(i.id)["pending_restart"], json({"performance_schema"}));
  auto restart = Call(Method::kPost, "/v1/instances/" + i.id + "/restart");
  ASSERT_EQ(WaitOperation(restart.Json()["operation"]["id"])["status"], "succeeded");
  EXPECT_EQ(Query(i, "SELECT @@performance_schema"), "1");
  EXPECT_EQ(Get(i.id)["pending_restart"], json::array());
  Call(Method::kDelete, "/v1/instances/" + i.id);
}

// Property 3: Configuration Template Isolation. For random engines and random valid groups,
// creating and updating one engine's groups never changes another engine's groups (or another
// group at all), nor any instance not attached to the changed group; a group of engine A is
// never attached to an instance of engine B.
TEST_F(ParameterGroupApi, TemplatesOfOneEngineNeverTouchAnotherOrUnattachedInstances) {
  const auto tenant = Tenant();
  // One real instance per engine, each attached to a group the property never changes.
  const auto pg_group = NewGroup(tenant, "pinned", "postgresql", {{"work_mem", "8MB"}});
  const auto my_group = NewGroup(tenant, "pinned", "mysql", {{"wait_timeout", 1000}});
  const auto pg = Start(Instance(tenant, "postgresql", "p3-pg", {{"parameter_group", "pinned"}}));
  const auto my = Start(Instance(tenant, "mysql", "p3-my", {{"parameter_group", "pinned"}}));
  const std::map<std::string, std::string> instance_engine{{pg.id, "postgresql"},
                                                           {my.id, "mysql"}};
  std::vector<std::string> group_ids;
  int counter = 0;
  EXPECT_TRUE(rc::check("a group change stays within its group", [&] {
    const auto engine = *rc::gen::element(engines::Engine::kPostgresql, engines::Engine::kMysql);
    const std::string engine_name(engines::EngineName(engine));
    const engines::test::Pick pick = [](std::int64_t lo, std::int64_t hi) {
      return *rc::gen::inRange<std::int64_t>(lo, hi + 1);
    };
    // Everything before: every group and both instances.
    std::map<std::string, json> before;
    for (const auto& id : group_ids) before[id] = Call(Method::kGet, "/v1/parameter-groups/" + id).Json();
    std::map<std::string, json> instances_before;
    for (const auto& [id, e] : instance_engine) instances_before[id] = Get(id);

    std::string changed;
    if (group_ids.empty() || *rc::gen::inRange(0, 2) == 0) {
      auto r = Call(Method::kPost, "/v1/parameter-groups",
                    json{{"tenant_id", tenant},
                         {"name", "g" + std::to_string(++counter)},
                         {"engine", engine_name},
                         {"parameters", engines::test::ValidParameters(engine, pick, true)}});
      RC_LOG() << r.body << "\n";
      RC_ASSERT(r.status == 201);
      changed = r.Json()["id"].get<std::string>();
      group_ids.push_back(changed);
    } else {
      changed = *rc::gen::elementOf(group_ids);
      const auto changed_engine =
          *engines::ParseEngine(before[changed]["engine"].get<std::string>());
      // A whole new set: names it no longer has are removed (null), so cross-parameter rules
      // hold for the result.
      auto parameters = engines::test::ValidParameters(changed_engine, pick, true);
      for (const auto& [name, value] : before[changed]["parameters"].items()) {
        if (!parameters.contains(name)) parameters[name] = nullptr;
      }
      auto r = Call(Method::kPatch, "/v1/parameter-groups/" + changed,
                    json{{"parameters", std::move(parameters)}});
      RC_LOG() << r.body << "\n";
      RC_ASSERT(r.status == 200);
      RC_ASSERT(r.Json()["operations"].empty());  // no instance is attached to it
    }
    for (const auto& [id, old] : before) {
      if (id == changed) continue;
      RC_ASSERT(Call(Method::kGet, "/v1/parameter-groups/" + id).Json() == old);
    }
    for (const auto& [id, old] : instances_before) RC_ASSERT(Get(id) == old);

    // Attaching the changed group to the other engine's instance is refused and changes nothing.
    const auto group_engine =
        Call(Method::kGet, "/v1/parameter-groups/" + changed).Json()["engine"].get<std::string>();
    for (const auto& [id, e] : instance_engine) {
      if (e == group_engine) continue;
      auto r = Call(Method::kPatch, "/v1/instances/" + id, json{{"parameter_group", changed}});
      RC_ASSERT(r.status == 400);
      RC_ASSERT(Get(id) == instances_before[id]);
    }
  }));
  EXPECT_EQ(Call(Method::kGet, "/v1/parameter-groups/" + pg_group["id"].get<std::string>())
                .Json()["version"],
            1);
  EXPECT_EQ(Query(pg, "SHOW work_mem"), "8MB");
  EXPECT_EQ(Query(my, "SELECT @@global.wait_timeout"), "1000");
  EXPECT_EQ(my_group["engine"], "mysql");
  Call(Method::kDelete, "/v1/instances/" + pg.id);
  Call(Method::kDelete, "/v1/instances/" + my.id);
}

}  // namespace
}  // namespace dbaas::provisioning
