#include "dbaas/runtime/tool_process.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <mutex>
#include <thread>

#include "dbaas/common/error.hpp"
#include "tool_process_internal.hpp"

namespace dbaas::runtime {
namespace {

constexpr std::size_t kHeadBytes = 4096;
constexpr std::size_t kTailBytes = 60 * 1024;

}  // namespace

struct ToolProcess::Impl {
  pid_t pid = -1;
  int status = -1;
  bool reaped = false;
  int out_read = -1;
  int err_read = -1;
  std::string name;
  mutable std::mutex mutex;
  std::string head;
  std::string tail;
  bool cut = false;
  std::thread collector;

  void Collect() {
    char buf[4096];
    for (;;) {
      const ssize_t n = ::read(err_read, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      std::lock_guard lock(mutex);
      std::string_view chunk(buf, static_cast<std::size_t>(n));
      if (head.size() < kHeadBytes) {
        const auto take = std::min(chunk.size(), kHeadBytes - head.size());
        head.append(chunk.substr(0, take));
        chunk.remove_prefix(take);
      }
      tail.append(chunk);
      if (tail.size() > kTailBytes) {
        tail.erase(0, tail.size() - kTailBytes);
        cut = true;
      }
    }
  }

  void Start(const detail::Command& command, int stdin_fd, int stdout_fd) {
    name = command.argv.empty() ? std::string()
                                : command.argv[0].substr(command.argv[0].rfind('/') + 1);
    int out_pipe[2] = {-1, -1};
    int err_pipe[2];
    if (::pipe2(err_pipe, O_CLOEXEC) != 0 || (stdout_fd < 0 && ::pipe2(out_pipe, O_CLOEXEC) != 0)) {
      throw Error(ErrorCode::kInternal, "runtime: pipe2 failed");
    }
    err_read = err_pipe[0];
    try {
      pid = detail::StartChild(command, stdin_fd, stdout_fd >= 0 ? stdout_fd : out_pipe[1],
                               err_pipe[1]);
    } catch (...) {
      ::close(err_pipe[1]);
      if (out_pipe[0] >= 0) ::close(out_pipe[0]);
      if (out_pipe[1] >= 0) ::close(out_pipe[1]);
      throw;
    }
    ::close(err_pipe[1]);
    if (out_pipe[1] >= 0) ::close(out_pipe[1]);
    out_read = out_pipe[0];
    collector = std::thread([this] { Collect(); });
  }

  int Wait() {
    if (!reaped) {
      int st = 0;
      while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
      }
      reaped = true;
      status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
    }
    // Grandchildren may hold stderr open; the collector ends when the last writer goes.
    if (collector.joinable()) collector.join();
    return status;
  }

  ~Impl() {
    if (!reaped && pid > 0) {
      ::kill(pid, SIGKILL);
      Wait();
    } else if (collector.joinable()) {
      collector.join();
    }
    if (out_read >= 0) ::close(out_read);
    if (err_read >= 0) ::close(err_read);
  }
};

ToolProcess::ToolProcess(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ToolProcess::ToolProcess(const engines::ToolCommand& command, int stdin_fd, int stdout_fd,
                         const std::filesystem::path& cwd)
    : impl_(std::make_unique<Impl>()) {
  detail::Command cmd;
  cmd.argv = command.argv;
  cmd.env = command.env;
  cmd.cwd = cwd;
  impl_->Start(cmd, stdin_fd, stdout_fd);
}

ToolProcess::~ToolProcess() = default;

int ToolProcess::Stdout() const noexcept {
  return impl_->out_read;
}

void ToolProcess::CloseStdout() noexcept {
  if (impl_->out_read >= 0) ::close(impl_->out_read);
  impl_->out_read = -1;
}

int ToolProcess::Wait() {
  return impl_->Wait();
}

std::string ToolProcess::Stderr() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->head + (impl_->cut ? "\n[...]\n" : "") + impl_->tail;
}

const std::string& ToolProcess::Name() const noexcept {
  return impl_->name;
}

void ToolProcess::Kill() noexcept {
  if (!impl_->reaped && impl_->pid > 0) ::kill(impl_->pid, SIGKILL);
}

std::unique_ptr<ToolProcess> ToolProcessAccess::Start(const detail::Command& command, int stdin_fd,
                                                      int stdout_fd) {
  auto impl = std::make_unique<ToolProcess::Impl>();
  impl->Start(command, stdin_fd, stdout_fd);
  return std::unique_ptr<ToolProcess>(new ToolProcess(std::move(impl)));
}

}  // namespace dbaas::runtime
