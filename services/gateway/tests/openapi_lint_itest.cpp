// Lints openapi/openapi.json with an independent OpenAPI linter: @redocly/cli (npm), its default
// "recommended" ruleset; any error fails the test.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace dbaas::gateway {
namespace {

namespace fs = std::filesystem;

// Pinned to a major version so the linter's rules do not change under the test. Redocly CLI 2
// needs Node.js 20.19 or newer.
constexpr const char* kRedoclyPackage = "@redocly/cli@2";

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

// Runs `args` (args[0] found on PATH, or a path) in `cwd`, capturing stdout and stderr through
// files there (kept as run.stdout / run.stderr for diagnosis).
RunResult RunProgram(const std::vector<std::string>& args, const fs::path& cwd) {
  const fs::path out_path = cwd / "run.stdout";
  const fs::path err_path = cwd / "run.stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> argv;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  // posix_spawn has no portable chdir action before glibc 2.29's addchdir_np: run through sh.
  const std::string cd = "cd \"$0\" && exec \"$@\"";
  std::vector<char*> shell{const_cast<char*>("sh"), const_cast<char*>("-c"),
                           const_cast<char*>(cd.c_str()), const_cast<char*>(cwd.c_str())};
  shell.insert(shell.end(), argv.begin(), argv.end());
  pid_t pid = 0;
  RunResult result;
  const int rc = posix_spawnp(&pid, "sh", &actions, nullptr, shell.data(), environ);
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

// Installs the linter once under the build tree; returns "" or why it could not.
std::string InstallRedocly(const fs::path& dir) {
  if (!OnPath("node") || !OnPath("npm")) {
    return "node and npm are required to lint the OpenAPI document: install the Debian "
           "packages `nodejs` and `npm`";
  }
  fs::create_directories(dir);
  // ctest runs each test in its own process, possibly in parallel: install once, under a lock.
  const int lock = open((dir / ".install.lock").c_str(), O_CREAT | O_RDWR, 0600);
  if (lock < 0 || flock(lock, LOCK_EX) != 0) {
    if (lock >= 0) close(lock);
    return "cannot lock " + (dir / ".install.lock").string();
  }
  std::string problem;
  if (!fs::exists(dir / "node_modules" / ".bin" / "redocly")) {
    if (!fs::exists(dir / "package.json")) {
      std::ofstream(dir / "package.json") << R"({"name":"dbaas-gateway-openapi","private":true})";
    }
    const RunResult install = RunProgram({"npm", "install", "--prefix", dir.string(), "--no-audit",
                                          "--no-fund", "--loglevel=error", kRedoclyPackage},
                                         dir);
    if (install.exit_code != 0) {
      problem = "`npm install " + std::string(kRedoclyPackage) + "` failed: " + install.err;
    }
  }
  flock(lock, LOCK_UN);
  close(lock);
  return problem;
}

TEST(OpenApiLint, RedoclyRecommendedRulesetFindsNoErrors) {
  const fs::path node_dir = DBAAS_GATEWAY_NODE_DIR;
  const std::string problem = InstallRedocly(node_dir);
  ASSERT_TRUE(problem.empty()) << problem;

  // A scratch directory without a redocly.yaml, so the default "recommended" ruleset applies.
  char pattern[] = "/tmp/dbaas-gw-openapi-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  const fs::path scratch = pattern;
  const RunResult lint = RunProgram({(node_dir / "node_modules" / ".bin" / "redocly").string(),
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
