#include <gtest/gtest.h>

#include <set>

#include "dbaas/common/crypto.hpp"
#include "dbaas/engines/password.hpp"

namespace dbaas::engines {
namespace {

TEST(Password, GeneratedPasswordsAreAlphanumericAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const auto pw = GeneratePassword();
    ASSERT_EQ(pw.size(), 32U);
    for (char c : pw) ASSERT_TRUE(std::isalnum(static_cast<unsigned char>(c)));
    EXPECT_TRUE(seen.insert(pw).second);
    EXPECT_NO_THROW(ValidatePassword(pw));
  }
}

TEST(Password, ValidationNeverEchoesTheValue) {
  try {
    ValidatePassword("short");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(std::string(e.what()).find("short"), std::string::npos);
  }
  EXPECT_THROW(ValidatePassword("has space inside"), Error);
}

TEST(Password, MysqlNativeHashMatchesTheServer) {
  // SELECT PASSWORD('secret') on MariaDB 10.11.
  EXPECT_EQ(MysqlNativePasswordHash("secret"), "*14E65567ABDB5135D0CFD9A70B3032C179A49EE7");
}

TEST(Password, ScramVerifierHasPostgresFormat) {
  const auto v = PostgresScramVerifier("pencil", std::string("0123456789abcdef"), 4096);
  EXPECT_EQ(v.rfind("SCRAM-SHA-256$4096:" + crypto::Base64Encode("0123456789abcdef") + "$", 0), 0U);
  EXPECT_NE(PostgresScramVerifier("pencil"), PostgresScramVerifier("pencil"));  // fresh salt
}

}  // namespace
}  // namespace dbaas::engines
