#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "dbaas/common/clock.hpp"
#include "dbaas/common/log.hpp"
#include "dbaas/http/client.hpp"
#include "test_server.hpp"

namespace dbaas::http {
namespace {

constexpr std::size_t kMaxBody = 4096;

testing::TestServer& SharedServer() {
  static testing::TestServer server = [] {
    // The logger must be created before this static server so it is destroyed after it.
    log::Init("http-prop-test", log::Level::kWarn);
    Router router;
    router.Post("/v1/items", [](const Request& req) { return Response::Created(req.Json()); });
    router.Get("/v1/items/{id}", [](const Request& req) {
      return Response::Ok({{"id", req.PathParam("id")}});
    });
    ServerConfig config;
    config.max_body_bytes = kMaxBody;
    config.handler_threads = 2;
    return testing::TestServer(std::move(router), config);
  }();
  return server;
}

Client& SharedClient() {
  static Client client([] {
    ClientConfig c;
    c.max_attempts = 1;
    c.breaker.failure_threshold = 1000000;
    return c;
  }());
  return client;
}

ClientResponse Send(Method method, std::string target, std::string body = {},
                    std::string content_type = {}) {
  ClientRequest req;
  req.method = method;
  req.host = "127.0.0.1";
  req.port = SharedServer().Port();
  req.target = std::move(target);
  req.body = std::move(body);
  if (!content_type.empty()) req.headers.Set("Content-Type", content_type);
  return SharedClient().Send(std::move(req));
}

void AssertStandardError(const ClientResponse& res, int status, std::string_view code) {
  RC_ASSERT(res.status == status);
  RC_ASSERT(res.Header("Content-Type") == std::optional<std::string>("application/json"));
  RC_ASSERT(res.Header("Cache-Control") == std::optional<std::string>("no-store"));
  const auto body = nlohmann::json::parse(res.body);
  RC_ASSERT(body.is_object());
  RC_ASSERT(body.size() == 3u);
  const auto& error = body.at("error");
  RC_ASSERT(error.at("code") == code);
  RC_ASSERT(error.at("message").is_string());
  RC_ASSERT(!error.at("message").get<std::string>().empty());
  RC_ASSERT(error.at("details").is_array());
  RC_ASSERT(error.at("suggestions").is_array());
  RC_ASSERT(body.at("request_id").is_string());
  RC_ASSERT(body.at("request_id") == res.Header("X-Request-Id").value_or(""));
  RC_ASSERT(ParseRfc3339(body.at("timestamp").get<std::string>()).has_value());
}

void AssertStillServing() { RC_ASSERT(Send(Method::kGet, "/livez").status == 200); }

std::string PathSegment() {
  return *rc::gen::nonEmpty(rc::gen::container<std::string>(
      rc::gen::oneOf(rc::gen::inRange('a', 'z'), rc::gen::inRange('0', '9'),
                     rc::gen::element('-', '_', '.', '~'))));
}

// Property 31: Standardized Error Response Format
RC_GTEST_PROP(ServerErrors, MalformedJsonIs400, ()) {
  auto body = *rc::gen::container<std::string>(rc::gen::inRange<char>(1, 127));
  RC_PRE(!nlohmann::json::accept(body));
  AssertStandardError(Send(Method::kPost, "/v1/items", body, "application/json"), 400,
                      "INVALID_ARGUMENT");
  AssertStillServing();
}

// Property 31: Standardized Error Response Format
RC_GTEST_PROP(ServerErrors, UnknownPathIs404, ()) {
  const auto segments = *rc::gen::nonEmpty(rc::gen::container<std::vector<std::string>>(
      rc::gen::exec(PathSegment)));
  std::string path = "/zz";
  for (const auto& s : segments) path += "/" + s;
  AssertStandardError(Send(Method::kGet, path), 404, "NOT_FOUND");
  AssertStillServing();
}

// Property 31: Standardized Error Response Format
RC_GTEST_PROP(ServerErrors, WrongMethodIs405WithAllow, ()) {
  const auto method = *rc::gen::element(Method::kPut, Method::kPatch, Method::kDelete);
  const auto res = Send(method, "/v1/items/" + PathSegment());
  AssertStandardError(res, 405, "METHOD_NOT_ALLOWED");
  RC_ASSERT(res.Header("Allow") == std::optional<std::string>("GET, HEAD"));
  AssertStillServing();
}

// Property 31: Standardized Error Response Format
RC_GTEST_PROP(ServerErrors, BodyAboveLimitIs413, ()) {
  const auto extra = *rc::gen::inRange<std::size_t>(1, 3 * kMaxBody);
  const std::string body(kMaxBody + extra, 'x');
  AssertStandardError(Send(Method::kPost, "/v1/items", body, "application/json"), 413,
                      "PAYLOAD_TOO_LARGE");
  AssertStillServing();
}

// Property 31: Standardized Error Response Format
RC_GTEST_PROP(ServerErrors, NonJsonContentTypeIs415, ()) {
  const auto type = *rc::gen::element<std::string>("text/plain", "application/xml",
                                                    "application/x-www-form-urlencoded",
                                                    "multipart/form-data; boundary=x", "");
  AssertStandardError(Send(Method::kPost, "/v1/items", R"({"a":1})", type), 415,
                      "UNSUPPORTED_MEDIA_TYPE");
  AssertStillServing();
}

// Property 31: Standardized Error Response Format
RC_GTEST_PROP(ServerErrors, ValidJsonIsAccepted, (int value)) {
  const auto res = Send(Method::kPost, "/v1/items", nlohmann::json{{"v", value}}.dump(),
                        "application/json");
  RC_ASSERT(res.status == 201);
  RC_ASSERT(res.Json().at("v") == value);
}

}  // namespace
}  // namespace dbaas::http
