#include "process.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "dbaas/common/error.hpp"

extern char** environ;

namespace dbaas::runtime::detail {
namespace {

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

std::string ErrnoText(int err) {
  return std::strerror(err);
}

std::optional<OsUser> LookupUser(const std::string& name) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  return OsUser{pw.pw_uid, pw.pw_gid, name};
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

[[noreturn]] void ChildFail(int error_fd, int err) {
  // Only async-signal-safe calls between fork and exec: the parent may have threads.
  const auto n = ::write(error_fd, &err, sizeof err);
  static_cast<void>(n);
  ::_exit(127);
}

/// The child side after fork: default signals, credentials, cwd, then exec.
[[noreturn]] void ExecChild(int efd, char** argv, char** envp, const char* cwd,
                            const std::optional<OsUser>& user, int in_fd, int out_fd, int err_fd) {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2}) {
    ::sigaction(sig, &dfl, nullptr);
  }
  if (::dup2(in_fd, STDIN_FILENO) < 0) ChildFail(efd, errno);
  if (::dup2(out_fd, STDOUT_FILENO) < 0) ChildFail(efd, errno);
  if (::dup2(err_fd, STDERR_FILENO) < 0) ChildFail(efd, errno);
  if (user && ::geteuid() == 0 && user->uid != 0) {
    const gid_t gid = user->gid;
    if (::setgroups(1, &gid) != 0) ChildFail(efd, errno);
    if (::setgid(gid) != 0) ChildFail(efd, errno);
    if (::setuid(user->uid) != 0) ChildFail(efd, errno);
  }
  ::umask(077);
  if (cwd[0] != '\0' && ::chdir(cwd) != 0) ChildFail(efd, errno);
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  ::execve(argv[0], argv, envp);
  ChildFail(efd, errno);
}

/// argv, environment and working directory prepared before fork (nothing allocates after it).
struct ExecArgs {
  explicit ExecArgs(const Command& command)
      : argv_storage(command.argv),
        env_storage(BuildEnvironment(command.env)),
        argv(CStrings(argv_storage)),
        envp(CStrings(env_storage)),
        cwd(command.cwd.string()) {
    if (command.argv.empty()) throw Error(ErrorCode::kInternal, "runtime: empty command");
  }
  std::vector<std::string> argv_storage;
  std::vector<std::string> env_storage;
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::string cwd;
};

char ProcState(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(in, text)) return '\0';
  const auto close = text.rfind(')');
  if (close == std::string::npos || close + 2 >= text.size()) return '\0';
  return text[close + 2];
}

bool Under(const std::string& path, const std::string& dir) {
  return path.size() >= dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         (path.size() == dir.size() || path[dir.size()] == '/');
}

}  // namespace

OsUser ResolveOsUser(const std::string& name) {
  if (::geteuid() != 0) {
    const auto* pw = ::getpwuid(::geteuid());
    return OsUser{::geteuid(), ::getegid(), pw != nullptr ? pw->pw_name : std::string()};
  }
  if (name.empty() || name == "root") {
    throw Error(
        ErrorCode::kFailedPrecondition,
        "the local runtime runs as root but its database OS user is empty or root; "
        "PostgreSQL refuses to run as root: configure an unprivileged user (default dbaas-db)");
  }
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (auto user = LookupUser(name)) return *user;
    std::string useradd = "/usr/sbin/useradd";
    Command cmd;
    cmd.argv = {useradd,      "--system",     "--user-group", "--no-create-home",
                "--home-dir", "/nonexistent", "--shell",      "/usr/sbin/nologin",
                name};
    // Another process may be creating the same user; the next lookup finds it.
    const auto r = Run(cmd, std::chrono::seconds(30));
    if (auto user = LookupUser(name)) return *user;
    if (attempt == 4) {
      throw Error(ErrorCode::kFailedPrecondition,
                  "cannot create the database OS user '" + name + "' (useradd --system " + name +
                      "): " + r.err +
                      "; create it by hand or configure an existing unprivileged user");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100 * (attempt + 1)));
  }
  throw Error(ErrorCode::kInternal, "unreachable");
}

CommandResult Run(const Command& command, std::chrono::milliseconds timeout) {
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw Error(ErrorCode::kInternal, "runtime: pipe2 failed: " + ErrnoText(errno));
  }
  Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
  Fd err_read(err_pipe[0]), err_write(err_pipe[1]);
  const pid_t pid = StartChild(command, -1, out_write.Get(), err_write.Get());
  out_write.Reset();
  err_write.Reset();

  CommandResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out_read.Get(), POLLIN, 0}, {err_read.Get(), POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  char buf[8192];
  bool timed_out = false;
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    const int r = ::poll(fds, 2, static_cast<int>(left.count()));
    if (r < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, timed_out ? WNOHANG : 0);
    if (r == pid) break;
    if (r < 0 && errno == EINTR) continue;
    if (r == 0 && std::chrono::steady_clock::now() < deadline + std::chrono::seconds(1)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    if (r == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      throw Error(ErrorCode::kDeadlineExceeded, "runtime: `" + command.argv[0] +
                                                    "` did not finish within " +
                                                    std::to_string(timeout.count()) + " ms");
    }
    break;
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = 128 + WTERMSIG(status);
  }
  return result;
}

