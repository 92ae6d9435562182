#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "ac_fixture.hpp"
#include "dbaas/auth/authorize.hpp"

namespace dbaas::access_control {
namespace {

using http::Method;
using nlohmann::json;

constexpr std::string_view kPassword = "rbac property password";

// Runs a RapidCheck property with an explicit number of cases: every case makes real HTTP calls
// (and argon2 hashes), so the default 100 cases with shrinking would take minutes.
template <typename Testable>
void CheckProperty(int cases, Testable&& testable) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  rc::detail::TestMetadata metadata;
  metadata.id = std::string(info->test_suite_name()) + "/" + info->name();
  metadata.description = info->name();
  auto params = rc::detail::configuration().testParams;
  params.maxSuccess = cases;
  params.disableShrinking = true;
  const auto result = rc::detail::checkTestable(std::forward<Testable>(testable), metadata, params);
  if (result.template is<rc::detail::SuccessResult>()) {
    if (!result.template get<rc::detail::SuccessResult>().distribution.empty()) {
      rc::detail::printResultMessage(result, std::cout);  // the RC_TAG distribution
      std::cout << '\n';
    }
  } else {
    std::ostringstream message;
    rc::detail::printResultMessage(result, message);
    FAIL() << message.str();
  }
}

// Objects owned by one tenant that the properties aim at.
struct TenantObjects {
  std::string tenant;
  std::string user;
  std::string role;  // a custom role id
  std::string api_key;
};

// Two tenants with a user, a custom role and an API key each, and helpers to make callers.
class Rbac : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ac_ = std::make_unique<test::AcService>(
        std::map<std::string, std::string>{{"DBAAS_ADMIN_PASSWORD", "rbac-itest-admin-pw"}});
    a_ = MakeTenant("tenant-a");
    b_ = MakeTenant("tenant-b");
  }
  static void TearDownTestSuite() { ac_.reset(); }

  static std::string Unique(const std::string& base) {
    static int counter = 0;
    return base + "-" + std::to_string(++counter);
  }

  static TenantObjects MakeTenant(const std::string& name) {
    TenantObjects t;
    t.tenant = ac_->CreateTenant(name);
    t.user = ac_->CreateUser(Unique(name) + "@example.com", std::string(kPassword), t.tenant,
                             {"viewer"});
    t.role = CreateRole(t.tenant, Unique("fixture"), {{"instances", {"read"}}});
    t.api_key = CreateApiKey(t.tenant);
    return t;
  }

  static std::string CreateRole(const std::string& tenant, const std::string& name,
                                const std::vector<auth::Permission>& permissions) {
    json perms = json::array();
    for (const auto& p : permissions)
      perms.push_back({{"resource", p.resource}, {"actions", p.actions}});
    auto resp = ac_->Call(Method::kPost, "/v1/roles",
                          json{{"name", name}, {"tenant_id", tenant}, {"permissions", perms}},
                          ac_->AdminToken());
    if (resp.status != 201) throw std::runtime_error("create role: " + resp.body);
    return resp.Json()["id"].get<std::string>();
  }

  static std::string CreateApiKey(const std::string& tenant) {
    auto resp = ac_->Call(Method::kPost, "/v1/api-keys",
                          json{{"name", "fixture"}, {"tenant_id", tenant}, {"roles", {"viewer"}}},
                          ac_->AdminToken());
    if (resp.status != 201) throw std::runtime_error("create api key: " + resp.body);
    return resp.Json()["id"].get<std::string>();
  }

  static inline std::unique_ptr<test::AcService> ac_;
  static inline TenantObjects a_;
  static inline TenantObjects b_;
};

const std::vector<std::string> kManagedResources = {"tenants", "users", "roles", "api-keys"};
const std::vector<std::string> kBuiltInTenantRoles = {"tenant-admin", "developer", "viewer"};
const std::vector<std::string> kActionNames = {"read", "create", "update", "delete"};

// A random subset of `items` (in their order), of at least `min` elements.
rc::Gen<std::vector<std::string>> GenSubset(const std::vector<std::string>& items,
                                            std::size_t min = 0) {
  return rc::gen::suchThat(
      rc::gen::map(rc::gen::container<std::vector<bool>>(items.size(), rc::gen::arbitrary<bool>()),
                   [items](const std::vector<bool>& pick) {
                     std::vector<std::string> out;
                     for (std::size_t i = 0; i < items.size(); ++i) {
                       if (pick[i]) out.push_back(items[i]);
                     }
                     return out;
                   }),
      [min](const std::vector<std::string>& subset) { return subset.size() >= min; });
}

rc::Gen<auth::Permission> GenPermission() {
  return rc::gen::apply(
      [](const std::string& resource, std::vector<std::string> actions) {
        return auth::Permission{resource, std::move(actions)};
      },
      rc::gen::elementOf(kManagedResources), GenSubset(kActionNames, 1));
}

