#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "ac_fixture.hpp"
#include "dbaas/auth/jwks.hpp"
#include "dbaas/auth/jwt.hpp"
#include "dbaas/common/crypto.hpp"
#include "domain/idempotency.hpp"
#include "domain/user.hpp"

namespace dbaas::access_control {
namespace {

using http::Method;
using nlohmann::json;

constexpr std::string_view kPassword = "correct horse battery staple";

// Users, roles, tokens, API keys and signing keys against the real service. The bootstrap
// admin's password is generated (no DBAAS_ADMIN_PASSWORD), as on a first local start.
class IdentityApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ac_ = std::make_unique<test::AcService>(); }
  static void TearDownTestSuite() { ac_.reset(); }

  static std::string Unique(const std::string& base) {
    static int counter = 0;
    return base + "-" + std::to_string(++counter);
  }
  static std::string Email(const std::string& base) { return Unique(base) + "@example.com"; }

  static void ExpectError(const http::ClientResponse& resp, int status, const std::string& code) {
    EXPECT_EQ(resp.status, status) << resp.body;
    const auto body = resp.Json();
    ASSERT_TRUE(body.contains("error")) << resp.body;
    EXPECT_EQ(body["error"]["code"], code) << resp.body;
  }

  static json Introspect(const std::string& token) {
    auto resp = ac_->Call(Method::kPost, "/v1/auth/introspect", json{{"token", token}});
    EXPECT_EQ(resp.status, 200) << resp.body;
    return resp.Json();
  }

  static auth::JwkSet ServedJwks() {
    auto resp = ac_->Call(Method::kGet, "/.well-known/jwks.json");
    EXPECT_EQ(resp.status, 200) << resp.body;
    return auth::JwkSet::Parse(resp.body);
  }

  static auth::Claims VerifyWith(const auth::JwkSet& jwks, const std::string& token) {
    auth::VerifierOptions options;
    options.issuers = {"dbaas"};
    options.audience = "dbaas";
    auth::Verifier verifier(options);
    return verifier.Verify(token, [&](std::string_view kid) -> std::optional<auth::PublicKey> {
      if (const auto* key = jwks.Find(kid)) return *key;
      return std::nullopt;
    });
  }

  static std::string KidOf(const std::string& token) {
    const auto header = json::parse(crypto::Base64UrlDecode(token.substr(0, token.find('.'))));
    return header["kid"].get<std::string>();
  }

  static inline std::unique_ptr<test::AcService> ac_;
};

TEST_F(IdentityApi, BootstrapAdminPasswordFileIsPrivateAndWorks) {
  const auto file = ac_->AdminPasswordFile();
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0) << file;
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_GE(ac_->AdminPassword().size(), 24U);
  auto resp = ac_->LoginResponse("admin", ac_->AdminPassword());
  ASSERT_EQ(resp.status, 200) << resp.body;
  const auto body = resp.Json();
  EXPECT_EQ(body["token_type"], "Bearer");
  EXPECT_EQ(body["expires_in"], 900);
  EXPECT_TRUE(body["refresh_token"].is_string());
  EXPECT_EQ(resp.Header("Cache-Control"), "no-store");

  const auto claims = VerifyWith(ServedJwks(), body["access_token"]);
  EXPECT_EQ(claims.iss, "dbaas");
  EXPECT_TRUE(claims.HasAudience("dbaas"));
  EXPECT_EQ(claims.kind, "user");
  EXPECT_TRUE(claims.tid.empty()) << "platform users carry no tid";
  EXPECT_EQ(claims.roles, std::vector<std::string>{"platform-admin"});
  EXPECT_FALSE(claims.jti.empty());
  EXPECT_EQ(*claims.exp - *claims.iat, 900);
  EXPECT_EQ(claims.sub.rfind("usr_", 0), 0U);
}

TEST_F(IdentityApi, WrongCredentialsGetOneGenericAnswer) {
  const auto tenant = ac_->CreateTenant(Unique("login"));
  const auto email = Email("login");
  ac_->CreateUser(email, std::string(kPassword), tenant, {"viewer"});
  auto wrong_password = ac_->LoginResponse(email, "not the password at all");
  auto unknown_user = ac_->LoginResponse(Email("nobody"), std::string(kPassword));
  ExpectError(wrong_password, 401, "UNAUTHENTICATED");
  ExpectError(unknown_user, 401, "UNAUTHENTICATED");
  EXPECT_EQ(wrong_password.Json()["error"]["message"], unknown_user.Json()["error"]["message"]);
  EXPECT_EQ(wrong_password.Json()["error"]["details"], unknown_user.Json()["error"]["details"]);
  // Emails log in case-insensitively.
  std::string shouted = email;
  for (char& c : shouted) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto ok = ac_->LoginResponse(shouted, std::string(kPassword));
  ASSERT_EQ(ok.status, 200) << ok.body;
  const auto claims = VerifyWith(ServedJwks(), ok.Json()["access_token"]);
  EXPECT_EQ(claims.tid, tenant);
  EXPECT_EQ(claims.roles, std::vector<std::string>{"viewer"});
}

