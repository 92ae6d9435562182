#include "dbaas/http/router.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace dbaas::http {
namespace {

Handler Named(std::string name) {
  return [name](const Request&) { return Response::Text(200, name); };
}

std::string Call(const Router& router, Method method, const std::string& target) {
  Request req(method, target);
  return router.Dispatch(req).body;
}

TEST(Router, MatchesLiteralsAndCapturesDecodedParams) {
  Router r;
  r.Get("/v1/tenants/{id}/users/{user_id}", Named("user"));
  auto m = r.Match(Method::kGet, "/v1/tenants/ten%201/users/u2");
  ASSERT_EQ(m.outcome, RouteMatch::Outcome::kMatched);
  EXPECT_EQ(m.pattern, "/v1/tenants/{id}/users/{user_id}");
  ASSERT_EQ(m.params.size(), 2u);
  EXPECT_EQ(m.params[0], (std::pair<std::string, std::string>{"id", "ten 1"}));
  EXPECT_EQ(m.params[1], (std::pair<std::string, std::string>{"user_id", "u2"}));
}

TEST(Router, DispatchSetsPathParamsOnTheRequest) {
  Router r;
  r.Get("/v1/x/{id}", [](const Request& req) {
    return Response::Text(200, req.PathParam("id") + "|" + req.RoutePattern());
  });
  EXPECT_EQ(Call(r, Method::kGet, "/v1/x/a%2Fb"), "a/b|/v1/x/{id}");
}

TEST(Router, LiteralBeatsSuffixedParamBeatsParam) {
  Router r;
  r.Post("/v1/keys/{id}", Named("param"));
  r.Post("/v1/keys/{id}:verify", Named("suffix"));
  r.Post("/v1/keys/rotate", Named("literal"));
  EXPECT_EQ(Call(r, Method::kPost, "/v1/keys/rotate"), "literal");
  EXPECT_EQ(Call(r, Method::kPost, "/v1/keys/k1:verify"), "suffix");
  EXPECT_EQ(Call(r, Method::kPost, "/v1/keys/k1"), "param");
  EXPECT_EQ(Call(r, Method::kPost, "/v1/keys/:verify"), "param");  // suffix needs a non-empty id
}

TEST(Router, SuffixedParamCapturesWithoutTheSuffix) {
  Router r;
  r.Post("/v1/keys/{id}:verify", [](const Request& req) {
    return Response::Text(200, req.PathParam("id"));
  });
  EXPECT_EQ(Call(r, Method::kPost, "/v1/keys/k1:verify"), "k1");
}

TEST(Router, EarlierLiteralSegmentWins) {
  Router r;
  r.Get("/v1/{a}/b", Named("param-first"));
  r.Get("/v1/a/{b}", Named("literal-first"));
  EXPECT_EQ(Call(r, Method::kGet, "/v1/a/b"), "literal-first");
}

TEST(Router, TrailingSlashIsSignificantAndSuggested) {
  Router r;
  r.Get("/v1/tenants", Named("list"));
  EXPECT_EQ(r.Match(Method::kGet, "/v1/tenants/").outcome, RouteMatch::Outcome::kNotFound);
  Request req(Method::kGet, "/v1/tenants/");
  try {
    r.Dispatch(req);
    FAIL() << "expected NOT_FOUND";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kNotFound);
    ASSERT_EQ(e.Suggestions().size(), 1u);
    EXPECT_NE(e.Suggestions()[0].find("/v1/tenants"), std::string::npos);
  }
}

TEST(Router, EmptySegmentsNeverMatchParams) {
  Router r;
  r.Get("/v1/x/{id}", Named("x"));
  EXPECT_EQ(r.Match(Method::kGet, "/v1/x/").outcome, RouteMatch::Outcome::kNotFound);
  EXPECT_EQ(r.Match(Method::kGet, "/v1//x").outcome, RouteMatch::Outcome::kNotFound);
}

TEST(Router, UnknownPathIs404KnownPathWrongMethodIs405WithAllow) {
  Router r;
  r.Get("/v1/x/{id}", Named("get"));
  r.Delete("/v1/x/{id}", Named("delete"));
  EXPECT_EQ(r.Match(Method::kGet, "/v1/nope").outcome, RouteMatch::Outcome::kNotFound);
  auto m = r.Match(Method::kPost, "/v1/x/1");
  ASSERT_EQ(m.outcome, RouteMatch::Outcome::kMethodNotAllowed);
  EXPECT_EQ(m.AllowHeader(), "GET, HEAD, DELETE");
  Request req(Method::kPost, "/v1/x/1");
  try {
    r.Dispatch(req);
    FAIL() << "expected METHOD_NOT_ALLOWED";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kMethodNotAllowed);
  }
}

TEST(Router, HeadFallsBackToGetUnlessHeadIsRouted) {
  Router r;
  r.Get("/a", Named("get"));
  r.Get("/b", Named("get"));
  r.Add(Method::kHead, "/b", Named("head"));
  EXPECT_EQ(Call(r, Method::kHead, "/a"), "get");
  EXPECT_EQ(Call(r, Method::kHead, "/b"), "head");
}

TEST(Router, RootPattern) {
  Router r;
  r.Get("/", Named("root"));
  EXPECT_EQ(Call(r, Method::kGet, "/"), "root");
  EXPECT_EQ(r.Match(Method::kGet, "/x").outcome, RouteMatch::Outcome::kNotFound);
}

TEST(Router, RejectsBadPatternsAndDuplicates) {
  Router r;
  EXPECT_THROW(r.Get("v1/x", Named("x")), std::invalid_argument);
  EXPECT_THROW(r.Get("/v1//x", Named("x")), std::invalid_argument);
  EXPECT_THROW(r.Get("/v1/{id", Named("x")), std::invalid_argument);
  EXPECT_THROW(r.Get("/v1/{}", Named("x")), std::invalid_argument);
  EXPECT_THROW(r.Get("/v1/a{id}", Named("x")), std::invalid_argument);
  r.Get("/v1/{id}", Named("x"));
  EXPECT_THROW(r.Get("/v1/{other}", Named("x")), std::invalid_argument);
  EXPECT_NO_THROW(r.Post("/v1/{id}", Named("x")));
}

TEST(Router, NonBlockingOptionIsReported) {
  Router r;
  r.Get("/fast", Named("f"), {.non_blocking = true});
  r.Get("/slow", Named("s"));
  EXPECT_TRUE(r.Match(Method::kGet, "/fast").options.non_blocking);
  EXPECT_FALSE(r.Match(Method::kGet, "/slow").options.non_blocking);
}

}  // namespace
}  // namespace dbaas::http
