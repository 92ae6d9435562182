#pragma once

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "dbaas/common/clock.hpp"
#include "dbaas/http/backoff.hpp"
#include "dbaas/http/circuit_breaker.hpp"
#include "dbaas/http/headers.hpp"
#include "dbaas/http/method.hpp"

namespace dbaas::http {

/// One outgoing request. Give either `url` ("http://host:port/path?q", "https://...") or
/// `host`, `port`, `target` and `tls`.
struct ClientRequest {
  Method method = Method::kGet;
  std::string url;
  std::string host;
  std::uint16_t port = 0;
  std::string target = "/";
  bool tls = false;
  Headers headers;
  std::string body;
  /// Per attempt, covering write and read; defaults to ClientConfig::request_timeout.
  std::optional<std::chrono::milliseconds> timeout;

  /// A JSON body with Content-Type application/json.
  ClientRequest& JsonBody(const nlohmann::json& body);
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;
  /// How many attempts were made (1 when there was no retry).
  int attempts = 1;

  std::optional<std::string> Header(std::string_view name) const { return headers.Get(name); }
  /// The body parsed as JSON; throws Error{INVALID_ARGUMENT} when it does not parse.
  nlohmann::json Json() const;
};

struct ClientConfig {
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds request_timeout{10000};
  /// Attempts per Send() including the first; retries only for idempotent requests.
  int max_attempts = 3;
  Backoff backoff;
  /// Idle keep-alive connections kept per host:port.
  std::size_t max_idle_per_host = 8;
  /// Idle connections older than this are not reused.
  std::chrono::milliseconds max_idle_time{30000};
  std::size_t max_response_bytes = 64 * 1024 * 1024;
  CircuitBreakerConfig breaker;
  /// PEM CA bundle to verify HTTPS peers with; empty = system default store.
  std::string ca_file;
  bool verify_peer = true;
  std::string user_agent = "dbaas-http-client";
  /// Clock for the circuit breakers; must outlive the client.
  const Clock* clock = &SystemClock::Instance();
};

/// A synchronous HTTP/1.1 client with a bounded keep-alive pool per host:port, timeouts,
/// retries with exponential backoff and full jitter, and a circuit breaker per host:port.
///
/// Retries happen on connection errors, timeouts and 502/503/504, only for GET, HEAD, PUT,
/// DELETE, OPTIONS, and POST/PATCH carrying an Idempotency-Key header. Thread-safe: call Send()
/// from many threads at once.
class Client {
 public:
  explicit Client(ClientConfig config = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Sends `request` and returns the final response, whatever its status. Throws
  /// Error{UNAVAILABLE} when the peer cannot be reached (or its circuit is open: the message
  /// then says "circuit open"), Error{DEADLINE_EXCEEDED} when the last attempt timed out,
  /// Error{INVALID_ARGUMENT} for a malformed URL, and Error{INTERNAL} for an unusable response.
  ClientResponse Send(ClientRequest request);

  /// The breaker state for host:port (kClosed when never called).
  CircuitBreaker::State BreakerState(const std::string& host, std::uint16_t port) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dbaas::http
