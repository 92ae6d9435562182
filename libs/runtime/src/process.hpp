#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

/// Process plumbing for the local runtime: running tools as the database OS user, starting
/// detached servers, and looking at processes through /proc (they are not our children).
namespace dbaas::runtime::detail {

/// An OS account database processes run as.
struct OsUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
};

/// The account to run database processes as. When this process is root: `name`, created with
/// `useradd --system` when missing (throws Error{FAILED_PRECONDITION} when that fails). Otherwise
/// the current user (database servers then run as whoever runs the control plane).
OsUser ResolveOsUser(const std::string& name);

struct Command {
  std::vector<std::string> argv;  ///< argv[0] an absolute path
  /// "KEY=VALUE" set or replace, bare "KEY" removes.
  std::vector<std::string> env;
  std::filesystem::path cwd;
  std::optional<OsUser> user;  ///< switch to this account (only when we are root)
};

struct CommandResult {
  int exit_code = -1;  ///< 128 + signal when killed by one
  std::string out;
  std::string err;
};

/// Runs a command to completion with stdout/stderr captured. Throws Error{DEADLINE_EXCEEDED}
/// when it does not finish within `timeout` (the command is killed), Error{INTERNAL} when it
/// cannot start.
CommandResult Run(const Command& command, std::chrono::milliseconds timeout);

/// Starts `command` as our child with stdin/stdout/stderr from these descriptors (-1: /dev/null);
/// returns its pid for waitpid. Throws Error{INTERNAL} when the exec fails.
pid_t StartChild(const Command& command, int in_fd, int out_fd, int err_fd);

/// Starts `command` detached: its own session (setsid), reparented away from us (double fork),
/// stdin from /dev/null and stdout/stderr appended to `log_file`. It keeps running when this
/// process exits. Returns the server's pid. Throws Error{INTERNAL} when the exec fails.
pid_t SpawnDetached(const Command& command, const std::filesystem::path& log_file);

/// True while `pid` exists and is not a zombie.
bool Alive(pid_t pid);
/// The /proc/<pid>/cmdline arguments; empty when the process is gone.
std::vector<std::string> CommandLine(pid_t pid);
/// Live (non-zombie) processes whose working directory or command line lies under `dir`.
std::vector<pid_t> ProcessesUnder(const std::filesystem::path& dir);
/// Sends `signal` to every process in ProcessesUnder(dir), waits up to `grace` for them to go,
/// then SIGKILLs the rest and waits up to 5 s more. True when none is left.
bool KillProcessesUnder(const std::filesystem::path& dir, int signal,
                        std::chrono::milliseconds grace);
/// Waits up to `timeout` for `pid` to stop being Alive().
bool WaitGone(pid_t pid, std::chrono::milliseconds timeout);

/// True when 127.0.0.1:port can be bound right now (nothing listens there).
bool PortFree(std::uint16_t port);

/// Looks for `name` in `dirs`, then PATH; throws Error{FAILED_PRECONDITION} naming
/// `debian_package` when missing.
std::string FindBinary(const std::string& name, const std::vector<std::string>& dirs,
                       const std::string& debian_package);

/// chown -R to `user` (no-op when `user` is the current uid). Throws Error{INTERNAL}.
void ChownTree(const std::filesystem::path& dir, const OsUser& user);
/// Writes `content` to `path` atomically (temp + rename) with `mode`, owned by `user` when set.
void WriteFile(const std::filesystem::path& path, const std::string& content, mode_t mode,
               const std::optional<OsUser>& user = std::nullopt);
std::string ReadFile(const std::filesystem::path& path);
/// The last `max_bytes` of a file ("" when unreadable), for error messages.
std::string Tail(const std::filesystem::path& file, std::size_t max_bytes = 2048);
/// Throws Error{FAILED_PRECONDITION} naming the first ancestor of `dir` that `user` cannot
/// traverse (searched by mode bits); no-op when `user` is the current user.
void CheckTraversable(const std::filesystem::path& dir, const OsUser& user);

}  // namespace dbaas::runtime::detail
