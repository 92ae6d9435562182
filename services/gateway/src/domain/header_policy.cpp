#include "domain/header_policy.hpp"

#include <array>
#include <string>

namespace dbaas::gateway {
namespace {

constexpr std::array<std::string_view, 9> kHopByHop = {"Connection",
                                                       "Keep-Alive",
                                                       "Proxy-Connection",
                                                       "Proxy-Authenticate",
                                                       "Proxy-Authorization",
                                                       "TE",
                                                       "Trailer",
                                                       "Transfer-Encoding",
                                                       "Upgrade"};

constexpr std::array<std::string_view, 8> kForwarded = {
    "Content-Type",  "Authorization", "Idempotency-Key", "If-Match",
    "If-None-Match", "Accept",        "Accept-Language", "User-Agent"};

constexpr std::array<std::string_view, 4> kGatewayOwned = {"Content-Length", "X-Request-Id",
                                                           "RateLimit", "RateLimit-Policy"};

// True when a Connection header value lists `name` (comma-separated tokens).
bool ConnectionNames(const http::Headers& headers, std::string_view name) {
  for (const auto& [field, value] : headers) {
    if (!http::EqualsIgnoreCase(field, "Connection")) continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      auto token = rest.substr(0, comma);
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) {
        token.remove_prefix(1);
      }
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) {
        token.remove_suffix(1);
      }
      if (http::EqualsIgnoreCase(token, name)) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

template <std::size_t N>
bool In(const std::array<std::string_view, N>& names, std::string_view name) noexcept {
  for (const auto n : names) {
    if (http::EqualsIgnoreCase(n, name)) return true;
  }
  return false;
}

}  // namespace

bool IsHopByHop(std::string_view name) noexcept {
  return In(kHopByHop, name);
}

http::Headers UpstreamRequestHeaders(const http::Headers& incoming, std::string_view request_id,
                                     std::string_view traceparent, std::string_view client_ip) {
  http::Headers out;
  for (const auto& [name, value] : incoming) {
    if (In(kForwarded, name) && !ConnectionNames(incoming, name)) out.Add(name, value);
  }
  out.Set("X-Request-Id", std::string(request_id));
  out.Set("traceparent", std::string(traceparent));
  out.Set("X-Forwarded-For", std::string(client_ip));
  return out;
}

http::Headers ClientResponseHeaders(const http::Headers& upstream) {
  http::Headers out;
  for (const auto& [name, value] : upstream) {
    if (IsHopByHop(name) || In(kGatewayOwned, name) || ConnectionNames(upstream, name)) continue;
    out.Add(name, value);
  }
  return out;
}

}  // namespace dbaas::gateway
