#include "domain/idempotency.hpp"

#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"

namespace dbaas::access_control {

std::string RequestFingerprint(const std::vector<std::string>& fields) {
  std::string canonical;
  for (const auto& field : fields) {
    canonical += std::to_string(field.size());
    canonical += ':';
    canonical += field;
  }
  return crypto::Sha256Hex(canonical);
}

std::optional<IdempotencyRecord> MakeIdempotencyRecord(std::string_view resource,
                                                       const auth::Identity& caller,
                                                       const std::optional<std::string>& key,
                                                       std::string request_hash) {
  if (!key) return std::nullopt;
  return IdempotencyRecord{std::string(resource) + ".create:" + caller.subject, *key,
                           std::move(request_hash)};
}

std::optional<std::string> FindEarlierCreate(IdempotencyKeys& keys,
                                             const std::optional<IdempotencyRecord>& record) {
  if (!record) return std::nullopt;
  auto earlier = keys.Find(record->scope, record->key);
  if (!earlier) return std::nullopt;
  if (earlier->request_hash != record->request_hash) ThrowIdempotencyKeyReused();
  return earlier->resource_id;
}

void ThrowIdempotencyKeyReused() {
  throw Error(ErrorCode::kInvalidArgument,
              "Idempotency-Key was already used with a different request",
              {{"Idempotency-Key", "reused with different content"}},
              {"use a new Idempotency-Key for a different request"});
}

void ThrowIdempotentResourceGone(std::string_view what) {
  throw Error(
      ErrorCode::kFailedPrecondition,
      "the " + std::string(what) + " created with this Idempotency-Key has since been deleted");
}

}  // namespace dbaas::access_control
