#include "dbaas/auth/jwt.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "dbaas/auth/jwks.hpp"
#include "dbaas/common/crypto.hpp"
#include "test_tokens.hpp"

namespace dbaas::auth {
namespace {

using namespace test;

class JwtTest : public ::testing::Test {
 protected:
  JwtTest() : clock_(At(kNow)), es_(SigningKey::GenerateEs256("es-1")), keys_({es_.Public()}) {}

  Verifier MakeVerifier() const {
    VerifierOptions options;
    options.issuers = {kIssuer};
    options.audience = kAudience;
    options.clock = &clock_;
    return Verifier(options);
  }

  // The reason of the rejection; fails the test when the token is accepted or the code is wrong.
  std::string Rejection(const std::string& token, const JwkSet* keys = nullptr) const {
    try {
      MakeVerifier().Verify(token, LookupIn(keys != nullptr ? *keys : keys_));
    } catch (const Error& e) {
      EXPECT_EQ(e.Code(), ErrorCode::kUnauthenticated);
      const std::string message = e.what();
      // A message never echoes the token or any part of it.
      if (!token.empty()) {
        EXPECT_EQ(message.find(token), std::string::npos);
      }
      for (std::size_t at = 0, dot = 0; dot != std::string::npos; at = dot + 1) {
        dot = token.find('.', at);
        const std::string part = token.substr(at, dot == std::string::npos ? dot : dot - at);
        if (part.size() > 8) {
          EXPECT_EQ(message.find(part), std::string::npos) << message;
        }
      }
      return message;
    }
    ADD_FAILURE() << "token was accepted";
    return {};
  }

  nlohmann::json Header(std::string_view alg, std::string_view kid = "es-1") const {
    return {{"alg", alg}, {"typ", "JWT"}, {"kid", kid}};
  }

  ManualClock clock_;
  SigningKey es_;
  JwkSet keys_;
};

TEST_F(JwtTest, SignedTokenVerifiesAndKeepsEveryClaim) {
  Claims claims = ValidClaims();
  claims.raw = std::make_shared<const nlohmann::json>(nlohmann::json{{"groups", {"dba"}}});
  const std::string token = Sign(es_, claims);

  const Claims got = MakeVerifier().Verify(token, LookupIn(keys_));
  EXPECT_EQ(got.iss, claims.iss);
  EXPECT_EQ(got.sub, "usr_1");
  EXPECT_EQ(got.aud, std::vector<std::string>{kAudience});
  EXPECT_EQ(got.exp, kNow + 300);
  EXPECT_EQ(got.iat, kNow);
  EXPECT_EQ(got.jti, "jti-1");
  EXPECT_EQ(got.tid, "ten_a");
  EXPECT_EQ(got.roles, std::vector<std::string>{"developer"});
  EXPECT_EQ(got.kind, "user");
  ASSERT_TRUE(got.raw);
  EXPECT_EQ(got.raw->at("groups"), nlohmann::json({"dba"}));
}

TEST_F(JwtTest, HeaderNamesAlgorithmTypeAndKid) {
  const std::string token = Sign(es_, ValidClaims());
  const auto header =
      nlohmann::json::parse(crypto::Base64UrlDecode(token.substr(0, token.find('.'))));
  EXPECT_EQ(header, nlohmann::json({{"alg", "ES256"}, {"typ", "JWT"}, {"kid", "es-1"}}));
  // ES256 signatures are the raw 64-byte r||s of RFC 7518, not DER.
  EXPECT_EQ(crypto::Base64UrlDecode(token.substr(token.rfind('.') + 1)).size(), 64U);
}

TEST_F(JwtTest, SigningInvalidUtf8IsAnInvalidArgument) {
  Claims claims = ValidClaims();
  claims.sub = "\xC2";
  try {
    Sign(es_, claims);
    FAIL() << "signed invalid UTF-8";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kInvalidArgument);
  }
}

TEST_F(JwtTest, Rs256SignedTokenVerifies) {
  const SigningKey rsa = SigningKey::GenerateRs256(2048, "rsa-1");
  const JwkSet keys({rsa.Public()});
  const Claims got = MakeVerifier().Verify(Sign(rsa, ValidClaims()), LookupIn(keys));
  EXPECT_EQ(got.sub, "usr_1");
}

// An RS256 token made with OpenSSL directly (not through SigningKey), as an external provider
// would issue it, verifies against its PEM public key.
TEST_F(JwtTest, Rs256TokenFromIndependentSignerVerifies) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}), &EVP_PKEY_free);
  ASSERT_TRUE(pkey);
  const std::string input =
      B64(R"({"alg":"RS256","kid":"ext"})") + "." + B64(ToJson(ValidClaims()).dump());
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::size_t len = 0;
  ASSERT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get()), 1);
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  ASSERT_EQ(EVP_DigestSign(ctx.get(), nullptr, &len, data, input.size()), 1);
  std::string sig(len, '\0');
  ASSERT_EQ(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, data,
                           input.size()),
            1);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  ASSERT_EQ(PEM_write_bio_PUBKEY(bio.get(), pkey.get()), 1);
  char* pem = nullptr;
  const long pem_len = BIO_get_mem_data(bio.get(), &pem);

  const JwkSet keys(
      {PublicKey::FromPem(std::string(pem, static_cast<std::size_t>(pem_len)), "ext")});
  const std::string token = input + "." + B64(sig.substr(0, len));
  EXPECT_EQ(MakeVerifier().Verify(token, LookupIn(keys)).sub, "usr_1");
  EXPECT_EQ(keys.Keys().front().Type(), KeyType::kRsa);
}

