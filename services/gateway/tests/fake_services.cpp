#include "fake_services.hpp"

#include <cctype>

#include "dbaas/auth/jwt.hpp"
#include "dbaas/auth/role.hpp"
#include "dbaas/common/crypto.hpp"
#include "dbaas/common/log.hpp"

namespace dbaas::gateway::testing {

BackgroundServer::BackgroundServer(http::Router router, http::ServerConfig config) {
  log::Init("gateway-test", log::Level::kWarn);  // keep test output readable
  config.host = "127.0.0.1";
  config.port = 0;
  config.access_log = false;
  server_ = std::make_unique<http::Server>(std::move(config), std::move(router), registry_);
  server_->Listen();
  thread_ = std::thread([this] { server_->Run(); });
}

BackgroundServer::~BackgroundServer() {
  server_->Stop();
  if (thread_.joinable()) thread_.join();
}

http::Response Echo(const http::Request& request) {
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [name, value] : request.AllHeaders()) {
    std::string lower = name;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    headers[lower] = value;
  }
  if (const auto sleep = request.Query("sleep_ms")) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(*sleep)));
  }
  return http::Response::Ok({{"method", std::string(request.MethodName())},
                             {"target", request.Target()},
                             {"headers", headers},
                             {"body", request.Body()}});
}

nlohmann::json IntrospectionJson(const auth::Identity& identity) {
  nlohmann::json roles = nlohmann::json::array();
  for (const auto& role : identity.roles) {
    nlohmann::json permissions = nlohmann::json::array();
    for (const auto& p : role.permissions) {
      permissions.push_back({{"resource", p.resource}, {"actions", p.actions}});
    }
    roles.push_back({{"name", role.name},
                     {"tenant_id", role.tenant_id.empty() ? nlohmann::json(nullptr)
                                                          : nlohmann::json(role.tenant_id)},
                     {"permissions", permissions}});
  }
  return {{"active", true},
          {"kind", std::string(auth::ToString(identity.kind))},
          {"subject", identity.subject},
          {"tenant_id", identity.tenant_id.empty() ? nlohmann::json(nullptr)
                                                   : nlohmann::json(identity.tenant_id)},
          {"roles", roles},
          {"jti", crypto::RandomToken(8)}};
}

auth::Identity IdentityWithRole(const std::string& subject, const std::string& tenant_id,
                                std::string_view role) {
  auth::Identity identity;
  identity.subject = subject;
  identity.tenant_id = tenant_id;
  if (const auto* built_in = auth::FindBuiltInRole(role)) identity.roles.push_back(*built_in);
  return identity;
}

FakeAccessControl::FakeAccessControl() : key_(auth::SigningKey::GenerateEs256()) {
  http::Router router;
  router.Get("/.well-known/jwks.json", [this](const http::Request&) {
    ++jwks_calls_;
    return http::Response::Text(200, auth::JwkSet({key_.Public()}).Serialize(), "application/json");
  });
  router.Post("/v1/auth/introspect", [this](const http::Request& request) {
    ++introspect_calls_;
    const auto token = request.Json().at("token").get<std::string>();
    std::lock_guard lock(mutex_);
    const auto it = tokens_.find(token);
    if (it == tokens_.end() || !it->second) return http::Response::Ok({{"active", false}});
    return http::Response::Ok(IntrospectionJson(*it->second));
  });
  router.Get("/v1/tenants", Echo);
  router.Post("/v1/tenants", Echo);
  router.Get("/v1/tenants/{id}", Echo);
  router.Delete("/v1/tenants/{id}", Echo);
  router.Post("/v1/auth/token", Echo);
  server_ = std::make_unique<BackgroundServer>(std::move(router));
}

auth::Claims FakeAccessControl::ClaimsFor(const auth::Identity& identity,
                                          std::chrono::seconds ttl) {
  auth::Claims claims;
  claims.iss = "dbaas";
  claims.aud = {"dbaas"};
  claims.sub = identity.subject;
  claims.tid = identity.tenant_id;
  claims.kind = "user";
  claims.jti = crypto::RandomToken(8);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  claims.iat = now;
  claims.exp = now + ttl.count();
  return claims;
}

std::string FakeAccessControl::Issue(const auth::Identity& identity, std::chrono::seconds ttl) {
  auto token = Sign(ClaimsFor(identity, ttl));
  SetIdentity(token, identity);
  return token;
}

std::string FakeAccessControl::Sign(const auth::Claims& claims) const {
  return auth::Sign(key_, claims);
}

void FakeAccessControl::SetIdentity(const std::string& token,
                                    std::optional<auth::Identity> identity) {
  std::lock_guard lock(mutex_);
  tokens_[token] = std::move(identity);
}

std::unique_ptr<BackgroundServer> StartEchoProvisioning() {
  http::Router router;
  router.Get("/v1/instances", Echo);
  router.Post("/v1/instances", Echo);
  router.Get("/v1/instances/{id}", Echo);
  router.Post("/v1/instances/{id}/start", Echo);
  router.Get("/v1/engines", Echo);
  return std::make_unique<BackgroundServer>(std::move(router));
}

GatewayUnderTest::GatewayUnderTest(const std::map<std::string, std::string, std::less<>>& upstreams,
                                   const std::function<void(GatewayConfig&)>& adjust,
                                   const Clock& clock, http::ServerConfig server_config)
    : client_([] {
        http::ClientConfig config;
        config.max_attempts = 1;
        // The tests provoke 5xx on purpose; the test's own client must keep calling.
        config.breaker.failure_threshold = 1'000'000;
        return config;
      }()) {
  GatewayConfig config;
  config.upstreams = upstreams;
  config.jwks_min_refresh = std::chrono::milliseconds(200);
  if (adjust) adjust(config);
  gateway_ = std::make_unique<Gateway>(std::move(config), registry_, clock);
  http::Router router;
  gateway_->Register(router);
  server_ = std::make_unique<BackgroundServer>(std::move(router), std::move(server_config));
}

http::ClientResponse GatewayUnderTest::Call(http::Method method, const std::string& target,
                                            const http::Headers& headers, std::string body,
                                            std::string content_type) {
  http::ClientRequest request;
  request.method = method;
  request.host = "127.0.0.1";
  request.port = server_->Port();
  request.target = target;
  request.headers = headers;
  if (!body.empty() && !content_type.empty() && !request.headers.Has("Content-Type")) {
    request.headers.Set("Content-Type", content_type);
  }
  request.body = std::move(body);
  return client_.Send(std::move(request));
}

http::Headers Bearer(const std::string& token) {
  http::Headers headers;
  headers.Set("Authorization", "Bearer " + token);
  return headers;
}

}  // namespace dbaas::gateway::testing
