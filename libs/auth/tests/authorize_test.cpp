#include "dbaas/auth/authorize.hpp"

#include <gtest/gtest.h>

namespace dbaas::auth {
namespace {

Identity Member(std::string tenant, std::initializer_list<std::string_view> roles) {
  Identity identity{"usr_1", IdentityKind::kUser, std::move(tenant), {}};
  for (auto name : roles) identity.roles.push_back(*FindBuiltInRole(name));
  return identity;
}

TEST(AuthorizeTest, SameTenantFollowsTheRoles) {
  const Identity dev = Member("ten_a", {kRoleDeveloper});
  EXPECT_TRUE(Authorize(dev, "instances", "create", "ten_a").allowed);
  const Decision denied = Authorize(dev, "users", "create", "ten_a");
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.deny_code, ErrorCode::kPermissionDenied);
  EXPECT_NE(denied.reason.find("users:create"), std::string::npos);
}

TEST(AuthorizeTest, OtherTenantIsNotFoundEvenWhenTheRoleWouldGrantIt) {
  const Identity admin = Member("ten_a", {kRoleTenantAdmin});
  const Decision decision = Authorize(admin, "instances", "read", "ten_b");
  EXPECT_FALSE(decision.allowed);
  EXPECT_EQ(decision.deny_code, ErrorCode::kNotFound);
  try {
    decision.ThrowIfDenied("instance", "read");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kNotFound);
    EXPECT_EQ(std::string(e.what()).find("ten_b"), std::string::npos);
  }
  const Identity tenantless = Member("", {kRoleViewer});
  EXPECT_EQ(Authorize(tenantless, "instances", "read", "ten_b").deny_code, ErrorCode::kNotFound);
}

TEST(AuthorizeTest, PlatformAdminActsInEveryTenant) {
  const Identity admin = Member("", {kRolePlatformAdmin});
  EXPECT_TRUE(admin.IsPlatformAdmin());
  EXPECT_TRUE(Authorize(admin, "instances", "delete", "ten_b").allowed);
  EXPECT_TRUE(Authorize(admin, "tenants", "create", "").allowed);
  EXPECT_TRUE(Authorize(admin, "engines", "update", "").allowed);
}

TEST(AuthorizeTest, GlobalResourcesAreReadOnlyForTenantIdentities) {
  const Identity dev = Member("ten_a", {kRoleTenantAdmin});
  EXPECT_TRUE(Authorize(dev, "engines", "read", "").allowed);
  const Decision write = Authorize(dev, "engines", "create", "");
  EXPECT_FALSE(write.allowed);
  EXPECT_EQ(write.deny_code, ErrorCode::kPermissionDenied);
}

TEST(AuthorizeTest, CustomRolesOfAnotherTenantGrantNothing) {
  Identity identity = Member("ten_a", {});
  identity.roles.push_back(Role{"backup-operator", "ten_b", {Permission{"backups", {"*"}}}});
  EXPECT_FALSE(Authorize(identity, "backups", "create", "ten_a").allowed);
  identity.roles.push_back(Role{"backup-operator", "ten_a", {Permission{"backups", {"*"}}}});
  EXPECT_TRUE(Authorize(identity, "backups", "create", "ten_a").allowed);
  // A tenant's custom role named like the built-in never makes anyone platform admin.
  identity.roles.push_back(Role{"platform-admin", "ten_a", {Permission{"*", {"*"}}}});
  EXPECT_FALSE(identity.IsPlatformAdmin());
  EXPECT_EQ(Authorize(identity, "instances", "read", "ten_b").deny_code, ErrorCode::kNotFound);
}

TEST(AuthorizeTest, UnknownActionsAreDenied) {
  const Identity admin = Member("", {kRolePlatformAdmin});
  EXPECT_FALSE(Authorize(admin, "instances", "explode", "ten_a").allowed);
}

TEST(AuthorizeTest, PermissionDeniedMessageNamesThePermission) {
  const Identity viewer = Member("ten_a", {kRoleViewer});
  try {
    Authorize(viewer, "instances", "delete", "ten_a").ThrowIfDenied("instances", "delete");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kPermissionDenied);
    EXPECT_NE(std::string(e.what()).find("instances:delete"), std::string::npos);
  }
}

TEST(IdentityTest, FromClaimsResolvesRolesAndKind) {
  Claims claims;
  claims.sub = "key_1";
  claims.tid = "ten_a";
  claims.kind = "api_key";
  claims.roles = {"developer", "no-such-role"};
  const Identity identity = IdentityFromClaims(claims);
  EXPECT_EQ(identity.subject, "key_1");
  EXPECT_EQ(identity.kind, IdentityKind::kApiKey);
  EXPECT_EQ(identity.tenant_id, "ten_a");
  EXPECT_EQ(identity.RoleNames(), std::vector<std::string>{"developer"});
  EXPECT_FALSE(identity.IsPlatformAdmin());

  claims.kind = "superuser";
  EXPECT_THROW(IdentityFromClaims(claims), Error);
  claims.kind.clear();
  EXPECT_EQ(IdentityFromClaims(claims).kind, IdentityKind::kUser);
  claims.sub.clear();
  EXPECT_THROW(IdentityFromClaims(claims), Error);
}

}  // namespace
}  // namespace dbaas::auth
