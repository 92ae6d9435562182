#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "dbaas/http/client.hpp"
#include "dbaas/metrics/registry.hpp"

namespace dbaas::gateway {

/// The services behind the gateway: base URLs and keep-alive connection pools (with a circuit
/// breaker per service) for forwarded requests and for the gateway's own internal calls.
/// Thread-safe.
class Upstreams {
 public:
  /// `base_urls` maps service names to "http://host:port"; `registry` must outlive this.
  Upstreams(std::map<std::string, std::string, std::less<>> base_urls,
            std::chrono::milliseconds timeout, metrics::Registry& registry);
  ~Upstreams();
  Upstreams(const Upstreams&) = delete;
  Upstreams& operator=(const Upstreams&) = delete;

  bool Configured(std::string_view service) const;
  /// Configured service names, sorted.
  std::vector<std::string> Services() const;

  /// Forwards one client request (no retries: the client decides). Throws Error{UNAVAILABLE}
  /// "service X is not running" when `service` has no upstream, Error{UNAVAILABLE} when it
  /// cannot be reached or its circuit is open, Error{DEADLINE_EXCEEDED} when it did not answer
  /// within the timeout. Messages never reveal internal addresses.
  http::ClientResponse Forward(std::string_view service, http::Method method,
                               const std::string& target, http::Headers headers, std::string body);

  /// An internal call of the gateway itself (introspection, JWKS, health): up to two attempts
  /// for idempotent requests, 5 s each. Throws like Forward.
  http::ClientResponse Call(std::string_view service, http::ClientRequest request);

 private:
  const std::string& BaseUrl(std::string_view service) const;
  http::ClientResponse Send(http::Client& client, std::string_view service,
                            http::ClientRequest request, bool record);

  std::map<std::string, std::string, std::less<>> base_urls_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<http::Client> proxy_client_;
  std::unique_ptr<http::Client> internal_client_;
  metrics::CounterFamily& requests_;
  metrics::HistogramFamily& duration_;
};

}  // namespace dbaas::gateway
