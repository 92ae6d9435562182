#include "oidc/oidc_provider.hpp"

#include "dbaas/common/error.hpp"
#include "dbaas/http/client.hpp"

namespace dbaas::access_control {
namespace {

constexpr auto kFetchTimeout = std::chrono::seconds(5);

http::ClientConfig FetchClientConfig() {
  http::ClientConfig config;
  config.connect_timeout = kFetchTimeout;
  config.request_timeout = kFetchTimeout;
  config.max_attempts = 2;
  config.max_response_bytes = 1024 * 1024;
  return config;
}

}  // namespace

OidcProvider::OidcProvider(OidcSettings settings, const Clock& clock,
                           std::chrono::milliseconds min_refresh)
    : settings_(std::move(settings)),
      client_(std::make_unique<http::Client>(FetchClientConfig())),
      verifier_(auth::OidcVerifierOptions(settings_.issuer, clock)),
      keys_(
          [this] {
            return auth::FetchOidcJwks(settings_.issuer, [this](const std::string& url) {
              http::ClientRequest request;
              request.url = url;
              request.headers.Set("Accept", "application/json");
              const auto response = client_->Send(std::move(request));
              if (response.status != 200) {
                throw Error(ErrorCode::kUnavailable,
                            url + " answered " + std::to_string(response.status));
              }
              return response.body;
            });
          },
          min_refresh, clock, "oidc issuer " + settings_.issuer.issuer) {}

OidcProvider::~OidcProvider() = default;

bool OidcProvider::Handles(std::string_view token) const {
  const auto iss = auth::UnverifiedIssuer(token);
  return iss && *iss == settings_.issuer.issuer;
}

auth::Claims OidcProvider::Verify(std::string_view token) {
  return verifier_.Verify(token, [this](std::string_view kid) { return keys_.Find(kid); });
}

}  // namespace dbaas::access_control
