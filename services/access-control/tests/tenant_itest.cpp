#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "ac_fixture.hpp"
#include "app.hpp"
#include "dbaas/common/crypto.hpp"
#include "dbaas/events/consumer.hpp"
#include "dbaas/events/jetstream.hpp"
#include "dbaas/events/v1/tenant.pb.h"
#include "dbaas/http/client.hpp"
#include "dbaas/store/store.hpp"
#include "dbaas/testing/servers.hpp"

namespace dbaas::access_control {
namespace {

using nlohmann::json;

// One PostgreSQL, one NATS and one service for the whole suite; each test uses its own names.
// Calls are made as the bootstrap platform administrator unless a test says otherwise.
class TenantApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ac_ = std::make_unique<test::AcService>(
        std::map<std::string, std::string>{{"DBAAS_ADMIN_PASSWORD", "tenant-itest-admin-pw"}});
  }

  static void TearDownTestSuite() { ac_.reset(); }

  static http::ClientResponse Call(http::Method method, const std::string& target,
                                   const std::optional<json>& body = std::nullopt,
                                   http::Headers headers = {}) {
    return ac_->Call(method, target, body, ac_->AdminToken(), std::move(headers));
  }

  static std::string UniqueName(const std::string& base) {
    static int counter = 0;
    return base + "-" + std::to_string(++counter);
  }

  static void ExpectStandardError(const http::ClientResponse& resp, int status,
                                  const std::string& code) {
    EXPECT_EQ(resp.status, status) << resp.body;
    const auto body = resp.Json();
    ASSERT_TRUE(body.contains("error")) << resp.body;
    EXPECT_EQ(body["error"]["code"], code) << resp.body;
    EXPECT_TRUE(body["error"]["message"].is_string());
    EXPECT_TRUE(body["error"]["details"].is_array());
    EXPECT_TRUE(body["error"]["suggestions"].is_array());
    EXPECT_TRUE(body["request_id"].is_string());
    EXPECT_TRUE(body["timestamp"].is_string());
  }

  static inline std::unique_ptr<test::AcService> ac_;
  static inline http::Client client_{http::ClientConfig{}};
};

TEST_F(TenantApi, CreateGetAndDefaults) {
  const auto name = UniqueName("acme");
  auto created = Call(http::Method::kPost, "/v1/tenants", json{{"name", name}});
  ASSERT_EQ(created.status, 201) << created.body;
  const auto tenant = created.Json();
  EXPECT_TRUE(TenantId::Parse(tenant["id"].get<std::string>()).has_value());
  EXPECT_EQ(tenant["name"], name);
  EXPECT_EQ(tenant["display_name"], name);
  EXPECT_EQ(tenant["active"], true);
  EXPECT_EQ(tenant["limits"]["max_instances"], 10);
  EXPECT_EQ(created.Header("Location"), "/v1/tenants/" + tenant["id"].get<std::string>());
  EXPECT_EQ(created.Header("ETag"), "\"1\"");

  auto fetched = Call(http::Method::kGet, "/v1/tenants/" + tenant["id"].get<std::string>());
  ASSERT_EQ(fetched.status, 200);
  EXPECT_EQ(fetched.Json(), tenant);
}

TEST_F(TenantApi, DuplicateNameIsAlreadyExists) {
  const auto name = UniqueName("dup");
  ASSERT_EQ(Call(http::Method::kPost, "/v1/tenants", json{{"name", name}}).status, 201);
  auto again = Call(http::Method::kPost, "/v1/tenants", json{{"name", name}});
  ExpectStandardError(again, 409, "ALREADY_EXISTS");
  EXPECT_EQ(again.Json()["error"]["details"][0]["field"], "name");
}

