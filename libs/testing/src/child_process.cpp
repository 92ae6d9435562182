#include "child_process.hpp"

#include "dbaas/testing/servers.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace dbaas::testing::detail {
namespace {

constexpr const char* kTestUser = "dbaas-test";

std::optional<RunAs> LookupUser(const char* name) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwnam_r(name, &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  return RunAs{pw.pw_uid, pw.pw_gid, name};
}

std::vector<std::string> BuildEnvironment(const std::vector<std::string>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  for (const auto& item : overrides) {
    const auto eq = item.find('=');
    const std::string key = item.substr(0, eq);
    std::erase_if(env, [&](const std::string& v) {
      return v.size() > key.size() && v.compare(0, key.size(), key) == 0 && v[key.size()] == '=';
    });
    if (eq != std::string::npos) env.push_back(item);
  }
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& items) {
  std::vector<char*> out;
  out.reserve(items.size() + 1);
  for (auto& s : items) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int Get() const noexcept { return fd_; }
  void Reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

[[noreturn]] void ChildFail(int error_fd, int err) {
  // Only async-signal-safe calls are allowed between fork and exec in a threaded parent.
  const auto n = ::write(error_fd, &err, sizeof err);
  static_cast<void>(n);
  ::_exit(127);
}

std::string ErrnoText(int err) { return std::strerror(err); }

}  // namespace

std::optional<RunAs> ServerUser() {
  if (::geteuid() != 0) return std::nullopt;
  static std::mutex mutex;
  static std::optional<RunAs> cached;
  std::lock_guard lock(mutex);
  if (cached) return cached;
  for (int attempt = 0; attempt < 10; ++attempt) {
    if (auto user = LookupUser(kTestUser)) {
      cached = user;
      return cached;
    }
    // Several test binaries may race to create the user; useradd's own lock serialises them and
    // the loser simply finds the user on the next lookup.
    auto useradd = FindOnPath("useradd");
    if (!useradd) useradd = "/usr/sbin/useradd";
    SpawnOptions options;
    options.argv = {*useradd, "--system", "--user-group", "--no-create-home",
                    "--home-dir",  "/nonexistent", "--shell", "/usr/sbin/nologin", kTestUser};
    Run(options, std::chrono::seconds(30));
    if (auto user = LookupUser(kTestUser)) {
      cached = user;
      return cached;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100 * (attempt + 1)));
  }
  throw std::runtime_error(
      "testing: running as root, but the unprivileged user 'dbaas-test' could not be created "
      "(useradd --system dbaas-test); database servers refuse to run as root");
}

