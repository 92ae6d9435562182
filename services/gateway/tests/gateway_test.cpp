#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "dbaas/auth/api_key.hpp"
#include "dbaas/auth/role.hpp"
#include "dbaas/common/error.hpp"
#include "authenticator.hpp"
#include "domain/header_policy.hpp"
#include "domain/rate_limit_policy.hpp"
#include "domain/request_checks.hpp"
#include "domain/route_policy.hpp"
#include "domain/traceparent.hpp"
#include "domain/upstream_table.hpp"
#include "gateway_config.hpp"
#include "jwks_cache.hpp"

namespace dbaas::gateway {
namespace {

using namespace std::chrono_literals;

TEST(UpstreamTable, RoutesEachPrefixToItsService) {
  const auto table = DefaultUpstreamTable();
  EXPECT_EQ(table.ServiceFor("/v1/auth/token"), "access-control");
  EXPECT_EQ(table.ServiceFor("/v1/tenants"), "access-control");
  EXPECT_EQ(table.ServiceFor("/v1/tenants/ten_1/users"), "access-control");
  EXPECT_EQ(table.ServiceFor("/v1/audit-events:verify"), "access-control");
  EXPECT_EQ(table.ServiceFor("/.well-known/jwks.json"), "access-control");
  EXPECT_EQ(table.ServiceFor("/v1/instances"), "provisioning");
  EXPECT_EQ(table.ServiceFor("/v1/instances/ins_1/start"), "provisioning");
  EXPECT_EQ(table.ServiceFor("/v1/instances/ins_1/backups"), "backup");
  EXPECT_EQ(table.ServiceFor("/v1/instances/ins_1/backups/bkp_1"), "backup");
  EXPECT_EQ(table.ServiceFor("/v1/instances/ins_1/restore"), "backup");
  // Operations go to the service whose id prefix they carry.
  EXPECT_EQ(table.ServiceFor("/v1/operations/opb_01j9z3k4m5n6p7q8r9s0t1v2w3"), "backup");
  EXPECT_EQ(table.ServiceFor("/v1/operations/op_01j9z3k4m5n6p7q8r9s0t1v2w3"), "provisioning");
  EXPECT_EQ(table.ServiceFor("/v1/operations/opb_"), "provisioning");
  EXPECT_EQ(table.ServiceFor("/v1/operations/xopb_1"), "provisioning");
  EXPECT_EQ(table.ServiceFor("/v1/operations"), "provisioning");
  EXPECT_EQ(table.ServiceFor("/v1/instances/ins_1/metrics"), "monitoring");
  EXPECT_EQ(table.ServiceFor("/v1/instances/ins_1/failover"), "ha");
  EXPECT_EQ(table.ServiceFor("/v1/instances/ins_1/dr-replicas"), "dr");
  EXPECT_EQ(table.ServiceFor("/v1/query"), "query");
  EXPECT_EQ(table.ServiceFor("/v1/budgets/b1"), "cost");
  // Prefixes match whole segments only.
  EXPECT_EQ(table.ServiceFor("/v1/tenantsX"), std::nullopt);
  EXPECT_EQ(table.ServiceFor("/v1/nothing"), std::nullopt);
  EXPECT_EQ(table.ServiceFor("/"), std::nullopt);
  EXPECT_THROW(UpstreamTable().Add("v1/x", "svc"), Error);
  EXPECT_THROW(UpstreamTable().Add("/v1//x", "svc"), Error);
}

TEST(UpstreamTable, EveryServiceOfTheDesignIsListed) {
  EXPECT_EQ(DefaultUpstreamTable().Services(),
            (std::vector<std::string>{"access-control", "provisioning", "backup", "monitoring",
                                      "scaling", "ha", "dr", "cost", "query"}));
}

TEST(PermissionTable, ResolvesOverridesAndMethodDefaults) {
  const auto table = DefaultPermissionTable();
  const auto need = [&](std::string_view method, std::string_view path) {
    const auto r = table.Resolve(method, path);
    return r ? r->resource + ":" + r->action : std::string("none");
  };
  EXPECT_EQ(need("GET", "/v1/tenants"), "tenants:read");
  EXPECT_EQ(need("POST", "/v1/tenants"), "tenants:create");
  EXPECT_EQ(need("PATCH", "/v1/tenants/ten_1"), "tenants:update");
  EXPECT_EQ(need("DELETE", "/v1/users/usr_1/roles/viewer"), "users:update");
  EXPECT_EQ(need("DELETE", "/v1/users/usr_1"), "users:delete");
  EXPECT_EQ(need("POST", "/v1/users/usr_1/password"), "users:update");
  EXPECT_EQ(need("POST", "/v1/users/usr_1:unlock"), "users:update");
  EXPECT_EQ(need("POST", "/v1/instances/ins_1/start"), "instances:update");
  EXPECT_EQ(need("POST", "/v1/instances/ins_1/restart"), "instances:update");
  EXPECT_EQ(need("POST", "/v1/instances/ins_1/restore"), "restores:create");
  EXPECT_EQ(need("GET", "/v1/instances/ins_1/credentials"), "credentials:read");
  EXPECT_EQ(need("POST", "/v1/query"), "queries:read");
  EXPECT_EQ(need("POST", "/v1/instances/ins_1/failover"), "clusters:update");
  EXPECT_EQ(need("GET", "/v1/audit-events:verify"), "audit-events:read");
  EXPECT_EQ(need("GET", "/v1/engines"), "engines:read");
  EXPECT_EQ(need("POST", "/v1/signing-keys:rotate"), "signing-keys:update");
  EXPECT_EQ(need("POST", "/v1/users/usr_1/roles"), "users:update");
  EXPECT_EQ(need("POST", "/v1/instances/ins_1/databases"), "databases:create");
  EXPECT_EQ(need("DELETE", "/v1/instances/ins_1/databases/orders"), "databases:delete");
  EXPECT_EQ(need("POST", "/v1/instances/ins_1/users/app:rotate-password"), "databases:update");
  EXPECT_EQ(need("POST", "/v1/instances/ins_1/grants"), "databases:create");
  EXPECT_EQ(need("POST", "/v1/instances/ins_1/grants:revoke"), "databases:delete");
}

TEST(PermissionTable, FailsClosedForRoutesItDoesNotKnow) {
  const auto table = DefaultPermissionTable();
  EXPECT_EQ(table.Resolve("POST", "/v1/engines"), std::nullopt);  // the catalog is read-only
  EXPECT_EQ(table.Resolve("GET", "/v1/instances/ins_1/start"), std::nullopt);
  EXPECT_EQ(table.Resolve("GET", "/v1/tenants/a/b/c/d"), std::nullopt);
  EXPECT_EQ(table.Resolve("OPTIONS", "/v1/tenants"), std::nullopt);
  EXPECT_EQ(table.Resolve("GET", "/v1/unknown"), std::nullopt);
  const auto admin = auth::Identity{"usr_admin",
                                    auth::IdentityKind::kUser,
                                    "",
                                    {*auth::FindBuiltInRole(auth::kRolePlatformAdmin)}};
  try {
    AuthorizeRequest(admin, table.Resolve("GET", "/v1/tenants/a/b/c/d"), "GET",
                     "/v1/tenants/a/b/c/d");
    FAIL() << "a route missing from the table must be denied, even to platform admins";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kNotFound);
  }
}

TEST(PermissionTable, EveryRouteHasAnUpstream) {
  const auto upstreams = DefaultUpstreamTable();
  for (const auto& pattern : RoutePatterns(DefaultPermissionTable())) {
    std::string path = pattern;
    for (auto open = path.find('{'); open != std::string::npos; open = path.find('{')) {
      path.replace(open, path.find('}', open) - open + 1, "x1");
    }
    EXPECT_TRUE(upstreams.ServiceFor(path).has_value()) << pattern;
  }
}

TEST(AuthorizeRequest, ChecksTheGrantInTheCallersTenant) {
  const auto table = DefaultPermissionTable();
  const auto viewer = auth::Identity{
      "usr_v", auth::IdentityKind::kUser, "ten_a", {*auth::FindBuiltInRole(auth::kRoleViewer)}};
  EXPECT_NO_THROW(AuthorizeRequest(viewer, table.Resolve("GET", "/v1/instances"), "GET", "/"));
  try {
    AuthorizeRequest(viewer, table.Resolve("POST", "/v1/instances"), "POST", "/v1/instances");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kPermissionDenied);
  }
  const auto developer = auth::Identity{
      "usr_d", auth::IdentityKind::kUser, "ten_a", {*auth::FindBuiltInRole(auth::kRoleDeveloper)}};
  EXPECT_THROW(
      AuthorizeRequest(developer, table.Resolve("GET", "/v1/instances/i/credentials"), "GET", "/"),
      Error);
  const auto nobody = auth::Identity{"usr_n", auth::IdentityKind::kUser, "ten_a", {}};
  EXPECT_THROW(AuthorizeRequest(nobody, table.Resolve("GET", "/v1/tenants"), "GET", "/"), Error);
}

