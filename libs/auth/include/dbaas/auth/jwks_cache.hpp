#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "dbaas/auth/jwks.hpp"
#include "dbaas/common/clock.hpp"

namespace dbaas::auth {

/// A JWKS fetched (from access-control, or an external OIDC issuer) on first use and again when a token names an
/// unknown kid (key rotation) — but at most once per `min_refresh`, so a flood of tokens with
/// random kids cannot hammer the key source. Thread-safe.
class JwksCache {
 public:
  /// Returns the JWKS document; throws on failure.
  using Fetch = std::function<std::string()>;

  /// `clock` must outlive the cache. `source` names where the keys come from, for logs.
  JwksCache(Fetch fetch, std::chrono::milliseconds min_refresh, const Clock& clock,
            std::string source = "access-control");

  /// The key with this kid, refreshing the set first when the kid is unknown and the last fetch
  /// is at least `min_refresh` old. nullopt when the kid stays unknown. Throws
  /// Error{UNAVAILABLE} only when no key set was ever fetched and fetching fails now.
  std::optional<PublicKey> Find(std::string_view kid);

  /// Fetches attempted so far (for metrics and tests).
  std::uint64_t Fetches() const;

 private:
  Fetch fetch_;
  std::string source_;
  std::chrono::milliseconds min_refresh_;
  const Clock& clock_;
  mutable std::mutex mutex_;  // guards the members below
  std::mutex refresh_mutex_;  // serialises fetches
  JwkSet keys_;
  bool loaded_ = false;
  std::optional<TimePoint> last_fetch_;
  std::uint64_t fetches_ = 0;
};

}  // namespace dbaas::auth