TEST_F(IdentityApi, UsersCrudNeverExposesPasswords) {
  const auto tenant = ac_->CreateTenant(Unique("crud"));
  const auto email = Email("Crud");
  auto weak = ac_->Call(Method::kPost, "/v1/users",
                        json{{"email", email}, {"password", "short"}, {"tenant_id", tenant}},
                        ac_->AdminToken());
  ExpectError(weak, 400, "INVALID_ARGUMENT");
  EXPECT_EQ(weak.Json()["error"]["details"][0]["field"], "password");
  EXPECT_EQ(weak.body.find("short\""), std::string::npos) << "the password is never echoed";

  auto created = ac_->Call(Method::kPost, "/v1/users",
                           json{{"email", email},
                                {"password", kPassword},
                                {"tenant_id", tenant},
                                {"display_name", "Crud User"},
                                {"roles", {"developer"}}},
                           ac_->AdminToken());
  ASSERT_EQ(created.status, 201) << created.body;
  const auto user = created.Json();
  const auto id = user["id"].get<std::string>();
  EXPECT_EQ(user["username"], LowerAscii(email));
  EXPECT_EQ(user["tenant_id"], tenant);
  EXPECT_FALSE(user.contains("password"));
  EXPECT_FALSE(user.contains("password_hash"));
  EXPECT_EQ(created.body.find("argon2"), std::string::npos);

  ExpectError(
      ac_->Call(Method::kPost, "/v1/users",
                json{{"email", LowerAscii(email)}, {"password", kPassword}, {"tenant_id", tenant}},
                ac_->AdminToken()),
      409, "ALREADY_EXISTS");

  auto listed =
      ac_->Call(Method::kGet, "/v1/users?tenant_id=" + tenant, std::nullopt, ac_->AdminToken());
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(listed.Json()["users"].size(), 1U);
  EXPECT_EQ(listed.Json()["users"][0]["id"], id);

  auto patched = ac_->Call(Method::kPatch, "/v1/users/" + id, json{{"display_name", "Renamed"}},
                           ac_->AdminToken());
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.Json()["display_name"], "Renamed");

  // Changing one's own password needs the current one; the old password then stops working.
  const auto token = ac_->Login(email, std::string(kPassword));
  ExpectError(ac_->Call(Method::kPost, "/v1/users/" + id + "/password",
                        json{{"password", "a brand new passphrase"}}, token),
              403, "PERMISSION_DENIED");
  auto changed = ac_->Call(
      Method::kPost, "/v1/users/" + id + "/password",
      json{{"current_password", kPassword}, {"password", "a brand new passphrase"}}, token);
  ASSERT_EQ(changed.status, 204) << changed.body;
  ExpectError(ac_->LoginResponse(email, std::string(kPassword)), 401, "UNAUTHENTICATED");
  EXPECT_NO_THROW(ac_->Login(email, "a brand new passphrase"));

  ASSERT_EQ(ac_->Call(Method::kDelete, "/v1/users/" + id, std::nullopt, ac_->AdminToken()).status,
            204);
  ExpectError(ac_->Call(Method::kGet, "/v1/users/" + id, std::nullopt, ac_->AdminToken()), 404,
              "NOT_FOUND");

  const auto events = ac_->Pg().Query(
      "SELECT subject FROM event_outbox WHERE subject LIKE 'dbaas.access-control.user.%' "
      "OR subject LIKE 'dbaas.access-control.role-assignment.%' ORDER BY 1",
      "access_control");
  for (const char* subject :
       {"dbaas.access-control.user.created", "dbaas.access-control.user.updated",
        "dbaas.access-control.user.deleted", "dbaas.access-control.role-assignment.assigned"}) {
    EXPECT_NE(events.find(subject), std::string::npos) << subject << " in\n" << events;
  }
}

TEST_F(IdentityApi, RefreshRotatesAndReuseRevokesTheFamily) {
  const auto tenant = ac_->CreateTenant(Unique("refresh"));
  const auto email = Email("refresh");
  ac_->CreateUser(email, std::string(kPassword), tenant, {"developer"});
  auto first = ac_->LoginResponse(email, std::string(kPassword)).Json();
  const auto r1 = first["refresh_token"].get<std::string>();

  auto second = ac_->Call(Method::kPost, "/v1/auth/token",
                          json{{"grant_type", "refresh_token"}, {"refresh_token", r1}});
  ASSERT_EQ(second.status, 200) << second.body;
  const auto r2 = second.Json()["refresh_token"].get<std::string>();
  EXPECT_NE(r2, r1);
  EXPECT_TRUE(Introspect(second.Json()["access_token"])["active"]);

  // Presenting r1 again: someone else holds a copy. Refused, and r2 dies with it.
  ExpectError(ac_->Call(Method::kPost, "/v1/auth/token",
                        json{{"grant_type", "refresh_token"}, {"refresh_token", r1}}),
              401, "UNAUTHENTICATED");
  ExpectError(ac_->Call(Method::kPost, "/v1/auth/token",
                        json{{"grant_type", "refresh_token"}, {"refresh_token", r2}}),
              401, "UNAUTHENTICATED");
  ExpectError(ac_->Call(Method::kPost, "/v1/auth/token",
                        json{{"grant_type", "refresh_token"}, {"refresh_token", "rt_garbage"}}),
              401, "UNAUTHENTICATED");
}

