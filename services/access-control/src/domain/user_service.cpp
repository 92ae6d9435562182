#include "domain/user_service.hpp"

#include "dbaas/common/error.hpp"
#include "dbaas/common/log.hpp"
#include "dbaas/events/event.hpp"
#include "domain/access.hpp"
#include "domain/identity_events.hpp"

namespace dbaas::access_control {
namespace {

constexpr std::string_view kResource = "users";

[[noreturn]] void ThrowNotFound(const std::string& id) {
  throw Error(ErrorCode::kNotFound, "user " + id + " not found");
}

}  // namespace

TimePoint UserService::Now() const {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(clock_.Now());
}

User UserService::FindVisible(const auth::Identity& caller, const std::string& id,
                              std::string_view action) {
  if (!UserId::Parse(id)) ThrowNotFound(id);
  auto user = repository_.FindUser(id);
  if (!user) ThrowNotFound(id);
  RequireAccess(caller, kResource, action, user->tenant_id);
  return *user;
}

RoleAssignment UserService::CheckGrantable(const auth::Identity& caller, const User& user,
                                           const std::string& role) {
  auto resolved = roles_.Resolve(role, user.tenant_id);
  if (!resolved) {
    throw Error(ErrorCode::kInvalidArgument, "role '" + role + "' does not exist",
                {{"role", "no such role in the user's tenant"}},
                {"GET /v1/roles lists the roles you can assign"});
  }
  if (resolved->IsPlatformAdmin() && !user.tenant_id.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "platform-admin is for platform users only",
                {{"role", "cannot be held by a tenant user"}});
  }
  if (!MayGrant(caller, *resolved)) {
    throw Error(ErrorCode::kPermissionDenied,
                "permission denied: you may not grant role '" + role + "'", {},
                {"a role can be granted only by someone who holds all of its permissions"});
  }
  return RoleAssignment{role, user.tenant_id};
}

CreateOutcome<User> UserService::Create(const auth::Identity& caller, const UserSpec& spec,
                                        const RequestContext& ctx,
                                        const std::optional<std::string>& idempotency_key) {
  const std::string tenant_id = spec.tenant_id.empty() ? caller.tenant_id : spec.tenant_id;
  RequireAccess(caller, kResource, auth::kActionCreate, tenant_id);
  // The password is not in the fingerprint (nothing derived from it is stored outside the
  // user's argon2id hash); a replay is checked against that hash instead.
  std::vector<std::string> fields{tenant_id, LowerAscii(spec.email), spec.display_name};
  fields.insert(fields.end(), spec.roles.begin(), spec.roles.end());
  const auto record =
      MakeIdempotencyRecord(kResource, caller, idempotency_key, RequestFingerprint(fields));
  if (auto earlier = FindEarlierCreate(idempotency_, record)) {
    auto user = repository_.FindUser(*earlier);
    if (!user) ThrowIdempotentResourceGone("user");
    if (!VerifyPassword(spec.password, user->password_hash)) ThrowIdempotencyKeyReused();
    return {*user, true};
  }
  if (!tenant_id.empty() && (!TenantId::Parse(tenant_id) || !tenants_.Find(tenant_id))) {
    throw Error(ErrorCode::kInvalidArgument, "tenant " + tenant_id + " does not exist",
                {{"tenant_id", "no such tenant"}});
  }
  User user;
  user.tenant_id = tenant_id;
  user.username = LowerAscii(spec.email);
  user.email = spec.email;
  user.display_name = spec.display_name.empty() ? spec.email : spec.display_name;
  if (auto problem = CheckPassword(spec.password, user.username)) {
    throw Error(ErrorCode::kInvalidArgument, "the password does not meet the policy",
                {{"password", *problem}});
  }
  std::vector<RoleAssignment> assignments;
  for (const auto& role : spec.roles) assignments.push_back(CheckGrantable(caller, user, role));
  user.password_hash = HashPassword(spec.password, hash_params_);
  user.created_at = Now();
  user.updated_at = user.created_at;
  std::vector<events::Event> events{UserCreatedEvent(user, ctx.request_id)};
  for (const auto& a : assignments) {
    events.push_back(
        RoleAssignmentEvent(user.id.str(), user.tenant_id, a.role, "assigned", ctx.request_id));
  }
  repository_.CreateUser(user, assignments, events, record);
  return {user, false};
}

