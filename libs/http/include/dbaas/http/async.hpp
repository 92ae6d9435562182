#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "dbaas/common/error.hpp"
#include "dbaas/http/client.hpp"
#include "dbaas/http/router.hpp"

/// Asynchronous handlers (AsyncHandler, Router::AddAsync) run on a Server's I/O thread, start work there (an AsyncClient
/// exchange, or blocking work handed to the handler pool with Offload) and answer later through
/// their Reply, so a proxied request costs no thread hop and no blocked thread.
namespace dbaas::http {

/// True on the I/O thread of a running Server.
bool OnIoThread() noexcept;

/// From a Server's I/O thread: runs `blocking` on that server's handler pool, then `then` back
/// on this I/O thread (also when `blocking` threw: catch inside it). Throws
/// Error{FAILED_PRECONDITION} on any other thread.
void Offload(std::function<void()> blocking, std::function<void()> then);

/// The outcome of an AsyncClient exchange: a response (whatever its status) or the error
/// Client::Send would have thrown.
struct AsyncResult {
  std::optional<ClientResponse> response;
  std::optional<dbaas::Error> error;
};

/// An HTTP/1.1 client for asynchronous handlers, with the Client's semantics (ClientConfig:
/// timeouts, retries with backoff for idempotent requests, a circuit breaker per host:port,
/// max_response_bytes) but no thread of its own: each exchange runs on the calling I/O thread's
/// event loop, over a keep-alive pool owned by that thread (no locks on the hot path; only the
/// circuit breakers are shared). Plain HTTP only; `https://` URLs fail with INVALID_ARGUMENT.
/// Thread-safe; Send() only on a Server's I/O thread. Outlive every Send() it answers.
class AsyncClient {
 public:
  explicit AsyncClient(ClientConfig config = {});
  ~AsyncClient();
  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;

  /// Sends `request` and calls `done` once, on this I/O thread, never before Send() returned.
  /// Throws Error{FAILED_PRECONDITION} off an I/O thread.
  void Send(ClientRequest request, std::function<void(AsyncResult)> done);

  /// The breaker state for host:port (kClosed when never called).
  CircuitBreaker::State BreakerState(const std::string& host, std::uint16_t port) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace dbaas::http