TEST_F(IdentityApi, RevokeEndsAccessAndRefreshTokens) {
  const auto tenant = ac_->CreateTenant(Unique("revoke"));
  const auto email = Email("revoke");
  ac_->CreateUser(email, std::string(kPassword), tenant, {"viewer"});
  auto pair = ac_->LoginResponse(email, std::string(kPassword)).Json();
  const auto access = pair["access_token"].get<std::string>();
  const auto refresh = pair["refresh_token"].get<std::string>();
  const auto active = Introspect(access);
  ASSERT_TRUE(active["active"]) << active;
  EXPECT_EQ(active["kind"], "user");
  EXPECT_EQ(active["tenant_id"], tenant);
  EXPECT_EQ(active["roles"][0]["name"], "viewer");
  EXPECT_TRUE(active["roles"][0]["permissions"].is_array());
  EXPECT_TRUE(active["exp"].is_number_integer());
  EXPECT_TRUE(active["jti"].is_string());

  ASSERT_EQ(ac_->Call(Method::kPost, "/v1/auth/revoke", json{{"token", access}}).status, 200);
  EXPECT_EQ(Introspect(access), json({{"active", false}}));
  ExpectError(ac_->Call(Method::kGet, "/v1/tenants/" + tenant, std::nullopt, access), 401,
              "UNAUTHENTICATED");

  ASSERT_EQ(ac_->Call(Method::kPost, "/v1/auth/revoke", json{{"token", refresh}}).status, 200);
  ExpectError(ac_->Call(Method::kPost, "/v1/auth/token",
                        json{{"grant_type", "refresh_token"}, {"refresh_token", refresh}}),
              401, "UNAUTHENTICATED");
  EXPECT_EQ(Introspect("garbage"), json({{"active", false}}));
}

TEST_F(IdentityApi, DeactivatedUserTokensIntrospectInactive) {
  const auto tenant = ac_->CreateTenant(Unique("deact"));
  const auto email = Email("deact");
  const auto id = ac_->CreateUser(email, std::string(kPassword), tenant, {"developer"});
  const auto token = ac_->Login(email, std::string(kPassword));
  ASSERT_TRUE(Introspect(token)["active"]);
  ASSERT_EQ(ac_->Call(Method::kPatch, "/v1/users/" + id, json{{"active", false}}, ac_->AdminToken())
                .status,
            200);
  EXPECT_EQ(Introspect(token), json({{"active", false}}));
  ExpectError(ac_->LoginResponse(email, std::string(kPassword)), 401, "UNAUTHENTICATED");
}

TEST_F(IdentityApi, KeyRotationKeepsOldTokensVerifiable) {
  const auto before = ac_->Login("admin", ac_->AdminPassword());
  const auto old_kid = KidOf(before);

  const auto tenant = ac_->CreateTenant(Unique("rotate"));
  const auto email = Email("rotate");
  ac_->CreateUser(email, std::string(kPassword), tenant, {"tenant-admin"});
  ExpectError(ac_->Call(Method::kPost, "/v1/signing-keys:rotate", json::object(),
                        ac_->Login(email, std::string(kPassword))),
              403, "PERMISSION_DENIED");

  auto rotated = ac_->Call(Method::kPost, "/v1/signing-keys:rotate", json::object(), before);
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  const auto new_kid = rotated.Json()["kid"].get<std::string>();
  EXPECT_NE(new_kid, old_kid);
  EXPECT_EQ(new_kid.rfind("ac-", 0), 0U);

  const auto after = ac_->Login("admin", ac_->AdminPassword());
  EXPECT_EQ(KidOf(after), new_kid);
  const auto jwks = ServedJwks();
  EXPECT_NE(jwks.Find(old_kid), nullptr);
  EXPECT_NE(jwks.Find(new_kid), nullptr);
  EXPECT_NO_THROW(VerifyWith(jwks, before));
  EXPECT_NO_THROW(VerifyWith(jwks, after));
  EXPECT_TRUE(Introspect(before)["active"]);
  EXPECT_TRUE(Introspect(after)["active"]);
}

