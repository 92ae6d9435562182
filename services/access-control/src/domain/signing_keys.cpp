#include "domain/signing_keys.hpp"

#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/common/log.hpp"

namespace dbaas::access_control {
namespace {

constexpr auto kMaxAge = std::chrono::seconds(5);
constexpr auto kMinReloadInterval = std::chrono::seconds(1);

}  // namespace

StoredSigningKey SigningKeys::MakeKey() const {
  auto key = auth::SigningKey::GenerateEs256("ac-" + crypto::RandomToken(9));
  StoredSigningKey stored;
  stored.kid = key.Kid();
  stored.sealed_private_key = crypto::SealEnvelope(master_keys_, key.PrivatePem(), stored.kid);
  stored.active = true;
  return stored;
}

bool SigningKeys::EnsureActive() {
  const bool created = repository_.EnsureActiveKey([this] { return MakeKey(); });
  if (created) log::Info("signing key created");
  return created;
}

SigningKeys::Loaded SigningKeys::Load() {
  const auto stored = repository_.PublishedKeys(clock_.Now() - retention_);
  Loaded loaded;
  std::lock_guard lock(mu_);
  for (const auto& s : stored) {
    auto it = opened_.find(s.kid);
    if (it == opened_.end()) {
      const std::string pem = crypto::OpenEnvelope(master_keys_, s.sealed_private_key, s.kid);
      it = opened_.emplace(s.kid, auth::SigningKey::FromPrivatePem(pem, s.kid)).first;
    }
    loaded.keys.emplace(s.kid, it->second);
    if (s.active) loaded.active_kid = s.kid;
  }
  published_ = loaded;
  loaded_at_ = std::chrono::steady_clock::now();
  return loaded;
}

auth::SigningKey SigningKeys::Active() {
  auto loaded = Load();
  if (!loaded.active_kid) throw Error(ErrorCode::kUnavailable, "no active signing key");
  return loaded.keys.at(*loaded.active_kid);
}

std::optional<auth::PublicKey> SigningKeys::Find(std::string_view kid) {
  {
    std::lock_guard lock(mu_);
    const auto age = std::chrono::steady_clock::now() - loaded_at_;
    auto it = published_.keys.find(kid);
    if (it != published_.keys.end() && age < kMaxAge) return it->second.Public();
    if (it == published_.keys.end() && age < kMinReloadInterval) return std::nullopt;
  }
  auto loaded = Load();
  auto it = loaded.keys.find(kid);
  if (it == loaded.keys.end()) return std::nullopt;
  return it->second.Public();
}

auth::JwkSet SigningKeys::Published() {
  auth::JwkSet set;
  {
    // Served from memory between reloads: /.well-known/jwks.json is public and hot (every
    // verifier fetches it), and a database read per request cost more than the answer itself.
    std::lock_guard lock(mu_);
    if (std::chrono::steady_clock::now() - loaded_at_ < kMaxAge) {
      for (const auto& [kid, key] : published_.keys) set.Add(key.Public());
      return set;
    }
  }
  for (const auto& [kid, key] : Load().keys) set.Add(key.Public());
  return set;
}

std::string SigningKeys::Rotate() {
  std::string kid;
  repository_.RotateKey(
      [&] {
        auto key = MakeKey();
        kid = key.kid;
        return key;
      },
      clock_.Now());
  Load();
  log::Info("signing key rotated", {{"kid", kid}});
  return kid;
}

}  // namespace dbaas::access_control
