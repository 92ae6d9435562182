#include "dbaas/http/pagination.hpp"

#include <gtest/gtest.h>

#include "dbaas/http/request.hpp"

namespace dbaas::http {
namespace {

bool AnyId(std::string_view id) { return !id.empty(); }

TEST(Pagination, TokenRoundTripsAndDefaultsApply) {
  std::vector<FieldViolation> problems;
  const auto first = ReadPageParams(Request(Method::kGet, "/v1/x"), "x1", AnyId, problems);
  EXPECT_EQ(first.page_size, 20U);
  EXPECT_FALSE(first.after_id);
  const std::string token = EncodePageToken("x1", std::string("id_42"));
  const auto next = ReadPageParams(Request(Method::kGet, "/v1/x?page_size=5&page_token=" + token),
                                   "x1", AnyId, problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(next.page_size, 5U);
  EXPECT_EQ(next.after_id, "id_42");
  EXPECT_EQ(EncodePageToken("x1", std::nullopt), "");
}

TEST(Pagination, ForeignTokensAndBadSizesAreReportedTogether) {
  std::vector<FieldViolation> problems;
  // A token of another kind of list, one with an id the list rejects, and garbage.
  for (const std::string& token : {EncodePageToken("y1", std::string("id_1")),
                                  EncodePageToken("x1", std::string("")), std::string("not!a~token")}) {
    problems.clear();
    ReadPageParams(Request(Method::kGet, "/v1/x?page_size=101&page_token=" + token), "x1", AnyId,
                   problems);
    ASSERT_EQ(problems.size(), 2U) << token;
    EXPECT_EQ(problems[0].field, "page_size");
    EXPECT_EQ(problems[1].field, "page_token");
  }
}

}  // namespace
}  // namespace dbaas::http