TEST_F(JwtTest, RejectsMalformedTokens) {
  const std::string good = Sign(es_, ValidClaims());
  EXPECT_NE(Rejection("").find("empty"), std::string::npos);
  EXPECT_NE(Rejection("abc.def").find("three"), std::string::npos);
  EXPECT_NE(Rejection(good + ".x").find("three"), std::string::npos);
  EXPECT_NE(Rejection("!!!." + good.substr(good.find('.') + 1)).find("base64url"),
            std::string::npos);
  EXPECT_NE(Rejection(B64("{not json") + good.substr(good.find('.'))).find("JSON"),
            std::string::npos);
  EXPECT_NE(Rejection(B64("[1,2]") + good.substr(good.find('.'))).find("object"),
            std::string::npos);
  EXPECT_NE(Rejection(std::string(kMaxTokenSize + 1, 'a')).find("too large"), std::string::npos);
}

TEST_F(JwtTest, RejectsPayloadThatIsNotJsonEvenWithAValidSignature) {
  const std::string input = B64(Header("ES256").dump()) + "." + B64("not json");
  EXPECT_NE(Rejection(input + "." + B64(es_.SignBytes(input))).find("payload"), std::string::npos);
}

TEST_F(JwtTest, RejectsAlgNone) {
  const std::string payload = B64(ToJson(ValidClaims()).dump());
  for (const char* alg : {"none", "None", "NONE", ""}) {
    const std::string token = B64(Header(alg).dump()) + "." + payload + ".";
    EXPECT_NE(Rejection(token).find("alg none"), std::string::npos) << alg;
  }
}

// The classic confusion attack: HS256 "signed" with the verifier's public key as HMAC secret.
TEST_F(JwtTest, RejectsHs256SignedWithThePublicKey) {
  const std::string input = B64(Header("HS256").dump()) + "." + B64(ToJson(ValidClaims()).dump());
  for (const std::string& secret : {es_.Public().ToPem(), es_.PublicJwk().dump()}) {
    const std::string token = input + "." + B64(crypto::HmacSha256(secret, input));
    EXPECT_NE(Rejection(token).find("HMAC"), std::string::npos);
  }
  VerifierOptions options;
  options.issuers = {kIssuer};
  options.audience = kAudience;
  options.algorithms = {"ES256", "HS256"};
  EXPECT_THROW(Verifier{options}, Error);
}

