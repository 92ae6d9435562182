#pragma once

// The fixture of provisioning's integration tests: real access-control and provisioning (with
// the local runtime creating real servers) against throwaway PostgreSQL and NATS.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "app.hpp"
#include "access_control_host.hpp"
#include "dbaas/common/crypto.hpp"
#include "dbaas/http/client.hpp"
#include "dbaas/runtime/local_runtime.hpp"
#include "dbaas/service/service_host.hpp"
#include "dbaas/testing/programs.hpp"
#include "dbaas/testing/servers.hpp"

#ifndef DBAAS_TEST_PORT_MIN
#define DBAAS_TEST_PORT_MIN 23000
#define DBAAS_TEST_PORT_MAX 25999
#endif

namespace dbaas::provisioning::test {

using http::Method;
using nlohmann::json;
using namespace std::chrono_literals;

inline ConfigReader::Lookup LookupIn(std::map<std::string, std::string> env) {
  return [env = std::move(env)](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

class ProvisioningApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pg_ = std::make_unique<testing::PostgresServer>();
    nats_ = std::make_unique<testing::NatsServer>();
    state_ = std::filesystem::temp_directory_path() / ("dbaas-prov-" + crypto::RandomToken(6));
    std::filesystem::create_directories(state_);
    std::filesystem::permissions(state_, std::filesystem::perms::owner_all |
                                             std::filesystem::perms::group_exec |
                                             std::filesystem::perms::others_exec);
    admin_password_ = "Admin-" + crypto::RandomToken(12);
    std::map<std::string, std::string> common{
        {"DBAAS_NATS_URL", nats_->Url()},
        {"DBAAS_HTTP_PORT", "0"},
        {"DBAAS_HTTP_ACCESS_LOG", "false"},
        {"DBAAS_STATE_DIR", state_.string()},
        {"DBAAS_MASTER_KEY_FILE", (state_ / "secrets" / "master.key").string()},
        {"DBAAS_LOG_LEVEL", "warn"}};
    access_control_ = access_control::test::StartAccessControl(*pg_, common, admin_password_);

    // Instances get ports below the ephemeral range (32768-60999) the other fixtures' servers
    // and outgoing connections use, so a restarted instance keeps its port. Each test binary
    // has its own slice (DBAAS_TEST_PORT_MIN/MAX), so binaries ctest runs at once never meet.
    constexpr int kSlices = (DBAAS_TEST_PORT_MAX - DBAAS_TEST_PORT_MIN + 1) / 40;
    const int base = DBAAS_TEST_PORT_MIN + (::getpid() % kSlices) * 40;
    env_ = common;
    env_["DBAAS_DATABASE_URL"] = pg_->CreateDatabase("provisioning");
    env_["DBAAS_ACCESS_CONTROL_URL"] =
        "http://127.0.0.1:" + std::to_string(access_control_->Port());
    env_["DBAAS_IDENTITY_CACHE_TTL"] = "1s";
    env_["DBAAS_RUNTIME_DIR"] = (state_ / "runtime").string();
    env_["DBAAS_INSTANCE_PORT_MIN"] = std::to_string(base);
    env_["DBAAS_INSTANCE_PORT_MAX"] = std::to_string(base + 39);
    env_["DBAAS_INSTANCE_FAST_INIT"] = "true";
    env_["DBAAS_OPERATION_LEASE"] = "3s";
    env_["DBAAS_HEALTH_INTERVAL"] = "1s";
    StartProvisioning();
    admin_ = Login("admin", admin_password_);
  }

  static void TearDownTestSuite() {
    provisioning_.reset();
    // Servers are detached from us on purpose: remove every instance the tests left.
    runtime::LocalRuntimeConfig config;
    config.state_dir = state_ / "runtime";
    if (std::filesystem::exists(config.state_dir)) {
      runtime::LocalRuntime runtime(config);
      for (const auto& id : runtime.List()) runtime.Delete(id);
    }
    access_control_.reset();
    nats_.reset();
    pg_.reset();
    std::filesystem::remove_all(state_);
  }

  static void StartProvisioning() {
    provisioning_ = std::make_unique<service::Host>(Definition(), LookupIn(env_));
    provisioning_->Start();
    provisioning_->RunInBackground();
  }

  static http::ClientResponse Send(std::uint16_t port, Method method, const std::string& target,
                                   const std::optional<json>& body, const std::string& token,
                                   const std::map<std::string, std::string>& headers = {}) {
    http::ClientRequest req;
    for (const auto& [name, value] : headers) req.headers.Set(name, value);
    req.method = method;
    req.host = "127.0.0.1";
    req.port = port;
    req.target = target;
    req.timeout = 30s;
    if (!token.empty()) req.headers.Set("Authorization", "Bearer " + token);
    if (body) req.JsonBody(*body);
    return client_.Send(std::move(req));
  }
  static http::ClientResponse Call(Method method, const std::string& target,
                                   const std::optional<json>& body = std::nullopt,
                                   const std::string& token = admin_) {
    return Send(provisioning_->Port(), method, target, body, token);
  }
  static http::ClientResponse Ac(Method method, const std::string& target,
                                 const std::optional<json>& body = std::nullopt,
                                 const std::string& token = admin_) {
    return Send(access_control_->Port(), method, target, body, token);
  }
  static std::string Login(const std::string& user, const std::string& password) {
    auto r =
        Ac(Method::kPost, "/v1/auth/token", json{{"username", user}, {"password", password}}, "");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json().value("access_token", "");
  }

  // A new tenant (with `limits`), once provisioning has heard of it; returns its id.
  static std::string Tenant(json limits = json::object()) {
    static int counter = 0;
    json body{{"name", "prov-" + std::to_string(++counter) + "-" +
                           crypto::HexEncode(crypto::RandomBytes(3))}};
    if (!limits.empty()) body["limits"] = limits;
    auto r = Ac(Method::kPost, "/v1/tenants", body);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.Json().value("id", "");
  }

  // POST /v1/instances, retried while the tenant is not known to provisioning yet.
  static http::ClientResponse Create(json body, const std::string& token = admin_) {
    http::ClientResponse r;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    do {
      r = Call(Method::kPost, "/v1/instances", body, token);
      if (r.status != 409 || r.body.find("not known") == std::string::npos) break;
      std::this_thread::sleep_for(100ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return r;
  }

  // Polls the operation until it ends; returns its last state.
  static json WaitOperation(const std::string& id, std::chrono::seconds limit = 180s) {
    json op;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = Call(Method::kGet, "/v1/operations/" + id);
      if (r.status == 200) {
        op = r.Json();
        if (op["status"] == "succeeded" || op["status"] == "failed") return op;
      }
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "operation " << id << " did not end: " << op;
    return op;
  }

  static json Instance(const std::string& tenant, const std::string& engine,
                       const std::string& name, json extra = json::object()) {
    json body{{"tenant_id", tenant},
              {"name", name},
              {"engine", engine},
              {"size", "micro"},
              {"storage_gb", 10}};
    for (auto& [k, v] : extra.items()) body[k] = v;
    return body;
  }

  static std::filesystem::path InstanceDir(const std::string& id) {
    return state_ / "runtime" / "instances" / id;
  }

  static inline std::unique_ptr<testing::PostgresServer> pg_;
  static inline std::unique_ptr<testing::NatsServer> nats_;
  static inline std::unique_ptr<service::Host> access_control_;
  static inline std::unique_ptr<service::Host> provisioning_;
  static inline std::filesystem::path state_;
  static inline std::map<std::string, std::string> env_;
  static inline std::string admin_password_;
  static inline std::string admin_;
  static inline http::Client client_{[] {
    http::ClientConfig config;
    config.max_attempts = 1;
    config.breaker.failure_threshold = 1'000'000;
    return config;
  }()};
};

}  // namespace dbaas::provisioning::test