TEST_F(IdentityApi, SigningKeysAreStoredSealed) {
  const auto rows = ac_->Pg().Query(
      "SELECT kid, translate(encode(private_key_sealed, 'base64'), E'\\n', '') FROM signing_keys",
      "access_control");
  ASSERT_FALSE(rows.empty());
  const auto escaped = ac_->Pg().Query(
      "SELECT encode(private_key_sealed, 'escape') FROM signing_keys", "access_control");
  EXPECT_EQ(escaped.find("PRIVATE KEY"), std::string::npos);

  const auto first = rows.substr(0, rows.find('\n'));
  const auto tab = first.find('\t');
  const auto kid = first.substr(0, tab);
  const auto sealed = crypto::Base64Decode(first.substr(tab + 1));

  const crypto::KeyRing wrong({crypto::GenerateKey()});
  EXPECT_THROW(crypto::OpenEnvelope(wrong, sealed, kid), crypto::AuthenticationError);
  const auto right = crypto::LoadOrCreateKeyFile(ac_->Env().at("DBAAS_MASTER_KEY_FILE"));
  EXPECT_THROW(crypto::OpenEnvelope(right, sealed, "another-kid"), crypto::AuthenticationError);
  EXPECT_NE(crypto::OpenEnvelope(right, sealed, kid).find("PRIVATE KEY"), std::string::npos);
}

TEST_F(IdentityApi, ApiKeyIsShownOnceAndRevocable) {
  const auto tenant = ac_->CreateTenant(Unique("keys"));
  const auto email = Email("keys");
  ac_->CreateUser(email, std::string(kPassword), tenant, {"tenant-admin"});
  const auto token = ac_->Login(email, std::string(kPassword));

  ExpectError(ac_->Call(Method::kPost, "/v1/api-keys",
                        json{{"name", "ci"}, {"roles", {"platform-admin"}}}, token),
              400, "INVALID_ARGUMENT");
  auto created = ac_->Call(Method::kPost, "/v1/api-keys",
                           json{{"name", "ci"}, {"roles", {"developer"}}}, token);
  ASSERT_EQ(created.status, 201) << created.body;
  const auto key = created.Json()["key"].get<std::string>();
  const auto id = created.Json()["id"].get<std::string>();
  EXPECT_EQ(key.rfind("dbaas_", 0), 0U);
  EXPECT_EQ(created.Json()["tenant_id"], tenant);

  auto fetched = ac_->Call(Method::kGet, "/v1/api-keys/" + id, std::nullopt, token);
  ASSERT_EQ(fetched.status, 200) << fetched.body;
  EXPECT_FALSE(fetched.Json().contains("key"));
  EXPECT_EQ(fetched.body.find(key.substr(15)), std::string::npos);
  auto listed = ac_->Call(Method::kGet, "/v1/api-keys", std::nullopt, token);
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body.find(key.substr(15)), std::string::npos);

  const auto state = Introspect(key);
  ASSERT_TRUE(state["active"]) << state;
  EXPECT_EQ(state["kind"], "api_key");
  EXPECT_EQ(state["subject"], id);
  EXPECT_EQ(state["tenant_id"], tenant);
  EXPECT_EQ(state["roles"][0]["name"], "developer");
  EXPECT_TRUE(state["exp"].is_null());
  EXPECT_EQ(ac_->Call(Method::kGet, "/v1/tenants/" + tenant, std::nullopt, key).status, 200);

  ASSERT_EQ(ac_->Call(Method::kDelete, "/v1/api-keys/" + id, std::nullopt, token).status, 204);
  EXPECT_EQ(Introspect(key), json({{"active", false}}));
  ExpectError(ac_->Call(Method::kGet, "/v1/tenants/" + tenant, std::nullopt, key), 401,
              "UNAUTHENTICATED");
  EXPECT_EQ(Introspect(key.substr(0, key.size() - 1) + (key.back() == 'a' ? "b" : "a")),
            json({{"active", false}}));
}

