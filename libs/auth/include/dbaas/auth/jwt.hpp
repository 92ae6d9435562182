#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/auth/claims.hpp"
#include "dbaas/auth/key.hpp"
#include "dbaas/common/clock.hpp"

namespace dbaas::auth {

/// Signs `claims` as a JWS compact JWT with header {"alg":<key alg>,"typ":"JWT","kid":<kid>}.
/// Throws Error{INVALID_ARGUMENT} when a claim is not valid UTF-8. Thread-safe.
std::string Sign(const SigningKey& key, const Claims& claims);

/// Returns the public key for a kid, or nullopt when unknown. Callers may refresh a cached JWKS
/// inside it when the kid is unknown (key rotation). Called at most once per Verify.
using KeyLookup = std::function<std::optional<PublicKey>(std::string_view kid)>;

/// What a token must satisfy besides a good signature.
struct VerifierOptions {
  /// Accepted "iss" values; must not be empty.
  std::vector<std::string> issuers;
  /// Required member of "aud"; must not be empty.
  std::string audience;
  /// Clock skew tolerated for exp and nbf; 0 s to 1 h.
  std::chrono::seconds leeway{30};
  /// Accepted "alg" values: a subset of {"ES256", "RS256"}. "none" and HS* are never accepted.
  std::vector<std::string> algorithms{"ES256", "RS256"};
  /// Source of "now"; must outlive the Verifier. Defaults to the system clock.
  const Clock* clock = &SystemClock::Instance();
};

/// Verifies JWS compact JWTs. Immutable after construction; Verify is thread-safe when the
/// KeyLookup is.
class Verifier {
 public:
  /// Throws Error{INVALID_ARGUMENT} when issuers or audience is empty, an algorithm is not
  /// ES256/RS256, or clock is null.
  explicit Verifier(VerifierOptions options);

  /// The token's claims when its signature and claims are valid. Throws Error{UNAUTHENTICATED}
  /// with a reason (never the token or its contents) for: a malformed token (not three parts,
  /// bad base64url, bad JSON, oversized), "alg" none/HS*/not allowed, "crit" headers, a missing
  /// or unknown kid, an alg that does not match the key's type, a bad signature, a missing exp,
  /// exp + leeway < now, nbf - leeway > now, a wrong issuer or audience.
  Claims Verify(std::string_view token, const KeyLookup& keys) const;

  const VerifierOptions& Options() const noexcept { return options_; }

 private:
  VerifierOptions options_;
};

/// Longest token Verify accepts, in bytes; longer input is rejected before any parsing.
inline constexpr std::size_t kMaxTokenSize = 16 * 1024;

}  // namespace dbaas::auth
