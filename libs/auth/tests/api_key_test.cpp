#include "dbaas/auth/api_key.hpp"

#include <gtest/gtest.h>

#include <set>

namespace dbaas::auth {
namespace {

TEST(ApiKeyTest, GeneratedKeysHaveTheDocumentedShape) {
  const ApiKey key = GenerateApiKey();
  EXPECT_EQ(key.key.rfind("dbaas_", 0), 0U);
  EXPECT_EQ(key.prefix.size(), kApiKeyPrefixLength);
  EXPECT_EQ(key.secret.size(), kApiKeySecretLength);
  EXPECT_EQ(key.key, "dbaas_" + key.prefix + "_" + key.secret);
  const auto parsed = ParseApiKey(key.key);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->prefix, key.prefix);
  EXPECT_EQ(parsed->secret, key.secret);
}

TEST(ApiKeyTest, KeysAreUnique) {
  std::set<std::string> prefixes;
  std::set<std::string> keys;
  for (int i = 0; i < 1000; ++i) {
    const ApiKey key = GenerateApiKey();
    prefixes.insert(key.prefix);
    keys.insert(key.key);
  }
  EXPECT_EQ(keys.size(), 1000U);
  EXPECT_EQ(prefixes.size(), 1000U);
}

TEST(ApiKeyTest, ParseRejectsAnythingElse) {
  const std::string key = GenerateApiKey().key;
  EXPECT_FALSE(ParseApiKey(""));
  EXPECT_FALSE(ParseApiKey(key + "x"));
  EXPECT_FALSE(ParseApiKey(key.substr(1)));
  EXPECT_FALSE(ParseApiKey("xbaas" + key.substr(5)));
  std::string bad = key;
  bad[10] = '-';
  EXPECT_FALSE(ParseApiKey(bad));
  bad = key;
  bad[14] = 'x';  // the separator after the prefix
  EXPECT_FALSE(ParseApiKey(bad));
}

TEST(ApiKeyTest, HashVerifiesOnlyTheSameKey) {
  const ApiKey key = GenerateApiKey();
  const std::string stored = HashApiKey(key.key);
  EXPECT_EQ(stored.size(), 64U);
  EXPECT_EQ(stored.find(key.secret), std::string::npos);
  EXPECT_TRUE(VerifyApiKey(key.key, stored));
  std::string other = key.key;
  other.back() = other.back() == 'a' ? 'b' : 'a';
  EXPECT_FALSE(VerifyApiKey(other, stored));
  EXPECT_FALSE(VerifyApiKey(key.key, ""));
}

}  // namespace
}  // namespace dbaas::auth
