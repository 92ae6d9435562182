#include "domain/role_service.hpp"

#include <algorithm>

#include "dbaas/common/error.hpp"
#include "dbaas/events/event.hpp"
#include "domain/access.hpp"
#include "domain/identity_events.hpp"

namespace dbaas::access_control {
namespace {

constexpr std::string_view kResource = "roles";

TimePoint Millis(TimePoint t) {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(t);
}

[[noreturn]] void ThrowNotFound(const std::string& id) {
  throw Error(ErrorCode::kNotFound, "role " + id + " not found");
}

}  // namespace

std::vector<auth::Role> SortedBuiltInRoles() {
  const auto built_in = auth::BuiltInRoles();
  std::vector<auth::Role> roles(built_in.begin(), built_in.end());
  std::sort(roles.begin(), roles.end(),
            [](const auth::Role& a, const auth::Role& b) { return a.name < b.name; });
  return roles;
}

CustomRole BuiltInView(const auth::Role& role) {
  CustomRole view;
  view.id = role.name;
  view.name = role.name;
  view.permissions = role.permissions;
  view.version = 0;
  view.built_in = true;
  return view;
}

std::optional<auth::Role> RoleService::Resolve(std::string_view name, std::string_view tenant_id) {
  if (const auto* builtin = auth::FindBuiltInRole(name)) return *builtin;
  if (tenant_id.empty()) return std::nullopt;
  auto custom = repository_.FindRoleByName(std::string(tenant_id), std::string(name));
  if (!custom) return std::nullopt;
  return custom->ToRole();
}

std::vector<auth::Role> RoleService::ResolveAll(const std::vector<RoleAssignment>& assignments) {
  std::vector<auth::Role> roles;
  for (const auto& a : assignments) {
    if (auto role = Resolve(a.role, a.tenant_id)) roles.push_back(std::move(*role));
  }
  return roles;
}

RolePage RoleService::List(const auth::Identity& caller, RoleListQuery query) {
  if (!caller.IsPlatformAdmin()) {
    if (query.tenant_id && *query.tenant_id != caller.tenant_id) {
      throw Error(ErrorCode::kNotFound, "tenant " + *query.tenant_id + " not found");
    }
    query.tenant_id = caller.tenant_id;
    RequireAccess(caller, kResource, auth::kActionRead, caller.tenant_id);
  }
  // One order across both kinds: built-in roles by name, then custom roles by id. A page token
  // holding a built-in name resumes among the built-ins; one holding a custom id ("rol_...")
  // has passed them all. Collecting one extra role tells whether another page follows.
  const std::size_t wanted = query.page_size + 1;
  const bool past_built_ins = query.after_id && IsRoleId(*query.after_id);
  std::vector<CustomRole> roles;
  if (!past_built_ins) {
    for (const auto& role : SortedBuiltInRoles()) {
      if (query.after_id && role.name <= *query.after_id) continue;
      if (roles.size() == wanted) break;
      roles.push_back(BuiltInView(role));
    }
  }
  if (roles.size() < wanted) {
    RoleRowQuery rows;
    rows.limit = wanted - roles.size();
    if (past_built_ins) rows.after_id = query.after_id;
    rows.tenant_id = query.tenant_id;
    for (auto& role : repository_.ListRoles(rows)) roles.push_back(std::move(role));
  }
  RolePage page;
  if (roles.size() == wanted) {
    roles.pop_back();
    page.last_id = roles.back().id;
  }
  page.roles = std::move(roles);
  return page;
}

CustomRole RoleService::FindVisible(const auth::Identity& caller, const std::string& id,
                                    std::string_view action) {
  if (!IsRoleId(id)) ThrowNotFound(id);
  auto role = repository_.FindRole(id);
  if (!role) ThrowNotFound(id);
  RequireAccess(caller, kResource, action, role->tenant_id);
  return *role;
}

CustomRole RoleService::Get(const auth::Identity& caller, const std::string& id) {
  if (const auto* builtin = auth::FindBuiltInRole(id)) {
    auth::Authorize(caller, kResource, auth::kActionRead, "")
        .ThrowIfDenied(kResource, auth::kActionRead);
    return BuiltInView(*builtin);
  }
  return FindVisible(caller, id, auth::kActionRead);
}

CreateOutcome<CustomRole> RoleService::Create(const auth::Identity& caller, const RoleSpec& spec,
                                              const RequestContext& ctx,
                                              const std::optional<std::string>& idempotency_key) {
  const std::string tenant_id = spec.tenant_id.empty() ? caller.tenant_id : spec.tenant_id;
  if (tenant_id.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "custom roles belong to a tenant",
                {{"tenant_id", "is required for platform administrators"}});
  }
  RequireAccess(caller, kResource, auth::kActionCreate, tenant_id);
  if (!TenantId::Parse(tenant_id) || !tenants_.Find(tenant_id)) {
    throw Error(ErrorCode::kInvalidArgument, "tenant " + tenant_id + " does not exist",
                {{"tenant_id", "no such tenant"}});
  }
  std::vector<std::string> fields{tenant_id, spec.name, spec.description};
  for (const auto& p : spec.permissions) {
    fields.push_back(p.resource);
    fields.push_back(std::to_string(p.actions.size()));
    fields.insert(fields.end(), p.actions.begin(), p.actions.end());
  }
  const auto record =
      MakeIdempotencyRecord(kResource, caller, idempotency_key, RequestFingerprint(fields));
  if (auto earlier = FindEarlierCreate(idempotency_, record)) {
    if (auto role = repository_.FindRole(*earlier)) return {*role, true};
    ThrowIdempotentResourceGone("role");
  }
  CustomRole role;
  role.id = NewRoleId();
  role.tenant_id = tenant_id;
  role.name = spec.name;
  role.description = spec.description;
  role.permissions = spec.permissions;
  role.created_at = Millis(clock_.Now());
  role.updated_at = role.created_at;
  repository_.CreateRole(role, RoleChangedEvent(role, "created", ctx.request_id), record);
  return {role, false};
}

CustomRole RoleService::Update(const auth::Identity& caller, const std::string& id,
                               const RolePatch& patch, const RequestContext& ctx) {
  if (auth::FindBuiltInRole(id) != nullptr) {
    throw Error(ErrorCode::kFailedPrecondition, "built-in roles cannot be changed", {},
                {"create a custom role with the permissions you need"});
  }
  if (patch.Empty()) {
    throw Error(ErrorCode::kInvalidArgument, "the update changes nothing",
                {{"body", "set description or permissions"}});
  }
  FindVisible(caller, id, auth::kActionUpdate);
  const auto now = Millis(clock_.Now());
  auto updated = repository_.UpdateRole(id, [&](const CustomRole& current) {
    CustomRole next = current;
    if (patch.description) next.description = *patch.description;
    if (patch.permissions) next.permissions = *patch.permissions;
    next.version += 1;
    next.updated_at = now;
    return std::make_pair(next, RoleChangedEvent(next, "updated", ctx.request_id));
  });
  if (!updated) ThrowNotFound(id);
  return *updated;
}

void RoleService::Delete(const auth::Identity& caller, const std::string& id,
                         const RequestContext& ctx) {
  if (auth::FindBuiltInRole(id) != nullptr) {
    throw Error(ErrorCode::kFailedPrecondition, "built-in roles cannot be deleted");
  }
  FindVisible(caller, id, auth::kActionDelete);
  const bool deleted = repository_.DeleteRole(id, [&](const CustomRole& gone) {
    return RoleChangedEvent(gone, "deleted", ctx.request_id);
  });
  if (!deleted) ThrowNotFound(id);
}

}  // namespace dbaas::access_control
