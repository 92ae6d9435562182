// The gateway on a bare server in front of fake services: forwarding, headers and failure modes.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <atomic>
#include <thread>
#include <vector>

#include "dbaas/auth/api_key.hpp"
#include "dbaas/auth/role.hpp"
#include "domain/traceparent.hpp"
#include "fake_services.hpp"
#include "openapi_document.hpp"

namespace dbaas::gateway::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class GatewayServer : public ::testing::Test {
 protected:
  void SetUp() override {
    ac_ = std::make_unique<FakeAccessControl>();
    provisioning_ = StartEchoProvisioning();
  }
  std::map<std::string, std::string, std::less<>> Upstreams() const {
    return {{"access-control", ac_->Url()}, {"provisioning", provisioning_->Url()}};
  }
  std::string AdminToken() {
    return ac_->Issue(IdentityWithRole("usr_admin", "", "platform-admin"));
  }

  std::unique_ptr<FakeAccessControl> ac_;
  std::unique_ptr<BackgroundServer> provisioning_;
};

void ExpectError(const http::ClientResponse& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  const auto body = json::parse(r.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << r.body;
  EXPECT_EQ(body["error"]["code"], code) << r.body;
  EXPECT_TRUE(body["request_id"].is_string());
  EXPECT_TRUE(r.Header("RateLimit-Policy").has_value()) << "status " << r.status;
  EXPECT_TRUE(r.Header("RateLimit").has_value());
}

TEST_F(GatewayServer, ForwardsRequestIdAndTraceAndDropsClientIdentityHeaders) {
  GatewayUnderTest gw(Upstreams());
  auto headers = Bearer(AdminToken());
  headers.Set("X-Request-Id", "req-from-client-1");
  headers.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  headers.Set("X-Dbaas-Tenant", "ten_victim");
  headers.Set("X-Identity", "platform-admin");
  headers.Set("Idempotency-Key", "idem-1");
  const auto r = gw.Call(http::Method::kPost, "/v1/tenants?x=1", headers, R"({"name":"a"})");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto echo = r.Json();
  EXPECT_EQ(echo["method"], "POST");
  EXPECT_EQ(echo["target"], "/v1/tenants?x=1");
  EXPECT_EQ(echo["body"], R"({"name":"a"})");
  EXPECT_EQ(echo["headers"]["x-request-id"], "req-from-client-1");
  EXPECT_EQ(r.Header("X-Request-Id"), "req-from-client-1");
  const std::string trace = echo["headers"]["traceparent"];
  EXPECT_TRUE(IsValidTraceparent(trace)) << trace;
  EXPECT_EQ(trace.substr(3, 32), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(echo["headers"]["idempotency-key"], "idem-1");
  EXPECT_EQ(echo["headers"]["content-type"], "application/json");
  EXPECT_TRUE(echo["headers"].contains("authorization"));
  EXPECT_FALSE(echo["headers"].contains("x-dbaas-tenant"));
  EXPECT_FALSE(echo["headers"].contains("x-identity"));
  EXPECT_TRUE(r.Header("RateLimit-Policy").has_value());
  EXPECT_TRUE(r.Header("RateLimit").has_value());
  EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r.Header("Referrer-Policy"), "no-referrer");

  // An invalid traceparent is replaced by a new trace.
  headers.Set("traceparent", "not-a-trace");
  const auto fresh = gw.Call(http::Method::kGet, "/v1/tenants", headers).Json();
  EXPECT_TRUE(IsValidTraceparent(fresh["headers"]["traceparent"].get<std::string>()));
}

TEST_F(GatewayServer, ServesTheOpenApiDocumentWithoutAToken) {
  GatewayUnderTest gw(Upstreams());
  const auto r = gw.Call(http::Method::kGet, "/v1/openapi.json");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  EXPECT_EQ(r.body, OpenApiDocument());
  const auto doc = json::parse(r.body);
  EXPECT_TRUE(doc["paths"].contains("/v1/tenants"));
  EXPECT_TRUE(doc["paths"].contains("/v1/openapi.json"));
}

TEST_F(GatewayServer, HeadAndApiKeysAreForwarded) {
  GatewayUnderTest gw(Upstreams());
  const auto head = gw.Call(http::Method::kHead, "/v1/tenants", Bearer(AdminToken()));
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  const auto key = auth::GenerateApiKey().key;
  ac_->SetIdentity(key, IdentityWithRole("key_1", "ten_a", "viewer"));
  const auto listed = gw.Call(http::Method::kGet, "/v1/instances", Bearer(key));
  EXPECT_EQ(listed.status, 200) << listed.body;
  ExpectError(gw.Call(http::Method::kPost, "/v1/instances", Bearer(key), "{}"), 403,
              "PERMISSION_DENIED");
  ExpectError(gw.Call(http::Method::kGet, "/v1/instances", Bearer(auth::GenerateApiKey().key)), 401,
              "UNAUTHENTICATED");
}

TEST_F(GatewayServer, UpstreamErrorBodiesPassThroughUnchanged) {
  GatewayUnderTest gw(Upstreams());
  // The fake access-control has no /v1/users route: its own 404 body comes back.
  const auto r = gw.Call(http::Method::kGet, "/v1/users", Bearer(AdminToken()));
  ExpectError(r, 404, "NOT_FOUND");
  EXPECT_EQ(r.Json()["request_id"], *r.Header("X-Request-Id"))
      << "the upstream saw the gateway's request id";
}

TEST_F(GatewayServer, ServiceWithoutUpstreamIsUnavailable) {
  GatewayUnderTest gw(Upstreams());
  const auto r = gw.Call(http::Method::kGet, "/v1/backups", Bearer(AdminToken()));
  ExpectError(r, 503, "UNAVAILABLE");
  EXPECT_EQ(r.Json()["error"]["message"], "service backup is not running");
}

TEST_F(GatewayServer, DeadUpstreamFailsFastAndSlowUpstreamTimesOut) {
  auto upstreams = Upstreams();
  {
    BackgroundServer closed{http::Router{}};
    upstreams["provisioning"] = closed.Url();
  }  // nothing listens there any more
  upstreams["query"] = provisioning_->Url();
  GatewayUnderTest gw(upstreams, [](GatewayConfig& c) { c.upstream_timeout = 300ms; });
  const auto token = AdminToken();
  for (int i = 0; i < 8; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const auto r = gw.Call(http::Method::kGet, "/v1/instances", Bearer(token));
    ExpectError(r, 503, "UNAVAILABLE");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  }
  // The echo provisioning serves "query" here: /v1/query is not among its routes, so use a
  // slow GET on a route it has through a second gateway.
  GatewayUnderTest slow(Upstreams(), [](GatewayConfig& c) { c.upstream_timeout = 300ms; });
  const auto start = std::chrono::steady_clock::now();
  const auto r = slow.Call(http::Method::kGet, "/v1/instances?sleep_ms=1500", Bearer(token));
  ExpectError(r, 504, "DEADLINE_EXCEEDED");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1200ms);
}

