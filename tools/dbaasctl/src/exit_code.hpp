#pragma once

#include <stdexcept>
#include <string>

#include "dbaas/common/error.hpp"

namespace dbaas::ctl {

/// The process exit codes scripts rely on; documented in `dbaasctl --help` and docs/dbaasctl.md.
enum class ExitCode : int {
  kOk = 0,
  kApiError = 1,         ///< the API refused the request (4xx not listed below)
  kUsage = 2,            ///< bad command line
  kNotFound = 3,         ///< 404
  kUnauthenticated = 4,  ///< 401/403, or not logged in
  kConflict = 5,         ///< 409/412
  kUnavailable = 6,      ///< 5xx, 429, unreachable gateway, --wait timeout
  kOperationFailed = 7,  ///< the followed operation finished `failed`
};

/// The exit code for a non-2xx HTTP status.
ExitCode ExitCodeForStatus(int status) noexcept;
/// The exit code for an error raised on this side (connection refused, timeout, bad reply).
ExitCode ExitCodeForError(ErrorCode code) noexcept;

/// A failure that ends the command with `code` after printing `what()` to stderr.
class CliError : public std::runtime_error {
 public:
  CliError(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode Code() const noexcept { return code_; }

 private:
  ExitCode code_;
};

/// A command-line mistake: exit code 2.
class UsageError : public CliError {
 public:
  explicit UsageError(const std::string& message) : CliError(ExitCode::kUsage, message) {}
};

}  // namespace dbaas::ctl
