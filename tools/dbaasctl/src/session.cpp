#include "session.hpp"

#include <chrono>

#include "api_error.hpp"
#include "exit_code.hpp"

namespace dbaas::ctl {
namespace {

// An access token this close to its expiry is renewed before use rather than sent to fail.
constexpr std::int64_t kExpirySlackSeconds = 10;

void StoreTokens(CtlConfig& config, const nlohmann::json& answer, std::int64_t now) {
  if (!answer.is_object() || !answer.contains("access_token") ||
      !answer["access_token"].is_string()) {
    throw CliError(ExitCode::kUnavailable, "the token answer holds no access_token");
  }
  config.access_token = answer["access_token"].get<std::string>();
  config.refresh_token = answer.value("refresh_token", std::string());
  const auto expires_in = answer.value("expires_in", std::int64_t{0});
  config.access_token_expires_at = expires_in > 0 ? now + expires_in : 0;
}

}  // namespace

std::int64_t SystemUnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string JoinUrl(std::string_view base, std::string_view target) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return std::string(base) + std::string(target);
}

nlohmann::json SendJson(http::Client& client, http::Method method, const std::string& url,
                        const nlohmann::json* body, const std::string& bearer) {
  http::ClientRequest request;
  request.method = method;
  request.url = url;
  request.headers.Set("Accept", "application/json");
  if (!bearer.empty()) request.headers.Set("Authorization", "Bearer " + bearer);
  if (body != nullptr) request.JsonBody(*body);
  const auto response = client.Send(std::move(request));
  if (response.status < 200 || response.status >= 300) {
    throw ParseApiError(response.status, response.body);
  }
  if (response.body.empty()) return nullptr;
  auto parsed = nlohmann::json::parse(response.body, nullptr, false);
  if (parsed.is_discarded()) {
    throw CliError(ExitCode::kUnavailable, "the gateway answered " +
                                               std::to_string(response.status) +
                                               " with a body that is not JSON");
  }
  return parsed;
}

CtlConfig Login(http::Client& client, const std::string& url, const std::string& username,
                const std::string& password, const UnixNow& now) {
  const nlohmann::json body{{"username", username}, {"password", password}};
  const auto answer = SendJson(client, http::Method::kPost, JoinUrl(url, "/v1/auth/token"), &body);
  CtlConfig config;
  config.url = url;
  config.username = username;
  StoreTokens(config, answer, now());
  return config;
}

Session::Session(std::filesystem::path config_path, CtlConfig config, http::Client& client,
                 UnixNow now)
    : config_path_(std::move(config_path)),
      config_(std::move(config)),
      client_(client),
      now_(std::move(now)) {}

nlohmann::json Session::Call(http::Method method, const std::string& target,
                             const nlohmann::json* body) {
  if (!config_.LoggedIn() || config_.url.empty()) {
    throw CliError(ExitCode::kUnauthenticated,
                   "not logged in: run dbaasctl login (config file " + config_path_.string() + ")");
  }
  bool refreshed = false;
  if (!config_.refresh_token.empty() &&
      (config_.access_token.empty() ||
       (config_.access_token_expires_at > 0 &&
        now_() >= config_.access_token_expires_at - kExpirySlackSeconds))) {
    Refresh();
    refreshed = true;
  }
  try {
    return SendJson(client_, method, JoinUrl(config_.url, target), body, config_.access_token);
  } catch (const ApiError& e) {
    if (e.Status() != 401 || refreshed || config_.refresh_token.empty()) throw;
  }
  Refresh();
  return SendJson(client_, method, JoinUrl(config_.url, target), body, config_.access_token);
}

void Session::Refresh() {
  const nlohmann::json body{{"grant_type", "refresh_token"},
                            {"refresh_token", config_.refresh_token}};
  nlohmann::json answer;
  try {
    answer = SendJson(client_, http::Method::kPost, JoinUrl(config_.url, "/v1/auth/token"), &body);
  } catch (const ApiError& e) {
    if (e.Status() != 400 && e.Status() != 401) throw;
    // The refresh token is spent, expired or revoked: forget it so the next call says so at once.
    config_.access_token.clear();
    config_.refresh_token.clear();
    config_.access_token_expires_at = 0;
    SaveConfig(config_path_, config_);
    throw CliError(ExitCode::kUnauthenticated,
                   "the session has expired (" + e.Message() + "): run dbaasctl login");
  }
  StoreTokens(config_, answer, now_());
  SaveConfig(config_path_, config_);
}

}  // namespace dbaas::ctl
