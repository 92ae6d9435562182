#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dbaas/auth/claims.hpp"
#include "dbaas/auth/identity.hpp"
#include "dbaas/auth/key.hpp"
#include "dbaas/http/client.hpp"
#include "dbaas/http/router.hpp"
#include "dbaas/http/server.hpp"
#include "dbaas/metrics/registry.hpp"
#include "gateway.hpp"

/// Test doubles for unit and property tests of the gateway's own logic. The integration test
/// uses the real access-control service instead.
namespace dbaas::gateway::testing {

/// An http::Server on an ephemeral loopback port, serving on its own thread until destroyed.
class BackgroundServer {
 public:
  explicit BackgroundServer(http::Router router, http::ServerConfig config = {});
  ~BackgroundServer();
  std::uint16_t Port() const { return server_->Port(); }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(Port()); }
  metrics::Registry& Registry() { return registry_; }

 private:
  metrics::Registry registry_;
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
};

/// The JSON an echo route answers: {"method","target","headers":{name: value},"body"}.
http::Response Echo(const http::Request& request);

/// A stand-in for access-control: publishes the JWKS of its ES256 key, introspects the tokens
/// and API keys it was told about, and echoes requests on /v1/tenants[/{id}] and
/// POST /v1/auth/token. Thread-safe.
class FakeAccessControl {
 public:
  FakeAccessControl();

  /// A token for `identity` signed with the fake's key, introspected as active.
  std::string Issue(const auth::Identity& identity,
                    std::chrono::seconds ttl = std::chrono::seconds(300));
  /// `claims` signed with the fake's key (nothing registered for introspection).
  std::string Sign(const auth::Claims& claims) const;
  /// Claims the gateway accepts: iss/aud "dbaas", the identity's sub and tid, exp in `ttl`.
  static auth::Claims ClaimsFor(const auth::Identity& identity, std::chrono::seconds ttl);
  /// Makes introspection of `token` answer `identity` (nullopt: inactive).
  void SetIdentity(const std::string& token, std::optional<auth::Identity> identity);

  int IntrospectCalls() const { return introspect_calls_.load(); }
  int JwksCalls() const { return jwks_calls_.load(); }
  std::string Url() const { return server_->Url(); }

 private:
  auth::SigningKey key_;
  mutable std::mutex mutex_;
  std::map<std::string, std::optional<auth::Identity>> tokens_;
  std::atomic<int> introspect_calls_{0};
  std::atomic<int> jwks_calls_{0};
  std::unique_ptr<BackgroundServer> server_;
};

/// A stand-in for provisioning: echoes GET/POST /v1/instances, /v1/instances/{id} and
/// /v1/engines; "?sleep_ms=N" delays the answer.
std::unique_ptr<BackgroundServer> StartEchoProvisioning();

/// The introspection answer for an active identity.
nlohmann::json IntrospectionJson(const auth::Identity& identity);

/// An identity holding one built-in role in `tenant_id` ("" for platform-admin).
auth::Identity IdentityWithRole(const std::string& subject, const std::string& tenant_id,
                                std::string_view role);

/// A gateway on a bare server in front of the fakes.
class GatewayUnderTest {
 public:
  /// `adjust` may change the configuration (upstreams are preset to the fakes).
  explicit GatewayUnderTest(const std::map<std::string, std::string, std::less<>>& upstreams,
                            const std::function<void(GatewayConfig&)>& adjust = {},
                            const Clock& clock = SystemClock::Instance(),
                            http::ServerConfig server_config = {});
  std::uint16_t Port() const { return server_->Port(); }

  /// Sends a request to the gateway.
  http::ClientResponse Call(http::Method method, const std::string& target,
                            const http::Headers& headers = {}, std::string body = {},
                            std::string content_type = "application/json");
  metrics::Registry& Registry() { return registry_; }

 private:
  metrics::Registry registry_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<BackgroundServer> server_;
  http::Client client_;
};

/// Authorization: Bearer <token>.
http::Headers Bearer(const std::string& token);

}  // namespace dbaas::gateway::testing