TEST_F(GatewayServer, ForwardsConcurrentAndLargeRequests) {
  http::ServerConfig config;
  config.io_threads = 2;
  GatewayUnderTest gw(
      Upstreams(), [](GatewayConfig& c) { c.rate_limits.writes = {100000, 1, 100000}; },
      SystemClock::Instance(), config);
  const auto token = AdminToken();
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      http::Client client;
      for (int i = 0; i < 20; ++i) {
        const auto body = json{{"name", "t" + std::to_string(t) + "-" + std::to_string(i)}}.dump();
        http::ClientRequest req;
        req.method = http::Method::kPost;
        req.url = "http://127.0.0.1:" + std::to_string(gw.Port()) + "/v1/instances";
        req.headers = Bearer(token);
        req.headers.Set("Content-Type", "application/json");
        req.body = body;
        const auto r = client.Send(req);
        if (r.status != 200 || r.Json()["body"] != body) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);

  // Close to the server's 1 MiB body limit, both ways.
  const auto large = json{{"name", std::string(900 * 1024, 'x')}}.dump();
  const auto r = gw.Call(http::Method::kPost, "/v1/instances", Bearer(token), large);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Json()["body"], large);
}

TEST_F(GatewayServer, ServiceDyingMidRunIsUnavailableQuickly) {
  GatewayUnderTest gw(Upstreams());
  const auto token = AdminToken();
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(gw.Call(http::Method::kGet, "/v1/instances", Bearer(token)).status, 200);
  }
  provisioning_.reset();  // the pooled keep-alive connections die with it
  for (int i = 0; i < 8; ++i) {
    const auto start = std::chrono::steady_clock::now();
    ExpectError(gw.Call(http::Method::kGet, "/v1/instances", Bearer(token)), 503, "UNAVAILABLE");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
  }
  const auto text = gw.Registry().Expose();
  EXPECT_NE(text.find("dbaas_gateway_upstream_requests_total{service=\"provisioning\","
                      "outcome=\"unavailable\"} 8"),
            std::string::npos)
      << text;
}

