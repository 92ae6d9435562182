#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

/// Process plumbing shared by the fixtures: spawning with credentials and a parent-death
/// signal, running short commands with captured output, temporary directories and port probes.
namespace dbaas::testing::detail {

/// The OS account a database server runs as.
struct RunAs {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
};

/// `dbaas-test` (created with useradd on first use) when this process is root; nullopt otherwise,
/// meaning "run as the current user". Thread-safe.
std::optional<RunAs> ServerUser();

struct SpawnOptions {
  /// argv[0] must be an absolute path (see FindBinary / FindOnPath).
  std::vector<std::string> argv;
  /// "KEY=VALUE" sets or replaces a variable, a bare "KEY" removes it.
  std::vector<std::string> env_overrides;
  /// stdout and stderr are appended here; empty means /dev/null (ignored when output_fd >= 0).
  std::filesystem::path log_file;
  /// When >= 0, stdout goes to this descriptor (stderr too unless stderr_fd >= 0).
  int output_fd = -1;
  int stderr_fd = -1;
  std::optional<RunAs> user;
  /// Sent to the child when the spawning thread dies (PR_SET_PDEATHSIG).
  int death_signal = SIGKILL;
  bool new_process_group = true;
  /// Working directory of the child; empty keeps ours.
  std::filesystem::path cwd;
};

/// Forks and execs; throws std::runtime_error when the exec fails (with errno's text).
pid_t Spawn(const SpawnOptions& options);

/// A spawned child owned by one object; killed with SIGKILL and reaped on destruction.
class Child {
 public:
  Child() = default;
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  void Start(const SpawnOptions& options);
  pid_t Pid() const noexcept { return pid_; }
  /// True while the child has not exited (reaps it when it has).
  bool Running();
  /// Waits up to `timeout` for exit; the raw wait status, or nullopt when still running.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  /// Sends `signal`, waits up to `grace`, then SIGKILLs; always reaps. No-op when not running.
  void Stop(int signal, std::chrono::milliseconds grace);
  /// The wait status of the last exit, or -1.
  int LastStatus() const noexcept { return status_; }

 private:
  pid_t pid_ = -1;
  int status_ = -1;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs a command to completion, capturing stdout and stderr separately. Throws
/// std::runtime_error when it does not finish within `timeout` (the child is killed).
CommandResult Run(SpawnOptions options, std::chrono::milliseconds timeout);

/// The absolute path of `name`, looked up in `dirs` first and then in PATH; throws
/// std::runtime_error naming `debian_package` when it is nowhere.
std::string FindBinary(const std::string& name, const std::vector<std::string>& dirs,
                       const std::string& debian_package);
/// PATH lookup; nullopt when absent. A name containing '/' is returned as is when executable.
std::optional<std::string> FindOnPath(const std::string& name);

/// mkdtemp("/tmp/dbaas-<prefix>-XXXXXX"), mode 0755, owned by `user` when given.
std::filesystem::path MakeTempDir(const std::string& prefix, const std::optional<RunAs>& user);
/// Removes a directory tree, ignoring errors (used from destructors).
void RemoveTree(const std::filesystem::path& dir) noexcept;

/// True when 127.0.0.1:port accepts a TCP connection.
bool TcpAccepts(std::uint16_t port);
/// True when the Unix socket at `path` accepts a connection.
bool UnixAccepts(const std::filesystem::path& path);
/// The last `max_bytes` of a file ("" when unreadable), for error messages.
std::string Tail(const std::filesystem::path& file, std::size_t max_bytes = 4096);
/// True when a server log says its port was taken (so a fixture retries on another port).
bool PortInUse(const std::filesystem::path& log_file);

/// Picks a free port into `port` and calls `launch`; when the launch fails because another
/// process took the port meanwhile (PortInUse on `log_file`), empties the log and tries again
/// with a new port, up to 5 times. Other failures propagate at once.
void LaunchOnFreePort(std::uint16_t& port, const std::filesystem::path& log_file,
                      const std::function<void()>& launch);

}  // namespace dbaas::testing::detail
