#pragma once

#include <optional>
#include <string>

#include "dbaas/common/clock.hpp"
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
/// emits its event through the repository's outbox. Thread-safe.
class TenantService {
 public:
  TenantService(TenantRepository& repository, const Clock& clock)
      : repository_(repository), clock_(clock) {}

  /// Creates a tenant from a validated spec. With an Idempotency-Key, a repeat of the same
  /// request returns the first tenant; the same key with a different request is
  /// INVALID_ARGUMENT. A taken name is ALREADY_EXISTS.
  CreateResult Create(const TenantSpec& spec, const RequestContext& ctx,
                      const std::optional<std::string>& idempotency_key);
  /// NOT_FOUND for unknown or malformed ids.
  Tenant Get(const std::string& id);
  TenantPage List(const TenantListQuery& query);
  /// Applies `patch`. With `if_match`, the update happens only when it equals the current
  /// ETag (ABORTED otherwise). An empty patch is INVALID_ARGUMENT.
  Tenant Update(const std::string& id, const TenantPatch& patch,
                const std::optional<std::string>& if_match, const RequestContext& ctx);
  /// NOT_FOUND when absent.
  void Delete(const std::string& id, const RequestContext& ctx);

 private:
  [[noreturn]] static void ThrowNotFound(const std::string& id);
  TenantRepository& repository_;
  const Clock& clock_;
};

/// A stable hash of the request's meaningful content, to recognise a retried create.
std::string HashTenantSpec(const TenantSpec& spec);

}  // namespace dbaas::access_control
