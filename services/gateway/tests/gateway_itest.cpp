// The gateway in front of the REAL access-control service, both in-process on the service
// host, against throwaway PostgreSQL and NATS servers.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "app.hpp"
#include "access_control_host.hpp"
#include "dbaas/auth/key.hpp"
#include "dbaas/common/crypto.hpp"
#include "dbaas/http/client.hpp"
#include "dbaas/http/server.hpp"
#include "dbaas/metrics/registry.hpp"
#include "dbaas/testing/servers.hpp"
#include "openapi_document.hpp"

namespace dbaas::gateway {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

ConfigReader::Lookup LookupIn(std::map<std::string, std::string> env) {
  return [env = std::move(env)](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

// A loopback port nothing listens on: bound once by the kernel, then released.
std::uint16_t ClosedPort() {
  http::Router router;
  metrics::Registry registry;
  http::ServerConfig config;
  config.port = 0;
  http::Server server(config, std::move(router), registry);
  server.Listen();
  return server.Port();
}

class GatewayIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pg_ = std::make_unique<testing::PostgresServer>();
    nats_ = std::make_unique<testing::NatsServer>();
    state_dir_ = std::filesystem::temp_directory_path() / ("dbaas-gw-" + crypto::RandomToken(6));
    admin_password_ = "Admin-" + crypto::RandomToken(12);
    std::map<std::string, std::string> common{
        {"DBAAS_NATS_URL", nats_->Url()},
        {"DBAAS_HTTP_PORT", "0"},
        {"DBAAS_HTTP_ACCESS_LOG", "false"},
        {"DBAAS_STATE_DIR", state_dir_.string()},
        {"DBAAS_MASTER_KEY_FILE", (state_dir_ / "secrets" / "master.key").string()},
        {"DBAAS_LOG_LEVEL", "warn"}};
    access_control_ = access_control::test::StartAccessControl(*pg_, common, admin_password_);

    auto gw_env = common;
    gw_env["DBAAS_DATABASE_URL"] = pg_->CreateDatabase("gateway");
    gw_env["DBAAS_UPSTREAM_ACCESS_CONTROL"] =
        "http://127.0.0.1:" + std::to_string(access_control_->Port());
    gw_env["DBAAS_UPSTREAM_PROVISIONING"] = "http://127.0.0.1:" + std::to_string(ClosedPort());
    gw_env["DBAAS_IDENTITY_CACHE_TTL"] = "2s";
    gw_env["DBAAS_RATE_LIMIT_READS"] = "1200/60:30";
    gw_env["DBAAS_RATE_LIMIT_AUTH"] = "1000/60:100";
    gateway_ = std::make_unique<service::Host>(Definition(), LookupIn(gw_env));
    gateway_->Start();
    gateway_->RunInBackground();
  }

  static void TearDownTestSuite() {
    gateway_.reset();
    access_control_.reset();
    nats_.reset();
    pg_.reset();
    std::filesystem::remove_all(state_dir_);
  }

  static http::ClientResponse Call(http::Method method, const std::string& target,
                                   const std::optional<json>& body = std::nullopt,
                                   http::Headers headers = {}) {
    http::ClientRequest req;
    req.method = method;
    req.host = "127.0.0.1";
    req.port = gateway_->Port();
    req.target = target;
    req.headers = std::move(headers);
    if (body) req.JsonBody(*body);
    return client_.Send(std::move(req));
  }

  static http::Headers Bearer(const std::string& token) {
    http::Headers headers;
    headers.Set("Authorization", "Bearer " + token);
    return headers;
  }

  static std::string Login(const std::string& username, const std::string& password) {
    const auto r = Call(http::Method::kPost, "/v1/auth/token",
                        json{{"username", username}, {"password", password}});
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return {};
    return r.Json()["access_token"].get<std::string>();
  }

  static std::string AdminToken() { return Login("admin", admin_password_); }

  static void ExpectError(const http::ClientResponse& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    const auto body = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r.body;
    EXPECT_EQ(body["error"]["code"], code) << r.body;
    EXPECT_TRUE(body["error"]["details"].is_array());
    EXPECT_TRUE(body["error"]["suggestions"].is_array());
    EXPECT_TRUE(body["request_id"].is_string());
    EXPECT_TRUE(body["timestamp"].is_string());
    EXPECT_TRUE(r.Header("RateLimit-Policy").has_value());
    EXPECT_TRUE(r.Header("RateLimit").has_value());
  }

  // A tenant and a user in it holding `role`; returns {user id, email, password}.
  static std::tuple<std::string, std::string, std::string> CreateUser(const std::string& admin,
                                                                      const std::string& role) {
    static int counter = 0;
    const auto suffix = std::to_string(++counter) + "-" + crypto::HexEncode(crypto::RandomBytes(3));
    auto tenant =
        Call(http::Method::kPost, "/v1/tenants", json{{"name", "gw-t" + suffix}}, Bearer(admin));
    EXPECT_EQ(tenant.status, 201) << tenant.body;
    const auto tenant_id = tenant.Json()["id"].get<std::string>();
    const std::string email = "user" + suffix + "@example.com";
    const std::string password = "Correct-Horse-" + crypto::RandomToken(10) + "-9!";
    auto user = Call(http::Method::kPost, "/v1/users",
                     json{{"email", email},
                          {"password", password},
                          {"tenant_id", tenant_id},
                          {"roles", json::array({role})}},
                     Bearer(admin));
    EXPECT_EQ(user.status, 201) << user.body;
    return {user.Json().value("id", std::string()), email, password};
  }

  // The audit entries recorded for `request_id`, read on access-control directly (neither
  // throttled nor audited itself); waits up to 20 s until there are `count`, then a little
  // longer so that a duplicate would show.
  static json AuditEntriesOf(const std::string& request_id, const std::string& admin,
                             std::size_t count) {
    json entries = json::array();
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    bool settled = false;
    while (std::chrono::steady_clock::now() < deadline) {
      http::ClientRequest req;
      req.host = "127.0.0.1";
      req.port = access_control_->Port();
      req.target = "/v1/audit-events?request_id=" + request_id;
      req.headers = Bearer(admin);
      const auto r = client_.Send(std::move(req));
      if (r.status != 200) {
        ADD_FAILURE() << r.status << " " << r.body;
        return entries;
      }
      entries = r.Json()["audit_events"];
      if (entries.size() >= count) {
        if (settled) return entries;
        settled = true;
        std::this_thread::sleep_for(150ms);
        continue;
      }
      std::this_thread::sleep_for(50ms);
    }
    return entries;
  }

  // The subject ("sub") of a JWT, read without verification (the test's own tokens).
  static std::string SubjectOf(const std::string& token) {
    const auto first = token.find('.');
    const auto second = token.find('.', first + 1);
    return json::parse(crypto::Base64UrlDecode(token.substr(first + 1, second - first - 1)))["sub"];
  }

  static inline std::unique_ptr<testing::PostgresServer> pg_;
  static inline std::unique_ptr<testing::NatsServer> nats_;
  static inline std::unique_ptr<service::Host> access_control_;
  static inline std::unique_ptr<service::Host> gateway_;
  static inline std::filesystem::path state_dir_;
  static inline std::string admin_password_;
  static inline http::Client client_{[] {
    http::ClientConfig config;
    config.max_attempts = 1;
    // The tests provoke 5xx on purpose; the test's own client must keep calling.
    config.breaker.failure_threshold = 1'000'000;
    return config;
  }()};
};

TEST_F(GatewayIntegration, LoginThroughTheGatewayAndCallWithTheToken) {
  const auto login = Call(http::Method::kPost, "/v1/auth/token",
                          json{{"username", "admin"}, {"password", admin_password_}});
  ASSERT_EQ(login.status, 200) << login.body;
  const auto body = login.Json();
  EXPECT_EQ(body["token_type"], "Bearer");
  EXPECT_TRUE(body["expires_in"].is_number_integer());
  EXPECT_TRUE(body["refresh_token"].is_string());
  const auto token = body["access_token"].get<std::string>();
  EXPECT_TRUE(login.Header("RateLimit-Policy").has_value());

  const auto tenants = Call(http::Method::kGet, "/v1/tenants", std::nullopt, Bearer(token));
  EXPECT_EQ(tenants.status, 200) << tenants.body;
  EXPECT_TRUE(tenants.Json()["tenants"].is_array());
  EXPECT_TRUE(tenants.Header("RateLimit").has_value());

  const auto anonymous = Call(http::Method::kGet, "/v1/tenants");
  ExpectError(anonymous, 401, "UNAUTHENTICATED");
  EXPECT_NE(anonymous.Header("WWW-Authenticate").value_or("").find("Bearer"), std::string::npos);

  const auto jwks = Call(http::Method::kGet, "/.well-known/jwks.json");
  ASSERT_EQ(jwks.status, 200) << jwks.body;
  EXPECT_FALSE(jwks.Json()["keys"].empty());
  ExpectError(Call(http::Method::kPost, "/v1/auth/introspect", json{{"token", token}}), 404,
              "NOT_FOUND");
}

TEST_F(GatewayIntegration, TamperedForgedAndUnsignedTokensAreUnauthenticated) {
  const auto token = AdminToken();
  ASSERT_FALSE(token.empty());
  const auto first_dot = token.find('.');
  const auto second_dot = token.find('.', first_dot + 1);
  auto tampered = token;
  tampered[second_dot + 3] = tampered[second_dot + 3] == 'A' ? 'B' : 'A';
  // Same header (kid) and payload, signed by a key access-control never published.
  const auto header = token.substr(0, first_dot);
  const auto payload = token.substr(first_dot + 1, second_dot - first_dot - 1);
  const auto forger = auth::SigningKey::GenerateEs256();
  const auto forged = header + "." + payload + "." +
                      crypto::Base64UrlEncode(forger.SignBytes(header + "." + payload));
  const std::string alg_none_header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";  // {"alg":"none"}
  const auto unsigned_token = alg_none_header + "." + payload + ".";
  for (const auto& bad :
       {tampered, forged, unsigned_token, std::string("a.b.c"), std::string("dbaas_notakey")}) {
    ExpectError(Call(http::Method::kGet, "/v1/tenants", std::nullopt, Bearer(bad)), 401,
                "UNAUTHENTICATED");
  }
  // Still fine with the genuine token.
  EXPECT_EQ(Call(http::Method::kGet, "/v1/tenants", std::nullopt, Bearer(token)).status, 200);
}

TEST_F(GatewayIntegration, ViewerCannotWriteAndPermissionChangesApplyWithinTheCacheTtl) {
  const auto admin = AdminToken();
  const auto [user_id, email, password] = CreateUser(admin, "developer");
  ASSERT_FALSE(user_id.empty());
  const auto token = Login(email, password);
  ASSERT_FALSE(token.empty());
  // A developer may create instances: the gateway forwards, provisioning is down (503).
  ExpectError(Call(http::Method::kPost, "/v1/instances", json{{"name", "db1"}}, Bearer(token)), 503,
              "UNAVAILABLE");
  EXPECT_EQ(Call(http::Method::kGet, "/v1/users", std::nullopt, Bearer(token)).status, 200);

  // Property 23: replace developer by viewer; the same token loses the write within the TTL.
  auto assign = Call(http::Method::kPost, "/v1/users/" + user_id + "/roles",
                     json{{"role", "viewer"}}, Bearer(admin));
  ASSERT_LT(assign.status, 300) << assign.body;
  auto remove = Call(http::Method::kDelete, "/v1/users/" + user_id + "/roles/developer",
                     std::nullopt, Bearer(admin));
  ASSERT_LT(remove.status, 300) << remove.body;
  const auto changed = std::chrono::steady_clock::now();
  int status = 0;
  while (std::chrono::steady_clock::now() - changed < 30s) {
    status =
        Call(http::Method::kPost, "/v1/instances", json{{"name", "db1"}}, Bearer(token)).status;
    if (status == 403) break;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(status, 403);
  EXPECT_LT(std::chrono::steady_clock::now() - changed, 2s + 1s) << "cache TTL is 2 s";
  ExpectError(Call(http::Method::kPost, "/v1/instances", json{{"name", "db1"}}, Bearer(token)), 403,
              "PERMISSION_DENIED");
  // Reads stay allowed for a viewer.
  EXPECT_EQ(Call(http::Method::kGet, "/v1/users", std::nullopt, Bearer(token)).status, 200);
}

TEST_F(GatewayIntegration, ApiKeysAuthenticateAndRevocationApplies) {
  const auto admin = AdminToken();
  const auto [user_id, email, password] = CreateUser(admin, "tenant-admin");
  const auto owner = Login(email, password);
  ASSERT_FALSE(owner.empty());
  const auto created = Call(http::Method::kPost, "/v1/api-keys",
                            json{{"name", "ci"}, {"roles", {"viewer"}}}, Bearer(owner));
  ASSERT_EQ(created.status, 201) << created.body;
  const auto key = created.Json()["key"].get<std::string>();
  const auto key_id = created.Json()["id"].get<std::string>();
  EXPECT_EQ(Call(http::Method::kGet, "/v1/users", std::nullopt, Bearer(key)).status, 200);
  ExpectError(Call(http::Method::kPost, "/v1/instances", json{{"name", "x"}}, Bearer(key)), 403,
              "PERMISSION_DENIED");
  const auto revoked =
      Call(http::Method::kDelete, "/v1/api-keys/" + key_id, std::nullopt, Bearer(owner));
  ASSERT_LT(revoked.status, 300) << revoked.body;
  const auto since = std::chrono::steady_clock::now();
  int status = 0;
  while (std::chrono::steady_clock::now() - since < 30s) {
    // Only the gateway decides this one (provisioning is down): its cache must let go.
    status = Call(http::Method::kPost, "/v1/instances", json{{"name", "x"}}, Bearer(key)).status;
    if (status == 401) break;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(status, 401) << "a revoked key stops working within the cache TTL";
  EXPECT_LT(std::chrono::steady_clock::now() - since, 3s);
}

TEST_F(GatewayIntegration, DeadAndMissingServicesAnswerUnavailableQuickly) {
  const auto admin = AdminToken();
  for (int i = 0; i < 8; ++i) {
    const auto start = std::chrono::steady_clock::now();
    ExpectError(Call(http::Method::kGet, "/v1/instances", std::nullopt, Bearer(admin)), 503,
                "UNAVAILABLE");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  }
  const auto backup = Call(http::Method::kGet, "/v1/backups", std::nullopt, Bearer(admin));
  ExpectError(backup, 503, "UNAVAILABLE");
  EXPECT_EQ(backup.Json()["error"]["message"], "service backup is not running");

  const auto ready = Call(http::Method::kGet, "/readyz");
  EXPECT_EQ(ready.status, 503) << ready.body;
  const auto checks = ready.Json()["checks"];
  EXPECT_EQ(checks["access-control"], "ok") << ready.body;
  EXPECT_NE(checks["provisioning"], "ok") << ready.body;
}

TEST_F(GatewayIntegration, AnonymousFloodIsRateLimitedWithHeaders) {
  // Anonymous callers share their address's bucket: burst 30, refilled at 20 per second
  // (DBAAS_RATE_LIMIT_READS=1200/60:30; other tests of this process may have spent some).
  // Whatever the machine's speed, no more than burst + refill can get through.
  int unauthenticated = 0;
  int limited = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) {
    const auto r = Call(http::Method::kGet, "/v1/tenants");
    EXPECT_TRUE(r.Header("RateLimit-Policy").has_value());
    EXPECT_TRUE(r.Header("RateLimit").has_value());
    if (r.status == 401) {
      ++unauthenticated;
    } else {
      ++limited;
      ExpectError(r, 429, "RESOURCE_EXHAUSTED");
      EXPECT_GE(std::stoi(r.Header("Retry-After").value_or("0")), 1);
    }
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double allowed = 30 + 20 * elapsed + 1;
  EXPECT_LE(unauthenticated, allowed) << "in " << elapsed << " s";
  if (allowed < 100) {
    EXPECT_GE(limited, 100 - static_cast<int>(allowed)) << elapsed << " s";
  }
  // An authenticated client has its own bucket.
  EXPECT_EQ(Call(http::Method::kGet, "/v1/tenants", std::nullopt, Bearer(AdminToken())).status,
            200);
}

TEST_F(GatewayIntegration, UnknownVersionsAndRoutesAreNotFound) {
  const auto admin = AdminToken();
  const auto v2 = Call(http::Method::kGet, "/v2/tenants", std::nullopt, Bearer(admin));
  ExpectError(v2, 404, "NOT_FOUND");
  EXPECT_EQ(v2.Json()["error"]["suggestions"][0], "use /v1/tenants");
  ExpectError(Call(http::Method::kGet, "/v1/tenants/a/b/c", std::nullopt, Bearer(admin)), 404,
              "NOT_FOUND");
  http::ClientRequest raw;
  raw.method = http::Method::kPost;
  raw.host = "127.0.0.1";
  raw.port = gateway_->Port();
  raw.target = "/v1/tenants";
  raw.body = "name=x";
  raw.headers = Bearer(admin);
  raw.headers.Set("Content-Type", "text/plain");
  ExpectError(client_.Send(raw), 415, "UNSUPPORTED_MEDIA_TYPE");
}

TEST_F(GatewayIntegration, RequestIdReachesTheService) {
  const auto admin = AdminToken();
  auto headers = Bearer(admin);
  headers.Set("X-Request-Id", "itest-request-4711");
  headers.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  // access-control writes the request id it received into its error body.
  const auto r = Call(http::Method::kGet, "/v1/tenants/ten_doesnotexist", std::nullopt, headers);
  ExpectError(r, 404, "NOT_FOUND");
  EXPECT_EQ(r.Json()["request_id"], "itest-request-4711");
  EXPECT_EQ(r.Header("X-Request-Id"), "itest-request-4711");
}

// Property 9: Comprehensive Audit Logging
// Any mutating call through the gateway, allowed or refused, by an admin, a viewer or nobody,
// leaves exactly one api.call entry naming who (actor, tenant), what (method, path, action),
// the outcome and the status that was answered, and where from (address, request id).
TEST_F(GatewayIntegration, EveryMutatingCallProducesOneAuditEntry) {
  const auto admin = AdminToken();
  ASSERT_FALSE(admin.empty());
  const auto admin_id = SubjectOf(admin);
  const auto [viewer_id, viewer_email, viewer_password] = CreateUser(admin, "viewer");
  const auto viewer = Login(viewer_email, viewer_password);
  ASSERT_FALSE(viewer.empty());
  struct Operation {
    http::Method method;
    std::string path;
    std::optional<json> body;
    std::string action;
  };
  EXPECT_TRUE(rc::check("a mutating call is audited once, with its details", [&] {
    const auto tag = crypto::HexEncode(crypto::RandomBytes(6));
    const std::vector<Operation> operations{
        {http::Method::kPost, "/v1/tenants", json{{"name", "p9-" + tag}}, "tenants:create"},
        {http::Method::kPost, "/v1/tenants", json{{"name", 42}}, "tenants:create"},
        {http::Method::kPatch, "/v1/tenants/ten_" + tag, json{{"display_name", "x"}},
         "tenants:update"},
        {http::Method::kDelete, "/v1/api-keys/key_" + tag, std::nullopt, "api-keys:delete"},
        {http::Method::kPost, "/v1/instances", json{{"name", "p9"}}, "instances:create"},
        {http::Method::kPost, "/v1/roles",
         json{{"name", "p9-" + tag},
              {"permissions", json::array({json{{"resource", "instances"},
                                                {"actions", json::array({"read"})}}})}},
         "roles:create"}};
    const Operation op = *rc::gen::elementOf(operations);
    const int who = *rc::gen::inRange(0, 3);  // admin, viewer, anonymous
    auto headers = who == 0 ? Bearer(admin) : who == 1 ? Bearer(viewer) : http::Headers{};
    const std::string request_id = "p9-" + tag;
    headers.Set("X-Request-Id", request_id);
    headers.Set("User-Agent", "property-9");
    const auto response = Call(op.method, op.path, op.body, headers);
    RC_TAG(response.status);

    const auto entries = AuditEntriesOf(request_id, admin, 1);
    RC_ASSERT(entries.size() == 1U);
    const auto& e = entries[0];
    RC_LOG() << e.dump() << "\n";
    RC_ASSERT(e["category"] == "api.call");
    RC_ASSERT(e["source"] == "gateway");
    RC_ASSERT(e["method"] == std::string(http::MethodName(op.method)));
    RC_ASSERT(e["resource"] == op.path);
    RC_ASSERT(e["action"] == op.action);
    RC_ASSERT(e["status"] == response.status);
    RC_ASSERT(e["source_address"] == "127.0.0.1");
    RC_ASSERT(e["user_agent"] == "property-9");
    if (who == 2) {
      RC_ASSERT(e["actor"]["type"] == "anonymous");
      RC_ASSERT(e["actor"]["id"].is_null());
    } else {
      RC_ASSERT(e["actor"]["type"] == "user");
      RC_ASSERT(e["actor"]["id"] == (who == 0 ? admin_id : viewer_id));
    }
    const std::string outcome = response.status < 400 ? "success"
                                : (response.status == 401 || response.status == 403 ||
                                   response.status == 429)
                                    ? "denied"
                                    : "failure";
    RC_ASSERT(e["outcome"] == outcome);
    RC_ASSERT(outcome == "success" || !e["reason"].is_null());
  }));
}

// Property 21: Unauthorized Access Handling
// Any unauthorized attempt (no credential, a forged or malformed one, a role without the
// permission) is refused, and the refusal is in the audit log with the complete details.
TEST_F(GatewayIntegration, EveryUnauthorizedAttemptIsDeniedAndAudited) {
  const auto admin = AdminToken();
  ASSERT_FALSE(admin.empty());
  const auto [viewer_id, viewer_email, viewer_password] = CreateUser(admin, "viewer");
  const auto viewer = Login(viewer_email, viewer_password);
  ASSERT_FALSE(viewer.empty());
  EXPECT_TRUE(rc::check("an unauthorized attempt is denied and audited", [&] {
    const auto tag = crypto::HexEncode(crypto::RandomBytes(6));
    const int credential = *rc::gen::inRange(0, 4);
    http::Headers headers;
    std::string expected_reason;
    if (credential == 0) {
      expected_reason = "missing_token";
    } else if (credential == 1) {
      headers = Bearer("garbage." + tag + ".token");
      expected_reason = "invalid_token";
    } else if (credential == 2) {
      auto tampered = viewer;
      tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
      headers = Bearer(tampered);
      expected_reason = "invalid_token";
    } else {
      headers = Bearer(viewer);  // a viewer writing
      expected_reason = "permission_denied";
    }
    const std::vector<std::tuple<http::Method, std::string, std::string>> attempts{
        {http::Method::kPost, "/v1/users", "users:create"},
        {http::Method::kDelete, "/v1/tenants/ten_" + tag, "tenants:delete"},
        {http::Method::kPost, "/v1/api-keys", "api-keys:create"},
        {http::Method::kPatch, "/v1/roles/r" + tag, "roles:update"}};
    const auto [method, path, action] = *rc::gen::elementOf(attempts);
    // Earlier tests spend the same clients' write quota: a throttled attempt is waited out and
    // made again under a new request id (the throttled one is audited too, as denied).
    std::string request_id;
    http::ClientResponse response;
    for (int attempt = 0; attempt < 6; ++attempt) {
      request_id = "p21-" + tag + "-" + std::to_string(attempt);
      headers.Set("X-Request-Id", request_id);
      response = Call(method, path,
                      method == http::Method::kDelete ? std::nullopt
                                                      : std::optional<json>(json::object()),
                      headers);
      if (response.status != 429) break;
      std::this_thread::sleep_for(std::chrono::seconds(
          std::max(1, std::stoi(response.Header("Retry-After").value_or("1")))));
    }
    RC_LOG() << response.status << " " << response.body << "\n";
    RC_ASSERT(response.status == (credential == 3 ? 403 : 401));

    const auto entries = AuditEntriesOf(request_id, admin, 1);
    RC_ASSERT(entries.size() == 1U);
    const auto& e = entries[0];
    RC_LOG() << e.dump() << "\n";
    RC_ASSERT(e["outcome"] == "denied");
    RC_ASSERT(e["reason"] == expected_reason);
    RC_ASSERT(e["status"] == response.status);
    RC_ASSERT(e["method"] == std::string(http::MethodName(method)));
    RC_ASSERT(e["resource"] == path);
    RC_ASSERT(e["action"] == action);
    RC_ASSERT(e["source_address"] == "127.0.0.1");
    RC_ASSERT(e["request_id"] == request_id);
    RC_ASSERT(e["time"].is_string());
    if (credential == 3) {
      RC_ASSERT(e["actor"]["id"] == viewer_id);
      RC_ASSERT(!e["tenant_id"].is_null());
    } else {
      RC_ASSERT(e["actor"]["type"] == "anonymous");
    }
  }));
}

// One documented operation of the OpenAPI document.
struct DocumentedOperation {
  http::Method method;
  std::string path;
  json operation;
};

std::vector<DocumentedOperation> DocumentedOperations() {
  const auto doc = json::parse(OpenApiDocument());
  std::vector<DocumentedOperation> out;
  const std::pair<const char*, http::Method> methods[] = {{"get", http::Method::kGet},
                                                          {"post", http::Method::kPost},
                                                          {"put", http::Method::kPut},
                                                          {"patch", http::Method::kPatch},
                                                          {"delete", http::Method::kDelete}};
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [name, method] : methods) {
      if (item.contains(name)) out.push_back({method, path, item[name]});
    }
  }
  return out;
}

// Property 29: RESTful API Completeness
// A random documented operation, with random path parameters (real and missing resources), body
// and credential, answers a status its operation documents; a documented route never answers
// "no route"; a route of a service not built yet answers the documented 503.
// (A TEST_F around rc::check rather than RC_GTEST_FIXTURE_PROP, which would not run the
// fixture's SetUpTestSuite that starts the servers.)
TEST_F(GatewayIntegration, EveryDocumentedOperationAnswersADocumentedStatus) {
  // Routes of built services are a quarter of the document: draw them half of the time.
  std::vector<DocumentedOperation> built;
  std::vector<DocumentedOperation> planned_ops;
  for (auto& op : DocumentedOperations()) {
    (op.operation.value("x-dbaas-status", "") == "planned" ? planned_ops : built)
        .push_back(std::move(op));
  }
  ASSERT_FALSE(built.empty());
  ASSERT_FALSE(planned_ops.empty());
  const auto admin = AdminToken();
  ASSERT_FALSE(admin.empty());
  const auto user_id = std::get<0>(CreateUser(admin, "viewer"));
  ASSERT_FALSE(user_id.empty());
  EXPECT_TRUE(rc::check("a documented operation answers a documented status", [&] {
    const auto* pool = *rc::gen::element(&built, &planned_ops);
    const auto& chosen = *rc::gen::elementOf(*pool);
    const auto& op = chosen.operation;
    std::string target;
    for (std::size_t i = 0; i < chosen.path.size(); ++i) {
      if (chosen.path[i] != '{') {
        target += chosen.path[i];
        continue;
      }
      const auto close = chosen.path.find('}', i);
      const auto name = chosen.path.substr(i + 1, close - i - 1);
      i = close;
      if (name == "role") {
        target += *rc::gen::element<std::string>("viewer", "developer", "no-such-role");
      } else {
        target += *rc::gen::element(std::string(user_id),
                                    "missing" + std::to_string(*rc::gen::inRange(0, 1'000'000)));
      }
    }
    std::optional<json> body;
    if (op.contains("requestBody")) {
      body = *rc::gen::element<json>(
          json::object(), json{{"name", "p29-" + crypto::HexEncode(crypto::RandomBytes(4))}},
          json{{"unknown_field", 1}});
    }
    const bool authenticated = *rc::gen::weightedElement<bool>({{4, true}, {1, false}});
    const auto headers = authenticated ? Bearer(admin) : http::Headers{};

    auto response = Call(chosen.method, target, body, headers);
    // Being throttled is documented, but says nothing about the route: wait and ask again.
    for (int attempt = 0; response.status == 429 && attempt < 5; ++attempt) {
      std::this_thread::sleep_for(std::chrono::seconds(
          std::max(1, std::stoi(response.Header("Retry-After").value_or("1")))));
      response = Call(chosen.method, target, body, headers);
    }
    const std::string status = std::to_string(response.status);
    RC_TAG(status);
    const std::string where = std::string(http::MethodName(chosen.method)) + " " + target;
    RC_LOG() << where << " -> " << status << " " << response.body << "\n";
    const auto& documented = op["responses"];
    const bool range_documented = response.status / 100 == 2 && documented.contains("2XX");
    RC_ASSERT(documented.contains(status) || range_documented);
    const bool planned = op.value("x-dbaas-status", "") == "planned";
    if (response.status >= 400) {
      const auto error = json::parse(response.body, nullptr, false);
      RC_ASSERT(error.is_object() && error.contains("error") && error.contains("request_id"));
      // Only routes documented as planned in access-control may still be missing there.
      const bool missing_route =
          error["error"]["message"].get<std::string>().starts_with("no route");
      RC_ASSERT(!missing_route || (planned && op.value("x-dbaas-service", "") == "access-control"));
    }
    if (planned && op.value("x-dbaas-service", "") != "access-control") {
      RC_ASSERT(response.status == (authenticated ? 503 : 401));
    }
  }));
}

}  // namespace
}  // namespace dbaas::gateway