TEST_F(JwtTest, RejectsAlgorithmThatDoesNotMatchTheKeyType) {
  // RS256 header and a genuine RSA signature, but the kid names our EC key.
  const SigningKey rsa = SigningKey::GenerateRs256(2048, "es-1");
  EXPECT_NE(Rejection(HandMade(Header("RS256"), ToJson(ValidClaims()), rsa)).find("key type"),
            std::string::npos);
  // And the reverse: an ES256 header against an RSA key.
  const SigningKey ec = SigningKey::GenerateEs256("rsa-kid");
  const JwkSet rsa_keys({SigningKey::GenerateRs256(2048, "rsa-kid").Public()});
  EXPECT_NE(Rejection(HandMade(Header("ES256", "rsa-kid"), ToJson(ValidClaims()), ec), &rsa_keys)
                .find("key type"),
            std::string::npos);
}

TEST_F(JwtTest, RejectsAlgorithmsNotAllowed) {
  VerifierOptions options;
  options.issuers = {kIssuer};
  options.audience = kAudience;
  options.algorithms = {"RS256"};
  options.clock = &clock_;
  const Verifier rs_only(options);
  EXPECT_THROW(rs_only.Verify(Sign(es_, ValidClaims()), LookupIn(keys_)), Error);
  for (const char* alg : {"ES384", "PS256", "EdDSA"}) {
    EXPECT_NE(Rejection(HandMade(Header(alg), ToJson(ValidClaims()), es_)).find("not allowed"),
              std::string::npos);
  }
}

TEST_F(JwtTest, RejectsTamperedPayload) {
  const std::string token = Sign(es_, ValidClaims());
  Claims elevated = ValidClaims();
  elevated.roles = {"platform-admin"};
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  const std::string forged =
      token.substr(0, first + 1) + B64(ToJson(elevated).dump()) + token.substr(second);
  EXPECT_NE(Rejection(forged).find("bad signature"), std::string::npos);
}

TEST_F(JwtTest, RejectsSignatureFromAnotherKeyWithTheSameKid) {
  const SigningKey impostor = SigningKey::GenerateEs256("es-1");
  EXPECT_NE(Rejection(Sign(impostor, ValidClaims())).find("bad signature"), std::string::npos);
}

TEST_F(JwtTest, RejectsNonCanonicalSignatureEncoding) {
  const std::string token = Sign(es_, ValidClaims());
  // 64 bytes encode to 86 characters whose last one carries 2 unused bits; setting one of them
  // decodes to the same bytes under a lenient decoder.
  std::string altered = token;
  char& last = altered.back();
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  last = alphabet[alphabet.find(last) | 1U];
  ASSERT_NE(altered, token);
  EXPECT_NE(Rejection(altered).find("base64url"), std::string::npos);
}

TEST_F(JwtTest, RejectsMissingOrUnknownKid) {
  nlohmann::json no_kid = {{"alg", "ES256"}, {"typ", "JWT"}};
  EXPECT_NE(Rejection(HandMade(no_kid, ToJson(ValidClaims()), es_)).find("no kid"),
            std::string::npos);
  EXPECT_NE(Rejection(Sign(SigningKey::GenerateEs256("other"), ValidClaims())).find("unknown"),
            std::string::npos);
}

TEST_F(JwtTest, RejectsCriticalHeaderExtensions) {
  nlohmann::json header = Header("ES256");
  header["crit"] = {"exp"};
  EXPECT_NE(Rejection(HandMade(header, ToJson(ValidClaims()), es_)).find("critical"),
            std::string::npos);
}

TEST_F(JwtTest, HonoursExpiryWithLeeway) {
  Claims claims = ValidClaims();
  claims.exp = kNow - 29;
  EXPECT_NO_THROW(MakeVerifier().Verify(Sign(es_, claims), LookupIn(keys_)));
  claims.exp = kNow - 31;
  EXPECT_NE(Rejection(Sign(es_, claims)).find("expired"), std::string::npos);
  claims.exp.reset();
  EXPECT_NE(Rejection(Sign(es_, claims)).find("missing exp"), std::string::npos);
}

