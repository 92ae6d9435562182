#include "dbaas/auth/jwks.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "dbaas/common/crypto.hpp"

namespace dbaas::auth {
namespace {

TEST(JwksTest, SerialiseAndParseRoundTrip) {
  const SigningKey ec = SigningKey::GenerateEs256("ec-1");
  const SigningKey rsa = SigningKey::GenerateRs256(2048, "rsa-1");
  const JwkSet set({ec.Public(), rsa.Public()});

  const auto doc = nlohmann::json::parse(set.Serialize());
  ASSERT_EQ(doc.at("keys").size(), 2U);
  const auto& ec_jwk = doc["keys"][0];
  EXPECT_EQ(ec_jwk["kty"], "EC");
  EXPECT_EQ(ec_jwk["crv"], "P-256");
  EXPECT_EQ(ec_jwk["kid"], "ec-1");
  EXPECT_EQ(ec_jwk["use"], "sig");
  EXPECT_EQ(ec_jwk["alg"], "ES256");
  EXPECT_EQ(crypto::Base64UrlDecode(ec_jwk["x"].get<std::string>()).size(), 32U);
  EXPECT_EQ(crypto::Base64UrlDecode(ec_jwk["y"].get<std::string>()).size(), 32U);
  EXPECT_FALSE(ec_jwk.contains("d"));
  const auto& rsa_jwk = doc["keys"][1];
  EXPECT_EQ(rsa_jwk["kty"], "RSA");
  EXPECT_EQ(rsa_jwk["alg"], "RS256");
  EXPECT_EQ(rsa_jwk["e"], "AQAB");
  EXPECT_EQ(crypto::Base64UrlDecode(rsa_jwk["n"].get<std::string>()).size(), 256U);
  EXPECT_FALSE(rsa_jwk.contains("d"));

  const JwkSet parsed = JwkSet::Parse(set.Serialize());
  ASSERT_EQ(parsed.Keys().size(), 2U);
  EXPECT_EQ(parsed.ToJson(), set.ToJson());
  ASSERT_NE(parsed.Find("rsa-1"), nullptr);
  EXPECT_EQ(parsed.Find("rsa-1")->Type(), KeyType::kRsa);
  EXPECT_EQ(parsed.Find("ec-1")->Thumbprint(), ec.Public().Thumbprint());
  EXPECT_EQ(parsed.Find("missing"), nullptr);
}

TEST(JwksTest, SkipsKeysItCannotVerifyWith) {
  nlohmann::json doc = JwkSet({SigningKey::GenerateEs256("ok").Public()}).ToJson();
  doc["keys"].push_back({{"kty", "oct"}, {"k", "c2VjcmV0"}, {"kid", "hmac"}});
  doc["keys"].push_back({{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "AAAA"}, {"kid", "ed"}});
  doc["keys"].push_back(
      {{"kty", "EC"}, {"crv", "P-384"}, {"x", "AA"}, {"y", "AA"}, {"kid", "p384"}});
  auto enc = SigningKey::GenerateRs256(2048, "enc").PublicJwk();
  enc["use"] = "enc";
  enc.erase("alg");
  doc["keys"].push_back(enc);
  auto no_kid = SigningKey::GenerateEs256().PublicJwk();
  no_kid.erase("kid");
  doc["keys"].push_back(no_kid);

  const JwkSet set = JwkSet::FromJson(doc);
  ASSERT_EQ(set.Keys().size(), 1U);
  EXPECT_EQ(set.Keys().front().Kid(), "ok");
}

TEST(JwksTest, RejectsMalformedDocumentsAndKeys) {
  EXPECT_THROW(JwkSet::Parse("not json"), Error);
  EXPECT_THROW(JwkSet::Parse(R"({"keys":{}})"), Error);
  EXPECT_THROW(JwkSet::Parse("[]"), Error);

  auto jwk = SigningKey::GenerateEs256("k").PublicJwk();
  auto short_x = jwk;
  short_x["x"] = crypto::Base64UrlEncode(std::string(31, 'a'));
  EXPECT_THROW(PublicKey::FromJwk(short_x), Error);
  auto off_curve = jwk;
  off_curve["y"] = crypto::Base64UrlEncode(std::string(32, '\x01'));
  EXPECT_THROW(PublicKey::FromJwk(off_curve), Error);
  auto wrong_alg = jwk;
  wrong_alg["alg"] = "RS256";
  EXPECT_THROW(PublicKey::FromJwk(wrong_alg), Error);
  nlohmann::json weak_rsa = {{"kty", "RSA"},
                             {"kid", "w"},
                             {"n", crypto::Base64UrlEncode(std::string(128, '\xff'))},
                             {"e", "AQAB"}};
  EXPECT_THROW(PublicKey::FromJwk(weak_rsa), Error);

  nlohmann::json doc = {{"keys", {short_x}}};
  EXPECT_THROW(JwkSet::FromJson(doc), Error);
}

TEST(JwksTest, RejectsDuplicateKids) {
  const auto a = SigningKey::GenerateEs256("same").Public();
  const auto b = SigningKey::GenerateEs256("same").Public();
  EXPECT_THROW(JwkSet({a, b}), Error);
}

TEST(JwksTest, PemAndJwkDescribeTheSameKey) {
  const SigningKey key = SigningKey::GenerateEs256("k");
  const PublicKey from_pem = PublicKey::FromPem(key.Public().ToPem(), "k");
  EXPECT_EQ(from_pem.ToJwk(), key.PublicJwk());
  EXPECT_EQ(PublicKey::FromJwk(key.PublicJwk()).Thumbprint(), key.Public().Thumbprint());
}

}  // namespace
}  // namespace dbaas::auth
