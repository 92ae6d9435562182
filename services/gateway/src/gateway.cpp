#include "gateway.hpp"

#include <nlohmann/json.hpp>

#include "dbaas/auth/oidc.hpp"
#include "dbaas/common/error.hpp"
#include "domain/route_policy.hpp"
#include "openapi_document.hpp"

namespace dbaas::gateway {
namespace {

constexpr std::size_t kMaxCatchAllDepth = 16;
constexpr std::size_t kMaxCachedIdentities = 100'000;
constexpr const char* kAccessControl = "access-control";

// The external issuer's keys, fetched directly from it (not through an upstream).
std::unique_ptr<http::Client> OidcClient(const GatewayConfig& config) {
  if (!config.oidc) return nullptr;
  http::ClientConfig client;
  client.connect_timeout = std::chrono::seconds(5);
  client.request_timeout = std::chrono::seconds(5);
  client.max_attempts = 2;
  client.max_response_bytes = 1024 * 1024;
  return std::make_unique<http::Client>(client);
}

std::unique_ptr<JwksCache> OidcJwks(const GatewayConfig& config, http::Client* client,
                                    const Clock& clock) {
  if (!config.oidc) return nullptr;
  const auto settings = *config.oidc;
  return std::make_unique<JwksCache>(
      [settings, client] {
        return auth::FetchOidcJwks(settings, [client](const std::string& url) {
          http::ClientRequest request;
          request.url = url;
          const auto response = client->Send(std::move(request));
          if (response.status != 200) {
            throw Error(ErrorCode::kUnavailable, url + " answered " +
                                                     std::to_string(response.status));
          }
          return response.body;
        });
      },
      config.jwks_min_refresh, clock, "oidc issuer " + settings.issuer);
}

std::optional<Authenticator::ExternalIssuer> ExternalIssuerFor(const GatewayConfig& config,
                                                               JwksCache* jwks,
                                                               const Clock& clock) {
  if (!config.oidc) return std::nullopt;
  return Authenticator::ExternalIssuer{auth::OidcVerifierOptions(*config.oidc, clock), jwks};
}

auth::VerifierOptions VerifierFor(const GatewayConfig& config, const Clock& clock) {
  auth::VerifierOptions options;
  options.issuers = {config.issuer};
  options.audience = config.audience;
  options.clock = &clock;
  return options;
}

}  // namespace

Gateway::Gateway(GatewayConfig config, metrics::Registry& registry, const Clock& clock)
    : config_(std::move(config)),
      routes_(DefaultUpstreamTable()),
      permissions_(DefaultPermissionTable()),
      upstreams_(config_.upstreams, config_.upstream_timeout, registry),
      health_(upstreams_, config_.health_cache, clock),
      jwks_(
          [this] {
            http::ClientRequest request;
            request.target = "/.well-known/jwks.json";
            const auto response = upstreams_.Call(kAccessControl, std::move(request));
            if (response.status != 200) {
              throw Error(ErrorCode::kUnavailable,
                          "JWKS answered " + std::to_string(response.status));
            }
            return response.body;
          },
          config_.jwks_min_refresh, clock),
      oidc_client_(OidcClient(config_)),
      oidc_jwks_(OidcJwks(config_, oidc_client_.get(), clock)),
      identities_(config_.identity_cache_ttl, kMaxCachedIdentities, clock),
      authenticator_(
          VerifierFor(config_, clock), jwks_,
          [this](const std::string& token) {
            http::ClientRequest request;
            request.method = http::Method::kPost;
            request.target = "/v1/auth/introspect";
            request.JsonBody(nlohmann::json{{"token", token}});
            const auto response = upstreams_.Call(kAccessControl, std::move(request));
            if (response.status != 200) {
              throw Error(ErrorCode::kUnavailable,
                          "access-control could not introspect the credential", {},
                          {"retry later"});
            }
            try {
              return nlohmann::json::parse(response.body);
            } catch (const nlohmann::json::exception&) {
              throw Error(ErrorCode::kUnavailable,
                          "access-control returned an unusable introspection");
            }
          },
          identities_, ExternalIssuerFor(config_, oidc_jwks_.get(), clock)),
      limiter_(config_.rate_limits, clock),
      handler_(routes_, permissions_, authenticator_, identities_, limiter_, upstreams_,
               registry.Counter("dbaas_gateway_denied_total",
                                "Requests the gateway refused itself, by status and reason.",
                                {"status", "reason"})) {}

void Gateway::Register(http::Router& router) const {
  // The literal path beats the catch-all patterns below; the document is the gateway's own.
  router.Get(std::string(kOpenApiPath),
             [](const http::Request&) {
               auto response = http::Response::Text(200, OpenApiDocument(), "application/json");
               response.SetHeader("Cache-Control", "public, max-age=300");
               return response;
             },
             {.non_blocking = true});
  const auto handler = [this](const http::Request& request, http::Reply reply) {
    handler_.Handle(request, std::move(reply));
  };
  router.SetResponseDecorator([this](const http::Request& request, http::Response& response) {
    handler_.DecorateServerAnswer(request, response);
  });
  std::vector<std::string> patterns = RoutePatterns(permissions_);
  patterns.emplace_back("/");
  std::string catch_all;
  for (std::size_t depth = 1; depth <= kMaxCatchAllDepth; ++depth) {
    catch_all += "/{p" + std::to_string(depth) + "}";
    patterns.push_back(catch_all);
  }
  for (const auto& pattern : patterns) {
    for (const auto method :
         {http::Method::kGet, http::Method::kPost, http::Method::kPut, http::Method::kPatch,
          http::Method::kDelete, http::Method::kOptions}) {
      router.AddAsync(method, pattern, handler);
    }
  }
}

std::vector<std::pair<std::string, std::function<bool()>>> Gateway::ReadinessChecks() {
  std::vector<std::pair<std::string, std::function<bool()>>> checks;
  checks.emplace_back(kAccessControl, [this] { return health_.Check(kAccessControl); });
  for (const auto& service : upstreams_.Services()) {
    if (service == kAccessControl) continue;
    checks.emplace_back(service, [this, service] { return health_.Check(service); });
  }
  return checks;
}

}  // namespace dbaas::gateway