// One call of an access-control route and what auth::Authorize is asked about it.
struct RouteCall {
  Method method;
  std::string target;
  std::optional<json> body;
  std::string resource;
  std::string action;
  std::string resource_tenant;
};

RouteCall MakeCall(int route, const TenantObjects& t, const std::string& fresh_key,
                   const std::string& unique) {
  switch (route) {
    case 0:
      return {Method::kGet, "/v1/tenants/" + t.tenant, {}, "tenants", "read", t.tenant};
    case 1:
      return {Method::kPatch,
              "/v1/tenants/" + t.tenant,
              json{{"display_name", unique}},
              "tenants",
              "update",
              t.tenant};
    case 2:
      return {Method::kGet, "/v1/users/" + t.user, {}, "users", "read", t.tenant};
    case 3:
      return {
          Method::kPatch, "/v1/users/" + t.user, json{{"display_name", unique}}, "users", "update",
          t.tenant};
    case 4:
      return {Method::kGet, "/v1/users/" + t.user + "/roles", {}, "users", "read", t.tenant};
    case 5:
      return {
          Method::kPost,
          "/v1/users",
          json{
              {"email", unique + "@example.com"}, {"password", kPassword}, {"tenant_id", t.tenant}},
          "users",
          "create",
          t.tenant};
    case 6:
      return {Method::kGet, "/v1/roles/" + t.role, {}, "roles", "read", t.tenant};
    case 7:
      return {
          Method::kPatch, "/v1/roles/" + t.role, json{{"description", unique}}, "roles", "update",
          t.tenant};
    case 8:
      return {Method::kPost,
              "/v1/roles",
              json{{"name", unique},
                   {"tenant_id", t.tenant},
                   {"permissions", {{{"resource", "instances"}, {"actions", {"read"}}}}}},
              "roles",
              "create",
              t.tenant};
    case 9:
      return {Method::kGet, "/v1/api-keys/" + t.api_key, {}, "api-keys", "read", t.tenant};
    default:
      return {Method::kDelete, "/v1/api-keys/" + fresh_key, {}, "api-keys", "delete", t.tenant};
  }
}
constexpr int kRouteCount = 11;

// Property 20: RBAC Enforcement Completeness
// A user of tenant A holding random built-in and custom roles calls a random access-control
// route on tenant A's or tenant B's objects and gets exactly what auth::Authorize decides: 2xx
// when allowed, NOT_FOUND or PERMISSION_DENIED as it says when denied. Tenants themselves are
// platform-owned: changing one needs platform-admin even when a role names tenants:update.
TEST_F(Rbac, EnforcementMatchesAuthorize) {
  CheckProperty(30, [] {
    const auto builtins = *GenSubset(kBuiltInTenantRoles);
    const auto custom = *rc::gen::container<std::vector<auth::Permission>>(
        *rc::gen::inRange<std::size_t>(0, 4), GenPermission());
    const bool other_tenant = *rc::gen::arbitrary<bool>();
    const int route = *rc::gen::inRange(0, kRouteCount);

    std::vector<std::string> role_names = builtins;
    auth::Identity expected;
    expected.kind = auth::IdentityKind::kUser;
    expected.tenant_id = a_.tenant;
    for (const auto& name : builtins) expected.roles.push_back(*auth::FindBuiltInRole(name));
    if (!custom.empty()) {
      const auto name = Unique("custom");
      CreateRole(a_.tenant, name, custom);
      role_names.push_back(name);
      expected.roles.push_back(auth::Role{name, a_.tenant, custom});
    }
    const auto email = Unique("p20") + "@example.com";
    ac_->CreateUser(email, std::string(kPassword), a_.tenant, role_names);
    const auto token = ac_->Login(email, std::string(kPassword));

    const auto& target = other_tenant ? b_ : a_;
    const auto fresh_key = route == kRouteCount - 1 ? CreateApiKey(target.tenant) : "";
    const auto call = MakeCall(route, target, fresh_key, Unique("p20x"));
    auto decision = auth::Authorize(expected, call.resource, call.action, call.resource_tenant);
    if (call.resource == "tenants" && call.action != "read" && decision.allowed) {
      decision = auth::Decision{false, ErrorCode::kPermissionDenied, "platform-owned"};
    }
    RC_TAG(decision.allowed ? std::string("allowed")
                            : std::string(ErrorCodeName(decision.deny_code)));
    const auto resp = ac_->Call(call.method, call.target, call.body, token);
    RC_LOG() << call.target << " " << call.resource << ":" << call.action
             << " roles=" << json(role_names).dump() << " -> " << resp.status << " " << resp.body;
    if (decision.allowed) {
      RC_ASSERT(resp.status >= 200 && resp.status < 300);
    } else {
      RC_ASSERT(resp.status == HttpStatus(decision.deny_code));
      RC_ASSERT(resp.Json()["error"]["code"] == std::string(ErrorCodeName(decision.deny_code)));
    }
  });
}

