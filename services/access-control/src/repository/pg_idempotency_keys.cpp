#include "repository/pg_idempotency_keys.hpp"

#include "dbaas/common/error.hpp"
#include "dbaas/store/store.hpp"

namespace dbaas::access_control {
namespace {

// How long a record answers replays; older ones are ignored, replaced and purged.
constexpr std::string_view kLifetime = "interval '24 hours'";

}  // namespace

std::optional<IdempotentCreate> PgIdempotencyKeys::Find(const std::string& scope,
                                                        const std::string& key) {
  auto result = pool_.Exec(
      "SELECT resource_id, request_hash FROM idempotency_keys "
      "WHERE scope = $1 AND key = $2 AND created_at > now() - " +
          std::string(kLifetime),
      {scope, key});
  if (result.Empty()) return std::nullopt;
  return IdempotentCreate{result[0].Get("resource_id"), result[0].Get("request_hash")};
}

std::int64_t PgIdempotencyKeys::Purge() {
  return pool_
      .Exec("DELETE FROM idempotency_keys WHERE created_at <= now() - " + std::string(kLifetime))
      .Affected();
}

void RecordIdempotencyKey(store::Tx& tx, const IdempotencyRecord& record,
                          const std::string& resource_id) {
  // A concurrent insert of the same key makes this wait for that transaction; once it commits,
  // its row is live, nothing is updated and this request is answered ABORTED (its resource is
  // rolled back with it).
  const auto stored = tx.Exec(
      "INSERT INTO idempotency_keys (scope, key, request_hash, resource_id) "
      "VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (scope, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, "
      "resource_id = EXCLUDED.resource_id, created_at = now() "
      "WHERE idempotency_keys.created_at <= now() - " +
          std::string(kLifetime),
      {record.scope, record.key, record.request_hash, resource_id});
  if (stored.Affected() == 0) {
    throw Error(ErrorCode::kAborted, "another request with this Idempotency-Key is in progress", {},
                {"retry the request after a moment"});
  }
}

}  // namespace dbaas::access_control