TEST_F(GatewayServer, BadTokensAreRejectedWithoutIntrospection) {
  GatewayUnderTest gw(Upstreams());
  const auto identity = IdentityWithRole("usr_admin", "", "platform-admin");
  const auto good = ac_->Issue(identity);
  const auto calls_before = ac_->IntrospectCalls();
  auto tampered = good;
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  auto wrong_audience = FakeAccessControl::ClaimsFor(identity, 300s);
  wrong_audience.aud = {"someone-else"};
  auto expired = FakeAccessControl::ClaimsFor(identity, -3600s);
  const std::string alg_none =
      "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ1c3JfYWRtaW4iLCJpc3MiOiJkYmFhcyIsImF1ZC"
      "I6ImRiYWFzIiwiZXhwIjo0MTAyNDQ0ODAwfQ.";
  for (const auto& token : {tampered, ac_->Sign(wrong_audience), ac_->Sign(expired), alg_none,
                            std::string("not-a-jwt")}) {
    const auto r = gw.Call(http::Method::kGet, "/v1/tenants", Bearer(token));
    ExpectError(r, 401, "UNAUTHENTICATED");
    EXPECT_NE(r.Header("WWW-Authenticate").value_or("").find("Bearer"), std::string::npos);
  }
  EXPECT_EQ(ac_->IntrospectCalls(), calls_before);
  ExpectError(gw.Call(http::Method::kGet, "/v1/tenants"), 401, "UNAUTHENTICATED");
  // A revoked (inactive) token is rejected after introspection.
  ac_->SetIdentity(good, std::nullopt);
  ExpectError(gw.Call(http::Method::kGet, "/v1/tenants", Bearer(good)), 401, "UNAUTHENTICATED");
}

TEST_F(GatewayServer, IdentityIsCachedAndPermissionChangesApplyWithinTheTtl) {
  GatewayUnderTest gw(Upstreams(), [](GatewayConfig& c) { c.identity_cache_ttl = 500ms; });
  const auto token = ac_->Issue(IdentityWithRole("usr_dev", "ten_a", "developer"));
  ASSERT_EQ(gw.Call(http::Method::kPost, "/v1/instances", Bearer(token), "{}").status, 200);
  const auto calls = ac_->IntrospectCalls();
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(gw.Call(http::Method::kGet, "/v1/instances", Bearer(token)).status, 200);
  }
  EXPECT_EQ(ac_->IntrospectCalls(), calls) << "answered from the identity cache";
  ac_->SetIdentity(token, IdentityWithRole("usr_dev", "ten_a", "viewer"));  // demoted
  std::this_thread::sleep_for(600ms);
  ExpectError(gw.Call(http::Method::kPost, "/v1/instances", Bearer(token), "{}"), 403,
              "PERMISSION_DENIED");
  EXPECT_EQ(gw.Call(http::Method::kGet, "/v1/instances", Bearer(token)).status, 200);
}

