#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dbaas/auth/identity.hpp"
#include "dbaas/common/clock.hpp"
#include "domain/api_key_record.hpp"
#include "domain/identity_repository.hpp"
#include "domain/role_service.hpp"
#include "domain/tenant_repository.hpp"
#include "domain/tenant_service.hpp"

namespace dbaas::access_control {

/// A created key: the secret (shown once) and its stored record.
struct CreatedApiKey {
  std::string key;
  ApiKeyRecord record;
};

/// API keys for machines, scoped to a tenant and roles. Thread-safe.
class ApiKeyService {
 public:
  ApiKeyService(IdentityRepository& repository, TenantRepository& tenants, RoleService& roles,
                const Clock& clock)
      : repository_(repository), tenants_(tenants), roles_(roles), clock_(clock) {}

  /// api-keys:create in the key's tenant; every role must exist there and be grantable by the
  /// caller (MayGrant), else INVALID_ARGUMENT / PERMISSION_DENIED. An expiry in the past is
  /// INVALID_ARGUMENT.
  CreatedApiKey Create(const auth::Identity& caller, const ApiKeySpec& spec,
                       const RequestContext& ctx);
  ApiKeyRecord Get(const auth::Identity& caller, const std::string& id);
  /// Keys the caller may see: platform admins all (or of `tenant_filter`), others their tenant.
  std::vector<ApiKeyRecord> List(const auth::Identity& caller,
                                 const std::optional<std::string>& tenant_filter);
  /// Revokes the key at once (api-keys:delete). Revoking twice is not an error.
  ApiKeyRecord Revoke(const auth::Identity& caller, const std::string& id,
                      const RequestContext& ctx);

 private:
  ApiKeyRecord FindVisible(const auth::Identity& caller, const std::string& id,
                           std::string_view action);

  IdentityRepository& repository_;
  TenantRepository& tenants_;
  RoleService& roles_;
  const Clock& clock_;
};

}  // namespace dbaas::access_control
