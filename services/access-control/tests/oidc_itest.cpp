#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "ac_fixture.hpp"
#include "dbaas/common/crypto.hpp"
#include "oidc_idp.hpp"

namespace dbaas::access_control {
namespace {

using http::Method;
using nlohmann::json;

constexpr const char* kAudience = "dbaas-client";

/// `token` with its payload replaced (the signature is kept, so it no longer matches).
std::string WithPayload(const std::string& token, const json& payload) {
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  return token.substr(0, first + 1) + crypto::Base64UrlEncode(payload.dump()) +
         token.substr(second);
}

json PayloadOf(const std::string& token) {
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  return json::parse(crypto::Base64UrlDecode(token.substr(first + 1, second - first - 1)));
}

// Bearer tokens of an external OpenID Connect issuer (the independent `jose` implementation
// behind a small HTTP server) accepted by access-control: introspection and its own endpoints.
class OidcTokens : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    idp_ = std::make_unique<test::OidcIdp>(DBAAS_AC_NODE_DIR);
    ac_ = std::make_unique<test::AcService>();
    tenant_ = ac_->CreateTenant("oidc-users");
    other_tenant_ = ac_->CreateTenant("oidc-others");
    // No DBAAS_OIDC_JWKS_URL: the keys are found through the discovery document.
    ac_->Restart({{"DBAAS_OIDC_ISSUER", idp_->Issuer()},
                  {"DBAAS_OIDC_AUDIENCE", kAudience},
                  {"DBAAS_OIDC_ROLES_CLAIM", "groups"},
                  {"DBAAS_OIDC_ROLE_MAP", "dbaas-admins=tenant-admin;dbaas-devs=developer"},
                  {"DBAAS_OIDC_TENANT_CLAIM", "dbaas_tenant"},
                  {"DBAAS_OIDC_TENANT", tenant_}});
  }
  static void TearDownTestSuite() {
    ac_.reset();
    idp_.reset();
  }

  static json Introspect(const std::string& token) {
    auto resp = ac_->Call(Method::kPost, "/v1/auth/introspect", json{{"token", token}});
    EXPECT_EQ(resp.status, 200) << resp.body;
    return resp.Json();
  }

  static std::set<std::string> RoleNames(const json& introspection) {
    std::set<std::string> names;
    for (const auto& role : introspection.value("roles", json::array())) {
      names.insert(role["name"].get<std::string>());
    }
    return names;
  }

  static inline std::unique_ptr<test::OidcIdp> idp_;
  static inline std::unique_ptr<test::AcService> ac_;
  static inline std::string tenant_;
  static inline std::string other_tenant_;
};

TEST_F(OidcTokens, MappedGroupsBecomeRolesInTheConfiguredTenant) {
  for (const std::string alg : {"RS256", "ES256"}) {
    const auto token = idp_->Mint({{"sub", "alice-" + alg}, {"groups", "dbaas-admins,other"},
                                   {"alg", alg}, {"aud", kAudience}});
    const auto info = Introspect(token);
    ASSERT_TRUE(info["active"].get<bool>()) << alg << " " << info.dump();
    EXPECT_EQ(info["kind"], "user");
    EXPECT_EQ(info["subject"], "oidc:alice-" + alg);
    EXPECT_EQ(info["tenant_id"], tenant_);
    EXPECT_EQ(RoleNames(info), std::set<std::string>{"tenant-admin"});
    // access-control's own endpoints accept it with the mapped role's permissions.
    auto users = ac_->Call(Method::kGet, "/v1/users", std::nullopt, token);
    EXPECT_EQ(users.status, 200) << users.body;
  }
}

TEST_F(OidcTokens, TenantClaimSelectsTheTenant) {
  auto info = Introspect(idp_->Mint({{"sub", "bob"}, {"groups", "dbaas-devs"},
                                     {"tenant", other_tenant_}, {"aud", kAudience}}));
  ASSERT_TRUE(info["active"].get<bool>()) << info.dump();
  EXPECT_EQ(info["tenant_id"], other_tenant_);
  EXPECT_EQ(RoleNames(info), std::set<std::string>{"developer"});
  // A tenant that does not exist makes the token useless.
  info = Introspect(idp_->Mint({{"sub", "bob"}, {"groups", "dbaas-devs"},
                                {"tenant", "ten_doesnotexist"}, {"aud", kAudience}}));
  EXPECT_FALSE(info["active"].get<bool>());
}

TEST_F(OidcTokens, UnmappedGroupsGrantNothing) {
  const auto token = idp_->Mint({{"sub", "carol"}, {"groups", "marketing"}, {"aud", kAudience}});
  const auto info = Introspect(token);
  ASSERT_TRUE(info["active"].get<bool>());
  EXPECT_TRUE(RoleNames(info).empty());
  auto users = ac_->Call(Method::kGet, "/v1/users", std::nullopt, token);
  EXPECT_EQ(users.status, 403) << users.body;
}

TEST_F(OidcTokens, InvalidTokensAreUnauthenticated) {
  const auto good = idp_->Mint({{"sub", "mallory"}, {"groups", "dbaas-admins"},
                                {"aud", kAudience}});
  auto payload = PayloadOf(good);
  payload["sub"] = "admin";
  const auto unsigned_token = crypto::Base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." +
                              crypto::Base64UrlEncode(PayloadOf(good).dump()) + ".";
  const std::map<std::string, std::string> cases = {
      {"tampered", WithPayload(good, payload)},
      {"expired", idp_->Mint({{"sub", "mallory"}, {"groups", "dbaas-admins"},
                              {"aud", kAudience}, {"exp", "-600"}})},
      {"wrong audience", idp_->Mint({{"sub", "mallory"}, {"groups", "dbaas-admins"},
                                     {"aud", "someone-else"}})},
      {"wrong issuer", idp_->Mint({{"sub", "mallory"}, {"groups", "dbaas-admins"},
                                   {"aud", kAudience}, {"iss", "http://evil.example"}})},
      {"unknown key", idp_->Mint({{"sub", "mallory"}, {"groups", "dbaas-admins"},
                                  {"aud", kAudience}, {"kid", "not-a-key"}})},
      {"alg none", unsigned_token},
  };
  ASSERT_TRUE(Introspect(good)["active"].get<bool>());
  for (const auto& [name, token] : cases) {
    EXPECT_FALSE(Introspect(token)["active"].get<bool>()) << name;
    auto resp = ac_->Call(Method::kGet, "/v1/users", std::nullopt, token);
    EXPECT_EQ(resp.status, 401) << name << ": " << resp.body;
  }
}

}  // namespace
}  // namespace dbaas::access_control
