#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "dbaas/auth/identity.hpp"
#include "dbaas/common/clock.hpp"
#include "dbaas/common/config.hpp"

namespace dbaas::service {

/// Where and how a service behind the gateway checks its callers.
struct CallerVerifierConfig {
  /// access-control's base URL (DBAAS_ACCESS_CONTROL_URL).
  std::string access_control_url = "http://127.0.0.1:8081";
  std::string issuer = "dbaas";
  std::string audience = "dbaas";
  /// How long a credential's introspected identity is reused (at most 30 s, Property 23).
  std::chrono::milliseconds cache_ttl{10000};

  /// Reads DBAAS_ACCESS_CONTROL_URL, DBAAS_TOKEN_ISSUER, DBAAS_TOKEN_AUDIENCE and
  /// DBAAS_IDENTITY_CACHE_TTL; problems are recorded in `cfg`.
  static CallerVerifierConfig FromEnv(ConfigReader& cfg);
};

/// Services verify identity again themselves, trusting no header a client could set: a JWT is
/// checked against access-control's JWKS (refreshed on an unknown key id), then access-control's
/// introspection supplies the current roles, cached for at most cache_ttl; API keys are
/// introspected. The same code path as the gateway's (auth::Authenticator). Thread-safe.
class CallerVerifier {
 public:
  CallerVerifier(CallerVerifierConfig config, const Clock& clock = SystemClock::Instance());
  ~CallerVerifier();
  CallerVerifier(const CallerVerifier&) = delete;
  CallerVerifier& operator=(const CallerVerifier&) = delete;

  /// The caller behind an Authorization header value. Throws Error{UNAUTHENTICATED} when it is
  /// missing, malformed, invalid or not active, Error{UNAVAILABLE} when access-control cannot
  /// be asked.
  auth::Identity Authenticate(const std::optional<std::string>& authorization);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dbaas::service
