#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

#include "dbaas/testing/programs.hpp"
#include "dbaas/testing/servers.hpp"

namespace dbaas::testing {
namespace {

/// ldapwhoami's exit code for a simple bind as `dn` (0 = bound).
int Bind(const LdapServer& ldap, const std::string& dn, const std::string& password) {
  return RunProgram({"ldapwhoami", "-x", "-H", ldap.Url(), "-D", dn, "-w", password},
                    std::filesystem::temp_directory_path())
      .exit_code;
}

TEST(LdapServer, UsersBindGroupsChangeAndTheServerRestarts) {
  LdapServer ldap;
  EXPECT_EQ(ldap.Url(), "ldap://127.0.0.1:" + std::to_string(ldap.Port()));
  const auto alice = ldap.AddUser("alice", "alice-secret");
  EXPECT_EQ(alice, "uid=alice,ou=people,dc=example,dc=org");
  EXPECT_EQ(Bind(ldap, alice, "alice-secret"), 0);
  EXPECT_NE(Bind(ldap, alice, "wrong"), 0);

  const auto bob = ldap.AddUser("bob", "bob-secret");
  const auto group = ldap.AddGroup("dbas", {alice});
  ldap.AddMember(group, bob);
  ldap.RemoveMember(group, alice);
  const auto members = RunProgram({"ldapsearch", "-x", "-LLL", "-H", ldap.Url(), "-b", group,
                                   "-s", "base", "member"},
                                  std::filesystem::temp_directory_path());
  EXPECT_EQ(members.exit_code, 0) << members.err;
  EXPECT_NE(members.out.find("member: " + bob), std::string::npos) << members.out;
  EXPECT_EQ(members.out.find("member: " + alice), std::string::npos) << members.out;

  EXPECT_THROW(ldap.AddUser("bad,name", "x"), std::invalid_argument);

  ldap.Stop();
  EXPECT_NE(Bind(ldap, alice, "alice-secret"), 0);
  ldap.Start();
  EXPECT_EQ(Bind(ldap, alice, "alice-secret"), 0);
}

}  // namespace
}  // namespace dbaas::testing
