#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/auth/identity.hpp"
#include "dbaas/common/clock.hpp"
#include "domain/custom_role.hpp"
#include "domain/idempotency.hpp"
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

struct RoleListQuery {
  std::size_t page_size = 20;
  /// The last role of the previous page: a built-in role's name or a custom role's id.
  std::optional<std::string> after_id;
  /// Only custom roles of this tenant (built-in roles are listed whatever the filter).
  std::optional<std::string> tenant_id;
};

struct RolePage {
  std::vector<CustomRole> roles;
  /// The id of the last role when more may follow.
  std::optional<std::string> last_id;
};

/// Built-in and custom roles: resolution of role names for identities, and CRUD of custom roles
/// with authorization. Thread-safe.
class RoleService {
 public:
  RoleService(IdentityRepository& repository, TenantRepository& tenants,
              IdempotencyKeys& idempotency, const Clock& clock)
      : repository_(repository), tenants_(tenants), idempotency_(idempotency), clock_(clock) {}

  /// The role `name` as it applies in `tenant_id`: a built-in role, else that tenant's custom
  /// role. nullopt when neither exists (the name then grants nothing).
  std::optional<auth::Role> Resolve(std::string_view name, std::string_view tenant_id);
  /// Resolves assignments, dropping names that no longer exist.
  std::vector<auth::Role> ResolveAll(const std::vector<RoleAssignment>& assignments);

  /// A page of the roles the caller may see: built-in roles first, by name, then custom roles
  /// by id (all for platform admins, or of `query.tenant_id`; otherwise the caller's tenant).
  /// `query.after_id` is a built-in name or a custom role id, the last of the previous page.
  /// Requires roles:read.
  RolePage List(const auth::Identity& caller, RoleListQuery query);
  /// A built-in role by name or a custom role by id. NOT_FOUND when absent or invisible.
  CustomRole Get(const auth::Identity& caller, const std::string& id);
  /// INVALID_ARGUMENT for an unknown tenant; ALREADY_EXISTS for a taken name. With an
  /// Idempotency-Key, a repeat of the same request returns the first role; the same key with a
  /// different request is INVALID_ARGUMENT.
  CreateOutcome<CustomRole> Create(const auth::Identity& caller, const RoleSpec& spec,
                                   const RequestContext& ctx,
                                   const std::optional<std::string>& idempotency_key);
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
  IdempotencyKeys& idempotency_;
  const Clock& clock_;
};

/// The built-in roles ordered by name, the order GET /v1/roles lists them in.
std::vector<auth::Role> SortedBuiltInRoles();
/// A built-in role in the CustomRole shape (id = name, built_in = true).
CustomRole BuiltInView(const auth::Role& role);

}  // namespace dbaas::access_control
