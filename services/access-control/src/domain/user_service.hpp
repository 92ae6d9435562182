#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dbaas/auth/identity.hpp"
#include "dbaas/common/clock.hpp"
#include "domain/idempotency.hpp"
#include "domain/identity_repository.hpp"
#include "domain/password.hpp"
#include "domain/role_service.hpp"
#include "domain/tenant_repository.hpp"
#include "domain/tenant_service.hpp"
#include "domain/token_repository.hpp"

namespace dbaas::access_control {

/// Users and their role assignments, with authorization of every call. Thread-safe.
class UserService {
 public:
  UserService(IdentityRepository& repository, TokenRepository& tokens, TenantRepository& tenants,
              RoleService& roles, IdempotencyKeys& idempotency, const Clock& clock,
              PasswordHashParams hash_params = {})
      : repository_(repository),
        idempotency_(idempotency),
        tokens_(tokens),
        tenants_(tenants),
        roles_(roles),
        clock_(clock),
        hash_params_(hash_params) {}

  /// Creates a user (users:create in its tenant). The password is checked against the policy
  /// (INVALID_ARGUMENT naming "password") and stored as argon2id. A taken email is
  /// ALREADY_EXISTS. Initial roles follow the AssignRole rules. With an Idempotency-Key, a
  /// repeat of the same request (same fields and a password that verifies against the user's
  /// hash) returns the first user; the same key with a different request is INVALID_ARGUMENT.
  CreateOutcome<User> Create(const auth::Identity& caller, const UserSpec& spec,
                             const RequestContext& ctx,
                             const std::optional<std::string>& idempotency_key);
  /// NOT_FOUND for unknown, malformed or invisible ids.
  User Get(const auth::Identity& caller, const std::string& id);
  /// Users the caller may see: platform admins all (or `query.tenant_id`), others their tenant.
  UserPage List(const auth::Identity& caller, UserListQuery query);
  /// Deactivating revokes the user's refresh tokens; access tokens stop introspecting active.
  /// `if_match` as for tenants (ABORTED on mismatch).
  User Update(const auth::Identity& caller, const std::string& id, const UserPatch& patch,
              const std::optional<std::string>& if_match, const RequestContext& ctx);
  /// Callers may not delete themselves (FAILED_PRECONDITION).
  void Delete(const auth::Identity& caller, const std::string& id, const RequestContext& ctx);
  /// Changing one's own password requires `current_password` (a wrong one is PERMISSION_DENIED
  /// with a generic message); users:update in the user's tenant allows setting it without.
  /// Revokes the user's refresh tokens.
  void ChangePassword(const auth::Identity& caller, const std::string& id,
                      const std::optional<std::string>& current_password,
                      const std::string& new_password, const RequestContext& ctx);
  /// Clears a brute-force lock and the failure counter (users:update).
  User Unlock(const auth::Identity& caller, const std::string& id, const RequestContext& ctx);

  /// The user's role assignments (users:read).
  std::vector<RoleAssignment> Roles(const auth::Identity& caller, const std::string& id);
  /// Assigns `role` in the user's tenant (users:update there, and the caller must be allowed to
  /// grant the role: see MayGrant). `tenant_id`, when given, must be the user's tenant
  /// (INVALID_ARGUMENT otherwise). Unknown roles are INVALID_ARGUMENT; an existing assignment
  /// is left as it is.
  void AssignRole(const auth::Identity& caller, const std::string& id, const std::string& role,
                  const std::optional<std::string>& tenant_id, const RequestContext& ctx);
  /// NOT_FOUND when the user does not hold the role.
  void UnassignRole(const auth::Identity& caller, const std::string& id, const std::string& role,
                    const RequestContext& ctx);

  /// Creates the platform administrator "admin" with `password` and role platform-admin unless
  /// some platform admin exists. True when it created one.
  bool EnsureBootstrapAdmin(const std::string& password);

 private:
  User FindVisible(const auth::Identity& caller, const std::string& id, std::string_view action);
  RoleAssignment CheckGrantable(const auth::Identity& caller, const User& user,
                                const std::string& role);
  TimePoint Now() const;

  IdentityRepository& repository_;
  IdempotencyKeys& idempotency_;
  TokenRepository& tokens_;
  TenantRepository& tenants_;
  RoleService& roles_;
  const Clock& clock_;
  PasswordHashParams hash_params_;
};

}  // namespace dbaas::access_control
