#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "dbaas/engines/backup.hpp"

namespace dbaas::runtime {

struct ToolProcessAccess;

/// A tool (pg_basebackup, mariadb-dump, tar, ...) running as a child process whose stdout is a
/// stream: read it from Stdout() (a pipe) or let it write into a descriptor given at start.
/// Its stderr is collected in the background (the first 4 KiB and the last 60 KiB) for error
/// messages and for ParseBackupLog. Not thread-safe; one reader.
class ToolProcess {
 public:
  /// Starts `command` (argv[0] absolute; env as in engines::ToolCommand) as the current user.
  /// stdin comes from `stdin_fd` (-1: /dev/null), stdout goes to `stdout_fd` (-1: a pipe,
  /// read it with Stdout()). The descriptors stay ours (the child gets copies). Throws
  /// Error{INTERNAL} when the program cannot start.
  explicit ToolProcess(const engines::ToolCommand& command, int stdin_fd = -1, int stdout_fd = -1,
                       const std::filesystem::path& cwd = {});
  /// Kills (SIGKILL) and reaps the child when it still runs.
  ~ToolProcess();
  ToolProcess(const ToolProcess&) = delete;
  ToolProcess& operator=(const ToolProcess&) = delete;

  /// The read end of the child's stdout; -1 when stdout went to a given descriptor.
  int Stdout() const noexcept;
  /// Closes our read end early (the child then gets SIGPIPE/EPIPE when it writes).
  void CloseStdout() noexcept;
  /// Waits for the child to exit; its exit status (128 + signal when killed by one).
  int Wait();
  /// What the child wrote to stderr (complete after Wait()).
  std::string Stderr() const;
  /// The program's name, for messages.
  const std::string& Name() const noexcept;
  /// SIGKILL now (Wait() still reaps).
  void Kill() noexcept;

 private:
  friend struct ToolProcessAccess;
  struct Impl;
  explicit ToolProcess(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dbaas::runtime
