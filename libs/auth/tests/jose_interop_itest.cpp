// Interoperability with an independent JWT implementation: the `jose` npm package, run by node.

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "dbaas/auth/jwks.hpp"
#include "dbaas/auth/jwt.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/testing/programs.hpp"

namespace dbaas::auth {
namespace {

namespace fs = std::filesystem;

constexpr const char* kIssuer = "https://dbaas.interop.test";
constexpr const char* kAudience = "dbaas-interop";
// Pinned to a major version so the peer does not change under the test; jose 5 runs on the
// Node.js 18 that Debian 12 packages as well as on newer ones.
constexpr const char* kJosePackage = "jose@5";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

class JoseInteropTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    try {
      testing::InstallNpmPackage(DBAAS_AUTH_NODE_DIR, kJosePackage,
                                 fs::path("node_modules") / "jose" / "package.json",
                                 R"({"name":"dbaas-auth-interop","private":true,"type":"module"})");
    } catch (const std::runtime_error& e) {
      setup_error_ = e.what();
    }
  }

  void SetUp() override {
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    char pattern[] = "/tmp/dbaas-auth-jose-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    scratch_ = pattern;
  }

  void TearDown() override {
    std::error_code ignored;
    if (!scratch_.empty()) fs::remove_all(scratch_, ignored);
  }

  nlohmann::json Node(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"node",
                                     (fs::path(DBAAS_AUTH_NODE_DIR) / "jose_interop.mjs").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    const testing::ProgramResult result = testing::RunProgram(argv, scratch_);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    auto json = nlohmann::json::parse(result.out, nullptr, false);
    EXPECT_FALSE(json.is_discarded()) << "node printed: " << result.out << result.err;
    return json;
  }

  // jose's verdict on `token` against `jwks`.
  nlohmann::json JoseVerify(const JwkSet& jwks, const std::string& token) {
    WriteFile(scratch_ / "jwks.json", jwks.Serialize());
    WriteFile(scratch_ / "token", token);
    return Node({"verify", (scratch_ / "jwks.json").string(), (scratch_ / "token").string(),
                 kIssuer, kAudience});
  }

  static Claims FreshClaims() {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    Claims claims;
    claims.iss = kIssuer;
    claims.sub = "usr_interop";
    claims.aud = {kAudience, "other"};
    claims.iat = now;
    claims.nbf = now;
    claims.exp = now + 300;
    claims.jti = "jti-interop";
    claims.tid = "ten_a";
    claims.roles = {"developer", "viewer"};
    claims.kind = "user";
    return claims;
  }

  static Verifier OurVerifier() {
    VerifierOptions options;
    options.issuers = {kIssuer};
    options.audience = kAudience;
    return Verifier(options);
  }

  static inline std::string setup_error_;
  fs::path scratch_;
};

TEST_F(JoseInteropTest, JoseVerifiesOurEs256TokenAgainstOurJwks) {
  const SigningKey key = SigningKey::GenerateEs256();
  const SigningKey other = SigningKey::GenerateRs256();
  const JwkSet jwks({other.Public(), key.Public()});

  const nlohmann::json verdict = JoseVerify(jwks, Sign(key, FreshClaims()));
  ASSERT_EQ(verdict.value("ok", false), true) << verdict.dump();
  EXPECT_EQ(verdict["header"]["alg"], "ES256");
  EXPECT_EQ(verdict["header"]["kid"], key.Kid());
  EXPECT_EQ(verdict["payload"]["sub"], "usr_interop");
  EXPECT_EQ(verdict["payload"]["tid"], "ten_a");
  EXPECT_EQ(verdict["payload"]["roles"], nlohmann::json({"developer", "viewer"}));
}

TEST_F(JoseInteropTest, JoseVerifiesOurRs256Token) {
  const SigningKey key = SigningKey::GenerateRs256();
  const nlohmann::json verdict = JoseVerify(JwkSet({key.Public()}), Sign(key, FreshClaims()));
  ASSERT_EQ(verdict.value("ok", false), true) << verdict.dump();
  EXPECT_EQ(verdict["header"]["alg"], "RS256");
}

TEST_F(JoseInteropTest, JoseRejectsOurTokenWhenTamperedOrSignedByAnotherKey) {
  const SigningKey key = SigningKey::GenerateEs256("k1");
  const SigningKey impostor = SigningKey::GenerateEs256("k1");
  const JwkSet jwks({key.Public()});
  EXPECT_EQ(JoseVerify(jwks, Sign(impostor, FreshClaims())).value("ok", true), false);

  std::string token = Sign(key, FreshClaims());
  token[token.find('.') + 5] ^= 0x01;
  EXPECT_EQ(JoseVerify(jwks, token).value("ok", true), false);
}

TEST_F(JoseInteropTest, OurVerifierAcceptsTokensJoseSigned) {
  const nlohmann::json tokens = Node({"sign", scratch_.string(), kIssuer, kAudience});
  const JwkSet jwks = JwkSet::Parse(ReadFile(scratch_ / "jwks.json"));
  ASSERT_EQ(jwks.Keys().size(), 2U);
  ASSERT_NE(jwks.Find("jose-es256"), nullptr);
  EXPECT_EQ(jwks.Find("jose-es256")->Type(), KeyType::kEcP256);
  ASSERT_NE(jwks.Find("jose-rs256"), nullptr);
  EXPECT_EQ(jwks.Find("jose-rs256")->Type(), KeyType::kRsa);

  const KeyLookup lookup = [&](std::string_view kid) -> std::optional<PublicKey> {
    if (const PublicKey* key = jwks.Find(kid)) return *key;
    return std::nullopt;
  };
  const Verifier verifier = OurVerifier();
  for (const char* alg : {"ES256", "RS256"}) {
    SCOPED_TRACE(alg);
    const Claims claims = verifier.Verify(tokens.at(alg).get<std::string>(), lookup);
    EXPECT_EQ(claims.sub, "usr_" + std::string(alg == std::string("ES256") ? "es256" : "rs256"));
    EXPECT_EQ(claims.tid, "ten_jose");
    EXPECT_EQ(claims.roles, std::vector<std::string>{"developer"});
    EXPECT_EQ(claims.jti, std::string("jti-") + alg);
    ASSERT_TRUE(claims.raw);
    EXPECT_EQ(claims.raw->at("groups"), nlohmann::json({"dba"}));
  }

  try {
    verifier.Verify(tokens.at("ES256_expired").get<std::string>(), lookup);
    ADD_FAILURE() << "expired jose token accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kUnauthenticated);
    EXPECT_NE(std::string(e.what()).find("expired"), std::string::npos);
  }

  VerifierOptions other_audience;
  other_audience.issuers = {kIssuer};
  other_audience.audience = "someone-else";
  EXPECT_THROW(Verifier(other_audience).Verify(tokens.at("ES256").get<std::string>(), lookup),
               Error);
}

}  // namespace
}  // namespace dbaas::auth
