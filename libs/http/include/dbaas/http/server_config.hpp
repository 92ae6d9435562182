#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dbaas/common/config.hpp"

namespace dbaas::http {

/// Everything a Server needs to know; defaults suit a local service.
struct ServerConfig {
  std::string service = "dbaas";   // used in logs
  std::string host = "127.0.0.1";  // IP literal or "localhost"
  std::uint16_t port = 0;          // 0 = ephemeral; see Server::Port()
  int handler_threads = 8;         // threads that run blocking handlers
  int io_threads = 1;              // threads that run the network loop
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  /// Time allowed to receive one whole request once its first byte arrived.
  std::chrono::milliseconds read_timeout{10000};
  /// Time an idle keep-alive connection stays open waiting for the next request.
  std::chrono::milliseconds idle_timeout{60000};
  /// Time Run() waits for in-flight requests after a stop before closing connections.
  std::chrono::milliseconds shutdown_grace{10000};
  std::size_t max_connections = 1024;
  std::string tls_cert_file;  // PEM chain; with tls_key_file the server speaks HTTPS only
  std::string tls_key_file;   // PEM private key
  bool access_log = true;     // one JSON line per request at info
  /// Origins allowed by CORS, e.g. "https://console.example.com"; "*" allows any origin.
  std::vector<std::string> cors_origins;
  /// Peers (IP literals) whose X-Forwarded-For is believed for Request::ClientAddress: the
  /// gateway's address for a service behind it; empty for the gateway itself, the edge.
  std::vector<std::string> trusted_proxies;

  bool TlsEnabled() const noexcept { return !tls_cert_file.empty() && !tls_key_file.empty(); }

  /// Reads DBAAS_HTTP_HOST, DBAAS_HTTP_PORT (default `default_port`), DBAAS_HTTP_THREADS,
  /// DBAAS_HTTP_IO_THREADS, DBAAS_HTTP_MAX_BODY (bytes, KiB, MiB), DBAAS_HTTP_MAX_HEADER,
  /// DBAAS_HTTP_READ_TIMEOUT, DBAAS_HTTP_IDLE_TIMEOUT, DBAAS_HTTP_SHUTDOWN_GRACE,
  /// DBAAS_HTTP_MAX_CONNECTIONS, DBAAS_TLS_CERT_FILE and DBAAS_TLS_KEY_FILE (both or neither,
  /// readable files), DBAAS_HTTP_ACCESS_LOG, DBAAS_CORS_ORIGINS and DBAAS_TRUSTED_PROXIES
  /// (comma-separated IP addresses; default none).
  /// Problems are recorded in `cfg`, naming the variable; call cfg.Finish() afterwards.
  static ServerConfig FromEnv(dbaas::ConfigReader& cfg, std::string service,
                              std::uint16_t default_port);
};

}  // namespace dbaas::http
