#include "api_error.hpp"

#include <nlohmann/json.hpp>

namespace dbaas::ctl {
namespace {

constexpr std::size_t kMaxRawBody = 200;

std::string StringOr(const nlohmann::json& object, const char* key, std::string fallback) {
  if (object.is_object()) {
    auto it = object.find(key);
    if (it != object.end() && it->is_string()) return it->get<std::string>();
  }
  return fallback;
}

std::string FirstLine(std::string_view body) {
  auto line = body.substr(0, body.find('\n'));
  if (line.size() > kMaxRawBody) return std::string(line.substr(0, kMaxRawBody)) + "...";
  return std::string(line);
}

}  // namespace

ApiError::ApiError(int status, std::string code, std::string message,
                   std::vector<FieldViolation> details, std::vector<std::string> suggestions,
                   std::string request_id)
    : std::runtime_error(code + ": " + message),
      status_(status),
      code_(std::move(code)),
      message_(std::move(message)),
      details_(std::move(details)),
      suggestions_(std::move(suggestions)),
      request_id_(std::move(request_id)) {}

ApiError ParseApiError(int status, std::string_view body) {
  const std::string fallback_code = "HTTP_" + std::to_string(status);
  const auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("error") ||
      !doc["error"].is_object()) {
    std::string message =
        body.empty() ? "the server answered HTTP " + std::to_string(status) : FirstLine(body);
    return ApiError(status, fallback_code, std::move(message));
  }
  const auto& e = doc["error"];
  std::vector<FieldViolation> details;
  if (auto it = e.find("details"); it != e.end() && it->is_array()) {
    for (const auto& d : *it) {
      if (d.is_object()) {
        details.push_back({StringOr(d, "field", ""), StringOr(d, "issue", d.dump())});
      } else if (d.is_string()) {
        details.push_back({"", d.get<std::string>()});
      }
    }
  }
  std::vector<std::string> suggestions;
  if (auto it = e.find("suggestions"); it != e.end() && it->is_array()) {
    for (const auto& s : *it) {
      if (s.is_string()) suggestions.push_back(s.get<std::string>());
    }
  }
  return ApiError(status, StringOr(e, "code", fallback_code), StringOr(e, "message", ""),
                  std::move(details), std::move(suggestions), StringOr(doc, "request_id", ""));
}

std::string FormatApiError(const ApiError& error) {
  std::string out = "error: " + error.Code() + " (HTTP " + std::to_string(error.Status()) + ")";
  if (!error.Message().empty()) out += ": " + error.Message();
  out += '\n';
  for (const auto& d : error.Details()) {
    out += "  ";
    if (!d.field.empty()) out += d.field + ": ";
    out += d.issue + '\n';
  }
  for (const auto& s : error.Suggestions()) out += "  hint: " + s + '\n';
  if (!error.RequestId().empty()) out += "  request id: " + error.RequestId() + '\n';
  return out;
}

}  // namespace dbaas::ctl
