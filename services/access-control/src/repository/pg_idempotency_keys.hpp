#pragma once

#include <cstdint>

#include "domain/idempotency.hpp"

namespace dbaas::store {
class Pool;
class Tx;
}  // namespace dbaas::store

namespace dbaas::access_control {

/// IdempotencyKeys over the idempotency_keys table, shared by every create that takes an
/// Idempotency-Key. Thread-safe (the pool is).
class PgIdempotencyKeys final : public IdempotencyKeys {
 public:
  explicit PgIdempotencyKeys(store::Pool& pool) : pool_(pool) {}

  std::optional<IdempotentCreate> Find(const std::string& scope, const std::string& key) override;

  /// Removes records older than a day; returns how many.
  std::int64_t Purge();

 private:
  store::Pool& pool_;
};

/// Records in `tx` (the transaction that creates the resource) that `record` made
/// `resource_id`. An expired record with the same scope and key is replaced; a live one means a
/// concurrent request with the same key committed first: ABORTED.
void RecordIdempotencyKey(store::Tx& tx, const IdempotencyRecord& record,
                          const std::string& resource_id);

}  // namespace dbaas::access_control