TEST_F(IdentityApi, CustomRolesAreValidatedAndAssignable) {
  const auto tenant = ac_->CreateTenant(Unique("roles"));
  auto bad = ac_->Call(Method::kPost, "/v1/roles",
                       json{{"name", "dba"},
                            {"tenant_id", tenant},
                            {"permissions", {{{"resource", "instances"}, {"actions", {"fly"}}}}}},
                       ac_->AdminToken());
  ExpectError(bad, 400, "INVALID_ARGUMENT");
  auto created = ac_->Call(
      Method::kPost, "/v1/roles",
      json{{"name", "dba"},
           {"tenant_id", tenant},
           {"permissions", {{{"resource", "instances"}, {"actions", {"read", "update"}}}}}},
      ac_->AdminToken());
  ASSERT_EQ(created.status, 201) << created.body;
  const auto role_id = created.Json()["id"].get<std::string>();

  auto listed =
      ac_->Call(Method::kGet, "/v1/roles?tenant_id=" + tenant, std::nullopt, ac_->AdminToken());
  ASSERT_EQ(listed.status, 200);
  std::set<std::string> names;
  const auto roles = listed.Json();
  for (const auto& r : roles["roles"]) names.insert(r["name"].get<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{"platform-admin", "tenant-admin", "developer", "viewer",
                                          "dba"}));
  ExpectError(
      ac_->Call(Method::kPatch, "/v1/roles/viewer", json{{"description", "x"}}, ac_->AdminToken()),
      409, "FAILED_PRECONDITION");

  const auto email = Email("dba");
  const auto user = ac_->CreateUser(email, std::string(kPassword), tenant, {});
  const auto token = ac_->Login(email, std::string(kPassword));
  EXPECT_TRUE(Introspect(token)["roles"].empty());
  auto assigned = ac_->Call(Method::kPost, "/v1/users/" + user + "/roles", json{{"role", "dba"}},
                            ac_->AdminToken());
  ASSERT_EQ(assigned.status, 200) << assigned.body;
  const auto state = Introspect(token);
  ASSERT_EQ(state["roles"].size(), 1U) << state;
  EXPECT_EQ(state["roles"][0]["permissions"][0]["resource"], "instances");

  ExpectError(ac_->Call(Method::kDelete, "/v1/roles/" + role_id, std::nullopt, ac_->AdminToken()),
              409, "FAILED_PRECONDITION");
  ExpectError(ac_->Call(Method::kDelete, "/v1/tenants/" + tenant, std::nullopt, ac_->AdminToken()),
              409, "FAILED_PRECONDITION");
  ASSERT_EQ(ac_->Call(Method::kDelete, "/v1/users/" + user + "/roles/dba", std::nullopt,
                      ac_->AdminToken())
                .status,
            204);
  ASSERT_EQ(
      ac_->Call(Method::kDelete, "/v1/roles/" + role_id, std::nullopt, ac_->AdminToken()).status,
      204);
  const auto events = ac_->Pg().Query(
      "SELECT subject FROM event_outbox WHERE tenant_id = '" + tenant + "' ORDER BY 1",
      "access_control");
  for (const char* subject :
       {"dbaas.access-control.role.created", "dbaas.access-control.role.deleted",
        "dbaas.access-control.role-assignment.assigned",
        "dbaas.access-control.role-assignment.unassigned"}) {
    EXPECT_NE(events.find(subject), std::string::npos) << subject << " in\n" << events;
  }
}

TEST_F(IdentityApi, LockoutAfterTenFailuresUntilUnlocked) {
  const auto tenant = ac_->CreateTenant(Unique("lock"));
  const auto email = Email("lock");
  const auto id = ac_->CreateUser(email, std::string(kPassword), tenant, {"viewer"});
  for (int i = 0; i < 10; ++i) {
    ExpectError(ac_->LoginResponse(email, "wrong password " + std::to_string(i)), 401,
                "UNAUTHENTICATED");
  }
  // Locked: even the right password gets the same generic answer.
  auto locked = ac_->LoginResponse(email, std::string(kPassword));
  ExpectError(locked, 401, "UNAUTHENTICATED");
  EXPECT_EQ(locked.body.find("lock"), std::string::npos);

  auto user = ac_->Call(Method::kGet, "/v1/users/" + id, std::nullopt, ac_->AdminToken()).Json();
  EXPECT_EQ(user["failed_logins"], 10);
  EXPECT_TRUE(user["locked_until"].is_string()) << user;

  auto unlocked =
      ac_->Call(Method::kPost, "/v1/users/" + id + ":unlock", json::object(), ac_->AdminToken());
  ASSERT_EQ(unlocked.status, 200) << unlocked.body;
  EXPECT_EQ(unlocked.Json()["failed_logins"], 0);
  EXPECT_TRUE(unlocked.Json()["locked_until"].is_null());
  EXPECT_NO_THROW(ac_->Login(email, std::string(kPassword)));
  auto after = ac_->Call(Method::kGet, "/v1/users/" + id, std::nullopt, ac_->AdminToken()).Json();
  EXPECT_TRUE(after["last_login_at"].is_string());
}

// Restarts the service: keep these last.
TEST_F(IdentityApi, SourceAddressIsThrottledAfterTooManyFailures) {
  ac_->Restart({{"DBAAS_LOGIN_SOURCE_MAX_FAILURES", "3"}});
  for (int i = 0; i < 3; ++i) {
    ExpectError(ac_->LoginResponse(Email("ghost"), "wrong password"), 401, "UNAUTHENTICATED");
  }
  auto throttled = ac_->LoginResponse("admin", ac_->AdminPassword());
  ExpectError(throttled, 429, "RESOURCE_EXHAUSTED");
  ASSERT_TRUE(throttled.Header("Retry-After").has_value());
  EXPECT_GT(std::stoi(*throttled.Header("Retry-After")), 0);
  ac_->Restart({{"DBAAS_LOGIN_SOURCE_MAX_FAILURES", "10000"}});
}

