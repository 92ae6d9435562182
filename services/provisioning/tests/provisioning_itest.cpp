#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <signal.h>

#include <random>

#include "provisioning_fixture.hpp"
#include "random_parameters.hpp"

namespace dbaas::provisioning {
namespace {

using http::Method;
using nlohmann::json;
using test::ProvisioningApi;
using namespace std::chrono_literals;

TEST_F(ProvisioningApi, CatalogListsTheRealEnginesAndSizes) {
  auto engines = Call(Method::kGet, "/v1/engines");
  ASSERT_EQ(engines.status, 200) << engines.body;
  std::map<std::string, json> by_name;
  const auto body = engines.Json();
  for (const auto& e : body["engines"]) by_name[e["engine"].get<std::string>()] = e;
  ASSERT_TRUE(by_name.count("postgresql")) << engines.body;
  ASSERT_TRUE(by_name.count("mysql"));
  EXPECT_TRUE(by_name["postgresql"]["server_version"].get<std::string>().starts_with("15."));
  EXPECT_NE(by_name["mysql"]["server_version"].get<std::string>().find("MariaDB"),
            std::string::npos);
  bool found = false;
  for (const auto& p : by_name["postgresql"]["parameters"]) {
    if (p["name"] == "shared_buffers") {
      found = true;
      EXPECT_EQ(p["type"], "memory");
      EXPECT_EQ(p["dynamic"], false);
    }
  }
  EXPECT_TRUE(found);
  auto sizes = Call(Method::kGet, "/v1/instance-sizes");
  ASSERT_EQ(sizes.status, 200) << sizes.body;
  EXPECT_GE(sizes.Json()["instance_sizes"].size(), 3U);
  EXPECT_EQ(Call(Method::kGet, "/v1/engines", std::nullopt, "").status, 401);
}

TEST_F(ProvisioningApi, PostgresInstanceIsRealUsableAndLeavesNothingWhenDeleted) {
  const auto tenant = Tenant();
  const auto started = std::chrono::steady_clock::now();
  auto created = Create(Instance(tenant, "postgresql", "orders"));
  ASSERT_EQ(created.status, 202) << created.body;
  const auto body = created.Json();
  EXPECT_EQ(body["instance"]["status"], "provisioning");
  const auto id = body["instance"]["id"].get<std::string>();
  const auto op = WaitOperation(body["operation"]["id"]);
  ASSERT_EQ(op["status"], "succeeded") << op;
  std::cout << "[ measure ] postgresql create-to-running "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()
            << " s\n";

  auto instance = Call(Method::kGet, "/v1/instances/" + id).Json();
  EXPECT_EQ(instance["status"], "running");
  EXPECT_EQ(instance["endpoint"]["host"], "127.0.0.1");
  EXPECT_TRUE(instance["server_version"].get<std::string>().starts_with("15."));

  auto credentials = Call(Method::kGet, "/v1/instances/" + id + "/credentials");
  ASSERT_EQ(credentials.status, 200) << credentials.body;
  const auto uri = credentials.Json()["uri"].get<std::string>();
  const auto psql = testing::RunProgram(
      {"/usr/lib/postgresql/15/bin/psql", uri, "-XAtc", "SELECT current_user, ssl FROM "
                                                         "pg_stat_ssl WHERE pid = pg_backend_pid()"},
      "/");
  ASSERT_EQ(psql.exit_code, 0) << psql.err;
  EXPECT_EQ(psql.out, credentials.Json()["username"].get<std::string>() + "|t\n");

  auto removed = Call(Method::kDelete, "/v1/instances/" + id);
  ASSERT_EQ(removed.status, 202) << removed.body;
  ASSERT_EQ(WaitOperation(removed.Json()["operation"]["id"])["status"], "succeeded");
  EXPECT_EQ(Call(Method::kGet, "/v1/instances/" + id).status, 404);
  EXPECT_EQ(Call(Method::kGet, "/v1/instances/" + id + "/credentials").status, 404);
  EXPECT_FALSE(std::filesystem::exists(InstanceDir(id)));
  const auto still = testing::RunProgram({"/usr/lib/postgresql/15/bin/psql", uri, "-XAtc", "SELECT 1"}, "/");
  EXPECT_NE(still.exit_code, 0) << "the server still answers after delete";
  EXPECT_EQ(pg_->Query("SELECT count(*) FROM instances WHERE id = '" + id +
                           "' AND admin_password IS NOT NULL",
                       "provisioning"),
            "0\n");
}

TEST_F(ProvisioningApi, MysqlInstanceIsServedByMariaDb) {
  const auto tenant = Tenant();
  auto created = Create(Instance(tenant, "mysql", "shop", {{"parameters", {{"max_connections", 50}}}}));
  ASSERT_EQ(created.status, 202) << created.body;
  const auto id = created.Json()["instance"]["id"].get<std::string>();
  ASSERT_EQ(WaitOperation(created.Json()["operation"]["id"])["status"], "succeeded");
  const auto c = Call(Method::kGet, "/v1/instances/" + id + "/credentials").Json();
  const auto instance = Call(Method::kGet, "/v1/instances/" + id).Json();
  const auto client = testing::RunProgram(
      {"mariadb", "-h", "127.0.0.1", "-P", std::to_string(instance["endpoint"]["port"].get<int>()),
       "-u", c["username"].get<std::string>(), "-p" + c["password"].get<std::string>(), "--ssl",
       "-N", "-e", "SELECT @@max_connections, VERSION()"},
      "/");
  ASSERT_EQ(client.exit_code, 0) << client.err;
  EXPECT_TRUE(client.out.starts_with("50\t10.11")) << client.out;
  auto removed = Call(Method::kDelete, "/v1/instances/" + id);
  ASSERT_EQ(WaitOperation(removed.Json()["operation"]["id"])["status"], "succeeded");
  EXPECT_FALSE(std::filesystem::exists(InstanceDir(id)));
}

TEST_F(ProvisioningApi, InvalidRequestsListEveryProblemAndCreateNothing) {
  const auto tenant = Tenant();
  auto bad = Create({{"tenant_id", tenant},
                     {"name", "Bad Name!"},
                     {"engine", "oracle"},
                     {"size", "galactic"},
                     {"storage_gb", 0},
                     {"surprise", true}});
  ASSERT_EQ(bad.status, 400) << bad.body;
  const auto details = bad.Json()["error"]["details"].dump();
  for (const char* field : {"name", "engine", "size", "storage_gb", "surprise"}) {
    EXPECT_NE(details.find(std::string("\"") + field), std::string::npos) << field << details;
  }
  auto params = Create(Instance(tenant, "postgresql", "p",
                                {{"parameters", {{"shared_buffers", "lots"},
                                                 {"work_mem", -5},
                                                 {"no_such_setting", 1}}}}));
  ASSERT_EQ(params.status, 400) << params.body;
  const auto pd = params.Json()["error"]["details"].dump();
  for (const char* field : {"parameters.shared_buffers", "parameters.work_mem",
                            "parameters.no_such_setting"}) {
    EXPECT_NE(pd.find(field), std::string::npos) << field << pd;
  }
  auto injected = Create(Instance(tenant, "postgresql", "x'; DROP TABLE instances; --"));
  EXPECT_EQ(injected.status, 400) << injected.body;
  auto list = Call(Method::kGet, "/v1/instances?tenant_id=" + tenant);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_TRUE(list.Json()["instances"].empty());
}

TEST_F(ProvisioningApi, TenantLimitsAndDeletionProtectionAreEnforced) {
  const auto tenant = Tenant({{"max_instances", 1}, {"max_storage_gb", 100}});
  auto first = Create(Instance(tenant, "postgresql", "only", {{"deletion_protection", true}}));
  ASSERT_EQ(first.status, 202) << first.body;
  const auto id = first.Json()["instance"]["id"].get<std::string>();
  auto second = Create(Instance(tenant, "postgresql", "second"));
  EXPECT_EQ(second.status, 429) << second.body;
  EXPECT_EQ(second.Json()["error"]["code"], "RESOURCE_EXHAUSTED");
  EXPECT_NE(second.body.find("max_instances"), std::string::npos);
  auto duplicate = Create(Instance(tenant, "postgresql", "only"));
  EXPECT_TRUE(duplicate.status == 409 || duplicate.status == 429) << duplicate.body;

  ASSERT_EQ(WaitOperation(first.Json()["operation"]["id"])["status"], "succeeded");
  auto refused = Call(Method::kDelete, "/v1/instances/" + id);
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(refused.Json()["error"]["code"], "FAILED_PRECONDITION");
  EXPECT_EQ(Call(Method::kGet, "/v1/instances/" + id).Json()["status"], "running");
}

TEST_F(ProvisioningApi, ARetriedCreateWithTheSameIdempotencyKeyMakesOneInstance) {
  // One instance allowed: a second real create would be refused, a replay is not.
  const auto tenant = Tenant({{"max_instances", 1}, {"max_storage_gb", 100}});
  const auto body = Instance(tenant, "postgresql", "once");
  const std::map<std::string, std::string> key{{"Idempotency-Key", "create-once-" + tenant}};
  http::ClientResponse first;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  do {  // until provisioning has heard of the tenant
    first = Send(provisioning_->Port(), Method::kPost, "/v1/instances", body, admin_, key);
    if (first.status != 409) break;
    std::this_thread::sleep_for(100ms);
  } while (std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(first.status, 202) << first.body;
  auto again = Send(provisioning_->Port(), Method::kPost, "/v1/instances", body, admin_, key);
  ASSERT_EQ(again.status, 202) << again.body;
  EXPECT_EQ(again.Json()["instance"]["id"], first.Json()["instance"]["id"]);
  EXPECT_EQ(again.Json()["operation"]["id"], first.Json()["operation"]["id"]);
  auto other_body = body;
  other_body["storage_gb"] = 20;
  auto reused = Send(provisioning_->Port(), Method::kPost, "/v1/instances", other_body, admin_, key);
  EXPECT_EQ(reused.status, 400) << reused.body;
  EXPECT_NE(reused.body.find("Idempotency-Key"), std::string::npos) << reused.body;
  const auto listed = Call(Method::kGet, "/v1/instances?tenant_id=" + tenant).Json();
  EXPECT_EQ(listed["instances"].size(), 1U) << listed;
  ASSERT_EQ(WaitOperation(first.Json()["operation"]["id"])["status"], "succeeded");
}

TEST_F(ProvisioningApi, OtherTenantsSeeNothing) {
  const auto mine = Tenant();
  const auto theirs = Tenant();
  auto created = Create(Instance(mine, "postgresql", "private"));
  ASSERT_EQ(created.status, 202) << created.body;
  const auto id = created.Json()["instance"]["id"].get<std::string>();
  const auto email = "prov-" + crypto::HexEncode(crypto::RandomBytes(4)) + "@example.com";
  auto user = Ac(Method::kPost, "/v1/users",
                 json{{"email", email}, {"password", "Correct-Horse-Battery-9"},
                      {"tenant_id", theirs}, {"roles", {"tenant-admin"}}});
  ASSERT_EQ(user.status, 201) << user.body;
  const auto token = Login(email, "Correct-Horse-Battery-9");
  EXPECT_EQ(Call(Method::kGet, "/v1/instances/" + id, std::nullopt, token).status, 404);
  EXPECT_EQ(Call(Method::kDelete, "/v1/instances/" + id, std::nullopt, token).status, 404);
  EXPECT_EQ(Call(Method::kGet, "/v1/instances/" + id + "/credentials", std::nullopt, token).status,
            404);
  EXPECT_EQ(Call(Method::kGet, "/v1/operations/" + created.Json()["operation"]["id"].get<std::string>(),
                 std::nullopt, token)
                .status,
            404);
  auto list = Call(Method::kGet, "/v1/instances", std::nullopt, token);
  ASSERT_EQ(list.status, 200);
  EXPECT_TRUE(list.Json()["instances"].empty()) << list.body;
  WaitOperation(created.Json()["operation"]["id"]);
}

TEST_F(ProvisioningApi, AKilledServerIsMarkedFailedAndStartBringsItBack) {
  const auto tenant = Tenant();
  auto created = Create(Instance(tenant, "postgresql", "fragile"));
  ASSERT_EQ(created.status, 202) << created.body;
  const auto id = created.Json()["instance"]["id"].get<std::string>();
  ASSERT_EQ(WaitOperation(created.Json()["operation"]["id"])["status"], "succeeded");

  runtime::LocalRuntimeConfig config;
  config.state_dir = state_ / "runtime";
  runtime::LocalRuntime observer(config);
  const auto status = observer.Status(id);
  ASSERT_TRUE(status.pid.has_value());
  ASSERT_EQ(::kill(*status.pid, SIGKILL), 0);
  const auto killed = std::chrono::steady_clock::now();
  json instance;
  while (std::chrono::steady_clock::now() - killed < 30s) {
    instance = Call(Method::kGet, "/v1/instances/" + id).Json();
    if (instance["status"] == "failed") break;
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_EQ(instance["status"], "failed") << instance;
  EXPECT_FALSE(instance["status_detail"].is_null());

  auto start = Call(Method::kPost, "/v1/instances/" + id + "/start", json::object());
  ASSERT_EQ(start.status, 202) << start.body;
  ASSERT_EQ(WaitOperation(start.Json()["operation"]["id"])["status"], "succeeded");
  EXPECT_EQ(Call(Method::kGet, "/v1/instances/" + id).Json()["status"], "running");
}

TEST_F(ProvisioningApi, PatchChangesMetadataAtOnceAndSettingsThroughTheRuntime) {
  const auto tenant = Tenant();
  auto created = Create(Instance(tenant, "postgresql", "tunable"));
  ASSERT_EQ(created.status, 202) << created.body;
  const auto id = created.Json()["instance"]["id"].get<std::string>();
  ASSERT_EQ(WaitOperation(created.Json()["operation"]["id"])["status"], "succeeded");
  const auto show = [&](const std::string& setting) {
    const auto c = Call(Method::kGet, "/v1/instances/" + id + "/credentials").Json();
    return testing::RunProgram({"/usr/lib/postgresql/15/bin/psql", c["uri"].get<std::string>(),
                                "-XAtc", "SHOW " + setting},
                               "/")
        .out;
  };

  // Metadata: at once, guarded by If-Match.
  const auto etag = *Call(Method::kGet, "/v1/instances/" + id).Header("ETag");
  http::ClientRequest stale;
  stale.method = Method::kPatch;
  stale.host = "127.0.0.1";
  stale.port = provisioning_->Port();
  stale.target = "/v1/instances/" + id;
  stale.headers.Set("Authorization", "Bearer " + admin_);
  stale.headers.Set("If-Match", "\"r999\"");
  stale.JsonBody(json{{"labels", {{"team", "payments"}}}});
  EXPECT_EQ(client_.Send(stale).status, 412);
  auto meta = Call(Method::kPatch, "/v1/instances/" + id,
                   json{{"labels", {{"team", "payments"}}}, {"deletion_protection", true}});
  ASSERT_EQ(meta.status, 200) << meta.body;
  EXPECT_EQ(meta.Json()["labels"]["team"], "payments");
  EXPECT_NE(*meta.Header("ETag"), etag);

  // A dynamic and a static setting: both in effect once the operation ends.
  auto tuned = Call(Method::kPatch, "/v1/instances/" + id,
                    json{{"parameters", {{"work_mem", "8MB"}, {"max_connections", 42}}}});
  ASSERT_EQ(tuned.status, 202) << tuned.body;
  EXPECT_EQ(tuned.Json()["instance"]["status"], "maintenance");
  const auto op = WaitOperation(tuned.Json()["operation"]["id"]);
  ASSERT_EQ(op["status"], "succeeded") << op;
  EXPECT_EQ(show("work_mem"), "8MB\n");
  EXPECT_EQ(show("max_connections"), "42\n");
  const auto after = Call(Method::kGet, "/v1/instances/" + id).Json();
  EXPECT_EQ(after["status"], "running");
  EXPECT_EQ(after["parameters"]["max_connections"], "42");

  auto bad = Call(Method::kPatch, "/v1/instances/" + id,
                  json{{"size", "galactic"}, {"parameters", {{"work_mem", "lots"}}}});
  ASSERT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("size"), std::string::npos);
  EXPECT_NE(bad.body.find("parameters.work_mem"), std::string::npos);
  EXPECT_EQ(Call(Method::kPatch, "/v1/instances/" + id, json{{"deletion_protection", false}}).status,
            200);
}

// Property 1: Database Provisioning Completeness
// Any supported engine with any valid size and configuration provisions an instance that
// runs and answers its administrator over TLS; deleting it leaves nothing. Each case starts a
// real server, so the number of cases is small; DBAAS_TEST_SEED replays a run.
TEST_F(ProvisioningApi, AnyValidConfigurationProvisionsARunningInstance) {
  const auto seed = std::getenv("DBAAS_TEST_SEED") != nullptr
                        ? std::stoull(std::getenv("DBAAS_TEST_SEED"))
                        : std::random_device{}();
  std::mt19937_64 random(seed);
  RecordProperty("seed", std::to_string(seed));
  const engines::test::Pick pick = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, std::max(lo, hi))(random);
  };
  const auto tenant = Tenant({{"max_instances", 20}, {"max_storage_gb", 10000}});
  for (int i = 0; i < 6; ++i) {
    const auto engine = pick(0, 1) == 0 ? engines::Engine::kPostgresql : engines::Engine::kMysql;
    const std::string size = pick(0, 1) == 0 ? "micro" : "small";
    const auto parameters = engines::test::ValidParameters(engine, pick, /*cheap=*/true);
    const auto* spec = engines::FindSize(size);
    const auto storage = pick(spec->min_storage_gb, spec->min_storage_gb + 50);
    json body = Instance(tenant, std::string(engines::EngineName(engine)),
                         "p1-" + std::to_string(i) + "-" + crypto::HexEncode(crypto::RandomBytes(2)),
                         {{"parameters", parameters}, {"size", size}, {"storage_gb", storage}});
    SCOPED_TRACE("seed " + std::to_string(seed) + " case " + std::to_string(i) + ": " +
                 body.dump());
    auto created = Create(body);
    ASSERT_EQ(created.status, 202) << created.body;
    const auto id = created.Json()["instance"]["id"].get<std::string>();
    const auto op = WaitOperation(created.Json()["operation"]["id"]);
    ASSERT_EQ(op["status"], "succeeded") << op;
    ASSERT_EQ(Call(Method::kGet, "/v1/instances/" + id).Json()["status"], "running");
    const auto c = Call(Method::kGet, "/v1/instances/" + id + "/credentials").Json();
    const auto port = Call(Method::kGet, "/v1/instances/" + id).Json()["endpoint"]["port"].get<int>();
    const auto answer =
        engine == engines::Engine::kPostgresql
            ? testing::RunProgram({"/usr/lib/postgresql/15/bin/psql", c["uri"].get<std::string>(),
                                   "-XAtc", "SELECT 1"},
                                  "/")
            : testing::RunProgram({"mariadb", "-h", "127.0.0.1", "-P", std::to_string(port), "-u",
                                   c["username"].get<std::string>(),
                                   "-p" + c["password"].get<std::string>(), "--ssl", "-N", "-e",
                                   "SELECT 1"},
                                  "/");
    EXPECT_EQ(answer.out, "1\n") << answer.err;
    auto removed = Call(Method::kDelete, "/v1/instances/" + id);
    ASSERT_EQ(WaitOperation(removed.Json()["operation"]["id"])["status"], "succeeded");
    EXPECT_FALSE(std::filesystem::exists(InstanceDir(id)));
  }
}

// Property 4: Engine-Specific Validation
// A request with any one field made invalid (engine, version, size, storage, a parameter's
// value, an unknown parameter, the name) is refused with a detail naming that field, and
// nothing is created: no instance, no operation, no files.
TEST_F(ProvisioningApi, RandomInvalidRequestsAreRejectedAndCreateNothing) {
  const auto tenant = Tenant();
  const auto instances_before = pg_->Query(
      "SELECT count(*) FROM instances WHERE tenant_id = '" + tenant + "'", "provisioning");
  EXPECT_TRUE(rc::check("an invalid request is refused naming its field", [&] {
    const auto engine =
        *rc::gen::element(engines::Engine::kPostgresql, engines::Engine::kMysql);
    json body = Instance(tenant, std::string(engines::EngineName(engine)),
                         "p4-" + crypto::HexEncode(crypto::RandomBytes(3)));
    const int broken = *rc::gen::inRange(0, 7);
    std::string field;
    switch (broken) {
      case 0:
        body["engine"] = *rc::gen::element<std::string>("oracle", "postgres", "MySQL", "");
        field = "engine";
        break;
      case 1:
        body["version"] = *rc::gen::element<std::string>("9.6", "8.0", "99", "latest");
        field = "version";
        break;
      case 2:
        body["size"] = *rc::gen::element<std::string>("galactic", "Micro", "x");
        field = "size";
        break;
      case 3:
        body["storage_gb"] = *rc::gen::element<json>(0, -5, 100'000'000, "ten", 1.5);
        field = "storage_gb";
        break;
      case 4: {
        const auto& specs = engines::Parameters(engine);
        const auto& spec = specs[*rc::gen::inRange<std::size_t>(0, specs.size())];
        json value = spec.type == engines::ParamType::kBool ? json("maybe")
                     : spec.type == engines::ParamType::kEnum || spec.type == engines::ParamType::kSet
                         ? json("no_such_value_" + std::to_string(*rc::gen::inRange(0, 99)))
                     : spec.type == engines::ParamType::kString ? json(42)
                                                                : json("lots of " + spec.name);
        body["parameters"] = {{spec.name, value}};
        field = "parameters." + spec.name;
        break;
      }
      case 5:
        body["parameters"] = {{"no_such_" + std::to_string(*rc::gen::inRange(0, 999)), 1}};
        field = "parameters.no_such_";
        break;
      default:
        body["name"] = *rc::gen::element<std::string>("UPPER", "has space", "-lead", "x'; --",
                                                      std::string(70, 'a'));
        field = "name";
        break;
    }
    RC_LOG() << body.dump() << "\n";
    const auto r = Call(Method::kPost, "/v1/instances", body);
    RC_LOG() << r.status << " " << r.body << "\n";
    RC_ASSERT(r.status == 400);
    RC_ASSERT(r.Json()["error"]["details"].dump().find("\"field\":\"" + field) !=
              std::string::npos);
  }));
  EXPECT_EQ(pg_->Query("SELECT count(*) FROM instances WHERE tenant_id = '" + tenant + "'",
                       "provisioning"),
            instances_before);
  EXPECT_EQ(pg_->Query("SELECT count(*) FROM operations WHERE tenant_id = '" + tenant + "'",
                       "provisioning"),
            "0\n");
}

TEST_F(ProvisioningApi, ACreateInterruptedByACrashFinishesAfterTheRestart) {
  // provisioning as its own process, so it can die abruptly in the middle of a create.
  provisioning_.reset();
  const auto port = testing::FreePort();
  std::vector<std::string> env;
  for (const auto& [k, v] : env_) env.push_back(k + "=" + v);
  env.push_back("DBAAS_HTTP_PORT=" + std::to_string(port));
  auto process = std::make_unique<testing::Process>(
      std::vector<std::string>{DBAAS_PROVISIONING_BIN}, env, state_ / "provisioning-child.log");
  ASSERT_TRUE(testing::WaitForHttp("127.0.0.1", port, "/readyz", 200, 30s));
  const auto tenant = Tenant();
  http::ClientResponse created;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  do {
    created = Send(port, Method::kPost, "/v1/instances", Instance(tenant, "postgresql", "survivor"),
                   admin_);
    if (created.status != 409) break;
    std::this_thread::sleep_for(100ms);
  } while (std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(created.status, 202) << created.body;
  const auto op_id = created.Json()["operation"]["id"].get<std::string>();
  const auto id = created.Json()["instance"]["id"].get<std::string>();

  // Kill it once the runner has taken the operation (it is then creating the server).
  json op;
  for (int i = 0; i < 200; ++i) {
    op = Send(port, Method::kGet, "/v1/operations/" + op_id, std::nullopt, admin_).Json();
    if (op["status"] != "pending") break;
    std::this_thread::sleep_for(10ms);
  }
  process->Kill();
  process.reset();
  RecordProperty("status_when_killed", op["status"].get<std::string>());

  StartProvisioning();
  op = WaitOperation(op_id);
  ASSERT_EQ(op["status"], "succeeded") << op;
  if (op["attempts"].get<int>() < 2) {
    std::cout << "[ note ] the create finished before the kill; nothing was interrupted\n";
  }
  EXPECT_EQ(Call(Method::kGet, "/v1/instances/" + id).Json()["status"], "running");
  const auto c = Call(Method::kGet, "/v1/instances/" + id + "/credentials").Json();
  const auto psql = testing::RunProgram(
      {"/usr/lib/postgresql/15/bin/psql", c["uri"].get<std::string>(), "-XAtc", "SELECT 1"}, "/");
  EXPECT_EQ(psql.out, "1\n") << psql.err;
}

}  // namespace
}  // namespace dbaas::provisioning
