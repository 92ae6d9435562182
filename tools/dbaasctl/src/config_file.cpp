#include "config_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>

#include "exit_code.hpp"

namespace dbaas::ctl {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void Fail(const fs::path& path, const std::string& what) {
  throw CliError(ExitCode::kUsage, "config file " + path.string() + ": " + what);
}

std::string ErrnoText() {
  return std::error_code(errno, std::generic_category()).message();
}

// Creates every missing directory of `dir` with mode 0700 (existing ones are left alone).
void MakeDirs(const fs::path& dir) {
  if (dir.empty() || fs::exists(dir)) return;
  MakeDirs(dir.parent_path());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    Fail(dir, "cannot create directory: " + ErrnoText());
  }
}

std::string StringField(const nlohmann::json& doc, const char* key) {
  auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::optional<std::string> GetEnv(const char* name) {
  // dbaasctl is single-threaded; nothing changes the environment while it runs.
  const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe)
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

fs::path ResolveConfigPath(const std::optional<std::string>& explicit_path, const EnvLookup& env) {
  if (explicit_path && !explicit_path->empty()) return fs::path(*explicit_path);
  if (auto p = env("DBAASCTL_CONFIG")) return fs::path(*p);
  if (auto xdg = env("XDG_CONFIG_HOME")) return fs::path(*xdg) / "dbaasctl" / "config.json";
  if (auto home = env("HOME")) return fs::path(*home) / ".config" / "dbaasctl" / "config.json";
  throw CliError(ExitCode::kUsage,
                 "cannot find a place for the config file: set HOME, DBAASCTL_CONFIG or --config");
}

std::optional<CtlConfig> LoadConfig(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec) && !ec) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail(path, "cannot read: " + ErrnoText());
  std::stringstream text;
  text << in.rdbuf();
  const auto doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    Fail(path, "is not valid JSON; delete it and run dbaasctl login");
  }
  CtlConfig config;
  config.url = StringField(doc, "url");
  config.username = StringField(doc, "username");
  config.access_token = StringField(doc, "access_token");
  config.refresh_token = StringField(doc, "refresh_token");
  if (auto it = doc.find("access_token_expires_at"); it != doc.end() && it->is_number_integer()) {
    config.access_token_expires_at = it->get<std::int64_t>();
  }
  return config;
}

void SaveConfig(const fs::path& path, const CtlConfig& config) {
  MakeDirs(path.parent_path());
  nlohmann::json doc{{"url", config.url},
                     {"username", config.username},
                     {"access_token", config.access_token},
                     {"access_token_expires_at", config.access_token_expires_at},
                     {"refresh_token", config.refresh_token}};
  const std::string text = doc.dump(2) + "\n";
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  // Created 0600 from the start, so the tokens are never readable by others, not even briefly.
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) Fail(tmp, "cannot create: " + ErrnoText());
  bool ok = ::fchmod(fd, 0600) == 0;
  std::size_t written = 0;
  while (ok && written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const std::string error = ok ? "" : ErrnoText();
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = ok ? ErrnoText() : error;
    ::unlink(tmp.c_str());
    Fail(path, "cannot write: " + reason);
  }
}

}  // namespace dbaas::ctl
