#include "dbaas/common/json.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace dbaas::json {
namespace {

TEST(JsonParse, MalformedBodyIsInvalidArgumentWithOffset) {
  try {
    Parse("{\"a\": ");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kInvalidArgument);
    ASSERT_FALSE(e.Details().empty());
    EXPECT_EQ(e.Details()[0].field, "body");
  }
  EXPECT_EQ(Parse("{\"a\":1}")["a"], 1);
}

TEST(JsonReader, CollectsEveryViolation) {
  const auto body = nlohmann::json::parse(
      R"({"name":"","size":12,"count":-3,"flag":1,"extra":true,"limits":{}})");
  Reader r(body);
  r.String("name", true, 1, 63);
  r.String("size", true);
  r.Int("count", true, 0, 10);
  r.Bool("flag", false);
  r.String("missing", true);
  r.RejectUnknown({"name", "size", "count", "flag", "missing", "limits"});
  ASSERT_EQ(r.Violations().size(), 6U);
  try {
    r.Finish("tenant");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(e.Details().size(), 6U);
    EXPECT_NE(std::string(e.what()).find("missing is required"), std::string::npos);
  }
}

TEST(JsonReader, NestedPathsAndNonObjects) {
  const auto body = nlohmann::json::parse(R"({"limits":{"max_instances":100000}})");
  Reader nested(body["limits"], "limits");
  nested.Int("max_instances", true, 0, 1000);
  ASSERT_EQ(nested.Violations().size(), 1U);
  EXPECT_EQ(nested.Violations()[0].field, "limits.max_instances");

  Reader array(nlohmann::json::array());
  EXPECT_FALSE(array.Ok());
  EXPECT_EQ(array.Violations()[0].issue, "must be a JSON object");
}

}  // namespace
}  // namespace dbaas::json
