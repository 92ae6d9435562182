#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "dbaas/auth/jwks.hpp"
#include "dbaas/auth/key.hpp"
#include "dbaas/common/clock.hpp"
#include "domain/token_repository.hpp"

namespace dbaas::crypto {
class KeyRing;
}

namespace dbaas::access_control {

/// The service's ES256 signing keys. The database decides which key is active, so replicas
/// agree; private keys are stored sealed under the master key ring (AAD = kid) and opened
/// once per process. Retired keys stay published for `retention` (the access-token lifetime
/// plus leeway), so tokens signed before a rotation keep verifying. Thread-safe.
class SigningKeys {
 public:
  SigningKeys(TokenRepository& repository, const crypto::KeyRing& master_keys, const Clock& clock,
              std::chrono::seconds retention)
      : repository_(repository), master_keys_(master_keys), clock_(clock), retention_(retention) {}

  /// Creates the first key when none is active. True when it created one.
  bool EnsureActive();
  /// The key to sign with now (read from the database, so a rotation by another replica is
  /// seen at once). Throws Error{UNAVAILABLE} when no key is active.
  auth::SigningKey Active();
  /// The published public key with this kid; reloads the set at most once a second on an
  /// unknown kid and at least every 5 s otherwise.
  std::optional<auth::PublicKey> Find(std::string_view kid);
  /// Active plus recently retired public keys, for /.well-known/jwks.json: from memory when
  /// loaded less than 5 s ago (a rotation on this replica reloads at once; one on another
  /// replica shows within 5 s, and verifiers refetch on an unknown kid anyway).
  auth::JwkSet Published();
  /// Makes a new active key and retires the previous one; returns the new kid.
  std::string Rotate();

 private:
  struct Loaded {
    std::map<std::string, auth::SigningKey, std::less<>> keys;
    std::optional<std::string> active_kid;
  };
  /// Reads the published keys from the database, opening keys not seen before.
  Loaded Load();
  StoredSigningKey MakeKey() const;

  TokenRepository& repository_;
  const crypto::KeyRing& master_keys_;
  const Clock& clock_;
  std::chrono::seconds retention_;

  std::mutex mu_;
  std::map<std::string, auth::SigningKey, std::less<>> opened_;  // every key ever opened
  Loaded published_;
  std::chrono::steady_clock::time_point loaded_at_{};
};

}  // namespace dbaas::access_control
