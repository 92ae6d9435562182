#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/auth/identity.hpp"
#include "dbaas/common/clock.hpp"
#include "domain/custom_role.hpp"
#include "domain/identity_repository.hpp"
#include "domain/tenant_repository.hpp"
#include "domain/tenant_service.hpp"

namespace dbaas::access_control {

/// What a client supplies to create a custom role. `tenant_id` empty means the caller's tenant.
struct RoleSpec {
  std::string tenant_id;
  std::string name;
  std::string description;
  std::vector<auth::Permission> permissions;
};

/// Built-in and custom roles: resolution of role names for identities, and CRUD of custom roles
/// with authorization. Thread-safe.
class RoleService {
 public:
  RoleService(IdentityRepository& repository, TenantRepository& tenants, const Clock& clock)
      : repository_(repository), tenants_(tenants), clock_(clock) {}

  /// The role `name` as it applies in `tenant_id`: a built-in role, else that tenant's custom
  /// role. nullopt when neither exists (the name then grants nothing).
  std::optional<auth::Role> Resolve(std::string_view name, std::string_view tenant_id);
  /// Resolves assignments, dropping names that no longer exist.
  std::vector<auth::Role> ResolveAll(const std::vector<RoleAssignment>& assignments);

  /// Built-in roles, then the custom roles the caller may see (all for platform admins, or of
  /// `tenant_filter`; otherwise the caller's tenant). Requires roles:read.
  std::vector<CustomRole> List(const auth::Identity& caller,
                               const std::optional<std::string>& tenant_filter);
  /// A built-in role by name or a custom role by id. NOT_FOUND when absent or invisible.
  CustomRole Get(const auth::Identity& caller, const std::string& id);
  /// INVALID_ARGUMENT for an unknown tenant; ALREADY_EXISTS for a taken name.
  CustomRole Create(const auth::Identity& caller, const RoleSpec& spec, const RequestContext& ctx);
  /// Built-in roles are read-only (FAILED_PRECONDITION). An empty patch is INVALID_ARGUMENT.
  CustomRole Update(const auth::Identity& caller, const std::string& id, const RolePatch& patch,
                    const RequestContext& ctx);
  /// FAILED_PRECONDITION while the role is assigned or held by an API key.
  void Delete(const auth::Identity& caller, const std::string& id, const RequestContext& ctx);

 private:
  CustomRole FindVisible(const auth::Identity& caller, const std::string& id,
                         std::string_view action);

  IdentityRepository& repository_;
  TenantRepository& tenants_;
  const Clock& clock_;
};

/// A built-in role in the CustomRole shape (id = name, built_in = true).
CustomRole BuiltInView(const auth::Role& role);

}  // namespace dbaas::access_control
