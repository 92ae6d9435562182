#pragma once

#include "domain/tenant_repository.hpp"

namespace dbaas::store {
class Pool;
}

namespace dbaas::access_control {

/// TenantRepository over the service's PostgreSQL database. Thread-safe (the pool is).
class PgTenantRepository final : public TenantRepository {
 public:
  explicit PgTenantRepository(store::Pool& pool) : pool_(pool) {}

  void Create(const Tenant& tenant, const events::Event& event,
              const std::optional<IdempotencyRecord>& idempotency) override;
  std::optional<Tenant> Find(const std::string& id) override;
  TenantPage List(const TenantListQuery& query) override;
  std::optional<Tenant> Update(const std::string& id, const Change& change) override;
  bool Delete(const std::string& id, const DeleteEvent& event) override;

 private:
  store::Pool& pool_;
};

}  // namespace dbaas::access_control
