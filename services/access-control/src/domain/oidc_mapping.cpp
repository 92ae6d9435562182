#include "domain/oidc_mapping.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "dbaas/common/config.hpp"

namespace dbaas::access_control {
namespace {

std::string Trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  const auto end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

std::string StringClaim(const nlohmann::json& payload, std::string_view path) {
  const auto* value = FindClaim(payload, path);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

std::vector<std::string> ClaimValues(const nlohmann::json* claim) {
  std::vector<std::string> values;
  if (claim == nullptr) return values;
  if (claim->is_string()) {
    std::istringstream words(claim->get<std::string>());
    for (std::string word; words >> word;) values.push_back(word);
  } else if (claim->is_array()) {
    for (const auto& item : *claim) {
      if (item.is_string()) values.push_back(item.get<std::string>());
    }
  }
  return values;
}

}  // namespace

const nlohmann::json* FindClaim(const nlohmann::json& payload, std::string_view path) {
  const nlohmann::json* node = &payload;
  std::size_t from = 0;
  while (from <= path.size()) {
    auto dot = path.find('.', from);
    if (dot == std::string_view::npos) dot = path.size();
    if (!node->is_object()) return nullptr;
    const auto it = node->find(std::string(path.substr(from, dot - from)));
    if (it == node->end()) return nullptr;
    node = &*it;
    from = dot + 1;
  }
  return node;
}

std::optional<std::vector<ClaimRole>> ParseClaimRoleMap(std::string_view text,
                                                        std::string& problem) {
  std::vector<ClaimRole> map;
  std::size_t from = 0;
  while (from <= text.size()) {
    auto end = text.find(';', from);
    if (end == std::string_view::npos) end = text.size();
    const std::string entry = Trim(text.substr(from, end - from));
    from = end + 1;
    if (entry.empty()) continue;
    const auto eq = entry.rfind('=');
    const std::string value = eq == std::string::npos ? "" : Trim(entry.substr(0, eq));
    const std::string role = eq == std::string::npos ? "" : Trim(entry.substr(eq + 1));
    if (value.empty() || role.empty()) {
      problem = "each entry must be <claim value>=<role>, entries separated by ';' (e.g. "
                "dbaas-admins=tenant-admin;dbaas-devs=developer)";
      return std::nullopt;
    }
    map.push_back(ClaimRole{value, role});
  }
  if (map.empty()) {
    problem = "must map at least one claim value to a role";
    return std::nullopt;
  }
  return map;
}

std::optional<OidcSettings> ReadOidcSettings(ConfigReader& cfg) {
  auto issuer = auth::ReadOidcIssuerSettings(cfg);
  if (!issuer) return std::nullopt;
  OidcSettings s;
  s.issuer = std::move(*issuer);
  s.roles_claim = cfg.String("DBAAS_OIDC_ROLES_CLAIM", s.roles_claim);
  if (s.roles_claim.empty()) cfg.Fail("DBAAS_OIDC_ROLES_CLAIM", "must not be empty");
  std::string problem;
  if (auto map = ParseClaimRoleMap(cfg.String("DBAAS_OIDC_ROLE_MAP", ""), problem)) {
    s.role_map = std::move(*map);
  } else {
    cfg.Fail("DBAAS_OIDC_ROLE_MAP", problem);
  }
  s.tenant_claim = cfg.String("DBAAS_OIDC_TENANT_CLAIM", "");
  s.tenant = cfg.String("DBAAS_OIDC_TENANT", "");
  s.username_claim = cfg.String("DBAAS_OIDC_USERNAME_CLAIM", "");
  return s;
}

std::optional<OidcIdentity> MapOidcClaims(const nlohmann::json& payload,
                                          const OidcSettings& settings) {
  OidcIdentity id;
  const std::string sub = StringClaim(payload, "sub");
  if (sub.empty()) return std::nullopt;
  id.subject = "oidc:" + sub;
  if (!settings.username_claim.empty()) id.username = StringClaim(payload, settings.username_claim);
  if (id.username.empty()) id.username = StringClaim(payload, "preferred_username");
  if (id.username.empty()) id.username = sub;
  id.tenant_id = settings.tenant;
  if (!settings.tenant_claim.empty()) {
    if (auto tenant = StringClaim(payload, settings.tenant_claim); !tenant.empty()) {
      id.tenant_id = std::move(tenant);
    } else if (settings.tenant.empty()) {
      return std::nullopt;
    }
  }
  const auto values = ClaimValues(FindClaim(payload, settings.roles_claim));
  for (const auto& entry : settings.role_map) {
    if (std::find(values.begin(), values.end(), entry.value) == values.end()) continue;
    if (std::find(id.roles.begin(), id.roles.end(), entry.role) == id.roles.end()) {
      id.roles.push_back(entry.role);
    }
  }
  return id;
}

}  // namespace dbaas::access_control
