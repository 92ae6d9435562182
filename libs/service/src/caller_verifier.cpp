#include "dbaas/service/caller_verifier.hpp"

#include <nlohmann/json.hpp>

#include "dbaas/auth/authenticator.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/http/client.hpp"

namespace dbaas::service {
namespace {

constexpr std::size_t kMaxCachedIdentities = 100'000;
constexpr std::chrono::milliseconds kJwksMinRefresh{5000};

http::ClientConfig AccessControlClient() {
  http::ClientConfig config;
  config.request_timeout = std::chrono::seconds(5);
  return config;
}

auth::VerifierOptions VerifierFor(const CallerVerifierConfig& config, const Clock& clock) {
  auth::VerifierOptions options;
  options.issuers = {config.issuer};
  options.audience = config.audience;
  options.clock = &clock;
  return options;
}

}  // namespace

CallerVerifierConfig CallerVerifierConfig::FromEnv(ConfigReader& cfg) {
  CallerVerifierConfig c;
  c.access_control_url = cfg.String("DBAAS_ACCESS_CONTROL_URL", c.access_control_url);
  if (!c.access_control_url.starts_with("http://") &&
      !c.access_control_url.starts_with("https://")) {
    cfg.Fail("DBAAS_ACCESS_CONTROL_URL", "must be an http:// or https:// base URL");
  }
  while (c.access_control_url.ends_with('/')) c.access_control_url.pop_back();
  c.issuer = cfg.String("DBAAS_TOKEN_ISSUER", c.issuer);
  c.audience = cfg.String("DBAAS_TOKEN_AUDIENCE", c.audience);
  c.cache_ttl = cfg.Duration("DBAAS_IDENTITY_CACHE_TTL", c.cache_ttl);
  if (c.cache_ttl <= std::chrono::milliseconds(0) || c.cache_ttl > auth::kMaxIdentityCacheTtl) {
    cfg.Fail("DBAAS_IDENTITY_CACHE_TTL", "must be more than 0 and at most 30s");
  }
  return c;
}

struct CallerVerifier::Impl {
  CallerVerifierConfig config;
  http::Client client{AccessControlClient()};
  auth::JwksCache jwks;
  auth::IdentityCache identities;
  auth::Authenticator authenticator;

  Impl(CallerVerifierConfig c, const Clock& clock)
      : config(std::move(c)),
        jwks([this] { return Fetch(); }, kJwksMinRefresh, clock),
        identities(config.cache_ttl, kMaxCachedIdentities, clock),
        authenticator(VerifierFor(config, clock), jwks,
                      [this](const std::string& token) { return Introspect(token); },
                      identities) {}

  std::string Fetch() {
    http::ClientRequest request;
    request.url = config.access_control_url + "/.well-known/jwks.json";
    const auto response = client.Send(std::move(request));
    if (response.status != 200) {
      throw Error(ErrorCode::kUnavailable, "JWKS answered " + std::to_string(response.status));
    }
    return response.body;
  }

  nlohmann::json Introspect(const std::string& token) {
    http::ClientRequest request;
    request.method = http::Method::kPost;
    request.url = config.access_control_url + "/v1/auth/introspect";
    request.JsonBody(nlohmann::json{{"token", token}});
    const auto response = client.Send(std::move(request));
    if (response.status != 200) {
      throw Error(ErrorCode::kUnavailable, "access-control could not introspect the credential",
                  {}, {"retry later"});
    }
    try {
      return nlohmann::json::parse(response.body);
    } catch (const nlohmann::json::exception&) {
      throw Error(ErrorCode::kUnavailable, "access-control returned an unusable introspection");
    }
  }
};

CallerVerifier::CallerVerifier(CallerVerifierConfig config, const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(config), clock)) {}

CallerVerifier::~CallerVerifier() = default;

auth::Identity CallerVerifier::Authenticate(const std::optional<std::string>& authorization) {
  const auto credential = auth::ParseAuthorization(authorization);
  if (!credential) {
    throw Error(ErrorCode::kUnauthenticated, "this route needs Authorization: Bearer <token>",
                {}, {"get a token with POST /v1/auth/token"});
  }
  auto identity = impl_->authenticator.Authenticate(*credential);
  return identity->identity;
}

}  // namespace dbaas::service
