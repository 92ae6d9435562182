#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "dbaas/http/router.hpp"
#include "dbaas/http/server_config.hpp"

namespace dbaas::metrics {
class Registry;
}

namespace dbaas::http {

/// An HTTP/1.1 (or HTTPS) server for one service.
///
/// Every request passes, in order: request id (X-Request-Id), exception barrier and error
/// mapping, CORS, access log, metrics; then the built-in GET /livez, /readyz and /metrics, then
/// the Router. Handlers run on a pool of `handler_threads` unless their route is non-blocking;
/// asynchronous routes (Router::AddAsync) run on the I/O thread and may use http::Offload and
/// http::AsyncClient there. Limits from ServerConfig answer 413, 431, 400 or 503 with the
/// standard error body. Every response, these included, passes the Router's ResponseDecorator.
class Server {
 public:
  /// `registry` receives the http_* metrics and is served on /metrics; it must outlive the
  /// server. Throws Error{INVALID_ARGUMENT} for an unusable config (e.g. unreadable TLS files).
  Server(ServerConfig config, Router router, metrics::Registry& registry);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Adds a dependency check run by GET /readyz on a handler thread; `check` returns false or
  /// throws when the dependency is unusable. Call before Listen().
  void AddReadinessCheck(std::string name, std::function<bool()> check);

  /// Binds and listens, so Port() is known. Throws Error{UNAVAILABLE} naming host:port when the
  /// address cannot be bound (e.g. the port is taken).
  void Listen();
  /// Listens if needed and serves until Stop() or SIGTERM/SIGINT. Then stops accepting, lets
  /// in-flight requests finish (up to shutdown_grace), closes idle connections and returns.
  /// Call once.
  void Run();
  /// Asks Run() to shut down gracefully. Thread-safe; callable from a handler; idempotent.
  void Stop();
  /// The bound port (after Listen()).
  std::uint16_t Port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dbaas::http
