#pragma once

#include <cstdint>
#include <string>

#include "dbaas/http/client.hpp"

namespace dbaas::http::detail {

/// Where a ClientRequest goes.
struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
  std::string target;
  bool tls = false;

  /// "host:port", with brackets around an IPv6 host.
  std::string HostPort() const;
  /// "http://host:port" or "https://host:port".
  std::string PoolKey() const;
};

/// The endpoint of `request` (its url, or host/port/target/tls). Throws Error{INVALID_ARGUMENT}
/// for a malformed url.
Endpoint ParseEndpoint(const ClientRequest& request);

}  // namespace dbaas::http::detail
