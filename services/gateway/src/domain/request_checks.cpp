#include "domain/request_checks.hpp"

#include <string>

#include "domain/upstream_table.hpp"

namespace dbaas::gateway {
namespace {

bool IsVersionSegment(std::string_view segment) noexcept {
  if (segment.size() < 2 || (segment[0] != 'v' && segment[0] != 'V')) return false;
  for (std::size_t i = 1; i < segment.size(); ++i) {
    if (segment[i] < '0' || segment[i] > '9') return false;
  }
  return true;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::optional<Error> CheckApiVersion(std::string_view raw_path) {
  const auto segments = PathSegments(raw_path);
  if (segments.empty() || !IsVersionSegment(segments[0]) || segments[0] == "v1") {
    return std::nullopt;
  }
  const auto rest = raw_path.substr(1 + segments[0].size());
  return Error(ErrorCode::kNotFound,
               "API version " + Lower(segments[0]) + " does not exist; the current version is v1",
               {}, {"use /v1" + std::string(rest.substr(0, 200))});
}

std::optional<Error> CheckPathShape(std::string_view raw_path) {
  const auto segments = PathSegments(raw_path);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const auto s = segments[i];
    // A trailing slash is left to the router, which suggests the other spelling.
    const bool trailing = i + 1 == segments.size() && s.empty();
    if ((s.empty() && !trailing) || s == "." || s == ".." || Lower(s) == "%2e" ||
        Lower(s) == "%2e%2e" || Lower(s) == ".%2e" || Lower(s) == "%2e.") {
      return Error(ErrorCode::kNotFound, "no route for this path");
    }
  }
  return std::nullopt;
}

std::optional<Error> CheckBodyType(std::string_view method, const http::Headers& headers,
                                   std::size_t body_size) {
  if (body_size == 0 || (method != "POST" && method != "PUT" && method != "PATCH")) {
    return std::nullopt;
  }
  const auto content_type = headers.Get("Content-Type");
  if (content_type) {
    auto media = Lower(*content_type);
    media = media.substr(0, media.find(';'));
    while (!media.empty() && media.back() == ' ') media.pop_back();
    if (media == "application/json" ||
        (media.starts_with("application/") && media.ends_with("+json"))) {
      return std::nullopt;
    }
  }
  return Error(ErrorCode::kUnsupportedMediaType,
               "request bodies must be JSON (Content-Type: application/json)", {},
               {"send the body with Content-Type: application/json"});
}

}  // namespace dbaas::gateway
