#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "dbaas/auth/jwt.hpp"

namespace dbaas {
class ConfigReader;
}

namespace dbaas::auth {

/// How to verify tokens of an external OpenID Connect issuer (DBAAS_OIDC_ISSUER,
/// DBAAS_OIDC_AUDIENCE, DBAAS_OIDC_JWKS_URL, DBAAS_OIDC_LEEWAY).
struct OidcIssuerSettings {
  /// The exact "iss" of the provider's tokens, e.g. "https://idp.example.org/realms/main".
  std::string issuer;
  /// Required member of "aud" (usually the client id registered for dbaas).
  std::string audience;
  /// Where the keys are; empty = "jwks_uri" of <issuer>/.well-known/openid-configuration.
  std::string jwks_url;
  std::chrono::seconds leeway{30};
};

/// Reads the DBAAS_OIDC_* issuer settings; nullopt (OIDC off) when DBAAS_OIDC_ISSUER is unset.
/// Problems are recorded in `cfg`, naming the variable.
std::optional<OidcIssuerSettings> ReadOidcIssuerSettings(ConfigReader& cfg);

/// Verifier options for the issuer's tokens: its iss and audience, RS256 or ES256 only.
VerifierOptions OidcVerifierOptions(const OidcIssuerSettings& settings, const Clock& clock);

/// GETs `url` and returns the body of a 200 answer; throws (any exception) otherwise.
using HttpGet = std::function<std::string(const std::string& url)>;

/// The issuer's JWKS document: from jwks_url, or discovered through
/// <issuer>/.well-known/openid-configuration (whose "issuer" must equal the configured one,
/// OpenID Connect Discovery section 4.3). Throws Error{UNAVAILABLE} when it cannot be had.
std::string FetchOidcJwks(const OidcIssuerSettings& settings, const HttpGet& get);

/// The "iss" of a JWT WITHOUT verifying anything: only for choosing which verifier to use.
/// nullopt when the token is not a decodable JWT with a string iss.
std::optional<std::string> UnverifiedIssuer(std::string_view token);

}  // namespace dbaas::auth
