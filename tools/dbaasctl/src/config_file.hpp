#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace dbaas::ctl {

/// What `dbaasctl login` stores: where the gateway is and the caller's tokens.
struct CtlConfig {
  std::string url;
  std::string username;
  std::string access_token;
  /// Unix seconds after which the access token is no longer accepted; 0 when unknown.
  std::int64_t access_token_expires_at = 0;
  std::string refresh_token;

  bool LoggedIn() const noexcept { return !access_token.empty() || !refresh_token.empty(); }
  bool operator==(const CtlConfig&) const = default;
};

/// Looks up an environment variable; returns nullopt when unset or empty.
using EnvLookup = std::function<std::optional<std::string>(const char*)>;
/// The process environment.
std::optional<std::string> GetEnv(const char* name);

/// The config file path: `explicit_path` (--config), else $DBAASCTL_CONFIG, else
/// $XDG_CONFIG_HOME/dbaasctl/config.json, else $HOME/.config/dbaasctl/config.json. Throws
/// CliError(kUsage) when none of these can be determined.
std::filesystem::path ResolveConfigPath(const std::optional<std::string>& explicit_path,
                                        const EnvLookup& env = GetEnv);

/// Reads the config; nullopt when the file does not exist. Throws CliError(kUsage) naming the
/// file when it cannot be read or is not a dbaasctl config.
std::optional<CtlConfig> LoadConfig(const std::filesystem::path& path);

/// Writes the config atomically (temporary file + rename) with mode 0600, creating missing
/// parent directories with mode 0700. Throws CliError(kUsage) naming the path on failure.
void SaveConfig(const std::filesystem::path& path, const CtlConfig& config);

}  // namespace dbaas::ctl
