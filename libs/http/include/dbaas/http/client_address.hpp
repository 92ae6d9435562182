#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dbaas/http/headers.hpp"

namespace dbaas::http {

/// True when `text` is an IPv4 or IPv6 address literal (no port, no brackets).
bool IsIpAddress(std::string_view text) noexcept;

/// The IP of a peer written "1.2.3.4:5678" or "[::1]:5678" (the form Request::RemoteAddress
/// uses); the text unchanged when it has no port.
std::string PeerIp(std::string_view remote);

/// The address of the client a request comes from. When the peer is one of
/// `trusted_proxies` (IP literals), the right-most valid address in X-Forwarded-For, which the
/// proxy appended or set; otherwise, or when that header holds no valid address, the peer's IP.
/// Never trusts the header from an untrusted peer, so a client cannot choose its address.
std::string ResolveClientAddress(std::string_view remote, const Headers& headers,
                                 const std::vector<std::string>& trusted_proxies);

}  // namespace dbaas::http