// Pages through `path` (which already has its query) with `page_size`, returning the ids of
// `field` in the order served; fails when a page is larger than asked or paging does not stop.
std::vector<std::string> PageThrough(test::AcService& ac, const std::string& path,
                                     const std::string& field, int page_size) {
  std::vector<std::string> ids;
  std::string token;
  for (int pages = 0; pages < 200; ++pages) {
    auto resp = ac.Call(Method::kGet,
                        path + "&page_size=" + std::to_string(page_size) + "&page_token=" + token,
                        std::nullopt, ac.AdminToken());
    EXPECT_EQ(resp.status, 200) << resp.body;
    if (resp.status != 200) return ids;
    const auto body = resp.Json();
    EXPECT_LE(body[field].size(), static_cast<std::size_t>(page_size)) << resp.body;
    for (const auto& item : body[field]) ids.push_back(item["id"].get<std::string>());
    token = body["next_page_token"].get<std::string>();
    if (token.empty()) return ids;
  }
  ADD_FAILURE() << "paging through " << path << " did not stop";
  return ids;
}

json RoleBody(const std::string& name, const std::string& tenant) {
  return json{{"name", name},
              {"tenant_id", tenant},
              {"permissions", {{{"resource", "instances"}, {"actions", {"read"}}}}}};
}

TEST_F(IdentityApi, RolesPageBuiltInsByNameThenCustomRolesEachOnce) {
  const auto tenant = ac_->CreateTenant(Unique("pgroles"));
  std::vector<std::string> custom;
  for (int i = 0; i < 4; ++i) {
    auto r =
        ac_->Call(Method::kPost, "/v1/roles", RoleBody(Unique("pr"), tenant), ac_->AdminToken());
    ASSERT_EQ(r.status, 201) << r.body;
    custom.push_back(r.Json()["id"].get<std::string>());
  }
  // Built-in roles first, by name; then this tenant's custom roles by id.
  std::vector<std::string> expected{"developer", "platform-admin", "tenant-admin", "viewer"};
  std::sort(custom.begin(), custom.end());
  expected.insert(expected.end(), custom.begin(), custom.end());
  for (int size = 1; size <= 3; ++size) {
    EXPECT_EQ(PageThrough(*ac_, "/v1/roles?tenant_id=" + tenant, "roles", size), expected)
        << "page_size=" << size;
  }
  auto all = ac_->Call(Method::kGet, "/v1/roles?tenant_id=" + tenant + "&page_size=100",
                       std::nullopt, ac_->AdminToken());
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.Json()["roles"].size(), expected.size());
  EXPECT_EQ(all.Json()["next_page_token"], "");

  // A tenant user sees the same pages of its own tenant, and never another tenant's roles.
  const auto email = Email("pgroles");
  ac_->CreateUser(email, std::string(kPassword), tenant, {"tenant-admin"});
  const auto token = ac_->Login(email, std::string(kPassword));
  auto own = ac_->Call(Method::kGet, "/v1/roles?page_size=100", std::nullopt, token);
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(own.Json()["roles"].size(), expected.size());
  const auto other = ac_->CreateTenant(Unique("pgother"));
  ExpectError(ac_->Call(Method::kGet, "/v1/roles?tenant_id=" + other, std::nullopt, token), 404,
              "NOT_FOUND");
}

TEST_F(IdentityApi, ApiKeysPageEachKeyOnce) {
  const auto tenant = ac_->CreateTenant(Unique("pgkeys"));
  std::vector<std::string> created;
  for (int i = 0; i < 5; ++i) {
    auto r = ac_->Call(Method::kPost, "/v1/api-keys",
                       json{{"name", Unique("k")}, {"tenant_id", tenant}, {"roles", {"viewer"}}},
                       ac_->AdminToken());
    ASSERT_EQ(r.status, 201) << r.body;
    created.push_back(r.Json()["id"].get<std::string>());
  }
  std::sort(created.begin(), created.end());
  for (int size = 1; size <= 3; ++size) {
    EXPECT_EQ(PageThrough(*ac_, "/v1/api-keys?tenant_id=" + tenant, "api_keys", size), created)
        << "page_size=" << size;
  }
}

