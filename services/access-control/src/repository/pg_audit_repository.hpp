#pragma once

#include "dbaas/store/store.hpp"
#include "domain/audit_log.hpp"

namespace dbaas::access_control {

/// The audit chain in its own PostgreSQL database (see src/audit_migrations), written and read
/// as a role that may only INSERT and SELECT there.
class PgAuditRepository final : public AuditRepository {
 public:
  explicit PgAuditRepository(store::Pool& pool) : pool_(pool) {}

  void Append(store::Tx& tx, std::span<const events::AuditRecord> records,
              TimePoint recorded_at) override;
  AuditPage List(const AuditQuery& query, const std::string& scope) override;
  std::optional<AuditEntry> Find(const std::string& id, const std::string& scope) override;
  std::vector<AuditEntry> Scan(std::int64_t after_seq, std::size_t limit) override;

 private:
  store::Pool& pool_;
};

}  // namespace dbaas::access_control