TEST_F(JwtTest, HonoursNotBeforeWithLeeway) {
  Claims claims = ValidClaims();
  claims.nbf = kNow + 29;
  EXPECT_NO_THROW(MakeVerifier().Verify(Sign(es_, claims), LookupIn(keys_)));
  claims.nbf = kNow + 31;
  EXPECT_NE(Rejection(Sign(es_, claims)).find("not yet valid"), std::string::npos);
}

TEST_F(JwtTest, ChecksIssuerAndAudience) {
  Claims claims = ValidClaims();
  claims.iss = "https://evil.example";
  EXPECT_NE(Rejection(Sign(es_, claims)).find("issuer"), std::string::npos);
  claims = ValidClaims();
  claims.aud = {"another-service"};
  EXPECT_NE(Rejection(Sign(es_, claims)).find("audience"), std::string::npos);
  claims.aud.clear();
  EXPECT_NE(Rejection(Sign(es_, claims)).find("audience"), std::string::npos);
  claims.aud = {"another-service", kAudience};
  EXPECT_NO_THROW(MakeVerifier().Verify(Sign(es_, claims), LookupIn(keys_)));
}

TEST_F(JwtTest, RejectsClaimsOfTheWrongType) {
  nlohmann::json payload = ToJson(ValidClaims());
  payload["exp"] = "tomorrow";
  EXPECT_NE(Rejection(HandMade(Header("ES256"), payload, es_)).find("exp"), std::string::npos);
  payload = ToJson(ValidClaims());
  payload["roles"] = "platform-admin";
  EXPECT_NE(Rejection(HandMade(Header("ES256"), payload, es_)).find("roles"), std::string::npos);
}

TEST_F(JwtTest, KeyLookupIsAskedForTheTokensKid) {
  std::string asked;
  const KeyLookup lookup = [&](std::string_view kid) -> std::optional<PublicKey> {
    asked = kid;
    return es_.Public();
  };
  MakeVerifier().Verify(Sign(es_, ValidClaims()), lookup);
  EXPECT_EQ(asked, "es-1");
}

TEST_F(JwtTest, VerifierRejectsIncompleteOptions) {
  VerifierOptions options;
  options.audience = kAudience;
  EXPECT_THROW(Verifier{options}, Error);
  options.issuers = {kIssuer};
  options.audience.clear();
  EXPECT_THROW(Verifier{options}, Error);
}

TEST(SigningKeyTest, PrivatePemRoundTripKeepsTheKey) {
  const SigningKey key = SigningKey::GenerateEs256();
  EXPECT_EQ(key.Kid(), key.Public().Thumbprint());
  const std::string pem = key.PrivatePem();
  EXPECT_NE(pem.find("BEGIN PRIVATE KEY"), std::string::npos);
  const SigningKey again = SigningKey::FromPrivatePem(pem);
  EXPECT_EQ(again.Kid(), key.Kid());
  EXPECT_EQ(again.PublicJwk(), key.PublicJwk());

  ManualClock clock(test::At(test::kNow));
  VerifierOptions options{{test::kIssuer}, test::kAudience};
  options.clock = &clock;
  const JwkSet keys({key.Public()});
  EXPECT_NO_THROW(Verifier(options).Verify(Sign(again, test::ValidClaims()), test::LookupIn(keys)));
}

TEST(SigningKeyTest, RejectsGarbageAndWeakKeysWithoutEchoingThem) {
  try {
    SigningKey::FromPrivatePem(
        "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n");
    FAIL() << "accepted garbage";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(std::string(e.what()).find("c2VjcmV0"), std::string::npos);
  }
  EXPECT_THROW(SigningKey::GenerateRs256(1024), Error);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> k1(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp256k1"), &EVP_PKEY_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  ASSERT_EQ(PEM_write_bio_PrivateKey(bio.get(), k1.get(), nullptr, nullptr, 0, nullptr, nullptr),
            1);
  char* pem = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &pem);
  EXPECT_THROW(SigningKey::FromPrivatePem(std::string(pem, static_cast<std::size_t>(len))), Error);
}

}  // namespace
}  // namespace dbaas::auth