TEST_F(IdentityApi, BadPageParametersAreInvalidArgumentWithDetails) {
  // A valid token of another list (users) is no token for these lists.
  ac_->CreateUser(Email("pgbad"), std::string(kPassword), "", {});
  auto users = ac_->Call(Method::kGet, "/v1/users?page_size=1", std::nullopt, ac_->AdminToken());
  ASSERT_EQ(users.status, 200) << users.body;
  const auto user_token = users.Json()["next_page_token"].get<std::string>();
  ASSERT_FALSE(user_token.empty()) << users.body;
  const std::vector<std::string> queries{"page_size=0", "page_size=101", "page_size=ten",
                                         "page_token=garbage", "page_token=" + user_token};
  for (const std::string path : {"/v1/roles", "/v1/api-keys"}) {
    for (const auto& query : queries) {
      SCOPED_TRACE(path + "?" + query);
      auto resp = ac_->Call(Method::kGet, path + "?" + query, std::nullopt, ac_->AdminToken());
      ExpectError(resp, 400, "INVALID_ARGUMENT");
      const auto body = resp.Json();
      ASSERT_FALSE(body["error"]["details"].empty()) << path << "?" << query << ": " << resp.body;
    }
  }
}

// Creates with `key` and returns the response.
http::ClientResponse CreateWithKey(test::AcService& ac, const std::string& path, const json& body,
                                   const std::string& key) {
  http::Headers headers;
  headers.Set("Idempotency-Key", key);
  return ac.Call(Method::kPost, path, body, ac.AdminToken(), headers);
}

std::size_t CountListed(test::AcService& ac, const std::string& path, const std::string& field) {
  auto resp = ac.Call(Method::kGet, path + "&page_size=100", std::nullopt, ac.AdminToken());
  EXPECT_EQ(resp.status, 200) << resp.body;
  EXPECT_EQ(resp.Json()["next_page_token"], "") << "more than a page";
  return resp.Json()[field].size();
}

TEST_F(IdentityApi, IdempotencyKeyReplaysUserCreateWithoutThePassword) {
  const auto tenant = ac_->CreateTenant(Unique("idemusers"));
  const auto list = "/v1/users?tenant_id=" + tenant;
  const auto key = Unique("idem-user");
  const json body{{"email", Email("idem")},
                  {"password", std::string(kPassword)},
                  {"tenant_id", tenant},
                  {"roles", {"viewer"}}};
  auto first = CreateWithKey(*ac_, "/v1/users", body, key);
  ASSERT_EQ(first.status, 201) << first.body;
  const auto count = CountListed(*ac_, list, "users");
  auto again = CreateWithKey(*ac_, "/v1/users", body, key);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.Header("Idempotent-Replayed"), "true");
  EXPECT_EQ(again.Json(), first.Json());
  EXPECT_EQ(again.Header("Location"), first.Header("Location"));
  EXPECT_EQ(again.body.find("password"), std::string::npos) << again.body;
  EXPECT_EQ(CountListed(*ac_, list, "users"), count);

  auto other_password = body;
  other_password["password"] = "another long passphrase";
  ExpectError(CreateWithKey(*ac_, "/v1/users", other_password, key), 400, "INVALID_ARGUMENT");
  auto other_email = body;
  other_email["email"] = Email("idem-other");
  auto reused = CreateWithKey(*ac_, "/v1/users", other_email, key);
  ExpectError(reused, 400, "INVALID_ARGUMENT");
  EXPECT_EQ(reused.Json()["error"]["details"][0]["field"], "Idempotency-Key") << reused.body;
  EXPECT_EQ(CountListed(*ac_, list, "users"), count);
  // The recorded fingerprint covers the other fields only: nothing derived from the password
  // is kept with the key.
  const auto email = body["email"].get<std::string>();
  EXPECT_EQ(ac_->Pg().Query("SELECT request_hash FROM idempotency_keys WHERE key = '" + key + "'",
                            "access_control"),
            RequestFingerprint({tenant, LowerAscii(email), "", "viewer"}) + "\n");

  ExpectError(CreateWithKey(*ac_, "/v1/users", body, std::string(256, 'k')), 400,
              "INVALID_ARGUMENT");
}

TEST_F(IdentityApi, IdempotencyKeyReplaysRoleCreate) {
  const auto tenant = ac_->CreateTenant(Unique("idemroles"));
  const auto list = "/v1/roles?tenant_id=" + tenant;
  const auto key = Unique("idem-role");
  const auto body = RoleBody(Unique("ir"), tenant);
  auto first = CreateWithKey(*ac_, "/v1/roles", body, key);
  ASSERT_EQ(first.status, 201) << first.body;
  const auto count = CountListed(*ac_, list, "roles");
  auto again = CreateWithKey(*ac_, "/v1/roles", body, key);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.Header("Idempotent-Replayed"), "true");
  EXPECT_EQ(again.Json(), first.Json());
  EXPECT_EQ(CountListed(*ac_, list, "roles"), count);

  auto different = body;
  different["description"] = "something else";
  ExpectError(CreateWithKey(*ac_, "/v1/roles", different, key), 400, "INVALID_ARGUMENT");
  EXPECT_EQ(CountListed(*ac_, list, "roles"), count);

  // The same key for another kind of create is a different key.
  auto key_create = CreateWithKey(
      *ac_, "/v1/api-keys", json{{"name", "k"}, {"tenant_id", tenant}, {"roles", {"viewer"}}}, key);
  EXPECT_EQ(key_create.status, 201) << key_create.body;

  ASSERT_EQ(ac_->Call(Method::kDelete, "/v1/roles/" + first.Json()["id"].get<std::string>(),
                      std::nullopt, ac_->AdminToken())
                .status,
            204);
  ExpectError(CreateWithKey(*ac_, "/v1/roles", body, key), 409, "FAILED_PRECONDITION");
}

