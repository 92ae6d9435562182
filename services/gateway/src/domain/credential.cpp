#include "domain/credential.hpp"

#include "dbaas/auth/api_key.hpp"
#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/http/headers.hpp"

namespace dbaas::gateway {

std::string Credential::Fingerprint() const {
  return crypto::Sha256Hex(token);
}

std::optional<Credential> ParseAuthorization(const std::optional<std::string>& header) {
  if (!header) return std::nullopt;
  std::string_view value = *header;
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() ||
      !http::EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme)) {
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

}  // namespace dbaas::gateway