pid_t Spawn(const SpawnOptions& options) {
  if (options.argv.empty()) throw std::invalid_argument("testing: empty argv");
  std::vector<std::string> argv_storage = options.argv;
  std::vector<std::string> env_storage = BuildEnvironment(options.env_overrides);
  auto argv = CStrings(argv_storage);
  auto envp = CStrings(env_storage);
  const std::string cwd = options.cwd.string();

  Fd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  Fd log_out;
  int out_fd = options.output_fd;
  int err_fd = options.stderr_fd;
  if (out_fd < 0) {
    if (options.log_file.empty()) {
      log_out.Reset(::open("/dev/null", O_WRONLY | O_CLOEXEC));
    } else {
      std::error_code ec;
      std::filesystem::create_directories(options.log_file.parent_path(), ec);
      log_out.Reset(
          ::open(options.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
      if (log_out.Get() < 0) {
        throw std::runtime_error("testing: cannot open log file " + options.log_file.string() +
                                 ": " + ErrnoText(errno));
      }
    }
    out_fd = log_out.Get();
  }
  if (err_fd < 0) err_fd = out_fd;

  int error_pipe[2];
  if (::pipe2(error_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("testing: pipe2 failed: " + ErrnoText(errno));
  }
  Fd error_read(error_pipe[0]);
  Fd error_write(error_pipe[1]);

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("testing: fork failed: " + ErrnoText(errno));
  if (pid == 0) {
    const int efd = error_write.Get();
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (options.new_process_group) ::setpgid(0, 0);
    if (::dup2(null_in.Get(), STDIN_FILENO) < 0) ChildFail(efd, errno);
    if (::dup2(out_fd, STDOUT_FILENO) < 0) ChildFail(efd, errno);
    if (::dup2(err_fd, STDERR_FILENO) < 0) ChildFail(efd, errno);
    if (options.user) {
      const gid_t gid = options.user->gid;
      if (::setgroups(1, &gid) != 0) ChildFail(efd, errno);
      if (::setgid(gid) != 0) ChildFail(efd, errno);
      if (::setuid(options.user->uid) != 0) ChildFail(efd, errno);
    }
    // After the credential change: changing uid clears the parent-death signal.
    if (::prctl(PR_SET_PDEATHSIG, options.death_signal) != 0) ChildFail(efd, errno);
    if (::getppid() != parent) ::_exit(126);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ChildFail(efd, errno);
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    ::execve(argv[0], argv.data(), envp.data());
    ChildFail(efd, errno);
  }
  error_write.Reset();
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(error_read.Get(), &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    throw std::runtime_error("testing: cannot start " + options.argv[0] + ": " +
                             ErrnoText(child_errno));
  }
  return pid;
}

Child::~Child() { Stop(SIGKILL, std::chrono::milliseconds(0)); }

void Child::Start(const SpawnOptions& options) {
  if (Running()) throw std::logic_error("testing: child already running");
  pid_ = Spawn(options);
  status_ = -1;
}

bool Child::Running() { return pid_ > 0 && !Wait(std::chrono::milliseconds(0)).has_value(); }

std::optional<int> Child::Wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return status_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      status_ = r == pid_ ? status : -1;
      pid_ = -1;
      return status_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void Child::Stop(int signal, std::chrono::milliseconds grace) {
  if (pid_ <= 0) return;
  ::kill(pid_, signal);
  if (signal != SIGKILL && Wait(grace)) return;
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    status_ = status;
    pid_ = -1;
  }
}

CommandResult Run(SpawnOptions options, std::chrono::milliseconds timeout) {
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("testing: pipe2 failed");
  Fd out_read(out_pipe[0]);
  Fd out_write(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("testing: pipe2 failed");
  Fd err_read(err_pipe[0]);
  Fd err_write(err_pipe[1]);
  options.output_fd = out_write.Get();
  options.stderr_fd = err_write.Get();

  Child child;
  child.Start(options);
  out_write.Reset();
  err_write.Reset();

  CommandResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out_read.Get(), POLLIN, 0}, {err_read.Get(), POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  char buf[8192];
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      child.Stop(SIGKILL, std::chrono::milliseconds(0));
      throw std::runtime_error("testing: `" + options.argv[0] + "` did not finish within " +
                               std::to_string(timeout.count()) + " ms");
    }
    const int r = ::poll(fds, 2, static_cast<int>(left.count()));
    if (r < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  const auto status = child.Wait(std::max(left, std::chrono::milliseconds(0)));
  if (!status) {
    child.Stop(SIGKILL, std::chrono::milliseconds(0));
    throw std::runtime_error("testing: `" + options.argv[0] + "` did not exit within " +
                             std::to_string(timeout.count()) + " ms");
  }
  if (WIFEXITED(*status)) {
    result.exit_code = WEXITSTATUS(*status);
  } else if (WIFSIGNALED(*status)) {
    result.exit_code = 128 + WTERMSIG(*status);
  }
  return result;
}

std::optional<std::string> FindOnPath(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) == 0) return name;
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

std::string FindBinary(const std::string& name, const std::vector<std::string>& dirs,
                       const std::string& debian_package) {
  for (const auto& dir : dirs) {
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  if (auto found = FindOnPath(name)) return *found;
  std::string where;
  for (const auto& dir : dirs) where += dir + ", ";
  throw std::runtime_error("testing: `" + name + "` not found (looked in " + where +
                           "and PATH); install the Debian package " + debian_package +
                           " (apt-get install " + debian_package + ")");
}

std::filesystem::path MakeTempDir(const std::string& prefix, const std::optional<RunAs>& user) {
  // Under /tmp, not $TMPDIR or the build tree: the unprivileged server user must be able to
  // traverse every parent directory, and Unix socket paths must stay short.
  std::string pattern = "/tmp/dbaas-" + prefix + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("testing: mkdtemp(" + pattern + ") failed: " + ErrnoText(errno));
  }
  std::filesystem::path dir(pattern);
  if (::chmod(dir.c_str(), 0755) != 0 ||
      (user && ::chown(dir.c_str(), user->uid, user->gid) != 0)) {
    const int err = errno;
    RemoveTree(dir);
    throw std::runtime_error("testing: cannot prepare " + dir.string() + ": " + ErrnoText(err));
  }
  return dir;
}

void RemoveTree(const std::filesystem::path& dir) noexcept {
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

bool TcpAccepts(std::uint16_t port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.Get() < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ::connect(fd.Get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

bool UnixAccepts(const std::filesystem::path& path) {
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.Get() < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string p = path.string();
  if (p.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
  return ::connect(fd.Get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

std::string Tail(const std::filesystem::path& file, std::size_t max_bytes) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(in.tellg());
  const std::size_t start = size > max_bytes ? size - max_bytes : 0;
  in.seekg(static_cast<std::streamoff>(start));
  std::string text(size - start, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  return text;
}

void LaunchOnFreePort(std::uint16_t& port, const std::filesystem::path& log_file,
                      const std::function<void()>& launch) {
  constexpr int kPortAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    port = testing::FreePort();
    try {
      launch();
      return;
    } catch (const std::runtime_error&) {
      if (attempt == kPortAttempts || !PortInUse(log_file)) throw;
      std::filesystem::resize_file(log_file, 0);
    }
  }
}

bool PortInUse(const std::filesystem::path& log_file) {
  std::string text = Tail(log_file, 16384);
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text.find("already in use") != std::string::npos;
}

}  // namespace dbaas::testing::detail
