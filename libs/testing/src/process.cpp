#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <stdexcept>
#include <thread>

#include "child_process.hpp"
#include "dbaas/testing/servers.hpp"

namespace dbaas::testing {
namespace {

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

Process::Process(std::vector<std::string> argv, std::vector<std::string> env_overrides,
                 const std::filesystem::path& log_file) {
  if (argv.empty()) throw std::invalid_argument("testing: Process needs a program");
  const auto program = detail::FindOnPath(argv[0]);
  if (!program) throw std::runtime_error("testing: program not found: " + argv[0]);
  argv[0] = *program;
  detail::SpawnOptions options;
  options.argv = std::move(argv);
  options.env_overrides = std::move(env_overrides);
  options.log_file = log_file;
  // SIGTERM, not SIGKILL: a service whose test binary crashed still shuts down its own children.
  options.death_signal = SIGTERM;
  pid_ = detail::Spawn(options);
}

Process::~Process() {
  if (Terminate(std::chrono::seconds(5)) == -1) Kill();
}

int Process::Pid() const noexcept { return pid_; }

bool Process::Running() {
  if (reaped_ || pid_ <= 0) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  reaped_ = true;
  status_ = r == pid_ ? ExitCode(status) : -1;
  return false;
}

int Process::Terminate(std::chrono::milliseconds timeout) {
  if (!Running()) return status_;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Running()) {
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

void Process::Kill() {
  if (!Running()) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  status_ = ExitCode(status);
}

}  // namespace dbaas::testing