TEST_F(IdentityApi, IdempotencyKeyReplaysApiKeyCreateWithoutTheSecret) {
  const auto tenant = ac_->CreateTenant(Unique("idemkeys"));
  const auto list = "/v1/api-keys?tenant_id=" + tenant;
  const auto key = Unique("idem-key");
  const json body{{"name", "deploy"}, {"tenant_id", tenant}, {"roles", {"developer"}}};
  auto first = CreateWithKey(*ac_, "/v1/api-keys", body, key);
  ASSERT_EQ(first.status, 201) << first.body;
  const auto secret = first.Json()["key"].get<std::string>();
  EXPECT_EQ(first.Json()["key_shown"], true);
  const auto count = CountListed(*ac_, list, "api_keys");

  auto again = CreateWithKey(*ac_, "/v1/api-keys", body, key);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.Header("Idempotent-Replayed"), "true");
  EXPECT_EQ(again.Header("Cache-Control"), "no-store");
  const auto replay = again.Json();
  EXPECT_EQ(replay["id"], first.Json()["id"]);
  EXPECT_EQ(replay["prefix"], first.Json()["prefix"]);
  EXPECT_FALSE(replay.contains("key")) << again.body;
  EXPECT_EQ(replay["key_shown"], false);
  EXPECT_NE(replay["key_note"].get<std::string>().find("original request"), std::string::npos);
  EXPECT_EQ(again.body.find(secret.substr(15)), std::string::npos) << "secret revealed again";
  EXPECT_EQ(CountListed(*ac_, list, "api_keys"), count);
  // The secret still works: the replay made no new key and did not change the first.
  EXPECT_TRUE(Introspect(secret)["active"]);

  auto different = body;
  different["roles"] = json{"viewer"};
  ExpectError(CreateWithKey(*ac_, "/v1/api-keys", different, key), 400, "INVALID_ARGUMENT");
  EXPECT_EQ(CountListed(*ac_, list, "api_keys"), count);
}

TEST_F(IdentityApi, IdempotencyKeysAreScopedToTheCaller) {
  const auto tenant = ac_->CreateTenant(Unique("idemscope"));
  const auto email = Email("idemscope");
  ac_->CreateUser(email, std::string(kPassword), tenant, {"tenant-admin"});
  const auto token = ac_->Login(email, std::string(kPassword));
  const auto key = Unique("shared-key");
  const json body{{"name", "ci"}, {"roles", {"viewer"}}};
  auto by_admin =
      CreateWithKey(*ac_, "/v1/api-keys",
                    json{{"name", "ci"}, {"tenant_id", tenant}, {"roles", {"viewer"}}}, key);
  ASSERT_EQ(by_admin.status, 201) << by_admin.body;
  http::Headers headers;
  headers.Set("Idempotency-Key", key);
  auto by_user = ac_->Call(Method::kPost, "/v1/api-keys", body, token, headers);
  ASSERT_EQ(by_user.status, 201) << by_user.body;
  EXPECT_NE(by_user.Json()["id"], by_admin.Json()["id"]);
  EXPECT_TRUE(by_user.Json().contains("key"));
}

TEST_F(IdentityApi, BootstrapAdminIsCreatedOnce) {
  const auto password = ac_->AdminPassword();
  const auto write_time = std::filesystem::last_write_time(ac_->AdminPasswordFile());
  ac_->Restart();
  EXPECT_EQ(ac_->AdminPassword(), password);
  EXPECT_EQ(std::filesystem::last_write_time(ac_->AdminPasswordFile()), write_time);
  auto platform_users = ac_->Call(Method::kGet, "/v1/users?tenant_id=&page_size=100", std::nullopt,
                                  ac_->AdminToken());
  ASSERT_EQ(platform_users.status, 200) << platform_users.body;
  int admins = 0;
  const auto users = platform_users.Json();
  for (const auto& u : users["users"]) admins += u["username"] == "admin" ? 1 : 0;
  EXPECT_EQ(admins, 1);
  EXPECT_EQ(ac_->Pg().Query("SELECT count(*) FROM role_assignments WHERE role_name = "
                            "'platform-admin'",
                            "access_control"),
            "1\n");
}

}  // namespace
}  // namespace dbaas::access_control
