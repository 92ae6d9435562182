#include "domain/ldap_settings.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
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

bool LooksLikeDn(std::string_view dn) { return dn.find('=') != std::string_view::npos; }

}  // namespace

std::string NormalizeDn(std::string_view dn) {
  std::string out;
  out.reserve(dn.size());
  bool escaped = false;
  for (std::size_t i = 0; i < dn.size(); ++i) {
    const char c = dn[i];
    const bool separator = !escaped && (c == ',' || c == '=' || c == '+');
    if (separator) {
      while (!out.empty() && out.back() == ' ') out.pop_back();
      out += c;
      while (i + 1 < dn.size() && dn[i + 1] == ' ') ++i;
      continue;
    }
    escaped = !escaped && c == '\\';
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return Trim(out);
}

std::optional<std::vector<GroupRole>> ParseGroupRoleMap(std::string_view text,
                                                        std::string& problem) {
  std::vector<GroupRole> map;
  std::size_t from = 0;
  while (from <= text.size()) {
    auto end = text.find(';', from);
    if (end == std::string_view::npos) end = text.size();
    const std::string entry = Trim(text.substr(from, end - from));
    from = end + 1;
    if (entry.empty()) continue;
    const auto eq = entry.rfind('=');
    const std::string dn = eq == std::string::npos ? "" : Trim(entry.substr(0, eq));
    const std::string role = eq == std::string::npos ? "" : Trim(entry.substr(eq + 1));
    if (dn.empty() || role.empty() || !LooksLikeDn(dn)) {
      problem = "each entry must be <group DN>=<role>, entries separated by ';' (e.g. "
                "cn=dbas,ou=groups,dc=example,dc=org=tenant-admin)";
      return std::nullopt;
    }
    map.push_back(GroupRole{NormalizeDn(dn), role});
  }
  if (map.empty()) {
    problem = "must map at least one group to a role";
    return std::nullopt;
  }
  return map;
}

std::vector<std::string> RolesForGroups(const std::vector<std::string>& group_dns,
                                        const std::vector<GroupRole>& map) {
  std::vector<std::string> normalized;
  normalized.reserve(group_dns.size());
  for (const auto& dn : group_dns) normalized.push_back(NormalizeDn(dn));
  std::vector<std::string> roles;
  for (const auto& entry : map) {
    if (std::find(normalized.begin(), normalized.end(), entry.group_dn) == normalized.end()) {
      continue;
    }
    if (std::find(roles.begin(), roles.end(), entry.role) == roles.end()) {
      roles.push_back(entry.role);
    }
  }
  return roles;
}

std::optional<LdapSettings> ReadLdapSettings(ConfigReader& cfg) {
  LdapSettings s;
  s.url = cfg.String("DBAAS_LDAP_URL", "");
  if (s.url.empty()) return std::nullopt;
  if (!s.url.starts_with("ldap://") && !s.url.starts_with("ldaps://")) {
    cfg.Fail("DBAAS_LDAP_URL", "must start with ldap:// or ldaps://");
  }
  s.start_tls = cfg.Bool("DBAAS_LDAP_START_TLS", false);
  if (s.start_tls && s.url.starts_with("ldaps://")) {
    cfg.Fail("DBAAS_LDAP_START_TLS", "cannot be used with an ldaps:// URL (already TLS)");
  }
  s.ca_file = cfg.String("DBAAS_LDAP_CA_FILE", "");
  s.user_dn_template = cfg.String("DBAAS_LDAP_USER_DN_TEMPLATE", "");
  s.bind_dn = cfg.String("DBAAS_LDAP_BIND_DN", "");
  const auto password_file = cfg.String("DBAAS_LDAP_BIND_PASSWORD_FILE", "");
  s.user_search_base = cfg.String("DBAAS_LDAP_USER_SEARCH_BASE", "");
  s.user_filter = cfg.String("DBAAS_LDAP_USER_FILTER", s.user_filter);
  s.group_search_base = cfg.String("DBAAS_LDAP_GROUP_SEARCH_BASE", "");
  s.group_filter = cfg.String("DBAAS_LDAP_GROUP_FILTER", s.group_filter);
  s.tenant_id = cfg.String("DBAAS_LDAP_TENANT", "");
  s.timeout = cfg.Duration("DBAAS_LDAP_TIMEOUT", s.timeout, std::chrono::milliseconds(100));

  if (!s.user_dn_template.empty()) {
    if (s.user_dn_template.find("{username}") == std::string::npos) {
      cfg.Fail("DBAAS_LDAP_USER_DN_TEMPLATE", "must contain {username}");
    }
    if (!s.user_search_base.empty()) {
      cfg.Fail("DBAAS_LDAP_USER_SEARCH_BASE",
               "set either DBAAS_LDAP_USER_DN_TEMPLATE (direct bind) or the search settings, "
               "not both");
    }
  } else if (s.user_search_base.empty()) {
    cfg.Fail("DBAAS_LDAP_USER_DN_TEMPLATE",
             "LDAP needs DBAAS_LDAP_USER_DN_TEMPLATE or DBAAS_LDAP_USER_SEARCH_BASE");
  } else if (s.user_filter.find("{username}") == std::string::npos) {
    cfg.Fail("DBAAS_LDAP_USER_FILTER", "must contain {username}");
  }
  if (!s.bind_dn.empty()) {
    if (password_file.empty()) {
      cfg.Fail("DBAAS_LDAP_BIND_PASSWORD_FILE", "is required with DBAAS_LDAP_BIND_DN");
    } else {
      std::ifstream in(password_file);
      std::ostringstream text;
      text << in.rdbuf();
      s.bind_password = text.str();
      while (!s.bind_password.empty() &&
             (s.bind_password.back() == '\n' || s.bind_password.back() == '\r')) {
        s.bind_password.pop_back();
      }
      if (!in || s.bind_password.empty()) {
        cfg.Fail("DBAAS_LDAP_BIND_PASSWORD_FILE", "cannot be read or is empty");
      }
    }
  }
  if (s.group_search_base.empty()) {
    cfg.Fail("DBAAS_LDAP_GROUP_SEARCH_BASE", "is required with DBAAS_LDAP_URL");
  }
  if (s.group_filter.find("{dn}") == std::string::npos) {
    cfg.Fail("DBAAS_LDAP_GROUP_FILTER", "must contain {dn}");
  }
  std::string problem;
  if (auto map = ParseGroupRoleMap(cfg.String("DBAAS_LDAP_GROUP_ROLE_MAP", ""), problem)) {
    s.group_roles = std::move(*map);
  } else {
    cfg.Fail("DBAAS_LDAP_GROUP_ROLE_MAP", problem);
  }
  return s;
}

}  // namespace dbaas::access_control
