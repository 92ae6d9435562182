#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "app.hpp"
#include "audit_database.hpp"
#include "dbaas/common/crypto.hpp"
#include "dbaas/http/client.hpp"
#include "dbaas/service/service_host.hpp"
#include "dbaas/testing/servers.hpp"

namespace dbaas::access_control::test {

/// The real access-control service in-process against throwaway PostgreSQL and NATS servers,
/// with helpers to log in and call it. One per test suite.
class AcService {
 public:
  /// `extra` overrides or adds DBAAS_* settings.
  explicit AcService(std::map<std::string, std::string> extra = {}) {
    pg_ = std::make_unique<testing::PostgresServer>();
    nats_ = std::make_unique<testing::NatsServer>();
    db_url_ = pg_->CreateDatabase("access_control");
    state_dir_ = std::filesystem::temp_directory_path() / ("dbaas-ac-" + crypto::RandomToken(6));
    env_ = {{"DBAAS_DATABASE_URL", db_url_},
            {"DBAAS_NATS_URL", nats_->Url()},
            {"DBAAS_HTTP_PORT", "0"},
            {"DBAAS_HTTP_ACCESS_LOG", "false"},
            {"DBAAS_STATE_DIR", state_dir_.string()},
            {"DBAAS_MASTER_KEY_FILE", (state_dir_ / "secrets" / "master.key").string()},
            // Tests fail many logins from 127.0.0.1 on purpose; one test lowers this again.
            {"DBAAS_LOGIN_SOURCE_MAX_FAILURES", "10000"},
            {"DBAAS_LOG_LEVEL", "warn"}};
    for (auto& [k, v] : AuditDatabaseSettings(*pg_)) env_[k] = v;
    for (auto& [k, v] : extra) env_[k] = v;
    StartHost();
  }

  ~AcService() {
    host_.reset();
    nats_.reset();
    pg_.reset();
    std::filesystem::remove_all(state_dir_);
  }

  /// Stops the service and starts a new one on the same database and state directory, with
  /// `changes` applied to the settings (an empty value removes a setting).
  void Restart(const std::map<std::string, std::string>& changes = {}) {
    host_.reset();
    for (const auto& [k, v] : changes) {
      if (v.empty())
        env_.erase(k);
      else
        env_[k] = v;
    }
    admin_token_.reset();
    StartHost();
  }

  http::ClientResponse Call(http::Method method, const std::string& target,
                            const std::optional<nlohmann::json>& body = std::nullopt,
                            const std::string& token = {}, http::Headers headers = {}) {
    http::ClientRequest req;
    req.method = method;
    req.host = "127.0.0.1";
    req.port = host_->Port();
    req.target = target;
    req.headers = std::move(headers);
    if (!token.empty()) req.headers.Set("Authorization", "Bearer " + token);
    if (body) req.JsonBody(*body);
    return client_.Send(std::move(req));
  }

  /// POST /v1/auth/token; the whole response.
  http::ClientResponse LoginResponse(const std::string& username, const std::string& password) {
    return Call(http::Method::kPost, "/v1/auth/token",
                nlohmann::json{{"username", username}, {"password", password}});
  }

  /// An access token for the user; throws std::runtime_error when the login fails.
  std::string Login(const std::string& username, const std::string& password) {
    auto resp = LoginResponse(username, password);
    if (resp.status != 200) {
      throw std::runtime_error("login as " + username + " failed: " + std::to_string(resp.status) +
                               " " + resp.body);
    }
    return resp.Json()["access_token"].get<std::string>();
  }

  /// The bootstrap administrator's password: DBAAS_ADMIN_PASSWORD or the generated file.
  std::string AdminPassword() const {
    if (auto it = env_.find("DBAAS_ADMIN_PASSWORD"); it != env_.end()) return it->second;
    std::ifstream in(AdminPasswordFile());
    std::string password;
    std::getline(in, password);
    return password;
  }

  std::filesystem::path AdminPasswordFile() const {
    return state_dir_ / "secrets" / "admin.password";
  }

  /// A platform-admin access token (cached).
  const std::string& AdminToken() {
    if (!admin_token_) admin_token_ = Login("admin", AdminPassword());
    return *admin_token_;
  }

  /// Creates a tenant as the admin; returns its id.
  std::string CreateTenant(const std::string& name) {
    auto resp =
        Call(http::Method::kPost, "/v1/tenants", nlohmann::json{{"name", name}}, AdminToken());
    if (resp.status != 201) throw std::runtime_error("create tenant: " + resp.body);
    return resp.Json()["id"].get<std::string>();
  }

  /// Creates a user as the admin; returns its id.
  std::string CreateUser(const std::string& email, const std::string& password,
                         const std::string& tenant_id, const std::vector<std::string>& roles) {
    nlohmann::json body{{"email", email}, {"password", password}, {"roles", roles}};
    body["tenant_id"] = tenant_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(tenant_id);
    auto resp = Call(http::Method::kPost, "/v1/users", body, AdminToken());
    if (resp.status != 201) throw std::runtime_error("create user: " + resp.body);
    return resp.Json()["id"].get<std::string>();
  }

  std::uint16_t Port() const { return host_->Port(); }
  const std::string& DbUrl() const { return db_url_; }
  testing::PostgresServer& Pg() { return *pg_; }
  testing::NatsServer& Nats() { return *nats_; }
  const std::map<std::string, std::string>& Env() const { return env_; }

 private:
  void StartHost() {
    auto env = env_;
    host_ = std::make_unique<service::Host>(
        Definition(), [env](std::string_view name) -> std::optional<std::string> {
          auto it = env.find(std::string(name));
          if (it == env.end()) return std::nullopt;
          return it->second;
        });
    host_->Start();
    host_->RunInBackground();
  }

  std::unique_ptr<testing::PostgresServer> pg_;
  std::unique_ptr<testing::NatsServer> nats_;
  std::unique_ptr<service::Host> host_;
  std::string db_url_;
  std::filesystem::path state_dir_;
  std::map<std::string, std::string> env_;
  std::optional<std::string> admin_token_;
  http::Client client_{http::ClientConfig{}};
};

}  // namespace dbaas::access_control::test
