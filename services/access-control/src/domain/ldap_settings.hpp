#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbaas {
class ConfigReader;
}

namespace dbaas::access_control {

/// A directory group whose members get a dbaas role.
struct GroupRole {
  /// Normalised (see NormalizeDn).
  std::string group_dn;
  std::string role;
};

/// The DBAAS_LDAP_* settings (see docs/architecture.md, "External identity providers").
struct LdapSettings {
  /// ldap://host:port or ldaps://host:port.
  std::string url;
  bool start_tls = false;
  /// PEM CA bundle for ldaps:// and StartTLS; empty = the system store.
  std::string ca_file;
  /// Direct bind: the user's DN with "{username}" (DN-escaped) in it. Empty = search-then-bind.
  std::string user_dn_template;
  /// Search-then-bind: the service account and where/how to find the user.
  std::string bind_dn;
  std::string bind_password;
  std::string user_search_base;
  /// "{username}" is filter-escaped.
  std::string user_filter = "(uid={username})";
  std::string group_search_base;
  /// "{dn}" is the user's DN, filter-escaped.
  std::string group_filter = "(|(member={dn})(uniqueMember={dn}))";
  std::vector<GroupRole> group_roles;
  /// The tenant directory users belong to; empty = platform users.
  std::string tenant_id;
  /// Bounds connecting and every request to the directory.
  std::chrono::milliseconds timeout{5000};
};

/// Reads DBAAS_LDAP_*; nullopt (LDAP off) when DBAAS_LDAP_URL is unset. Every problem is
/// recorded in `cfg`, naming the variable; the bind password is read from
/// DBAAS_LDAP_BIND_PASSWORD_FILE and never echoed.
std::optional<LdapSettings> ReadLdapSettings(ConfigReader& cfg);

/// Parses "<group DN>=<role>;<group DN>=<role>..." (the role follows the last '='; a group may
/// appear several times). nullopt and `problem` set when malformed.
std::optional<std::vector<GroupRole>> ParseGroupRoleMap(std::string_view text,
                                                        std::string& problem);

/// A DN in a canonical form for comparison: ASCII lower-case, no spaces around ',' '=' '+'.
std::string NormalizeDn(std::string_view dn);

/// The distinct roles the groups grant, in map order.
std::vector<std::string> RolesForGroups(const std::vector<std::string>& group_dns,
                                        const std::vector<GroupRole>& map);

}  // namespace dbaas::access_control
