#include <gtest/gtest.h>
#include <signal.h>

#include "provisioning_fixture.hpp"

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
