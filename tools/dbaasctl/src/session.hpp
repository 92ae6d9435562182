#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "config_file.hpp"
#include "dbaas/http/client.hpp"
#include "dbaas/http/method.hpp"

namespace dbaas::ctl {

/// Unix seconds now; injected so token expiry can be tested.
using UnixNow = std::function<std::int64_t()>;
std::int64_t SystemUnixNow();

/// Percent-encodes one path segment or query value (everything but A-Z a-z 0-9 - . _ ~).
std::string PercentEncode(std::string_view text);

/// Joins the gateway URL (trailing '/' ignored) and a target starting with '/'.
std::string JoinUrl(std::string_view base, std::string_view target);

/// Sends one request and returns the parsed JSON body of a 2xx answer (null when empty); throws
/// ApiError for any other status and dbaas::Error when the gateway cannot be reached.
nlohmann::json SendJson(http::Client& client, http::Method method, const std::string& url,
                        const nlohmann::json* body, const std::string& bearer = {});

/// POST /v1/auth/token with a password; returns the config to store (no file is written).
CtlConfig Login(http::Client& client, const std::string& url, const std::string& username,
                const std::string& password, const UnixNow& now = SystemUnixNow);

/// Calls the API as the logged-in user of a config file. When the access token has expired or a
/// call answers 401, it trades the refresh token for a new pair once, saves the pair to the file
/// and repeats the call. Not thread-safe.
class Session {
 public:
  Session(std::filesystem::path config_path, CtlConfig config, http::Client& client,
          UnixNow now = SystemUnixNow);

  /// The parsed 2xx body; throws ApiError for an error answer and CliError(kUnauthenticated)
  /// when not logged in or the session cannot be renewed.
  nlohmann::json Call(http::Method method, const std::string& target,
                      const nlohmann::json* body = nullptr);
  nlohmann::json Get(const std::string& target) { return Call(http::Method::kGet, target); }

  const CtlConfig& Config() const noexcept { return config_; }

 private:
  void Refresh();

  std::filesystem::path config_path_;
  CtlConfig config_;
  http::Client& client_;
  UnixNow now_;
};

}  // namespace dbaas::ctl
