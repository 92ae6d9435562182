#include "gateway_config.hpp"

#include "authenticator.hpp"

namespace dbaas::gateway {

std::string UpstreamVariable(std::string_view service) {
  std::string name = "DBAAS_UPSTREAM_";
  for (const char c : service) {
    if (c == '-') {
      name += '_';
    } else if (c >= 'a' && c <= 'z') {
      name += static_cast<char>(c - 'a' + 'A');
    } else {
      name += c;
    }
  }
  return name;
}

GatewayConfig GatewayConfig::FromConfig(ConfigReader& cfg,
                                        const std::vector<std::string>& services) {
  GatewayConfig c;
  for (const auto& service : services) {
    const auto variable = UpstreamVariable(service);
    auto url = cfg.String(variable, "");
    if (url.empty()) continue;
    while (url.size() > 1 && url.back() == '/') url.pop_back();
    const bool http = url.starts_with("http://") || url.starts_with("https://");
    const auto authority = url.substr(url.find("://") + 3);
    if (!http || authority.empty() || authority.find('/') != std::string::npos) {
      cfg.Fail(variable, "must be a base URL such as http://127.0.0.1:8081 (no path)");
      continue;
    }
    c.upstreams.emplace(service, url);
  }
  c.upstream_timeout =
      cfg.Duration("DBAAS_UPSTREAM_TIMEOUT", c.upstream_timeout, std::chrono::milliseconds(1));
  c.issuer = cfg.String("DBAAS_TOKEN_ISSUER", c.issuer);
  c.audience = cfg.String("DBAAS_TOKEN_AUDIENCE", c.audience);
  if (c.issuer.empty()) cfg.Fail("DBAAS_TOKEN_ISSUER", "must not be empty");
  if (c.audience.empty()) cfg.Fail("DBAAS_TOKEN_AUDIENCE", "must not be empty");
  c.identity_cache_ttl =
      cfg.Duration("DBAAS_IDENTITY_CACHE_TTL", c.identity_cache_ttl, std::chrono::milliseconds(1));
  if (c.identity_cache_ttl > kMaxIdentityCacheTtl) {
    cfg.Fail("DBAAS_IDENTITY_CACHE_TTL",
             "must be at most 30s, so permission changes take effect within 30 seconds");
  }
  c.jwks_min_refresh = cfg.Duration("DBAAS_JWKS_MIN_REFRESH", c.jwks_min_refresh);
  c.health_cache = cfg.Duration("DBAAS_UPSTREAM_HEALTH_CACHE", c.health_cache);
  c.audit_reads = cfg.Bool("DBAAS_AUDIT_READS", c.audit_reads);
  c.audit_queue = static_cast<std::size_t>(
      cfg.Int("DBAAS_AUDIT_QUEUE", static_cast<std::int64_t>(c.audit_queue), 100, 10'000'000));
  c.rate_limits = RateLimitSettings::FromConfig(cfg);
  c.oidc = auth::ReadOidcIssuerSettings(cfg);
  if (c.oidc && c.oidc->issuer == c.issuer) {
    cfg.Fail("DBAAS_OIDC_ISSUER", "must differ from DBAAS_TOKEN_ISSUER");
  }
  return c;
}

}  // namespace dbaas::gateway
