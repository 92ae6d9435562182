#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dbaas/common/clock.hpp"
#include "domain/refresh_token.hpp"

namespace dbaas::access_control {

/// A signing key as stored: the private PEM sealed with the master key ring (AAD = kid).
struct StoredSigningKey {
  std::string kid;
  std::string sealed_private_key;
  bool active = true;
  std::optional<TimePoint> retired_at;
};

/// Persistence of signing keys, refresh tokens and the access-token denylist. Thread-safe.
class TokenRepository {
 public:
  virtual ~TokenRepository() = default;

  /// When no key is active, stores the one `make` returns as active. Serialised across
  /// replicas (advisory lock), so concurrent first starts create one key. True when inserted.
  virtual bool EnsureActiveKey(const std::function<StoredSigningKey()>& make) = 0;
  /// Retires the active key at `now` and stores the one `make` returns as active, atomically.
  virtual void RotateKey(const std::function<StoredSigningKey()>& make, TimePoint now) = 0;
  /// The active key and the keys retired after `retired_after`.
  virtual std::vector<StoredSigningKey> PublishedKeys(TimePoint retired_after) = 0;

  virtual void InsertRefreshToken(const RefreshToken& token) = 0;
  /// Locks the token with this hash and applies `decide`'s verdict at `now`: kRotate marks it
  /// used and inserts the token `next` returns; kReused revokes its whole family. nullopt when
  /// no such token exists.
  using RefreshDecision = std::function<RefreshVerdict(const RefreshToken& current)>;
  virtual std::optional<std::pair<RefreshToken, RefreshVerdict>> ConsumeRefreshToken(
      const std::string& hash, const RefreshDecision& decide,
      const std::function<RefreshToken()>& next, TimePoint now) = 0;
  virtual std::optional<RefreshToken> FindRefreshToken(const std::string& hash) = 0;
  virtual void RevokeRefreshFamily(const std::string& family_id, TimePoint now) = 0;
  /// Revokes every refresh token of a user (password change, deactivation).
  virtual void RevokeUserRefreshTokens(const std::string& user_id, TimePoint now) = 0;

  /// Denies the access token `jti` until `expires_at`.
  virtual void DenyAccessToken(const std::string& jti, TimePoint expires_at) = 0;
  virtual bool IsAccessTokenDenied(const std::string& jti) = 0;

  /// Deletes expired denylist entries and refresh tokens; returns how many rows.
  virtual std::int64_t PurgeExpired(TimePoint now) = 0;
};

}  // namespace dbaas::access_control
