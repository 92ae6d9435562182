#include "dbaas/auth/credential.hpp"

#include "dbaas/auth/api_key.hpp"
#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"

namespace dbaas::auth {
namespace {

// ASCII case-insensitive prefix test (auth schemes are ASCII).
bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

}  // namespace

std::string Credential::Fingerprint() const {
  return crypto::Sha256Hex(token);
}

std::optional<Credential> ParseAuthorization(const std::optional<std::string>& header) {
  if (!header) return std::nullopt;
  std::string_view value = *header;
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() || !StartsWithIgnoreCase(value, kScheme)) {
    throw Error(ErrorCode::kUnauthenticated, "the Authorization header must be Bearer <token>");
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) {
    throw Error(ErrorCode::kUnauthenticated, "the Authorization header must be Bearer <token>");
  }
  if (value.starts_with(std::string(auth::kApiKeyScheme) + "_")) {
    if (!auth::ParseApiKey(value)) {
      throw Error(ErrorCode::kUnauthenticated, "the API key is malformed");
    }
    return Credential{Credential::Kind::kApiKey, std::string(value)};
  }
  return Credential{Credential::Kind::kJwt, std::string(value)};
}

}  // namespace dbaas::auth
