#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "dbaas/auth/role.hpp"
#include "dbaas/common/clock.hpp"
#include "domain/rate_limit_policy.hpp"
#include "domain/route_policy.hpp"
#include "fake_services.hpp"

namespace dbaas::gateway::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const TimePoint kStart{std::chrono::seconds(1'767'225'600)};

RateLimitSettings Unlimited() {
  RateLimitSettings s;
  s.reads = s.writes = s.auth = s.global = RateSpec{1'000'000, 1, 1'000'000};
  return s;
}

// Property 30: Rate Limiting Enforcement
// Through the gateway's limiter: a client sending more than its burst at once is throttled
// with Retry-After and the rate-limit headers; a client that stays within burst and refill
// rate is never throttled, whatever the other client does.
RC_GTEST_PROP(GatewayLimiterProperty, ThrottlesOnlyClientsOverTheirLimit, ()) {
  const auto requests = *rc::gen::inRange<std::int64_t>(1, 100).as("requests");
  const auto seconds = *rc::gen::inRange<std::int64_t>(1, 60).as("seconds");
  const auto burst = *rc::gen::inRange<std::int64_t>(1, 20).as("burst");
  const auto over = *rc::gen::inRange<std::int64_t>(1, 20).as("requests over the burst");
  const auto polite = *rc::gen::inRange(1, 40).as("polite requests");
  const auto route_class =
      *rc::gen::element(RouteClass::kRead, RouteClass::kWrite, RouteClass::kAuth);
  auto settings = Unlimited();
  const RateSpec spec{requests, seconds, burst};
  switch (route_class) {
    case RouteClass::kRead:
      settings.reads = spec;
      break;
    case RouteClass::kWrite:
      settings.writes = spec;
      break;
    case RouteClass::kAuth:
      settings.auth = spec;
      break;
  }
  ManualClock clock(kStart);
  GatewayLimiter limiter(settings, clock);

  for (std::int64_t i = 0; i < burst + over; ++i) {
    const auto outcome = limiter.Check("greedy", route_class);
    RC_ASSERT(!outcome.headers.policy.empty());
    RC_ASSERT(!outcome.headers.limit.empty());
    if (i < burst) {
      RC_ASSERT(outcome.allowed);
      RC_ASSERT(outcome.headers.retry_after.empty());
    } else {
      RC_ASSERT(!outcome.allowed);
      RC_ASSERT(outcome.limited_by == "client");
      RC_ASSERT(std::stoll(outcome.headers.retry_after) >= 1);
      RC_ASSERT(outcome.headers.policy.find(std::string(PolicyName(route_class))) !=
                std::string::npos);
    }
  }
  // One request per refill interval (rounded up to whole milliseconds) never runs dry.
  const auto interval = std::chrono::milliseconds((seconds * 1000 + requests - 1) / requests);
  for (int i = 0; i < polite; ++i) {
    RC_ASSERT(limiter.Check("polite", route_class).allowed);
    RC_ASSERT(!limiter.Check("greedy", route_class).allowed || i > 0);
    clock.Advance(interval);
  }
}

// Property 30: Rate Limiting Enforcement
// The global bucket caps the sum over all clients, each of which is within its own quota.
RC_GTEST_PROP(GatewayLimiterProperty, GlobalBucketCapsAllClientsTogether, ()) {
  const auto global_burst = *rc::gen::inRange<std::int64_t>(1, 30).as("global burst");
  const auto clients = *rc::gen::inRange(1, 60).as("clients");
  auto settings = Unlimited();
  settings.global = RateSpec{1, 3600, global_burst};
  ManualClock clock(kStart);
  GatewayLimiter limiter(settings, clock);
  std::int64_t admitted = 0;
  for (int i = 0; i < clients; ++i) {
    const auto outcome = limiter.Check("client-" + std::to_string(i), RouteClass::kRead);
    if (outcome.allowed) {
      ++admitted;
    } else {
      RC_ASSERT(outcome.limited_by == "global");
      RC_ASSERT(!outcome.headers.retry_after.empty());
    }
  }
  RC_ASSERT(admitted == std::min<std::int64_t>(global_burst, clients));
}

// The fakes and one gateway, shared by the HTTP-level properties below.
struct Platform {
  explicit Platform(RateLimitSettings limits)
      : clock(SystemClock::Instance().Now()),
        provisioning(StartEchoProvisioning()),
        gateway(
            {{"access-control", ac.Url()}, {"provisioning", provisioning->Url()}},
            [limits](GatewayConfig& c) { c.rate_limits = limits; }, clock,
            [] {
              http::ServerConfig config;
              config.max_body_bytes = 4096;
              return config;
            }()) {}
  ManualClock clock;
  FakeAccessControl ac;
  std::unique_ptr<BackgroundServer> provisioning;
  GatewayUnderTest gateway;
  std::atomic<int> subjects{0};

  std::string Token(std::string_view role, const std::string& tenant = "ten_p") {
    // Long-lived: Property 30 moves the gateway's manual clock forward by minutes.
    return ac.Issue(IdentityWithRole("usr_" + std::to_string(++subjects), tenant, role), 4h);
  }
};

// Writes limited to 0.5/s with bursts of 3, for Property 30.
Platform& Throttled() {
  static Platform platform([] {
    auto limits = Unlimited();
    limits.writes = RateSpec{5, 10, 3};
    return limits;
  }());
  return platform;
}

// No practical limits, so properties about other denials see no 429.
Platform& Unthrottled() {
  static Platform platform(Unlimited());
  return platform;
}

// Property 30: Rate Limiting Enforcement
// End to end through the gateway: writes beyond the burst get 429 RESOURCE_EXHAUSTED with
// Retry-After; every response carries RateLimit-Policy and RateLimit; after the window the
// client is admitted again.
RC_GTEST_PROP(GatewayHttpProperty, OverLimitClientsGet429WithHeaders, ()) {
  auto& p = Throttled();
  const int burst_requests = *rc::gen::inRange(1, 7).as("requests at once");
  const auto token = p.Token("developer");
  for (int i = 0; i < burst_requests; ++i) {
    const auto r = p.gateway.Call(http::Method::kPost, "/v1/instances", Bearer(token), "{}");
    RC_ASSERT(r.Header("RateLimit-Policy").has_value());
    RC_ASSERT(r.Header("RateLimit").has_value());
    if (i < 3) {
      RC_ASSERT(r.status == 200);
    } else {
      RC_ASSERT(r.status == 429);
      RC_ASSERT(r.Json()["error"]["code"] == "RESOURCE_EXHAUSTED");
      RC_ASSERT(std::stoi(r.Header("Retry-After").value_or("0")) >= 1);
    }
  }
  p.clock.Advance(6s);  // burst / rate: the bucket is full again
  RC_ASSERT(p.gateway.Call(http::Method::kPost, "/v1/instances", Bearer(token), "{}").status ==
            200);
}

void AssertStandardError(const http::ClientResponse& r, int status, const std::string& code) {
  RC_ASSERT(r.status == status);
  const auto body = json::parse(r.body, nullptr, false);
  RC_ASSERT(body.is_object());
  RC_ASSERT(body.size() == 3U);
  const auto& error = body["error"];
  RC_ASSERT(error.is_object());
  RC_ASSERT(error["code"] == code);
  RC_ASSERT(error["message"].is_string());
  RC_ASSERT(!error["message"].get<std::string>().empty());
  RC_ASSERT(error["details"].is_array());
  RC_ASSERT(error["suggestions"].is_array());
  RC_ASSERT(body["request_id"].is_string());
  RC_ASSERT(body["request_id"] == r.Header("X-Request-Id").value_or(""));
  RC_ASSERT(body["timestamp"].is_string());
  RC_ASSERT(ParseRfc3339(body["timestamp"].get<std::string>()).has_value());
  RC_ASSERT(r.Header("Content-Type").value_or("").starts_with("application/json"));
}

// A concrete path for a table pattern: "{name}" segments become `id`.
std::string Concrete(std::string pattern, const std::string& id) {
  for (auto open = pattern.find('{'); open != std::string::npos; open = pattern.find('{')) {
    pattern.replace(open, pattern.find('}', open) - open + 1, id);
  }
  return pattern;
}

std::vector<std::string> ProtectedPatterns() {
  std::vector<std::string> out;
  for (const auto& pattern : RoutePatterns(DefaultPermissionTable())) {
    if (pattern != "/v1/auth/token" && pattern != "/v1/auth/revoke" &&
        pattern != "/.well-known/jwks.json") {
      out.push_back(pattern);
    }
  }
  return out;
}

// Property 31: Standardized Error Response Format
// Random bad requests — missing, garbage or tampered tokens, unknown routes, other API
// versions, wrong content types, oversized bodies — all get the standard error body with the
// right status.
RC_GTEST_PROP(GatewayHttpProperty, EveryErrorHasTheStandardBody, ()) {
  auto& p = Unthrottled();
  static const auto patterns = ProtectedPatterns();
  const auto path =
      Concrete(*rc::gen::elementOf(patterns), "x" + std::to_string(*rc::gen::inRange(0, 1000000)));
  const auto method = *rc::gen::element(http::Method::kGet, http::Method::kPost,
                                        http::Method::kPatch, http::Method::kDelete);
  const int kind = *rc::gen::inRange(0, 7).as("kind of bad request");
  const auto admin = p.Token("platform-admin", "");
  switch (kind) {
    case 0:
      AssertStandardError(p.gateway.Call(method, path), 401, "UNAUTHENTICATED");
      break;
    case 1: {
      const auto garbage = *rc::gen::container<std::string>(rc::gen::inRange('!', '~'));
      AssertStandardError(p.gateway.Call(method, path, Bearer("x" + garbage)), 401,
                          "UNAUTHENTICATED");
      break;
    }
    case 2: {
      auto tampered = admin;
      const auto at = *rc::gen::inRange<std::size_t>(0, tampered.size());
      tampered[at] = tampered[at] == 'a' ? 'b' : 'a';
      if (tampered[at] == '.' || at + 1 == tampered.size()) break;  // may still be valid base64
      AssertStandardError(p.gateway.Call(method, path, Bearer(tampered)), 401, "UNAUTHENTICATED");
      break;
    }
    case 3:
      AssertStandardError(
          p.gateway.Call(method, "/v1/no-such-thing" + path.substr(3), Bearer(admin)), 404,
          "NOT_FOUND");
      break;
    case 4: {
      const auto version = *rc::gen::element(0, 2, 3, 10);
      const auto r =
          p.gateway.Call(method, "/v" + std::to_string(version) + path.substr(3), Bearer(admin));
      AssertStandardError(r, 404, "NOT_FOUND");
      RC_ASSERT(r.Json()["error"]["suggestions"][0] == "use " + path);
      break;
    }
    case 5: {
      const auto type = *rc::gen::element(std::string("text/plain"), std::string("application/xml"),
                                          std::string("application/x-www-form-urlencoded"));
      const auto write = *rc::gen::element(http::Method::kPost, http::Method::kPatch);
      AssertStandardError(p.gateway.Call(write, path, Bearer(admin), "{\"a\":1}", type), 415,
                          "UNSUPPORTED_MEDIA_TYPE");
      break;
    }
    case 6:
      AssertStandardError(
          p.gateway.Call(http::Method::kPost, path, Bearer(admin), std::string(8192, ' ')), 413,
          "PAYLOAD_TOO_LARGE");
      break;
    default:
      AssertStandardError(p.gateway.Call(method, "/v1/auth/introspect", Bearer(admin), "{}"), 404,
                          "NOT_FOUND");
  }
}

// Property 21: Unauthorized Access Handling
// Random calls without credentials, with credentials that grant nothing, or by a viewer
// writing are all denied (401, 403, or 404 for a method the route does not have) and never
// reach a service. Auditing of denials is access-control's audit log, which the gateway does
// not feed yet.
RC_GTEST_PROP(GatewayHttpProperty, UnauthorizedCallsAreDenied, ()) {
  auto& p = Unthrottled();
  static const auto patterns = ProtectedPatterns();
  const auto path = Concrete(*rc::gen::elementOf(patterns), "y1");
  const auto who = *rc::gen::inRange(0, 3).as("0 anonymous, 1 no roles, 2 viewer writing");
  if (who == 0) {
    const auto method = *rc::gen::element(http::Method::kGet, http::Method::kPost,
                                          http::Method::kPut, http::Method::kDelete);
    AssertStandardError(p.gateway.Call(method, path), 401, "UNAUTHENTICATED");
    return;
  }
  const auto token = who == 1 ? p.Token("none") : p.Token("viewer");
  const auto method = who == 1 ? *rc::gen::element(http::Method::kGet, http::Method::kPost,
                                                   http::Method::kPatch, http::Method::kDelete)
                               : *rc::gen::element(http::Method::kPost, http::Method::kPatch,
                                                   http::Method::kDelete);
  const auto required = DefaultPermissionTable().Resolve(http::MethodName(method), path);
  const auto r = p.gateway.Call(method, path, Bearer(token), "{}");
  if (!required) {
    AssertStandardError(r, 404, "NOT_FOUND");
  } else if (who == 2 && required->action == "read") {
    RC_SUCCEED("a read-only override such as POST /v1/query is a read");
  } else {
    AssertStandardError(r, 403, "PERMISSION_DENIED");
  }
}

}  // namespace
}  // namespace dbaas::gateway::testing