TEST_F(GatewayServer, RoutingAnswersOfTheGatewayItself) {
  GatewayUnderTest gw(Upstreams());
  const auto admin = Bearer(AdminToken());
  ExpectError(gw.Call(http::Method::kPost, "/v1/auth/introspect", {}, R"({"token":"x"})"), 404,
              "NOT_FOUND");
  ExpectError(gw.Call(http::Method::kPost, "/v1/auth/introspect", admin, R"({"token":"x"})"), 404,
              "NOT_FOUND");
  const auto v2 = gw.Call(http::Method::kGet, "/v2/instances", admin);
  ExpectError(v2, 404, "NOT_FOUND");
  EXPECT_EQ(v2.Json()["error"]["suggestions"][0], "use /v1/instances");
  ExpectError(gw.Call(http::Method::kGet, "/v1/tenants/a/b/c/d", admin), 404, "NOT_FOUND");
  ExpectError(gw.Call(http::Method::kGet, "/nothing/here", admin), 404, "NOT_FOUND");
  ExpectError(gw.Call(http::Method::kGet, "/v1/tenants/../instances", admin), 404, "NOT_FOUND");
  ExpectError(gw.Call(http::Method::kPost, "/v1/tenants", admin, "name=a", "text/plain"), 415,
              "UNSUPPORTED_MEDIA_TYPE");
  // Public routes need no token.
  const auto login =
      gw.Call(http::Method::kPost, "/v1/auth/token", {}, R"({"username":"u","password":"p"})");
  EXPECT_EQ(login.status, 200) << login.body;
  const auto jwks = gw.Call(http::Method::kGet, "/.well-known/jwks.json");
  EXPECT_EQ(jwks.status, 200) << jwks.body;
  EXPECT_TRUE(jwks.Json()["keys"].is_array());
}

TEST_F(GatewayServer, OversizedBodiesAreRefusedByTheServer) {
  http::ServerConfig config;
  config.max_body_bytes = 1024;
  GatewayUnderTest gw(Upstreams(), {}, SystemClock::Instance(), config);
  const auto r = gw.Call(http::Method::kPost, "/v1/tenants", Bearer(AdminToken()),
                         "\"" + std::string(4096, 'a') + "\"");
  ExpectError(r, 413, "PAYLOAD_TOO_LARGE");
}

// Sends raw bytes to 127.0.0.1:`port` and returns everything read until the server closes
// (or 2 s pass).
std::string RawExchange(std::uint16_t port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size())) {
    char buffer[4096];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) {
      out.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return out;
}

TEST_F(GatewayServer, AnswersOfTheServerItselfCarryTheRateLimitHeaders) {
  http::ServerConfig config;
  config.cors_origins = {"https://console.example.com"};
  GatewayUnderTest gw(Upstreams(), {}, SystemClock::Instance(), config);
  const auto expect_limits = [](const http::ClientResponse& r, int status, const char* what) {
    EXPECT_EQ(r.status, status) << what << ": " << r.body;
    EXPECT_TRUE(r.Header("RateLimit-Policy").has_value()) << what;
    EXPECT_TRUE(r.Header("RateLimit").has_value()) << what;
    EXPECT_EQ(r.Header("Referrer-Policy"), "no-referrer") << what;
  };
  expect_limits(gw.Call(http::Method::kGet, "/v1/openapi.json"), 200, "the OpenAPI document");
  expect_limits(gw.Call(http::Method::kGet, "/livez"), 200, "a built-in route");
  std::string deep;
  for (int i = 0; i < 20; ++i) deep += "/s";
  expect_limits(gw.Call(http::Method::kGet, deep), 404, "the router's own 404");
  http::Headers preflight;
  preflight.Set("Origin", "https://console.example.com");
  preflight.Set("Access-Control-Request-Method", "POST");
  expect_limits(gw.Call(http::Method::kOptions, "/v1/tenants", preflight), 204,
                "a CORS preflight");

  const auto malformed = RawExchange(gw.Port(), "GET /v1/tenants HTTP/1.1\r\nBad Header\r\n\r\n");
  EXPECT_TRUE(malformed.starts_with("HTTP/1.1 400")) << malformed;
  EXPECT_NE(malformed.find("\r\nRateLimit-Policy: "), std::string::npos) << malformed;
  EXPECT_NE(malformed.find("\r\nRateLimit: "), std::string::npos) << malformed;
}

TEST_F(GatewayServer, CountsDenialsByReasonAndUpstreamLatency) {
  GatewayUnderTest gw(Upstreams());
  gw.Call(http::Method::kGet, "/v1/tenants");
  gw.Call(http::Method::kGet, "/v1/tenants", Bearer(AdminToken()));
  const auto text = gw.Registry().Expose();
  EXPECT_NE(text.find("dbaas_gateway_denied_total{status=\"401\",reason=\"missing_token\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("dbaas_gateway_upstream_duration_seconds_count{service=\"access-control\"}"),
            std::string::npos);
  EXPECT_NE(text.find("dbaas_gateway_upstream_requests_total{service=\"access-control\","
                      "outcome=\"2xx\"}"),
            std::string::npos);
}

}  // namespace
}  // namespace dbaas::gateway::testing
