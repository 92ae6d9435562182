#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/common/clock.hpp"
#include "dbaas/common/id.hpp"
#include "domain/login_guard.hpp"

namespace dbaas::access_control {

/// The login name of the bootstrap platform administrator.
inline constexpr std::string_view kAdminUsername = "admin";

/// User::source values.
inline constexpr std::string_view kSourceLocal = "local";
inline constexpr std::string_view kSourceLdap = "ldap";

/// A person who logs in with a password. `password_hash` is an argon2id PHC string; it never
/// leaves the service.
struct User {
  UserId id = UserId::Generate();
  /// Empty for platform users.
  std::string tenant_id;
  /// The login name: the lower-cased email, or "admin" for the bootstrap administrator.
  std::string username;
  std::optional<std::string> email;
  std::string display_name;
  std::string password_hash;
  bool active = true;
  std::optional<TimePoint> last_login_at;
  LoginState login;
  std::int64_t version = 1;
  /// Where the account comes from: kSourceLocal (password_hash) or kSourceLdap (provisioned at
  /// login from the directory; no local password).
  std::string source{kSourceLocal};
  /// The directory DN of an LDAP-sourced user.
  std::optional<std::string> external_id;
  TimePoint created_at;
  TimePoint updated_at;
};

/// What a client supplies to create a user. `tenant_id` empty means "the caller's tenant"
/// (a platform user when the caller is a platform administrator without tenant).
struct UserSpec {
  std::string tenant_id;
  std::string email;
  std::string display_name;
  std::string password;
  /// Roles to assign at once (same rules as a later assignment).
  std::vector<std::string> roles;
};

/// A partial update; unset fields stay as they are.
struct UserPatch {
  std::optional<std::string> display_name;
  std::optional<bool> active;
  bool Empty() const noexcept { return !display_name && !active; }
};

/// nullopt when `email` is plausible (3-254 characters, one "@", a dot in the domain, no spaces
/// or control characters); otherwise the problem.
std::optional<std::string> CheckEmail(std::string_view email);
/// ASCII lower-case, as emails and usernames are compared case-insensitively.
std::string LowerAscii(std::string_view text);

/// Applies a patch, bumping version and updated_at. Pure.
User ApplyPatch(User user, const UserPatch& patch, TimePoint now);
/// The strong ETag of a user version, e.g. "\"3\"".
std::string UserEtag(const User& user);

}  // namespace dbaas::access_control
