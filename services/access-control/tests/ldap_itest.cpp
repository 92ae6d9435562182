#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "ac_fixture.hpp"
#include "dbaas/common/crypto.hpp"

namespace dbaas::access_control {
namespace {

using http::Method;
using nlohmann::json;

constexpr const char* kPeople = "ou=people,dc=example,dc=org";

// LDAP logins against a real slapd: just-in-time provisioning, group-to-role mapping re-synced
// at each login, lockout, injection attempts and an unreachable directory.
class LdapLoginApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ldap_ = std::make_unique<testing::LdapServer>();
    ac_ = std::make_unique<test::AcService>();
    tenant_ = ac_->CreateTenant("directory-users");
    // Every suite user is in "staff" (mapped to nothing) so unmapped membership is exercised.
    staff_ = ldap_->AddGroup("staff", {ldap_->AddUser("placeholder", "placeholder-pw")});
    dbas_ = ldap_->AddGroup("dbas", {"uid=placeholder," + std::string(kPeople)});
    devs_ = ldap_->AddGroup("devs", {"uid=placeholder," + std::string(kPeople)});
    ac_->Restart(Settings());
  }
  static void TearDownTestSuite() {
    ac_.reset();
    ldap_.reset();
  }

  static std::map<std::string, std::string> Settings() {
    return {{"DBAAS_LDAP_URL", ldap_->Url()},
            {"DBAAS_LDAP_USER_DN_TEMPLATE", "uid={username}," + std::string(kPeople)},
            {"DBAAS_LDAP_GROUP_SEARCH_BASE", "ou=groups,dc=example,dc=org"},
            // Spaces and case differ from the server's DNs on purpose: DNs compare normalised.
            {"DBAAS_LDAP_GROUP_ROLE_MAP",
             "cn=dbas, ou=groups, dc=example, dc=org=tenant-admin;"
             "CN=devs,ou=groups,dc=example,dc=org=developer"},
            {"DBAAS_LDAP_TENANT", tenant_},
            {"DBAAS_LDAP_TIMEOUT", "1s"},
            // Empty removes what a test's restart may have set.
            {"DBAAS_LDAP_BIND_DN", ""},
            {"DBAAS_LDAP_BIND_PASSWORD_FILE", ""},
            {"DBAAS_LDAP_USER_SEARCH_BASE", ""}};
  }

  /// A directory user in the given groups; returns the uid.
  static std::string DirectoryUser(const std::string& base, const std::string& password,
                                   const std::vector<std::string>& groups) {
    static int counter = 0;
    const std::string uid = base + std::to_string(++counter);
    const auto dn = ldap_->AddUser(uid, password);
    ldap_->AddMember(staff_, dn);
    for (const auto& group : groups) ldap_->AddMember(group, dn);
    return uid;
  }

  static std::string Dn(const std::string& uid) { return "uid=" + uid + "," + kPeople; }

