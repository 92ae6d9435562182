#include "dbaas/common/id.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace dbaas {
namespace {

TEST(Id, GeneratedIdsAreValidUniqueAndTimeOrdered) {
  std::set<std::string> seen;
  std::string previous;
  for (int i = 0; i < 2000; ++i) {
    auto id = TenantId::Generate();
    EXPECT_TRUE(IsValidId("ten", id.str())) << id.str();
    EXPECT_TRUE(seen.insert(id.str()).second);
    if (i % 500 == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      EXPECT_LT(previous, id.str());
      previous = id.str();
    }
  }
}

TEST(Id, ParseRejectsWrongPrefixAndCharacters) {
  const auto id = InstanceId::Generate();
  EXPECT_TRUE(InstanceId::Parse(id.str()).has_value());
  EXPECT_FALSE(TenantId::Parse(id.str()).has_value());
  EXPECT_FALSE(InstanceId::Parse("ins_").has_value());
  EXPECT_FALSE(InstanceId::Parse("ins_0123456789abcdefghjkmnpqri").has_value());  // 'i' excluded
  EXPECT_FALSE(InstanceId::Parse("ins_' OR 1=1 --xxxxxxxxxxxxxxxxx").has_value());
  EXPECT_FALSE(InstanceId::Parse("ins_8zzzzzzzzzzzzzzzzzzzzzzzzz").has_value());  // > 128 bits
}

}  // namespace
}  // namespace dbaas
