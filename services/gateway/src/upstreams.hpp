#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "dbaas/http/async.hpp"
#include "dbaas/http/client.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/metrics/registry.hpp"

namespace dbaas::gateway {

/// The services behind the gateway: base URLs and keep-alive connection pools (with a circuit
/// breaker per service) for forwarded requests and for the gateway's own internal calls.
/// Forwarded requests go through an http::AsyncClient on the server's I/O threads (one pool per
/// I/O thread); internal calls through a blocking http::Client. Thread-safe.
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

  /// Forward() without blocking: runs on the calling server I/O thread and calls `done` there
  /// with the response or the error Forward() would have thrown (never before it returned).
  /// An https:// upstream is forwarded by the blocking client on the handler pool instead.
  /// Throws Error{FAILED_PRECONDITION} off an I/O thread.
  void ForwardAsync(std::string_view service, http::Method method, const std::string& target,
                    http::Headers headers, std::string body,
                    std::function<void(http::AsyncResult)> done);

  /// An internal call of the gateway itself (introspection, JWKS, health): up to two attempts
  /// for idempotent requests, 5 s each. Throws like Forward.
  http::ClientResponse Call(std::string_view service, http::ClientRequest request);

 private:
  // The metric children of one service, looked up once (by label) at construction.
  struct ServiceMetrics {
    std::array<metrics::Counter*, 7> outcomes{};  // 1xx..5xx, unavailable, timeout
    metrics::Histogram* duration = nullptr;
  };
  const std::string& BaseUrl(std::string_view service) const;
  http::ClientRequest ProxyRequest(std::string_view service, http::Method method,
                                   const std::string& target, http::Headers headers,
                                   std::string body) const;
  void Count(std::string_view service, std::size_t outcome,
             std::chrono::steady_clock::time_point start);
  std::size_t Outcome(const http::ClientResponse& response) const noexcept;
  /// Counts a failure and returns the client-facing error.
  Error Failure(std::string_view service, const Error& error,
                std::chrono::steady_clock::time_point start, bool record);
  http::ClientResponse Send(http::Client& client, std::string_view service,
                            http::ClientRequest request, bool record);

  std::map<std::string, std::string, std::less<>> base_urls_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<http::AsyncClient> async_client_;
  std::unique_ptr<http::Client> proxy_client_;
  std::unique_ptr<http::Client> internal_client_;
  metrics::CounterFamily& requests_;
  metrics::HistogramFamily& duration_;
  std::map<std::string, ServiceMetrics, std::less<>> service_metrics_;
};

}  // namespace dbaas::gateway