  static void ExpectError(const http::ClientResponse& resp, int status, const std::string& code) {
    EXPECT_EQ(resp.status, status) << resp.body;
    const auto body = json::parse(resp.body, nullptr, false);
    ASSERT_TRUE(body.is_object() && body.contains("error")) << resp.body;
    EXPECT_EQ(body["error"]["code"], code) << resp.body;
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

  static std::string Sql(const std::string& query) {
    auto out = ac_->Pg().Query(query, "access_control");
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

  static inline std::unique_ptr<testing::LdapServer> ldap_;
  static inline std::unique_ptr<test::AcService> ac_;
  static inline std::string tenant_;
  static inline std::string staff_;
  static inline std::string dbas_;
  static inline std::string devs_;
};

TEST_F(LdapLoginApi, DirectoryUserInMappedGroupGetsTheMappedRoleAndATokenPair) {
  const auto uid = DirectoryUser("dev", "dev-password-1", {devs_});
  auto resp = ac_->LoginResponse(uid, "dev-password-1");
  ASSERT_EQ(resp.status, 200) << resp.body;
  const auto pair = resp.Json();
  const auto info = Introspect(pair["access_token"].get<std::string>());
  EXPECT_TRUE(info["active"].get<bool>());
  EXPECT_EQ(info["tenant_id"], tenant_);
  EXPECT_EQ(RoleNames(info), std::set<std::string>{"developer"});
  // Provisioned just in time, marked as coming from the directory, without a local password.
  EXPECT_EQ(Sql("SELECT source, external_id, password_hash LIKE '$argon2%' FROM users "
                "WHERE username = '" + uid + "'"),
            "ldap\t" + Dn(uid) + "\tf");

  // The refresh token keeps working for directory users.
  auto refreshed = ac_->Call(Method::kPost, "/v1/auth/token",
                             json{{"grant_type", "refresh_token"},
                                  {"refresh_token", pair["refresh_token"]}});
  ASSERT_EQ(refreshed.status, 200) << refreshed.body;
  EXPECT_EQ(RoleNames(Introspect(refreshed.Json()["access_token"].get<std::string>())),
            std::set<std::string>{"developer"});

  // A second login finds the same local user instead of creating another.
  ASSERT_EQ(ac_->LoginResponse(uid, "dev-password-1").status, 200);
  EXPECT_EQ(Sql("SELECT count(*) FROM users WHERE username = '" + uid + "'"), "1");
}

TEST_F(LdapLoginApi, GroupChangesTakeEffectAtTheNextLogin) {
  const auto uid = DirectoryUser("mover", "mover-password", {dbas_, devs_});
  const auto first = ac_->Login(uid, "mover-password");
  EXPECT_EQ(RoleNames(Introspect(first)), (std::set<std::string>{"tenant-admin", "developer"}));

  ldap_->RemoveMember(dbas_, Dn(uid));
  const auto second = ac_->Login(uid, "mover-password");
  EXPECT_EQ(RoleNames(Introspect(second)), std::set<std::string>{"developer"});
  // Roles are read at introspection: the earlier token lost the role too.
  EXPECT_EQ(RoleNames(Introspect(first)), std::set<std::string>{"developer"});

  // Out of every mapped group: refused, and no role is left behind for old tokens.
  ldap_->RemoveMember(devs_, Dn(uid));
  ExpectError(ac_->LoginResponse(uid, "mover-password"), 401, "UNAUTHENTICATED");
  EXPECT_TRUE(RoleNames(Introspect(second)).empty());
}

TEST_F(LdapLoginApi, UserInNoMappedGroupIsRefusedAndNotProvisioned) {
  const auto uid = DirectoryUser("outsider", "outsider-password", {});
  ExpectError(ac_->LoginResponse(uid, "outsider-password"), 401, "UNAUTHENTICATED");
  EXPECT_EQ(Sql("SELECT count(*) FROM users WHERE username = '" + uid + "'"), "0");
}

TEST_F(LdapLoginApi, WrongPasswordIsRefusedAndCountsTowardLockout) {
  const auto uid = DirectoryUser("guess", "guess-password", {devs_});
  ASSERT_EQ(ac_->LoginResponse(uid, "guess-password").status, 200);
  ExpectError(ac_->LoginResponse(uid, "not-the-password"), 401, "UNAUTHENTICATED");
  EXPECT_EQ(Sql("SELECT failed_logins FROM users WHERE username = '" + uid + "'"), "1");
  for (int i = 0; i < 9; ++i) {
    ExpectError(ac_->LoginResponse(uid, "wrong " + std::to_string(i)), 401, "UNAUTHENTICATED");
  }
  // Ten consecutive failures lock the account: the right password no longer works either.
  ExpectError(ac_->LoginResponse(uid, "guess-password"), 401, "UNAUTHENTICATED");
  EXPECT_EQ(Sql("SELECT locked_until > now() FROM users WHERE username = '" + uid + "'"), "t");
}

TEST_F(LdapLoginApi, InjectionAttemptsInTheUsernameFailCleanly) {
  const auto uid = DirectoryUser("victim", "victim-password", {dbas_});
  const std::vector<std::string> attempts = {
      "*", ")(uid=*", "*)(uid=*", uid + ")(|(uid=*", ",cn=admin", uid + ",cn=admin",
      "admin,dc=example,dc=org", "cn=admin,dc=example,dc=org", uid + "*", "\\2a", " " + uid};
  const auto check = [&] {
    for (const auto& name : attempts) {
      for (const auto& password : {std::string("victim-password"), ldap_->RootPassword()}) {
        ExpectError(ac_->LoginResponse(name, password), 401, "UNAUTHENTICATED");
      }
    }
    EXPECT_EQ(Sql("SELECT count(*) FROM users WHERE username ~ '[*(),=\\\\ ]'"), "0");
  };
  check();
  // Search-then-bind puts the username in a filter instead of a DN.
  const auto password_file = std::filesystem::temp_directory_path() /
                             ("dbaas-ldap-bind-" + crypto::RandomToken(6));
  std::ofstream(password_file) << ldap_->RootPassword() << "\n";
  auto search = Settings();
  search["DBAAS_LDAP_USER_DN_TEMPLATE"] = "";
  search["DBAAS_LDAP_BIND_DN"] = ldap_->RootDn();
  search["DBAAS_LDAP_BIND_PASSWORD_FILE"] = password_file.string();
  search["DBAAS_LDAP_USER_SEARCH_BASE"] = kPeople;
  ac_->Restart(search);
  ASSERT_EQ(ac_->LoginResponse(uid, "victim-password").status, 200);
  check();
  ac_->Restart(Settings());
  std::filesystem::remove(password_file);
}

TEST_F(LdapLoginApi, LocalUsersStillLogInLocally) {
  const auto token = ac_->Login("admin", ac_->AdminPassword());
  EXPECT_TRUE(Introspect(token)["active"].get<bool>());
}

TEST_F(LdapLoginApi, DirectoryDownIsUnavailableQuickly) {
  const auto uid = DirectoryUser("patient", "patient-password", {devs_});
  ldap_->Stop();
  auto started = std::chrono::steady_clock::now();
  auto resp = ac_->LoginResponse(uid, "patient-password");
  ExpectError(resp, 503, "UNAVAILABLE");
  EXPECT_NE(resp.body.find("LDAP"), std::string::npos) << resp.body;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  ldap_->Start();
  EXPECT_EQ(ac_->LoginResponse(uid, "patient-password").status, 200);

  // A directory that accepts connections but never answers: the timeout (1 s) answers.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto silent = Settings();
  silent["DBAAS_LDAP_URL"] = "ldap://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  ac_->Restart(silent);
  started = std::chrono::steady_clock::now();
  ExpectError(ac_->LoginResponse(uid, "patient-password"), 503, "UNAVAILABLE");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));
  ::close(fd);
  ac_->Restart(Settings());
}

}  // namespace
}  // namespace dbaas::access_control