// Property 22: Multi-Tenant Data Isolation
// Whatever roles a user of tenant A holds, tenant B's users, roles and API keys do not exist
// for it: every read, update and delete answers NOT_FOUND, and A's lists never show B's objects.
TEST_F(Rbac, TenantsNeverSeeEachOther) {
  std::map<std::string, std::string> tokens;
  for (const std::string role : {"tenant-admin", "developer", "viewer"}) {
    const auto email = Unique("p22-" + role) + "@example.com";
    ac_->CreateUser(email, std::string(kPassword), a_.tenant, {role});
    tokens[role] = ac_->Login(email, std::string(kPassword));
  }
  CheckProperty(30, [&] {
    const auto role = *rc::gen::elementOf(kBuiltInTenantRoles);
    const auto& token = tokens.at(role);
    const int kind = *rc::gen::inRange(0, 3);
    const int verb = *rc::gen::inRange(0, 3);
    const std::string path = kind == 0   ? "/v1/users/" + b_.user
                             : kind == 1 ? "/v1/roles/" + b_.role
                                         : "/v1/api-keys/" + b_.api_key;
    const Method method = verb == 0 ? Method::kGet : verb == 1 ? Method::kPatch : Method::kDelete;
    std::optional<json> body;
    if (method == Method::kPatch) {
      body = kind == 1 ? json{{"description", "mine now"}} : json{{"display_name", "mine now"}};
    }
    if (kind == 2 && method == Method::kPatch) return;  // API keys have no PATCH route
    const auto resp = ac_->Call(method, path, body, token);
    RC_LOG() << role << " " << path << " -> " << resp.status << " " << resp.body;
    RC_ASSERT(resp.status == 404);
    RC_ASSERT(resp.body.find(b_.tenant) == std::string::npos);

    const std::string list = kind == 0 ? "/v1/users" : kind == 1 ? "/v1/roles" : "/v1/api-keys";
    RC_ASSERT(
        ac_->Call(Method::kGet, list + "?tenant_id=" + b_.tenant, std::nullopt, token).status ==
        404);
    const auto own = ac_->Call(Method::kGet, list + "?page_size=100", std::nullopt, token);
    RC_ASSERT(own.status == 200);
    RC_ASSERT(own.body.find(b_.tenant) == std::string::npos);
  });
  // The objects are untouched.
  auto user = ac_->Call(Method::kGet, "/v1/users/" + b_.user, std::nullopt, ac_->AdminToken());
  ASSERT_EQ(user.status, 200);
  EXPECT_NE(user.Json()["display_name"], "mine now");
  auto key = ac_->Call(Method::kGet, "/v1/api-keys/" + b_.api_key, std::nullopt, ac_->AdminToken());
  ASSERT_EQ(key.status, 200);
  EXPECT_EQ(key.Json()["active"], true);
}

// Property 23: Permission Propagation Timing
// Introspection reflects role changes at once, also for tokens issued before the change, so the
// gateway's cache TTL (at most 30 s) is the only delay before a change is effective everywhere.
TEST_F(Rbac, RoleChangesShowInIntrospectionAtOnce) {
  CheckProperty(10, [] {
    const auto roles = *GenSubset(kBuiltInTenantRoles, 1);
    const auto removed = *rc::gen::elementOf(roles);
    const auto email = Unique("p23") + "@example.com";
    const auto id = ac_->CreateUser(email, std::string(kPassword), a_.tenant, roles);
    const auto token = ac_->Login(email, std::string(kPassword));
    auto names = [&] {
      auto resp = ac_->Call(Method::kPost, "/v1/auth/introspect", json{{"token", token}});
      std::set<std::string> out;
      const auto body = resp.Json();
      for (const auto& r : body["roles"]) out.insert(r["name"].get<std::string>());
      return out;
    };
    RC_ASSERT(names() == std::set<std::string>(roles.begin(), roles.end()));
    const auto del = ac_->Call(Method::kDelete, "/v1/users/" + id + "/roles/" + removed,
                               std::nullopt, ac_->AdminToken());
    RC_ASSERT(del.status == 204);
    auto expected = std::set<std::string>(roles.begin(), roles.end());
    expected.erase(removed);
    RC_ASSERT(names() == expected);
    // And the service itself enforces the new state for the old token.
    const auto read = ac_->Call(Method::kGet, "/v1/users/" + id, std::nullopt, token);
    RC_ASSERT(read.status == (expected.empty() ? 403 : 200));
  });
}

}  // namespace
}  // namespace dbaas::access_control
