#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dbaas::auth {

/// A bearer credential presented by a client. `token` is secret: never log it.
struct Credential {
  enum class Kind { kJwt, kApiKey };
  Kind kind = Kind::kJwt;
  std::string token;

  /// Lower-case hex SHA-256 of the token: the identity cache key and a log-safe handle.
  std::string Fingerprint() const;
};

/// Reads an Authorization header value. nullopt when `header` is absent; throws
/// Error{UNAUTHENTICATED} when it is not "Bearer <token>" (scheme case-insensitive), or when a
/// token starting "dbaas_" is not a well-formed API key. Any other token is taken as a JWT for
/// the verifier to judge.
std::optional<Credential> ParseAuthorization(const std::optional<std::string>& header);

}  // namespace dbaas::auth