User UserService::Get(const auth::Identity& caller, const std::string& id) {
  return FindVisible(caller, id, auth::kActionRead);
}

UserPage UserService::List(const auth::Identity& caller, UserListQuery query) {
  if (!caller.IsPlatformAdmin()) {
    if (query.tenant_id && *query.tenant_id != caller.tenant_id) {
      throw Error(ErrorCode::kNotFound, "tenant " + *query.tenant_id + " not found");
    }
    RequireAccess(caller, kResource, auth::kActionRead, caller.tenant_id);
    query.tenant_id = caller.tenant_id;
  }
  return repository_.ListUsers(query);
}

User UserService::Update(const auth::Identity& caller, const std::string& id,
                         const UserPatch& patch, const std::optional<std::string>& if_match,
                         const RequestContext& ctx) {
  if (patch.Empty()) {
    throw Error(ErrorCode::kInvalidArgument, "the update changes nothing",
                {{"body", "set at least one of display_name, active"}});
  }
  FindVisible(caller, id, auth::kActionUpdate);
  if (patch.active == false && caller.subject == id) {
    throw Error(ErrorCode::kFailedPrecondition, "you cannot deactivate yourself");
  }
  const auto now = Now();
  auto updated = repository_.UpdateUser(id, [&](const User& current) {
    if (if_match && *if_match != "*" && *if_match != UserEtag(current)) {
      throw Error(ErrorCode::kAborted,
                  "user " + id + " was modified since it was read (ETag " + UserEtag(current) +
                      ", If-Match " + *if_match + ")",
                  {}, {"GET the user again and retry with its current ETag"});
    }
    User next = ApplyPatch(current, patch, now);
    std::vector<std::string> changed;
    if (next.display_name != current.display_name) changed.emplace_back("display_name");
    if (next.active != current.active) changed.emplace_back("active");
    return std::make_pair(next, UserUpdatedEvent(next, changed, ctx.request_id));
  });
  if (!updated) ThrowNotFound(id);
  if (!updated->active) tokens_.RevokeUserRefreshTokens(id, now);
  return *updated;
}

void UserService::Delete(const auth::Identity& caller, const std::string& id,
                         const RequestContext& ctx) {
  FindVisible(caller, id, auth::kActionDelete);
  if (caller.subject == id) {
    throw Error(ErrorCode::kFailedPrecondition, "you cannot delete yourself");
  }
  const bool deleted = repository_.DeleteUser(
      id, [&](const User& gone) { return UserDeletedEvent(gone, ctx.request_id); });
  if (!deleted) ThrowNotFound(id);
}

void UserService::ChangePassword(const auth::Identity& caller, const std::string& id,
                                 const std::optional<std::string>& current_password,
                                 const std::string& new_password, const RequestContext& ctx) {
  const bool self = caller.kind == auth::IdentityKind::kUser && caller.subject == id;
  User user = self ? [&] {
    auto found = UserId::Parse(id) ? repository_.FindUser(id) : std::nullopt;
    if (!found) ThrowNotFound(id);
    return *found;
  }()
                   : FindVisible(caller, id, auth::kActionUpdate);
  if (self) {
    if (!current_password || !VerifyPassword(*current_password, user.password_hash)) {
      throw Error(ErrorCode::kPermissionDenied, "the current password is not correct",
                  {{"current_password", "does not match"}});
    }
  }
  if (auto problem = CheckPassword(new_password, user.username)) {
    throw Error(ErrorCode::kInvalidArgument, "the password does not meet the policy",
                {{"password", *problem}});
  }
  const std::string hash = HashPassword(new_password, hash_params_);
  const auto now = Now();
  auto updated = repository_.UpdateUser(id, [&](const User& current) {
    User next = current;
    next.password_hash = hash;
    next.version += 1;
    next.updated_at = now;
    return std::make_pair(next, UserUpdatedEvent(next, {"password"}, ctx.request_id));
  });
  if (!updated) ThrowNotFound(id);
  tokens_.RevokeUserRefreshTokens(id, now);
}