TEST_F(TenantApi, InvalidBodiesListEveryProblemAndCreateNothing) {
  auto before = Call(http::Method::kGet, "/v1/tenants?page_size=100").Json()["tenants"].size();
  auto resp = Call(http::Method::kPost, "/v1/tenants",
                   json{{"name", "X'; DROP TABLE tenants;--"},
                        {"limits", {{"max_instances", -5}, {"max_storage_gb", "lots"}}}});
  ExpectStandardError(resp, 400, "INVALID_ARGUMENT");
  std::set<std::string> fields;
  const auto error_body = resp.Json();
  for (const auto& d : error_body["error"]["details"]) fields.insert(d["field"]);
  EXPECT_EQ(fields, (std::set<std::string>{"name", "limits.max_instances", "limits.max_storage_gb"}));

  http::ClientRequest raw;
  raw.method = http::Method::kPost;
  raw.host = "127.0.0.1";
  raw.port = ac_->Port();
  raw.target = "/v1/tenants";
  raw.headers.Set("Authorization", "Bearer " + ac_->AdminToken());
  raw.body = "{not json";
  raw.headers.Set("Content-Type", "application/json");
  ExpectStandardError(client_.Send(raw), 400, "INVALID_ARGUMENT");
  raw.headers.Set("Content-Type", "text/plain");
  ExpectStandardError(client_.Send(raw), 415, "UNSUPPORTED_MEDIA_TYPE");

  auto after = Call(http::Method::kGet, "/v1/tenants?page_size=100").Json()["tenants"].size();
  EXPECT_EQ(before, after);
}

TEST_F(TenantApi, UnknownAndMalformedIdsAreNotFound) {
  ExpectStandardError(Call(http::Method::kGet, "/v1/tenants/" + TenantId::Generate().str()), 404,
                      "NOT_FOUND");
  ExpectStandardError(Call(http::Method::kGet, "/v1/tenants/not-an-id"), 404, "NOT_FOUND");
  ExpectStandardError(Call(http::Method::kDelete, "/v1/tenants/" + TenantId::Generate().str()),
                      404, "NOT_FOUND");
}

TEST_F(TenantApi, ListPaginatesWithoutGapsOrDuplicates) {
  std::set<std::string> created;
  for (int i = 0; i < 5; ++i) {
    auto r = Call(http::Method::kPost, "/v1/tenants", json{{"name", UniqueName("page")}});
    ASSERT_EQ(r.status, 201);
    created.insert(r.Json()["id"].get<std::string>());
  }
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  std::string previous_id;
  do {
    auto r = Call(http::Method::kGet, "/v1/tenants?page_size=2&page_token=" + token);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto body = r.Json();
    EXPECT_LE(body["tenants"].size(), 2U);
    for (const auto& t : body["tenants"]) {
      const auto id = t["id"].get<std::string>();
      EXPECT_GT(id, previous_id) << "pages must be ordered";
      previous_id = id;
      EXPECT_TRUE(seen.insert(id).second) << "duplicate " << id;
    }
    token = body["next_page_token"];
    ++pages;
  } while (!token.empty() && pages < 100);
  for (const auto& id : created) EXPECT_TRUE(seen.count(id)) << id;

  ExpectStandardError(Call(http::Method::kGet, "/v1/tenants?page_token=garbage"), 400,
                      "INVALID_ARGUMENT");
  ExpectStandardError(Call(http::Method::kGet, "/v1/tenants?page_size=0"), 400,
                      "INVALID_ARGUMENT");
}

