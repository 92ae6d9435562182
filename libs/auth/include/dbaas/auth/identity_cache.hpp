#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "dbaas/auth/identity.hpp"
#include "dbaas/common/clock.hpp"

namespace dbaas::auth {

/// What a service remembers about one credential: its identity, or that it is not active.
struct CachedIdentity {
  bool active = false;
  Identity identity;
};

/// Remembers introspection results per credential fingerprint for a bounded time, so permission
/// changes and revocations reach the caller within `ttl` (Property 23: at most 30 s).
/// Thread-safe; memory bounded by `max_entries`.
class IdentityCache {
 public:
  /// `clock` must outlive the cache. Throws Error{INVALID_ARGUMENT} when ttl is not in
  /// (0, 30 s] or max_entries is 0.
  IdentityCache(std::chrono::milliseconds ttl, std::size_t max_entries, const Clock& clock);

  /// The entry for `fingerprint` when present and not expired.
  std::shared_ptr<const CachedIdentity> Get(std::string_view fingerprint) const;
  /// Stores `entry` until now + ttl, or until `expires_at` when that is sooner (a token's exp).
  void Put(std::string fingerprint, CachedIdentity entry,
           std::optional<TimePoint> expires_at = std::nullopt);
  std::size_t Size() const;
  std::chrono::milliseconds Ttl() const noexcept { return ttl_; }

 private:
  struct Slot {
    std::shared_ptr<const CachedIdentity> value;
    TimePoint expires_at;
  };
  std::chrono::milliseconds ttl_;
  std::size_t max_entries_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Slot> slots_;
};

/// Longest identity cache TTL accepted (Property 23).
inline constexpr std::chrono::seconds kMaxIdentityCacheTtl{30};

}  // namespace dbaas::auth
