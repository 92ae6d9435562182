#pragma once

#include <optional>
#include <string>

#include "dbaas/common/clock.hpp"
#include "domain/identity_repository.hpp"
#include "domain/ldap_directory.hpp"
#include "domain/ldap_settings.hpp"
#include "domain/role_service.hpp"

namespace dbaas::access_control {

/// The outcome of an LDAP password check.
struct LdapLoginResult {
  enum class Status {
    kOk,
    /// Unknown user, wrong password or a username the directory rejects.
    kBadCredentials,
    /// The password is right but no group the user is in maps to a role (the user's roles
    /// are removed, so tokens issued before lose their permissions too).
    kNoMappedGroup,
  };
  Status status = Status::kBadCredentials;
  /// The local record (created or found) for kOk and kNoMappedGroup.
  std::optional<User> user;
};

/// Password logins against the directory with just-in-time provisioning: the first successful
/// bind creates a local user (source "ldap", no local password) in the configured tenant, and
/// every login re-synchronises its roles with the group mapping (removed from a group = role
/// removed). Thread-safe.
class LdapLogin {
 public:
  /// All references must outlive this object.
  LdapLogin(Directory& directory, IdentityRepository& identities, RoleService& roles,
            const Clock& clock, LdapSettings settings);

  /// Binds as `username` and provisions/synchronises the local user. `existing` is the local
  /// LDAP-sourced user with this username, when there is one. Throws Error{UNAVAILABLE} when
  /// the directory cannot be asked.
  LdapLoginResult Authenticate(const std::string& username, const std::string& password,
                               const std::optional<User>& existing);

 private:
  User Provision(const std::string& username, const DirectoryUser& entry,
                 const std::vector<std::string>& roles);
  void SyncRoles(const User& user, const std::vector<std::string>& roles);
  /// The mapped roles that resolve in the tenant (unknown names are logged and skipped).
  std::vector<std::string> UsableRoles(const std::vector<std::string>& mapped);

  Directory& directory_;
  IdentityRepository& identities_;
  RoleService& roles_;
  const Clock& clock_;
  LdapSettings settings_;
};

/// The password_hash of users without a local password; no password verifies against it.
inline constexpr std::string_view kNoLocalPassword = "!external";

}  // namespace dbaas::access_control