TEST_F(TenantApi, PatchHonoursIfMatch) {
  auto created = Call(http::Method::kPost, "/v1/tenants", json{{"name", UniqueName("patch")}});
  const auto id = created.Json()["id"].get<std::string>();
  http::Headers stale;
  stale.Set("If-Match", "\"7\"");
  ExpectStandardError(Call(http::Method::kPatch, "/v1/tenants/" + id,
                           json{{"limits", {{"max_instances", 2}}}}, stale),
                      412, "ABORTED");
  http::Headers current;
  current.Set("If-Match", *created.Header("ETag"));
  auto updated = Call(http::Method::kPatch, "/v1/tenants/" + id,
                      json{{"limits", {{"max_instances", 2}}}, {"active", false}}, current);
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.Json()["limits"]["max_instances"], 2);
  EXPECT_EQ(updated.Json()["active"], false);
  EXPECT_EQ(updated.Header("ETag"), "\"2\"");
  ExpectStandardError(Call(http::Method::kPatch, "/v1/tenants/" + id, json::object()), 400,
                      "INVALID_ARGUMENT");
  ExpectStandardError(Call(http::Method::kPatch, "/v1/tenants/" + id, json{{"name", "renamed"}}),
                      400, "INVALID_ARGUMENT");
  auto inactive = Call(http::Method::kGet, "/v1/tenants?active=false&page_size=100").Json();
  bool found = false;
  for (const auto& t : inactive["tenants"]) found = found || t["id"] == id;
  EXPECT_TRUE(found);
}

TEST_F(TenantApi, IdempotencyKeyReplaysTheFirstCreate) {
  const auto name = UniqueName("idem");
  http::Headers headers;
  headers.Set("Idempotency-Key", "key-" + name);
  auto first = Call(http::Method::kPost, "/v1/tenants", json{{"name", name}}, headers);
  ASSERT_EQ(first.status, 201) << first.body;
  auto second = Call(http::Method::kPost, "/v1/tenants", json{{"name", name}}, headers);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.Json()["id"], first.Json()["id"]);
  EXPECT_EQ(second.Header("Idempotent-Replayed"), "true");
  auto different =
      Call(http::Method::kPost, "/v1/tenants", json{{"name", name + "-other"}}, headers);
  ExpectStandardError(different, 400, "INVALID_ARGUMENT");
}

TEST_F(TenantApi, EveryCommittedChangeIsPublishedOnceAndRejectedOnesNever) {
  const auto name = UniqueName("events");
  auto created = Call(http::Method::kPost, "/v1/tenants", json{{"name", name}});
  ASSERT_EQ(created.status, 201);
  const auto id = created.Json()["id"].get<std::string>();
  // A rejected duplicate must not publish anything.
  ASSERT_EQ(Call(http::Method::kPost, "/v1/tenants", json{{"name", name}}).status, 409);
  ASSERT_EQ(Call(http::Method::kPatch, "/v1/tenants/" + id, json{{"display_name", "Events Inc"}})
                .status,
            200);
  ASSERT_EQ(Call(http::Method::kDelete, "/v1/tenants/" + id).status, 204);
  ExpectStandardError(Call(http::Method::kGet, "/v1/tenants/" + id), 404, "NOT_FOUND");

  store::PoolConfig pool_config;
  pool_config.dsn = ac_->DbUrl();
  pool_config.size = 2;
  store::Pool pool(pool_config);
  events::NatsConfig nats_config;
  nats_config.url = ac_->Nats().Url();
  nats_config.name = "itest";
  events::JetStream js(nats_config);
  std::mutex mu;
  std::vector<events::Event> seen;
  events::ConsumerConfig consumer_config;
  consumer_config.durable = "itest-" + name;
  consumer_config.filter_subject = "dbaas.access-control.tenant.*";
  events::Consumer consumer(
      pool, js, consumer_config,
      [&](const events::Event& e, store::Tx&) {
        if (e.tenant_id != id) return;
        std::lock_guard lock(mu);
        seen.push_back(e);
      });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    consumer.RunOnce(std::chrono::milliseconds(500));
    std::lock_guard lock(mu);
    if (seen.size() >= 3) break;
  }
  consumer.RunOnce(std::chrono::milliseconds(500));  // anything extra would show up here
  ASSERT_EQ(seen.size(), 3U);
  EXPECT_EQ(seen[0].subject, "dbaas.access-control.tenant.created");
  EXPECT_EQ(seen[1].subject, "dbaas.access-control.tenant.updated");
  EXPECT_EQ(seen[2].subject, "dbaas.access-control.tenant.deleted");
  EXPECT_EQ(seen[0].source, "access-control");
  events::v1::TenantCreated payload;
  ASSERT_TRUE(payload.ParseFromString(seen[0].payload));
  EXPECT_EQ(payload.name(), name);
  events::v1::TenantUpdated update;
  ASSERT_TRUE(update.ParseFromString(seen[1].payload));
  ASSERT_EQ(update.changed_fields_size(), 1);
  EXPECT_EQ(update.changed_fields(0), "display_name");
}

