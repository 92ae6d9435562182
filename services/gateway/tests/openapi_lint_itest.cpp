// Lints openapi/openapi.json with an independent OpenAPI linter: @redocly/cli (npm), its default
// "recommended" ruleset; any error fails the test.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "dbaas/testing/programs.hpp"

namespace dbaas::gateway {
namespace {

namespace fs = std::filesystem;

// Pinned to a major version so the linter's rules do not change under the test. Redocly CLI 2
// needs Node.js 20.19 or newer.
constexpr const char* kRedoclyPackage = "@redocly/cli@2";

TEST(OpenApiLint, RedoclyRecommendedRulesetFindsNoErrors) {
  const fs::path node_dir = DBAAS_GATEWAY_NODE_DIR;
  try {
    testing::InstallNpmPackage(node_dir, kRedoclyPackage,
                               fs::path("node_modules") / ".bin" / "redocly",
                               R"({"name":"dbaas-gateway-openapi","private":true})");
  } catch (const std::runtime_error& e) {
    FAIL() << e.what();
  }

  // A scratch directory without a redocly.yaml, so the default "recommended" ruleset applies.
  char pattern[] = "/tmp/dbaas-gw-openapi-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  const fs::path scratch = pattern;
  const testing::ProgramResult lint = testing::RunProgram({(node_dir / "node_modules" / ".bin" / "redocly").string(),
                                     "lint", "--format=stylish", DBAAS_GATEWAY_OPENAPI_FILE},
                                    scratch);
  std::error_code ignored;
  fs::remove_all(scratch, ignored);
  EXPECT_EQ(lint.exit_code, 0) << "redocly lint " << DBAAS_GATEWAY_OPENAPI_FILE << ":\n"
                               << lint.out << lint.err;
  EXPECT_NE((lint.out + lint.err).find("is valid"), std::string::npos) << lint.out << lint.err;
}

}  // namespace
}  // namespace dbaas::gateway
