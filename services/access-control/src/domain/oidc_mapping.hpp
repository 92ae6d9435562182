#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/auth/oidc.hpp"

namespace dbaas {
class ConfigReader;
}

namespace dbaas::access_control {

/// A claim value that grants a dbaas role.
struct ClaimRole {
  std::string value;
  std::string role;
};

/// The DBAAS_OIDC_* settings of access-control: the issuer's plus how claims map to identity.
struct OidcSettings {
  auth::OidcIssuerSettings issuer;
  /// Dotted path to the claim listing groups/roles, e.g. "groups" or "realm_access.roles".
  std::string roles_claim = "groups";
  std::vector<ClaimRole> role_map;
  /// Dotted path to a claim holding the dbaas tenant id; empty = always `tenant`.
  std::string tenant_claim;
  /// The tenant when the token has no tenant claim; empty = platform identities.
  std::string tenant;
  /// Dotted path to the username claim; empty = "preferred_username", then "sub".
  std::string username_claim;
};

/// Reads the DBAAS_OIDC_* settings; nullopt (OIDC off) when DBAAS_OIDC_ISSUER is unset.
std::optional<OidcSettings> ReadOidcSettings(ConfigReader& cfg);

/// Parses "<claim value>=<role>;..." (the role follows the last '='). nullopt with `problem`
/// set when malformed.
std::optional<std::vector<ClaimRole>> ParseClaimRoleMap(std::string_view text,
                                                        std::string& problem);

/// Who a verified OIDC token stands for.
struct OidcIdentity {
  /// "oidc:" + sub: unique for the single configured issuer, never a local user id.
  std::string subject;
  std::string username;
  /// Empty for platform identities.
  std::string tenant_id;
  /// The mapped dbaas role names (distinct, in map order); empty when nothing maps.
  std::vector<std::string> roles;
};

/// Maps a verified token's payload. The roles claim may be a string (space-separated values)
/// or an array of strings; other types grant nothing. nullopt when sub is missing or the
/// tenant claim is configured but absent and there is no default tenant.
std::optional<OidcIdentity> MapOidcClaims(const nlohmann::json& payload,
                                          const OidcSettings& settings);

/// The member at a dotted path ("realm_access.roles"), or nullptr.
const nlohmann::json* FindClaim(const nlohmann::json& payload, std::string_view path);

}  // namespace dbaas::access_control
