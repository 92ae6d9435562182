#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "domain/ldap_escape.hpp"
#include "domain/ldap_settings.hpp"
#include "domain/oidc_mapping.hpp"

namespace dbaas::access_control {
namespace {

TEST(LdapEscape, DnValuesEscapeEverySpecialCharacter) {
  EXPECT_EQ(EscapeDnValue("alice"), "alice");
  EXPECT_EQ(EscapeDnValue(",cn=admin"), "\\2ccn\\3dadmin");
  EXPECT_EQ(EscapeDnValue("a+b\"c\\d<e>f;g"), "a\\2bb\\22c\\5cd\\3ce\\3ef\\3bg");
  EXPECT_EQ(EscapeDnValue(" #x "), "\\20#x\\20");
  EXPECT_EQ(EscapeDnValue("#x"), "\\23x");
  EXPECT_EQ(EscapeDnValue(std::string("a\0b", 3)), "a\\00b");
  EXPECT_EQ(FillTemplate("uid={username},ou=people", "username", EscapeDnValue("x,y")),
            "uid=x\\2cy,ou=people");
}

TEST(LdapEscape, FilterValuesEscapeWildcardsAndParentheses) {
  EXPECT_EQ(EscapeFilterValue("*"), "\\2a");
  EXPECT_EQ(EscapeFilterValue(")(uid=*"), "\\29\\28uid=\\2a");
  EXPECT_EQ(EscapeFilterValue("a\\b"), "a\\5cb");
  EXPECT_EQ(FillTemplate("(&(uid={username})(x={username}))", "username", "a"),
            "(&(uid=a)(x=a))");
}

TEST(LdapGroupRoleMap, ParsesEntriesAndMapsNormalisedDns) {
  std::string problem;
  const auto map = ParseGroupRoleMap(
      "cn=dbas, ou=groups,dc=example,dc=org=tenant-admin; CN=Devs,ou=groups,dc=example,dc=org "
      "= developer;cn=dbas,ou=groups,dc=example,dc=org=viewer",
      problem);
  ASSERT_TRUE(map) << problem;
  ASSERT_EQ(map->size(), 3u);
  EXPECT_EQ((*map)[0].group_dn, "cn=dbas,ou=groups,dc=example,dc=org");
  EXPECT_EQ((*map)[1].role, "developer");
  EXPECT_EQ(RolesForGroups({"cn=devs,ou=groups,dc=example,dc=org"}, *map),
            std::vector<std::string>{"developer"});
  EXPECT_EQ(RolesForGroups({"CN=dbas,OU=groups,DC=example,DC=org"}, *map),
            (std::vector<std::string>{"tenant-admin", "viewer"}));
  EXPECT_TRUE(RolesForGroups({"cn=other,ou=groups,dc=example,dc=org"}, *map).empty());
  EXPECT_FALSE(ParseGroupRoleMap("tenant-admin", problem));
  EXPECT_FALSE(ParseGroupRoleMap("", problem));
}

TEST(OidcClaims, RolesTenantAndUsernameComeFromTheConfiguredClaims) {
  OidcSettings settings;
  settings.roles_claim = "realm_access.roles";
  std::string problem;
  settings.role_map = *ParseClaimRoleMap("admins=tenant-admin;devs=developer", problem);
  settings.tenant = "ten_default";
  settings.tenant_claim = "org.tenant";
  auto payload = nlohmann::json::parse(
      R"({"sub":"s-1","preferred_username":"ann","realm_access":{"roles":["devs","x"]},
          "org":{"tenant":"ten_claimed"}})");
  auto id = MapOidcClaims(payload, settings);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->subject, "oidc:s-1");
  EXPECT_EQ(id->username, "ann");
  EXPECT_EQ(id->tenant_id, "ten_claimed");
  EXPECT_EQ(id->roles, std::vector<std::string>{"developer"});

  payload.erase("org");
  payload["realm_access"]["roles"] = "admins devs";  // a space-separated string works too
  id = MapOidcClaims(payload, settings);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->tenant_id, "ten_default");
  EXPECT_EQ(id->roles, (std::vector<std::string>{"tenant-admin", "developer"}));

  settings.tenant.clear();
  EXPECT_FALSE(MapOidcClaims(payload, settings));  // tenant claim required, none given
  payload.erase("sub");
  EXPECT_FALSE(MapOidcClaims(payload, settings));
}

}  // namespace
}  // namespace dbaas::access_control
