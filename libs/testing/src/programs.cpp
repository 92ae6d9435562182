#include "dbaas/testing/programs.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace dbaas::testing {
namespace {

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Releases the flock and closes the descriptor when the install is done or throws.
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& path)
      : fd_(::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600)) {
    if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0) {
      const std::string why = std::strerror(errno);
      if (fd_ >= 0) ::close(fd_);
      throw std::runtime_error("cannot lock " + path.string() + ": " + why);
    }
  }
  ~FileLock() {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

}  // namespace

ProgramResult RunProgram(const std::vector<std::string>& args,
                         const std::filesystem::path& cwd) {
  const auto out_path = cwd / "run.stdout";
  const auto err_path = cwd / "run.stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  // posix_spawn has no portable chdir action before glibc 2.29's addchdir_np: go through sh.
  const std::string cd = "cd \"$0\" && exec \"$@\"";
  std::vector<char*> argv{const_cast<char*>("sh"), const_cast<char*>("-c"),
                          const_cast<char*>(cd.c_str()), const_cast<char*>(cwd.c_str())};
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  ProgramResult result;
  const int rc = posix_spawnp(&pid, "sh", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    result.err = "cannot start " + args.at(0) + ": " + std::strerror(rc);
    return result;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = ReadAll(out_path);
  result.err = ReadAll(err_path);
  return result;
}

bool OnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (!dir.empty() && ::access((std::filesystem::path(dir) / program).c_str(), X_OK) == 0) {
      return true;
    }
  }
  return false;
}

void InstallNpmPackage(const std::filesystem::path& dir, const std::string& spec,
                       const std::filesystem::path& installed, std::string_view package_json) {
  if (!OnPath("node") || !OnPath("npm")) {
    throw std::runtime_error("node and npm are required to run " + spec +
                             ": install the Debian packages `nodejs` and `npm` "
                             "(deploy/local/install-deps does)");
  }
  std::filesystem::create_directories(dir);
  // ctest runs each test in its own process, possibly in parallel: install once, under a lock.
  FileLock lock(dir / ".install.lock");
  if (std::filesystem::exists(dir / installed)) return;
  if (!std::filesystem::exists(dir / "package.json")) {
    std::ofstream(dir / "package.json") << package_json;
  }
  const ProgramResult install = RunProgram(
      {"npm", "install", "--prefix", dir.string(), "--no-audit", "--no-fund", "--loglevel=error",
       spec},
      dir);
  if (install.exit_code != 0) {
    throw std::runtime_error("`npm install " + spec + "` failed: " + install.err);
  }
}

}  // namespace dbaas::testing
