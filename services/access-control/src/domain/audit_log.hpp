#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dbaas/auth/identity.hpp"
#include "dbaas/common/clock.hpp"
#include "domain/audit_chain.hpp"

namespace dbaas::store {
class Tx;
}

namespace dbaas::access_control {

/// Filters of GET /v1/audit-events; every one optional, all must match.
struct AuditQuery {
  std::optional<std::string> tenant_id;
  std::optional<std::string> actor_id;
  std::optional<std::string> category;
  std::optional<std::string> outcome;
  std::optional<std::string> action;
  std::optional<std::string> request_id;
  /// occurred_at >= since and < until.
  std::optional<TimePoint> since;
  std::optional<TimePoint> until;
  std::size_t page_size = 50;
  /// Entries with seq below this (newest first).
  std::optional<std::int64_t> before_seq;
};

struct AuditPage {
  std::vector<AuditEntry> entries;
  /// The seq of the last entry when more may follow.
  std::optional<std::int64_t> last_seq;
};

/// What GET /v1/audit-events:verify reports.
struct ChainReport {
  bool valid = true;
  std::int64_t checked = 0;
  /// The last entry checked (the head when valid): record it elsewhere to detect a cut tail.
  std::int64_t head_seq = 0;
  std::string head_hash;
  std::optional<ChainBreak> first_break;
};

/// Storage of the audit chain. Reads run with a tenant scope: "*" for everything, or a tenant
/// id (PostgreSQL row-level security enforces it again).
class AuditRepository {
 public:
  virtual ~AuditRepository() = default;
  /// Appends `records` in order at the end of the chain inside `tx`, serialised with every
  /// other append; records whose id is already in the log are skipped.
  virtual void Append(store::Tx& tx, std::span<const events::AuditRecord> records,
                      TimePoint recorded_at) = 0;
  virtual AuditPage List(const AuditQuery& query, const std::string& scope) = 0;
  virtual std::optional<AuditEntry> Find(const std::string& id, const std::string& scope) = 0;
  /// Up to `limit` entries with seq > after_seq, ascending, across all tenants.
  virtual std::vector<AuditEntry> Scan(std::int64_t after_seq, std::size_t limit) = 0;
};

/// Reads and verification of the audit log with the caller's tenant scope: platform admins
/// see every entry, anyone else (holding audit-events:read) only their own tenant's. Nothing
/// here changes or deletes an entry. Thread-safe.
class AuditLog {
 public:
  explicit AuditLog(AuditRepository& repository) : repository_(repository) {}

  /// PERMISSION_DENIED without audit-events:read; a tenant caller's tenant_id filter is forced
  /// to their tenant (asking for another one is NOT_FOUND, as for any cross-tenant resource).
  AuditPage List(const auth::Identity& caller, AuditQuery query);
  /// NOT_FOUND for unknown ids and other tenants' entries.
  AuditEntry Get(const auth::Identity& caller, const std::string& id);
  /// Recomputes the whole chain from entry 1. Platform admins only (PERMISSION_DENIED).
  ChainReport Verify(const auth::Identity& caller);

 private:
  AuditRepository& repository_;
};

}  // namespace dbaas::access_control