TEST(Exposure, PublicBlockedAndProtectedRoutes) {
  EXPECT_EQ(ExposureOf("POST", "/v1/auth/token"), Exposure::kPublic);
  EXPECT_EQ(ExposureOf("POST", "/v1/auth/revoke"), Exposure::kPublic);
  EXPECT_EQ(ExposureOf("GET", "/.well-known/jwks.json"), Exposure::kPublic);
  EXPECT_EQ(ExposureOf("POST", "/v1/auth/introspect"), Exposure::kBlocked);
  EXPECT_EQ(ExposureOf("GET", "/v1/auth/introspect"), Exposure::kBlocked);
  EXPECT_EQ(ExposureOf("GET", "/v1/auth/token"), Exposure::kProtected);
  EXPECT_EQ(ExposureOf("DELETE", "/.well-known/jwks.json"), Exposure::kProtected);
  EXPECT_EQ(ExposureOf("GET", "/v1/tenants"), Exposure::kProtected);
}

TEST(RateSpec, ParsesRequestsSecondsAndBurst) {
  EXPECT_EQ(ParseRateSpec("600/60:100"), (RateSpec{600, 60, 100}));
  EXPECT_EQ(ParseRateSpec("20/60"), (RateSpec{20, 60, 20}));
  const auto bucket = ParseRateSpec("120/60:30").Bucket();
  EXPECT_DOUBLE_EQ(bucket.rate_per_second, 2.0);
  EXPECT_DOUBLE_EQ(bucket.burst, 30.0);
  for (const char* bad : {"", "600", "600/", "/60", "0/60", "10/0", "10/60:0", "-1/60",
                          "10/60:", "10/60:5:5", "a/b", "10 /60", "1/2000000000"}) {
    EXPECT_THROW(ParseRateSpec(bad), Error) << bad;
  }
}