pid_t StartChild(const Command& command, int in_fd, int out_fd, int err_fd) {
  ExecArgs exec(command);
  Fd null_dev(::open("/dev/null", O_RDWR | O_CLOEXEC));
  int exec_pipe[2];
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    throw Error(ErrorCode::kInternal, "runtime: pipe2 failed: " + ErrnoText(errno));
  }
  Fd exec_read(exec_pipe[0]), exec_write(exec_pipe[1]);
  const pid_t pid = ::fork();
  if (pid < 0) throw Error(ErrorCode::kInternal, "runtime: fork failed: " + ErrnoText(errno));
  if (pid == 0) {
    ExecChild(exec_write.Get(), exec.argv.data(), exec.envp.data(), exec.cwd.c_str(), command.user,
              in_fd >= 0 ? in_fd : null_dev.Get(), out_fd >= 0 ? out_fd : null_dev.Get(),
              err_fd >= 0 ? err_fd : null_dev.Get());
  }
  exec_write.Reset();
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(exec_read.Get(), &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    throw Error(ErrorCode::kInternal,
                "runtime: cannot start " + command.argv[0] + ": " + ErrnoText(child_errno));
  }
  return pid;
}

pid_t SpawnDetached(const Command& command, const std::filesystem::path& log_file) {
  ExecArgs exec(command);

  Fd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  Fd log(::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (log.Get() < 0) {
    throw Error(ErrorCode::kInternal,
                "runtime: cannot open " + log_file.string() + ": " + ErrnoText(errno));
  }
  if (command.user && ::geteuid() == 0) {
    if (::fchown(log.Get(), command.user->uid, command.user->gid) != 0) {
      throw Error(ErrorCode::kInternal, "runtime: cannot chown " + log_file.string());
    }
  }
  int pid_pipe[2];
  int exec_pipe[2];
  if (::pipe2(pid_pipe, O_CLOEXEC) != 0 || ::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    throw Error(ErrorCode::kInternal, "runtime: pipe2 failed: " + ErrnoText(errno));
  }
  Fd pid_read(pid_pipe[0]), pid_write(pid_pipe[1]);
  Fd exec_read(exec_pipe[0]), exec_write(exec_pipe[1]);

  const pid_t middle = ::fork();
  if (middle < 0) throw Error(ErrorCode::kInternal, "runtime: fork failed: " + ErrnoText(errno));
  if (middle == 0) {
    // A new session and a second fork: the server is nobody's child here and no signal aimed
    // at our process group or terminal reaches it.
    ::setsid();
    const pid_t server = ::fork();
    if (server < 0) ChildFail(exec_write.Get(), errno);
    if (server == 0) {
      ExecChild(exec_write.Get(), exec.argv.data(), exec.envp.data(), exec.cwd.c_str(),
                command.user, null_in.Get(), log.Get(), log.Get());
    }
    const auto n = ::write(pid_write.Get(), &server, sizeof server);
    static_cast<void>(n);
    ::_exit(0);
  }
  pid_write.Reset();
  exec_write.Reset();
  int status = 0;
  while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) {
  }
  pid_t server = -1;
  ssize_t n;
  do {
    n = ::read(pid_read.Get(), &server, sizeof server);
  } while (n < 0 && errno == EINTR);
  int child_errno = 0;
  do {
    n = ::read(exec_read.Get(), &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  if (n > 0 || server <= 0) {
    throw Error(ErrorCode::kInternal, "runtime: cannot start " + command.argv[0] + ": " +
                                          ErrnoText(child_errno != 0 ? child_errno : ECHILD));
  }
  return server;
}

bool Alive(pid_t pid) {
  if (pid <= 0) return false;
  const char state = ProcState(pid);
  return state != '\0' && state != 'Z' && state != 'X';
}

std::vector<std::string> CommandLine(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::vector<std::string> args;
  std::string arg;
  while (std::getline(in, arg, '\0')) args.push_back(arg);
  return args;
}

std::vector<pid_t> ProcessesUnder(const std::filesystem::path& dir) {
  const std::string root = dir.lexically_normal().string();
  std::vector<pid_t> found;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return found;
  while (const dirent* entry = ::readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || pid <= 0) continue;
    if (pid == ::getpid() || !Alive(static_cast<pid_t>(pid))) continue;
    const std::string base = "/proc/" + std::string(entry->d_name);
    std::error_code ec;
    auto cwd = std::filesystem::read_symlink(base + "/cwd", ec).string();
    if (const auto del = cwd.rfind(" (deleted)"); del != std::string::npos) cwd.resize(del);
    bool match = !ec && Under(cwd, root);
    if (!match) {
      for (const auto& arg : CommandLine(static_cast<pid_t>(pid))) {
        if (arg.find(root + "/") != std::string::npos) {
          match = true;
          break;
        }
      }
    }
    if (match) found.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(proc);
  return found;
}

bool WaitGone(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Alive(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

bool KillProcessesUnder(const std::filesystem::path& dir, int signal,
                        std::chrono::milliseconds grace) {
  auto pids = ProcessesUnder(dir);
  for (pid_t pid : pids) ::kill(pid, signal);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (!pids.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    pids = ProcessesUnder(dir);
  }
  for (int round = 0; round < 250 && !pids.empty(); ++round) {
    for (pid_t pid : pids) ::kill(pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    pids = ProcessesUnder(dir);
  }
  return pids.empty();
}

bool PortFree(std::uint16_t port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.Get() < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // SO_REUSEADDR as the servers set it: TIME_WAIT leftovers do not count as taken, a socket
  // bound or listening there does.
  int one = 1;
  ::setsockopt(fd.Get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  return ::bind(fd.Get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

std::string FindBinary(const std::string& name, const std::vector<std::string>& dirs,
                       const std::string& debian_package) {
  for (const auto& dir : dirs) {
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  const char* path = std::getenv("PATH");
  std::stringstream list(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(list, dir, ':')) {
    const std::string candidate = dir + "/" + name;
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  throw Error(ErrorCode::kFailedPrecondition,
              "`" + name + "` not found; install the Debian package " + debian_package +
                  " (apt-get install " + debian_package + ")");
}

void ChownTree(const std::filesystem::path& dir, const OsUser& user) {
  if (user.uid == ::geteuid()) return;
  auto chown_one = [&user](const std::filesystem::path& p) {
    if (::lchown(p.c_str(), user.uid, user.gid) != 0) {
      throw Error(ErrorCode::kInternal,
                  "runtime: cannot chown " + p.string() + ": " + ErrnoText(errno));
    }
  };
  chown_one(dir);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
    chown_one(entry.path());
}

void WriteFile(const std::filesystem::path& path, const std::string& content, mode_t mode,
               const std::optional<OsUser>& user) {
  const auto tmp = path.string() + ".tmp";
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (fd.Get() < 0) {
    throw Error(ErrorCode::kInternal, "runtime: cannot write " + tmp + ": " + ErrnoText(errno));
  }
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd.Get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      throw Error(ErrorCode::kInternal, "runtime: cannot write " + tmp + ": " + ErrnoText(err));
    }
    done += static_cast<std::size_t>(n);
  }
  ::fchmod(fd.Get(), mode);
  if (user && user->uid != ::geteuid() && ::fchown(fd.Get(), user->uid, user->gid) != 0) {
    ::unlink(tmp.c_str());
    throw Error(ErrorCode::kInternal, "runtime: cannot chown " + tmp + ": " + ErrnoText(errno));
  }
  ::fsync(fd.Get());
  fd.Reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw Error(ErrorCode::kInternal, "runtime: cannot rename " + tmp + ": " + ErrnoText(err));
  }
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kNotFound, "runtime: cannot read " + path.string());
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
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

void CheckTraversable(const std::filesystem::path& dir, const OsUser& user) {
  if (user.uid == ::geteuid()) return;
  std::filesystem::path current;
  for (const auto& part : std::filesystem::absolute(dir).lexically_normal()) {
    current /= part;
    struct stat st {};
    if (::stat(current.c_str(), &st) != 0) return;  // created later, by us, traversable
    bool ok = (st.st_mode & S_IXOTH) != 0;
    if (st.st_uid == user.uid)
      ok = (st.st_mode & S_IXUSR) != 0;
    else if (st.st_gid == user.gid && (st.st_mode & S_IXGRP) != 0)
      ok = true;
    if (!ok) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      throw Error(ErrorCode::kFailedPrecondition,
                  "the database OS user '" + user.name + "' cannot reach " + dir.string() + ": " +
                      current.string() + " has mode " + mode +
                      "; put the runtime state directory where every user may traverse (e.g. "
                      "/var/lib/dbaas) or run `chmod o+x " +
                      current.string() + "`");
    }
  }
}

}  // namespace dbaas::runtime::detail
