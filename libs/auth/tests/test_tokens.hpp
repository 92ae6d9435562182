#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "dbaas/auth/jwks.hpp"
#include "dbaas/auth/jwt.hpp"
#include "dbaas/common/crypto.hpp"

namespace dbaas::auth::test {

inline constexpr std::int64_t kNow = 1'767'225'600;  // 2026-01-01T00:00:00Z
inline constexpr const char* kIssuer = "https://dbaas.local";
inline constexpr const char* kAudience = "dbaas";

inline TimePoint At(std::int64_t seconds) {
  return TimePoint(std::chrono::seconds(seconds));
}

inline Claims ValidClaims() {
  Claims claims;
  claims.iss = kIssuer;
  claims.sub = "usr_1";
  claims.aud = {kAudience};
  claims.iat = kNow;
  claims.exp = kNow + 300;
  claims.jti = "jti-1";
  claims.tid = "ten_a";
  claims.roles = {"developer"};
  claims.kind = "user";
  return claims;
}

inline std::string B64(std::string_view bytes) {
  return crypto::Base64UrlEncode(bytes);
}

/// A token with arbitrary header and payload, signed by `key` (as the header claims or not).
inline std::string HandMade(const nlohmann::json& header, const nlohmann::json& payload,
                            const SigningKey& key) {
  const std::string input = B64(header.dump()) + "." + B64(payload.dump());
  return input + "." + B64(key.SignBytes(input));
}

inline KeyLookup LookupIn(const JwkSet& set) {
  return [&set](std::string_view kid) -> std::optional<PublicKey> {
    if (const PublicKey* key = set.Find(kid)) return *key;
    return std::nullopt;
  };
}

}  // namespace dbaas::auth::test
