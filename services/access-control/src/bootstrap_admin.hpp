#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace dbaas::access_control {

/// The password for the bootstrap administrator: `configured` (DBAAS_ADMIN_PASSWORD) when set;
/// else the one in `file` when it exists (an earlier start generated it and nobody collected it
/// yet); else a new random 28-character password written to `file` (directory 0700, file 0600,
/// created with O_EXCL so nothing is ever overwritten). Never logs the password. Throws
/// Error{FAILED_PRECONDITION} when the file cannot be read or written.
std::string BootstrapAdminPassword(const std::optional<std::string>& configured,
                                   const std::filesystem::path& file);

}  // namespace dbaas::access_control
