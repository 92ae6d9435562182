#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "app.hpp"
#include "access_control_host.hpp"
#include "dbaas/common/config.hpp"
#include "dbaas/common/crypto.hpp"
#include "dbaas/http/client.hpp"
#include "dbaas/service/service_host.hpp"
#include "dbaas/testing/servers.hpp"
#include "oidc_idp.hpp"

namespace dbaas::gateway {
namespace {

using nlohmann::json;

constexpr const char* kAudience = "dbaas-console";

ConfigReader::Lookup LookupIn(std::map<std::string, std::string> env) {
  return [env = std::move(env)](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

// Tokens of an external OIDC issuer (jose behind tests/oidc_idp.mjs) through the real gateway
// in front of the real access-control: verified locally by the gateway against the issuer's
// JWKS, mapped to roles by access-control's introspection, checked again by access-control.
class GatewayOidc : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    idp_ = std::make_unique<access_control::test::OidcIdp>(DBAAS_AC_NODE_DIR);
    pg_ = std::make_unique<testing::PostgresServer>();
    nats_ = std::make_unique<testing::NatsServer>();
    state_dir_ = std::filesystem::temp_directory_path() / ("dbaas-gwo-" + crypto::RandomToken(6));
    const std::string admin_password = "Admin-" + crypto::RandomToken(12);
    std::map<std::string, std::string> common{
        {"DBAAS_NATS_URL", nats_->Url()},
        {"DBAAS_HTTP_PORT", "0"},
        {"DBAAS_HTTP_ACCESS_LOG", "false"},
        {"DBAAS_STATE_DIR", state_dir_.string()},
        {"DBAAS_MASTER_KEY_FILE", (state_dir_ / "secrets" / "master.key").string()},
        {"DBAAS_LOG_LEVEL", "warn"},
        {"DBAAS_OIDC_ISSUER", idp_->Issuer()},
        {"DBAAS_OIDC_AUDIENCE", kAudience}};
    auto ac_env = common;
    ac_env["DBAAS_OIDC_ROLES_CLAIM"] = "groups";
    ac_env["DBAAS_OIDC_ROLE_MAP"] = "dbaas-admins=tenant-admin;dbaas-viewers=viewer";
    ac_env["DBAAS_OIDC_TENANT_CLAIM"] = "dbaas_tenant";
    access_control_ = access_control::test::StartAccessControl(*pg_, ac_env, admin_password);

    auto gw_env = common;
    gw_env["DBAAS_DATABASE_URL"] = pg_->CreateDatabase("gateway");
    gw_env["DBAAS_UPSTREAM_ACCESS_CONTROL"] =
        "http://127.0.0.1:" + std::to_string(access_control_->Port());
    // The gateway is told the JWKS URL directly (access-control discovers it).
    gw_env["DBAAS_OIDC_JWKS_URL"] = idp_->Issuer() + "/jwks.json";
    gateway_ = std::make_unique<service::Host>(Definition(), LookupIn(gw_env));
    gateway_->Start();
    gateway_->RunInBackground();

    const auto login = Call(http::Method::kPost, "/v1/auth/token",
                            json{{"username", "admin"}, {"password", admin_password}});
    ASSERT_EQ(login.status, 200) << login.body;
    const auto admin = login.Json()["access_token"].get<std::string>();
    const auto tenant =
        Call(http::Method::kPost, "/v1/tenants", json{{"name", "oidc-gw"}}, admin);
    ASSERT_EQ(tenant.status, 201) << tenant.body;
    tenant_ = tenant.Json()["id"].get<std::string>();
  }

  static void TearDownTestSuite() {
    gateway_.reset();
    access_control_.reset();
    nats_.reset();
    pg_.reset();
    idp_.reset();
    std::filesystem::remove_all(state_dir_);
  }

  static http::ClientResponse Call(http::Method method, const std::string& target,
                                   const std::optional<json>& body = std::nullopt,
                                   const std::string& token = {}) {
    http::ClientRequest req;
    req.method = method;
    req.host = "127.0.0.1";
    req.port = gateway_->Port();
    req.target = target;
    if (!token.empty()) req.headers.Set("Authorization", "Bearer " + token);
    if (body) req.JsonBody(*body);
    return client_.Send(std::move(req));
  }

  static std::string Mint(std::map<std::string, std::string> query) {
    query.emplace("aud", kAudience);
    query.emplace("tenant", tenant_);
    return idp_->Mint(query);
  }

  static inline std::unique_ptr<access_control::test::OidcIdp> idp_;
  static inline std::unique_ptr<testing::PostgresServer> pg_;
  static inline std::unique_ptr<testing::NatsServer> nats_;
  static inline std::unique_ptr<service::Host> access_control_;
  static inline std::unique_ptr<service::Host> gateway_;
  static inline std::filesystem::path state_dir_;
  static inline std::string tenant_;
  static inline http::Client client_{[] {
    http::ClientConfig config;
    config.max_attempts = 1;
    return config;
  }()};
};

TEST_F(GatewayOidc, MappedRoleGrantsItsPermissionsThroughTheGateway) {
  const auto admin = Mint({{"sub", "erin"}, {"groups", "dbaas-admins"}});
  auto users = Call(http::Method::kGet, "/v1/users", std::nullopt, admin);
  EXPECT_EQ(users.status, 200) << users.body;
  auto created = Call(http::Method::kPost, "/v1/roles",
                      json{{"name", "oidc-made"},
                           {"permissions", json::array({json{{"resource", "instances"},
                                                             {"actions", {"read"}}}})}},
                      admin);
  EXPECT_EQ(created.status, 201) << created.body;

  // A viewer may read but not write.
  const auto viewer = Mint({{"sub", "frank"}, {"groups", "dbaas-viewers"}, {"alg", "ES256"}});
  EXPECT_EQ(Call(http::Method::kGet, "/v1/roles", std::nullopt, viewer).status, 200);
  auto denied = Call(http::Method::kPost, "/v1/roles",
                     json{{"name", "viewer-made"}, {"permissions", json::array()}}, viewer);
  EXPECT_EQ(denied.status, 403) << denied.body;
}

TEST_F(GatewayOidc, UnmappedGroupsAreDenied) {
  const auto token = Mint({{"sub", "gina"}, {"groups", "marketing"}});
  auto resp = Call(http::Method::kGet, "/v1/users", std::nullopt, token);
  EXPECT_EQ(resp.status, 403) << resp.body;
}

TEST_F(GatewayOidc, InvalidTokensAreUnauthenticatedAtTheGateway) {
  const auto good = Mint({{"sub", "mallory"}, {"groups", "dbaas-admins"}});
  const auto first = good.find('.');
  const auto second = good.find('.', first + 1);
  auto payload = json::parse(crypto::Base64UrlDecode(good.substr(first + 1, second - first - 1)));
  payload["groups"] = json::array({"dbaas-admins", "more"});
  const std::string tampered =
      good.substr(0, first + 1) + crypto::Base64UrlEncode(payload.dump()) + good.substr(second);
  const std::string unsigned_token = crypto::Base64UrlEncode(R"({"alg":"none","typ":"JWT"})") +
                                     "." + crypto::Base64UrlEncode(payload.dump()) + ".";
  const std::map<std::string, std::string> cases = {
      {"tampered", tampered},
      {"expired", Mint({{"sub", "mallory"}, {"groups", "dbaas-admins"}, {"exp", "-600"}})},
      {"wrong audience",
       idp_->Mint({{"sub", "mallory"}, {"groups", "dbaas-admins"}, {"aud", "other-app"},
                   {"tenant", tenant_}})},
      {"wrong issuer",
       Mint({{"sub", "mallory"}, {"groups", "dbaas-admins"}, {"iss", "http://evil.example"}})},
      {"alg none", unsigned_token},
  };
  ASSERT_EQ(Call(http::Method::kGet, "/v1/users", std::nullopt, good).status, 200);
  for (const auto& [name, token] : cases) {
    auto resp = Call(http::Method::kGet, "/v1/users", std::nullopt, token);
    EXPECT_EQ(resp.status, 401) << name << ": " << resp.body;
    const auto body = json::parse(resp.body, nullptr, false);
    EXPECT_EQ(body["error"]["code"], "UNAUTHENTICATED") << name;
  }
}

}  // namespace
}  // namespace dbaas::gateway
