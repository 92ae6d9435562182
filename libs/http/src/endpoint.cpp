#include "endpoint.hpp"

#include <charconv>
#include <string_view>

#include "dbaas/common/error.hpp"

namespace dbaas::http::detail {

std::string Endpoint::HostPort() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string Endpoint::PoolKey() const { return (tls ? "https://" : "http://") + HostPort(); }

Endpoint ParseEndpoint(const ClientRequest& request) {
  Endpoint e;
  if (request.url.empty()) {
    if (request.host.empty() || request.port == 0) {
      throw Error(ErrorCode::kInvalidArgument, "client request needs a url or host and port");
    }
    e.host = request.host;
    e.port = request.port;
    e.target = request.target.empty() ? "/" : request.target;
    e.tls = request.tls;
    return e;
  }
  std::string_view url = request.url;
  if (url.starts_with("https://")) {
    e.tls = true;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    throw Error(ErrorCode::kInvalidArgument, "url must start with http:// or https://: " +
                                                 request.url);
  }
  const auto slash = url.find_first_of("/?");
  auto authority = url.substr(0, slash);
  e.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (e.target.front() == '?') e.target.insert(0, "/");
  std::string_view port_text;
  if (authority.starts_with("[")) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      throw Error(ErrorCode::kInvalidArgument, "malformed IPv6 host in url: " + request.url);
    }
    e.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      port_text = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.rfind(':');
    e.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (e.host.empty()) throw Error(ErrorCode::kInvalidArgument, "url has no host: " + request.url);
  e.port = e.tls ? 443 : 80;
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      throw Error(ErrorCode::kInvalidArgument, "url has a bad port: " + request.url);
    }
    e.port = static_cast<std::uint16_t>(value);
  }
  return e;
}

}  // namespace dbaas::http::detail
