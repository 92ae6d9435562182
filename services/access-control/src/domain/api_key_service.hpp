#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dbaas/auth/identity.hpp"
#include "dbaas/common/clock.hpp"
#include "domain/api_key_record.hpp"
#include "domain/idempotency.hpp"
#include "domain/identity_repository.hpp"
#include "domain/role_service.hpp"
#include "domain/tenant_repository.hpp"
#include "domain/tenant_service.hpp"

namespace dbaas::access_control {

/// A created key: the secret (shown once) and its stored record. A replayed create (an earlier
/// request with the same Idempotency-Key made the key) has `replayed` set and an empty `key`:
/// the secret exists only in the first answer.
struct CreatedApiKey {
  std::string key;
  ApiKeyRecord record;
  bool replayed = false;
};

/// API keys for machines, scoped to a tenant and roles. Thread-safe.
class ApiKeyService {
 public:
  ApiKeyService(IdentityRepository& repository, TenantRepository& tenants, RoleService& roles,
                IdempotencyKeys& idempotency, const Clock& clock)
      : repository_(repository),
        tenants_(tenants),
        roles_(roles),
        idempotency_(idempotency),
        clock_(clock) {}

  /// api-keys:create in the key's tenant; every role must exist there and be grantable by the
  /// caller (MayGrant), else INVALID_ARGUMENT / PERMISSION_DENIED. An expiry in the past is
  /// INVALID_ARGUMENT. With an Idempotency-Key, a repeat of the same request returns the first
  /// key's record without its secret; the same key with a different request is
  /// INVALID_ARGUMENT.
  CreatedApiKey Create(const auth::Identity& caller, const ApiKeySpec& spec,
                       const RequestContext& ctx,
                       const std::optional<std::string>& idempotency_key);
  ApiKeyRecord Get(const auth::Identity& caller, const std::string& id);
  /// A page of the keys the caller may see: platform admins all (or of `query.tenant_id`),
  /// others their tenant's.
  ApiKeyPage List(const auth::Identity& caller, ApiKeyListQuery query);
  /// Revokes the key at once (api-keys:delete). Revoking twice is not an error.
  ApiKeyRecord Revoke(const auth::Identity& caller, const std::string& id,
                      const RequestContext& ctx);

 private:
  ApiKeyRecord FindVisible(const auth::Identity& caller, const std::string& id,
                           std::string_view action);

  IdentityRepository& repository_;
  TenantRepository& tenants_;
  RoleService& roles_;
  IdempotencyKeys& idempotency_;
  const Clock& clock_;
};

}  // namespace dbaas::access_control
