#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "dbaas/auth/authorize.hpp"
#include "dbaas/auth/route_table.hpp"

namespace dbaas::auth {
namespace {

const std::vector<std::string> kTenants = {"ten_a", "ten_b", "ten_c"};
const std::vector<std::string> kResources = {"instances",    "users",   "tenants",
                                             "audit-events", "backups", "engines"};

// Small lists keep each case cheap; the interesting variety is in the contents, not the length.
template <typename T>
rc::Gen<std::vector<T>> SmallList(rc::Gen<T> gen, int min, int max) {
  return rc::gen::mapcat(rc::gen::inRange(min, max + 1), [gen](int n) {
    return rc::gen::container<std::vector<T>>(static_cast<std::size_t>(n), gen);
  });
}

rc::Gen<std::string> Action() {
  return rc::gen::elementOf(std::vector<std::string>(kActions.begin(), kActions.end()));
}

rc::Gen<Permission> RandomPermission() {
  return rc::gen::build<Permission>(
      rc::gen::set(&Permission::resource,
                   rc::gen::weightedOneOf<std::string>({{5, rc::gen::elementOf(kResources)},
                                                        {1, rc::gen::just(std::string("*"))}})),
      rc::gen::set(&Permission::actions,
                   SmallList(rc::gen::weightedOneOf<std::string>(
                                 {{5, Action()}, {1, rc::gen::just(std::string("*"))}}),
                             1, 3)));
}

rc::Gen<Role> RandomRole() {
  const auto custom = rc::gen::build<Role>(
      rc::gen::set(&Role::name, rc::gen::elementOf(std::vector<std::string>{"ops", "auditor"})),
      rc::gen::set(&Role::tenant_id,
                   rc::gen::oneOf(rc::gen::elementOf(kTenants), rc::gen::just(std::string()))),
      rc::gen::set(&Role::permissions, SmallList(RandomPermission(), 0, 4)));
  const auto built_in = rc::gen::map(rc::gen::inRange<std::size_t>(0, BuiltInRoles().size()),
                                     [](std::size_t i) { return BuiltInRoles()[i]; });
  return rc::gen::oneOf(custom, built_in);
}

rc::Gen<Identity> RandomIdentity() {
  return rc::gen::build<Identity>(
      rc::gen::set(&Identity::subject, rc::gen::just(std::string("usr_x"))),
      rc::gen::set(&Identity::tenant_id,
                   rc::gen::weightedOneOf<std::string>(
                       {{6, rc::gen::elementOf(kTenants)}, {1, rc::gen::just(std::string())}})),
      rc::gen::set(&Identity::roles, SmallList(RandomRole(), 0, 4)));
}

// The specification, written independently of authorize.cpp.
bool RolesGrant(const Identity& identity, const std::string& resource, const std::string& action) {
  for (const Role& role : identity.roles) {
    if (!role.tenant_id.empty() && role.tenant_id != identity.tenant_id) continue;
    for (const Permission& p : role.permissions) {
      if (p.resource != "*" && p.resource != resource) continue;
      for (const std::string& a : p.actions) {
        if (a == "*" || a == action) return true;
      }
    }
  }
  return false;
}

bool HoldsPlatformAdmin(const Identity& identity) {
  return std::any_of(identity.roles.begin(), identity.roles.end(), [](const Role& r) {
    return r.name == "platform-admin" && r.tenant_id.empty();
  });
}

bool Expected(const Identity& identity, const std::string& resource, const std::string& action,
              const std::string& resource_tenant) {
  const bool admin = HoldsPlatformAdmin(identity);
  const bool scope_ok = admin ||
                        (!resource_tenant.empty() && resource_tenant == identity.tenant_id) ||
                        (resource_tenant.empty() && action == "read");
  return scope_ok && RolesGrant(identity, resource, action);
}

// Property 20: RBAC Enforcement Completeness
RC_GTEST_PROP(AuthorizeProperty, AllowsExactlyWhatTheRolesGrantInScope, ()) {
  const Identity identity = *RandomIdentity();
  const std::string resource = *rc::gen::elementOf(kResources);
  const std::string action = *Action();
  const std::string resource_tenant =
      *rc::gen::oneOf(rc::gen::elementOf(kTenants), rc::gen::just(std::string()));

  const Decision decision = Authorize(identity, resource, action, resource_tenant);
  RC_ASSERT(decision.allowed == Expected(identity, resource, action, resource_tenant));
  if (!decision.allowed && (HoldsPlatformAdmin(identity) || resource_tenant.empty() ||
                            resource_tenant == identity.tenant_id)) {
    RC_ASSERT(decision.deny_code == ErrorCode::kPermissionDenied);
  }
}

// Property 20: RBAC Enforcement Completeness
RC_GTEST_PROP(AuthorizeProperty, EveryRouteIsCheckedAgainstTheRoles, ()) {
  RouteTable table;
  table.AddCollection("/v1/instances", "instances");
  table.AddCollection("/v1/users", "users");
  table.AddCollection("/v1/tenants", "tenants");
  table.Add({"*", "/v1/instances/{id}/backups", "backups", ""});
  table.Add({"POST", "/v1/instances/{id}/restart", "instances", "update"});
  table.Add({"GET", "/v1/audit-events", "audit-events", ""});
  const std::string method = *rc::gen::elementOf(
      std::vector<std::string>{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"});
  const std::string path = *rc::gen::elementOf(std::vector<std::string>{
      "/v1/instances", "/v1/instances/ins_1", "/v1/instances/ins_1/backups",
      "/v1/instances/ins_1/restart", "/v1/users/usr_2", "/v1/tenants", "/v1/audit-events"});
  const auto required = table.Resolve(method, path);
  // Routes registered for one method only resolve for that method: deny by default.
  const bool post_only = path == "/v1/instances/ins_1/restart";
  const bool get_only = path == "/v1/audit-events";
  RC_ASSERT(required.has_value() ==
            ((!post_only || method == "POST") && (!get_only || method == "GET")));
  if (!required) return;
  if (path == "/v1/instances/ins_1/restart" && method == "POST") {
    RC_ASSERT(required->action == std::string("update"));
  } else {
    RC_ASSERT(required->action == std::string(ActionForMethod(method)));
  }
  const Identity identity = *RandomIdentity();
  const std::string tenant = *rc::gen::elementOf(kTenants);
  RC_ASSERT(Authorize(identity, required->resource, required->action, tenant).allowed ==
            Expected(identity, required->resource, required->action, tenant));
}

// Property 22: Multi-Tenant Data Isolation
RC_GTEST_PROP(AuthorizeProperty, OtherTenantsResourcesAreInvisible, ()) {
  Identity identity = *RandomIdentity();
  // Without the global platform-admin role, whatever else the identity holds.
  std::erase_if(identity.roles, [](const Role& r) { return r.IsPlatformAdmin(); });
  const std::string resource = *rc::gen::elementOf(kResources);
  const std::string action = *Action();
  const std::string other = *rc::gen::elementOf(kTenants).as("resource tenant");
  RC_PRE(other != identity.tenant_id);

  const Decision decision = Authorize(identity, resource, action, other);
  RC_ASSERT(!decision.allowed);
  RC_ASSERT(decision.deny_code == ErrorCode::kNotFound);
}

// Property 22: Multi-Tenant Data Isolation
RC_GTEST_PROP(AuthorizeProperty, PlatformAdminsReachEveryTenant, ()) {
  Identity identity = *RandomIdentity();
  identity.roles.push_back(*FindBuiltInRole(kRolePlatformAdmin));
  const std::string resource = *rc::gen::elementOf(kResources);
  const std::string action = *Action();
  const std::string tenant = *rc::gen::elementOf(kTenants);
  RC_ASSERT(Authorize(identity, resource, action, tenant).allowed);
}

}  // namespace
}  // namespace dbaas::auth