User UserService::Unlock(const auth::Identity& caller, const std::string& id,
                         const RequestContext& ctx) {
  FindVisible(caller, id, auth::kActionUpdate);
  const auto now = Now();
  auto updated = repository_.UpdateUser(id, [&](const User& current) {
    User next = current;
    next.login = LoginState{};
    next.version += 1;
    next.updated_at = now;
    return std::make_pair(next, UserUpdatedEvent(next, {"lock"}, ctx.request_id));
  });
  if (!updated) ThrowNotFound(id);
  log::Info("account unlocked", {{"user_id", id}, {"by", caller.subject}});
  return *updated;
}

std::vector<RoleAssignment> UserService::Roles(const auth::Identity& caller,
                                               const std::string& id) {
  FindVisible(caller, id, auth::kActionRead);
  return repository_.Assignments(id);
}

void UserService::AssignRole(const auth::Identity& caller, const std::string& id,
                             const std::string& role, const std::optional<std::string>& tenant_id,
                             const RequestContext& ctx) {
  User user = FindVisible(caller, id, auth::kActionUpdate);
  if (tenant_id && *tenant_id != user.tenant_id) {
    throw Error(ErrorCode::kInvalidArgument, "a role is assigned in the user's own tenant",
                {{"tenant_id", user.tenant_id.empty() ? "must be null for a platform user"
                                                      : "must be " + user.tenant_id}});
  }
  const auto assignment = CheckGrantable(caller, user, role);
  repository_.Assign(id, assignment,
                     RoleAssignmentEvent(id, user.tenant_id, role, "assigned", ctx.request_id));
}

void UserService::UnassignRole(const auth::Identity& caller, const std::string& id,
                               const std::string& role, const RequestContext& ctx) {
  User user = FindVisible(caller, id, auth::kActionUpdate);
  if (auto resolved = roles_.Resolve(role, user.tenant_id);
      resolved && !MayGrant(caller, *resolved)) {
    throw Error(ErrorCode::kPermissionDenied,
                "permission denied: you may not revoke role '" + role + "'");
  }
  if (!repository_.Unassign(
          id, role, RoleAssignmentEvent(id, user.tenant_id, role, "unassigned", ctx.request_id))) {
    throw Error(ErrorCode::kNotFound, "user " + id + " does not hold role " + role);
  }
}

bool UserService::EnsureBootstrapAdmin(const std::string& password) {
  if (repository_.AnyPlatformAdmin()) return false;
  User admin;
  admin.username = std::string(kAdminUsername);
  admin.display_name = "Platform administrator";
  admin.password_hash = HashPassword(password, hash_params_);
  admin.created_at = Now();
  admin.updated_at = admin.created_at;
  const std::string role(auth::kRolePlatformAdmin);
  try {
    repository_.CreateUser(admin, {RoleAssignment{role, ""}},
                           {UserCreatedEvent(admin, ""),
                            RoleAssignmentEvent(admin.id.str(), "", role, "assigned", "")},
                           std::nullopt);
  } catch (const Error& e) {
    if (e.Code() != ErrorCode::kAlreadyExists) throw;
    // Another replica won the race, or a user named "admin" exists without the role.
    log::Warn("bootstrap administrator not created: the username 'admin' is taken");
    return false;
  }
  log::Info("bootstrap administrator created", {{"user_id", admin.id.str()}});
  return true;
}

}  // namespace dbaas::access_control
