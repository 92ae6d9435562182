#include "dbaas/http/client_address.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace dbaas::http {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool IsIpAddress(std::string_view text) noexcept {
  if (text.empty() || text.size() > 45) return false;
  char buf[46] = {};
  std::copy(text.begin(), text.end(), buf);
  unsigned char addr[16];
  return ::inet_pton(AF_INET, buf, addr) == 1 || ::inet_pton(AF_INET6, buf, addr) == 1;
}

std::string PeerIp(std::string_view remote) {
  if (!remote.empty() && remote.front() == '[') {
    const auto close = remote.find(']');
    if (close != std::string_view::npos) return std::string(remote.substr(1, close - 1));
  }
  const auto colon = remote.rfind(':');
  // One colon: "ipv4:port". More than one without brackets: a bare IPv6 address.
  if (colon != std::string_view::npos && remote.find(':') == colon) {
    return std::string(remote.substr(0, colon));
  }
  return std::string(remote);
}

std::string ResolveClientAddress(std::string_view remote, const Headers& headers,
                                 const std::vector<std::string>& trusted_proxies) {
  std::string peer = PeerIp(remote);
  if (trusted_proxies.empty() ||
      std::find(trusted_proxies.begin(), trusted_proxies.end(), peer) == trusted_proxies.end()) {
    return peer;
  }
  const auto forwarded = headers.Get("X-Forwarded-For");
  if (!forwarded) return peer;
  std::string_view rest = *forwarded;
  const auto comma = rest.rfind(',');
  const auto last = Trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
  return IsIpAddress(last) ? std::string(last) : peer;
}

}  // namespace dbaas::http
