#include "dbaas/http/server_config.hpp"

#include "dbaas/http/client_address.hpp"

#include <unistd.h>

#include <string_view>

namespace dbaas::http {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

bool IsOrigin(std::string_view origin) {
  if (origin == "*") return true;
  std::string_view rest;
  if (origin.starts_with("https://")) {
    rest = origin.substr(8);
  } else if (origin.starts_with("http://")) {
    rest = origin.substr(7);
  } else {
    return false;
  }
  return !rest.empty() && rest.find_first_of("/?# ") == std::string_view::npos;
}

}  // namespace

ServerConfig ServerConfig::FromEnv(dbaas::ConfigReader& cfg, std::string service,
                                   std::uint16_t default_port) {
  ServerConfig c;
  c.service = std::move(service);
  c.host = cfg.String("DBAAS_HTTP_HOST", c.host);
  c.port = cfg.Port("DBAAS_HTTP_PORT", default_port);
  c.handler_threads = static_cast<int>(cfg.Int("DBAAS_HTTP_THREADS", c.handler_threads, 1, 1024));
  c.io_threads = static_cast<int>(cfg.Int("DBAAS_HTTP_IO_THREADS", c.io_threads, 1, 64));
  c.max_body_bytes = static_cast<std::size_t>(
      cfg.Bytes("DBAAS_HTTP_MAX_BODY", static_cast<std::int64_t>(c.max_body_bytes), 1));
  c.max_header_bytes = static_cast<std::size_t>(
      cfg.Bytes("DBAAS_HTTP_MAX_HEADER", static_cast<std::int64_t>(c.max_header_bytes), 1024));
  c.read_timeout = cfg.Duration("DBAAS_HTTP_READ_TIMEOUT", c.read_timeout,
                                std::chrono::milliseconds(1));
  c.idle_timeout = cfg.Duration("DBAAS_HTTP_IDLE_TIMEOUT", c.idle_timeout,
                                std::chrono::milliseconds(1));
  c.shutdown_grace = cfg.Duration("DBAAS_HTTP_SHUTDOWN_GRACE", c.shutdown_grace);
  c.max_connections = static_cast<std::size_t>(
      cfg.Int("DBAAS_HTTP_MAX_CONNECTIONS", static_cast<std::int64_t>(c.max_connections), 1,
              1'000'000));
  c.tls_cert_file = cfg.String("DBAAS_TLS_CERT_FILE", "");
  c.tls_key_file = cfg.String("DBAAS_TLS_KEY_FILE", "");
  if (c.tls_cert_file.empty() != c.tls_key_file.empty()) {
    cfg.Fail(c.tls_cert_file.empty() ? "DBAAS_TLS_CERT_FILE" : "DBAAS_TLS_KEY_FILE",
             "must be set together with " +
                 std::string(c.tls_cert_file.empty() ? "DBAAS_TLS_KEY_FILE"
                                                     : "DBAAS_TLS_CERT_FILE"));
  } else if (c.TlsEnabled()) {
    for (const auto& [name, path] : {std::pair<std::string_view, const std::string&>{
                                         "DBAAS_TLS_CERT_FILE", c.tls_cert_file},
                                     {"DBAAS_TLS_KEY_FILE", c.tls_key_file}}) {
      if (::access(path.c_str(), R_OK) != 0) {
        cfg.Fail(name, "names a file that cannot be read: \"" + path + "\"");
      }
    }
  }
  c.access_log = cfg.Bool("DBAAS_HTTP_ACCESS_LOG", c.access_log);
  const auto origins = cfg.String("DBAAS_CORS_ORIGINS", "");
  std::string_view rest = origins;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const auto origin = Trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (origin.empty()) continue;
    if (!IsOrigin(origin)) {
      cfg.Fail("DBAAS_CORS_ORIGINS", "must list origins like https://console.example.com or *, got \"" +
                                         std::string(origin) + "\"");
      continue;
    }
    c.cors_origins.emplace_back(origin);
  }
  const auto proxies = cfg.String("DBAAS_TRUSTED_PROXIES", "");
  rest = proxies;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const auto proxy = Trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (proxy.empty()) continue;
    if (!IsIpAddress(proxy)) {
      cfg.Fail("DBAAS_TRUSTED_PROXIES",
               "must list IP addresses like 127.0.0.1, got \"" + std::string(proxy) + "\"");
      continue;
    }
    c.trusted_proxies.emplace_back(proxy);
  }
  return c;
}

}  // namespace dbaas::http
