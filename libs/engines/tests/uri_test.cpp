#include <gtest/gtest.h>

#include "dbaas/engines/uri.hpp"

namespace dbaas::engines {
namespace {

TEST(Uri, PercentEncodesUserPasswordAndDatabase) {
  EXPECT_EQ(PercentEncode("a b/c@d:e%"), "a%20b%2Fc%40d%3Ae%25");
  EXPECT_EQ(ConnectionUri(Engine::kPostgresql,
                          {"127.0.0.1", 5433, "app", "p@ss:w/rd?", "app_db", "require"}),
            "postgresql://app:p%40ss%3Aw%2Frd%3F@127.0.0.1:5433/app_db?sslmode=require");
  EXPECT_EQ(ConnectionUri(Engine::kMysql, {"::1", 3307, "app", "", "shop", ""}),
            "mysql://app@[::1]:3307/shop");
}

}  // namespace
}  // namespace dbaas::engines