TEST(RateSpec, ConfigNamesTheBadVariable) {
  std::map<std::string, std::string> env{{"DBAAS_RATE_LIMIT_WRITES", "lots"},
                                         {"DBAAS_RATE_LIMIT_READS", "10/1:5"}};
  ConfigReader cfg([&](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
  const auto settings = RateLimitSettings::FromConfig(cfg);
  EXPECT_EQ(settings.reads, (RateSpec{10, 1, 5}));
  EXPECT_EQ(settings.auth, (RateSpec{20, 60, 10}));
  ASSERT_EQ(cfg.Problems().size(), 1U);
  EXPECT_NE(cfg.Problems()[0].find("DBAAS_RATE_LIMIT_WRITES"), std::string::npos);
}

TEST(RouteClass, ClassifiesAuthReadsAndWrites) {
  EXPECT_EQ(ClassifyRoute("POST", "/v1/auth/token"), RouteClass::kAuth);
  EXPECT_EQ(ClassifyRoute("GET", "/v1/tenants"), RouteClass::kRead);
  EXPECT_EQ(ClassifyRoute("HEAD", "/v1/tenants"), RouteClass::kRead);
  EXPECT_EQ(ClassifyRoute("DELETE", "/v1/tenants/x"), RouteClass::kWrite);
  EXPECT_EQ(ClassifyRoute("POST", "/v1/authx"), RouteClass::kWrite);
}

TEST(GatewayConfig, ReadsUpstreamsAndRejectsLongCacheTtl) {
  std::map<std::string, std::string> env{
      {"DBAAS_UPSTREAM_ACCESS_CONTROL", "http://127.0.0.1:8081/"},
      {"DBAAS_UPSTREAM_BACKUP", "ftp://x"},
      {"DBAAS_IDENTITY_CACHE_TTL", "31s"}};
  ConfigReader cfg([&](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
  const auto config = GatewayConfig::FromConfig(cfg, DefaultUpstreamTable().Services());
  EXPECT_EQ(config.upstreams.at("access-control"), "http://127.0.0.1:8081");
  EXPECT_FALSE(config.upstreams.contains("provisioning"));
  EXPECT_EQ(config.upstream_timeout, 30s);
  std::string problems;
  for (const auto& p : cfg.Problems()) problems += p + "\n";
  EXPECT_NE(problems.find("DBAAS_UPSTREAM_BACKUP"), std::string::npos) << problems;
  EXPECT_NE(problems.find("DBAAS_IDENTITY_CACHE_TTL"), std::string::npos) << problems;
  EXPECT_EQ(UpstreamVariable("access-control"), "DBAAS_UPSTREAM_ACCESS_CONTROL");
}

TEST(Traceparent, ValidatesTheW3cFormat) {
  EXPECT_TRUE(IsValidTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_TRUE(IsValidTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x"));
  for (const char* bad : {"", "garbage", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                          "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                          "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
                          "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}) {
    EXPECT_FALSE(IsValidTraceparent(bad)) << bad;
  }
}

TEST(Traceparent, KeepsTheTraceAndStartsANewSpan) {
  const std::string incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const auto next = NextTraceparent(incoming);
  EXPECT_TRUE(IsValidTraceparent(next)) << next;
  EXPECT_EQ(next.substr(0, 36), incoming.substr(0, 36));
  EXPECT_NE(next.substr(36, 16), incoming.substr(36, 16));
  EXPECT_EQ(next.substr(53), "01");
  const auto fresh = NextTraceparent(std::string("bogus"));
  EXPECT_TRUE(IsValidTraceparent(fresh)) << fresh;
  EXPECT_NE(fresh.substr(3, 32), NextTraceparent(std::nullopt).substr(3, 32));
}

TEST(HeaderPolicy, ForwardsOnlyAllowlistedRequestHeaders) {
  http::Headers in;
  in.Add("Authorization", "Bearer t");
  in.Add("Content-Type", "application/json");
  in.Add("Idempotency-Key", "k1");
  in.Add("If-Match", "\"3\"");
  in.Add("Accept", "application/json");
  in.Add("Connection", "keep-alive, Accept");
  in.Add("Keep-Alive", "timeout=5");
  in.Add("Transfer-Encoding", "chunked");
  in.Add("Upgrade", "websocket");
  in.Add("X-Dbaas-Tenant", "ten_victim");
  in.Add("X-User", "admin");
  in.Add("X-Forwarded-For", "10.0.0.1");
  in.Add("X-Request-Id", "client-chosen");
  in.Add("traceparent", "client");
  const auto out = UpstreamRequestHeaders(in, "req_1", "00-tp", "127.0.0.9");
  EXPECT_EQ(out.Get("Authorization"), "Bearer t");
  EXPECT_EQ(out.Get("Idempotency-Key"), "k1");
  EXPECT_EQ(out.Get("If-Match"), "\"3\"");
  EXPECT_EQ(out.Get("Content-Type"), "application/json");
  EXPECT_FALSE(out.Has("Accept")) << "named in Connection: hop-by-hop for this request";
  for (const char* dropped :
       {"Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "X-Dbaas-Tenant", "X-User"}) {
    EXPECT_FALSE(out.Has(dropped)) << dropped;
  }
  EXPECT_EQ(out.Get("X-Request-Id"), "req_1");
  EXPECT_EQ(out.Get("traceparent"), "00-tp");
  EXPECT_EQ(out.Get("X-Forwarded-For"), "127.0.0.9");
}

TEST(HeaderPolicy, PassesResponseHeadersExceptHopByHopAndOwned) {
  http::Headers in;
  in.Add("Content-Type", "application/json");
  in.Add("ETag", "\"2\"");
  in.Add("Location", "/v1/tenants/ten_1");
  in.Add("Connection", "close, X-Secret");
  in.Add("X-Secret", "x");
  in.Add("Transfer-Encoding", "chunked");
  in.Add("Content-Length", "10");
  in.Add("X-Request-Id", "other");
  in.Add("RateLimit", "\"x\";r=1;t=1");
  const auto out = ClientResponseHeaders(in);
  EXPECT_EQ(out.Get("ETag"), "\"2\"");
  EXPECT_EQ(out.Get("Location"), "/v1/tenants/ten_1");
  EXPECT_EQ(out.Get("Content-Type"), "application/json");
  for (const char* dropped : {"Connection", "X-Secret", "Transfer-Encoding", "Content-Length",
                              "X-Request-Id", "RateLimit"}) {
    EXPECT_FALSE(out.Has(dropped)) << dropped;
  }
}

TEST(RequestChecks, UnknownVersionsSuggestV1) {
  const auto error = CheckApiVersion("/v2/instances/ins_1");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->Code(), ErrorCode::kNotFound);
  ASSERT_EQ(error->Suggestions().size(), 1U);
  EXPECT_EQ(error->Suggestions()[0], "use /v1/instances/ins_1");
  EXPECT_TRUE(CheckApiVersion("/v0/tenants"));
  EXPECT_TRUE(CheckApiVersion("/V1/tenants"));
  EXPECT_FALSE(CheckApiVersion("/v1/tenants"));
  EXPECT_FALSE(CheckApiVersion("/.well-known/jwks.json"));
  EXPECT_FALSE(CheckApiVersion("/version"));
}

TEST(RequestChecks, DotSegmentsAndBodyTypes) {
  EXPECT_TRUE(CheckPathShape("/v1/tenants/../instances"));
  EXPECT_TRUE(CheckPathShape("/v1/tenants/%2e%2E/instances"));
  EXPECT_TRUE(CheckPathShape("/v1//tenants"));
  EXPECT_FALSE(CheckPathShape("/v1/tenants/"));
  EXPECT_FALSE(CheckPathShape("/v1/tenants/ten_1"));
  http::Headers json;
  json.Set("Content-Type", "application/json; charset=utf-8");
  http::Headers text;
  text.Set("Content-Type", "text/plain");
  EXPECT_FALSE(CheckBodyType("POST", json, 10));
  EXPECT_FALSE(CheckBodyType("POST", text, 0));
  EXPECT_FALSE(CheckBodyType("DELETE", text, 10));
  const auto error = CheckBodyType("PATCH", text, 10);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->Code(), ErrorCode::kUnsupportedMediaType);
  EXPECT_TRUE(CheckBodyType("PUT", {}, 3));
  http::Headers problem;
  problem.Set("Content-Type", "application/merge-patch+json");
  EXPECT_FALSE(CheckBodyType("PATCH", problem, 3));
}

TEST(Credential, ParsesBearerJwtsAndApiKeys) {
  EXPECT_EQ(ParseAuthorization(std::nullopt), std::nullopt);
  const auto jwt = ParseAuthorization(std::string("bearer a.b.c"));
  ASSERT_TRUE(jwt);
  EXPECT_EQ(jwt->kind, Credential::Kind::kJwt);
  EXPECT_EQ(jwt->token, "a.b.c");
  EXPECT_EQ(jwt->Fingerprint().size(), 64U);
  const auto key = auth::GenerateApiKey();
  const auto api = ParseAuthorization("Bearer " + key.key);
  ASSERT_TRUE(api);
  EXPECT_EQ(api->kind, Credential::Kind::kApiKey);
  for (const char* bad :
       {"Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc", "Bearer dbaas_short_key"}) {
    try {
      ParseAuthorization(std::string(bad));
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.Code(), ErrorCode::kUnauthenticated) << bad;
    }
  }
}

TEST(Introspection, ParsesActiveAndInactiveAnswers) {
  EXPECT_FALSE(ParseIntrospection(nlohmann::json{{"active", false}}).active);
  const auto result = ParseIntrospection(nlohmann::json::parse(R"({
    "active": true, "kind": "api_key", "subject": "key_1", "tenant_id": "ten_a",
    "roles": [{"name": "custom", "tenant_id": "ten_a",
               "permissions": [{"resource": "instances", "actions": ["read"]}]},
              {"name": "platform-admin", "tenant_id": null,
               "permissions": [{"resource": "*", "actions": ["*"]}]}],
    "exp": 2000000000, "jti": "j"})"));
  EXPECT_TRUE(result.active);
  EXPECT_EQ(result.identity.kind, auth::IdentityKind::kApiKey);
  EXPECT_EQ(result.identity.subject, "key_1");
  EXPECT_EQ(result.identity.tenant_id, "ten_a");
  ASSERT_EQ(result.identity.roles.size(), 2U);
  EXPECT_TRUE(result.identity.roles[0].Grants("instances", "read"));
  EXPECT_TRUE(result.identity.IsPlatformAdmin());
  EXPECT_EQ(result.exp, 2000000000);
  for (const char* bad : {R"({})", R"({"active": true})", R"({"active": "yes"})",
                          R"({"active": true, "subject": "", "roles": []})",
                          R"({"active": true, "subject": "s", "roles": [{"name": 1}]})"}) {
    try {
      ParseIntrospection(nlohmann::json::parse(bad));
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.Code(), ErrorCode::kUnavailable) << bad;
    }
  }
}

TEST(IdentityCache, ExpiresAfterTtlOrTokenExpiry) {
  ManualClock clock(TimePoint(std::chrono::seconds(1'000'000)));
  IdentityCache cache(10s, 2, clock);
  cache.Put("a", CachedIdentity{true, {}});
  cache.Put("b", CachedIdentity{false, {}}, clock.Now() + 2s);
  EXPECT_TRUE(cache.Get("a"));
  EXPECT_FALSE(cache.Get("b")->active);
  clock.Advance(3s);
  EXPECT_EQ(cache.Get("b"), nullptr) << "bounded by the credential's own expiry";
  clock.Advance(7s);
  EXPECT_EQ(cache.Get("a"), nullptr) << "bounded by the TTL";
  cache.Put("c", CachedIdentity{true, {}});
  cache.Put("d", CachedIdentity{true, {}});
  cache.Put("e", CachedIdentity{true, {}});
  EXPECT_LE(cache.Size(), 2U);
  EXPECT_THROW(IdentityCache(31s, 1, clock), Error);
  EXPECT_THROW(IdentityCache(0s, 1, clock), Error);
}

TEST(JwksCache, RefreshesOnUnknownKidAtMostOncePerInterval) {
  ManualClock clock(TimePoint(std::chrono::seconds(1'000'000)));
  auto key = auth::SigningKey::GenerateEs256("k1");
  int fetches = 0;
  JwksCache cache(
      [&] {
        ++fetches;
        return auth::JwkSet({key.Public()}).Serialize();
      },
      5s, clock);
  EXPECT_TRUE(cache.Find("k1"));
  EXPECT_EQ(fetches, 1);
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(cache.Find("random-" + std::to_string(i)));
  EXPECT_EQ(fetches, 1) << "a flood of unknown kids must not refetch";
  key = auth::SigningKey::GenerateEs256("k2");  // rotation
  clock.Advance(5s);
  EXPECT_TRUE(cache.Find("k2"));
  EXPECT_EQ(fetches, 2);
  EXPECT_TRUE(cache.Find("k2"));
  EXPECT_EQ(fetches, 2);
}

TEST(JwksCache, UnavailableOnlyBeforeTheFirstSuccessfulFetch) {
  ManualClock clock(TimePoint(std::chrono::seconds(1'000'000)));
  bool up = false;
  auto key = auth::SigningKey::GenerateEs256("k1");
  JwksCache cache(
      [&]() -> std::string {
        if (!up) throw Error(ErrorCode::kUnavailable, "down");
        return auth::JwkSet({key.Public()}).Serialize();
      },
      1s, clock);
  EXPECT_THROW(cache.Find("k1"), Error);
  up = true;
  clock.Advance(1s);
  EXPECT_TRUE(cache.Find("k1"));
  up = false;
  clock.Advance(1s);
  EXPECT_FALSE(cache.Find("k9"));  // keeps the known keys, no exception
  EXPECT_TRUE(cache.Find("k1"));
}

}  // namespace
}  // namespace dbaas::gateway
