#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "dbaas/auth/credential.hpp"
#include "dbaas/auth/identity_cache.hpp"
#include "dbaas/auth/jwks_cache.hpp"
#include "dbaas/auth/jwt.hpp"

namespace dbaas::auth {

/// Turns a bearer credential into the caller's current identity: JWTs are verified locally
/// (signature, iss, aud, exp, alg) before anything else; then access-control's introspection
/// supplies the current roles and permissions (and revocation), cached per credential. Used by
/// the gateway and, so that services verify identity again themselves, by every service
/// behind it. Thread-safe.
class Authenticator {
 public:
  /// Asks access-control about `token`; returns its JSON answer, throws Error{UNAVAILABLE}.
  using Introspect = std::function<nlohmann::json(const std::string& token)>;

  /// An external OIDC issuer whose JWTs are verified locally against its own keys.
  struct ExternalIssuer {
    VerifierOptions options;
    JwksCache* jwks = nullptr;
  };

  /// `jwks`, `cache`, options.clock and external->jwks must outlive the authenticator.
  Authenticator(VerifierOptions options, JwksCache& jwks, Introspect introspect,
                IdentityCache& cache, std::optional<ExternalIssuer> external = std::nullopt);

  /// The identity of an active credential. A JWT whose (unverified) iss is the external
  /// issuer's is verified against that issuer's keys instead of access-control's. Throws
  /// Error{UNAUTHENTICATED} (reason in the message, never the token) for a JWT that fails verification — without introspecting —
  /// and for an inactive (unknown, revoked, expired) credential; Error{UNAVAILABLE} when
  /// access-control cannot be asked.
  std::shared_ptr<const CachedIdentity> Authenticate(const Credential& credential);

 private:
  Verifier verifier_;
  JwksCache& jwks_;
  Introspect introspect_;
  IdentityCache& cache_;
  std::optional<Verifier> external_verifier_;
  JwksCache* external_jwks_ = nullptr;
};

}  // namespace dbaas::auth
