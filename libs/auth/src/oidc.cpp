#include "dbaas/auth/oidc.hpp"

#include <nlohmann/json.hpp>

#include "base64url.hpp"
#include "dbaas/common/config.hpp"
#include "dbaas/common/error.hpp"

namespace dbaas::auth {
namespace {

bool IsHttpUrl(std::string_view url) {
  return url.starts_with("https://") || url.starts_with("http://");
}

[[noreturn]] void Unavailable(const std::string& what) {
  throw Error(ErrorCode::kUnavailable, "cannot load the OIDC issuer's keys: " + what, {},
              {"retry later; operators: check DBAAS_OIDC_ISSUER / DBAAS_OIDC_JWKS_URL"});
}

}  // namespace

std::optional<OidcIssuerSettings> ReadOidcIssuerSettings(ConfigReader& cfg) {
  OidcIssuerSettings s;
  s.issuer = cfg.String("DBAAS_OIDC_ISSUER", "");
  if (s.issuer.empty()) return std::nullopt;
  if (!IsHttpUrl(s.issuer)) cfg.Fail("DBAAS_OIDC_ISSUER", "must be an https:// (or http://) URL");
  s.audience = cfg.String("DBAAS_OIDC_AUDIENCE", "");
  if (s.audience.empty()) {
    cfg.Fail("DBAAS_OIDC_AUDIENCE", "is required with DBAAS_OIDC_ISSUER (the dbaas client id)");
  }
  s.jwks_url = cfg.String("DBAAS_OIDC_JWKS_URL", "");
  if (!s.jwks_url.empty() && !IsHttpUrl(s.jwks_url)) {
    cfg.Fail("DBAAS_OIDC_JWKS_URL", "must be an https:// (or http://) URL");
  }
  const auto leeway = cfg.Duration("DBAAS_OIDC_LEEWAY", std::chrono::seconds(30));
  if (leeway > std::chrono::hours(1)) cfg.Fail("DBAAS_OIDC_LEEWAY", "must be at most 1h");
  s.leeway = std::chrono::duration_cast<std::chrono::seconds>(leeway);
  return s;
}

VerifierOptions OidcVerifierOptions(const OidcIssuerSettings& settings, const Clock& clock) {
  VerifierOptions options;
  options.issuers = {settings.issuer};
  options.audience = settings.audience;
  options.leeway = settings.leeway;
  options.algorithms = {"RS256", "ES256"};
  options.clock = &clock;
  return options;
}

std::string FetchOidcJwks(const OidcIssuerSettings& settings, const HttpGet& get) {
  std::string jwks_url = settings.jwks_url;
  if (jwks_url.empty()) {
    std::string base = settings.issuer;
    while (!base.empty() && base.back() == '/') base.pop_back();
    nlohmann::json discovery;
    try {
      discovery = nlohmann::json::parse(get(base + "/.well-known/openid-configuration"));
    } catch (const std::exception& e) {
      Unavailable(std::string("discovery document: ") + e.what());
    }
    if (!discovery.is_object() || !discovery.contains("jwks_uri") ||
        !discovery["jwks_uri"].is_string()) {
      Unavailable("the discovery document has no jwks_uri");
    }
    if (discovery.value("issuer", "") != settings.issuer) {
      Unavailable("the discovery document names another issuer");
    }
    jwks_url = discovery["jwks_uri"].get<std::string>();
    if (!IsHttpUrl(jwks_url)) Unavailable("jwks_uri is not an http(s) URL");
  }
  try {
    return get(jwks_url);
  } catch (const std::exception& e) {
    Unavailable(std::string("JWKS: ") + e.what());
  }
}

std::optional<std::string> UnverifiedIssuer(std::string_view token) {
  if (token.size() > kMaxTokenSize) return std::nullopt;
  const auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  const auto bytes = detail::DecodeBase64UrlStrict(token.substr(first + 1, second - first - 1));
  if (!bytes) return std::nullopt;
  const auto payload = nlohmann::json::parse(*bytes, nullptr, false);
  if (!payload.is_object()) return std::nullopt;
  const auto iss = payload.find("iss");
  if (iss == payload.end() || !iss->is_string()) return std::nullopt;
  return iss->get<std::string>();
}

}  // namespace dbaas::auth