TEST_F(TenantApi, HealthAndMetricsEndpoints) {
  auto ready = Call(http::Method::kGet, "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.Json()["checks"]["database"], "ok");
  EXPECT_EQ(ready.Json()["checks"]["nats"], "ok");
  EXPECT_EQ(Call(http::Method::kGet, "/livez").status, 200);
  Call(http::Method::kGet, "/v1/tenants/" + TenantId::Generate().str());
  auto metrics = Call(http::Method::kGet, "/metrics");
  ASSERT_EQ(metrics.status, 200);
  // Requests are counted per route pattern, never per raw path (unbounded label values).
  EXPECT_NE(metrics.body.find("route=\"/v1/tenants/{id}\""), std::string::npos);
  EXPECT_EQ(metrics.body.find("route=\"/v1/tenants/ten_"), std::string::npos);
  EXPECT_NE(metrics.body.find("dbaas_db_pool_connections_open"), std::string::npos);
  EXPECT_NE(metrics.body.find("dbaas_events_outbox_pending"), std::string::npos);
}

TEST_F(TenantApi, EveryRouteNeedsCredentials) {
  for (auto [method, target] : std::vector<std::pair<http::Method, std::string>>{
           {http::Method::kGet, "/v1/tenants"},
           {http::Method::kPost, "/v1/tenants"},
           {http::Method::kGet, "/v1/tenants/" + TenantId::Generate().str()},
           {http::Method::kPatch, "/v1/tenants/" + TenantId::Generate().str()},
           {http::Method::kDelete, "/v1/tenants/" + TenantId::Generate().str()}}) {
    auto resp = ac_->Call(method, target, json{{"name", "nope"}});
    ExpectStandardError(resp, 401, "UNAUTHENTICATED");
    ExpectStandardError(ac_->Call(method, target, json{{"name", "nope"}}, "not-a-token"), 401,
                        "UNAUTHENTICATED");
  }
}

TEST_F(TenantApi, TenantUsersSeeOnlyTheirOwnTenantAndChangeNothing) {
  const auto mine = ac_->CreateTenant(UniqueName("mine"));
  const auto other = ac_->CreateTenant(UniqueName("other"));
  const auto email = UniqueName("t-admin") + "@example.com";
  ac_->CreateUser(email, "tenant-admin-password", mine, {"tenant-admin"});
  const auto token = ac_->Login(email, "tenant-admin-password");

  auto own = ac_->Call(http::Method::kGet, "/v1/tenants/" + mine, std::nullopt, token);
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(own.Json()["id"], mine);
  ExpectStandardError(ac_->Call(http::Method::kGet, "/v1/tenants/" + other, std::nullopt, token),
                      404, "NOT_FOUND");
  auto list = ac_->Call(http::Method::kGet, "/v1/tenants?page_size=100", std::nullopt, token);
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.Json()["tenants"].size(), 1U);
  EXPECT_EQ(list.Json()["tenants"][0]["id"], mine);

  // Only platform admins create, change and delete tenants.
  ExpectStandardError(
      ac_->Call(http::Method::kPost, "/v1/tenants", json{{"name", UniqueName("x")}}, token), 403,
      "PERMISSION_DENIED");
  ExpectStandardError(ac_->Call(http::Method::kPatch, "/v1/tenants/" + mine,
                                json{{"display_name", "Mine"}}, token),
                      403, "PERMISSION_DENIED");
  ExpectStandardError(ac_->Call(http::Method::kDelete, "/v1/tenants/" + other, std::nullopt, token),
                      404, "NOT_FOUND");
}

}  // namespace
}  // namespace dbaas::access_control
