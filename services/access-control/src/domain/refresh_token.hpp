#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "dbaas/common/clock.hpp"

namespace dbaas::access_control {

/// A stored refresh token. Only the SHA-256 of the token is kept. Tokens from one login form a
/// family: each refresh uses up the presented token and issues the next one of the family.
struct RefreshToken {
  std::string hash;
  std::string family_id;
  std::string user_id;
  TimePoint expires_at;
  std::optional<TimePoint> used_at;
  std::optional<TimePoint> revoked_at;
};

/// What a presented refresh token leads to.
enum class RefreshVerdict {
  kRotate,   ///< valid: mark it used and issue the next token of the family
  kReused,   ///< already used: a copy is in someone else's hands; revoke the whole family
  kExpired,  ///< past expires_at
  kRevoked,  ///< its family was revoked (logout, reuse, password change)
};

/// The rule for a presented token at `now`. Pure. Revocation wins over reuse, reuse over expiry.
RefreshVerdict EvaluateRefresh(const RefreshToken& token, TimePoint now) noexcept;

/// A newly issued refresh token: the secret (show once) and the record to store.
struct IssuedRefreshToken {
  std::string token;
  RefreshToken record;
};

/// A new random token for `user_id` in `family_id` (a new family when empty), valid for `ttl`.
IssuedRefreshToken IssueRefreshToken(const std::string& user_id, std::string family_id,
                                     TimePoint now, std::chrono::seconds ttl);
/// The stored form of a token: lower-case hex SHA-256.
std::string HashRefreshToken(std::string_view token);
/// True when `token` has the shape of our refresh tokens ("rt_" + 43 base64url characters).
bool LooksLikeRefreshToken(std::string_view token) noexcept;

}  // namespace dbaas::access_control
