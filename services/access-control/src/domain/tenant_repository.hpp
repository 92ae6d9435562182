#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "domain/idempotency.hpp"
#include "domain/tenant.hpp"

namespace dbaas::events {
struct Event;
}

namespace dbaas::access_control {

struct TenantListQuery {
  std::size_t page_size = 20;
  /// Return tenants with ids greater than this (ids sort by creation time).
  std::optional<std::string> after_id;
  std::optional<bool> active;
  /// Only the tenant with this id (a tenant caller's view of the list).
  std::optional<std::string> only_id;
};

struct TenantPage {
  std::vector<Tenant> tenants;
  /// The id of the last tenant when more may follow.
  std::optional<std::string> last_id;
};

/// Persistence of tenants. Every state change and its event commit together (outbox).
class TenantRepository {
 public:
  virtual ~TenantRepository() = default;

  /// Inserts the tenant and enqueues `event` in one transaction; with `idempotency`, records
  /// the key too (RecordIdempotencyKey). Throws ALREADY_EXISTS when the name is taken.
  virtual void Create(const Tenant& tenant, const events::Event& event,
                      const std::optional<IdempotencyRecord>& idempotency) = 0;
  virtual std::optional<Tenant> Find(const std::string& id) = 0;
  virtual TenantPage List(const TenantListQuery& query) = 0;

  /// Locks the tenant row, calls `change` with its current state and stores the returned tenant
  /// and event in the same transaction. `change` may throw to abort. nullopt when not found.
  using Change = std::function<std::pair<Tenant, events::Event>(const Tenant& current)>;
  virtual std::optional<Tenant> Update(const std::string& id, const Change& change) = 0;

  /// Deletes the tenant and enqueues the event built from its last state. False when not found.
  using DeleteEvent = std::function<events::Event(const Tenant& deleted)>;
  virtual bool Delete(const std::string& id, const DeleteEvent& event) = 0;
};

}  // namespace dbaas::access_control
