#include "domain/refresh_token.hpp"

#include "dbaas/common/crypto.hpp"

namespace dbaas::access_control {
namespace {

constexpr std::string_view kPrefix = "rt_";
constexpr std::size_t kSecretLength = 43;  // 32 random bytes in base64url

}  // namespace

RefreshVerdict EvaluateRefresh(const RefreshToken& token, TimePoint now) noexcept {
  if (token.revoked_at) return RefreshVerdict::kRevoked;
  if (token.used_at) return RefreshVerdict::kReused;
  if (now >= token.expires_at) return RefreshVerdict::kExpired;
  return RefreshVerdict::kRotate;
}

IssuedRefreshToken IssueRefreshToken(const std::string& user_id, std::string family_id,
                                     TimePoint now, std::chrono::seconds ttl) {
  IssuedRefreshToken issued;
  issued.token = std::string(kPrefix) + crypto::RandomToken(32);
  issued.record.hash = HashRefreshToken(issued.token);
  issued.record.family_id = family_id.empty() ? crypto::RandomToken(16) : std::move(family_id);
  issued.record.user_id = user_id;
  issued.record.expires_at = std::chrono::time_point_cast<std::chrono::milliseconds>(now + ttl);
  return issued;
}

std::string HashRefreshToken(std::string_view token) {
  return crypto::Sha256Hex(token);
}

bool LooksLikeRefreshToken(std::string_view token) noexcept {
  return token.size() == kPrefix.size() + kSecretLength && token.substr(0, 3) == kPrefix;
}

}  // namespace dbaas::access_control
