#pragma once

#include <optional>
#include <string>
#include <vector>

namespace dbaas::access_control {

/// What a successful directory bind tells about a user.
struct DirectoryUser {
  /// The DN the user bound as.
  std::string dn;
  /// DNs of the groups (under the group search base) that list the user as a member.
  std::vector<std::string> group_dns;
  /// The entry's displayName or cn; empty when it has neither.
  std::string display_name;
};

/// An LDAP directory that checks passwords by binding as the user. Implementations escape the
/// username for DNs and filters and never send an empty password (an unauthenticated bind
/// would succeed). Thread-safe.
class Directory {
 public:
  virtual ~Directory() = default;
  /// The user when `password` binds; nullopt for unknown users, wrong passwords and usernames
  /// the directory rejects. Throws Error{UNAVAILABLE} when the directory cannot be reached or
  /// does not answer within the configured timeout.
  virtual std::optional<DirectoryUser> Authenticate(const std::string& username,
                                                    const std::string& password) = 0;
};

}  // namespace dbaas::access_control
