#include <gtest/gtest.h>

#include "dbaas/store/store.hpp"

namespace dbaas::store {
namespace {

ErrorCode CodeOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.Code();
  }
  return ErrorCode::kMethodNotAllowed;
}

TEST(Row, ReadsValuesByIndexAndName) {
  const Row row({"id", "name", "active", "note"}, {"42", "alpha", "t", std::nullopt});
  EXPECT_EQ(row.Size(), 4u);
  EXPECT_EQ(row.Get(1), "alpha");
  EXPECT_EQ(row.Get("name"), "alpha");
  EXPECT_EQ(row.GetInt("id"), 42);
  EXPECT_TRUE(row.GetBool("active"));
  EXPECT_TRUE(row.IsNull(3));
  EXPECT_EQ(row.Optional("note"), std::nullopt);
  EXPECT_EQ(row.Optional("name"), Param("alpha"));
}

TEST(Row, NullUnknownAndMalformedValuesAreInternalErrors) {
  const Row row({"n", "b", "x"}, {"12a", "yes", std::nullopt});
  EXPECT_EQ(CodeOf([&] { row.Get("x"); }), ErrorCode::kInternal);
  EXPECT_EQ(CodeOf([&] { row.Get(7); }), ErrorCode::kInternal);
  EXPECT_EQ(CodeOf([&] { row.Get("nope"); }), ErrorCode::kInternal);
  EXPECT_EQ(CodeOf([&] { row.GetInt("n"); }), ErrorCode::kInternal);
  EXPECT_EQ(CodeOf([&] { row.GetBool("b"); }), ErrorCode::kInternal);
  EXPECT_EQ(CodeOf([&] { row.GetInt("x"); }), ErrorCode::kInternal);
}

TEST(Row, GetIntCoversTheInt64Range) {
  const Row row({"min", "max"}, {"-9223372036854775808", "9223372036854775807"});
  EXPECT_EQ(row.GetInt("min"), INT64_MIN);
  EXPECT_EQ(row.GetInt("max"), INT64_MAX);
}

TEST(Result, IteratesRowsSharingColumnNames) {
  auto names = std::make_shared<const std::vector<std::string>>(std::vector<std::string>{"v"});
  Result result({Row(names, {"1"}), Row(names, {"2"})}, 2);
  EXPECT_FALSE(result.Empty());
  EXPECT_EQ(result.Size(), 2u);
  EXPECT_EQ(result.Affected(), 2);
  std::int64_t sum = 0;
  for (const auto& row : result) sum += row.GetInt("v");
  EXPECT_EQ(sum, 3);
  EXPECT_EQ(&result[0].Names(), &result[1].Names());
  EXPECT_THROW(result[2], std::out_of_range);
  EXPECT_TRUE(Result().Empty());
}

}  // namespace
}  // namespace dbaas::store
