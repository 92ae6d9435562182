#pragma once

#include <optional>
#include <string>

#include "dbaas/auth/identity.hpp"
#include "dbaas/common/clock.hpp"
#include "domain/idempotency.hpp"
#include "domain/tenant.hpp"
#include "domain/tenant_repository.hpp"

namespace dbaas::access_control {

/// Who asked, for events and logs.
struct RequestContext {
  std::string request_id;
};

/// The result of a create: the tenant and whether it was made by an earlier request with the
/// same Idempotency-Key (then nothing new was created).
struct CreateResult {
  Tenant tenant;
  bool replayed = false;
};

/// Tenant rules: creation, lookup, optimistic-concurrency updates and deletion. Every change
/// emits its event through the repository's outbox. Every call is authorized for `caller`:
/// only platform admins create, update and delete tenants; a tenant identity sees its own tenant
/// only (another tenant is NOT_FOUND). Thread-safe.
class TenantService {
 public:
  TenantService(TenantRepository& repository, IdempotencyKeys& idempotency, const Clock& clock)
      : repository_(repository), idempotency_(idempotency), clock_(clock) {}

  /// Creates a tenant from a validated spec. With an Idempotency-Key, a repeat of the same
  /// request returns the first tenant; the same key with a different request is
  /// INVALID_ARGUMENT. A taken name is ALREADY_EXISTS.
  CreateResult Create(const auth::Identity& caller, const TenantSpec& spec,
                      const RequestContext& ctx, const std::optional<std::string>& idempotency_key);
  /// NOT_FOUND for unknown or malformed ids.
  Tenant Get(const auth::Identity& caller, const std::string& id);
  /// Platform admins list all tenants; others get their own tenant only.
  TenantPage List(const auth::Identity& caller, TenantListQuery query);
  /// Applies `patch`. With `if_match`, the update happens only when it equals the current
  /// ETag (ABORTED otherwise). An empty patch is INVALID_ARGUMENT.
  Tenant Update(const auth::Identity& caller, const std::string& id, const TenantPatch& patch,
                const std::optional<std::string>& if_match, const RequestContext& ctx);
  /// NOT_FOUND when absent; FAILED_PRECONDITION while users, roles or API keys belong to it.
  void Delete(const auth::Identity& caller, const std::string& id, const RequestContext& ctx);

 private:
  [[noreturn]] static void ThrowNotFound(const std::string& id);
  TenantRepository& repository_;
  IdempotencyKeys& idempotency_;
  const Clock& clock_;
};

/// A stable hash of the request's meaningful content, to recognise a retried create.
std::string HashTenantSpec(const TenantSpec& spec);

}  // namespace dbaas::access_control
