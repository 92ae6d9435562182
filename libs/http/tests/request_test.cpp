#include "dbaas/http/request.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dbaas/common/error.hpp"

namespace dbaas::http {
namespace {

TEST(Request, SplitsAndDecodesPathAndQuery) {
  Request r(Method::kGet, "/v1/a%20b?page_size=10&q=x+y%21&flag&q=second");
  EXPECT_EQ(r.Path(), "/v1/a b");
  EXPECT_EQ(r.RawPath(), "/v1/a%20b");
  EXPECT_EQ(r.Target(), "/v1/a%20b?page_size=10&q=x+y%21&flag&q=second");
  EXPECT_EQ(r.Query("page_size"), "10");
  EXPECT_EQ(r.Query("q"), "x y!");
  EXPECT_EQ(r.Query("flag"), "");
  EXPECT_EQ(r.Query("missing"), std::nullopt);
  EXPECT_EQ(r.MethodName(), "GET");
}

TEST(Request, RejectsMalformedTargets) {
  EXPECT_THROW(Request(Method::kGet, "http://example.com/x"), Error);
  EXPECT_THROW(Request(Method::kGet, "/bad%zz"), Error);
  EXPECT_THROW(Request(Method::kGet, "/bad%2"), Error);
  EXPECT_THROW(Request(Method::kGet, "/nul%00"), Error);
  EXPECT_THROW(Request(Method::kGet, "/x?q=%G1"), Error);
}

TEST(Request, HeadersAreCaseInsensitive) {
  Request r(Method::kGet, "/");
  r.AddHeader("X-Thing", "1");
  EXPECT_EQ(r.Header("x-thing"), "1");
  EXPECT_EQ(r.Header("X-THING"), "1");
  EXPECT_EQ(r.Header("X-Other"), std::nullopt);
}

TEST(Request, JsonRequiresAJsonContentType) {
  Request r(Method::kPost, "/");
  r.SetBody(R"({"a":1})");
  try {
    (void)r.Json();
    FAIL() << "expected UNSUPPORTED_MEDIA_TYPE";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kUnsupportedMediaType);
  }
  r.AddHeader("Content-Type", "Application/JSON; charset=utf-8");
  EXPECT_EQ(r.Json()["a"], 1);
  Request patch(Method::kPatch, "/");
  patch.AddHeader("Content-Type", "application/merge-patch+json");
  patch.SetBody("{}");
  EXPECT_TRUE(patch.Json().is_object());
  Request text(Method::kPost, "/");
  text.AddHeader("Content-Type", "text/plain");
  EXPECT_THROW((void)text.Json(), Error);
}

TEST(Request, MalformedJsonIsInvalidArgument) {
  Request r(Method::kPost, "/");
  r.AddHeader("Content-Type", "application/json");
  r.SetBody("{not json");
  try {
    (void)r.Json();
    FAIL() << "expected INVALID_ARGUMENT";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kInvalidArgument);
  }
}

TEST(PercentCoding, RoundTrips) {
  const std::string text = "a b/c?d=e&f%g~h";
  EXPECT_EQ(PercentDecode(PercentEncode(text)), text);
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
}

}  // namespace
}  // namespace dbaas::http
