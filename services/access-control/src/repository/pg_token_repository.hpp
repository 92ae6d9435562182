#pragma once

#include "domain/token_repository.hpp"

namespace dbaas::store {
class Pool;
}

namespace dbaas::access_control {

/// TokenRepository over the service's PostgreSQL database. Thread-safe (the pool is).
class PgTokenRepository final : public TokenRepository {
 public:
  explicit PgTokenRepository(store::Pool& pool) : pool_(pool) {}

  bool EnsureActiveKey(const std::function<StoredSigningKey()>& make) override;
  void RotateKey(const std::function<StoredSigningKey()>& make, TimePoint now) override;
  std::vector<StoredSigningKey> PublishedKeys(TimePoint retired_after) override;

  void InsertRefreshToken(const RefreshToken& token) override;
  std::optional<std::pair<RefreshToken, RefreshVerdict>> ConsumeRefreshToken(
      const std::string& hash, const RefreshDecision& decide,
      const std::function<RefreshToken()>& next, TimePoint now) override;
  std::optional<RefreshToken> FindRefreshToken(const std::string& hash) override;
  void RevokeRefreshFamily(const std::string& family_id, TimePoint now) override;
  void RevokeUserRefreshTokens(const std::string& user_id, TimePoint now) override;

  void DenyAccessToken(const std::string& jti, TimePoint expires_at) override;
  bool IsAccessTokenDenied(const std::string& jti) override;
  std::int64_t PurgeExpired(TimePoint now) override;

 private:
  store::Pool& pool_;
};

}  // namespace dbaas::access_control
