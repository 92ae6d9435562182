#include "domain/token_service.hpp"

#include <algorithm>

#include "dbaas/auth/api_key.hpp"
#include "dbaas/common/crypto.hpp"
#include "dbaas/common/log.hpp"
#include "domain/password.hpp"
#include "domain/refresh_token.hpp"
#include "oidc/oidc_provider.hpp"

namespace dbaas::access_control {
namespace {

std::int64_t UnixSeconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

[[noreturn]] void Unauthenticated() {
  throw Error(ErrorCode::kUnauthenticated, std::string(kInvalidCredentials), {},
              {"check the credentials and try again"});
}

auth::VerifierOptions VerifierFor(const TokenConfig& config, const Clock& clock) {
  auth::VerifierOptions options;
  options.issuers = {config.issuer};
  options.audience = config.audience;
  options.leeway = config.leeway;
  options.algorithms = {"ES256"};
  options.clock = &clock;
  return options;
}

}  // namespace

TokenService::TokenService(IdentityRepository& identities, TokenRepository& tokens,
                           TenantRepository& tenants, RoleService& roles, SigningKeys& keys,
                           const Clock& clock, TokenConfig config, Sleeper sleeper)
    : identities_(identities),
      tokens_(tokens),
      tenants_(tenants),
      roles_(roles),
      keys_(keys),
      clock_(clock),
      config_(std::move(config)),
      sleeper_(std::move(sleeper)),
      verifier_(VerifierFor(config_, clock)),
      sources_(config_.source_max_failures, config_.source_window, clock),
      dummy_hash_(HashPassword(crypto::RandomToken(16))) {}

void TokenService::Fail(const std::string& source, std::string_view reason,
                        const std::string& user_id, std::string_view username,
                        std::string_view category) {
  sources_.RecordFailure(source);
  log::Warn("login failed", {{"reason", reason}, {"user_id", user_id}, {"source", source}});
  Audit(category, events::kAuditDenied, reason, source, user_id, username);
  Unauthenticated();
}

void TokenService::Audit(std::string_view category, std::string_view outcome,
                         std::string_view reason, const std::string& source,
                         const std::string& user_id, std::string_view username,
                         const std::string& tenant_id) {
  if (!audit_) return;
  events::AuditRecord record;
  record.source = "access-control";
  record.request_id = CurrentAuditOrigin().request_id;
  record.user_agent = CurrentAuditOrigin().user_agent;
  record.category = std::string(category);
  record.actor_type = user_id.empty() ? "anonymous" : "user";
  record.actor_id = user_id;
  record.actor_name = std::string(username);
  record.tenant_id = tenant_id;
  if (record.tenant_id.empty() && !user_id.empty()) {
    try {
      if (auto user = identities_.FindUser(user_id)) record.tenant_id = user->tenant_id;
    } catch (const std::exception& e) {
      // Recorded without the tenant rather than not at all.
      log::Warn("audit: the user's tenant could not be read", {{"error", e.what()}});
    }
  }
  record.action = "auth:" + std::string(category.substr(category.find('.') + 1));
  record.resource = std::string(username);
  record.method = "POST";
  record.outcome = std::string(outcome);
  record.reason = std::string(reason);
  std::replace(record.reason.begin(), record.reason.end(), ' ', '_');
  record.source_address = source;
  audit_(std::move(record));
}

bool TokenService::TenantActive(const std::string& tenant_id) {
  if (tenant_id.empty()) return true;
  auto tenant = tenants_.Find(tenant_id);
  return tenant && tenant->active;
}

TokenPair TokenService::Login(const std::string& username, const std::string& password,
                              const std::string& source) {
  if (auto retry = sources_.RetryAfter(source)) {
    log::Warn("login refused: too many failures from source", {{"source", source}});
    Audit(kLoginCategory, events::kAuditDenied, "source throttled", source, "", username);
    throw ThrottledError(*retry);
  }
  auto user = identities_.FindUserByUsername(LowerAscii(username));
  if (ldap_ != nullptr && (!user || user->source == kSourceLdap)) {
    return LoginLdap(username, password, source, user);
  }
  if (!user) {
    VerifyPassword(password, dummy_hash_);
    Fail(source, "unknown user", "", username);
  }
  const auto id = user->id.str();
  if (auto delay = AttemptDelay(user->login, config_.lockout); delay.count() > 0) sleeper_(delay);
  const auto now = clock_.Now();
  if (IsLocked(user->login, now)) {
    VerifyPassword(password, dummy_hash_);  // answer as slowly as for an unlocked account
    Fail(source, "account locked", id, username);
  }
  if (user->source != kSourceLocal) {
    VerifyPassword(password, dummy_hash_);
    Fail(source, "externally managed user, but its provider is not configured", id, username);
  }
  if (!VerifyPassword(password, user->password_hash)) {
    auto state = identities_.UpdateLoginState(
        id, [&](const LoginState& s) { return AfterFailure(s, config_.lockout, now); },
        std::nullopt);
    if (state && IsLocked(*state, now)) {
      log::Warn("account locked after repeated failed logins",
                {{"user_id", id}, {"failed_logins", state->failed_logins}});
      Audit(kLockoutCategory, events::kAuditDenied, "too many failed logins", source, id,
            username, user->tenant_id);
    }
    Fail(source, "wrong password", id, username);
  }
  if (!user->active) Fail(source, "user deactivated", id, username);
  if (!TenantActive(user->tenant_id)) Fail(source, "tenant deactivated", id, username);
  identities_.UpdateLoginState(
      id, [](const LoginState& s) { return AfterSuccess(s); },
      std::chrono::time_point_cast<std::chrono::milliseconds>(now));
  log::Info("login succeeded", {{"user_id", id}, {"source", source}});
  Audit(kLoginCategory, events::kAuditSuccess, "", source, id, username, user->tenant_id);
  return Issue(*user, std::nullopt);
}

TokenPair TokenService::Issue(const User& user, std::optional<std::string> refresh_token) {
  const auto now = clock_.Now();
  const auto key = keys_.Active();
  auth::Claims claims;
  claims.iss = config_.issuer;
  claims.aud = {config_.audience};
  claims.sub = user.id.str();
  claims.tid = user.tenant_id;
  claims.kind = std::string(auth::kKindUser);
  claims.jti = crypto::RandomToken(16);
  claims.iat = UnixSeconds(now);
  claims.nbf = claims.iat;
  claims.exp = *claims.iat + config_.access_ttl.count();
  for (const auto& a : identities_.Assignments(user.id.str())) claims.roles.push_back(a.role);
  if (!refresh_token) {
    auto fresh = IssueRefreshToken(user.id.str(), "", now, config_.refresh_ttl);
    tokens_.InsertRefreshToken(fresh.record);
    refresh_token = std::move(fresh.token);
  }
  TokenPair pair;
  pair.access_token = auth::Sign(key, claims);
  pair.expires_in = config_.access_ttl.count();
  pair.refresh_token = std::move(*refresh_token);
  return pair;
}

TokenPair TokenService::Refresh(const std::string& refresh_token, const std::string& source) {
  if (auto retry = sources_.RetryAfter(source)) {
    Audit(kRefreshCategory, events::kAuditDenied, "source throttled", source, "", "");
    throw ThrottledError(*retry);
  }
  if (!LooksLikeRefreshToken(refresh_token)) {
    Fail(source, "malformed refresh token", "", {}, kRefreshCategory);
  }
  const auto now = clock_.Now();
  std::optional<IssuedRefreshToken> next;
  auto outcome = tokens_.ConsumeRefreshToken(
      HashRefreshToken(refresh_token),
      [&](const RefreshToken& current) {
        const auto verdict = EvaluateRefresh(current, now);
        if (verdict == RefreshVerdict::kRotate) {
          next = IssueRefreshToken(current.user_id, current.family_id, now, config_.refresh_ttl);
        }
        return verdict;
      },
      [&] { return next ? next->record : RefreshToken{}; }, now);
  if (!outcome) Fail(source, "unknown refresh token", "", {}, kRefreshCategory);
  const auto& [current, verdict] = *outcome;
  if (verdict == RefreshVerdict::kReused) {
    log::Warn("refresh token reused; its family is revoked",
              {{"user_id", current.user_id}, {"source", source}});
  }
  if (verdict != RefreshVerdict::kRotate) {
    Fail(source, "refresh token not usable", current.user_id, {}, kRefreshCategory);
  }
  auto user = identities_.FindUser(current.user_id);
  if (!user || !user->active || !TenantActive(user->tenant_id)) {
    tokens_.RevokeRefreshFamily(current.family_id, now);
    Fail(source, "user not active", current.user_id, {}, kRefreshCategory);
  }
  Audit(kRefreshCategory, events::kAuditSuccess, "", source, user->id.str(), user->username,
        user->tenant_id);
  return Issue(*user, next->token);
}

void TokenService::Revoke(const std::string& token) {
  const auto now = clock_.Now();
  if (LooksLikeRefreshToken(token)) {
    if (auto found = tokens_.FindRefreshToken(HashRefreshToken(token))) {
      tokens_.RevokeRefreshFamily(found->family_id, now);
      log::Info("refresh token family revoked", {{"user_id", found->user_id}});
    }
    return;
  }
  try {
    const auto claims =
        verifier_.Verify(token, [this](std::string_view kid) { return keys_.Find(kid); });
    if (claims.jti.empty() || !claims.exp) return;
    tokens_.DenyAccessToken(claims.jti,
                            TimePoint(std::chrono::seconds(*claims.exp)) + config_.leeway);
    log::Info("access token revoked", {{"user_id", claims.sub}});
  } catch (const Error& e) {
    if (e.Code() != ErrorCode::kUnauthenticated) throw;
  }
}

Introspection TokenService::Introspect(const std::string& token) {
  if (token.rfind(std::string(auth::kApiKeyScheme) + "_", 0) == 0) return IntrospectApiKey(token);
  return IntrospectJwt(token);
}

Introspection TokenService::IntrospectApiKey(const std::string& token) {
  auto parsed = auth::ParseApiKey(token);
  if (!parsed) return {};
  auto record = identities_.FindApiKeyByPrefix(parsed->prefix);
  if (!record || !auth::VerifyApiKey(token, record->key_hash)) return {};
  if (!record->Usable(clock_.Now()) || !TenantActive(record->tenant_id)) return {};
  Introspection out;
  out.active = true;
  out.kind = std::string(auth::kKindApiKey);
  out.subject = record->id;
  out.tenant_id = record->tenant_id;
  out.jti = record->id;
  if (record->expires_at) out.exp = UnixSeconds(*record->expires_at);
  for (const auto& name : record->roles) {
    if (auto role = roles_.Resolve(name, record->tenant_id)) out.roles.push_back(std::move(*role));
  }
  return out;
}

Introspection TokenService::IntrospectJwt(const std::string& token) {
  if (oidc_ != nullptr && oidc_->Handles(token)) return IntrospectOidc(token);
  auth::Claims claims;
  try {
    claims = verifier_.Verify(token, [this](std::string_view kid) { return keys_.Find(kid); });
  } catch (const Error& e) {
    if (e.Code() != ErrorCode::kUnauthenticated) throw;
    return {};
  }
  if (claims.kind != auth::kKindUser || claims.jti.empty()) return {};
  if (tokens_.IsAccessTokenDenied(claims.jti)) return {};
  auto user = UserId::Parse(claims.sub) ? identities_.FindUser(claims.sub) : std::nullopt;
  if (!user || !user->active || user->tenant_id != claims.tid) return {};
  if (!TenantActive(user->tenant_id)) return {};
  Introspection out;
  out.active = true;
  out.kind = std::string(auth::kKindUser);
  out.subject = claims.sub;
  out.tenant_id = user->tenant_id;
  out.exp = claims.exp;
  out.jti = claims.jti;
  out.roles = roles_.ResolveAll(identities_.Assignments(claims.sub));
  return out;
}

auth::Identity TokenService::Authenticate(const std::optional<std::string>& authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (!authorization || authorization->size() <= kScheme.size() ||
      LowerAscii(authorization->substr(0, kScheme.size())) != kScheme) {
    throw Error(ErrorCode::kUnauthenticated, "missing bearer credentials", {},
                {"send Authorization: Bearer <token>; POST /v1/auth/token issues one"});
  }
  auto result = Introspect(authorization->substr(kScheme.size()));
  if (!result.active) {
    throw Error(ErrorCode::kUnauthenticated, "invalid or expired credentials", {},
                {"log in again with POST /v1/auth/token"});
  }
  auth::Identity identity;
  identity.subject = result.subject;
  identity.kind =
      result.kind == auth::kKindApiKey ? auth::IdentityKind::kApiKey : auth::IdentityKind::kUser;
  identity.tenant_id = result.tenant_id;
  identity.roles = std::move(result.roles);
  return identity;
}

}  // namespace dbaas::access_control
