#include "dbaas/http/response.hpp"

#include <nlohmann/json.hpp>

#include "dbaas/common/clock.hpp"

namespace dbaas::http {

Response Response::Json(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.body = body.dump();
  r.headers.Add("Content-Type", "application/json");
  return r;
}

Response Response::Ok(const nlohmann::json& body) { return Json(200, body); }
Response Response::Created(const nlohmann::json& body) { return Json(201, body); }
Response Response::Accepted(const nlohmann::json& body) { return Json(202, body); }

Response Response::NoContent() {
  Response r;
  r.status = 204;
  return r;
}

Response Response::Text(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers.Add("Content-Type", std::move(content_type));
  return r;
}

std::string ErrorBody(const dbaas::Error& error, std::string_view request_id) {
  auto details = nlohmann::json::array();
  for (const auto& d : error.Details()) {
    details.push_back({{"field", d.field}, {"issue", d.issue}});
  }
  nlohmann::json body = {
      {"error",
       {{"code", ErrorCodeName(error.Code())},
        {"message", error.what()},
        {"details", std::move(details)},
        {"suggestions", error.Suggestions()}}},
      {"request_id", request_id},
      {"timestamp", FormatRfc3339(SystemClock::Instance().Now())},
  };
  // Replace invalid UTF-8 from client-influenced messages instead of throwing while reporting.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Response ErrorResponse(const dbaas::Error& error, std::string_view request_id) {
  Response r;
  r.status = HttpStatus(error.Code());
  r.body = ErrorBody(error, request_id);
  r.headers.Add("Content-Type", "application/json");
  r.headers.Add("Cache-Control", "no-store");
  return r;
}

}  // namespace dbaas::http
