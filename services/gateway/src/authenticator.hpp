#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "dbaas/auth/jwt.hpp"
#include "domain/credential.hpp"
#include "domain/identity_cache.hpp"
#include "jwks_cache.hpp"

namespace dbaas::gateway {

/// Turns a bearer credential into the caller's current identity: JWTs are verified locally
/// (signature, iss, aud, exp, alg) before anything else; then access-control's introspection
/// supplies the current roles and permissions (and revocation), cached per credential.
/// Thread-safe.
class Authenticator {
 public:
  /// Asks access-control about `token`; returns its JSON answer, throws Error{UNAVAILABLE}.
  using Introspect = std::function<nlohmann::json(const std::string& token)>;

  /// `jwks`, `cache` and options.clock must outlive the authenticator.
  Authenticator(auth::VerifierOptions options, JwksCache& jwks, Introspect introspect,
                IdentityCache& cache);

  /// The identity of an active credential. Throws Error{UNAUTHENTICATED} (reason in the
  /// message, never the token) for a JWT that fails verification — without introspecting —
  /// and for an inactive (unknown, revoked, expired) credential; Error{UNAVAILABLE} when
  /// access-control cannot be asked.
  std::shared_ptr<const CachedIdentity> Authenticate(const Credential& credential);

 private:
  auth::Verifier verifier_;
  JwksCache& jwks_;
  Introspect introspect_;
  IdentityCache& cache_;
};

}  // namespace dbaas::gateway
