#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>

#include "dbaas/common/error.hpp"
#include "dbaas/http/headers.hpp"

namespace dbaas::http {

/// What a handler returns. The server adds Content-Length, X-Request-Id, security headers and
/// (for errors) Cache-Control: no-store.
class Response {
 public:
  int status = 200;
  std::string body;
  Headers headers;

  /// Replaces any header of the same name (case-insensitive).
  void SetHeader(std::string name, std::string value) {
    headers.Set(std::move(name), std::move(value));
  }

  /// `body` serialised with Content-Type application/json.
  static Response Json(int status, const nlohmann::json& body);
  static Response Ok(const nlohmann::json& body);
  static Response Created(const nlohmann::json& body);
  static Response Accepted(const nlohmann::json& body);
  static Response NoContent();
  static Response Text(int status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");
};

/// The standard error body:
/// {"error":{"code":"NOT_FOUND","message":"...","details":[{"field","issue"}],
///  "suggestions":[...]},"request_id":"...","timestamp":"RFC 3339"}.
std::string ErrorBody(const dbaas::Error& error, std::string_view request_id);
/// ErrorBody with the code's HTTP status, Content-Type application/json and
/// Cache-Control: no-store.
Response ErrorResponse(const dbaas::Error& error, std::string_view request_id);

}  // namespace dbaas::http
