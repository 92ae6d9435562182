#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "dbaas/auth/jwks_cache.hpp"
#include "dbaas/auth/jwt.hpp"
#include "dbaas/common/clock.hpp"
#include "domain/oidc_mapping.hpp"

namespace dbaas::http {
class Client;
}

namespace dbaas::access_control {

/// Verifies bearer tokens of the configured external OpenID Connect issuer against its JWKS
/// (fetched over HTTP, cached, refetched on an unknown kid at most once per `min_refresh`).
/// Thread-safe.
class OidcProvider {
 public:
  /// `clock` must outlive the provider.
  OidcProvider(OidcSettings settings, const Clock& clock,
               std::chrono::milliseconds min_refresh = std::chrono::seconds(5));
  ~OidcProvider();

  /// True when the token claims to come from this issuer (unverified: for routing only).
  bool Handles(std::string_view token) const;
  /// The verified claims. Throws Error{UNAUTHENTICATED} for any invalid token and
  /// Error{UNAVAILABLE} when the issuer's keys were never obtained.
  auth::Claims Verify(std::string_view token);
  const OidcSettings& Settings() const noexcept { return settings_; }

 private:
  OidcSettings settings_;
  std::unique_ptr<http::Client> client_;
  auth::Verifier verifier_;
  auth::JwksCache keys_;
};

}  // namespace dbaas::access_control
