#include "domain/route_policy.hpp"

#include <algorithm>

#include "dbaas/auth/authorize.hpp"
#include "dbaas/common/error.hpp"

namespace dbaas::gateway {

Exposure ExposureOf(std::string_view method, std::string_view raw_path) noexcept {
  if (raw_path == "/v1/auth/introspect" || raw_path.starts_with("/v1/auth/introspect/")) {
    return Exposure::kBlocked;
  }
  if (method == "POST" && (raw_path == "/v1/auth/token" || raw_path == "/v1/auth/revoke")) {
    return Exposure::kPublic;
  }
  if ((method == "GET" || method == "HEAD") && raw_path == "/.well-known/jwks.json") {
    return Exposure::kPublic;
  }
  return Exposure::kProtected;
}

auth::RouteTable DefaultPermissionTable() {
  auth::RouteTable t;
  // access-control
  for (const auto& [prefix, resource] :
       std::initializer_list<std::pair<const char*, const char*>>{{"/v1/tenants", "tenants"},
                                                                  {"/v1/users", "users"},
                                                                  {"/v1/roles", "roles"},
                                                                  {"/v1/api-keys", "api-keys"}}) {
    t.AddCollection(prefix, resource);
  }
  // Role assignments belong to the user: listing them reads it; assigning roles, setting a
  // password and unlocking all modify it.
  t.Add({"GET", "/v1/users/{id}/roles", "users", "read"});
  t.Add({"POST", "/v1/users/{id}/roles", "users", "update"});
  t.Add({"DELETE", "/v1/users/{id}/roles/{role}", "users", "update"});
  t.Add({"POST", "/v1/users/{id}/password", "users", "update"});
  t.Add({"POST", "/v1/users/{id}:unlock", "users", "update"});
  t.AddCollection("/v1/audit-events", "audit-events");
  t.Add({"GET", "/v1/audit-events:verify", "audit-events", "read"});
  t.AddCollection("/v1/signing-keys", "signing-keys");
  t.Add({"POST", "/v1/signing-keys:rotate", "signing-keys", "update"});
  // provisioning
  t.Add({"GET", "/v1/engines", "engines", {}});
  t.Add({"GET", "/v1/engines/{id}", "engines", {}});
  t.Add({"GET", "/v1/instance-sizes", "instance-sizes", {}});
  t.Add({"GET", "/v1/instance-sizes/{id}", "instance-sizes", {}});
  t.AddCollection("/v1/parameter-groups", "parameter-groups");
  t.Add({"GET", "/v1/parameter-groups/{id}/versions", "parameter-groups", "read"});
  t.AddCollection("/v1/instances", "instances");
  for (const char* verb : {"start", "stop", "restart"}) {
    t.Add({"POST", std::string("/v1/instances/{id}/") + verb, "instances", "update"});
  }
  t.Add({"GET", "/v1/instances/{id}/credentials", "credentials", "read"});
  for (const char* sub : {"databases", "users", "roles", "grants"}) {
    t.AddCollection(std::string("/v1/instances/{instance_id}/") + sub, "databases");
  }
  t.Add({"POST", "/v1/instances/{instance_id}/users/{id}:rotate-password", "databases", "update"});
  t.Add({"POST", "/v1/instances/{instance_id}/grants:revoke", "databases", "delete"});
  t.AddCollection("/v1/operations", "operations");
  // backup
  t.AddCollection("/v1/instances/{instance_id}/backups", "backups");
  t.AddCollection("/v1/backups", "backups");
  t.Add({"*", "/v1/instances/{id}/backup-schedule", "backup-schedules", {}});
  t.Add({"GET", "/v1/instances/{id}/recovery-window", "backups", "read"});
  t.Add({"POST", "/v1/instances/{id}/restore", "restores", "create"});
  // monitoring
  t.Add({"GET", "/v1/instances/{id}/metrics", "metrics", "read"});
  t.AddCollection("/v1/alert-rules", "alert-rules");
  t.AddCollection("/v1/alerts", "alerts");
  t.AddCollection("/v1/notification-channels", "notification-channels");
  // scaling
  t.Add({"POST", "/v1/instances/{id}/scale", "instances", "update"});
  t.AddCollection("/v1/instances/{instance_id}/replicas", "replicas");
  t.AddCollection("/v1/autoscaling-policies", "autoscaling-policies");
  // ha
  t.Add({"POST", "/v1/instances/{id}/failover", "clusters", "update"});
  t.Add({"POST", "/v1/instances/{id}/switchover", "clusters", "update"});
  t.Add({"GET", "/v1/instances/{id}/cluster", "clusters", "read"});
  // dr
  t.AddCollection("/v1/instances/{instance_id}/dr-replicas", "dr-replicas");
  t.AddCollection("/v1/dr-drills", "dr-drills");
  // cost
  t.AddCollection("/v1/costs", "costs");
  t.AddCollection("/v1/budgets", "budgets");
  t.AddCollection("/v1/recommendations", "recommendations");
  // query
  t.AddCollection("/v1/datasources", "datasources");
  t.Add({"POST", "/v1/query", "queries", "read"});
  return t;
}

std::vector<std::string> RoutePatterns(const auth::RouteTable& table) {
  std::vector<std::string> out{"/v1/auth/token", "/v1/auth/revoke", "/.well-known/jwks.json"};
  for (const auto& route : table.Routes()) {
    if (std::find(out.begin(), out.end(), route.pattern) == out.end()) {
      out.push_back(route.pattern);
    }
  }
  return out;
}

void AuthorizeRequest(const auth::Identity& identity,
                      const std::optional<auth::RequiredPermission>& required,
                      std::string_view method, std::string_view path) {
  if (!required) {
    throw Error(ErrorCode::kNotFound,
                "no route for " + std::string(method) + " " + std::string(path));
  }
  // The gateway does not know which tenant owns an individual resource; it checks the grant in
  // the caller's own tenant and the owning service answers NOT_FOUND for another tenant's.
  const auto decision =
      auth::Authorize(identity, required->resource, required->action, identity.tenant_id);
  if (!decision) {
    throw Error(ErrorCode::kPermissionDenied,
                "permission " + required->resource + ":" + required->action + " is required");
  }
}

}  // namespace dbaas::gateway
