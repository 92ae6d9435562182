#include "dbaas/auth/role.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "dbaas/auth/permission.hpp"

namespace dbaas::auth {
namespace {

const Role& Get(std::string_view name) {
  const Role* role = FindBuiltInRole(name);
  EXPECT_NE(role, nullptr) << name;
  return *role;
}

TEST(BuiltInRolesTest, AreTheFourDocumentedRoles) {
  std::vector<std::string> names;
  for (const Role& role : BuiltInRoles()) {
    names.push_back(role.name);
    EXPECT_TRUE(role.tenant_id.empty());
    for (const auto& permission : role.permissions) EXPECT_NO_THROW(permission.Validate());
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"platform-admin", "tenant-admin", "developer", "viewer"}));
  EXPECT_EQ(FindBuiltInRole("root"), nullptr);
}

TEST(BuiltInRolesTest, PlatformAdminMayDoEverything) {
  const Role& admin = Get(kRolePlatformAdmin);
  EXPECT_TRUE(admin.IsPlatformAdmin());
  for (auto resource : KnownResources()) {
    for (auto action : kActions) EXPECT_TRUE(admin.Grants(resource, action));
  }
  EXPECT_TRUE(admin.Grants("something-new", "delete"));
}

TEST(BuiltInRolesTest, TenantAdminManagesItsTenantButOnlyReadsTenants) {
  const Role& role = Get(kRoleTenantAdmin);
  EXPECT_FALSE(role.IsPlatformAdmin());
  EXPECT_TRUE(role.Grants("tenants", "read"));
  for (auto action : {"create", "update", "delete"}) EXPECT_FALSE(role.Grants("tenants", action));
  for (auto resource : {"users", "roles", "api-keys", "instances", "backups", "databases"}) {
    for (auto action : kActions) EXPECT_TRUE(role.Grants(resource, action)) << resource;
  }
  EXPECT_TRUE(role.Grants("audit-events", "read"));
  EXPECT_FALSE(role.Grants("audit-events", "delete"));
  EXPECT_TRUE(role.Grants("credentials", "read"));
}

TEST(BuiltInRolesTest, DeveloperWorksOnDataPlaneAndReadsIdentity) {
  const Role& role = Get(kRoleDeveloper);
  for (auto resource : {"instances", "databases", "backups", "alert-rules", "replicas"}) {
    for (auto action : kActions) EXPECT_TRUE(role.Grants(resource, action)) << resource;
  }
  for (auto resource : {"tenants", "users", "roles", "api-keys"}) {
    EXPECT_TRUE(role.Grants(resource, "read")) << resource;
    for (auto action : {"create", "update", "delete"}) EXPECT_FALSE(role.Grants(resource, action));
  }
  for (auto action : kActions) EXPECT_FALSE(role.Grants("audit-events", action));
  EXPECT_FALSE(role.Grants("credentials", "read"));
}

TEST(BuiltInRolesTest, ViewerReadsEverythingButAuditAndSecrets) {
  const Role& role = Get(kRoleViewer);
  for (auto resource : KnownResources()) {
    const bool hidden = resource == "audit-events" || resource == "credentials";
    EXPECT_EQ(role.Grants(resource, "read"), !hidden) << resource;
    for (auto action : {"create", "update", "delete"}) EXPECT_FALSE(role.Grants(resource, action));
  }
}

TEST(PermissionTest, WildcardsAndValidation) {
  const Permission all = ParsePermission("*:*");
  EXPECT_TRUE(all.Grants("instances", "delete"));
  const Permission some = ParsePermission("instances:read,update");
  EXPECT_TRUE(some.Grants("instances", "update"));
  EXPECT_FALSE(some.Grants("instances", "delete"));
  EXPECT_FALSE(some.Grants("backups", "read"));
  EXPECT_EQ(ToString(some), "instances:read,update");

  EXPECT_THROW(ParsePermission("instances"), Error);
  EXPECT_THROW(ParsePermission("instances:destroy"), Error);
  EXPECT_THROW(ParsePermission("Instances:read"), Error);
  EXPECT_THROW(ParsePermission(":read"), Error);
  try {
    Permission{"bad name", {"read", "explode"}}.Validate("permissions[0]");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kInvalidArgument);
    ASSERT_EQ(e.Details().size(), 2U);
    EXPECT_EQ(e.Details()[0].field, "permissions[0].resource");
    EXPECT_EQ(e.Details()[1].field, "permissions[0].actions[1]");
  }
  EXPECT_THROW(Permission({"instances", {}}).Validate(), Error);
}

}  // namespace
}  // namespace dbaas::auth
