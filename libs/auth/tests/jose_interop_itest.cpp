// Interoperability with an independent JWT implementation: the `jose` npm package, run by node.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "dbaas/auth/jwks.hpp"
#include "dbaas/auth/jwt.hpp"
#include "dbaas/common/error.hpp"

extern char** environ;

namespace dbaas::auth {
namespace {

namespace fs = std::filesystem;

constexpr const char* kIssuer = "https://dbaas.interop.test";
constexpr const char* kAudience = "dbaas-interop";
// Pinned to a major version so the peer does not change under the test; jose 5 runs on the
// Node.js 18 that Debian 12 packages as well as on newer ones.
constexpr const char* kJosePackage = "jose@5";

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

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

// Runs argv[0] found on PATH with stdout and stderr captured through files in `scratch`
// (kept there as <program>.stdout / <program>.stderr for diagnosis).
RunResult RunProgram(const std::vector<std::string>& args, const fs::path& scratch) {
  const fs::path out_path = scratch / (args[0] + ".stdout");
  const fs::path err_path = scratch / (args[0] + ".stderr");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> argv;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  RunResult result;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    result.err = "cannot start " + args[0] + ": " + std::strerror(rc);
    return result;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  return result;
}

bool OnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (!dir.empty() && access((fs::path(dir) / program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

class JoseInteropTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!OnPath("node") || !OnPath("npm")) {
      setup_error_ =
          "node and npm are required for the jose interop test: install the Debian packages "
          "`nodejs` and `npm`";
      return;
    }
    const fs::path dir = DBAAS_AUTH_NODE_DIR;
    fs::create_directories(dir);
    // ctest runs each test in its own process, possibly in parallel: install once, under a lock.
    const int lock = open((dir / ".install.lock").c_str(), O_CREAT | O_RDWR, 0600);
    if (lock < 0 || flock(lock, LOCK_EX) != 0) {
      setup_error_ = "cannot lock " + (dir / ".install.lock").string();
      return;
    }
    if (!fs::exists(dir / "node_modules" / "jose" / "package.json")) {
      if (!fs::exists(dir / "package.json")) {
        WriteFile(dir / "package.json",
                  R"({"name":"dbaas-auth-interop","private":true,"type":"module"})");
      }
      const RunResult install =
          RunProgram({"npm", "install", "--prefix", dir.string(), "--no-audit", "--no-fund",
                      "--loglevel=error", kJosePackage},
                     dir);
      if (install.exit_code != 0) {
        setup_error_ = "`npm install " + std::string(kJosePackage) + "` failed: " + install.err;
      }
    }
    flock(lock, LOCK_UN);
    close(lock);
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
    const RunResult result = RunProgram(argv, scratch_);
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
