#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/auth/identity.hpp"

namespace dbaas::access_control {

/// Longest Idempotency-Key accepted (characters).
inline constexpr std::size_t kMaxIdempotencyKeyLength = 255;

/// A create request's Idempotency-Key, recorded in the same transaction as the resource it made.
/// `scope` names the kind of create and the caller ("users.create:usr_..."), so the same key
/// sent by two callers, or to two kinds of create, never meet. `request_hash` is the request's
/// fingerprint (RequestFingerprint); it never covers a secret.
struct IdempotencyRecord {
  std::string scope;
  std::string key;
  std::string request_hash;
};

/// What an earlier create recorded for (scope, key).
struct IdempotentCreate {
  std::string resource_id;
  std::string request_hash;
};

/// A create's answer: the resource, and whether an earlier request with the same
/// Idempotency-Key made it (then nothing new was created).
template <typename T>
struct CreateOutcome {
  T resource;
  bool replayed = false;
};

/// Lookup of recorded Idempotency-Keys; each repository records them with its creates.
/// Records expire after a day. Implementations are thread-safe.
class IdempotencyKeys {
 public:
  virtual ~IdempotencyKeys() = default;
  /// The live (under a day old) record for (scope, key), if any.
  virtual std::optional<IdempotentCreate> Find(const std::string& scope,
                                               const std::string& key) = 0;
};

/// SHA-256 hex of the length-prefixed fields, so ("ab","c") and ("a","bc") differ.
std::string RequestFingerprint(const std::vector<std::string>& fields);

/// The record for `caller`'s create of `resource` ("tenants", "users", ...) with `key`; nullopt
/// without a key.
std::optional<IdempotencyRecord> MakeIdempotencyRecord(std::string_view resource,
                                                       const auth::Identity& caller,
                                                       const std::optional<std::string>& key,
                                                       std::string request_hash);

/// The id of the resource an earlier request with the same record made; nullopt when there is
/// none (create it, recording `record`). Throws INVALID_ARGUMENT when the key was used with a
/// different request.
std::optional<std::string> FindEarlierCreate(IdempotencyKeys& keys,
                                             const std::optional<IdempotencyRecord>& record);

/// Throws the INVALID_ARGUMENT of a key reused with a different request.
[[noreturn]] void ThrowIdempotencyKeyReused();
/// Throws FAILED_PRECONDITION: the `what` made with this key has since been deleted.
[[noreturn]] void ThrowIdempotentResourceGone(std::string_view what);

}  // namespace dbaas::access_control
