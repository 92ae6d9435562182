// The backup service against real parts: access-control, provisioning with the local runtime
// creating a real PostgreSQL instance, NATS JetStream carrying provisioning's events, and
// pg_dumpall taking the backups.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "access_control_host.hpp"
#include "app.hpp"
#include "dbaas/common/crypto.hpp"
#include "dbaas/http/client.hpp"
#include "dbaas/runtime/local_runtime.hpp"
#include "dbaas/service/service_host.hpp"
#include "dbaas/store/store.hpp"
#include "dbaas/testing/programs.hpp"
#include "dbaas/testing/servers.hpp"
#include "domain/backup_runner.hpp"
#include "domain/schedule_policy.hpp"
#include "executor/pipeline_executor.hpp"
#include "storage/filesystem_store.hpp"

namespace dbaas::provisioning {
service::Definition Definition();
}

namespace dbaas::backup {
namespace {

using http::Method;
using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

ConfigReader::Lookup LookupIn(std::map<std::string, std::string> env) {
  return [env = std::move(env)](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

std::string FileText(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class BackupApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pg_ = std::make_unique<testing::PostgresServer>();
    nats_ = std::make_unique<testing::NatsServer>();
    state_ = fs::temp_directory_path() / ("dbaas-backup-" + crypto::RandomToken(6));
    fs::create_directories(state_);
    fs::permissions(state_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    admin_password_ = "Admin-" + crypto::RandomToken(12);
    std::map<std::string, std::string> common{
        {"DBAAS_NATS_URL", nats_->Url()},
        {"DBAAS_HTTP_PORT", "0"},
        {"DBAAS_HTTP_ACCESS_LOG", "false"},
        {"DBAAS_STATE_DIR", state_.string()},
        {"DBAAS_MASTER_KEY_FILE", (state_ / "secrets" / "master.key").string()},
        {"DBAAS_LOG_LEVEL", "warn"}};
    access_control_ = access_control::test::StartAccessControl(*pg_, common, admin_password_);
    const auto ac_url = "http://127.0.0.1:" + std::to_string(access_control_->Port());

    // Instances get ports in 21500-21999 (this test's share of the range below the ephemeral
    // ports), 20 per process.
    const int base = 21500 + (::getpid() % 25) * 20;
    auto prov = common;
    prov["DBAAS_DATABASE_URL"] = pg_->CreateDatabase("provisioning");
    prov["DBAAS_ACCESS_CONTROL_URL"] = ac_url;
    prov["DBAAS_IDENTITY_CACHE_TTL"] = "1s";
    prov["DBAAS_RUNTIME_DIR"] = (state_ / "runtime").string();
    prov["DBAAS_INSTANCE_PORT_MIN"] = std::to_string(base);
    prov["DBAAS_INSTANCE_PORT_MAX"] = std::to_string(base + 19);
    prov["DBAAS_INSTANCE_FAST_INIT"] = "true";
    prov["DBAAS_OPERATION_LEASE"] = "3s";
    prov["DBAAS_HEALTH_INTERVAL"] = "1s";
    provisioning_ = std::make_unique<service::Host>(provisioning::Definition(), LookupIn(prov));
    provisioning_->Start();
    provisioning_->RunInBackground();
    admin_ = Login("admin", admin_password_);

    // The service key deploy/local/up makes: a platform-admin API key.
    auto key = Send(access_control_->Port(), Method::kPost, "/v1/api-keys",
                    json{{"name", "service-backup"}, {"roles", {"platform-admin"}}}, admin_);
    ASSERT_EQ(key.status, 201) << key.body;

    backup_db_url_ = pg_->CreateDatabase("backup");
    auto env = common;
    env["DBAAS_DATABASE_URL"] = backup_db_url_;
    env["DBAAS_ACCESS_CONTROL_URL"] = ac_url;
    env["DBAAS_IDENTITY_CACHE_TTL"] = "1s";
    env["DBAAS_PROVISIONING_URL"] = "http://127.0.0.1:" + std::to_string(provisioning_->Port());
    env["DBAAS_SERVICE_API_KEY"] = key.Json()["key"].get<std::string>();
    env["DBAAS_OPERATION_LEASE"] = "3s";
    backup_ = std::make_unique<service::Host>(Definition(), LookupIn(env));
    backup_->Start();
    backup_->RunInBackground();
  }

  static void TearDownTestSuite() {
    backup_.reset();
    provisioning_.reset();
    runtime::LocalRuntimeConfig config;
    config.state_dir = state_ / "runtime";
    if (fs::exists(config.state_dir)) {
      runtime::LocalRuntime runtime(config);
      for (const auto& id : runtime.List()) runtime.Delete(id);
    }
    access_control_.reset();
    nats_.reset();
    pg_.reset();
    fs::remove_all(state_);
  }

  static http::ClientResponse Send(std::uint16_t port, Method method, const std::string& target,
                                   const std::optional<json>& body, const std::string& token,
                                   const std::map<std::string, std::string>& headers = {}) {
    http::ClientRequest req;
    req.method = method;
    req.host = "127.0.0.1";
    req.port = port;
    req.target = target;
    req.timeout = 60s;
    if (!token.empty()) req.headers.Set("Authorization", "Bearer " + token);
    for (const auto& [k, v] : headers) req.headers.Set(k, v);
    if (body) req.JsonBody(*body);
    return client_.Send(std::move(req));
  }
  static http::ClientResponse Call(Method method, const std::string& target,
                                   const std::optional<json>& body = std::nullopt,
                                   const std::string& token = admin_,
                                   const std::map<std::string, std::string>& headers = {}) {
    return Send(backup_->Port(), method, target, body, token, headers);
  }
  static http::ClientResponse Prov(Method method, const std::string& target,
                                   const std::optional<json>& body = std::nullopt) {
    return Send(provisioning_->Port(), method, target, body, admin_);
  }
  static http::ClientResponse Ac(Method method, const std::string& target,
                                 const std::optional<json>& body = std::nullopt) {
    return Send(access_control_->Port(), method, target, body, admin_);
  }
  static std::string Login(const std::string& user, const std::string& password) {
    auto r = Send(access_control_->Port(), Method::kPost, "/v1/auth/token",
                  json{{"username", user}, {"password", password}}, "");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json().value("access_token", "");
  }
  static std::string Tenant() {
    auto r = Ac(Method::kPost, "/v1/tenants",
                json{{"name", "bak-" + crypto::HexEncode(crypto::RandomBytes(4))}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.Json().value("id", "");
  }
  // A tenant-admin of a new tenant, logged in.
  static std::string OtherTenantAdmin() {
    const auto tenant = Tenant();
    const auto email = "bak-" + crypto::HexEncode(crypto::RandomBytes(4)) + "@example.com";
    auto user = Ac(Method::kPost, "/v1/users",
                   json{{"email", email},
                        {"password", "Correct-Horse-Battery-9"},
                        {"tenant_id", tenant},
                        {"roles", {"tenant-admin"}}});
    EXPECT_EQ(user.status, 201) << user.body;
    return Login(email, "Correct-Horse-Battery-9");
  }

  // Polls `fetch` until `done` accepts its answer or `limit` passes; returns the last answer.
  template <typename Fetch, typename Done>
  static json WaitFor(Fetch fetch, Done done, std::chrono::seconds limit, const char* what) {
    json last;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      last = fetch();
      if (done(last)) return last;
      std::this_thread::sleep_for(200ms);
    }
    ADD_FAILURE() << what << " did not happen; last seen: " << last;
    return last;
  }

  static json WaitProvisioning(const std::string& op) {
    return WaitFor([&] { return Prov(Method::kGet, "/v1/operations/" + op).Json(); },
                   [](const json& o) {
                     return o.value("status", "") == "succeeded" ||
                            o.value("status", "") == "failed";
                   },
                   180s, "the provisioning operation");
  }
  static json WaitBackupOperation(const std::string& op) {
    return WaitFor([&] { return Call(Method::kGet, "/v1/operations/" + op).Json(); },
                   [](const json& o) {
                     return o.value("status", "") == "succeeded" ||
                            o.value("status", "") == "failed";
                   },
                   180s, "the backup operation");
  }

  // A running PostgreSQL instance holding a table `orders`, known to backup.
  // A micro instance of `engine` created through provisioning (retried until the new tenant
  // has reached it through its event) and running; returns its id, or "" (with the failure
  // recorded) when it could not be made.
  static std::string RunningInstance(const std::string& tenant, const std::string& name,
                                     const std::string& engine) {
    http::ClientResponse created;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    do {
      created = Prov(Method::kPost, "/v1/instances",
                     json{{"tenant_id", tenant},
                          {"name", name},
                          {"engine", engine},
                          {"size", "micro"},
                          {"storage_gb", 10}});
      if (created.status != 409) break;
      std::this_thread::sleep_for(100ms);
    } while (std::chrono::steady_clock::now() < deadline);
    EXPECT_EQ(created.status, 202) << created.body;
    if (created.status != 202) return "";
    const auto op = WaitProvisioning(created.Json()["operation"]["id"]);
    EXPECT_EQ(op["status"], "succeeded") << op;
    if (op["status"] != "succeeded") return "";
    return created.Json()["instance"]["id"].get<std::string>();
  }

  static void EnsureInstance() {
    if (!instance_.empty()) return;
    tenant_ = Tenant();
    instance_ = RunningInstance(tenant_, "shop", "postgresql");
    ASSERT_FALSE(instance_.empty());
    const auto uri = Prov(Method::kGet, "/v1/instances/" + instance_ + "/credentials")
                         .Json()["uri"]
                         .get<std::string>();
    const auto psql = testing::RunProgram(
        {"/usr/lib/postgresql/15/bin/psql", uri, "-Xqc",
         "CREATE TABLE orders (id int, item text); INSERT INTO orders VALUES (1, 'kumquat-42')"},
        "/");
    ASSERT_EQ(psql.exit_code, 0) << psql.err;
    // Backup hears of the running instance through provisioning's created event.
    WaitFor(
        [&] {
          return Call(Method::kGet, "/v1/instances/" + instance_ + "/backup-schedule").Json();
        },
        [](const json& s) { return s.contains("cron"); }, 30s, "the default schedule");
  }

  static json TakeBackup(json body = json::object()) {
    auto r = Call(Method::kPost, "/v1/instances/" + instance_ + "/backups", body);
    EXPECT_EQ(r.status, 202) << r.body;
    const auto op = WaitBackupOperation(r.Json()["operation"]["id"]);
    EXPECT_EQ(op["status"], "succeeded") << op;
    return Call(Method::kGet, "/v1/backups/" + r.Json()["backup"]["id"].get<std::string>()).Json();
  }

  // The number of events of `subject` about `backup_id` that backup wrote to its outbox.
  static std::int64_t OutboxEvents(const std::string& subject, const std::string& backup_id) {
    store::Pool pool({backup_db_url_});
    return pool
        .Exec(
            "SELECT count(*) AS n FROM event_outbox WHERE subject = $1 AND "
            "position(convert_to($2, 'UTF8') IN payload) > 0",
            {subject, backup_id})[0]
        .GetInt("n");
  }

  static fs::path StoredFile(const json& backup) {
    return state_ / "backups" / backup["storage_location"].get<std::string>();
  }

  // The service's store and executor as the service builds them: files under <state>/backups,
  // encrypted under the platform's master key.
  struct Stored {
    crypto::KeyRing keys = crypto::LoadOrCreateKeyFile((state_ / "secrets" / "master.key").string());
    FilesystemStore store{StoreConfig()};
    PipelineExecutor executor{store, keys, ExecutorConfig()};
    static FilesystemStoreConfig StoreConfig() {
      FilesystemStoreConfig c;
      c.root = state_ / "backups";
      return c;
    }
    static PipelineExecutorConfig ExecutorConfig() {
      PipelineExecutorConfig c;
      c.scratch_dir = state_ / "scratch";
      return c;
    }
  };

  static inline std::unique_ptr<testing::PostgresServer> pg_;
  static inline std::unique_ptr<testing::NatsServer> nats_;
  static inline std::unique_ptr<service::Host> access_control_;
  static inline std::unique_ptr<service::Host> provisioning_;
  static inline std::unique_ptr<service::Host> backup_;
  static inline fs::path state_;
  static inline std::string admin_password_;
  static inline std::string admin_;
  static inline std::string backup_db_url_;
  static inline std::string tenant_;
  static inline std::string instance_;
  static inline http::Client client_{[] {
    http::ClientConfig config;
    config.max_attempts = 1;
    config.breaker.failure_threshold = 1'000'000;
    return config;
  }()};
};

// Property 10: Automated Backup Coverage (the default schedule comes from the created event).
TEST_F(BackupApi, ANewInstanceGetsTheDailyScheduleFromItsCreatedEvent) {
  EnsureInstance();
  const auto schedule = WaitFor(
      [&] { return Call(Method::kGet, "/v1/instances/" + instance_ + "/backup-schedule").Json(); },
      [](const json& s) { return s.contains("cron"); }, 30s, "the default schedule");
  EXPECT_EQ(schedule["cron"], DefaultCron(instance_));
  EXPECT_EQ(schedule["time_zone"], "UTC");
  EXPECT_EQ(schedule["retention_days"], 7);
  EXPECT_EQ(schedule["type"], "full");  // PostgreSQL: physical, the base of PITR
  EXPECT_EQ(schedule["enabled"], true);
  const auto next = ParseRfc3339(schedule["next_run_at"].get<std::string>());
  ASSERT_TRUE(next.has_value());
  EXPECT_GT(*next, SystemClock::Instance().Now());
  EXPECT_LE(*next, SystemClock::Instance().Now() + 24h);
}

TEST_F(BackupApi, ABackupOnRequestIsAvailableVerifiedAndHoldsTheData) {
  EnsureInstance();
  const std::map<std::string, std::string> key{{"Idempotency-Key", "first-" + instance_}};
  auto r = Call(Method::kPost, "/v1/instances/" + instance_ + "/backups", json{{"type", "logical"}},
                admin_, key);
  ASSERT_EQ(r.status, 202) << r.body;
  const auto body = r.Json();
  EXPECT_TRUE(body["operation"]["id"].get<std::string>().starts_with("opb_"));
  EXPECT_EQ(body["backup"]["status"], "pending");
  EXPECT_EQ(body["backup"]["trigger"], "manual");
  // The same key and request answer the same operation; a different request is refused.
  auto again = Call(Method::kPost, "/v1/instances/" + instance_ + "/backups",
                    json{{"type", "logical"}}, admin_, key);
  ASSERT_EQ(again.status, 202) << again.body;
  EXPECT_EQ(again.Json()["operation"]["id"], body["operation"]["id"]);
  auto reused = Call(Method::kPost, "/v1/instances/" + instance_ + "/backups",
                     json{{"type", "logical"}, {"retention_days", 3}}, admin_, key);
  EXPECT_EQ(reused.status, 400) << reused.body;

  const auto op = WaitBackupOperation(body["operation"]["id"]);
  ASSERT_EQ(op["status"], "succeeded") << op;
  EXPECT_EQ(op["progress"], 100);
  auto got = Call(Method::kGet, "/v1/backups/" + body["backup"]["id"].get<std::string>());
  ASSERT_EQ(got.status, 200) << got.body;
  const auto backup = got.Json();
  EXPECT_EQ(backup["status"], "available");
  EXPECT_GT(backup["size_bytes"].get<std::int64_t>(), 0);
  EXPECT_EQ(backup["checksum"].get<std::string>().size(), 64U);
  EXPECT_FALSE(backup["verified_at"].is_null());
  EXPECT_TRUE(backup["engine_version"].get<std::string>().starts_with("15"));
  const auto finished = *ParseRfc3339(backup["finished_at"].get<std::string>());
  EXPECT_EQ(*ParseRfc3339(backup["expires_at"].get<std::string>()),
            finished + std::chrono::days(7));
  // What is stored is what the checksum says; it is encrypted (Property 14: the user's row is
  // nowhere in the stored bytes) and decrypts to a dump holding that row.
  const auto file = StoredFile(backup);
  ASSERT_TRUE(fs::exists(file)) << file;
  EXPECT_EQ(crypto::Sha256Hex(FileText(file)), backup["checksum"]);
  EXPECT_EQ(FileText(file).find("kumquat-42"), std::string::npos);
  EXPECT_EQ(backup["encrypted"], true);
  Stored stored;
  StringSink plain;
  ReadBackup(stored.store, backup["storage_location"].get<std::string>(), stored.keys, plain);
  EXPECT_NE(plain.Data().find("kumquat-42"), std::string::npos);
  EXPECT_EQ(OutboxEvents("dbaas.backup.backup.completed", backup["id"]), 1);

  auto listed =
      Call(Method::kGet, "/v1/instances/" + instance_ + "/backups?status=available&type=logical");
  ASSERT_EQ(listed.status, 200) << listed.body;
  bool found = false;
  const auto items = listed.Json()["backups"];
  for (const auto& b : items) found = found || b["id"] == backup["id"];
  EXPECT_TRUE(found) << listed.body;
  auto none = Call(Method::kGet, "/v1/instances/" + instance_ + "/backups?status=failed");
  EXPECT_TRUE(none.Json()["backups"].empty()) << none.body;
}

// Property 15: Backup Integrity Verification (a stored backup that changed no longer verifies).
TEST_F(BackupApi, AStoredBackupThatChangedFailsVerification) {
  EnsureInstance();
  const auto backup = TakeBackup();
  ASSERT_EQ(backup["status"], "available");
  Stored stored;
  auto& executor = stored.executor;
  BackupRecord record;
  record.id = backup["id"];
  record.storage_key = backup["storage_location"].get<std::string>();
  record.checksum = backup["checksum"].get<std::string>();
  record.stored_bytes = backup["stored_bytes"].get<std::int64_t>();
  EXPECT_NO_THROW(executor.Verify(record));
  {
    std::fstream f(StoredFile(backup), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(StoredFile(backup)) / 2));
    f.put('#');
  }
  EXPECT_THROW(executor.Verify(record), Error);
}

// Property 10: the schedule fires; a run missed while the service was down happens once.
TEST_F(BackupApi, ADueScheduleTakesOneScheduledBackupHoweverManySlotsWereMissed) {
  EnsureInstance();
  WaitFor(
      [&] { return Call(Method::kGet, "/v1/instances/" + instance_ + "/backup-schedule").Json(); },
      [](const json& s) { return s.contains("cron"); }, 30s, "the default schedule");
  store::Pool pool({backup_db_url_});
  PgBackupRepository repository(pool);
  const auto schedule = *repository.FindSchedule(instance_);
  // Three days and a bit after the next slot: three slots passed while "down".
  const auto later = *schedule.next_run_at + std::chrono::days(3) + 1h;
  EXPECT_EQ(RunScheduler(repository, later), 1);
  EXPECT_EQ(RunScheduler(repository, later + 1min), 0);
  const auto advanced = *repository.FindSchedule(instance_);
  EXPECT_GT(*advanced.next_run_at, later);
  EXPECT_EQ(advanced.last_run_at, std::chrono::time_point_cast<std::chrono::milliseconds>(later));

  // The service's runner takes it like any other.
  const auto page =
      WaitFor([&] { return Call(Method::kGet, "/v1/instances/" + instance_ + "/backups").Json(); },
              [](const json& p) {
                for (const auto& b : p["backups"]) {
                  if (b["trigger"] == "scheduled" && b["status"] == "available") return true;
                }
                return false;
              },
              180s, "the scheduled backup");
  int scheduled = 0;
  for (const auto& b : page["backups"]) scheduled += b["trigger"] == "scheduled" ? 1 : 0;
  EXPECT_EQ(scheduled, 1);
}

// Property 12: Backup Retention Compliance.
TEST_F(BackupApi, RetentionDeletesExactlyTheExpiredBackupAndItsFile) {
  EnsureInstance();
  const auto short_lived = TakeBackup(json{{"retention_days", 1}});
  const auto kept = TakeBackup(json{{"retention_days", 30}});
  ASSERT_EQ(short_lived["status"], "available");
  ASSERT_EQ(kept["status"], "available");
  store::Pool pool({backup_db_url_});
  PgBackupRepository repository(pool);
  Stored stored;
  const auto result =
      RunRetention(repository, stored.executor, SystemClock::Instance().Now() + std::chrono::days(2));
  // Other tests' 7-day backups are not due either.
  EXPECT_EQ(result.deleted_backups, std::vector<std::string>{short_lived["id"]});
  EXPECT_FALSE(fs::exists(StoredFile(short_lived)));
  EXPECT_EQ(Call(Method::kGet, "/v1/backups/" + short_lived["id"].get<std::string>()).status, 404);
  EXPECT_EQ(OutboxEvents("dbaas.backup.backup.expired", short_lived["id"]), 1);
  EXPECT_EQ(OutboxEvents("dbaas.backup.backup.expired", kept["id"]), 0);
  EXPECT_TRUE(fs::exists(StoredFile(kept)));
  EXPECT_EQ(Call(Method::kGet, "/v1/backups/" + kept["id"].get<std::string>()).Json()["status"],
            "available");
}

TEST_F(BackupApi, BadInputIsRefusedWithEveryProblem) {
  EnsureInstance();
  const auto path = "/v1/instances/" + instance_ + "/backups";
  auto bad = Call(Method::kPost, path, json{{"type", "incremental"}, {"retention_days", 0}});
  ASSERT_EQ(bad.status, 400) << bad.body;
  std::set<std::string> fields;
  const auto details = bad.Json()["error"]["details"];
  for (const auto& d : details) fields.insert(d["field"].get<std::string>());
  EXPECT_EQ(fields, (std::set<std::string>{"type", "retention_days"})) << bad.body;
  EXPECT_EQ(Call(Method::kPost, "/v1/instances/ins_unknown/backups", json::object()).status, 404);

  const auto schedule_path = "/v1/instances/" + instance_ + "/backup-schedule";
  WaitFor([&] { return Call(Method::kGet, schedule_path).Json(); },
          [](const json& s) { return s.contains("cron"); }, 30s, "the default schedule");
  auto schedule = Call(Method::kPut, schedule_path,
                       json{{"cron", "61 * * * *"}, {"time_zone", "Mars/Olympus_Mons"}});
  ASSERT_EQ(schedule.status, 400) << schedule.body;
  fields.clear();
  const auto schedule_details = schedule.Json()["error"]["details"];
  for (const auto& d : schedule_details) fields.insert(d["field"].get<std::string>());
  EXPECT_EQ(fields, (std::set<std::string>{"cron", "time_zone"})) << schedule.body;

  // A valid change with a stale ETag is refused; with the current one it applies.
  auto current = Call(Method::kGet, schedule_path);
  const auto etag = *current.Header("ETag");
  auto changed =
      Call(Method::kPut, schedule_path,
           json{{"cron", "15 2 * * *"}, {"time_zone", "Europe/Berlin"}, {"retention_days", 14}},
           admin_, {{"If-Match", etag}});
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(changed.Json()["time_zone"], "Europe/Berlin");
  auto stale =
      Call(Method::kPut, schedule_path, json{{"enabled", false}}, admin_, {{"If-Match", etag}});
  EXPECT_EQ(stale.status, 412) << stale.body;
}

TEST_F(BackupApi, AnotherTenantSeesNothingAndDeletesNothing) {
  EnsureInstance();
  const auto backup = TakeBackup();
  const auto token = OtherTenantAdmin();
  const auto id = backup["id"].get<std::string>();
  EXPECT_EQ(
      Call(Method::kGet, "/v1/instances/" + instance_ + "/backups", std::nullopt, token).status,
      404);
  EXPECT_EQ(
      Call(Method::kPost, "/v1/instances/" + instance_ + "/backups", json::object(), token).status,
      404);
  EXPECT_EQ(Call(Method::kGet, "/v1/backups/" + id, std::nullopt, token).status, 404);
  EXPECT_EQ(Call(Method::kDelete, "/v1/backups/" + id, std::nullopt, token).status, 404);
  EXPECT_EQ(
      Call(Method::kGet, "/v1/instances/" + instance_ + "/backup-schedule", std::nullopt, token)
          .status,
      404);
  EXPECT_TRUE(fs::exists(StoredFile(backup)));
  EXPECT_EQ(Call(Method::kGet, "/v1/instances/" + instance_ + "/backups", std::nullopt, "").status,
            401);

  // Its owner can delete it; the stored object goes with it.
  auto removed = Call(Method::kDelete, "/v1/backups/" + id);
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_FALSE(fs::exists(StoredFile(backup)));
  EXPECT_EQ(Call(Method::kGet, "/v1/backups/" + id).status, 404);
  EXPECT_EQ(OutboxEvents("dbaas.backup.backup.deleted", id), 1);
}

TEST_F(BackupApi, AMySqlBackupHoldsTheUsersDatabase) {
  const auto tenant = Tenant();
  const auto id = RunningInstance(tenant, "ledger", "mysql");
  ASSERT_FALSE(id.empty());
  auto db =
      Prov(Method::kPost, "/v1/instances/" + id + "/databases", json{{"name", "ledger_2026"}});
  ASSERT_LT(db.status, 300) << db.body;
  WaitFor([&] { return Call(Method::kGet, "/v1/instances/" + id + "/backup-schedule").Json(); },
          [](const json& s) { return s.contains("cron"); }, 30s, "the default schedule");
  auto r = Call(Method::kPost, "/v1/instances/" + id + "/backups", json{{"type", "logical"}});
  ASSERT_EQ(r.status, 202) << r.body;
  const auto op = WaitBackupOperation(r.Json()["operation"]["id"]);
  ASSERT_EQ(op["status"], "succeeded") << op;
  const auto backup =
      Call(Method::kGet, "/v1/backups/" + r.Json()["backup"]["id"].get<std::string>()).Json();
  EXPECT_EQ(backup["status"], "available");
  EXPECT_EQ(backup["engine"], "mysql");
  EXPECT_TRUE(backup["engine_version"].get<std::string>().starts_with("10.11")) << backup;
  EXPECT_EQ(crypto::Sha256Hex(FileText(StoredFile(backup))), backup["checksum"]);
  Stored stored;
  StringSink text;
  ReadBackup(stored.store, backup["storage_location"].get<std::string>(), stored.keys, text);
  EXPECT_NE(text.Data().find("`ledger_2026`"), std::string::npos);
  // A physical MySQL backup needs the data directory: refused up front, with what to do.
  auto full = Call(Method::kPost, "/v1/instances/" + id + "/backups", json{{"type", "full"}});
  EXPECT_EQ(full.status, 409) << full.body;
  EXPECT_NE(full.body.find("logical"), std::string::npos) << full.body;
}

TEST_F(BackupApi, AStoppedInstanceIsNotBackedUpAndADeletedOneIsGone) {
  const auto tenant = Tenant();
  const auto id = RunningInstance(tenant, "brief", "postgresql");
  ASSERT_FALSE(id.empty());
  WaitFor([&] { return Call(Method::kGet, "/v1/instances/" + id + "/backup-schedule").Json(); },
          [](const json& s) { return s.contains("cron"); }, 30s, "the default schedule");
  auto stop = Prov(Method::kPost, "/v1/instances/" + id + "/stop");
  ASSERT_EQ(stop.status, 202) << stop.body;
  ASSERT_EQ(WaitProvisioning(stop.Json()["operation"]["id"])["status"], "succeeded");
  const auto refused = WaitFor(
      [&] {
        auto r = Call(Method::kPost, "/v1/instances/" + id + "/backups", json::object());
        return json{{"status", r.status}, {"body", r.body}};
      },
      [](const json& r) {
        return r["status"] == 409 &&
               r["body"].get<std::string>().find("is stopped") != std::string::npos;
      },
      30s, "the refusal of a stopped instance");
  EXPECT_NE(refused["body"].get<std::string>().find("not running"), std::string::npos);

  auto removed = Prov(Method::kDelete, "/v1/instances/" + id);
  ASSERT_EQ(removed.status, 202) << removed.body;
  ASSERT_EQ(WaitProvisioning(removed.Json()["operation"]["id"])["status"], "succeeded");
  WaitFor(
      [&] {
        return json{
            {"status",
             Call(Method::kPost, "/v1/instances/" + id + "/backups", json::object()).status}};
      },
      [](const json& r) { return r["status"] == 404; }, 30s, "the refusal of a deleted instance");
  EXPECT_EQ(Call(Method::kGet, "/v1/instances/" + id + "/backup-schedule").status, 404);
  // Its backups (none here) stay listable until they expire.
  EXPECT_EQ(Call(Method::kGet, "/v1/instances/" + id + "/backups").status, 200);
}

}  // namespace
}  // namespace dbaas::backup
