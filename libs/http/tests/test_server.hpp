#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "dbaas/http/server.hpp"
#include "dbaas/metrics/registry.hpp"

namespace dbaas::http::testing {

/// A Server on an ephemeral loopback port, running on its own thread until destroyed.
class TestServer {
 public:
  explicit TestServer(Router router, ServerConfig config = {});
  ~TestServer();
  std::uint16_t Port() const { return server_->Port(); }
  Server& Get() { return *server_; }
  metrics::Registry& Registry() { return registry_; }
  /// Stops the server and waits for Run() to return.
  void StopAndWait();
  /// Starts Run() (done by the constructor unless `start` was false).
  void Start();

 private:
  metrics::Registry registry_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

/// A blocking loopback TCP connection for speaking raw HTTP in tests.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port);
  ~RawConnection();
  bool Connected() const { return fd_ >= 0; }
  bool Send(const std::string& bytes);
  /// Reads one response (headers, then Content-Length bytes of body); nullopt on EOF/timeout.
  std::optional<std::string> ReadResponse(std::chrono::milliseconds timeout =
                                              std::chrono::seconds(5));
  /// True when the peer closed the connection within `timeout` (reads and discards data).
  bool WaitClosed(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  std::string pending_;
};

/// The status code of a raw response ("HTTP/1.1 404 Not Found..." -> 404), or 0.
int StatusOf(const std::string& raw);
/// The body of a raw response.
std::string BodyOf(const std::string& raw);
/// A header value of a raw response (case-insensitive name).
std::optional<std::string> HeaderOf(const std::string& raw, std::string_view name);

}  // namespace dbaas::http::testing
