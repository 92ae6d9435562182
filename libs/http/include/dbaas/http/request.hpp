#pragma once

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dbaas/http/headers.hpp"
#include "dbaas/http/method.hpp"

namespace dbaas::http {

/// One HTTP request as handlers see it. Built by the Server (or by a test); handlers only read
/// it. Not thread-safe for writes; concurrent reads are fine.
class Request {
 public:
  Request() = default;
  /// Parses `target` ("/path?query") into Path() and query parameters. Throws
  /// Error{INVALID_ARGUMENT} when the target is not origin-form or its percent-encoding is
  /// malformed.
  Request(Method method, std::string target);

  Method GetMethod() const noexcept { return method_; }
  std::string_view MethodName() const noexcept { return http::MethodName(method_); }
  /// The percent-decoded path without the query, e.g. "/v1/tenants/ten 1".
  const std::string& Path() const noexcept { return path_; }
  /// The path exactly as received (still percent-encoded); routing splits this one.
  const std::string& RawPath() const noexcept { return raw_path_; }
  /// The request target exactly as received, e.g. "/v1/x?page_size=10".
  const std::string& Target() const noexcept { return target_; }
  /// The first decoded value of query parameter `name` ("+" decodes to a space).
  std::optional<std::string> Query(std::string_view name) const;
  /// The first value of header `name` (case-insensitive).
  std::optional<std::string> Header(std::string_view name) const { return headers_.Get(name); }
  const Headers& AllHeaders() const noexcept { return headers_; }
  /// The value the route pattern captured for "{name}"; an empty string when there is none.
  const std::string& PathParam(std::string_view name) const;
  const std::string& Body() const noexcept { return body_; }
  /// The body parsed as JSON. Throws Error{UNSUPPORTED_MEDIA_TYPE} unless Content-Type is
  /// application/json (or a "+json" type), and Error{INVALID_ARGUMENT} when it does not parse.
  nlohmann::json Json() const;
  /// The request id echoed in X-Request-Id (incoming when sane, else generated "req_...").
  const std::string& RequestId() const noexcept { return request_id_; }
  /// The peer address as "ip:port".
  const std::string& RemoteAddress() const noexcept { return remote_address_; }
  /// The client's IP address: the peer's, or the one a trusted proxy forwarded
  /// (ServerConfig::trusted_proxies, see ResolveClientAddress). Use it for per-client limits.
  const std::string& ClientAddress() const noexcept { return client_address_; }
  /// The pattern of the route that matched, e.g. "/v1/tenants/{id}"; empty before routing.
  const std::string& RoutePattern() const noexcept { return route_pattern_; }

  void AddHeader(std::string name, std::string value) {
    headers_.Add(std::move(name), std::move(value));
  }
  void SetBody(std::string body) { body_ = std::move(body); }
  void SetRequestId(std::string id) { request_id_ = std::move(id); }
  void SetRemoteAddress(std::string address) { remote_address_ = std::move(address); }
  void SetClientAddress(std::string address) { client_address_ = std::move(address); }
  void SetRoute(std::string pattern, std::vector<std::pair<std::string, std::string>> params) {
    route_pattern_ = std::move(pattern);
    path_params_ = std::move(params);
  }

 private:
  Method method_ = Method::kGet;
  std::string target_ = "/";
  std::string raw_path_ = "/";
  std::string path_ = "/";
  std::vector<std::pair<std::string, std::string>> query_;
  Headers headers_;
  std::string body_;
  std::string request_id_;
  std::string remote_address_;
  std::string client_address_;
  std::string route_pattern_;
  std::vector<std::pair<std::string, std::string>> path_params_;
};

/// Decodes %XX escapes (and "+" as space when `plus_is_space`); nullopt when an escape is
/// malformed or decodes to a NUL byte.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space = false);
/// Encodes everything except unreserved characters (RFC 3986) as %XX.
std::string PercentEncode(std::string_view text);

}  // namespace dbaas::http
