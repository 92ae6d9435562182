#include "domain/tenant.hpp"

namespace dbaas::access_control {

std::optional<std::string> CheckTenantName(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return "must be 3 to 63 characters long";
  if (name.front() < 'a' || name.front() > 'z') return "must start with a lower-case letter";
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return "may contain only lower-case letters, digits and hyphens";
  }
  if (name.back() == '-') return "must not end with a hyphen";
  return std::nullopt;
}

Tenant ApplyPatch(Tenant tenant, const TenantPatch& patch, TimePoint now) {
  if (patch.display_name) tenant.display_name = *patch.display_name;
  if (patch.active) tenant.active = *patch.active;
  if (patch.max_instances) tenant.limits.max_instances = *patch.max_instances;
  if (patch.max_storage_gb) tenant.limits.max_storage_gb = *patch.max_storage_gb;
  if (patch.max_backups) tenant.limits.max_backups = *patch.max_backups;
  if (patch.max_connections) tenant.limits.max_connections = *patch.max_connections;
  tenant.version += 1;
  tenant.updated_at = now;
  return tenant;
}

std::string TenantEtag(const Tenant& tenant) {
  return "\"" + std::to_string(tenant.version) + "\"";
}

}  // namespace dbaas::access_control
