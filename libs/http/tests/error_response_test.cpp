#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dbaas/common/clock.hpp"
#include "dbaas/http/response.hpp"

namespace dbaas::http {
namespace {

struct Case {
  ErrorCode code;
  int status;
  const char* name;
};

TEST(ErrorResponse, EveryCodeMapsToItsStatusAndTheStandardBody) {
  const Case cases[] = {
      {ErrorCode::kInvalidArgument, 400, "INVALID_ARGUMENT"},
      {ErrorCode::kUnauthenticated, 401, "UNAUTHENTICATED"},
      {ErrorCode::kPermissionDenied, 403, "PERMISSION_DENIED"},
      {ErrorCode::kNotFound, 404, "NOT_FOUND"},
      {ErrorCode::kAlreadyExists, 409, "ALREADY_EXISTS"},
      {ErrorCode::kFailedPrecondition, 409, "FAILED_PRECONDITION"},
      {ErrorCode::kResourceExhausted, 429, "RESOURCE_EXHAUSTED"},
      {ErrorCode::kUnavailable, 503, "UNAVAILABLE"},
      {ErrorCode::kDeadlineExceeded, 504, "DEADLINE_EXCEEDED"},
      {ErrorCode::kInternal, 500, "INTERNAL"},
      {ErrorCode::kMethodNotAllowed, 405, "METHOD_NOT_ALLOWED"},
      {ErrorCode::kPayloadTooLarge, 413, "PAYLOAD_TOO_LARGE"},
      {ErrorCode::kUnsupportedMediaType, 415, "UNSUPPORTED_MEDIA_TYPE"},
      {ErrorCode::kAborted, 412, "ABORTED"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto res = ErrorResponse(Error(c.code, "something happened"), "req_1");
    EXPECT_EQ(res.status, c.status);
    EXPECT_EQ(res.headers.Get("Content-Type"), "application/json");
    EXPECT_EQ(res.headers.Get("Cache-Control"), "no-store");
    auto body = nlohmann::json::parse(res.body);
    ASSERT_EQ(body.size(), 3u) << body;
    EXPECT_EQ(body["error"]["code"], c.name);
    EXPECT_EQ(body["error"]["message"], "something happened");
    EXPECT_EQ(body["error"]["details"], nlohmann::json::array());
    EXPECT_EQ(body["error"]["suggestions"], nlohmann::json::array());
    EXPECT_EQ(body["error"].size(), 4u);
    EXPECT_EQ(body["request_id"], "req_1");
    EXPECT_TRUE(ParseRfc3339(body["timestamp"].get<std::string>()).has_value());
  }
}

TEST(ErrorResponse, CarriesDetailsAndSuggestions) {
  Error e(ErrorCode::kInvalidArgument, "invalid request",
          {{"name", "must not be empty"}, {"size", "unknown size"}}, {"see GET /v1/instance-sizes"});
  const auto body = nlohmann::json::parse(ErrorBody(e, "req_2"));
  EXPECT_EQ(body["error"]["details"],
            nlohmann::json::parse(R"([{"field":"name","issue":"must not be empty"},
                                      {"field":"size","issue":"unknown size"}])"));
  EXPECT_EQ(body["error"]["suggestions"], nlohmann::json::parse(R"(["see GET /v1/instance-sizes"])"));
}

TEST(ErrorResponse, InvalidUtf8InAMessageDoesNotThrow) {
  Error e(ErrorCode::kNotFound, std::string("no route for /\xff\xfe"));
  EXPECT_NO_THROW(nlohmann::json::parse(ErrorBody(e, "req_3")));
}

TEST(Response, FactoriesSetStatusAndContentType) {
  EXPECT_EQ(Response::Ok({{"a", 1}}).status, 200);
  EXPECT_EQ(Response::Created({{"a", 1}}).status, 201);
  auto accepted = Response::Accepted({{"a", 1}});
  EXPECT_EQ(accepted.status, 202);
  EXPECT_EQ(accepted.body, R"({"a":1})");
  EXPECT_EQ(accepted.headers.Get("content-type"), "application/json");
  EXPECT_EQ(Response::NoContent().status, 204);
  EXPECT_TRUE(Response::NoContent().body.empty());
  auto text = Response::Text(418, "teapot");
  EXPECT_EQ(text.headers.Get("Content-Type"), "text/plain; charset=utf-8");
  text.SetHeader("content-type", "text/html");
  EXPECT_EQ(text.headers.Fields().size(), 1u);
}

}  // namespace
}  // namespace dbaas::http
