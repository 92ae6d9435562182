#pragma once

#include <string_view>

#include "dbaas/http/headers.hpp"

/// Which headers cross the gateway. Requests use an allowlist, so hop-by-hop fields and any
/// identity header a client invents (X-Dbaas-*, X-User, X-Forwarded-*...) never reach a service;
/// responses pass through except hop-by-hop and gateway-owned fields.
namespace dbaas::gateway {

/// True for the hop-by-hop fields of RFC 9110 section 7.6.1 (Connection, Keep-Alive,
/// Proxy-Connection, Proxy-Authenticate, Proxy-Authorization, TE, Trailer, Transfer-Encoding,
/// Upgrade), compared case-insensitively.
bool IsHopByHop(std::string_view name) noexcept;

/// The headers sent upstream: the allowlisted client fields (Content-Type, Authorization,
/// Idempotency-Key, If-Match, If-None-Match, Accept, Accept-Language, User-Agent) unless the
/// client's Connection header names them, plus X-Request-Id = `request_id`, `traceparent` and
/// X-Forwarded-For = `client_ip` (replacing whatever the client sent).
http::Headers UpstreamRequestHeaders(const http::Headers& incoming, std::string_view request_id,
                                     std::string_view traceparent, std::string_view client_ip);

/// The upstream response fields returned to the client: all except hop-by-hop fields, fields
/// named by the upstream's Connection header, Content-Length, X-Request-Id, RateLimit and
/// RateLimit-Policy (the gateway writes its own). An upstream Retry-After (e.g. a login
/// lockout) passes through.
http::Headers ClientResponseHeaders(const http::Headers& upstream);

}  // namespace dbaas::gateway
