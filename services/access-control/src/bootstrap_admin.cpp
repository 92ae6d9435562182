#include "bootstrap_admin.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "dbaas/common/error.hpp"
#include "dbaas/common/log.hpp"
#include "domain/password.hpp"

namespace dbaas::access_control {
namespace {

[[noreturn]] void Fail(const std::filesystem::path& file, const std::string& what) {
  throw Error(ErrorCode::kFailedPrecondition, "cannot " + what + " the admin password file " +
                                                  file.string() + ": " + std::strerror(errno));
}

}  // namespace

std::string BootstrapAdminPassword(const std::optional<std::string>& configured,
                                   const std::filesystem::path& file) {
  if (configured) return *configured;
  if (std::filesystem::exists(file)) {
    std::ifstream in(file);
    std::string password;
    if (!in || !std::getline(in, password) || password.empty()) Fail(file, "read");
    return password;
  }
  const auto dir = file.parent_path();
  if (!dir.empty() && !std::filesystem::exists(dir)) {
    std::filesystem::create_directories(dir);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
  }
  const std::string password = GeneratePassword();
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) Fail(file, "create");
  const std::string line = password + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!written) Fail(file, "write");
  log::Info("generated the bootstrap admin password", {{"file", file.string()}});
  return password;
}

}  // namespace dbaas::access_control
