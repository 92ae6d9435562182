// The external identity provider halves of TokenService: LDAP password logins and OIDC bearer
// tokens. Kept apart from token_service.cpp so the local-credential code stays readable.
#include <nlohmann/json.hpp>

#include "dbaas/common/error.hpp"
#include "dbaas/common/log.hpp"
#include "domain/ldap_login.hpp"
#include "domain/password.hpp"
#include "domain/token_service.hpp"
#include "oidc/oidc_provider.hpp"

namespace dbaas::access_control {

TokenPair TokenService::LoginLdap(const std::string& username, const std::string& password,
                                  const std::string& source, const std::optional<User>& existing) {
  const auto now = clock_.Now();
  const std::string id = existing ? existing->id.str() : std::string();
  if (existing) {
    // The same brute-force rules as local accounts: slow down, then lock, before the
    // directory is even asked, so a locked account cannot be used to probe passwords.
    if (auto delay = AttemptDelay(existing->login, config_.lockout); delay.count() > 0) {
      sleeper_(delay);
    }
    if (IsLocked(existing->login, now)) Fail(source, "account locked", id, username);
  }
  const auto result = ldap_->Authenticate(username, password, existing);
  if (result.status == LdapLoginResult::Status::kBadCredentials) {
    if (existing) {
      auto state = identities_.UpdateLoginState(
          id, [&](const LoginState& s) { return AfterFailure(s, config_.lockout, now); },
          std::nullopt);
      if (state && IsLocked(*state, now)) {
        log::Warn("account locked after repeated failed logins",
                  {{"user_id", id}, {"failed_logins", state->failed_logins}});
        Audit(kLockoutCategory, events::kAuditDenied, "too many failed logins", source, id,
              username, existing->tenant_id);
      }
    }
    Fail(source, "wrong LDAP credentials", id, username);
  }
  const auto& user = *result.user;
  if (result.status == LdapLoginResult::Status::kNoMappedGroup) {
    Fail(source, "LDAP user is in no mapped group", user.id.str(), username);
  }
  if (!user.active) Fail(source, "user deactivated", user.id.str(), username);
  if (!TenantActive(user.tenant_id)) Fail(source, "tenant deactivated", user.id.str(), username);
  identities_.UpdateLoginState(
      user.id.str(), [](const LoginState& s) { return AfterSuccess(s); },
      std::chrono::time_point_cast<std::chrono::milliseconds>(now));
  log::Info("login succeeded", {{"user_id", user.id.str()}, {"source", source}, {"via", "ldap"}});
  Audit(kLoginCategory, events::kAuditSuccess, "", source, user.id.str(), username,
        user.tenant_id);
  return Issue(user, std::nullopt);
}

Introspection TokenService::IntrospectOidc(const std::string& token) {
  auth::Claims claims;
  try {
    claims = oidc_->Verify(token);
  } catch (const Error& e) {
    if (e.Code() != ErrorCode::kUnauthenticated) throw;
    log::Info("OIDC token rejected", {{"reason", e.what()}});
    return {};
  }
  if (!claims.raw) return {};
  const auto mapped = MapOidcClaims(*claims.raw, oidc_->Settings());
  if (!mapped) return {};
  if (!mapped->tenant_id.empty()) {
    auto tenant = tenants_.Find(mapped->tenant_id);
    if (!tenant || !tenant->active) return {};
  }
  Introspection out;
  out.active = true;
  out.kind = std::string(auth::kKindUser);
  out.subject = mapped->subject;
  out.tenant_id = mapped->tenant_id;
  out.exp = claims.exp;
  out.jti = claims.jti;
  for (const auto& name : mapped->roles) {
    // Tenant identities never hold the platform role, whatever the provider says.
    if (name == auth::kRolePlatformAdmin && !mapped->tenant_id.empty()) continue;
    if (auto role = roles_.Resolve(name, mapped->tenant_id)) out.roles.push_back(std::move(*role));
  }
  return out;
}

}  // namespace dbaas::access_control
