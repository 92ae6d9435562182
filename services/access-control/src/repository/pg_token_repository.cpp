#include "repository/pg_token_repository.hpp"

#include "dbaas/common/crypto.hpp"
#include "dbaas/store/store.hpp"
#include "repository/pg_time.hpp"

namespace dbaas::access_control {
namespace {

using pg::OptionalTime;
using pg::ParseTime;
using pg::TimeParam;
using pg::Ts;

// Serialises key creation and rotation across replicas for the length of a transaction.
constexpr std::string_view kKeyLock =
    "SELECT pg_advisory_xact_lock(hashtext('dbaas.access-control.signing-keys'))";

void InsertKey(store::Tx& tx, const StoredSigningKey& key) {
  tx.Exec(
      "INSERT INTO signing_keys (kid, algorithm, private_key_sealed, status) "
      "VALUES ($1, 'ES256', decode($2, 'base64'), 'active')",
      {key.kid, crypto::Base64Encode(key.sealed_private_key)});
}

std::string RefreshColumns() {
  return "token_hash, family_id, user_id, " + Ts("expires_at") + ", " + Ts("used_at") + ", " +
         Ts("revoked_at");
}

RefreshToken RefreshFromRow(const store::Row& row) {
  RefreshToken t;
  t.hash = row.Get("token_hash");
  t.family_id = row.Get("family_id");
  t.user_id = row.Get("user_id");
  t.expires_at = ParseTime(row.Get("expires_at"));
  t.used_at = OptionalTime(row, "used_at");
  t.revoked_at = OptionalTime(row, "revoked_at");
  return t;
}

void InsertRefresh(store::Tx& tx, const RefreshToken& t) {
  tx.Exec(
      "INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at) "
      "VALUES ($1, $2, $3, $4)",
      {t.hash, t.family_id, t.user_id, FormatRfc3339(t.expires_at)});
}

}  // namespace

bool PgTokenRepository::EnsureActiveKey(const std::function<StoredSigningKey()>& make) {
  bool inserted = false;
  pool_.InTransaction([&](store::Tx& tx) {
    inserted = false;
    tx.Exec(kKeyLock);
    if (!tx.Exec("SELECT kid FROM signing_keys WHERE status = 'active'").Empty()) return;
    InsertKey(tx, make());
    inserted = true;
  });
  return inserted;
}

void PgTokenRepository::RotateKey(const std::function<StoredSigningKey()>& make, TimePoint now) {
  pool_.InTransaction([&](store::Tx& tx) {
    tx.Exec(kKeyLock);
    tx.Exec("UPDATE signing_keys SET status = 'retired', retired_at = $1 WHERE status = 'active'",
            {FormatRfc3339(now)});
    InsertKey(tx, make());
  });
}

std::vector<StoredSigningKey> PgTokenRepository::PublishedKeys(TimePoint retired_after) {
  // encode() wraps base64 every 76 characters; the newlines are removed before decoding.
  auto rows = pool_.Exec(
      "SELECT kid, translate(encode(private_key_sealed, 'base64'), E'\\n', '') AS sealed, "
      "status, " +
          Ts("retired_at") +
          " FROM signing_keys WHERE status = 'active' OR retired_at > $1 ORDER BY created_at",
      {FormatRfc3339(retired_after)});
  std::vector<StoredSigningKey> out;
  for (const auto& row : rows) {
    StoredSigningKey key;
    key.kid = row.Get("kid");
    key.sealed_private_key = crypto::Base64Decode(row.Get("sealed"));
    key.active = row.Get("status") == "active";
    key.retired_at = OptionalTime(row, "retired_at");
    out.push_back(std::move(key));
  }
  return out;
}

void PgTokenRepository::InsertRefreshToken(const RefreshToken& token) {
  pool_.InTransaction([&](store::Tx& tx) { InsertRefresh(tx, token); });
}

std::optional<std::pair<RefreshToken, RefreshVerdict>> PgTokenRepository::ConsumeRefreshToken(
    const std::string& hash, const RefreshDecision& decide,
    const std::function<RefreshToken()>& next, TimePoint now) {
  std::optional<std::pair<RefreshToken, RefreshVerdict>> outcome;
  pool_.InTransaction([&](store::Tx& tx) {
    outcome.reset();
    auto r = tx.Exec(
        "SELECT " + RefreshColumns() + " FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
        {hash});
    if (r.Empty()) return;
    auto current = RefreshFromRow(r[0]);
    const auto verdict = decide(current);
    if (verdict == RefreshVerdict::kRotate) {
      tx.Exec("UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1",
              {hash, FormatRfc3339(now)});
      InsertRefresh(tx, next());
    } else if (verdict == RefreshVerdict::kReused) {
      tx.Exec(
          "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 "
          "AND revoked_at IS NULL",
          {current.family_id, FormatRfc3339(now)});
    }
    outcome.emplace(std::move(current), verdict);
  });
  return outcome;
}

std::optional<RefreshToken> PgTokenRepository::FindRefreshToken(const std::string& hash) {
  auto r = pool_.Exec("SELECT " + RefreshColumns() + " FROM refresh_tokens WHERE token_hash = $1",
                      {hash});
  if (r.Empty()) return std::nullopt;
  return RefreshFromRow(r[0]);
}

void PgTokenRepository::RevokeRefreshFamily(const std::string& family_id, TimePoint now) {
  pool_.Exec(
      "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
      {family_id, FormatRfc3339(now)});
}

void PgTokenRepository::RevokeUserRefreshTokens(const std::string& user_id, TimePoint now) {
  pool_.Exec("UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
             {user_id, FormatRfc3339(now)});
}

void PgTokenRepository::DenyAccessToken(const std::string& jti, TimePoint expires_at) {
  pool_.Exec(
      "INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) "
      "ON CONFLICT (jti) DO NOTHING",
      {jti, FormatRfc3339(expires_at)});
}

bool PgTokenRepository::IsAccessTokenDenied(const std::string& jti) {
  return !pool_.Exec("SELECT 1 FROM revoked_tokens WHERE jti = $1", {jti}).Empty();
}

std::int64_t PgTokenRepository::PurgeExpired(TimePoint now) {
  const auto at = FormatRfc3339(now);
  return pool_.Exec("DELETE FROM revoked_tokens WHERE expires_at < $1", {at}).Affected() +
         pool_.Exec("DELETE FROM refresh_tokens WHERE expires_at < $1", {at}).Affected();
}

}  // namespace dbaas::access_control
