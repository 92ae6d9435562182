#include "dbaas/http/request.hpp"

#include <nlohmann/json.hpp>

#include "dbaas/common/error.hpp"
#include "dbaas/common/json.hpp"

namespace dbaas::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = HexValue(text[i + 1]);
      const int lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      const char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0') return std::nullopt;
      out += decoded;
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                            c == '~';
    if (unreserved) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

Request::Request(Method method, std::string target) : method_(method), target_(std::move(target)) {
  if (target_.empty() || target_.front() != '/') {
    throw Error(ErrorCode::kInvalidArgument, "request target must be an absolute path");
  }
  const auto question = target_.find('?');
  raw_path_ = target_.substr(0, question);
  auto decoded = PercentDecode(raw_path_);
  if (!decoded) {
    throw Error(ErrorCode::kInvalidArgument, "request path has malformed percent-encoding");
  }
  path_ = std::move(*decoded);
  if (question == std::string::npos) return;
  std::string_view query = std::string_view(target_).substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto name = PercentDecode(pair.substr(0, eq), true);
    auto value = eq == std::string_view::npos ? std::optional<std::string>("")
                                              : PercentDecode(pair.substr(eq + 1), true);
    if (!name || !value) {
      throw Error(ErrorCode::kInvalidArgument, "query string has malformed percent-encoding");
    }
    query_.emplace_back(std::move(*name), std::move(*value));
  }
}

std::optional<std::string> Request::Query(std::string_view name) const {
  for (const auto& [n, v] : query_) {
    if (n == name) return v;
  }
  return std::nullopt;
}

const std::string& Request::PathParam(std::string_view name) const {
  static const std::string kEmpty;
  for (const auto& [n, v] : path_params_) {
    if (n == name) return v;
  }
  return kEmpty;
}

nlohmann::json Request::Json() const {
  const auto content_type = Header("Content-Type");
  const auto media = content_type ? Lower(Trim(std::string_view(*content_type)
                                                   .substr(0, content_type->find(';'))))
                                  : std::string();
  const bool json_suffix = media.starts_with("application/") && media.ends_with("+json");
  if (media != "application/json" && !json_suffix) {
    throw Error(ErrorCode::kUnsupportedMediaType,
                "Content-Type must be application/json",
                {}, {"send the body as JSON with the header Content-Type: application/json"});
  }
  return dbaas::json::Parse(body_);
}

}  // namespace dbaas::http
