#include "dbaas/http/pagination.hpp"

#include <charconv>

#include "dbaas/common/crypto.hpp"
#include "dbaas/http/request.hpp"

namespace dbaas::http {

PageParams ReadPageParams(const Request& req, std::string_view kind,
                          const std::function<bool(std::string_view)>& is_valid_id,
                          std::vector<FieldViolation>& problems, std::size_t default_size,
                          std::size_t max_size) {
  PageParams page;
  page.page_size = default_size;
  if (auto size = req.Query("page_size")) {
    std::size_t n = 0;
    const auto* end = size->data() + size->size();
    auto [ptr, ec] = std::from_chars(size->data(), end, n);
    if (ec != std::errc() || ptr != end || n < 1 || n > max_size) {
      problems.push_back({"page_size", "must be an integer from 1 to " + std::to_string(max_size)});
    } else {
      page.page_size = n;
    }
  }
  if (auto token = req.Query("page_token"); token && !token->empty()) {
    std::string decoded;
    try {
      decoded = crypto::Base64UrlDecode(*token);
    } catch (const Error&) {
      // Not base64url: reported below like any other foreign token.
    }
    const std::string prefix = std::string(kind) + ":";
    const std::string_view id = std::string_view(decoded).substr(
        decoded.rfind(prefix, 0) == 0 ? prefix.size() : decoded.size());
    if (decoded.rfind(prefix, 0) != 0 || !is_valid_id(id)) {
      problems.push_back({"page_token", "was not returned by this API"});
    } else {
      page.after_id = std::string(id);
    }
  }
  return page;
}

std::string EncodePageToken(std::string_view kind, const std::optional<std::string>& last_id) {
  if (!last_id) return "";
  return crypto::Base64UrlEncode(std::string(kind) + ":" + *last_id);
}

}  // namespace dbaas::http
