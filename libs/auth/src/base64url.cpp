#include "base64url.hpp"

#include "dbaas/common/crypto.hpp"

namespace dbaas::auth::detail {

std::optional<std::string> DecodeBase64UrlStrict(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  for (const char c : text) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return std::nullopt;
  }
  std::string bytes;
  try {
    bytes = crypto::Base64UrlDecode(text);
  } catch (const Error&) {
    return std::nullopt;
  }
  if (crypto::Base64UrlEncode(bytes) != text) return std::nullopt;
  return bytes;
}

}  // namespace dbaas::auth::detail
