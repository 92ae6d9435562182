#include "dbaas/auth/route_table.hpp"

#include <gtest/gtest.h>

namespace dbaas::auth {
namespace {

TEST(RouteTableTest, MethodsMapToActions) {
  EXPECT_EQ(ActionForMethod("GET"), "read");
  EXPECT_EQ(ActionForMethod("HEAD"), "read");
  EXPECT_EQ(ActionForMethod("POST"), "create");
  EXPECT_EQ(ActionForMethod("PUT"), "update");
  EXPECT_EQ(ActionForMethod("PATCH"), "update");
  EXPECT_EQ(ActionForMethod("DELETE"), "delete");
  EXPECT_EQ(ActionForMethod("OPTIONS"), "");
  EXPECT_EQ(ActionForMethod("get"), "");
}

RouteTable Table() {
  RouteTable table;
  table.AddCollection("/v1/instances", "instances");
  table.Add({"*", "/v1/instances/{id}/backups", "backups", ""});
  table.Add({"POST", "/v1/instances/{id}/restart", "instances", "update"});
  table.Add({"POST", "/v1/instances/{id}/{verb}", "instances", "update"});
  table.Add({"GET", "/v1/instances/{id}/credentials", "credentials", ""});
  table.Add({"GET", "/v1/audit-events:verify", "audit-events", "read"});
  return table;
}

TEST(RouteTableTest, ResolvesByPatternAndMethod) {
  const RouteTable table = Table();
  auto got = table.Resolve("GET", "/v1/instances");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->resource, "instances");
  EXPECT_EQ(got->action, "read");

  got = table.Resolve("DELETE", "/v1/instances/ins_1");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->action, "delete");
  ASSERT_EQ(got->params.size(), 1U);
  EXPECT_EQ(got->params[0], (std::pair<std::string, std::string>{"id", "ins_1"}));

  got = table.Resolve("POST", "/v1/instances/ins_1/backups");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->resource, "backups");
  EXPECT_EQ(got->action, "create");

  got = table.Resolve("GET", "/v1/audit-events:verify");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->resource, "audit-events");
}

TEST(RouteTableTest, OverridesWinOverGenericRoutes) {
  const RouteTable table = Table();
  auto got = table.Resolve("POST", "/v1/instances/ins_1/restart");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->resource, "instances");
  EXPECT_EQ(got->action, "update");
  got = table.Resolve("GET", "/v1/instances/ins_1/credentials");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->resource, "credentials");
  EXPECT_EQ(got->action, "read");
}

TEST(RouteTableTest, CustomMethodsBeatParametersAndLoseToLiterals) {
  RouteTable table;
  table.AddCollection("/v1/users", "users");
  table.Add({"POST", "/v1/users/{id}:unlock", "users", "update"});
  table.Add({"GET", "/v1/users:search", "users", "read"});
  auto got = table.Resolve("POST", "/v1/users/usr_1:unlock");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->action, "update");
  EXPECT_EQ(got->params, (std::vector<std::pair<std::string, std::string>>{{"id", "usr_1"}}));
  // A bare suffix names no resource, and a plain id still resolves to the collection rules.
  got = table.Resolve("POST", "/v1/users/:unlock");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->action, "create");
  got = table.Resolve("GET", "/v1/users:search");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->action, "read");
  EXPECT_TRUE(got->params.empty());
}

TEST(RouteTableTest, DeniesByDefault) {
  const RouteTable table = Table();
  EXPECT_FALSE(table.Resolve("GET", "/v1/secrets"));
  EXPECT_FALSE(table.Resolve("GET", "/v1/instances/ins_1/credentials/extra"));
  EXPECT_FALSE(table.Resolve("GET", "/v1/instances//credentials"));
  EXPECT_FALSE(table.Resolve("OPTIONS", "/v1/instances"));
}

TEST(RouteTableTest, RejectsInvalidRoutes) {
  RouteTable table;
  EXPECT_THROW(table.Add({"GET", "v1/instances", "instances", ""}), Error);
  EXPECT_THROW(table.Add({"GET", "/v1/instances", "*", ""}), Error);
  EXPECT_THROW(table.Add({"GET", "/v1/instances", "instances", "destroy"}), Error);
  EXPECT_TRUE(table.Routes().empty());
}

}  // namespace
}  // namespace dbaas::auth
