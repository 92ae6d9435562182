#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dbaas/auth/identity.hpp"
#include "dbaas/auth/jwt.hpp"
#include "dbaas/common/clock.hpp"
#include "dbaas/common/error.hpp"
#include "domain/audit_trail.hpp"
#include "domain/identity_repository.hpp"
#include "domain/login_guard.hpp"
#include "domain/role_service.hpp"
#include "domain/signing_keys.hpp"
#include "domain/tenant_repository.hpp"
#include "domain/token_repository.hpp"

namespace dbaas::access_control {

class LdapLogin;
class OidcProvider;

struct TokenConfig {
  std::string issuer = "dbaas";
  std::string audience = "dbaas";
  std::chrono::seconds access_ttl{15 * 60};
  std::chrono::seconds refresh_ttl{7 * 24 * 3600};
  std::chrono::seconds leeway{30};
  LockoutPolicy lockout;
  /// Failed logins per source address inside source_window before RESOURCE_EXHAUSTED.
  int source_max_failures = 20;
  std::chrono::seconds source_window{5 * 60};
};

/// A fresh access/refresh token pair. Both are secrets.
struct TokenPair {
  std::string access_token;
  std::int64_t expires_in = 0;
  std::string refresh_token;
};

/// The current state of a presented credential (the gateway's introspection contract).
struct Introspection {
  bool active = false;
  /// "user" or "api_key".
  std::string kind;
  /// The user id or API key id.
  std::string subject;
  /// Empty for platform identities.
  std::string tenant_id;
  /// The roles held now (not those in the token), resolved to permissions.
  std::vector<auth::Role> roles;
  /// Expiry (unix seconds); nullopt for API keys without expiry.
  std::optional<std::int64_t> exp;
  /// The token's jti; the key id for API keys.
  std::string jti;
};

/// Thrown when a source address made too many failed logins; answered 429 with Retry-After.
class ThrottledError : public Error {
 public:
  explicit ThrottledError(std::chrono::seconds retry_after)
      : Error(ErrorCode::kResourceExhausted, "too many failed logins from this address", {},
              {"wait before trying again"}),
        retry_after_(retry_after) {}
  std::chrono::seconds RetryAfter() const noexcept { return retry_after_; }

 private:
  std::chrono::seconds retry_after_;
};

/// Audit categories of access-control's own records.
inline constexpr std::string_view kLoginCategory = "auth.login";
inline constexpr std::string_view kRefreshCategory = "auth.refresh";
inline constexpr std::string_view kLockoutCategory = "auth.lockout";

/// Logins, token issuance and rotation, revocation, introspection and request authentication.
/// Every credential failure is the same UNAUTHENTICATED message, so callers learn nothing about
/// which part was wrong or whether an account is locked (the log says). Thread-safe.
class TokenService {
 public:
  /// Holds an attempt before it is answered (brute-force slowdown); tests pass a recorder.
  using Sleeper = std::function<void(std::chrono::milliseconds)>;

  TokenService(IdentityRepository& identities, TokenRepository& tokens, TenantRepository& tenants,
               RoleService& roles, SigningKeys& keys, const Clock& clock, TokenConfig config,
               Sleeper sleeper);

  /// Password login from `source` (the peer address). Throws ThrottledError when the source is
  /// over its failure limit, Error{UNAUTHENTICATED} for any bad credential.
  TokenPair Login(const std::string& username, const std::string& password,
                  const std::string& source);
  /// Uses up `refresh_token` and returns the next pair of its family. Presenting a used token
  /// revokes the whole family. UNAUTHENTICATED for anything invalid.
  TokenPair Refresh(const std::string& refresh_token, const std::string& source);
  /// Logout: an access token's jti is denied until its expiry; a refresh token's family is
  /// revoked. Unknown or invalid tokens are ignored (nothing to revoke).
  void Revoke(const std::string& token);
  /// The current state of an access token or API key; inactive for anything invalid, revoked,
  /// expired, of a deactivated user, key or tenant.
  Introspection Introspect(const std::string& token);
  /// The caller behind an "Authorization: Bearer <JWT or API key>" header value. Throws
  /// Error{UNAUTHENTICATED} when missing or not active.
  auth::Identity Authenticate(const std::optional<std::string>& authorization);

  const TokenConfig& Config() const noexcept { return config_; }
  /// Where login, refresh and lockout audit records go (none until set). Set before serving.
  void SetAuditSink(AuditSink sink) { audit_ = std::move(sink); }

  /// Enables LDAP logins: usernames without a local user, and LDAP-sourced users, bind to the
  /// directory (see LdapLogin). Call before serving; `ldap` must outlive this service.
  void UseLdap(LdapLogin* ldap) noexcept { ldap_ = ldap; }
  /// Enables bearer tokens of an external OIDC issuer in Introspect and Authenticate. Call
  /// before serving; `oidc` must outlive this service.
  void UseOidc(OidcProvider* oidc) noexcept { oidc_ = oidc; }

 private:
  /// The LDAP half of Login (token_service_external.cpp); same lockout and answers.
  TokenPair LoginLdap(const std::string& username, const std::string& password,
                      const std::string& source, const std::optional<User>& existing);
  /// An external OIDC token: verified, then mapped to identity (token_service_external.cpp).
  Introspection IntrospectOidc(const std::string& token);
  /// Signs an access token for `user`; starts a new refresh family unless `refresh_token` is
  /// the already stored next token of a family.
  TokenPair Issue(const User& user, std::optional<std::string> refresh_token);
  Introspection IntrospectApiKey(const std::string& token);
  Introspection IntrospectJwt(const std::string& token);
  bool TenantActive(const std::string& tenant_id);
  /// Counts a failure against `source`, audits it and throws UNAUTHENTICATED.
  [[noreturn]] void Fail(const std::string& source, std::string_view reason,
                         const std::string& user_id, std::string_view username = {},
                         std::string_view category = kLoginCategory);
  void Audit(std::string_view category, std::string_view outcome, std::string_view reason,
             const std::string& source, const std::string& user_id, std::string_view username,
             const std::string& tenant_id = {});

  IdentityRepository& identities_;
  TokenRepository& tokens_;
  TenantRepository& tenants_;
  RoleService& roles_;
  SigningKeys& keys_;
  const Clock& clock_;
  TokenConfig config_;
  Sleeper sleeper_;
  AuditSink audit_;
  auth::Verifier verifier_;
  SourceLimiter sources_;
  LdapLogin* ldap_ = nullptr;
  OidcProvider* oidc_ = nullptr;
  /// Verified against when the username is unknown, so timing does not reveal which users exist.
  std::string dummy_hash_;
};

/// The single message of every credential failure.
inline constexpr std::string_view kInvalidCredentials = "invalid credentials";

}  // namespace dbaas::access_control
