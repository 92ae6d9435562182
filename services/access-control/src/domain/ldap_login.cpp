#include "domain/ldap_login.hpp"

#include <algorithm>

#include "dbaas/auth/role.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/common/log.hpp"
#include "dbaas/events/event.hpp"
#include "domain/identity_events.hpp"

namespace dbaas::access_control {

LdapLogin::LdapLogin(Directory& directory, IdentityRepository& identities, RoleService& roles,
                     const Clock& clock, LdapSettings settings)
    : directory_(directory),
      identities_(identities),
      roles_(roles),
      clock_(clock),
      settings_(std::move(settings)) {}

std::vector<std::string> LdapLogin::UsableRoles(const std::vector<std::string>& mapped) {
  std::vector<std::string> usable;
  for (const auto& role : mapped) {
    // A tenant's directory must not mint platform administrators.
    const bool platform_only =
        role == auth::kRolePlatformAdmin && !settings_.tenant_id.empty();
    if (platform_only || !roles_.Resolve(role, settings_.tenant_id)) {
      log::Warn("DBAAS_LDAP_GROUP_ROLE_MAP names a role that cannot be granted here; skipped",
                {{"role", role}, {"tenant_id", settings_.tenant_id}});
      continue;
    }
    usable.push_back(role);
  }
  return usable;
}

LdapLoginResult LdapLogin::Authenticate(const std::string& username, const std::string& password,
                                        const std::optional<User>& existing) {
  LdapLoginResult result;
  const auto entry = directory_.Authenticate(username, password);
  if (!entry) return result;
  const auto roles = UsableRoles(RolesForGroups(entry->group_dns, settings_.group_roles));
  if (existing) {
    SyncRoles(*existing, roles);
    result.user = existing;
  } else if (!roles.empty()) {
    result.user = Provision(username, *entry, roles);
  }
  result.status = roles.empty() ? LdapLoginResult::Status::kNoMappedGroup
                                : LdapLoginResult::Status::kOk;
  return result;
}

User LdapLogin::Provision(const std::string& username, const DirectoryUser& entry,
                          const std::vector<std::string>& roles) {
  User user;
  user.tenant_id = settings_.tenant_id;
  user.username = LowerAscii(username);
  user.display_name = entry.display_name.empty() ? username : entry.display_name;
  user.password_hash = std::string(kNoLocalPassword);
  user.source = std::string(kSourceLdap);
  user.external_id = entry.dn;
  user.created_at = clock_.Now();
  user.updated_at = user.created_at;
  std::vector<RoleAssignment> assignments;
  std::vector<events::Event> events{UserCreatedEvent(user, "")};
  for (const auto& role : roles) {
    assignments.push_back(RoleAssignment{role, user.tenant_id});
    events.push_back(RoleAssignmentEvent(user.id.str(), user.tenant_id, role, "assigned", ""));
  }
  try {
    identities_.CreateUser(user, assignments, events, std::nullopt);
  } catch (const Error& e) {
    if (e.Code() != ErrorCode::kAlreadyExists) throw;
    // A concurrent first login of the same user won the race: use its record.
    auto found = identities_.FindUserByUsername(user.username);
    if (!found || found->source != kSourceLdap) throw;
    SyncRoles(*found, roles);
    return *found;
  }
  log::Info("LDAP user provisioned",
            {{"user_id", user.id.str()}, {"tenant_id", user.tenant_id}});
  return user;
}

void LdapLogin::SyncRoles(const User& user, const std::vector<std::string>& roles) {
  const auto id = user.id.str();
  const auto current = identities_.Assignments(id);
  for (const auto& held : current) {
    if (std::find(roles.begin(), roles.end(), held.role) != roles.end()) continue;
    identities_.Unassign(
        id, held.role, RoleAssignmentEvent(id, user.tenant_id, held.role, "unassigned", ""));
    log::Info("LDAP group mapping removed a role", {{"user_id", id}, {"role", held.role}});
  }
  for (const auto& role : roles) {
    const bool held = std::any_of(current.begin(), current.end(),
                                  [&](const RoleAssignment& a) { return a.role == role; });
    if (held) continue;
    identities_.Assign(id, RoleAssignment{role, user.tenant_id},
                       RoleAssignmentEvent(id, user.tenant_id, role, "assigned", ""));
  }
}

}  // namespace dbaas::access_control
