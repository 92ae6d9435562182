#include "dbaas/auth/authenticator.hpp"

#include <nlohmann/json.hpp>

#include "dbaas/auth/oidc.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/auth/introspection.hpp"

namespace dbaas::auth {

Authenticator::Authenticator(VerifierOptions options, JwksCache& jwks, Introspect introspect,
                             IdentityCache& cache, std::optional<ExternalIssuer> external)
    : verifier_(std::move(options)),
      jwks_(jwks),
      introspect_(std::move(introspect)),
      cache_(cache) {
  if (external) {
    external_verifier_.emplace(std::move(external->options));
    external_jwks_ = external->jwks;
  }
}

std::shared_ptr<const CachedIdentity> Authenticator::Authenticate(const Credential& credential) {
  const auto fingerprint = credential.Fingerprint();
  auto cached = cache_.Get(fingerprint);
  std::optional<TimePoint> expires_at;
  if (!cached) {
    if (credential.kind == Credential::Kind::kJwt) {
      const bool external = external_verifier_ &&
                            auth::UnverifiedIssuer(credential.token) ==
                                external_verifier_->Options().issuers.front();
      const auto claims =
          external ? external_verifier_->Verify(
                         credential.token,
                         [this](std::string_view kid) { return external_jwks_->Find(kid); })
                   : verifier_.Verify(credential.token,
                                      [this](std::string_view kid) { return jwks_.Find(kid); });
      if (claims.exp) expires_at = TimePoint(std::chrono::seconds(*claims.exp));
    }
    auto result = ParseIntrospection(introspect_(credential.token));
    if (!expires_at && result.exp) expires_at = TimePoint(std::chrono::seconds(*result.exp));
    cache_.Put(fingerprint, CachedIdentity{result.active, std::move(result.identity)}, expires_at);
    cached = cache_.Get(fingerprint);
    if (!cached) {
      // Expired between verification and now (or evicted at once): never authenticated.
      throw Error(ErrorCode::kUnauthenticated, "the credential has expired");
    }
  }
  if (!cached->active) {
    throw Error(ErrorCode::kUnauthenticated, "the credential is not active (revoked or unknown)");
  }
  return cached;
}

}  // namespace dbaas::auth
